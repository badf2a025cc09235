//! Resolving a kind as a check writes it to a served resource, the way
//! kubectl does: plural, singular, short name or Kind (any case), optionally
//! qualified as `name.group`, `name.version.group` or `group/version/Kind`.
//! Core resources win over same-named ones in other groups, then groups in
//! the order the server lists them.

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
    /// (`pods/log`) and resources that cannot be listed and watched.
    pub fn from_list(
        group: &str,
        version: &str,
        list: &k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList,
    ) -> Vec<ApiEntry> {
        list.resources
            .iter()
            .filter(|r| !r.name.contains('/'))
            .filter(|r| r.verbs.iter().any(|v| v == "list") && r.verbs.iter().any(|v| v == "watch"))
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
    /// versions in preference order, of which the first is kept.
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
            let Some(v) = g.versions.first() else {
                continue;
            };
            let version = v.version.clone().unwrap_or_default();
            for r in &v.resources {
                let (Some(plural), Some(kind)) = (
                    r.resource.clone(),
                    r.response_kind.as_ref().and_then(|k| k.kind.clone()),
                ) else {
                    continue;
                };
                if !(r.verbs.iter().any(|v| v == "list") && r.verbs.iter().any(|v| v == "watch")) {
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
        out
    }

    fn names(&self, name: &str) -> bool {
        let n = name.to_lowercase();
        self.resource.plural == n
            || self.singular == n
            || self.short_names.contains(&n)
            || self.resource.kind.to_lowercase() == n
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
    /// All the readings of `text`: `a.b.c` may be `a` in group `b.c` or `a`
    /// at version `b` of group `c`.
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
                out.push(KindRef {
                    name: name.to_string(),
                    group: Some(rest.to_string()),
                    version: None,
                });
                if let Some((version, group)) = rest.split_once('.') {
                    out.push(KindRef {
                        name: name.to_string(),
                        group: Some(group.to_string()),
                        version: Some(version.to_string()),
                    });
                }
            }
        }
        out
    }
}

/// Finds `text` in `catalog` (core group first, then groups in server
/// order; preferred versions unless a version is given).
pub fn resolve(text: &str, catalog: &[ApiEntry]) -> Option<Resource> {
    for r in KindRef::readings(text) {
        let found = catalog.iter().find(|e| {
            r.group.as_ref().is_none_or(|g| *g == e.resource.group)
                && r.version.as_ref().is_none_or(|v| *v == e.resource.version)
                && e.names(&r.name)
        });
        if let Some(e) = found {
            return Some(e.resource.clone());
        }
    }
    None
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
        assert!(resolve("deployments.extensions", &c).is_none());
        assert!(resolve("apps/v2/Deployment", &c).is_none());
    }
}
