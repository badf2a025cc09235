//! Markdown as remark's Markdown library read it, restated for a CommonMark
//! parser. remark.js used `marked` (pedantic list outdenting, GFM fences);
//! decks are written against it. Where the two disagree in ways that change
//! what students read, the source is rewritten here, line by line, into
//! CommonMark that means what `marked` showed:
//!
//! - tabs are four spaces (marked expands them before anything else);
//! - a fenced block closes at the first fence line of the same length, and
//!   its lines belong to the enclosing list item even when written at
//!   column 0; inside a list item, marked removed up to four spaces of
//!   indentation from each line;
//! - a fence right under a list item line (no blank line between) belongs
//!   to that item, whatever its indentation;
//! - two blank lines end a list;
//! - a line holding a single HTML tag starts an HTML block only when a blank
//!   line follows it (otherwise it is inline HTML in a paragraph);
//! - `1)` does not start a list, and a line holding only `-`, `*` or `+` is
//!   text, not an empty list item or a heading underline.

use pulldown_cmark::{CodeBlockKind, Options};

/// A character put before an inline HTML tag that starts a line, so that
/// CommonMark reads a paragraph there (as marked did), not an HTML block.
/// The HTML writer drops it.
pub const INERT: char = '\u{1B}';

/// `text` without the [`INERT`] characters [`prepare`] put in it (the one
/// place the HTML writer drops them: text, code spans, HTML).
pub fn without_inert(text: &str) -> std::borrow::Cow<'_, str> {
    if text.contains(INERT) {
        std::borrow::Cow::Owned(text.replace(INERT, ""))
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Written before an HTML comment alone on a line of a list item's text:
/// the renderer drops the line breaks before and after it, as marked does
/// (see [`prepare`]).
pub const GLUED: &str = "\u{1B}\u{1B}";

/// Rewrites `markdown` (see the module documentation).
pub fn prepare(markdown: &str) -> String {
    prepare_mapped(markdown, &mut Vec::new())
}

/// [`prepare`], also listing the input lines before which it inserted two
/// lines (every other output line is the input line of the same rank), so
/// that what the renderer reads can be traced back to the source.
pub fn prepare_mapped(markdown: &str, inserted: &mut Vec<usize>) -> String {
    let expanded;
    let text = if markdown.contains('\t') {
        expanded = markdown.replace('\t', "    ");
        expanded.as_str()
    } else {
        markdown
    };
    // memchr's search, straight: `split('\n')` costs as much again per
    // line (every line of every slide is cut here).
    let mut lines: Vec<&str> = Vec::with_capacity(64);
    let mut start = 0;
    for end in memchr::memchr_iter(b'\n', text.as_bytes()) {
        lines.push(&text[start..end]);
        start = end + 1;
    }
    lines.push(&text[start..]);
    let fences = FenceIndex::new(&lines);
    let mut out = String::with_capacity(text.len() + 64);
    let mut list_open = false;
    let mut blank_run = 0;
    // Inside raw HTML whose text Markdown leaves alone: the closing tag.
    let mut raw: Option<&'static str> = None;
    let mut html = HtmlBlocks::default();
    // The last non-blank line belongs to a blockquote.
    let mut quote = false;
    // Open list items: (marker indent, content indent), as written.
    let mut items: Vec<(usize, usize)> = Vec::new();
    // Lines indented at least `.0` get `.1` more spaces (a nested list
    // written left of its parent's text).
    let mut shift: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(close) = raw {
            out.push_str(line);
            if line.to_ascii_lowercase().contains(close) {
                raw = None;
            }
            i += 1;
            if i < lines.len() {
                out.push('\n');
            }
            continue;
        }
        if html.verbatim(i) {
            HtmlBlocks::push_verbatim(&mut out, line);
            i += 1;
            if i < lines.len() {
                out.push('\n');
            }
            continue;
        }
        let blank = line.trim().is_empty();
        let indent = line.len() - line.trim_start_matches(' ').len();
        if let Some((from, _)) = shift
            && !blank
            && indent < from
        {
            shift = None;
        }
        if blank {
            blank_run += 1;
        } else {
            if blank_run >= 2 && list_open {
                // marked ends a list at two blank lines; CommonMark needs a
                // block in between to do the same.
                out.push_str("<!-- -->\n\n");
                inserted.push(i);
                list_open = false;
                items.clear();
                shift = None;
            }
            let trimmed = line.trim_start_matches(' ');
            if is_list_item(trimmed) {
                list_open = true;
            } else if blank_run > 0 && trimmed.len() == line.len() {
                list_open = false;
                items.clear();
                shift = None;
            }
        }
        if blank {
            // marked's `blockquote` (`^( *>[^\n]+(\n(?!def)[^\n]+)*\n*)+`,
            // lib/marked.js) takes the blank lines between two quoted
            // paragraphs: one blockquote. CommonMark needs a `>` on them.
            if quote && next_nonblank(&lines, i).is_some_and(|l| l.trim_start().starts_with('>')) {
                out.push('>');
                i += 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            }
        } else if line.trim_start().starts_with('>') && indent < 4 {
            quote = true;
        } else if blank_run > 0 {
            quote = false;
        }
        if !blank {
            blank_run = 0;
        }
        if let Some(open) = fence_opening(line) {
            if let Some((close, fence)) = closing_fence(&fences, i, &open) {
                let item = item_indent_before(&lines, i);
                let effective = item.map_or(open.indent, |c| c.max(open.indent));
                let indent = " ".repeat(effective);
                let strip =
                    if item.is_some() || (open.indent > 0 && in_list(&lines, i, open.indent)) {
                        4
                    } else {
                        0
                    };
                out.push_str(&indent);
                out.push_str(fence);
                if !open.info.is_empty() {
                    out.push(' ');
                    out.push_str(&open.info.replace('`', ""));
                }
                out.push('\n');
                for content in &lines[i + 1..close] {
                    out.push_str(&indent);
                    out.push_str(strip_spaces(content, strip));
                    out.push('\n');
                }
                out.push_str(&indent);
                out.push_str(fence);
                i = close + 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            }
            // marked saw no fence here: keep CommonMark from opening one.
            // [`INERT`], not a backslash: the backticks stay a run of
            // their length for the code spans of the line (marked's
            // `inline.code`), and inside a code span that started on an
            // earlier line a backslash would show.
            push_inert_at(&mut out, line, line.len() - line.trim_start().len());
        } else {
            let previous_blank = i == 0 || lines[i - 1].trim().is_empty();
            let mut extra = shift.map_or(0, |(_, d)| d);
            let trimmed = line.trim_start_matches(' ');
            if is_list_item(trimmed) {
                while items.last().is_some_and(|(m, _)| *m >= indent) {
                    items.pop();
                }
                let content = indent + item_marker_width(trimmed);
                // marked nests an item under any less indented one
                // (`block.item`: `^( *)(bull) [^\n]*(?:\n(?!\1bull )[^\n]*)*`);
                // CommonMark only under the parent's text column.
                if let Some(&(_, parent)) = items.last()
                    && indent < parent
                    && shift.is_none()
                {
                    shift = Some((indent, parent - indent));
                    extra = parent - indent;
                }
                items.push((indent, content));
            } else if previous_blank
                && list_open
                && let Some(&(marker, content)) = items.last()
                && indent >= content + 4
                && indent < marker + 8
            {
                // marked (pedantic) outdents list item text by up to four
                // spaces (`item.replace(/^ {1,4}/gm, '')`, lib/marked.js), so
                // text less than 8 columns right of its bullet is a
                // paragraph, not indented code.
                out.push_str(&" ".repeat(content + extra));
                push_text_line(&mut out, trimmed, true);
                i += 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            } else if !previous_blank
                && is_atx_heading(line)
                && let Some(content) = item_indent_before(&lines, i)
                && indent < content
            {
                // marked's `block.item` (`^( *)(bull) [^\n]*(?:\n(?!\1bull
                // )[^\n]*)*`) keeps every line up to the next bullet in the
                // item, a heading right under its text too; CommonMark lets
                // the heading end the list unless it is indented into it.
                out.push_str(&" ".repeat(content + extra));
                push_text_line(&mut out, &fix_inline(trimmed), true);
                i += 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            }
            if extra > 0 && !blank {
                out.push_str(&" ".repeat(extra));
            }
            let in_code = indent >= 4 && !list_open;
            let fixed = if in_code {
                std::borrow::Cow::Borrowed(line)
            } else {
                fix_inline(line)
            };
            let line = fixed.as_ref();
            let after_block = previous_blank || (i > 0 && is_atx_heading(lines[i - 1]));
            if after_block && !in_code && is_lone_inline_tag(line) {
                // marked never starts an HTML block with an inline tag
                // (`block._tag` excludes a, em, ..., span, br, img): keep
                // CommonMark from opening one.
                out.push(INERT);
            }
            if !previous_blank
                && !in_code
                && line.trim_start().starts_with("<!--")
                && continues_paragraph(lines[i - 1])
            {
                // marked's `block.paragraph` stops only before a block tag
                // (`'<' + block._tag`, a word: not `<!--`), so a comment
                // line goes on with the paragraph (or the item's text);
                // CommonMark would start an HTML block there.
                out.push(INERT);
                if list_open && is_lone_comment(line) {
                    // In a list item marked reads the line as an `html`
                    // token of its own (`block.html`: `^ *(?:comment
                    // *(?:\n|\s*$)|...)`, which takes the line break too),
                    // between `text` tokens that Parser.tok
                    // (`list_item_start`) joins with nothing: `<li>a<!-- c
                    // -->b</li>`. [`GLUED`] asks the renderer to drop the
                    // line breaks around it.
                    out.push(INERT);
                }
            }
            if !in_code && let Some(close) = raw_html_start(line) {
                raw = Some(close);
            }
            if !in_code && raw.is_none() && html.block_tag_line(&lines, i, line, &mut out) {
                i += 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            }
            if !in_code && table_row_in_text(&lines, i, list_open && indent > 0) {
                // An [`INERT`] character keeps this row from being a
                // delimiter row (in a paragraph, or in the HTML block
                // CommonMark may read there, the writer drops it).
                push_inert_at(&mut out, line, line.find('|').unwrap_or(0));
                i += 1;
                if i < lines.len() {
                    out.push('\n');
                }
                continue;
            }
            push_text_line(&mut out, line, !in_code);
        }
        i += 1;
        if i < lines.len() {
            out.push('\n');
        }
    }
    out
}

/// Whether a comment line after `previous` (not blank) is in the same
/// paragraph for marked: `previous` is text, not a heading, a fence, a
/// quote, a table row or HTML, which end or are not paragraphs.
fn continues_paragraph(previous: &str) -> bool {
    let t = previous.trim_start_matches(' ');
    !(is_atx_heading(previous)
        || fence_opening(previous).is_some()
        || t.starts_with(['<', '>', '|'])
        || previous.len() - t.len() >= 4)
}

/// `line` with [`INERT`] at byte `at` (a character boundary: the end of
/// its indentation, or an ASCII character's place).
fn push_inert_at(out: &mut String, line: &str, at: usize) {
    out.push_str(&line[..at]);
    out.push(INERT);
    out.push_str(&line[at..]);
}

/// The HTML blocks of one text as marked reads them, and what CommonMark
/// must be kept from reading otherwise ([`prepare_mapped`]).
#[derive(Default)]
struct HtmlBlocks {
    /// The last line of an HTML block marked reads (`block.html`).
    until: Option<usize>,
    /// The last line of such a block that CommonMark reads as an HTML
    /// block too, kept as written.
    verbatim_until: Option<usize>,
    /// Where marked could close one, found on first need.
    closes: Option<TagCloses>,
}

impl HtmlBlocks {
    /// Whether line `i` is in a block kept as written.
    fn verbatim(&self, i: usize) -> bool {
        self.verbatim_until.is_some_and(|end| i <= end)
    }

    /// A line of a block kept as written. marked's HTML block runs over
    /// blank lines to its closing tag; CommonMark's ends at the first one:
    /// an inert line keeps it open (the writer drops the character).
    fn push_verbatim(out: &mut String, line: &str) {
        if line.trim().is_empty() {
            out.push(INERT);
        } else {
            out.push_str(line);
        }
    }

    /// Writes `line` (line `i` of `lines`, its inline fixes made) when it
    /// starts with a block tag and marked and CommonMark would read it
    /// differently; false when it is left to the caller.
    fn block_tag_line(&mut self, lines: &[&str], i: usize, line: &str, out: &mut String) -> bool {
        if self.until.is_some_and(|end| i <= end) {
            return false;
        }
        let Some(tag) = block_tag_start(line) else {
            return false;
        };
        let closes = self.closes.get_or_insert_with(|| TagCloses::new(lines));
        let end = if tag.closing {
            None
        } else {
            marked_html_end(lines, i, tag.name, closes)
        };
        match end {
            Some(end) if tag.commonmark_block => {
                // An HTML block for both: kept as written.
                self.until = Some(end);
                self.verbatim_until = Some(end);
                out.push_str(line);
                true
            }
            Some(end) => {
                self.until = Some(end);
                false
            }
            None => {
                // marked reads no HTML block here (`block.html`: `^
                // *(?:comment|closed|closing) *(?:\n{2,}|\s*$)`, a closed
                // element or a lone opening tag followed by a blank line,
                // never a closing tag): the line is paragraph text, its tags
                // inline, and the Markdown after it is read. CommonMark
                // would start an HTML block there and keep the lines up to
                // the next blank one as they are: [`INERT`] after the
                // indentation keeps it from doing so.
                push_inert_at(out, line, line.len() - line.trim_start().len());
                true
            }
        }
    }
}

/// Whether line `i` is a table's delimiter row that marked reads as text:
/// marked reads a table only where a block starts, at the top level
/// (`block.nptable`, `block.table`: `if (top && ...)`, lib/marked.js
/// `Lexer.token`). Its `block.paragraph` runs on over a table's lines (it
/// stops before a heading, hr, quote, tag or definition, not a table), and
/// a list item's text (`in_item`) is lexed with `top` false. GFM lets a
/// table interrupt a paragraph.
fn table_row_in_text(lines: &[&str], i: usize, in_item: bool) -> bool {
    let (Some(line), Some(header)) = (lines.get(i), i.checked_sub(1).and_then(|h| lines.get(h)))
    else {
        return false;
    };
    is_delimiter_row(line) && header.contains('|') && (in_item || in_paragraph(lines, i - 1))
}

/// marked's inline tags: `block._tag` is any other word (`(?!(?:a|em|...|img)\b)\w+`),
/// and a block that starts with one of these is a paragraph.
const MARKED_INLINE_TAGS: &[&str] = &[
    "a", "em", "strong", "small", "s", "cite", "q", "dfn", "abbr", "data", "time", "code", "var",
    "samp", "kbd", "sub", "sup", "i", "b", "u", "mark", "ruby", "rt", "rp", "bdi", "bdo", "span",
    "br", "wbr", "ins", "del", "img",
];

/// A line that starts with a tag of marked's `block._tag` (not an inline
/// tag, not `pre`, `script`, `style` or `textarea`, whose text is raw:
/// [`raw_html_start`]).
struct BlockTag<'a> {
    name: &'a str,
    closing: bool,
    /// CommonMark starts an HTML block of type 6 here (spec 4.6: one of
    /// its block tag names, then a space, a tab, the line's end, `>` or
    /// `/>`), which ends at a blank line.
    commonmark_block: bool,
}

fn block_tag_start(line: &str) -> Option<BlockTag<'_>> {
    let t = line.trim_start_matches(' ').strip_prefix('<')?;
    let (closing, t) = match t.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (false, t),
    };
    let len = t
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    let name = &t[..len];
    let lower = name.to_ascii_lowercase();
    let raw = RAW_TAGS.iter().any(|(raw, _)| *raw == lower);
    // `(?!:/|[^\w\s@]*@)`: not an autolink.
    let after = &t[len..];
    let link = after.starts_with(":/")
        || after
            .split(|c: char| c.is_alphanumeric() || c == '_' || c.is_whitespace())
            .next()
            .is_some_and(|run| run.contains('@'));
    let commonmark_block = BLOCK_TAGS.contains(&lower.as_str())
        && (after.is_empty() || after.starts_with([' ', '\t', '>']) || after.starts_with("/>"));
    (len > 0 && !raw && !link && !MARKED_INLINE_TAGS.contains(&lower.as_str())).then_some(
        BlockTag {
            name,
            closing,
            commonmark_block,
        },
    )
}

/// Where marked could end an HTML block: each `</name>` that only spaces
/// follow on its line, with a blank line (`\n{2,}`) or nothing but blanks
/// (`\s*$`) after it, by tag name, in order. Found in one pass, so that
/// many tags cost no more than one.
struct TagCloses {
    by_name: std::collections::HashMap<String, Vec<(usize, usize)>>,
    /// The last line that is not blank.
    last_text: Option<usize>,
}

impl TagCloses {
    fn new(lines: &[&str]) -> TagCloses {
        let last_text = lines.iter().rposition(|l| !l.trim().is_empty());
        let mut by_name: std::collections::HashMap<String, Vec<(usize, usize)>> =
            std::collections::HashMap::new();
        for (k, line) in lines.iter().enumerate() {
            let ends_block = lines.get(k + 1).is_none_or(|next| next.is_empty())
                || last_text.is_none_or(|last| k >= last);
            if !ends_block {
                continue;
            }
            let Some(at) = line.rfind("</") else {
                continue;
            };
            let Some(inner) = line[at + 2..].trim_end_matches(' ').strip_suffix('>') else {
                continue;
            };
            if !inner.is_empty()
                && inner
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                by_name.entry(inner.to_owned()).or_default().push((k, at));
            }
        }
        TagCloses { by_name, last_text }
    }

    /// The first close of `name` after column `col` of line `line`.
    fn after(&self, name: &str, line: usize, col: usize) -> Option<usize> {
        let list = self.by_name.get(name)?;
        let first = list.partition_point(|&(k, c)| (k, c) <= (line, col));
        list.get(first).map(|&(k, _)| k)
    }
}

/// The last line of the HTML block marked reads from line `at`, which opens
/// `name`, if it reads one (lib/marked.js `block.html`: `closed`,
/// `<(tag)[\s\S]+?<\/\1>`, or `closing`, the opening tag alone, either one
/// followed by spaces and a blank line or the end of the text).
fn marked_html_end(lines: &[&str], at: usize, name: &str, closes: &TagCloses) -> Option<usize> {
    let line = lines.get(at)?;
    let open = line.find('<')?;
    // `[\s\S]+?`: the close starts at least a character after `<name`.
    let body = open + 1 + name.len();
    if let Some(end) = closes.after(name, at, body) {
        return Some(end);
    }
    // `closing`: `<tag(?:"[^"]*"|'[^']*'|[^'">])*?>`, then only spaces.
    let mut quote = None;
    let mut end = None;
    for (k, c) in line[body..].char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '>') => {
                end = Some(body + k + 1);
                break;
            }
            _ => {}
        }
    }
    let alone = end.is_some_and(|e| line[e..].trim_matches(' ').is_empty());
    let then_blank = lines.get(at + 1).is_none_or(|next| next.is_empty())
        || closes.last_text.is_none_or(|last| at >= last);
    (alone && then_blank).then_some(at)
}

/// A table's delimiter row as marked reads one (`block.nptable`'s
/// `[-:]+ *\|[-| :]*`, `block.table`'s `\|( *[-:]+[-| :]*)`): dashes,
/// colons, spaces and at least one `|`.
fn is_delimiter_row(line: &str) -> bool {
    let t = line.trim();
    t.contains('|') && t.contains('-') && t.bytes().all(|b| matches!(b, b'-' | b':' | b'|' | b' '))
}

/// Whether line `at` is in a paragraph for marked: the line before it is
/// paragraph text too. Not when it is blank, a heading, a rule or setext
/// underline, a fence, a quote, a table row or indented code; a line that
/// starts with a tag or a comment is paragraph text when a line follows it
/// (remark's marked: `block.html` is `^ *(?:comment|closed|closing)
/// *(?:\n{2,}|\s*$)`, a blank line after it, and its `closed` and
/// `closing` never start with an inline tag).
fn in_paragraph(lines: &[&str], at: usize) -> bool {
    let Some(previous) = at.checked_sub(1).and_then(|p| lines.get(p)) else {
        return false;
    };
    let t = previous.trim();
    let rule = t.len() >= 3
        && ['-', '*', '_', '=']
            .iter()
            .any(|&c| t.starts_with(c) && t.chars().all(|x| x == c || x == ' '));
    let tag = t.starts_with('<') && previous.len() - previous.trim_start().len() < 4;
    !t.is_empty() && !rule && (tag || continues_paragraph(previous))
}

/// Whether marked reads `tag` (`<...>`) as an autolink, which it tries
/// before a tag (`inline.autolink`: `^<([^ >]+(@|:\/)[^ >]+)>`,
/// lib/marked.js): `<https://x.org>`, `<a@b.c>`; a tag with a URL in an
/// attribute is not one (it has a space).
fn is_marked_autolink(tag: &str) -> bool {
    let inner = &tag[1..tag.len().saturating_sub(1).max(1)];
    !inner.contains([' ', '>']) && (inner.contains('@') || inner.contains(":/"))
}

/// `<!-- ... -->` and nothing else on the line (spaces aside).
fn is_lone_comment(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("<!--") && t.find("-->").is_some_and(|end| end + 3 == t.len())
}

fn next_nonblank<'a>(lines: &[&'a str], at: usize) -> Option<&'a str> {
    lines[at..].iter().copied().find(|l| !l.trim().is_empty())
}

/// Width of a list item's marker and the spaces after it (at most 4, as
/// CommonMark counts them).
fn item_marker_width(t: &str) -> usize {
    let marker = t.find(' ').unwrap_or(1);
    let spaces = t[marker..].len() - t[marker..].trim_start_matches(' ').len();
    marker + spaces.clamp(1, 4)
}

fn is_atx_heading(line: &str) -> bool {
    let t = line.trim_start_matches(' ');
    line.len() - t.len() < 4 && {
        let hashes = t.bytes().take_while(|&b| b == b'#').count();
        (1..=6).contains(&hashes) && t.len() > hashes
    }
}

/// The elements whose text is raw (CommonMark HTML blocks of type 1,
/// marked's `pre`), with their closing tag.
const RAW_TAGS: [(&str, &str); 4] = [
    ("pre", "</pre>"),
    ("style", "</style>"),
    ("script", "</script>"),
    ("textarea", "</textarea>"),
];

/// `<pre>`, `<style>`, `<script>` or `<textarea>` opening a line whose
/// element does not close on it: the closing tag to wait for. Markdown is
/// not applied inside (CommonMark HTML blocks of type 1; marked's `pre`).
fn raw_html_start(line: &str) -> Option<&'static str> {
    let t = line.trim_start();
    if !t.starts_with('<') {
        return None;
    }
    let t = t.to_ascii_lowercase();
    for (name, close) in RAW_TAGS {
        let Some(rest) = t[1..].strip_prefix(name) else {
            continue;
        };
        if rest.is_empty() || rest.starts_with([' ', '>', '\t']) {
            return (!t.contains(close)).then_some(close);
        }
    }
    None
}

/// Inline rewrites of one text line, outside code spans:
/// - a backslash before punctuation that marked does not escape is kept
///   (marked GFM `inline.escape`: `^\\([\\`*{}\[\]()#+\-.!_>~|])`,
///   lib/marked.js; CommonMark escapes all ASCII punctuation), and so is
///   one that ends the line (a hard line break in CommonMark);
/// - a lone `~` is text (marked strikes through with `~~` only);
/// - an HTML tag that a browser accepts but CommonMark does not (stray
///   commas, `/ >`) is rewritten as the browser reads it (marked's
///   `inline.tag`: `^<\/?\w+(?:"[^"]*"|'[^']*'|[^'">])*?>` takes it whole);
/// - a `_` right after a letter or digit that marked opens emphasis with
///   ([`Scans::em_close`]; CommonMark never opens there) and its closing
///   `_` become `<em>` and `</em>`: `snake_case_ x`, `$x_{1} + y_{2}$`.
pub fn fix_inline(line: &str) -> std::borrow::Cow<'_, str> {
    if !line.contains(['\\', '<', '_', '~']) {
        return std::borrow::Cow::Borrowed(line);
    }
    let b = line.as_bytes();
    let mut scans = Scans::new(b);
    let mut out = String::with_capacity(line.len() + 8);
    let mut last = 0;
    let mut p = 0;
    // The `_` that closes the emphasis opened with `<em>`.
    let mut em_close: Option<usize> = None;
    // The closing `_` of an emphasis left as written (opened after a space
    // or punctuation, where CommonMark opens one too).
    let mut em_until: Option<usize> = None;
    while p < b.len() {
        if em_close == Some(p) {
            out.push_str(&line[last..p]);
            out.push_str("</em>");
            em_close = None;
            p += 1;
            last = p;
            continue;
        }
        match b[p] {
            b'_' => {
                let run = b[p..].iter().take_while(|&&c| c == b'_').count();
                let intraword = line[..p]
                    .chars()
                    .next_back()
                    .is_some_and(char::is_alphanumeric);
                if em_until.is_some_and(|until| p <= until) {
                    // Inside an emphasis marked opened where CommonMark
                    // does too: its `_`s are CommonMark's to read.
                } else if run == 1
                    && em_close.is_none()
                    && let Some(close) = scans.em_close(p)
                {
                    if intraword {
                        out.push_str(&line[last..p]);
                        out.push_str("<em>");
                        em_close = Some(close);
                        last = p + 1;
                    } else {
                        em_until = Some(close);
                    }
                }
                // The closing `_` may end a run (`x_a ___ b`).
                p = match em_close {
                    Some(close) if close > p && close < p + run => close,
                    _ => p + run,
                };
            }
            b']' if b.get(p + 1) == Some(&b'(') => {
                // A link's destination is marked's `inline.link` whole.
                p = b[p..]
                    .iter()
                    .position(|&c| c == b')')
                    .map_or(b.len(), |e| p + e + 1);
            }
            b':' if b[p..].starts_with(b"://") => {
                // A URL (marked's `inline.gfm.url`, or an autolink) runs to
                // the next space or `<`.
                p = b[p..]
                    .iter()
                    .position(|&c| c.is_ascii_whitespace() || c == b'<')
                    .map_or(b.len(), |e| p + e);
            }
            b'`' => {
                let run = b[p..].iter().take_while(|&&c| c == b'`').count();
                match scans.closing_backticks(p + run, run) {
                    Some(end) => p = end,
                    None => p += run,
                }
            }
            b'\\' => {
                let Some(&next) = b.get(p + 1) else {
                    // A backslash ending a line is a hard line break in
                    // CommonMark; marked has none (`inline.br` is two
                    // spaces, `inline.escape` takes no newline): the
                    // backslash shows.
                    out.push_str(&line[last..p]);
                    out.push_str("\\\\");
                    last = p + 1;
                    break;
                };
                if next.is_ascii_punctuation() && !MARKED_ESCAPES.contains(&next) {
                    out.push_str(&line[last..p]);
                    out.push_str("\\\\");
                    last = p + 1;
                }
                p += 2;
            }
            b'~' => {
                let run = b[p..].iter().take_while(|&&c| c == b'~').count();
                if run == 1 {
                    // marked strikes through with `~~` only (GFM
                    // `inline.del`: `^~~(?=\S)([\s\S]*?\S)~~`); GFM's
                    // strikethrough today also takes one `~`.
                    out.push_str(&line[last..p]);
                    out.push_str("\\~");
                    last = p + 1;
                }
                p += run;
            }
            b'<' if b.get(p + 1).is_some_and(|c| c.is_ascii_alphabetic()) => {
                match scans.tag_end(p) {
                    Some(end) => {
                        let tag = &line[p..end];
                        if !is_commonmark_tag(tag)
                            && !is_marked_autolink(tag)
                            && let Some(fixed) = browser_tag(tag)
                        {
                            out.push_str(&line[last..p]);
                            out.push_str(&fixed);
                            last = end;
                        }
                        p = end;
                    }
                    None => p += 1,
                }
            }
            _ => p += 1,
        }
    }
    if last == 0 || em_close.is_some() {
        return std::borrow::Cow::Borrowed(line);
    }
    out.push_str(&line[last..]);
    std::borrow::Cow::Owned(out)
}

/// Characters marked (GFM) treats as escaped after a backslash.
const MARKED_ESCAPES: &[u8] = b"\\`*{}[]()#+-.!_>~|";

/// The forward searches [`fix_inline`] makes on one line, each answer
/// that found nothing remembered so that no stretch of the line is
/// searched twice in vain. marked's own rules (`inline.em`'s lazy
/// `[\s\S]+?`, `inline.code`, `inline.tag`) are regular expressions tried
/// again at every `_`, backtick and `<`, which costs the square of the
/// line's length when they fail (600 kB of `*a _b ` took 56 s); each search
/// here is a walk whose every step depends only on where it stands, so a
/// walk that reaches a place a failed walk went through fails too.
struct Scans<'a> {
    b: &'a [u8],
    /// By length of backtick run: the earliest place a search for a run of
    /// that length found none after. A search from later on sees a subset
    /// of the same whole runs (each starts past a whole run or a
    /// non-backtick), so it finds none either.
    no_run_after: Vec<(usize, usize)>,
    /// Places a failed [`Scans::tag_end`] walk went through (empty until
    /// one fails).
    tag_dead: Vec<bool>,
    /// Places a failed [`Scans::em_close`] walk went through having taken
    /// a character (empty until one fails).
    em_dead: Vec<bool>,
    /// Places walked in all, for the tests.
    #[cfg(test)]
    steps: usize,
    /// False: nothing is remembered (the tests' plain walks, what each
    /// answer must be).
    #[cfg(test)]
    remember: bool,
}

impl<'a> Scans<'a> {
    fn new(b: &'a [u8]) -> Self {
        Scans {
            b,
            no_run_after: Vec::new(),
            tag_dead: Vec::new(),
            em_dead: Vec::new(),
            #[cfg(test)]
            steps: 0,
            #[cfg(test)]
            remember: true,
        }
    }

    /// Whether answers that found nothing are kept.
    fn remembers(&self) -> bool {
        #[cfg(test)]
        {
            self.remember
        }
        #[cfg(not(test))]
        {
            true
        }
    }

    /// Where marked's `inline.em` (`^\b_((?:__|[\s\S])+?)_\b`, lib/marked.js
    /// as remark 0.14 bundles it) closes the emphasis opened by the `_` at
    /// `open`: the first `_` after at least one character (a `__` counting as
    /// one) that no word character (`\w`) follows. marked tries it at every
    /// `_` (`inline.text` stops before each one) and the `\b` before the
    /// opening `_` always holds at the start of what is left. Looked for on
    /// the line only, over code spans and tags as the caller skips them; a link
    /// destination or a URL on the way (`](`, `://`) stops the search.
    fn em_close(&mut self, open: usize) -> Option<usize> {
        let word = |c: &u8| c.is_ascii_alphanumeric() || *c == b'_';
        let b = self.b;
        let mut k = open + 1;
        let mut taken = false;
        // The places this walk stood on having taken a character: dead
        // places if it fails.
        let mut walked = Vec::new();
        let found = loop {
            if k >= b.len() {
                break None;
            }
            if taken {
                if self.em_dead.get(k) == Some(&true) {
                    break None;
                }
                walked.push(k);
                if b[k] == b'_' && !b.get(k + 1).is_some_and(word) {
                    break Some(k);
                }
            }
            match b[k] {
                b'`' => {
                    let run = b[k..].iter().take_while(|&&c| c == b'`').count();
                    k = self.closing_backticks(k + run, run).unwrap_or(k + run);
                }
                b'<' if b.get(k + 1).is_some_and(|c| c.is_ascii_alphabetic()) => {
                    k = self.tag_end(k).unwrap_or(k + 1);
                }
                b'\\' => k += 2,
                b']' if b.get(k + 1) == Some(&b'(') => break None,
                b':' if b[k..].starts_with(b"://") => break None,
                b'_' if b.get(k + 1) == Some(&b'_') => k += 2,
                _ => k += 1,
            }
            taken = true;
        };
        #[cfg(test)]
        {
            self.steps += walked.len();
        }
        if found.is_none() && self.remembers() {
            mark_dead(&mut self.em_dead, b.len(), &walked);
        }
        found
    }

    /// End of the code span opened by `run` backticks ending at `from`.
    fn closing_backticks(&mut self, from: usize, run: usize) -> Option<usize> {
        if self
            .no_run_after
            .iter()
            .any(|&(len, after)| len == run && after <= from)
        {
            return None;
        }
        let b = self.b;
        let mut q = from;
        while q < b.len() {
            if b[q] == b'`' {
                let n = b[q..].iter().take_while(|&&c| c == b'`').count();
                if n == run {
                    return Some(q + n);
                }
                q += n;
            } else {
                q += 1;
            }
        }
        #[cfg(test)]
        {
            self.steps += q - from;
        }
        if !self.remembers() {
            return None;
        }
        match self.no_run_after.iter_mut().find(|(len, _)| *len == run) {
            Some((_, after)) => *after = (*after).min(from),
            None => self.no_run_after.push((run, from)),
        }
        None
    }

    /// End (exclusive) of marked's `inline.tag` match starting at `start`.
    fn tag_end(&mut self, start: usize) -> Option<usize> {
        let b = self.b;
        let mut q = start + 1;
        while q < b.len() && (b[q].is_ascii_alphanumeric() || b[q] == b'_') {
            q += 1;
        }
        let mut walked = Vec::new();
        let found = loop {
            if q >= b.len() || self.tag_dead.get(q) == Some(&true) {
                break None;
            }
            walked.push(q);
            match b[q] {
                b'>' => break Some(q + 1),
                quote @ (b'"' | b'\'') => match b[q + 1..].iter().position(|&c| c == quote) {
                    Some(close) => q += close + 2,
                    None => break None,
                },
                _ => q += 1,
            }
        };
        #[cfg(test)]
        {
            self.steps += walked.len();
        }
        if found.is_none() && self.remembers() {
            mark_dead(&mut self.tag_dead, b.len(), &walked);
        }
        found
    }
}

/// Marks `places` in `dead`, made as long as the line on first use.
fn mark_dead(dead: &mut Vec<bool>, len: usize, places: &[usize]) {
    if dead.is_empty() {
        dead.resize(len, false);
    }
    for &at in places {
        if let Some(d) = dead.get_mut(at) {
            *d = true;
        }
    }
}

/// Whether CommonMark reads `tag` as an open tag (spec 6.6 "Raw HTML").
fn is_commonmark_tag(tag: &str) -> bool {
    let b = tag.as_bytes();
    let mut q = 1;
    while q < b.len() && (b[q].is_ascii_alphanumeric() || b[q] == b'-') {
        q += 1;
    }
    loop {
        let ws = b[q..]
            .iter()
            .take_while(|c| c.is_ascii_whitespace())
            .count();
        q += ws;
        match b.get(q) {
            Some(b'>') => return q + 1 == b.len(),
            Some(b'/') => return b.get(q + 1) == Some(&b'>') && q + 2 == b.len(),
            Some(c) if ws > 0 && (c.is_ascii_alphabetic() || *c == b'_' || *c == b':') => {
                while q < b.len() && (b[q].is_ascii_alphanumeric() || b"_.:-".contains(&b[q])) {
                    q += 1;
                }
                let save = q;
                let ws2 = b[q..]
                    .iter()
                    .take_while(|c| c.is_ascii_whitespace())
                    .count();
                if b.get(q + ws2) == Some(&b'=') {
                    q += ws2 + 1;
                    q += b[q..]
                        .iter()
                        .take_while(|c| c.is_ascii_whitespace())
                        .count();
                    match b.get(q) {
                        Some(&quote @ (b'"' | b'\'')) => {
                            let Some(close) = b[q + 1..].iter().position(|&c| c == quote) else {
                                return false;
                            };
                            q += close + 2;
                        }
                        Some(_) => {
                            let n = b[q..]
                                .iter()
                                .take_while(|c| !c.is_ascii_whitespace() && !b"\"'=<>`".contains(c))
                                .count();
                            if n == 0 {
                                return false;
                            }
                            q += n;
                        }
                        None => return false,
                    }
                } else {
                    q = save;
                }
            }
            _ => return false,
        }
    }
}

/// An open tag as a browser's tokenizer reads it, written so that CommonMark
/// accepts it: attribute names and values kept, stray characters (`,`, a `/`
/// not right before `>`) dropped.
fn browser_tag(tag: &str) -> Option<String> {
    let inner = tag.strip_prefix('<')?.strip_suffix('>')?;
    let name_len = inner
        .bytes()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == b'-')
        .count();
    let (name, mut rest) = inner.split_at(name_len);
    let self_closing = rest.trim_end().ends_with('/');
    let mut out = format!("<{name}");
    loop {
        rest = rest.trim_start_matches(|c: char| c.is_ascii_whitespace() || c == ',' || c == '/');
        if rest.is_empty() {
            break;
        }
        let n = rest
            .find(|c: char| c.is_ascii_whitespace() || c == '=' || c == ',' || c == '/')
            .unwrap_or(rest.len());
        let attr = &rest[..n];
        rest = &rest[n..];
        let valid = attr
            .bytes()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == b'_' || c == b':')
            && attr
                .bytes()
                .all(|c| c.is_ascii_alphanumeric() || b"_.:-".contains(&c));
        let after = rest.trim_start();
        let value = if let Some(v) = after.strip_prefix('=') {
            let v = v.trim_start();
            let (value, remaining) = match v.as_bytes().first() {
                Some(&q @ (b'"' | b'\'')) => {
                    let close = v[1..].find(q as char)? + 1;
                    (&v[..=close], &v[close + 1..])
                }
                _ => {
                    let n = v
                        .find(|c: char| c.is_ascii_whitespace() || c == '>')
                        .unwrap_or(v.len());
                    (&v[..n], &v[n..])
                }
            };
            rest = remaining;
            Some(value)
        } else {
            None
        };
        if n == 0 {
            // A lone `=`: skip it.
            rest = &rest[rest.len().min(1)..];
            continue;
        }
        if valid {
            out.push(' ');
            out.push_str(attr);
            if let Some(v) = value {
                out.push('=');
                if v.starts_with(['"', '\'']) {
                    out.push_str(v);
                } else if v.contains('"') && !v.contains('\'') {
                    // An unquoted value keeps the quotes in it (HTML
                    // "attribute value (unquoted) state": `"` is a parse
                    // error, appended): `target=_"blank"` is `_"blank"`.
                    out.push('\'');
                    out.push_str(v);
                    out.push('\'');
                } else {
                    out.push('"');
                    out.push_str(&v.replace('"', "&quot;"));
                    out.push('"');
                }
            }
        }
    }
    out.push_str(if self_closing { " />" } else { ">" });
    Some(out)
}

/// marked (pedantic) `block.heading`: `^ *(#{1,6}) *([^\n]+?) *#* *(?:\n+|$)`
/// (lib/marked.js): no space is needed after the hashes. The space
/// CommonMark needs, when missing.
fn heading_space(line: &str) -> Option<(usize, usize)> {
    let t = line.trim_start_matches(' ');
    let indent = line.len() - t.len();
    if indent >= 4 {
        return None;
    }
    let hashes = t.bytes().take_while(|&b| b == b'#').count();
    if !(1..=6).contains(&hashes) {
        return None;
    }
    let next = t[hashes..].chars().next()?;
    (!next.is_whitespace()).then_some((indent, hashes))
}

pub struct Opening<'a> {
    pub indent: usize,
    /// The full run of fence characters.
    pub run: &'a str,
    pub info: &'a str,
}

/// ` *(`{3,}|~{3,})[ .]*(\S+)? *` alone on a line.
pub fn fence_opening(line: &str) -> Option<Opening<'_>> {
    let trimmed = line.trim_start_matches(' ');
    let indent = line.len() - trimmed.len();
    let c = trimmed.chars().next()?;
    if c != '`' && c != '~' {
        return None;
    }
    let run_len = trimmed.len() - trimmed.trim_start_matches(c).len();
    if run_len < 3 {
        return None;
    }
    let rest = trimmed[run_len..].trim_start_matches([' ', '.']);
    let info = rest.trim_end_matches(' ');
    if info.contains(' ') {
        return None;
    }
    Some(Opening {
        indent,
        run: &trimmed[..run_len],
        info,
    })
}

/// Where each fence-only line is (`` ``` ``, `~~~~`...): looking for a
/// closing fence is then a lookup, not a scan of the rest of the text (a
/// deck of unclosed fences stays linear).
pub struct FenceIndex<'a> {
    lines: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> FenceIndex<'a> {
    pub fn new(lines: &[&'a str]) -> Self {
        let mut map: std::collections::HashMap<&'a str, Vec<usize>> =
            std::collections::HashMap::new();
        for (j, line) in lines.iter().enumerate() {
            let t = line.trim();
            if t.len() >= 3 && (t.bytes().all(|b| b == b'`') || t.bytes().all(|b| b == b'~')) {
                map.entry(t).or_default().push(j);
            }
        }
        FenceIndex { lines: map }
    }

    /// The first line after `after` holding exactly `fence`.
    fn first_after(&self, fence: &str, after: usize) -> Option<usize> {
        let list = self.lines.get(fence)?;
        let k = list.partition_point(|&j| j <= after);
        list.get(k).copied()
    }
}

/// The first later line holding only the fence (leading spaces allowed),
/// trying the longest fence first as marked's regex does.
pub fn closing_fence<'a>(
    index: &FenceIndex,
    open: usize,
    o: &Opening<'a>,
) -> Option<(usize, &'a str)> {
    for len in (3..=o.run.len()).rev() {
        let fence = &o.run[..len];
        // With a shorter fence, the extra fence characters became the info.
        let Some(mut j) = index.first_after(fence, open) else {
            continue;
        };
        // marked needs at least one character of content.
        if j == open + 1 && len == o.run.len() {
            match index.first_after(fence, j) {
                Some(next) => j = next,
                None => continue,
            }
        }
        return Some((j, fence));
    }
    None
}

/// The fenced blocks of `lines` as marked reads them: (opening line,
/// closing line) pairs. This is the one fence recogniser of labdeck
/// (rendering, exercises, `run` and `lint` use it; remark's own lexer, which
/// only decides where slides split, has its own rule in `remark::lexer`). A
/// fence may open on a list item's line (`- ```bash`).
pub fn fenced_blocks(lines: &[&str]) -> Vec<(usize, usize)> {
    let index = FenceIndex::new(lines);
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some(open) = fence_opening(strip_list_marker(lines[i]))
            && let Some((close, _)) = closing_fence(&index, i, &open)
        {
            out.push((i, close));
            i = close + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// The line without a leading list marker (`- `, `* `, `+ `, `1. `).
pub fn strip_list_marker(line: &str) -> &str {
    let t = line.trim_start_matches(' ');
    let b = t.as_bytes();
    let marker = if matches!(b.first(), Some(b'-' | b'*' | b'+')) {
        1
    } else {
        let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
        if digits > 0 && b.get(digits) == Some(&b'.') {
            digits + 1
        } else {
            return line;
        }
    };
    match t[marker..].strip_prefix(' ') {
        Some(rest) => rest,
        None => line,
    }
}

/// Whether the line at `at` (indented by `indent`) sits in a list item: the
/// closest less indented non-blank line before it starts a list item.
fn in_list(lines: &[&str], at: usize, indent: usize) -> bool {
    for line in lines[..at].iter().rev() {
        if line.trim().is_empty() {
            continue;
        }
        let t = line.trim_start_matches(' ');
        if line.len() - t.len() < indent {
            return is_list_item(t);
        }
    }
    false
}

/// Content indent of the list item whose text runs, without a blank line,
/// down to the line before `at`.
fn item_indent_before(lines: &[&str], at: usize) -> Option<usize> {
    for line in lines[..at].iter().rev() {
        if line.trim().is_empty() {
            return None;
        }
        let t = line.trim_start_matches(' ');
        if is_list_item(t) {
            let indent = line.len() - t.len();
            let marker = t.find(' ').unwrap_or(1);
            let spaces = t[marker..].len() - t[marker..].trim_start_matches(' ').len();
            return Some(indent + marker + spaces.clamp(1, 4));
        }
        if fence_opening(line).is_some() {
            return None;
        }
    }
    None
}

/// Block-level tag names (CommonMark HTML blocks of type 6 behave differently).
const BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "base",
    "basefont",
    "blockquote",
    "body",
    "caption",
    "center",
    "col",
    "colgroup",
    "dd",
    "details",
    "dialog",
    "dir",
    "div",
    "dl",
    "dt",
    "fieldset",
    "figcaption",
    "figure",
    "footer",
    "form",
    "frame",
    "frameset",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "legend",
    "li",
    "link",
    "main",
    "menu",
    "menuitem",
    "nav",
    "noframes",
    "ol",
    "optgroup",
    "option",
    "p",
    "param",
    "search",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "title",
    "tr",
    "track",
    "ul",
    "script",
    "pre",
    "style",
    "textarea",
];

/// A line that is one non-block HTML tag (`<br/>`, `<img ...>`, `</span>`).
fn is_lone_inline_tag(line: &str) -> bool {
    let t = line.trim();
    let Some(inner) = t.strip_prefix('<').and_then(|r| r.strip_suffix('>')) else {
        return false;
    };
    if inner.contains(['<', '>']) {
        return false;
    }
    let name: String = inner
        .trim_start_matches('/')
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
        .collect::<String>()
        .to_ascii_lowercase();
    !name.is_empty()
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && !BLOCK_TAGS.contains(&name.as_str())
}

fn is_list_item(t: &str) -> bool {
    let b = t.as_bytes();
    if matches!(b.first(), Some(b'-' | b'*' | b'+')) && b.get(1) == Some(&b' ') {
        return true;
    }
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    digits > 0 && b.get(digits) == Some(&b'.') && b.get(digits + 1) == Some(&b' ')
}

fn strip_spaces(line: &str, n: usize) -> &str {
    let spaces = line.len() - line.trim_start_matches(' ').len();
    &line[spaces.min(n)..]
}

fn push_text_line(out: &mut String, line: &str, text: bool) {
    let trimmed = line.trim_start_matches(' ');
    let indent = &line[..line.len() - trimmed.len()];
    if text && let Some((at, hashes)) = heading_space(line) {
        out.push_str(&line[..at + hashes]);
        out.push(' ');
        out.push_str(&line[at + hashes..]);
        return;
    }
    // A lone bullet is text for marked.
    if matches!(trimmed.trim_end(), "-" | "*" | "+") {
        out.push_str(indent);
        out.push('\\');
        out.push_str(trimmed);
        return;
    }
    // `1)` is not a list marker for marked.
    let digits = trimmed.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0
        && digits <= 9
        && trimmed.as_bytes().get(digits) == Some(&b')')
        && trimmed
            .as_bytes()
            .get(digits + 1)
            .is_none_or(|b| *b == b' ')
    {
        out.push_str(indent);
        out.push_str(&trimmed[..digits]);
        out.push('\\');
        out.push_str(&trimmed[digits..]);
        return;
    }
    out.push_str(line);
}

/// The Markdown extensions remark's Markdown library had (shared with
/// [`super::displayed`], which must read code blocks exactly as rendered).
pub fn parser_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options
}

/// A fenced block's language: the info string's first word (`.bash` too).
pub fn code_lang(kind: &CodeBlockKind) -> String {
    match kind {
        CodeBlockKind::Fenced(info) => info
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_start_matches('.')
            .to_owned(),
        CodeBlockKind::Indented => String::new(),
    }
}

/// Lines without the indentation they all share, tabs first expanded to
/// four spaces as marked does before anything else: the one dedent for the
/// code a slide shows and the hidden directives a deck writes.
pub fn dedent(lines: &[&str]) -> Vec<String> {
    let lines: Vec<String> = lines.iter().map(|l| l.replace('\t', "    ")).collect();
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start_matches(' ').len())
        .min()
        .unwrap_or(0);
    lines
        .iter()
        .map(|l| {
            l.get(indent..)
                .map_or_else(|| l.trim_start_matches(' ').to_owned(), str::to_owned)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Random lines of the characters the searches look at.
    fn random_line(seed: &mut u64, len: usize) -> Vec<u8> {
        const PARTS: &[&[u8]] = &[
            b"_", b"__", b"a", b" ", b"`", b"``", b"<", b"<b", b">", b"\"", b"'", b"\\", b"](",
            b")", b"://", b"*",
        ];
        let mut s = Vec::new();
        for _ in 0..len {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            s.extend_from_slice(PARTS[(*seed >> 33) as usize % PARTS.len()]);
        }
        s
    }

    #[test]
    fn remembered_searches_answer_as_plain_walks() {
        let mut seed = 355;
        for case in 0..3000 {
            let b = random_line(&mut seed, case % 40);
            // Asked in the order fix_inline asks, and in reverse: what a
            // search remembers must hold for any later question.
            let mut forward = Scans::new(&b);
            let mut backward = Scans::new(&b);
            let mut plain = Scans::new(&b);
            plain.remember = false;
            let places: Vec<usize> = (0..b.len()).collect();
            for (scans, order) in [
                (&mut forward, places.clone()),
                (&mut backward, places.iter().rev().copied().collect()),
            ] {
                for at in order {
                    let line = String::from_utf8_lossy(&b);
                    match b[at] {
                        b'_' => {
                            assert_eq!(scans.em_close(at), plain.em_close(at), "{line:?} at {at}")
                        }
                        b'<' => {
                            assert_eq!(scans.tag_end(at), plain.tag_end(at), "{line:?} at {at}")
                        }
                        b'`' if at == 0 || b[at - 1] != b'`' => {
                            let run = b[at..].iter().take_while(|&&c| c == b'`').count();
                            assert_eq!(
                                scans.closing_backticks(at + run, run),
                                plain.closing_backticks(at + run, run),
                                "{line:?} at {at}"
                            );
                        }
                        _ => {}
                    }
                }
            }
        }
    }

    #[test]
    fn regression_failing_inline_searches_are_not_repeated() {
        // Openers that never close, 10,000 times over: each search used to
        // walk to the end of the line (56 s for 600 kB of `*a _b `). Asked
        // at every place, the searches now walk each place a bounded number
        // of times.
        for unit in ["*a _b ", "`a _b ", "<a _b \"", "_a `` ` ", "_<b ` "] {
            let line = unit.repeat(10_000);
            let b = line.as_bytes();
            let mut scans = Scans::new(b);
            for (at, &c) in b.iter().enumerate() {
                match c {
                    b'_' => {
                        let _ = scans.em_close(at);
                    }
                    b'<' => {
                        let _ = scans.tag_end(at);
                    }
                    b'`' => {
                        let _ = scans.closing_backticks(at + 1, 1);
                    }
                    _ => {}
                }
            }
            assert!(scans.steps < 8 * b.len(), "{unit:?}: {} steps", scans.steps);
            assert!(fix_inline(&line).len() >= line.len());
        }
    }

    #[test]
    fn fences_close_at_the_first_matching_line() {
        assert_eq!(
            prepare("````bash\nx\n```\nafter"),
            "``` bash\nx\n```\nafter"
        );
    }

    #[test]
    fn fence_lines_stay_in_their_list_item() {
        assert_eq!(
            prepare("- a\n\n  ```\nNAME\n    deep\n  ```\n- b"),
            "- a\n\n  ```\n  NAME\n  deep\n  ```\n- b"
        );
    }

    #[test]
    fn lists_end_at_two_blank_lines_and_fences_join_items() {
        assert_eq!(prepare("- a\n\n\n- b"), "- a\n\n\n<!-- -->\n\n- b");
        assert_eq!(
            prepare("- fail:\n```\nError\n```"),
            "- fail:\n  ```\n  Error\n  ```"
        );
        assert_eq!(prepare("<br/>\ntext"), "\u{1b}<br/>\ntext");
        assert_eq!(prepare("<br/>\n\ntext"), "\u{1b}<br/>\n\ntext");
        assert_eq!(prepare("# T\n<br>\n- a"), "# T\n\u{1b}<br>\n- a");
    }

    #[test]
    fn marked_block_rules() {
        // block.heading: no space needed after the hashes.
        assert_eq!(
            prepare("#Title\n##Sub\n####### x"),
            "# Title\n## Sub\n####### x"
        );
        // ...but not inside raw HTML (a CSS id selector).
        assert_eq!(
            prepare("<style>\n#x { color: red }\n</style>"),
            "<style>\n#x { color: red }\n</style>"
        );
        // block.blockquote: blank lines between quoted lines stay inside.
        assert_eq!(prepare("> one\n\n> two"), "> one\n>\n> two");
        // block.item: a list item nests under any less indented one.
        assert_eq!(
            prepare("1. a\n2. b\n  * c\n  * d\n3. e"),
            "1. a\n2. b\n   * c\n   * d\n3. e"
        );
        // Pedantic outdent: 7 spaces under `- ` after a blank line is text.
        assert_eq!(prepare("- a\n\n       *b*"), "- a\n\n  *b*");
        assert_eq!(prepare("- a\n\n        code"), "- a\n\n        code");
    }

    #[test]
    fn marked_inline_rules() {
        assert_eq!(fix_inline("a\\;b \\, \\* `\\;`"), "a\\\\;b \\\\, \\* `\\;`");
        assert_eq!(
            fix_inline("<img src=\"x.png\" , width=\"100px\" / >"),
            "<img src=\"x.png\" width=\"100px\" />"
        );
        assert_eq!(
            fix_inline("<img src=\"y.png\", width=\"50px\"/>"),
            "<img src=\"y.png\" width=\"50px\" />"
        );
        // Valid tags and autolinks are left alone.
        assert_eq!(
            fix_inline("<a href=\"x\">y</a> <https://x.org>"),
            "<a href=\"x\">y</a> <https://x.org>"
        );
    }

    #[test]
    fn marked_list_quirks() {
        assert_eq!(prepare("1) one\n-\n\tx"), "1\\) one\n\\-\n    x");
        assert_eq!(prepare("```\nunclosed"), "\u{1B}```\nunclosed");
    }
}
