//! [`ClusterSource`] over a real `kube::Client`: the kubeconfig from
//! [`super::kubeconfig`], the connection from [`super::transport`],
//! discovery for kind resolution, list and watch.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt};
use kube::api::{Api, DynamicObject, ListParams, WatchParams};
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::core::{ApiResource, WatchEvent};
use kube::{Client, Config};
use serde_json::Value;
use tokio::sync::Mutex;

mod catalog;

use super::proxy::{self, ProxyEnv};
use super::{Change, Changes, ClusterError, ClusterSource, Listing, Query, Resource};
use super::{kubeconfig, transport};
pub use catalog::DiscoveryShare;
use catalog::{Documents, ServerKey};

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

/// A cluster reached through `kube`. Discovery answers are kept for the
/// life of the value (every run made with it; see [`catalog`]), and a
/// lasting failure too, so a dead cluster costs one timeout, not one per
/// kind.
pub struct KubeSource {
    client: Client,
    name: String,
    /// How errors name the cluster: `context student-07 (https://10.0.0.7:6443)`.
    origin: String,
    /// The server's `host:port`, as kubectl names it in "The connection to
    /// the server HOST was refused".
    host: String,
    namespace: String,
    request_timeout: Duration,
    /// Discovery documents read so far (perhaps shared: [`Self::sharing`]).
    docs: Arc<Mutex<Documents>>,
    /// The last discovery failure, and when: a lasting one is final, a
    /// transient one is shared by the resolutions that waited for it.
    failed: Mutex<Option<(Instant, ClusterError)>>,
    /// Which server this is, for sharing discovery.
    server: Option<ServerKey>,
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
        // The check engine retries transient failures itself, until each
        // exercise's deadline and saying for how long; kube's own layer
        // (up to 15 retries, 1000 s backoff cap) would hide them in one call.
        config.default_retry = false;
        let namespace = config.default_namespace.clone();
        let client = transport::client(config)
            .map_err(|e| ClusterError::Config(format!("context {name}: {e}")))?;
        let origin = match &config.proxy_url {
            Some(p) => format!("context {name} ({} via proxy {p})", config.cluster_url),
            None => format!("context {name} ({})", config.cluster_url),
        };
        let mut source = Self::from_client(client, name, namespace, opts.request_timeout);
        source.origin = origin;
        source.host = server_host(&config.cluster_url);
        source.server = Some(ServerKey {
            url: config.cluster_url.to_string(),
            ca: config.root_cert.clone(),
            server_name: config.tls_server_name.clone(),
            proxy: config.proxy_url.as_ref().map(ToString::to_string),
            insecure: config.accept_invalid_certs,
        });
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
            host: name.clone(),
            name,
            namespace: namespace.into(),
            request_timeout,
            docs: Arc::default(),
            failed: Mutex::new(None),
            server: None,
        }
    }

    /// One GET through the client (its auth and TLS), returning the body
    /// and `Content-Type`; an error status becomes a [`ClusterError`] that
    /// keeps the server's `Retry-After` (kube's own errors drop headers, and
    /// kube-apiserver's 429 is plain text with only the header:
    /// `apiserver/pkg/server/filters/maxinflight.go`, `tooManyRequests`).
    async fn get(&self, url: &str, accept: &str, what: &str) -> Result<Answer, ClusterError> {
        let what = format!("{}: {what}", self.origin);
        let fut = async {
            let res = self.send(url, accept, &what).await?;
            let content_type = res
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_string();
            let body = res
                .into_body()
                .collect_bytes()
                .await
                .map_err(|e| classify(e, &what, &self.host))?;
            Ok(Answer {
                content_type,
                body: body.to_vec(),
            })
        };
        match tokio::time::timeout(self.request_timeout, fut).await {
            Ok(r) => r,
            Err(_) => Err(ClusterError::Unreachable(format!(
                "{what}: no answer within {}",
                humantime::format_duration(self.request_timeout)
            ))),
        }
    }

    /// Sends one GET and returns the answer if its status is a success;
    /// otherwise the error, with the server's `Retry-After` kept.
    async fn send(
        &self,
        url: &str,
        accept: &str,
        what: &str,
    ) -> Result<http::Response<kube::client::Body>, ClusterError> {
        let req = http::Request::get(url)
            .header(http::header::ACCEPT, accept)
            // One JSON event per line, not a gzip stream (kube's
            // `request_events` asks the same of watches).
            .header(http::header::ACCEPT_ENCODING, "identity")
            .body(kube::client::Body::empty())
            .map_err(|e| ClusterError::Other(format!("{what}: {e}")))?;
        let res = self
            .client
            .send(req)
            .await
            .map_err(|e| classify(e, what, &self.host))?;
        let status = res.status();
        if status.is_success() {
            return Ok(res);
        }
        let retry_after = res
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        let body = res
            .into_body()
            .collect_bytes()
            .await
            .map_err(|e| classify(e, what, &self.host))?;
        let (reason, message, details_retry) =
            match serde_json::from_slice::<kube::core::Status>(&body) {
                Ok(st) => (
                    st.reason.clone(),
                    st.message.clone(),
                    st.details
                        .as_ref()
                        .map(|d| d.retry_after_seconds)
                        .filter(|s| *s > 0)
                        .map(|s| Duration::from_secs(u64::from(s))),
                ),
                Err(_) => (
                    String::new(),
                    String::from_utf8_lossy(&body).trim().to_string(),
                    None,
                ),
            };
        Err(status_error(
            status.as_u16(),
            &reason,
            &message,
            what,
            retry_after.or(details_retry),
        ))
    }

    /// `fut`, bounded by the request timeout, its error sorted for reports.
    async fn timed<T>(
        &self,
        what: &str,
        fut: impl Future<Output = Result<T, kube::Error>>,
    ) -> Result<T, ClusterError> {
        let what = &format!("{}: {what}", self.origin);
        match tokio::time::timeout(self.request_timeout, fut).await {
            Ok(r) => r.map_err(|e| classify(e, what, &self.host)),
            Err(_) => Err(ClusterError::Unreachable(format!(
                "{what}: no answer within {}",
                humantime::format_duration(self.request_timeout)
            ))),
        }
    }

    /// Is the API server there? `GET /version` (what `kubectl version`
    /// asks: client-go `discovery.ServerVersion`), bounded by `within`
    /// (connecting included), so a dead server is told in seconds whatever
    /// the request timeout. Any HTTP answer but 429/5xx means it is up (a
    /// 401, 403 or 404 comes from a running server); a refused or dropped
    /// connection, no answer in time, or 429/5xx is the error.
    pub async fn alive(&self, within: Duration) -> Result<(), ClusterError> {
        let what = format!("{}: GET /version", self.origin);
        match tokio::time::timeout(within, self.send("/version", "application/json", &what)).await {
            Err(_) => Err(ClusterError::Unreachable(format!(
                "{what}: no answer within {}",
                humantime::format_duration(within)
            ))),
            Ok(Ok(_)) => Ok(()),
            Ok(Err(e)) if e.is_transient() || matches!(e, ClusterError::Certificate(_)) => Err(e),
            Ok(Err(_)) => Ok(()),
        }
    }

    /// Reads discovery documents from `share` (and adds its own to it)
    /// when `share` has met this server before: see [`DiscoveryShare`].
    /// A source built from a client ([`Self::from_client`]) keeps its own.
    pub fn sharing(mut self, share: &DiscoveryShare) -> KubeSource {
        if let Some(key) = &self.server {
            self.docs = share.documents(key);
        }
        self
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
        self.resolve_kind_in(kind, None).await
    }

    async fn resolve_kind_in(
        &self,
        kind: &str,
        likely_group: Option<&str>,
    ) -> Result<Resource, ClusterError> {
        let asked = Instant::now();
        let mut failed = self.failed.lock().await;
        match &*failed {
            Some((_, e)) if !e.is_transient() => return Err(e.clone()),
            Some((at, e)) if *at >= asked => return Err(e.clone()),
            _ => {}
        }
        let found = {
            let mut docs = self.docs.lock().await;
            self.find(&mut docs, kind, likely_group).await
        };
        match found {
            Ok(Some(r)) => Ok(r),
            // kubectl's words (`cmd/util/helpers.go`, a NoKindMatchError).
            Ok(None) => Err(ClusterError::UnknownKind(format!(
                "the server doesn't have a resource type {kind:?}"
            ))),
            Err(e) => {
                *failed = Some((Instant::now(), e.clone()));
                Err(e)
            }
        }
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
        let url = kube::core::Request::new(api.resource_url())
            .list(&lp)
            .map_err(|e| ClusterError::Other(format!("{}: {what}: {e}", self.origin)))?
            .uri()
            .to_string();
        let answer = self.get(&url, "application/json", &what).await?;
        // Items stay JSON as the server sent them (no typed round trip).
        let list: RawList = serde_json::from_slice(&answer.body)
            .map_err(|e| ClusterError::Other(format!("{}: {what}: {e}", self.origin)))?;
        Ok(Listing {
            objects: list.items,
            resource_version: list.metadata.resource_version,
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
        let what = format!("{}: watch {query}", self.origin);
        let url = kube::core::Request::new(api.resource_url())
            .watch(&wp, resource_version)
            .map_err(|e| ClusterError::Other(format!("{what}: {e}")))?
            .uri()
            .to_string();
        // Sent by hand rather than through `Api::watch`, whose errors drop
        // the headers: a 429 or 503 keeps its `Retry-After`, which the
        // engine honours when it opens the watch again.
        let res = match tokio::time::timeout(
            self.request_timeout,
            self.send(&url, "application/json", &what),
        )
        .await
        {
            Ok(Ok(r)) => r,
            // Some servers (and proxies) refuse a too-old resourceVersion
            // with a 410 answer rather than an in-stream ERROR: list again.
            Ok(Err(ClusterError::Refused { code: 410, .. })) => {
                return Ok(futures::stream::once(async { Ok(Change::Expired) }).boxed());
            }
            Ok(Err(e)) => return Err(e),
            Err(_) => {
                return Err(ClusterError::Unreachable(format!(
                    "{what}: no answer within {}",
                    humantime::format_duration(self.request_timeout)
                )));
            }
        };
        let what2 = what.clone();
        let host = self.host.clone();
        Ok(lines(res.into_body())
            .map_err(move |e| classify(e, &what2, &host))
            .try_filter_map(move |line| {
                let what = what.clone();
                async move {
                    if line.iter().all(u8::is_ascii_whitespace) {
                        return Ok(None);
                    }
                    let ev: WatchEvent<DynamicObject> = serde_json::from_slice(&line)
                        .map_err(|e| ClusterError::Other(format!("{what}: event: {e}")))?;
                    Ok(Some(match ev {
                        WatchEvent::Added(o) | WatchEvent::Modified(o) => {
                            Change::Applied(to_json(&o)?)
                        }
                        WatchEvent::Deleted(o) => Change::Deleted(to_json(&o)?),
                        WatchEvent::Bookmark(b) => Change::Bookmark(b.metadata.resource_version),
                        WatchEvent::Error(s) if s.code == 410 => Change::Expired,
                        WatchEvent::Error(s) => {
                            return Err(status_error(s.code, &s.reason, &s.message, "watch", None));
                        }
                    }))
                }
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
                Err(status_error(s.code, &s.reason, &s.message, &what, None))
            }
            Ok(Err(kube::Error::Api(s))) => Ok((s.code, s.message)),
            Ok(Err(e)) => Err(classify(e, &what, &self.host)),
        }
    }
}

/// A watch answer's body as its lines (one JSON event each); a line cut by
/// the end of the stream is dropped, as kube's `request_events` does.
fn lines(
    body: kube::client::Body,
) -> impl futures::Stream<Item = Result<Vec<u8>, kube::Error>> + Send {
    use hyper::body::Body as _;
    futures::stream::unfold(
        (Box::pin(body), Vec::<u8>::new(), false),
        |(mut body, mut buf, done)| async move {
            loop {
                if let Some(at) = memchr::memchr(b'\n', &buf) {
                    let line: Vec<u8> = buf.drain(..=at).collect();
                    return Some((Ok(line), (body, buf, done)));
                }
                if done {
                    return None;
                }
                match std::future::poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
                    Some(Ok(frame)) => {
                        if let Ok(data) = frame.into_data() {
                            buf.extend_from_slice(&data);
                        }
                    }
                    Some(Err(e)) => return Some((Err(e), (body, Vec::new(), true))),
                    None => return None,
                }
            }
        },
    )
}

fn to_json(o: &DynamicObject) -> Result<Value, ClusterError> {
    serde_json::to_value(o).map_err(|e| ClusterError::Other(format!("object JSON: {e}")))
}

fn status_error(
    code: u16,
    reason: &str,
    message: &str,
    what: &str,
    retry_after: Option<Duration>,
) -> ClusterError {
    let msg = if message.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {message}")
    };
    match code {
        // kubectl `StandardErrorMessage` (`pkg/cmd/util/helpers.go`): "You
        // must be logged in to the server (%s)" with the Status' message
        // (kube-apiserver's 401 says "Unauthorized"), and "Error from server
        // (%s): %s" with the reason for any other Status.
        401 => ClusterError::Unauthorized(format!(
            "{what}: You must be logged in to the server ({})",
            if message.is_empty() {
                "Unauthorized"
            } else {
                message
            }
        )),
        403 => ClusterError::Forbidden(format!(
            "{what}: Error from server (Forbidden): {}",
            if message.is_empty() {
                "forbidden"
            } else {
                message
            }
        )),
        404 => ClusterError::UnknownKind(format!("{msg} (404: not served)")),
        // Overloaded, restarting, or behind a load balancer with no healthy
        // backend: worth asking again (client-go `rest/request.go` retries
        // 429 and 5xx answers that carry Retry-After; the reflector relists
        // after any error).
        429 | 500 | 502 | 503 | 504 => ClusterError::Unavailable {
            message: format!("HTTP {code}: {msg}"),
            retry_after,
        },
        400..=499 => ClusterError::Refused {
            code,
            reason: reason.to_string(),
            message: msg,
        },
        _ => ClusterError::Other(format!("HTTP {code}: {msg}")),
    }
}

/// What kubectl sends to `/api` and `/apis` (client-go
/// `discovery/discovery_client.go`: `AcceptV2`, `AcceptV2Beta1`, `AcceptV1`).
const ACCEPT_DISCOVERY: &str = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json";

/// A successful answer to [`KubeSource::get`].
struct Answer {
    content_type: String,
    body: Vec<u8>,
}

enum Discovery {
    /// `apidiscovery.k8s.io/v2` or `v2beta1` (same shape).
    Aggregated(kube::core::discovery::v2::APIGroupDiscoveryList),
    /// `APIVersions` (`/api`) or `APIGroupList` (`/apis`).
    Legacy(Value),
}

impl Answer {
    /// Which document the server chose, by its `Content-Type` (`as=
    /// APIGroupDiscoveryList`) or, failing that, the document's `kind`.
    fn discovery(&self, path: &str, origin: &str) -> Result<Discovery, ClusterError> {
        let bad =
            |e: serde_json::Error| ClusterError::Other(format!("{origin}: discovery {path}: {e}"));
        let doc: Value = serde_json::from_slice(&self.body).map_err(bad)?;
        if self.content_type.contains("as=APIGroupDiscoveryList")
            || doc["kind"] == "APIGroupDiscoveryList"
        {
            return serde_json::from_value(doc)
                .map(Discovery::Aggregated)
                .map_err(bad);
        }
        Ok(Discovery::Legacy(doc))
    }
}

/// A list answer, items kept as JSON.
#[derive(serde::Deserialize)]
struct RawList {
    #[serde(default)]
    metadata: RawListMeta,
    #[serde(default)]
    items: Vec<Value>,
}

#[derive(serde::Deserialize, Default)]
struct RawListMeta {
    #[serde(rename = "resourceVersion", default)]
    resource_version: String,
}

/// The `host:port` kubectl names a server by: the URL's host and port as
/// written (kubectl prints Go's `url.URL.Host` of the request URL).
fn server_host(url: &http::Uri) -> String {
    url.authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|| url.to_string())
}

/// A refused TCP connection in an error's causes (`io::Error` hides the
/// error it wraps from `source()`: look inside).
fn refused(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if io.kind() == std::io::ErrorKind::ConnectionRefused {
                return true;
            }
            if let Some(inner) = io.get_ref()
                && refused(inner)
            {
                return true;
            }
        }
        cur = err.source();
    }
    false
}

/// Sorts a kube error into what a report needs to say. Connection and
/// status errors are worded as kubectl words them, hint included
/// (kubectl `pkg/cmd/util/helpers.go`, `StandardErrorMessage`).
fn classify(e: kube::Error, what: &str, host: &str) -> ClusterError {
    match e {
        // kubectl: "The connection to the server %s was refused - did you
        // specify the right host or port?" (the `*url.Error` case of
        // `StandardErrorMessage`, host from the request URL).
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) if refused(&e) => {
            ClusterError::Unreachable(format!(
                "{what}: The connection to the server {host} was refused - did you specify the right host or port?"
            ))
        }
        // A refused client certificate or untrusted server certificate is
        // a TLS error deep inside a connection error; say it in words.
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) if tls_error(&e).is_some() => {
            tls_error(&e).map_or_else(
                || ClusterError::Unreachable(what.to_string()),
                |(lasting, words)| {
                    if lasting {
                        ClusterError::Certificate(format!(
                            "{what}: Unable to connect to the server: {words}"
                        ))
                    } else {
                        ClusterError::Unreachable(format!("{what}: {words}"))
                    }
                },
            )
        }
        kube::Error::Api(s) => {
            let retry = s
                .details
                .as_ref()
                .map(|d| d.retry_after_seconds)
                .filter(|n| *n > 0)
                .map(|n| Duration::from_secs(u64::from(n)));
            status_error(s.code, &s.reason, &s.message, what, retry)
        }
        kube::Error::Auth(e) => match tls_error_in(&e, true) {
            Some((true, tls)) => ClusterError::Certificate(format!("{what}: {tls}")),
            Some((false, tls)) => ClusterError::Unreachable(format!("{what}: {tls}")),
            // client-go wraps a credential plugin's failure in the request's
            // `*url.Error`: kubectl says "Unable to connect to the server:
            // getting credentials: ..." (`plugin/pkg/client/auth/exec`).
            None => ClusterError::Unauthorized(format!(
                "{what}: Unable to connect to the server: getting credentials: {e}"
            )),
        },
        // A connection dropped mid-answer or mid-watch is as transient as
        // one refused.
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_)) => {
            ClusterError::Unreachable(format!("{what}: {}", super::one_line(&e)))
        }
        e => ClusterError::Other(format!("{what}: {}", super::one_line(&e))),
    }
}

/// A TLS failure in an error's causes: whether it lasts (a certificate
/// refused: asking again cannot help), and what to say, in the words of
/// Go's `crypto/tls` and `crypto/x509` that kubectl prints.
fn tls_error(e: &(dyn std::error::Error + 'static)) -> Option<(bool, String)> {
    tls_error_in(e, false)
}

/// `auth`: a cause above is the client's authentication (kube's
/// `AuthError`): the only TLS the process does there is refreshing an OIDC
/// token at the identity provider, so a certificate refused is the
/// provider's (trusted through the auth-provider's
/// `idp-certificate-authority`), not the API server's.
fn tls_error_in(e: &(dyn std::error::Error + 'static), mut auth: bool) -> Option<(bool, String)> {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = cur {
        auth |= err.downcast_ref::<kube::client::AuthError>().is_some();
        if let Some(tls) = err.downcast_ref::<rustls::Error>()
            && auth
        {
            return Some(match tls {
                rustls::Error::InvalidCertificate(_) => (
                    true,
                    format!(
                        "refreshing the OIDC token: the identity provider's certificate is not trusted ({tls}; the kubeconfig's auth-provider `idp-certificate-authority` names the CA that signs it)"
                    ),
                ),
                other => (
                    false,
                    format!("refreshing the OIDC token: TLS with the identity provider: {other}"),
                ),
            });
        }
        if let Some(tls) = err.downcast_ref::<rustls::Error>() {
            return Some(match tls {
                // Go's alert texts (crypto/tls `alert.go`), as kubectl
                // prints them: `remote error: tls: bad certificate`.
                rustls::Error::AlertReceived(
                    alert @ (rustls::AlertDescription::CertificateRequired
                    | rustls::AlertDescription::BadCertificate
                    | rustls::AlertDescription::UnknownCA
                    | rustls::AlertDescription::CertificateUnknown
                    | rustls::AlertDescription::AccessDenied),
                ) => (
                    true,
                    format!(
                        "remote error: tls: {} (the server refused the client certificate)",
                        go_alert(*alert)
                    ),
                ),
                rustls::Error::InvalidCertificate(c) => (
                    true,
                    format!(
                        "{} (the server certificate is not trusted: {tls})",
                        x509_words(c)
                    ),
                ),
                // TLS spoken to a plain-HTTP server: its answer (`HTTP/1.1
                // 400 ...`) is no TLS record. Go's net/http says so
                // (`transport.go`: a `tls.RecordHeaderError` whose header
                // reads "HTTP/"), and kubectl prints it as "Unable to connect
                // to the server: http: server gave HTTP response to HTTPS
                // client". Asking again cannot help.
                rustls::Error::InvalidMessage(rustls::InvalidMessage::InvalidContentType) => (
                    true,
                    "http: server gave HTTP response to HTTPS client (this port serves plain HTTP: the kubeconfig's `server:` names the wrong port, or an http:// URL written as https://)".to_string(),
                ),
                other => (false, format!("TLS: {other}")),
            });
        }
        // `io::Error::source` skips the error it wraps: look inside.
        if let Some(inner) = err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            && let Some(found) = tls_error_in(inner, auth)
        {
            return Some(found);
        }
        cur = err.source();
    }
    None
}

/// Go's name for a TLS alert (crypto/tls `alert.go`, `alertText`).
fn go_alert(a: rustls::AlertDescription) -> &'static str {
    match a {
        rustls::AlertDescription::CertificateRequired => "certificate required",
        rustls::AlertDescription::UnknownCA => "unknown certificate authority",
        rustls::AlertDescription::CertificateUnknown => "certificate unknown",
        rustls::AlertDescription::AccessDenied => "access denied",
        _ => "bad certificate",
    }
}

/// What Go's crypto/x509 says of a refused server certificate (`verify.go`:
/// `UnknownAuthorityError`, `HostnameError`, `CertificateInvalidError`), so
/// a message reads as kubectl's does.
fn x509_words(c: &rustls::CertificateError) -> String {
    use rustls::CertificateError as C;
    let rfc3339 = |t: &rustls::pki_types::UnixTime| {
        humantime::format_rfc3339_seconds(std::time::UNIX_EPOCH + Duration::from_secs(t.as_secs()))
            .to_string()
    };
    match c {
        // A self-signed certificate that is not one of ours is refused by
        // webpki as a CA used as a leaf; Go calls it an unknown authority.
        C::UnknownIssuer | C::BadSignature => {
            "x509: certificate signed by unknown authority".to_string()
        }
        C::Other(o)
            if matches!(
                o.0.downcast_ref::<webpki::Error>(),
                Some(webpki::Error::CaUsedAsEndEntity)
            ) =>
        {
            "x509: certificate signed by unknown authority".to_string()
        }
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            let names: Vec<String> = presented.iter().map(|p| san(p)).collect();
            let host = match expected {
                rustls::pki_types::ServerName::DnsName(d) => d.as_ref().to_string(),
                rustls::pki_types::ServerName::IpAddress(ip) => {
                    std::net::IpAddr::from(*ip).to_string()
                }
                other => format!("{other:?}"),
            };
            if names.is_empty() {
                format!("x509: certificate is not valid for {host}")
            } else {
                format!(
                    "x509: certificate is valid for {}, not {host}",
                    names.join(", ")
                )
            }
        }
        C::NotValidForName => "x509: certificate is not valid for this server's name".into(),
        C::ExpiredContext { time, not_after } => format!(
            "x509: certificate has expired or is not yet valid: current time {} is after {}",
            rfc3339(time),
            rfc3339(not_after)
        ),
        C::NotValidYetContext { time, not_before } => format!(
            "x509: certificate has expired or is not yet valid: current time {} is before {}",
            rfc3339(time),
            rfc3339(not_before)
        ),
        C::Expired | C::NotValidYet => {
            "x509: certificate has expired or is not yet valid".to_string()
        }
        C::InvalidPurpose | C::InvalidPurposeContext { .. } => {
            "x509: certificate specifies an incompatible key usage".to_string()
        }
        other => format!("x509: {other:?}"),
    }
}

/// One subject alternative name as webpki's context lists it
/// (`DnsName("kube.local")`, `IpAddress(127.0.0.1)`), as Go lists it.
fn san(presented: &str) -> String {
    let inner = presented
        .split_once('(')
        .and_then(|(_, rest)| rest.strip_suffix(')'))
        .unwrap_or(presented);
    inner.trim_matches('"').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn untrusted() -> std::io::Error {
        std::io::Error::other(rustls::Error::InvalidCertificate(
            rustls::CertificateError::UnknownIssuer,
        ))
    }

    /// Regression (issue 20): a certificate refused while refreshing an
    /// OIDC token blamed the API server's certificate; it is the identity
    /// provider's.
    #[test]
    fn regression_oidc_certificate_is_the_identity_providers() {
        let auth = kube::client::AuthError::AuthExecStart(untrusted());
        let e = classify(kube::Error::Service(Box::new(auth)), "list pods", "h:1");
        let msg = e.to_string();
        assert!(
            msg.starts_with("list pods: Unable to connect to the server: refreshing the OIDC token: the identity provider's certificate is not trusted (invalid peer certificate: UnknownIssuer"),
            "{msg}"
        );
        assert!(!msg.contains("the server certificate"), "{msg}");
        // A certificate refused is not transient: said at once.
        assert!(matches!(e, ClusterError::Certificate(_)), "{e:?}");
        let e = classify(
            kube::Error::Auth(kube::client::AuthError::AuthExecStart(untrusted())),
            "list pods",
            "h:1",
        );
        assert!(
            e.to_string()
                .contains("the identity provider's certificate is not trusted"),
            "{e}"
        );
        // The API server's own certificate is still the server's, in
        // kubectl's words.
        let e = classify(
            kube::Error::Service(Box::new(untrusted())),
            "list pods",
            "h:1",
        );
        assert_eq!(
            e.to_string(),
            "list pods: Unable to connect to the server: x509: certificate signed by unknown authority (the server certificate is not trusted: invalid peer certificate: UnknownIssuer)"
        );
    }
}
