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
#[derive(Debug, Clone, Default)]
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

impl ParsedSlide {
    pub fn property(&self, key: &str) -> Option<&str> {
        self.properties
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
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
    slides.retain(|s| {
        !s.property("exclude")
            .is_some_and(|v| v.eq_ignore_ascii_case("true"))
    });
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

/// Moves leading `key: value` lines of the slide's first text into its
/// properties (remark: `^\n*([-\w]+):([^$\n]*)`, repeatedly).
fn extract_properties(slide: &mut ParsedSlide) {
    let Some(Node::Text { text, start }) = slide.content.first_mut() else {
        return;
    };
    let mut found = Vec::new();
    let mut consumed = 0;
    loop {
        let rest = &text[consumed..];
        let after_newlines = rest.len() - rest.trim_start_matches('\n').len();
        let line = &rest[after_newlines..];
        let key_len = line
            .bytes()
            .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
            .count();
        if key_len == 0 || line.as_bytes().get(key_len) != Some(&b':') {
            break;
        }
        let value_start = key_len + 1;
        let value_len = line[value_start..]
            .bytes()
            .take_while(|&b| b != b'\n' && b != b'$')
            .count();
        found.push((
            line[..key_len].trim().to_owned(),
            line[value_start..value_start + value_len].trim().to_owned(),
            *start + consumed + after_newlines,
        ));
        consumed += after_newlines + value_start + value_len;
    }
    if consumed > 0 {
        text.drain(..consumed);
        *start += consumed;
    }
    for (k, v, offset) in found {
        slide.property_offsets.push((k.clone(), offset));
        slide.set_property(&k, v);
    }
    // Lines that look like properties later in the first text are ignored by
    // remark (shown as text); remember them for lint.
    if let Some(Node::Text { text, start }) = slide.content.first() {
        let mut offset = 0;
        for line in text.split('\n') {
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
            offset += line.len() + 1;
        }
    }
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
    fn late_properties_are_remembered() {
        let s = parse(lex("# Title\nclass: pic\n"));
        assert_eq!(s[0].late_properties.len(), 1);
        assert_eq!(s[0].property("class"), None);
    }
}
