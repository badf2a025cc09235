//! Exercise and check rules: what `labdeck run` and `labdeck check` would
//! stumble on.
//!
//! Rule codes:
//! - from extraction: `check-without-exercise`, `duplicate-check`,
//!   `duplicate-id` (errors);
//! - `exercise-without-command` (warning): nothing to type (no fenced block,
//!   no hidden command), so `run` cannot exercise it;
//! - `exercise-without-shell-command` (warning): only blocks in other
//!   languages or none (`run` types only `bash`/`sh`/`shell` blocks);
//! - `invalid-check` (error): a check that does not parse or uses unknown
//!   keys, at the line of the problem.

use std::path::Path;

use crate::check::spec;
use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::{Error, Location};
use crate::exercise::{self, CheckSource, Exercise};
use crate::run::plan::SHELL_LANGS;

/// Every exercise-level finding for `deck`.
pub fn check(deck: &Deck) -> Vec<Diagnostic> {
    let (exercises, mut out) = exercise::extract(deck);
    let dir = deck.manifest.dir.as_path();
    for ex in &exercises {
        let at = Location::new(on_disk(dir, &ex.file), ex.line);
        let hidden_commands = ex
            .steps
            .iter()
            .any(|s| matches!(s.directive.as_deref(), Some("hide") | Some("bash")));
        if ex.commands.is_empty() && !hidden_commands {
            out.push(Diagnostic::warning(
                "exercise-without-command",
                at.clone(),
                format!(
                    "exercise `{}` has no command (no fenced code block): `labdeck run` has nothing to type",
                    ex.id
                ),
            ));
        } else if !hidden_commands
            && !ex
                .commands
                .iter()
                .any(|c| c.lang.as_deref().is_some_and(|l| SHELL_LANGS.contains(&l)))
        {
            let langs: Vec<String> = ex
                .commands
                .iter()
                .map(|c| c.lang.clone().unwrap_or_else(|| "no language".into()))
                .collect();
            out.push(Diagnostic::warning(
                "exercise-without-shell-command",
                at,
                format!(
                    "exercise `{}` has no ```bash block ({}): `labdeck run` types only bash/sh/shell blocks",
                    ex.id,
                    langs.join(", ")
                ),
            ));
        }
        if let Some(check) = &ex.check {
            let source = CheckSource {
                yaml: check.yaml.clone(),
                file: on_disk(dir, &check.file),
                line: check.line,
            };
            if let Err(e) = spec::parse(&source) {
                out.push(invalid_check(e, &source));
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
