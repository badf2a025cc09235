//! Standard output for every subcommand. `print!` panics when the reader
//! has gone (`labdeck exercises DECK | head -1`); here that is an error,
//! [`Closed`], which unwinds the command normally (temporary files and the
//! pinned kubeconfig of `run` are removed on the way) and which `main`
//! turns into a quiet exit, as Unix tools end on a closed pipe.

use std::fmt::Display;
use std::io::Write;

/// Standard output was closed by its reader.
#[derive(Debug, thiserror::Error)]
#[error("standard output is closed")]
pub struct Closed;

/// Writes `text` to standard output and flushes it.
pub fn print(text: impl Display) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    write!(out, "{text}")
        .and_then(|()| out.flush())
        .map_err(stdout_error)
}

/// [`print`] with a newline.
pub fn println(text: impl Display) -> anyhow::Result<()> {
    print(format_args!("{text}\n"))
}

/// An error writing to standard output, as the command reports it.
pub fn stdout_error(e: std::io::Error) -> anyhow::Error {
    if e.kind() == std::io::ErrorKind::BrokenPipe {
        anyhow::Error::new(Closed)
    } else {
        anyhow::Error::new(e).context("writing to standard output")
    }
}

/// Whether the command ended because standard output was closed.
pub fn is_closed(e: &anyhow::Error) -> bool {
    e.chain().any(|c| c.is::<Closed>())
}
