//! File watching for `serve`: the site root recursively (chapters, images),
//! extra folders (templates), and the folders of inputs outside the root.
//! Only creations, writes, renames and removals count (a build reading its
//! inputs must not look like a change), and they are debounced so an
//! editor's save (often several writes and a rename) gives one rebuild.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use notify::{EventKind, RecommendedWatcher, RecursiveMode, Watcher as _};

use crate::error::Error;

// Long enough for the writes and renames of one editor save (a few ms), short
// next to the rebuild itself: it is part of every edit's time to the screen.
const DEBOUNCE: Duration = Duration::from_millis(40);

/// Files that changed together.
pub(crate) struct Changes {
    /// Changed files (canonical paths), editor scratch files left out.
    pub paths: Vec<PathBuf>,
    /// Whether any of them is in one of the extra watched folders.
    pub in_watch_dirs: bool,
}

type Shared = Arc<Mutex<RecommendedWatcher>>;

pub(crate) struct Watcher {
    debouncer: Shared,
    root: PathBuf,
    watched: Arc<Mutex<BTreeSet<PathBuf>>>,
}

/// Start watching; `on_change` runs on a thread of its own and may return the
/// new set of inputs (after a rebuild) so their folders get watched too.
pub(crate) fn start<F>(
    root: PathBuf,
    extra: Vec<PathBuf>,
    mut on_change: F,
) -> Result<Watcher, Error>
where
    F: FnMut(Changes) -> Option<BTreeSet<PathBuf>> + Send + 'static,
{
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let debouncer = notify::recommended_watcher(tx)
        .map_err(|e| Error::Watch(format!("cannot watch files: {e}")))?;
    let debouncer: Shared = Arc::new(Mutex::new(debouncer));
    add(&debouncer, &root, RecursiveMode::Recursive)?;
    let mut extra_dirs = Vec::new();
    for dir in extra {
        let dir = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))?;
        add(&debouncer, &dir, RecursiveMode::Recursive)?;
        extra_dirs.push(dir);
    }
    let watcher = Watcher {
        debouncer: debouncer.clone(),
        root: root.clone(),
        watched: Arc::new(Mutex::new(BTreeSet::new())),
    };
    let weak: Weak<Mutex<RecommendedWatcher>> = Arc::downgrade(&debouncer);
    let watched = watcher.watched.clone();
    std::thread::Builder::new()
        .name("labdeck-watch".into())
        .spawn(move || {
            // Ends when the Watcher is dropped: the debouncer goes, and its sender with it.
            while let Ok(first) = rx.recv() {
                // Debounce: gather events until the files have been quiet for a moment.
                let mut events = vec![first];
                while let Ok(more) = rx.recv_timeout(DEBOUNCE) {
                    events.push(more);
                }
                let mut paths: Vec<PathBuf> = Vec::new();
                for event in events {
                    match event {
                        Ok(e) if is_change(&e.kind) => paths.extend(e.paths),
                        Ok(_) => {}
                        Err(e) => crate::stderr!("labdeck serve: file watching error: {e}"),
                    }
                }
                paths.retain(|p| !is_scratch(p));
                paths.sort();
                paths.dedup();
                if paths.is_empty() {
                    continue;
                }
                let in_watch_dirs = paths
                    .iter()
                    .any(|p| extra_dirs.iter().any(|d| p.starts_with(d)));
                if let Some(inputs) = on_change(Changes {
                    paths,
                    in_watch_dirs,
                }) && let Some(debouncer) = weak.upgrade()
                {
                    watch_outside(&debouncer, &root, &watched, &inputs);
                }
            }
        })
        .map_err(|e| Error::Watch(format!("cannot start the file watcher: {e}")))?;
    Ok(watcher)
}

impl Watcher {
    /// Also watch the folders of inputs that live outside the root.
    pub(crate) fn watch_inputs(&self, inputs: &BTreeSet<PathBuf>) {
        watch_outside(&self.debouncer, &self.root, &self.watched, inputs);
    }
}

fn watch_outside(
    debouncer: &Shared,
    root: &Path,
    watched: &Mutex<BTreeSet<PathBuf>>,
    inputs: &BTreeSet<PathBuf>,
) {
    let mut watched = watched.lock().unwrap_or_else(|e| e.into_inner());
    for dir in inputs.iter().filter_map(|p| p.parent()) {
        if dir.starts_with(root) || watched.contains(dir) {
            continue;
        }
        match add(debouncer, dir, RecursiveMode::NonRecursive) {
            Ok(()) => {
                watched.insert(dir.to_path_buf());
            }
            Err(e) => crate::stderr!("labdeck serve: {e}"),
        }
    }
}

fn add(debouncer: &Shared, dir: &Path, mode: RecursiveMode) -> Result<(), Error> {
    let mut d = debouncer.lock().unwrap_or_else(|e| e.into_inner());
    d.watch(dir, mode)
        .map_err(|e| Error::Watch(format!("cannot watch {}: {e}", dir.display())))
}

/// Content changes; not reads (opening or closing a file unmodified).
fn is_change(kind: &EventKind) -> bool {
    match kind {
        EventKind::Create(_) | EventKind::Remove(_) => true,
        EventKind::Modify(m) => !matches!(m, notify::event::ModifyKind::Metadata(_)),
        EventKind::Access(notify::event::AccessKind::Close(notify::event::AccessMode::Write)) => {
            true
        }
        _ => false,
    }
}

/// Editor scratch and swap files: never a reason to rebuild.
fn is_scratch(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.starts_with('.')
        || name.starts_with('#')
        || name.ends_with('~')
        || name.ends_with(".swp")
        || name.ends_with(".swx")
        || name == "4913"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_files_are_ignored() {
        for p in [".k8s.md.swp", "intro.md~", "#intro.md#", "4913", ".git"] {
            assert!(is_scratch(Path::new(p)), "{p}");
        }
        for p in ["intro.md", "kube.yml", "pic.png"] {
            assert!(!is_scratch(Path::new(p)), "{p}");
        }
    }
}
