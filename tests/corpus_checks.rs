//! The checks written for the 2021 container.training corpus
//! (examples/checks/kube-selfpaced-2021.yml), each run through the engine
//! against the fake API server loaded with the exercise's end state (must
//! pass) and its start state (must fail, not error):
//! tests/fixtures/corpus/ID.{start,end}.json, as `kubectl get -o json`
//! prints a list, and ID.reads.json for pod logs and service pages.

mod support;

use std::path::Path;

use labdeck::check::engine::{self, Verdict};
use labdeck::check::overlay;

const CHECKS: &str = "examples/checks/kube-selfpaced-2021.yml";
/// In the corpus (tests/support/corpus.rs `container_training`).
const DECK: &str = "slides/kube-selfpaced.yml";

async fn verdict(entry: &overlay::Entry, state: &str) -> engine::ExerciseResult {
    support::corpus::verdict(&entry.id, &entry.yaml, CHECKS, entry.line, state).await
}

#[tokio::test]
async fn every_corpus_check_passes_at_the_end_and_fails_at_the_start() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let o = overlay::load(&root.join(CHECKS)).unwrap();
    assert!(o.entries.len() >= 20, "{} checks", o.entries.len());
    // Every id is one the corpus deck has.
    let deck_path = support::corpus::container_training().join(DECK);
    let deck = labdeck::deck::load(&deck_path, &Default::default()).unwrap();
    let (_, problems) = overlay::exercises(&deck, Some(&o));
    let errors: Vec<_> = problems.iter().filter(|d| d.is_error()).collect();
    assert!(errors.is_empty(), "{errors:?}");
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
