//! Stylesheets inlined into the page keep their fonts and images: each
//! relative `url(...)` is rewritten relative to the deck's folder (where
//! the page is written), and the file it names is copied beside the output.
//! Files outside the deck's folder go to `_assets/` in the output.
//! `@import "x.css"` (or `@import url(x.css)`) is rewritten and copied the
//! same way, and the files the imported stylesheet names are copied too;
//! as it is copied as written, it and they must be under the deck's folder
//! (`css-outside-deck` otherwise, as for images). A browser loads a page
//! whose stylesheet or import is missing without it: `missing-stylesheet`
//! is a warning for a page's `<link>`s and imports, where a manifest's
//! `css:` entry missing is an error (`missing-css`).
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
    /// The stylesheets `@import`s name (followed, found or not): files the
    /// page is made from besides the deck's own, which `serve` watches.
    pub imported: Vec<PathBuf>,
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
            Err(e @ crate::files::ReadError::Outside { .. }) => {
                out.diagnostics.push(Diagnostic::error(
                    "css-outside-root",
                    at,
                    format!("css `{css}`: {e}"),
                ));
                continue;
            }
            Err(e) if m.css_optional => {
                out.diagnostics.push(Diagnostic::warning(
                    "missing-stylesheet",
                    at,
                    format!("stylesheet `{css}`: {e}; a browser shows the deck without it"),
                ));
                continue;
            }
            Err(e) => {
                out.diagnostics.push(Diagnostic::error(
                    "missing-css",
                    at,
                    format!("css `{css}`: {e}"),
                ));
                continue;
            }
        };
        let css_dir = path.parent().unwrap_or(Path::new(""));
        let mut assets = Vec::new();
        let mut imports = Vec::new();
        out.texts
            .push(rebase(&text, css_dir, dir, &mut assets, Some(&mut imports)));
        let what = format!("css `{css}`");
        out.admit(&gate, files, dir, assets, &at, &what);
        out.follow(&gate, files, dir, imports, &at, &what);
    }
    for path in extra {
        match files.text(path) {
            Ok(text) => {
                // Trusted like the command line: its imports are files
                // like its `url()` targets (copied, not followed).
                let css_dir = path.parent().unwrap_or(Path::new(""));
                out.texts
                    .push(rebase(&text, css_dir, dir, &mut out.assets, None));
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
        let mut imports = Vec::new();
        out.texts
            .push(rebase(text, dir, dir, &mut assets, Some(&mut imports)));
        let at = Location::new(m.path.clone(), 1);
        out.admit(&gate, files, dir, assets, &at, "<style>");
        out.follow(&gate, files, dir, imports, &at, "<style>");
    }
    out
}

/// A stylesheet an `@import` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    /// As written.
    pub reference: String,
    /// The file, relative to where the deck is (lexically normal).
    pub file: PathBuf,
    /// Under the deck's folder (copied there, so its own references hold).
    pub in_deck: bool,
}

/// How deep `@import`s are followed (each level a stylesheet read).
const MAX_IMPORT_DEPTH: usize = 16;

/// A file a stylesheet refers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Asset {
    /// Inside the deck's folder: its path relative to it.
    InDeck(String),
    /// Elsewhere: the file, and where it goes in the output.
    Outside(PathBuf, String),
}

impl Styles {
    /// Follows `@import`s: each imported stylesheet is copied as written,
    /// so it and the files it names (its own imports too) must be under
    /// the deck's folder; one missing is a warning, as the browser goes on
    /// without it. Reported at `at`, the line naming the outer stylesheet.
    fn follow(
        &mut self,
        gate: &Confinement,
        files: &Files,
        dir: &Path,
        imports: Vec<Import>,
        at: &Location,
        what: &str,
    ) {
        let mut seen = std::collections::HashSet::new();
        let mut todo: Vec<(Import, usize)> = imports.into_iter().map(|i| (i, 1)).collect();
        while let Some((import, depth)) = todo.pop() {
            let Import {
                reference, file, ..
            } = &import;
            if !import.in_deck {
                self.diagnostics.push(Diagnostic::error(
                    "css-outside-deck",
                    at.clone(),
                    format!(
                        "{what}: @import `{reference}` ({}) is outside the deck's folder {}: `build` copies an imported stylesheet as written, beside the page, so it must be under that folder",
                        file.display(),
                        shown_dir(dir)
                    ),
                ));
                continue;
            }
            if !seen.insert(file.clone()) || depth > MAX_IMPORT_DEPTH {
                continue;
            }
            self.imported.push(file.clone());
            let text = match gate.admit(files, file).and_then(|()| files.text(file)) {
                Ok(t) => t,
                // Refused by the gate: reported with the copied files.
                Err(crate::files::ReadError::Outside { .. }) => continue,
                Err(e) => {
                    self.diagnostics.push(Diagnostic::warning(
                        "missing-stylesheet",
                        at.clone(),
                        format!(
                            "{what}: @import `{reference}` ({}): {e}; a browser shows the deck without it",
                            file.display()
                        ),
                    ));
                    continue;
                }
            };
            let mut assets = Vec::new();
            let mut nested = Vec::new();
            let css_dir = file.parent().unwrap_or(Path::new(""));
            rebase(&text, css_dir, dir, &mut assets, Some(&mut nested));
            let mut kept = Vec::new();
            for asset in assets {
                match asset {
                    Asset::InDeck(_) => kept.push(asset),
                    Asset::Outside(target, _) => self.diagnostics.push(Diagnostic::error(
                        "css-outside-deck",
                        at.clone(),
                        format!(
                            "{what}: @import `{reference}` names {}, outside the deck's folder {}: the imported stylesheet is copied as written, so the files it names must be under that folder",
                            target.display(),
                            shown_dir(dir)
                        ),
                    )),
                }
            }
            self.admit(gate, files, dir, kept, at, what);
            todo.extend(nested.into_iter().map(|i| (i, depth + 1)));
        }
    }

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

/// `css` (read from `css_dir`) with its relative `url()`s and `@import`s
/// made relative to `deck_dir`; the files they name are added to `assets`,
/// the stylesheets imported to `imports` (one outside `deck_dir` is kept
/// as written, and reported by [`deck_styles`]). Without `imports` (a
/// `--css` stylesheet, trusted like the command line), an import is a file
/// like any `url()` target: copied, to `_assets/` when outside `deck_dir`.
pub fn rebase(
    css: &str,
    css_dir: &Path,
    deck_dir: &Path,
    assets: &mut Vec<Asset>,
    mut imports: Option<&mut Vec<Import>>,
) -> String {
    let mut out = String::with_capacity(css.len());
    let mut rest = css;
    // The next `url(` is an `@import`'s.
    let mut importing = false;
    loop {
        let url = rest.find("url(");
        let import = rest.find("@import");
        if let Some(m) = import.filter(|&m| url.is_none_or(|u| m < u)) {
            // `@import "x.css"` or `@import url(x.css)` (CSS Cascading
            // and Inheritance, §2.1: a string or a url()).
            let after = m + "@import".len();
            let skip = rest[after..].len() - rest[after..].trim_start().len();
            let q_at = after + skip;
            match rest[q_at..].chars().next() {
                Some(q @ ('"' | '\'')) => {
                    let Some(close) = rest[q_at + 1..].find(q).map(|c| c + q_at + 1) else {
                        break;
                    };
                    out.push_str(&rest[..q_at + 1]);
                    let reference = &rest[q_at + 1..close];
                    match target(
                        reference,
                        css_dir,
                        deck_dir,
                        true,
                        assets,
                        imports.as_deref_mut(),
                    ) {
                        Some(t) => out.push_str(&t),
                        None => out.push_str(reference),
                    }
                    rest = &rest[close..];
                }
                _ if rest[q_at..].starts_with("url(") => {
                    importing = true;
                    out.push_str(&rest[..q_at]);
                    rest = &rest[q_at..];
                }
                _ => {
                    out.push_str(&rest[..after]);
                    rest = &rest[after..];
                }
            }
            continue;
        }
        let Some(i) = url else { break };
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
        match target(
            reference,
            css_dir,
            deck_dir,
            importing,
            assets,
            imports.as_deref_mut(),
        ) {
            Some(t) => {
                let q = quote.map(String::from).unwrap_or_default();
                out.push_str(&format!("{q}{t}{q}"));
            }
            None => out.push_str(&rest[start..close]),
        }
        importing = false;
        rest = &rest[close..];
    }
    out.push_str(rest);
    out
}

/// Where a reference written in a stylesheet in `css_dir` points from
/// `deck_dir`; `None`: keep it as written (not a local file, or an import
/// from outside the deck's folder).
fn target(
    reference: &str,
    css_dir: &Path,
    deck_dir: &Path,
    import: bool,
    assets: &mut Vec<Asset>,
    imports: Option<&mut Vec<Import>>,
) -> Option<String> {
    let imports = imports.filter(|_| import);
    if !is_local(reference) {
        return None;
    }
    let split = reference.find(['?', '#']).unwrap_or(reference.len());
    let (file_part, suffix) = reference.split_at(split);
    let file = crate::source::lexically_normal(&css_dir.join(file_part));
    let rel = match file.strip_prefix(crate::source::lexically_normal(deck_dir)) {
        Ok(rel) if !rel.as_os_str().is_empty() => rel.to_string_lossy().replace('\\', "/"),
        _ if imports.is_some() => {
            if let Some(imports) = imports {
                imports.push(Import {
                    reference: reference.to_owned(),
                    file,
                    in_deck: false,
                });
            }
            return None;
        }
        _ => {
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let rel = format!("_assets/{name}");
            assets.push(Asset::Outside(file.clone(), rel.clone()));
            return Some(format!("{rel}{suffix}"));
        }
    };
    assets.push(Asset::InDeck(rel.clone()));
    if let Some(imports) = imports {
        imports.push(Import {
            reference: reference.to_owned(),
            file,
            in_deck: true,
        });
    }
    Some(format!("{rel}{suffix}"))
}

fn shown_dir(dir: &Path) -> std::path::Display<'_> {
    if dir.as_os_str().is_empty() {
        Path::new(".").display()
    } else {
        dir.display()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_follow_the_stylesheet() {
        let mut assets = Vec::new();
        let css = "@font-face { src: url('fonts/a.woff2?v=1') } .x { background: url(data:image/png;base64,AA) } .y { background: url(\"../../shared/bg.png\") } .z { background: url(https://x.org/i.png) }";
        let mut imports = Vec::new();
        let out = rebase(
            css,
            Path::new("deck/theme"),
            Path::new("deck"),
            &mut assets,
            Some(&mut imports),
        );
        assert!(imports.is_empty());
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

    #[test]
    fn imports_follow_the_stylesheet_and_stay_in_the_deck() {
        let mut assets = Vec::new();
        let mut imports = Vec::new();
        let css = "@import;\n@import \"vars.css\";\n@import url('fonts/f.css') screen;\n@import '../../x.css';\n@import url(https://fonts.example/f.css);\nh1 { background: url(a.png) }";
        let out = rebase(
            css,
            Path::new("deck/theme"),
            Path::new("deck"),
            &mut assets,
            Some(&mut imports),
        );
        assert_eq!(
            out,
            "@import;\n@import \"theme/vars.css\";\n@import url('theme/fonts/f.css') screen;\n@import '../../x.css';\n@import url(https://fonts.example/f.css);\nh1 { background: url(theme/a.png) }"
        );
        assert_eq!(
            assets,
            [
                Asset::InDeck("theme/vars.css".into()),
                Asset::InDeck("theme/fonts/f.css".into()),
                Asset::InDeck("theme/a.png".into()),
            ]
        );
        assert_eq!(
            imports
                .iter()
                .map(|i| (i.reference.as_str(), i.in_deck))
                .collect::<Vec<_>>(),
            [
                ("vars.css", true),
                ("fonts/f.css", true),
                ("../../x.css", false)
            ]
        );
    }

    #[test]
    fn without_imports_an_import_is_copied_like_any_url() {
        // A `--css` stylesheet (outside the deck): its import goes to
        // `_assets/`, as its fonts do.
        let mut assets = Vec::new();
        let out = rebase(
            "@import url(vars.css);",
            Path::new("brand"),
            Path::new("deck"),
            &mut assets,
            None,
        );
        assert_eq!(out, "@import url(_assets/vars.css);");
        assert_eq!(
            assets,
            [Asset::Outside(
                PathBuf::from("brand/vars.css"),
                "_assets/vars.css".into()
            )]
        );
    }
}
