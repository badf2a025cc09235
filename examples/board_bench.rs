//! How fast the live class board (`labdeck grade --serve`) shows a change:
//! N loopback fake API servers answering every request after LATENCY, the
//! real `labdeck` binary following them all, and this program listening to
//! the board's event stream like an open board page does.
//!
//! ```text
//! cargo run --release --example board_bench -- --bin target/release/labdeck --n 200 --latency 150ms --changes 20
//! ```
//!
//! Every student starts with nothing done (the labels chapter's create
//! exercise fails). Once every student's cell is on the board, the
//! deployment is created on one student's cluster at a time (`--changes` of
//! them, spread over the class) and the time from that change to the board's
//! `cell` event saying "pass" is measured. Prints each, then the median, the
//! 90th percentile and the largest, and labdeck's peak memory (VmHWM).
//!
//! The fake delays every response by LATENCY (so connecting, discovery,
//! lists and opening watches cost what they would over that network); an
//! event on an open watch is sent when the change happens, as the API
//! server does, so the figure is labdeck's own time from the watch event to
//! the board's event (plus loopback), the path a real change takes once
//! the board is following the class.

#[path = "../tests/support/apiserver.rs"]
#[allow(dead_code)]
mod apiserver;
#[path = "../tests/support/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::process::Stdio;
use std::time::{Duration, Instant};

use apiserver::FakeApiServer;
use fixtures::*;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

struct Args {
    bin: String,
    n: usize,
    latency: Duration,
    changes: usize,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        bin: "target/release/labdeck".into(),
        n: 200,
        latency: Duration::from_millis(150),
        changes: 20,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        match k.as_str() {
            "--bin" => a.bin = v,
            "--n" => a.n = v.parse().map_err(|e| format!("--n: {e}"))?,
            "--latency" => a.latency = humantime::parse_duration(&v).map_err(|e| e.to_string())?,
            "--changes" => a.changes = v.parse().map_err(|e| format!("--changes: {e}"))?,
            _ => return Err(format!("unknown option {k}")),
        }
    }
    Ok(a)
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn peak_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let a = args()?;
    let work = tempfile::tempdir().map_err(|e| e.to_string())?;
    let class = work.path().join("class");
    std::fs::create_dir(&class).map_err(|e| e.to_string())?;
    let mut fleet = Vec::with_capacity(a.n);
    for i in 0..a.n {
        let fake = FakeApiServer::start().await;
        fake.set_latency(a.latency);
        let kc = class.join(format!("student-{i:03}.yaml"));
        std::fs::write(&kc, fake.kubeconfig_yaml("t", "default")).map_err(|e| e.to_string())?;
        fleet.push(fake);
    }
    let history = work.path().join("history.jsonl");
    let mut child = tokio::process::Command::new(&a.bin)
        .args([
            "grade",
            "slides/labdeck-sample.yml",
            "--kubeconfigs",
            class.to_str().unwrap_or_default(),
            "--only",
            "labeldemo-create",
            "--serve",
            "--listen",
            "127.0.0.1:0",
            "--history",
            history.to_str().unwrap_or_default(),
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("{}: {e}", a.bin))?;
    let pid = child.id().unwrap_or(0);
    let mut out = BufReader::new(child.stdout.take().ok_or("no stdout")?).lines();
    let addr = loop {
        let line = out
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("labdeck ended before printing its URL")?;
        if let Some(at) = line.find("http://") {
            let url: String = line[at + 7..].chars().take_while(|c| *c != '/').collect();
            break url;
        }
    };
    // The board's event stream, as a page reads it.
    let mut sse = tokio::net::TcpStream::connect(&addr)
        .await
        .map_err(|e| e.to_string())?;
    sse.write_all(format!("GET /events HTTP/1.1\r\nHost: {addr}\r\n\r\n").as_bytes())
        .await
        .map_err(|e| e.to_string())?;
    let mut events = BufReader::new(sse).lines();
    let started = Instant::now();
    // Wait for every student's first verdict (fail: nothing created yet).
    let mut seen = std::collections::HashSet::new();
    while seen.len() < a.n {
        let line = events
            .next_line()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("stream ended")?;
        if let Some(json) = line.strip_prefix("data: ") {
            let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
            if v["type"] == "cell" {
                seen.insert(v["student"].as_str().unwrap_or_default().to_string());
            }
        }
    }
    eprintln!(
        "{} students on the board after {:.2?} (latency {:?})",
        a.n,
        started.elapsed(),
        a.latency
    );
    // Let the first round's watches open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let step = (a.n / a.changes.max(1)).max(1);
    let mut times = Vec::new();
    for k in (0..a.n).step_by(step).take(a.changes) {
        let student = format!("student-{k:03}");
        let t0 = Instant::now();
        fleet[k].apply(deployment("labeldemo"));
        fleet[k].apply(replicaset("labeldemo-5b7c9d8f6d"));
        fleet[k].apply(pod("labeldemo-5b7c9d8f6d-p2rk9"));
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), events.next_line())
                .await
                .map_err(|_| format!("{student}: no pass on the board within 30s"))?
                .map_err(|e| e.to_string())?
                .ok_or("stream ended")?;
            if let Some(json) = line.strip_prefix("data: ") {
                let v: serde_json::Value = serde_json::from_str(json).map_err(|e| e.to_string())?;
                if v["type"] == "cell"
                    && v["student"] == student.as_str()
                    && v["cell"]["verdict"] == "pass"
                {
                    break;
                }
            }
        }
        let dt = t0.elapsed();
        println!("{student}: change on the board after {:.1} ms", ms(dt));
        times.push(dt);
    }
    times.sort();
    let pick = |q: f64| times[((times.len() as f64 - 1.0) * q).round() as usize];
    if !times.is_empty() {
        println!(
            "change to board, {} changes over {} clusters at {:?} per request: median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
            times.len(),
            a.n,
            a.latency,
            ms(pick(0.5)),
            ms(pick(0.9)),
            ms(pick(1.0))
        );
    }
    if let Some(kib) = peak_kib(pid) {
        println!(
            "labdeck grade --serve peak memory (VmHWM): {} MiB",
            kib / 1024
        );
    }
    let _ = child.kill().await;
    Ok(())
}
