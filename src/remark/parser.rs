//! remark's parser: tokens to slides, each with its properties, content tree
//! (text and content classes) and notes.

use std::collections::HashMap;

use super::lexer::Token;

/// A node of slide content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Markdown text. `start` is the offset of its first byte in the source.
    Text { text: String, start: usize },
    /// `.a.b[...]`: a `div` when the brackets hold a newline, else a `span`.
    Class {
        classes: Vec<String>,
        block: bool,
        content: Vec<Node>,
        /// Offsets of `.a.b[` and just past the closing `]`.
        start: usize,
        end: usize,
    },
}

/// A link definition (`[id]: href "title"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkDef {
    pub href: String,
    pub title: Option<String>,
}

/// A slide as written, before layouts and `--` continuations are applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParsedSlide {
    /// `key: value` properties in order of first appearance.
    pub properties: Vec<(String, String)>,
    pub content: Vec<Node>,
    /// Speaker notes, when a `???` line was seen.
    pub notes: Option<Vec<Node>>,
    pub links: HashMap<String, LinkDef>,
    /// Started by `--` rather than `---`.
    pub continued: bool,
    /// Offset where the slide's source starts (after its separator).
    pub start: usize,
    /// Properties found after the slide's first line of content (remark
    /// ignores them): (offset, key). For `lint`.
    pub late_properties: Vec<(usize, String)>,
    /// Where each property is written: (key, offset of its line).
    pub property_offsets: Vec<(String, usize)>,
}

/// The value of the slide property `key` among `properties` (in the
/// order the slide writes them): the one lookup of every slide type.
pub fn property<'a>(properties: &'a [(String, String)], key: &str) -> Option<&'a str> {
    properties
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

impl ParsedSlide {
    pub fn property(&self, key: &str) -> Option<&str> {
        property(&self.properties, key)
    }

    /// Offset of the line where `key:` is written on this slide.
    pub fn property_offset(&self, key: &str) -> Option<usize> {
        self.property_offsets
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, o)| *o)
    }

    pub fn set_property(&mut self, key: &str, value: String) {
        match self.properties.iter_mut().find(|(k, _)| k == key) {
            Some((_, v)) => *v = value,
            None => self.properties.push((key.to_owned(), value)),
        }
    }
}

/// Parses tokens into slides; `exclude: true` slides are dropped.
pub fn parse(tokens: Vec<Token>) -> Vec<ParsedSlide> {
    let mut slides = parse_all(tokens);
    slides.retain(|s| !is_excluded(s));
    slides
}

/// Whether remark drops the slide (`exclude: true`).
pub fn is_excluded(slide: &ParsedSlide) -> bool {
    slide
        .property("exclude")
        .is_some_and(|v| v.eq_ignore_ascii_case("true"))
}

/// [`parse`], keeping excluded slides.
pub fn parse_all(tokens: Vec<Token>) -> Vec<ParsedSlide> {
    let mut slides = Vec::new();
    let mut current = ParsedSlide::default();
    // Open content classes: (classes, block, start, content).
    let mut stack: Vec<(Vec<String>, bool, usize, Vec<Node>)> = Vec::new();

    for token in tokens {
        match token {
            Token::Text { text, start } => {
                let node = Node::Text { text, start };
                match stack.last_mut() {
                    Some((.., content)) => append(content, node),
                    None => append(target(&mut current), node),
                }
            }
            Token::Def { id, href, title } => {
                current.links.insert(id, LinkDef { href, title });
            }
            Token::ContentStart {
                classes,
                block,
                start,
            } => stack.push((classes, block, start, Vec::new())),
            Token::ContentEnd { end, .. } => {
                if let Some((classes, block, start, content)) = stack.pop() {
                    let node = Node::Class {
                        classes,
                        block,
                        content,
                        start,
                        end,
                    };
                    match stack.last_mut() {
                        Some((.., parent)) => parent.push(node),
                        None => target(&mut current).push(node),
                    }
                }
            }
            Token::Separator { continued, start } => {
                // The lexer only emits separators outside content classes.
                slides.push(std::mem::take(&mut current));
                current.continued = continued;
                current.start = start;
            }
            Token::NotesSeparator { .. } => {
                current.notes = Some(Vec::new());
            }
        }
    }
    slides.push(current);

    for slide in &mut slides {
        extract_properties(slide);
    }
    slides
}

fn target(slide: &mut ParsedSlide) -> &mut Vec<Node> {
    match &mut slide.notes {
        Some(notes) => notes,
        None => &mut slide.content,
    }
}

fn append(list: &mut Vec<Node>, node: Node) {
    if let (Some(Node::Text { text: prev, .. }), Node::Text { text, .. }) = (list.last_mut(), &node)
    {
        prev.push_str(text);
        return;
    }
    list.push(node);
}

/// Moves the slide's properties out of its first text, as remark 0.14's
/// `extractProperties` (src/remark/parser.js) does with
/// `^\n*([-\w]+):([^$\n]*)|\n*(?:<!--\s*)([-\w]+):([^$\n]*?)(?:\s*-->)`,
/// repeatedly: a `key: value` line at the start of what is left, else the
/// first `<!-- key: value -->` comment anywhere in it (removed with the
/// newlines before it).
fn extract_properties(slide: &mut ParsedSlide) {
    let Some(Node::Text { text, start }) = slide.content.first() else {
        return;
    };
    let first_line = text.trim_start_matches('\n');
    let key_len = first_line
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
        .count();
    let candidate =
        (key_len > 0 && first_line.as_bytes().get(key_len) == Some(&b':')) || text.contains("<!--");
    if candidate {
        let start = *start;
        extract_properties_from(slide, start);
    }
    late_properties(slide);
}

fn extract_properties_from(slide: &mut ParsedSlide, start: usize) {
    let Some(Node::Text { text, .. }) = slide.content.first() else {
        return;
    };
    let start = &start;
    let mut text = text.clone();
    // (position in `text`, source offset of that position): text between two
    // marks comes from one place of the source.
    let mut marks: Vec<(usize, usize)> = vec![(0, *start)];
    let source_at = |marks: &[(usize, usize)], p: usize| {
        marks
            .iter()
            .rev()
            .find(|(at, _)| *at <= p)
            .map_or(p, |(at, src)| src + (p - at))
    };
    let mut found = Vec::new();
    loop {
        let after_newlines = text.len() - text.trim_start_matches('\n').len();
        let line = &text[after_newlines..];
        let key_len = line
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        let range = if key_len > 0 && line.as_bytes().get(key_len) == Some(&b':') {
            let value_start = key_len + 1;
            let value_len = line[value_start..]
                .bytes()
                .take_while(|&b| b != b'\n' && b != b'$')
                .count();
            found.push((
                line[..key_len].trim().to_owned(),
                line[value_start..value_start + value_len].trim().to_owned(),
                source_at(&marks, after_newlines),
            ));
            0..after_newlines + value_start + value_len
        } else if let Some((range, key, value)) = comment_property(&text) {
            let at = range.start + text[range.clone()].find("<!--").unwrap_or(0);
            found.push((key, value, source_at(&marks, at)));
            range
        } else {
            break;
        };
        let end_source = source_at(&marks, range.end);
        let removed = range.end - range.start;
        text.replace_range(range.clone(), "");
        marks.retain(|(at, _)| *at < range.start || *at > range.end);
        for (at, _) in &mut marks {
            if *at > range.end {
                *at -= removed;
            }
        }
        let i = marks.partition_point(|(at, _)| *at < range.start);
        marks.insert(i, (range.start, end_source));
    }
    if !found.is_empty() {
        let mut nodes = Vec::with_capacity(marks.len());
        for (i, &(at, src)) in marks.iter().enumerate() {
            let until = marks.get(i + 1).map_or(text.len(), |m| m.0);
            if until > at || (nodes.is_empty() && i + 1 == marks.len()) {
                nodes.push(Node::Text {
                    text: text[at..until].to_owned(),
                    start: src,
                });
            }
        }
        slide.content.splice(0..1, nodes);
    }
    for (k, v, offset) in found {
        slide.property_offsets.push((k.clone(), offset));
        slide.set_property(&k, v);
    }
}

fn late_properties(slide: &mut ParsedSlide) {
    // Lines that look like properties later in the first text are ignored by
    // remark (shown as text); remember them for lint.
    if let Some(Node::Text { text, start }) = slide.content.first() {
        let bytes = text.as_bytes();
        let ends = memchr::memchr_iter(b'\n', bytes).chain(std::iter::once(bytes.len()));
        let mut offset = 0;
        for end in ends {
            let line = &text[offset..end];
            let key_len = line
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'-')
                .count();
            if key_len > 0
                && line.as_bytes().get(key_len) == Some(&b':')
                && KNOWN_PROPERTIES.contains(&&line[..key_len])
            {
                slide
                    .late_properties
                    .push((start + offset, line[..key_len].to_owned()));
            }
            offset = end + 1;
        }
    }
}

/// The first `\n*<!--\s*key:value\s*-->` in `text`: its range (newlines
/// before it included), key and trimmed value.
fn comment_property(text: &str) -> Option<(std::ops::Range<usize>, String, String)> {
    let mut from = 0;
    while let Some(i) = text[from..].find("<!--").map(|i| i + from) {
        from = i + 4;
        let inner = &text[i + 4..];
        let key_at = inner.len() - inner.trim_start().len();
        let key_len = inner[key_at..]
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        if key_len == 0 || inner.as_bytes().get(key_at + key_len) != Some(&b':') {
            continue;
        }
        let value_from = key_at + key_len + 1;
        let Some(close) = inner[value_from..].find("-->") else {
            continue;
        };
        let value = &inner[value_from..value_from + close];
        // `([^$\n]*?)(?:\s*-->)`: the value holds no newline or `$`, then
        // only spaces up to `-->`.
        let trimmed = value.trim_end();
        if trimmed.contains(['\n', '$']) {
            continue;
        }
        let key = inner[key_at..key_at + key_len].to_owned();
        let begin = text[..i].trim_end_matches('\n').len();
        let end = i + 4 + value_from + close + 3;
        return Some((begin..end, key, trimmed.trim().to_owned()));
    }
    None
}

/// Properties remark gives a meaning to.
pub const KNOWN_PROPERTIES: &[&str] = &[
    "name",
    "class",
    "layout",
    "template",
    "exclude",
    "count",
    "background-image",
    "background-position",
    "background-repeat",
    "background-size",
];

#[cfg(test)]
mod tests {
    use super::super::lexer::lex;
    use super::*;

    fn text_of(nodes: &[Node]) -> String {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text { text, .. } => text.clone(),
                Node::Class {
                    classes, content, ..
                } => {
                    format!("<{}>{}</>", classes.join("."), text_of(content))
                }
            })
            .collect()
    }

    #[test]
    fn properties_notes_and_exclusion() {
        let s = parse(lex(
            "class: title\nname: a\n\n# Hi\n???\nnotes\n---\nexclude: true\n\nx\n---\n\nb: c\ntext\n--\nmore",
        ));
        assert_eq!(s.len(), 3);
        assert_eq!(s[0].property("class"), Some("title"));
        assert_eq!(s[0].property("name"), Some("a"));
        assert_eq!(text_of(&s[0].content), "\n\n# Hi");
        assert_eq!(text_of(s[0].notes.as_ref().unwrap()), "notes");
        assert_eq!(s[1].property("b"), Some("c"));
        assert!(s[2].continued);
    }

    #[test]
    fn classes_become_nodes() {
        let s = parse(lex("a .x[b .y[c]]\n"));
        assert_eq!(text_of(&s[0].content), "a <x>b <y>c</></>\n");
    }

    #[test]
    fn properties_in_comments() {
        // remark 0.14 parser.js: the comment form is found anywhere in the
        // slide's first text, and a `key:` line then at its start counts too.
        let s = parse(lex(
            "<!-- class: center, middle -->\nname: a\n\n# Hi\n<!-- x: y -->\ntext",
        ));
        assert_eq!(s[0].property("class"), Some("center, middle"));
        assert_eq!(s[0].property("name"), Some("a"));
        assert_eq!(s[0].property("x"), Some("y"));
        assert_eq!(text_of(&s[0].content), "\n\n# Hi\ntext");
        // A plain comment stays.
        let s = parse(lex("<!-- just a note -->\n# T"));
        assert!(s[0].properties.is_empty());
        assert_eq!(text_of(&s[0].content), "<!-- just a note -->\n# T");
    }

    #[test]
    fn late_properties_are_remembered() {
        let s = parse(lex("# Title\nclass: pic\n"));
        assert_eq!(s[0].late_properties.len(), 1);
        assert_eq!(s[0].property("class"), None);
    }
}
