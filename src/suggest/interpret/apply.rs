//! `kubectl apply|create|replace -f`: manifests from files, folders,
//! here-documents and earlier dry-run output (apply/apply.go, resource
//! builder's file visitor).

use super::*;

impl Interp {
    /// `apply|create|replace -f FILE|DIR|-|URL [-R]`.
    pub(super) fn apply_files(
        &mut self,
        args: &Args,
        cmd: &SimpleCommand,
        ns: Option<String>,
    ) -> Outcome {
        if args.has(&["k", "kustomize"]) {
            return skip(Reason::Kustomize, "kustomize (`-k`) output is not inferred");
        }
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut docs = Vec::new();
        for f in args.values(&["f", "filename"]) {
            if f.contains("://") {
                return skip(Reason::Url, format!("manifest from a URL: {f}"));
            }
            if f == "-" {
                match &cmd.stdin {
                    Some(body) => match manifests::parse(body) {
                        Ok(d) => docs.extend(d),
                        Err(e) => return skip(Reason::Unparsable, format!("here-document: {e}")),
                    },
                    None => return skip(Reason::Pipe, "manifest read from a pipe"),
                }
                continue;
            }
            match self.read_manifest(f, args.has(&["R", "recursive"])) {
                Ok(d) => docs.extend(d),
                Err(s) => return Outcome::Skipped(s),
            }
        }
        if let Some(name) = docs
            .iter()
            .filter_map(|d| d.pointer("/metadata/name").and_then(Value::as_str))
            .find_map(placeholder)
        {
            return skip(
                Reason::Placeholder,
                format!("object name `{name}` is a placeholder"),
            );
        }
        let mut touched = Vec::new();
        for doc in &docs {
            if let Some((kind, namespaced)) = manifests::custom_kind(doc) {
                self.state.custom_kinds.insert(kind, namespaced);
            }
            if let Some(obj) = manifests::to_obj(doc, ns.as_deref(), &self.state) {
                touched.push(Touch::Object(obj.key()));
                self.state.upsert(obj);
            } else if let Some(t) = manifests::generated(doc, ns.as_deref(), &self.state) {
                touched.push(t);
            }
        }
        if touched.is_empty() {
            return skip(Reason::Unparsable, "the manifest declares no named object");
        }
        Outcome::Changed(touched)
    }

    pub(super) fn read_manifest(&self, f: &str, recursive: bool) -> Result<Vec<Value>, Skip> {
        if let Some(state) = self.files.get(f) {
            return match state {
                FileState::Written(text) => manifests::parse(text).map_err(|e| Skip {
                    reason: Reason::Unparsable,
                    detail: format!("{f}: {e}"),
                }),
                FileState::Unknown(why) => Err(Skip {
                    reason: Reason::FileEdited,
                    detail: format!("{f} was {why}: its content is unknown"),
                }),
            };
        }
        let path = self.repo_path(f).ok_or_else(|| Skip {
            reason: Reason::FileNotFound,
            detail: format!("{f} is not a file of the repository"),
        })?;
        let mut files = Vec::new();
        collect_manifests(&path, recursive, true, &mut files);
        if files.is_empty() {
            return Err(Skip {
                reason: Reason::FileNotFound,
                detail: format!("{f} holds no manifest"),
            });
        }
        let mut docs = Vec::new();
        for p in files {
            let text = std::fs::read_to_string(&p).map_err(|e| Skip {
                reason: Reason::FileNotFound,
                detail: format!("{}: {e}", p.display()),
            })?;
            docs.extend(manifests::parse(&text).map_err(|e| Skip {
                reason: Reason::Unparsable,
                detail: format!("{f}: {e}"),
            })?);
        }
        Ok(docs)
    }

    /// A path as the deck writes it, in the repository: `~/REPO/x`, or
    /// relative to the repository root.
    pub(super) fn repo_path(&self, f: &str) -> Option<PathBuf> {
        let rel = if let Some(home) = f.strip_prefix("~/") {
            let (first, rest) = home.split_once('/')?;
            if !self.repo_names.iter().any(|n| n == first) {
                return None;
            }
            rest
        } else if f.starts_with('/') {
            return None;
        } else {
            f.trim_start_matches("./")
        };
        if rel.is_empty()
            || rel == "."
            || Path::new(rel)
                .components()
                .any(|c| c == std::path::Component::ParentDir)
        {
            return None;
        }
        let p = self.root.join(rel);
        p.exists().then_some(p)
    }
}

/// Manifest files of `-f PATH` (`-R`: folders below too; kubectl reads
/// `.json`, `.yaml` and `.yml` files of a folder: cli-runtime
/// pkg/resource/visitor.go `FileExtensions`). Symbolic links to folders are
/// not followed below the top, so a loop cannot recurse forever.
pub(super) fn collect_manifests(path: &Path, recursive: bool, top: bool, out: &mut Vec<PathBuf>) {
    if path.is_file() {
        out.push(path.to_path_buf());
        return;
    }
    // Below the top: only with -R, and not through symbolic links.
    if !top && (!recursive || path.is_symlink()) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(path) else {
        return;
    };
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            collect_manifests(&p, recursive, false, out);
        } else if p
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(p);
        }
    }
}
