//! `--format html`: one self-contained page (no external file, no network):
//! the table sortable by any column with a few lines of plain JS, each cell
//! opening to the details of its verdict. Rendered by tera with autoescape
//! on: a student controls names, labels and messages, and any of them may
//! hold markup.

use std::time::SystemTime;

use serde::Serialize;

use crate::check::engine::Verdict;
use crate::report::RenderError;
use crate::report::human::{self, Style};

use super::{GradeReport, cluster_error};

const TEMPLATE: &str = include_str!("grade.html");

#[derive(Serialize)]
struct Cell {
    /// `pass`, `fail`, `error` or `none` (the CSS class and sort key).
    verdict: &'static str,
    mark: &'static str,
    message: String,
    details: String,
}

#[derive(Serialize)]
struct Row {
    name: String,
    passed: usize,
    cells: Vec<Cell>,
    /// Set when no exercise could be checked, for one reason.
    error: Option<String>,
}

/// `refresh`: seconds after which the page reloads itself (`--watch --out`).
pub fn render(report: &GradeReport, refresh: Option<u64>) -> Result<String, RenderError> {
    let rows: Vec<Row> = report
        .clusters
        .iter()
        .map(|c| Row {
            name: c.name.clone(),
            passed: c.summary.pass,
            error: cluster_error(c).map(str::to_string),
            cells: report
                .exercises
                .iter()
                .map(|col| match c.results.iter().find(|r| r.id == col.id) {
                    Some(r) => {
                        let (verdict, mark) = match r.verdict {
                            Verdict::Pass => ("pass", "✔"),
                            Verdict::Fail => ("fail", "✘"),
                            Verdict::Error => ("error", "!"),
                        };
                        Cell {
                            verdict,
                            mark,
                            message: r.message.clone(),
                            details: human::exercise(r, Style::PLAIN),
                        }
                    }
                    None => Cell {
                        verdict: "none",
                        mark: "-",
                        message: String::new(),
                        details: String::new(),
                    },
                })
                .collect(),
        })
        .collect();
    let mut ctx = tera::Context::new();
    ctx.insert("exercises", &report.exercises);
    ctx.insert("rows", &rows);
    ctx.insert("pass_counts", &report.pass_counts());
    ctx.insert("summary", &report.summary);
    ctx.insert("students", &report.clusters.len());
    ctx.insert(
        "generated",
        &humantime::format_rfc3339_seconds(SystemTime::now()).to_string(),
    );
    ctx.insert("refresh", &refresh);
    let mut tera = tera::Tera::default();
    // The `.html` name turns autoescape on; say so anyway, it is the point.
    tera.autoescape_on(vec![".html"]);
    tera.add_raw_template("grade.html", TEMPLATE)
        .map_err(RenderError::HtmlTemplate)?;
    tera.render("grade.html", &ctx).map_err(RenderError::Html)
}
