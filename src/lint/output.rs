//! Findings as editors, CI annotators and scripts read them:
//! `file:line:col: error|warning: message [code]`, JSON, and GitHub Actions
//! workflow commands (`::error file=...,line=...::message`).

use std::fmt::Write as _;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};

/// The forms of `lint`'s findings (`lint --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LintFormat {
    Text,
    Json,
    Github,
}

/// The findings in `format`, one per line for text and GitHub.
pub fn render(findings: &[Diagnostic], format: LintFormat) -> String {
    match format {
        LintFormat::Text => findings.iter().map(text_line).collect(),
        LintFormat::Github => findings.iter().map(github_line).collect(),
        LintFormat::Json => {
            let items: Vec<JsonFinding<'_>> = findings.iter().map(JsonFinding::from).collect();
            // Plain data always serialises.
            let mut s = serde_json::to_string_pretty(&items).unwrap_or_default();
            s.push('\n');
            s
        }
    }
}

/// Counts as `N errors, M warnings` (and `, K notes` when there are).
pub fn summary(findings: &[Diagnostic]) -> String {
    let count = |s: Severity| findings.iter().filter(|d| d.severity == s).count();
    let plural = |n: usize| if n == 1 { "" } else { "s" };
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Note),
    );
    let mut s = format!(
        "{errors} error{}, {warnings} warning{}",
        plural(errors),
        plural(warnings)
    );
    if notes > 0 {
        let _ = write!(s, ", {notes} note{}", plural(notes));
    }
    s
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// `file:line:col: error: message [code]` (col 1 when unknown, as editors
/// expect a column).
pub fn text_line(d: &Diagnostic) -> String {
    format!(
        "{}:{}:{}: {}: {} [{}]\n",
        d.location.file.display(),
        d.location.line,
        d.location.column.max(1),
        severity(d.severity),
        d.message,
        d.code
    )
}

/// A GitHub Actions annotation.
pub fn github_line(d: &Diagnostic) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "::{} file={},line={},col={},title={}::{}",
        // GitHub's workflow command for a note is `notice`.
        match d.severity {
            Severity::Note => "notice",
            s => severity(s),
        },
        escape_property(&d.location.file.to_string_lossy()),
        d.location.line,
        d.location.column.max(1),
        escape_property(d.code),
        escape_data(&d.message)
    );
    s
}

/// Workflow-command escaping of the message part.
fn escape_data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Workflow-command escaping of a `key=value` property.
fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[derive(Serialize)]
struct JsonFinding<'a> {
    file: String,
    line: usize,
    column: usize,
    severity: &'static str,
    code: &'a str,
    message: &'a str,
}

impl<'a> From<&'a Diagnostic> for JsonFinding<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        JsonFinding {
            file: d.location.file.to_string_lossy().into_owned(),
            line: d.location.line,
            column: d.location.column.max(1),
            severity: severity(d.severity),
            code: d.code,
            message: &d.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Location;

    fn finding() -> Diagnostic {
        Diagnostic::error(
            "missing-image",
            Location::new("k8s/a,b.md", 12).with_column(5),
            "image `images/x.png` not found\n(50% sure)",
        )
    }

    #[test]
    fn text_is_file_line_col() {
        assert_eq!(
            render(&[finding()], LintFormat::Text),
            "k8s/a,b.md:12:5: error: image `images/x.png` not found\n(50% sure) [missing-image]\n"
        );
    }

    #[test]
    fn github_escapes_properties_and_data() {
        assert_eq!(
            render(&[finding()], LintFormat::Github),
            "::error file=k8s/a%2Cb.md,line=12,col=5,title=missing-image::image `images/x.png` not found%0A(50%25 sure)\n"
        );
    }

    #[test]
    fn json_has_every_field() {
        let v: serde_json::Value =
            serde_json::from_str(&render(&[finding()], LintFormat::Json)).unwrap();
        assert_eq!(v[0]["file"], "k8s/a,b.md");
        assert_eq!(v[0]["line"], 12);
        assert_eq!(v[0]["column"], 5);
        assert_eq!(v[0]["severity"], "error");
        assert_eq!(v[0]["code"], "missing-image");
    }
}
