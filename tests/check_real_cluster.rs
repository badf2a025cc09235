//! Against a real cluster, only when `LABDECK_TEST_KUBECONFIG` is set
//! (skipped otherwise). It applies nothing: run the sample deck's commands
//! first (see docs/checking.md), then name the exercises whose state the
//! cluster is in with `LABDECK_TEST_EXERCISES` (comma-separated; default
//! `labeldemo-relabel`). `LABDECK_TEST_CONTEXT` picks a context.

mod support;

use std::time::Duration;

use labdeck::cluster::{ClusterSource, ConnectOptions, KubeSource};
use serde_json::Value;
use support::cli::labdeck;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sample_deck_checks_pass_on_a_real_cluster() {
    let Ok(kubeconfig) = std::env::var("LABDECK_TEST_KUBECONFIG") else {
        eprintln!("skipped: set LABDECK_TEST_KUBECONFIG to run against a real cluster");
        return;
    };
    let context = std::env::var("LABDECK_TEST_CONTEXT").ok();
    let exercises =
        std::env::var("LABDECK_TEST_EXERCISES").unwrap_or_else(|_| "labeldemo-relabel".into());

    // Kind resolution through real discovery, kubectl's way.
    let source = KubeSource::connect(&ConnectOptions {
        kubeconfig: Some(kubeconfig.clone().into()),
        context: context.clone(),
        connect_timeout: Duration::from_secs(5),
        request_timeout: Duration::from_secs(20),
    })
    .await
    .expect("kubeconfig loads");
    for (kind, plural) in [
        ("po", "pods"),
        ("Pod", "pods"),
        ("deploy", "deployments"),
        ("ds", "daemonsets"),
        ("deployments.apps", "deployments"),
        ("apps/v1/ReplicaSet", "replicasets"),
        ("crd", "customresourcedefinitions"),
    ] {
        let r = source
            .resolve_kind(kind)
            .await
            .unwrap_or_else(|e| panic!("{kind}: {e}"));
        assert_eq!(r.plural, plural, "{kind}");
    }
    assert!(source.resolve_kind("no-such-kind-here").await.is_err());

    let mut args = vec![
        "check",
        "slides/labdeck-sample.yml",
        "--kubeconfig",
        &kubeconfig,
    ];
    if let Some(c) = &context {
        args.extend(["--context", c]);
    }
    for id in exercises.split(',').filter(|s| !s.is_empty()) {
        args.extend(["--only", id]);
    }
    args.extend(["--format", "json"]);
    let out = labdeck(&args).await;
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", out.stdout, out.stderr));
    for r in report["results"].as_array().expect("results") {
        assert_eq!(r["verdict"], "pass", "{r:#}");
    }
    assert_eq!(out.code, 0, "{}", out.stderr);
}
