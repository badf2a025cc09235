//! What a student reads when a check fails: each expectation that does not
//! hold, as one sentence in words ("expected 1 pod labelled isactive=no,
//! with status Running, with no owner: found none"; the words are
//! [`crate::check::say`]'s, or the check's own `say:`), then the objects it
//! saw and why each fell short. Built from the engine's [`ExerciseResult`],
//! which every report shares, and the check it ran.
//!
//! A student's browser never gets an error's own text ([`for_student`]):
//! client errors name the API server's URL, address and port
//! (docs/classroom.md promises none reaches a browser), so a cluster that
//! cannot be read is said in one of a few fixed sentences ([`trouble`]),
//! and the detail goes to the terminal that runs `serve`.

use crate::check::Check;
use crate::check::engine::{ExerciseResult, ExpectationResult, Verdict};
use crate::check::{Expectation, say};

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
                .flat_map(|e| expectation(e, None))
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
/// words, never their own text; expectations of `check` (the check that
/// gave `r`) in words. Returns the message and the diagnosis.
pub fn for_student(r: &ExerciseResult, check: Option<&Check>) -> (String, Vec<String>) {
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
                    None => in_words(e, check),
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

/// A result of `check` in words: its expectation (found by line) said by
/// [`say`]; a check-level `expr` as a sentence; `can-i` as kubectl's answer.
fn in_words(e: &ExpectationResult, check: Option<&Check>) -> Vec<String> {
    let Some(check) = check else {
        return expectation(e, None);
    };
    if let Some(spec) = check.expect.iter().find(|x| x.location.line == e.line) {
        return expectation(e, Some(spec));
    }
    if let Some(x) = check.extra.expr.iter().find(|x| x.line == e.line) {
        return vec![format!(
            "expected that {}: not yet",
            say::cel_or_text(x.expr.ast(), &x.expr.text)
        )];
    }
    if e.query.starts_with("auth can-i ") {
        return vec![format!(
            "expected kubectl {} to answer {}: it answers {}",
            e.query, e.want, e.conditions
        )];
    }
    expectation(e, None)
}

fn expectation(e: &ExpectationResult, spec: Option<&Expectation>) -> Vec<String> {
    if let Some(err) = &e.error {
        return vec![format!("could not read {}: {err}", e.query)];
    }
    let what = match spec {
        Some(x) => say::expectation(x),
        None if e.conditions.is_empty() => format!("{} {}", want_words(&e.want), e.query),
        None => format!("{} {} ({})", want_words(&e.want), e.query, e.conditions),
    };
    let found = match (e.passing, e.objects.len()) {
        (_, 0) => "found none".to_string(),
        (0, n) => format!("found {n}, none as expected"),
        (p, n) if p as usize == n => format!("found {p}"),
        (p, n) => format!("found {p} as expected among {n}"),
    };
    let mut lines = vec![format!("expected {what}: {found}")];
    for o in e.objects.iter().filter(|o| !o.passes()).take(MAX_OBJECTS) {
        let failed: Vec<String> = o
            .failed
            .iter()
            .map(|why| match spec {
                Some(x) => object_failure(x, why),
                None => why.clone(),
            })
            .collect();
        lines.push(format!("  {}: {}", o.name, failed.join(", ")));
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

/// An object's failure, with an expression of `spec` said in words:
/// `expr self.spec.replicas == 3 is false` (`extra.rs`) -> "not true
/// that spec.replicas is 3".
fn object_failure(spec: &Expectation, why: &str) -> String {
    spec.extra
        .expr
        .iter()
        .find(|x| why == format!("expr {} is false", x.expr.text))
        .map(|x| {
            format!(
                "not true that {}",
                say::cel_or_text(x.expr.ast(), &x.expr.text)
            )
        })
        .unwrap_or_else(|| why.to_string())
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
            expectation(&exp("1", 0, vec![]), None),
            ["expected 1 pods -l isactive=no (phase Running, no owner): found none"]
        );
        let pending = ObjectResult {
            namespace: Some("default".into()),
            name: "labeldemo-x7k2p".into(),
            failed: vec!["phase Pending, want Running".into()],
        };
        assert_eq!(
            expectation(&exp(">=1", 0, vec![pending]), None),
            [
                "expected at least 1 pods -l isactive=no (phase Running, no owner): found 1, none as expected",
                "  labeldemo-x7k2p: phase Pending, want Running"
            ]
        );
        assert_eq!(want_words("0"), "no");
        assert_eq!(want_words("<=2"), "at most 2");
    }

    fn parsed(yaml: &str) -> Check {
        crate::check::spec::parse(&crate::exercise::CheckSource {
            yaml: yaml.into(),
            file: "lab.md".into(),
            line: 10,
        })
        .unwrap()
    }

    #[test]
    fn regression_the_student_reads_words_not_cel_nor_expected_1_pods() {
        let check = parsed(
            "expect:\n  - kind: pods\n    selector: isactive=no\n    count: 1\n    phase: Running\n    owner: none\n  - kind: deployments\n    name: web\n    expr: self.spec.template.spec.containers.exists(c, c.image.startsWith('nginx'))\n",
        );
        let mut pods = exp("1", 0, vec![]);
        pods.line = check.expect[0].location.line;
        assert_eq!(
            in_words(&pods, Some(&check)),
            ["expected 1 pod labelled isactive=no, with status Running, with no owner: found none"]
        );
        let x = &check.expect[1].extra.expr[0].expr;
        let web = ObjectResult {
            namespace: Some("default".into()),
            name: "web".into(),
            failed: vec![format!("expr {} is false", x.text)],
        };
        let mut deploy = exp("1", 0, vec![web]);
        deploy.line = check.expect[1].location.line;
        let said = in_words(&deploy, Some(&check)).join("\n");
        assert_eq!(
            said,
            "expected at least 1 deployment named \"web\", where spec.template.spec.containers has an item where image starts with \"nginx\": found 1, none as expected\n  web: not true that spec.template.spec.containers has an item where image starts with \"nginx\""
        );
        assert!(!said.contains("self."), "{said}");
    }

    #[test]
    fn a_say_of_the_check_replaces_the_generated_words() {
        let check = parsed(
            "expect:\n  - kind: pods\n    selector: isactive=no\n    count: 1\n    say: the pod you relabelled, still running on its own\n",
        );
        let mut pods = exp("1", 0, vec![]);
        pods.line = check.expect[0].location.line;
        assert_eq!(
            in_words(&pods, Some(&check)),
            ["expected the pod you relabelled, still running on its own: found none"]
        );
    }
}
