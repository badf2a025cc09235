//! Deck-level lint rules: what only the whole deck can tell (does a slide
//! of that name exist? does the image file?), on top of what the compiler
//! reports while loading.
//!
//! Rule codes (stable, shown in brackets and in JSON):
//! - `dangling-link` (error): a `#name` link no slide of the deck has;
//! - `duplicate-name` (warning): a slide name used before (links go to the first);
//! - `missing-image` (error): a local image (`![](...)`, `<img src>`,
//!   `background-image: url(...)`) that does not exist;
//! - `image-outside-root` (error): a local image that leads outside the
//!   repository root once symbolic links are resolved (the gate of
//!   [`crate::files::Confinement`]: `build` refuses to publish it);
//! - `image-outside-deck` (error): a local image whose path leads out of
//!   the deck's folder (`../images/a.png`): `build` copies only the images
//!   under it, so it refuses to publish a page that could not show it;
//! - `overflow` (error, only with `lint --render`): a slide whose content
//!   reaches past its box at the deck's ratio, measured in headless
//!   Chromium (see [`super::overflow`]);
//! - `unknown-layout` (warning): `layout:` other than `true`/`false`;
//! - `unused-exclude` (warning): an excluded class no slide uses (a typo?).
//!
//! Found while loading (`Deck::diagnostics`), among others:
//! - `include-loop` (error): an `@@INCLUDE` of a file already being
//!   included; the message names every `@@INCLUDE` of the chain
//!   ([`crate::assemble`]);
//! - `foreign-deck` (error): a Marp or Slidev deck, which remark would show
//!   as blank slides ([`crate::foreign`]).

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::error::Location;
use crate::files::{Confinement, Files};
use crate::manifest::Entry;
use crate::remark::Node;
use crate::remark::marked;

/// Every deck-level finding for `deck`. `repo_classes` are the classes
/// used by the decks of its folder (see [`classes_of_decks_in`]): a
/// class excluded here but used by a chapter of another deck is no typo.
pub fn check(deck: &Deck, repo_classes: &HashSet<String>) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    names_and_links(deck, &mut out);
    images(deck, &mut out);
    layouts(deck, &mut out);
    unused_excludes(deck, repo_classes, &mut out);
    out
}

/// Classes named on `class:` lines of the chapters of the decks in `dir`
/// (every manifest there): what the decks use, not every file below the
/// folder (which may hold anything: a FIFO, a link to `/dev/zero`).
/// Chapters pass the gate (inside `root`, regular, not too large); one
/// that does not is skipped here (its own deck reports it).
pub fn classes_of_decks_in(dir: &Path, root: &Path, files: &Files) -> HashSet<String> {
    let mut out = HashSet::new();
    let gate = Confinement::new(root, files);
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries.flatten() {
        let path = e.path();
        let is_manifest = e.file_type().is_ok_and(|t| t.is_file())
            && path
                .extension()
                .is_some_and(|x| x.eq_ignore_ascii_case("yml") || x.eq_ignore_ascii_case("yaml"));
        let Some(manifest) = is_manifest
            .then(|| crate::manifest::Manifest::load(&path).ok())
            .flatten()
        else {
            continue;
        };
        let mut stack: Vec<&Entry> = manifest.content.iter().collect();
        while let Some(entry) = stack.pop() {
            let text = match entry {
                Entry::List { entries, .. } => {
                    stack.extend(entries);
                    continue;
                }
                Entry::Inline { text, .. } => Arc::from(text.as_str()),
                Entry::File { path, .. } => {
                    let chapter = manifest.dir.join(path);
                    match gate
                        .admit(files, &chapter)
                        .and_then(|()| files.text(&chapter))
                    {
                        Ok(t) => t,
                        Err(_) => continue,
                    }
                }
            };
            for v in property_values(&text, "class") {
                out.extend(crate::remark::slideshow::class_list(v));
            }
        }
    }
    out
}

/// Location (with column) of byte `offset` of the deck's source.
fn at(deck: &Deck, offset: usize) -> Option<Location> {
    let (loc, generated) = deck.source.report_location(offset)?;
    if generated {
        // Generated text has no column of its own.
        return Some(loc);
    }
    let text = deck.source.as_str();
    // Offsets found in slide text that remark rewrote (`{{ prop }}`
    // expanded) may fall inside a character: the column is that character's.
    let offset = deck.source.char_start(offset);
    let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let column = text[line_start..offset].chars().count() + 1;
    Some(loc.with_column(column))
}

/// Calls `f(text, start)` for every text run of `nodes`, outside fenced
/// code blocks and inline code (where `](#x)` is an example, not a link).
fn for_prose(nodes: &[Node], f: &mut dyn FnMut(&str, usize)) {
    for node in nodes {
        match node {
            Node::Text { text, start } => {
                let lines: Vec<&str> = text.split('\n').collect();
                let fenced = fenced_lines(&lines);
                let mut offset = 0;
                for (i, line) in lines.iter().enumerate() {
                    if !fenced[i] {
                        for (s, e) in outside_code_spans(line) {
                            f(&line[s..e], start + offset + s);
                        }
                    }
                    offset += line.len() + 1;
                }
            }
            Node::Class { content, .. } => for_prose(content, f),
        }
    }
}

/// For each line, whether it belongs to a fenced block (the renderer's
/// recogniser, [`marked::fenced_blocks`]).
fn fenced_lines(lines: &[&str]) -> Vec<bool> {
    let mut fenced = vec![false; lines.len()];
    for (open, close) in marked::fenced_blocks(lines) {
        for f in fenced.iter_mut().take(close + 1).skip(open) {
            *f = true;
        }
    }
    fenced
}

/// Byte ranges of `line` outside `` `code` `` spans.
fn outside_code_spans(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut from = 0;
    let mut rest = line;
    let mut base = 0;
    while let Some(open) = rest.find('`') {
        let ticks = rest[open..].bytes().take_while(|&b| b == b'`').count();
        let fence = &rest[open..open + ticks];
        match rest[open + ticks..].find(fence) {
            Some(close) => {
                out.push((from, base + open));
                let end = open + ticks + close + ticks;
                base += end;
                from = base;
                rest = &line[base..];
            }
            None => break,
        }
    }
    out.push((from, line.len()));
    out
}

/// `](#name)` and `href="#name"` targets in `text`, with their offsets.
fn anchor_links(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    for pat in ["](#", "href=\"#", "href='#"] {
        let mut from = 0;
        while let Some(i) = text[from..].find(pat) {
            let name_start = from + i + pat.len();
            let end = text[name_start..]
                .find(|c: char| c == ')' || c == '"' || c == '\'' || c.is_whitespace())
                .map_or(text.len(), |e| name_start + e);
            let name = &text[name_start..end];
            // `#` alone is "this slide"; `#12` is a slide number in remark.
            if !name.is_empty() && !name.bytes().all(|b| b.is_ascii_digit()) {
                out.push((name_start - 1, name));
            }
            from = end.max(name_start);
        }
    }
    out
}

fn names_and_links(deck: &Deck, out: &mut Vec<Diagnostic>) {
    let mut first: HashMap<&str, Option<Location>> = HashMap::new();
    for slide in &deck.slides {
        let Some(name) = slide.name.as_deref() else {
            continue;
        };
        if slide.continued {
            continue;
        }
        match first.get(name) {
            Some(prev) => {
                if let Some(loc) = name_location(deck, slide.start, name) {
                    let before = prev
                        .as_ref()
                        .map(|l| format!(" (first at {}:{})", l.file.display(), l.line))
                        .unwrap_or_default();
                    out.push(Diagnostic::warning(
                        "duplicate-name",
                        loc,
                        format!(
                            "slide name `{name}` is already used{before}; `#{name}` links go to the first"
                        ),
                    ));
                }
            }
            None => {
                first.insert(name, name_location(deck, slide.start, name));
            }
        }
    }
    let names: HashSet<&str> = first.keys().copied().collect();
    // Names written on slides this deck does not show (excluded classes):
    // a link to them is broken in this deck but the name is not a typo.
    let hidden = property_values(deck.source.as_str(), "name");
    for slide in &deck.slides {
        if slide.continued && slide.own_content().is_empty() {
            continue;
        }
        for_prose(slide.own_content(), &mut |text, start| {
            for (i, name) in anchor_links(text) {
                if names.contains(name) {
                    continue;
                }
                let Some(loc) = at(deck, start + i) else {
                    continue;
                };
                let generated = deck.source.location(start + i).is_none();
                let note = crate::deck::generated_note(generated);
                let message = if hidden.contains(name) {
                    format!("link to `#{name}`: that slide is excluded from this deck{note}")
                } else {
                    format!("link to `#{name}`: no slide is named `{name}`{note}")
                };
                out.push(Diagnostic::error("dangling-link", loc, message));
            }
        });
    }
}

/// Where `name: <name>` is written in the slide starting at `start`.
fn name_location(deck: &Deck, start: usize, name: &str) -> Option<Location> {
    let text = deck.source.as_str();
    let slide = &text[start.min(text.len())..];
    let mut offset = 0;
    for line in slide.split_inclusive('\n').take(20) {
        if let Some(v) = line.trim_end().strip_prefix("name:")
            && v.trim() == name
        {
            return at(deck, start + offset);
        }
        offset += line.len();
    }
    deck.source.location(start)
}

/// Values of `key: value` property lines anywhere in the source.
fn property_values<'a>(text: &'a str, key: &str) -> HashSet<&'a str> {
    text.lines()
        .filter_map(|l| l.strip_prefix(key)?.strip_prefix(':'))
        .map(str::trim)
        .collect()
}

fn images(deck: &Deck, out: &mut Vec<Diagnostic>) {
    let dir = deck.manifest.dir.as_path();
    // Images are relative to the deck's HTML, next to its manifest. A chapter
    // linted on its own has no manifest: its decks usually live one folder
    // up (the repository root), so an image found there is not missing.
    let chapter_alone = deck
        .manifest
        .path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"));
    let mut bases = vec![dir];
    if chapter_alone {
        bases.push(deck.root.as_path());
    }
    let files = Files::new();
    let gate = Confinement::new(&deck.root, &files);
    // Per image: found, and the gate's refusal.
    let mut checked: HashMap<String, (bool, Option<String>)> = HashMap::new();
    let mut report = |src: &str, offset: usize, out: &mut Vec<Diagnostic>| {
        let Some(path) = local_path(src) else {
            return;
        };
        // As the browser finds it: `a%20b.png` is the file `a b.png`.
        let path = crate::files::local_file(path);
        let path = path.as_ref();
        let (exists, refused) = checked.entry(path.to_string()).or_insert_with(|| {
            let found = bases.iter().map(|b| b.join(path)).find(|p| p.exists());
            let refused = found.as_ref().and_then(|p| {
                gate.admit(&files, p)
                    .err()
                    .map(|e| format!("({}): {e}", p.display()))
            });
            (found.is_some(), refused)
        });
        let Some(loc) = at(deck, offset) else {
            return;
        };
        if let Some(why) = refused {
            out.push(Diagnostic::error(
                "image-outside-root",
                loc,
                format!("image `{src}` {why}"),
            ));
        } else if !chapter_alone && crate::files::leaves_folder(Path::new(path)) {
            out.push(Diagnostic::error(
                "image-outside-deck",
                loc,
                crate::files::outside_deck_message(src, dir),
            ));
        } else if !*exists {
            out.push(Diagnostic::error(
                "missing-image",
                loc,
                format!(
                    "image `{src}` not found (looked for {})",
                    dir.join(path).display()
                ),
            ));
        }
    };
    for slide in &deck.slides {
        if slide.continued && slide.own_content().is_empty() {
            continue;
        }
        let mut found = Vec::new();
        for_prose(slide.own_content(), &mut |text, start| {
            for (i, src) in image_sources(text) {
                found.push((src.to_string(), start + i));
            }
        });
        for (src, offset) in found {
            report(&src, offset, out);
        }
        if let Some(bg) = slide.property("background-image")
            && !slide.continued
            && let Some(src) = crate::files::css_url(bg)
        {
            let offset = deck
                .source
                .text_from(slide.start)
                .find("background-image")
                .map_or(slide.start, |i| slide.start + i);
            report(src, offset, out);
        }
    }
}

/// `![alt](src "title")` and `<img ... src="src">` sources, with offsets.
fn image_sources(text: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("![") {
        let open = from + i;
        let Some(close) = text[open..].find("](").map(|c| open + c) else {
            break;
        };
        let src_start = close + 2;
        let rest = &text[src_start..];
        let end = rest
            .find(|c: char| c == ')' || c.is_whitespace())
            .unwrap_or(rest.len());
        let src = rest[..end].trim_matches(|c| c == '<' || c == '>');
        if !src.is_empty() && !text[open + 2..close].contains('\n') {
            out.push((src_start, src));
        }
        from = src_start;
    }
    let mut from = 0;
    while let Some(i) = text[from..].find("<img") {
        let tag_start = from + i;
        let tag_end = text[tag_start..]
            .find('>')
            .map_or(text.len(), |e| tag_start + e);
        let tag = &text[tag_start..tag_end];
        for q in ["src=\"", "src='"] {
            if let Some(s) = tag.find(q) {
                let v_start = s + q.len();
                let quote = q.as_bytes()[q.len() - 1] as char;
                if let Some(len) = tag[v_start..].find(quote) {
                    out.push((tag_start + v_start, &tag[v_start..v_start + len]));
                }
            }
        }
        from = tag_end.max(tag_start + 4);
    }
    out
}

/// The file part of a local image reference (`crate::files::is_local`);
/// `None` also for unexpanded macros, which name no file yet.
fn local_path(src: &str) -> Option<&str> {
    if !crate::files::is_local(src) || src.contains("@@") || src.contains("{{") {
        return None;
    }
    let end = src.find(['?', '#']).unwrap_or(src.len());
    Some(&src[..end])
}

fn layouts(deck: &Deck, out: &mut Vec<Diagnostic>) {
    // Layout slides are not shown, so they are not in `deck.slides`: read the
    // property lines at the top of every slide of the source.
    let text = deck.source.as_str();
    let lines: Vec<&str> = text.split('\n').collect();
    let fenced = fenced_lines(&lines);
    let mut offset = 0;
    let mut at_top = true;
    for (n, line) in lines.iter().enumerate() {
        let t = line.trim_end();
        let in_fence = fenced[n];
        if in_fence {
            at_top = false;
        } else if t == "---" || t == "--" {
            at_top = true;
        } else if at_top && !t.trim().is_empty() {
            match t.split_once(':') {
                Some((key, value))
                    if !key.is_empty()
                        && key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') =>
                {
                    let v = value.trim();
                    if key == "layout"
                        && v != "true"
                        && v != "false"
                        && let Some(loc) = at(deck, offset)
                    {
                        out.push(Diagnostic::warning(
                            "unknown-layout",
                            loc,
                            format!(
                                "`layout: {v}`: remark knows `layout: true` (a template) and `layout: false`"
                            ),
                        ));
                    }
                }
                _ => at_top = false,
            }
        }
        offset += line.len() + 1;
    }
}

fn unused_excludes(deck: &Deck, repo_classes: &HashSet<String>, out: &mut Vec<Diagnostic>) {
    if deck.manifest.exclude.is_empty() {
        return;
    }
    let used: HashSet<&str> = deck
        .used_classes
        .iter()
        .chain(repo_classes)
        .map(String::as_str)
        .collect();
    let manifest_text = std::fs::read_to_string(&deck.manifest.path).unwrap_or_default();
    for class in &deck.manifest.exclude {
        if used.contains(class.as_str()) {
            continue;
        }
        out.push(Diagnostic::warning(
            "unused-exclude",
            exclude_location(&deck.manifest.path, &manifest_text, class),
            format!(
                "excluded class `{class}` is used by no slide of this deck nor of any deck in {} (a typo?)",
                deck.manifest.dir.display()
            ),
        ));
    }
}

/// Where `class` is written in the manifest's `exclude:` (line 1 if not found).
fn exclude_location(path: &Path, text: &str, class: &str) -> Location {
    let mut in_exclude = false;
    for (n, line) in text.lines().enumerate() {
        if line.starts_with("exclude:") {
            in_exclude = true;
            if let Some(col) = line.find(class) {
                return Location::new(path, n + 1).with_column(col + 1);
            }
            continue;
        }
        if in_exclude {
            if !line.starts_with([' ', '-', '\t']) {
                in_exclude = false;
                continue;
            }
            if let Some(col) = line.find(class) {
                return Location::new(path, n + 1).with_column(col + 1);
            }
        }
    }
    Location::new(path, 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_spans_are_skipped() {
        let line = "see `[x](#nope)` and [y](#yes)";
        let parts: Vec<&str> = outside_code_spans(line)
            .into_iter()
            .map(|(s, e)| &line[s..e])
            .collect();
        assert_eq!(parts, vec!["see ", " and [y](#yes)"]);
    }

    #[test]
    fn anchors_and_images_are_found() {
        let t = "[a](#one) [b](#12) <a href=\"#two\">x</a>";
        let names: Vec<&str> = anchor_links(t).into_iter().map(|(_, n)| n).collect();
        assert_eq!(names, vec!["one", "two"]);
        let t = "![d](images/a.png \"t\") <img src=\"images/b.svg\" /> ![](https://x/y.png)";
        let srcs: Vec<&str> = image_sources(t).into_iter().map(|(_, s)| s).collect();
        assert_eq!(
            srcs,
            vec!["images/a.png", "https://x/y.png", "images/b.svg"]
        );
        assert_eq!(local_path("https://x/y.png"), None);
        assert_eq!(local_path("images/a.png?v=2"), Some("images/a.png"));
        assert_eq!(
            crate::files::css_url("url(\"images/bg.jpg\")"),
            Some("images/bg.jpg")
        );
    }
}
