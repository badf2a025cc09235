//! Checks that hold on an empty cluster, and when such a check counts.
//!
//! A cleanup check (`labeldemo-cleanup`: every expectation `count: 0`) says
//! only "nothing is left": it holds for a student who did the exercise and
//! cleaned up, and just as well for one who never started. So, decided
//! once here and used by `grade`, the class board and the student's check
//! control (`serve --kubeconfig`), and named by `lint`:
//!
//! - a check is **vacuous** when it holds on an empty cluster, read from
//!   the check alone: every expectation admits zero objects (`count: 0`,
//!   `<=N`), and it has no other key (`log`, `http`, `can-i`, `expr`...)
//!   that could fail there;
//! - its **prerequisites** are the earlier exercises (deck order) whose
//!   checks want at least one object of a kind it expects gone, with names
//!   and namespaces that may overlap: the exercises whose objects it
//!   removes (`labeldemo-create` for `labeldemo-cleanup`);
//! - a vacuous check that holds counts as passed only once one of its
//!   prerequisites has passed (in the same round, or before: the history).
//!   Until then its verdict is `fail`, in words: `not started: nothing to
//!   clean up yet: `labeldemo-create` was never passed`. A vacuous check with
//!   no prerequisite in the deck is left as it is (lint says so).
//!
//! `labdeck check` and `labdeck run` report the cluster as it is: an author
//! checking a deck's end state wants the cleanup to pass there.

use crate::check::engine::{ExerciseResult, Plan, Verdict};
use crate::check::spec::{Check, Expectation, NamespaceSpec};
use crate::kinds;

/// How a held-but-not-earned vacuous check's message starts.
pub const NOT_STARTED: &str = "not started: ";

/// Whether `check` holds on a cluster with no objects at all.
pub fn is_vacuous(check: &Check) -> bool {
    !check.expect.is_empty()
        && !check.extra.is_used()
        && check.expect.iter().all(|e| e.count.holds(0))
}

/// The kind as the API names it (`deploy` and `Deployment` alike), or the
/// text for a kind only the cluster knows.
fn kind_key(kind: &str) -> String {
    match kinds::builtin(kind) {
        Some(b) => format!("{}/{}", b.group, b.plural),
        None => kind.trim().to_lowercase(),
    }
}

/// Whether `gone` (wanting none) may be about objects `made` wants.
fn overlaps(gone: &Expectation, made: &Expectation) -> bool {
    let names = match (&gone.name, &made.name) {
        (Some(a), Some(b)) => a.matches(&b.text) || b.matches(&a.text),
        _ => true,
    };
    let namespaces = match (&gone.namespace, &made.namespace) {
        (NamespaceSpec::Named(a), NamespaceSpec::Named(b)) => a == b,
        _ => true,
    };
    names && namespaces && kind_key(&gone.kind) == kind_key(&made.kind)
}

/// The exercises before `plans[i]` whose objects its vacuous check wants
/// gone, nearest first. Empty when the check is not vacuous.
pub fn prerequisites(plans: &[Plan], i: usize) -> Vec<&Plan> {
    let Some(p) = plans.get(i) else {
        return Vec::new();
    };
    if !is_vacuous(&p.check) {
        return Vec::new();
    }
    plans[..i]
        .iter()
        .rev()
        .filter(|earlier| !is_vacuous(&earlier.check))
        .filter(|earlier| {
            p.check.expect.iter().any(|gone| {
                earlier
                    .check
                    .expect
                    .iter()
                    .any(|made| !made.count.holds(0) && overlaps(gone, made))
            })
        })
        .collect()
}

/// Applies the rule to one student's `results` (in `plans` order, as the
/// engine returns them): a vacuous check that held counts only once a
/// prerequisite passed, in `results` or as `passed_before` says (the
/// history). Idempotent: a result held back by an earlier call passes once
/// the history knows better.
pub fn gate(plans: &[Plan], results: &mut [ExerciseResult], passed_before: impl Fn(&str) -> bool) {
    let passed_now: Vec<String> = results
        .iter()
        .filter(|r| r.verdict == Verdict::Pass)
        .map(|r| r.id.clone())
        .collect();
    for r in results.iter_mut() {
        let Some(i) = plans.iter().position(|p| p.id == r.id) else {
            continue;
        };
        let held = match r.verdict {
            Verdict::Pass => true,
            // Held back before (the expectations all held).
            Verdict::Fail => {
                r.message.starts_with(NOT_STARTED) && r.expectations.iter().all(|e| e.holds)
            }
            Verdict::Error => false,
        };
        if !held {
            continue;
        }
        let before = prerequisites(plans, i);
        let Some(nearest) = before.first() else {
            continue;
        };
        let earned = before
            .iter()
            .any(|b| passed_now.contains(&b.id) || passed_before(&b.id));
        if earned && r.verdict == Verdict::Fail {
            r.verdict = Verdict::Pass;
            r.message = crate::check::engine::held_message(r.expectations.len());
        } else if !earned {
            r.verdict = Verdict::Fail;
            r.message = format!(
                "{NOT_STARTED}nothing to clean up yet: `{}` was never passed",
                nearest.id
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(id: &str, yaml: &str) -> Plan {
        Plan::parsed(id, yaml)
    }

    fn deck() -> Vec<Plan> {
        vec![
            plan(
                "rng",
                "expect:\n  - kind: deploy\n    name: rng\n  - kind: pods\n",
            ),
            plan(
                "create",
                "expect:\n  - kind: Deployment\n    name: labeldemo\n",
            ),
            plan(
                "cleanup",
                "expect:\n  - kind: deploy\n    name: labeldemo\n    count: 0\n  - kind: pods\n    selector: app=labeldemo\n    count: 0\n",
            ),
            plan("orphan", "expect:\n  - kind: secrets\n    count: 0\n"),
        ]
    }

    #[test]
    fn a_check_wanting_only_absence_is_vacuous() {
        let d = deck();
        let vacuous: Vec<bool> = d.iter().map(|p| is_vacuous(&p.check)).collect();
        assert_eq!(vacuous, [false, false, true, true]);
        assert!(is_vacuous(
            &plan("le", "expect:\n  - kind: pods\n    count: \"<=2\"\n").check
        ));
        assert!(!is_vacuous(
            &plan(
                "mixed",
                "expect:\n  - kind: pods\n    count: 0\n  - kind: svc\n"
            )
            .check
        ));
    }

    #[test]
    fn prerequisites_are_earlier_exercises_making_what_it_removes() {
        let d = deck();
        let ids: Vec<&str> = prerequisites(&d, 2).iter().map(|p| p.id.as_str()).collect();
        // `create` (deploy labeldemo), nearest first; `rng` too, for its pods.
        assert_eq!(ids, ["create", "rng"]);
        assert!(prerequisites(&d, 3).is_empty());
        assert!(prerequisites(&d, 1).is_empty());
    }
}
