//! Every exercise of the sample deck `slides/` has a check, and that check
//! passes on the state its commands produce (and, where the commands change
//! something, fails on the state before them). The cluster is the loopback
//! fake API; each step below applies what the exercise's commands make the
//! real cluster do (controllers included).

mod support;

use serde_json::Value;
use support::apiserver::FakeApiServer;
use support::cli::labdeck;
use support::sample::*;

const DECK: &str = SAMPLE;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sample_exercise_has_a_check_that_passes_on_its_commands_state() {
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let kc = kc.to_str().unwrap();

    let list = labdeck(&["exercises", DECK, "--format", "json"]).await;
    assert_eq!(list.code, 0, "{}", list.stderr);
    let exercises: Vec<Value> = serde_json::from_str(&list.stdout).unwrap();
    assert!(exercises.len() >= 10, "{exercises:?}");
    let mut changed = 0;
    for ex in &exercises {
        let id = ex["id"].as_str().unwrap();
        assert!(!ex["check"].is_null(), "exercise {id} has no check");
        let reads_only = matches!(
            id,
            "rng-yaml" | "rng-two-owners" | "labeldemo-list" | "labeldemo-debug"
        );
        if !reads_only {
            let (v, r) = verdict(DECK, kc, id).await;
            assert_eq!(v, "fail", "{id} should fail before its commands ran: {r:#}");
            changed += 1;
        }
        perform(&fake, id);
        let (v, r) = verdict(DECK, kc, id).await;
        assert_eq!(v, "pass", "{id} after its commands: {r:#}");
    }
    assert_eq!(changed, 7);
    for r in fake.requests() {
        assert!(r.starts_with("GET "), "{r}");
    }
}
