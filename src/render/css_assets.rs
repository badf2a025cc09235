//! Stylesheets inlined into the page keep their fonts and images: each
//! relative `url(...)` is rewritten relative to the deck's folder (where
//! the page is written), and the file it names is copied beside the output.
//! Files outside the deck's folder go to `_assets/` in the output.
//!
//! Stylesheets and the files they name pass the gate of every file a deck
//! names ([`crate::files::Confinement`]): [`deck_styles`] is the one place
//! `build` and `lint` read them.

use std::path::{Path, PathBuf};

use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::Location;
use crate::files::is_local;
use crate::files::{Confinement, Files};

/// A deck's stylesheets, read and rebased, and the files they name.
#[derive(Debug, Default)]
pub struct Styles {
    /// Stylesheet texts in page order: the manifest's `css:`, the extra
    /// ones, then the deck's own `<style>`s.
    pub texts: Vec<String>,
    pub assets: Vec<Asset>,
    /// Stylesheets or `url()` targets missing, unreadable or outside the
    /// repository root.
    pub diagnostics: Vec<Diagnostic>,
}

/// Reads the deck's `css:` stylesheets (and `extra`, given on the command
/// line, trusted like the command line), rebased to the deck's folder.
/// Every file the deck names passes the gate: a stylesheet or a `url()`
/// target outside the repository root is an error at the manifest line
/// that names the stylesheet.
pub fn deck_styles(deck: &Deck, files: &Files, extra: &[PathBuf]) -> Styles {
    let m = &deck.manifest;
    let dir = &m.dir;
    let gate = Confinement::new(&deck.root, files);
    let mut out = Styles::default();
    for (i, css) in m.css.iter().enumerate() {
        let at = Location::new(m.path.clone(), m.css_line(i));
        let path = dir.join(css);
        let text = gate.admit(files, &path).and_then(|()| files.text(&path));
        let text = match text {
            Ok(t) => t,
            Err(e) => {
                let code = match e {
                    crate::files::ReadError::Outside { .. } => "css-outside-root",
                    _ => "missing-css",
                };
                out.diagnostics
                    .push(Diagnostic::error(code, at, format!("css `{css}`: {e}")));
                continue;
            }
        };
        let css_dir = path.parent().unwrap_or(Path::new(""));
        let mut assets = Vec::new();
        out.texts.push(rebase(&text, css_dir, dir, &mut assets));
        out.admit(&gate, files, dir, assets, &at, &format!("css `{css}`"));
    }
    for path in extra {
        match files.text(path) {
            Ok(text) => {
                let css_dir = path.parent().unwrap_or(Path::new(""));
                out.texts.push(rebase(&text, css_dir, dir, &mut out.assets));
            }
            Err(e) => out.diagnostics.push(Diagnostic::error(
                "missing-css",
                Location::new(path.clone(), 1),
                format!("--css {}: {e}", path.display()),
            )),
        }
    }
    for text in &m.styles {
        let mut assets = Vec::new();
        out.texts.push(rebase(text, dir, dir, &mut assets));
        let at = Location::new(m.path.clone(), 1);
        out.admit(&gate, files, dir, assets, &at, "<style>");
    }
    out
}

/// A file a stylesheet refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asset {
    /// Inside the deck's folder: its path relative to it.
    InDeck(String),
    /// Elsewhere: the file, and where it goes in the output.
    Outside(PathBuf, String),
}

impl Styles {
    /// Keeps the `url()` targets inside the repository root; the others
    /// are errors at `at`.
    fn admit(
        &mut self,
        gate: &Confinement,
        files: &Files,
        dir: &Path,
        assets: Vec<Asset>,
        at: &Location,
        what: &str,
    ) {
        for asset in assets {
            let file = match &asset {
                Asset::InDeck(rel) => dir.join(rel),
                Asset::Outside(file, _) => file.clone(),
            };
            match gate.admit(files, &file) {
                Ok(()) => self.assets.push(asset),
                Err(e) => self.diagnostics.push(Diagnostic::error(
                    "css-outside-root",
                    at.clone(),
                    format!("{what}: url({}): {e}", file.display()),
                )),
            }
        }
    }
}

/// `css` (read from `css_dir`) with its relative `url()`s made relative to
/// `deck_dir`; the files they name are added to `assets`.
pub fn rebase(css: &str, css_dir: &Path, deck_dir: &Path, assets: &mut Vec<Asset>) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    while let Some(i) = rest.find("url(") {
        let start = i + 4;
        let Some(close) = rest[start..].find(')').map(|c| c + start) else {
            break;
        };
        let inner = rest[start..close].trim();
        let (quote, reference) = match inner.chars().next() {
            Some(q @ ('"' | '\'')) => (Some(q), inner.trim_start_matches(q).trim_end_matches(q)),
            _ => (None, inner),
        };
        out.push_str(&rest[..start]);
        if is_local(reference) {
            let split = reference.find(['?', '#']).unwrap_or(reference.len());
            let (file_part, suffix) = reference.split_at(split);
            let file = crate::source::lexically_normal(&css_dir.join(file_part));
            let target = match file.strip_prefix(crate::source::lexically_normal(deck_dir)) {
                Ok(rel) if !rel.as_os_str().is_empty() => {
                    let rel = rel.to_string_lossy().replace('\\', "/");
                    assets.push(Asset::InDeck(rel.clone()));
                    rel
                }
                _ => {
                    let name = file
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let rel = format!("_assets/{name}");
                    assets.push(Asset::Outside(file.clone(), rel.clone()));
                    rel
                }
            };
            let q = quote.map(String::from).unwrap_or_default();
            out.push_str(&format!("{q}{target}{suffix}{q}"));
        } else {
            out.push_str(&rest[start..close]);
        }
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_stylesheet() {
        let mut assets = Vec::new();
        let css = "@font-face { src: url('fonts/a.woff2?v=1') } .x { background: url(data:image/png;base64,AA) } .y { background: url(\"../../shared/bg.png\") } .z { background: url(https://x.org/i.png) }";
        let out = rebase(css, Path::new("deck/theme"), Path::new("deck"), &mut assets);
        assert!(out.contains("url('theme/fonts/a.woff2?v=1')"), "{out}");
        assert!(out.contains("url(data:image/png;base64,AA)"), "{out}");
        assert!(out.contains("url(\"_assets/bg.png\")"), "{out}");
        assert!(out.contains("url(https://x.org/i.png)"), "{out}");
        assert_eq!(
            assets,
            [
                Asset::InDeck("theme/fonts/a.woff2".into()),
                Asset::Outside(PathBuf::from("shared/bg.png"), "_assets/bg.png".into()),
            ]
        );
    }
}
