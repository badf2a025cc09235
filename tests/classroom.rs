//! The classroom, end to end with the real binary: a student checks an
//! exercise from its slide in headless Chromium against the loopback fake
//! API server (`serve --kubeconfig`), and an instructor watches a class of
//! fake clusters converge on the live board (`grade --serve`).
//!
//! Own harness (tests/support/harness.rs, `harness = false` in Cargo.toml):
//! without Chromium or chromedriver the tests that need them are reported
//! as *ignored*, never as passed; with LABDECK_REQUIRE_BROWSER=1 they fail.
//! A test is an `async fn` (no `#[tokio::test]`) listed once in `main`.

mod support;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use support::apiserver::FakeApiServer;
use support::browser;
use support::browser::keys::{ENTER, ESCAPE, RIGHT, SPACE};
use support::fixtures::*;
use support::harness::{self, tests};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

const DECK: &str = "slides/labdeck-sample.yml";
const ACTIVE: &str = "labeldemo-5b7c9d8f6d-p2rk9";
const REPLACEMENT: &str = "labeldemo-5b7c9d8f6d-lr62s";

/// `labdeck ARGS`, running until dropped; returns it with the first
/// `http://` URL it prints.
async fn spawn(args: &[&str]) -> (Child, String) {
    support::served::spawn_in(Path::new(env!("CARGO_MANIFEST_DIR")), args).await
}

/// `host:port` of a URL such as `http://127.0.0.1:41234/?token=...`.
fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// One raw HTTP/1.1 request (so tests can send any Host and Origin).
async fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: 0\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    // A check's stream stays open while it watches: the status line is enough.
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

fn created(fake: &FakeApiServer) {
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod(ACTIVE));
}

fn relabelled(fake: &FakeApiServer) {
    fake.apply(orphan(label(pod(ACTIVE), "isactive", "no")));
    fake.apply(pod(REPLACEMENT));
}

async fn screenshot(b: &browser::Browser, name: &str) {
    // `scripts/screenshots.sh` sets this to regenerate the README's pictures.
    if let Ok(dir) = std::env::var("LABDECK_SCREENSHOT_DIR") {
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join(name), png).unwrap();
    }
}

async fn a_student_checks_an_exercise_from_its_slide_and_sees_it_pass_when_done() {
    let fake = Arc::new(FakeApiServer::start().await);
    created(&fake);
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let (_server, url) = spawn(&[
        "serve",
        DECK,
        "--port",
        "0",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ])
    .await;
    let b = browser::start("classroom_student").await;
    b.client.set_window_size(1280, 800).await.unwrap();
    b.open(&url).await;
    b.wait_for(
        "window.labdeckClassroom && document.querySelector('.labdeck-check')",
        "the classroom script",
    )
    .await;
    // The exercise's slide, as the server numbers it.
    let slide = b
        .eval(
            "return fetch('/_labdeck/exercises').then(r => r.json())
               .then(l => l.find(e => e.id === 'labeldemo-relabel').slide);",
        )
        .await
        .as_i64()
        .unwrap();
    b.eval(&format!("window.labdeck.go({}); return 1;", slide - 1))
        .await;
    b.wait_for(
        "!document.querySelector('.labdeck-check').hidden",
        "the check control on the relabel slide",
    )
    .await;
    // The first slide has no exercise: no control there.
    b.eval("window.labdeck.go(0); return 1;").await;
    b.wait_for(
        "document.querySelector('.labdeck-check').hidden",
        "no check control on the title slide",
    )
    .await;
    b.eval(&format!("window.labdeck.go({}); return 1;", slide - 1))
        .await;
    b.wait_for(
        "!document.querySelector('.labdeck-check').hidden",
        "control back",
    )
    .await;

    // Press the key: the relabel has not been done, so it fails with why,
    // and keeps watching.
    b.key("x").await;
    let out = "document.querySelector('.labdeck-check-out').textContent";
    b.wait_for(&format!("{out}.includes('not yet')"), "the diagnosis")
        .await;
    let text = b.eval(&format!("return {out};")).await;
    let text = text.as_str().unwrap();
    assert!(text.contains("waiting"), "{text}");
    assert!(
        text.contains(
            "expected 1 pod labelled isactive=no, with status Running, with no owner: found none"
        ),
        "{text}"
    );
    assert!(text.contains("hint: Patch the pod"), "{text}");
    screenshot(&b, "classroom-student.png").await;

    // The student relabels: the slide shows the pass without another press.
    relabelled(&fake);
    b.wait_for(&format!("{out}.includes('passed')"), "the pass")
        .await;
    let text = b.eval(&format!("return {out};")).await;
    assert!(!text.as_str().unwrap().contains("not yet"), "{text}");

    // The progress panel lists it as passed, and so it stays after a reload.
    let passed_in_panel = "document.querySelector('.labdeck-progress.open li[data-exercise=\"labeldemo-relabel\"].labdeck-state-pass')";
    b.key("e").await;
    b.wait_for(passed_in_panel, "relabel passed in the progress panel")
        .await;
    let listed = b
        .eval("return document.querySelectorAll('.labdeck-progress li').length;")
        .await;
    let checkable = b
        .eval(
            "return fetch('/_labdeck/exercises').then(r => r.json()).then(l => l.filter(e => e.checked).length);",
        )
        .await;
    assert_eq!(listed, checkable, "every checkable exercise is listed");
    assert!(listed.as_i64().unwrap() >= 10, "{listed}");
    screenshot(&b, "classroom-progress.png").await;
    b.client.refresh().await.unwrap();
    b.wait_for("window.labdeckClassroom", "the classroom script again")
        .await;
    b.wait_for(
        "document.querySelectorAll('.labdeck-progress li').length === 0",
        "panel closed after reload",
    )
    .await;
    b.key("e").await;
    b.wait_for(passed_in_panel, "relabel still passed after a reload")
        .await;
    // Clicking an exercise in the panel goes to its slide.
    b.eval("document.querySelector('.labdeck-progress li[data-exercise=\"labeldemo-create\"] button').click(); return 1;")
        .await;
    let create_slide = b
        .eval(
            "return fetch('/_labdeck/exercises').then(r => r.json())
               .then(l => l.find(e => e.id === 'labeldemo-create').slide);",
        )
        .await
        .as_i64()
        .unwrap();
    b.wait_for(
        &format!("window.labdeck.current() === {}", create_slide - 1),
        "the panel jumps to the exercise",
    )
    .await;
    assert!(b.console_errors().await.is_empty());
    b.close().await;
    for r in fake.requests() {
        assert!(r.starts_with("GET "), "checks only read: {r}");
    }
}

/// A deck for the student's keyboard, layout and words: a title slide; a
/// tall slide with one exercise (`solo`, waits for the config map `one`);
/// a slide with two exercises (`pair-a`, `pair-b`, no waiting; `pair-b`
/// has a CEL expression); an exercise without a check; a last slide.
fn student_deck(dir: &Path) -> std::path::PathBuf {
    let exercise = |what: &str, check: &str| {
        format!(
            ".exercise[\n- {what}:\n  ```bash\n  kubectl get all\n  ```\n]\n\n<!-- check\n{check}-->\n"
        )
    };
    let mut tall = String::new();
    for i in 1..=9 {
        tall.push_str(&format!("- line {i} of the solo slide\n"));
    }
    let chapter = format!(
        "# Start\n\nNothing to check here.\n---\nname: solo\n# Solo\n\n{tall}\n{}\n- the last line of the solo slide\n---\n# Pair\n\n{}\n{}\n---\n# Look only\n\n.exercise[\n- Look:\n  ```bash\n  kubectl get pods\n  ```\n]\n---\n# End\n",
        exercise(
            "Create it",
            "id: solo\ntimeout: 20s\nhint: Create the config map named one\nexpect:\n  - kind: configmaps\n    name: one\n"
        ),
        exercise(
            "First",
            "id: pair-a\ntimeout: 0s\nexpect:\n  - kind: configmaps\n    name: a\n"
        ),
        exercise(
            "Second",
            "id: pair-b\ntimeout: 0s\nexpect:\n  - kind: deployments\n    name: labeldemo\n    expr: self.spec.template.spec.containers.exists(c, c.image.startsWith('nginx'))\n"
        ),
    );
    std::fs::write(dir.join("chapter.md"), chapter).unwrap();
    let manifest = dir.join("deck.yml");
    std::fs::write(&manifest, "title: Student deck\ncontent:\n- chapter.md\n").unwrap();
    manifest
}

fn config_map(name: &str) -> Value {
    serde_json::json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": "default"},
        "data": {"k": "v"}
    })
}

/// WCAG 2.1 contrast of an element's text against the first opaque
/// background behind it (1.4.3 wants >= 4.5 for normal text).
const CONTRAST_JS: &str = "
  function rgb(c) { const m = c.match(/[\\d.]+/g).map(Number); return m.length > 3 && m[3] === 0 ? null : m.slice(0, 3); }
  function lum(c) { const [r, g, b] = c.map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }); return 0.2126 * r + 0.7152 * g + 0.0722 * b; }
  function contrast(el) {
    const fg = rgb(getComputedStyle(el).color);
    let bg = null, at = el;
    while (at && !(bg = rgb(getComputedStyle(at).backgroundColor))) at = at.parentElement;
    bg = bg || [255, 255, 255];
    const a = lum(fg), b = lum(bg);
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }";

async fn a_student_checks_with_the_keyboard_only_and_hears_the_verdict() {
    let _one = browser::ONE_AT_A_TIME.lock().await;
    let fake = Arc::new(FakeApiServer::start().await);
    created(&fake);
    let dir = tempfile::tempdir().unwrap();
    let deck = student_deck(dir.path());
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let (_server, url) = spawn(&[
        "serve",
        deck.to_str().unwrap(),
        "--port",
        "0",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ])
    .await;
    let b = browser::start("classroom_keyboard").await;
    b.open(&url).await;
    b.wait_for(
        "window.labdeckClassroom && document.querySelector('.labdeck-status')",
        "the classroom script",
    )
    .await;
    // Every check the page asks for, by id.
    b.eval(
        "window.__checks = []; const f = window.fetch;
         window.fetch = function (u) { if (String(u).includes('/_labdeck/check/')) window.__checks.push(decodeURIComponent(String(u).split('/').pop())); return f.apply(this, arguments); };
         return 1;",
    )
    .await;
    b.press(RIGHT).await;
    b.wait_for(
        "window.labdeck.current() === 1 && !document.querySelector('.labdeck-check').hidden",
        "the solo slide with its Check button",
    )
    .await;

    // Tab reaches the Check button; Enter presses it and the slide stays.
    b.tab_to(".labdeck-check button[data-exercise=solo]").await;
    b.eval("window.__button = document.activeElement; return 1;")
        .await;
    b.press(ENTER).await;
    let out = "document.querySelector('.labdeck-check-out').textContent";
    b.wait_for(&format!("{out}.includes('not yet')"), "the diagnosis")
        .await;
    assert_eq!(b.eval("return window.labdeck.current();").await, 1);
    assert_eq!(
        b.eval("return window.__checks;").await,
        serde_json::json!(["solo"])
    );
    // Focus stays on the button through a waiting check (it is updated in
    // place every second, never replaced).
    b.wait_for(
        &format!("/waiting\u{2026} [2-9] s/.test({out})"),
        "two ticks of the waiting clock",
    )
    .await;
    assert_eq!(
        b.eval("return document.activeElement === window.__button && document.body.contains(window.__button);")
            .await,
        Value::Bool(true),
        "focus stayed on the Check button"
    );
    let text = b.eval(&format!("return {out};")).await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("expected at least 1 config map named \"one\": found none"),
        "{text}"
    );
    assert!(
        text.contains("hint: Create the config map named one"),
        "{text}"
    );
    // Focus is visible (2.4.7) and every text of the bar is >= 4.5:1 (1.4.3).
    let ring = b
        .eval("const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)];")
        .await;
    assert_ne!(ring[0], "none", "a visible focus ring: {ring}");
    assert!(ring[1].as_f64().unwrap() >= 2.0, "{ring}");
    let worst = b
        .eval(&format!(
            "{CONTRAST_JS}
             return Math.min(...[...document.querySelectorAll('.labdeck-check button, .labdeck-check-out > div')].map(contrast));"
        ))
        .await;
    assert!(worst.as_f64().unwrap() >= 4.5, "contrast {worst}");

    // The student does it: the live region announces the verdict.
    fake.apply(config_map("one"));
    b.wait_for(&format!("{out}.includes('passed')"), "the pass")
        .await;
    let status = "document.querySelector('[role=status][aria-live=polite]').textContent";
    b.wait_for(
        &format!("{status} === 'Solo: passed'"),
        "the verdict announced",
    )
    .await;
    assert_eq!(
        b.eval("return document.activeElement === window.__button;")
            .await,
        Value::Bool(true),
        "focus still on the button after the verdict"
    );

    // The two-exercise slide: `x` runs both.
    b.press(RIGHT).await;
    b.wait_for(
        "window.labdeck.current() === 2 && document.querySelectorAll('.labdeck-check button').length === 2",
        "two Check buttons on the pair slide",
    )
    .await;
    b.press("x").await;
    b.wait_for(
        "['pair-a', 'pair-b'].every(id => (window.labdeckClassroom.progress()[id] || {}).state === 'fail')",
        "both checks of the slide",
    )
    .await;
    assert_eq!(
        b.eval("return window.__checks;").await,
        serde_json::json!(["solo", "pair-a", "pair-b"])
    );
    // The diagnosis is in words: no raw CEL, no "1 deployments".
    let text = b.eval(&format!("return {out};")).await;
    let text = text.as_str().unwrap();
    assert!(
        text.contains("pair-b: \u{2718} not yet\nexpected at least 1 deployment named \"labeldemo\", where spec.template.spec.containers has an item where image starts with \"nginx\": found 1, none as expected"),
        "{text}"
    );
    assert!(
        text.contains("  labeldemo: not true that spec.template.spec.containers"),
        "{text}"
    );
    assert!(!text.contains("self."), "{text}");
    assert!(!text.contains("deployments"), "{text}");
    b.wait_for(
        &format!("{status}.startsWith('Second') || {status}.startsWith('Pair')"),
        "a verdict of the pair announced",
    )
    .await;
    // Space on a focused Check button presses it too, and the slide stays.
    b.tab_to(".labdeck-check button[data-exercise=pair-a]")
        .await;
    b.press(SPACE).await;
    b.wait_for("window.__checks.length === 4", "Space ran the check")
        .await;
    assert_eq!(b.eval("return window.__checks[3];").await, "pair-a");
    assert_eq!(b.eval("return window.labdeck.current();").await, 2);
    assert!(b.console_errors().await.is_empty());
    b.close().await;
}

/// Whether two client rectangles overlap (touching edges do not).
const INTERSECTS_JS: &str = "
  function box(el) { return el.getBoundingClientRect(); }
  function overlap(a, b) { return a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom; }";

async fn the_check_bar_covers_no_slide_nor_preview_and_the_panel_lists_checkable_exercises() {
    let _one = browser::ONE_AT_A_TIME.lock().await;
    let fake = Arc::new(FakeApiServer::start().await);
    created(&fake);
    let dir = tempfile::tempdir().unwrap();
    let deck = student_deck(dir.path());
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let (_server, url) = spawn(&[
        "serve",
        deck.to_str().unwrap(),
        "--port",
        "0",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ])
    .await;
    let b = browser::start("classroom_layout").await;
    // 16:9 exactly: a slide scaled to the window leaves no margin at all.
    b.client.set_window_size(1280, 720).await.unwrap();
    b.open(&format!("{url}#solo")).await;
    b.wait_for(
        "window.labdeckClassroom && !document.querySelector('.labdeck-check').hidden",
        "the Check bar on the solo slide",
    )
    .await;
    // A failing check makes the bar tall (diagnosis and hint).
    b.press("x").await;
    b.wait_for(
        "document.querySelector('.labdeck-check-out').textContent.includes('hint:')",
        "the diagnosis",
    )
    .await;
    let clear = |presenter: bool| {
        format!(
            "{INTERSECTS_JS}
             const bar = box(document.querySelector('.labdeck-check'));
             const slide = document.querySelector('.remark-slides-area > .remark-visible .remark-slide-scaler');
             const items = [...slide.querySelectorAll('li')];
             const last = items[items.length - 1];
             const seen = [slide, last].concat({} ? [document.querySelector('.remark-preview-area .remark-slide-scaler')] : []);
             return {{ bar: bar.height, last: last.textContent, overlaps: seen.map(el => overlap(box(el), bar)),
                      onScreen: box(slide).bottom <= innerHeight && box(slide).top >= 0 }};",
            presenter
        )
    };
    // The runtime rescales on the bar's resize: wait for the layout to settle.
    b.wait_for(
        &format!(
            "(function () {{ {} }})().overlaps.every(o => !o)",
            clear(false)
        ),
        "the slide above the bar",
    )
    .await;
    let seen = b.eval(&clear(false)).await;
    assert_eq!(seen["last"], "the last line of the solo slide", "{seen}");
    assert!(seen["bar"].as_f64().unwrap() > 60.0, "a tall bar: {seen}");
    assert_eq!(
        seen["overlaps"],
        serde_json::json!([false, false]),
        "{seen}"
    );
    assert_eq!(seen["onScreen"], Value::Bool(true), "{seen}");
    // Presenter mode: neither the slide nor the next-slide preview.
    b.press("p").await;
    b.wait_for(
        &format!("document.body.classList.contains('remark-presenter-mode') && (function () {{ {} }})().overlaps.every(o => !o)", clear(true)),
        "presenter mode: slide and preview clear of the bar",
    )
    .await;
    let seen = b.eval(&clear(true)).await;
    assert_eq!(
        seen["overlaps"],
        serde_json::json!([false, false, false]),
        "{seen}"
    );
    screenshot(&b, "classroom-presenter.png").await;
    b.press("p").await;

    // The progress panel: only the exercises with a check, each reachable
    // with Tab and pressed with Enter; the rest on demand.
    b.press("e").await;
    b.wait_for(
        "document.querySelector('.labdeck-progress.open') && document.activeElement.closest('.labdeck-progress')",
        "the panel open, focus in it",
    )
    .await;
    let listed = "[...document.querySelectorAll('.labdeck-progress li')].map(li => li.getAttribute('data-exercise'))";
    assert_eq!(
        b.eval(&format!("return {listed};")).await,
        serde_json::json!(["solo", "pair-a", "pair-b"])
    );
    b.tab_to(".labdeck-progress-all").await;
    b.press(ENTER).await;
    b.wait_for(&format!("{listed}.length === 4"), "all exercises on demand")
        .await;
    let all = b.eval(&format!("return {listed};")).await;
    assert_eq!(all[3], "chapter-4", "{all}");
    let worst = b
        .eval(&format!(
            "{CONTRAST_JS} return Math.min(...[...document.querySelectorAll('.labdeck-progress button, .labdeck-progress h2')].map(contrast));"
        ))
        .await;
    assert!(worst.as_f64().unwrap() >= 4.5, "contrast {worst}");
    // Tab to the pair-b entry, Enter: its slide, focus on its Check button.
    b.tab_to(".labdeck-progress button[data-exercise=pair-b]")
        .await;
    b.press(ENTER).await;
    b.wait_for(
        "window.labdeck.current() === 2 && !document.querySelector('.labdeck-progress.open')",
        "the entry went to its slide",
    )
    .await;
    assert_eq!(
        b.eval("return document.activeElement.getAttribute('data-exercise') + ' ' + document.activeElement.closest('.labdeck-check').className;")
            .await,
        "pair-b labdeck-check"
    );
    // Esc closes the panel and gives focus back (no trap).
    b.press("e").await;
    b.wait_for(
        "document.querySelector('.labdeck-progress.open')",
        "open again",
    )
    .await;
    b.press(ESCAPE).await;
    b.wait_for(
        "!document.querySelector('.labdeck-progress.open') && document.activeElement.getAttribute('data-exercise') === 'pair-b'",
        "Esc closed it, focus back",
    )
    .await;
    assert!(b.console_errors().await.is_empty());
    b.close().await;
}

async fn the_check_endpoint_refuses_other_origins_hosts_and_ids() {
    let fake = FakeApiServer::start().await;
    fake.require_token("s3cr3t-student-token");
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "s3cr3t-student-token", "default");
    let (_server, url) = spawn(&[
        "serve",
        DECK,
        "--port",
        "0",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ])
    .await;
    let addr = authority(&url);
    let own_origin = format!("http://{addr}");
    let check = "/_labdeck/check/labeldemo-create";

    // Its own page may ask.
    let (code, body) = http(
        &addr,
        "POST",
        check,
        &[("Host", &addr), ("Origin", &own_origin)],
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"event\":\"looking\""), "{body}");
    // Another site's page may not (a tab open on evil.example).
    let (code, body) = http(
        &addr,
        "POST",
        check,
        &[("Host", &addr), ("Origin", "http://evil.example")],
    )
    .await;
    assert_eq!(code, 403, "{body}");
    assert!(
        body.contains("Origin \"http://evil.example\" is not this server"),
        "{body}"
    );
    let (code, _) = http(
        &addr,
        "POST",
        check,
        &[("Host", &addr), ("Sec-Fetch-Site", "cross-site")],
    )
    .await;
    assert_eq!(code, 403);
    // DNS rebinding: a foreign name resolved to 127.0.0.1.
    let port = addr.rsplit(':').next().unwrap();
    let rebound = format!("rebind.example:{port}");
    let (code, body) = http(&addr, "POST", check, &[("Host", &rebound)]).await;
    assert_eq!(code, 403, "{body}");
    assert!(body.contains("is not this server"), "{body}");
    let (code, _) = http(&addr, "GET", "/_labdeck/exercises", &[("Host", &rebound)]).await;
    assert_eq!(code, 403);
    // Only exercises of the deck, by id; nothing else reaches the cluster.
    let (code, body) = http(
        &addr,
        "POST",
        "/_labdeck/check/no-such-exercise",
        &[("Host", &addr)],
    )
    .await;
    assert_eq!(code, 404, "{body}");
    assert!(body.contains("no exercise \"no-such-exercise\""), "{body}");
    let (code, _) = http(&addr, "GET", check, &[("Host", &addr)]).await;
    assert_eq!(code, 405, "a check is started by POST only");
    // The kubeconfig never reaches the page.
    let (code, page) = http(&addr, "GET", "/", &[("Host", &addr)]).await;
    assert_eq!(code, 200);
    assert!(
        page.contains("labdeck classroom"),
        "the check script is in the served page"
    );
    let (_, list) = http(&addr, "GET", "/_labdeck/exercises", &[("Host", &addr)]).await;
    let (_, result) = http(&addr, "POST", check, &[("Host", &addr)]).await;
    for text in [&page, &list, &result] {
        assert!(
            !text.contains("s3cr3t-student-token"),
            "the token leaked: {text}"
        );
        assert!(!text.contains(&fake.url()), "the server leaked: {text}");
    }
    for r in fake.requests() {
        assert!(r.starts_with("GET "), "{r}");
    }
}

async fn a_built_deck_has_no_check_control() {
    let dir = tempfile::tempdir().unwrap();
    let out = support::cli::labdeck(&["build", DECK, "--out", dir.path().to_str().unwrap()]).await;
    assert_eq!(out.code, 0, "{}", out.stderr);
    let html = std::fs::read_to_string(dir.path().join("labdeck-sample.html")).unwrap();
    assert!(!html.contains("labdeck classroom"));
    assert!(!html.contains("/_labdeck/check"));
}

/// Board rows by student name, from `/board.json`.
async fn board_json(addr: &str) -> Value {
    let (code, text) = http(addr, "GET", "/board.json", &[("Host", addr)]).await;
    assert_eq!(code, 200, "{text}");
    let body = &text[text.find("\r\n\r\n").unwrap() + 4..];
    // Chunked or not, the JSON object is between the first `{` and last `}`.
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn first_passes(board: &Value, exercise: &str) -> Vec<(String, Option<u64>)> {
    board["students"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_string(),
                s["cells"][exercise]["first_pass_ms"].as_u64(),
            )
        })
        .collect()
}

async fn the_board_follows_a_class_live_and_survives_a_restart() {
    const N: usize = 30;
    let class = tempfile::tempdir().unwrap();
    let mut fakes = Vec::new();
    for i in 0..N {
        let fake = Arc::new(FakeApiServer::start().await);
        let kc = class.path().join(format!("student-{i:02}.yaml"));
        std::fs::write(&kc, fake.kubeconfig_yaml("t", "default")).unwrap();
        fakes.push(fake);
    }
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("history.jsonl");
    let args = [
        "grade",
        DECK,
        "--kubeconfigs",
        class.path().to_str().unwrap(),
        "--only",
        "labeldemo-create",
        "--only",
        "labeldemo-relabel",
        "--serve",
        "--listen",
        "127.0.0.1:0",
        "--interval",
        "1s",
        "--stuck",
        "3s",
        "--history",
        history.to_str().unwrap(),
    ];
    let (server, url) = spawn(&args).await;
    let addr = authority(&url);

    let b = browser::start("classroom_board").await;
    b.client.set_window_size(1280, 900).await.unwrap();
    b.client.goto(&url).await.unwrap();
    b.wait_for(
        "window.labdeckBoard && window.labdeckBoard.state() && document.querySelectorAll('#board tbody tr').length === 30",
        "the board with 30 students",
    )
    .await;
    // A marker that a reload would wipe out.
    b.eval("window.__sameDocument = true; return 1;").await;

    // Students 1..29 create the deployment at different times; student 0 never does.
    for (i, fake) in fakes.iter().enumerate().skip(1) {
        let fake = fake.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(40 * i as u64)).await;
            created(&fake);
        });
    }
    b.wait_for(
        "document.querySelectorAll('td.pass[data-exercise=\"labeldemo-create\"]').length === 29",
        "29 first passes on the board",
    )
    .await;
    // Every cell has a verdict, failures included.
    b.wait_for(
        "document.querySelectorAll('td.fail').length === 31",
        "student-00's create and everybody's relabel failing",
    )
    .await;
    // Student 0 made no progress for longer than --stuck.
    b.wait_for(
        "document.querySelector('tr[data-student=\"student-00\"]').classList.contains('stuck')",
        "student-00 stuck",
    )
    .await;
    let stuck_text = b
        .eval("return document.querySelector('tr[data-student=\"student-00\"] td.on').textContent;")
        .await;
    assert!(
        stuck_text
            .as_str()
            .unwrap()
            .starts_with("stuck on labeldemo-create for"),
        "{stuck_text}"
    );
    // Distribution: 29 are on the relabel, 1 on the create.
    let dist = b
        .eval("return document.getElementById('dist').textContent;")
        .await;
    let dist = dist.as_str().unwrap();
    assert!(dist.contains("labeldemo-create 1"), "{dist}");
    assert!(dist.contains("labeldemo-relabel 29"), "{dist}");
    assert_eq!(
        b.eval("return window.__sameDocument === true;").await,
        Value::Bool(true),
        "the board updated without reloading"
    );
    screenshot(&b, "classroom-board.png").await;
    b.close().await;

    // The CSV export carries the first-pass times.
    let (code, csv) = http(&addr, "GET", "/export.csv", &[("Host", &addr)]).await;
    assert_eq!(code, 200);
    assert!(csv.contains("first_passed"), "{csv}");
    let stamped = csv
        .lines()
        .filter(|l| l.contains(",labeldemo-create,pass,") && l.contains("Z"))
        .count();
    assert_eq!(stamped, 29, "{csv}");

    // Restart: first-pass times are kept.
    let before = first_passes(&board_json(&addr).await, "labeldemo-create");
    assert_eq!(before.iter().filter(|(_, t)| t.is_some()).count(), 29);
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (_again, url) = spawn(&args).await;
    let addr = authority(&url);
    let after = first_passes(&board_json(&addr).await, "labeldemo-create");
    assert_eq!(before, after, "first passes survive a restart");
    for f in &fakes {
        for r in f.requests() {
            assert!(r.starts_with("GET "), "{r}");
        }
    }
}

async fn the_board_refuses_other_hosts_and_a_tiny_interval() {
    let out = support::cli::labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        "/nonexistent",
        "--watch",
        "--interval",
        "0",
    ])
    .await;
    // A flag's value clap refuses is a usage error (src/exit.rs).
    assert_eq!(out.code, i32::from(labdeck::exit::USAGE), "{}", out.stderr);
    assert!(
        out.stderr.contains("the interval must be at least 1s"),
        "{}",
        out.stderr
    );

    let class = tempfile::tempdir().unwrap();
    let fake = FakeApiServer::start().await;
    std::fs::write(
        class.path().join("ana.yaml"),
        fake.kubeconfig_yaml("t", "default"),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("h.jsonl");
    let (_server, url) = spawn(&[
        "grade",
        DECK,
        "--kubeconfigs",
        class.path().to_str().unwrap(),
        "--serve",
        "--listen",
        "127.0.0.1:0",
        "--history",
        history.to_str().unwrap(),
    ])
    .await;
    let addr = authority(&url);
    let port = addr.rsplit(':').next().unwrap();
    let (code, _) = http(
        &addr,
        "GET",
        "/board.json",
        &[("Host", &format!("rebind.example:{port}"))],
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = http(
        &addr,
        "GET",
        "/board.json",
        &[("Host", &addr), ("Origin", "http://evil.example")],
    )
    .await;
    assert_eq!(code, 403);
    let (code, _) = http(&addr, "GET", "/board.json", &[("Host", &addr)]).await;
    assert_eq!(code, 200);
}

async fn grade_history_stamps_first_passes_in_csv_and_json() {
    let fake = FakeApiServer::start().await;
    created(&fake);
    let class = tempfile::tempdir().unwrap();
    std::fs::write(
        class.path().join("ana.yaml"),
        fake.kubeconfig_yaml("t", "default"),
    )
    .unwrap();
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("h.jsonl");
    let grade = |format: &'static str| {
        let class = class.path().to_str().unwrap().to_string();
        let history = history.to_str().unwrap().to_string();
        async move {
            support::cli::labdeck(&[
                "grade",
                DECK,
                "--kubeconfigs",
                &class,
                "--only",
                "labeldemo-create",
                "--only",
                "labeldemo-relabel",
                "--timeout",
                "0",
                "--history",
                &history,
                "--format",
                format,
            ])
            .await
        }
    };
    let first = grade("csv").await;
    assert_eq!(first.code, 1, "relabel fails: {}", first.stderr);
    let row = |csv: &str, id: &str| -> Vec<String> {
        let mut r = ::csv::Reader::from_reader(csv.as_bytes());
        let header = r.headers().unwrap().clone();
        let col = header.iter().position(|h| h == "first_passed").unwrap();
        r.records()
            .map(|x| x.unwrap())
            .find(|x| &x[1] == id)
            .map(|x| vec![x[2].to_string(), x[col].to_string()])
            .unwrap()
    };
    let create = row(&first.stdout, "labeldemo-create");
    assert_eq!(create[0], "pass");
    assert!(
        create[1].ends_with('Z') && create[1].len() == 20,
        "{create:?}"
    );
    assert_eq!(
        row(&first.stdout, "labeldemo-relabel")[1],
        "",
        "never passed"
    );
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let json = grade("json").await;
    let report: Value = serde_json::from_str(&json.stdout).unwrap();
    assert_eq!(
        report["clusters"][0]["first_passed"]["labeldemo-create"].as_str(),
        Some(create[1].as_str()),
        "the first time, not this run's"
    );
}

/// A port nothing listens on (bound, then let go).
fn dead_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn a_cluster_that_is_down_reaches_the_browser_without_its_address() {
    let port = dead_port();
    let server = format!("http://127.0.0.1:{port}");
    let dir = tempfile::tempdir().unwrap();
    let kc = dir.path().join("kubeconfig");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters:\n- name: c\n  cluster:\n    server: {server}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\nusers:\n- name: u\n  user:\n    token: s3cr3t\n"
        ),
    )
    .unwrap();
    let (_serve, url) = spawn(&[
        "serve",
        DECK,
        "--port",
        "0",
        "--kubeconfig",
        kc.to_str().unwrap(),
    ])
    .await;
    let addr = authority(&url);
    let (code, body) = http(
        &addr,
        "POST",
        "/_labdeck/check/labeldemo-create",
        &[("Host", &addr)],
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert!(body.contains("\"verdict\":\"error\""), "{body}");
    assert!(
        body.contains("your cluster does not answer (connection refused)"),
        "{body}"
    );
    let (_, page) = http(&addr, "GET", "/", &[("Host", &addr)]).await;
    let (_, list) = http(&addr, "GET", "/_labdeck/exercises", &[("Host", &addr)]).await;
    // The bodies, not the headers (which carry our own Host).
    let body_of = |t: &str| t.split("\r\n\r\n").skip(1).collect::<Vec<_>>().join("");
    let port = format!(":{port}");
    for text in [body_of(&body), body_of(&list)] {
        for leak in [server.as_str(), "127.0.0.1", &port, "s3cr3t"] {
            assert!(!text.contains(leak), "{leak} reached the browser: {text}");
        }
    }
    let page = body_of(&page);
    for leak in [server.as_str(), &port, "s3cr3t"] {
        assert!(!page.contains(leak), "{leak} reached the browser");
    }
}

/// `grade --serve --listen 0.0.0.0:0` for one student; the board's first
/// printed URL.
async fn board_beyond_loopback(
    history: &Path,
    fake: &FakeApiServer,
) -> (Child, String, tempfile::TempDir) {
    let class = tempfile::tempdir().unwrap();
    std::fs::write(
        class.path().join("ana.yaml"),
        fake.kubeconfig_yaml("t", "default"),
    )
    .unwrap();
    let (child, url) = spawn(&[
        "grade",
        DECK,
        "--kubeconfigs",
        class.path().to_str().unwrap(),
        "--serve",
        "--listen",
        "0.0.0.0:0",
        "--history",
        history.to_str().unwrap(),
    ])
    .await;
    (child, url, class)
}

fn token_of(url: &str) -> String {
    url.split("?token=").nth(1).unwrap().to_string()
}

async fn the_board_token_is_stable_across_restarts_private_and_becomes_a_cookie() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeApiServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("h.jsonl");
    let (server, url, _class) = board_beyond_loopback(&history, &fake).await;
    // An address people can open, not 0.0.0.0.
    assert!(!url.contains("0.0.0.0"), "{url}");
    let token = token_of(&url);
    assert_eq!(token.len(), 32, "{url}");
    let file = work.path().join("h.jsonl.token");
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600, "the token file is private");
    let port = authority(&url).rsplit(':').next().unwrap().to_string();
    let addr = format!("127.0.0.1:{port}");
    // Without the token: refused.
    let (code, _) = http(&addr, "GET", "/board.json", &[("Host", &addr)]).await;
    assert_eq!(code, 403);
    // The printed link: a cookie, and on to the address without the token.
    let (code, answer) = http(
        &addr,
        "GET",
        &format!("/?token={token}"),
        &[("Host", &addr)],
    )
    .await;
    assert_eq!(code, 200, "{answer}");
    let cookie_line = answer
        .lines()
        .find(|l| l.to_ascii_lowercase().starts_with("set-cookie:"))
        .unwrap_or_else(|| panic!("no cookie: {answer}"));
    assert!(
        cookie_line.contains(&token)
            && cookie_line.contains("HttpOnly")
            && cookie_line.contains("SameSite=Strict"),
        "{cookie_line}"
    );
    assert!(answer.contains("url=/\""), "{answer}");
    let cookie = cookie_line
        .split_once(':')
        .unwrap()
        .1
        .split(';')
        .next()
        .unwrap()
        .trim()
        .to_string();
    let (code, _) = http(
        &addr,
        "GET",
        "/board.json",
        &[("Host", &addr), ("Cookie", &cookie)],
    )
    .await;
    assert_eq!(code, 200);
    // Started again: the same token, so open pages reconnect.
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (again, url2, _class2) = board_beyond_loopback(&history, &fake).await;
    assert_eq!(token_of(&url2), token, "{url2}");
    // A token file others could read is refused, not used.
    drop(again);
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let class = tempfile::tempdir().unwrap();
    std::fs::write(
        class.path().join("ana.yaml"),
        fake.kubeconfig_yaml("t", "default"),
    )
    .unwrap();
    let out = support::cli::labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        class.path().to_str().unwrap(),
        "--serve",
        "--listen",
        "0.0.0.0:0",
        "--history",
        history.to_str().unwrap(),
    ])
    .await;
    assert_ne!(out.code, 0);
    assert!(out.stderr.contains("chmod 600"), "{}", out.stderr);
}

async fn the_board_token_link_works_when_clicked_from_another_page() {
    let fake = FakeApiServer::start().await;
    let work = tempfile::tempdir().unwrap();
    let history = work.path().join("h.jsonl");
    let (_server, url, _class) = board_beyond_loopback(&history, &fake).await;
    let token = token_of(&url);
    let port = authority(&url).rsplit(':').next().unwrap().to_string();
    let board = format!("http://127.0.0.1:{port}/?token={token}");
    // Another site (localhost is not 127.0.0.1's site) with a link to the board.
    let other = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let other_port = other.local_addr().unwrap().port();
    let page =
        format!("<!doctype html><title>course</title><a id=go href=\"{board}\">the board</a>");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = other.accept().await {
            let page = page.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                    page.len()
                );
                let _ = s.write_all(answer.as_bytes()).await;
            });
        }
    });
    let b = browser::start("board_token_link_clicked").await;
    b.client
        .goto(&format!("http://localhost:{other_port}/"))
        .await
        .unwrap();
    b.eval("document.getElementById('go').click(); return 1;")
        .await;
    b.wait_for(
        "location.host === '127.0.0.1:PORT' && window.labdeckBoard && window.labdeckBoard.state() && document.querySelectorAll('#board tbody tr').length === 1"
            .replace("PORT", &port)
            .as_str(),
        "the board, opened from a link on another site",
    )
    .await;
    let href = b.eval("return location.href;").await;
    assert_eq!(
        href.as_str().unwrap(),
        format!("http://127.0.0.1:{port}/"),
        "the token left the address bar"
    );
    let cookie = b.eval("return document.cookie;").await;
    assert!(
        !cookie.as_str().unwrap().contains(&token),
        "the cookie is HttpOnly"
    );
    b.close().await;
}

fn main() {
    harness::run(
        "classroom",
        tests![
            Nothing sync tests_are_registered,
            Browser async a_student_checks_an_exercise_from_its_slide_and_sees_it_pass_when_done,
            Browser async a_student_checks_with_the_keyboard_only_and_hears_the_verdict,
            Browser async the_check_bar_covers_no_slide_nor_preview_and_the_panel_lists_checkable_exercises,
            Nothing async the_check_endpoint_refuses_other_origins_hosts_and_ids,
            Nothing async a_built_deck_has_no_check_control,
            Browser async the_board_follows_a_class_live_and_survives_a_restart,
            Nothing async the_board_refuses_other_hosts_and_a_tiny_interval,
            Nothing async grade_history_stamps_first_passes_in_csv_and_json,
            Nothing async a_cluster_that_is_down_reaches_the_browser_without_its_address,
            Nothing async the_board_token_is_stable_across_restarts_private_and_becomes_a_cookie,
            Browser async the_board_token_link_works_when_clicked_from_another_page,
        ],
    )
}

/// No test here is marked for libtest's harness, which does not run here.
fn tests_are_registered() {
    let left = harness::unregistered_tests(&["tests/classroom.rs"]);
    assert!(
        left.is_empty(),
        "never run: list them in main instead:\n{}",
        left.join("\n")
    );
}
