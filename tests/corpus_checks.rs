//! The checks written for the 2021 container.training corpus
//! (examples/checks/kube-selfpaced-2021.yml), each run through the engine
//! against the fake API server loaded with the exercise's end state (must
//! pass) and its start state (must fail, not error):
//! tests/fixtures/corpus/ID.{start,end}.json, as `kubectl get -o json`
//! prints a list, and ID.reads.json for pod logs and service pages.

mod support;

use std::path::Path;
use std::time::Duration;

use labdeck::check::engine::{self, Options, Plan, Verdict};
use labdeck::check::{overlay, spec};
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use serde_json::Value;
use support::apiserver::FakeApiServer;

const CHECKS: &str = "examples/checks/kube-selfpaced-2021.yml";
const DECK: &str = "../shared/corpus/container.training-2021/slides/kube-selfpaced.yml";

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

async fn verdict(entry: &overlay::Entry, state: &str) -> engine::ExerciseResult {
    let fake = FakeApiServer::start().await;
    let list = fixture(&entry.id, state);
    assert_eq!(list["kind"], "List", "{}.{state}", entry.id);
    for item in list["items"].as_array().unwrap() {
        fake.apply(item.clone());
    }
    let r = reads(&entry.id, state);
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
        yaml: entry.yaml.clone(),
        file: CHECKS.into(),
        line: entry.line,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let plan = Plan {
        id: entry.id.clone(),
        file: CHECKS.into(),
        line: entry.line,
        title: entry.id.clone(),
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

#[tokio::test]
async fn every_corpus_check_passes_at_the_end_and_fails_at_the_start() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = overlay::load(&root.join(CHECKS)).unwrap();
    assert!(o.entries.len() >= 20, "{} checks", o.entries.len());
    // Every id is one the corpus deck has (when the corpus is there).
    let deck_path = root.join(DECK);
    if deck_path.exists() {
        let deck = labdeck::deck::load(&deck_path, &Default::default()).unwrap();
        let (_, problems) = overlay::exercises(&deck, Some(&o));
        let errors: Vec<_> = problems.iter().filter(|d| d.is_error()).collect();
        assert!(errors.is_empty(), "{errors:?}");
    }
    let mut report = Vec::new();
    for entry in &o.entries {
        let end = verdict(entry, "end").await;
        assert_eq!(end.verdict, Verdict::Pass, "{} end: {end:#?}", entry.id);
        let start = verdict(entry, "start").await;
        assert_eq!(
            start.verdict,
            Verdict::Fail,
            "{} start: {start:#?}",
            entry.id
        );
        report.push(format!("{}: {}", entry.id, start.message));
    }
    // What a student reads for each, when run with --nocapture.
    println!("{}", report.join("\n"));
}
