//! The expected state of the cluster, exercise after exercise: the objects
//! the deck's commands created, changed or deleted, with what is known of
//! them (labels, replicas, images, selectors, patched fields), and the draft
//! expectations that describe one exercise's part of it.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};

use crate::kinds::{self, Builtin as KindInfo};

/// Which object: kind, namespace (`""` for the context's, or for a
/// cluster-scoped kind) and name.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub kind: String,
    pub namespace: String,
    pub name: String,
}

/// A container of a pod template: its name when known, and image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Container {
    pub name: Option<String>,
    pub image: String,
}

/// What the deck's commands say about one object.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj {
    pub kind: String,
    /// `group/version` of the manifest, for kinds that are not built in.
    pub api_version: String,
    pub namespaced: bool,
    /// Namespace written or implied by the commands; `None`: the context's.
    pub namespace: Option<String>,
    pub name: String,
    /// Known labels; `None` values are labels known to be absent.
    pub labels: BTreeMap<String, Option<String>>,
    pub annotations: BTreeMap<String, Option<String>>,
    pub replicas: Option<i64>,
    /// `spec.selector.matchLabels` (workloads) or `spec.selector` (services).
    pub selector: Option<BTreeMap<String, String>>,
    /// The pod template's containers, when the whole list is known.
    pub containers: Option<Vec<Container>>,
    /// Earlier pod templates, oldest first (what `rollout undo` returns to).
    pub history: Vec<Option<Vec<Container>>>,
    /// Other fields set by the commands, as a partial object.
    pub extra: Value,
    /// Keys of `data` the object holds (config maps, secrets).
    pub data_keys: BTreeSet<String>,
    /// Further `where` tests (what `match` cannot say: a field set to a
    /// zero value the API server omits).
    pub wheres: BTreeSet<String>,
    /// Changed by a command whose effect is unknown (`kubectl edit`): only
    /// its existence is still known.
    pub uncertain: bool,
    /// `kubectl rollout restart` runs so far: each sets the pod template's
    /// `kubectl.kubernetes.io/restartedAt` annotation to the time
    /// (kubectl pkg/polymorphichelpers/objectrestarter.go), a new template,
    /// so a new ReplicaSet.
    pub restarts: u32,
    /// `kubernetes.io/change-cause`, written by `--record` (kubectl
    /// pkg/cmd/util/helpers.go `ChangeCauseRecorder`): the command line.
    pub change_cause: Option<String>,
    /// Fields of the template's containers other than name and image
    /// (`resources`...), by container name, as patches set them.
    pub container_extra: BTreeMap<String, Value>,
}

impl Obj {
    pub fn new(
        kind: &str,
        api_version: &str,
        namespaced: bool,
        namespace: Option<String>,
        name: &str,
    ) -> Obj {
        Obj {
            kind: kind.to_string(),
            api_version: api_version.to_string(),
            namespaced,
            namespace: if namespaced { namespace } else { None },
            name: name.to_string(),
            labels: BTreeMap::new(),
            annotations: BTreeMap::new(),
            replicas: None,
            selector: None,
            containers: None,
            history: Vec::new(),
            extra: Value::Object(Map::new()),
            data_keys: BTreeSet::new(),
            wheres: BTreeSet::new(),
            uncertain: false,
            restarts: 0,
            change_cause: None,
            container_extra: BTreeMap::new(),
        }
    }

    pub fn key(&self) -> Key {
        Key {
            kind: self.kind.clone(),
            namespace: self
                .namespace
                .clone()
                .filter(|_| self.namespaced)
                .unwrap_or_default(),
            name: self.name.clone(),
        }
    }

    pub fn info(&self) -> Option<&'static KindInfo> {
        kinds::by_kind_name(&self.kind)
    }

    fn workload(&self) -> bool {
        self.info().is_some_and(|k| k.workload)
    }

    /// Where the pod template lives in this kind's objects.
    fn template_path(&self) -> &'static [&'static str] {
        match self.kind.as_str() {
            "Pod" => &["spec"],
            "CronJob" => &["spec", "jobTemplate", "spec", "template", "spec"],
            _ => &["spec", "template", "spec"],
        }
    }

    fn has_template(&self) -> bool {
        self.workload() || matches!(self.kind.as_str(), "Pod" | "Job" | "CronJob")
    }

    /// Sets the containers, remembering the previous template.
    pub fn set_containers(&mut self, containers: Vec<Container>) {
        if self.containers.as_ref() != Some(&containers) {
            if self.containers.is_some() || !self.history.is_empty() {
                self.history.push(self.containers.take());
            }
            self.containers = Some(containers);
        }
    }

    /// `kubectl set image`: `container=image` (`*` for all of them).
    pub fn set_image(&mut self, container: &str, image: &str) {
        let mut next = match &self.containers {
            Some(c) => c.clone(),
            None => {
                // Only this container is known.
                self.history.push(None);
                self.containers = Some(vec![Container {
                    name: (container != "*").then(|| container.to_string()),
                    image: image.to_string(),
                }]);
                return;
            }
        };
        let mut found = false;
        for c in &mut next {
            if container == "*" || c.name.as_deref() == Some(container) {
                c.image = image.to_string();
                found = true;
            }
        }
        if !found {
            next = vec![Container {
                name: Some(container.to_string()),
                image: image.to_string(),
            }];
        }
        self.set_containers(next);
    }

    /// `kubectl rollout undo [--to-revision=N]`: back to the previous
    /// template, or to revision N (1 = the first template). Rules of
    /// kubectl/pkg/polymorphichelpers/rollback.go: revision 0 means the one
    /// before the current one.
    pub fn undo(&mut self, to_revision: u64) {
        let revisions = self.history.len() + 1;
        let target = if to_revision == 0 {
            revisions.checked_sub(1)
        } else {
            usize::try_from(to_revision).ok().filter(|r| *r < revisions)
        };
        let back = target
            .and_then(|r| r.checked_sub(1))
            .and_then(|i| self.history.get(i).cloned());
        match back {
            Some(Some(c)) => self.set_containers(c),
            _ => {
                // Unknown history: the template is no longer known.
                self.history.push(self.containers.take());
            }
        }
    }

    /// Applies a merge patch (RFC 7386) to what is known of the object.
    pub fn merge_patch(&mut self, patch: &Value) {
        if let Some(labels) = patch.pointer("/metadata/labels").and_then(Value::as_object) {
            for (k, v) in labels {
                self.labels
                    .insert(k.clone(), v.as_str().map(str::to_string));
            }
        }
        if let Some(ann) = patch
            .pointer("/metadata/annotations")
            .and_then(Value::as_object)
        {
            for (k, v) in ann {
                self.annotations
                    .insert(k.clone(), v.as_str().map(str::to_string));
            }
        }
        if let Some(r) = patch.pointer("/spec/replicas").and_then(Value::as_i64) {
            self.replicas = Some(r);
        }
        let mut rest = patch.clone();
        if let Some(m) = rest.get_mut("metadata").and_then(Value::as_object_mut) {
            m.remove("labels");
            m.remove("annotations");
        }
        if let Some(s) = rest.get_mut("spec").and_then(Value::as_object_mut) {
            s.remove("replicas");
        }
        // Containers of the template merge by name (strategic merge patch,
        // `patchMergeKey: name` in k8s.io/api/core/v1/types.go).
        let path = self.template_path();
        let mut cursor = Some(&mut rest);
        for seg in path {
            cursor = cursor.and_then(|v| v.get_mut(*seg));
        }
        if let Some(spec) = cursor.and_then(Value::as_object_mut)
            && let Some(Value::Array(list)) = spec.remove("containers")
        {
            for c in list {
                let Some(name) = c.get("name").and_then(Value::as_str) else {
                    continue;
                };
                if let Some(image) = c.get("image").and_then(Value::as_str) {
                    self.set_image(name, image);
                }
                // Other fields (`resources`...) merge into what is known
                // of that container.
                let mut rest = c.clone();
                if let Some(m) = rest.as_object_mut() {
                    m.remove("name");
                    m.remove("image");
                }
                if rest.as_object().is_some_and(|m| !m.is_empty()) {
                    canonical_quantities(&mut rest, None, None);
                    let known = self
                        .container_extra
                        .entry(name.to_string())
                        .or_insert_with(|| Value::Object(Map::new()));
                    merge(known, &rest);
                }
            }
        }
        merge(&mut self.extra, &rest);
        prune_empty(&mut self.extra);
    }

    /// The expectations that say this object is as the commands left it.
    pub fn expectations(&self) -> Vec<Draft> {
        let mut out = Vec::new();
        let mut e = Draft::new(&self.check_kind());
        e.namespace = self.namespace.clone().filter(|_| self.namespaced);
        e.name = Some(self.name.clone());
        if self.workload() && self.kind != "ReplicaSet" {
            e.ready = Some(true);
        }
        if !self.uncertain {
            let mut m = Value::Object(Map::new());
            let labels: Map<String, Value> = self
                .labels
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), Value::String(v.clone()))))
                .collect();
            if !labels.is_empty() {
                m["metadata"] = json!({ "labels": labels });
            }
            let annotations: Map<String, Value> = self
                .annotations
                .iter()
                .filter_map(|(k, v)| v.as_ref().map(|v| (k.clone(), Value::String(v.clone()))))
                .collect();
            if !annotations.is_empty() {
                if m.get("metadata").is_none() {
                    m["metadata"] = json!({});
                }
                m["metadata"]["annotations"] = Value::Object(annotations);
            }
            merge(&mut m, &self.extra);
            if let Some(r) = self.replicas {
                merge(&mut m, &json!({"spec": {"replicas": r}}));
            }
            if self.has_template() {
                let list = match &self.containers {
                    Some(c) => Some(self.containers_with_extra(c)),
                    // Only the patched containers are known: a list in
                    // `match` asks for these elements among others.
                    None if !self.container_extra.is_empty() => Some(Value::Array(
                        self.container_extra
                            .iter()
                            .map(|(n, x)| {
                                let mut c = json!({ "name": n });
                                merge(&mut c, x);
                                c
                            })
                            .collect(),
                    )),
                    None => None,
                };
                if let Some(list) = list {
                    merge(
                        &mut m,
                        &nest(self.template_path(), json!({ "containers": list })),
                    );
                }
            }
            if self.restarts > 0 {
                e.r#where.push(format!(
                    "spec.template.metadata.annotations[\"{RESTARTED_AT}\"] exists"
                ));
            }
            if self.change_cause.is_some() {
                e.r#where
                    .push(format!("metadata.annotations[\"{CHANGE_CAUSE}\"] exists"));
            }
            for (k, v) in &self.labels {
                if v.is_none() {
                    e.r#where.push(format!("metadata.labels[\"{k}\"] absent"));
                }
            }
            for (k, v) in &self.annotations {
                if v.is_none() {
                    e.r#where
                        .push(format!("metadata.annotations[\"{k}\"] absent"));
                }
            }
            for k in &self.data_keys {
                e.r#where.push(format!("data[\"{k}\"] exists"));
            }
            e.r#where.extend(self.wheres.iter().cloned());
            if m.as_object().is_some_and(|o| !o.is_empty()) {
                e.matches = Some(m);
            }
        }
        out.push(e);
        // The pods it rolls out.
        if self.workload()
            && !self.uncertain
            && let Some(sel) = self.selector.as_ref().filter(|s| !s.is_empty())
        {
            let mut p = Draft::new("Pod");
            p.namespace = self.namespace.clone();
            p.selector = Some(selector_text(sel));
            if self.replicas == Some(0) {
                p.count = Some("0".into());
            } else {
                p.count = Some(">=1".into());
                if let Some(c) = &self.containers {
                    p.matches =
                        Some(json!({"spec": {"containers": self.containers_with_extra(c)}}));
                }
            }
            out.push(p);
        }
        out
    }

    /// The expectations that say this object is gone, with the pods it
    /// owned when it is a workload.
    pub fn gone(&self) -> Vec<Draft> {
        let mut e = Draft::new(&self.check_kind());
        e.namespace = self.namespace.clone().filter(|_| self.namespaced);
        e.name = Some(self.name.clone());
        e.count = Some("0".into());
        let mut out = vec![e];
        if self.workload()
            && let Some(sel) = self.selector.as_ref().filter(|s| !s.is_empty())
        {
            // Pods are owned by the controller that made them: a
            // Deployment's by its ReplicaSets.
            let owner = match self.kind.as_str() {
                "Deployment" => "ReplicaSet",
                k => k,
            };
            let mut p = Draft::new("Pod");
            p.namespace = self.namespace.clone();
            p.selector = Some(selector_text(sel));
            p.owner = Some(owner.to_string());
            p.count = Some("0".into());
            out.push(p);
        }
        out
    }

    /// The `kind` to write in a check: the Kind for built-in kinds,
    /// `group/version/Kind` for others (the checker resolves both).
    pub fn check_kind(&self) -> String {
        if self.info().is_some() || self.api_version.is_empty() {
            self.kind.clone()
        } else {
            format!("{}/{}", self.api_version, self.kind)
        }
    }
}

/// The template annotation `kubectl rollout restart` sets.
pub const RESTARTED_AT: &str = "kubectl.kubernetes.io/restartedAt";
/// The annotation `--record` sets.
pub const CHANGE_CAUSE: &str = "kubernetes.io/change-cause";

impl Obj {
    /// The template's containers as JSON, with the fields patches set.
    fn containers_with_extra(&self, containers: &[Container]) -> Value {
        let mut list = containers_json(containers);
        if let Some(items) = list.as_array_mut() {
            for c in items {
                let extra = c
                    .get("name")
                    .and_then(Value::as_str)
                    .and_then(|n| self.container_extra.get(n))
                    .cloned();
                if let Some(x) = extra {
                    merge(c, &x);
                }
            }
        }
        list
    }
}

/// Rewrites quantities (`requests`, `limits`...) in the canonical form
/// kube-apiserver stores them in (`cpu: 1` is `"1"`, `0.5` is `"500m"`:
/// apimachinery resource/quantity.go `CanonicalizeBytes`).
pub fn canonical_quantities(v: &mut Value, parent: Option<&str>, key: Option<&str>) {
    if crate::check::quantity::is_quantity_field(parent, key)
        && let Some(q) = crate::check::quantity::of_json(v)
    {
        *v = Value::String(q.canonical());
        return;
    }
    match v {
        Value::Object(m) => {
            for (k, child) in m.iter_mut() {
                canonical_quantities(child, key, Some(k));
            }
        }
        Value::Array(a) => {
            for child in a {
                canonical_quantities(child, parent, key);
            }
        }
        _ => {}
    }
}

/// `{a: b}` as `a=b`, sorted.
pub fn selector_text(sel: &BTreeMap<String, String>) -> String {
    sel.iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn containers_json(containers: &[Container]) -> Value {
    Value::Array(
        containers
            .iter()
            .map(|c| match &c.name {
                Some(n) => json!({"name": n, "image": c.image}),
                None => json!({"image": c.image}),
            })
            .collect(),
    )
}

fn nest(path: &[&str], leaf: Value) -> Value {
    path.iter()
        .rev()
        .fold(leaf, |acc, seg| json!({ *seg: acc }))
}

/// JSON merge patch (RFC 7386) of `patch` into `target`; `null` removes.
pub fn merge(target: &mut Value, patch: &Value) {
    match (target, patch) {
        (Value::Object(t), Value::Object(p)) => {
            for (k, v) in p {
                if v.is_null() {
                    t.remove(k);
                } else {
                    merge(t.entry(k.clone()).or_insert(Value::Null), v);
                }
            }
        }
        (t, p) => *t = p.clone(),
    }
}

fn prune_empty(v: &mut Value) {
    if let Value::Object(m) = v {
        for child in m.values_mut() {
            prune_empty(child);
        }
        m.retain(|_, c| !matches!(c, Value::Object(o) if o.is_empty()));
    }
}

/// One draft expectation, with the keys of the check language.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Draft {
    pub kind: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub selector: Option<String>,
    pub ready: Option<bool>,
    pub owner: Option<String>,
    pub matches: Option<Value>,
    pub r#where: Vec<String>,
    /// `0`, `1`, `>=1`...; `None`: the checker's default (at least one).
    pub count: Option<String>,
}

impl Draft {
    pub fn new(kind: &str) -> Draft {
        Draft {
            kind: kind.to_string(),
            ..Draft::default()
        }
    }
}

/// The expected state after the exercises seen so far.
#[derive(Debug, Default, Clone)]
pub struct State {
    /// Shared with what was rendered of them ([`super::verify::Renders`]):
    /// a change makes its own copy (`Arc::make_mut`), so an object still
    /// shared is unchanged.
    pub objects: BTreeMap<Key, Arc<Obj>>,
    /// Objects known to be gone, by key (so that an exercise that deletes
    /// one can say so).
    pub gone: BTreeMap<Key, Obj>,
    /// Custom kinds declared by CustomResourceDefinitions applied so far:
    /// Kind -> namespaced.
    pub custom_kinds: BTreeMap<String, bool>,
    /// The namespace of the current context, when a command set it.
    pub namespace: Option<String>,
    /// How many commands set the context's namespace so far (`kns`,
    /// `set-context --namespace`, `use-context`): a chapter that sets it
    /// knows it.
    pub namespace_sets: u32,
    /// Helm releases installed: (namespace, name) -> current revision; 0
    /// when it is not known (a release made in an earlier chapter, which
    /// may have run elsewhere, or a namespace where a helm command could
    /// not be followed).
    pub releases: BTreeMap<(Option<String>, String), u32>,
    /// Releases whose revision was made in an earlier chapter.
    pub carried: BTreeSet<(Option<String>, String)>,
    /// Namespaces where a helm command that changes releases could not be
    /// followed.
    pub helm_unknown: BTreeSet<Option<String>>,
}

impl State {
    /// A new chapter: the releases made so far are still there, but their
    /// revision is not known.
    pub fn new_chapter(&mut self) {
        for (key, revision) in self.releases.iter_mut() {
            *revision = 0;
            self.carried.insert(key.clone());
        }
    }
}

impl State {
    pub fn get_mut(&mut self, key: &Key) -> Option<&mut Obj> {
        self.objects.get_mut(key).map(Arc::make_mut)
    }

    pub fn upsert(&mut self, obj: Obj) {
        let key = obj.key();
        self.gone.remove(&key);
        self.objects.insert(key, Arc::new(obj));
    }

    pub fn remove(&mut self, key: &Key) -> Option<Obj> {
        let o = Arc::unwrap_or_clone(self.objects.remove(key)?);
        self.gone.insert(key.clone(), o.clone());
        Some(o)
    }

    /// Whether a kind is namespaced: built-in table, then CRDs seen.
    pub fn namespaced(&self, kind: &str) -> bool {
        kinds::by_kind_name(kind)
            .map(|k| k.namespaced)
            .or_else(|| self.custom_kinds.get(kind).copied())
            .unwrap_or(true)
    }

    /// Workloads whose pod template carries every label of `sel`: they
    /// replace pods that stop matching it (the ReplicaSet controller
    /// releases such pods and creates others: pkg/controller/
    /// controller_ref_manager.go, `ClaimPods`).
    pub fn replaced_by_controller(&self, namespace: &str, sel: &BTreeMap<String, String>) -> bool {
        self.objects.values().any(|o| {
            o.workload()
                && o.key().namespace == namespace
                && o.selector
                    .as_ref()
                    .is_some_and(|s| !s.is_empty() && s.iter().all(|(k, v)| sel.get(k) == Some(v)))
        })
    }
}

/// Something an exercise changed, to describe after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Touch {
    /// One object (present or gone in the state afterwards).
    Object(Key),
    /// Objects chosen by a label selector: how many match `selector` afterwards.
    Selection {
        kind: String,
        namespace: Option<String>,
        selector: String,
        /// `>=1` or `0`.
        count: &'static str,
    },
    /// A helm release: its storage Secret is deployed, or gone.
    HelmRelease {
        namespace: Option<String>,
        name: String,
        present: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn deploy() -> Obj {
        let mut o = Obj::new("Deployment", "apps/v1", true, None, "worker");
        o.selector = Some(BTreeMap::from([("app".into(), "worker".into())]));
        o.set_containers(vec![Container {
            name: Some("worker".into()),
            image: "w:v0.1".into(),
        }]);
        o
    }

    #[test]
    fn set_image_and_undo_follow_revisions() {
        let mut o = deploy();
        o.set_image("worker", "w:v0.2");
        o.set_image("worker", "w:v0.3");
        o.undo(0);
        assert_eq!(o.containers.as_ref().unwrap()[0].image, "w:v0.2");
        o.undo(1);
        assert_eq!(o.containers.as_ref().unwrap()[0].image, "w:v0.1");
        o.undo(99);
        assert!(o.containers.is_none(), "unknown revision: template unknown");
    }

    #[test]
    fn expectations_carry_known_fields() {
        let mut o = deploy();
        o.replicas = Some(3);
        o.labels.insert("color".into(), Some("blue".into()));
        o.labels.insert("gone".into(), None);
        let e = o.expectations();
        assert_eq!(e.len(), 2);
        assert_eq!(e[0].ready, Some(true));
        let m = e[0].matches.as_ref().unwrap();
        assert_eq!(m["spec"]["replicas"], 3);
        assert_eq!(m["metadata"]["labels"]["color"], "blue");
        assert_eq!(
            m["spec"]["template"]["spec"]["containers"][0]["image"],
            "w:v0.1"
        );
        assert_eq!(e[0].r#where, vec!["metadata.labels[\"gone\"] absent"]);
        assert_eq!(e[1].selector.as_deref(), Some("app=worker"));
        let g = o.gone();
        assert_eq!(g[0].count.as_deref(), Some("0"));
        assert_eq!(g[1].owner.as_deref(), Some("ReplicaSet"));
    }

    #[test]
    fn merge_patch_updates_model() {
        let mut o = deploy();
        o.merge_patch(&json!({"spec": {"replicas": 2, "template": {"spec": {"containers": [{"name": "worker", "image": "w:v9"}], "nodeName": "n1"}}}}));
        assert_eq!(o.replicas, Some(2));
        assert_eq!(o.containers.as_ref().unwrap()[0].image, "w:v9");
        assert_eq!(
            o.extra,
            json!({"spec": {"template": {"spec": {"nodeName": "n1"}}}})
        );
    }
}
