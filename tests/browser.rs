//! End-to-end tests of the deck runtime in headless Chromium.
//!
//! Own harness (tests/support/harness.rs, `harness = false` in Cargo.toml):
//! without Chromium or chromedriver a test that needs them is reported as
//! *ignored* (one line says why), never as passed; with
//! LABDECK_REQUIRE_BROWSER=1 (CI) it fails.
//!
//! To add a test: write `async fn name()` (no `#[tokio::test]`: it would
//! never run here, and the `tests_are_registered` test fails on it) and add
//! one line to the list in `main` below (`Browser async name,` if it starts
//! a browser, `Nothing async name,` if not). The board's tests
//! (tests/browser/board.rs) are listed in that file's `tests()`. A browser
//! test starts with `let _one = ONE_AT_A_TIME.lock().await;` and
//! `let b = browser::start("name").await;`.

mod support;

// The instructor's board (`grade --serve`): tests/browser/board.rs.
#[path = "browser/board.rs"]
mod board;

use fantoccini::key::Key;
use serde_json::json;
use support::browser::{self, Browser, ONE_AT_A_TIME};
use support::fixture;
use support::harness::{self, tests};

const BIG: usize = 2600;

/// JS giving the slides of the page at `page`, independently of the runtime:
/// read here by the library's one reader of a slides script, plain or
/// packed (src/render/page.rs `slide_fields`), then `rec(i)` gives slide
/// i's `{ inner, notes }` as parsed DOM fragments, `recs` their count.
fn slide_data_js(page: &std::path::Path) -> String {
    let html = std::fs::read_to_string(page).unwrap();
    let fields = labdeck::render::page::slide_fields(&html).expect("slides script");
    let fields: Vec<&str> = fields.iter().flatten().map(String::as_str).collect();
    format!(
        r#"
    const fields = {};
    const dec = t => t.replace(/<\\([\\\/!])/g, '<$1');
    const frag = h => {{ const t = document.createElement('template'); t.innerHTML = h; return t.content; }};
    const recs = Math.floor(fields.length / 4);
    const rec = i => ({{ inner: frag(dec(fields[4 * i + 2])), notes: frag(dec(fields[4 * i + 3])) }});
"#,
        serde_json::to_string(&fields).unwrap()
    )
}

struct Deck {
    _dir: tempfile::TempDir,
    url: String,
}

fn fixture_deck(n: usize) -> Deck {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture::render(dir.path(), n);
    Deck {
        url: browser::file_url(&page),
        _dir: dir,
    }
}

/// [`fixture_deck`] with its slides script packed, as `labdeck build`
/// writes a big deck's (src/render/page.rs `pack_slides`).
fn packed_fixture_deck(n: usize) -> Deck {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture::render(dir.path(), n);
    let html = std::fs::read_to_string(&page).unwrap();
    let packed = labdeck::render::page::pack_slides(&html).unwrap();
    // big enough for its slides to travel in several parts, as a big
    // deck's do (runtime.js joins them)
    assert_eq!(
        n >= BIG,
        packed.contains(labdeck::render::page::PACKED_PART_SCRIPT),
        "{n} slides"
    );
    std::fs::write(&page, packed).unwrap();
    Deck {
        url: browser::file_url(&page),
        _dir: dir,
    }
}

async fn assert_no_console_errors(b: &Browser) {
    let errors = b.console_errors().await;
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

/// As above, except failures to fetch remote images a deck links to (this
/// machine has no network; that is the deck's content, not the runtime).
async fn assert_no_console_errors_but_offline_images(b: &Browser) {
    let errors: Vec<String> = b
        .console_errors()
        .await
        .into_iter()
        .filter(|e| {
            !(e.starts_with("http")
                && !e.starts_with("http://127.0.0.1")
                && e.contains("Failed to load resource"))
        })
        .collect();
    assert!(errors.is_empty(), "console errors: {errors:#?}");
}

async fn keys_move_the_visible_slide_and_the_url_follows() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("keys_move_the_visible_slide").await;
    let deck = fixture_deck(BIG);
    b.open(&deck.url).await;
    assert_eq!(b.visible().await, 0);
    for (key, expect) in [
        (Key::Right.to_string(), 1),
        (" ".to_string(), 2),
        (Key::PageDown.to_string(), 3),
        (Key::Down.to_string(), 4),
        ("j".to_string(), 5),
        (Key::Left.to_string(), 4),
        (Key::Up.to_string(), 3),
        (Key::PageUp.to_string(), 2),
        ("k".to_string(), 1),
        (Key::End.to_string(), BIG as i64 - 1),
        (Key::Right.to_string(), BIG as i64 - 1), // stays on the last slide
        (Key::Home.to_string(), 0),
        (Key::Left.to_string(), 0),
    ] {
        b.key(&key).await;
        assert_eq!(b.visible().await, expect, "after key {key:?}");
        assert_eq!(b.hash().await, format!("#{}", expect + 1));
    }
    // a number then Enter
    b.key("1234").await;
    b.key(&Key::Enter.to_string()).await;
    assert_eq!(b.visible().await, 1233);
    assert_eq!(b.hash().await, "#1234");
    // the slide shown is scaled to the 1280x720 window (16:9: fills it)
    let fit = b
        .eval("const r = document.querySelector('.remark-visible .remark-slide-scaler').getBoundingClientRect();
               const want = Math.min(innerWidth, innerHeight * 1210 / 681);
               return [r.width, want, r.height / r.width];")
        .await;
    let fit: Vec<f64> = serde_json::from_value(fit).unwrap();
    assert!(
        (fit[0] - fit[1]).abs() < 2.0,
        "scaled slide fills the window: {fit:?}"
    );
    assert!((fit[2] - 681.0 / 1210.0).abs() < 0.01, "16:9 kept: {fit:?}");
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn hash_number_and_name_land_on_the_right_slide() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("hash_number_and_name").await;
    let deck = fixture_deck(BIG);
    // fresh loads
    b.open(&format!("{}#100", deck.url)).await;
    assert_eq!(b.visible().await, 99);
    b.open(&format!("{}#deep-dive", deck.url)).await;
    assert_eq!(b.visible().await, 1234);
    let text = b
        .eval("return document.querySelector('.remark-visible h2').textContent;")
        .await;
    assert_eq!(text, "Slide 1235 heading");
    // hash changes within the page (links to #name)
    b.eval("location.hash = '#toc'; return 0;").await;
    b.wait_for("labdeck.current() === 41", "#toc").await;
    assert_eq!(b.visible().await, 41);
    b.eval("location.hash = '#2600'; return 0;").await;
    b.wait_for("labdeck.current() === 2599", "#2600").await;
    assert_eq!(b.visible().await, 2599);
    // moving from a #name keeps the URL on #N
    b.key(&Key::Left.to_string()).await;
    assert_eq!(b.hash().await, "#2599");
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn presenter_mode_shows_notes_next_slide_and_timer() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("presenter_mode").await;
    let deck = fixture_deck(60);
    b.open(&format!("{}#5", deck.url)).await;
    b.key("p").await;
    let mode = b
        .eval("return document.body.classList.contains('remark-presenter-mode');")
        .await;
    assert_eq!(mode, true);
    let notes = b
        .eval("return document.querySelector('.remark-notes').textContent;")
        .await;
    assert_eq!(notes, "Notes for slide 5");
    let next = b
        .eval("return document.querySelector('.remark-preview-area h2').textContent;")
        .await;
    assert_eq!(next, "Slide 6 heading");
    let shown = b
        .eval("const r = document.querySelector('.remark-notes-area').getBoundingClientRect(); return r.width > 100 && r.height > 100;")
        .await;
    assert_eq!(shown, true, "notes area is laid out");
    b.key(&Key::Right.to_string()).await;
    let notes = b
        .eval("return document.querySelector('.remark-notes').textContent;")
        .await;
    assert_eq!(notes, "Notes for slide 6");
    // slide 8 (index 7) has no notes
    b.key(&Key::Right.to_string()).await;
    b.key(&Key::Right.to_string()).await;
    let notes = b
        .eval("return document.querySelector('.remark-notes').textContent;")
        .await;
    assert_eq!(notes, "");
    // timer runs and resets with t
    b.wait_for(
        "document.querySelector('.remark-toolbar-timer').textContent !== '0:00:00'",
        "timer ticking",
    )
    .await;
    b.key("t").await;
    let timer = b
        .eval("return document.querySelector('.remark-toolbar-timer').textContent;")
        .await;
    assert_eq!(timer, "0:00:00");
    let clock = b
        .eval("return document.querySelector('.labdeck-clock').textContent;")
        .await;
    assert!(clock.as_str().unwrap().contains(':'), "clock {clock}");
    b.key("p").await;
    let mode = b
        .eval("return document.body.classList.contains('remark-presenter-mode');")
        .await;
    assert_eq!(mode, false);
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn clone_window_follows_the_presenter_and_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("clone_window").await;
    let deck = fixture_deck(60);
    b.open(&format!("{}#10", deck.url)).await;
    let main = b.client.window().await.unwrap();
    b.key("c").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let clone = loop {
        let windows = b.client.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != main) {
            break w;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no clone window opened"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    b.client.switch_to_window(clone.clone()).await.unwrap();
    b.wait_for("window.labdeck && labdeck.isClone", "clone started")
        .await;
    assert_eq!(b.visible().await, 9);
    // the presenter moves: the clone follows
    b.client.switch_to_window(main.clone()).await.unwrap();
    b.key(&Key::Right.to_string()).await;
    b.key(&Key::Right.to_string()).await;
    b.key("p").await;
    b.client.switch_to_window(clone.clone()).await.unwrap();
    b.wait_for("labdeck.current() === 11", "clone follows to slide 12")
        .await;
    assert_eq!(b.visible().await, 11);
    let mode = b
        .eval("return document.body.classList.contains('remark-presenter-mode');")
        .await;
    assert_eq!(mode, false, "the clone stays in audience view");
    // the clone moves: the presenter follows
    b.key(&Key::Home.to_string()).await;
    b.client.switch_to_window(main.clone()).await.unwrap();
    b.wait_for("labdeck.current() === 0", "presenter follows the clone")
        .await;
    let notes = b
        .eval("return document.querySelector('.remark-notes').textContent;")
        .await;
    assert_eq!(notes, "Notes for slide 1");
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn help_blackout_and_goto_overlays() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("overlays").await;
    let deck = fixture_deck(30);
    b.open(&deck.url).await;
    let has = |c: &str| format!("return document.body.classList.contains('{c}');");
    b.key("h").await;
    assert_eq!(b.eval(&has("remark-help-mode")).await, true);
    let help = b
        .eval("return document.querySelector('.remark-help').getBoundingClientRect().height > 0;")
        .await;
    assert_eq!(help, true);
    b.key(&Key::Escape.to_string()).await;
    assert_eq!(b.eval(&has("remark-help-mode")).await, false);
    b.key("?").await;
    assert_eq!(b.eval(&has("remark-help-mode")).await, true);
    b.key("?").await;
    assert_eq!(b.eval(&has("remark-help-mode")).await, false);
    b.key("b").await;
    assert_eq!(b.eval(&has("remark-blackout-mode")).await, true);
    let black = b
        .eval("return getComputedStyle(document.querySelector('.remark-backdrop')).display;")
        .await;
    assert_eq!(black, "block");
    b.key("b").await;
    assert_eq!(b.eval(&has("remark-blackout-mode")).await, false);
    // typed digits are shown, Escape cancels them
    b.key("12").await;
    let typed = b
        .eval("return document.querySelector('.labdeck-goto').textContent;")
        .await;
    assert_eq!(typed, "12");
    b.key(&Key::Escape.to_string()).await;
    b.key(&Key::Enter.to_string()).await;
    assert_eq!(b.visible().await, 0);
    assert_no_console_errors(&b).await;
    b.close().await;
}

/// Slide 1 is in the page as HTML so that it paints before the slides script
/// is read: the runtime adopts that element as slide 1 (one container per
/// slide, no second copy), and an address naming another slide shows only
/// that one.
async fn first_slide_written_in_the_page_is_adopted_once() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("first_slide_adopted").await;
    let deck = fixture_deck(20);
    let shape = "const area = document.querySelector('.remark-slides-area');
                 return [area.children.length, area.querySelectorAll('.remark-slide-content').length,
                         area.children[0].querySelectorAll('h1').length, document.querySelectorAll('.labdeck-first').length,
                         performance.getEntriesByName('labdeck-first-slide').length];";
    b.open(&format!("{}#1", deck.url)).await;
    b.wait_for(
        "performance.getEntriesByName('labdeck-first-slide').length > 0",
        "the first slide's mark",
    )
    .await;
    assert_eq!(b.visible().await, 0);
    // 20 containers; slide 1's content once, live, and slides 2 and 3 ahead of it
    assert_eq!(b.eval(shape).await, serde_json::json!([20, 3, 1, 0, 1]));
    b.key(&Key::Right.to_string()).await;
    b.key(&Key::Left.to_string()).await;
    assert_eq!(b.visible().await, 0);
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{}#3", deck.url)).await;
    b.wait_for(
        "performance.getEntriesByName('labdeck-first-slide').length > 0",
        "the first slide's mark",
    )
    .await;
    assert_eq!(b.visible().await, 2);
    // slide 1 is not made when the address names another: slides 2-5 only
    assert_eq!(b.eval(shape).await, serde_json::json!([20, 4, 0, 0, 1]));
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn big_deck_materialises_only_slides_near_the_visible_one() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("big_deck_lazy").await;
    let deck = fixture_deck(BIG);
    b.open(&format!("{}#500", deck.url)).await;
    let live = "return Array.from(document.querySelector('.remark-slides-area').children).filter(c => c.firstChild).length;";
    let count = b.eval(live).await.as_i64().unwrap();
    assert!(
        (1..=4).contains(&count),
        "{count} slides materialised at start"
    );
    // walk forward 40 slides: old content is dropped again
    for _ in 0..40 {
        b.key(&Key::Right.to_string()).await;
    }
    assert_eq!(b.visible().await, 539);
    let count = b.eval(live).await.as_i64().unwrap();
    assert!(
        count <= 2 * 12 + 4,
        "{count} slides materialised after walking"
    );
    // images: only slides that were near the visible one have <img> elements in the
    // document (slides still text do not load); those that exist did load.
    let images = b
        .eval("return Array.from(document.images).map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);")
        .await;
    let images: Vec<(String, bool)> = serde_json::from_value(images).unwrap();
    assert!(!images.is_empty(), "pictures near the visible slides load");
    assert!(
        images.len() < 30,
        "{} images in the document: {images:?}",
        images.len()
    );
    for (src, loaded) in &images {
        let n: usize = src
            .trim_start_matches("images/pic-")
            .trim_end_matches(".svg")
            .parse()
            .unwrap();
        assert!((527..=542).contains(&n), "image of far slide {n} present");
        assert!(*loaded, "{src} did not load");
    }
    // the visible background image is applied
    b.eval("labdeck.go(525); return 0;").await;
    let bg = b.eval("return getComputedStyle(document.querySelector('.remark-visible .remark-slide-content')).backgroundImage;").await;
    assert!(bg.as_str().unwrap().contains("images/bg-525.svg"), "{bg}");
    assert_no_console_errors(&b).await;
    b.close().await;
}

fn print_gives_one_16_9_page_per_slide_with_steps_collapsed() {
    let dir = tempfile::tempdir().unwrap();
    let page = fixture::render(dir.path(), 60);
    let out = dir.path().join("deck.pdf");
    labdeck::pdf::print(&page, &out, false).unwrap();
    let pdf = std::fs::read(&out).unwrap();
    // 60 slides, of which 20 are `--` steps continued by the next slide
    assert_eq!(browser::pdf_pages(&pdf), 40);
    let text = String::from_utf8_lossy(&pdf);
    let media = text.split("/MediaBox [").nth(1).unwrap();
    let nums: Vec<f64> = media
        .split(']')
        .next()
        .unwrap()
        .split_whitespace()
        .map(|n| n.parse().unwrap())
        .collect();
    assert!(
        ((nums[2] / nums[3]) - 16.0 / 9.0).abs() < 0.01,
        "16:9 pages: {nums:?}"
    );
    // with notes: one extra page for each printed slide that has notes (30 of 40)
    labdeck::pdf::print(&page, &out, true).unwrap();
    assert_eq!(browser::pdf_pages(&std::fs::read(&out).unwrap()), 70);
    // nothing left behind but the PDF
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["deck.html", "deck.pdf", "images"]);
}

async fn serve_reloads_the_page_on_the_same_slide_after_an_edit() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("serve_reload").await;
    let s = support::served::serve_small_deck().await;
    b.open(&format!("{}#s5", s.server.url())).await;
    assert_eq!(b.visible().await, 4);
    b.key(&Key::Right.to_string()).await;
    assert_eq!(b.hash().await, "#6");
    // wait until the page listens for changes, and mark this page instance
    b.wait_for("window.labdeckTestMarker = 1", "page ready")
        .await;
    b.eval("return new Promise(r => { const es = new EventSource('/_labdeck/events'); es.onopen = () => { es.close(); r(0); }; });")
        .await;
    // Same slides, new text: swapped in place, the page is not reloaded.
    support::served::write(&s.chapter(), &support::served::chapter_text("edited"));
    b.wait_for(
        "document.querySelector('.remark-visible h1').textContent === 'Slide 6 edited'",
        "edited slide shown",
    )
    .await;
    assert_eq!(
        b.eval("return window.labdeckTestMarker;").await,
        1,
        "not reloaded"
    );
    assert_eq!(b.visible().await, 5, "same slide after the edit");
    // presenter mode shows the edited notes and next slide
    b.key("p").await;
    support::served::write(
        &s.chapter(),
        &support::served::chapter_text("edited")
            .replace("notes 6", "notes 6 again")
            .replace("Slide 7 edited", "Slide 7 again"),
    );
    b.wait_for(
        "document.querySelector('.remark-notes').textContent.includes('notes 6 again') && document.querySelector('.remark-preview-area h1').textContent === 'Slide 7 again'",
        "edited notes and preview shown",
    )
    .await;
    b.key("p").await;
    // A slide more: the page reloads, on the same slide.
    support::served::write(
        &s.chapter(),
        &format!(
            "{}---\n# One more\n",
            support::served::chapter_text("grown")
        ),
    );
    b.wait_for(
        "window.labdeckTestMarker === undefined && window.labdeck && document.querySelector('.remark-visible h1')",
        "page reloaded",
    )
    .await;
    assert_eq!(b.visible().await, 5, "same slide after reload");
    let h1 = b
        .eval("return document.querySelector('.remark-visible h1').textContent;")
        .await;
    assert_eq!(h1, "Slide 6 grown");
    // a broken edit: the page stays, the error shows in it
    support::served::write(&s.manifest(), "content:\n- gone.md\n");
    b.wait_for("document.querySelector('.labdeck-error')", "error overlay")
        .await;
    let msg = b
        .eval("return document.querySelector('.labdeck-error').textContent;")
        .await;
    assert!(msg.as_str().unwrap().contains("gone.md"), "{msg}");
    assert_eq!(b.visible().await, 5);
    assert_no_console_errors(&b).await;
    b.close().await;
}

/// One page measured by [`bench_first_slide_and_heap`].
struct BenchPage {
    label: String,
    url: String,
    /// What the page is: a labdeck page is walked through after the
    /// timings, remark.js's is what the ratios divide by.
    role: Role,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Labdeck,
    Remark,
    /// The least any page takes here: one heading and the mark, nothing
    /// else (navigation, the first frame).
    Floor,
}

/// The floor page ([`Role::Floor`]): a heading, and the mark in the
/// callback of the frame that paints it, as labdeck's and remark's pages
/// set it.
fn floor_page(dir: &std::path::Path) -> String {
    let page = dir.join("floor.html");
    std::fs::write(
        &page,
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>floor</title></head><body>\
         <h1>Floor</h1><script>\
         requestAnimationFrame(function () { performance.mark('labdeck-first-slide'); });\
         window.labdeck = { count: function () { return 0; } };\
         </script></body></html>",
    )
    .unwrap();
    browser::file_url(&page)
}

/// The remark.js page of a deck, as the original build script made it: the
/// assembled Markdown in `<textarea id="source">`, remark.js inlined (so the
/// page loads nothing from the network) and `remark.create()` with the
/// manifest's excluded classes. A `labdeck-first-slide` mark follows
/// `remark.create()`, which renders every slide synchronously.
fn remark_page(dir: &std::path::Path, manifest: &std::path::Path, remark_js: &str) -> String {
    let m = labdeck::manifest::Manifest::load(manifest).unwrap();
    let assembled = labdeck::assemble::assemble(&m, &Default::default());
    let source = assembled
        .text
        .as_str()
        .replace('&', "&amp;")
        .replace('<', "&lt;");
    let page = dir.join("remark.html");
    let html = format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>remark</title>\
         <style>#source {{ display: none; }}</style></head><body>\
         <textarea id=\"source\">{source}</textarea><script>{js}</script><script>\
         var slideshow = remark.create({{ ratio: '16:9', highlightSpans: true, excludedClasses: {excluded} }});\
         requestAnimationFrame(function () {{ performance.mark('labdeck-first-slide'); }});\
         window.labdeck = {{ count: function () {{ return slideshow.getSlideCount(); }} }};\
         </script></body></html>",
        js = remark_js.replace("</script", "<\\/script"),
        excluded = serde_json::to_string(&m.exclude).unwrap(),
    );
    std::fs::write(&page, html).unwrap();
    browser::file_url(&page)
}

/// Benchmark (run by scripts/bench-browser.sh): time to first visible slide
/// and JS heap of big deck pages in headless Chromium, loaded in turn (one
/// round loads each page once; round 0 warms the file cache and is not
/// counted), so pages built by two versions, and remark.js, are compared in
/// the same run. Pages: LABDECK_BENCH_PAGES (`label=path,label=path`), or
/// LABDECK_BENCH_PAGE, or the 2,600-slide fixture; with
/// LABDECK_BENCH_REMARK_JS (a remark.js file) and LABDECK_BENCH_MANIFEST,
/// the deck's remark.js page too; and always a floor page (one heading),
/// the least any page takes here, which the labdeck pages are also set
/// against.
async fn bench_first_slide_and_heap() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start_with("bench", &["--js-flags=--expose-gc"]).await;
    let fixture;
    let scratch = tempfile::tempdir().unwrap();
    let page = |label: &str, path: &str| BenchPage {
        label: label.to_string(),
        url: browser::file_url(&std::fs::canonicalize(path).unwrap()),
        role: Role::Labdeck,
    };
    let mut pages: Vec<BenchPage> = match (
        std::env::var("LABDECK_BENCH_PAGES"),
        std::env::var("LABDECK_BENCH_PAGE"),
    ) {
        (Ok(list), _) => list
            .split(',')
            .map(|p| match p.split_once('=') {
                Some((label, path)) => page(label, path),
                None => page(p, p),
            })
            .collect(),
        (_, Ok(p)) => vec![page("labdeck", &p)],
        _ => {
            fixture = fixture_deck(BIG);
            vec![BenchPage {
                label: "fixture".into(),
                url: fixture.url.clone(),
                role: Role::Labdeck,
            }]
        }
    };
    if let (Ok(js), Ok(manifest)) = (
        std::env::var("LABDECK_BENCH_REMARK_JS"),
        std::env::var("LABDECK_BENCH_MANIFEST"),
    ) {
        let js = std::fs::read_to_string(js).unwrap();
        pages.push(BenchPage {
            label: "remark.js".into(),
            url: remark_page(scratch.path(), std::path::Path::new(&manifest), &js),
            role: Role::Remark,
        });
    }
    // What navigation and a first frame cost here, whatever the page: the
    // ratios are read against it (README, "Speed").
    pages.push(BenchPage {
        label: "floor".into(),
        url: floor_page(scratch.path()),
        role: Role::Floor,
    });
    let runs: usize = std::env::var("LABDECK_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    // All from the Performance API, in ms from navigation start.
    let measure = "
        const nav = performance.getEntriesByType('navigation')[0];
        const at = n => { const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : -1; };
        const first = at('labdeck-first-slide');
        const fp = at('first-paint');
        const fcp = at('first-contentful-paint');
        if (window.gc) gc();
        return { first, fp, fcp, load: nav.loadEventEnd, parsed: nav.domInteractive,
                 heap: performance.memory.usedJSHeapSize, slides: labdeck.count(),
                 nodes: document.getElementsByTagName('*').length,
                 bytes: nav.decodedBodySize };";
    let mut results: Vec<Vec<serde_json::Value>> = pages.iter().map(|_| Vec::new()).collect();
    for run in 0..=runs {
        // Each round starts one page further on: a page loaded right after
        // another paints its first slide about 2 ms later here (playwright
        // runs of two pages in both orders), so a fixed order favours the
        // first page listed.
        for k in 0..pages.len() {
            let p = (k + run) % pages.len();
            let page = &pages[p];
            // about:blank between loads so each one is a fresh navigation,
            // and the heap the last page left collected before it starts
            // (remark's page leaves 16 MB and 48,000 elements).
            b.client.goto("about:blank").await.unwrap();
            b.eval("if (window.gc) { gc(); } return 0;").await;
            b.open(&format!("{}#1", page.url)).await;
            b.wait_for(
                "performance.getEntriesByName('first-contentful-paint').length > 0 && performance.getEntriesByName('labdeck-first-slide').length > 0",
                "first contentful paint",
            )
            .await;
            let m = b.eval(measure).await;
            if run > 0 {
                // run 0 warms the file cache
                results[p].push(m);
            }
        }
    }
    println!(
        "BENCH {runs} rounds, pages loaded in turn, each round from the next page; ms from navigation start (Performance API)"
    );
    let median = |results: &Vec<serde_json::Value>, key: &str| {
        let mut v: Vec<f64> = results.iter().map(|m| m[key].as_f64().unwrap()).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
    for (page, results) in pages.iter().zip(&results) {
        let median = |key: &str| median(results, key);
        let r = &results[0];
        println!(
            "BENCH {}: slides={} html_bytes={} dom_elements={}\nBENCH {}: median first_slide_ms={:.0} first_paint_ms={:.0} first_contentful_paint_ms={:.0} dom_interactive_ms={:.0} load_ms={:.0} js_heap_mb={:.1}",
            page.label,
            r["slides"],
            r["bytes"],
            r["nodes"],
            page.label,
            median("first"),
            median("fp"),
            median("fcp"),
            median("parsed"),
            median("load"),
            median("heap") / 1048576.0,
        );
    }
    // Ratios of medians from this one run: remark.js against each labdeck page.
    if let Some(r) = pages.iter().position(|p| p.role == Role::Remark) {
        for (p, page) in pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.role == Role::Labdeck)
        {
            let ratio = |key: &str| median(&results[r], key) / median(&results[p], key).max(0.1);
            println!(
                "BENCH {}: first slide painted {:.1}x sooner than remark.js (first_slide), first contentful paint {:.1}x sooner",
                page.label,
                ratio("first"),
                ratio("fcp"),
            );
        }
    }
    // How far above the floor each page paints: what a page can still
    // save, whatever remark.js takes in this run.
    if let Some(f) = pages.iter().position(|p| p.role == Role::Floor) {
        let floor = median(&results[f], "first");
        for (p, page) in pages
            .iter()
            .enumerate()
            .filter(|(_, p)| p.role != Role::Floor)
        {
            println!(
                "BENCH {}: first slide {:.0} ms above the floor page's {floor:.0} ms",
                page.label,
                median(&results[p], "first") - floor,
            );
        }
    }
    for page in pages.iter().filter(|p| p.role == Role::Labdeck) {
        bench_walk(&b, page).await;
    }
    b.close().await;
}

/// Slide change cost and heap after walking 300 slides, on one labdeck page.
async fn bench_walk(b: &Browser, page: &BenchPage) {
    let label = &page.label;
    b.client.goto("about:blank").await.unwrap();
    // ChromeDriver's log holds every page's errors since it was last read:
    // read it here, so that this page's count is its own (the first page
    // walked was charged with the errors of every load before it).
    let _ = b.console_errors().await;
    b.open(&format!("{}#1", page.url)).await;
    // cost of one slide change, layout included
    let step_ms = b
        .eval(
            "const area = document.querySelector('.remark-slides-area');
             const t = performance.now();
             for (let i = 0; i < 200; i++) { labdeck.go(labdeck.current() + 1); area.querySelector('.remark-visible').getBoundingClientRect(); }
             const ms = (performance.now() - t) / 200;
             labdeck.go(0);
             return ms;",
        )
        .await;
    // walk 300 slides, as a presenter would, then measure the heap again
    for _ in 0..300 {
        b.key(&Key::Right.to_string()).await;
    }
    let heap_after = b
        .eval("if (window.gc) gc(); return performance.memory.usedJSHeapSize;")
        .await;
    // Blink's own counts (template content is not in the JS heap, but is in these)
    b.cdp("Performance.enable", json!({})).await;
    let metrics = b.cdp("Performance.getMetrics", json!({})).await;
    let metric = |name: &str| {
        metrics["metrics"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["value"].as_f64().unwrap())
            .unwrap_or(-1.0)
    };
    let errors = b.console_errors().await;
    let remote = errors
        .iter()
        .filter(|e| e.starts_with("http") && e.contains("Failed to load resource"))
        .count();
    println!(
        "BENCH {label}: slide_change_ms={:.2} (mean of 200, with layout) js_heap_after_300_slides_mb={:.1}\nBENCH {label}: devtools JSHeapUsedSize_mb={:.1} Nodes={} console_errors={} ({remote} are remote images unavailable offline)",
        step_ms.as_f64().unwrap(),
        heap_after.as_f64().unwrap() / 1048576.0,
        metric("JSHeapUsedSize") / 1048576.0,
        metric("Nodes"),
        errors.len(),
    );
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build a deck with the compiler into a temporary folder, as `labdeck
/// build` does (a big deck's slides packed); returns the page's file:// URL
/// and the page.
fn build_deck(manifest: &std::path::Path) -> (tempfile::TempDir, String, std::path::PathBuf) {
    let out = tempfile::tempdir().unwrap();
    let builder = labdeck::build::Builder::new(labdeck::build::BuildOptions {
        out_dir: out.path().to_path_buf(),
        pack_slides_from: Some(labdeck::render::page::PACK_SLIDES_FROM),
        ..Default::default()
    })
    .unwrap();
    let built = builder.build(manifest).unwrap();
    let url = browser::file_url(&built.output);
    (out, url, built.output)
}

/// The same walk through any real deck: keys, #N, #name, number+Enter,
/// presenter notes matching the slide's own, a clone that follows.
async fn exercise_real_deck(b: &Browser, url: &str, page: &std::path::Path) {
    let slide_data = slide_data_js(page);
    b.open(url).await;
    let count = b.eval("return labdeck.count();").await.as_i64().unwrap();
    assert!(count > 10, "{count} slides");
    assert_eq!(b.visible().await, 0);
    for expect in 1..=3 {
        b.key(&Key::Right.to_string()).await;
        assert_eq!(b.visible().await, expect);
    }
    assert_eq!(b.hash().await, "#4");
    b.key(&Key::End.to_string()).await;
    assert_eq!(b.visible().await, count - 1);
    b.key(&Key::Home.to_string()).await;
    assert_eq!(b.visible().await, 0);
    // #N on a fresh load
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{url}#{}", count / 2)).await;
    assert_eq!(b.visible().await, count / 2 - 1);
    // #name: the last named slide, found in the DOM
    let named = b
        .eval("const all = Array.from(document.querySelectorAll('.remark-slides-area > [data-name]')); const c = all[all.length - 1];
               return [c.getAttribute('data-name'), Array.prototype.indexOf.call(c.parentNode.children, c)];")
        .await;
    let (name, index): (String, i64) = serde_json::from_value(named).unwrap();
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{url}#{name}")).await;
    assert_eq!(b.visible().await, index, "#{name}");
    // presenter mode on the first slide with notes, reached by number + Enter
    let with_notes = b
        .eval(&format!(
            "{slide_data}
               let i = 1;
               while (i < recs && !rec(i).notes.textContent.trim()) i++;
               if (i >= recs) i = -1;
               return [i, i < 0 ? '' : rec(i).notes.textContent.replace(/\\s+/g, ' ').trim()];"
        ))
        .await;
    let (j, notes): (i64, String) = serde_json::from_value(with_notes).unwrap();
    // A deck without `???` notes still gets presenter mode, with empty notes.
    let j = if j > 0 {
        j
    } else {
        eprintln!("note: {url} has no speaker notes; checking presenter mode on slide 2");
        1
    };
    b.key(&(j + 1).to_string()).await;
    b.key(&Key::Enter.to_string()).await;
    assert_eq!(b.visible().await, j);
    b.key("p").await;
    assert_eq!(
        b.eval("return document.body.classList.contains('remark-presenter-mode');")
            .await,
        true
    );
    let shown = b
        .eval("return document.querySelector('.remark-notes').textContent.replace(/\\s+/g, ' ').trim();")
        .await;
    assert_eq!(shown, notes.as_str());
    let laid_out = b
        .eval("const r = document.querySelector('.remark-notes-area').getBoundingClientRect(); return r.width > 100 && r.height > 100;")
        .await;
    assert_eq!(laid_out, true, "notes area shown");
    if j + 1 < count {
        let preview = b.eval("return document.querySelectorAll('.remark-preview-area .remark-slide-container').length;").await;
        assert_eq!(preview, 1, "next slide shown");
    }
    // the clone follows
    let main = b.client.window().await.unwrap();
    b.key("c").await;
    b.wait_for("true", "").await;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let clone = loop {
        if let Some(w) = b
            .client
            .windows()
            .await
            .unwrap()
            .into_iter()
            .find(|w| *w != main)
        {
            break w;
        }
        assert!(std::time::Instant::now() < deadline, "no clone window");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    b.client.switch_to_window(clone.clone()).await.unwrap();
    b.wait_for("window.labdeck && labdeck.isClone", "clone started")
        .await;
    assert_eq!(b.visible().await, j);
    b.client.switch_to_window(main.clone()).await.unwrap();
    b.key(&Key::Left.to_string()).await;
    b.client.switch_to_window(clone.clone()).await.unwrap();
    b.wait_for(&format!("labdeck.current() === {}", j - 1), "clone follows")
        .await;
    assert_no_console_errors_but_offline_images(b).await;
    b.client.close_window().await.unwrap();
    b.client.switch_to_window(main).await.unwrap();
    assert_no_console_errors_but_offline_images(b).await;
}

async fn sample_deck_end_to_end() {
    let manifest = std::env::var("LABDECK_SAMPLE_MANIFEST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("slides/labdeck-sample.yml"));
    assert!(
        manifest.exists(),
        "sample deck not found at {}",
        manifest.display()
    );
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("sample_deck").await;
    let (_out, url, page) = build_deck(&manifest);
    exercise_real_deck(&b, &url, &page).await;
    b.close().await;
}

async fn largest_corpus_deck_end_to_end() {
    let manifest = support::corpus::container_training().join("slides/kube-selfpaced.yml");
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("kube_selfpaced").await;
    let (_out, url, page) = build_deck(&manifest);
    exercise_real_deck(&b, &url, &page).await;
    b.close().await;
}

/// Screenshots for the README (run by scripts/screenshots.sh): the deck
/// LABDECK_SCREENSHOT_MANIFEST (default slides/labdeck-sample.yml) on its
/// first slide with an exercise and code, normal and presenter mode, written
/// to LABDECK_SCREENSHOT_DIR (default docs/).
async fn screenshots() {
    let manifest = std::env::var("LABDECK_SCREENSHOT_MANIFEST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("slides/labdeck-sample.yml"));
    let out = std::env::var("LABDECK_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("docs"));
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("screenshots").await;
    let (_dir, url, page) = build_deck(&manifest);
    let slide_data = slide_data_js(&page);
    // a 16:9 viewport whatever room the headless window leaves
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    b.open(&url).await;
    let pick = b
        .eval(
            &format!("{slide_data}
             const c = Array.from(document.querySelector('.remark-slides-area').children);
             const has = (s, sel) => rec(c.indexOf(s)).inner.querySelector(sel);
             const notes = s => rec(c.indexOf(s)).notes.textContent.trim();
             let i = c.findIndex(s => !s.classList.contains('labdeck-step') && has(s, '.exercise pre, .lab pre') && notes(s));
             if (i < 0) i = c.findIndex(s => !s.classList.contains('labdeck-step') && has(s, '.exercise pre, .lab pre'));
             if (i < 0) i = c.findIndex(s => has(s, 'pre'));
             return Math.max(i, 0);"),
        )
        .await
        .as_i64()
        .unwrap();
    b.eval(&format!("labdeck.go({pick}); return 0;")).await;
    // pictures on the slide are loaded before the shot
    b.wait_for(
        "Array.from(document.querySelectorAll('.remark-visible img')).every(i => i.complete)",
        "images",
    )
    .await;
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("screenshot.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    // presenter mode on a slide that has notes (and code, if any has both)
    let with_notes = b
        .eval(&format!(
            "{slide_data}
             const c = Array.from(document.querySelector('.remark-slides-area').children);
             const has = (s, sel) => rec(c.indexOf(s)).inner.querySelector(sel);
             const notes = s => rec(c.indexOf(s)).notes.textContent.trim();
             let i = c.findIndex(s => notes(s) && has(s, 'pre'));
             if (i < 0) i = c.findIndex(s => notes(s));
             return i;"
        ))
        .await
        .as_i64()
        .unwrap();
    if with_notes >= 0 {
        b.eval(&format!("labdeck.go({with_notes}); return 0;"))
            .await;
    }
    b.key("p").await;
    b.wait_for(
        "Array.from(document.querySelectorAll('.remark-preview-area img')).every(i => i.complete)",
        "preview images",
    )
    .await;
    std::fs::write(
        out.join("screenshot-presenter.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    println!(
        "wrote {} (slide {})",
        out.join("screenshot*.png").display(),
        pick + 1
    );
    b.close().await;
}

/// A remark deck published as an HTML page with its own theme and
/// `remark.create({ ratio: '4:3', highlightStyle: 'monokai', ... })`
/// (slides/remark-talk/talk.html): the deck's element selectors beat
/// labdeck's default look, and remark's options shape the page (issue 13).
async fn a_deck_with_its_own_theme_keeps_its_look_and_ratio() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("a_deck_with_its_own_theme").await;
    let (_dir, url, _) = build_deck(&repo().join("slides/remark-talk/talk.html"));
    b.open(&url).await;
    let style = |sel: &str, prop: &str| {
        format!("return getComputedStyle(document.querySelector('.remark-visible {sel}')).{prop};")
    };
    // 4:3 (remark's scaler: 908x681).
    let ratio = b
        .eval("const r = document.querySelector('.remark-visible .remark-slide-scaler').getBoundingClientRect(); return r.height / r.width;")
        .await
        .as_f64()
        .unwrap();
    assert!((ratio - 681.0 / 908.0).abs() < 0.01, "4:3: {ratio}");
    // Title slide: `class: center, middle, inverse` from the page's <style>.
    assert_eq!(
        b.eval(&style("h1", "color")).await,
        json!("rgb(27, 42, 52)")
    );
    assert_eq!(b.eval(&style("h1", "fontWeight")).await, json!("400"));
    assert_eq!(
        b.eval(&style(".remark-slide-content", "verticalAlign"))
            .await,
        json!("middle")
    );
    let number = b
        .eval("return document.querySelector('.remark-visible .remark-slide-number').textContent;")
        .await;
    assert_eq!(number, json!("1 of 3"), "slideNumberFormat function");
    // Code slide: the theme's colours and fonts, monokai, marked lines, and
    // the blank code line keeps its height (.remark-code-line min-height).
    b.key(&Key::Right.to_string()).await;
    assert_eq!(
        b.eval(&style("h2", "color")).await,
        json!("rgb(243, 182, 31)")
    );
    assert_eq!(b.eval(&style("h2", "fontWeight")).await, json!("400"));
    // The deck's `body { font-family }` reaches the text.
    let font = b.eval(&style("p", "fontFamily")).await;
    assert!(font.as_str().unwrap().contains("DejaVu Serif"), "{font}");
    assert_eq!(
        b.eval(&style(".hljs", "backgroundColor")).await,
        json!("rgb(39, 40, 34)")
    );
    let lines = b
        .eval(
            "const l = Array.from(document.querySelectorAll('.remark-visible .remark-code-line'));
             return [l.length, l.filter(x => x.classList.contains('remark-code-line-highlighted')).length,
                     Math.min(...l.map(x => x.getBoundingClientRect().height))];",
        )
        .await;
    let lines: (usize, usize, f64) = serde_json::from_value(lines).unwrap();
    assert_eq!((lines.0, lines.1), (7, 2), "{lines:?}");
    assert!(
        lines.2 > 5.0,
        "empty code lines keep their height: {lines:?}"
    );
    // `class: center` centres horizontally only.
    b.key(&Key::End.to_string()).await;
    assert_eq!(
        b.eval(&style(".remark-slide-content", "textAlign")).await,
        json!("center")
    );
    assert_ne!(
        b.eval(&style(".remark-slide-content", "verticalAlign"))
            .await,
        json!("middle")
    );
    assert_no_console_errors_but_offline_images(&b).await;
    b.close().await;
}

/// remark's `navigation` option (remark 0.14 models/slideshow/navigation.js,
/// controllers/inputs/mouse.js): wheel off, click forward, context menu back.
async fn navigation_option_turns_inputs_on_and_off() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("navigation_option").await;
    let dir = tempfile::tempdir().unwrap();
    let deck = dir.path().join("nav.md");
    std::fs::write(&deck, "# One\n---\n# Two\n---\n# Three\n").unwrap();
    let builder = labdeck::build::Builder::new(labdeck::build::BuildOptions {
        out_dir: dir.path().join("out"),
        load: labdeck::deck::LoadOptions {
            remark: vec![r#"navigation={"scroll":false,"click":true}"#.into()],
            ..Default::default()
        },
        ..Default::default()
    })
    .unwrap();
    let built = builder.build(&deck).unwrap();
    b.open(&browser::file_url(&built.output)).await;
    let wheel =
        "document.body.dispatchEvent(new WheelEvent('wheel', { deltaY: 60, bubbles: true }));
                 return labdeck.current();";
    assert_eq!(b.eval(wheel).await, 0, "scroll: false");
    let click = "document.querySelector('.remark-visible .remark-slide-content').dispatchEvent(new MouseEvent('click', { button: 0, bubbles: true }));
                 return labdeck.current();";
    assert_eq!(b.eval(click).await, 1, "click: true goes forward");
    let back = "document.querySelector('.remark-visible .remark-slide-content').dispatchEvent(new MouseEvent('contextmenu', { button: 2, bubbles: true, cancelable: true }));
                return labdeck.current();";
    assert_eq!(b.eval(back).await, 0, "the context menu goes back");
    assert_no_console_errors(&b).await;
    b.close().await;
}

/// The screenshot of slides/remark-talk/talk.html for the docs (run by
/// scripts/screenshots.sh): docs/screenshot-remark-theme.png.
async fn theme_screenshot() {
    let out = std::env::var("LABDECK_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("docs"));
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("theme_screenshot").await;
    let (_dir, url, _) = build_deck(&repo().join("slides/remark-talk/talk.html"));
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1024, "height": 768, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    b.open(&format!("{url}#2")).await;
    assert_eq!(b.visible().await, 1);
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(
        out.join("screenshot-remark-theme.png"),
        b.client.screenshot().await.unwrap(),
    )
    .unwrap();
    println!(
        "wrote {}",
        out.join("screenshot-remark-theme.png").display()
    );
    b.close().await;
}

async fn printing_puts_every_slide_in_place() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("print_materialises").await;
    let deck = fixture_deck(300);
    let deferred = "return Array.from(document.querySelector('.remark-slides-area').children).filter(c => !c.firstChild).length;";
    // `labdeck pdf` opens the page with ?print
    b.open(&format!("{}?print#150", deck.url)).await;
    assert_eq!(b.eval(deferred).await, 0, "all content in place for print");
    let far = b.eval("return document.querySelectorAll('.remark-slides-area > .remark-slide-container')[3].querySelector('h2').textContent;").await;
    assert_eq!(far, "Slide 4 heading");
    // printing from the browser: beforeprint does the same, afterprint lets go again
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{}#150", deck.url)).await;
    assert!(b.eval(deferred).await.as_i64().unwrap() > 250);
    b.eval("window.dispatchEvent(new Event('beforeprint')); return 0;")
        .await;
    assert_eq!(b.eval(deferred).await, 0);
    b.eval("window.dispatchEvent(new Event('afterprint')); labdeck.go(10); return 0;")
        .await;
    assert!(
        b.eval(deferred).await.as_i64().unwrap() > 250,
        "content dropped again after printing"
    );
    assert_no_console_errors(&b).await;
    b.close().await;
}

/// What a page shows of `deck`: slide count, slide 1 as painted before the
/// runtime started, then a few slides (the container) and their notes as
/// the runtime shows them, and where `#deep-dive` lands.
async fn what_the_page_shows(b: &Browser, url: &str) -> serde_json::Value {
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{url}#1")).await;
    let shown = b
        .eval(&format!(
            "const out = {{ count: labdeck.count(), slides: [] }};
             for (const i of [0, 1, 2, 99, 1234, {last}, 3]) {{
               labdeck.go(i);
               const c = document.querySelector('.remark-visible');
               out.slides.push([i, labdeck.current(), location.hash, c.outerHTML, labdeck.notes(i)]);
             }}
             const at = n => {{ const e = performance.getEntriesByName(n)[0]; return e ? e.startTime : -1; }};
             out.painted_before_ready = at('labdeck-first-slide') >= 0 && at('labdeck-first-slide') <= at('labdeck-ready');
             return out;",
            last = BIG - 1
        ))
        .await;
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{url}#deep-dive")).await;
    let mut shown = shown;
    shown["deep_dive"] = b.visible().await.into();
    assert_no_console_errors(b).await;
    shown
}

/// A big deck's page as `labdeck build` writes it, its slides packed
/// (src/render/page.rs `pack_slides`), shows what the same page with its
/// slides plain shows; slide 1 paints before the runtime unpacks the rest;
/// `?print` still puts every slide in place.
async fn packed_slides_show_what_plain_slides_show() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("packed_slides").await;
    let plain = fixture_deck(BIG);
    let packed = packed_fixture_deck(BIG);
    let mut want = what_the_page_shows(&b, &plain.url).await;
    let mut got = what_the_page_shows(&b, &packed.url).await;
    assert_eq!(want["count"], BIG);
    assert_eq!(want["deep_dive"], 1234);
    assert_eq!(
        got["painted_before_ready"].take(),
        true,
        "slide 1 painted, then the runtime unpacked"
    );
    // (a plain page's runtime may start before or after that frame)
    want["painted_before_ready"].take();
    assert_eq!(got, want);
    b.client.goto("about:blank").await.unwrap();
    b.open(&format!("{}?print#150", packed.url)).await;
    let deferred = "return Array.from(document.querySelector('.remark-slides-area').children).filter(c => !c.firstChild).length;";
    assert_eq!(b.eval(deferred).await, 0, "all content in place for print");
    assert_no_console_errors(&b).await;
    b.close().await;
}

/// A packed slides script the browser cannot unpack (damaged, or a browser
/// without DecompressionStream): the page says so over slide 1, no runtime.
async fn regression_packed_slides_that_do_not_unpack_say_so() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("packed_broken").await;
    let dir = tempfile::tempdir().unwrap();
    let page = fixture::render(dir.path(), 30);
    let html =
        labdeck::render::page::pack_slides(&std::fs::read_to_string(&page).unwrap()).unwrap();
    let (start, end) = labdeck::render::page::slides_script_span(&html).unwrap();
    // reserved block type 11: not a DEFLATE stream
    std::fs::write(&page, format!("{}/////w=={}", &html[..start], &html[end..])).unwrap();
    b.client.goto(&browser::file_url(&page)).await.unwrap();
    b.wait_for("document.querySelector('.labdeck-error')", "error shown")
        .await;
    let msg = b
        .eval("return [document.querySelector('.labdeck-error').textContent, typeof window.labdeck, !!document.querySelector('.labdeck-first h1')];")
        .await;
    assert!(
        msg[0]
            .as_str()
            .unwrap()
            .contains("cannot unpack the slides"),
        "{msg}"
    );
    assert_eq!(msg[1], "undefined", "{msg}");
    assert_eq!(msg[2], true, "slide 1 still shown: {msg}");
    b.close().await;
}

async fn touch_swipes_and_taps_move_slides_and_f_goes_full_screen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("touch").await;
    let deck = fixture_deck(30);
    b.open(&format!("{}#10", deck.url)).await;
    let gesture = |x0: i32, x1: i32| {
        format!(
            "const t0 = new Touch({{ identifier: 1, target: document.body, clientX: {x0}, clientY: 300 }});
             const t1 = new Touch({{ identifier: 1, target: document.body, clientX: {x1}, clientY: 305 }});
             document.body.dispatchEvent(new TouchEvent('touchstart', {{ touches: [t0], changedTouches: [t0], bubbles: true }}));
             document.body.dispatchEvent(new TouchEvent('touchend', {{ touches: [], changedTouches: [t1], bubbles: true }}));
             return labdeck.current();"
        )
    };
    assert_eq!(b.eval(&gesture(900, 300)).await, 10, "swipe left: next");
    assert_eq!(b.eval(&gesture(300, 900)).await, 9, "swipe right: previous");
    assert_eq!(
        b.eval(&gesture(1000, 1002)).await,
        10,
        "tap on the right half: next"
    );
    assert_eq!(
        b.eval(&gesture(100, 101)).await,
        9,
        "tap on the left half: previous"
    );
    assert_eq!(b.visible().await, 9);
    // the mouse wheel: a burst of events moves one slide
    let wheel = "for (let i = 0; i < 5; i++) document.body.dispatchEvent(new WheelEvent('wheel', { deltaY: 60, bubbles: true }));
                 return labdeck.current();";
    assert_eq!(b.eval(wheel).await, 10, "one slide per wheel gesture");
    b.key("f").await;
    b.wait_for(
        "document.fullscreenElement === document.documentElement",
        "full screen",
    )
    .await;
    b.key("f").await;
    b.wait_for("document.fullscreenElement === null", "full screen left")
        .await;
    assert_no_console_errors(&b).await;
    b.close().await;
}

async fn tiny_decks_do_not_break_the_runtime() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("tiny_decks").await;
    for n in [0, 1] {
        let deck = fixture_deck(n);
        b.client.goto("about:blank").await.unwrap();
        b.open(&format!("{}#5", deck.url)).await;
        for key in [
            Key::Right.to_string(),
            Key::End.to_string(),
            "p".into(),
            "c".into(),
            "h".into(),
        ] {
            b.key(&key).await;
        }
        let current = b.eval("return labdeck.current();").await;
        assert_eq!(current, if n == 0 { -1 } else { 0 });
        // close any clone window the `c` opened
        let main = b.client.window().await.unwrap();
        for w in b.client.windows().await.unwrap() {
            if w != main {
                b.client.switch_to_window(w).await.unwrap();
                b.client.close_window().await.unwrap();
            }
        }
        b.client.switch_to_window(main).await.unwrap();
        assert_no_console_errors(&b).await;
    }
    b.close().await;
}

/// Copy a folder tree (the corpus is read-only; the serve benchmark edits a copy).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Benchmark (run by scripts/bench-serve.sh): from saving a chapter to the
/// edited slide painted, with `labdeck serve` on a big deck (a copy of the
/// corpus' kube-selfpaced, or LABDECK_BENCH_MANIFEST's folder's parent) open
/// in headless Chromium on the edited slide. The server is the binary
/// LABDECK_BENCH_BIN (default: this tree's). Each round appends ` EDIT-k`
/// to a heading of the shown slide and saves the chapter; the page (and any
/// page it reloads into) runs a probe, injected before its own scripts, that
/// notes the first animation frame whose visible slide shows `EDIT-k`: the
/// frame that paints it. Figure: that frame's time minus the time just before
/// the write, both wall clock (ms since the epoch), median of
/// LABDECK_BENCH_RUNS (default 9) rounds after one warm-up.
async fn bench_serve_edit_to_paint() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("bench_serve").await;
    let manifest = std::env::var("LABDECK_BENCH_MANIFEST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            support::corpus::container_training().join("slides/kube-selfpaced.yml")
        });
    let manifest = std::fs::canonicalize(manifest).unwrap();
    // the repository: the manifest's folder's parent (includes resolve there)
    let slides_dir = manifest.parent().unwrap();
    let repo_dir = slides_dir.parent().unwrap();
    let work = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(repo_dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() && entry.file_name() != "expected" {
            copy_tree(&entry.path(), &work.path().join(entry.file_name()));
        }
    }
    let copy = work
        .path()
        .join(slides_dir.file_name().unwrap())
        .join(manifest.file_name().unwrap());
    // the slide to edit: the first one past the middle of the deck written
    // in a chapter with a heading line of its own
    let deck = labdeck::deck::load(&copy, &Default::default()).unwrap();
    let (index, file, line) = deck
        .slides
        .iter()
        .skip(deck.slides.len() / 2)
        .filter(|s| s.last_step && !s.continued)
        .find_map(|s| {
            let loc = s.location.as_ref()?;
            let text = std::fs::read_to_string(&loc.file).ok()?;
            let title = s.title();
            if title.is_empty() {
                return None;
            }
            let lines: Vec<&str> = text.lines().collect();
            let at = (loc.line.saturating_sub(1)..lines.len())
                .take_while(|&i| i == loc.line.saturating_sub(1) || lines[i] != "---")
                .find(|&i| lines[i].starts_with('#') && lines[i].contains(title.as_str()))?;
            // only if that heading is written once in the deck's chapters
            let once = text.matches(lines[at]).count() == 1;
            once.then(|| (s.index, loc.file.clone(), at))
        })
        .unwrap();
    let original = std::fs::read_to_string(&file).unwrap();
    let edited = |k: usize| -> String {
        let mut out = String::with_capacity(original.len() + 16);
        for (i, l) in original.split_inclusive('\n').enumerate() {
            if i == line {
                let body = l.trim_end_matches('\n');
                out.push_str(&format!("{body} EDIT-{k}\n"));
            } else {
                out.push_str(l);
            }
        }
        out
    };
    let bin = std::env::var("LABDECK_BENCH_BIN")
        .unwrap_or_else(|_| env!("CARGO_BIN_EXE_labdeck").to_string());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    struct Child(std::process::Child);
    impl Drop for Child {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let _server = Child(
        std::process::Command::new(&bin)
            .arg("serve")
            .arg(&copy)
            .arg("--port")
            .arg(port.to_string())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap(),
    );
    let url = format!("http://127.0.0.1:{port}/");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "labdeck serve did not start"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    // The probe: in every document of this tab, before the page's scripts.
    b.cdp(
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": "(function () {
            function frame() {
              var v = document.querySelector('.remark-slides-area > .remark-visible');
              var m = v && /EDIT-(\\d+)/.exec(v.textContent);
              if (m) {
                var seen = JSON.parse(sessionStorage.getItem('labdeckSeen') || '{}');
                if (!(m[1] in seen)) {
                  seen[m[1]] = performance.timeOrigin + performance.now();
                  sessionStorage.setItem('labdeckSeen', JSON.stringify(seen));
                }
              }
              requestAnimationFrame(frame);
            }
            requestAnimationFrame(frame);
          })();" }),
    )
    .await;
    b.open(&format!("{url}#{}", index + 1)).await;
    assert_eq!(b.visible().await, index as i64);
    let runs: usize = std::env::var("LABDECK_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(9);
    let mut times = Vec::new();
    for k in 0..=runs {
        // the page listens (a reloaded page has its event stream open again)
        b.wait_for("window.labdeck && labdeck.current() >= 0", "page ready")
            .await;
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let text = edited(k);
        let t0 = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs_f64()
            * 1000.0;
        std::fs::write(&file, text).unwrap();
        b.wait_for(
            &format!(
                "JSON.parse(sessionStorage.getItem('labdeckSeen') || '{{}}')['{k}'] !== undefined"
            ),
            "edited slide painted",
        )
        .await;
        let seen = b
            .eval(&format!(
                "return JSON.parse(sessionStorage.getItem('labdeckSeen'))['{k}'];"
            ))
            .await
            .as_f64()
            .unwrap();
        assert_eq!(b.visible().await, index as i64, "same slide after the edit");
        if k > 0 {
            times.push(seen - t0);
        }
    }
    times.sort_by(|a, b| a.partial_cmp(b).unwrap());
    println!(
        "BENCH serve {}: slide {} of {}, {}:{}\nBENCH serve: save to edited slide painted, median {:.0} ms over {runs} edits (min {:.0}, max {:.0})",
        bin,
        index + 1,
        deck.slides.len(),
        file.strip_prefix(work.path()).unwrap_or(&file).display(),
        line + 1,
        times[times.len() / 2],
        times[0],
        times[times.len() - 1],
    );
    b.close().await;
}

/// `#%` (a malformed escape) opens the deck instead of throwing URIError;
/// Enter on a focused link follows it.
async fn malformed_hash_and_enter_on_a_link() {
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start("malformed_hash_and_enter_on_a_link").await;
    let deck = fixture_deck(BIG);
    b.open(&format!("{}#%", deck.url)).await;
    assert_eq!(b.visible().await, 0);
    assert_no_console_errors(&b).await;
    let focused = b
        .eval(
            "var a = document.createElement('a'); a.href = '#toc'; a.textContent = 'go';\
             document.querySelector('.remark-visible .remark-slide-content').appendChild(a);\
             a.focus(); return document.activeElement === a;",
        )
        .await;
    assert_eq!(focused, serde_json::Value::Bool(true));
    for kind in ["keyDown", "char", "keyUp"] {
        b.cdp(
            "Input.dispatchKeyEvent",
            serde_json::json!({"type": kind, "key": "Enter", "code": "Enter",
                "windowsVirtualKeyCode": 13, "text": "\r"}),
        )
        .await;
    }
    b.wait_for(
        "labdeck.current() === 41",
        "Enter followed the link to #toc",
    )
    .await;
    assert_no_console_errors(&b).await;
    b.close().await;
}

fn main() {
    let mut tests = tests![
        Nothing sync tests_are_registered,
        Browser async keys_move_the_visible_slide_and_the_url_follows,
        Browser async hash_number_and_name_land_on_the_right_slide,
        Browser async presenter_mode_shows_notes_next_slide_and_timer,
        Browser async clone_window_follows_the_presenter_and_back,
        Browser async help_blackout_and_goto_overlays,
        Browser async first_slide_written_in_the_page_is_adopted_once,
        Browser async big_deck_materialises_only_slides_near_the_visible_one,
        Chromium sync print_gives_one_16_9_page_per_slide_with_steps_collapsed,
        Browser async serve_reloads_the_page_on_the_same_slide_after_an_edit,
        ByHand async bench_first_slide_and_heap,
        Browser async sample_deck_end_to_end,
        Browser async largest_corpus_deck_end_to_end,
        ByHand async screenshots,
        Browser async a_deck_with_its_own_theme_keeps_its_look_and_ratio,
        Browser async navigation_option_turns_inputs_on_and_off,
        ByHand async theme_screenshot,
        Browser async printing_puts_every_slide_in_place,
        Browser async packed_slides_show_what_plain_slides_show,
        Browser async regression_packed_slides_that_do_not_unpack_say_so,
        Browser async touch_swipes_and_taps_move_slides_and_f_goes_full_screen,
        Browser async tiny_decks_do_not_break_the_runtime,
        ByHand async bench_serve_edit_to_paint,
        Browser async malformed_hash_and_enter_on_a_link,
    ];
    tests.extend(harness::within("board", board::tests()));
    harness::run("browser", tests)
}

/// No test of this binary is marked for libtest's harness, which does not
/// run here: each is in a list (`main`, `board::tests`).
fn tests_are_registered() {
    let left = harness::unregistered_tests(&["tests/browser.rs", "tests/browser/board.rs"]);
    assert!(
        left.is_empty(),
        "never run (harness = false): list them in main or board::tests instead:\n{}",
        left.join("\n")
    );
}
