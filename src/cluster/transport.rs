//! The connection under every `kube::Client` labdeck makes: TCP, proxy,
//! TLS, timeouts, then kube's own auth and header layers.
//!
//! kube builds this stack itself in `ClientBuilder::try_from(Config)`, but
//! with no way to choose the server-certificate verifier; labdeck needs to:
//!
//! - **One trust store per process.** kube builds a new verifier for every
//!   client, and without CA data in the kubeconfig that means reading the
//!   whole system trust store again (147 file opens per cluster on Debian):
//!   1,000 students, 147,000 opens. Here each distinct set of CA
//!   certificates (and the system store) gets one verifier, shared by every
//!   cluster that names it. `http://` servers get no TLS at all.
//! - **A CA certificate used as the server certificate**, what a plain
//!   `openssl req -x509` makes, is accepted as kubectl (Go's crypto/x509)
//!   accepts it; see [`GoCompatVerifier`].
//! - **Proxies** chosen as kubectl chooses them (see [`super::proxy`]):
//!   HTTP CONNECT tunnels (`http://`, and `https://` proxies reached over
//!   TLS) and SOCKS5 (`socks5://`, names resolved by the proxy, as Go does).
//!
//! What the stack keeps from kube: the base URI, kube's retry policy,
//! authentication (tokens, token files, exec plugins, OIDC refresh), extra
//! headers, client certificates (from files, data or an exec plugin), and
//! `tls-server-name`. What it adds: a `User-Agent` (kube sends none).

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use http::Uri;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::connect::proxy::{SocksV5, Tunnel};
use hyper_util::rt::TokioExecutor;
use kube::client::ConfigExt as _;
use kube::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{WebPkiServerVerifier, verify_server_name};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use tower::{BoxError, ServiceBuilder};

type Verifier = Arc<dyn ServerCertVerifier>;

/// The CA certificates (DER) a verifier trusts; `None`: the system store.
type CaSet = Option<Vec<Vec<u8>>>;

/// Verifiers built so far, by the CA certificates they trust.
static VERIFIERS: OnceLock<Mutex<HashMap<CaSet, Verifier>>> = OnceLock::new();
static BUILT: AtomicUsize = AtomicUsize::new(0);

/// How many server-certificate verifiers (trust stores) this process has
/// built: one per distinct CA set, whatever the number of clusters.
pub fn verifiers_built() -> usize {
    BUILT.load(Ordering::Relaxed)
}

/// Why no HTTP client could be made for a cluster: each says which part of
/// its kubeconfig (or of the system) is at fault.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    #[error("system trust store: {0}")]
    TrustStore(rustls::Error),
    #[error("certificate-authority: {0}")]
    CertificateAuthority(rustls::Error),
    #[error("certificate-authority: {0}")]
    Verifier(rustls::client::VerifierBuilderError),
    /// kube's reading of the client certificate, the auth provider or the
    /// extra headers, on one line.
    #[error("{0}")]
    Kubeconfig(String),
    #[error("{0}")]
    UserAgent(http::header::InvalidHeaderValue),
    #[error("proxy {0}: only http, https and socks5 proxies are supported")]
    ProxyScheme(Uri),
    #[error("tls-server-name {name:?}: {cause}")]
    TlsServerName {
        name: String,
        cause: rustls::pki_types::InvalidDnsNameError,
    },
}

/// The shared verifier for these CA certificates (DER), built on first use.
fn verifier(roots: Option<&[Vec<u8>]>) -> Result<Verifier, TransportError> {
    let cache = VERIFIERS.get_or_init(Default::default);
    // Held while building, so a hundred clusters connecting at once load
    // the system store once, not a hundred times.
    let mut cache = cache.lock().unwrap_or_else(|e| e.into_inner());
    let key: CaSet = roots.map(<[Vec<u8>]>::to_vec);
    if let Some(v) = cache.get(&key) {
        return Ok(v.clone());
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let built: Verifier = match roots {
        None => Arc::new(
            rustls_platform_verifier::Verifier::new(provider)
                .map_err(TransportError::TrustStore)?,
        ),
        Some(roots) => {
            let mut store = rustls::RootCertStore::empty();
            let mut cas = Vec::new();
            for der in roots {
                let cert = CertificateDer::from(der.clone());
                store
                    .add(cert.clone())
                    .map_err(TransportError::CertificateAuthority)?;
                cas.push(cert);
            }
            let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider)
                .build()
                .map_err(TransportError::Verifier)?;
            Arc::new(GoCompatVerifier { inner, cas })
        }
    };
    BUILT.fetch_add(1, Ordering::Relaxed);
    cache.insert(key, built.clone());
    Ok(built)
}

/// The rustls configuration for one cluster: the shared verifier, and the
/// cluster's own client certificate if it has one.
fn tls_config(config: &Config) -> Result<rustls::ClientConfig, TransportError> {
    // kube reads the client certificate (file, data or exec plugin); it is
    // handed an empty root store so it does not load the system one, and
    // its verifier is then replaced.
    let mut probe = config.clone();
    probe.root_cert = Some(Vec::new());
    probe.root_cert_file = None;
    let mut tls = probe
        .rustls_client_config()
        .map_err(|e| TransportError::Kubeconfig(super::one_line(&e)))?;
    if !config.accept_invalid_certs {
        tls.dangerous()
            .set_certificate_verifier(verifier(config.root_cert.as_deref())?);
    }
    Ok(tls)
}

/// What labdeck calls itself in every request's `User-Agent`, shaped as
/// client-go's `rest.DefaultKubernetesUserAgent` (`kubectl/v1.20.2
/// (linux/amd64) kubernetes/faecb19`): `labdeck/v0.1.0 (linux/amd64)`, the
/// OS and architecture in Go's names, so an administrator finds labdeck's
/// requests in the API server's audit log (`userAgent`).
pub fn user_agent() -> String {
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" if cfg!(target_endian = "little") => "ppc64le",
        "powerpc64" => "ppc64",
        "loongarch64" => "loong64",
        other => other,
    };
    format!(
        "labdeck/v{} ({}/{arch})",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::OS
    )
}

/// A `kube::Client` for `config`, going through `config.proxy_url` when set
/// (already chosen by [`super::proxy`]). Every request says who sends it
/// ([`user_agent`]).
pub fn client(config: &Config) -> Result<Client, TransportError> {
    let mut config = config.clone();
    let agent = http::HeaderValue::from_str(&user_agent()).map_err(TransportError::UserAgent)?;
    config.headers.push((http::header::USER_AGENT, agent));
    let config = &config;
    let tls = match config.cluster_url.scheme_str() {
        Some("https") => Some(tls_config(config)?),
        _ => None,
    };
    let mut http = HttpConnector::new();
    http.enforce_http(false);
    let Some(proxy) = config.proxy_url.clone() else {
        return with_tls(http, tls, config);
    };
    match proxy.scheme_str() {
        Some("http") => {
            let tunnel = with_proxy_auth(&proxy, Tunnel::new(proxy.clone(), http));
            with_tls(tunnel, tls, config)
        }
        Some("https") => {
            // TLS to the proxy with the same configuration as to the
            // server, as Go's Transport does (`addTLS` with TLSClientConfig).
            let proxy_tls = match &tls {
                Some(t) => t.clone(),
                None => tls_config(config)?,
            };
            let to_proxy = hyper_rustls::HttpsConnectorBuilder::new()
                .with_tls_config(proxy_tls)
                .https_or_http()
                .enable_http1()
                .wrap_connector(http);
            let tunnel = with_proxy_auth(&proxy, Tunnel::new(proxy.clone(), to_proxy));
            with_tls(tunnel, tls, config)
        }
        Some("socks5") => {
            let mut socks = SocksV5::new(proxy.clone(), http).local_dns(false);
            if let Some((user, pass)) = userinfo(&proxy) {
                socks = socks.with_auth(user, pass);
            }
            with_tls(socks, tls, config)
        }
        _ => Err(TransportError::ProxyScheme(proxy)),
    }
}

/// `user:password@` of a proxy URL, percent-decoded.
fn userinfo(proxy: &Uri) -> Option<(String, String)> {
    let (info, _) = proxy.authority()?.as_str().rsplit_once('@')?;
    let (user, pass) = info.split_once(':').unwrap_or((info, ""));
    let dec = |s: &str| {
        percent_decode(s)
            .map(|b| String::from_utf8_lossy(&b).into_owned())
            .unwrap_or_else(|| s.to_string())
    };
    Some((dec(user), dec(pass)))
}

fn percent_decode(s: &str) -> Option<Vec<u8>> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' {
            let hex = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Some(out)
}

/// `Proxy-Authorization: Basic` from the proxy URL's user info, as Go sends it.
fn with_proxy_auth<C>(proxy: &Uri, tunnel: Tunnel<C>) -> Tunnel<C> {
    use base64::Engine as _;
    match userinfo(proxy) {
        Some((user, pass)) => {
            let basic = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"));
            match http::HeaderValue::from_str(&format!("Basic {basic}")) {
                Ok(h) => tunnel.with_auth(h),
                Err(_) => tunnel,
            }
        }
        None => tunnel,
    }
}

fn with_tls<C>(
    connector: C,
    tls: Option<rustls::ClientConfig>,
    config: &Config,
) -> Result<Client, TransportError>
where
    C: tower::Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper_util::client::legacy::connect::Connection
        + hyper::rt::Read
        + hyper::rt::Write
        + Send
        + Unpin
        + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let Some(tls) = tls else {
        return finish(connector, config);
    };
    let mut builder = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    if let Some(name) = &config.tls_server_name {
        let name =
            ServerName::try_from(name.clone()).map_err(|cause| TransportError::TlsServerName {
                name: name.clone(),
                cause,
            })?;
        builder =
            builder.with_server_name_resolver(hyper_rustls::FixedServerNameResolver::new(name));
    }
    finish(builder.enable_http1().wrap_connector(connector), config)
}

/// kube's own layers over the connector (kube-client `make_generic_builder`).
fn finish<C>(connector: C, config: &Config) -> Result<Client, TransportError>
where
    C: tower::Service<Uri> + Clone + Send + Sync + 'static,
    C::Response: hyper_util::client::legacy::connect::Connection
        + hyper::rt::Read
        + hyper::rt::Write
        + Send
        + Unpin
        + 'static,
    C::Future: Send + 'static,
    C::Error: Into<BoxError>,
{
    let mut connector = hyper_timeout::TimeoutConnector::new(connector);
    connector.set_connect_timeout(config.connect_timeout);
    connector.set_read_timeout(config.read_timeout);
    connector.set_write_timeout(config.write_timeout);
    let http: hyper_util::client::legacy::Client<_, kube::client::Body> =
        hyper_util::client::legacy::Builder::new(TokioExecutor::new()).build(connector);
    let auth = config
        .auth_layer()
        .map_err(|e| TransportError::Kubeconfig(super::one_line(&e)))?;
    let headers = config
        .extra_headers_layer()
        .map_err(|e| TransportError::Kubeconfig(super::one_line(&e)))?;
    let retry = config
        .default_retry
        .then(|| tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry()));
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(retry)
        .option_layer(auth)
        .layer(headers)
        .map_err(BoxError::from)
        .service(http);
    Ok(Client::new(service, config.default_namespace.clone()))
}

/// webpki's verification, plus the one case where Go's crypto/x509 accepts
/// what webpki refuses: the server presents, as its own certificate, one of
/// the CA certificates the kubeconfig trusts (`CaUsedAsEndEntity`; a
/// self-signed `openssl req -x509` certificate has `CA:TRUE`).
///
/// crypto/x509 `verify.go`, `(*Certificate).Verify`: after checking the
/// validity period and the host name, `if opts.Roots.contains(c) {
/// candidateChains = [][]*Certificate{{c}} }`, so such a certificate is its
/// own chain; then the extended key usage must allow server auth (or be
/// absent). Exactly those checks are made here, nothing more:
/// - the certificate is byte-for-byte one of the configured CA certificates;
/// - its validity period holds (webpki checks it before the CA flag, in
///   `check_issuer_independent_properties`, so reaching `CaUsedAsEndEntity`
///   means it held);
/// - the host name or IP matches its subject alternative names;
/// - its extended key usage, if any, includes serverAuth or any.
///
/// The handshake signature is still verified against its key.
#[derive(Debug)]
pub struct GoCompatVerifier {
    inner: Arc<WebPkiServerVerifier>,
    cas: Vec<CertificateDer<'static>>,
}

fn is_ca_used_as_end_entity(e: &rustls::Error) -> bool {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => matches!(
            other.0.downcast_ref::<webpki::Error>(),
            Some(webpki::Error::CaUsedAsEndEntity)
        ),
        _ => false,
    }
}

impl ServerCertVerifier for GoCompatVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(e)
                if is_ca_used_as_end_entity(&e)
                    && self.cas.iter().any(|ca| ca.as_ref() == end_entity.as_ref()) =>
            {
                let parsed = ParsedCertificate::try_from(end_entity)?;
                verify_server_name(&parsed, server_name)?;
                if !eku_allows_server_auth(end_entity.as_ref()) {
                    return Err(CertificateError::InvalidPurpose.into());
                }
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// One DER element: (tag, contents, rest). Only what certificates use.
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        (len, &rest[n..])
    };
    if rest.len() < len {
        return None;
    }
    Some((tag, &rest[..len], &rest[len..]))
}

/// The elements of a DER sequence's contents.
fn elements(mut input: &[u8]) -> impl Iterator<Item = (u8, &[u8])> {
    std::iter::from_fn(move || {
        let (tag, body, rest) = der(input)?;
        input = rest;
        Some((tag, body))
    })
}

const OID_EKU: &[u8] = &[0x55, 0x1d, 0x25];
const OID_ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];
const OID_SERVER_AUTH: &[u8] = &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x01];

/// Whether the certificate's extended key usage allows TLS server
/// authentication: no EKU extension, or one listing serverAuth or
/// anyExtendedKeyUsage (crypto/x509 `checkChainForKeyUsage`). A certificate
/// that cannot be read allows nothing.
fn eku_allows_server_auth(cert: &[u8]) -> bool {
    let Some((0x30, cert, _)) = der(cert) else {
        return false;
    };
    let Some((0x30, tbs, _)) = der(cert) else {
        return false;
    };
    // Extensions are `[3] EXPLICIT SEQUENCE OF Extension` in the TBS.
    let Some((_, exts)) = elements(tbs).find(|(tag, _)| *tag == 0xa3) else {
        return true;
    };
    let Some((0x30, exts, _)) = der(exts) else {
        return false;
    };
    for (_, ext) in elements(exts) {
        let mut parts = elements(ext);
        let Some((0x06, oid)) = parts.next() else {
            return false;
        };
        if oid != OID_EKU {
            continue;
        }
        // `critical BOOLEAN DEFAULT FALSE`, then the OCTET STRING value.
        let Some((_, value)) = parts.find(|(tag, _)| *tag == 0x04) else {
            return false;
        };
        let Some((0x30, purposes, _)) = der(value) else {
            return false;
        };
        return elements(purposes)
            .any(|(tag, oid)| tag == 0x06 && (oid == OID_SERVER_AUTH || oid == OID_ANY_EKU));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_reader_refuses_truncated_input() {
        assert!(der(&[0x30]).is_none());
        assert!(der(&[0x30, 0x05, 1, 2]).is_none());
        assert!(der(&[0x30, 0x85, 1, 1, 1, 1, 1]).is_none());
        assert_eq!(
            der(&[0x04, 0x01, 7, 9]),
            Some((0x04, &[7u8][..], &[9u8][..]))
        );
        assert!(!eku_allows_server_auth(b"not a certificate"));
    }
}
