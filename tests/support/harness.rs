//! The harness of the test files whose tests need a browser (tests/browser.rs,
//! tests/classroom.rs, tests/cli_pdf.rs): a test that cannot run for want of
//! Chromium or chromedriver is reported as *ignored*, with one line saying
//! why, never as passed; with `LABDECK_REQUIRE_BROWSER=1` (CI) it fails.
//! libtest's own harness cannot decide "ignored" at run time, hence
//! libtest-mimic (`harness = false` in Cargo.toml), as tests/realkube/.
//!
//! A file lists its tests once, with what each needs:
//!
//! ```ignore
//! fn main() {
//!     support::harness::run("browser", tests![
//!         Browser async keys_move_the_visible_slide_and_the_url_follows,
//!         Nothing async board::two_classes_from_one_folder_keep_two_histories,
//!         Chromium sync print_gives_one_16_9_page_per_slide_with_steps_collapsed,
//!         ByHand async bench_first_slide_and_heap,
//!     ]);
//! }
//! ```
//!
//! The test's name is its path (`board::x` as libtest named it). An `async`
//! test runs on its own multi-threaded tokio runtime (2 workers, as
//! `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`).

use std::future::Future;
use std::path::Path;
use std::pin::Pin;

use libtest_mimic::{Arguments, Failed, Trial};

/// What a test needs to run.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Needs {
    /// labdeck alone (and what the repository holds).
    Nothing,
    /// A Chromium-family browser ([`labdeck::pdf::find_chromium`]).
    Chromium,
    /// Chromium and chromedriver ([`super::browser::start`]).
    Browser,
    /// As `Browser`, but run only when asked (`-- --ignored NAME`):
    /// benchmarks and screenshots, as libtest's `#[ignore]`.
    ByHand,
    /// Other authors' remark decks, which the repository does not hold
    /// (`LABDECK_REMARK_DECKS`: tests/remark-decks.md says where each one
    /// comes from). Ignored without them, CI or not.
    RemarkDecks,
}

/// The folder of other authors' remark decks (`LABDECK_REMARK_DECKS`), if
/// it is given and is a folder.
pub fn remark_decks() -> Option<std::path::PathBuf> {
    let dir = std::path::PathBuf::from(std::env::var_os("LABDECK_REMARK_DECKS")?);
    dir.is_dir().then_some(dir)
}

/// A test's body.
pub enum Body {
    Sync(fn()),
    Async(fn() -> Pin<Box<dyn Future<Output = ()> + Send>>),
}

/// One registered test (made by [`tests!`]).
pub struct Test {
    pub name: String,
    pub needs: Needs,
    pub body: Body,
}

/// `tests![NEEDS sync|async PATH, ...]`: the list of a file's tests (see
/// the module's comment).
#[allow(unused_macros)]
macro_rules! tests {
    ($($needs:ident $kind:tt $f:path),* $(,)?) => {
        vec![$(
            $crate::support::harness::Test {
                name: stringify!($f).to_string(),
                needs: $crate::support::harness::Needs::$needs,
                body: tests!(@body $kind $f),
            }
        ),*]
    };
    (@body sync $f:path) => { $crate::support::harness::Body::Sync($f) };
    (@body async $f:path) => {
        $crate::support::harness::Body::Async(|| ::std::boxed::Box::pin($f()))
    };
}
#[allow(unused_imports)]
pub(crate) use tests;

/// `tests` as the submodule `module` has them (`board::x`, as libtest
/// names them).
pub fn within(module: &str, tests: Vec<Test>) -> Vec<Test> {
    tests
        .into_iter()
        .map(|t| Test {
            name: format!("{module}::{}", t.name),
            ..t
        })
        .collect()
}

/// What is missing for tests needing `needs`, if anything.
fn missing(needs: Needs) -> Option<&'static str> {
    match needs {
        Needs::Nothing => None,
        Needs::Chromium => labdeck::pdf::find_chromium()
            .is_none()
            .then_some("Chromium is not installed (apt-get install chromium)"),
        Needs::RemarkDecks => remark_decks().is_none().then_some(
            "other authors' remark decks are not here (LABDECK_REMARK_DECKS: tests/remark-decks.md)",
        ),
        Needs::Browser | Needs::ByHand => (super::browser::chromium().is_none()
            || super::browser::chromedriver().is_none())
        .then_some(
            "Chromium or chromedriver is not installed (apt-get install chromium chromium-driver)",
        ),
    }
}

/// Runs `tests` as the binary `binary` and exits with libtest's status.
pub fn run(binary: &str, tests: Vec<Test>) -> ! {
    let args = Arguments::from_args();
    let required = std::env::var("LABDECK_REQUIRE_BROWSER").as_deref() == Ok("1");
    let mut unrunnable: Vec<&str> = Vec::new();
    let mut without_tool = 0;
    let trials = tests
        .into_iter()
        .map(|t| {
            let why = missing(t.needs);
            if t.needs == Needs::RemarkDecks
                && let Some(w) = why
                && !args.list
            {
                eprintln!("\n!!! {binary}: {w}: {} reported as ignored\n", t.name);
            }
            let counted = !matches!(t.needs, Needs::ByHand | Needs::RemarkDecks);
            if let Some(w) = why.filter(|_| counted)
                && !unrunnable.contains(&w)
            {
                unrunnable.push(w);
            }
            if why.is_some() && counted {
                without_tool += 1;
            }
            let body = t.body;
            // What CI requires is the browser; the decks are never in a clone.
            let required = required && t.needs != Needs::RemarkDecks;
            let trial = Trial::test(&t.name, move || match why {
                Some(w) if required => Err(Failed::from(format!(
                    "{w}, and LABDECK_REQUIRE_BROWSER=1 requires it"
                ))),
                Some(w) => Err(Failed::from(w)),
                None => {
                    run_body(body);
                    Ok(())
                }
            });
            // Without its tool a test is ignored, unless CI requires the tool:
            // then it runs, and fails saying what is missing.
            let ignored = t.needs == Needs::ByHand || (why.is_some() && !required);
            trial.with_ignored_flag(ignored)
        })
        .collect::<Vec<_>>();
    if !unrunnable.is_empty() && !args.list {
        if required {
            eprintln!(
                "\n!!! {binary}: {} ({without_tool} tests fail: LABDECK_REQUIRE_BROWSER=1)\n",
                unrunnable.join("; ")
            );
        } else {
            eprintln!(
                "\n!!! {binary}: {} ({without_tool} tests reported as ignored; \
                 LABDECK_REQUIRE_BROWSER=1 makes them fail)\n",
                unrunnable.join("; ")
            );
        }
    }
    libtest_mimic::run(&args, trials).exit()
}

fn run_body(body: Body) {
    match body {
        Body::Sync(f) => f(),
        Body::Async(f) => tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a tokio runtime")
            .block_on(f()),
    }
}

/// Lines of `files` (relative to the repository) that mark a test for
/// libtest's harness: in a `harness = false` file such a test would be
/// compiled out and never run, so each must be in the file's list instead.
pub fn unregistered_tests(files: &[&str]) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for file in files {
        let text =
            std::fs::read_to_string(root.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        for (n, line) in text.lines().enumerate() {
            let l = line.trim_start();
            if l.starts_with("#[test]") || l.starts_with("#[tokio::test") {
                found.push(format!("{file}:{}: {l}", n + 1));
            }
        }
    }
    found
}
