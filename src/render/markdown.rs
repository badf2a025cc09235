//! Slide Markdown to HTML, the way remark converts it: content classes are
//! converted first (a class holding a single paragraph loses the `<p>`), the
//! rest with pulldown-cmark. The HTML writer is ours so that whitespace
//! between elements matches what remark's Markdown library produced (it
//! decides which words run together in the text a student sees).

use std::collections::HashMap;

use pulldown_cmark::{
    BrokenLink, CodeBlockKind, CowStr, Event, HeadingLevel, LinkType, Options, Parser, Tag, TagEnd,
};

use super::highlight::{Highlighter, escape_into};
use crate::remark::{LinkDef, Node};

/// Placeholder delimiters for content classes inside Markdown text: control
/// characters that Markdown leaves alone and decks never contain.
const PH: char = '\u{1A}';

/// What a slide's Markdown needs from the deck.
pub struct MarkdownContext<'a> {
    /// Link definitions of the whole deck (remark shares them across slides).
    pub links: &'a HashMap<String, LinkDef>,
    pub highlighter: &'a Highlighter,
}

/// Images referenced by rendered Markdown (for copying local ones).
#[derive(Debug, Default, Clone)]
pub struct Rendered {
    pub html: String,
    pub images: Vec<String>,
}

/// A key that identifies what [`render`] produces for `nodes` in `ctx`:
/// the text and class structure, and the deck's link definitions.
pub fn cache_key(nodes: &[Node], ctx: &MarkdownContext) -> String {
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
                    out.push_str(&classes.join("."));
                    out.push(if *block { '\u{2}' } else { '\u{3}' });
                    walk(content, out);
                    out.push('\u{4}');
                }
            }
        }
    }
    let mut key = String::new();
    walk(nodes, &mut key);
    if !ctx.links.is_empty() && key.contains(']') {
        // Only the definitions this content may use: decks differ in their
        // definitions, and the same slide should be rendered once.
        let lower = key.to_lowercase();
        let mut links: Vec<_> = ctx
            .links
            .iter()
            .filter(|(id, _)| lower.contains(&normalize_ref(id)))
            .collect();
        links.sort_by(|a, b| a.0.cmp(b.0));
        for (id, def) in links {
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
    let html = html.strip_suffix('\n').unwrap_or(&html).to_owned();
    Rendered { html, images }
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
                html.push_str(&convert(content, ctx, true, images));
                html.push_str(&format!("</{tag}>"));
                markdown.push(PH);
                markdown.push_str(&children.len().to_string());
                markdown.push(PH);
                children.push((html, *block));
            }
        }
    }
    let markdown = super::compat::prepare(markdown.trim_start());
    let mut html = markdown_to_html(&markdown, ctx, images);
    if !children.is_empty() {
        html = substitute(&html, &children);
    }
    if inside_class && let Some(inner) = single_paragraph(&html) {
        return inner.to_owned();
    }
    html
}

/// Puts converted content classes back in place of their placeholders. A
/// block class alone in a paragraph replaces the paragraph.
fn substitute(html: &str, children: &[(String, bool)]) -> String {
    let mut out =
        String::with_capacity(html.len() + children.iter().map(|c| c.0.len()).sum::<usize>());
    let mut rest = html;
    while let Some(i) = rest.find(PH) {
        let after = &rest[i + PH.len_utf8()..];
        let Some(j) = after.find(PH) else { break };
        let Ok(k) = after[..j].parse::<usize>() else {
            out.push_str(&rest[..i + PH.len_utf8()]);
            rest = after;
            continue;
        };
        let Some((child, block)) = children.get(k) else {
            out.push_str(&rest[..i + PH.len_utf8()]);
            rest = after;
            continue;
        };
        let tail = &after[j + PH.len_utf8()..];
        let before = &rest[..i];
        if *block && before.ends_with("<p>") && tail.starts_with("</p>") {
            out.push_str(&before[..before.len() - 3]);
            out.push_str(child);
            rest = &tail[4..];
        } else {
            out.push_str(&rest[..i]);
            out.push_str(child);
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// The inner HTML when `html` is exactly one paragraph element.
fn single_paragraph(html: &str) -> Option<&str> {
    let t = html.trim_matches(|c: char| c.is_ascii_whitespace());
    let inner = t.strip_prefix("<p>")?.strip_suffix("</p>")?;
    (!inner.contains("</p>") && !inner.contains("<p>")).then_some(inner)
}

fn remove_empty_paragraphs(html: &str) -> String {
    if !html.contains("<p>") {
        return html.to_owned();
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(i) = rest.find("<p>") {
        let after = &rest[i + 3..];
        let ws = after.len() - after.trim_start().len();
        if after[ws..].starts_with("</p>") {
            out.push_str(&rest[..i]);
            rest = &after[ws + 4..];
        } else {
            out.push_str(&rest[..i + 3]);
            rest = after;
        }
    }
    out.push_str(rest);
    out
}

fn normalize_ref(s: &str) -> String {
    s.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
}

/// The Markdown extensions remark's Markdown library had (shared with
/// [`super::displayed`], which must read code blocks exactly as rendered).
pub(crate) fn parser_options() -> Options {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_TABLES);
    options.insert(Options::ENABLE_STRIKETHROUGH);
    options
}

/// A fenced block's language: the info string's first word (`.bash` too).
pub(crate) fn code_lang(kind: &CodeBlockKind) -> String {
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

/// Markdown to HTML with pulldown-cmark's parser and our writer.
fn markdown_to_html(markdown: &str, ctx: &MarkdownContext, images: &mut Vec<String>) -> String {
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
        code: None,
        image_alt: None,
        table_head: false,
        table_align: Vec::new(),
        cell: 0,
    };
    for event in parser {
        w.event(event);
    }
    w.out
}

struct Writer<'a, 'c> {
    out: String,
    ctx: &'a MarkdownContext<'c>,
    images: &'a mut Vec<String>,
    /// Inside a code block: its language and text so far.
    code: Option<(String, String)>,
    /// Inside an image: (src, title, alt so far).
    image_alt: Option<(String, String, String)>,
    table_head: bool,
    table_align: Vec<pulldown_cmark::Alignment>,
    cell: usize,
}

impl Writer<'_, '_> {
    fn event(&mut self, event: Event) {
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
                self.out.push_str("<code class=\"remark-inline-code\">");
                escape_into(&mut self.out, &t);
                self.out.push_str("</code>");
            }
            Event::Html(h) | Event::InlineHtml(h) => {
                collect_html_images(&h, self.images);
                self.out.push_str(&h);
            }
            Event::SoftBreak => self.out.push('\n'),
            // marked replaces the spaces and newline by `<br>` alone.
            Event::HardBreak => self.out.push_str("<br>"),
            Event::Rule => self.out.push_str("<hr>\n"),
            Event::InlineMath(t) | Event::DisplayMath(t) => escape_into(&mut self.out, &t),
            Event::FootnoteReference(_) | Event::TaskListMarker(_) => {}
        }
    }

    fn start(&mut self, tag: Tag) {
        let o = &mut self.out;
        match tag {
            Tag::Paragraph => o.push_str("<p>"),
            Tag::Heading { level, .. } => {
                o.push_str(&format!("<{}>", heading(level)));
            }
            Tag::BlockQuote(_) => o.push_str("<blockquote>\n"),
            Tag::CodeBlock(kind) => {
                let lang = code_lang(&kind);
                self.code = Some((lang, String::new()));
            }
            Tag::List(Some(1)) => o.push_str("<ol>\n"),
            Tag::List(Some(n)) => o.push_str(&format!("<ol start=\"{n}\">\n")),
            Tag::List(None) => o.push_str("<ul>\n"),
            Tag::Item => o.push_str("<li>"),
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
                .push_str(&self.ctx.highlighter.code_block(&lang, &code));
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
    use crate::remark::{lexer::lex, parser::parse};

    fn html(src: &str) -> String {
        let links = HashMap::new();
        let h = Highlighter::new();
        let ctx = MarkdownContext {
            links: &links,
            highlighter: &h,
        };
        let slides = parse(lex(src));
        render(&slides[0].content, &ctx).html
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
        let links = HashMap::new();
        let h = Highlighter::new();
        let ctx = MarkdownContext {
            links: &links,
            highlighter: &h,
        };
        let slides = parse(lex("![a](images/x.png) <img src=\"images/y.svg\">"));
        let r = render(&slides[0].content, &ctx);
        assert_eq!(r.images, ["images/x.png", "images/y.svg"]);
    }
}
