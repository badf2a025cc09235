//! The one abstraction the check engine reads a cluster through.
//!
//! The engine only ever asks three things: what resource a kind names, the
//! objects a query selects now, and the changes after that. [`KubeSource`]
//! answers them over a real `kube::Client`; nothing in `check` knows where
//! objects come from. Only get, list and watch requests are ever sent.

mod discovery;
mod kube_source;
pub mod kubeconfig;
pub mod proxy;
pub mod transport;

use std::fmt;
use std::future::Future;
use std::time::Duration;

use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use discovery::{ApiEntry, KindRef, resolve};
pub use kube_source::{ConnectOptions, DiscoveryShare, KubeSource};

/// A resource type the cluster serves, as discovery describes it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Resource {
    /// API group (`""` for the core group).
    pub group: String,
    pub version: String,
    pub kind: String,
    /// Plural resource name, as in the URL (`pods`, `deployments`).
    pub plural: String,
    pub namespaced: bool,
    /// Served with the `watch` verb. Resources without it (metrics.k8s.io
    /// `pods`: get and list only) are read by listing again while waiting.
    pub watch: bool,
}

impl fmt::Display for Resource {
    /// kubectl's spelling: `pods`, `deployments.apps`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.group.is_empty() {
            f.write_str(&self.plural)
        } else {
            write!(f, "{}.{}", self.plural, self.group)
        }
    }
}

/// What to list and watch. Equal queries share one list+watch.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Query {
    pub resource: Resource,
    /// `None`: all namespaces (or a cluster-scoped resource).
    pub namespace: Option<String>,
    /// Label selector, as sent to the API server.
    pub labels: Option<String>,
    /// Field selector, as sent to the API server.
    pub fields: Option<String>,
}

impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.resource)?;
        if let Some(l) = &self.labels {
            write!(f, " -l {l}")?;
        }
        if let Some(fs) = &self.fields {
            write!(f, " --field-selector {fs}")?;
        }
        match (&self.namespace, self.resource.namespaced) {
            (Some(ns), true) => write!(f, " in {ns}"),
            (None, true) => write!(f, " in all namespaces"),
            _ => Ok(()),
        }
    }
}

/// The objects a query selected, and the version to watch from.
#[derive(Debug, Clone, Default)]
pub struct Listing {
    pub objects: Vec<Value>,
    pub resource_version: String,
}

/// One change seen by a watch.
#[derive(Debug, Clone)]
pub enum Change {
    /// Added or modified: the object as it is now.
    Applied(Value),
    Deleted(Value),
    /// Nothing changed; the watch may resume from this version.
    Bookmark(String),
    /// The version watched from is too old (410 Gone): list again.
    Expired,
}

pub type Changes = BoxStream<'static, Result<Change, ClusterError>>;

/// Why a cluster could not answer. Each becomes the `error` verdict of the
/// exercises that needed the answer, never a crash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "kind", content = "message", rename_all = "snake_case")]
pub enum ClusterError {
    /// No kubeconfig, unknown context, unreadable credentials.
    #[error("{0}")]
    Config(String),
    /// Connection refused, DNS, or no answer within the timeout.
    #[error("cluster unreachable: {0}")]
    Unreachable(String),
    /// The TLS handshake failed for good: the server's certificate is not
    /// trusted (signed by another CA, for another name, expired), the
    /// server refused ours, or the server does not speak TLS at all.
    /// Asking again cannot help, so it is said at once, as kubectl says it:
    /// `Unable to connect to the server: x509: certificate signed by
    /// unknown authority`.
    #[error("{0}")]
    Certificate(String),
    /// The server answered 429, 500, 502, 503 or 504: asked again later.
    /// `retry_after` is the server's `Retry-After` (or the Status'
    /// `details.retryAfterSeconds`), which a retry honours.
    #[error("{message}")]
    Unavailable {
        message: String,
        retry_after: Option<Duration>,
    },
    /// 401: the credentials were refused (or could not be obtained), in
    /// kubectl's words: `You must be logged in to the server
    /// (Unauthorized)`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403: the credentials may not read this, in kubectl's words: `Error
    /// from server (Forbidden): pods is forbidden: User ...`.
    #[error("{0}")]
    Forbidden(String),
    /// The cluster serves no such resource type.
    #[error("{0}")]
    UnknownKind(String),
    /// Any other 4xx answer, with the API's `Status` (apimachinery
    /// `metav1.Status`: its `code`, its machine-readable `reason` such as
    /// `BadRequest` or `Expired`, and its `message` after what was asked),
    /// so that callers tell answers apart by their kind, not their words
    /// (client-go's `apierrors.IsBadRequest` reads the same `reason`).
    #[error("HTTP {code}: {message}")]
    Refused {
        code: u16,
        reason: String,
        message: String,
    },
    #[error("{0}")]
    Other(String),
}

impl ClusterError {
    /// Worth asking again: the cluster may answer in a moment (a restarting
    /// or overloaded API server, a dropped connection). client-go retries the
    /// same: `rest/request.go` (`checkWait`, 429 and 5xx with Retry-After) and
    /// `tools/cache/reflector.go` (list and watch again with backoff).
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            ClusterError::Unreachable(_) | ClusterError::Unavailable { .. }
        )
    }

    /// As the answer to a run's first request, this says the cluster cannot
    /// be checked at all, so a run says it once and stops (issue 26), as
    /// kubectl stops at its first request (`cmd/util/helpers.go`,
    /// `StandardErrorMessage`): nothing answered (refused, no route, no
    /// answer in time), TLS failed (a certificate refused, TLS spoken to a
    /// plain-HTTP port), or the credentials were refused (401) or may not
    /// even read discovery (403). Later in a run the same errors belong to
    /// the exercise that met them (an API server restarting refuses for a
    /// while; a 403 on one resource names that resource).
    pub fn stops_a_first_contact(&self) -> bool {
        matches!(
            self,
            ClusterError::Unreachable(_)
                | ClusterError::Certificate(_)
                | ClusterError::Unauthorized(_)
                | ClusterError::Forbidden(_)
        )
    }

    /// The wait the server asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            ClusterError::Unavailable { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A cluster, as far as checking needs one. Implementations must be cheap to
/// share across the concurrent tasks of one engine run.
pub trait ClusterSource: Send + Sync {
    /// How reports name this cluster (context name, or server URL).
    fn name(&self) -> &str;
    /// The namespace an expectation without `namespace` reads.
    fn default_namespace(&self) -> &str;
    /// Resolves a kind as written in a check (`po`, `Deployment`,
    /// `deployments.apps`, `apps/v1/Deployment`), the way kubectl does.
    fn resolve_kind(
        &self,
        kind: &str,
    ) -> impl Future<Output = Result<Resource, ClusterError>> + Send;
    /// Same, told the group a built-in kind of that name is in (`""` for
    /// `pods`, `apps` for `deploy`; `None` for a custom resource), so that
    /// only that group's discovery needs reading. A kind the cluster does
    /// not serve (yet) is [`ClusterError::UnknownKind`].
    fn resolve_kind_in(
        &self,
        kind: &str,
        likely_group: Option<&str>,
    ) -> impl Future<Output = Result<Resource, ClusterError>> + Send {
        let _ = likely_group;
        self.resolve_kind(kind)
    }
    /// Lists what `query` selects now.
    fn list(&self, query: &Query) -> impl Future<Output = Result<Listing, ClusterError>> + Send;
    /// Watches `query` from `resource_version`; the stream ends when the
    /// server closes it (after at most `timeout`).
    fn watch(
        &self,
        query: &Query,
        resource_version: &str,
        timeout: Duration,
    ) -> impl Future<Output = Result<Changes, ClusterError>> + Send;

    /// `GET pods/{name}/log` (`kubectl logs NAME [-c C] [--tail N]`): a read
    /// of the `log` subresource.
    fn pod_log(
        &self,
        namespace: &str,
        name: &str,
        container: Option<&str>,
        tail: Option<u64>,
    ) -> impl Future<Output = Result<String, ClusterError>> + Send {
        let _ = (namespace, name, container, tail);
        async {
            Err(ClusterError::Other(
                "this cluster source cannot read logs".into(),
            ))
        }
    }

    /// `GET services/{[scheme:]name:port}/proxy/{path}`: the API server
    /// forwards the GET to one of the service's pods. The status and body
    /// are the pod's answer (or the API server's, e.g. 503 when the service
    /// has no ready endpoint).
    fn service_proxy(
        &self,
        namespace: &str,
        name: &str,
        scheme: Option<&str>,
        port: &str,
        path: &str,
    ) -> impl Future<Output = Result<(u16, String), ClusterError>> + Send {
        let _ = (namespace, name, scheme, port, path);
        async {
            Err(ClusterError::Other(
                "this cluster source cannot proxy to services".into(),
            ))
        }
    }
}

/// An error and its causes on one line.
pub(crate) fn one_line(e: &dyn std::error::Error) -> String {
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
