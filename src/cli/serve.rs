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
    /// Let students check exercises from the slides against this
    /// kubeconfig's cluster (the kubeconfig never reaches the page).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// As --kubeconfig, with this context ($KUBECONFIG or ~/.kube/config
    /// when --kubeconfig is not given).
    #[arg(long)]
    context: Option<String>,
    /// With --kubeconfig/--context: checks from this file (keyed by exercise
    /// id) over those in the slides.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
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
    let runtime = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    runtime.block_on(async move {
        let classroom = if args.kubeconfig.is_some() || args.context.is_some() {
            Some(std::sync::Arc::new(
                student(
                    &args.manifest,
                    args.kubeconfig.clone(),
                    args.context.clone(),
                    args.checks.clone(),
                )
                .await?,
            ))
        } else {
            None
        };
        let checking = classroom.is_some();
        let opts = labdeck::serve::Options {
            manifest: args.manifest.clone(),
            port: args.port,
            watch_dirs: args.deck.templates.iter().cloned().collect(),
            classroom,
        };
        let server = labdeck::serve::start(opts, build)
            .await
            .with_context(|| format!("serving {}", args.manifest.display()))?;
        let url = server.url();
        super::out::println(format_args!(
            "labdeck: serving {} at {url} (Ctrl-C to stop)",
            args.manifest.display()
        ))?;
        if checking {
            super::out::println(
                "labdeck: exercises with a check get a Check control (key x; e lists them)",
            )?;
        }
        if args.open {
            open_browser(&url);
        }
        tokio::signal::ctrl_c()
            .await
            .context("waiting for Ctrl-C")?;
        Ok(ExitCode::SUCCESS)
    })
}

/// The student's checking side: the deck's exercises as on disk at each
/// request, and a client for the named cluster (connected now, so a wrong
/// kubeconfig is said at start).
async fn student(
    manifest: &Path,
    kubeconfig: Option<PathBuf>,
    context: Option<String>,
    checks: Option<PathBuf>,
) -> anyhow::Result<labdeck::classroom::student::Student> {
    // The deck must have exercises worth checking; a broken check is said now.
    let exercises = super::check::load_exercises(manifest, checks.as_deref())?;
    super::check::prepare(manifest, exercises, &Default::default())?;
    let source = labdeck::cluster::KubeSource::connect(&labdeck::cluster::ConnectOptions {
        kubeconfig,
        context,
        ..Default::default()
    })
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let path = manifest.to_path_buf();
    // Read again at each request: the deck (and the checks file) may be
    // being edited while it is served.
    let load: labdeck::classroom::student::Loader = std::sync::Arc::new(move || {
        labdeck::check::overlay::load_exercises(&path, checks.as_deref()).map(|(ex, _)| ex)
    });
    Ok(labdeck::classroom::student::Student::new(
        load,
        source,
        std::time::Duration::from_secs(30),
    ))
}

fn open_browser(url: &str) {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else {
        "xdg-open"
    };
    if let Err(e) = std::process::Command::new(opener).arg(url).spawn() {
        labdeck::stderr!("labdeck: could not open a browser ({opener}: {e}); open {url} yourself");
    }
}
