//! The check after an exercise's commands, as `labdeck run` does it: the
//! checker engine (the same as `labdeck check`) against the run's context,
//! its structured verdict kept whole for the run's report.
//!
//! The pinned kubeconfig is read again for every check, so that a deck's
//! `kubectl config set-context --current --namespace=...` applies to its
//! checks as to its commands; `replaced`/`started` compare creation times
//! with the start of the exercise's commands (the previous check's end).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use crate::check::engine::{self, ExerciseResult, Plan, Verdict};
use crate::cluster::kubeconfig::PinnedKubeconfig;
use crate::cluster::{ClusterError, ConnectOptions, KubeSource};
use crate::error::{Error, Result};
use crate::exercise::Exercise;

use super::executor::ExerciseVerifier;

/// Checks exercises with the checker engine against a pinned context.
pub struct ClusterVerifier {
    runtime: tokio::runtime::Runtime,
    kubeconfig: PathBuf,
    context: String,
    options: engine::Options,
    /// When the current exercise began: what `replaced` compares creation
    /// times with.
    exercise_start: SystemTime,
    /// The cluster answered a check once: from then on an error belongs to
    /// the exercise that met it (an API server restarting, say).
    contacted: bool,
    /// The cluster's first answer said it cannot be checked at all.
    cannot_check: bool,
}

impl ClusterVerifier {
    /// `timeout` overrides every check's own (`run --check-timeout`).
    pub fn new(pinned: &PinnedKubeconfig, timeout: Option<Duration>) -> Result<ClusterVerifier> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::System(format!("cannot start the async runtime: {e}")))?;
        Ok(ClusterVerifier {
            runtime,
            kubeconfig: pinned.path().to_path_buf(),
            context: pinned.context().to_string(),
            options: engine::Options {
                timeout,
                ..Default::default()
            },
            exercise_start: SystemTime::now(),
            contacted: false,
            cannot_check: false,
        })
    }
}

impl ExerciseVerifier for ClusterVerifier {
    fn verify(&mut self, exercise: &Exercise) -> ExerciseResult {
        let error = |message: String| {
            ExerciseResult::without_expectations(exercise, Verdict::Error, message)
        };
        let plan = match Plan::from_exercise(exercise) {
            Ok(Some(p)) => p,
            Ok(None) => {
                return ExerciseResult::without_expectations(
                    exercise,
                    Verdict::Pass,
                    "no check".into(),
                );
            }
            Err(e) => return error(e.to_string()),
        };
        let connect = ConnectOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            context: Some(self.context.clone()),
            ..Default::default()
        };
        let options = engine::Options {
            since: Some(self.exercise_start),
            ..self.options.clone()
        };
        let first = !self.contacted;
        let results = self.runtime.block_on(async {
            let source = KubeSource::connect(&connect).await?;
            if first
                && let Err(e) = engine::first_contact(&source, std::slice::from_ref(&plan)).await
            {
                return Ok(Err(e));
            }
            Ok::<_, ClusterError>(Ok(engine::run(&source, &[plan], &options, &|_| {}).await))
        });
        let results = match results {
            Ok(Err(e)) => {
                // Said once, by this exercise's check; the run stops here.
                self.cannot_check = true;
                return error(e.to_string());
            }
            Ok(Ok(r)) => {
                self.contacted = true;
                Ok(r)
            }
            Err(e) => Err(e),
        };
        // The next exercise's commands start now.
        self.exercise_start = SystemTime::now();
        match results.map(|r| r.into_iter().next()) {
            Ok(Some(r)) => r,
            Ok(None) => error("the checker returned no verdict".into()),
            Err(e) => error(e.to_string()),
        }
    }

    fn cannot_check(&self) -> bool {
        self.cannot_check
    }
}
