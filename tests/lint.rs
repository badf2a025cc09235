//! `labdeck lint` on a deck holding one of each defect: every finding with
//! its file, line and message; output formats; exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use labdeck::deck::LoadOptions;
use labdeck::diagnostic::{Diagnostic, Severity};
use labdeck::lint::lint_decks;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint-deck/slides/deck.yml")
}

fn findings() -> Vec<Diagnostic> {
    lint_decks(&[fixture()], &LoadOptions::default())
}

/// The finding of `code` in `file` at `line`, whose message holds `text`.
fn expect(all: &[Diagnostic], code: &str, file: &str, line: usize, text: &str) -> Diagnostic {
    let found: Vec<&Diagnostic> = all
        .iter()
        .filter(|d| d.code == code && d.location.file.ends_with(file))
        .collect();
    let hit = found
        .iter()
        .find(|d| d.location.line == line && d.message.contains(text));
    match hit {
        Some(d) => (*d).clone(),
        None => panic!("no {code} at {file}:{line} containing {text:?}; have {found:#?}"),
    }
}

#[test]
fn every_defect_is_found_at_its_line() {
    let all = findings();
    let e = Severity::Error;
    let w = Severity::Warning;
    let cases = [
        ("missing-chapter", "deck.yml", 8, "missing-chapter.md", e),
        ("unused-exclude", "deck.yml", 4, "`sefl-paced`", w),
        ("missing-image", "defects.md", 10, "images/absent.png", e),
        (
            "duplicate-name",
            "defects.md",
            14,
            "`dup` is already used",
            w,
        ),
        (
            "dangling-link",
            "defects.md",
            18,
            "no slide is named `nowhere`",
            e,
        ),
        ("late-property", "defects.md", 24, "`class:`", w),
        ("unknown-layout", "defects.md", 34, "`layout: maybe`", w),
        (
            "missing-include",
            "defects.md",
            42,
            "@@INCLUDE[slides/nope.md]",
            e,
        ),
        (
            "include-outside-root",
            "defects.md",
            44,
            "@@LINK[../outside.md]",
            e,
        ),
        (
            "unclosed-class",
            "defects.md",
            50,
            "`.exercise[` is never closed",
            e,
        ),
        (
            "exercise-without-command",
            "exercises.md",
            7,
            "`exercises-1` has no command",
            w,
        ),
        (
            "check-without-exercise",
            "exercises.md",
            17,
            "no `.exercise[`",
            e,
        ),
        (
            "duplicate-id",
            "exercises.md",
            49,
            "`twice` is already used at exercises.md:25",
            e,
        ),
        (
            "invalid-check",
            "exercises.md",
            53,
            "unknown field `colour`",
            e,
        ),
        ("invalid-check", "exercises.md", 69, "check:", e),
    ];
    for (code, file, line, text, severity) in cases {
        let d = expect(&all, code, file, line, text);
        assert_eq!(d.severity, severity, "{code}");
    }
    // At the `template:` line itself.
    expect(
        &all,
        "unknown-template",
        "defects.md",
        28,
        "no-such-template",
    );
    // Columns point at the defect itself.
    assert_eq!(
        expect(&all, "dangling-link", "defects.md", 18, "")
            .location
            .column,
        25
    );
    assert_eq!(
        expect(&all, "missing-image", "defects.md", 10, "")
            .location
            .column,
        11
    );
}

#[test]
fn no_false_positives_on_the_fixture() {
    let all = findings();
    // Links to existing slides, images that exist, links inside code spans,
    // classes that are used: not reported.
    for d in &all {
        assert!(!d.message.contains("#intro"), "{d:?}");
        assert!(!d.message.contains("#code"), "{d:?}");
        assert!(!d.message.contains("present.png"), "{d:?}");
        assert!(!d.message.contains("`self-paced`"), "{d:?}");
    }
    // Exercises with commands are not reported as commandless.
    assert_eq!(
        all.iter()
            .filter(|d| d.code == "exercise-without-command")
            .count(),
        1
    );
    assert_eq!(all.len(), 16, "{all:#?}");
}

fn labdeck(args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

const DECK: &str = "tests/fixtures/lint-deck/slides/deck.yml";

#[test]
fn text_format_is_file_line_col_and_errors_exit_1() {
    let (code, out) = labdeck(&["lint", DECK]);
    assert_eq!(code, 1);
    assert!(out.contains(
        "tests/fixtures/lint-deck/slides/defects.md:18:25: error: link to `#nowhere`: no slide is named `nowhere` [dangling-link]\n"
    ), "{out}");
}

#[test]
fn json_and_github_formats() {
    let (_, out) = labdeck(&["lint", "--format", "json", DECK]);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let link = v
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "dangling-link")
        .unwrap();
    assert_eq!(link["line"], 18);
    assert_eq!(link["severity"], "error");
    let (_, out) = labdeck(&["lint", "--format", "github", DECK]);
    assert!(out.contains(
        "::error file=tests/fixtures/lint-deck/slides/defects.md,line=18,col=25,title=dangling-link::link to `#nowhere`"
    ), "{out}");
    assert!(
        out.contains("::warning file=tests/fixtures/lint-deck/slides/deck.yml,line=4,"),
        "{out}"
    );
}

#[test]
fn warnings_alone_exit_0_unless_denied() {
    let dir = tempfile::tempdir().unwrap();
    let slides = dir.path().join("slides");
    std::fs::create_dir(&slides).unwrap();
    std::fs::write(
        slides.join("deck.yml"),
        "title: t\nexclude:\n- typo\ncontent:\n- a.md\n",
    )
    .unwrap();
    std::fs::write(slides.join("a.md"), "# A\n\n---\n\n## Fine\n").unwrap();
    let deck = slides.join("deck.yml");
    let deck = deck.to_str().unwrap();
    let (code, out) = labdeck(&["lint", deck]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("warning: excluded class `typo`"), "{out}");
    let (code, _) = labdeck(&["lint", "--deny-warnings", deck]);
    assert_eq!(code, 1);
}

#[test]
fn unreadable_manifest_is_one_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.yml");
    std::fs::write(&bad, "title: [unclosed\n").unwrap();
    let (code, out) = labdeck(&["lint", bad.to_str().unwrap(), "/nonexistent/deck.yml"]);
    // As from every command: a deck that cannot be loaded is exit status 3.
    assert_eq!(code, 3);
    assert!(out.contains("bad.yml:"), "{out}");
    assert!(out.contains("/nonexistent/deck.yml:1:1: error:"), "{out}");
}

#[test]
fn sample_deck_lints_clean_but_for_its_vacuous_cleanup() {
    let deck = Path::new(env!("CARGO_MANIFEST_DIR")).join("slides/labdeck-sample.yml");
    let all = lint_decks(&[deck], &LoadOptions::default());
    // `labeldemo-cleanup` (every expectation `count: 0`) holds on an empty
    // cluster: named, with the exercise it waits for (issue 19).
    assert_eq!(all.len(), 1, "{all:#?}");
    assert_eq!(all[0].code, "vacuous-check", "{all:#?}");
    assert_eq!(
        labdeck::lint::output::summary(&all),
        "0 errors, 0 warnings, 1 note"
    );
    // A note, not a warning: grade and the board already wait for it, and
    // `--deny-warnings` passes (a deck repository's CI stays green).
    let (code, out) = labdeck(&["lint", "slides/labdeck-sample.yml", "--deny-warnings"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("k8s/labels-debugging.md:298:")
            && out.contains(": note: ")
            && out.contains("check `labeldemo-cleanup` holds on an empty cluster")
            && out.contains("only once `labeldemo-readopt` has passed"),
        "{out}"
    );
}

#[test]
fn lint_warns_on_a_command_that_names_another_kubeconfig_or_context() {
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("hostile.md");
    std::fs::write(
        &chapter,
        "# Hostile\n\n.exercise[\n```bash\nkubectl get pods\n```\n<!--\n```bash\nKUBECONFIG=$HOME/.kube/config kubectl get secrets -A\n```\n-->\n```bash\nkubectl --context prod delete ns lab\n```\n]\n",
    )
    .unwrap();
    let (code, out) = labdeck(&["lint", chapter.to_str().unwrap()]);
    assert_eq!(code, 0, "warnings only: {out}");
    let found: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[command-leaves-sandbox]"))
        .collect();
    assert_eq!(found.len(), 2, "{out}");
    assert!(
        found[0].contains("hostile.md:9:") && found[0].contains("hidden command"),
        "{out}"
    );
    assert!(found[1].contains("hostile.md:13:"), "{out}");
}
