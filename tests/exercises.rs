//! Exercise extraction on the corpus and on small decks.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use labdeck::deck::{self, LoadOptions};
use labdeck::exercise;

fn corpus_slides() -> PathBuf {
    support::corpus::container_training().join("slides")
}

#[test]
fn corpus_exercises_are_found_with_their_commands() {
    let dir = corpus_slides();
    let mut unique = BTreeSet::new();
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    manifests.sort();
    let mut without_commands = 0;
    for m in &manifests {
        let deck = deck::load_strict(m, &LoadOptions::default()).unwrap();
        let (exercises, diagnostics) = exercise::extract(&deck);
        assert!(diagnostics.is_empty(), "{}: {diagnostics:?}", m.display());
        for e in exercises {
            assert!(e.line > 0 && e.slide > 0, "{e:?}");
            if e.commands.is_empty() {
                without_commands += 1;
            }
            unique.insert((e.file.clone(), e.line));
        }
    }
    // Every `.exercise[` / `.lab[` of the chapters the decks use, counted
    // independently of the compiler.
    let mut chapters = BTreeSet::new();
    for (file, _) in &unique {
        chapters.insert(file.clone());
    }
    let mut grep = 0;
    for c in &chapters {
        let text = std::fs::read_to_string(dir.join(c)).unwrap();
        grep += text.matches(".exercise[").count() + text.matches(".lab[").count();
    }
    println!(
        "{} exercises in {} chapters ({} without a fenced command)",
        unique.len(),
        chapters.len(),
        without_commands
    );
    // Two exercises are never shown by any deck, so remark shows no
    // exercise there and neither do we: one in speaker notes (after `???`),
    // one on a slide whose classes every deck including it excludes.
    for hidden in [("swarm/metrics.md", 679), ("swarm/swarmnbt.md", 57)] {
        assert!(!unique.contains(&(PathBuf::from(hidden.0), hidden.1)));
    }
    assert_eq!(unique.len(), grep - 2);
}

/// Writes a one-chapter deck into a temporary folder.
fn deck_with(chapter: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let slides = dir.path().join("slides");
    std::fs::create_dir_all(&slides).unwrap();
    std::fs::write(slides.join("labels.md"), chapter).unwrap();
    std::fs::write(
        slides.join("deck.yml"),
        "title: T\ncontent:\n- - labels.md\n",
    )
    .unwrap();
    let manifest = slides.join("deck.yml");
    (dir, manifest)
}

const CHAPTER: &str = r#"# Labels

---

## Relabel

.exercise[
- Make it inactive:
  ```bash
  kubectl patch `pod/labeldemo-XXX` -p "$PATCH"
  ```
<!--
```wait patched```
```key ^C```
-->
]

<!-- check
id: labeldemo-relabel
timeout: 60s
expect:
  - kind: pods
    selector: isactive=no
-->

---

## Two exercises

.lab[
- `ls`
]

--

.exercise[
```
echo hi
```
]

<!-- check
- kind: pods
-->
"#;

#[test]
fn ids_lines_commands_directives_and_checks() {
    let (_dir, manifest) = deck_with(CHAPTER);
    let deck = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let (ex, diags) = exercise::extract(&deck);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ex.len(), 3);

    let relabel = &ex[0];
    assert_eq!(relabel.id, "labeldemo-relabel");
    assert_eq!(relabel.file, Path::new("labels.md"));
    assert_eq!(relabel.line, 7);
    assert_eq!(relabel.title, "Relabel");
    assert_eq!(relabel.commands.len(), 1);
    assert_eq!(
        relabel.commands[0].text,
        "kubectl patch pod/labeldemo-XXX -p \"$PATCH\""
    );
    assert_eq!(relabel.commands[0].line, 9);
    let directives: Vec<_> = relabel
        .steps
        .iter()
        .map(|s| (s.directive.as_deref(), s.text.as_str()))
        .collect();
    assert_eq!(
        directives[1..],
        [(Some("wait"), "patched"), (Some("key"), "^C")]
    );
    let check = relabel.check.as_ref().unwrap();
    assert_eq!(check.line, 18);
    assert!(check.yaml.contains("selector: isactive=no"));

    // Generated ids count the chapter's exercises; the check after a `--`
    // step belongs to the last exercise of the slide.
    assert_eq!(ex[1].id, "labels-2");
    assert!(ex[1].check.is_none());
    assert!(ex[1].commands.is_empty());
    assert_eq!(ex[2].id, "labels-3");
    assert_eq!(ex[2].slide, ex[1].slide + 1);
    assert!(ex[2].check.is_some());
}

#[test]
fn orphan_checks_and_duplicate_ids_are_reported() {
    let (_dir, manifest) = deck_with(
        "# T\n\n<!-- check\n- kind: pods\n-->\n\n---\n\n.exercise[\n- a\n]\n<!-- check\nid: x\n-->\n\n---\n\n.exercise[\n- b\n]\n<!-- check\nid: x\n-->\n",
    );
    let deck = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let (_, diags) = exercise::extract(&deck);
    let found: Vec<_> = diags.iter().map(|d| (d.code, d.location.line)).collect();
    assert_eq!(found, [("check-without-exercise", 3), ("duplicate-id", 21)]);
    assert!(exercise::extract_strict(&deck).is_err());
}

#[test]
fn checks_are_invisible_in_the_html() {
    let (dir, manifest) = deck_with(CHAPTER);
    let builder = labdeck::build::Builder::new(labdeck::build::BuildOptions {
        out_dir: dir.path().join("out"),
        ..Default::default()
    })
    .unwrap();
    let (_, page) = builder.render(&manifest).unwrap();
    let slides: String = labdeck::render::page::slide_fields(&page.html)
        .unwrap()
        .iter()
        .map(|[_, _, inner, _]| labdeck::render::page::script_text_decode(inner))
        .collect();
    assert!(slides.contains("<!-- check"), "kept as a comment");
    let texts = support::slide_text::slide_texts(&page.html);
    assert!(
        texts
            .iter()
            .all(|t| !t.contains("selector") && !t.contains("isactive"))
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("kubectl patch pod/labeldemo-XXX"))
    );
}

#[test]
fn generated_ids_do_not_depend_on_excluded_slides() {
    let chapter = "# T\n\n---\n\nclass: extra\n\n.exercise[\n- a\n]\n\n---\n\n.exercise[\n- ```bash\n  ls\n  ```\n<!--\n```bash\necho hidden\n```\n-->\n]\n";
    let (dir, manifest) = deck_with(chapter);
    let excluding = dir.path().join("slides/lean.yml");
    std::fs::write(
        &excluding,
        "title: T\nexclude: [extra]\ncontent:\n- - labels.md\n",
    )
    .unwrap();
    let full = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let lean = deck::load_strict(&excluding, &LoadOptions::default()).unwrap();
    let full = exercise::extract_strict(&full).unwrap();
    let lean = exercise::extract_strict(&lean).unwrap();
    assert_eq!(full.len(), 2);
    assert_eq!(lean.len(), 1);
    assert_eq!(full[1].id, "labels-2");
    assert_eq!(lean[0].id, "labels-2", "same id in both decks");

    // A fence opening on the bullet's line is a command; a hidden block's
    // line is the line of its first command.
    let e = &lean[0];
    assert_eq!(e.commands.len(), 1);
    assert_eq!(e.commands[0].text, "ls");
    let hidden = e.steps.iter().find(|s| s.directive.is_some()).unwrap();
    assert_eq!(hidden.text, "echo hidden");
    assert_eq!(hidden.line, 19);
}

/// A check whose YAML has `.word[` at an indent under 4 spaces: remark's
/// lexer reads `.containers[0]` as a content class and splits the comment;
/// the check must still be found, with the whole YAML.
const SPLIT_BY_THE_LEXER: &str = r#"# T

---

## Image

.exercise[
- `kubectl set image deploy/web web=nginx:1.27`
]

<!-- check
id: web-image   # the image was changed
expect:
- kind: deploy
  name: web
  where:
  - spec.template.spec.containers[0].image == nginx:1.27
  - metadata.labels["app"] == web
-->

---

## Flow style

.exercise[
- `kubectl get pods`
]

<!-- check {id: flow-id, expect: [{kind: pods, where: ['spec.containers[0].name exists']}]} -->
"#;

#[test]
fn checks_split_by_the_lexer_are_still_found_with_their_ids() {
    let (_dir, manifest) = deck_with(SPLIT_BY_THE_LEXER);
    let deck = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let (ex, diags) = exercise::extract(&deck);
    assert!(diags.is_empty(), "{diags:?}");
    assert_eq!(ex.len(), 2);
    assert_eq!(
        ex[0].id, "web-image",
        "id from the parsed YAML, comment dropped"
    );
    let check = ex[0].check.as_ref().expect("the check is found");
    assert_eq!(check.line, 11);
    assert!(
        check.yaml.contains("containers[0].image == nginx:1.27"),
        "{}",
        check.yaml
    );
    assert!(check.yaml.contains("metadata.labels[\"app\"] == web"));
    let parsed = labdeck::check::spec::parse(check).expect("parses");
    assert_eq!(parsed.expect[0].r#where.len(), 2);
    assert_eq!(ex[1].id, "flow-id");
    let flow = labdeck::check::spec::parse(ex[1].check.as_ref().unwrap()).expect("parses");
    assert_eq!(flow.id.as_deref(), Some("flow-id"));
}

#[test]
fn a_check_comment_that_is_not_a_check_is_an_error_with_its_line() {
    let chapter = "# T\n\n---\n\n.exercise[\n- a\n]\n\n```markdown\n<!-- check\n- kind: shown-in-a-code-block\n-->\n```\n\n???\n\n<!-- check\n- kind: pods\n-->\n\n---\n\n.exercise[\n- b\n]\n\n<!-- check\n- kind: pods\n";
    let (_dir, manifest) = deck_with(chapter);
    let deck = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let (ex, diags) = exercise::extract(&deck);
    let found: Vec<_> = diags.iter().map(|d| (d.code, d.location.line)).collect();
    assert_eq!(found, [("lost-check", 17), ("lost-check", 27)], "{diags:?}");
    assert!(diags[0].message.contains("speaker notes"));
    assert!(diags[1].message.contains("no closing `-->`"));
    // A check shown in a code block is text on the slide, not a check.
    assert!(ex[0].check.is_none());
    assert!(exercise::extract_strict(&deck).is_err());
}

/// `run` types what the slide shows: a fence in a list item is outdented by
/// remark's Markdown library, so the command is the outdented text (the
/// same text the rendered HTML holds), not the Markdown source.
#[test]
fn commands_are_the_text_the_slide_shows() {
    let chapter = "# T\n\n.exercise[\n\n- Create:\n  ```bash\n  kubectl apply -f - <<EOF\n  metadata:\n    name: demo\n  EOF\n  ```\n\n]\n";
    let (dir, manifest) = deck_with(chapter);
    let deck = deck::load_strict(&manifest, &LoadOptions::default()).unwrap();
    let (ex, _) = exercise::extract(&deck);
    assert_eq!(ex.len(), 1);
    let text = &ex[0].commands[0].text;
    assert_eq!(text, "kubectl apply -f - <<EOF\nmetadata:\nname: demo\nEOF");
    assert_eq!(ex[0].commands[0].line, 6);
    let plan = labdeck::run::plan::plan(&ex);
    let typed: Vec<String> = plan[0]
        .actions
        .iter()
        .filter_map(|a| match a {
            labdeck::run::plan::Action::Type { text, .. } => Some(text.clone()),
            _ => None,
        })
        .collect();
    assert!(typed.concat().contains("\nname: demo"), "{typed:?}");
    // The rendered slide shows the same lines.
    let builder = labdeck::build::Builder::new(labdeck::build::BuildOptions {
        out_dir: dir.path().join("out"),
        ..Default::default()
    })
    .unwrap();
    let (_, page) = builder.render(&manifest).unwrap();
    // Slides ship as text in the page's slides script (src/render/page.rs).
    let slides_html: String = labdeck::render::page::slide_fields(&page.html)
        .unwrap()
        .into_iter()
        .map(|[_, _, inner, _]| labdeck::render::page::script_text_decode(&inner))
        .collect();
    let shown: Vec<String> = slides_html
        .split("<div class=\"remark-code-line\">")
        .skip(1)
        .map(|l| {
            let line = &l[..l.find("</div>").unwrap()];
            let mut text = String::new();
            let mut in_tag = false;
            for c in line.chars() {
                match c {
                    '<' => in_tag = true,
                    '>' => in_tag = false,
                    c if !in_tag => text.push(c),
                    _ => {}
                }
            }
            text
        })
        .collect();
    assert!(
        shown.iter().any(|l| l == "name: demo"),
        "the slide shows the line at column 0: {shown:?}"
    );
}
