//! Decks by other authors, as remark 0.14 shows them (issue 13): one
//! minimal input per difference seen in real decks. Expected HTML is written
//! from remark's source (gnab/remark src/remark/*.js, 0.14) and the `marked`
//! it bundles (lib/marked.js, 0.3: `block`/`inline` grammars, pedantic list
//! outdent, GFM `url`), cited at each test.

mod support;

use std::collections::HashMap;
use std::path::Path;

use labdeck::build::{BuildOptions, Builder};
use labdeck::deck::LoadOptions;
use labdeck::remark::{lexer::lex, parser::parse};
use labdeck::render::Highlighter;
use labdeck::render::highlight::CodeOptions;
use labdeck::render::markdown::{MarkdownContext, render};

/// The HTML of the first slide's content with remark's default options.
fn html(src: &str) -> String {
    html_with(src, &CodeOptions::default())
}

fn html_with(src: &str, code: &CodeOptions) -> String {
    let links = HashMap::new();
    let highlighter = Highlighter::new();
    let ctx = MarkdownContext {
        links: &links,
        highlighter: &highlighter,
        code,
    };
    render(&parse(lex(src))[0].content, &ctx).html
}

// ---------- Markdown ----------

#[test]
fn headings_need_no_space_after_the_hashes() {
    // marked block.heading `^ *(#{1,6}) *([^\n]+?) *#* *(?:\n+|$)`; the id
    // is Renderer.heading's `raw.toLowerCase().replace(/[^\w]+/g, '-')`.
    assert_eq!(html("#Title"), "<h1 id=\"title\">Title</h1>");
    assert_eq!(html("##Sub ##"), "<h2 id=\"sub\">Sub</h2>");
    // remark gives marked the class as HTML, so the raw text (and the id)
    // holds the span.
    assert_eq!(
        html("###.pink[x] text"),
        "<h3 id=\"-span-class-pink-x-span-text\"><span class=\"pink\">x</span> text</h3>"
    );
}

#[test]
fn tags_a_browser_accepts_are_html() {
    // marked inline.tag `^<\/?\w+(?:"[^"]*"|'[^']*'|[^'">])*?>` takes the
    // whole tag; the browser drops the stray `,` and `/` (written here as
    // it reads them). `img` is an inline tag (block._tag), so the line is a
    // paragraph.
    assert_eq!(
        html("<img src=\"x.png\" , width=\"100px\" / >"),
        "<p><img src=\"x.png\" width=\"100px\" /></p>"
    );
    assert_eq!(
        html(".center[<img src=\"y.png\", width=\"50px\"/>]"),
        "<p><span class=\"center\"><img src=\"y.png\" width=\"50px\" /></span></p>"
    );
}

#[test]
fn backslashes_marked_does_not_escape_stay() {
    // inline.gfm escape: `^\\([\\`*{}\[\]()#+\-.!_>~|])` only.
    assert_eq!(
        html("$$ z = wx + b\\,, $$ a\\;b \\* \\_"),
        "<p>$$ z = wx + b\\,, $$ a\\;b * _</p>"
    );
    // Inside code nothing changes.
    assert_eq!(
        html("`a\\;b`"),
        "<p><code class=\"remark-inline-code\">a\\;b</code></p>"
    );
}

#[test]
fn markdown_after_a_br_under_a_heading() {
    // `br` is an inline tag: no html block (block._tag), a paragraph that a
    // list ends (gfm paragraph lookahead).
    assert_eq!(
        html("# Title\n<br>\n- a\n- b"),
        "<h1 id=\"title\">Title</h1>\n<p><br></p>\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>"
    );
}

#[test]
fn inline_class_keeps_its_trailing_space() {
    // block.paragraph keeps the text's spaces; remark strips the lone `<p>`.
    assert_eq!(
        html("- .hidden[< ]**1999**"),
        "<ul>\n<li><span class=\"hidden\">&lt; </span><strong>1999</strong></li>\n</ul>"
    );
}

#[test]
fn html_pre_code_is_a_code_block() {
    // slideView.js highlightCodeBlocks: every `code` in a `pre` is wrapped
    // in lines; the fence inside is text.
    assert_eq!(
        html("<pre><code>let a = 1;\n```\n&lt;b&gt;</code></pre>"),
        "<pre><code class=\"remark-code\"><div class=\"remark-code-line\">let a = 1;</div><div class=\"remark-code-line\">```</div><div class=\"remark-code-line\">&lt;b&gt;</div></code></pre>"
    );
    let js = html("<pre><code class=\"javascript\">var x = 1;</code></pre>");
    assert!(
        js.starts_with("<pre><code class=\"remark-code hljs javascript\">"),
        "{js}"
    );
    // highlight.js 9 gives `<span class="hljs-keyword">var</span> x = <span class="hljs-number">1</span>;`.
    assert!(
        js.contains(
            "<span class=\"hljs-keyword\">var</span> x = <span class=\"hljs-number\">1</span>;"
        ),
        "coloured as highlight.js: {js}"
    );
}

#[test]
fn bare_urls_are_links() {
    // inline.gfm.url `^(https?:\/\/[^\s<]+[^<.,:;"')\]\s])`.
    assert_eq!(
        html("see https://example.org/x_y. (http://a.b/c)"),
        "<p>see <a href=\"https://example.org/x_y\">https://example.org/x_y</a>. (<a href=\"http://a.b/c\">http://a.b/c</a>)</p>"
    );
    // Not inside links.
    assert_eq!(
        html("[https://a.org](https://b.org)"),
        "<p><a href=\"https://b.org\">https://a.org</a></p>"
    );
}

#[test]
fn items_nest_under_any_less_indented_item() {
    // block.item `^( *)(bull) [^\n]*(?:\n(?!\1bull )[^\n]*)*`.
    assert_eq!(
        html("1. first\n2. second\n  * nested"),
        "<ol>\n<li>first</li>\n<li>second<ul>\n<li>nested</li>\n</ul>\n</li>\n</ol>"
    );
}

#[test]
fn quotes_separated_by_a_blank_line_are_one() {
    // block.blockquote `^( *>[^\n]+(\n(?!def)[^\n]+)*\n*)+`.
    assert_eq!(
        html("> one\n\n> two"),
        "<blockquote>\n<p>one</p>\n<p>two</p>\n</blockquote>"
    );
}

#[test]
fn paragraph_wrapping() {
    // A lone inline tag is a paragraph (block._tag excludes img).
    assert_eq!(
        html("a\n\n<img src=\"i.png\">\n\nb"),
        "<p>a</p>\n<p><img src=\"i.png\"></p>\n<p>b</p>"
    );
    // Two columns: the browser ends the paragraph at each div, remark drops
    // the empty `<p></p>` left (converter.js `/<p>\s*<\/p>/g`).
    assert_eq!(
        html(".left-column[\n- a\n]\n.right-column[\n- b\n]"),
        "<div class=\"left-column\"><ul>\n<li>a</li>\n</ul>\n</div>\n<div class=\"right-column\"><ul>\n<li>b</li>\n</ul>\n</div>"
    );
    // A block class keeps the `<p>` of its one paragraph (converter.js
    // strips it for inline classes only: `!content[i].block`), and text
    // before it is a paragraph of its own (block.paragraph stops at a tag).
    assert_eq!(
        html("intro\n.box[\nOne paragraph.\n]"),
        "<p>intro</p>\n<div class=\"box\"><p>One paragraph.</p>\n</div>"
    );
}

#[test]
fn fenced_code_with_a_blank_line_makes_the_item_loose() {
    // marked: `loose = next || /\n\n(?!\s*$)/.test(item)`.
    assert_eq!(
        html("- text\n  ```\n  a\n\n  b\n  ```\n- next"),
        "<ul>\n<li><p>text</p>\n<pre><code class=\"remark-code\"><div class=\"remark-code-line\">a</div><div class=\"remark-code-line\"></div><div class=\"remark-code-line\">b</div></code></pre></li>\n<li>next</li>\n</ul>"
    );
}

#[test]
fn code_spans_are_trimmed() {
    // inline.code `^(`+)\s*([\s\S]*?[^`])\s*\1(?!`)`.
    assert_eq!(
        html("`a b ` x"),
        "<p><code class=\"remark-inline-code\">a b</code> x</p>"
    );
}

#[test]
fn deep_text_under_an_item_is_a_paragraph() {
    // Pedantic outdent `item.replace(/^ {1,4}/gm, '')` leaves 3 spaces: no
    // code block (block.code needs 4).
    assert_eq!(
        html("- item\n\n       *deep* text"),
        "<ul>\n<li><p>item</p>\n<p><em>deep</em> text</p>\n</li>\n</ul>"
    );
}

// Issue 23, "The dialect, the rest": each expectation is what remark 0.14.1
// gave for the input in headless Chromium (the slide content's innerHTML,
// the slide number left out).

/// labdeck's HTML as the browser's serializer writes it back (HTML,
/// "Serializing HTML fragments", escaping a string: U+00A0 is `&nbsp;`), to
/// compare with remark's innerHTML: the DOM is the same.
fn as_serialized(html: &str) -> String {
    html.replace('\u{a0}', "&nbsp;")
}

#[test]
fn a_heading_of_only_an_entity() {
    // block.heading `^ *(#{1,6}) *([^\n]+?) *#* *(?:\n+|$)` takes `&nbsp;`
    // as the text; the id is Renderer.heading's `raw.toLowerCase()
    // .replace(/[^\w]+/g, '-')` of the text as written.
    assert_eq!(
        as_serialized(&html("##&nbsp;")),
        "<h2 id=\"-nbsp-\">&nbsp;</h2>"
    );
    assert_eq!(
        as_serialized(&html("#&nbsp;\n\ntext")),
        "<h1 id=\"-nbsp-\">&nbsp;</h1>\n<p>text</p>"
    );
}

#[test]
fn a_heading_line_after_an_item_stays_in_the_item() {
    // block.item `^( *)(bull) [^\n]*(?:\n(?!\1bull )[^\n]*)*`: the heading
    // line is part of the item; inside it, block.text (no paragraph in a
    // tight item) then block.heading.
    assert_eq!(
        html("- item\n# Heading\n- next"),
        "<ul>\n<li>item<h1 id=\"heading\">Heading</h1>\n</li>\n<li>next</li>\n</ul>"
    );
    assert_eq!(
        html("- item\n#Heading\n- next"),
        "<ul>\n<li>item<h1 id=\"heading\">Heading</h1>\n</li>\n<li>next</li>\n</ul>"
    );
    // A blank line ends the list (block.list `\n{2,}(?! )(?!\1bull )`).
    assert_eq!(
        html("1. a\n# H\n\ntext"),
        "<ol>\n<li>a<h1 id=\"h\">H</h1>\n</li>\n</ol>\n<p>text</p>"
    );
}

#[test]
fn nested_brackets_in_link_text() {
    // inline._inside `(?:\[[^\]]*\]|[^\[\]]|\](?=[^\[]*\]))*`.
    assert_eq!(html("[a [b] c](u)"), "<p><a href=\"u\">a [b] c</a></p>");
}

#[test]
fn underscores_inside_words_are_not_emphasis() {
    // inline.em `^\b_((?:[^_]|__)+?)_\b|^\*((?:\*\*|[\s\S])+?)\*(?!\*)`:
    // `_` needs a word boundary before it and after its closing `_`, and
    // inline.text stops at `_` only where em could start.
    assert_eq!(html("a_b_c"), "<p>a_b_c</p>");
    assert_eq!(
        html("$x_1 + y_2$ and $a_i b_j$"),
        "<p>$x_1 + y_2$ and $a_i b_j$</p>"
    );
    assert_eq!(
        html("f_a_ and _b_c_"),
        "<p>f<em>a</em> and <em>b_c</em></p>"
    );
    // Math: `_` before `{` closes (`{` is not a word character).
    assert_eq!(html("$x_{1} + y_{2}$"), "<p>$x<em>{1} + y</em>{2}$</p>");
    assert_eq!(html("snake_case_ word"), "<p>snake<em>case</em> word</p>");
    assert_eq!(
        html("my_var_name and other_thing_."),
        "<p>my<em>var_name and other_thing</em>.</p>"
    );
    assert_eq!(html("f_a_b_"), "<p>f<em>a_b</em></p>");
    assert_eq!(html("x_1_ y"), "<p>x<em>1</em> y</p>");
    // URLs and link destinations are read before emphasis.
    assert_eq!(
        html("see http://a.b/x_y_ z"),
        "<p>see <a href=\"http://a.b/x_y_\">http://a.b/x_y_</a> z</p>"
    );
    assert_eq!(
        html("[l](a_b_) and [m_n_](u)"),
        "<p><a href=\"a_b_\">l</a> and <a href=\"u\">m<em>n</em></a></p>"
    );
}

#[test]
fn an_html_comment_line_inside_a_paragraph() {
    // block.paragraph continues over the line (block.html needs it at the
    // start of a block); inline.tag takes the comment as it is.
    assert_eq!(
        html("text\n<!-- comment -->\nmore"),
        "<p>text\n<!-- comment -->\nmore</p>"
    );
    assert_eq!(html("text\n<!-- c -->"), "<p>text\n<!-- c --></p>");
    // In a list item's text too: the list goes on, and the comment is an
    // `html` token of its own between `text` tokens (`block.html`: `^
    // *(?:comment *(?:\n|\s*$)|...)` takes its line break), which
    // Parser.tok (`list_item_start`) joins with nothing.
    assert_eq!(
        html("- a\n<!-- c -->\n- b"),
        "<ul>\n<li>a<!-- c --></li>\n<li>b</li>\n</ul>"
    );
}

#[test]
fn a_comment_line_in_a_list_item_joins_the_text_around_it() {
    // As above: `a`, the comment and `more` are three tokens of the item,
    // written one after the other (remark shows `amore`).
    assert_eq!(
        html("- a\n<!-- c -->\nmore\n- b"),
        "<ul>\n<li>a<!-- c -->more</li>\n<li>b</li>\n</ul>"
    );
    // Text after the comment on its line: `block.html` does not match, the
    // line is item text (`block.text`) and keeps its line break.
    assert_eq!(
        html("- a\n<!-- c --> d\n- b"),
        "<ul>\n<li>a\n<!-- c --> d</li>\n<li>b</li>\n</ul>"
    );
    // Outside lists the paragraph goes on over the line, breaks kept.
    assert_eq!(html("a\n<!-- c -->\nmore"), "<p>a\n<!-- c -->\nmore</p>");
}

#[test]
fn an_unquoted_attribute_value_keeps_its_quotes() {
    // marked's inline.tag `^<\/?\w+(?:"[^"]*"|'[^']*'|[^'">])*?>` takes
    // `<a href="u" target=_"blank">` whole; the browser's tokenizer keeps
    // the quotes of an unquoted value in it (HTML "attribute value
    // (unquoted) state"): target is `_"blank"` (seen in uo-ec607/lectures,
    // 02-Git, where labdeck showed the tag as text).
    assert_eq!(
        html("See <a href=\"u\" target=_\"blank\">here</a>."),
        "<p>See <a href=\"u\" target='_\"blank\"'>here</a>.</p>"
    );
    // A URL in an attribute does not make the tag an autolink (marked's
    // `inline.autolink` `^<([^ >]+(@|:\/)[^ >]+)>` has no spaces).
    assert_eq!(
        html("<a href=\"https://h.org/x/\" target=_\"blank\">here</a>"),
        "<p><a href=\"https://h.org/x/\" target='_\"blank\"'>here</a></p>"
    );
}

#[test]
fn loose_or_tight_per_item() {
    // marked Lexer.token, list: `loose = next || /\n\n(?!\s*$)/.test(item)`
    // per item, `next` being whether this item ended with a blank line.
    assert_eq!(
        html("- a\n- b\n\n- c\n- d"),
        "<ul>\n<li>a</li>\n<li><p>b</p>\n</li>\n<li><p>c</p>\n</li>\n<li>d</li>\n</ul>"
    );
    assert_eq!(
        html("- a\n- b\n\n  more\n- c"),
        "<ul>\n<li>a</li>\n<li><p>b</p>\n<p>more</p>\n</li>\n<li>c</li>\n</ul>"
    );
    assert_eq!(
        html("* a\n\n* b\n* c"),
        "<ul>\n<li><p>a</p>\n</li>\n<li><p>b</p>\n</li>\n<li>c</li>\n</ul>"
    );
}

#[test]
fn heading_ids_come_from_the_text_as_written() {
    // Renderer.heading gets `raw` (the heading's Markdown, entities as
    // written): `Q&amp;A` -> `q-amp-a`, `Q&A` -> `q-a`.
    assert_eq!(html("# Q&amp;A"), "<h1 id=\"q-amp-a\">Q&amp;A</h1>");
    assert_eq!(html("# Q&A"), "<h1 id=\"q-a\">Q&amp;A</h1>");
}

// ---------- code options ----------

#[test]
fn code_follows_highlight_options() {
    // remark defaults (slideshow.js): highlightSpans false, highlightLines
    // false: backticks and `*` are text. A template literal survives.
    let h = html("```\nconst s = `x ${y}`;\n*z\n```");
    assert!(h.contains("const s = `x ${y}`;"), "{h}");
    assert!(h.contains(">*z<"), "{h}");
    let on = CodeOptions {
        lines: true,
        spans: true,
        language: "bash".into(),
    };
    let h = html_with("```\nls `x` y\n* echo\n```", &on);
    assert!(h.contains("hljs bash"), "highlightLanguage: {h}");
    assert!(h.contains("remark-code-span-highlighted"), "{h}");
    assert!(
        h.contains("remark-code-line remark-code-line-highlighted"),
        "{h}"
    );
    assert!(!h.contains('*'), "{h}");
}

// ---------- whole pages ----------

fn build_page(dir: &Path, file: &str, text: &str, remark: &[&str]) -> String {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    let builder = Builder::new(BuildOptions {
        out_dir: dir.join("out"),
        load: LoadOptions {
            root: Some(dir.to_path_buf()),
            remark: remark.iter().map(|s| s.to_string()).collect(),
            files: None,
            parses: None,
        },
        ..BuildOptions::default()
    })
    .unwrap();
    let built = builder.build(&path).unwrap();
    let page = std::fs::read_to_string(built.output).unwrap();
    with_slides(&page)
}

/// The page with its slides script decoded after it (slides ship as text,
/// see src/render/page.rs), so tests read the slides' HTML as remark has it.
fn with_slides(page: &str) -> String {
    let dec = labdeck::render::page::script_text_decode;
    let mut out = page.to_string();
    for [_, _, inner, notes] in labdeck::render::page::slide_fields(page).expect("slides script") {
        out.push_str(&dec(&inner));
        out.push_str(&dec(&notes));
    }
    out
}

/// The theme wins (issue 23): a remark page or `.md` deck has remark's
/// look (remark's own rules, highlight.js's colours for its style) and none
/// of labdeck's; a manifest has labdeck's look unless it says `look:
/// remark`.
#[test]
fn only_manifests_get_labdecks_look() {
    let labdecks =
        ":where(.remark-slide-content) :where(h1, h2, h3) { font-weight: 600; color: #1d3557;";
    let remarks = ".remark-code { font-size: 18px; }";
    let monokai =
        ".hljs-monokai .hljs{display:block;overflow-x:auto;padding:.5em;background:#272822";
    let dir = tempfile::tempdir().unwrap();
    let md = build_page(
        dir.path(),
        "talk.md",
        "# T\n\n```js\nconst a = 1;\n```\n",
        &["highlightStyle=monokai"],
    );
    assert!(!md.contains(labdecks) && md.contains(remarks), "md deck");
    assert!(md.contains(monokai), "monokai's colours");
    assert!(
        md.contains("<span class=\"hljs-keyword\">const</span>"),
        "highlight.js's classes"
    );
    // Only the styles the slides name.
    assert!(!md.contains(".hljs-zenburn"), "no other style");
    let page = build_page(
        dir.path(),
        "talk.html",
        "<html><textarea id=\"source\"># T</textarea></html>",
        &[],
    );
    assert!(!page.contains(labdecks) && page.contains(remarks), "page");
    assert!(page.contains(".hljs-default .hljs{"), "default style");
    std::fs::write(dir.path().join("ch.md"), "# T\n").unwrap();
    let manifest = build_page(dir.path(), "deck.yml", "content:\n- ch.md\n", &[]);
    assert!(manifest.contains(labdecks) && !manifest.contains(remarks));
    let asked = build_page(
        dir.path(),
        "remark.yml",
        "look: remark\ncontent:\n- ch.md\n",
        &[],
    );
    assert!(!asked.contains(labdecks) && asked.contains(remarks));
}

#[test]
fn a_markdown_deck_gets_remarks_defaults() {
    let dir = tempfile::tempdir().unwrap();
    let page = build_page(
        dir.path(),
        "talk.md",
        "name: intro\n<!-- class: center, middle -->\n\n# Hello\n---\nA\n--\nB\n---\n<style>h1 { color: red }</style>\nC",
        &[],
    );
    // ratio 4:3 (scaler.js: 908x681).
    assert!(page.contains(".remark-slide-scaler { width: 908px; height: 681px; }"));
    // Printed pages have the slides' size.
    assert!(page.contains("@page { size: 908px 681px; margin: 0; }"));
    // slideNumberFormat '%current% / %total%', counting `--` steps.
    assert!(page.contains(">1 / 4</div>"), "slide numbers");
    assert!(page.contains(">4 / 4</div>"));
    // Comment properties; `name:` id; `hljs-default`.
    assert!(
        page.contains("class=\"remark-slide-content center middle hljs-default\">"),
        "classes"
    );
    // slideView.js createContentElement: the id is on the content element.
    assert!(page.contains("<div id=\"slide-intro\" class=\"remark-slide-content"));
    assert!(page.contains("<h1 id=\"hello\">Hello</h1>"));
    // A slide's <style> applies to the whole deck: it is in the head too.
    let head = &page[..page.find("<body").unwrap()];
    assert!(
        head.contains("<style>h1 { color: red }</style>"),
        "deck-wide style"
    );
    // navigation defaults for the runtime.
    assert!(page.contains(r#""navigation":{"click":false,"scroll":true,"touch":true}"#));
}

#[test]
fn options_from_the_command_line_and_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let page = build_page(
        dir.path(),
        "talk.md",
        "A\n--\nB\n---\nC",
        &[
            "ratio=16:9",
            "countIncrementalSlides=false",
            "slideNumberFormat=Slide %current% of %total%",
            "highlightStyle=monokai",
            "navigation={\"scroll\":false}",
        ],
    );
    assert!(page.contains("width: 1210px"));
    // The `--` step repeats number 1; two numbers in all.
    assert_eq!(page.matches(">Slide 1 of 2</div>").count(), 2);
    assert!(page.contains(">Slide 2 of 2</div>"));
    assert!(page.contains("hljs-monokai"));
    assert!(page.contains(r#""scroll":false"#));

    std::fs::write(dir.path().join("a.md"), "# A\n```\n*x\n```").unwrap();
    let page = build_page(
        dir.path(),
        "deck.yml",
        "title: T\nremark:\n  ratio: '4:3'\n  highlightLines: true\n  highlightStyle: zenburn\ncontent:\n- a.md\n",
        &[],
    );
    assert!(page.contains("width: 908px"));
    assert!(page.contains("remark-code-line-highlighted"));
    assert!(page.contains("hljs-zenburn"));
}

#[test]
fn an_html_page_is_a_deck() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("theme/fonts")).unwrap();
    std::fs::write(dir.path().join("theme/fonts/f.woff2"), b"font").unwrap();
    std::fs::write(
        dir.path().join("theme/talk.css"),
        "@font-face { font-family: F; src: url(fonts/f.woff2); }",
    )
    .unwrap();
    let page = build_page(
        dir.path(),
        "talk.html",
        r#"<html><head><title>Talk</title>
<link rel="stylesheet" href="theme/talk.css">
<style>.remark-slide-content h1 { color: #c00; }</style></head>
<body><textarea id="source">
class: middle

#Title
---
Two &amp; more
</textarea>
<script src="remark.js"></script>
<script>remark.create({ ratio: '4:3', highlightStyle: 'github', countIncrementalSlides: false });</script>
</body></html>"#,
        &[],
    );
    assert!(page.contains("<title>Talk</title>"));
    assert!(page.contains("<h1 id=\"title\">Title</h1>"));
    assert!(
        page.contains("Two &amp; more"),
        "entities decoded once, escaped once"
    );
    assert!(page.contains("width: 908px"));
    assert!(page.contains("hljs-github"));
    assert!(page.contains(".remark-slide-content h1 { color: #c00; }"));
    // The stylesheet's font is rebased and copied.
    assert!(page.contains("url(theme/fonts/f.woff2)"), "rebased url");
    assert!(dir.path().join("out/theme/fonts/f.woff2").is_file());
}

#[test]
fn a_page_with_source_url_reads_the_local_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("slides.md"), "# From file").unwrap();
    let page = build_page(
        dir.path(),
        "index.html",
        "<script>var s = remark.create({sourceUrl: 'slides.md'});</script>",
        &[],
    );
    assert!(page.contains("<h1 id=\"from-file\">From file</h1>"));
}

#[test]
fn regression_a_table_right_after_paragraph_text_is_paragraph_text() {
    // marked reads a table only where a block starts at the top level
    // (lib/marked.js `Lexer.token`: `if (top && (cap =
    // this.rules.nptable.exec(src)))`, `table` likewise), and remark's
    // `block.paragraph` (`^((?:[^\n]+\n?(?!hr|heading|lheading|blockquote|
    // tag|def))+)\n*`, GFM adding fences and lists) runs on over a table's
    // lines. GFM lets a table interrupt a paragraph: labdeck showed a table
    // where remark showed the pipes (found by tests/remark_agreement.rs
    // `fuzz_against_remark`).
    let table = "| a | b |\n|---|---|\n| 1 | 2 |";
    for before in [
        "para line",
        "<b>x</b> text",
        "<!-- c -->",
        "<div>\nx\n</div>",
    ] {
        let out = html(&format!("{before}\n{table}"));
        assert!(!out.contains("<table"), "{before}: {out}");
        assert!(out.contains("|---|---|"), "{before}: {out}");
        assert!(!out.contains('\u{1B}'), "{before}: {out}");
    }
    // In a list item (lexed with `top` false): text too.
    let out = html(&format!("- item\n\n  {}", table.replace('\n', "\n  ")));
    assert!(!out.contains("<table"), "{out}");
    // Where a block starts, a table.
    for before in [
        "",
        "text\n\n",
        "# Heading\n",
        "Title\n===\n",
        "***\n",
        "```\ncode\n```\n",
    ] {
        let out = html(&format!("{before}{table}"));
        assert!(out.contains("<table"), "{before:?}: {out}");
    }
}

#[test]
fn regression_a_block_tag_line_marked_reads_as_a_paragraph_lets_the_markdown_after_it_be_read() {
    // remark's marked reads an HTML block only where the element (or its
    // lone opening tag) is followed by a blank line or the end
    // (`block.html`: `^ *(?:comment|closed|closing) *(?:\n{2,}|\s*$)`);
    // otherwise the line is paragraph text and the next heading, list or
    // emphasis is Markdown. CommonMark starts an HTML block at `<div` and
    // keeps every line to the next blank one as written: labdeck showed
    // `## Sub` where remark showed a heading (found by
    // tests/remark_agreement.rs `fuzz_against_remark`).
    let out = html("<div class=\"x\">html block</div>\n## Sub");
    assert!(out.contains("<h2 id=\"sub\">Sub</h2>"), "{out}");
    let out = html("<p>para</p>\ntext *em*");
    assert!(out.contains("<em>em</em>"), "{out}");
    let out = html("<div>\n*hello*\n</div>\n## Sub");
    assert!(
        out.contains("<em>hello</em>") && out.contains("<h2"),
        "{out}"
    );
    let out = html("<div class=\"x\">html block</div>\n- a\n- b");
    assert!(out.contains("<li>a</li>"), "{out}");
    assert!(!out.contains('\u{1B}'), "{out}");
    // Followed by a blank line or the end: an HTML block, its text as
    // written.
    for src in [
        "<div>\n*hello*\n</div>\n\ntext",
        "<div>\n*hello*\n</div>",
        "<div>\n\n*x*",
    ] {
        let out = html(src);
        assert!(!out.contains("<em>hello</em>"), "{src}: {out}");
    }
}

#[test]
fn regression_a_line_like_a_fence_inside_a_code_span_shows_no_backslash() {
    // A fence line marked does not read as a fence (no closing fence, or
    // inside a paragraph) was written `\```` to keep CommonMark from opening
    // one; inside a code span begun on an earlier line the backslash showed
    // (found by tests/remark_agreement.rs `fuzz_against_remark`).
    let out = html("a ```yaml\nkind: Pod\n```");
    assert!(out.contains("<code class=\"remark-inline-code\">"), "{out}");
    assert!(!out.contains('\\') && !out.contains('\u{1B}'), "{out}");
}

#[test]
fn regression_links_defined_on_a_layout_slide_are_not_the_decks() {
    // remark 0.14 models/slideshow.js: the deck's link definitions are
    // those of the slides `createSlides` made, which leaves out layout
    // slides (and excluded classes); labdeck read every slide's.
    let dir = tempfile::tempdir().unwrap();
    let page = build_page(
        dir.path(),
        "talk.html",
        "<textarea id=\"source\">\nlayout: true\n\n[r]: http://example.com/layout\n\n---\n[one][r]\n\n---\nclass: hidden\n\n[h]: http://example.com/hidden\n\n---\n[two][h] [three][s]\n\n[s]: http://example.com/shown\n</textarea>\n<script>remark.create({excludedClasses: ['hidden']});</script>",
        &[],
    );
    assert!(
        !page.contains("example.com/layout"),
        "layout's definition used"
    );
    assert!(
        !page.contains("example.com/hidden"),
        "excluded slide's definition used"
    );
    assert!(
        page.contains("[one][r]") && page.contains("[two][h]"),
        "{page}"
    );
    assert!(page.contains("href=\"http://example.com/shown\""), "{page}");
}

#[test]
fn regression_an_html_block_marked_reads_over_blank_lines_stays_as_written() {
    // marked's `block.html` `closed` (`<(tag)[\s\S]+?<\/\1>`) runs over
    // blank lines to its closing tag; CommonMark ends an HTML block at the
    // first blank line and read `hidden *md*` as Markdown (found by
    // `fuzz_against_remark`).
    let out = html("<details>\n<summary>More</summary>\n\nhidden *md*\n\n</details>");
    assert!(out.contains("hidden *md*"), "{out}");
    assert!(!out.contains("<em>") && !out.contains('\u{1B}'), "{out}");
}

#[test]
fn regression_a_lone_tilde_and_a_line_ending_backslash_are_text() {
    // marked strikes through with `~~` only (GFM `inline.del`), and has no
    // backslash line break (`inline.br` is two spaces); GFM today takes
    // one `~` and CommonMark a final `\` (found by `fuzz_against_remark`).
    let out = html("~~strike~~ and ~tilde~");
    assert!(out.contains("<del>strike</del> and ~tilde~"), "{out}");
    let out = html("a \\\nb");
    assert!(out.contains("a \\\nb") && !out.contains("<br"), "{out}");
    // A tilde in a path, a code span or a URL is left alone.
    let out = html("cd ~/x and `~y~` and http://h/~u/");
    assert!(
        out.contains("cd ~/x and <code class=\"remark-inline-code\">~y~</code>"),
        "{out}"
    );
    assert!(out.contains("http://h/~u/"), "{out}");
}
