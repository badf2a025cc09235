//! Issue 26, "talking like the tools around it" and "nothing that fails may
//! overwrite a user's file": the real binary's `--out` writes, exit
//! statuses (`labdeck::exit`), cluster errors in kubectl's words, `-q`,
//! `--color`/`NO_COLOR`, and how `pdf` finds a browser.

mod support;

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use support::apiserver::FakeApiServer;
use support::cli::labdeck;
use support::fixtures::*;

const DECK: &str = "slides/labdeck-sample.yml";

fn bin() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_labdeck"));
    c.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("KUBECONFIG")
        .env_remove("NO_COLOR")
        .env_remove("LABDECK_BROWSER")
        .env_remove("CHROME_PATH");
    c
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(cmd: &mut std::process::Command) -> Run {
    let o = cmd.output().expect("run labdeck");
    Run {
        code: o.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// A chapter whose one exercise is never closed, and the same closed.
const UNCLOSED: &str = "# Lab\n\n.exercise[\n- Create it:\n  ```bash\n  kubectl create deployment web --image=nginx\n  ```\n";
const CLOSED: &str = "# Lab\n\n.exercise[\n- Create it:\n  ```bash\n  kubectl create deployment web --image=nginx\n  ```\n]\n";

/// Regression (issue 26): `checks suggest --out FILE` on a deck with an
/// unclosed `.exercise[` exited 0 and replaced a reviewed checks file with
/// an empty one.
#[test]
fn regression_suggest_on_an_unclosed_exercise_leaves_the_checks_file_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("lab.md");
    std::fs::write(&chapter, UNCLOSED).unwrap();
    let checks = dir.path().join("checks.yml");
    let reviewed = b"# reviewed by hand\nweb-create:\n  - kind: deployments\n    name: web\n";
    std::fs::write(&checks, reviewed).unwrap();
    let out = run(bin()
        .args(["checks", "suggest"])
        .arg(&chapter)
        .arg("--out")
        .arg(&checks));
    assert_eq!(out.code, labdeck::exit::BAD_INPUT as i32, "{}", out.stderr);
    assert_eq!(std::fs::read(&checks).unwrap(), reviewed);
    // Said at its file:line, and nothing else left in the folder.
    assert!(
        out.stderr.contains("lab.md:3") && out.stderr.contains("never closed"),
        "{}",
        out.stderr
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 2);
    // To standard output: nothing printed either.
    let out = run(bin().args(["checks", "suggest"]).arg(&chapter));
    assert_eq!(out.code, labdeck::exit::BAD_INPUT as i32);
    assert_eq!(out.stdout, "");
    // Closed, the same deck is suggested for.
    std::fs::write(&chapter, CLOSED).unwrap();
    let out = run(bin()
        .args(["checks", "suggest"])
        .arg(&chapter)
        .arg("--out")
        .arg(&checks));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let text = std::fs::read_to_string(&checks).unwrap();
    assert!(
        text.contains("kind: Deployment") && text.contains("name: web"),
        "{text}"
    );
}

/// `--out` into a folder that does not exist: created, as `build` does.
#[test]
fn suggest_out_into_a_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("lab.md");
    std::fs::write(&chapter, CLOSED).unwrap();
    let out_file = dir.path().join("checks/new/lab.yml");
    let out = run(bin()
        .args(["checks", "suggest"])
        .arg(&chapter)
        .arg("--out")
        .arg(&out_file));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(std::fs::read_to_string(&out_file).unwrap().contains("web"));
}

/// The corpus the README's commands run in: `../shared/corpus/...` beside
/// the repository, or `LABDECK_CORPUS`.
fn corpus() -> PathBuf {
    support::corpus::container_training()
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let kind = entry.file_type().unwrap();
        let dest = to.join(entry.file_name());
        if kind.is_dir() {
            copy_tree(&entry.path(), &dest);
        } else if kind.is_file() {
            std::fs::copy(entry.path(), &dest).unwrap();
        }
    }
}

/// Regression (issue 26): the README's own `checks suggest` command failed
/// as written (its `checks/` folder does not exist in a fresh clone).
#[test]
fn regression_the_readmes_suggest_command_works_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let line = readme
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("labdeck checks suggest "))
        .expect("the README shows a `labdeck checks suggest` command");
    let words: Vec<&str> = line.split_whitespace().collect();
    let corpus = corpus();
    assert!(corpus.is_dir(), "{} missing", corpus.display());
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&corpus, dir.path());
    let out_arg = words
        .iter()
        .position(|w| *w == "--out")
        .and_then(|i| words.get(i + 1))
        .expect("--out FILE");
    assert!(!dir.path().join(out_arg).parent().unwrap().exists());
    let out = run(std::process::Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(&words[1..])
        .current_dir(dir.path()));
    assert_eq!(out.code, 0, "{line}: {}", out.stderr);
    let written = std::fs::read_to_string(dir.path().join(out_arg)).unwrap();
    assert!(written.contains("- kind: "), "{written}");
}

fn sample_checked_class(dir: &Path, fake: &FakeApiServer) -> PathBuf {
    let k = dir.join("class");
    std::fs::create_dir_all(&k).unwrap();
    std::fs::write(k.join("alice.yaml"), fake.kubeconfig_yaml("t", "default")).unwrap();
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn grade_out_into_a_new_folder() {
    let fake = FakeApiServer::start().await;
    fake.apply(deployment("labeldemo"));
    let dir = tempfile::tempdir().unwrap();
    let class = sample_checked_class(dir.path(), &fake);
    let report = dir.path().join("reports/today/grade.json");
    let out = labdeck(&[
        "grade",
        DECK,
        "--kubeconfigs",
        class.to_str().unwrap(),
        "--only",
        "labeldemo-create",
        "--timeout",
        "0",
        "--format",
        "json",
        "--out",
        report.to_str().unwrap(),
    ])
    .await;
    assert!(out.code == 0 || out.code == 1, "{}", out.stderr);
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("alice"), "{text}");
}

/// A kubeconfig for `server` with one context `fake`.
fn kubeconfig(dir: &Path, server: &str) -> String {
    let path = dir.join(format!("kc-{}", server.replace([':', '/'], "_")));
    std::fs::write(
        &path,
        format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {server}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: u\n    namespace: default\nusers:\n- name: u\n  user:\n    token: t\n"
        ),
    )
    .unwrap();
    path.display().to_string()
}

async fn check_with(kubeconfig: &str, extra: &[&str]) -> support::cli::Output {
    let mut args = vec![
        "check",
        DECK,
        "--kubeconfig",
        kubeconfig,
        "--timeout",
        "0",
        "--connect-timeout",
        "2s",
        "--request-timeout",
        "5s",
    ];
    args.extend(extra);
    labdeck(&args).await
}

/// A chapter of two exercises whose commands need no cluster (`run`
/// reaches its checks) and whose checks read one.
const TWO_CHECKED: &str = "# Two\n\n---\n\n## One\n\n.exercise[\n\n- Say it:\n  ```bash\n  echo one\n  ```\n\n]\n\n<!-- check\nid: one\ntimeout: 3s\nexpect:\n  - kind: configmaps\n    name: one\n-->\n\n---\n\n## Two\n\n.exercise[\n\n- Say it:\n  ```bash\n  echo two\n  ```\n\n]\n\n<!-- check\nid: two\ntimeout: 3s\nexpect:\n  - kind: configmaps\n    name: two\n-->\n";

/// `check`, `run` (its checks) and `grade` (a class of two) against
/// `kubeconfig`, a cluster that cannot be checked at all: each says `words`
/// once (`grade`: once per student), never once per exercise, and exits
/// with `status` (issue 26). `check` says it on stderr only; `run` in the
/// report of the check that met it, then stops (`--keep-going` or not).
async fn said_once(kubeconfig: &str, words: &str, status: u8) {
    let status = status as i32;
    // check: the sample deck's 11 exercises, each looked at once.
    let out = check_with(kubeconfig, &[]).await;
    assert_eq!(out.code, status, "check: {}{}", out.stdout, out.stderr);
    assert_eq!(
        out.stderr.matches(words).count(),
        1,
        "check: {}",
        out.stderr
    );
    assert!(out.stderr.starts_with("error: "), "{}", out.stderr);
    assert_eq!(out.stderr.lines().count(), 1, "{}", out.stderr);
    assert!(!out.stdout.contains(words), "check: {}", out.stdout);

    // run: the first check meets it; the second exercise is not run.
    let dir = tempfile::tempdir().unwrap();
    let chapter = dir.path().join("two.md");
    std::fs::write(&chapter, TWO_CHECKED).unwrap();
    let out = labdeck(&[
        "run",
        chapter.to_str().unwrap(),
        "--kubeconfig",
        kubeconfig,
        "--context",
        "fake",
        "--keep-going",
        "--format",
        "json",
    ])
    .await;
    assert_eq!(out.code, status, "run: {}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    assert_eq!(all.matches(words).count(), 1, "run: {all}");
    if status == labdeck::exit::UNCHECKED as i32 {
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(v["exercises"].as_array().unwrap().len(), 1, "{v}");
        assert_eq!(v["exercises"][0]["status"], "error", "{v}");
        assert_eq!(v["not_run"], serde_json::json!(["two"]), "{v}");
        assert_eq!(v["cannot_check"], true, "{v}");
    }

    // grade: a class of two, each said once.
    let class = dir.path().join("class");
    std::fs::create_dir_all(&class).unwrap();
    let text = std::fs::read_to_string(kubeconfig).unwrap_or_default();
    let mut args = vec!["grade", DECK, "--timeout", "3s"];
    let class_arg;
    if text.is_empty() {
        // The mistyped path is the class folder's.
        args.extend(["--kubeconfigs", kubeconfig]);
    } else {
        std::fs::write(class.join("ana.yaml"), &text).unwrap();
        std::fs::write(class.join("bob.yaml"), &text).unwrap();
        class_arg = class.display().to_string();
        args.extend(["--kubeconfigs", &class_arg]);
    }
    let out = labdeck(&args).await;
    assert_eq!(out.code, status, "grade: {}{}", out.stdout, out.stderr);
    let all = format!("{}{}", out.stdout, out.stderr);
    if text.is_empty() {
        assert_eq!(all.matches(words).count(), 1, "grade: {all}");
    } else {
        assert_eq!(all.matches(words).count(), 2, "grade: {all}");
        for student in ["ana", "bob"] {
            assert_eq!(
                all.matches(&format!("{student}: could not be checked: "))
                    .count(),
                1,
                "grade: {all}"
            );
        }
    }
}

/// Regression (issue 26): a refused connection was said once per exercise,
/// each after its check's timeout (2 min for the sample deck).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_connection_refused_is_said_once_as_kubectl_says_it() {
    // A loopback port nothing listens on.
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &format!("https://127.0.0.1:{port}"));
    said_once(
        &kc,
        &format!(
            "The connection to the server 127.0.0.1:{port} was refused - did you specify the right host or port?"
        ),
        labdeck::exit::UNCHECKED,
    )
    .await;
}

/// Regression (issue 26): TLS spoken to a plain-HTTP port, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_tls_to_a_plain_http_server_is_said_once_as_kubectl_says_it() {
    // The fake API server speaks plain HTTP; the kubeconfig says https.
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &fake.url().replace("http://", "https://"));
    said_once(
        &kc,
        "Unable to connect to the server: http: server gave HTTP response to HTTPS client (this port serves plain HTTP",
        labdeck::exit::UNCHECKED,
    )
    .await;
}

/// Regression (issue 26): refused credentials (401), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_unauthorized_is_said_once_as_kubectl_says_it() {
    let fake = FakeApiServer::start().await;
    fake.require_token("the-right-one");
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &fake.url());
    said_once(
        &kc,
        "You must be logged in to the server (Unauthorized)",
        labdeck::exit::UNCHECKED,
    )
    .await;
}

/// Regression (issue 26): credentials that may not even read discovery
/// (403), once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_forbidden_discovery_is_said_once_as_kubectl_says_it() {
    let fake = FakeApiServer::start().await;
    fake.forbid_discovery();
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &fake.url());
    said_once(
        &kc,
        // (JSON escapes the quotes around the user and the path.)
        "Error from server (Forbidden): forbidden: User ",
        labdeck::exit::UNCHECKED,
    )
    .await;
}

/// Regression (issue 26): a mistyped `--kubeconfig` (`--kubeconfigs` for
/// `grade`), once, as bad input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_mistyped_kubeconfig_is_said_once_by_check_run_and_grade() {
    said_once(
        "/nonexistent/kubeconfig",
        "/nonexistent/kubeconfig",
        labdeck::exit::BAD_INPUT,
    )
    .await;
}

/// A 403 on one resource, once the cluster has answered, belongs to the
/// exercises that read it, naming the resource as kubectl does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forbidden_resource_is_said_by_the_exercise_that_reads_it() {
    let fake = FakeApiServer::start().await;
    fake.forbid("pods");
    fake.forbid("deployments");
    let dir = tempfile::tempdir().unwrap();
    let kc = kubeconfig(dir.path(), &fake.url());
    let out = check_with(&kc, &["--only", "labeldemo-create"]).await;
    assert_eq!(out.code, labdeck::exit::UNCHECKED as i32, "{}", out.stderr);
    assert!(
        out.stdout.contains("Error from server (Forbidden): ")
            && out.stdout.contains("is forbidden"),
        "{}",
        out.stdout
    );
}

/// Regression (issue 26): a mistyped `--kubeconfig` was said once per
/// exercise.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn regression_a_mistyped_kubeconfig_is_said_once() {
    for format in ["human", "json", "junit"] {
        let out = labdeck(&[
            "check",
            DECK,
            "--kubeconfig",
            "/nonexistent/kubeconfig",
            "--format",
            format,
        ])
        .await;
        assert_eq!(out.code, labdeck::exit::BAD_INPUT as i32, "{}", out.stderr);
        let all = format!("{}{}", out.stdout, out.stderr);
        assert_eq!(
            all.matches("/nonexistent/kubeconfig").count(),
            1,
            "{format}: {all}"
        );
        assert!(
            out.stderr.starts_with("error: kubeconfig "),
            "{}",
            out.stderr
        );
    }
}

/// A deck whose one check passes, checked with `args` and `NO_COLOR` as
/// given: whether the output has ANSI escapes.
async fn colored(kc: &str, color: &[&str], no_color: bool) -> bool {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_labdeck"));
    cmd.args([
        "check",
        DECK,
        "--kubeconfig",
        kc,
        "--only",
        "labeldemo-create",
        "--timeout",
        "0",
    ])
    .args(color)
    .current_dir(env!("CARGO_MANIFEST_DIR"))
    .env_remove("KUBECONFIG");
    if no_color {
        cmd.env("NO_COLOR", "1");
    } else {
        cmd.env_remove("NO_COLOR");
    }
    let out = cmd.output().await.unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        stdout.contains("PASS") || stdout.contains("FAIL"),
        "{stdout}"
    );
    stdout.contains('\x1b')
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn color_follows_the_flag_then_no_color_then_the_terminal() {
    let fake = FakeApiServer::start().await;
    fake.apply(deployment("labeldemo"));
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let kc = kc.to_str().unwrap();
    // Piped, no flag: none.
    assert!(!colored(kc, &[], false).await);
    assert!(colored(kc, &["--color", "always"], false).await);
    // The flag wins over NO_COLOR (no-color.org).
    assert!(colored(kc, &["--color=always"], true).await);
    assert!(!colored(kc, &["--color", "never"], false).await);
    assert!(!colored(kc, &["--color", "auto"], true).await);
    // A global flag: before the subcommand too.
    let out = run(bin().args(["--color", "sometimes", "lint", DECK]));
    assert_eq!(out.code, labdeck::exit::USAGE as i32, "{}", out.stderr);
}

#[test]
fn quiet_says_only_results_and_verbose_says_more() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("site");
    let normal = run(bin().args(["build", DECK, "--out"]).arg(&out_dir));
    assert_eq!(normal.code, 0, "{}", normal.stderr);
    assert!(normal.stdout.contains("slides ->"), "{}", normal.stdout);
    let quiet = run(bin().args(["-q", "build", DECK, "--out"]).arg(&out_dir));
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stdout, "");
    assert_eq!(quiet.stderr, "");
    let verbose = run(bin()
        .args(["build", DECK, "--verbose", "--out"])
        .arg(&out_dir));
    assert!(
        verbose.stderr.contains("image(s) copied"),
        "{}",
        verbose.stderr
    );
    let lint = run(bin().args(["lint", DECK, "--quiet"]));
    assert!(!lint.stderr.contains("labdeck lint:"), "{}", lint.stderr);
    let both = run(bin().args(["-q", "-v", "lint", DECK]));
    assert_eq!(both.code, labdeck::exit::USAGE as i32);
}

/// Each status of `labdeck::exit`, from the command that ends with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_exit_status_means_one_thing() {
    use labdeck::exit;
    let fake = FakeApiServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let kc = fake.write_kubeconfig(dir.path(), "t", "default");
    let kc = kc.to_str().unwrap();
    let check = |extra: &'static [&'static str]| {
        let kc = kc.to_string();
        async move {
            let mut args = vec!["check", DECK, "--kubeconfig", &kc, "--timeout", "0"];
            args.extend(extra);
            labdeck(&args).await.code
        }
    };
    // 1: a check failed (nothing created yet).
    assert_eq!(
        check(&["--only", "labeldemo-create"]).await,
        exit::FAILED as i32
    );
    fake.apply(deployment("labeldemo"));
    fake.apply(replicaset("labeldemo-5b7c9d8f6d"));
    fake.apply(pod("labeldemo-5b7c9d8f6d-p2rk9"));
    // 0: it passes.
    assert_eq!(
        check(&["--only", "labeldemo-create"]).await,
        exit::OK as i32
    );
    // 2: the command line is wrong: clap's, and an id the deck lacks.
    assert_eq!(check(&["--no-such-flag"]).await, exit::USAGE as i32);
    assert_eq!(check(&["--only", "no-such-id"]).await, exit::USAGE as i32);
    // 3: the input is bad.
    let out = labdeck(&["check", "slides/no-such-deck.yml", "--kubeconfig", kc]).await;
    assert_eq!(out.code, exit::BAD_INPUT as i32, "{}", out.stderr);
    // 4: could not be checked.
    fake.forbid("deployments");
    assert_eq!(
        check(&["--only", "labeldemo-create"]).await,
        exit::UNCHECKED as i32
    );
    // `lint`: 1 for problems, 3 for a deck that does not load.
    let bad = dir.path().join("bad.md");
    std::fs::write(&bad, ".exercise[\n- x\n").unwrap();
    assert_eq!(
        labdeck(&["lint", bad.to_str().unwrap()]).await.code,
        exit::FAILED as i32
    );
    // 141: standard output closed by its reader.
    let mut child = bin()
        .args(["exercises", DECK])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(exit::CLOSED as i32));
}

/// A fake `google-chrome` that writes what `--print-to-pdf=` asks for.
fn fake_browser(dir: &Path, name: &str) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let path = bin.join(name);
    let mut f = std::fs::File::create(&path).unwrap();
    writeln!(
        f,
        "#!/bin/sh\nfor a in \"$@\"; do case \"$a\" in --print-to-pdf=*) printf '%%PDF-1.4 printed by {name}\\n' > \"${{a#--print-to-pdf=}}\";; esac; done\nexit 0"
    )
    .unwrap();
    drop(f);
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    bin
}

fn small_deck(dir: &Path) -> PathBuf {
    std::fs::write(dir.join("deck.md"), "# One\n\n---\n\n# Two\n").unwrap();
    dir.join("deck.md")
}

#[test]
fn pdf_finds_google_chrome_on_path_and_writes_into_a_new_folder() {
    let dir = tempfile::tempdir().unwrap();
    let bin = fake_browser(dir.path(), "google-chrome");
    let deck = small_deck(dir.path());
    let out_file = dir.path().join("print/today/deck.pdf");
    // Only the fake on PATH.
    let out = run(bin_pdf()
        .arg(&deck)
        .arg("--out")
        .arg(&out_file)
        .env("PATH", &bin));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut text = String::new();
    std::fs::File::open(&out_file)
        .unwrap()
        .read_to_string(&mut text)
        .unwrap();
    assert_eq!(text, "%PDF-1.4 printed by google-chrome\n");

    // --browser and LABDECK_BROWSER name another; a name is looked up on PATH.
    let edge = fake_browser(dir.path(), "msedge");
    let out = run(bin_pdf()
        .arg(&deck)
        .arg("--out")
        .arg(&out_file)
        .arg("--browser")
        .arg(edge.join("msedge")));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .contains("msedge")
    );
    let out = run(bin_pdf()
        .arg(&deck)
        .arg("--out")
        .arg(&out_file)
        .env("LABDECK_BROWSER", "no-such-browser"));
    assert_eq!(out.code, labdeck::exit::BAD_INPUT as i32);
    assert!(
        out.stderr.contains("LABDECK_BROWSER names no-such-browser"),
        "{}",
        out.stderr
    );
    // What failed left the last PDF as it was.
    assert!(
        std::fs::read_to_string(&out_file)
            .unwrap()
            .contains("msedge")
    );
}

fn bin_pdf() -> std::process::Command {
    let mut c = bin();
    c.arg("pdf");
    c
}
