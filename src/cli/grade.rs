//! `labdeck grade DECK`: every student's cluster checked at once.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, bail};
use clap::{ArgGroup, Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};

use labdeck::check::engine::{self, Options, Plan};
use labdeck::cluster::ConnectOptions;
use labdeck::exercise::Exercise;
use labdeck::grade::report::{self, GradeReport};
use labdeck::grade::{self, GradeOptions, Target};
use labdeck::report::Summary;
use labdeck::report::human::Style;

use super::check::{load_exercises, parse_duration};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GradeFormat {
    Table,
    Json,
    Csv,
    Junit,
    Html,
}

#[derive(Debug, Args)]
#[command(group(ArgGroup::new("clusters").required(true).args(["kubeconfigs", "contexts", "all_contexts"])))]
pub struct GradeArgs {
    /// Deck manifest (`.yml`) or a single chapter (`.md`).
    deck: PathBuf,
    /// Checks file (YAML: exercise id -> check) merged with the slides'
    /// checks; its check replaces a slide's for the same exercise.
    #[arg(long, value_name = "FILE")]
    checks: Option<PathBuf>,
    /// Folder with one kubeconfig per student; the file stem names the student.
    #[arg(long, value_name = "DIR")]
    kubeconfigs: Option<PathBuf>,
    /// Grade these contexts of one kubeconfig (comma-separated).
    #[arg(long, value_name = "A,B,C", value_delimiter = ',')]
    contexts: Option<Vec<String>>,
    /// Grade every context of one kubeconfig.
    #[arg(long)]
    all_contexts: bool,
    /// The kubeconfig for --contexts/--all-contexts (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, conflicts_with = "kubeconfigs")]
    kubeconfig: Option<PathBuf>,
    /// Grade only this exercise (repeatable).
    #[arg(long = "only", value_name = "ID")]
    only: Vec<String>,
    /// Grade the exercises from the start of the deck up to this one.
    #[arg(long, value_name = "ID")]
    upto: Option<String>,
    /// Override every check's timeout (`30s`, `2m`; `0` = look once; --watch defaults to 0).
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Longest wait for a connection to one student's API server.
    #[arg(long, value_parser = parse_duration, default_value = "5s")]
    connect_timeout: Duration,
    /// Longest wait for any one answer from one student's API server.
    #[arg(long, value_parser = parse_duration, default_value = "10s")]
    request_timeout: Duration,
    /// Clusters checked at the same time.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u16).range(1..))]
    concurrency: u16,
    /// Report: students x exercises table, or json, csv, junit, or one self-contained html page.
    #[arg(long, value_enum, default_value = "table")]
    format: GradeFormat,
    /// Under the table, say why each failure failed.
    #[arg(long)]
    explain: bool,
    /// Write the report to this file (atomically) instead of stdout.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Keep grading until interrupted, keeping the table (and --out) current.
    #[arg(long)]
    watch: bool,
    /// Pause between two rounds of --watch; with --serve, the least time
    /// between two rounds on one cluster. Never less than 1s.
    #[arg(long, value_parser = parse_interval, default_value = "10s")]
    interval: Duration,
    /// Keep a live board in the browser: who passed what, when; who is stuck.
    #[arg(long, conflicts_with_all = ["watch", "out"])]
    serve: bool,
    /// Where the board listens (anything but loopback requires the token it prints).
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:8080",
        requires = "serve"
    )]
    listen: std::net::SocketAddr,
    /// With --serve: a student with no new pass for this long shows as stuck.
    #[arg(long, value_parser = parse_duration, default_value = "10m", requires = "serve")]
    stuck: Duration,
    /// The file first passes are appended to and read back from, so reports
    /// carry when each exercise first passed (with --serve, default:
    /// DECK-STEM.grade-history.jsonl in the current folder).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
}

/// `--interval`: a duration of at least one second (`--watch --interval 0`
/// would hammer every cluster of the class).
fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d < labdeck::classroom::board::MIN_INTERVAL {
        return Err(format!("{s:?}: the interval must be at least 1s"));
    }
    Ok(d)
}

pub fn run(args: GradeArgs) -> anyhow::Result<ExitCode> {
    if args.watch && args.out.is_none() && args.format != GradeFormat::Table {
        bail!(
            "--watch shows the table; add --out FILE to keep a {:?} report current",
            args.format
        );
    }
    let exercises = load_exercises(&args.deck, args.checks.as_deref())?;
    let selected = select(&exercises, &args)?;
    // Every check is parsed before any cluster is contacted.
    let plans = match engine::plans(&selected) {
        Ok(p) => p,
        Err(errors) => {
            for e in &errors {
                eprintln!("error: {e}");
            }
            bail!("{} check(s) do not parse", errors.len());
        }
    };
    if plans.is_empty() {
        bail!(
            "{}: none of the selected exercises has a check",
            args.deck.display()
        );
    }
    let targets = targets(&args)?;
    let opts = GradeOptions {
        concurrency: usize::from(args.concurrency),
        connect: ConnectOptions {
            connect_timeout: args.connect_timeout,
            request_timeout: args.request_timeout,
            ..Default::default()
        },
        engine: Options {
            // A live board looks once per round unless told otherwise.
            timeout: if args.watch {
                args.timeout.or(Some(Duration::ZERO))
            } else {
                args.timeout
            },
            ..Default::default()
        },
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        if args.serve {
            board(&args, targets, plans, opts).await
        } else if args.watch {
            watch(&args, &targets, &plans, &opts).await
        } else {
            let mut report = round(&targets, &plans, &opts).await;
            if let Some(path) = &args.history {
                let (history, warning) = labdeck::classroom::history::History::open(path)
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
                if let Some(w) = warning {
                    eprintln!("warning: {w}");
                }
                history
                    .stamp(&mut report, labdeck::classroom::history::now_ms())
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            emit(&args, &report, None)?;
            Ok(ExitCode::from(report.summary.exit_code()))
        }
    })
}

/// `--serve`: the live board, until Ctrl-C.
async fn board(
    args: &GradeArgs,
    targets: Vec<Target>,
    plans: Vec<Plan>,
    grade: GradeOptions,
) -> anyhow::Result<ExitCode> {
    use labdeck::classroom::board::{self, Board, BoardOptions};
    use labdeck::classroom::history::History;
    let history = match &args.history {
        Some(p) => p.clone(),
        None => PathBuf::from(format!(
            "{}.grade-history.jsonl",
            args.deck
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "deck".into())
        )),
    };
    let (history_file, warning) = History::open(&history).map_err(|e| anyhow::anyhow!("{e}"))?;
    if let Some(w) = warning {
        eprintln!("warning: {w}");
    }
    let title = args.deck.display().to_string();
    let window = args
        .timeout
        .unwrap_or(Duration::from_secs(60))
        .max(args.interval);
    let n = targets.len();
    let b = Board::new(title, plans, &targets, history_file, args.stuck);
    let served = board::serve(
        b,
        targets,
        BoardOptions {
            listen: args.listen,
            interval: args.interval,
            window,
            stuck_after: args.stuck,
            history: history.clone(),
            grade,
        },
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "labdeck: class board for {n} student(s) at {} (first passes kept in {}; Ctrl-C to stop)",
        served.url(),
        history.display()
    );
    if served.token.is_some() {
        println!(
            "labdeck: the board is reachable beyond this machine: share that URL (with its token) only with assistants"
        );
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

/// `--only` and `--upto` ([`labdeck::selection`]); an exercise named by
/// `--only` must have a check.
fn select(exercises: &[Exercise], args: &GradeArgs) -> anyhow::Result<Vec<Exercise>> {
    let selected = labdeck::selection::select(
        exercises.to_vec(),
        |e| e.id.as_str(),
        &labdeck::selection::Selection {
            only: &args.only,
            from: None,
            upto: args.upto.as_deref(),
        },
    )
    .with_context(|| args.deck.display().to_string())?;
    if let Some(e) = selected
        .iter()
        .find(|e| e.check.is_none() && args.only.contains(&e.id))
    {
        bail!("{}: exercise {:?} has no check", args.deck.display(), e.id);
    }
    Ok(selected)
}

fn targets(args: &GradeArgs) -> anyhow::Result<Vec<Target>> {
    if let Some(dir) = &args.kubeconfigs {
        return Ok(grade::from_dir(dir)?);
    }
    let loaded = labdeck::cluster::kubeconfig::load(args.kubeconfig.as_deref())?;
    let contexts = if args.all_contexts {
        None
    } else {
        args.contexts.as_deref()
    };
    Ok(grade::from_contexts(loaded, contexts)?)
}

/// Grades every cluster once, with a progress bar on a terminal.
async fn round(targets: &[Target], plans: &[Plan], opts: &GradeOptions) -> GradeReport {
    let bar = progress(targets.len());
    let on_done = |c: &grade::ClusterResult| {
        if let Some(b) = &bar {
            b.set_message(c.name.clone());
            b.inc(1);
        }
    };
    let clusters = grade::grade(targets, plans, opts, &on_done).await;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    GradeReport::new(plans, clusters)
}

fn progress(n: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(n as u64);
    if let Ok(st) =
        ProgressStyle::with_template("grading {bar:30} {pos}/{len} clusters {elapsed} {wide_msg}")
    {
        bar.set_style(st);
    }
    bar.enable_steady_tick(Duration::from_millis(100));
    Some(bar)
}

/// Writes the report in `args.format` to `--out` or stdout.
fn emit(args: &GradeArgs, report: &GradeReport, refresh: Option<u64>) -> anyhow::Result<()> {
    let style = if args.out.is_some() {
        Style::PLAIN
    } else {
        Style::detect()
    };
    let text = match args.format {
        GradeFormat::Table => Ok(report::table::render(report, style, args.explain)),
        GradeFormat::Json => report::json::render(report),
        GradeFormat::Csv => report::csv::render(report),
        GradeFormat::Junit => report::junit::render(report),
        GradeFormat::Html => report::html::render(report, refresh),
    }
    .map_err(anyhow::Error::msg)?;
    match &args.out {
        Some(path) => write_atomically(path, &text),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(text.as_bytes())?;
            out.flush()?;
            Ok(())
        }
    }
}

/// Never a half-written report, and readable by a web server.
fn write_atomically(path: &Path, text: &str) -> anyhow::Result<()> {
    Ok(labdeck::output::write_atomically(path, text.as_bytes())?)
}

/// Rounds until Ctrl-C: the table redrawn on the terminal, `--out` rewritten
/// (an HTML page reloads itself every `--interval`).
async fn watch(
    args: &GradeArgs,
    targets: &[Target],
    plans: &[Plan],
    opts: &GradeOptions,
) -> anyhow::Result<ExitCode> {
    let tty = std::io::stdout().is_terminal();
    let refresh = Some(args.interval.as_secs().max(1));
    let mut last = Summary::default();
    let mut n = 0u64;
    loop {
        let report = tokio::select! {
            r = round(targets, plans, opts) => r,
            _ = tokio::signal::ctrl_c() => break,
        };
        n += 1;
        last = report.summary;
        if let Some(path) = &args.out {
            emit(args, &report, refresh)?;
            eprintln!("round {n}: wrote {}", path.display());
        }
        let table = report::table::render(&report, Style::detect(), args.explain);
        let now = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
        let mut out = std::io::stdout().lock();
        if tty {
            // Clear the screen and go home: the board replaces itself.
            write!(out, "\x1b[2J\x1b[H")?;
        }
        writeln!(
            out,
            "{table}round {n} at {now}; next in {}, Ctrl-C to stop",
            humantime::format_duration(args.interval)
        )?;
        out.flush()?;
        drop(out);
        tokio::select! {
            () = tokio::time::sleep(args.interval) => {}
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(ExitCode::from(last.exit_code()))
}
