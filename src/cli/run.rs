//! `labdeck run DECK (--kubeconfig F | --context C)`: play the deck's
//! exercises in one shell against a sandbox cluster, then check each. The
//! library decides ([`labdeck::run`]: loading, selection, the plan, the
//! shell, the checks); this parses arguments and prints progress and the
//! report.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Result;
use clap::{Args, ValueEnum};

use labdeck::run::report::{StepKind, StepOutcome};
use labdeck::run::{self, Event, RunOptions, Sandbox, Target};

use super::{SelectArgs, out};

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
    #[command(flatten)]
    pub select: SelectArgs,
    /// Print the plan (commands, directives, checks) and run nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Go on with the next exercise after a failure.
    #[arg(long)]
    pub keep_going: bool,
    /// Time limit for one command.
    #[arg(long, value_name = "DUR", default_value = "60s", value_parser = labdeck::duration::parse)]
    pub command_timeout: Duration,
    /// How long a never-ending command (`-w`, `logs -f`) runs before ^C.
    #[arg(long, value_name = "DUR", default_value = "3s", value_parser = labdeck::duration::parse)]
    pub grace: Duration,
    /// Time limit for each check (overrides the checks' own `timeout`).
    #[arg(long, value_name = "DUR", value_parser = labdeck::duration::parse)]
    pub check_timeout: Option<Duration>,
    /// Folder the shell starts in (default: a new temporary folder).
    #[arg(long, value_name = "DIR")]
    pub workdir: Option<PathBuf>,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = RunFormat::Human)]
    pub format: RunFormat,
    /// A remark option over the deck's own, as `build --remark` takes it
    /// (repeatable): `--remark highlightLines=true` types what that page shows.
    #[arg(long, value_name = "KEY=VALUE")]
    pub remark: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RunFormat {
    Human,
    Json,
}

pub fn run(args: RunArgs) -> Result<ExitCode> {
    let exercises = labdeck::check::overlay::load_exercises_strict(
        &args.deck,
        args.checks.as_deref(),
        &args.remark,
    )?;
    let plan = run::plan(&exercises);
    let plan = run::plan::select(plan, &args.select.selection())?;
    if let Err(errors) = run::plan::parse_checks(&plan) {
        return Err(super::check::refused(
            &args.deck,
            labdeck::check::prepare::PrepareError::Checks(errors),
        ));
    }

    if args.dry_run {
        out::print(run::plan::render(&plan))?;
        return Ok(ExitCode::SUCCESS);
    }

    let target = Target::resolve(args.kubeconfig.as_deref(), args.context.as_deref())?;
    // First thing shown: where the commands will go.
    labdeck::stderr!(
        "labdeck run: context `{}` (kubeconfig {})",
        target.context,
        target.origin()
    );

    // From here on, Ctrl-C stops the run and prints what ran; the
    // temporary folder, the pinned kubeconfig and the shell's files go
    // when the sandbox is dropped.
    let mut sandbox = Sandbox::start(&target, args.workdir.as_deref(), args.check_timeout)?;
    let opts = RunOptions {
        command_timeout: args.command_timeout,
        grace: args.grace,
        keep_going: args.keep_going,
        ..RunOptions::default()
    };
    let human = args.format == RunFormat::Human;
    let report = sandbox.run(&plan, &opts, &mut |event| {
        if human {
            progress(&event)
        }
    });
    match args.format {
        RunFormat::Human => out::print(report.to_human())?,
        RunFormat::Json => out::println(report.to_json())?,
    }
    Ok(ExitCode::from(report.exit_status()))
}

/// Live progress on stderr, so stdout holds only the report.
fn progress(event: &Event<'_>) {
    match event {
        Event::ExerciseStarted(ex) => {
            labdeck::stderr!("== {} ({}:{})", ex.id, ex.file.display(), ex.line)
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
            labdeck::stderr!("   {prefix} {first}{how}");
        }
        Event::ExerciseDone(_) => {}
    }
}
