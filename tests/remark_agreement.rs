//! remark decks by other authors (a folder given as LABDECK_REMARK_DECKS,
//! one sub-folder per deck with its SOURCE.md and licence: the repository
//! does not hold other people's decks; tests/remark-decks.md lists each
//! one's repository, commit, paths and licence, so anyone can gather the
//! same folder), built the way a remark user would, from the
//! deck's own HTML page, against what remark 0.14.1 showed for that page
//! (issue 23: "README figures for other authors' decks are measured the
//! same way: per slide text and screenshots against remark with the deck's
//! own options").
//!
//! - `every_stored_deck_builds_from_its_page`: each page builds, with the
//!   slide count remark gave, and as many slides with remark's text as
//!   README.md says (remark's texts are recorded in the deck's
//!   `remark.json`, normalised as the corpus' `expected/`:
//!   tests/support/slide_text.rs).
//! - `measure_against_remark` (by hand, scripts/remark-agreement.sh): loads
//!   the same page with remark 0.14.1 (`LABDECK_REMARK_JS`, put in place of
//!   the page's remark script) in headless Chromium with the network shut
//!   off, reads each slide's text, prints per deck the slides that match
//!   and the first that differ, screenshots every slide on both sides and
//!   counts those that are the same to the pixel, writes side-by-side
//!   screenshots (labdeck | remark) of a few into `LABDECK_AGREEMENT_OUT`,
//!   and with
//!   `LABDECK_AGREEMENT_RECORD=1` rewrites the decks' `remark.json`.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::json;
use support::browser::{self, Browser, ONE_AT_A_TIME};
use support::harness::{self, tests};
use support::slide_text::slide_texts;

fn main() {
    harness::run(
        "remark_agreement",
        tests![
            Nothing sync tests_are_registered,
            RemarkDecks sync every_stored_deck_builds_from_its_page,
            ByHand async measure_against_remark,
            ByHand async fuzz_against_remark,
        ],
    )
}

/// No test here is marked for libtest's harness, which does not run here.
fn tests_are_registered() {
    let left = harness::unregistered_tests(&["tests/remark_agreement.rs"]);
    assert!(
        left.is_empty(),
        "never run: list them in main instead:\n{}",
        left.join("\n")
    );
}

fn decks_dir() -> PathBuf {
    harness::remark_decks()
        .expect("LABDECK_REMARK_DECKS: a folder of remark decks (tests/remark-decks.md)")
}

/// What README.md says, per deck: slides with remark 0.14.1's text, of how
/// many (measured by scripts/remark-agreement.sh).
const README_FIGURES: &[(&str, usize, usize)] = &[
    ("dsbox-welcome", 38, 38),
    ("ryanrolds-cicd", 25, 25),
    ("ryanrolds-docker", 33, 33),
    ("uo-ec607-git", 70, 70),
];

/// A stored deck: its folder, its page (relative to the folder) and what
/// remark 0.14.1 showed for it (`remark.json`).
struct Deck {
    name: String,
    dir: PathBuf,
    page: String,
    remark: Option<Recorded>,
}

#[derive(serde::Deserialize, serde::Serialize)]
struct Recorded {
    page: String,
    slides: usize,
    texts: Vec<String>,
}

fn decks() -> Vec<Deck> {
    let mut decks: Vec<Deck> = std::fs::read_dir(decks_dir())
        .expect("LABDECK_REMARK_DECKS")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .map(|dir| {
            let name = dir.file_name().unwrap().to_string_lossy().into_owned();
            let recorded = std::fs::read_to_string(dir.join("remark.json"))
                .ok()
                .map(|s| serde_json::from_str::<Recorded>(&s).unwrap());
            // The page is named in SOURCE.md's first `page:` line until
            // remark.json records it.
            let page = match &recorded {
                Some(r) => r.page.clone(),
                None => page_from_source_md(&dir),
            };
            Deck {
                name,
                dir,
                page,
                remark: recorded,
            }
        })
        .collect();
    decks.sort_by(|a, b| a.name.cmp(&b.name));
    decks
}

fn page_from_source_md(dir: &Path) -> String {
    let text = std::fs::read_to_string(dir.join("SOURCE.md"))
        .unwrap_or_else(|e| panic!("{}: SOURCE.md: {e}", dir.display()));
    text.lines()
        .find_map(|l| l.strip_prefix("- page: `"))
        .and_then(|l| l.split('`').next())
        .unwrap_or_else(|| panic!("{}: SOURCE.md names no `- page:`", dir.display()))
        .to_string()
}

/// Slides of `labdeck` that have remark's text, by position.
fn matching(labdeck: &[String], remark: &[String]) -> usize {
    remark
        .iter()
        .zip(labdeck)
        .filter(|(want, got)| want == got)
        .count()
}

/// The built page's slide texts: `labdeck build PAGE` as a remark user runs
/// it, into `out`.
fn build_with_cli(page: &Path, out: &Path) -> Vec<String> {
    let run = Command::new(env!("CARGO_BIN_EXE_labdeck"))
        .args(["build", "-q", "--color", "never", "-o"])
        .arg(out)
        .arg(page)
        .output()
        .unwrap();
    assert!(
        run.status.success(),
        "labdeck build {} failed: {}",
        page.display(),
        String::from_utf8_lossy(&run.stderr)
    );
    let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
    let html = std::fs::read_to_string(out.join(format!("{stem}.html"))).unwrap();
    slide_texts(&html)
}

fn every_stored_deck_builds_from_its_page() {
    let decks = decks();
    assert!(decks.len() >= 4, "{} decks stored", decks.len());
    let mut report = String::new();
    for deck in &decks {
        let remark = deck.remark.as_ref().unwrap_or_else(|| {
            panic!(
                "{}: no remark.json (scripts/remark-agreement.sh --record)",
                deck.name
            )
        });
        assert_eq!(remark.slides, remark.texts.len(), "{}", deck.name);
        let out = tempfile::tempdir().unwrap();
        let texts = build_with_cli(&deck.dir.join(&deck.page), out.path());
        assert_eq!(
            texts.len(),
            remark.slides,
            "{}: labdeck shows {} slides, remark {}",
            deck.name,
            texts.len(),
            remark.slides
        );
        let same = matching(&texts, &remark.texts);
        let claimed = README_FIGURES
            .iter()
            .find(|(n, _, _)| *n == deck.name)
            .unwrap_or_else(|| panic!("{}: not in README_FIGURES", deck.name));
        if (same, remark.slides) != (claimed.1, claimed.2) {
            report.push_str(&format!(
                "{}: {same}/{} slides with remark's text, README says {}/{}\n",
                deck.name, remark.slides, claimed.1, claimed.2
            ));
            for (i, (want, got)) in remark.texts.iter().zip(&texts).enumerate() {
                if want != got {
                    report.push_str(&format!("  #{}\n  want: {want}\n  got:  {got}\n", i + 1));
                }
            }
        }
    }
    assert!(report.is_empty(), "{report}");
}

// ---------- measured in Chromium, by hand ----------

/// The `src` of the page's remark script (`remark-latest.min.js`,
/// `remark.min.js`, `remark-0.14.1.min.js`, on a CDN or beside the page)
/// replaced by `local`.
fn with_remark_at(page: &str, local: &str) -> String {
    let mut out = String::with_capacity(page.len());
    let mut rest = page;
    while let Some(at) = rest.find("src=\"") {
        let value_start = at + 5;
        let Some(len) = rest[value_start..].find('"') else {
            break;
        };
        let value = &rest[value_start..value_start + len];
        let file = value.rsplit('/').next().unwrap_or(value);
        out.push_str(&rest[..value_start]);
        if file.starts_with("remark") && file.ends_with(".js") {
            out.push_str(local);
        } else {
            out.push_str(value);
        }
        rest = &rest[value_start + len..];
    }
    out.push_str(rest);
    out
}

/// Each slide's text as remark shows it: the corpus oracle's reading of
/// `.remark-slide-content` (tests/support/slide_text.rs), in the browser.
const REMARK_TEXTS_JS: &str = r#"
    return Array.from(document.querySelectorAll('.remark-slides-area .remark-slide-container .remark-slide-content'))
        .map(c => {
            const k = c.cloneNode(true);
            k.querySelectorAll('.remark-slide-number, .debug, script, style').forEach(e => e.remove());
            return k.textContent.replace(/\s+/g, ' ').trim();
        });
"#;

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

/// Every slide of the page at `url` as a 1280x720 screenshot, in order:
/// the page is opened once and walked with `#N` (remark and labdeck both
/// follow the URL's hash).
async fn screenshots(b: &Browser, url: &str, count: usize, labdeck: bool) -> Vec<Vec<u8>> {
    b.client.goto("about:blank").await.unwrap();
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 720, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    if labdeck {
        b.open(url).await;
    } else {
        b.client.goto(url).await.unwrap();
    }
    let mut shots = Vec::with_capacity(count);
    for n in 1..=count {
        b.eval(&format!("location.hash = '#{n}'; return 0;")).await;
        b.wait_for(
            &format!(
                "document.readyState === 'complete' && (() => {{
                    const c = document.querySelectorAll('.remark-slides-area > .remark-slide-container')[{}];
                    return c && c.classList.contains('remark-visible') && c.querySelector('.remark-slide-content');
                }})()",
                n - 1
            ),
            "the slide is shown",
        )
        .await;
        shots.push(b.client.screenshot().await.unwrap());
    }
    shots
}

/// `labdeck.png` and `remark.png` (1280x720) side by side, half size, under
/// their names: a screenshot of a page that shows both.
async fn side_by_side(b: &Browser, dir: &Path, stem: &str) -> Vec<u8> {
    let page = dir.join(format!("{stem}.side.html"));
    std::fs::write(
        &page,
        format!(
            "<!DOCTYPE html><html><body style=\"margin:0;font:14px sans-serif;background:#fff\">\
             <div style=\"display:flex\">\
             <figure style=\"margin:0;width:640px\"><figcaption style=\"height:20px\">labdeck</figcaption>\
             <img style=\"width:640px;height:360px;display:block\" src=\"{stem}.labdeck.png\"></figure>\
             <figure style=\"margin:0;width:640px\"><figcaption style=\"height:20px\">remark 0.14.1</figcaption>\
             <img style=\"width:640px;height:360px;display:block\" src=\"{stem}.remark.png\"></figure>\
             </div></body></html>"
        ),
    )
    .unwrap();
    b.cdp(
        "Emulation.setDeviceMetricsOverride",
        json!({ "width": 1280, "height": 380, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
    b.client.goto(&browser::file_url(&page)).await.unwrap();
    b.wait_for(
        "Array.from(document.images).every(i => i.complete)",
        "both screenshots are shown",
    )
    .await;
    let png = b.client.screenshot().await.unwrap();
    std::fs::remove_file(&page).unwrap();
    png
}

async fn measure_against_remark() {
    let remark_js = std::env::var("LABDECK_REMARK_JS")
        .expect("LABDECK_REMARK_JS: the path of remark 0.14.1's remark.min.js");
    let shots = std::env::var("LABDECK_AGREEMENT_OUT")
        .map(PathBuf::from)
        .unwrap_or_else(|_| std::env::temp_dir().join("labdeck-remark-agreement"));
    let record = std::env::var("LABDECK_AGREEMENT_RECORD").is_ok_and(|v| v == "1");
    std::fs::create_dir_all(&shots).unwrap();
    let _one = ONE_AT_A_TIME.lock().await;
    // sourceUrl is read with XMLHttpRequest: allowed from file:// pages;
    // every host name fails, so nothing comes from the network (fonts,
    // MathJax, CDN stylesheets are missing on both sides alike).
    let b = browser::start_with(
        "measure_against_remark",
        &[
            "--allow-file-access-from-files",
            "--host-resolver-rules=MAP * ~NOTFOUND",
        ],
    )
    .await;
    let mut summary = String::new();
    let only = std::env::var("LABDECK_AGREEMENT_DECK").ok();
    let keep = std::env::var("LABDECK_AGREEMENT_KEEP").is_ok_and(|v| v == "1");
    for deck in decks() {
        if only.as_ref().is_some_and(|o| *o != deck.name) {
            continue;
        }
        let work = tempfile::tempdir().unwrap();
        let copy = work.path().join("deck");
        copy_dir(&deck.dir, &copy);
        let page = copy.join(&deck.page);

        // labdeck, from the page.
        let out = work.path().join("labdeck");
        let labdeck = build_with_cli(&page, &out);
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        let labdeck_url = browser::file_url(&out.join(format!("{stem}.html")));

        // remark, the same page with remark.min.js beside it.
        let folder = page.parent().unwrap();
        std::fs::copy(&remark_js, folder.join("remark.min.js"))
            .unwrap_or_else(|e| panic!("LABDECK_REMARK_JS={remark_js}: {e}"));
        let remark_page = folder.join(format!("{stem}.remark.html"));
        std::fs::write(
            &remark_page,
            with_remark_at(&std::fs::read_to_string(&page).unwrap(), "remark.min.js"),
        )
        .unwrap();
        let remark_url = browser::file_url(&remark_page);
        b.client.goto(&remark_url).await.unwrap();
        b.wait_for(
            "document.querySelector('.remark-slides-area .remark-slide-container')",
            "remark showed the page",
        )
        .await;
        let remark: Vec<String> = serde_json::from_value(b.eval(REMARK_TEXTS_JS).await).unwrap();

        let same = matching(&labdeck, &remark);
        let line = format!(
            "{}: {same}/{} slides with remark's text (labdeck {} slides, remark {})",
            deck.name,
            remark.len(),
            labdeck.len(),
            remark.len()
        );
        println!("AGREEMENT {line}");
        summary.push_str(&line);
        summary.push('\n');
        let differing: Vec<usize> = (0..remark.len().max(labdeck.len()))
            .filter(|&i| remark.get(i) != labdeck.get(i))
            .collect();
        for &i in differing.iter().take(5) {
            let text = format!(
                "  #{}\n    remark:  {}\n    labdeck: {}",
                i + 1,
                remark.get(i).map(String::as_str).unwrap_or("<none>"),
                labdeck.get(i).map(String::as_str).unwrap_or("<none>")
            );
            println!("{text}");
            summary.push_str(&text);
            summary.push('\n');
        }

        // Every slide, both sides: which look the same to the pixel.
        let count = remark.len().min(labdeck.len());
        let left = screenshots(&b, &labdeck_url, count, true).await;
        let right = screenshots(&b, &remark_url, count, false).await;
        let looks_different: Vec<usize> = (0..count).filter(|&i| left[i] != right[i]).collect();
        let line = format!(
            "{}: {}/{count} slides the same to the pixel (1280x720){}",
            deck.name,
            count - looks_different.len(),
            if looks_different.is_empty() {
                String::new()
            } else {
                format!(
                    "; differ: {}",
                    looks_different
                        .iter()
                        .map(|i| format!("#{}", i + 1))
                        .collect::<Vec<_>>()
                        .join(" ")
                )
            }
        );
        println!("AGREEMENT {line}");
        summary.push_str(&line);
        summary.push('\n');

        // Side by side: the first two slides, the first three that look
        // different, the first two whose text differs.
        let mut slides: Vec<usize> = vec![0, 1];
        slides.extend(looks_different.iter().take(3));
        slides.extend(differing.iter().take(2));
        slides.sort_unstable();
        slides.dedup();
        slides.retain(|&i| i < count);
        for i in slides {
            let name = format!("{}-{:02}", deck.name, i + 1);
            std::fs::write(shots.join(format!("{name}.labdeck.png")), &left[i]).unwrap();
            std::fs::write(shots.join(format!("{name}.remark.png")), &right[i]).unwrap();
            let both = side_by_side(&b, &shots, &name).await;
            std::fs::write(shots.join(format!("{name}.png")), both).unwrap();
            if !keep {
                std::fs::remove_file(shots.join(format!("{name}.labdeck.png"))).unwrap();
                std::fs::remove_file(shots.join(format!("{name}.remark.png"))).unwrap();
            }
        }

        if record {
            let recorded = Recorded {
                page: deck.page.clone(),
                slides: remark.len(),
                texts: remark,
            };
            std::fs::write(
                deck.dir.join("remark.json"),
                serde_json::to_string_pretty(&recorded).unwrap() + "\n",
            )
            .unwrap();
        }
    }
    std::fs::write(shots.join("report.txt"), &summary).unwrap();
    println!(
        "AGREEMENT screenshots and report.txt in {}",
        shots.display()
    );
    b.close().await;
}

/// Pieces of remark Markdown that the dialect's rules disagree on most
/// (marked 0.3's emphasis, code spans and lists; remark's content classes,
/// steps, notes, properties and templates), joined at random into decks by
/// [`fuzz_against_remark`].
const PIECES: &[&str] = &[
    "*a* and _b_ and **c** and __d__",
    "a*b*c and snake_case_name and 2*3*4",
    "*a _b* c_",
    "`code` and ``a ` b`` and `unclosed",
    "[link](http://example.com/a_b) and [ref][r] and [r]",
    "[r]: http://example.com/ref",
    "<http://example.com/auto> and <b>bold</b> and a <span>x</span>",
    "- one\n- two\n  - nested\n- three",
    "1. first\n2. second\n\n   para in item",
    "* star\n+ plus\n- dash",
    "# Title",
    "## Sub ##",
    "Setext\n===",
    "> quote\n> more",
    "```bash\nkubectl get pods\necho \"$HOME\"\n```",
    "```yaml\napiVersion: v1\nkind: Pod\n```",
    "```\nplain\n---\nfence\n```",
    "    indented code\n    more",
    ".red[coloured]",
    ".a[.b[nested] after]",
    ".footnote[*note*]",
    ".exercise[\n- Do it:\n  ```bash\n  kubectl apply -f x.yml\n  ```\n]",
    "--",
    "???\nspeaker notes *here*",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "<div class=\"x\">html block</div>",
    "<!-- a comment -->",
    "&amp; &lt;tag&gt; &copy; &#169;",
    "\\*not emphasis\\* and \\_no\\_",
    "hard  \nbreak",
    "***",
    "Text with trailing #",
    "![image](img.png)",
    "a line\nrun on\n\nnew paragraph",
    "{{content}}",
    "1) paren list\n2) two",
    "*   spaced list\n\n*   loose",
    "Term<br/>with break",
    "  - indented dash\n  - again",
    "**bold `code` bold**",
    "- item with `code`\n\n  ```bash\n  ls -l\n  ```\n\n- next item",
    "> quote with *em*\n>\n> - list in quote",
    ".left-column[\n- a\n- b\n]\n.right-column[\ntext]",
    "- step one\n--\n- step two",
    "Line one<br/>\nLine two",
    "<img src=\"a.png\" width=\"50%\"/>",
    "<p align=\"center\">\n<img src=\"a.png\">\n</p>",
    "<details>\n<summary>More</summary>\n\nhidden *md*\n\n</details>",
    "1. one\n   - sub a\n   - sub b\n2. two",
    "Text with a footnote.footnote[*]",
    "### Heading with `code` and *em*",
    "~~strike~~ and ~tilde~",
    "http://bare.example.com/path_with_underscores and more",
    "a \\\n b",
    "- [x] task\n- [ ] todo",
    "Term\n: definition",
    "<span class=\"x\">*md in span*</span>",
    "    $ kubectl get pods\n    NAME  READY",
];

/// Properties a slide may start with.
const PROPERTIES: &[&str] = &[
    "class: center, middle",
    "name: here",
    "layout: true",
    "template: here",
    "class: red",
    "exclude: true",
    "background-image: url(a.png)",
    "count: false",
];

/// xorshift64*: deterministic decks for a seed.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A deck of a few slides, each a few random pieces.
fn random_deck(r: &mut Random) -> String {
    let mut slides = Vec::new();
    for _ in 0..1 + r.below(4) {
        let mut lines = Vec::new();
        if r.below(3) == 0 {
            lines.push(PROPERTIES[r.below(PROPERTIES.len())].to_string());
            lines.push(String::new());
        }
        for _ in 0..1 + r.below(5) {
            lines.push(PIECES[r.below(PIECES.len())].to_string());
            if r.below(3) != 0 {
                lines.push(String::new());
            }
        }
        slides.push(lines.join("\n"));
    }
    slides.join("\n---\n")
}

/// Differential test, by hand: random decks made of [`PIECES`], each built
/// by labdeck and shown by remark 0.14.1 (`LABDECK_REMARK_JS`) from the same
/// page, slide texts compared as the corpus oracle compares them. Prints
/// each deck that differs (`LABDECK_FUZZ_DECKS`, default 100;
/// `LABDECK_FUZZ_SEED`, default 1), and fails when any does.
async fn fuzz_against_remark() {
    let remark_js = std::env::var("LABDECK_REMARK_JS")
        .expect("LABDECK_REMARK_JS: the path of remark 0.14.1's remark.min.js");
    let count: usize = std::env::var("LABDECK_FUZZ_DECKS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let seed: u64 = std::env::var("LABDECK_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1);
    let mut r = Random(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let work = tempfile::tempdir().unwrap();
    std::fs::copy(&remark_js, work.path().join("remark.min.js")).unwrap();
    // `LABDECK_FUZZ_FILE`: these decks instead (separated by `%%%` lines).
    let given: Option<Vec<String>> = std::env::var("LABDECK_FUZZ_FILE").ok().map(|f| {
        std::fs::read_to_string(&f)
            .unwrap_or_else(|e| panic!("LABDECK_FUZZ_FILE={f}: {e}"))
            .split("\n%%%\n")
            .map(str::to_owned)
            .collect()
    });
    let count = given.as_ref().map_or(count, Vec::len);
    let mut pages = Vec::new();
    let mut decks = Vec::new();
    for i in 0..count {
        let deck = match &given {
            Some(decks) => decks[i].clone(),
            None => random_deck(&mut r),
        };
        let page = format!(
            "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>fuzz</title></head><body>\n<textarea id=\"source\">\n{deck}\n</textarea>\n<script src=\"remark.min.js\"></script>\n<script>var slideshow = remark.create();</script>\n</body></html>\n"
        );
        let path = work.path().join(format!("f{i}.html"));
        std::fs::write(&path, page).unwrap();
        pages.push(path);
        decks.push(deck);
    }
    let out = work.path().join("out");
    let _one = ONE_AT_A_TIME.lock().await;
    let b = browser::start_with(
        "fuzz_against_remark",
        &["--host-resolver-rules=MAP * ~NOTFOUND"],
    )
    .await;
    let mut differ = 0;
    let mut refused = 0;
    for (i, page) in pages.iter().enumerate() {
        // A deck labdeck refuses (a `template:` naming no slide, which
        // remark throws on) is said, not compared.
        let run = Command::new(env!("CARGO_BIN_EXE_labdeck"))
            .args(["build", "-q", "--color", "never", "-o"])
            .arg(&out)
            .arg(page)
            .output()
            .unwrap();
        if !run.status.success() {
            refused += 1;
            println!(
                "=== deck {i} refused: {}",
                String::from_utf8_lossy(&run.stderr).trim()
            );
            continue;
        }
        let stem = page.file_stem().unwrap().to_string_lossy().into_owned();
        let labdeck =
            slide_texts(&std::fs::read_to_string(out.join(format!("{stem}.html"))).unwrap());
        b.client.goto(&browser::file_url(page)).await.unwrap();
        b.wait_for(
            "document.querySelector('.remark-slides-area .remark-slide-container')",
            "remark showed the page",
        )
        .await;
        let remark: Vec<String> = serde_json::from_value(b.eval(REMARK_TEXTS_JS).await).unwrap();
        if remark != labdeck {
            differ += 1;
            println!("=== deck {i} (seed {seed}):\n{}\n---- differs:", decks[i]);
            for k in 0..remark.len().max(labdeck.len()) {
                if remark.get(k) != labdeck.get(k) {
                    println!(
                        "  #{}\n    remark:  {}\n    labdeck: {}",
                        k + 1,
                        remark.get(k).map(String::as_str).unwrap_or("<none>"),
                        labdeck.get(k).map(String::as_str).unwrap_or("<none>")
                    );
                }
            }
        }
    }
    println!(
        "FUZZ {differ} of {count} decks differ from remark, {refused} refused by labdeck (seed {seed})"
    );
    assert_eq!(differ, 0, "{differ} of {count} decks differ from remark");
}
