//! The check engine through a real `kube::Client` against the loopback fake
//! API server, on the seed's relabel exercise.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use labdeck::check::engine::{self, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ClusterSource, ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use support::apiserver::FakeApiServer;
use support::fixtures::{deployment, label, orphan, pending, pod, replicaset};

const RELABEL: &str = "id: labeldemo-relabel
timeout: 60s
expect:
  - kind: pods
    selector: isactive=no
    count: 1
    phase: Running
    owner: none          # released by its ReplicaSet, still alive to debug
  - kind: pods
    selector: isactive=yes
    count: 1
    phase: Running
    owner: ReplicaSet    # the replacement
";

fn plan(id: &str, yaml: &str) -> Plan {
    let src = CheckSource {
        yaml: yaml.to_string(),
        file: "k8s/labels-debugging.md".into(),
        line: 200,
    };
    Plan {
        id: id.into(),
        file: src.file.clone(),
        line: 190,
        title: "Altering a label".into(),
        check: spec::parse(&src).expect("check parses"),
    }
}

async fn source(fake: &FakeApiServer, token: &str) -> KubeSource {
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml(token, "default")).unwrap();
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    KubeSource::from_kubeconfig(kc, &opts).await.unwrap()
}

/// The deployment before the relabel: one running pod owned by the ReplicaSet.
fn before(fake: &FakeApiServer) {
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod("labeldemo-5b7c9d8f6d-p2rk9"));
}

fn assert_only_reads(fake: &FakeApiServer) {
    let reqs = fake.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert!(r.starts_with("GET "), "a non-read request was sent: {r}");
    }
}

#[tokio::test]
async fn relabel_done_right_passes() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
    let src = source(&fake, "t").await;
    let r = engine::run(
        &src,
        &[plan("relabel", RELABEL)],
        &Options::default(),
        &|_| {},
    )
    .await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
    assert_only_reads(&fake);
}

#[tokio::test]
async fn relabel_not_done_fails_naming_the_selector() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    let src = source(&fake, "t").await;
    let opts = Options {
        timeout: Some(Duration::ZERO),
        ..Default::default()
    };
    let r = engine::run(&src, &[plan("relabel", RELABEL)], &opts, &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Fail, "{:#?}", r[0]);
    assert!(r[0].message.contains("isactive=no"), "{}", r[0].message);
    assert!(!r[0].expectations[0].holds);
    assert!(r[0].expectations[1].holds);
}

#[tokio::test]
async fn relabel_with_kubectl_run_fails() {
    // `kubectl run` makes a bare pod: relabelling it leaves no replacement.
    let fake = FakeApiServer::start().await;
    fake.apply(orphan(label(pod("labeldemo"), "isactive", "no")));
    let src = source(&fake, "t").await;
    let opts = Options {
        timeout: Some(Duration::ZERO),
        ..Default::default()
    };
    let r = engine::run(&src, &[plan("relabel", RELABEL)], &opts, &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Fail, "{:#?}", r[0]);
    assert!(r[0].expectations[0].holds);
    assert!(!r[0].expectations[1].holds);
    assert!(r[0].message.contains("isactive=yes"), "{}", r[0].message);
}

#[tokio::test]
async fn relabel_converging_passes_as_soon_as_running() {
    let fake = Arc::new(FakeApiServer::start().await);
    before(&fake);
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pending(pod("labeldemo-5b7c9d8f6d-lr62s")));
    let turn = Duration::from_millis(1500);
    fake.apply_after(turn, pod("labeldemo-5b7c9d8f6d-lr62s"));
    let src = source(&fake, "t").await;
    let t0 = Instant::now();
    let r = engine::run(
        &src,
        &[plan("relabel", RELABEL)],
        &Options::default(),
        &|_| {},
    )
    .await;
    let took = t0.elapsed();
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
    assert!(took >= turn, "passed before the pod was Running ({took:?})");
    assert!(
        took < Duration::from_secs(10),
        "took {took:?} of a 60s timeout"
    );
    // One list+watch of the namespace's pods shared by both selectors (each
    // applied here), not a polling loop.
    let lists = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/pods?") && !r.contains("watch="))
        .count();
    assert_eq!(lists, 1, "{:#?}", fake.requests());
    assert!(
        !fake.requests().iter().any(|r| r.contains("labelSelector")),
        "{:#?}",
        fake.requests()
    );
    assert_only_reads(&fake);
}

#[tokio::test]
async fn timeout_reports_what_it_last_saw() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    fake.apply(orphan(label(
        pending(pod("labeldemo-5b7c9d8f6d-p2rk9")),
        "isactive",
        "no",
    )));
    let src = source(&fake, "t").await;
    let opts = Options {
        timeout: Some(Duration::from_millis(300)),
        ..Default::default()
    };
    let r = engine::run(&src, &[plan("relabel", RELABEL)], &opts, &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Fail);
    let e = &r[0].expectations[0];
    assert_eq!(e.objects.len(), 1);
    assert_eq!(e.objects[0].name, "labeldemo-5b7c9d8f6d-p2rk9");
    // kubectl's STATUS column for a pod whose container is being created.
    assert_eq!(
        e.objects[0].failed,
        vec!["phase ContainerCreating, want Running"]
    );
}

const PODS_EXIST: &str = "- kind: po\n  selector: app=labeldemo\n";

fn opts_once() -> Options {
    Options {
        timeout: Some(Duration::ZERO),
        ..Default::default()
    }
}

#[tokio::test]
async fn unreachable_server_is_an_error_for_every_exercise() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let yaml = format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: dead\nclusters:\n- name: dead\n  cluster:\n    server: http://127.0.0.1:{port}\ncontexts:\n- name: dead\n  context:\n    cluster: dead\n    user: u\nusers:\n- name: u\n  user:\n    token: t\n"
    );
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).unwrap();
    let src = KubeSource::from_kubeconfig(kc, &ConnectOptions::default())
        .await
        .unwrap();
    let plans = [plan("relabel", RELABEL), plan("pods", PODS_EXIST)];
    let t0 = Instant::now();
    // Connection refused is retried (an API server restarting refuses too)
    // until the deadline, then reported with how long it was tried.
    let opts = Options {
        timeout: Some(Duration::from_secs(2)),
        ..Default::default()
    };
    let r = engine::run(&src, &plans, &opts, &|_| {}).await;
    let took = t0.elapsed();
    assert!(took >= Duration::from_millis(1500), "{took:?}");
    assert!(took < Duration::from_secs(10), "{took:?}");
    for x in &r {
        assert_eq!(x.verdict, Verdict::Error, "{x:#?}");
        assert!(x.message.contains("unreachable"), "{}", x.message);
        assert!(x.message.contains("still failing after"), "{}", x.message);
        assert!(
            x.message
                .contains(&format!("context dead (http://127.0.0.1:{port}/)")),
            "{}",
            x.message
        );
    }
}

#[tokio::test]
async fn rejected_token_is_an_error() {
    let fake = FakeApiServer::start().await;
    fake.require_token("good");
    before(&fake);
    let src = source(&fake, "bad").await;
    let r = engine::run(&src, &[plan("pods", PODS_EXIST)], &opts_once(), &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
    assert!(
        r[0].message
            .contains("You must be logged in to the server (Unauthorized)"),
        "{}",
        r[0].message
    );
    // The right token works against the same server.
    let src = source(&fake, "good").await;
    let r = engine::run(&src, &[plan("pods", PODS_EXIST)], &opts_once(), &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
}

#[tokio::test]
async fn forbidden_is_an_error_an_unknown_kind_a_failure_and_others_still_checked() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    fake.apply(support::fixtures::daemonset("rng"));
    fake.forbid("deployments");
    let src = source(&fake, "t").await;
    let plans = [
        plan("deploy", "- kind: deploy\n  name: labeldemo\n"),
        plan("widgets", "- kind: widgets\n"),
        plan("pods", PODS_EXIST),
        plan(
            "ds",
            "- kind: daemonsets.apps\n  name: rng\n  ready: true\n",
        ),
        plan("gone", "- kind: ct\n  count: 0\n"),
    ];
    let r = engine::run(&src, &plans, &opts_once(), &|_| {}).await;
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
    assert!(r[0].message.contains("forbidden"), "{}", r[0].message);
    // A kind not served (yet) is the exercise not done, not a cluster
    // fault: looked for until the timeout, then `fail` in words.
    assert_eq!(r[1].verdict, Verdict::Fail, "{:#?}", r[1]);
    assert!(
        r[1].message.contains(
            "line 200: no kind `widgets` on the cluster yet: is its CustomResourceDefinition installed?"
        ) && r[1]
            .message
            .contains("doesn't have a resource type \"widgets\""),
        "{}",
        r[1].message
    );
    assert_eq!(r[2].verdict, Verdict::Pass, "{:#?}", r[2]);
    assert_eq!(r[3].verdict, Verdict::Pass, "{:#?}", r[3]);
    assert_eq!(
        r[4].verdict,
        Verdict::Pass,
        "custom resource resolved: {:#?}",
        r[4]
    );
    assert_only_reads(&fake);
}

#[tokio::test]
async fn slow_server_is_an_error_not_a_hang() {
    let fake = FakeApiServer::start().await;
    fake.set_latency(Duration::from_secs(5));
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml("t", "default")).unwrap();
    let opts = ConnectOptions {
        request_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let src = KubeSource::from_kubeconfig(kc, &opts).await.unwrap();
    let t0 = Instant::now();
    let opts = Options {
        timeout: Some(Duration::from_secs(1)),
        ..Default::default()
    };
    let r = engine::run(&src, &[plan("pods", PODS_EXIST)], &opts, &|_| {}).await;
    // Three attempts of 300 ms each at least (MIN_ATTEMPTS), not 5 s each.
    assert!(t0.elapsed() < Duration::from_secs(4), "{:?}", t0.elapsed());
    assert_eq!(r[0].verdict, Verdict::Error, "{:#?}", r[0]);
}

#[tokio::test]
async fn expectations_share_one_list_and_watch() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    let src = source(&fake, "t").await;
    let plans = [
        plan(
            "a",
            "- kind: pods\n  selector: app=labeldemo\n  phase: Running\n",
        ),
        plan(
            "b",
            "- kind: po\n  selector: app=labeldemo\n  ready: true\n",
        ),
        plan(
            "c",
            "- kind: Pod\n  selector: app = labeldemo\n  count: \"<=3\"\n",
        ),
    ];
    let r = engine::run(&src, &plans, &Options::default(), &|_| {}).await;
    assert!(r.iter().all(|x| x.verdict == Verdict::Pass), "{r:#?}");
    let lists = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/pods?") && !r.contains("watch="))
        .count();
    assert_eq!(lists, 1, "{:#?}", fake.requests());
    // Everything held on the first listing: no watch was needed.
    assert!(
        !fake.requests().iter().any(|r| r.contains("watch=")),
        "{:#?}",
        fake.requests()
    );
}

#[test]
fn a_run_is_send_so_grade_can_spawn_many() {
    fn is_send<T: Send>(_: &T) {}
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let fake = FakeApiServer::start().await;
        let src = source(&fake, "t").await;
        let plans = [plan("p", PODS_EXIST)];
        let opts = Options::default();
        let fut = engine::run(&src, &plans, &opts, &|_| {});
        is_send(&fut);
    });
}

#[tokio::test]
async fn kinds_resolve_with_aggregated_and_legacy_discovery() {
    for legacy in [false, true] {
        let fake = FakeApiServer::start().await;
        if legacy {
            fake.legacy_discovery_only();
        }
        let src = source(&fake, "t").await;
        for (kind, plural, group, namespaced) in [
            ("po", "pods", "", true),
            ("Node", "nodes", "", false),
            ("deploy", "deployments", "apps", true),
            ("daemonsets.apps", "daemonsets", "apps", true),
            ("apps/v1/ReplicaSet", "replicasets", "apps", true),
            ("ct", "crontabs", "stable.example.com", true),
        ] {
            let r = src
                .resolve_kind(kind)
                .await
                .unwrap_or_else(|e| panic!("{kind}: {e}"));
            assert_eq!(
                (r.plural.as_str(), r.group.as_str(), r.namespaced),
                (plural, group, namespaced),
                "{kind} (legacy {legacy})"
            );
        }
        let reqs = fake.requests();
        let e = src.resolve_kind("widgets").await.unwrap_err();
        assert!(
            matches!(e, labdeck::cluster::ClusterError::UnknownKind(_)),
            "{e}"
        );
        // A miss reads discovery once more, in case a CRD was just
        // installed: `/api/v1` and `/apis` again, and (legacy) only the
        // group versions not read before.
        // (Legacy: first the non-preferred versions, not read while every
        // kind was found at its group's preferred one.)
        let after: Vec<String> = fake.requests()[reqs.len()..].to_vec();
        let (others, refresh) = after.split_at(after.len().saturating_sub(2));
        assert_eq!(refresh, ["GET /api/v1", "GET /apis"], "{after:#?}");
        for r in others {
            assert!(legacy && !reqs.contains(r), "read twice: {r} {after:#?}");
        }
        let per_group = reqs.iter().filter(|r| r.starts_with("GET /apis/")).count();
        if legacy {
            assert!(per_group >= 3, "{reqs:#?}");
        } else {
            // Two documents tell everything: /api/v1 and /apis.
            assert_eq!(reqs, ["GET /api/v1", "GET /apis"], "{reqs:#?}");
        }
    }
}

#[tokio::test]
async fn watch_resumes_after_the_server_closes_it() {
    let fake = Arc::new(FakeApiServer::start().await);
    before(&fake);
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pending(pod("labeldemo-5b7c9d8f6d-lr62s")));
    // The server ends each watch after 1s; the change comes later.
    fake.apply_after(
        Duration::from_millis(2500),
        pod("labeldemo-5b7c9d8f6d-lr62s"),
    );
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml("t", "default")).unwrap();
    let opts = ConnectOptions {
        request_timeout: Duration::from_secs(2),
        ..Default::default()
    };
    let src = KubeSource::from_kubeconfig(kc, &opts).await.unwrap();
    let r = engine::run(
        &src,
        &[plan("relabel", RELABEL)],
        &Options::default(),
        &|_| {},
    )
    .await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
    let watches = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/pods?") && r.contains("watch=true"))
        .count();
    assert!(watches >= 2, "{:#?}", fake.requests());
    let relists = fake
        .requests()
        .iter()
        .filter(|r| r.contains("/pods?") && !r.contains("watch="))
        .count();
    assert_eq!(relists, 1, "resumed from its resourceVersion, no relist");
}

/// What `grade` will do: many clusters checked at once on one runtime. Here
/// 40 sources (each its own client and discovery) share one slow server.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_runs_share_one_runtime() {
    let fake = FakeApiServer::start().await;
    before(&fake);
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
    fake.set_latency(Duration::from_millis(100));
    let plans = [plan("relabel", RELABEL), plan("pods", PODS_EXIST)];
    let mut sources = Vec::new();
    for _ in 0..40 {
        sources.push(source(&fake, "t").await);
    }
    let opts = Options::default();
    let t0 = Instant::now();
    let all = futures::future::join_all(
        sources
            .iter()
            .map(|s| engine::run(s, &plans, &opts, &|_| {})),
    )
    .await;
    let took = t0.elapsed();
    eprintln!(
        "40 clusters x 2 exercises at 100 ms per request: {took:?}, {} requests",
        fake.requests().len()
    );
    for results in &all {
        assert!(
            results.iter().all(|r| r.verdict == Verdict::Pass),
            "{results:#?}"
        );
    }
    // Per run: /api/v1 (pods are core: no other group is read), then one
    // list of the namespace's pods shared by the three selectors, no watch.
    assert_eq!(fake.requests().len(), 40 * 2, "{:#?}", fake.requests());
}

#[tokio::test]
async fn a_crd_installed_after_discovery_is_found() {
    // `labdeck run` keeps one source while exercises install CRDs.
    let fake = FakeApiServer::start().await;
    fake.hide_resource("crontabs");
    let src = source(&fake, "t").await;
    assert_eq!(src.resolve_kind("po").await.unwrap().plural, "pods");
    assert!(src.resolve_kind("ct").await.is_err(), "not installed yet");
    fake.serve_resource("crontabs");
    let r = src.resolve_kind("ct").await.expect("found after a refresh");
    assert_eq!(
        (r.plural.as_str(), r.group.as_str()),
        ("crontabs", "stable.example.com")
    );
    // Known kinds do not refetch discovery.
    let before = fake.requests().len();
    src.resolve_kind("deploy").await.unwrap();
    assert_eq!(fake.requests().len(), before);
}

#[tokio::test]
async fn namespaces_field_selectors_and_cluster_scoped_kinds() {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("web-a"));
    fake.apply(pending(pod("web-b")));
    fake.apply(support::fixtures::in_namespace(pod("web-c"), "class"));
    fake.apply(support::fixtures::node("kind-control-plane"));
    let src = source(&fake, "t").await;
    let plans = [
        plan("default-ns", "- kind: pods\n  name: web-*\n  count: 2\n"),
        plan(
            "all-ns",
            "- kind: pods\n  namespace: \"*\"\n  name: web-*\n  count: 3\n",
        ),
        plan("named-ns", "- kind: pods\n  namespace: class\n  count: 1\n"),
        plan(
            "fields",
            "- kind: pods\n  fields: status.phase=Running\n  count: 1\n",
        ),
        plan(
            "node",
            "- kind: nodes\n  namespace: ignored\n  ready: true\n  count: 1\n",
        ),
    ];
    let r = engine::run(&src, &plans, &opts_once(), &|_| {}).await;
    for x in &r {
        assert_eq!(x.verdict, Verdict::Pass, "{x:#?}");
    }
    let reqs = fake.requests();
    assert!(
        reqs.iter().any(|r| r.starts_with("GET /api/v1/pods?")),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter().any(|r| r.contains("/namespaces/class/pods")),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter()
            .any(|r| r.contains("fieldSelector=status.phase%3DRunning")),
        "{reqs:#?}"
    );
    assert!(
        reqs.iter().any(|r| r.starts_with("GET /api/v1/nodes?")),
        "{reqs:#?}"
    );
}
