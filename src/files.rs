//! The deck files one build reads, each read once.
//!
//! Decks of a course share most of their chapters (the 14 container.training
//! decks name chapter files 659 times, 202 distinct files), so a `build` or
//! `lint` of several decks reads, decodes and resolves each file once, not
//! once per deck that names it. A [`Files`] lives for one call: `serve`
//! starts a new one for every rebuild, so an edited chapter is read again.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// Why a file could not be read as deck text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    NotFound,
    /// Not UTF-8 from this (1-based) line on.
    NotUtf8 {
        line: usize,
    },
    /// Any other I/O error, as the system words it.
    Io(String),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::NotFound => f.write_str("not found"),
            ReadError::NotUtf8 { line } => write!(f, "not valid UTF-8 text (line {line})"),
            ReadError::Io(message) => f.write_str(message),
        }
    }
}

type Text = Result<Arc<str>, ReadError>;

/// Files read so far, by path as given, and paths resolved so far.
#[derive(Default)]
pub struct Files {
    texts: Mutex<HashMap<PathBuf, Arc<OnceLock<Text>>>>,
    canonical: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
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
        let resolved = path.canonicalize().ok();
        if let Ok(mut known) = self.canonical.lock() {
            known.insert(path.to_path_buf(), resolved.clone());
        }
        resolved
    }
}

fn read_text(path: &Path) -> Text {
    let bytes = std::fs::read(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::NotFound,
        _ => ReadError::Io(e.to_string()),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8 {
        line: crate::manifest::line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to()),
    })?;
    Ok(as_browsers_read(text).into())
}

/// See [`Files::text`].
pub fn as_browsers_read(text: String) -> String {
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
        assert!(matches!(files.text(dir.path()), Err(ReadError::Io(_))));
        assert_eq!(files.canonical(&dir.path().join("none.md")), None);
    }
}
