//! `--format json`: `{ "cluster", "summary", "results": [...] }`, each result
//! shaped as [`ExerciseResult`] serialises (`grade` nests the same objects
//! under `clusters[].results`).

use serde::{Deserialize, Serialize};

use crate::check::engine::ExerciseResult;
use crate::report::Summary;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckReport {
    /// The context (or server) checked.
    pub cluster: String,
    pub summary: Summary,
    pub results: Vec<ExerciseResult>,
    /// Ids of the exercises that have no check (not in `results`).
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub unchecked: Vec<String>,
}

impl CheckReport {
    pub fn new(cluster: &str, results: Vec<ExerciseResult>, unchecked: &[String]) -> CheckReport {
        CheckReport {
            cluster: cluster.to_string(),
            summary: Summary::of(&results),
            results,
            unchecked: unchecked.to_vec(),
        }
    }
}

pub fn render(cluster: &str, results: &[ExerciseResult], unchecked: &[String]) -> String {
    let report = CheckReport::new(cluster, results.to_vec(), unchecked);
    let mut s =
        serde_json::to_string_pretty(&report).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}
