//! `labdeck lint DECK... [--format text|json|github] [--deny-warnings] [--render]`:
//! arguments, then [`labdeck::lint`], then printing.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Args;

use labdeck::deck::LoadOptions;
use labdeck::lint;
use labdeck::lint::output::{self, LintFormat};

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Deck manifests (YAML), single chapter files (Markdown) or remark pages (HTML).
    #[arg(required = true)]
    decks: Vec<PathBuf>,
    /// Output form: `file:line:col: severity: message`, a JSON array, or
    /// GitHub Actions annotations.
    #[arg(long, value_enum, default_value_t = LintFormat::Text)]
    format: LintFormat,
    /// Exit 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
    /// Repository root for @@INCLUDE/@@LINK (default: the parent of each
    /// manifest's folder).
    #[arg(long)]
    root: Option<PathBuf>,
    /// Checks file (YAML: exercise id -> check) merged with the slides'
    /// checks; its check replaces a slide's for the same exercise.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
    /// Also build each deck's page and measure its slides in headless
    /// Chromium: content cut off at the deck's ratio is an `overflow` error.
    #[arg(long)]
    render: bool,
    /// A remark option over the deck's own, as `build --remark` takes it
    /// (repeatable): code blocks are read as the page built with it shows them.
    #[arg(long, value_name = "KEY=VALUE")]
    remark: Vec<String>,
}

pub fn run(args: LintArgs) -> anyhow::Result<ExitCode> {
    let started = Instant::now();
    let opts = LoadOptions {
        root: args.root,
        remark: args.remark,
        ..LoadOptions::default()
    };
    let mut findings = match &args.checks {
        Some(path) => lint::lint_decks_with_checks(&args.decks, &opts, path),
        None => lint::lint_decks(&args.decks, &opts),
    };
    if args.render {
        findings.extend(lint::overflow::check_decks(&args.decks, &opts)?);
    }
    super::out::print(output::render(&findings, args.format))?;
    // The summary goes to stderr so that stdout stays machine-readable.
    labdeck::info!(
        "labdeck lint: {} deck{}, {} in {} ms",
        args.decks.len(),
        if args.decks.len() == 1 { "" } else { "s" },
        output::summary(&findings),
        started.elapsed().as_millis()
    );
    let errors = findings.iter().any(|d| d.is_error());
    let fail = errors || (args.deny_warnings && findings.iter().any(|d| d.is_problem()));
    // A deck that cannot be loaded at all exits as from every command.
    if findings.iter().any(|d| d.code == "invalid-deck") {
        return Ok(ExitCode::from(labdeck::exit::BAD_INPUT));
    }
    Ok(if fail {
        ExitCode::from(labdeck::exit::FAILED)
    } else {
        ExitCode::SUCCESS
    })
}
