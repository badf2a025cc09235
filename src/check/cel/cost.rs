//! How much work an expression can take, known before it runs.
//!
//! cel-rust (0.15) has neither cel-go's cost tracker nor a way to interrupt
//! an evaluation, so an expression such as
//! `lists.range(100000).all(i, lists.range(100000).all(j, true))` would run
//! for minutes on the runtime's thread, and
//! `lists.range(1000000).map(i, lists.range(100))` would allocate gigabytes.
//! Kubernetes bounds CEL the same way on both sides: a cost estimated when a
//! rule is written (`k8s.io/apiserver/pkg/apis/cel/config.go`,
//! `PerCallLimit = 1000000`, from sizes the schema's `maxItems`/`maxLength`
//! allow) and one counted as it runs (`RuntimeCELCostBudget`). Here the
//! sizes are not guessed from a schema: they are those of the objects the
//! expression is about to read, so the estimate is an upper bound on the
//! steps (and on the values allocated) of this very evaluation, and an
//! expression over it is refused before it starts.
//!
//! A step is one node evaluated, one iteration of a macro, one element of a
//! list made or copied, or one character of a string made or scanned.

use cel::common::ast::{EntryExpr, Expr as Node, IdedExpr, LiteralValue};

/// The most steps one evaluation may take (Kubernetes' `PerCallLimit`).
pub const PER_CALL_LIMIT: u64 = 1_000_000;

/// `lists.range(n)` with an `n` not known before running: the crate's own
/// ceiling (cel `extensions/lists.rs`, `MAX_RANGE_SIZE`).
const RANGE_CAP: u64 = 1_000_000;

/// Upper bounds on a value's sizes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Size {
    /// Elements (or entries) of the value itself, when it is a list or map.
    pub len: u64,
    /// Elements of any list or map inside it.
    pub inner: u64,
    /// Characters (bytes) of any string inside it, itself included.
    pub chars: u64,
    /// The value itself, when it is an int known before running.
    pub int: Option<u64>,
}

impl Size {
    fn join(self, o: Size) -> Size {
        Size {
            len: self.len.max(o.len),
            inner: self.inner.max(o.inner),
            chars: self.chars.max(o.chars),
            int: None,
        }
    }

    /// What an element (or field) of this value can be.
    fn element(self) -> Size {
        Size {
            len: self.inner,
            inner: self.inner,
            chars: self.chars,
            int: None,
        }
    }

    fn scalar() -> Size {
        Size::default()
    }

    /// The sizes of a bound value, measured.
    pub fn of(v: &cel::Value) -> Size {
        fn walk(v: &cel::Value, top: bool, s: &mut Size) {
            match v {
                cel::Value::List(l) => {
                    let n = l.len() as u64;
                    if top {
                        s.len = n;
                    } else {
                        s.inner = s.inner.max(n);
                    }
                    for x in l.iter() {
                        walk(x, false, s);
                    }
                }
                cel::Value::Map(m) => {
                    let n = m.map.len() as u64;
                    if top {
                        s.len = n;
                    } else {
                        s.inner = s.inner.max(n);
                    }
                    for (k, x) in m.map.iter() {
                        if let cel::objects::Key::String(k) = k {
                            s.chars = s.chars.max(k.len() as u64);
                        }
                        walk(x, false, s);
                    }
                }
                cel::Value::String(t) => s.chars = s.chars.max(t.len() as u64),
                cel::Value::Bytes(b) => s.chars = s.chars.max(b.len() as u64),
                _ => {}
            }
        }
        let mut s = Size::default();
        walk(v, true, &mut s);
        s
    }
}

/// The estimate for one expression node.
#[derive(Debug, Clone, Copy)]
struct Est {
    cost: u64,
    size: Size,
}

/// Steps `e` can take with its variables as big as `vars` says (a variable
/// not listed counts as empty).
pub fn estimate(e: &IdedExpr, vars: &[(&str, Size)]) -> u64 {
    let mut scope: Vec<(String, Size)> = vars.iter().map(|(n, s)| ((*n).to_string(), *s)).collect();
    est(e, &mut scope).cost
}

fn add(a: u64, b: u64) -> u64 {
    a.saturating_add(b)
}

fn mul(a: u64, b: u64) -> u64 {
    a.saturating_mul(b)
}

fn est(e: &IdedExpr, scope: &mut Vec<(String, Size)>) -> Est {
    match &e.expr {
        Node::Unspecified => Est {
            cost: 1,
            size: Size::scalar(),
        },
        Node::Literal(l) => Est {
            cost: 1,
            size: match l {
                LiteralValue::String(s) => Size {
                    chars: s.inner().len() as u64,
                    ..Size::scalar()
                },
                LiteralValue::Bytes(b) => Size {
                    chars: b.inner().len() as u64,
                    ..Size::scalar()
                },
                LiteralValue::Int(i) => Size {
                    int: u64::try_from(*i.inner()).ok(),
                    ..Size::scalar()
                },
                LiteralValue::UInt(u) => Size {
                    int: Some(*u.inner()),
                    ..Size::scalar()
                },
                _ => Size::scalar(),
            },
        },
        Node::Ident(name) => Est {
            cost: 1,
            size: scope
                .iter()
                .rev()
                .find(|(n, _)| n == name)
                .map(|(_, s)| *s)
                .unwrap_or_default(),
        },
        Node::Select(s) => {
            let o = est(&s.operand, scope);
            Est {
                cost: add(o.cost, 1),
                size: if s.test {
                    Size::scalar()
                } else {
                    o.size.element()
                },
            }
        }
        Node::List(l) => {
            let mut cost = 1u64;
            let mut size = Size {
                len: l.elements.len() as u64,
                ..Size::scalar()
            };
            for x in &l.elements {
                let x = est(x, scope);
                cost = add(cost, x.cost);
                size.inner = size.inner.max(x.size.len).max(x.size.inner);
                size.chars = size.chars.max(x.size.chars);
            }
            Est { cost, size }
        }
        Node::Map(m) => {
            let mut cost = 1u64;
            let mut size = Size {
                len: m.entries.len() as u64,
                ..Size::scalar()
            };
            for entry in &m.entries {
                let parts: Vec<&IdedExpr> = match &entry.expr {
                    EntryExpr::MapEntry(me) => vec![&me.key, &me.value],
                    EntryExpr::StructField(f) => vec![&f.value],
                };
                for p in parts {
                    let x = est(p, scope);
                    cost = add(cost, x.cost);
                    size.inner = size.inner.max(x.size.len).max(x.size.inner);
                    size.chars = size.chars.max(x.size.chars);
                }
            }
            Est { cost, size }
        }
        Node::Struct(_) => Est {
            cost: 1,
            size: Size::scalar(),
        },
        Node::Comprehension(c) => {
            let range = est(&c.iter_range, scope);
            let init = est(&c.accu_init, scope);
            // A macro's accumulator gains at most one element per
            // iteration (`map`, `filter`) or stays a scalar.
            let accu = Size {
                len: init.size.len.max(range.size.len),
                inner: init.size.inner.max(range.size.inner),
                chars: init.size.chars.max(range.size.chars),
                int: None,
            };
            let depth = scope.len();
            scope.push((c.iter_var.clone(), range.size.element()));
            if let Some(v) = &c.iter_var2 {
                scope.push((v.clone(), range.size.element()));
            }
            scope.push((c.accu_var.clone(), accu));
            let cond = est(&c.loop_cond, scope);
            let step = est(&c.loop_step, scope);
            // What the accumulator ends as: its elements are the step's.
            let done = Size {
                len: accu.len,
                inner: accu.inner.max(step.size.inner),
                chars: accu.chars.max(step.size.chars),
                int: None,
            };
            if let Some(last) = scope.last_mut() {
                last.1 = done;
            }
            let result = est(&c.result, scope);
            scope.truncate(depth);
            let per_item = add(add(cond.cost, step.cost), 1);
            Est {
                cost: add(
                    add(add(range.cost, init.cost), mul(range.size.len, per_item)),
                    result.cost,
                ),
                size: result.size,
            }
        }
        Node::Call(call) => {
            let mut args: Vec<Est> = Vec::new();
            let qualified = matches!(
                call.target.as_deref().map(|t| &t.expr),
                Some(Node::Ident(ns)) if (ns == "lists" || ns == "optional" || ns == "strings")
                    && !scope.iter().any(|(n, _)| n == ns)
            );
            if let Some(t) = &call.target
                && !qualified
            {
                args.push(est(t, scope));
            }
            for a in &call.args {
                args.push(est(a, scope));
            }
            let mut cost = args.iter().fold(1u64, |c, a| add(c, a.cost));
            let s = |i: usize| args.get(i).map(|a| a.size).unwrap_or_default();
            let joined = args.iter().fold(Size::scalar(), |acc, a| acc.join(a.size));
            let name = if qualified {
                match call.target.as_deref().map(|t| &t.expr) {
                    Some(Node::Ident(ns)) => format!("{ns}.{}", call.func_name),
                    _ => call.func_name.clone(),
                }
            } else {
                call.func_name.clone()
            };
            let size = match name.as_str() {
                "lists.range" => {
                    let n = s(0).int.unwrap_or(RANGE_CAP).min(RANGE_CAP);
                    cost = add(cost, n);
                    Size {
                        len: n,
                        ..Size::scalar()
                    }
                }
                "size" => Size {
                    int: Some(s(0).len.max(s(0).chars)),
                    ..Size::scalar()
                },
                "_+_" => {
                    let size = Size {
                        len: add(s(0).len, s(1).len),
                        inner: s(0).inner.max(s(1).inner),
                        chars: add(s(0).chars, s(1).chars),
                        int: None,
                    };
                    cost = add(cost, add(size.len, size.chars));
                    size
                }
                "_==_" | "_!=_" | "_<_" | "_<=_" | "_>_" | "_>=_" => {
                    let a = s(0).join(s(1));
                    cost = add(cost, add(mul(a.len, add(a.inner, 1)), a.chars));
                    Size::scalar()
                }
                "@in" => {
                    cost = add(cost, add(add(s(1).len, s(0).chars), s(1).chars));
                    Size::scalar()
                }
                "contains" | "startsWith" | "endsWith" | "indexOf" | "lastIndexOf" => {
                    cost = add(cost, add(s(0).chars, s(1).chars));
                    Size::scalar()
                }
                "matches" => {
                    // An automaton: input times pattern, at worst.
                    cost = add(cost, mul(add(s(0).chars, 1), add(s(1).chars, 1)));
                    Size::scalar()
                }
                "split" => {
                    cost = add(cost, s(0).chars);
                    Size {
                        len: add(s(0).chars, 1),
                        inner: 0,
                        chars: s(0).chars,
                        int: None,
                    }
                }
                "join" => {
                    let chars = mul(s(0).len, add(s(0).chars, s(1).chars));
                    cost = add(cost, chars);
                    Size {
                        chars,
                        ..Size::scalar()
                    }
                }
                "replace" => {
                    // `replace('', x)` puts x between every two characters.
                    let chars = add(mul(add(s(0).chars, 1), add(s(2).chars, 1)), s(0).chars);
                    cost = add(cost, chars);
                    Size {
                        chars,
                        ..Size::scalar()
                    }
                }
                "flatten" => {
                    let depth = s(1).int.unwrap_or(1).clamp(1, 4);
                    let mut len = s(0).len;
                    for _ in 0..depth {
                        len = mul(len, s(0).inner.max(1));
                    }
                    cost = add(cost, len);
                    Size {
                        len,
                        inner: s(0).inner,
                        chars: s(0).chars,
                        int: None,
                    }
                }
                "distinct" => {
                    cost = add(cost, mul(s(0).len, s(0).len));
                    s(0)
                }
                "sort" | "reverse" | "slice" | "lowerAscii" | "upperAscii" | "trim"
                | "substring" | "charAt" | "string" | "bytes" => {
                    let n = add(s(0).len, s(0).chars);
                    cost = add(cost, mul(n, 64 - n.leading_zeros() as u64 + 1));
                    Size { int: None, ..s(0) }
                }
                "_[_]" | "_[?_]" | "_?._" => s(0).element(),
                "_?_:_" => s(1).join(s(2)),
                _ => Size {
                    int: None,
                    ..joined
                },
            };
            Est { cost, size }
        }
    }
}
