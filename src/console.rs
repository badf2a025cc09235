//! Lines for standard error that never fail. `eprintln!` panics when
//! standard error is a closed pipe (`labdeck run DECK 2>&1 | head`): that
//! would end a command before its clean-up, or stop `serve`'s watcher
//! thread for good. Here a line that cannot be written is lost and the
//! command goes on (its exit status still says how it ended).

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
