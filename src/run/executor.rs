//! Plays a plan in one [`Session`]: each exercise's actions in order, each
//! typed command waited for (time limit, grace for never-ending ones), then
//! the exercise's check through an [`ExerciseVerifier`].
//!
//! A command's life: it is typed; the directives that follow it (`wait`,
//! `key ^C`...) act while it runs; it is then waited for, up to the time
//! limit, when the next command is typed or the exercise ends. A command
//! that never ends by design and that no directive interrupted gets `^C`
//! after the grace period, and that is not a failure.
//!
//! A command that opens an interactive program (`kubectl exec -ti ... --
//! sh`) is different: what follows is typed into that program, as a student
//! would, across exercises, until it exits. Our prompt marker does not exist
//! there, so such commands count as done when their output pauses
//! (`quiet`), and their exit status is unknown.

use std::path::Path;
use std::time::{Duration, Instant};

use crate::check::engine::{ExerciseResult, Verdict};
use crate::duration;
use crate::exercise::Exercise;

use super::plan::{Action, PlannedExercise};
use super::report::{ExerciseReport, ExerciseStatus, RunReport, StepKind, StepOutcome, StepReport};
use super::session::{Output, Session, clean_output};
use crate::shell::behaviour::Behaviour;

/// Evaluates an exercise's check once its commands have run: the checker
/// engine's verdict, as `check` reports it. [`super::verify`] implements it
/// against a cluster; tests use fakes.
pub trait ExerciseVerifier {
    /// Called only for exercises that have a check.
    fn verify(&mut self, exercise: &Exercise) -> ExerciseResult;
    /// The cluster cannot be checked at all (its first answer said so:
    /// [`crate::check::engine::first_contact`]): the run stops there, even
    /// with `keep_going`, so the error is said once (issue 26).
    fn cannot_check(&self) -> bool {
        false
    }
}

/// A verifier for runs without checks (tests): every check passes.
pub struct SkipChecks;

impl ExerciseVerifier for SkipChecks {
    fn verify(&mut self, exercise: &Exercise) -> ExerciseResult {
        ExerciseResult::without_expectations(exercise, Verdict::Pass, "not checked".into())
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
    /// Inside an interactive program (a shell in a pod), where no prompt
    /// marker tells when a command is done: how long output must pause.
    pub quiet: Duration,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            command_timeout: Duration::from_secs(60),
            grace: Duration::from_secs(3),
            keep_going: false,
            settle: Duration::from_secs(5),
            quiet: Duration::from_secs(2),
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

/// Where a typed command runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// In our shell: done at the prompt marker.
    Shell,
    /// In our shell, opening an interactive program.
    Opening,
    /// Inside the interactive program: done when output pauses.
    Nested,
}

/// The command typed last, until it is done.
struct Running {
    /// Index of its report in the exercise's steps.
    index: usize,
    started: Instant,
    output: Vec<u8>,
    mode: Mode,
    /// Never ends by design.
    long_running: bool,
    /// A directive pressed `^C`.
    interrupted: bool,
    status: Option<i32>,
}

/// The shell being played, and whether an interactive program is open in it.
struct Player<'a> {
    session: &'a mut Session,
    opts: &'a RunOptions,
    /// An interactive program is open: commands go to it.
    nested: bool,
    /// The shell is gone: nothing more can run.
    lost: bool,
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
        interrupted: false,
        cannot_check: false,
    };
    let mut player = Player {
        session,
        opts,
        nested: false,
        lost: false,
    };
    let mut stop = false;
    for planned in plan {
        if super::interrupt::interrupted() {
            report.interrupted = true;
            stop = true;
        }
        if stop {
            report.not_run.push(planned.exercise.id.clone());
            continue;
        }
        on_event(Event::ExerciseStarted(&planned.exercise));
        let ex_report = player.exercise(planned, verifier, on_event);
        on_event(Event::ExerciseDone(&ex_report));
        let failed = ex_report.status != ExerciseStatus::Passed;
        report.exercises.push(ex_report);
        if super::interrupt::interrupted() {
            report.interrupted = true;
            stop = true;
        }
        if verifier.cannot_check() {
            report.cannot_check = true;
            stop = true;
        }
        if player.lost || (failed && !opts.keep_going) {
            stop = true;
        }
    }
    report
}

impl Player<'_> {
    /// Runs one exercise's actions, then its check.
    fn exercise(
        &mut self,
        planned: &PlannedExercise,
        verifier: &mut dyn ExerciseVerifier,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> ExerciseReport {
        let ex = &planned.exercise;
        let mut steps: Vec<StepReport> = Vec::new();
        let mut running: Option<Running> = None;
        // Keys typed (no command running) since the last Enter.
        let mut typed = String::new();
        let mut failed = false;

        for action in &planned.actions {
            match action {
                Action::Type {
                    text,
                    line,
                    hidden,
                    behaviour,
                } => {
                    if !self.finish(&mut running, &mut steps, on_event) {
                        failed = true;
                        break;
                    }
                    let kind = if *hidden {
                        StepKind::HiddenCommand
                    } else {
                        StepKind::Command
                    };
                    steps.push(step(kind, text, &ex.file, *line));
                    if let Err(e) = self.session.type_line(text) {
                        self.lose(&mut steps, e.to_string());
                        failed = true;
                        break;
                    }
                    running = Some(self.start(steps.len() - 1, *behaviour));
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
                    steps.push(s);
                    if let Err(e) = self.session.send(bytes) {
                        self.lose(&mut steps, e.to_string());
                        failed = true;
                        break;
                    }
                    if let Some(last) = steps.last() {
                        on_event(Event::StepDone(last));
                    }
                    let idle = running.as_ref().is_none_or(|r| r.status.is_some());
                    if idle && interrupts && !self.nested {
                        // ^C at the prompt makes bash print a fresh prompt (a
                        // marker nobody waits for): swallow it.
                        self.drain(Duration::from_millis(300));
                    }
                    match running.as_mut() {
                        Some(r) if r.status.is_none() && r.mode != Mode::Nested => {
                            r.interrupted |= interrupts
                        }
                        _ if enter => {
                            // Keys then Enter at a prompt: a command.
                            typed.push_str(&String::from_utf8_lossy(bytes));
                            if !self.finish(&mut running, &mut steps, on_event) {
                                failed = true;
                                break;
                            }
                            steps.push(step(StepKind::Command, typed.trim(), &ex.file, *line));
                            typed.clear();
                            running = Some(self.start(steps.len() - 1, Behaviour::Returns));
                        }
                        Some(r) => {
                            r.interrupted |= interrupts;
                            typed.push_str(&String::from_utf8_lossy(bytes));
                        }
                        None => typed.push_str(&String::from_utf8_lossy(bytes)),
                    }
                }
                Action::Wait { text, line, long } => {
                    let mut s = step(StepKind::Wait, text, &ex.file, *line);
                    let started = Instant::now();
                    let limit = self
                        .opts
                        .command_timeout
                        .saturating_mul(if *long { 5 } else { 1 });
                    s.outcome = self.wait_for_text(running.as_mut(), text, limit);
                    s.duration_ms = duration::millis(started.elapsed());
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
                        self.interrupt_and_settle(&mut running, &mut steps);
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
        if !failed && !self.finish(&mut running, &mut steps, on_event) {
            failed = true;
        }

        let check = if failed || ex.check.is_none() {
            None
        } else {
            Some(verifier.verify(ex))
        };
        let status = if failed {
            ExerciseStatus::Failed
        } else {
            match check.as_ref().map(|c| c.verdict) {
                None | Some(Verdict::Pass) => ExerciseStatus::Passed,
                Some(Verdict::Fail) => ExerciseStatus::Failed,
                Some(Verdict::Error) => ExerciseStatus::Error,
            }
        };
        ExerciseReport {
            id: ex.id.clone(),
            file: ex.file.clone(),
            line: ex.line,
            slide: ex.slide,
            title: ex.title.clone(),
            steps,
            check,
            status,
        }
    }

    fn start(&self, index: usize, behaviour: Behaviour) -> Running {
        let mode = if self.nested {
            Mode::Nested
        } else if behaviour == Behaviour::Interactive {
            Mode::Opening
        } else {
            Mode::Shell
        };
        Running {
            index,
            started: Instant::now(),
            output: Vec::new(),
            mode,
            long_running: behaviour == Behaviour::NeverEnds,
            interrupted: false,
            status: None,
        }
    }

    fn lose(&mut self, steps: &mut [StepReport], message: String) {
        self.lost = true;
        if let Some(last) = steps.last_mut() {
            last.outcome = StepOutcome::ShellLost { message };
        }
    }

    /// Waits for the running command (if any) to be done and records how;
    /// false when that is a failure.
    fn finish(
        &mut self,
        running: &mut Option<Running>,
        steps: &mut [StepReport],
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> bool {
        let Some(mut r) = running.take() else {
            return true;
        };
        let outcome = match r.mode {
            Mode::Shell => self.wait_prompt(&mut r),
            Mode::Opening | Mode::Nested => self.wait_quiet(&mut r),
        };
        if matches!(outcome, StepOutcome::ShellLost { .. }) {
            self.lost = true;
        }
        let s = &mut steps[r.index];
        s.output = clean_output(&r.output);
        s.exit_status = r.status;
        s.duration_ms = duration::millis(r.started.elapsed());
        s.outcome = outcome;
        on_event(Event::StepDone(s));
        !s.outcome.is_failure()
    }

    /// Reads until the prompt comes back, interrupting a never-ending
    /// command after the grace period and any command at the time limit.
    fn wait_prompt(&mut self, r: &mut Running) -> StepOutcome {
        let opts = self.opts;
        let timeout_at = duration::deadline(r.started, opts.command_timeout);
        let grace_at = duration::deadline(r.started, opts.grace);
        let by_design = r.long_running && !r.interrupted;
        if r.status.is_none() {
            let deadline = if by_design {
                grace_at.min(timeout_at)
            } else {
                timeout_at
            };
            if let Err(lost) = self.read_to_prompt(r, deadline) {
                return lost;
            }
        }
        match r.status {
            Some(status) if r.interrupted => StepOutcome::Interrupted { status },
            Some(0) => StepOutcome::Ok,
            Some(status) => StepOutcome::Failed { status },
            None => {
                let at_grace = by_design && grace_at < timeout_at;
                if let Some(lost) = self.interrupt(r) {
                    return lost;
                }
                if at_grace {
                    StepOutcome::StoppedAfterGrace
                } else {
                    StepOutcome::TimedOut {
                        after_ms: u64::try_from(opts.command_timeout.as_millis())
                            .unwrap_or(u64::MAX),
                    }
                }
            }
        }
    }

    /// For an interactive program (opening it, or a command typed into it):
    /// reads until output pauses. If our prompt comes back, the program
    /// exited (or never stayed open).
    fn wait_quiet(&mut self, r: &mut Running) -> StepOutcome {
        let opts = self.opts;
        let limit = duration::deadline(r.started, opts.command_timeout);
        let grace_at = duration::deadline(r.started, opts.grace);
        let mut sent_interrupt = false;
        while r.status.is_none() {
            let now = Instant::now();
            if r.long_running && !r.interrupted && !sent_interrupt && now >= grace_at {
                // A watch inside the pod: stop it as we would outside.
                if let Err(e) = self.session.send(b"\x03") {
                    return StepOutcome::ShellLost {
                        message: e.to_string(),
                    };
                }
                sent_interrupt = true;
            }
            if now >= limit {
                break;
            }
            let mut deadline = duration::deadline(now, opts.quiet).min(limit);
            if r.long_running && !sent_interrupt {
                deadline = deadline.max(grace_at.min(limit));
            }
            match self.session.read(deadline) {
                Output::Bytes(b) => r.output.extend(b),
                Output::Prompt { before, status } => {
                    r.output.extend(before);
                    r.status = Some(status);
                }
                Output::Timeout => break,
                Output::Closed => {
                    return StepOutcome::ShellLost {
                        message: "the shell exited".to_string(),
                    };
                }
            }
        }
        match (r.mode, r.status) {
            // Back at our prompt: the program exited.
            (Mode::Nested, Some(_)) => {
                self.nested = false;
                StepOutcome::Ok
            }
            (Mode::Opening, Some(status)) if r.interrupted => StepOutcome::Interrupted { status },
            (Mode::Opening, Some(0)) => StepOutcome::Ok,
            (Mode::Opening, Some(status)) => StepOutcome::Failed { status },
            (Mode::Opening, None) => {
                self.nested = true;
                StepOutcome::Opened
            }
            (Mode::Nested, None) | (Mode::Shell, _) => {
                if sent_interrupt {
                    StepOutcome::StoppedAfterGrace
                } else {
                    StepOutcome::Ok
                }
            }
        }
    }

    /// Reads output into `r` until the prompt (sets `r.status`) or `deadline`.
    fn read_to_prompt(&mut self, r: &mut Running, deadline: Instant) -> Result<(), StepOutcome> {
        loop {
            match self.session.read(deadline) {
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
    fn interrupt(&mut self, r: &mut Running) -> Option<StepOutcome> {
        let settle = self.opts.settle;
        for key in [b"\x03", b"\x04"] {
            if let Err(e) = self.session.send(key) {
                return Some(StepOutcome::ShellLost {
                    message: e.to_string(),
                });
            }
            if let Err(lost) = self.read_to_prompt(r, duration::deadline(Instant::now(), settle)) {
                return Some(lost);
            }
            if r.status.is_some() {
                self.nested = false;
                return None;
            }
        }
        Some(StepOutcome::ShellLost {
            message: format!(
                "the shell did not come back to its prompt within {} after ^C and ^D",
                humantime::format_duration(settle)
            ),
        })
    }

    /// After a failed wait: stop the command so the next exercise starts at a
    /// prompt, and record its output.
    fn interrupt_and_settle(&mut self, running: &mut Option<Running>, steps: &mut [StepReport]) {
        let Some(mut r) = running.take() else {
            return;
        };
        let lost = if r.status.is_none() {
            self.interrupt(&mut r)
        } else {
            None
        };
        if lost.is_some() {
            self.lost = true;
        }
        let s = &mut steps[r.index];
        s.output = clean_output(&r.output);
        s.exit_status = r.status;
        s.duration_ms = duration::millis(r.started.elapsed());
        s.outcome = lost.unwrap_or(match r.status {
            Some(status) => StepOutcome::Interrupted { status },
            None => StepOutcome::Ok,
        });
    }

    /// `wait TEXT`: the text printed since the last command was typed.
    fn wait_for_text(
        &mut self,
        running: Option<&mut Running>,
        text: &str,
        limit: Duration,
    ) -> StepOutcome {
        let Some(r) = running else {
            return StepOutcome::WaitFailed {
                message: format!("nothing is running to print `{text}`"),
            };
        };
        let deadline = duration::deadline(Instant::now(), limit);
        loop {
            if clean_output(&r.output).contains(text) {
                return StepOutcome::Ok;
            }
            if r.status.is_some() {
                return StepOutcome::WaitFailed {
                    message: format!("the command ended without printing `{text}`"),
                };
            }
            match self.session.read(deadline) {
                Output::Bytes(b) => r.output.extend(b),
                Output::Prompt { before, status } => {
                    r.output.extend(before);
                    r.status = Some(status);
                }
                Output::Timeout => {
                    return StepOutcome::WaitFailed {
                        message: format!(
                            "`{text}` did not appear within {}",
                            humantime::format_duration(limit)
                        ),
                    };
                }
                Output::Closed => {
                    self.lost = true;
                    return StepOutcome::ShellLost {
                        message: "the shell exited".to_string(),
                    };
                }
            }
        }
    }

    /// Discards what the shell prints for `quiet` (stray prompts).
    fn drain(&mut self, quiet: Duration) {
        loop {
            match self.session.read(duration::deadline(Instant::now(), quiet)) {
                Output::Bytes(_) | Output::Prompt { .. } => {}
                Output::Timeout | Output::Closed => return,
            }
        }
    }
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
