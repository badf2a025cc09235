//! `labdeck run` end to end through the binary: refusal without a cluster,
//! the dry-run plan, the context pinned for every command, failure report.

use std::path::PathBuf;
use std::process::Command;

const FAKE_KUBECTL: &str = r#"#!/bin/sh
# Answers from the KUBECONFIG file labdeck pins the context in (JSON, which
# is YAML to kubectl).
case "$*" in
  "config current-context") sed -n 's/^ *"current-context": "\(.*\)",\{0,1\}$/\1/p' "$KUBECONFIG" ;;
  "create deployment "*) echo "deployment.apps/$3 created" ;;
  *" -w") while :; do echo "pingpong-1 1/1 Running"; sleep 0.1; done ;;
  *) echo "error: the server doesn't have a resource type \"$2\"" >&2; exit 1 ;;
esac
"#;

const KUBECONFIG: &str = "apiVersion: v1\nkind: Config\ncurrent-context: kind-lab\nclusters:\n- name: c\n  cluster: {server: \"https://127.0.0.1:1\"}\nusers:\n- name: u\n  user: {token: x}\ncontexts:\n- name: kind-lab\n  context: {cluster: c, user: u}\n- name: sandbox\n  context: {cluster: c, user: u}\n";

struct Env {
    dir: tempfile::TempDir,
}

impl Env {
    fn new() -> Env {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("bin")).unwrap();
        let k = dir.path().join("bin/kubectl");
        std::fs::write(&k, FAKE_KUBECTL).unwrap();
        std::fs::set_permissions(&k, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::write(dir.path().join("config"), KUBECONFIG).unwrap();
        std::fs::create_dir(dir.path().join("tmp")).unwrap();
        Env { dir }
    }

    fn kubeconfig(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    fn labdeck(&self, args: &[&str]) -> (i32, String, String) {
        self.labdeck_in(Command::new(env!("CARGO_BIN_EXE_labdeck")), args)
    }

    /// As CI runners start jobs in the background: SIGINT and SIGQUIT
    /// ignored, inherited by labdeck (and, unless it resets them, by its
    /// shell and every command, which ^C could then never stop).
    fn labdeck_signals_ignored(&self, args: &[&str]) -> (i32, String, String) {
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "trap '' INT QUIT; exec \"$0\" \"$@\"",
            env!("CARGO_BIN_EXE_labdeck"),
        ]);
        self.labdeck_in(cmd, args)
    }

    fn labdeck_in(&self, mut cmd: Command, args: &[&str]) -> (i32, String, String) {
        let path = format!(
            "{}:{}",
            self.dir.path().join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let out = cmd
            .args(args)
            .env("PATH", path)
            .env_remove("KUBECONFIG")
            .env("HOME", self.dir.path())
            .env("TMPDIR", self.dir.path().join("tmp"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

const CHAPTER: &str = "tests/fixtures/run-deck/chapter.md";

#[test]
fn refuses_without_kubeconfig_or_context() {
    let env = Env::new();
    let (code, _, err) = env.labdeck(&["run", CHAPTER]);
    assert_ne!(code, 0);
    assert!(err.contains("--kubeconfig"), "{err}");
    // --context alone with no kubeconfig anywhere: a clear error, nothing run.
    let (code, out, err) = env.labdeck(&["run", CHAPTER, "--context", "sandbox"]);
    assert_ne!(code, 0);
    assert!(
        err.contains("no kubeconfig:") && err.contains(".kube/config does not exist"),
        "{err}"
    );
    assert!(out.is_empty());
}

#[test]
fn unknown_context_is_refused() {
    let env = Env::new();
    let k = env.kubeconfig();
    let (code, _, err) = env.labdeck(&[
        "run",
        CHAPTER,
        "--kubeconfig",
        k.to_str().unwrap(),
        "--context",
        "prod",
    ]);
    assert_ne!(code, 0);
    assert!(
        err.contains("context \"prod\" not found") && err.contains("kind-lab, sandbox"),
        "{err}"
    );
}

#[test]
fn dry_run_prints_the_plan_without_a_cluster() {
    let env = Env::new();
    let (code, out, _) = env.labdeck(&["run", CHAPTER, "--dry-run", "--from", "chapter-2"]);
    assert_eq!(code, 0);
    assert!(!out.contains("chapter-1"), "{out}");
    assert!(
        out.contains("chapter.md:29  $ kubectl create deployment $APP --image=jpetazzo/ping"),
        "{out}"
    );
    assert!(
        out.contains("chapter.md:34  $ kubectl get pods -w   (never ends"),
        "{out}"
    );
}

#[test]
fn runs_in_the_pinned_context_and_stops_at_the_failure() {
    let env = Env::new();
    let args = run_args(&env);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check_full_run(&env, env.labdeck(&args));
}

#[test]
fn watch_is_stopped_even_when_started_with_sigint_ignored() {
    let env = Env::new();
    let args = run_args(&env);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    check_full_run(&env, env.labdeck_signals_ignored(&args));
}

fn run_args(env: &Env) -> Vec<String> {
    let k = env.kubeconfig().to_string_lossy().into_owned();
    [
        "run",
        CHAPTER,
        "--kubeconfig",
        &k,
        "--context",
        "sandbox",
        "--grace",
        "500ms",
        "--format",
        "json",
    ]
    .map(String::from)
    .to_vec()
}

fn check_full_run(env: &Env, (code, out, err): (i32, String, String)) {
    let k = env.kubeconfig();
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.starts_with("labdeck run: context `sandbox`"), "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["context"], "sandbox");
    let exs = v["exercises"].as_array().unwrap();
    assert_eq!(exs.len(), 3);
    // The shell saw the chosen context, not the kubeconfig's current one.
    assert_eq!(
        exs[0]["steps"][0]["output"].as_str().unwrap().trim(),
        "sandbox"
    );
    // A variable set in one exercise is there in the next.
    assert_eq!(
        exs[1]["steps"][0]["output"].as_str().unwrap().trim(),
        "deployment.apps/pingpong created"
    );
    assert_eq!(exs[1]["steps"][1]["outcome"], "stopped_after_grace");
    assert_eq!(exs[2]["status"], "failed");
    assert_eq!(exs[2]["steps"][0]["line"], 47);
    assert_eq!(exs[2]["steps"][0]["exit_status"], 1);
    // The user's kubeconfig is untouched.
    assert_eq!(std::fs::read_to_string(&k).unwrap(), KUBECONFIG);
    // The pinned kubeconfig (and every scratch folder) is gone.
    let left: Vec<_> = std::fs::read_dir(env.dir.path().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

/// Ctrl-C during a run: the report of what ran is printed, exit status
/// 130, and no temporary folder, kubeconfig copy or rc file is left.
#[test]
fn ctrl_c_prints_what_ran_and_cleans_up() {
    use std::io::{BufRead, BufReader};
    let env = Env::new();
    let tmp = env.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let chapter = env.dir.path().join("slow.md");
    std::fs::write(
        &chapter,
        "# Slow\n\n.exercise[\n```bash\nsleep 30\n```\n]\n\n---\n\n# Next\n\n.exercise[\n```bash\necho next\n```\n]\n",
    )
    .unwrap();
    let path = format!(
        "{}:{}",
        env.dir.path().join("bin").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "run",
            chapter.to_str().unwrap(),
            "--kubeconfig",
            env.kubeconfig().to_str().unwrap(),
        ])
        .env("PATH", path)
        .env("TMPDIR", &tmp)
        .env("HOME", env.dir.path())
        .env_remove("KUBECONFIG")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the first command is typed, then press Ctrl-C.
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        if err.read_line(&mut line).unwrap() == 0 {
            panic!("labdeck ended before typing: {seen}");
        }
        seen.push_str(&line);
        if line.contains("sleep 30") || line.starts_with("== slow-1") {
            break;
        }
    }
    let started = std::time::Instant::now();
    let pid = rustix::process::Pid::from_raw(i32::try_from(child.id()).unwrap()).unwrap();
    rustix::process::kill_process(pid, rustix::process::Signal::INT).unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(130), "{stdout}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "stopped long before `sleep 30` ended"
    );
    assert!(stdout.contains("interrupted; not run: slow-2"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(&tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(left.is_empty(), "left behind: {left:?}");
}

/// Regression (issue 20): `run --dry-run` printed the plan of a deck whose
/// check does not parse; it refuses it (exit 3, bad input) at the check's file:line,
/// as `check` does, before anything is typed.
#[test]
fn regression_dry_run_rejects_a_check_that_does_not_parse() {
    let env = Env::new();
    let chapter = env.dir.path().join("broken.md");
    std::fs::write(
        &chapter,
        "# Broken\n\n.exercise[\n- Do it:\n  ```bash\n  kubectl get pods\n  ```\n]\n\n<!-- check\n- kind: pods\n  expr: self.metadata.name.startsWith()\n-->\n",
    )
    .unwrap();
    let path = chapter.to_string_lossy().to_string();
    let (code, out, err) = env.labdeck(&["run", &path, "--dry-run"]);
    assert_eq!(code, 3, "{out}\n{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("broken.md:12: check: expr \"self.metadata.name.startsWith()\": `.startsWith()` takes 1 argument(s), not 0"),
        "{err}"
    );
}

/// A hostile deck's hidden commands: another kubeconfig from `$HOME`, a
/// file written in `$HOME`, and the runner's secrets read from the
/// environment. None reaches the person running it.
#[test]
fn hidden_commands_get_a_scratch_home_the_pinned_kubeconfig_and_no_secrets() {
    let env = Env::new();
    // The runner's own ~/.kube/config, with another context (JSON, as the
    // fake kubectl reads it).
    std::fs::create_dir(env.dir.path().join(".kube")).unwrap();
    std::fs::write(
        env.dir.path().join(".kube/config"),
        "{\n  \"current-context\": \"prod-elsewhere\",\n}\n",
    )
    .unwrap();
    let chapter = env.dir.path().join("hostile.md");
    std::fs::write(
        &chapter,
        "# Hostile\n\n.exercise[\n```bash\necho visible\n```\n<!--\n```bash\nkubectl config current-context\nKUBECONFIG=$HOME/.kube/config kubectl config current-context || true\ntouch $HOME/PWNED\necho \"token=[$GITHUB_TOKEN] aws=[$AWS_SECRET_ACCESS_KEY] ssh=[$SSH_AUTH_SOCK] home=[$HOME] lang=[$LANG]\"\n```\n-->\n]\n",
    )
    .unwrap();
    let k = env.kubeconfig();
    let out = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args([
            "run",
            chapter.to_str().unwrap(),
            "--kubeconfig",
            k.to_str().unwrap(),
            "--context",
            "sandbox",
            "--keep-going",
            "--format",
            "json",
        ])
        .env(
            "PATH",
            format!(
                "{}:{}",
                env.dir.path().join("bin").display(),
                std::env::var("PATH").unwrap_or_default()
            ),
        )
        .env_remove("KUBECONFIG")
        .env("HOME", env.dir.path())
        .env("TMPDIR", env.dir.path().join("tmp"))
        .env("GITHUB_TOKEN", "s3cr3t-gh")
        .env("AWS_SECRET_ACCESS_KEY", "s3cr3t-aws")
        .env("SSH_AUTH_SOCK", "/tmp/s3cr3t-agent")
        .env("LANG", "C.UTF-8")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let outputs: Vec<String> = v["exercises"][0]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["output"].as_str().unwrap_or("").trim().to_string())
        .collect();
    let all = outputs.join("\n");
    assert!(
        !all.contains("prod-elsewhere"),
        "another kubeconfig was read: {all}"
    );
    assert!(outputs.iter().any(|o| o == "sandbox"), "{all}");
    assert!(
        !env.dir.path().join("PWNED").exists(),
        "the deck wrote in the runner's HOME"
    );
    assert!(all.contains("token=[] aws=[] ssh=[]"), "{all}");
    assert!(all.contains("lang=[C.UTF-8]"), "the locale is kept: {all}");
    assert!(
        !all.contains(&format!("home=[{}]", env.dir.path().display())),
        "{all}"
    );
    // The scratch HOME is gone with the run.
    let left: Vec<_> = std::fs::read_dir(env.dir.path().join("tmp"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
