//! `labdeck completions SHELL` and `labdeck man [--dir DIR]` (both hidden
//! from `--help`): shell completion scripts and man pages generated from
//! this very clap definition (clap_complete, clap_mangen), so they cannot
//! drift from the options the binary accepts. `scripts/package-deb.sh`
//! ships their output in the Debian package; `tests/packaging.rs` sources
//! the bash script and renders the pages.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, CommandFactory};
use clap_complete::Shell;

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    shell: Shell,
}

#[derive(Debug, Args)]
pub struct ManArgs {
    /// Write `labdeck.1` and one page per subcommand (`labdeck-build.1`...)
    /// into this folder (created if missing) instead of printing
    /// `labdeck.1` on standard output.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Prints the completion script for `args.shell` on standard output.
pub fn completions(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "labdeck", &mut script);
    super::out::print(String::from_utf8_lossy(&script))?;
    Ok(ExitCode::SUCCESS)
}

/// Prints `labdeck.1`, or writes every page into `--dir`.
pub fn man(args: ManArgs) -> anyhow::Result<ExitCode> {
    let mut cmd = super::Cli::command().disable_help_subcommand(true);
    cmd.build();
    let Some(dir) = args.dir else {
        super::out::print(String::from_utf8_lossy(&page(cmd)?))?;
        return Ok(ExitCode::SUCCESS);
    };
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    // The top page, then one per visible subcommand (and theirs), as
    // `clap_mangen::generate_to` names them, each written atomically.
    let mut stack = vec![cmd];
    while let Some(cmd) = stack.pop() {
        stack.extend(cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned());
        let man = clap_mangen::Man::new(cmd.clone());
        let path = dir.join(man.get_filename());
        labdeck::output::write_atomically(&path, &page(cmd)?)?;
        super::out::println(path.display())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn page(cmd: clap::Command) -> anyhow::Result<Vec<u8>> {
    let mut roff = Vec::new();
    clap_mangen::Man::new(cmd)
        .render(&mut roff)
        .context("rendering the man page")?;
    Ok(roff)
}
