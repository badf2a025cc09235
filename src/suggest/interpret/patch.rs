//! `kubectl patch -p` with a merge patch (pkg/cmd/patch/patch.go).

use super::*;

impl Interp {
    /// `kubectl patch KIND NAME -p PATCH [--type strategic|merge|json]`
    /// (patch/patch.go): a literal strategic or merge patch is what the
    /// object contains afterwards; JSON patches are not modelled.
    pub(super) fn patch(
        &mut self,
        args: &Args,
        ns: Option<String>,
        selection: Option<Binding>,
    ) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let ty = args.value(&["type"]).unwrap_or("strategic");
        if ty == "json" {
            return skip(
                Reason::Unsupported,
                "JSON patch (--type json) operations are not modelled",
            );
        }
        let text = match (args.value(&["p", "patch"]), args.value(&["patch-file"])) {
            (Some(p), _) => p.to_string(),
            (None, Some(f)) => match self
                .repo_path(f)
                .and_then(|p| std::fs::read_to_string(p).ok())
            {
                Some(t) => t,
                None => return skip(Reason::FileNotFound, format!("patch file {f}")),
            },
            _ => return skip(Reason::Unsupported, "`kubectl patch` without -p"),
        };
        let patch: Value = match serde_saphyr::from_str(&text) {
            Ok(v) => v,
            Err(e) => {
                return skip(
                    Reason::Unparsable,
                    format!(
                        "patch: {}",
                        e.without_snippet().to_string().lines().next().unwrap_or("")
                    ),
                );
            }
        };
        if !patch.is_object()
            || text.contains("$patch")
            || text.contains("$setElementOrder")
            || text.contains("$retainKeys")
        {
            return skip(Reason::Unsupported, "patch directives are not modelled");
        }
        if let Some(Binding::Selection {
            kind,
            namespace,
            selector,
        }) = selection
        {
            let changes: Vec<(String, Option<String>)> = patch
                .pointer("/metadata/labels")
                .and_then(Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string)))
                        .collect()
                })
                .unwrap_or_default();
            if changes.is_empty() {
                return skip(
                    Reason::Unsupported,
                    "a patch of objects chosen by a variable, not of their labels",
                );
            }
            return self.relabel_selection(kind, namespace.or(ns), &selector, &changes);
        }
        self.for_targets(args, 1, ns, |o, _| {
            o.merge_patch(&patch);
            Ok(())
        })
    }
}
