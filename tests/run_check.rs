//! `labdeck run` then check, against the loopback fake API server: the
//! commands' effects (played by a fake `kubectl` whose calls the test turns
//! into API objects) are what the checks see.

mod support;

use std::sync::Arc;
use std::time::Duration;

use support::apiserver::FakeApiServer;
use support::fixtures;

const FAKE_KUBECTL: &str = r#"#!/bin/sh
# Records each call; the test applies its effect to the fake API server.
# The log's path is written in (run scrubs the shell's environment).
echo "$*" >> "KUBECTL_LOG"
case "$*" in
  "create deployment "*) echo "deployment.apps/$3 created" ;;
  "scale deployment "*) echo "deployment.apps/$3 scaled" ;;
  *) echo "unexpected: $*" >&2; exit 1 ;;
esac
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_run_then_checks_see_their_effect() {
    use std::os::unix::fs::PermissionsExt;
    let server = Arc::new(FakeApiServer::start().await);
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = server.write_kubeconfig(dir.path(), "t0ken", "default");
    server.require_token("t0ken");
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = dir.path().join("kubectl.log");
    std::fs::write(
        bin.join("kubectl"),
        FAKE_KUBECTL.replace("KUBECTL_LOG", &log.display().to_string()),
    )
    .unwrap();
    std::fs::set_permissions(bin.join("kubectl"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(&log, "").unwrap();

    // What the API server would do on `kubectl create deployment web`: the
    // deployment appears (the scale is deliberately not applied).
    let feeder = {
        let server = server.clone();
        let log = log.clone();
        tokio::spawn(async move {
            loop {
                let calls = tokio::fs::read_to_string(&log).await.unwrap_or_default();
                if calls.contains("create deployment web") {
                    server.apply(fixtures::deployment("web"));
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let path = format!(
        "{}:{}",
        bin.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "run",
            "tests/fixtures/run-deck/checked.md",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("PATH", path)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .await
        .unwrap();
    feeder.abort();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stderr.starts_with("labdeck run: context `fake`"),
        "{stderr}"
    );
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let exs = v["exercises"].as_array().unwrap();
    assert_eq!(exs[0]["id"], "web-created");
    assert_eq!(exs[0]["check"]["verdict"], "pass", "{stdout}");
    assert_eq!(exs[0]["status"], "passed");
    assert_eq!(exs[1]["id"], "web-scaled");
    assert_eq!(exs[1]["steps"][0]["outcome"], "ok");
    // The check's verdict is the checker's own result: the expectation's
    // line, what the object showed instead, the verdict and the message.
    let failed = &exs[1]["check"];
    assert_eq!(failed["verdict"], "fail", "{stdout}");
    assert_eq!(failed["id"], "web-scaled");
    let e = &failed["expectations"][0];
    assert_eq!(e["line"], 42, "{failed}");
    assert_eq!(e["query"], "deployments/web", "{failed}");
    assert_eq!(e["conditions"], "spec.replicas == 3", "{failed}");
    assert_eq!(e["holds"], false);
    assert_eq!(e["objects"][0]["namespace"], "default");
    assert_eq!(e["objects"][0]["name"], "web");
    assert_eq!(
        e["objects"][0]["failed"][0], "spec.replicas is 1, want == 3",
        "{failed}"
    );
    assert_eq!(v["not_run"], serde_json::json!(["checked-3"]));

    // `check --format json` on the same cluster says the same of that
    // exercise, field for field (but for the time it took), files named
    // alike: as reachable from here.
    let checked = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "check",
            "tests/fixtures/run-deck/checked.md",
            "--kubeconfig",
            kubeconfig.to_str().unwrap(),
            "--only",
            "web-scaled",
            "--format",
            "json",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("KUBECONFIG")
        .output()
        .await
        .unwrap();
    let check_out = String::from_utf8_lossy(&checked.stdout);
    assert_eq!(checked.status.code(), Some(1), "{check_out}");
    let c: serde_json::Value = serde_json::from_str(&check_out).unwrap();
    let mut from_check = c["results"][0].clone();
    let mut from_run = failed.clone();
    for r in [&mut from_check, &mut from_run] {
        let o = r.as_object_mut().unwrap();
        o.remove("elapsed_ms").unwrap();
    }
    assert_eq!(from_run, from_check);
    assert_eq!(failed["file"], "tests/fixtures/run-deck/checked.md");
    // Checking only read the cluster.
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.starts_with("GET ")),
        "{requests:?}"
    );
}
