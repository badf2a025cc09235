//! Deck CI under hostile input (docs/security.md, "Deck CI"): a deck from a
//! stranger's pull request, built and linted by the deck repository's CI,
//! must not publish a file from outside the repository, hang on a FIFO or
//! read a device. Each test builds the hostile deck in a temporary folder
//! and is named after the hole it closes.

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SECRET: &str = "TOKEN-SECRET-0123";

/// `<tmp>/outside/secret.*` (what must never be published) and the
/// repository `<tmp>/repo`, whose deck is `slides/deck.yml`.
struct Hostile {
    dir: tempfile::TempDir,
}

impl Hostile {
    fn new(manifest: &str, chapter: &str) -> Hostile {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        for name in ["secret", "secret.css", "secret.png"] {
            std::fs::write(outside.join(name), SECRET).unwrap();
        }
        let slides = dir.path().join("repo/slides");
        std::fs::create_dir_all(&slides).unwrap();
        std::fs::write(slides.join("deck.yml"), manifest).unwrap();
        std::fs::write(slides.join("ch.md"), chapter).unwrap();
        Hostile { dir }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    fn write(&self, p: &str, text: &str) {
        std::fs::write(self.path(p), text).unwrap();
    }

    fn fifo(&self, p: &str) {
        let path = self.path(p);
        let ok = Command::new("mkfifo").arg(&path).status().unwrap();
        assert!(ok.success());
    }

    fn build(&self, deck: &str) -> Output {
        labdeck(&[
            "build",
            self.path(deck).to_str().unwrap(),
            "--out",
            self.path("public").to_str().unwrap(),
        ])
    }

    fn lint(&self, deck: &str) -> Output {
        labdeck(&["lint", self.path(deck).to_str().unwrap()])
    }

    /// Whether any file written under `public/` holds the secret.
    fn published_secret(&self) -> bool {
        let mut stack = vec![self.path("public")];
        while let Some(d) = stack.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in entries.flatten() {
                let p = e.path();
                if p.is_dir() {
                    stack.push(p);
                } else if std::fs::read(&p)
                    .is_ok_and(|b| String::from_utf8_lossy(&b).contains(SECRET))
                {
                    return true;
                }
            }
        }
        false
    }
}

/// Runs labdeck, failing the test (not hanging it) past 60 s.
fn labdeck(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > Duration::from_secs(60) {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("labdeck {args:?} hung for 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The build failed with one error naming `file:line` and the rule, and
/// wrote nothing holding the secret.
fn refused(h: &Hostile, o: &Output, at: &str, words: &str) {
    let err = stderr(o);
    assert!(!o.status.success(), "should fail: {err}");
    assert!(err.contains(at), "{err}");
    assert!(err.contains(words), "{err}");
    assert!(
        err.contains("outside the repository root")
            && err.contains("files a deck names must stay inside it"),
        "{err}"
    );
    assert!(!err.contains("panicked"), "{err}");
    assert!(!h.published_secret(), "the secret was published");
    assert!(!h.path("public/deck.html").exists());
}

/// Lint exits 1 and its first finding is `code` at `at`.
fn lint_reports_first(h: &Hostile, deck: &str, at: &str, code: &str) {
    let o = h.lint(deck);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", stderr(&o));
    let first = out.lines().next().unwrap_or_default();
    assert!(first.contains(at) && first.contains(code), "{out}");
}

const CHAPTER: &str = "# Title\n\nText\n";

#[test]
fn css_relative_path_outside_the_repository_is_not_published() {
    // Both before: read and copied into the page, exit 0, lint silent.
    let h = Hostile::new(
        "title: T\ncontent:\n- ch.md\ncss:\n- ../../outside/secret.css\n",
        "# Title\n\n[x](#nope)\n",
    );
    refused(
        &h,
        &h.build("repo/slides/deck.yml"),
        "deck.yml:5",
        "css `../../outside/secret.css`",
    );
    // Reported first, before the dangling link of line 3 of ch.md.
    lint_reports_first(&h, "repo/slides/deck.yml", "deck.yml:5", "css-outside-root");
}

#[test]
fn css_absolute_path_outside_the_repository_is_not_published() {
    let h = Hostile::new("title: T\ncontent:\n- ch.md\n", CHAPTER);
    let secret = h.path("outside/secret.css");
    h.write(
        "repo/slides/deck.yml",
        &format!("title: T\ncss: [{}]\ncontent:\n- ch.md\n", secret.display()),
    );
    refused(&h, &h.build("repo/slides/deck.yml"), "deck.yml:2", "css `");
    lint_reports_first(&h, "repo/slides/deck.yml", "deck.yml:2", "css-outside-root");
}

#[test]
fn stylesheet_url_outside_the_repository_is_not_published() {
    let h = Hostile::new("title: T\ncss:\n- theme.css\ncontent:\n- ch.md\n", CHAPTER);
    h.write(
        "repo/slides/theme.css",
        ".a { background: url(../../outside/secret.png) }\n@import url('../../outside/secret.css');\n",
    );
    refused(
        &h,
        &h.build("repo/slides/deck.yml"),
        "deck.yml:3",
        "css `theme.css`: url(",
    );
    lint_reports_first(&h, "repo/slides/deck.yml", "deck.yml:3", "css-outside-root");
    // Inside the repository (beside the deck's folder) is fine.
    std::fs::create_dir_all(h.path("repo/shared")).unwrap();
    h.write("repo/shared/bg.png", "png");
    h.write(
        "repo/slides/theme.css",
        ".a { background: url(../shared/bg.png) }\n",
    );
    let o = h.build("repo/slides/deck.yml");
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        std::fs::read(h.path("public/_assets/bg.png")).unwrap(),
        b"png"
    );
}

#[test]
fn html_page_link_stylesheet_outside_the_repository_is_not_published() {
    let h = Hostile::new("title: T\ncontent:\n- ch.md\n", CHAPTER);
    h.write(
        "repo/slides/talk.html",
        "<html><head>\n<link rel=\"stylesheet\" href=\"../../outside/secret.css\">\n</head><body>\n<textarea id=\"source\">\n# Hi\n</textarea>\n<script>var s = remark.create();</script></body></html>\n",
    );
    refused(
        &h,
        &h.build("repo/slides/talk.html"),
        "talk.html:2",
        "css `../../outside/secret.css`",
    );
    lint_reports_first(
        &h,
        "repo/slides/talk.html",
        "talk.html:2",
        "css-outside-root",
    );
}

#[test]
fn image_symlinked_outside_the_repository_is_not_published() {
    let h = Hostile::new(
        "title: T\ncontent:\n- ch.md\n",
        "# Title\n\n![x](images/logo.png)\n",
    );
    std::fs::create_dir_all(h.path("repo/slides/images")).unwrap();
    std::os::unix::fs::symlink(
        h.path("outside/secret.png"),
        h.path("repo/slides/images/logo.png"),
    )
    .unwrap();
    refused(
        &h,
        &h.build("repo/slides/deck.yml"),
        "ch.md:3",
        "image `images/logo.png`",
    );
    lint_reports_first(&h, "repo/slides/deck.yml", "ch.md:3", "image-outside-root");
}

#[test]
fn fifo_chapter_does_not_hang_build_or_lint() {
    let h = Hostile::new("title: T\ncontent:\n- ch.md\n- pipe.md\n", CHAPTER);
    h.fifo("repo/slides/pipe.md");
    let o = h.build("repo/slides/deck.yml");
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("deck.yml:4") && err.contains("a FIFO, not a regular file"),
        "{err}"
    );
    let o = h.lint("repo/slides/deck.yml");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stdout(&o).contains("a FIFO, not a regular file"),
        "{}",
        stdout(&o)
    );
}

#[test]
fn fifo_include_does_not_hang_build() {
    let h = Hostile::new(
        "title: T\ncontent:\n- ch.md\n",
        "# Title\n\n```\n@@INCLUDE[slides/pipe.yaml]\n```\n",
    );
    h.fifo("repo/slides/pipe.yaml");
    let o = h.build("repo/slides/deck.yml");
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(err.contains("ch.md:4") && err.contains("a FIFO"), "{err}");
}

#[test]
fn lint_reads_only_the_files_the_deck_uses() {
    // Before, lint read every `.md` below the manifest's folder: a FIFO
    // there hung it, a link to /dev/zero read until memory ran out.
    let h = Hostile::new("title: T\nexclude: [hidden]\ncontent:\n- ch.md\n", CHAPTER);
    h.fifo("repo/slides/stray.md");
    std::os::unix::fs::symlink("/dev/zero", h.path("repo/slides/zero.md")).unwrap();
    std::fs::create_dir_all(h.path("repo/slides/more")).unwrap();
    h.fifo("repo/slides/more/deep.md");
    let o = h.lint("repo/slides/deck.yml");
    // Only the unused exclude, a warning: exit 0.
    assert_eq!(o.status.code(), Some(0), "{}{}", stdout(&o), stderr(&o));
    assert!(stdout(&o).contains("unused-exclude"), "{}", stdout(&o));
    // A class used by another deck of the folder is no typo.
    h.write("repo/slides/other.yml", "title: O\ncontent:\n- other.md\n");
    h.write("repo/slides/other.md", "class: hidden\n\n# O\n");
    let o = h.lint("repo/slides/deck.yml");
    assert!(!stdout(&o).contains("unused-exclude"), "{}", stdout(&o));
}

#[test]
fn oversized_chapter_is_a_clear_error() {
    let h = Hostile::new("title: T\ncontent:\n- ch.md\n", CHAPTER);
    let big = std::fs::File::create(h.path("repo/slides/ch.md")).unwrap();
    // Sparse: no disk used.
    big.set_len(labdeck::files::MAX_TEXT + 1).unwrap();
    let o = h.build("repo/slides/deck.yml");
    let err = stderr(&o);
    assert!(!o.status.success());
    assert!(
        err.contains("deck.yml:3") && err.contains("more than the"),
        "{err}"
    );
}

#[test]
fn interstitials_symlinked_outside_the_repository_are_not_published() {
    // Its lines become image URLs in the page.
    let h = Hostile::new("title: T\ncontent:\n- - ch.md\n", CHAPTER);
    std::os::unix::fs::symlink(
        h.path("outside/secret"),
        h.path("repo/slides/interstitials.txt"),
    )
    .unwrap();
    refused(
        &h,
        &h.build("repo/slides/deck.yml"),
        "interstitials.txt:1",
        "interstitials.txt: ",
    );
    lint_reports_first(
        &h,
        "repo/slides/deck.yml",
        "interstitials.txt:1",
        "interstitials-outside-root",
    );
}

#[test]
fn lint_is_linear_in_slides() {
    // 10,000 slides took 4.8 s, 40,000 took 60 s (each slide's bounds
    // searched from the start); now about 2 s for 40,000 in a debug build.
    let chapter: Vec<String> = (0..40_000)
        .map(|i| format!("# Slide {i}\n\ntext {i}\n"))
        .collect();
    let h = Hostile::new("title: T\ncontent:\n- ch.md\n", &chapter.join("\n---\n"));
    let started = Instant::now();
    let o = h.lint("repo/slides/deck.yml");
    assert!(o.status.success(), "{}", stdout(&o));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}
