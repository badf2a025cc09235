//! `--format junit`: one test suite per cluster, one test case per exercise
//! (failure for `fail`, error for `error`), so a CI system lists them.

use std::time::Duration;

use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};

use crate::check::engine::{ExerciseResult, Verdict};
use crate::report::human::{self, Style};

/// One `<testsuite>` for the exercises checked on `cluster`; exercises
/// without a check are listed as skipped.
pub fn suite(cluster: &str, results: &[ExerciseResult], unchecked: &[String]) -> TestSuite {
    let mut suite = TestSuite::new(format!("labdeck check {cluster}"));
    for r in results {
        let status = match r.verdict {
            Verdict::Pass => TestCaseStatus::success(),
            Verdict::Fail | Verdict::Error => {
                let kind = if r.verdict == Verdict::Fail {
                    NonSuccessKind::Failure
                } else {
                    NonSuccessKind::Error
                };
                let mut st = TestCaseStatus::non_success(kind);
                st.set_message(r.message.clone());
                st.set_description(human::exercise(r, Style::PLAIN));
                st
            }
        };
        let mut case = TestCase::new(r.id.clone(), status);
        case.set_classname(format!("{}:{}", r.file.display(), r.line));
        case.set_time(Duration::from_millis(r.elapsed_ms));
        suite.add_test_case(case);
    }
    for id in unchecked {
        let mut st = TestCaseStatus::skipped();
        st.set_message("no check");
        suite.add_test_case(TestCase::new(id.clone(), st));
    }
    suite
}

pub fn render(
    cluster: &str,
    results: &[ExerciseResult],
    unchecked: &[String],
) -> Result<String, super::RenderError> {
    let mut report = Report::new("labdeck");
    report.add_test_suite(suite(cluster, results, unchecked));
    report.to_string().map_err(super::RenderError::Junit)
}
