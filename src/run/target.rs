//! Which cluster `labdeck run` types commands against, made explicit.
//!
//! A run never uses whatever context happens to be current by accident: the
//! caller names a kubeconfig or a context, and the context in use is known
//! (and printed) before anything runs. The shell gets its own copy of the
//! kubeconfig files, so commands in the deck (`kubectl config set-context
//! --current --namespace=...`) never change the user's files, plus a first
//! file that only sets `current-context`: kubectl, helm and every client-go
//! tool merge `KUBECONFIG` files and take the first `current-context`, so
//! the chosen context applies to all of them, in scripts and sub-shells too.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

#[derive(Debug, Default, Deserialize)]
struct KubeConfig {
    #[serde(rename = "current-context", default)]
    current_context: Option<String>,
    #[serde(default)]
    contexts: Option<Vec<NamedContext>>,
}

#[derive(Debug, Deserialize)]
struct NamedContext {
    name: String,
}

/// The cluster a run uses.
#[derive(Debug, Clone)]
pub struct Target {
    /// The kubeconfig files, in `KUBECONFIG` order.
    pub kubeconfigs: Vec<PathBuf>,
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
            return Err(Error::Other(
                "refusing to run against an implicit cluster: give --kubeconfig FILE or --context NAME"
                    .to_string(),
            ));
        }
        let files: Vec<PathBuf> = match kubeconfig {
            Some(f) => vec![f.to_path_buf()],
            None => default_kubeconfigs(),
        };
        let mut current = None;
        let mut known = Vec::new();
        let mut read_any = false;
        for f in &files {
            let text = match std::fs::read_to_string(f) {
                Ok(t) => t,
                // Missing entries of $KUBECONFIG are ignored, as kubectl does;
                // an explicit --kubeconfig must exist.
                Err(e) if kubeconfig.is_none() && e.kind() == std::io::ErrorKind::NotFound => {
                    continue;
                }
                Err(e) => return Err(Error::io(f, e)),
            };
            read_any = true;
            let cfg: KubeConfig = serde_saphyr::from_str(&text)
                .map_err(|e| Error::Other(format!("{}: not a kubeconfig: {e}", f.display())))?;
            if current.is_none() {
                current = cfg.current_context.filter(|c| !c.is_empty());
            }
            known.extend(cfg.contexts.unwrap_or_default().into_iter().map(|c| c.name));
        }
        if !read_any {
            return Err(Error::Other(format!(
                "no kubeconfig found (looked at {})",
                files
                    .iter()
                    .map(|f| f.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            )));
        }
        let shown = files
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(":");
        let context = match context {
            Some(c) => c.to_string(),
            None => current.ok_or_else(|| {
                Error::Other(format!("{shown}: no current-context; give --context NAME"))
            })?,
        };
        if !known.contains(&context) {
            return Err(Error::Other(format!(
                "{shown}: no context named `{context}` (known: {})",
                if known.is_empty() {
                    "none".to_string()
                } else {
                    known.join(", ")
                }
            )));
        }
        Ok(Target {
            kubeconfigs: files,
            context,
        })
    }

    /// Copies the kubeconfigs into `dir` with a context-only file first and
    /// returns the environment the shell needs (`KUBECONFIG`).
    pub fn prepare(&self, dir: &Path) -> Result<Vec<(OsString, OsString)>> {
        let first = dir.join("context.yaml");
        let text = format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: {}\n",
            serde_json::Value::String(self.context.clone())
        );
        std::fs::write(&first, text).map_err(|e| Error::io(&first, e))?;
        let mut paths = vec![first];
        for (i, f) in self.kubeconfigs.iter().enumerate() {
            if !f.exists() {
                continue;
            }
            let copy = dir.join(format!("kubeconfig-{i}.yaml"));
            std::fs::copy(f, &copy).map_err(|e| Error::io(f, e))?;
            paths.push(copy);
        }
        let joined = std::env::join_paths(&paths)
            .map_err(|e| Error::Other(format!("bad kubeconfig path: {e}")))?;
        Ok(vec![(OsString::from("KUBECONFIG"), joined)])
    }
}

fn default_kubeconfigs() -> Vec<PathBuf> {
    match std::env::var_os("KUBECONFIG") {
        Some(v) if !v.is_empty() => std::env::split_paths(&v).collect(),
        _ => std::env::var_os("HOME")
            .map(|h| vec![PathBuf::from(h).join(".kube").join("config")])
            .unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: kind-lab\ncontexts:\n- name: kind-lab\n  context: {cluster: c, user: u}\n- name: prod\n  context: {cluster: p, user: u}\n";

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
        assert!(e.to_string().contains("no context named `nope`"), "{e}");
        let e = Target::resolve(None, None).unwrap_err();
        assert!(e.to_string().contains("--kubeconfig"), "{e}");
    }

    #[test]
    fn prepared_kubeconfig_pins_the_context_and_copies() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("config");
        std::fs::write(&f, CONFIG).unwrap();
        let t = Target::resolve(Some(&f), Some("prod")).unwrap();
        let out = dir.path().join("session");
        std::fs::create_dir(&out).unwrap();
        let env = t.prepare(&out).unwrap();
        let paths: Vec<PathBuf> = std::env::split_paths(&env[0].1).collect();
        assert_eq!(paths.len(), 2);
        let first = std::fs::read_to_string(&paths[0]).unwrap();
        assert!(first.contains("current-context: \"prod\""), "{first}");
        assert_eq!(std::fs::read_to_string(&paths[1]).unwrap(), CONFIG);
    }
}
