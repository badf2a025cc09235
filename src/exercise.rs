//! Exercises: the `.exercise[...]` / `.lab[...]` blocks of a deck, with the
//! commands they ask a student to type and the check written next to them.
//!
//! Extracted from the same slide model the renderer uses (`model::Deck`), so
//! that ids, slide numbers and titles agree with what the HTML shows.

use std::path::PathBuf;

use serde::Serialize;

/// One hands-on exercise.
#[derive(Debug, Clone, Serialize)]
pub struct Exercise {
    /// The check's `id`, or `<chapter file stem>-<n>` (n counts that file's
    /// exercises from 1).
    pub id: String,
    /// Chapter file, as the manifest names it (relative to the manifest's folder).
    pub file: PathBuf,
    /// 1-based line of the `.exercise[` / `.lab[` opening in `file`.
    pub line: usize,
    /// 1-based number of the slide as the deck shows it (last `--` step that
    /// still holds the exercise's first appearance).
    pub slide: usize,
    /// The slide's `name:` property, if any.
    pub slide_name: Option<String>,
    /// The slide's title (its first heading, text only).
    pub title: String,
    /// Fenced code blocks inside the exercise, in order.
    pub commands: Vec<Command>,
    /// Hidden directives (`<!-- ```wait TEXT``` -->` and friends) between
    /// the exercise's commands, in source order with them.
    pub steps: Vec<Step>,
    /// The check attached to the exercise, not yet parsed.
    pub check: Option<CheckSource>,
}

/// A fenced code block a student is asked to type.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// Fence info string's first word (`bash`, `yaml`...), if any.
    pub lang: Option<String>,
    /// The block's text, with remark's highlight backticks removed.
    pub text: String,
    /// 1-based line of the opening fence in the chapter file.
    pub line: usize,
}

/// What `labdeck run` does, in order: visible commands and hidden directives.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `None` for a visible command; the directive's name (`wait`, `keys`,
    /// `key`, `hide`, `bash`, `copypaste`, `open`, `tmux`) for a hidden one.
    pub directive: Option<String>,
    pub lang: Option<String>,
    pub text: String,
    pub line: usize,
}

/// The raw text of a `<!-- check ... -->` comment and where it starts.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSource {
    /// The YAML after the word `check` (the comment's first line, if it holds
    /// more than `check`, is not part of it).
    pub yaml: String,
    pub file: PathBuf,
    /// 1-based line in `file` of the first line of `yaml`.
    pub line: usize,
}
