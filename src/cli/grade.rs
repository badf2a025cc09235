//! `labdeck grade DECK`: every student's cluster checked at once. The
//! library decides (selection, targets, rounds, `--watch`, the board,
//! report forms: [`labdeck::grade`], [`labdeck::classroom::board`]); this
//! parses arguments and shows rounds (progress bar, table, `--out`).

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{ArgGroup, Args};
use indicatif::{ProgressBar, ProgressStyle};

use labdeck::check::engine::{Options, Plan};
use labdeck::cluster::ConnectOptions;
use labdeck::grade::report::{self, GradeFormat, GradeReport, RenderOptions};
use labdeck::grade::{self, ClusterResult, Follower as _, GradeOptions, StudentCluster};
use labdeck::report::human::Style;

use super::check::{load_exercises, parse_duration};
use super::{SelectArgs, out};

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
    #[command(flatten)]
    select: SelectArgs,
    /// Override every check's timeout (`30s`, `2m`; `0` = look once, the
    /// default without --wait).
    #[arg(long, value_parser = parse_duration)]
    timeout: Option<Duration>,
    /// Wait up to each check's own timeout for what does not hold yet,
    /// rather than look once (a snapshot).
    #[arg(long, conflicts_with_all = ["serve", "timeout"])]
    wait: bool,
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
    /// carry when each exercise first passed and place students after their
    /// furthest pass (default: DECK-STEM.CLASS.grade-history.jsonl in the
    /// current folder; created by --serve, used by a snapshot if it exists).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
    /// Names the class whose history is kept (default: the --kubeconfigs
    /// folder, by its full path), so two classes run from one folder keep
    /// two histories.
    #[arg(long, value_name = "NAME", value_parser = class_name)]
    class: Option<String>,
}

/// `--class`: refused by clap (a usage error, as for any bad flag value)
/// when the library would not take it as a class name.
fn class_name(name: &str) -> Result<String, labdeck::error::Error> {
    grade::history::Class::named(name).map(|_| name.to_owned())
}

impl GradeArgs {
    /// Whose history this is ([`labdeck::grade::history::Class`]).
    fn class(&self) -> anyhow::Result<grade::history::Class> {
        use labdeck::grade::history::Class;
        Ok(match (&self.class, &self.kubeconfigs, &self.kubeconfig) {
            (Some(name), _, _) => Class::named(name)?,
            (None, Some(dir), _) | (None, None, Some(dir)) => Class::of_path(dir)?,
            (None, None, None) => Class {
                key: "contexts".into(),
                about: "contexts of the default kubeconfig".into(),
            },
        })
    }

    /// `--history`, or the class's default history file.
    fn history(&self) -> anyhow::Result<(PathBuf, grade::history::Class)> {
        let class = self.class()?;
        let path = match &self.history {
            Some(p) => p.clone(),
            None => labdeck::classroom::board::default_history(&self.deck, &class),
        };
        Ok((path, class))
    }
}

/// `--interval`: a duration of at least one second (`--watch --interval 0`
/// would hammer every cluster of the class).
fn parse_interval(s: &str) -> Result<Duration, IntervalError> {
    let d = parse_duration(s)?;
    if d < labdeck::classroom::board::MIN_INTERVAL {
        return Err(IntervalError::TooShort(s.to_owned()));
    }
    Ok(d)
}

/// Why `--interval` was refused.
#[derive(Debug, thiserror::Error)]
enum IntervalError {
    #[error(transparent)]
    Duration(#[from] labdeck::duration::DurationError),
    #[error("{0:?}: the interval must be at least 1s")]
    TooShort(String),
}

pub fn run(args: GradeArgs) -> anyhow::Result<ExitCode> {
    if args.watch && args.out.is_none() && args.format != GradeFormat::Table {
        return Err(labdeck::exit::UsageError(format!(
            "--watch shows the table; add --out FILE to keep a {:?} report current",
            args.format
        ))
        .into());
    }
    let exercises = load_exercises(&args.deck, args.checks.as_deref())?;
    let plans = super::check::prepare(&args.deck, exercises, &args.select.selection())?
        .require_checks()
        .map_err(|e| super::check::refused(&args.deck, e))?
        .plans;
    let targets = grade::resolve(match &args.kubeconfigs {
        Some(dir) => grade::Class::Folder(dir),
        None => grade::Class::Contexts {
            kubeconfig: args.kubeconfig.as_deref(),
            contexts: if args.all_contexts {
                None
            } else {
                args.contexts.as_deref()
            },
        },
    })?;
    let opts = GradeOptions {
        concurrency: usize::from(args.concurrency),
        connect: ConnectOptions {
            connect_timeout: args.connect_timeout,
            request_timeout: args.request_timeout,
            ..Default::default()
        },
        engine: Options {
            timeout: grade::check_timeout(args.timeout, !args.wait),
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
            // A snapshot: progress as the board has it (the class's
            // history, when there is one).
            let (history, _) = args.history()?;
            let kept = args.history.is_some() || history.exists();
            let mut shown = Shown::new(&args);
            let began = std::time::Instant::now();
            shown.round_started(targets.len());
            let on_done = |c: &ClusterResult| shown.cluster_done(c);
            let mut report = grade::round(&targets, &plans, &opts, &on_done).await;
            shown.round_ended();
            if kept && let Some(w) = grade::stamp_history(&history, &plans, &mut report)? {
                labdeck::stderr!("warning: {w}");
            }
            if std::io::stderr().is_terminal() {
                labdeck::stderr!(
                    "graded {} cluster(s) in {:.1} s ({}){}",
                    targets.len(),
                    began.elapsed().as_secs_f64(),
                    if args.wait || args.timeout.is_some() {
                        "waited for each check"
                    } else {
                        "looked once; --wait waits for each check's timeout"
                    },
                    if kept {
                        format!("; history {}", history.display())
                    } else {
                        String::new()
                    }
                );
            }
            emit(&args, &report, None)?;
            Ok(ExitCode::from(report.summary.exit_code()))
        }
    })
}

/// `--serve`: the live board, until Ctrl-C.
async fn board(
    args: &GradeArgs,
    targets: Vec<StudentCluster>,
    plans: Vec<Plan>,
    grade: GradeOptions,
) -> anyhow::Result<ExitCode> {
    use labdeck::classroom::board::{self, Board, BoardOptions};
    use labdeck::grade::history::History;
    let (history, class) = args.history()?;
    let (history_file, warning) = History::open(&history)?;
    if let Some(w) = warning {
        labdeck::stderr!("warning: {w}");
    }
    let title = args.deck.display().to_string();
    let n = targets.len();
    let b = Board::new(
        title,
        plans,
        &targets,
        history_file,
        class.about.clone(),
        args.stuck,
    );
    let served = board::serve(
        b,
        targets,
        BoardOptions {
            listen: args.listen,
            interval: args.interval,
            window: BoardOptions::window(args.timeout, args.interval),
            stuck_after: args.stuck,
            history: history.clone(),
            grade,
        },
    )
    .await?;
    let urls = served.urls();
    out::println(format_args!(
        "labdeck: class board for {n} student(s) at {} ({}: first passes kept in {}; Ctrl-C to stop)",
        urls.first().map_or("", String::as_str),
        class.about,
        history.display()
    ))?;
    for url in urls.iter().skip(1) {
        out::println(format_args!("labdeck: also at {url}"))?;
    }
    if served.token.is_some() {
        out::println(format_args!(
            "labdeck: the board is reachable beyond this machine: share that URL (with its token, kept in {}.token across restarts) only with assistants",
            history.display()
        ))?;
    }
    tokio::signal::ctrl_c()
        .await
        .context("waiting for Ctrl-C")?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the report in `args.format` to `--out` (atomically, as every
/// file labdeck writes: [`labdeck::output`]) or stdout.
fn emit(args: &GradeArgs, report: &GradeReport, refresh: Option<u64>) -> anyhow::Result<()> {
    let style = if args.out.is_some() {
        Style::PLAIN
    } else {
        Style::detect()
    };
    let text = report::render(
        report,
        args.format,
        &RenderOptions {
            style,
            explain: args.explain,
            refresh,
        },
    )
    .map_err(anyhow::Error::msg)?;
    match &args.out {
        Some(path) => Ok(labdeck::output::write_atomically(path, text.as_bytes())?),
        None => out::print(text),
    }
}

/// What a person sees of rounds: a progress bar on a terminal and, for
/// `--watch`, the table redrawn and `--out` rewritten after each round.
struct Shown<'a> {
    args: &'a GradeArgs,
    bar: Option<ProgressBar>,
}

impl<'a> Shown<'a> {
    fn new(args: &'a GradeArgs) -> Shown<'a> {
        Shown { args, bar: None }
    }

    fn round_ended(&mut self) {
        if let Some(b) = self.bar.take() {
            b.finish_and_clear();
        }
    }
}

impl grade::Follower for Shown<'_> {
    type Error = anyhow::Error;

    fn round_started(&mut self, clusters: usize) {
        self.bar = progress(clusters);
    }

    fn cluster_done(&self, c: &ClusterResult) {
        if let Some(b) = &self.bar {
            b.set_message(c.name.clone());
            b.inc(1);
        }
    }

    fn round_done(&mut self, n: u64, report: &GradeReport) -> anyhow::Result<()> {
        self.round_ended();
        let args = self.args;
        if let Some(path) = &args.out {
            // An HTML page reloads itself every --interval.
            emit(args, report, Some(args.interval.as_secs().max(1)))?;
            labdeck::info!("round {n}: wrote {}", path.display());
        }
        let table = report::table::render(report, Style::detect(), args.explain);
        let now = labdeck::duration::rfc3339(std::time::SystemTime::now());
        // On a terminal, clear the screen and go home: the board replaces
        // itself.
        let clear = if std::io::stdout().is_terminal() {
            "\x1b[2J\x1b[H"
        } else {
            ""
        };
        out::println(format_args!(
            "{clear}{table}round {n} at {now}; next in {}, Ctrl-C to stop",
            humantime::format_duration(args.interval)
        ))
    }
}

fn progress(n: usize) -> Option<ProgressBar> {
    if !std::io::stderr().is_terminal()
        || labdeck::console::verbosity() == labdeck::console::Verbosity::Quiet
    {
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

/// `--watch`: rounds until Ctrl-C ([`grade::watch`]), shown as they end.
async fn watch(
    args: &GradeArgs,
    targets: &[StudentCluster],
    plans: &[Plan],
    opts: &GradeOptions,
) -> anyhow::Result<ExitCode> {
    let stop = async {
        // Ctrl-C, or no way to wait for it: either ends the watch.
        let _ = tokio::signal::ctrl_c().await;
    };
    let mut shown = Shown::new(args);
    let last = grade::watch(targets, plans, opts, args.interval, stop, &mut shown).await?;
    Ok(ExitCode::from(last.exit_code()))
}
