//! Code blocks whose rendered text is not what their author wrote: students
//! copy what the slide shows ([`crate::remark::displayed`]), so a change made
//! by rendering is a change to the command they type.
//!
//! Rule codes (warnings):
//! - `indentation-lost`: a line of a here-document in a shell block (a file
//!   written with `cat > f <<EOF`) is shown with other indentation, relative
//!   to the first line, than written (marked removes up to four spaces from
//!   each line of a fence in a list item: `remark::marked`). Indentation of
//!   shell lines themselves does not matter to bash; YAML is judged by what
//!   it parses to (below);
//! - `backticks-stripped`: in a shell block, remark's highlighting removes
//!   (with `highlightSpans`) the backticks of a span that reads like shell command substitution
//!   (`` `hostname` ``, `` `cat pid` ``); placeholders meant to be
//!   highlighted (`` `X.X.X.X` ``, `` `<ip>` ``) are not reported;
//! - `highlight-marker`: a shell line starting with `*`: remark's
//!   `highlightLines` syntax, but the deck does not enable it (or the `*`
//!   is indented: remark takes only a first-character `*`), so the slide
//!   shows the `*` and students type it;
//!
//! Blocks are read with the deck's own code options (`highlightLines`,
//! `highlightSpans`, `highlightLanguage`), as the page shows them and `run`
//! types them ([`crate::remark::options::RemarkOptions::code`]).
//! - `invalid-yaml`: a heredoc fed to `kubectl apply -f -`/`create -f -`
//!   that does not parse as shown, or a block fenced as YAML/JSON whose
//!   source parses but whose shown text does not (a YAML block whose source
//!   does not parse either is an illustration: `...`, `<placeholders>`);
//! - `yaml-changed`: one that parses as shown, but to something else than
//!   its source (highlight backticks, removed on purpose, aside).
//!
//! On the 14 decks of container.training (2021) none of these fire: the
//! first, looser versions flagged 85 blocks (shell continuation lines),
//! 18 YAML illustrations and 3 highlighted placeholders, all checked by hand
//! and all intended; see the tests for both kinds.

use crate::deck::Deck;
use crate::diagnostic::Diagnostic;
use crate::remark::displayed::span_segments;
use crate::remark::displayed::{self, DisplayedCode};
use crate::remark::marked::{FenceIndex, closing_fence, fence_opening, strip_list_marker};
use crate::remark::options::CodeOptions;
use crate::shell::SHELL_LANGS;

const YAML_LANGS: &[&str] = &["yaml", "yml", "json"];

/// Every finding for `deck`.
pub fn check(deck: &Deck) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let text = deck.source.as_str();
    let code = deck.manifest.remark.code();
    for (i, slide) in deck.slides.iter().enumerate() {
        if slide.own_content().is_empty() {
            continue;
        }
        let blocks = displayed::code_blocks(slide.own_content(), &code);
        if blocks.iter().all(|b| !b.fenced) {
            continue;
        }
        // The slide's own source: up to the next slide's start.
        let end = deck.slides[i + 1..]
            .iter()
            .map(|s| s.start)
            .find(|&s| s > slide.start)
            .unwrap_or(text.len());
        let Some(source) = text.get(slide.start..end) else {
            continue;
        };
        let lines: Vec<&str> = source.split('\n').collect();
        let mut line_starts = Vec::with_capacity(lines.len());
        let mut o = slide.start;
        for l in &lines {
            line_starts.push(o);
            o += l.len() + 1;
        }
        let fences = FenceIndex::new(&lines);
        for block in blocks.iter().filter(|b| b.fenced) {
            let Some(open) = line_starts.iter().rposition(|&s| s <= block.start) else {
                continue;
            };
            let Some(opening) = fence_opening(strip_list_marker(lines[open])) else {
                continue;
            };
            let Some((close, _)) = closing_fence(&fences, open, &opening) else {
                continue;
            };
            let written = crate::remark::marked::dedent(&lines[open + 1..close]);
            let at = |k: usize| {
                line_starts
                    .get(open + 1 + k)
                    .and_then(|&s| deck.source.location(s))
            };
            compare(block, &written, &code, &at, &mut out);
        }
    }
    out
}

fn compare(
    block: &DisplayedCode,
    written: &[String],
    code: &CodeOptions,
    at: &dyn Fn(usize) -> Option<crate::error::Location>,
    out: &mut Vec<Diagnostic>,
) {
    let lang = block.lang.to_ascii_lowercase();
    let shell = SHELL_LANGS.contains(&lang.as_str());
    let yaml = YAML_LANGS.contains(&lang.as_str());
    if !shell && !yaml {
        return;
    }
    // What the author meant the slide to show: the source, with remark's
    // highlight markers removed (on purpose), and the relative
    // indentation of its lines.
    let intended: Vec<String> = written
        .iter()
        .map(|l| displayed::shown_line(l, code))
        .collect();
    let shown_raw: Vec<&str> = block.text.split('\n').collect();
    let shown = crate::remark::marked::dedent(&shown_raw);
    if yaml {
        let source = parse_yaml(&intended.join("\n"));
        // A block whose source does not parse is an illustration (`...`,
        // `<placeholders>`, templates): not rendering's doing.
        if let Ok(source) = source {
            yaml_finding(&block.text, Some(&source), 0, at, out);
        }
        return;
    }
    for (k, w) in written.iter().enumerate() {
        if code.spans
            && let Some(span) = substitution_span(w)
            && let Some(loc) = at(k)
        {
            out.push(Diagnostic::warning(
                "backticks-stripped",
                loc,
                format!(
                    "remark shows `{span}` without its backticks (they mark a highlight), so students type it as text, not as a command substitution: write $({span}), or \\` to show a backtick"
                ),
            ));
        }
        // remark 0.14 slideView.js: `line.indexOf('*') === 0`, on the
        // block's lines as marked outdented them.
        let marker = code.lines && w.starts_with('*');
        if w.trim_start().starts_with('*')
            && !marker
            && let Some(loc) = at(k)
        {
            out.push(Diagnostic::warning(
                "highlight-marker",
                loc,
                if code.lines {
                    "line starts with `*` after spaces: remark's `highlightLines` takes only a `*` that is the line's first character, so the slide shows this one and students type it"
                } else {
                    "line starts with `*`: remark highlights such lines only with `highlightLines`, which this deck does not enable, so the slide shows the `*` and students type it"
                },
            ));
        }
    }
    let shown_refs: Vec<&str> = shown.iter().map(String::as_str).collect();
    let intended_refs: Vec<&str> = intended.iter().map(String::as_str).collect();
    let written_docs = heredocs(&intended_refs);
    for doc in heredocs(&shown_refs) {
        let source = written_docs.iter().find(|d| d.command == doc.command);
        if doc.kubectl {
            // Fed to kubectl: it must parse, and mean what its source means.
            let source = source.and_then(|d| parse_yaml(&d.body.join("\n")).ok());
            yaml_finding(
                &doc.body.join("\n"),
                source.as_ref(),
                doc.command + 1,
                at,
                out,
            );
            continue;
        }
        // Any other here-document (a file written with `cat > f <<EOF`):
        // its lines must keep their relative indentation.
        let Some(source) = source else { continue };
        let a =
            crate::remark::marked::dedent(&doc.body.iter().map(String::as_str).collect::<Vec<_>>());
        let b = crate::remark::marked::dedent(
            &source.body.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        for (k, (s, w)) in a.iter().zip(&b).enumerate() {
            let si = s.len() - s.trim_start_matches(' ').len();
            let wi = w.len() - w.trim_start_matches(' ').len();
            if si != wi && !w.trim().is_empty() {
                if let Some(loc) = at(doc.command + 1 + k) {
                    out.push(Diagnostic::warning(
                        "indentation-lost",
                        loc,
                        format!(
                            "the slide shows this line of the here-document indented by {si} instead of {wi} relative to its first line (a fenced block in a list item loses up to 4 spaces per line): indent the whole block by the list item's indentation plus 4"
                        ),
                    ));
                }
                break;
            }
        }
    }
}

/// `invalid-yaml` when `shown` does not parse, `yaml-changed` when it
/// parses to something else than `source`.
fn yaml_finding(
    shown: &str,
    source: Option<&Vec<serde_json::Value>>,
    line: usize,
    at: &dyn Fn(usize) -> Option<crate::error::Location>,
    out: &mut Vec<Diagnostic>,
) {
    let Some(loc) = at(line) else { return };
    match parse_yaml(shown) {
        Err(e) => out.push(Diagnostic::warning(
            "invalid-yaml",
            loc,
            format!("the YAML the slide shows does not parse: {e}"),
        )),
        Ok(value) => {
            if source.is_some_and(|s| *s != value) {
                out.push(Diagnostic::warning(
                    "yaml-changed",
                    loc,
                    "the YAML the slide shows parses to something else than its source (rendering changed its indentation): students who copy it get another object; indent the whole block by the list item's indentation plus 4, or move it out of the list",
                ));
            }
        }
    }
}

/// Every YAML document of `text`, as JSON values (what kubectl reads).
fn parse_yaml(text: &str) -> Result<Vec<serde_json::Value>, crate::error::YamlError> {
    serde_saphyr::from_multiple::<serde_json::Value>(text).map_err(|e| {
        let m = e.to_string();
        crate::error::YamlError::new(m.lines().next().unwrap_or("").to_owned(), &e)
    })
}

/// A here-document in a shell block.
#[derive(Debug, PartialEq, Eq)]
struct HereDoc {
    /// Index of the line holding the command.
    command: usize,
    /// Fed to `kubectl apply|create ... -f -`.
    kubectl: bool,
    body: Vec<String>,
}

fn heredocs(lines: &[&str]) -> Vec<HereDoc> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        if let Some((word, tabs)) = heredoc_word(lines[i]) {
            let mut body = Vec::new();
            let mut j = i + 1;
            while j < lines.len() {
                let t = if tabs {
                    lines[j].trim_start_matches('\t')
                } else {
                    lines[j]
                };
                if t.trim_end() == word {
                    break;
                }
                body.push(lines[j].to_owned());
                j += 1;
            }
            out.push(HereDoc {
                command: i,
                kubectl: kubectl_stdin(lines[i]),
                body,
            });
            i = j + 1;
            continue;
        }
        i += 1;
    }
    out
}

/// Whether the line runs `kubectl apply|create ... -f -`.
fn kubectl_stdin(line: &str) -> bool {
    let words: Vec<&str> = line.split_whitespace().collect();
    let Some(k) = words.iter().position(|w| *w == "kubectl") else {
        return false;
    };
    let rest = &words[k + 1..];
    rest.iter().any(|w| *w == "apply" || *w == "create")
        && (rest
            .windows(2)
            .any(|w| (w[0] == "-f" || w[0] == "--filename") && w[1] == "-")
            || rest.iter().any(|w| *w == "-f-" || *w == "--filename=-"))
}

/// The delimiter of a `<<WORD` here-document on `line` (`<<-`: tabs
/// before the delimiter are allowed; `<<<` is a here-string), per bash's
/// here-document rules.
fn heredoc_word(line: &str) -> Option<(String, bool)> {
    let at = line.find("<<")?;
    let mut after = &line[at + 2..];
    if after.starts_with('<') {
        return None;
    }
    let tabs = after.starts_with('-');
    if tabs {
        after = &after[1..];
    }
    let word: String = after
        .trim_start()
        .chars()
        .take_while(|c| !c.is_whitespace() && !matches!(c, ';' | '|' | '&' | ')'))
        .filter(|c| !matches!(c, '\'' | '"' | '\\'))
        .collect();
    (!word.is_empty()).then_some((word, tabs))
}

/// The first highlight span of `line` (as remark reads it) that looks like
/// a command substitution: a lowercase command word followed by arguments
/// or a pipe, as in `` `cat /tmp/pid` `` or `` `hostname -i` ``, or a
/// lone well-known command (`` `hostname` ``, `` `date` ``).
fn substitution_span(line: &str) -> Option<String> {
    const LONE: &[&str] = &["hostname", "date", "whoami", "pwd", "uname", "id", "nproc"];
    for seg in span_segments(line).iter().filter(|s| s.highlighted) {
        let t = seg.text.trim();
        let mut words = t.split_whitespace();
        let Some(first) = words.next() else {
            continue;
        };
        let command_word = first
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
            && first.as_bytes().first().is_some_and(u8::is_ascii_lowercase);
        if !command_word {
            continue;
        }
        let args: Vec<&str> = words.collect();
        let lone = args.is_empty() && LONE.contains(&first);
        let with_args = !args.is_empty()
            && args
                .iter()
                .all(|a| !a.contains("...") && !a.starts_with('<'))
            && (t.contains('|')
                || t.contains(" -")
                || args
                    .iter()
                    .any(|a| a.starts_with('/') || a.starts_with('$')));
        if lone || with_args {
            return Some(t.to_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heredocs_and_substitutions_are_recognised() {
        assert_eq!(
            heredoc_word("kubectl apply -f - <<'EOF'"),
            Some(("EOF".to_owned(), false))
        );
        assert_eq!(
            heredoc_word("kubectl create -f- <<-END"),
            Some(("END".to_owned(), true))
        );
        assert!(kubectl_stdin("kubectl create -f- <<-END"));
        assert!(!kubectl_stdin("cat <<EOF"));
        assert_eq!(heredoc_word("grep x <<< $y"), None);
        let h = heredocs(&["kubectl apply -f - <<EOF", "a: 1", "EOF", "ls"]);
        assert_eq!(
            h,
            [HereDoc {
                command: 0,
                kubectl: true,
                body: vec!["a: 1".to_owned()]
            }]
        );
        assert_eq!(
            substitution_span("kill `cat /tmp/pid`"),
            Some("cat /tmp/pid".into())
        );
        assert_eq!(
            substitution_span("echo `hostname`"),
            Some("hostname".into())
        );
        assert_eq!(substitution_span("curl http://`X.X.X.X`:8080"), None);
        assert_eq!(substitution_span("ssh `user`@`A.B.C.D`"), None);
        assert_eq!(substitution_span("go get `-v` github.com/x"), None);
    }
}
