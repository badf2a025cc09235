//! A remark deck published as an HTML page (`talk.html`), read as a
//! browser and then remark read it, into a [`Manifest`] so that the page
//! builds like any other deck.
//!
//! The page is scanned once the way the HTML tokenizer splits it: comments,
//! and the text of `<script>`, `<style>`, `<textarea>` and `<title>`, are
//! not markup, so a `<link>` in a comment or a `remark.create(` quoted on a
//! slide is not the page's. Then:
//! - the options are those of the first `remark.create(` call a script of
//!   the page runs, in page order: an inline `<script>`, or a local
//!   `<script src>` file, read through the gate of every file a deck names
//!   ([`Confinement`]); a call in a JS comment or string is not run either;
//! - the Markdown is the `sourceUrl` file, else the `source:` string, else
//!   the `<textarea id="source">` (or `<script type="text/template"
//!   id="source">`: the first element of that id; remark 0.14 `src/remark/api.js`
//!   `applyDefaults`: `if (!options.hasOwnProperty('source'))`
//!   `getElementById('source')`; `src/remark/models/slideshow.js`:
//!   `options.sourceUrl ? loadFromUrl(...) : loadFromString(options.source)`).
//!   An empty textarea with no source labdeck can find is an error, not one
//!   blank slide;
//! - the stylesheets are its `<link rel="stylesheet">`s (one missing is a
//!   warning: the browser shows the deck without it) and its `<style>`s.
//!
//! No script is run: the object literal given to `remark.create` is read by
//! a small JSON5-like reader (strings in either quote, unquoted keys,
//! trailing commas, comments), also when it is given through a variable of
//! the same script (`var options = {...}; remark.create(options)`: the
//! literal last assigned to it before the call). Values it cannot read
//! (expressions, variables) are skipped; a `slideNumberFormat` function that only joins
//! strings with `current` and `total` becomes the equivalent
//! `%current%`/`%total%` string.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::{Map, Value};

use crate::diagnostic::Diagnostic;
use crate::error::{Error, Location, Result};
use crate::files::{Confinement, Files, is_local};
use crate::manifest::{Entry, Manifest};
use crate::remark::options::RemarkOptions;

/// Written first in the text of a page's `<style data-target="print-only">`.
/// xaringan (R Markdown's remark) puts one in every page it writes (every
/// slide shown, no shadow: so that the page prints before remark runs) and
/// a script that removes it at remark's first `beforeShowSlide` (yihui/xaringan
/// `inst/rmarkdown/templates/xaringan/resources/default.html`, "delete the
/// temporary CSS ... when the user starts to view slides"). labdeck runs no
/// page script: the runtime (templates/runtime.js `dropPrintOnly`) removes
/// the styles that start with this when the first slide is left.
pub const PRINT_ONLY: &str = "/* labdeck: print-only */";

/// Whether `path` names an HTML page (by its extension).
pub fn is_html_page(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Reads the page into a manifest; the local scripts it runs are read
/// through `gate`.
pub fn load(path: &Path, gate: &Confinement, files: &Files) -> Result<Manifest> {
    let bytes =
        crate::files::read_regular(path, crate::files::MAX_TEXT).map_err(|e| e.about(path))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = crate::source::line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to());
        Error::at(Location::new(path, line), "page is not valid UTF-8")
    })?;
    parse(path, &crate::files::as_browsers_read(text), gate, files)
}

/// The `remark.create(` call remark runs: in which file, its text, and the
/// offset just past the `(`.
struct Call {
    path: PathBuf,
    text: Arc<str>,
    from: usize,
    /// Where the script that holds it starts in `text`.
    script_start: usize,
    /// The page line of the `<script>` that holds it.
    page_line: usize,
}

/// Reads page text (see [`load`]).
pub fn parse(path: &Path, page: &str, gate: &Confinement, files: &Files) -> Result<Manifest> {
    let (dir, name, stem) = crate::manifest::names_of(path);
    let scanned = scan(page);
    let found = find_call(path, page, &scanned, &dir, gate, files);
    let read = match &found.call {
        Some(c) => read_call(path, c)?,
        None => ReadCall {
            options: Map::new(),
            options_at: Location::new(path, 1),
            source_line: 1,
            warnings: Vec::new(),
        },
    };

    let mut remark = RemarkOptions::remark();
    let mut exclude = Vec::new();
    let mut source_url = None;
    let mut source = None;
    for (key, value) in &read.options {
        match key.as_str() {
            "sourceUrl" => source_url = value.as_str().map(str::to_owned),
            "source" => source = value.as_str().map(str::to_owned),
            "excludedClasses" => {
                exclude = value
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            }
            _ => remark
                .set(key, value)
                .map_err(|e| Error::at(read.options_at.clone(), e.to_string()))?,
        }
    }
    let given = Given {
        source_url,
        source,
        line: read.source_line,
    };
    let content = deck_source(path, page, &scanned, given, &found.unread)?;

    let mut css = Vec::new();
    let mut css_lines = Vec::new();
    let mut link_lines = Lines::new(page);
    for (href, offset) in &scanned.links {
        css.push(crate::files::local_file(href).into_owned());
        css_lines.push(link_lines.at(*offset));
    }
    let styles = scanned
        .styles
        .iter()
        .map(|&((s, e), print_only)| {
            if print_only {
                format!("{PRINT_ONLY}{}", &page[s..e])
            } else {
                page[s..e].to_owned()
            }
        })
        .collect();
    let title = scanned
        .title
        .map(|(s, e)| htmlize::unescape(page[s..e].trim()).into_owned())
        .unwrap_or(stem);
    Ok(Manifest {
        path: path.to_path_buf(),
        dir,
        title,
        chat: String::new(),
        gitrepo: String::new(),
        slides: String::new(),
        zip: "slides.zip".into(),
        html: name,
        slidenumberprefix: String::new(),
        exclude,
        css,
        css_lines,
        css_optional: true,
        scripts: found.scripts,
        styles,
        remark,
        look: crate::manifest::Look::Remark,
        content: vec![content],
        warnings: read.warnings,
    })
}

/// The page's scripts as far as remark's call: the call, the local script
/// files read on the way, and those that could not be read (said when the
/// page then has no deck).
struct Found {
    call: Option<Call>,
    scripts: Vec<PathBuf>,
    unread: Vec<String>,
}

/// The first script that calls `remark.create`, in page order: inline, or a
/// local file admitted by `gate` (a remote one, the remark library itself
/// or a CDN's, is not read).
fn find_call(
    path: &Path,
    page: &str,
    scanned: &Scanned,
    dir: &Path,
    gate: &Confinement,
    files: &Files,
) -> Found {
    let mut lines = Lines::new(page);
    let mut found = Found {
        call: None,
        scripts: Vec::new(),
        unread: Vec::new(),
    };
    for script in &scanned.scripts {
        let page_line = lines.at(script.offset);
        match &script.src {
            Some(src) if !is_local(src) => {}
            Some(src) => {
                let file = crate::files::local_path(dir, src);
                match gate.admit(files, &file).and_then(|()| files.text(&file)) {
                    Ok(text) => {
                        found.scripts.push(file.clone());
                        if let Some(from) = find_create_call(&text) {
                            found.call = Some(Call {
                                path: file,
                                text,
                                from,
                                script_start: 0,
                                page_line,
                            });
                            break;
                        }
                    }
                    Err(e) => found
                        .unread
                        .push(format!("<script src=\"{src}\"> at line {page_line}: {e}")),
                }
            }
            None => {
                let (start, end) = script.body;
                if let Some(from) = find_create_call(&page[start..end]) {
                    found.call = Some(Call {
                        path: path.to_path_buf(),
                        text: Arc::from(page),
                        from: start + from,
                        script_start: start,
                        page_line,
                    });
                    break;
                }
            }
        }
    }
    found
}

/// What a `remark.create(` call gives: its options, where they are written,
/// the page line errors about the deck's source are reported at, and a
/// warning when its argument cannot be read.
struct ReadCall {
    options: Map<String, Value>,
    options_at: Location,
    source_line: usize,
    warnings: Vec<Diagnostic>,
}

/// Reads the options of `c`, a call in `path` or in a script file it loads.
fn read_call(path: &Path, c: &Call) -> Result<ReadCall> {
    let line_in = |offset: usize| line_of(&c.text, offset);
    let mut read = ReadCall {
        options: Map::new(),
        options_at: Location::new(&c.path, line_in(c.from)),
        source_line: if c.path == path {
            line_in(c.from)
        } else {
            c.page_line
        },
        warnings: Vec::new(),
    };
    // Blanks and comments before the argument, as JavaScript skips them.
    let mut blank = Reader {
        path: &c.path,
        text: &c.text,
        pos: c.from,
        depth: 0,
    };
    blank.space();
    let argument = &c.text[blank.pos..];
    // `remark.create({...})`, or `remark.create(options)` with
    // `var options = {...}` before it in the same script.
    let literal = if argument.starts_with('{') {
        Some(blank.pos)
    } else {
        variable_argument(argument).and_then(|name| {
            object_assigned(&c.text[c.script_start..c.from], name).map(|at| c.script_start + at)
        })
    };
    match literal {
        Some(at) => {
            read.options_at = Location::new(&c.path, line_in(at));
            let mut reader = Reader {
                path: &c.path,
                text: &c.text,
                pos: at,
                depth: 0,
            };
            match reader.value()? {
                Some(Value::Object(map)) => read.options = map,
                _ => {
                    return Err(Error::at(
                        read.options_at,
                        "remark.create(...) options are not an object literal labdeck can read",
                    ));
                }
            }
        }
        // No argument: remark's defaults, as written.
        None if argument.starts_with(')') => {}
        // An expression, or a variable not given an object literal before
        // the call in its script: remark runs with whatever it evaluates
        // to, labdeck with remark's defaults.
        None => read.warnings.push(Diagnostic::warning(
            "unread-options",
            Location::new(&c.path, line_in(c.from)),
            format!(
                "`remark.create({})`: labdeck reads options given as an object literal, or as a variable assigned one before the call in the same script; this deck builds with remark's default options",
                shown_argument(argument)
            ),
        )),
    }
    let written = literal.unwrap_or(c.from);
    if c.path == path
        && let Some(key) = c.text[written..].find("sourceUrl")
    {
        read.source_line = line_in(written + key);
    }
    Ok(read)
}

/// An argument as a message quotes it: the rest of its line, without the
/// call's `)` and `;`, at most 60 characters.
fn shown_argument(argument: &str) -> String {
    let line = argument.lines().next().unwrap_or("").trim_end();
    let line = line.strip_suffix(';').unwrap_or(line);
    let line = line.strip_suffix(')').unwrap_or(line);
    let mut shown: String = line.chars().take(60).collect();
    if shown.len() < line.len() {
        shown.push_str("...");
    }
    shown
}

/// What the options say of the deck's Markdown, and the page line errors
/// about it are reported at.
struct Given {
    source_url: Option<String>,
    source: Option<String>,
    line: usize,
}

/// The deck's Markdown, as remark 0.14 chooses it: the `sourceUrl` file,
/// else the `source:` string, else the `<textarea id="source">` (see the
/// module's comment). `unread`: the scripts that could not be read, named
/// when the page then has no deck.
fn deck_source(
    path: &Path,
    page: &str,
    scanned: &Scanned,
    given: Given,
    unread: &[String],
) -> Result<Entry> {
    let unread_note = || {
        if unread.is_empty() {
            String::new()
        } else {
            format!(" (not read: {})", unread.join("; "))
        }
    };
    if let Some(url) = &given.source_url {
        if !is_local(url) {
            return Err(Error::at(
                Location::new(path, given.line),
                format!(
                    "sourceUrl `{url}` is not a local file (labdeck reads no network, and a path from `/` is served from elsewhere)"
                ),
            ));
        }
        return Ok(Entry::File {
            path: crate::files::local_file(url).into_owned(),
            line: given.line,
        });
    }
    if let Some(text) = given.source {
        // `Entry::Inline` text starts on the line after the entry's.
        return Ok(Entry::Inline {
            text,
            line: given.line.saturating_sub(1),
        });
    }
    let Some(((start, end), textarea)) = scanned.source else {
        return Err(Error::at(
            Location::new(path, 1),
            format!(
                "no deck in this page: expected a <textarea id=\"source\"> or remark.create({{sourceUrl: ...}}){}",
                unread_note()
            ),
        ));
    };
    let mut body = &page[start..end];
    // The HTML parser drops a newline right after `<textarea>`.
    let mut first = start;
    if textarea && let Some(b) = body.strip_prefix('\n') {
        body = b;
        first += 1;
    }
    if body.trim().is_empty() {
        return Err(Error::at(
            Location::new(path, line_of(page, start)),
            format!(
                "{} is empty and no remark.create({{sourceUrl: ...}}) labdeck can read names the deck's Markdown{}: remark would show one blank slide",
                if textarea {
                    "<textarea id=\"source\">"
                } else {
                    "<script id=\"source\">"
                },
                unread_note()
            ),
        ));
    }
    Ok(Entry::Inline {
        text: body.to_owned(),
        line: line_of(page, first).saturating_sub(1),
    })
}

/// What the HTML tokenizer finds in a page, as far as remark's reading
/// needs: offsets into the page.
#[derive(Debug, Default)]
struct Scanned {
    /// Content of the first `<textarea id="source">` or `<script
    /// id="source">` (remark reads `getElementById('source')`), and
    /// whether it is a textarea.
    source: Option<((usize, usize), bool)>,
    /// Content of the first `<title>`.
    title: Option<(usize, usize)>,
    scripts: Vec<Script>,
    /// Each local `<link rel="stylesheet">`'s `href`, and where its tag is.
    links: Vec<(String, usize)>,
    /// Each `<style>`'s content.
    styles: Vec<((usize, usize), bool)>,
}

#[derive(Debug)]
struct Script {
    src: Option<String>,
    /// Its text (ignored by the browser when `src` is given).
    body: (usize, usize),
    /// Where its tag is.
    offset: usize,
}

/// Elements whose content is text to the HTML tokenizer (RCDATA, RAWTEXT,
/// script data: the HTML Standard, "parsing HTML documents", the
/// tokenizer states the tree builder switches to for them; `<noscript>` is
/// RAWTEXT when scripting is on, as remark needs).
const TEXT_ELEMENTS: &[&str] = &[
    "script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes", "noscript",
];

/// One pass over the page, linear in its length (every search goes
/// forward from where the last one ended).
fn scan(page: &str) -> Scanned {
    let b = page.as_bytes();
    let mut out = Scanned::default();
    let mut pos = 0;
    while let Some(i) = memchr::memchr(b'<', &b[pos..]).map(|i| i + pos) {
        let rest = &page[i..];
        if let Some(comment) = rest.strip_prefix("<!--") {
            // To the next `-->` (`<!-->` and `<!--->` are empty comments);
            // an unclosed comment runs to the end of the page.
            pos = if comment.starts_with('>') {
                i + 5
            } else if comment.starts_with("->") {
                i + 6
            } else {
                match comment.find("-->") {
                    Some(e) => i + 4 + e + 3,
                    None => break,
                }
            };
            continue;
        }
        if rest.starts_with("<!") || rest.starts_with("</") || rest.starts_with("<?") {
            // A doctype, an end tag or a bogus comment: to the next `>`.
            match rest.find('>') {
                Some(e) => pos = i + e + 1,
                None => break,
            }
            continue;
        }
        if !b.get(i + 1).is_some_and(u8::is_ascii_alphabetic) {
            // `<` as text (`a < b`).
            pos = i + 1;
            continue;
        }
        let name_len = b[i + 1..]
            .iter()
            .take_while(|&&c| !(c.is_ascii_whitespace() || c == b'/' || c == b'>'))
            .count();
        let name = page[i + 1..i + 1 + name_len].to_ascii_lowercase();
        let Some((attrs, end)) = tag_attributes(page, i + 1 + name_len) else {
            break;
        };
        pos = end;
        if name == "link" {
            let is_css = attr(&attrs, "rel").is_some_and(|rel| {
                let mut words = rel.split_ascii_whitespace();
                // `alternate stylesheet` is not applied until chosen.
                words.clone().any(|w| w.eq_ignore_ascii_case("stylesheet"))
                    && !words.any(|w| w.eq_ignore_ascii_case("alternate"))
            });
            if is_css
                && let Some(href) = attr(&attrs, "href")
                && is_local(href)
            {
                out.links.push((href.to_owned(), i));
            }
            continue;
        }
        if !TEXT_ELEMENTS.contains(&name.as_str()) {
            continue;
        }
        // The text runs to the element's end tag, or to the end of the page.
        let close = format!("</{name}");
        let content_end = find_ignoring_case(&page[end..], &close).map_or(page.len(), |c| end + c);
        let content = (end, content_end);
        match name.as_str() {
            "script" => {
                if runs(attr(&attrs, "type")) {
                    out.scripts.push(Script {
                        src: attr(&attrs, "src").map(str::to_owned),
                        body: content,
                        offset: i,
                    });
                }
                // `<script type="text/template" id="source">`: remark
                // takes the first element whose id is `source`.
                if out.source.is_none() && attr(&attrs, "id") == Some("source") {
                    out.source = Some((content, false));
                }
            }
            "style" => out
                .styles
                .push((content, attr(&attrs, "data-target") == Some("print-only"))),
            "textarea" if out.source.is_none() && attr(&attrs, "id") == Some("source") => {
                out.source = Some((content, true))
            }
            "title" if out.title.is_none() => out.title = Some(content),
            _ => {}
        }
        pos = content_end;
    }
    out
}

/// Whether a `<script type=...>` runs: no type, an empty one, `module` or
/// a JavaScript MIME type (the HTML Standard, "prepare the script
/// element"; "JavaScript MIME type" lists them). `text/template` and the
/// like are data, not script.
fn runs(kind: Option<&str>) -> bool {
    let Some(kind) = kind.map(str::trim).filter(|k| !k.is_empty()) else {
        return true;
    };
    let kind = kind.to_ascii_lowercase();
    let essence = kind.split(';').next().unwrap_or("").trim();
    essence == "module"
        || [
            "application/ecmascript",
            "application/javascript",
            "application/x-ecmascript",
            "application/x-javascript",
            "text/ecmascript",
            "text/javascript",
            "text/javascript1.0",
            "text/javascript1.1",
            "text/javascript1.2",
            "text/javascript1.3",
            "text/javascript1.4",
            "text/javascript1.5",
            "text/jscript",
            "text/livescript",
            "text/x-ecmascript",
            "text/x-javascript",
        ]
        .contains(&essence)
}

/// The attributes of a start tag whose name ends at `from` (names
/// lower-cased, values with character references decoded; a repeated
/// attribute is dropped, as the tokenizer drops it), and the offset past
/// its `>`. `None`: the page ends inside the tag.
fn tag_attributes(page: &str, from: usize) -> Option<(Vec<(String, String)>, usize)> {
    let b = page.as_bytes();
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut p = from;
    loop {
        while p < b.len() && (b[p].is_ascii_whitespace() || b[p] == b'/') {
            p += 1;
        }
        if *b.get(p)? == b'>' {
            return Some((attrs, p + 1));
        }
        let name_start = p;
        p += 1;
        while p < b.len() && !(b[p].is_ascii_whitespace() || matches!(b[p], b'/' | b'>' | b'=')) {
            p += 1;
        }
        let name = page[name_start..p].to_ascii_lowercase();
        while p < b.len() && b[p].is_ascii_whitespace() {
            p += 1;
        }
        let mut value = String::new();
        if b.get(p) == Some(&b'=') {
            p += 1;
            while p < b.len() && b[p].is_ascii_whitespace() {
                p += 1;
            }
            let raw = match b.get(p)? {
                q @ (b'"' | b'\'') => {
                    let close = memchr::memchr(*q, &b[p + 1..])? + p + 1;
                    let raw = &page[p + 1..close];
                    p = close + 1;
                    raw
                }
                _ => {
                    let start = p;
                    while p < b.len() && !(b[p].is_ascii_whitespace() || b[p] == b'>') {
                        p += 1;
                    }
                    &page[start..p]
                }
            };
            value = htmlize::unescape_attribute(raw).into_owned();
        }
        if !attrs.iter().any(|(n, _)| *n == name) {
            attrs.push((name, value));
        }
    }
}

fn attr<'a>(attrs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attrs
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
}

/// Where a `//` or `/* */` comment or a `"`, `'` or `` ` `` string starting
/// at `p` of script text ends (past it; the text's end when it is not
/// closed); None when none starts there. What a JS scanner here skips:
/// a `remark.create(` or an assignment written there never runs.
fn past_comment_or_string(b: &[u8], p: usize) -> Option<usize> {
    match (b.get(p)?, b.get(p + 1)) {
        (b'/', Some(b'/')) => Some(memchr::memchr(b'\n', &b[p..]).map_or(b.len(), |n| p + n)),
        (b'/', Some(b'*')) => {
            Some(memchr::memmem::find(&b[p + 2..], b"*/").map_or(b.len(), |n| p + 2 + n + 2))
        }
        (&q @ (b'"' | b'\'' | b'`'), _) => {
            let mut p = p + 1;
            while p < b.len() && b[p] != q {
                p += if b[p] == b'\\' { 2 } else { 1 };
            }
            Some(p.saturating_add(1))
        }
        _ => None,
    }
}

/// A byte of a JavaScript identifier (ASCII: the scripts that call
/// `remark.create` name their options so).
fn js_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$'
}

/// The offset just past the `(` of the first `remark.create(` call in
/// script text, outside comments, strings and template literals (a call
/// there never runs).
fn find_create_call(js: &str) -> Option<usize> {
    const CALL: &[u8] = b"remark.create";
    let b = js.as_bytes();
    let mut p = 0;
    while p < b.len() {
        if let Some(past) = past_comment_or_string(b, p) {
            p = past;
            continue;
        }
        match b[p] {
            b'r' if b[p..].starts_with(CALL) && (p == 0 || !js_ident(b[p - 1])) => {
                let mut q = p + CALL.len();
                while q < b.len() && b[q].is_ascii_whitespace() {
                    q += 1;
                }
                if b.get(q) == Some(&b'(') {
                    return Some(q + 1);
                }
                p = q;
            }
            _ => p += 1,
        }
    }
    None
}

/// The variable `remark.create(` is given, when it is given one alone:
/// `options` in `remark.create(options)` or `remark.create(options, f)`.
fn variable_argument(args: &str) -> Option<&str> {
    let b = args.as_bytes();
    let ident = js_ident;
    if !b.first().is_some_and(|&c| ident(c) && !c.is_ascii_digit()) {
        return None;
    }
    let len = b.iter().take_while(|&&c| ident(c)).count();
    let after = args[len..].trim_start();
    after.starts_with([')', ',']).then_some(&args[..len])
}

/// Where the object literal last assigned to `name` in `js` starts:
/// `var name = {`, `let`/`const` or a plain `name = {`, outside comments
/// and strings. A variable assigned anything else, or set elsewhere, is not
/// read (no script is run).
fn object_assigned(js: &str, name: &str) -> Option<usize> {
    let b = js.as_bytes();
    let ident = js_ident;
    let mut found = None;
    let mut p = 0;
    while p < b.len() {
        if let Some(past) = past_comment_or_string(b, p) {
            p = past;
            continue;
        }
        match b[p] {
            c if ident(c) => {
                let len = b[p..].iter().take_while(|&&c| ident(c)).count();
                let before = js[..p].trim_end();
                // `a.name = {` is a property, not the variable.
                if &js[p..p + len] == name && !before.ends_with('.') {
                    let after = &js[p + len..];
                    let eq = after.len() - after.trim_start().len();
                    if after[eq..].starts_with('=') && !after[eq..].starts_with("==") {
                        let value = &after[eq + 1..];
                        let ws = value.len() - value.trim_start().len();
                        found = value[ws..]
                            .starts_with('{')
                            .then_some(p + len + eq + 1 + ws);
                    }
                }
                p += len;
            }
            _ => p += 1,
        }
    }
    found
}

/// Line numbers of offsets asked in increasing order, counted once.
struct Lines<'a> {
    text: &'a [u8],
    offset: usize,
    line: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Lines {
            text: text.as_bytes(),
            offset: 0,
            line: 1,
        }
    }

    fn at(&mut self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        if offset < self.offset {
            return crate::source::line_of_byte(self.text, offset);
        }
        self.line += memchr::memchr_iter(b'\n', &self.text[self.offset..offset]).count();
        self.offset = offset;
        self.line
    }
}

/// The first `needle` (lower-case ASCII) in `hay`, in any case. Looks at
/// `hay` only as far as the match.
fn find_ignoring_case(hay: &str, needle: &str) -> Option<usize> {
    let (first, rest) = needle.as_bytes().split_first()?;
    let bytes = hay.as_bytes();
    memchr::memchr_iter(*first, bytes).find(|&i| {
        bytes
            .get(i + 1..i + needle.len())
            .is_some_and(|b| b.eq_ignore_ascii_case(rest))
    })
}

fn line_of(text: &str, offset: usize) -> usize {
    crate::source::line_of_byte(text.as_bytes(), offset)
}

/// A JSON5-like reader over `text` from `pos`.
struct Reader<'a> {
    /// The page (for error locations).
    path: &'a Path,
    text: &'a str,
    pos: usize,
    /// Objects and arrays open around `pos` (see [`MAX_DEPTH`]).
    depth: usize,
}

/// How deep `remark.create` options may nest. remark's own options nest
/// two levels (`navigation: {scroll: false}`); the reader recurses, so a
/// page nesting thousands of levels would overflow the stack.
pub const MAX_DEPTH: usize = 64;

impl Reader<'_> {
    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }

    fn error(&self, what: &str) -> Error {
        Error::at(
            Location::new(self.path, line_of(self.text, self.pos)),
            format!("remark.create(...) options: {what}"),
        )
    }

    /// Skips whitespace and comments.
    fn space(&mut self) {
        loop {
            let rest = &self.text[self.pos..];
            let trimmed = rest.trim_start();
            self.pos += rest.len() - trimmed.len();
            if trimmed.starts_with("//") {
                self.pos += trimmed.find('\n').unwrap_or(trimmed.len());
            } else if trimmed.starts_with("/*") {
                self.pos += trimmed.find("*/").map_or(trimmed.len(), |e| e + 2);
            } else {
                return;
            }
        }
    }

    /// A value; `None` for an expression it cannot read (skipped).
    fn value(&mut self) -> Result<Option<Value>> {
        self.space();
        match self.peek() {
            Some(c @ ('{' | '[')) => {
                if self.depth >= MAX_DEPTH {
                    return Err(self.error(&format!(
                        "nested more than {MAX_DEPTH} levels deep (remark's options nest two)"
                    )));
                }
                self.depth += 1;
                let v = if c == '{' {
                    self.object()
                } else {
                    self.array()
                };
                self.depth -= 1;
                v.map(Some)
            }
            Some(q @ ('"' | '\'')) => self.string(q).map(|s| Some(Value::String(s))),
            Some(_) => {
                let rest = &self.text[self.pos..];
                if rest.starts_with("function") {
                    let f = self.skip_expression();
                    return Ok(function_format(f).map(Value::String));
                }
                let word_len = rest
                    .find(|c: char| !(c.is_ascii_alphanumeric() || "+-._$".contains(c)))
                    .unwrap_or(rest.len());
                let word = &rest[..word_len];
                let after = rest[word_len..].trim_start();
                let simple = after.is_empty() || after.starts_with([',', '}', ']']);
                if !simple {
                    self.skip_expression();
                    return Ok(None);
                }
                self.pos += word_len;
                Ok(match word {
                    "true" => Some(Value::Bool(true)),
                    "false" => Some(Value::Bool(false)),
                    "null" | "undefined" => Some(Value::Null),
                    _ => word
                        .parse::<f64>()
                        .ok()
                        .and_then(serde_json::Number::from_f64)
                        .map(Value::Number),
                })
            }
            None => Err(self.error("unexpected end of page")),
        }
    }

    fn object(&mut self) -> Result<Value> {
        self.pos += 1;
        let mut map = Map::new();
        loop {
            self.space();
            match self.peek() {
                Some('}') => {
                    self.pos += 1;
                    return Ok(Value::Object(map));
                }
                Some(',') => {
                    self.pos += 1;
                    continue;
                }
                Some(q @ ('"' | '\'')) => {
                    let key = self.string(q)?;
                    self.entry(&mut map, key)?;
                }
                Some(c) if c.is_alphabetic() || c == '_' || c == '$' => {
                    let rest = &self.text[self.pos..];
                    let n = rest
                        .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$'))
                        .unwrap_or(rest.len());
                    let key = rest[..n].to_owned();
                    self.pos += n;
                    self.entry(&mut map, key)?;
                }
                _ => return Err(self.error("expected a key or `}`")),
            }
        }
    }

    fn entry(&mut self, map: &mut Map<String, Value>, key: String) -> Result<()> {
        self.space();
        if self.peek() != Some(':') {
            return Err(self.error(&format!("expected `:` after `{key}`")));
        }
        self.pos += 1;
        if let Some(v) = self.value()? {
            map.insert(key, v);
        }
        Ok(())
    }

    fn array(&mut self) -> Result<Value> {
        self.pos += 1;
        let mut items = Vec::new();
        loop {
            self.space();
            match self.peek() {
                Some(']') => {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                Some(',') => self.pos += 1,
                Some(_) => {
                    if let Some(v) = self.value()? {
                        items.push(v);
                    }
                }
                None => return Err(self.error("unclosed `[`")),
            }
        }
    }

    fn string(&mut self, quote: char) -> Result<String> {
        self.pos += 1;
        let mut out = String::new();
        let mut chars = self.text[self.pos..].char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, e)) = chars.next() {
                        out.push(match e {
                            'n' => '\n',
                            't' => '\t',
                            other => other,
                        });
                    }
                }
                c if c == quote => {
                    self.pos += i + 1;
                    return Ok(out);
                }
                '\n' => break,
                c => out.push(c),
            }
        }
        Err(self.error("unclosed string"))
    }

    /// Skips an expression up to the `,`, `}` or `]` that ends it (at
    /// bracket depth 0, outside strings); returns its text.
    fn skip_expression(&mut self) -> &str {
        let start = self.pos;
        let b = self.text.as_bytes();
        let mut depth = 0usize;
        let mut p = self.pos;
        while p < b.len() {
            match b[p] {
                q @ (b'"' | b'\'' | b'`') => {
                    p += 1;
                    while p < b.len() && b[p] != q {
                        if b[p] == b'\\' {
                            p += 1;
                        }
                        p += 1;
                    }
                }
                b'(' | b'{' | b'[' => depth += 1,
                b')' | b'}' | b']' if depth == 0 => break,
                b')' | b'}' | b']' => depth -= 1,
                b',' if depth == 0 => break,
                _ => {}
            }
            p += 1;
        }
        self.pos = p.min(b.len());
        &self.text[start..self.pos]
    }
}

/// `function (current, total) { return 'a' + current + ' of ' + total; }`
/// as `a%current% of %total%`; `None` for anything else.
fn function_format(f: &str) -> Option<String> {
    let params = f
        .get(f.find('(')? + 1..f.find(')')?)?
        .split(',')
        .map(str::trim)
        .collect::<Vec<_>>();
    let body = &f[f.find("return")? + "return".len()..];
    let body = body[..body.find(['}', ';']).unwrap_or(body.len())].trim();
    let mut out = String::new();
    for part in body.split('+').map(str::trim) {
        match part.chars().next()? {
            q @ ('"' | '\'') => out.push_str(part.strip_prefix(q)?.strip_suffix(q)?),
            _ if Some(&part) == params.first() => out.push_str("%current%"),
            _ if Some(&part) == params.get(1) => out.push_str("%total%"),
            _ => return None,
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `page` read with a gate at the current folder's parent.
    fn read_page(path: &Path, page: &str) -> Result<Manifest> {
        let files = Files::new();
        let gate = Confinement::new(Path::new(".."), &files);
        parse(path, page, &gate, &files)
    }

    const PAGE: &str = r#"<!DOCTYPE html>
<html>
  <head>
    <title>My &amp; talk</title>
    <link rel="stylesheet" href="fonts.css">
    <link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Lato">
    <style>
      body { font-family: 'Lato'; }
    </style>
  </head>
  <body>
    <textarea id="source">
class: center, middle

#Title

---
<style>h1 { color: red }</style>
# Two
    </textarea>
    <script src="https://remarkjs.com/downloads/remark-latest.min.js"></script>
    <script>
      var slideshow = remark.create({
        // comment
        ratio: '4:3',
        highlightStyle: "monokai",
        highlightLines: true,
        countIncrementalSlides: false,
        navigation: { scroll: false, },
        excludedClasses: ['hidden'],
        slideNumberFormat: function (current, total) {
          return 'Slide ' + current + ' of ' + total;
        },
        container: document.getElementById('x'),
      });
    </script>
  </body>
</html>
"#;

    #[test]
    fn page_becomes_a_manifest() {
        let m = read_page(Path::new("talks/talk.html"), PAGE).unwrap();
        assert_eq!(m.title, "My & talk");
        assert_eq!(m.css, ["fonts.css"]);
        assert_eq!(m.styles.len(), 1);
        assert!(m.styles[0].contains("Lato"));
        assert_eq!(m.exclude, ["hidden"]);
        assert_eq!(m.remark.ratio, (4, 3));
        assert_eq!(m.remark.highlight_style, "monokai");
        assert!(m.remark.highlight_lines && !m.remark.count_incremental_slides);
        assert!(!m.remark.navigation.scroll && m.remark.navigation.touch);
        assert_eq!(m.remark.slide_number(2, 9), "Slide 2 of 9");
        let Entry::Inline { text, line } = &m.content[0] else {
            panic!("not inline: {:?}", m.content)
        };
        assert!(
            text.starts_with("class: center, middle\n\n#Title\n"),
            "{text}"
        );
        // The deck's first line is line 13 of the page.
        assert_eq!(line + 1, 13);
    }

    #[test]
    fn odd_pages_give_errors_not_panics() {
        for page in [
            "<textarea id=\"source\">é</textarea><lïnk><stylé",
            "<textarea id=source>x</textarea><script>remark.create({slideNumberFormat: function)( { return 1 }})</script>",
            "<textarea id=source>x</textarea><script>remark.create({ratio: '4:3</script>",
            "<textarea id=source>x</textarea><script>remark.create({a: [1, {b: 'c'}], d: x.y(), e: 1e3})</script>",
        ] {
            let _ = read_page(Path::new("p.html"), page);
        }
        let err = read_page(
            Path::new("p.html"),
            "<textarea id=source>x</textarea>\n<script>remark.create({ratio: 'wide'})</script>",
        )
        .unwrap_err();
        assert!(err.to_string().contains("ratio"), "{err}");
        assert_eq!(err.location().map(|l| l.line), Some(2), "{err}");
        let err = read_page(
            Path::new("p.html"),
            "<script>\nremark.create({ratio: '4:3</script>",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("p.html:2:"), "{err}");
    }

    #[test]
    fn source_url_is_followed_locally_only() {
        let page = "<script>remark.create({sourceUrl: 'deck.md'})</script>";
        let m = read_page(Path::new("p.html"), page).unwrap();
        assert!(matches!(&m.content[0], Entry::File { path, .. } if path == "deck.md"));
        let remote = "<script>remark.create({sourceUrl: 'https://x.org/deck.md'})</script>";
        let err = read_page(Path::new("p.html"), remote).unwrap_err();
        assert!(err.to_string().contains("not a local file"), "{err}");
        let none = read_page(Path::new("p.html"), "<p>hello</p>").unwrap_err();
        assert!(none.to_string().contains("no deck"), "{none}");
    }

    #[test]
    fn deeply_nested_remark_options_are_an_error_not_a_stack_overflow() {
        // Ran out of stack (exit 134) before the depth limit.
        for open in ["{a:", "["] {
            let page = format!(
                "<textarea id=source>x</textarea>\n<script>remark.create({{navigation: {}1</script>",
                open.repeat(100_000)
            );
            let err = read_page(Path::new("p.html"), &page).unwrap_err();
            assert!(
                err.to_string().contains("nested more than 64 levels"),
                "{err}"
            );
            assert!(err.to_string().starts_with("p.html:2:"), "{err}");
        }
        let ok = "<textarea id=source>x</textarea><script>remark.create({navigation: {scroll: false}})</script>";
        assert!(read_page(Path::new("p.html"), ok).is_ok());
    }

    #[test]
    fn many_style_elements_read_in_linear_time() {
        // 40,000 <style>s took 17.5 s (the rest of the page lower-cased
        // for each one); linear, this is milliseconds.
        let mut page = String::from("<textarea id=source>x</textarea>");
        for _ in 0..40_000 {
            page.push_str("<STYLE>a{}</Style>");
        }
        let started = std::time::Instant::now();
        let m = read_page(Path::new("p.html"), &page).unwrap();
        assert_eq!(m.styles.len(), 40_000);
        // Unclosed ones too: the first one's text runs to the end of the
        // page, as the tokenizer reads it.
        page.push_str(&"<style>".repeat(40_000));
        page.push_str(&"<style".repeat(40_000));
        let m = read_page(Path::new("p.html"), &page).unwrap();
        assert_eq!(m.styles.len(), 40_001);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }

    #[test]
    fn options_come_from_the_script_remark_runs() {
        // remark's own introduction quotes `remark.create()` on a slide,
        // and pages keep old calls in HTML and JS comments: none runs.
        let text = r#"<!-- <script>remark.create({ratio: '16:10'})</script> -->
<textarea id="source">
# Use it
```js
var slideshow = remark.create({ratio: '16:9'});
```
</textarea>
<script src="https://remarkjs.com/downloads/remark-latest.min.js"></script>
<script>
  // remark.create({ratio: '2:1'});
  var s = "remark.create({})";
  var slideshow = remark.create({highlightLines: true});
</script>"#;
        let m = read_page(Path::new("p.html"), text).unwrap();
        assert_eq!(m.remark.ratio, (4, 3));
        assert!(m.remark.highlight_lines);
    }

    #[test]
    fn regression_a_comment_before_the_options_does_not_hide_them() {
        // `remark.create( // wide\n {ratio: '16:9'})` built with remark's
        // defaults: the literal was looked for right after the blanks.
        for call in [
            "remark.create( // wide\n {ratio: '16:9'})",
            "remark.create(/* wide */ {ratio: '16:9'})",
            "var o = {ratio: '16:9'}; remark.create( /* o */ o)",
        ] {
            let text =
                format!("<textarea id=\"source\">\n# A\n</textarea>\n<script>\n{call}\n</script>");
            let m = read_page(Path::new("p.html"), &text).unwrap();
            assert_eq!(m.remark.ratio, (16, 9), "{call}");
            assert!(m.warnings.is_empty(), "{call}: {:?}", m.warnings);
        }
    }

    #[test]
    fn options_labdeck_cannot_read_are_a_warning_at_the_call() {
        for (call, shown) in [
            (
                "remark.create(getOptions());",
                "`remark.create(getOptions())`",
            ),
            ("var o = make(); remark.create(o);", "`remark.create(o)`"),
            ("remark.create([[[[", "`remark.create([[[[)`"),
        ] {
            let text =
                format!("<textarea id=\"source\">\n# A\n</textarea>\n<script>\n{call}\n</script>");
            let m = read_page(Path::new("p.html"), &text).unwrap();
            assert_eq!(m.remark.ratio, (4, 3), "{call}");
            let [w] = m.warnings.as_slice() else {
                panic!("{call}: {:?}", m.warnings);
            };
            assert_eq!((w.code, w.location.line), ("unread-options", 5), "{call}");
            assert!(w.message.starts_with(shown), "{call}: {}", w.message);
        }
        // No argument: remark's defaults, as written.
        let text = "<textarea id=\"source\">\n# A\n</textarea>\n<script>remark.create();</script>";
        assert!(
            read_page(Path::new("p.html"), text)
                .unwrap()
                .warnings
                .is_empty()
        );
    }

    #[test]
    fn options_and_source_url_from_a_local_script_file() {
        let dir = tempfile::tempdir().unwrap();
        let deck = dir.path().join("talk");
        std::fs::create_dir(&deck).unwrap();
        std::fs::write(
            deck.join("init.js"),
            "var slideshow = remark.create({\n  ratio: '16:9',\n  sourceUrl: 'slides.md'\n});\n",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("outside.js"),
            "remark.create({ratio: '16:9'})",
        )
        .unwrap();
        let files = Files::new();
        let gate = Confinement::new(&deck, &files);
        let text = "<textarea id=\"source\">\n</textarea>\n<script src=\"remark.js\"></script>\n<script src=\"init.js?v=2\"></script>";
        let m = parse(&deck.join("index.html"), text, &gate, &files).unwrap();
        assert_eq!(m.remark.ratio, (16, 9));
        assert!(
            matches!(&m.content[0], Entry::File { path, line: 4 } if path == "slides.md"),
            "{:?}",
            m.content
        );
        assert_eq!(m.scripts, [deck.join("init.js")]);
        // A script outside the deck's root is not read: the page then has
        // no deck, and the error says which scripts were not read.
        let text =
            "<textarea id=\"source\">\n  \n</textarea>\n<script src=\"../outside.js\"></script>";
        let err = parse(&deck.join("index.html"), text, &gate, &files).unwrap_err();
        let err = err.to_string();
        assert!(err.contains("index.html:1:"), "{err}");
        assert!(err.contains("is empty"), "{err}");
        assert!(
            err.contains("../outside.js") && err.contains("outside the repository root"),
            "{err}"
        );
    }

    #[test]
    fn an_empty_textarea_without_a_source_is_an_error_not_a_blank_slide() {
        let err = read_page(
            Path::new("p.html"),
            "<html>\n<textarea id=\"source\">\n\n  </textarea>\n<script>remark.create()</script>",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("p.html:2:"), "{err}");
        assert!(err.to_string().contains("blank slide"), "{err}");
        // A `source:` string is the deck (api.js applyDefaults).
        let m = read_page(
            Path::new("p.html"),
            "<textarea id=\"source\"></textarea><script>remark.create({source: '# Hi'})</script>",
        )
        .unwrap();
        assert!(matches!(&m.content[0], Entry::Inline { text, .. } if text == "# Hi"));
    }

    #[test]
    fn commented_out_and_alternate_stylesheets_are_not_the_pages() {
        let m = read_page(
            Path::new("p.html"),
            "<!--<link rel=\"stylesheet\" href=\"old.css\">-->\n<link rel=\"alternate stylesheet\" href=\"alt.css\">\n<LINK REL=StyleSheet HREF='a%20b.css?v=1'>\n<textarea id=source>x</textarea>",
        )
        .unwrap();
        assert_eq!(m.css, ["a b.css"]);
        assert_eq!(m.css_lines, [3]);
        assert!(m.css_optional);
    }

    #[test]
    fn a_script_that_is_data_does_not_run_and_may_hold_the_deck() {
        let m = read_page(
            Path::new("p.html"),
            "<script type=\"text/template\" id=\"source\">\n# Hi\nremark.create({ratio: '16:9'})\n</script>\n<script type=\"text/javascript\">remark.create({highlightLines: true})</script>",
        )
        .unwrap();
        assert_eq!(m.remark.ratio, (4, 3));
        assert!(m.remark.highlight_lines);
        assert!(
            matches!(&m.content[0], Entry::Inline { text, .. } if text.starts_with("\n# Hi\n")),
            "{:?}",
            m.content
        );
        assert!(runs(None) && runs(Some("")) && runs(Some("Module")));
        assert!(runs(Some("text/javascript; charset=utf-8")));
        assert!(!runs(Some("text/x-markdown")));
    }

    #[test]
    fn many_links_read_in_linear_time() {
        // Each link's line is counted on from the last one's.
        let mut page = String::from("<textarea id=source>x</textarea>\n");
        for _ in 0..40_000 {
            page.push_str("<link rel=stylesheet href=a.css>\n");
        }
        page.push_str("<script>remark.create({ratio: '16:9'})</script>");
        let started = std::time::Instant::now();
        let m = read_page(Path::new("p.html"), &page).unwrap();
        assert_eq!(m.css.len(), 40_000);
        assert_eq!(m.css_lines.last(), Some(&40_001));
        assert_eq!(m.remark.ratio, (16, 9));
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
