//! The real control plane of `../shared/realkube/` as the tier sees it: where
//! its binaries and scripts are, starting it (and stopping it when this run
//! started it), one namespace per test, kubectl 1.20 and the labdeck binary.

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The API server's address on the host (`common.sh`: `API_PORT`).
pub const API: &str = "127.0.0.1:18710";

/// Where the control plane lives, from the same variables `common.sh` reads.
pub struct Paths {
    pub scripts: PathBuf,
    pub bin: PathBuf,
    pub state: PathBuf,
}

impl Paths {
    pub fn from_env() -> Paths {
        let cache = std::env::var_os("REALKUBE_CACHE")
            .map(PathBuf::from)
            .unwrap_or_else(|| "/var/cache/realkube".into());
        let scripts = std::env::var_os("LABDECK_REALKUBE_SCRIPTS")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/realkube"));
        Paths {
            scripts,
            bin: std::env::var_os("REALKUBE_BIN")
                .map(PathBuf::from)
                .unwrap_or_else(|| cache.join("bin")),
            state: std::env::var_os("REALKUBE_STATE")
                .map(PathBuf::from)
                .unwrap_or_else(|| cache.join("state")),
        }
    }

    /// Why the tier cannot run here, or None when it can.
    pub fn missing(&self) -> Option<String> {
        for b in [
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler",
            "kubemark",
            "kubectl",
        ] {
            if !self.bin.join(b).is_file() {
                return Some(format!(
                    "no {} (build the control plane once: bash ../shared/realkube/build.sh)",
                    self.bin.join(b).display()
                ));
            }
        }
        if !self.scripts.join("up.sh").is_file() {
            return Some(format!("no {}", self.scripts.join("up.sh").display()));
        }
        None
    }
}

/// A running control plane and an admin kubeconfig for it.
pub struct Realkube {
    pub paths: Paths,
    /// The admin kubeconfig, copied into a private folder.
    pub admin: PathBuf,
    _dir: tempfile::TempDir,
    started_here: bool,
}

fn answers(addr: &str) -> bool {
    let addr: SocketAddr = addr.parse().unwrap();
    TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
}

impl Realkube {
    /// Starts the control plane (`up.sh` is idempotent: over a running one
    /// it only checks it and reprints the kubeconfig).
    pub fn up(paths: Paths) -> Result<Realkube, String> {
        let was_up = answers(API);
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let admin = dir.path().join("admin.kubeconfig");
        let t = Instant::now();
        let out = Command::new("bash")
            .arg(paths.scripts.join("up.sh"))
            .arg(&admin)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("up.sh: {e}"))?;
        if !out.status.success() {
            return Err(format!(
                "up.sh failed ({}):\n{}{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        eprintln!(
            "realkube: control plane {} in {:.1}s",
            if was_up {
                "already up, checked"
            } else {
                "started"
            },
            t.elapsed().as_secs_f64()
        );
        Ok(Realkube {
            paths,
            admin,
            _dir: dir,
            started_here: !was_up,
        })
    }

    /// Stops the control plane if this run started it.
    pub fn down(&self) {
        if !self.started_here {
            return;
        }
        let _ = Command::new("bash")
            .arg(self.paths.scripts.join("down.sh"))
            .stdin(Stdio::null())
            .output();
    }

    pub fn kubectl_path(&self) -> PathBuf {
        self.paths.bin.join("kubectl")
    }

    /// `PATH` with the cluster's own kubectl (1.20) first, as a slide's
    /// commands would find it.
    pub fn path_env(&self) -> std::ffi::OsString {
        let mut dirs = vec![self.paths.bin.clone()];
        if let Some(p) = std::env::var_os("PATH") {
            dirs.extend(std::env::split_paths(&p));
        }
        std::env::join_paths(dirs).unwrap()
    }

    /// kubectl with the admin kubeconfig; the output whatever the status.
    pub fn kubectl_raw(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = Command::new(self.kubectl_path());
        cmd.arg("--kubeconfig").arg(kubeconfig).args(args);
        run_with_stdin(cmd, stdin)
    }

    /// kubectl as admin; panics with its output when it fails.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.kubectl_in(&self.admin, args, None)
    }

    pub fn kubectl_in(&self, kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> String {
        let out = self.kubectl_raw(kubeconfig, args, stdin);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "kubectl {args:?}: {text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        text
    }

    /// The PID file of a component `up.sh` started (`state/pids/NAME.pid`).
    pub fn pid_of(&self, component: &str) -> i32 {
        let file = self
            .paths
            .state
            .join("pids")
            .join(format!("{component}.pid"));
        let text =
            std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        text.trim()
            .parse()
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()))
    }

    /// Kills a component's process group (as a crash would), and waits for
    /// its leader to be gone.
    pub fn kill(&self, component: &str) {
        let pid = self.pid_of(component);
        // up.sh starts each component as its own process group leader.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{pid}")])
            .status();
        let _ = Command::new("kill")
            .args(["-KILL", &pid.to_string()])
            .status();
        let t = Instant::now();
        while Path::new(&format!("/proc/{pid}")).exists() && t.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `up.sh` again: starts whatever is not running.
    pub fn restart_missing(&self) {
        let out = Command::new("bash")
            .arg(self.paths.scripts.join("up.sh"))
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "up.sh: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The audit log: one JSON line per request made with the admin credentials.
    pub fn audit_log(&self) -> PathBuf {
        self.paths.state.join("logs").join("audit.log")
    }
}

pub fn run_with_stdin(mut cmd: Command, stdin: Option<&str>) -> Output {
    use std::io::Write;
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{cmd:?}: {e}"));
    if let Some(text) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
    }
    child.wait_with_output().unwrap()
}

/// One test's namespace, its kubeconfig (admin, that namespace as the
/// context's) and a scratch folder; the namespace is deleted on drop.
pub struct Ns<'a> {
    pub rk: &'a Realkube,
    pub name: String,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
}

impl<'a> Ns<'a> {
    pub fn new(rk: &'a Realkube, test: &str) -> Ns<'a> {
        let name = format!("rk-{test}-{}", std::process::id()).replace('_', "-");
        let name: String = name.chars().take(63).collect();
        let _ = rk.kubectl_raw(
            &rk.admin,
            &["delete", "namespace", &name, "--wait=true"],
            None,
        );
        rk.kubectl(&["create", "namespace", &name]);
        let dir = tempfile::tempdir().unwrap();
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::copy(&rk.admin, &kubeconfig).unwrap();
        rk.kubectl_in(
            &kubeconfig,
            &["config", "set-context", "--current", "--namespace", &name],
            None,
        );
        // The namespace's default service account comes from a controller.
        let t = Instant::now();
        while !rk
            .kubectl_raw(&kubeconfig, &["get", "serviceaccount", "default"], None)
            .status
            .success()
        {
            assert!(
                t.elapsed() < Duration::from_secs(30),
                "no default service account in {name}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
        Ns {
            rk,
            name,
            kubeconfig,
            dir,
        }
    }

    pub fn kubeconfig_str(&self) -> &str {
        self.kubeconfig.to_str().unwrap()
    }

    /// kubectl in this namespace; panics on failure.
    pub fn kubectl(&self, args: &[&str]) -> String {
        self.rk.kubectl_in(&self.kubeconfig, args, None)
    }

    pub fn kubectl_raw(&self, args: &[&str]) -> Output {
        self.rk.kubectl_raw(&self.kubeconfig, args, None)
    }

    pub fn apply(&self, yaml: &str) -> String {
        self.rk
            .kubectl_in(&self.kubeconfig, &["apply", "-f", "-"], Some(yaml))
    }

    /// Writes a one-chapter deck into the scratch folder; returns its path.
    pub fn deck(&self, name: &str, text: &str) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    }

    /// Polls `cond` every 200 ms until it holds; panics with `what` after `limit`.
    pub fn until(&self, limit: Duration, what: &str, mut cond: impl FnMut() -> bool) {
        let t = Instant::now();
        while !cond() {
            assert!(
                t.elapsed() < limit,
                "timed out after {limit:?} waiting for {what}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Ns<'_> {
    fn drop(&mut self) {
        if std::env::var_os("LABDECK_REALKUBE_KEEP").is_none() {
            let _ = self.rk.kubectl_raw(
                &self.rk.admin,
                &["delete", "namespace", &self.name, "--wait=false"],
                None,
            );
        }
    }
}

/// The labdeck binary's output.
pub struct Labdeck {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Labdeck {
    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", self.stdout, self.stderr))
    }
}

/// The command for the labdeck binary under test, in the crate root, with
/// the cluster's kubectl first on PATH and no KUBECONFIG from outside.
pub fn labdeck_cmd(rk: &Realkube, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_labdeck"));
    cmd.args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env("PATH", rk.path_env())
        .env_remove("KUBECONFIG");
    cmd
}

pub fn labdeck(rk: &Realkube, args: &[&str]) -> Labdeck {
    let t = Instant::now();
    let out = run_with_stdin(labdeck_cmd(rk, args), None);
    Labdeck {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: t.elapsed(),
    }
}

/// `labdeck run DECK --only ID` with `kubeconfig`: the slide's own commands,
/// played in `work`, then its check (up to 120 s); `checks` is a checks
/// file laid over the slides' (`--checks`).
pub fn play(
    rk: &Realkube,
    kubeconfig: &str,
    deck: &str,
    checks: Option<&str>,
    id: &str,
    work: &Path,
) -> Labdeck {
    let mut args = vec!["run", deck];
    if let Some(c) = checks {
        args.extend(["--checks", c]);
    }
    args.extend([
        "--kubeconfig",
        kubeconfig,
        "--only",
        id,
        "--workdir",
        work.to_str().unwrap(),
        "--check-timeout",
        "120s",
    ]);
    labdeck(rk, &args)
}

/// `labdeck check DECK --only ID --timeout 0`: the exercise's check, looked
/// at once.
pub fn look(
    rk: &Realkube,
    kubeconfig: &str,
    deck: &str,
    checks: Option<&str>,
    id: &str,
) -> Labdeck {
    let mut args = vec!["check", deck];
    if let Some(c) = checks {
        args.extend(["--checks", c]);
    }
    args.extend(["--kubeconfig", kubeconfig, "--timeout", "0", "--only", id]);
    labdeck(rk, &args)
}

/// One exercise walked as a student would: its check before, its
/// commands played, its check after.
pub struct Walked {
    pub before: Labdeck,
    pub run: Labdeck,
    pub after: Labdeck,
}

/// Walks `ids` of `deck` in order in `work`: for each exercise, [`look`],
/// [`play`], [`look`] again. `wrong` says what is wrong with one walked
/// exercise (`None`: nothing), with the outputs appended; every finding is
/// asserted at the end, so one run reports them all. A check that fails
/// says so in its own words (`FAIL  ID`).
pub fn walk(
    rk: &Realkube,
    kubeconfig: &str,
    deck: &str,
    checks: Option<&str>,
    ids: &[String],
    work: &Path,
    wrong: impl Fn(&str, &Walked) -> Option<String>,
) {
    let mut report = Vec::new();
    for id in ids {
        let before = look(rk, kubeconfig, deck, checks, id);
        let run = play(rk, kubeconfig, deck, checks, id, work);
        let after = look(rk, kubeconfig, deck, checks, id);
        eprintln!(
            "{id}: before {} / run {} in {:.1}s / after {}",
            before.code,
            run.code,
            run.elapsed.as_secs_f64(),
            after.code
        );
        let w = Walked { before, run, after };
        if let Some(why) = wrong(id, &w) {
            report.push(format!(
                "{id}: {why}\nbefore exit {}\n{}\nrun exit {}\n{}\nafter exit {}\n{}",
                w.before.code,
                w.before.all(),
                w.run.code,
                w.run.all(),
                w.after.code,
                w.after.all()
            ));
        }
        if w.before.code == 1 {
            assert!(
                w.before.stdout.contains(&format!("FAIL  {id}")),
                "{}",
                w.before.stdout
            );
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}
