//! `labdeck pdf MANIFEST [--out F] [--notes]`: arguments, then
//! [`labdeck::pdf`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Args;

use super::serve::{DeckArgs, deck_builder};

#[derive(Debug, Args)]
pub struct PdfArgs {
    /// Deck manifest (YAML) or a single chapter (Markdown).
    manifest: PathBuf,
    /// Where to write the PDF (default: the manifest with a .pdf extension).
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Add a page of speaker notes after each slide that has notes.
    #[arg(long)]
    notes: bool,
    /// The browser to print with (a path, or a name looked up on PATH;
    /// default: $LABDECK_BROWSER, $CHROME_PATH, else the first of chromium,
    /// chromium-browser, google-chrome, google-chrome-stable, chrome,
    /// microsoft-edge, microsoft-edge-stable, msedge on PATH).
    #[arg(long, value_name = "PROGRAM")]
    browser: Option<PathBuf>,
    #[command(flatten)]
    deck: DeckArgs,
}

pub fn run(args: PdfArgs) -> anyhow::Result<ExitCode> {
    let built = deck_builder(&args.manifest, &args.deck)?()?;
    let out = args
        .out
        .unwrap_or_else(|| args.manifest.with_extension("pdf"));
    labdeck::pdf::print_deck(
        &built.html,
        &args.manifest,
        &out,
        args.notes,
        args.browser.as_deref(),
    )?;
    if labdeck::console::verbosity() != labdeck::console::Verbosity::Quiet {
        super::out::println(format_args!("labdeck: wrote {}", out.display()))?;
    }
    Ok(ExitCode::SUCCESS)
}
