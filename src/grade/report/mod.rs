//! The class's verdicts for people (`table`, `html`), programs (`json`,
//! `csv`) and CI systems (`junit`). Every format reads one [`GradeReport`].

pub mod csv;
pub mod html;
pub mod json;
pub mod junit;
pub mod table;

use serde::{Deserialize, Serialize};

use crate::check::engine::{Plan, Verdict};
use crate::report::Summary;

use super::ClusterResult;

/// The forms of a report (`grade --format`): `table`, students x
/// exercises for a terminal ([`table`]); `json`; `csv`; `junit`; `html`, one
/// self-contained page ([`html`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum GradeFormat {
    Table,
    Json,
    Csv,
    Junit,
    Html,
}

/// How the table and the page are drawn.
#[derive(Debug, Clone, Copy)]
pub struct RenderOptions {
    /// The table's marks (Unicode, colour) and whether it says why each
    /// failure failed.
    pub style: crate::report::human::Style,
    pub explain: bool,
    /// The page reloads itself every this many seconds (`grade --watch`).
    pub refresh: Option<u64>,
}

/// `report` in `format`.
pub fn render(
    report: &GradeReport,
    format: GradeFormat,
    opts: &RenderOptions,
) -> Result<String, crate::report::RenderError> {
    match format {
        GradeFormat::Table => Ok(table::render(report, opts.style, opts.explain)),
        GradeFormat::Json => json::render(report),
        GradeFormat::Csv => csv::render(report),
        GradeFormat::Junit => junit::render(report),
        GradeFormat::Html => html::render(report, opts.refresh),
    }
}

/// An exercise that counts, as the columns of the reports show it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Column {
    pub id: String,
    pub title: String,
}

/// Everything a grading round found.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GradeReport {
    /// The exercises graded, in deck order.
    pub exercises: Vec<Column>,
    /// Over every cluster and exercise.
    pub summary: Summary,
    /// One per student, in name order.
    pub clusters: Vec<ClusterResult>,
}

impl GradeReport {
    pub fn new(plans: &[Plan], clusters: Vec<ClusterResult>) -> GradeReport {
        let mut report = GradeReport {
            exercises: plans
                .iter()
                .map(|p| Column {
                    id: p.id.clone(),
                    title: p.title.clone(),
                })
                .collect(),
            summary: Summary::default(),
            clusters,
        };
        report.recount(plans);
        report
    }

    /// The summary over every cluster, counted again (after verdicts
    /// changed), and where each student is ([`super::progress`]: after the
    /// furthest exercise passing now, gated, or first passed before).
    /// `plans` are the report's exercises.
    pub fn recount(&mut self, plans: &[Plan]) {
        let mut summary = Summary::default();
        let placement = super::progress::Placement::new(plans);
        for c in &mut self.clusters {
            summary.pass += c.summary.pass;
            summary.fail += c.summary.fail;
            summary.error += c.summary.error;
            let passed = |id: &str| {
                c.first_passed.contains_key(id)
                    || c.results
                        .iter()
                        .any(|r| r.id == id && r.verdict == Verdict::Pass)
            };
            c.on = placement.on(passed).map(str::to_string);
        }
        self.summary = summary;
    }

    /// How many students passed each exercise, in column order.
    pub fn pass_counts(&self) -> Vec<usize> {
        self.exercises
            .iter()
            .map(|col| {
                self.clusters
                    .iter()
                    .filter(|c| {
                        c.results
                            .iter()
                            .any(|r| r.id == col.id && r.verdict == Verdict::Pass)
                    })
                    .count()
            })
            .collect()
    }
}

/// The message shared by every exercise of a cluster that could not be
/// checked at all (bad kubeconfig, refused token, dead server): said once
/// instead of once per exercise.
pub fn cluster_error(c: &ClusterResult) -> Option<&str> {
    let first = c.results.first()?;
    let all_same = c
        .results
        .iter()
        .all(|r| r.verdict == Verdict::Error && r.message == first.message);
    all_same.then_some(first.message.as_str())
}

/// What a non-passing exercise last saw, on one line: each object that
/// matched a failing expectation and the conditions it failed.
pub fn details(r: &crate::check::engine::ExerciseResult) -> String {
    let mut parts = Vec::new();
    for e in r.expectations.iter().filter(|e| !e.holds) {
        if e.objects.is_empty() {
            parts.push(format!("line {}: no object matched {}", e.line, e.query));
        }
        for o in e.objects.iter().filter(|o| !o.failed.is_empty()) {
            parts.push(format!("{}: {}", o.name, o.failed.join(", ")));
        }
    }
    parts.join("; ")
}
