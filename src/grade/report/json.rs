//! `--format json`: `{ "exercises", "summary", "clusters": [{ "name",
//! "summary", "elapsed_ms", "results" }] }`, each result shaped as in
//! `check --format json`.

use super::GradeReport;

pub fn render(report: &GradeReport) -> Result<String, String> {
    let mut s = serde_json::to_string_pretty(report).map_err(|e| format!("JSON: {e}"))?;
    s.push('\n');
    Ok(s)
}
