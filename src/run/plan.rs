//! What `labdeck run` will do, exercise by exercise: the lines a student
//! types, the keys they press, the text they wait for.
//!
//! Which fenced blocks are typed: only those whose language is `bash`, `sh`
//! or `shell`. A block without a language, or in any other language
//! (`yaml`, `json`, `console`...), is usually output or a file's content, so
//! it is not run; the plan says so. Decks mark commands with ```` ```bash ````
//! (container.training does so throughout), so being conservative costs
//! little and never types YAML into a shell.
//!
//! Hidden directives (HTML comments holding ```` ```wait TEXT``` ```` and
//! friends, as container.training's own test driver reads them):
//! - `wait TEXT`: wait until TEXT has been printed since the last command
//!   was typed (`longwait TEXT`: the same, with 5x the time limit);
//! - `key K`: one key, in tmux's naming (`^C`, `^D`, `^J`, `Enter`, `Space`,
//!   `Escape`, `Tab`...), anything else typed as is;
//! - `keys TEXT`: TEXT typed as is (no Enter), except a lone `^X`, a key;
//! - `hide` / `bash`: commands typed but not shown on the slide;
//! - `copypaste`, `open`, `tmux`: need a human or a tmux session; skipped
//!   with a note.

use serde::Serialize;

use crate::exercise::Exercise;
use crate::shell::behaviour::Behaviour;
pub use crate::shell::typing::{Action, actions};

/// One exercise's actions.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedExercise {
    pub exercise: Exercise,
    pub actions: Vec<Action>,
}

impl PlannedExercise {
    /// Whether anything will be typed.
    pub fn types_anything(&self) -> bool {
        self.actions
            .iter()
            .any(|a| matches!(a, Action::Type { .. } | Action::Keys { .. }))
    }
}

/// Builds the plan for `exercises`, in the order given (slide order).
pub fn plan(exercises: &[Exercise]) -> Vec<PlannedExercise> {
    exercises
        .iter()
        .map(|ex| PlannedExercise {
            exercise: ex.clone(),
            actions: actions(ex),
        })
        .collect()
}

/// Keeps the exercises `--only/--from/--upto` select, in plan order
/// ([`crate::selection`], the rule `check` and `grade` use).
pub fn select(
    plan: Vec<PlannedExercise>,
    selection: &crate::selection::Selection,
) -> Result<Vec<PlannedExercise>, crate::error::Error> {
    crate::selection::select(plan, |p| p.exercise.id.as_str(), selection)
}

/// Parses the check of every planned exercise, as `check` does, so that
/// `run` (and `run --dry-run`) refuses a check that does not parse before
/// anything is typed, naming every one (file:line).
pub fn parse_checks(plan: &[PlannedExercise]) -> Result<(), Vec<crate::error::Error>> {
    let exercises: Vec<Exercise> = plan.iter().map(|p| p.exercise.clone()).collect();
    crate::check::engine::plans(&exercises).map(|_| ())
}

/// The plan as `--dry-run` prints it: every action with its file:line.
pub fn render(plan: &[PlannedExercise]) -> String {
    use std::fmt::Write as _;
    let mut out = String::new();
    for p in plan {
        let ex = &p.exercise;
        let file = ex.file.display();
        let _ = writeln!(
            out,
            "{}  {file}:{} (slide {}) {}",
            ex.id, ex.line, ex.slide, ex.title
        );
        for a in &p.actions {
            let line = a.line();
            let what = match a {
                Action::Type {
                    text,
                    hidden,
                    behaviour,
                    ..
                } => {
                    let mut lines = text.lines();
                    let mut s = format!(
                        "{}$ {}",
                        if *hidden { "[hidden] " } else { "" },
                        lines.next().unwrap_or("")
                    );
                    for l in lines {
                        s.push_str("\n        > ");
                        s.push_str(l);
                    }
                    match behaviour {
                        Behaviour::NeverEnds => {
                            s.push_str("   (never ends: ^C after the grace period)")
                        }
                        Behaviour::Interactive => s.push_str(
                            "   (interactive: the next commands are typed into it until it exits)",
                        ),
                        Behaviour::Returns => {}
                    }
                    s
                }
                Action::Wait { text, long, .. } => {
                    format!("wait for `{text}`{}", if *long { " (long)" } else { "" })
                }
                Action::Keys { display, .. } => format!("press {display}"),
                Action::Skip { what, reason, .. } => format!("skip `{what}`: {reason}"),
            };
            let _ = writeln!(out, "  {file}:{line}  {what}");
        }
        match &ex.check {
            Some(c) => {
                let _ = writeln!(out, "  {}:{}  then check", c.file.display(), c.line);
            }
            None => {
                let _ = writeln!(out, "  (no check)");
            }
        }
    }
    out
}
