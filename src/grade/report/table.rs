//! The terminal view: students x exercises, a pass count per exercise, and
//! (`--explain`) why each failure failed, under the table. Marks are
//! distinct symbols, so they read without colour too.

use std::fmt::Write;

use comfy_table::{
    Cell, CellAlignment, Color, ColumnConstraint, ContentArrangement, Table, presets,
};

use crate::check::engine::Verdict;
use crate::report::human::{self, Style};

use super::{GradeReport, cluster_error};

fn mark(v: Verdict, style: Style) -> Cell {
    let (u, a, color) = match v {
        Verdict::Pass => ("✔", "ok", Color::Green),
        Verdict::Fail => ("✘", "FAIL", Color::Red),
        Verdict::Error => ("!", "ERR", Color::Yellow),
    };
    let cell = Cell::new(if style.unicode { u } else { a }).set_alignment(CellAlignment::Center);
    if style.color { cell.fg(color) } else { cell }
}

/// The table, then a summary line, then (with `explain`) the reasons.
pub fn render(report: &GradeReport, style: Style, explain: bool) -> String {
    let mut t = Table::new();
    if style.unicode {
        t.load_preset(presets::UTF8_FULL_CONDENSED);
    } else {
        t.load_preset(presets::ASCII_FULL_CONDENSED);
    }
    if style.color {
        t.enforce_styling();
        t.set_content_arrangement(ContentArrangement::Dynamic);
    } else {
        t.force_no_tty();
    }
    let mut header = vec![Cell::new("student")];
    header.extend(report.exercises.iter().map(|e| Cell::new(&e.id)));
    header.push(Cell::new("passed"));
    header.push(Cell::new("on"));
    t.set_header(header);
    let n = report.exercises.len();
    for c in &report.clusters {
        let mut row = vec![Cell::new(&c.name)];
        for col in &report.exercises {
            row.push(match c.results.iter().find(|r| r.id == col.id) {
                Some(r) => mark(r.verdict, style),
                None => Cell::new("-"),
            });
        }
        row.push(Cell::new(format!("{}/{n}", c.summary.pass)).set_alignment(CellAlignment::Right));
        // Where the student is (after the furthest pass, now or before).
        row.push(Cell::new(c.on.as_deref().unwrap_or("done")));
        t.add_row(row);
    }
    let students = report.clusters.len();
    let mut counts = vec![Cell::new("passed")];
    counts.extend(
        report
            .pass_counts()
            .into_iter()
            .map(|k| Cell::new(format!("{k}/{students}")).set_alignment(CellAlignment::Center)),
    );
    let all_done = report
        .clusters
        .iter()
        .filter(|c| c.summary.pass == n)
        .count();
    counts.push(Cell::new(format!("{all_done} all")).set_alignment(CellAlignment::Right));
    counts.push(Cell::new(""));
    t.add_row(counts);
    // When the table must shrink to the terminal, wrap exercise ids, never
    // the students' names, scores or places.
    let last = t.column_count().saturating_sub(1);
    for i in [0, last.saturating_sub(1), last] {
        if let Some(col) = t.column_mut(i) {
            col.set_constraint(ColumnConstraint::ContentWidth);
        }
    }

    let mut s = format!("{t}\n");
    let stuck = report
        .clusters
        .iter()
        .filter(|c| c.summary.fail > 0 && c.summary.error == 0)
        .count();
    let broken = report
        .clusters
        .iter()
        .filter(|c| c.summary.error > 0)
        .count();
    let _ = writeln!(
        s,
        "{students} student(s): {all_done} passed everything, {stuck} with failures, {broken} could not be (fully) checked",
    );
    if explain {
        s.push_str(&explanations(report, style));
    } else {
        // A student whose cluster could not be checked at all is said
        // even without --explain, once (issue 26): the table's ERR cells
        // alone do not tell a typo in a kubeconfig from a broken exercise.
        let mut unexplained = stuck;
        for c in &report.clusters {
            match cluster_error(c) {
                Some(reason) => {
                    let _ = writeln!(s, "{}: could not be checked: {reason}", c.name);
                }
                None if c.summary.error > 0 => unexplained += 1,
                None => {}
            }
        }
        if unexplained > 0 {
            s.push_str("(--explain says why)\n");
        }
    }
    s
}

/// For each student with a failure or error: why, with what was last seen.
pub fn explanations(report: &GradeReport, style: Style) -> String {
    let mut s = String::new();
    for c in &report.clusters {
        if c.summary.fail + c.summary.error == 0 {
            continue;
        }
        if let Some(reason) = cluster_error(c) {
            let _ = writeln!(s, "\n{}: could not be checked: {reason}", c.name);
            continue;
        }
        let _ = writeln!(s, "\n{}:", c.name);
        for r in c.results.iter().filter(|r| r.verdict != Verdict::Pass) {
            for line in human::exercise(r, style).lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::engine::ExerciseResult;
    use crate::grade::ClusterResult;
    use crate::grade::report::Column;
    use crate::report::Summary;

    fn result(id: &str, verdict: Verdict, message: &str) -> ExerciseResult {
        ExerciseResult {
            id: id.into(),
            verdict,
            file: "k8s/x.md".into(),
            line: 3,
            title: "T".into(),
            message: message.into(),
            elapsed_ms: 5,
            expectations: vec![],
        }
    }

    fn report() -> GradeReport {
        let cluster = |name: &str, results: Vec<ExerciseResult>| ClusterResult {
            name: name.into(),
            summary: Summary::of(&results),
            elapsed_ms: 9,
            results,
            first_passed: Default::default(),
            on: None,
        };
        GradeReport {
            exercises: ["one", "two"]
                .map(|id| Column {
                    id: id.into(),
                    title: "T".into(),
                })
                .to_vec(),
            summary: Summary::default(),
            clusters: vec![
                cluster(
                    "ann",
                    vec![
                        result("one", Verdict::Pass, "held"),
                        result("two", Verdict::Fail, "pods: 0 of 1 pass"),
                    ],
                ),
                cluster(
                    "ben",
                    vec![
                        result("one", Verdict::Error, "unauthorised (401): x"),
                        result("two", Verdict::Error, "unauthorised (401): x"),
                    ],
                ),
            ],
        }
    }

    #[test]
    fn plain_marks_are_words_and_colour_marks_are_symbols() {
        let plain = render(&report(), Style::PLAIN, false);
        assert!(!plain.contains('\x1b'), "{plain}");
        let ann = plain.lines().find(|l| l.contains("ann")).unwrap();
        assert!(
            ann.contains("ok") && ann.contains("FAIL") && ann.contains("1/2"),
            "{ann}"
        );
        let ben = plain.lines().find(|l| l.contains("ben")).unwrap();
        assert_eq!(ben.matches("ERR").count(), 2, "{ben}");
        let counts = plain.lines().find(|l| l.starts_with("| passed")).unwrap();
        assert!(counts.contains("1/2") && counts.contains("0/2"), "{counts}");
        let fancy = render(
            &report(),
            Style {
                color: true,
                unicode: true,
            },
            false,
        );
        assert!(fancy.contains('\x1b') && fancy.contains('✔') && fancy.contains('✘'));
    }

    #[test]
    fn a_cluster_wide_error_is_said_once_without_explain_too() {
        let text = render(&report(), Style::PLAIN, false);
        assert!(
            text.contains("\nben: could not be checked: unauthorised (401): x\n"),
            "{text}"
        );
        assert_eq!(text.matches("401").count(), 1, "{text}");
        // ann's failure is not explained without --explain.
        assert!(text.ends_with("(--explain says why)\n"), "{text}");
        assert!(!text.contains("pods: 0 of 1 pass"), "{text}");
    }

    #[test]
    fn explain_says_a_cluster_wide_error_once() {
        let text = render(&report(), Style::PLAIN, true);
        assert!(
            text.contains("ben: could not be checked: unauthorised (401): x"),
            "{text}"
        );
        assert_eq!(text.matches("401").count(), 1, "{text}");
        assert!(text.contains("ann:\n  FAIL  two"), "{text}");
        assert!(text.contains("pods: 0 of 1 pass"), "{text}");
    }
}
