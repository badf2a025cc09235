//! `labdeck grade` from the command line: inputs, selection, formats, exit
//! codes, bad input, and the `--watch` board following a student.

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::apiserver::FakeApiServer;
use support::cli::labdeck;
use support::fixtures::*;

const DECK: &str = "slides/labdeck-sample.yml";
const ACTIVE: &str = "labeldemo-5b7c9d8f6d-p2rk9";

fn created(fake: &FakeApiServer) {
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod(ACTIVE));
}

fn relabel(fake: &FakeApiServer) {
    fake.apply(orphan(label(pod(ACTIVE), "isactive", "no")));
    fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
}

async fn relabelled() -> FakeApiServer {
    let f = FakeApiServer::start().await;
    created(&f);
    relabel(&f);
    f
}

/// A folder with one kubeconfig per (student, server).
fn class(dir: &Path, students: &[(&str, &FakeApiServer)]) -> PathBuf {
    let k = dir.join("class");
    std::fs::create_dir_all(&k).unwrap();
    for (name, fake) in students {
        std::fs::write(
            k.join(format!("{name}.yaml")),
            fake.kubeconfig_yaml("t", "default"),
        )
        .unwrap();
    }
    k
}

fn names(report: &Value) -> Vec<String> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exit_codes_table_and_explain() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (relabelled().await, relabelled().await);
    let c = FakeApiServer::start().await;
    created(&c);
    let all_pass = class(&dir.path().join("p"), &[("alice", &a), ("bob", &b)]);
    let one_fails = class(&dir.path().join("f"), &[("alice", &a), ("carol", &c)]);
    let grade = |kd: PathBuf, extra: &'static [&'static str]| async move {
        let kd = kd.to_str().unwrap().to_string();
        let mut args = vec![
            "grade",
            DECK,
            "--kubeconfigs",
            &kd,
            "--only",
            "labeldemo-relabel",
            "--timeout",
            "0",
        ];
        args.extend(extra);
        labdeck(&args).await
    };

    let out = grade(all_pass, &[]).await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("labeldemo-relabel"), "{}", out.stdout);
    assert!(out.stdout.contains("2/2"), "pass count row: {}", out.stdout);
    assert!(!out.stdout.contains("FAIL"));

    let out = grade(one_fails.clone(), &[]).await;
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let carol = out.stdout.lines().find(|l| l.contains("carol")).unwrap();
    assert!(carol.contains("FAIL") && carol.contains("0/1"), "{carol}");
    assert!(out.stdout.contains("1/2"), "{}", out.stdout);
    assert!(out.stdout.contains("--explain"), "hint: {}", out.stdout);
    assert!(!out.stdout.contains("isactive=no (phase Running"));

    let out = grade(one_fails, &["--explain"]).await;
    assert_eq!(out.code, 1);
    let why = out.stdout.split("carol:").nth(1).expect("carol explained");
    assert!(
        why.contains("line 182: pods -l isactive=no") && why.contains("no object matched"),
        "{why}"
    );
    assert!(
        !out.stdout.contains("alice:"),
        "alice passed: {}",
        out.stdout
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upto_contexts_junit_and_out() {
    let dir = tempfile::tempdir().unwrap();
    let fakes = [
        relabelled().await,
        FakeApiServer::start().await,
        relabelled().await,
    ];
    // One kubeconfig, three contexts.
    let mut kc = String::from("apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n");
    for (n, f) in ["a", "b", "c"].iter().zip(&fakes) {
        kc.push_str(&format!(
            "- name: {n}\n  cluster:\n    server: {}\n",
            f.url()
        ));
    }
    kc.push_str("contexts:\n");
    for n in ["a", "b", "c"] {
        kc.push_str(&format!(
            "- name: {n}\n  context:\n    cluster: {n}\n    user: u\n    namespace: default\n"
        ));
    }
    kc.push_str("users:\n- name: u\n  user:\n    token: t\n");
    let kc_path = dir.path().join("all.yaml");
    std::fs::write(&kc_path, kc).unwrap();
    let kcp = kc_path.to_str().unwrap();

    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfig",
        kcp,
        "--contexts",
        "c,a",
        "--upto",
        "labeldemo-relabel",
        "--timeout",
        "0",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(names(&report), ["c", "a"]);
    let ids: Vec<&str> = report["exercises"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), 8, "{ids:?}");
    assert_eq!(ids.first(), Some(&"rng-deployment"));
    assert_eq!(ids.last(), Some(&"labeldemo-relabel"));
    let relabel = |c: &Value| {
        c["results"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == "labeldemo-relabel")
            .unwrap()["verdict"]
            .clone()
    };
    assert_eq!(relabel(&report["clusters"][0]), json!("pass"));

    // Every context, as JUnit, into a file.
    let junit = dir.path().join("out").join("grade.xml");
    std::fs::create_dir(junit.parent().unwrap()).unwrap();
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfig",
        kcp,
        "--all-contexts",
        "--only",
        "labeldemo-relabel",
        "--timeout",
        "0",
        "--format",
        "junit",
        "--out",
        junit.to_str().unwrap(),
    ])
    .await;
    assert_eq!(out.code, 1, "b is empty: {}", out.stderr);
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    let xml = std::fs::read_to_string(&junit).unwrap();
    assert_eq!(xml.matches("<testsuite ").count(), 3, "{xml}");
    for n in ["a", "b", "c"] {
        assert!(xml.contains(&format!("<testsuite name=\"{n}\"")), "{xml}");
    }
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
    // Nothing but the report was left in the folder.
    assert_eq!(
        std::fs::read_dir(junit.parent().unwrap()).unwrap().count(),
        1
    );

    let out = labdeck(&["grade", DECK, "--kubeconfig", kcp, "--contexts", "a,zz"]).await;
    assert_eq!(out.code, 3);
    assert!(out.stderr.contains("no context zz"), "{}", out.stderr);
}

#[tokio::test]
async fn bad_input_is_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();
    let missing = dir.path().join("missing");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["grade", DECK, "--kubeconfigs", missing.to_str().unwrap()],
            "missing",
        ),
        (
            vec!["grade", DECK, "--kubeconfigs", empty.to_str().unwrap()],
            "no kubeconfig files",
        ),
        (vec!["grade", DECK], "--kubeconfigs"),
        (
            vec![
                "grade",
                DECK,
                "--kubeconfigs",
                empty.to_str().unwrap(),
                "--only",
                "nope",
            ],
            "no exercise with id nope",
        ),
        (
            vec![
                "grade",
                DECK,
                "--kubeconfigs",
                empty.to_str().unwrap(),
                "--watch",
                "--format",
                "json",
            ],
            "--out",
        ),
        (
            vec![
                "grade",
                DECK,
                "--kubeconfigs",
                empty.to_str().unwrap(),
                "--concurrency",
                "0",
            ],
            "concurrency",
        ),
    ];
    for (args, needle) in cases {
        let out = labdeck(&args).await;
        // A class folder missing or empty is bad input (3); the rest are
        // command lines that are wrong (2): `labdeck::exit`.
        let want = if ["missing", "no kubeconfig files"].contains(&needle) {
            labdeck::exit::BAD_INPUT
        } else {
            labdeck::exit::USAGE
        };
        assert_eq!(out.code, i32::from(want), "{args:?}: {}", out.stderr);
        assert!(out.stderr.contains(needle), "{args:?}: {}", out.stderr);
        assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    }
}

/// Polls `path` until `pred` holds on its content, or panics after `limit`.
async fn wait_for_file(path: &Path, limit: Duration, pred: impl Fn(&str) -> bool) -> String {
    let start = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && pred(&s)
        {
            return s;
        }
        assert!(
            start.elapsed() < limit,
            "{} never got there",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn watch_keeps_the_html_board_current_until_interrupted() {
    let dir = tempfile::tempdir().unwrap();
    let fake = FakeApiServer::start().await;
    created(&fake);
    let kd = class(dir.path(), &[("dana", &fake)]);
    let board = dir.path().join("board.html");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "grade",
            DECK,
            "--kubeconfigs",
            kd.to_str().unwrap(),
            "--only",
            "labeldemo-relabel",
            "--watch",
            "--interval",
            "1s",
            "--format",
            "html",
            "--out",
            board.to_str().unwrap(),
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let first = wait_for_file(&board, Duration::from_secs(20), |s| s.contains("</html>")).await;
    assert!(
        first.contains("<meta http-equiv=\"refresh\" content=\"1\">"),
        "{first}"
    );
    assert!(first.contains("class=\"cell fail\""), "{first}");
    // Dana relabels the pod; the board catches up on a later round.
    relabel(&fake);
    let later = wait_for_file(&board, Duration::from_secs(20), |s| {
        s.contains("class=\"cell pass\"")
    })
    .await;
    assert!(!later.contains("class=\"cell fail\""));
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .expect("stops on Ctrl-C")
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "last round all passed");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("round 1 at"), "{stdout}");
    assert!(stdout.contains("Ctrl-C to stop"), "{stdout}");
    for r in fake.requests() {
        assert!(r.starts_with("GET "), "{r}");
    }
}

/// The shipped grader role only reads, and covers what the sample deck's
/// checks read.
#[test]
fn grader_rbac_manifest_is_read_only() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grader-rbac.yaml");
    let text = std::fs::read_to_string(&path).unwrap();
    let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "Namespace",
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding"
        ]
    );
    let role = &docs[2];
    let mut readable = Vec::new();
    for rule in role["rules"].as_array().unwrap() {
        let verbs: Vec<&str> = rule["verbs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        let resources: Vec<&str> = rule["resources"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap())
            .collect();
        // Subresources: only the two reads `log` and `http` checks send
        // (`get` on pods/log and services/proxy), nothing else.
        if resources.iter().any(|r| r.contains('/')) {
            assert_eq!(verbs, ["get"], "{rule}");
            assert!(
                resources
                    .iter()
                    .all(|r| *r == "pods/log" || *r == "services/proxy"),
                "{rule}"
            );
            continue;
        }
        assert_eq!(verbs, ["get", "list", "watch"], "{rule}");
        for r in resources {
            assert!(r != "secrets" && r != "*", "{r}");
            readable.push(r.to_string());
        }
    }
    for needed in [
        "pods",
        "deployments",
        "replicasets",
        "daemonsets",
        "roles",
        "rolebindings",
        "clusterroles",
        "clusterrolebindings",
    ] {
        assert!(readable.iter().any(|r| r == needed), "{needed}");
    }
    let binding = &docs[3];
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"], docs[1]["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0]["namespace"],
        docs[1]["metadata"]["namespace"]
    );
}

/// `--concurrency 1` grades one cluster after the other: each needs at
/// least two answers in a row (discovery, then its lists), so each finishes
/// at least two latencies after the one before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrency_bounds_the_clusters_in_flight() {
    let dir = tempfile::tempdir().unwrap();
    let latency = Duration::from_millis(200);
    let mut fakes = Vec::new();
    for _ in 0..3 {
        let f = relabelled().await;
        f.set_latency(latency);
        fakes.push(f);
    }
    let kd = class(
        dir.path(),
        &[("a", &fakes[0]), ("b", &fakes[1]), ("c", &fakes[2])],
    );
    let run = |n: &'static str| {
        let kd = kd.to_str().unwrap().to_string();
        async move {
            let out = labdeck(&[
                "grade",
                DECK,
                "--kubeconfigs",
                &kd,
                "--only",
                "labeldemo-create",
                "--timeout",
                "0",
                "--concurrency",
                n,
                "--format",
                "json",
            ])
            .await;
            assert_eq!(out.code, 0, "{}", out.stderr);
            let report: Value = serde_json::from_str(&out.stdout).unwrap();
            let mut ms: Vec<u64> = report["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["elapsed_ms"].as_u64().unwrap())
                .collect();
            ms.sort_unstable();
            ms
        }
    };
    let one = run("1").await;
    let step = 2 * latency.as_millis() as u64;
    assert!(one[0] >= step, "{one:?}");
    assert!(
        one[1] >= one[0] + step && one[2] >= one[1] + step,
        "{one:?}"
    );
    // Unbounded (3 <= 100): all three are in flight together, so the last
    // one does not wait for the other two (in a row it would take 3 steps).
    let all = run("100").await;
    assert!(all[2] < 5 * step / 2, "{all:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_student_name_cannot_become_a_spreadsheet_formula() {
    let fake = relabelled().await;
    let dir = tempfile::tempdir().unwrap();
    let evil = "=HYPERLINK(\"evil.example\",\"x\")";
    let k = class(dir.path(), &[(evil, &fake), ("-2+3", &fake)]);
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        k.to_str().unwrap(),
        "--only",
        "labeldemo-create",
        "--timeout",
        "0",
        "--format",
        "csv",
    ])
    .await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut r = ::csv::Reader::from_reader(out.stdout.as_bytes());
    let students: Vec<String> = r.records().map(|x| x.unwrap()[0].to_string()).collect();
    assert_eq!(students.len(), 2, "{}", out.stdout);
    for s in &students {
        assert!(s.starts_with('\''), "a formula reached the sheet: {s}");
    }
    assert!(students.contains(&format!("'{evil}")), "{students:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_first_pass_after_the_year_9999_is_an_error_not_a_panic() {
    let fake = relabelled().await;
    let dir = tempfile::tempdir().unwrap();
    let k = class(dir.path(), &[("ana", &fake)]);
    let history = dir.path().join("h.jsonl");
    std::fs::write(
        &history,
        "{\"student\":\"ana\",\"exercise\":\"labeldemo-create\",\"passed_at_ms\":18446744073709551615,\"passed_at\":\"x\"}\n",
    )
    .unwrap();
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        k.to_str().unwrap(),
        "--only",
        "labeldemo-create",
        "--timeout",
        "0",
        "--history",
        history.to_str().unwrap(),
        "--format",
        "csv",
    ])
    .await;
    assert_ne!(out.code, 101, "panicked: {}", out.stderr);
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("h.jsonl:1") && out.stderr.contains("9999"),
        "{}",
        out.stderr
    );
}

/// Issue 26: a one-shot `grade` waited each check's timeout (a class of 5
/// took 120 s) and failed a student ahead on exercises later steps undo.
/// Now it looks once, and places students as the board does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_snapshot_looks_once_and_places_a_student_ahead_from_the_history() {
    let dir = tempfile::tempdir().unwrap();
    // ana relabelled earlier and has since cleaned up: create and relabel
    // fail now. bo is on relabel. The rest of the class did nothing.
    let ana = FakeApiServer::start().await;
    let bo = FakeApiServer::start().await;
    created(&bo);
    let (c, d, e) = (
        FakeApiServer::start().await,
        FakeApiServer::start().await,
        FakeApiServer::start().await,
    );
    let kd = class(
        dir.path(),
        &[
            ("ana", &ana),
            ("bo", &bo),
            ("cy", &c),
            ("di", &d),
            ("ed", &e),
        ],
    );
    let history = dir.path().join("h.jsonl");
    std::fs::write(
        &history,
        "{\"student\":\"ana\",\"exercise\":\"labeldemo-relabel\",\"passed_at_ms\":1000,\"passed_at\":\"1970-01-01T00:00:01Z\"}\n",
    )
    .unwrap();
    // (Not readopt: its end state is create's, so a student who only
    // created passes it too.)
    let only = ["--only", "labeldemo-create", "--only", "labeldemo-relabel"];
    let started = Instant::now();
    let mut args = vec![
        "grade",
        DECK,
        "--kubeconfigs",
        kd.to_str().unwrap(),
        "--format",
        "json",
        "--history",
        history.to_str().unwrap(),
    ];
    args.extend(only);
    let out = labdeck(&args).await;
    let took = started.elapsed();
    assert_eq!(out.code, 1, "{}", out.stderr);
    // The checks' own timeouts are 30 s and more: looking once is seconds.
    assert!(took < Duration::from_secs(15), "took {took:?}");
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    let on = |name: &str| {
        report["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name)
            .unwrap()["on"]
            .clone()
    };
    assert_eq!(
        on("ana"),
        Value::Null,
        "done, from the history, though create fails now"
    );
    assert_eq!(on("bo"), json!("labeldemo-relabel"));
    assert_eq!(on("cy"), json!("labeldemo-create"));
    // Piped: no progress line on stderr.
    assert!(!out.stderr.contains("graded "), "{}", out.stderr);
    // The table says it too.
    let mut args = vec!["grade", DECK, "--kubeconfigs", kd.to_str().unwrap()];
    args.extend(["--history", history.to_str().unwrap()]);
    args.extend(only);
    let out = labdeck(&args).await;
    let ana_row = out
        .stdout
        .lines()
        .find(|l| l.contains("ana"))
        .unwrap_or_else(|| panic!("{}", out.stdout));
    assert!(ana_row.contains("done"), "{}", out.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wait_opts_in_to_each_checks_timeout_and_a_bad_class_name_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let f = FakeApiServer::start().await;
    let kd = class(dir.path(), &[("ana", &f)]);
    // Created while `--wait` waits: the look-once default would fail it.
    let f = std::sync::Arc::new(f);
    f.apply_after(Duration::from_millis(1500), deployment("labeldemo"));
    f.apply_after(
        Duration::from_millis(1500),
        replicaset("labeldemo-5b7c9d8f6d"),
    );
    f.apply_after(Duration::from_millis(1500), pod(ACTIVE));
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        kd.to_str().unwrap(),
        "--only",
        "labeldemo-create",
        "--wait",
        "--format",
        "json",
    ])
    .await;
    let report: Value =
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stderr));
    assert_eq!(
        report["clusters"][0]["results"][0]["verdict"], "pass",
        "waited for what came 1.5 s later: {}",
        out.stdout
    );
    assert!(report["clusters"][0]["elapsed_ms"].as_u64().unwrap() >= 1_000);
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        kd.to_str().unwrap(),
        "--class",
        "../etc",
    ])
    .await;
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--class \"../etc\""), "{}", out.stderr);
}
