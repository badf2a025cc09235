//! What labdeck says on the terminal, and how: lines for standard error
//! that never fail, how much is said (`-q`/`-v`), and whether output is
//! coloured (`--color`, `NO_COLOR`). The CLI sets these once
//! ([`configure`]) from its global flags; every command then asks here,
//! so the rules live in one place.
//!
//! `eprintln!` panics when standard error is a closed pipe (`labdeck run
//! DECK 2>&1 | head`): that would end a command before its clean-up, or
//! stop `serve`'s watcher thread for good. Here a line that cannot be
//! written is lost and the command goes on (its exit status still says how
//! it ended).

use std::io::IsTerminal as _;
use std::sync::atomic::{AtomicU8, Ordering};

/// Writes `text` and a newline to standard error; errors are ignored.
pub fn eprintln(text: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// `eprintln!` that cannot panic (see the module's comment).
#[macro_export]
macro_rules! stderr {
    ($($arg:tt)*) => {
        $crate::console::eprintln(format_args!($($arg)*))
    };
}

/// A progress or summary line on standard error, not said with `-q`
/// (errors and warnings are always said: [`stderr!`]).
#[macro_export]
macro_rules! info {
    ($($arg:tt)*) => {
        if $crate::console::verbosity() != $crate::console::Verbosity::Quiet {
            $crate::console::eprintln(format_args!($($arg)*))
        }
    };
}

/// A detail on standard error said only with `-v`.
#[macro_export]
macro_rules! verbose {
    ($($arg:tt)*) => {
        if $crate::console::verbosity() == $crate::console::Verbosity::Verbose {
            $crate::console::eprintln(format_args!($($arg)*))
        }
    };
}

/// How much a command says beside its results (`-q`, `-v`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verbosity {
    /// `-q`: results, errors and warnings only; no summaries or progress.
    Quiet,
    Normal,
    /// `-v`: also what the command is doing (which cluster, which files).
    Verbose,
}

/// `--color auto|always|never`, as `ls`, `grep` and `git` take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorChoice {
    /// Colour when standard output is a terminal and `NO_COLOR` is not
    /// set to a non-empty value (https://no-color.org).
    Auto,
    /// Always colour, even when piped or `NO_COLOR` is set (no-color.org:
    /// a command-line flag overrides the variable).
    Always,
    Never,
}

static VERBOSITY: AtomicU8 = AtomicU8::new(1);
static COLOR: AtomicU8 = AtomicU8::new(0);

/// Sets the choices for the whole process (the CLI, once, from its flags).
pub fn configure(color: ColorChoice, verbosity: Verbosity) {
    COLOR.store(
        match color {
            ColorChoice::Auto => 0,
            ColorChoice::Always => 1,
            ColorChoice::Never => 2,
        },
        Ordering::Relaxed,
    );
    VERBOSITY.store(
        match verbosity {
            Verbosity::Quiet => 0,
            Verbosity::Normal => 1,
            Verbosity::Verbose => 2,
        },
        Ordering::Relaxed,
    );
}

/// How much to say.
pub fn verbosity() -> Verbosity {
    match VERBOSITY.load(Ordering::Relaxed) {
        0 => Verbosity::Quiet,
        2 => Verbosity::Verbose,
        _ => Verbosity::Normal,
    }
}

/// The colour choice made.
pub fn color_choice() -> ColorChoice {
    match COLOR.load(Ordering::Relaxed) {
        1 => ColorChoice::Always,
        2 => ColorChoice::Never,
        _ => ColorChoice::Auto,
    }
}

/// `NO_COLOR` is set to a non-empty value (no-color.org: "when present
/// and not an empty string").
pub fn no_color_env() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// Whether what is written to standard output is coloured: the one rule.
pub fn stdout_color() -> bool {
    colored(
        color_choice(),
        std::io::stdout().is_terminal(),
        no_color_env(),
    )
}

/// The rule itself: `--color` first, then `NO_COLOR`, then the terminal.
pub fn colored(choice: ColorChoice, terminal: bool, no_color: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => terminal && !no_color,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_flag_wins_over_no_color_which_wins_over_the_terminal() {
        assert!(colored(ColorChoice::Always, false, true));
        assert!(!colored(ColorChoice::Never, true, false));
        assert!(colored(ColorChoice::Auto, true, false));
        assert!(!colored(ColorChoice::Auto, true, true));
        assert!(!colored(ColorChoice::Auto, false, false));
    }
}
