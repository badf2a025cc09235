//! What `serve` hands out besides the page: only the files the deck uses.
//!
//! A web page can talk to `serve` (see [`crate::classroom::guard`]), and the
//! deck's folder may be a home folder with `~/.kube/config` in it. So
//! `serve` is no file server: each build says which files its page refers
//! to (the images of its slides, and the fonts and images its stylesheets
//! name: the files `build` copies beside the page), and only those answer,
//! at the address the page uses. Every request checks the file again
//! (it may have changed since the build): it must be a regular file once
//! symlinks are resolved, a deck image must stay inside the deck's folder,
//! and no part of its path below the folder may start with a dot
//! (`.git`, `.kube`, `.env`...). Anything else is a 404, directories
//! included (no listing).

use std::collections::BTreeMap;
use std::path::{Component, Path, PathBuf};

/// A file the page refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Asset {
    file: PathBuf,
    /// Named by a stylesheet from outside the deck's folder (copied to
    /// `_assets/` by `build`, whose rules decide which may be).
    outside: bool,
}

/// The files of one build, by the path the page asks for them at.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Assets {
    by_url: BTreeMap<String, Asset>,
}

impl Assets {
    /// The files of a page built from `dir`: its images (as written in the
    /// deck, relative to `dir`) and the stylesheets' files from elsewhere
    /// (file, path relative to the page).
    pub fn of(dir: &Path, images: &[String], extra: &[(PathBuf, String)]) -> Assets {
        let mut by_url = BTreeMap::new();
        for image in images.iter().filter(|i| crate::files::is_local(i)) {
            if let Some(key) = url_key(image) {
                let file = crate::files::local_path(dir, image);
                by_url.insert(
                    key,
                    Asset {
                        file,
                        outside: false,
                    },
                );
            }
        }
        for (file, rel) in extra {
            if let Some(key) = url_key(rel) {
                by_url.insert(
                    key,
                    Asset {
                        file: file.clone(),
                        outside: true,
                    },
                );
            }
        }
        Assets { by_url }
    }

    /// The file to answer `GET url_path` with, if the page uses one there
    /// and it may be served now (see the module comment); `root` is the
    /// deck's folder, canonical.
    pub fn file(&self, root: &Path, url_path: &str) -> Option<PathBuf> {
        let asset = self.by_url.get(&url_key(url_path)?)?;
        let real = std::fs::canonicalize(&asset.file).ok()?;
        if !std::fs::metadata(&real).ok()?.is_file() {
            return None;
        }
        if !asset.outside && !real.starts_with(root) {
            return None;
        }
        // The parts of its path that are not the folder's own.
        let shared = real
            .components()
            .zip(root.components())
            .take_while(|(a, b)| a == b)
            .count();
        if real.components().skip(shared).any(|c| hidden(&c)) {
            return None;
        }
        Some(real)
    }
}

/// A reference or request path as one key: query and fragment dropped,
/// percent-decoded (RFC 3986 §2.1), `.` and empty segments dropped; None
/// for `..` or a hidden (dot) segment.
fn url_key(reference: &str) -> Option<String> {
    let path = reference.split(['?', '#']).next().unwrap_or(reference);
    let decoded = percent_encoding::percent_decode_str(path)
        .decode_utf8()
        .ok()?;
    let mut parts = Vec::new();
    for part in decoded.split(['/', '\\']) {
        match part {
            "" | "." => {}
            p if p.starts_with('.') => return None,
            p => parts.push(p),
        }
    }
    (!parts.is_empty()).then(|| parts.join("/"))
}

fn hidden(c: &Component<'_>) -> bool {
    match c {
        Component::Normal(n) => n.to_string_lossy().starts_with('.'),
        Component::ParentDir => true,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_decoded_and_refuse_dots() {
        assert_eq!(
            url_key("/images/a%20b.png").as_deref(),
            Some("images/a b.png")
        );
        assert_eq!(
            url_key("./images/x.png?v=1#f").as_deref(),
            Some("images/x.png")
        );
        assert_eq!(url_key("/../etc/passwd"), None);
        assert_eq!(url_key("/.kube/config"), None);
        assert_eq!(url_key("/%2ekube/config"), None);
        assert_eq!(url_key("/"), None);
    }

    #[test]
    fn only_the_pages_files_inside_the_folder() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("images")).unwrap();
        std::fs::write(root.join("images/a.png"), "png").unwrap();
        std::fs::write(root.join("other.png"), "png").unwrap();
        let a = Assets::of(&root, &["images/a.png".into(), "images".into()], &[]);
        assert_eq!(
            a.file(&root, "/images/a.png"),
            Some(root.join("images/a.png"))
        );
        assert_eq!(a.file(&root, "/other.png"), None, "not used by the page");
        assert_eq!(a.file(&root, "/images"), None, "a folder");
    }
}
