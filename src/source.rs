//! Text with provenance: the assembled Markdown of a deck, where every byte
//! can be traced back to a chapter file and line (or to the compiler, for
//! generated slides). Diagnostics and exercise locations come from here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::error::Location;

/// Where a run of text comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// Line `line` (1-based) of `file` starts at the span's first byte.
    File { file: Arc<PathBuf>, line: usize },
    /// Text the compiler made (table of contents, title slides, separators).
    Generated,
}

#[derive(Debug, Clone)]
struct Span {
    start: usize,
    origin: Origin,
}

/// A string and, for each run of it, its origin.
#[derive(Debug, Clone, Default)]
pub struct SourceText {
    text: String,
    spans: Vec<Span>,
    /// Offsets of every `\n`, once the text is final (see `freeze`), so that
    /// locating a byte is two binary searches instead of a scan.
    newlines: Option<Vec<usize>>,
}

/// What [`SourceText::splice_texts`] puts in place of a range: text of one
/// origin (as [`Edit`]), or text with origins of its own.
#[derive(Debug, Clone)]
pub enum Insert {
    Text(String, Option<Origin>),
    Source(SourceText),
}

/// One change for [`SourceText::splice`]: replace `range` by `text`.
#[derive(Debug, Clone)]
pub struct Edit {
    pub range: std::ops::Range<usize>,
    pub text: String,
    /// `None`: the new text stands in for the old in place (it must not add
    /// or remove line breaks, so the lines after it keep their numbers).
    pub origin: Option<Origin>,
}

impl SourceText {
    pub fn new() -> Self {
        SourceText::default()
    }

    /// Empty, with room for `len` bytes of text.
    pub fn with_capacity(len: usize) -> Self {
        SourceText {
            text: String::with_capacity(len),
            ..SourceText::default()
        }
    }

    /// A whole file's text, starting at its line 1.
    pub fn from_file(text: String, file: Arc<PathBuf>) -> Self {
        SourceText {
            spans: vec![Span {
                start: 0,
                origin: Origin::File { file, line: 1 },
            }],
            text,
            newlines: None,
        }
    }

    pub fn generated(text: String) -> Self {
        SourceText {
            spans: vec![Span {
                start: 0,
                origin: Origin::Generated,
            }],
            text,
            newlines: None,
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The text from `offset` on, starting at the character that holds
    /// that byte (an offset found in rewritten slide text can fall inside
    /// one); empty past the end.
    pub fn text_from(&self, offset: usize) -> &str {
        &self.text[self.char_start(offset)..]
    }

    /// The start of the character that holds byte `offset` (the length,
    /// past the end).
    pub fn char_start(&self, offset: usize) -> usize {
        let mut at = offset.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        at
    }

    /// Indexes line breaks: call once the text will not change any more.
    pub fn freeze(&mut self) {
        // Counted first: a deck's text has tens of thousands of lines, and
        // a collected iterator of unknown length grows its Vec a dozen times.
        let mut index = Vec::with_capacity(memchr_count(self.text.as_bytes()));
        index.extend(memchr::memchr_iter(b'\n', self.text.as_bytes()));
        self.newlines = Some(index);
    }

    fn newlines_between(&self, from: usize, to: usize) -> usize {
        match &self.newlines {
            Some(index) => {
                index.partition_point(|&n| n < to) - index.partition_point(|&n| n < from)
            }
            None => memchr_count(&self.text.as_bytes()[from..to]),
        }
    }

    pub fn len(&self) -> usize {
        self.text.len()
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Appends text of the given origin.
    pub fn push(&mut self, text: &str, origin: Origin) {
        if text.is_empty() {
            return;
        }
        self.push_span(self.text.len(), origin);
        self.text.push_str(text);
        self.newlines = None;
    }

    pub fn append(&mut self, other: SourceText) {
        let base = self.text.len();
        for s in other.spans {
            self.push_span(base + s.start, s.origin);
        }
        self.text.push_str(&other.text);
        self.newlines = None;
    }

    fn push_span(&mut self, start: usize, origin: Origin) {
        if let Some(last) = self.spans.last_mut() {
            if last.start == start {
                last.origin = origin;
                return;
            }
            if last.origin == origin && matches!(origin, Origin::Generated) {
                return;
            }
        }
        self.spans.push(Span { start, origin });
    }

    /// The origin of the byte at `offset`, with the line adjusted to that byte.
    pub fn origin_at(&self, offset: usize) -> Origin {
        let idx = match self.spans.binary_search_by(|s| s.start.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => return Origin::Generated,
            Err(i) => i - 1,
        };
        let span = &self.spans[idx];
        match &span.origin {
            Origin::Generated => Origin::Generated,
            Origin::File { file, line } => {
                let end = offset.min(self.text.len());
                let newlines = self.newlines_between(span.start, end);
                Origin::File {
                    file: file.clone(),
                    line: line + newlines,
                }
            }
        }
    }

    /// File and line of the byte at `offset`, unless the compiler made it.
    pub fn location(&self, offset: usize) -> Option<Location> {
        match self.origin_at(offset) {
            Origin::File { file, line } => Some(Location::new(file.as_ref().clone(), line)),
            Origin::Generated => None,
        }
    }

    /// Where to report something about the byte at `offset`: its own file
    /// and line, or, for text the compiler generated (table of contents,
    /// part title slides), the first written line after it (where the macro
    /// or the chapter that caused it is), else the last one before it. The
    /// flag says the text was generated. `None` only for a deck with no
    /// written text at all.
    pub fn report_location(&self, offset: usize) -> Option<(Location, bool)> {
        if let Some(at) = self.location(offset) {
            return Some((at, false));
        }
        let idx = match self.spans.binary_search_by(|s| s.start.cmp(&offset)) {
            Ok(i) => i,
            Err(i) => i.saturating_sub(1),
        };
        let after = self.spans[idx.min(self.spans.len())..]
            .iter()
            .find(|s| matches!(s.origin, Origin::File { .. }))
            .and_then(|s| self.location(s.start));
        let before = || {
            self.spans[..idx.min(self.spans.len())]
                .iter()
                .rposition(|s| matches!(s.origin, Origin::File { .. }))
                .and_then(|k| {
                    let end = self.spans.get(k + 1).map_or(self.text.len(), |n| n.start);
                    self.location(end.saturating_sub(1).max(self.spans[k].start))
                })
        };
        after.or_else(before).map(|at| (at, true))
    }

    /// Applies non-overlapping edits (sorted by position) in one pass.
    pub fn splice(&mut self, edits: Vec<Edit>) {
        self.splice_texts(
            edits
                .into_iter()
                .map(|e| (e.range, Insert::Text(e.text, e.origin)))
                .collect(),
        );
    }

    /// Like [`SourceText::splice`], where a replacement may be text with
    /// origins of its own (an included file that includes others).
    pub fn splice_texts(&mut self, mut edits: Vec<(std::ops::Range<usize>, Insert)>) {
        if edits.is_empty() {
            return;
        }
        edits.sort_by_key(|(range, _)| (range.start, range.end));
        let old = std::mem::take(&mut self.text);
        let old_spans = std::mem::take(&mut self.spans);
        let original = SourceText {
            text: old,
            spans: old_spans,
            newlines: None,
        };
        // Edits are read in order, so origins are asked for at growing
        // offsets: a cursor counts each line once, where an index of every
        // line of the text (`freeze`) cost a pass and a Vec per include.
        let mut origins = Origins::new(&original);
        // The whole result's length, so that its text is allocated once
        // (an included chapter is most of a deck).
        let inserted: usize = edits
            .iter()
            .map(|(_, insert)| match insert {
                Insert::Text(text, _) => text.len(),
                Insert::Source(source) => source.len(),
            })
            .fold(0, usize::saturating_add);
        let mut out = SourceText {
            text: String::with_capacity(original.text.len().saturating_add(inserted)),
            spans: Vec::with_capacity(original.spans.len() + edits.len() * 2),
            newlines: None,
        };
        let mut pos = 0;
        for (range, insert) in edits {
            let start = range.start.max(pos);
            out.copy_from(&original, &mut origins, pos, start);
            match insert {
                Insert::Text(text, None) => {
                    // Same lines: keep whatever origin the text had.
                    if out.spans.is_empty() || start == 0 {
                        out.push_span(out.text.len(), origins.at(start));
                    }
                    out.text.push_str(&text);
                }
                Insert::Text(text, Some(origin)) => out.push(&text, origin),
                Insert::Source(source) => {
                    if !source.is_empty() {
                        out.append(source);
                    }
                }
            }
            pos = range.end.max(start);
            if pos < original.text.len() {
                out.push_span(out.text.len(), origins.at(pos));
            }
        }
        out.copy_from(&original, &mut origins, pos, original.text.len());
        *self = out;
    }

    /// Copies `src[from..to]` with its origins (`origins` reads `src`).
    fn copy_from(&mut self, src: &SourceText, origins: &mut Origins<'_>, from: usize, to: usize) {
        if from >= to {
            return;
        }
        let base = self.text.len();
        // Origin at `from`, then every span boundary inside (from, to).
        self.push_span(base, origins.at(from));
        let first = src.spans.partition_point(|s| s.start <= from);
        for s in &src.spans[first..] {
            if s.start >= to {
                break;
            }
            self.push_span(base + (s.start - from), s.origin.clone());
        }
        self.text.push_str(&src.text[from..to]);
    }

    /// Replaces every occurrence of each pattern by its replacement, in one
    /// pass. Neither may contain a line break, so origins only shift.
    pub fn replace_all(&mut self, replacements: &[(&str, &str)]) {
        debug_assert!(
            replacements
                .iter()
                .all(|(p, r)| !p.is_empty() && !p.contains('\n') && !r.contains('\n'))
        );
        let Some(first_byte) = replacements.first().map(|(p, _)| p.as_bytes()[0]) else {
            return;
        };
        if !replacements
            .iter()
            .all(|(p, _)| p.as_bytes()[0] == first_byte)
        {
            for r in replacements {
                self.replace_all(std::slice::from_ref(r));
            }
            return;
        }
        let old = &self.text;
        // Room for replacements longer than their patterns (a deck's `@@`
        // macros): growing a megabyte of text copies it.
        let mut out = String::with_capacity(old.len().saturating_add(old.len() / 8));
        // (old end, new end) of each replacement, to move span starts.
        let mut shifts: Vec<(usize, usize)> = Vec::new();
        let mut last = 0;
        let bytes = old.as_bytes();
        let mut i = 0;
        while let Some(k) = memchr::memchr(first_byte, &bytes[i..]) {
            let at = i + k;
            match replacements.iter().find(|(p, _)| old[at..].starts_with(p)) {
                Some((p, r)) => {
                    out.push_str(&old[last..at]);
                    out.push_str(r);
                    last = at + p.len();
                    shifts.push((last, out.len()));
                    i = last;
                }
                None => i = at + 1,
            }
        }
        if shifts.is_empty() {
            return;
        }
        out.push_str(&old[last..]);
        for span in &mut self.spans {
            // Offset delta of all replacements ending at or before the start.
            let n = shifts.partition_point(|&(old_end, _)| old_end <= span.start);
            if n > 0 {
                let (old_end, new_end) = shifts[n - 1];
                span.start = new_end + (span.start - old_end);
            }
        }
        self.text = out;
        self.newlines = None;
    }
}

/// [`SourceText::origin_at`] for offsets asked in growing order: the lines
/// between two answers are counted once (linear in the text, whatever the
/// number of questions).
struct Origins<'a> {
    src: &'a SourceText,
    /// The span of the last answer, its offset, and the lines from the
    /// span's start to it.
    last: Option<(usize, usize, usize)>,
}

impl<'a> Origins<'a> {
    fn new(src: &'a SourceText) -> Self {
        Origins { src, last: None }
    }

    fn at(&mut self, offset: usize) -> Origin {
        let spans = &self.src.spans;
        let idx = match spans.binary_search_by(|s| s.start.cmp(&offset)) {
            Ok(i) => i,
            Err(0) => return Origin::Generated,
            Err(i) => i - 1,
        };
        let span = &spans[idx];
        let Origin::File { file, line } = &span.origin else {
            return Origin::Generated;
        };
        let end = offset.min(self.src.text.len());
        let lines = match self.last {
            Some((i, at, lines)) if i == idx && at <= end => {
                lines + memchr_count(&self.src.text.as_bytes()[at..end])
            }
            _ => memchr_count(&self.src.text.as_bytes()[span.start.min(end)..end]),
        };
        self.last = Some((idx, end, lines));
        Origin::File {
            file: file.clone(),
            line: line.saturating_add(lines),
        }
    }
}

fn memchr_count(bytes: &[u8]) -> usize {
    memchr::memchr_iter(b'\n', bytes).count()
}

/// `file` (relative to `dir`) as reachable from the current folder, `.`
/// and `..` resolved by name where they can be: `slides` and
/// `../examples/c.yml` give `examples/c.yml`, the path a user would type.
pub fn reachable(dir: &Path, file: &Path) -> PathBuf {
    let path = lexically_normal(&dir.join(file));
    if path.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        path
    }
}

/// `path` with `.` and `..` resolved by name (no file system access, no
/// symbolic link followed): a `..` takes away the name before it, stays at
/// the start of a relative path, and leads nowhere above the root.
pub fn lexically_normal(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => match out.last() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(c),
            },
            other => out.push(other),
        }
    }
    out.iter().collect()
}

/// Display form of a path relative to a base when possible.
pub fn relative_to(path: &Path, base: &Path) -> PathBuf {
    path.strip_prefix(base)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// 1-based line holding byte `offset` of `bytes`.
pub fn line_of_byte(bytes: &[u8], offset: usize) -> usize {
    bytes[..offset.min(bytes.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(name: &str) -> Arc<PathBuf> {
        Arc::new(PathBuf::from(name))
    }

    fn loc(t: &SourceText, off: usize) -> Option<(String, usize)> {
        t.location(off)
            .map(|l| (l.file.display().to_string(), l.line))
    }

    #[test]
    fn origins_in_growing_order_agree_with_origin_at() {
        let mut t = SourceText::new();
        t.push(
            "a\nb\nc\n",
            Origin::File {
                file: f("one.md"),
                line: 1,
            },
        );
        t.push("generated\n", Origin::Generated);
        t.push(
            "x\n\ny\nz",
            Origin::File {
                file: f("two.md"),
                line: 7,
            },
        );
        let mut origins = Origins::new(&t);
        // Every offset in order, some asked twice, and past the end.
        let mut asked = Vec::new();
        for offset in (0..=t.len() + 1).flat_map(|o| [o, o]) {
            asked.push((offset, origins.at(offset)));
        }
        for (offset, got) in asked {
            assert_eq!(
                format!("{got:?}"),
                format!("{:?}", t.origin_at(offset)),
                "at {offset}"
            );
        }
    }

    #[test]
    fn files_are_named_as_reachable_from_here() {
        let r = |d: &str, f: &str| reachable(Path::new(d), Path::new(f));
        assert_eq!(r("slides", "k8s/a.md"), PathBuf::from("slides/k8s/a.md"));
        assert_eq!(
            r("slides", "../examples/c.yml"),
            PathBuf::from("examples/c.yml")
        );
        assert_eq!(r("", "a.md"), PathBuf::from("a.md"));
        assert_eq!(r(".", "./a.md"), PathBuf::from("a.md"));
        assert_eq!(r("../deck", "../x.yml"), PathBuf::from("../x.yml"));
        assert_eq!(r("/r/slides", "../c.yml"), PathBuf::from("/r/c.yml"));
        assert_eq!(r("slides", ".."), PathBuf::from("."));
        // Nowhere above the root, as `assemble`'s root checks need.
        assert_eq!(r("/", "../r/./x.md"), PathBuf::from("/r/x.md"));
    }

    #[test]
    fn lines_follow_files_through_appends_and_edits() {
        let mut t = SourceText::from_file("a1\na2\n@@X@@\na4\n".into(), f("a.md"));
        t.push("\n---\n", Origin::Generated);
        t.append(SourceText::from_file("b1\nb2\n".into(), f("b.md")));
        let x = t.as_str().find("@@X@@").unwrap();
        t.splice(vec![Edit {
            range: x..x + 5,
            text: "i1\ni2\ni3".into(),
            origin: Some(Origin::File {
                file: f("inc.yaml"),
                line: 1,
            }),
        }]);
        let s = t.as_str().to_owned();
        assert_eq!(loc(&t, s.find("a2").unwrap()), Some(("a.md".into(), 2)));
        assert_eq!(loc(&t, s.find("i3").unwrap()), Some(("inc.yaml".into(), 3)));
        assert_eq!(loc(&t, s.find("a4").unwrap()), Some(("a.md".into(), 4)));
        assert_eq!(loc(&t, s.find("---").unwrap()), None);
        assert_eq!(loc(&t, s.find("b2").unwrap()), Some(("b.md".into(), 2)));
        t.replace_all(&[("a2", "LONGER TEXT")]);
        let s = t.as_str().to_owned();
        assert_eq!(loc(&t, s.find("a4").unwrap()), Some(("a.md".into(), 4)));
        assert_eq!(loc(&t, s.find("b1").unwrap()), Some(("b.md".into(), 1)));
    }
}
