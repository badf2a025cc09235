//! `labdeck pdf MANIFEST [--out F] [--notes]`

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
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
    #[command(flatten)]
    deck: DeckArgs,
}

pub fn run(args: PdfArgs) -> anyhow::Result<ExitCode> {
    let built = deck_builder(&args.manifest, &args.deck)?()?;
    // The page goes beside the manifest so its relative image paths resolve.
    let dir = args
        .manifest
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let mut page = tempfile::Builder::new()
        .prefix(".labdeck-print-")
        .suffix(".html")
        .tempfile_in(&dir)
        .with_context(|| format!("creating a temporary page in {}", dir.display()))?;
    page.write_all(built.html.as_bytes())
        .and_then(|()| page.flush())
        .with_context(|| format!("writing {}", page.path().display()))?;
    let out = args
        .out
        .unwrap_or_else(|| args.manifest.with_extension("pdf"));
    labdeck::pdf::print(page.path(), &out, args.notes)?;
    super::out::println(format_args!("labdeck: wrote {}", out.display()))?;
    Ok(ExitCode::SUCCESS)
}
