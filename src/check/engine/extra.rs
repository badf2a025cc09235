//! Evaluating the check keys beyond "select objects and test their fields"
//! (their language: [`crate::check::spec::extra`]) against what the
//! cluster shows: CEL per object and per check, `replaced`, `event`, the
//! `log` and `http` observations, and `can-i` from the RBAC objects.
//!
//! Everything here still only reads: logs and the service proxy are `get`
//! on the `pods/log` and `services/proxy` subresources. The engine calls
//! [`finish`] each time it re-evaluates an exercise.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::ExpectationResult;
use crate::check::cel;
use crate::check::eval::ObjectResult;
use crate::check::rbac::{self, Attributes, Policy, UserInfo};
use crate::check::spec::extra::*;
use crate::check::spec::{Check, Count, Expectation};
use crate::cluster::{ClusterError, ClusterSource};

/// How long one evaluation round may go on past the check's deadline (or
/// past its own start, when it starts after it) before the expressions
/// left are not evaluated.
pub const ROUND_GRACE: Duration = Duration::from_secs(1);

/// How often `log` and `http` are asked again while an exercise waits
/// (they cannot be watched).
pub const POLL: Duration = Duration::from_secs(2);

/// The answers of `log` and `http` reads, kept between evaluations of one
/// exercise so that an object is asked at most once per [`POLL`].
#[derive(Default)]
pub struct Observations {
    seen: HashMap<String, (Instant, Result<String, Unanswered>)>,
}

/// The engine's inputs to [`finish`].
pub struct Inputs<'a> {
    /// The objects of each read, in [`reads`] order.
    pub objects: &'a [std::sync::Arc<Vec<Value>>],
    /// What evaluating each read needs beyond its objects (its resolved
    /// kind, the owner chain), in [`reads`] order: a query is evaluated
    /// as an expectation is.
    pub contexts: &'a [crate::check::eval::Context<'a>],
    /// When the engine run started (CEL's `started`).
    pub started: SystemTime,
    /// When the exercise started, if known (`replaced`): see
    /// [`replacement`].
    pub since: Option<SystemTime>,
    /// The check's deadline: no expression is evaluated after it.
    pub deadline: Instant,
}

/// Whether `check` needs polling while it waits (`log`, `http`).
pub fn polls(check: &Check) -> bool {
    check
        .expect
        .iter()
        .any(|e| e.extra.log.is_some() || e.extra.http.is_some())
}

/// Applies the extra keys to `outcomes` (one per expectation, as the pure
/// evaluation left them): more failures for objects, observations made for
/// objects that pass everything else, and one more result per check-level
/// `expr` and `can-i`.
pub async fn finish<S: ClusterSource>(
    source: &S,
    check: &Check,
    inputs: &Inputs<'_>,
    outcomes: &mut Vec<ExpectationResult>,
    observations: &mut Observations,
) {
    if !check.extra.used {
        return;
    }
    let started = crate::duration::rfc3339(inputs.started);
    let since = inputs.since.map(crate::duration::rfc3339);
    let since = since.as_deref();
    let n = check.expect.len();
    // A round that starts at the deadline is the last look (`--timeout 0`
    // is only that): it still evaluates, for at most ROUND_GRACE.
    let stop = inputs.deadline.max(Instant::now()) + ROUND_GRACE;
    let mut budget = cel::Budget::new(cel::Budget::ROUND, Some(stop));
    let mut named: Vec<(&str, cel::Bound)> = vec![(
        "started",
        cel::Bound::new(cel::to_cel(&Value::from(started.clone()))),
    )];
    // A query whose filter could not be evaluated on some object: the
    // expressions reading it cannot be either.
    let mut broken: Vec<(&str, String)> = Vec::new();
    for (i, (name, q)) in check.extra.queries.iter().enumerate() {
        let objs = inputs
            .objects
            .get(n + i)
            .map(|v| v.as_slice())
            .unwrap_or(&[]);
        // Every key an expectation honours (`phase`, `ready`, `owner`,
        // `match`, `where`, objects being deleted), then `expr` and `replaced`.
        let ctx = inputs.contexts.get(n + i).copied().unwrap_or_default();
        let outcome = crate::check::eval::evaluate_in(q, objs, &ctx);
        let passes = |o: &Value| {
            let m = &o["metadata"];
            outcome.objects.iter().any(|r| {
                r.passes()
                    && r.name == m["name"].as_str().unwrap_or("")
                    && r.namespace.as_deref() == m["namespace"].as_str()
            })
        };
        let mut kept: Vec<&Value> = Vec::new();
        for o in objs.iter().filter(|o| selected(q, o) && passes(o)) {
            let against = Against {
                since,
                owners: ctx.owners,
            };
            let f = object_failures(q, o, &named, &broken, against, &[], &mut budget);
            if let Some(fault) = f.faults.into_iter().next() {
                broken.push((name.as_str(), format!("query `{name}`: {fault}")));
                break;
            }
            if f.failed.is_empty() {
                kept.push(o);
            }
        }
        named.push((name.as_str(), cel::Bound::new(cel::list_to_cel(&kept))));
    }
    let mut next_read = n + check.extra.queries.len();
    for (i, e) in check.expect.iter().enumerate() {
        let events: &[Value] = if e.extra.event.is_some() {
            let v = inputs
                .objects
                .get(next_read)
                .map(|v| v.as_slice())
                .unwrap_or(&[]);
            next_read += 1;
            v
        } else {
            &[]
        };
        if e.extra.is_empty() {
            continue;
        }
        let Some(outcome) = outcomes.get_mut(i) else {
            continue;
        };
        // Objects whose only failures are evaluations that could not be
        // made, and the first such failure.
        let mut unknown = 0u64;
        let mut fault: Option<String> = None;
        let objs = inputs.objects.get(i).map(|v| v.as_slice()).unwrap_or(&[]);
        for o in objs.iter().filter(|o| selected(e, o)) {
            let key = (
                o["metadata"]["namespace"].as_str().map(str::to_string),
                o["metadata"]["name"].as_str().unwrap_or("").to_string(),
            );
            let Some(r) = outcome
                .objects
                .iter_mut()
                .find(|r| (r.namespace.clone(), r.name.clone()) == key)
            else {
                continue;
            };
            let against = Against {
                since,
                owners: inputs.contexts.get(i).map_or(&[][..], |c| c.owners),
            };
            let f = object_failures(e, o, &named, &broken, against, events, &mut budget);
            r.failed.extend(f.failed);
            if r.failed.is_empty()
                && f.faults.is_empty()
                && let Some(seen) = observe(source, e, o, observations).await
            {
                match seen {
                    Seen::Fails(why) => r.failed.push(why),
                    Seen::Fault(why) => {
                        fault.get_or_insert_with(|| format!("line {}: {why}", e.location.line));
                        unknown += 1;
                        r.failed.push(why);
                    }
                }
            }
            if let Some(first) = f.faults.first() {
                if r.failed.is_empty() {
                    unknown += 1;
                }
                let what = match &r.namespace {
                    Some(ns) => format!("{}/{}", ns, r.name),
                    None => r.name.clone(),
                };
                fault.get_or_insert_with(|| format!("{first} (on {what})"));
                r.failed.extend(f.faults);
            }
        }
        recount(outcome, &e.count, unknown, fault);
        let extra = conditions(e);
        if !extra.is_empty() {
            if outcome.conditions.is_empty() {
                outcome.conditions = extra;
            } else {
                outcome.conditions = format!("{}, {extra}", outcome.conditions);
            }
        }
    }
    for x in &check.extra.expr {
        let vars: Vec<(&str, &cel::Bound)> = named.iter().map(|(n, b)| (*n, b)).collect();
        let (holds, why) = match reads_broken(&x.expr, &broken) {
            Some(why) => (false, Some(why.to_string())),
            None => match x.expr.eval(&vars, &mut budget) {
                Ok(true) => (true, None),
                Ok(false) => (false, None),
                Err(e) => (
                    false,
                    Some(format!("line {}: expr {}: {e}", x.line, x.expr.text)),
                ),
            },
        };
        outcomes.push(ExpectationResult {
            line: x.line,
            query: "expr".into(),
            conditions: x.expr.text.clone(),
            want: "true".into(),
            passing: u64::from(holds),
            holds,
            objects: vec![],
            error: why,
        });
    }
    if !check.extra.can_i.is_empty() {
        let policy = Policy {
            cluster_roles: inputs
                .objects
                .get(next_read)
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
            cluster_role_bindings: inputs
                .objects
                .get(next_read + 1)
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
            roles: inputs
                .objects
                .get(next_read + 2)
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
            role_bindings: inputs
                .objects
                .get(next_read + 3)
                .map(|v| v.as_slice())
                .unwrap_or(&[]),
        };
        for c in &check.extra.can_i {
            outcomes.push(can_i(source, &policy, c).await);
        }
    }
}

/// One `can-i` question asked as `kubectl auth can-i` asks it
/// (kubectl `pkg/cmd/auth/cani.go`, `Complete` and `RunAccessCheck`): the
/// resource resolved as its REST mapper does (`resourceFor`: lower-cased;
/// taken as written, without a group, when the cluster does not serve it),
/// and the namespace sent whatever the resource's scope (the context's
/// namespace, or `-n`): kubectl only warns that `nodes` are "not namespace
/// scoped", and the RBAC authorizer then consults that namespace's
/// RoleBindings too. The command printed is one that asks the same
/// question (`--subresource`, `--as-group`), so a trainer can paste it.
async fn can_i<S: ClusterSource>(source: &S, policy: &Policy<'_>, c: &CanIAt) -> ExpectationResult {
    let q = &c.question;
    let namespace = q
        .namespace
        .clone()
        .unwrap_or_else(|| source.default_namespace().to_string());
    let (res, sub) = match q.resource.split_once('/') {
        Some((r, s)) => (r, Some(s.to_string())),
        None => (q.resource.as_str(), None),
    };
    let text = can_i_command(q, res, sub.as_deref(), &namespace);
    let want = if q.allowed { "yes" } else { "no" };
    let mut result = ExpectationResult {
        line: c.line,
        query: text,
        conditions: String::new(),
        want: want.into(),
        passing: 0,
        holds: false,
        objects: vec![],
        error: None,
    };
    let (group, plural) = if res == "*" {
        (String::new(), String::from("*"))
    } else {
        match source.resolve_kind(&res.to_ascii_lowercase()).await {
            Ok(r) => (r.group, r.plural),
            Err(_) => (String::new(), res.to_string()),
        }
    };
    let user = UserInfo::impersonated(&q.user, &q.groups);
    let attrs = Attributes {
        verb: q.verb.clone(),
        group,
        resource: plural,
        subresource: sub,
        name: q.name.clone(),
        namespace,
    };
    let (allowed, why) = rbac::authorize(&user, &attrs, policy);
    let got = if allowed { "yes" } else { "no" };
    result.holds = allowed == q.allowed;
    result.passing = u64::from(result.holds);
    result.conditions = format!("answers {got} ({why})");
    result
}

/// `auth can-i VERB RESOURCE[/NAME] [--subresource SUB] --as USER
/// [--as-group G]... -n NS`: the kubectl command asking `q` (kubectl reads
/// `RESOURCE/NAME` as a name, never as a subresource).
fn can_i_command(q: &CanI, res: &str, sub: Option<&str>, namespace: &str) -> String {
    let mut text = format!("auth can-i {} {res}", q.verb);
    if let Some(n) = &q.name {
        text.push_str(&format!("/{n}"));
    }
    if let Some(s) = sub {
        text.push_str(&format!(" --subresource {s}"));
    }
    text.push_str(&format!(" --as {}", q.user));
    for g in &q.groups {
        text.push_str(&format!(" --as-group {g}"));
    }
    text.push_str(&format!(" -n {namespace}"));
    text
}

/// Whether the expectation's name and label selector select `o` (what
/// `eval::evaluate` applies before any condition).
fn selected(e: &Expectation, o: &Value) -> bool {
    let meta = &o["metadata"];
    let name = meta["name"].as_str().unwrap_or("");
    e.name.as_ref().is_none_or(|p| p.matches(name))
        && e.selector
            .as_ref()
            .is_none_or(|s| s.matches_json(meta.get("labels")))
}

/// What an object fails: conditions that do not hold (`failed`: the
/// student's), and expressions that could not be evaluated (`faults`: the
/// check's, each with its line).
#[derive(Default)]
struct Failures {
    failed: Vec<String>,
    faults: Vec<String>,
}

/// Why `expr` cannot be evaluated: it reads a query that could not be.
fn reads_broken<'a>(expr: &cel::Expr, broken: &'a [(&str, String)]) -> Option<&'a str> {
    broken
        .iter()
        .find(|(name, _)| expr.reads(name))
        .map(|(_, why)| why.as_str())
}

/// The controllers whose pods `replaced: true` compares with when no
/// start is known: the engine reads them for such checks.
pub const REPLACED_CONTROLLERS: [&str; 3] =
    ["daemonsets.apps", "replicasets.apps", "statefulsets.apps"];

/// How long after its controller a pod may have been created and still be
/// one of the pods the controller made when it was created (its first
/// sync: the ReplicaSet controller's `slowStartBatch`, kubernetes
/// `pkg/controller/replicaset/replica_set.go`, makes them all at once).
pub const FIRST_PODS: Duration = Duration::from_secs(10);

/// The annotation `kubectl rollout restart` sets on a workload's pod
/// template, to the time of the restart (kubectl
/// `pkg/polymorphichelpers/objectrestarter.go`); the pods made from that
/// template carry it.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";

/// The annotation the Deployment controller numbers a Deployment's
/// ReplicaSets with, as `kubectl rollout history` lists them (kubernetes
/// `pkg/controller/deployment/util/deployment_util.go`, `RevisionAnnotation`).
const REVISION: &str = "deployment.kubernetes.io/revision";

/// What `replaced: true` says of an object.
enum Replacement {
    Yes,
    /// Not a replacement: why, in words.
    No(String),
    /// Nothing shows whether it is one: why (the check's `error`, not the
    /// student's `fail`).
    Unknown(String),
}

/// Whether `o` replaced another object.
///
/// With the exercise's start known (`since`, as `labdeck run` knows it):
/// it was created at or after that start (`metadata.creationTimestamp`,
/// RFC 3339 to the second; both clocks in sync).
///
/// With no start known (`check`, `grade`, the board and the slide's check
/// button usually look after the student acted), only what the cluster
/// shows counts, first that applies:
/// 1. it carries [`RESTARTED_AT`]: a pod made from a template that
///    `kubectl rollout restart` stamped (Deployment, DaemonSet,
///    StatefulSet);
/// 2. it is a Deployment's ReplicaSet at revision 2 or later
///    ([`REVISION`]), or a pod of one: the Deployment's template changed
///    (a new image, `rollout restart`, `rollout undo`) and it replaced the
///    previous revision's;
/// 3. it is a pod of a controller read ([`REPLACED_CONTROLLERS`]) created
///    more than [`FIRST_PODS`] after it: the controller made it later, to
///    replace a pod deleted, evicted or relabelled away (a scale-up or a
///    new node also count: the cluster keeps nothing that tells them
///    apart); within [`FIRST_PODS`], it is one of the controller's first
///    pods: not a replacement;
/// 4. anything else (no controller, a controller not read such as a Job
///    or a node for a static pod, a missing timestamp) shows nothing of
///    what it replaced: [`Replacement::Unknown`].
fn replacement(o: &Value, since: Option<&str>, owners: &[Value]) -> Replacement {
    let meta = &o["metadata"];
    let created = meta["creationTimestamp"].as_str().unwrap_or("");
    if let Some(since) = since {
        // Both are RFC 3339 UTC to the second: they compare as strings.
        return if !created.is_empty() && created >= since {
            Replacement::Yes
        } else {
            Replacement::No(format!(
                "created {created}, before the exercise started ({since}): not replaced"
            ))
        };
    }
    const AFTER: &str = "no start known (`labdeck run` knows when an exercise starts)";
    if meta["annotations"][RESTARTED_AT].is_string() {
        return Replacement::Yes;
    }
    let Some(owner) = meta["ownerReferences"]
        .as_array()
        .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
    else {
        return Replacement::Unknown(format!(
            "{AFTER}, and an object without a controller shows nothing of what it replaced"
        ));
    };
    let kind = owner["kind"].as_str().unwrap_or("");
    let name = owner["name"].as_str().unwrap_or("");
    let uid = owner["uid"].as_str();
    if kind == "Deployment" && revision(meta) > 1 {
        // A Deployment's ReplicaSet for a later revision.
        return Replacement::Yes;
    }
    let Some(controller) = owners
        .iter()
        .find(|c| uid.is_some() && c["metadata"]["uid"].as_str() == uid)
    else {
        return Replacement::Unknown(format!(
            "{AFTER}, and its controller {kind} {name} was not read (only a ReplicaSet's, DaemonSet's or StatefulSet's pods show it)"
        ));
    };
    let cmeta = &controller["metadata"];
    if kind == "ReplicaSet" && revision(cmeta) > 1 {
        return Replacement::Yes;
    }
    let since_controller = cmeta["creationTimestamp"]
        .as_str()
        .and_then(|c| humantime::parse_rfc3339(c).ok())
        .zip(humantime::parse_rfc3339(created).ok())
        .map(|(c, o)| o.duration_since(c).unwrap_or_default());
    match since_controller {
        None => Replacement::Unknown(format!(
            "{AFTER}, and its or its controller's creationTimestamp is missing"
        )),
        Some(d) if d > FIRST_PODS => Replacement::Yes,
        Some(d) => Replacement::No(format!(
            "created {created}, {}s after its {kind} {name}: one of the pods it made when it was created, not replaced",
            d.as_secs()
        )),
    }
}

/// What `replaced` compares an object with: the exercise's start (RFC
/// 3339) if known, and the controllers read.
#[derive(Clone, Copy)]
struct Against<'a> {
    since: Option<&'a str>,
    owners: &'a [Value],
}

/// The [`REVISION`] of an object's metadata (0: none).
fn revision(meta: &Value) -> u64 {
    meta["annotations"][REVISION]
        .as_str()
        .and_then(|r| r.parse().ok())
        .unwrap_or(0)
}

/// The pure extra conditions `o` fails: `expr`, `replaced`, `event`.
fn object_failures(
    e: &Expectation,
    o: &Value,
    named: &[(&str, cel::Bound)],
    broken: &[(&str, String)],
    against: Against<'_>,
    events: &[Value],
    budget: &mut cel::Budget,
) -> Failures {
    let mut f = Failures::default();
    let out = &mut f.failed;
    if !e.extra.expr.is_empty() {
        let this = cel::Bound::new(cel::to_cel(o));
        let mut vars: Vec<(&str, &cel::Bound)> = vec![("self", &this)];
        vars.extend(named.iter().map(|(n, b)| (*n, b)));
        for x in &e.extra.expr {
            if let Some(why) = reads_broken(&x.expr, broken) {
                f.faults.push(why.to_string());
                continue;
            }
            match x.expr.eval(&vars, budget) {
                Ok(true) => {}
                Ok(false) => out.push(format!("expr {} is false", x.expr.text)),
                Err(why) => f
                    .faults
                    .push(format!("line {}: expr {}: {why}", x.line, x.expr.text)),
            }
        }
    }
    if e.extra.replaced {
        match replacement(o, against.since, against.owners) {
            Replacement::Yes => {}
            Replacement::No(why) => out.push(why),
            Replacement::Unknown(why) => f
                .faults
                .push(format!("line {}: replaced: {why}", e.location.line)),
        }
    }
    if let Some(want) = &e.extra.event {
        let uid = o["metadata"]["uid"].as_str();
        let name = o["metadata"]["name"].as_str();
        let about: Vec<&Value> = events
            .iter()
            .filter(|ev| {
                let io = &ev["involvedObject"];
                match (io["uid"].as_str(), uid) {
                    (Some(a), Some(b)) => a == b,
                    _ => io["name"].as_str() == name,
                }
            })
            .collect();
        let hit = about.iter().any(|ev| {
            ev["reason"].as_str() == Some(want.reason.as_str())
                && want
                    .event_type
                    .as_ref()
                    .is_none_or(|t| ev["type"].as_str() == Some(t.as_str()))
                && want.message.as_ref().is_none_or(|m| {
                    ev["message"]
                        .as_str()
                        .is_some_and(|s| s.contains(m.as_str()))
                })
        });
        if !hit {
            let mut reasons: Vec<&str> = about
                .iter()
                .filter_map(|ev| ev["reason"].as_str())
                .collect();
            reasons.sort_unstable();
            reasons.dedup();
            out.push(if reasons.is_empty() {
                format!("no event {}, no event at all", want.reason)
            } else {
                format!("no event {} (events: {})", want.reason, reasons.join(", "))
            });
        }
    }
    f
}

/// What a `log` or `http` observation found wrong.
enum Seen {
    /// The pod or service does not answer as wanted: the student's.
    Fails(String),
    /// The grader could not ask (403): the check's, as a list it may not
    /// read is.
    Fault(String),
}

/// `log` and `http`: one request, at most once per [`POLL`] per object.
async fn observe<S: ClusterSource>(
    source: &S,
    e: &Expectation,
    o: &Value,
    observations: &mut Observations,
) -> Option<Seen> {
    let ns = o["metadata"]["namespace"]
        .as_str()
        .unwrap_or(source.default_namespace())
        .to_string();
    let name = o["metadata"]["name"].as_str().unwrap_or("").to_string();
    if let Some(l) = &e.extra.log {
        let key = format!("log {ns}/{name} {:?} {:?}", l.container, l.tail);
        let answer = cached(observations, &key, || async {
            source
                .pod_log(&ns, &name, l.container.as_deref(), l.tail)
                .await
                .map_err(|e| needs_role(e, "get", "pods/log"))
        })
        .await;
        match answer {
            Ok(text) if text.contains(&l.contains) => {}
            Ok(text) => {
                let last = text.lines().last().unwrap_or("").trim();
                return Some(Seen::Fails(if text.is_empty() {
                    format!("log has no {:?} (the log is empty)", l.contains)
                } else {
                    format!("log has no {:?} (last line: {last:?})", l.contains)
                }));
            }
            Err(why) => return Some(seen_error("log", why)),
        }
    }
    if let Some(h) = &e.extra.http {
        let port = h.port.to_string();
        let key = format!("http {ns}/{name}:{port}{}", h.path);
        let answer = cached(observations, &key, || async {
            source
                .service_proxy(&ns, &name, h.scheme.as_deref(), &port, &h.path)
                .await
                .map(|(code, body)| format!("{code} {body}"))
                .map_err(|e| needs_role(e, "get", "services/proxy"))
        })
        .await;
        let want = h.status.unwrap_or(200);
        match answer {
            Ok(text) => {
                let (code, body) = text.split_once(' ').unwrap_or((text.as_str(), ""));
                let code: u16 = code.parse().unwrap_or(0);
                if code != want {
                    return Some(Seen::Fails(format!(
                        "GET {}:{port}{} answered {code}, want {want}",
                        name, h.path
                    )));
                }
                if let Some(c) = &h.contains
                    && !body.contains(c.as_str())
                {
                    let start: String = body.chars().take(60).collect();
                    return Some(Seen::Fails(format!(
                        "GET {name}:{port}{}: the page has no {c:?} (it starts {start:?})",
                        h.path
                    )));
                }
            }
            Err(why) => return Some(seen_error("http", why)),
        }
    }
    None
}

async fn cached<F, Fut>(obs: &mut Observations, key: &str, ask: F) -> Result<String, Unanswered>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<String, Unanswered>>,
{
    if let Some((at, answer)) = obs.seen.get(key)
        && at.elapsed() < POLL
    {
        return answer.clone();
    }
    let answer = ask().await;
    obs.seen
        .insert(key.to_string(), (Instant::now(), answer.clone()));
    answer
}

/// Why a `log` or `http` request got no answer, kept in [`Observations`]
/// with the answers: whose fault it is decides the verdict.
#[derive(Debug, Clone, thiserror::Error)]
enum Unanswered {
    /// A 403 on a subresource: the rule the grader's role lacks, after the
    /// API server's words (`pods "web" is forbidden: User "..." cannot get
    /// resource "pods/log" in API group "" in the namespace "default"`).
    #[error(
        "{message}; the grader's role needs `{verb}` on `{resource}` (deploy/grader-rbac.yaml grants it)"
    )]
    Forbidden {
        message: String,
        verb: &'static str,
        resource: &'static str,
    },
    /// Anything else (no such pod, no endpoint...), as the cluster said it.
    #[error("{0}")]
    Failed(String),
}

fn needs_role(e: ClusterError, verb: &'static str, resource: &'static str) -> Unanswered {
    match e {
        ClusterError::Forbidden(message) => Unanswered::Forbidden {
            message,
            verb,
            resource,
        },
        other => Unanswered::Failed(other.to_string()),
    }
}

/// A failed `log` or `http` request: a refusal is the check's fault (the
/// grader may not ask, as when it may not list), anything else the
/// student's (no such pod, no endpoint...).
fn seen_error(what: &str, why: Unanswered) -> Seen {
    match why {
        Unanswered::Forbidden { .. } => Seen::Fault(format!("{what}: {why}")),
        Unanswered::Failed(_) => Seen::Fails(format!("{what}: {why}")),
    }
}

/// The failure line of a check-level result (`expr`, `can-i`); `None` for
/// an expectation about objects.
pub fn fail_line(r: &ExpectationResult) -> Option<String> {
    if let Some(e) = &r.error {
        return Some(e.clone());
    }
    if r.query == "expr" {
        return Some(format!("expr {} is false", r.conditions));
    }
    if r.query.starts_with("auth can-i ") {
        return Some(format!(
            "kubectl {}: {}, want {}",
            r.query, r.conditions, r.want
        ));
    }
    None
}

/// Counts the passing objects again. `unknown` objects could not be
/// evaluated (`fault` says why): the count is decided only if it holds, or
/// fails, whatever they would have given; otherwise the expectation does
/// not hold and carries the fault as its `error`.
fn recount(outcome: &mut ExpectationResult, count: &Count, unknown: u64, fault: Option<String>) {
    let passing = outcome
        .objects
        .iter()
        .filter(|o: &&ObjectResult| o.passes())
        .count() as u64;
    outcome.passing = passing;
    let holds = count.holds(passing);
    let decided = (1..=unknown).all(|k| count.holds(passing.saturating_add(k)) == holds);
    outcome.holds = holds && decided;
    if !decided {
        outcome.error = fault;
    }
}

/// The extra conditions, as the report lists them.
fn conditions(e: &Expectation) -> String {
    let mut c: Vec<String> = e.extra.expr.iter().map(|x| x.expr.text.clone()).collect();
    if let Some(l) = &e.extra.log {
        c.push(format!("log contains {:?}", l.contains));
    }
    if let Some(h) = &e.extra.http {
        let mut s = format!(
            "GET :{}{} answers {}",
            h.port,
            h.path,
            h.status.unwrap_or(200)
        );
        if let Some(t) = &h.contains {
            s.push_str(&format!(" with {t:?}"));
        }
        c.push(s);
    }
    if let Some(ev) = &e.extra.event {
        c.push(format!("event {}", ev.reason));
    }
    if e.extra.replaced {
        c.push("replaced".into());
    }
    c.join(", ")
}
