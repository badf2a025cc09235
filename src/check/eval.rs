//! Pure evaluation: objects (JSON as the API server returns them) and one
//! expectation in, whether it holds and why each object passed or not out.
//! No I/O here, so every rule of `checks.md` is unit-tested directly.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::check::spec::{CmpOp, Expectation, OwnerSpec, PathSeg, WhereOp, WhereTest};

/// One object the expectation's kind/namespace/name/selector matched.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectResult {
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub namespace: Option<String>,
    pub name: String,
    /// The conditions this object failed (`phase Pending, want Running`);
    /// empty when it passes and is counted.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub failed: Vec<String>,
}

impl ObjectResult {
    pub fn passes(&self) -> bool {
        self.failed.is_empty()
    }
}

/// The outcome of one expectation against one set of objects.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub holds: bool,
    /// How many objects passed every condition (what `count` counts).
    pub passing: u64,
    pub objects: Vec<ObjectResult>,
}

/// Evaluates `exp` against `objects`: those of the expectation's kind and
/// namespace (the label selector is applied again here, so the result does
/// not depend on the server having filtered).
pub fn evaluate(exp: &Expectation, objects: &[Value]) -> Outcome {
    let mut results = Vec::new();
    for obj in objects {
        let meta = &obj["metadata"];
        let name = meta["name"].as_str().unwrap_or("");
        if let Some(p) = &exp.name
            && !p.matches(name)
        {
            continue;
        }
        if let Some(sel) = &exp.selector
            && !sel.matches_json(meta.get("labels"))
        {
            continue;
        }
        results.push(ObjectResult {
            namespace: meta["namespace"].as_str().map(str::to_string),
            name: name.to_string(),
            failed: failures(exp, obj),
        });
    }
    results.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
    let passing = results.iter().filter(|o| o.passes()).count() as u64;
    Outcome {
        holds: exp.count.holds(passing),
        passing,
        objects: results,
    }
}

/// Every condition `obj` fails, phrased for the report.
fn failures(exp: &Expectation, obj: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(want) = &exp.phase {
        let got = obj["status"]["phase"].as_str();
        if got != Some(want.as_str()) {
            out.push(format!("phase {}, want {want}", got.unwrap_or("unset")));
        }
    }
    if let Some(want) = exp.ready {
        let (got, why) = readiness(obj);
        if got != want {
            out.push(if want {
                format!("not ready ({why})")
            } else {
                format!("ready ({why}), want not ready")
            });
        }
    }
    if let Some(want) = &exp.owner {
        let got = controller_kind(obj);
        match (want, got) {
            (OwnerSpec::None, Some(k)) => out.push(format!("owned by a {k}, want no owner")),
            (OwnerSpec::Kind(w), None) => out.push(format!("no owner, want a {w}")),
            (OwnerSpec::Kind(w), Some(k)) if !k.eq_ignore_ascii_case(w) => {
                out.push(format!("owned by a {k}, want a {w}"))
            }
            _ => {}
        }
    }
    if let Some(want) = &exp.matches
        && let Some(diff) = subset_mismatch(want, obj, "")
    {
        out.push(format!("match: {diff}"));
    }
    for w in &exp.r#where {
        if let Some(why) = where_failure(w, obj) {
            out.push(why);
        }
    }
    out
}

/// `(ready, explanation)` the way `kubectl get` shows it: the Ready condition
/// for pods and nodes, ready replicas against desired for workloads.
pub fn readiness(obj: &Value) -> (bool, String) {
    let status = &obj["status"];
    if let Some(desired) = status["desiredNumberScheduled"].as_u64() {
        let ready = status["numberReady"].as_u64().unwrap_or(0);
        return (ready >= desired, format!("{ready}/{desired} ready"));
    }
    let spec_replicas = obj["spec"]["replicas"].as_u64();
    if spec_replicas.is_some() || status.get("replicas").is_some() {
        let desired = spec_replicas.unwrap_or(1);
        let ready = status["readyReplicas"].as_u64().unwrap_or(0);
        return (ready >= desired, format!("{ready}/{desired} ready"));
    }
    if let Some(conds) = status["conditions"].as_array() {
        for wanted in ["Ready", "Available"] {
            if let Some(c) = conds.iter().find(|c| c["type"] == wanted) {
                let ok = c["status"] == "True";
                let reason = c["reason"].as_str().unwrap_or("");
                let s = c["status"].as_str().unwrap_or("Unknown");
                return (
                    ok,
                    if reason.is_empty() {
                        format!("{wanted}={s}")
                    } else {
                        format!("{wanted}={s}: {reason}")
                    },
                );
            }
        }
    }
    (false, "reports no readiness".into())
}

/// The Kind of the object's controller owner, if it has one.
pub fn controller_kind(obj: &Value) -> Option<&str> {
    obj["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)
        .and_then(|r| r["kind"].as_str())
}

/// `None` when `want` is contained in `got` (maps as subsets, lists element
/// by element, scalars equal); otherwise where it differs.
fn subset_mismatch(want: &Value, got: &Value, path: &str) -> Option<String> {
    let here = if path.is_empty() { "." } else { path };
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => w.iter().find_map(|(k, wv)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            match g.get(k) {
                None => Some(format!("{p} missing")),
                Some(gv) => subset_mismatch(wv, gv, &p),
            }
        }),
        (Value::Array(w), Value::Array(g)) => {
            if w.len() != g.len() {
                return Some(format!("{here} has {} items, want {}", g.len(), w.len()));
            }
            w.iter()
                .zip(g)
                .enumerate()
                .find_map(|(i, (wv, gv))| subset_mismatch(wv, gv, &format!("{path}[{i}]")))
        }
        (w, g) if scalar_eq(w, g) => None,
        (w, g) => Some(format!("{here} is {g}, want {w}")),
    }
}

fn scalar_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

fn lookup<'a>(obj: &'a Value, path: &[PathSeg]) -> Option<&'a Value> {
    path.iter().try_fold(obj, |v, seg| match seg {
        PathSeg::Key(k) => v.get(k.as_str()),
        PathSeg::Index(i) => v.get(*i),
    })
}

fn where_failure(w: &WhereTest, obj: &Value) -> Option<String> {
    let got = lookup(obj, &w.path).filter(|v| !v.is_null());
    let path = path_text(&w.path);
    match (&w.test, got) {
        (WhereOp::Exists, Some(_)) | (WhereOp::Absent, None) => None,
        (WhereOp::Exists, None) => Some(format!("{path} absent, want it present")),
        (WhereOp::Absent, Some(v)) => Some(format!("{path} is {v}, want it absent")),
        (WhereOp::Compare(op, want), None) => {
            // A missing field is "not equal" to anything.
            if *op == CmpOp::Ne {
                None
            } else {
                Some(format!("{path} absent, want {op} {want}"))
            }
        }
        (WhereOp::Compare(op, want), Some(got)) => {
            let ok = match (got.as_f64(), want.as_f64()) {
                (Some(g), Some(wn)) => g.partial_cmp(&wn).is_some_and(|o| op.compare(o)),
                _ => match op {
                    CmpOp::Eq => got == want || stringly_eq(got, want),
                    CmpOp::Ne => !(got == want || stringly_eq(got, want)),
                    _ => match (got.as_str(), want.as_str()) {
                        (Some(g), Some(wn)) => op.compare(g.cmp(wn)),
                        _ => false,
                    },
                },
            };
            if ok {
                None
            } else {
                Some(format!("{path} is {got}, want {op} {want}"))
            }
        }
    }
}

/// `where: status.replicas == "3"` and quantities written as strings compare
/// by their text.
fn stringly_eq(a: &Value, b: &Value) -> bool {
    let s = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    s(a) == s(b)
}

fn path_text(path: &[PathSeg]) -> String {
    let mut s = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) if k.contains(['.', '/']) => s.push_str(&format!("[\"{k}\"]")),
            PathSeg::Key(k) => {
                if !s.is_empty() {
                    s.push('.');
                }
                s.push_str(k);
            }
            PathSeg::Index(i) => s.push_str(&format!("[{i}]")),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::spec;
    use crate::exercise::CheckSource;
    use serde_json::json;

    fn exp(yaml: &str) -> Expectation {
        let c = spec::parse(&CheckSource {
            yaml: yaml.into(),
            file: "t.md".into(),
            line: 1,
        })
        .unwrap();
        c.expect.into_iter().next().unwrap()
    }

    fn pod(name: &str, active: &str, phase: &str, owner: Option<&str>, ready: bool) -> Value {
        let mut p = json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": "default",
                         "labels": {"app": "labeldemo", "isactive": active}},
            "spec": {"containers": [{"name": "c", "image": "alpine"}]},
            "status": {"phase": phase, "conditions": [
                {"type": "Ready", "status": if ready {"True"} else {"False"}}
            ]}
        });
        if let Some(k) = owner {
            p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": k, "name": "labeldemo-5d4", "uid": "u", "controller": true}]);
        }
        p
    }

    #[test]
    fn phase_owner_and_count() {
        let e = exp(
            "- kind: pods\n  selector: isactive=no\n  count: 1\n  phase: Running\n  owner: none\n",
        );
        let objs = [
            pod("labeldemo-a", "no", "Running", None, true),
            pod("labeldemo-b", "yes", "Running", Some("ReplicaSet"), true),
        ];
        let o = evaluate(&e, &objs);
        assert!(o.holds);
        assert_eq!(o.objects.len(), 1, "selector applied locally");

        let objs = [pod(
            "labeldemo-a",
            "no",
            "Pending",
            Some("ReplicaSet"),
            false,
        )];
        let o = evaluate(&e, &objs);
        assert!(!o.holds);
        assert_eq!(
            o.objects[0].failed,
            vec![
                "phase Pending, want Running",
                "owned by a ReplicaSet, want no owner"
            ]
        );
        assert!(!evaluate(&e, &[]).holds);
    }

    #[test]
    fn count_zero_means_gone_and_default_is_at_least_one() {
        let gone = exp("- kind: pods\n  name: labeldemo-*\n  count: 0\n");
        assert!(gone.count.holds(0));
        assert!(evaluate(&gone, &[]).holds);
        assert!(!evaluate(&gone, &[pod("labeldemo-a", "no", "Running", None, true)]).holds);
        assert!(evaluate(&gone, &[pod("other", "no", "Running", None, true)]).holds);
        let any = exp("- kind: pods\n");
        assert!(!evaluate(&any, &[]).holds);
        let le = exp("- kind: pods\n  count: \"<=1\"\n");
        let two = [
            pod("a", "no", "Running", None, true),
            pod("b", "no", "Running", None, true),
        ];
        assert!(!evaluate(&le, &two).holds);
    }

    #[test]
    fn ready_for_pods_and_workloads() {
        let e = exp("- kind: pods\n  ready: true\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, false)]);
        assert_eq!(o.objects[0].failed, vec!["not ready (Ready=False)"]);
        let ds = json!({"metadata": {"name": "rng"}, "status": {"desiredNumberScheduled": 3, "numberReady": 2}});
        assert_eq!(readiness(&ds), (false, "2/3 ready".to_string()));
        let dep = json!({"metadata": {"name": "w"}, "spec": {"replicas": 2}, "status": {"replicas": 2, "readyReplicas": 2}});
        assert!(readiness(&dep).0);
        let scaled0 = json!({"metadata": {"name": "w"}, "spec": {"replicas": 0}, "status": {}});
        assert!(readiness(&scaled0).0);
        let cm = json!({"metadata": {"name": "c"}, "data": {}});
        assert!(!readiness(&cm).0);
    }

    #[test]
    fn match_is_a_recursive_subset() {
        let e = exp(
            "- kind: pods\n  match:\n    metadata:\n      labels:\n        app: labeldemo\n    spec:\n      containers:\n        - image: alpine\n",
        );
        assert!(evaluate(&e, &[pod("a", "yes", "Running", None, true)]).holds);
        let e =
            exp("- kind: pods\n  match:\n    spec:\n      containers:\n        - image: nginx\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, true)]);
        assert_eq!(
            o.objects[0].failed,
            vec!["match: spec.containers[0].image is \"alpine\", want \"nginx\""]
        );
        let e = exp("- kind: pods\n  match:\n    spec:\n      nodeName: n1\n");
        let o = evaluate(&e, &[pod("a", "yes", "Running", None, true)]);
        assert_eq!(o.objects[0].failed, vec!["match: spec.nodeName missing"]);
    }

    #[test]
    fn where_tests() {
        let d = json!({"metadata": {"name": "rng", "labels": {"app.kubernetes.io/name": "rng"}},
                       "spec": {"replicas": 3}, "status": {"readyReplicas": 2}});
        let check = |w: &str| {
            let e = exp(&format!("- kind: deploy\n  where:\n    - '{w}'\n"));
            evaluate(&e, std::slice::from_ref(&d)).objects[0]
                .failed
                .clone()
        };
        assert!(check("spec.replicas == 3").is_empty());
        assert!(check("spec.replicas >= 3").is_empty());
        assert_eq!(
            check("status.readyReplicas >= 3"),
            vec!["status.readyReplicas is 2, want >= 3"]
        );
        assert!(check("status.unavailableReplicas absent").is_empty());
        assert!(check("metadata.labels[\"app.kubernetes.io/name\"] == rng").is_empty());
        assert_eq!(
            check("metadata.deletionTimestamp exists"),
            vec!["metadata.deletionTimestamp absent, want it present"]
        );
        assert!(check("status.phase != Failed").is_empty());
        assert_eq!(
            check("status.phase == Running"),
            vec!["status.phase absent, want == \"Running\""]
        );
    }
}
