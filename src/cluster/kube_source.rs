//! [`ClusterSource`] over a real `kube::Client`: kubeconfig loading as
//! kubectl does it, discovery for kind resolution, list and watch.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, WatchEvent};
use kube::{Client, Config};
use serde_json::Value;
use tokio::sync::Mutex;

use super::discovery::{ApiEntry, resolve};
use super::{Change, Changes, ClusterError, ClusterSource, Listing, Query, Resource};

/// How to reach a cluster.
#[derive(Debug, Clone)]
pub struct ConnectOptions {
    /// `--kubeconfig`; otherwise `KUBECONFIG` (several files merged), then
    /// `~/.kube/config`.
    pub kubeconfig: Option<PathBuf>,
    /// `--context`; otherwise the kubeconfig's current context.
    pub context: Option<String>,
    /// TCP (and TLS) connect timeout.
    pub connect_timeout: Duration,
    /// Longest wait for any one answer (a slow server is an error, not a hang).
    pub request_timeout: Duration,
}

impl Default for ConnectOptions {
    fn default() -> Self {
        ConnectOptions {
            kubeconfig: None,
            context: None,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(20),
        }
    }
}

type Catalog = Result<Arc<Vec<ApiEntry>>, ClusterError>;

/// A cluster reached through `kube`. Discovery answers are cached for the
/// life of the value (one engine run), errors included, so a dead cluster
/// costs one timeout, not one per exercise.
pub struct KubeSource {
    client: Client,
    name: String,
    /// How errors name the cluster: `context student-07 (https://10.0.0.7:6443)`.
    origin: String,
    namespace: String,
    request_timeout: Duration,
    /// The last discovery answer (or failure), shared by every resolution.
    catalog: Mutex<Option<Catalog>>,
}

impl KubeSource {
    /// Loads the kubeconfig the way kubectl does and prepares a client. No
    /// request is sent yet.
    pub async fn connect(opts: &ConnectOptions) -> Result<KubeSource, ClusterError> {
        let (kubeconfig, origin) = match &opts.kubeconfig {
            Some(path) => (Kubeconfig::read_from(path), path.display().to_string()),
            None => (
                Kubeconfig::read(),
                match std::env::var_os("KUBECONFIG") {
                    Some(v) => format!("KUBECONFIG={}", v.to_string_lossy()),
                    None => "~/.kube/config".to_string(),
                },
            ),
        };
        let kubeconfig =
            kubeconfig.map_err(|e| ClusterError::Config(format!("kubeconfig {origin}: {e}")))?;
        Self::from_kubeconfig(kubeconfig, opts).await
    }

    /// Prepares a client from an already loaded kubeconfig (`grade` reads a
    /// folder of them), using `opts.context` or the current context.
    pub async fn from_kubeconfig(
        kubeconfig: Kubeconfig,
        opts: &ConnectOptions,
    ) -> Result<KubeSource, ClusterError> {
        let context = opts
            .context
            .clone()
            .or_else(|| kubeconfig.current_context.clone());
        if let Some(c) = &context
            && !kubeconfig.contexts.iter().any(|n| n.name == *c)
        {
            return Err(ClusterError::Config(format!(
                "context {c:?} not found in kubeconfig"
            )));
        }
        let kco = KubeConfigOptions {
            context: context.clone(),
            ..Default::default()
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &kco)
            .await
            .map_err(|e| {
                ClusterError::Config(format!(
                    "context {}: {e}",
                    context.as_deref().unwrap_or("(current)")
                ))
            })?;
        let name = context.unwrap_or_else(|| config.cluster_url.to_string());
        Self::from_config(&mut config, name, opts)
    }

    fn from_config(
        config: &mut Config,
        name: String,
        opts: &ConnectOptions,
    ) -> Result<KubeSource, ClusterError> {
        config.connect_timeout = Some(opts.connect_timeout);
        config.read_timeout = Some(opts.request_timeout);
        config.write_timeout = Some(opts.request_timeout);
        let namespace = config.default_namespace.clone();
        let client = Client::try_from(config.clone())
            .map_err(|e| ClusterError::Config(format!("{name}: {e}")))?;
        let origin = format!("context {name} ({})", config.cluster_url);
        let mut source = Self::from_client(client, name, namespace, opts.request_timeout);
        source.origin = origin;
        Ok(source)
    }

    /// Wraps an existing client (tests, or callers with their own config).
    pub fn from_client(
        client: Client,
        name: impl Into<String>,
        namespace: impl Into<String>,
        request_timeout: Duration,
    ) -> KubeSource {
        let name = name.into();
        KubeSource {
            client,
            origin: name.clone(),
            name,
            namespace: namespace.into(),
            request_timeout,
            catalog: Mutex::new(None),
        }
    }

    async fn timed<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, ClusterError> {
        let what = &format!("{}: {what}", self.origin);
        match tokio::time::timeout(self.request_timeout, fut).await {
            Ok(r) => r.map_err(|e| classify(e, what)),
            Err(_) => Err(ClusterError::Unreachable(format!(
                "{what}: no answer within {}",
                humantime::format_duration(self.request_timeout)
            ))),
        }
    }

    /// Aggregated discovery (one request for every group, Kubernetes 1.30+,
    /// what kubectl uses); `None` when the server does not offer it.
    async fn aggregated(&self, core: bool) -> Result<Option<Vec<ApiEntry>>, ClusterError> {
        let answer = if core {
            self.timed(
                "discovery /api",
                self.client.list_core_api_versions_aggregated(),
            )
            .await
        } else {
            self.timed("discovery /apis", self.client.list_api_groups_aggregated())
                .await
        };
        match answer {
            // An older server answers the plain document, which has no items.
            Ok(list) if list.items.is_empty() => Ok(None),
            Ok(list) => Ok(Some(ApiEntry::from_aggregated(&list))),
            Err(
                e @ (ClusterError::Unreachable(_)
                | ClusterError::Unauthorized(_)
                | ClusterError::Forbidden(_)),
            ) => Err(e),
            Err(_) => Ok(None),
        }
    }

    async fn core_catalog(&self) -> Catalog {
        if let Some(entries) = self.aggregated(true).await? {
            return Ok(Arc::new(entries));
        }
        let list = self
            .timed(
                "discovery /api/v1",
                self.client.list_core_api_resources("v1"),
            )
            .await?;
        Ok(Arc::new(ApiEntry::from_list("", "v1", &list)))
    }

    /// The cached catalog, fetched on first use, and fetched again when the
    /// caller found `stale` lacking (a CRD installed since, as kubectl
    /// refreshes its discovery cache on a miss). Failures are cached too:
    /// a dead cluster costs one timeout per run, not one per kind.
    async fn catalog(&self, stale: Option<&Arc<Vec<ApiEntry>>>) -> Catalog {
        let mut cached = self.catalog.lock().await;
        match (&*cached, stale) {
            (Some(Err(e)), _) => return Err(e.clone()),
            (Some(Ok(c)), None) => return Ok(c.clone()),
            (Some(Ok(c)), Some(s)) if !Arc::ptr_eq(c, s) => return Ok(c.clone()),
            _ => {}
        }
        let fresh = self.full_catalog().await;
        *cached = Some(fresh.clone());
        fresh
    }

    /// Core plus the preferred version of every group, in server order.
    async fn full_catalog(&self) -> Catalog {
        // Both documents at once, as kubectl asks for them.
        let (core, groups) =
            futures::future::join(self.core_catalog(), self.aggregated(false)).await;
        let mut all = (*core?).clone();
        if let Some(entries) = groups? {
            all.extend(entries);
            return Ok(Arc::new(all));
        }
        let groups = self
            .timed("discovery /apis", self.client.list_api_groups())
            .await?;
        let gvs: Vec<(String, String)> = groups
            .groups
            .iter()
            .filter_map(|g| {
                let v = g
                    .preferred_version
                    .as_ref()
                    .map(|p| p.version.clone())
                    .or_else(|| g.versions.first().map(|v| v.version.clone()))?;
                Some((g.name.clone(), v))
            })
            .collect();
        let lists = futures::future::join_all(gvs.iter().map(|(g, v)| async move {
            let gv = format!("{g}/{v}");
            let what = format!("discovery /apis/{gv}");
            (
                g,
                v,
                self.timed(&what, self.client.list_api_group_resources(&gv))
                    .await,
            )
        }))
        .await;
        for (g, v, list) in lists {
            match list {
                Ok(list) => all.extend(ApiEntry::from_list(g, v, &list)),
                // kubectl too carries on when one aggregated group
                // (metrics.k8s.io...) is down; credentials problems
                // were already caught by /api/v1.
                Err(ClusterError::Unreachable(_)) | Err(ClusterError::Other(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(Arc::new(all))
    }

    fn api(&self, query: &Query) -> Api<DynamicObject> {
        let r = &query.resource;
        let ar = ApiResource {
            group: r.group.clone(),
            version: r.version.clone(),
            api_version: if r.group.is_empty() {
                r.version.clone()
            } else {
                format!("{}/{}", r.group, r.version)
            },
            kind: r.kind.clone(),
            plural: r.plural.clone(),
        };
        match (&query.namespace, r.namespaced) {
            (Some(ns), true) => Api::namespaced_with(self.client.clone(), ns, &ar),
            _ => Api::all_with(self.client.clone(), &ar),
        }
    }
}

impl ClusterSource for KubeSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn default_namespace(&self) -> &str {
        &self.namespace
    }

    async fn resolve_kind(&self, kind: &str) -> Result<Resource, ClusterError> {
        // One discovery for the whole run, core group first in the catalog.
        let catalog = self.catalog(None).await?;
        if let Some(r) = resolve(kind, &catalog) {
            return Ok(r);
        }
        resolve(kind, &self.catalog(Some(&catalog)).await?).ok_or_else(|| {
            ClusterError::UnknownKind(format!("the server doesn't have a resource type {kind:?}"))
        })
    }

    async fn list(&self, query: &Query) -> Result<Listing, ClusterError> {
        let mut lp = ListParams::default();
        if let Some(l) = &query.labels {
            lp = lp.labels(l);
        }
        if let Some(f) = &query.fields {
            lp = lp.fields(f);
        }
        let api = self.api(query);
        let what = format!("list {query}");
        let list = self.timed(&what, api.list(&lp)).await?;
        let objects = list
            .items
            .into_iter()
            .map(|o| to_json(&o))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Listing {
            objects,
            resource_version: list.metadata.resource_version.unwrap_or_default(),
        })
    }

    async fn watch(
        &self,
        query: &Query,
        resource_version: &str,
        timeout: Duration,
    ) -> Result<Changes, ClusterError> {
        // The server ends the watch after timeoutSeconds; keep it under the
        // read timeout so an idle watch is not mistaken for a dead server.
        let secs = timeout
            .min(self.request_timeout.saturating_sub(Duration::from_secs(1)))
            .as_secs()
            .clamp(1, 290) as u32;
        let mut wp = WatchParams::default().timeout(secs);
        if let Some(l) = &query.labels {
            wp = wp.labels(l);
        }
        if let Some(f) = &query.fields {
            wp = wp.fields(f);
        }
        let api = self.api(query);
        let what = format!("watch {query}");
        let stream = self.timed(&what, api.watch(&wp, resource_version)).await?;
        let what2 = format!("{}: {what}", self.origin);
        Ok(stream
            .map_err(move |e| classify(e, &what2))
            .and_then(|ev| async move {
                Ok(match ev {
                    WatchEvent::Added(o) | WatchEvent::Modified(o) => Change::Applied(to_json(&o)?),
                    WatchEvent::Deleted(o) => Change::Deleted(to_json(&o)?),
                    WatchEvent::Bookmark(b) => Change::Bookmark(b.metadata.resource_version),
                    WatchEvent::Error(s) if s.code == 410 => Change::Expired,
                    WatchEvent::Error(s) => return Err(status_error(s.code, &s.message, "watch")),
                })
            })
            .boxed())
    }

    async fn pod_log(
        &self,
        namespace: &str,
        name: &str,
        container: Option<&str>,
        tail: Option<u64>,
    ) -> Result<String, ClusterError> {
        let api: Api<k8s_openapi::api::core::v1::Pod> =
            Api::namespaced(self.client.clone(), namespace);
        let lp = kube::api::LogParams {
            container: container.map(str::to_string),
            tail_lines: tail.map(|t| i64::try_from(t).unwrap_or(i64::MAX)),
            ..Default::default()
        };
        let what = format!("logs {name} in {namespace}");
        self.timed(&what, api.logs(name, &lp)).await
    }

    async fn service_proxy(
        &self,
        namespace: &str,
        name: &str,
        scheme: Option<&str>,
        port: &str,
        path: &str,
    ) -> Result<(u16, String), ClusterError> {
        // k8s.io/apiserver: `services/{scheme:}{name}:{port}/proxy/{path}`,
        // the `proxy` subresource of services (a `get` for RBAC).
        let target = match scheme {
            Some(s) => format!("{s}:{name}:{port}"),
            None => format!("{name}:{port}"),
        };
        let path = path.trim_start_matches('/');
        let url = format!("/api/v1/namespaces/{namespace}/services/{target}/proxy/{path}");
        let req = http::Request::get(&url)
            .body(Vec::new())
            .map_err(|e| ClusterError::Other(format!("GET {url}: {e}")))?;
        let what = format!("{}: GET {url}", self.origin);
        match tokio::time::timeout(self.request_timeout, self.client.request_text(req)).await {
            // kube's client retries 503 (what the proxy answers for a
            // service without ready endpoints) until the request times out.
            Err(_) => Err(ClusterError::Unreachable(format!(
                "{what}: no answer within {} (a service with no ready pod behind it gets 503, retried until then)",
                humantime::format_duration(self.request_timeout)
            ))),
            Ok(Ok(body)) => Ok((200, body)),
            // The API server's own refusal (RBAC) is a cluster error; any
            // other status is the service's (or the proxy's) answer.
            Ok(Err(kube::Error::Api(s)))
                if s.code == 401 || (s.code == 403 && s.message.contains("services/proxy")) =>
            {
                Err(status_error(s.code, &s.message, &what))
            }
            Ok(Err(kube::Error::Api(s))) => Ok((s.code, s.message)),
            Ok(Err(e)) => Err(classify(e, &what)),
        }
    }
}

fn to_json(o: &DynamicObject) -> Result<Value, ClusterError> {
    serde_json::to_value(o).map_err(|e| ClusterError::Other(format!("object JSON: {e}")))
}

fn status_error(code: u16, message: &str, what: &str) -> ClusterError {
    let msg = if message.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {message}")
    };
    match code {
        401 => ClusterError::Unauthorized(msg),
        403 => ClusterError::Forbidden(msg),
        404 => ClusterError::UnknownKind(format!("{msg} (404: not served)")),
        _ => ClusterError::Other(format!("HTTP {code}: {msg}")),
    }
}

/// Sorts a kube error into what a report needs to say.
fn classify(e: kube::Error, what: &str) -> ClusterError {
    match e {
        kube::Error::Api(s) => status_error(s.code, &s.message, what),
        kube::Error::Auth(e) => ClusterError::Unauthorized(format!("{what}: credentials: {e}")),
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            ClusterError::Unreachable(format!("{what}: {}", chain(&e)))
        }
        e => ClusterError::Other(format!("{what}: {}", chain(&e))),
    }
}

/// An error and its causes on one line (the root cause is the useful part:
/// "Connection refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut cur = e.source();
    while let Some(s) = cur {
        let t = s.to_string();
        if !parts.iter().any(|p| p.contains(&t)) {
            parts.push(t);
        }
        cur = s.source();
    }
    parts.join(": ")
}
