//! Checking from the slide (`labdeck serve DECK --kubeconfig F|--context C`).
//!
//! The page may only name an exercise: `POST /_labdeck/check/{id}` runs that
//! exercise's check, as the deck on disk has it now, against the cluster the
//! server was started with. No query, kind or credential comes from the
//! browser. The answer is a stream of JSON lines (`application/x-ndjson`):
//!
//! 1. `looking`: the check started;
//! 2. `waiting` (only if the first look did not pass): what is missing, in
//!    words, while the server keeps watching until the check's timeout;
//! 3. `result`: `pass`, `fail` (with the diagnosis and the check's `hint`)
//!    or `error`.
//!
//! Closing the page stops the watch. `GET /_labdeck/exercises` lists the
//! deck's exercises (id, title, slide, whether it has a check) for the check
//! control and the progress panel.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::sync::mpsc;

use crate::check::engine::{self, ExerciseResult, Options, Plan, Verdict};
use crate::classroom::words;
use crate::cluster::KubeSource;
use crate::error::Error;
use crate::exercise::Exercise;

/// Reads the deck's exercises as they are on disk now.
pub type Loader = Arc<dyn Fn() -> Result<Vec<Exercise>, Error> + Send + Sync>;

/// The student's side of the classroom: one cluster, one deck.
pub struct Student {
    load: Loader,
    source: Arc<KubeSource>,
    /// For checks that do not say.
    default_timeout: Duration,
    /// The exercises whose checks passed since the server started: a
    /// cleanup counts once what it cleans up passed
    /// ([`crate::check::vacuous`]).
    passed: std::sync::Mutex<std::collections::BTreeSet<String>>,
}

/// One line of the check stream.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CheckEvent {
    Looking {
        id: String,
        timeout_ms: u64,
    },
    Waiting {
        id: String,
        diagnosis: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        elapsed_ms: u64,
        timeout_ms: u64,
    },
    Result {
        id: String,
        verdict: Verdict,
        message: String,
        diagnosis: Vec<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        hint: Option<String>,
        elapsed_ms: u64,
    },
}

/// What the page knows of an exercise.
#[derive(Debug, Clone, Serialize)]
pub struct ExerciseInfo {
    pub id: String,
    pub title: String,
    /// 1-based slide (`#N`) where it first appears.
    pub slide: usize,
    pub checked: bool,
}

/// The script `serve` adds to the page when it can check.
pub const SCRIPT: &str = concat!(
    "<script>\n",
    include_str!("../../templates/classroom.js"),
    "</script>\n"
);

impl Student {
    pub fn new(load: Loader, source: KubeSource, default_timeout: Duration) -> Student {
        Student {
            load,
            source: Arc::new(source),
            default_timeout,
            passed: Default::default(),
        }
    }

    /// The routes; `serve` puts them with the deck's behind its one guard
    /// ([`crate::classroom::guard::protect`]).
    pub fn router(self: Arc<Self>) -> Router {
        Router::new()
            .route("/_labdeck/exercises", get(exercises))
            .route("/_labdeck/check/{id}", post(check))
            .with_state(self)
    }

    fn plan(&self, id: &str) -> Result<Plan, (StatusCode, String)> {
        let exercises =
            (self.load)().map_err(|e| (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
        let ex = exercises.iter().find(|e| e.id == id).ok_or_else(|| {
            (
                StatusCode::NOT_FOUND,
                format!("no exercise {id:?} in this deck"),
            )
        })?;
        match Plan::from_exercise(ex) {
            Ok(Some(p)) => Ok(p),
            Ok(None) => Err((
                StatusCode::NOT_FOUND,
                format!("exercise {id:?} has no check"),
            )),
            Err(e) => Err((StatusCode::UNPROCESSABLE_ENTITY, e.to_string())),
        }
    }

    /// Looks once; if that does not pass, says what is missing and watches
    /// until the check's timeout. Each step goes to `tx`; stops early when
    /// the page goes away.
    pub async fn run(&self, plan: Plan, tx: mpsc::Sender<CheckEvent>) {
        let timeout = plan.check.timeout.unwrap_or(self.default_timeout);
        let id = plan.id.clone();
        let hint = plan.check.hint.clone();
        let timeout_ms = crate::duration::millis(timeout);
        if tx
            .send(CheckEvent::Looking {
                id: id.clone(),
                timeout_ms,
            })
            .await
            .is_err()
        {
            return;
        }
        let started = std::time::Instant::now();
        let plans = [plan];
        // The press is not when the exercise started (a student usually
        // presses after acting): `replaced:` reads what the cluster shows.
        let once = Options {
            timeout: Some(Duration::ZERO),
            default_timeout: self.default_timeout,
            since: None,
        };
        let first = first_result(engine::run(&*self.source, &plans, &once, &|_| {}).await);
        let last = match first {
            Some(r) if r.verdict == Verdict::Fail && !timeout.is_zero() => {
                let waiting = CheckEvent::Waiting {
                    id: id.clone(),
                    diagnosis: words::for_student(&r, plans.first().map(|p| &p.check)).1,
                    hint: hint.clone(),
                    elapsed_ms: crate::duration::millis(started.elapsed()),
                    timeout_ms,
                };
                if tx.send(waiting).await.is_err() {
                    return;
                }
                let watch = Options {
                    timeout: Some(timeout),
                    default_timeout: self.default_timeout,
                    since: None,
                };
                tokio::select! {
                    results = engine::run(&*self.source, &plans, &watch, &|_| {}) => first_result(results),
                    () = tx.closed() => return,
                }
            }
            other => other,
        };
        let Some(mut r) = last else { return };
        self.gate(&mut r);
        if r.verdict == Verdict::Error || r.expectations.iter().any(|e| e.error.is_some()) {
            // The detail (with the server's address) stays on this terminal.
            crate::stderr!("labdeck serve: check {id}: {}", r.message);
            for e in r.expectations.iter().filter_map(|e| e.error.as_ref()) {
                crate::stderr!("labdeck serve: check {id}: {e}");
            }
        }
        let (message, diagnosis) = words::for_student(&r, plans.first().map(|p| &p.check));
        let event = CheckEvent::Result {
            id,
            verdict: r.verdict,
            diagnosis,
            message,
            hint: if r.verdict == Verdict::Fail {
                hint
            } else {
                None
            },
            elapsed_ms: crate::duration::millis(started.elapsed()),
        };
        let _ = tx.send(event).await;
    }
}

impl Student {
    /// Holds back a cleanup whose prerequisites never passed here, and
    /// remembers a pass.
    fn gate(&self, r: &mut ExerciseResult) {
        let mut passed = self.passed.lock().unwrap_or_else(|e| e.into_inner());
        if let Ok(exercises) = (self.load)() {
            let plans: Vec<Plan> = exercises
                .iter()
                .filter_map(|e| Plan::from_exercise(e).ok().flatten())
                .collect();
            crate::check::vacuous::gate(&plans, std::slice::from_mut(r), |id| passed.contains(id));
        }
        if r.verdict == Verdict::Pass {
            passed.insert(r.id.clone());
        }
    }
}

fn first_result(results: Vec<ExerciseResult>) -> Option<ExerciseResult> {
    results.into_iter().next()
}

async fn exercises(State(s): State<Arc<Student>>) -> Response {
    match (s.load)() {
        Ok(list) => {
            let info: Vec<ExerciseInfo> = list
                .iter()
                .map(|e| ExerciseInfo {
                    id: e.id.clone(),
                    title: e.title.clone(),
                    slide: e.slide,
                    checked: e.check.is_some(),
                })
                .collect();
            ([(header::CACHE_CONTROL, "no-store")], axum::Json(info)).into_response()
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn check(State(s): State<Arc<Student>>, Path(id): Path<String>) -> Response {
    let plan = match s.plan(&id) {
        Ok(p) => p,
        Err((code, msg)) => return (code, format!("labdeck: {msg}\n")).into_response(),
    };
    let (tx, rx) = mpsc::channel::<CheckEvent>(4);
    tokio::spawn(async move { s.run(plan, tx).await });
    let lines = futures::stream::unfold(rx, |mut rx| async move {
        let event = rx.recv().await?;
        let mut line = serde_json::to_vec(&event).unwrap_or_default();
        line.push(b'\n');
        Some((Ok::<Bytes, Infallible>(Bytes::from(line)), rx))
    });
    (
        [
            (header::CONTENT_TYPE, "application/x-ndjson"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        Body::from_stream(lines),
    )
        .into_response()
}
