//! `kubectl create KIND NAME` for the generators kubectl has
//! (pkg/cmd/create/create_*.go), and the manifest its `--dry-run -o yaml`
//! prints.

use super::*;

impl Interp {
    /// `kubectl create KIND NAME ...` generators.
    pub(super) fn create(&mut self, args: &Args, ns: Option<String>) -> Outcome {
        if dry_run(args) {
            return Outcome::ReadOnly;
        }
        let sub = args.pos.get(1).map(String::as_str).unwrap_or("");
        let name = args.pos.get(2).cloned();
        let Some(name) = name.or_else(|| args.value(&["name"]).map(str::to_string)) else {
            return skip(
                Reason::Unsupported,
                format!("`kubectl create {sub}` without a name"),
            );
        };
        let info = match sub {
            "secret" | "service" => None,
            _ => kinds::builtin(sub),
        };
        let mk = |kind: &str, api: &str, namespaced: bool| {
            Obj::new(kind, api, namespaced, ns.clone(), &name)
        };
        let mut obj = match (sub, info.map(|k| k.kind)) {
            (_, Some("Deployment")) => {
                // create/create_deployment.go: labels and selector `app=NAME`,
                // one container per --image named after the image.
                let images = args.values(&["image"]);
                if images.is_empty() {
                    return skip(Reason::Unsupported, "`create deployment` without --image");
                }
                let mut o = mk("Deployment", "apps/v1", true);
                let app = BTreeMap::from([("app".to_string(), name.clone())]);
                o.labels = app
                    .iter()
                    .map(|(k, v)| (k.clone(), Some(v.clone())))
                    .collect();
                o.selector = Some(app);
                o.replicas = Some(
                    args.value(&["replicas"])
                        .and_then(|r| r.parse().ok())
                        .unwrap_or(1),
                );
                o.containers = Some(images.iter().map(|i| image_container(i)).collect());
                o
            }
            (_, Some("Job")) => {
                // create/create_job.go: one container named NAME.
                let mut o = mk("Job", "batch/v1", true);
                if let Some(image) = args.value(&["image"]) {
                    o.containers = Some(vec![Container {
                        name: Some(name.clone()),
                        image: image.to_string(),
                    }]);
                }
                o
            }
            (_, Some("CronJob")) => {
                // create/create_cronjob.go: container NAME, --schedule.
                let mut o = mk("CronJob", "batch/v1", true);
                if let Some(image) = args.value(&["image"]) {
                    o.containers = Some(vec![Container {
                        name: Some(name.clone()),
                        image: image.to_string(),
                    }]);
                }
                if let Some(s) = args.value(&["schedule"]) {
                    o.extra = json!({"spec": {"schedule": s}});
                }
                o
            }
            (_, Some("ConfigMap")) => {
                // create/create_configmap.go: --from-literal=k=v,
                // --from-file=[key=]path (key: the file's base name).
                let mut o = mk("ConfigMap", "v1", true);
                let mut data = serde_json::Map::new();
                for l in args.values(&["from-literal"]) {
                    if let Some((k, v)) = l.split_once('=') {
                        data.insert(k.to_string(), Value::String(v.to_string()));
                    }
                }
                if !data.is_empty() {
                    o.extra = json!({ "data": data });
                }
                o.data_keys = file_keys(&args.values(&["from-file"]));
                o
            }
            ("secret", _) => {
                // create/create_secret.go, create_secret_tls.go,
                // create_secret_docker.go: the type follows the subcommand.
                let (ty, name) = match (args.pos.get(2).map(String::as_str), args.pos.get(3)) {
                    (Some("generic"), Some(n)) => ("Opaque", n.clone()),
                    (Some("tls"), Some(n)) => ("kubernetes.io/tls", n.clone()),
                    (Some("docker-registry"), Some(n)) => {
                        ("kubernetes.io/dockerconfigjson", n.clone())
                    }
                    _ => {
                        return skip(
                            Reason::Unsupported,
                            "`create secret` without a type and name",
                        );
                    }
                };
                let mut o = Obj::new("Secret", "v1", true, ns.clone(), &name);
                o.extra = json!({ "type": ty });
                let mut keys = file_keys(&args.values(&["from-file"]));
                for l in args.values(&["from-literal"]) {
                    if let Some((k, _)) = l.split_once('=') {
                        keys.insert(k.to_string());
                    }
                }
                if ty == "kubernetes.io/tls" {
                    keys.extend(["tls.crt".to_string(), "tls.key".to_string()]);
                }
                o.data_keys = keys;
                o
            }
            ("service", _) => {
                // create/create_service.go: `create service TYPE NAME`,
                // selector `app=NAME`.
                let (ty, name) = match (args.pos.get(2).map(String::as_str), args.pos.get(3)) {
                    (Some("clusterip"), Some(n)) => ("ClusterIP", n.clone()),
                    (Some("nodeport"), Some(n)) => ("NodePort", n.clone()),
                    (Some("loadbalancer"), Some(n)) => ("LoadBalancer", n.clone()),
                    (Some("externalname"), Some(n)) => ("ExternalName", n.clone()),
                    _ => {
                        return skip(
                            Reason::Unsupported,
                            "`create service` without a type and name",
                        );
                    }
                };
                let mut o = Obj::new("Service", "v1", true, ns.clone(), &name);
                o.extra = json!({"spec": {"type": ty}});
                if ty != "ExternalName" {
                    o.selector = Some(BTreeMap::from([("app".to_string(), name.clone())]));
                    o.extra["spec"]["selector"] = json!({"app": name});
                }
                o
            }
            (_, Some("RoleBinding" | "ClusterRoleBinding")) => {
                // create/create_rolebinding.go: --role or --clusterrole.
                let kind = info.map(|k| k.kind).unwrap_or("RoleBinding");
                let mut o = mk(kind, "rbac.authorization.k8s.io/v1", kind == "RoleBinding");
                if let Some(r) = args.value(&["clusterrole"]) {
                    o.extra = json!({"roleRef": {"kind": "ClusterRole", "name": r}});
                } else if let Some(r) = args.value(&["role"]) {
                    o.extra = json!({"roleRef": {"kind": "Role", "name": r}});
                }
                // create_rolebinding.go `createRoleBinding`: subjects from
                // --user, --group, --serviceaccount=NS:NAME.
                let mut subjects = Vec::new();
                for u in args.values(&["user"]) {
                    subjects.push(
                        json!({"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": u}),
                    );
                }
                for g in args.values(&["group"]) {
                    subjects.push(json!({"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": g}));
                }
                for sa in args.values(&["serviceaccount"]) {
                    let Some((sa_ns, sa_name)) = sa.split_once(':') else {
                        return skip(
                            Reason::Refused,
                            format!("--serviceaccount={sa}: kubectl wants NAMESPACE:NAME"),
                        );
                    };
                    subjects.push(
                        json!({"kind": "ServiceAccount", "namespace": sa_ns, "name": sa_name}),
                    );
                }
                if !subjects.is_empty() {
                    o.extra["subjects"] = Value::Array(subjects);
                }
                o
            }
            (
                _,
                Some(
                    kind @ ("Namespace"
                    | "ServiceAccount"
                    | "Role"
                    | "ClusterRole"
                    | "Ingress"
                    | "PodDisruptionBudget"
                    | "PriorityClass"
                    | "ResourceQuota"
                    | "PersistentVolumeClaim"
                    | "NetworkPolicy"),
                ),
            ) => {
                let Some(info) = info else {
                    return skip(
                        Reason::Unsupported,
                        format!("`kubectl create {sub}` is not modelled"),
                    );
                };
                let group = if info.group.is_empty() {
                    "v1".to_string()
                } else {
                    format!("{}/v1", info.group)
                };
                mk(kind, &group, info.namespaced)
            }
            _ => {
                return skip(
                    Reason::Unsupported,
                    format!("`kubectl create {sub}` is not modelled"),
                );
            }
        };
        if !obj.namespaced {
            obj.namespace = None;
        }
        let key = obj.key();
        self.state.upsert(obj);
        Outcome::Changed(vec![Touch::Object(key)])
    }
}

/// What `kubectl create deployment NAME --image=I... --dry-run=client -o
/// yaml|json` prints: the object of create_deployment.go
/// `createDeployment`, with the zero values Go's encoder writes
/// (`creationTimestamp: null`, `strategy: {}`, `resources: {}`,
/// `status: {}`), keys sorted as sigs.k8s.io/yaml prints them.
pub(super) fn dry_run_manifest(args: &Args, ns: Option<&str>) -> Option<String> {
    let format = args.value(&["o", "output"])?;
    if args
        .pos
        .get(1)
        .and_then(|k| kinds::builtin(k))
        .map(|k| k.kind)
        != Some("Deployment")
    {
        return None;
    }
    let name = args.pos.get(2)?;
    let images = args.values(&["image"]);
    if images.is_empty() {
        return None;
    }
    let replicas: i64 = match args.value(&["replicas"]) {
        Some(r) => r.parse().ok()?,
        None => 1,
    };
    let containers: Vec<Value> = images
        .iter()
        .map(|i| {
            let c = image_container(i);
            // A sanitized name gets a random suffix: not predictable.
            c.name
                .map(|n| json!({"image": i, "name": n, "resources": {}}))
        })
        .collect::<Option<_>>()?;
    let mut metadata = json!({"creationTimestamp": null, "labels": {"app": name}, "name": name});
    if let (Some(n), true) = (ns, args.has(&["n", "namespace"])) {
        metadata["namespace"] = json!(n);
    }
    let obj = json!({
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": metadata,
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": {"app": name}},
            "strategy": {},
            "template": {
                "metadata": {"creationTimestamp": null, "labels": {"app": name}},
                "spec": {"containers": containers}
            }
        },
        "status": {}
    });
    match format {
        "yaml" => {
            let mut s = String::new();
            crate::suggest::yaml_block(&mut s, &obj, 0);
            Some(s)
        }
        "json" => serde_json::to_string_pretty(&obj).ok(),
        _ => None,
    }
}

/// `create deployment`'s container for an image (create_deployment.go
/// `buildPodSpec`: the last path segment without tag or digest; a name with
/// `_` or `.` gets a random suffix, so it is left out).
pub(super) fn image_container(image: &str) -> Container {
    let last = image.rsplit('/').next().unwrap_or(image);
    let name = last.split([':', '@']).next().unwrap_or(last);
    Container {
        name: (!name.contains(['_', '.'])).then(|| name.to_string()),
        image: image.to_string(),
    }
}

/// Keys of `--from-file=[key=]path` (the base name of the path).
pub(super) fn file_keys(values: &[&str]) -> BTreeSet<String> {
    values
        .iter()
        .map(|v| match v.split_once('=') {
            Some((k, _)) => k.to_string(),
            None => v.rsplit('/').next().unwrap_or(v).to_string(),
        })
        .filter(|k| !k.is_empty())
        .collect()
}
