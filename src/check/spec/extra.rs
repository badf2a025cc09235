//! Check keys beyond "select objects and test their fields" (`checking.md`,
//! "Expressions and observations"):
//!
//! - per expectation: `expr` (CEL on `self`), `log` (a pod's log contains a
//!   text), `http` (a GET through the API server's service proxy), `event`
//!   (an Event about the object), `replaced` (the object was made during
//!   the exercise, or shows it replaced another:
//!   `crate::check::engine::extra::replacement`);
//! - per check: `queries` (named object lists), `expr` (CEL over them) and
//!   `can-i` (what `kubectl auth can-i --as` would answer, from the RBAC
//!   objects: see `rbac.rs`).
//!
//! This is the language side: the keys as written, checked and compiled
//! once when the check is parsed (expressions included), and which extra
//! lists a check reads (events, RBAC objects, queries). Evaluating them
//! against what the cluster shows is the engine's
//! ([`crate::check::engine::extra`]).

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::check::cel::{self, Expr};
use crate::check::spec::{Check, CmpOp, Count, Expectation, NamespaceSpec};
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
    /// Whether any key of this module is used (else [`crate::check::engine::extra::finish`] has nothing to do).
    pub(crate) used: bool,
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
