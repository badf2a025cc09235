//! What a user gets labdeck with, exercised: the shell completions and man
//! pages the binary generates from its clap definition, the Debian package
//! (scripts/package-deb.sh), the pre-commit hook (.pre-commit-hooks.yaml,
//! through `pre-commit try-repo`), the GitHub action (action.yml's steps,
//! run as the runner would run them) and LICENSE.
//!
//! A test whose tool is not installed (zsh, fish, groff, dpkg-deb,
//! pre-commit, git) is reported as *ignored*, with a line saying which and
//! why, never as passed; with `LABDECK_REQUIRE_TOOLS=1` (set by `.ci/run`)
//! a missing tool fails the run instead. Own harness (libtest-mimic), as
//! the realkube tier, so that "ignored" can be decided at run time.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use libtest_mimic::{Arguments, Failed, Trial};

const LABDECK: &str = env!("CARGO_BIN_EXE_labdeck");

/// The subcommands `labdeck --help` shows (the hidden `completions` and
/// `man` aside).
const SUBCOMMANDS: &[&str] = &[
    "build",
    "lint",
    "run",
    "check",
    "checks",
    "exercises",
    "grade",
    "serve",
    "pdf",
];

type TestFn = fn() -> Result<(), String>;

/// Each test, the programs it needs, and the function.
const TESTS: &[(&str, &[&str], TestFn)] = &[
    (
        "license_is_the_apache_2_0_text_cargo_toml_names",
        &[],
        license,
    ),
    (
        "completions_generate_for_every_shell_and_name_every_subcommand",
        &[],
        completions_generate,
    ),
    (
        "bash_sources_the_completion_script_and_completes_subcommands",
        &["bash"],
        bash_completion,
    ),
    ("zsh_parses_the_completion_script", &["zsh"], zsh_completion),
    (
        "fish_parses_the_completion_script",
        &["fish"],
        fish_completion,
    ),
    (
        "man_pages_render_and_name_every_subcommand",
        &["groff"],
        man_pages,
    ),
    ("hidden_generators_stay_out_of_help", &[], hidden_generators),
    (
        "debian_package_holds_the_binary_man_pages_completions_and_license",
        &["dpkg-deb", "dpkg-shlibdeps", "dpkg"],
        debian_package,
    ),
    (
        "pre_commit_hook_lints_a_deck_repository",
        &["pre-commit", "git", "bash"],
        pre_commit_hook,
    ),
    (
        "github_action_steps_lint_a_deck_repository",
        &["bash"],
        action_lint,
    ),
    ("github_action_steps_run_a_deck_dry", &["bash"], action_run),
];

fn main() {
    let args = Arguments::from_args();
    let required = std::env::var("LABDECK_REQUIRE_TOOLS").as_deref() == Ok("1");
    let mut trials = Vec::new();
    let mut skipped = Vec::new();
    for &(name, tools, f) in TESTS {
        let missing: Vec<&str> = tools
            .iter()
            .copied()
            .filter(|t| which(t).is_none())
            .collect();
        if !missing.is_empty() {
            if required {
                eprintln!(
                    "packaging: {name} needs {} (LABDECK_REQUIRE_TOOLS=1): not installed",
                    missing.join(", ")
                );
                std::process::exit(1);
            }
            skipped.push(format!("{name} (no {})", missing.join(", ")));
        }
        trials.push(
            Trial::test(name, move || f().map_err(Failed::from))
                .with_ignored_flag(!missing.is_empty()),
        );
    }
    if !skipped.is_empty() && !args.list {
        eprintln!();
        eprintln!(
            "!!! packaging: {} test(s) SKIPPED, reported as ignored: {}",
            skipped.len(),
            skipped.join("; ")
        );
        eprintln!();
    }
    libtest_mimic::run(&args, trials).exit();
}

fn which(program: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `cmd`, failing unless it exits 0; returns its stdout.
fn ok(cmd: &mut Command) -> Result<String, String> {
    let out = run(cmd)?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?}: {}\nstdout:\n{}\nstderr:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run(cmd: &mut Command) -> Result<Output, String> {
    cmd.output().map_err(|e| format!("{cmd:?}: {e}"))
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn temp() -> Result<tempfile::TempDir, String> {
    tempfile::tempdir().map_err(|e| e.to_string())
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

fn license() -> Result<(), String> {
    let text =
        std::fs::read_to_string(repo().join("LICENSE")).map_err(|e| format!("LICENSE: {e}"))?;
    for words in [
        "Apache License",
        "Version 2.0, January 2004",
        "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION",
        "END OF TERMS AND CONDITIONS",
    ] {
        ensure(text.contains(words), || format!("LICENSE lacks {words:?}"))?;
    }
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).map_err(|e| e.to_string())?;
    ensure(
        manifest
            .lines()
            .any(|l| l.trim() == r#"license = "Apache-2.0""#),
        || "Cargo.toml does not say license = \"Apache-2.0\"".into(),
    )
}

fn completion(shell: &str) -> Result<String, String> {
    ok(Command::new(LABDECK).args(["completions", shell]))
}

fn completions_generate() -> Result<(), String> {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = completion(shell)?;
        for sub in SUBCOMMANDS {
            ensure(script.contains(sub), || {
                format!("{shell} completion does not name `{sub}`")
            })?;
        }
        // Options of a subcommand are completed too.
        ensure(script.contains("deny-warnings"), || {
            format!("{shell} completion lacks lint's --deny-warnings")
        })?;
    }
    let bad = run(Command::new(LABDECK).args(["completions", "tcsh"]))?;
    ensure(bad.status.code() == Some(2), || {
        format!(
            "an unknown shell: {:?}, want clap's usage error (2)",
            bad.status
        )
    })
}

fn bash_completion() -> Result<(), String> {
    let dir = temp()?;
    let script = dir.path().join("labdeck.bash");
    write(&script, &completion("bash")?)?;
    // What bash's programmable completion does on `labdeck bu<TAB>` and
    // `labdeck lint --de<TAB>`: the function gets (command, word, previous word).
    let probe = r#"set -e
source "$1"
complete -p labdeck
COMP_WORDS=(labdeck bu); COMP_CWORD=1; COMPREPLY=()
_labdeck labdeck bu labdeck
echo "subcommands: ${COMPREPLY[*]}"
COMP_WORDS=(labdeck lint --de); COMP_CWORD=2; COMPREPLY=()
_labdeck labdeck --de lint
echo "options: ${COMPREPLY[*]}"
"#;
    let out = ok(Command::new("bash")
        .args(["--noprofile", "--norc", "-c", probe, "bash"])
        .arg(&script))?;
    ensure(out.contains("-F _labdeck labdeck"), || {
        format!("not registered: {out}")
    })?;
    ensure(out.contains("subcommands: build"), || {
        format!("`bu` did not complete to build: {out}")
    })?;
    ensure(out.contains("options: --deny-warnings"), || {
        format!("`lint --de` did not complete to --deny-warnings: {out}")
    })
}

fn zsh_completion() -> Result<(), String> {
    let dir = temp()?;
    let script = dir.path().join("_labdeck");
    write(&script, &completion("zsh")?)?;
    ok(Command::new("zsh").arg("-n").arg(&script)).map(drop)
}

fn fish_completion() -> Result<(), String> {
    let dir = temp()?;
    let script = dir.path().join("labdeck.fish");
    write(&script, &completion("fish")?)?;
    ok(Command::new("fish").arg("--no-execute").arg(&script)).map(drop)
}

/// The page rendered as text by groff (what `man -l` shows), with groff's
/// warnings turned into a failure.
fn render(page: &Path) -> Result<String, String> {
    let out = run(Command::new("groff")
        .args(["-man", "-Tutf8", "-ww", "-z"])
        .arg(page))?;
    let warnings = String::from_utf8_lossy(&out.stderr);
    ensure(out.status.success() && warnings.trim().is_empty(), || {
        format!("groff on {}: {:?}\n{warnings}", page.display(), out.status)
    })?;
    let text = ok(Command::new("groff").args(["-man", "-Tutf8"]).arg(page))?;
    // Strip overstriking (bold, underline) as `col -b` would.
    let mut plain = String::new();
    for c in text.chars() {
        if c == '\u{8}' {
            plain.pop();
        } else {
            plain.push(c);
        }
    }
    Ok(plain)
}

fn man_pages() -> Result<(), String> {
    let dir = temp()?;
    let page = dir.path().join("labdeck.1");
    write(&page, &ok(Command::new(LABDECK).arg("man"))?)?;
    let text = render(&page)?;
    ensure(text.contains("NAME") && text.contains("SYNOPSIS"), || {
        format!("not a man page:\n{text}")
    })?;
    for sub in SUBCOMMANDS {
        ensure(text.contains(&format!("labdeck-{sub}(1)")), || {
            format!("labdeck(1) does not name labdeck-{sub}(1):\n{text}")
        })?;
    }
    // `--dir`: one page per subcommand, each rendering, with its options.
    let pages = dir.path().join("pages");
    ok(Command::new(LABDECK).arg("man").arg("--dir").arg(&pages))?;
    for sub in SUBCOMMANDS {
        let p = pages.join(format!("labdeck-{sub}.1"));
        ensure(p.is_file(), || format!("no {}", p.display()))?;
        let text = render(&p)?;
        ensure(text.contains(&format!("labdeck-{sub}")), || {
            format!("{}:\n{text}", p.display())
        })?;
    }
    let lint = render(&pages.join("labdeck-lint.1"))?;
    ensure(lint.contains("--deny-warnings"), || {
        format!("labdeck-lint(1) lacks --deny-warnings:\n{lint}")
    })?;
    ensure(
        !pages.join("labdeck-man.1").exists() && !pages.join("labdeck-completions.1").exists(),
        || "pages for the hidden generators".into(),
    )
}

fn hidden_generators() -> Result<(), String> {
    let help = ok(Command::new(LABDECK).arg("--help"))?;
    for sub in SUBCOMMANDS {
        ensure(help.contains(sub), || format!("--help lacks {sub}"))?;
    }
    ensure(
        !help.contains("completions") && !help.contains("\n  man "),
        || format!("--help shows the generators:\n{help}"),
    )
}

/// `KEY = "value"` of Cargo.toml's [package].
fn package_field(key: &str) -> Result<String, String> {
    let manifest = std::fs::read_to_string(repo().join("Cargo.toml")).map_err(|e| e.to_string())?;
    manifest
        .lines()
        .take_while(|l| !l.starts_with("[lib]"))
        .find_map(|l| {
            let (k, v) = l.split_once('=')?;
            (k.trim() == key).then(|| v.trim().trim_matches('"').to_owned())
        })
        .ok_or_else(|| format!("Cargo.toml has no {key}"))
}

fn debian_package() -> Result<(), String> {
    let dir = temp()?;
    let out = ok(Command::new("bash")
        .arg(repo().join("scripts/package-deb.sh"))
        .env("LABDECK_BIN", LABDECK)
        .env("OUT_DIR", dir.path()))?;
    let deb = PathBuf::from(out.trim());
    let version = package_field("version")?;
    ensure(
        deb.file_name().is_some_and(|n| {
            n.to_string_lossy()
                .starts_with(&format!("labdeck_{version}_"))
        }),
        || format!("package named {}", deb.display()),
    )?;
    let field = |f: &str| -> Result<String, String> {
        Ok(ok(Command::new("dpkg-deb").arg("-f").arg(&deb).arg(f))?
            .trim()
            .to_owned())
    };
    ensure(field("Package")? == "labdeck", || "Package".into())?;
    ensure(field("Version")? == version, || "Version".into())?;
    ensure(
        field("Description")?.starts_with(&package_field("description")?),
        || "Description is not Cargo.toml's".into(),
    )?;
    let depends = field("Depends")?;
    ensure(depends.contains("libc6 (>="), || {
        format!("Depends: {depends}")
    })?;
    let contents = ok(Command::new("dpkg-deb").arg("-c").arg(&deb))?;
    let mut want = vec![
        "./usr/bin/labdeck".to_owned(),
        "./usr/share/man/man1/labdeck.1.gz".to_owned(),
        "./usr/share/bash-completion/completions/labdeck".to_owned(),
        "./usr/share/zsh/vendor-completions/_labdeck".to_owned(),
        "./usr/share/fish/vendor_completions.d/labdeck.fish".to_owned(),
        "./usr/share/doc/labdeck/copyright".to_owned(),
        "./usr/share/doc/labdeck/LICENSE".to_owned(),
    ];
    want.extend(
        SUBCOMMANDS
            .iter()
            .map(|s| format!("./usr/share/man/man1/labdeck-{s}.1.gz")),
    );
    for path in &want {
        ensure(contents.lines().any(|l| l.ends_with(path.as_str())), || {
            format!("the package lacks {path}:\n{contents}")
        })?;
    }
    ensure(contents.lines().all(|l| l.contains("root/root")), || {
        format!("files not owned by root:\n{contents}")
    })?;
    // What `dpkg -i` would install, unpacked: the binary runs.
    let root = dir.path().join("root");
    ok(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&root))?;
    let shown = ok(Command::new(root.join("usr/bin/labdeck")).arg("--version"))?;
    ensure(shown.trim() == format!("labdeck {version}"), || {
        format!("--version: {shown}")
    })?;
    let license =
        std::fs::read(root.join("usr/share/doc/labdeck/LICENSE")).map_err(|e| e.to_string())?;
    ensure(
        license == std::fs::read(repo().join("LICENSE")).map_err(|e| e.to_string())?,
        || "the packaged LICENSE differs".into(),
    )
}

/// A deck repository as pre-commit and CI see it: `slides/` with a good
/// deck, or one with a broken link when `broken`.
fn deck_repo(broken: bool) -> Result<tempfile::TempDir, String> {
    let dir = temp()?;
    let slides = dir.path().join("slides");
    write(
        &slides.join("course.yml"),
        "title: A course\ncontent:\n- intro.md\n",
    )?;
    let link = if broken { "#nowhere" } else { "#hello" };
    write(
        &slides.join("intro.md"),
        &format!("# Intro\n\n---\n\nname: hello\n\n## Hello\n\nSee [here]({link}).\n"),
    )?;
    Ok(dir)
}

fn pre_commit_hook() -> Result<(), String> {
    let bin_dir = Path::new(LABDECK).parent().ok_or("binary path")?;
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let cache = temp()?;
    for broken in [false, true] {
        let deck = deck_repo(broken)?;
        let git = |args: &[&str]| {
            ok(Command::new("git")
                .args(args)
                .current_dir(deck.path())
                .env("GIT_CONFIG_GLOBAL", "/dev/null")
                .env("GIT_CONFIG_NOSYSTEM", "1"))
        };
        git(&["init", "-q"])?;
        git(&["add", "."])?;
        let out = run(Command::new("pre-commit")
            .args(["try-repo"])
            .arg(repo())
            .args(["labdeck-lint", "--all-files", "--color", "never"])
            .current_dir(deck.path())
            .env("PATH", &path)
            .env("PRE_COMMIT_HOME", cache.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.invalid"))?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        ensure(text.contains("labdeck lint"), || {
            format!("the hook did not run:\n{text}")
        })?;
        if broken {
            ensure(
                !out.status.success() && text.contains("[dangling-link]"),
                || format!("a dangling link passed the hook:\n{text}"),
            )?;
        } else {
            ensure(out.status.success() && text.contains("Passed"), || {
                format!("a good deck failed the hook:\n{text}")
            })?;
        }
    }
    Ok(())
}

/// action.yml's steps that run a script (the install step aside, whose
/// `cargo install --locked --path` is README's own command), with
/// `${{ inputs.X }}` given `inputs` or the action's defaults, run by bash
/// as the runner runs a composite step (`bash --noprofile --norc -eo
/// pipefail`), with `GITHUB_ACTION_PATH` the action's folder.
fn run_action(deck: &Path, inputs: &[(&str, &str)]) -> Result<(Output, String), String> {
    let text = std::fs::read_to_string(repo().join("action.yml")).map_err(|e| e.to_string())?;
    let action: serde_json::Value =
        serde_saphyr::from_str(&text).map_err(|e| format!("action.yml: {e}"))?;
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    for (name, spec) in action["inputs"]
        .as_object()
        .ok_or("action.yml: no inputs")?
    {
        values.insert(
            name.clone(),
            spec["default"].as_str().unwrap_or("").to_owned(),
        );
    }
    for (k, v) in inputs {
        ensure(values.contains_key(*k), || {
            format!("action.yml has no input {k}")
        })?;
        values.insert((*k).to_owned(), (*v).to_owned());
    }
    let expand = |s: &str| -> Result<String, String> {
        let mut out = String::new();
        let mut rest = s;
        while let Some(at) = rest.find("${{") {
            out.push_str(&rest[..at]);
            let end = rest[at..].find("}}").ok_or("unclosed ${{")? + at;
            let expr = rest[at + 3..end].trim();
            let name = expr
                .strip_prefix("inputs.")
                .ok_or_else(|| format!("expression {expr}"))?;
            out.push_str(values.get(name).ok_or_else(|| format!("no input {name}"))?);
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    };
    ensure(action["runs"]["using"] == "composite", || {
        "not a composite action".into()
    })?;
    let steps = action["runs"]["steps"]
        .as_array()
        .ok_or("action.yml: no steps")?;
    let install = steps.first().and_then(|s| s["run"].as_str()).unwrap_or("");
    ensure(
        install.contains("cargo install --locked --path \"$GITHUB_ACTION_PATH\""),
        || format!("the first step does not install from the action's checkout: {install}"),
    )?;
    let bin_dir = Path::new(LABDECK).parent().ok_or("binary path")?;
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut last = None;
    for step in &steps[1..] {
        let script = step["run"].as_str().ok_or("a step without run")?;
        ensure(step["shell"] == "bash", || "a step not in bash".into())?;
        let mut cmd = Command::new("bash");
        cmd.args(["--noprofile", "--norc", "-eo", "pipefail", "-c"])
            .arg(expand(script)?)
            .current_dir(deck)
            .env("PATH", &path)
            .env("GITHUB_ACTION_PATH", repo())
            .env("GITHUB_ACTIONS", "true");
        if let Some(env) = step["env"].as_object() {
            for (k, v) in env {
                cmd.env(k, expand(v.as_str().unwrap_or(""))?);
            }
        }
        let out = run(&mut cmd)?;
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        last = Some((out, text));
    }
    last.ok_or_else(|| "action.yml runs nothing after installing".into())
}

fn action_lint() -> Result<(), String> {
    let good = deck_repo(false)?;
    let (out, text) = run_action(good.path(), &[("install", "none")])?;
    ensure(out.status.success(), || {
        format!("a good deck failed:\n{text}")
    })?;
    let broken = deck_repo(true)?;
    let (out, text) = run_action(broken.path(), &[("install", "none")])?;
    ensure(out.status.code() == Some(1), || {
        format!("a broken deck: {:?}\n{text}", out.status)
    })?;
    // On GitHub each finding is an annotation on its file and line.
    ensure(
        text.contains("::error file=slides/intro.md,line=9") && text.contains("dangling-link"),
        || format!("no annotation for the dangling link:\n{text}"),
    )?;
    // A pattern matching nothing is said, not passed on.
    let (out, text) = run_action(good.path(), &[("decks", "decks/*.yml")])?;
    ensure(
        out.status.code() == Some(2) && text.contains("no deck matches"),
        || format!("an empty glob: {:?}\n{text}", out.status),
    )
}

fn action_run() -> Result<(), String> {
    let deck = deck_repo(false)?;
    write(
        &deck.path().join("slides/intro.md"),
        "# Intro\n\n---\n\n## Hello\n\n.exercise[\n- Run it:\n  ```bash\n  kubectl create deployment web --image=nginx\n  ```\n]\n\n<!-- check\nid: web\nexpect:\n  - kind: deploy\n    name: web\n-->\n",
    )?;
    let (out, text) = run_action(
        deck.path(),
        &[
            ("command", "run"),
            ("args", "--dry-run"),
            ("reports", "out/reports"),
        ],
    )?;
    ensure(out.status.success(), || {
        format!("run --dry-run failed:\n{text}")
    })?;
    let report = deck.path().join("out/reports/course.json");
    let json =
        std::fs::read_to_string(&report).map_err(|e| format!("{}: {e}", report.display()))?;
    // `--dry-run` prints the plan (in text whatever `--format`): the
    // exercise, its command and its check, at their lines.
    ensure(
        json.contains("web  slides/intro.md:7")
            && json.contains("slides/intro.md:10  $ kubectl create deployment web --image=nginx")
            && json.contains("then check"),
        || format!("the report lacks the exercise's plan:\n{json}"),
    )
}
