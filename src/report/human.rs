//! One line per exercise with a pass/fail/error mark, and under each
//! failure what was last seen. Unicode marks and colour on a terminal;
//! plain ASCII when piped or when `NO_COLOR` is set.

use std::fmt::Write;
use std::io::IsTerminal;

use crate::check::engine::{ExerciseResult, Verdict};
use crate::report::Summary;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub unicode: bool,
}

impl Style {
    /// Fancy on a terminal, unless `NO_COLOR` is set (https://no-color.org);
    /// coloured as `--color` says ([`crate::console::stdout_color`]).
    pub fn detect() -> Style {
        let tty = std::io::stdout().is_terminal();
        Style {
            color: crate::console::stdout_color(),
            unicode: tty && !crate::console::no_color_env(),
        }
    }

    pub const PLAIN: Style = Style {
        color: false,
        unicode: false,
    };

    fn mark(&self, v: Verdict) -> String {
        let (u, a, code) = match v {
            Verdict::Pass => ("✔", "PASS", "32"),
            Verdict::Fail => ("✘", "FAIL", "31"),
            Verdict::Error => ("!", "ERROR", "33"),
        };
        let m = if self.unicode { u } else { a };
        if self.color {
            format!("\x1b[1;{code}m{m}\x1b[0m")
        } else {
            m.to_string()
        }
    }
}

/// The line for one exercise and, unless it passed, the details under it.
pub fn exercise(r: &ExerciseResult, style: Style) -> String {
    let mut s = String::new();
    let secs = r.elapsed_ms as f64 / 1000.0;
    let _ = writeln!(
        s,
        "{:<5} {}  {}:{}  {} ({secs:.1}s)",
        style.mark(r.verdict),
        r.id,
        r.file.display(),
        r.line,
        r.title,
    );
    if r.verdict == Verdict::Pass {
        return s;
    }
    s.push_str(&details(r, "      "));
    s
}

/// What was last seen for an exercise that did not pass, one finding per
/// line, each line starting with `indent` (`run` shows it in its own
/// report, `check` under the exercise's line).
pub fn details(r: &ExerciseResult, indent: &str) -> String {
    let mut s = String::new();
    // A failure's details say what its message says, and more.
    if r.verdict == Verdict::Error || r.expectations.is_empty() {
        let _ = writeln!(s, "{indent}{}", r.message);
    }
    for e in r.expectations.iter().filter(|e| !e.holds) {
        let cond = if e.conditions.is_empty() {
            String::new()
        } else {
            format!(" ({})", e.conditions)
        };
        let _ = writeln!(
            s,
            "{indent}line {}: {}{cond}: {} passing, want {}",
            e.line, e.query, e.passing, e.want
        );
        if e.objects.is_empty() {
            let _ = writeln!(s, "{indent}  no object matched");
        }
        for o in &e.objects {
            let name = match &o.namespace {
                Some(ns) if !ns.is_empty() => format!("{ns}/{}", o.name),
                _ => o.name.clone(),
            };
            if o.failed.is_empty() {
                let _ = writeln!(s, "{indent}  {name}: ok");
            } else {
                let _ = writeln!(s, "{indent}  {name}: {}", o.failed.join("; "));
            }
        }
    }
    s
}

/// Every exercise, then a summary line.
pub fn render(results: &[ExerciseResult], style: Style) -> String {
    let mut s: String = results.iter().map(|r| exercise(r, style)).collect();
    s.push_str(&summary_line(&Summary::of(results)));
    s
}

pub fn summary_line(sum: &Summary) -> String {
    format!(
        "{} passed, {} failed, {} could not be checked\n",
        sum.pass, sum.fail, sum.error
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::engine::ExpectationResult;
    use crate::check::eval::ObjectResult;

    fn failed() -> ExerciseResult {
        ExerciseResult {
            id: "labeldemo-relabel".into(),
            verdict: Verdict::Fail,
            file: "k8s/labels.md".into(),
            line: 160,
            title: "Altering a label".into(),
            message: "pods -l isactive=yes: 0 of 1 matching object(s) pass, want 1".into(),
            elapsed_ms: 60_000,
            expectations: vec![ExpectationResult {
                line: 186,
                query: "pods -l isactive=yes".into(),
                conditions: "phase Running".into(),
                want: "1".into(),
                passing: 0,
                holds: false,
                objects: vec![ObjectResult {
                    namespace: Some("default".into()),
                    name: "labeldemo-x7k2p".into(),
                    failed: vec!["phase Pending, want Running".into()],
                }],
                error: None,
            }],
        }
    }

    #[test]
    fn failures_show_what_was_last_seen() {
        let text = render(&[failed()], Style::PLAIN);
        assert_eq!(
            text,
            "FAIL  labeldemo-relabel  k8s/labels.md:160  Altering a label (60.0s)\n\
             \x20     line 186: pods -l isactive=yes (phase Running): 0 passing, want 1\n\
             \x20       default/labeldemo-x7k2p: phase Pending, want Running\n\
             0 passed, 1 failed, 0 could not be checked\n"
        );
        let fancy = exercise(
            &failed(),
            Style {
                color: true,
                unicode: true,
            },
        );
        assert!(fancy.starts_with("\x1b[1;31m✘\x1b[0m"), "{fancy:?}");
    }

    #[test]
    fn details_are_the_lines_under_the_exercise_with_any_indent() {
        let r = failed();
        let under: String = exercise(&r, Style::PLAIN)
            .lines()
            .skip(1)
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(details(&r, "      "), under);
        let flat = details(&r, "");
        assert!(flat.starts_with("line "), "{flat}");
        assert!(flat.lines().skip(1).all(|l| l.starts_with("  ")), "{flat}");
    }

    #[test]
    fn errors_show_the_reason() {
        let mut r = failed();
        r.verdict = Verdict::Error;
        r.expectations.clear();
        r.message = "forbidden (403): pods is forbidden".into();
        let text = exercise(&r, Style::PLAIN);
        assert!(text.starts_with("ERROR labeldemo-relabel"), "{text}");
        assert!(
            text.contains("\n      forbidden (403): pods is forbidden\n"),
            "{text}"
        );
    }
}
