//! Lint of code blocks whose rendered text differs from their source
//! (`src/lint/shown.rs`): each rule on a deck holding its defect, and
//! none on the intended uses of the same syntax.

use std::path::PathBuf;

use labdeck::deck::LoadOptions;
use labdeck::diagnostic::Diagnostic;
use labdeck::lint::lint_decks;

fn lint(chapter: &str) -> (tempfile::TempDir, Vec<Diagnostic>) {
    let dir = tempfile::tempdir().unwrap();
    let slides = dir.path().join("slides");
    std::fs::create_dir_all(&slides).unwrap();
    std::fs::write(slides.join("c.md"), chapter).unwrap();
    let manifest: PathBuf = slides.join("deck.yml");
    std::fs::write(&manifest, "title: T\ncontent:\n- c.md\n").unwrap();
    let all = lint_decks(&[manifest], &LoadOptions::default());
    (dir, all)
}

fn found(all: &[Diagnostic]) -> Vec<(&'static str, usize)> {
    let mut v: Vec<_> = all
        .iter()
        .filter(|d| d.location.file.ends_with("c.md"))
        .map(|d| (d.code, d.location.line))
        .collect();
    v.sort();
    v
}

#[test]
fn rendering_changes_are_found_at_their_line() {
    let chapter = "# Shown\n\n\
- Apply:\n  ```bash\n  kubectl apply -f - <<EOF\n  metadata:\n    name: x\n  EOF\n  ```\n\n\
- Broken:\n  ```bash\n  kubectl create -f - <<EOF\n  a: [1\n  EOF\n  ```\n\n\
- Script:\n  ```bash\n  cat > x.py <<EOF\n  if x:\n      y()\n  EOF\n  ```\n\n\
```bash\nkill `cat /tmp/pid`\n* kubectl get pods\n```\n\n\
- YAML:\n  ```yaml\n  a:\n    b: 1\n  ```\n";
    let (_d, all) = lint(chapter);
    assert_eq!(
        found(&all),
        [
            ("backticks-stripped", 27),
            ("highlight-marker", 28),
            ("indentation-lost", 22),
            ("invalid-yaml", 14),
            ("yaml-changed", 6),
            ("yaml-changed", 33),
        ],
        "{all:#?}"
    );
}

#[test]
fn intended_highlights_and_illustrations_are_not_reported() {
    let chapter = "# Fine\n\n\
```bash\ncurl http://`X.X.X.X`:8080\nssh `user`@`A.B.C.D`\n```\n\n\
```yaml\n- host: cheddar.`A.B.C.D`.nip.io\n```\n\n\
```yaml\napiVersion: xxx\n  (more fields here)\n```\n\n\
- Indented as a whole:\n  ```yaml\n      env:\n      - name: A\n        value: b\n  ```\n\n\
- Continuation lines:\n  ```bash\n  TOKEN=$(kubectl get secret \\\n          | jq -r .data.token)\n  ```\n";
    let (_d, all) = lint(chapter);
    assert_eq!(found(&all), [], "{all:#?}");
}

/// Lint sees the text labdeck generates (table of contents, part title
/// slides, manifest values put in by `@@` macros), reported at the written
/// line that caused it.
#[test]
fn generated_text_is_linted() {
    let dir = tempfile::tempdir().unwrap();
    let slides = dir.path().join("slides");
    std::fs::create_dir_all(&slides).unwrap();
    std::fs::write(slides.join("title.md"), "class: title\n\n@@TITLE@@\n").unwrap();
    std::fs::write(slides.join("toc.md"), "## Contents\n\n@@TOC@@\n").unwrap();
    std::fs::write(slides.join("a.md"), "# Alpha\n\ntext\n").unwrap();
    std::fs::write(slides.join("b.md"), "# Beta\n\ntext\n").unwrap();
    let manifest = slides.join("deck.yml");
    std::fs::write(
        &manifest,
        "title: |\n  Kubernetes:\n  Labels\ncontent:\n- title.md\n- toc.md\n- - a.md\n- - b.md\n",
    )
    .unwrap();
    let all = lint_decks(std::slice::from_ref(&manifest), &LoadOptions::default());
    let got: Vec<(&str, String, usize)> = all
        .iter()
        .map(|d| {
            (
                d.code,
                d.location
                    .file
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
                d.location.line,
            )
        })
        .collect();
    // The title line is eaten as a property `Kubernetes:`.
    assert!(
        got.contains(&("eaten-property", "title.md".into(), 3)),
        "{all:#?}"
    );
    // `name: toc-part-1` after the heading is late, so the part slides'
    // "Back to table of contents" links go nowhere.
    assert!(
        got.contains(&("late-property", "toc.md".into(), 3)),
        "{all:#?}"
    );
    let dangling: Vec<&Diagnostic> = all.iter().filter(|d| d.code == "dangling-link").collect();
    assert!(
        dangling
            .iter()
            .any(|d| d.message.contains("#toc-part-1") && d.message.contains("generated")),
        "{all:#?}"
    );
    // No generated link to `#toc-` (first "Previous part", last "Next part").
    assert!(
        all.iter().all(|d| !d.message.contains("`#toc-`")),
        "{all:#?}"
    );

    // Fixed: a title without `word:` first, the macro first on its slide.
    std::fs::write(
        &manifest,
        "title: Kubernetes labels\ncontent:\n- title.md\n- toc.md\n- - a.md\n- - b.md\n",
    )
    .unwrap();
    std::fs::write(slides.join("toc.md"), "@@TOC@@\n").unwrap();
    let all = lint_decks(&[manifest], &LoadOptions::default());
    assert_eq!(all, [], "{all:#?}");
}
