//! Print a built deck to PDF with headless Chromium (`labdeck pdf`): one 16:9
//! page per slide, `--` steps collapsed to their last step, notes optional.
//! The page layout itself is templates/print.css; this only drives Chromium.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The flags every headless Chromium labdeck starts gets: no sandbox (we
/// run as root in containers), and nothing that reaches the network.
pub const HEADLESS_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
    "--disable-dev-shm-usage",
];

use crate::error::Error;

/// Chromium on PATH (`chromium`, `chromium-browser`), else /usr/bin/chromium.
pub fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .flat_map(|dir| ["chromium", "chromium-browser"].map(|n| dir.join(n)))
        .chain([PathBuf::from("/usr/bin/chromium")])
        .find(|p| p.is_file())
}

/// Prints a built deck's page (`html`) to `out`. The page is written
/// beside `manifest` for the time of printing (a hidden temporary file,
/// removed after), so that its relative image paths resolve.
pub fn print_deck(html: &str, manifest: &Path, out: &Path, notes: bool) -> Result<(), Error> {
    use std::io::Write as _;
    let dir = manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let mut page = tempfile::Builder::new()
        .prefix(".labdeck-print-")
        .suffix(".html")
        .tempfile_in(dir)
        .map_err(|e| Error::io(dir, e))?;
    page.write_all(html.as_bytes())
        .and_then(|()| page.flush())
        .map_err(|e| Error::io(page.path(), e))?;
    print(page.path(), out, notes)
}

/// Print the deck page `html` (a file whose relative image paths resolve) to
/// `out`. Writes a temporary file beside `out` and renames it into place, so
/// a failure never leaves a half-written PDF.
pub fn print(html: &Path, out: &Path, notes: bool) -> Result<(), Error> {
    let chromium = find_chromium().ok_or_else(|| {
        Error::Other(
            "labdeck pdf needs Chromium: none found on PATH or at /usr/bin/chromium \
             (Debian: apt-get install chromium)"
                .into(),
        )
    })?;
    let html = std::path::absolute(html).map_err(|e| Error::io(html, e))?;
    let tmp = crate::output::temp_beside(out, ".pdf")?;
    let profile = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // ?print makes the runtime put every slide's content in place before load.
    let url = format!(
        "{}?print{}",
        file_url(&html),
        if notes { "&notes" } else { "" }
    );
    let output = Command::new(&chromium)
        .args(HEADLESS_FLAGS)
        .args([
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", tmp.path().display()))
        .arg(&url)
        .output()
        .map_err(|e| Error::io(&chromium, e))?;
    let written = std::fs::metadata(tmp.path()).map(|m| m.len()).unwrap_or(0);
    if !output.status.success() || written == 0 {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(Error::Other(format!(
            "{} failed to print {} ({}): {}",
            chromium.display(),
            html.display(),
            output.status,
            last.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    crate::output::publish(tmp, out)
}

/// A file:// URL for an absolute path (percent-encoding what URLs can't hold).
fn file_url(path: &Path) -> String {
    let mut url = String::from("file://");
    for b in path.to_string_lossy().bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                url.push(b as char)
            }
            _ => url.push_str(&format!("%{b:02X}")),
        }
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/my deck/#1.html")),
            "file:///tmp/my%20deck/%231.html"
        );
    }
}
