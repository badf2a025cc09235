//! Subcommands. Each file parses its own arguments and calls the library.

pub mod pdf;
pub mod serve;

use std::path::{Path, PathBuf};

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "labdeck", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build a deck, serve it on 127.0.0.1 and reload browsers when it changes.
    Serve(serve::Args),
    /// Build a deck and print it to PDF with headless Chromium.
    Pdf(pdf::Args),
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Pdf(args) => pdf::run(args),
    }
}

/// Options that change how a deck page is built (shared by build-like commands).
#[derive(clap::Args, Clone, Debug)]
pub struct BuildArgs {
    /// Folder whose files replace the built-in templates of the same name.
    #[arg(long, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// Extra stylesheet to inline after the theme (repeatable).
    #[arg(long, value_name = "FILE")]
    pub css: Vec<PathBuf>,
}

/// Build one deck page. The one place that names the deck compiler.
pub fn build(
    manifest: &Path,
    opts: &BuildArgs,
) -> Result<labdeck::serve::Built, labdeck::error::Error> {
    labdeck::serve::stub::build_deck(manifest, opts.templates.as_deref(), &opts.css)
}
