//! The one place labdeck finds, reads, merges and pins kubeconfigs.
//!
//! `check`, `grade` and `run` (and `serve`) all reach clusters through this
//! module, so the rules are those of kubectl everywhere, restated from
//! client-go `tools/clientcmd/loader.go` (`ClientConfigLoadingRules.Load`,
//! `NewDefaultClientConfigLoadingRules`):
//!
//! - `--kubeconfig FILE`: that file alone, and it must exist.
//! - otherwise `KUBECONFIG=a:b:c`: every file in order (duplicates read
//!   once, empty entries ignored); a file that does not exist is skipped;
//!   one that exists but cannot be read or parsed is an error.
//! - otherwise `~/.kube/config`.
//! - merging: the first file to define a cluster, user or context name wins
//!   the whole entry, and the first `current-context` wins (kube's
//!   [`Kubeconfig::merge`] implements exactly that).
//! - relative paths inside a file (`certificate-authority`, `client-key`,
//!   `tokenFile`, an exec `command` with a `/`) are relative to that file's
//!   folder (kube's [`Kubeconfig::read_from`], as client-go's
//!   `ResolveLocalPaths`).
//!
//! "Pinning" writes the minimal, flattened kubeconfig of one context, what
//! `kubectl config view --minify --flatten --context C` prints, for the
//! shell of `labdeck run`: commands in a deck then reach that cluster and no
//! other, whatever they do to their kubeconfig, and the user's own files are
//! never written.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use base64::Engine as _;
use kube::config::{AuthInfo, Kubeconfig, NamedAuthInfo, NamedCluster, NamedContext};

use super::ClusterError;

/// Where a kubeconfig came from, for messages: `--kubeconfig x.yaml`,
/// `KUBECONFIG=a:b`, `~/.kube/config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// `--kubeconfig`, or one student's file for `grade`.
    File(PathBuf),
    /// The `KUBECONFIG` variable, as set.
    Env(OsString),
    /// `~/.kube/config`.
    Home(PathBuf),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::File(p) => write!(f, "{}", p.display()),
            Origin::Env(v) => write!(f, "KUBECONFIG={}", v.to_string_lossy()),
            Origin::Home(p) => write!(f, "{}", p.display()),
        }
    }
}

/// A kubeconfig as kubectl would see it: the files read, merged.
#[derive(Debug, Clone)]
pub struct Loaded {
    pub kubeconfig: Kubeconfig,
    /// The files actually read, in merge order (missing `KUBECONFIG`
    /// entries are not in it).
    pub files: Vec<PathBuf>,
    pub origin: Origin,
}

fn config_error(msg: String) -> ClusterError {
    ClusterError::Config(msg)
}

/// Finds and merges the kubeconfig kubectl would use with `--kubeconfig
/// explicit` (or without it).
pub fn load(explicit: Option<&Path>) -> Result<Loaded, ClusterError> {
    if let Some(path) = explicit {
        return load_file(path);
    }
    match std::env::var_os("KUBECONFIG") {
        // client-go: `len(envVarFiles) != 0`; an empty variable means unset.
        Some(v) if !v.is_empty() => {
            let files: Vec<PathBuf> = std::env::split_paths(&v).collect();
            load_files(&files, Origin::Env(v))
        }
        _ => {
            let home = home_config().ok_or_else(|| {
                config_error(
                    "no kubeconfig: give --kubeconfig FILE or set KUBECONFIG (HOME is not set)"
                        .into(),
                )
            })?;
            if !home.exists() {
                return Err(config_error(format!(
                    "no kubeconfig: {} does not exist (give --kubeconfig FILE or set KUBECONFIG)",
                    home.display()
                )));
            }
            load_files(std::slice::from_ref(&home), Origin::Home(home.clone()))
        }
    }
}

/// One kubeconfig file, which must exist (`--kubeconfig`, a student's file).
pub fn load_file(path: &Path) -> Result<Loaded, ClusterError> {
    let kubeconfig = read(path)?;
    Ok(Loaded {
        kubeconfig,
        files: vec![path.to_path_buf()],
        origin: Origin::File(path.to_path_buf()),
    })
}

/// `~/.kube/config` (client-go `RecommendedHomeFile`).
fn home_config() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").filter(|h| !h.is_empty())?;
    Some(PathBuf::from(home).join(".kube").join("config"))
}

/// Reads one file, its relative paths made absolute against its folder.
fn read(path: &Path) -> Result<Kubeconfig, ClusterError> {
    // An absolute path first, so the paths kube resolves against the file's
    // folder stay valid whatever the working directory later is.
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    if let Err(e) = std::fs::metadata(&abs) {
        return Err(config_error(format!("kubeconfig {}: {e}", path.display())));
    }
    Kubeconfig::read_from(&abs).map_err(|e| {
        config_error(format!(
            "kubeconfig {}: {}",
            path.display(),
            super::one_line(&e)
        ))
    })
}

/// Merges `files` in order, skipping those that do not exist.
fn load_files(files: &[PathBuf], origin: Origin) -> Result<Loaded, ClusterError> {
    let mut merged: Option<Kubeconfig> = None;
    let mut read_files: Vec<PathBuf> = Vec::new();
    for f in files {
        // client-go `deduplicate` and `if len(filename) == 0 { continue }`.
        if f.as_os_str().is_empty() || read_files.contains(f) {
            continue;
        }
        match std::fs::metadata(f) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            _ => {}
        }
        let k = read(f)?;
        read_files.push(f.clone());
        merged = Some(match merged {
            None => k,
            Some(m) => m.merge(k).map_err(|e| {
                config_error(format!("kubeconfig {}: cannot merge: {e}", f.display()))
            })?,
        });
    }
    let Some(kubeconfig) = merged else {
        return Err(config_error(format!(
            "no kubeconfig: none of the files in {origin} exists"
        )));
    };
    Ok(Loaded {
        kubeconfig,
        files: read_files,
        origin,
    })
}

impl Loaded {
    /// The context kubectl would use: `wanted`, else `current-context`;
    /// it must be defined.
    pub fn context(&self, wanted: Option<&str>) -> Result<String, ClusterError> {
        context_of(&self.kubeconfig, wanted, &self.origin.to_string())
    }

    /// Writes the minimal flattened kubeconfig of `context` (see [`pin`]).
    pub fn pin(&self, context: &str) -> Result<PinnedKubeconfig, ClusterError> {
        pin(&self.kubeconfig, context)
    }
}

/// The context to use in `kubeconfig`: `wanted`, else its
/// `current-context`. `origin` names the kubeconfig in messages.
pub fn context_of(
    kubeconfig: &Kubeconfig,
    wanted: Option<&str>,
    origin: &str,
) -> Result<String, ClusterError> {
    let name = match wanted {
        Some(c) => c.to_string(),
        None => match kubeconfig.current_context.as_deref() {
            Some(c) if !c.is_empty() => c.to_string(),
            _ => {
                return Err(config_error(format!(
                    "kubeconfig {origin}: no current-context; give --context NAME (contexts: {})",
                    known(kubeconfig)
                )));
            }
        },
    };
    if !kubeconfig.contexts.iter().any(|c| c.name == name) {
        return Err(config_error(format!(
            "context {name:?} not found in kubeconfig {origin} (contexts: {})",
            known(kubeconfig)
        )));
    }
    Ok(name)
}

fn known(kubeconfig: &Kubeconfig) -> String {
    if kubeconfig.contexts.is_empty() {
        return "none".into();
    }
    kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The cluster entry a context points at (`None` when the context or its
/// cluster is missing).
pub fn cluster_of<'a>(kubeconfig: &'a Kubeconfig, context: &str) -> Option<&'a NamedCluster> {
    let ctx = kubeconfig.contexts.iter().find(|c| c.name == context)?;
    let cluster = &ctx.context.as_ref()?.cluster;
    kubeconfig.clusters.iter().find(|c| c.name == *cluster)
}

/// A kubeconfig file holding one context, removed (with its folder) when
/// dropped. The folder is private (0700) and the file 0600, as kubectl
/// writes kubeconfigs (client-go `WriteToFile`).
#[derive(Debug)]
pub struct PinnedKubeconfig {
    dir: tempfile::TempDir,
    path: PathBuf,
    context: String,
}

impl PinnedKubeconfig {
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn context(&self) -> &str {
        &self.context
    }

    /// The environment a shell needs to use it: `KUBECONFIG=<file>`.
    pub fn env(&self) -> Vec<(OsString, OsString)> {
        vec![(
            OsString::from("KUBECONFIG"),
            self.path.clone().into_os_string(),
        )]
    }

    /// Removes the file and its folder now, reporting a failure (Drop also
    /// removes them, silently).
    pub fn close(self) -> std::io::Result<()> {
        self.dir.close()
    }
}

/// `kubectl config view --minify --flatten --context C`: the context, its
/// cluster and its user, with certificate and key files inlined as `-data`
/// (client-go `FlattenConfig` inlines exactly those three), and
/// `current-context: C`. Written 0600 in a fresh private temporary folder.
pub fn pin(kubeconfig: &Kubeconfig, context: &str) -> Result<PinnedKubeconfig, ClusterError> {
    let minimal = minify(kubeconfig, context)?;
    let text = serde_json::to_string_pretty(&minimal)
        .map_err(|e| config_error(format!("context {context}: cannot write kubeconfig: {e}")))?;
    let mut builder = tempfile::Builder::new();
    builder.prefix("labdeck-kube-");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o700));
    let dir = builder
        .tempdir()
        .map_err(|e| config_error(format!("cannot create a temporary folder: {e}")))?;
    let path = dir.path().join("config");
    write_private(&path, text.as_bytes())
        .map_err(|e| config_error(format!("{}: {e}", path.display())))?;
    Ok(PinnedKubeconfig {
        dir,
        path,
        context: context.to_string(),
    })
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let mut f = opts.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

/// The one-context kubeconfig [`pin`] writes.
pub fn minify(kubeconfig: &Kubeconfig, context: &str) -> Result<Kubeconfig, ClusterError> {
    let ctx: NamedContext = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .cloned()
        .ok_or_else(|| {
            config_error(format!(
                "context {context:?} not found in kubeconfig (contexts: {})",
                known(kubeconfig)
            ))
        })?;
    let body = ctx
        .context
        .as_ref()
        .ok_or_else(|| config_error(format!("context {context}: empty context entry")))?;
    let mut cluster: NamedCluster = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == body.cluster)
        .cloned()
        .ok_or_else(|| {
            config_error(format!(
                "context {context}: cluster {:?} not found in kubeconfig",
                body.cluster
            ))
        })?;
    if let Some(c) = cluster.cluster.as_mut()
        && c.certificate_authority_data.is_none()
        && let Some(file) = c.certificate_authority.take()
    {
        c.certificate_authority_data = Some(inline(&file, context, "certificate-authority")?);
    }
    let mut users = Vec::new();
    if let Some(user_name) = &body.user {
        let mut user: NamedAuthInfo = kubeconfig
            .auth_infos
            .iter()
            .find(|u| u.name == *user_name)
            .cloned()
            .ok_or_else(|| {
                config_error(format!(
                    "context {context}: user {user_name:?} not found in kubeconfig"
                ))
            })?;
        if let Some(a) = user.auth_info.as_mut() {
            flatten_user(a, context)?;
        }
        users.push(user);
    }
    Ok(Kubeconfig {
        clusters: vec![cluster],
        auth_infos: users,
        contexts: vec![ctx],
        current_context: Some(context.to_string()),
        kind: Some("Config".into()),
        api_version: Some("v1".into()),
        ..Default::default()
    })
}

fn flatten_user(a: &mut AuthInfo, context: &str) -> Result<(), ClusterError> {
    if a.client_certificate_data.is_none()
        && let Some(file) = a.client_certificate.take()
    {
        a.client_certificate_data = Some(inline(&file, context, "client-certificate")?);
    }
    if a.client_key_data.is_none()
        && let Some(file) = a.client_key.take()
    {
        a.client_key_data = Some(inline(&file, context, "client-key")?.into());
    }
    Ok(())
}

fn inline(file: &str, context: &str, key: &str) -> Result<String, ClusterError> {
    let bytes = std::fs::read(file)
        .map_err(|e| config_error(format!("context {context}: {key} {file}: {e}")))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(cluster: &str, user: &str, current: Option<&str>) -> String {
        let cur = current
            .map(|c| format!("current-context: {c}\n"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1\nkind: Config\n{cur}clusters:\n- name: {cluster}\n  cluster:\n    server: https://{cluster}.example:6443\ncontexts:\n- name: {cluster}\n  context:\n    cluster: {cluster}\n    user: {user}\nusers:\n- name: {user}\n  user:\n    token: tok-{cluster}\n"
        )
    }

    #[test]
    fn missing_kubeconfig_entries_are_skipped_first_file_wins() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::fs::write(&a, config("one", "shared", Some("one"))).unwrap();
        // `b` redefines user `shared`: the first file's entry is kept whole.
        std::fs::write(&b, config("two", "shared", Some("two"))).unwrap();
        let files = vec![
            a.clone(),
            dir.path().join("missing"),
            PathBuf::new(),
            b.clone(),
            a.clone(),
        ];
        let l = load_files(&files, Origin::Env("x".into())).unwrap();
        assert_eq!(l.files, vec![a, b]);
        assert_eq!(l.kubeconfig.current_context.as_deref(), Some("one"));
        assert_eq!(l.kubeconfig.contexts.len(), 2);
        assert_eq!(l.kubeconfig.auth_infos.len(), 1);
        let token = l.kubeconfig.auth_infos[0]
            .auth_info
            .as_ref()
            .and_then(|a| a.token.as_ref())
            .map(|t| secrecy::ExposeSecret::expose_secret(t).to_string());
        assert_eq!(token.as_deref(), Some("tok-one"));
        assert_eq!(l.context(None).unwrap(), "one");
        assert_eq!(l.context(Some("two")).unwrap(), "two");
        let e = l.context(Some("three")).unwrap_err().to_string();
        assert!(
            e.contains("context \"three\" not found") && e.contains("one, two"),
            "{e}"
        );
    }

    #[test]
    fn an_explicit_file_must_exist_and_nothing_at_all_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("nope.yaml");
        let e = load(Some(&missing)).unwrap_err().to_string();
        assert!(e.contains("nope.yaml") && e.contains("No such file"), "{e}");
        let e = load_files(&[missing], Origin::Env("nope.yaml".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("none of the files in KUBECONFIG=nope.yaml"),
            "{e}"
        );
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let bad = dir.path().join("bad.yaml");
        std::fs::write(&bad, "clusters: [oops").unwrap();
        let e = load_files(&[bad], Origin::Env("x".into()))
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with("kubeconfig ") && e.contains("bad.yaml"),
            "{e}"
        );
    }

    #[test]
    fn pinning_keeps_one_context_inlines_files_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ca.crt"), "CA PEM").unwrap();
        std::fs::write(dir.path().join("me.key"), "KEY PEM").unwrap();
        let text = "apiVersion: v1\nkind: Config\ncurrent-context: a\nclusters:\n- name: a\n  cluster:\n    server: https://a:6443\n    certificate-authority: ca.crt\n- name: b\n  cluster:\n    server: https://b:6443\ncontexts:\n- name: a\n  context: {cluster: a, user: u, namespace: lab}\n- name: b\n  context: {cluster: b, user: u}\nusers:\n- name: u\n  user:\n    client-certificate-data: Q0VSVA==\n    client-key: me.key\n- name: other\n  user: {token: t}\n";
        let f = dir.path().join("config");
        std::fs::write(&f, text).unwrap();
        let loaded = load(Some(&f)).unwrap();
        let pinned = loaded.pin("a").unwrap();
        let path = pinned.path().to_path_buf();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
            let dmode = std::fs::metadata(path.parent().unwrap())
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(dmode & 0o077, 0, "folder is private");
        }
        let back = load(Some(&path)).unwrap().kubeconfig;
        assert_eq!(back.current_context.as_deref(), Some("a"));
        assert_eq!(back.contexts.len(), 1);
        assert_eq!(back.clusters.len(), 1);
        assert_eq!(back.auth_infos.len(), 1);
        let c = back.clusters[0].cluster.as_ref().unwrap();
        assert!(c.certificate_authority.is_none());
        assert_eq!(c.certificate_authority_data.as_deref(), Some("Q0EgUEVN"));
        let u = back.auth_infos[0].auth_info.as_ref().unwrap();
        assert!(u.client_key.is_none());
        assert_eq!(
            u.client_key_data
                .as_ref()
                .map(|k| secrecy::ExposeSecret::expose_secret(k).to_string())
                .as_deref(),
            Some("S0VZIFBFTQ==")
        );
        assert_eq!(
            back.contexts[0]
                .context
                .as_ref()
                .unwrap()
                .namespace
                .as_deref(),
            Some("lab")
        );
        drop(pinned);
        assert!(!path.exists() && !path.parent().unwrap().exists());
    }
}
