//! What a real v1.20 control plane showed that no stand-in had (issue 19),
//! proven here on the fake API server through the real `kube::Client`:
//! a CA that no longer matches is said at once in kubectl's words; a kind
//! whose CRD is installed during the wait is found; every request says who
//! sends it; and discovery reads only what the deck's checks need.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use labdeck::check::engine::{self, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use serde_json::json;
use support::apiserver::{DiscoveryFormats, FakeApiServer};
use support::cli::labdeck;
use support::fixtures::pod;
use support::sample::SAMPLE;
use support::tls::{Ca, TlsApiServer, b64, kubeconfig};

fn plan(id: &str, yaml: &str) -> Plan {
    let src = CheckSource {
        yaml: yaml.to_string(),
        file: "lab.md".into(),
        line: 10,
    };
    Plan {
        id: id.into(),
        file: src.file.clone(),
        line: 8,
        title: id.into(),
        check: spec::parse(&src).expect("check parses"),
    }
}

fn opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

async fn run_with(kubeconfig_yaml: &str, plans: &[Plan]) -> Vec<engine::ExerciseResult> {
    let kc = kube::config::Kubeconfig::from_yaml(kubeconfig_yaml).expect("kubeconfig parses");
    match KubeSource::from_kubeconfig(kc, &opts()).await {
        Ok(source) => engine::run(&source, plans, &Options::default(), &|_| {}).await,
        Err(e) => engine::error_results(plans, &e),
    }
}

/// A TLS fake serving `serving`, and a kubeconfig trusting `trusted`.
async fn tls_case(
    fake: &FakeApiServer,
    serving: &support::tls::Identity,
    trusted: &Ca,
) -> (TlsApiServer, String) {
    let tls = TlsApiServer::start(fake, serving, None).await;
    let cluster = format!(
        "    server: {}\n    certificate-authority-data: {}\n",
        tls.url(),
        b64(&trusted.cert_pem())
    );
    (tls, kubeconfig("lab", &cluster, "    token: t\n"))
}

/// How many handshakes the server refused, once it has noted the first
/// (the client has given up before the server reads its alert).
async fn handshakes(tls: &TlsApiServer) -> usize {
    let t0 = Instant::now();
    while tls.refused().is_empty() && t0.elapsed() < Duration::from_secs(5) {
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    tls.refused().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ca_mismatch_is_an_error_at_once_in_kubectls_words() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("web"));
    // The cluster was rebuilt: a new CA signs the server's certificate,
    // the student's kubeconfig still trusts the old one.
    let (old, new) = (Ca::new("kubernetes"), Ca::new("kubernetes"));
    let (tls, cfg) = tls_case(&fake, &new.server(&["127.0.0.1"]), &old).await;
    // The check's own timeout is 30 s: none of it may be spent retrying.
    let plans = [plan("web", "expect:\n  - kind: pods\n    name: web\n")];
    let t0 = Instant::now();
    let r = run_with(&cfg, &plans).await;
    let took = t0.elapsed();
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
    let m = &r[0].message;
    assert!(
        m.contains(
            "Unable to connect to the server: x509: certificate signed by unknown authority"
        ),
        "{m}"
    );
    assert!(m.contains("context lab"), "{m}");
    assert!(took < Duration::from_secs(1), "took {took:?}");
    assert_eq!(
        handshakes(&tls).await,
        1,
        "one attempt: {:?}",
        tls.refused()
    );
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());

    // The name does not match: Go's HostnameError words.
    let (tls, cfg) = tls_case(&fake, &new.server(&["kube.other.test"]), &new).await;
    let r = run_with(&cfg, &plans).await;
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
    assert!(
        r[0].message.contains(
            "Unable to connect to the server: x509: certificate is valid for kube.other.test, not 127.0.0.1"
        ),
        "{}",
        r[0].message
    );
    assert_eq!(handshakes(&tls).await, 1, "{:?}", tls.refused());

    // Expired: Go's CertificateInvalidError words.
    let (tls, cfg) = tls_case(&fake, &new.expired_server(&["127.0.0.1"]), &new).await;
    let r = run_with(&cfg, &plans).await;
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
    assert!(
        r[0].message.contains(
            "Unable to connect to the server: x509: certificate has expired or is not yet valid: current time "
        ) && r[0].message.contains("is after 2001-01-01T00:00:00Z"),
        "{}",
        r[0].message
    );
    assert_eq!(handshakes(&tls).await, 1, "{:?}", tls.refused());
}

#[tokio::test]
async fn every_request_says_labdeck_and_its_version_in_user_agent() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("web"));
    let plans = [plan(
        "web",
        "timeout: 0\nexpect:\n  - kind: pods\n    name: web\n  - kind: deploy\n    count: 0\n",
    )];
    let r = run_with(&fake.kubeconfig_yaml("t", "default"), &plans).await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
    let want = format!(
        "labdeck/v{} ({}/{})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS,
        match std::env::consts::ARCH {
            "x86_64" => "amd64",
            "aarch64" => "arm64",
            other => other,
        }
    );
    assert_eq!(labdeck::cluster::transport::user_agent(), want);
    let agents = fake.user_agents();
    assert!(agents.len() >= 3, "{agents:?}");
    assert!(agents.iter().all(|a| *a == want), "{agents:?}");
}

/// A CronTab, as the fake's CRD group serves it.
fn crontab(name: &str) -> serde_json::Value {
    json!({"apiVersion": "stable.example.com/v1", "kind": "CronTab",
        "metadata": {"name": name, "namespace": "default"},
        "spec": {"cronSpec": "* * * * */5", "image": "my-cron-image"}})
}

#[tokio::test]
async fn late_crd_installed_during_the_wait_passes() {
    for formats in [DiscoveryFormats::V2AndV2Beta1, DiscoveryFormats::Legacy] {
        let fake = Arc::new(FakeApiServer::start().await);
        fake.set_discovery(formats);
        fake.hide_resource("crontabs");
        // The operator's CRD lands 0.8 s into the wait, with the object
        // the exercise creates.
        let later = fake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(800)).await;
            later.serve_resource("crontabs");
            later.apply(crontab("nightly"));
        });
        let plans = [
            plan(
                "cron",
                "timeout: 20s\nexpect:\n  - kind: CronTab\n    name: nightly\n",
            ),
            plan(
                "pods",
                "timeout: 0\nexpect:\n  - kind: pods\n    count: 0\n",
            ),
        ];
        let t0 = Instant::now();
        let r = run_with(&fake.kubeconfig_yaml("t", "default"), &plans).await;
        assert_eq!(r[0].verdict, Verdict::Pass, "{formats:?}: {:#?}", r[0]);
        assert_eq!(r[1].verdict, Verdict::Pass, "{:#?}", r[1]);
        // Found within the backoff (0.25 s, 0.5 s, 1 s...), not at the
        // timeout; the other exercise did not wait for the CRD.
        assert!(t0.elapsed() < Duration::from_secs(5), "{:?}", t0.elapsed());
        assert!(r[0].elapsed_ms >= 800, "{r:#?}");
        assert!(r[1].elapsed_ms < 800, "{r:#?}");
    }
}

#[tokio::test]
async fn late_crd_never_installed_fails_in_words_not_an_error() {
    let fake = FakeApiServer::start().await;
    fake.hide_resource("crontabs");
    let plans = [plan(
        "cron",
        "timeout: 0\nexpect:\n  - kind: CronTab\n    name: nightly\n",
    )];
    let r = run_with(&fake.kubeconfig_yaml("t", "default"), &plans).await;
    assert_eq!(r[0].verdict, Verdict::Fail, "{:#?}", r[0]);
    assert!(
        r[0].message.contains(
            "line 12: no kind `CronTab` on the cluster yet: is its CustomResourceDefinition installed?"
        ),
        "{}",
        r[0].message
    );
    // Looked more than once (at least three times, even with `timeout: 0`).
    let apis = fake.requests().iter().filter(|r| *r == "GET /apis").count();
    assert!(apis >= 3, "{:#?}", fake.requests());
}

/// `labdeck check` of the sample deck (or one exercise of it): every
/// request, and how many were discovery.
async fn count_requests(formats: DiscoveryFormats, only: Option<&str>) -> (usize, usize) {
    let fake = FakeApiServer::start().await;
    fake.set_discovery(formats);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let mut args = vec![
        "check",
        SAMPLE,
        "--kubeconfig",
        kc.to_str().unwrap(),
        "--timeout",
        "0",
        "--format",
        "json",
    ];
    if let Some(id) = only {
        args.extend(["--only", id]);
    }
    let out = labdeck(&args).await;
    assert!(out.stdout.contains("\"verdict\""), "{}", out.stderr);
    let reqs = fake.requests();
    let discovery = reqs
        .iter()
        .filter(|r| {
            !r.contains('?') && (r.starts_with("GET /api/v1") || r.starts_with("GET /apis"))
        })
        .filter(|r| r.split('/').count() <= 4)
        .count();
    (reqs.len(), discovery)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_counts_of_the_sample_deck_per_server_kind() {
    // (requests, of which discovery). kubectl reads all of discovery: on a
    // server without aggregated discovery (1.20) `/api`, `/api/v1`, `/apis`
    // and one GET per group version, 39 on a 1.20 control plane. labdeck
    // reads `/api/v1` for core kinds, and `/apis` then the group's
    // preferred version for the others, however many groups are served.
    use DiscoveryFormats::{Legacy, V2AndV2Beta1};
    for (formats, only, want) in [
        // pods only: `/api/v1`, then one list.
        (Legacy, Some("labeldemo-relabel"), (2, 1)),
        (V2AndV2Beta1, Some("labeldemo-relabel"), (2, 1)),
        // deploy and pods: `/api/v1`, `/apis`, `/apis/apps/v1`; two lists.
        (Legacy, Some("labeldemo-create"), (5, 3)),
        (V2AndV2Beta1, Some("labeldemo-create"), (4, 2)),
        // All eleven exercises: discovery once; a list per distinct read
        // (deployments, daemonsets and pods in default).
        (Legacy, None, (6, 3)),
        (V2AndV2Beta1, None, (5, 2)),
    ] {
        let got = count_requests(formats, only).await;
        eprintln!("{formats:?} {only:?}: {got:?} (requests, discovery)");
        assert_eq!(got, want, "{formats:?} {only:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grade_reads_discovery_once_for_a_class_on_one_server() {
    let fake = FakeApiServer::start().await;
    fake.legacy_discovery_only();
    fake.apply(pod("web"));
    let dir = tempfile::tempdir().unwrap();
    for student in ["ana", "bo", "cy"] {
        std::fs::write(
            dir.path().join(format!("{student}.yaml")),
            fake.kubeconfig_yaml(student, "default"),
        )
        .unwrap();
    }
    let targets = labdeck::grade::from_dir(dir.path()).unwrap();
    assert_eq!(targets.len(), 3);
    let plans = [plan(
        "web",
        "timeout: 0\nexpect:\n  - kind: pods\n    name: web\n  - kind: deploy\n    count: 0\n",
    )];
    let results = labdeck::grade::grade(
        &targets,
        &plans,
        &labdeck::grade::GradeOptions::default(),
        &|_| {},
    )
    .await;
    for c in &results {
        assert_eq!(c.results[0].verdict, Verdict::Pass, "{c:#?}");
    }
    let reqs = fake.requests();
    let discovery: Vec<&String> = reqs.iter().filter(|r| !r.contains('?')).collect();
    // `/api/v1`, `/apis`, `/apis/apps/v1` once for the class; then each
    // student's two lists.
    assert_eq!(discovery.len(), 3, "{reqs:#?}");
    assert_eq!(reqs.len(), 3 + 3 * 2, "{reqs:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vacuous_cleanup_counts_only_once_what_it_removes_has_passed() {
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ana.yaml"),
        fake.kubeconfig_yaml("t", "default"),
    )
    .unwrap();
    let targets = labdeck::grade::from_dir(dir.path()).unwrap();
    // As the sample deck has them (slides/k8s/labels-debugging.md).
    let plans = [
        plan(
            "labeldemo-create",
            "timeout: 0\nexpect:\n  - kind: deploy\n    name: labeldemo\n",
        ),
        plan(
            "labeldemo-cleanup",
            "timeout: 0\nexpect:\n  - kind: deploy\n    name: labeldemo\n    count: 0\n  - kind: pods\n    selector: app=labeldemo\n    count: 0\n",
        ),
    ];
    let history = dir.path().join("history.jsonl");
    let round = || async {
        let clusters = labdeck::grade::grade(
            &targets,
            &plans,
            &labdeck::grade::GradeOptions::default(),
            &|_| {},
        )
        .await;
        let mut report = labdeck::grade::report::GradeReport::new(&plans, clusters);
        labdeck::grade::stamp_history(&history, &plans, &mut report).unwrap();
        report
    };
    // A student who did nothing: the cleanup holds, but is no tick.
    let r = round().await;
    let cleanup = &r.clusters[0].results[1];
    assert_eq!(cleanup.verdict, Verdict::Fail, "{cleanup:#?}");
    assert_eq!(
        cleanup.message,
        "not started: nothing to clean up yet: `labeldemo-create` was never passed"
    );
    assert_eq!(r.summary.pass, 0, "{r:#?}");
    // Created: the create passes (and is kept in the history)...
    fake.apply(support::fixtures::deployment("labeldemo"));
    let r = round().await;
    assert_eq!(r.clusters[0].results[0].verdict, Verdict::Pass);
    assert_eq!(r.clusters[0].results[1].verdict, Verdict::Fail);
    // ... then cleaned up: the cleanup counts, its prerequisite having
    // passed in an earlier round.
    fake.delete("apps/v1", "Deployment", "default", "labeldemo");
    let r = round().await;
    assert_eq!(r.clusters[0].results[0].verdict, Verdict::Fail);
    let cleanup = &r.clusters[0].results[1];
    assert_eq!(cleanup.verdict, Verdict::Pass, "{cleanup:#?}");
    assert_eq!(cleanup.message, "2 expectations held");
    assert_eq!((r.summary.pass, r.summary.fail), (1, 1), "{r:#?}");
}
