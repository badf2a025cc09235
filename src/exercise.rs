//! Exercises: the `.exercise[...]` / `.lab[...]` blocks of a deck, with the
//! commands they ask a student to type and the check written next to them.
//!
//! Extracted from the same slide model the renderer uses (`model::Deck`), so
//! that ids, slide numbers and titles agree with what the HTML shows.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::deck::{Deck, Slide};
use crate::diagnostic::Diagnostic;
use crate::error::{Location, Result};
use crate::remark::Node;
use crate::remark::displayed;
use crate::remark::lexer::{self, Token};
use crate::remark::marked::{FenceIndex, closing_fence, fence_opening, strip_list_marker};

/// One hands-on exercise.
#[derive(Debug, Clone, Serialize)]
pub struct Exercise {
    /// The check's `id`, or `<chapter file stem>-<n>` (n counts that file's
    /// exercises from 1).
    pub id: String,
    /// Chapter file, as the manifest names it (relative to the manifest's folder).
    pub file: PathBuf,
    /// 1-based line of the `.exercise[` / `.lab[` opening in `file`.
    pub line: usize,
    /// 1-based position of the slide where the exercise first appears (the
    /// `#N` of the deck's URL).
    pub slide: usize,
    /// The slide's `name:` property, if any.
    pub slide_name: Option<String>,
    /// The slide's title (its first heading, text only).
    pub title: String,
    /// Fenced code blocks inside the exercise, in order.
    pub commands: Vec<Command>,
    /// Hidden directives (`<!-- ```wait TEXT``` -->` and friends) between
    /// the exercise's commands, in source order with them.
    pub steps: Vec<Step>,
    /// The check attached to the exercise, not yet parsed.
    pub check: Option<CheckSource>,
}

/// A fenced code block a student is asked to type.
#[derive(Debug, Clone, Serialize)]
pub struct Command {
    /// Fence info string's first word (`bash`, `yaml`...), if any.
    pub lang: Option<String>,
    /// The block's text, with remark's highlight backticks removed.
    pub text: String,
    /// 1-based line of the opening fence in the chapter file.
    pub line: usize,
}

/// What `labdeck run` does, in order: visible commands and hidden directives.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    /// `None` for a visible command; the directive's name (`wait`, `keys`,
    /// `key`, `hide`, `bash`, `copypaste`, `open`, `tmux`) for a hidden one.
    pub directive: Option<String>,
    pub lang: Option<String>,
    pub text: String,
    pub line: usize,
}

/// The raw text of a `<!-- check ... -->` comment and where it starts.
#[derive(Debug, Clone, Serialize)]
pub struct CheckSource {
    /// The text after the word `check`, up to `-->`: YAML whose first line
    /// is the rest of the comment's first line (usually empty).
    pub yaml: String,
    pub file: PathBuf,
    /// 1-based line in `file` of the first line of `yaml`.
    pub line: usize,
}

/// Classes that mark an exercise.
pub const EXERCISE_CLASSES: &[&str] = &["exercise", "lab"];

/// The exercises of a deck, in slide order, with the problems found while
/// attaching checks (a check with no exercise before it, duplicate ids).
pub fn extract(deck: &Deck) -> (Vec<Exercise>, Vec<Diagnostic>) {
    let mut exercises: Vec<Exercise> = Vec::new();
    let mut diagnostics = Vec::new();
    let tokens = lexer::lex(deck.source.as_str());
    let numbers = exercise_numbers(deck, &tokens);
    let bounds = SlideBounds::new(&tokens, deck.source.as_str().len());
    // Exercises and checks of the current source slide (a `---` block and
    // its `--` steps): a check attaches to the last exercise before it.
    let mut group_start = 0;
    for (i, slide) in deck.slides.iter().enumerate() {
        if !slide.continued {
            group_start = exercises.len();
        }
        let mut found = Vec::new();
        collect(slide.own_content(), false, &mut found);
        // Checks come from the slide's raw text, not from the parsed
        // content: remark's lexer splits a comment at any `.word[` (every
        // `where` path with an index), which must not lose a check.
        let (own, notes) = bounds.of(slide.start);
        for c in raw_comments(deck.source.as_str(), own.clone()) {
            found.push(Found::Check(c));
        }
        for c in raw_comments(deck.source.as_str(), notes) {
            if let Some(at) = deck.source.location(c.start) {
                diagnostics.push(Diagnostic::error(
                    "lost-check",
                    at,
                    "check in speaker notes (after `???`): it is not a check; move it onto the slide",
                ));
            }
        }
        found.sort_by_key(Found::start);
        for item in found {
            match item {
                Found::Exercise { start, nodes } => {
                    let Some(location) = deck.source.location(start) else {
                        continue;
                    };
                    let stem = chapter_stem(&location.file);
                    let n = numbers
                        .get(&location.file)
                        .and_then(|lines| lines.binary_search(&location.line).ok())
                        .map_or(0, |k| k + 1);
                    let (commands, steps) = commands_of(deck, &nodes);
                    exercises.push(Exercise {
                        id: format!("{stem}-{n}"),
                        file: display_path(deck, &location.file),
                        line: location.line,
                        slide: i + 1,
                        slide_name: slide.name.clone(),
                        title: slide_title(deck, slide),
                        commands,
                        steps,
                        check: None,
                    });
                }
                Found::Check(RawComment { start, yaml }) => {
                    let Some(location) = deck.source.location(start) else {
                        continue;
                    };
                    let Some(yaml) = yaml else {
                        diagnostics.push(Diagnostic::error(
                            "lost-check",
                            location,
                            "check comment has no closing `-->` on its slide: it is not a check",
                        ));
                        continue;
                    };
                    let owner = exercises[group_start..]
                        .iter_mut()
                        .rev()
                        .find(|e| e.slide <= i + 1);
                    match owner {
                        Some(exercise) if exercise.check.is_none() => {
                            exercise.check = Some(CheckSource {
                                yaml,
                                file: display_path(deck, &location.file),
                                line: location.line,
                            });
                        }
                        Some(exercise) => diagnostics.push(Diagnostic::error(
                            "duplicate-check",
                            location,
                            format!("exercise `{}` already has a check", exercise.id),
                        )),
                        None => diagnostics.push(Diagnostic::error(
                            "check-without-exercise",
                            location,
                            "check has no `.exercise[` or `.lab[` before it on its slide",
                        )),
                    }
                }
            }
        }
    }
    // Explicit ids replace generated ones.
    for e in &mut exercises {
        if let Some(id) = e.check.as_ref().and_then(|c| check_id(&c.yaml)) {
            e.id = id;
        }
    }
    let mut seen: HashMap<String, (PathBuf, usize)> = HashMap::new();
    for e in &exercises {
        if let Some((file, line)) = seen.get(&e.id) {
            let at = e
                .check
                .as_ref()
                .map(|c| Location::new(c.file.clone(), c.line))
                .unwrap_or_else(|| Location::new(e.file.clone(), e.line));
            diagnostics.push(Diagnostic::error(
                "duplicate-id",
                at,
                format!(
                    "exercise id `{}` is already used at {}:{}",
                    e.id,
                    file.display(),
                    line
                ),
            ));
        } else {
            seen.insert(e.id.clone(), (e.file.clone(), e.line));
        }
    }
    (exercises, diagnostics)
}

/// Where each slide's own text and its speaker notes are in the deck's
/// source: from its separator to the next one, split at `???`.
struct SlideBounds {
    /// Offsets of `---`/`--` separators, ascending.
    separators: Vec<usize>,
    /// Offsets of `???`, ascending.
    notes: Vec<usize>,
    len: usize,
}

impl SlideBounds {
    fn new(tokens: &[Token], len: usize) -> SlideBounds {
        let mut separators = Vec::new();
        let mut notes = Vec::new();
        for t in tokens {
            match t {
                Token::Separator { start, .. } => separators.push(*start),
                Token::NotesSeparator { start } => notes.push(*start),
                _ => {}
            }
        }
        separators.sort_unstable();
        notes.sort_unstable();
        SlideBounds {
            separators,
            notes,
            len,
        }
    }

    /// The slide starting at `start`: its own text and its notes.
    /// Two binary searches: a linear scan per slide made `lint` and
    /// `check` quadratic in slides (10,000 slides: 4.8 s; 40,000: 60 s).
    fn of(&self, start: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let after = self.separators.partition_point(|&s| s <= start);
        let end = self.separators.get(after).copied().unwrap_or(self.len);
        let first_note = self.notes.partition_point(|&n| n < start);
        match self.notes.get(first_note).copied().filter(|&n| n < end) {
            Some(n) => (start..n, n..end),
            None => (start..end, end..end),
        }
    }
}

/// A `<!-- check ... -->` comment found in the raw source.
struct RawComment {
    /// Offset of the word `check`.
    start: usize,
    /// The text after `check` up to `-->`; `None` when `-->` is missing.
    yaml: Option<String>,
}

/// The check comments in `range` of `text`, outside fenced code blocks (a
/// code block on a slide shows text, it checks nothing), whatever the YAML
/// inside looks like.
fn raw_comments(text: &str, range: std::ops::Range<usize>) -> Vec<RawComment> {
    let mut out = Vec::new();
    let Some(region) = text.get(range.clone()) else {
        return out;
    };
    let lines: Vec<&str> = region.split('\n').collect();
    let fences = FenceIndex::new(&lines);
    let mut offsets = Vec::with_capacity(lines.len());
    let mut o = range.start;
    for l in &lines {
        offsets.push(o);
        o += l.len() + 1;
    }
    // Everything before this offset is inside a comment already read.
    let mut consumed = range.start;
    let mut i = 0;
    while i < lines.len() {
        let (line, off) = (lines[i], offsets[i]);
        if off + line.len() < consumed {
            i += 1;
            continue;
        }
        if consumed <= off
            && let Some(open) = fence_opening(strip_list_marker(line))
            && let Some((close, _)) = closing_fence(&fences, i, &open)
        {
            i = close + 1;
            continue;
        }
        let mut col = consumed.saturating_sub(off);
        while let Some(k) = line.get(col..).and_then(|l| l.find("<!--")) {
            let body_start = off + col + k + 4;
            let close = text[body_start..range.end].find("-->");
            let body = &text[body_start..close.map_or(range.end, |c| body_start + c)];
            let trimmed = body.trim_start();
            if let Some(rest) = trimmed.strip_prefix("check")
                && (rest.is_empty() || rest.starts_with(char::is_whitespace))
            {
                out.push(RawComment {
                    start: body_start + (body.len() - trimmed.len()),
                    yaml: close.map(|_| rest.to_owned()),
                });
            }
            consumed = close.map_or(range.end, |c| body_start + c + 3);
            if consumed > off + line.len() {
                break;
            }
            col = consumed - off;
        }
        i += 1;
    }
    out
}

/// For each chapter file, the lines where its exercises open, in order:
/// every `.exercise[`/`.lab[` of the file counts (also on slides this deck
/// excludes, or in notes), so that generated ids are the same in every deck
/// that uses the chapter.
fn exercise_numbers(deck: &Deck, tokens: &[Token]) -> HashMap<PathBuf, Vec<usize>> {
    let mut numbers: HashMap<PathBuf, Vec<usize>> = HashMap::new();
    let mut depth_in_exercise = 0usize;
    let mut stack: Vec<bool> = Vec::new();
    for token in tokens {
        match token {
            Token::ContentStart { classes, start, .. } => {
                let is_exercise = classes
                    .iter()
                    .any(|c| EXERCISE_CLASSES.contains(&c.as_str()));
                if is_exercise
                    && depth_in_exercise == 0
                    && let Some(at) = deck.source.location(*start)
                {
                    numbers.entry(at.file).or_default().push(at.line);
                }
                if is_exercise {
                    depth_in_exercise += 1;
                }
                stack.push(is_exercise);
            }
            Token::ContentEnd { .. } if stack.pop() == Some(true) => {
                depth_in_exercise -= 1;
            }
            _ => {}
        }
    }
    for lines in numbers.values_mut() {
        lines.sort_unstable();
        lines.dedup();
    }
    numbers
}

/// Like [`extract`], failing on the first problem.
pub fn extract_strict(deck: &Deck) -> Result<Vec<Exercise>> {
    let (exercises, diagnostics) = extract(deck);
    match diagnostics.into_iter().find(Diagnostic::is_error) {
        Some(d) => Err(d.into_error()),
        None => Ok(exercises),
    }
}

/// The `id` of a check, from its parsed YAML (so `id: x   # comment` and
/// flow style `{id: x, expect: [...]}` both give `x`). A check that does
/// not parse has no id here; the checker reports why.
fn check_id(yaml: &str) -> Option<String> {
    let v: serde_json::Value = serde_saphyr::from_str(yaml).ok()?;
    let id = match v.get("id")? {
        serde_json::Value::String(s) => s.trim().to_owned(),
        serde_json::Value::Number(n) => n.to_string(),
        _ => return None,
    };
    (!id.is_empty()).then_some(id)
}

fn chapter_stem(file: &Path) -> String {
    file.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "exercise".to_owned())
}

/// Paths as users name them: relative to the manifest's folder when inside it.
fn display_path(deck: &Deck, file: &Path) -> PathBuf {
    let dir = &deck.manifest.dir;
    if dir.as_os_str().is_empty() {
        return file.to_path_buf();
    }
    file.strip_prefix(dir)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| file.to_path_buf())
}

/// The title of the slide, or of the first earlier slide of its `--` chain
/// that has one.
fn slide_title(deck: &Deck, slide: &Slide) -> String {
    let mut i = slide.index;
    loop {
        let t = deck.slides[i].title();
        if !t.is_empty() || i == 0 || !deck.slides[i].continued {
            return t;
        }
        i -= 1;
    }
}

enum Found {
    Exercise { start: usize, nodes: Vec<Node> },
    Check(RawComment),
}

impl Found {
    fn start(&self) -> usize {
        match self {
            Found::Exercise { start, .. } => *start,
            Found::Check(c) => c.start,
        }
    }
}

/// Exercises in source order (checks are found in the raw text).
fn collect(nodes: &[Node], inside_exercise: bool, out: &mut Vec<Found>) {
    for node in nodes {
        if let Node::Class {
            classes,
            content,
            start,
            ..
        } = node
        {
            if !inside_exercise
                && classes
                    .iter()
                    .any(|c| EXERCISE_CLASSES.contains(&c.as_str()))
            {
                out.push(Found::Exercise {
                    start: *start,
                    nodes: content.clone(),
                });
                collect(content, true, out);
            } else {
                collect(content, inside_exercise, out);
            }
        }
    }
}

/// Visible commands (fenced blocks, with the text the slide shows: see
/// [`crate::remark::displayed`]) and hidden directives (fenced blocks or
/// ```` ```name text``` ```` lines inside HTML comments) of an exercise.
fn commands_of(deck: &Deck, nodes: &[Node]) -> (Vec<Command>, Vec<Step>) {
    let line_of = |offset: usize| deck.source.location(offset).map_or(0, |l| l.line);
    let mut commands = Vec::new();
    let mut steps = Vec::new();
    // What the page shows with the deck's own options, as students copy it.
    let code = deck.manifest.remark.code();
    for block in displayed::code_blocks(nodes, &code) {
        if !block.fenced {
            continue;
        }
        let lang = (!block.lang.is_empty()).then(|| block.lang.clone());
        let text = block.text.trim_end_matches('\n').to_owned();
        let at = line_of(block.start);
        commands.push(Command {
            lang: lang.clone(),
            text: text.clone(),
            line: at,
        });
        steps.push(Step {
            directive: None,
            lang,
            text,
            line: at,
        });
    }
    let mut texts = Vec::new();
    flatten_text(nodes, &mut texts);
    for (text, start) in texts {
        let lines: Vec<&str> = text.split('\n').collect();
        let fences = FenceIndex::new(&lines);
        let mut offsets = Vec::with_capacity(lines.len());
        let mut o = 0;
        for l in &lines {
            offsets.push(o);
            o += l.len() + 1;
        }
        let mut in_comment = false;
        let mut i = 0;
        while i < lines.len() {
            let line = lines[i];
            let trimmed = line.trim();
            let here = line_of(start + offsets[i]);
            if !in_comment {
                if let Some(after) = trimmed.strip_prefix("<!--") {
                    if !after.contains("-->") {
                        in_comment = true;
                    }
                    // Single-line directive in a one-line comment.
                    let inner = after.trim_end_matches("-->").trim();
                    if let Some(step) = inline_directive(inner, here) {
                        steps.push(step);
                    }
                    i += 1;
                    continue;
                }
            } else if trimmed.contains("-->") {
                in_comment = false;
                let inner = trimmed.trim_end_matches("-->").trim();
                if let Some(step) = inline_directive(inner, here) {
                    steps.push(step);
                }
                i += 1;
                continue;
            }
            // Fences (the one recogniser, marked's rules): visible ones are
            // read from the rendering above; hidden ones are typed as written.
            // A fence may open on the list item's own line (`- ```bash`).
            let fence_line = strip_list_marker(line);
            if let Some(open) = fence_opening(fence_line)
                && let Some((close, _)) = closing_fence(&fences, i, &open)
            {
                if in_comment {
                    let lang = (!open.info.is_empty()).then(|| open.info.to_owned());
                    // Hidden commands: the line of their first command.
                    steps.push(Step {
                        directive: lang.or_else(|| Some("bash".to_owned())),
                        lang: None,
                        text: crate::remark::marked::dedent(&lines[i + 1..close])
                            .join("\n")
                            .trim_end()
                            .to_owned(),
                        line: here + 1,
                    });
                }
                i = close + 1;
                continue;
            }
            if in_comment && let Some(step) = inline_directive(trimmed, here) {
                steps.push(step);
            }
            i += 1;
        }
    }
    // Visible and hidden steps in source order (a stable sort keeps the
    // order of steps written on one line).
    steps.sort_by_key(|s| s.line);
    (commands, steps)
}

/// ```` ```name text``` ```` on one line.
fn inline_directive(line: &str, at: usize) -> Option<Step> {
    let inner = line.strip_prefix("```")?.strip_suffix("```")?;
    let (name, text) = inner.split_once(' ').unwrap_or((inner, ""));
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return None;
    }
    Some(Step {
        directive: Some(name.to_owned()),
        lang: None,
        text: text.trim().to_owned(),
        line: at,
    })
}

fn flatten_text<'a>(nodes: &'a [Node], out: &mut Vec<(&'a str, usize)>) {
    for node in nodes {
        match node {
            Node::Text { text, start } => out.push((text, *start)),
            Node::Class { content, .. } => flatten_text(content, out),
        }
    }
}
