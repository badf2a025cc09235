//! Suggested checks on the real control plane (issue 24): `labdeck checks
//! suggest` drafts the checks of the 2021 corpus's kube-selfpaced deck,
//! then one chapter whose commands hollow nodes can carry out
//! (k8s/labels-annotations.md: `kubectl create deployment clock`,
//! `kubectl label deployment clock color=blue`) is played exercise by
//! exercise with `labdeck run --checks SUGGESTED --only ID`: each suggested
//! check fails before its exercise's commands (`labdeck check --timeout 0`)
//! and passes after them, on Kubernetes 1.20 with kubectl 1.20.

use std::path::Path;

use crate::cluster::{Ns, Realkube, labdeck, walk};

const DECK: &str = "../shared/corpus/container.training-2021/slides/kube-selfpaced.yml";
const CHAPTER: &str = "k8s/labels-annotations.md";

/// The ids of the chapter's exercises that get a suggestion.
fn suggested_in_chapter() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DECK);
    let deck = labdeck::deck::load(&path, &Default::default()).unwrap();
    let (exercises, _) = labdeck::exercise::extract(&deck);
    labdeck::suggest::suggest(&deck, &exercises)
        .exercises
        .into_iter()
        .filter(|s| s.file == Path::new(CHAPTER) && s.check.is_some())
        .map(|s| s.id)
        .collect()
}

pub fn suggested_checks_fail_before_and_pass_after(rk: &Realkube) {
    let ids = suggested_in_chapter();
    assert_eq!(
        ids,
        ["labels-annotations-1", "labels-annotations-4"],
        "the chapter's exercises that change the cluster"
    );
    let ns = Ns::new(rk, "suggested");
    let kc = ns.kubeconfig_str().to_string();
    let overlay = ns.dir.path().join("suggested.yml");
    let overlay_s = overlay.to_str().unwrap().to_string();
    let drafted = labdeck(rk, &["checks", "suggest", DECK, "--out", &overlay_s]);
    assert_eq!(drafted.code, 0, "{}", drafted.all());
    let work = ns.dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    walk(rk, &kc, DECK, Some(&overlay_s), &ids, &work, |_, w| {
        (w.before.code != 1 || w.run.code != 0 || w.after.code != 0)
            .then(|| "want: before exit 1 (fail), run exit 0, after exit 0 (pass)".to_string())
    });
}
