//! `labdeck grade DECK --kubeconfigs DIR --serve`: the class, live.
//!
//! Every student's cluster gets its own loop: connect once, then rounds of
//! the check engine. A round lists what the checks read and then watches
//! (up to `window`) whatever does not hold yet, so a pass reaches the board
//! as soon as the API server tells of the change, not at the next poll.
//! Rounds start at most every `interval` (never less than
//! [`MIN_INTERVAL`]: a busy loop against a class's clusters helps nobody),
//! and a cluster that cannot be reached is tried again at that pace.
//!
//! Each verdict updates the board's state; a change goes to every open
//! board as a server-sent event (no page reload). First passes are recorded
//! in the [`History`] file, and the exports (`/export.csv`, `/export.json`)
//! carry their times.
//!
//! Where a student is comes from [`crate::grade::progress`]: the exercise
//! after the furthest one passed, now or in the history, a vacuous check's
//! pass counting only once what it cleans up has passed. The stuck clock
//! counts from the latest of: the student's latest first pass that counts
//! there (a cleanup holding on an untouched namespace is no progress), when the
//! board first saw the student, when the instructor last marked them
//! helped (`POST /students/{name}/helped`); all three are in the history,
//! so a restarted board keeps it.
//!
//! A cluster that stops answering is news at once: while a student is
//! followed, their API server is asked `GET /version` every
//! [`PROBE_EVERY`] (bounded by [`PROBE_WITHIN`], connecting included), so
//! a dead server shows as "cluster down since HH:MM" within seconds (the
//! round's watch is dropped, the cells keep what was last seen), and one
//! that answers again is looked at again at once.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::Path;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tokio::sync::{Semaphore, broadcast};

use crate::check::engine::{self, ExerciseResult, Options, Plan, Verdict};
use crate::classroom::addresses;
use crate::classroom::guard::{self, Guard};
use crate::classroom::words;
use crate::cluster::{ClusterError, KubeSource};
use crate::error::Error;
use crate::grade::history::{self, History};
use crate::grade::progress::Placement;
use crate::grade::report::{Column, GradeReport};
use crate::grade::{self, ClusterResult, GradeOptions, StudentCluster};
use crate::report::Summary;

/// Rounds against one cluster never start closer together than this.
pub const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// How often a followed cluster is asked whether it is there.
pub const PROBE_EVERY: Duration = Duration::from_secs(1);

/// How long that question may take, connecting included, before the
/// cluster counts as down: with [`PROBE_EVERY`], a dead API server is
/// marked within 3 s (a refused connection: within 1 s).
pub const PROBE_WITHIN: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub struct BoardOptions {
    pub listen: SocketAddr,
    /// Least time between the starts of two rounds on one cluster
    /// (raised to [`MIN_INTERVAL`]).
    pub interval: Duration,
    /// How long one round watches the exercises that do not hold yet.
    pub window: Duration,
    /// A student with no new pass for this long shows as stuck.
    pub stuck_after: Duration,
    pub history: PathBuf,
    /// Concurrency (clusters connecting or listing at once) and timeouts.
    pub grade: GradeOptions,
}

impl BoardOptions {
    /// How long a round watches: the checks' `--timeout` (default one
    /// minute), and never less than the interval between rounds.
    pub fn window(timeout: Option<Duration>, interval: Duration) -> Duration {
        timeout.unwrap_or(Duration::from_secs(60)).max(interval)
    }
}

/// Where first passes are kept unless `--history` says: in the current
/// folder, named after the deck and the class
/// (`DECK-STEM.CLASS.grade-history.jsonl`, see [`history::Class`]), so
/// that a board started again for the same class finds them, and another
/// class run from the same folder does not.
pub fn default_history(deck: &std::path::Path, class: &history::Class) -> PathBuf {
    PathBuf::from(format!(
        "{}.{}.grade-history.jsonl",
        deck.file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "deck".into()),
        class.key
    ))
}

/// One cell of the board: a student's latest verdict on one exercise.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Cell {
    pub verdict: Verdict,
    pub message: String,
    /// What is missing, in a student's words (empty on a pass).
    pub diagnosis: Vec<String>,
    /// When this exercise first passed (ms since the epoch), ever.
    pub first_pass_ms: Option<u64>,
}

/// One student's row.
#[derive(Debug, Clone, Serialize)]
pub struct Row {
    pub name: String,
    pub cells: BTreeMap<String, Cell>,
    /// The furthest exercise (deck order) passed now or before whose pass
    /// counts for position: the student is on the next one
    /// ([`crate::grade::progress`]).
    pub furthest: Option<String>,
    /// When the board first saw this student (kept in the history).
    pub joined_ms: u64,
    /// When the instructor last marked this student helped.
    pub helped_ms: Option<u64>,
    /// Exercises whose check held (a first pass is on record) but whose
    /// pass does not count for position yet: a clean-up that holds on a
    /// cluster where what it cleans up after was never made
    /// ([`crate::grade::progress`]). The page shows them neutral, not as
    /// passed, and leaves them out of the per-exercise figures.
    pub held_early: Vec<String>,
    /// The latest of the latest first pass that counts for position
    /// ([`crate::grade::progress`]), `joined_ms` and `helped_ms`:
    /// "stuck for 12 min" counts from here.
    pub last_progress_ms: u64,
    /// Why the cluster could not be checked, if it could not.
    pub error: Option<String>,
    /// Since when the cluster's API server does not answer (the cells
    /// keep what was last seen).
    pub down_since_ms: Option<u64>,
    /// The latest full results, for the exports.
    #[serde(skip)]
    results: BTreeMap<String, ExerciseResult>,
}

/// What a board page starts from (`/board.json`); events then update it.
#[derive(Debug, Clone, Serialize)]
pub struct Snapshot {
    pub deck: String,
    pub exercises: Vec<Column>,
    pub stuck_after_ms: u64,
    pub now_ms: u64,
    pub history: String,
    /// Whose history it is (`--class NAME`, or the kubeconfigs' folder).
    pub class: String,
    pub students: Vec<Row>,
}

/// One change, as sent to open boards.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Change<'a> {
    Cell {
        student: &'a str,
        exercise: &'a str,
        cell: &'a Cell,
        furthest: Option<&'a str>,
        held_early: &'a [String],
        last_progress_ms: u64,
    },
    Student {
        student: &'a str,
        error: Option<&'a str>,
        down_since_ms: Option<u64>,
        /// When the board told (ms since the epoch).
        at_ms: u64,
    },
    Helped {
        student: &'a str,
        helped_ms: u64,
        last_progress_ms: u64,
    },
}

pub struct Board {
    deck: String,
    exercises: Vec<Column>,
    plans: Arc<[Plan]>,
    /// Where each student is, from `plans`.
    placement: Placement,
    history: History,
    class: String,
    rows: RwLock<Vec<Row>>,
    events: broadcast::Sender<Arc<str>>,
    stuck_after: Duration,
    /// Students on one cluster read its discovery once.
    discovery: crate::cluster::DiscoveryShare,
}

impl Board {
    /// `class` says whose history `history` is, for the page.
    pub fn new(
        deck: String,
        plans: Vec<Plan>,
        targets: &[StudentCluster],
        history: History,
        class: String,
        stuck_after: Duration,
    ) -> Board {
        let started = history::now_ms();
        let placement = Placement::new(&plans);
        let rows = targets
            .iter()
            .map(|t| {
                let mut cells = BTreeMap::new();
                for p in &plans {
                    if let Some(at) = history.first_pass(&t.name, &p.id) {
                        cells.insert(
                            p.id.clone(),
                            Cell {
                                verdict: Verdict::Pass,
                                message: "passed before this board started".into(),
                                diagnosis: Vec::new(),
                                first_pass_ms: Some(at),
                            },
                        );
                    }
                }
                let joined_ms = history.join(&t.name, started).unwrap_or_else(|e| {
                    crate::stderr!("labdeck grade: {e}");
                    started
                });
                let mut row = Row {
                    name: t.name.clone(),
                    cells,
                    furthest: None,
                    held_early: Vec::new(),
                    joined_ms,
                    helped_ms: history.helped_at(&t.name),
                    last_progress_ms: joined_ms,
                    error: None,
                    down_since_ms: None,
                    results: BTreeMap::new(),
                };
                progress(&placement, &mut row);
                row
            })
            .collect();
        let exercises = plans
            .iter()
            .map(|p| Column {
                id: p.id.clone(),
                title: p.title.clone(),
            })
            .collect();
        let (events, _) = broadcast::channel(1024);
        Board {
            deck,
            exercises,
            plans: plans.into(),
            placement,
            history,
            class,
            rows: RwLock::new(rows),
            events,
            stuck_after,
            discovery: Default::default(),
        }
    }

    pub fn snapshot(&self) -> Snapshot {
        Snapshot {
            deck: self.deck.clone(),
            exercises: self.exercises.clone(),
            stuck_after_ms: crate::duration::millis(self.stuck_after),
            now_ms: history::now_ms(),
            history: self.history.path().display().to_string(),
            class: self.class.clone(),
            students: self.rows.read().unwrap_or_else(|e| e.into_inner()).clone(),
        }
    }

    /// The board as a grade report (for `/export.csv`, `/export.json`,
    /// `--out`), with first-pass times.
    pub fn report(&self) -> GradeReport {
        let rows = self.rows.read().unwrap_or_else(|e| e.into_inner());
        let clusters = rows
            .iter()
            .map(|row| {
                let results: Vec<ExerciseResult> = self
                    .plans
                    .iter()
                    .filter_map(|p| row.results.get(&p.id).cloned())
                    .collect();
                ClusterResult {
                    name: row.name.clone(),
                    summary: Summary::of(&results),
                    elapsed_ms: 0,
                    results,
                    first_passed: row
                        .cells
                        .iter()
                        .filter_map(|(id, c)| {
                            Some((id.clone(), history::rfc3339(c.first_pass_ms?)))
                        })
                        .collect(),
                    on: None,
                }
            })
            .collect();
        GradeReport::new(&self.plans, clusters)
    }

    /// Records one verdict for student `row`; tells open boards if it changed.
    /// A cleanup counts once what it cleans up has passed (the history
    /// holds every pass of the board: [`crate::check::vacuous`]).
    pub fn update(&self, row: usize, r: &ExerciseResult) {
        let now = history::now_ms();
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let Some(student) = rows.get_mut(row) else {
            return;
        };
        let mut gated = r.clone();
        let before = |id: &str| self.history.first_pass(&student.name, id).is_some();
        crate::check::vacuous::gate(&self.plans, std::slice::from_mut(&mut gated), before);
        let r = &gated;
        let mut first_pass_ms = student.cells.get(&r.id).and_then(|c| c.first_pass_ms);
        if r.verdict == Verdict::Pass && first_pass_ms.is_none() {
            let at = match self.history.record(&student.name, &r.id, now) {
                Ok(at) => at,
                Err(e) => {
                    crate::stderr!("labdeck grade: {e}");
                    now
                }
            };
            first_pass_ms = Some(at);
        }
        let cell = Cell {
            verdict: r.verdict,
            message: r.message.clone(),
            diagnosis: words::diagnosis(r),
            first_pass_ms,
        };
        student.results.insert(r.id.clone(), r.clone());
        let cleared = r.verdict != Verdict::Error && student.error.take().is_some();
        if student.cells.get(&r.id) == Some(&cell) && !cleared {
            return;
        }
        if cleared {
            student.down_since_ms = None;
        }
        student.cells.insert(r.id.clone(), cell);
        progress(&self.placement, student);
        let change = Change::Cell {
            student: &student.name,
            exercise: &r.id,
            cell: &student.cells[&r.id],
            furthest: student.furthest.as_deref(),
            held_early: &student.held_early,
            last_progress_ms: student.last_progress_ms,
        };
        self.send(&change);
        if cleared {
            self.send(&Change::Student {
                student: &student.name,
                error: None,
                down_since_ms: student.down_since_ms,
                at_ms: now,
            });
        }
    }

    /// The instructor helped `student` now (or acknowledged their stuck
    /// alert): kept in the history, and the stuck clock starts again.
    /// `Ok(None)` when there is no such student.
    pub fn help(&self, student: &str) -> Result<Option<u64>, Error> {
        let now = history::now_ms();
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let Some(row) = rows.iter_mut().find(|r| r.name == student) else {
            return Ok(None);
        };
        let at = self.history.help(student, now)?;
        row.helped_ms = Some(at);
        progress(&self.placement, row);
        self.send(&Change::Helped {
            student: &row.name,
            helped_ms: at,
            last_progress_ms: row.last_progress_ms,
        });
        Ok(Some(at))
    }

    /// The API server of student `row` stopped answering (`err`): the row
    /// says since when; its cells keep what was last seen.
    pub fn cluster_down(&self, row: usize, err: &ClusterError) {
        let now = history::now_ms();
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let Some(student) = rows.get_mut(row) else {
            return;
        };
        let since = *student.down_since_ms.get_or_insert(now);
        let message = err.to_string();
        if student.error.as_deref() == Some(message.as_str()) {
            return;
        }
        student.error = Some(message);
        self.send(&Change::Student {
            student: &student.name,
            error: student.error.as_deref(),
            down_since_ms: Some(since),
            at_ms: now,
        });
    }

    /// The API server of student `row` answers again.
    pub fn cluster_up(&self, row: usize) {
        let now = history::now_ms();
        let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
        let Some(student) = rows.get_mut(row) else {
            return;
        };
        if student.down_since_ms.take().is_none() && student.error.is_none() {
            return;
        }
        student.error = None;
        self.send(&Change::Student {
            student: &student.name,
            error: None,
            down_since_ms: None,
            at_ms: now,
        });
    }

    /// The cluster of student `row` could not be reached or configured.
    pub fn cluster_error(&self, row: usize, err: &ClusterError) {
        let message = err.to_string();
        {
            let mut rows = self.rows.write().unwrap_or_else(|e| e.into_inner());
            let Some(student) = rows.get_mut(row) else {
                return;
            };
            if student.error.as_deref() == Some(message.as_str()) {
                return;
            }
            student.error = Some(message.clone());
            self.send(&Change::Student {
                student: &student.name,
                error: Some(&message),
                down_since_ms: student.down_since_ms,
                at_ms: history::now_ms(),
            });
        }
        for r in engine::error_results(&self.plans, err) {
            self.update(row, &r);
        }
        // `update` clears the error on non-error verdicts only, so it stays.
    }

    fn send(&self, change: &Change<'_>) {
        if let Ok(json) = serde_json::to_string(change) {
            // No open board is not an error.
            let _ = self.events.send(json.into());
        }
    }

    /// Re-checks one student's cluster until the process ends.
    async fn follow(
        self: Arc<Self>,
        row: usize,
        target: StudentCluster,
        opts: Arc<BoardOptions>,
        gate: Arc<Semaphore>,
    ) {
        let interval = opts.interval.max(MIN_INTERVAL);
        let engine_opts = Options {
            timeout: Some(opts.window),
            ..opts.grade.engine.clone()
        };
        let look_once = Options {
            timeout: Some(Duration::ZERO),
            ..opts.grade.engine.clone()
        };
        let mut source = None;
        loop {
            let round = Instant::now();
            // Connecting is bounded by the class-wide concurrency; watching is not
            // (it is waiting, not work).
            if source.is_none() {
                let permit = gate.acquire().await;
                match grade::connect(&target, &opts.grade.connect).await {
                    Ok(s) => source = Some(s.sharing(&self.discovery)),
                    Err(e) => self.cluster_error(row, &e),
                }
                drop(permit);
            }
            let Some(s) = &source else {
                tokio::time::sleep_until((round + interval).into()).await;
                continue;
            };
            // Not there: say so now, rather than after the engine's retries.
            if let Err(e) = s.alive(PROBE_WITHIN).await {
                self.cluster_down(row, &e);
                until_up(s).await;
                self.cluster_up(row);
                source = None;
                continue;
            }
            let work = async {
                // A first look at everything puts every cell on the board at
                // once; then only what does not hold yet is watched, so its
                // pass shows the moment the cluster changes.
                let board = self.clone();
                let on_result = move |r: &ExerciseResult| board.update(row, r);
                let results = engine::run(s, &self.plans, &look_once, &on_result).await;
                if results.iter().all(|r| r.verdict == Verdict::Error) {
                    // Connected again next round.
                    return false;
                }
                let waiting: Vec<Plan> = self
                    .plans
                    .iter()
                    .zip(&results)
                    .filter(|(_, r)| r.verdict == Verdict::Fail)
                    .map(|(p, _)| p.clone())
                    .collect();
                if !waiting.is_empty() {
                    let board = self.clone();
                    let on_result = move |r: &ExerciseResult| board.update(row, r);
                    engine::run(s, &waiting, &engine_opts, &on_result).await;
                }
                tokio::time::sleep_until((round + interval).into()).await;
                true
            };
            // The round (its watch, then the pause) lasts while the server
            // answers; a broken server ends it at once.
            let down = tokio::select! {
                keep = work => if keep { None } else { Some(None) },
                e = until_down(s) => Some(Some(e)),
            };
            match down {
                None => {}
                // Every verdict an error: connected again next round.
                Some(None) => source = None,
                Some(Some(e)) => {
                    self.cluster_down(row, &e);
                    until_up(s).await;
                    self.cluster_up(row);
                    // A fresh client: nothing learnt while it was down stays.
                    source = None;
                }
            }
        }
    }
}

/// Places `row` ([`crate::grade::progress`]: its cells' first passes are
/// gated passes, now or from the history) and sets when its stuck clock
/// starts: the latest first pass that counts for position, join or help.
fn progress(placement: &Placement, row: &mut Row) {
    let passed = |id: &str| row.cells.get(id).is_some_and(|c| c.first_pass_ms.is_some());
    // The passes that count, in deck order, worked out once: the furthest
    // is the last of them.
    let counting: Vec<&str> = placement.counting(passed).collect();
    row.furthest = counting.last().map(|id| id.to_string());
    row.held_early = row
        .cells
        .iter()
        .filter(|(id, c)| c.first_pass_ms.is_some() && !counting.contains(&id.as_str()))
        .map(|(id, _)| id.clone())
        .collect();
    // Only passes that say how far the student got are progress.
    row.last_progress_ms = counting
        .iter()
        .filter_map(|id| row.cells.get(*id)?.first_pass_ms)
        .chain([row.joined_ms])
        .chain(row.helped_ms)
        .max()
        .unwrap_or(row.joined_ms);
}

/// Asks `source` whether it is there every [`PROBE_EVERY`]; returns the
/// first failure.
async fn until_down(source: &KubeSource) -> ClusterError {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        if let Err(e) = source.alive(PROBE_WITHIN).await {
            return e;
        }
    }
}

/// Asks `source` every [`PROBE_EVERY`] until it answers.
async fn until_up(source: &KubeSource) {
    loop {
        tokio::time::sleep(PROBE_EVERY).await;
        if source.alive(PROBE_WITHIN).await.is_ok() {
            return;
        }
    }
}

/// A running board.
pub struct Served {
    pub addr: SocketAddr,
    /// Required from other machines (`None` on loopback).
    pub token: Option<String>,
    pub board: Arc<Board>,
}

impl Served {
    /// The addresses to open (with the token when one is needed): the
    /// bound address, or for `0.0.0.0` this machine's name and each
    /// interface address ([`addresses::hosts`]).
    pub fn urls(&self) -> Vec<String> {
        let port = self.addr.port();
        addresses::hosts(self.addr)
            .into_iter()
            .map(|h| match &self.token {
                Some(t) => format!("http://{h}:{port}/?token={t}"),
                None => format!("http://{h}:{port}/"),
            })
            .collect()
    }
}

/// The board's token for the history file `history`: read from
/// `HISTORY.token` beside it, or made and written there (mode 0600, created
/// whole by a rename that never replaces a file) so that the same board
/// started again keeps its token and open pages reconnect. A token file
/// others may read, or that holds no token, is an error naming it.
pub fn stable_token(history: &std::path::Path) -> Result<String, Error> {
    let mut name = history.as_os_str().to_owned();
    name.push(".token");
    let path = PathBuf::from(name);
    let read = |path: &std::path::Path| -> Result<String, Error> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(path)
                .map_err(|e| Error::io(path, e))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(Error::Token {
                    path: path.to_path_buf(),
                    message: format!(
                        "the board's token may be read by others (mode {:o}); run `chmod 600` on it",
                        mode & 0o777
                    ),
                });
            }
        }
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let token = text.trim();
        if !guard::is_token(token) {
            return Err(Error::Token {
                path: path.to_path_buf(),
                message: "not a labdeck board token (32 hex digits); remove it for a new one"
                    .into(),
            });
        }
        Ok(token.to_string())
    };
    if path.exists() {
        return read(&path);
    }
    let token = guard::new_token().map_err(|e| Error::System(e.to_string()))?;
    // tempfile creates the file 0600.
    let mut tmp = crate::output::temp_beside(&path, ".token")?;
    std::io::Write::write_all(&mut tmp, format!("{token}\n").as_bytes())
        .map_err(|e| Error::io(&path, e))?;
    match tmp.persist_noclobber(&path) {
        Ok(_) => Ok(token),
        // Another board of the same history made it first: use theirs.
        Err(e) if e.error.kind() == std::io::ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(Error::io(&path, e.error)),
    }
}

/// Binds `opts.listen`, starts following every target and serving the board.
pub async fn serve(
    board: Board,
    targets: Vec<StudentCluster>,
    opts: BoardOptions,
) -> Result<Served, Error> {
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|cause| Error::Listen {
            addr: opts.listen.to_string(),
            cause,
        })?;
    let addr = listener.local_addr().map_err(|cause| Error::Listen {
        addr: opts.listen.to_string(),
        cause,
    })?;
    let token = if addr.ip().is_loopback() {
        None
    } else {
        Some(stable_token(&opts.history)?)
    };
    let board = Arc::new(board);
    let app = Router::new()
        .route("/", get(page))
        .route("/board.json", get(snapshot))
        .route("/events", get(events))
        .route("/export.csv", get(export_csv))
        .route("/export.json", get(export_json))
        .route("/students/{name}/helped", post(helped))
        .with_state(board.clone());
    let app = guard::protect(app, Guard::for_addr(addr, token.clone()));
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            crate::stderr!("labdeck grade: board server stopped: {e}");
        }
    });
    let opts = Arc::new(opts);
    let gate = Arc::new(Semaphore::new(opts.grade.concurrency.max(1)));
    for (row, target) in targets.into_iter().enumerate() {
        tokio::spawn(
            board
                .clone()
                .follow(row, target, opts.clone(), gate.clone()),
        );
    }
    Ok(Served { addr, token, board })
}

const PAGE: &str = include_str!("../../templates/board.html");

async fn page() -> Response {
    ([(header::CACHE_CONTROL, "no-store")], Html(PAGE)).into_response()
}

async fn snapshot(State(board): State<Arc<Board>>) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::Json(board.snapshot()),
    )
        .into_response()
}

async fn events(State(board): State<Arc<Board>>) -> impl IntoResponse {
    let rx = board.events.subscribe();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let event = match rx.recv().await {
            Ok(json) => Event::default().event("change").data(&*json),
            // Missed changes: the page fetches the whole board again.
            Err(broadcast::error::RecvError::Lagged(_)) => {
                Event::default().event("resync").data("{}")
            }
            Err(broadcast::error::RecvError::Closed) => return None,
        };
        Some((Ok::<_, Infallible>(event), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// `POST /students/{name}/helped`: the instructor helped this student (or
/// acknowledged the stuck alert). Writes the history file only, never the
/// cluster; behind the same guard as every route.
async fn helped(State(board): State<Arc<Board>>, Path(name): Path<String>) -> Response {
    match board.help(&name) {
        Ok(Some(at)) => (
            [(header::CACHE_CONTROL, "no-store")],
            axum::Json(serde_json::json!({ "student": name, "helped_ms": at })),
        )
            .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            format!("labdeck: no student {name:?} on this board\n"),
        )
            .into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("labdeck: {e}\n")).into_response(),
    }
}

async fn export_csv(State(board): State<Arc<Board>>) -> Response {
    match grade::report::csv::render(&board.report()) {
        Ok(text) => ([(header::CONTENT_TYPE, "text/csv; charset=utf-8")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn export_json(State(board): State<Arc<Board>>) -> Response {
    match grade::report::json::render(&board.report()) {
        Ok(text) => ([(header::CONTENT_TYPE, "application/json")], text).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}
