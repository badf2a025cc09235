//! Fuzzing the parsers in the project, inside `cargo test`: random inputs
//! built from each grammar's own pieces, for the remark lexer and parser,
//! the `@@` macros (a whole deck load), the check YAML, label selectors,
//! `where:` tests, check durations and the Markdown renderer. Every input
//! must give a value or an error, never a panic or a hang.
//!
//! CI runs a bounded number of cases (`LABDECK_FUZZ_CASES`, default 300
//! per target). A developer runs longer with, for instance:
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

fn cases() -> usize {
    std::env::var("LABDECK_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn seed() -> u64 {
    std::env::var("LABDECK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1)
}

/// Runs one target on `input`; a panic fails the test with the input.
fn run(target: &str, input: &str) {
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
                let _ = labdeck::render::displayed::code_blocks(&s.content);
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
        other => panic!("unknown fuzz target {other}"),
    });
    if outcome.is_err() {
        panic!(
            "{target} panicked on {input:?}; keep it in tests/fuzz-regressions/{target}-NAME.txt"
        );
    }
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
