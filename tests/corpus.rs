//! The compiler against the real container.training decks: every deck
//! builds, with the same slides and the same text as remark.js shows
//! (`../shared/corpus/container.training-2021/expected/`).

mod support;

use std::path::{Path, PathBuf};

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
    // As `labdeck build` writes them: the biggest decks' slides packed, read
    // back through the one reader (src/render/page.rs `slides_text`).
    let builder = Builder::new(BuildOptions {
        pack_slides_from: Some(labdeck::render::page::PACK_SLIDES_FROM),
        ..BuildOptions::default()
    })
    .expect("templates");
    let mut packed = Vec::new();
    let manifests = manifests(&root);
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
        if page
            .html
            .contains(labdeck::render::page::PACKED_SLIDES_SCRIPT)
        {
            packed.push(stem.clone());
        }
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
    // Those of a mebibyte of slides' text or more (render/page.rs PACK_SLIDES_FROM).
    assert_eq!(
        packed,
        ["kadm-twodays", "kube-selfpaced", "kube-twodays"],
        "decks built with their slides packed"
    );
    // What README.md claims, exactly: every slide has remark's text. The
    // claim is read from README.md, so the two cannot drift apart.
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(
        readme.contains("14 of 14 decks have remark's slide count")
            && readme.contains("**10,298 of 10,298 slides** have remark's text"),
        "README.md no longer states the figures this test asserts (14 of 14 decks, 10,298 of 10,298 slides)"
    );
    assert_eq!(
        (same, total),
        (10_298, 10_298),
        "{same}/{total} slides match remark's text (README says 10,298 of 10,298); first differences:\n{}",
        report.lines().take(60).collect::<Vec<_>>().join("\n")
    );
}

/// `build` lexes and parses the corpus decks in pieces shared by the decks
/// (labdeck::remark::segments): every deck parses as it does lexed whole,
/// and the pieces are shared (the decks name the same chapters).
#[test]
fn corpus_decks_parse_the_same_in_shared_pieces() {
    use labdeck::remark::segments::{Parses, parse_whole};
    let root = corpus();
    let manifests = manifests(&root);
    let parses = Parses::default();
    let mut separators = 0;
    for manifest in &manifests {
        let deck = labdeck::deck::load(manifest, &Default::default()).expect("deck");
        let src = deck.source.as_str();
        separators += src.matches("\n---\n").count();
        let whole = parse_whole(src);
        assert!(whole.slides.len() > 10, "{}", manifest.display());
        assert!(
            parses.parse(src) == whole,
            "{} parses differently in pieces",
            manifest.display()
        );
    }
    // Each deck's pieces end at its `---` lines: most were lexed for an
    // earlier deck.
    println!("{} distinct pieces, {separators} separators", parses.len());
    assert!(parses.len() * 2 < separators, "{}", parses.len());
}

/// The corpus's manifests (`slides/*.yml`), in name order.
fn manifests(root: &Path) -> Vec<PathBuf> {
    let mut manifests: Vec<PathBuf> = std::fs::read_dir(root.join("slides"))
        .expect("slides dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    manifests.sort();
    manifests
}
