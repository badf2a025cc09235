//! No false pass, no false fail, on objects as the real API server stores
//! them: a pod that flaps under a failing liveness probe, a custom
//! resource whose `Ready` condition is older than its spec, quantities in
//! canonical form and label values as strings, a field selector 1.20
//! refuses, a grader without `pods/log`, `replaced: true` after a
//! `kubectl rollout restart`.

use std::time::Duration;

use crate::cluster::{Ns, Realkube};
use crate::verdicts::{check, check_as, one_exercise, student_kubeconfig, verdict};

pub fn crash_looping_pod(rk: &Realkube) {
    let ns = Ns::new(rk, "flap");
    // The only way to restart a container on hollow nodes: a liveness probe
    // nothing answers. The kubelet restarts it, backs off (CrashLoopBackOff),
    // starts it again: `kubectl get pods` flips between Running and
    // CrashLoopBackOff while RESTARTS climbs.
    ns.apply(
        "apiVersion: v1
kind: Pod
metadata: {name: flap, labels: {app: flap}}
spec:
  containers:
  - name: c
    image: nginx:1.19
    livenessProbe: {httpGet: {port: 8080, path: /}, periodSeconds: 1, failureThreshold: 1}
",
    );
    ns.until(Duration::from_secs(120), "two restarts", || {
        ns.kubectl(&[
            "get",
            "pod",
            "flap",
            "-o",
            "jsonpath={.status.containerStatuses[0].restartCount}",
        ])
        .trim()
        .parse::<u32>()
        .unwrap_or(0)
            >= 2
    });
    let deck = ns.deck(
        "flap.md",
        &one_exercise(
            "flap-running",
            "expect:\n  - kind: pods\n    name: flap\n    phase: Running\n    ready: true\n",
        ),
    );
    // Whatever moment it is in, a pod that keeps restarting is not running
    // in the sense an exercise means: it fails, saying why.
    let out = check(&ns, &deck, "20s");
    let (v, text) = verdict(&out, "flap-running");
    assert_eq!(v, "fail", "{text}");
    // Whichever moment the wait ended in: a container just restarted, or
    // kubectl's CrashLoopBackOff.
    assert!(
        text.contains("restarted") || text.contains("CrashLoopBackOff"),
        "the failure names the crash loop: {text}"
    );
}

const WIDGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.labdeck.test}
spec:
  group: labdeck.test
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

pub fn stale_ready_condition(rk: &Realkube) {
    let ns = Ns::new(rk, "stale");
    rk.kubectl_in(&rk.admin, &["apply", "-f", "-"], Some(WIDGET_CRD));
    rk.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/widgets.labdeck.test",
        "--timeout=60s",
    ]);
    // Without a status subresource every change but metadata's bumps
    // metadata.generation (apiextensions-apiserver, customresource
    // strategy.go PrepareForUpdate): a spec change leaves the Ready
    // condition of generation 1 behind generation 2.
    ns.apply(
        "apiVersion: labdeck.test/v1
kind: Widget
metadata: {name: w}
spec: {size: 1}
status:
  observedGeneration: 1
  conditions: [{type: Ready, status: 'True', observedGeneration: 1, reason: Done, message: ok}]
",
    );
    let deck = ns.deck(
        "w.md",
        &one_exercise(
            "w-ready",
            "expect:\n  - kind: widgets\n    name: w\n    ready: true\n",
        ),
    );
    let out = check(&ns, &deck, "0");
    assert_eq!(verdict(&out, "w-ready").0, "pass", "{}", out.all());
    ns.kubectl(&[
        "patch",
        "widget",
        "w",
        "--type=merge",
        "-p",
        r#"{"spec":{"size":2}}"#,
    ]);
    let generation = ns.kubectl(&[
        "get",
        "widget",
        "w",
        "-o",
        "jsonpath={.metadata.generation}",
    ]);
    assert_eq!(generation.trim(), "2");
    // Current kubectl's `wait --for=condition=Ready` ignores a condition
    // whose observedGeneration is behind (pkg/cmd/wait/condition.go,
    // getObservedGeneration); kubectl 1.20, the cluster's own, predates it.
    let out = check(&ns, &deck, "0");
    let (v, text) = verdict(&out, "w-ready");
    assert_eq!(v, "fail", "{text}");
    assert!(text.contains("generation"), "{text}");
}

pub fn quantities_and_label_strings(rk: &Realkube) {
    let ns = Ns::new(rk, "qty");
    // As a slide writes it: numbers where the server keeps strings.
    ns.apply(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: sized, labels: {tier: '1'}}
spec:
  replicas: 1
  selector: {matchLabels: {app: sized}}
  template:
    metadata: {labels: {app: sized}}
    spec:
      containers:
      - name: c
        image: nginx:1.19
        resources: {requests: {cpu: 0.25, memory: 1024Mi}, limits: {cpu: 1}}
",
    );
    let stored = ns.kubectl(&[
        "get",
        "deploy",
        "sized",
        "-o",
        "jsonpath={.spec.template.spec.containers[0].resources}",
    ]);
    assert!(
        stored.contains(r#""cpu":"250m""#) && stored.contains(r#""memory":"1Gi""#),
        "{stored}"
    );
    let deck = ns.deck(
        "q.md",
        &one_exercise(
            "sized",
            "expect:
  - kind: deploy
    name: sized
    match:
      metadata: {labels: {tier: 1}}
      spec: {template: {spec: {containers: [{resources: {requests: {cpu: 0.25, memory: 1024Mi}, limits: {cpu: 1}}}]}}}
    where:
      - spec.template.spec.containers[0].resources.requests.cpu == 0.25
      - spec.template.spec.containers[0].resources.requests.memory == 1024Mi
      - metadata.labels.tier == 1
",
        ),
    );
    let out = check(&ns, &deck, "0");
    assert_eq!(verdict(&out, "sized").0, "pass", "{}", out.all());
}

pub fn field_selector_the_server_refuses(rk: &Realkube) {
    let ns = Ns::new(rk, "fields");
    ns.kubectl(&["create", "service", "nodeport", "np", "--tcp=80:80"]);
    ns.kubectl(&["create", "service", "clusterip", "cip", "--tcp=80:80"]);
    let kubectl = ns.kubectl_raw(&["get", "services", "--field-selector", "spec.type=NodePort"]);
    let kubectl_says = String::from_utf8_lossy(&kubectl.stderr);
    assert!(
        !kubectl.status.success() && kubectl_says.contains("field selector"),
        "{kubectl_says}"
    );
    let deck = ns.deck(
        "svc.md",
        &one_exercise(
            "nodeport",
            "expect:\n  - kind: services\n    fields: spec.type=NodePort\n    count: 1\n",
        ),
    );
    let out = check(&ns, &deck, "0");
    assert_eq!(verdict(&out, "nodeport").0, "pass", "{}", out.all());
}

pub fn missing_log_permission(rk: &Realkube) {
    let ns = Ns::new(rk, "logs");
    let kc = student_kubeconfig(&ns);
    ns.kubectl(&["run", "talker", "--image=nginx:1.19"]);
    let deck = ns.deck(
        "log.md",
        &one_exercise(
            "talks",
            "expect:\n  - kind: pods\n    name: talker\n    log: {contains: hello}\n",
        ),
    );
    let kubectl = rk.kubectl_raw(&kc, &["logs", "talker"], None);
    let kubectl_says = String::from_utf8_lossy(&kubectl.stderr).trim().to_string();
    assert!(
        kubectl_says.contains(r#"cannot get resource "pods/log""#),
        "{kubectl_says}"
    );
    let out = check_as(rk, &kc, &deck, "0");
    let (v, text) = verdict(&out, "talks");
    assert_eq!(
        v, "error",
        "the grader's missing permission is never the student's fail: {text}"
    );
    assert!(
        text.contains("pods/log"),
        "names what the role lacks: {text}"
    );
}

const RESTARTED: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.19}]
";

/// `replaced: true` after the fact, as `check` and `grade` run: the pods of
/// a Deployment that was never restarted are its first ones (`fail`, in
/// words); after `kubectl rollout restart`, a later `labdeck check` with no
/// known start passes on the new pods.
pub fn replaced_after_rollout_restart(rk: &Realkube) {
    let ns = Ns::new(rk, "replaced");
    ns.apply(RESTARTED);
    ns.kubectl(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    let deck = ns.deck(
        "web.md",
        &one_exercise(
            "web-restarted",
            "expect:\n  - kind: pods\n    selector: app=web\n    count: 2\n    replaced: true\n",
        ),
    );
    let out = check(&ns, &deck, "0");
    let (v, text) = verdict(&out, "web-restarted");
    assert_eq!(v, "fail", "{text}");
    assert!(
        text.contains("one of the pods it made when it was created, not replaced"),
        "{text}"
    );

    ns.kubectl(&["rollout", "restart", "deployment/web"]);
    ns.kubectl(&["rollout", "status", "deployment/web", "--timeout=120s"]);
    // kubectl's stamp on the template, copied to every new pod.
    let stamped = ns.kubectl(&[
        "get",
        "pods",
        "-l",
        "app=web",
        "-o",
        r#"jsonpath={.items[*].metadata.annotations.kubectl\.kubernetes\.io/restartedAt}"#,
    ]);
    assert!(!stamped.trim().is_empty(), "no restartedAt on the pods");
    // Later, with no start known: the true end state passes.
    let out = check(&ns, &deck, "30s");
    let (v, text) = verdict(&out, "web-restarted");
    assert_eq!(v, "pass", "{text}\n{}", out.all());
}
