//! The check language (`checks.md`): YAML in a `<!-- check ... -->` comment,
//! parsed into typed expectations. Every mistake (bad YAML, an unknown key,
//! a bad selector, count, duration or `where` test) is an error naming the
//! chapter file and line, found before any cluster is contacted. So is what
//! can never hold on a built-in kind (`kinds.rs`): a `phase` its STATUS
//! column never shows, `ready` on a kind without readiness, a field
//! selector kube-apiserver refuses. [`lint`] adds what is only suspicious.

use std::fmt;
use std::time::Duration;

use serde::de::{self, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use serde_saphyr::Spanned;

pub mod extra;

use crate::check::selector::Selector;
use crate::duration::DurationError;
use crate::error::{Error, Location, Result};
use crate::exercise::CheckSource;
use crate::kinds::{self, Readiness};

/// A parsed check: what one exercise must leave in the cluster.
#[derive(Debug, Clone)]
pub struct Check {
    /// The `id` written in the check, if any (the exercise id already uses it).
    pub id: Option<String>,
    /// How long the exercise may take to hold; `None`: the caller's default.
    pub timeout: Option<Duration>,
    /// `hint`: shown to a student when the check fails (e.g. on the slide
    /// by `labdeck serve --kubeconfig`).
    pub hint: Option<String>,
    pub expect: Vec<Expectation>,
    /// Where the check's YAML starts.
    pub location: Location,
    /// `queries`, `expr`, `can-i` (`extra.rs`).
    pub extra: extra::CheckExtra,
}

/// One expectation (`checks.md`, "One expectation").
#[derive(Debug, Clone)]
pub struct Expectation {
    /// Where this expectation starts in the chapter file.
    pub location: Location,
    /// As written: a Kind, plural, singular, short name, `kind.group` or `group/version/kind`.
    pub kind: String,
    pub namespace: NamespaceSpec,
    /// Exact name or glob.
    pub name: Option<NamePattern>,
    pub selector: Option<Selector>,
    pub fields: Option<String>,
    pub phase: Option<String>,
    pub ready: Option<bool>,
    pub owner: Option<OwnerSpec>,
    /// A partial object every counted object must contain.
    pub matches: Option<Value>,
    pub r#where: Vec<WhereTest>,
    pub count: Count,
    /// `expr`, `log`, `http`, `event`, `replaced` (`extra.rs`).
    pub extra: extra::ExpectExtra,
    /// `say`: what this expectation wants, in the trainer's words (one
    /// line), for the student's diagnosis instead of the generated words
    /// ([`crate::check::say`]).
    pub say: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum NamespaceSpec {
    /// The context's namespace.
    Default,
    /// `"*"`.
    All,
    Named(String),
}

/// What is wrong with one key of an expectation (its text, and what it may
/// be instead). The caller adds the check's file:line and `check: `.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SpecError {
    #[error("bad name glob {text:?}: {cause}")]
    NameGlob { text: String, cause: globset::Error },
    #[error("count {0} is negative")]
    NegativeCount(i64),
    #[error("count {0:?}: want a number, or one prefixed by >=, <=, >, <, ==, !=")]
    Count(String),
    #[error("phase {phase:?}: phases are case-sensitive, did you mean {meant:?}?")]
    PhaseCase { phase: String, meant: &'static str },
    #[error(
        "phase {phase:?} is never a pod's: kubectl shows pods as {}",
        pod_words_hint()
    )]
    NeverAPods { phase: String },
    #[error("phase {phase:?}: {kinds} have no phase (use `ready`, `where` or `match`)")]
    NoPhase { phase: String, kinds: String },
    #[error("phase {phase:?} is never shown for {kinds}: want one of {}", words.join(", "))]
    NeverShown {
        phase: String,
        kinds: String,
        words: &'static [&'static str],
    },
    #[error("fields {text:?}: {term:?} is not `field=value`, `field==value` or `field!=value`")]
    FieldTerm { text: String, term: String },
    #[error(
        "fields: the API server refuses field selector {field:?} on {kinds} (400 \"field label not supported\"); it accepts {}",
        accepted.join(", ")
    )]
    FieldRefused {
        field: String,
        kinds: String,
        accepted: Vec<&'static str>,
    },
}

/// A `where:` test that does not parse: the test as written and what is
/// wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "where {text:?}: {problem} (want `path op value`, `path exists`, `path absent` or `len(path) op N`)"
)]
pub struct WhereError {
    pub text: String,
    pub problem: WhereProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WhereProblem {
    #[error("unclosed `len(`")]
    UnclosedLen,
    #[error("missing value")]
    MissingValue,
    #[error("`len(...)` compares with a whole number")]
    LenNotWhole,
    #[error("missing operator")]
    MissingOperator,
    #[error("unknown operator in {0:?}")]
    UnknownOperator(String),
    #[error(transparent)]
    Path(#[from] PathError),
}

/// A field path (`spec.containers[0].image`) that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PathError {
    #[error("missing path")]
    Missing,
    #[error("empty segment in path {0:?}")]
    EmptySegment(String),
    #[error("unclosed '[' in path {0:?}")]
    UnclosedBracket(String),
    #[error("[{inner}] in path {path:?}: want a list index or a \"quoted key\"")]
    Bracket { path: String, inner: String },
    #[error("path {0:?} ends with '.'")]
    TrailingDot(String),
}

#[derive(Debug, Clone)]
pub struct NamePattern {
    pub text: String,
    glob: Option<globset::GlobMatcher>,
}

impl NamePattern {
    fn parse(text: &str) -> std::result::Result<Self, SpecError> {
        // globset's dialect: `*`, `?`, `[a-z]`, `[!a]` and `{a,b}`. None of
        // these can be in an object's name (DNS-1123), so any makes a glob.
        let is_glob = text.contains(['*', '?', '[', '{']);
        let glob = if is_glob {
            Some(
                globset::Glob::new(text)
                    .map_err(|cause| SpecError::NameGlob {
                        text: text.to_owned(),
                        cause,
                    })?
                    .compile_matcher(),
            )
        } else {
            None
        };
        Ok(NamePattern {
            text: text.to_string(),
            glob,
        })
    }

    pub fn matches(&self, name: &str) -> bool {
        match &self.glob {
            Some(g) => g.is_match(name),
            None => self.text == name,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OwnerSpec {
    /// No controller owner.
    None,
    /// The Kind of the controller owner (compared case-insensitively).
    Kind(String),
}

/// `count`: how many objects must pass every condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Count {
    pub op: CmpOp,
    pub n: u64,
}

impl Default for Count {
    fn default() -> Self {
        Count {
            op: CmpOp::Ge,
            n: 1,
        }
    }
}

impl Count {
    pub fn holds(&self, got: u64) -> bool {
        self.op.compare(got.cmp(&self.n))
    }
}

impl fmt::Display for Count {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.op {
            CmpOp::Eq => write!(f, "{}", self.n),
            op => write!(f, "{}{}", op, self.n),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CmpOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

impl CmpOp {
    pub fn compare(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            CmpOp::Eq => ord == Equal,
            CmpOp::Ne => ord != Equal,
            CmpOp::Gt => ord == Greater,
            CmpOp::Ge => ord != Less,
            CmpOp::Lt => ord == Less,
            CmpOp::Le => ord != Greater,
        }
    }

    /// Splits a leading operator off `s`.
    fn split(s: &str) -> Option<(CmpOp, &str)> {
        for (text, op) in [
            ("==", CmpOp::Eq),
            ("!=", CmpOp::Ne),
            (">=", CmpOp::Ge),
            ("<=", CmpOp::Le),
            (">", CmpOp::Gt),
            ("<", CmpOp::Lt),
        ] {
            if let Some(rest) = s.strip_prefix(text) {
                return Some((op, rest));
            }
        }
        None
    }
}

impl fmt::Display for CmpOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
        })
    }
}

/// One `where` test: `path op value`, `path exists`, `path absent`, or
/// `len(path) op N` (items of a list, keys of a map; 0 when absent).
#[derive(Debug, Clone)]
pub struct WhereTest {
    pub text: String,
    pub path: Vec<PathSeg>,
    pub test: WhereOp,
    /// `len(path)`: the test is on the length of what `path` names.
    pub length: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum PathSeg {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub enum WhereOp {
    Compare(CmpOp, Value),
    Exists,
    Absent,
}

/// Parses the check written at `source` (file and line come from it).
pub fn parse(source: &CheckSource) -> Result<Check> {
    let file = source.file.as_path();
    let at = |yaml_line: u64| Location::new(file, source.line + yaml_line.max(1) as usize - 1);
    let raw: RawCheck = serde_saphyr::from_str(&source.yaml).map_err(|e| {
        let line = e.location().map(|l| l.line()).unwrap_or(1);
        Error::at(at(line), format!("check: {}", saphyr_message(&e)))
    })?;
    let start = Location::new(file, source.line);
    let timeout = match raw.timeout {
        None => None,
        Some(t) => Some(
            parse_duration(&t.value)
                .map_err(|m| Error::at(at(t.referenced.line()), format!("check: timeout: {m}")))?,
        ),
    };
    if raw.expect.is_empty() && raw.expr.is_none() && raw.can_i.is_empty() {
        return Err(Error::at(
            start,
            "check: no expectations (`expect` is empty)",
        ));
    }
    let expect = raw
        .expect
        .into_iter()
        .map(|e| {
            let loc = at(e.referenced.line());
            expectation(e.value, loc, &at)
        })
        .collect::<Result<Vec<_>>>()?;
    let queries = raw
        .queries
        .into_iter()
        .map(|(name, q)| {
            let counted = q.value.count.is_some();
            let loc = at(q.referenced.line());
            expectation(q.value, loc, &at).map(|e| (name, e, counted))
        })
        .collect::<Result<Vec<_>>>()?;
    let extra = extra::CheckExtra::new(queries, raw.expr, raw.can_i, &at)?;
    let mut check = Check {
        id: raw.id,
        timeout,
        hint: raw
            .hint
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty()),
        expect,
        location: start,
        extra,
    };
    extra::compile(&mut check)?;
    Ok(check)
}

fn expectation(
    raw: RawExpectation,
    location: Location,
    at: &dyn Fn(u64) -> Location,
) -> Result<Expectation> {
    let err = |l: &serde_saphyr::Location, m: &dyn fmt::Display| {
        Error::at(at(l.line()), format!("check: {m}"))
    };
    let kind = raw.kind.value.trim().to_string();
    if kind.is_empty() {
        return Err(err(&raw.kind.referenced, &"`kind` is empty"));
    }
    let namespace = match raw.namespace {
        None => NamespaceSpec::Default,
        Some(ns) if ns.value == "*" => NamespaceSpec::All,
        Some(ns) if ns.value.is_empty() => {
            return Err(err(&ns.referenced, &"`namespace` is empty"));
        }
        Some(ns) => NamespaceSpec::Named(ns.value),
    };
    let name = raw
        .name
        .map(|n| NamePattern::parse(&n.value).map_err(|m| err(&n.referenced, &m)))
        .transpose()?;
    let selector = raw
        .selector
        .map(|s| Selector::parse(&s.value).map_err(|m| err(&s.referenced, &m)))
        .transpose()?;
    let owner = raw.owner.map(|o| {
        let text = o.value.trim();
        if text.eq_ignore_ascii_case("none") {
            OwnerSpec::None
        } else {
            // Any name `kind` accepts (`rs`, `deploy`, `replicasets.apps`)
            // means the built-in Kind; other names are resolved by the
            // cluster's discovery (custom controllers) or compared as Kinds.
            OwnerSpec::Kind(
                kinds::builtin(text)
                    .map(|b| b.kind.to_string())
                    .unwrap_or_else(|| text.to_string()),
            )
        }
    });
    let r#where = raw
        .r#where
        .into_iter()
        .map(|w| parse_where(&w.value).map_err(|m| err(&w.referenced, &m)))
        .collect::<Result<Vec<_>>>()?;
    let count = match raw.count {
        None => Count::default(),
        Some(c) => parse_count(&c.value).map_err(|m| err(&c.referenced, &m))?,
    };
    let builtin = kinds::builtin(&kind);
    if let Some(p) = &raw.phase {
        check_phase(&p.value, builtin).map_err(|m| err(&p.referenced, &m))?;
    }
    if let (Some(r), Some(b)) = (&raw.ready, builtin)
        && b.readiness == Readiness::None
    {
        return Err(err(
            &r.referenced,
            &format!(
                "`ready`: {} have no readiness; `ready` applies to pods, nodes, deployments, daemon sets, stateful sets, replica sets, replication controllers, jobs (complete) and custom resources with a Ready or Available condition",
                b.display()
            ),
        ));
    }
    if let (Some(f), Some(b)) = (&raw.fields, builtin) {
        check_fields(&f.value, b).map_err(|m| err(&f.referenced, &m))?;
    }
    let say = match raw.say {
        None => None,
        Some(s) if s.value.trim().is_empty() => {
            return Err(err(&s.referenced, &"`say` is empty"));
        }
        Some(s) if s.value.trim().contains('\n') => {
            return Err(err(
                &s.referenced,
                &"`say` is one line a student reads (what this expectation wants); put more in the check's `hint`",
            ));
        }
        Some(s) => Some(s.value.trim().to_string()),
    };
    let extra = extra::ExpectExtra::new(
        &kind,
        raw.expr,
        raw.log,
        raw.http,
        raw.event,
        raw.replaced,
        at,
    )?;
    Ok(Expectation {
        location,
        kind,
        namespace,
        name,
        selector,
        fields: raw.fields.map(|f| f.value).filter(|f| !f.trim().is_empty()),
        phase: raw.phase.map(|p| p.value),
        ready: raw.ready.map(|r| r.value),
        owner,
        matches: raw.r#match,
        r#where,
        count,
        extra,
        say,
    })
}

/// Phases of built-in kinds. Custom resources may have others, so only a
/// wrong spelling of a known one (`running`) is an error: it could never match.
const PHASES: &[&str] = &[
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Unknown",
    "Active",
    "Terminating",
    "Available",
    "Bound",
    "Released",
    "Lost",
];

/// Words that are the phase of some other built-in kind, never a pod's
/// STATUS: `phase: Bound` on pods can never match.
const NOT_POD_WORDS: &[&str] = &[
    "Active",
    "Available",
    "Bound",
    "Released",
    "Lost",
    "Complete",
    "Suspended",
    "FailureTarget",
    "SuccessCriteriaMet",
];

/// A `phase` that can never match its kind is an error, naming the words
/// that can (the STATUS column kubectl prints, see `kinds::phase_words`).
/// Unusual but possible pod words (a container runtime's own waiting
/// reason) are left to `lint` as a warning.
fn check_phase(p: &str, builtin: Option<&kinds::Builtin>) -> std::result::Result<(), SpecError> {
    let case =
        |known: &[&'static str]| match known.iter().find(|k| k.eq_ignore_ascii_case(p) && **k != p)
        {
            Some(k) => Err(SpecError::PhaseCase {
                phase: p.to_owned(),
                meant: k,
            }),
            None => Ok(()),
        };
    let Some(b) = builtin else {
        return case(PHASES);
    };
    match kinds::phase_words(b) {
        kinds::PhaseWords::Pod => {
            case(kinds::POD_STATUS_WORDS)?;
            if NOT_POD_WORDS.contains(&p) {
                return Err(SpecError::NeverAPods {
                    phase: p.to_owned(),
                });
            }
            Ok(())
        }
        kinds::PhaseWords::Fixed([]) => Err(SpecError::NoPhase {
            phase: p.to_owned(),
            kinds: b.display().to_string(),
        }),
        kinds::PhaseWords::Fixed(words) => {
            case(words)?;
            if words.contains(&p) {
                Ok(())
            } else {
                Err(SpecError::NeverShown {
                    phase: p.to_owned(),
                    kinds: b.display().to_string(),
                    words,
                })
            }
        }
    }
}

/// The pod words, for messages.
pub fn pod_words_hint() -> String {
    format!(
        "{}, Init:..., ExitCode:N or Signal:N",
        kinds::POD_STATUS_WORDS.join(", ")
    )
}

/// A field selector the API server would refuse for this built-in kind
/// (400 "field label not supported") is an error naming those it accepts.
fn check_fields(text: &str, b: &kinds::Builtin) -> std::result::Result<(), SpecError> {
    let allowed = b.field_selectors();
    for term in text.split(',').map(str::trim).filter(|t| !t.is_empty()) {
        let key = term.split(['=', '!']).next().unwrap_or("").trim();
        if key.is_empty() || !term[key.len()..].trim_start().starts_with(['=', '!']) {
            return Err(SpecError::FieldTerm {
                text: text.to_owned(),
                term: term.to_owned(),
            });
        }
        if !allowed.contains(&key) {
            return Err(SpecError::FieldRefused {
                field: key.to_owned(),
                kinds: b.display().to_string(),
                accepted: allowed,
            });
        }
    }
    Ok(())
}

/// Something `lint` reports about a check that parses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub location: Location,
    /// An error (else a warning).
    pub error: bool,
    pub code: &'static str,
    pub message: String,
}

/// What `lint` says about a parsed check beyond parse errors:
/// - `unknown-kind` (error): a kind (or `owner`) that no cluster serves as
///   a built-in and that is a near miss of a built-in name with no group to
///   make it a custom resource (`deploymnts`; see `kinds::near_miss`);
/// - `unusual-phase` (warning): a pod `phase` that is not one of the
///   STATUS words kubectl is known to print (a container runtime may have
///   its own waiting reasons, so this is only a warning).
pub fn lint(check: &Check) -> Vec<Finding> {
    let mut out = Vec::new();
    for e in check
        .expect
        .iter()
        .chain(check.extra.queries.iter().map(|(_, q)| q))
    {
        for (error, message) in literals_never_returned(e) {
            out.push(Finding {
                location: e.location.clone(),
                error,
                code: "never-returned",
                message,
            });
        }
    }
    for e in &check.expect {
        if let Some(meant) = kinds::near_miss(&e.kind) {
            out.push(Finding {
                location: e.location.clone(),
                error: true,
                code: "unknown-kind",
                message: format!(
                    "check: kind {:?} is not a Kubernetes kind; did you mean {meant:?}? (a custom resource is written with its group, e.g. `{}.example.com`)",
                    e.kind, e.kind
                ),
            });
        }
        if let Some(OwnerSpec::Kind(owner)) = &e.owner
            && let Some(meant) = kinds::near_miss(owner)
        {
            out.push(Finding {
                location: e.location.clone(),
                error: true,
                code: "unknown-kind",
                message: format!(
                    "check: owner {owner:?} is not a Kubernetes kind; did you mean {meant:?}?"
                ),
            });
        }
        if let (Some(p), Some(b)) = (&e.phase, kinds::builtin(&e.kind))
            && kinds::phase_words(b) == kinds::PhaseWords::Pod
            && !kinds::is_pod_status_word(p)
        {
            out.push(Finding {
                location: e.location.clone(),
                error: false,
                code: "unusual-phase",
                message: format!(
                    "check: phase {p:?} is not a STATUS kubectl is known to show for pods ({})",
                    pod_words_hint()
                ),
            });
        }
    }
    out
}

/// Literals of `match` and `where` that the API server can never return
/// where they are compared (`(error, message)`):
/// - a quantity field (`resources.requests.cpu`, `capacity.storage`...)
///   holding something that is not a quantity: an error, it never matches
///   (quantities themselves compare by value, see `eval::compare_scalar`);
/// - a label or annotation value that is not a string, a number or a
///   boolean (the server keeps only strings there): an error; or a YAML
///   float, whose text YAML has already changed (`version: 1.10` is the
///   number 1.1, never the label `"1.10"`): a warning to quote it.
pub fn literals_never_returned(e: &Expectation) -> Vec<(bool, String)> {
    fn walk(
        v: &Value,
        path: &str,
        parent: Option<&str>,
        key: Option<&str>,
        out: &mut Vec<(bool, String)>,
    ) {
        match v {
            Value::Object(m) => {
                for (k, inner) in m {
                    let p = if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(inner, &p, key, Some(k), out);
                }
            }
            Value::Array(items) => {
                for (i, inner) in items.iter().enumerate() {
                    walk(inner, &format!("{path}[{i}]"), parent, key, out);
                }
            }
            scalar => {
                if let Some(why) = never_returned(scalar, parent, key) {
                    out.push((
                        why.0,
                        format!("check: match: {path} is {scalar}: {}", why.1),
                    ));
                }
            }
        }
        // A label map given as something else than a map.
        if matches!(key, Some("labels" | "annotations"))
            && parent == Some("metadata")
            && !v.is_object()
        {
            out.push((
                true,
                format!("check: match: {path} is {v}: labels and annotations are maps of strings"),
            ));
        }
    }
    let mut out = Vec::new();
    if let Some(m) = &e.matches {
        walk(m, "", None, None, &mut out);
    }
    for w in &e.r#where {
        if let (WhereOp::Compare(_, want), false) = (&w.test, w.length) {
            let keys: Vec<&str> = w
                .path
                .iter()
                .filter_map(|s| match s {
                    PathSeg::Key(k) => Some(k.as_str()),
                    PathSeg::Index(_) => None,
                })
                .collect();
            let key = keys.last().copied();
            let parent = keys.len().checked_sub(2).and_then(|i| keys.get(i).copied());
            if let Some((error, why)) = never_returned(want, parent, key) {
                out.push((error, format!("check: where {:?}: {why}", w.text)));
            }
        }
    }
    out
}

fn never_returned(v: &Value, parent: Option<&str>, key: Option<&str>) -> Option<(bool, String)> {
    if crate::check::quantity::is_quantity_field(parent, key)
        && crate::check::quantity::of_json(v).is_none()
        && !v.is_null()
    {
        return Some((
            true,
            format!(
                "the API server keeps a quantity there (250m, 0.5, 512Mi, 2Gi, 1e3) and can never return {v}"
            ),
        ));
    }
    if matches!(parent, Some("labels" | "annotations")) {
        return match v {
            Value::String(_) | Value::Bool(_) => None,
            Value::Number(n) if n.is_i64() || n.is_u64() => None,
            Value::Number(n) => Some((
                false,
                format!(
                    "label and annotation values are strings; YAML read this as the number {n}, so a value written `1.10` never matches: quote it"
                ),
            )),
            other => Some((
                true,
                format!("label and annotation values are strings, never {other}"),
            )),
        };
    }
    None
}

/// serde-saphyr renders errors with a snippet; the chapter's file:line is
/// what a user needs, so keep only the message's first line.
fn saphyr_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let first = text.lines().next().unwrap_or("invalid YAML").trim();
    // Drop a trailing " at line N column M": the chapter line is reported instead.
    match first.find(" at line ") {
        Some(i) => first[..i].to_string(),
        None => first.to_string(),
    }
}

/// A check's `timeout:`: a YAML integer (seconds) or any spelling
/// [`crate::duration::parse`] accepts, with the same cap.
pub fn parse_duration(s: &Scalar) -> std::result::Result<Duration, DurationError> {
    match s {
        Scalar::Int(n) => crate::duration::from_secs_i64(*n),
        Scalar::Str(t) => crate::duration::parse(t),
    }
}

fn parse_count(s: &Scalar) -> std::result::Result<Count, SpecError> {
    match s {
        Scalar::Int(n) if *n >= 0 => Ok(Count {
            op: CmpOp::Eq,
            n: *n as u64,
        }),
        Scalar::Int(n) => Err(SpecError::NegativeCount(*n)),
        Scalar::Str(t) => {
            let t = t.trim();
            let (op, rest) = CmpOp::split(t).unwrap_or((CmpOp::Eq, t));
            let n = rest
                .trim()
                .parse::<u64>()
                .map_err(|_| SpecError::Count(t.to_owned()))?;
            Ok(Count { op, n })
        }
    }
}

/// `status.readyReplicas >= 2`, `metadata.labels["app.kubernetes.io/name"] == web`,
/// `spec.containers[0].image exists`, `metadata.deletionTimestamp absent`,
/// `len(spec.volumes) == 2`.
pub fn parse_where(text: &str) -> std::result::Result<WhereTest, WhereError> {
    let t = text.trim();
    let bad = |problem: WhereProblem| WhereError {
        text: text.to_owned(),
        problem,
    };
    let (path_text, rest, length) = match t.strip_prefix("len(") {
        Some(inner) => {
            let close = inner
                .find(')')
                .ok_or_else(|| bad(WhereProblem::UnclosedLen))?;
            (&inner[..close], &inner[close + 1..], true)
        }
        None => {
            let (p, r) = t.split_at(path_end(t));
            (p, r, false)
        }
    };
    let path = parse_path(path_text.trim()).map_err(|e| bad(e.into()))?;
    let rest = rest.trim();
    let test = if rest == "exists" && !length {
        WhereOp::Exists
    } else if rest == "absent" && !length {
        WhereOp::Absent
    } else if let Some((op, value)) = CmpOp::split(rest) {
        let value = value.trim();
        if value.is_empty() {
            return Err(bad(WhereProblem::MissingValue));
        }
        let v = scalar_value(value);
        if length && !v.is_u64() {
            return Err(bad(WhereProblem::LenNotWhole));
        }
        WhereOp::Compare(op, v)
    } else if rest.is_empty() {
        return Err(bad(WhereProblem::MissingOperator));
    } else {
        return Err(bad(WhereProblem::UnknownOperator(rest.to_owned())));
    };
    Ok(WhereTest {
        text: t.to_string(),
        path,
        test,
        length,
    })
}

/// Where the path ends: the first space or operator character outside brackets.
fn path_end(t: &str) -> usize {
    let mut in_bracket = false;
    let mut in_quote = false;
    for (i, c) in t.char_indices() {
        match c {
            '"' if in_bracket => in_quote = !in_quote,
            '[' if !in_quote => in_bracket = true,
            ']' if !in_quote => in_bracket = false,
            ' ' | '\t' | '=' | '!' | '<' | '>' if !in_bracket => return i,
            _ => {}
        }
    }
    t.len()
}

fn parse_path(p: &str) -> std::result::Result<Vec<PathSeg>, PathError> {
    let mut segs = Vec::new();
    let mut chars = p.chars().peekable();
    let mut cur = String::new();
    if p.is_empty() {
        return Err(PathError::Missing);
    }
    // A '.' right after `]` separates nothing; anywhere else it needs a key before it.
    let mut after_bracket = false;
    while let Some(c) = chars.next() {
        let was_after_bracket = std::mem::replace(&mut after_bracket, false);
        match c {
            '.' => {
                if cur.is_empty() && !was_after_bracket {
                    return Err(PathError::EmptySegment(p.to_owned()));
                }
                if !cur.is_empty() {
                    segs.push(PathSeg::Key(std::mem::take(&mut cur)));
                }
            }
            '[' => {
                after_bracket = true;
                if !cur.is_empty() {
                    segs.push(PathSeg::Key(std::mem::take(&mut cur)));
                }
                let mut inner = String::new();
                let mut closed = false;
                for c in chars.by_ref() {
                    if c == ']'
                        && (!inner.starts_with('"') || (inner.len() > 1 && inner.ends_with('"')))
                    {
                        closed = true;
                        break;
                    }
                    inner.push(c);
                }
                if !closed {
                    return Err(PathError::UnclosedBracket(p.to_owned()));
                }
                if let Some(key) = inner.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
                    segs.push(PathSeg::Key(key.to_string()));
                } else if let Ok(i) = inner.parse::<usize>() {
                    segs.push(PathSeg::Index(i));
                } else {
                    return Err(PathError::Bracket {
                        path: p.to_owned(),
                        inner,
                    });
                }
            }
            c => cur.push(c),
        }
    }
    if !cur.is_empty() {
        segs.push(PathSeg::Key(cur));
    } else if p.ends_with('.') {
        return Err(PathError::TrailingDot(p.to_owned()));
    }
    Ok(segs)
}

/// A `where` value as YAML would read it: number, boolean, null, or string
/// (quotes optional).
fn scalar_value(v: &str) -> Value {
    if let Some(s) = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
    {
        return Value::String(s.to_string());
    }
    match v {
        "true" => return Value::Bool(true),
        "false" => return Value::Bool(false),
        "null" | "~" => return Value::Null,
        _ => {}
    }
    if let Ok(i) = v.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(f) = v.parse::<f64>()
        && let Some(n) = serde_json::Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(v.to_string())
}

/// A YAML scalar that may be written as a number or a string (`count: 3`,
/// `count: ">=1"`, `timeout: 0`, `timeout: 30s`).
#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Int(i64),
    Str(String),
}

impl<'de> Deserialize<'de> for Scalar {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Scalar;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number or a string")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Scalar, E> {
                i64::try_from(v)
                    .map(Scalar::Int)
                    .map_err(|_| E::custom("number too large"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Scalar, E> {
                Ok(Scalar::Str(v.to_string()))
            }
        }
        d.deserialize_any(V)
    }
}

/// The check as written: either a map with `id`/`timeout`/`expect`, or the
/// bare list of expectations.
struct RawCheck {
    id: Option<String>,
    timeout: Option<Spanned<Scalar>>,
    hint: Option<String>,
    expect: Vec<Spanned<RawExpectation>>,
    // `extra.rs`: named queries, check-level expressions, RBAC questions.
    queries: Vec<(Spanned<String>, Spanned<RawExpectation>)>,
    expr: Option<Spanned<extra::OneOrMany>>,
    can_i: Vec<Spanned<extra::CanI>>,
}

impl<'de> Deserialize<'de> for RawCheck {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawCheck;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(
                    "a map with `expect` (and optional `id`, `timeout`, `hint`) or a list of expectations",
                )
            }
            fn visit_seq<A: SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> std::result::Result<RawCheck, A::Error> {
                let mut expect = Vec::new();
                while let Some(e) = seq.next_element()? {
                    expect.push(e);
                }
                Ok(RawCheck {
                    id: None,
                    timeout: None,
                    hint: None,
                    expect,
                    queries: vec![],
                    expr: None,
                    can_i: vec![],
                })
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut map: A,
            ) -> std::result::Result<RawCheck, A::Error> {
                let mut id = None;
                let mut timeout = None;
                let mut hint = None;
                let mut expect = None;
                let mut queries = Vec::new();
                let mut expr = None;
                let mut can_i = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    match key.as_str() {
                        "id" => id = Some(map.next_value::<String>()?),
                        "timeout" => timeout = Some(map.next_value()?),
                        "hint" => hint = Some(map.next_value::<String>()?),
                        "expect" => expect = Some(map.next_value()?),
                        "queries" => {
                            let q: extra::RawQueries<Spanned<RawExpectation>> = map.next_value()?;
                            queries = q.0;
                        }
                        "expr" => expr = Some(map.next_value()?),
                        "can-i" => can_i = map.next_value()?,
                        other => {
                            return Err(de::Error::unknown_field(
                                other,
                                &[
                                    "id", "timeout", "hint", "expect", "queries", "expr", "can-i",
                                ],
                            ));
                        }
                    }
                }
                // A check may hold only check-level tests (`expr`, `can-i`).
                let expect = match expect {
                    Some(e) => e,
                    None if expr.is_some() || !can_i.is_empty() => Vec::new(),
                    None => return Err(de::Error::missing_field("expect")),
                };
                Ok(RawCheck {
                    id,
                    timeout,
                    hint,
                    expect,
                    queries,
                    expr,
                    can_i,
                })
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawExpectation {
    kind: Spanned<String>,
    namespace: Option<Spanned<String>>,
    name: Option<Spanned<String>>,
    selector: Option<Spanned<String>>,
    fields: Option<Spanned<String>>,
    phase: Option<Spanned<String>>,
    ready: Option<Spanned<bool>>,
    owner: Option<Spanned<String>>,
    #[serde(rename = "match")]
    r#match: Option<Value>,
    #[serde(rename = "where", default)]
    r#where: Vec<Spanned<String>>,
    count: Option<Spanned<Scalar>>,
    // `extra.rs`.
    expr: Option<Spanned<extra::OneOrMany>>,
    log: Option<Spanned<extra::LogTest>>,
    http: Option<Spanned<extra::HttpTest>>,
    event: Option<Spanned<extra::EventTest>>,
    replaced: Option<bool>,
    /// What the expectation wants, in words (`say.rs`).
    say: Option<Spanned<String>>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn src(yaml: &str) -> CheckSource {
        CheckSource {
            yaml: yaml.to_string(),
            file: PathBuf::from("k8s/labels.md"),
            line: 100,
        }
    }

    #[test]
    fn say_is_one_line_and_not_empty() {
        let c = parse(&src(
            "expect:\n  - kind: pods\n    say: \"  the pod you relabelled  \"\n",
        ))
        .unwrap();
        assert_eq!(c.expect[0].say.as_deref(), Some("the pod you relabelled"));
        let e = parse(&src("expect:\n  - kind: pods\n    say: \"\"\n"))
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("k8s/labels.md:102") && e.contains("`say` is empty"),
            "{e}"
        );
        let e = parse(&src(
            "expect:\n  - kind: pods\n    say: |\n      one\n      two\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(e.contains("`say` is one line"), "{e}");
        let e = parse(&src("expect:\n  - kind: pods\n    say: [a]\n"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("k8s/labels.md:10"), "{e}");
    }

    #[test]
    fn parses_the_spec_example() {
        let c = parse(&src(
            "id: labeldemo-relabel\ntimeout: 60s\nexpect:\n  - kind: pods\n    selector: isactive=no\n    count: 1\n    phase: Running\n    owner: none\n  - kind: pods\n    selector: isactive=yes\n    count: \">=1\"\n    owner: ReplicaSet\n",
        ))
        .unwrap();
        assert_eq!(c.id.as_deref(), Some("labeldemo-relabel"));
        assert_eq!(c.timeout, Some(Duration::from_secs(60)));
        assert_eq!(c.expect.len(), 2);
        assert_eq!(c.expect[0].location.line, 103);
        assert_eq!(c.expect[1].location.line, 108);
        assert_eq!(c.expect[0].owner, Some(OwnerSpec::None));
        assert_eq!(
            c.expect[0].count,
            Count {
                op: CmpOp::Eq,
                n: 1
            }
        );
        assert_eq!(
            c.expect[1].count,
            Count {
                op: CmpOp::Ge,
                n: 1
            }
        );
        assert_eq!(
            c.expect[1].owner,
            Some(OwnerSpec::Kind("ReplicaSet".into()))
        );
        assert_eq!(c.expect[0].namespace, NamespaceSpec::Default);
    }

    #[test]
    fn parses_the_bare_list_form_and_all_keys() {
        let c = parse(&src(
            "- kind: deploy\n  namespace: \"*\"\n  name: web-*\n  fields: metadata.name=web\n  ready: true\n  match:\n    spec:\n      replicas: 3\n  where:\n    - status.readyReplicas >= 3\n    - metadata.deletionTimestamp absent\n  count: 0\n",
        ))
        .unwrap();
        assert!(c.id.is_none() && c.timeout.is_none());
        let e = &c.expect[0];
        assert_eq!(e.namespace, NamespaceSpec::All);
        assert!(e.name.as_ref().unwrap().matches("web-1"));
        assert!(!e.name.as_ref().unwrap().matches("db-1"));
        assert_eq!(e.r#where.len(), 2);
        assert_eq!(e.r#where[1].test, WhereOp::Absent);
        assert_eq!(e.matches.as_ref().unwrap()["spec"]["replicas"], 3);
        assert_eq!(
            e.count,
            Count {
                op: CmpOp::Eq,
                n: 0
            }
        );
    }

    #[test]
    fn unknown_key_is_an_error_at_its_line() {
        let e = parse(&src("expect:\n  - kind: pods\n    selectr: a=b\n")).unwrap_err();
        let loc = e.location().unwrap();
        assert_eq!(loc.file, PathBuf::from("k8s/labels.md"));
        assert_eq!(loc.line, 102, "{e}");
        assert!(e.to_string().contains("selectr"), "{e}");
    }

    #[test]
    fn bad_values_are_errors_at_their_line() {
        let cases = [
            (
                "expect:\n  - kind: pods\n    selector: a in x\n",
                102,
                "selector",
            ),
            ("expect:\n  - kind: pods\n    count: lots\n", 102, "count"),
            ("timeout: soon\nexpect:\n  - kind: pods\n", 100, "timeout"),
            (
                "expect:\n  - kind: pods\n    where:\n      - status.x ~ 3\n",
                103,
                "where",
            ),
            (
                "expect:\n  - kind: pods\n    ready: maybe\n",
                102,
                "boolean",
            ),
            ("expect:\n  - namespace: x\n", 101, "kind"),
            (
                "expect:\n  - kind: pods\n    phase: running\n",
                102,
                "did you mean \"Running\"",
            ),
            ("expect: []\n", 100, "no expectations"),
            ("id: x\ntimeout: 3s\n", 101, "expect"),
            ("expect:\n  - kind: pods\n   bad: [\n", 102, ""),
        ];
        for (yaml, line, word) in cases {
            let e = parse(&src(yaml)).unwrap_err();
            assert_eq!(e.location().map(|l| l.line), Some(line), "{yaml:?}: {e}");
            assert!(e.to_string().contains(word), "{yaml:?}: {e}");
            assert!(e.to_string().starts_with("k8s/labels.md:"), "{e}");
        }
    }

    #[test]
    fn where_paths_and_values() {
        let w = parse_where("metadata.labels[\"app.kubernetes.io/name\"] == web").unwrap();
        assert_eq!(
            w.path,
            vec![
                PathSeg::Key("metadata".into()),
                PathSeg::Key("labels".into()),
                PathSeg::Key("app.kubernetes.io/name".into())
            ]
        );
        assert_eq!(w.test, WhereOp::Compare(CmpOp::Eq, Value::from("web")));
        let w = parse_where("spec.containers[0].image exists").unwrap();
        assert_eq!(w.path[2], PathSeg::Index(0));
        assert_eq!(w.path[3], PathSeg::Key("image".into()));
        let w = parse_where("status.readyReplicas>=2").unwrap();
        assert_eq!(w.test, WhereOp::Compare(CmpOp::Ge, Value::from(2)));
        assert!(parse_where("status.x").is_err());
        assert!(parse_where("== 3").is_err());
        assert!(parse_where("a..b == 3").is_err());
    }
}
