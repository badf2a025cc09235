//! One trust store per process (issue 15): clients for many clusters share
//! one server-certificate verifier per distinct CA set, the system store is
//! loaded at most once, and `http://` clusters build none. Alone in its test
//! binary, so the process-wide count is this test's own.

mod support;

use labdeck::cluster::transport::verifiers_built;
use labdeck::cluster::{ConnectOptions, KubeSource};
use support::tls::{Ca, b64, kubeconfig};

async fn connect(yaml: &str) {
    let kc = kube::config::Kubeconfig::from_yaml(yaml).expect("kubeconfig");
    KubeSource::from_kubeconfig(kc, &ConnectOptions::default())
        .await
        .expect("client");
}

#[tokio::test]
async fn verifiers_are_built_once_per_ca_set_not_per_cluster() {
    assert_eq!(verifiers_built(), 0);
    // 300 http:// clusters: no TLS at all.
    for i in 0..300 {
        let cluster = format!("    server: http://10.0.{}.{}:8080\n", i / 250, i % 250);
        connect(&kubeconfig(&format!("s{i}"), &cluster, "    token: t\n")).await;
    }
    assert_eq!(verifiers_built(), 0);

    // 300 https:// clusters without CA data: the system store, once.
    for i in 0..300 {
        let cluster = format!("    server: https://student{i}.example:6443\n");
        connect(&kubeconfig(&format!("s{i}"), &cluster, "    token: t\n")).await;
    }
    assert_eq!(verifiers_built(), 1);

    // 300 clusters, each with a client certificate, sharing two CAs.
    let cas = [Ca::new("class-a"), Ca::new("class-b")];
    for i in 0..300 {
        let ca = &cas[i % 2];
        let cluster = format!(
            "    server: https://student{i}.example:6443\n    certificate-authority-data: {}\n",
            b64(&ca.cert_pem())
        );
        let user = ca.client(&format!("s{i}")).kubeconfig_user();
        connect(&kubeconfig(&format!("s{i}"), &cluster, &user)).await;
    }
    assert_eq!(verifiers_built(), 3);
}
