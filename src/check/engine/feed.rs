//! One feed's life (list, publish, watch, re-list) as an explicit state
//! machine, after kube-runtime's `watcher.rs` (`State::Empty`,
//! `InitListed`, `Watching`, and the step function that moves between
//! them), so every decision is unit-tested without HTTP or a clock.
//!
//! [`Feed`] holds what a feed knows (the query as now sent, a field
//! selector applied here instead, the objects, the version to resume
//! from) and turns each answer of the server into the next [`Step`]. The
//! async driver in `engine.rs` (`feed`) only performs steps: it lists,
//! opens watches, reads changes, sleeps and publishes, and hands each
//! result back. The rules, with their sources:
//!
//! - a field selector refused with 400 `BadRequest` is applied here over a
//!   list without it (kube-apiserver `handlers/get.go`);
//! - 410 Gone in the stream, or a broken stream, means list again rather
//!   than trust a gap (client-go `tools/cache/reflector.go`), after the
//!   server's `Retry-After` or a pause;
//! - a watch the server closes (its timeout) is re-opened from the last
//!   version seen, pausing first if it closed at once;
//! - a resource without the `watch` verb is listed again every
//!   [`POLL_INTERVAL`](super::POLL_INTERVAL).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use super::{MAX_RETRY_AFTER, RETRY_PAUSE, key, resource_version};
use crate::check::selector::FieldSelector;
use crate::cluster::{Change, ClusterError, Listing, Query};

/// Where a feed is (kube-runtime `watcher::State`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum State {
    /// Nothing listed yet, or the copy is no longer trusted: list.
    Empty,
    /// Listed at this version; nothing watched yet.
    Listed { rv: String },
    /// A watch is open (or to be re-opened) from this version.
    Watching { rv: String },
}

/// What the driver does next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    /// List [`Feed::query`] (retrying transient failures until the
    /// deadline) and hand the answer to [`Feed::listed`].
    List,
    /// Publish the objects of a fresh listing, let every feed list once,
    /// then ask [`Feed::after_listing`].
    PublishListing,
    /// Sleep (never past the deadline), then list again.
    ListAfter(Duration),
    /// A resource without `watch`: list again after
    /// [`POLL_INTERVAL`](super::POLL_INTERVAL), as long as anyone reads.
    Poll,
    /// Open a watch from this version and hand the answer to
    /// [`Feed::watch_opened`].
    Watch { rv: String },
    /// Sleep, then open a watch from this version.
    WatchAfter { rv: String, pause: Duration },
    /// Read the next change of the open watch, for [`Feed::changed`].
    Next,
    /// Publish the objects as changed, then read the next change.
    PublishChange,
    /// Give up: the error is every waiting exercise's answer.
    Fail(ClusterError),
    /// Nothing more to do (no one waits, or nothing is to be watched).
    Stop,
}

/// What one feed knows.
#[derive(Debug)]
pub(super) struct Feed {
    state: State,
    /// The query as now sent (its field selector dropped once refused).
    query: Query,
    /// A field selector the server refused, applied here instead.
    local: Option<FieldSelector>,
    objects: BTreeMap<(String, String), Value>,
}

impl Feed {
    pub(super) fn new(query: Query) -> Feed {
        Feed {
            state: State::Empty,
            query,
            local: None,
            objects: BTreeMap::new(),
        }
    }

    /// The first step of every feed.
    pub(super) fn start(&self) -> Step {
        Step::List
    }

    pub(super) fn query(&self) -> &Query {
        &self.query
    }

    #[cfg(test)]
    pub(super) fn state(&self) -> &State {
        &self.state
    }

    /// The objects as they are now, in key order.
    pub(super) fn objects(&self) -> Arc<Vec<Value>> {
        Arc::new(self.objects.values().cloned().collect())
    }

    fn kept(&self, o: &Value) -> bool {
        self.local.as_ref().is_none_or(|f| f.matches(o))
    }

    /// The answer to [`Step::List`].
    pub(super) fn listed(&mut self, answer: Result<Listing, ClusterError>) -> Step {
        let listing = match answer {
            Ok(l) => l,
            Err(e) if self.local.is_none() && refused_field_selector(&e) => {
                return match self.query.fields.take().map(|f| FieldSelector::parse(&f)) {
                    Some(Ok(f)) => {
                        self.local = Some(f);
                        self.state = State::Empty;
                        Step::List
                    }
                    _ => Step::Fail(e),
                };
            }
            Err(e) => return Step::Fail(e),
        };
        let objects = listing
            .objects
            .into_iter()
            .filter(|o| self.kept(o))
            .map(|o| (key(&o), o))
            .collect();
        self.objects = objects;
        self.state = State::Listed {
            rv: listing.resource_version,
        };
        Step::PublishListing
    }

    /// After a listing was published and every feed listed once:
    /// `watching` says whether anyone still waits for changes (a deadline
    /// ahead and an exercise still reading this feed).
    pub(super) fn after_listing(&mut self, watching: bool) -> Step {
        let rv = match &self.state {
            State::Listed { rv } | State::Watching { rv } => rv.clone(),
            State::Empty => return Step::List,
        };
        if !watching {
            return Step::Stop;
        }
        if !self.query.resource.watch {
            self.state = State::Empty;
            return Step::Poll;
        }
        self.state = State::Watching { rv: rv.clone() };
        Step::Watch { rv }
    }

    /// The answer to [`Step::Watch`] (the opening itself retried until
    /// the deadline).
    pub(super) fn watch_opened(&mut self, answer: Result<(), ClusterError>) -> Step {
        match answer {
            Ok(()) => Step::Next,
            Err(e) => Step::Fail(e),
        }
    }

    /// The next item of the open watch: `None` when the server closed it,
    /// `open_for` after how long it had been open.
    pub(super) fn changed(
        &mut self,
        change: Option<Result<Change, ClusterError>>,
        open_for: Duration,
    ) -> Step {
        let State::Watching { rv } = &mut self.state else {
            return Step::List;
        };
        let Some(change) = change else {
            // The server closed the watch (its timeout): resume where it
            // was, pausing first if it closed at once.
            let rv = rv.clone();
            return if open_for < RETRY_PAUSE {
                Step::WatchAfter {
                    rv,
                    pause: RETRY_PAUSE,
                }
            } else {
                Step::Watch { rv }
            };
        };
        match change {
            Ok(Change::Applied(o)) => {
                if let Some(v) = resource_version(&o) {
                    *rv = v;
                }
                if self.kept(&o) {
                    self.objects.insert(key(&o), o);
                } else {
                    self.objects.remove(&key(&o));
                }
                Step::PublishChange
            }
            Ok(Change::Deleted(o)) => {
                if let Some(v) = resource_version(&o) {
                    *rv = v;
                }
                self.objects.remove(&key(&o));
                Step::PublishChange
            }
            Ok(Change::Bookmark(v)) => {
                *rv = v;
                Step::Next
            }
            // 410 Gone in the stream: the version is older than the
            // server's history; list again (client-go reflector.go).
            Ok(Change::Expired) => {
                self.state = State::Empty;
                Step::List
            }
            Err(e) if !e.is_transient() => Step::Fail(e),
            // A broken stream: list again rather than trust a gap, after
            // the server's Retry-After or a pause, so a flapping server is
            // not hammered.
            Err(e) => {
                self.state = State::Empty;
                Step::ListAfter(
                    e.retry_after()
                        .map_or(RETRY_PAUSE, |w| w.min(MAX_RETRY_AFTER)),
                )
            }
        }
    }
}

/// The server's answer to a list with a field selector it does not support
/// for this kind: 400 with reason `BadRequest` (kube-apiserver
/// `pkg/endpoints/handlers/get.go`, `ListResource`, wraps the field label
/// conversion's error, `"x" is not a known field selector: only ...` or
/// older `field label not supported: x`, in `errors.NewBadRequest`). Only
/// asked of a list that sends a field selector; should the 400 be for
/// something else, the list without it is refused again and that is said.
fn refused_field_selector(e: &ClusterError) -> bool {
    matches!(e, ClusterError::Refused { code: 400, reason, .. } if reason == "BadRequest")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::Resource;
    use serde_json::json;

    fn pods(watch: bool, fields: Option<&str>) -> Query {
        Query {
            resource: Resource {
                group: String::new(),
                version: "v1".into(),
                plural: "pods".into(),
                kind: "Pod".into(),
                namespaced: true,
                watch,
            },
            namespace: Some("default".into()),
            labels: None,
            fields: fields.map(str::to_string),
        }
    }

    fn pod(name: &str, rv: &str, phase: &str) -> Value {
        json!({"metadata": {"name": name, "namespace": "default", "resourceVersion": rv},
               "status": {"phase": phase}})
    }

    fn listing(objects: Vec<Value>, rv: &str) -> Result<Listing, ClusterError> {
        Ok(Listing {
            objects,
            resource_version: rv.into(),
        })
    }

    fn names(f: &Feed) -> Vec<String> {
        f.objects()
            .iter()
            .map(|o| o["metadata"]["name"].as_str().unwrap_or("").to_string())
            .collect()
    }

    /// A feed listed at `rv` with `objects` and watching.
    fn watching(objects: Vec<Value>, rv: &str) -> Feed {
        let mut f = Feed::new(pods(true, None));
        assert_eq!(f.start(), Step::List);
        assert_eq!(f.listed(listing(objects, rv)), Step::PublishListing);
        assert_eq!(
            f.after_listing(true),
            Step::Watch { rv: rv.into() },
            "a watch opens from the listing's version"
        );
        assert_eq!(f.watch_opened(Ok(())), Step::Next);
        f
    }

    #[test]
    fn a_listing_is_published_then_watched_from_its_version() {
        let f = watching(
            vec![pod("b", "5", "Running"), pod("a", "4", "Pending")],
            "7",
        );
        assert_eq!(names(&f), ["a", "b"], "published in key order");
        assert_eq!(f.state(), &State::Watching { rv: "7".into() });
    }

    #[test]
    fn nobody_waiting_means_no_watch_at_all() {
        let mut f = Feed::new(pods(true, None));
        f.listed(listing(vec![], "1"));
        assert_eq!(f.after_listing(false), Step::Stop);
    }

    #[test]
    fn a_resource_without_watch_is_listed_again_every_poll_interval() {
        let mut f = Feed::new(pods(false, None));
        f.listed(listing(vec![], "1"));
        assert_eq!(f.after_listing(true), Step::Poll);
        assert_eq!(f.state(), &State::Empty);
    }

    #[test]
    fn changes_update_the_copy_and_the_version_to_resume_from() {
        let mut f = watching(vec![pod("a", "4", "Pending")], "7");
        let step = f.changed(
            Some(Ok(Change::Applied(pod("a", "8", "Running")))),
            Duration::from_secs(1),
        );
        assert_eq!(step, Step::PublishChange);
        assert_eq!(f.objects()[0]["status"]["phase"], "Running");
        let step = f.changed(
            Some(Ok(Change::Deleted(pod("a", "9", "Running")))),
            Duration::from_secs(1),
        );
        assert_eq!(step, Step::PublishChange);
        assert!(f.objects().is_empty());
        assert_eq!(
            f.changed(Some(Ok(Change::Bookmark("12".into()))), Duration::ZERO),
            Step::Next,
            "a bookmark publishes nothing"
        );
        assert_eq!(f.state(), &State::Watching { rv: "12".into() });
    }

    #[test]
    fn a_closed_watch_resumes_from_the_last_version_pausing_if_it_closed_at_once() {
        let mut f = watching(vec![], "7");
        f.changed(
            Some(Ok(Change::Applied(pod("a", "9", "Running")))),
            Duration::ZERO,
        );
        assert_eq!(
            f.changed(None, Duration::from_secs(30)),
            Step::Watch { rv: "9".into() }
        );
        assert_eq!(
            f.changed(None, Duration::from_millis(10)),
            Step::WatchAfter {
                rv: "9".into(),
                pause: RETRY_PAUSE
            }
        );
    }

    #[test]
    fn gone_in_the_stream_lists_again() {
        let mut f = watching(vec![pod("a", "4", "Pending")], "7");
        assert_eq!(
            f.changed(Some(Ok(Change::Expired)), Duration::ZERO),
            Step::List
        );
        assert_eq!(f.state(), &State::Empty);
        assert_eq!(
            f.listed(listing(vec![pod("c", "20", "Running")], "20")),
            Step::PublishListing
        );
        assert_eq!(names(&f), ["c"], "the re-list replaces the copy whole");
    }

    #[test]
    fn a_broken_stream_lists_again_after_retry_after_capped() {
        let mut f = watching(vec![], "7");
        let broken = ClusterError::Unreachable("connection reset".into());
        assert_eq!(
            f.changed(Some(Err(broken)), Duration::ZERO),
            Step::ListAfter(RETRY_PAUSE)
        );
        let mut f = watching(vec![], "7");
        let busy = ClusterError::Unavailable {
            message: "slow down".into(),
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(
            f.changed(Some(Err(busy)), Duration::ZERO),
            Step::ListAfter(MAX_RETRY_AFTER)
        );
    }

    #[test]
    fn a_lasting_error_in_the_stream_fails_the_feed() {
        let mut f = watching(vec![], "7");
        let e = ClusterError::Forbidden("pods is forbidden".into());
        assert_eq!(
            f.changed(Some(Err(e.clone())), Duration::ZERO),
            Step::Fail(e)
        );
    }

    #[test]
    fn a_refused_field_selector_is_applied_here_over_a_list_without_it() {
        let mut f = Feed::new(pods(true, Some("status.phase=Running")));
        let refused = ClusterError::Refused {
            code: 400,
            reason: "BadRequest".into(),
            message: "\"status.phase\" is not a known field selector".into(),
        };
        assert_eq!(f.listed(Err(refused.clone())), Step::List);
        assert_eq!(f.query().fields, None, "sent without it");
        f.listed(listing(
            vec![pod("a", "1", "Running"), pod("b", "2", "Pending")],
            "3",
        ));
        assert_eq!(names(&f), ["a"]);
        f.after_listing(true);
        f.watch_opened(Ok(()));
        f.changed(
            Some(Ok(Change::Applied(pod("a", "4", "Failed")))),
            Duration::ZERO,
        );
        assert!(
            f.objects().is_empty(),
            "an object leaving the selector leaves the copy"
        );
        // Refused again without it: said, not retried forever.
        let mut f = Feed::new(pods(true, Some("status.phase=Running")));
        f.listed(Err(refused.clone()));
        assert_eq!(f.listed(Err(refused.clone())), Step::Fail(refused));
    }

    #[test]
    fn a_failed_list_or_watch_fails_the_feed() {
        let mut f = Feed::new(pods(true, None));
        let e = ClusterError::Unauthorized("Unauthorized".into());
        assert_eq!(f.listed(Err(e.clone())), Step::Fail(e.clone()));
        let mut f = Feed::new(pods(true, None));
        f.listed(listing(vec![], "1"));
        f.after_listing(true);
        assert_eq!(f.watch_opened(Err(e.clone())), Step::Fail(e));
    }
}
