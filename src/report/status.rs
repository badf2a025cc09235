//! The status a command that failed exits with, decided from the error
//! itself (the table of statuses is [`crate::exit`]). Here, above both
//! `cluster` and `exit`, so that the lowest layer need not know cluster
//! errors.

use crate::cluster::ClusterError;
use crate::exit::{BAD_INPUT, CLOSED, UNCHECKED, USAGE, UsageError};

/// The status a command that failed with `e` exits with: [`USAGE`] for a
/// [`UsageError`], [`CLOSED`] for a closed standard output (`closed`
/// says whether `e` is one), [`UNCHECKED`] for a cluster that could not be
/// checked at all (a [`ClusterError`] other than a kubeconfig's:
/// [`crate::check::engine::first_contact`]), [`BAD_INPUT`] for anything
/// else (a kubeconfig missing or malformed is bad input).
pub fn of_error(e: &anyhow::Error, closed: bool) -> u8 {
    if closed {
        CLOSED
    } else if e.chain().any(|c| c.is::<UsageError>()) {
        USAGE
    } else if e.chain().any(|c| {
        c.downcast_ref::<ClusterError>()
            .is_some_and(|c| !matches!(c, ClusterError::Config(_)))
    }) {
        UNCHECKED
    } else {
        BAD_INPUT
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_its_status() {
        let usage = anyhow::Error::new(UsageError("x".into())).context("y");
        assert_eq!(of_error(&usage, false), USAGE);
        assert_eq!(
            of_error(&anyhow::anyhow!("deck.yml:3: bad"), false),
            BAD_INPUT
        );
        assert_eq!(of_error(&anyhow::anyhow!("closed"), true), CLOSED);
        let refused = anyhow::Error::new(ClusterError::Unreachable("refused".into()));
        assert_eq!(of_error(&refused, false), UNCHECKED);
        let config = anyhow::Error::new(ClusterError::Config("/nope: no such file".into()));
        assert_eq!(of_error(&config, false), BAD_INPUT);
    }
}
