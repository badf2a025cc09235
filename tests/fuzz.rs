//! Fuzzing the parsers in the project, inside `cargo test`: random inputs
//! built from each grammar's own pieces, for the remark lexer and parser,
//! the `@@` macros (a whole deck load), the check YAML, label selectors,
//! `where:` tests, check durations, the Markdown renderer, the HTML page
//! reader (`remark.create({...})` options, stylesheets), the shell readers
//! (`checks suggest`'s parser, `run`'s command splitter) and CEL
//! compilation. Every input must give a value or an error, never a panic
//! or a hang, within [`TIME_LIMIT`] of CPU time.
//!
//! CI runs a bounded number of cases (`LABDECK_FUZZ_CASES`, default 300
//! per target) from a fresh seed each run, printed with any failing input;
//! `LABDECK_FUZZ_SEED=N` reproduces a run. A developer runs longer with,
//! for instance:
//!
//! ```text
//! LABDECK_FUZZ_CASES=200000 LABDECK_FUZZ_SEED=7 cargo test --release --test fuzz
//! ```
//!
//! A failing case prints its seed and input; keep the input as a file in
//! `tests/fuzz-regressions/` (`TARGET-name.txt`, TARGET one of the target
//! names below): every file there is replayed by `regressions_stay_fixed`.
//! (No fuzzing crate: the generator is a few lines and needs no nightly
//! toolchain or network.)

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use labdeck::check::selector::Selector;
use labdeck::check::spec;
use labdeck::exercise::CheckSource;
use labdeck::remark::{lexer, parser};
use labdeck::render::Highlighter;
use labdeck::render::markdown::{MarkdownContext, render};

/// A small deterministic generator (reproducible from its seed).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// Concatenates 1..=max random pieces (and sometimes a random byte).
fn text(rng: &mut Rng, pieces: &[&str], max: usize) -> String {
    let mut s = String::new();
    for _ in 0..1 + rng.next() % max {
        if rng.next().is_multiple_of(16) {
            s.push(char::from_u32((rng.next() % 0x2FF) as u32).unwrap_or('x'));
        } else {
            s.push_str(rng.pick(pieces));
        }
    }
    s
}

const DECK: &[&str] = &[
    "[",
    "]",
    ".a[",
    ".exercise[",
    ".lab[",
    "\\.a[",
    "`",
    "```",
    "```bash\n",
    "~~~\n",
    "\n---\n",
    "\n--\n",
    "\n???\n",
    "\n",
    "\n\n",
    "    ",
    "\t",
    "name: x\n",
    "class: a, b\n",
    "layout: true\n",
    "template: x\n",
    "exclude: true\n",
    "{{content}}",
    "[id]: http://x \"t\"\n",
    "[x][id]",
    "<!--",
    "-->",
    "<!-- check\n- kind: pods\n-->",
    "- ",
    "1. ",
    "1) ",
    "# ",
    "## T\n",
    "*",
    "_",
    "**b**",
    "<div>",
    "</p>",
    "&lt;",
    "&amp;",
    "\u{1A}0\u{1A}",
    "\u{0}",
    "é",
    "word ",
    "|a|b|\n|-|-|\n",
    "![i](images/x.png)",
    "<img src=\"y\">",
    "> ",
    "@@TOC@@",
    "@@TITLE@@",
    "@@INCLUDE[x.md]",
    "@@LINK[../x]",
    "@@INCLUDE[",
    "kubectl apply -f - <<EOF\n",
    "EOF\n",
];

const CHECK: &[&str] = &[
    "id: x\n",
    "timeout: ",
    "30s",
    "2m",
    "0",
    "-1",
    "99999999999999999999",
    "1h30m",
    "\n",
    "expect:\n",
    "  - kind: pods\n",
    "    name: x\n",
    "    selector: app=x\n",
    "    count: 1\n",
    "    ready: true\n",
    "    phase: Running\n",
    "    where: ",
    ".status.phase == Running",
    "    match:\n",
    "      spec: {a: 1}\n",
    "- kind: deploy\n",
    "  ",
    "[",
    "]",
    "{",
    "}",
    ":",
    "'",
    "\"",
    "&a",
    "*a",
    "!!binary",
    "---\n",
    "...\n",
    "#",
    "owner: ReplicaSet\n",
    "namespace: ",
    "é",
    "\t",
];

const SELECTOR: &[&str] = &[
    "a",
    "b=c",
    "!d",
    "e!=f",
    "g==h",
    " in ",
    " notin ",
    "(",
    ")",
    ",",
    "x",
    "app",
    "=",
    "!",
    " ",
    "k8s.io/name",
    "-",
    ".",
    "_",
    "1",
    "é",
    "tier in (a,b)",
];

const WHERE: &[&str] = &[
    ".status", ".phase", "[0]", "[", "]", " == ", " != ", " > ", " < ", " >= ", "Running", "\"x\"",
    "1", "-1", "true", " ", ".a.b", "[*]", "exists", "contains", "é",
];

const DURATION: &[&str] = &[
    "0",
    "1",
    "30",
    "s",
    "m",
    "h",
    "ms",
    "99999999999999999999",
    " ",
    "-",
    "1h30m",
    "x",
];

const PAGE: &[&str] = &[
    "<textarea id=\"source\">",
    "<textarea id=source>",
    "</textarea>",
    "<TEXTAREA",
    "<style>",
    "<STYLE media=x>",
    "</style>",
    "</STYLE>",
    "<link rel=\"stylesheet\" href=\"a.css\">",
    "<link rel=stylesheet href='../b.css'",
    "<link",
    "<title>",
    "</title>",
    "&amp;",
    "<script>",
    "remark.create(",
    "remark.create({",
    "{",
    "}",
    "[",
    "]",
    "(",
    ")",
    ",",
    ":",
    "'",
    "\"",
    "`",
    "\\",
    "//",
    "/*",
    "*/",
    "\n",
    " ",
    "ratio: '16:9'",
    "sourceUrl: 'd.md'",
    "navigation: {scroll: false}",
    "slideNumberFormat: function (c, t) { return c + '/' + t; }",
    "function",
    "return",
    "excludedClasses: ['x']",
    "highlightLines: true",
    "1e999",
    "-0",
    "null",
    "x.y()",
    "é",
    "<",
    ">",
    "=",
];

const SHELL: &[&str] = &[
    "kubectl ",
    "apply -f ",
    "get pods",
    " -n x",
    "create deployment web --image=nginx",
    "sed -i 's/a/b/' f.yaml",
    "cat <<EOF\n",
    "cat <<'EOF' > f\n",
    "<<-X\n",
    "EOF\n",
    "X\n",
    "\n",
    " | ",
    " && ",
    " || ",
    ";",
    "&",
    "\\\n",
    "'",
    "\"",
    "`",
    "$(",
    ")",
    "${X:-y}",
    "$X",
    "#",
    " # comment\n",
    "(",
    "{ ",
    " }",
    "\\",
    "watch ",
    "export KUBECONFIG=x ",
    "for i in 1 2; do ",
    "done",
    "é",
    "\t",
    "=",
];

const CEL: &[&str] = &[
    "self",
    "object",
    ".status",
    ".spec.replicas",
    "[0]",
    "[\"a\"]",
    " == ",
    " != ",
    " < ",
    " >= ",
    " && ",
    " || ",
    "!",
    "-",
    " + ",
    " * ",
    " / ",
    " % ",
    " ? ",
    " : ",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    ",",
    "1",
    "0",
    "-9223372036854775808",
    "18446744073709551615u",
    "1.5",
    "'s'",
    "\"",
    "b'x'",
    "true",
    "null",
    "size(",
    "has(",
    ".all(x, ",
    ".exists(x, ",
    ".map(x, ",
    ".filter(x, ",
    "x",
    ".matches('",
    "[a-",
    "in ",
    "int(",
    "string(",
    "duration('",
    "é",
    " ",
];

/// CPU time one input may take: a parser that is linear in its input is
/// far below this for the inputs generated here (at most a few kB).
const TIME_LIMIT: Duration = Duration::from_secs(2);
/// Wall time after which an input counts as hung: the watchdog prints it
/// with the seed and ends the test process (a hung thread cannot fail).
const HANG_LIMIT: Duration = Duration::from_secs(60);

/// Inputs being run, by target: (since, input).
fn running() -> &'static Mutex<HashMap<String, (Instant, String)>> {
    static RUNNING: OnceLock<Mutex<HashMap<String, (Instant, String)>>> = OnceLock::new();
    RUNNING.get_or_init(|| {
        std::thread::spawn(|| {
            loop {
                std::thread::sleep(Duration::from_millis(500));
                let Ok(running) = running().lock() else {
                    continue;
                };
                for (target, (since, input)) in running.iter() {
                    if since.elapsed() > HANG_LIMIT {
                        eprintln!(
                            "{target} hung on {input:?} (LABDECK_FUZZ_SEED={}); keep it in tests/fuzz-regressions/{target}-NAME.txt",
                            seed()
                        );
                        std::process::exit(1);
                    }
                }
            }
        });
        Mutex::new(HashMap::new())
    })
}

/// CPU time of the calling thread.
fn thread_cpu_time() -> Duration {
    let ts = rustix::time::clock_gettime(rustix::time::ClockId::ThreadCPUTime);
    Duration::new(
        u64::try_from(ts.tv_sec).unwrap_or(0),
        u32::try_from(ts.tv_nsec).unwrap_or(0),
    )
}

fn cases() -> usize {
    std::env::var("LABDECK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

/// `LABDECK_FUZZ_SEED`, else a fresh one for this run (the same for every
/// target of the process), printed with any failure.
fn seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        std::env::var("LABDECK_FUZZ_SEED")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default();
                now.as_secs() ^ u64::from(now.subsec_nanos()) ^ u64::from(std::process::id())
            })
    })
}

/// Runs one target on `input`; a panic, or more than [`TIME_LIMIT`] of
/// CPU time, fails the test with the input and the seed.
fn run(target: &str, input: &str) {
    if let Ok(mut r) = running().lock() {
        r.insert(target.to_owned(), (Instant::now(), input.to_owned()));
    }
    let cpu = thread_cpu_time();
    let outcome = std::panic::catch_unwind(|| match target {
        "remark" => {
            let lexed = lexer::lex_deck(input);
            let slides = parser::parse(lexed.tokens);
            let links = HashMap::new();
            let h = Highlighter::new();
            let code = labdeck::render::highlight::CodeOptions {
                spans: true,
                ..Default::default()
            };
            let ctx = MarkdownContext {
                links: &links,
                highlighter: &h,
                code: &code,
            };
            for s in &slides {
                let _ = render(&s.content, &ctx);
                let _ = labdeck::remark::displayed::code_blocks(&s.content, &code);
            }
        }
        "deck" => {
            let dir = tempfile::tempdir().unwrap();
            let slides = dir.path().join("slides");
            std::fs::create_dir_all(&slides).unwrap();
            std::fs::write(slides.join("x.md"), "# X\n").unwrap();
            std::fs::write(slides.join("ch.md"), input).unwrap();
            std::fs::write(
                slides.join("deck.yml"),
                "title: |\n  T:\n  x\ncontent:\n- ch.md\n- - ch.md\n",
            )
            .unwrap();
            let m = slides.join("deck.yml");
            if let Ok(deck) = labdeck::deck::load(&m, &Default::default()) {
                let _ = labdeck::exercise::extract(&deck);
                let _ = labdeck::lint::lint_deck(&m, &Default::default(), &Default::default());
            }
        }
        "check" => {
            let _ = spec::parse(&CheckSource {
                yaml: input.to_owned(),
                file: "x.md".into(),
                line: 1,
            });
        }
        "selector" => {
            let _ = Selector::parse(input);
        }
        "where" => {
            let _ = spec::parse_where(input);
        }
        "duration" => {
            let _ = spec::parse_duration(&spec::Scalar::Str(input.to_owned()));
        }
        "page" => {
            // Its local scripts are read through a gate at an empty folder.
            let dir = tempfile::tempdir().unwrap();
            let files = labdeck::files::Files::new();
            let gate = labdeck::files::Confinement::new(dir.path(), &files);
            let page = dir.path().join("talk.html");
            let _ = labdeck::html_page::parse(&page, input, &gate, &files);
        }
        "shell" => {
            let _ = labdeck::shell::parse::parse(input);
            for (_, command) in labdeck::shell::lines::split_commands(input) {
                let _ = labdeck::shell::behaviour::behaviour(&command);
            }
        }
        "cel" => {
            if let Ok(expr) = labdeck::check::cel::compile(input, &["self", "object"]) {
                use labdeck::check::cel::{Bound, Budget};
                let object = Bound::new(labdeck::check::cel::to_cel(
                    &serde_json::json!({"status": {"phase": "Running"}, "spec": {"replicas": 2}}),
                ));
                // The budget an evaluation round has in a check.
                let mut budget = Budget::new(Budget::ROUND, None);
                let _ = expr.eval(&[("self", &object), ("object", &object)], &mut budget);
            }
        }
        other => panic!("unknown fuzz target {other}"),
    });
    let took = thread_cpu_time().saturating_sub(cpu);
    if let Ok(mut r) = running().lock() {
        r.remove(target);
    }
    let seed = seed();
    if outcome.is_err() {
        panic!(
            "{target} panicked on {input:?} (LABDECK_FUZZ_SEED={seed}); keep it in tests/fuzz-regressions/{target}-NAME.txt"
        );
    }
    assert!(
        took <= TIME_LIMIT,
        "{target} took {took:?} of CPU (limit {TIME_LIMIT:?}) on {input:?} (LABDECK_FUZZ_SEED={seed}); keep it in tests/fuzz-regressions/{target}-NAME.txt"
    );
}

fn fuzz(target: &str, pieces: &[&str], max: usize, cases: usize) {
    let mut rng = Rng(seed() ^ target.len() as u64);
    for _ in 0..cases {
        let input = text(&mut rng, pieces, max);
        run(target, &input);
    }
}

#[test]
fn remark_lexer_parser_and_renderer() {
    fuzz("remark", DECK, 60, cases());
}

#[test]
fn macros_and_deck_loading() {
    // A deck load touches the file system: fewer cases.
    fuzz("deck", DECK, 40, cases() / 10 + 1);
}

#[test]
fn check_yaml() {
    fuzz("check", CHECK, 30, cases());
}

#[test]
fn selectors_where_and_durations() {
    fuzz("selector", SELECTOR, 12, cases());
    fuzz("where", WHERE, 10, cases());
    fuzz("duration", DURATION, 6, cases());
}

#[test]
fn html_page_reader() {
    fuzz("page", PAGE, 80, cases());
}

#[test]
fn shell_readers() {
    fuzz("shell", SHELL, 40, cases());
}

#[test]
fn cel_compilation() {
    fuzz("cel", CEL, 24, cases());
}

#[test]
fn regressions_stay_fixed() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some((target, _)) = name.split_once('-') else {
            continue;
        };
        let input = std::fs::read_to_string(&path).unwrap();
        run(target, &input);
        replayed += 1;
    }
    assert!(replayed >= 3, "the found inputs are replayed");
}
