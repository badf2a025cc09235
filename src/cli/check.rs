//! `labdeck check DECK` and `labdeck exercises DECK`: arguments, then the
//! library's loader, selection ([`labdeck::check::prepare`]) and engine,
//! then printing.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::OnceLock;
use std::time::Duration;

use clap::{Args, ValueEnum};
use comfy_table::Table;
use comfy_table::presets::{ASCII_FULL_CONDENSED, UTF8_FULL_CONDENSED};
use indicatif::{ProgressBar, ProgressStyle};

use labdeck::check::engine::{self, ExerciseResult, Options};
use labdeck::check::overlay;
use labdeck::check::prepare::{self, PrepareError, Prepared};
use labdeck::cluster::ConnectOptions;
use labdeck::exercise::Exercise;
use labdeck::report::human::{self, Style};
use labdeck::report::{self, Summary};
use labdeck::selection::Selection;

use super::SelectArgs;
use super::out;

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
    #[command(flatten)]
    select: SelectArgs,
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
pub(super) fn load_exercises(path: &Path, checks: Option<&Path>) -> anyhow::Result<Vec<Exercise>> {
    // The library's errors already name the file (and cause): `{:#}` would
    // repeat the cause, so they become one-line messages.
    let (exercises, warnings) =
        overlay::load_exercises(path, checks).map_err(|e| anyhow::anyhow!("{e}"))?;
    for d in &warnings {
        labdeck::stderr!("warning: {}: {}", d.location, d.message);
    }
    Ok(exercises)
}

/// The selected exercises with their checks parsed
/// ([`labdeck::check::prepare`]); every check that does not parse is
/// printed.
pub(super) fn prepare(
    deck: &Path,
    exercises: Vec<Exercise>,
    selection: &Selection,
) -> anyhow::Result<Prepared> {
    prepare::prepare(exercises, selection).map_err(|e| refused(deck, e))
}

/// A [`PrepareError`] as the command says it.
pub(super) fn refused(deck: &Path, e: PrepareError) -> anyhow::Error {
    match e {
        PrepareError::Checks(errors) => {
            for e in &errors {
                labdeck::stderr!("error: {e}");
            }
            anyhow::Error::new(PrepareError::Checks(errors))
        }
        other if other.is_usage() => anyhow::Error::new(labdeck::exit::UsageError(format!(
            "{}: {other}",
            deck.display()
        ))),
        other => anyhow::anyhow!("{}: {other}", deck.display()),
    }
}

/// Every duration flag goes through the one parser (src/duration.rs).
pub(super) fn parse_duration(s: &str) -> Result<Duration, labdeck::duration::DurationError> {
    labdeck::duration::parse(s)
}

pub fn run(args: CheckArgs) -> anyhow::Result<ExitCode> {
    let exercises = load_exercises(&args.deck, args.checks.as_deref())?;
    let Prepared { plans, unchecked } = prepare(&args.deck, exercises, &args.select.selection())?;
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
    let spinner: OnceLock<ProgressBar> = OnceLock::new();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let on_connected = |cluster: &str| {
        labdeck::verbose!(
            "labdeck check: {} exercise(s) with a check, on {cluster}",
            plans.len()
        );
        if let Some(sp) = new_spinner(human_out, plans.len(), cluster) {
            let _ = spinner.set(sp);
        }
    };
    let on_result = |r: &ExerciseResult| {
        let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if let Some(sp) = spinner.get() {
            // A closed stdout is said when the summary is printed.
            sp.suspend(|| {
                let _ = out::print(human::exercise(r, style));
            });
            sp.set_message(format!("{n}/{} checked", plans.len()));
        }
    };
    let checked = runtime.block_on(engine::check_cluster(
        &connect,
        &plans,
        &opts,
        on_connected,
        &on_result,
    ));
    // A kubeconfig that cannot be used, or a cluster whose first answer
    // says it cannot be checked, is said once (its exit status:
    // `labdeck::report::status::of_error`).
    let (cluster, results) = checked.map_err(anyhow::Error::new)?;
    let spun = spinner.get().is_some();
    if let Some(sp) = spinner.get() {
        sp.finish_and_clear();
    }
    let summary = Summary::of(&results);
    match args.format {
        CheckFormat::Human => {
            if spun {
                // Each verdict was printed as it came.
                out::print(human::summary_line(&summary))?;
            } else {
                out::print(human::render(&results, style))?;
            }
            if !unchecked.is_empty() {
                out::println(format_args!("no check: {}", unchecked.join(", ")))?;
            }
        }
        CheckFormat::Json => out::print(report::json::render(&cluster, &results, &unchecked))?,
        CheckFormat::Junit => out::print(
            report::junit::render(&cluster, &results, &unchecked).map_err(anyhow::Error::msg)?,
        )?,
    }
    Ok(ExitCode::from(summary.exit_code()))
}

/// A spinner on stderr while waiting, only for people watching a terminal.
fn new_spinner(human: bool, n: usize, cluster: &str) -> Option<ProgressBar> {
    if !human
        || !std::io::IsTerminal::is_terminal(&std::io::stderr())
        || labdeck::console::verbosity() == labdeck::console::Verbosity::Quiet
    {
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
        ListFormat::Json => out::println(serde_json::to_string_pretty(&exercises)?)?,
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
            let missing = exercises.iter().filter(|e| e.check.is_none()).count();
            out::println(format_args!(
                "{t}\n{} exercise(s), {missing} without a check",
                exercises.len()
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
