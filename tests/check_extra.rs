//! `expr`, `queries`, `log`, `http`, `event`, `replaced` and `can-i`
//! (docs/checking.md, "Expressions and observations") through the engine and
//! a real `kube::Client` against the fake API server: for each, a state
//! that passes and one that fails with the message a student reads.

mod support;

use std::time::Duration;

use labdeck::check::engine::{self, ExerciseResult, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use serde_json::{Value, json};
use support::apiserver::FakeApiServer;
use support::fixtures::{
    daemonset, deployment, node, orphan, pod, replicaset, service, statefulset,
};

fn plan(yaml: &str) -> Plan {
    let src = CheckSource {
        yaml: yaml.to_string(),
        file: "k8s/x.md".into(),
        line: 10,
    };
    Plan {
        id: "x".into(),
        file: src.file.clone(),
        line: 9,
        title: "x".into(),
        check: spec::parse(&src).unwrap_or_else(|e| panic!("{e}")),
    }
}

async fn check(fake: &FakeApiServer, yaml: &str) -> ExerciseResult {
    check_since(fake, yaml, None).await
}

async fn check_since(
    fake: &FakeApiServer,
    yaml: &str,
    since: Option<std::time::SystemTime>,
) -> ExerciseResult {
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml("t", "default")).unwrap();
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let src = KubeSource::from_kubeconfig(kc, &opts).await.unwrap();
    let opts = Options {
        timeout: Some(Duration::ZERO),
        since,
        ..Default::default()
    };
    let mut r = engine::run(&src, &[plan(yaml)], &opts, &|_| {}).await;
    for req in fake.requests() {
        assert!(
            req.starts_with("GET "),
            "a non-read request was sent: {req}"
        );
    }
    r.remove(0)
}

fn passes(r: &ExerciseResult) {
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

fn fails_with(r: &ExerciseResult, text: &str) {
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    let all = format!(
        "{} | {}",
        r.message,
        r.expectations
            .iter()
            .flat_map(|e| e.objects.iter().flat_map(|o| o.failed.clone()))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    assert!(all.contains(text), "want {text:?} in: {all}");
}

fn rolled_out(mut d: Value, replicas: u64, updated: u64) -> Value {
    d["spec"]["replicas"] = json!(replicas);
    d["status"]["replicas"] = json!(replicas);
    d["status"]["readyReplicas"] = json!(replicas);
    d["status"]["updatedReplicas"] = json!(updated);
    d["spec"]["template"]["spec"]["containers"][0]["image"] =
        json!("registry.example.com/alpine:3.20");
    d
}

const ROLLOUT: &str = "expect:
  - kind: deploy
    name: labeldemo
    expr:
      - self.status.?updatedReplicas.orValue(0) == self.spec.replicas
      - self.spec.template.spec.containers.exists(c, c.image.startsWith('registry.example.com/'))
";

#[tokio::test]
async fn expr_on_self() {
    let fake = FakeApiServer::start().await;
    fake.apply(rolled_out(deployment("labeldemo"), 3, 3));
    passes(&check(&fake, ROLLOUT).await);

    let fake = FakeApiServer::start().await;
    fake.apply(rolled_out(deployment("labeldemo"), 3, 1));
    fails_with(
        &check(&fake, ROLLOUT).await,
        "expr self.status.?updatedReplicas.orValue(0) == self.spec.replicas is false",
    );
    // A missing field is named, with the way to read it.
    let fake = FakeApiServer::start().await;
    fake.apply(deployment("labeldemo"));
    let r = check(
        &fake,
        "- kind: deploy\n  expr: self.status.unavailableReplicas == 0\n",
    )
    .await;
    // A missing field is the check's error (it needed has()), named with
    // the way to read it.
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message
            .contains("no such key: unavailableReplicas (the object has no `unavailableReplicas`: test it with has()"),
        "{}",
        r.message
    );
}

const ONE_PER_NODE: &str = "queries:
  nodes: {kind: nodes}
  rng: {kind: pods, selector: app=rng, phase: Running}
expr: size(rng) == size(nodes) && nodes.all(n, rng.exists(p, p.spec.nodeName == n.metadata.name))
";

fn rng_pod(name: &str, node: &str) -> Value {
    let mut p = pod(name);
    p["metadata"]["labels"] = json!({"app": "rng"});
    p["spec"]["nodeName"] = json!(node);
    p
}

#[tokio::test]
async fn queries_and_a_check_level_expr() {
    let fake = FakeApiServer::start().await;
    fake.apply(node("node1"));
    fake.apply(node("node2"));
    fake.apply(rng_pod("rng-a", "node1"));
    fake.apply(rng_pod("rng-b", "node2"));
    passes(&check(&fake, ONE_PER_NODE).await);

    let fake = FakeApiServer::start().await;
    fake.apply(node("node1"));
    fake.apply(node("node2"));
    fake.apply(rng_pod("rng-a", "node1"));
    fake.apply(rng_pod("rng-b", "node1"));
    fails_with(
        &check(&fake, ONE_PER_NODE).await,
        "expr size(rng) == size(nodes) && nodes.all(n, rng.exists(p, p.spec.nodeName == n.metadata.name)) is false",
    );
    let _ = daemonset("rng");
}

const WORKER_LOG: &str = "- kind: pods
  name: worker-*
  log: {contains: units of work done, tail: 10}
";

#[tokio::test]
async fn pod_log() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("worker-1"));
    fake.set_log(
        "default",
        "worker-1",
        None,
        "starting\n10 units of work done, 0 units of work done per second\n",
    );
    passes(&check(&fake, WORKER_LOG).await);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.contains("/pods/worker-1/log") && r.contains("tailLines=10")),
        "{:?}",
        fake.requests()
    );

    let fake = FakeApiServer::start().await;
    fake.apply(pod("worker-1"));
    fake.set_log(
        "default",
        "worker-1",
        None,
        "starting\nredis: connection refused\n",
    );
    fails_with(
        &check(&fake, WORKER_LOG).await,
        "log has no \"units of work done\" (last line: \"redis: connection refused\")",
    );
}

/// Regression (issue 20): CEL had no cost limit and `--timeout` did not
/// stop evaluation (a nested `lists.range` ran 30 s past a 3 s timeout); an
/// expression too costly on the objects read is refused before it runs:
/// the check's `error`, naming the expression and its line.
#[tokio::test]
async fn regression_costly_expression_is_an_error_at_once() {
    let fake = FakeApiServer::start().await;
    for i in 0..40 {
        fake.apply(pod(&format!("web-{i}")));
    }
    let t0 = std::time::Instant::now();
    let r = check(
        &fake,
        "queries:\n  pods: {kind: pods}\nexpr: pods.all(p, lists.range(100000).all(i, i >= 0))\n",
    )
    .await;
    assert!(t0.elapsed() < Duration::from_secs(3), "{:?}", t0.elapsed());
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message.starts_with(
            "line 12: expr pods.all(p, lists.range(100000).all(i, i >= 0)): too costly: up to "
        ),
        "{}",
        r.message
    );
    assert!(
        r.message.ends_with("steps on these objects, over the limit of 1000000 per evaluation (Kubernetes' per-expression limit)"),
        "{}",
        r.message
    );
}

/// Regression (issue 20): a brace glob (`name: "{a,b}"`) never matched:
/// names are globs in globset's dialect, braces included.
#[tokio::test]
async fn regression_brace_glob_names_match() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("web-a"));
    fake.apply(pod("web-b"));
    fake.apply(pod("api"));
    let r = check(&fake, "- kind: pods\n  name: \"{web-a,api}\"\n  count: 2\n").await;
    passes(&r);
    let names: Vec<&str> = r.expectations[0]
        .objects
        .iter()
        .map(|o| o.name.as_str())
        .collect();
    assert_eq!(names, ["api", "web-a"]);
}

/// Regression (issue 20): a grader without `get pods/log` or
/// `get services/proxy` failed the student; it is the check's `error`, as a
/// list the grader may not read is, naming the verb and resource it lacks
/// in the API server's words.
#[tokio::test]
async fn regression_forbidden_log_or_proxy_is_an_error() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("worker-1"));
    fake.forbid("pods/log");
    let r = check(&fake, WORKER_LOG).await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message.starts_with("line 10: log: ")
            && r.message.contains(": Error from server (Forbidden): "),
        "{}",
        r.message
    );
    assert!(
        r.message.contains(
            "pods \"worker-1\" is forbidden: User \"system:serviceaccount:default:student\" cannot get resource \"pods/log\" in API group \"\" in the namespace \"default\"; the grader's role needs `get` on `pods/log` (deploy/grader-rbac.yaml grants it)"
        ),
        "{}",
        r.message
    );

    let fake = FakeApiServer::start().await;
    fake.apply(service("web"));
    fake.forbid("services/proxy");
    let r = check(&fake, CHEDDAR).await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message.contains(
            "services \"web:80\" is forbidden: User \"system:serviceaccount:default:student\" cannot get resource \"services/proxy\" in API group \"\" in the namespace \"default\"; the grader's role needs `get` on `services/proxy`"
        ),
        "{}",
        r.message
    );
}

/// Regression (issue 20): an expression that cannot be evaluated (a field
/// read without `has()`, a function on the wrong type) failed the student;
/// it is the check's `error`, with the expression and its line.
#[tokio::test]
async fn regression_cel_runtime_error_is_the_checks_error() {
    let mut d = deployment("web");
    d["status"]
        .as_object_mut()
        .map(|s| s.remove("readyReplicas"));
    let fake = FakeApiServer::start().await;
    fake.apply(d);
    let r = check(
        &fake,
        "- kind: deploy\n  name: web\n  expr: self.status.readyReplicas == 1\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert_eq!(
        r.message,
        "line 12: expr self.status.readyReplicas == 1: no such key: readyReplicas (the object has no `readyReplicas`: test it with has(), or read it with `.?readyReplicas.orValue(default)`) (on default/web)"
    );
    // A wrong type.
    let r = check(
        &fake,
        "- kind: deploy\n  name: web\n  expr: self.spec.replicas.startsWith('1')\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message
            .starts_with("line 12: expr self.spec.replicas.startsWith('1'): "),
        "{}",
        r.message
    );
    // Check-level, over a query.
    let r = check(
        &fake,
        "queries:\n  deps: {kind: deploy}\nexpr: deps.all(d, d.status.readyReplicas > 0)\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message.starts_with(
            "line 12: expr deps.all(d, d.status.readyReplicas > 0): no such key: readyReplicas"
        ),
        "{}",
        r.message
    );
    // Written with has(), the same state is the student's fail.
    fails_with(
        &check(
            &fake,
            "- kind: deploy\n  name: web\n  expr: has(self.status.readyReplicas)\n",
        )
        .await,
        "expr has(self.status.readyReplicas) is false",
    );
    // An object that cannot be evaluated does not matter when the count
    // holds whatever it would give.
    fake.apply(deployment("api"));
    passes(
        &check(
            &fake,
            "- kind: deploy\n  count: '>=1'\n  expr: self.status.readyReplicas == 1\n",
        )
        .await,
    );
}

const CHEDDAR: &str = "- kind: svc
  name: web
  http: {port: 80, path: /, contains: cheddar}
";

#[tokio::test]
async fn service_proxy() {
    let fake = FakeApiServer::start().await;
    fake.apply(service("web"));
    fake.set_page("default", "web", "80", "/", 200, "<h1>cheddar</h1>");
    passes(&check(&fake, CHEDDAR).await);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.starts_with("GET /api/v1/namespaces/default/services/web:80/proxy/"))
    );

    let fake = FakeApiServer::start().await;
    fake.apply(service("web"));
    fake.set_page("default", "web", "80", "/", 200, "<h1>brie</h1>");
    fails_with(&check(&fake, CHEDDAR).await, "the page has no \"cheddar\"");

    // The application's own error status.
    let fake = FakeApiServer::start().await;
    fake.apply(service("web"));
    fake.set_page("default", "web", "80", "/", 500, "Internal Server Error");
    fails_with(
        &check(&fake, CHEDDAR).await,
        "GET web:80/ answered 500, want 200",
    );
}

fn event(name: &str, about: &Value, reason: &str, message: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": name, "namespace": "default"},
        "involvedObject": {"kind": "Pod", "namespace": "default",
            "name": about["metadata"]["name"], "uid": about["metadata"]["uid"]},
        "reason": reason, "message": message, "type": "Warning", "count": 1})
}

const UNSCHEDULABLE: &str = "- kind: pods
  name: huge
  event: {reason: FailedScheduling, message: Insufficient memory}
";

#[tokio::test]
async fn events_of_an_object() {
    let mut huge = pod("huge");
    huge["metadata"]["uid"] = json!("uid-huge");
    let fake = FakeApiServer::start().await;
    fake.apply(huge.clone());
    fake.apply(event(
        "huge.1",
        &huge,
        "FailedScheduling",
        "0/2 nodes are available: 2 Insufficient memory.",
    ));
    passes(&check(&fake, UNSCHEDULABLE).await);

    let fake = FakeApiServer::start().await;
    fake.apply(huge.clone());
    fake.apply(event(
        "huge.1",
        &huge,
        "Pulled",
        "Successfully pulled image",
    ));
    fails_with(
        &check(&fake, UNSCHEDULABLE).await,
        "no event FailedScheduling (events: Pulled)",
    );
}

const REPLACED: &str = "- kind: pods
  name: web
  replaced: true
";

fn created(mut obj: Value, at: &str) -> Value {
    obj["metadata"]["creationTimestamp"] = json!(at);
    obj
}

fn annotated(mut obj: Value, key: &str, value: &str) -> Value {
    obj["metadata"]["annotations"][key] = json!(value);
    obj
}

/// `labdeck run` knows when the exercise's commands began: `replaced`
/// compares creation with it, whatever else the cluster shows.
#[tokio::test]
async fn replaced_with_a_known_start_compares_creation_with_it() {
    let fake = FakeApiServer::start().await;
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    // The pod made by the commands (2026-11-24T06:12:31Z in the fixture).
    fake.apply(pod("web"));
    let before_commands = std::time::UNIX_EPOCH + Duration::from_secs(1_795_500_000);
    passes(&check_since(&fake, REPLACED, Some(before_commands)).await);
    // Commands that began after it: the pod is older than the exercise.
    let after = std::time::UNIX_EPOCH + Duration::from_secs(1_795_999_999);
    let r = check_since(&fake, REPLACED, Some(after)).await;
    fails_with(
        &r,
        "created 2026-11-24T06:12:31Z, before the exercise started (2026-11-30T00:53:19Z): not replaced",
    );
    // Even one a restart stamped: it predates the exercise.
    fake.apply(annotated(
        pod("web"),
        "kubectl.kubernetes.io/restartedAt",
        "2026-11-24T07:12:30+01:00",
    ));
    fails_with(
        &check_since(&fake, REPLACED, Some(after)).await,
        "before the exercise started",
    );
}

/// `check` and `grade` run after the fact, with no start: a pod its
/// ReplicaSet made well after it was created replaced one (deleted,
/// evicted or relabelled away); one of its first pods did not.
#[tokio::test]
async fn regression_replaced_holds_after_the_fact() {
    let fake = FakeApiServer::start().await;
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(created(pod("web"), "2026-11-24T06:30:01Z"));
    passes(&check(&fake, REPLACED).await);

    // One of the ReplicaSet's first pods (created with it; fixture).
    fake.apply(pod("web"));
    fails_with(
        &check(&fake, REPLACED).await,
        "created 2026-11-24T06:12:31Z, 0s after its ReplicaSet labeldemo-5b7c9d8f6d: one of the pods it made when it was created, not replaced",
    );
    // Still its first sync, 10 s on.
    fake.apply(created(pod("web"), "2026-11-24T06:12:41Z"));
    fails_with(&check(&fake, REPLACED).await, "10s after its ReplicaSet");

    // `kubectl rollout restart`: the pod carries the template's stamp.
    fake.apply(annotated(
        pod("web"),
        "kubectl.kubernetes.io/restartedAt",
        "2026-11-24T07:40:00+01:00",
    ));
    passes(&check(&fake, REPLACED).await);

    // A new image: the pod of the Deployment's second ReplicaSet, made with it.
    fake.apply(annotated(
        replicaset("labeldemo-5b7c9d8f6d"),
        "deployment.kubernetes.io/revision",
        "2",
    ));
    fake.apply(pod("web"));
    passes(&check(&fake, REPLACED).await);
    // And that ReplicaSet itself.
    let rs = "- kind: replicasets\n  name: labeldemo-5b7c9d8f6d\n  replaced: true\n";
    passes(&check(&fake, rs).await);
}

/// A StatefulSet recreates a deleted pod under the same name: it is newer
/// than the StatefulSet by more than its first sync.
#[tokio::test]
async fn replaced_after_the_fact_statefulset_pod() {
    let fake = FakeApiServer::start().await;
    let sts = statefulset("web");
    let uid = sts["metadata"]["uid"].clone();
    let born = sts["metadata"]["creationTimestamp"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    fake.apply(sts);
    let mut p = pod("web-0");
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": "StatefulSet",
        "name": "web", "uid": uid, "controller": true, "blockOwnerDeletion": true}]);
    fake.apply(created(p.clone(), &born));
    let yaml = "- kind: pods\n  name: web-0\n  replaced: true\n";
    fails_with(&check(&fake, yaml).await, "0s after its StatefulSet web");
    fake.apply(created(p, "2026-12-01T09:00:00Z"));
    passes(&check(&fake, yaml).await);
}

/// After the fact, an object without a controller (a bare pod deleted and
/// created again) shows nothing of what it replaced: the check's `error`,
/// saying why, not the student's `fail`.
#[tokio::test]
async fn replaced_after_the_fact_without_a_controller_is_unknown() {
    let fake = FakeApiServer::start().await;
    fake.apply(orphan(pod("web")));
    let r = check(&fake, REPLACED).await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert_eq!(
        r.message,
        "line 10: replaced: no start known (`labdeck run` knows when an exercise starts), and an object without a controller shows nothing of what it replaced (on default/web)"
    );
    // `run` knows: the same pod made after the exercise began passes.
    let before = std::time::UNIX_EPOCH + Duration::from_secs(1_795_500_000);
    passes(&check_since(&fake, REPLACED, Some(before)).await);
    // A controller not read (a Job's pod): also unknown.
    let mut p = pod("web");
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "batch/v1", "kind": "Job",
        "name": "once", "uid": "5e1f", "controller": true}]);
    fake.apply(p);
    let r = check(&fake, REPLACED).await;
    assert_eq!(r.verdict, Verdict::Error, "{r:#?}");
    assert!(
        r.message.contains("its controller Job once was not read"),
        "{}",
        r.message
    );
}

fn rbac(fake: &FakeApiServer, verbs: &[&str]) {
    fake.apply(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
        "metadata": {"name": "pod-reader", "namespace": "default"},
        "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": verbs}]}),
    );
    fake.apply(
        json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "read-pods", "namespace": "default"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "pod-reader"},
        "subjects": [{"kind": "ServiceAccount", "name": "default", "namespace": "default"}]}),
    );
    fake.apply(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "view"},
        "rules": [{"apiGroups": ["apps"], "resources": ["deployments"], "verbs": ["get", "list"]}]}));
}

const CAN_I: &str = "can-i:
  - {as: 'system:serviceaccount:default:default', verb: list, resource: pods, allowed: true}
  - {as: 'system:serviceaccount:default:default', verb: create, resource: pods, allowed: false}
";

#[tokio::test]
async fn can_i_from_rbac_objects() {
    let fake = FakeApiServer::start().await;
    rbac(&fake, &["get", "list", "watch"]);
    let r = check(&fake, CAN_I).await;
    passes(&r);
    assert!(
        r.expectations[0]
            .conditions
            .contains("RoleBinding default/read-pods to Role pod-reader"),
        "{r:#?}"
    );

    let fake = FakeApiServer::start().await;
    rbac(&fake, &["*"]);
    fails_with(
        &check(&fake, CAN_I).await,
        "kubectl auth can-i create pods --as system:serviceaccount:default:default -n default: answers yes (RoleBinding default/read-pods to Role pod-reader), want no",
    );
}

/// Regression (issue 20): `can-i` disagreed with `kubectl auth can-i`, which
/// sends the context's namespace even for a cluster-scoped resource (so a
/// RoleBinding to a ClusterRole granting `nodes` answers yes), and whose
/// `--as-group` replaces a service account's own groups; the command shown
/// asks the same question (`--subresource`, `--as-group`).
#[tokio::test]
async fn regression_can_i_asks_what_kubectl_asks() {
    let fake = FakeApiServer::start().await;
    fake.apply(node("n1"));
    fake.apply(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
        "metadata": {"name": "node-reader"},
        "rules": [{"apiGroups": [""], "resources": ["nodes", "pods/log"], "verbs": ["get", "list"]}]}));
    fake.apply(json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
        "metadata": {"name": "nodes-here", "namespace": "default"},
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "node-reader"},
        "subjects": [{"kind": "Group", "name": "system:serviceaccounts:default"}]}));
    let r = check(
        &fake,
        "can-i:
  - {as: 'system:serviceaccount:default:robot', verb: list, resource: nodes, allowed: true}
  - {as: 'system:serviceaccount:default:robot', verb: list, resource: nodes, namespace: other, allowed: false}
  - {as: 'system:serviceaccount:default:robot', as-group: [dev], verb: list, resource: nodes, allowed: false}
  - {as: 'system:serviceaccount:default:robot', verb: get, resource: pods/log, name: web, allowed: true}
",
    )
    .await;
    passes(&r);
    let asked: Vec<&str> = r.expectations.iter().map(|e| e.query.as_str()).collect();
    assert_eq!(
        asked,
        [
            "auth can-i list nodes --as system:serviceaccount:default:robot -n default",
            "auth can-i list nodes --as system:serviceaccount:default:robot -n other",
            "auth can-i list nodes --as system:serviceaccount:default:robot --as-group dev -n default",
            "auth can-i get pods/web --subresource log --as system:serviceaccount:default:robot -n default",
        ]
    );
    assert_eq!(
        r.expectations[0].conditions,
        "answers yes (RoleBinding default/nodes-here to ClusterRole node-reader)"
    );
    let r = check(
        &fake,
        "can-i:\n  - {as: 'system:serviceaccount:default:robot', as-group: [dev], verb: list, resource: nodes, allowed: true}\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    assert!(
        r.message.starts_with("kubectl auth can-i list nodes --as system:serviceaccount:default:robot --as-group dev -n default: answers no (no RBAC rule allows it), want yes"),
        "{}",
        r.message
    );
}

#[test]
fn misuses_are_errors_at_their_line() {
    let cases = [
        (
            "- kind: pods\n  expr: self.status.phase == Running\n",
            11,
            "unknown variable `Running`",
        ),
        (
            "- kind: pods\n  expr:\n    - self.metadata.name != ''\n    - self.metadata.name.endswith('x')\n",
            13,
            "did you mean `endsWith`?",
        ),
        (
            "- kind: deploy\n  log: {contains: x}\n",
            11,
            "`log` reads pods' logs, not deploy",
        ),
        (
            "- kind: pods\n  http: {port: 80}\n",
            11,
            "`http` goes through a service, not pods",
        ),
        (
            "- kind: svc\n  http: {port: 80, scheme: ftp}\n",
            11,
            "scheme \"ftp\"",
        ),
        (
            "queries:\n  self: {kind: pods}\nexpr: size(self) > 0\n",
            11,
            "query name \"self\"",
        ),
        (
            "queries:\n  web: {kind: pods, count: 3}\nexpr: size(web) > 0\n",
            11,
            "query `web` has a `count`",
        ),
        (
            "expr: size(pods) == 1\n",
            10,
            "unknown variable `pods` (this expression sees: started)",
        ),
        (
            "can-i:\n  - {as: x, verb: list, resource: pods, allowed: maybe}\n",
            11,
            "",
        ),
        ("- kind: pods\n  event: {reasn: X}\n", 11, "reasn"),
        // Regression (issue 20): an item after a block scalar was placed
        // one line early; each is at its own line.
        (
            "- kind: pods\n  expr:\n    - >-\n      self.metadata.name != ''\n      && true\n    - |\n      self.metadata.name != ''\n    - self.metadata.name.endswith('x')\n",
            17,
            "did you mean `endsWith`?",
        ),
        (
            "expect:\n  - kind: pods\n    expr: >-\n      self.metadata.name != ''\n      && true\nexpr: size(nope) == 1\n",
            15,
            "unknown variable `nope`",
        ),
        (
            "- kind: pods\n  expr: \"self.metadata.name.matches('[a-')\"\n",
            11,
            "`matches`: \"[a-\" is not a regular expression",
        ),
    ];
    for (yaml, line, want) in cases {
        let e = spec::parse(&CheckSource {
            yaml: yaml.into(),
            file: "k8s/x.md".into(),
            line: 10,
        })
        .expect_err(yaml);
        assert_eq!(e.location().map(|l| l.line), Some(line), "{yaml}: {e}");
        assert!(e.to_string().contains(want), "{yaml}: {e}");
        assert!(e.to_string().starts_with("k8s/x.md:"), "{e}");
    }
}

/// A pod of the `rng` daemon set (or, with `owner: "ReplicaSet"`, of the
/// `rng` deployment) on `node`.
fn rng_pod_of(name: &str, node: &str, owner: &str) -> Value {
    let mut p = rng_pod(name, node);
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1", "kind": owner,
        "name": if owner == "DaemonSet" { "rng" } else { "rng-6b4d8f9c7" },
        "uid": format!("{owner}-uid"), "controller": true, "blockOwnerDeletion": true}]);
    p
}

/// The docs' example (docs/checks-expressions.md): one running pod of the
/// daemon set per node.
const DOCS_ONE_PER_NODE: &str = "queries:
  nodes:
    kind: nodes
    expr: >-
      !self.spec.?taints.orValue([]).exists(t, t.effect != 'PreferNoSchedule'
        && !t.key.startsWith('node.kubernetes.io/'))
  rng: {kind: pods, selector: app=rng, owner: DaemonSet, phase: Running}
expr: nodes.all(n, rng.exists(p, p.spec.nodeName == n.metadata.name))
";

/// Issue 20: queries honoured only kind, name, selector, fields and expr;
/// `owner` and `phase` were ignored, so the deployment's pod and a
/// crash-looping one counted.
#[tokio::test]
async fn regression_queries_honour_phase_ready_owner_match_and_where() {
    let fake = FakeApiServer::start().await;
    // The control plane: tainted, no daemon set pod there.
    let mut master = node("master");
    master["spec"]["taints"] =
        json!([{"key": "node-role.kubernetes.io/control-plane", "effect": "NoSchedule"}]);
    fake.apply(master);
    fake.apply(node("node1"));
    fake.apply(node("node2"));
    fake.apply(rng_pod_of("rng-a", "node1", "DaemonSet"));
    // node2: the deployment's pod, and the daemon set's crash-looping one.
    fake.apply(rng_pod_of("rng-6b4d8f9c7-k2mzx", "node2", "ReplicaSet"));
    let mut crashing = support::fixtures::crashloop_pod("rng-b");
    crashing["metadata"]["labels"] = json!({"app": "rng"});
    crashing["spec"]["nodeName"] = json!("node2");
    crashing["metadata"]["ownerReferences"] =
        rng_pod_of("x", "node2", "DaemonSet")["metadata"]["ownerReferences"].clone();
    fake.apply(crashing);
    fails_with(
        &check(&fake, DOCS_ONE_PER_NODE).await,
        "expr nodes.all(n, rng.exists(p, p.spec.nodeName == n.metadata.name)) is false",
    );
    // Each key filters the list as it filters an expectation's objects.
    for (query, want) in [
        ("{kind: pods, selector: app=rng}", 3),
        ("{kind: pods, selector: app=rng, owner: DaemonSet}", 2),
        ("{kind: pods, selector: app=rng, owner: ReplicaSet}", 1),
        ("{kind: pods, selector: app=rng, phase: Running}", 2),
        (
            "{kind: pods, selector: app=rng, phase: CrashLoopBackOff}",
            1,
        ),
        ("{kind: pods, selector: app=rng, ready: true}", 2),
        (
            "{kind: pods, selector: app=rng, match: {spec: {nodeName: node2}}}",
            2,
        ),
        (
            "{kind: pods, selector: app=rng, where: [spec.nodeName == node1]}",
            1,
        ),
    ] {
        let yaml = format!("queries:\n  q: {query}\nexpr: size(q) == {want}\n");
        let r = check(&fake, &yaml).await;
        assert_eq!(r.verdict, Verdict::Pass, "{query}: {r:#?}");
    }
    // Once the daemon set's pod on node2 runs, the example holds.
    fake.apply(rng_pod_of("rng-b", "node2", "DaemonSet"));
    passes(&check(&fake, DOCS_ONE_PER_NODE).await);

    // Keys a query cannot honour are refused, not ignored.
    for (kind, key) in [
        ("pods", "log: {contains: x}"),
        ("svc", "http: {port: 80}"),
        ("pods", "event: {reason: BackOff}"),
    ] {
        let yaml = format!("queries:\n  q: {{kind: {kind}, {key}}}\nexpr: size(q) > 0\n");
        let err = spec::parse(&CheckSource {
            yaml,
            file: "k8s/x.md".into(),
            line: 10,
        })
        .expect_err(key);
        let name = key.split(':').next().unwrap_or("");
        assert!(
            err.to_string().contains(&format!(
                "k8s/x.md:11: check: query `q` has `{name}`: a query only names a list"
            )),
            "{err}"
        );
    }
}
