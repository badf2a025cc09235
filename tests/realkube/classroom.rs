//! The classroom against the real cluster: `grade` of several contexts (one
//! namespace per student), the live board following them, and a student's
//! check from the served deck in headless Chromium.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::time::Duration;

use serde_json::Value;

use crate::cluster::{Ns, Realkube, labdeck, labdeck_cmd, play};
use crate::support::browser;
use crate::support::browser::keys;
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
    let mut child = labdeck_cmd(rk, args)
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
