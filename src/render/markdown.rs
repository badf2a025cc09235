//! Slide Markdown to HTML, the way remark converts it: content classes are
//! converted first (an inline class holding a single paragraph loses the `<p>`), the
//! rest with pulldown-cmark. The HTML writer is ours so that whitespace
//! between elements matches what remark's Markdown library produced (it
//! decides which words run together in the text a student sees).

use crate::remark::marked::{code_lang, parser_options, without_inert};
use std::collections::HashMap;

use pulldown_cmark::{BrokenLink, CowStr, Event, HeadingLevel, LinkType, Parser, Tag, TagEnd};

use super::highlight::{CodeOptions, Highlighter, escape_into};
use crate::remark::{LinkDef, Node};

/// Placeholder delimiters for content classes inside Markdown text: control
/// characters that Markdown leaves alone and decks never contain.
const PH: char = '\u{1A}';

/// What a slide's Markdown needs from the deck.
pub struct MarkdownContext<'a> {
    /// Link definitions of the whole deck (remark shares them across slides).
    pub links: &'a HashMap<String, LinkDef>,
    pub highlighter: &'a Highlighter,
    /// The deck's code options (`highlightLanguage`, `highlightLines`,
    /// `highlightSpans`).
    pub code: &'a CodeOptions,
}

/// Images referenced by rendered Markdown (for copying local ones).
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub html: String,
    pub images: Vec<String>,
    /// Its `<style>...</style>` elements (remark has every slide in the
    /// document, so they apply to the whole deck).
    pub styles: Vec<String>,
    /// `html` as the page's slides script carries it
    /// ([`super::script_text::script_text`]): escaped once here, for every
    /// deck of the build that shows this content.
    pub script: String,
}

/// A deck's link definitions for [`cache_key`]: ids normalised, and a
/// searcher for each built, once per deck (not once per slide: a deck has
/// thousands of slides and hundreds of definitions), sorted by id.
pub struct KeyLinks<'a> {
    links: Vec<(memchr::memmem::Finder<'static>, &'a str, &'a LinkDef)>,
}

impl<'a> KeyLinks<'a> {
    pub fn new(links: &'a HashMap<String, LinkDef>) -> Self {
        let mut links: Vec<_> = links
            .iter()
            .map(|(id, def)| {
                let normal = normalize_ref(id);
                let finder = memchr::memmem::Finder::new(normal.as_bytes()).into_owned();
                (finder, id.as_str(), def)
            })
            .collect();
        links.sort_by(|a, b| a.1.cmp(b.1));
        KeyLinks { links }
    }
}

/// A key that identifies what [`render`] produces for `nodes`: the text
/// and class structure, the code options, and the deck's link definitions
/// the content may use.
pub fn cache_key(nodes: &[Node], links: &KeyLinks, code: &CodeOptions) -> String {
    fn walk(nodes: &[Node], out: &mut String) {
        for n in nodes {
            match n {
                Node::Text { text, .. } => out.push_str(text),
                Node::Class {
                    classes,
                    block,
                    content,
                    ..
                } => {
                    out.push('\u{1}');
                    for (i, class) in classes.iter().enumerate() {
                        if i > 0 {
                            out.push('.');
                        }
                        out.push_str(class);
                    }
                    out.push(if *block { '\u{2}' } else { '\u{3}' });
                    walk(content, out);
                    out.push('\u{4}');
                }
            }
        }
    }
    /// What `walk` writes, in bytes: the key is allocated once.
    fn len(nodes: &[Node]) -> usize {
        nodes
            .iter()
            .map(|n| match n {
                Node::Text { text, .. } => text.len(),
                Node::Class {
                    classes, content, ..
                } => classes
                    .iter()
                    .map(|c| c.len().saturating_add(1))
                    .fold(3, usize::saturating_add)
                    .saturating_add(len(content)),
            })
            .fold(0, usize::saturating_add)
    }
    let mut key = String::with_capacity(len(nodes).saturating_add(code.language.len() + 4));
    walk(nodes, &mut key);
    key.push('\u{7}');
    key.push_str(&code.language);
    key.push(if code.lines { '1' } else { '0' });
    key.push(if code.spans { '1' } else { '0' });
    if !links.links.is_empty() && key.contains(']') {
        // Only the definitions this content may use: decks differ in their
        // definitions, and the same slide should be rendered once.
        let lower = key.to_lowercase();
        let used = links
            .links
            .iter()
            .filter(|(normal, _, _)| normal.find(lower.as_bytes()).is_some());
        for (_, id, def) in used {
            key.push('\u{5}');
            key.push_str(id);
            key.push('\u{6}');
            key.push_str(&def.href);
            key.push('\u{6}');
            key.push_str(def.title.as_deref().unwrap_or(""));
        }
    }
    key
}

/// Converts slide content (or notes) to HTML.
pub fn render(nodes: &[Node], ctx: &MarkdownContext) -> Rendered {
    let mut images = Vec::new();
    let html = convert(nodes, ctx, false, &mut images);
    let html = remove_empty_paragraphs(&html);
    let html = html_code_blocks(html, ctx);
    let html = html.strip_suffix('\n').unwrap_or(&html).to_owned();
    let styles = style_elements(&html);
    let script = super::script_text::script_text(&html);
    Rendered {
        html,
        images,
        styles,
        script,
    }
}

fn convert(
    nodes: &[Node],
    ctx: &MarkdownContext,
    inside_class: bool,
    images: &mut Vec<String>,
) -> String {
    let mut markdown = String::new();
    let mut children = Vec::new();
    for node in nodes {
        match node {
            Node::Text { text, .. } => markdown.push_str(text),
            Node::Class {
                classes,
                block,
                content,
                ..
            } => {
                let tag = if *block { "div" } else { "span" };
                let mut html = format!("<{tag} class=\"");
                escape_into(&mut html, &classes.join(" "));
                html.push_str("\">");
                // remark 0.14 converter.js: `convertMarkdown(content[i].content,
                // links, !content[i].block)`: only an inline class loses the
                // `<p>` of a lone paragraph; a block class keeps it.
                html.push_str(&convert(content, ctx, !*block, images));
                html.push_str(&format!("</{tag}>"));
                markdown.push(PH);
                markdown.push_str(&children.len().to_string());
                markdown.push(PH);
                children.push((html, *block));
            }
        }
    }
    let trailing = &markdown[markdown.trim_end_matches(' ').len()..];
    let prepared = crate::remark::marked::prepare(markdown.trim_start());
    let mut html = markdown_to_html(&prepared, ctx, &children, images);
    if !children.is_empty() {
        html = substitute(&html, &children);
    }
    if inside_class && let Some(inner) = single_paragraph(&html) {
        // marked keeps a paragraph's trailing spaces (`block.paragraph`
        // only drops its last newline), so `.x[< ]` keeps its space.
        return format!("{inner}{trailing}");
    }
    html
}

/// Puts converted content classes back in place of their placeholders.
/// A block class (a `div`) inside a paragraph ends that paragraph, as the
/// browser does when remark sets the HTML (`<p>a<div>` is `<p>a</p><div>`);
/// the paragraph's `</p>` then opens an empty `<p></p>`, which remark
/// removes (`converter.js`: `innerHTML.replace(/<p>\s*<\/p>/g, '')`).
fn substitute(html: &str, children: &[(String, bool)]) -> String {
    let mut out =
        String::with_capacity(html.len() + children.iter().map(|c| c.0.len()).sum::<usize>());
    let mut rest = html;
    // Offset in `out` of the `<p>` of the paragraph open at this point.
    let mut open_p: Option<usize> = None;
    // A block child ended the paragraph: its `</p>` closes nothing.
    let mut drop_close = false;
    loop {
        let next = rest.find(PH);
        if drop_close
            && let Some(c) = rest.find("</p>")
            && next.is_none_or(|n| c < n)
        {
            copy_tracking(&mut out, &rest[..c], &mut open_p);
            rest = &rest[c + 4..];
            drop_close = false;
            continue;
        }
        let Some(i) = next else { break };
        let after = &rest[i + PH.len_utf8()..];
        let parsed = after.find(PH).and_then(|j| {
            let k = after[..j].parse::<usize>().ok()?;
            Some((j, children.get(k)?))
        });
        let Some((j, (child, block))) = parsed else {
            copy_tracking(&mut out, &rest[..i + PH.len_utf8()], &mut open_p);
            rest = after;
            continue;
        };
        copy_tracking(&mut out, &rest[..i], &mut open_p);
        rest = &after[j + PH.len_utf8()..];
        if *block && let Some(p) = open_p.take() {
            if out[p + 3..].trim().is_empty() {
                out.truncate(p);
            } else {
                // As marked ends the paragraph before a block tag
                // (`block.paragraph`'s `(?!...tag...)` lookahead).
                out.truncate(out.trim_end().len());
                out.push_str("</p>\n");
            }
            drop_close = true;
        }
        out.push_str(child);
    }
    out.push_str(rest);
    out
}

/// Appends `segment`, following which paragraph is open.
fn copy_tracking(out: &mut String, segment: &str, open_p: &mut Option<usize>) {
    let base = out.len();
    out.push_str(segment);
    let open = segment.rfind("<p>");
    let close = segment.rfind("</p>");
    match (open, close) {
        (Some(o), Some(c)) if o > c => *open_p = Some(base + o),
        (Some(o), None) => *open_p = Some(base + o),
        (_, Some(_)) => *open_p = None,
        _ => {}
    }
}

/// The inner HTML when `html` is exactly one paragraph element.
fn single_paragraph(html: &str) -> Option<&str> {
    let t = html.trim_matches(|c: char| c.is_ascii_whitespace());
    let inner = t.strip_prefix("<p>")?.strip_suffix("</p>")?;
    (!inner.contains("</p>") && !inner.contains("<p>")).then_some(inner)
}

/// A searcher for a fixed string, built on first use. Every run of a
/// slide's text and every slide's HTML are searched for these (28,535 and
/// 3,912 times in the corpus build); `str::find` and `memmem::find` make a
/// searcher for each search.
type Fixed = std::sync::LazyLock<memchr::memmem::Finder<'static>>;
static HTTP: Fixed = Fixed::new(|| memchr::memmem::Finder::new("http"));
static P_OPEN: Fixed = Fixed::new(|| memchr::memmem::Finder::new("<p>"));
static PRE_CODE: Fixed = Fixed::new(|| memchr::memmem::Finder::new(PRE_CODE_OPEN));
/// What opens a code block written in HTML ([`html_code_blocks`]).
const PRE_CODE_OPEN: &str = "<pre><code";
static STYLE_OPEN: Fixed = Fixed::new(|| memchr::memmem::Finder::new("<style"));

fn remove_empty_paragraphs(html: &str) -> String {
    // memchr's SIMD search: every slide's HTML is read here (str::find's
    // Two-Way search was 3% of a corpus build across these scans).
    let mut out = String::new();
    let mut from = 0;
    for i in P_OPEN.find_iter(html.as_bytes()) {
        let after = &html[i + 3..];
        let ws = after.len() - after.trim_start().len();
        if i >= from && after[ws..].starts_with("</p>") {
            out.push_str(&html[from..i]);
            from = i + 3 + ws + 4;
        }
    }
    if from == 0 {
        return html.to_owned();
    }
    out.push_str(&html[from..]);
    out
}

fn normalize_ref(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// Markdown to HTML with pulldown-cmark's parser and our writer.
fn markdown_to_html(
    markdown: &str,
    ctx: &MarkdownContext,
    children: &[(String, bool)],
    images: &mut Vec<String>,
) -> String {
    let options = parser_options();
    let mut resolve = |link: BrokenLink<'_>| {
        if ctx.links.is_empty() {
            return None;
        }
        let key = normalize_ref(&link.reference);
        ctx.links
            .iter()
            .find(|(id, _)| normalize_ref(id) == key)
            .map(|(_, def)| {
                (
                    CowStr::from(def.href.clone()),
                    CowStr::from(def.title.clone().unwrap_or_default()),
                )
            })
    };
    let parser = Parser::new_with_broken_link_callback(markdown, options, Some(&mut resolve));
    let mut w = Writer {
        out: String::with_capacity(markdown.len() * 3 / 2 + 16),
        ctx,
        images,
        src: markdown,
        children,
        code: None,
        image_alt: None,
        table_head: false,
        glued: false,
        table_align: Vec::new(),
        cell: 0,
        pending: String::new(),
        links: 0,
        html_link: false,
        items: Vec::new(),
        lists: Vec::new(),
        containers: 0,
        bare_paragraph: false,
        blank_lines: None,
        paragraphs: 0,
        headings: 0,
    };
    for (event, range) in parser.into_offset_iter() {
        w.event(event, range);
    }
    w.flush_text();
    w.close_forced_paragraph();
    w.out
}

/// A list item as marked decides it.
struct ItemState {
    /// The item's Markdown.
    range: std::ops::Range<usize>,
    /// marked makes the item loose (its text a paragraph) where CommonMark
    /// keeps it tight (worked out when the item's own text starts).
    force_loose: Option<bool>,
    /// Our `<p>` for it is open.
    p_open: bool,
    /// Paragraph depth when the item started.
    paragraphs: usize,
    /// marked keeps the item tight where CommonMark makes the whole list
    /// loose: its own paragraphs lose their `<p>`.
    tight: bool,
    /// [`Writer::containers`] inside the item: a paragraph at this depth is
    /// the item's own.
    containers: usize,
}

/// A list, for marked's per-item looseness.
struct ListState {
    /// The list's Markdown.
    range: std::ops::Range<usize>,
    /// The previous item ended with a blank line (marked's `next`).
    next: bool,
}

struct Writer<'a, 'c> {
    out: String,
    ctx: &'a MarkdownContext<'c>,
    images: &'a mut Vec<String>,
    /// The Markdown being converted (for source ranges).
    src: &'a str,
    /// Converted content classes, by placeholder number.
    children: &'a [(String, bool)],
    /// Text not written yet (consecutive text events, for autolinks).
    pending: String,
    /// Depth of Markdown links open.
    links: usize,
    /// Inside an `<a ...>` written in HTML.
    html_link: bool,
    items: Vec<ItemState>,
    lists: Vec<ListState>,
    /// Block containers open (block quotes, lists, items, tables).
    containers: usize,
    /// The paragraph open is written without `<p>` (a tight item's text).
    bare_paragraph: bool,
    /// `src`'s lines, for marked's loose item test (made on the first list
    /// item).
    blank_lines: Option<BlankLines>,
    paragraphs: usize,
    headings: usize,
    /// Inside a code block: its language and text so far.
    code: Option<(String, String)>,
    /// Inside an image: (src, title, alt so far).
    image_alt: Option<(String, String, String)>,
    table_head: bool,
    /// The last event was a glued comment: the soft break after it goes.
    glued: bool,
    table_align: Vec<pulldown_cmark::Alignment>,
    cell: usize,
}

impl Writer<'_, '_> {
    fn event(&mut self, event: Event, range: std::ops::Range<usize>) {
        // A list item's comment line ([`crate::remark::marked::GLUED`]):
        // no line break before it, none after.
        let glued_before = std::mem::take(&mut self.glued);
        if let Event::InlineHtml(_) = &event
            && self.pending == crate::remark::marked::GLUED
        {
            self.pending.clear();
            if self.out.ends_with('\n') {
                self.out.pop();
            }
            self.glued = true;
        }
        if self.code.is_none()
            && self.image_alt.is_none()
            && let Event::Text(t) = &event
        {
            self.open_forced_paragraph();
            self.pending.push_str(t);
            return;
        }
        self.flush_text();
        if self.code.is_none() && self.image_alt.is_none() {
            match &event {
                Event::Code(_)
                | Event::InlineHtml(_)
                | Event::SoftBreak
                | Event::HardBreak
                | Event::InlineMath(_)
                | Event::Start(
                    Tag::Emphasis
                    | Tag::Strong
                    | Tag::Strikethrough
                    | Tag::Link { .. }
                    | Tag::Image { .. },
                ) => self.open_forced_paragraph(),
                Event::Start(
                    Tag::Paragraph
                    | Tag::Heading { .. }
                    | Tag::BlockQuote(_)
                    | Tag::CodeBlock(_)
                    | Tag::List(_)
                    | Tag::HtmlBlock
                    | Tag::Table(_),
                )
                | Event::Rule
                | Event::End(TagEnd::Item) => self.close_forced_paragraph(),
                _ => {}
            }
        }
        match &event {
            Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item | Tag::Table(_)) => {
                self.containers += 1
            }
            Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item | TagEnd::Table) => {
                self.containers = self.containers.saturating_sub(1)
            }
            _ => {}
        }
        match &event {
            Event::Start(Tag::Paragraph) => {
                self.paragraphs += 1;
                if let Some(item) = self.items.last()
                    && item.tight
                    && item.containers == self.containers
                {
                    self.bare_paragraph = true;
                    return;
                }
            }
            Event::End(TagEnd::Paragraph) => {
                self.paragraphs = self.paragraphs.saturating_sub(1);
                if std::mem::take(&mut self.bare_paragraph) {
                    return;
                }
            }
            Event::Start(Tag::List(_)) => self.lists.push(ListState {
                range: range.clone(),
                next: false,
            }),
            Event::End(TagEnd::List(_)) => {
                self.lists.pop();
            }
            Event::Start(Tag::Heading { .. }) | Event::Start(Tag::TableCell) => self.headings += 1,
            Event::End(TagEnd::Heading(_)) | Event::End(TagEnd::TableCell) => {
                self.headings = self.headings.saturating_sub(1)
            }
            Event::Start(Tag::Link { .. }) => self.links += 1,
            Event::End(TagEnd::Link) => self.links = self.links.saturating_sub(1),
            Event::InlineHtml(h) => {
                // marked's `inLink` also follows links written in HTML.
                let starts = |p: &str| h.get(..p.len()).is_some_and(|s| s.eq_ignore_ascii_case(p));
                if starts("<a ") {
                    self.html_link = true;
                } else if starts("</a>") {
                    self.html_link = false;
                }
            }
            _ => {}
        }
        if let Event::Start(Tag::Item) = &event {
            self.out.push_str("<li>");
            let loose = self.marked_loose(range.clone());
            self.items.push(ItemState {
                range: range.clone(),
                force_loose: Some(loose),
                p_open: false,
                paragraphs: self.paragraphs,
                tight: !loose,
                containers: self.containers,
            });
            return;
        }
        if let Event::End(TagEnd::Item) = &event {
            self.items.pop();
        }
        if let Event::Start(Tag::Heading { level, .. }) = &event {
            let id = self.heading_id(range);
            self.out
                .push_str(&format!("<{} id=\"{}\">", heading(*level), id));
            return;
        }
        if let Some((_, code)) = &mut self.code {
            match event {
                Event::Text(t) => code.push_str(&t),
                Event::End(TagEnd::CodeBlock) => self.end_code(),
                _ => {}
            }
            return;
        }
        if let Some((_, _, alt)) = &mut self.image_alt {
            match event {
                Event::Text(t) | Event::Code(t) => alt.push_str(&t),
                Event::End(TagEnd::Image) => self.end_image(),
                _ => {}
            }
            return;
        }
        match event {
            Event::Start(tag) => self.start(tag),
            Event::End(tag) => self.end(tag),
            Event::Text(t) => escape_into(&mut self.out, &t),
            Event::Code(t) => {
                // marked's `inline.code`: `^(`+)\s*([\s\S]*?[^`])\s*\1(?!`)`
                // trims all the spaces around the code.
                self.out.push_str("<code class=\"remark-inline-code\">");
                escape_into(&mut self.out, without_inert(&t).trim());
                self.out.push_str("</code>");
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                collect_html_images(&h, self.images);
                // The inert characters `marked::prepare` put in an HTML
                // block's blank lines or before a line's tag.
                self.out.push_str(&without_inert(&h));
            }
            Event::SoftBreak if glued_before => {}
            Event::SoftBreak => self.out.push('\n'),
            // marked replaces the spaces and newline by `<br>` alone.
            Event::HardBreak => self.out.push_str("<br>"),
            Event::Rule => self.out.push_str("<hr>\n"),
            Event::InlineMath(t) | Event::DisplayMath(t) => escape_into(&mut self.out, &t),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    /// Writes pending text, with marked's GFM autolinks (`inline.gfm.url`:
    /// `^(https?:\/\/[^\s<]+[^<.,:;"')\]\s])`, lib/marked.js) outside links.
    fn flush_text(&mut self) {
        if self.pending.is_empty() {
            return;
        }
        let mut text = std::mem::take(&mut self.pending);
        if let std::borrow::Cow::Owned(kept) = without_inert(&text) {
            text = kept;
        }
        if self.links > 0 || self.html_link {
            escape_into(&mut self.out, &text);
        } else {
            write_autolinked(&mut self.out, &text);
        }
        // Keep the buffer's allocation for the next run of text.
        text.clear();
        self.pending = text;
    }

    /// Whether marked makes the item at `range` (in the innermost list)
    /// loose: marked 0.3 `Lexer.prototype.token`, list:
    /// `loose = next || /\n\n(?!\s*$)/.test(item)`, then for every item
    /// but the last `next = item.charAt(item.length - 1) === '\n'` (the item
    /// is followed by a blank line) and `if (!loose) loose = next`. Per
    /// item, where CommonMark makes all of a list loose or none.
    fn marked_loose(&mut self, range: std::ops::Range<usize>) -> bool {
        let src = self.src;
        let lines = self.blank_lines.get_or_insert_with(|| BlankLines::new(src));
        let inside = lines.marked_loose_item(src, range.clone());
        let Some(list) = self.lists.last_mut() else {
            return inside;
        };
        let text_end = |r: std::ops::Range<usize>| {
            r.start + src.get(r.clone()).map_or(0, |t| t.trim_end().len())
        };
        let item_end = text_end(range);
        let last = item_end >= text_end(list.range.clone());
        let ends = !last && lines.blank_line_after(item_end);
        let loose = list.next || inside || ends;
        list.next = ends;
        loose
    }

    /// The item's own text starts: open its paragraph when marked made the
    /// item loose.
    fn open_forced_paragraph(&mut self) {
        let (paragraphs, headings) = (self.paragraphs, self.headings);
        let src = self.src;
        let lines = self.blank_lines.get_or_insert_with(|| BlankLines::new(src));
        if let Some(item) = self.items.last_mut()
            && !item.p_open
            && paragraphs == item.paragraphs
            && headings == 0
            && *item
                .force_loose
                .get_or_insert_with(|| lines.marked_loose_item(src, item.range.clone()))
        {
            item.p_open = true;
            self.out.push_str("<p>");
        }
    }

    fn close_forced_paragraph(&mut self) {
        if let Some(item) = self.items.last_mut()
            && item.p_open
        {
            item.p_open = false;
            self.out.push_str("</p>\n");
        }
    }

    /// marked's heading id: `raw.toLowerCase().replace(/[^\w]+/g, '-')`
    /// (`Renderer.prototype.heading`, lib/marked.js), where `raw` is the
    /// heading's Markdown (content classes as remark wrote them: HTML).
    fn heading_id(&self, range: std::ops::Range<usize>) -> String {
        let source = self.src.get(range).unwrap_or("");
        let line = source.lines().next().unwrap_or("");
        let t = line.trim_start_matches(' ');
        let raw = if t.starts_with('#') {
            let t = t.trim_start_matches('#').trim_start_matches(' ');
            let t = t.trim_end_matches(' ');
            let without = t.trim_end_matches('#');
            if without.len() < t.len() && (without.is_empty() || without.ends_with(' ')) {
                without.trim_end_matches(' ')
            } else {
                t
            }
        } else {
            line.trim()
        };
        let raw = expand_placeholders(raw, self.children);
        let mut id = String::with_capacity(raw.len());
        let mut dash = false;
        for c in raw.chars().flat_map(char::to_lowercase) {
            if c.is_ascii_alphanumeric() || c == '_' {
                id.push(c);
                dash = false;
            } else if !dash {
                id.push('-');
                dash = true;
            }
        }
        let mut escaped = String::with_capacity(id.len());
        escape_into(&mut escaped, &id);
        escaped
    }

    fn start(&mut self, tag: Tag) {
        let o = &mut self.out;
        match tag {
            Tag::Paragraph => o.push_str("<p>"),
            Tag::Heading { .. } => {}
            Tag::BlockQuote(_) => o.push_str("<blockquote>\n"),
            Tag::CodeBlock(kind) => {
                let lang = code_lang(&kind);
                self.code = Some((lang, String::new()));
            }
            Tag::List(Some(1)) => o.push_str("<ol>\n"),
            Tag::List(Some(n)) => o.push_str(&format!("<ol start=\"{n}\">\n")),
            Tag::List(None) => o.push_str("<ul>\n"),
            Tag::Item => {}
            Tag::Table(align) => {
                self.table_align = align;
                o.push_str("<table>\n");
            }
            Tag::TableHead => {
                self.table_head = true;
                self.cell = 0;
                o.push_str("<thead>\n<tr>\n");
            }
            Tag::TableRow => {
                self.cell = 0;
                o.push_str("<tr>\n");
            }
            Tag::TableCell => {
                let t = if self.table_head { "th" } else { "td" };
                match self.table_align.get(self.cell) {
                    Some(pulldown_cmark::Alignment::Left) => {
                        o.push_str(&format!("<{t} style=\"text-align:left\">"))
                    }
                    Some(pulldown_cmark::Alignment::Right) => {
                        o.push_str(&format!("<{t} style=\"text-align:right\">"))
                    }
                    Some(pulldown_cmark::Alignment::Center) => {
                        o.push_str(&format!("<{t} style=\"text-align:center\">"))
                    }
                    _ => o.push_str(&format!("<{t}>")),
                }
            }
            Tag::Emphasis => o.push_str("<em>"),
            Tag::Strong => o.push_str("<strong>"),
            Tag::Strikethrough => o.push_str("<del>"),
            Tag::Link {
                dest_url, title, ..
            } => {
                o.push_str("<a href=\"");
                escape_into(o, &dest_url);
                o.push('"');
                push_title(o, &title);
                o.push('>');
            }
            Tag::Image {
                dest_url,
                title,
                link_type,
                ..
            } => {
                let _: LinkType = link_type;
                self.image_alt = Some((dest_url.to_string(), title.to_string(), String::new()));
            }
            Tag::HtmlBlock
            | Tag::FootnoteDefinition(_)
            | Tag::DefinitionList
            | Tag::DefinitionListTitle
            | Tag::DefinitionListDefinition
            | Tag::MetadataBlock(_)
            | Tag::Superscript
            | Tag::Subscript => {}
        }
    }

    fn end(&mut self, tag: TagEnd) {
        let o = &mut self.out;
        match tag {
            TagEnd::Paragraph => o.push_str("</p>\n"),
            TagEnd::Heading(level) => o.push_str(&format!("</{}>\n", heading(level))),
            TagEnd::BlockQuote(_) => o.push_str("</blockquote>\n"),
            TagEnd::List(ordered) => o.push_str(if ordered { "</ol>\n" } else { "</ul>\n" }),
            TagEnd::Item => o.push_str("</li>\n"),
            TagEnd::Table => o.push_str("</tbody>\n</table>\n"),
            TagEnd::TableHead => {
                self.table_head = false;
                o.push_str("</tr>\n</thead>\n<tbody>\n");
            }
            TagEnd::TableRow => o.push_str("</tr>\n"),
            TagEnd::TableCell => {
                let t = if self.table_head { "th" } else { "td" };
                o.push_str(&format!("</{t}>\n"));
                self.cell += 1;
            }
            TagEnd::Emphasis => o.push_str("</em>"),
            TagEnd::Strong => o.push_str("</strong>"),
            TagEnd::Strikethrough => o.push_str("</del>"),
            TagEnd::Link => o.push_str("</a>"),
            TagEnd::CodeBlock | TagEnd::Image => {}
            _ => {}
        }
    }

    fn end_code(&mut self) {
        if let Some((lang, code)) = self.code.take() {
            self.out
                .push_str(&self.ctx.highlighter.code_block(&lang, &code, self.ctx.code));
            // Like remark's Markdown library: a newline after a block with a
            // language, none after one without (so text runs on).
            if !lang.is_empty() {
                self.out.push('\n');
            }
        }
    }

    fn end_image(&mut self) {
        if let Some((src, title, alt)) = self.image_alt.take() {
            let o = &mut self.out;
            o.push_str("<img src=\"");
            escape_into(o, &src);
            o.push_str("\" alt=\"");
            escape_into(o, &alt);
            o.push('"');
            push_title(o, &title);
            o.push('>');
            self.images.push(src);
        }
    }
}

/// The lines of a Markdown text and which are blank, for marked's loose
/// item test in time independent of the item's length: testing each
/// item's whole text made nested lists cubic (2,000 levels: 30 s).
struct BlankLines {
    /// Offset of each line's first byte.
    starts: Vec<usize>,
    /// For each line, the first blank line at or after it (`starts.len()`: none).
    next_blank: Vec<usize>,
    /// For each line, the first non-blank line at or after it.
    next_text: Vec<usize>,
}

impl BlankLines {
    fn new(src: &str) -> BlankLines {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', src.as_bytes()).map(|i| i + 1));
        let n = starts.len();
        let (mut next_blank, mut next_text) = (vec![n; n + 1], vec![n; n + 1]);
        let mut end = src.len();
        for i in (0..n).rev() {
            let blank = src.get(starts[i]..end).is_none_or(|l| l.trim().is_empty());
            next_blank[i] = if blank { i } else { next_blank[i + 1] };
            next_text[i] = if blank { next_text[i + 1] } else { i };
            end = starts[i].saturating_sub(1);
        }
        BlankLines {
            starts,
            next_blank,
            next_text,
        }
    }

    /// Whether the line after the one holding byte `end - 1` is blank.
    fn blank_line_after(&self, end: usize) -> bool {
        let Some(at) = end.checked_sub(1) else {
            return false;
        };
        let line = self.starts.partition_point(|&s| s <= at).saturating_sub(1);
        line + 1 < self.starts.len() && self.next_blank[line + 1] == line + 1
    }

    /// marked's loose item test on the item's text: `/\n\n(?!\s*$)/` (a
    /// blank line with text after it, even inside fenced code;
    /// lib/marked.js), on `src[range]`.
    fn marked_loose_item(&self, src: &str, range: std::ops::Range<usize>) -> bool {
        let Some(item) = src.get(range.clone()) else {
            return false;
        };
        // The item's text ends at its last non-blank character.
        let end = range.start + item.trim_end().len();
        if end <= range.start {
            return false;
        }
        // The line holding the item's start: only its part in the item counts.
        let first = self.starts.partition_point(|&s| s <= range.start) - 1;
        let first_end = self
            .starts
            .get(first + 1)
            .map_or(end, |&s| (s - 1).min(end));
        let first_blank = src
            .get(range.start..first_end.max(range.start))
            .is_none_or(|l| l.trim().is_empty());
        let begins = |line: usize| self.starts.get(line).is_some_and(|&s| s < end);
        let blank = if first_blank {
            first
        } else {
            self.next_blank[first + 1]
        };
        begins(blank) && begins(self.next_text[blank + 1])
    }
}

/// Placeholders of content classes replaced by their HTML.
fn expand_placeholders(text: &str, children: &[(String, bool)]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(PH) {
        out.push_str(&rest[..i]);
        let after = &rest[i + PH.len_utf8()..];
        match after
            .find(PH)
            .and_then(|j| Some((j, children.get(after[..j].parse::<usize>().ok()?)?)))
        {
            Some((j, (child, _))) => {
                out.push_str(child);
                rest = &after[j + PH.len_utf8()..];
            }
            None => {
                out.push(PH);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Offset of the first `http://` or `https://` in `text`.
fn find_url_start(text: &str) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = HTTP.find(&text.as_bytes()[from..]).map(|i| i + from) {
        let rest = &text[i + 4..];
        if rest.starts_with("://") || rest.starts_with("s://") {
            return Some(i);
        }
        from = i + 4;
    }
    None
}

/// Escapes `text`, making `http(s)://` URLs links as marked's GFM `url` rule.
fn write_autolinked(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(at) = find_url_start(rest) {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| c.is_whitespace() || c == '<')
            .unwrap_or(tail.len());
        let url = tail[..end].trim_end_matches(['.', ',', ':', ';', '"', '\'', ')', ']']);
        let scheme = if url.starts_with("https") { 8 } else { 7 };
        if url.len() <= scheme {
            escape_into(out, &rest[..at + scheme.min(tail.len())]);
            rest = &rest[at + scheme.min(tail.len())..];
            continue;
        }
        escape_into(out, &rest[..at]);
        out.push_str("<a href=\"");
        escape_into(out, url);
        out.push_str("\">");
        escape_into(out, url);
        out.push_str("</a>");
        rest = &tail[url.len()..];
    }
    escape_into(out, rest);
}

/// `<pre><code>` written in HTML, as remark shows it: highlighted and split
/// into lines like fenced code (remark 0.14 slideView.js
/// `highlightCodeBlocks` handles every `code` whose parent is a `pre`).
fn html_code_blocks(html: String, ctx: &MarkdownContext) -> String {
    const OPEN: &str = PRE_CODE_OPEN;
    let foreign = PRE_CODE
        .find_iter(html.as_bytes())
        .any(|i| !html[i + OPEN.len()..].starts_with(" class=\"remark-code"));
    if !foreign {
        return html;
    }
    let html = html.as_str();
    let mut out = String::with_capacity(html.len() + 64);
    let mut rest = html;
    while let Some(i) = PRE_CODE.find(rest.as_bytes()) {
        let after = &rest[i + OPEN.len()..];
        let ours = after.starts_with(" class=\"remark-code");
        let parsed = (!ours)
            .then(|| {
                let tag_end = after.find('>')?;
                let attrs = &after[..tag_end];
                if !(attrs.is_empty() || attrs.starts_with(' ')) {
                    return None;
                }
                let body_len = after[tag_end + 1..].find("</code></pre>")?;
                Some((attrs, tag_end, body_len))
            })
            .flatten();
        let Some((attrs, tag_end, body_len)) = parsed else {
            out.push_str(&rest[..i + OPEN.len()]);
            rest = after;
            continue;
        };
        let body = &after[tag_end + 1..tag_end + 1 + body_len];
        let lang = attrs
            .split("class=")
            .nth(1)
            .map(|v| {
                v.trim_matches(|c| c == '"' || c == '\'')
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_start_matches("language-")
                    .trim_start_matches("lang-")
                    .to_owned()
            })
            .unwrap_or_default();
        out.push_str(&rest[..i]);
        if body.contains('<') {
            // Markup inside: lines only, as written.
            out.push_str("<pre><code class=\"remark-code\">");
            let mut lines: Vec<&str> = body.split('\n').collect();
            if lines.len() > 1 && lines.last() == Some(&"") {
                lines.pop();
            }
            for line in lines {
                out.push_str("<div class=\"remark-code-line\">");
                out.push_str(line);
                out.push_str("</div>");
            }
            out.push_str("</code></pre>");
        } else {
            let text = htmlize::unescape(body);
            out.push_str(&ctx.highlighter.code_block(&lang, &text, ctx.code));
        }
        rest = &after[tag_end + 1 + body_len + "</code></pre>".len()..];
    }
    out.push_str(rest);
    out
}

/// The `<style>...</style>` elements of some HTML.
fn style_elements(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = STYLE_OPEN.find(rest.as_bytes()) {
        let Some(end) = memchr::memmem::find(&rest.as_bytes()[i..], b"</style>") else {
            break;
        };
        out.push(rest[i..i + end + "</style>".len()].to_owned());
        rest = &rest[i + end + "</style>".len()..];
    }
    out
}

/// ` title="..."` when there is a title.
fn push_title(out: &mut String, title: &str) {
    if !title.is_empty() {
        out.push_str(" title=\"");
        escape_into(out, title);
        out.push('"');
    }
}

fn heading(level: HeadingLevel) -> &'static str {
    match level {
        HeadingLevel::H1 => "h1",
        HeadingLevel::H2 => "h2",
        HeadingLevel::H3 => "h3",
        HeadingLevel::H4 => "h4",
        HeadingLevel::H5 => "h5",
        HeadingLevel::H6 => "h6",
    }
}

/// `src="..."` of `<img>` tags in raw HTML.
fn collect_html_images(html: &str, images: &mut Vec<String>) {
    let mut rest = html;
    while let Some(i) = rest.find("<img") {
        rest = &rest[i + 4..];
        let end = rest.find('>').unwrap_or(rest.len());
        let tag = &rest[..end];
        if let Some(s) = tag.find("src=") {
            let v = &tag[s + 4..];
            let (quote, v) = match v.chars().next() {
                Some(q @ ('"' | '\'')) => (Some(q), &v[1..]),
                _ => (None, v),
            };
            let stop = match quote {
                Some(q) => v.find(q),
                None => v.find(|c: char| c.is_whitespace() || c == '>'),
            }
            .unwrap_or(v.len());
            images.push(v[..stop].to_owned());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// remark's `innerHTML.replace(/<p>\s*<\/p>/g, '')` (converter.js):
    /// every empty paragraph goes, the others stay as they are.
    #[test]
    fn empty_paragraphs_are_removed_and_others_kept() {
        assert_eq!(
            remove_empty_paragraphs("<p>a</p><p> \n</p><p></p>b<p>c</p><p>"),
            "<p>a</p>b<p>c</p><p>"
        );
        assert_eq!(remove_empty_paragraphs("<p>x</p>"), "<p>x</p>");
        assert_eq!(remove_empty_paragraphs("<p></p>"), "");
        assert_eq!(remove_empty_paragraphs("no paragraph"), "no paragraph");
    }

    /// marked's loose test as written (lib/marked.js), on the item's text.
    fn loose_by_the_book(source: &str) -> bool {
        let mut seen_blank = false;
        for line in source.trim_end().lines() {
            if line.trim().is_empty() {
                seen_blank = true;
            } else if seen_blank {
                return true;
            }
        }
        false
    }

    #[test]
    fn loose_items_are_found_as_marked_finds_them() {
        let texts = [
            "- a\n- b\n",
            "- a\n\n- b\n",
            "- a\n\n  b\n\n",
            "  - a\n  \n   \n",
            "- a\n \t\n- b\r\n\r\nc",
            "\n\nx",
            "x\n\n",
            "",
        ];
        for text in texts {
            let lines = BlankLines::new(text);
            for start in 0..=text.len() {
                for end in start..=text.len() {
                    if let Some(item) = text.get(start..end) {
                        assert_eq!(
                            lines.marked_loose_item(text, start..end),
                            loose_by_the_book(item),
                            "{text:?}[{start}..{end}]"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn deeply_nested_lists_render_in_linear_time() {
        // 2,000 levels took 30 s (each item's whole text tested again).
        let md: String = (0..2000)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect();
        let started = std::time::Instant::now();
        let out = html(&md);
        assert!(out.contains("<li>"), "{out}");
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
    }
    use crate::remark::{lexer::lex, parser::parse};

    /// The first slide of `src` rendered with code spans on.
    fn rendered(src: &str) -> Rendered {
        let links = HashMap::new();
        let h = Highlighter::new();
        let code = CodeOptions {
            spans: true,
            ..CodeOptions::default()
        };
        let ctx = MarkdownContext {
            links: &links,
            highlighter: &h,
            code: &code,
        };
        let slides = parse(lex(src));
        render(&slides[0].content, &ctx)
    }

    fn html(src: &str) -> String {
        rendered(src).html
    }

    #[test]
    fn block_class_replaces_its_paragraph() {
        assert_eq!(
            html(".exercise[\n- a\n]\n\nb"),
            "<div class=\"exercise\"><ul>\n<li>a</li>\n</ul>\n</div>\n<p>b</p>"
        );
    }

    #[test]
    fn inline_class_loses_its_paragraph() {
        assert_eq!(
            html("x .small[*y*] z"),
            "<p>x <span class=\"small\"><em>y</em></span> z</p>"
        );
    }

    #[test]
    fn code_without_language_runs_into_the_next_block() {
        let h = html("```\n$ ls\n```\n- next");
        assert!(h.contains("</pre><ul>"), "{h}");
        let h = html("```bash\nls\n```\n- next");
        assert!(h.contains("</pre>\n<ul>"), "{h}");
    }

    #[test]
    fn images_are_collected() {
        let r = rendered("![a](images/x.png) <img src=\"images/y.svg\">");
        assert_eq!(r.images, ["images/x.png", "images/y.svg"]);
    }
}
