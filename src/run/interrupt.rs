//! Ctrl-C (SIGINT), SIGTERM and SIGHUP during `labdeck run`: by default
//! they killed labdeck on the spot, with no summary of what ran and with its
//! temporary folder (holding a copy of the kubeconfig, a credential) and the
//! shell's rc file left behind. Instead the signal is noted here; the run
//! stops at once (the command in progress is reported as cut short), the
//! report of what ran is printed, and every temporary file is removed as
//! the run's values are dropped.

use std::sync::atomic::{AtomicBool, Ordering};

static INTERRUPTED: AtomicBool = AtomicBool::new(false);

extern "C" fn on_signal(_: libc::c_int) {
    // Async-signal-safe: one atomic store.
    INTERRUPTED.store(true, Ordering::SeqCst);
}

/// Routes SIGINT, SIGTERM and SIGHUP to [`interrupted`] for the rest of
/// the process.
pub fn install() {
    let handler = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: `on_signal` only stores to an atomic, which is
        // async-signal-safe; `signal` is given a valid handler.
        unsafe {
            libc::signal(sig, handler);
        }
    }
}

/// Whether one of those signals arrived.
pub fn interrupted() -> bool {
    INTERRUPTED.load(Ordering::SeqCst)
}
