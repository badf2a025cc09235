//! The reference in `docs/` (check-language.md, deck-format.md) checked
//! against the code that reads decks and checks, so that neither can drift:
//! each key table (the table after a `<!-- keys: NAME -->` marker) lists
//! exactly what the parser accepts, and the rule tables (after `<!-- rules
//! -->`) list exactly the lint rules labdeck can report.
//!
//! The check parser is asked directly: an unknown key at each level is an
//! error whose message lists the keys allowed there (serde's
//! `unknown_field`). The manifest ignores unknown keys (as
//! container.training's script does), so every documented key must be one
//! it reads (a value of the wrong type is an error, where an unknown key's
//! is not), and the keys it reads are found in its source.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use labdeck::check::spec;
use labdeck::exercise::CheckSource;
use labdeck::manifest::Manifest;
use labdeck::remark::options::RemarkOptions;
use labdeck::remark::parser::KNOWN_PROPERTIES;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(repo().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The text of Cargo.toml's `[name]` table (up to the next table).
fn cargo_section<'a>(cargo: &'a str, name: &str) -> &'a str {
    let header = format!("\n[{name}]\n");
    let at = cargo
        .find(&header)
        .unwrap_or_else(|| panic!("Cargo.toml: no [{name}]"));
    cargo[at + header.len()..]
        .split("\n[")
        .next()
        .unwrap_or_default()
}

/// The line of Cargo.toml's `[dependencies]` that names `name`.
fn dependency_line<'a>(cargo: &'a str, name: &str) -> &'a str {
    let start = format!("{name} = ");
    cargo_section(cargo, "dependencies")
        .lines()
        .find(|l| l.starts_with(&start))
        .unwrap_or_else(|| panic!("Cargo.toml [dependencies]: no {name}"))
}

/// The texts between backticks in `s`.
fn backticked(s: &str) -> Vec<String> {
    s.split('`').skip(1).step_by(2).map(str::to_owned).collect()
}

/// The table rows right after `marker` (its first cell, backticked words).
fn table_after(doc: &str, at: usize) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in doc[at..]
        .lines()
        .skip(1)
        .skip_while(|l| l.trim().is_empty())
    {
        if !line.starts_with('|') {
            break;
        }
        let first = line
            .trim_start_matches('|')
            .split(" | ")
            .next()
            .unwrap_or("");
        out.extend(backticked(first));
    }
    out
}

/// The keys of the table marked `<!-- keys: NAME -->` in `doc`.
fn doc_keys(doc_path: &str, name: &str) -> BTreeSet<String> {
    let doc = read(doc_path);
    let marker = format!("<!-- keys: {name} -->");
    let at = doc
        .find(&marker)
        .unwrap_or_else(|| panic!("{doc_path} has no {marker}"));
    let keys = table_after(&doc, at);
    assert!(
        !keys.is_empty(),
        "{doc_path}: the table after {marker} is empty"
    );
    keys
}

/// Every rule of every `<!-- rules -->` table of the reference.
fn documented_rules() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for path in ["docs/check-language.md", "docs/deck-format.md"] {
        let doc = read(path);
        let mut tables = 0;
        for (at, _) in doc.match_indices("<!-- rules -->") {
            out.extend(table_after(&doc, at));
            tables += 1;
        }
        assert!(tables > 0, "{path} has no <!-- rules --> table");
    }
    out
}

/// The keys the check parser allows where `yaml` puts the key
/// `zz-not-a-key`, read from its "unknown field, expected one of" error.
fn accepted_check_keys(yaml: &str) -> BTreeSet<String> {
    let source = CheckSource {
        yaml: yaml.to_owned(),
        file: PathBuf::from("k8s/probe.md"),
        line: 1,
    };
    let message = match spec::parse(&source) {
        Ok(_) => panic!("the parser accepted an unknown key:\n{yaml}"),
        Err(e) => e.to_string(),
    };
    let Some((_, allowed)) = message.split_once("zz-not-a-key`") else {
        panic!("the error does not name the unknown key: {message}");
    };
    // "expected one of id, timeout, ..." (serde's list; with or without
    // backticks, as the YAML library words it).
    let list = allowed
        .split_once("expected")
        .map_or("", |(_, l)| l)
        .trim_start()
        .trim_start_matches("one of");
    let keys: BTreeSet<String> = list
        .split(',')
        .map(|k| k.trim().trim_matches('`').to_owned())
        .filter(|k| !k.is_empty())
        .collect();
    assert!(
        !keys.is_empty(),
        "the error does not list the keys allowed: {message}"
    );
    keys
}

fn assert_same(what: &str, documented: &BTreeSet<String>, accepted: &BTreeSet<String>) {
    let undocumented: Vec<_> = accepted.difference(documented).collect();
    let unknown: Vec<_> = documented.difference(accepted).collect();
    assert!(
        undocumented.is_empty() && unknown.is_empty(),
        "{what}: accepted but not documented: {undocumented:?}; documented but not accepted: {unknown:?}"
    );
}

#[test]
fn every_check_key_is_documented_and_every_documented_key_is_accepted() {
    let doc = "docs/check-language.md";
    let levels = [
        ("check", "expect:\n  - kind: pods\nzz-not-a-key: 1\n"),
        (
            "expectation",
            "expect:\n  - kind: pods\n    zz-not-a-key: 1\n",
        ),
        (
            "log",
            "expect:\n  - kind: pods\n    log: {contains: x, zz-not-a-key: 1}\n",
        ),
        (
            "http",
            "expect:\n  - kind: services\n    http: {port: 80, zz-not-a-key: 1}\n",
        ),
        (
            "event",
            "expect:\n  - kind: pods\n    event: {reason: BackOff, zz-not-a-key: 1}\n",
        ),
        (
            "can-i",
            "can-i:\n  - {as: u, verb: get, resource: pods, allowed: true, zz-not-a-key: 1}\n",
        ),
    ];
    for (level, yaml) in levels {
        assert_same(
            &format!("{doc}, {level} keys"),
            &doc_keys(doc, level),
            &accepted_check_keys(yaml),
        );
    }
    // A query takes an expectation's keys, except `count`.
    let query = accepted_check_keys(
        "queries:\n  web: {kind: pods, zz-not-a-key: 1}\nexpr: size(web) == 1\n",
    );
    let mut expectation = doc_keys(doc, "expectation");
    expectation.remove("count");
    let mut query_without_count = query.clone();
    query_without_count.remove("count");
    assert_same(
        "queries (an expectation's keys but count)",
        &expectation,
        &query_without_count,
    );
}

/// The fields of `struct NAME {` in a source file (`name: Type,` lines).
fn struct_fields(path: &str, name: &str) -> BTreeSet<String> {
    let src = read(path);
    let start = src
        .find(&format!("struct {name} {{"))
        .unwrap_or_else(|| panic!("{path} has no struct {name}"));
    let body = &src[start..];
    let end = body.find("\n}").unwrap_or(body.len());
    body[..end]
        .lines()
        .skip(1)
        .filter_map(|l| {
            let l = l.trim();
            let (field, _) = l.split_once(':')?;
            (!l.starts_with("//") && !l.starts_with('#'))
                .then(|| field.trim().trim_start_matches("r#").to_owned())
        })
        .collect()
}

#[test]
fn every_manifest_key_is_documented_and_read() {
    let documented = doc_keys("docs/deck-format.md", "manifest");
    let read_keys = struct_fields("src/manifest.rs", "RawManifest");
    assert_same(
        "docs/deck-format.md, manifest keys",
        &documented,
        &read_keys,
    );

    // The parser reads each: a value of the wrong type for it is an error,
    // where an unknown key's is not.
    let parse = |text: &str| Manifest::parse(Path::new("slides/deck.yml"), text, |_| None);
    assert!(parse("content: [a.md]\nzz-not-a-key: [[1]]\n").is_ok());
    for key in &documented {
        let text = if key == "content" {
            "content: [[[{a: 1}]]]\n".to_owned()
        } else {
            format!("content: [a.md]\n{key}: [[1]]\n")
        };
        assert!(
            parse(&text).is_err(),
            "manifest key `{key}`: a list of lists was accepted, as for a key nobody reads"
        );
    }
}

#[test]
fn every_remark_option_is_documented_and_read() {
    let documented = doc_keys("docs/deck-format.md", "remark");
    // The options `RemarkOptions::set` matches on (its outermost arms).
    let src = read("src/remark/options.rs");
    let start = src.find("pub fn set(").expect("RemarkOptions::set");
    let end = src[start..]
        .find("pub fn set_assignment")
        .map_or(src.len(), |e| start + e);
    let arms: Vec<(usize, String)> = src[start..end]
        .lines()
        .filter_map(|l| {
            let t = l.trim_start();
            let rest = t.strip_prefix('"')?;
            let (key, after) = rest.split_once('"')?;
            after
                .trim_start()
                .starts_with("=>")
                .then(|| (l.len() - t.len(), key.to_owned()))
        })
        .collect();
    let outer = arms.iter().map(|(i, _)| *i).min().unwrap_or(0);
    let read_keys: BTreeSet<String> = arms
        .into_iter()
        .filter(|(i, _)| *i == outer)
        .map(|(_, k)| k)
        .collect();
    assert_same(
        "docs/deck-format.md, remark options",
        &documented,
        &read_keys,
    );

    let weird = serde_json::json!([[1]]);
    assert!(RemarkOptions::remark().set("zzNotAnOption", &weird).is_ok());
    for key in &documented {
        assert!(
            RemarkOptions::remark().set(key, &weird).is_err(),
            "remark option `{key}`: a list of lists was accepted, as for an option nobody reads"
        );
    }
}

#[test]
fn every_slide_property_remark_knows_is_documented() {
    let known: BTreeSet<String> = KNOWN_PROPERTIES.iter().map(|p| p.to_string()).collect();
    assert_same(
        "docs/deck-format.md, slide properties",
        &doc_keys("docs/deck-format.md", "properties"),
        &known,
    );
}

#[test]
fn every_macro_is_documented() {
    // `"@@NAME@@"` and `"@@NAME["` literals of the assembler.
    let src = read("src/assemble.rs");
    let re = regex::Regex::new(r#""(@@[A-Z]+(?:@@|\[))""#).expect("regex");
    let found: BTreeSet<String> = re.captures_iter(&src).map(|c| c[1].to_owned()).collect();
    let documented: BTreeSet<String> = doc_keys("docs/deck-format.md", "macros")
        .into_iter()
        .map(|m| match m.find('[') {
            Some(i) => m[..=i].to_owned(),
            None => m,
        })
        .collect();
    assert_same("docs/deck-format.md, @@ macros", &documented, &found);
}

/// Rule codes given to `Diagnostic::{error,warning,note}` (or as a
/// `code: "..."` of a check finding) anywhere in `src/`, tests aside.
fn rules_in_source() -> BTreeSet<String> {
    let re = regex::Regex::new(
        r#"(?s)(?:Diagnostic::(?:error|warning|note)\(\s*|\bcode: )"([a-z][a-z-]*)""#,
    )
    .expect("regex");
    let mut out = BTreeSet::new();
    let mut stack = vec![repo().join("src")];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|x| x == "rs") {
                let text = std::fs::read_to_string(&path).expect("source file");
                let code = text.split("#[cfg(test)]").next().unwrap_or("");
                out.extend(re.captures_iter(code).map(|c| c[1].to_owned()));
            }
        }
    }
    out
}

#[test]
fn every_lint_rule_is_documented_and_every_documented_rule_exists() {
    let source = rules_in_source();
    // The scan must see the rules of every part of lint.
    for rule in [
        "dangling-link",
        "invalid-check",
        "missing-chapter",
        "never-returned",
    ] {
        assert!(
            source.contains(rule),
            "{rule} not found in src/: {source:?}"
        );
    }
    assert_same(
        "lint rules (docs/check-language.md + docs/deck-format.md)",
        &documented_rules(),
        &source,
    );
}

#[test]
fn the_docs_point_inside_the_repository() {
    let mut files = vec![repo().join("README.md")];
    for entry in std::fs::read_dir(repo().join("docs"))
        .expect("docs/")
        .flatten()
    {
        if entry.path().extension().is_some_and(|x| x == "md") {
            files.push(entry.path());
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).expect("doc");
        for (n, line) in text.lines().enumerate() {
            assert!(
                !line.contains("shared/spec"),
                "{}:{}: points at the spec outside the repository: {line}",
                path.display(),
                n + 1
            );
        }
    }
    // And the reference the README links exists.
    let readme = read("README.md");
    for doc in ["docs/check-language.md", "docs/deck-format.md"] {
        assert!(
            readme.contains(&format!("({doc}")),
            "README does not link {doc}"
        );
        assert!(repo().join(doc).is_file());
    }
}

/// Issue 26: the README says what the build needs beyond Rust, as long as
/// the crates that need it are in Cargo.toml: a C compiler for `ring` and
/// Oniguruma (`regex-onig`), and Unix for `run`'s pseudo-terminal.
#[test]
fn the_readme_says_what_the_build_needs() {
    let cargo = read("Cargo.toml");
    let readme = read("README.md");
    let needs = readme
        .split("**What the build needs.**")
        .nth(1)
        .and_then(|s| s.split("\n\n").next())
        .expect("README: a **What the build needs.** paragraph");
    if cargo.contains("\"ring\"") || cargo.contains("regex-onig") {
        assert!(needs.contains("a C compiler"), "{needs}");
    }
    if cargo.contains("pty-process") {
        assert!(
            needs.contains("Unix") && needs.contains("Windows"),
            "{needs}"
        );
    }
}

/// Issue 27: the release binary (what `cargo install` and the README's
/// first command build) carries no debug info, and the README says its size
/// and how long the first install takes.
#[test]
fn the_release_binary_has_no_debug_info_and_the_readme_says_its_size() {
    let cargo = read("Cargo.toml");
    let release = cargo_section(&cargo, "profile.release");
    assert!(release.contains("debug = false"), "{release}");
    assert!(
        release.contains("strip = \"debuginfo\"")
            || release.contains("strip = \"symbols\"")
            || release.contains("split-debuginfo = \"packed\""),
        "{release}"
    );
    let readme = read("README.md");
    assert!(
        readme.contains("The installed binary is "),
        "the README says the release binary's size"
    );
    assert!(
        readme.contains("benches/first-install.sh")
            && repo().join("benches/first-install.sh").exists(),
        "the README's first-install times come from benches/first-install.sh"
    );
}

/// Issue 26: the test build's size. Debug info is line tables for our own
/// code and none for dependencies (full debug info made a 16 GB target
/// folder), and the README says the disk a test build takes.
#[test]
fn the_test_build_keeps_line_tables_only_and_the_readme_says_its_disk() {
    let cargo = read("Cargo.toml");
    let section = |name: &str| cargo_section(&cargo, name);
    assert!(
        section("profile.dev").contains("debug = \"line-tables-only\""),
        "{}",
        section("profile.dev")
    );
    assert!(
        section("profile.dev.package.\"*\"").contains("debug = false"),
        "{}",
        section("profile.dev.package.\"*\"")
    );
    let readme = read("README.md");
    assert!(
        readme.contains("`cargo test --locked --no-run` fills a target folder of"),
        "the README says the disk a test build takes"
    );
}

/// Issue 26: the README says where the test corpus comes from (its
/// repository, commit and licence notice) and that the tests need it; the
/// tests' one-line failure without it points there.
#[test]
fn the_readme_says_where_the_test_corpus_comes_from() {
    let readme = read("README.md");
    let section = readme
        .split("\n## The test corpus\n")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README: a `## The test corpus` section");
    for words in [
        "jpetazzo/container.training",
        "2669eae49b2da47656209e5ee19e5871b460c6d6",
        "../shared/corpus/container.training-2021/NOTICE.md",
        "CC BY 4.0",
        "LABDECK_CORPUS",
        "fail without it",
    ] {
        assert!(section.contains(words), "{words:?} not in: {section}");
    }
    assert!(readme.contains("(#the-test-corpus)"), "linked from the top");
    let support = read("tests/support/corpus.rs");
    assert!(support.contains("README.md, \\\"The test corpus\\\""));
}

/// Issue 26: a test that starts a browser is in a file with its own
/// harness (tests/support/harness.rs), where it is reported as ignored
/// without one, never passed; libtest's harness cannot do that.
#[test]
fn every_test_file_that_starts_a_browser_has_its_own_harness() {
    let cargo = read("Cargo.toml");
    let mut files = Vec::new();
    for dir in ["tests", "tests/browser"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap();
        // (Spelt in two halves so that this file does not match itself.)
        let starts = [concat!("browser", "::start"), concat!("open_", "board(")];
        if !starts.iter().any(|s| text.contains(s)) {
            continue;
        }
        // A module of another test file is run by that file's harness.
        let rel = path.strip_prefix(repo()).unwrap().display().to_string();
        let owner = if rel == "tests/browser/board.rs" {
            "tests/browser.rs".to_string()
        } else {
            rel
        };
        let entry = format!("path = \"{owner}\"\nharness = false");
        assert!(
            cargo.contains(&entry),
            "{owner}: not `harness = false` in Cargo.toml"
        );
    }
}

/// `rust-version` in Cargo.toml (the MSRV), as a "1.N" string.
fn rust_version() -> String {
    let cargo = read("Cargo.toml");
    let line = cargo
        .lines()
        .find_map(|l| l.strip_prefix("rust-version = \""))
        .expect("Cargo.toml: a rust-version");
    line.trim_end_matches('"').to_owned()
}

/// "1.89" or "1.89.0" as (1, 89).
fn minor(version: &str) -> (u32, u32) {
    let mut parts = version.split('.').map(|p| p.parse::<u32>().unwrap());
    (parts.next().unwrap(), parts.next().unwrap_or(0))
}

/// Issue 25: the MSRV said where a reader meets it is Cargo.toml's
/// `rust-version` (README's build needs and the GitHub action's install).
#[test]
fn the_msrv_is_said_alike_in_cargo_toml_readme_and_action() {
    let msrv = rust_version();
    let readme = read("README.md");
    assert!(
        readme.contains(&format!("**What the build needs.** Rust {msrv} or newer")),
        "README's build needs say Rust {msrv} or newer"
    );
    assert!(
        readme.contains(&format!("be {msrv} or newer")),
        "README's GitHub action section says the runner's Rust must be {msrv} or newer"
    );
    assert!(
        read("action.yml").contains(&format!("# {msrv} or newer")),
        "action.yml says the runner's Rust must be {msrv} or newer"
    );
}

/// Issue 25: what can be known of the MSRV without its toolchain (which
/// `.ci/msrv.sh` uses when it is installed). No locked dependency asks for
/// a newer Rust than ours (`cargo metadata`: each package's
/// `rust-version`), and clippy's `incompatible_msrv` (a standard-library
/// item stabilised after `rust-version`) is denied in Cargo.toml's
/// `[lints]`. Language features newer than the MSRV are not caught here:
/// only a build with that toolchain would.
#[test]
fn no_dependency_needs_a_newer_rust_than_the_msrv() {
    let msrv = rust_version();
    let cargo = read("Cargo.toml");
    assert!(
        cargo.contains("\nincompatible_msrv = \"deny\"\n"),
        "Cargo.toml [lints.clippy]: incompatible_msrv = \"deny\""
    );
    let out = std::process::Command::new(env!("CARGO"))
        .args(["metadata", "--offline", "--locked", "--format-version", "1"])
        .current_dir(repo())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let newer: Vec<String> = meta["packages"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            let wants = p["rust_version"].as_str()?;
            (minor(wants) > minor(&msrv))
                .then(|| format!("{} {} wants {wants}", p["name"], p["version"]))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "rust-version is {msrv} but: {newer:?} (raise rust-version, README and action.yml, or pin the crate)"
    );
}

/// Issue 27: mimalloc with its default transparent huge pages lost to
/// glibc's malloc in `benches/build-corpus.sh`: right after the script
/// side's python3 runs, the kernel spent 0.1-0.4 s of system time per
/// build compacting memory for them. `no_thp` (MI_NO_THP) keeps the
/// allocator's speed without that.
#[test]
fn regression_mimalloc_asks_for_no_transparent_huge_pages() {
    let cargo = read("Cargo.toml");
    let line = dependency_line(&cargo, "mimalloc");
    assert!(
        line.contains("\"no_thp\""),
        "mimalloc must keep its `no_thp` feature: {line}"
    );
    let main = read("src/main.rs");
    assert!(
        main.contains("#[global_allocator]") && main.contains("mimalloc::MiMalloc"),
        "src/main.rs makes mimalloc the binary's allocator"
    );
}

/// Issue 25: tokio's features in `[dependencies]` are the ones `src/` uses
/// (the tests' own, `process`, `io-util`, `fs`, `test-util`, are
/// dev-dependencies), each with the path that needs it.
#[test]
fn tokio_features_are_the_ones_src_uses() {
    let cargo = read("Cargo.toml");
    let features: BTreeSet<String> = dependency_line(&cargo, "tokio")
        .split('"')
        .skip(3)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    let mut src = String::new();
    let mut dirs = vec![repo().join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap().flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                src.push_str(&std::fs::read_to_string(&path).unwrap());
            }
        }
    }
    // Each feature and a path only it provides (tokio's Cargo.toml).
    let needs = [
        ("rt-multi-thread", "new_multi_thread"),
        ("macros", "tokio::select!"),
        ("time", "tokio::time::"),
        ("sync", "tokio::sync::"),
        ("signal", "tokio::signal::"),
        ("net", "tokio::net::"),
        ("process", "tokio::process::"),
        ("fs", "tokio::fs::"),
        ("io-util", "AsyncReadExt"),
        ("io-std", "tokio::io::stdin"),
    ];
    let used: BTreeSet<String> = needs
        .iter()
        .filter(|(_, path)| src.contains(path))
        .map(|(feature, _)| (*feature).to_owned())
        .collect();
    assert_eq!(
        features, used,
        "tokio features in Cargo.toml, then as src/ uses them"
    );
}
