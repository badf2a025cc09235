//! The classroom: students check their own work from the slides, the
//! instructor watches the whole class move.
//!
//! Two local web servers sit on top of the check engine:
//!
//! - [`student`]: `labdeck serve DECK --kubeconfig F | --context C` adds a
//!   check control to every slide whose exercise has a check. The browser
//!   asks for a check by exercise id only; the server runs that check of the
//!   deck against the student's own cluster (read-only) and streams what it
//!   sees. The kubeconfig never leaves the server.
//! - [`board`]: `labdeck grade DECK --kubeconfigs DIR --serve` re-checks
//!   every student's cluster continuously and keeps a live board (server-sent
//!   events): who passed what and when, who is stuck where. First passes are
//!   appended to a [`crate::grade::history`] file so a restart loses nothing.
//!
//! Both have cluster credentials behind them, so every request goes through
//! [`guard`] (loopback `Host`, same-origin `Origin`, or a token when bound
//! elsewhere), and [`words`] turns engine results into what a student reads.

pub mod addresses;
pub mod board;
pub mod guard;
pub mod student;
pub mod words;
