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

/// Rewrites `markdown` (see the module documentation).
pub fn prepare(markdown: &str) -> String {
    prepare_mapped(markdown, &mut Vec::new())
}

/// [`prepare`], also listing the input lines before which it inserted two
/// lines (every other output line is the input line of the same rank), so
/// that what the renderer reads can be traced back to the source.
pub(crate) fn prepare_mapped(markdown: &str, inserted: &mut Vec<usize>) -> String {
    let expanded;
    let text = if markdown.contains('\t') {
        expanded = markdown.replace('\t', "    ");
        expanded.as_str()
    } else {
        markdown
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let fences = FenceIndex::new(&lines);
    let mut out = String::with_capacity(text.len() + 64);
    let mut list_open = false;
    let mut blank_run = 0;
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if line.trim().is_empty() {
            blank_run += 1;
        } else {
            if blank_run >= 2 && list_open {
                // marked ends a list at two blank lines; CommonMark needs a
                // block in between to do the same.
                out.push_str("<!-- -->\n\n");
                inserted.push(i);
                list_open = false;
            }
            let trimmed = line.trim_start_matches(' ');
            if is_list_item(trimmed) {
                list_open = true;
            } else if blank_run > 0 && trimmed.len() == line.len() {
                list_open = false;
            }
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
            let trimmed = line.trim_start();
            out.push_str(&line[..line.len() - trimmed.len()]);
            out.push('\\');
            out.push_str(trimmed);
        } else {
            let previous_blank = i == 0 || lines[i - 1].trim().is_empty();
            let next_text = lines.get(i + 1).is_some_and(|l| !l.trim().is_empty());
            if previous_blank && next_text && is_lone_inline_tag(line) {
                // Keep CommonMark from opening an HTML block (marked did not).
                out.push_str("<span></span>");
            }
            push_text_line(&mut out, line);
        }
        i += 1;
        if i < lines.len() {
            out.push('\n');
        }
    }
    out
}

pub(crate) struct Opening<'a> {
    pub indent: usize,
    /// The full run of fence characters.
    pub run: &'a str,
    pub info: &'a str,
}

/// ` *(`{3,}|~{3,})[ .]*(\S+)? *` alone on a line.
pub(crate) fn fence_opening(line: &str) -> Option<Opening<'_>> {
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
pub(crate) struct FenceIndex<'a> {
    lines: std::collections::HashMap<&'a str, Vec<usize>>,
}

impl<'a> FenceIndex<'a> {
    pub(crate) fn new(lines: &[&'a str]) -> Self {
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
pub(crate) fn closing_fence<'a>(
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
pub(crate) fn strip_list_marker(line: &str) -> &str {
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

fn push_text_line(out: &mut String, line: &str) {
    let trimmed = line.trim_start_matches(' ');
    let indent = &line[..line.len() - trimmed.len()];
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

#[cfg(test)]
mod tests {
    use super::*;

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
        assert_eq!(prepare("<br/>\ntext"), "<span></span><br/>\ntext");
        assert_eq!(prepare("<br/>\n\ntext"), "<br/>\n\ntext");
    }

    #[test]
    fn marked_list_quirks() {
        assert_eq!(prepare("1) one\n-\n\tx"), "1\\) one\n\\-\n    x");
        assert_eq!(prepare("```\nunclosed"), "\\```\nunclosed");
    }
}
