//! Object JSON as `kubectl get -o json` prints it (`tests/fixtures/*.json`),
//! with helpers to derive the states a test needs.

use serde_json::{Value, json};

fn load(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A running pod of the `labeldemo` deployment, owned by its ReplicaSet.
pub fn pod(name: &str) -> Value {
    let mut p = load("pod");
    p["metadata"]["name"] = json!(name);
    p
}

/// Sets a label.
pub fn label(mut obj: Value, key: &str, value: &str) -> Value {
    obj["metadata"]["labels"][key] = json!(value);
    obj
}

/// Replaces all labels.
pub fn labels(mut obj: Value, pairs: &[(&str, &str)]) -> Value {
    let map: serde_json::Map<String, Value> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    obj["metadata"]["labels"] = Value::Object(map);
    obj
}

/// Removes the controller owner (what a ReplicaSet does to a pod whose
/// labels no longer match its selector), or a pod made by `kubectl run`.
pub fn orphan(mut obj: Value) -> Value {
    if let Some(m) = obj["metadata"].as_object_mut() {
        m.remove("ownerReferences");
        m.remove("generateName");
    }
    obj
}

/// A pod just created: scheduled, container still being created.
pub fn pending(mut p: Value) -> Value {
    p["status"] = json!({
        "conditions": [
            {"lastProbeTime": null, "lastTransitionTime": "2026-11-24T06:30:01Z", "status": "True", "type": "PodScheduled"},
            {"lastProbeTime": null, "lastTransitionTime": "2026-11-24T06:30:01Z",
             "message": "containers with unready status: [alpine]", "reason": "ContainersNotReady",
             "status": "False", "type": "Ready"}
        ],
        "containerStatuses": [{
            "image": "alpine", "imageID": "", "lastState": {}, "name": "alpine", "ready": false,
            "restartCount": 0, "started": false,
            "state": {"waiting": {"reason": "ContainerCreating"}}
        }],
        "hostIP": "172.18.0.2",
        "phase": "Pending",
        "qosClass": "BestEffort",
        "startTime": "2026-11-24T06:30:01Z"
    });
    p
}

pub fn in_namespace(mut obj: Value, ns: &str) -> Value {
    obj["metadata"]["namespace"] = json!(ns);
    obj
}

pub fn deployment(name: &str) -> Value {
    let mut d = load("deployment");
    d["metadata"]["name"] = json!(name);
    d
}

pub fn replicaset(name: &str) -> Value {
    let mut r = load("replicaset");
    r["metadata"]["name"] = json!(name);
    r
}

pub fn daemonset(name: &str) -> Value {
    let mut d = load("daemonset");
    d["metadata"]["name"] = json!(name);
    d
}

pub fn node(name: &str) -> Value {
    let mut n = load("node");
    n["metadata"]["name"] = json!(name);
    n
}

pub fn service(name: &str) -> Value {
    let mut s = load("service");
    s["metadata"]["name"] = json!(name);
    s
}

/// A pod of the `labeldemo` deployment whose container keeps crashing:
/// kubectl shows it as `CrashLoopBackOff` (its phase is still Running).
pub fn crashloop_pod(name: &str) -> Value {
    let mut p = load("pod-crashloop");
    p["metadata"]["name"] = json!(name);
    p
}

/// What `kubectl delete` (or a scale-down) leaves while the grace period
/// runs: `deletionTimestamp` and `deletionGracePeriodSeconds` set, the
/// object still listed. kubectl shows a pod like this as `Terminating`.
pub fn terminating(mut obj: Value) -> Value {
    obj["metadata"]["deletionTimestamp"] = json!("2026-11-24T06:40:30Z");
    obj["metadata"]["deletionGracePeriodSeconds"] = json!(30);
    obj
}

pub fn statefulset(name: &str) -> Value {
    let mut s = load("statefulset");
    s["metadata"]["name"] = json!(name);
    s
}

/// A Job that completed (Kubernetes 1.31+: `SuccessCriteriaMet` next to `Complete`).
pub fn job(name: &str) -> Value {
    let mut j = load("job");
    j["metadata"]["name"] = json!(name);
    j
}

/// A deployment's generation, desired replicas and status counters, as the
/// API server prints them: counters that are 0 are omitted.
pub fn rollout(
    mut d: Value,
    generation: i64,
    observed: i64,
    replicas: i64,
    [current, updated, ready, available]: [i64; 4],
) -> Value {
    d["metadata"]["generation"] = json!(generation);
    d["spec"]["replicas"] = json!(replicas);
    let status = d["status"].as_object_mut().expect("status");
    status.insert("observedGeneration".into(), json!(observed));
    for (key, n) in [
        ("replicas", current),
        ("updatedReplicas", updated),
        ("readyReplicas", ready),
        ("availableReplicas", available),
    ] {
        if n == 0 {
            status.remove(key);
        } else {
            status.insert(key.into(), json!(n));
        }
    }
    d
}
