//! `labdeck pdf`: the command end to end, with Chromium and with a
//! stand-in for it.
//!
//! Own harness (tests/support/harness.rs, `harness = false` in Cargo.toml):
//! without Chromium the test that prints with it is reported as *ignored*,
//! never as passed; with LABDECK_REQUIRE_BROWSER=1 it fails. A test is a
//! `fn` (no `#[test]`) listed once in `main`.

use std::process::Command;

mod support;

use support::harness::{self, tests};

fn main() {
    harness::run(
        "cli_pdf",
        tests![
            Nothing sync tests_are_registered,
            Chromium sync pdf_prints_one_page_per_slide_with_steps_collapsed,
            Nothing sync pdf_of_a_broken_deck_fails_cleanly_and_writes_nothing,
            Nothing sync pdf_writes_no_print_page_in_the_deck_folder,
            Nothing sync pdf_interrupted_leaves_no_partial_pdf_page_or_profile,
        ],
    )
}

/// No test here is marked for libtest's harness, which does not run here.
fn tests_are_registered() {
    let left = harness::unregistered_tests(&["tests/cli_pdf.rs"]);
    assert!(
        left.is_empty(),
        "never run: list them in main instead:\n{}",
        left.join("\n")
    );
}

fn labdeck() -> Command {
    Command::new(env!("CARGO_BIN_EXE_labdeck"))
}

fn small_deck(dir: &std::path::Path) -> std::path::PathBuf {
    let mut chapter = String::new();
    for i in 1..=4 {
        chapter.push_str(&format!(
            "# Slide {i}\n\n- first\n--\n- second\n\n???\n\nnotes {i}\n\n---\n\n"
        ));
    }
    chapter.push_str("# Last\n");
    std::fs::write(dir.join("chapter.md"), chapter).unwrap();
    std::fs::write(
        dir.join("deck.yml"),
        "title: Print me\ncontent:\n- chapter.md\n",
    )
    .unwrap();
    dir.join("deck.yml")
}

fn pdf_prints_one_page_per_slide_with_steps_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = small_deck(dir.path());
    let out = dir.path().join("out.pdf");
    let run = labdeck()
        .arg("pdf")
        .arg(&manifest)
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // 4 slides of 2 steps each + the last one: 9 slides, 5 printed pages
    assert_eq!(
        support::browser::pdf_pages(&std::fs::read(&out).unwrap()),
        5
    );
    let run = labdeck()
        .arg("pdf")
        .arg(&manifest)
        .arg("--notes")
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    // default output beside the manifest; 4 notes pages
    assert_eq!(
        support::browser::pdf_pages(&std::fs::read(dir.path().join("deck.pdf")).unwrap()),
        9
    );
    // no temporary page left beside the manifest
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with(".labdeck"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn pdf_of_a_broken_deck_fails_cleanly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("deck.yml"),
        "title: x\ncontent:\n- missing.md\n",
    )
    .unwrap();
    let out = dir.path().join("out.pdf");
    let run = labdeck()
        .arg("pdf")
        .arg(dir.path().join("deck.yml"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(stderr.contains("missing.md"), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!out.exists());
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the manifest"
    );
}

/// A stand-in for Chromium on PATH: records its page URL, profile and PDF
/// paths in `$FAKE_LOG`, writes a partial PDF, then hangs (`$FAKE_HANG`)
/// or finishes it.
fn fake_chromium(dir: &std::path::Path) -> std::path::PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let script = bin.join("chromium");
    std::fs::write(
        &script,
        r#"#!/bin/sh
for a in "$@"; do
  case "$a" in
    --print-to-pdf=*) out="${a#--print-to-pdf=}" ;;
    --user-data-dir=*) profile="${a#--user-data-dir=}" ;;
    file://*) url="$a" ;;
  esac
done
mkdir -p "$profile/Default" && echo x > "$profile/Default/Preferences"
printf '%%PDF-partial' > "$out"
printf '%s\n%s\n%s\n' "$url" "$profile" "$out" > "$FAKE_LOG.tmp" && mv "$FAKE_LOG.tmp" "$FAKE_LOG"
if [ -n "$FAKE_HANG" ]; then exec sleep 120; fi
printf '%%PDF-1.4 done' > "$out"
"#,
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let path = std::env::var_os("PATH").unwrap_or_default();
    let mut paths = vec![bin];
    paths.extend(std::env::split_paths(&path));
    std::env::join_paths(paths).unwrap().into()
}

fn names(dir: &std::path::Path) -> Vec<String> {
    let mut n: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    n.sort();
    n
}

fn pdf_writes_no_print_page_in_the_deck_folder() {
    // Before, `.labdeck-print-*.html` was written beside the manifest
    // (seen by `git status`; a read-only deck folder could not print).
    let dir = tempfile::tempdir().unwrap();
    let deck_dir = dir.path().join("deck");
    let out_dir = dir.path().join("out");
    let tmp = dir.path().join("tmp");
    for d in [&deck_dir, &out_dir, &tmp] {
        std::fs::create_dir_all(d).unwrap();
    }
    let manifest = small_deck(&deck_dir);
    let before = names(&deck_dir);
    let log = dir.path().join("log");
    let run = labdeck()
        .arg("pdf")
        .arg(&manifest)
        .arg("--out")
        .arg(out_dir.join("deck.pdf"))
        .env("PATH", fake_chromium(dir.path()))
        .env("FAKE_LOG", &log)
        .env("TMPDIR", &tmp)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(names(&deck_dir), before);
    assert_eq!(names(&out_dir), ["deck.pdf"]);
    assert_eq!(
        std::fs::read(out_dir.join("deck.pdf")).unwrap(),
        b"%PDF-1.4 done"
    );
    let url = std::fs::read_to_string(&log).unwrap();
    assert!(
        url.starts_with(&format!("file://{}", tmp.display())),
        "{url}"
    );
    // Page and profile removed.
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));
}

fn pdf_interrupted_leaves_no_partial_pdf_page_or_profile() {
    // Before, SIGTERM left the page beside the deck, Chromium's profile in
    // $TMPDIR and the partial PDF beside --out.
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("out");
    let tmp = dir.path().join("tmp");
    std::fs::create_dir_all(&out_dir).unwrap();
    std::fs::create_dir_all(&tmp).unwrap();
    let manifest = small_deck(dir.path());
    let log = dir.path().join("log");
    let mut child = labdeck()
        .arg("pdf")
        .arg(&manifest)
        .arg("--out")
        .arg(out_dir.join("deck.pdf"))
        .env("PATH", fake_chromium(dir.path()))
        .env("FAKE_LOG", &log)
        .env("FAKE_HANG", "1")
        .env("TMPDIR", &tmp)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    // Wait until Chromium (the stand-in) has written its partial PDF.
    while !log.exists() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "chromium never started"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(!names(&out_dir).is_empty(), "the partial PDF is there");
    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > std::time::Duration::from_secs(60) {
            child.kill().unwrap();
            panic!("labdeck pdf did not stop on SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(err.contains("interrupted"), "{err}");
    assert!(names(&out_dir).is_empty(), "{:?}", names(&out_dir));
    assert!(names(&tmp).is_empty(), "{:?}", names(&tmp));
    let leftovers: Vec<String> = names(dir.path())
        .into_iter()
        .filter(|n| n.starts_with(".labdeck"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}
