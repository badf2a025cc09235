//! The sample deck's exercises played on the fake API server: the objects
//! each exercise's commands leave (as `kubectl get -o json` prints them) and
//! the checker's verdict on one exercise. Shared by check_sample_deck.rs
//! (the hand-written checks) and suggest.rs (the suggested ones).

use serde_json::{Value, json};

use super::apiserver::FakeApiServer;
use super::cli::labdeck;
use super::fixtures::*;

/// The sample deck, from the crate's folder.
pub const SAMPLE: &str = "slides/labdeck-sample.yml";

pub const ACTIVE: &str = "labeldemo-5b7c9d8f6d-p2rk9";
pub const REPLACEMENT: &str = "labeldemo-5b7c9d8f6d-lr62s";

/// Pod template containers as the slides' commands make them: `kubectl
/// create deployment rng --image=dockercoins/rng:v0.1` names its container
/// `rng`; the labeldemo manifest names it `ping`.
pub fn with_container(mut obj: Value, name: &str, image: &str) -> Value {
    let c = if obj["kind"] == "Pod" {
        &mut obj["spec"]["containers"][0]
    } else {
        &mut obj["spec"]["template"]["spec"]["containers"][0]
    };
    c["name"] = json!(name);
    c["image"] = json!(image);
    obj
}

pub fn rng_deployment() -> Vec<Value> {
    let mut d = deployment("rng");
    d["metadata"]["labels"] = json!({"app": "rng"});
    d["spec"]["selector"] = json!({"matchLabels": {"app": "rng"}});
    d["spec"]["template"]["metadata"]["labels"] = json!({"app": "rng"});
    let d = with_container(d, "rng", "dockercoins/rng:v0.1");
    let mut rs = replicaset("rng-6c5f7d8b9");
    rs["metadata"]["labels"] = json!({"app": "rng", "pod-template-hash": "6c5f7d8b9"});
    rs["metadata"]["ownerReferences"][0]["name"] = json!("rng");
    let mut p = labels(
        pod("rng-6c5f7d8b9-k4x2m"),
        &[("app", "rng"), ("pod-template-hash", "6c5f7d8b9")],
    );
    p["metadata"]["ownerReferences"][0]["name"] = json!("rng-6c5f7d8b9");
    vec![d, rs, with_container(p, "rng", "dockercoins/rng:v0.1")]
}

pub fn rng_daemonset() -> Vec<Value> {
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
        out.push(with_container(p, "rng", "dockercoins/rng:v0.1"));
    }
    out
}

pub fn labeldemo_pod(name: &str) -> Value {
    with_container(pod(name), "ping", "alpine")
}

/// What each exercise's commands make the cluster do (controllers
/// included).
pub fn perform(fake: &FakeApiServer, id: &str) {
    match id {
        "rng-deployment" => rng_deployment().into_iter().for_each(|o| fake.apply(o)),
        "rng-daemonset" => rng_daemonset().into_iter().for_each(|o| fake.apply(o)),
        "rng-cleanup" => {
            fake.delete("apps/v1", "Deployment", "default", "rng");
            fake.delete("apps/v1", "ReplicaSet", "default", "rng-6c5f7d8b9");
            fake.delete("v1", "Pod", "default", "rng-6c5f7d8b9-k4x2m");
        }
        "labeldemo-create" => {
            fake.apply(with_container(deployment("labeldemo"), "ping", "alpine"));
            fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
            fake.apply(labeldemo_pod(ACTIVE));
        }
        "labeldemo-relabel" => {
            fake.apply(orphan(label(labeldemo_pod(ACTIVE), "isactive", "no")));
            fake.apply(labeldemo_pod(REPLACEMENT));
        }
        "labeldemo-readopt" => {
            fake.apply(labeldemo_pod(ACTIVE));
            let mut p = labeldemo_pod(REPLACEMENT);
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
        "rng-yaml" | "rng-two-owners" | "labeldemo-list" | "labeldemo-debug" => {}
        other => panic!("the test does not know what exercise {other:?} does: add it"),
    }
}

/// `labdeck check DECK --only ID` once (no waiting): the verdict and the
/// JSON result.
pub async fn verdict(deck: &str, kubeconfig: &str, id: &str) -> (String, Value) {
    let out = labdeck(&[
        "check",
        deck,
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
