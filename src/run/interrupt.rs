//! Ctrl-C (SIGINT), SIGTERM and SIGHUP during `labdeck run`: by default
//! they killed labdeck on the spot, with no summary of what ran and with its
//! temporary folder (holding a copy of the kubeconfig, a credential) and the
//! shell's rc file left behind. Instead the signal is noted here; the run
//! stops at once (the command in progress is reported as cut short), the
//! report of what ran is printed, and every temporary file is removed as
//! the run's values are dropped.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};

/// Set by signal-hook's handler (an atomic store, async-signal-safe).
static INTERRUPTED: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// Routes SIGINT, SIGTERM and SIGHUP to [`interrupted`] for the rest of
/// the process (once, however often it is called).
pub fn install() {
    INTERRUPTED.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        for sig in [
            signal_hook::consts::SIGINT,
            signal_hook::consts::SIGTERM,
            signal_hook::consts::SIGHUP,
        ] {
            // Fails only for signals that cannot be caught (KILL, STOP).
            let _ = signal_hook::flag::register(sig, Arc::clone(&flag));
        }
        flag
    });
}

/// Whether one of those signals arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.get().is_some_and(|f| f.load(Ordering::SeqCst))
}
