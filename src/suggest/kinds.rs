//! The built-in kinds a suggestion can name: how kubectl spells them on the
//! command line (plural, singular, short names, `kind.group`), whether they
//! live in a namespace, and whether they roll out pods.
//!
//! Names and short names are those `kubectl api-resources` prints for a
//! stock cluster (the table kube-apiserver registers in
//! pkg/registry/*/rest/storage_*.go; short names from each resource's
//! `ShortNames()` in pkg/registry/*/*/storage/storage.go).

/// One built-in kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindInfo {
    pub kind: &'static str,
    pub plural: &'static str,
    pub group: &'static str,
    pub short: &'static [&'static str],
    pub namespaced: bool,
    /// Rolls out pods from a template (`ready` means rolled out).
    pub workload: bool,
}

const fn k(
    kind: &'static str,
    plural: &'static str,
    group: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    workload: bool,
) -> KindInfo {
    KindInfo {
        kind,
        plural,
        group,
        short,
        namespaced,
        workload,
    }
}

pub const KINDS: &[KindInfo] = &[
    k("Pod", "pods", "", &["po"], true, false),
    k("Service", "services", "", &["svc"], true, false),
    k("Namespace", "namespaces", "", &["ns"], false, false),
    k("ConfigMap", "configmaps", "", &["cm"], true, false),
    k("Secret", "secrets", "", &[], true, false),
    k(
        "ServiceAccount",
        "serviceaccounts",
        "",
        &["sa"],
        true,
        false,
    ),
    k("Endpoints", "endpoints", "", &["ep"], true, false),
    k("Node", "nodes", "", &["no"], false, false),
    k(
        "PersistentVolume",
        "persistentvolumes",
        "",
        &["pv"],
        false,
        false,
    ),
    k(
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "",
        &["pvc"],
        true,
        false,
    ),
    k("LimitRange", "limitranges", "", &["limits"], true, false),
    k(
        "ResourceQuota",
        "resourcequotas",
        "",
        &["quota"],
        true,
        false,
    ),
    k(
        "ReplicationController",
        "replicationcontrollers",
        "",
        &["rc"],
        true,
        true,
    ),
    k("Deployment", "deployments", "apps", &["deploy"], true, true),
    k("DaemonSet", "daemonsets", "apps", &["ds"], true, true),
    k("StatefulSet", "statefulsets", "apps", &["sts"], true, true),
    k("ReplicaSet", "replicasets", "apps", &["rs"], true, true),
    k("Job", "jobs", "batch", &[], true, false),
    k("CronJob", "cronjobs", "batch", &["cj"], true, false),
    k(
        "HorizontalPodAutoscaler",
        "horizontalpodautoscalers",
        "autoscaling",
        &["hpa"],
        true,
        false,
    ),
    k(
        "Ingress",
        "ingresses",
        "networking.k8s.io",
        &["ing"],
        true,
        false,
    ),
    k(
        "IngressClass",
        "ingressclasses",
        "networking.k8s.io",
        &[],
        false,
        false,
    ),
    k(
        "NetworkPolicy",
        "networkpolicies",
        "networking.k8s.io",
        &["netpol"],
        true,
        false,
    ),
    k(
        "PodDisruptionBudget",
        "poddisruptionbudgets",
        "policy",
        &["pdb"],
        true,
        false,
    ),
    k(
        "PodSecurityPolicy",
        "podsecuritypolicies",
        "policy",
        &["psp"],
        false,
        false,
    ),
    k(
        "Role",
        "roles",
        "rbac.authorization.k8s.io",
        &[],
        true,
        false,
    ),
    k(
        "RoleBinding",
        "rolebindings",
        "rbac.authorization.k8s.io",
        &[],
        true,
        false,
    ),
    k(
        "ClusterRole",
        "clusterroles",
        "rbac.authorization.k8s.io",
        &[],
        false,
        false,
    ),
    k(
        "ClusterRoleBinding",
        "clusterrolebindings",
        "rbac.authorization.k8s.io",
        &[],
        false,
        false,
    ),
    k(
        "StorageClass",
        "storageclasses",
        "storage.k8s.io",
        &["sc"],
        false,
        false,
    ),
    k(
        "PriorityClass",
        "priorityclasses",
        "scheduling.k8s.io",
        &["pc"],
        false,
        false,
    ),
    k(
        "CustomResourceDefinition",
        "customresourcedefinitions",
        "apiextensions.k8s.io",
        &["crd", "crds"],
        false,
        false,
    ),
    k(
        "ValidatingWebhookConfiguration",
        "validatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &[],
        false,
        false,
    ),
    k(
        "MutatingWebhookConfiguration",
        "mutatingwebhookconfigurations",
        "admissionregistration.k8s.io",
        &[],
        false,
        false,
    ),
    k(
        "CertificateSigningRequest",
        "certificatesigningrequests",
        "certificates.k8s.io",
        &["csr"],
        false,
        false,
    ),
    k(
        "APIService",
        "apiservices",
        "apiregistration.k8s.io",
        &[],
        false,
        false,
    ),
];

/// The kind a command-line resource name means (`deploy`, `deployments`,
/// `deployment.apps`, `Deployment`), as kubectl's RESTMapper resolves the
/// built-in ones.
pub fn resolve(name: &str) -> Option<&'static KindInfo> {
    let lower = name.to_ascii_lowercase();
    // `deployments.apps`, `deployment.v1.apps`: the resource before the first dot.
    let (resource, group) = match lower.split_once('.') {
        Some((r, g)) => (r.to_string(), Some(g.to_string())),
        None => (lower.clone(), None),
    };
    KINDS.iter().find(|k| {
        let names = resource == k.plural
            || resource == k.kind.to_ascii_lowercase()
            || k.short.contains(&resource.as_str());
        let group_ok = group.as_deref().is_none_or(|g| {
            g == k.group
                || g.ends_with(&format!(".{}", k.group))
                || (k.group.is_empty() && g == "v1")
        });
        names && group_ok
    })
}

/// The built-in kind named by a manifest's `kind` (exact Kind).
pub fn by_kind(kind: &str) -> Option<&'static KindInfo> {
    KINDS.iter().find(|k| k.kind == kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubectl_spellings() {
        for n in [
            "deploy",
            "deployment",
            "deployments",
            "Deployment",
            "deployments.apps",
        ] {
            assert_eq!(resolve(n).map(|k| k.kind), Some("Deployment"), "{n}");
        }
        assert_eq!(resolve("svc").map(|k| k.kind), Some("Service"));
        assert_eq!(resolve("ns").map(|k| k.namespaced), Some(false));
        assert_eq!(resolve("netpol").map(|k| k.kind), Some("NetworkPolicy"));
        assert!(resolve("coffees").is_none());
        assert!(resolve("deployments.example.com").is_none());
    }
}
