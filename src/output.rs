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

/// [`write_atomically`], unless `path` already is a world-readable
/// regular file (not a link) holding exactly `bytes`: then it is left as
/// it is, its modification time too (a rebuild that changes nothing
/// rewrites nothing, and a copy or sync of the output folder sees only
/// what changed). Whether it wrote. Replacing a file frees the old one's
/// blocks, which on a file system mounted with `discard` (ext4) blocks
/// the writing thread about a millisecond per page (README, "Speed").
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> Result<bool> {
    if holds(path, bytes) {
        return Ok(false);
    }
    write_atomically(path, bytes)?;
    Ok(true)
}

/// Whether `path` is a world-readable regular file whose bytes are `bytes`
/// (read only when its length is theirs).
fn holds(path: &Path, bytes: &[u8]) -> bool {
    use std::io::Read as _;
    #[cfg(unix)]
    use std::os::unix::fs::{OpenOptionsExt as _, PermissionsExt as _};
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return false;
    };
    #[cfg(unix)]
    if meta.permissions().mode() & 0o777 != 0o644 {
        return false;
    }
    let Ok(len) = u64::try_from(bytes.len()) else {
        return false;
    };
    if !meta.is_file() || meta.len() != len {
        return false;
    }
    let mut open = std::fs::OpenOptions::new();
    open.read(true);
    #[cfg(unix)]
    open.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    let Ok(mut file) = open.open(path) else {
        return false;
    };
    // Compared a piece at a time through one small buffer: reading a
    // page whole into fresh memory cost a page fault per 4 kB (a tenth of
    // the corpus build's system time).
    let mut buf = vec![0; (64 << 10).min(bytes.len()).max(1)];
    let mut rest = bytes;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return false,
        };
        if n == 0 {
            // The end: the same only when nothing of `bytes` is left (a
            // file that grew or shrank since is not the same).
            return rest.is_empty();
        }
        match rest.split_at_checked(n) {
            Some((head, tail)) if head == &buf[..n] => rest = tail,
            _ => return false,
        }
    }
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
    #[cfg(unix)]
    fn unchanged_outputs_are_not_rewritten() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.html");
        assert!(write_if_changed(&path, b"hello").unwrap());
        let inode = |p: &Path| std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(p).unwrap());
        let first = inode(&path);
        // The same bytes: left as it is.
        assert!(!write_if_changed(&path, b"hello").unwrap());
        assert_eq!(inode(&path), first);
        // Other bytes, of the same length or not: replaced.
        assert!(write_if_changed(&path, b"jello").unwrap());
        assert_eq!(std::fs::read(&path).unwrap(), b"jello");
        assert!(write_if_changed(&path, b"jell").unwrap());
        // The same bytes but private: replaced, world-readable.
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert!(write_if_changed(&path, b"jell").unwrap());
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o644);
        // A link to a file holding the same bytes: replaced by a file.
        let other = dir.path().join("other.html");
        std::fs::write(&other, b"jell").unwrap();
        std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o644)).unwrap();
        let link = dir.path().join("link.html");
        std::os::unix::fs::symlink(&other, &link).unwrap();
        assert!(write_if_changed(&link, b"jell").unwrap());
        assert!(std::fs::symlink_metadata(&link).unwrap().is_file());
    }

    #[test]
    #[cfg(unix)]
    fn long_outputs_are_compared_to_their_last_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.html");
        let mut page: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        assert!(write_if_changed(&path, &page).unwrap());
        assert!(!write_if_changed(&path, &page).unwrap());
        for at in [0, 65_535, 65_536, 150_000, 199_999] {
            page[at] ^= 1;
            assert!(write_if_changed(&path, &page).unwrap(), "byte {at}");
            assert_eq!(std::fs::read(&path).unwrap(), page);
        }
        assert!(!write_if_changed(&path, &page).unwrap());
        assert!(write_if_changed(&path, b"").unwrap());
        assert!(!write_if_changed(&path, b"").unwrap());
    }

    #[test]
    fn missing_folders_are_created() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("new/deeper/x.yml");
        write_atomically(&path, b"x").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"x");
    }
}
