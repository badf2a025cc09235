//! Lint rule `unchecked-exercise` (warning): an exercise whose commands
//! change the cluster (kubectl create/apply/scale..., helm install...) and
//! that has no check, so `check`, `grade` and `run` cannot verify it. The
//! warning points at `labdeck checks suggest`, which drafts one; deciding
//! which commands change the cluster is the `suggest` module's job.
//! An exercise a checks overlay covers (`lint --checks FILE`) is checked.

use std::collections::HashSet;
use std::path::Path;

use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::Location;
use crate::exercise;
use crate::suggest;

/// One warning per unchecked exercise that changes the cluster (`covered`:
/// the ids a checks overlay gives a check).
pub fn check(deck: &Deck, covered: &HashSet<String>) -> Vec<Diagnostic> {
    let (exercises, _) = exercise::extract(deck);
    let report = suggest::suggest(deck, &exercises);
    let dir = deck.manifest.dir.as_path();
    let mut out = Vec::new();
    for s in &report.exercises {
        if s.has_check || covered.contains(&s.id) || !s.changes_state() {
            continue;
        }
        let first = s
            .followed
            .first()
            .or_else(|| s.skipped.first().map(|(o, _)| o));
        let what = match first {
            Some(o) => format!(" (`{}` at line {})", short(&o.text), o.line),
            None => String::new(),
        };
        let hint = match (&s.check, s.skipped.first()) {
            (None, _) if s.withheld.is_some() => format!(
                "`labdeck checks suggest` withholds its draft ({})",
                s.withheld.as_ref().map(|w| w.detail.as_str()).unwrap_or("")
            ),
            (Some(_), _) => format!(
                "`labdeck checks suggest {}` drafts one",
                deck.manifest.path.display()
            ),
            (None, Some((_, skip))) => format!(
                "`labdeck checks suggest` cannot infer one ({}: {})",
                skip.reason.as_str(),
                skip.detail
            ),
            (None, None) => "write one".to_string(),
        };
        out.push(Diagnostic::warning(
            "unchecked-exercise",
            Location::new(on_disk(dir, &s.file), s.line),
            format!(
                "exercise `{}` changes the cluster{what} and has no check: {hint}",
                s.id
            ),
        ));
    }
    out
}

fn short(text: &str) -> String {
    let first = text.lines().next().unwrap_or("");
    if first.chars().count() > 60 {
        let mut t: String = first.chars().take(57).collect();
        t.push_str("...");
        t
    } else {
        first.to_string()
    }
}

fn on_disk(dir: &Path, file: &Path) -> std::path::PathBuf {
    if file.is_absolute() || dir.as_os_str().is_empty() {
        file.to_path_buf()
    } else {
        dir.join(file)
    }
}
