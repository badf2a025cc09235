//! The exit statuses of every `labdeck` command, in one table, so that a
//! script or CI job can tell "the exercises failed" from "the cluster could
//! not be read" from "the deck is broken" from "the command line is wrong".
//! (Until issue 26, 2 meant all of the last three.) README.md and
//! docs/exit-status.md show this table; `tests/cli_conventions.rs` runs each.
//!
//! | status | meaning |
//! |---|---|
//! | 0 | done: every check passed, the deck linted clean, the file was written |
//! | 1 | a check failed, `lint` found problems, an exercise of `run` failed |
//! | 2 | usage: the command line is wrong (clap's own status for an unknown flag or a bad value; also flags that contradict each other) |
//! | 3 | bad input: a deck, manifest, checks file or kubeconfig is missing or malformed, or an output could not be written; nothing was done and no file was replaced |
//! | 4 | some exercise could not be checked: the cluster did not answer, refused the credentials (401/403), or does not serve a kind a check reads |
//! | 130 | interrupted (Ctrl-C, SIGTERM, SIGHUP), as shells report 128 + SIGINT |
//! | 141 | standard output was closed by its reader (`labdeck exercises DECK \| head -1`), as shells report 128 + SIGPIPE |
//!
//! When several apply, the highest of 1, 3 and 4 wins for `check` and
//! `grade` (an exercise that could not be checked says more than one that
//! failed).

/// Everything passed, or the output was written.
pub const OK: u8 = 0;
/// A check failed, `lint` found problems, an exercise of `run` failed.
pub const FAILED: u8 = 1;
/// The command line is wrong: clap exits with 2 for its own errors
/// (`clap::error::Error::exit`, `USAGE_CODE`), and so does labdeck for
/// flags that contradict each other ([`UsageError`]).
pub const USAGE: u8 = 2;
/// A deck, manifest, checks file or kubeconfig is missing or malformed, or
/// an output file could not be written: nothing was done.
pub const BAD_INPUT: u8 = 3;
/// Some exercise could not be checked (the cluster did not answer, refused,
/// or does not serve a kind a check reads).
pub const UNCHECKED: u8 = 4;
/// Interrupted by a signal (128 + SIGINT, as shells report it).
pub const INTERRUPTED: u8 = 130;
/// Standard output closed by its reader (128 + SIGPIPE, as shells report a
/// program SIGPIPE ended).
pub const CLOSED: u8 = 141;

/// Flags that contradict each other, found after clap parsed them: exits
/// with [`USAGE`], as clap's own errors do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_distinct() {
        let all = [OK, FAILED, USAGE, BAD_INPUT, UNCHECKED, INTERRUPTED, CLOSED];
        for (i, a) in all.iter().enumerate() {
            assert!(!all[i + 1..].contains(a), "{a} twice");
        }
    }
}
