//! `labdeck run`: play a deck's exercises in a shell, as a student would,
//! then check each one.
//!
//! [`plan`] turns exercises into actions, [`session`] is the shell,
//! [`executor`] plays the actions in the shell, [`verify`] checks each
//! exercise with the checker engine, [`report`] records it; [`sandbox`]
//! sets a run up against a cluster and takes it down.

pub mod executor;
pub mod interrupt;
pub mod plan;
pub mod report;
pub mod sandbox;
pub mod session;
pub mod target;
pub mod verify;

pub use executor::{Event, ExerciseVerifier, RunOptions, SkipChecks, run};
pub use plan::{Action, PlannedExercise, plan};
pub use report::{ExerciseStatus, RunReport, StepOutcome};
pub use sandbox::Sandbox;
pub use session::{Session, SessionOptions};
pub use target::Target;
pub use verify::ClusterVerifier;
