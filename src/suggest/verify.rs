//! Verification of a draft check before it is offered: the check must fail
//! on the state before its exercise's commands and hold on the state after
//! them, evaluated by the checker's own pure evaluator
//! ([`crate::check::eval::evaluate_in`], [`crate::check::rbac::authorize`])
//! on the objects the model describes, written as kube-apiserver stores
//! them (string labels, canonical quantities, defaulted replicas, the
//! status a settled controller reports, the Pods a workload's controller
//! makes, helm's release Secrets). A draft that would already hold before
//! its step, or that would not hold after it, is withheld with the reason.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::DraftCheck;
use super::model::{
    CHANGE_CAUSE, Container, Key, Obj, RESTARTED_AT, State, canonical_quantities, merge,
};
use crate::check::eval::{self, Context};
use crate::check::rbac::{self, Attributes, Policy, UserInfo};
use crate::check::spec::{self, Check, Expectation, NamespaceSpec};
use crate::exercise::CheckSource;
use crate::kinds;

/// The namespace of the context the model's objects without a namespace
/// live in (and that a check without `namespace` reads).
const CONTEXT_NAMESPACE: &str = "default";

/// Built-in ClusterRoles every cluster has, with one rule each that says
/// what a binding to them grants on pods (kube-apiserver
/// plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go
/// `ClusterRoles`: `cluster-admin` allows everything; `admin`, `edit` and
/// `view` allow reading pods).
fn bootstrap_cluster_roles() -> Vec<Value> {
    let read = json!([{"apiGroups": [""], "resources": ["pods", "services", "configmaps"], "verbs": ["get", "list", "watch"]}]);
    let mut out = vec![json!({
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "cluster-admin"},
        "rules": [{"apiGroups": ["*"], "resources": ["*"], "verbs": ["*"]}, {"nonResourceURLs": ["*"], "verbs": ["*"]}],
    })];
    for name in ["admin", "edit", "view"] {
        out.push(json!({
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name},
            "rules": read,
        }));
    }
    out
}

/// The objects of a state as the API server would store and return them
/// ([`Renders::render`]), by Kind. A draft is verified on the state before
/// and after each exercise, and an exercise changes few objects: the lists
/// of the Kinds it did not change are shared with the previous rendering.
#[derive(Default, Clone)]
pub struct Rendered {
    by_kind: BTreeMap<String, Arc<Vec<Arc<Entry>>>>,
}

/// Where an object stands in the order every object is listed in
/// ([`Rendered::all`]).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Place {
    /// The cluster roles every cluster has, first.
    Bootstrap(usize),
    /// An object of the model, by key, then the objects its controllers
    /// make.
    Object(Key, usize),
    /// helm's release Secrets, last.
    Release(usize),
}

/// One rendered object, with what a draft's expectations select by read
/// once (reading them from the JSON for every draft was most of the time).
pub struct Entry {
    place: Place,
    namespace: String,
    name: String,
    /// `metadata.labels` (string values: what a selector reads).
    labels: BTreeMap<String, String>,
    value: Value,
}

impl Entry {
    /// The entry of `value` at `place`, and its Kind.
    fn of(place: Place, value: Value) -> KindAndEntry {
        let text = |v: &Value| v.as_str().unwrap_or("").to_owned();
        let kind = text(&value["kind"]);
        let entry = Entry {
            place,
            namespace: text(&value["metadata"]["namespace"]),
            name: text(&value["metadata"]["name"]),
            labels: value["metadata"]["labels"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            value,
        };
        (kind, Arc::new(entry))
    }
}

impl Rendered {
    /// The objects of one Kind, in the order of [`Rendered::all`].
    fn of_kind(&self, kind: &str) -> &[Arc<Entry>] {
        self.by_kind.get(kind).map_or(&[], |list| list.as_slice())
    }

    /// Every object, in the order `owner:` tests look owners up in: the
    /// cluster roles every cluster has, the model's objects by Kind,
    /// namespace and name (each workload followed by the objects its
    /// controllers make), helm's release Secrets.
    fn all(&self) -> Vec<&Entry> {
        let mut all: Vec<&Entry> = self
            .by_kind
            .values()
            .flat_map(|list| list.iter().map(|e| &**e))
            .collect();
        all.sort_by(|a, b| a.place.cmp(&b.place));
        all
    }
}

/// The rendering of a model as it changes, exercise after exercise: an
/// object renders from itself alone ([`render_obj`]), so only the objects
/// an exercise changed are rendered again, and only the lists of their
/// Kinds are made again. Rendering every object afresh for each exercise,
/// and listing every one for each draft, made `lint` and `checks suggest`
/// take time in the square of a deck's exercises (1,000 that each create a
/// Deployment: 39 s).
#[derive(Default)]
pub struct Renders {
    /// Each object of the model as last rendered, with its rendering.
    by_key: BTreeMap<Key, (Arc<Obj>, Vec<KindAndEntry>)>,
    /// Every rendered object, by Kind and place.
    index: BTreeMap<String, BTreeMap<Place, Arc<Entry>>>,
    /// The releases whose Secrets are in `index`, once rendered.
    releases: Option<BTreeMap<(Option<String>, String), u32>>,
    release_entries: Vec<KindAndEntry>,
    /// The last rendering.
    last: Rendered,
    /// Objects rendered afresh so far.
    fresh: usize,
}

/// A rendered object and its Kind.
type KindAndEntry = (String, Arc<Entry>);

impl Renders {
    /// How many objects were rendered afresh so far (the others were
    /// unchanged).
    pub fn fresh(&self) -> usize {
        self.fresh
    }

    /// The objects of `state` as the API server would store and return them.
    pub fn render(&mut self, state: &State) -> Rendered {
        let mut dirty: BTreeSet<String> = BTreeSet::new();
        // The first rendering (`releases` is set by every rendering): the
        // cluster roles every cluster has, once.
        if self.releases.is_none() {
            for (i, value) in bootstrap_cluster_roles().into_iter().enumerate() {
                self.insert(Entry::of(Place::Bootstrap(i), value), &mut dirty);
            }
        }
        for key in changed_keys(&self.by_key, state) {
            if let Some((_, old)) = self.by_key.remove(&key) {
                self.remove(&old, &mut dirty);
            }
            let Some(o) = state.objects.get(&key) else {
                continue;
            };
            let mut values = Vec::new();
            render_obj(o, &mut values);
            self.fresh = self.fresh.saturating_add(1);
            let entries: Vec<KindAndEntry> = values
                .into_iter()
                .enumerate()
                .map(|(i, v)| Entry::of(Place::Object(key.clone(), i), v))
                .collect();
            for entry in &entries {
                self.insert(entry.clone(), &mut dirty);
            }
            self.by_key.insert(key, (o.clone(), entries));
        }
        if self.releases.as_ref() != Some(&state.releases) {
            let old = std::mem::take(&mut self.release_entries);
            self.remove(&old, &mut dirty);
            self.release_entries = release_secrets(state)
                .into_iter()
                .enumerate()
                .map(|(i, v)| Entry::of(Place::Release(i), v))
                .collect();
            for entry in self.release_entries.clone() {
                self.insert(entry, &mut dirty);
            }
            self.releases = Some(state.releases.clone());
        }
        for kind in dirty {
            match self.index.get(&kind).filter(|m| !m.is_empty()) {
                Some(m) => {
                    let list = m.values().cloned().collect();
                    self.last.by_kind.insert(kind, Arc::new(list));
                }
                None => {
                    self.index.remove(&kind);
                    self.last.by_kind.remove(&kind);
                }
            }
        }
        self.last.clone()
    }

    fn insert(&mut self, (kind, entry): KindAndEntry, dirty: &mut BTreeSet<String>) {
        let place = entry.place.clone();
        self.index
            .entry(kind.clone())
            .or_default()
            .insert(place, entry);
        dirty.insert(kind);
    }

    fn remove(&mut self, entries: &[KindAndEntry], dirty: &mut BTreeSet<String>) {
        for (kind, entry) in entries {
            if let Some(m) = self.index.get_mut(kind) {
                m.remove(&entry.place);
            }
            dirty.insert(kind.clone());
        }
    }
}

/// The keys of the objects of `state` that are not as `rendered` holds
/// them (new, changed or gone), in one walk of both in key order. An
/// object still shared with its rendering is unchanged: a change copies
/// it (`State::get_mut`).
fn changed_keys(
    rendered: &BTreeMap<Key, (Arc<Obj>, Vec<KindAndEntry>)>,
    state: &State,
) -> Vec<Key> {
    let mut out = Vec::new();
    let mut old = rendered.iter().peekable();
    for (key, o) in &state.objects {
        loop {
            match old.peek() {
                Some((k, _)) if *k < key => {
                    out.push((*k).clone());
                    old.next();
                }
                Some((k, (was, _))) if *k == key => {
                    if !Arc::ptr_eq(was, o) && **was != **o {
                        out.push(key.clone());
                    }
                    old.next();
                    break;
                }
                _ => {
                    out.push(key.clone());
                    break;
                }
            }
        }
    }
    out.extend(old.map(|(k, _)| k.clone()));
    out
}

/// helm's release Secrets of `state`.
fn release_secrets(state: &State) -> Vec<Value> {
    let mut out = Vec::new();
    for ((ns, name), revision) in &state.releases {
        // helm pkg/storage/driver/secrets.go `newSecretsObject`: one Secret
        // per revision, `sh.helm.release.v1.NAME.vN`, the latest deployed,
        // earlier ones superseded (pkg/action/upgrade.go).
        // Revision 0: one deployed, its number not known.
        for v in (1..=*revision).chain((*revision == 0).then_some(0)) {
            let status = if v == *revision {
                "deployed"
            } else {
                "superseded"
            };
            out.push(json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "type": "helm.sh/release.v1",
                "metadata": {
                    "name": format!("sh.helm.release.v1.{name}.v{v}"),
                    "namespace": ns.as_deref().unwrap_or(CONTEXT_NAMESPACE),
                    "labels": {"owner": "helm", "name": name, "status": status, "version": v.to_string()},
                },
            }));
        }
    }
    out
}

fn api_version(o: &Obj) -> String {
    if !o.api_version.is_empty() {
        return o.api_version.clone();
    }
    match kinds::by_kind_name(&o.kind) {
        Some(k) if k.group.is_empty() => "v1".into(),
        Some(k) => format!("{}/v1", k.group),
        None => "v1".into(),
    }
}

fn containers(o: &Obj, list: &[Container]) -> Value {
    Value::Array(
        list.iter()
            .map(|c| {
                // A container without a known name is named after its
                // image, as `kubectl create deployment` does.
                let name = c.name.clone().unwrap_or_else(|| {
                    let base = c.image.rsplit('/').next().unwrap_or(&c.image);
                    base.split([':', '@']).next().unwrap_or(base).to_string()
                });
                let mut v = json!({"name": name, "image": c.image});
                if let Some(x) = o.container_extra.get(&name) {
                    merge(&mut v, x);
                }
                v
            })
            .collect(),
    )
}

fn render_obj(o: &Obj, out: &mut Vec<Value>) {
    let mut meta = Map::new();
    meta.insert("name".into(), json!(o.name));
    if o.namespaced {
        meta.insert(
            "namespace".into(),
            json!(o.namespace.as_deref().unwrap_or(CONTEXT_NAMESPACE)),
        );
    }
    let labels: Map<String, Value> = o
        .labels
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), json!(v.as_ref()?))))
        .collect();
    if !labels.is_empty() {
        meta.insert("labels".into(), Value::Object(labels));
    }
    let mut annotations: Map<String, Value> = o
        .annotations
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), json!(v.as_ref()?))))
        .collect();
    if let Some(c) = &o.change_cause
        && !o.annotations.contains_key(CHANGE_CAUSE)
    {
        annotations.insert(CHANGE_CAUSE.into(), json!(c));
    }
    if !annotations.is_empty() {
        meta.insert("annotations".into(), Value::Object(annotations));
    }
    meta.insert("generation".into(), json!(1));
    let mut v = json!({"apiVersion": api_version(o), "kind": o.kind, "metadata": meta});
    let mut extra = o.extra.clone();
    canonical_quantities(&mut extra, None, None);
    merge(&mut v, &extra);
    for k in &o.data_keys {
        v["data"][k] = json!("");
    }
    let workload = o.info().is_some_and(|k| k.workload);
    let replicas = o.replicas.unwrap_or(1);
    if workload && o.kind != "DaemonSet" {
        v["spec"]["replicas"] = json!(replicas);
    }
    if let Some(sel) = &o.selector {
        if workload {
            v["spec"]["selector"] = json!({ "matchLabels": sel });
            v["spec"]["template"]["metadata"]["labels"] = json!(sel);
        } else if o.kind == "Service" {
            v["spec"]["selector"] = json!(sel);
        }
    }
    if o.restarts > 0 {
        v["spec"]["template"]["metadata"]["annotations"][RESTARTED_AT] =
            json!(format!("restart {}", o.restarts));
    }
    let template = match o.kind.as_str() {
        "Pod" => Some(vec!["spec"]),
        "CronJob" => Some(vec!["spec", "jobTemplate", "spec", "template", "spec"]),
        _ if workload || o.kind == "Job" => Some(vec!["spec", "template", "spec"]),
        _ => None,
    };
    if let (Some(path), Some(list)) = (&template, &o.containers) {
        let mut at = &mut v;
        for seg in path {
            at = &mut at[*seg];
        }
        at["containers"] = containers(o, list);
    }
    // What a settled controller reports (the fields kubectl rollout
    // status reads: polymorphichelpers/rollout_status.go).
    let settled = match o.kind.as_str() {
        "Deployment" => Some(json!({
            "observedGeneration": 1, "replicas": replicas, "updatedReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
            "conditions": [{"type": "Available", "status": "True"}, {"type": "Progressing", "status": "True", "reason": "NewReplicaSetAvailable"}],
        })),
        "StatefulSet" => Some(json!({
            "observedGeneration": 1, "replicas": replicas, "readyReplicas": replicas,
            "currentReplicas": replicas, "updatedReplicas": replicas, "availableReplicas": replicas,
            "currentRevision": "r1", "updateRevision": "r1",
        })),
        "DaemonSet" => Some(json!({
            "observedGeneration": 1, "desiredNumberScheduled": 1, "currentNumberScheduled": 1,
            "updatedNumberScheduled": 1, "numberAvailable": 1, "numberReady": 1,
        })),
        "ReplicaSet" | "ReplicationController" => Some(json!({
            "observedGeneration": 1, "replicas": replicas, "fullyLabeledReplicas": replicas,
            "readyReplicas": replicas, "availableReplicas": replicas,
        })),
        "Pod" => Some(running_pod_status()),
        _ => None,
    };
    if let Some(s) = settled {
        v["status"] = s;
    }
    out.push(v.clone());
    // The pods the controller makes (ReplicaSets in between for a
    // Deployment), labelled with the template's labels.
    if workload && !o.uncertain {
        let pods = if o.kind == "DaemonSet" {
            1
        } else {
            replicas.max(0)
        };
        let (owner_kind, owner_name) = if o.kind == "Deployment" {
            let rs_name = format!("{}-{}", o.name, template_hash(o));
            let mut rs = v.clone();
            rs["kind"] = json!("ReplicaSet");
            rs["metadata"]["name"] = json!(rs_name);
            rs["metadata"]["ownerReferences"] = json!([{"kind": "Deployment", "name": o.name, "controller": true, "apiVersion": "apps/v1"}]);
            rs["status"] = json!({"observedGeneration": 1, "replicas": replicas, "fullyLabeledReplicas": replicas, "readyReplicas": replicas, "availableReplicas": replicas});
            out.push(rs);
            ("ReplicaSet".to_string(), rs_name)
        } else {
            (o.kind.clone(), o.name.clone())
        };
        for i in 0..pods {
            let mut pod = json!({
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {
                    "name": format!("{owner_name}-{i}"),
                    "namespace": v["metadata"]["namespace"],
                    "labels": v["spec"]["template"]["metadata"]["labels"],
                    "ownerReferences": [{"kind": owner_kind, "name": owner_name, "controller": true}],
                },
                "spec": v["spec"]["template"]["spec"],
                "status": running_pod_status(),
            });
            if pod["metadata"]["labels"].is_null()
                && let Some(m) = pod["metadata"].as_object_mut()
            {
                m.remove("labels");
            }
            out.push(pod);
        }
    }
}

/// A stand-in for the pod-template-hash: differs when the template does.
fn template_hash(o: &Obj) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    format!("{:?}{}{:?}", o.containers, o.restarts, o.container_extra).hash(&mut h);
    format!("{:x}", h.finish() & 0xff_ffff)
}

fn running_pod_status() -> Value {
    json!({
        "phase": "Running",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "ContainersReady", "status": "True"}],
    })
}

/// Whether `check` holds on `objects`, and what decides it (the first
/// expectation that fails, or the check's first expectation when it holds).
pub fn holds(check: &Check, objects: &Rendered) -> (bool, String) {
    // Owners are looked up only for an `owner:` test.
    let owners: Vec<Value> = if check.expect.iter().any(|e| e.owner.is_some()) {
        objects.all().iter().map(|o| o.value.clone()).collect()
    } else {
        Vec::new()
    };
    for e in &check.expect {
        let (group, kind, namespaced) = resolve(&e.kind);
        // What `evaluate_in` reads first (kind, namespace, then name and
        // labels: it skips any other object), the only objects copied.
        let selected: Vec<Value> = objects
            .of_kind(&kind)
            .iter()
            .filter(|o| !namespaced || in_namespace(e, &o.namespace))
            .filter(|o| {
                e.name.as_ref().is_none_or(|p| p.matches(&o.name))
                    && e.selector.as_ref().is_none_or(|sel| sel.matches(&o.labels))
            })
            .map(|o| o.value.clone())
            .collect();
        let ctx = Context {
            resolved: Some((group.as_str(), kind.as_str())),
            owner_kind: None,
            owners: &owners,
            now: None,
        };
        let out = eval::evaluate_in(e, &selected, &ctx);
        if !out.holds {
            let first = out
                .objects
                .iter()
                .find(|o| !o.passes())
                .map(|o| format!(": {} {}", o.name, o.failed.join(", ")))
                .unwrap_or_default();
            return (
                false,
                format!(
                    "{} (line {}) counts {}, wants {}{first}",
                    e.kind, e.location.line, out.passing, e.count
                ),
            );
        }
    }
    let policy_of =
        |k: &str| -> Vec<Value> { objects.of_kind(k).iter().map(|o| o.value.clone()).collect() };
    let (cr, crb, r, rb) = (
        policy_of("ClusterRole"),
        policy_of("ClusterRoleBinding"),
        policy_of("Role"),
        policy_of("RoleBinding"),
    );
    let policy = Policy {
        cluster_roles: &cr,
        cluster_role_bindings: &crb,
        roles: &r,
        role_bindings: &rb,
    };
    for c in &check.extra.can_i {
        let q = &c.question;
        let (group, plural) = match kinds::builtin(&q.resource) {
            Some(b) => (b.group.to_string(), b.plural.to_string()),
            None => (String::new(), q.resource.clone()),
        };
        let attrs = Attributes {
            verb: q.verb.clone(),
            group,
            resource: plural,
            subresource: None,
            name: q.name.clone(),
            namespace: q
                .namespace
                .clone()
                .unwrap_or_else(|| CONTEXT_NAMESPACE.into()),
        };
        let (allowed, why) =
            rbac::authorize(&UserInfo::impersonated(&q.user, &q.groups), &attrs, &policy);
        if allowed != q.allowed {
            return (
                false,
                format!(
                    "can-i {} {} as {} answers {} ({why})",
                    q.verb,
                    q.resource,
                    q.user,
                    if allowed { "yes" } else { "no" }
                ),
            );
        }
    }
    let what = check
        .expect
        .first()
        .map(|e| {
            let name = e
                .name
                .as_ref()
                .map(|n| format!(" {}", n.text))
                .unwrap_or_default();
            format!(
                "{}{name} (line {}) already matches",
                e.kind, e.location.line
            )
        })
        .unwrap_or_else(|| "every question already answers as wanted".into());
    (true, what)
}

/// Group, Kind and scope of a check's `kind`.
fn resolve(text: &str) -> (String, String, bool) {
    if let Some(b) = kinds::builtin(text) {
        return (b.group.to_string(), b.kind.to_string(), b.namespaced);
    }
    // `group/version/Kind` (what the suggestion writes for custom kinds).
    let parts: Vec<&str> = text.split('/').collect();
    let kind = parts.last().copied().unwrap_or(text).to_string();
    let group = if parts.len() == 3 { parts[0] } else { "" };
    (group.to_string(), kind, true)
}

fn in_namespace(e: &Expectation, ns: &str) -> bool {
    match &e.namespace {
        NamespaceSpec::All => true,
        NamespaceSpec::Default => ns == CONTEXT_NAMESPACE,
        NamespaceSpec::Named(n) => ns == n,
    }
}

/// How a reason for a draft that holds before its step starts.
pub const ALREADY: &str = "would already hold before the step";

/// Why a draft is not offered, or `None` when it fails on `before` and
/// holds on `after`.
pub fn verify(draft: &DraftCheck, before: &Rendered, after: &Rendered) -> Option<String> {
    let source = CheckSource {
        yaml: super::check_yaml(draft),
        file: "suggested".into(),
        line: 1,
    };
    let check = match spec::parse(&source) {
        Ok(c) => c,
        Err(e) => return Some(format!("the draft is not a valid check: {e}")),
    };
    if check.expect.iter().any(|e| !e.extra.is_empty()) {
        return Some("the draft uses keys the model cannot evaluate".into());
    }
    let (after_holds, why_not) = holds(&check, after);
    if !after_holds {
        return Some(format!("would not hold after the step: {why_not}"));
    }
    let (before_holds, what) = holds(&check, before);
    if before_holds {
        return Some(format!("{ALREADY}: {what}"));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state_of(objects: &[(&str, &str, &str)]) -> State {
        let mut state = State::default();
        for (kind, api_version, name) in objects {
            state.upsert(Obj::new(kind, api_version, true, None, name));
        }
        state
    }

    fn names(list: &[&Entry]) -> Vec<String> {
        list.iter()
            .map(|e| format!("{}/{}", e.value["kind"].as_str().unwrap_or(""), e.name))
            .collect()
    }

    #[test]
    fn regression_an_exercise_relists_only_the_kinds_it_changed() {
        // `lint` on 3,000 exercises that each create a Deployment listed
        // every object again for both renderings of each exercise (17 s):
        // a change now relists its own Kinds, and shares the others.
        let mut state = state_of(&[
            ("Deployment", "apps/v1", "web"),
            ("ConfigMap", "v1", "conf"),
        ]);
        let mut renders = Renders::default();
        let before = renders.render(&state);
        if let Some(c) = state.get_mut(&Obj::new("ConfigMap", "v1", true, None, "conf").key()) {
            c.labels.insert("tier".into(), Some("web".into()));
        }
        let after = renders.render(&state);
        assert_eq!(renders.fresh(), 3, "the ConfigMap alone is rendered again");
        let shared = |kind: &str| {
            before
                .by_kind
                .get(kind)
                .zip(after.by_kind.get(kind))
                .is_some_and(|(a, b)| Arc::ptr_eq(a, b))
        };
        for kind in ["Deployment", "ReplicaSet", "Pod", "ClusterRole"] {
            assert!(shared(kind), "{kind} listed again");
        }
        assert!(!shared("ConfigMap"));
        // The rendering before the change is still the state before it.
        let labels = |r: &Rendered| r.of_kind("ConfigMap")[0].value["metadata"]["labels"].clone();
        assert_eq!(labels(&before), Value::Null);
        assert_eq!(labels(&after), json!({"tier": "web"}));
        // A removed object leaves every list it was in.
        let removed = state.remove(&Obj::new("Deployment", "apps/v1", true, None, "web").key());
        assert!(removed.is_some());
        let gone = renders.render(&state);
        for kind in ["Deployment", "ReplicaSet", "Pod"] {
            assert!(gone.of_kind(kind).is_empty(), "{kind} still listed");
        }
        assert_eq!(names(&gone.all()).len(), 5, "{:?}", names(&gone.all()));
    }

    #[test]
    fn every_object_is_listed_in_the_order_owners_are_looked_up_in() {
        let mut state = state_of(&[("Service", "v1", "web"), ("Deployment", "apps/v1", "api")]);
        state.releases.insert((None, "app".into()), 1);
        let mut renders = Renders::default();
        let all = renders.render(&state);
        let listed = names(&all.all());
        // The cluster roles, the model's objects by key (each workload
        // followed by what its controllers make), then helm's Secrets.
        assert_eq!(
            listed[..4],
            [
                "ClusterRole/cluster-admin",
                "ClusterRole/admin",
                "ClusterRole/edit",
                "ClusterRole/view"
            ]
        );
        let rest: Vec<&str> = listed[4..]
            .iter()
            .map(|n| n.split('/').next().unwrap_or(""))
            .collect();
        assert_eq!(
            rest,
            ["Deployment", "ReplicaSet", "Pod", "Service", "Secret"],
            "{listed:?}"
        );
        // A new release revision replaces the Secrets, and nothing else.
        state.releases.insert((None, "app".into()), 2);
        let again = renders.render(&state);
        assert_eq!(again.of_kind("Secret").len(), 2);
        assert!(Arc::ptr_eq(
            &all.by_kind["Service"],
            &again.by_kind["Service"]
        ));
    }
}
