//! `labdeck pdf`: the command end to end (needs Chromium; skipped without it
//! unless LABDECK_REQUIRE_BROWSER=1).

use std::process::Command;

mod support;

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

#[test]
fn pdf_prints_one_page_per_slide_with_steps_collapsed() {
    if !support::browser::chromium_installed("pdf") {
        return;
    }
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

#[test]
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
