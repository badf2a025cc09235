//! Checks kept outside the slides: `--checks FILE.yml` (COMMON.md's
//! "Checks overlay file"). Instructors grade decks they did not write, and
//! chapters are shared by many decks: a YAML mapping from exercise id to a
//! check body (the same YAML as inside `<!-- check ... -->`) supplies or
//! replaces their checks without touching the Markdown.
//!
//! This module is the one place exercises are loaded with their checks:
//! [`exercises`] extracts them from the deck and merges the overlay
//! ([`load_exercises`] for `check`, `grade` and `serve`,
//! [`load_exercises_strict`] for `run`). An
//! overlay check replaces the slide's check for the same exercise; an id
//! the deck does not have is an error at the overlay's line.

use std::path::{Component, Path, PathBuf};

use serde::de::IgnoredAny;
use serde_saphyr::Spanned;

use crate::check::spec;
use crate::check::spec::extra::RawQueries;
use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Location, Result};
use crate::exercise::{self, CheckSource, Exercise};

/// One entry of an overlay file.
#[derive(Debug, Clone)]
pub struct Entry {
    pub id: String,
    /// The check's YAML: what follows `id:` on its line, then the indented
    /// lines under it.
    pub yaml: String,
    /// 1-based line of `id:` in the overlay file.
    pub line: usize,
}

/// A loaded overlay file.
#[derive(Debug, Clone)]
pub struct Overlay {
    /// As given on the command line.
    pub path: PathBuf,
    pub entries: Vec<Entry>,
}

/// Reads and splits an overlay file. Bad YAML, a top level that is not a
/// mapping, or an id given twice is an error at its line.
pub fn load(path: &Path) -> Result<Overlay> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    parse(path, &text)
}

/// [`load`] on text already read.
pub fn parse(path: &Path, text: &str) -> Result<Overlay> {
    let keys: RawQueries<IgnoredAny> = if text.trim().is_empty() {
        RawQueries(Vec::new())
    } else {
        serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line()).unwrap_or(1) as usize;
            let msg = e.without_snippet().to_string();
            let first = msg.lines().next().unwrap_or("invalid YAML");
            let first = first.find(" at line ").map_or(first, |i| &first[..i]);
            Error::at(
                Location::new(path, line.max(1)),
                format!("checks file: {first} (want a mapping from exercise id to check)"),
            )
        })?
    };
    let lines: Vec<&str> = text.lines().collect();
    let starts: Vec<usize> = keys
        .0
        .iter()
        .map(|(k, _)| (k.referenced.line() as usize).max(1))
        .collect();
    let mut entries = Vec::new();
    for (i, (key, _)) in keys.0.iter().enumerate() {
        let line = starts[i];
        let end = starts
            .get(i + 1)
            .map_or(lines.len(), |n| n.saturating_sub(1));
        let first = lines.get(line - 1).copied().unwrap_or("");
        // The rest of the key's line: `id: {timeout: 0, expect: [...]}` or
        // a comment or nothing.
        let rest = first.find(':').map_or("", |c| &first[c + 1..]).trim_start();
        let mut yaml = String::from(rest);
        for l in lines.get(line..end.max(line)).unwrap_or(&[]) {
            yaml.push('\n');
            // A comment at the left margin annotates the file, not this
            // entry (it may head the next one); keep the line, empty, so
            // that lines still count.
            if !l.starts_with('#') {
                yaml.push_str(l);
            }
        }
        entries.push(Entry {
            id: key.value.clone(),
            yaml: dedent_after_first(&yaml),
            line,
        });
    }
    Ok(Overlay {
        path: path.to_path_buf(),
        entries,
    })
}

/// Removes the indentation common to the lines after the first.
fn dedent_after_first(yaml: &str) -> String {
    let mut lines = yaml.split('\n');
    let first = lines.next().unwrap_or("");
    let rest: Vec<&str> = lines.collect();
    let indent = rest
        .iter()
        .filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    let mut out = first.to_string();
    for l in rest {
        out.push('\n');
        out.push_str(l.get(indent..).unwrap_or(l.trim_start_matches(' ')));
    }
    out
}

/// `path` as seen from `dir` (both as reachable from here), so that an
/// overlay's checks are named like the deck's chapters: relative to the
/// manifest's folder.
fn relative_to(path: &Path, dir: &Path) -> PathBuf {
    if dir.as_os_str().is_empty() || path.is_absolute() != dir.is_absolute() {
        return path.to_path_buf();
    }
    let p: Vec<Component> = path
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let d: Vec<Component> = dir
        .components()
        .filter(|c| *c != Component::CurDir)
        .collect();
    let common = p.iter().zip(&d).take_while(|(a, b)| a == b).count();
    if d[common..]
        .iter()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return path.to_path_buf();
    }
    let mut out = PathBuf::new();
    for _ in common..d.len() {
        out.push("..");
    }
    for c in &p[common..] {
        out.push(c);
    }
    out
}

/// Merges `overlay` into `exercises` (those of `deck`): each entry's check
/// replaces the exercise's own. Returns the entries whose id no exercise
/// has, as errors at their line.
pub fn apply(deck: &Deck, exercises: &mut [Exercise], overlay: &Overlay) -> Vec<Diagnostic> {
    let file = relative_to(&overlay.path, &deck.manifest.dir);
    let mut out = Vec::new();
    for entry in &overlay.entries {
        match exercises.iter_mut().find(|e| e.id == entry.id) {
            Some(ex) => {
                ex.check = Some(CheckSource {
                    yaml: entry.yaml.clone(),
                    file: file.clone(),
                    line: entry.line,
                });
            }
            None => out.push(unknown_id(overlay, entry)),
        }
    }
    out
}

fn unknown_id(overlay: &Overlay, entry: &Entry) -> Diagnostic {
    Diagnostic::error(
        "unknown-exercise-id",
        Location::new(&overlay.path, entry.line),
        format!(
            "no exercise `{}` in this deck (`labdeck exercises DECK` lists the ids)",
            entry.id
        ),
    )
}

/// The exercises of `deck` with the checks of `overlay` merged in, and every
/// problem found doing so (extraction's, unknown ids, an `id:` inside an
/// entry that differs from its key).
pub fn exercises(deck: &Deck, overlay: Option<&Overlay>) -> (Vec<Exercise>, Vec<Diagnostic>) {
    let (mut exercises, mut diagnostics) = exercise::extract(deck);
    if let Some(o) = overlay {
        diagnostics.extend(mismatched_ids(o));
        diagnostics.extend(apply(deck, &mut exercises, o));
    }
    (exercises, diagnostics)
}

/// The exercises of the deck at `path` with the checks of the file at
/// `checks` merged in, as `check`, `grade` and `serve` read them: problems
/// elsewhere in the deck (a missing image...) do not stop a check and come
/// back as warnings (the deck's error diagnostics); problems with the
/// overlay, the exercises or their checks are the error. Exercise and check
/// files are named as reachable from the current folder.
pub fn load_exercises(
    path: &Path,
    checks: Option<&Path>,
) -> Result<(Vec<Exercise>, Vec<Diagnostic>)> {
    let overlay = checks.map(load).transpose()?;
    let deck = crate::deck::load(path, &crate::deck::LoadOptions::default())?;
    let warnings = deck
        .diagnostics
        .iter()
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let exercises = exercises_strict(&deck, overlay.as_ref())?;
    Ok((named_from_here(exercises, &deck.manifest.dir), warnings))
}

/// The exercises as `run` reads them, before it types anything into a
/// cluster: any problem in the deck stops it ([`crate::deck::load_strict`]).
/// `remark` are `--remark KEY=VALUE` options over the deck's own, as
/// `build` takes them, so that the commands typed are the ones the page
/// built with them shows. Files are named as in [`load_exercises`].
pub fn load_exercises_strict(
    path: &Path,
    checks: Option<&Path>,
    remark: &[String],
) -> Result<Vec<Exercise>> {
    let opts = crate::deck::LoadOptions {
        remark: remark.to_vec(),
        ..crate::deck::LoadOptions::default()
    };
    let deck = crate::deck::load_strict(path, &opts)?;
    let overlay = checks.map(load).transpose()?;
    let exercises = exercises_strict(&deck, overlay.as_ref())?;
    Ok(named_from_here(exercises, &deck.manifest.dir))
}

/// Exercise and check files (relative to the manifest's folder `dir`)
/// named as reachable from the current folder, as `lint` names them, so
/// that every report of every command (and editors, and CI annotations)
/// points at the same file the same way.
fn named_from_here(mut exercises: Vec<Exercise>, dir: &Path) -> Vec<Exercise> {
    for ex in &mut exercises {
        ex.file = crate::source::reachable(dir, &ex.file);
        if let Some(check) = &mut ex.check {
            check.file = crate::source::reachable(dir, &check.file);
        }
    }
    exercises
}

/// Like [`exercises`], failing on the first error.
pub fn exercises_strict(deck: &Deck, overlay: Option<&Overlay>) -> Result<Vec<Exercise>> {
    let (exercises, diagnostics) = exercises(deck, overlay);
    match diagnostics.into_iter().find(Diagnostic::is_error) {
        Some(d) => Err(d.into_error()),
        None => Ok(exercises),
    }
}

/// An entry may repeat its id inside (`id: x`), as in the slides; a
/// different one is a mistake.
fn mismatched_ids(overlay: &Overlay) -> Vec<Diagnostic> {
    #[derive(serde::Deserialize)]
    struct Id {
        id: Option<Spanned<String>>,
    }
    let mut out = Vec::new();
    for e in &overlay.entries {
        if let Ok(Id { id: Some(id) }) = serde_saphyr::from_str::<Id>(&e.yaml)
            && id.value != e.id
        {
            out.push(Diagnostic::error(
                "invalid-check",
                Location::new(&overlay.path, e.line + id.referenced.line() as usize - 1),
                format!("check: id `{}` differs from its key `{}`", id.value, e.id),
            ));
        }
    }
    out
}

/// `lint --checks`: the overlay's findings against the exercises of every
/// linted deck: ids none of them has, and checks that do not parse (at
/// their line in the overlay).
pub fn lint(overlay: &Overlay, known_ids: &[String]) -> Vec<Diagnostic> {
    let mut out = mismatched_ids(overlay);
    for e in &overlay.entries {
        if !known_ids.contains(&e.id) {
            out.push(unknown_id(overlay, e));
        }
        let source = CheckSource {
            yaml: e.yaml.clone(),
            file: overlay.path.clone(),
            line: e.line,
        };
        if let Err(err) = spec::parse(&source) {
            out.push(match err {
                Error::At { location, message } => {
                    Diagnostic::error("invalid-check", location, message)
                }
                other => Diagnostic::error(
                    "invalid-check",
                    Location::new(&overlay.path, e.line),
                    other.to_string(),
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "# labdeck checks for slides/labdeck-sample.yml
labeldemo-create:        # kubectl create deployment ...
  timeout: 60s
  expect:
    - kind: deploy
      name: labeldemo
      ready: true

daemonset-2: {timeout: 0, expect: [{kind: ds, name: rng}]}
bare-list:
  - kind: pods
    where:
      - spec.containers[0].image exists
";

    #[test]
    fn entries_keep_their_lines_and_parse_as_checks() {
        let o = parse(Path::new("checks.yml"), FILE).unwrap();
        let ids: Vec<&str> = o.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, ["labeldemo-create", "daemonset-2", "bare-list"]);
        assert_eq!(o.entries[0].line, 2);
        assert_eq!(o.entries[1].line, 9);
        assert_eq!(o.entries[2].line, 10);
        for (e, want) in o.entries.iter().zip([5, 9, 11]) {
            let c = spec::parse(&CheckSource {
                yaml: e.yaml.clone(),
                file: "checks.yml".into(),
                line: e.line,
            })
            .unwrap_or_else(|err| panic!("{}: {err}\n{}", e.id, e.yaml));
            assert_eq!(c.expect.len(), 1);
            assert_eq!(c.expect[0].location.line, want, "{}", e.id);
        }
        let lint = lint(&o, &["daemonset-2".to_string(), "bare-list".to_string()]);
        assert_eq!(lint.len(), 1);
        assert_eq!(lint[0].location.line, 2);
        assert!(lint[0].message.contains("no exercise `labeldemo-create`"));
    }

    #[test]
    fn bad_files_are_errors_at_their_line() {
        let e = parse(Path::new("c.yml"), "a:\n  expect: []\na:\n  expect: []\n").unwrap_err();
        assert!(
            e.to_string().starts_with("c.yml:3: checks file: duplicate"),
            "{e}"
        );
        let e = parse(Path::new("c.yml"), "- a\n- b\n").unwrap_err();
        assert!(e.to_string().starts_with("c.yml:1:"), "{e}");
        let o = parse(
            Path::new("c.yml"),
            "x:\n  id: y\n  expect: [{kind: pods}]\n",
        )
        .unwrap();
        let d = lint(&o, &["x".to_string()]);
        assert_eq!(d.len(), 1, "{d:?}");
        assert_eq!(d[0].location.line, 2);
        assert!(d[0].message.contains("differs from its key"));
    }

    #[test]
    fn overlay_paths_are_named_from_the_manifest_folder() {
        assert_eq!(
            relative_to(Path::new("examples/checks/s.yml"), Path::new("slides")),
            PathBuf::from("../examples/checks/s.yml")
        );
        assert_eq!(
            relative_to(Path::new("slides/c.yml"), Path::new("slides")),
            PathBuf::from("c.yml")
        );
    }
}
