//! labdeck: compile remark-style Markdown training decks into offline HTML
//! slides, and verify that their hands-on exercises left a Kubernetes cluster
//! in the state each slide promises.
//!
//! Data flows one way:
//!
//! ```text
//! manifest ──► assemble (chapters, @@ macros, generated slides)
//!          ──► remark (slides, steps, properties, layouts, content classes)
//!          ──► deck::Deck ──► render (HTML)          [labdeck build / serve]
//!                         └─► exercise ──► check     [labdeck check / grade / run / lint]
//! ```

#![cfg_attr(
    not(test),
    deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)
)]
// What `pub` says is the library's API (mdBook keeps this lint too): an
// item only its own crate reaches is `pub(crate)`. Here and not in
// Cargo.toml's [lints], which would also hold the binary's CLI and the
// test crates, whose `pub` items no other crate can reach by design.
#![warn(unreachable_pub)]

pub mod assemble;
pub mod build;
pub mod check;
pub mod classroom;
pub mod cluster;
pub mod console;
pub mod deck;
pub mod diagnostic;
pub mod duration;
pub mod error;
pub mod exercise;
pub mod exit;
pub mod files;
pub mod foreign;
pub mod grade;
mod hashing;
pub mod html_page;
pub mod kinds;
pub mod lint;
pub mod manifest;
pub mod output;
pub mod pdf;
pub mod remark;
pub mod render;
pub mod report;
pub mod run;
pub mod selection;
pub mod serve;
pub mod shell;
pub mod source;
pub mod suggest;
