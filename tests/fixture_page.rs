//! The page template renders the compiler's context into remark's DOM.

mod support;

use support::fixture;

fn page(n: usize) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = fixture::render(dir.path(), n);
    std::fs::read_to_string(path).unwrap()
}

/// The page's slides, fields decoded: (step, name, container inner HTML, notes).
fn slides(html: &str) -> Vec<(bool, String, String, String)> {
    let dec = labdeck::render::page::script_text_decode;
    labdeck::render::page::slide_fields(html)
        .expect("slides script")
        .into_iter()
        .map(|[step, name, inner, notes]| (step == "step", dec(&name), dec(&inner), dec(&notes)))
        .collect()
}

#[test]
fn one_record_per_slide_in_remark_dom_order() {
    let html = page(60);
    let slides = slides(&html);
    assert_eq!(slides.len(), 60);
    for (i, (_, _, inner, _)) in slides.iter().enumerate() {
        let content = inner
            .strip_prefix("<div class=\"remark-slide-scaler\"><div class=\"remark-slide\"><div ")
            .unwrap_or_else(|| panic!("slide {i}: {inner}"));
        // A named slide's id is on the content element (remark 0.14 slideView.js).
        let content = match content.strip_prefix("id=\"slide-") {
            Some(rest) => &rest[rest.find("\" ").unwrap() + 2..],
            None => content,
        };
        assert!(
            content.starts_with("class=\"remark-slide-content"),
            "slide {i}: {inner}"
        );
        assert!(
            inner.ends_with("</div></div></div></div>"),
            "slide {i}: {inner}"
        );
    }
    // the runtime makes the containers: the area is empty in the page
    assert_eq!(
        html.matches("<div class=\"remark-slides-area\"></div>")
            .count(),
        1
    );
    assert_eq!(html.matches("<div class=\"remark-notes-area\">").count(), 1);
    // no slide HTML outside the slides script, but slide 1's inner HTML
    // again (escaped the same way) in the script that paints it first
    let (start, end) = labdeck::render::page::slides_script_span(&html).unwrap();
    let first = "<script type=\"text/x-labdeck-first-slide\">";
    let at = html.find(first).unwrap() + first.len();
    let first_text = &html[at..at + html[at..].find("</script>").unwrap()];
    assert!(at < start, "slide 1 comes before the slides script");
    assert_eq!(
        labdeck::render::page::script_text_decode(first_text),
        slides[0].2
    );
    let outside = html[..start].replace(first_text, "");
    assert!(!outside.contains("Part 1") && !html[end..].contains("Part 1"));
    // a title slide carries its content class
    assert!(
        slides[0]
            .2
            .contains(" class=\"remark-slide-content title\">"),
        "title class missing"
    );
    assert_eq!(slides[0].2.matches("<h1>Part 1</h1>").count(), 1);
}

#[test]
fn names_numbers_and_prefix() {
    let html = page(60);
    let slides = slides(&html);
    assert_eq!(slides[41].1, "toc");
    assert_eq!(slides[40].1, "");
    // remark 0.14 slideView.js: the id is on the slide's content element.
    assert!(
        slides[41]
            .2
            .contains("<div id=\"slide-toc\" class=\"remark-slide-content")
    );
    // raw HTML in the prefix is kept; `count: false` slide 100 is not in 60 slides, so total = 60
    assert!(
        slides[0]
            .2
            .contains("<div class=\"remark-slide-number\">#Fixture &mdash; 1/60</div>")
    );
    assert!(slides[59].2.contains("#Fixture &mdash; 60/60</div>"));
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
    let slides = slides(&html);
    // Notes travel with their slide, decoded exactly; none is an empty field.
    assert_eq!(slides[0].3, "<p>Notes for slide 1</p>");
    assert_eq!(slides.iter().filter(|s| !s.3.is_empty()).count(), 15);
    // background image is data, not style, so it does not load until shown
    assert!(
        slides[5]
            .2
            .contains("data-background-image=\"url(images/bg-5.svg)\"")
    );
    assert!(!html.contains("background-image: url"));
}

#[test]
fn slide_text_that_would_end_the_script_is_escaped_and_read_back() {
    // `</script>`, `<!--` and backslashes in slide HTML (raw HTML in a deck,
    // an inline script) must neither end nor confuse the slides script.
    let mut ctx = fixture::context(3);
    let tricky = "<p>a</script><script>alert(1)</script><!--<script> <\\- <\\x \\ </p>\r\nend";
    ctx["slides"][1]["html"] = serde_json::Value::String(tricky.into());
    ctx["slides"][1]["notes"] = serde_json::Value::String("<!-- n --></script>".into());
    let html = fixture::render_page(&ctx);
    let (start, end) = labdeck::render::page::slides_script_span(&html).unwrap();
    let text = &html[start..end];
    assert!(!text.contains("</") && !text.contains("<!"), "{text}");
    let slides = slides(&html);
    assert_eq!(slides.len(), 3);
    assert!(
        slides[1].2.contains(&tricky.replace("\r\n", "\n")),
        "{}",
        slides[1].2
    );
    assert_eq!(slides[1].3, "<!-- n --></script>");
    assert_eq!(slides[2].2.matches("Slide 3 heading").count(), 1);
}

#[test]
fn steps_are_marked_for_print_collapse() {
    let html = page(12);
    // slides 0 and 1 are steps continued by 2; 3,4,5 are full slides
    let step: Vec<bool> = slides(&html).iter().map(|s| s.0).collect();
    assert_eq!(step[..6], [true, true, false, false, false, false]);
}

#[test]
fn large_deck_renders_quickly_enough_to_serve() {
    let t = std::time::Instant::now();
    let html = page(2600);
    assert_eq!(slides(&html).len(), 2600);
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
