//! The classroom against the real cluster: `grade` of several contexts (one
//! namespace per student), the live board following them, and a student's
//! check from the served deck in headless Chromium; the board's page in
//! Chromium, as issue 22 asks it to show: a student ahead, a board restart
//! (stuck clocks and "helped at" kept), two classes from one folder. (A
//! killed cluster is in tests/browser/board.rs, on a fake API server: this
//! control plane is shared and is not ours to kill.)

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::cluster::{Ns, Realkube, labdeck, labdeck_cmd, play};
use crate::support::browser;
use crate::support::browser::keys;
use crate::support::served::board_args;
use crate::verdicts::one_exercise;

const STUDENTS: [&str; 3] = ["alice", "bob", "carol"];

fn two_exercises() -> String {
    format!(
        "{}\n---\n\n{}",
        one_exercise("first", "expect:\n  - kind: configmaps\n    name: one\n"),
        one_exercise("second", "expect:\n  - kind: configmaps\n    name: two\n")
    )
}

/// One kubeconfig with a context per student (`names`), each in its
/// namespace (`spaces`, in the same order).
fn class_kubeconfig(
    rk: &Realkube,
    names: &[&str],
    spaces: &[Ns],
    dir: &std::path::Path,
) -> std::path::PathBuf {
    let path = dir.join("class.kubeconfig");
    std::fs::copy(&rk.admin, &path).unwrap();
    let view = |what: &str| {
        rk.kubectl_in(
            &path,
            &[
                "config",
                "view",
                "-o",
                &format!("jsonpath={{.contexts[0].context.{what}}}"),
            ],
            None,
        )
    };
    let (cluster, user) = (view("cluster"), view("user"));
    for (name, ns) in names.iter().zip(spaces) {
        rk.kubectl_in(
            &path,
            &[
                "config",
                "set-context",
                name,
                "--cluster",
                &cluster,
                "--user",
                &user,
                "--namespace",
                &ns.name,
            ],
            None,
        );
    }
    path
}

/// `labdeck ARGS` until dropped, and the first `http://` URL it prints.
struct Spawned {
    child: Child,
    url: String,
}

impl Drop for Spawned {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(rk: &Realkube, args: &[&str]) -> Spawned {
    spawn_cmd(labdeck_cmd(rk, args), args)
}

/// Runs `cmd` (labdeck with `args`) until dropped.
fn spawn_cmd(mut cmd: std::process::Command, args: &[&str]) -> Spawned {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let url = loop {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("labdeck {args:?} ended without printing its URL"))
            .unwrap();
        if let Some(at) = line.find("http://") {
            break line[at..]
                .chars()
                .take_while(|c| !c.is_whitespace())
                .collect::<String>();
        }
    };
    std::thread::spawn(move || for _ in lines.by_ref() {});
    Spawned { child, url }
}

fn authority(url: &str) -> String {
    url.trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_string()
}

/// GET `path` with the right Host; the body.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    let _ = s.read_to_string(&mut out);
    assert!(out.starts_with("HTTP/1.1 200"), "{path}: {out}");
    out[out.find("\r\n\r\n").unwrap() + 4..].to_string()
}

fn board(addr: &str) -> Value {
    let body = get(addr, "/board.json");
    let json = &body[body.find('{').unwrap()..=body.rfind('}').unwrap()];
    serde_json::from_str(json).unwrap_or_else(|e| panic!("{e}: {json}"))
}

fn cell(board: &Value, student: &str, exercise: &str) -> String {
    board["students"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == student)
        .and_then(|s| s["cells"][exercise]["verdict"].as_str())
        .unwrap_or("none")
        .to_string()
}

pub fn grade_and_board(rk: &Realkube) {
    let spaces: Vec<Ns> = STUDENTS
        .iter()
        .map(|s| Ns::new(rk, &format!("class-{s}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = class_kubeconfig(rk, &STUDENTS, &spaces, dir.path());
    let deck = dir.path().join("class.md");
    std::fs::write(&deck, two_exercises()).unwrap();
    spaces[0].kubectl(&["create", "configmap", "one"]);
    spaces[0].kubectl(&["create", "configmap", "two"]);
    spaces[1].kubectl(&["create", "configmap", "one"]);

    let out = labdeck(
        rk,
        &[
            "grade",
            deck.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--contexts",
            "alice,bob,carol",
            "--timeout",
            "0",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.code, 1, "some failed: {}", out.all());
    let report = out.json();
    let verdicts: Vec<(String, Vec<String>)> = report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or_default().to_string(),
                c["results"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|r| r["verdict"].as_str().unwrap().to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            (
                "alice".to_string(),
                vec!["pass".to_string(), "pass".to_string()]
            ),
            (
                "bob".to_string(),
                vec!["pass".to_string(), "fail".to_string()]
            ),
            (
                "carol".to_string(),
                vec!["fail".to_string(), "fail".to_string()]
            ),
        ],
        "{report}"
    );

    // The live board follows the same class.
    let history = dir.path().join("history.jsonl");
    let server = spawn(
        rk,
        &[
            "grade",
            deck.to_str().unwrap(),
            "--kubeconfig",
            kc.to_str().unwrap(),
            "--contexts",
            "alice,bob,carol",
            "--serve",
            "--listen",
            "127.0.0.1:0",
            "--interval",
            "1s",
            "--history",
            history.to_str().unwrap(),
        ],
    );
    let addr = authority(&server.url);
    spaces[0].until(Duration::from_secs(30), "the board's first round", || {
        let b = board(&addr);
        cell(&b, "alice", "second") == "pass" && cell(&b, "bob", "second") == "fail"
    });
    let b = board(&addr);
    assert_eq!(cell(&b, "carol", "first"), "fail", "{b}");
    // Carol catches up: the board shows it without a restart.
    spaces[2].kubectl(&["create", "configmap", "one"]);
    spaces[2].until(Duration::from_secs(20), "carol's pass on the board", || {
        cell(&board(&addr), "carol", "first") == "pass"
    });
}

pub fn student_check_in_browser(rk: &Realkube) {
    let ns = Ns::new(rk, "browser");
    let deck = ns.deck("lab.md", &two_exercises());
    let server = spawn(
        rk,
        &[
            "serve",
            deck.to_str().unwrap(),
            "--port",
            "0",
            "--kubeconfig",
            ns.kubeconfig_str(),
        ],
    );
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // The tier needs chromium and chromedriver: `start` fails without them.
        let b = browser::start("realkube_student").await;
        b.client.set_window_size(1280, 800).await.unwrap();
        b.open(&server.url).await;
        b.wait_for(
            "window.labdeckClassroom && document.querySelector('.labdeck-check')",
            "the classroom script",
        )
        .await;
        let slide = b
            .eval(
                "return fetch('/_labdeck/exercises').then(r => r.json())
                   .then(l => l.find(e => e.id === 'first').slide);",
            )
            .await
            .as_i64()
            .unwrap();
        b.eval(&format!("window.labdeck.go({}); return 1;", slide - 1)).await;
        b.wait_for("!document.querySelector('.labdeck-check').hidden", "the check control")
            .await;
        // The keyboard's way: `x` checks the exercise of this slide.
        b.key("x").await;
        let out = "document.querySelector('.labdeck-check-out').textContent";
        b.wait_for(&format!("{out}.includes('not yet')"), "the diagnosis").await;
        let text = b.eval(&format!("return {out};")).await;
        let text = text.as_str().unwrap().to_string();
        // In words, with the right number.
        assert!(text.contains("expected at least 1 config map named \"one\": found none"), "{text}");
        assert!(!text.contains("127.0.0.1:18710"), "no server address reaches the browser: {text}");
        // The student does the step: the slide shows the pass, no second press,
        // and a screen reader hears it.
        ns.kubectl(&["create", "configmap", "one"]);
        b.wait_for(&format!("{out}.includes('passed')"), "the pass").await;
        let status = "document.querySelector('[role=status][aria-live=polite]').textContent";
        b.wait_for(&format!("{status} === 'first: passed'"), "the verdict announced").await;

        // The keyboard only: next slide, Tab to its Check button, Enter runs
        // it, the slide stays and so does the focus while the check waits.
        b.press(keys::RIGHT).await;
        b.wait_for(
            &format!("window.labdeck.current() === {slide} && document.querySelector('.labdeck-check button[data-exercise=second]')"),
            "the second exercise's slide",
        )
        .await;
        b.tab_to(".labdeck-check button[data-exercise=second]").await;
        b.eval("window.__button = document.activeElement; return 1;").await;
        b.press(keys::ENTER).await;
        b.wait_for(&format!("{out}.includes('expected at least 1 config map named \"two\": found none')"), "the second diagnosis")
            .await;
        b.wait_for(&format!("/waiting\u{2026} [2-9] s/.test({out})"), "the waiting clock ticking").await;
        assert_eq!(b.eval("return window.labdeck.current();").await, slide);
        assert_eq!(
            b.eval("return document.activeElement === window.__button;").await,
            Value::Bool(true),
            "focus stays on the Check button while it waits"
        );
        ns.kubectl(&["create", "configmap", "two"]);
        b.wait_for(&format!("{status} === 'second: passed'"), "the second verdict announced").await;
        assert_eq!(b.eval("return document.activeElement === window.__button;").await, Value::Bool(true));
        assert!(b.console_errors().await.is_empty());
        b.close().await;
    });
}

/// `labeldemo-cleanup` (every expectation `count: 0`) holds on an empty
/// namespace: a student who did nothing must not get a tick for it. It
/// counts once `labeldemo-create`, whose objects it removes, has passed
/// (this round or in the history).
pub fn vacuous_cleanup(rk: &Realkube) {
    let spaces: Vec<Ns> = ["idle", "done"]
        .iter()
        .map(|s| Ns::new(rk, &format!("vac-{s}")))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let kc = class_kubeconfig(rk, &["idle", "done"], &spaces, dir.path());
    let deck = "slides/labdeck-sample.yml";
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    let played = play(
        rk,
        spaces[1].kubeconfig_str(),
        deck,
        None,
        "labeldemo-create",
        &work,
    );
    assert_eq!(played.code, 0, "{}", played.all());
    let history = dir.path().join("class.history.jsonl");
    let grade = || {
        let out = labdeck(
            rk,
            &[
                "grade",
                deck,
                "--kubeconfig",
                kc.to_str().unwrap(),
                "--contexts",
                "idle,done",
                "--only",
                "labeldemo-create",
                "--only",
                "labeldemo-cleanup",
                "--timeout",
                "0",
                "--format",
                "json",
                "--history",
                history.to_str().unwrap(),
            ],
        );
        let json = out.json();
        let cell = |student: &str, id: &str| -> (String, String) {
            let c = json["clusters"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["name"] == student)
                .unwrap();
            let r = c["results"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["id"] == id)
                .unwrap();
            (
                r["verdict"].as_str().unwrap().to_string(),
                r["message"].as_str().unwrap_or("").to_string(),
            )
        };
        (
            cell("idle", "labeldemo-cleanup"),
            cell("done", "labeldemo-create"),
            cell("done", "labeldemo-cleanup"),
        )
    };
    let (idle, created, not_yet) = grade();
    assert_eq!(idle.0, "fail", "nothing done is not a tick: {idle:?}");
    assert!(idle.1.contains("nothing to clean up yet"), "{idle:?}");
    assert_eq!(created.0, "pass", "{created:?}");
    assert_eq!(not_yet.0, "fail", "labeldemo is still there: {not_yet:?}");
    // The student cleans up: the deck's own command.
    let played = play(
        rk,
        spaces[1].kubeconfig_str(),
        deck,
        None,
        "labeldemo-cleanup",
        &work,
    );
    assert_eq!(played.code, 0, "{}", played.all());
    let (idle, _, cleaned) = grade();
    assert_eq!(
        cleaned.0, "pass",
        "create passed in the history, then cleaned: {cleaned:?}"
    );
    assert_eq!(idle.0, "fail", "{idle:?}");
}

/// Four exercises (config maps `one`..`four`), then `tidy`: no secret
/// `scratch`, a check that holds on an empty namespace and whose objects no
/// earlier exercise makes (vacuous, no prerequisite).
fn five_exercises() -> String {
    let mut chapters: Vec<String> = ["one", "two", "three", "four"]
        .iter()
        .map(|id| {
            one_exercise(
                id,
                &format!("expect:\n  - kind: configmaps\n    name: {id}\n"),
            )
        })
        .collect();
    chapters.push(one_exercise(
        "tidy",
        "expect:\n  - kind: secrets\n    name: scratch\n    count: 0\n",
    ));
    chapters.join("\n---\n\n")
}

/// A class folder: one kubeconfig per student (`NAME.yaml`), each the
/// kubeconfig of their namespace.
fn class_folder(students: &[(&str, &Ns)], dir: &std::path::Path) -> std::path::PathBuf {
    std::fs::create_dir_all(dir).unwrap();
    for (name, ns) in students {
        std::fs::copy(&ns.kubeconfig, dir.join(format!("{name}.yaml"))).unwrap();
    }
    dir.to_path_buf()
}

/// `labdeck grade DECK --kubeconfigs CLASS --serve` run from folder `cwd`
/// (where its default history goes), with `extra` arguments.
fn board_in(
    rk: &Realkube,
    cwd: &std::path::Path,
    deck: &std::path::Path,
    class: &std::path::Path,
    extra: &[&str],
) -> Spawned {
    let args = board_args(deck.to_str().unwrap(), class.to_str().unwrap(), extra);
    let mut cmd = labdeck_cmd(rk, &args);
    cmd.current_dir(cwd);
    spawn_cmd(cmd, &args)
}

/// A tokio runtime for the browser's WebDriver client.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// Headless Chromium on the board at `url`, once it shows its rows.
async fn open_board(test: &str, url: &str) -> browser::Browser {
    let b = browser::start(test).await;
    b.client.set_window_size(1280, 800).await.unwrap();
    goto_board(&b, url).await;
    b
}

async fn goto_board(b: &browser::Browser, url: &str) {
    b.client.goto(url).await.unwrap();
    b.wait_for(
        "window.labdeckBoard && window.labdeckBoard.state() && document.querySelectorAll('#board tbody tr').length > 0",
        "the board",
    )
    .await;
}

/// A JS expression: the element `css` within student `name`'s row.
fn in_row(name: &str, css: &str) -> String {
    format!("document.querySelector('tr[data-student=\"{name}\"] {css}')")
}

/// The text of `css` in `name`'s row, as the page shows it.
async fn row_text(b: &browser::Browser, name: &str, css: &str) -> String {
    let v = b
        .eval(&format!("return {}.textContent;", in_row(name, css)))
        .await;
    v.as_str().unwrap_or_default().to_string()
}

/// The page's console errors, but for the event streams of the boards
/// stopped on purpose (`stopped`: their URLs), which end mid-stream.
async fn errors_besides(b: &browser::Browser, stopped: &[&str]) -> Vec<String> {
    let streams: Vec<String> = stopped
        .iter()
        .map(|url| format!("http://{}/events ", authority(url)))
        .collect();
    b.console_errors()
        .await
        .into_iter()
        .filter(|e| !streams.iter().any(|s| e.starts_with(s.as_str())))
        .collect()
}

/// Seconds in "… for N s" / "… for N min" (minutes as seconds).
fn for_seconds(text: &str) -> u64 {
    let tail = text.rsplit(" for ").next().unwrap_or_default();
    let mut parts = tail.split_whitespace();
    let n: u64 = parts
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no duration in {text:?}"));
    match parts.next() {
        Some("s") => n,
        Some("min") => n * 60,
        other => panic!("unit {other:?} in {text:?}"),
    }
}

/// A student ahead of the board: ana did one, two and three while the
/// board watched, then undid one's state (deleted its config map). She is
/// on four (after her furthest pass), not stuck and not back on one;
/// `tidy`, which holds on her namespace as on an empty one, does not place
/// her (nor bo, who did only one) past the end. Read from the page, with
/// the keyboard.
pub fn board_student_ahead(rk: &Realkube) {
    let ana = Ns::new(rk, "ahead-ana");
    let bo = Ns::new(rk, "ahead-bo");
    let work = tempfile::tempdir().unwrap();
    let deck = work.path().join("lab.md");
    std::fs::write(&deck, five_exercises()).unwrap();
    let class = class_folder(&[("ana", &ana), ("bo", &bo)], &work.path().join("class"));
    // Rounds watch what does not hold yet for --timeout; what was undone
    // shows at the next round.
    let server = board_in(
        rk,
        work.path(),
        &deck,
        &class,
        &["--stuck", "10m", "--timeout", "3s"],
    );
    runtime().block_on(async {
        let b = open_board("realkube_board_ahead", &server.url).await;
        // bo does one; his namespace holds `tidy` too.
        bo.kubectl(&["create", "configmap", "one"]);
        b.wait_for(&in_row("bo", "td.pass[data-exercise=one]"), "bo's one passed")
            .await;
        b.wait_for(
            &in_row("bo", "td[data-exercise=tidy]:not(.none)"),
            "bo's tidy looked at",
        )
        .await;
        for id in ["one", "two", "three"] {
            ana.kubectl(&["create", "configmap", id]);
            b.wait_for(
                &in_row("ana", &format!("td.pass[data-exercise={id}]")),
                &format!("ana's {id} passed"),
            )
            .await;
        }
        ana.kubectl(&["delete", "configmap", "one"]);
        b.wait_for(
            &format!("{}.textContent.indexOf('(fail now)') > 0", in_row("ana", "td[data-exercise=one]")),
            "ana's one failing now, its first pass kept",
        )
        .await;
        // The keyboard's way to ana's place: Tab to her "on" cell, as a
        // screen reader hears it.
        b.tab_to("tr[data-student=\"ana\"] td.on").await;
        let heard = b
            .eval("return document.activeElement.getAttribute('aria-label');")
            .await;
        let heard = heard.as_str().unwrap();
        assert!(heard.starts_with("ana: four for "), "ana is on four: {heard}");
        let ana_on = row_text(&b, "ana", "td.on").await;
        assert!(ana_on.starts_with("four for "), "{ana_on}");
        assert_eq!(
            b.eval("return document.querySelector('tr[data-student=\"ana\"]').classList.contains('stuck');")
                .await,
            Value::Bool(false),
            "ana is ahead, not stuck"
        );
        let bo_on = b
            .eval(&format!("return {}.getAttribute('data-on');", in_row("bo", "td.on")))
            .await;
        assert_eq!(bo_on, "two", "bo is on two, not past tidy");
        let tidy = b
            .eval(&format!("return {}.className;", in_row("bo", "td[data-exercise=tidy]")))
            .await;
        // The gate lets tidy through (no prerequisite) but placement does
        // not count it: a neutral cell, not a pass (held_early).
        assert_eq!(tidy, "early", "tidy holds but does not count for bo yet");
        let summary = b.eval("return document.getElementById('summary').textContent;").await;
        assert!(summary.as_str().unwrap().starts_with("2 students, 0 done, 0 stuck"), "{summary}");
        let snap = board(&authority(&server.url));
        let furthest = |n: &str| {
            snap["students"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["name"] == n)
                .map(|s| s["furthest"].clone())
                .unwrap()
        };
        assert_eq!(furthest("ana"), "three");
        assert_eq!(furthest("bo"), "one");
        assert!(b.console_errors().await.is_empty());
        b.close().await;
    });
}

/// A board restart keeps every stuck clock and "helped at": ana passes
/// one, the instructor marks her helped (Tab, Enter), bo does nothing;
/// both are stuck when the board is stopped. The board started again on
/// the same class (same folder, default history) shows them stuck at once,
/// for at least as long as before, and ana's "helped at" unchanged: read
/// from the page.
pub fn board_restart_keeps_clocks(rk: &Realkube) {
    let ana = Ns::new(rk, "restart-ana");
    let bo = Ns::new(rk, "restart-bo");
    let work = tempfile::tempdir().unwrap();
    let deck = work.path().join("lab.md");
    std::fs::write(&deck, five_exercises()).unwrap();
    let class = class_folder(&[("ana", &ana), ("bo", &bo)], &work.path().join("class"));
    let stuck = ["--stuck", "3s"];
    let stuck_row = |name: &str| {
        format!("document.querySelector('tr[data-student=\"{name}\"]').classList.contains('stuck')")
    };
    let first = board_in(rk, work.path(), &deck, &class, &stuck);
    runtime().block_on(async {
        let b = open_board("realkube_board_restart", &first.url).await;
        ana.kubectl(&["create", "configmap", "one"]);
        b.wait_for(
            &in_row("ana", "td.pass[data-exercise=one]"),
            "ana's one passed",
        )
        .await;
        // Keyboard only: Tab to ana's "helped" button, Enter.
        b.tab_to("tr[data-student=\"ana\"] td.help button").await;
        b.press(keys::ENTER).await;
        b.wait_for(&in_row("ana", "td.help .helped-at"), "ana marked helped")
            .await;
        let helped_at = row_text(&b, "ana", "td.help").await;
        assert!(helped_at.contains(" at "), "{helped_at}");
        b.wait_for(
            &format!("{} && {}", stuck_row("ana"), stuck_row("bo")),
            "both stuck (3 s without progress)",
        )
        .await;
        let before = (
            row_text(&b, "ana", "td.on").await,
            row_text(&b, "bo", "td.on").await,
        );
        assert!(before.0.starts_with("stuck on two for "), "{before:?}");
        assert!(before.1.starts_with("stuck on one for "), "{before:?}");
        let snap = board(&authority(&first.url));
        let stopped = first.url.clone();
        drop(first);

        // Started again: the same class from the same folder.
        let second = board_in(rk, work.path(), &deck, &class, &stuck);
        goto_board(&b, &second.url).await;
        // The first render, before any new round could matter: stuck
        // already, for no less time than before the stop.
        let after = (
            row_text(&b, "ana", "td.on").await,
            row_text(&b, "bo", "td.on").await,
            b.eval(&format!(
                "return {} && {};",
                stuck_row("ana"),
                stuck_row("bo")
            ))
            .await,
        );
        assert!(after.0.starts_with("stuck on two for "), "{after:?}");
        assert!(after.1.starts_with("stuck on one for "), "{after:?}");
        assert_eq!(after.2, Value::Bool(true), "{after:?}");
        assert!(
            for_seconds(&after.0) >= for_seconds(&before.0)
                && for_seconds(&after.1) >= for_seconds(&before.1),
            "the clocks went on, not back to zero: {before:?} then {after:?}"
        );
        assert_eq!(row_text(&b, "ana", "td.help").await, helped_at);
        let again = board(&authority(&second.url));
        for name in ["ana", "bo"] {
            let row = |s: &Value| {
                s["students"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["name"] == name)
                    .cloned()
                    .unwrap()
            };
            let (was, is) = (row(&snap), row(&again));
            for key in ["joined_ms", "helped_ms", "last_progress_ms"] {
                assert_eq!(was[key], is[key], "{name}'s {key}");
            }
        }
        // One history, in the folder the boards ran from.
        let histories: Vec<_> = std::fs::read_dir(work.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| {
                e.file_name()
                    .to_string_lossy()
                    .ends_with(".grade-history.jsonl")
            })
            .collect();
        assert_eq!(histories.len(), 1);
        let errors = errors_besides(&b, &[&stopped]).await;
        assert!(errors.is_empty(), "{errors:?}");
        b.close().await;
        drop(second);
    });
}

/// Two classes from one folder: class A (ana did one) and class B (an ana
/// who did nothing), each a kubeconfigs folder, boards run one after the
/// other from the same working directory with the default history. B's
/// board never shows A's pass, and each page says whose history it shows.
/// A third board, `--class tuesday` over A's folder, keeps its own.
pub fn two_classes_from_one_folder(rk: &Realkube) {
    let ana_a = Ns::new(rk, "classes-a");
    let ana_b = Ns::new(rk, "classes-b");
    let work = tempfile::tempdir().unwrap();
    let deck = work.path().join("lab.md");
    std::fs::write(&deck, five_exercises()).unwrap();
    let cwd = work.path().join("room");
    std::fs::create_dir(&cwd).unwrap();
    let class_a = class_folder(&[("ana", &ana_a)], &work.path().join("class-a"));
    let class_b = class_folder(&[("ana", &ana_b)], &work.path().join("class-b"));
    ana_a.kubectl(&["create", "configmap", "one"]);
    let whose = "document.getElementById('whose').textContent";
    runtime().block_on(async {
        let a = board_in(rk, &cwd, &deck, &class_a, &[]);
        let b = open_board("realkube_two_classes", &a.url).await;
        b.wait_for(
            &in_row("ana", "td.pass[data-exercise=one]"),
            "class A's ana passed one",
        )
        .await;
        let full_a = std::fs::canonicalize(&class_a).unwrap();
        let said = b.eval(&format!("return {whose};")).await;
        let said = said.as_str().unwrap().to_string();
        assert!(
            said.starts_with(&format!("history of kubeconfigs {}", full_a.display())),
            "{said}"
        );
        let stopped_a = a.url.clone();
        drop(a);

        let bb = board_in(rk, &cwd, &deck, &class_b, &[]);
        goto_board(&b, &bb.url).await;
        b.wait_for(
            &in_row("ana", "td.fail[data-exercise=one]"),
            "class B's ana looked at",
        )
        .await;
        // Keyboard: Tab to B's ana on one, as a screen reader hears it.
        b.tab_to("tr[data-student=\"ana\"] td[data-exercise=one]")
            .await;
        let heard = b
            .eval("return document.activeElement.getAttribute('aria-label');")
            .await;
        assert_eq!(
            heard, "ana, one: not yet",
            "class B inherits nothing from A"
        );
        let said = b.eval(&format!("return {whose};")).await;
        let said = said.as_str().unwrap().to_string();
        let full_b = std::fs::canonicalize(&class_b).unwrap();
        assert!(
            said.starts_with(&format!("history of kubeconfigs {}", full_b.display())),
            "{said}"
        );
        let on = row_text(&b, "ana", "td.on").await;
        assert!(on.starts_with("one for "), "{on}");
        let stopped_b = bb.url.clone();
        drop(bb);

        // Named: A's folder as class tuesday starts from nothing of A's.
        let started = labdeck::grade::history::now_ms();
        let c = board_in(rk, &cwd, &deck, &class_a, &["--class", "tuesday"]);
        goto_board(&b, &c.url).await;
        let said = b.eval(&format!("return {whose};")).await;
        assert!(
            said.as_str()
                .unwrap()
                .starts_with("history of class tuesday ("),
            "{said}"
        );
        b.wait_for(
            &in_row("ana", "td.pass[data-exercise=one]"),
            "tuesday's ana passes one now",
        )
        .await;
        let first = b
            .eval("return window.labdeckBoard.state().students[0].cells.one.first_pass_ms;")
            .await
            .as_u64()
            .unwrap();
        assert!(
            first >= started,
            "tuesday's first pass is its own: {first} < {started}"
        );
        let errors = errors_besides(&b, &[&stopped_a, &stopped_b]).await;
        assert!(errors.is_empty(), "{errors:?}");
        b.close().await;
        drop(c);
        let mut files: Vec<String> = std::fs::read_dir(&cwd)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        assert_eq!(files.len(), 3, "one history per class: {files:?}");
        assert!(
            files.iter().any(|f| f == "lab.tuesday.grade-history.jsonl"),
            "{files:?}"
        );
    });
}
