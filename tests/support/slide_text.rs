//! The text a viewer sees on each slide of a built page, normalised the way
//! `expected/` was made from remark: the `textContent` of each
//! `.remark-slide-content`, without `.debug` footers, the slide number,
//! `script` and `style`, whitespace runs collapsed, ends trimmed.

use html5gum::{DefaultEmitter, Token, Tokenizer};

const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

fn has_class<S: html5gum::SpanBound>(tag: &html5gum::StartTag<S>, class: &str) -> bool {
    tag.attributes.get(b"class".as_slice()).is_some_and(|v| {
        v.split(|&b| b.is_ascii_whitespace())
            .any(|c| c == class.as_bytes())
    })
}

/// One string per slide, in order. Slides shipped as text in the page's
/// slides script (src/render/page.rs SLIDES_SCRIPT) are read from there.
pub fn slide_texts(html: &str) -> Vec<String> {
    match labdeck::render::page::slide_fields(html) {
        Some(fields) => {
            let inner: String = fields
                .iter()
                .map(|[_, _, inner, _]| labdeck::render::page::script_text_decode(inner))
                .collect();
            dom_slide_texts(&inner)
        }
        None => dom_slide_texts(html),
    }
}

/// One string per `.remark-slide-content` element of `html`, in order.
fn dom_slide_texts(html: &str) -> Vec<String> {
    let mut emitter = DefaultEmitter::default();
    emitter.naively_switch_states(true);
    // (tag name, starts slide content, is excluded)
    let mut stack: Vec<(Vec<u8>, bool, bool)> = Vec::new();
    let mut slides = Vec::new();
    let mut current: Option<String> = None;
    for token in Tokenizer::new_with_emitter(html, emitter).flatten() {
        let in_content = current.is_some();
        let excluded = stack.iter().any(|(_, _, x)| *x);
        match token {
            Token::StartTag(tag) => {
                let name = tag.name.to_vec();
                if VOID.contains(&String::from_utf8_lossy(&name).as_ref()) || tag.self_closing {
                    continue;
                }
                let content = has_class(&tag, "remark-slide-content");
                if content {
                    current = Some(String::new());
                }
                let skip = in_content
                    && (has_class(&tag, "debug")
                        || has_class(&tag, "remark-slide-number")
                        || name == b"script"
                        || name == b"style");
                stack.push((name, content, skip));
            }
            Token::EndTag(tag) => {
                let name = tag.name.to_vec();
                if let Some(pos) = stack.iter().rposition(|(n, _, _)| *n == name) {
                    let closed = stack.split_off(pos);
                    if closed.iter().any(|(_, c, _)| *c)
                        && let Some(text) = current.take()
                    {
                        slides.push(normalize(&text));
                    }
                }
            }
            Token::String(s) => {
                if let Some(text) = current.as_mut()
                    && !excluded
                {
                    text.push_str(&String::from_utf8_lossy(&s));
                }
            }
            _ => {}
        }
    }
    slides
}

/// JavaScript's `replace(/\s+/g, ' ').trim()`.
pub fn normalize(text: &str) -> String {
    let is_js_space = |c: char| c.is_whitespace() || c == '\u{feff}';
    text.split(is_js_space)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}
