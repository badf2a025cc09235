//! `kubectl label` and `kubectl annotate`-like label edits, and what
//! they do to selections held in shell variables (pkg/cmd/label/label.go).

use super::*;
use std::sync::Arc;

impl Interp {
    /// `kubectl label|annotate KIND NAME|-l SEL|--all k=v k- [--overwrite]`
    /// (label/label.go, annotate/annotate.go: `key-` removes).
    pub(super) fn label(
        &mut self,
        args: &Args,
        ns: Option<String>,
        labels: bool,
        selection: Option<Binding>,
    ) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut changes: Vec<(String, Option<String>)> = Vec::new();
        let mut rest = Vec::new();
        for p in &args.pos[1..] {
            if let Some((k, v)) = p.split_once('=') {
                changes.push((k.to_string(), Some(v.to_string())));
            } else if let Some(k) = p.strip_suffix('-').filter(|_| {
                !rest.is_empty() || args.has(&["l", "selector", "all"]) || selection.is_some()
            }) {
                // `key-` removes (object names cannot end with `-`).
                changes.push((k.to_string(), None));
            } else {
                rest.push(p.clone());
            }
        }
        if changes.is_empty() {
            return skip(Reason::Unsupported, "no `key=value` to set");
        }
        let selected = match (&selection, args.value(&["l", "selector"])) {
            (
                Some(Binding::Selection {
                    kind,
                    namespace,
                    selector,
                }),
                _,
            ) => Some((*kind, namespace.clone().or(ns.clone()), selector.clone())),
            (None, Some(sel)) => {
                let Some(kind) = rest.first().and_then(|k| kinds::builtin(k)) else {
                    return skip(Reason::Unsupported, "`-l` without a known kind");
                };
                Some((kind, ns.clone(), sel.to_string()))
            }
            _ => None,
        };
        if let Some((kind, namespace, sel)) = selected {
            if !labels {
                // Annotations do not move objects in or out of a selection.
                return Outcome::Changed(vec![Touch::Selection {
                    kind: kind.kind.to_string(),
                    namespace,
                    selector: sel,
                    count: ">=1",
                }]);
            }
            return self.relabel_selection(kind, namespace, &sel, &changes);
        }
        if args.has(&["all"]) {
            // Every object of the kind: none is left without the change.
            let Some(kind) = rest.first().and_then(|k| kinds::builtin(k)) else {
                return skip(Reason::Unsupported, "`--all` without a known kind");
            };
            if !labels {
                return skip(
                    Reason::Unsupported,
                    "`annotate --all`: annotations cannot be selected",
                );
            }
            let namespace = ns.clone().filter(|_| kind.namespaced);
            let key_ns = namespace.clone().unwrap_or_default();
            for o in self.state.objects.values_mut() {
                if o.kind == kind.kind && o.key().namespace == key_ns {
                    let o = Arc::make_mut(o);
                    for (k, v) in &changes {
                        o.labels.insert(k.clone(), v.clone());
                    }
                }
            }
            return Outcome::Changed(
                changes
                    .iter()
                    .map(|(k, v)| Touch::Selection {
                        kind: kind.kind.to_string(),
                        namespace: namespace.clone(),
                        selector: match v {
                            Some(v) => format!("{k}!={v}"),
                            None => k.clone(),
                        },
                        count: "0",
                    })
                    .collect(),
            );
        }
        let pos_args = Args {
            pos: std::iter::once(String::new()).chain(rest).collect(),
            flags: args.flags.clone(),
        };
        self.for_targets(&pos_args, 1, ns, |o, _| {
            for (k, v) in &changes {
                if labels {
                    o.labels.insert(k.clone(), v.clone());
                } else {
                    o.annotations.insert(k.clone(), v.clone());
                }
            }
            Ok(())
        })
    }

    /// Objects chosen by `sel` get new labels: afterwards they match the
    /// relabelled selector; the old one matches nothing unless a controller
    /// replaces the pods that left it.
    pub(super) fn relabel_selection(
        &mut self,
        kind: &KindInfo,
        namespace: Option<String>,
        sel: &str,
        changes: &[(String, Option<String>)],
    ) -> Outcome {
        let Ok(parsed) = Selector::parse(sel) else {
            return skip(Reason::Unparsable, format!("selector `{sel}`"));
        };
        let mut eq: BTreeMap<String, String> = BTreeMap::new();
        let mut other = Vec::new();
        for r in &parsed.requirements {
            match r.op {
                Op::Equals if r.values.len() == 1 => {
                    eq.insert(r.key.clone(), r.values[0].clone());
                }
                _ => other.push(r.clone()),
            }
        }
        let old = eq.clone();
        let mut new = eq.clone();
        let mut new_text: Vec<String> = Vec::new();
        for (k, v) in changes {
            match v {
                Some(v) => {
                    new.insert(k.clone(), v.clone());
                }
                None => {
                    new.remove(k);
                    new_text.push(format!("!{k}"));
                }
            }
        }
        // Requirements other than equality stay as written unless a change touches their key.
        for r in &other {
            if !changes.iter().any(|(k, _)| k == &r.key) {
                new_text.push(r_text(r));
            }
        }
        let mut parts: Vec<String> = new.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.extend(new_text);
        let new_sel = parts.join(",");
        // Update known pods of the model.
        for o in self.state.objects.values_mut() {
            if o.kind == kind.kind {
                let labels: BTreeMap<String, String> = o
                    .labels
                    .iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                    .collect();
                if parsed.matches(&labels) {
                    let o = Arc::make_mut(o);
                    for (k, v) in changes {
                        o.labels.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        let mut touched = vec![Touch::Selection {
            kind: kind.kind.to_string(),
            namespace: namespace.clone().filter(|_| kind.namespaced),
            selector: new_sel.clone(),
            count: ">=1",
        }];
        let changed_selected_key = changes
            .iter()
            .any(|(k, v)| eq.get(k).is_some_and(|old| Some(old) != v.as_ref()));
        if changed_selected_key
            && other.is_empty()
            && new_sel != sel
            && !self
                .state
                .replaced_by_controller(namespace.as_deref().unwrap_or(""), &old)
        {
            touched.push(Touch::Selection {
                kind: kind.kind.to_string(),
                namespace: namespace.filter(|_| kind.namespaced),
                selector: selector_text(&old),
                count: "0",
            });
        }
        Outcome::Changed(touched)
    }
}

pub(super) fn r_text(r: &crate::check::selector::Requirement) -> String {
    match r.op {
        Op::Equals => format!("{}={}", r.key, r.values.join("")),
        Op::NotEquals => format!("{}!={}", r.key, r.values.join("")),
        Op::In => format!("{} in ({})", r.key, r.values.join(",")),
        Op::NotIn => format!("{} notin ({})", r.key, r.values.join(",")),
        Op::Exists => r.key.clone(),
        Op::DoesNotExist => format!("!{}", r.key),
    }
}
