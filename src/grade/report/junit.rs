//! `--format junit`: one test suite per student, one test case per
//! exercise, as `check --format junit` writes them.

use quick_junit::Report;

use super::GradeReport;

pub fn render(report: &GradeReport) -> Result<String, crate::report::RenderError> {
    let mut out = Report::new("labdeck grade");
    for c in &report.clusters {
        let mut suite = crate::report::junit::suite(&c.name, &c.results, &[]);
        suite.name = c.name.clone().into();
        out.add_test_suite(suite);
    }
    out.to_string().map_err(crate::report::RenderError::Junit)
}
