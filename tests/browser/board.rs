//! The instructor's board (`grade --serve`) in headless Chromium, against
//! fake API servers: where a student is (after the furthest pass, now or in
//! the history), a killed cluster marked within 5 s and back as fast, stuck
//! clocks kept across a board restart, two classes from one folder, the
//! per-exercise times, projector mode, the range and "helped" from the
//! page, with the keyboard where it applies.
//!
//! Run by tests/browser.rs's harness (see its top comment): a test here is
//! an `async fn` (no `#[tokio::test]`) listed once in [`tests`] below.

use std::path::{Path, PathBuf};
use std::time::Duration;

use fantoccini::key::Key;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;

use crate::support::apiserver::{FakeApiServer, Killable};
use crate::support::browser::{self, Browser, ONE_AT_A_TIME};
use crate::support::fixtures::*;
use crate::support::harness::{Test, tests};
use crate::support::served::{board_args, spawn_in};

const DECK: &str = "slides/labdeck-sample.yml";
const ACTIVE: &str = "labeldemo-5b7c9d8f6d-p2rk9";

fn deck() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(DECK)
}

/// `grade DECK --kubeconfigs CLASS --serve` with `extra` arguments.
async fn board(cwd: &Path, class: &Path, extra: &[&str]) -> (Child, String) {
    let deck = deck();
    let args = board_args(deck.to_str().unwrap(), class.to_str().unwrap(), extra);
    spawn_in(cwd, &args).await
}

fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// One raw HTTP/1.1 request; the status and the body.
async fn http(addr: &str, method: &str, path: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    let text = String::from_utf8_lossy(&out).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    (code, body)
}

async fn board_json(addr: &str) -> Value {
    let (code, body) = http(addr, "GET", "/board.json").await;
    assert_eq!(code, 200, "{body}");
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn student<'a>(board: &'a Value, name: &str) -> &'a Value {
    board["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == name)
        .unwrap_or_else(|| panic!("no {name} on {board}"))
}

fn now_ms() -> u64 {
    labdeck::grade::history::now_ms()
}

/// A history line as the board writes it.
fn line(kind: Option<&str>, student: &str, exercise: &str, at_ms: u64) -> String {
    let mut v = json!({
        "student": student,
        "passed_at_ms": at_ms,
        "passed_at": labdeck::grade::history::rfc3339(at_ms),
    });
    if let Some(k) = kind {
        v["kind"] = json!(k);
    }
    if !exercise.is_empty() {
        v["exercise"] = json!(exercise);
    }
    format!("{v}\n")
}

/// The class's history file `h.jsonl` in `work`, made of `lines` ([`line`]).
fn history_of(work: &Path, lines: &[String]) -> PathBuf {
    let history = work.join("h.jsonl");
    std::fs::write(&history, lines.concat()).unwrap();
    history
}

/// A folder with one kubeconfig per (name, server URL).
fn class_of(students: &[(&str, String)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, yaml) in students {
        std::fs::write(dir.path().join(format!("{name}.yaml")), yaml).unwrap();
    }
    dir
}

async fn open_board(test: &str, url: &str, width: u32) -> Browser {
    let b = browser::start(test).await;
    b.client.set_window_size(width, 800).await.unwrap();
    b.client.goto(url).await.unwrap();
    b.wait_for(
        "window.labdeckBoard && window.labdeckBoard.state() && document.querySelectorAll('#board tbody tr').length > 0",
        "the board",
    )
    .await;
    b
}

/// A JS expression: the state of student `name` on the page.
fn js_student(name: &str) -> String {
    format!(
        "window.labdeckBoard.state().students.filter(function (s) {{ return s.name === '{name}'; }})[0]"
    )
}

const ONLY: [&str; 6] = [
    "--only",
    "labeldemo-create",
    "--only",
    "labeldemo-relabel",
    "--only",
    "labeldemo-readopt",
];

/// Tab from wherever focus is until an element matching `css` has it;
/// gives up after `max` presses.
async fn tab_to(b: &Browser, css: &str, max: usize) {
    let test = format!("document.activeElement && document.activeElement.matches('{css}')");
    for _ in 0..max {
        if b.eval(&format!("return !!({test});")).await == Value::Bool(true) {
            return;
        }
        let el = b.client.active_element().await.unwrap();
        el.send_keys(&Key::Tab.to_string()).await.unwrap();
    }
    panic!("Tab never reached {css}");
}

async fn a_student_ahead_is_on_the_exercise_after_the_furthest_pass_and_not_stuck() {
    let _one = ONE_AT_A_TIME.lock().await;
    // ana did create and relabel earlier; the deck's later steps undid the
    // create, so it fails now. bo joined 20 minutes ago and passed nothing.
    let ana = FakeApiServer::start().await;
    let bo = FakeApiServer::start().await;
    let class = class_of(&[
        ("ana", ana.kubeconfig_yaml("t", "default")),
        ("bo", bo.kubeconfig_yaml("t", "default")),
    ]);
    let work = tempfile::tempdir().unwrap();
    let t = now_ms();
    let minute = 60_000;
    let history = history_of(
        work.path(),
        &[
            line(Some("joined"), "ana", "", t - 30 * minute),
            line(None, "ana", "labeldemo-create", t - 20 * minute),
            line(None, "ana", "labeldemo-relabel", t - 2 * minute),
            line(Some("joined"), "bo", "", t - 20 * minute),
        ],
    );
    let mut extra = ONLY.to_vec();
    extra.extend(["--stuck", "10m", "--history", history.to_str().unwrap()]);
    let (_server, url) = board(work.path(), class.path(), &extra).await;
    let addr = authority(&url);
    let b = open_board("board_student_ahead", &url, 1280).await;
    b.wait_for(
        "document.querySelectorAll('tr[data-student=\"ana\"] td.fail[data-exercise=\"labeldemo-readopt\"]').length === 1",
        "ana's readopt looked at",
    )
    .await;
    let on = |name: &str| {
        format!(
            "return document.querySelector('tr[data-student=\"{name}\"] td.on').getAttribute('data-on') + '|' + document.querySelector('tr[data-student=\"{name}\"] td.on').textContent + '|' + document.querySelector('tr[data-student=\"{name}\"]').classList.contains('stuck');"
        )
    };
    let ana_on = b.eval(&on("ana")).await;
    let ana_on = ana_on.as_str().unwrap();
    assert!(
        ana_on.starts_with("labeldemo-readopt|labeldemo-readopt for 2 min|false"),
        "ana is on the exercise after her furthest pass, not stuck: {ana_on}"
    );
    // create fails now but keeps its first pass.
    let create = b
        .eval("return document.querySelector('tr[data-student=\"ana\"] td[data-exercise=\"labeldemo-create\"]').textContent;")
        .await;
    assert!(create.as_str().unwrap().contains("(fail now)"), "{create}");
    // bo, with no pass, is stuck on the first exercise since he joined.
    let bo_on = b.eval(&on("bo")).await;
    let bo_on = bo_on.as_str().unwrap();
    assert!(
        bo_on.starts_with("labeldemo-create|stuck on labeldemo-create for 20 min|true"),
        "{bo_on}"
    );
    let snap = board_json(&addr).await;
    assert_eq!(student(&snap, "ana")["furthest"], "labeldemo-relabel");
    assert_eq!(student(&snap, "bo")["joined_ms"], t - 20 * minute);
    b.close().await;
}

async fn a_killed_cluster_is_marked_within_5_s_and_back_as_fast() {
    let _one = ONE_AT_A_TIME.lock().await;
    let k = Killable::start().await;
    k.fake.apply(deployment("labeldemo"));
    k.fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    k.fake.apply(pod(ACTIVE));
    let other = FakeApiServer::start().await;
    let class = class_of(&[
        ("ana", k.kubeconfig_yaml("t", "default")),
        ("bo", other.kubeconfig_yaml("t", "default")),
    ]);
    let work = tempfile::tempdir().unwrap();
    let (_server, url) = board(work.path(), class.path(), &ONLY).await;
    let b = open_board("board_killed_cluster", &url, 1280).await;
    // The round is watching relabel (not done) when the server dies.
    b.wait_for(
        "document.querySelectorAll('tr[data-student=\"ana\"] td.fail[data-exercise=\"labeldemo-relabel\"]').length === 1",
        "ana's create passed and relabel watched",
    )
    .await;
    for round in 0..2 {
        let killed = now_ms();
        k.kill().await;
        b.wait_for(
            &format!("{} .down_since_ms > 0", js_student("ana")),
            "ana's cluster marked down",
        )
        .await;
        let told = b
            .eval(&format!("return {}.down_told_ms;", js_student("ana")))
            .await
            .as_u64()
            .unwrap();
        assert!(
            told.saturating_sub(killed) < 5_000,
            "round {round}: marked down {} ms after the kill",
            told.saturating_sub(killed)
        );
        let text = b
            .eval("return document.querySelector('tr[data-student=\"ana\"] td.on').textContent;")
            .await;
        assert!(
            text.as_str().unwrap().starts_with("cluster down since "),
            "{text}"
        );
        // What was last seen stays; the other student is untouched.
        let cells = b
            .eval("return document.querySelectorAll('tr[data-student=\"ana\"] td.pass[data-exercise=\"labeldemo-create\"]').length + '|' + document.querySelector('tr[data-student=\"bo\"]').classList.contains('down');")
            .await;
        assert_eq!(cells, "1|false");
        let alerts = b
            .eval("return document.getElementById('alerts').textContent;")
            .await;
        assert!(
            alerts.as_str().unwrap().contains("ana: cluster down since"),
            "{alerts}"
        );

        let back = now_ms();
        k.revive().await;
        b.wait_for(
            &format!("!{}.down_since_ms", js_student("ana")),
            "ana's cluster back",
        )
        .await;
        let up = b
            .eval(&format!("return {}.up_told_ms;", js_student("ana")))
            .await
            .as_u64()
            .unwrap();
        assert!(
            up.saturating_sub(back) < 5_000,
            "round {round}: back {} ms after the revival",
            up.saturating_sub(back)
        );
        // And followed again: a change after the revival reaches the board.
        if round == 0 {
            k.fake.apply(orphan(label(pod(ACTIVE), "isactive", "no")));
            k.fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
            b.wait_for(
                "document.querySelectorAll('tr[data-student=\"ana\"] td.pass[data-exercise=\"labeldemo-relabel\"]').length === 1",
                "ana's relabel, done after the revival",
            )
            .await;
        }
    }
    b.close().await;
}

async fn a_board_restart_keeps_stuck_clocks_and_the_helped_mark() {
    let _one = ONE_AT_A_TIME.lock().await;
    let ana = FakeApiServer::start().await;
    let class = class_of(&[("ana", ana.kubeconfig_yaml("t", "default"))]);
    let work = tempfile::tempdir().unwrap();
    let mut extra = ONLY.to_vec();
    extra.extend(["--stuck", "2s"]);
    let (first, url) = board(work.path(), class.path(), &extra).await;
    let joined = student(&board_json(&authority(&url)).await, "ana")["joined_ms"]
        .as_u64()
        .unwrap();
    drop(first);
    let (_second, url) = board(work.path(), class.path(), &extra).await;
    let addr = authority(&url);
    let again = board_json(&addr).await;
    let ana_row = student(&again, "ana");
    assert_eq!(
        ana_row["joined_ms"], joined,
        "the clock survived the restart"
    );
    assert_eq!(ana_row["last_progress_ms"], joined);

    let b = open_board("board_restart_helped", &url, 1280).await;
    b.wait_for(
        "document.querySelector('tr[data-student=\"ana\"]').classList.contains('stuck')",
        "ana stuck (no pass since she joined, before the restart)",
    )
    .await;
    let alerts = b
        .eval("return document.getElementById('alerts').textContent;")
        .await;
    assert!(
        alerts
            .as_str()
            .unwrap()
            .contains("ana is stuck on labeldemo-create"),
        "{alerts}"
    );
    // Keyboard only: Tab to ana's "helped" button, Enter.
    tab_to(&b, "tr[data-student=\"ana\"] td.help button", 40).await;
    let focused = b.client.active_element().await.unwrap();
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    b.wait_for(
        &format!("{}.helped_ms > 0 && !document.querySelector('tr[data-student=\"ana\"]').classList.contains('stuck')", js_student("ana")),
        "ana marked helped, not stuck any more",
    )
    .await;
    let helped = b
        .eval("return document.querySelector('tr[data-student=\"ana\"] td.help').textContent;")
        .await;
    assert!(helped.as_str().unwrap().contains("helped at "), "{helped}");
    // Kept server-side: in the history, and on the board after a restart.
    let history = std::fs::read_dir(work.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".grade-history.jsonl"))
        .expect("the class's history in the current folder");
    let text = std::fs::read_to_string(&history).unwrap();
    assert!(text.contains(r#""kind":"helped""#), "{text}");
    let snap = board_json(&addr).await;
    assert!(student(&snap, "ana")["helped_ms"].as_u64().unwrap() > joined);
    // The page's POST went through the guard; another origin's does not.
    let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
    s.write_all(
        format!("POST /students/ana/helped HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://evil.example\r\nConnection: close\r\nContent-Length: 0\r\n\r\n").as_bytes(),
    )
    .await
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out).await;
    assert!(out.starts_with("HTTP/1.1 403"), "{out}");
    assert_eq!(http(&addr, "POST", "/students/nobody/helped").await.0, 404);
    for r in ana.requests() {
        assert!(r.starts_with("GET "), "the board only reads: {r}");
    }
    b.close().await;
}

async fn two_classes_from_one_folder_keep_two_histories() {
    let ana_a = FakeApiServer::start().await;
    ana_a.apply(deployment("labeldemo"));
    ana_a.apply(replicaset("labeldemo-5b7c9d8f6d"));
    ana_a.apply(pod(ACTIVE));
    let ana_b = FakeApiServer::start().await;
    let class_a = class_of(&[("ana", ana_a.kubeconfig_yaml("t", "default"))]);
    let class_b = class_of(&[("ana", ana_b.kubeconfig_yaml("t", "default"))]);
    let work = tempfile::tempdir().unwrap();
    let passed =
        |snap: &Value| student(snap, "ana")["cells"]["labeldemo-create"]["first_pass_ms"].as_u64();
    {
        let (_a, url) = board(work.path(), class_a.path(), &ONLY).await;
        let addr = authority(&url);
        let mut snap = board_json(&addr).await;
        for _ in 0..200 {
            if passed(&snap).is_some() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            snap = board_json(&addr).await;
        }
        assert!(passed(&snap).is_some(), "class A's ana passed create");
        let about = snap["class"].as_str().unwrap();
        let full_a = std::fs::canonicalize(class_a.path()).unwrap();
        assert!(about.contains(&full_a.display().to_string()), "{about}");
    }
    let (_b, url) = board(work.path(), class_b.path(), &ONLY).await;
    let snap = board_json(&authority(&url)).await;
    assert_eq!(
        passed(&snap),
        None,
        "class B's ana inherits nothing: {snap}"
    );
    let (ha, hb) = (
        snap["history"].as_str().unwrap().to_string(),
        std::fs::read_dir(work.path()).unwrap().count(),
    );
    assert_eq!(hb, 2, "one history per class in the folder");
    assert!(ha.ends_with(".grade-history.jsonl"), "{ha}");
    // The same folder named as a class is that class's history only.
    let started = now_ms();
    let (_c, url) = board(work.path(), class_a.path(), &{
        let mut e = ONLY.to_vec();
        e.extend(["--class", "tuesday"]);
        e
    })
    .await;
    let snap = board_json(&authority(&url)).await;
    assert_eq!(snap["class"], "class tuesday");
    assert!(
        snap["history"]
            .as_str()
            .unwrap()
            .ends_with("labdeck-sample.tuesday.grade-history.jsonl"),
        "{snap}"
    );
    // Class A's cluster passes create now, so the tuesday board may have
    // recorded its own first pass already; never class A's older one.
    if let Some(at) = passed(&snap) {
        assert!(at >= started, "{at} < {started}");
    }
}

async fn per_exercise_times_projector_mode_and_the_range_from_the_page() {
    let _one = ONE_AT_A_TIME.lock().await;
    let names = ["ana", "bo", "cy"];
    let mut fakes = Vec::new();
    let mut kcs = Vec::new();
    for n in names {
        let f = FakeApiServer::start().await;
        kcs.push((n, f.kubeconfig_yaml("t", "default")));
        fakes.push(f);
    }
    let class = class_of(&kcs);
    let work = tempfile::tempdir().unwrap();
    // Joined at t0; create passed 1, 2 and 5 minutes later; relabel by ana
    // 3 minutes after her create. (12 minutes ago: in the picture bo, with
    // no progress for 10 minutes, is stuck, the others are not yet.)
    let minute = 60_000;
    let t0 = now_ms() - 12 * minute;
    let mut lines = Vec::new();
    for (n, after) in names.iter().zip([1, 2, 5]) {
        lines.push(line(Some("joined"), n, "", t0));
        lines.push(line(None, n, "labeldemo-create", t0 + after * minute));
    }
    lines.push(line(None, "ana", "labeldemo-relabel", t0 + 4 * minute));
    let history = history_of(work.path(), &lines);
    // Every checked exercise of the deck: a beamer must still fit them.
    let (_server, url) = board(
        work.path(),
        class.path(),
        &["--history", history.to_str().unwrap()],
    )
    .await;
    let b = open_board("board_stats_projector_range", &url, 1280).await;
    let stat = |id: &str| {
        format!(
            "return (function () {{ var td = document.querySelector('tfoot td.stat[data-exercise=\"{id}\"]'); return [td.getAttribute('data-passed'), td.getAttribute('data-median-ms'), td.getAttribute('data-slowest-ms'), td.textContent].join('|'); }})();"
        )
    };
    let create = b.eval(&stat("labeldemo-create")).await;
    assert_eq!(
        create.as_str().unwrap(),
        "3|120000|300000|3/3 · 2 min / 5 min",
        "passed, median and slowest time to create"
    );
    let relabel = b.eval(&stat("labeldemo-relabel")).await;
    assert_eq!(
        relabel.as_str().unwrap(),
        "1|180000|180000|1/3 · 3 min / 3 min"
    );

    // The range, set from the page: only relabel..readopt, kept in the URL.
    b.eval("var f = document.getElementById('from'); f.value = 'labeldemo-relabel'; f.dispatchEvent(new Event('change')); var t = document.getElementById('to'); t.value = 'labeldemo-readopt'; t.dispatchEvent(new Event('change')); return 1;").await;
    b.wait_for(
        "document.querySelectorAll('thead th.ex').length === 3",
        "three columns: relabel, debug, readopt",
    )
    .await;
    let shown = b
        .eval("return Array.prototype.map.call(document.querySelectorAll('thead th.ex'), function (t) { return t.textContent; }).join(',') + '|' + location.search;")
        .await;
    assert_eq!(
        shown.as_str().unwrap(),
        "labeldemo-relabel,labeldemo-debug,labeldemo-readopt|?from=labeldemo-relabel&to=labeldemo-readopt"
    );
    // bo passed create, and his empty cluster passes the cleanup (the gate
    // lets it through: create, whose objects it removes, passed). That says
    // nothing of where he is: not past the cleanup, but before the range,
    // so on its first exercise (regression: he showed "all done").
    b.wait_for(
        &format!(
            "{}.cells['labeldemo-cleanup'] && {}.cells['labeldemo-cleanup'].verdict === 'pass'",
            js_student("bo"),
            js_student("bo")
        ),
        "bo's cleanup looked at",
    )
    .await;
    let on = |name: &str| {
        format!(
            "return document.querySelector('tr[data-student=\"{name}\"] td.on').getAttribute('data-on') + '|' + document.getElementById('summary').textContent;"
        )
    };
    let bo_on = b.eval(&on("bo")).await;
    assert!(
        bo_on
            .as_str()
            .unwrap()
            .starts_with("labeldemo-relabel|3 students, 0 done"),
        "{bo_on}"
    );
    let snap = board_json(&authority(&url)).await;
    assert_eq!(student(&snap, "bo")["furthest"], "labeldemo-create");
    // Nor is it progress: bo's stuck clock counts from his create, 10
    // minutes ago (regression: the cleanup's first pass restarted it).
    let cleaned = student(&snap, "bo")["cells"]["labeldemo-cleanup"]["first_pass_ms"]
        .as_u64()
        .unwrap();
    assert!(cleaned > t0 + 5 * minute, "bo's cleanup first passed now");
    assert_eq!(student(&snap, "bo")["last_progress_ms"], t0 + 2 * minute);
    assert_eq!(
        b.eval(
            "return document.querySelector('tr[data-student=\"bo\"]').classList.contains('stuck');"
        )
        .await,
        Value::Bool(true),
        "bo is stuck"
    );
    assert_eq!(student(&snap, "ana")["furthest"], "labeldemo-relabel");
    // Past the range is done with it: ana passed relabel.
    b.eval("var f = document.getElementById('from'); f.value = 'labeldemo-create'; f.dispatchEvent(new Event('change')); var t = document.getElementById('to'); t.value = 'labeldemo-relabel'; t.dispatchEvent(new Event('change')); return 1;").await;
    b.wait_for(
        "document.querySelectorAll('thead th.ex').length === 3 && document.querySelector('thead th.ex').textContent === 'labeldemo-create'",
        "three columns: create, list, relabel",
    )
    .await;
    let ana_on = b
        .eval("return document.querySelector('tr[data-student=\"ana\"] td.on').textContent + '|' + document.getElementById('summary').textContent;")
        .await;
    assert!(
        ana_on
            .as_str()
            .unwrap()
            .starts_with("all done|3 students, 1 done"),
        "{ana_on}"
    );

    // Projector mode from the URL: names hidden, fits 1024 px.
    let projector = format!(
        "{}?projector=1",
        url.trim_end_matches('/').to_string() + "/"
    );
    b.client.set_window_size(1024, 768).await.unwrap();
    b.client.goto(&projector).await.unwrap();
    b.wait_for(
        "window.labdeckBoard && window.labdeckBoard.state() && document.querySelectorAll('#board tbody tr').length === 3 && document.body.classList.contains('projector')",
        "the board in projector mode",
    )
    .await;
    let fit = b
        .eval("return [document.documentElement.scrollWidth, window.innerWidth, document.querySelector('#board tbody').textContent];")
        .await;
    let (scroll, inner) = (fit[0].as_u64().unwrap(), fit[1].as_u64().unwrap());
    assert!(scroll <= inner, "projector fits: {scroll} > {inner}");
    let table = fit[2].as_str().unwrap();
    for n in names {
        assert!(!table.contains(n), "{n} shown on the projector: {table}");
    }
    assert!(table.contains("#1") && table.contains("#3"), "{table}");
    // The toggle on the page turns it off again (and the URL follows).
    b.eval("var p = document.getElementById('projector'); p.checked = false; p.dispatchEvent(new Event('change')); return 1;").await;
    b.wait_for(
        "!document.body.classList.contains('projector') && location.search.indexOf('projector') < 0 && document.getElementById('board').textContent.indexOf('ana') >= 0",
        "names back",
    )
    .await;

    // Keyboard: Tab reaches a cell, which is announced; Enter opens it.
    tab_to(&b, "tbody td[data-exercise]", 60).await;
    let label = b
        .eval("return document.activeElement.getAttribute('aria-label');")
        .await;
    assert!(
        label.as_str().unwrap() == "ana, rng-deployment: not yet",
        "{label}"
    );
    let focused = b.client.active_element().await.unwrap();
    focused.send_keys(&Key::Enter.to_string()).await.unwrap();
    b.wait_for(
        "document.getElementById('details').classList.contains('open') && document.activeElement === document.getElementById('details')",
        "the cell's details, focused",
    )
    .await;
    let focused = b.client.active_element().await.unwrap();
    focused.send_keys(&Key::Escape.to_string()).await.unwrap();
    b.wait_for(
        "!document.getElementById('details').classList.contains('open') && document.activeElement.getAttribute('data-exercise') === 'rng-deployment'",
        "details closed, focus back on the cell",
    )
    .await;
    if let Ok(dir) = std::env::var("LABDECK_SCREENSHOT_DIR") {
        // A laptop's width again (the projector check shrank it).
        b.client.set_window_size(1280, 800).await.unwrap();
        b.wait_for(
            "document.documentElement.scrollWidth <= window.innerWidth",
            "the board fits",
        )
        .await;
        let png = b.client.screenshot().await.unwrap();
        std::fs::write(Path::new(&dir).join("classroom-board.png"), png).unwrap();
    }
    b.close().await;
}

/// Regression: a clean-up cell showed ✔ for a student who had not reached
/// it. cy made the deck's deployment (create passed) and deleted it again;
/// the clean-up's check holds on her empty cluster, but she never did the
/// relabel and readopt it also cleans up after. The cell is neutral (○),
/// she is on relabel, and the per-exercise figures count no pass of it.
async fn a_cleanup_that_holds_early_is_neutral_not_passed() {
    let _one = ONE_AT_A_TIME.lock().await;
    let cy = FakeApiServer::start().await;
    let class = class_of(&[("cy", cy.kubeconfig_yaml("t", "default"))]);
    let work = tempfile::tempdir().unwrap();
    let t = now_ms();
    let minute = 60_000;
    let history = history_of(
        work.path(),
        &[
            line(Some("joined"), "cy", "", t - 30 * minute),
            line(None, "cy", "labeldemo-create", t - 20 * minute),
        ],
    );
    let mut extra = ONLY.to_vec();
    extra.extend([
        "--only",
        "labeldemo-cleanup",
        "--history",
        history.to_str().unwrap(),
    ]);
    let (_server, url) = board(work.path(), class.path(), &extra).await;
    let addr = authority(&url);
    let b = open_board("board_cleanup_early", &url, 1280).await;
    let cell = "tr[data-student=\"cy\"] td[data-exercise=\"labeldemo-cleanup\"]";
    b.wait_for(
        &format!("!!document.querySelector('{cell}:not(.none)')"),
        "cy's clean-up looked at",
    )
    .await;
    let seen = b
        .eval(&format!(
            "var td = document.querySelector('{cell}'); return td.className + '|' + td.textContent + '|' + td.getAttribute('aria-label') + '|' + document.querySelector('tr[data-student=\"cy\"] td.on').getAttribute('data-on');"
        ))
        .await;
    assert_eq!(
        seen.as_str().unwrap(),
        "early|\u{25cb}|cy, labeldemo-cleanup: holds already, counts once the exercises before it pass|labeldemo-relabel",
        "{}",
        board_json(&addr).await
    );
    // The footer's figures for the clean-up count no pass.
    let foot = b
        .eval("return document.querySelector('#board tfoot td.stat[data-exercise=\"labeldemo-cleanup\"]').getAttribute('data-passed');")
        .await;
    assert_eq!(foot, "0");
    let snap = board_json(&addr).await;
    assert_eq!(
        student(&snap, "cy")["held_early"],
        json!(["labeldemo-cleanup"])
    );
    assert_eq!(student(&snap, "cy")["furthest"], "labeldemo-create");
    b.close().await;
}

/// This file's tests (named `board::NAME`); `Browser` if it opens the board
/// in Chromium, `Nothing` if not.
pub fn tests() -> Vec<Test> {
    tests![
        Browser async a_student_ahead_is_on_the_exercise_after_the_furthest_pass_and_not_stuck,
        Browser async a_killed_cluster_is_marked_within_5_s_and_back_as_fast,
        Browser async a_board_restart_keeps_stuck_clocks_and_the_helped_mark,
        Nothing async two_classes_from_one_folder_keep_two_histories,
        Browser async per_exercise_times_projector_mode_and_the_range_from_the_page,
        Browser async a_cleanup_that_holds_early_is_neutral_not_passed,
    ]
}
