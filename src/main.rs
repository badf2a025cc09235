//! The labdeck command line: one file per subcommand in src/cli/.

mod cli;

use clap::Parser;

fn main() -> std::process::ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("labdeck: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
