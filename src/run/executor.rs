//! Plays a plan in one [`Session`]: each exercise's actions in order, each
//! typed command waited for (time limit, grace for never-ending ones), then
//! the exercise's check through an [`ExerciseVerifier`].
//!
//! A command's life: it is typed; the directives that follow it (`wait`,
//! `key ^C`...) act while it runs; it is then waited for, up to the time
//! limit, when the next command is typed or the exercise ends. A command
//! that never ends by design and that no directive interrupted gets `^C`
//! after the grace period, and that is not a failure.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::exercise::Exercise;

use super::plan::{Action, PlannedExercise};
use super::report::{
    CheckOutcome, ExerciseReport, ExerciseStatus, RunReport, StepKind, StepOutcome, StepReport,
};
use super::session::{Output, Session, clean_output};

/// Evaluates an exercise's check once its commands have run. The CLI
/// implements it with the checker engine; tests use fakes.
pub trait ExerciseVerifier {
    /// Called only for exercises that have a check.
    fn verify(&mut self, exercise: &Exercise) -> CheckOutcome;
}

/// A verifier for runs without checks (`--no-check`, tests).
pub struct SkipChecks;

impl ExerciseVerifier for SkipChecks {
    fn verify(&mut self, _exercise: &Exercise) -> CheckOutcome {
        CheckOutcome::Pass
    }
}

#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Time limit for one command.
    pub command_timeout: Duration,
    /// How long a never-ending command runs before `^C`.
    pub grace: Duration,
    /// Go on with the next exercise after a failure.
    pub keep_going: bool,
    /// How long the shell may take to come back after `^C`.
    pub settle: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            command_timeout: Duration::from_secs(60),
            grace: Duration::from_secs(3),
            keep_going: false,
            settle: Duration::from_secs(5),
        }
    }
}

/// Progress as it happens, for a live display.
#[derive(Debug)]
pub enum Event<'a> {
    ExerciseStarted(&'a Exercise),
    StepDone(&'a StepReport),
    ExerciseDone(&'a ExerciseReport),
}

/// The command typed last, until the shell is back at its prompt.
struct Running {
    /// Index of its report in the exercise's steps.
    index: usize,
    started: Instant,
    output: Vec<u8>,
    /// Never ends by design.
    long_running: bool,
    /// A directive pressed `^C`.
    interrupted: bool,
    status: Option<i32>,
}

/// Runs `plan` in `session`; `on_event` sees progress.
pub fn run(
    session: &mut Session,
    plan: &[PlannedExercise],
    verifier: &mut dyn ExerciseVerifier,
    opts: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> RunReport {
    let mut report = RunReport {
        context: None,
        exercises: Vec::new(),
        not_run: Vec::new(),
    };
    let mut stop = false;
    for planned in plan {
        if stop {
            report.not_run.push(planned.exercise.id.clone());
            continue;
        }
        on_event(Event::ExerciseStarted(&planned.exercise));
        let (ex_report, shell_lost) = run_exercise(session, planned, verifier, opts, on_event);
        on_event(Event::ExerciseDone(&ex_report));
        let failed = ex_report.status != ExerciseStatus::Passed;
        report.exercises.push(ex_report);
        if shell_lost || (failed && !opts.keep_going) {
            stop = true;
        }
    }
    report
}

/// Runs one exercise; the flag says the shell is gone and nothing more can run.
fn run_exercise(
    session: &mut Session,
    planned: &PlannedExercise,
    verifier: &mut dyn ExerciseVerifier,
    opts: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> (ExerciseReport, bool) {
    let ex = &planned.exercise;
    let mut steps: Vec<StepReport> = Vec::new();
    let mut running: Option<Running> = None;
    // Keys typed at the prompt (no command running) since the last Enter.
    let mut typed = String::new();
    let mut failed = false;
    let mut shell_lost = false;

    for action in &planned.actions {
        match action {
            Action::Type {
                text,
                line,
                hidden,
                long_running,
            } => {
                if !finish(session, &mut running, &mut steps, opts, on_event) {
                    failed = true;
                    break;
                }
                let kind = if *hidden {
                    StepKind::HiddenCommand
                } else {
                    StepKind::Command
                };
                steps.push(step(kind, text, &ex.file, *line));
                if let Err(e) = session.type_line(text) {
                    let last = steps.len() - 1;
                    steps[last].outcome = StepOutcome::ShellLost {
                        message: e.to_string(),
                    };
                    failed = true;
                    shell_lost = true;
                    break;
                }
                running = Some(Running {
                    index: steps.len() - 1,
                    started: Instant::now(),
                    output: Vec::new(),
                    long_running: *long_running,
                    interrupted: false,
                    status: None,
                });
            }
            Action::Keys {
                display,
                bytes,
                line,
            } => {
                let mut s = step(StepKind::Keys, display, &ex.file, *line);
                s.outcome = StepOutcome::Ok;
                let interrupts = bytes.contains(&0x03);
                let enter = bytes.iter().any(|b| *b == b'\n' || *b == b'\r');
                if let Err(e) = session.send(bytes) {
                    s.outcome = StepOutcome::ShellLost {
                        message: e.to_string(),
                    };
                    steps.push(s);
                    failed = true;
                    shell_lost = true;
                    break;
                }
                steps.push(s);
                if let Some(last) = steps.last() {
                    on_event(Event::StepDone(last));
                }
                let at_prompt = running.as_ref().is_none_or(|r| r.status.is_some());
                if at_prompt && interrupts {
                    // ^C at the prompt makes bash print a fresh prompt (a
                    // marker nobody waits for): swallow it.
                    drain(session, Duration::from_millis(300));
                }
                match running.as_mut() {
                    Some(r) if r.status.is_none() => r.interrupted |= interrupts,
                    _ if enter => {
                        // Keys typed at the prompt then Enter: a command.
                        typed.push_str(&String::from_utf8_lossy(bytes));
                        if !finish(session, &mut running, &mut steps, opts, on_event) {
                            failed = true;
                            break;
                        }
                        steps.push(step(StepKind::Command, typed.trim(), &ex.file, *line));
                        typed.clear();
                        running = Some(Running {
                            index: steps.len() - 1,
                            started: Instant::now(),
                            output: Vec::new(),
                            long_running: false,
                            interrupted: false,
                            status: None,
                        });
                    }
                    _ => typed.push_str(&String::from_utf8_lossy(bytes)),
                }
            }
            Action::Wait { text, line } => {
                let mut s = step(StepKind::Wait, text, &ex.file, *line);
                let started = Instant::now();
                s.outcome = wait_for_text(session, running.as_mut(), text, opts);
                s.duration_ms = started.elapsed().as_millis() as u64;
                let bad = s.outcome.is_failure();
                if bad && let Some(r) = &running {
                    s.output = clean_output(&r.output);
                }
                steps.push(s);
                if let Some(last) = steps.last() {
                    on_event(Event::StepDone(last));
                }
                if bad {
                    // Leave the shell at a prompt for what follows.
                    interrupt_and_settle(session, &mut running, &mut steps, opts);
                    failed = true;
                    break;
                }
            }
            Action::Skip { what, line, reason } => {
                let mut s = step(StepKind::Skip, what, &ex.file, *line);
                s.outcome = StepOutcome::Skipped {
                    reason: reason.clone(),
                };
                steps.push(s);
                if let Some(last) = steps.last() {
                    on_event(Event::StepDone(last));
                }
            }
        }
    }
    if !failed && !finish(session, &mut running, &mut steps, opts, on_event) {
        failed = true;
    }
    if steps
        .iter()
        .any(|s| matches!(s.outcome, StepOutcome::ShellLost { .. }))
    {
        shell_lost = true;
    }

    let check = if failed || ex.check.is_none() {
        None
    } else {
        Some(verifier.verify(ex))
    };
    let status = if failed {
        ExerciseStatus::Failed
    } else {
        match &check {
            None | Some(CheckOutcome::Pass) => ExerciseStatus::Passed,
            Some(CheckOutcome::Fail { .. }) => ExerciseStatus::Failed,
            Some(CheckOutcome::Error { .. }) => ExerciseStatus::Error,
        }
    };
    (
        ExerciseReport {
            id: ex.id.clone(),
            file: ex.file.clone(),
            line: ex.line,
            slide: ex.slide,
            title: ex.title.clone(),
            steps,
            check,
            status,
        },
        shell_lost,
    )
}

fn step(kind: StepKind, text: &str, file: &Path, line: usize) -> StepReport {
    StepReport {
        kind,
        text: text.to_string(),
        file: file.to_path_buf(),
        line,
        output: String::new(),
        exit_status: None,
        outcome: StepOutcome::Ok,
        duration_ms: 0,
    }
}

/// Waits for the running command (if any) to end and records how; false
/// when that is a failure.
fn finish(
    session: &mut Session,
    running: &mut Option<Running>,
    steps: &mut [StepReport],
    opts: &RunOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> bool {
    let Some(mut r) = running.take() else {
        return true;
    };
    let outcome = wait_prompt(session, &mut r, opts);
    let s = &mut steps[r.index];
    s.output = clean_output(&r.output);
    s.exit_status = r.status;
    s.duration_ms = r.started.elapsed().as_millis() as u64;
    s.outcome = outcome;
    on_event(Event::StepDone(s));
    !s.outcome.is_failure()
}

/// Reads until the prompt comes back, interrupting a never-ending command
/// after the grace period and any command at the time limit.
fn wait_prompt(session: &mut Session, r: &mut Running, opts: &RunOptions) -> StepOutcome {
    let timeout_at = r.started + opts.command_timeout;
    let grace_at = r.started + opts.grace;
    let by_design = r.long_running && !r.interrupted;
    if r.status.is_none() {
        let deadline = if by_design {
            grace_at.min(timeout_at)
        } else {
            timeout_at
        };
        if let Err(lost) = read_to_prompt(session, r, deadline) {
            return lost;
        }
    }
    match r.status {
        Some(status) if r.interrupted => StepOutcome::Interrupted { status },
        Some(0) => StepOutcome::Ok,
        Some(status) => StepOutcome::Failed { status },
        None => {
            let at_grace = by_design && grace_at < timeout_at;
            if let Some(lost) = interrupt(session, r, opts) {
                return lost;
            }
            if at_grace {
                StepOutcome::StoppedAfterGrace
            } else {
                StepOutcome::TimedOut {
                    after_ms: opts.command_timeout.as_millis() as u64,
                }
            }
        }
    }
}

/// Reads output into `r` until the prompt (sets `r.status`) or `deadline`.
fn read_to_prompt(
    session: &mut Session,
    r: &mut Running,
    deadline: Instant,
) -> Result<(), StepOutcome> {
    loop {
        match session.read(deadline) {
            Output::Bytes(b) => r.output.extend(b),
            Output::Prompt { before, status } => {
                r.output.extend(before);
                r.status = Some(status);
                return Ok(());
            }
            Output::Timeout => return Ok(()),
            Output::Closed => {
                return Err(StepOutcome::ShellLost {
                    message: "the shell exited".to_string(),
                });
            }
        }
    }
}

/// `^C`, then (for a program that ignores it, e.g. a shell in a pod) `^D`,
/// until the prompt is back. `Some` if the shell does not come back.
fn interrupt(session: &mut Session, r: &mut Running, opts: &RunOptions) -> Option<StepOutcome> {
    for key in [b"\x03", b"\x04"] {
        if let Err(e) = session.send(key) {
            return Some(StepOutcome::ShellLost {
                message: e.to_string(),
            });
        }
        if let Err(lost) = read_to_prompt(session, r, Instant::now() + opts.settle) {
            return Some(lost);
        }
        if r.status.is_some() {
            return None;
        }
    }
    Some(StepOutcome::ShellLost {
        message: format!(
            "the shell did not come back to its prompt within {} after ^C and ^D",
            humantime::format_duration(opts.settle)
        ),
    })
}

/// After a failed wait: stop the command so the next exercise starts at a
/// prompt, and record its output.
fn interrupt_and_settle(
    session: &mut Session,
    running: &mut Option<Running>,
    steps: &mut [StepReport],
    opts: &RunOptions,
) {
    let Some(mut r) = running.take() else {
        return;
    };
    let lost = if r.status.is_none() {
        interrupt(session, &mut r, opts)
    } else {
        None
    };
    let s = &mut steps[r.index];
    s.output = clean_output(&r.output);
    s.exit_status = r.status;
    s.duration_ms = r.started.elapsed().as_millis() as u64;
    s.outcome = lost.unwrap_or(match r.status {
        Some(status) => StepOutcome::Interrupted { status },
        None => StepOutcome::Ok,
    });
}

/// `wait TEXT`: the text printed since the last command was typed.
fn wait_for_text(
    session: &mut Session,
    running: Option<&mut Running>,
    text: &str,
    opts: &RunOptions,
) -> StepOutcome {
    let Some(r) = running else {
        return StepOutcome::WaitFailed {
            message: format!("nothing is running to print `{text}`"),
        };
    };
    let deadline = Instant::now() + opts.command_timeout;
    loop {
        if clean_output(&r.output).contains(text) {
            return StepOutcome::Ok;
        }
        if r.status.is_some() {
            return StepOutcome::WaitFailed {
                message: format!("the command ended without printing `{text}`"),
            };
        }
        match session.read(deadline) {
            Output::Bytes(b) => r.output.extend(b),
            Output::Prompt { before, status } => {
                r.output.extend(before);
                r.status = Some(status);
            }
            Output::Timeout => {
                return StepOutcome::WaitFailed {
                    message: format!(
                        "`{text}` did not appear within {}",
                        humantime::format_duration(opts.command_timeout)
                    ),
                };
            }
            Output::Closed => {
                return StepOutcome::ShellLost {
                    message: "the shell exited".to_string(),
                };
            }
        }
    }
}

/// Discards what the shell prints for `quiet` (stray prompts).
fn drain(session: &mut Session, quiet: Duration) {
    loop {
        match session.read(Instant::now() + quiet) {
            Output::Bytes(_) | Output::Prompt { .. } => {}
            Output::Timeout | Output::Closed => return,
        }
    }
}
