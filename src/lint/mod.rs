//! `labdeck lint`: everything that breaks a deck, found without a cluster.
//!
//! Two sources of findings: what the compiler reports while loading a deck
//! (missing chapters and includes, unclosed `.class[`, late properties,
//! unknown templates: `Deck::diagnostics`), and the deck-level rules of
//! [`rules`] (links, names, images, exercises, checks, excluded classes)
//! [`shown`] (code blocks that rendering changes) and [`unchecked`]
//! (exercises that change the cluster without a check). On request
//! (`lint --render`), [`overflow`] measures each slide in Chromium.
//!
//! Decks of one repository share chapters, so a finding in a shared chapter
//! is reported once (per place and rule), not once per manifest.

pub mod exercises;
pub mod output;
pub mod overflow;
pub mod rules;
pub mod shown;
pub mod unchecked;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::deck::{self, LoadOptions};
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Location};

/// `--checks FILE`: its checks linted, and its ids against those of the
/// decks linted (an id none of them has is an error).
pub fn checks_file(path: &Path, decks: &[PathBuf], opts: &LoadOptions) -> Vec<Diagnostic> {
    use crate::check::overlay;
    let o = match overlay::load(path) {
        Ok(o) => o,
        Err(e) => {
            let at = e
                .location()
                .cloned()
                .unwrap_or_else(|| Location::new(path, 1));
            let msg = match &e {
                Error::At { message, .. } => message.clone(),
                other => other.to_string(),
            };
            return vec![Diagnostic::error("invalid-checks-file", at, msg)];
        }
    };
    let mut ids = Vec::new();
    for d in decks {
        if let Ok(deck) = deck::load(d, opts) {
            ids.extend(crate::exercise::extract(&deck).0.into_iter().map(|e| e.id));
        }
    }
    overlay::lint(&o, &ids)
}

/// `lint --checks FILE`: the decks linted with the overlay's checks
/// standing for the slides' (an exercise the overlay covers is not
/// `unchecked-exercise`), then the overlay itself ([`checks_file`]).
pub fn lint_decks_with_checks(
    paths: &[PathBuf],
    opts: &LoadOptions,
    checks: &Path,
) -> Vec<Diagnostic> {
    let covered: HashSet<String> = crate::check::overlay::load(checks)
        .map(|o| o.entries.into_iter().map(|e| e.id).collect())
        .unwrap_or_default();
    let mut out = lint_decks_covered(paths, opts, &covered);
    out.extend(checks_file(checks, paths, opts));
    out
}

/// Lints each deck (manifest or chapter) and returns the findings of all of
/// them, deduplicated, sorted by file and line.
pub fn lint_decks(paths: &[PathBuf], opts: &LoadOptions) -> Vec<Diagnostic> {
    lint_decks_covered(paths, opts, &HashSet::new())
}

/// [`lint_decks`], with the exercises `covered` by a checks overlay
/// counted as checked.
fn lint_decks_covered(
    paths: &[PathBuf],
    opts: &LoadOptions,
    covered: &HashSet<String>,
) -> Vec<Diagnostic> {
    // Decks of one call share the chapters they name (read once).
    let files: std::sync::Arc<crate::files::Files> = Default::default();
    // Classes the decks of each manifest's folder use, read once per folder.
    let mut dirs: Vec<PathBuf> = paths.iter().map(|p| manifest_dir(p)).collect();
    dirs.sort();
    dirs.dedup();
    let classes: HashMap<PathBuf, HashSet<String>> = dirs
        .into_par_iter()
        .map(|d| {
            let root = opts.root.clone().unwrap_or_else(|| d.join(".."));
            let c = rules::classes_of_decks_in(&d, &root, &files);
            (d, c)
        })
        .collect();
    let none = HashSet::new();
    // ... and lex and parse the slides of those chapters once.
    let parses = std::sync::Arc::new(crate::remark::segments::Parses::default());
    let opts = &opts.sharing(&files).parsing(&parses);
    let per_deck: Vec<Vec<Diagnostic>> = paths
        .par_iter()
        .map(|p| {
            lint_one(
                p,
                opts,
                classes.get(&manifest_dir(p)).unwrap_or(&none),
                covered,
            )
        })
        .collect();
    let mut seen = HashSet::new();
    let mut all: Vec<Diagnostic> = per_deck
        .into_iter()
        .flatten()
        .filter(|d| seen.insert((d.location.clone(), d.code)))
        .collect();
    // A file the deck names outside the repository root comes first:
    // it is what a reviewer of a deck's pull request must see.
    all.sort_by(|a, b| {
        (
            !is_outside_root(a),
            &a.location.file,
            a.location.line,
            a.location.column,
        )
            .cmp(&(
                !is_outside_root(b),
                &b.location.file,
                b.location.line,
                b.location.column,
            ))
    });
    all
}

/// Findings of the gate of every file a deck names
/// ([`crate::files::Confinement`]).
fn is_outside_root(d: &Diagnostic) -> bool {
    d.code.ends_with("-outside-root")
}

fn manifest_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Lints one deck; `repo_classes` as for [`rules::check`]. A deck that
/// cannot be loaded at all (unreadable or invalid manifest) is one error
/// finding.
pub fn lint_deck(
    path: &Path,
    opts: &LoadOptions,
    repo_classes: &HashSet<String>,
) -> Vec<Diagnostic> {
    lint_one(path, opts, repo_classes, &HashSet::new())
}

fn lint_one(
    path: &Path,
    opts: &LoadOptions,
    repo_classes: &HashSet<String>,
    covered: &HashSet<String>,
) -> Vec<Diagnostic> {
    let deck = match deck::load(path, opts) {
        Ok(d) => d,
        Err(e) => return vec![load_error(path, e)],
    };
    let mut out: Vec<Diagnostic> = deck.diagnostics.iter().cloned().collect();
    // Stylesheets and their `url()` targets, as `build` reads them.
    let files = opts.files.clone().unwrap_or_default();
    out.extend(crate::render::css_assets::deck_styles(&deck, &files, &[]).diagnostics);
    out.extend(rules::check(&deck, repo_classes));
    out.extend(exercises::check(&deck));
    out.extend(unchecked::check(&deck, covered));
    out.extend(shown::check(&deck));
    out
}

fn load_error(path: &Path, e: Error) -> Diagnostic {
    match e {
        Error::At { location, message } => Diagnostic::error("invalid-deck", location, message),
        Error::Io { path: p, cause } => {
            Diagnostic::error("invalid-deck", Location::new(p, 1), cause.to_string())
        }
        other => Diagnostic::error("invalid-deck", Location::new(path, 1), other.to_string()),
    }
}
