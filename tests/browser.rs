//! End-to-end tests of the deck runtime in headless Chromium.
//! Skipped (with a message) when Chromium is not installed, unless
//! LABDECK_REQUIRE_BROWSER=1.

mod support;

use fantoccini::key::Key;
use serde_json::json;
use support::browser::{self, Browser, ONE_AT_A_TIME};
use support::fixture;

const BIG: usize = 2600;

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

#[tokio::test]
async fn keys_move_the_visible_slide_and_the_url_follows() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("keys_move_the_visible_slide").await else {
        return;
    };
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

#[tokio::test]
async fn hash_number_and_name_land_on_the_right_slide() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("hash_number_and_name").await else {
        return;
    };
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

#[tokio::test]
async fn presenter_mode_shows_notes_next_slide_and_timer() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("presenter_mode").await else {
        return;
    };
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

#[tokio::test]
async fn clone_window_follows_the_presenter_and_back() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("clone_window").await else {
        return;
    };
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

#[tokio::test]
async fn help_blackout_and_goto_overlays() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("overlays").await else {
        return;
    };
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

#[tokio::test]
async fn big_deck_materialises_only_slides_near_the_visible_one() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("big_deck_lazy").await else {
        return;
    };
    let deck = fixture_deck(BIG);
    b.open(&format!("{}#500", deck.url)).await;
    let live =
        "return document.querySelectorAll('.remark-slide-content:not(:has(> template))').length;";
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
    // document (template content does not load); those that exist did load.
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

#[test]
fn print_gives_one_16_9_page_per_slide_with_steps_collapsed() {
    if !support::browser::chromium_installed("print") {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let page = fixture::render(dir.path(), 60);
    let out = dir.path().join("deck.pdf");
    labdeck::pdf::print(&page, &out, false).unwrap();
    let pdf = std::fs::read(&out).unwrap();
    // 60 slides, of which 20 are `--` steps continued by the next slide
    assert_eq!(support::browser::pdf_pages(&pdf), 40);
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
    assert_eq!(
        support::browser::pdf_pages(&std::fs::read(&out).unwrap()),
        70
    );
    // nothing left behind but the PDF
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["deck.html", "deck.pdf", "images"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_reloads_the_page_on_the_same_slide_after_an_edit() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("serve_reload").await else {
        return;
    };
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
    support::served::write(&s.chapter(), &support::served::chapter_text("edited"));
    b.wait_for(
        "window.labdeckTestMarker === undefined && window.labdeck && document.querySelector('.remark-visible h1')",
        "page reloaded",
    )
    .await;
    assert_eq!(b.visible().await, 5, "same slide after reload");
    let h1 = b
        .eval("return document.querySelector('.remark-visible h1').textContent;")
        .await;
    assert_eq!(h1, "Slide 6 edited");
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

/// Benchmark (run by scripts/bench-browser.sh): time to first visible slide
/// and JS heap of a big deck page in headless Chromium. The page is
/// LABDECK_BENCH_PAGE, or the 2,600-slide fixture.
#[tokio::test]
#[ignore]
async fn bench_first_slide_and_heap() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start_with("bench", &["--js-flags=--expose-gc"]).await else {
        return;
    };
    let fixture;
    let url = match std::env::var("LABDECK_BENCH_PAGE") {
        Ok(p) => browser::file_url(&std::fs::canonicalize(p).unwrap()),
        Err(_) => {
            fixture = fixture_deck(BIG);
            fixture.url.clone()
        }
    };
    let runs: usize = std::env::var("LABDECK_BENCH_RUNS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(5);
    let measure = "
        const nav = performance.getEntriesByType('navigation')[0];
        const first = performance.getEntriesByName('labdeck-first-slide')[0].startTime;
        const fcp = performance.getEntriesByName('first-contentful-paint')[0].startTime;
        if (window.gc) gc();
        return { first, fcp, load: nav.loadEventEnd, parsed: nav.domInteractive,
                 heap: performance.memory.usedJSHeapSize, slides: labdeck.count(),
                 nodes: document.getElementsByTagName('*').length,
                 bytes: nav.decodedBodySize };";
    let mut results = Vec::new();
    for run in 0..=runs {
        // about:blank between runs so each load is a fresh navigation
        b.client.goto("about:blank").await.unwrap();
        b.open(&format!("{url}#1")).await;
        b.wait_for(
            "performance.getEntriesByName('first-contentful-paint').length > 0",
            "first contentful paint",
        )
        .await;
        let m = b.eval(measure).await;
        if run > 0 {
            // run 0 warms the file cache
            results.push(m);
        }
    }
    let median = |key: &str| {
        let mut v: Vec<f64> = results.iter().map(|m| m[key].as_f64().unwrap()).collect();
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    };
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
    println!(
        "BENCH slide_change_ms={:.2} (mean of 200, with layout)",
        step_ms.as_f64().unwrap()
    );
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
    println!(
        "BENCH devtools: JSHeapUsedSize_mb={:.1} JSHeapTotalSize_mb={:.1} Nodes={} (template content included)",
        metric("JSHeapUsedSize") / 1048576.0,
        metric("JSHeapTotalSize") / 1048576.0,
        metric("Nodes"),
    );
    let errors = b.console_errors().await;
    let remote = errors
        .iter()
        .filter(|e| e.starts_with("http") && e.contains("Failed to load resource"))
        .count();
    println!(
        "BENCH console errors: {} ({remote} are remote images unavailable offline)",
        errors.len()
    );
    let r = &results[0];
    println!(
        "BENCH page={url}\nBENCH slides={} html_bytes={} dom_elements={}\nBENCH median of {runs}: first_slide_ms={:.0} first_contentful_paint_ms={:.0} dom_interactive_ms={:.0} load_ms={:.0}\nBENCH js_heap_mb={:.1} js_heap_after_300_slides_mb={:.1}",
        r["slides"],
        r["bytes"],
        r["nodes"],
        median("first"),
        median("fcp"),
        median("parsed"),
        median("load"),
        median("heap") / 1048576.0,
        heap_after.as_f64().unwrap() / 1048576.0,
    );
    b.close().await;
}

fn repo() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Build a deck with the compiler into a temporary folder; returns the page's file:// URL.
fn build_deck(manifest: &std::path::Path) -> (tempfile::TempDir, String) {
    let out = tempfile::tempdir().unwrap();
    let builder = labdeck::build::Builder::new(labdeck::build::BuildOptions {
        out_dir: out.path().to_path_buf(),
        ..Default::default()
    })
    .unwrap();
    let built = builder.build(manifest).unwrap();
    let url = browser::file_url(&built.output);
    (out, url)
}

/// The same walk through any real deck: keys, #N, #name, number+Enter,
/// presenter notes matching the slide's own, a clone that follows.
async fn exercise_real_deck(b: &Browser, url: &str) {
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
        .eval("const c = Array.from(document.querySelector('.remark-slides-area').children);
               const i = c.findIndex((s, i) => i > 0 && s.querySelector('template.labdeck-notes') && s.querySelector('template.labdeck-notes').content.textContent.trim());
               return [i, i < 0 ? '' : c[i].querySelector('template.labdeck-notes').content.textContent.replace(/\\s+/g, ' ').trim()];")
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

#[tokio::test]
async fn sample_deck_end_to_end() {
    let manifest = std::env::var("LABDECK_SAMPLE_MANIFEST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("slides/labdeck-sample.yml"));
    if !manifest.exists() {
        eprintln!(
            "SKIP sample_deck_end_to_end: {} not in this tree yet",
            manifest.display()
        );
        return;
    }
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("sample_deck").await else {
        return;
    };
    let (_out, url) = build_deck(&manifest);
    exercise_real_deck(&b, &url).await;
    b.close().await;
}

#[tokio::test]
async fn largest_corpus_deck_end_to_end() {
    let manifest =
        repo().join("../shared/corpus/container.training-2021/slides/kube-selfpaced.yml");
    assert!(
        manifest.exists(),
        "corpus not found at {}",
        manifest.display()
    );
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("kube_selfpaced").await else {
        return;
    };
    let (_out, url) = build_deck(&manifest);
    exercise_real_deck(&b, &url).await;
    b.close().await;
}

/// Screenshots for the README (run by scripts/screenshots.sh): the deck
/// LABDECK_SCREENSHOT_MANIFEST (default slides/labdeck-sample.yml) on its
/// first slide with an exercise and code, normal and presenter mode, written
/// to LABDECK_SCREENSHOT_DIR (default docs/).
#[tokio::test]
#[ignore]
async fn screenshots() {
    let manifest = std::env::var("LABDECK_SCREENSHOT_MANIFEST")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("slides/labdeck-sample.yml"));
    let out = std::env::var("LABDECK_SCREENSHOT_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo().join("docs"));
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("screenshots").await else {
        panic!("screenshots need chromium")
    };
    let (_dir, url) = build_deck(&manifest);
    // a 16:9 viewport whatever room the headless window leaves
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    b.open(&url).await;
    let pick = b
        .eval(
            "const c = Array.from(document.querySelector('.remark-slides-area').children);
             const has = (s, sel) => s.querySelector('template') && s.querySelector('template').content.querySelector(sel);
             const notes = s => s.querySelector('template.labdeck-notes');
             let i = c.findIndex(s => !s.classList.contains('labdeck-step') && has(s, '.exercise pre, .lab pre') && notes(s));
             if (i < 0) i = c.findIndex(s => !s.classList.contains('labdeck-step') && has(s, '.exercise pre, .lab pre'));
             if (i < 0) i = c.findIndex(s => has(s, 'pre'));
             return Math.max(i, 0);",
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
        .eval(
            "const c = Array.from(document.querySelector('.remark-slides-area').children);
             const has = (s, sel) => s.querySelector('template') && s.querySelector('template').content.querySelector(sel);
             const notes = s => s.querySelector('template.labdeck-notes');
             let i = c.findIndex(s => notes(s) && has(s, 'pre'));
             if (i < 0) i = c.findIndex(s => notes(s));
             return i;",
        )
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

#[tokio::test]
async fn printing_puts_every_slide_in_place() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("print_materialises").await else {
        return;
    };
    let deck = fixture_deck(300);
    let deferred = "return document.querySelectorAll('.remark-slide-content > template').length;";
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

#[tokio::test]
async fn touch_swipes_and_taps_move_slides_and_f_goes_full_screen() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("touch").await else {
        return;
    };
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

#[tokio::test]
async fn tiny_decks_do_not_break_the_runtime() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("tiny_decks").await else {
        return;
    };
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

/// `#%` (a malformed escape) opens the deck instead of throwing URIError;
/// Enter on a focused link follows it.
#[tokio::test]
async fn malformed_hash_and_enter_on_a_link() {
    let _one = ONE_AT_A_TIME.lock().await;
    let Some(b) = browser::start("malformed_hash_and_enter_on_a_link").await else {
        return;
    };
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
