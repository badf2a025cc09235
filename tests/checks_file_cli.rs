//! `--checks FILE.yml` through the real binary: `lint` and `exercises` on
//! the sample deck with the shipped overlay, an unknown id and a bad check
//! as errors at the overlay's line, and `check` refusing to start on them.

mod support;

use support::cli::labdeck;

const DECK: &str = "slides/labdeck-sample.yml";
const SAMPLE: &str = "examples/checks/labdeck-sample.yml";

#[tokio::test]
async fn shipped_overlay_lints_clean_and_replaces_slide_checks() {
    let out = labdeck(&["lint", DECK, "--checks", SAMPLE, "--deny-warnings"]).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let out = labdeck(&["exercises", DECK, "--checks", SAMPLE, "--format", "json"]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let list: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let debug = list
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "labeldemo-debug")
        .unwrap();
    // Named as reachable from here (the tests run in the crate's folder),
    // as the `--checks` argument names it.
    assert_eq!(debug["check"]["file"], "examples/checks/labdeck-sample.yml");
    assert!(debug["check"]["yaml"].as_str().unwrap().contains("log:"));
}

#[tokio::test]
async fn unknown_ids_and_bad_checks_are_errors_at_their_line() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("checks.yml");
    std::fs::write(
        &file,
        "# comment\nlabeldemo-create:\n  expect: [{kind: deploy, name: labeldemo}]\nnot-an-exercise:\n  expect: [{kind: pods}]\nrng-yaml:\n  expect:\n    - kind: deploy\n      expr: self.spec.replicas = 1\n",
    )
    .unwrap();
    let f = file.to_str().unwrap();
    let out = labdeck(&["lint", DECK, "--checks", f]).await;
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(&format!(
            "{f}:4:1: error: no exercise `not-an-exercise` in this deck"
        )),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(&format!(
            "{f}:9:1: error: check: expr \"self.spec.replicas = 1\""
        )),
        "{}",
        out.stdout
    );
    let out = labdeck(&["check", DECK, "--checks", f, "--timeout", "0"]).await;
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("no exercise `not-an-exercise`"),
        "{}",
        out.stderr
    );
}
