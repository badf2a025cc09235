//! Command-line parsing (clap derive) and one module per subcommand.

use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod build;
mod check;
mod checks;
mod generate;
mod grade;
mod lint;
mod out;
mod pdf;
mod run;
mod serve;

/// Compile remark-style Markdown training decks to offline HTML, and check
/// that their Kubernetes exercises work.
#[derive(Debug, Parser)]
#[command(name = "labdeck", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
    #[command(flatten)]
    global: GlobalArgs,
}

/// Flags every subcommand takes (before or after its name).
#[derive(Debug, Args)]
struct GlobalArgs {
    /// Say only results, warnings and errors: no summaries or progress.
    #[arg(long, short, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Also say what the command is doing (which cluster, which files).
    #[arg(long, short, global = true)]
    verbose: bool,
    /// Colour the output: `auto` when standard output is a terminal and
    /// NO_COLOR is not set (https://no-color.org), `always`, `never`.
    #[arg(
        long,
        value_enum,
        global = true,
        default_value = "auto",
        value_name = "WHEN"
    )]
    color: Color,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Color {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    fn configure(&self) {
        use labdeck::console::{ColorChoice, Verbosity};
        labdeck::console::configure(
            match self.color {
                Color::Auto => ColorChoice::Auto,
                Color::Always => ColorChoice::Always,
                Color::Never => ColorChoice::Never,
            },
            if self.quiet {
                Verbosity::Quiet
            } else if self.verbose {
                Verbosity::Verbose
            } else {
                Verbosity::Normal
            },
        );
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build decks (YAML manifests) into self-contained HTML files.
    Build(build::BuildArgs),
    /// Find what breaks decks (missing files, brackets, links, exercises,
    /// checks) without a cluster.
    Lint(lint::LintArgs),
    /// Play a deck's exercises in a shell against a sandbox cluster, as a
    /// student would, and check each one.
    Run(run::RunArgs),
    /// Check that a cluster is in the state each exercise's check describes.
    Check(check::CheckArgs),
    /// Work on checks files: `checks suggest DECK` drafts checks from the
    /// commands on the slides.
    Checks(checks::ChecksArgs),
    /// List a deck's exercises, their ids and which have no check.
    Exercises(check::ExercisesArgs),
    /// Check every student's cluster at once: who is where, who is stuck, and why.
    Grade(grade::GradeArgs),
    /// Build a deck, serve it on 127.0.0.1, and reload browsers (on the same
    /// slide) when its files change.
    Serve(serve::ServeArgs),
    /// Build a deck and print it to PDF with headless Chromium: one 16:9 page
    /// per slide, `--` steps collapsed.
    Pdf(pdf::PdfArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    #[command(hide = true)]
    Completions(generate::CompletionsArgs),
    /// Print the man page (or write every page into `--dir`).
    #[command(hide = true)]
    Man(generate::ManArgs),
}

/// `--only/--from/--upto`: the same flags, and the one rule
/// ([`labdeck::selection`]), for `run`, `check` and `grade`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Only this exercise (repeatable).
    #[arg(long = "only", value_name = "ID")]
    pub only: Vec<String>,
    /// Start at this exercise (slide order).
    #[arg(long, value_name = "ID")]
    pub from: Option<String>,
    /// Stop after this exercise (with no --from: the exercises from the
    /// start of the deck up to this one).
    #[arg(long, value_name = "ID")]
    pub upto: Option<String>,
}

impl SelectArgs {
    pub fn selection(&self) -> labdeck::selection::Selection<'_> {
        labdeck::selection::Selection {
            only: &self.only,
            from: self.from.as_deref(),
            upto: self.upto.as_deref(),
        }
    }
}

pub fn main() -> ExitCode {
    // clap's own errors (unknown flag, bad value) exit with
    // `labdeck::exit::USAGE`.
    let cli = Cli::parse();
    cli.global.configure();
    let result = match cli.command {
        Command::Build(args) => build::run(args),
        Command::Lint(args) => lint::run(args),
        Command::Run(args) => run::run(args),
        Command::Check(args) => check::run(args),
        Command::Checks(args) => checks::run(args),
        Command::Exercises(args) => check::exercises(args),
        Command::Grade(args) => grade::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Pdf(args) => pdf::run(args),
        Command::Completions(args) => generate::completions(args),
        Command::Man(args) => generate::man(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let closed = out::is_closed(&e);
            if !closed {
                labdeck::stderr!("error: {e:#}");
            }
            ExitCode::from(labdeck::report::status::of_error(&e, closed))
        }
    }
}
