//! `overflow` (`lint --render`): content that reaches past its slide at the
//! deck's ratio, so the slide is cut off when shown. Only a browser can
//! tell (fonts, images, wrapping), so this rule builds each deck's page as
//! `build` does, opens it in headless Chromium and measures every slide
//! (templates/overflow.js says how). It runs only when asked: it needs
//! Chromium and takes seconds per deck.
//!
//! Chromium is driven as `labdeck pdf` drives it ([`crate::pdf`]): the
//! page goes to a temporary folder with a `<base href>` naming the deck's
//! folder (so its images load and nothing is written beside the deck), a
//! fresh profile, the headless flags that reach no network, and
//! `--dump-dom`, whose output carries the measures.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::build::{BuildOptions, Builder};
use crate::deck::{Deck, LoadOptions};
use crate::diagnostic::Diagnostic;
use crate::error::Error;

/// The measuring script added to the page.
const SCRIPT: &str = include_str!("../../templates/overflow.js");

/// Where the script leaves its answer (see templates/overflow.js).
const ATTRIBUTE: &str = "data-labdeck-overflow=\"";

/// Longest a deck's measure may take (a deck of 700 slides takes seconds).
const LIMIT: Duration = Duration::from_secs(300);

/// How far one slide's content reaches past its box, in CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overflow {
    /// 0-based position of the slide in the page (`#index+1`).
    pub index: usize,
    pub bottom: u32,
    pub right: u32,
}

/// `overflow` findings for each deck (one that does not build is skipped:
/// its other findings say why). An error when Chromium cannot be found or
/// run: the caller asked for this rule.
pub fn check_decks(paths: &[PathBuf], opts: &LoadOptions) -> Result<Vec<Diagnostic>, Error> {
    let chromium = crate::pdf::find_chromium().ok_or_else(|| {
        Error::Browser(
            "lint --render measures slides in Chromium: none found on PATH or at /usr/bin/chromium \
             (Debian: apt-get install chromium)"
                .into(),
        )
    })?;
    crate::run::interrupt::install();
    let builder = Builder::new(BuildOptions {
        load: opts.clone(),
        ..BuildOptions::default()
    })?;
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for path in paths {
        let Ok((deck, page)) = builder.render(path) else {
            continue;
        };
        let measured = measure(&chromium, &page.html, &deck.manifest.dir)?;
        for d in findings(&deck, &measured) {
            if seen.insert((d.location.clone(), d.message.clone())) {
                out.push(d);
            }
        }
    }
    Ok(out)
}

/// The slides of `deck` that overflow, as findings: one per slide as
/// shown last (a slide's `--` steps only add to it), at the line where the
/// slide starts.
pub fn findings(deck: &Deck, measured: &[Overflow]) -> Vec<Diagnostic> {
    let (width, height) = deck.manifest.remark.dimensions();
    let (rw, rh) = deck.manifest.remark.ratio;
    let mut out = Vec::new();
    for m in measured {
        let Some(slide) = deck.slides.get(m.index) else {
            continue;
        };
        if !slide.last_step {
            continue;
        }
        // The slide's first step: where it is written.
        let first = deck.slides[..=m.index]
            .iter()
            .rposition(|s| !s.continued)
            .unwrap_or(m.index);
        let start = deck.slides[first].start;
        let Some(at) = deck.slides[first]
            .location
            .clone()
            .or_else(|| deck.source.report_location(start).map(|(at, _)| at))
        else {
            continue;
        };
        let mut by = Vec::new();
        if m.bottom > 0 {
            by.push(format!("{} px at the bottom", m.bottom));
        }
        if m.right > 0 {
            by.push(format!("{} px on the right", m.right));
        }
        out.push(Diagnostic::error(
            "overflow",
            at,
            format!(
                "slide {} (#{}) is cut off: its content reaches {} past the {width}x{height} px slide ({rw}:{rh}, remark's `ratio`); shorten it, split it with `---`, or make it smaller with a class",
                slide.number,
                m.index + 1,
                by.join(" and ")
            ),
        ));
    }
    out
}

/// Opens `html` (a built page whose relative paths are relative to
/// `deck_dir`) in headless Chromium and measures every slide.
pub fn measure(chromium: &Path, html: &str, deck_dir: &Path) -> Result<Vec<Overflow>, Error> {
    let (dir, work) = crate::pdf::work_dir(deck_dir, "labdeck-measure-")?;
    let page = work.path().join("deck.html");
    let profile = work.path().join("profile");
    let dom = work.path().join("dom.html");
    let log = work.path().join("chromium.log");
    std::fs::write(&page, with_script(&crate::pdf::with_base(html, &dir)))
        .map_err(|e| Error::io(&page, e))?;
    let stdout = std::fs::File::create(&dom).map_err(|e| Error::io(&dom, e))?;
    let stderr = std::fs::File::create(&log).map_err(|e| Error::io(&log, e))?;
    // ?print makes the runtime put every slide's content in place.
    let url = format!("{}?print", crate::pdf::file_url(&page));
    let mut child = {
        use std::os::unix::process::CommandExt as _;
        Command::new(chromium)
            .args(crate::pdf::HEADLESS_FLAGS)
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg("--dump-dom")
            .arg(&url)
            .stdin(std::process::Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            // Its own process group: its helpers stop with it.
            .process_group(0)
            .spawn()
            .map_err(|e| Error::io(chromium, e))?
    };
    let status = crate::pdf::wait(&mut child, chromium, Some(LIMIT), "slides not measured")?;
    let text = std::fs::read_to_string(&dom).map_err(|e| Error::io(&dom, e))?;
    match parse(&text) {
        Some(measured) if status.success() => Ok(measured),
        _ => {
            let messages = std::fs::read_to_string(&log).unwrap_or_default();
            let last: Vec<&str> = messages.lines().rev().take(5).collect();
            Err(Error::Browser(format!(
                "{} could not measure the slides ({status}): {}",
                chromium.display(),
                last.into_iter().rev().collect::<Vec<_>>().join("\n")
            )))
        }
    }
}

/// `html` with the measuring script last in its body.
fn with_script(html: &str) -> String {
    let script = format!("<script>\n{SCRIPT}</script>\n");
    match html.rfind("</body>") {
        Some(at) => format!("{}{script}{}", &html[..at], &html[at..]),
        None => format!("{html}{script}"),
    }
}

/// The measures in Chromium's dump (`None`: the script left none).
fn parse(dom: &str) -> Option<Vec<Overflow>> {
    let start = dom.find(ATTRIBUTE)? + ATTRIBUTE.len();
    let value = &dom[start..start + dom[start..].find('"')?];
    let mut parts = value.split(' ');
    parts.next()?.parse::<usize>().ok()?;
    parts
        .map(|p| {
            let mut n = p.split(':');
            let index = n.next()?.parse().ok()?;
            let bottom = n.next()?.parse().ok()?;
            let right = n.next()?.parse().ok()?;
            Some(Overflow {
                index,
                bottom,
                right,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_are_read_from_the_dump() {
        let dom = "<html data-labdeck-overflow=\"3 1:102:0 2:0:7\"><head>";
        assert_eq!(
            parse(dom),
            Some(vec![
                Overflow {
                    index: 1,
                    bottom: 102,
                    right: 0
                },
                Overflow {
                    index: 2,
                    bottom: 0,
                    right: 7
                },
            ])
        );
        assert_eq!(parse("<html data-labdeck-overflow=\"2\">"), Some(vec![]));
        assert_eq!(parse("<html>"), None);
        assert_eq!(parse("<html data-labdeck-overflow=\"x 1:2:3\">"), None);
    }

    #[test]
    fn the_script_goes_last_in_the_body() {
        let page = with_script("<html><body><p>x</p></body></html>");
        assert!(page.ends_with("</script>\n</body></html>"), "{page}");
        assert!(page.contains("data-labdeck-overflow"));
    }
}
