//! The fake API server over TLS, as a real kube-apiserver listens: its own
//! serving certificate, and client certificates verified against a client
//! CA (`--client-ca-file`; a request without a certificate may still use a
//! token, a certificate from another CA is refused in the handshake).
//! Certificates are made in the test with rcgen: a CA and the certificates
//! it issues, or one self-signed CA certificate used as the serving
//! certificate, what `openssl req -x509` makes.
//!
//! It serves the router of a plain [`FakeApiServer`], so every behaviour of
//! the fake (objects, watches, tokens) is the same over TLS.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use super::apiserver::FakeApiServer;

/// A certificate and its key, PEM and DER.
#[derive(Clone)]
pub struct Identity {
    pub cert_pem: String,
    pub key_pem: String,
    pub cert_der: CertificateDer<'static>,
    pub key_der: Vec<u8>,
}

impl Identity {
    fn new(cert: &rcgen::Certificate, key: &KeyPair) -> Identity {
        Identity {
            cert_pem: cert.pem(),
            key_pem: key.serialize_pem(),
            cert_der: cert.der().clone(),
            key_der: key.serialize_der(),
        }
    }

    /// `client-certificate-data` / `client-key-data` lines for a kubeconfig user.
    pub fn kubeconfig_user(&self) -> String {
        format!(
            "    client-certificate-data: {}\n    client-key-data: {}\n",
            b64(&self.cert_pem),
            b64(&self.key_pem)
        )
    }
}

pub fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

/// A certificate authority that issues server and client certificates.
pub struct Ca {
    issuer: CertifiedIssuer<'static, KeyPair>,
}

impl Ca {
    pub fn new(name: &str) -> Ca {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let key = KeyPair::generate().expect("ca key");
        Ca {
            issuer: CertifiedIssuer::self_signed(params, key).expect("ca cert"),
        }
    }

    pub fn cert_pem(&self) -> String {
        self.issuer.pem()
    }

    pub fn cert_der(&self) -> CertificateDer<'static> {
        self.issuer.der().clone()
    }

    /// A serving certificate for these DNS names / IPs.
    pub fn server(&self, names: &[&str]) -> Identity {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        Identity::new(&cert, &key)
    }

    /// A serving certificate for these names that expired in 2001 (valid
    /// from 2000): what a cluster left off for a long time presents.
    pub fn expired_server(&self, names: &[&str]) -> Identity {
        let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
        let mut params = CertificateParams::new(names).expect("server params");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = rcgen::date_time_ymd(2000, 1, 1);
        params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        let key = KeyPair::generate().expect("server key");
        let cert = params.signed_by(&key, &self.issuer).expect("server cert");
        Identity::new(&cert, &key)
    }

    /// A client certificate for user `cn` in group `system:masters`.
    pub fn client(&self, cn: &str) -> Identity {
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("client params");
        params.distinguished_name.push(DnType::CommonName, cn);
        params
            .distinguished_name
            .push(DnType::OrganizationName, "system:masters");
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        let key = KeyPair::generate().expect("client key");
        let cert = params.signed_by(&key, &self.issuer).expect("client cert");
        Identity::new(&cert, &key)
    }
}

/// What `openssl req -x509 -newkey ... -addext subjectAltName=...` makes: one
/// self-signed certificate with `CA:TRUE`, used as the serving certificate
/// and given to clients as their `certificate-authority`. `eku`: an
/// extended key usage to add (none by default, as openssl).
pub fn openssl_req_x509(names: &[&str], eku: Option<ExtendedKeyUsagePurpose>) -> Identity {
    let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(names).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    params.extended_key_usages = eku.into_iter().collect();
    let key = KeyPair::generate().expect("key");
    let cert = params.self_signed(&key).expect("self-signed cert");
    Identity::new(&cert, &key)
}

/// The fake's API over TLS on 127.0.0.1 (a random port). Stops when dropped.
pub struct TlsApiServer {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    failed: Arc<Mutex<Vec<String>>>,
}

impl Drop for TlsApiServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl TlsApiServer {
    /// Serves `fake`'s API with `serving` (chain: the certificate alone),
    /// verifying client certificates against `client_ca` when given.
    pub async fn start(
        fake: &FakeApiServer,
        serving: &Identity,
        client_ca: Option<CertificateDer<'static>>,
    ) -> TlsApiServer {
        Self::serve(fake.router(), serving, client_ca).await
    }

    /// Any router over TLS (an OIDC provider...).
    pub async fn serve(
        app: axum::Router,
        serving: &Identity,
        client_ca: Option<CertificateDer<'static>>,
    ) -> TlsApiServer {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("protocol versions");
        let builder = match client_ca {
            Some(ca) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(ca).expect("client CA");
                // kube-apiserver: a certificate is optional (tokens work
                // too), a certificate from another CA is refused.
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                    Arc::new(roots),
                    provider,
                )
                .allow_unauthenticated()
                .build()
                .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(serving.key_der.clone()));
        let mut config = builder
            .with_single_cert(vec![serving.cert_der.clone()], key)
            .expect("server cert");
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        let tcp = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = tcp.local_addr().expect("addr");
        let failed = Arc::new(Mutex::new(Vec::new()));
        let listener = TlsListener {
            tcp,
            acceptor: TlsAcceptor::from(Arc::new(config)),
            failed: failed.clone(),
        };
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        TlsApiServer { addr, task, failed }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Why each refused handshake failed, as the server saw it.
    pub fn refused(&self) -> Vec<String> {
        self.failed
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

struct TlsListener {
    tcp: TcpListener,
    acceptor: TlsAcceptor,
    failed: Arc<Mutex<Vec<String>>>,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            match self.acceptor.accept(tcp).await {
                Ok(tls) => return (tls, addr),
                Err(e) => self
                    .failed
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(e.to_string()),
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// A kubeconfig with one context `name` (cluster `name`, user `name`):
/// `cluster` and `user` are the indented key lines of each entry.
pub fn kubeconfig(name: &str, cluster: &str, user: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Config\ncurrent-context: {name}\nclusters:\n- name: {name}\n  cluster:\n{cluster}contexts:\n- name: {name}\n  context:\n    cluster: {name}\n    user: {name}\n    namespace: default\nusers:\n- name: {name}\n  user:\n{user}"
    )
}

/// A tiny HTTP CONNECT proxy on 127.0.0.1: every tunnel goes to `to`,
/// whatever host it names, and each CONNECT target is recorded.
pub struct ConnectProxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Drop for ConnectProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ConnectProxy {
    pub async fn start(to: SocketAddr) -> ConnectProxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    // The request head, up to the blank line.
                    let mut head = Vec::new();
                    let mut byte = [0u8; 1];
                    while !head.ends_with(b"\r\n\r\n") && head.len() < 8192 {
                        match client.read(&mut byte).await {
                            Ok(1) => head.push(byte[0]),
                            _ => return,
                        }
                    }
                    let head = String::from_utf8_lossy(&head).into_owned();
                    let line = head.lines().next().unwrap_or("").to_string();
                    log.lock().unwrap_or_else(|e| e.into_inner()).push(head);
                    if !line.starts_with("CONNECT ") {
                        let _ = client
                            .write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n")
                            .await;
                        return;
                    }
                    let Ok(mut upstream) = TcpStream::connect(to).await else {
                        let _ = client.write_all(b"HTTP/1.1 502 Bad Gateway\r\n\r\n").await;
                        return;
                    };
                    if client
                        .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                        .await
                        .is_ok()
                    {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    }
                });
            }
        });
        ConnectProxy { addr, task, seen }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The head of each request received (`CONNECT host:port HTTP/1.1` ...).
    pub fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// A tiny SOCKS5 proxy (RFC 1928, no authentication, CONNECT only) on
/// 127.0.0.1: every connection goes to `to`; each requested destination is
/// recorded as `host:port`.
pub struct Socks5Proxy {
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
    seen: Arc<Mutex<Vec<String>>>,
}

impl Drop for Socks5Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Socks5Proxy {
    pub async fn start(to: SocketAddr) -> Socks5Proxy {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
        let task = tokio::spawn(async move {
            loop {
                let Ok((mut c, _)) = listener.accept().await else {
                    continue;
                };
                let log = log.clone();
                tokio::spawn(async move {
                    let mut hello = [0u8; 2];
                    if c.read_exact(&mut hello).await.is_err() || hello[0] != 5 {
                        return;
                    }
                    let mut methods = vec![0u8; usize::from(hello[1])];
                    if c.read_exact(&mut methods).await.is_err()
                        || c.write_all(&[5, 0]).await.is_err()
                    {
                        return;
                    }
                    let mut req = [0u8; 4];
                    if c.read_exact(&mut req).await.is_err() || req[1] != 1 {
                        return;
                    }
                    let host = match req[3] {
                        1 => {
                            let mut ip = [0u8; 4];
                            if c.read_exact(&mut ip).await.is_err() {
                                return;
                            }
                            std::net::Ipv4Addr::from(ip).to_string()
                        }
                        3 => {
                            let mut len = [0u8; 1];
                            if c.read_exact(&mut len).await.is_err() {
                                return;
                            }
                            let mut name = vec![0u8; usize::from(len[0])];
                            if c.read_exact(&mut name).await.is_err() {
                                return;
                            }
                            String::from_utf8_lossy(&name).into_owned()
                        }
                        _ => return,
                    };
                    let mut port = [0u8; 2];
                    if c.read_exact(&mut port).await.is_err() {
                        return;
                    }
                    log.lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(format!("{host}:{}", u16::from_be_bytes(port)));
                    let Ok(mut up) = TcpStream::connect(to).await else {
                        let _ = c.write_all(&[5, 1, 0, 1, 0, 0, 0, 0, 0, 0]).await;
                        return;
                    };
                    if c.write_all(&[5, 0, 0, 1, 127, 0, 0, 1, 0, 0]).await.is_ok() {
                        let _ = tokio::io::copy_bidirectional(&mut c, &mut up).await;
                    }
                });
            }
        });
        Socks5Proxy { addr, task, seen }
    }

    /// `socks5://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("socks5://{}", self.addr)
    }

    /// Every destination asked for, `host:port`.
    pub fn destinations(&self) -> Vec<String> {
        self.seen.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}
