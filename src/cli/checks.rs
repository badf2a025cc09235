//! `labdeck checks suggest DECK [--out FILE]`: draft checks inferred from
//! the commands on the slides (the library's `suggest` module decides;
//! this parses arguments and prints).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Subcommand};

use labdeck::deck::LoadOptions;
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
    let (deck, exercises) = suggest::load(
        &args.deck,
        &LoadOptions {
            root: args.root,
            ..Default::default()
        },
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let report = suggest::suggest(&deck, &exercises);
    let text = report.render(&args.deck.display().to_string(), args.include_checked);
    match &args.out {
        // Whole or absent, as every file labdeck writes.
        Some(path) => labdeck::output::write_atomically(path, text.as_bytes())?,
        None => super::out::print(&text)?,
    }
    for line in report.skipped_lines() {
        labdeck::info!("skipped: {line}");
    }
    let c = report.coverage();
    let reasons: Vec<String> = c
        .reasons
        .iter()
        .map(|(r, n)| format!("{} {n}", r.as_str()))
        .collect();
    let withheld: Vec<String> = c
        .withheld
        .iter()
        .map(|(w, n)| format!("{} {n}", w.as_str()))
        .collect();
    labdeck::info!(
        "labdeck checks suggest: {} exercises, {} change the cluster: {} suggested ({} partly), {} withheld{}, {} skipped{}",
        c.exercises,
        c.changing,
        c.suggested,
        c.partial,
        c.withheld.values().sum::<usize>(),
        if withheld.is_empty() {
            String::new()
        } else {
            format!(" ({})", withheld.join(", "))
        },
        c.skipped,
        if reasons.is_empty() {
            String::new()
        } else {
            format!(" ({})", reasons.join(", "))
        }
    );
    Ok(ExitCode::SUCCESS)
}
