//! A check in words, for the person who has to make it hold: "1 pod
//! labelled isactive=no, with status Running, with no owner" rather than
//! `1 pods -l isactive=no (phase Running, no owner)`, and
//! "spec.template.spec.containers has an item where image starts with
//! \"nginx\"" rather than the CEL `self.spec.template.spec.containers.exists(c,
//! c.image.startsWith('nginx'))`.
//!
//! A trainer's own `say:` on an expectation wins ([`expectation`]); without
//! it the words are generated from the keys, and from the common shapes of a
//! CEL expression ([`cel`]: `has(x)`, comparisons, `size`, `startsWith`,
//! `in`, `exists`/`all`/`exists_one`, `&&`, `||`, `!`). An expression of any
//! other shape has no words here (`None`): the caller shows it as written.
//! Pure text in, text out; the student's check control
//! (`classroom::words`) is the reader.

use cel::common::ast::{Expr as Node, IdedExpr, LiteralValue, operators};

use crate::check::spec::{CmpOp, Count, Expectation, NamespaceSpec, OwnerSpec, PathSeg, WhereOp};
use crate::kinds;

/// What an expectation wants, as a phrase: its `say:` if it has one, else
/// "at least 1 deployment named \"web\" in namespace shop, ready".
pub fn expectation(e: &Expectation) -> String {
    if let Some(s) = &e.say {
        return s.clone();
    }
    let (one, many) = noun(&e.kind);
    let mut s = counted(&e.count, &one, &many);
    if let Some(n) = &e.name {
        let like = if n.text.contains(['*', '?', '[', '{']) {
            " like"
        } else {
            ""
        };
        s.push_str(&format!(" named{like} \"{}\"", n.text));
    }
    if let Some(sel) = &e.selector {
        s.push_str(&format!(" labelled {sel}"));
    }
    if let Some(f) = &e.fields {
        s.push_str(&format!(" with fields {f}"));
    }
    match &e.namespace {
        NamespaceSpec::Default => {}
        NamespaceSpec::All => s.push_str(" in any namespace"),
        NamespaceSpec::Named(n) => s.push_str(&format!(" in namespace {n}")),
    }
    for c in conditions(e) {
        s.push_str(", ");
        s.push_str(&c);
    }
    s
}

/// Each condition of `e` (beyond kind, name, labels and namespace) in words.
fn conditions(e: &Expectation) -> Vec<String> {
    let mut c = Vec::new();
    if let Some(p) = &e.phase {
        c.push(format!("with status {p}"));
    }
    if let Some(r) = e.ready {
        c.push(if r { "ready" } else { "not ready" }.to_string());
    }
    match &e.owner {
        Some(OwnerSpec::None) => c.push("with no owner".into()),
        Some(OwnerSpec::Kind(k)) => c.push(format!("owned by a {k}")),
        None => {}
    }
    if e.matches.is_some() {
        c.push("with the fields the check gives".into());
    }
    for w in &e.r#where {
        c.push(format!("where {}", where_test(&w.path, &w.test, w.length)));
    }
    for x in &e.extra.expr {
        c.push(format!("where {}", cel_or_text(x.expr.ast(), &x.expr.text)));
    }
    if let Some(l) = &e.extra.log {
        c.push(format!("whose log contains \"{}\"", l.contains));
    }
    if let Some(h) = &e.extra.http {
        let mut s = format!(
            "answering {} on port {} at {}",
            h.status.unwrap_or(200),
            h.port,
            h.path
        );
        if let Some(t) = &h.contains {
            s.push_str(&format!(" with \"{t}\""));
        }
        c.push(s);
    }
    if let Some(ev) = &e.extra.event {
        c.push(format!("with a {} event", ev.reason));
    }
    if e.extra.replaced {
        c.push("replaced since the check started".into());
    }
    c
}

/// A kind as a noun, singular and plural: `ConfigMap` -> ("config map",
/// "config maps"); a kind that is not built in stays as written.
pub fn noun(kind: &str) -> (String, String) {
    let Some(b) = kinds::builtin(kind) else {
        let k = kind.trim();
        return (format!("{k} object"), format!("{k} objects"));
    };
    let mut words = String::new();
    for (i, ch) in b.kind.char_indices() {
        if ch.is_ascii_uppercase() && i > 0 {
            words.push(' ');
        }
        words.push(ch.to_ascii_lowercase());
    }
    // "Endpoints" is already plural; the others take English plurals.
    let many = if words.ends_with("endpoints") {
        words.clone()
    } else if let Some(stem) = words.strip_suffix('y')
        && !stem.ends_with(['a', 'e', 'o', 'u'])
    {
        format!("{stem}ies")
    } else if words.ends_with(['s', 'x']) || words.ends_with("ch") || words.ends_with("sh") {
        format!("{words}es")
    } else {
        format!("{words}s")
    };
    (words, many)
}

/// `count` with its noun in the right number: "no pods", "1 pod",
/// "at least 2 pods".
pub fn counted(count: &Count, one: &str, many: &str) -> String {
    let n = count.n;
    let noun = if n == 1 { one } else { many };
    match count.op {
        CmpOp::Eq if n == 0 => format!("no {many}"),
        CmpOp::Eq => format!("{n} {noun}"),
        CmpOp::Ge => format!("at least {n} {noun}"),
        CmpOp::Gt => format!("more than {n} {noun}"),
        CmpOp::Le => format!("at most {n} {noun}"),
        CmpOp::Lt => format!("fewer than {n} {noun}"),
        CmpOp::Ne => format!("any number of {many} but {n}"),
    }
}

fn where_test(path: &[PathSeg], test: &WhereOp, length: bool) -> String {
    let mut p = String::new();
    for seg in path {
        match seg {
            PathSeg::Key(k) => {
                if !p.is_empty() {
                    p.push('.');
                }
                p.push_str(k);
            }
            PathSeg::Index(i) => p.push_str(&format!("[{i}]")),
        }
    }
    let subject = if length {
        format!("the number of items in {p}")
    } else {
        p
    };
    match test {
        WhereOp::Exists => format!("{subject} is set"),
        WhereOp::Absent => format!("{subject} is not set"),
        WhereOp::Compare(op, v) => {
            let v = match v {
                serde_json::Value::String(s) => format!("\"{s}\""),
                other => other.to_string(),
            };
            format!("{subject} {} {v}", compare_words(*op))
        }
    }
}

fn compare_words(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "is",
        CmpOp::Ne => "is not",
        CmpOp::Gt => "is more than",
        CmpOp::Ge => "is at least",
        CmpOp::Lt => "is less than",
        CmpOp::Le => "is at most",
    }
}

/// A compiled expression in words, or as written (in backquotes) when its
/// shape has none.
pub fn cel_or_text(ast: &IdedExpr, text: &str) -> String {
    cel(ast).unwrap_or_else(|| format!("`{text}` holds"))
}

/// An expression in words, when every part of it has a common shape.
/// `self.` is left out (the object is the subject); a macro's variable is
/// its list's item ("has an item where image starts with ...").
pub fn cel(e: &IdedExpr) -> Option<String> {
    Words { items: Vec::new() }.test(e)
}

struct Words {
    /// Variables bound by the comprehensions around (the items).
    items: Vec<String>,
}

impl Words {
    /// A boolean expression as a clause.
    fn test(&mut self, e: &IdedExpr) -> Option<String> {
        match &e.expr {
            Node::Select(s) if s.test => Some(format!("{} is set", self.value(e)?)),
            Node::Literal(LiteralValue::Boolean(b)) => Some(b.inner().to_string()),
            // A boolean field (`self.spec.suspend`, `c.ready`).
            Node::Select(_) | Node::Ident(_) => Some(format!("{} is true", self.value(e)?)),
            Node::Comprehension(c) => {
                // The standard macros, as cel's parser expands them
                // (parser/macros.rs): `exists` starts false and steps with
                // `||`, `all` starts true and steps with `&&`, `exists_one`
                // counts (starts at 0).
                let quantity = match (&c.accu_init.expr, &c.loop_step.expr) {
                    (Node::Literal(LiteralValue::Boolean(b)), Node::Call(step))
                        if !*b.inner() && step.func_name == operators::LOGICAL_OR =>
                    {
                        "has an item where"
                    }
                    (Node::Literal(LiteralValue::Boolean(b)), Node::Call(step))
                        if *b.inner() && step.func_name == operators::LOGICAL_AND =>
                    {
                        "has only items where"
                    }
                    (Node::Literal(LiteralValue::Int(_)), Node::Call(step))
                        if step.func_name == operators::CONDITIONAL =>
                    {
                        "has exactly one item where"
                    }
                    _ => return None,
                };
                let Node::Call(step) = &c.loop_step.expr else {
                    return None;
                };
                let body = if step.func_name == operators::CONDITIONAL {
                    step.args.first()?
                } else {
                    step.args.get(1)?
                };
                let range = self.value(&c.iter_range)?;
                self.items.push(c.iter_var.clone());
                let inner = self.test(body);
                self.items.pop();
                Some(format!("{range} {quantity} {}", inner?))
            }
            Node::Call(call) => {
                let args = &call.args;
                match (call.func_name.as_str(), &call.target, args.len()) {
                    (operators::LOGICAL_AND, None, 2) => Some(format!(
                        "{} and {}",
                        self.test(&args[0])?,
                        self.test(&args[1])?
                    )),
                    (operators::LOGICAL_OR, None, 2) => Some(format!(
                        "{} or {}",
                        self.test(&args[0])?,
                        self.test(&args[1])?
                    )),
                    (operators::LOGICAL_NOT, None, 1) => match &args[0].expr {
                        Node::Select(s) if s.test => {
                            Some(format!("{} is not set", self.value(&args[0])?))
                        }
                        _ => Some(format!("not ({})", self.test(&args[0])?)),
                    },
                    (op, None, 2) if compare_op(op).is_some() => Some(format!(
                        "{} {} {}",
                        self.value(&args[0])?,
                        compare_op(op)?,
                        self.value(&args[1])?
                    )),
                    (operators::IN, None, 2) => {
                        let what = self.value(&args[0])?;
                        match &args[1].expr {
                            Node::List(l) => {
                                let each = l
                                    .elements
                                    .iter()
                                    .map(|x| self.value(x))
                                    .collect::<Option<Vec<_>>>()?;
                                Some(format!("{what} is one of {}", each.join(", ")))
                            }
                            _ => Some(format!("{} has {what}", self.value(&args[1])?)),
                        }
                    }
                    ("startsWith" | "endsWith" | "contains" | "matches", Some(t), 1) => {
                        let verb = match call.func_name.as_str() {
                            "startsWith" => "starts with",
                            "endsWith" => "ends with",
                            "contains" => "contains",
                            _ => "matches the pattern",
                        };
                        Some(format!(
                            "{} {verb} {}",
                            self.value(t)?,
                            self.value(&args[0])?
                        ))
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A value: a path (`spec.replicas`), a literal, a size.
    fn value(&mut self, e: &IdedExpr) -> Option<String> {
        match &e.expr {
            Node::Literal(l) => Some(match l {
                LiteralValue::String(s) => format!("\"{}\"", s.inner()),
                LiteralValue::Int(i) => i.inner().to_string(),
                LiteralValue::UInt(u) => u.inner().to_string(),
                LiteralValue::Double(d) => d.inner().to_string(),
                LiteralValue::Boolean(b) => b.inner().to_string(),
                LiteralValue::Null => "null".to_string(),
                LiteralValue::Bytes(_) => return None,
            }),
            Node::Ident(name) if name == "self" => Some(String::new()),
            Node::Ident(name) if self.items.contains(name) => Some("it".into()),
            Node::Ident(name) => Some(name.clone()),
            Node::Select(s) => self.field(&s.operand, &s.field),
            Node::Call(call) => match (call.func_name.as_str(), &call.target, call.args.len()) {
                // `self.status.?readyReplicas`
                (operators::OPT_SELECT, None, 2) => match &call.args[1].expr {
                    Node::Literal(LiteralValue::String(f)) => self.field(&call.args[0], f.inner()),
                    _ => None,
                },
                // `....orValue(0)`: the field, or 0 when absent.
                ("orValue", Some(t), 1) => Some(format!(
                    "{} (or {} when not set)",
                    self.value(t)?,
                    self.value(&call.args[0])?
                )),
                ("size", Some(t), 0) => Some(format!("the size of {}", self.value(t)?)),
                ("size", None, 1) => Some(format!("the size of {}", self.value(&call.args[0])?)),
                (operators::INDEX, None, 2) => {
                    let base = self.value(&call.args[0])?;
                    match &call.args[1].expr {
                        Node::Literal(LiteralValue::String(k)) => {
                            Some(format!("{base}[\"{}\"]", k.inner()))
                        }
                        Node::Literal(LiteralValue::Int(i)) => {
                            Some(format!("{base}[{}]", i.inner()))
                        }
                        _ => None,
                    }
                }
                _ => None,
            },
            _ => None,
        }
    }

    /// `operand.field`: `self.` left out, an item's field said as its own.
    fn field(&mut self, operand: &IdedExpr, field: &str) -> Option<String> {
        let base = self.value(operand)?;
        Some(if base.is_empty() || base == "it" {
            field.to_string()
        } else {
            format!("{base}.{field}")
        })
    }
}

fn compare_op(op: &str) -> Option<&'static str> {
    Some(match op {
        operators::EQUALS => "is",
        operators::NOT_EQUALS => "is not",
        operators::GREATER => "is more than",
        operators::GREATER_EQUALS => "is at least",
        operators::LESS => "is less than",
        operators::LESS_EQUALS => "is at most",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::check::cel::compile;

    fn words(text: &str) -> Option<String> {
        let e = compile(text, &["self", "nodes"]).unwrap();
        cel(e.ast())
    }

    #[test]
    fn common_cel_shapes_are_said_in_words() {
        assert_eq!(
            words("self.spec.template.spec.containers.exists(c, c.image.startsWith('nginx'))")
                .as_deref(),
            Some("spec.template.spec.containers has an item where image starts with \"nginx\"")
        );
        assert_eq!(
            words("has(self.status.readyReplicas)").as_deref(),
            Some("status.readyReplicas is set")
        );
        assert_eq!(
            words("!has(self.spec.nodeName)").as_deref(),
            Some("spec.nodeName is not set")
        );
        assert_eq!(
            words("self.spec.replicas == 3").as_deref(),
            Some("spec.replicas is 3")
        );
        assert_eq!(
            words("self.status.updatedReplicas >= self.spec.replicas").as_deref(),
            Some("status.updatedReplicas is at least spec.replicas")
        );
        assert_eq!(
            words("size(self.spec.containers) == 2 && self.metadata.labels['app'] == 'web'")
                .as_deref(),
            Some("the size of spec.containers is 2 and metadata.labels[\"app\"] is \"web\"")
        );
        assert_eq!(
            words("self.spec.containers.all(c, has(c.resources.limits))").as_deref(),
            Some("spec.containers has only items where resources.limits is set")
        );
        assert_eq!(
            words("self.status.conditions.exists_one(c, c.type == 'Ready')").as_deref(),
            Some("status.conditions has exactly one item where type is \"Ready\"")
        );
        assert_eq!(
            words("self.spec.type in ['NodePort', 'LoadBalancer']").as_deref(),
            Some("spec.type is one of \"NodePort\", \"LoadBalancer\"")
        );
        assert_eq!(
            words("'app' in self.metadata.labels").as_deref(),
            Some("metadata.labels has \"app\"")
        );
        assert_eq!(
            words("self.status.?readyReplicas.orValue(0) >= 2").as_deref(),
            Some("status.readyReplicas (or 0 when not set) is at least 2")
        );
        assert_eq!(
            words("nodes.size() >= 2").as_deref(),
            Some("the size of nodes is at least 2")
        );
        assert_eq!(
            words("self.spec.tags.exists(t, t.endsWith('-x'))").as_deref(),
            Some("spec.tags has an item where it ends with \"-x\"")
        );
    }

    #[test]
    fn other_shapes_have_no_words_and_are_shown_as_written() {
        assert_eq!(
            words("self.spec.containers.map(c, c.name).size() > 1"),
            None
        );
        let e = compile("self.spec.a + 1 > 2", &["self"]).unwrap();
        assert_eq!(cel_or_text(e.ast(), &e.text), "`self.spec.a + 1 > 2` holds");
    }

    #[test]
    fn counts_have_the_right_number() {
        let c = |op, n| counted(&Count { op, n }, "pod", "pods");
        assert_eq!(c(CmpOp::Eq, 1), "1 pod");
        assert_eq!(c(CmpOp::Eq, 0), "no pods");
        assert_eq!(c(CmpOp::Eq, 3), "3 pods");
        assert_eq!(c(CmpOp::Ge, 1), "at least 1 pod");
        assert_eq!(c(CmpOp::Ge, 2), "at least 2 pods");
        assert_eq!(c(CmpOp::Le, 1), "at most 1 pod");
        assert_eq!(noun("pods"), ("pod".into(), "pods".into()));
        assert_eq!(noun("cm"), ("config map".into(), "config maps".into()));
        assert_eq!(
            noun("netpol"),
            ("network policy".into(), "network policies".into())
        );
        assert_eq!(noun("ing"), ("ingress".into(), "ingresses".into()));
        assert_eq!(noun("ep"), ("endpoints".into(), "endpoints".into()));
        assert_eq!(
            noun("widgets.example.com"),
            (
                "widgets.example.com object".into(),
                "widgets.example.com objects".into()
            )
        );
    }
}
