//! A class of fake clusters: N loopback fake API servers (the tests'
//! `FakeApiServer`), each answering after a latency, and one kubeconfig per
//! student in a folder. For `benches/grade-bench.sh` and for trying
//! `labdeck grade` by hand.
//!
//! ```text
//! cargo run --example fake_fleet -- --n 30 --latency 150ms --dir /tmp/class
//! labdeck grade slides/labdeck-sample.yml --kubeconfigs /tmp/class
//! ```
//!
//! Students cycle through the labels chapter's states (`empty`, `created`,
//! `relabelled`, `readopted`, `cleaned`) unless `--state` fixes one. Prints
//! `ready` once every kubeconfig is written; on SIGINT/SIGTERM prints how
//! many requests the servers received (all of them) and how many were not
//! GET, then exits.

#[path = "../tests/support/apiserver.rs"]
#[allow(dead_code)]
mod apiserver;
#[path = "../tests/support/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::time::Duration;

use apiserver::FakeApiServer;
use fixtures::*;
use serde_json::json;

const STATES: &[&str] = &["empty", "created", "relabelled", "readopted", "cleaned"];

fn set_state(fake: &FakeApiServer, state: &str) -> Result<(), String> {
    let active = "labeldemo-5b7c9d8f6d-p2rk9";
    let replacement = "labeldemo-5b7c9d8f6d-lr62s";
    if matches!(state, "empty" | "cleaned") {
        return Ok(());
    }
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod(active));
    match state {
        "created" => {}
        "relabelled" => {
            fake.apply(orphan(label(pod(active), "isactive", "no")));
            fake.apply(pod(replacement));
        }
        "readopted" => {
            let mut p = pod(replacement);
            p["metadata"]["deletionTimestamp"] = json!("2026-11-24T06:40:00Z");
            fake.apply(p);
        }
        other => return Err(format!("unknown state {other}")),
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut n = 30usize;
    let mut latency = Duration::ZERO;
    let mut state: Option<String> = None;
    let mut dir = std::path::PathBuf::from("class");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--n" => n = v.parse().map_err(|e| format!("--n: {e}"))?,
            "--latency" => latency = humantime::parse_duration(&v).map_err(|e| e.to_string())?,
            "--state" => state = Some(v),
            "--dir" => dir = v.into(),
            _ => return Err(format!("unknown option {a}")),
        }
    }
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut fleet = Vec::with_capacity(n);
    for i in 0..n {
        let fake = FakeApiServer::start().await;
        let s = state.as_deref().unwrap_or(STATES[i % STATES.len()]);
        set_state(&fake, s)?;
        fake.set_latency(latency);
        fake.clear_requests();
        let path = dir.join(format!("student-{i:03}.yaml"));
        std::fs::write(&path, fake.kubeconfig_yaml("student-token", "default"))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        fleet.push(fake);
    }
    println!("ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    let all: Vec<String> = fleet.iter().flat_map(|f| f.requests()).collect();
    let writes = all.iter().filter(|r| !r.starts_with("GET ")).count();
    eprintln!("requests: {} (not GET: {writes})", all.len());
    Ok(())
}
