//! `--format csv`: one row per student and exercise, for a spreadsheet.
//!
//! Student names come from file names and contexts, messages from clusters:
//! a cell a spreadsheet would read as a formula (`=HYPERLINK(...)`) is
//! neutralised as OWASP's "CSV Injection" page advises
//! (https://owasp.org/www-community/attacks/CSV_Injection): a cell starting
//! with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
//! which spreadsheets show as text. [`cell`] is the one place that does it.

use super::GradeReport;
use crate::report::RenderError;

pub fn render(report: &GradeReport) -> Result<String, RenderError> {
    let mut w = ::csv::Writer::from_writer(Vec::new());
    let err = RenderError::Csv;
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
            let cells = [
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
            ]
            .map(|text| cell(text).into_owned());
            w.write_record(&cells).map_err(err)?;
        }
    }
    let bytes = w
        .into_inner()
        .map_err(|e| RenderError::Csv(e.into_error().into()))?;
    String::from_utf8(bytes).map_err(RenderError::CsvText)
}

/// A cell a spreadsheet reads as text: OWASP's prefix for the characters
/// that start a formula (see the module comment).
fn cell(text: &str) -> std::borrow::Cow<'_, str> {
    if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}").into()
    } else {
        text.into()
    }
}

#[cfg(test)]
mod tests {
    use super::cell;

    #[test]
    fn a_student_name_cannot_become_a_spreadsheet_formula() {
        for bad in [
            "=HYPERLINK(\"http://x\")",
            "+1",
            "-1+2",
            "@SUM(A1)",
            "\tx",
            "\rx",
        ] {
            assert_eq!(cell(bad), format!("'{bad}"));
        }
        for ok in ["ana", "", "12", "a=b", "labeldemo-create"] {
            assert_eq!(cell(ok), ok);
        }
    }
}
