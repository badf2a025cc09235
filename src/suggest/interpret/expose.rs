//! `kubectl expose`: a Service selecting what the exposed object selects
//! (pkg/cmd/expose/expose.go).

use super::*;

impl Interp {
    /// `kubectl expose KIND NAME` / `KIND/NAME`: a Service named after the
    /// resource (or --name), selecting what the resource selects
    /// (expose/expose.go: the selector comes from the object through
    /// polymorphichelpers.MapBasedSelectorForObject: a pod's labels, a
    /// workload's matchLabels, a service's selector).
    pub(super) fn expose(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let targets = match targets(&args.pos[1..]) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let Some((info, name)) = targets.into_iter().next() else {
            return skip(Reason::Unsupported, "`kubectl expose` without a resource");
        };
        let key = Key {
            kind: info.kind.to_string(),
            namespace: ns.clone().unwrap_or_default(),
            name: name.clone(),
        };
        let source = self.state.objects.get(&key);
        let selector = match (args.value(&["selector"]), source) {
            (Some(s), _) => Some(
                s.split(',')
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect::<BTreeMap<_, _>>(),
            ),
            (None, Some(o)) if o.kind == "Pod" => Some(
                o.labels
                    .iter()
                    .filter_map(|(k, v)| v.clone().map(|v| (k.clone(), v)))
                    .collect(),
            ),
            (None, Some(o)) => o.selector.clone(),
            (None, None) => None,
        };
        let svc_name = args.value(&["name"]).map(str::to_string).unwrap_or(name);
        let mut svc = Obj::new("Service", "v1", true, ns, &svc_name);
        let mut spec = serde_json::Map::new();
        if let Some(t) = args.value(&["type"]) {
            spec.insert("type".into(), Value::String(t.to_string()));
        }
        if let Some(sel) = selector.as_ref().filter(|s| !s.is_empty()) {
            spec.insert("selector".into(), json!(sel));
        }
        if let Some(p) = args.value(&["port"]).and_then(|p| p.parse::<i64>().ok()) {
            spec.insert("ports".into(), json!([{"port": p}]));
        }
        svc.selector = selector;
        if !spec.is_empty() {
            svc.extra = json!({ "spec": spec });
        }
        let key = svc.key();
        self.state.upsert(svc);
        Outcome::Changed(vec![Touch::Object(key)])
    }
}
