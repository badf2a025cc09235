//! Everything one `labdeck run` against a cluster sets up, and takes down
//! on every way out: Ctrl-C handling, a private scratch folder, the pinned
//! kubeconfig holding only the run's context (a credential: removed when
//! the run ends), the shell, and the checker reading that kubeconfig.
//!
//! The shell is not you: its `HOME` is an empty folder in the scratch
//! folder (no `~/.kube`, `~/.ssh`, `~/.aws`; removed at the end, with its
//! `TMPDIR`), its only kubeconfig is the pinned one, and it keeps almost
//! nothing of labdeck's environment ([`super::session::KEPT_ENV`]). That is
//! not a jail: a deck's commands can still read any file your user can
//! (by absolute path) and reach the network; docs/security.md says so.
//!
//! The parts are fields of one [`Sandbox`], declared in the order they
//! must go: the shell ends before its kubeconfig and folder are removed.

use std::path::Path;
use std::time::Duration;

use tempfile::TempDir;

use crate::cluster::kubeconfig::PinnedKubeconfig;
use crate::error::{Error, Result};

use super::executor::{Event, RunOptions, run};
use super::plan::PlannedExercise;
use super::report::RunReport;
use super::session::{Session, SessionOptions};
use super::target::Target;
use super::verify::ClusterVerifier;

/// A shell and a checker against one pinned context.
pub struct Sandbox {
    // Dropped in this order.
    session: Session,
    verifier: ClusterVerifier,
    pinned: PinnedKubeconfig,
    _scratch: TempDir,
}

impl Sandbox {
    /// Sets the run up against `target`. From here on, Ctrl-C (SIGTERM,
    /// SIGHUP) stops the run and its report says what ran. The shell starts
    /// in `workdir`, or in a new folder inside the scratch folder;
    /// `check_timeout` overrides every check's own timeout.
    pub fn start(
        target: &Target,
        workdir: Option<&Path>,
        check_timeout: Option<Duration>,
    ) -> Result<Sandbox> {
        super::interrupt::install();
        let scratch = tempfile::Builder::new()
            .prefix("labdeck-run-")
            .tempdir()
            .map_err(|e| Error::System(format!("cannot create a temporary folder: {e}")))?;
        let workdir = match workdir {
            Some(w) => w.to_path_buf(),
            None => {
                let w = scratch.path().join("work");
                std::fs::create_dir(&w).map_err(|e| Error::io(&w, e))?;
                w
            }
        };
        let mut env: Vec<(std::ffi::OsString, std::ffi::OsString)> = Vec::new();
        for name in ["home", "tmp"] {
            let d = scratch.path().join(name);
            std::fs::create_dir(&d).map_err(|e| Error::io(&d, e))?;
            let var = if name == "home" { "HOME" } else { "TMPDIR" };
            env.push((var.into(), d.into_os_string()));
        }
        let pinned = target.pin()?;
        let verifier = ClusterVerifier::new(&pinned, check_timeout)?;
        let mut session_opts = SessionOptions::new(&workdir);
        env.extend(pinned.env());
        session_opts.env = env;
        let session = Session::start(&session_opts)?;
        Ok(Sandbox {
            session,
            verifier,
            pinned,
            _scratch: scratch,
        })
    }

    /// Plays `plan` ([`run`]); the report names the run's context.
    pub fn run(
        &mut self,
        plan: &[PlannedExercise],
        opts: &RunOptions,
        on_event: &mut dyn FnMut(Event<'_>),
    ) -> RunReport {
        let mut report = run(&mut self.session, plan, &mut self.verifier, opts, on_event);
        report.context = Some(self.pinned.context().to_string());
        report
    }
}
