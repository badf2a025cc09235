//! Writing what labdeck publishes (HTML decks, PDFs, grade reports, checks
//! files): one way for every command, so that every output is whole or
//! absent (written to a temporary file in the same folder, then renamed)
//! and readable by a web server (0644, where temporary files are created
//! private). The one rule, for every `--out`: a file that exists is
//! replaced only by a complete, valid one; a command that fails leaves it
//! as it was. Callers build the whole output in memory (or have a program
//! write it to [`temp_beside`]) and only then call [`write_atomically`] or
//! [`publish`]. A folder `--out` names that does not exist yet is created,
//! as `build --out DIR` always did.

use std::io::Write;
use std::path::Path;

use tempfile::NamedTempFile;

use crate::error::{Error, Result};

/// Writes `bytes` to `path` atomically, world-readable.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut tmp = temp_beside(path, "")?;
    tmp.write_all(bytes).map_err(|e| Error::io(path, e))?;
    publish(tmp, path)
}

/// A temporary file in `path`'s folder (for a program that writes the
/// output itself, like Chromium printing a PDF); see [`publish`]. The
/// folder is created if it does not exist.
pub fn temp_beside(path: &Path, suffix: &str) -> Result<NamedTempFile> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    tempfile::Builder::new()
        .prefix(".labdeck-")
        .suffix(suffix)
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))
}

/// Makes `tmp` world-readable and renames it to `path`.
pub fn publish(tmp: NamedTempFile, path: &Path) -> Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        tmp.as_file()
            .set_permissions(std::fs::Permissions::from_mode(0o644))
            .map_err(|e| Error::io(path, e))?;
    }
    tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[cfg(unix)]
    fn outputs_are_world_readable_and_whole() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.html");
        write_atomically(&path, b"hello").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"hello");
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        // Nothing else left in the folder.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_folders_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/deeper/x.yml");
        write_atomically(&path, b"x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }
}
