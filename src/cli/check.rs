//! `labdeck check DECK` and `labdeck exercises DECK`.

use anyhow::Context;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};

use labdeck::check::engine::{self, Options};
use labdeck::cluster::{ClusterSource, ConnectOptions, KubeSource};
use labdeck::report::human::{self, Style};
use labdeck::report::{self, Summary};

use labdeck::check::overlay;
use labdeck::exercise::Exercise;

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Junit,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Deck manifest (`.yml`) or a single chapter (`.md`).
    deck: PathBuf,
    /// Checks file (YAML: exercise id -> check) merged with the slides'
    /// checks; its check replaces a slide's for the same exercise.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
    /// Kubeconfig file (default: $KUBECONFIG, several files merged, then ~/.kube/config).
    #[arg(long)]
    kubeconfig: Option<PathBuf>,
    /// Context to use (default: the kubeconfig's current context).
    #[arg(long)]
    context: Option<String>,
    /// Check only this exercise (repeatable).
    #[arg(long = "only", value_name = "ID")]
    only: Vec<String>,
    /// Override every check's timeout (`30s`, `2m`; `0` = look once).
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Longest wait for a connection to the API server.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    connect_timeout: Duration,
    /// Longest wait for any one API answer.
    #[arg(long, value_parser = parse_duration, default_value = "20s")]
    request_timeout: Duration,
    #[arg(long, value_enum, default_value = "human")]
    format: CheckFormat,
}

/// The deck's exercises, from the same slide model `build` renders. Problems
/// elsewhere in the deck (a missing image...) do not stop a check; they are
/// shown as warnings. Problems with exercises and checks do.
pub(super) fn load_exercises(
    path: &std::path::Path,
    checks: Option<&std::path::Path>,
) -> anyhow::Result<Vec<Exercise>> {
    // The library's errors already name the file (and cause): `{:#}` would
    // repeat the cause, so they become one-line messages.
    let (exercises, warnings) =
        overlay::load_exercises(path, checks).map_err(|e| anyhow::anyhow!("{e}"))?;
    for d in &warnings {
        eprintln!("warning: {}: {}", d.location, d.message);
    }
    Ok(exercises)
}

/// Every duration flag goes through the one parser (src/duration.rs).
pub(super) fn parse_duration(s: &str) -> Result<Duration, String> {
    labdeck::duration::parse_arg(s)
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let exercises = load_exercises(&args.deck, args.checks.as_deref())?;
    let selected = labdeck::selection::select(
        exercises,
        |e| e.id.as_str(),
        &labdeck::selection::Selection {
            only: &args.only,
            ..Default::default()
        },
    )
    .with_context(|| args.deck.display().to_string())?;
    // Every check is parsed before any cluster is contacted.
    let plans = match engine::plans(&selected) {
        Ok(p) => p,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            anyhow::bail!("{} check(s) do not parse", errors.len());
        }
    };
    let unchecked: Vec<String> = selected
        .iter()
        .filter(|e| e.check.is_none())
        .map(|e| e.id.clone())
        .collect();
    if let Some(id) = args.only.iter().find(|id| unchecked.contains(id)) {
        anyhow::bail!("{}: exercise {id:?} has no check", args.deck.display());
    }

    let connect = ConnectOptions {
        kubeconfig: args.kubeconfig.clone(),
        context: args.context.clone(),
        connect_timeout: args.connect_timeout,
        request_timeout: args.request_timeout,
    };
    let opts = Options {
        timeout: args.timeout,
        ..Default::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let human_out = matches!(args.format, CheckFormat::Human);
    let style = Style::detect();
    let (cluster, results) = runtime.block_on(async {
        match KubeSource::connect(&connect).await {
            Err(e) => (
                args.context
                    .clone()
                    .unwrap_or_else(|| "(kubeconfig)".into()),
                engine::error_results(&plans, &e),
            ),
            Ok(source) => {
                let spinner = spinner(human_out, plans.len(), source.name());
                let done = std::sync::atomic::AtomicUsize::new(0);
                let on_result = |r: &engine::ExerciseResult| {
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if let Some(sp) = &spinner {
                        sp.suspend(|| print!("{}", human::exercise(r, style)));
                        sp.set_message(format!("{n}/{} checked", plans.len()));
                    }
                };
                let results = engine::run(&source, &plans, &opts, &on_result).await;
                if let Some(sp) = spinner {
                    sp.finish_and_clear();
                }
                (source.name().to_string(), results)
            }
        }
    });
    let summary = Summary::of(&results);
    match args.format {
        CheckFormat::Human => {
            let spun = std::io::IsTerminal::is_terminal(&std::io::stderr());
            if !spun {
                print!("{}", human::render(&results, style));
            } else {
                print!("{}", human::summary_line(&summary));
            }
            if !unchecked.is_empty() {
                println!("no check: {}", unchecked.join(", "));
            }
        }
        CheckFormat::Json => print!("{}", report::json::render(&cluster, &results, &unchecked)),
        CheckFormat::Junit => {
            print!(
                "{}",
                report::junit::render(&cluster, &results, &unchecked)
                    .map_err(anyhow::Error::msg)?
            )
        }
    }
    Ok(ExitCode::from(summary.exit_code()))
}

/// A spinner on stderr while waiting, only for people watching a terminal.
fn spinner(human: bool, n: usize, cluster: &str) -> Option<ProgressBar> {
    if !human || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        return None;
    }
    let sp = ProgressBar::new_spinner();
    if let Ok(st) = ProgressStyle::with_template("{spinner} {prefix} {msg} {elapsed}") {
        sp.set_style(st);
    }
    sp.set_prefix(format!("checking {n} exercise(s) on {cluster}:"));
    sp.set_message(format!("0/{n} checked"));
    sp.enable_steady_tick(Duration::from_millis(100));
    Some(sp)
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

#[derive(Debug, Args)]
pub struct ExercisesArgs {
    /// Deck manifest (`.yml`) or a single chapter (`.md`).
    deck: PathBuf,
    /// Checks file (YAML: exercise id -> check) merged with the slides'
    /// checks; its check replaces a slide's for the same exercise.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "table")]
    format: ListFormat,
}

pub fn exercises(args: ExercisesArgs) -> anyhow::Result<ExitCode> {
    let exercises = load_exercises(&args.deck, args.checks.as_deref())?;
    match args.format {
        ListFormat::Json => println!("{}", serde_json::to_string_pretty(&exercises)?),
        ListFormat::Table => {
            let mut t = Table::new();
            // Box drawing on a terminal, plain ASCII when piped or NO_COLOR.
            t.load_preset(if Style::detect().unicode {
                UTF8_FULL_CONDENSED
            } else {
                ASCII_FULL_CONDENSED
            });
            t.set_header(["id", "where", "slide", "title", "commands", "check"]);
            for e in &exercises {
                t.add_row([
                    e.id.clone(),
                    format!("{}:{}", e.file.display(), e.line),
                    e.slide.to_string(),
                    e.title.clone(),
                    e.commands.len().to_string(),
                    match &e.check {
                        // From a `--checks` file: say which.
                        Some(c) if c.file != e.file => format!("{}:{}", c.file.display(), c.line),
                        Some(c) => format!("line {}", c.line),
                        None => "NONE".into(),
                    },
                ]);
            }
            println!("{t}");
            let missing = exercises.iter().filter(|e| e.check.is_none()).count();
            println!("{} exercise(s), {missing} without a check", exercises.len());
        }
    }
    Ok(ExitCode::SUCCESS)
}
