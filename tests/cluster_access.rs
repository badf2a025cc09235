//! How labdeck reaches clusters, through the real `kube::Client` (and the
//! real binary where the environment matters): kubeconfig merging, client
//! certificates, a CA certificate used as the serving certificate, proxies
//! and OIDC refresh, each as kubectl behaves.

mod support;

use std::time::Duration;

use labdeck::check::engine::{self, Options, Plan, Verdict};
use labdeck::check::spec;
use labdeck::cluster::{ConnectOptions, KubeSource};
use labdeck::exercise::CheckSource;
use support::apiserver::FakeApiServer;
use support::fixtures::pod;
use support::tls::{
    Ca, ConnectProxy, Identity, Socks5Proxy, TlsApiServer, b64, kubeconfig, openssl_req_x509,
};

const DECK: &str = "slides/labdeck-sample.yml";

fn plan() -> Plan {
    let src = CheckSource {
        yaml: "timeout: 0\nexpect:\n  - kind: pods\n    name: web\n".into(),
        file: "lab.md".into(),
        line: 3,
    };
    Plan {
        id: "web".into(),
        file: src.file.clone(),
        line: 1,
        title: "A pod".into(),
        check: spec::parse(&src).expect("check parses"),
    }
}

fn opts() -> ConnectOptions {
    ConnectOptions {
        connect_timeout: Duration::from_secs(3),
        request_timeout: Duration::from_secs(5),
        ..Default::default()
    }
}

/// The verdict and message of the one-pod check against `kubeconfig_yaml`.
async fn verdict(kubeconfig_yaml: &str) -> (Verdict, String) {
    let kc = kube::config::Kubeconfig::from_yaml(kubeconfig_yaml).expect("kubeconfig parses");
    let plans = [plan()];
    let results = match KubeSource::from_kubeconfig(kc, &opts()).await {
        Ok(source) => engine::run(&source, &plans, &Options::default(), &|_| {}).await,
        Err(e) => engine::error_results(&plans, &e),
    };
    let r = results.into_iter().next().expect("one result");
    (r.verdict, r.message)
}

async fn fake_with_pod() -> FakeApiServer {
    let fake = FakeApiServer::start().await;
    fake.apply(pod("web"));
    fake
}

fn ca_lines(ca_pem: &str, server: &str) -> String {
    format!(
        "    server: {server}\n    certificate-authority-data: {}\n",
        b64(ca_pem)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_certificate_connects_and_a_foreign_one_is_refused_naming_the_context() {
    let fake = fake_with_pod().await;
    let ca = Ca::new("kubernetes");
    let tls = TlsApiServer::start(
        &fake,
        &ca.server(&["127.0.0.1", "localhost"]),
        Some(ca.cert_der()),
    )
    .await;
    let cluster = ca_lines(&ca.cert_pem(), &tls.url());

    let good = kubeconfig(
        "student-07",
        &cluster,
        &ca.client("student-07").kubeconfig_user(),
    );
    let (v, m) = verdict(&good).await;
    assert_eq!(v, Verdict::Pass, "{m}");

    // Same server CA, but a client certificate from another CA.
    let other = Ca::new("not-kubernetes");
    let bad = kubeconfig(
        "student-08",
        &cluster,
        &other.client("student-08").kubeconfig_user(),
    );
    let (v, m) = verdict(&bad).await;
    assert_eq!(v, Verdict::Error, "{m}");
    assert!(m.contains("context student-08"), "{m}");
    assert!(m.contains("refused the client certificate"), "{m}");
    assert!(
        !tls.refused().is_empty(),
        "the server saw the handshake fail"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_ca_certificate_serving_connects_as_with_kubectl() {
    let fake = fake_with_pod().await;
    let cert = openssl_req_x509(&["127.0.0.1", "kube.labdeck.test"], None);
    let tls = TlsApiServer::start(&fake, &cert, None).await;
    let user = "    token: t\n";

    // webpki alone refuses it (the case this is about)...
    let mut roots = rustls::RootCertStore::empty();
    roots.add(cert.cert_der.clone()).unwrap();
    let plain = rustls::client::WebPkiServerVerifier::builder_with_provider(
        std::sync::Arc::new(roots),
        std::sync::Arc::new(rustls::crypto::ring::default_provider()),
    )
    .build()
    .unwrap();
    use rustls::client::danger::ServerCertVerifier as _;
    let refused = plain
        .verify_server_cert(
            &cert.cert_der,
            &[],
            &rustls::pki_types::ServerName::try_from("127.0.0.1").unwrap(),
            &[],
            rustls::pki_types::UnixTime::now(),
        )
        .unwrap_err();
    assert!(
        format!("{refused:?}").contains("CaUsedAsEndEntity"),
        "{refused:?}"
    );
    // ... while the certificate is its own CA: Go (kubectl) accepts, so do we.
    let cfg = kubeconfig("lab", &ca_lines(&cert.cert_pem, &tls.url()), user);
    let (v, m) = verdict(&cfg).await;
    assert_eq!(v, Verdict::Pass, "{m}");

    // The name must still match: checked as `tls-server-name` says.
    let cluster = format!(
        "{}    tls-server-name: other.labdeck.test\n",
        ca_lines(&cert.cert_pem, &tls.url())
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, user)).await;
    assert_eq!(v, Verdict::Error, "{m}");
    assert!(
        m.contains("context lab") && m.contains("not trusted"),
        "{m}"
    );
    // ... and a matching `tls-server-name` is used for verification.
    let cluster = format!(
        "{}    tls-server-name: kube.labdeck.test\n",
        ca_lines(&cert.cert_pem, &tls.url())
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, user)).await;
    assert_eq!(v, Verdict::Pass, "{m}");

    // Not one of the configured CAs: refused, as by Go.
    let stranger = openssl_req_x509(&["127.0.0.1"], None);
    let cfg = kubeconfig("lab", &ca_lines(&stranger.cert_pem, &tls.url()), user);
    let (v, m) = verdict(&cfg).await;
    assert_eq!(v, Verdict::Error, "{m}");
    assert!(m.contains("not trusted"), "{m}");

    // A CA certificate whose key usage excludes serving: Go refuses it too.
    let client_only = openssl_req_x509(
        &["127.0.0.1"],
        Some(rcgen::ExtendedKeyUsagePurpose::ClientAuth),
    );
    let tls3 = TlsApiServer::start(&fake, &client_only, None).await;
    let cfg = kubeconfig("lab", &ca_lines(&client_only.cert_pem, &tls3.url()), user);
    let (v, m) = verdict(&cfg).await;
    assert_eq!(v, Verdict::Error, "{m}");
    assert!(m.contains("not trusted"), "{m}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_proxy_url_tunnels_through_an_http_proxy() {
    let fake = fake_with_pod().await;
    let ca = Ca::new("kubernetes");
    let tls = TlsApiServer::start(&fake, &ca.server(&["kube.labdeck.test"]), None).await;
    let proxy = ConnectProxy::start(tls.addr()).await;
    // The name only the proxy can reach: without it, no connection at all.
    let server = format!("https://kube.labdeck.test:{}", tls.port());
    let cluster = format!(
        "{}    proxy-url: {}\n",
        ca_lines(&ca.cert_pem(), &server),
        proxy.url()
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, "    token: t\n")).await;
    assert_eq!(v, Verdict::Pass, "{m}");
    let seen = proxy.requests();
    assert!(
        seen.iter()
            .any(|r| r.starts_with(&format!("CONNECT kube.labdeck.test:{} ", tls.port()))),
        "{seen:?}"
    );

    // A proxy scheme client-go does not know is a clear config error.
    let cluster = format!(
        "{}    proxy-url: ftp://127.0.0.1:21\n",
        ca_lines(&ca.cert_pem(), &server)
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, "    token: t\n")).await;
    assert_eq!(v, Verdict::Error, "{m}");
    assert!(
        m.contains("context lab") && m.contains("http, https or socks5"),
        "{m}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_socks5_proxy_resolves_names_at_the_proxy() {
    let fake = fake_with_pod().await;
    let ca = Ca::new("kubernetes");
    let tls = TlsApiServer::start(&fake, &ca.server(&["kube.labdeck.test"]), None).await;
    let socks = Socks5Proxy::start(tls.addr()).await;
    let server = format!("https://kube.labdeck.test:{}", tls.port());
    let cluster = format!(
        "{}    proxy-url: {}\n",
        ca_lines(&ca.cert_pem(), &server),
        socks.url()
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, "    token: t\n")).await;
    assert_eq!(v, Verdict::Pass, "{m}");
    // The name, not an address: Go's socks5 dialer lets the proxy resolve.
    let want = format!("kube.labdeck.test:{}", tls.port());
    let seen = socks.destinations();
    assert!(
        !seen.is_empty() && seen.iter().all(|d| *d == want),
        "{seen:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_skip_tls_verify_accepts_any_server_certificate() {
    let fake = fake_with_pod().await;
    let stranger = openssl_req_x509(&["elsewhere.test"], None);
    let tls = TlsApiServer::start(&fake, &stranger, None).await;
    let cluster = format!(
        "    server: {}\n    insecure-skip-tls-verify: true\n",
        tls.url()
    );
    let (v, m) = verdict(&kubeconfig("lab", &cluster, "    token: t\n")).await;
    assert_eq!(v, Verdict::Pass, "{m}");
}

/// `labdeck ARGS` with exactly these proxy/kubeconfig variables.
async fn labdeck_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1");
    for v in [
        "KUBECONFIG",
        "HTTPS_PROXY",
        "https_proxy",
        "HTTP_PROXY",
        "http_proxy",
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().await.expect("run labdeck");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The sample deck's relabel exercise, passing on `fake`.
fn relabelled(fake: &FakeApiServer) {
    use support::fixtures::{deployment, label, orphan, replicaset};
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(orphan(label(
        pod("labeldemo-5b7c9d8f6d-p2rk9"),
        "isactive",
        "no",
    )));
    fake.apply(pod("labeldemo-5b7c9d8f6d-lr62s"));
}

const CHECK: &[&str] = &[
    "check",
    DECK,
    "--only",
    "labeldemo-relabel",
    "--timeout",
    "0",
    "--format",
    "json",
    "--connect-timeout",
    "3s",
];

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_proxy_and_no_proxy_from_the_environment_as_go_reads_them() {
    let fake = FakeApiServer::start().await;
    relabelled(&fake);
    let ca = Ca::new("kubernetes");
    let tls =
        TlsApiServer::start(&fake, &ca.server(&["kube.labdeck.test", "127.0.0.1"]), None).await;
    let proxy = ConnectProxy::start(tls.addr()).await;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, server: &str| {
        let p = dir.path().join(name);
        std::fs::write(
            &p,
            kubeconfig("lab", &ca_lines(&ca.cert_pem(), server), "    token: t\n"),
        )
        .unwrap();
        p.display().to_string()
    };
    let named = write(
        "named",
        &format!("https://kube.labdeck.test:{}", tls.port()),
    );

    // HTTPS_PROXY: the connection goes through the proxy.
    let (code, out, err) = labdeck_with(
        CHECK,
        &[("KUBECONFIG", &named), ("HTTPS_PROXY", &proxy.url())],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let tunnels = proxy.requests();
    assert!(
        !tunnels.is_empty()
            && tunnels
                .iter()
                .all(|r| r.starts_with("CONNECT kube.labdeck.test:")),
        "{tunnels:?}"
    );

    // NO_PROXY covering the server: straight to it, so the name that only
    // the proxy knows does not resolve; the error names the context.
    let (code, out, err) = labdeck_with(
        CHECK,
        &[
            ("KUBECONFIG", &named),
            ("HTTPS_PROXY", &proxy.url()),
            ("NO_PROXY", "example.com, .labdeck.test"),
        ],
    )
    .await;
    assert_eq!(code, 4, "{out}{err}");
    // The first request failed: said once, on stderr (issue 26).
    assert_eq!(
        err.matches("context lab (https://kube.labdeck.test")
            .count(),
        1,
        "{err}"
    );
    assert_eq!(proxy.requests().len(), tunnels.len(), "no new tunnel");

    // Loopback is never proxied (Go's rule), whatever HTTPS_PROXY says.
    let direct = write("direct", &tls.url());
    let (code, out, err) = labdeck_with(
        CHECK,
        &[("KUBECONFIG", &direct), ("HTTPS_PROXY", &proxy.url())],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(proxy.requests().len(), tunnels.len(), "no new tunnel");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubeconfig_list_skips_missing_files_and_the_first_file_wins() {
    let fake = FakeApiServer::start().await;
    relabelled(&fake);
    fake.require_token("right");
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let second = dir.path().join("second");
    std::fs::write(&first, fake.kubeconfig_yaml("right", "default")).unwrap();
    // Same context and user names, wrong token: ignored, first file wins.
    std::fs::write(&second, fake.kubeconfig_yaml("wrong", "default")).unwrap();
    let list =
        std::env::join_paths([first.clone(), dir.path().join("missing"), second.clone()]).unwrap();
    let list = list.to_string_lossy().into_owned();
    let (code, out, err) = labdeck_with(CHECK, &[("KUBECONFIG", &list)]).await;
    assert_eq!(code, 0, "{out}{err}");

    // Only missing files: one clear error naming the list.
    let none = dir.path().join("nope").display().to_string();
    let (code, out, err) = labdeck_with(CHECK, &[("KUBECONFIG", &none)]).await;
    assert_eq!(code, 3, "{out}{err}");
    assert!(err.contains("none of the files in KUBECONFIG="), "{err}");

    // --kubeconfig must exist, even when KUBECONFIG is fine.
    let mut args = CHECK.to_vec();
    args.extend(["--kubeconfig", &none]);
    let (code, out, err) = labdeck_with(&args, &[("KUBECONFIG", &list)]).await;
    assert_eq!(code, 3, "{out}{err}");
    assert!(
        err.contains("nope") && err.contains("No such file"),
        "{err}"
    );
}

/// A JWT whose payload says `exp`, unsigned (kube only reads `exp`).
fn jwt(exp: u64, sub: &str) -> String {
    use base64::Engine as _;
    let e = |s: &str| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(s);
    format!(
        "{}.{}.sig",
        e(r#"{"alg":"none"}"#),
        e(&format!(r#"{{"exp":{exp},"sub":"{sub}"}}"#))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expired_oidc_id_token_is_refreshed_at_the_issuer() {
    use axum::routing::{get, post};
    use std::sync::{Arc, Mutex};
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let fresh = jwt(now + 3600, "student");
    let expired = jwt(now - 60, "student");

    // The identity provider: discovery, then the token endpoint.
    let ca = Ca::new("idp");
    let forms: Arc<Mutex<Vec<String>>> = Arc::default();
    let issuer_url = Arc::new(Mutex::new(String::new()));
    let app = {
        let forms = forms.clone();
        let issuer_url = issuer_url.clone();
        let fresh = fresh.clone();
        axum::Router::new()
            .route(
                "/.well-known/openid-configuration",
                get(move || {
                    let url = issuer_url.lock().unwrap().clone();
                    async move {
                        axum::Json(serde_json::json!({"token_endpoint": format!("{url}/token")}))
                    }
                }),
            )
            .route(
                "/token",
                post(move |body: String| {
                    forms.lock().unwrap().push(body);
                    let fresh = fresh.clone();
                    async move {
                        axum::Json(serde_json::json!({
                            "id_token": fresh, "refresh_token": "next-refresh"
                        }))
                    }
                }),
            )
    };
    let idp = TlsApiServer::serve(app, &ca.server(&["127.0.0.1"]), None).await;
    *issuer_url.lock().unwrap() = idp.url();

    let fake = FakeApiServer::start().await;
    relabelled(&fake);
    fake.require_token(&fresh);
    let dir = tempfile::tempdir().unwrap();
    let user = format!(
        "    auth-provider:\n      name: oidc\n      config:\n        client-id: labdeck\n        client-secret: s3cret\n        id-token: {expired}\n        refresh-token: first-refresh\n        idp-issuer-url: {}\n",
        idp.url()
    );
    let cfg = dir.path().join("config");
    std::fs::write(
        &cfg,
        kubeconfig("lab", &format!("    server: {}\n", fake.url()), &user),
    )
    .unwrap();
    let ca_file = dir.path().join("idp-ca.pem");
    std::fs::write(&ca_file, ca.cert_pem()).unwrap();
    // kube reaches the issuer with the system trust store, which
    // SSL_CERT_FILE replaces (rustls-native-certs), as it does for Go.
    let (code, out, err) = labdeck_with(
        CHECK,
        &[
            ("KUBECONFIG", &cfg.display().to_string()),
            ("SSL_CERT_FILE", &ca_file.display().to_string()),
        ],
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let forms = forms.lock().unwrap().clone();
    assert!(
        forms
            .iter()
            .any(|f| f.contains("grant_type=refresh_token")
                && f.contains("refresh_token=first-refresh")),
        "{forms:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_foreign_client_certificate_is_refused_before_any_request_a_token_alone_works() {
    // The TLS fake refuses a client certificate from another CA even when
    // the token would be accepted: the handshake fails before any request.
    let fake = fake_with_pod().await;
    let ca = Ca::new("kubernetes");
    let tls = TlsApiServer::start(&fake, &ca.server(&["127.0.0.1"]), Some(ca.cert_der())).await;
    let stranger: Identity = Ca::new("elsewhere").client("x");
    let cfg = kubeconfig(
        "x",
        &ca_lines(&ca.cert_pem(), &tls.url()),
        &format!("    token: t\n{}", stranger.kubeconfig_user()),
    );
    fake.clear_requests();
    let (v, _) = verdict(&cfg).await;
    assert_eq!(v, Verdict::Error);
    assert!(fake.requests().is_empty(), "{:?}", fake.requests());
    // Without a certificate, the token alone is fine.
    let cfg = kubeconfig("x", &ca_lines(&ca.cert_pem(), &tls.url()), "    token: t\n");
    let (v, m) = verdict(&cfg).await;
    assert_eq!(v, Verdict::Pass, "{m}");
}

#[tokio::test]
async fn kubeconfig_problems_are_errors_naming_the_context_and_the_problem() {
    let head = "apiVersion: v1\nkind: Config\ncurrent-context: a\n";
    let ctx = "contexts:\n- name: a\n  context: {cluster: c, user: u}\n";
    let user = "users:\n- name: u\n  user: {token: t}\n";
    let cases = [
        (
            format!("{head}contexts:\n- name: a\n  context: {{cluster: gone, user: u}}\n{user}"),
            "context a: cluster \"gone\" not found in kubeconfig",
        ),
        (
            format!("{head}clusters:\n- name: c\n  cluster: {{}}\n{ctx}{user}"),
            "context a (cluster c): cluster url is missing",
        ),
        (
            format!(
                "{head}clusters:\n- name: c\n  cluster: {{server: 'https://x:6443', certificate-authority: /nonexistent/ca.crt}}\n{ctx}{user}"
            ),
            "context a (cluster c): failed to load certificate authority: failed to read file '\"/nonexistent/ca.crt\"'",
        ),
        (
            format!(
                "{head}clusters:\n- name: c\n  cluster: {{server: 'https://x:6443'}}\n{ctx}users:\n- name: u\n  user: {{client-certificate: /nonexistent/c.crt, client-key: /nonexistent/c.key}}\n"
            ),
            "context a: Failed to infer provided configuration: failed to load client certificate",
        ),
        (
            format!(
                "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {{server: 'https://x:6443'}}\n{ctx}{user}"
            ),
            "no current-context; give --context NAME (contexts: a)",
        ),
    ];
    for (yaml, want) in cases {
        let (v, m) = verdict(&yaml).await;
        assert_eq!(v, Verdict::Error, "{m}");
        assert!(m.contains(want), "{m}\nwanted: {want}");
    }
}
