//! The `labdeck run` executor against a real bash in a pty, with a fake
//! `kubectl` on PATH (no cluster).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use labdeck::check::ObjectResult;
use labdeck::check::engine::{ExerciseResult, ExpectationResult, Verdict};
use labdeck::exercise::{CheckSource, Exercise, Step};
use labdeck::run::report::{StepKind, StepReport};
use labdeck::run::{
    ExerciseStatus, ExerciseVerifier, RunOptions, RunReport, Session, SessionOptions, SkipChecks,
    StepOutcome, plan, run,
};

const FAKE_KUBECTL: &str = r#"#!/bin/sh
# A stand-in for kubectl: watches and follows never end, as the real ones.
case "$*" in
  *" -w"*|*--watch*) while :; do echo "pingpong-1   1/1   Running"; sleep 0.1; done ;;
  *logs*--follow*) i=0; while :; do i=$((i+1)); echo "64 bytes from 127.0.0.1: seq=$i"; sleep 0.1; done ;;
  "get nodes") echo "node1   Ready"; exit 0 ;;
  "exec -ti web -- sh") PS1='pod# ' exec sh ;;
  *) echo "error: the server doesn't have a resource type \"$2\"" >&2; exit 1 ;;
esac
"#;

struct Sandbox {
    _dir: tempfile::TempDir,
    work: PathBuf,
    bin: PathBuf,
}

fn sandbox() -> Sandbox {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("bin");
    let work = dir.path().join("work");
    std::fs::create_dir_all(&bin).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let kubectl = bin.join("kubectl");
    std::fs::write(&kubectl, FAKE_KUBECTL).unwrap();
    std::fs::set_permissions(&kubectl, std::fs::Permissions::from_mode(0o755)).unwrap();
    Sandbox {
        _dir: dir,
        work,
        bin,
    }
}

fn session(sb: &Sandbox) -> Session {
    let mut opts = SessionOptions::new(&sb.work);
    opts.path_prepend.push(sb.bin.clone());
    Session::start(&opts).unwrap()
}

/// A step of an exercise: `(directive, text)`; `None` = a visible bash block.
fn exercise(id: &str, line: usize, steps: &[(Option<&str>, &str, usize)]) -> Exercise {
    Exercise {
        id: id.to_string(),
        file: PathBuf::from("k8s/demo.md"),
        line,
        slide: 1,
        slide_name: None,
        title: format!("Exercise {id}"),
        commands: Vec::new(),
        steps: steps
            .iter()
            .map(|(directive, text, line)| Step {
                directive: directive.map(str::to_string),
                lang: if directive.is_none() {
                    Some("bash".to_string())
                } else {
                    None
                },
                text: text.to_string(),
                line: *line,
            })
            .collect(),
        check: None,
    }
}

fn with_check(mut ex: Exercise) -> Exercise {
    ex.check = Some(CheckSource {
        yaml: "- kind: pods\n".to_string(),
        file: ex.file.clone(),
        line: ex.line + 10,
    });
    ex
}

fn opts() -> RunOptions {
    RunOptions {
        command_timeout: Duration::from_secs(10),
        grace: Duration::from_millis(800),
        keep_going: false,
        settle: Duration::from_secs(3),
        quiet: Duration::from_millis(800),
    }
}

fn play(sb: &Sandbox, exercises: &[Exercise], opts: &RunOptions) -> RunReport {
    let mut s = session(sb);
    run(&mut s, &plan(exercises), &mut SkipChecks, opts, &mut |_| {})
}

fn commands(r: &RunReport, ex: usize) -> Vec<&StepReport> {
    r.exercises[ex]
        .steps
        .iter()
        .filter(|s| matches!(s.kind, StepKind::Command | StepKind::HiddenCommand))
        .collect()
}

#[test]
fn state_carries_across_commands_and_exercises() {
    let sb = sandbox();
    let exs = [
        exercise(
            "one",
            10,
            &[(None, "export GREETING=hello\nmkdir -p sub && cd sub\n", 12)],
        ),
        exercise(
            "two",
            30,
            &[(None, "echo \"$GREETING from $(basename \"$PWD\")\"\n", 32)],
        ),
    ];
    let r = play(&sb, &exs, &opts());
    assert!(r.passed(), "{}", r.to_human());
    let last = commands(&r, 1)[0];
    assert_eq!(last.output.trim(), "hello from sub");
    assert_eq!(
        last.line, 33,
        "first line of the block is the line after the fence"
    );
    assert_eq!(
        commands(&r, 0).len(),
        2,
        "two lines typed one after the other"
    );
}

#[test]
fn failing_command_stops_the_run_at_its_line() {
    let sb = sandbox();
    let exs = [
        exercise(
            "broken",
            40,
            &[(
                None,
                "kubectl get nodes\nkubectl get deployments\necho never\n",
                42,
            )],
        ),
        exercise("after", 60, &[(None, "echo later\n", 62)]),
    ];
    let r = play(&sb, &exs, &opts());
    assert!(!r.passed());
    assert_eq!(r.exercises.len(), 1);
    assert_eq!(r.not_run, vec!["after".to_string()]);
    let ex = &r.exercises[0];
    assert_eq!(ex.status, ExerciseStatus::Failed);
    let failed = ex.failed_step().unwrap();
    assert_eq!(failed.text, "kubectl get deployments");
    assert_eq!(failed.line, 44);
    assert_eq!(failed.exit_status, Some(1));
    assert_eq!(failed.outcome, StepOutcome::Failed { status: 1 });
    assert!(
        failed.output.contains("doesn't have a resource type"),
        "{}",
        failed.output
    );
    assert!(!ex.steps.iter().any(|s| s.text == "echo never"));
    let human = r.to_human();
    assert!(
        human.contains("k8s/demo.md:44: command exited with status 1"),
        "{human}"
    );
    assert!(human.contains("$ kubectl get deployments"), "{human}");
}

#[test]
fn keep_going_runs_the_next_exercise() {
    let sb = sandbox();
    let exs = [
        exercise("broken", 40, &[(None, "false\n", 42)]),
        exercise("after", 60, &[(None, "echo later\n", 62)]),
    ];
    let mut o = opts();
    o.keep_going = true;
    let r = play(&sb, &exs, &o);
    assert_eq!(r.exercises.len(), 2);
    assert_eq!(r.exercises[0].status, ExerciseStatus::Failed);
    assert_eq!(r.exercises[1].status, ExerciseStatus::Passed);
    assert!(!r.passed());
}

#[test]
fn watch_command_is_cut_off_after_grace() {
    let sb = sandbox();
    let exs = [exercise(
        "watch",
        10,
        &[(None, "kubectl get pods -w\necho after-watch\n", 12)],
    )];
    let o = opts();
    let started = Instant::now();
    let r = play(&sb, &exs, &o);
    assert!(r.passed(), "{}", r.to_human());
    let cmds = commands(&r, 0);
    assert_eq!(cmds[0].outcome, StepOutcome::StoppedAfterGrace);
    assert!(cmds[0].output.contains("Running"));
    assert!(cmds[0].duration_ms >= o.grace.as_millis() as u64);
    assert!(
        started.elapsed() < o.command_timeout,
        "cut at grace, not at the limit"
    );
    assert_eq!(cmds[1].output.trim(), "after-watch");
    assert!(r.to_human().contains("stopped after the grace period"));
}

#[test]
fn wait_and_key_directives_drive_a_follow() {
    let sb = sandbox();
    let exs = [exercise(
        "logs",
        395,
        &[
            (
                None,
                "kubectl logs deploy/pingpong --tail 1 --follow\n",
                396,
            ),
            (Some("wait"), "seq=3", 403),
            (Some("keys"), "^C", 404),
            (None, "echo done\n", 406),
        ],
    )];
    let mut o = opts();
    // Long grace: the directive, not the grace period, must stop it.
    o.grace = Duration::from_secs(8);
    let started = Instant::now();
    let r = play(&sb, &exs, &o);
    assert!(r.passed(), "{}", r.to_human());
    assert!(
        started.elapsed() < o.grace,
        "stopped by the directive, not the grace period"
    );
    let steps = &r.exercises[0].steps;
    let follow = &steps[0];
    assert!(
        matches!(follow.outcome, StepOutcome::Interrupted { .. }),
        "{:?}",
        follow.outcome
    );
    assert!(follow.output.contains("seq=3"));
    assert_eq!(steps[1].kind, StepKind::Wait);
    assert_eq!(steps[1].outcome, StepOutcome::Ok);
    assert_eq!(steps[1].line, 403);
    assert_eq!(steps[2].kind, StepKind::Keys);
    assert_eq!(steps[3].output.trim(), "done");
}

#[test]
fn wait_for_text_that_never_comes_fails() {
    let sb = sandbox();
    let exs = [exercise(
        "w",
        10,
        &[
            (None, "kubectl get nodes\n", 11),
            (Some("wait"), "NotReady", 14),
        ],
    )];
    let r = play(&sb, &exs, &opts());
    let ex = &r.exercises[0];
    assert_eq!(ex.status, ExerciseStatus::Failed);
    let f = ex.failed_step().unwrap();
    assert_eq!(f.line, 14);
    assert!(
        matches!(&f.outcome, StepOutcome::WaitFailed { message } if message.contains("ended without printing `NotReady`")),
        "{:?}",
        f.outcome
    );
}

#[test]
fn command_over_its_time_limit_fails_clearly() {
    let sb = sandbox();
    let exs = [
        exercise("slow", 10, &[(None, "sleep 30\n", 11)]),
        exercise("next", 20, &[(None, "echo x\n", 21)]),
    ];
    let mut o = opts();
    o.command_timeout = Duration::from_secs(1);
    let started = Instant::now();
    let r = play(&sb, &exs, &o);
    assert!(started.elapsed() < Duration::from_secs(10));
    let f = r.exercises[0].failed_step().unwrap();
    assert_eq!(f.outcome, StepOutcome::TimedOut { after_ms: 1000 });
    assert_eq!(f.line, 12);
    assert!(
        r.to_human()
            .contains("did not finish within 1s; interrupted"),
        "{}",
        r.to_human()
    );
    assert_eq!(r.not_run, vec!["next".to_string()]);
}

#[test]
fn hidden_commands_run_and_tmux_is_skipped() {
    let sb = sandbox();
    let exs = [exercise(
        "hidden",
        10,
        &[
            (None, "export A=1\n", 11),
            (Some("hide"), "echo hidden-$A > proof", 14),
            (Some("tmux"), "split-pane -v", 15),
            (None, "cat proof\n", 16),
        ],
    )];
    let r = play(&sb, &exs, &opts());
    assert!(r.passed(), "{}", r.to_human());
    let steps = &r.exercises[0].steps;
    assert_eq!(steps[1].kind, StepKind::HiddenCommand);
    assert_eq!(steps[1].line, 14);
    assert!(matches!(steps[2].outcome, StepOutcome::Skipped { .. }));
    assert_eq!(steps[3].output.trim(), "hidden-1");
}

#[test]
fn yaml_and_unlabelled_blocks_are_not_typed() {
    let mut ex = exercise("y", 10, &[]);
    ex.steps = vec![
        Step {
            directive: None,
            lang: Some("yaml".into()),
            text: "kind: Pod\n".into(),
            line: 11,
        },
        Step {
            directive: None,
            lang: None,
            text: "NAME READY\n".into(),
            line: 15,
        },
    ];
    let p = plan(&[ex]);
    assert!(!p[0].types_anything());
}

/// Records which exercises were checked, and when.
struct Recorder {
    checked: Vec<String>,
    proof: PathBuf,
    fail: &'static str,
}

impl ExerciseVerifier for Recorder {
    fn verify(&mut self, exercise: &Exercise) -> ExerciseResult {
        // The commands ran before the check: their file is there.
        assert!(self.proof.exists(), "check ran before the commands");
        self.checked.push(exercise.id.clone());
        if exercise.id != self.fail {
            return ExerciseResult::without_expectations(exercise, Verdict::Pass, "held".into());
        }
        // What the engine says of a failure: the expectation that did not
        // hold, and the objects it saw.
        let mut r = ExerciseResult::without_expectations(
            exercise,
            Verdict::Fail,
            "pods -l app=web: 0 of 1 matching object(s) pass, want >=1".into(),
        );
        r.expectations.push(ExpectationResult {
            line: 33,
            query: "pods -l app=web in default".into(),
            conditions: "phase Running".into(),
            want: ">=1".into(),
            passing: 0,
            holds: false,
            objects: vec![ObjectResult {
                namespace: Some("default".into()),
                name: "web-1".into(),
                failed: vec!["phase Pending, want Running".into()],
            }],
            error: None,
        });
        r
    }
}

#[test]
fn check_runs_after_commands_and_a_failing_check_stops() {
    let sb = sandbox();
    let exs = [
        with_check(exercise("a", 10, &[(None, "touch proof\n", 11)])),
        exercise("no-check", 20, &[(None, "true\n", 21)]),
        with_check(exercise("b", 30, &[(None, "true\n", 31)])),
        with_check(exercise("c", 40, &[(None, "true\n", 41)])),
    ];
    let mut v = Recorder {
        checked: Vec::new(),
        proof: sb.work.join("proof"),
        fail: "b",
    };
    let mut s = session(&sb);
    let mut seen = Vec::new();
    let r = run(&mut s, &plan(&exs), &mut v, &opts(), &mut |e| {
        if let labdeck::run::Event::ExerciseDone(x) = e {
            seen.push(x.id.clone())
        }
    });
    assert_eq!(v.checked, vec!["a", "b"]);
    assert_eq!(seen, vec!["a", "no-check", "b"]);
    assert_eq!(r.exercises[2].status, ExerciseStatus::Failed);
    assert_eq!(r.not_run, vec!["c"]);
    // The human report shows the failure as `check` does, under the
    // exercise's line.
    let human = r.to_human();
    assert!(
        human.contains(
            "check failed\n      line 33: pods -l app=web in default (phase Running): 0 passing, want >=1\n        default/web-1: phase Pending, want Running\n"
        ),
        "{human}"
    );
    // The JSON report carries the checker's result whole, as `check
    // --format json` prints it.
    let json: serde_json::Value = serde_json::from_str(&r.to_json()).unwrap();
    let check = &json["exercises"][2]["check"];
    assert_eq!(check["verdict"], "fail");
    assert_eq!(check["id"], "b");
    assert_eq!(
        check["message"],
        "pods -l app=web: 0 of 1 matching object(s) pass, want >=1"
    );
    let e = &check["expectations"][0];
    assert_eq!(e["line"], 33);
    assert_eq!(e["holds"], false);
    assert_eq!(e["objects"][0]["name"], "web-1");
    assert_eq!(e["objects"][0]["failed"][0], "phase Pending, want Running");
    assert!(check.get("diagnosis").is_none(), "{check}");
    let parsed: ExerciseResult = serde_json::from_value(check.clone()).unwrap();
    assert_eq!(parsed.verdict, Verdict::Fail);
    assert_eq!(json["exercises"][0]["check"]["verdict"], "pass");
}

#[test]
fn interactive_shell_in_a_pod_is_left_with_exit() {
    // `kubectl exec -ti ... -- sh` as a student does it: `keys exit` + Enter.
    let sb = sandbox();
    let exs = [exercise(
        "exec",
        10,
        &[
            (None, "sh\n", 11),
            (Some("keys"), "echo inside", 13),
            (Some("key"), "^J", 14),
            (Some("keys"), "exit", 15),
            (Some("key"), "^J", 16),
            (None, "echo outside\n", 18),
        ],
    )];
    let r = play(&sb, &exs, &opts());
    assert!(r.passed(), "{}", r.to_human());
    let steps = &r.exercises[0].steps;
    assert!(steps[0].output.contains("inside"), "{:?}", steps[0].output);
    assert_eq!(steps.last().unwrap().output.trim(), "outside");
}

#[test]
fn shell_exit_is_reported_not_hung() {
    let sb = sandbox();
    let exs = [
        exercise("bye", 10, &[(None, "exit 3\n", 11)]),
        exercise("next", 20, &[(None, "echo x\n", 21)]),
    ];
    let mut o = opts();
    o.keep_going = true;
    let r = play(&sb, &exs, &o);
    let f = r.exercises[0].failed_step().unwrap();
    assert!(
        matches!(f.outcome, StepOutcome::ShellLost { .. }),
        "{:?}",
        f.outcome
    );
    assert_eq!(
        r.not_run,
        vec!["next"],
        "nothing runs once the shell is gone"
    );
}

#[test]
fn only_from_and_upto_select_exercises_and_unknown_ids_are_errors() {
    use labdeck::run::plan::select;
    use labdeck::selection::Selection;
    let exs = [
        exercise("a", 1, &[(None, "true\n", 2)]),
        exercise("b", 5, &[(None, "true\n", 6)]),
        exercise("c", 9, &[(None, "true\n", 10)]),
    ];
    let ids = |p: Vec<labdeck::run::PlannedExercise>| -> Vec<String> {
        p.into_iter().map(|p| p.exercise.id).collect()
    };
    let from = |id| Selection {
        from: Some(id),
        ..Default::default()
    };
    assert_eq!(ids(select(plan(&exs), &from("b")).unwrap()), ["b", "c"]);
    let upto = Selection {
        upto: Some("b"),
        ..Default::default()
    };
    assert_eq!(ids(select(plan(&exs), &upto).unwrap()), ["a", "b"]);
    let only = ["c".to_string(), "a".to_string()];
    let only = Selection {
        only: &only,
        ..Default::default()
    };
    assert_eq!(ids(select(plan(&exs), &only).unwrap()), ["a", "c"]);
    let zz = ["zz".to_string()];
    let zz = Selection {
        only: &zz,
        ..Default::default()
    };
    let e = select(plan(&exs), &zz).unwrap_err();
    assert!(e.to_string().contains("no exercise with id zz"), "{e}");
}

#[test]
fn dry_run_plan_names_every_action_with_its_line() {
    let ex = with_check(exercise(
        "logs",
        395,
        &[
            (
                None,
                "kubectl logs deploy/pingpong --tail 1 --follow\n",
                396,
            ),
            (Some("wait"), "seq=3", 403),
            (Some("keys"), "^C", 404),
            (Some("hide"), "kubectl wait pod --for condition=ready", 405),
            (Some("open"), "http://node1:8000", 406),
        ],
    ));
    let text = plan::render(&plan(&[ex]));
    for want in [
        "logs  k8s/demo.md:395 (slide 1) Exercise logs",
        "k8s/demo.md:397  $ kubectl logs deploy/pingpong --tail 1 --follow   (never ends",
        "k8s/demo.md:403  wait for `seq=3`",
        "k8s/demo.md:404  press ^C",
        "k8s/demo.md:405  [hidden] $ kubectl wait pod --for condition=ready",
        "k8s/demo.md:406  skip `open http://node1:8000`",
        "k8s/demo.md:405  then check",
    ] {
        assert!(text.contains(want), "missing {want:?} in\n{text}");
    }
}

#[test]
fn commands_after_an_interactive_shell_go_into_it_until_it_exits() {
    let sb = sandbox();
    let exs = [
        exercise("open", 10, &[(None, "kubectl exec -ti web -- sh\n", 11)]),
        exercise(
            "inside",
            20,
            &[(None, "echo inside-$((1+1))\nIN_POD=yes\n", 21)],
        ),
        exercise(
            "leave",
            30,
            &[(None, "exit\necho \"outside:${IN_POD:-unset}\"\n", 31)],
        ),
    ];
    let r = play(&sb, &exs, &opts());
    assert!(r.passed(), "{}", r.to_human());
    assert_eq!(commands(&r, 0)[0].outcome, StepOutcome::Opened);
    assert!(commands(&r, 1)[0].output.contains("inside-2"));
    assert_eq!(
        commands(&r, 1)[0].exit_status,
        None,
        "no status inside the pod"
    );
    // `exit` left the pod's shell; the variable was the pod's, not ours.
    assert_eq!(commands(&r, 2)[1].output.trim(), "outside:unset");
    assert_eq!(commands(&r, 2)[1].exit_status, Some(0));
    assert!(
        r.to_human()
            .contains("is interactive; the next commands were typed into it")
    );
}
