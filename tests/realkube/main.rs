//! The real-cluster tier: labdeck's verdicts against a real Kubernetes 1.20
//! control plane (`../shared/realkube/`: kube-apiserver with etcd, the
//! controller-manager, the scheduler and hollow kubelet nodes), through the
//! real `labdeck` binary and the cluster's own kubectl, with `kubectl`'s
//! answers side by side where both speak.
//!
//! A custom harness (libtest-mimic) so that a tier which cannot run is
//! reported as *ignored*, never as passed: without the control plane's
//! binaries every test here is listed as ignored and a loud line says why.
//! With `LABDECK_REQUIRE_REALKUBE=1` (CI) missing binaries fail the run.
//! The control plane is started with `up.sh` (idempotent) and stopped at the
//! end when this run started it. Tests run one at a time: some of them stop
//! a node or the API server.

#[path = "../support/mod.rs"]
mod support;

mod classroom;
mod cluster;
mod faults;
mod requests;
mod suggested;
mod truth;
mod verdicts;
mod walk;

use std::sync::OnceLock;

use cluster::{Paths, Realkube};
use libtest_mimic::{Arguments, Trial};

type TestFn = fn(&Realkube);

/// Every test of the tier, in the order they run: the ones that stop part
/// of the control plane come last.
const TESTS: &[(&str, TestFn)] = &[
    (
        "sample_deck_each_exercise_fails_before_its_step_and_passes_after",
        walk::sample_deck_walk,
    ),
    (
        "suggested_checks_of_a_corpus_chapter_fail_before_and_pass_after",
        suggested::suggested_checks_fail_before_and_pass_after,
    ),
    (
        "rollout_in_progress_agrees_with_kubectl_rollout_status",
        verdicts::rollout_in_progress,
    ),
    (
        "stuck_rollout_agrees_with_kubectl_rollout_status",
        verdicts::stuck_rollout,
    ),
    (
        "scale_down_with_pods_terminating",
        verdicts::scale_down_terminating,
    ),
    (
        "namespace_scoped_student_gets_error_naming_the_forbidden_resource",
        verdicts::namespace_scoped_student,
    ),
    ("crash_looping_pod_is_not_running", truth::crash_looping_pod),
    (
        "stale_ready_condition_is_not_ready",
        truth::stale_ready_condition,
    ),
    (
        "quantities_and_label_values_as_the_server_stores_them",
        truth::quantities_and_label_strings,
    ),
    (
        "field_selector_the_server_refuses_is_applied_by_labdeck",
        truth::field_selector_the_server_refuses,
    ),
    (
        "replaced_holds_after_the_fact_of_a_rollout_restart",
        truth::replaced_after_rollout_restart,
    ),
    (
        "missing_pods_log_permission_is_error_naming_it",
        truth::missing_log_permission,
    ),
    (
        "ca_mismatch_is_said_at_once_in_kubectls_words",
        faults::ca_mismatch,
    ),
    (
        "user_agent_and_request_counts_on_kubernetes_1_20",
        requests::user_agent_and_request_counts,
    ),
    (
        "kind_whose_crd_arrives_while_the_check_waits",
        requests::late_crd,
    ),
    (
        "vacuous_cleanup_is_no_tick_for_a_student_who_did_nothing",
        classroom::vacuous_cleanup,
    ),
    (
        "grade_of_several_contexts_and_the_live_board",
        classroom::grade_and_board,
    ),
    (
        "student_checks_from_the_served_deck_in_chromium",
        classroom::student_check_in_browser,
    ),
    (
        "classroom_board_a_student_ahead_is_on_the_exercise_after_the_furthest_pass",
        classroom::board_student_ahead,
    ),
    (
        "classroom_board_restart_keeps_stuck_clocks_and_helped_at",
        classroom::board_restart_keeps_clocks,
    ),
    (
        "classroom_board_two_classes_from_one_folder_keep_two_histories",
        classroom::two_classes_from_one_folder,
    ),
    (
        "api_server_restarted_in_the_middle_of_a_wait",
        faults::api_server_restarted,
    ),
    ("node_lost_in_the_middle_of_a_check", faults::node_lost),
];

static CLUSTER: OnceLock<Result<Realkube, String>> = OnceLock::new();

fn main() {
    let mut args = Arguments::from_args();
    // One at a time: tests stop nodes and the API server.
    args.test_threads = Some(1);
    let paths = Paths::from_env();
    let missing = paths.missing();
    let required = std::env::var("LABDECK_REQUIRE_REALKUBE").as_deref() == Ok("1");
    if let Some(why) = &missing {
        if required {
            eprintln!("realkube tier: cannot run (LABDECK_REQUIRE_REALKUBE=1): {why}");
            std::process::exit(1);
        }
        eprintln!();
        eprintln!(
            "!!! realkube tier SKIPPED ({} tests reported as ignored): {why}",
            TESTS.len()
        );
        eprintln!();
    }
    let listing = args.list;
    let trials = TESTS
        .iter()
        .map(|&(name, f)| {
            Trial::test(name, move || {
                let rk = CLUSTER
                    .get_or_init(|| Realkube::up(Paths::from_env()))
                    .as_ref()
                    .map_err(|e| format!("the control plane did not start: {e}"))?;
                f(rk);
                Ok(())
            })
            .with_ignored_flag(missing.is_some())
        })
        .collect();
    let conclusion = libtest_mimic::run(&args, trials);
    if let (false, Some(Ok(rk))) = (listing, CLUSTER.get()) {
        rk.down();
    }
    conclusion.exit();
}
