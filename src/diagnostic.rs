//! Findings about a deck's sources, collected while loading it so that
//! `lint` can report all of them and `build` can stop at the first error.

use serde::Serialize;

use crate::error::{Error, Location};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Said, never a failure (not even with `--deny-warnings`): how labdeck
    /// will treat something that is as the author meant it.
    Note,
    Warning,
    Error,
}

/// One finding, at a place in a source file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Stable short name of the rule (`missing-chapter`, `unclosed-class`...).
    pub code: &'static str,
    pub location: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn error(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Error,
            code,
            location,
            message: message.into(),
        }
    }

    pub fn warning(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Warning,
            code,
            location,
            message: message.into(),
        }
    }

    pub fn note(code: &'static str, location: Location, message: impl Into<String>) -> Self {
        Diagnostic {
            severity: Severity::Note,
            code,
            location,
            message: message.into(),
        }
    }

    /// A warning or an error: what `--deny-warnings` fails on.
    pub fn is_problem(&self) -> bool {
        self.severity != Severity::Note
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    pub fn into_error(self) -> Error {
        Error::at(self.location, self.message)
    }
}

/// Diagnostics in the order they were found.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    pub fn first_error(&self) -> Option<&Diagnostic> {
        self.0.iter().find(|d| d.is_error())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.0.iter()
    }
}
