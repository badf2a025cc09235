//! What a student reads when a check fails: each expectation that does not
//! hold, as one sentence ("expected 1 pods -l isactive=no (phase Running,
//! no owner): found none"), then the objects it saw and why each fell short.
//! Built from the engine's [`ExerciseResult`], which every report shares.

use crate::check::engine::{ExerciseResult, ExpectationResult, Verdict};

/// At most this many objects are described under one expectation.
const MAX_OBJECTS: usize = 3;

/// The lines a slide shows under a failed or errored check.
pub fn diagnosis(r: &ExerciseResult) -> Vec<String> {
    match r.verdict {
        Verdict::Pass => Vec::new(),
        Verdict::Error => vec![format!("could not check: {}", r.message)],
        Verdict::Fail => {
            let lines: Vec<String> = r
                .expectations
                .iter()
                .filter(|e| !e.holds)
                .flat_map(expectation)
                .collect();
            if lines.is_empty() {
                vec![r.message.clone()]
            } else {
                lines
            }
        }
    }
}

fn expectation(e: &ExpectationResult) -> Vec<String> {
    if let Some(err) = &e.error {
        return vec![format!("could not read {}: {err}", e.query)];
    }
    let what = if e.conditions.is_empty() {
        e.query.clone()
    } else {
        format!("{} ({})", e.query, e.conditions)
    };
    let found = match (e.passing, e.objects.len()) {
        (_, 0) => "found none".to_string(),
        (0, n) => format!("found {n}, none as expected"),
        (p, n) if p as usize == n => format!("found {p}"),
        (p, n) => format!("found {p} as expected among {n}"),
    };
    let mut lines = vec![format!("expected {} {what}: {found}", want_words(&e.want))];
    for o in e.objects.iter().filter(|o| !o.passes()).take(MAX_OBJECTS) {
        lines.push(format!("  {}: {}", o.name, o.failed.join(", ")));
    }
    let more = e
        .objects
        .iter()
        .filter(|o| !o.passes())
        .count()
        .saturating_sub(MAX_OBJECTS);
    if more > 0 {
        lines.push(format!("  and {more} more"));
    }
    lines
}

/// `count` as a person says it: `>=1` -> "at least 1", `0` -> "no".
fn want_words(want: &str) -> String {
    let (op, n) = match want.find(|c: char| c.is_ascii_digit()) {
        Some(at) => want.split_at(at),
        None => ("", want),
    };
    match (op, n) {
        ("", "0") | ("==", "0") => "no".into(),
        ("" | "==", n) => n.into(),
        (">=", n) => format!("at least {n}"),
        ("<=", n) => format!("at most {n}"),
        (">", n) => format!("more than {n}"),
        ("<", n) => format!("fewer than {n}"),
        ("!=", n) => format!("other than {n}"),
        _ => want.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::ObjectResult;

    fn exp(want: &str, passing: u64, objects: Vec<ObjectResult>) -> ExpectationResult {
        ExpectationResult {
            line: 3,
            query: "pods -l isactive=no".into(),
            conditions: "phase Running, no owner".into(),
            want: want.into(),
            passing,
            holds: false,
            objects,
            error: None,
        }
    }

    #[test]
    fn says_what_was_expected_and_what_was_found() {
        assert_eq!(
            expectation(&exp("1", 0, vec![])),
            ["expected 1 pods -l isactive=no (phase Running, no owner): found none"]
        );
        let pending = ObjectResult {
            namespace: Some("default".into()),
            name: "labeldemo-x7k2p".into(),
            failed: vec!["phase Pending, want Running".into()],
        };
        assert_eq!(
            expectation(&exp(">=1", 0, vec![pending])),
            [
                "expected at least 1 pods -l isactive=no (phase Running, no owner): found 1, none as expected",
                "  labeldemo-x7k2p: phase Pending, want Running"
            ]
        );
        assert_eq!(want_words("0"), "no");
        assert_eq!(want_words("<=2"), "at most 2");
    }
}
