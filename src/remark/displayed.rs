//! The code blocks a slide shows, with the text a student reads in them.
//!
//! `labdeck run` must type what students copy, not the Markdown source: the
//! two differ where remark's Markdown library rewrote the block (a fence in
//! a list item loses up to four spaces of indentation per line, marked's
//! pedantic list rule restated in [`super::marked`]) and where remark's
//! highlighting removes characters (with `highlightSpans`, `` `spans` ``
//! lose their backticks, [`span_segments`]; with `highlightLines`, a line's
//! leading `*` marks it, [`shown_line`]). So the blocks are read here by the
//! very steps [`crate::render::markdown::render`] takes (content classes become
//! placeholders, [`super::marked::prepare`], pulldown-cmark with the same
//! options), and traced back to the deck source for line numbers.

use pulldown_cmark::{Event, Parser, Tag, TagEnd};

use super::Node;
use super::marked::{code_lang, parser_options, prepare_mapped};
use super::options::CodeOptions;

/// One code block as the slide shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayedCode {
    /// The language the renderer colours it as: the fence's, else
    /// `highlightLanguage` (empty for none).
    pub lang: String,
    /// The text on the slide, line by line as remark shows it (highlight
    /// markers removed: [`shown_line`]; no final newline).
    pub text: String,
    /// Offset in the deck source of the start of the block's first line
    /// (the opening fence's line).
    pub start: usize,
    /// A fenced block (``` or ~~~), not an indented one.
    pub fenced: bool,
}

/// Every code block `nodes` show with the deck's code options, in source
/// order (blocks inside content classes included).
pub fn code_blocks(nodes: &[Node], opts: &CodeOptions) -> Vec<DisplayedCode> {
    let mut out = Vec::new();
    collect(nodes, opts, &mut out);
    out.sort_by_key(|c| c.start);
    out
}

/// The text a code block shows for `code` as pulldown-cmark hands it over:
/// remark drops the empty line after the last newline, and each line is
/// shown as [`shown_line`] says.
pub fn shown_text(code: &str, opts: &CodeOptions) -> String {
    let mut lines: Vec<&str> = code.split('\n').collect();
    if lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    lines
        .iter()
        .map(|l| shown_line(l, opts))
        .collect::<Vec<_>>()
        .join("\n")
}

/// One code line as the slide shows it (remark 0.14
/// src/remark/views/slideView.js `highlightCodeBlocks`): with
/// `highlightLines`, a leading `*` marks the line and goes
/// (`line.replace(/^\*( )?/, '$1$1')`: `* a` shows `  a`, `*a` shows `a`);
/// then, with `highlightSpans`, the backticks of highlighted spans go.
pub fn shown_line(line: &str, opts: &CodeOptions) -> String {
    let marked;
    let line = match line.strip_prefix('*') {
        Some(rest) if opts.lines => {
            marked = match rest.strip_prefix(' ') {
                Some(r) => format!("  {r}"),
                None => rest.to_owned(),
            };
            marked.as_str()
        }
        _ => line,
    };
    if opts.spans {
        span_segments(line).iter().map(|s| s.text).collect()
    } else {
        line.to_owned()
    }
}

/// A piece of the Markdown given to the parser that comes from the source:
/// (offset in the Markdown, offset in the deck source, length).
type Piece = (usize, usize, usize);

fn collect(nodes: &[Node], opts: &CodeOptions, out: &mut Vec<DisplayedCode>) {
    // As `markdown::convert`: text, with each content class replaced by a
    // placeholder (its own Markdown is converted separately).
    let mut markdown = String::new();
    let mut segments: Vec<Piece> = Vec::new();
    let mut children = 0usize;
    for node in nodes {
        match node {
            Node::Text { text, start } => {
                segments.push((markdown.len(), *start, text.len()));
                markdown.push_str(text);
            }
            Node::Class { content, .. } => {
                markdown.push('\u{1A}');
                markdown.push_str(&children.to_string());
                markdown.push('\u{1A}');
                children += 1;
                collect(content, opts, out);
            }
        }
    }
    let trimmed = markdown.trim_start();
    let skipped = markdown.len() - trimmed.len();
    let mut inserted = Vec::new();
    let prepared = prepare_mapped(trimmed, &mut inserted);
    // Start offset of each line of `trimmed`.
    let mut line_starts = vec![0usize];
    line_starts.extend(trimmed.match_indices('\n').map(|(i, _)| i + 1));

    let mut current: Option<(String, String, usize, bool)> = None;
    for (event, range) in Parser::new_ext(&prepared, parser_options()).into_offset_iter() {
        match event {
            Event::Start(Tag::CodeBlock(kind)) => {
                let out_line = prepared[..range.start.min(prepared.len())]
                    .bytes()
                    .filter(|&b| b == b'\n')
                    .count();
                let in_line = input_line(out_line, &inserted);
                let doc_offset = skipped + line_starts.get(in_line).copied().unwrap_or(0);
                let start = source_offset(&segments, doc_offset);
                let fenced = matches!(kind, pulldown_cmark::CodeBlockKind::Fenced(_));
                current = Some((code_lang(&kind), String::new(), start, fenced));
            }
            Event::Text(t) => {
                if let Some((_, code, ..)) = &mut current {
                    code.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => {
                if let Some((lang, code, start, fenced)) = current.take() {
                    // remark: `if (block.className === '') block.className = highlightLanguage`.
                    let lang = if lang.is_empty() {
                        opts.language.clone()
                    } else {
                        lang
                    };
                    out.push(DisplayedCode {
                        lang,
                        text: shown_text(&code, opts),
                        start,
                        fenced,
                    });
                }
            }
            _ => {}
        }
    }
}

/// The input line of output line `out_line` of [`prepare_mapped`]: before
/// each recorded input line, two lines were inserted.
fn input_line(out_line: usize, inserted: &[usize]) -> usize {
    let mut shift = 0usize;
    for &k in inserted {
        if out_line >= k.saturating_add(shift).saturating_add(2) {
            shift = shift.saturating_add(2);
        } else {
            break;
        }
    }
    out_line.saturating_sub(shift)
}

/// Deck-source offset of Markdown offset `at` (a placeholder maps to the
/// source text after it).
fn source_offset(segments: &[Piece], at: usize) -> usize {
    for &(doc, src, len) in segments {
        if at < doc.saturating_add(len) {
            return src.saturating_add(at.saturating_sub(doc));
        }
    }
    segments
        .last()
        .map_or(0, |&(_, src, len)| src.saturating_add(len))
}

/// A piece of a code line: highlighted by backticks or not.
pub struct Segment<'a> {
    pub text: &'a str,
    pub highlighted: bool,
}

/// remark's `/([^`])`([^`]+?)`/g` on one line: a span needs a character
/// before its opening backtick (so not at the start of a line), and
/// `` \` `` escapes.
pub fn span_segments(line: &str) -> Vec<Segment<'_>> {
    let b = line.as_bytes();
    let mut out = Vec::new();
    let mut last = 0;
    let mut p = 0;
    while p + 1 < b.len() {
        if b[p] != b'`' && b[p + 1] == b'`' {
            let content = p + 2;
            if let Some(close) = b[content..].iter().position(|&c| c == b'`')
                && close > 0
            {
                let close = content + close;
                if b[p] == b'\\' {
                    out.push(Segment {
                        text: &line[last..p],
                        highlighted: false,
                    });
                    out.push(Segment {
                        text: &line[p + 1..close + 1],
                        highlighted: false,
                    });
                } else {
                    out.push(Segment {
                        text: &line[last..p + 1],
                        highlighted: false,
                    });
                    out.push(Segment {
                        text: &line[content..close],
                        highlighted: true,
                    });
                }
                last = close + 1;
                p = last;
                continue;
            }
        }
        p += 1;
    }
    out.push(Segment {
        text: &line[last..],
        highlighted: false,
    });
    out.retain(|s| !s.text.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remark::{lexer::lex, parser::parse};

    /// With container.training's `highlightSpans: true`.
    fn blocks(src: &str) -> Vec<DisplayedCode> {
        let spans = CodeOptions {
            spans: true,
            ..CodeOptions::default()
        };
        blocks_with(src, &spans)
    }

    fn blocks_with(src: &str, opts: &CodeOptions) -> Vec<DisplayedCode> {
        let slides = parse(lex(src));
        code_blocks(&slides[0].content, opts)
    }

    #[test]
    fn shown_text_follows_the_decks_code_options() {
        let src = "```\n*kubectl get pods\n* kubectl `get` nodes\n```\n";
        let lines = CodeOptions {
            lines: true,
            language: "bash".into(),
            ..CodeOptions::default()
        };
        let b = blocks_with(src, &lines);
        assert_eq!(b[0].text, "kubectl get pods\n  kubectl `get` nodes");
        assert_eq!(b[0].lang, "bash");
        // remark's defaults: no marker, no span; the `*` is shown.
        let b = blocks_with(src, &CodeOptions::default());
        assert_eq!(b[0].text, "*kubectl get pods\n* kubectl `get` nodes");
        assert_eq!(b[0].lang, "");
    }

    #[test]
    fn a_fence_in_a_list_item_is_shown_outdented() {
        let src = "- Create:\n  ```bash\n  cat <<EOF\n  metadata:\n    name: x\n  EOF\n  ```\n";
        let b = blocks(src);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].lang, "bash");
        assert_eq!(b[0].text, "cat <<EOF\nmetadata:\nname: x\nEOF");
        assert_eq!(b[0].start, src.find("  ```bash").unwrap());
    }

    #[test]
    fn highlight_backticks_are_removed_and_lines_traced() {
        let src = "# T\n\n.exercise[\n\n```bash\necho `hostname` x`y`\n```\n\n]\n";
        let b = blocks(src);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].text, "echo hostname xy");
        assert_eq!(b[0].start, src.find("```bash").unwrap());
    }

    #[test]
    fn lines_after_an_inserted_list_end_are_traced() {
        // Two blank lines end a list: compat inserts two lines there.
        let src = "- a\n\n\n- b\n\n```sh\nls\n```\n";
        let b = blocks(src);
        assert_eq!(b.len(), 1);
        assert_eq!(b[0].start, src.find("```sh").unwrap());
    }
}
