//! Code blocks as remark shows them: one `div.remark-code-line` per line,
//! `` `spans` `` between backticks highlighted (remark's `highlightSpans`),
//! and syntax colouring done at build time with syntect, written with
//! highlight.js's class names (`hljs-keyword`...: [`HLJS_CLASSES`]) so that
//! highlight.js's styles (as remark bundles them) and a deck's own `.hljs-*`
//! rules colour it as they did in remark.

use crate::remark::displayed::{Segment, span_segments};
use std::sync::{Arc, OnceLock};

use super::memo::Memo;
use syntect::parsing::{ParseState, ScopeStack, ScopeStackOp, SyntaxReference, SyntaxSet};

/// Rendered code blocks, shared by every deck of a build: decks reuse
/// chapters, and `--` steps repeat their code.
#[derive(Default)]
pub struct Highlighter {
    cache: Memo<(String, String, CodeOptions), Arc<str>>,
}

/// remark's options that change code blocks: one struct for the page and
/// for what `run` and `lint` read ([`crate::remark::options::CodeOptions`]).
pub use crate::remark::options::CodeOptions;

fn syntaxes() -> &'static SyntaxSet {
    static SET: OnceLock<SyntaxSet> = OnceLock::new();
    SET.get_or_init(SyntaxSet::load_defaults_newlines)
}

/// Our own grammars (`src/render/*.sublime-syntax`: see each one's header
/// for why we have it), parsed and linked into one set ahead of time by
/// `tools/syntax-dump` and kept as syntect's uncompressed binary dump of
/// it. Reading the grammars' YAML here would need syntect's `yaml-load`,
/// and with it `yaml-rust` (unmaintained, RUSTSEC-2024-0320);
/// `syntaxes.fnv` records which grammar texts the dump was made from, and a
/// test below fails when they changed without a new dump.
static OWN_GRAMMARS: &[u8] = include_bytes!("syntaxes.bin");

/// Our own grammars by their scope, and the fence languages (lower case)
/// that name each: highlight.js 9's names and aliases for the language, as
/// remark 0.14.1 bundles it, and the file extensions syntect's own grammar
/// answered to.
const OWN: &[(&str, &[&str])] = &[
    ("source.shell", &["sh", "shell", "console", "zsh", "bash"]),
    ("source.yaml", &["yaml", "yml"]),
    ("source.dockerfile", &["dockerfile", "docker"]),
    ("source.json", &["json"]),
    ("source.go", &["go", "golang"]),
    ("source.python", &["python", "py", "gyp"]),
    ("source.css", &["css"]),
    ("source.js", &["javascript", "js", "jsx"]),
    (
        "source.ruby",
        &["ruby", "rb", "gemspec", "podspec", "thor", "irb"],
    ),
];

/// Our own grammars' set, read once, with the place in it of each [`OWN`]
/// grammar (found by its scope). syntect reads a grammar's contexts, and
/// compiles their regular expressions, when a block first needs them: the
/// grammars no deck uses cost next to nothing.
fn own_set() -> Option<&'static (SyntaxSet, Vec<Option<usize>>)> {
    static SET: OnceLock<Option<(SyntaxSet, Vec<Option<usize>>)>> = OnceLock::new();
    SET.get_or_init(|| {
        let set: SyntaxSet = syntect::dumps::from_uncompressed_data(OWN_GRAMMARS).ok()?;
        let places = OWN
            .iter()
            .map(|(scope, _)| {
                let scope = syntect::parsing::Scope::new(scope).ok()?;
                set.syntaxes().iter().position(|s| s.scope == scope)
            })
            .collect();
        Some((set, places))
    })
    .as_ref()
}

/// Our own grammar for a fence language, if we have one, and its set.
fn own_for(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let at = OWN.iter().position(|(_, langs)| langs.contains(&lang))?;
    let (set, places) = own_set()?;
    let place = (*places.get(at)?)?;
    Some((set, set.syntaxes().get(place)?))
}

/// The grammar (and the set it lives in) for a fence language as remark
/// users write it.
fn syntax_for(lang: &str) -> Option<(&'static SyntaxSet, &'static SyntaxReference)> {
    let lang = lang.to_ascii_lowercase();
    if matches!(
        lang.as_str(),
        "text" | "plaintext" | "no-highlight" | "nohighlight"
    ) {
        return None;
    }
    if let Some(own) = own_for(&lang) {
        return Some(own);
    }
    // syntect's default set (every other language) is only read when a
    // deck has a block in one of them.
    let set = syntaxes();
    set.find_syntax_by_token(&lang).map(|s| (set, s))
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
    let words = keywords_for(lang);
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
        // Colouring runs on the text the student sees (backticks removed),
        // on its first MAX_COLOURED_LINE bytes.
        let coloured = coloured_len(&plain);
        let ops = match &mut state {
            Some((set, parse, _)) => {
                let mut with_newline = plain[..coloured].to_owned();
                with_newline.push('\n');
                parse.parse_line(&with_newline, set).ok()
            }
            None => None,
        };
        match (ops, &mut state) {
            (Some(ops), Some((_, _, stack))) => {
                emit_coloured(&mut out, &segments, &ops, coloured, stack, words)
            }
            _ => emit_plain(&mut out, &segments),
        }
        out.push_str("</div>");
    }
    out.push_str("</code></pre>");
    out
}

/// How much of a code line is coloured: the rest is shown as the scopes
/// open at that point leave it (a key's value, a comment's end). A grammar's
/// search may start again at every token and scan to the line's end, so a
/// line costs up to the square of its length (10 kB of `- - ... a: [` took
/// 0.6 s, a deck of them minutes); capped, a line costs at most a few
/// milliseconds. No line of the corpus's code comes near it (147 bytes at
/// most); a kubeconfig's certificate line keeps its key's colour.
pub const MAX_COLOURED_LINE: usize = 1000;

/// The length of `line`'s coloured part: [`MAX_COLOURED_LINE`] bytes at
/// most, cut at a character's start.
fn coloured_len(line: &str) -> usize {
    let mut end = line.len().min(MAX_COLOURED_LINE);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    end
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
/// backtick highlights so that the HTML nests properly. `ops` are for the
/// line's first `coloured` bytes and its end: the text after them stays in
/// the scopes open there.
fn emit_coloured(
    out: &mut String,
    segments: &[Segment],
    ops: &[(usize, ScopeStackOp)],
    coloured: usize,
    stack: &mut ScopeStack,
    words: Option<Keywords>,
) {
    // Class attribute for each open scope (the line starts with the scopes
    // left open by the previous line).
    let scopes = stack.as_slice();
    let mut open: Vec<Option<&'static str>> = (0..scopes.len())
        .map(|i| scope_classes(&scopes[..i], &scopes[i]))
        .collect();
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
            if *at >= end || *at >= coloured {
                break;
            }
            let at = (*at).max(cursor);
            let here = words.map(|w| w.at(stack));
            emit_text(out, &seg.text[cursor - pos..at - pos], &open, here);
            cursor = at;
            apply(out, stack, &mut open, op);
            ops.next();
        }
        let here = words.map(|w| w.at(stack));
        emit_text(out, &seg.text[cursor - pos..], &open, here);
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

/// highlight.js 9's bash `built_in` list (see [`keywords_for`]), sorted (a
/// test says so) and searched by bisection: it is asked about every word
/// of every bash line.
const BASH_BUILT_IN: &[&str] = &[
    "alias",
    "autoload",
    "bg",
    "bind",
    "bindkey",
    "break",
    "builtin",
    "bye",
    "caller",
    "cap",
    "cd",
    "chdir",
    "clone",
    "command",
    "comparguments",
    "compcall",
    "compctl",
    "compdescribe",
    "compfiles",
    "compgroups",
    "compquote",
    "comptags",
    "comptry",
    "compvalues",
    "continue",
    "declare",
    "dirs",
    "disable",
    "disown",
    "echo",
    "echotc",
    "echoti",
    "emulate",
    "enable",
    "eval",
    "exec",
    "exit",
    "export",
    "fc",
    "fg",
    "float",
    "functions",
    "getcap",
    "getln",
    "getopts",
    "hash",
    "help",
    "history",
    "integer",
    "jobs",
    "kill",
    "let",
    "limit",
    "local",
    "log",
    "logout",
    "mapfile",
    "noglob",
    "popd",
    "print",
    "printf",
    "pushd",
    "pushln",
    "pwd",
    "read",
    "readarray",
    "readonly",
    "rehash",
    "return",
    "sched",
    "set",
    "setcap",
    "setopt",
    "shift",
    "shopt",
    "source",
    "stat",
    "suspend",
    "test",
    "times",
    "trap",
    "ttyctl",
    "type",
    "typeset",
    "ulimit",
    "umask",
    "unalias",
    "unfunction",
    "unhash",
    "unlimit",
    "unset",
    "unsetopt",
    "vared",
    "wait",
    "whence",
    "where",
    "which",
    "zcompile",
    "zformat",
    "zftp",
    "zle",
    "zmodload",
    "zparseopts",
    "zprof",
    "zpty",
    "zregexparse",
    "zsocket",
    "zstyle",
    "ztcp",
];

/// A language's keyword classes by word, as highlight.js gives them to
/// words anywhere outside its modes (strings, comments...), and the
/// characters its words (`lexemes`) are made of.
#[derive(Clone, Copy)]
struct Keywords {
    class_of: fn(&str) -> Option<&'static str>,
    /// bash's lexemes (`\b-?[a-z\._]+\b`), else highlight.js's default
    /// ones (`\w+`: dockerfile.js sets none).
    bash: bool,
    /// A Dockerfile's top level: its modes have keywords of their own
    /// ([`Keywords::at`]).
    dockerfile: bool,
}

impl Keywords {
    /// The keywords that apply where `stack` is: in a Dockerfile, bash's in
    /// the shell its RUN embeds (`dockerfile.sublime-syntax`'s
    /// `embed_scope`), the FROM mode's in FROM's arguments (`meta_scope`).
    fn at(self, stack: &ScopeStack) -> Keywords {
        if !self.dockerfile {
            return self;
        }
        static SCOPES: OnceLock<Option<[syntect::parsing::Scope; 2]>> = OnceLock::new();
        let Some([shell, arguments]) = SCOPES.get_or_init(|| {
            let scope = |s: &str| syntect::parsing::Scope::new(s).ok();
            Some([
                scope("meta.embedded.shell.dockerfile")?,
                scope("meta.arguments.dockerfile")?,
            ])
        }) else {
            return self;
        };
        let scopes = stack.as_slice();
        if scopes.contains(shell) {
            keywords_for("bash").unwrap_or(self)
        } else if scopes.contains(arguments) {
            Keywords {
                class_of: dockerfile_arguments,
                ..self
            }
        } else {
            self
        }
    }
}

/// The keywords of highlight.js 9's dockerfile FROM mode (FROM, MAINTAINER,
/// EXPOSE, ENV and USER's arguments), case-insensitive.
fn dockerfile_arguments(word: &str) -> Option<&'static str> {
    keyword_ignoring_case(
        &["from", "maintainer", "expose", "env", "user", "onbuild"],
        word,
    )
}

/// `keyword` when `word` is one of `keywords`, case aside (dockerfile.js's
/// `case_insensitive`).
fn keyword_ignoring_case(keywords: &[&str], word: &str) -> Option<&'static str> {
    keywords
        .iter()
        .any(|k| k.eq_ignore_ascii_case(word))
        .then_some("keyword")
}

/// highlight.js 9's bash keywords (languages/bash.js as remark 0.14.1
/// bundles it: `keyword`, `literal`, `built_in` and `_` lists), for the
/// languages it highlights as bash (`bash`, `sh`, `zsh`): a `for`, an
/// `echo` or a `kubectl exec` is coloured wherever it is, `-l` gets `_`.
fn keywords_for(lang: &str) -> Option<Keywords> {
    fn bash(word: &str) -> Option<&'static str> {
        const KEYWORD: &[&str] = &[
            "if", "then", "else", "elif", "fi", "for", "while", "in", "do", "done", "case", "esac",
            "function",
        ];
        const LITERAL: &[&str] = &["true", "false"];
        const UNDERSCORE: &[&str] = &[
            "-ne", "-eq", "-lt", "-gt", "-f", "-d", "-e", "-s", "-l", "-a",
        ];
        if KEYWORD.contains(&word) {
            Some("keyword")
        } else if LITERAL.contains(&word) {
            Some("literal")
        } else if UNDERSCORE.contains(&word) {
            Some("_")
        } else if BASH_BUILT_IN.binary_search(&word).is_ok() {
            Some("built_in")
        } else {
            None
        }
    }
    /// highlight.js 9's dockerfile `keywords` (languages/dockerfile.js as
    /// remark 0.14.1 bundles it), case-insensitive, for words outside the
    /// instruction modes the grammar colours itself.
    fn dockerfile(word: &str) -> Option<&'static str> {
        const KEYWORD: &[&str] = &[
            "from",
            "maintainer",
            "cmd",
            "expose",
            "add",
            "copy",
            "entrypoint",
            "volume",
            "user",
            "workdir",
            "onbuild",
            "run",
            "env",
            "label",
        ];
        keyword_ignoring_case(KEYWORD, word)
    }
    match lang.to_ascii_lowercase().as_str() {
        "bash" | "sh" | "zsh" => Some(Keywords {
            class_of: bash,
            bash: true,
            dockerfile: false,
        }),
        "dockerfile" | "docker" => Some(Keywords {
            class_of: dockerfile,
            bash: false,
            dockerfile: true,
        }),
        _ => None,
    }
}

/// Text outside any coloured span: with the language's keywords coloured
/// (highlight.js's lexemes for bash, `\b-?[a-z\._]+\b`), else as it is.
fn emit_text(out: &mut String, text: &str, open: &[Option<&'static str>], words: Option<Keywords>) {
    let Some(Keywords { class_of, bash, .. }) = words.filter(|_| open.iter().all(Option::is_none))
    else {
        escape_into(out, text);
        return;
    };
    let b = text.as_bytes();
    let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_';
    let lexeme = |c: u8| {
        if bash {
            c.is_ascii_lowercase() || c == b'.' || c == b'_'
        } else {
            word(c)
        }
    };
    let mut from = 0;
    let mut p = 0;
    while p < b.len() {
        let start = p;
        let body = if bash && b[p] == b'-' { p + 1 } else { p };
        let before_ok = start == 0 || !word(b[start - 1]);
        let mut end = body;
        while end < b.len() && lexeme(b[end]) {
            end += 1;
        }
        if before_ok && end > body && (end == b.len() || !word(b[end])) {
            if let Some(class) = class_of(&text[start..end]) {
                escape_into(out, &text[from..start]);
                push_open(out, class);
                escape_into(out, &text[start..end]);
                out.push_str("</span>");
                from = end;
            }
            p = end;
        } else {
            p = end.max(start + 1);
        }
    }
    escape_into(out, &text[from..]);
}

/// Applies one scope operation, opening or closing spans to match.
fn apply(
    out: &mut String,
    stack: &mut ScopeStack,
    open: &mut Vec<Option<&'static str>>,
    op: &ScopeStackOp,
) {
    let before = stack.len();
    // An error only means an unbalanced pop in the grammar: ignore it.
    let _ = stack.apply(op);
    let after = stack.len();
    if after > before {
        let scopes = stack.as_slice();
        for (i, s) in scopes.iter().enumerate().skip(before) {
            let c = scope_classes(&scopes[..i], s);
            if let Some(c) = c {
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

fn push_open(out: &mut String, class: &str) {
    out.push_str("<span class=\"hljs-");
    out.push_str(class);
    out.push_str("\">");
}

fn reopen(out: &mut String, open: &[Option<&'static str>]) {
    for c in open.iter().flatten() {
        push_open(out, c);
    }
}

fn close_all(out: &mut String, open: &[Option<&'static str>]) {
    for _ in open.iter().flatten() {
        out.push_str("</span>");
    }
}

/// highlight.js's class for a syntect scope: the first row whose scope
/// prefix (whole atoms) the scope starts with; none when no row matches or
/// the row says none (structural scopes `source.*`, `meta.*`, punctuation
/// and operators, which highlight.js 9 leaves uncoloured too).
///
/// The classes are highlight.js 9's (docs/css-classes-reference.rst), as
/// remark 0.14.1 bundles it and its styles colour them
/// (src/render/highlight-styles.css), so that a deck's own `.hljs-*` rules
/// apply. Rows follow what highlight.js's language definitions call the same
/// token (languages/yaml.js: keys are `attr`, `---` is `meta`, `&a`/`*a`
/// are `type`; languages/bash.js: `$X` is `variable`, commands are plain;
/// languages/xml.js: `tag` around `name` and `attr`). Our JSON, Go,
/// Python, CSS, JavaScript and Ruby grammars name highlight.js's classes
/// outright ([`hljs_class`]); these rows serve the others, and syntect's
/// own grammars for every other language.
const HLJS_CLASSES: &[(&str, Option<&str>)] = &[
    ("comment", Some("comment")),
    // languages/yaml.js: the key's `:` is part of the `attr`.
    ("punctuation.separator.key-value.mapping.yaml", Some("attr")),
    ("punctuation.definition.list_item", Some("bullet")),
    ("string.regexp", Some("regexp")),
    ("string", Some("string")),
    ("constant.numeric", Some("number")),
    ("constant.language", Some("literal")),
    ("constant.other.symbol", Some("symbol")),
    ("keyword.operator", None),
    ("keyword.control.flow.block-scalar", None),
    ("keyword", Some("keyword")),
    ("storage", Some("keyword")),
    ("entity.name.tag.yaml", Some("attr")),
    ("entity.name.tag", Some("name")),
    ("entity.name.section", Some("section")),
    ("entity.name", Some("title")),
    ("entity.other.attribute-name", Some("attr")),
    ("entity.other.inherited-class", Some("title")),
    ("entity.other.document", Some("meta")),
    ("support.function", Some("built_in")),
    ("support.class", Some("built_in")),
    ("support.type", Some("built_in")),
    ("support.constant", Some("built_in")),
    ("variable.language", Some("keyword")),
    ("variable.other.alias.yaml", Some("type")),
    ("variable.other.shell", Some("variable")),
    ("markup.heading", Some("section")),
    ("markup.bold", Some("strong")),
    ("markup.italic", Some("emphasis")),
    ("markup.inserted", Some("addition")),
    ("markup.deleted", Some("deletion")),
    ("markup.quote", Some("quote")),
    ("markup.raw", Some("code")),
    ("markup.underline.link", Some("link")),
    ("meta.tag", Some("tag")),
    ("meta.preprocessor", Some("meta")),
];

/// The class for a scope ([`hljs_class`], else [`HLJS_CLASSES`]) inside
/// `outer`: in syntect's own grammars, a string that is a mapping's key
/// (inside a `meta.*.key.*` scope, as its JSON grammar wrote `"a":`) is
/// highlight.js's `attr` (languages/json.js), not a `string`.
fn scope_classes(
    outer: &[syntect::parsing::Scope],
    scope: &syntect::parsing::Scope,
) -> Option<&'static str> {
    let info = scope_info(scope);
    if info.string && outer.iter().any(|o| scope_info(o).meta_key) {
        return Some("attr");
    }
    info.class
}

/// The class a scope of our own grammars names outright: `hljs.CLASS.LANG`
/// is highlight.js's class CLASS (the json, go, python, css, javascript
/// and ruby `.sublime-syntax` follow highlight.js's modes one to one, and
/// their classes are its: `function`, `params`, `doctag`, `selector-tag`...).
fn hljs_class(name: &str) -> Option<&'static str> {
    let class = name.strip_prefix("hljs.")?.split('.').next()?;
    HLJS_OWN_CLASSES.iter().find(|c| **c == class).copied()
}

/// highlight.js 9's class names our grammars use (the `hljs.` scopes).
const HLJS_OWN_CLASSES: &[&str] = &[
    "attr",
    "attribute",
    "built_in",
    "class",
    "comment",
    "doctag",
    "function",
    "keyword",
    "literal",
    "meta",
    "number",
    "params",
    "regexp",
    "selector-attr",
    "selector-class",
    "selector-id",
    "selector-pseudo",
    "selector-tag",
    "string",
    "subst",
    "symbol",
    "title",
];

/// What [`scope_classes`] reads of one scope.
#[derive(Clone, Copy)]
struct ScopeInfo {
    /// Its [`HLJS_CLASSES`] row's class.
    class: Option<&'static str>,
    /// `string...`
    string: bool,
    /// `meta....key...`: a string inside is a key (`attr`).
    meta_key: bool,
}

/// [`ScopeInfo`] of `scope`, worked out once per scope and thread: a scope
/// is interned atoms, and naming it (`build_string`) allocates; it is asked
/// for every token of every line.
fn scope_info(scope: &syntect::parsing::Scope) -> ScopeInfo {
    type Known =
        std::collections::HashMap<syntect::parsing::Scope, ScopeInfo, crate::hashing::Seeded>;
    thread_local! {
        static KNOWN: std::cell::RefCell<Known> = std::cell::RefCell::new(Known::default());
    }
    let work_out = || {
        let name = scope.build_string();
        ScopeInfo {
            class: hljs_class(&name).or_else(|| {
                HLJS_CLASSES
                    .iter()
                    .find(|(prefix, _)| {
                        name.strip_prefix(prefix)
                            .is_some_and(|rest| rest.is_empty() || rest.starts_with('.'))
                    })
                    .and_then(|(_, class)| *class)
            }),
            string: name.starts_with("string"),
            meta_key: name.starts_with("meta.") && name.split('.').any(|atom| atom == "key"),
        }
    };
    KNOWN.with(|known| match known.try_borrow_mut() {
        Ok(mut known) => *known.entry(*scope).or_insert_with(work_out),
        Err(_) => work_out(),
    })
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

    #[test]
    fn bash_built_ins_are_sorted_for_bisection() {
        assert!(BASH_BUILT_IN.windows(2).all(|w| w[0] < w[1]));
        let bash = keywords_for("bash").unwrap().class_of;
        for word in BASH_BUILT_IN {
            assert_eq!(bash(word), Some("built_in"), "{word}");
        }
        assert_eq!(bash("kubectl"), None);
    }

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
            (
                "dockerfile.sublime-syntax",
                include_str!("dockerfile.sublime-syntax"),
            ),
            ("json.sublime-syntax", include_str!("json.sublime-syntax")),
            ("go.sublime-syntax", include_str!("go.sublime-syntax")),
            (
                "python.sublime-syntax",
                include_str!("python.sublime-syntax"),
            ),
            ("css.sublime-syntax", include_str!("css.sublime-syntax")),
            (
                "javascript.sublime-syntax",
                include_str!("javascript.sublime-syntax"),
            ),
            ("ruby.sublime-syntax", include_str!("ruby.sublime-syntax")),
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
        for (scope, langs) in OWN {
            let (_, syntax) = own_for(langs[0]).unwrap_or_else(|| panic!("the dump holds {scope}"));
            assert_eq!(syntax.scope.build_string(), *scope);
        }
    }

    /// Go, Python, JSON, CSS, JavaScript and Ruby blocks are coloured as remark 0.14.1's
    /// highlight.js 9 colours them: each expected text is the `innerHTML`
    /// of remark's `<code>` for the same block in Chromium
    /// (tools/hljs-agreement.py's way), which leaves quotes unescaped
    /// (tabs are marked's to expand, before the code gets here).
    #[test]
    fn own_grammars_colour_as_highlight_js() {
        let cases = [
            (
                "go",
                "package main\nimport \"fmt\"\n// TODO: more\nfunc (s *S) Start(n int) error {\n    x := 0x1F + 2.5e3 // c\n    fmt.Println(`raw`, 'c', len(s.v), nil)\n}\n",
                r##"<div class="remark-code-line"><span class="hljs-keyword">package</span> main</div><div class="remark-code-line"><span class="hljs-keyword">import</span> <span class="hljs-string">"fmt"</span></div><div class="remark-code-line"><span class="hljs-comment">// <span class="hljs-doctag">TODO:</span> more</span></div><div class="remark-code-line"><span class="hljs-function"><span class="hljs-keyword">func</span> <span class="hljs-params">(s *S)</span> <span class="hljs-title">Start</span><span class="hljs-params">(n <span class="hljs-keyword">int</span>)</span> <span class="hljs-title">error</span></span> {</div><div class="remark-code-line">    x := <span class="hljs-number">0x1F</span> + <span class="hljs-number">2.5e3</span> <span class="hljs-comment">// c</span></div><div class="remark-code-line">    fmt.Println(<span class="hljs-string">`raw`</span>, <span class="hljs-string">'c'</span>, <span class="hljs-built_in">len</span>(s.v), <span class="hljs-literal">nil</span>)</div><div class="remark-code-line">}</div>"##,
            ),
            (
                "python",
                "@app.route(\"/\")\ndef f(x, y=None) -> int:\n    \"\"\"doc\"\"\"\n    return [i * 2 for i in range(0b101)]  # TODO: c\nclass C(object):\n    pass\nprint(\"x\", b'y', True)\n",
                r##"<div class="remark-code-line"><span class="hljs-meta">@app.route("/")</span></div><div class="remark-code-line"><span class="hljs-function"><span class="hljs-keyword">def</span> <span class="hljs-title">f</span><span class="hljs-params">(x, y=None)</span> -&gt; int:</span></div><div class="remark-code-line">    <span class="hljs-string">"""doc"""</span></div><div class="remark-code-line">    <span class="hljs-keyword">return</span> [i * <span class="hljs-number">2</span> <span class="hljs-keyword">for</span> i <span class="hljs-keyword">in</span> range(<span class="hljs-number">0b101</span>)]  <span class="hljs-comment"># <span class="hljs-doctag">TODO:</span> c</span></div><div class="remark-code-line"><span class="hljs-class"><span class="hljs-keyword">class</span> <span class="hljs-title">C</span><span class="hljs-params">(object)</span>:</span></div><div class="remark-code-line">    <span class="hljs-keyword">pass</span></div><div class="remark-code-line">print(<span class="hljs-string">"x"</span>, <span class="hljs-string">b'y'</span>, <span class="hljs-keyword">True</span>)</div>"##,
            ),
            (
                "json",
                "{\"a\": 1, \"b\": [true, null, \"s\", {\"c\": -2.5e3}], \"d\\\"e\": {\"f\": false}}\n",
                r##"<div class="remark-code-line">{<span class="hljs-attr">"a"</span>: <span class="hljs-number">1</span>, <span class="hljs-attr">"b"</span>: [<span class="hljs-literal">true</span>, <span class="hljs-literal">null</span>, <span class="hljs-string">"s"</span>, {<span class="hljs-attr">"c"</span>: <span class="hljs-number">-2.5e3</span>}], <span class="hljs-attr">"d\"e"</span>: {<span class="hljs-attr">"f"</span>: <span class="hljs-literal">false</span>}}</div>"##,
            ),
            (
                "css",
                "color: royalblue;\n.a #b, p:hover[x] { margin: 0 auto !important; background: url(\"x.png\") #fff; }\n@media screen { }\n",
                r##"<div class="remark-code-line"><span class="hljs-selector-tag">color</span>: <span class="hljs-selector-tag">royalblue</span>;</div><div class="remark-code-line"><span class="hljs-selector-class">.a</span> <span class="hljs-selector-id">#b</span>, <span class="hljs-selector-tag">p</span><span class="hljs-selector-pseudo">:hover</span><span class="hljs-selector-attr">[x]</span> { <span class="hljs-attribute">margin</span>: <span class="hljs-number">0</span> auto <span class="hljs-meta">!important</span>; <span class="hljs-attribute">background</span>: <span class="hljs-built_in">url</span>(<span class="hljs-string">"x.png"</span>) <span class="hljs-number">#fff</span>; }</div><div class="remark-code-line">@<span class="hljs-keyword">media</span> screen { }</div>"##,
            ),
            (
                "javascript",
                "'use strict';\nconst http = require('http'); // TODO: x\nserver.listen(8080, () => console.log(`a ${b} c`));\nlet a$require = requireX, r = /a[/]b/g, d = x / 2;\nfunction f(a, b) { return a + 1; }\nclass A extends B { constructor() { this.v = /re/g; } }\napp.get('/', function (req, res) {\n  res.redirect('/index.html');\n});\nif (x.default) { throw new Error(\"no\"); }\n",
                r##"<div class="remark-code-line"><span class="hljs-meta">'use strict'</span>;</div><div class="remark-code-line"><span class="hljs-keyword">const</span> http = <span class="hljs-built_in">require</span>(<span class="hljs-string">'http'</span>); <span class="hljs-comment">// <span class="hljs-doctag">TODO:</span> x</span></div><div class="remark-code-line">server.listen(<span class="hljs-number">8080</span>, () =&gt; <span class="hljs-built_in">console</span>.log(<span class="hljs-string">`a <span class="hljs-subst">${b}</span> c`</span>));</div><div class="remark-code-line"><span class="hljs-keyword">let</span> a$<span class="hljs-built_in">require</span> = requireX, r = <span class="hljs-regexp">/a[/]b/g</span>, d = x / <span class="hljs-number">2</span>;</div><div class="remark-code-line"><span class="hljs-function"><span class="hljs-keyword">function</span> <span class="hljs-title">f</span>(<span class="hljs-params">a, b</span>) </span>{ <span class="hljs-keyword">return</span> a + <span class="hljs-number">1</span>; }</div><div class="remark-code-line"><span class="hljs-class"><span class="hljs-keyword">class</span> <span class="hljs-title">A</span> <span class="hljs-keyword">extends</span> <span class="hljs-title">B</span> </span>{ <span class="hljs-keyword">constructor</span>() { <span class="hljs-keyword">this</span>.v = <span class="hljs-regexp">/re/g</span>; } }</div><div class="remark-code-line">app.get(<span class="hljs-string">'/'</span>, <span class="hljs-function"><span class="hljs-keyword">function</span> (<span class="hljs-params">req, res</span>) </span>{</div><div class="remark-code-line">  res.redirect(<span class="hljs-string">'/index.html'</span>);</div><div class="remark-code-line">});</div><div class="remark-code-line"><span class="hljs-keyword">if</span> (x.default) { <span class="hljs-keyword">throw</span> <span class="hljs-keyword">new</span> <span class="hljs-built_in">Error</span>(<span class="hljs-string">"no"</span>); }</div>"##,
            ),
            (
                "ruby",
                "# TODO @param x\nrequire 'sinatra'\nclass Hasher < Sinatra::Base\n  def hash_of(data, n = 2)\n    x = data =~ /a#{n}b/i\n    [1, 0x1F, :sym, key: \"v #{Socket.gethostname} w\", %w(a b)].each do |i| puts i end\n  end\nend\nget '/' do\n  \"HASHER running on #{Socket.gethostname}\\n\"\nend\n@count += 1 if $DEBUG || nil\n",
                r##"<div class="remark-code-line"><span class="hljs-comment"># TODO <span class="hljs-doctag">@param</span> x</span></div><div class="remark-code-line"><span class="hljs-keyword">require</span> <span class="hljs-string">'sinatra'</span></div><div class="remark-code-line"><span class="hljs-class"><span class="hljs-keyword">class</span> <span class="hljs-title">Hasher</span> &lt; Sinatra::Base</span></div><div class="remark-code-line">  <span class="hljs-function"><span class="hljs-keyword">def</span> <span class="hljs-title">hash_of</span><span class="hljs-params">(data, n = <span class="hljs-number">2</span>)</span></span></div><div class="remark-code-line">    x = data =~ <span class="hljs-regexp">/a<span class="hljs-subst">#{n}</span>b/i</span></div><div class="remark-code-line">    [<span class="hljs-number">1</span>, <span class="hljs-number">0x1F</span>, <span class="hljs-symbol">:sym</span>, <span class="hljs-symbol">key:</span> <span class="hljs-string">"v <span class="hljs-subst">#{Socket.gethostname}</span> w"</span>, <span class="hljs-string">%w(a b)</span>].each <span class="hljs-keyword">do</span> <span class="hljs-params">|i|</span> puts i <span class="hljs-keyword">end</span></div><div class="remark-code-line">  <span class="hljs-keyword">end</span></div><div class="remark-code-line"><span class="hljs-keyword">end</span></div><div class="remark-code-line">get <span class="hljs-string">'/'</span> <span class="hljs-keyword">do</span></div><div class="remark-code-line">  <span class="hljs-string">"HASHER running on <span class="hljs-subst">#{Socket.gethostname}</span>\n"</span></div><div class="remark-code-line"><span class="hljs-keyword">end</span></div><div class="remark-code-line">@count += <span class="hljs-number">1</span> <span class="hljs-keyword">if</span> $DEBUG <span class="hljs-params">||</span> <span class="hljs-literal">nil</span></div>"##,
            ),
        ];
        for (lang, code, remark) in cases {
            let html = render_block(lang, code, &CodeOptions::default());
            let inner = html
                .split_once("\">")
                .and_then(|(_, rest)| rest.strip_suffix("</code></pre>"))
                .unwrap_or(&html)
                .replace("&quot;", "\"")
                .replace("&#39;", "'");
            assert_eq!(inner, remark, "{lang}");
        }
    }

    /// highlight.js's dockerfile sets no lexemes: its words are `\w+`, so
    /// the `run` of `$run` is a keyword, as remark 0.14.1 shows it (a `$`
    /// was read as part of a word, as javascript.js's identifiers have it).
    #[test]
    fn regression_dockerfile_words_after_a_dollar_are_keywords() {
        let html = render_block(
            "dockerfile",
            "foo $run bar_from from\n",
            &CodeOptions::default(),
        );
        assert!(
            html.ends_with(
                r#"<div class="remark-code-line">foo $<span class="hljs-keyword">run</span> bar_from <span class="hljs-keyword">from</span></div></code></pre>"#
            ),
            "{html}"
        );
    }

    #[test]
    fn yaml_grammar_loads_and_colours_manifests() {
        assert!(own_for("yaml").is_some(), "our YAML grammar parses");
        let html = render_block(
            "yaml",
            "apiVersion: v1 # c\nspec:\n  - name: \"x\"\n    replicas: 3\n",
            &CodeOptions::default(),
        );
        assert!(
            html.contains("<span class=\"hljs-attr\">apiVersion</span>"),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hljs-comment\">")
                && html.contains("<span class=\"hljs-string\">")
                && html.contains("<span class=\"hljs-number\">3</span>"),
            "{html}"
        );
        assert!(!html.contains("\"hl-"), "{html}");
    }

    #[test]
    fn shell_grammar_loads_and_colours_commands() {
        assert!(own_for("bash").is_some(), "our shell grammar parses");
        let html = render_block(
            "bash",
            "kubectl get pods -l app=rng # hi\necho \"$X\" | wc",
            &CodeOptions::default(),
        );
        // highlight.js's bash leaves commands plain, and options but its
        // `_` list (`-l`, `-f`...).
        assert!(
            html.contains("<div class=\"remark-code-line\">kubectl get pods <span class=\"hljs-_\">-l</span> app=rng <span class=\"hljs-comment\">"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hljs-string\">"), "{html}");
        assert!(html.contains("<span class=\"hljs-variable\">"), "{html}");
    }

    /// What remark 0.14.1 shows for a Dockerfile (highlight.js 9's
    /// languages/dockerfile.js): the instruction is a keyword, RUN's and
    /// CMD's arguments are bash, FROM's and ENV's have numbers and strings,
    /// and such a mode whose line ends in a number runs on over the next
    /// line (its end, `[^\\]\n`, needs a character of its own), so the RUN
    /// after `FROM alpine:3.12` is plain. Every non-space character agrees
    /// with remark's class on the corpus's 39 Dockerfile blocks
    /// (tools/hljs-agreement.py's comparison, 3,465 of 3,465).
    #[test]
    fn dockerfile_coloured_as_highlight_js() {
        let html = render_block(
            "dockerfile",
            "FROM alpine:3.12\nRUN apk add curl\nCOPY . /app\nCMD [\"sh\", \"-c\", \"echo hi\"]\nENV V 10.2.1\nRUN cd /x \\\n  && echo $HOME\nRUN echo $HOME # c\n",
            &CodeOptions::default(),
        );
        // Checked against remark 0.14.1 in Chromium: 103 of 103 non-space
        // characters with the same class.
        assert_eq!(
            html,
            "<pre><code class=\"remark-code hljs dockerfile\"><div class=\"remark-code-line\"><span class=\"hljs-keyword\">FROM</span> alpine:<span class=\"hljs-number\">3.12</span></div><div class=\"remark-code-line\">RUN apk add curl</div><div class=\"remark-code-line\"><span class=\"hljs-keyword\">COPY</span> . /app</div><div class=\"remark-code-line\"><span class=\"hljs-keyword\">CMD</span> [<span class=\"hljs-string\">&quot;sh&quot;</span>, <span class=\"hljs-string\">&quot;-c&quot;</span>, <span class=\"hljs-string\">&quot;echo hi&quot;</span>]</div><div class=\"remark-code-line\"><span class=\"hljs-keyword\">ENV</span> V <span class=\"hljs-number\">10.2</span>.<span class=\"hljs-number\">1</span></div><div class=\"remark-code-line\">RUN cd /x \\</div><div class=\"remark-code-line\">  &amp;&amp; echo $HOME</div><div class=\"remark-code-line\"><span class=\"hljs-keyword\">RUN</span> <span class=\"hljs-built_in\">echo</span> <span class=\"hljs-variable\">$HOME</span> <span class=\"hljs-comment\"># c</span></div></code></pre>"
        );
    }

    /// remark colours `const` as highlight.js does: a `keyword`, which
    /// monokai makes pink (#f92672); syntect's scope is `storage.type.js`.
    #[test]
    fn javascript_const_is_an_hljs_keyword() {
        let html = render_block("js", "const x = 'a'; // c\n", &CodeOptions::default());
        assert!(
            html.contains("<span class=\"hljs-keyword\">const</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"hljs-string\">"), "{html}");
        assert!(html.contains("<span class=\"hljs-comment\">"), "{html}");
    }

    /// What remark 0.14.1 gave for these lines (highlight.js 9's bash: its
    /// keywords and builtins wherever they are, not inside strings).
    #[test]
    fn bash_keywords_and_builtins_as_highlight_js() {
        let html = render_block(
            "bash",
            "kubectl exec -ti web -- sh\nfor i in 1 2; do echo \"pod $i\"; done\ntest -f /a && kill -9 $PID\n",
            &CodeOptions::default(),
        );
        assert_eq!(
            html,
            "<pre><code class=\"remark-code hljs bash\"><div class=\"remark-code-line\">kubectl <span class=\"hljs-built_in\">exec</span> -ti web -- sh</div><div class=\"remark-code-line\"><span class=\"hljs-keyword\">for</span> i <span class=\"hljs-keyword\">in</span> 1 2; <span class=\"hljs-keyword\">do</span> <span class=\"hljs-built_in\">echo</span> <span class=\"hljs-string\">&quot;pod <span class=\"hljs-variable\">$i</span>&quot;</span>; <span class=\"hljs-keyword\">done</span></div><div class=\"remark-code-line\"><span class=\"hljs-built_in\">test</span> <span class=\"hljs-_\">-f</span> /a &amp;&amp; <span class=\"hljs-built_in\">kill</span> -9 <span class=\"hljs-variable\">$PID</span></div></code></pre>"
        );
        // `shell`/`console` are highlight.js's console sessions: no keywords.
        let console = render_block("console", "echo hi", &CodeOptions::default());
        assert!(!console.contains("hljs-built_in"), "{console}");
        // Words made of more than lexeme characters are not keywords.
        let html = render_block(
            "bash",
            "kubectl logs k8s-echo echo2",
            &CodeOptions::default(),
        );
        assert!(!html.contains("<span"), "{html}");
    }

    /// highlight.js 9's javascript (languages/javascript.js): `require`,
    /// `console`, `document`... are `built_in` wherever they are; `=>` and
    /// the `log` of `console.log` are not coloured. (ryanrolds-docker's
    /// slide 14 (tests/remark-decks.md) differed from remark there.)
    #[test]
    fn javascript_builtins_and_arrows_as_highlight_js() {
        let html = render_block(
            "javascript",
            "const http = require('http');\nserver.listen(8080, () => console.log('x'));\nlet a$require = requireX;",
            &CodeOptions::default(),
        );
        assert!(
            html.contains("http = <span class=\"hljs-built_in\">require</span>("),
            "{html}"
        );
        assert!(
            html.contains("() =&gt; <span class=\"hljs-built_in\">console</span>.log("),
            "{html}"
        );
        // highlight.js's lexemes are `\w+` (javascript.js sets none): the
        // `require` of `a$require` is a built_in, as remark shows it.
        assert!(
            html.contains("a$<span class=\"hljs-built_in\">require</span> = requireX;"),
            "{html}"
        );
    }

    /// highlight.js's json: keys are `attr`, values `string`/`number`/
    /// `literal`; yaml: the key with its `:` is `attr`.
    #[test]
    fn keys_are_attrs_as_in_highlight_js() {
        let json = render_block(
            "json",
            "{\"a\": \"b\", \"n\": 1, \"t\": true}",
            &CodeOptions::default(),
        );
        assert!(json.contains("<span class=\"hljs-attr\">"), "{json}");
        assert!(json.contains("<span class=\"hljs-string\">"), "{json}");
        assert!(
            json.contains("<span class=\"hljs-number\">1</span>"),
            "{json}"
        );
        assert!(
            json.contains("<span class=\"hljs-literal\">true</span>"),
            "{json}"
        );
        let yaml = render_block("yaml", "kind: Pod\n", &CodeOptions::default());
        assert!(
            yaml.contains(
                "<span class=\"hljs-attr\">kind</span><span class=\"hljs-attr\">:</span>"
            ),
            "{yaml}"
        );
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

    #[test]
    fn regression_long_code_lines_are_coloured_up_to_a_bound() {
        let h = Highlighter::new();
        let opts = CodeOptions::default();
        // A certificate line: its key keeps its colour, the value is text.
        let cert = format!("  certificate-authority-data: {}", "LS0t".repeat(600));
        let html = h.code_block("yaml", &format!("{cert}\nkind: Pod\n"), &opts);
        let short = h.code_block(
            "yaml",
            "  certificate-authority-data: LS0t\nkind: Pod\n",
            &opts,
        );
        let (key, pod) = short.split_once("LS0t").unwrap_or_default();
        assert!(key.ends_with("</span> "), "{short}");
        assert!(html.starts_with(key), "{html}");
        assert!(html.ends_with(pod), "{html}");
        assert_eq!(strip_tags(&html), format!("{cert}kind: Pod"));
        // A comment past the bound stays a comment to the line's end, and
        // the next line is coloured afresh.
        let comment = format!("# {}", "x".repeat(3000));
        let html = h.code_block("bash", &format!("{comment}\necho a\n"), &opts);
        assert!(
            html.contains(&format!(
                "<span class=\"hljs-comment\">{comment}</span></div>"
            )),
            "{html}"
        );
        assert!(
            html.contains("<span class=\"hljs-built_in\">echo</span> a"),
            "{html}"
        );
        // What made a line's colouring cost the square of its length.
        let started = std::time::Instant::now();
        let _ = render_block("yaml", &format!("{}a: [\n", "- ".repeat(20_000)), &opts);
        let _ = render_block("yaml", &format!("{}a:\n", "\"x\" ".repeat(10_000)), &opts);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
