//! Verdicts the real API server and its controllers decide: rollouts in
//! progress and stuck (side by side with `kubectl rollout status`), a
//! scale-down while pods are Terminating, a namespace-scoped student.

use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cluster::{Labdeck, Ns, Realkube, labdeck};

/// A one-exercise chapter whose check is `check` (YAML, an `expect:` list).
pub fn one_exercise(id: &str, check: &str) -> String {
    format!(
        "# {id}\n\n.exercise[\n- Do it:\n  ```bash\n  kubectl get all\n  ```\n]\n\n<!-- check\nid: {id}\n{check}-->\n"
    )
}

/// `labdeck check DECK --format json` with this namespace's kubeconfig.
pub fn check(ns: &Ns, deck: &std::path::Path, timeout: &str) -> Labdeck {
    check_as(ns.rk, &ns.kubeconfig, deck, timeout)
}

/// `labdeck check DECK --format json` with `kubeconfig`.
pub fn check_as(
    rk: &Realkube,
    kubeconfig: &std::path::Path,
    deck: &std::path::Path,
    timeout: &str,
) -> Labdeck {
    labdeck(
        rk,
        &[
            "check",
            deck.to_str().unwrap(),
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--timeout",
            timeout,
            "--format",
            "json",
        ],
    )
}

/// `labdeck check DECK` started in the background (it waits up to
/// `timeout`); [`Waiting::finish`] gives its exit status and output.
pub struct Waiting(std::process::Child);

impl Waiting {
    pub fn start(ns: &Ns, deck: &std::path::Path, timeout: &str) -> Waiting {
        let child = crate::cluster::labdeck_cmd(
            ns.rk,
            &[
                "check",
                deck.to_str().unwrap(),
                "--kubeconfig",
                ns.kubeconfig_str(),
                "--timeout",
                timeout,
            ],
        )
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
        Waiting(child)
    }

    pub fn finish(self) -> (Option<i32>, String) {
        let out = self.0.wait_with_output().unwrap();
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        (out.status.code(), text)
    }
}

pub fn verdict(out: &Labdeck, id: &str) -> (String, String) {
    let json = out.json();
    let r = json["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == id)
        .unwrap_or_else(|| panic!("no result for {id}: {json}"));
    (
        r["verdict"].as_str().unwrap().to_string(),
        serde_json::to_string(r).unwrap(),
    )
}

fn rollout_status(ns: &Ns, what: &str) -> (bool, String) {
    let out = ns.kubectl_raw(&["rollout", "status", what, "--watch=false"]);
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text.trim().to_string())
}

const WEB: &str = "apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  minReadySeconds: 12
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: nginx:1.19}]
";

pub fn rollout_in_progress(rk: &Realkube) {
    let ns = Ns::new(rk, "rollout");
    let deck = ns.deck(
        "web.md",
        &one_exercise(
            "web-ready",
            "expect:\n  - kind: deploy\n    name: web\n    ready: true\n",
        ),
    );
    ns.apply(WEB);
    // kubectl, labdeck, kubectl: when both kubectl answers agree, the
    // cluster did not move in between, and labdeck must say the same.
    let mut agreed = Vec::new();
    let t = Instant::now();
    while t.elapsed() < Duration::from_secs(60) {
        let (_, a) = rollout_status(&ns, "deployment/web");
        let out = check(&ns, &deck, "0");
        let (_, b) = rollout_status(&ns, "deployment/web");
        if a != b {
            continue;
        }
        let (v, text) = verdict(&out, "web-ready");
        if a.contains("successfully rolled out") {
            assert_eq!(v, "pass", "kubectl: {a}\nlabdeck: {text}");
            break;
        }
        assert_eq!(v, "fail", "kubectl: {a}\nlabdeck: {text}");
        let words = a.trim_end_matches("...");
        let escaped = serde_json::to_string(words).unwrap();
        assert!(
            text.contains(&escaped[1..escaped.len() - 1]),
            "labdeck does not say what kubectl says\nkubectl: {a}\nlabdeck: {text}"
        );
        agreed.push(a);
    }
    eprintln!("agreed with kubectl rollout status on: {agreed:#?}");
    assert!(
        agreed
            .iter()
            .any(|a| a.contains("updated replicas are available")),
        "never saw the rollout in progress: {agreed:?}"
    );
    // And the wait ends when the rollout does.
    let out = check(&ns, &deck, "90s");
    assert_eq!(verdict(&out, "web-ready").0, "pass", "{}", out.all());
    let (ok, a) = rollout_status(&ns, "deployment/web");
    assert!(ok && a.contains("successfully rolled out"), "{a}");
}

pub fn stuck_rollout(rk: &Realkube) {
    let ns = Ns::new(rk, "stuck");
    let deck = ns.deck(
        "stuck.md",
        &one_exercise(
            "stuck-ready",
            "expect:\n  - kind: deploy\n    name: stuck\n    ready: true\n",
        ),
    );
    // A readiness probe nothing answers (hollow pods listen nowhere): the
    // rollout never completes, and passes its progress deadline.
    ns.apply(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: stuck}
spec:
  replicas: 2
  progressDeadlineSeconds: 8
  selector: {matchLabels: {app: stuck}}
  template:
    metadata: {labels: {app: stuck}}
    spec:
      containers:
      - name: web
        image: nginx:1.19
        readinessProbe: {httpGet: {port: 8080, path: /}, periodSeconds: 1}
",
    );
    let mut last = String::new();
    ns.until(Duration::from_secs(90), "the progress deadline", || {
        let (ok, a) = rollout_status(&ns, "deployment/stuck");
        last = a;
        !ok && last.contains("exceeded its progress deadline")
    });
    let out = check(&ns, &deck, "0");
    let (v, text) = verdict(&out, "stuck-ready");
    assert_eq!(v, "fail", "{text}");
    assert!(
        text.contains(r#"deployment \"stuck\" exceeded its progress deadline"#),
        "kubectl: {last}\nlabdeck: {text}"
    );
    assert_eq!(out.code, 1);
}

pub fn scale_down_terminating(rk: &Realkube) {
    let ns = Ns::new(rk, "scale");
    // A finalizer holds deleted pods in Terminating for as long as the test
    // wants (hollow kubelets stop containers at once).
    ns.apply(
        "apiVersion: apps/v1
kind: Deployment
metadata: {name: slow}
spec:
  replicas: 3
  selector: {matchLabels: {app: slow}}
  template:
    metadata:
      labels: {app: slow}
      finalizers: [labdeck.test/hold]
    spec:
      containers: [{name: web, image: nginx:1.19}]
",
    );
    let three = ns.deck(
        "three.md",
        &one_exercise(
            "three",
            "expect:\n  - kind: pods\n    selector: app=slow\n    phase: Running\n    ready: true\n    count: 3\n",
        ),
    );
    let out = check(&ns, &three, "90s");
    assert_eq!(verdict(&out, "three").0, "pass", "{}", out.all());
    ns.kubectl(&["scale", "deployment/slow", "--replicas=1"]);
    let terminating = || -> Vec<String> {
        let pods: Value =
            serde_json::from_str(&ns.kubectl(&["get", "pods", "-l", "app=slow", "-o", "json"]))
                .unwrap();
        pods["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|p| !p["metadata"]["deletionTimestamp"].is_null())
            .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
            .collect()
    };
    ns.until(Duration::from_secs(30), "two pods Terminating", || {
        terminating().len() == 2
    });
    // kubectl shows them so.
    let table = ns.kubectl(&["get", "pods", "-l", "app=slow"]);
    assert_eq!(table.matches("Terminating").count(), 2, "{table}");

    let one = ns.deck(
        "one.md",
        &one_exercise(
            "one",
            "expect:\n  - kind: pods\n    selector: app=slow\n    phase: Running\n    ready: true\n    count: 1\n  - kind: pods\n    selector: app=slow\n    phase: Terminating\n    count: 2\n",
        ),
    );
    let out = check(&ns, &one, "30s");
    assert_eq!(verdict(&out, "one").0, "pass", "{}", out.all());
    for pod in terminating() {
        ns.kubectl(&[
            "patch",
            "pod",
            &pod,
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ]);
    }
    let gone = ns.deck(
        "gone.md",
        &one_exercise(
            "gone",
            "expect:\n  - kind: pods\n    selector: app=slow\n    count: 1\n",
        ),
    );
    let out = check(&ns, &gone, "30s");
    assert_eq!(verdict(&out, "gone").0, "pass", "{}", out.all());
    let _ = ns.kubectl(&[
        "patch",
        "deployment",
        "slow",
        "--type=json",
        "-p",
        r#"[{"op":"remove","path":"/spec/template/metadata/finalizers"}]"#,
    ]);
    for pod in ns.kubectl(&["get", "pods", "-o", "name"]).lines() {
        let _ = ns.kubectl_raw(&[
            "patch",
            pod,
            "--type=json",
            "-p",
            r#"[{"op":"remove","path":"/metadata/finalizers"}]"#,
        ]);
    }
}

/// A kubeconfig for `student`, a service account of `ns` bound to a Role
/// that reads pods and deployments only.
pub fn student_kubeconfig(ns: &Ns) -> std::path::PathBuf {
    ns.apply(&format!(
        "apiVersion: v1
kind: ServiceAccount
metadata: {{name: student}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {{name: student}}
rules:
- apiGroups: ['']
  resources: [pods]
  verbs: [get, list, watch]
- apiGroups: [apps]
  resources: [deployments]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {{name: student}}
roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: Role, name: student}}
subjects: [{{kind: ServiceAccount, name: student, namespace: {}}}]
",
        ns.name
    ));
    let mut secret = String::new();
    ns.until(
        Duration::from_secs(30),
        "the service account's token secret",
        || {
            secret = ns.kubectl(&[
                "get",
                "serviceaccount",
                "student",
                "-o",
                "jsonpath={.secrets[0].name}",
            ]);
            !secret.is_empty()
        },
    );
    let token = ns.kubectl(&["get", "secret", &secret, "-o", "jsonpath={.data.token}"]);
    use base64::Engine;
    let token = String::from_utf8(
        base64::engine::general_purpose::STANDARD
            .decode(token.trim())
            .unwrap(),
    )
    .unwrap();
    let ca = ns.kubectl(&[
        "config",
        "view",
        "--raw",
        "--minify",
        "-o",
        "jsonpath={.clusters[0].cluster.certificate-authority-data}",
    ]);
    let path = ns.dir.path().join("student.kubeconfig");
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1
kind: Config
clusters:
- name: realkube
  cluster: {{server: 'https://{api}', certificate-authority-data: {ca}}}
users:
- name: student
  user: {{token: {token}}}
contexts:
- name: student
  context: {{cluster: realkube, user: student, namespace: {ns}}}
current-context: student
",
            api = crate::cluster::API,
            ns = ns.name
        ),
    )
    .unwrap();
    path
}

pub fn namespace_scoped_student(rk: &Realkube) {
    let ns = Ns::new(rk, "student");
    let kc = student_kubeconfig(&ns);
    let deck = ns.deck(
        "student.md",
        &format!(
            "{}\n---\n\n{}",
            one_exercise("pods-none", "expect:\n  - kind: pods\n    count: 0\n"),
            one_exercise(
                "service-web",
                "expect:\n  - kind: services\n    name: web\n"
            )
        ),
    );
    let kubectl = rk.kubectl_raw(&kc, &["get", "services"], None);
    let kubectl_says = String::from_utf8_lossy(&kubectl.stderr).trim().to_string();
    assert!(kubectl_says.contains("forbidden"), "{kubectl_says}");
    let out = check_as(rk, &kc, &deck, "0");
    assert_eq!(
        out.code,
        4,
        "error: some exercise could not be checked\n{}",
        out.all()
    );
    let json = out.json();
    let results = json["results"].as_array().unwrap();
    assert_eq!(results[0]["verdict"], "pass", "{json}");
    assert_eq!(results[1]["verdict"], "error", "never fail: {json}");
    let message = results[1]["message"].as_str().unwrap();
    // kubectl: Error from server (Forbidden): services is forbidden: User
    // "system:serviceaccount:NS:student" cannot list resource "services" in
    // API group "" in the namespace "NS"
    let server_words = kubectl_says.trim_start_matches("Error from server (Forbidden): ");
    assert!(
        message.contains(server_words),
        "labdeck: {message}\nkubectl: {kubectl_says}"
    );
}
