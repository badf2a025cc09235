//! One persistent interactive bash in a pseudo-terminal, typed into as a
//! student would type.
//!
//! Why a pty and an interactive shell: `^C` must reach the foreground job as
//! SIGINT (the terminal's line discipline does that), `kubectl get -w` and
//! friends must see a terminal, and variables and the working directory must
//! carry over from one command to the next.
//!
//! How "the command finished" is detected: the shell's prompt is replaced by
//! a marker printed from `PROMPT_COMMAND`, `RS LBD<nonce>:<status> RS`
//! (`RS` = 0x1e). The nonce is new for every session, so no command output can
//! fake it. Echo is off (`stty -echo`, and `--noediting` so readline does not
//! echo on its own), so what is read back is only what commands print.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Marker delimiter: ASCII record separator, which commands do not print.
const RS: u8 = 0x1e;

/// What the played shell keeps of labdeck's own environment; everything
/// else is dropped (`*_TOKEN`, `AWS_*`, `GOOGLE_*`, `SSH_AUTH_SOCK`,
/// `KUBECONFIG`, `DOCKER_HOST`...): a deck's commands, hidden ones
/// included, get no credential of the person running it. `PATH`, `TERM`,
/// `PAGER`, `NO_COLOR` are set below, `HOME` and `KUBECONFIG` by the run
/// ([`SessionOptions::env`]). Kept: the locale (`LANG`, `LANGUAGE`,
/// `LC_*`), `TZ`, who you are (`USER`, `LOGNAME`), and what kubectl needs
/// to reach a cluster that the kubeconfig does not say: the proxies
/// client-go reads (`net/http.ProxyFromEnvironment`: `HTTPS_PROXY`,
/// `HTTP_PROXY`, `NO_PROXY`, either case) and Go's CA locations
/// (`crypto/x509` `SSL_CERT_FILE`, `SSL_CERT_DIR`).
pub const KEPT_ENV: &[&str] = &[
    "LANG",
    "LANGUAGE",
    "TZ",
    "USER",
    "LOGNAME",
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
];

/// Whether the played shell keeps variable `name` (see [`KEPT_ENV`]).
pub fn kept_env(name: &str) -> bool {
    KEPT_ENV.contains(&name) || name.starts_with("LC_")
}

/// How to start the shell.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Working directory the shell starts in.
    pub workdir: PathBuf,
    /// The variables the run gives the shell (`KUBECONFIG`, `HOME`...),
    /// over the few it keeps of labdeck's own ([`KEPT_ENV`]).
    pub env: Vec<(OsString, OsString)>,
    /// Folders put in front of `PATH` (tests put a fake `kubectl` there).
    pub path_prepend: Vec<PathBuf>,
    /// The bash to run.
    pub bash: PathBuf,
    /// How long the shell may take to show its first prompt.
    pub startup_timeout: Duration,
}

impl SessionOptions {
    pub fn new(workdir: impl Into<PathBuf>) -> Self {
        SessionOptions {
            workdir: workdir.into(),
            env: Vec::new(),
            path_prepend: Vec::new(),
            bash: PathBuf::from("bash"),
            startup_timeout: Duration::from_secs(10),
        }
    }
}

/// What one [`Session::read`] returned.
#[derive(Debug, PartialEq, Eq)]
pub enum Output {
    /// Bytes the running command printed (never part of a marker).
    Bytes(Vec<u8>),
    /// The shell is back at its prompt; `before` is what was printed just
    /// before the marker, `status` the last command's exit status.
    Prompt { before: Vec<u8>, status: i32 },
    /// Nothing more arrived before the deadline.
    Timeout,
    /// The shell exited (or closed its terminal).
    Closed,
}

/// A running shell.
pub struct Session {
    pty: Arc<pty_process::blocking::Pty>,
    child: std::process::Child,
    rx: Receiver<Vec<u8>>,
    /// Bytes read but not yet handed out (a possible marker prefix).
    pending: Vec<u8>,
    /// `RS LBD<nonce>:`
    header: Vec<u8>,
    closed: bool,
    /// Init script; kept so it lives as long as the shell may read it.
    _rcfile: tempfile::NamedTempFile,
}

impl Session {
    /// Starts bash and waits for its first prompt.
    pub fn start(opts: &SessionOptions) -> Result<Session> {
        let nonce = nonce();
        let header = format!("\u{1e}LBD{nonce}:").into_bytes();
        let rcfile = write_rcfile(&nonce, &opts.workdir)?;

        let (pty, pts) = pty_process::blocking::open()
            .map_err(|e| Error::Shell(format!("cannot open a pseudo-terminal: {e}")))?;
        // Wide enough that kubectl tables are not wrapped.
        pty.resize(pty_process::Size::new(50, 200))
            .map_err(|e| Error::Shell(format!("cannot size the pseudo-terminal: {e}")))?;

        let mut path = std::env::join_paths(&opts.path_prepend)
            .map_err(|e| Error::Shell(format!("bad PATH entry: {e}")))?;
        if let Some(old) = std::env::var_os("PATH") {
            if !path.is_empty() {
                path.push(":");
            }
            path.push(old);
        }
        let mut cmd = pty_process::blocking::Command::new(&opts.bash)
            .env_clear()
            .envs(std::env::vars_os().filter(|(k, _)| k.to_str().is_some_and(kept_env)))
            .arg("--noprofile")
            .arg("--rcfile")
            .arg(rcfile.path())
            .arg("--noediting")
            .arg("-i")
            .current_dir(&opts.workdir)
            .env("PATH", path)
            // Plain output: no colours, no pagers, no editors that need a
            // full-screen terminal description.
            .env("TERM", "dumb")
            .env("PAGER", "cat")
            .env("NO_COLOR", "1")
            .env_remove("PROMPT_COMMAND")
            .env_remove("BASH_ENV")
            .env_remove("ENV");
        for (k, v) in &opts.env {
            cmd = cmd.env(k, v);
        }
        let cmd = with_default_signals(cmd);
        let child = cmd
            .spawn(pts)
            .map_err(|e| Error::Shell(format!("cannot start {}: {e}", opts.bash.display())))?;

        let pty = Arc::new(pty);
        let (tx, rx) = channel();
        let reader = Arc::clone(&pty);
        // The pty read blocks; a thread turns it into a channel that can be
        // waited on with a deadline. It ends when the shell's side closes.
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match (&*reader).read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });

        let mut session = Session {
            pty,
            child,
            rx,
            pending: Vec::new(),
            header,
            closed: false,
            _rcfile: rcfile,
        };
        let deadline = crate::duration::deadline(Instant::now(), opts.startup_timeout);
        let mut startup = Vec::new();
        loop {
            match session.read(deadline) {
                Output::Bytes(b) => startup.extend(b),
                Output::Prompt { .. } => break,
                Output::Timeout | Output::Closed => {
                    return Err(Error::Shell(format!(
                        "bash did not start (no prompt within {:?}): {}",
                        opts.startup_timeout,
                        String::from_utf8_lossy(&startup).trim()
                    )));
                }
            }
        }
        Ok(session)
    }

    /// Types raw bytes (keys) into the terminal.
    pub fn send(&mut self, bytes: &[u8]) -> Result<()> {
        (&*self.pty)
            .write_all(bytes)
            .and_then(|()| (&*self.pty).flush())
            .map_err(|e| Error::Shell(format!("cannot type into the shell: {e}")))
    }

    /// Types a command and presses Enter.
    pub fn type_line(&mut self, text: &str) -> Result<()> {
        let mut bytes = text.as_bytes().to_vec();
        bytes.push(b'\n');
        self.send(&bytes)
    }

    /// Waits for output until `deadline`.
    pub fn read(&mut self, deadline: Instant) -> Output {
        loop {
            if let Some(out) = self.take_pending() {
                return out;
            }
            if self.closed {
                let rest = std::mem::take(&mut self.pending);
                return if rest.is_empty() {
                    Output::Closed
                } else {
                    Output::Bytes(rest)
                };
            }
            // Waits in short slices so that Ctrl-C (see `interrupt`) cuts
            // the wait short.
            if super::interrupt::interrupted() {
                return Output::Timeout;
            }
            let now = Instant::now();
            let wait = deadline.saturating_duration_since(now);
            match self.rx.recv_timeout(wait.min(Duration::from_millis(100))) {
                Ok(chunk) => self.pending.extend(chunk),
                Err(RecvTimeoutError::Timeout) if Instant::now() < deadline => {}
                Err(RecvTimeoutError::Timeout) => return Output::Timeout,
                Err(RecvTimeoutError::Disconnected) => self.closed = true,
            }
        }
    }

    fn take_pending(&mut self) -> Option<Output> {
        take_marker(&mut self.pending, &self.header)
    }

    /// Process id of the shell.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        // SIGHUP, as when a terminal window closes: interactive bash passes it
        // on to its jobs (a `port-forward &` left by an exercise) and exits.
        if let Some(pid) = rustix::process::Pid::from_raw(self.child.id() as i32) {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::HUP);
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            match self.child.try_wait() {
                Ok(Some(_)) => return,
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
                Err(_) => break,
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `cmd` starting its shell with every signal at its default disposition
/// and none blocked. Why: a process started in the background (`cmd &`, as
/// CI runners and test harnesses do) inherits SIGINT and SIGQUIT ignored,
/// bash cannot undo an inherited "ignore", and `^C` would then never stop
/// `kubectl get -w`. The crate's one `unsafe` (Cargo.toml `[lints]`).
#[allow(unsafe_code)]
fn with_default_signals(cmd: pty_process::blocking::Command) -> pty_process::blocking::Command {
    // SAFETY: runs in the forked child before exec and only calls
    // async-signal-safe functions (signal, sigemptyset, sigprocmask).
    unsafe {
        cmd.pre_exec(|| {
            for sig in [
                libc::SIGINT,
                libc::SIGQUIT,
                libc::SIGTSTP,
                libc::SIGTTIN,
                libc::SIGTTOU,
                libc::SIGHUP,
                libc::SIGTERM,
                libc::SIGPIPE,
            ] {
                libc::signal(sig, libc::SIG_DFL);
            }
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
            Ok(())
        })
    }
}

/// Hands out what is pending: everything before a complete marker (and
/// the marker's status), or everything that cannot be the start of one.
fn take_marker(pending: &mut Vec<u8>, header: &[u8]) -> Option<Output> {
    if pending.is_empty() {
        return None;
    }
    let mut from = 0;
    while let Some(i) = find(&pending[from..], header).map(|i| i + from) {
        let digits_start = i + header.len();
        let tail = &pending[digits_start..];
        match tail.iter().position(|b| !b.is_ascii_digit() && *b != b'-') {
            Some(end) if tail[end] == RS && end > 0 => {
                let status = std::str::from_utf8(&tail[..end])
                    .ok()
                    .and_then(|s| s.parse().ok())
                    .unwrap_or(-1);
                let before = pending[..i].to_vec();
                pending.drain(..digits_start + end + 1);
                return Some(Output::Prompt { before, status });
            }
            Some(_) => from = i + 1, // not a marker after all
            None => {
                // Incomplete marker: hand out what precedes it.
                if i == 0 {
                    return None;
                }
                let before: Vec<u8> = pending.drain(..i).collect();
                return Some(Output::Bytes(before));
            }
        }
    }
    // Keep a trailing partial header back (it may complete next read).
    let keep = (1..header.len().min(pending.len() + 1))
        .rev()
        .find(|&n| pending.ends_with(&header[..n]))
        .unwrap_or(0);
    if keep == pending.len() {
        return None;
    }
    let cut = pending.len() - keep;
    let out: Vec<u8> = pending.drain(..cut).collect();
    Some(Output::Bytes(out))
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A value no deck command will print by chance.
fn nonce() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:x}{:x}{n:x}",
        nanos & 0xffff_ffff_ffff,
        std::process::id()
    )
}

/// The shell's init file: quiet prompt, marker, no echo, no history.
fn write_rcfile(nonce: &str, workdir: &Path) -> Result<tempfile::NamedTempFile> {
    let mut f = tempfile::Builder::new()
        .prefix("labdeck-bashrc-")
        .tempfile()
        .map_err(|e| Error::System(format!("cannot create the shell init file: {e}")))?;
    let script = format!(
        "stty -echo 2>/dev/null\n\
         unset HISTFILE\n\
         PS1=''\nPS2=''\nPS4='+ '\n\
         PROMPT_COMMAND='printf \"\\036LBD%s:%d\\036\" {nonce} \"$?\"'\n\
         cd {} || exit 1\n",
        shell_quote(&workdir.to_string_lossy())
    );
    f.write_all(script.as_bytes())
        .and_then(|()| f.flush())
        .map_err(|e| Error::io(f.path().to_path_buf(), e))?;
    Ok(f)
}

/// Single-quotes `s` for bash.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Terminal output as text: CRLF to LF, escape sequences (colours, cursor
/// moves) removed, lossy UTF-8.
pub fn clean_output(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\u{1b}' => match chars.peek() {
                Some('[') => {
                    chars.next();
                    // CSI: parameters then one final byte in @..~
                    for c in chars.by_ref() {
                        if ('@'..='~').contains(&c) {
                            break;
                        }
                    }
                }
                Some(']') => {
                    // OSC: up to BEL or ESC \
                    chars.next();
                    while let Some(c) = chars.next() {
                        if c == '\u{7}' {
                            break;
                        }
                        if c == '\u{1b}' {
                            chars.next();
                            break;
                        }
                    }
                }
                Some(_) => {
                    chars.next();
                }
                None => {}
            },
            '\r' => {
                if chars.peek() != Some(&'\n') {
                    out.push('\n');
                }
            }
            '\u{1e}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_output_strips_escapes_and_cr() {
        assert_eq!(
            clean_output(b"\x1b[1;31mred\x1b[0m\r\nnext\rx"),
            "red\nnext\nx"
        );
    }

    #[test]
    fn markers_are_found_across_chunks_and_not_faked() {
        let header = b"\x1eLBDabc:".to_vec();
        let mut pending = b"out\x1eLB".to_vec();
        assert_eq!(
            take_marker(&mut pending, &header),
            Some(Output::Bytes(b"out".to_vec()))
        );
        assert_eq!(take_marker(&mut pending, &header), None, "partial kept");
        pending.extend(b"Dabc:1");
        assert_eq!(
            take_marker(&mut pending, &header),
            None,
            "status incomplete"
        );
        pending.extend(b"30\x1emore");
        assert_eq!(
            take_marker(&mut pending, &header),
            Some(Output::Prompt {
                before: vec![],
                status: 130
            })
        );
        assert_eq!(
            take_marker(&mut pending, &header),
            Some(Output::Bytes(b"more".to_vec()))
        );
        // Another session's marker (other nonce) is just output.
        let mut pending = b"\x1eLBDzzz:0\x1e".to_vec();
        assert_eq!(
            take_marker(&mut pending, &header),
            Some(Output::Bytes(b"\x1eLBDzzz:0".to_vec()))
        );
        // The last RS could start a real marker: held back until more comes.
        assert_eq!(pending, b"\x1e");
    }

    #[test]
    fn shell_quote_escapes_single_quotes() {
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
    }
}
