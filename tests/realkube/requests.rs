//! What labdeck asks of a real API server, read from its audit log (one
//! JSON line per request made with the admin credentials): the User-Agent it
//! sends, how many requests a check costs on a 1.20 server (no aggregated
//! discovery), and a kind whose CustomResourceDefinition arrives while the
//! check waits.

use std::time::Duration;

use crate::cluster::{Ns, Realkube, labdeck};
use crate::verdicts::{Waiting, check, one_exercise, verdict};

/// Audit lines appended since `from` (a byte offset) whose user agent is
/// labdeck's, with the URIs they asked for.
fn labdeck_requests(rk: &Realkube, from: usize) -> Vec<(String, String)> {
    let log = std::fs::read_to_string(rk.audit_log()).unwrap();
    let mut ids = std::collections::HashSet::new();
    log.get(from..)
        .unwrap_or("")
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|e| {
            e["userAgent"]
                .as_str()
                .is_some_and(|u| u.starts_with("labdeck/"))
        })
        // A watch is logged when it starts and when it ends: one request.
        .filter(|e| ids.insert(e["auditID"].as_str().unwrap_or_default().to_string()))
        .map(|e| {
            (
                e["userAgent"].as_str().unwrap_or_default().to_string(),
                e["requestURI"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

fn audit_len(rk: &Realkube) -> usize {
    std::fs::metadata(rk.audit_log())
        .map(|m| m.len() as usize)
        .unwrap_or(0)
}

pub fn user_agent_and_request_counts(rk: &Realkube) {
    let ns = Ns::new(rk, "requests");
    let from = audit_len(rk);
    let out = labdeck(
        rk,
        &[
            "check",
            "slides/labdeck-sample.yml",
            "--kubeconfig",
            ns.kubeconfig_str(),
            "--timeout",
            "0",
        ],
    );
    assert_eq!(out.code, 1, "nothing done yet: {}", out.all());
    // The audit log is written asynchronously (batch backend): give the
    // server a moment by reading until the count stops growing.
    let mut seen = Vec::new();
    ns.until(Duration::from_secs(10), "the audit log", || {
        let now = labdeck_requests(rk, from);
        let settled = !now.is_empty() && now.len() == seen.len();
        seen = now;
        settled
    });
    let version = env!("CARGO_PKG_VERSION");
    for (ua, uri) in &seen {
        assert!(
            ua.starts_with(&format!("labdeck/v{version} (")),
            "{uri} was sent with User-Agent {ua:?}"
        );
    }
    let discovery = seen
        .iter()
        .filter(|(_, u)| u.starts_with("/api?") || u == "/api" || u.starts_with("/apis"))
        .count();
    eprintln!(
        "whole sample deck, --timeout 0, on Kubernetes 1.20: {} requests ({discovery} discovery):\n{:#?}",
        seen.len(),
        seen.iter().map(|(_, u)| u).collect::<Vec<_>>()
    );
    // Only the groups the deck's checks need: core and apps.
    assert!(seen.len() <= 8, "{} requests: {seen:#?}", seen.len());
}

const GADGET_CRD: &str = "apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: gadgets.late.labdeck.test}
spec:
  group: late.labdeck.test
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}
";

pub fn late_crd(rk: &Realkube) {
    let ns = Ns::new(rk, "latecrd");
    let _ = rk.kubectl_raw(
        &rk.admin,
        &["delete", "crd", "gadgets.late.labdeck.test", "--wait=true"],
        None,
    );
    let deck = ns.deck(
        "gadget.md",
        &one_exercise("gadget", "expect:\n  - kind: Gadget\n    name: g\n"),
    );
    // Never installed: at the deadline, the student's "not done yet", in words.
    let out = check(&ns, &deck, "3s");
    let (v, text) = verdict(&out, "gadget");
    assert_eq!(v, "fail", "not a cluster fault: {text}");
    assert!(text.contains("CustomResourceDefinition"), "{text}");

    // "Install the operator, then create its object": the check waits.
    let from = audit_len(rk);
    let child = Waiting::start(&ns, &deck, "90s");
    // It has looked (discovery) more than once: it is waiting for the kind.
    ns.until(Duration::from_secs(30), "discovery asked again", || {
        labdeck_requests(rk, from)
            .iter()
            .filter(|(_, u)| u.starts_with("/apis"))
            .count()
            >= 2
    });
    rk.kubectl_in(&rk.admin, &["apply", "-f", "-"], Some(GADGET_CRD));
    rk.kubectl(&[
        "wait",
        "--for=condition=Established",
        "crd/gadgets.late.labdeck.test",
        "--timeout=60s",
    ]);
    ns.apply("apiVersion: late.labdeck.test/v1\nkind: Gadget\nmetadata: {name: g}\n");
    let (code, text) = child.finish();
    assert_eq!(code, Some(0), "{text}");
    let _ = rk.kubectl_raw(
        &rk.admin,
        &["delete", "crd", "gadgets.late.labdeck.test", "--wait=false"],
        None,
    );
}
