//! One test per reported bug, named after it, in ripgrep's style
//! (ripgrep's `tests/regression.rs`): each runs the `labdeck` binary on the
//! smallest input that showed the bug and asserts its WHOLE output (stdout,
//! stderr and exit status), so the bug cannot come back in another shape.
//!
//! Change detectors: asserting whole output means any change to these
//! messages fails the test, wanted or not. When a wording change is
//! intended, update the expected text here in the same commit.
//!
//! Regression tests that need the fake API server, a browser or the
//! library's insides stay next to the feature they test, named
//! `regression_*` there, and are not repeated here:
//! - `tests/run_cli.rs`: `regression_dry_run_rejects_a_check_that_does_not_parse`
//!   (issue 20);
//! - `tests/cli_conventions.rs`: `regression_suggest_on_an_unclosed_exercise_leaves_the_checks_file_as_it_was`,
//!   `regression_the_readmes_suggest_command_works_as_written`, and the
//!   refused connection, TLS, 401, 403 and mistyped `--kubeconfig` errors
//!   said once (issue 26);
//! - `tests/check_extra.rs`: costly CEL, brace globs, forbidden log/proxy,
//!   CEL runtime errors, `replaced:` after the fact, `can-i`, queries
//!   honouring every key (issue 20);
//! - `tests/check_verdicts.rs`: `SuccessCriteriaMet`, stale `Ready`,
//!   crash loops, quantities and label strings, refused field selectors
//!   (issue 20);
//! - `tests/apiserver_strict.rs`: watch `Retry-After` and deadlines,
//!   refused field selectors told by their Status (issue 20);
//! - `tests/grade_cli.rs`: a history past the year 9999, formulas in CSV,
//!   a snapshot placing a student from the history (issues 21, 22);
//! - `tests/suggest.rs`: `regression_lint_with_a_checks_overlay_does_not_warn_for_covered_exercises`
//!   (issue 24);
//! - `tests/docs_reference.rs`: `regression_mimalloc_asks_for_no_transparent_huge_pages`
//!   (issue 27: the allocator's huge pages cost 0.1-0.4 s of system time
//!   per build after another process freed memory);
//! - `tests/fuzz.rs`: `regressions_stay_fixed` replays every input kept in
//!   `tests/fuzz-regressions/` (panics found by fuzzing, issues 14 and 21);
//! - unit tests: `serve::tests::regression_an_edit_to_slide_one_is_a_swap_not_a_reload`,
//!   `classroom::words::tests::regression_the_student_reads_words_not_cel_nor_expected_1_pods`,
//!   `cluster::kube_source::tests::regression_oidc_certificate_is_the_identity_providers`,
//!   `check::cel::tests::regression_costly_expressions_are_refused_before_running`,
//!   `check::rbac::tests::regression_impersonated_groups_as_the_api_server_makes_them`;
//! - the board's browser test (`tests/browser/board.rs`): a student whose
//!   empty cluster passes a gated cleanup is not "all done", and the stuck
//!   clock counts only passes that place a student.

use std::path::Path;
use std::process::Command;

/// What one `labdeck` invocation printed, and its exit status.
#[derive(Debug, PartialEq)]
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// A scratch repository: `files` written under it (relative paths), then
/// `labdeck ARGS` run in it with no colour, no `KUBECONFIG` and `HOME` in it.
/// Timings (`in 12 ms`) read as `in _ ms` and the scratch folder's path as
/// `ROOT`: they are the parts of an output that change from run to run.
fn labdeck(files: &[(&str, &str)], args: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(args)
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .env("HOME", dir.path())
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    let root = dir.path().to_string_lossy().into_owned();
    let stable =
        |bytes: &[u8]| without_timings(&String::from_utf8_lossy(bytes)).replace(&root, "ROOT");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: stable(&out.stdout),
        stderr: stable(&out.stderr),
    }
}

/// `in 12 ms` and `in 1.5 s` as `in _ ms`.
fn without_timings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(" in ") {
        let (before, after) = rest.split_at(at + " in ".len());
        out.push_str(before);
        let digits = after
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(after.len());
        let unit = after[digits..]
            .strip_prefix(" ms")
            .map(|_| " ms")
            .or_else(|| after[digits..].strip_prefix(" s").map(|_| " s"));
        match unit {
            Some(unit) if digits > 0 => {
                out.push_str("_ ms");
                rest = &after[digits + unit.len()..];
            }
            _ => rest = after,
        }
    }
    out.push_str(rest);
    out
}

fn run(code: i32, stdout: &str, stderr: &str) -> Run {
    Run {
        code,
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
    }
}

/// A one-chapter deck manifest, so the repository root is the scratch
/// folder (a chapter alone looks further up for it).
const DECK: (&str, &str) = ("slides/deck.yml", "title: T\ncontent:\n- ch.md\n");

/// `labdeck lint` of the one-chapter deck whose chapter is `chapter`.
fn lint(chapter: &str) -> Run {
    labdeck(
        &[DECK, ("slides/ch.md", chapter)],
        &["lint", "slides/deck.yml"],
    )
}

/// A chapter with one exercise running `command`, then `after` (a check).
fn exercise(command: &str, after: &str) -> String {
    format!("# Ex\n\n.exercise[\n- Do it:\n  ```bash\n  {command}\n  ```\n]\n{after}")
}

#[test]
fn without_timings_hides_only_timings() {
    assert_eq!(
        without_timings("1 deck in 12 ms, in 1.5 s, in use, in 3 apples"),
        "1 deck in _ ms, in _ ms, in use, in 3 apples"
    );
}

/// Issue 26 (8c68825): `<!-- class: center, middle -->` is how a remark
/// deck writes a slide property in a comment, and was taken for a Marp
/// directive: lint and build refused a remark deck as "a Marp deck".
#[test]
fn regression_remarks_comment_class_property_is_not_taken_for_marp() {
    let chapter = "name: intro\n<!-- class: center, middle -->\n\n# Hello\n";
    assert_eq!(
        lint(chapter),
        run(
            0,
            "",
            "labdeck lint: 1 deck, 0 errors, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 25: `run` took `kubectl exec -i -t` and `--stdin --tty` (split
/// flags) for commands that end, so it would have waited out the 60 s
/// command timeout on the shell they open. One flag table now says both
/// are interactive, as `-it` is.
#[test]
fn regression_kubectl_exec_with_split_stdin_tty_flags_is_interactive_in_run() {
    let chapter = "# Exec\n\n.exercise[\n- Open a shell:\n  ```bash\n  kubectl exec -i -t web -- sh\n  ```\n- And another:\n  ```bash\n  kubectl exec --stdin --tty web -- sh\n  ```\n]\n";
    assert_eq!(
        labdeck(
            &[DECK, ("slides/ch.md", chapter)],
            &["run", "slides/deck.yml", "--dry-run"]
        ),
        run(
            0,
            "ch-1  slides/ch.md:3 (slide 1) Exec\n\
             \x20 slides/ch.md:6  $ kubectl exec -i -t web -- sh   (interactive: the next commands are typed into it until it exits)\n\
             \x20 slides/ch.md:10  $ kubectl exec --stdin --tty web -- sh   (interactive: the next commands are typed into it until it exits)\n\
             \x20 (no check)\n",
            ""
        )
    );
}

/// Issue 20: an expression after a `>-` (or `|`) block scalar was reported
/// one line early, on the key's line rather than the expression's.
#[test]
fn regression_an_expression_after_a_block_scalar_is_reported_at_its_own_line() {
    let check = "\n<!-- check\n- kind: configmaps\n  name: x\n  expr: |\n    size(self.data) == 1\n- kind: configmaps\n  expr: >-\n    self.metadata.name.startsWith()\n-->\n";
    let chapter = exercise("kubectl create configmap x --from-literal=a=b", check);
    assert_eq!(
        lint(&chapter),
        run(
            1,
            "slides/ch.md:17:1: error: check: expr \"self.metadata.name.startsWith()\": `.startsWith()` takes 1 argument(s), not 0 (at column 30) [invalid-check]\n",
            "labdeck lint: 1 deck, 1 error, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 20: a bad regular expression literal in `matches` was found only
/// when a cluster was checked; lint finds it.
#[test]
fn regression_a_bad_regex_literal_is_found_by_lint() {
    let check = "\n<!-- check\n- kind: configmaps\n  expr: self.metadata.name.matches('[')\n-->\n";
    let chapter = exercise("kubectl create configmap x --from-literal=a=b", check);
    assert_eq!(
        lint(&chapter),
        run(
            1,
            "slides/ch.md:12:1: error: check: expr \"self.metadata.name.matches('[')\": `matches`: \"[\" is not a regular expression (error: unclosed character class) (at column 27) [invalid-check]\n",
            "labdeck lint: 1 deck, 1 error, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 20: Kubernetes CEL's optional index `.?['key']` failed with a
/// parser error naming no alternative; lint says what to write instead.
#[test]
fn regression_cel_optional_index_is_refused_with_what_to_write_instead() {
    let check = "\n<!-- check\n- kind: configmaps\n  name: x\n  expr: >-\n    self.data.?['key'].orValue('') == 'v'\n-->\n";
    let chapter = exercise("kubectl create configmap x --from-literal=key=v", check);
    assert_eq!(
        lint(&chapter),
        run(
            1,
            "slides/ch.md:14:1: error: check: expr \"self.data.?['key'].orValue('') == 'v'\": optional indexing (`.?['key']`) is not supported by labdeck's CEL (cel-rust 0.15); write `.?key` for a key that is a name, or `'key' in m ? m['key'] : default` [invalid-check]\n",
            "labdeck lint: 1 deck, 1 error, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 20: lint rejected `phase: SuccessCriteriaMet`, the word kubectl
/// 1.34+ shows for a Job that met its success policy.
#[test]
fn regression_job_phase_success_criteria_met_passes_lint() {
    let check = "\n<!-- check\n- kind: jobs\n  name: pi\n  phase: SuccessCriteriaMet\n-->\n";
    let chapter = exercise("kubectl create job pi --image=perl -- perl -e 1", check);
    assert_eq!(
        lint(&chapter),
        run(
            0,
            "",
            "labdeck lint: 1 deck, 0 errors, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 24: `kubectl rollout restart` was suggested as a check that the
/// Deployment exists, which held before the step; it checks kubectl's
/// `restartedAt` annotation (kubectl `objectrestarter.go`).
#[test]
fn regression_rollout_restart_is_suggested_as_its_restarted_at_annotation() {
    let chapter = exercise("kubectl rollout restart deployment web", "");
    assert_eq!(
        labdeck(
            &[DECK, ("slides/ch.md", &chapter)],
            &["checks", "suggest", "slides/deck.yml"]
        ),
        run(
            0,
            "# labdeck checks suggest: draft checks for slides/deck.yml\n\
             # Inferred from the commands on the slides: review each one before use.\n\
             # Use with: labdeck run|check|grade slides/deck.yml --checks THIS-FILE\n\
             \n\
             # ch-1 (ch.md:3)\n\
             #   kubectl rollout restart deployment web  (ch.md:6)\n\
             ch-1:\n\
             \x20 timeout: 2m\n\
             \x20 expect:\n\
             \x20   - kind: Deployment\n\
             \x20     name: web\n\
             \x20     ready: true\n\
             \x20     where:\n\
             \x20       - \"spec.template.metadata.annotations[\\\"kubectl.kubernetes.io/restartedAt\\\"] exists\"\n",
            "labdeck checks suggest: 1 exercises, 1 change the cluster: 1 suggested (0 partly), 0 withheld, 0 skipped\n"
        )
    );
}

/// Issues 14/15 (6c503c6, found by fuzzing): text after a template's
/// `{{content}}` kept the template text's start, so lint sliced a line
/// inside a character and panicked. The fuzzer's input, whole.
#[test]
fn regression_text_after_a_templates_content_is_linted_on_character_boundaries() {
    let chapter =
        std::fs::read_to_string(fuzz_input("deck-char-boundary-after-content.txt")).unwrap();
    assert_eq!(
        lint(&chapter),
        run(
            1,
            "slides/ch.md:9:1: error: @@LINK[../x]: outside the repository root ROOT (files a deck names must stay inside it) [include-outside-root]\n\
             slides/ch.md:1:1: error: check has no `.exercise[` or `.lab[` before it on its slide [check-without-exercise]\n\
             slides/ch.md:5:1: error: check has no `.exercise[` or `.lab[` before it on its slide [check-without-exercise]\n\
             slides/ch.md:9:20: error: image `images/x.png` not found (looked for slides/images/x.png) [missing-image]\n\
             slides/ch.md:10:1: warning: `template:` after the slide's content is shown as text; slide properties must come first [late-property]\n",
            "labdeck lint: 1 deck, 4 errors, 1 warning in _ ms\n"
        )
    );
}

/// Issues 14/15 (0119b8c, found by fuzzing): a property offset past a link
/// definition the lexer removed fell inside a character (`µ`, `é`), and
/// lint panicked. The fuzzer's input, whole.
#[test]
fn regression_a_property_after_a_removed_link_definition_is_linted_on_character_boundaries() {
    let chapter =
        std::fs::read_to_string(fuzz_input("deck-property-inside-a-character.txt")).unwrap();
    assert_eq!(
        lint(&chapter),
        run(
            1,
            "slides/ch.md:3:1: error: `.lab[` is never closed by a matching `]` [unclosed-class]\n\
             slides/ch.md:4:4: error: image `y` not found (looked for slides/y) [missing-image]\n",
            "labdeck lint: 1 deck, 2 errors, 0 warnings in _ ms\n"
        )
    );
}

/// Issue 27 (found by trying hostile decks): 4,000 `--` steps of one line
/// each made remark's repeated content 8 million nodes, a gigabyte of
/// memory and an 18 MB page; 10,000 would have taken every gigabyte a CI
/// runner has. The deck is now refused where it passes the bound.
#[test]
fn regression_thousands_of_steps_on_one_slide_are_refused_not_built() {
    let steps: String = (0..4000).map(|i| format!("line {i}\n--\n")).collect();
    assert_eq!(
        labdeck(
            &[DECK, ("slides/ch.md", &format!("# x\n{steps}"))],
            &["build", "slides/deck.yml", "--out", "out"],
        ),
        run(
            3,
            "",
            "error: slides/ch.md:3856: the slides up to this one hold more than 128 MB once their `--` steps, templates and layouts repeat content: split this slide, or the deck\n"
        )
    );
}

/// Issue 27 (found by trying hostile decks): marked's emphasis, code span
/// and tag rules were searched for again from every `_`, backtick and `<`
/// of a line, each search running to the line's end when nothing closed:
/// 600 kB of `*a _b ` took 56 s to build, and a YAML block of 250 kB of
/// `- - ... a: [` took 40 s to colour. Both now build in well under a
/// second (unit tests `regression_failing_inline_searches_are_not_repeated`
/// and `regression_long_code_lines_are_coloured_up_to_a_bound` bound the
/// work itself).
#[test]
fn regression_hostile_lines_build_in_linear_time() {
    let chapter = format!(
        "# x\n{}\n\n```yaml\n{}\n```\n",
        "*a _b ".repeat(50_000),
        format!("{}{}", "- ".repeat(5_000), "a: [".repeat(1_000)).repeat(10)
    );
    let started = std::time::Instant::now();
    let out = labdeck(
        &[DECK, ("slides/ch.md", &chapter)],
        &["build", "slides/deck.yml", "--out", "out"],
    );
    assert_eq!(out.code, 0, "{out:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
}

fn fuzz_input(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(name)
}
