//! `labdeck check` end to end: the real binary against the loopback fake API.

mod support;

use serde_json::Value;
use support::apiserver::FakeApiServer;
use support::cli::{labdeck, labdeck_env};
use support::fixtures::*;

const DECK: &str = "slides/labdeck-sample.yml";

fn relabelled(fake: &FakeApiServer) {
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
}

struct Setup {
    fake: FakeApiServer,
    _dir: tempfile::TempDir,
    kubeconfig: String,
}

async fn setup() -> Setup {
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = fake
        .write_kubeconfig(dir.path(), "t", "default")
        .display()
        .to_string();
    Setup {
        fake,
        _dir: dir,
        kubeconfig,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pass_fail_and_error_exit_codes_and_human_output() {
    let s = setup().await;
    relabelled(&s.fake);
    let ok = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--only",
        "labeldemo-relabel",
        "--timeout",
        "0",
    ])
    .await;
    assert_eq!(ok.code, 0, "{}{}", ok.stdout, ok.stderr);
    assert!(
        ok.stdout
            .starts_with("PASS  labeldemo-relabel  slides/k8s/labels-debugging.md:"),
        "{}",
        ok.stdout
    );
    assert!(
        ok.stdout
            .contains("1 passed, 0 failed, 0 could not be checked"),
        "{}",
        ok.stdout
    );

    let fail = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--only",
        "labeldemo-relabel",
        "--only",
        "labeldemo-list",
        "--timeout",
        "0",
    ])
    .await;
    assert_eq!(fail.code, 1, "{}{}", fail.stdout, fail.stderr);
    // labeldemo-list wants no isactive=no pod: the details name it.
    assert!(
        fail.stdout.contains("FAIL  labeldemo-list"),
        "{}",
        fail.stdout
    );
    assert!(
        fail.stdout
            .contains("pods -l isactive=no: 1 passing, want 0"),
        "{}",
        fail.stdout
    );
    assert!(
        fail.stdout
            .contains("default/labeldemo-5b7c9d8f6d-p2rk9: ok"),
        "{}",
        fail.stdout
    );

    s.fake.forbid("deployments");
    let err = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--only",
        "labeldemo-create",
        "--only",
        "labeldemo-relabel",
        "--timeout",
        "0",
        "--format",
        "json",
    ])
    .await;
    // Could not be checked (403): exit 4 (`labdeck::exit::UNCHECKED`).
    assert_eq!(err.code, 4, "{}{}", err.stdout, err.stderr);
    let report: Value = serde_json::from_str(&err.stdout).unwrap();
    let results = report["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["id"], "labeldemo-create");
    assert_eq!(results[0]["verdict"], "error");
    assert!(
        results[0]["message"]
            .as_str()
            .unwrap()
            .contains("Error from server (Forbidden): "),
        "{:#}",
        results[0]
    );
    assert_eq!(
        results[1]["verdict"], "pass",
        "other exercises still checked"
    );
    for key in [
        "id",
        "verdict",
        "file",
        "line",
        "title",
        "message",
        "expectations",
    ] {
        assert!(results[1].get(key).is_some(), "missing {key}");
    }
    assert_eq!(report["summary"]["error"], 1);
    assert_eq!(report["cluster"], "fake");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn junit_has_one_testcase_per_exercise() {
    let s = setup().await;
    relabelled(&s.fake);
    let out = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--timeout",
        "0",
        "--format",
        "junit",
    ])
    .await;
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stdout.starts_with("<?xml"), "{}", out.stdout);
    assert_eq!(
        out.stdout.matches("<testcase ").count(),
        11,
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("name=\"labeldemo-relabel\""));
    assert!(out.stdout.contains("<failure"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_check_is_reported_with_file_and_line_before_any_request() {
    let s = setup().await;
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("broken.md");
    std::fs::write(
        &chapter,
        "# Broken\n\n.exercise[\n- Do it:\n  ```bash\n  kubectl get pods\n  ```\n]\n\n<!-- check\n- kind: pods\n  selectr: app=web\n-->\n",
    )
    .unwrap();
    let out = labdeck(&[
        "check",
        chapter.to_str().unwrap(),
        "--kubeconfig",
        &s.kubeconfig,
    ])
    .await;
    assert_eq!(out.code, 3, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("broken.md:12"), "{}", out.stderr);
    assert!(out.stderr.contains("selectr"), "{}", out.stderr);
    assert!(!out.stderr.contains("panicked"));
    assert!(s.fake.requests().is_empty(), "{:?}", s.fake.requests());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_errors_are_said_once_as_bad_input() {
    let s = setup().await;
    let out = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--context",
        "nope",
        "--only",
        "rng-yaml",
        "--format",
        "json",
    ])
    .await;
    // Said once (issue 26), not as one error verdict per exercise.
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr.matches("\"nope\"").count(), 1, "{}", out.stderr);

    let out = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        "/nonexistent/kubeconfig",
        "--only",
        "rng-yaml",
    ])
    .await;
    assert_eq!(out.code, 3);
    assert!(
        out.stderr.contains("/nonexistent/kubeconfig"),
        "{}",
        out.stderr
    );

    let out = labdeck(&[
        "check",
        DECK,
        "--kubeconfig",
        &s.kubeconfig,
        "--only",
        "no-such-id",
    ])
    .await;
    assert_eq!(out.code, 2);
    assert!(out.stderr.contains("no-such-id"), "{}", out.stderr);

    let out = labdeck(&[
        "check",
        "slides/no-such-deck.yml",
        "--kubeconfig",
        &s.kubeconfig,
    ])
    .await;
    assert_eq!(out.code, 3);
    assert_eq!(
        out.stderr.matches("no-such-deck.yml").count(),
        1,
        "{}",
        out.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_env_merges_files_and_uses_the_context_namespace() {
    let fake = FakeApiServer::start().await;
    fake.require_token("s3cret");
    fake.apply(in_namespace(pod("web-1"), "class"));
    let dir = tempfile::tempdir().unwrap();
    // Cluster and user in one file, the context (with its namespace) in another.
    let a = dir.path().join("a.yaml");
    let b = dir.path().join("b.yaml");
    std::fs::write(
        &a,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: fake\n  cluster:\n    server: {}\nusers:\n- name: student\n  user:\n    token: s3cret\n",
            fake.url()
        ),
    )
    .unwrap();
    std::fs::write(
        &b,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: student-07\n  context:\n    cluster: fake\n    user: student\n    namespace: class\n",
    )
    .unwrap();
    let chapter = dir.path().join("one.md");
    std::fs::write(
        &chapter,
        "# One\n\n.exercise[\n- Run:\n  ```bash\n  kubectl get pods\n  ```\n]\n\n<!-- check\n- kind: pods\n  name: web-*\n-->\n",
    )
    .unwrap();
    let joined = format!("{}:{}", a.display(), b.display());
    let out = labdeck_env(
        &[
            "check",
            chapter.to_str().unwrap(),
            "--context",
            "student-07",
            "--timeout",
            "0",
        ],
        Some(&joined),
    )
    .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        fake.requests()
            .iter()
            .any(|r| r.contains("/namespaces/class/pods")),
        "{:?}",
        fake.requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exercises_without_a_check_are_listed_not_checked() {
    let s = setup().await;
    s.fake.apply(pod("web-1"));
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("two.md");
    std::fs::write(
        &chapter,
        "# Two\n\n.exercise[\n- Run:\n  ```bash\n  kubectl run web-1 --image=nginx\n  ```\n]\n\n<!-- check\n- kind: pods\n  name: web-1\n-->\n\n---\n\n## Look\n\n.exercise[\n- Look:\n  ```bash\n  kubectl get pods\n  ```\n]\n",
    )
    .unwrap();
    let chapter = chapter.to_str().unwrap();
    let list = labdeck(&["exercises", chapter]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    assert!(
        list.stdout.contains("2 exercise(s), 1 without a check"),
        "{}",
        list.stdout
    );

    let out = labdeck(&[
        "check",
        chapter,
        "--kubeconfig",
        &s.kubeconfig,
        "--format",
        "json",
    ])
    .await;
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let report: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(report["results"].as_array().unwrap().len(), 1);
    assert_eq!(report["results"][0]["id"], "two-1");
    assert_eq!(report["unchecked"], serde_json::json!(["two-2"]));

    let junit = labdeck(&[
        "check",
        chapter,
        "--kubeconfig",
        &s.kubeconfig,
        "--format",
        "junit",
    ])
    .await;
    assert!(
        junit.stdout.contains("<skipped message=\"no check\""),
        "{}",
        junit.stdout
    );

    let only = labdeck(&[
        "check",
        chapter,
        "--kubeconfig",
        &s.kubeconfig,
        "--only",
        "two-2",
    ])
    .await;
    assert_eq!(only.code, 2);
    assert!(
        only.stderr.contains("\"two-2\" has no check"),
        "{}",
        only.stderr
    );
}
