//! `--format csv`: one row per student and exercise, for a spreadsheet.

use super::GradeReport;

pub fn render(report: &GradeReport) -> Result<String, String> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = |e: ::csv::Error| format!("CSV: {e}");
    w.write_record([
        "student",
        "exercise",
        "verdict",
        "message",
        "details",
        "elapsed_ms",
        "file",
        "line",
        "title",
        "first_passed",
    ])
    .map_err(err)?;
    for c in &report.clusters {
        for r in &c.results {
            let verdict = serde_json::to_value(r.verdict)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            w.write_record([
                c.name.as_str(),
                r.id.as_str(),
                verdict.as_str(),
                r.message.as_str(),
                super::details(r).as_str(),
                r.elapsed_ms.to_string().as_str(),
                r.file.display().to_string().as_str(),
                r.line.to_string().as_str(),
                r.title.as_str(),
                c.first_passed.get(&r.id).map_or("", String::as_str),
            ])
            .map_err(err)?;
        }
    }
    let bytes = w.into_inner().map_err(|e| format!("CSV: {e}"))?;
    String::from_utf8(bytes).map_err(|e| format!("CSV: {e}"))
}
