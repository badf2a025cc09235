//! Verdicts on exercises, written for people (`human`), programs (`json`)
//! and CI systems (`junit`).

pub mod human;
pub mod json;
pub mod junit;
pub mod status;

use crate::check::engine::{ExerciseResult, Verdict};

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
