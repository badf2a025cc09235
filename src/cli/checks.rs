//! `labdeck checks suggest DECK [--out FILE]`: draft checks inferred from
//! the commands on the slides (the library's `suggest` module decides;
//! this parses arguments and prints).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use labdeck::deck::{self, LoadOptions};
use labdeck::exercise;
use labdeck::suggest;

#[derive(Debug, Args)]
pub struct ChecksArgs {
    #[command(subcommand)]
    command: ChecksCommand,
}

#[derive(Debug, Subcommand)]
enum ChecksCommand {
    /// Write a checks file (the `--checks FILE` overlay) with a draft check
    /// for each exercise whose commands change the cluster, to review.
    Suggest(SuggestArgs),
}

#[derive(Debug, Args)]
struct SuggestArgs {
    /// Deck manifest (`.yml`) or a single chapter (`.md`).
    deck: PathBuf,
    /// Write the checks here instead of standard output.
    #[arg(long, short)]
    out: Option<PathBuf>,
    /// Also suggest for exercises that already have a check in the slides
    /// (an overlay entry replaces the slide's check).
    #[arg(long)]
    include_checked: bool,
    /// Repository root for @@INCLUDE and for `kubectl apply -f` paths
    /// (default: the parent of the manifest's folder).
    #[arg(long)]
    root: Option<PathBuf>,
}

pub fn run(args: ChecksArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        ChecksCommand::Suggest(a) => suggest_cmd(a),
    }
}

fn suggest_cmd(args: SuggestArgs) -> anyhow::Result<ExitCode> {
    let deck = deck::load(
        &args.deck,
        &LoadOptions {
            root: args.root,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let (exercises, _) = exercise::extract(&deck);
    let report = suggest::suggest(&deck, &exercises);
    let text = report.render(&args.deck.display().to_string(), args.include_checked);
    match &args.out {
        Some(path) => write_whole(path, &text)?,
        None => print!("{text}"),
    }
    for line in report.skipped_lines() {
        eprintln!("skipped: {line}");
    }
    let c = report.coverage();
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    eprintln!(
        "labdeck checks suggest: {} exercises, {} change the cluster: {} suggested ({} partly), {} skipped{}",
        c.exercises,
        c.changing,
        c.suggested,
        c.partial,
        c.skipped,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    );
    Ok(ExitCode::SUCCESS)
}

/// Writes the file through a temporary file in the same folder, so that an
/// error never leaves half a file.
fn write_whole(path: &std::path::Path, text: &str) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(&dir)
        .map_err(|e| anyhow::anyhow!("{}: {e}", dir.display()))?;
    tmp.write_all(text.as_bytes())
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    tmp.persist(path)
        .map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.error))?;
    Ok(())
}
