//! Grading a class: the check engine run over every student's cluster at
//! once.
//!
//! `targets` (a folder of kubeconfigs, or contexts of one kubeconfig) ->
//! `runner` (one [`engine::run`](crate::check::engine::run) per cluster,
//! concurrently, with a bound and per-cluster timeouts) -> `rounds` (one
//! report per round; `--watch` repeats them) -> `report` (table, JSON, CSV,
//! JUnit, HTML). A student whose cluster cannot be reached gets
//! `error` verdicts; nothing one student does can end the run.

pub mod history;
pub mod progress;
pub mod report;
pub mod rounds;
mod runner;
mod targets;

pub use rounds::{Follower, check_timeout, round, stamp_history, watch};
pub use runner::{ClusterResult, GradeOptions, connect, grade};
pub use targets::{Class, Kubeconfigs, StudentCluster, from_contexts, from_dir, resolve};
