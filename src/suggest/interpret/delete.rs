//! `kubectl delete` by name, file, label selector or `--all`
//! (pkg/cmd/delete/delete.go).

use super::*;

impl Interp {
    /// `kubectl delete KIND NAME...|KIND/NAME|-f FILE|-l SEL|--all`
    /// (delete/delete.go).
    pub(super) fn delete(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let mut touched = Vec::new();
        if args.has(&["f", "filename"]) {
            for f in args.values(&["f", "filename"]) {
                if f.contains("://") {
                    return skip(Reason::Url, format!("manifest from a URL: {f}"));
                }
                let docs = match self.read_manifest(f, args.has(&["R", "recursive"])) {
                    Ok(d) => d,
                    Err(s) => return Outcome::Skipped(s),
                };
                for doc in &docs {
                    if let Some(obj) = manifests::to_obj(doc, ns.as_deref(), &self.state) {
                        let key = obj.key();
                        if self.state.remove(&key).is_none() {
                            self.state.gone.insert(key.clone(), obj);
                        }
                        touched.push(Touch::Object(key));
                    }
                }
            }
            return Outcome::Changed(touched);
        }
        if let Some(sel) = args.value(&["l", "selector"]) {
            let Some(kinds) = args.pos.get(1) else {
                return skip(Reason::Unsupported, "`delete -l` without a kind");
            };
            for k in kinds.split(',') {
                let Some(info) = kinds::builtin(k) else {
                    return skip(Reason::Unsupported, format!("unknown kind `{k}`"));
                };
                self.remove_matching(info, &ns, Some(sel));
                touched.push(Touch::Selection {
                    kind: info.kind.to_string(),
                    namespace: ns.clone().filter(|_| info.namespaced),
                    selector: sel.to_string(),
                    count: "0",
                });
            }
            return Outcome::Changed(touched);
        }
        if args.has(&["all"]) {
            let Some(kinds) = args.pos.get(1) else {
                return skip(Reason::Unsupported, "`delete --all` without a kind");
            };
            for k in kinds.split(',') {
                let Some(info) = kinds::builtin(k) else {
                    return skip(Reason::Unsupported, format!("unknown kind `{k}`"));
                };
                for key in self.remove_matching(info, &ns, None) {
                    touched.push(Touch::Object(key));
                }
                touched.push(Touch::Selection {
                    kind: info.kind.to_string(),
                    namespace: ns.clone().filter(|_| info.namespaced),
                    selector: String::new(),
                    count: "0",
                });
            }
            return Outcome::Changed(touched);
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        if targets.is_empty() {
            return skip(Reason::Unsupported, "`kubectl delete` without a resource");
        }
        for (info, name) in targets {
            let obj = Obj::new(info.kind, "", info.namespaced, ns.clone(), &name);
            let key = obj.key();
            if self.state.remove(&key).is_none() {
                self.state.gone.insert(key.clone(), obj);
            }
            touched.push(Touch::Object(key));
        }
        Outcome::Changed(touched)
    }

    /// Removes the objects of a kind (matching `sel`) from the state.
    pub(super) fn remove_matching(
        &mut self,
        info: &KindInfo,
        ns: &Option<String>,
        sel: Option<&str>,
    ) -> Vec<Key> {
        let selector = sel.and_then(|s| Selector::parse(s).ok());
        let namespace = ns.clone().filter(|_| info.namespaced).unwrap_or_default();
        let keys: Vec<Key> = self
            .state
            .objects
            .iter()
            .filter(|(k, o)| {
                k.kind == info.kind
                    && k.namespace == namespace
                    && selector.as_ref().is_none_or(|s| {
                        let labels: BTreeMap<String, String> = o
                            .labels
                            .iter()
                            .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                            .collect();
                        s.matches(&labels)
                    })
            })
            .map(|(k, _)| k.clone())
            .collect();
        for k in &keys {
            self.state.remove(k);
        }
        keys
    }
}
