//! Every exercise of the sample deck `slides/` has a check, and that check
//! passes on the state its commands produce (and, where the commands change
//! something, fails on the state before them). The cluster is the loopback
//! fake API; each step below applies what the exercise's commands make the
//! real cluster do (controllers included).

mod support;

use serde_json::{Value, json};
use support::apiserver::FakeApiServer;
use support::cli::labdeck;
use support::fixtures::*;

const DECK: &str = "slides/labdeck-sample.yml";

fn rng_deployment() -> Vec<Value> {
    let mut d = deployment("rng");
    d["metadata"]["labels"] = json!({"app": "rng"});
    d["spec"]["selector"] = json!({"matchLabels": {"app": "rng"}});
    d["spec"]["template"]["metadata"]["labels"] = json!({"app": "rng"});
    d["spec"]["template"]["spec"]["containers"][0] =
        json!({"image": "dockercoins/rng:v0.1", "name": "rng"});
    let mut rs = replicaset("rng-6c5f7d8b9");
    rs["metadata"]["labels"] = json!({"app": "rng", "pod-template-hash": "6c5f7d8b9"});
    rs["metadata"]["ownerReferences"][0]["name"] = json!("rng");
    let mut p = labels(
        pod("rng-6c5f7d8b9-k4x2m"),
        &[("app", "rng"), ("pod-template-hash", "6c5f7d8b9")],
    );
    p["metadata"]["ownerReferences"][0]["name"] = json!("rng-6c5f7d8b9");
    vec![d, rs, p]
}

fn rng_daemonset() -> Vec<Value> {
    let mut out = vec![daemonset("rng")];
    for (name, node) in [("rng-7hq4s", "kind-worker"), ("rng-9xw2d", "kind-worker2")] {
        let mut p = labels(
            pod(name),
            &[
                ("app", "rng"),
                ("controller-revision-hash", "5c8d9f7b6"),
                ("pod-template-generation", "1"),
            ],
        );
        p["metadata"]["ownerReferences"] = json!([{
            "apiVersion": "apps/v1", "blockOwnerDeletion": true, "controller": true,
            "kind": "DaemonSet", "name": "rng", "uid": "9b8a7c6d-5e4f-4a3b-8c2d-1e0f9a8b7c6d"
        }]);
        p["spec"]["nodeName"] = json!(node);
        out.push(p);
    }
    out
}

const ACTIVE: &str = "labeldemo-5b7c9d8f6d-p2rk9";
const REPLACEMENT: &str = "labeldemo-5b7c9d8f6d-lr62s";

/// Applies what the exercise's commands make the cluster do.
fn perform(fake: &FakeApiServer, id: &str) {
    match id {
        "rng-deployment" => rng_deployment().into_iter().for_each(|o| fake.apply(o)),
        "rng-daemonset" => rng_daemonset().into_iter().for_each(|o| fake.apply(o)),
        "rng-cleanup" => {
            fake.delete("apps/v1", "Deployment", "default", "rng");
            fake.delete("apps/v1", "ReplicaSet", "default", "rng-6c5f7d8b9");
            fake.delete("v1", "Pod", "default", "rng-6c5f7d8b9-k4x2m");
        }
        "labeldemo-create" => {
            fake.apply(deployment("labeldemo"));
            fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
            fake.apply(pod(ACTIVE));
        }
        "labeldemo-relabel" => {
            // The ReplicaSet releases the pod and makes a replacement.
            fake.apply(orphan(label(pod(ACTIVE), "isactive", "no")));
            fake.apply(pod(REPLACEMENT));
        }
        "labeldemo-readopt" => {
            // Adopted again; one pod too many, so one is deleted (terminating
            // for its 30s grace period: ping ignores SIGTERM).
            fake.apply(pod(ACTIVE));
            let mut p = pod(REPLACEMENT);
            p["metadata"]["deletionTimestamp"] = json!("2026-11-24T06:40:00Z");
            p["metadata"]["deletionGracePeriodSeconds"] = json!(30);
            fake.apply(p);
        }
        "labeldemo-cleanup" => {
            fake.delete("apps/v1", "Deployment", "default", "labeldemo");
            fake.delete("apps/v1", "ReplicaSet", "default", "labeldemo-5b7c9d8f6d");
            fake.delete("v1", "Pod", "default", ACTIVE);
            fake.delete("v1", "Pod", "default", REPLACEMENT);
        }
        // Reading commands (kubectl get/logs, writing a local file).
        "rng-yaml" | "rng-two-owners" | "labeldemo-list" | "labeldemo-debug" => {}
        other => panic!("the test does not know what exercise {other:?} does: add it"),
    }
}

async fn verdict(kubeconfig: &str, id: &str) -> (String, Value) {
    let out = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        kubeconfig,
        "--only",
        id,
        "--timeout",
        "0",
        "--format",
        "json",
    ])
    .await;
    let report: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{id}: not JSON ({e}): {}\n{}", out.stdout, out.stderr));
    let r = report["results"][0].clone();
    (r["verdict"].as_str().unwrap_or("").to_string(), r)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_exercise_has_a_check_that_passes_on_its_commands_state() {
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let kc = kc.to_str().unwrap();

    let list = labdeck(&["exercises", DECK, "--format", "json"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let exercises: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    assert!(exercises.len() >= 10, "{exercises:?}");
    let mut changed = 0;
    for ex in &exercises {
        let id = ex["id"].as_str().unwrap();
        assert!(!ex["check"].is_null(), "exercise {id} has no check");
        let reads_only = matches!(
            id,
            "rng-yaml" | "rng-two-owners" | "labeldemo-list" | "labeldemo-debug"
        );
        if !reads_only {
            let (v, r) = verdict(kc, id).await;
            assert_eq!(v, "fail", "{id} should fail before its commands ran: {r:#}");
            changed += 1;
        }
        perform(&fake, id);
        let (v, r) = verdict(kc, id).await;
        assert_eq!(v, "pass", "{id} after its commands: {r:#}");
    }
    assert_eq!(changed, 7);
    for r in fake.requests() {
        assert!(r.starts_with("GET "), "{r}");
    }
}
