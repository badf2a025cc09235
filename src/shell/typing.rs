//! What a student types for an exercise, step by step: the commands of its
//! shell blocks, the keys and waits of its hidden directives (the driver
//! directives of container.training's own tests). `run` executes these
//! actions; `lint` reads them to see what a slide makes a student do.

use serde::Serialize;

use super::behaviour::{Behaviour, behaviour};
use super::lines::split_commands;
use crate::exercise::{Exercise, Step};

/// Languages whose blocks are typed into the shell.
pub const SHELL_LANGS: &[&str] = &["bash", "sh", "shell"];

/// One thing to do in the shell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum Action {
    /// Type a command (one logical line, maybe spanning several physical
    /// lines) and press Enter.
    Type {
        text: String,
        line: usize,
        /// From a `hide`/`bash` directive: not shown to students.
        hidden: bool,
        /// How it behaves: returns, never ends (`-w`, `logs -f`: interrupted
        /// after the grace period unless a directive deals with it), or opens
        /// an interactive program the next commands are typed into.
        behaviour: Behaviour,
    },
    /// Wait until `text` has been printed since the last command was typed.
    Wait {
        text: String,
        line: usize,
        /// `longwait`: for slow things (image pulls), 5x the time limit.
        long: bool,
    },
    /// Press keys (no Enter added).
    Keys {
        /// What the directive said (`^C`, `:wq`).
        display: String,
        bytes: Vec<u8>,
        line: usize,
    },
    /// Not done, and why.
    Skip {
        what: String,
        line: usize,
        reason: String,
    },
}

impl Action {
    pub fn line(&self) -> usize {
        match self {
            Action::Type { line, .. }
            | Action::Wait { line, .. }
            | Action::Keys { line, .. }
            | Action::Skip { line, .. } => *line,
        }
    }
}

/// The actions of one exercise, from its steps (visible commands and hidden
/// directives in source order); from its commands if it has no steps.
pub fn actions(ex: &Exercise) -> Vec<Action> {
    let steps: Vec<Step> = if ex.steps.is_empty() {
        ex.commands
            .iter()
            .map(|c| Step {
                directive: None,
                lang: c.lang.clone(),
                text: c.text.clone(),
                line: c.line,
            })
            .collect()
    } else {
        ex.steps.clone()
    };
    let mut out = Vec::new();
    for step in &steps {
        match step.directive.as_deref() {
            None => {
                let lang = step.lang.as_deref().unwrap_or("");
                if SHELL_LANGS.contains(&lang) {
                    // The fence is on step.line; the block's text starts on
                    // the next line.
                    push_commands(&mut out, &step.text, step.line + 1, false);
                } else {
                    out.push(Action::Skip {
                        what: first_line(&step.text),
                        line: step.line,
                        reason: if lang.is_empty() {
                            "code block without a language is not run (mark commands ```bash)"
                                .to_string()
                        } else {
                            format!("`{lang}` block is not run")
                        },
                    });
                }
            }
            Some("hide") | Some("bash") => push_commands(&mut out, &step.text, step.line, true),
            Some(w @ ("wait" | "longwait")) => out.push(Action::Wait {
                text: step.text.trim().to_string(),
                line: step.line,
                long: w == "longwait",
            }),
            Some("key") => out.push(Action::Keys {
                display: step.text.trim().to_string(),
                bytes: key_bytes(step.text.trim()),
                line: step.line,
            }),
            Some("keys") => {
                let text = step.text.trim_end_matches('\n');
                let bytes = match control_key(text.trim()) {
                    Some(b) => vec![b],
                    None => text.as_bytes().to_vec(),
                };
                out.push(Action::Keys {
                    display: text.to_string(),
                    bytes,
                    line: step.line,
                });
            }
            Some(other) => out.push(Action::Skip {
                what: format!("{other} {}", first_line(&step.text)),
                line: step.line,
                reason: format!("`{other}` directive needs a person or tmux; skipped"),
            }),
        }
    }
    out
}

fn first_line(text: &str) -> String {
    text.lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Splits a block into the commands a student types one after the other and
/// appends them; `first_line` is the file line of the block's first line.
fn push_commands(out: &mut Vec<Action>, text: &str, first_line: usize, hidden: bool) {
    for (offset, command) in split_commands(text) {
        out.push(Action::Type {
            behaviour: behaviour(&command),
            text: command,
            line: first_line + offset,
            hidden,
        });
    }
}

/// A `key` directive's bytes, in tmux key names.
pub fn key_bytes(key: &str) -> Vec<u8> {
    if let Some(b) = control_key(key) {
        return vec![b];
    }
    match key {
        "Enter" => b"\n".to_vec(),
        "Space" => b" ".to_vec(),
        "Escape" => b"\x1b".to_vec(),
        "Tab" => b"\t".to_vec(),
        "BSpace" => b"\x7f".to_vec(),
        "Up" => b"\x1b[A".to_vec(),
        "Down" => b"\x1b[B".to_vec(),
        "Right" => b"\x1b[C".to_vec(),
        "Left" => b"\x1b[D".to_vec(),
        other => other.as_bytes().to_vec(),
    }
}

/// `^C` -> 0x03, `^[` -> ESC, `^?` -> DEL.
fn control_key(key: &str) -> Option<u8> {
    let mut chars = key.chars();
    if chars.next() != Some('^') {
        return None;
    }
    let c = chars.next()?;
    if chars.next().is_some() {
        return None;
    }
    match c.to_ascii_uppercase() {
        '?' => Some(0x7f),
        c @ '@'..='_' => Some(c as u8 - b'@'),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys() {
        assert_eq!(key_bytes("^C"), vec![3]);
        assert_eq!(key_bytes("^J"), vec![b'\n']);
        assert_eq!(key_bytes("^["), vec![0x1b]);
        assert_eq!(key_bytes("Space"), vec![b' ']);
        assert_eq!(key_bytes("$"), vec![b'$']);
    }
}
