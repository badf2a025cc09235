//! A remark deck published as an HTML page (`talk.html`): the Markdown in
//! `<textarea id="source">` (or the file `sourceUrl:` names), the options of
//! its `remark.create({...})` call and its stylesheets, read into a
//! [`Manifest`] so that the page builds like any other deck.
//!
//! The page's script is never run: the object literal given to
//! `remark.create` is read by a small JSON5-like reader (strings in either
//! quote, unquoted keys, trailing commas, comments). Values it cannot read
//! (expressions, variables) are skipped; a `slideNumberFormat` function
//! that only joins strings with `current` and `total` becomes the
//! equivalent `%current%`/`%total%` string.

use std::path::Path;

use serde_json::{Map, Value};

use crate::error::{Error, Location, Result};
use crate::manifest::{Entry, Manifest};
use crate::remark::options::RemarkOptions;

/// Whether `path` names an HTML page (by its extension).
pub fn is_html_page(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"))
}

/// Reads the page into a manifest.
pub fn load(path: &Path) -> Result<Manifest> {
    let bytes =
        crate::files::read_regular(path, crate::files::MAX_TEXT).map_err(|e| e.about(path))?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let line = crate::source::line_of_byte(e.as_bytes(), e.utf8_error().valid_up_to());
        Error::at(Location::new(path, line), "page is not valid UTF-8")
    })?;
    let text = text.replace("\r\n", "\n");
    parse(path, &text)
}

/// Reads page text (see [`load`]).
pub fn parse(path: &Path, page: &str) -> Result<Manifest> {
    let at = |offset: usize| Location::new(path, line_of(page, offset));
    let (dir, name, stem) = crate::manifest::names_of(path);

    let textarea = find_element(page, "textarea", |attrs| {
        attribute(attrs, "id").as_deref() == Some("source")
    });
    let mut options = Map::new();
    if let Some(call) = page.find("remark.create(") {
        let from = call + "remark.create(".len();
        let rest = &page[from..];
        let skip = rest.len() - rest.trim_start().len();
        if rest[skip..].starts_with('{') {
            let mut reader = Reader {
                path,
                text: page,
                pos: from + skip,
                depth: 0,
            };
            match reader.value()? {
                Some(Value::Object(map)) => options = map,
                _ => {
                    return Err(Error::at(
                        at(from),
                        "remark.create(...) options are not an object literal labdeck can read",
                    ));
                }
            }
        }
    }

    let mut remark = RemarkOptions::remark();
    let mut exclude = Vec::new();
    let mut source_url = None;
    for (key, value) in &options {
        match key.as_str() {
            "sourceUrl" => source_url = value.as_str().map(str::to_owned),
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
                .map_err(|e| Error::at(at(page.find("remark.create(").unwrap_or(0)), e))?,
        }
    }

    let content = match (&source_url, textarea) {
        (Some(url), _) => {
            if url.contains("://") || url.starts_with("//") {
                return Err(Error::at(
                    at(page.find("sourceUrl").unwrap_or(0)),
                    format!("sourceUrl `{url}` is not a local file (labdeck reads no network)"),
                ));
            }
            Entry::File {
                path: url.split(['?', '#']).next().unwrap_or(url).to_owned(),
                line: line_of(page, page.find("sourceUrl").unwrap_or(0)),
            }
        }
        (None, Some((start, end))) => {
            let mut body = &page[start..end];
            // The HTML parser drops a newline right after `<textarea>`.
            let mut first = start;
            if let Some(b) = body.strip_prefix('\n') {
                body = b;
                first += 1;
            }
            // `Entry::Inline` text starts on the line after the entry's.
            Entry::Inline {
                text: body.to_owned(),
                line: line_of(page, first).saturating_sub(1),
            }
        }
        (None, None) => {
            return Err(Error::at(
                Location::new(path, 1),
                "no deck in this page: expected a <textarea id=\"source\"> or remark.create({sourceUrl: ...})",
            ));
        }
    };

    // Stylesheets outside the textarea, in page order.
    let outside = |offset: usize| textarea.is_none_or(|(s, e)| offset < s || offset > e);
    let mut css = Vec::new();
    let mut css_lines = Vec::new();
    let mut styles = Vec::new();
    let mut from = 0;
    while let Some(i) = page[from..].find('<').map(|i| i + from) {
        from = i + 1;
        if !outside(i) {
            continue;
        }
        let head = page.as_bytes()[i..page.len().min(i + 6)].to_ascii_lowercase();
        if head.starts_with(b"<link") {
            let Some(end) = page[i..].find('>') else {
                break;
            };
            let attrs = &page[i + 5..i + end];
            let is_css =
                attribute(attrs, "rel").is_some_and(|r| r.eq_ignore_ascii_case("stylesheet"));
            if is_css
                && let Some(href) = attribute(attrs, "href")
                && crate::files::is_local(&href)
            {
                css.push(href);
                css_lines.push(line_of(page, i));
            }
            from = i + end;
        } else if head.starts_with(b"<style") {
            // No `>` or `</style>` after this one: none after a later one
            // either (searching again from each would be quadratic).
            let (Some(open_end), Some(close)) = (
                page[i..].find('>'),
                find_ignoring_case(&page[i..], "</style>"),
            ) else {
                break;
            };
            if open_end < close {
                styles.push(page[i + open_end + 1..i + close].to_owned());
                from = i + close;
            }
        }
    }

    let title = find_element(page, "title", |_| true)
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
        styles,
        remark,
        look: crate::manifest::Look::Remark,
        content: vec![content],
    })
}

/// The first `needle` (lower-case ASCII) in `hay`, in any case. Looks at
/// `hay` only as far as the match (each `<style>` searched from its own
/// start: lower-casing the rest of the page each time was quadratic).
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

/// Content range of the first `<name ...>...</name>` whose attributes pass
/// `want`.
fn find_element(page: &str, name: &str, want: impl Fn(&str) -> bool) -> Option<(usize, usize)> {
    let lower = page.to_ascii_lowercase();
    let open = format!("<{name}");
    let close = format!("</{name}>");
    let mut from = 0;
    while let Some(i) = lower[from..].find(&open).map(|i| i + from) {
        let after = i + open.len();
        from = after;
        if !lower[after..].starts_with([' ', '>', '\n', '\t']) {
            continue;
        }
        let end = lower[after..].find('>')? + after;
        if !want(&page[after..end]) {
            continue;
        }
        let content_end = lower[end + 1..].find(&close)? + end + 1;
        return Some((end + 1, content_end));
    }
    None
}

/// The value of attribute `name` in a tag's attribute text.
fn attribute(attrs: &str, name: &str) -> Option<String> {
    let lower = attrs.to_ascii_lowercase();
    let mut from = 0;
    while let Some(i) = lower[from..].find(name).map(|i| i + from) {
        from = i + name.len();
        let before_ok = i == 0 || lower.as_bytes()[i - 1].is_ascii_whitespace();
        let rest = attrs[from..].trim_start();
        if !before_ok || !rest.starts_with('=') {
            continue;
        }
        let v = rest[1..].trim_start();
        return Some(match v.chars().next() {
            Some(q @ ('"' | '\'')) => v[1..].split(q).next().unwrap_or("").to_owned(),
            _ => v
                .split(|c: char| c.is_whitespace() || c == '>')
                .next()
                .unwrap_or("")
                .to_owned(),
        });
    }
    None
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
        let m = parse(Path::new("talks/talk.html"), PAGE).unwrap();
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
            let _ = parse(Path::new("p.html"), page);
        }
        let err = parse(
            Path::new("p.html"),
            "<textarea id=source>x</textarea>\n<script>remark.create({ratio: 'wide'})</script>",
        )
        .unwrap_err();
        assert!(err.to_string().contains("ratio"), "{err}");
        assert_eq!(err.location().map(|l| l.line), Some(2), "{err}");
        let err = parse(
            Path::new("p.html"),
            "<script>\nremark.create({ratio: '4:3</script>",
        )
        .unwrap_err();
        assert!(err.to_string().starts_with("p.html:2:"), "{err}");
    }

    #[test]
    fn source_url_is_followed_locally_only() {
        let page = "<script>remark.create({sourceUrl: 'deck.md'})</script>";
        let m = parse(Path::new("p.html"), page).unwrap();
        assert!(matches!(&m.content[0], Entry::File { path, .. } if path == "deck.md"));
        let remote = "<script>remark.create({sourceUrl: 'https://x.org/deck.md'})</script>";
        let err = parse(Path::new("p.html"), remote).unwrap_err();
        assert!(err.to_string().contains("not a local file"), "{err}");
        let none = parse(Path::new("p.html"), "<p>hello</p>").unwrap_err();
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
            let err = parse(Path::new("p.html"), &page).unwrap_err();
            assert!(
                err.to_string().contains("nested more than 64 levels"),
                "{err}"
            );
            assert!(err.to_string().starts_with("p.html:2:"), "{err}");
        }
        let ok = "<textarea id=source>x</textarea><script>remark.create({navigation: {scroll: false}})</script>";
        assert!(parse(Path::new("p.html"), ok).is_ok());
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
        let m = parse(Path::new("p.html"), &page).unwrap();
        assert_eq!(m.styles.len(), 40_000);
        // Unclosed ones too.
        page.push_str(&"<style>".repeat(40_000));
        page.push_str(&"<style".repeat(40_000));
        let m = parse(Path::new("p.html"), &page).unwrap();
        assert_eq!(m.styles.len(), 40_000);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
    }
}
