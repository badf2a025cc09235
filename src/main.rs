//! The `labdeck` command line: a thin layer over the library.

#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod cli;

/// mimalloc rather than glibc's malloc: a build allocates and frees half a
/// million small strings and trees across threads (Cargo.toml says what it
/// saves). Only the binary: the library leaves the choice to its users.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
