//! Grading rounds: one round checks every cluster once and makes one
//! [`GradeReport`]; `grade --watch` repeats rounds, a pause between two,
//! until told to stop. The command line only shows them (progress bar,
//! table, `--out` file) through a [`Follower`].

use std::future::Future;
use std::path::Path;
use std::time::Duration;

use crate::check::engine::Plan;
use crate::error::Result;
use crate::grade::history::{self, History};
use crate::report::Summary;

use super::report::GradeReport;
use super::{ClusterResult, GradeOptions, StudentCluster, grade};

/// What a round's checks wait for: `--timeout` if given; otherwise a look
/// once (`look_once`: a snapshot, or a round of `--watch`, whose next round
/// looks again), or the checks' own timeouts (`grade --wait`).
pub fn check_timeout(timeout: Option<Duration>, look_once: bool) -> Option<Duration> {
    if look_once {
        timeout.or(Some(Duration::ZERO))
    } else {
        timeout
    }
}

/// Grades every cluster once; `on_done` is called as each one finishes.
pub async fn round(
    targets: &[StudentCluster],
    plans: &[Plan],
    opts: &GradeOptions,
    on_done: &(dyn Fn(&ClusterResult) + Send + Sync),
) -> GradeReport {
    let clusters = grade(targets, plans, opts, on_done).await;
    GradeReport::new(plans, clusters)
}

/// Stamps `report` with when each exercise first passed, from the history
/// file at `path` (created if missing; this round's first passes are
/// appended). A cleanup whose prerequisite passed in an earlier round
/// counts now (see [`crate::check::vacuous`]). Returns the history's
/// warning, if it had one (a damaged line skipped).
pub fn stamp_history(
    path: &Path,
    plans: &[Plan],
    report: &mut GradeReport,
) -> Result<Option<String>> {
    let (history, warning) = History::open(path)?;
    history.stamp(plans, report, history::now_ms())?;
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
    targets: &[StudentCluster],
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Counts rounds; fails the one numbered `fail_at`, and tells `stop`
    /// once `stop_after` rounds are done.
    struct Counter {
        started: u64,
        done: u64,
        fail_at: u64,
        stop_after: u64,
        stop: Option<tokio::sync::oneshot::Sender<()>>,
    }

    impl Follower for Counter {
        type Error = String;

        fn round_started(&mut self, clusters: usize) {
            assert_eq!(clusters, 0);
            self.started += 1;
        }

        fn round_done(&mut self, n: u64, report: &GradeReport) -> std::result::Result<(), String> {
            self.done += 1;
            assert_eq!(n, self.done, "rounds are numbered from 1");
            assert!(report.clusters.is_empty());
            if n == self.stop_after
                && let Some(tx) = self.stop.take()
            {
                let _ = tx.send(());
            }
            if n == self.fail_at {
                return Err(format!("round {n} failed"));
            }
            Ok(())
        }
    }

    fn counter(fail_at: u64, stop_after: u64) -> Counter {
        Counter {
            started: 0,
            done: 0,
            fail_at,
            stop_after,
            stop: None,
        }
    }

    #[tokio::test]
    async fn watch_ends_on_the_first_error_of_its_follower() {
        let mut f = counter(3, 0);
        let r = watch(
            &[],
            &[],
            &GradeOptions::default(),
            Duration::ZERO,
            std::future::pending(),
            &mut f,
        )
        .await;
        assert_eq!(r.unwrap_err(), "round 3 failed");
        assert_eq!((f.started, f.done), (3, 3));
    }

    #[tokio::test]
    async fn watch_ends_when_told_to_stop() {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let mut f = counter(u64::MAX, 2);
        f.stop = Some(tx);
        let stop = async {
            let _ = rx.await;
        };
        let last = watch(
            &[],
            &[],
            &GradeOptions::default(),
            Duration::ZERO,
            stop,
            &mut f,
        )
        .await
        .unwrap();
        assert_eq!(last, Summary::default());
        // Told after round 2 (a round already under way may still end).
        assert!(f.done >= 2, "{}", f.done);
        assert_eq!(f.started, f.done + u64::from(f.started > f.done));
    }

    #[test]
    fn a_watch_round_looks_once_unless_told() {
        let t = Some(Duration::from_secs(5));
        assert_eq!(check_timeout(None, true), Some(Duration::ZERO));
        assert_eq!(check_timeout(t, true), t);
        assert_eq!(check_timeout(None, false), None);
        assert_eq!(check_timeout(t, false), t);
    }
}
