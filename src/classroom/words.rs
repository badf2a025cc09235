//! What a student reads when a check fails: each expectation that does not
//! hold, as one sentence ("expected 1 pods -l isactive=no (phase Running,
//! no owner): found none"), then the objects it saw and why each fell short.
//! Built from the engine's [`ExerciseResult`], which every report shares.
//!
//! A student's browser never gets an error's own text ([`for_student`]):
//! client errors name the API server's URL, address and port
//! (docs/classroom.md promises none reaches a browser), so a cluster that
//! cannot be read is said in one of a few fixed sentences ([`trouble`]),
//! and the detail goes to the terminal that runs `serve`.

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

/// `r` as a student's browser may see it: errors in [`trouble`]'s fixed
/// words, never their own text. Returns the message and the diagnosis.
pub fn for_student(r: &ExerciseResult) -> (String, Vec<String>) {
    match r.verdict {
        Verdict::Error => {
            let said = trouble(&r.message);
            (said.to_string(), vec![format!("could not check: {said}")])
        }
        _ => {
            let lines = r
                .expectations
                .iter()
                .filter(|e| !e.holds)
                .flat_map(|e| match &e.error {
                    Some(err) => vec![format!("could not read {}: {}", e.query, trouble(err))],
                    None => expectation(e),
                })
                .collect::<Vec<_>>();
            let lines = if lines.is_empty() && r.verdict == Verdict::Fail {
                vec![r.message.clone()]
            } else {
                lines
            };
            (r.message.clone(), lines)
        }
    }
}

/// What went wrong talking to a cluster, in fixed words that carry none
/// of the error's text (no URL, address or port). The error kinds are
/// those of [`crate::cluster::ClusterError`] as they read.
pub fn trouble(error: &str) -> &'static str {
    let e = error.to_ascii_lowercase();
    let has = |words: &[&str]| words.iter().any(|w| e.contains(w));
    // kubectl's words for it: "The connection to the server HOST was refused".
    if has(&["connection refused", "was refused"]) {
        "your cluster does not answer (connection refused)"
    } else if has(&["timed out", "timeout", "deadline"]) {
        "your cluster does not answer (timed out)"
    } else if has(&[
        "dns",
        "lookup",
        "name or service not known",
        "no address associated",
        "resolve",
    ]) {
        "your cluster's name does not resolve"
    } else if has(&["certificate", "tls", "handshake", "x509"]) {
        "your cluster's certificate is not trusted"
    } else if has(&["unauthorised", "unauthorized", "(401)"]) {
        "your cluster refused your credentials (401)"
    } else if has(&["forbidden", "(403)"]) {
        "your credentials may not read what this check reads (403)"
    } else if has(&[
        "too many requests",
        "(429)",
        "(500)",
        "(502)",
        "(503)",
        "(504)",
        "unavailable",
    ]) {
        "your cluster is busy or restarting (try again)"
    } else if has(&[
        "connection reset",
        "broken pipe",
        "connection closed",
        "unreachable",
    ]) {
        "your cluster does not answer (connection lost)"
    } else if has(&["does not serve", "no such resource", "unknown kind"]) {
        "your cluster does not serve a kind this check reads"
    } else {
        "the cluster could not be read (the terminal running labdeck serve says why)"
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
