//! `labdeck run DECK (--kubeconfig F | --context C)`: play the deck's
//! exercises in one shell against a sandbox cluster, then check each.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context as _, Result};
use clap::{Args, ValueEnum};

use labdeck::exercise::Exercise;
use labdeck::run::report::{CheckOutcome, StepKind, StepOutcome};
use labdeck::run::{self, Event, ExerciseVerifier, RunOptions, Session, SessionOptions, Target};

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Deck manifest (`.yml`) or a single chapter (`.md`).
    pub deck: PathBuf,
    /// Checks file (YAML: exercise id -> check) merged with the slides'
    /// checks; its check replaces a slide's for the same exercise.
    #[arg(long, value_name = "FILE")]
    pub checks: Option<PathBuf>,
    /// Kubeconfig of the sandbox cluster (required unless --context or --dry-run).
    #[arg(long, required_unless_present_any = ["context", "dry_run"])]
    pub kubeconfig: Option<PathBuf>,
    /// Context to use (required unless --kubeconfig or --dry-run).
    #[arg(long)]
    pub context: Option<String>,
    /// Run only this exercise (repeatable).
    #[arg(long = "only", value_name = "ID")]
    pub only: Vec<String>,
    /// Start at this exercise.
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
    /// Print the plan (commands, directives, checks) and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Go on with the next exercise after a failure.
    #[arg(long)]
    pub keep_going: bool,
    /// Time limit for one command.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = labdeck::duration::parse_arg)]
    pub command_timeout: Duration,
    /// How long a never-ending command (`-w`, `logs -f`) runs before ^C.
    #[arg(long, value_name = "DUR", default_value = "3s", value_parser = labdeck::duration::parse_arg)]
    pub grace: Duration,
    /// Time limit for each check (overrides the checks' own `timeout`).
    #[arg(long, value_name = "DUR", value_parser = labdeck::duration::parse_arg)]
    pub check_timeout: Option<Duration>,
    /// Folder the shell starts in (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let exercises = load_exercises(&args)?;
    let plan = run::plan(&exercises);
    let plan = run::plan::select(plan, &args.only, args.from.as_deref())?;

    if args.dry_run {
        print!("{}", run::plan::render(&plan));
        return Ok(ExitCode::SUCCESS);
    }

    let target = Target::resolve(args.kubeconfig.as_deref(), args.context.as_deref())?;
    // First thing shown: where the commands will go.
    eprintln!(
        "labdeck run: context `{}` (kubeconfig {})",
        target.context,
        target.origin()
    );

    // From here on, Ctrl-C stops the run and prints what ran; the
    // temporary folder and the shell's files go when they are dropped.
    run::interrupt::install();
    let scratch = tempfile::Builder::new()
        .prefix("labdeck-run-")
        .tempdir()
        .context("cannot create a temporary folder")?;
    let workdir = match &args.workdir {
        Some(w) => w.clone(),
        None => {
            let w = scratch.path().join("work");
            std::fs::create_dir(&w).with_context(|| format!("cannot create {}", w.display()))?;
            w
        }
    };
    // The shell's kubeconfig: the one context, removed when `pinned` drops
    // (after the session, declared below, has ended).
    let pinned = target.pin()?;
    let mut verifier = ClusterVerifier::new(&pinned, args.check_timeout)?;
    let mut session_opts = SessionOptions::new(&workdir);
    session_opts.env = pinned.env();
    let mut session = Session::start(&session_opts)?;

    let opts = RunOptions {
        command_timeout: args.command_timeout,
        grace: args.grace,
        keep_going: args.keep_going,
        ..RunOptions::default()
    };
    let human = args.format == Format::Human;
    let mut report = run::run(&mut session, &plan, &mut verifier, &opts, &mut |event| {
        if human {
            progress(&event)
        }
    });
    report.context = Some(target.context.clone());
    match args.format {
        Format::Human => print!("{}", report.to_human()),
        Format::Json => println!("{}", report.to_json()),
    }
    Ok(if report.interrupted {
        // As shells report a command ended by SIGINT.
        ExitCode::from(130)
    } else if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// Live progress on stderr, so stdout holds only the report.
fn progress(event: &Event<'_>) {
    match event {
        Event::ExerciseStarted(ex) => {
            eprintln!("== {} ({}:{})", ex.id, ex.file.display(), ex.line)
        }
        Event::StepDone(step) => {
            let prefix = match step.kind {
                StepKind::Command => "$",
                StepKind::HiddenCommand => "$ [hidden]",
                StepKind::Keys => "keys",
                StepKind::Wait => "wait",
                StepKind::Skip => "skip",
            };
            let first = step.text.lines().next().unwrap_or("");
            let how = match &step.outcome {
                StepOutcome::Ok => String::new(),
                StepOutcome::Failed { status } => format!("  -> exit {status}"),
                StepOutcome::TimedOut { .. } => "  -> timed out".into(),
                StepOutcome::StoppedAfterGrace => "  -> stopped after grace".into(),
                StepOutcome::Interrupted { .. } => "  -> interrupted".into(),
                StepOutcome::Opened => "  -> interactive, still open".into(),
                StepOutcome::WaitFailed { message } => format!("  -> {message}"),
                StepOutcome::Skipped { reason } => format!("  ({reason})"),
                StepOutcome::ShellLost { message } => format!("  -> {message}"),
            };
            eprintln!("   {prefix} {first}{how}");
        }
        Event::ExerciseDone(_) => {}
    }
}

/// The exercises of the deck, in slide order.
fn load_exercises(args: &RunArgs) -> Result<Vec<Exercise>> {
    let deck = labdeck::deck::load_strict(&args.deck, &labdeck::deck::LoadOptions::default())?;
    let overlay = args
        .checks
        .as_deref()
        .map(labdeck::check::overlay::load)
        .transpose()?;
    let mut exercises = labdeck::check::overlay::exercises_strict(&deck, overlay.as_ref())?;
    // Exercise files are relative to the manifest's folder; reports name
    // them as reachable from here, as `lint` does, so editors and CI
    // annotations find them.
    let dir = &deck.manifest.dir;
    for ex in &mut exercises {
        ex.file = dir.join(&ex.file);
        if let Some(check) = &mut ex.check {
            check.file = dir.join(&check.file);
        }
    }
    Ok(exercises)
}

/// Checks exercises with the checker engine against the run's context. The
/// pinned kubeconfig is read again for every check, so that a deck's
/// `kubectl config set-context --current --namespace=...` applies to its
/// checks as to its commands.
struct ClusterVerifier {
    runtime: tokio::runtime::Runtime,
    kubeconfig: PathBuf,
    context: String,
    options: labdeck::check::engine::Options,
    /// When the current exercise began (the previous check's end): what
    /// `replaced` compares creation times with.
    exercise_start: std::time::SystemTime,
}

impl ClusterVerifier {
    fn new(
        pinned: &labdeck::cluster::kubeconfig::PinnedKubeconfig,
        timeout: Option<Duration>,
    ) -> Result<ClusterVerifier> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("cannot start the async runtime")?;
        Ok(ClusterVerifier {
            runtime,
            kubeconfig: pinned.path().to_path_buf(),
            context: pinned.context().to_string(),
            options: labdeck::check::engine::Options {
                timeout,
                ..Default::default()
            },
            exercise_start: std::time::SystemTime::now(),
        })
    }
}

impl ExerciseVerifier for ClusterVerifier {
    fn verify(&mut self, exercise: &Exercise) -> CheckOutcome {
        use labdeck::check::engine::{self, Plan, Verdict};
        use labdeck::cluster::{ConnectOptions, KubeSource};
        let plan = match Plan::from_exercise(exercise) {
            Ok(Some(p)) => p,
            Ok(None) => return CheckOutcome::Pass,
            Err(e) => {
                return CheckOutcome::Error {
                    reason: e.to_string(),
                };
            }
        };
        let connect = ConnectOptions {
            kubeconfig: Some(self.kubeconfig.clone()),
            context: Some(self.context.clone()),
            ..Default::default()
        };
        let mut options = self.options.clone();
        options.since = Some(self.exercise_start);
        let options = &options;
        let result = self.runtime.block_on(async {
            let source = KubeSource::connect(&connect).await?;
            Ok::<_, labdeck::cluster::ClusterError>(
                engine::run(&source, &[plan], options, &|_| {}).await,
            )
        });
        // The next exercise's commands start now.
        self.exercise_start = std::time::SystemTime::now();
        let results = match result {
            Ok(r) => r,
            Err(e) => {
                return CheckOutcome::Error {
                    reason: e.to_string(),
                };
            }
        };
        let Some(r) = results.into_iter().next() else {
            return CheckOutcome::Error {
                reason: "the checker returned no verdict".into(),
            };
        };
        // What the checker last saw, as `check` words it (the run report
        // has its own header line and indentation).
        let diagnosis = labdeck::report::human::details(&r, "")
            .trim_end()
            .to_string();
        let diagnosis = if diagnosis.is_empty() {
            r.message.clone()
        } else {
            diagnosis
        };
        match r.verdict {
            Verdict::Pass => CheckOutcome::Pass,
            Verdict::Fail => CheckOutcome::Fail { diagnosis },
            Verdict::Error => CheckOutcome::Error { reason: diagnosis },
        }
    }
}
