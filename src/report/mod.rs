//! Verdicts on exercises, written for people (`human`), programs (`json`)
//! and CI systems (`junit`).

pub mod human;
pub mod json;
pub mod junit;
pub mod status;

use crate::check::engine::{ExerciseResult, Verdict};

/// A report that could not be written in its format (a serializer's
/// error, named by the format). The cause is in the message, not a
/// `source()` too, so that printing the chain says it once.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("JSON: {0}")]
    Json(serde_json::Error),
    #[error("CSV: {0}")]
    Csv(csv::Error),
    #[error("CSV: {0}")]
    CsvText(std::string::FromUtf8Error),
    #[error("JUnit XML: {0}")]
    Junit(quick_junit::SerializeError),
    #[error("HTML template: {0}")]
    HtmlTemplate(tera::Error),
    #[error("HTML report: {0}")]
    Html(tera::Error),
}

/// How many exercises got each verdict.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Summary {
    pub pass: usize,
    pub fail: usize,
    pub error: usize,
}

impl Summary {
    pub fn of(results: &[ExerciseResult]) -> Summary {
        let mut s = Summary::default();
        for r in results {
            match r.verdict {
                Verdict::Pass => s.pass += 1,
                Verdict::Fail => s.fail += 1,
                Verdict::Error => s.error += 1,
            }
        }
        s
    }

    /// The exit status `check` and `grade` end with ([`crate::exit`]): 0
    /// all passed, 1 some failed, 4 some could not be checked.
    pub fn exit_code(&self) -> u8 {
        if self.error > 0 {
            crate::exit::UNCHECKED
        } else if self.fail > 0 {
            crate::exit::FAILED
        } else {
            crate::exit::OK
        }
    }
}
