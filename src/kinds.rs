//! What labdeck knows about the built-in Kubernetes kinds without asking a
//! cluster: their names (so `owner: rs` means `ReplicaSet` and `lint` can
//! tell `deploymnts` from a custom resource), the field selectors the API
//! server accepts for each, the STATUS words kubectl prints for them, what
//! `ready` means for them, and their integer status counters (which the API
//! server omits when zero).
//!
//! The table restates kube-apiserver and kubectl; each column cites where
//! it comes from. Custom resources are not in it: for them only the
//! cluster knows, and checks treat them generically.

use std::sync::OnceLock;

use crate::cluster::{ApiEntry, Resource, resolve};

/// What `ready: true` means for a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Readiness {
    /// The kind has no notion of readiness (`ready` is a lint error).
    None,
    /// The `Ready` condition is `True` (pods: and not being deleted).
    ReadyCondition,
    /// `kubectl rollout status deployment` rules.
    Deployment,
    /// `kubectl rollout status daemonset` rules.
    DaemonSet,
    /// `kubectl rollout status statefulset` rules.
    StatefulSet,
    /// kubectl's READY column: `readyReplicas` of `spec.replicas`, once the
    /// controller has observed the spec.
    Replicas,
    /// Complete: the `Complete` condition is `True`.
    Job,
}

/// A built-in kind.
#[derive(Debug)]
pub struct Builtin {
    pub group: &'static str,
    pub version: &'static str,
    pub kind: &'static str,
    pub plural: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
    /// Field selectors beyond `metadata.name` (and `metadata.namespace`,
    /// see [`Builtin::field_selectors`]).
    pub fields: &'static [&'static str],
    pub readiness: Readiness,
    /// Integer fields of `status` that the API server omits when zero.
    pub counters: &'static [&'static str],
    /// Rolls out pods from a template (its `ready` means rolled out).
    pub workload: bool,
}

const NO_FIELDS: &[&str] = &[];
const NO_COUNTERS: &[&str] = &[];

// Field selectors: kube-apiserver accepts, per kind, the labels its
// `AddFieldLabelConversionFunc` lists (pkg/apis/core/v1/conversion.go for
// Pod, Node, ReplicationController, Event, Namespace, Secret, Service;
// pkg/apis/apps/v1/conversion.go for ReplicaSet `status.replicas`;
// pkg/apis/batch/v1/conversion.go for Job `status.successful`;
// pkg/apis/certificates/v1/conversion.go for CSR `spec.signerName`), and
// every other kind `runtime.DefaultMetaV1FieldSelectorConversion`:
// `metadata.name` and `metadata.namespace` only. Anything else is a 400
// ("field label not supported").
const POD_FIELDS: &[&str] = &[
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
    "spec.host",
];
const EVENT_FIELDS: &[&str] = &[
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
];

// Counters: the `int32` fields of each kind's status in k8s.io/api (all
// `omitempty`, so a zero is simply absent from the JSON).
const DEPLOYMENT_COUNTERS: &[&str] = &[
    "observedGeneration",
    "replicas",
    "updatedReplicas",
    "readyReplicas",
    "availableReplicas",
    "unavailableReplicas",
    "terminatingReplicas",
    "collisionCount",
];
const REPLICASET_COUNTERS: &[&str] = &[
    "observedGeneration",
    "replicas",
    "fullyLabeledReplicas",
    "readyReplicas",
    "availableReplicas",
    "terminatingReplicas",
];
const STATEFULSET_COUNTERS: &[&str] = &[
    "observedGeneration",
    "replicas",
    "readyReplicas",
    "currentReplicas",
    "updatedReplicas",
    "availableReplicas",
    "collisionCount",
];
const DAEMONSET_COUNTERS: &[&str] = &[
    "observedGeneration",
    "currentNumberScheduled",
    "numberMisscheduled",
    "desiredNumberScheduled",
    "numberReady",
    "updatedNumberScheduled",
    "numberAvailable",
    "numberUnavailable",
    "collisionCount",
];
const JOB_COUNTERS: &[&str] = &["active", "succeeded", "failed", "terminating", "ready"];
const HPA_COUNTERS: &[&str] = &["observedGeneration", "currentReplicas", "desiredReplicas"];
const PDB_COUNTERS: &[&str] = &[
    "observedGeneration",
    "disruptionsAllowed",
    "currentHealthy",
    "desiredHealthy",
    "expectedPods",
];

#[allow(clippy::too_many_arguments)]
const fn b(
    group: &'static str,
    version: &'static str,
    kind: &'static str,
    plural: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    fields: &'static [&'static str],
    readiness: Readiness,
    counters: &'static [&'static str],
) -> Builtin {
    Builtin {
        group,
        version,
        kind,
        plural,
        short,
        namespaced,
        fields,
        readiness,
        counters,
        workload: matches!(
            readiness,
            Readiness::Deployment
                | Readiness::DaemonSet
                | Readiness::StatefulSet
                | Readiness::Replicas
        ),
    }
}

use Readiness as R;

/// The kinds every conformant cluster serves (names and short names as
/// `kubectl api-resources` lists them).
pub const BUILTINS: &[Builtin] = &[
    b(
        "",
        "v1",
        "Pod",
        "pods",
        &["po"],
        true,
        POD_FIELDS,
        R::ReadyCondition,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Service",
        "services",
        &["svc"],
        true,
        &["spec.clusterIP", "spec.type"],
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "ConfigMap",
        "configmaps",
        &["cm"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Secret",
        "secrets",
        &[],
        true,
        &["type"],
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Namespace",
        "namespaces",
        &["ns"],
        false,
        &["status.phase"],
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Node",
        "nodes",
        &["no"],
        false,
        &["spec.unschedulable"],
        R::ReadyCondition,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Event",
        "events",
        &["ev"],
        true,
        EVENT_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "Endpoints",
        "endpoints",
        &["ep"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "PersistentVolume",
        "persistentvolumes",
        &["pv"],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        &["pvc"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "ServiceAccount",
        "serviceaccounts",
        &["sa"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "ReplicationController",
        "replicationcontrollers",
        &["rc"],
        true,
        &["status.replicas"],
        R::Replicas,
        REPLICASET_COUNTERS,
    ),
    b(
        "",
        "v1",
        "LimitRange",
        "limitranges",
        &["limits"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "ResourceQuota",
        "resourcequotas",
        &["quota"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "",
        "v1",
        "PodTemplate",
        "podtemplates",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "apps",
        "v1",
        "Deployment",
        "deployments",
        &["deploy"],
        true,
        NO_FIELDS,
        R::Deployment,
        DEPLOYMENT_COUNTERS,
    ),
    b(
        "apps",
        "v1",
        "ReplicaSet",
        "replicasets",
        &["rs"],
        true,
        &["status.replicas"],
        R::Replicas,
        REPLICASET_COUNTERS,
    ),
    b(
        "apps",
        "v1",
        "DaemonSet",
        "daemonsets",
        &["ds"],
        true,
        NO_FIELDS,
        R::DaemonSet,
        DAEMONSET_COUNTERS,
    ),
    b(
        "apps",
        "v1",
        "StatefulSet",
        "statefulsets",
        &["sts"],
        true,
        NO_FIELDS,
        R::StatefulSet,
        STATEFULSET_COUNTERS,
    ),
    b(
        "apps",
        "v1",
        "ControllerRevision",
        "controllerrevisions",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "batch",
        "v1",
        "Job",
        "jobs",
        &[],
        true,
        &["status.successful"],
        R::Job,
        JOB_COUNTERS,
    ),
    b(
        "batch",
        "v1",
        "CronJob",
        "cronjobs",
        &["cj"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "autoscaling",
        "v2",
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        &["hpa"],
        true,
        NO_FIELDS,
        R::None,
        HPA_COUNTERS,
    ),
    b(
        "networking.k8s.io",
        "v1",
        "Ingress",
        "ingresses",
        &["ing"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "networking.k8s.io",
        "v1",
        "IngressClass",
        "ingressclasses",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "networking.k8s.io",
        "v1",
        "NetworkPolicy",
        "networkpolicies",
        &["netpol"],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "discovery.k8s.io",
        "v1",
        "EndpointSlice",
        "endpointslices",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "policy",
        "v1",
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        &["pdb"],
        true,
        NO_FIELDS,
        R::None,
        PDB_COUNTERS,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "Role",
        "roles",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "RoleBinding",
        "rolebindings",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRole",
        "clusterroles",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "rbac.authorization.k8s.io",
        "v1",
        "ClusterRoleBinding",
        "clusterrolebindings",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "storage.k8s.io",
        "v1",
        "StorageClass",
        "storageclasses",
        &["sc"],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "storage.k8s.io",
        "v1",
        "CSIDriver",
        "csidrivers",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "storage.k8s.io",
        "v1",
        "CSINode",
        "csinodes",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "storage.k8s.io",
        "v1",
        "VolumeAttachment",
        "volumeattachments",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
        &["crd", "crds"],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "certificates.k8s.io",
        "v1",
        "CertificateSigningRequest",
        "certificatesigningrequests",
        &["csr"],
        false,
        &["spec.signerName"],
        R::None,
        NO_COUNTERS,
    ),
    b(
        "coordination.k8s.io",
        "v1",
        "Lease",
        "leases",
        &[],
        true,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "scheduling.k8s.io",
        "v1",
        "PriorityClass",
        "priorityclasses",
        &["pc"],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "admissionregistration.k8s.io",
        "v1",
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "admissionregistration.k8s.io",
        "v1",
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    b(
        "apiregistration.k8s.io",
        "v1",
        "APIService",
        "apiservices",
        &[],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
    // Served until Kubernetes 1.25 (policy/v1beta1); decks of that time use it.
    b(
        "policy",
        "v1beta1",
        "PodSecurityPolicy",
        "podsecuritypolicies",
        &["psp"],
        false,
        NO_FIELDS,
        R::None,
        NO_COUNTERS,
    ),
];

impl Builtin {
    /// Every field selector the API server accepts for this kind.
    /// `metadata.namespace` is refused for Node and Namespace, whose
    /// conversion functions list only `metadata.name` (conversion.go above).
    pub fn field_selectors(&self) -> Vec<&'static str> {
        let mut out = vec!["metadata.name"];
        if !matches!(self.kind, "Node" | "Namespace") {
            out.push("metadata.namespace");
        }
        out.extend_from_slice(self.fields);
        out
    }

    /// kubectl's spelling: `pods`, `deployments.apps`.
    pub fn display(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

fn catalog() -> &'static [ApiEntry] {
    static CATALOG: OnceLock<Vec<ApiEntry>> = OnceLock::new();
    CATALOG.get_or_init(|| {
        BUILTINS
            .iter()
            .map(|k| ApiEntry {
                resource: Resource {
                    group: k.group.to_string(),
                    version: k.version.to_string(),
                    kind: k.kind.to_string(),
                    plural: k.plural.to_string(),
                    namespaced: k.namespaced,
                    // Every built-in kind of this table is watchable.
                    watch: true,
                },
                singular: k.kind.to_lowercase(),
                short_names: k.short.iter().map(|s| s.to_string()).collect(),
            })
            .collect()
    })
}

/// The built-in kind `text` names, read the way kubectl reads a kind
/// (`po`, `Pod`, `pods`, `deployments.apps`, `apps/v1/Deployment`), with
/// the same resolver the cluster's discovery uses.
pub fn builtin(text: &str) -> Option<&'static Builtin> {
    let r = resolve(text.trim(), catalog())?;
    BUILTINS
        .iter()
        .find(|k| k.group == r.group && k.plural == r.plural)
}

/// The built-in kind whose Kind is `kind`, whatever its group (a
/// manifest's `kind` with its `apiVersion` not consulted).
pub fn by_kind_name(kind: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|k| k.kind == kind)
}

/// The built-in kind whose Kind is `kind` (as in `ownerReferences`).
pub fn by_kind(group: &str, kind: &str) -> Option<&'static Builtin> {
    BUILTINS.iter().find(|k| k.group == group && k.kind == kind)
}

/// Whether `text` may name a custom resource, for `lint`: a kind that is
/// not built-in is accepted (the cluster's discovery decides) unless it is
/// a near miss of a built-in name with no group to set it apart:
/// `deploymnts`, `Deploymet`, `pdos`. A near miss is within Damerau-
/// Levenshtein distance 1 of a built-in name or Kind (2 for names of 10
/// letters or more). `crontabs`, `ct` or `certificates.cert-manager.io`
/// are left alone. Returns the name meant.
pub fn near_miss(text: &str) -> Option<String> {
    let t = text.trim();
    if t.contains(['.', '/']) || builtin(t).is_some() {
        return None;
    }
    let lower = t.to_lowercase();
    let limit = if lower.chars().count() >= 10 { 2 } else { 1 };
    let mut best: Option<(usize, String)> = None;
    for k in BUILTINS {
        let singular = k.kind.to_lowercase();
        let names = [k.plural, singular.as_str()]
            .into_iter()
            .chain(k.short.iter().copied());
        for name in names {
            // Short names are 2-3 letters: any 2-letter word is one edit
            // from one of them, so only exact matches count there.
            if name.len() < 4 {
                continue;
            }
            let d = edit_distance(&lower, name);
            if d <= limit && best.as_ref().is_none_or(|(bd, _)| d < *bd) {
                best = Some((d, name.to_string()));
            }
        }
    }
    best.map(|(_, n)| n)
}

/// Optimal string alignment distance (Damerau-Levenshtein with adjacent
/// transpositions), on characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let w = b.len() + 1;
    let mut d = vec![0usize; (a.len() + 1) * w];
    for i in 0..=a.len() {
        d[i * w] = i;
    }
    for (j, cell) in d.iter_mut().enumerate().take(w) {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (d[(i - 1) * w + j] + 1)
                .min(d[i * w + j - 1] + 1)
                .min(d[(i - 1) * w + j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(d[(i - 2) * w + j - 2] + 1);
            }
            d[i * w + j] = v;
        }
    }
    d[a.len() * w + b.len()]
}

/// The STATUS words `kubectl get` can print for a kind, when labdeck knows
/// them, for `phase`. `None`: any word (custom resources: `status.phase`).
pub fn phase_words(k: &Builtin) -> PhaseWords {
    match k.kind {
        "Pod" => PhaseWords::Pod,
        // printNamespace: status.phase.
        "Namespace" => PhaseWords::Fixed(&["Active", "Terminating"]),
        // printPersistentVolume / printPersistentVolumeClaim: status.phase,
        // or "Terminating" while being deleted.
        "PersistentVolume" => PhaseWords::Fixed(&[
            "Pending",
            "Available",
            "Bound",
            "Released",
            "Failed",
            "Terminating",
        ]),
        "PersistentVolumeClaim" => PhaseWords::Fixed(&["Pending", "Bound", "Lost", "Terminating"]),
        // printJob's STATUS column.
        "Job" => PhaseWords::Fixed(&[
            "Complete",
            "Failed",
            "Terminating",
            "Suspended",
            "FailureTarget",
            "SuccessCriteriaMet",
            "Running",
        ]),
        _ => PhaseWords::Fixed(&[]),
    }
}

/// Which `phase` words can match a kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhaseWords {
    /// kubectl's pod STATUS column: see [`POD_STATUS_WORDS`].
    Pod,
    /// Exactly these (none: the kind has no phase).
    Fixed(&'static [&'static str]),
}

/// Words kubectl's pod STATUS column shows (printPod, see eval.rs): the
/// pod phases, kubectl's own words, the kubelet's container waiting and
/// terminated reasons, and pod `status.reason`s. `Init:...`, `ExitCode:N`
/// and `Signal:N` are accepted as prefixes.
pub const POD_STATUS_WORDS: &[&str] = &[
    "Pending",
    "Running",
    "Succeeded",
    "Failed",
    "Unknown",
    "Completed",
    "Terminating",
    "NotReady",
    "SchedulingGated",
    "ContainerCreating",
    "PodInitializing",
    "CrashLoopBackOff",
    "ImagePullBackOff",
    "ErrImagePull",
    "ErrImageNeverPull",
    "InvalidImageName",
    "CreateContainerConfigError",
    "CreateContainerError",
    "RunContainerError",
    "PreStartHookError",
    "PostStartHookError",
    "ContainerStatusUnknown",
    "ContainerCannotRun",
    "StartError",
    "Error",
    "OOMKilled",
    "DeadlineExceeded",
    "Evicted",
    "NodeLost",
    "NodeAffinity",
    "Shutdown",
    "UnexpectedAdmissionError",
];

/// Whether `word` is a STATUS kubectl can show for a pod.
pub fn is_pod_status_word(word: &str) -> bool {
    POD_STATUS_WORDS.contains(&word)
        || word.strip_prefix("Init:").is_some_and(|r| !r.is_empty())
        || ["ExitCode:", "Signal:"].iter().any(|p| {
            word.strip_prefix(p)
                .is_some_and(|n| n.trim_start_matches('-').parse::<i64>().is_ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_spellings_of_the_one_table() {
        for n in [
            "deploy",
            "deployment",
            "deployments",
            "Deployment",
            "deployments.apps",
        ] {
            assert_eq!(builtin(n).map(|k| k.kind), Some("Deployment"), "{n}");
        }
        assert_eq!(builtin("svc").map(|k| k.kind), Some("Service"));
        assert_eq!(builtin("ns").map(|k| k.namespaced), Some(false));
        assert_eq!(builtin("netpol").map(|k| k.kind), Some("NetworkPolicy"));
        assert_eq!(builtin("psp").map(|k| k.kind), Some("PodSecurityPolicy"));
        assert!(builtin("coffees").is_none());
        assert!(builtin("deployments.example.com").is_none());
        let mut workloads: Vec<&str> = BUILTINS
            .iter()
            .filter(|k| k.workload)
            .map(|k| k.kind)
            .collect();
        workloads.sort_unstable();
        assert_eq!(
            workloads,
            [
                "DaemonSet",
                "Deployment",
                "ReplicaSet",
                "ReplicationController",
                "StatefulSet"
            ]
        );
        assert!(!by_kind_name("Job").is_some_and(|b| b.workload));
    }

    #[test]
    fn names_resolve_like_kind_does() {
        for (text, kind) in [
            ("rs", "ReplicaSet"),
            ("ReplicaSet", "ReplicaSet"),
            ("replicasets.apps", "ReplicaSet"),
            ("replicaset", "ReplicaSet"),
            ("deploy", "Deployment"),
            ("apps/v1/Deployment", "Deployment"),
            ("po", "Pod"),
            ("cj", "CronJob"),
            ("jobs.batch", "Job"),
        ] {
            assert_eq!(builtin(text).map(|b| b.kind), Some(kind), "{text}");
        }
        assert!(builtin("crontabs").is_none());
        assert!(builtin("deploymnts").is_none());
    }

    #[test]
    fn near_misses_are_told_from_custom_resources() {
        assert_eq!(near_miss("deploymnts").as_deref(), Some("deployments"));
        assert_eq!(near_miss("Deploymet").as_deref(), Some("deployment"));
        assert_eq!(near_miss("pdos").as_deref(), Some("pods"));
        assert_eq!(near_miss("sevices").as_deref(), Some("services"));
        for ok in [
            "crontabs",
            "ct",
            "deployments",
            "deploy",
            "certificates.cert-manager.io",
            "widgets",
            "Rollout",
            "pod",
        ] {
            assert_eq!(near_miss(ok), None, "{ok}");
        }
    }

    #[test]
    fn field_selectors_per_kind() {
        let pods = builtin("pods").unwrap().field_selectors();
        assert!(pods.contains(&"status.phase") && pods.contains(&"metadata.namespace"));
        let deploy = builtin("deploy").unwrap().field_selectors();
        assert_eq!(deploy, vec!["metadata.name", "metadata.namespace"]);
        let nodes = builtin("nodes").unwrap().field_selectors();
        assert_eq!(nodes, vec!["metadata.name", "spec.unschedulable"]);
    }

    #[test]
    fn pod_status_words() {
        for w in [
            "Running",
            "CrashLoopBackOff",
            "Init:0/1",
            "Init:Error",
            "ExitCode:137",
            "Signal:9",
            "Terminating",
        ] {
            assert!(is_pod_status_word(w), "{w}");
        }
        for w in ["Init:", "Bound", "Active", "running", "ExitCode:x"] {
            assert!(!is_pod_status_word(w), "{w}");
        }
    }
}
