//! remark's lexer and parser, run once per distinct piece of deck text for
//! all the decks of one call, not once per deck.
//!
//! The decks of a course share most of their chapters (the 14
//! container.training decks name 202 chapter files 659 times), and
//! [`lexer::lex_deck`] reads a deck's whole source: a content class's
//! brackets are paired across the whole deck as remark pairs them, and a
//! fence or an inline code span left open in one chapter runs on into the
//! next. So a deck's source is cut after each `\n---\n` line into pieces;
//! each piece is lexed and parsed on its own, once per distinct text (the
//! memo, [`Parses`]), and the deck's slides are its pieces' slides, one
//! after the other. That gives exactly what lexing the whole source gives
//! when every piece but the last is *whole*:
//!
//! - its tokens end with the `---` separator it was cut after, so that the
//!   whole source's lexer, like the piece's, starts the next piece at the
//!   start of the unconsumed text (remark's `^`);
//! - every search its top level made for what closes a construct (a
//!   fence's closing fence, an inline code span's backtick, a link
//!   definition's `]`, a content class's `]`) and that ran to its end
//!   ([`lexer::Lexed::unresolved`]) finds nothing in the rest of the
//!   source either (a backtick never closed in the whole deck stays open
//!   there too): any other decision of the lexer looks at most at the rest
//!   of a line, and the piece ends with a line break. Bracket pairs inside
//!   a piece are the same in the whole source (remark's stack pairs each
//!   `]` with the nearest open `[`, so a piece's own pairs do not change
//!   whatever is left open before it); a `.class[` the piece leaves open
//!   must be left open in the whole source too.
//!
//! The parser then splits at the same separators: the slide the last
//! separator of a piece opens is the first slide of the next. A piece that
//! is not whole (a YAML fence holding `---`) is tried again with the next
//! pieces, 2, 4, 8... of them, so an unclosed fence early in a deck costs
//! at most twice the deck's lexing. `tests/corpus.rs` checks that every
//! corpus deck parses the same both ways, and the tests below check random
//! texts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::lexer;
use super::parser::{self, Node, ParsedSlide};

/// What the lexer and parser make of a deck's source.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// The slides, `exclude: true` ones dropped (as [`parser::parse`]).
    pub slides: Vec<ParsedSlide>,
    /// [`lexer::Lexed::unclosed`].
    pub unclosed: Vec<usize>,
    /// [`lexer::Lexed::too_deep`].
    pub too_deep: Option<usize>,
}

/// Lexes and parses `src` whole (one deck on its own: nothing to share).
pub fn parse_whole(src: &str) -> Parsed {
    let lexed = lexer::lex_deck(src);
    Parsed {
        slides: parser::parse(lexed.tokens),
        unclosed: lexed.unclosed,
        too_deep: lexed.too_deep,
    }
}

/// One piece of a deck's source, lexed and parsed on its own; offsets
/// count from the piece's start.
#[derive(Debug)]
struct Piece {
    /// Every slide, excluded ones too (they are dropped once the deck's
    /// slides are joined: the last slide of a piece may be excluded by
    /// properties the next piece gives it).
    slides: Vec<ParsedSlide>,
    unclosed: Vec<usize>,
    too_deep: Option<usize>,
    /// Its tokens end with a separator (see the module's comment).
    ends_with_separator: bool,
    unresolved: lexer::Unresolved,
}

/// Pieces parsed so far, by text, shared by the decks of one call.
#[derive(Default)]
pub struct Parses {
    pieces: Mutex<HashMap<Box<str>, Arc<Piece>, crate::hashing::Seeded>>,
}

impl std::fmt::Debug for Parses {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self.pieces.lock().map_or(0, |p| p.len());
        write!(f, "Parses({n} pieces)")
    }
}

/// Where each piece of `src` may end: just past each `\n---\n`.
fn cuts(src: &str) -> Vec<usize> {
    memchr::memmem::find_iter(src.as_bytes(), b"\n---\n")
        .map(|at| at + 5)
        .collect()
}

impl Parses {
    /// How many distinct pieces were lexed and parsed so far.
    pub fn len(&self) -> usize {
        self.pieces.lock().map_or(0, |p| p.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// [`parse_whole`] of `src`, from pieces parsed once for every deck.
    pub fn parse(&self, src: &str) -> Parsed {
        let cuts = cuts(src);
        let mut rest = Rest::new(src);
        // A slide per piece or more: the deck's slides are moved once.
        let mut out = Parsed {
            slides: Vec::with_capacity(cuts.len().saturating_add(1)),
            ..Parsed::default()
        };
        // The slide the previous piece's last separator opened: its start
        // and whether it continues (the next piece's first slide).
        let mut opened: Option<(usize, bool)> = None;
        let mut start = 0;
        // Index into `cuts` of the first cut after `start`.
        let mut next = 0;
        loop {
            // 1, 2, 4... pieces, until they make a whole one or reach the end.
            let mut span = 1;
            let (end, piece) = loop {
                let end = cuts.get(next + span - 1).copied().unwrap_or(src.len());
                let piece = self.piece(&src[start..end]);
                if end == src.len()
                    || (piece.ends_with_separator && rest.fails_too(&piece.unresolved, start, end))
                {
                    break (end, piece);
                }
                span *= 2;
            };
            let last = end == src.len();
            let mut slides = piece.slides.iter();
            // A whole piece's last slide is the one its separator opens,
            // still empty: the next piece's first slide is it.
            let keep = if last {
                piece.slides.len()
            } else {
                piece.slides.len().saturating_sub(1)
            };
            for (i, slide) in slides.by_ref().take(keep).enumerate() {
                let mut s = shifted(slide, start);
                if i == 0
                    && let Some((at, continued)) = opened
                {
                    s.start = at;
                    s.continued = continued;
                }
                out.slides.push(s);
            }
            opened = slides.next().map(|s| (s.start + start, s.continued));
            out.unclosed
                .extend(piece.unclosed.iter().map(|&o| o + start));
            if out.too_deep.is_none() {
                out.too_deep = piece.too_deep.map(|o| o + start);
            }
            if last {
                break;
            }
            start = end;
            next = cuts.partition_point(|&c| c <= start);
        }
        out.slides.retain(|s| !parser::is_excluded(s));
        out
    }

    /// The piece of text `text`, lexed and parsed once.
    fn piece(&self, text: &str) -> Arc<Piece> {
        if let Ok(pieces) = self.pieces.lock()
            && let Some(p) = pieces.get(text)
        {
            return p.clone();
        }
        // Parsed outside the lock: two decks asking at once may both parse
        // it, with the same result.
        let lexed = lexer::lex_deck(text);
        let ends_with_separator =
            matches!(lexed.tokens.last(), Some(lexer::Token::Separator { .. }));
        let piece = Arc::new(Piece {
            slides: parser::parse_all(lexed.tokens),
            unclosed: lexed.unclosed,
            too_deep: lexed.too_deep,
            ends_with_separator,
            unresolved: lexed.unresolved,
        });
        if let Ok(mut pieces) = self.pieces.lock() {
            pieces.insert(text.into(), piece.clone());
        }
        piece
    }
}

/// A deck's whole source, asked whether a search a piece of it made up to
/// the piece's end finds nothing after it either.
struct Rest<'s> {
    bytes: &'s [u8],
    last_backtick: Option<usize>,
    last_bracket: Option<usize>,
    /// By (fence character, length): where the last closing fence starts.
    last_fence: HashMap<(u8, usize), Option<usize>>,
    /// The source's bracket pairs, once a piece leaves a `.class[` open.
    pairs: Option<Vec<(usize, usize)>>,
}

impl<'s> Rest<'s> {
    fn new(src: &'s str) -> Self {
        let bytes = src.as_bytes();
        Rest {
            bytes,
            last_backtick: memchr::memrchr(b'`', bytes),
            last_bracket: memchr::memrchr(b']', bytes),
            last_fence: HashMap::new(),
            pairs: None,
        }
    }

    /// Whether each search in `u`, made by the piece `start..end` up to
    /// its end, fails in the whole source too.
    fn fails_too(&mut self, u: &lexer::Unresolved, start: usize, end: usize) -> bool {
        let before = |last: Option<usize>| last.is_none_or(|at| at < end);
        if (u.backtick && !before(self.last_backtick)) || (u.bracket && !before(self.last_bracket))
        {
            return false;
        }
        for &(fence, len) in &u.fences {
            let bytes = self.bytes;
            let last = *self
                .last_fence
                .entry((fence, len))
                .or_insert_with(|| last_closing_fence(bytes, fence, len));
            if !before(last) {
                return false;
            }
        }
        if !u.classes.is_empty() {
            let bytes = self.bytes;
            let pairs = self
                .pairs
                .get_or_insert_with(|| lexer::bracket_pairs(bytes));
            let closed = |open: &usize| {
                pairs
                    .binary_search_by_key(&(start + open), |&(o, _)| o)
                    .is_ok()
            };
            if u.classes.iter().any(closed) {
                return false;
            }
        }
        true
    }
}

/// Where the last run of `len` `fence` characters that spaces and then a
/// line end (or the end) follow starts: where a fence of that length could
/// close (as `lexer::fence_body` looks for one).
fn last_closing_fence(bytes: &[u8], fence: u8, len: usize) -> Option<usize> {
    let mut last = None;
    for k in memchr::memchr_iter(fence, bytes) {
        let Some(run) = bytes.get(k..k + len) else {
            break;
        };
        if run.iter().any(|&b| b != fence) {
            continue;
        }
        let mut e = k + len;
        while bytes.get(e) == Some(&b' ') {
            e += 1;
        }
        if matches!(bytes.get(e), None | Some(b'\n')) {
            last = Some(k);
        }
    }
    last
}

/// `slide` with every source offset moved on by `by`.
fn shifted(slide: &ParsedSlide, by: usize) -> ParsedSlide {
    ParsedSlide {
        properties: slide.properties.clone(),
        content: shifted_nodes(&slide.content, by),
        notes: slide.notes.as_ref().map(|n| shifted_nodes(n, by)),
        links: slide.links.clone(),
        continued: slide.continued,
        start: slide.start + by,
        late_properties: slide
            .late_properties
            .iter()
            .map(|(o, k)| (o + by, k.clone()))
            .collect(),
        property_offsets: slide
            .property_offsets
            .iter()
            .map(|(k, o)| (k.clone(), o + by))
            .collect(),
    }
}

fn shifted_nodes(nodes: &[Node], by: usize) -> Vec<Node> {
    nodes
        .iter()
        .map(|n| match n {
            Node::Text { text, start } => Node::Text {
                text: text.clone(),
                start: start + by,
            },
            Node::Class {
                classes,
                block,
                content,
                start,
                end,
            } => Node::Class {
                classes: classes.clone(),
                block: *block,
                content: shifted_nodes(content, by),
                start: start + by,
                end: end + by,
            },
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Texts made of the pieces that open and close things across slides.
    fn random_text(seed: &mut u64, len: usize) -> String {
        const PARTS: &[&str] = &[
            "\n---\n",
            "\n---\n",
            "\n--\n",
            "\n???\n",
            "```yaml\n",
            "```\n",
            "~~~\n",
            "`",
            ".a[",
            ".b.c[\n",
            "]",
            "[",
            "\\.x[",
            "[id]: http://x \"t\"\n",
            "[id\n",
            "    code\n",
            "\n",
            "\n\n",
            "text ",
            "# T\n",
            "class: x\n",
            "exclude: true\n",
            "name: n\n",
            "<!-- class: y -->\n",
            "-",
            "---",
            "?",
            " ",
            "&amp;",
        ];
        let mut s = String::new();
        for _ in 0..len {
            *seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            let k = (*seed >> 33) as usize % PARTS.len();
            s.push_str(PARTS[k]);
        }
        s
    }

    #[test]
    fn pieces_parse_as_the_whole_text() {
        let parses = Parses::default();
        let mut seed = 27;
        for case in 0..3000 {
            let text = random_text(&mut seed, case % 60);
            assert_eq!(parses.parse(&text), parse_whole(&text), "{text:?}");
        }
    }

    #[test]
    fn a_fence_holding_separators_is_lexed_with_the_slides_after_it() {
        let text = "a\n---\n```yaml\nx: 1\n---\ny: 2\n---\nz\n```\n---\nb\n---\nc";
        let parses = Parses::default();
        let parsed = parses.parse(text);
        assert_eq!(parsed, parse_whole(text));
        assert_eq!(parsed.slides.len(), 4);
        // Shared pieces: a second deck reuses the first one's.
        let before = parses.pieces.lock().unwrap().len();
        let again = parses.parse(&format!("{text}\n---\nd"));
        assert_eq!(again, parse_whole(&format!("{text}\n---\nd")));
        assert!(parses.pieces.lock().unwrap().len() <= before + 2);
    }

    #[test]
    fn empty_and_separator_only_texts() {
        let parses = Parses::default();
        for text in [
            "",
            "\n---\n",
            "\n---\n\n---\n",
            "---\n",
            "a\n---\n---\n---\nb",
        ] {
            assert_eq!(parses.parse(text), parse_whole(text), "{text:?}");
        }
    }
}
