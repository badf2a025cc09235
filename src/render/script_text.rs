//! Text carried inside a `<script>` element of the page (the slides
//! script, see page.rs `SLIDES_SCRIPT`): escaped so that nothing ends the
//! element early, and read back exactly. Its own module so that the
//! Markdown renderer can escape a slide's HTML once, when it renders it,
//! for every deck that shows the slide (markdown.rs `Rendered::script`).

/// Text made safe inside a `<script>` element and readable back exactly:
/// `<\`, `</` and `<!` get a backslash after the `<` (so no `</script>` ends
/// the element and no `<!--` switches the HTML tokenizer to its escaped
/// states: WHATWG HTML, "script data state" and following), and line ends
/// become `\n`, as the HTML parser would make them anyway. [`script_text_decode`]
/// and runtime.js `decode()` undo it.
pub fn script_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 64);
    push_script_text(&mut out, text);
    out
}

/// [`script_text`] appended to `out`.
pub fn push_script_text(out: &mut String, text: &str) {
    let bytes = text.as_bytes();
    out.reserve(text.len());
    let mut from = 0;
    // Only ASCII bytes are looked at, so every cut is on a char boundary;
    // text is copied in runs, between the bytes that change.
    for at in memchr::memchr2_iter(b'<', b'\r', bytes) {
        if bytes[at] == b'\r' {
            out.push_str(&text[from..at]);
            out.push('\n');
            from = at + 1;
            if bytes.get(from) == Some(&b'\n') {
                from += 1;
            }
        } else if matches!(bytes.get(at + 1), Some(b'\\' | b'/' | b'!')) {
            out.push_str(&text[from..=at]);
            out.push('\\');
            from = at + 1;
        }
    }
    out.push_str(&text[from..]);
}

/// The text [`script_text`] was given (line ends as `\n`).
pub fn script_text_decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("<\\") {
        out.push_str(&rest[..=at]);
        rest = &rest[at + 2..];
    }
    out.push_str(rest);
    out
}
