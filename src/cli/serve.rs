//! `labdeck serve MANIFEST [--port N] [--open]`

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;

use super::BuildArgs;

#[derive(clap::Args)]
pub struct Args {
    /// Deck manifest (.yml) or a single chapter (.md).
    manifest: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 8000)]
    port: u16,
    /// Open the deck in the default browser.
    #[arg(long)]
    open: bool,
    #[command(flatten)]
    build: BuildArgs,
}

pub fn run(args: Args) -> anyhow::Result<()> {
    if !args.manifest.is_file() {
        anyhow::bail!("{}: no such file", args.manifest.display());
    }
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let manifest = args.manifest.clone();
        let build_args = args.build.clone();
        let builder: labdeck::serve::Builder =
            Arc::new(move || super::build(&manifest, &build_args));
        let opts = labdeck::serve::Options {
            manifest: args.manifest.clone(),
            port: args.port,
            watch_dirs: args.build.templates.iter().cloned().collect(),
        };
        let server = labdeck::serve::start(opts, builder)
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
        Ok(())
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
