//! helm's verbs that change a cluster (`install`, `upgrade`, `uninstall`...)
//! as releases in the expected state (helm's pkg/action/).

use super::*;

impl Interp {
    /// `helm install NAME CHART`, `helm upgrade [--install] NAME CHART`,
    /// `helm uninstall NAME`, `helm rollback NAME`: the release's storage
    /// Secret `sh.helm.release.v1.NAME.vN`, labelled `owner=helm`,
    /// `name=NAME`, `status=deployed` for the current revision
    /// (helm pkg/storage/driver/secrets.go `newSecretsObject`, key from
    /// pkg/storage/storage.go `makeKey`).
    pub(super) fn helm(&mut self, words: &[String]) -> Outcome {
        let args = Args::parse(words, helm_takes_value);
        let verb = args.pos.first().cloned().unwrap_or_default();
        if !helm_changes(words) {
            return Outcome::ReadOnly;
        }
        if let Some(p) = words.iter().find_map(|w| placeholder(w)) {
            return skip(Reason::Placeholder, format!("`{p}` is a placeholder"));
        }
        if args.has(&["dry-run"]) {
            return Outcome::ReadOnly;
        }
        let ns = args
            .value(&["n", "namespace"])
            .map(str::to_string)
            .or_else(|| self.context_namespace());
        match verb.as_str() {
            "install" | "upgrade" | "rollback" => {
                if args.has(&["generate-name", "g"]) {
                    return skip(
                        Reason::Unsupported,
                        "`--generate-name`: the release name is not known",
                    );
                }
                let min = if verb == "rollback" { 2 } else { 3 };
                if args.pos.len() < min {
                    return skip(
                        Reason::Unsupported,
                        format!("`helm {verb}` without a release name and chart"),
                    );
                }
                let name = args.pos[1].clone();
                // Each install, upgrade or rollback is a new revision
                // (pkg/action/install.go: 1; upgrade.go and rollback.go:
                // the last one + 1); an upgrade of a release that does
                // not exist is an install (`--install`).
                if verb != "install" && self.state.helm_unknown.contains(&ns) {
                    return skip(
                        Reason::ShellVariable,
                        "an earlier helm command in this namespace named its release with a shell variable: which releases exist, and their revisions, are not known",
                    );
                }
                let unknown = false;
                let revision = self
                    .state
                    .releases
                    .entry((ns.clone(), name.clone()))
                    .or_insert(0);
                // 0: the revision is not known (see `State::releases`).
                *revision = if verb == "install" {
                    1
                } else if unknown
                    || (*revision == 0
                        && (verb == "rollback"
                            || self.state.carried.contains(&(ns.clone(), name.clone()))))
                {
                    0
                } else {
                    revision.saturating_add(1)
                };
                let mut touched = Vec::new();
                if args.has(&["create-namespace"])
                    && let Some(n) = &ns
                {
                    let o = Obj::new("Namespace", "v1", false, None, n);
                    touched.push(Touch::Object(o.key()));
                    self.state.upsert(o);
                }
                touched.push(Touch::HelmRelease {
                    namespace: ns,
                    name,
                    present: true,
                });
                Outcome::Changed(touched)
            }
            "uninstall" | "delete" | "del" | "un" => {
                if args.has(&["keep-history"]) {
                    return skip(
                        Reason::Unsupported,
                        "`--keep-history` keeps the release's Secrets",
                    );
                }
                let Some(name) = args.pos.get(1).cloned() else {
                    return skip(
                        Reason::Unsupported,
                        "`helm uninstall` without a release name",
                    );
                };
                self.state.releases.remove(&(ns.clone(), name.clone()));
                Outcome::Changed(vec![Touch::HelmRelease {
                    namespace: ns,
                    name,
                    present: false,
                }])
            }
            other => skip(
                Reason::Unsupported,
                format!("`helm {other}` is not modelled"),
            ),
        }
    }
}

pub(super) fn helm_changes(words: &[String]) -> bool {
    let args = Args::parse(words, helm_takes_value);
    matches!(
        args.pos.first().map(String::as_str),
        Some("install" | "upgrade" | "rollback" | "uninstall" | "delete" | "del" | "un" | "init")
    ) && !args.has(&["dry-run"])
}
