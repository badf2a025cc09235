//! Check keys beyond "select objects and test their fields" (`checking.md`,
//! "Expressions and observations"):
//!
//! - per expectation: `expr` (CEL on `self`), `log` (a pod's log contains a
//!   text), `http` (a GET through the API server's service proxy), `event`
//!   (an Event about the object), `replaced` (the object was created after
//!   the check started);
//! - per check: `queries` (named object lists), `expr` (CEL over them) and
//!   `can-i` (what `kubectl auth can-i --as` would answer, from the RBAC
//!   objects: see `rbac.rs`).
//!
//! Everything here still only reads: logs and the service proxy are `get`
//! on the `pods/log` and `services/proxy` subresources. Expressions are
//! compiled once, when the check is parsed; the engine asks this module
//! which extra lists to keep (events, RBAC objects, queries) and calls
//! [`finish`] each time it re-evaluates an exercise.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use serde::Deserialize;
use serde_json::Value;
use serde_saphyr::Spanned;

use crate::check::cel::{self, Expr};
use crate::check::engine::ExpectationResult;
use crate::check::eval::ObjectResult;
use crate::check::rbac::{self, Attributes, Policy, UserInfo};
use crate::check::spec::{Check, CmpOp, Count, Expectation, NamespaceSpec};
use crate::cluster::{ClusterError, ClusterSource};
use crate::error::{Error, Location, Result};

/// `expr: "..."` or a list of them, each item with where it is written.
#[derive(Debug, Clone)]
pub enum OneOrMany {
    One(String),
    Many(Vec<Spanned<String>>),
}

impl<'de> Deserialize<'de> for OneOrMany {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = OneOrMany;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an expression or a list of expressions")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<OneOrMany, E> {
                Ok(OneOrMany::One(v.to_string()))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<OneOrMany, A::Error> {
                let mut out = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<String>>()? {
                    out.push(item);
                }
                Ok(OneOrMany::Many(out))
            }
        }
        d.deserialize_any(V)
    }
}

impl OneOrMany {
    /// Each expression with where it is written, `line` being the line of
    /// `expr:`: an item of a list at its own line, however many lines a
    /// block scalar (`>-`, `|`) before it took.
    pub fn located(self, line: u64, at: &dyn Fn(u64) -> Location) -> Vec<(String, Location)> {
        match self {
            OneOrMany::One(t) => vec![(t, at(line))],
            OneOrMany::Many(ts) => ts
                .into_iter()
                .map(|t| {
                    let l = t.referenced.line();
                    (t.value, at(if l == 0 { line } else { l }))
                })
                .collect(),
        }
    }
}

/// An expression and the line it was written on.
#[derive(Debug, Clone)]
pub struct ExprAt {
    pub expr: Expr,
    pub line: usize,
}

/// `log:` on pods: `GET pods/{name}/log`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogTest {
    /// Text the log must contain.
    pub contains: String,
    /// Which container (`-c`); the pod's only one by default.
    pub container: Option<String>,
    /// Only the last N lines (`--tail`).
    pub tail: Option<u64>,
}

/// `http:` on services: `GET services/{name}:{port}/proxy/{path}`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpTest {
    /// The service port, by number or name.
    pub port: PortRef,
    #[serde(default = "root_path")]
    pub path: String,
    /// `https` to proxy with TLS to the pods (`https:name:port`).
    pub scheme: Option<String>,
    /// The status code wanted (200 by default).
    pub status: Option<u16>,
    /// Text the body must contain.
    pub contains: Option<String>,
}

fn root_path() -> String {
    "/".into()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum PortRef {
    Number(u16),
    Name(String),
}

impl std::fmt::Display for PortRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PortRef::Number(n) => write!(f, "{n}"),
            PortRef::Name(s) => f.write_str(s),
        }
    }
}

/// `event:`: an Event whose `involvedObject` is the object.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventTest {
    /// `FailedScheduling`, `BackOff`, `Killing`, `Pulled`...
    pub reason: String,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub event_type: Option<String>,
    /// Text the event's message must contain.
    pub message: Option<String>,
}

/// The extra keys of one expectation.
#[derive(Debug, Clone, Default)]
pub struct ExpectExtra {
    pub expr: Vec<ExprAt>,
    /// Expressions as written, compiled by [`compile`] once the check's
    /// query names are known.
    pending: Vec<(String, Location)>,
    pub log: Option<LogTest>,
    pub http: Option<HttpTest>,
    pub event: Option<EventTest>,
    pub replaced: bool,
}

impl ExpectExtra {
    pub fn is_empty(&self) -> bool {
        self.expr.is_empty()
            && self.pending.is_empty()
            && self.log.is_none()
            && self.http.is_none()
            && self.event.is_none()
            && !self.replaced
    }

    /// Builds the extra keys of an expectation of `kind` (`at`: YAML line to
    /// chapter location).
    pub fn new(
        kind: &str,
        expr: Option<Spanned<OneOrMany>>,
        log: Option<Spanned<LogTest>>,
        http: Option<Spanned<HttpTest>>,
        event: Option<Spanned<EventTest>>,
        replaced: Option<bool>,
        at: &dyn Fn(u64) -> Location,
    ) -> Result<ExpectExtra> {
        let err = |line: u64, m: String| Error::at(at(line), format!("check: {m}"));
        let k = kind.to_ascii_lowercase();
        if let Some(l) = &log
            && !matches!(k.as_str(), "pod" | "pods" | "po")
        {
            return Err(err(
                l.referenced.line(),
                format!("`log` reads pods' logs, not {kind}"),
            ));
        }
        if let Some(h) = &http {
            if !matches!(k.as_str(), "service" | "services" | "svc") {
                return Err(err(
                    h.referenced.line(),
                    format!("`http` goes through a service, not {kind}"),
                ));
            }
            if let Some(s) = &h.value.scheme
                && s != "http"
                && s != "https"
            {
                return Err(err(
                    h.referenced.line(),
                    format!("http: scheme {s:?}: want http or https"),
                ));
            }
        }
        let pending = expr.map_or_else(Vec::new, |e| e.value.located(e.referenced.line(), at));
        Ok(ExpectExtra {
            expr: vec![],
            pending,
            log: log.map(|l| l.value),
            http: http.map(|h| h.value),
            event: event.map(|e| e.value),
            replaced: replaced.unwrap_or(false),
        })
    }
}

/// One `can-i` question, as `kubectl auth can-i VERB RESOURCE [NAME] --as USER -n NS`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CanI {
    /// The user asked about: `system:serviceaccount:NS:NAME` or a user name.
    #[serde(rename = "as")]
    pub user: String,
    /// Extra groups (`--as-group`).
    #[serde(rename = "as-group", default)]
    pub groups: Vec<String>,
    pub verb: String,
    /// `pods`, `deployments.apps`, `pods/log`, a kind or short name (resolved
    /// as kubectl does).
    pub resource: String,
    pub name: Option<String>,
    /// The namespace asked about; the context's namespace by default.
    pub namespace: Option<String>,
    /// The answer wanted: `yes` (true) or `no` (false).
    pub allowed: bool,
}

#[derive(Debug, Clone)]
pub struct CanIAt {
    pub question: CanI,
    pub line: usize,
}

/// The check-level extra keys.
#[derive(Debug, Clone, Default)]
pub struct CheckExtra {
    /// The lists read for `event` and `can-i` (built once, at parse time).
    synthetic: Vec<Expectation>,
    /// Whether any key of this module is used (else [`finish`] has nothing to do).
    used: bool,
    /// Named lists (`queries: {nodes: {kind: nodes}}`), in name order.
    pub queries: Vec<(String, Expectation)>,
    pub expr: Vec<ExprAt>,
    pending: Vec<(String, Location)>,
    pub can_i: Vec<CanIAt>,
}

impl CheckExtra {
    /// Whether the check uses any key of this module (set at parse time).
    pub fn is_used(&self) -> bool {
        self.used
    }

    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
            && self.expr.is_empty()
            && self.pending.is_empty()
            && self.can_i.is_empty()
    }

    pub fn new(
        queries: Vec<(Spanned<String>, Expectation, bool)>,
        expr: Option<Spanned<OneOrMany>>,
        can_i: Vec<Spanned<CanI>>,
        at: &dyn Fn(u64) -> Location,
    ) -> Result<CheckExtra> {
        let mut named = Vec::new();
        for (name, e, counted) in queries {
            let line = name.referenced.line();
            let n = name.value;
            if !cel::is_identifier(&n) || cel::RESERVED.contains(&n.as_str()) {
                return Err(Error::at(
                    at(line),
                    format!(
                        "check: query name {n:?}: want an identifier (letters, digits, _) that is not a CEL word or `self`/`started`"
                    ),
                ));
            }
            if counted {
                return Err(Error::at(
                    e.location.clone(),
                    format!(
                        "check: query `{n}` has a `count`: a query only names a list; test its size in `expr` (size({n}) == 3)"
                    ),
                ));
            }
            // A query honours every key that selects or tests an object;
            // the observations (`log`, `http`) and `event` are made for an
            // expectation's objects only, so a query refuses them rather
            // than ignore them.
            let observed = [
                ("log", e.extra.log.is_some()),
                ("http", e.extra.http.is_some()),
                ("event", e.extra.event.is_some()),
            ];
            if let Some((key, _)) = observed.iter().find(|(_, used)| *used) {
                return Err(Error::at(
                    e.location.clone(),
                    format!(
                        "check: query `{n}` has `{key}`: a query only names a list (kind, namespace, name, selector, fields, phase, ready, owner, match, where, expr, replaced); put `{key}` on an expectation"
                    ),
                ));
            }
            named.push((n, e));
        }
        let pending = expr.map_or_else(Vec::new, |e| e.value.located(e.referenced.line(), at));
        let can_i = can_i
            .into_iter()
            .map(|c| {
                let line = at(c.referenced.line()).line;
                if c.value.verb.trim().is_empty() || c.value.resource.trim().is_empty() {
                    return Err(Error::at(
                        at(c.referenced.line()),
                        "check: can-i: `verb` and `resource` may not be empty",
                    ));
                }
                Ok(CanIAt {
                    question: c.value,
                    line,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CheckExtra {
            synthetic: vec![],
            used: false,
            queries: named,
            expr: vec![],
            pending,
            can_i,
        })
    }
}

/// Compiles every expression of `check` (per expectation and per check),
/// now that the names of its queries are known.
pub fn compile(check: &mut Check) -> Result<()> {
    let names: Vec<String> = check.extra.queries.iter().map(|(n, _)| n.clone()).collect();
    let mut vars: Vec<&str> = vec!["started"];
    vars.extend(names.iter().map(String::as_str));
    let one = |pending: &mut Vec<(String, Location)>,
               out: &mut Vec<ExprAt>,
               vars: &[&str]|
     -> Result<()> {
        for (text, loc) in std::mem::take(pending) {
            let expr = cel::compile(&text, vars)
                .map_err(|m| Error::at(loc.clone(), format!("check: {m}")))?;
            out.push(ExprAt {
                expr,
                line: loc.line,
            });
        }
        Ok(())
    };
    let mut with_self = vec!["self"];
    with_self.extend(vars.iter().copied());
    for e in &mut check.expect {
        let extra = &mut e.extra;
        one(&mut extra.pending, &mut extra.expr, &with_self)?;
    }
    for (_, q) in &mut check.extra.queries {
        one(&mut q.extra.pending, &mut q.extra.expr, &with_self)?;
    }
    let extra = &mut check.extra;
    one(&mut extra.pending, &mut extra.expr, &vars)?;
    check.extra.synthetic = synthetic(check);
    check.extra.used = !check.extra.is_empty() || check.expect.iter().any(|e| !e.extra.is_empty());
    Ok(())
}

/// An expectation that only reads a list for the others (never fails).
fn read_only(kind: &str, namespace: NamespaceSpec, location: &Location) -> Expectation {
    Expectation {
        location: location.clone(),
        kind: kind.to_string(),
        namespace,
        name: None,
        selector: None,
        fields: None,
        phase: None,
        ready: None,
        owner: None,
        matches: None,
        r#where: vec![],
        count: Count {
            op: CmpOp::Ge,
            n: 0,
        },
        extra: ExpectExtra::default(),
        say: None,
    }
}

/// What a check reads, in the order the engine keeps its feeds: its
/// expectations first (one each), then its queries, then the Events of
/// each expectation with `event`, then (for `can-i`) the RBAC objects.
pub fn reads(check: &Check) -> impl Iterator<Item = &Expectation> {
    check
        .expect
        .iter()
        .chain(check.extra.queries.iter().map(|(_, q)| q))
        .chain(check.extra.synthetic.iter())
}

fn synthetic(check: &Check) -> Vec<Expectation> {
    let mut out = Vec::new();
    for e in &check.expect {
        if e.extra.event.is_some() {
            out.push(read_only("events", e.namespace.clone(), &e.location));
        }
    }
    if !check.extra.can_i.is_empty() {
        let at = &check.location;
        out.push(read_only(
            "clusterroles.rbac.authorization.k8s.io",
            NamespaceSpec::All,
            at,
        ));
        out.push(read_only(
            "clusterrolebindings.rbac.authorization.k8s.io",
            NamespaceSpec::All,
            at,
        ));
        // Roles and bindings of every namespace: one list each, whatever
        // namespaces the questions name.
        out.push(read_only(
            "roles.rbac.authorization.k8s.io",
            NamespaceSpec::All,
            at,
        ));
        out.push(read_only(
            "rolebindings.rbac.authorization.k8s.io",
            NamespaceSpec::All,
            at,
        ));
    }
    out
}

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
    seen: HashMap<String, (Instant, std::result::Result<String, String>)>,
}

/// The engine's inputs to [`finish`].
pub struct Inputs<'a> {
    /// The objects of each read, in [`reads`] order.
    pub objects: &'a [std::sync::Arc<Vec<Value>>],
    /// What evaluating each read needs beyond its objects (its resolved
    /// kind, the owner chain), in [`reads`] order: a query is evaluated
    /// as an expectation is.
    pub contexts: &'a [crate::check::eval::Context<'a>],
    /// When the engine run started (`started`, `replaced`).
    pub started: SystemTime,
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

/// RFC 3339 in UTC to the second, as the API server writes timestamps, so
/// that strings compare as times.
pub fn rfc3339(t: SystemTime) -> String {
    humantime::format_rfc3339_seconds(t).to_string()
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
    let started = rfc3339(inputs.started);
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
            let f = object_failures(q, o, &named, &broken, &started, &[], &mut budget);
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
            let f = object_failures(e, o, &named, &broken, &started, events, &mut budget);
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

/// The pure extra conditions `o` fails: `expr`, `replaced`, `event`.
fn object_failures(
    e: &Expectation,
    o: &Value,
    named: &[(&str, cel::Bound)],
    broken: &[(&str, String)],
    started: &str,
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
        let created = o["metadata"]["creationTimestamp"].as_str().unwrap_or("");
        // Both are RFC 3339 UTC to the second: they compare as strings.
        if created < started {
            out.push(format!(
                "created {created}, before the check started ({started}): not replaced"
            ));
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

async fn cached<F, Fut>(
    obs: &mut Observations,
    key: &str,
    ask: F,
) -> std::result::Result<String, String>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = std::result::Result<String, String>>,
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

/// Marks the answers that are the grader's, not the student's: kept in
/// [`Observations`] as text, so a prefix says which.
const FORBIDDEN: &str = "\u{0}forbidden\u{0}";

/// A 403 on a subresource names the rule the grader's role lacks, as the
/// API server words it (`pods "web" is forbidden: User "..." cannot get
/// resource "pods/log" in API group "" in the namespace "default"`).
fn needs_role(e: ClusterError, verb: &str, resource: &str) -> String {
    match e {
        ClusterError::Forbidden(m) => format!(
            "{FORBIDDEN}forbidden (403): {m}; the grader's role needs `{verb}` on `{resource}` (deploy/grader-rbac.yaml grants it)"
        ),
        other => other.to_string(),
    }
}

/// A failed `log` or `http` request: a refusal is the check's fault (the
/// grader may not ask, as when it may not list), anything else the
/// student's (no such pod, no endpoint...).
fn seen_error(what: &str, why: String) -> Seen {
    match why.strip_prefix(FORBIDDEN) {
        Some(m) => Seen::Fault(format!("{what}: {m}")),
        None => Seen::Fails(format!("{what}: {why}")),
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

/// `queries:` as written: names (with their lines) and bodies, in order.
pub struct RawQueries<T>(pub Vec<(Spanned<String>, T)>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for RawQueries<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = RawQueries<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a map from query names to queries (kind, namespace, name, selector...)",
                )
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<Self::Value, A::Error> {
                let mut out: Vec<(Spanned<String>, T)> = Vec::new();
                while let Some(k) = map.next_key::<Spanned<String>>()? {
                    if out.iter().any(|(n, _)| n.value == k.value) {
                        return Err(serde::de::Error::custom(format!(
                            "query `{}` is defined twice",
                            k.value
                        )));
                    }
                    let v = map.next_value()?;
                    out.push((k, v));
                }
                Ok(RawQueries(out))
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}
