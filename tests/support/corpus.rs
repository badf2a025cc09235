//! The 2021 corpus exercises' fixtures (tests/fixtures/corpus/ID.{start,end}.json,
//! as `kubectl get -o json` prints a list, and ID.reads.json for pod logs and
//! service pages) loaded into the fake API server, and a check run against
//! them: shared by the hand-written corpus checks (tests/corpus_checks.rs) and
//! the agreement of suggested checks with them (tests/suggest_agreement.rs).

use std::path::{Path, PathBuf};
use std::time::Duration;

use labdeck::check::engine::{self, Options, Plan};
use labdeck::check::spec;
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use serde_json::Value;

use super::apiserver::FakeApiServer;

/// The 2021 container.training corpus (README.md, "The test corpus"):
/// `LABDECK_CORPUS`, else `../shared/corpus/container.training-2021` beside
/// the repository. Without it the test fails, in one line saying what is
/// missing and where it comes from: it never passes for want of its input.
pub fn container_training() -> PathBuf {
    let root = std::env::var_os("LABDECK_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/container.training-2021")
        });
    if !root.join("slides").is_dir() {
        panic!(
            "the container.training corpus is missing: no {}/slides (this test reads the 2021 corpus, \
             ../shared/corpus/container.training-2021 beside the repository or LABDECK_CORPUS; \
             where it comes from: README.md, \"The test corpus\")",
            root.display()
        );
    }
    root
}

fn fixture(id: &str, state: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/corpus/{id}.{state}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn reads(id: &str, state: &str) -> Value {
    let path = format!(
        "{}/tests/fixtures/corpus/{id}.reads.json",
        env!("CARGO_MANIFEST_DIR")
    );
    match std::fs::read_to_string(&path) {
        Ok(text) => serde_json::from_str::<Value>(&text).unwrap()[state].clone(),
        Err(_) => Value::Null,
    }
}

/// The verdict of one check (YAML body from `file`:`line`) on exercise
/// `id`'s fixture for `state`; as tests/corpus_checks.rs does it.
pub async fn verdict(
    id: &str,
    yaml: &str,
    file: &str,
    line: usize,
    state: &str,
) -> engine::ExerciseResult {
    let fake = FakeApiServer::start().await;
    let list = fixture(id, state);
    assert_eq!(list["kind"], "List", "{id}.{state}");
    for item in list["items"].as_array().unwrap() {
        fake.apply(item.clone());
    }
    let r = reads(id, state);
    if let Some(logs) = r["logs"].as_object() {
        for (pod, text) in logs {
            fake.set_log("default", pod, None, text.as_str().unwrap());
        }
    }
    if let Some(pages) = r["pages"].as_object() {
        for (at, page) in pages {
            let (svc, rest) = at.split_once(':').unwrap();
            let (port, path) = rest.split_at(rest.find('/').unwrap());
            let code = page[0].as_u64().unwrap() as u16;
            fake.set_page("default", svc, port, path, code, page[1].as_str().unwrap());
        }
    }
    let kc = kube::config::Kubeconfig::from_yaml(&fake.kubeconfig_yaml("t", "default")).unwrap();
    let connect = ConnectOptions {
        connect_timeout: Duration::from_secs(2),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    };
    let src = KubeSource::from_kubeconfig(kc, &connect).await.unwrap();
    let check = spec::parse(&CheckSource {
        yaml: yaml.to_string(),
        file: file.into(),
        line,
    })
    .unwrap_or_else(|e| panic!("{id}: {e}\n{yaml}"));
    let plan = Plan {
        id: id.to_string(),
        file: file.into(),
        line,
        title: id.to_string(),
        check,
    };
    let opts = Options {
        timeout: Some(Duration::ZERO),
        ..Default::default()
    };
    let mut results = engine::run(&src, &[plan], &opts, &|_| {}).await;
    for req in fake.requests() {
        assert!(req.starts_with("GET "), "{req}");
    }
    results.remove(0)
}
