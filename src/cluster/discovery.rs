//! Resolving a kind as a check writes it to a served resource, the way
//! kubectl does: plural, singular, short name or Kind (any case), optionally
//! qualified as `name.group`, `name.version.group` or `group/version/Kind`,
//! over every version the server serves (not only each group's preferred).
//!
//! Priority, as kubectl's RESTMapper gives it:
//! - an exact plural, singular or Kind in any group beats a short name in
//!   another (`k8s.io/client-go/restmapper/shortcut.go`,
//!   `expandResourceShortcut`: "avoid expanding if there's an exact match to
//!   a full resource name");
//! - then core `v1` first, then groups in the order the server lists them,
//!   each at its preferred version, then its other versions "in case there
//!   are resources that only exist in those versions"
//!   (`k8s.io/client-go/restmapper/discovery.go`, `NewDiscoveryRESTMapper`).
//!
//! The catalog is kept in that priority order, so the first match wins.

use super::Resource;

/// One resource of a discovery document (`/api/v1`, `/apis/apps/v1`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiEntry {
    pub resource: Resource,
    pub singular: String,
    pub short_names: Vec<String>,
}

impl ApiEntry {
    /// Builds entries from a discovery document, dropping subresources
    /// (`pods/log`) and resources that cannot be listed.
    pub fn from_list(
        group: &str,
        version: &str,
        list: &k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList,
    ) -> Vec<ApiEntry> {
        list.resources
            .iter()
            .filter(|r| !r.name.contains('/'))
            .filter(|r| r.verbs.iter().any(|v| v == "list"))
            .map(|r| ApiEntry {
                resource: Resource {
                    group: r
                        .group
                        .clone()
                        .filter(|g| !g.is_empty())
                        .unwrap_or_else(|| group.to_string()),
                    version: r
                        .version
                        .clone()
                        .filter(|v| !v.is_empty())
                        .unwrap_or_else(|| version.to_string()),
                    kind: r.kind.clone(),
                    plural: r.name.clone(),
                    namespaced: r.namespaced,
                    watch: r.verbs.iter().any(|v| v == "watch"),
                },
                singular: if r.singular_name.is_empty() {
                    r.kind.to_lowercase()
                } else {
                    r.singular_name.clone()
                },
                short_names: r.short_names.clone().unwrap_or_default(),
            })
            .collect()
    }

    /// Builds entries from an aggregated discovery document (`/api` or
    /// `/apis` asked for `APIGroupDiscoveryList`): every group in one answer,
    /// versions in preference order ("sorted by preference, the first is the
    /// preferred version": KEP-3352, `apidiscovery/v2` types.go), all kept,
    /// in that order.
    pub fn from_aggregated(
        list: &kube::core::discovery::v2::APIGroupDiscoveryList,
    ) -> Vec<ApiEntry> {
        let mut out = Vec::new();
        for g in &list.items {
            let group = g
                .metadata
                .as_ref()
                .and_then(|m| m.name.clone())
                .unwrap_or_default();
            for v in &g.versions {
                let version = v.version.clone().unwrap_or_default();
                for r in &v.resources {
                    let (Some(plural), Some(kind)) = (
                        r.resource.clone(),
                        r.response_kind.as_ref().and_then(|k| k.kind.clone()),
                    ) else {
                        continue;
                    };
                    if !r.verbs.iter().any(|v| v == "list") {
                        continue;
                    }
                    let rk = r.response_kind.as_ref();
                    out.push(ApiEntry {
                        resource: Resource {
                            group: rk
                                .and_then(|k| k.group.clone())
                                .filter(|g| !g.is_empty())
                                .unwrap_or_else(|| group.clone()),
                            version: rk
                                .and_then(|k| k.version.clone())
                                .filter(|v| !v.is_empty())
                                .unwrap_or_else(|| version.clone()),
                            kind: kind.clone(),
                            plural,
                            namespaced: r.scope.as_deref() == Some("Namespaced"),
                            watch: r.verbs.iter().any(|v| v == "watch"),
                        },
                        singular: r
                            .singular_resource
                            .clone()
                            .filter(|s| !s.is_empty())
                            .unwrap_or_else(|| kind.to_lowercase()),
                        short_names: r.short_names.clone(),
                    });
                }
            }
        }
        out
    }

    /// The plural, singular or Kind (lower-cased: kubectl's RESTMapper maps
    /// `strings.ToLower(resource.Kind)` too).
    fn full_name(&self, n: &str) -> bool {
        self.resource.plural == n || self.singular == n || self.resource.kind.to_lowercase() == n
    }

    fn short_name(&self, n: &str) -> bool {
        self.short_names.iter().any(|s| s.to_lowercase() == n)
    }
}

/// A kind reference split into its parts (`deployments.v1.apps` ->
/// name `deployments`, version `v1`, group `apps`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindRef {
    pub name: String,
    /// `Some("")` for the core group written explicitly (`v1/Pod`).
    pub group: Option<String>,
    pub version: Option<String>,
}

impl KindRef {
    /// All the readings of `text`: `a.b.c` may be `a` at version `b` of group
    /// `c` or `a` in group `b.c`, tried in that order as kubectl does
    /// (`schema.ParseResourceArg`: the fully specified reading first).
    pub fn readings(text: &str) -> Vec<KindRef> {
        let text = text.trim();
        if let Some((gv, name)) = text.rsplit_once('/') {
            let (group, version) = match gv.split_once('/') {
                Some((g, v)) => (g.to_string(), v.to_string()),
                None => (String::new(), gv.to_string()),
            };
            return vec![KindRef {
                name: name.to_string(),
                group: Some(group),
                version: Some(version),
            }];
        }
        let mut out = vec![];
        match text.split_once('.') {
            None => out.push(KindRef {
                name: text.to_string(),
                group: None,
                version: None,
            }),
            Some((name, rest)) => {
                if let Some((version, group)) = rest.split_once('.') {
                    out.push(KindRef {
                        name: name.to_string(),
                        group: Some(group.to_string()),
                        version: Some(version.to_string()),
                    });
                }
                out.push(KindRef {
                    name: name.to_string(),
                    group: Some(rest.to_string()),
                    version: None,
                });
            }
        }
        out
    }
}

/// Finds `text` in `catalog` (in priority order, see the module comment):
/// an exact name first, a short name only when no resource has that exact
/// name in the groups the reading allows.
pub fn resolve(text: &str, catalog: &[ApiEntry]) -> Option<Resource> {
    for r in KindRef::readings(text) {
        let n = r.name.to_lowercase();
        let allowed = |e: &&ApiEntry| {
            r.group.as_ref().is_none_or(|g| *g == e.resource.group)
                && r.version.as_ref().is_none_or(|v| *v == e.resource.version)
        };
        let found = catalog
            .iter()
            .filter(allowed)
            .find(|e| e.full_name(&n))
            .or_else(|| catalog.iter().filter(allowed).find(|e| e.short_name(&n)));
        if let Some(e) = found {
            return Some(e.resource.clone());
        }
    }
    None
}

/// Orders the entries of one group's versions as kubectl's RESTMapper ranks
/// them: `preferred` first, then the others in the order the server listed
/// them (`restmapper/discovery.go`).
pub(crate) fn preferred_first(
    preferred: &str,
    versions: Vec<(String, Vec<ApiEntry>)>,
) -> Vec<ApiEntry> {
    let (first, rest): (Vec<_>, Vec<_>) = versions.into_iter().partition(|(v, _)| v == preferred);
    first.into_iter().chain(rest).flat_map(|(_, e)| e).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(group: &str, version: &str, kind: &str, plural: &str, short: &[&str]) -> ApiEntry {
        ApiEntry {
            resource: Resource {
                group: group.into(),
                version: version.into(),
                kind: kind.into(),
                plural: plural.into(),
                namespaced: true,
                watch: true,
            },
            singular: kind.to_lowercase(),
            short_names: short.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn catalog() -> Vec<ApiEntry> {
        vec![
            entry("", "v1", "Pod", "pods", &["po"]),
            entry("", "v1", "Event", "events", &["ev"]),
            entry("apps", "v1", "Deployment", "deployments", &["deploy"]),
            entry("apps", "v1", "DaemonSet", "daemonsets", &["ds"]),
            entry("events.k8s.io", "v1", "Event", "events", &["ev"]),
            entry("stable.example.com", "v1", "CronTab", "crontabs", &["ct"]),
        ]
    }

    #[test]
    fn resolves_like_kubectl() {
        let c = catalog();
        for (text, plural, group) in [
            ("pods", "pods", ""),
            ("pod", "pods", ""),
            ("Pod", "pods", ""),
            ("po", "pods", ""),
            ("PODS", "pods", ""),
            ("v1/Pod", "pods", ""),
            ("deploy", "deployments", "apps"),
            ("Deployment", "deployments", "apps"),
            ("deployments.apps", "deployments", "apps"),
            ("deployments.v1.apps", "deployments", "apps"),
            ("apps/v1/Deployment", "deployments", "apps"),
            ("ds", "daemonsets", "apps"),
            ("events", "events", ""),
            ("events.events.k8s.io", "events", "events.k8s.io"),
            ("ct", "crontabs", "stable.example.com"),
            (
                "CronTab.stable.example.com",
                "crontabs",
                "stable.example.com",
            ),
        ] {
            let r = resolve(text, &c).unwrap_or_else(|| panic!("{text} unresolved"));
            assert_eq!(
                (r.plural.as_str(), r.group.as_str()),
                (plural, group),
                "{text}"
            );
        }
        assert!(resolve("widgets", &c).is_none());
        assert!(resolve("v1.apps", &c).is_none());
        assert!(resolve("deployments.extensions", &c).is_none());
        assert!(resolve("apps/v2/Deployment", &c).is_none());
    }

    fn at(e: ApiEntry, verbs_watch: bool) -> ApiEntry {
        let mut e = e;
        e.resource.watch = verbs_watch;
        e
    }

    #[test]
    fn every_served_version_resolves_preferred_first() {
        // autoscaling v2 preferred, v1 still served; Gateway API's
        // ReferenceGrant only at v1beta1 while v1 is preferred.
        let c = vec![
            entry("", "v1", "Pod", "pods", &["po"]),
            entry(
                "autoscaling",
                "v2",
                "HorizontalPodAutoscaler",
                "horizontalpodautoscalers",
                &["hpa"],
            ),
            entry(
                "autoscaling",
                "v1",
                "HorizontalPodAutoscaler",
                "horizontalpodautoscalers",
                &["hpa"],
            ),
            entry(
                "gateway.networking.k8s.io",
                "v1",
                "Gateway",
                "gateways",
                &["gtw"],
            ),
            entry(
                "gateway.networking.k8s.io",
                "v1beta1",
                "Gateway",
                "gateways",
                &["gtw"],
            ),
            entry(
                "gateway.networking.k8s.io",
                "v1beta1",
                "ReferenceGrant",
                "referencegrants",
                &["refgrant"],
            ),
            at(
                entry("metrics.k8s.io", "v1beta1", "PodMetrics", "pods", &[]),
                false,
            ),
        ];
        for (text, version, plural) in [
            ("hpa", "v2", "horizontalpodautoscalers"),
            ("HorizontalPodAutoscaler", "v2", "horizontalpodautoscalers"),
            (
                "autoscaling/v1/HorizontalPodAutoscaler",
                "v1",
                "horizontalpodautoscalers",
            ),
            (
                "horizontalpodautoscalers.v1.autoscaling",
                "v1",
                "horizontalpodautoscalers",
            ),
            (
                "horizontalpodautoscalers.autoscaling",
                "v2",
                "horizontalpodautoscalers",
            ),
            ("ReferenceGrant", "v1beta1", "referencegrants"),
            ("refgrant", "v1beta1", "referencegrants"),
            (
                "gateways.v1beta1.gateway.networking.k8s.io",
                "v1beta1",
                "gateways",
            ),
            ("gtw", "v1", "gateways"),
        ] {
            let r = resolve(text, &c).unwrap_or_else(|| panic!("{text} unresolved"));
            assert_eq!(
                (r.version.as_str(), r.plural.as_str()),
                (version, plural),
                "{text}"
            );
        }
        // Core pods beat metrics.k8s.io pods; that one is reachable by group.
        assert_eq!(resolve("pods", &c).map(|r| r.group), Some(String::new()));
        let m = resolve("pods.metrics.k8s.io", &c).expect("metrics pods");
        assert_eq!((m.kind.as_str(), m.watch), ("PodMetrics", false));
        assert!(resolve("autoscaling/v3/HorizontalPodAutoscaler", &c).is_none());
    }

    #[test]
    fn exact_name_in_any_group_beats_a_short_name() {
        // A CRD whose short name is another resource's plural: kubectl
        // resolves the exact plural (shortcut.go), whatever the group order.
        let c = vec![
            entry("", "v1", "Pod", "pods", &["po"]),
            entry("example.com", "v1", "Widget", "widgets", &["gizmos"]),
            entry("zz.example.com", "v1", "Gizmo", "gizmos", &["gz"]),
        ];
        let r = resolve("gizmos", &c).expect("gizmos");
        assert_eq!(r.group, "zz.example.com");
        assert_eq!(
            resolve("Gizmo", &c).map(|r| r.group),
            Some("zz.example.com".into())
        );
        assert_eq!(resolve("gz", &c).map(|r| r.plural), Some("gizmos".into()));
        // Restricted to a group, the short name of that group applies.
        let r = resolve("gizmos.example.com", &c).expect("short name in its group");
        assert_eq!(r.plural, "widgets");
    }

    #[test]
    fn preferred_version_first_then_the_others() {
        let v = |ver: &str| (ver.to_string(), vec![entry("g", ver, "K", "ks", &[])]);
        let order: Vec<String> = preferred_first("v2", vec![v("v1"), v("v2"), v("v1beta1")])
            .into_iter()
            .map(|e| e.resource.version)
            .collect();
        assert_eq!(order, ["v2", "v1", "v1beta1"]);
    }
}
