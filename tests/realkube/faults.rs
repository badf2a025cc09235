//! Faults only a real control plane shows as students meet them: a
//! kubeconfig whose CA no longer matches the rebuilt cluster, the API server
//! restarted while a check waits, a node lost in the middle of a check.

use std::time::{Duration, Instant};

use crate::cluster::{Ns, Realkube};
use crate::verdicts::{Waiting, check, check_as, one_exercise, verdict};

/// A kubeconfig with the admin's client certificate and another CA: the
/// state of a student's kubeconfig after the cluster was rebuilt.
fn foreign_ca_kubeconfig(ns: &Ns) -> std::path::PathBuf {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let view = |path: &str| {
        ns.kubectl(&[
            "config",
            "view",
            "--raw",
            "--minify",
            "-o",
            &format!("jsonpath={path}"),
        ])
    };
    let cert = view("{.users[0].user.client-certificate-data}");
    let key = view("{.users[0].user.client-key-data}");
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "another cluster's CA");
    let ca = params
        .self_signed(&rcgen::KeyPair::generate().unwrap())
        .unwrap();
    let path = ns.dir.path().join("rebuilt.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: old
  cluster: {{server: 'https://{api}', certificate-authority-data: {ca}}}
users:
- name: admin
  user: {{client-certificate-data: {cert}, client-key-data: {key}}}
contexts:
- name: old
  context: {{cluster: old, user: admin, namespace: {ns}}}
current-context: old
",
            api = crate::cluster::API,
            ca = b64.encode(ca.pem()),
            ns = ns.name,
        ),
    )
    .unwrap();
    path
}

pub fn ca_mismatch(rk: &Realkube) {
    let ns = Ns::new(rk, "ca");
    let kc = foreign_ca_kubeconfig(&ns);
    let kubectl = rk.kubectl_raw(&kc, &["get", "pods"], None);
    let kubectl_says = String::from_utf8_lossy(&kubectl.stderr).trim().to_string();
    assert!(
        kubectl_says.contains("x509: certificate signed by unknown authority"),
        "{kubectl_says}"
    );
    let deck = ns.deck(
        "ca.md",
        &one_exercise("any", "expect:\n  - kind: pods\n    count: 0\n"),
    );
    let out = check_as(rk, &kc, &deck, "120s");
    assert_eq!(out.code, 4, "{}", out.all());
    assert!(
        out.elapsed < Duration::from_secs(15),
        "a certificate error is not transient: said after {:?}\n{}",
        out.elapsed,
        out.all()
    );
    // The first answer says the cluster cannot be checked at all: one
    // error line on stderr, no report (issue 26).
    assert_eq!(
        out.stderr
            .matches("x509: certificate signed by unknown authority")
            .count(),
        1,
        "once, in kubectl's words ({kubectl_says}): {}",
        out.all()
    );
    assert!(out.stdout.is_empty(), "{}", out.all());
}

/// Waits until the audit log shows a watch on `resource` in `ns`: the check
/// is waiting.
fn until_watching(rk: &Realkube, ns: &Ns, resource: &str) {
    let log = rk.audit_log();
    let needle = format!("/namespaces/{}/{resource}?", ns.name);
    ns.until(Duration::from_secs(30), "the check's watch", || {
        std::fs::read_to_string(&log)
            .map(|t| {
                t.lines()
                    .any(|l| l.contains(r#""verb":"watch""#) && l.contains(&needle))
            })
            .unwrap_or(false)
    });
}

pub fn api_server_restarted(rk: &Realkube) {
    let ns = Ns::new(rk, "restart");
    let deck = ns.deck(
        "late.md",
        &one_exercise("late", "expect:\n  - kind: configmaps\n    name: late\n"),
    );
    let child = Waiting::start(&ns, &deck, "120s");
    until_watching(rk, &ns, "configmaps");
    let t = Instant::now();
    rk.kill("kube-apiserver");
    rk.restart_missing();
    eprintln!(
        "API server down and back in {:.1}s",
        t.elapsed().as_secs_f64()
    );
    ns.kubectl(&["create", "configmap", "late", "--from-literal=k=v"]);
    let (code, text) = child.finish();
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("PASS  late"), "{text}");
}

pub fn node_lost(rk: &Realkube) {
    let ns = Ns::new(rk, "node");
    ns.apply(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {name: everywhere}
spec:
  selector: {matchLabels: {app: everywhere}}
  template:
    metadata: {labels: {app: everywhere}}
    spec:
      containers: [{name: c, image: nginx:1.19}]
",
    );
    let deck = ns.deck(
        "ds.md",
        &one_exercise(
            "ds-ready",
            "expect:\n  - kind: ds\n    name: everywhere\n    ready: true\n",
        ),
    );
    let out = check(&ns, &deck, "90s");
    assert_eq!(verdict(&out, "ds-ready").0, "pass", "{}", out.all());

    rk.kill("node-2");
    // The node lifecycle controller marks the node Unknown after its grace
    // period (40 s) and the pod on it not ready (MarkPodsNotReady); the
    // daemon set controller stops counting the unreachable node.
    let node2_ready = || {
        ns.kubectl(&[
            "get",
            "pods",
            "-l",
            "app=everywhere",
            "--field-selector",
            "spec.nodeName=node-2",
            "-o",
            "jsonpath={.items[0].status.conditions[?(@.type==\"Ready\")].status}",
        ])
    };
    ns.until(
        Duration::from_secs(150),
        "node-2's pod marked not ready",
        || node2_ready() == "False",
    );
    let pod2 = ns.kubectl(&[
        "get",
        "pods",
        "-l",
        "app=everywhere",
        "--field-selector",
        "spec.nodeName=node-2",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    // kubectl rollout status, and so labdeck: the daemon set is rolled out
    // on the nodes it still counts.
    let rollout = ns.kubectl_raw(&["rollout", "status", "ds/everywhere", "--watch=false"]);
    let kubectl_says = String::from_utf8_lossy(&rollout.stdout).trim().to_string();
    let out = check(&ns, &deck, "0");
    let (v, text) = verdict(&out, "ds-ready");
    if kubectl_says.contains("successfully rolled out") {
        assert_eq!(v, "pass", "kubectl: {kubectl_says}\nlabdeck: {text}");
    } else {
        assert_eq!(v, "fail", "kubectl: {kubectl_says}\nlabdeck: {text}");
        let words = kubectl_says.trim_end_matches("...");
        let escaped = serde_json::to_string(words).unwrap();
        assert!(
            text.contains(&escaped[1..escaped.len() - 1]),
            "kubectl: {kubectl_says}\nlabdeck: {text}"
        );
    }
    // Every pod ready: not while node-2 is lost, and the failure names its pod.
    let pods = ns.deck(
        "pods.md",
        &one_exercise(
            "pods-ready",
            "expect:\n  - kind: pods\n    selector: app=everywhere\n    ready: true\n    count: 2\n",
        ),
    );
    let out = check(&ns, &pods, "0");
    let (v, text) = verdict(&out, "pods-ready");
    assert_eq!(v, "fail", "{text}");
    assert!(
        text.contains(&pod2),
        "names the pod on the lost node ({pod2}): {text}"
    );

    // A check waiting while the node comes back passes when it is back.
    let child = Waiting::start(&ns, &pods, "150s");
    until_watching(rk, &ns, "pods");
    rk.restart_missing();
    let (code, text) = child.finish();
    assert_eq!(code, Some(0), "{text}");
}
