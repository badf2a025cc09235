//! The record of a `labdeck run`: per exercise, what was typed, what it
//! printed and how it ended, then the check's verdict. Human and JSON forms.
//!
//! The check's verdict is the checker engine's own [`ExerciseResult`], the
//! object `check --format json` prints (expectations, what was observed,
//! verdict, message); the human form renders it with `check`'s renderer
//! ([`crate::report::human::details`]).

use std::fmt::Write as _;
use std::path::PathBuf;

use serde::Serialize;

use crate::check::engine::{ExerciseResult, Verdict};
use crate::report::human;

/// How one typed command, key press or wait ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum StepOutcome {
    /// Exit status 0 (or the wait's text appeared, or keys were sent).
    Ok,
    /// Non-zero exit status.
    Failed { status: i32 },
    /// Still running at the time limit; interrupted.
    TimedOut { after_ms: u64 },
    /// Never ends by design; interrupted after the grace period.
    StoppedAfterGrace,
    /// Interrupted by a `key ^C` directive (as the slide says to).
    Interrupted { status: i32 },
    /// Opened an interactive program (a shell in a pod) that is still
    /// running: the next commands are typed into it.
    Opened,
    /// A `wait` whose text did not appear.
    WaitFailed { message: String },
    /// Not done (non-shell block, directive needing a person).
    Skipped { reason: String },
    /// The shell itself went away or stopped answering.
    ShellLost { message: String },
}

impl StepOutcome {
    pub fn is_failure(&self) -> bool {
        matches!(
            self,
            StepOutcome::Failed { .. }
                | StepOutcome::TimedOut { .. }
                | StepOutcome::WaitFailed { .. }
                | StepOutcome::ShellLost { .. }
        )
    }
}

/// What kind of step it was.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StepKind {
    Command,
    HiddenCommand,
    Keys,
    Wait,
    Skip,
}

/// One step as it happened.
#[derive(Debug, Clone, Serialize)]
pub struct StepReport {
    pub kind: StepKind,
    /// The command, keys or awaited text.
    pub text: String,
    pub file: PathBuf,
    pub line: usize,
    /// What the command printed (cleaned of terminal escapes); for a wait,
    /// the output it searched.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub output: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_status: Option<i32>,
    #[serde(flatten)]
    pub outcome: StepOutcome,
    pub duration_ms: u64,
}

/// The exercise's overall result.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExerciseStatus {
    /// Commands ran and the check (if any) passed.
    Passed,
    /// A command, wait or the check failed.
    Failed,
    /// The check could not be evaluated.
    Error,
}

#[derive(Debug, Clone, Serialize)]
pub struct ExerciseReport {
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
    pub slide: usize,
    pub title: String,
    pub steps: Vec<StepReport>,
    /// The check's verdict, as `check --format json` gives it. `None`: no
    /// check, or not evaluated because a step failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<ExerciseResult>,
    pub status: ExerciseStatus,
}

impl ExerciseReport {
    /// The step that failed, if one did.
    pub fn failed_step(&self) -> Option<&StepReport> {
        self.steps.iter().find(|s| s.outcome.is_failure())
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// The kube context the commands ran against.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    pub exercises: Vec<ExerciseReport>,
    /// Exercises planned but not run because the run stopped at a failure
    /// (or was interrupted).
    pub not_run: Vec<String>,
    /// Stopped by Ctrl-C (or SIGTERM/SIGHUP).
    pub interrupted: bool,
    /// Stopped because the cluster cannot be checked at all (the check
    /// that found it says why, once): exit status 4.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cannot_check: bool,
}

impl RunReport {
    pub fn passed(&self) -> bool {
        !self.interrupted
            && self.not_run.is_empty()
            && self
                .exercises
                .iter()
                .all(|e| e.status == ExerciseStatus::Passed)
    }

    /// The status `run` exits with: 130 when interrupted (as shells report
    /// a command ended by SIGINT), 4 when the cluster could not be checked
    /// at all, 0 when everything passed, 1 otherwise.
    pub fn exit_status(&self) -> u8 {
        if self.interrupted {
            crate::exit::INTERRUPTED
        } else if self.cannot_check {
            crate::exit::UNCHECKED
        } else if self.passed() {
            crate::exit::OK
        } else {
            crate::exit::FAILED
        }
    }

    pub fn to_json(&self) -> String {
        // Serialising plain data to a string does not fail.
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The terminal form: one line per exercise, details for failures.
    pub fn to_human(&self) -> String {
        let mut out = String::new();
        for ex in &self.exercises {
            let mark = match ex.status {
                ExerciseStatus::Passed => "ok   ",
                ExerciseStatus::Failed => "FAIL ",
                ExerciseStatus::Error => "ERROR",
            };
            let commands = ex
                .steps
                .iter()
                .filter(|s| matches!(s.kind, StepKind::Command | StepKind::HiddenCommand))
                .count();
            let check = match ex.check.as_ref().map(|c| c.verdict) {
                Some(Verdict::Pass) => ", check passed",
                Some(Verdict::Fail) => ", check failed",
                Some(Verdict::Error) => ", check error",
                None => "",
            };
            let _ = writeln!(
                out,
                "{mark} {}  {}:{} (slide {})  {commands} command{}{check}",
                ex.id,
                ex.file.display(),
                ex.line,
                ex.slide,
                if commands == 1 { "" } else { "s" },
            );
            for step in &ex.steps {
                let note = match step.outcome {
                    StepOutcome::Opened => "is interactive; the next commands were typed into it",
                    StepOutcome::StoppedAfterGrace => {
                        "stopped after the grace period (runs until interrupted)"
                    }
                    _ => continue,
                };
                let _ = writeln!(
                    out,
                    "      note: {}:{}: `{}` {note}",
                    step.file.display(),
                    step.line,
                    one_line(&step.text)
                );
            }
            if let Some(step) = ex.failed_step() {
                let what = match &step.outcome {
                    StepOutcome::Failed { status } => format!("exited with status {status}"),
                    StepOutcome::TimedOut { after_ms } => format!(
                        "did not finish within {}; interrupted",
                        humantime::format_duration(std::time::Duration::from_millis(*after_ms))
                    ),
                    StepOutcome::WaitFailed { message } => message.clone(),
                    StepOutcome::ShellLost { message } => message.clone(),
                    _ => String::new(),
                };
                let label = match step.kind {
                    StepKind::HiddenCommand => "hidden command",
                    StepKind::Wait => "wait",
                    StepKind::Keys => "keys",
                    _ => "command",
                };
                let _ = writeln!(
                    out,
                    "      {}:{}: {label} {what}:",
                    step.file.display(),
                    step.line
                );
                for l in step.text.lines() {
                    let _ = writeln!(out, "        $ {l}");
                }
                for l in tail_lines(&step.output, 20) {
                    let _ = writeln!(out, "        | {l}");
                }
            }
            // What the checker last saw, as `check` shows it under an
            // exercise.
            if let Some(check) = ex.check.as_ref().filter(|c| c.verdict != Verdict::Pass) {
                out.push_str(&human::details(check, "      "));
            }
        }
        if self.interrupted {
            let _ = writeln!(
                out,
                "interrupted; not run: {}",
                if self.not_run.is_empty() {
                    "none".to_owned()
                } else {
                    self.not_run.join(", ")
                }
            );
        } else if !self.not_run.is_empty() {
            let _ = writeln!(
                out,
                "stopped at the first failure; not run: {} (use --keep-going to go on)",
                self.not_run.join(", ")
            );
        }
        let passed = self
            .exercises
            .iter()
            .filter(|e| e.status == ExerciseStatus::Passed)
            .count();
        let _ = writeln!(
            out,
            "{passed}/{} exercises passed",
            self.exercises.len() + self.not_run.len()
        );
        out
    }
}

fn one_line(text: &str) -> String {
    let mut lines = text.lines();
    let first = lines.next().unwrap_or("").to_string();
    if lines.next().is_some() {
        format!("{first} ...")
    } else {
        first
    }
}

/// The last `n` non-empty-trailing lines of `text`.
fn tail_lines(text: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    let skip = lines.len().saturating_sub(n);
    lines[skip..].to_vec()
}
