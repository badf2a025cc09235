//! Exercise and check rules: what `labdeck run` and `labdeck check` would
//! stumble on.
//!
//! Rule codes:
//! - from extraction: `check-without-exercise`, `duplicate-check`,
//!   `duplicate-id`, `lost-check` (a `<!-- check` that is not a check: in
//!   speaker notes, or with no closing `-->`) (errors);
//! - `exercise-without-command` (warning): no fenced block and no hidden
//!   directive, so `run` has nothing to do for it;
//! - `invalid-check` (error): a check that does not parse or uses unknown
//!   keys, at the line of the problem (the checker's own parser): this
//!   includes a `phase` that can never match its kind, `ready` on a kind
//!   without readiness, and a field selector the API server refuses;
//! - `unknown-kind` (error), `unusual-phase` (warning): see `spec::lint`.

use std::path::Path;

use crate::check::spec;
use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Location};
use crate::exercise::{self, CheckSource};

/// Every exercise-level finding for `deck`.
pub fn check(deck: &Deck) -> Vec<Diagnostic> {
    let (exercises, mut out) = exercise::extract(deck);
    let dir = deck.manifest.dir.as_path();
    // Extraction names files relative to the manifest's folder; the other
    // findings name them as reachable from here. Use the latter throughout.
    for d in &mut out {
        if !d.location.file.starts_with(dir) {
            d.location.file = on_disk(dir, &d.location.file);
        }
    }
    for ex in &exercises {
        let at = Location::new(on_disk(dir, &ex.file), ex.line);
        // Directives (`open URL`, `keys`) are actions too: an exercise made
        // only of them was written for the autopilot, not forgotten.
        if ex.commands.is_empty() && ex.steps.is_empty() {
            out.push(Diagnostic::warning(
                "exercise-without-command",
                at,
                format!(
                    "exercise `{}` has no command (no fenced code block): `labdeck run` has nothing to type",
                    ex.id
                ),
            ));
        }
        if let Some(check) = &ex.check {
            let source = CheckSource {
                yaml: check.yaml.clone(),
                file: on_disk(dir, &check.file),
                line: check.line,
            };
            match spec::parse(&source) {
                Err(e) => out.push(invalid_check(e, &source)),
                Ok(parsed) => {
                    for f in spec::lint(&parsed) {
                        out.push(if f.error {
                            Diagnostic::error(f.code, f.location, f.message)
                        } else {
                            Diagnostic::warning(f.code, f.location, f.message)
                        });
                    }
                }
            }
        }
    }
    out
}

/// Exercise paths are relative to the manifest's folder; findings name
/// files as the compiler does (as reachable from the current directory).
fn on_disk(dir: &Path, file: &Path) -> std::path::PathBuf {
    if file.is_absolute() || dir.as_os_str().is_empty() {
        file.to_path_buf()
    } else {
        dir.join(file)
    }
}

fn invalid_check(e: Error, source: &CheckSource) -> Diagnostic {
    match e {
        Error::At { location, message } => Diagnostic::error("invalid-check", location, message),
        other => Diagnostic::error(
            "invalid-check",
            Location::new(source.file.clone(), source.line),
            other.to_string(),
        ),
    }
}
