//! Waiting for a cluster to hold every expectation of some exercises.
//!
//! One run takes one [`ClusterSource`] and the parsed checks. Expectations
//! that read the same resource, namespace and selectors share one feed: one
//! list, then one watch keeping a copy of the objects. Each exercise
//! re-evaluates when one of its feeds changes (never on a timer), passes the
//! moment everything holds, and at its timeout fails with what it last saw.
//! Every cluster problem becomes that exercise's `error` verdict. Nothing is
//! spawned: a run is one future, cheap to run many times concurrently.

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
use crate::check::extra;
use crate::check::spec::{self, Check, Expectation, NamespaceSpec, OwnerSpec};
use crate::cluster::{Change, ClusterError, ClusterSource, Query};
use crate::error::Error;
use crate::exercise::Exercise;

/// An exercise with its parsed check: what the engine runs.
#[derive(Debug, Clone)]
pub struct Plan {
    pub id: String,
    pub file: PathBuf,
    pub line: usize,
    pub title: String,
    pub check: Check,
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
    /// What `replaced` and `started` compare with: objects created before
    /// it are not replacements. Default: when the run starts (`run` gives
    /// the moment the exercise's commands began).
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
    error: Option<ClusterError>,
}

/// Checks `plans` against `source`, all at once, calling `on_result` as each
/// verdict is reached. Results come back in `plans` order.
pub async fn run<S: ClusterSource>(
    source: &S,
    plans: &[Plan],
    opts: &Options,
    on_result: &(dyn Fn(&ExerciseResult) + Send + Sync),
) -> Vec<ExerciseResult> {
    let start = Instant::now();
    let started = opts.since.unwrap_or_else(std::time::SystemTime::now);
    // What each plan reads: its expectations, then the lists its extra keys
    // need (`extra::reads`).
    let reads: Vec<Vec<&Expectation>> = plans
        .iter()
        .map(|p| extra::reads(&p.check).collect())
        .collect();

    // 1. Resolve each distinct kind once.
    let mut kinds: Vec<&str> = reads
        .iter()
        .flat_map(|r| r.iter().map(|e| e.kind.as_str()))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    let resolved: HashMap<&str, Result<crate::cluster::Resource, ClusterError>> =
        futures::future::join_all(
            kinds
                .iter()
                .map(|k| async move { (*k, source.resolve_kind(k).await) }),
        )
        .await
        .into_iter()
        .collect();

    // 2. Turn expectations into queries; group equal queries into feeds.
    let mut feeds: BTreeMap<Query, Duration> = BTreeMap::new();
    let mut prepared: Vec<Result<Vec<Query>, String>> = Vec::new();
    for (p, read) in plans.iter().zip(&reads) {
        let timeout = opts.timeout_for(&p.check);
        let mut queries = Vec::new();
        let mut failure = None;
        for e in read.iter().copied() {
            match &resolved[e.kind.as_str()] {
                Ok(resource) => {
                    let q = query(e, resource.clone(), source.default_namespace());
                    let t = feeds.entry(q.clone()).or_default();
                    *t = (*t).max(timeout);
                    queries.push(q);
                }
                Err(err) => {
                    // A kind the cluster does not serve is the slide's
                    // business: say which expectation names it.
                    failure = Some(match err {
                        ClusterError::UnknownKind(_) => format!("line {}: {err}", e.location.line),
                        _ => err.to_string(),
                    });
                    break;
                }
            }
        }
        prepared.push(failure.map_or(Ok(queries), Err));
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
        feed_futs.push(feed(source, q, *watch_for, tx, (listed, all)));
    }

    // 3. Each exercise waits on its feeds.
    let exercise_futs = plans
        .iter()
        .zip(prepared)
        .zip(&reads)
        .map(|((p, prep), read)| {
            let rxs: Result<Vec<watch::Receiver<FeedState>>, String> =
                prep.map(|qs| qs.iter().map(|q| senders[q].clone()).collect());
            async move {
                let r = match rxs {
                    Err(reason) => result(p, Verdict::Error, reason, ms(start), vec![]),
                    Ok(rxs) => {
                        let at = (start, started);
                        wait_for(source, p, read, rxs, opts.timeout_for(&p.check), at).await
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
    start.elapsed().as_millis() as u64
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
/// `watch_for`, publishing every new state.
async fn feed<S: ClusterSource>(
    source: &S,
    q: &Query,
    watch_for: Duration,
    tx: watch::Sender<FeedState>,
    (listed, all): (&watch::Sender<usize>, usize),
) {
    let fail = |e: ClusterError| {
        tx.send_replace(FeedState {
            objects: None,
            error: Some(e),
        });
    };
    let mut first = true;
    'relist: loop {
        let listing = source.list(q).await;
        if std::mem::take(&mut first) {
            listed.send_modify(|n| *n += 1);
        }
        let listing = match listing {
            Ok(l) => l,
            Err(e) => return fail(e),
        };
        let mut objects: BTreeMap<(String, String), Value> =
            listing.objects.into_iter().map(|o| (key(&o), o)).collect();
        let publish = |objects: &BTreeMap<(String, String), Value>| {
            tx.send_replace(FeedState {
                objects: Some(Arc::new(objects.values().cloned().collect())),
                error: None,
            });
        };
        publish(&objects);
        // Let the exercises evaluate every first listing; those done drop
        // their receivers, and a feed nobody reads any more needs no watch
        // (so a run whose checks all hold at once sends no watch at all).
        let _ = listed.subscribe().wait_for(|n| *n >= all).await;
        tokio::task::yield_now().await;
        if watch_for.is_zero() || tx.is_closed() {
            return;
        }
        let mut rv = listing.resource_version;
        loop {
            let opened = Instant::now();
            let mut changes = match source.watch(q, &rv, watch_for).await {
                Ok(c) => c,
                Err(e) => return fail(e),
            };
            loop {
                let change = tokio::select! {
                    c = changes.next() => c,
                    // Every exercise reading this feed has its verdict.
                    () = tx.closed() => return,
                };
                let Some(change) = change else { break };
                match change {
                    Ok(Change::Applied(o)) => {
                        rv = resource_version(&o).unwrap_or(rv);
                        objects.insert(key(&o), o);
                    }
                    Ok(Change::Deleted(o)) => {
                        rv = resource_version(&o).unwrap_or(rv);
                        objects.remove(&key(&o));
                    }
                    Ok(Change::Bookmark(v)) => {
                        rv = v;
                        continue;
                    }
                    Ok(Change::Expired) => continue 'relist,
                    Err(e @ (ClusterError::Unauthorized(_) | ClusterError::Forbidden(_))) => {
                        return fail(e);
                    }
                    // A broken stream: list again rather than trust a gap
                    // (after a pause, so a flapping server is not hammered).
                    Err(_) => {
                        tokio::time::sleep(RETRY_PAUSE).await;
                        continue 'relist;
                    }
                }
                publish(&objects);
            }
            // The server closed the watch (its timeout): resume where it was,
            // pausing first if it closed at once.
            if opened.elapsed() < RETRY_PAUSE {
                tokio::time::sleep(RETRY_PAUSE).await;
            }
        }
    }
}

/// Pause before re-listing after a broken watch.
const RETRY_PAUSE: Duration = Duration::from_millis(500);

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
    timeout: Duration,
    (start, started): (Instant, std::time::SystemTime),
) -> ExerciseResult {
    let deadline = tokio::time::Instant::now() + timeout;
    let mut last: Option<Vec<ExpectationResult>> = None;
    let mut observations = extra::Observations::default();
    let polls = extra::polls(&p.check);
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
        if states.iter().all(|s| s.objects.is_some()) {
            let mut outcomes: Vec<ExpectationResult> = p
                .check
                .expect
                .iter()
                .zip(&states)
                .map(|(e, s)| {
                    let objs = s.objects.clone().unwrap_or_default();
                    expectation_result(e, &eval::evaluate(e, &objs), &query_text(e))
                })
                .collect();
            if p.check.extra.is_used() {
                let objects: Vec<Arc<Vec<Value>>> = states
                    .iter()
                    .map(|s| s.objects.clone().unwrap_or_default())
                    .collect();
                let inputs = extra::Inputs {
                    objects: &objects,
                    started,
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
                let msg = format!(
                    "{} expectation{} held",
                    outcomes.len(),
                    if outcomes.len() == 1 { "" } else { "s" }
                );
                return result(p, Verdict::Pass, msg, ms(start), outcomes);
            }
            last = Some(outcomes);
        }
        // Wait for a change on any feed still running, or the deadline.
        let mut waits: Vec<Pin<Box<dyn Future<Output = bool> + Send + '_>>> = Vec::new();
        for r in rxs.iter_mut() {
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
        let timed_out = match &last {
            // Until every feed has listed once, wait for it whatever the
            // timeout: each request has its own timeout, and a feed that
            // fails says why (an `error`, not a `fail`).
            None => {
                any_change.await;
                false
            }
            Some(_) if timeout.is_zero() => true,
            // `log` and `http` cannot be watched: ask again every POLL.
            Some(_) if polls => {
                let poll = tokio::time::Instant::now() + extra::POLL;
                let _ = tokio::time::timeout_at(poll.min(deadline), any_change).await;
                tokio::time::Instant::now() >= deadline
            }
            Some(_) => tokio::time::timeout_at(deadline, any_change).await.is_err(),
        };
        if timed_out && let Some(outcomes) = last.take() {
            let message = fail_message(&outcomes, timeout);
            return result(p, Verdict::Fail, message, ms(start), outcomes);
        }
    }
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
