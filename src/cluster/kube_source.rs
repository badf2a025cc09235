//! [`ClusterSource`] over a real `kube::Client`: the kubeconfig from
//! [`super::kubeconfig`], the connection from [`super::transport`],
//! discovery for kind resolution, list and watch.

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
use super::proxy::{self, ProxyEnv};
use super::{Change, Changes, ClusterError, ClusterSource, Listing, Query, Resource};
use super::{kubeconfig, transport};

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
    /// Loads the kubeconfig the way kubectl does (see [`super::kubeconfig`])
    /// and prepares a client. No request is sent yet.
    pub async fn connect(opts: &ConnectOptions) -> Result<KubeSource, ClusterError> {
        let loaded = kubeconfig::load(opts.kubeconfig.as_deref())?;
        Self::from_kubeconfig_at(loaded.kubeconfig, &loaded.origin.to_string(), opts).await
    }

    /// Prepares a client from an already loaded kubeconfig, using
    /// `opts.context` or the current context.
    pub async fn from_kubeconfig(
        kubeconfig: Kubeconfig,
        opts: &ConnectOptions,
    ) -> Result<KubeSource, ClusterError> {
        Self::from_kubeconfig_at(kubeconfig, "(in memory)", opts).await
    }

    /// Same, `origin` naming the kubeconfig in messages (a file,
    /// `KUBECONFIG=...`).
    pub async fn from_kubeconfig_at(
        kubeconfig: Kubeconfig,
        origin: &str,
        opts: &ConnectOptions,
    ) -> Result<KubeSource, ClusterError> {
        let context = kubeconfig::context_of(&kubeconfig, opts.context.as_deref(), origin)?;
        let Some(named) = kubeconfig::cluster_of(&kubeconfig, &context) else {
            let wanted = kubeconfig
                .contexts
                .iter()
                .find(|c| c.name == context)
                .and_then(|c| c.context.as_ref())
                .map(|c| c.cluster.clone())
                .unwrap_or_default();
            return Err(ClusterError::Config(format!(
                "context {context}: cluster {wanted:?} not found in kubeconfig {origin}"
            )));
        };
        let cluster_name = named.name.clone();
        let proxy_url = named
            .cluster
            .as_ref()
            .and_then(|c| c.proxy_url.clone())
            .filter(|p| !p.is_empty());
        let kco = KubeConfigOptions {
            context: Some(context.clone()),
            ..Default::default()
        };
        let what = if cluster_name.is_empty() || cluster_name == context {
            format!("context {context}")
        } else {
            format!("context {context} (cluster {cluster_name})")
        };
        let mut config = Config::from_custom_kubeconfig(kubeconfig, &kco)
            .await
            .map_err(|e| ClusterError::Config(format!("{what}: {}", super::one_line(&e))))?;
        // The proxy kubectl would use (kube reads HTTPS_PROXY for every
        // scheme and ignores NO_PROXY without its proxy features).
        config.proxy_url = match proxy_url {
            Some(p) => Some(
                proxy::parse_kubeconfig_proxy(&p)
                    .map_err(|e| ClusterError::Config(format!("{what}: {e}")))?,
            ),
            None => ProxyEnv::from_env().proxy_for(&config.cluster_url),
        };
        Self::from_config(&mut config, context, opts)
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
        let client = transport::client(config)
            .map_err(|e| ClusterError::Config(format!("context {name}: {e}")))?;
        let origin = match &config.proxy_url {
            Some(p) => format!("context {name} ({} via proxy {p})", config.cluster_url),
            None => format!("context {name} ({})", config.cluster_url),
        };
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
        // A refused client certificate or untrusted server certificate is
        // a TLS error deep inside a connection error; say it in words.
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) if tls_problem(&e).is_some() => {
            ClusterError::Unreachable(format!("{what}: {}", tls_problem(&e).unwrap_or_default()))
        }
        kube::Error::Api(s) => status_error(s.code, &s.message, what),
        kube::Error::Auth(e) => ClusterError::Unauthorized(format!("{what}: credentials: {e}")),
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            ClusterError::Unreachable(format!("{what}: {}", super::one_line(&e)))
        }
        e => ClusterError::Other(format!("{what}: {}", super::one_line(&e))),
    }
}

/// A TLS failure in an error's causes, said as kubectl users know it.
fn tls_problem(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(match tls {
                rustls::Error::AlertReceived(
                    rustls::AlertDescription::CertificateRequired
                    | rustls::AlertDescription::BadCertificate
                    | rustls::AlertDescription::UnknownCA
                    | rustls::AlertDescription::CertificateUnknown
                    | rustls::AlertDescription::AccessDenied,
                ) => format!("the server refused the client certificate ({tls})"),
                rustls::Error::InvalidCertificate(_) => {
                    format!("the server certificate is not trusted ({tls})")
                }
                other => format!("TLS: {other}"),
            });
        }
        // `io::Error::source` skips the error it wraps: look inside.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(found) = tls_problem(inner)
        {
            return Some(found);
        }
        cur = err.source();
    }
    None
}
