//! remark's slideshow model: applies `--` continuations, layouts and
//! templates, drops excluded classes, numbers the slides.

use std::collections::HashMap;

use super::parser::{LinkDef, Node, ParsedSlide};

/// A slide as remark shows it.
#[derive(Debug, Clone)]
pub struct ShownSlide {
    /// Properties after inheritance (`class` joined with the template's).
    pub properties: Vec<(String, String)>,
    /// Content after inheritance and `{{variable}}` expansion.
    pub content: Vec<Node>,
    pub notes: Vec<Node>,
    /// The slide's own content (for exercise extraction: inherited content
    /// belongs to the slide it was written on), when it is not `content`
    /// (a template's content or a `{{variable}}` changed it): most slides'
    /// content is their own, and is then not copied.
    pub own_content: Option<Vec<Node>>,
    pub continued: bool,
    /// Displayed number: shown slides up to this one that count, at least 1
    /// (a `count: false` slide repeats the previous one's, or is 1 first).
    pub number: usize,
    /// Source offset where the slide's text starts.
    pub start: usize,
}

impl ShownSlide {
    /// The content written on this slide itself.
    pub fn own_content(&self) -> &[Node] {
        self.own_content.as_deref().unwrap_or(&self.content)
    }

    pub fn property(&self, key: &str) -> Option<&str> {
        super::parser::property(&self.properties, key)
    }

    pub fn classes(&self) -> Vec<String> {
        class_list(self.property("class").unwrap_or(""))
    }
}

/// Splits a `class:` value as remark does (commas and spaces).
pub fn class_list(value: &str) -> Vec<String> {
    classes(value).map(str::to_owned).collect()
}

/// The classes of a `class:` value, as [`class_list`] gives them.
fn classes(value: &str) -> impl Iterator<Item = &str> {
    value.split([',', ' ']).filter(|c| !c.is_empty())
}

/// Result of building the slideshow.
#[derive(Debug, Clone, Default)]
pub struct Slideshow {
    pub slides: Vec<ShownSlide>,
    /// `template:` values that name no slide: (offset of the property, name).
    pub unknown_templates: Vec<(usize, String)>,
    /// Every class a slide (shown or not) declares, for lint.
    pub used_classes: std::collections::BTreeSet<String>,
    /// Where the slides passed [`MAX_EXPANDED`] (the start of the slide
    /// that did): the slides after it are not built.
    pub too_big: Option<usize>,
    /// The link definitions every slide can use: those of the slides
    /// shown, a later one replacing an earlier one of the same id (remark
    /// 0.14 models/slideshow.js `loadFromString`: `slides.forEach(...
    /// links[id] = slide.links[id])` over the slides `createSlides` made,
    /// which leaves out layout slides and the classes excluded).
    pub links: HashMap<String, LinkDef>,
}

/// How much the slides of a deck may hold once `--` steps, templates and
/// layouts have repeated their content: [`weight`] summed over every slide
/// built. remark repeats a slide's content in each step, so 4,000 steps of
/// one line each made 8 million nodes (1 GB of memory, 18 MB of page);
/// the biggest deck of the corpus (2,600 slides) weighs about 6 MB.
pub const MAX_EXPANDED: usize = 128 << 20;

/// What a slide holds, in bytes: its texts and property values, and
/// [`NODE_WEIGHT`] per node (what a node costs in memory and work whatever
/// its text).
fn weight(s: &ShownSlide) -> usize {
    fn nodes(list: &[Node]) -> usize {
        list.iter()
            .map(|n| match n {
                Node::Text { text, .. } => text.len().saturating_add(NODE_WEIGHT),
                Node::Class {
                    classes, content, ..
                } => classes
                    .iter()
                    .map(String::len)
                    .sum::<usize>()
                    .saturating_add(nodes(content))
                    .saturating_add(NODE_WEIGHT),
            })
            .fold(0, usize::saturating_add)
    }
    let properties = s
        .properties
        .iter()
        .map(|(k, v)| k.len().saturating_add(v.len()))
        .fold(0, usize::saturating_add);
    nodes(&s.content)
        .saturating_add(nodes(&s.notes))
        .saturating_add(properties)
}

/// [`weight`] of a node beside its text.
const NODE_WEIGHT: usize = 64;

/// Builds what remark shows from parsed slides. With `count_incremental`
/// false (remark's `countIncrementalSlides: false`), a `--` step without a
/// `count:` property is not counted (remark 0.14 models/slideshow.js
/// `createSlides`).
pub fn build(parsed: Vec<ParsedSlide>, excluded: &[String], count_incremental: bool) -> Slideshow {
    let mut out = Slideshow::default();
    let mut by_name: HashMap<String, usize> = HashMap::new();
    // All created slides (templates included), by creation order.
    let mut created: Vec<ShownSlide> = Vec::with_capacity(parsed.len());
    let mut shown: Vec<usize> = Vec::new();
    let mut layout: Option<usize> = None;
    let mut number = 0;
    let mut expanded: usize = 0;

    for (i, slide) in parsed.into_iter().enumerate() {
        let is_layout = slide.property("layout") == Some("true");
        let template = if slide.continued && i > 0 {
            shown.last().copied()
        } else if let Some(t) = slide.property("template").and_then(|t| by_name.get(t)) {
            Some(*t)
        } else {
            if let Some(t) = slide.property("template") {
                let at = slide.property_offset("template").unwrap_or(slide.start);
                out.unknown_templates.push((at, t.to_owned()));
            }
            if slide.property("layout") == Some("false") {
                layout = None;
                None
            } else if !is_layout {
                layout
            } else {
                None
            }
        };

        let mut included = true;
        for class in classes(slide.property("class").unwrap_or("")) {
            if !out.used_classes.contains(class) {
                out.used_classes.insert(class.to_owned());
            }
            included &= !excluded.iter().any(|e| e == class);
        }

        if included && !is_layout {
            out.links.extend(slide.links);
        }
        let mut s = ShownSlide {
            properties: slide.properties,
            own_content: None,
            content: slide.content,
            notes: slide.notes.unwrap_or_default(),
            continued: slide.continued,
            number: 0,
            start: slide.start,
        };
        if let Some(t) = template {
            inherit(&mut s, &created[t]);
        }
        expanded = expanded.saturating_add(weight(&s));
        if expanded > MAX_EXPANDED {
            out.too_big = Some(s.start);
            break;
        }
        let counted = match s.property("count") {
            Some(c) => c != "false",
            None => count_incremental || !s.continued,
        };
        if included && !is_layout {
            if counted {
                number += 1;
            }
            // remark 0.14 components/slide-number/slide-number.js
            // `getSlideNumber`: the shown slides up to this one whose `count`
            // is not "false", and at least 1 (`Math.max(1, count)`); the
            // total is the last slide's number.
            s.number = number.max(1);
        }
        let index = created.len();
        if let Some(name) = s.property("name") {
            by_name.insert(name.to_owned(), index);
        }
        if is_layout {
            layout = Some(index);
        } else if included {
            shown.push(index);
        }
        created.push(s);
    }

    let mut slides: Vec<Option<ShownSlide>> = created.into_iter().map(Some).collect();
    // What `{{variable}}`s may add: what is left of the bound.
    let mut room = MAX_EXPANDED.saturating_sub(expanded);
    out.slides = Vec::with_capacity(shown.len());
    for mut s in shown.into_iter().filter_map(|i| slides[i].take()) {
        if !expand_variables(&mut s, &mut room) {
            out.too_big.get_or_insert(s.start);
            break;
        }
        out.slides.push(s);
    }
    out
}

/// remark's `Slide.inherit`: properties (except name, layout, count; `class`
/// is joined), content (the template's, with `{{content}}` replaced by the
/// slide's own, or followed by it) and notes.
fn inherit(slide: &mut ShownSlide, template: &ShownSlide) {
    for (key, value) in &template.properties {
        if matches!(key.as_str(), "name" | "layout" | "count") {
            continue;
        }
        let own = slide.property(key).map(str::to_owned);
        if key == "class" {
            let joined = match own {
                Some(o) => format!("{value}, {o}"),
                None => value.clone(),
            };
            set(&mut slide.properties, key, joined);
        } else if own.is_none() {
            set(&mut slide.properties, key, value.clone());
        }
    }

    let own = std::mem::take(&mut slide.content);
    let mut content = template.content.clone();
    if !splice_content(&mut content, &own) {
        content.extend(own.iter().cloned());
    }
    slide.content = content;
    slide.own_content = Some(own);

    if !template.notes.is_empty() {
        let mut notes = template.notes.clone();
        notes.push(Node::Text {
            text: "\n\n".to_owned(),
            start: slide.start,
        });
        notes.append(&mut slide.notes);
        slide.notes = notes;
    }
}

fn set(props: &mut Vec<(String, String)>, key: &str, value: String) {
    match props.iter_mut().find(|(k, _)| k == key) {
        Some((_, v)) => *v = value,
        None => props.push((key.to_owned(), value)),
    }
}

/// Replaces the first `{{content}}` of a template's text by `own`.
fn splice_content(content: &mut Vec<Node>, own: &[Node]) -> bool {
    for i in 0..content.len() {
        match &mut content[i] {
            Node::Text { text, start } => {
                if let Some(at) = find_variable(text, "content") {
                    let (before, after) = (text[..at.start].to_owned(), text[at.end..].to_owned());
                    let start = *start;
                    let mut replacement = vec![Node::Text {
                        text: before,
                        start,
                    }];
                    replacement.extend(own.iter().cloned());
                    replacement.push(Node::Text {
                        text: after,
                        start: start + at.end,
                    });
                    content.splice(i..=i, replacement);
                    return true;
                }
            }
            Node::Class { content: inner, .. } => {
                if splice_content(inner, own) {
                    return true;
                }
            }
        }
    }
    false
}

/// Where the first `}}` at or after `from` starts, `close` the answer for
/// an earlier `from` (each `{{` asks: a text of many `{{` and one `}}` at
/// its end is then read once, not once per `{{`).
fn next_close(text: &str, from: usize, close: &mut Option<usize>) -> Option<usize> {
    if let Some(c) = *close
        && c >= from
    {
        return Some(c);
    }
    *close = text[from..].find("}}").map(|c| c + from);
    *close
}

/// Range of an unescaped `{{ name }}` in `text`.
fn find_variable(text: &str, name: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    let mut last_close = None;
    while let Some(i) = text[from..].find("{{").map(|i| i + from) {
        let close = next_close(text, i + 2, &mut last_close)?;
        let inner = &text[i + 2..close];
        let escaped = i > 0 && text.as_bytes()[i - 1] == b'\\';
        if !escaped && !inner.contains('\n') && inner.trim() == name {
            return Some(i..close + 2);
        }
        from = i + 2;
    }
    None
}

/// remark's `expandVariables`: `{{ prop }}` becomes the slide's property
/// value when it has one; `\{{` escapes; unknown names are left alone.
/// The texts may grow by `room` bytes in all (what is left of them is left
/// in it); false when they would grow more (10,000 `{{v}}` of a 50 kB `v`
/// are 500 MB).
fn expand_variables(slide: &mut ShownSlide, room: &mut usize) -> bool {
    if !has_variables(&slide.content) {
        return true;
    }
    if slide.own_content.is_none() {
        slide.own_content = Some(slide.content.clone());
    }
    expand_in(&mut slide.content, &slide.properties, room)
}

/// Whether `text` holds `{{`: every text of every slide is asked, and
/// `str::contains` makes a searcher for each (7 M instructions of the
/// corpus build).
fn has_braces(text: &str) -> bool {
    let bytes = text.as_bytes();
    memchr::memchr_iter(b'{', bytes).any(|i| bytes.get(i + 1) == Some(&b'{'))
}

/// Whether `expand_in` may change `nodes` (it only reads texts with `{{`).
fn has_variables(nodes: &[Node]) -> bool {
    nodes.iter().any(|node| match node {
        Node::Text { text, .. } => has_braces(text),
        Node::Class { content, .. } => has_variables(content),
    })
}

/// Expands the variables of `nodes`' texts, while they grow by `room`
/// bytes at most (false past it).
fn expand_in(nodes: &mut [Node], props: &[(String, String)], room: &mut usize) -> bool {
    for node in nodes {
        match node {
            Node::Text { text, .. } => {
                if has_braces(text) {
                    let Some(expanded) = expand_text(text, props, *room) else {
                        return false;
                    };
                    *room = room.saturating_sub(expanded.len().saturating_sub(text.len()));
                    *text = expanded;
                }
            }
            Node::Class { content, .. } => {
                if !expand_in(content, props, room) {
                    return false;
                }
            }
        }
    }
    true
}

/// `text` with its variables expanded; None if that makes it more than
/// `room` bytes longer.
fn expand_text(text: &str, props: &[(String, String)], room: usize) -> Option<String> {
    let bytes = text.as_bytes();
    let most = text.len().saturating_add(room);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    let mut from = 0;
    let mut last_close = None;
    while let Some(at) = text[from..].find("{{").map(|i| i + from) {
        if out.len() > most {
            return None;
        }
        let Some(close) = next_close(text, at + 2, &mut last_close) else {
            break;
        };
        let inner = &text[at + 2..close];
        // `\{\{([^\}\n]+)\}\}`: at least one byte, no `}` and no newline.
        if inner.is_empty() || inner.contains(['}', '\n']) {
            from = at + 2;
            continue;
        }
        let name = inner.trim();
        if at > 0 && bytes[at - 1] == b'\\' {
            out.push_str(&text[last..at - 1]);
            out.push_str(&text[at..close + 2]);
        } else {
            out.push_str(&text[last..at]);
            match props.iter().find(|(k, _)| k == name) {
                Some((_, v)) => out.push_str(v),
                None if name == "content" => {}
                None => out.push_str(&text[at..close + 2]),
            }
        }
        last = close + 2;
        from = last;
    }
    out.push_str(&text[last..]);
    (out.len() <= most).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::super::{lexer::lex, parser::parse};
    use super::*;

    fn show(src: &str, excluded: &[&str]) -> Vec<ShownSlide> {
        let ex: Vec<String> = excluded.iter().map(|s| s.to_string()).collect();
        build(parse(lex(src)), &ex, true).slides
    }

    fn text(s: &ShownSlide) -> String {
        s.content
            .iter()
            .map(|n| match n {
                Node::Text { text, .. } => text.clone(),
                Node::Class { .. } => "<class>".into(),
            })
            .collect()
    }

    #[test]
    fn continuations_repeat_content() {
        let s = show("a\n\n--\n\nb\n---\nc", &[]);
        assert_eq!(s.len(), 3);
        assert_eq!(text(&s[1]), "a\n\nb");
        assert_eq!(s[1].number, 2);
    }

    #[test]
    fn layouts_templates_and_exclusion() {
        let s = show(
            "layout: true\nclass: base\n\nHEAD {{content}} FOOT\n---\nx\n---\nclass: skip\n\ny\n---\nname: t\nlayout: false\n\nT=\n---\ntemplate: t\n\nz",
            &["skip"],
        );
        assert_eq!(s.len(), 3);
        assert_eq!(text(&s[0]), "\n\nHEAD x FOOT");
        assert_eq!(s[0].property("class"), Some("base"));
        assert_eq!(text(&s[2]), "\n\nT=\n\nz");
    }

    #[test]
    fn variables_expand() {
        assert_eq!(
            expand_text(
                "{{ a }} {{b}} \\{{a}} {{ .Values.x }} {{}}} {{x\n}} {{ a }}",
                &[("a".into(), "A".into())],
                usize::MAX
            )
            .as_deref(),
            Some("A {{b}} {{a}} {{ .Values.x }} {{}}} {{x\n}} A")
        );
        assert_eq!(find_variable("{{}}} {{x\n}} {{ a }}", "a"), Some(13..20));
    }

    #[test]
    fn regression_variables_that_would_expand_to_gigabytes_stop_the_deck() {
        // 10,000 `{{v}}` of a 50 kB `v`: 500 MB of text, 4.4 GB of memory
        // and 10 s to build; now the slide is where the deck stops.
        let v = "{{v}}".repeat(10_000);
        let src = format!("a\n---\nv: {v}\n\n{v}\n---\nb");
        let show = build(parse(lex(&src)), &[], true);
        assert!(show.too_big.is_some());
        assert_eq!(show.slides.len(), 1);
        // Within the bound, every one is expanded.
        let src = format!("v: {}\n\n{}", "x".repeat(1000), "{{v}}".repeat(1000));
        let show = build(parse(lex(&src)), &[], true);
        assert_eq!(show.too_big, None);
        assert_eq!(text(&show.slides[0]).trim(), "x".repeat(1_000_000));
        // Many `{{` and one `}}`: read once (each `{{` read the rest of the
        // text for its `}}`).
        let braces = format!("{}}}}}", "{{".repeat(200_000));
        assert_eq!(find_variable(&braces, "a"), None);
        assert!(expand_text(&braces, &[], 0).is_some());
    }

    /// A slide's own content is what was written on it: a continuation's
    /// increment, a templated slide's own text, a slide's text before its
    /// `{{variables}}`; it is copied only when content differs from it.
    #[test]
    fn own_content_is_what_the_slide_itself_says() {
        let own = |s: &ShownSlide| -> String {
            s.own_content()
                .iter()
                .map(|n| match n {
                    Node::Text { text, .. } => text.clone(),
                    Node::Class { .. } => "<class>".into(),
                })
                .collect::<String>()
                .trim()
                .to_owned()
        };
        let text = |s: &ShownSlide| text(s).trim().to_owned();
        let s = show(
            "a\n\n--\n\nb\n---\nname: t\n\nT {{content}}\n---\ntemplate: t\n\nz\n---\nv: 1\n\nv={{v}}",
            &[],
        );
        assert_eq!(s.len(), 5);
        assert_eq!((text(&s[0]), own(&s[0])), ("a".into(), "a".into()));
        assert!(
            s[0].own_content.is_none(),
            "a plain slide's content is not copied"
        );
        assert_eq!((text(&s[1]), own(&s[1])), ("a\n\nb".into(), "b".into()));
        assert_eq!(own(&s[3]), "z");
        assert!(
            text(&s[3]).starts_with('T') && text(&s[3]).ends_with('z'),
            "{}",
            text(&s[3])
        );
        assert_eq!((text(&s[4]), own(&s[4])), ("v=1".into(), "v={{v}}".into()));
    }

    #[test]
    fn incremental_slides_can_share_a_number() {
        let s = build(parse(lex("a\n--\nb\n---\nc")), &[], false).slides;
        assert_eq!(s.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 1, 2]);
    }

    #[test]
    fn count_false_repeats_number() {
        let s = show("a\n---\ncount: false\n\nb\n---\nc", &[]);
        assert_eq!(s.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 1, 2]);
    }

    #[test]
    fn count_false_first_slide_shares_number_one_with_the_next() {
        // remark: Math.max(1, counted so far): 1/2, 1/2, 2/2.
        let s = show("count: false\n\na\n---\nb\n---\nc", &[]);
        assert_eq!(s.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 1, 2]);
        let s = show("count: false\n\na\n---\ncount: false\n\nb", &[]);
        assert_eq!(s.iter().map(|s| s.number).collect::<Vec<_>>(), [1, 1]);
    }
}
