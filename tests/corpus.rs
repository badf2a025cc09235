//! The compiler against the real container.training decks: every deck
//! builds, with the same slides and the same text as remark.js shows
//! (`../shared/corpus/container.training-2021/expected/`).

mod support;

use std::path::PathBuf;

use labdeck::build::{BuildOptions, Builder};
use support::slide_text::slide_texts;

fn corpus() -> PathBuf {
    support::corpus::container_training()
}

#[derive(serde::Deserialize)]
struct Expected {
    slides: usize,
    texts: Vec<String>,
}

#[test]
fn every_corpus_deck_matches_remark() {
    let root = corpus();
    let builder = Builder::new(BuildOptions::default()).expect("templates");
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("slides"))
        .expect("slides dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    manifests.sort();
    assert_eq!(manifests.len(), 14);

    let (mut decks_ok, mut total, mut same) = (0, 0, 0);
    let mut report = String::new();
    for manifest in &manifests {
        let stem = manifest.file_stem().unwrap().to_string_lossy().into_owned();
        let expected: Expected = serde_json::from_str(
            &std::fs::read_to_string(root.join("expected").join(format!("{stem}.json"))).unwrap(),
        )
        .unwrap();
        let (_, page) = builder
            .render(manifest)
            .unwrap_or_else(|e| panic!("{stem} does not build: {e}"));
        let texts = slide_texts(&page.html);
        if texts.len() == expected.slides {
            decks_ok += 1;
        } else {
            report.push_str(&format!(
                "{stem}: {} slides, remark shows {}\n",
                texts.len(),
                expected.slides
            ));
        }
        total += expected.texts.len();
        for (i, want) in expected.texts.iter().enumerate() {
            match texts.get(i) {
                Some(got) if got == want => same += 1,
                got => report.push_str(&format!(
                    "{stem} #{}:\n  want: {want}\n  got:  {}\n",
                    i + 1,
                    got.map(String::as_str).unwrap_or("<missing>")
                )),
            }
        }
    }
    if let Ok(path) = std::env::var("LABDECK_CORPUS_REPORT") {
        std::fs::write(path, &report).unwrap();
    }
    println!(
        "corpus: {decks_ok}/14 decks with remark's slide count, {same}/{total} slides with remark's text ({:.2}%)",
        100.0 * same as f64 / total as f64
    );
    assert_eq!(decks_ok, 14, "slide counts differ:\n{report}");
    // What README.md claims, exactly: every slide has remark's text.
    assert_eq!(
        (same, total),
        (10_298, 10_298),
        "{same}/{total} slides match remark's text (README says 10,298 of 10,298); first differences:\n{}",
        report.lines().take(60).collect::<Vec<_>>().join("\n")
    );
}
