//! A remark user's own page as the deck (issue 23, "The page, as remark
//! reads it" and "CI reads the same options"): one minimal deck per
//! difference, with what remark 0.14.1 does as the expectation, read from
//! its source (gnab/remark, cited at each test) and the browser's rules
//! (HTML tokenizer, WHATWG URL and Encoding standards).

use std::path::Path;
use std::process::Command;

/// `labdeck ARGS` in `dir`: (exit status, stdout, stderr).
fn labdeck(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Between the output page and its slides' HTML in what [`build`] returns.
const SLIDES: &str = "\n<!-- slides, decoded -->\n";

/// Builds `page` in `dir` (exit 0 expected) and returns the output page
/// with its slides' HTML decoded after it (after [`SLIDES`]), and the
/// build's stderr.
fn build(dir: &Path, page: &str) -> (String, String) {
    let (code, out, err) = labdeck(dir, &["build", "-o", "out", page]);
    assert_eq!(code, 0, "{out}{err}");
    let stem = Path::new(page).file_stem().unwrap().to_string_lossy();
    let html = std::fs::read_to_string(dir.join("out").join(format!("{stem}.html"))).unwrap();
    let dec = labdeck::render::page::script_text_decode;
    let mut all = html.clone();
    all.push_str(SLIDES);
    for [_, _, inner, notes] in labdeck::render::page::slide_fields(&html).expect("slides script") {
        all.push_str(&dec(&inner));
        all.push_str(&dec(&notes));
    }
    (all, err)
}

/// The slide numbers the page shows, in slide order.
fn numbers(page: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = &page[page.find(SLIDES).unwrap()..];
    while let Some(i) = rest.find("<div class=\"remark-slide-number\">") {
        rest = &rest[i + "<div class=\"remark-slide-number\">".len()..];
        out.push(rest[..rest.find('<').unwrap()].to_owned());
    }
    out
}

/// `html` without its tags.
fn text_of(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

// ---------- options ----------

#[test]
fn options_come_from_the_script_remark_runs_not_from_the_slides_or_comments() {
    // remark 0.14 src/remark/api.js `Api.prototype.create` runs where the
    // page's script calls it. remark's own introduction page quotes
    // `remark.create()` on a slide (inside the textarea: text, not
    // script), and a commented-out script never runs.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        r#"<!DOCTYPE html>
<html><head><title>Intro</title></head><body>
<!-- <script>remark.create({ratio: '16:10'})</script> -->
<textarea id="source">
# Getting started

```html
<script>
  var slideshow = remark.create({ratio: '16:9'});
</script>
```
</textarea>
<script src="https://remarkjs.com/downloads/remark-latest.min.js"></script>
<script>
  // var slideshow = remark.create({ratio: '2:1'});
  var slideshow = remark.create({highlightStyle: 'monokai'});
</script>
</body></html>"#,
    );
    let (page, _) = build(dir.path(), "talk.html");
    // 4:3 (remark's default; scaler.js 908x681), monokai from the script.
    assert!(page.contains("width: 908px; height: 681px"), "ratio");
    assert!(page.contains("hljs-monokai"));
    // The quoted call is shown on the slide, as text.
    assert!(
        text_of(&page).contains("remark.create({ratio: &#39;16:9&#39;});"),
        "{page}"
    );
}

#[test]
fn options_and_source_url_set_in_a_local_script_file_are_followed() {
    // A page whose textarea is empty and whose `remark.create` call is in
    // `init.js`: remark loads `sourceUrl` (models/slideshow.js
    // `loadFromUrl`), so the deck is slides.md, at 16:9.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "deck/index.html",
        "<html><body>\n<textarea id=\"source\"></textarea>\n<script src=\"https://remarkjs.com/downloads/remark-latest.min.js\"></script>\n<script src=\"js/init.js\"></script>\n</body></html>",
    );
    write(
        dir.path(),
        "deck/js/init.js",
        "var slideshow = remark.create({\n  ratio: '16:9',\n  sourceUrl: 'slides.md'\n});\n",
    );
    write(dir.path(), "deck/slides.md", "# One\n---\n# Two\n");
    let (page, _) = build(dir.path(), "deck/index.html");
    assert!(page.contains("width: 1210px"), "16:9 from init.js");
    assert!(page.contains("<h1 id=\"two\">Two</h1>"));
    assert_eq!(numbers(&page), ["1 / 2", "2 / 2"]);
}

#[test]
fn options_given_through_a_variable_are_read() {
    // `var options = {...}; remark.create(options, renderMath)`, as Gilles
    // Louppe's lecture pages write it (glouppe/info8010-deep-learning
    // index.html): remark 0.14 src/remark/api.js `Api.prototype.create =
    // function (options, callback)` gets the object the variable holds. The
    // last literal assigned before the call counts; `a.options = {...}` is
    // another object, and a quoted or commented one is not assigned.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        r#"<html><body>
<textarea id="source"></textarea>
<script src="remark-latest.min.js"></script>
<script>
  var options = {ratio: '4:3'};
  // options = {ratio: '2:1'};
  var note = "options = {ratio: '3:2'}";
  var options = {
    sourceUrl: 'lecture.md',
    highlightStyle: "tomorrow",
    ratio: '16:9'
  };
  window.options = {ratio: '1:1'};
  var renderMath = function () {};
  var slideshow = remark.create(options, renderMath);
</script>
</body></html>"#,
    );
    write(dir.path(), "lecture.md", "# One\n---\n# Two\n");
    let (page, _) = build(dir.path(), "talk.html");
    assert!(page.contains("width: 1210px"), "16:9 from the variable");
    assert!(page.contains("hljs-tomorrow"));
    assert!(page.contains("<h1 id=\"two\">Two</h1>"), "sourceUrl");
    assert_eq!(numbers(&page), ["1 / 2", "2 / 2"]);

    // A variable labdeck cannot see the value of: remark's defaults, as
    // before (no script is run).
    write(
        dir.path(),
        "other.html",
        "<html><body><textarea id=\"source\"># A</textarea>\n<script>var slideshow = remark.create(makeOptions());</script></body></html>",
    );
    let (page, _) = build(dir.path(), "other.html");
    assert!(page.contains("width: 908px; height: 681px"), "4:3");
}

#[test]
fn a_script_outside_the_repository_is_not_read() {
    // Every file a page names passes the gate (src/files.rs Confinement):
    // a script outside the root is not read, so this page has no deck.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "repo/deck/index.html",
        "<textarea id=\"source\">\n</textarea>\n<script src=\"../../init.js\"></script>",
    );
    write(
        dir.path(),
        "init.js",
        "remark.create({sourceUrl: 'slides.md'})",
    );
    let (code, out, err) = labdeck(dir.path(), &["build", "-o", "out", "repo/deck/index.html"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("outside the repository root"), "{err}");
}

#[test]
fn an_empty_textarea_with_no_source_is_bad_input_not_a_blank_slide() {
    // remark shows one blank slide for it; labdeck says it found no deck
    // (exit 3), in build and in lint.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<html><body>\n<textarea id=\"source\">\n\n</textarea>\n<script src=\"remark.js\"></script>\n<script src=\"setup.js\"></script>\n</body></html>",
    );
    let (code, out, err) = labdeck(dir.path(), &["build", "-o", "out", "talk.html"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("talk.html:2:") && err.contains("is empty"),
        "{err}"
    );
    // The scripts it could not read are named.
    assert!(
        err.contains("setup.js") && err.contains("not found"),
        "{err}"
    );
    assert!(!dir.path().join("out/talk.html").exists());
    let (code, out, _) = labdeck(dir.path(), &["lint", "talk.html"]);
    assert_eq!(code, 3, "{out}");
    assert!(
        out.contains("[invalid-deck]") && out.contains("is empty"),
        "{out}"
    );
}

// ---------- stylesheets and images ----------

#[test]
fn a_commented_out_stylesheet_is_ignored_and_a_missing_one_is_a_warning() {
    // The HTML tokenizer reads `<!-- ... -->` as a comment: the link in it
    // is not the page's, nor the font it names. A missing stylesheet is
    // skipped by the browser, which shows the deck without it.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<html><head>\n<!--\n<link rel=\"stylesheet\" href=\"old/fonts.css\">\n-->\n<link rel=\"stylesheet\" href=\"gone.css\">\n</head><body><textarea id=\"source\"># Hi</textarea></body></html>",
    );
    write(
        dir.path(),
        "old/fonts.css",
        "@font-face { font-family: X; src: url(missing.woff2); }",
    );
    let (page, err) = build(dir.path(), "talk.html");
    assert!(page.contains("<h1 id=\"hi\">Hi</h1>"));
    assert!(!page.contains("missing.woff2"));
    assert!(
        err.contains("warning: talk.html:5: stylesheet `gone.css`: not found"),
        "{err}"
    );
    let (code, out, _) = labdeck(dir.path(), &["lint", "talk.html"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("talk.html:5:1: warning:") && out.contains("[missing-stylesheet]"),
        "{out}"
    );
    let (code, _, _) = labdeck(dir.path(), &["lint", "--deny-warnings", "talk.html"]);
    assert_eq!(code, 1);
}

#[test]
fn an_imported_stylesheet_is_rebased_and_copied() {
    // The browser loads `@import "vars.css"` relative to the stylesheet
    // that imports it (CSS Cascading §2.1); inlined into the page, the
    // reference is rewritten from the page's folder and the file copied,
    // with what it names.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<link rel=\"stylesheet\" href=\"theme/main.css\">\n<textarea id=\"source\"># Hi</textarea>",
    );
    write(
        dir.path(),
        "theme/main.css",
        "@import \"vars.css\";\n@import url(fonts/fonts.css);\nh1 { color: var(--accent); }\n",
    );
    write(dir.path(), "theme/vars.css", ":root { --accent: #c00; }\n");
    write(
        dir.path(),
        "theme/fonts/fonts.css",
        "@font-face { font-family: F; src: url(f.woff2); }\n",
    );
    write(dir.path(), "theme/fonts/f.woff2", "font");
    let (page, err) = build(dir.path(), "talk.html");
    assert!(page.contains("@import \"theme/vars.css\";"), "{page}");
    assert!(page.contains("@import url(theme/fonts/fonts.css);"));
    assert!(err.is_empty(), "{err}");
    for copied in [
        "theme/vars.css",
        "theme/fonts/fonts.css",
        "theme/fonts/f.woff2",
    ] {
        assert!(dir.path().join("out").join(copied).is_file(), "{copied}");
    }

    // One outside the deck's folder is refused, as images there are.
    write(dir.path(), "shared.css", "a { color: red }");
    write(
        dir.path(),
        "deck/talk.html",
        "<style>@import '../shared.css';</style>\n<textarea id=\"source\"># Hi</textarea>",
    );
    let (code, out, err) = labdeck(dir.path(), &["build", "-o", "out2", "deck/talk.html"]);
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("@import `../shared.css`") && err.contains("outside the deck's folder"),
        "{err}"
    );
    let (_, out, _) = labdeck(dir.path(), &["lint", "deck/talk.html"]);
    assert!(out.contains("[css-outside-deck]"), "{out}");
}

#[test]
fn image_paths_with_backslashes_load_as_browsers_load_them() {
    // WHATWG URL, path state: in a file: or http(s): URL `\` is a path
    // separator, so `images\a.png` shows images/a.png.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<textarea id=\"source\">\n# Hi\n![](images\\a.png)\n</textarea>",
    );
    write(dir.path(), "images/a.png", "png");
    let (_, err) = build(dir.path(), "talk.html");
    assert!(err.is_empty(), "{err}");
    assert!(dir.path().join("out/images/a.png").is_file());
    let (code, out, _) = labdeck(dir.path(), &["lint", "talk.html"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("missing-image"), "{out}");
}

// ---------- slides ----------

#[test]
fn count_false_slides_share_a_number_as_in_remark() {
    // remark 0.14 src/remark/components/slide-number/slide-number.js: a
    // slide's number is the count of slides up to it whose `count` is not
    // "false", at least 1 (`Math.max(1, count)`); the total is the last
    // slide's number. `#N` in the address is the slide's position
    // (controllers/inputs/location.js), so it is not changed by this.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<textarea id=\"source\">\n# A\n---\ncount: false\n\n# B\n---\n# C\n</textarea>",
    );
    let (page, _) = build(dir.path(), "talk.html");
    assert_eq!(numbers(&page), ["1 / 2", "1 / 2", "2 / 2"]);
    write(
        dir.path(),
        "first.html",
        "<textarea id=\"source\">\ncount: false\n\n# A\n---\n# B\n---\n# C\n</textarea>",
    );
    let (page, _) = build(dir.path(), "first.html");
    assert_eq!(numbers(&page), ["1 / 2", "1 / 2", "2 / 2"]);
}

#[test]
fn a_byte_order_mark_does_not_hide_the_first_property() {
    // WHATWG Encoding "decode": a leading BOM is dropped when a browser
    // reads the file remark fetches (sourceUrl) or a page.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<script>remark.create({sourceUrl: 'a.md'})</script>",
    );
    write(dir.path(), "a.md", "\u{FEFF}class: center, middle\n\n# A\n");
    let (page, _) = build(dir.path(), "talk.html");
    assert!(
        page.contains("class=\"remark-slide-content center middle"),
        "{page}"
    );
    assert!(!page.contains("class: center"));
    // A chapter of a manifest too.
    write(dir.path(), "deck/c.md", "\u{FEFF}name: first\n\n# C\n");
    write(dir.path(), "deck/deck.yml", "title: T\ncontent:\n- c.md\n");
    let (page, _) = build(dir.path(), "deck/deck.yml");
    assert!(page.contains("id=\"slide-first\""), "{page}");
}

// ---------- CI reads the same options ----------

#[test]
fn run_and_lint_read_the_options_the_page_shows_with() {
    // remark 0.14 src/remark/views/slideView.js: with highlightLines, a
    // code line's leading `*` marks it (`line.replace(/^\*( )?/, '$1$1')`)
    // and is not shown: students type `kubectl get pods`.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "talk.html",
        "<textarea id=\"source\">\n# Pods\n\n.exercise[\n- List them:\n  ```bash\n  *kubectl get pods\n  ```\n]\n</textarea>\n<script>remark.create({highlightLines: true})</script>",
    );
    let (page, _) = build(dir.path(), "talk.html");
    assert!(page.contains("remark-code-line-highlighted"), "{page}");
    let (code, out, err) = labdeck(dir.path(), &["run", "talk.html", "--dry-run"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("$ kubectl get pods"), "{out}");
    assert!(!out.contains("*kubectl"), "{out}");
    let (code, out, _) = labdeck(dir.path(), &["lint", "talk.html"]);
    assert!(!out.contains("highlight-marker"), "{out}");
    assert_eq!(code, 0, "{out}");

    // Without the option the `*` is shown, typed, and reported.
    write(
        dir.path(),
        "plain.html",
        "<textarea id=\"source\">\n# Pods\n\n.exercise[\n- List them:\n  ```bash\n  *kubectl get pods\n  ```\n]\n</textarea>\n<script>remark.create()</script>",
    );
    let (_, out, _) = labdeck(dir.path(), &["run", "plain.html", "--dry-run"]);
    assert!(out.contains("$ *kubectl get pods"), "{out}");
    let (_, out, _) = labdeck(dir.path(), &["lint", "plain.html"]);
    assert!(
        out.contains("plain.html:7:") && out.contains("[highlight-marker]"),
        "{out}"
    );

    // `--remark`, as `build` takes it, is read by `run` and `lint` too.
    let on = "--remark=highlightLines=true";
    let (_, out, _) = labdeck(dir.path(), &["run", "plain.html", "--dry-run", on]);
    assert!(out.contains("$ kubectl get pods"), "{out}");
    let (code, out, _) = labdeck(dir.path(), &["lint", "plain.html", on]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("highlight-marker"), "{out}");
}
