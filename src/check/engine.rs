//! Waiting for a cluster to hold every expectation of some exercises.
//!
//! One run takes one [`ClusterSource`] and the parsed checks. Expectations
//! that read the same resource and namespace (and field selector, which only
//! the server applies) share one feed: one list, then one watch keeping a
//! copy of the objects; label selectors are applied here, and sent to the
//! server only when every sharer has the same one. Each exercise
//! re-evaluates when one of its feeds changes, passes the moment everything
//! holds, and at its timeout fails with what it last saw. Resources served
//! without `watch` are listed again every [`POLL_INTERVAL`] instead.
//!
//! Transient failures (429 honouring Retry-After, 5xx, dropped connections)
//! while resolving, listing, re-listing or re-opening a watch are retried
//! with backoff until the deadline ([`retrying`]); a cluster that stays
//! unreachable, or refuses (401, 403, 404, 400), is that exercise's `error`
//! verdict, saying how long it was tried. Nothing is spawned: a run is one
//! future, cheap to run many times concurrently.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::watch;

use crate::check::eval::{self, ObjectResult, Outcome};
use crate::check::spec::{self, Check, Expectation, NamespaceSpec, OwnerSpec};
use crate::cluster::{ClusterError, ClusterSource, Query};
use crate::error::Error;
use crate::exercise::Exercise;
use feed::{Feed, Step};

pub mod extra;
mod feed;
mod owner_chain;

/// An exercise with its parsed check: what the engine runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
    pub title: String,
    pub check: Check,
}

/// Plans made from check YAML alone, for unit tests elsewhere.
#[cfg(test)]
impl Plan {
    /// The plan of exercise `id` whose check is `yaml` (at lab.md:1).
    pub(crate) fn parsed(id: &str, yaml: &str) -> Plan {
        let src = crate::exercise::CheckSource {
            yaml: yaml.into(),
            file: "lab.md".into(),
            line: 1,
        };
        Plan {
            id: id.into(),
            file: src.file.clone(),
            line: 1,
            title: id.into(),
            check: spec::parse(&src).expect("parses"),
        }
    }
}

impl Plan {
    /// Parses the exercise's check; `Ok(None)` when it has none.
    pub fn from_exercise(ex: &Exercise) -> Result<Option<Plan>, Error> {
        let Some(src) = &ex.check else {
            return Ok(None);
        };
        Ok(Some(Plan {
            id: ex.id.clone(),
            file: ex.file.clone(),
            line: ex.line,
            title: ex.title.clone(),
            check: spec::parse(src)?,
        }))
    }
}

/// Parses every exercise's check, before any cluster is contacted. Returns
/// the plans (exercises without a check are left out) or every error found.
pub fn plans(exercises: &[Exercise]) -> Result<Vec<Plan>, Vec<Error>> {
    let mut plans = Vec::new();
    let mut errors = Vec::new();
    for ex in exercises {
        match Plan::from_exercise(ex) {
            Ok(Some(p)) => plans.push(p),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(plans)
    } else {
        Err(errors)
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    /// `--timeout`: replaces every check's own timeout (`0`: look once).
    pub timeout: Option<Duration>,
    /// For checks that do not say.
    pub default_timeout: Duration,
    /// When the exercise began, if known (`run` gives the moment the
    /// exercise's commands began): `replaced` passes objects created at or
    /// after it, and CEL's `started` is it. `None` (`check`, `grade`, the
    /// board, the slide's check button: run after the fact): `started` is
    /// when the run starts, and `replaced` reads what the cluster shows
    /// (`extra::replaced`).
    pub since: Option<std::time::SystemTime>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: None,
            default_timeout: Duration::from_secs(30),
            since: None,
        }
    }
}

impl Options {
    fn timeout_for(&self, check: &Check) -> Duration {
        self.timeout
            .or(check.timeout)
            .unwrap_or(self.default_timeout)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Pass,
    Fail,
    /// Could not be checked (unreachable, unauthorised, forbidden, unknown kind).
    Error,
}

/// The verdict on one exercise, as `check --format json` prints it (and
/// `grade` nests it).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExerciseResult {
    pub id: String,
    pub verdict: Verdict,
    pub file: PathBuf,
    pub line: usize,
    pub title: String,
    /// One line: why it failed or could not be checked; what held on a pass.
    pub message: String,
    /// Time from the start of the run to the verdict.
    pub elapsed_ms: u64,
    pub expectations: Vec<ExpectationResult>,
}

impl ExerciseResult {
    /// A verdict reached without running the engine (the check does not
    /// parse, the cluster cannot be reached...): `message` says why, and no
    /// expectation was looked at.
    pub fn without_expectations(
        ex: &Exercise,
        verdict: Verdict,
        message: String,
    ) -> ExerciseResult {
        ExerciseResult {
            id: ex.id.clone(),
            verdict,
            file: ex.file.clone(),
            line: ex.line,
            title: ex.title.clone(),
            message,
            elapsed_ms: 0,
            expectations: Vec::new(),
        }
    }
}

/// What one expectation last saw.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ExpectationResult {
    /// Line of the expectation in `file`.
    pub line: usize,
    /// What was read: `pods -l isactive=no in default`.
    pub query: String,
    /// The conditions each object had to pass (`phase Running, owner none`).
    pub conditions: String,
    /// `count` as written (`>=1`, `1`, `0`).
    pub want: String,
    /// How many objects passed every condition.
    pub passing: u64,
    pub holds: bool,
    /// The objects the kind/namespace/name/selector matched, with the
    /// conditions each failed.
    pub objects: Vec<ObjectResult>,
    /// Why the expectation could not be decided (an expression that could
    /// not be evaluated, with its line; a `log` or `http` the grader may not
    /// read): the check's fault, so the exercise's verdict is `error`.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub error: Option<String>,
}

/// Every exercise gets the verdict `error` with `reason` (the cluster could
/// not even be configured; `grade` uses this for a broken kubeconfig).
pub fn error_results(plans: &[Plan], reason: &ClusterError) -> Vec<ExerciseResult> {
    plans
        .iter()
        .map(|p| result(p, Verdict::Error, reason.to_string(), 0, vec![]))
        .collect()
}

/// `check`'s run: connects with `connect` (calling `on_connected` with the
/// cluster's name), then checks `plans` there. A kubeconfig that cannot be
/// used (missing, malformed, no such context) is the error, said once by
/// the caller, not once per exercise (issue 26): nothing was checked. So
/// is a cluster whose first answer says it cannot be checked at all
/// ([`first_contact`]: refused, TLS, 401/403 on discovery; exit status
/// [`crate::exit::UNCHECKED`], see [`crate::report::status::of_error`]); once it has
/// answered, an exercise that cannot be checked is an `error` saying why.
/// Returns how reports name the cluster and the verdicts, in `plans`
/// order.
pub async fn check_cluster(
    connect: &crate::cluster::ConnectOptions,
    plans: &[Plan],
    opts: &Options,
    on_connected: impl FnOnce(&str),
    on_result: &(dyn Fn(&ExerciseResult) + Send + Sync),
) -> Result<(String, Vec<ExerciseResult>), ClusterError> {
    let source = crate::cluster::KubeSource::connect(connect).await?;
    first_contact(&source, plans).await?;
    on_connected(source.name());
    let results = run(&source, plans, opts, on_result).await;
    Ok((source.name().to_string(), results))
}

/// The run's first request: resolves one kind the plans read (a built-in
/// one if any: a custom kind not yet served would read discovery once more
/// when the run resolves it again). An error that says the cluster cannot
/// be checked at all ([`ClusterError::stops_a_first_contact`]) is returned,
/// for the caller to say once instead of once per exercise; anything else
/// (a kind not served yet, a 503) is left to the run, which retries it.
/// What discovery told is kept by the source, so the run asks nothing twice.
pub async fn first_contact<S: ClusterSource>(
    source: &S,
    plans: &[Plan],
) -> Result<(), ClusterError> {
    let reads: Vec<&Expectation> = plans
        .iter()
        .flat_map(|p| spec::extra::reads(&p.check))
        .collect();
    let kinds = kinds_read(&reads, true);
    let Some(kind) = kinds
        .iter()
        .find(|k| crate::kinds::builtin(k).is_some())
        .or(kinds.first())
    else {
        return Ok(());
    };
    // Looked at as `--timeout 0` looks (MIN_ATTEMPTS tries, a moment
    // apart): a connection that fails once at the start is not yet a
    // cluster that cannot be checked.
    let now = tokio::time::Instant::now();
    let first = retrying_if(
        now,
        || resolve_kind(source, kind),
        |e| matches!(e, ClusterError::Unreachable(_)),
        |_, _| {},
    )
    .await;
    match first {
        Err(e) if e.stops_a_first_contact() => Err(e),
        _ => Ok(()),
    }
}

/// Why an exercise cannot be looked at: a kind one of its expectations
/// reads could not be resolved. A kind the cluster does not serve is the
/// slide's business, so the expectation's line is said.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}{error}", line.map(|l| format!("line {l}: ")).unwrap_or_default())]
struct Unresolved {
    line: Option<usize>,
    error: ClusterError,
}

fn result(
    p: &Plan,
    verdict: Verdict,
    message: String,
    elapsed_ms: u64,
    expectations: Vec<ExpectationResult>,
) -> ExerciseResult {
    ExerciseResult {
        id: p.id.clone(),
        verdict,
        file: p.file.clone(),
        line: p.line,
        title: p.title.clone(),
        message,
        elapsed_ms,
        expectations,
    }
}

/// What a feed has seen so far.
#[derive(Debug, Clone, Default)]
struct FeedState {
    /// `None` until the first list answered.
    objects: Option<Arc<Vec<Value>>>,
    /// The feed gave up: the cluster refused, or stayed unreachable.
    error: Option<ClusterError>,
    /// Re-reading is failing right now and being retried: the objects may
    /// be stale. An exercise whose timeout passes meanwhile is an `error`.
    trouble: Option<String>,
}

/// When a run began: for elapsed times, for `started` (wall clock), and
/// where deadlines count from; and the exercise's start, if known, for
/// `replaced:`.
#[derive(Clone, Copy)]
struct Clock {
    start: Instant,
    started: std::time::SystemTime,
    began: tokio::time::Instant,
    since: Option<std::time::SystemTime>,
}

/// Every kind `read` needs resolved: its expectations' kinds, the kinds
/// owner chains pass through, and custom `owner:` kinds.
fn kinds_read<'a>(read: &[&'a Expectation], after_the_fact: bool) -> Vec<&'a str> {
    let mut kinds: Vec<&str> = read
        .iter()
        .copied()
        .flat_map(|e| {
            std::iter::once(e.kind.as_str())
                .chain(owner_chain::kinds_to_read(e, after_the_fact))
                .chain(owner_chain::custom_owner(e))
        })
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    kinds
}

/// Resolves one kind, telling the cluster the group a built-in kind of
/// that name is in, so only that group's discovery is read.
async fn resolve_kind<S: ClusterSource>(
    source: &S,
    kind: &str,
) -> Result<crate::cluster::Resource, ClusterError> {
    let likely = crate::kinds::builtin(kind).map(|b| b.group);
    source.resolve_kind_in(kind, likely).await
}

type Resolved<'a> = HashMap<&'a str, Result<crate::cluster::Resource, ClusterError>>;

/// Checks `plans` against `source`, all at once, calling `on_result` as each
/// verdict is reached. Results come back in `plans` order.
///
/// A plan reading a kind the cluster does not serve yet (a custom resource
/// whose CustomResourceDefinition an earlier step installs) waits apart:
/// discovery is read again, with backoff, until its timeout; then it is
/// checked like the others, or `fail`s saying which kind never appeared.
pub async fn run<S: ClusterSource>(
    source: &S,
    plans: &[Plan],
    opts: &Options,
    on_result: &(dyn Fn(&ExerciseResult) + Send + Sync),
) -> Vec<ExerciseResult> {
    let clock = Clock {
        start: Instant::now(),
        started: opts.since.unwrap_or_else(std::time::SystemTime::now),
        // Deadlines count from here: retrying discovery does not lengthen them.
        began: tokio::time::Instant::now(),
        since: opts.since,
    };
    let reads: Vec<Vec<&Expectation>> = plans
        .iter()
        .map(|p| spec::extra::reads(&p.check).collect())
        .collect();
    // 1. Resolve each distinct kind once.
    let mut kinds: Vec<&str> = reads
        .iter()
        .flat_map(|r| kinds_read(r, clock.since.is_none()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let longest = plans
        .iter()
        .map(|p| opts.timeout_for(&p.check))
        .max()
        .unwrap_or_default();
    let until = deadline(clock.began, longest);
    let resolved: Resolved = futures::future::join_all(kinds.iter().map(|k| async move {
        (
            *k,
            retrying(until, || resolve_kind(source, k), |_, _| {}).await,
        )
    }))
    .await
    .into_iter()
    .collect();
    let (late, ready): (Vec<usize>, Vec<usize>) = (0..plans.len()).partition(|&i| {
        kinds_read(&reads[i], clock.since.is_none())
            .iter()
            .any(|k| matches!(resolved.get(k), Some(Err(ClusterError::UnknownKind(_)))))
    });
    let ready_plans: Vec<&Plan> = ready.iter().map(|&i| &plans[i]).collect();
    let now = run_resolved(source, &ready_plans, &resolved, opts, on_result, clock);
    let later = futures::future::join_all(late.iter().map(|&i| {
        let (p, read) = (&plans[i], &reads[i]);
        async move {
            let r = wait_for_kinds(source, p, read, opts, on_result, clock).await;
            (i, r)
        }
    }));
    let (now, later) = futures::future::join(now, later).await;
    let mut all: Vec<(usize, ExerciseResult)> = ready.into_iter().zip(now).chain(later).collect();
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, r)| r).collect()
}

/// A plan one of whose kinds the cluster did not serve: reads discovery
/// again with backoff until the plan's timeout, then checks it; or `fail`s
/// in words (kubectl: `error: the server doesn't have a resource type
/// "certificates"`), since "install the operator, then create its object"
/// is an exercise not done yet, not a cluster fault.
async fn wait_for_kinds<S: ClusterSource>(
    source: &S,
    p: &Plan,
    read: &[&Expectation],
    opts: &Options,
    on_result: &(dyn Fn(&ExerciseResult) + Send + Sync),
    clock: Clock,
) -> ExerciseResult {
    let timeout = opts.timeout_for(&p.check);
    let until = deadline(clock.began, timeout);
    let kinds = kinds_read(read, clock.since.is_none());
    let missing_or_transient =
        |e: &ClusterError| e.is_transient() || matches!(e, ClusterError::UnknownKind(_));
    let looked = retrying_if(
        until,
        || async {
            let mut map: Resolved = HashMap::new();
            for k in &kinds {
                match resolve_kind(source, k).await {
                    Ok(r) => {
                        map.insert(k, Ok(r));
                    }
                    // Which kind is missing, for the message.
                    Err(ClusterError::UnknownKind(_)) => {
                        return Err(ClusterError::UnknownKind((*k).to_string()));
                    }
                    Err(e) => return Err(e),
                }
            }
            Ok(map)
        },
        missing_or_transient,
        |_, _| {},
    )
    .await;
    let r = match looked {
        Ok(map) => run_resolved(source, &[p], &map, opts, on_result, clock)
            .await
            .pop(),
        Err(ClusterError::UnknownKind(kind)) => {
            let line = read
                .iter()
                .find(|e| e.kind == kind)
                .map_or(p.line, |e| e.location.line);
            let message = format!(
                "line {line}: no kind `{kind}` on the cluster yet: is its CustomResourceDefinition installed? \
                 (the server doesn't have a resource type {kind:?}; looked for {})",
                secs(clock.began.elapsed())
            );
            let r = result(p, Verdict::Fail, message, ms(clock.start), vec![]);
            on_result(&r);
            return r;
        }
        Err(e) => {
            let r = result(p, Verdict::Error, e.to_string(), ms(clock.start), vec![]);
            on_result(&r);
            return r;
        }
    };
    r.unwrap_or_else(|| {
        let r = result(
            p,
            Verdict::Error,
            "no verdict".into(),
            ms(clock.start),
            vec![],
        );
        on_result(&r);
        r
    })
}

/// Checks `plans`, whose kinds `resolved` holds, against `source`.
async fn run_resolved<S: ClusterSource>(
    source: &S,
    plans: &[&Plan],
    resolved: &Resolved<'_>,
    opts: &Options,
    on_result: &(dyn Fn(&ExerciseResult) + Send + Sync),
    clock: Clock,
) -> Vec<ExerciseResult> {
    let Clock {
        start,
        started,
        began,
        since,
    } = clock;
    if plans.is_empty() {
        return Vec::new();
    }
    let reads: Vec<Vec<&Expectation>> = plans
        .iter()
        .map(|p| spec::extra::reads(&p.check).collect())
        .collect();

    // 2. Turn expectations into queries; group equal queries into feeds.
    let shared_labels = shared_label_selectors(plans, resolved, source.default_namespace());
    let mut feeds: BTreeMap<Query, Duration> = BTreeMap::new();
    let mut prepared: Vec<Result<Vec<Query>, Unresolved>> = Vec::new();
    // Per plan, per read: what evaluation needs beyond its own feed.
    let mut extras: Vec<Vec<owner_chain::Extra>> = Vec::new();
    for (p, read) in plans.iter().zip(&reads) {
        let timeout = opts.timeout_for(&p.check);
        let mut queries = Vec::new();
        let mut failure = None;
        let mut plan_extras = Vec::new();
        for e in read.iter().copied() {
            match &resolved[e.kind.as_str()] {
                Ok(resource) => {
                    let mut q = query(e, resource.clone(), source.default_namespace());
                    q.labels = shared_labels.get(&read_key(&q)).cloned().flatten();
                    let t = feeds.entry(q.clone()).or_default();
                    *t = (*t).max(timeout);
                    let extra = owner_chain::extra(e, &q, resolved, since.is_none());
                    for oq in &extra.owner_queries {
                        let t = feeds.entry(oq.clone()).or_default();
                        *t = (*t).max(timeout);
                    }
                    plan_extras.push(extra);
                    queries.push(q);
                }
                Err(err) => {
                    // A kind the cluster does not serve is the slide's
                    // business: say which expectation names it.
                    failure = Some(Unresolved {
                        line: matches!(err, ClusterError::UnknownKind(_))
                            .then_some(e.location.line),
                        error: err.clone(),
                    });
                    break;
                }
            }
        }
        prepared.push(failure.map_or(Ok(queries), Err));
        extras.push(plan_extras);
    }

    // How many feeds have answered their first list (or failed).
    let (listed, _) = watch::channel(0usize);
    let listed = &listed;
    let all = feeds.len();
    let mut senders = HashMap::new();
    let mut feed_futs = Vec::new();
    for (q, watch_for) in &feeds {
        let (tx, rx) = watch::channel(FeedState::default());
        senders.insert(q.clone(), rx);
        let until = deadline(began, *watch_for);
        feed_futs.push(feed(source, q, *watch_for, until, tx, (listed, all)));
    }

    // 3. Each exercise waits on its feeds.
    let exercise_futs =
        plans
            .iter()
            .zip(prepared)
            .zip(extras)
            .zip(&reads)
            .map(|(((p, prep), extra), read)| {
                let rxs: Result<Vec<watch::Receiver<FeedState>>, Unresolved> =
                    prep.map(|qs| qs.iter().map(|q| senders[q].clone()).collect());
                let owners_rx = owner_chain::Receivers::new(extra, &senders);
                async move {
                    let r = match rxs {
                        Err(reason) => {
                            result(p, Verdict::Error, reason.to_string(), ms(start), vec![])
                        }
                        Ok(rxs) => {
                            let at = (start, started, began, since);
                            let timeout = opts.timeout_for(&p.check);
                            wait_for(source, p, read, rxs, owners_rx, timeout, at).await
                        }
                    };
                    on_result(&r);
                    r
                }
            });
    let exercises = futures::future::join_all(exercise_futs);
    // Only the exercises hold receivers now: a feed is closed once all the
    // exercises reading it have their verdict.
    drop(senders);
    // Feeds stop when every exercise has its verdict.
    let feeds = async {
        futures::future::join_all(feed_futs).await;
        futures::future::pending::<()>().await;
    };
    futures::pin_mut!(exercises, feeds);
    match futures::future::select(exercises, feeds).await {
        futures::future::Either::Left((results, _)) => results,
        // Feeds end by waiting forever, so this is only for completeness.
        futures::future::Either::Right(((), exercises)) => exercises.await,
    }
}

fn ms(start: Instant) -> u64 {
    crate::duration::millis(start.elapsed())
}

/// `from + d`, or far in the future when that does not fit.
fn deadline(from: tokio::time::Instant, d: Duration) -> tokio::time::Instant {
    crate::duration::tokio_deadline(from, d)
}

/// What a feed reads from the server, label selector aside.
type ReadKey = (crate::cluster::Resource, Option<String>, Option<String>);

fn read_key(q: &Query) -> ReadKey {
    (q.resource.clone(), q.namespace.clone(), q.fields.clone())
}

/// For each distinct read (resource, namespace, field selector), the label
/// selector to send: the one every expectation reading it uses, or `None`
/// when they differ (one unfiltered read serves them all; each expectation
/// applies its own selector in `eval`). Fewer requests per cluster is what
/// makes grading a class fast; a lone selector still filters on the server
/// so a big namespace is not read whole for it.
fn shared_label_selectors(
    plans: &[&Plan],
    resolved: &Resolved<'_>,
    default_ns: &str,
) -> HashMap<ReadKey, Option<String>> {
    let mut out: HashMap<ReadKey, Option<String>> = HashMap::new();
    for e in plans.iter().flat_map(|p| &p.check.expect) {
        let Some(Ok(resource)) = resolved.get(e.kind.as_str()) else {
            continue;
        };
        let q = query(e, resource.clone(), default_ns);
        out.entry(read_key(&q))
            .and_modify(|l| {
                if *l != q.labels {
                    *l = None;
                }
            })
            .or_insert(q.labels);
    }
    out
}

fn query(e: &Expectation, resource: crate::cluster::Resource, default_ns: &str) -> Query {
    let namespace = if !resource.namespaced {
        None
    } else {
        match &e.namespace {
            NamespaceSpec::Default => Some(default_ns.to_string()),
            NamespaceSpec::All => None,
            NamespaceSpec::Named(n) => Some(n.clone()),
        }
    };
    Query {
        resource,
        namespace,
        labels: e.selector.as_ref().map(|s| s.to_string()),
        fields: e.fields.clone(),
    }
}

/// Lists `q`, then (if anyone waits at all) watches it for up to
/// `watch_for` (or lists it again every [`POLL_INTERVAL`] when the resource
/// has no `watch` verb), publishing every new state. Transient failures are
/// retried until `until`, published meanwhile as the feed's trouble. The
/// decisions are [`feed::Feed`]'s; this only performs its steps.
async fn feed<S: ClusterSource>(
    source: &S,
    q: &Query,
    watch_for: Duration,
    until: tokio::time::Instant,
    tx: watch::Sender<FeedState>,
    (listed, all): (&watch::Sender<usize>, usize),
) {
    let trouble = |e: &ClusterError, tried: Duration| {
        let msg = format!("{e} (retrying for {})", secs(tried));
        tx.send_modify(|s| s.trouble = Some(msg));
    };
    let publish = |f: &Feed| {
        tx.send_replace(FeedState {
            objects: Some(f.objects()),
            error: None,
            trouble: None,
        });
    };
    let mut f = Feed::new(q.clone());
    let mut step = f.start();
    // The first list counts once for the barrier below, as soon as it is
    // answered or first retried: the other feeds may open their watches
    // rather than wait for it.
    let mut first = true;
    let mut changes = None;
    let mut opened = Instant::now();
    loop {
        step = match step {
            Step::List => {
                // A watch being replaced by a re-list is closed first.
                changes = None;
                let mut counted = !first;
                let answer = retrying(
                    until,
                    || source.list(f.query()),
                    |e, tried| {
                        if !counted {
                            counted = true;
                            listed.send_modify(|n| *n += 1);
                        }
                        trouble(e, tried);
                    },
                )
                .await;
                if std::mem::take(&mut first) && !counted {
                    listed.send_modify(|n| *n += 1);
                }
                f.listed(answer)
            }
            Step::PublishListing => {
                publish(&f);
                // Let the exercises evaluate every first listing; those
                // done drop their receivers, and a feed nobody reads any
                // more needs no watch (so a run whose checks all hold at
                // once sends no watch at all).
                let _ = listed.subscribe().wait_for(|n| *n >= all).await;
                tokio::task::yield_now().await;
                f.after_listing(!watch_for.is_zero() && !tx.is_closed())
            }
            Step::ListAfter(pause) => {
                changes = None;
                tokio::time::sleep_until(deadline(tokio::time::Instant::now(), pause).min(until))
                    .await;
                Step::List
            }
            Step::Poll => {
                tokio::select! {
                    () = tokio::time::sleep(POLL_INTERVAL) => Step::List,
                    () = tx.closed() => Step::Stop,
                }
            }
            Step::WatchAfter { rv, pause } => {
                tokio::time::sleep_until(deadline(tokio::time::Instant::now(), pause).min(until))
                    .await;
                Step::Watch { rv }
            }
            Step::Watch { rv } => {
                opened = Instant::now();
                let opening =
                    retrying(until, || source.watch(f.query(), &rv, watch_for), trouble).await;
                f.watch_opened(opening.map(|c| {
                    tx.send_if_modified(|s| s.trouble.take().is_some());
                    changes = Some(c);
                }))
            }
            Step::Next => {
                let Some(stream) = changes.as_mut() else {
                    // No watch is open: the machine never asks this.
                    return;
                };
                let change = tokio::select! {
                    c = stream.next() => c,
                    // Every exercise reading this feed has its verdict.
                    () = tx.closed() => return,
                };
                if change.is_none() {
                    changes = None;
                }
                f.changed(change, opened.elapsed())
            }
            Step::PublishChange => {
                publish(&f);
                Step::Next
            }
            Step::Fail(e) => {
                tx.send_replace(FeedState {
                    objects: None,
                    error: Some(e),
                    trouble: None,
                });
                return;
            }
            Step::Stop => return,
        };
    }
}

/// Pause before re-listing after a broken watch.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

/// How often a resource without `watch` is listed again while waiting.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// Tries at least this many times, whatever the deadline, so `--timeout 0`
/// (look once) survives one dropped connection or one 503.
const MIN_ATTEMPTS: u32 = 3;

/// First pause between attempts, doubled each time up to [`MAX_BACKOFF`]
/// (client-go's reflector backs off 800 ms to 30 s; exercise deadlines are
/// seconds, so shorter here).
const FIRST_BACKOFF: Duration = Duration::from_millis(250);
const MAX_BACKOFF: Duration = Duration::from_secs(4);

/// The longest `Retry-After` honoured as is (a server asking for more is
/// asked again after this).
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);

fn backoff(attempt: u32) -> Duration {
    FIRST_BACKOFF
        .saturating_mul(1u32 << attempt.saturating_sub(1).min(8))
        .min(MAX_BACKOFF)
}

/// `3.0s`: how long something was tried, for a message.
fn secs(d: Duration) -> String {
    format!("{:.1}s", d.as_secs_f64())
}

/// Runs `op` until it succeeds or fails lastingly. A transient failure
/// ([`ClusterError::is_transient`]) is retried after the server's
/// `Retry-After` or an exponential backoff, until `until` (the last attempt
/// at `until` itself), and at least [`MIN_ATTEMPTS`] times; `on_retry`
/// hears of each with the time spent so far. The final error says how many
/// attempts were made over how long.
pub async fn retrying<T, F, Fut>(
    until: tokio::time::Instant,
    op: F,
    on_retry: impl FnMut(&ClusterError, Duration),
) -> Result<T, ClusterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClusterError>>,
{
    retrying_if(until, op, ClusterError::is_transient, on_retry).await
}

/// [`retrying`] the failures `worth_retrying` says.
async fn retrying_if<T, F, Fut>(
    until: tokio::time::Instant,
    mut op: F,
    worth_retrying: impl Fn(&ClusterError) -> bool,
    mut on_retry: impl FnMut(&ClusterError, Duration),
) -> Result<T, ClusterError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ClusterError>>,
{
    let began = Instant::now();
    let mut attempt: u32 = 0;
    loop {
        attempt = attempt.saturating_add(1);
        let e = match op().await {
            Ok(v) => return Ok(v),
            Err(e) if !worth_retrying(&e) => return Err(e),
            Err(e) => e,
        };
        let asked = e.retry_after().map(|w| w.min(MAX_RETRY_AFTER));
        let wait = asked.unwrap_or_else(|| backoff(attempt));
        let now = tokio::time::Instant::now();
        let mut next = deadline(now, wait);
        // A server that asks to be left alone past the deadline is not
        // asked again before it said (client-go `rest/request.go`,
        // `checkWait`), nor waited for past the deadline: the error now.
        // (Once the deadline has passed, as with `--timeout 0`, the
        // MIN_ATTEMPTS looks are still made, each when the server said.)
        let asked_past = asked.is_some() && next > until && now < until;
        if attempt >= MIN_ATTEMPTS {
            // One last attempt at the deadline itself, then no more.
            next = next.min(until);
        }
        if (attempt >= MIN_ATTEMPTS && now >= until) || asked_past {
            let mut note = format!(
                "; still failing after {attempt} attempt(s) over {}",
                secs(began.elapsed())
            );
            if asked_past {
                note.push_str(&format!(
                    ", and the server asked to wait {} more (Retry-After), past the deadline",
                    secs(wait)
                ));
            }
            return Err(match e {
                ClusterError::Unreachable(m) => ClusterError::Unreachable(m + &note),
                ClusterError::Unavailable {
                    message,
                    retry_after,
                } => ClusterError::Unavailable {
                    message: message + &note,
                    retry_after,
                },
                other => other,
            });
        }
        on_retry(&e, began.elapsed());
        tokio::time::sleep_until(next).await;
    }
}

fn key(o: &Value) -> (String, String) {
    let m = &o["metadata"];
    (
        m["namespace"].as_str().unwrap_or("").to_string(),
        m["name"].as_str().unwrap_or("").to_string(),
    )
}

fn resource_version(o: &Value) -> Option<String> {
    o["metadata"]["resourceVersion"]
        .as_str()
        .map(str::to_string)
}

/// Re-evaluates `p` whenever one of its feeds changes, until it holds, a
/// feed fails, or `timeout` passes.
async fn wait_for<S: ClusterSource>(
    source: &S,
    p: &Plan,
    reads: &[&Expectation],
    mut rxs: Vec<watch::Receiver<FeedState>>,
    mut owners_rx: owner_chain::Receivers,
    timeout: Duration,
    // The run's start (for elapsed times), its wall-clock start (for
    // `started`), where deadlines count from, and the exercise's start if
    // known (for `replaced:`).
    (start, started, began, since): (
        Instant,
        std::time::SystemTime,
        tokio::time::Instant,
        Option<std::time::SystemTime>,
    ),
) -> ExerciseResult {
    let deadline = deadline(began, timeout);
    let mut last: Option<Vec<ExpectationResult>> = None;
    let mut observations = extra::Observations::default();
    let polls = extra::polls(&p.check);
    // When a pod that only a recent container restart keeps from passing
    // will have settled (`eval::restarted_recently`): look again then.
    let mut settles_at: Option<std::time::SystemTime> = None;
    loop {
        let states: Vec<FeedState> = rxs
            .iter_mut()
            .map(|r| r.borrow_and_update().clone())
            .collect();
        if let Some((i, e)) = states
            .iter()
            .enumerate()
            .find_map(|(i, s)| s.error.clone().map(|e| (i, e)))
        {
            let line = reads.get(i).map_or(p.line, |e| e.location.line);
            let message = match e {
                ClusterError::UnknownKind(_) => format!("line {line}: {e}"),
                _ => e.to_string(),
            };
            return result(p, Verdict::Error, message, ms(start), vec![]);
        }
        let owner_states = owners_rx.states();
        if let Some((i, e)) = owner_states.error() {
            let line = reads.get(i).map_or(p.line, |e| e.location.line);
            return result(
                p,
                Verdict::Error,
                format!("line {line}: owner chain: {e}"),
                ms(start),
                vec![],
            );
        }
        if states.iter().all(|s| s.objects.is_some()) && owner_states.ready() {
            settles_at = None;
            let mut outcomes: Vec<ExpectationResult> = p
                .check
                .expect
                .iter()
                .zip(&states)
                .enumerate()
                .map(|(i, (e, s))| {
                    let objs = s.objects.clone().unwrap_or_default();
                    let owners = owner_states.objects(i);
                    let ctx = owners_rx.context(i, &owners);
                    let outcome = eval::evaluate_in(e, &objs, &ctx);
                    if let Some(t) = outcome.settles_at {
                        settles_at =
                            Some(settles_at.map_or(t, |s: std::time::SystemTime| s.min(t)));
                    }
                    expectation_result(e, &outcome, &query_text(e))
                })
                .collect();
            if p.check.extra.is_used() {
                let objects: Vec<Arc<Vec<Value>>> = states
                    .iter()
                    .map(|s| s.objects.clone().unwrap_or_default())
                    .collect();
                // Queries are evaluated as expectations are: with their
                // resolved kind and owner chain.
                let owners: Vec<Vec<Value>> =
                    (0..states.len()).map(|i| owner_states.objects(i)).collect();
                let contexts: Vec<eval::Context> = owners
                    .iter()
                    .enumerate()
                    .map(|(i, o)| owners_rx.context(i, o))
                    .collect();
                let inputs = extra::Inputs {
                    objects: &objects,
                    contexts: &contexts,
                    started,
                    since,
                    deadline: deadline.into_std(),
                };
                // Boxed: its state (log and proxy requests) would otherwise
                // enlarge every exercise's future, extras or not.
                Box::pin(extra::finish(
                    source,
                    &p.check,
                    &inputs,
                    &mut outcomes,
                    &mut observations,
                ))
                .await;
            }
            if outcomes.iter().all(|o| o.holds) {
                let msg = held_message(outcomes.len());
                return result(p, Verdict::Pass, msg, ms(start), outcomes);
            }
            last = Some(outcomes);
        }
        // Wait for a change on any feed still running, or the deadline.
        let settle_wake = settles_at.map(|at| {
            let wait = at
                .duration_since(std::time::SystemTime::now())
                .unwrap_or_default();
            tokio::time::Instant::now()
                .checked_add(wait)
                .unwrap_or(deadline)
        });
        let timed_out = {
            let mut waits: Vec<Pin<Box<dyn Future<Output = bool> + Send + '_>>> = Vec::new();
            for r in rxs.iter_mut().chain(owners_rx.receivers_mut()) {
                waits.push(Box::pin(async move { r.changed().await.is_ok() }));
            }
            let any_change = async {
                while !waits.is_empty() {
                    let (alive, _, rest) = futures::future::select_all(waits).await;
                    if alive {
                        return;
                    }
                    waits = rest;
                }
                // Every feed has finished: nothing more can change.
                futures::future::pending::<()>().await;
            };
            match &last {
                // Until every feed has listed once, wait for it whatever the
                // timeout: each request has its own timeout, and a feed that
                // fails says why (an `error`, not a `fail`).
                None => {
                    any_change.await;
                    false
                }
                Some(_) if timeout.is_zero() => true,
                Some(_) if settle_wake.is_some() => {
                    let mut wake = settle_wake.unwrap_or(deadline).min(deadline);
                    if polls {
                        wake = wake.min(tokio::time::Instant::now() + extra::POLL);
                    }
                    let _ = tokio::time::timeout_at(wake, any_change).await;
                    tokio::time::Instant::now() >= deadline
                }
                // `log` and `http` cannot be watched: ask again every POLL.
                Some(_) if polls => {
                    let poll = tokio::time::Instant::now() + extra::POLL;
                    let _ = tokio::time::timeout_at(poll.min(deadline), any_change).await;
                    tokio::time::Instant::now() >= deadline
                }
                Some(_) => tokio::time::timeout_at(deadline, any_change).await.is_err(),
            }
        };
        if timed_out && let Some(outcomes) = last.take() {
            // The cluster stopped answering while we waited: what we last
            // saw may be stale, so the verdict is not ours to give.
            if let Some(t) = rxs.iter().find_map(|r| r.borrow().trouble.clone()) {
                let message = format!(
                    "{t} when the timeout ({}) passed",
                    humantime::format_duration(timeout)
                );
                return result(p, Verdict::Error, message, ms(start), outcomes);
            }
            // An expression that could not be evaluated, a log or proxy the
            // grader may not read: the check's fault, not the student's.
            if let Some(fault) = outcomes.iter().find_map(|o| o.error.clone()) {
                return result(p, Verdict::Error, fault, ms(start), outcomes);
            }
            let message = fail_message(&outcomes, timeout);
            return result(p, Verdict::Fail, message, ms(start), outcomes);
        }
    }
}

/// A pass's message: `2 expectations held`.
pub fn held_message(n: usize) -> String {
    format!("{n} expectation{} held", if n == 1 { "" } else { "s" })
}

/// What an expectation reads, in kubectl's words: `pods -l isactive=no`.
fn query_text(e: &Expectation) -> String {
    let mut s = e.kind.clone();
    if let Some(n) = &e.name {
        s.push('/');
        s.push_str(&n.text);
    }
    if let Some(sel) = &e.selector {
        s.push_str(&format!(" -l {sel}"));
    }
    if let Some(f) = &e.fields {
        s.push_str(&format!(" --field-selector {f}"));
    }
    match &e.namespace {
        NamespaceSpec::Default => {}
        NamespaceSpec::All => s.push_str(" in all namespaces"),
        NamespaceSpec::Named(n) => s.push_str(&format!(" in {n}")),
    }
    s
}

fn conditions_text(e: &Expectation) -> String {
    let mut c = Vec::new();
    if let Some(p) = &e.phase {
        c.push(format!("phase {p}"));
    }
    if let Some(r) = e.ready {
        c.push(if r { "ready" } else { "not ready" }.to_string());
    }
    match &e.owner {
        Some(OwnerSpec::None) => c.push("no owner".into()),
        Some(OwnerSpec::Kind(k)) => c.push(format!("owned by a {k}")),
        None => {}
    }
    if e.matches.is_some() {
        c.push("match".into());
    }
    for w in &e.r#where {
        c.push(w.text.clone());
    }
    c.join(", ")
}

fn expectation_result(e: &Expectation, o: &Outcome, query: &str) -> ExpectationResult {
    ExpectationResult {
        line: e.location.line,
        query: query.to_string(),
        conditions: conditions_text(e),
        want: e.count.to_string(),
        passing: o.passing,
        holds: o.holds,
        objects: o.objects.clone(),
        error: None,
    }
}

/// One line naming the first expectation that did not hold.
fn fail_message(outcomes: &[ExpectationResult], timeout: Duration) -> String {
    let failing: Vec<&ExpectationResult> = outcomes.iter().filter(|o| !o.holds).collect();
    let Some(first) = failing.first() else {
        return "did not hold".into();
    };
    if let Some(line) = extra::fail_line(first) {
        let more = failing.len() - 1;
        let mut msg = line;
        if more > 0 {
            msg.push_str(&format!(" (and {more} more expectation(s))"));
        }
        if !timeout.is_zero() {
            msg.push_str(&format!(
                "; still so after {}",
                humantime::format_duration(timeout)
            ));
        }
        return msg;
    }
    let what = if first.conditions.is_empty() {
        first.query.clone()
    } else {
        format!("{} ({})", first.query, first.conditions)
    };
    let mut msg = format!(
        "{what}: {} of {} matching object(s) pass, want {}",
        first.passing,
        first.objects.len(),
        first.want
    );
    if failing.len() > 1 {
        msg.push_str(&format!(" (and {} more expectation(s))", failing.len() - 1));
    }
    if !timeout.is_zero() {
        msg.push_str(&format!(
            "; still so after {}",
            humantime::format_duration(timeout)
        ));
    }
    msg
}

/// [`retrying`] on tokio's paused clock: the backoff, the deadline and
/// `Retry-After` to the millisecond, without waiting for any of them.
#[cfg(test)]
mod retry_tests {
    use super::*;
    use std::sync::atomic::{AtomicU32, Ordering::SeqCst};

    fn down() -> ClusterError {
        ClusterError::Unreachable("dial tcp 127.0.0.1:1: connection refused".into())
    }

    /// An operation failing with `fail` its first `failures` times.
    fn flaky(
        tries: &AtomicU32,
        failures: u32,
        fail: ClusterError,
    ) -> impl FnMut() -> std::future::Ready<Result<u32, ClusterError>> + '_ {
        move || {
            let n = tries.fetch_add(1, SeqCst);
            std::future::ready(if n < failures {
                Err(fail.clone())
            } else {
                Ok(n)
            })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn transient_failures_are_retried_with_doubling_backoff() {
        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let r = retrying(
            t0 + Duration::from_secs(30),
            flaky(&tries, 4, down()),
            |_, _| {},
        )
        .await;
        assert_eq!(r, Ok(4));
        // 250 + 500 + 1,000 + 2,000 ms.
        assert_eq!(t0.elapsed(), Duration::from_millis(3750));
    }

    #[tokio::test(start_paused = true)]
    async fn a_deadline_already_past_still_looks_min_attempts_times() {
        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let r = retrying(t0, flaky(&tries, u32::MAX, down()), |_, _| {}).await;
        assert_eq!(tries.load(SeqCst), MIN_ATTEMPTS);
        let Err(ClusterError::Unreachable(m)) = r else {
            panic!("{r:?}")
        };
        assert!(m.ends_with("after 3 attempt(s) over 0.0s"), "{m}");
        assert_eq!(t0.elapsed(), Duration::from_millis(750));
    }

    #[tokio::test(start_paused = true)]
    async fn the_last_attempt_is_at_the_deadline_itself() {
        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let mut heard = 0;
        let r = retrying(
            t0 + Duration::from_secs(2),
            flaky(&tries, u32::MAX, down()),
            |_, _| heard += 1,
        )
        .await;
        assert!(r.is_err());
        // At 0, 250, 750, 1,750 and 2,000 ms.
        assert_eq!(tries.load(SeqCst), 5);
        assert_eq!(heard, 4, "each retry is heard of, not the final error");
        assert_eq!(t0.elapsed(), Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn retry_after_is_honoured_and_never_waited_for_past_the_deadline() {
        let busy = |secs| ClusterError::Unavailable {
            message: "the server is currently unable to handle the request".into(),
            retry_after: Some(Duration::from_secs(secs)),
        };
        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let r = retrying(
            t0 + Duration::from_secs(30),
            flaky(&tries, 1, busy(3)),
            |_, _| {},
        )
        .await;
        assert_eq!(r, Ok(1));
        assert_eq!(t0.elapsed(), Duration::from_secs(3), "as the server asked");

        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let r = retrying(
            t0 + Duration::from_secs(5),
            flaky(&tries, 9, busy(8)),
            |_, _| {},
        )
        .await;
        let Err(ClusterError::Unavailable { message, .. }) = r else {
            panic!("{r:?}")
        };
        assert!(message.contains("asked to wait 8.0s more (Retry-After), past the deadline"));
        assert_eq!(tries.load(SeqCst), 1);
        assert_eq!(t0.elapsed(), Duration::ZERO, "said at once");
    }

    #[tokio::test(start_paused = true)]
    async fn a_lasting_refusal_is_not_retried() {
        let t0 = tokio::time::Instant::now();
        let tries = AtomicU32::new(0);
        let refused = ClusterError::Forbidden("pods is forbidden".into());
        let r = retrying(
            t0 + Duration::from_secs(30),
            flaky(&tries, 9, refused.clone()),
            |_, _| {},
        )
        .await;
        assert_eq!(r, Err(refused));
        assert_eq!(tries.load(SeqCst), 1);
        assert_eq!(t0.elapsed(), Duration::ZERO);
    }
}
