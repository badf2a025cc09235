//! remark's lexer: splits deck source into text, code, fences, link
//! definitions, slide separators, notes separators and content classes
//! (`.a.b[...]`).
//!
//! remark does this with one regular expression whose alternatives are tried
//! at each position, leftmost match first, alternatives in a fixed order. We
//! scan by hand with the same rules (regexes with back-references are slow on
//! megabyte decks), so that decks split into exactly the slides remark shows:
//! a `---` inside a fenced block, or inside `.class[...]`, does not end a slide.

/// One lexer token. Offsets are byte offsets into the lexed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// Markdown text (inline code, indented code and fences are kept as text
    /// too: they only matter for structure).
    Text {
        text: String,
        start: usize,
    },
    /// A `[id]: href "title"` definition line (removed from the content).
    Def {
        id: String,
        href: String,
        title: Option<String>,
    },
    /// `---` (new slide) or `--` (continued slide).
    Separator {
        continued: bool,
        start: usize,
    },
    /// `???`: speaker notes follow.
    NotesSeparator {
        start: usize,
    },
    /// `.a.b[` whose closing bracket exists.
    ContentStart {
        classes: Vec<String>,
        block: bool,
        start: usize,
    },
    ContentEnd {
        block: bool,
        end: usize,
    },
}

/// Lexes a whole deck (block level: separators and notes are recognised).
pub fn lex(src: &str) -> Vec<Token> {
    lex_deck(src).tokens
}

/// Tokens, and the offsets of `.class[` openings that never close (remark
/// shows them as text; `lint` and `build` report them).
#[derive(Debug, Default)]
pub struct Lexed {
    pub tokens: Vec<Token>,
    pub unclosed: Vec<usize>,
    /// Offset of the first `.class[` nested deeper than [`MAX_DEPTH`] (kept
    /// as text; `build` and `lint` report it as an error).
    pub too_deep: Option<usize>,
    /// Searches for what closes a construct started at the top level that
    /// reached the end of the text: more text after it could change the
    /// tokens. Searches inside a content class end at its `]`, wherever
    /// the text is.
    pub unresolved: Unresolved,
}

/// What the top level of a text searched for up to its end without
/// finding it (see [`Lexed::unresolved`]): were the text followed by more,
/// each search would go on into it.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Unresolved {
    /// A backtick closing an inline code span.
    pub backtick: bool,
    /// A `]` closing a link definition's id.
    pub bracket: bool,
    /// A closing fence: (fence character, length), each once.
    pub fences: Vec<(u8, usize)>,
    /// The `[` of each `.class[` that no `]` closes.
    pub classes: Vec<usize>,
}

impl Unresolved {
    pub fn is_empty(&self) -> bool {
        !self.backtick && !self.bracket && self.fences.is_empty() && self.classes.is_empty()
    }
}

/// How deep content classes may nest (`.a[.b[...]]`). remark has no limit,
/// but every stage after the lexer walks the nesting recursively; decks
/// nest a handful of levels (container.training: 3).
pub const MAX_DEPTH: usize = 100;

pub fn lex_deck(src: &str) -> Lexed {
    let mut tokens = Vec::new();
    let mut unclosed = Vec::new();
    let mut too_deep = None;
    let closes = bracket_pairs(src.as_bytes());
    let mut state = State {
        closes: &closes,
        unclosed: &mut unclosed,
        too_deep: &mut too_deep,
        unresolved: Unresolved::default(),
    };
    lex_into(src, 0, true, 0, &mut tokens, &mut state);
    let unresolved = state.unresolved;
    // Adjacent text tokens are merged, as remark does: each run of them
    // into one string of the run's length (not grown token by token).
    let mut merged: Vec<Token> = Vec::with_capacity(tokens.len());
    let mut tokens = tokens.into_iter().peekable();
    while let Some(t) = tokens.next() {
        let Token::Text { mut text, start } = t else {
            merged.push(t);
            continue;
        };
        if let Some(Token::Text { .. }) = tokens.peek() {
            let mut run = Vec::new();
            while let Some(Token::Text { text: next, .. }) =
                tokens.next_if(|t| matches!(t, Token::Text { .. }))
            {
                run.push(next);
            }
            text.reserve_exact(run.iter().map(String::len).sum());
            for next in &run {
                text.push_str(next);
            }
        }
        merged.push(Token::Text { text, start });
    }
    Lexed {
        tokens: merged,
        unclosed,
        too_deep,
        unresolved,
    }
}

/// For each `[` of the deck that is closed, the offset of its `]`, counting
/// every bracket as remark does: (open, close) pairs sorted by opening.
/// Computed once, so that finding where a `.class[` ends is a lookup (40,000
/// unclosed ones stay linear).
pub(crate) fn bracket_pairs(bytes: &[u8]) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    let mut open = Vec::new();
    for i in memchr::memchr2_iter(b'[', b']', bytes) {
        if bytes[i] == b'[' {
            open.push(i);
        } else if let Some(o) = open.pop() {
            pairs.push((o, i));
        }
    }
    pairs.sort_unstable();
    pairs
}

/// What the lexing of the whole deck shares.
struct State<'s> {
    /// [`bracket_pairs`] of the whole deck (absolute offsets).
    closes: &'s [(usize, usize)],
    unclosed: &'s mut Vec<usize>,
    too_deep: &'s mut Option<usize>,
    /// The top level's [`Memo::unresolved`].
    unresolved: Unresolved,
}

/// Memos of one [`lex_into`] call (one run of text): searches that failed
/// from some offset fail from any later one, so they are not repeated.
#[derive(Default)]
struct Memo {
    /// Per (fence character, fence length): no closing fence at or after
    /// this offset.
    fence_fail: std::collections::HashMap<(u8, usize), usize>,
    /// The last `]` search: (searched from, found at).
    close_bracket: Option<(usize, Option<usize>)>,
    /// The first `\\` at or after the last position asked for (the length
    /// when there is none): searches only go forward, so each byte is
    /// looked at once however many tokens the text has.
    backslash: Option<usize>,
    /// Searches for what closes a construct (a fence, an inline code span,
    /// a definition's `]`, a content class's `]`) that ran to the end of
    /// the text without finding it.
    unresolved: Unresolved,
}

impl Memo {
    /// Offset of the first `\\` at or after `at` (`bytes.len()`: none).
    /// `at` never decreases within one [`lex_into`].
    fn next_backslash(&mut self, bytes: &[u8], at: usize) -> usize {
        if let Some(b) = self.backslash
            && b >= at
        {
            return b;
        }
        let b = memchr::memchr(b'\\', bytes.get(at..).unwrap_or_default())
            .map_or(bytes.len(), |n| at + n);
        self.backslash = Some(b);
        b
    }
}

#[derive(Debug)]
enum Match {
    /// Kept as text: indented code, inline code, fences.
    Text,
    /// A `.class[` that never closes (kept as text).
    Unclosed,
    Def {
        id: String,
        href: String,
        title: Option<String>,
    },
    Separator(bool),
    Notes,
    /// Content class: class names, and the bracketed text's range.
    Content {
        escaped: bool,
        classes: Vec<String>,
        inner: std::ops::Range<usize>,
    },
}

/// Lexes `src`, whose first byte is at `base` in the whole source.
fn lex_into(
    src: &str,
    base: usize,
    block: bool,
    depth: usize,
    tokens: &mut Vec<Token>,
    state: &mut State,
) {
    let bytes = src.as_bytes();
    let mut memo = Memo::default();
    let mut rest = 0; // start of the unconsumed source ("^" in remark's regex)
    while let Some((at, end, m)) = find_next(bytes, src, base, rest, block, state, &mut memo) {
        if at > rest {
            tokens.push(Token::Text {
                text: src[rest..at].to_owned(),
                start: base + rest,
            });
        }
        match m {
            Match::Unclosed => {
                state.unclosed.push(base + at);
                tokens.push(Token::Text {
                    text: src[at..end].to_owned(),
                    start: base + at,
                });
            }
            Match::Text => tokens.push(Token::Text {
                text: src[at..end].to_owned(),
                start: base + at,
            }),
            Match::Def { id, href, title } => tokens.push(Token::Def { id, href, title }),
            Match::Separator(continued) => tokens.push(Token::Separator {
                continued,
                start: base + at,
            }),
            Match::Notes => tokens.push(Token::NotesSeparator { start: base + at }),
            Match::Content {
                escaped: true,
                inner,
                ..
            } => {
                // `\.a[x]` shows as `.a[x]`.
                tokens.push(Token::Text {
                    text: src[at + 1..inner.end + 1].to_owned(),
                    start: base + at + 1,
                });
            }
            Match::Content {
                escaped: false,
                inner,
                ..
            } if depth >= MAX_DEPTH => {
                // Too deep: kept as text, reported once.
                state.too_deep.get_or_insert(base + at);
                tokens.push(Token::Text {
                    text: src[at..inner.end + 1].to_owned(),
                    start: base + at,
                });
            }
            Match::Content {
                escaped: false,
                classes,
                inner,
            } => {
                let text = &src[inner.clone()];
                let is_block = text.contains('\n');
                tokens.push(Token::ContentStart {
                    classes,
                    block: is_block,
                    start: base + at,
                });
                lex_into(text, base + inner.start, false, depth + 1, tokens, state);
                tokens.push(Token::ContentEnd {
                    block: is_block,
                    end: base + inner.end + 1,
                });
            }
        }
        rest = end;
    }
    if rest < src.len() || tokens.is_empty() {
        tokens.push(Token::Text {
            text: src[rest..].to_owned(),
            start: base + rest,
        });
    }
    if block {
        state.unresolved = memo.unresolved;
    }
}

/// Finds the leftmost match at or after `from`; returns (start, end, what).
fn find_next(
    bytes: &[u8],
    src: &str,
    base: usize,
    from: usize,
    block: bool,
    state: &State,
    memo: &mut Memo,
) -> Option<(usize, usize, Match)> {
    // Matches start at `from` or on one of `\n`, `` ` ``, `\\`, `.`; those
    // are found with SIMD search (memchr3 takes three bytes: `\\` has its
    // own iterator, merged in order).
    if from < bytes.len()
        && let Some(m) = match_at(bytes, src, base, from, from, block, state, memo)
    {
        return Some(m);
    }
    let start = from + 1;
    let hay = bytes.get(start..).unwrap_or_default();
    let mut stops = memchr::memchr3_iter(b'\n', b'`', b'.', hay).map(|k| start + k);
    let mut next_stop = stops.next();
    let mut next_backslash = memo.next_backslash(bytes, start);
    loop {
        let i = match next_stop {
            Some(a) if a < next_backslash => {
                next_stop = stops.next();
                a
            }
            _ if next_backslash < bytes.len() => {
                let b = next_backslash;
                next_backslash = memo.next_backslash(bytes, b + 1);
                b
            }
            _ => break,
        };
        if let Some(m) = match_at(bytes, src, base, from, i, block, state, memo) {
            return Some(m);
        }
    }
    // `^...$` alternatives can match the empty remainder only for separators,
    // which need at least `--`: nothing to find.
    None
}

/// The prefixes `(?:^|\n)` can take at `i`: the empty one at the start of the
/// unconsumed source, then a newline.
fn line_prefixes(bytes: &[u8], from: usize, i: usize) -> impl Iterator<Item = usize> {
    let caret = (i == from).then_some(i);
    let newline = (bytes.get(i) == Some(&b'\n')).then_some(i + 1);
    caret.into_iter().chain(newline)
}

#[allow(clippy::too_many_arguments)]
fn match_at(
    bytes: &[u8],
    src: &str,
    base: usize,
    from: usize,
    i: usize,
    block: bool,
    state: &State,
    memo: &mut Memo,
) -> Option<(usize, usize, Match)> {
    // Quick rejection, same verdict: the line alternatives (CODE, FENCES,
    // DEF, SEPARATOR, NOTES) need a line starting with one of ` `, `` ` ``,
    // `~`, `[`, `-`, `?`; the others start on `` ` ``, `.` or `\\`.
    let starts_line =
        |p: usize| matches!(bytes.get(p), Some(b' ' | b'`' | b'~' | b'[' | b'-' | b'?'));
    let line_may_match = (i == from && starts_line(i)) || (bytes[i] == b'\n' && starts_line(i + 1));
    if !line_may_match && !matches!(bytes[i], b'`' | b'.' | b'\\') {
        return None;
    }
    // CODE: (?:^|\n)( {4}[^\n]+\n*)+
    for p in line_prefixes(bytes, from, i) {
        if let Some(end) = indented_code(bytes, p) {
            return Some((i, end, Match::Text));
        }
    }
    // INLINE_CODE: `([^`]+?)`
    if bytes[i] == b'`' && bytes.get(i + 1).is_some_and(|&b| b != b'`') {
        match memchr::memchr(b'`', &bytes[i + 1..]) {
            Some(close) => return Some((i, i + 1 + close + 1, Match::Text)),
            None => memo.unresolved.backtick = true,
        }
    }
    // CONTENT: (?:\\)?((?:\.[a-zA-Z_\-][a-zA-Z\-_0-9]*)+)\[
    if bytes[i] == b'\\' || bytes[i] == b'.' {
        let escaped = bytes[i] == b'\\';
        let name_start = if escaped { i + 1 } else { i };
        if let Some((classes, open)) = content_class(bytes, src, name_start) {
            let close = state
                .closes
                .binary_search_by_key(&(base + open), |&(o, _)| o)
                .ok()
                .map(|k| state.closes[k].1 - base)
                .filter(|&c| c < bytes.len());
            return Some(match close {
                Some(close) => (
                    i,
                    close + 1,
                    Match::Content {
                        escaped,
                        classes,
                        inner: open + 1..close,
                    },
                ),
                // Unbalanced: the opening is plain text.
                None => {
                    memo.unresolved.classes.push(base + open);
                    (i, open + 1, Match::Unclosed)
                }
            });
        }
    }
    // FENCES
    for p in line_prefixes(bytes, from, i) {
        if let Some(end) = fences(bytes, p, memo) {
            return Some((i, end, Match::Text));
        }
    }
    // DEF
    for p in line_prefixes(bytes, from, i) {
        if let Some((end, m)) = definition(bytes, src, p, memo) {
            return Some((i, end, m));
        }
    }
    if block {
        // SEPARATOR: (?:^|\n)(---?)(?:\n|$)
        for p in line_prefixes(bytes, from, i) {
            for (dashes, continued) in [(3, false), (2, true)] {
                let end = p + dashes;
                if bytes
                    .get(p..end)
                    .is_some_and(|s| s.iter().all(|&b| b == b'-'))
                {
                    match bytes.get(end) {
                        None => return Some((i, end, Match::Separator(continued))),
                        Some(b'\n') => return Some((i, end + 1, Match::Separator(continued))),
                        _ => {}
                    }
                }
            }
        }
        // NOTES_SEPARATOR: (?:^|\n)(\?{3})(?:\n|$)
        for p in line_prefixes(bytes, from, i) {
            if bytes.get(p..p + 3) == Some(b"???") {
                match bytes.get(p + 3) {
                    None => return Some((i, p + 3, Match::Notes)),
                    Some(b'\n') => return Some((i, p + 4, Match::Notes)),
                    _ => {}
                }
            }
        }
    }
    None
}

/// ( {4}[^\n]+\n*)+ starting exactly at `p`.
fn indented_code(bytes: &[u8], p: usize) -> Option<usize> {
    let mut pos = p;
    let mut matched = false;
    loop {
        if bytes.get(pos..pos + 4) != Some(b"    ") {
            break;
        }
        let line = pos + 4;
        let eol = memchr::memchr(b'\n', &bytes[line..]).map_or(bytes.len(), |n| line + n);
        if eol == line {
            break;
        }
        pos = eol;
        while bytes.get(pos) == Some(&b'\n') {
            pos += 1;
        }
        matched = true;
    }
    matched.then_some(pos)
}

/// `.a.b` followed by `[`, starting at `p`; returns the classes and the
/// offset of `[`.
fn content_class(bytes: &[u8], src: &str, p: usize) -> Option<(Vec<String>, usize)> {
    let mut pos = p;
    let mut classes = Vec::new();
    while bytes.get(pos) == Some(&b'.') {
        let first = *bytes.get(pos + 1)?;
        if !(first.is_ascii_alphabetic() || first == b'_' || first == b'-') {
            return None;
        }
        let mut end = pos + 2;
        while bytes
            .get(end)
            .is_some_and(|&b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            end += 1;
        }
        classes.push(src[pos + 1..end].to_owned());
        pos = end;
    }
    (!classes.is_empty() && bytes.get(pos) == Some(&b'[')).then_some((classes, pos))
}

/// FENCES: ` *(`{3,}|~{3,}) *(?:\S+)? *\n(?:[\s\S]+?)\s*\FENCE *(?:\n+|$)`
/// starting exactly at `p`.
fn fences(bytes: &[u8], p: usize, memo: &mut Memo) -> Option<usize> {
    let mut pos = p;
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    let fence_char = *bytes.get(pos)?;
    if fence_char != b'`' && fence_char != b'~' {
        return None;
    }
    let mut run = 0;
    while bytes.get(pos + run) == Some(&fence_char) {
        run += 1;
    }
    // The regex is greedy but may give back fence characters.
    for len in (3..=run).rev() {
        if let Some(end) = fence_body(bytes, pos, len, memo) {
            return Some(end);
        }
    }
    None
}

fn fence_body(bytes: &[u8], fence_at: usize, len: usize, memo: &mut Memo) -> Option<usize> {
    let fence = &bytes[fence_at..fence_at + len];
    let mut pos = fence_at + len;
    // ` *(?:\S+)? *\n` — with backtracking, the info string may absorb
    // leftover fence characters but no spaces.
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    while bytes.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
        pos += 1;
    }
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if bytes.get(pos) != Some(&b'\n') {
        return None;
    }
    let content = pos + 1;
    // The first occurrence of the fence at least one byte into the content,
    // followed by spaces then a newline or the end.
    let first = content + 1;
    let key = (fence[0], len);
    if memo.fence_fail.get(&key).is_some_and(|&f| f <= first) {
        return None;
    }
    let mut k = first;
    while k + len <= bytes.len() {
        if &bytes[k..k + len] == fence {
            let mut e = k + len;
            while bytes.get(e) == Some(&b' ') {
                e += 1;
            }
            match bytes.get(e) {
                None => return Some(e),
                Some(b'\n') => {
                    while bytes.get(e) == Some(&b'\n') {
                        e += 1;
                    }
                    return Some(e);
                }
                _ => {}
            }
        }
        k += 1;
    }
    if memo.fence_fail.insert(key, first).is_none() {
        memo.unresolved.fences.push(key);
    }
    None
}

/// DEF: ` *\[([^\]]+)\]: *<?([^\s>]+)>?(?: +["(]([^\n]+)[")])? *(?:\n+|$)`
fn definition(bytes: &[u8], src: &str, p: usize, memo: &mut Memo) -> Option<(usize, Match)> {
    let mut pos = p;
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if bytes.get(pos) != Some(&b'[') {
        return None;
    }
    let id_start = pos + 1;
    // The next `]` (remembered: lines of `[` alone stay linear).
    let id_end = match memo.close_bracket {
        Some((from, found)) if from <= id_start && found.is_none_or(|f| f >= id_start) => found,
        _ => {
            let found = memchr::memchr(b']', &bytes[id_start..]).map(|n| id_start + n);
            memo.close_bracket = Some((id_start, found));
            found
        }
    };
    let Some(id_end) = id_end else {
        memo.unresolved.bracket = true;
        return None;
    };
    if id_end == id_start || bytes.get(id_end + 1) != Some(&b':') {
        return None;
    }
    pos = id_end + 2;
    while bytes.get(pos) == Some(&b' ') {
        pos += 1;
    }
    if bytes.get(pos) == Some(&b'<') {
        pos += 1;
    }
    let href_start = pos;
    while bytes
        .get(pos)
        .is_some_and(|&b| !b.is_ascii_whitespace() && b != b'>')
    {
        pos += 1;
    }
    if pos == href_start {
        return None;
    }
    let href = src[href_start..pos].to_owned();
    if bytes.get(pos) == Some(&b'>') {
        pos += 1;
    }
    let id = src[id_start..id_end].to_owned();
    // Optional title: the last quote or parenthesis on the line that only
    // spaces follow.
    let eol = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |n| pos + n);
    let mut title = None;
    let mut after = pos;
    let mut sp = pos;
    while bytes.get(sp) == Some(&b' ') {
        sp += 1;
    }
    if sp > pos && matches!(bytes.get(sp), Some(b'"') | Some(b'(')) {
        let mut k = eol;
        while k > sp + 1 {
            k -= 1;
            if matches!(bytes[k], b'"' | b')') && bytes[k + 1..eol].iter().all(|&b| b == b' ') {
                title = Some(src[sp + 1..k].to_owned());
                after = k + 1;
                break;
            }
        }
    }
    let mut e = after;
    while bytes.get(e) == Some(&b' ') {
        e += 1;
    }
    match bytes.get(e) {
        None => {}
        Some(b'\n') => {
            while bytes.get(e) == Some(&b'\n') {
                e += 1;
            }
        }
        _ => return None,
    }
    Some((e, Match::Def { id, href, title }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<String> {
        lex(src)
            .into_iter()
            .map(|t| match t {
                Token::Text { text, .. } => format!("T({text})"),
                Token::Def { id, .. } => format!("D({id})"),
                Token::Separator { continued, .. } => format!("S({continued})"),
                Token::NotesSeparator { .. } => "N".into(),
                Token::ContentStart { classes, block, .. } => {
                    format!("C({},{block})", classes.join("."))
                }
                Token::ContentEnd { .. } => "E".into(),
            })
            .collect()
    }

    #[test]
    fn separators_and_notes() {
        assert_eq!(
            kinds("a\n---\nb\n--\nc\n???\nn"),
            ["T(a)", "S(false)", "T(b)", "S(true)", "T(c)", "N", "T(n)"]
        );
    }

    #[test]
    fn separators_inside_fences_and_classes_do_not_split() {
        assert_eq!(
            kinds("a\n```yaml\nx\n---\ny\n```\nb"),
            ["T(a\n```yaml\nx\n---\ny\n```\nb)"]
        );
        assert_eq!(
            kinds(".exercise[\n---\n]\n"),
            ["C(exercise,true)", "T(\n---\n)", "E", "T(\n)"]
        );
    }

    #[test]
    fn content_classes_nest_and_unbalanced_ones_are_text() {
        assert_eq!(
            kinds(".a.b[x .c[y] z]"),
            [
                "C(a.b,false)",
                "T(x )",
                "C(c,false)",
                "T(y)",
                "E",
                "T( z)",
                "E"
            ]
        );
        assert_eq!(kinds(".a[ no close"), ["T(.a[ no close)"]);
        assert_eq!(kinds("\\.a[x]"), ["T(.a[x])"]);
    }

    #[test]
    fn inline_code_protects_brackets() {
        assert_eq!(kinds("`.a[x]` b"), ["T(`.a[x]` b)"]);
    }

    #[test]
    fn definitions_are_tokens() {
        assert_eq!(
            kinds("x\n[id]: http://a \"T\"\ny"),
            ["T(x)", "D(id)", "T(y)"]
        );
    }
}
