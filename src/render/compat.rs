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
//! - `1)` does not start a list, and a line holding only `-`, `*` or `+` is
//!   text, not an empty list item or a heading underline.

/// Rewrites `markdown` (see the module documentation).
pub fn prepare(markdown: &str) -> String {
    let expanded;
    let text = if markdown.contains('\t') {
        expanded = markdown.replace('\t', "    ");
        expanded.as_str()
    } else {
        markdown
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = String::with_capacity(text.len() + 64);
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if let Some(open) = fence_opening(line) {
            if let Some((close, fence)) = closing_fence(&lines, i, &open) {
                let indent = " ".repeat(open.indent);
                let strip = if open.indent > 0 && in_list(&lines, i, open.indent) {
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
            push_text_line(&mut out, line);
        }
        i += 1;
        if i < lines.len() {
            out.push('\n');
        }
    }
    out
}

struct Opening<'a> {
    indent: usize,
    /// The full run of fence characters.
    run: &'a str,
    info: &'a str,
}

/// ` *(`{3,}|~{3,})[ .]*(\S+)? *` alone on a line.
fn fence_opening(line: &str) -> Option<Opening<'_>> {
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

/// The first later line holding only the fence (leading spaces allowed),
/// trying the longest fence first as marked's regex does.
fn closing_fence<'a>(lines: &[&str], open: usize, o: &Opening<'a>) -> Option<(usize, &'a str)> {
    for len in (3..=o.run.len()).rev() {
        let fence = &o.run[..len];
        // With a shorter fence, the extra fence characters became the info.
        for (j, line) in lines.iter().enumerate().skip(open + 1) {
            let t = line.trim();
            if t == fence {
                // marked needs at least one character of content.
                if j > open + 1 || len < o.run.len() {
                    return Some((j, fence));
                }
            }
        }
    }
    None
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
    fn marked_list_quirks() {
        assert_eq!(prepare("1) one\n-\n\tx"), "1\\) one\n\\-\n    x");
        assert_eq!(prepare("```\nunclosed"), "\\```\nunclosed");
    }
}
