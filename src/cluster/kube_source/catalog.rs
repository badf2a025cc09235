//! Discovery, read only as far as the kinds asked for need it.
//!
//! kubectl reads all of discovery before resolving one kind: on a server
//! without aggregated discovery (before 1.26) that is `/api`, `/api/v1`,
//! `/apis` and one GET per group version, 39 requests on a 1.20 control
//! plane. A check knows more: `pods` is a built-in kind of the core group,
//! `deploy` one of `apps` (the engine says so, from `crate::kinds`), and
//! `certificates.cert-manager.io` names its group. So:
//!
//! - a core kind reads `/api/v1` alone (core `v1` is first in kubectl's
//!   priority order, so an exact name found there is kubectl's answer);
//! - a kind of a known group reads `/apis` (which, on a server with
//!   aggregated discovery, tells every group at once) and then, on an older
//!   server, that group's preferred version, and its other versions only if
//!   the kind is not at the preferred one (`restmapper/discovery.go`);
//! - any other kind (a custom resource named without its group) reads
//!   everything, as kubectl does.
//!
//! Documents are kept for the life of the source (every exercise of a run,
//! every run of `serve` and `run`), and shared by the sources of one
//! [`DiscoveryShare`] that reach the same server (`grade`: a class on one
//! cluster). A kind not found reads its documents once more (a CRD may just
//! have been installed, as kubectl refreshes its cache on a miss).

use std::collections::HashMap;
use std::sync::Arc;

use super::{ACCEPT_DISCOVERY, Discovery, KubeSource};
use crate::cluster::discovery::{ApiEntry, KindRef, preferred_first, resolve};
use crate::cluster::{ClusterError, Resource};

/// What discovery told so far, document by document.
#[derive(Default)]
pub(super) struct Documents {
    /// `/api/v1`.
    core: Option<Arc<Vec<ApiEntry>>>,
    /// `/apis`.
    groups: Option<Groups>,
    /// `/apis/G/V` (servers without aggregated discovery).
    versions: HashMap<(String, String), Arc<Vec<ApiEntry>>>,
}

#[derive(Clone)]
enum Groups {
    /// Aggregated discovery: every group at every version, in priority order.
    All(Arc<Vec<ApiEntry>>),
    /// An `APIGroupList`: (group, preferred version, versions), server order.
    Listed(Arc<Vec<(String, String, Vec<String>)>>),
}

/// Which groups a kind may be in.
enum Scope {
    /// Only these (named in the kind, or the built-in kind's group).
    Groups(Vec<String>),
    /// Any: a name only the whole of discovery can resolve.
    All,
}

/// Identifies one API server as a client reaches it: its URL, the CA it is
/// trusted by, the name its certificate is checked against, the proxy. Two
/// kubeconfigs equal in these reach the same server, whose discovery is
/// the same for every user (kube-apiserver's discovery handlers do not
/// filter by user; RBAC's `system:discovery` lets every authenticated user
/// read it). The user is not part of the key: a student whose credentials
/// are refused still gets 401 on the first list.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct ServerKey {
    pub url: String,
    pub ca: Option<Vec<Vec<u8>>>,
    pub server_name: Option<String>,
    pub proxy: Option<String>,
    pub insecure: bool,
}

/// Discovery documents shared by the sources that reach the same server
/// ([`KubeSource::sharing`]): a class of 30 contexts on one cluster reads
/// discovery once, not 30 times. Only answers are shared, never errors.
#[derive(Default)]
pub struct DiscoveryShare {
    servers: std::sync::Mutex<HashMap<ServerKey, Arc<tokio::sync::Mutex<Documents>>>>,
}

impl DiscoveryShare {
    pub(super) fn documents(&self, key: &ServerKey) -> Arc<tokio::sync::Mutex<Documents>> {
        self.servers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entry(key.clone())
            .or_default()
            .clone()
    }
}

impl Scope {
    fn of(kind: &str, likely_group: Option<&str>) -> Scope {
        let readings = KindRef::readings(kind);
        if readings.iter().all(|r| r.group.is_some()) {
            let mut groups: Vec<String> = readings.into_iter().filter_map(|r| r.group).collect();
            groups.dedup();
            return Scope::Groups(groups);
        }
        match likely_group {
            Some(g) => Scope::Groups(vec![g.to_string()]),
            None => Scope::All,
        }
    }

    fn core(&self) -> bool {
        match self {
            Scope::All => true,
            Scope::Groups(g) => g.iter().any(String::is_empty),
        }
    }

    fn wants(&self, group: &str) -> bool {
        match self {
            Scope::All => true,
            Scope::Groups(g) => g.iter().any(|x| x == group),
        }
    }

    fn any_group(&self) -> bool {
        match self {
            Scope::All => true,
            Scope::Groups(g) => g.iter().any(|x| !x.is_empty()),
        }
    }
}

impl KubeSource {
    /// Resolves `kind`, reading what [`Scope`] says is needed, and once
    /// more on a miss. `Ok(None)`: not served.
    pub(super) async fn find(
        &self,
        docs: &mut Documents,
        kind: &str,
        likely_group: Option<&str>,
    ) -> Result<Option<Resource>, ClusterError> {
        let scope = Scope::of(kind, likely_group);
        if let Some(r) = self.find_in(docs, kind, &scope, false).await? {
            return Ok(Some(r));
        }
        self.find_in(docs, kind, &scope, true).await
    }

    async fn find_in(
        &self,
        docs: &mut Documents,
        kind: &str,
        scope: &Scope,
        refresh: bool,
    ) -> Result<Option<Resource>, ClusterError> {
        let mut catalog: Vec<ApiEntry> = Vec::new();
        if scope.core() {
            if refresh || docs.core.is_none() {
                docs.core = Some(Arc::new(self.group_version("", "v1").await?));
            }
            catalog.extend(docs.core.iter().flat_map(|c| c.iter().cloned()));
            // Core v1 comes first in kubectl's order: an exact name there
            // wins whatever the other groups serve.
            if let Some(r) = resolve(kind, &catalog)
                && !matches!(scope, Scope::All)
            {
                return Ok(Some(r));
            }
        }
        if !scope.any_group() {
            return Ok(resolve(kind, &catalog));
        }
        if refresh || docs.groups.is_none() {
            docs.groups = Some(self.group_list().await?);
        }
        let listed = match docs.groups.clone() {
            Some(Groups::All(all)) => {
                catalog.extend(all.iter().cloned());
                return Ok(resolve(kind, &catalog));
            }
            Some(Groups::Listed(listed)) => listed,
            None => return Ok(resolve(kind, &catalog)),
        };
        // Preferred versions first; the others only if still not found.
        for pass in [true, false] {
            for (group, preferred, versions) in listed.iter().filter(|(g, ..)| scope.wants(g)) {
                for v in versions.iter().filter(|v| (*v == preferred) == pass) {
                    let key = (group.clone(), v.clone());
                    let cached = docs.versions.contains_key(&key);
                    // On a refresh only the groups the kind names are read
                    // again; new groups and versions are read anyway.
                    let again = refresh && matches!(scope, Scope::Groups(_));
                    if cached && !again {
                        continue;
                    }
                    match self.group_version(group, v).await {
                        Ok(entries) => {
                            docs.versions.insert(key, Arc::new(entries));
                        }
                        Err(e @ (ClusterError::Unauthorized(_) | ClusterError::Forbidden(_))) => {
                            return Err(e);
                        }
                        // kubectl carries on when one aggregated group
                        // (metrics.k8s.io...) is down.
                        Err(_) => {}
                    }
                }
            }
            let mut ordered = catalog.clone();
            for (group, preferred, versions) in listed.iter().filter(|(g, ..)| scope.wants(g)) {
                let read: Vec<(String, Vec<ApiEntry>)> = versions
                    .iter()
                    .filter_map(|v| {
                        let e = docs.versions.get(&(group.clone(), v.clone()))?;
                        Some((v.clone(), e.to_vec()))
                    })
                    .collect();
                ordered.extend(preferred_first(preferred, read));
            }
            if let Some(r) = resolve(kind, &ordered) {
                return Ok(Some(r));
            }
        }
        Ok(None)
    }

    /// `/api/v1` or `/apis/G/V`.
    async fn group_version(
        &self,
        group: &str,
        version: &str,
    ) -> Result<Vec<ApiEntry>, ClusterError> {
        let path = if group.is_empty() {
            format!("/api/{version}")
        } else {
            format!("/apis/{group}/{version}")
        };
        let answer = self
            .get(&path, "application/json", &format!("discovery {path}"))
            .await?;
        let list: k8s_openapi::apimachinery::pkg::apis::meta::v1::APIResourceList =
            serde_json::from_slice(&answer.body).map_err(|e| {
                ClusterError::Other(format!("{}: discovery {path}: {e}", self.origin))
            })?;
        Ok(ApiEntry::from_list(group, version, &list))
    }

    /// `/apis`, asked with kubectl's `Accept` (client-go
    /// `discovery/discovery_client.go`): a server with aggregated discovery
    /// (1.26+) answers every group at every version; an older one the
    /// `APIGroupList`.
    async fn group_list(&self) -> Result<Groups, ClusterError> {
        let answer = self
            .get("/apis", ACCEPT_DISCOVERY, "discovery /apis")
            .await?;
        Ok(match answer.discovery("/apis", &self.origin)? {
            Discovery::Aggregated(list) => Groups::All(Arc::new(ApiEntry::from_aggregated(&list))),
            Discovery::Legacy(doc) => {
                let list: k8s_openapi::apimachinery::pkg::apis::meta::v1::APIGroupList =
                    serde_json::from_value(doc).map_err(|e| {
                        ClusterError::Other(format!("{}: discovery /apis: {e}", self.origin))
                    })?;
                let groups = list
                    .groups
                    .into_iter()
                    .map(|g| {
                        let versions: Vec<String> =
                            g.versions.iter().map(|v| v.version.clone()).collect();
                        let preferred = g
                            .preferred_version
                            .map(|p| p.version)
                            .or_else(|| versions.first().cloned())
                            .unwrap_or_default();
                        (g.name, preferred, versions)
                    })
                    .collect();
                Groups::Listed(Arc::new(groups))
            }
        })
    }
}
