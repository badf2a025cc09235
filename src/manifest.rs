//! Deck manifests: the YAML file that lists a deck's chapters.
//!
//! Loading only reads and validates the YAML; chapter files are read by
//! `assemble`. Every error names the manifest and, where the YAML parser
//! knows it, the line.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde_saphyr::Spanned;

use crate::error::{Error, Location, Result};
use crate::remark::options::RemarkOptions;

/// A deck manifest, after `OVERRIDE_*` environment overrides.
#[derive(Debug, Clone)]
pub struct Manifest {
    /// The manifest file as given on the command line.
    pub path: PathBuf,
    /// Folder holding the manifest: chapter paths are relative to it.
    pub dir: PathBuf,
    pub title: String,
    pub chat: String,
    pub gitrepo: String,
    pub slides: String,
    pub zip: String,
    pub html: String,
    pub slidenumberprefix: String,
    /// Slide classes dropped from this deck.
    pub exclude: Vec<String>,
    /// Extra stylesheets (paths relative to the manifest's folder).
    pub css: Vec<String>,
    /// The line each `css` entry is written on (same order).
    pub css_lines: Vec<usize>,
    /// The `css` entries are an HTML page's `<link rel="stylesheet">`s:
    /// one missing is a warning (a browser shows the page without it),
    /// where a manifest's `css:` entry missing is an error.
    pub css_optional: bool,
    /// Local script files read for the page's `remark.create()` options
    /// (watched by `serve` like the deck's other files).
    pub scripts: Vec<PathBuf>,
    /// Stylesheets' text written in the deck itself (an HTML page's
    /// `<style>` elements), after `css`.
    pub styles: Vec<String>,
    /// remark's options (`remark:` mapping, remark's option names).
    pub remark: RemarkOptions,
    /// Whose look the page has besides the deck's own stylesheets.
    pub look: Look,
    pub content: Vec<Entry>,
    /// What reading it found that the deck builds without (an HTML page's
    /// `remark.create()` options labdeck cannot read): the deck's
    /// diagnostics start with them.
    pub warnings: Vec<crate::diagnostic::Diagnostic>,
}

/// The look a page has under the deck's own stylesheets (`look:` in a
/// manifest; docs/deck-format.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Look {
    /// labdeck's default look (fonts, heading and link colours, tables,
    /// lists, exercise boxes) under remark's own rules: the default of
    /// `.yml` manifests, whose decks (container.training's) expect it.
    #[default]
    Labdeck,
    /// What remark 0.14 itself gives a page (its `documentStyles`) and
    /// nothing more: the look of a remark page or `.md` deck, so that the
    /// deck's theme shows as it did in remark.
    Remark,
}

impl Look {
    /// The name a manifest's `look:` gives it (and the page template sees).
    pub fn name(self) -> &'static str {
        match self {
            Look::Labdeck => "labdeck",
            Look::Remark => "remark",
        }
    }
}

/// One entry of `content:`.
#[derive(Debug, Clone)]
pub enum Entry {
    /// A chapter file, relative to the manifest's folder.
    File { path: String, line: usize },
    /// Markdown written in the manifest itself (a string with newlines).
    Inline { text: String, line: usize },
    /// A nested list: directly under `content` it is a part.
    List { entries: Vec<Entry>, line: usize },
}

impl Entry {
    pub fn line(&self) -> usize {
        match self {
            Entry::File { line, .. } | Entry::Inline { line, .. } | Entry::List { line, .. } => {
                *line
            }
        }
    }
}

/// The manifest as written, before defaults and overrides.
#[derive(Debug, Deserialize)]
struct RawManifest {
    title: Option<Spanned<Scalar>>,
    chat: Option<Spanned<Scalar>>,
    gitrepo: Option<Spanned<Scalar>>,
    slides: Option<Spanned<Scalar>>,
    zip: Option<Spanned<Scalar>>,
    html: Option<Spanned<Scalar>>,
    slidenumberprefix: Option<Spanned<Scalar>>,
    #[serde(default)]
    exclude: Option<Vec<Spanned<Scalar>>>,
    #[serde(default)]
    css: Option<Vec<Spanned<Scalar>>>,
    /// remark's options, as `remark.create()` takes them.
    #[serde(default)]
    remark: Option<Spanned<serde_json::Value>>,
    /// `labdeck` (default) or `remark`: see [`Look`].
    look: Option<Spanned<Scalar>>,
    content: Option<Spanned<RawEntries>>,
}

/// A YAML scalar that we use as text (numbers and booleans included, as the
/// original Python tooling did).
#[derive(Debug)]
struct Scalar(String);

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_bool<E: de::Error>(self, v: bool) -> std::result::Result<Scalar, E> {
                Ok(Scalar(v.to_string()))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<Scalar, E> {
                Ok(Scalar(String::new()))
            }
        }
        d.deserialize_any(V)
    }
}

/// A content list; each element keeps its line.
#[derive(Debug)]
struct RawEntries(Vec<Spanned<RawEntry>>);

#[derive(Debug)]
enum RawEntry {
    Text(String),
    List(RawEntries),
    /// Anything else (a number, a map, null): reported with its line.
    Invalid(&'static str),
}

impl<'de> Deserialize<'de> for RawEntries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEntries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of chapter files, Markdown fragments or nested lists")
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RawEntries, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<Spanned<RawEntry>>()? {
                    out.push(e);
                }
                Ok(RawEntries(out))
            }
        }
        d.deserialize_seq(V)
    }
}

impl<'de> Deserialize<'de> for RawEntry {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawEntry;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a chapter file, a Markdown fragment or a nested list")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Text(v.to_owned()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Text(v))
            }
            fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("a number"))
            }
            fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("a number"))
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("a number"))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("a boolean"))
            }
            fn visit_unit<E: de::Error>(self) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("empty"))
            }
            fn visit_none<E: de::Error>(self) -> std::result::Result<RawEntry, E> {
                Ok(RawEntry::Invalid("empty"))
            }
            fn visit_map<A: de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawEntry, A::Error> {
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(RawEntry::Invalid(
                    "a mapping (is a `- ` missing, or a `:` in a file name?)",
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RawEntry, A::Error> {
                let mut out = Vec::new();
                while let Some(e) = seq.next_element::<Spanned<RawEntry>>()? {
                    out.push(e);
                }
                Ok(RawEntry::List(RawEntries(out)))
            }
        }
        d.deserialize_any(V)
    }
}

impl Manifest {
    /// Reads and validates a manifest. `OVERRIDE_<key>` variables from the
    /// process environment replace scalar keys.
    pub fn load(path: &Path) -> Result<Manifest> {
        let bytes =
            crate::files::read_regular(path, crate::files::MAX_TEXT).map_err(|e| e.about(path))?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let line = crate::source::line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to());
            Error::at(Location::new(path, line), "manifest is not valid UTF-8")
        })?;
        Self::parse(path, &text, |k| std::env::var(format!("OVERRIDE_{k}")).ok())
    }

    /// Parses manifest text; `override_of(key)` supplies `OVERRIDE_*` values.
    pub fn parse(
        path: &Path,
        text: &str,
        override_of: impl Fn(&str) -> Option<String>,
    ) -> Result<Manifest> {
        let raw: RawManifest = serde_saphyr::from_str(text).map_err(|e| {
            let line = e.location().map(|l| l.line() as usize).unwrap_or(0);
            let message = first_line(&e.to_string());
            Error::at(
                Location::new(path, line.max(1)),
                format!("manifest YAML does not parse: {message}"),
            )
        })?;
        let dir = dir_of(path);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();

        let scalar = |key: &str, v: &Option<Spanned<Scalar>>| -> Option<String> {
            // The original tool only overrides keys present in the manifest;
            // we also accept overrides of absent keys, which is what a user
            // setting OVERRIDE_chat for a deck without `chat:` expects.
            override_of(key).or_else(|| v.as_ref().map(|s| s.value.0.clone()))
        };
        let title = scalar("title", &raw.title).unwrap_or_default();
        let slides = scalar("slides", &raw.slides).unwrap_or_default();
        let zip = scalar("zip", &raw.zip).unwrap_or_else(|| {
            if slides.ends_with('/') {
                format!("{slides}slides.zip")
            } else {
                format!("{slides}/slides.zip")
            }
        });
        let html = scalar("html", &raw.html).unwrap_or_else(|| format!("{file_name}.html"));
        let list = |key: &str, v: &Option<Vec<Spanned<Scalar>>>| -> Vec<String> {
            match override_of(key) {
                Some(o) => o
                    .split(',')
                    .map(|s| s.trim().to_owned())
                    .filter(|s| !s.is_empty())
                    .collect(),
                None => v
                    .as_ref()
                    .map(|l| l.iter().map(|s| s.value.0.clone()).collect())
                    .unwrap_or_default(),
            }
        };
        let Some(content) = raw.content else {
            return Err(Error::at(
                Location::new(path, 1),
                "manifest has no `content:` list",
            ));
        };
        let content = convert_entries(path, content.value)?;
        let slidenumberprefix = scalar("slidenumberprefix", &raw.slidenumberprefix)
            .unwrap_or_default()
            .replace('\0', "\u{FFFD}");
        let mut remark = RemarkOptions::container_training(&slidenumberprefix);
        if let Some(options) = &raw.remark {
            let line = options.referenced.line() as usize;
            let at = || Location::new(path, line.max(1));
            let map = options
                .value
                .as_object()
                .ok_or_else(|| Error::at(at(), "`remark:` must be a mapping of remark options"))?;
            for (key, value) in map {
                remark
                    .set(key, value)
                    .map_err(|e| Error::at(at(), e.to_string()))?;
            }
        }
        let look = match scalar("look", &raw.look).as_deref().map(str::trim) {
            None | Some("labdeck") => Look::Labdeck,
            Some("remark") => Look::Remark,
            Some(other) => {
                let line = raw
                    .look
                    .as_ref()
                    .map_or(1, |l| l.referenced.line() as usize);
                return Err(Error::at(
                    Location::new(path, line.max(1)),
                    format!("`look: {other}`: expected `labdeck` or `remark`"),
                ));
            }
        };
        // Values shown on the page: NUL becomes U+FFFD, as browsers read
        // chapters (`assemble`), so that none reaches the HTML.
        let shown = |v: String| v.replace('\0', "\u{FFFD}");
        Ok(Manifest {
            path: path.to_path_buf(),
            dir,
            title: shown(title),
            chat: shown(scalar("chat", &raw.chat).unwrap_or_default()),
            gitrepo: shown(scalar("gitrepo", &raw.gitrepo).unwrap_or_default()),
            zip: shown(zip),
            html: shown(html),
            slides: shown(slides),
            slidenumberprefix,
            exclude: list("exclude", &raw.exclude),
            css: list("css", &raw.css),
            css_lines: match (override_of("css"), &raw.css) {
                (None, Some(l)) => l.iter().map(|s| s.referenced.line() as usize).collect(),
                _ => Vec::new(),
            },
            css_optional: false,
            scripts: Vec::new(),
            styles: Vec::new(),
            remark,
            look,
            content,
            warnings: Vec::new(),
        })
    }

    /// The line `css` entry `i` is written on (1 when not known: an
    /// `OVERRIDE_css` value).
    pub fn css_line(&self, i: usize) -> usize {
        self.css_lines.get(i).copied().unwrap_or(1)
    }

    /// The manifest's file stem: the output is `<stem>.html`.
    pub fn stem(&self) -> String {
        self.path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "deck".to_owned())
    }
}

fn convert_entries(path: &Path, raw: RawEntries) -> Result<Vec<Entry>> {
    raw.0
        .into_iter()
        .map(|spanned| {
            let line = spanned.referenced.line() as usize;
            match spanned.value {
                RawEntry::Text(t) if t.contains('\n') => Ok(Entry::Inline { text: t, line }),
                RawEntry::Text(t) => Ok(Entry::File {
                    path: t.trim().to_owned(),
                    line,
                }),
                RawEntry::List(l) => Ok(Entry::List {
                    entries: convert_entries(path, l)?,
                    line,
                }),
                RawEntry::Invalid(what) => Err(Error::at(
                    Location::new(path, line),
                    format!(
                        "content entry is {what}; expected a chapter file, a Markdown fragment or a list"
                    ),
                )),
            }
        })
        .collect()
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or("").trim();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

/// A deck file's folder ([`dir_of`]), file name and stem: what a deck
/// built from a page or a lone chapter is called.
pub fn names_of(path: &Path) -> (PathBuf, String, String) {
    let text = |n: Option<&std::ffi::OsStr>| {
        n.map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    (dir_of(path), text(path.file_name()), text(path.file_stem()))
}

/// The repository root of a deck whose manifest is in `dir`, when none is
/// given: the folder above it (`@@INCLUDE`s and every file the deck names
/// must stay inside it).
pub fn default_root(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    dir.join("..")
}

/// The folder of a deck's manifest (or page, or lone chapter), which its
/// chapters, images and stylesheets are relative to: `Manifest::dir`.
pub fn dir_of(path: &Path) -> PathBuf {
    path.parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Manifest> {
        Manifest::parse(Path::new("slides/deck.yml"), text, |_| None)
    }

    #[test]
    fn defaults_and_nesting() {
        let m = parse(
            "title: |\n  A\n  B\nslides: http://x/\ncontent:\n- a.md\n- - b.md\n  - - c.md\n- |\n  # Inline\n",
        )
        .unwrap();
        assert_eq!(m.title, "A\nB\n");
        assert_eq!(m.zip, "http://x/slides.zip");
        assert_eq!(m.html, "deck.yml.html");
        assert!(matches!(&m.content[0], Entry::File { path, line: 6 } if path == "a.md"));
        let Entry::List { entries, line } = &m.content[1] else {
            panic!("not a list")
        };
        assert_eq!(*line, 7);
        assert!(matches!(&entries[1], Entry::List { .. }));
        assert!(matches!(&m.content[2], Entry::Inline { text, .. } if text == "# Inline\n"));
    }

    #[test]
    fn look_is_labdeck_unless_the_manifest_asks_for_remarks() {
        assert_eq!(parse("content:\n- a.md\n").unwrap().look, Look::Labdeck);
        assert_eq!(
            parse("look: remark\ncontent:\n- a.md\n").unwrap().look,
            Look::Remark
        );
        assert_eq!(
            parse("look: labdeck\ncontent:\n- a.md\n").unwrap().look,
            Look::Labdeck
        );
        let err = parse("title: x\nlook: fancy\ncontent:\n- a.md\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(2), "{err}");
        assert!(err.to_string().contains("`look: fancy`"), "{err}");
    }

    #[test]
    fn yaml_error_names_line() {
        let err = parse("title: x\ncontent:\n- a.md\n  - : [\n").unwrap_err();
        let loc = err.location().expect("location");
        assert_eq!(loc.file, Path::new("slides/deck.yml"));
        assert!(loc.line >= 3, "{err}");
    }

    #[test]
    fn wrong_entry_type_names_line() {
        let err = parse("content:\n- a.md\n- 42\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(3), "{err}");
        assert!(err.to_string().contains("a number"));
    }

    #[test]
    fn remark_options_are_read_and_checked() {
        let m =
            parse("remark:\n  ratio: '4:3'\n  highlightLines: true\ncontent: [a.md]\n").unwrap();
        assert_eq!(m.remark.ratio, (4, 3));
        assert!(m.remark.highlight_lines);
        // container.training's template options stay for what is not set.
        assert!(m.remark.highlight_spans);
        let err = parse("content: [a.md]\nremark:\n  ratio: wide\n").unwrap_err();
        assert_eq!(err.location().map(|l| l.line), Some(3), "{err}");
        assert!(err.to_string().contains("ratio"), "{err}");
    }

    #[test]
    fn overrides_replace_keys() {
        let m = Manifest::parse(
            Path::new("d.yml"),
            "chat: a\nslides: s\ncontent: [x.md]\n",
            |k| (k == "chat").then(|| "b".to_owned()),
        )
        .unwrap();
        assert_eq!(m.chat, "b");
        assert_eq!(m.zip, "s/slides.zip");
    }
}
