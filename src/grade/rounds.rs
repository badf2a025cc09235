//! Grading rounds: one round checks every cluster once and makes one
//! [`GradeReport`]; `grade --watch` repeats rounds, a pause between two,
//! until told to stop. The command line only shows them (progress bar,
//! table, `--out` file) through a [`Follower`].

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use crate::check::engine::Plan;
use crate::classroom::history::{self, History};
use crate::error::Result;
use crate::report::Summary;

use super::report::GradeReport;
use super::{ClusterResult, GradeOptions, Target, grade};

/// What a round's checks wait for: `--timeout` if given; otherwise the
/// checks' own timeouts, except that a round of `--watch` looks once
/// (the next round looks again).
pub fn check_timeout(timeout: Option<Duration>, watching: bool) -> Option<Duration> {
    if watching {
        timeout.or(Some(Duration::ZERO))
    } else {
        timeout
    }
}

/// Grades every cluster once; `on_done` is called as each one finishes.
pub async fn round(
    targets: &[Target],
    plans: &[Plan],
    opts: &GradeOptions,
    on_done: &(dyn Fn(&ClusterResult) + Send + Sync),
) -> GradeReport {
    let clusters = grade(targets, plans, opts, on_done).await;
    GradeReport::new(plans, clusters)
}

/// Stamps `report` with when each exercise first passed, from the history
/// file at `path` (created if missing; this round's first passes are
/// appended). Returns the history's warning, if it had one (a damaged
/// line skipped).
pub fn stamp_history(path: &Path, report: &mut GradeReport) -> Result<Option<String>> {
    let (history, warning) = History::open(path)?;
    history.stamp(report, history::now_ms())?;
    Ok(warning)
}

/// Follows the rounds of [`watch`].
pub trait Follower: Sync {
    type Error;
    /// A round over `clusters` clusters begins.
    fn round_started(&mut self, _clusters: usize) {}
    /// One cluster of the round is done (called from the round's tasks).
    fn cluster_done(&self, _cluster: &ClusterResult) {}
    /// Round `n` (from 1) is done; an error ends the watch.
    fn round_done(&mut self, n: u64, report: &GradeReport) -> std::result::Result<(), Self::Error>;
}

/// Rounds until `stop` completes (Ctrl-C), `interval` between the end of
/// one and the start of the next. A round cut short by `stop` is dropped.
/// Returns the summary of the last whole round (all zero if there was
/// none).
pub async fn watch<F: Follower>(
    targets: &[Target],
    plans: &[Plan],
    opts: &GradeOptions,
    interval: Duration,
    stop: impl Future<Output = ()>,
    follower: &mut F,
) -> std::result::Result<Summary, F::Error> {
    let mut stop = std::pin::pin!(stop);
    let mut last = Summary::default();
    let mut n = 0u64;
    loop {
        follower.round_started(targets.len());
        let report = {
            let f: &F = follower;
            let on_done = |c: &ClusterResult| f.cluster_done(c);
            tokio::select! {
                r = round(targets, plans, opts, &on_done) => r,
                () = &mut stop => break,
            }
        };
        n += 1;
        last = report.summary;
        follower.round_done(n, &report)?;
        tokio::select! {
            () = tokio::time::sleep(interval) => {}
            () = &mut stop => break,
        }
    }
    Ok(last)
}
