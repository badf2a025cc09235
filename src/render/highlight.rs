//! Code blocks as remark shows them: one `div.remark-code-line` per line,
//! `` `spans` `` between backticks highlighted (remark's `highlightSpans`),
//! and syntax colouring done at build time with syntect (class-based, so the
//! theme's CSS decides the colours).

use crate::remark::displayed::{Segment, span_segments};
use std::sync::{Arc, OnceLock};

use super::memo::Memo;
use syntect::parsing::{
    ParseState, ScopeStack, ScopeStackOp, SyntaxDefinition, SyntaxReference, SyntaxSet,
    SyntaxSetBuilder,
};

/// Rendered code blocks, shared by every deck of a build: decks reuse
/// chapters, and `--` steps repeat their code.
#[derive(Default)]
pub struct Highlighter {
    cache: Memo<(String, String, CodeOptions), Arc<str>>,
}

/// remark's options that change code blocks (remark 0.14
/// src/remark/views/slideView.js `highlightCodeBlocks`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct CodeOptions {
    /// `highlightLanguage`: the language of blocks that name none.
    pub language: String,
    /// `highlightLines`: a line starting with `*` is highlighted (the `*`
    /// becomes a space, `line.replace(/^\*( )?/, '$1$1')`).
    pub lines: bool,
    /// `highlightSpans`: `` `text` `` inside code is highlighted (the
    /// backticks go).
    pub spans: bool,
}

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

type Grammar = (SyntaxSet, SyntaxReference);

/// Our own grammars (`shell.sublime-syntax`, `yaml.sublime-syntax`: see
/// each one's header for why we have it), parsed ahead of time by
/// `tools/syntax-dump` into syntect's binary dump of `(name, definition)`
/// pairs. Reading the grammars' YAML here would need syntect's `yaml-load`,
/// and with it `yaml-rust` (unmaintained, RUSTSEC-2024-0320);
/// `syntaxes.fnv` records which grammar texts the dump was made from, and a
/// test below fails when they changed without a new dump.
static OWN_GRAMMARS: &[u8] = include_bytes!("syntaxes.bin");

/// One of our own grammars, alone in its set.
fn own_grammar(name: &str) -> Option<Grammar> {
    let defs: Vec<(String, SyntaxDefinition)> = syntect::dumps::from_reader(OWN_GRAMMARS).ok()?;
    let (_, def) = defs.into_iter().find(|(n, _)| n == name)?;
    let mut builder = SyntaxSetBuilder::new();
    builder.add(def);
    let set = builder.build();
    let syntax = set.syntaxes().first()?.clone();
    Some((set, syntax))
}

fn shell() -> Option<&'static Grammar> {
    static SHELL: OnceLock<Option<Grammar>> = OnceLock::new();
    SHELL.get_or_init(|| own_grammar("shell")).as_ref()
}

fn yaml() -> Option<&'static Grammar> {
    static YAML: OnceLock<Option<Grammar>> = OnceLock::new();
    YAML.get_or_init(|| own_grammar("yaml")).as_ref()
}

/// The grammar (and the set it lives in) for a fence language as remark
/// users write it.
fn syntax_for(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let token = match lang.to_ascii_lowercase().as_str() {
        "sh" | "shell" | "console" | "zsh" | "bash" => {
            return shell().map(|(set, syntax)| (set, syntax));
        }
        "yaml" | "yml" => return yaml().map(|(set, syntax)| (set, syntax)),
        "golang" => "go".to_owned(),
        "dockerfile" | "docker" | "text" | "plaintext" | "no-highlight" | "nohighlight" => {
            return None;
        }
        other => other.to_owned(),
    };
    // syntect's default set (every other language) is only read when a
    // deck has a block in one of them.
    let set = syntaxes();
    set.find_syntax_by_token(&token).map(|s| (set, s))
}

impl Highlighter {
    pub fn new() -> Self {
        Highlighter::default()
    }

    /// `<pre><code ...>` for a code block. `lang` is the fence's language
    /// (empty for none, and then no colouring, as remark does).
    pub fn code_block(&self, lang: &str, code: &str, opts: &CodeOptions) -> Arc<str> {
        self.cache
            .get_or_compute((lang.to_owned(), code.to_owned(), opts.clone()), || {
                render_block(lang, code, opts).into()
            })
    }
}

fn render_block(lang: &str, code: &str, opts: &CodeOptions) -> String {
    // remark: `if (block.className === '') block.className = highlightLanguage`.
    let lang = if lang.is_empty() {
        opts.language.as_str()
    } else {
        lang
    };
    let mut out = String::with_capacity(code.len() * 2 + 64);
    out.push_str("<pre><code class=\"remark-code");
    if !lang.is_empty() {
        out.push_str(" hljs ");
        escape_into(&mut out, lang);
    }
    out.push_str("\">");
    let mut lines: Vec<&str> = code.split('\n').collect();
    // remark drops the empty line after the last newline.
    if lines.len() > 1 && lines.last() == Some(&"") {
        lines.pop();
    }
    let syntax = if lang.is_empty() {
        None
    } else {
        syntax_for(lang)
    };
    let mut state = syntax.map(|(set, s)| (set, ParseState::new(s), ScopeStack::new()));
    for line in lines {
        let marked;
        let (line, highlighted) = match line.strip_prefix('*') {
            Some(rest) if opts.lines => {
                marked = match rest.strip_prefix(' ') {
                    Some(r) => format!("  {r}"),
                    None => rest.to_owned(),
                };
                (marked.as_str(), true)
            }
            _ => (line, false),
        };
        out.push_str(if highlighted {
            "<div class=\"remark-code-line remark-code-line-highlighted\">"
        } else {
            "<div class=\"remark-code-line\">"
        });
        let segments = if opts.spans {
            span_segments(line)
        } else {
            vec![Segment {
                text: line,
                highlighted: false,
            }]
        };
        let plain: String = segments.iter().map(|s| s.text).collect();
        // Colouring runs on the text the student sees (backticks removed).
        let ops = match &mut state {
            Some((set, parse, _)) => {
                let mut with_newline = plain.clone();
                with_newline.push('\n');
                parse.parse_line(&with_newline, set).ok()
            }
            None => None,
        };
        match (ops, &mut state) {
            (Some(ops), Some((_, _, stack))) => emit_coloured(&mut out, &segments, &ops, stack),
            _ => emit_plain(&mut out, &segments),
        }
        out.push_str("</div>");
    }
    out.push_str("</code></pre>");
    out
}

const SPAN_OPEN: &str = "<span class=\"remark-code-span-highlighted\">";

fn emit_plain(out: &mut String, segments: &[Segment]) {
    for s in segments {
        if s.highlighted {
            out.push_str(SPAN_OPEN);
            escape_into(out, s.text);
            out.push_str("</span>");
        } else {
            escape_into(out, s.text);
        }
    }
}

/// Emits the line with syntax spans, closing and reopening them around the
/// backtick highlights so that the HTML nests properly.
fn emit_coloured(
    out: &mut String,
    segments: &[Segment],
    ops: &[(usize, ScopeStackOp)],
    stack: &mut ScopeStack,
) {
    // Class attribute for each open scope (the line starts with the scopes
    // left open by the previous line).
    let mut open: Vec<Classes> = stack.as_slice().iter().map(scope_classes).collect();
    reopen(out, &open);
    let mut ops = ops.iter().peekable();
    let mut pos = 0;
    for seg in segments {
        if seg.highlighted {
            close_all(out, &open);
            out.push_str(SPAN_OPEN);
            reopen(out, &open);
        }
        let end = pos + seg.text.len();
        let mut cursor = pos;
        while let Some((at, op)) = ops.peek() {
            if *at >= end {
                break;
            }
            let at = (*at).max(cursor);
            escape_into(out, &seg.text[cursor - pos..at - pos]);
            cursor = at;
            apply(out, stack, &mut open, op);
            ops.next();
        }
        escape_into(out, &seg.text[cursor - pos..]);
        pos = end;
        if seg.highlighted {
            close_all(out, &open);
            out.push_str("</span>");
            reopen(out, &open);
        }
    }
    // Remaining ops (at the newline) still change the stack for next lines.
    for (_, op) in ops {
        apply(out, stack, &mut open, op);
    }
    close_all(out, &open);
}

/// Applies one scope operation, opening or closing spans to match.
fn apply(out: &mut String, stack: &mut ScopeStack, open: &mut Vec<Classes>, op: &ScopeStackOp) {
    let before = stack.len();
    // An error only means an unbalanced pop in the grammar: ignore it.
    let _ = stack.apply(op);
    let after = stack.len();
    if after > before {
        for s in &stack.as_slice()[before..] {
            let c = scope_classes(s);
            if let Some(c) = &c {
                push_open(out, c);
            }
            open.push(c);
        }
    } else {
        for _ in after..before {
            if let Some(Some(_)) = open.pop() {
                out.push_str("</span>");
            }
        }
    }
}

fn push_open(out: &mut String, classes: &str) {
    out.push_str("<span class=\"");
    out.push_str(classes);
    out.push_str("\">");
}

fn reopen(out: &mut String, open: &[Classes]) {
    for c in open.iter().flatten() {
        push_open(out, c);
    }
}

fn close_all(out: &mut String, open: &[Classes]) {
    for _ in open.iter().flatten() {
        out.push_str("</span>");
    }
}

/// Classes for a scope; none for the structural scopes themes do not colour
/// (`source.*`, `meta.*`, `text.*`), which keeps the page small.
fn scope_classes(scope: &syntect::parsing::Scope) -> Classes {
    // A build meets a few hundred scopes, thousands of times each: each
    // thread names a scope's classes once.
    thread_local! {
        static KNOWN: std::cell::RefCell<std::collections::HashMap<syntect::parsing::Scope, Classes>> =
            std::cell::RefCell::default();
    }
    KNOWN.with(|known| {
        known
            .borrow_mut()
            .entry(*scope)
            .or_insert_with(|| name_classes(scope))
            .clone()
    })
}

/// The `hl-` classes of an open scope (none for the structural ones).
type Classes = Option<std::rc::Rc<str>>;

fn name_classes(scope: &syntect::parsing::Scope) -> Classes {
    let name = scope.build_string();
    if name.starts_with("source") || name.starts_with("meta") || name.starts_with("text") {
        return None;
    }
    let mut out = String::with_capacity(name.len() + 8);
    for (i, atom) in name.split('.').enumerate() {
        if i > 0 {
            out.push(' ');
        }
        out.push_str("hl-");
        out.push_str(atom);
    }
    Some(out.into())
}

/// HTML-escapes text for element content or a quoted attribute value: the
/// one escaper of the project, pulldown-cmark's (`&`, `<`, `>`, `"`, `'`,
/// the characters marked's `escape` replaces too; SIMD on x86-64).
pub fn escape_into(out: &mut String, text: &str) {
    // Writing to a String cannot fail (`StrWrite for String` is infallible).
    let _ = pulldown_cmark_escape::escape_html(out, text);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strip_tags(html: &str) -> String {
        let mut out = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' => in_tag = false,
                _ if !in_tag => out.push(c),
                _ => {}
            }
        }
        out
    }

    #[test]
    fn spans_need_a_character_before_them() {
        let parts = |line| {
            span_segments(line)
                .iter()
                .map(|s| (s.text.to_owned(), s.highlighted))
                .collect::<Vec<_>>()
        };
        assert_eq!(parts("`a` at start"), [("`a` at start".to_owned(), false)]);
        assert_eq!(
            parts("x `b` y"),
            [
                ("x ".to_owned(), false),
                ("b".to_owned(), true),
                (" y".to_owned(), false)
            ]
        );
        let escaped = parts("x \\`c` y");
        assert!(escaped.iter().all(|(_, h)| !h));
        assert_eq!(
            escaped.iter().map(|(t, _)| t.as_str()).collect::<String>(),
            "x `c` y"
        );
    }

    /// The dump is made from the grammars as they are in the tree.
    #[test]
    fn grammar_dump_is_up_to_date() {
        let sources = [
            ("shell.sublime-syntax", include_str!("shell.sublime-syntax")),
            ("yaml.sublime-syntax", include_str!("yaml.sublime-syntax")),
        ];
        let now: String = sources
            .iter()
            .map(|(name, text)| {
                format!(
                    "{:016x}  {name}\n",
                    super::super::fnv::fnv1a64(text.as_bytes())
                )
            })
            .collect();
        assert_eq!(
            include_str!("syntaxes.fnv"),
            now,
            "src/render/*.sublime-syntax changed since src/render/syntaxes.bin was made: \
             run tools/syntax-dump to regenerate (cargo run --manifest-path tools/syntax-dump/Cargo.toml)"
        );
        assert!(shell().is_some(), "the dump holds the shell grammar");
    }

    #[test]
    fn yaml_grammar_loads_and_colours_manifests() {
        assert!(yaml().is_some(), "our YAML grammar parses");
        let html = render_block(
            "yaml",
            "apiVersion: v1 # c\nspec:\n  - name: \"x\"\n    replicas: 3\n",
            &CodeOptions::default(),
        );
        assert!(
            html.contains("<span class=\"hl-entity hl-name hl-tag hl-yaml\">apiVersion</span>"),
            "{html}"
        );
        assert!(
            html.contains("hl-comment")
                && html.contains("hl-string")
                && html.contains("hl-numeric"),
            "{html}"
        );
    }

    #[test]
    fn shell_grammar_loads_and_colours_commands() {
        assert!(shell().is_some(), "our shell grammar parses");
        let html = render_block(
            "bash",
            "kubectl get pods -l app=rng # hi\necho \"$X\" | wc",
            &CodeOptions::default(),
        );
        assert!(
            html.contains("<span class=\"hl-variable hl-function hl-shell\">kubectl</span>"),
            "{html}"
        );
        assert!(html.contains("hl-option"), "{html}");
        assert!(html.contains("hl-comment"), "{html}");
        assert!(html.contains("hl-string"), "{html}");
    }

    #[test]
    fn line_markers_and_spans_follow_the_options() {
        let h = Highlighter::new();
        let off = CodeOptions::default();
        // remark's defaults: `*` and backticks are text.
        assert_eq!(
            &*h.code_block("", "*x `y`\n", &off),
            "<pre><code class=\"remark-code\"><div class=\"remark-code-line\">*x `y`</div></code></pre>"
        );
        let lines = CodeOptions {
            lines: true,
            ..CodeOptions::default()
        };
        // `line.replace(/^\*( )?/, '$1$1')`: `* a` -> `  a`, `*b` -> `b`.
        assert_eq!(
            &*h.code_block("", "* a\n*b\nc", &lines),
            "<pre><code class=\"remark-code\"><div class=\"remark-code-line remark-code-line-highlighted\">  a</div><div class=\"remark-code-line remark-code-line-highlighted\">b</div><div class=\"remark-code-line\">c</div></code></pre>"
        );
        let language = CodeOptions {
            language: "bash".into(),
            ..CodeOptions::default()
        };
        assert!(h.code_block("", "ls", &language).contains("hljs bash"));
    }

    #[test]
    fn lines_become_divs_and_text_survives_colouring() {
        let h = Highlighter::new();
        let spans = CodeOptions {
            spans: true,
            ..CodeOptions::default()
        };
        let html = h
            .code_block("bash", "kubectl get `pods` # all\necho \"a<b\"\n", &spans)
            .to_string();
        assert_eq!(html.matches("remark-code-line").count(), 2);
        assert!(html.contains(SPAN_OPEN));
        assert_eq!(
            strip_tags(&html),
            "kubectl get pods # allecho &quot;a&lt;b&quot;"
        );
        let plain = h.code_block("", "x `y`", &spans);
        assert_eq!(
            &*plain,
            "<pre><code class=\"remark-code\"><div class=\"remark-code-line\">x <span class=\"remark-code-span-highlighted\">y</span></div></code></pre>"
        );
    }
}
