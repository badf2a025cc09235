//! A synthetic deck rendered through the real templates with the context the
//! compiler will pass (see templates/deck.html), so the runtime can be tested
//! without the compiler. Content is varied on purpose: titles, steps, names,
//! notes, highlighted code, exercises, pictures and background images.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

/// Named slides the tests jump to.
pub const NAMED: &[(usize, &str)] = &[
    (0, "title"),
    (41, "toc"),
    (1234, "deep-dive"),
    (2599, "end"),
];

pub fn context(n: usize) -> Value {
    let mut slides = Vec::with_capacity(n);
    let mut number = 0;
    for i in 0..n {
        // Every 6th slide starts a group of 3 `--` steps (i, i+1, i+2).
        let step_pos = if i % 6 < 3 { i % 6 } else { 3 };
        let last_step = step_pos == 3 || step_pos == 2;
        // Steps keep counting (remark numbers each step); every 100th slide is `count: false`.
        if i == 0 || i % 100 != 99 {
            number += 1;
        }
        let name = NAMED.iter().find(|(k, _)| *k == i).map(|(_, n)| *n);
        let mut classes = Vec::new();
        let mut html = String::new();
        if i % 10 == 0 {
            classes.push("title");
            html.push_str(&format!(
                "<h1>Part {}</h1>\n<p>Opening slide {}</p>\n",
                i / 10 + 1,
                i + 1
            ));
        } else {
            html.push_str(&format!(
                "<h2>Slide {} heading</h2>\n<ul>\n<li>Point one of slide {}</li>\n<li>Point <code class=\"remark-inline-code\">two</code></li>\n</ul>\n",
                i + 1,
                i + 1
            ));
        }
        if step_pos > 0 && step_pos < 3 {
            html.push_str(&format!("<p>Step text {step_pos}</p>\n"));
        }
        if i % 7 == 3 {
            html.push_str(concat!(
                "<div class=\"exercise\"><ul><li>Create a deployment:</li></ul>\n",
                "<pre><code class=\"remark-code hljs bash\">",
                "kubectl create deployment web ",
                "<span class=\"remark-code-span-highlighted\">--image=nginx</span> ",
                "<span class=\"hljs-comment\"># a comment</span>\n",
                "</code></pre></div>\n"
            ));
        }
        if i % 5 == 2 {
            classes.push("pic");
            html.push_str(&format!(
                "<p><img src=\"images/pic-{i}.svg\" alt=\"picture {i}\"></p>\n"
            ));
        }
        html.push_str(&format!(
            "<div class=\"debug\">fixture.md:{}</div>",
            i * 3 + 1
        ));
        let background_image = (i % 13 == 5).then(|| format!("url(images/bg-{i}.svg)"));
        slides.push(json!({
            "index": i,
            "number": number,
            "name": name,
            "classes": classes.join(" "),
            "html": html,
            "notes": if i % 4 == 3 { String::new() } else { format!("<p>Notes for slide {}</p>", i + 1) },
            "background_image": background_image,
            "last_step": last_step,
        }));
    }
    // The slide number as slideNumberFormat `#Fixture &mdash; %current%/%total%`.
    for slide in &mut slides {
        let current = slide["number"].clone();
        slide["number_text"] = json!(format!("#Fixture &mdash; {current}/{number}"));
    }
    json!({
        "title": "Fixture deck <with> \"quotes\"",
        "number_prefix": "#Fixture &mdash; ",
        "total": number,
        "remark": {
            "width": 1210,
            "height": 681,
            "ratio_width": 16,
            "ratio_height": 9,
            "runtime_json": "{\"width\":1210,\"height\":681,\"ratio\":[16,9],\"navigation\":{\"scroll\":true,\"touch\":true,\"click\":false}}",
            "slide_styles": [],
            "look": "labdeck",
            "highlight_css": "",
        },
        "styles": [".fixture-extra-style { color: rgb(1, 2, 3); }"],
        "build": { "commit": "0123abc", "dirty": [] },
        "slides": slides,
    })
}

/// The built-in templates loaded as the renderer loads them (autoescape off).
pub fn templates() -> tera::Tera {
    let mut tera = tera::Tera::default();
    tera.autoescape_on(vec![]);
    tera.add_raw_templates(labdeck::render::page::BUILTIN_TEMPLATES.iter().copied())
        .unwrap();
    tera
}

/// The page of a context: its `slides` become the slides script's text as
/// the compiler writes it (src/render/page.rs), the rest goes to the template.
pub fn render_page(ctx: &Value) -> String {
    let mut ctx = ctx.clone();
    let prefix = ctx["number_prefix"].as_str().unwrap().to_string();
    let total = ctx["total"].as_u64().unwrap() as usize;
    let mut text = String::new();
    let mut first_slide = String::new();
    let slides = ctx["slides"].as_array().unwrap();
    for s in slides {
        let number = s["number"].as_u64().unwrap() as usize;
        let slide = labdeck::render::page::PageSlide {
            number_text: s["number_text"]
                .as_str()
                .map_or_else(|| format!("{prefix}{number}/{total}"), str::to_string),
            name: s["name"].as_str(),
            classes: s["classes"].as_str().unwrap().to_string(),
            html: s["html"].as_str().unwrap(),
            notes: s["notes"].as_str().unwrap(),
            background_image: s["background_image"].as_str(),
            last_step: s["last_step"].as_bool().unwrap(),
        };
        labdeck::render::page::push_slide_record(&mut text, &slide);
        if first_slide.is_empty() {
            first_slide = labdeck::render::page::first_slide_text(&slide);
        }
    }
    let count = slides.len();
    ctx["first_slide"] = first_slide.into();
    ctx["slide_count"] = count.into();
    ctx["slides_text"] = text.into();
    let ctx = tera::Context::from_value(ctx).unwrap();
    templates().render("deck.html", &ctx).unwrap()
}

/// A tiny SVG picture with the slide number drawn in it.
fn svg(label: &str, colour: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"400\" height=\"200\"><rect width=\"400\" height=\"200\" fill=\"{colour}\"/><text x=\"20\" y=\"120\" font-size=\"60\">{label}</text></svg>"
    )
}

/// Render an `n`-slide fixture deck into `dir` (deck.html plus its images).
pub fn render(dir: &Path, n: usize) -> PathBuf {
    let html = render_page(&context(n));
    let images = dir.join("images");
    std::fs::create_dir_all(&images).unwrap();
    for i in 0..n {
        if i % 5 == 2 {
            std::fs::write(
                images.join(format!("pic-{i}.svg")),
                svg(&format!("pic {i}"), "#cde"),
            )
            .unwrap();
        }
        if i % 13 == 5 {
            std::fs::write(
                images.join(format!("bg-{i}.svg")),
                svg(&format!("bg {i}"), "#fed"),
            )
            .unwrap();
        }
    }
    let page = dir.join("deck.html");
    std::fs::write(&page, html).unwrap();
    page
}
