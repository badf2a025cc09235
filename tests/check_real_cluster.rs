//! Verdicts against a real cluster (kind or k3d): a rollout, a scale-down
//! and a crash-looping pod, driven with `kubectl` and checked through the
//! real engine. Steps: docs/checking.md, "Against a real cluster".
//!
//! Ignored (reported as skipped) unless asked for: run it with
//! `LABDECK_TEST_KUBECONFIG=... cargo test --test check_real_cluster --
//! --ignored`. Asked for without a kubeconfig, it fails rather than
//! pretending to pass. It works in a namespace of its own, deleted at the end.

use std::process::Command;
use std::time::Duration;

use labdeck::check::engine::{self, ExerciseResult, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ClusterSource, ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;

struct Cluster {
    kubeconfig: String,
    context: Option<String>,
    kubectl: String,
    namespace: String,
}

impl Cluster {
    fn from_env() -> Cluster {
        let kubeconfig = std::env::var("LABDECK_TEST_KUBECONFIG").unwrap_or_else(|_| {
            panic!("LABDECK_TEST_KUBECONFIG is not set: this test needs a real cluster (docs/checking.md)")
        });
        Cluster {
            kubeconfig,
            context: std::env::var("LABDECK_TEST_CONTEXT").ok(),
            kubectl: std::env::var("LABDECK_TEST_KUBECTL").unwrap_or_else(|_| "kubectl".into()),
            namespace: format!("labdeck-test-{}", std::process::id()),
        }
    }

    /// Runs kubectl in the test's namespace; panics with its output on failure.
    fn kubectl(&self, args: &[&str]) -> String {
        let mut cmd = Command::new(&self.kubectl);
        cmd.arg("--kubeconfig").arg(&self.kubeconfig);
        if let Some(c) = &self.context {
            cmd.arg("--context").arg(c);
        }
        cmd.arg("--namespace").arg(&self.namespace).args(args);
        let out = cmd
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", self.kubectl));
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {}{}",
            text,
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    async fn source(&self) -> KubeSource {
        KubeSource::connect(&ConnectOptions {
            kubeconfig: Some(self.kubeconfig.clone().into()),
            context: self.context.clone(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
        })
        .await
        .expect("kubeconfig loads")
    }

    /// Checks one exercise (`expect` lines, in the test's namespace).
    async fn check(&self, timeout: Duration, expect: &str) -> ExerciseResult {
        let yaml = format!("expect:\n{expect}");
        let yaml = yaml.replace("NS", &self.namespace);
        let src = CheckSource {
            yaml,
            file: "real.md".into(),
            line: 1,
        };
        let plan = Plan {
            id: "real".into(),
            file: "real.md".into(),
            line: 1,
            title: "real cluster".into(),
            check: spec::parse(&src).expect("check parses"),
        };
        let opts = Options {
            timeout: Some(timeout),
            ..Default::default()
        };
        let mut r = engine::run(&self.source().await, &[plan], &opts, &|_| {}).await;
        r.remove(0)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = Command::new(&self.kubectl)
            .arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .args(["delete", "namespace", &self.namespace, "--wait=false"])
            .output();
    }
}

fn failures(r: &ExerciseResult) -> Vec<String> {
    r.expectations
        .iter()
        .flat_map(|e| e.objects.iter().flat_map(|o| o.failed.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a real cluster: LABDECK_TEST_KUBECONFIG=... cargo test --test check_real_cluster -- --ignored"]
async fn rollout_scale_down_and_crash_loop_on_a_real_cluster() {
    let c = Cluster::from_env();
    // Kind names resolve through real discovery, kubectl's way.
    let source = c.source().await;
    for (kind, plural) in [
        ("po", "pods"),
        ("deploy", "deployments"),
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
    let long = Duration::from_secs(180);
    let now = Duration::ZERO;
    let mut ns = Command::new(&c.kubectl);
    ns.arg("--kubeconfig").arg(&c.kubeconfig);
    if let Some(ctx) = &c.context {
        ns.arg("--context").arg(ctx);
    }
    assert!(
        ns.args(["create", "namespace", &c.namespace])
            .status()
            .unwrap()
            .success()
    );

    // 1. A rollout.
    c.kubectl(&[
        "create",
        "deployment",
        "web",
        "--image=nginx:1.27",
        "--replicas=3",
    ]);
    let ready = "  - kind: deploy\n    namespace: NS\n    name: web\n    ready: true\n";
    let r = c.check(long, ready).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    // An image that cannot be pulled: the rollout is stuck at its first
    // surge pod, as `kubectl rollout status` would say.
    c.kubectl(&[
        "set",
        "image",
        "deployment/web",
        "nginx=nginx:labdeck-no-such-tag",
    ]);
    let r = c.check(Duration::from_secs(20), ready).await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    let why = failures(&r).join("; ");
    assert!(
        why.contains("Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated"),
        "{why}"
    );
    // The owner chain: the Deployment's pods, through their ReplicaSets.
    let owned = "  - kind: pods\n    namespace: NS\n    selector: app=web\n    owner: deploy\n    count: \">=3\"\n";
    assert_eq!(c.check(now, owned).await.verdict, Verdict::Pass);
    c.kubectl(&["rollout", "undo", "deployment/web"]);
    let r = c.check(long, ready).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");

    // 2. A scale-down: pods that ignore SIGTERM stay Terminating for their
    // 30 s grace period; they must not count.
    c.kubectl(&[
        "create",
        "deployment",
        "slow",
        "--image=busybox:1.36",
        "--replicas=3",
        "--",
        "sh",
        "-c",
        "trap '' TERM; while true; do sleep 1; done",
    ]);
    let three = "  - kind: pods\n    namespace: NS\n    selector: app=slow\n    phase: Running\n    count: 3\n";
    assert_eq!(c.check(long, three).await.verdict, Verdict::Pass);
    c.kubectl(&["scale", "deployment/slow", "--replicas=1"]);
    let one = "  - kind: pods\n    namespace: NS\n    selector: app=slow\n    phase: Running\n    ready: true\n    count: 1\n";
    let r = c.check(Duration::from_secs(20), one).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    let terminating = "  - kind: pods\n    namespace: NS\n    selector: app=slow\n    phase: Terminating\n    count: 2\n";
    assert_eq!(
        c.check(now, terminating).await.verdict,
        Verdict::Pass,
        "the two old pods are still Terminating (grace period 30 s)"
    );

    // 3. A crash-looping pod.
    c.kubectl(&[
        "run",
        "crash",
        "--image=busybox:1.36",
        "--restart=Always",
        "--",
        "sh",
        "-c",
        "exit 1",
    ]);
    let looping =
        "  - kind: pods\n    namespace: NS\n    name: crash\n    phase: CrashLoopBackOff\n";
    assert_eq!(c.check(long, looping).await.verdict, Verdict::Pass);
    let running = "  - kind: pods\n    namespace: NS\n    name: crash\n    phase: Running\n";
    let r = c.check(now, running).await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    assert_eq!(failures(&r), ["phase CrashLoopBackOff, want Running"]);
}
