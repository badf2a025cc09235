//! A loaded deck: manifest, assembled source and the slides remark would
//! show. This is the one slide model that rendering, exercises, checks and
//! lint all read.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::assemble::{self, AssembleOptions, Chapter};
use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::{Error, Location, Result};
use crate::manifest::{Entry, Manifest};
use crate::remark::segments::{self, Parses};
use crate::remark::slideshow::{self, class_list};
use crate::remark::{LinkDef, Node, lexer, parser};
use crate::source::{Edit, SourceText};

/// Options for loading a deck.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// Repository root for `@@INCLUDE`/`@@LINK` (default: the parent of the
    /// manifest's folder).
    pub root: Option<PathBuf>,
    /// remark options as `KEY=VALUE` (`--remark`), over the deck's own.
    pub remark: Vec<String>,
    /// Files shared with the other decks of one call (`build`, `lint` of
    /// several decks); `None`: the deck reads its own.
    pub files: Option<std::sync::Arc<crate::files::Files>>,
    /// Slide text lexed and parsed for the other decks of one call
    /// ([`crate::remark::segments`]); `None`: the deck's source is lexed
    /// whole.
    pub parses: Option<std::sync::Arc<Parses>>,
}

impl LoadOptions {
    /// These options, reading through `files` (see [`crate::files`]).
    pub fn sharing(&self, files: &std::sync::Arc<crate::files::Files>) -> LoadOptions {
        LoadOptions {
            files: Some(files.clone()),
            ..self.clone()
        }
    }

    /// These options, lexing and parsing through `parses` (see
    /// [`crate::remark::segments`]).
    pub fn parsing(&self, parses: &std::sync::Arc<Parses>) -> LoadOptions {
        LoadOptions {
            parses: Some(parses.clone()),
            ..self.clone()
        }
    }
}

/// One slide as the deck shows it (each `--` step is a slide).
#[derive(Debug, Clone)]
pub struct Slide {
    /// 0-based position in the deck.
    pub index: usize,
    /// Displayed number, 1-based.
    pub number: usize,
    pub name: Option<String>,
    pub classes: Vec<String>,
    pub properties: Vec<(String, String)>,
    /// Content after layouts, templates and `--` continuations.
    pub content: Vec<Node>,
    /// The content written on this slide itself, when it is not `content`
    /// ([`Slide::own_content`] reads either).
    pub own_content: Option<Vec<Node>>,
    pub notes: Vec<Node>,
    /// Started with `--`: repeats the previous slide and adds to it.
    pub continued: bool,
    /// False when the next slide continues this one (`--`).
    pub last_step: bool,
    /// Source offset of the slide's own text in `Deck::source`.
    pub start: usize,
    /// Where the slide is written, unless the compiler generated it.
    pub location: Option<Location>,
}

impl Slide {
    /// The content written on this slide itself: inherited content belongs
    /// to the slide it was written on.
    pub fn own_content(&self) -> &[Node] {
        self.own_content.as_deref().unwrap_or(&self.content)
    }

    pub fn property(&self, key: &str) -> Option<&str> {
        parser::property(&self.properties, key)
    }

    /// The slide's title: the text of its first heading line.
    pub fn title(&self) -> String {
        first_heading(&self.content).unwrap_or_default()
    }
}

/// A deck ready to render or check.
#[derive(Debug, Clone)]
pub struct Deck {
    pub manifest: Manifest,
    /// The assembled Markdown remark would be given, with provenance.
    pub source: SourceText,
    pub slides: Vec<Slide>,
    /// Link definitions of all slides (remark shares them deck-wide).
    pub links: HashMap<String, LinkDef>,
    pub chapters: Vec<Chapter>,
    /// Repository root used for includes.
    pub root: PathBuf,
    /// Files pulled in with `@@INCLUDE`.
    pub includes: Vec<PathBuf>,
    /// Every class written on a slide, shown or not.
    pub used_classes: std::collections::BTreeSet<String>,
    /// Everything found wrong while loading (errors and warnings).
    pub diagnostics: Diagnostics,
}

impl Deck {
    /// Every file the deck is made from: the manifest, its chapters, the
    /// files they include, its stylesheets, the scripts of a page read for
    /// its options and `interstitials.txt` (what
    /// `serve` watches).
    pub fn inputs(&self) -> Vec<PathBuf> {
        let m = &self.manifest;
        let mut inputs = vec![m.path.clone(), m.dir.join("interstitials.txt")];
        inputs.extend(self.chapters.iter().map(|c| c.path.clone()));
        inputs.extend(self.includes.iter().cloned());
        inputs.extend(m.css.iter().map(|c| m.dir.join(c)));
        inputs.extend(m.scripts.iter().cloned());
        inputs.sort();
        inputs.dedup();
        inputs
    }
}

/// Loads a deck from a manifest (`.yml`/`.yaml`) or a single chapter (`.md`).
/// Returns an error only when nothing sensible can be loaded (the manifest
/// itself is unreadable or invalid); problems inside the deck are in
/// `Deck::diagnostics`.
pub fn load(path: &Path, opts: &LoadOptions) -> Result<Deck> {
    if is_chapter(path) {
        let mut manifest = chapter_manifest(path)?;
        apply_remark_options(&mut manifest, opts)?;
        // A chapter has no manifest to say where the repository is: it is
        // above the nearest folder holding deck manifests.
        let opts = LoadOptions {
            root: opts.root.clone().or_else(|| chapter_root(path)),
            remark: Vec::new(),
            files: opts.files.clone(),
            parses: opts.parses.clone(),
        };
        return Ok(from_manifest(manifest, &opts));
    }
    if crate::html_page::is_html_page(path) {
        // The page's local scripts pass the same gate as its other files,
        // read through the same `Files` as the deck's chapters.
        let files = opts.files.clone().unwrap_or_default();
        let root = opts
            .root
            .clone()
            .unwrap_or_else(|| crate::manifest::default_root(&crate::manifest::dir_of(path)));
        let gate = crate::files::Confinement::new(&root, &files);
        let mut manifest = crate::html_page::load(path, &gate, &files)?;
        let opts = opts.sharing(&files);
        apply_remark_options(&mut manifest, &opts)?;
        return Ok(from_manifest(manifest, &opts));
    }
    let mut manifest = Manifest::load(path)?;
    apply_remark_options(&mut manifest, opts)?;
    Ok(from_manifest(manifest, opts))
}

/// `--remark KEY=VALUE` over the deck's own options.
fn apply_remark_options(manifest: &mut Manifest, opts: &LoadOptions) -> Result<()> {
    for assignment in &opts.remark {
        manifest
            .remark
            .set_assignment(assignment)
            .map_err(Error::RemarkOption)?;
    }
    Ok(())
}

/// The parent of the closest folder above `chapter` that holds a deck
/// manifest (`*.yml`/`*.yaml`), as in `slides/k8s/x.md` with
/// `slides/deck.yml`.
fn chapter_root(chapter: &Path) -> Option<PathBuf> {
    let start = chapter.parent()?.canonicalize().ok()?;
    for dir in start.ancestors() {
        let has_manifest = std::fs::read_dir(dir)
            .ok()?
            .filter_map(|e| e.ok())
            .any(|e| {
                let p = e.path();
                p.is_file()
                    && p.extension().is_some_and(|x| {
                        x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml")
                    })
            });
        if has_manifest {
            return dir.parent().map(Path::to_path_buf);
        }
    }
    None
}

/// Like [`load`], but fails on the first error-level diagnostic.
pub fn load_strict(path: &Path, opts: &LoadOptions) -> Result<Deck> {
    let deck = load(path, opts)?;
    if let Some(d) = deck.diagnostics.first_error() {
        return Err(d.clone().into_error());
    }
    Ok(deck)
}

fn is_chapter(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
}

/// A manifest holding one chapter, so a chapter can be checked on its own.
fn chapter_manifest(path: &Path) -> Result<Manifest> {
    if !path.exists() {
        return Err(Error::io(
            path,
            std::io::Error::new(std::io::ErrorKind::NotFound, "not found"),
        ));
    }
    let (dir, name, stem) = crate::manifest::names_of(path);
    Ok(Manifest {
        path: path.to_path_buf(),
        dir,
        title: stem,
        chat: String::new(),
        gitrepo: String::new(),
        slides: String::new(),
        zip: "slides.zip".into(),
        html: format!("{name}.html"),
        slidenumberprefix: String::new(),
        exclude: Vec::new(),
        css: Vec::new(),
        css_lines: Vec::new(),
        css_optional: false,
        scripts: Vec::new(),
        styles: Vec::new(),
        remark: crate::remark::options::RemarkOptions::remark(),
        look: crate::manifest::Look::Remark,
        content: vec![Entry::File {
            path: name,
            line: 1,
        }],
        warnings: Vec::new(),
    })
}

/// Builds the slide model from a manifest.
pub fn from_manifest(manifest: Manifest, opts: &LoadOptions) -> Deck {
    let assembled = assemble::assemble(
        &manifest,
        &AssembleOptions {
            root: opts.root.clone(),
            files: opts.files.clone(),
        },
    );
    let mut diagnostics = assembled.diagnostics;
    diagnostics
        .0
        .splice(0..0, manifest.warnings.iter().cloned());
    let mut source = assembled.text;
    decode_entities(&mut source);
    source.freeze();

    // Decks of one call share their chapters' slides (see `segments`).
    let lexed = match &opts.parses {
        Some(parses) => parses.parse(source.as_str()),
        None => segments::parse_whole(source.as_str()),
    };
    lexer_diagnostics(&source, &lexed, &mut diagnostics);
    let parsed = lexed.slides;
    for s in &parsed {
        for (offset, key) in &s.late_properties {
            if let Some((at, generated)) = source.report_location(*offset) {
                diagnostics.push(Diagnostic::warning(
                    "late-property",
                    at,
                    format!(
                        "`{key}:` after the slide's content is shown as text; slide properties must come first{}",
                        generated_note(generated)
                    ),
                ));
            }
        }
        eaten_properties(&source, s, &mut diagnostics);
    }
    let show = slideshow::build(
        parsed,
        &manifest.exclude,
        manifest.remark.count_incremental_slides,
    );
    for (offset, name) in &show.unknown_templates {
        if let Some((at, _)) = source.report_location(*offset) {
            diagnostics.push(Diagnostic::error(
                "unknown-template",
                at,
                format!("`template: {name}` names no slide before it"),
            ));
        }
    }
    if let Some((at, _)) = show.too_big.and_then(|o| source.report_location(o)) {
        diagnostics.push(Diagnostic::error(
            "deck-too-big",
            at,
            format!(
                "the slides up to this one hold more than {} MB once their `--` steps, templates and layouts repeat content: split this slide, or the deck",
                slideshow::MAX_EXPANDED >> 20
            ),
        ));
    }
    let count = show.slides.len();
    let mut slides: Vec<Slide> = show
        .slides
        .into_iter()
        .enumerate()
        .map(|(index, s)| Slide {
            index,
            number: s.number,
            name: s.property("name").map(str::to_owned),
            classes: class_list(s.property("class").unwrap_or("")),
            location: source.location(first_line(source.as_str(), s.start)),
            content: s.content,
            own_content: s.own_content,
            notes: s.notes,
            continued: s.continued,
            last_step: true,
            start: s.start,
            properties: s.properties,
        })
        .collect();
    for i in 1..count {
        if slides[i].continued {
            slides[i - 1].last_step = false;
        }
    }
    Deck {
        manifest,
        source,
        slides,
        links: show.links,
        chapters: assembled.chapters,
        root: assembled.root,
        includes: assembled.includes,
        used_classes: show.used_classes,
        diagnostics,
    }
}

/// What remark's lexer leaves wrong in a deck's source, said at the
/// written line: a content class never closed, classes nested too deep.
fn lexer_diagnostics(source: &SourceText, lexed: &segments::Parsed, diagnostics: &mut Diagnostics) {
    for offset in &lexed.unclosed {
        if let Some((at, _)) = source.report_location(*offset) {
            let snippet: String = source
                .text_from(*offset)
                .chars()
                .take_while(|&c| c != '[')
                .collect();
            diagnostics.push(Diagnostic::error(
                "unclosed-class",
                at,
                format!("`{snippet}[` is never closed by a matching `]`"),
            ));
        }
    }
    if let Some(offset) = lexed.too_deep
        && let Some((at, _)) = source.report_location(offset)
    {
        diagnostics.push(Diagnostic::error(
            "nesting-too-deep",
            at,
            format!(
                "content classes nest more than {} deep here (`.a[.b[...]]`); the deeper ones are shown as text",
                lexer::MAX_DEPTH
            ),
        ));
    }
}

/// The end of a message about text labdeck generated (it is reported at
/// the written line that caused it).
pub fn generated_note(generated: bool) -> &'static str {
    if generated {
        " (in text labdeck generated here: a table of contents or a part title slide)"
    } else {
        ""
    }
}

/// `eaten-property`: remark reads every `word: text` line at the top of a
/// slide as a property (`remark/src/remark/parser.js`, `^\n*([-\w]+):`), so
/// a content line such as `Kubernetes:<br/>Daemon sets` (a manifest title
/// put in by `@@TITLE@@`) vanishes from the slide. Keys remark gives no
/// meaning to, and that no `{{key}}` template uses, are reported.
fn eaten_properties(
    source: &SourceText,
    slide: &parser::ParsedSlide,
    diagnostics: &mut Diagnostics,
) {
    for (key, offset) in &slide.property_offsets {
        if parser::KNOWN_PROPERTIES.contains(&key.as_str())
            || source.as_str().contains(&format!("{{{{{key}}}}}"))
            || source.as_str().contains(&format!("{{{{ {key} }}}}"))
        {
            continue;
        }
        let Some((at, generated)) = source.report_location(*offset) else {
            continue;
        };
        let line: String = source
            .text_from(*offset)
            .chars()
            .take_while(|&c| c != '\n')
            .take(80)
            .collect();
        diagnostics.push(Diagnostic::warning(
            "eaten-property",
            at,
            format!(
                "`{line}` is read as a slide property `{key}:` (a line `word: ...` at the top of a slide), so the slide does not show it: reword it so it does not start with `word:`, or put another line of text before it{}",
                generated_note(generated)
            ),
        ));
    }
}

/// remark reads the deck from a `<textarea>`, so the browser has already
/// decoded character references (`&lt;` is `<` by the time remark sees it).
fn decode_entities(source: &mut SourceText) {
    let text = source.as_str();
    if !text.contains('&') {
        return;
    }
    let bytes = text.as_bytes();
    let mut edits = Vec::new();
    // Only the lines holding a `&` (found with SIMD search, not line by line).
    let mut next_line = 0;
    for amp in memchr::memchr_iter(b'&', bytes) {
        if amp < next_line {
            continue;
        }
        let start = memchr::memrchr(b'\n', &bytes[..amp]).map_or(0, |n| n + 1);
        let end = memchr::memchr(b'\n', &bytes[amp..]).map_or(bytes.len(), |n| amp + n + 1);
        next_line = end;
        let line = &text[start..end];
        let decoded = htmlize::unescape(line);
        if decoded != line && decoded.matches('\n').count() == line.matches('\n').count() {
            edits.push(Edit {
                range: start..end,
                text: decoded.into_owned(),
                origin: None,
            });
        }
    }
    source.splice(edits);
}

/// Where a slide is written: past the `---`/`--` that opens it (the lexer's
/// separator match starts at the newline before the dashes) and the blank
/// lines after it, so a slide's file:line is its first written line.
fn first_line(text: &str, start: usize) -> usize {
    let b = text.as_bytes();
    let mut p = start;
    let mut q = p + usize::from(b.get(p) == Some(&b'\n'));
    let dashes = b
        .get(q..)
        .map_or(0, |r| r.iter().take_while(|&&c| c == b'-').count());
    if (2..=3).contains(&dashes) && matches!(b.get(q + dashes), None | Some(b'\n')) {
        q += dashes;
        p = q + usize::from(q < b.len());
    }
    while b.get(p) == Some(&b'\n') {
        p += 1;
    }
    // An empty last slide: where its separator is.
    if p >= b.len() { start } else { p }
}

/// Text of the first Markdown heading in `nodes` (`#` to `######`).
fn first_heading(nodes: &[Node]) -> Option<String> {
    for node in nodes {
        match node {
            Node::Text { text, .. } => {
                for line in text.lines() {
                    let t = line.trim_start();
                    let hashes = t.bytes().take_while(|&b| b == b'#').count();
                    if (1..=6).contains(&hashes) && t[hashes..].starts_with(' ') {
                        return Some(t[hashes..].trim().trim_end_matches('#').trim().to_owned());
                    }
                }
            }
            Node::Class { content, .. } => {
                if let Some(t) = first_heading(content) {
                    return Some(t);
                }
            }
        }
    }
    None
}
