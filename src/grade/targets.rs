//! Who is graded: one [`StudentCluster`] per student cluster.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::cluster::kubeconfig::Loaded;
use crate::error::Error;

/// Where a student's kubeconfig comes from.
#[derive(Debug, Clone)]
pub enum Kubeconfigs {
    /// A file of its own, read when the student is graded, so a broken
    /// file is that student's `error`, not the end of the run.
    File(PathBuf),
    /// One kubeconfig shared by every context (`--contexts`), loaded by
    /// [`crate::cluster::kubeconfig::load`].
    Shared(Arc<Loaded>),
}

/// One student's cluster.
#[derive(Debug, Clone)]
pub struct StudentCluster {
    /// How reports name the student (file stem, or context name).
    pub name: String,
    pub kubeconfig: Kubeconfigs,
    /// `None`: the kubeconfig's current context.
    pub context: Option<String>,
}

/// Every regular, non-hidden file of `dir` is one student's kubeconfig; the
/// student's name is the file stem. Sorted by name.
pub fn from_dir(dir: &Path) -> Result<Vec<StudentCluster>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Io {
        path: dir.to_path_buf(),
        cause: e,
    })?;
    let mut targets = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::Io {
            path: dir.to_path_buf(),
            cause: e,
        })?;
        let path = entry.path();
        let hidden = entry.file_name().to_string_lossy().starts_with('.');
        // Follow symlinks: a folder of links to kubeconfigs is common.
        if hidden || !path.is_file() {
            continue;
        }
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        targets.push(StudentCluster {
            name,
            kubeconfig: Kubeconfigs::File(path),
            context: None,
        });
    }
    targets.sort_by(|a, b| a.name.cmp(&b.name));
    for pair in targets.windows(2) {
        if pair[0].name == pair[1].name {
            return Err(Error::Kubeconfig(format!(
                "{}: two kubeconfigs for student {:?} (same file stem)",
                dir.display(),
                pair[0].name
            )));
        }
    }
    if targets.is_empty() {
        return Err(Error::Kubeconfig(format!(
            "{}: no kubeconfig files in this folder",
            dir.display()
        )));
    }
    Ok(targets)
}

/// The named contexts of `kubeconfig` (all of them when `contexts` is
/// `None`), in the order given (or the file's order).
pub fn from_contexts(
    loaded: Loaded,
    contexts: Option<&[String]>,
) -> Result<Vec<StudentCluster>, Error> {
    let origin = loaded.origin.to_string();
    let known: Vec<String> = loaded
        .kubeconfig
        .contexts
        .iter()
        .map(|c| c.name.clone())
        .collect();
    let names: Vec<String> = match contexts {
        Some(list) => {
            let missing: Vec<&str> = list
                .iter()
                .filter(|c| !known.contains(c))
                .map(String::as_str)
                .collect();
            if !missing.is_empty() {
                return Err(Error::Kubeconfig(format!(
                    "kubeconfig {origin}: no context {} (it has: {})",
                    missing.join(", "),
                    known.join(", ")
                )));
            }
            let mut seen = std::collections::HashSet::new();
            list.iter().filter(|c| seen.insert(*c)).cloned().collect()
        }
        None => known,
    };
    if names.is_empty() {
        return Err(Error::Kubeconfig(format!(
            "kubeconfig {origin}: no contexts"
        )));
    }
    let shared = Arc::new(loaded);
    Ok(names
        .into_iter()
        .map(|c| StudentCluster {
            name: c.clone(),
            kubeconfig: Kubeconfigs::Shared(shared.clone()),
            context: Some(c),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_gives_one_student_per_file_named_by_stem() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["bob.yaml", "alice.kubeconfig", ".hidden.yaml", "carol"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let t = from_dir(dir.path()).unwrap();
        let names: Vec<&str> = t.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, ["alice", "bob", "carol"]);
        assert!(matches!(&t[1].kubeconfig, Kubeconfigs::File(p) if p.ends_with("bob.yaml")));
    }

    #[test]
    fn two_files_for_one_student_or_none_at_all_are_errors() {
        let dir = tempfile::tempdir().unwrap();
        let e = from_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("no kubeconfig files"), "{e}");
        for f in ["alice.yaml", "alice.yml"] {
            std::fs::write(dir.path().join(f), "").unwrap();
        }
        let e = from_dir(dir.path()).unwrap_err().to_string();
        assert!(e.contains("two kubeconfigs for student \"alice\""), "{e}");
    }

    #[test]
    fn contexts_are_checked_against_the_kubeconfig() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("class.yaml");
        std::fs::write(
            &f,
            "apiVersion: v1\nkind: Config\ncontexts:\n- name: a\n  context: {cluster: x, user: u}\n- name: b\n  context: {cluster: x, user: u}\n",
        )
        .unwrap();
        let kc = crate::cluster::kubeconfig::load(Some(&f)).unwrap();
        let all = from_contexts(kc.clone(), None).unwrap();
        assert_eq!(all.len(), 2);
        let some = from_contexts(kc.clone(), Some(&["b".into(), "b".into()])).unwrap();
        assert_eq!(some.len(), 1);
        assert_eq!(some[0].context.as_deref(), Some("b"));
        let e = from_contexts(kc, Some(&["zz".into()]))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("class.yaml: no context zz") && e.contains("a, b"),
            "{e}"
        );
    }
}

/// Where a class's clusters are, as `grade` is told.
#[derive(Debug, Clone, Copy)]
pub enum Class<'a> {
    /// `--kubeconfigs DIR`: one kubeconfig per student ([`from_dir`]).
    Folder(&'a Path),
    /// Contexts of one kubeconfig (`--kubeconfig`, or `$KUBECONFIG`, then
    /// `~/.kube/config`): those named (`--contexts`), or all of them
    /// (`None`, `--all-contexts`) ([`from_contexts`]).
    Contexts {
        kubeconfig: Option<&'a Path>,
        contexts: Option<&'a [String]>,
    },
}

/// The students' clusters of `class`.
pub fn resolve(class: Class<'_>) -> Result<Vec<StudentCluster>, Error> {
    match class {
        Class::Folder(dir) => from_dir(dir),
        Class::Contexts {
            kubeconfig,
            contexts,
        } => {
            let loaded = crate::cluster::kubeconfig::load(kubeconfig)
                .map_err(|e| Error::Kubeconfig(e.to_string()))?;
            from_contexts(loaded, contexts)
        }
    }
}
