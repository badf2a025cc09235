//! `labdeck serve MANIFEST [--port N] [--open]`

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use clap::Args;

use labdeck::error::Error;

pub use super::build::DeckArgs;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Deck manifest (YAML) or a single chapter (Markdown).
    manifest: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Open the deck in the default browser.
    #[arg(long)]
    open: bool,
    #[command(flatten)]
    deck: DeckArgs,
}

/// The deck's page and the files it was made from, with the deck compiler.
pub fn deck_builder(manifest: &Path, args: &DeckArgs) -> Result<labdeck::serve::Builder, Error> {
    labdeck::serve::deck_builder(manifest.to_path_buf(), args.options())
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    if !args.manifest.is_file() {
        anyhow::bail!("{}: no such file", args.manifest.display());
    }
    let build = deck_builder(&args.manifest, &args.deck)?;
    let opts = labdeck::serve::Options {
        manifest: args.manifest.clone(),
        port: args.port,
        watch_dirs: args.deck.templates.iter().cloned().collect(),
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let server = labdeck::serve::start(opts, build)
            .await
            .with_context(|| format!("serving {}", args.manifest.display()))?;
        let url = server.url();
        println!(
            "labdeck: serving {} at {url} (Ctrl-C to stop)",
            args.manifest.display()
        );
        if args.open {
            open_browser(&url);
        }
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        Ok(ExitCode::SUCCESS)
    })
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        eprintln!("labdeck: could not open a browser ({opener}: {e}); open {url} yourself");
    }
}
