//! `--format json`: `{ "exercises", "summary", "clusters": [{ "name",
//! "summary", "elapsed_ms", "results" }] }`, each result shaped as in
//! `check --format json`.

use super::GradeReport;
use crate::report::RenderError;

pub fn render(report: &GradeReport) -> Result<String, RenderError> {
    let mut s = serde_json::to_string_pretty(report).map_err(RenderError::Json)?;
    s.push('\n');
    Ok(s)
}
