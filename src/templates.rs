//! The page templates, theme and runtime that `build` and `serve` render
//! decks with. Built-in copies from `templates/` are compiled into the
//! binary; `--templates DIR` overrides any of them by file name (and may add
//! more files, usable with `{% include %}`).
//!
//! The renderer renders [`PAGE`] with the context described in
//! `templates/deck.html`; the other names are included from it.

use std::path::{Path, PathBuf};

use tera::Tera;

use crate::error::Error;

/// The page template the renderer renders.
pub const PAGE: &str = "deck.html";

/// Every built-in template, by the name templates include it with.
pub const BUILTIN: &[(&str, &str)] = &[
    ("deck.html", include_str!("../templates/deck.html")),
    ("theme.css", include_str!("../templates/theme.css")),
    ("print.css", include_str!("../templates/print.css")),
    ("runtime.js", include_str!("../templates/runtime.js")),
];

/// The built-in templates, overridden by the files of `overrides` when given.
pub fn load(overrides: Option<&Path>) -> Result<Tera, Error> {
    let mut sources: Vec<(String, String)> = BUILTIN
        .iter()
        .map(|(name, text)| ((*name).to_string(), (*text).to_string()))
        .collect();
    if let Some(dir) = overrides {
        for (name, path) in override_files(dir)? {
            let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
            match sources.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = text,
                None => sources.push((name, text)),
            }
        }
    }
    let mut tera = Tera::default();
    tera.add_raw_templates(sources.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| template_error(overrides, &e))?;
    Ok(tera)
}

/// The files directly inside `dir` (templates are addressed by file name).
pub fn override_files(dir: &Path) -> Result<Vec<(String, PathBuf)>, Error> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        if !path.is_file() {
            continue;
        }
        if let Some(name) = path.file_name().and_then(|n| n.to_str())
            && !name.starts_with('.')
        {
            files.push((name.to_string(), path.clone()));
        }
    }
    files.sort();
    Ok(files)
}

/// A tera error with its whole cause chain (tera puts the useful part, such
/// as the line of a syntax error, in the source).
pub fn template_error(overrides: Option<&Path>, e: &tera::Error) -> Error {
    let mut msg = String::from("template error");
    if let Some(dir) = overrides {
        msg.push_str(&format!(" (templates from {})", dir.display()));
    }
    msg.push_str(&format!(": {e}"));
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg.push_str(&format!(": {s}"));
        source = s.source();
    }
    Error::Other(msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_assets_render_verbatim() {
        // CSS and JS go through tera as includes: a stray `{{`, `{%` or `{#`
        // in them would be taken as template syntax and corrupt the page.
        let tera = load(None).unwrap();
        for (name, text) in BUILTIN.iter().filter(|(n, _)| *n != PAGE) {
            let out = tera.render(name, &tera::Context::new()).unwrap();
            assert_eq!(&out, text, "{name} must not contain tera syntax");
        }
    }

    #[test]
    fn override_replaces_and_adds_by_file_name() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("theme.css"), "body{color:red}").unwrap();
        std::fs::write(dir.path().join("extra.html"), "hi {{ title }}").unwrap();
        let tera = load(Some(dir.path())).unwrap();
        let css = tera.render("theme.css", &tera::Context::new()).unwrap();
        assert_eq!(css, "body{color:red}");
        let mut ctx = tera::Context::new();
        ctx.insert("title", "x");
        assert_eq!(tera.render("extra.html", &ctx).unwrap(), "hi x");
        // untouched built-ins are still there
        assert!(tera.get_template_names().any(|n| n == "runtime.js"));
    }

    #[test]
    fn broken_override_names_the_problem() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("deck.html"), "{% if %}").unwrap();
        let err = load(Some(dir.path())).unwrap_err().to_string();
        assert!(err.contains("deck.html"), "{err}");
        assert!(err.contains(&dir.path().display().to_string()), "{err}");
    }

    #[test]
    fn missing_override_dir_is_an_io_error() {
        let err = load(Some(Path::new("/nonexistent/labdeck-templates"))).unwrap_err();
        assert!(matches!(err, Error::Io { .. }), "{err}");
    }
}
