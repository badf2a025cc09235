//! A loopback fake Kubernetes API server, speaking enough of the real API for
//! `kube::Client`: discovery (`/api`, `/api/v1`, `/apis`, `/apis/G/V`, with a
//! CRD group), get, list with label and field selectors, `?watch=true`
//! streaming from a resourceVersion, bearer-token checks (401), per-resource
//! 403, configurable latency, scripted changes over time, and a log of every
//! request so a test can assert that only GET was ever sent.
//!
//! Reused by the `check`, `grade` and `run` tests.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use labdeck::check::selector::Selector;
use serde_json::{Value, json};
use tokio::sync::broadcast;

/// A resource type the fake serves.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
}

/// What the fake serves: a small but real-looking slice of a cluster,
/// including a custom resource (`crontabs.stable.example.com`).
pub const RESOURCES: &[ResourceType] = &[
    rt("", "v1", "Pod", "pods", &["po"], true),
    rt("", "v1", "Service", "services", &["svc"], true),
    rt("", "v1", "ConfigMap", "configmaps", &["cm"], true),
    rt("", "v1", "Event", "events", &["ev"], true),
    rt("", "v1", "Namespace", "namespaces", &["ns"], false),
    rt("", "v1", "Node", "nodes", &["no"], false),
    rt("apps", "v1", "Deployment", "deployments", &["deploy"], true),
    rt("apps", "v1", "ReplicaSet", "replicasets", &["rs"], true),
    rt("apps", "v1", "DaemonSet", "daemonsets", &["ds"], true),
    rt("apps", "v1", "StatefulSet", "statefulsets", &["sts"], true),
    rt("batch", "v1", "Job", "jobs", &[], true),
    // Read by `can-i`, `http`, and the corpus checks (examples/checks/).
    rt("", "v1", "Secret", "secrets", &[], true),
    rt("", "v1", "ServiceAccount", "serviceaccounts", &["sa"], true),
    rt(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
        true,
    ),
    rt("", "v1", "Endpoints", "endpoints", &["ep"], true),
    rt("batch", "v1", "CronJob", "cronjobs", &["cj"], true),
    rt(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        &["ing"],
        true,
    ),
    rt(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        &["netpol"],
        true,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        &[],
        true,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        &[],
        true,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        &[],
        false,
    ),
    rt(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
    ),
    rt(
        "stable.example.com",
        "v1",
        "CronTab",
        "crontabs",
        &["ct"],
        true,
    ),
];

const fn rt(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
) -> ResourceType {
    ResourceType {
        group,
        version,
        kind,
        plural,
        short,
        namespaced,
    }
}

fn find_by_plural(group: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.plural == plural)
}

fn find_by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

type ObjKey = (String, String); // (namespace, name)

#[derive(Clone)]
struct Event {
    rv: u64,
    group: String,
    plural: String,
    kind: &'static str,
    object: Value,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<(String, String), BTreeMap<ObjKey, Value>>,
    history: Vec<Event>,
    rv: u64,
    token: Option<String>,
    forbidden: HashSet<String>,
    latency: Duration,
    log: Vec<String>,
    /// Answer only the pre-1.26 discovery documents (no aggregated discovery).
    legacy_discovery: bool,
    /// Resources not served (yet): a CRD not installed.
    hidden: HashSet<String>,
    /// Pod logs and service answers (`subresources` below).
    subresources: Subresources,
}

struct Shared {
    inner: Mutex<Inner>,
    events: broadcast::Sender<Event>,
}

/// A running fake API server on 127.0.0.1 (a random port). Stops when dropped.
pub struct FakeApiServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for FakeApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl FakeApiServer {
    /// Starts the server on the current tokio runtime.
    pub async fn start() -> FakeApiServer {
        let (events, _) = broadcast::channel(1024);
        let shared = Arc::new(Shared {
            inner: Mutex::new(Inner {
                rv: 1000,
                ..Default::default()
            }),
            events,
        });
        let app = Router::new().fallback(handle).with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeApiServer { addr, shared, task }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Requires `Authorization: Bearer TOKEN` on every request (else 401).
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    /// Answers 403 to any read of this resource (plural name).
    pub fn forbid(&self, plural: &str) {
        self.lock().forbidden.insert(plural.to_string());
    }

    /// Behaves like a server older than Kubernetes 1.26: no aggregated
    /// discovery, clients must read `/api/v1` and each `/apis/G/V`.
    pub fn legacy_discovery_only(&self) {
        self.lock().legacy_discovery = true;
    }

    /// Stops serving a resource (plural), as if its CRD were not installed.
    pub fn hide_resource(&self, plural: &str) {
        self.lock().hidden.insert(plural.to_string());
    }

    /// Serves a hidden resource again (the CRD was installed).
    pub fn serve_resource(&self, plural: &str) {
        self.lock().hidden.remove(plural);
    }

    /// Waits this long before answering each request.
    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// Every request so far, as `METHOD /path?query`.
    pub fn requests(&self) -> Vec<String> {
        self.lock().log.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Creates or replaces an object (its `apiVersion`/`kind` say where),
    /// as a controller or kubectl would; watchers see ADDED or MODIFIED.
    pub fn apply(&self, mut obj: Value) {
        let api_version = obj["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = obj["kind"].as_str().unwrap_or("").to_string();
        let r = find_by_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("fake API does not serve {api_version} {kind}"));
        let ns = if r.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let mut inner = self.lock();
        inner.rv += 1;
        let rv = inner.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let existed = inner
            .objects
            .entry((r.group.to_string(), r.plural.to_string()))
            .or_default()
            .insert((ns, name), obj.clone())
            .is_some();
        let ev = Event {
            rv,
            group: r.group.to_string(),
            plural: r.plural.to_string(),
            kind: if existed { "MODIFIED" } else { "ADDED" },
            object: obj,
        };
        inner.history.push(ev.clone());
        drop(inner);
        let _ = self.shared.events.send(ev);
    }

    /// Deletes an object; watchers see DELETED.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) {
        let r = find_by_kind(api_version, kind).expect("served kind");
        let ns = if r.namespaced { namespace } else { "" };
        let mut inner = self.lock();
        inner.rv += 1;
        let rv = inner.rv;
        let removed = inner
            .objects
            .get_mut(&(r.group.to_string(), r.plural.to_string()))
            .and_then(|m| m.remove(&(ns.to_string(), name.to_string())));
        if let Some(mut obj) = removed {
            obj["metadata"]["resourceVersion"] = json!(rv.to_string());
            let ev = Event {
                rv,
                group: r.group.to_string(),
                plural: r.plural.to_string(),
                kind: "DELETED",
                object: obj,
            };
            inner.history.push(ev.clone());
            drop(inner);
            let _ = self.shared.events.send(ev);
        }
    }

    /// Applies `obj` after `delay` (a cluster converging), on the runtime.
    pub fn apply_after(self: &Arc<Self>, delay: Duration, obj: Value) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            if let Some(me) = me.upgrade() {
                me.apply(obj);
            }
        });
    }

    /// A kubeconfig for this server, one context `fake` in namespace
    /// `namespace`, authenticating with `token`.
    pub fn kubeconfig_yaml(&self, token: &str, namespace: &str) -> String {
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {url}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: student\n    namespace: {namespace}\nusers:\n- name: student\n  user:\n    token: {token}\n",
            url = self.url()
        )
    }

    /// Writes [`Self::kubeconfig_yaml`] into `dir` and returns its path.
    pub fn write_kubeconfig(&self, dir: &Path, token: &str, namespace: &str) -> PathBuf {
        let path = dir.join("kubeconfig");
        std::fs::write(&path, self.kubeconfig_yaml(token, namespace)).expect("write kubeconfig");
        path
    }
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    let body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()
    });
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn ok_json(v: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let (latency, token, legacy, hidden) = {
        let mut inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
        inner.log.push(format!("{method} {uri}"));
        (
            inner.latency,
            inner.token.clone(),
            inner.legacy_discovery,
            inner.hidden.clone(),
        )
    };
    let served = |r: &&ResourceType| !hidden.contains(r.plural);
    let aggregated = !legacy
        && headers
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|a| a.contains("as=APIGroupDiscoveryList"));
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    if let Some(t) = token {
        let want = format!("Bearer {t}");
        if headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            != Some(want.as_str())
        {
            return status(StatusCode::UNAUTHORIZED, "Unauthorized", "Unauthorized");
        }
    }
    if method != Method::GET {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the fake API server only answers reads",
        );
    }
    let path = uri.path().trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["api"] if aggregated => aggregated_json(aggregated_discovery(true, &served)),
        ["apis"] if aggregated => aggregated_json(aggregated_discovery(false, &served)),
        ["api"] => ok_json(json!({"kind": "APIVersions", "versions": ["v1"],
            "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}]})),
        ["api", "v1"] => ok_json(resource_list("", "v1", &served)),
        ["apis"] => ok_json(group_list(&served)),
        ["apis", g, v] => {
            if RESOURCES
                .iter()
                .filter(served)
                .any(|r| r.group == *g && r.version == *v)
            {
                ok_json(resource_list(g, v, &served))
            } else {
                status(
                    StatusCode::NOT_FOUND,
                    "NotFound",
                    "the server could not find the requested resource",
                )
            }
        }
        ["api", "v1", "namespaces", ns, "pods", name, "log"] => pod_log(&shared, ns, name, &params),
        [
            "api",
            "v1",
            "namespaces",
            ns,
            "services",
            target,
            "proxy",
            rest @ ..,
        ] => service_proxy(&shared, ns, target, rest),
        ["api", "v1", rest @ ..] if rest.iter().all(|s| !hidden.contains(*s)) => {
            objects(&shared, "", rest, &params).await
        }
        ["apis", g, _v, rest @ ..] if rest.iter().all(|s| !hidden.contains(*s)) => {
            objects(&shared, g, rest, &params).await
        }
        _ => status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        ),
    }
}

type Served<'a> = dyn Fn(&&ResourceType) -> bool + 'a;

/// The verbs a real API server lists for every resource (labdeck uses only
/// get, list and watch).
const VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

fn resource_list(group: &str, version: &str, served: &Served) -> Value {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(served)
        .filter(|r| r.group == group && r.version == version)
    {
        resources.push(json!({
            "name": r.plural, "singularName": r.kind.to_lowercase(), "namespaced": r.namespaced,
            "kind": r.kind, "verbs": VERBS, "shortNames": r.short,
            "storageVersionHash": "abcdEFGH123="
        }));
        resources.push(json!({
            "name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced,
            "kind": r.kind, "verbs": ["get", "patch", "update"]
        }));
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

/// The `apidiscovery.k8s.io/v2` document: every group's resources at once.
fn aggregated_discovery(core: bool, served: &Served) -> Value {
    let mut groups: Vec<(&str, &str)> = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(served)
        .filter(|r| r.group.is_empty() == core)
    {
        if !groups.contains(&(r.group, r.version)) {
            groups.push((r.group, r.version));
        }
    }
    let items: Vec<Value> = groups
        .iter()
        .map(|(g, v)| {
            let resources: Vec<Value> = RESOURCES
                .iter()
                .filter(served)
                .filter(|r| r.group == *g && r.version == *v)
                .map(|r| {
                    json!({
                        "resource": r.plural,
                        "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                        "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                        "singularResource": r.kind.to_lowercase(),
                        "verbs": VERBS,
                        "shortNames": r.short,
                        "subresources": [{"subresource": "status", "responseKind": {"group": r.group, "version": r.version, "kind": r.kind}, "verbs": ["get", "patch", "update"]}]
                    })
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null},
                   "versions": [{"version": v, "resources": resources, "freshness": "Current"}]})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": "apidiscovery.k8s.io/v2", "metadata": {}, "items": items})
}

fn aggregated_json(v: Value) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
        )],
        v.to_string(),
    )
        .into_response()
}

fn group_list(served: &Served) -> Value {
    let mut groups: Vec<Value> = Vec::new();
    let mut seen = HashSet::new();
    for r in RESOURCES
        .iter()
        .filter(served)
        .filter(|r| !r.group.is_empty())
    {
        if seen.insert(r.group) {
            let gv =
                json!({"groupVersion": format!("{}/{}", r.group, r.version), "version": r.version});
            groups.push(json!({"name": r.group, "versions": [gv.clone()], "preferredVersion": gv}));
        }
    }
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `[namespaces/NS/]PLURAL[/NAME]` under a group version.
async fn objects(
    shared: &Arc<Shared>,
    group: &str,
    rest: &[&str],
    params: &HashMap<String, String>,
) -> Response {
    let (ns, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => {
            return status(
                StatusCode::NOT_FOUND,
                "NotFound",
                "the server could not find the requested resource",
            );
        }
    };
    let Some(r) = find_by_plural(group, plural) else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    let verb = if name.is_some() {
        "get"
    } else if is_watch(params) {
        "watch"
    } else {
        "list"
    };
    if shared
        .inner
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .forbidden
        .contains(plural)
    {
        let scope = match ns {
            Some(ns) => format!(" in the namespace \"{ns}\""),
            None => " at the cluster scope".to_string(),
        };
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{plural} is forbidden: User \"system:serviceaccount:default:student\" cannot {verb} resource \"{plural}\" in API group \"{group}\"{scope}"
            ),
        );
    }
    let labels = match params
        .get("labelSelector")
        .map(|s| Selector::parse(s))
        .transpose()
    {
        Ok(l) => l,
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e),
    };
    let fields = params.get("fieldSelector").cloned().unwrap_or_default();
    let selects = move |o: &Value| -> bool {
        labels
            .as_ref()
            .is_none_or(|s| s.matches_json(o["metadata"].get("labels")))
            && field_match(&fields, o)
    };
    let ns = ns.filter(|_| r.namespaced).map(str::to_string);
    let in_scope = {
        let ns = ns.clone();
        move |key: &ObjKey| ns.as_ref().is_none_or(|n| *n == key.0)
    };
    if let Some(name) = name {
        let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
        let key = (ns.clone().unwrap_or_default(), name.to_string());
        return match inner
            .objects
            .get(&(group.to_string(), plural.to_string()))
            .and_then(|m| m.get(&key))
        {
            Some(o) => ok_json(o.clone()),
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("{plural} \"{name}\" not found"),
            ),
        };
    }
    if verb == "watch" {
        return watch(shared, r, params, move |e: &Event| {
            in_scope(&(
                e.object["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string(),
                String::new(),
            )) && selects(&e.object)
        });
    }
    let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let items: Vec<Value> = inner
        .objects
        .get(&(group.to_string(), plural.to_string()))
        .map(|m| {
            m.iter()
                .filter(|(k, o)| in_scope(k) && selects(o))
                .map(|(_, o)| {
                    // Items of a list carry no apiVersion/kind, as from the real server.
                    let mut o = o.clone();
                    if let Some(m) = o.as_object_mut() {
                        m.remove("apiVersion");
                        m.remove("kind");
                    }
                    o
                })
                .collect()
        })
        .unwrap_or_default();
    let api_version = if group.is_empty() {
        r.version.to_string()
    } else {
        format!("{group}/{}", r.version)
    };
    ok_json(json!({
        "kind": format!("{}List", r.kind), "apiVersion": api_version,
        "metadata": {"resourceVersion": inner.rv.to_string()},
        "items": items
    }))
}

fn is_watch(params: &HashMap<String, String>) -> bool {
    params.get("watch").is_some_and(|w| w == "true" || w == "1")
}

/// `a.b=c,d!=e`: string comparison of dotted paths, as the server does for
/// the fields it supports.
fn field_match(selector: &str, o: &Value) -> bool {
    selector.split(',').filter(|s| !s.is_empty()).all(|req| {
        let (path, want, negate) = if let Some((p, v)) = req.split_once("!=") {
            (p, v, true)
        } else if let Some((p, v)) = req.split_once("==") {
            (p, v, false)
        } else if let Some((p, v)) = req.split_once('=') {
            (p, v, false)
        } else {
            return false;
        };
        let got = path
            .split('.')
            .try_fold(o, |v, k| v.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or("");
        (got == want) != negate
    })
}

/// Streams events newer than `resourceVersion` (history, then live) as
/// newline-delimited JSON until `timeoutSeconds`.
fn watch(
    shared: &Arc<Shared>,
    r: &'static ResourceType,
    params: &HashMap<String, String>,
    selects: impl Fn(&Event) -> bool + Send + Sync + 'static,
) -> Response {
    let from: u64 = params
        .get("resourceVersion")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    let timeout = Duration::from_secs(
        params
            .get("timeoutSeconds")
            .and_then(|v| v.parse().ok())
            .unwrap_or(290),
    );
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let (mut live, past) = {
        let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
        let live = shared.events.subscribe();
        let past: Vec<Event> = inner
            .history
            .iter()
            .filter(|e| e.rv > from && e.group == r.group && e.plural == r.plural)
            .cloned()
            .collect();
        (live, past)
    };
    let line = |e: &Event| {
        let mut s = json!({"type": e.kind, "object": e.object}).to_string();
        s.push('\n');
        Bytes::from(s)
    };
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = from;
        for e in past.iter().filter(|e| selects(e)) {
            last = e.rv;
            if tx.send(line(e)).await.is_err() {
                return;
            }
        }
        loop {
            let e = tokio::select! {
                e = live.recv() => e,
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            };
            match e {
                Ok(e)
                    if e.rv > last && e.group == r.group && e.plural == r.plural && selects(&e) =>
                {
                    last = e.rv;
                    if tx.send(line(&e)).await.is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    });
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|b| (Ok::<_, Infallible>(b), rx))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

// ---- Subresources: `pods/log` and `services/proxy` (reads, `get` verb) ----

/// What the fake answers for the `log` and `proxy` subresources.
#[derive(Default)]
struct Subresources {
    /// (namespace, pod, container or "") -> log text.
    logs: HashMap<(String, String, String), String>,
    /// (namespace, service, port, path) -> (status, body).
    pages: HashMap<(String, String, String, String), (u16, String)>,
}

impl FakeApiServer {
    /// Sets the log of a pod's container (`None`: the pod's only container).
    pub fn set_log(&self, namespace: &str, pod: &str, container: Option<&str>, text: &str) {
        self.lock().subresources.logs.insert(
            (namespace.into(), pod.into(), container.unwrap_or("").into()),
            text.into(),
        );
    }

    /// What `GET services/{service}:{port}/proxy{path}` answers.
    pub fn set_page(
        &self,
        namespace: &str,
        service: &str,
        port: &str,
        path: &str,
        code: u16,
        body: &str,
    ) {
        self.lock().subresources.pages.insert(
            (namespace.into(), service.into(), port.into(), path.into()),
            (code, body.into()),
        );
    }
}

fn forbidden_subresource(shared: &Shared, resource: &str, ns: &str) -> Option<Response> {
    let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    inner.forbidden.contains(resource).then(|| {
        let (plural, sub) = resource.split_once('/').unwrap_or((resource, ""));
        status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{plural} is forbidden: User \"system:serviceaccount:default:student\" cannot get resource \"{plural}/{sub}\" in API group \"\" in the namespace \"{ns}\""
            ),
        )
    })
}

/// `GET /api/v1/namespaces/NS/pods/NAME/log?container=C&tailLines=N`
/// (pkg/registry/core/pod/rest/log.go): text/plain; 404 for a pod that does
/// not exist; 400 naming the containers when a pod has several and none is
/// chosen.
fn pod_log(
    shared: &Arc<Shared>,
    ns: &str,
    name: &str,
    params: &HashMap<String, String>,
) -> Response {
    if let Some(r) = forbidden_subresource(shared, "pods/log", ns) {
        return r;
    }
    let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let pod = inner
        .objects
        .get(&(String::new(), "pods".to_string()))
        .and_then(|m| m.get(&(ns.to_string(), name.to_string())));
    let Some(pod) = pod else {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("pods \"{name}\" not found"),
        );
    };
    let containers: Vec<&str> = pod["spec"]["containers"]
        .as_array()
        .map(|cs| cs.iter().filter_map(|c| c["name"].as_str()).collect())
        .unwrap_or_default();
    let container = match params.get("container") {
        Some(c) => c.clone(),
        None if containers.len() > 1 => {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "a container name must be specified for pod {name}, choose one of: [{}]",
                    containers.join(" ")
                ),
            );
        }
        None => String::new(),
    };
    let text = inner
        .subresources
        .logs
        .get(&(ns.to_string(), name.to_string(), container.clone()))
        .or_else(|| {
            inner
                .subresources
                .logs
                .get(&(ns.to_string(), name.to_string(), String::new()))
        })
        .cloned()
        .unwrap_or_default();
    let text = match params
        .get("tailLines")
        .and_then(|t| t.parse::<usize>().ok())
    {
        Some(n) => {
            let lines: Vec<&str> = text.lines().collect();
            let from = lines.len().saturating_sub(n);
            let mut t = lines[from..].join("\n");
            if !t.is_empty() {
                t.push('\n');
            }
            t
        }
        None => text,
    };
    (StatusCode::OK, [(header::CONTENT_TYPE, "text/plain")], text).into_response()
}

/// `GET /api/v1/namespaces/NS/services/[SCHEME:]NAME[:PORT]/proxy/PATH`
/// (pkg/registry/core/service/proxy.go): the pod's answer as is; 404 for a
/// service that does not exist; 503 "no endpoints available" for a
/// service with no page set (no ready pod behind it).
fn service_proxy(shared: &Arc<Shared>, ns: &str, target: &str, rest: &[&str]) -> Response {
    if let Some(r) = forbidden_subresource(shared, "services/proxy", ns) {
        return r;
    }
    let parts: Vec<&str> = target.split(':').collect();
    let (name, port) = match parts.as_slice() {
        [n] => (*n, ""),
        [n, p] => (*n, *p),
        [_scheme, n, p] => (*n, *p),
        _ => {
            return status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                "invalid service proxy target",
            );
        }
    };
    let path = format!("/{}", rest.join("/"));
    let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    let exists = inner
        .objects
        .get(&(String::new(), "services".to_string()))
        .is_some_and(|m| m.contains_key(&(ns.to_string(), name.to_string())));
    if !exists {
        return status(
            StatusCode::NOT_FOUND,
            "NotFound",
            &format!("services \"{name}\" not found"),
        );
    }
    match inner
        .subresources
        .pages
        .get(&(ns.to_string(), name.to_string(), port.to_string(), path))
    {
        Some((code, body)) => (
            StatusCode::from_u16(*code).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "text/html")],
            body.clone(),
        )
            .into_response(),
        None => status(
            StatusCode::SERVICE_UNAVAILABLE,
            "ServiceUnavailable",
            &format!("no endpoints available for service \"{name}\""),
        ),
    }
}
