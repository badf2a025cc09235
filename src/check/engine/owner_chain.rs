//! What the engine reads so that `owner:` can follow a controller chain:
//! a Deployment's pods are controlled by a ReplicaSet, itself controlled by
//! the Deployment, so `owner: Deployment` on pods needs the ReplicaSets
//! (a CronJob's pods need the Jobs). These are read like any other feed
//! (list, then watch, shared with expectations reading the same thing),
//! read-only, and only for expectations that ask.
//!
//! Kept apart from `engine.rs` so that the engine's own loop stays small.

use std::collections::HashMap;

use serde_json::Value;
use tokio::sync::watch;

use super::FeedState;
use crate::check::eval::Context;
use crate::check::spec::{Expectation, OwnerSpec};
use crate::cluster::{ClusterError, Query, Resource};
use crate::kinds;

/// The kinds between the objects and the owner the check names, as kind
/// references the cluster resolves: ReplicaSets for a Deployment (and for
/// custom controllers such as Argo Rollouts, which also manage
/// ReplicaSets), Jobs for a CronJob. Other built-in owners control their
/// objects directly. `replaced: true` on pods with no known start
/// (`after_the_fact`) also needs the pods' controllers: ReplicaSets,
/// DaemonSets and StatefulSets (`extra::replaced`).
pub(super) fn kinds_to_read(e: &Expectation, after_the_fact: bool) -> Vec<&'static str> {
    let mut kinds: Vec<&'static str> = match &e.owner {
        Some(OwnerSpec::Kind(k)) => match k.as_str() {
            "Deployment" => vec!["replicasets.apps"],
            "CronJob" => vec!["jobs.batch"],
            k if kinds::builtin(k).is_none() => vec!["replicasets.apps"],
            _ => vec![],
        },
        _ => vec![],
    };
    if after_the_fact
        && e.extra.replaced
        && kinds::builtin(&e.kind).is_some_and(|b| b.kind == "Pod")
    {
        kinds.extend(super::extra::REPLACED_CONTROLLERS);
        kinds.sort_unstable();
        kinds.dedup();
    }
    kinds
}

/// An `owner:` that is not a built-in kind: the cluster resolves it (a
/// plural or short name of a custom resource becomes its Kind).
pub(super) fn custom_owner(e: &Expectation) -> Option<&str> {
    match &e.owner {
        Some(OwnerSpec::Kind(k)) if kinds::builtin(k).is_none() => Some(k.as_str()),
        _ => None,
    }
}

/// What one expectation's evaluation needs beyond its own objects.
#[derive(Debug, Clone, Default)]
pub(super) struct Extra {
    /// The API group and Kind its `kind` resolved to.
    resolved: (String, String),
    /// The Kind a custom `owner:` resolved to.
    owner_kind: Option<String>,
    /// Feeds of the kinds an owner chain passes through.
    pub(super) owner_queries: Vec<Query>,
}

pub(super) fn extra(
    e: &Expectation,
    q: &Query,
    resolved: &HashMap<&str, Result<Resource, ClusterError>>,
    after_the_fact: bool,
) -> Extra {
    let owner_kind = custom_owner(e)
        .and_then(|k| resolved.get(k))
        .and_then(|r| r.as_ref().ok())
        .map(|r| r.kind.clone());
    let owner_queries = kinds_to_read(e, after_the_fact)
        .iter()
        .filter_map(|k| resolved.get(k)?.as_ref().ok())
        // Reading ReplicaSets with `owner: Deployment`: their controller is direct.
        .filter(|r| **r != q.resource)
        .map(|r| Query {
            resource: r.clone(),
            namespace: if r.namespaced {
                q.namespace.clone()
            } else {
                None
            },
            labels: None,
            fields: None,
        })
        .collect();
    Extra {
        resolved: (q.resource.group.clone(), q.resource.kind.clone()),
        owner_kind,
        owner_queries,
    }
}

/// The owner-chain feeds of one exercise, per expectation.
pub(super) struct Receivers {
    per_expectation: Vec<(Extra, Vec<watch::Receiver<FeedState>>)>,
}

impl Receivers {
    pub(super) fn new(
        extras: Vec<Extra>,
        senders: &HashMap<Query, watch::Receiver<FeedState>>,
    ) -> Receivers {
        let per_expectation = extras
            .into_iter()
            .map(|x| {
                let rxs = x
                    .owner_queries
                    .iter()
                    .filter_map(|q| senders.get(q).cloned())
                    .collect();
                (x, rxs)
            })
            .collect();
        Receivers { per_expectation }
    }

    /// What each feed has seen, marking it seen.
    pub(super) fn states(&mut self) -> States {
        States(
            self.per_expectation
                .iter_mut()
                .map(|(_, rxs)| {
                    rxs.iter_mut()
                        .map(|r| r.borrow_and_update().clone())
                        .collect()
                })
                .collect(),
        )
    }

    pub(super) fn receivers_mut(
        &mut self,
    ) -> impl Iterator<Item = &mut watch::Receiver<FeedState>> {
        self.per_expectation
            .iter_mut()
            .flat_map(|(_, rxs)| rxs.iter_mut())
    }

    /// The evaluation context of expectation `i`.
    pub(super) fn context<'a>(&'a self, i: usize, owners: &'a [Value]) -> Context<'a> {
        match self.per_expectation.get(i) {
            Some((x, _)) => Context {
                resolved: Some((x.resolved.0.as_str(), x.resolved.1.as_str())),
                owner_kind: x.owner_kind.as_deref(),
                owners,
                now: None,
            },
            None => Context::default(),
        }
    }
}

/// A snapshot of the owner-chain feeds, per expectation.
pub(super) struct States(Vec<Vec<FeedState>>);

impl States {
    /// The first feed that failed, with its expectation.
    pub(super) fn error(&self) -> Option<(usize, ClusterError)> {
        self.0
            .iter()
            .enumerate()
            .find_map(|(i, states)| states.iter().find_map(|s| s.error.clone().map(|e| (i, e))))
    }

    /// Every feed has listed once.
    pub(super) fn ready(&self) -> bool {
        self.0.iter().flatten().all(|s| s.objects.is_some())
    }

    /// The objects an owner chain of expectation `i` may pass through.
    pub(super) fn objects(&self, i: usize) -> Vec<Value> {
        self.0
            .get(i)
            .into_iter()
            .flatten()
            .filter_map(|s| s.objects.as_ref())
            .flat_map(|o| o.iter().cloned())
            .collect()
    }
}
