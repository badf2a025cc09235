//! `kubectl run`: a bare Pod since Kubernetes 1.18 (pkg/cmd/run/run.go).

use super::*;

impl Interp {
    /// `kubectl run NAME --image=IMAGE [-- COMMAND]`: a bare Pod since
    /// Kubernetes 1.18 (run/run.go: labels `run=NAME` unless --labels,
    /// one container named NAME; `--rm` deletes it when it ends;
    /// `--expose` also makes a Service of the same name).
    pub(super) fn run(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) || args.has(&["rm"]) {
            return Outcome::ReadOnly;
        }
        let Some(name) = args.pos.get(1).cloned() else {
            return skip(Reason::Unsupported, "`kubectl run` without a name");
        };
        let Some(image) = args.value(&["image"]) else {
            return skip(Reason::Unsupported, "`kubectl run` without --image");
        };
        let mut pod = Obj::new("Pod", "v1", true, ns.clone(), &name);
        let labels: BTreeMap<String, String> = match args.value(&["labels", "l"]) {
            Some(l) => l
                .split(',')
                .filter_map(|kv| kv.split_once('='))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            None => BTreeMap::from([("run".to_string(), name.clone())]),
        };
        pod.labels = labels
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        pod.containers = Some(vec![Container {
            name: Some(name.clone()),
            image: image.to_string(),
        }]);
        let mut touched = vec![Touch::Object(pod.key())];
        self.state.upsert(pod);
        if args.has(&["expose"]) {
            let mut svc = Obj::new("Service", "v1", true, ns, &name);
            svc.selector = Some(labels.clone());
            svc.extra = json!({"spec": {"selector": labels}});
            touched.push(Touch::Object(svc.key()));
            self.state.upsert(svc);
        }
        Outcome::Changed(touched)
    }
}
