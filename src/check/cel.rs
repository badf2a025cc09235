//! CEL expressions in checks (`expr:`), through the `cel` crate (cel-rust).
//!
//! Kubernetes itself uses CEL (ValidatingAdmissionPolicy, CRD validation
//! rules), and so do kuttl and chainsaw assertions, so trainers already read
//! it: `self.status.updatedReplicas == self.spec.replicas`,
//! `self.spec.rules.exists(r, r.host.endsWith('.nip.io'))`. This module
//! compiles an expression once, when its check is parsed, refuses at that
//! point (so `lint` says file:line) what can never work: a syntax error, a
//! variable the expression cannot see, a function that does not exist (with
//! the right spelling when the case is wrong), a comparison whose two sides
//! are literals of different types, a result that is not a boolean. The
//! crate has no type checker of its own (cel-go's `checker` package), so
//! the types known here are those of literals and of what the operators and
//! functions return; object fields are dynamic, as in Kubernetes CRD rules
//! with `x-kubernetes-preserve-unknown-fields`.
//!
//! Objects are bound as JSON is read in Kubernetes CEL: numbers that are
//! integers are `int`, others `double`, objects are maps. A missing field is
//! an evaluation error (the check's, so the verdict is `error`: see
//! `extra.rs`); `has(self.status.readyReplicas)` tests it, and the
//! optional syntax of Kubernetes CEL (`self.status.?readyReplicas.orValue(0)`)
//! reads it with a default (the API server omits zero counters). No
//! expression runs whose cost, estimated on the objects it reads
//! ([`cost`]), is over Kubernetes' per-call limit, nor after the check's
//! deadline.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use cel::common::ast::{EntryExpr, Expr as Node, IdedExpr, LiteralValue};
use cel::{Context, Env, ExecutionError, Program};
use serde_json::Value;

pub mod cost;

/// A value bound to an expression's variable.
pub type CelValue = cel::Value;

/// One compiled expression.
#[derive(Clone)]
pub struct Expr {
    /// As written.
    pub text: String,
    program: Arc<Program>,
}

impl Expr {
    /// The parsed expression, its macros expanded (for [`crate::check::say`]).
    pub fn ast(&self) -> &IdedExpr {
        self.program.expression()
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Expr").field(&self.text).finish()
    }
}

/// The environment every expression is compiled and run in: the standard
/// library, Kubernetes' optional values, and the `strings` and `lists`
/// extensions Kubernetes CEL enables (`lowerAscii`, `split`, `join`...).
fn env() -> &'static Arc<Env> {
    static ENV: OnceLock<Arc<Env>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Env::stdlib();
        // Both only add overloads to a fresh standard environment; they
        // cannot clash, and a failure would only drop the extension.
        let _ = env.add_extension(cel::extensions::strings);
        let _ = env.add_extension(cel::extensions::lists);
        Arc::new(env)
    })
}

/// Functions and methods an expression may call (standard library,
/// optionals, `strings` and `lists` extensions). Macros (`has`, `all`,
/// `exists`, `exists_one`, `map`, `filter`) are expanded by the parser and
/// operators are spelt `_+_`, `@in`...: neither appears here.
pub const FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "type",
    "dyn",
    "charAt",
    "indexOf",
    "lastIndexOf",
    "lowerAscii",
    "upperAscii",
    "replace",
    "split",
    "substring",
    "trim",
    "join",
    "reverse",
    "distinct",
    "flatten",
    "slice",
    "sort",
    "lists.range",
    "hasValue",
    "orValue",
    "value",
    "or",
    "optional.of",
    "optional.none",
    "optional.ofNonZeroValue",
];

/// Type names, which are values (`type(x) == string`).
const TYPE_NAMES: &[&str] = &[
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

/// Words a query may not be named (CEL reserved words and the variables
/// labdeck binds itself).
pub const RESERVED: &[&str] = &[
    "self",
    "started",
    "true",
    "false",
    "null",
    "in",
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
    "has",
    "all",
    "exists",
    "exists_one",
    "map",
    "filter",
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "type",
    "dyn",
];

/// Whether `name` can be a variable in an expression.
pub fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// What is known statically about a value's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    List,
    Map,
    Null,
    Dyn,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Uint => "uint",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::Bytes => "bytes",
            Ty::List => "list",
            Ty::Map => "map",
            Ty::Null => "null",
            Ty::Dyn => "dyn",
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }

    /// Two known types that no value of one can ever equal or order with
    /// a value of the other.
    fn incompatible(self, other: Ty) -> bool {
        self != Ty::Dyn
            && other != Ty::Dyn
            && self != other
            && !(self.numeric() && other.numeric())
            && self != Ty::Null
            && other != Ty::Null
    }
}

/// An expression that does not compile: its text and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("expr {text:?}: {problem}")]
pub struct CompileError {
    pub text: String,
    pub problem: CompileProblem,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompileProblem {
    /// Kubernetes CEL's `.?['key']`, which cel-rust 0.15 does not parse.
    #[error(
        "optional indexing (`.?['key']`) is not supported by labdeck's CEL (cel-rust 0.15); write `.?key` for a key that is a name, or `'key' in m ? m['key'] : default`"
    )]
    OptionalIndex,
    /// cel-rust's parser message, and where (`1:4`) when it says.
    #[error("{message}{}", at.as_ref().map(|a| format!(" (at {a})")).unwrap_or_default())]
    Syntax { message: String, at: Option<String> },
    /// A name, call or comparison that can never work, at a column.
    #[error("{message}{}", column.map(|c| format!(" (at column {c})")).unwrap_or_default())]
    Type {
        message: String,
        column: Option<usize>,
    },
    #[error("is a {0}, want a true/false test")]
    NotATest(&'static str),
    #[error(
        "too costly: {steps} steps whatever the cluster holds, over the limit of {} per evaluation (Kubernetes' per-expression limit)",
        cost::PER_CALL_LIMIT
    )]
    TooCostly { steps: u64 },
}

/// Why an expression was not evaluated or gave no true/false.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum EvalError {
    #[error("not evaluated: the check's timeout passed first")]
    TimedOut,
    #[error(
        "too costly: up to {steps} steps on these objects, over the limit of {} per evaluation (Kubernetes' per-expression limit)",
        cost::PER_CALL_LIMIT
    )]
    TooCostly { steps: u64 },
    #[error(
        "too costly: the check's expressions would take more than {} steps together on these objects",
        Budget::ROUND
    )]
    OverBudget,
    #[error("is {0}, not true or false")]
    NotBool(String),
    /// cel-rust's execution error, explained ([`explain`]).
    #[error("{0}")]
    Runtime(String),
}

/// Compiles `text`, which may read the variables `vars` (and those its own
/// macros bind). The error says what is wrong and where in the expression
/// (`column N`).
pub fn compile(text: &str, vars: &[&str]) -> Result<Expr, CompileError> {
    let fail = |problem| CompileError {
        text: text.to_owned(),
        problem,
    };
    let program = env().compile(text).map_err(|e| {
        // cel-rust 0.15 parses Kubernetes' optional field selection
        // (`.?field`) but not optional indexing (`.?['key']`, `[?'key']`).
        if text.contains(".?[") || text.contains("[?") {
            return fail(CompileProblem::OptionalIndex);
        }
        let e = e.to_string();
        // cel-rust prints `ERROR: <input>:1:4: Syntax error: ...` and then
        // the source with a caret; keep the message, say where.
        let first = e.lines().next().unwrap_or("syntax error");
        fail(
            match first
                .strip_prefix("ERROR: <input>:")
                .and_then(|r| r.split_once(": "))
            {
                Some((pos, msg)) => CompileProblem::Syntax {
                    message: msg.to_owned(),
                    at: Some(pos.to_owned()),
                },
                None => CompileProblem::Syntax {
                    message: first.to_owned(),
                    at: None,
                },
            },
        )
    })?;
    let mut checker = Checker {
        program: &program,
        vars,
        bound: Vec::new(),
        error: None,
    };
    let ty = checker.ty(program.expression());
    if let Some((id, message)) = checker.error {
        let column = program
            .source_info()
            .offset_for(id)
            .and_then(|(start, _)| usize::try_from(start).ok())
            .map(|start| start.saturating_add(1));
        return Err(fail(CompileProblem::Type { message, column }));
    }
    if ty != Ty::Bool && ty != Ty::Dyn {
        return Err(fail(CompileProblem::NotATest(ty.name())));
    }
    // With every object empty, the work it does on literals alone.
    let least = cost::estimate(program.expression(), &[]);
    if least > cost::PER_CALL_LIMIT {
        return Err(fail(CompileProblem::TooCostly { steps: least }));
    }
    Ok(Expr {
        text: text.to_string(),
        program: Arc::new(program),
    })
}

struct Checker<'a> {
    program: &'a Program,
    vars: &'a [&'a str],
    /// Variables bound by the enclosing comprehensions.
    bound: Vec<String>,
    error: Option<(u64, String)>,
}

impl Checker<'_> {
    fn fail(&mut self, id: u64, msg: String) -> Ty {
        if self.error.is_none() {
            self.error = Some((id, msg));
        }
        Ty::Dyn
    }

    fn ty(&mut self, e: &IdedExpr) -> Ty {
        let _ = self.program;
        match &e.expr {
            Node::Unspecified => Ty::Dyn,
            Node::Literal(l) => match l {
                LiteralValue::Boolean(_) => Ty::Bool,
                LiteralValue::Bytes(_) => Ty::Bytes,
                LiteralValue::Double(_) => Ty::Double,
                LiteralValue::Int(_) => Ty::Int,
                LiteralValue::Null => Ty::Null,
                LiteralValue::String(_) => Ty::String,
                LiteralValue::UInt(_) => Ty::Uint,
            },
            Node::Ident(name) => {
                if self.bound.iter().any(|b| b == name)
                    || self.vars.contains(&name.as_str())
                    || TYPE_NAMES.contains(&name.as_str())
                {
                    Ty::Dyn
                } else {
                    let seen = if self.vars.is_empty() {
                        "none".to_string()
                    } else {
                        self.vars.join(", ")
                    };
                    self.fail(
                        e.id,
                        format!("unknown variable `{name}` (this expression sees: {seen})"),
                    )
                }
            }
            Node::Select(s) => {
                let t = self.ty(&s.operand);
                if s.test {
                    return Ty::Bool;
                }
                if !matches!(t, Ty::Dyn | Ty::Map) {
                    return self.fail(
                        e.id,
                        format!("`.{}` on a {}: only maps have fields", s.field, t.name()),
                    );
                }
                Ty::Dyn
            }
            Node::List(l) => {
                for x in &l.elements {
                    self.ty(x);
                }
                Ty::List
            }
            Node::Map(m) => {
                for entry in &m.entries {
                    if let EntryExpr::MapEntry(me) = &entry.expr {
                        self.ty(&me.key);
                        self.ty(&me.value);
                    }
                }
                Ty::Map
            }
            Node::Struct(s) => self.fail(e.id, format!("message `{}` is not known", s.type_name)),
            Node::Comprehension(c) => {
                self.ty(&c.iter_range);
                let init = self.ty(&c.accu_init);
                self.bound.push(c.iter_var.clone());
                if let Some(v) = &c.iter_var2 {
                    self.bound.push(v.clone());
                }
                self.bound.push(c.accu_var.clone());
                self.ty(&c.loop_cond);
                self.ty(&c.loop_step);
                let result = self.ty(&c.result);
                let pushed = 2 + usize::from(c.iter_var2.is_some());
                self.bound.truncate(self.bound.len().saturating_sub(pushed));
                if result == Ty::Dyn { init } else { result }
            }
            Node::Call(call) => self.call(e.id, call),
        }
    }

    fn call(&mut self, id: u64, call: &cel::common::ast::CallExpr) -> Ty {
        // `lists.range(2)`, `optional.of(x)`: a qualified function name,
        // parsed as a call on the identifier `lists`.
        let qualified = match call.target.as_deref().map(|t| &t.expr) {
            Some(Node::Ident(ns))
                if !self.vars.contains(&ns.as_str()) && !self.bound.iter().any(|b| b == ns) =>
            {
                Some(format!("{ns}.{}", call.func_name))
            }
            _ => None,
        };
        let target = match &qualified {
            Some(_) => None,
            None => call.target.as_ref().map(|t| self.ty(t)),
        };
        let args: Vec<Ty> = call.args.iter().map(|a| self.ty(a)).collect();
        let name = qualified.as_deref().unwrap_or(call.func_name.as_str());
        if let Some(msg) = arity_error(name, target.is_some(), args.len()) {
            return self.fail(id, msg);
        }
        if name == "matches" {
            // The pattern, when written as a literal: compiled now with the
            // regex crate cel-rust itself uses (RE2 syntax, as cel-go).
            let pattern = if target.is_some() {
                call.args.first()
            } else {
                call.args.get(1)
            };
            if let Some(IdedExpr {
                expr: Node::Literal(LiteralValue::String(p)),
                ..
            }) = pattern
                && let Err(e) = regex::Regex::new(p.inner())
            {
                let why = e.to_string();
                let why = why.lines().last().unwrap_or("invalid").trim();
                return self.fail(
                    id,
                    format!(
                        "`matches`: {:?} is not a regular expression ({why})",
                        p.inner()
                    ),
                );
            }
        }
        let arg = |i: usize| args.get(i).copied().unwrap_or(Ty::Dyn);
        match name {
            "_&&_" | "_||_" | "!_" => {
                if let Some(t) = args.iter().find(|t| !matches!(t, Ty::Bool | Ty::Dyn)) {
                    return self.fail(
                        id,
                        format!("`&&`, `||` and `!` take booleans, not a {}", t.name()),
                    );
                }
                Ty::Bool
            }
            "_==_" | "_!=_" => {
                if arg(0).incompatible(arg(1)) {
                    return self.fail(
                        id,
                        format!(
                            "compares a {} with a {}: never equal",
                            arg(0).name(),
                            arg(1).name()
                        ),
                    );
                }
                Ty::Bool
            }
            "_<_" | "_<=_" | "_>_" | "_>=_" => {
                if arg(0).incompatible(arg(1))
                    || matches!(arg(0), Ty::Bool | Ty::List | Ty::Map | Ty::Null)
                {
                    return self.fail(
                        id,
                        format!("cannot order a {} and a {}", arg(0).name(), arg(1).name()),
                    );
                }
                Ty::Bool
            }
            "@in" => {
                if !matches!(arg(1), Ty::List | Ty::Map | Ty::Dyn) {
                    return self.fail(
                        id,
                        format!(
                            "`in` needs a list or a map on its right, not a {}",
                            arg(1).name()
                        ),
                    );
                }
                Ty::Bool
            }
            "_+_" | "_-_" | "_*_" | "_/_" | "_%_" => {
                let (a, b) = (arg(0), arg(1));
                if a.incompatible(b) || (a.numeric() && b.numeric() && a != b) {
                    return self.fail(
                        id,
                        format!(
                            "arithmetic on a {} and a {} (convert one with int(), double())",
                            a.name(),
                            b.name()
                        ),
                    );
                }
                if a == Ty::Dyn { b } else { a }
            }
            "-_" => arg(0),
            "_?_:_" => {
                if !matches!(arg(0), Ty::Bool | Ty::Dyn) {
                    return self.fail(
                        id,
                        format!("`? :` needs a boolean, not a {}", arg(0).name()),
                    );
                }
                if arg(1) == arg(2) { arg(1) } else { Ty::Dyn }
            }
            "_[_]" | "_?._" | "_[?_]" | "@not_strictly_false" => {
                if name == "@not_strictly_false" {
                    Ty::Bool
                } else {
                    Ty::Dyn
                }
            }
            "startsWith" | "endsWith" | "contains" | "matches" => {
                let recv = target.unwrap_or(arg(0));
                let needle = if target.is_some() { arg(0) } else { arg(1) };
                if name != "contains" && !matches!(recv, Ty::String | Ty::Dyn) {
                    return self.fail(
                        id,
                        format!("`{name}` is for strings, not a {}", recv.name()),
                    );
                }
                if !matches!(needle, Ty::String | Ty::Dyn) {
                    return self.fail(
                        id,
                        format!("`{name}` takes a string, not a {}", needle.name()),
                    );
                }
                Ty::Bool
            }
            "size" | "int" | "indexOf" | "lastIndexOf" => Ty::Int,
            "uint" => Ty::Uint,
            "double" => Ty::Double,
            "string" | "lowerAscii" | "upperAscii" | "trim" | "substring" | "charAt"
            | "replace" | "join" => Ty::String,
            "bool" | "hasValue" => Ty::Bool,
            "split" | "distinct" | "flatten" | "slice" | "sort" | "lists.range" => Ty::List,
            n if n.starts_with('_') || n.starts_with('@') => Ty::Dyn,
            n if FUNCTIONS.contains(&n) => Ty::Dyn,
            n => {
                let hint = FUNCTIONS
                    .iter()
                    .find(|f| f.eq_ignore_ascii_case(n))
                    .map(|f| format!(", did you mean `{f}`?"))
                    .unwrap_or_default();
                self.fail(id, format!("unknown function `{n}`{hint}"))
            }
        }
    }
}

/// How many arguments each function takes: as a method (besides its
/// receiver) and as a global function; empty: not callable that way. As
/// cel-rust 0.15 declares them (`functions.rs`, `extensions/strings.rs`,
/// `extensions/lists.rs`), which follow cel-go's standard library and
/// extensions.
fn arities(name: &str) -> Option<(&'static [usize], &'static [usize])> {
    Some(match name {
        "size" => (&[0], &[1]),
        "contains" | "startsWith" | "endsWith" => (&[1], &[]),
        "matches" => (&[1], &[2]),
        "int" | "uint" | "double" | "string" | "bool" | "bytes" | "type" | "dyn" => (&[], &[1]),
        "charAt" | "orValue" | "or" => (&[1], &[]),
        "indexOf" | "lastIndexOf" | "split" | "substring" => (&[1, 2], &[]),
        "replace" => (&[2, 3], &[]),
        "join" | "flatten" => (&[0, 1], &[]),
        "slice" => (&[2], &[]),
        "lowerAscii" | "upperAscii" | "trim" | "reverse" | "distinct" | "sort" | "hasValue"
        | "value" => (&[0], &[]),
        "lists.range" | "optional.of" | "optional.ofNonZeroValue" => (&[], &[1]),
        "optional.none" => (&[], &[0]),
        _ => return None,
    })
}

/// Why a call of `name` with `n` arguments (`method`: on a receiver) can
/// never run: cel-rust would only say so when evaluating it.
fn arity_error(name: &str, method: bool, n: usize) -> Option<String> {
    let (as_method, as_global) = arities(name)?;
    let allowed = if method { as_method } else { as_global };
    if allowed.contains(&n) {
        return None;
    }
    let counts = |c: &[usize]| {
        c.iter()
            .map(usize::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    Some(match (method, allowed.is_empty()) {
        (true, true) => {
            format!("`{name}` is a function, not a method: write {name}(x), not x.{name}()")
        }
        (false, true) => format!("`{name}` is a method: write x.{name}(...), not {name}(x, ...)"),
        (true, false) => format!("`.{name}()` takes {} argument(s), not {n}", counts(allowed)),
        (false, false) => format!("`{name}()` takes {} argument(s), not {n}", counts(allowed)),
    })
}

/// Why an expression could not be evaluated. In Kubernetes CEL a field the
/// object does not have is an error too (the API server says `no such key`
/// and refuses the object: https://kubernetes.io/docs/reference/using-api/cel/,
/// "Validation rules": use `has()` before reading an optional field); the
/// API server omits empty and zero fields, so such a read needs `has()` or
/// `.?field.orValue(default)` in the check.
fn explain(e: &ExecutionError) -> String {
    match e {
        ExecutionError::NoSuchKey(k) => format!(
            "no such key: {k} (the object has no `{k}`: test it with has(), or read it with `.?{k}.orValue(default)`)"
        ),
        other => other.to_string(),
    }
}

/// A variable's value with its sizes, measured once however many
/// expressions read it.
#[derive(Clone)]
pub struct Bound {
    value: cel::Value,
    size: cost::Size,
}

impl Bound {
    pub fn new(value: cel::Value) -> Bound {
        let size = cost::Size::of(&value);
        Bound { value, size }
    }
}

/// What all the evaluations of one look at a check may spend together
/// (Kubernetes' `RuntimeCELCostBudget`, k8s.io/apiserver/pkg/apis/cel/config.go),
/// and when they must stop (the check's timeout).
#[derive(Debug, Clone)]
pub struct Budget {
    left: u64,
    deadline: Option<Instant>,
}

impl Budget {
    /// The budget of one evaluation round: ten times [`cost::PER_CALL_LIMIT`].
    pub const ROUND: u64 = 10_000_000;

    pub fn new(steps: u64, deadline: Option<Instant>) -> Budget {
        Budget {
            left: steps,
            deadline,
        }
    }
}

impl Expr {
    /// Whether the expression reads the variable `name`.
    pub fn reads(&self, name: &str) -> bool {
        self.program.references().has_variable(name)
    }

    /// Evaluates the expression with `vars` bound. `Ok(false)`: the test
    /// does not hold; `Err`: it could not be evaluated, or would cost more
    /// than the limit or than what is left of `budget`, or the deadline
    /// has passed (says why). An expression is refused before it runs, so
    /// none runs past the deadline by more than [`cost::PER_CALL_LIMIT`] steps.
    pub fn eval(&self, vars: &[(&str, &Bound)], budget: &mut Budget) -> Result<bool, EvalError> {
        if budget.deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(EvalError::TimedOut);
        }
        let sizes: Vec<(&str, cost::Size)> = vars.iter().map(|(n, b)| (*n, b.size)).collect();
        let steps = cost::estimate(self.program.expression(), &sizes);
        if steps > cost::PER_CALL_LIMIT {
            return Err(EvalError::TooCostly { steps });
        }
        if steps > budget.left {
            return Err(EvalError::OverBudget);
        }
        budget.left -= steps;
        let mut ctx = Context::with_env(env().clone());
        for (name, b) in vars {
            ctx.add_variable_from_value(*name, b.value.clone());
        }
        match self.program.execute(&ctx) {
            Ok(cel::Value::Bool(b)) => Ok(b),
            Ok(other) => Err(EvalError::NotBool(format!("{other:?}"))),
            Err(e) => Err(EvalError::Runtime(explain(&e))),
        }
    }
}

/// A JSON value as Kubernetes CEL sees it: whole numbers are `int` (a
/// `uint` could not be added to an `int` literal), others `double`.
pub fn to_cel(v: &Value) -> cel::Value {
    match v {
        Value::Null => cel::Value::Null,
        Value::Bool(b) => cel::Value::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => cel::Value::Int(i),
            None => match n.as_u64() {
                Some(u) => cel::Value::UInt(u),
                None => cel::Value::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
        },
        Value::String(s) => cel::Value::String(Arc::new(s.clone())),
        Value::Array(items) => cel::Value::List(Arc::new(items.iter().map(to_cel).collect())),
        Value::Object(map) => {
            let m: HashMap<String, cel::Value> =
                map.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            cel::Value::Map(m.into())
        }
    }
}

/// A list of objects as one CEL list.
pub fn list_to_cel(objects: &[&Value]) -> cel::Value {
    cel::Value::List(Arc::new(objects.iter().map(|o| to_cel(o)).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn budget() -> Budget {
        Budget::new(Budget::ROUND, None)
    }

    fn run(text: &str, obj: &Value) -> Result<bool, String> {
        let compiled = compile(text, &["self", "nodes"]).map_err(|e| e.to_string())?;
        let this = Bound::new(to_cel(obj));
        let nodes = Bound::new(to_cel(
            &json!([{"metadata": {"name": "n1"}}, {"metadata": {"name": "n2"}}]),
        ));
        compiled
            .eval(&[("self", &this), ("nodes", &nodes)], &mut budget())
            .map_err(|e| e.to_string())
    }

    #[test]
    fn kubernetes_style_expressions() {
        let d = json!({"metadata": {"name": "web", "labels": {"app": "web"}},
            "spec": {"replicas": 3, "template": {"spec": {"containers": [
                {"name": "c", "image": "registry.example.com/web:1.2", "ports": [{"containerPort": 80}]}]}}},
            "status": {"replicas": 3, "readyReplicas": 3, "updatedReplicas": 3,
                "conditions": [{"type": "Available", "status": "True"}]}});
        for ok in [
            "self.status.updatedReplicas == self.spec.replicas",
            "self.spec.replicas + 1 == 4",
            "self.status.?unavailableReplicas.orValue(0) == 0",
            "!has(self.status.unavailableReplicas)",
            "self.spec.template.spec.containers.exists(c, c.image.startsWith('registry.example.com/'))",
            "self.spec.template.spec.containers.all(c, c.ports.exists(p, p.containerPort == 80))",
            "self.status.conditions.exists(c, c.type == 'Available' && c.status == 'True')",
            "self.metadata.name in ['web', 'api']",
            "self.spec.template.spec.containers.exists(c, c.name.startsWith('c'))",
            "self.metadata.name.matches('^w[a-z]+$')",
            "self.metadata.name.endsWith('eb') && self.metadata.name.lowerAscii() == 'web'",
            "size(nodes) == 2 && nodes.exists(n, n.metadata.name == 'n2')",
        ] {
            assert_eq!(run(ok, &d), Ok(true), "{ok}");
        }
        assert_eq!(run("self.spec.replicas == 4", &d), Ok(false));
        let e = run("self.status.unavailableReplicas == 0", &d).unwrap_err();
        assert_eq!(
            e,
            "no such key: unavailableReplicas (the object has no `unavailableReplicas`: test it with has(), or read it with `.?unavailableReplicas.orValue(default)`)"
        );
        // Kubernetes CEL's optional syntax, on fields and on map keys.
        for ok in [
            "self.metadata.labels.?app.orValue('') == 'web'",
            "self.metadata.?annotations.orValue({}).size() == 0",
            "!self.metadata.labels.?tier.hasValue()",
            "('app' in self.metadata.labels ? self.metadata.labels['app'] : '') == 'web'",
        ] {
            assert_eq!(run(ok, &d), Ok(true), "{ok}");
        }
    }

    #[test]
    fn mistakes_are_refused_when_compiled() {
        for (text, want) in [
            ("self.spec.replicas ==", "Syntax error"),
            (
                "self.metadata.labels.?['app'].orValue('') == 'web'",
                "optional indexing (`.?['key']`) is not supported by labdeck's CEL (cel-rust 0.15)",
            ),
            (
                "slf.spec.replicas == 3",
                "unknown variable `slf` (this expression sees: self, nodes)",
            ),
            (
                "self.metadata.name.endswith('x')",
                "unknown function `endswith`, did you mean `endsWith`?",
            ),
            ("self.metadata.name == 'a' && 3", "take booleans, not a int"),
            ("self.spec.replicas", ""),
            ("'3' == 3", "compares a string with a int: never equal"),
            ("self.spec.replicas + 1", "is a int, want a true/false test"),
            ("size(self.spec)", "is a int, want a true/false test"),
            ("self.x in 3", "`in` needs a list or a map"),
            ("self.x.startsWith(3)", "`startsWith` takes a string"),
            ("'abc'.x == 1", "only maps have fields"),
            // Arity and regular expressions, which cel-rust finds only when
            // it runs the call.
            (
                "self.x.startsWith()",
                "`.startsWith()` takes 1 argument(s), not 0",
            ),
            (
                "size(self.a, self.b) == 1",
                "`size()` takes 1 argument(s), not 2",
            ),
            (
                "self.x.replace('a') == ''",
                "`.replace()` takes 2 or 3 argument(s), not 1",
            ),
            ("self.x.int() == 1", "`int` is a function, not a method"),
            (
                "lists.range(1, 2) == []",
                "`lists.range()` takes 1 argument(s), not 2",
            ),
            (
                "self.x.matches('[a-')",
                "`matches`: \"[a-\" is not a regular expression",
            ),
            ("matches(self.x, '(')", "is not a regular expression"),
            // Work that no cluster can make smaller.
            (
                "lists.range(100000).all(i, lists.range(100000).all(j, i != j || true))",
                "too costly:",
            ),
        ] {
            match compile(text, &["self", "nodes"]) {
                Ok(_) if want.is_empty() => {}
                Ok(_) => panic!("{text}: compiled"),
                Err(e) => assert!(
                    !want.is_empty() && e.to_string().contains(want),
                    "{text}: {e}"
                ),
            }
        }
        // Comprehension variables are in scope only inside their macro.
        assert!(compile("self.a.exists(c, c == 1) && c == 2", &["self"]).is_err());
    }

    #[test]
    fn every_listed_function_exists() {
        let calls = [
            "size('ab') == 2",
            "'ab'.contains('a')",
            "'ab'.startsWith('a')",
            "'ab'.endsWith('b')",
            "'ab'.matches('a.')",
            "int('3') == 3",
            "uint(3) == 3u",
            "double(3) == 3.0",
            "string(3) == '3'",
            "bool('true')",
            "bytes('a') == b'a'",
            "type(1) == int",
            "dyn(1) == 1",
            "'ab'.charAt(1) == 'b'",
            "'ab'.indexOf('b') == 1",
            "'abb'.lastIndexOf('b') == 2",
            "'AB'.lowerAscii() == 'ab'",
            "'ab'.upperAscii() == 'AB'",
            "'ab'.replace('a', 'c') == 'cb'",
            "'a,b'.split(',') == ['a', 'b']",
            "'abc'.substring(1) == 'bc'",
            "' a '.trim() == 'a'",
            "['a', 'b'].join('-') == 'a-b'",
            "[1, 2].reverse() == [2, 1]",
            "[1, 1].distinct() == [1]",
            "[[1], [2]].flatten() == [1, 2]",
            "[1, 2, 3].slice(1, 2) == [2]",
            "[2, 1].sort() == [1, 2]",
            "lists.range(2) == [0, 1]",
            "optional.of(1).hasValue()",
            "optional.none().orValue(2) == 2",
            "optional.of(1).value() == 1",
            "optional.none().or(optional.of(1)).value() == 1",
            "optional.ofNonZeroValue(0).orValue(5) == 5",
        ];
        let mut seen: Vec<&str> = Vec::new();
        for c in calls {
            let e = compile(c, &[]).unwrap_or_else(|e| panic!("{c}: {e}"));
            assert_eq!(e.eval(&[], &mut budget()), Ok(true), "{c}");
            seen.extend(FUNCTIONS.iter().filter(|f| c.contains(&format!("{f}("))));
        }
        for f in FUNCTIONS {
            assert!(seen.contains(f), "{f} untested");
        }
    }
}

#[cfg(test)]
mod bounds {
    use super::*;
    use serde_json::json;

    /// Regression (issue 20): a nested `lists.range` over the objects ran
    /// 30 s past a 3 s timeout, and a 100-million-element `map` aborted the
    /// process. Both are refused before they run, without allocating.
    #[test]
    fn regression_costly_expressions_are_refused_before_running() {
        let pods: Vec<Value> = (0..200)
            .map(|i| json!({"metadata": {"name": format!("p{i}")}}))
            .collect();
        let pods = Bound::new(to_cel(&Value::Array(pods)));
        let nested = compile(
            "pods.all(p, lists.range(100000).all(i, pods.exists(q, q.metadata.name == p.metadata.name)))",
            &["pods"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let started = Instant::now();
        let e = nested
            .eval(&[("pods", &pods)], &mut Budget::new(Budget::ROUND, None))
            .unwrap_err();
        assert!(matches!(e, EvalError::TooCostly { .. }), "{e:?}");
        let e = e.to_string();
        assert!(e.starts_with("too costly: up to "), "{e}");
        assert!(
            e.ends_with(
                "over the limit of 1000000 per evaluation (Kubernetes' per-expression limit)"
            ),
            "{e}"
        );
        let huge = compile("size(pods.map(p, lists.range(1000000))) > 0", &["pods"])
            .unwrap_or_else(|e| panic!("{e}"));
        let e = huge
            .eval(&[("pods", &pods)], &mut Budget::new(Budget::ROUND, None))
            .unwrap_err();
        assert!(e.to_string().starts_with("too costly"), "{e}");
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        // The same expressions on small lists run.
        let few = Bound::new(to_cel(&json!([{"metadata": {"name": "a"}}])));
        let ok = compile(
            "pods.all(p, lists.range(10).all(i, pods.exists(q, q.metadata.name == p.metadata.name)))",
            &["pods"],
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            ok.eval(&[("pods", &few)], &mut Budget::new(Budget::ROUND, None)),
            Ok(true)
        );
    }

    #[test]
    fn a_round_has_one_budget_and_a_deadline() {
        let pods: Vec<Value> = (0..200)
            .map(|i| json!({"metadata": {"name": format!("p{i}")}}))
            .collect();
        let pods = Bound::new(to_cel(&Value::Array(pods)));
        let e = compile("pods.all(p, pods.exists(q, q == p))", &["pods"])
            .unwrap_or_else(|e| panic!("{e}"));
        let mut budget = Budget::new(Budget::ROUND, None);
        let mut refused = None;
        for i in 0..100 {
            if let Err(why) = e.eval(&[("pods", &pods)], &mut budget) {
                refused = Some((i, why));
                break;
            }
        }
        let (i, why) = refused.unwrap_or_else(|| panic!("never refused"));
        assert!(i > 0, "{why}");
        assert_eq!(why, EvalError::OverBudget);
        assert!(
            why.to_string()
                .contains("more than 10000000 steps together"),
            "{why}"
        );
        let past = Instant::now();
        let mut late = Budget::new(Budget::ROUND, Some(past));
        assert_eq!(
            e.eval(&[("pods", &pods)], &mut late),
            Err(EvalError::TimedOut)
        );
        assert_eq!(
            EvalError::TimedOut.to_string(),
            "not evaluated: the check's timeout passed first"
        );
    }
}
