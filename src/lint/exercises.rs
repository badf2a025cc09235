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
//! - `unknown-kind` (error), `unusual-phase` (warning): see `spec::lint`;
//! - `vacuous-check` (warning): a check that holds on an empty cluster
//!   (every expectation wants no object), which `grade`, the class board
//!   and the check control count only once an earlier exercise whose
//!   objects it removes has passed (`check::vacuous`).

use std::path::Path;

use crate::check::engine::Plan;
use crate::check::{spec, vacuous};
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
    // Parsed checks in deck order, with where each `<!-- check` is.
    let mut plans: Vec<(Plan, Location)> = Vec::new();
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
                    let plan = Plan {
                        id: ex.id.clone(),
                        file: source.file.clone(),
                        line: ex.line,
                        title: ex.title.clone(),
                        check: parsed,
                    };
                    plans.push((plan, Location::new(source.file.clone(), source.line)));
                }
            }
        }
    }
    out.extend(vacuous_checks(&plans));
    out
}

/// `vacuous-check`: each check that holds on an empty cluster, and what it
/// waits for before it counts.
fn vacuous_checks(plans: &[(Plan, Location)]) -> Vec<Diagnostic> {
    let only: Vec<Plan> = plans.iter().map(|(p, _)| p.clone()).collect();
    let mut out = Vec::new();
    for (i, (p, at)) in plans.iter().enumerate() {
        if !vacuous::is_vacuous(&p.check) {
            continue;
        }
        let before = vacuous::prerequisites(&only, i);
        let message = match before.first() {
            Some(b) => format!(
                "check `{}` holds on an empty cluster (every expectation wants no object): `grade`, the class board and the check control count it only once `{}` has passed",
                p.id, b.id
            ),
            None => format!(
                "check `{}` holds on an empty cluster (every expectation wants no object) and no earlier exercise makes what it wants gone: it passes for a student who did nothing",
                p.id
            ),
        };
        out.push(Diagnostic::warning("vacuous-check", at.clone(), message));
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
