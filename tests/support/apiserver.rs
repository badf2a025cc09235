//! A loopback fake Kubernetes API server, speaking enough of the real API for
//! `kube::Client`, and as strict as kube-apiserver where checks depend on it:
//!
//! - discovery: aggregated `apidiscovery.k8s.io/v2` and `v2beta1`, or the
//!   legacy documents (`/api`, `/api/v1`, `/apis`, `/apis/G/V`), negotiated
//!   by `Accept` (406 when nothing acceptable); groups with several versions
//!   (autoscaling v2 preferred and v1; Gateway API v1 preferred with
//!   ReferenceGrant only at v1beta1), a CRD group, and a resource without
//!   `watch` (metrics.k8s.io `pods`);
//! - get, list and `?watch=true` with label selectors and the field
//!   selectors each kind really supports (400 with the real message
//!   otherwise); a filtered watch sends `DELETED` when an object stops
//!   matching; watches from a resourceVersion older than a bounded history
//!   get an in-stream `ERROR` 410; `BOOKMARK`s when asked;
//! - objects serialized as the server does (zero counters omitted);
//! - bearer tokens (401), per-resource 403, latency, injected 429 with
//!   Retry-After, 5xx and dropped connections by request and count, and a
//!   log of every request (and its `User-Agent`, as the audit log keeps
//!   it) so a test can assert that only GET was ever sent, and how many.
//!
//! Reused by the `check`, `grade` and `run` tests and by the examples.

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

/// A resource type the fake serves, at one version.
#[derive(Debug, Clone)]
pub struct ResourceType {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
    pub verbs: &'static [&'static str],
}

/// The verbs a real API server lists for a built-in resource (labdeck uses
/// only get, list and watch).
const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// metrics-server's `pods` and `nodes`: read-only, no watch
/// (`metrics-server/pkg/api/pod.go` implements Getter and Lister only).
const METRICS_VERBS: &[&str] = &["get", "list"];

/// What the fake serves: a small but real-looking slice of a cluster. A
/// group's versions are listed in preference order (the first is the
/// preferred one), as discovery lists them.
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
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
        true,
    ),
    rt(
        "autoscaling",
        "v1",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
        true,
    ),
    rt(
        "gateway.networking.k8s.io",
        "v1",
        "Gateway",
        "gateways",
        &["gtw"],
        true,
    ),
    rt(
        "gateway.networking.k8s.io",
        "v1beta1",
        "Gateway",
        "gateways",
        &["gtw"],
        true,
    ),
    // Served only at the non-preferred version (Gateway API v1.0-v1.2).
    rt(
        "gateway.networking.k8s.io",
        "v1beta1",
        "ReferenceGrant",
        "referencegrants",
        &["refgrant"],
        true,
    ),
    ResourceType {
        verbs: METRICS_VERBS,
        ..rt("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", &[], true)
    },
    rt(
        "stable.example.com",
        "v1",
        "CronTab",
        "crontabs",
        &["ct"],
        true,
    ),
    // Custom resources whose controllers write `observedGeneration`: on
    // each condition (cert-manager) or on the status (Flux).
    rt(
        "cert-manager.io",
        "v1",
        "Certificate",
        "certificates",
        &["cert", "certs"],
        true,
    ),
    rt(
        "kustomize.toolkit.fluxcd.io",
        "v1",
        "Kustomization",
        "kustomizations",
        &["ks"],
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
        verbs: VERBS,
    }
}

fn find_by_plural(group: &str, version: &str, plural: &str) -> Option<&'static ResourceType> {
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.version == version && r.plural == plural)
}

fn find_by_kind(api_version: &str, kind: &str) -> Option<&'static ResourceType> {
    let group = api_version.rsplit_once('/').map(|(g, _)| g).unwrap_or("");
    RESOURCES
        .iter()
        .find(|r| r.group == group && r.kind == kind)
}

/// The field selectors a kind supports beyond `metadata.name` and
/// `metadata.namespace` (every kind's, `apiserver/pkg/registry/generic`
/// `ObjectMetaFieldsSet`), as each registry's `ToSelectableFields` /
/// `GetAttrs` lists them in kubernetes/pkg/registry:
/// core/pod/strategy.go, core/event/strategy.go, core/node/strategy.go,
/// core/namespace/strategy.go, core/service/strategy.go (`spec.clusterIP`,
/// `spec.type`, in `SelectableFields`), apps/replicaset/strategy.go,
/// batch/job/strategy.go. Deployments and custom resources without
/// `selectableFields` have only the defaults (so `spec.replicas` is refused).
fn selectable_fields(group: &str, plural: &str) -> &'static [&'static str] {
    match (group, plural) {
        ("", "pods") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.podIPs",
            "status.nominatedNodeName",
        ],
        ("", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "namespaces") => &["status.phase"],
        ("", "secrets") => &["type"],
        ("", "services") => &["spec.clusterIP", "spec.type"],
        ("apps", "replicasets") => &["status.replicas"],
        ("batch", "jobs") => &["status.successful"],
        _ => &[],
    }
}

/// Status counters the API types mark `omitempty`, which the server leaves
/// out when zero (`k8s.io/api/apps/v1/types.go`, `batch/v1/types.go`):
/// `kubectl get -o json` after a scale to zero shows no `readyReplicas`.
fn omitted_when_zero(group: &str, kind: &str) -> &'static [&'static str] {
    match (group, kind) {
        ("apps", "Deployment") => &[
            "observedGeneration",
            "replicas",
            "updatedReplicas",
            "readyReplicas",
            "availableReplicas",
            "unavailableReplicas",
            "terminatingReplicas",
            "collisionCount",
        ],
        ("apps", "ReplicaSet") => &[
            "fullyLabeledReplicas",
            "readyReplicas",
            "availableReplicas",
            "terminatingReplicas",
            "observedGeneration",
        ],
        ("apps", "StatefulSet") => &[
            "observedGeneration",
            "readyReplicas",
            "currentReplicas",
            "updatedReplicas",
        ],
        ("apps", "DaemonSet") => &[
            "observedGeneration",
            "updatedNumberScheduled",
            "numberAvailable",
            "numberUnavailable",
        ],
        ("batch", "Job") => &["active", "succeeded", "failed"],
        _ => &[],
    }
}

/// A failure to inject into the answers to some requests.
#[derive(Clone)]
pub enum Fault {
    /// 429 with `Retry-After: SECS` and kube-apiserver's plain-text body
    /// (`apiserver/pkg/server/filters/maxinflight.go`, `tooManyRequests`).
    TooManyRequests { retry_after: u64 },
    /// A Status with this code: 500 `InternalError`, 503
    /// `ServiceUnavailable`, 504 `Timeout`...
    Status(u16),
    /// The connection breaks: headers sent, then the body stream fails (a
    /// dropped list answer, or a watch cut mid-stream).
    Drop,
    /// Runs before the request is answered normally (change the cluster at
    /// a precise point: between a list and its watch).
    Before(Arc<dyn Fn(&FakeCluster) + Send + Sync>),
}

struct Injected {
    /// Every one of these must occur in `METHOD /path?query`.
    when: Vec<String>,
    remaining: usize,
    fault: Fault,
}

/// Which discovery documents the fake offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DiscoveryFormats {
    /// 1.30+: aggregated v2 and v2beta1 (and legacy for plain JSON).
    V2AndV2Beta1,
    /// 1.33+: aggregated v2 only.
    V2Only,
    /// 1.26-1.29: aggregated v2beta1 only.
    V2Beta1Only,
    /// Before 1.26: legacy documents only.
    Legacy,
}

type ObjKey = (String, String); // (namespace, name)

#[derive(Clone)]
struct Event {
    rv: u64,
    group: String,
    plural: String,
    kind: &'static str,
    object: Value,
    /// The object before this change (None when added): a filtered watch
    /// needs both to say ADDED, MODIFIED or DELETED.
    prev: Option<Value>,
}

#[derive(Default)]
struct Inner {
    objects: BTreeMap<(String, String), BTreeMap<ObjKey, Value>>,
    history: Vec<Event>,
    rv: u64,
    token: Option<String>,
    forbidden: HashSet<String>,
    /// Discovery is forbidden to the caller: [`FakeApiServer::forbid_discovery`].
    discovery_forbidden: bool,
    latency: Duration,
    log: Vec<String>,
    /// The `User-Agent` of every request (`-` when none), as kube-apiserver's
    /// audit log records it (`userAgent`).
    agents: Vec<String>,
    /// Which discovery documents are offered.
    discovery: Option<DiscoveryFormats>,
    /// Resources not served (yet): a CRD not installed.
    hidden: HashSet<String>,
    faults: Vec<Injected>,
    /// Watch history kept (the watch cache's window); 0: the default.
    history_limit: usize,
    /// Every change up to this version has left the history: a watch from
    /// an older version gets 410.
    compacted: u64,
    /// Bookmark period for watches that allow them.
    bookmark_every: Option<Duration>,
    /// Pod logs and service answers (`subresources` below).
    subresources: Subresources,
}

/// The watch cache keeps at least 100 events per resource
/// (`apiserver/pkg/storage/cacher/watch_cache.go`,
/// `defaultLowerBoundCapacity`); the fake keeps that many in all.
const DEFAULT_HISTORY: usize = 100;

/// "bookmark ... roughly every minute" (`cacher.go`,
/// `bookmarkFrequency = time.Minute`).
const DEFAULT_BOOKMARK: Duration = Duration::from_secs(60);

struct Shared {
    inner: Mutex<Inner>,
    events: broadcast::Sender<Event>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, mut inner: std::sync::MutexGuard<'_, Inner>, ev: Event) {
        inner.history.push(ev.clone());
        let limit = if inner.history_limit == 0 {
            DEFAULT_HISTORY
        } else {
            inner.history_limit
        };
        if inner.history.len() > limit {
            let cut = inner.history.len() - limit;
            let dropped: Vec<Event> = inner.history.drain(..cut).collect();
            if let Some(last) = dropped.last() {
                inner.compacted = inner.compacted.max(last.rv);
            }
        }
        drop(inner);
        let _ = self.events.send(ev);
    }

    fn apply(&self, obj: Value) {
        if let Err(e) = self.try_apply(obj) {
            panic!("the API server would refuse this object: {e}");
        }
    }

    /// Stores `obj` as kube-apiserver does, or the 400 it would answer.
    fn try_apply(&self, mut obj: Value) -> Result<(), String> {
        let api_version = obj["apiVersion"].as_str().unwrap_or("").to_string();
        let kind = obj["kind"].as_str().unwrap_or("").to_string();
        let r = find_by_kind(&api_version, &kind)
            .unwrap_or_else(|| panic!("fake API does not serve {api_version} {kind}"));
        string_labels(&obj, &kind, &api_version)?;
        if matches!(r.group, "" | "apps" | "batch") {
            canonical_quantities(&mut obj, None, None);
        }
        let ns = if r.namespaced {
            obj["metadata"]["namespace"]
                .as_str()
                .unwrap_or("default")
                .to_string()
        } else {
            String::new()
        };
        if let Some(status) = obj.get_mut("status").and_then(Value::as_object_mut) {
            for k in omitted_when_zero(r.group, r.kind) {
                if status.get(*k).is_some_and(|v| v.as_i64() == Some(0)) {
                    status.remove(*k);
                }
            }
        }
        let name = obj["metadata"]["name"].as_str().unwrap_or("").to_string();
        let mut inner = self.lock();
        inner.rv += 1;
        let rv = inner.rv;
        obj["metadata"]["resourceVersion"] = json!(rv.to_string());
        let prev = inner
            .objects
            .entry((r.group.to_string(), r.plural.to_string()))
            .or_default()
            .insert((ns, name), obj.clone());
        let ev = Event {
            rv,
            group: r.group.to_string(),
            plural: r.plural.to_string(),
            kind: if prev.is_some() { "MODIFIED" } else { "ADDED" },
            object: obj,
            prev,
        };
        self.record(inner, ev);
        Ok(())
    }

    fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) {
        let r = find_by_kind(api_version, kind).expect("served kind");
        let ns = if r.namespaced { namespace } else { "" };
        let mut inner = self.lock();
        let removed = inner
            .objects
            .get_mut(&(r.group.to_string(), r.plural.to_string()))
            .and_then(|m| m.remove(&(ns.to_string(), name.to_string())));
        if let Some(prev) = removed {
            inner.rv += 1;
            let rv = inner.rv;
            let mut obj = prev.clone();
            obj["metadata"]["resourceVersion"] = json!(rv.to_string());
            let ev = Event {
                rv,
                group: r.group.to_string(),
                plural: r.plural.to_string(),
                kind: "DELETED",
                object: obj,
                prev: Some(prev),
            };
            self.record(inner, ev);
        }
    }

    /// Forgets the whole history (as etcd compaction and a watch cache
    /// that moved on do): watches from any older version get 410.
    fn compact(&self) {
        let mut inner = self.lock();
        inner.history.clear();
        inner.compacted = inner.rv;
    }
}

/// The cluster behind a fake, for [`Fault::Before`] hooks.
pub struct FakeCluster<'a>(&'a Shared);

impl FakeCluster<'_> {
    pub fn apply(&self, obj: Value) {
        self.0.apply(obj);
    }
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) {
        self.0.delete(api_version, kind, namespace, name);
    }
    pub fn compact(&self) {
        self.0.compact();
    }
    /// Serves a hidden resource from the next request on (a CRD installed).
    pub fn serve_resource(&self, plural: &str) {
        self.0.lock().hidden.remove(plural);
    }
    pub fn inject(&self, when: &[&str], times: usize, fault: Fault) {
        self.0.lock().faults.push(Injected {
            when: when.iter().map(|s| s.to_string()).collect(),
            remaining: times,
            fault,
        });
    }
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

    /// The same API on another listener (over TLS: `support::tls`).
    pub fn router(&self) -> Router {
        Router::new()
            .fallback(handle)
            .with_state(self.shared.clone())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.shared.lock()
    }

    /// Requires `Authorization: Bearer TOKEN` on every request (else 401).
    pub fn require_token(&self, token: &str) {
        self.lock().token = Some(token.to_string());
    }

    /// Answers 403 to any read of this resource (plural name).
    pub fn forbid(&self, plural: &str) {
        self.lock().forbidden.insert(plural.to_string());
    }

    /// Answers 403 to discovery (`/api`, `/apis` and below), as
    /// kube-apiserver answers a caller without credentials: since 1.14 the
    /// `system:discovery` ClusterRole is bound to `system:authenticated`
    /// only (`plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`),
    /// so `system:anonymous` is refused, in the words of
    /// `apiserver/pkg/endpoints/handlers/responsewriters/errors.go`
    /// (`Forbidden`, `forbiddenMessage` for a non-resource path, wrapped by
    /// `apierrors.NewForbidden` with no resource: `forbidden: ...`).
    pub fn forbid_discovery(&self) {
        self.lock().discovery_forbidden = true;
    }

    /// Behaves like a server older than Kubernetes 1.26: no aggregated
    /// discovery, clients must read `/api/v1` and each `/apis/G/V`.
    pub fn legacy_discovery_only(&self) {
        self.lock().discovery = Some(DiscoveryFormats::Legacy);
    }

    /// Which discovery documents to offer (default: v2 and v2beta1).
    pub fn set_discovery(&self, formats: DiscoveryFormats) {
        self.lock().discovery = Some(formats);
    }

    /// Answers the next `times` requests whose `METHOD /path?query`
    /// contains every string of `when` with `fault` (after the latency).
    pub fn inject(&self, when: &[&str], times: usize, fault: Fault) {
        self.lock().faults.push(Injected {
            when: when.iter().map(|s| s.to_string()).collect(),
            remaining: times,
            fault,
        });
    }

    /// Keeps only the last `n` changes for watches (default 100).
    pub fn set_history_limit(&self, n: usize) {
        self.lock().history_limit = n.max(1);
    }

    /// Forgets the watch history now: watches from older versions get 410.
    pub fn compact(&self) {
        self.shared.compact();
    }

    /// Sends a BOOKMARK this often on watches that allow them (default 1 min).
    pub fn set_bookmark_interval(&self, every: Duration) {
        self.lock().bookmark_every = Some(every);
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

    /// The `User-Agent` header of every request so far (`-` when absent).
    pub fn user_agents(&self) -> Vec<String> {
        self.lock().agents.clone()
    }

    pub fn clear_requests(&self) {
        self.lock().log.clear();
    }

    /// Creates or replaces an object (its `apiVersion`/`kind` say where),
    /// as a controller or kubectl would; watchers see ADDED or MODIFIED
    /// (or DELETED when it stops matching their selectors). Zero counters
    /// the API omits are dropped, as the server's serializer does.
    pub fn apply(&self, obj: Value) {
        self.shared.apply(obj);
    }

    /// As [`Self::apply`], or the 400 kube-apiserver would answer (a label
    /// value that is not a string).
    pub fn try_apply(&self, obj: Value) -> Result<(), String> {
        self.shared.try_apply(obj)
    }

    /// Deletes an object; watchers see DELETED.
    pub fn delete(&self, api_version: &str, kind: &str, namespace: &str, name: &str) {
        self.shared.delete(api_version, kind, namespace, name);
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

    /// The kubelet restarting a crashing container (`restartPolicy:
    /// Always`), as its status manager reports it: the pod's first
    /// container runs for `run` (`Running`, `ready: true`, the pod's
    /// `Ready` condition `True`: kubectl shows `1/1 Running N`), exits 1
    /// (`lastState.terminated` with reason `Error` and `finishedAt`,
    /// `restartCount` one higher), then waits `back_off` in
    /// `state.waiting.reason: CrashLoopBackOff` with `Ready` `False`
    /// (kubectl: `0/1 CrashLoopBackOff N`), and again, until the server is
    /// dropped. Timestamps are the wall clock's, to the second, as the API
    /// server writes them (kubelet `pkg/kubelet/kuberuntime`
    /// `computePodActions`, `status/status_manager.go`).
    pub fn crash_loop(self: &Arc<Self>, pod: Value, run: Duration, back_off: Duration) {
        let me = Arc::downgrade(self);
        tokio::spawn(async move {
            let now = || labdeck::duration::rfc3339(std::time::SystemTime::now());
            let mut pod = pod;
            let mut restarts = pod["status"]["containerStatuses"][0]["restartCount"]
                .as_i64()
                .unwrap_or(0);
            loop {
                let started = now();
                set_container(
                    &mut pod,
                    restarts,
                    json!({"running": {"startedAt": started}}),
                    true,
                );
                match me.upgrade() {
                    Some(me) => me.apply(pod.clone()),
                    None => return,
                }
                tokio::time::sleep(run).await;
                restarts += 1;
                let last = json!({"terminated": {"exitCode": 1, "reason": "Error",
                    "startedAt": started, "finishedAt": now(), "containerID": "containerd://c0ffee"}});
                pod["status"]["containerStatuses"][0]["lastState"] = last;
                let waiting = json!({"waiting": {"reason": "CrashLoopBackOff",
                    "message": "back-off 10s restarting failed container"}});
                set_container(&mut pod, restarts, waiting, false);
                match me.upgrade() {
                    Some(me) => me.apply(pod.clone()),
                    None => return,
                }
                tokio::time::sleep(back_off).await;
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

/// Label and annotation values are strings (`ObjectMeta.Labels
/// map[string]string`): the JSON decoder refuses anything else with a 400
/// (`BadRequest`), as kube-apiserver answers `kubectl apply` of
/// `labels: {tier: 1}` sent as JSON: "... cannot be handled as a Pod: json:
/// cannot unmarshal number into Go struct field
/// ObjectMeta.metadata.labels of type string".
fn string_labels(obj: &Value, kind: &str, api_version: &str) -> Result<(), String> {
    for meta in [&obj["metadata"], &obj["spec"]["template"]["metadata"]] {
        for field in ["labels", "annotations"] {
            if let Some(m) = meta[field].as_object() {
                for v in m.values() {
                    let what = match v {
                        Value::String(_) => continue,
                        Value::Number(_) => "number",
                        Value::Bool(_) => "bool",
                        Value::Null => continue,
                        Value::Array(_) => "array",
                        Value::Object(_) => "object",
                    };
                    return Err(format!(
                        "400 BadRequest: {kind} in version \"{}\" cannot be handled as a {kind}: json: cannot unmarshal {what} into Go struct field ObjectMeta.metadata.{field} of type string",
                        api_version.rsplit('/').next().unwrap_or(api_version)
                    ));
                }
            }
        }
    }
    Ok(())
}

/// Quantities stored in canonical form, as `resource.Quantity` marshals
/// them (apimachinery `pkg/api/resource/quantity.go`, `String` /
/// `CanonicalizeBytes`): `cpu: 1` -> `"1"`, `memory: 1024Mi` -> `"1Gi"`,
/// `cpu: 0.25` -> `"250m"`, in every `ResourceList` (requests, limits,
/// capacity, hard...) and `sizeLimit`.
fn canonical_quantities(v: &mut Value, parent: Option<&str>, key: Option<&str>) {
    use labdeck::check::quantity;
    match v {
        Value::Object(m) => {
            for (k, inner) in m.iter_mut() {
                canonical_quantities(inner, key, Some(k.as_str()));
            }
        }
        Value::Array(items) => {
            for inner in items {
                canonical_quantities(inner, parent, key);
            }
        }
        scalar => {
            if quantity::is_quantity_field(parent, key)
                && let Some(q) = quantity::of_json(scalar)
            {
                *scalar = json!(q.canonical());
            }
        }
    }
}

/// Sets the first container's state, restarts and readiness, and the
/// pod's `Ready`/`ContainersReady` conditions to match.
fn set_container(pod: &mut Value, restarts: i64, state: Value, ready: bool) {
    let c = &mut pod["status"]["containerStatuses"][0];
    c["state"] = state;
    c["restartCount"] = json!(restarts);
    c["ready"] = json!(ready);
    c["started"] = json!(ready);
    let name = c["name"].as_str().unwrap_or("").to_string();
    let word = if ready { "True" } else { "False" };
    if let Some(conds) = pod["status"]["conditions"].as_array_mut() {
        for cond in conds {
            if cond["type"] == "Ready" || cond["type"] == "ContainersReady" {
                cond["status"] = json!(word);
                if let Some(c) = cond.as_object_mut() {
                    if ready {
                        c.remove("reason");
                        c.remove("message");
                    } else {
                        c.insert("reason".into(), json!("ContainersNotReady"));
                        c.insert(
                            "message".into(),
                            json!(format!("containers with unready status: [{name}]")),
                        );
                    }
                }
            }
        }
    }
    pod["status"]["phase"] = json!("Running");
}

fn status(code: StatusCode, reason: &str, message: &str) -> Response {
    status_with(code, reason, message, None)
}

fn status_with(code: StatusCode, reason: &str, message: &str, details: Option<Value>) -> Response {
    let mut body = json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {},
        "status": "Failure", "message": message, "reason": reason, "code": code.as_u16()
    });
    if let Some(d) = details {
        body["details"] = d;
    }
    (
        code,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn not_found() -> Response {
    status(
        StatusCode::NOT_FOUND,
        "NotFound",
        "the server could not find the requested resource",
    )
}

fn ok_json(v: Value) -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/json")],
        v.to_string(),
    )
        .into_response()
}

/// A 200 whose body breaks at once: the client sees the connection drop.
fn dropped() -> Response {
    let stream = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::new(
            std::io::ErrorKind::ConnectionReset,
            "fake API: connection dropped",
        ))
    });
    Response::builder()
        .status(StatusCode::OK)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from_stream(stream))
        .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
}

fn fault_response(fault: &Fault) -> Option<Response> {
    Some(match fault {
        Fault::TooManyRequests { retry_after } => (
            StatusCode::TOO_MANY_REQUESTS,
            [
                (header::RETRY_AFTER, retry_after.to_string()),
                (
                    header::CONTENT_TYPE,
                    "text/plain; charset=utf-8".to_string(),
                ),
            ],
            "Too many requests, please try again later.\n",
        )
            .into_response(),
        Fault::Status(code) => {
            let code = StatusCode::from_u16(*code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            // The reasons apimachinery's `api/errors` constructors give
            // (`NewBadRequest`, `NewInvalid`, `NewInternalError`...).
            let reason = match code.as_u16() {
                400 => "BadRequest",
                422 => "Invalid",
                500 => "InternalError",
                503 => "ServiceUnavailable",
                504 => "Timeout",
                _ => "Unknown",
            };
            status(code, reason, &format!("fake API: injected {code}"))
        }
        Fault::Drop => dropped(),
        Fault::Before(_) => return None,
    })
}

/// What the client accepts for `/api` and `/apis`: the first entry of
/// `Accept` the server offers, as kube-apiserver negotiates it
/// (`apiserver/pkg/endpoints/discovery/aggregated/negotiation.go`,
/// `DiscoveryEndpointRestrictions`: `g=apidiscovery.k8s.io`, `v=v2` or
/// `v2beta1`, `as=APIGroupDiscoveryList`; anything else gets the legacy
/// document, and an `Accept` with nothing servable gets 406).
enum DiscoveryAnswer {
    Aggregated(&'static str),
    Legacy,
    NotAcceptable,
}

fn negotiate(accept: Option<&str>, formats: DiscoveryFormats) -> DiscoveryAnswer {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return DiscoveryAnswer::Legacy;
    };
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        let params: HashMap<&str, &str> = parts
            .filter_map(|p| p.split_once('='))
            .map(|(k, v)| (k.trim(), v.trim()))
            .collect();
        if !matches!(media, "application/json" | "application/*" | "*/*") {
            continue;
        }
        if params.get("as") == Some(&"APIGroupDiscoveryList") {
            if params.get("g") != Some(&"apidiscovery.k8s.io") {
                continue;
            }
            let offered = match params.get("v") {
                Some(&"v2") => matches!(
                    formats,
                    DiscoveryFormats::V2AndV2Beta1 | DiscoveryFormats::V2Only
                ),
                Some(&"v2beta1") => matches!(
                    formats,
                    DiscoveryFormats::V2AndV2Beta1 | DiscoveryFormats::V2Beta1Only
                ),
                _ => false,
            };
            if offered {
                return DiscoveryAnswer::Aggregated(if params.get("v") == Some(&"v2") {
                    "v2"
                } else {
                    "v2beta1"
                });
            }
            continue;
        }
        if params.is_empty() || params.keys().all(|k| *k == "q") {
            return DiscoveryAnswer::Legacy;
        }
    }
    DiscoveryAnswer::NotAcceptable
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Query(params): Query<HashMap<String, String>>,
) -> Response {
    let line = format!("{method} {uri}");
    let (latency, token, formats, hidden, hooks, fault) = {
        let mut inner = shared.lock();
        inner.log.push(line.clone());
        let agent = headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("-")
            .to_string();
        inner.agents.push(agent);
        // Every matching `Before` hook runs; the first matching answer wins.
        let mut hooks = Vec::new();
        let mut fault = None;
        for f in inner.faults.iter_mut() {
            if f.remaining == 0 || !f.when.iter().all(|w| line.contains(w.as_str())) {
                continue;
            }
            match &f.fault {
                Fault::Before(h) => hooks.push(h.clone()),
                _ if fault.is_some() => continue,
                other => fault = Some(other.clone()),
            }
            f.remaining -= 1;
        }
        (
            inner.latency,
            inner.token.clone(),
            inner.discovery.unwrap_or(DiscoveryFormats::V2AndV2Beta1),
            inner.hidden.clone(),
            hooks,
            fault,
        )
    };
    let served = |r: &&ResourceType| !hidden.contains(r.plural);
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    for hook in hooks {
        hook(&FakeCluster(&shared));
    }
    if let Some(r) = fault.as_ref().and_then(fault_response) {
        return r;
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
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok());
    let path = uri.path().trim_end_matches('/');
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    if matches!(
        segs.as_slice(),
        ["api" | "apis"] | ["api", _] | ["apis", _, _]
    ) && shared.lock().discovery_forbidden
    {
        return status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!("forbidden: User \"system:anonymous\" cannot get path \"{path}\""),
        );
    }
    match segs.as_slice() {
        [root @ ("api" | "apis")] => {
            let core = *root == "api";
            match negotiate(accept, formats) {
                DiscoveryAnswer::Aggregated(v) if formats != DiscoveryFormats::Legacy => {
                    aggregated_json(aggregated_discovery(core, &served, v), v)
                }
                DiscoveryAnswer::NotAcceptable => status(
                    StatusCode::NOT_ACCEPTABLE,
                    "NotAcceptable",
                    &format!(
                        "only the following media types are accepted: application/json, application/yaml, application/vnd.kubernetes.protobuf (asked for {})",
                        accept.unwrap_or("")
                    ),
                ),
                _ if core => ok_json(json!({"kind": "APIVersions", "versions": ["v1"],
                    "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": "172.18.0.2:6443"}]})),
                _ => ok_json(group_list(&served)),
            }
        }
        // kube-apiserver's `/version` (`apiserver/pkg/server/routes/version.go`,
        // a `version.Info`), readable by anyone authenticated or not
        // (`system:public-info-viewer`): what `kubectl version` and the
        // board's liveness probe ask.
        ["version"] => ok_json(json!({
            "major": "1", "minor": "20", "gitVersion": "v1.20.2",
            "gitCommit": "faecb196815e248d3ecfb03c680a4507229c2a56", "gitTreeState": "clean",
            "buildDate": "2021-01-13T13:20:00Z", "goVersion": "go1.15.5",
            "compiler": "gc", "platform": "linux/amd64"})),
        ["api", "v1"] => ok_json(resource_list("", "v1", &served)),
        ["apis", g, v] => {
            if RESOURCES
                .iter()
                .filter(served)
                .any(|r| r.group == *g && r.version == *v)
            {
                ok_json(resource_list(g, v, &served))
            } else {
                not_found()
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
            objects(&shared, "", "v1", rest, &params).await
        }
        ["apis", g, v, rest @ ..] if rest.iter().all(|s| !hidden.contains(*s)) => {
            objects(&shared, g, v, rest, &params).await
        }
        _ => not_found(),
    }
}

type Served<'a> = dyn Fn(&&ResourceType) -> bool + 'a;

/// A group's versions in preference order, as served now.
fn group_versions(group: &str, served: &Served) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RESOURCES.iter().filter(served).filter(|r| r.group == group) {
        if !out.contains(&r.version) {
            out.push(r.version);
        }
    }
    out
}

fn groups(core: bool, served: &Served) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(served)
        .filter(|r| r.group.is_empty() == core)
    {
        if !out.contains(&r.group) {
            out.push(r.group);
        }
    }
    out
}

fn resource_list(group: &str, version: &str, served: &Served) -> Value {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(served)
        .filter(|r| r.group == group && r.version == version)
    {
        resources.push(json!({
            "name": r.plural, "singularName": r.kind.to_lowercase(), "namespaced": r.namespaced,
            "kind": r.kind, "verbs": r.verbs, "shortNames": r.short,
            "storageVersionHash": "abcdEFGH123="
        }));
        if r.verbs.contains(&"update") {
            resources.push(json!({
                "name": format!("{}/status", r.plural), "singularName": "", "namespaced": r.namespaced,
                "kind": r.kind, "verbs": ["get", "patch", "update"]
            }));
        }
    }
    let gv = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    json!({"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": resources})
}

/// The `apidiscovery.k8s.io/{v2,v2beta1}` document: every group's resources
/// at every version at once, versions in preference order.
fn aggregated_discovery(core: bool, served: &Served, api_version: &str) -> Value {
    let items: Vec<Value> = groups(core, served)
        .into_iter()
        .map(|g| {
            let versions: Vec<Value> = group_versions(g, served)
                .into_iter()
                .map(|v| {
                    let resources: Vec<Value> = RESOURCES
                        .iter()
                        .filter(served)
                        .filter(|r| r.group == g && r.version == v)
                        .map(|r| {
                            let mut res = json!({
                                "resource": r.plural,
                                "responseKind": {"group": r.group, "version": r.version, "kind": r.kind},
                                "scope": if r.namespaced { "Namespaced" } else { "Cluster" },
                                "singularResource": r.kind.to_lowercase(),
                                "verbs": r.verbs,
                            });
                            if !r.short.is_empty() {
                                res["shortNames"] = json!(r.short);
                            }
                            if r.verbs.contains(&"update") {
                                res["subresources"] = json!([{"subresource": "status", "responseKind": {"group": r.group, "version": r.version, "kind": r.kind}, "verbs": ["get", "patch", "update"]}]);
                            }
                            res
                        })
                        .collect();
                    json!({"version": v, "resources": resources, "freshness": "Current"})
                })
                .collect();
            json!({"metadata": {"name": g, "creationTimestamp": null}, "versions": versions})
        })
        .collect();
    json!({"kind": "APIGroupDiscoveryList", "apiVersion": format!("apidiscovery.k8s.io/{api_version}"), "metadata": {}, "items": items})
}

fn aggregated_json(v: Value, version: &str) -> Response {
    (
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            format!("application/json;g=apidiscovery.k8s.io;v={version};as=APIGroupDiscoveryList"),
        )],
        v.to_string(),
    )
        .into_response()
}

fn group_list(served: &Served) -> Value {
    let groups: Vec<Value> = groups(false, served)
        .into_iter()
        .map(|g| {
            let versions: Vec<Value> = group_versions(g, served)
                .into_iter()
                .map(|v| json!({"groupVersion": format!("{g}/{v}"), "version": v}))
                .collect();
            json!({"name": g, "versions": versions.clone(), "preferredVersion": versions[0]})
        })
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `a.b=c,d!=e` parsed, or the 400 the server answers for a field the kind
/// does not support (`apimachinery/pkg/runtime/scheme.go`,
/// `ConvertFieldLabel`: "field label not supported: %s"; the message is the
/// one `kubectl get --field-selector` prints).
fn field_requirements(
    selector: &str,
    r: &ResourceType,
    labels: Option<&String>,
) -> Result<Vec<(String, String, bool)>, Box<Response>> {
    let mut out = Vec::new();
    for req in selector.split(',').filter(|s| !s.is_empty()) {
        let (path, want, negate) = if let Some((p, v)) = req.split_once("!=") {
            (p, v, true)
        } else if let Some((p, v)) = req.split_once("==") {
            (p, v, false)
        } else if let Some((p, v)) = req.split_once('=') {
            (p, v, false)
        } else {
            return Err(Box::new(status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!("invalid selector: '{selector}'; can't understand '{req}'"),
            )));
        };
        let path = path.trim();
        let supported = matches!(path, "metadata.name" | "metadata.namespace")
            || selectable_fields(r.group, r.plural).contains(&path);
        if !supported {
            let gv = if r.group.is_empty() {
                format!("/{}", r.version)
            } else {
                format!("{}/{}", r.group, r.version)
            };
            return Err(Box::new(status(
                StatusCode::BAD_REQUEST,
                "BadRequest",
                &format!(
                    "Unable to find \"{gv}, Resource={}\" that match label selector \"{}\", field selector \"{selector}\": field label not supported: {path}",
                    r.plural,
                    labels.map(String::as_str).unwrap_or("")
                ),
            )));
        }
        out.push((path.to_string(), want.trim().to_string(), negate));
    }
    Ok(out)
}

fn field_match(reqs: &[(String, String, bool)], o: &Value) -> bool {
    reqs.iter().all(|(path, want, negate)| {
        let got = path.split('.').try_fold(o, |v, k| v.get(k));
        let got = match got {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Bool(b)) => b.to_string(),
            Some(Value::Number(n)) => n.to_string(),
            _ => String::new(),
        };
        (got == *want) != *negate
    })
}

/// `[namespaces/NS/]PLURAL[/NAME]` under a group version.
async fn objects(
    shared: &Arc<Shared>,
    group: &str,
    version: &str,
    rest: &[&str],
    params: &HashMap<String, String>,
) -> Response {
    let (ns, plural, name) = match rest {
        ["namespaces", ns, plural] => (Some(*ns), *plural, None),
        ["namespaces", ns, plural, name] => (Some(*ns), *plural, Some(*name)),
        [plural] => (None, *plural, None),
        [plural, name] => (None, *plural, Some(*name)),
        _ => return not_found(),
    };
    let Some(r) = find_by_plural(group, version, plural) else {
        return not_found();
    };
    let verb = if name.is_some() {
        "get"
    } else if is_watch(params) {
        "watch"
    } else {
        "list"
    };
    if !r.verbs.contains(&verb) {
        return status(
            StatusCode::METHOD_NOT_ALLOWED,
            "MethodNotAllowed",
            "the server does not allow this method on the requested resource",
        );
    }
    if shared.lock().forbidden.contains(plural) {
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
        Err(e) => return status(StatusCode::BAD_REQUEST, "BadRequest", &e.to_string()),
    };
    let fields = match field_requirements(
        params
            .get("fieldSelector")
            .map(String::as_str)
            .unwrap_or(""),
        r,
        params.get("labelSelector"),
    ) {
        Ok(f) => f,
        Err(resp) => return *resp,
    };
    let selects = move |o: &Value| -> bool {
        labels
            .as_ref()
            .is_none_or(|s| s.matches_json(o["metadata"].get("labels")))
            && field_match(&fields, o)
    };
    let ns = ns.filter(|_| r.namespaced).map(str::to_string);
    let in_scope = {
        let ns = ns.clone();
        move |o: &Value| {
            ns.as_ref()
                .is_none_or(|n| o["metadata"]["namespace"].as_str() == Some(n.as_str()))
        }
    };
    let api_version = if group.is_empty() {
        r.version.to_string()
    } else {
        format!("{group}/{}", r.version)
    };
    if let Some(name) = name {
        let inner = shared.lock();
        let key = (ns.clone().unwrap_or_default(), name.to_string());
        return match inner
            .objects
            .get(&(group.to_string(), plural.to_string()))
            .and_then(|m| m.get(&key))
        {
            Some(o) => {
                let mut o = o.clone();
                o["apiVersion"] = json!(api_version);
                ok_json(o)
            }
            None => status(
                StatusCode::NOT_FOUND,
                "NotFound",
                &format!("{plural} \"{name}\" not found"),
            ),
        };
    }
    if verb == "watch" {
        return watch(shared, r, api_version, params, move |o: &Value| {
            in_scope(o) && selects(o)
        });
    }
    let inner = shared.lock();
    // resourceVersion on a list (kube-apiserver, "Resource versions" in
    // the API concepts docs): an exact version older than the history is
    // 410 "too old" (`storage/etcd3/errors.go`); a version the server has
    // not reached yet is 504 with retryAfterSeconds
    // (`storage/errors.go`, `NewTooLargeResourceVersionError`; the real one
    // first waits up to 3 s for it).
    if let Some(rv) = params
        .get("resourceVersion")
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|v| *v > 0)
    {
        if rv > inner.rv {
            return status_with(
                StatusCode::GATEWAY_TIMEOUT,
                "Timeout",
                &format!("Too large resource version: {rv}, current: {}", inner.rv),
                Some(
                    json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1}),
                ),
            );
        }
        if params.get("resourceVersionMatch").map(String::as_str) == Some("Exact")
            && rv < inner.compacted
        {
            return status(
                StatusCode::GONE,
                "Expired",
                "The resourceVersion for the provided list is too old.",
            );
        }
    }
    let items: Vec<Value> = inner
        .objects
        .get(&(group.to_string(), plural.to_string()))
        .map(|m| {
            m.values()
                .filter(|o| in_scope(o) && selects(o))
                .map(|o| {
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
    ok_json(json!({
        "kind": format!("{}List", r.kind), "apiVersion": api_version,
        "metadata": {"resourceVersion": inner.rv.to_string()},
        "items": items
    }))
}

fn is_watch(params: &HashMap<String, String>) -> bool {
    params.get("watch").is_some_and(|w| w == "true" || w == "1")
}

/// The event a watcher with this filter sees for a change, as the watch
/// cache decides it (`apiserver/pkg/storage/cacher/cache_watcher.go`,
/// `convertToWatchEvent`): matching now and not before is ADDED, both is
/// MODIFIED, before but not now is DELETED (with the old object at the new
/// resourceVersion), neither is nothing.
fn filtered_event(e: &Event, selects: &dyn Fn(&Value) -> bool) -> Option<(&'static str, Value)> {
    let now = e.kind != "DELETED" && selects(&e.object);
    let before = e.prev.as_ref().is_some_and(selects);
    match (now, before) {
        (true, false) => Some(("ADDED", e.object.clone())),
        (true, true) => Some(("MODIFIED", e.object.clone())),
        (false, true) => {
            let mut old = e.prev.clone().unwrap_or(Value::Null);
            old["metadata"]["resourceVersion"] = json!(e.rv.to_string());
            Some(("DELETED", old))
        }
        (false, false) => None,
    }
}

/// Streams events newer than `resourceVersion` (history, then live) as
/// newline-delimited JSON until `timeoutSeconds`. A version older than the
/// history gets one ERROR event with a 410 Status and the stream ends: the
/// cacher answers 200 and reports it in-stream (`cacher.go`, `Watch`:
/// "errors must fail with a watch event of type ERROR"; message from
/// `watch_cache.go`: "too old resource version: %d (%d)"). Without a
/// version (or `0`), the current objects come first as ADDED.
fn watch(
    shared: &Arc<Shared>,
    r: &'static ResourceType,
    api_version: String,
    params: &HashMap<String, String>,
    selects: impl Fn(&Value) -> bool + Send + Sync + 'static,
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
    let bookmarks = params
        .get("allowWatchBookmarks")
        .is_some_and(|v| v == "true");
    let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(64);
    let line = |kind: &str, object: &Value| {
        let mut s = json!({"type": kind, "object": object}).to_string();
        s.push('\n');
        Bytes::from(s)
    };
    let (mut live, first, bookmark_every, shared2, last_seen) = {
        let inner = shared.lock();
        let live = shared.events.subscribe();
        let mut first: Vec<Bytes> = Vec::new();
        if from > 0 && from < inner.compacted {
            let st = json!({
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": format!("too old resource version: {from} ({})", inner.compacted),
                "reason": "Expired", "code": 410
            });
            first.push(line("ERROR", &st));
            let once = futures::stream::iter(first.into_iter().map(Ok::<_, Infallible>));
            return Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from_stream(once))
                .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
        }
        if from == 0 {
            if let Some(m) = inner
                .objects
                .get(&(r.group.to_string(), r.plural.to_string()))
            {
                for o in m.values().filter(|o| selects(o)) {
                    let mut o = o.clone();
                    o["apiVersion"] = json!(api_version);
                    first.push(line("ADDED", &o));
                }
            }
        } else {
            for e in inner
                .history
                .iter()
                .filter(|e| e.rv > from && e.group == r.group && e.plural == r.plural)
            {
                if let Some((kind, mut o)) = filtered_event(e, &selects) {
                    o["apiVersion"] = json!(api_version);
                    first.push(line(kind, &o));
                }
            }
        }
        (
            live,
            first,
            inner.bookmark_every.unwrap_or(DEFAULT_BOOKMARK),
            shared.clone(),
            inner.rv,
        )
    };
    tokio::spawn(async move {
        let deadline = tokio::time::Instant::now() + timeout;
        let mut last = last_seen.max(from);
        for b in first {
            if tx.send(b).await.is_err() {
                return;
            }
        }
        let mut tick =
            tokio::time::interval_at(tokio::time::Instant::now() + bookmark_every, bookmark_every);
        loop {
            let e = tokio::select! {
                e = live.recv() => e,
                _ = tick.tick(), if bookmarks => {
                    // A BOOKMARK carries only the kind and the version the
                    // watch has reached (`cacher.go`, bookmark events).
                    let rv = shared2.lock().rv;
                    let kind = r.kind;
                    let b = json!({"kind": kind, "apiVersion": api_version, "metadata": {"resourceVersion": rv.to_string()}});
                    if tx.send(line("BOOKMARK", &b)).await.is_err() {
                        return;
                    }
                    continue;
                }
                _ = tokio::time::sleep_until(deadline) => return,
                _ = tx.closed() => return,
            };
            match e {
                Ok(e) if e.rv > last && e.group == r.group && e.plural == r.plural => {
                    last = e.rv;
                    if let Some((kind, mut o)) = filtered_event(&e, &selects) {
                        o["apiVersion"] = json!(api_version);
                        if tx.send(line(kind, &o)).await.is_err() {
                            return;
                        }
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

/// A 403 on a named object's subresource, worded as kube-apiserver words it
/// (`apiserver/pkg/endpoints/handlers/responsewriters/errors.go`,
/// `ForbiddenStatusError`, and `apimachinery/pkg/api/errors`, `NewForbidden`:
/// `pods "web" is forbidden: User ... cannot get resource "pods/log"`).
fn forbidden_subresource(
    shared: &Shared,
    resource: &str,
    ns: &str,
    name: &str,
) -> Option<Response> {
    let inner = shared.inner.lock().unwrap_or_else(|e| e.into_inner());
    inner.forbidden.contains(resource).then(|| {
        let (plural, sub) = resource.split_once('/').unwrap_or((resource, ""));
        status(
            StatusCode::FORBIDDEN,
            "Forbidden",
            &format!(
                "{plural} {name:?} is forbidden: User \"system:serviceaccount:default:student\" cannot get resource \"{plural}/{sub}\" in API group \"\" in the namespace \"{ns}\""
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
    if let Some(r) = forbidden_subresource(shared, "pods/log", ns, name) {
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
    // The request's name is the whole `[SCHEME:]NAME[:PORT]` segment.
    if let Some(r) = forbidden_subresource(shared, "services/proxy", ns, target) {
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

/// A fake API server that can be killed and started again on the same
/// address: a TCP front that forwards to a [`FakeApiServer`]. `kill`
/// closes the listening socket and every open connection (each watch and
/// idle keep-alive sees its connection end, as when kube-apiserver's
/// process dies: the kernel closes its sockets), after which connecting is
/// refused; `revive` listens again on the same port, with the objects as
/// they were (etcd outlives the API server).
pub struct Killable {
    pub fake: Arc<FakeApiServer>,
    addr: SocketAddr,
    front: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Killable {
    pub async fn start() -> Killable {
        let fake = Arc::new(FakeApiServer::start().await);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let k = Killable {
            fake,
            addr,
            front: Mutex::new(None),
        };
        k.serve(listener);
        k
    }

    fn serve(&self, listener: tokio::net::TcpListener) {
        let to = self.fake.addr;
        let task = tokio::spawn(async move {
            // Aborting this task drops the set, which aborts every
            // connection's task and so closes its sockets.
            let mut conns = tokio::task::JoinSet::new();
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                conns.spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(to).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                while conns.try_join_next().is_some() {}
            }
        });
        *self.front.lock().unwrap() = Some(task);
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// [`FakeApiServer::kubeconfig_yaml`], through this front.
    pub fn kubeconfig_yaml(&self, token: &str, namespace: &str) -> String {
        self.fake
            .kubeconfig_yaml(token, namespace)
            .replace(&self.fake.url(), &self.url())
    }

    /// The API server dies: the port refuses, open connections end.
    pub async fn kill(&self) {
        let task = self.front.lock().unwrap().take();
        if let Some(task) = task {
            task.abort();
            let _ = task.await;
        }
    }

    /// The API server is back on the same address.
    pub async fn revive(&self) {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind the same port again");
        self.serve(listener);
    }
}
