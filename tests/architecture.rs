//! The shape of the code, asserted: `scripts/import-graph.py --check` reads
//! every `crate::`/`super::` path under `src/` and fails on a circle between
//! modules or a module that names one in a layer above its own (the layers
//! and their order are listed in the script). Data flows one way: files,
//! deck model, then HTML or exercises, checks, verdicts, reports.

use std::process::Command;

#[test]
fn import_graph_has_no_circle_and_no_upward_arrow() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/import-graph.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("--check")
        .output()
        .expect("python3 runs (it is on every machine this project builds on)");
    let graph = String::from_utf8_lossy(&out.stdout);
    let problems = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "import graph problems:\n{problems}\ngraph:\n{graph}"
    );
    // The graph is read at all: the board reaches grading, the engine its
    // evaluation (the CLI names the library as `labdeck::`, not `crate::`).
    assert!(graph.lines().any(|l| l == "classroom -> grade"), "{graph}");
    assert!(
        graph.lines().any(|l| l == "check::engine -> check::eval"),
        "{graph}"
    );
    assert!(graph.lines().count() > 50, "{graph}");
}

#[test]
fn import_graph_finds_a_circle_when_there_is_one() {
    // The checker itself can fail: a scratch tree with a two-module circle.
    let dir = tempfile::tempdir().expect("temp dir");
    let src = dir.path().join("src");
    std::fs::create_dir_all(&src).expect("src");
    std::fs::write(src.join("lib.rs"), "pub mod error;\npub mod files;\n").expect("lib");
    std::fs::write(src.join("error.rs"), "use crate::files::X;\n").expect("error");
    std::fs::write(src.join("files.rs"), "use crate::error::Y;\n").expect("files");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/import-graph.py");
    let out = Command::new("python3")
        .arg(script)
        .arg("--check")
        .env("LABDECK_SRC", &src)
        .output()
        .expect("python3 runs");
    let problems = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{problems}");
    assert!(problems.contains("circle: error <-> files"), "{problems}");
}
