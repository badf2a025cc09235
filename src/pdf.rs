//! Print a built deck to PDF with headless Chromium (`labdeck pdf`): one 16:9
//! page per slide, `--` steps collapsed to their last step, notes optional.
//! The page layout itself is templates/print.css; this only drives Chromium.
//!
//! Nothing is written beside the deck (its folder may be read-only, and a
//! file there shows in `git status`): the page goes to a temporary folder
//! with a `<base href>` naming the deck's folder, so its relative image
//! paths still resolve. The PDF is written beside `--out` and renamed into
//! place. Ctrl-C, SIGTERM or SIGHUP stop Chromium and remove the page, the
//! partial PDF and Chromium's profile (as `run` does: [`crate::run::interrupt`]).

use std::os::unix::process::CommandExt as _;
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

/// The browsers that print a page to PDF headless with Chromium's flags,
/// by the names their packages put on PATH, in the order looked for:
/// Chromium (Debian `chromium`, Ubuntu and Fedora `chromium-browser`),
/// Google Chrome (its .deb and .rpm install `google-chrome` and
/// `google-chrome-stable`; `chrome` elsewhere), Microsoft Edge
/// (`microsoft-edge`, `microsoft-edge-stable`, `msedge`). Marp CLI finds
/// the same three families (through chrome-launcher).
pub const BROWSER_NAMES: &[&str] = &[
    "chromium",
    "chromium-browser",
    "google-chrome",
    "google-chrome-stable",
    "chrome",
    "microsoft-edge",
    "microsoft-edge-stable",
    "msedge",
];

/// Where the browsers are when they are not on PATH (macOS applications,
/// Debian's Chromium when PATH is minimal).
const BROWSER_PATHS: &[&str] = &[
    "/usr/bin/chromium",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
];

/// The environment variables naming the browser to use, before any search:
/// labdeck's own, then `CHROME_PATH` (what chrome-launcher, and so Marp
/// CLI and Lighthouse, read).
pub const BROWSER_ENV: &[&str] = &["LABDECK_BROWSER", "CHROME_PATH"];

/// A Chromium-family browser on PATH ([`BROWSER_NAMES`]), else at a known
/// place.
pub fn find_chromium() -> Option<PathBuf> {
    find_on(&std::env::var_os("PATH").unwrap_or_default(), BROWSER_PATHS)
}

/// The first of [`BROWSER_NAMES`] in the folders of `path` (a PATH value),
/// folder by folder as a shell looks, else the first of `known`.
fn find_on(path: &std::ffi::OsStr, known: &[&str]) -> Option<PathBuf> {
    std::env::split_paths(path)
        .flat_map(|dir| BROWSER_NAMES.iter().map(move |n| dir.join(n)))
        .chain(known.iter().map(PathBuf::from))
        .find(|p| is_executable(p))
}

/// The browser to print with: `explicit` (`pdf --browser`), else the first
/// of [`BROWSER_ENV`] set, else [`find_chromium`]. A name without a `/` is
/// looked up on PATH, as a shell would.
pub fn find_browser(explicit: Option<&Path>) -> Result<PathBuf, Error> {
    let named = explicit
        .map(|p| ("--browser", p.as_os_str().to_owned()))
        .or_else(|| {
            BROWSER_ENV.iter().find_map(|v| {
                std::env::var_os(v)
                    .filter(|s| !s.is_empty())
                    .map(|s| (*v, s))
            })
        });
    let Some((from, name)) = named else {
        return find_chromium().ok_or_else(|| {
            Error::Browser(format!(
                "labdeck pdf needs Chromium, Google Chrome or Microsoft Edge: none found on PATH ({}) \
                 (Debian: apt-get install chromium), or name one with --browser PATH or LABDECK_BROWSER",
                BROWSER_NAMES.join(", ")
            ))
        });
    };
    let path = PathBuf::from(&name);
    let found = if path.components().count() > 1 {
        Some(path.clone()).filter(|p| is_executable(p))
    } else {
        let dirs = std::env::var_os("PATH").unwrap_or_default();
        std::env::split_paths(&dirs)
            .map(|d| d.join(&path))
            .find(|p| is_executable(p))
    };
    found.ok_or_else(|| {
        Error::Browser(format!(
            "{from} names {}: no such program (or not executable)",
            path.display()
        ))
    })
}

/// A regular file with an execute bit.
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// Prints a built deck's page (`html`) to `out` with `browser` (see
/// [`find_browser`]). The page is written to a temporary folder (removed
/// after), with a `<base href>` naming the manifest's folder so that its
/// relative image paths resolve there.
pub fn print_deck(
    html: &str,
    manifest: &Path,
    out: &Path,
    notes: bool,
    browser: Option<&Path>,
) -> Result<(), Error> {
    let browser = find_browser(browser)?;
    let (dir, work) = work_dir(manifest.parent().unwrap_or(Path::new("")), "labdeck-print-")?;
    let page = work.path().join("deck.html");
    std::fs::write(&page, with_base(html, &dir)).map_err(|e| Error::io(&page, e))?;
    print_with(&browser, &page, out, notes)
}

/// For a page Chromium opens from a temporary folder: `deck_dir` made
/// absolute (the current folder when empty), for [`with_base`], and a new
/// temporary folder named `prefix...` (removed when dropped) outside the
/// deck, whose source folder may be read-only or watched by git.
pub(crate) fn work_dir(
    deck_dir: &Path,
    prefix: &str,
) -> Result<(PathBuf, tempfile::TempDir), Error> {
    let dir = if deck_dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        deck_dir
    };
    let dir = std::path::absolute(dir).map_err(|e| Error::io(dir, e))?;
    let work = tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    Ok((dir, work))
}

/// `html` with `<base href="file:///dir/">` first in its `<head>` (HTML:
/// the first `<base>` with an `href` sets the document's base URL).
pub(crate) fn with_base(html: &str, dir: &Path) -> String {
    let mut href = file_url(dir);
    if !href.ends_with('/') {
        href.push('/');
    }
    let base = format!("<base href=\"{href}\">");
    let lower = html
        .get(..html.len().min(4096))
        .unwrap_or("")
        .to_ascii_lowercase();
    match lower
        .find("<head")
        .and_then(|h| Some(h + lower[h..].find('>')? + 1))
    {
        Some(at) => format!("{}{base}{}", &html[..at], &html[at..]),
        None => format!("{base}{html}"),
    }
}

/// Print the deck page `html` (a file whose relative image paths resolve) to
/// `out`. Writes a temporary file beside `out` and renames it into place, so
/// a failure or a signal never leaves a half-written PDF.
pub fn print(html: &Path, out: &Path, notes: bool) -> Result<(), Error> {
    print_with(&find_browser(None)?, html, out, notes)
}

/// [`print`] with this browser.
pub fn print_with(chromium: &Path, html: &Path, out: &Path, notes: bool) -> Result<(), Error> {
    crate::run::interrupt::install();
    let html = std::path::absolute(html).map_err(|e| Error::io(html, e))?;
    let tmp = crate::output::temp_beside(out, ".pdf")?;
    let profile = tempfile::tempdir().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // Chromium's messages, read when it fails (a pipe left unread could
    // fill and block it).
    let mut log = tempfile::tempfile().map_err(|e| Error::io(std::env::temp_dir(), e))?;
    let log_for_child = log
        .try_clone()
        .map_err(|e| Error::io(std::env::temp_dir(), e))?;
    // ?print makes the runtime put every slide's content in place before load.
    let url = format!(
        "{}?print{}",
        file_url(&html),
        if notes { "&notes" } else { "" }
    );
    let mut child = Command::new(chromium)
        .args(HEADLESS_FLAGS)
        .args([
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(format!("--print-to-pdf={}", tmp.path().display()))
        .arg(&url)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(log_for_child)
        // Its own process group: the renderer and helper processes it
        // starts are stopped with it.
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io(chromium, e))?;
    // `tmp`, `profile` and the page's folder are removed as they drop.
    let status = wait(
        &mut child,
        chromium,
        None,
        &format!("{} not written", out.display()),
    )?;
    let written = std::fs::metadata(tmp.path()).map(|m| m.len()).unwrap_or(0);
    if !status.success() || written == 0 {
        use std::io::{Read as _, Seek as _};
        let mut stderr = String::new();
        let _ = log.seek(std::io::SeekFrom::Start(0));
        let _ = log.take(1 << 20).read_to_string(&mut stderr);
        let last: Vec<&str> = stderr.lines().rev().take(5).collect();
        return Err(Error::Browser(format!(
            "{} failed to print {} ({}): {}",
            chromium.display(),
            html.display(),
            status,
            last.into_iter().rev().collect::<Vec<_>>().join("\n")
        )));
    }
    crate::output::publish(tmp, out)
}

/// Waits for a Chromium started in its own process group, then stops its
/// helpers. Ctrl-C (see [`crate::run::interrupt`]) or `limit` passing stop
/// it and are an error (`lost` says what that leaves undone).
pub(crate) fn wait(
    child: &mut std::process::Child,
    chromium: &Path,
    limit: Option<std::time::Duration>,
    lost: &str,
) -> Result<std::process::ExitStatus, Error> {
    let started = std::time::Instant::now();
    let status = loop {
        if crate::run::interrupt::interrupted() {
            stop(child);
            return Err(Error::Interrupted(lost.to_string()));
        }
        if let Some(limit) = limit
            && started.elapsed() > limit
        {
            stop(child);
            return Err(Error::Browser(format!(
                "{} did not finish within {} s: {lost}",
                chromium.display(),
                limit.as_secs()
            )));
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => std::thread::sleep(std::time::Duration::from_millis(50)),
            Err(e) => {
                stop(child);
                return Err(Error::io(chromium, e));
            }
        }
    };
    // The helpers of a Chromium that exited.
    kill_group(child);
    Ok(status)
}

/// Kills Chromium's process group and reaps Chromium.
fn stop(child: &mut std::process::Child) {
    kill_group(child);
    let _ = child.kill();
    let _ = child.wait();
}

fn kill_group(child: &std::process::Child) {
    if let Some(pid) = i32::try_from(child.id())
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    {
        let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
    }
}

/// A file:// URL for an absolute path (percent-encoding what URLs can't hold).
pub(crate) fn file_url(path: &Path) -> String {
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
    fn the_page_names_the_deck_folder_as_its_base() {
        let dir = Path::new("/r/my deck");
        assert_eq!(
            with_base("<!DOCTYPE html><HTML><Head lang=en><title>", dir),
            "<!DOCTYPE html><HTML><Head lang=en><base href=\"file:///r/my%20deck/\"><title>"
        );
        assert_eq!(
            with_base("<p>", dir),
            "<base href=\"file:///r/my%20deck/\"><p>"
        );
    }

    #[test]
    fn chrome_and_edge_are_found_as_well_as_chromium() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir_all(&a).unwrap();
        std::fs::create_dir_all(&b).unwrap();
        let path = std::env::join_paths([&a, &b]).unwrap();
        assert_eq!(find_on(&path, &[]), None);
        let exe = |p: &Path| {
            std::fs::write(p, "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        // Not executable: not a browser.
        std::fs::write(b.join("chromium"), "").unwrap();
        assert_eq!(find_on(&path, &[]), None);
        exe(&b.join("msedge"));
        assert_eq!(find_on(&path, &[]), Some(b.join("msedge")));
        // An earlier folder wins, as in a shell; in a folder, Chromium first.
        exe(&a.join("google-chrome-stable"));
        assert_eq!(find_on(&path, &[]), Some(a.join("google-chrome-stable")));
        exe(&a.join("chromium-browser"));
        assert_eq!(find_on(&path, &[]), Some(a.join("chromium-browser")));
        // None on PATH: the known places.
        let known = b.join("msedge");
        let known = known.to_str().unwrap();
        let empty = std::env::join_paths([dir.path().join("none")]).unwrap();
        assert_eq!(find_on(&empty, &[known]), Some(b.join("msedge")));
    }

    #[test]
    fn file_urls_are_percent_encoded() {
        assert_eq!(
            file_url(Path::new("/tmp/my deck/#1.html")),
            "file:///tmp/my%20deck/%231.html"
        );
    }
}
