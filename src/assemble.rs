//! Assembly: from a manifest to the one Markdown text remark would be given.
//!
//! This follows the container.training build script, whose output is the
//! contract (`deck-format.md` §1-3): chapters joined by `---`, `@@` macros,
//! `@@INCLUDE`/`@@LINK` from the repository root, the table of contents, and
//! a picture slide plus a title slide before every part chapter. Every byte of
//! the result keeps its origin (`SourceText`), so later stages can report
//! file:line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::error::Location;
use crate::files::{Confinement, Files, ReadError};
use crate::manifest::{Entry, Manifest};
use crate::source::{Edit, Insert, Origin, SourceText};

/// Options that change where files are looked up.
#[derive(Debug, Clone, Default)]
pub struct AssembleOptions {
    /// Repository root for `@@INCLUDE`/`@@LINK`; default: the parent of the
    /// manifest's folder.
    pub root: Option<PathBuf>,
    /// Files already read by other decks of the same call (`None`: this
    /// deck reads its own).
    pub files: Option<Arc<Files>>,
}

/// The assembled deck source.
#[derive(Debug, Clone)]
pub struct Assembled {
    pub text: SourceText,
    /// Chapter files in deck order (inline fragments excluded).
    pub chapters: Vec<Chapter>,
    /// The repository root includes were resolved against.
    pub root: PathBuf,
    /// Files pulled in with `@@INCLUDE`.
    pub includes: Vec<PathBuf>,
    pub diagnostics: Diagnostics,
}

/// A chapter file of the deck.
#[derive(Debug, Clone)]
pub struct Chapter {
    /// Path as the manifest names it, relative to the manifest's folder.
    pub name: String,
    /// Path on disk.
    pub path: PathBuf,
    /// 1-based part number when the chapter belongs to a part.
    pub part: Option<usize>,
    /// Its `# ` titles.
    pub titles: Vec<String>,
}

/// The `toc-...` anchor of a chapter title, as the original tooling makes it.
pub fn anchor(title: &str) -> String {
    let mut out = String::with_capacity(title.len().saturating_add(4));
    out.push_str("toc-");
    for c in title.to_lowercase().chars() {
        let c = if c == ' ' { '-' } else { c };
        if c.is_ascii_alphabetic() || c == '-' {
            out.push(c);
        }
    }
    out
}

/// One loaded content entry: its text and its titles (nested like the entry).
struct Loaded {
    text: SourceText,
    titles: TitleTree,
}

enum TitleTree {
    Leaf(Vec<String>),
    Node(Vec<TitleTree>),
}

impl TitleTree {
    fn flatten<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            TitleTree::Leaf(t) => out.extend(t.iter().map(String::as_str)),
            TitleTree::Node(n) => n.iter().for_each(|t| t.flatten(out)),
        }
    }

    fn is_empty(&self) -> bool {
        match self {
            TitleTree::Leaf(t) => t.is_empty(),
            TitleTree::Node(n) => n.iter().all(TitleTree::is_empty),
        }
    }
}

struct Assembler<'m> {
    manifest: &'m Manifest,
    files: Arc<Files>,
    manifest_file: Arc<PathBuf>,
    root: PathBuf,
    confinement: Confinement,
    chapters: Vec<Chapter>,
    includes: Vec<PathBuf>,
    diagnostics: Diagnostics,
}

/// Assembles a deck. Problems (missing files, includes outside the root...)
/// are collected in `diagnostics`; the text is still produced so that `lint`
/// can go on and report more.
pub fn assemble(manifest: &Manifest, opts: &AssembleOptions) -> Assembled {
    let root = opts
        .root
        .clone()
        .unwrap_or_else(|| crate::manifest::default_root(&manifest.dir));
    let files = opts.files.clone().unwrap_or_default();
    let mut a = Assembler {
        manifest,
        manifest_file: Arc::new(manifest.path.clone()),
        confinement: Confinement::new(&root, &files),
        files,
        root,
        chapters: Vec::new(),
        includes: Vec::new(),
        diagnostics: Diagnostics::default(),
    };

    // Load every entry; top-level lists are parts.
    let mut loaded = Vec::new();
    let mut part_number = 0;
    for entry in &manifest.content {
        let part = match entry {
            Entry::List { .. } => {
                // A part is numbered only if it has titles (a part without
                // chapter titles has nothing to list in its table of contents).
                Some(part_number + 1)
            }
            _ => None,
        };
        let first_chapter = a.chapters.len();
        let l = a.load_entry(entry, part);
        if part.is_some() {
            if l.titles.is_empty() {
                for c in &mut a.chapters[first_chapter..] {
                    c.part = None;
                }
            } else {
                part_number += 1;
            }
        }
        loaded.push((part.filter(|_| !l.titles.is_empty()), l));
    }

    // Table of contents, one slide per part.
    let parts: Vec<(usize, Vec<String>)> = loaded
        .iter()
        .filter_map(|(p, l)| {
            p.map(|n| {
                let mut t = Vec::new();
                l.titles.flatten(&mut t);
                (n, t.into_iter().map(str::to_owned).collect())
            })
        })
        .collect();
    let mut text = joined(loaded.into_iter().map(|(_, l)| l.text).collect());

    let toc = table_of_contents(&parts);
    // memchr's SIMD search: the deck's whole text (`str::match_indices`
    // took 8 M instructions for the corpus's 14).
    let edits: Vec<Edit> = memchr::memmem::find_iter(text.as_str().as_bytes(), b"@@TOC@@")
        .map(|i| Edit {
            range: i..i + 7,
            text: toc.clone(),
            origin: Some(Origin::Generated),
        })
        .collect();
    if !edits.is_empty() {
        text.splice(edits);
    }

    // A picture slide and a title slide before each part chapter title.
    let part_titles: Vec<(usize, &str)> = parts
        .iter()
        .flat_map(|(n, ts)| ts.iter().map(move |t| (*n, t.as_str())))
        .collect();
    let interstitials = a.interstitials();
    let positions = TitlePositions::new(text.as_str());
    let mut edits = Vec::new();
    for (i, (part, title)) in part_titles.iter().enumerate() {
        let position = positions.slide_position(text.as_str(), title);
        // The original tooling linked the first "Previous part" and the last
        // "Next part" to `#toc-`, a slide no deck has; they go to the table
        // of contents instead (the text shown is the same).
        let toc = format!("toc-part-{part}");
        let previous = match i.checked_sub(1).and_then(|k| part_titles.get(k)) {
            Some(t) => anchor(t.1),
            None => toc.clone(),
        };
        let next = part_titles
            .get(i + 1)
            .map_or_else(|| toc.clone(), |t| anchor(t.1));
        let mut slide = String::new();
        if !interstitials.is_empty() {
            let image = &interstitials[i % interstitials.len()];
            slide.push_str(&format!(
                "\n---\n\nclass: pic\n\n.interstitial[![Image separating from the next part]({image})]\n"
            ));
        }
        slide.push_str(&format!(
            "\n---\n\nname: {anchor}\nclass: title\n\n {title}\n\n.nav[\n[Previous part](#{prev})\n|\n[Back to table of contents](#toc-part-{part})\n|\n[Next part](#{next})\n]\n",
            anchor = anchor(title),
            prev = previous,
        ));
        edits.push(Edit {
            range: position..position,
            text: slide,
            origin: Some(Origin::Generated),
        });
    }
    // Insertions at the same place keep their order (stable sort in splice).
    text.splice(edits);

    // Manifest values.
    let m = manifest;
    let title = m.title.replace('\n', "<br/>");
    text.replace_all(&[
        ("@@TITLE@@", &title),
        ("@@CHAT@@", &m.chat),
        ("@@GITREPO@@", &m.gitrepo),
        ("@@SLIDES@@", &m.slides),
        ("@@ZIP@@", &m.zip),
        ("@@HTML@@", &m.html),
    ]);

    Assembled {
        text,
        chapters: a.chapters,
        root: a.root,
        includes: a.includes,
        diagnostics: a.diagnostics,
    }
}

/// Where the generated slides for a title go: before the `---` that opens
/// the slide holding `# title` (the first one in the deck, as the original
/// tooling searched the whole text). Falls back to the end of the text.
struct TitlePositions<'t> {
    /// First offset of each `\n# title\n`, by title.
    first: HashMap<&'t str, usize>,
    /// Offsets of every `\n---\n`.
    separators: Vec<usize>,
}

impl<'t> TitlePositions<'t> {
    fn new(text: &'t str) -> Self {
        let mut first = HashMap::new();
        let bytes = text.as_bytes();
        for i in memchr::memmem::find_iter(bytes, b"\n# ") {
            let start = i + 3;
            let end = bytes[start..]
                .iter()
                .position(|&b| b == b'\n')
                .map(|n| start + n);
            if let Some(end) = end {
                first.entry(&text[start..end]).or_insert(i);
            }
        }
        let separators = memchr::memmem::find_iter(bytes, b"\n---\n").collect();
        TitlePositions { first, separators }
    }

    fn slide_position(&self, text: &str, title: &str) -> usize {
        let Some(&found) = self.first.get(title) else {
            return text.len();
        };
        // The last separator that ends at or before `found + 1`.
        let n = self.separators.partition_point(|&s| s + 5 <= found + 1);
        if n == 0 {
            text.len()
        } else {
            self.separators[n - 1]
        }
    }
}

/// Texts one after the other, a `---` line between two, in one
/// allocation: a deck's text is about a megabyte, grown a dozen times
/// otherwise.
fn joined(texts: Vec<SourceText>) -> SourceText {
    const SEPARATOR: &str = "\n---\n";
    let len = texts.iter().map(SourceText::len).fold(
        SEPARATOR.len().saturating_mul(texts.len()),
        usize::saturating_add,
    );
    let mut text = SourceText::with_capacity(len);
    for (i, t) in texts.into_iter().enumerate() {
        if i > 0 {
            text.push(SEPARATOR, Origin::Generated);
        }
        text.append(t);
    }
    text
}

fn table_of_contents(parts: &[(usize, Vec<String>)]) -> String {
    let single = parts.len() == 1;
    let mut slides = Vec::with_capacity(parts.len());
    for (n, titles) in parts {
        let mut s = format!("name: toc-part-{n}\n\n");
        if single {
            s.push_str("## Table of contents\n\n");
        } else {
            s.push_str(&format!("## Part {n}\n\n"));
        }
        for t in titles {
            s.push_str(&format!("- [{t}](#{})\n", anchor(t)));
        }
        slides.push(s);
    }
    slides.join("\n---\n")
}

impl Assembler<'_> {
    fn load_entry(&mut self, entry: &Entry, part: Option<usize>) -> Loaded {
        match entry {
            Entry::List { entries, .. } => {
                let (texts, titles) = entries
                    .iter()
                    .map(|e| {
                        let l = self.load_entry(e, part);
                        (l.text, l.titles)
                    })
                    .unzip();
                Loaded {
                    text: joined(texts),
                    titles: TitleTree::Node(titles),
                }
            }
            Entry::Inline { text, line } => {
                let mut src = SourceText::new();
                // A block scalar's text starts on the line after its `- |`.
                src.push(
                    text,
                    Origin::File {
                        file: self.manifest_file.clone(),
                        line: line + 1,
                    },
                );
                let name = self.manifest.path.to_string_lossy().into_owned();
                self.chapter_text(src, &name, None)
            }
            Entry::File { path, line } => {
                let on_disk = self.manifest.dir.join(path);
                let at = Location::new(self.manifest.path.clone(), *line);
                let read = match self.confinement.admit(&self.files, &on_disk) {
                    Err(outside) => {
                        self.diagnostics.push(Diagnostic::error(
                            "chapter-outside-root",
                            at.clone(),
                            format!("chapter `{path}` ({}): {outside}", on_disk.display()),
                        ));
                        Ok(Arc::from(""))
                    }
                    Ok(()) => self.files.text(&on_disk),
                };
                let text = match read {
                    Ok(t) => {
                        // A Marp or Slidev deck would build to blank slides.
                        if let Some(foreign) = crate::foreign::detect(&t) {
                            self.diagnostics.push(Diagnostic::error(
                                "foreign-deck",
                                Location::new(on_disk.clone(), foreign.line),
                                foreign.message(),
                            ));
                        }
                        t.to_string()
                    }
                    Err(ReadError::NotUtf8 { line }) => {
                        self.diagnostics.push(Diagnostic::error(
                            "not-utf8",
                            Location::new(on_disk.clone(), line),
                            "chapter is not valid UTF-8 text",
                        ));
                        String::new()
                    }
                    Err(why) => {
                        self.diagnostics.push(Diagnostic::error(
                            "missing-chapter",
                            at,
                            format!("chapter `{path}` ({}): {why}", on_disk.display()),
                        ));
                        String::new()
                    }
                };
                let loaded = self.chapter_text(
                    SourceText::from_file(text, Arc::new(on_disk.clone())),
                    path,
                    Some(on_disk),
                );
                if let Some(c) = self.chapters.last_mut() {
                    c.part = part;
                }
                loaded
            }
        }
    }

    /// Expands `@@INCLUDE`/`@@LINK` and collects the `# ` titles.
    fn chapter_text(&mut self, mut src: SourceText, name: &str, path: Option<PathBuf>) -> Loaded {
        // Titles come from the chapter as written, before includes (an
        // included file's `# comment` is not a chapter title).
        let titles = chapter_titles(src.as_str());
        let mut chain = Vec::new();
        if let Some(p) = &path {
            chain.push(Including {
                file: self.files.canonical(p).unwrap_or_else(|| p.clone()),
                by: None,
            });
        }
        self.expand(&mut src, name, &mut chain);

        if let Some(path) = path {
            self.chapters.push(Chapter {
                name: name.to_owned(),
                path,
                part: None,
                titles: titles.clone(),
            });
        }
        Loaded {
            text: src,
            titles: TitleTree::Leaf(titles),
        }
    }

    /// Expands the `@@INCLUDE`/`@@LINK` macros of `src`, and those of the
    /// files it includes, in turn (a file included by an included file is
    /// expanded, not left as `@@INCLUDE[...]` text on the slide). `chain`
    /// holds the files being expanded, outermost first: a file that is
    /// already in it would include itself forever, and is an error naming
    /// every `@@INCLUDE` of the loop.
    fn expand(&mut self, src: &mut SourceText, name: &str, chain: &mut Vec<Including>) {
        let mut edits = Vec::new();
        for (macro_name, is_include) in [("@@INCLUDE[", true), ("@@LINK[", false)] {
            let text = src.as_str();
            let mut from = 0;
            while let Some(i) =
                memchr::memmem::find(&text.as_bytes()[from..], macro_name.as_bytes())
                    .map(|i| i + from)
            {
                let start = i + macro_name.len();
                let Some(close) = text[start..].find([']', '\n']).map(|c| c + start) else {
                    break;
                };
                from = close;
                if text.as_bytes()[close] != b']' {
                    continue;
                }
                let target = &text[start..close];
                let here = src.location(i).unwrap_or_else(|| Location::new(name, 0));
                let replacement = if is_include {
                    match self.read_include(target, &here, chain) {
                        Some((file, canonical, content)) => {
                            let shown = file.to_string_lossy().into_owned();
                            let mut included = SourceText::from_file(content, Arc::new(file));
                            chain.push(Including {
                                file: canonical,
                                by: Some((here, target.to_owned())),
                            });
                            self.expand(&mut included, &shown, chain);
                            chain.pop();
                            Insert::Source(included)
                        }
                        None => Insert::Text(String::new(), None),
                    }
                } else {
                    self.check_target(target, &here, "@@LINK");
                    Insert::Text(format!("[{target}]({})", self.repository_url(target)), None)
                };
                edits.push((i..close + 1, replacement));
            }
        }
        // Includes may bring text that is not newline-neutral; that is fine:
        // those edits carry the included file's own origins.
        src.splice_texts(edits);
    }

    fn repository_url(&self, target: &str) -> String {
        let repo = self.manifest.gitrepo.trim_end_matches('/');
        if repo.is_empty() {
            return target.to_owned();
        }
        let scheme = if repo.contains("://") { "" } else { "https://" };
        format!("{scheme}{repo}/tree/main/{target}")
    }

    /// Resolves a root-relative path, refusing one that leaves the root.
    fn resolve(&mut self, target: &str, at: &Location, what: &str) -> Option<PathBuf> {
        let relative = Path::new(target);
        let escapes = crate::files::leaves_folder(relative);
        let path = self.root.join(relative);
        let admitted = match self.confinement.admit(&self.files, &path) {
            Ok(()) if escapes => Err(ReadError::Outside {
                root: self.confinement.shown_root(),
            }),
            other => other,
        };
        if let Err(outside) = admitted {
            self.diagnostics.push(Diagnostic::error(
                "include-outside-root",
                at.clone(),
                format!("{what}[{target}]: {outside}"),
            ));
            return None;
        }
        Some(path)
    }

    fn check_target(&mut self, target: &str, at: &Location, what: &str) {
        if let Some(path) = self.resolve(target, at, what)
            && !path.exists()
        {
            self.diagnostics.push(Diagnostic::error(
                "missing-include",
                at.clone(),
                format!("{what}[{target}]: {} not found", path.display()),
            ));
        }
    }

    /// The file `@@INCLUDE[target]` (written at `at`) names: its path,
    /// canonical path and text; `None` (and an error) when it cannot be
    /// read or is already being expanded (`chain`).
    fn read_include(
        &mut self,
        target: &str,
        at: &Location,
        chain: &[Including],
    ) -> Option<(PathBuf, PathBuf, String)> {
        let path = self.resolve(target, at, "@@INCLUDE")?;
        let canonical = self
            .files
            .canonical(&path)
            .unwrap_or_else(|| crate::files::lexical(&path));
        if let Some(first) = chain.iter().position(|c| c.file == canonical) {
            let again = if first + 1 == chain.len() {
                Diagnostic::error(
                    "include-self",
                    at.clone(),
                    format!("@@INCLUDE[{target}] includes the file it is written in"),
                )
            } else {
                include_loop(chain, at, target, &path)
            };
            self.diagnostics.push(again);
            return None;
        }
        // A chain this deep is no deck's intent (and would exhaust the stack).
        if chain.len() > MAX_INCLUDE_DEPTH {
            self.diagnostics.push(Diagnostic::error(
                "include-loop",
                at.clone(),
                format!("@@INCLUDE[{target}]: includes nest more than {MAX_INCLUDE_DEPTH} deep"),
            ));
            return None;
        }
        self.includes.push(path.clone());
        match self.files.text(&path) {
            Ok(t) => Some((path, canonical, t.to_string())),
            Err(e) => {
                self.diagnostics.push(Diagnostic::error(
                    "missing-include",
                    at.clone(),
                    format!("@@INCLUDE[{target}]: {}: {e}", path.display()),
                ));
                None
            }
        }
    }

    /// Images for the picture slides, from `interstitials.txt` beside the
    /// manifest (none: no picture slides).
    fn interstitials(&mut self) -> Vec<String> {
        let path = self.manifest.dir.join("interstitials.txt");
        // Its lines become image URLs in the page: a link to a file
        // outside the repository would publish that file's lines.
        if path.exists()
            && let Err(outside) = self.confinement.admit(&self.files, &path)
        {
            self.diagnostics.push(Diagnostic::error(
                "interstitials-outside-root",
                Location::new(path, 1),
                format!("interstitials.txt: {outside}"),
            ));
            return Vec::new();
        }
        self.files
            .text(&path)
            .map(|t| {
                t.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// How deep `@@INCLUDE`s may nest (a chapter including a file that
/// includes another is 2).
const MAX_INCLUDE_DEPTH: usize = 32;

/// A file being expanded, and the `@@INCLUDE[target]` (where, and the
/// target as written) that brought it in (`None`: the chapter itself).
struct Including {
    file: PathBuf,
    by: Option<(Location, String)>,
}

/// `include-loop`: the chain of `@@INCLUDE`s, file:line each, from the
/// chapter to the one that names `file` again.
fn include_loop(chain: &[Including], at: &Location, target: &str, file: &Path) -> Diagnostic {
    // Included files are named from the root (`slides/../k8s/a.yaml`):
    // shown with `..` resolved.
    let shown = |loc: &Location| Location {
        file: crate::source::lexically_normal(&loc.file),
        ..loc.clone()
    };
    let mut steps: Vec<String> = chain
        .iter()
        .filter_map(|c| c.by.as_ref())
        .map(|(loc, t)| format!("{} @@INCLUDE[{t}]", shown(loc)))
        .collect();
    steps.push(format!("{} @@INCLUDE[{target}]", shown(at)));
    Diagnostic::error(
        "include-loop",
        shown(at),
        format!(
            "@@INCLUDE[{target}]: {} is already being included here, so including it would never end: {}",
            crate::source::lexically_normal(file).display(),
            steps.join(" -> ")
        ),
    )
}

/// A repository root, made absolute with `.` and `..` resolved once, that
/// names files as `@@LINK` and the slides' source links do
/// ([`RepoRoot::relative`]).
pub struct RepoRoot(PathBuf);

impl RepoRoot {
    pub fn new(root: &Path) -> RepoRoot {
        RepoRoot(crate::files::lexical(root))
    }

    /// `file` relative to the root, compared with `.` and `..` resolved: a
    /// root given as `slides/..` or an absolute path still prefixes its
    /// files. Files outside the root keep their path.
    pub fn relative(&self, file: &Path) -> PathBuf {
        match crate::files::lexical(file).strip_prefix(&self.0) {
            Ok(rel) => rel.to_path_buf(),
            Err(_) => file.to_path_buf(),
        }
    }
}

/// The `# ` headings of a chapter: every line starting with `# `, as the
/// original tooling found them.
fn chapter_titles(text: &str) -> Vec<String> {
    let bytes = text.as_bytes();
    let first = bytes.starts_with(b"# ").then_some(0);
    let others = memchr::memmem::find_iter(bytes, b"\n# ").map(|i| i + 1);
    first
        .into_iter()
        .chain(others)
        .map(|start| {
            let title = start + 2;
            let end = memchr::memchr(b'\n', &bytes[title..]).map_or(bytes.len(), |n| title + n);
            text[title..end].to_owned()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_are_named_from_the_repository_root() {
        let rel = |root: &str, file: &str| {
            RepoRoot::new(Path::new(root))
                .relative(Path::new(file))
                .to_string_lossy()
                .into_owned()
        };
        assert_eq!(rel("/r/slides/..", "/r/slides/k8s/a.md"), "slides/k8s/a.md");
        assert_eq!(rel("slides/..", "slides/shared/t.md"), "slides/shared/t.md");
        assert_eq!(rel("/r", "/r/./x/../y.md"), "y.md");
        assert_eq!(rel("/r/slides", "/elsewhere/a.md"), "/elsewhere/a.md");
    }

    #[test]
    fn anchors_match_the_original_tool() {
        assert_eq!(anchor("Daemon sets"), "toc-daemon-sets");
        assert_eq!(anchor("Labels & selectors (2)"), "toc-labels--selectors-");
        assert_eq!(anchor(""), "toc-");
    }

    #[test]
    fn title_position_is_the_separator_before_the_title() {
        let t = "a\n---\nb\n---\n# T\nc\n# T\n";
        let p = TitlePositions::new(t);
        assert_eq!(p.slide_position(t, "T"), 7);
        assert_eq!(p.slide_position(t, "nope"), t.len());
    }
}
