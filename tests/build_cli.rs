//! `labdeck build` as a user runs it: output files, and one clear error with
//! file:line (and no output file) for each kind of bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    /// A repository with `slides/deck.yml` listing `slides/ch.md`.
    fn new(manifest: &str, chapter: &[u8]) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let slides = dir.path().join("slides");
        std::fs::create_dir_all(slides.join("images")).unwrap();
        std::fs::write(slides.join("deck.yml"), manifest).unwrap();
        std::fs::write(slides.join("ch.md"), chapter).unwrap();
        std::fs::write(slides.join("images/a.png"), b"png").unwrap();
        std::fs::create_dir_all(dir.path().join("k8s")).unwrap();
        std::fs::write(dir.path().join("k8s/pod.yaml"), "kind: Pod\n").unwrap();
        Repo { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn build(&self, out: &Path) -> Output {
        Command::new(env!("CARGO_BIN_EXE_labdeck"))
            .arg("build")
            .arg(self.path("slides/deck.yml"))
            .arg("--out")
            .arg(out)
            .output()
            .unwrap()
    }
}

const MANIFEST: &str = "title: Test deck\ncontent:\n- - ch.md\n";

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn assert_fails_with(o: &Output, file: &str, line: usize, words: &str) {
    assert!(!o.status.success(), "should fail");
    let err = stderr(o);
    assert_eq!(err.lines().count(), 1, "one error line: {err}");
    assert!(err.contains(&format!("{file}:{line}")), "{err}");
    assert!(err.contains(words), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn builds_html_and_copies_images() {
    let repo = Repo::new(
        MANIFEST,
        b"# Chapter\n\n---\n\n## Slide\n\n![pic](images/a.png)\n\n```yaml\n@@INCLUDE[k8s/pod.yaml]\n```\n",
    );
    let out = repo.path("public");
    let o = repo.build(&out);
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("deck.html")).unwrap();
    assert!(html.contains("remark-slides-area"));
    let html = labdeck::render::page::script_text_decode(&html);
    assert!(html.contains("kind: Pod") || html.contains("kind</span>"));
    assert_eq!(std::fs::read(out.join("images/a.png")).unwrap(), b"png");
    assert!(String::from_utf8_lossy(&o.stdout).contains("deck.html"));
}

#[test]
fn yaml_that_does_not_parse_names_its_line() {
    let repo = Repo::new("title: x\ncontent:\n- ch.md\n  - : [oops\n", b"# C\n");
    let out = repo.path("public");
    let o = repo.build(&out);
    assert_fails_with(&o, "deck.yml", 4, "YAML");
    assert!(!out.join("deck.html").exists());
}

#[test]
fn missing_chapter_names_the_manifest_entry() {
    let repo = Repo::new("title: x\ncontent:\n- ch.md\n- - nope.md\n", b"# C\n");
    let o = repo.build(&repo.path("public"));
    assert_fails_with(&o, "deck.yml", 4, "nope.md");
    assert!(!repo.path("public/deck.html").exists());
}

#[test]
fn include_outside_the_root_is_refused() {
    let repo = Repo::new(MANIFEST, b"# C\n\n@@INCLUDE[../../etc/passwd]\n");
    let o = repo.build(&repo.path("public"));
    assert_fails_with(&o, "ch.md", 3, "outside the repository root");
}

#[test]
fn unclosed_class_names_where_it_opened() {
    let repo = Repo::new(
        MANIFEST,
        b"# C\n\n---\n\n.exercise[\n- do it\n\n---\n\nnext\n",
    );
    let o = repo.build(&repo.path("public"));
    assert_fails_with(&o, "ch.md", 5, ".exercise[");
}

#[test]
fn chapter_that_is_not_utf8_names_the_line() {
    let repo = Repo::new(MANIFEST, b"# C\n\nfine\ncaf\xe9\n");
    let o = repo.build(&repo.path("public"));
    assert_fails_with(&o, "ch.md", 4, "UTF-8");
}

#[test]
fn unwritable_output_leaves_nothing_and_keeps_the_old_file() {
    let repo = Repo::new(MANIFEST, b"# C\n");
    // A file where the output folder should be: nothing can be written.
    let blocked = repo.path("blocked");
    std::fs::write(&blocked, "not a folder").unwrap();
    let o = repo.build(&blocked);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("blocked"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(&blocked).unwrap(), "not a folder");

    // A failed rebuild does not touch the previous good output.
    let out = repo.path("public");
    assert!(repo.build(&out).status.success());
    let good = std::fs::read_to_string(out.join("deck.html")).unwrap();
    std::fs::write(repo.path("slides/ch.md"), b".broken[\n").unwrap();
    assert!(!repo.build(&out).status.success());
    assert_eq!(
        std::fs::read_to_string(out.join("deck.html")).unwrap(),
        good
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".labdeck-"))
        .collect();
    assert!(leftovers.is_empty());
}

#[test]
fn several_decks_in_one_call() {
    let repo = Repo::new(MANIFEST, b"# C\n\nx\n");
    std::fs::write(repo.path("slides/other.yml"), MANIFEST).unwrap();
    let out = repo.path("public");
    let o = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .arg("build")
        .arg(repo.path("slides/deck.yml"))
        .arg(repo.path("slides/other.yml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(out.join("deck.html").exists() && out.join("other.html").exists());
}

/// A `--templates` deck.html works when it puts the slides where the
/// runtime reads them, and fails with one clear error otherwise (no page
/// without slides written).
#[test]
fn deck_html_overrides_keep_the_slides_script() {
    let repo = Repo::new("title: Deck\ncontent:\n- ch.md\n", b"# One\n---\n# Two\n");
    let templates = repo.path("tpl");
    std::fs::create_dir_all(&templates).unwrap();
    let out = repo.path("public");
    let build = |deck_html: &str| {
        std::fs::write(templates.join("deck.html"), deck_html).unwrap();
        let _ = std::fs::remove_dir_all(&out);
        Command::new(env!("CARGO_BIN_EXE_labdeck"))
            .arg("build")
            .arg(repo.path("slides/deck.yml"))
            .args(["--out".as_ref(), out.as_os_str()])
            .args(["--templates".as_ref(), templates.as_os_str()])
            .output()
            .unwrap()
    };
    // A page of one's own, with the built-in script included by name.
    let o = build(
        "<!DOCTYPE html><title>{{ title }} ({{ slide_count }})</title><main class=\"mine\"></main>\n<script type=\"application/json\" id=\"labdeck-options\">{{ remark.runtime_json }}</script>\n<script type=\"text/x-labdeck-slides\">{{ slides_text }}</script>\n<script>{% include \"runtime.js\" %}</script>\n",
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("deck.html")).unwrap();
    assert!(
        html.contains("<title>Deck (2)</title><main class=\"mine\">"),
        "{html}"
    );
    assert!(
        html.contains(
            "<script type=\"text/x-labdeck-slides\"><\\-<\\-<div class=\"remark-slide-scaler\">"
        ),
        "{html}"
    );
    assert!(html.contains("<h1 id=\"two\">Two<\\/h1>"), "{html}");
    // Each slide's footer names the file from the repository root (the
    // manifest was given as an absolute path) and the line the slide is
    // written on (slide 2: past its `---`, line 3).
    assert!(
        html.contains(
            "class=\"debug\">slides/ch.md:1<\\/div><div class=\"remark-slide-number\">1/2"
        ),
        "{html}"
    );
    assert!(
        html.contains(
            "class=\"debug\">slides/ch.md:3<\\/div><div class=\"remark-slide-number\">2/2"
        ),
        "{html}"
    );
    // The built-in runtime, not a placeholder.
    assert!(html.contains(&include_str!("../templates/runtime.js")[..200]));
    assert!(!html.contains('\0'));

    // Slides shown elsewhere than in the slides script: refused.
    let o = build("<!DOCTYPE html><div>{{ slides_text }}</div>");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("deck.html must show `{{ slides_text }}` once, right inside `<script type=\"text/x-labdeck-slides\">"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("deck.html").exists());

    // A deck.html of the older shape (one <template> per slide) names what
    // a deck.html is given.
    let o = build("{% for slide in slides %}<template>{{ slide.html }}</template>{% endfor %}");
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("deck.html is given title, total, styles"),
        "{}",
        stderr(&o)
    );
    assert!(!out.join("deck.html").exists());
}

#[test]
fn stylesheets_templates_overrides_and_build_info() {
    let repo = Repo::new(
        "title: Deck\nchat: none\ncss:\n- extra.css\ncontent:\n- - ch.md\n",
        b"# C\n\nChat: @@CHAT@@\n",
    );
    std::fs::write(repo.path("slides/extra.css"), ".from-manifest{}").unwrap();
    std::fs::write(repo.path("cli.css"), ".from-cli{}").unwrap();
    let templates = repo.path("tpl");
    std::fs::create_dir_all(&templates).unwrap();
    std::fs::write(templates.join("theme.css"), ".my-theme{}").unwrap();
    let out = repo.path("public");
    let o = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .arg("build")
        .arg(repo.path("slides/deck.yml"))
        .args(["--out".as_ref(), out.as_os_str()])
        .args(["--css".as_ref(), repo.path("cli.css").as_os_str()])
        .args(["--templates".as_ref(), templates.as_os_str()])
        .env("OVERRIDE_chat", "#room")
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let html = std::fs::read_to_string(out.join("deck.html")).unwrap();
    for needle in [
        ".from-manifest{}",
        ".from-cli{}",
        ".my-theme{}",
        "Chat: #room",
    ] {
        assert!(html.contains(needle), "missing {needle}");
    }
    // Not a git work tree: no build information.
    assert!(!html.contains("built from commit"));

    // In a git work tree, the first footer names the commit.
    let git = |args: &[&str]| {
        Command::new("git")
            .current_dir(repo.dir.path())
            .args(args)
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    };
    if git(&["init", "-q"])
        && git(&[
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ])
    {
        let o = repo.build(&out);
        assert!(o.status.success());
        let html = std::fs::read_to_string(out.join("deck.html")).unwrap();
        let (start, end) = labdeck::render::page::slides_script_span(&html).unwrap();
        assert_eq!(html[start..end].matches("built from commit").count(), 1);
    }
}

#[test]
fn a_deck_knows_every_file_it_is_made_from() {
    let repo = Repo::new(
        "title: T\ncss: [x.css]\ncontent:\n- - ch.md\n",
        b"# C\n\n```yaml\n@@INCLUDE[k8s/pod.yaml]\n```\n",
    );
    let deck = labdeck::deck::load(&repo.path("slides/deck.yml"), &Default::default()).unwrap();
    let inputs = deck.inputs();
    for f in [
        "slides/deck.yml",
        "slides/ch.md",
        "slides/x.css",
        "slides/interstitials.txt",
    ] {
        assert!(inputs.contains(&repo.path(f)), "{f} in {inputs:?}");
    }
    assert!(
        inputs.iter().any(|p| p.ends_with("k8s/pod.yaml")),
        "{inputs:?}"
    );
}

#[test]
fn a_chapter_alone_finds_the_repository_root() {
    let repo = Repo::new(MANIFEST, b"# C\n");
    let sub = repo.path("slides/k8s");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::write(
        sub.join("alone.md"),
        "# A\n\n```yaml\n@@INCLUDE[k8s/pod.yaml]\n```\n",
    )
    .unwrap();
    let deck = labdeck::deck::load(&sub.join("alone.md"), &Default::default()).unwrap();
    assert!(
        deck.diagnostics.iter().all(|d| !d.is_error()),
        "{:?}",
        deck.diagnostics
    );
    assert!(deck.includes.iter().any(|p| p.ends_with("k8s/pod.yaml")));
}
