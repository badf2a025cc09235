//! Decks that `build` used to publish broken with exit 0 (issue 26), one
//! test per kind: an image outside the deck's folder, an image written
//! with `%20`, an include loop, a Marp deck, a Slidev deck, and content cut
//! off at the deck's ratio (measured in Chromium by `lint --render`). Each
//! is a build error or a lint finding at file:line, never a silent page.
//!
//! Its own harness (libtest-mimic): the tests that need Chromium are
//! reported as *ignored* when it is not installed, never as passed, and
//! fail when LABDECK_REQUIRE_BROWSER=1 (CI) asks for it.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};

/// A 1x1 PNG (a real image: the browser test checks it loads).
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0xf0,
    0x1f, 0x00, 0x05, 0x00, 0x01, 0xff, 0x89, 0x99, 0x3d, 0x1d, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4e, 0x44, 0xae, 0x42, 0x60, 0x82,
];

/// A repository: `slides/deck.yml` listing `slides/ch.md`.
struct Repo {
    dir: tempfile::TempDir,
}

impl Repo {
    fn new(chapter: &str) -> Repo {
        let dir = tempfile::tempdir().unwrap();
        let slides = dir.path().join("slides");
        std::fs::create_dir_all(slides.join("images")).unwrap();
        std::fs::write(slides.join("deck.yml"), "title: T\ncontent:\n- ch.md\n").unwrap();
        std::fs::write(slides.join("ch.md"), chapter).unwrap();
        Repo { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn write(&self, p: &str, bytes: &[u8]) {
        let path = self.path(p);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, bytes).unwrap();
    }

    fn labdeck(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_labdeck"))
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    fn build(&self, deck: &str) -> Output {
        self.labdeck(&["build", deck, "--out", "public"])
    }
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Fails (exit status not 0), with `words` in its output and no page written.
fn refused(repo: &Repo, o: &Output, words: &[&str]) {
    let all = text(o);
    assert!(!o.status.success(), "should fail: {all}");
    for w in words {
        assert!(all.contains(w), "{w:?} not in: {all}");
    }
    assert!(!all.contains("panicked"), "{all}");
    assert!(
        !repo.path("public").join("deck.html").exists()
            && !repo.path("public").join("ch.html").exists(),
        "a page was written"
    );
}

// ---------- images ----------

fn image_outside_the_deck_folder_is_refused() {
    let repo = Repo::new("# C\n\n---\n\n## Pic\n\n![x](../images/a.png)\n");
    repo.write("images/a.png", PNG);
    let o = repo.build("slides/deck.yml");
    refused(
        &repo,
        &o,
        &[
            "slides/ch.md:7",
            "outside the deck's folder",
            "move the image",
        ],
    );
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(
        text(&o).contains("slides/ch.md:7:") && text(&o).contains("[image-outside-deck]"),
        "{}",
        text(&o)
    );
    // Outside the repository root it stays the gate's refusal.
    let repo = Repo::new("# C\n\n![x](../../secret.png)\n");
    let o = repo.build("slides/deck.yml");
    refused(&repo, &o, &["slides/ch.md:3"]);
}

fn percent_encoded_image_is_copied_and_keeps_its_url() {
    let repo = Repo::new("# C\n\n![x](images/a%20b.png)\n\n<img src=\"images/c%20d.png\">\n");
    repo.write("slides/images/a b.png", PNG);
    repo.write("slides/images/c d.png", PNG);
    let o = repo.build("slides/deck.yml");
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(
        std::fs::read(repo.path("public/images/a b.png")).unwrap(),
        PNG
    );
    assert_eq!(
        std::fs::read(repo.path("public/images/c d.png")).unwrap(),
        PNG
    );
    let html = std::fs::read_to_string(repo.path("public/deck.html")).unwrap();
    assert!(html.contains("images/a%20b.png"), "the URL is kept");
    // lint finds the file the browser loads.
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert!(o.status.success(), "{}", text(&o));
    // A `%20` name whose file is missing is still missing.
    repo.write("slides/ch.md", b"# C\n\n![x](images/no%20such.png)\n");
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert!(text(&o).contains("[missing-image]"), "{}", text(&o));
}

/// The built page shows the `%20` image: Chromium loads it from the
/// output folder (naturalWidth 1).
fn percent_encoded_image_loads_in_the_browser(chromium: &Path) {
    let repo = Repo::new("# C\n\n![x](images/a%20b.png)\n");
    repo.write("slides/images/a b.png", PNG);
    let o = repo.build("slides/deck.yml");
    assert!(o.status.success(), "{}", text(&o));
    let page = repo.path("public/deck.html");
    let html = std::fs::read_to_string(&page).unwrap().replace(
        "</body>",
        "<script>window.addEventListener('load', function () { document.documentElement.setAttribute('data-loaded', Array.prototype.map.call(document.images, function (i) { return i.getAttribute('src') + '=' + i.naturalWidth; }).join(' ')); });</script></body>",
    );
    std::fs::write(&page, html).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(chromium)
        .args(labdeck::pdf::HEADLESS_FLAGS)
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg("--dump-dom")
        .arg(format!("file://{}?print", page.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&out.stdout);
    assert!(
        dom.contains("data-loaded=\"images/a%20b.png=1\""),
        "{}",
        &dom[..dom.len().min(400)]
    );
}

// ---------- includes ----------

fn include_loop_is_an_error_naming_the_chain() {
    let repo = Repo::new("# C\n\n@@INCLUDE[slides/b.md]\n");
    repo.write("slides/b.md", b"b\n\n@@INCLUDE[slides/c.md]\n");
    repo.write("slides/c.md", b"c\n@@INCLUDE[slides/b.md]\n");
    let o = repo.build("slides/deck.yml");
    refused(
        &repo,
        &o,
        &[
            "slides/c.md:2",
            "slides/ch.md:3 @@INCLUDE[slides/b.md] -> slides/b.md:3 @@INCLUDE[slides/c.md] -> slides/c.md:2 @@INCLUDE[slides/b.md]",
        ],
    );
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("[include-loop]"), "{}", text(&o));
    // A file included by an included file is expanded, not left on the
    // slide as `@@INCLUDE[...]` text.
    repo.write("slides/c.md", b"from c\n");
    let o = repo.build("slides/deck.yml");
    assert!(o.status.success(), "{}", text(&o));
    let html = labdeck::render::page::script_text_decode(
        &std::fs::read_to_string(repo.path("public/deck.html")).unwrap(),
    );
    assert!(html.contains("from c"), "nested include expanded");
    assert!(!html.contains("@@INCLUDE"), "no macro left on a slide");
}

// ---------- other tools' decks ----------

const MARP: &str = "---\nmarp: true\ntheme: gaia\npaginate: true\n---\n\n<!-- _class: lead -->\n# Hello\n\n---\n\n# Second\n";
const SLIDEV: &str = "---\ntheme: seriph\ntitle: Welcome\ntransition: slide-left\n---\n\n# Welcome\n\n---\nlayout: center\n---\n\n# Centred\n";

fn marp_deck_says_what_it_is() {
    let repo = Repo::new("# C\n");
    repo.write("talk.md", MARP.as_bytes());
    let o = repo.labdeck(&["build", "talk.md", "--out", "public"]);
    refused(
        &repo,
        &o,
        &["talk.md:2", "Marp deck", "`marp: true`", "marp-cli"],
    );
    assert!(!repo.path("public/talk.html").exists());
    let o = repo.labdeck(&["lint", "talk.md"]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("[foreign-deck]"), "{}", text(&o));
    // Directives in comments alone give it away too.
    repo.write(
        "talk.md",
        b"# Title\n\n---\n\n<!-- _class: invert -->\n# Dark\n",
    );
    let o = repo.labdeck(&["build", "talk.md", "--out", "public"]);
    refused(&repo, &o, &["talk.md:5", "Marp deck"]);
}

fn slidev_deck_says_what_it_is() {
    let repo = Repo::new("# C\n");
    repo.write("slides.md", SLIDEV.as_bytes());
    let o = repo.labdeck(&["build", "slides.md", "--out", "public"]);
    refused(
        &repo,
        &o,
        &[
            "slides.md:4",
            "Slidev deck",
            "transition: slide-left",
            "slidev build",
        ],
    );
    assert!(!repo.path("public/slides.html").exists());
    // Listed in a manifest, too.
    repo.write("slides/ch.md", SLIDEV.as_bytes());
    let o = repo.build("slides/deck.yml");
    refused(&repo, &o, &["slides/ch.md:4", "Slidev deck"]);
}

// ---------- overflow, measured in Chromium ----------

/// The sample deck shows everything it holds at its ratio.
fn sample_deck_has_no_overflow(_: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "lint",
            "--render",
            "--format",
            "json",
            "slides/labdeck-sample.yml",
        ])
        .current_dir(root)
        .output()
        .unwrap();
    let out = text(&o);
    assert!(!out.contains("\"overflow\""), "{out}");
    assert!(o.status.success(), "{out}");
}

/// A slide taller than its box is reported at its line with its px: an
/// 800 px tall SVG starting below the 20 px top padding and the 20 px top
/// margin of its paragraph ends at 840 px, 159 px past a 681 px slide.
fn overflowing_slide_is_reported_with_its_px(_: &Path) {
    let repo = Repo::new("# C\n\n---\n\n<svg width=\"100\" height=\"800\"></svg>\n\n---\n\nfits\n");
    let o = repo.labdeck(&["lint", "--render", "slides/deck.yml"]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("[overflow]"))
        .unwrap_or_else(|| panic!("no overflow finding: {out}"));
    assert!(line.contains("slides/ch.md:5:"), "{line}");
    assert!(line.contains("slide 2 (#2)"), "{line}");
    assert!(line.contains("159 px at the bottom"), "{line}");
    assert!(line.contains("1210x681 px slide (16:9"), "{line}");
    assert_eq!(out.matches("[overflow]").count(), 1, "{out}");
    // Without --render, no browser and no such finding.
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert!(o.status.success(), "{}", text(&o));
}

/// A test that needs nothing but labdeck.
type Plain = fn();
/// A test that needs Chromium (given its path).
type InBrowser = fn(&Path);

fn main() {
    let args = Arguments::from_args();
    let chromium = labdeck::pdf::find_chromium();
    let required = std::env::var("LABDECK_REQUIRE_BROWSER").as_deref() == Ok("1");
    if chromium.is_none() {
        if required {
            eprintln!(
                "publish_breakage: Chromium is required (LABDECK_REQUIRE_BROWSER=1) but not installed"
            );
            std::process::exit(1);
        }
        eprintln!(
            "!!! publish_breakage: Chromium not installed: its browser tests are reported as ignored (apt-get install chromium)"
        );
    }
    let plain: [(&str, Plain); 6] = [
        (
            "image_outside_the_deck_folder_is_refused",
            image_outside_the_deck_folder_is_refused,
        ),
        (
            "percent_encoded_image_is_copied_and_keeps_its_url",
            percent_encoded_image_is_copied_and_keeps_its_url,
        ),
        (
            "include_loop_is_an_error_naming_the_chain",
            include_loop_is_an_error_naming_the_chain,
        ),
        ("marp_deck_says_what_it_is", marp_deck_says_what_it_is),
        ("slidev_deck_says_what_it_is", slidev_deck_says_what_it_is),
        (
            "no_overflow_finding_without_render",
            no_overflow_finding_without_render,
        ),
    ];
    let browser: [(&str, InBrowser); 3] = [
        (
            "percent_encoded_image_loads_in_the_browser",
            percent_encoded_image_loads_in_the_browser,
        ),
        ("sample_deck_has_no_overflow", sample_deck_has_no_overflow),
        (
            "overflowing_slide_is_reported_with_its_px",
            overflowing_slide_is_reported_with_its_px,
        ),
    ];
    let mut trials: Vec<Trial> = plain
        .into_iter()
        .map(|(name, f)| Trial::test(name, move || caught(f)))
        .collect();
    for (name, f) in browser {
        let chromium = chromium.clone();
        let ignored = chromium.is_none();
        trials.push(
            Trial::test(name, move || match &chromium {
                Some(c) => caught(|| f(c)),
                None => Err("Chromium not installed".into()),
            })
            .with_ignored_flag(ignored),
        );
    }
    libtest_mimic::run(&args, trials).exit();
}

/// A lint of a deck that overflows, without `--render`: silent.
fn no_overflow_finding_without_render() {
    let repo = Repo::new("# C\n\n<svg width=\"100\" height=\"800\"></svg>\n");
    let o = repo.labdeck(&["lint", "slides/deck.yml"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("overflow"), "{}", text(&o));
}

/// A test's panic as its failure.
fn caught(f: impl FnOnce() + std::panic::UnwindSafe) -> Result<(), Failed> {
    std::panic::catch_unwind(f).map_err(|e| {
        let message = e
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| e.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Failed::from(message)
    })
}
