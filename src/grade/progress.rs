//! Where a student is in the deck: the exercise after the furthest one
//! whose pass, now or at any time before (the history), says the student
//! got that far.
//!
//! Not the first exercise never passed: later steps of a deck undo
//! earlier states (the sample deck cleans up), so a student who has moved
//! on fails earlier checks again and would look stuck at the start.
//!
//! Not every pass says how far a student got, either. A *vacuous* check
//! ([`crate::check::vacuous`]: it holds on an empty cluster, such as the
//! sample deck's `labeldemo-cleanup`) holds on many earlier states too: for
//! a student on exercise 2 it would say "past the cleanup". Its pass (as
//! the gate lets it through) counts for position only when every one of
//! its prerequisites (the exercises whose objects it removes) has passed,
//! now or before; a vacuous check with no prerequisite in the deck, only
//! when the exercise just before it counts. Non-vacuous passes always
//! count.
//!
//! The board (`grade --serve`) and a snapshot `grade` both place students
//! by this one rule, with [`Placement`]; the board's stuck clock counts
//! only passes that count here (a cleanup that holds on a student's
//! untouched namespace is no progress).

use crate::check::engine::Plan;
use crate::check::vacuous;

/// When a pass of one exercise counts for position.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Counts {
    /// Not vacuous: always.
    Always,
    /// Vacuous: when every one of these exercises (indices) has passed.
    AfterAll(Vec<usize>),
    /// Vacuous with no prerequisite: when the exercise before counts.
    AfterPrevious,
}

/// The placement rule for one deck's exercises (in deck order), worked
/// out once from the checks.
#[derive(Debug, Clone)]
pub struct Placement {
    ids: Vec<String>,
    counts: Vec<Counts>,
}

impl Placement {
    pub fn new(plans: &[Plan]) -> Placement {
        let counts = plans
            .iter()
            .enumerate()
            .map(|(i, p)| {
                if !vacuous::is_vacuous(&p.check) {
                    return Counts::Always;
                }
                let before: Vec<usize> = vacuous::prerequisites(plans, i)
                    .iter()
                    .filter_map(|b| plans.iter().position(|q| q.id == b.id))
                    .collect();
                if before.is_empty() {
                    Counts::AfterPrevious
                } else {
                    Counts::AfterAll(before)
                }
            })
            .collect();
        Placement {
            ids: plans.iter().map(|p| p.id.clone()).collect(),
            counts,
        }
    }

    /// For each exercise (deck order), whether its pass counts for
    /// position. `passed` says whether an exercise passed now (its gated
    /// verdict) or before (the history).
    pub fn counted(&self, passed: impl Fn(&str) -> bool) -> Vec<bool> {
        let mut counted: Vec<bool> = Vec::with_capacity(self.ids.len());
        for (i, (id, rule)) in self.ids.iter().zip(&self.counts).enumerate() {
            let counts = passed(id)
                && match rule {
                    Counts::Always => true,
                    Counts::AfterAll(before) => before
                        .iter()
                        .all(|&b| self.ids.get(b).is_some_and(|id| passed(id))),
                    Counts::AfterPrevious => i
                        .checked_sub(1)
                        .is_some_and(|p| counted.get(p) == Some(&true)),
                };
            counted.push(counts);
        }
        counted
    }

    /// The index (in deck order) of the furthest exercise whose pass
    /// counts for position ([`Placement::counted`]).
    pub fn furthest(&self, passed: impl Fn(&str) -> bool) -> Option<usize> {
        self.counted(passed).iter().rposition(|&c| c)
    }

    /// The ids of the exercises whose passes count ([`Placement::counted`]),
    /// in deck order: the last is [`Placement::furthest`]'s.
    pub fn counting(&self, passed: impl Fn(&str) -> bool) -> impl Iterator<Item = &str> {
        self.ids
            .iter()
            .zip(self.counted(passed))
            .filter(|(_, c)| *c)
            .map(|(id, _)| id.as_str())
    }

    /// The exercise a student is on: the one after the furthest whose
    /// pass counts (the first when none does), or `None` when the last one
    /// counts.
    pub fn on(&self, passed: impl Fn(&str) -> bool) -> Option<&str> {
        let next = self.furthest(passed).map_or(0, |i| i.saturating_add(1));
        self.ids.get(next).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::engine::{ExerciseResult, Verdict};

    fn plan(id: &str, yaml: &str) -> Plan {
        Plan::parsed(id, yaml)
    }

    /// Seven exercises; 4 removes what 2 made, 7 holds on an empty cluster
    /// and nothing before it makes a secret.
    fn deck() -> Vec<Plan> {
        vec![
            plan("one", "expect:\n  - kind: configmaps\n    name: one\n"),
            plan("two", "expect:\n  - kind: deploy\n    name: web\n"),
            plan("three", "expect:\n  - kind: svc\n    name: web\n"),
            plan(
                "four",
                "expect:\n  - kind: deploy\n    name: web\n    count: 0\n",
            ),
            plan("five", "expect:\n  - kind: configmaps\n    name: five\n"),
            plan("six", "expect:\n  - kind: configmaps\n    name: six\n"),
            plan("seven", "expect:\n  - kind: secrets\n    count: 0\n"),
        ]
    }

    /// The verdicts of `held` (what holds on the cluster now), gated as
    /// the board and `grade` gate them, with `before` (the history).
    fn results(plans: &[Plan], held: &[&str], before: &[&str]) -> Vec<ExerciseResult> {
        let mut results: Vec<ExerciseResult> = plans
            .iter()
            .map(|p| ExerciseResult {
                id: p.id.clone(),
                verdict: if held.contains(&p.id.as_str()) {
                    Verdict::Pass
                } else {
                    Verdict::Fail
                },
                file: p.file.clone(),
                line: p.line,
                title: p.title.clone(),
                message: String::new(),
                elapsed_ms: 0,
                expectations: Vec::new(),
            })
            .collect();
        vacuous::gate(plans, &mut results, |id| before.contains(&id));
        results
    }

    /// The ids passing in [`results`].
    fn gated(plans: &[Plan], held: &[&str], before: &[&str]) -> Vec<String> {
        results(plans, held, before)
            .into_iter()
            .filter(|r| r.verdict == Verdict::Pass)
            .map(|r| r.id)
            .collect()
    }

    #[test]
    fn a_snapshot_grade_places_students_by_the_same_rule() {
        let d = deck();
        let cluster = |name: &str, held: &[&str]| {
            let results = results(&d, held, &[]);
            crate::grade::ClusterResult {
                name: name.into(),
                summary: crate::report::Summary::of(&results),
                elapsed_ms: 0,
                results,
                first_passed: Default::default(),
                on: None,
            }
        };
        let report = crate::grade::report::GradeReport::new(
            &d,
            vec![
                cluster("on-two", &["one", "four", "seven"]),
                cluster("done", &["one", "two", "three", "five", "six", "seven"]),
            ],
        );
        let on: Vec<Option<&str>> = report.clusters.iter().map(|c| c.on.as_deref()).collect();
        // `done`: four (its deployment still there) fails, seven counts
        // after six.
        assert_eq!(on, [Some("two"), None]);
    }

    #[test]
    fn a_student_ahead_is_on_the_exercise_after_the_furthest_pass() {
        let d = deck();
        let place = Placement::new(&d);
        // `two` made the deployment, `four` removed it: `two` fails now,
        // the history has it; `five` passed.
        let now = gated(&d, &["one", "three", "four", "five", "seven"], &["two"]);
        let passed = |id: &str| now.iter().any(|n| n == id) || id == "two";
        assert_eq!(place.furthest(passed), Some(4));
        assert_eq!(place.on(passed), Some("six"));
        // The furthest is the last that counts (the board reads it so).
        assert_eq!(place.counting(passed).last(), Some("five"));
        let counting: Vec<&str> = place.counting(passed).collect();
        assert_eq!(counting, ["one", "two", "three", "four", "five"]);
    }

    #[test]
    fn a_student_on_exercise_2_is_not_placed_after_a_later_vacuous_check() {
        let d = deck();
        let place = Placement::new(&d);
        // One done; the cluster has no deployment `web` and no secret, so
        // `four` and `seven` hold. `four`'s prerequisite (`two`) never
        // passed: the gate holds it back. `seven` has no prerequisite: the
        // gate lets it through, placement does not count it.
        let now = gated(&d, &["one", "four", "seven"], &[]);
        assert_eq!(now, ["one", "seven"]);
        let passed = |id: &str| now.iter().any(|n| n == id);
        assert_eq!(place.on(passed), Some("two"));
        // Even with `four` let through (by another rule, or an old history
        // line), it counts only once `two` passed.
        let raw = |id: &str| ["one", "four", "seven"].contains(&id);
        assert_eq!(place.on(raw), Some("two"));
    }

    #[test]
    fn everything_passed_is_done() {
        let d = deck();
        let place = Placement::new(&d);
        let all = |_: &str| true;
        assert_eq!(place.furthest(all), Some(6));
        assert_eq!(place.on(all), None);
        // And nothing passed is the first exercise.
        assert_eq!(place.on(|_| false), Some("one"));
        assert_eq!(Placement::new(&[]).on(|_| true), None);
    }

    #[test]
    fn the_sample_decks_cleanup_places_only_a_student_who_did_what_it_cleans_up() {
        let (exercises, _) = crate::check::overlay::load_exercises(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("slides/labdeck-sample.yml"),
            None,
        )
        .expect("the sample deck loads");
        let d = crate::check::engine::plans(&exercises).expect("its checks parse");
        let ids: Vec<&str> = d.iter().map(|p| p.id.as_str()).collect();
        assert_eq!(ids.first(), Some(&"rng-deployment"));
        assert_eq!(ids.last(), Some(&"labeldemo-cleanup"));
        let place = Placement::new(&d);
        // On exercise 2: rng-deployment done. No labeldemo anything, so the
        // cleanup holds; the gate lets it through (rng-deployment made
        // pods, which the cleanup may be about), placement does not.
        let now = gated(&d, &["rng-deployment", "labeldemo-cleanup"], &[]);
        assert!(now.iter().any(|n| n == "labeldemo-cleanup"), "{now:?}");
        let passed = |id: &str| now.iter().any(|n| n == id);
        assert_eq!(place.on(passed), Some("rng-yaml"));
        // Through readopt, every pass in the history, then cleaned up:
        // done.
        let before: Vec<&str> = ids[..ids.len() - 1].to_vec();
        let now = gated(&d, &["rng-cleanup", "labeldemo-cleanup"], &before);
        let passed = |id: &str| now.iter().any(|n| n == id) || before.contains(&id);
        assert_eq!(place.on(passed), None);
        // Cleaned up after skipping labeldemo-debug: on the cleanup, not
        // done and not back at the start.
        let skipped: Vec<&str> = before
            .iter()
            .copied()
            .filter(|id| *id != "labeldemo-debug")
            .collect();
        let passed = |id: &str| id == "labeldemo-cleanup" || skipped.contains(&id);
        assert_eq!(place.on(passed), Some("labeldemo-cleanup"));
    }
}
