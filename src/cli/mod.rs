//! Command-line parsing (clap derive) and one module per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod check;
mod deck_exercises;
mod grade;

/// Compile remark-style Markdown training decks to offline HTML, and check
/// that their Kubernetes exercises work.
#[derive(Debug, Parser)]
#[command(name = "labdeck", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check that a cluster is in the state each exercise's check describes.
    Check(check::CheckArgs),
    /// List a deck's exercises, their ids and which have no check.
    Exercises(check::ExercisesArgs),
    /// Check every student's cluster at once: who is where, who is stuck, and why.
    Grade(grade::GradeArgs),
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Exercises(args) => check::exercises(args),
        Command::Grade(args) => grade::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
