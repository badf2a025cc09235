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
//! - `command-leaves-sandbox` (warning): a command `run` would type
//!   (hidden ones included) names another kubeconfig, context or cluster
//!   (`--kubeconfig`, `KUBECONFIG=`, `--context`, `--cluster`,
//!   `kubectl config use-context`, `~/.kube`). `run` gives its shell only
//!   the pinned kubeconfig and a scratch `HOME`, so such a command either
//!   fails there or reaches a cluster nobody chose: see
//!   docs/security.md. The commands are those of `run`'s plan
//!   ([`crate::shell::typing::actions`]), their words read by the one shell
//!   reader ([`crate::shell::parse`]).
//! - `vacuous-check` (note; warning when nothing earlier makes it hold): a check that holds on an empty cluster
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
use crate::shell::parse as shell;
use crate::shell::typing::Action;

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
        for action in crate::shell::typing::actions(ex) {
            let Action::Type {
                text, line, hidden, ..
            } = action
            else {
                continue;
            };
            if let Some(why) = leaves_the_sandbox(&text) {
                let hidden = if hidden { "hidden " } else { "" };
                out.push(Diagnostic::warning(
                    "command-leaves-sandbox",
                    Location::new(on_disk(dir, &ex.file), line),
                    format!(
                        "{hidden}command `{}` {why}: `labdeck run` gives its shell only the context it pins (and a scratch HOME), so this fails there or reaches a cluster nobody chose",
                        text.lines().next().unwrap_or("")
                    ),
                ));
            }
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
        // With an earlier exercise whose objects it removes, grade and the
        // board already do the right thing: said as a note. Without one it
        // passes for a student who did nothing: a warning.
        out.push(match before.first() {
            Some(b) => Diagnostic::note(
                "vacuous-check",
                at.clone(),
                format!(
                    "check `{}` holds on an empty cluster (every expectation wants no object): `grade`, the class board and the check control count it only once `{}` has passed",
                    p.id, b.id
                ),
            ),
            None => Diagnostic::warning(
                "vacuous-check",
                at.clone(),
                format!(
                    "check `{}` holds on an empty cluster (every expectation wants no object) and no earlier exercise makes what it wants gone: it passes for a student who did nothing",
                    p.id
                ),
            ),
        });
    }
    out
}

/// Why shell `text` names a kubeconfig, context or cluster other than
/// the one `run` pins, if it does.
fn leaves_the_sandbox(text: &str) -> Option<String> {
    let kube_home = |w: &str| {
        ["~/.kube", "$HOME/.kube", "${HOME}/.kube"]
            .iter()
            .any(|h| w.contains(h))
    };
    let Ok(commands) = shell::parse(text) else {
        // Unreadable shell: still say it if the text names ~/.kube.
        return kube_home(text).then(|| "reads ~/.kube".to_string());
    };
    for c in &commands {
        for (i, w) in c.words.iter().enumerate() {
            let name = w.split('=').next().unwrap_or(w);
            if matches!(
                name,
                "--kubeconfig" | "--context" | "--cluster" | "--kube-context"
            ) {
                return Some(format!("names another {}", &name[2..]));
            }
            if name == "KUBECONFIG" && w.contains('=') {
                return Some("sets KUBECONFIG".into());
            }
            if kube_home(w) {
                return Some("reads ~/.kube".into());
            }
            // A command substitution is one word here: read what it runs.
            if w.contains("$(") || w.contains('`') {
                let inner = w.replace("$(", " ").replace([')', '`'], " ");
                if let Some(why) = leaves_the_sandbox(&inner) {
                    return Some(why);
                }
            }
            if w == "use-context"
                && i >= 1
                && c.words[i - 1] == "config"
                && c.words.first().is_some_and(|k| k.ends_with("kubectl"))
            {
                return Some("switches context (kubectl config use-context)".into());
            }
        }
    }
    None
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

#[cfg(test)]
mod tests {
    use super::leaves_the_sandbox;

    #[test]
    fn commands_naming_another_kubeconfig_context_or_cluster() {
        for bad in [
            "KUBECONFIG=$HOME/.kube/config kubectl get pods",
            "export KUBECONFIG=/etc/kubernetes/admin.conf",
            "kubectl --context prod get pods",
            "kubectl get pods --context=prod",
            "kubectl --kubeconfig /tmp/k get ns",
            "kubectl --cluster other get ns",
            "helm --kube-context prod list",
            "kubectl config use-context prod",
            "cat ~/.kube/config",
            "cp ${HOME}/.kube/config /tmp/x && echo done",
            "echo $(kubectl --context prod get ns)",
        ] {
            assert!(leaves_the_sandbox(bad).is_some(), "{bad}");
        }
        for ok in [
            "kubectl get pods",
            "kubectl config set-context --current --namespace=lab",
            "kubectl config current-context",
            "echo context",
        ] {
            assert_eq!(leaves_the_sandbox(ok), None, "{ok}");
        }
    }
}
