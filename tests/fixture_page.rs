//! The page template renders the compiler's context into remark's DOM.

mod support;

use support::fixture;

fn page(n: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture::render(dir.path(), n);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn one_container_per_slide_in_remark_dom_order() {
    let html = page(60);
    assert_eq!(
        html.matches("<div class=\"remark-slide-container").count(),
        60
    );
    assert_eq!(
        html.matches("<div class=\"remark-slide-scaler\"><div class=\"remark-slide\"><div")
            .count(),
        60
    );
    assert_eq!(html.matches(" class=\"remark-slide-content ").count(), 60);
    assert_eq!(
        html.matches("<div class=\"remark-slides-area\">").count(),
        1
    );
    assert_eq!(html.matches("<div class=\"remark-notes-area\">").count(), 1);
    // a title slide carries its content class
    assert!(
        html.contains("<div class=\"remark-slide-content title\">"),
        "title class missing"
    );
}

#[test]
fn names_numbers_and_prefix() {
    let html = page(60);
    // remark 0.14 slideView.js: the id is on the slide's content element.
    assert!(html.contains("data-name=\"toc\""));
    assert!(html.contains("<div id=\"slide-toc\" class=\"remark-slide-content"));
    // raw HTML in the prefix is kept; `count: false` slide 100 is not in 60 slides, so total = 60
    assert!(html.contains("<div class=\"remark-slide-number\">#Fixture &mdash; 1/60</div>"));
    assert!(html.contains("#Fixture &mdash; 60/60</div>"));
}

#[test]
fn title_is_escaped_and_styles_follow_the_theme() {
    let html = page(3);
    assert!(html.contains("<title>Fixture deck &lt;with&gt; &quot;quotes&quot;</title>"));
    let theme = html.find(".remark-slide-scaler {").unwrap();
    let extra = html.find(".fixture-extra-style").unwrap();
    let print = html.find("@page").unwrap();
    assert!(
        theme < extra && extra < print,
        "theme, then extra css, then print css"
    );
}

#[test]
fn content_notes_and_background_are_deferred() {
    let html = page(20);
    // Content is inert until the runtime needs it: inside <template>.
    assert!(html.contains("<template><h1>Part 1</h1>"));
    assert!(html.contains("<template class=\"labdeck-notes\"><p>Notes for slide 1</p></template>"));
    // no notes: no empty template
    assert_eq!(html.matches("class=\"labdeck-notes\"").count(), 15);
    // background image is data, not style, so it does not load until shown
    // (tera escapes `/` in attributes; the browser decodes it)
    assert!(html.contains("data-background-image=\"url(images&#x2F;bg-5.svg)\""));
    assert!(!html.contains("background-image: url"));
}

#[test]
fn steps_are_marked_for_print_collapse() {
    let html = page(12);
    // slides 0 and 1 are steps continued by 2; 3,4,5 are full slides
    let containers: Vec<&str> = html
        .split("<div class=\"remark-slide-container")
        .skip(1)
        .collect();
    let step: Vec<bool> = containers
        .iter()
        .map(|c| c.starts_with(" labdeck-step"))
        .collect();
    assert_eq!(step[..6], [true, true, false, false, false, false]);
}

#[test]
fn large_deck_renders_quickly_enough_to_serve() {
    let t = std::time::Instant::now();
    let html = page(2600);
    assert_eq!(
        html.matches("<div class=\"remark-slide-container").count(),
        2600
    );
    // generous: catches accidental quadratic behaviour, not a benchmark
    assert!(t.elapsed().as_secs() < 20, "{:?}", t.elapsed());
}

/// Writes a fixture deck for manual inspection: LABDECK_FIXTURE_OUT=dir N=slides.
#[test]
#[ignore]
fn write_fixture_for_inspection() {
    let out = std::env::var("LABDECK_FIXTURE_OUT").unwrap();
    let n = std::env::var("N").map(|n| n.parse().unwrap()).unwrap_or(60);
    std::fs::create_dir_all(&out).unwrap();
    fixture::render(std::path::Path::new(&out), n);
}

#[test]
fn builtin_css_and_js_render_verbatim() {
    // They go through tera as includes: a stray `{{`, `{%` or `{#` in them
    // would be taken as template syntax and corrupt every page.
    let tera = fixture::templates();
    for (name, text) in labdeck::render::page::BUILTIN_TEMPLATES
        .iter()
        .filter(|(n, _)| *n != "deck.html")
    {
        let out = tera.render(name, &tera::Context::new()).unwrap();
        assert_eq!(&out, text, "{name} must not contain tera syntax");
    }
}
