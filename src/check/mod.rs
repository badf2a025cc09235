//! Checks: parse the `<!-- check -->` YAML of each exercise, evaluate it
//! against objects, and wait for a cluster to converge.
//!
//! `spec` (text -> typed checks, no cluster) -> `eval` (objects -> outcome,
//! pure) -> `engine` (a `ClusterSource` + checks -> verdicts).

pub mod cel;
pub mod engine;
pub mod eval;
pub mod overlay;
pub mod prepare;
pub mod quantity;
pub mod rbac;
pub mod say;
pub mod selector;
pub mod spec;
pub mod vacuous;

pub use eval::ObjectResult;
pub use spec::{Check, Expectation};
