//! Which cluster `labdeck run` types commands against, made explicit.
//!
//! A run never uses whatever context happens to be current by accident: the
//! caller names a kubeconfig or a context, and the context in use is known
//! (and printed) before anything runs. The kubeconfig is found and merged as
//! kubectl does it ([`crate::cluster::kubeconfig`]); the shell then gets a
//! pinned copy holding that one context ([`PinnedKubeconfig`]), so commands
//! in the deck (`kubectl config set-context --current --namespace=...`)
//! never change the user's files and cannot reach another cluster, in
//! scripts and sub-shells too.

use crate::cluster::kubeconfig::{self, Loaded, PinnedKubeconfig};
use crate::error::{Error, Result};
use std::path::Path;

/// The cluster a run uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The kubeconfig as kubectl would merge it.
    pub loaded: Loaded,
    /// The context commands run against.
    pub context: String,
}

impl Target {
    /// Resolves `--kubeconfig` / `--context`. Without `--kubeconfig`, the
    /// files are `$KUBECONFIG`'s or `~/.kube/config`; without `--context`,
    /// their `current-context`. Errors if neither flag is given, if the
    /// files cannot be read, or if the context is not defined in them.
    pub fn resolve(kubeconfig: Option<&Path>, context: Option<&str>) -> Result<Target> {
        if kubeconfig.is_none() && context.is_none() {
            return Err(Error::Kubeconfig(
                "refusing to run against an implicit cluster: give --kubeconfig FILE or --context NAME"
                    .to_string(),
            ));
        }
        let loaded = kubeconfig::load(kubeconfig).map_err(|e| Error::Kubeconfig(e.to_string()))?;
        let context = loaded
            .context(context)
            .map_err(|e| Error::Kubeconfig(e.to_string()))?;
        Ok(Target { loaded, context })
    }

    /// Where the kubeconfig came from, as a user would name it.
    pub fn origin(&self) -> String {
        self.loaded.origin.to_string()
    }

    /// The minimal kubeconfig of the context, for the shell: removed when
    /// the returned value is dropped.
    pub fn pin(&self) -> Result<PinnedKubeconfig> {
        self.loaded
            .pin(&self.context)
            .map_err(|e| Error::Kubeconfig(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: kind-lab\nclusters:\n- name: c\n  cluster: {server: https://c:6443}\n- name: p\n  cluster: {server: https://p:6443}\ncontexts:\n- name: kind-lab\n  context: {cluster: c, user: u}\n- name: prod\n  context: {cluster: p, user: u}\nusers:\n- name: u\n  user: {token: t}\n";

    #[test]
    fn current_context_is_used_and_checked() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        std::fs::write(&f, CONFIG).unwrap();
        let t = Target::resolve(Some(&f), None).unwrap();
        assert_eq!(t.context, "kind-lab");
        let t = Target::resolve(Some(&f), Some("prod")).unwrap();
        assert_eq!(t.context, "prod");
        let e = Target::resolve(Some(&f), Some("nope")).unwrap_err();
        assert!(e.to_string().contains("context \"nope\" not found"), "{e}");
        let e = Target::resolve(None, None).unwrap_err();
        assert!(e.to_string().contains("--kubeconfig"), "{e}");
    }

    #[test]
    fn the_pinned_kubeconfig_holds_only_the_context() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        std::fs::write(&f, CONFIG).unwrap();
        let t = Target::resolve(Some(&f), Some("prod")).unwrap();
        let pinned = t.pin().unwrap();
        let env = pinned.env();
        assert_eq!(env[0].0, "KUBECONFIG");
        assert_eq!(Path::new(&env[0].1), pinned.path());
        let back = kubeconfig::load(Some(pinned.path())).unwrap().kubeconfig;
        assert_eq!(back.current_context.as_deref(), Some("prod"));
        let names: Vec<&str> = back.contexts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["prod"]);
        // The user's file is untouched.
        assert_eq!(std::fs::read_to_string(&f).unwrap(), CONFIG);
    }
}
