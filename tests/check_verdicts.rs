//! Verdicts as kubectl (and the student reading them) would give them, each
//! through the real `kube::Client` against the fake API server, with
//! objects as `kubectl get -o json` prints them (tests/fixtures): rollouts,
//! scale-downs, crash loops, lists in `match`, omitted counters, owner
//! chains, Jobs, checks the remark lexer used to split, durations.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use labdeck::check::engine::{self, ExerciseResult, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use serde_json::json;
use support::apiserver::FakeApiServer;
use support::cli::labdeck;
use support::fixtures::{
    crashloop_pod, daemonset, deployment, job, orphan, pod, replicaset, rollout, statefulset,
    terminating,
};

fn plan(yaml: &str) -> Plan {
    let src = CheckSource {
        yaml: yaml.to_string(),
        file: "k8s/verdicts.md".into(),
        line: 10,
    };
    Plan {
        id: "ex".into(),
        file: src.file.clone(),
        line: 5,
        title: "Verdicts".into(),
        check: spec::parse(&src).expect("check parses"),
    }
}

async fn source(fake: &FakeApiServer) -> KubeSource {
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml("t", "default")).unwrap();
    let opts = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    KubeSource::from_kubeconfig(kc, &opts).await.unwrap()
}

/// Checks `yaml` once (`--timeout 0`).
async fn once(fake: &FakeApiServer, yaml: &str) -> ExerciseResult {
    let src = source(fake).await;
    let opts = Options {
        timeout: Some(Duration::ZERO),
        ..Default::default()
    };
    let mut r = engine::run(&src, &[plan(yaml)], &opts, &|_| {}).await;
    r.remove(0)
}

fn failed_of(r: &ExerciseResult) -> Vec<String> {
    r.expectations
        .iter()
        .flat_map(|e| e.objects.iter().flat_map(|o| o.failed.clone()))
        .collect()
}

const WEB_READY: &str = "- kind: deploy\n  name: web\n  ready: true\n";

#[tokio::test]
async fn a_deployment_is_ready_when_rolled_out_by_kubectls_rules() {
    let fake = FakeApiServer::start().await;
    // Right after `kubectl set image`: READY still 3/3, spec not observed.
    fake.apply(rollout(deployment("web"), 2, 1, 3, [3, 3, 3, 3]));
    let r = once(&fake, WEB_READY).await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    assert_eq!(
        failed_of(&r),
        ["not ready (Waiting for deployment spec update to be observed)"]
    );

    // Mid-rollout: 1 of 3 pods updated, the old ones still ready.
    fake.apply(rollout(deployment("web"), 2, 2, 3, [4, 1, 3, 3]));
    let r = once(&fake, WEB_READY).await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        failed_of(&r),
        [
            "not ready (Waiting for deployment \"web\" rollout to finish: 1 out of 3 new replicas have been updated)"
        ]
    );
    assert!(
        r.message.contains("deploy/web (ready): 0 of 1"),
        "{}",
        r.message
    );

    // Old replicas still terminating, then new ones not yet available.
    fake.apply(rollout(deployment("web"), 2, 2, 3, [4, 3, 4, 4]));
    assert_eq!(
        failed_of(&once(&fake, WEB_READY).await),
        [
            "not ready (Waiting for deployment \"web\" rollout to finish: 1 old replicas are pending termination)"
        ]
    );
    fake.apply(rollout(deployment("web"), 2, 2, 3, [3, 3, 2, 2]));
    assert_eq!(
        failed_of(&once(&fake, WEB_READY).await),
        [
            "not ready (Waiting for deployment \"web\" rollout to finish: 2 of 3 updated replicas are available)"
        ]
    );

    // Past its progress deadline: kubectl rollout status fails.
    let mut stuck = rollout(deployment("web"), 2, 2, 3, [3, 3, 3, 3]);
    stuck["status"]["conditions"] = json!([
        {"type": "Available", "status": "True", "reason": "MinimumReplicasAvailable"},
        {"type": "Progressing", "status": "False", "reason": "ProgressDeadlineExceeded",
         "message": "ReplicaSet \"web-7f9c\" has timed out progressing."}
    ]);
    fake.apply(stuck);
    assert_eq!(
        failed_of(&once(&fake, WEB_READY).await),
        ["not ready (deployment \"web\" exceeded its progress deadline)"]
    );
}

#[tokio::test]
async fn a_rollout_passes_the_moment_it_completes() {
    let fake = Arc::new(FakeApiServer::start().await);
    fake.apply(rollout(deployment("web"), 2, 2, 3, [4, 1, 3, 3]));
    fake.apply_after(
        Duration::from_millis(800),
        rollout(deployment("web"), 2, 2, 3, [3, 3, 3, 3]),
    );
    let src = source(&fake).await;
    let t0 = Instant::now();
    let r = engine::run(
        &src,
        &[plan(&format!(
            "timeout: 20s\nexpect:\n{}",
            indent(WEB_READY)
        ))],
        &Options::default(),
        &|_| {},
    )
    .await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{:#?}", r[0]);
    assert!(
        t0.elapsed() < Duration::from_secs(10),
        "watched, not timed out"
    );
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("  {l}\n")).collect()
}

#[tokio::test]
async fn daemon_sets_and_stateful_sets_follow_rollout_status() {
    let fake = FakeApiServer::start().await;
    let mut ds = daemonset("rng");
    ds["metadata"]["generation"] = json!(2);
    ds["status"]["observedGeneration"] = json!(2);
    ds["status"]["updatedNumberScheduled"] = json!(1);
    fake.apply(ds);
    let r = once(&fake, "- kind: ds\n  name: rng\n  ready: true\n").await;
    assert_eq!(
        failed_of(&r),
        [
            "not ready (Waiting for daemon set \"rng\" rollout to finish: 1 out of 2 new pods have been updated)"
        ]
    );

    let mut sts = statefulset("db");
    sts["spec"]["updateStrategy"]["rollingUpdate"]["partition"] = json!(1);
    sts["status"]["updatedReplicas"] = json!(1);
    sts["status"]["updateRevision"] = json!("db-5c8d7e9f1");
    fake.apply(sts.clone());
    let r = once(&fake, "- kind: sts\n  name: db\n  ready: true\n").await;
    assert_eq!(
        failed_of(&r),
        [
            "not ready (Waiting for partitioned roll out to finish: 1 out of 2 new pods have been updated)"
        ]
    );
    sts["status"]["updatedReplicas"] = json!(2);
    fake.apply(sts);
    let r = once(&fake, "- kind: sts\n  name: db\n  ready: true\n").await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

/// After `kubectl scale --replicas=3` from 5: two pods are Terminating for
/// their grace period. They are not running, not ready, not counted.
#[tokio::test]
async fn a_scale_down_passes_while_old_pods_terminate() {
    let fake = FakeApiServer::start().await;
    for i in 1..=5 {
        let p = pod(&format!("labeldemo-5b7c9d8f6d-p{i}"));
        fake.apply(if i > 3 { terminating(p) } else { p });
    }
    let r = once(
        &fake,
        "- kind: pods\n  selector: app=labeldemo\n  count: 3\n  phase: Running\n  ready: true\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    let objs = &r.expectations[0].objects;
    assert_eq!(objs.len(), 5, "listed, with why they do not count");
    assert_eq!(objs[3].failed, ["being deleted (Terminating)"]);

    // A check can ask for them.
    let r = once(&fake, "- kind: pods\n  phase: Terminating\n  count: 2\n").await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    // `count: 0` with a name: a pod being deleted is already gone.
    let r = once(
        &fake,
        "- kind: pods\n  name: labeldemo-5b7c9d8f6d-p5\n  count: 0\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

#[tokio::test]
async fn a_crash_looping_pod_is_not_running() {
    let fake = FakeApiServer::start().await;
    fake.apply(crashloop_pod("labeldemo-5b7c9d8f6d-c7x2q"));
    let r = once(&fake, "- kind: pods\n  phase: Running\n").await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(failed_of(&r), ["phase CrashLoopBackOff, want Running"]);
    assert_eq!(
        r.message,
        "pods (phase Running): 0 of 1 matching object(s) pass, want >=1"
    );
    // Slides speak kubectl's STATUS column.
    let r = once(
        &fake,
        "- kind: pods\n  phase: CrashLoopBackOff\n  ready: false\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

#[tokio::test]
async fn a_list_in_match_means_these_elements_are_present() {
    let fake = FakeApiServer::start().await;
    fake.apply(job("pi"));
    let mut p = pod("web-1");
    p["spec"]["volumes"]
        .as_array_mut()
        .unwrap()
        .push(json!({"name": "conf", "configMap": {"defaultMode": 420, "name": "web"}}));
    fake.apply(p);
    let r = once(
        &fake,
        "- kind: jobs\n  match:\n    status:\n      conditions:\n        - {type: Complete, status: \"True\"}\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    let r = once(
        &fake,
        "- kind: pods\n  name: web-1\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    // An exact list: match plus a length test.
    let r = once(
        &fake,
        "- kind: pods\n  name: web-1\n  match:\n    spec:\n      volumes:\n        - configMap: {name: web}\n  where: ['len(spec.volumes) == 1']\n",
    )
    .await;
    assert_eq!(failed_of(&r), ["len(spec.volumes) is 2, want == 1"]);
}

#[tokio::test]
async fn counters_the_api_server_omits_read_as_zero() {
    let fake = FakeApiServer::start().await;
    // `kubectl scale deploy/web --replicas=0`: the API server drops every
    // zero counter from status.
    fake.apply(rollout(deployment("web"), 2, 2, 0, [0, 0, 0, 0]));
    let r = once(
        &fake,
        "- kind: deploy\n  name: web\n  where: [status.readyReplicas == 0, status.replicas == 0, status.availableReplicas < 1]\n  ready: true\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    let r = once(
        &fake,
        "- kind: deploy\n  name: web\n  where: [status.readyReplicas >= 1]\n",
    )
    .await;
    assert_eq!(failed_of(&r), ["status.readyReplicas is 0, want >= 1"]);
}

#[tokio::test]
async fn owner_follows_the_controller_chain_through_replica_sets() {
    let fake = FakeApiServer::start().await;
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod("labeldemo-5b7c9d8f6d-p2rk9"));
    for spelling in ["Deployment", "deploy", "deployments.apps", "deployment"] {
        let r = once(
            &fake,
            &format!("- kind: pods\n  owner: {spelling}\n  count: 1\n"),
        )
        .await;
        assert_eq!(r.verdict, Verdict::Pass, "{spelling}: {r:#?}");
    }
    for spelling in ["rs", "ReplicaSet", "replicasets.apps"] {
        let r = once(&fake, &format!("- kind: pods\n  owner: {spelling}\n")).await;
        assert_eq!(r.verdict, Verdict::Pass, "{spelling}: {r:#?}");
    }
    // The ReplicaSets were read, and only read.
    let reqs = fake.requests();
    assert!(reqs.iter().any(|r| r.contains("/replicasets")), "{reqs:#?}");
    assert!(reqs.iter().all(|r| r.starts_with("GET ")), "{reqs:#?}");

    // A custom controller, named as `kind` would name it: the cluster's
    // discovery says `ct` is the Kind CronTab.
    let mut p = pod("nightly-x1");
    p["metadata"]["ownerReferences"] = json!([{"apiVersion": "stable.example.com/v1",
        "kind": "CronTab", "name": "nightly", "uid": "1b2c3d4e-0000-4000-8000-000000000002",
        "controller": true, "blockOwnerDeletion": true}]);
    fake.apply(p);
    for spelling in ["ct", "crontabs", "CronTab"] {
        let r = once(
            &fake,
            &format!("- kind: pods\n  name: nightly-*\n  owner: {spelling}\n"),
        )
        .await;
        assert_eq!(r.verdict, Verdict::Pass, "{spelling}: {r:#?}");
    }

    // A ReplicaSet made by hand (no Deployment above it).
    fake.apply(orphan(replicaset("solo")));
    let mut p = pod("solo-x1");
    p["metadata"]["ownerReferences"][0]["name"] = json!("solo");
    p["metadata"]["ownerReferences"][0]["uid"] = json!("9d8c7b6a-0000-4000-8000-000000000001");
    let mut rs = orphan(replicaset("solo"));
    rs["metadata"]["uid"] = json!("9d8c7b6a-0000-4000-8000-000000000001");
    fake.apply(rs);
    fake.apply(p);
    let r = once(&fake, "- kind: pods\n  name: solo-*\n  owner: Deployment\n").await;
    assert_eq!(r.verdict, Verdict::Fail);
    assert_eq!(
        failed_of(&r),
        ["owned by ReplicaSet solo, want a Deployment"]
    );
}

#[tokio::test]
async fn a_job_is_ready_when_complete() {
    let fake = FakeApiServer::start().await;
    let mut running = job("pi");
    running["status"] = json!({"active": 1, "ready": 1, "startTime": "2026-11-24T07:10:00Z",
                              "terminating": 0, "uncountedTerminatedPodUIDs": {}});
    fake.apply(running);
    let r = once(&fake, "- kind: jobs\n  name: pi\n  ready: true\n").await;
    assert_eq!(
        failed_of(&r),
        ["not ready (job status Running, want Complete)"]
    );
    fake.apply(job("pi"));
    let r = once(
        &fake,
        "- kind: jobs\n  name: pi\n  ready: true\n  phase: Complete\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

#[test]
fn checks_that_can_never_hold_are_parse_errors_naming_what_would() {
    let err = |yaml: &str| {
        spec::parse(&CheckSource {
            yaml: yaml.into(),
            file: "k8s/x.md".into(),
            line: 20,
        })
        .unwrap_err()
        .to_string()
    };
    let e = err("- kind: cm\n  ready: true\n");
    assert!(
        e.starts_with("k8s/x.md:21: check: `ready`: configmaps have no readiness"),
        "{e}"
    );
    let e = err("- kind: pods\n  phase: Bound\n");
    assert!(
        e.starts_with("k8s/x.md:21:") && e.contains("CrashLoopBackOff"),
        "{e}"
    );
    let e = err("- kind: deploy\n  phase: Running\n");
    assert!(e.contains("deployments.apps have no phase"), "{e}");
    let e = err("- kind: ns\n  phase: Running\n");
    assert!(e.contains("want one of Active, Terminating"), "{e}");
    let e = err("- kind: deploy\n  fields: spec.replicas=3\n");
    assert!(
        e.contains("refuses field selector \"spec.replicas\" on deployments.apps")
            && e.contains("accepts metadata.name, metadata.namespace"),
        "{e}"
    );
    let e = err("- kind: svc\n  fields: spec.selector=x\n");
    assert!(e.contains("spec.clusterIP, spec.type"), "{e}");
    let e = err("timeout: 9223372036854775807\nexpect:\n  - kind: pods\n");
    assert!(
        e.starts_with("k8s/x.md:20: check: timeout:") && e.contains("7days maximum"),
        "{e}"
    );
    // What the API server does accept parses.
    for ok in [
        "- kind: pods\n  fields: status.phase=Running,spec.nodeName!=n1\n",
        "- kind: svc\n  fields: spec.type=NodePort\n",
        "- kind: crontabs\n  phase: Whatever\n  ready: true\n",
        "- kind: pods\n  phase: Init:0/1\n",
    ] {
        spec::parse(&CheckSource {
            yaml: ok.into(),
            file: "k8s/x.md".into(),
            line: 1,
        })
        .unwrap_or_else(|e| panic!("{ok}: {e}"));
    }
}

/// A deck whose check has `containers[0]` at the margin: the remark lexer
/// splits such a comment; `exercises`, `lint` and `check` must all see it.
const SPLIT_DECK: &str = "# T\n\n---\n\n## Image\n\n.exercise[\n- `kubectl set image deploy/web alpine=nginx`\n]\n\n<!-- check\nid: web-image   # after set image\nexpect:\n- kind: deploy\n  name: web\n  where:\n  - spec.template.spec.containers[0].image == nginx\n-->\n";

fn write_deck(chapter: &str) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ch.md"), chapter).unwrap();
    std::fs::write(
        dir.path().join("deck.yml"),
        "title: T\ncontent:\n- - ch.md\n",
    )
    .unwrap();
    let manifest = dir.path().join("deck.yml").display().to_string();
    (dir, manifest)
}

#[tokio::test]
async fn a_check_the_lexer_splits_is_checked_against_the_cluster() {
    let fake = FakeApiServer::start().await;
    fake.apply(deployment("web"));
    let (dir, manifest) = write_deck(SPLIT_DECK);
    let kubeconfig = fake.write_kubeconfig(dir.path(), "t", "default");
    let out = labdeck(&[
        "check",
        &manifest,
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "--timeout",
        "0",
        "--format",
        "json",
    ])
    .await;
    let report: serde_json::Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    let r = &report["results"][0];
    assert_eq!(r["id"], "web-image");
    assert_eq!(r["verdict"], "fail", "{r:#}");
    assert_eq!(
        r["expectations"][0]["objects"][0]["failed"][0],
        "spec.template.spec.containers[0].image is \"alpine\", want == \"nginx\""
    );
    assert_eq!(out.code, 1);
    assert!(fake.requests().iter().any(|r| r.contains("/deployments")));

    // `--timeout 30` is 30 seconds, as `30s` is.
    fake.apply({
        let mut d = deployment("web");
        d["spec"]["template"]["spec"]["containers"][0]["image"] = json!("nginx");
        d
    });
    let out = labdeck(&[
        "check",
        &manifest,
        "--kubeconfig",
        &kubeconfig.display().to_string(),
        "--timeout",
        "30",
    ])
    .await;
    assert_eq!(out.code, 0, "{}\n{}", out.stdout, out.stderr);
}

#[tokio::test]
async fn durations_beyond_the_cap_are_one_clear_error_not_a_panic() {
    let (_dir, manifest) = write_deck(SPLIT_DECK);
    for (args, flag) in [
        (
            vec!["check", &manifest, "--timeout", "18446744073709551615"],
            "--timeout",
        ),
        (
            vec!["grade", &manifest, "--timeout", "300000000000y"],
            "--timeout",
        ),
        (
            vec!["run", &manifest, "--command-timeout", "300000000000y"],
            "--command-timeout",
        ),
    ] {
        let out = labdeck(&args).await;
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains(flag) && out.stderr.contains("longer than the 7days maximum"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
    // A check's own timeout: an error at its line, before any cluster.
    let (_dir, manifest) = write_deck(&SPLIT_DECK.replace(
        "id: web-image   # after set image\n",
        "id: web-image\ntimeout: 9223372036854775807\n",
    ));
    let out = labdeck(&["check", &manifest, "--kubeconfig", "/nonexistent"]).await;
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("ch.md:13: check: timeout:") && out.stderr.contains("maximum"),
        "{}",
        out.stderr
    );
}

#[test]
fn lint_flags_misspelt_kinds_and_lost_checks() {
    let chapter = "# T\n\n---\n\n.exercise[\n- a\n]\n\n<!-- check\n- kind: deploymnts\n  name: web\n- kind: crontabs\n- kind: pods\n  owner: Deploymnet\n-->\n\n???\n\n<!-- check\n- kind: pods\n-->\n";
    let (_dir, manifest) = write_deck(chapter);
    let all = labdeck::lint::lint_decks(
        &[std::path::PathBuf::from(&manifest)],
        &labdeck::deck::LoadOptions::default(),
    );
    // Only what the checks cause (the test deck's one part also gets a
    // generated "back to the table of contents" link with no TOC slide).
    let found: Vec<_> = all
        .iter()
        .filter(|d| !matches!(d.code, "exercise-without-command" | "dangling-link"))
        .map(|d| (d.code, d.location.line, d.is_error()))
        .collect();
    assert_eq!(
        found,
        [
            ("unknown-kind", 10, true),
            ("unknown-kind", 13, true),
            ("lost-check", 19, true)
        ],
        "{all:#?}"
    );
    let kind = all.iter().find(|d| d.code == "unknown-kind").unwrap();
    assert!(
        kind.message.contains("did you mean \"deployments\""),
        "{}",
        kind.message
    );
}

/// Issue 20: a Job whose success criteria are met while its pods still
/// terminate (kubectl 1.34+ STATUS `SuccessCriteriaMet`) is not `Running`,
/// and the word is a phase a check may ask for.
#[tokio::test]
async fn regression_job_success_criteria_met_is_not_running() {
    let fake = FakeApiServer::start().await;
    let mut j = job("pi");
    j["status"] = json!({"active": 1, "startTime": "2026-11-24T07:10:00Z",
        "conditions": [{"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                        "lastProbeTime": "2026-11-24T07:10:40Z", "lastTransitionTime": "2026-11-24T07:10:40Z"}]});
    fake.apply(j);
    let r = once(&fake, "- kind: jobs\n  name: pi\n  phase: Running\n").await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    assert_eq!(failed_of(&r), ["phase SuccessCriteriaMet, want Running"]);
    let r = once(
        &fake,
        "- kind: jobs\n  name: pi\n  phase: SuccessCriteriaMet\n",
    )
    .await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    // Not yet Complete: `ready` (kubectl wait --for=condition=Complete) waits.
    let r = once(&fake, "- kind: jobs\n  name: pi\n  ready: true\n").await;
    assert_eq!(
        failed_of(&r),
        ["not ready (job status SuccessCriteriaMet, want Complete)"]
    );
    // Lint accepts the word on jobs, and still refuses it on pods.
    let pods = spec::parse(&CheckSource {
        yaml: "- kind: pods\n  phase: SuccessCriteriaMet\n".into(),
        file: "k8s/verdicts.md".into(),
        line: 10,
    })
    .expect_err("never a pod's STATUS");
    assert!(
        pods.to_string()
            .contains("phase \"SuccessCriteriaMet\" is never a pod's"),
        "{pods}"
    );
}

/// Issue 20: `ready: true` on a custom resource ignores a `Ready`
/// condition written for an older generation, as `kubectl wait
/// --for=condition=Ready` does (kubectl `pkg/cmd/wait/condition.go`).
#[tokio::test]
async fn regression_a_stale_ready_condition_is_not_ready() {
    let fake = FakeApiServer::start().await;
    // cert-manager: `observedGeneration` on each condition. Edited to
    // generation 2 (new dnsNames); Ready=True still speaks of generation 1.
    let cert = |observed: i64| {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": "web-tls", "namespace": "default", "generation": 2,
                         "creationTimestamp": "2026-11-24T07:00:00Z", "uid": "cert-uid"},
            "spec": {"secretName": "web-tls", "dnsNames": ["web.example.com", "www.example.com"],
                     "issuerRef": {"name": "ca", "kind": "ClusterIssuer"}},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "Ready",
                "message": "Certificate is up to date and has not expired",
                "lastTransitionTime": "2026-11-24T07:00:05Z", "observedGeneration": observed}],
                "notAfter": "2027-02-22T07:00:05Z"}})
    };
    fake.apply(cert(1));
    let yaml = "- kind: certificates.cert-manager.io\n  name: web-tls\n  ready: true\n";
    let r = once(&fake, yaml).await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    assert_eq!(
        failed_of(&r),
        [
            "not ready (Ready=True is for generation 1, the object is at generation 2: not yet reconciled)"
        ]
    );
    fake.apply(cert(2));
    let r = once(&fake, yaml).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");

    // Flux: `status.observedGeneration`, conditions without their own.
    let ks = |observed: i64| {
        json!({"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
            "metadata": {"name": "apps", "namespace": "default", "generation": 3,
                         "creationTimestamp": "2026-11-24T07:00:00Z", "uid": "ks-uid"},
            "spec": {"interval": "10m", "path": "./apps", "prune": true,
                     "sourceRef": {"kind": "GitRepository", "name": "flux-system"}},
            "status": {"observedGeneration": observed,
                "conditions": [{"type": "Ready", "status": "True", "reason": "ReconciliationSucceeded",
                    "message": "Applied revision: main@sha1:1a2b3c",
                    "lastTransitionTime": "2026-11-24T07:00:05Z"}]}})
    };
    fake.apply(ks(2));
    let yaml = "- kind: ks\n  name: apps\n  ready: true\n";
    let r = once(&fake, yaml).await;
    assert_eq!(
        failed_of(&r),
        [
            "not ready (Ready=True is for generation 2, the object is at generation 3: not yet reconciled)"
        ]
    );
    fake.apply(ks(3));
    let r = once(&fake, yaml).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
}

/// A running pod of `labeldemo` whose container the kubelet restarted
/// `restarts` times, the current run started `ago` before now.
fn restarted_pod(restarts: i64, ago: Duration) -> serde_json::Value {
    let mut p = pod("labeldemo-5b7c9d8f6d-r4x9z");
    let started = std::time::SystemTime::now() - ago;
    let c = &mut p["status"]["containerStatuses"][0];
    c["restartCount"] = json!(restarts);
    c["state"] = json!({"running": {"startedAt": labdeck::duration::rfc3339(started)}});
    c["lastState"] = json!({"terminated": {"exitCode": 1, "reason": "Error",
        "startedAt": labdeck::duration::rfc3339(started - Duration::from_secs(2)),
        "finishedAt": labdeck::duration::rfc3339(started)}});
    p
}

/// Issue 20: a crash-looping pod is not `Running` (nor ready) in the
/// seconds the kubelet runs it between two crashes (kubectl: `1/1 Running
/// 4 (2s ago)`), on a pod that really flaps over time.
#[tokio::test]
async fn regression_a_crash_looping_pod_does_not_pass_while_restarted() {
    let fake = Arc::new(FakeApiServer::start().await);
    // 1. The moment the kubelet has restarted it: Running, Ready=True.
    fake.apply(restarted_pod(4, Duration::ZERO));
    for yaml in [
        "- kind: pods\n  phase: Running\n",
        "- kind: pods\n  ready: true\n",
    ] {
        let r = once(&fake, yaml).await;
        assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
        let failed = failed_of(&r);
        assert_eq!(failed.len(), 1, "{failed:?}");
        assert!(
            failed[0].contains("container \"alpine\" restarted ")
                && failed[0].contains(
                    "s ago (restarts: 4, last exit: Error); it counts as running once it has run 30s without restarting"
                ),
            "{failed:?}"
        );
        assert!(
            failed[0].starts_with("phase Running, but container")
                || failed[0].starts_with("not ready (container"),
            "{failed:?}"
        );
    }
    // 2. Restarted long ago and running since: a worker that crashed while
    // its database started. It passes.
    fake.apply(restarted_pod(3, Duration::from_secs(600)));
    let r = once(&fake, "- kind: pods\n  phase: Running\n  ready: true\n").await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");

    // 3. Settling with nothing else changing: the check looks again when
    // the 30 s have passed, and passes then (not at its timeout).
    fake.apply(restarted_pod(1, Duration::from_secs(29)));
    let src = source(&fake).await;
    let opts = Options {
        timeout: Some(Duration::from_secs(10)),
        ..Default::default()
    };
    let began = Instant::now();
    let r = engine::run(
        &src,
        &[plan("- kind: pods\n  phase: Running\n  ready: true\n")],
        &opts,
        &|_| {},
    )
    .await;
    assert_eq!(r[0].verdict, Verdict::Pass, "{r:#?}");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "{:?}",
        began.elapsed()
    );

    // 4. A pod that flaps (already restarted 5 times: kubectl showed
    // `0/1 CrashLoopBackOff 5`): 1 s running, 1 s in CrashLoopBackOff,
    // restarts climbing. Waiting 4 s sees it Running twice; it never passes.
    fake.delete("v1", "Pod", "default", "labeldemo-5b7c9d8f6d-r4x9z");
    fake.crash_loop(
        crashloop_pod("labeldemo-5b7c9d8f6d-c7x2q"),
        Duration::from_secs(1),
        Duration::from_secs(1),
    );
    let opts = Options {
        timeout: Some(Duration::from_secs(4)),
        ..Default::default()
    };
    for yaml in [
        "- kind: pods\n  phase: Running\n",
        "- kind: pods\n  ready: true\n",
    ] {
        let r = engine::run(&src, &[plan(yaml)], &opts, &|_| {}).await;
        assert_eq!(r[0].verdict, Verdict::Fail, "{:#?}", r[0]);
        let failed = failed_of(&r[0]);
        assert!(
            failed == ["phase CrashLoopBackOff, want Running"]
                || failed == ["not ready (Ready=False: ContainersNotReady)"]
                || (failed.len() == 1 && failed[0].contains("s ago (restarts: ")),
            "{failed:?}"
        );
    }
}

/// Issue 20: checks copied from the slide's YAML hold on objects as the API
/// server stores them: quantities canonical (`cpu: 0.25` is `"250m"`,
/// `memory: 1024Mi` is `"1Gi"`), label values strings; `match` and `where`
/// agree; lint says when a literal can never be what the server returns.
#[tokio::test]
async fn regression_quantities_compare_by_value_and_labels_as_strings() {
    let fake = FakeApiServer::start().await;
    let mut p = pod("web-0");
    p["metadata"]["labels"] = json!({"app": "web", "tier": "1"});
    p["spec"]["containers"][0]["resources"] = json!({
        "requests": {"cpu": 0.25, "memory": "1024Mi"},
        "limits": {"cpu": 1, "memory": "1.5Gi"}});
    fake.apply(p);
    // Stored as kube-apiserver stores it.
    let r = once(&fake, "- kind: pods\n  name: web-0\n  match:\n    spec:\n      containers:\n        - resources:\n            requests: {cpu: \"250m\", memory: \"1Gi\"}\n            limits: {cpu: \"1\", memory: \"1536Mi\"}\n").await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    // A label value that is not a string is refused, as the server does.
    let mut bad = pod("web-1");
    bad["metadata"]["labels"] = json!({"tier": 1});
    let err = fake.try_apply(bad).expect_err("400");
    assert_eq!(
        err,
        "400 BadRequest: Pod in version \"v1\" cannot be handled as a Pod: json: cannot unmarshal number into Go struct field ObjectMeta.metadata.labels of type string"
    );
    // The slide's own spelling holds, in `match` and in `where` alike.
    for yaml in [
        "- kind: pods\n  name: web-0\n  match:\n    metadata: {labels: {tier: 1}}\n    spec:\n      containers:\n        - resources:\n            requests: {cpu: 0.25, memory: 1024Mi}\n            limits: {cpu: 1, memory: 1.5Gi}\n",
        "- kind: pods\n  name: web-0\n  where:\n    - metadata.labels.tier == 1\n    - spec.containers[0].resources.requests.cpu == 0.25\n    - spec.containers[0].resources.requests.memory == 1024Mi\n    - spec.containers[0].resources.limits.cpu >= 500m\n    - spec.containers[0].resources.limits.memory < 2Gi\n",
    ] {
        let r = once(&fake, yaml).await;
        assert_eq!(r.verdict, Verdict::Pass, "{yaml}: {r:#?}");
    }
    // A wrong value fails in both, with the server's form in the message.
    let r = once(&fake, "- kind: pods\n  name: web-0\n  match:\n    spec:\n      containers:\n        - resources: {requests: {cpu: 0.5}}\n").await;
    assert_eq!(
        failed_of(&r),
        ["match: spec.containers[0].resources.requests.cpu is \"250m\", want 0.5"]
    );
    let r = once(&fake, "- kind: pods\n  name: web-0\n  where:\n    - spec.containers[0].resources.requests.cpu == 0.5\n").await;
    assert_eq!(
        failed_of(&r),
        ["spec.containers[0].resources.requests.cpu is \"250m\", want == 0.5"]
    );
    // Lint: literals the server can never return.
    let c = spec::parse(&CheckSource {
        yaml: "- kind: pods\n  match:\n    metadata: {labels: {version: 1.10}}\n    spec:\n      containers:\n        - resources: {requests: {cpu: 1 core}}\n".into(),
        file: "k8s/verdicts.md".into(),
        line: 10,
    })
    .expect("parses");
    let found: Vec<(bool, &str, String)> = spec::lint(&c)
        .into_iter()
        .map(|f| (f.error, f.code, f.message))
        .collect();
    assert_eq!(
        found,
        [
            (
                false,
                "never-returned",
                "check: match: metadata.labels.version is 1.1: label and annotation values are strings; YAML read this as the number 1.1, so a value written `1.10` never matches: quote it".to_string()
            ),
            (
                true,
                "never-returned",
                "check: match: spec.containers[0].resources.requests.cpu is \"1 core\": the API server keeps a quantity there (250m, 0.5, 512Mi, 2Gi, 1e3) and can never return \"1 core\"".to_string()
            ),
        ]
    );
}

/// Issue 20: a field selector the server refuses for a kind (services'
/// `spec.type` before 1.31, a custom resource's fields without
/// `selectableFields`: 400 "field label not supported") is applied by
/// labdeck over the objects listed without it, instead of failing the class
/// with `error`.
#[tokio::test]
async fn regression_a_field_selector_the_server_refuses_is_applied_locally() {
    let fake = FakeApiServer::start().await;
    let cert = |name: &str, secret: &str| {
        json!({"apiVersion": "cert-manager.io/v1", "kind": "Certificate",
            "metadata": {"name": name, "namespace": "default", "generation": 1,
                         "creationTimestamp": "2026-11-24T07:00:00Z", "uid": format!("{name}-uid")},
            "spec": {"secretName": secret, "issuerRef": {"name": "ca", "kind": "ClusterIssuer"}}})
    };
    fake.apply(cert("a", "web-tls"));
    fake.apply(cert("b", "api-tls"));
    let one =
        "- kind: certificates.cert-manager.io\n  fields: spec.secretName=web-tls\n  count: 1\n";
    let r = once(&fake, one).await;
    assert_eq!(r.verdict, Verdict::Pass, "{r:#?}");
    let none =
        "- kind: certificates.cert-manager.io\n  fields: spec.secretName=nope\n  count: \">=1\"\n";
    let r = once(&fake, none).await;
    assert_eq!(r.verdict, Verdict::Fail, "{r:#?}");
    // The server was asked first, and refused.
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.contains("fieldSelector=spec.secretName")),
        "{:#?}",
        fake.requests()
    );
}
