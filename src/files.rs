//! The deck files one build reads, each read once, and the one gate every
//! file a deck names passes (chapters, includes, stylesheets, their `url()`
//! targets, images, anything copied into the output): see [`Confinement`]
//! and [`read_regular`], and docs/security.md ("Deck CI").
//!
//! Decks of a course share most of their chapters (the 14 container.training
//! decks name chapter files 659 times, 202 distinct files), so a `build` or
//! `lint` of several decks reads, decodes and resolves each file once, not
//! once per deck that names it. A [`Files`] lives for one call: `serve`
//! starts a new one for every rebuild, so an edited chapter is read again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

pub use crate::error::ReadError;

impl ReadError {
    /// As an error about `path`.
    pub fn about(self, path: &Path) -> crate::error::Error {
        crate::error::Error::Read {
            path: path.to_owned(),
            cause: self,
        }
    }
}

type Text = Result<Arc<str>, ReadError>;

/// Files read so far, by path as given, and paths resolved so far.
#[derive(Default)]
pub struct Files {
    texts: Mutex<HashMap<PathBuf, Arc<OnceLock<Text>>, crate::hashing::Seeded>>,
    canonical: Mutex<HashMap<PathBuf, Option<PathBuf>, crate::hashing::Seeded>>,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.texts.lock().map_or(0, |t| t.len());
        write!(f, "Files({n} read)")
    }
}

impl Files {
    pub fn new() -> Files {
        Files::default()
    }

    /// The file's text as remark gets it from the page's `<textarea>`:
    /// browsers hand over LF-only line ends and turn NUL into U+FFFD (the
    /// HTML parsing spec; CommonMark says the same), so a NUL never reaches
    /// the HTML. Two decks asking for the same file at once read it once.
    pub fn text(&self, path: &Path) -> Text {
        let cell = match self.texts.lock() {
            Ok(mut texts) => texts.entry(path.to_path_buf()).or_default().clone(),
            // A panic elsewhere poisoned the map: read without it.
            Err(_) => return read_text(path),
        };
        cell.get_or_init(|| read_text(path)).clone()
    }

    /// `path` with symbolic links and `..` resolved (`None`: it does not
    /// exist or cannot be resolved).
    pub fn canonical(&self, path: &Path) -> Option<PathBuf> {
        if let Ok(known) = self.canonical.lock()
            && let Some(c) = known.get(path)
        {
            return c.clone();
        }
        // A file that is no symbolic link is where its folder really is:
        // the folder is resolved once for all its files (glibc's realpath,
        // behind `canonicalize`, reads every component of every path with
        // readlink: 2,672 calls for the corpus build, 103 now). A link, a
        // name ending in `..` or a bare name is resolved whole.
        let resolved = match (path.parent(), path.file_name()) {
            (Some(folder), Some(name))
                if !folder.as_os_str().is_empty()
                    && path
                        .symlink_metadata()
                        .is_ok_and(|m| !m.file_type().is_symlink()) =>
            {
                self.canonical(folder).map(|real| real.join(name))
            }
            _ => path.canonicalize().ok(),
        };
        if let Ok(mut known) = self.canonical.lock() {
            known.insert(path.to_path_buf(), resolved.clone());
        }
        resolved
    }
}

/// Largest text file a deck may name (chapter, include, stylesheet, page):
/// the 14 container.training decks' largest chapter is under 100 KiB.
pub const MAX_TEXT: u64 = 16 << 20;
/// Largest file copied into a deck's output (image, font).
pub const MAX_COPIED: u64 = 64 << 20;

/// The one rule for where a file a deck names may be: inside the
/// repository root once `..` and symbolic links are resolved (a deck is
/// published: it must not pull in `~/.kube/config` or a file a symlink
/// points to outside). A path that does not exist is judged as written.
#[derive(Debug, Clone)]
pub struct Confinement {
    root: PathBuf,
    canonical: Option<PathBuf>,
}

impl Confinement {
    pub fn new(root: &Path, files: &Files) -> Confinement {
        Confinement {
            root: root.to_path_buf(),
            canonical: files.canonical(root),
        }
    }

    /// The root as written.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The root as an error names it: resolved when it exists.
    pub fn shown_root(&self) -> PathBuf {
        self.canonical
            .clone()
            .unwrap_or_else(|| lexical(&self.root))
    }

    /// `Err(Outside)` when `path` leads outside the root.
    pub fn admit(&self, files: &Files, path: &Path) -> Result<(), ReadError> {
        let inside = match (&self.canonical, files.canonical(path)) {
            (Some(root), Some(real)) => real.starts_with(root),
            // Not on disk (reported as missing): judge the path as written.
            _ => lexical(path).starts_with(lexical(&self.root)),
        };
        if inside {
            Ok(())
        } else {
            Err(ReadError::Outside {
                root: self.shown_root(),
            })
        }
    }
}

/// Whether a path relative to a folder leads out of it once `.` and `..`
/// are resolved by name (`../x`, `a/../../x`), or is absolute.
pub fn leaves_folder(relative: &Path) -> bool {
    use std::path::Component;
    relative.is_absolute()
        || relative
            .components()
            .try_fold(0usize, |depth, c| match c {
                Component::ParentDir => depth.checked_sub(1),
                Component::Normal(_) => Some(depth + 1),
                _ => Some(depth),
            })
            .is_none()
}

/// `path` made absolute with `.` and `..` resolved by name (no file system
/// access, no symlinks followed).
pub fn lexical(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    crate::source::lexically_normal(&absolute)
}

/// The bytes of a regular file of at most `limit` bytes. The file is
/// opened without blocking (`O_NONBLOCK`: opening a FIFO for reading
/// would wait for a writer) and its type checked on the open file, so a
/// FIFO, device or folder put in its place after a check is refused too.
pub fn read_regular(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read as _;
    use std::os::unix::fs::{FileTypeExt as _, OpenOptionsExt as _};
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e.to_string()),
    };
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
        .map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    let kind = meta.file_type();
    if !kind.is_file() {
        return Err(ReadError::NotRegular(if kind.is_dir() {
            "a folder"
        } else if kind.is_fifo() {
            "a FIFO"
        } else if kind.is_char_device() || kind.is_block_device() {
            "a device"
        } else if kind.is_socket() {
            "a socket"
        } else {
            "a special file"
        }));
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // A file growing while read stops at the limit all the same.
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

fn read_text(path: &Path) -> Text {
    let bytes = read_regular(path, MAX_TEXT)?;
    let text = String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        line: crate::source::line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
    })?;
    Ok(as_browsers_read(text).into())
}

/// See [`Files::text`]. A UTF-8 byte order mark at the start is dropped,
/// as a browser's decoder drops it (WHATWG Encoding, "decode": BOM
/// sniffing) when it reads the page, a stylesheet or the file remark
/// fetches for `sourceUrl` (XMLHttpRequest `responseText`); kept, it would
/// stand before the first `key:` line and hide that property.
pub fn as_browsers_read(text: String) -> String {
    let text = match text.strip_prefix('\u{FEFF}') {
        Some(rest) => rest.to_owned(),
        None => text,
    };
    let text = if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text
    };
    if text.contains('\0') {
        text.replace('\0', "\u{FFFD}")
    } else {
        text
    }
}

/// A reference that names a local file: not a URL with a scheme (`https:`,
/// `data:`, `mailto:`, any case: the WHATWG URL parser's scheme state, a
/// letter then letters, digits, `+`, `-` or `.` before a `:`), not
/// scheme-relative (`//host`), not absolute (`/x`, served from elsewhere;
/// `\x` and `\\host` too, as a browser reads `\` as `/`: [`local_file`]),
/// not a bare anchor. The one rule for build, serve, lint and page loading.
pub fn is_local(reference: &str) -> bool {
    !(reference.is_empty()
        || reference.starts_with('#')
        || reference.starts_with(['/', '\\'])
        || has_scheme(reference))
}

/// `scheme:` at the start of a URL (WHATWG URL Standard, "scheme state").
fn has_scheme(reference: &str) -> bool {
    let Some((scheme, _)) = reference.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// The reference inside a CSS `url(x)`, `url("x")` or `url('x')` value.
pub fn css_url(value: &str) -> Option<&str> {
    let v = value.trim();
    let inner = v.strip_prefix("url(")?.strip_suffix(')')?;
    Some(inner.trim().trim_matches(['"', '\'']))
}

/// Where a local reference lives relative to a folder: see [`local_file`].
pub fn local_path(base: &Path, reference: &str) -> PathBuf {
    base.join(local_file(reference).as_ref())
}

/// The file a local reference names, relative to the page's folder, as a
/// browser finds it: query and fragment dropped, `\` read as `/`, then
/// percent-decoded. The WHATWG URL parser treats `\` as a path separator in
/// the path of a `file:` or `http(s):` URL (the "special" schemes: "path
/// state", `url is special and c is U+005C (\)`), so `images\a.png` loads
/// `images/a.png`; a `%5C` stays a backslash in the name. A browser keeps
/// `%20` in the URL it parses (WHATWG URL, path percent-encode set) and
/// the file it loads is the decoded path (Chromium
/// `net/base/filename_util.cc` `FileURLToFilePath` unescapes it; a web
/// server does the same, RFC 3986 §2.1): `![](a%20b.png)` shows the file
/// `a b.png`. Escapes that do not decode to UTF-8 are kept as written.
pub fn local_file(reference: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    let clean = reference.split(['?', '#']).next().unwrap_or(reference);
    if clean.contains('\\') {
        let slashed = clean.replace('\\', "/");
        let decoded = percent_encoding::percent_decode_str(&slashed)
            .decode_utf8()
            .map(Cow::into_owned)
            .unwrap_or_else(|_| slashed.clone());
        return Cow::Owned(decoded);
    }
    percent_encoding::percent_decode_str(clean)
        .decode_utf8()
        .unwrap_or(Cow::Borrowed(clean))
}

/// Why an image outside the deck's folder (`../images/a.png`) is refused:
/// a built deck is its output folder, holding the page and the images
/// under the deck's folder, so the published page could not load it. The
/// one wording `build` and `lint` (`image-outside-deck`) use.
pub fn outside_deck_message(image: &str, deck_dir: &Path) -> String {
    let dir = if deck_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        deck_dir
    };
    format!(
        "image `{image}` is outside the deck's folder {}: `build` copies only the images under that folder beside the page, so the published deck would show a broken image; move the image under {} (or give its https:// address)",
        dir.display(),
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_once_and_as_browsers_do() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.md");
        std::fs::write(&path, "a\r\nb\0c\n").unwrap();
        let files = Files::new();
        assert_eq!(files.text(&path).unwrap().as_ref(), "a\nb\u{FFFD}c\n");
        // Read once: a change on disk is not seen by the same Files.
        std::fs::write(&path, "changed").unwrap();
        assert_eq!(files.text(&path).unwrap().as_ref(), "a\nb\u{FFFD}c\n");
        assert_eq!(Files::new().text(&path).unwrap().as_ref(), "changed");
    }

    #[test]
    fn a_byte_order_mark_is_dropped_as_browsers_drop_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bom.md");
        std::fs::write(&path, "\u{FEFF}class: x\r\n\u{FEFF}b").unwrap();
        // Only the one at the start: another is text.
        assert_eq!(
            Files::new().text(&path).unwrap().as_ref(),
            "class: x\n\u{FEFF}b"
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let files = Files::new();
        assert_eq!(
            files.text(&dir.path().join("none.md")),
            Err(ReadError::NotFound)
        );
        let bad = dir.path().join("bad.md");
        std::fs::write(&bad, b"ok\nok\n\xff\n").unwrap();
        assert_eq!(files.text(&bad), Err(ReadError::NotUtf8 { line: 3 }));
        assert_eq!(
            files.text(dir.path()),
            Err(ReadError::NotRegular("a folder"))
        );
        assert_eq!(files.canonical(&dir.path().join("none.md")), None);
    }

    #[test]
    fn canonical_paths_are_what_realpath_makes_of_them() {
        // Folders resolved once for their files must give what resolving
        // each path whole gives, links and `..` after a link included.
        use std::os::unix::fs::symlink;
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.join("repo/slides/k8s")).unwrap();
        std::fs::write(root.join("repo/slides/k8s/a.md"), "a").unwrap();
        std::fs::write(outside.path().join("secret"), "s").unwrap();
        symlink(root.join("repo/slides/k8s"), root.join("repo/linked")).unwrap();
        symlink(outside.path(), root.join("repo/slides/out")).unwrap();
        symlink(outside.path().join("secret"), root.join("repo/slides/s.md")).unwrap();
        symlink("k8s/a.md", root.join("repo/slides/rel.md")).unwrap();
        let files = Files::new();
        for path in [
            "repo/slides/k8s/a.md",
            "repo/linked/a.md",
            "repo/linked/../k8s/a.md",
            "repo/linked/..",
            "repo/slides/out/secret",
            "repo/slides/s.md",
            "repo/slides/rel.md",
            "repo/slides/./k8s/../k8s/a.md",
            "repo/slides/missing.md",
            "repo/missing/a.md",
        ] {
            let path = root.join(path);
            // Twice: resolved, then known.
            for _ in 0..2 {
                assert_eq!(files.canonical(&path), path.canonicalize().ok(), "{path:?}");
            }
        }
    }

    #[test]
    fn fifos_and_devices_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.md");
        assert!(
            std::process::Command::new("mkfifo")
                .arg(&fifo)
                .status()
                .unwrap()
                .success()
        );
        assert_eq!(
            read_regular(&fifo, MAX_TEXT),
            Err(ReadError::NotRegular("a FIFO"))
        );
        assert_eq!(
            read_regular(Path::new("/dev/zero"), MAX_TEXT),
            Err(ReadError::NotRegular("a device"))
        );
        let big = dir.path().join("big.md");
        std::fs::write(&big, vec![b'a'; 11]).unwrap();
        assert_eq!(
            read_regular(&big, 10),
            Err(ReadError::TooLarge {
                size: 11,
                limit: 10
            })
        );
    }

    #[test]
    fn backslashes_are_slashes_as_browsers_read_urls() {
        assert_eq!(local_file("images\\a%20b.png?x=\\y"), "images/a b.png");
        assert_eq!(local_file("..\\up.png"), "../up.png");
        assert!(leaves_folder(Path::new(local_file("..\\up.png").as_ref())));
        // An escaped backslash is part of the name.
        assert_eq!(local_file("a%5Cb.png"), "a\\b.png");
        assert!(!is_local("\\\\host\\share.png") && !is_local("\\x.png"));
        assert!(is_local("images\\a.png"));
    }

    #[test]
    fn leaving_a_folder_is_judged_by_name() {
        assert!(!leaves_folder(Path::new("images/a.png")));
        assert!(!leaves_folder(Path::new("./images/../a.png")));
        assert!(leaves_folder(Path::new("../images/a.png")));
        assert!(leaves_folder(Path::new("images/../../a.png")));
        assert!(leaves_folder(Path::new("/etc/passwd")));
    }

    #[test]
    fn confinement_resolves_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("repo");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(dir.path().join("secret"), "x").unwrap();
        std::os::unix::fs::symlink(dir.path().join("secret"), root.join("link.png")).unwrap();
        std::fs::write(root.join("ok.png"), "x").unwrap();
        let files = Files::new();
        let c = Confinement::new(&root, &files);
        assert_eq!(c.admit(&files, &root.join("ok.png")), Ok(()));
        assert!(matches!(
            c.admit(&files, &root.join("link.png")),
            Err(ReadError::Outside { .. })
        ));
        assert!(matches!(
            c.admit(&files, &root.join("../secret")),
            Err(ReadError::Outside { .. })
        ));
        assert!(matches!(
            c.admit(&files, &root.join("../none")),
            Err(ReadError::Outside { .. })
        ));
    }
}
