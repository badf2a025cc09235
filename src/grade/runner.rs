//! Every cluster checked at once: one future per student, at most
//! `concurrency` in flight, each bounded by its own timeouts. Students whose
//! kubeconfigs reach the same server (same URL, CA, TLS server name and
//! proxy) share what discovery told, for the round (see
//! [`DiscoveryShare`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};

use crate::check::engine::{self, ExerciseResult, Options, Plan};
use crate::cluster::{ClusterError, ConnectOptions, DiscoveryShare, KubeSource};
use crate::report::Summary;

use super::targets::{Kubeconfigs, StudentCluster};

#[derive(Debug, Clone)]
pub struct GradeOptions {
    /// Clusters checked at the same time.
    pub concurrency: usize,
    /// Connect and per-request timeouts, applied to each cluster
    /// (`kubeconfig`/`context` are ignored: each target has its own).
    pub connect: ConnectOptions,
    pub engine: Options,
}

impl Default for GradeOptions {
    fn default() -> Self {
        GradeOptions {
            concurrency: 100,
            connect: ConnectOptions {
                connect_timeout: Duration::from_secs(5),
                request_timeout: Duration::from_secs(10),
                ..Default::default()
            },
            engine: Options::default(),
        }
    }
}

/// One student's verdicts, as `grade --format json` prints them.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ClusterResult {
    /// The student (kubeconfig file stem, or context name).
    pub name: String,
    pub summary: Summary,
    /// From the start of the run until this cluster's last verdict.
    pub elapsed_ms: u64,
    /// Shaped as in `check --format json`, in deck order.
    pub results: Vec<ExerciseResult>,
    /// When each exercise first passed (RFC 3339), by exercise id: kept by
    /// `grade --serve` across rounds and restarts; empty otherwise.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub first_passed: std::collections::BTreeMap<String, String>,
    /// Where the student is: the exercise after the furthest one passed,
    /// now or in `first_passed` ([`super::progress`]); `null` when the
    /// last one has passed. Set by [`super::report::GradeReport::recount`].
    #[serde(default)]
    pub on: Option<String>,
}

impl ClusterResult {
    fn new(name: &str, results: Vec<ExerciseResult>, start: Instant) -> ClusterResult {
        ClusterResult {
            name: name.to_string(),
            summary: Summary::of(&results),
            elapsed_ms: crate::duration::millis(start.elapsed()),
            results,
            first_passed: Default::default(),
            on: None,
        }
    }
}

/// Grades every target against `plans`, calling `on_done` as each cluster
/// finishes (for a progress bar). Results come back in `targets` order.
///
/// Each cluster is its own task on the current runtime, so a multi-thread
/// runtime spreads decoding answers over its threads.
pub async fn grade(
    targets: &[StudentCluster],
    plans: &[Plan],
    opts: &GradeOptions,
    on_done: &(dyn Fn(&ClusterResult) + Send + Sync),
) -> Vec<ClusterResult> {
    let start = Instant::now();
    let plans: Arc<[Plan]> = plans.into();
    let shared = Arc::new(opts.clone());
    // Students on one cluster (contexts of one server) read its discovery once.
    let discovery = Arc::new(DiscoveryShare::default());
    let mut done: Vec<(usize, ClusterResult)> = futures::stream::iter(targets.iter().enumerate())
        .map(|(i, t)| {
            let (t, plans, opts) = (t.clone(), plans.clone(), shared.clone());
            let discovery = discovery.clone();
            async move {
                let name = t.name.clone();
                let mine = plans.clone();
                let task =
                    tokio::spawn(async move { one(&t, &mine, &opts, &discovery, start).await });
                let r = match task.await {
                    Ok(r) => r,
                    // A bug in one cluster's checking is that student's
                    // `error`, not the end of the run.
                    Err(e) => {
                        let why = ClusterError::Other(format!("{name}: grading failed: {e}"));
                        ClusterResult::new(&name, engine::error_results(&plans, &why), start)
                    }
                };
                on_done(&r);
                (i, r)
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .collect()
        .await;
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

/// The longest a cluster may take before all its exercises are `error`:
/// discovery and the first list (each request bounded by the request
/// timeout), then the longest check timeout of watching. A backstop: the
/// engine's own timeouts normally end a run well before.
fn cluster_deadline(plans: &[Plan], opts: &GradeOptions) -> Duration {
    let longest = plans
        .iter()
        .map(|p| {
            opts.engine
                .timeout
                .or(p.check.timeout)
                .unwrap_or(opts.engine.default_timeout)
        })
        .max()
        .unwrap_or_default();
    longest
        .saturating_add(opts.connect.connect_timeout)
        .saturating_add(opts.connect.request_timeout.saturating_mul(4))
}

/// A client for one student's cluster.
pub async fn connect(
    t: &StudentCluster,
    opts: &ConnectOptions,
) -> Result<KubeSource, ClusterError> {
    let connect = ConnectOptions {
        kubeconfig: None,
        context: t.context.clone(),
        ..opts.clone()
    };
    match &t.kubeconfig {
        Kubeconfigs::File(path) => {
            KubeSource::connect(&ConnectOptions {
                kubeconfig: Some(path.clone()),
                ..connect
            })
            .await
        }
        Kubeconfigs::Shared(loaded) => {
            KubeSource::from_kubeconfig_at(
                loaded.kubeconfig.clone(),
                &loaded.origin.to_string(),
                &connect,
            )
            .await
        }
    }
}

async fn one(
    t: &StudentCluster,
    plans: &[Plan],
    opts: &GradeOptions,
    discovery: &DiscoveryShare,
    start: Instant,
) -> ClusterResult {
    let source = match connect(t, &opts.connect).await {
        Ok(s) => s.sharing(discovery),
        Err(e) => return ClusterResult::new(&t.name, engine::error_results(plans, &e), start),
    };
    // A cluster that cannot be checked at all is told at its first answer,
    // not after each check's timeout (issue 26); the report says it once
    // for the student (`report::grade`).
    if let Err(e) = engine::first_contact(&source, plans).await {
        return ClusterResult::new(&t.name, engine::error_results(plans, &e), start);
    }
    let deadline = cluster_deadline(plans, opts);
    let run = engine::run(&source, plans, &opts.engine, &|_| {});
    let mut results = match tokio::time::timeout(deadline, run).await {
        Ok(r) => r,
        Err(_) => engine::error_results(
            plans,
            &ClusterError::Unreachable(format!(
                "{}: no verdict within {}",
                t.name,
                humantime::format_duration(deadline)
            )),
        ),
    };
    // A cleanup counts once what it cleans up was done (this round; the
    // history, when kept, is consulted by `stamp_history`).
    crate::check::vacuous::gate(plans, &mut results, |_| false);
    ClusterResult::new(&t.name, results, start)
}
