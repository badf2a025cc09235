//! Errors a user can cause. Each one names where it comes from: a file and
//! line for deck sources, a cluster/context for cluster access.

use std::fmt;
use std::path::{Path, PathBuf};

/// A position in a source file (1-based line; column 0 when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub struct Location {
    pub file: PathBuf,
    pub line: usize,
    #[serde(skip_serializing_if = "is_zero")]
    pub column: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

impl Location {
    pub fn new(file: impl Into<PathBuf>, line: usize) -> Self {
        Location {
            file: file.into(),
            line,
            column: 0,
        }
    }

    pub fn with_column(mut self, column: usize) -> Self {
        self.column = column;
        self
    }

    pub fn file(&self) -> &Path {
        &self.file
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)?;
        if self.column > 0 {
            write!(f, ":{}", self.column)?;
        }
        Ok(())
    }
}

/// Why a file could not be read as deck text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    NotFound,
    /// Not UTF-8 from this (1-based) line on.
    NotUtf8 {
        line: usize,
    },
    /// Any other I/O error, as the system words it.
    Io(String),
    /// Not a regular file (a FIFO, a device, a folder...): never opened
    /// for reading, as a FIFO would block and a device never end.
    NotRegular(&'static str),
    /// Longer than labdeck reads for this kind of file.
    TooLarge {
        size: u64,
        limit: u64,
    },
    /// Outside the repository root once symbolic links and `..` are
    /// resolved (the canonical root is named).
    Outside {
        root: PathBuf,
    },
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("not found"),
            ReadError::NotUtf8 { line } => write!(f, "not valid UTF-8 text (line {line})"),
            ReadError::Io(message) => f.write_str(message),
            ReadError::NotRegular(kind) => write!(f, "{kind}, not a regular file"),
            ReadError::TooLarge { size, limit } => write!(
                f,
                "{size} bytes, more than the {limit} bytes labdeck reads for such a file"
            ),
            ReadError::Outside { root } => write!(
                f,
                "outside the repository root {} (files a deck names must stay inside it)",
                root.display()
            ),
        }
    }
}

/// A remark option that cannot be set: the key, what it takes, what it got.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionError {
    #[error("remark option `{key}`: expected {expected}, got {got}")]
    Expected {
        key: String,
        expected: &'static str,
        got: serde_json::Value,
    },
    #[error("`{0}`: expected KEY=VALUE")]
    NotAnAssignment(String),
}

/// YAML (or JSON) text that does not parse: serde-saphyr's message, its
/// first line, and where in the text (1-based), so a caller can place it
/// in the file that holds the text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct YamlError {
    pub message: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
}

impl YamlError {
    /// `message` (already the line to show) at where `e` says.
    pub fn new(message: String, e: &serde_saphyr::Error) -> YamlError {
        let at = e.location();
        YamlError {
            message,
            line: at.and_then(|l| usize::try_from(l.line()).ok()),
            column: at.and_then(|l| usize::try_from(l.column()).ok()),
        }
    }
}

/// An error in deck input (manifest, chapter, check) or in writing output.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Something wrong at a known place in a source file.
    #[error("{location}: {message}")]
    At { location: Location, message: String },
    /// A file that could not be read or written. The cause is part of the
    /// message and not a `source()` as well, so that printing the error with
    /// its chain (`{:#}`) says it once.
    #[error("{}: {cause}", path.display())]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    /// A local address that could not be listened on (`serve`, the board).
    #[error("cannot listen on {addr}: {cause}")]
    Listen { addr: String, cause: std::io::Error },
    /// The page templates (a `--templates` folder's, or a bug in ours).
    #[error("templates: {0}")]
    Template(String),
    /// The browser `pdf` and `lint --render` drive: missing, failing, or
    /// too slow.
    #[error("{0}")]
    Browser(String),
    /// The shell `run` types into (its pseudo-terminal, its start).
    #[error("{0}")]
    Shell(String),
    /// Watching the deck's files for changes (`serve`).
    #[error("{0}")]
    Watch(String),
    /// The board's token file (`grade --serve` beyond loopback).
    #[error("{}: {message}", path.display())]
    Token { path: PathBuf, message: String },
    /// What the operating system refused labdeck itself (a temporary
    /// folder, a thread, the async runtime), already phrased.
    #[error("{0}")]
    System(String),
    /// Which cluster to use: a kubeconfig that cannot be loaded, a context
    /// it does not have, a folder of them that names no student.
    #[error("{0}")]
    Kubeconfig(String),
    /// A `--class` name that cannot name a history file.
    #[error(
        "--class {0:?}: a class name is 1 to 64 letters, digits, '.', '_' or '-', not starting with '.'"
    )]
    ClassName(String),
    /// A signal (Ctrl-C, SIGTERM) stopped the command.
    #[error("interrupted: {0}")]
    Interrupted(String),
    /// A file a deck names that could not be read as the deck needs it
    /// (missing, not UTF-8, not a regular file, too large, outside the
    /// repository).
    #[error("{}: {cause}", path.display())]
    Read { path: PathBuf, cause: ReadError },
    /// A `--remark KEY=VALUE` the options refuse.
    #[error("--remark {0}")]
    RemarkOption(OptionError),
    /// Two manifests that would be built into the same output file.
    #[error(
        "{}: would write {} like {} (two manifests with the same name): build them into different --out folders",
        manifest.display(),
        output.display(),
        others.iter().map(|o| o.display().to_string()).collect::<Vec<_>>().join(", ")
    )]
    SameOutput {
        manifest: PathBuf,
        output: PathBuf,
        others: Vec<PathBuf>,
    },
    /// `--only`, `--from` or `--upto` naming an exercise the deck lacks.
    #[error("no exercise with id {} (the deck has: {})", unknown.join(", "), known.join(", "))]
    UnknownExercise {
        unknown: Vec<String>,
        known: Vec<String>,
    },
    /// A history entry that could not be written as JSON.
    #[error("{}: {cause}", path.display())]
    HistoryEntry {
        path: PathBuf,
        cause: serde_json::Error,
    },
}

impl Error {
    pub fn at(location: Location, message: impl Into<String>) -> Self {
        Error::At {
            location,
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            cause,
        }
    }

    /// Where the error is, when it is in a source file.
    pub fn location(&self) -> Option<&Location> {
        match self {
            Error::At { location, .. } => Some(location),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Exit status of a command whose input (manifest, deck, check, kubeconfig)
/// is malformed, so nothing was done: the same for every command. The
/// table of every status is [`crate::exit`].
pub const EXIT_BAD_INPUT: u8 = crate::exit::BAD_INPUT;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_say_their_cause_once() {
        let e = Error::io("x.yml", std::io::Error::from(std::io::ErrorKind::NotFound));
        let shown = format!("{:#}", anyhow::Error::from(e));
        assert_eq!(shown.matches("not found").count(), 1, "{shown}");
        assert!(shown.starts_with("x.yml: "), "{shown}");
    }
}
