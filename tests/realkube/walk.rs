//! The sample deck walked as a student would, in slide order: before each
//! exercise's step its check fails, `labdeck run --only ID` plays the
//! slide's own commands with kubectl 1.20 against the real cluster, and
//! then the check passes (what `../shared/realkube/deck-walk.sh` does by
//! hand, asserted). "Fails before" is asked only of exercises whose
//! commands change the cluster (the rule lint's `unchecked-exercise` uses,
//! `suggest::Suggestion::changes_state`): a slide that only looks
//! (`kubectl get`, a `--dry-run` into a file) leaves the state its check
//! reads as the step before left it.

use crate::cluster::{Ns, Realkube, labdeck, look, walk};

const DECK: &str = "slides/labdeck-sample.yml";

/// Exercises whose commands hollow nodes cannot play, and what kubectl
/// answers there instead (no container logs, exec or attach: nodes report
/// no address; `../shared/realkube/README.md`).
const HOLLOW_CANNOT: &[(&str, &str)] = &[(
    "labeldemo-debug",
    "no preferred addresses found; known addresses: []",
)];

/// The ids of the deck's exercises whose commands change the cluster.
fn changing(deck: &str) -> Vec<String> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(deck);
    let deck = labdeck::deck::load(&path, &Default::default()).unwrap();
    let (exercises, _) = labdeck::exercise::extract(&deck);
    labdeck::suggest::suggest(&deck, &exercises)
        .exercises
        .iter()
        .filter(|s| s.changes_state())
        .map(|s| s.id.clone())
        .collect()
}

pub fn sample_deck_walk(rk: &Realkube) {
    let changing = changing(DECK);
    let ns = Ns::new(rk, "walk");
    let kc = ns.kubeconfig_str().to_string();
    let list = labdeck(rk, &["exercises", "--format", "json", DECK]);
    assert_eq!(list.code, 0, "{}", list.all());
    let ids: Vec<String> = list
        .json()
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| !e["check"].is_null())
        .map(|e| e["id"].as_str().unwrap().to_string())
        .collect();
    assert!(
        ids.len() >= 10,
        "the sample deck has a check on every exercise: {ids:?}"
    );
    assert!(changing.len() >= 6, "{changing:?}");
    let work = ns.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    walk(rk, &kc, DECK, None, &ids, &work, |id, w| {
        let hollow = HOLLOW_CANNOT.iter().find(|(h, _)| *h == id);
        let run_ok = match hollow {
            Some((_, words)) => w.run.code == 1 && w.run.stdout.contains(words),
            None => w.run.code == 0,
        };
        let before_ok = w.before.code == 1 || !changing.contains(&id.to_string());
        (!before_ok || !run_ok || w.after.code != 0).then(|| {
            "want: before exit 1 (fail) where the commands change the cluster, run exit 0 \
             (or kubectl's words where hollow nodes cannot), after exit 0 (pass)"
                .to_string()
        })
    });
    // The walk ends in the deck's final state: every exercise's check has
    // been seen to pass once; the last one still holds.
    let last = ids.last().unwrap();
    let end = look(rk, &kc, DECK, None, last);
    assert_eq!(end.code, 0, "{}", end.all());
}
