//! The loopback fake Kubernetes API of the tests, as a program: for trying
//! `labdeck check` by hand, for the README transcript and for
//! `scripts/bench-check.sh`.
//!
//! ```text
//! cargo run --example fake_apiserver -- [--latency 100ms] [--state NAME] [--kubeconfig FILE]
//!     [--discovery v2|v2-only|v2beta1|legacy] [--fault MATCH:COUNT:429|500|503|drop]...
//! ```
//!
//! `--discovery` picks the discovery documents offered (default: aggregated
//! v2 and v2beta1, as Kubernetes 1.30-1.32). `--fault` answers the first
//! COUNT requests whose `GET /path?query` contains MATCH with a 429
//! (Retry-After: 1), a 500, a 503 or a dropped connection, e.g.
//! `--fault /pods?:2:503`.
//!
//! States (the sample deck's labels chapter): `empty`, `created` (after
//! labeldemo-create), `relabelled` (after labeldemo-relabel), `converging`
//! (relabelled, the replacement Pending for 2s then Running). Every request
//! is logged on stderr as `request: GET /path?query`.

#[path = "../tests/support/apiserver.rs"]
#[allow(dead_code)]
mod apiserver;
#[path = "../tests/support/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use std::sync::Arc;
use std::time::Duration;

use apiserver::{DiscoveryFormats, FakeApiServer, Fault};
use fixtures::*;

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut latency = Duration::ZERO;
    let mut state = "relabelled".to_string();
    let mut kubeconfig = std::path::PathBuf::from("fake.kubeconfig");
    let mut discovery = DiscoveryFormats::V2AndV2Beta1;
    let mut faults: Vec<(String, usize, Fault)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let v = args.next().ok_or(format!("{a} needs a value"))?;
        match a.as_str() {
            "--latency" => latency = humantime::parse_duration(&v).map_err(|e| e.to_string())?,
            "--state" => state = v,
            "--kubeconfig" => kubeconfig = v.into(),
            "--discovery" => {
                discovery = match v.as_str() {
                    "v2" => DiscoveryFormats::V2AndV2Beta1,
                    "v2-only" => DiscoveryFormats::V2Only,
                    "v2beta1" => DiscoveryFormats::V2Beta1Only,
                    "legacy" => DiscoveryFormats::Legacy,
                    other => {
                        return Err(format!(
                            "--discovery {other}: want v2, v2-only, v2beta1 or legacy"
                        ));
                    }
                }
            }
            "--fault" => {
                let mut parts = v.rsplitn(3, ':');
                let (Some(kind), Some(count), Some(what)) =
                    (parts.next(), parts.next(), parts.next())
                else {
                    return Err(format!("--fault {v}: want MATCH:COUNT:KIND"));
                };
                let count: usize = count.parse().map_err(|e| format!("--fault {v}: {e}"))?;
                let fault = match kind {
                    "429" => Fault::TooManyRequests { retry_after: 1 },
                    "drop" => Fault::Drop,
                    code => Fault::Status(
                        code.parse()
                            .map_err(|_| format!("--fault {v}: KIND is 429, 500, 503 or drop"))?,
                    ),
                };
                faults.push((what.to_string(), count, fault));
            }
            _ => return Err(format!("unknown option {a}")),
        }
    }
    let fake = Arc::new(FakeApiServer::start().await);
    fake.set_latency(latency);
    fake.set_discovery(discovery);
    for (what, count, fault) in faults {
        fake.inject(&[what.as_str()], count, fault);
    }
    let active = "labeldemo-5b7c9d8f6d-p2rk9";
    let replacement = "labeldemo-5b7c9d8f6d-lr62s";
    if state != "empty" {
        fake.apply(deployment("labeldemo"));
        fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
        fake.apply(pod(active));
    }
    match state.as_str() {
        "empty" | "created" => {}
        "relabelled" => {
            fake.apply(orphan(label(pod(active), "isactive", "no")));
            fake.apply(pod(replacement));
        }
        "converging" => {
            fake.apply(orphan(label(pod(active), "isactive", "no")));
            fake.apply(pending(pod(replacement)));
            fake.apply_after(Duration::from_secs(2), pod(replacement));
        }
        other => return Err(format!("unknown state {other}")),
    }
    std::fs::write(
        &kubeconfig,
        fake.kubeconfig_yaml("student-token", "default"),
    )
    .map_err(|e| format!("{}: {e}", kubeconfig.display()))?;
    fake.clear_requests();
    println!(
        "fake API on {} (state {state}), kubeconfig {}",
        fake.url(),
        kubeconfig.display()
    );
    let mut seen = 0;
    loop {
        tokio::time::sleep(Duration::from_millis(20)).await;
        let reqs = fake.requests();
        for r in &reqs[seen..] {
            eprintln!("request: {r}");
        }
        seen = reqs.len();
    }
}
