//! Decks written for another Markdown slide tool (Marp, Slidev). They look
//! like remark decks (`---` between slides) but start with a YAML front
//! matter and style slides with directives remark does not know: remark
//! shows the front matter as a blank slide (its `---` lines are slide
//! separators, its `key: value` lines slide properties) and the directives
//! as nothing, so the deck builds "fine" into blank, unstyled slides. This
//! module recognises them, so that `build` and `lint` say what the deck is
//! and what to do instead (`foreign-deck`).
//!
//! What marks each tool, from its own documentation:
//! - Marp: `marp: true` in the front matter (Marpit "Directives"; the
//!   Marp for VS Code switch), or Marpit directives in HTML comments
//!   (`<!-- _class: lead -->`, `<!-- paginate: true -->`; an underscore
//!   makes a directive apply to one slide);
//! - Slidev: a front matter ("headmatter") with keys only Slidev reads
//!   (`theme`, `layout: cover`, `transition`, `highlighter`...; sli.dev
//!   "Syntax Guide" and "Configurations").

/// A deck recognised as another tool's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Foreign {
    /// "Marp", "Slidev", or "Marp or Slidev" (a front matter with only
    /// `theme:`, which both read).
    pub tool: &'static str,
    /// 1-based line of the telltale.
    pub line: usize,
    /// The telltale as written (trimmed).
    pub evidence: String,
}

impl Foreign {
    /// What it is and what to do: the message of `foreign-deck`.
    pub fn message(&self) -> String {
        let what = match self.tool {
            "Marp" => {
                "build it with Marp CLI (`npx @marp-team/marp-cli deck.md`), or convert it to remark: delete the front matter, write each `<!-- _class: x -->` as a `class: x` line at the top of its slide, and drop the other directives"
            }
            "Slidev" => {
                "build it with Slidev (`npx slidev build deck.md`), or convert it to remark: delete the front matter (the first `---` block) and each slide's own `---` block, writing `class: x` (and `name: x`) lines at the top of the slide instead"
            }
            _ => {
                "build it with the tool it was written for (Marp CLI or Slidev), or convert it to remark: delete the front matter (the first `---` block) and write `class: x` lines at the top of slides instead of directives"
            }
        };
        format!(
            "this is a {} deck (`{}`), not a remark deck: labdeck would show its front matter as a blank slide and ignore its directives; {what} (docs/remark-decks.md, \"Marp and Slidev decks\")",
            self.tool, self.evidence
        )
    }
}

/// Front matter keys only Marp reads (Marpit global and local directives).
const MARP_KEYS: &[&str] = &[
    "marp",
    "paginate",
    "headingDivider",
    "size",
    "math",
    "header",
    "footer",
    "backgroundColor",
    "backgroundImage",
    "backgroundPosition",
    "backgroundRepeat",
    "backgroundSize",
    "color",
    "style",
];

/// Front matter keys only Slidev reads (its headmatter and per-slide
/// front matter).
const SLIDEV_KEYS: &[&str] = &[
    "highlighter",
    "transition",
    "mdc",
    "colorSchema",
    "drawings",
    "routerMode",
    "aspectRatio",
    "canvasWidth",
    "lineNumbers",
    "monaco",
    "download",
    "exportFilename",
    "fonts",
    "themeConfig",
    "addons",
    "favicon",
    "info",
    "selectable",
    "record",
    "contextMenu",
    "wakeLock",
    "hideInToc",
    "clicks",
    "src",
];

/// Directives Marpit reads in an HTML comment (`_` prefixed: one slide).
const MARP_COMMENT_KEYS: &[&str] = &[
    "marp",
    "theme",
    "paginate",
    "headingDivider",
    "class",
    "header",
    "footer",
    "backgroundColor",
    "backgroundImage",
    "color",
    "size",
];

/// `Some` when `text` (a chapter or deck file) is a Marp or Slidev deck.
pub fn detect(text: &str) -> Option<Foreign> {
    front_matter(text).or_else(|| marp_comment(text))
}

/// The `key` of a `key: value` line (YAML's simple keys).
fn key_of(line: &str) -> Option<(&str, &str)> {
    let (key, value) = line.split_once(':')?;
    let ok = !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    ok.then(|| (key, value.trim()))
}

/// A front matter: the file's first line is `---`, a later `---` line
/// closes it. Only top-level keys are read.
fn front_matter(text: &str) -> Option<Foreign> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text.split('\n').map(|l| l.trim_end_matches('\r'));
    if lines.next()?.trim_end() != "---" {
        return None;
    }
    let mut marp = None;
    let mut slidev = None;
    let mut theme = None;
    let mut closed = false;
    for (n, line) in lines.enumerate().take(200) {
        let number = n + 2;
        if line.trim_end() == "---" {
            closed = true;
            break;
        }
        if line.trim().is_empty() || line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        // A line YAML would not take: slide text, so no front matter.
        let (key, value) = key_of(line)?;
        let found = (number, line.trim().to_owned());
        if MARP_KEYS.contains(&key) {
            marp.get_or_insert(found);
        } else if SLIDEV_KEYS.contains(&key)
            || (key == "layout" && value != "true" && value != "false")
        {
            slidev.get_or_insert(found);
        } else if key == "theme" {
            theme.get_or_insert(found);
        }
    }
    if !closed {
        return None;
    }
    let (tool, (line, evidence)) = match (marp, slidev, theme) {
        (Some(m), _, _) => ("Marp", m),
        (None, Some(s), _) => ("Slidev", s),
        (None, None, Some(t)) => ("Marp or Slidev", t),
        (None, None, None) => return None,
    };
    Some(Foreign {
        tool,
        line,
        evidence,
    })
}

/// A Marpit directive in an HTML comment, outside fenced code.
fn marp_comment(text: &str) -> Option<Foreign> {
    // A directive line starts with `<!--`. This runs for every chapter of
    // every deck, so only such lines are read; the fences before one are
    // followed only once one is a directive (`Fences`).
    let mut fences = Fences {
        read_to: 0,
        line: 1,
        open: None,
    };
    for at in memchr::memmem::find_iter(text.as_bytes(), b"<!--") {
        let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        if !text[start..at].trim().is_empty() {
            continue;
        }
        let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
        let t = text[start..end].trim();
        let Some(inner) = t.strip_prefix("<!--").and_then(|r| r.strip_suffix("-->")) else {
            continue;
        };
        let Some((key, value)) = key_of(inner.trim()) else {
            continue;
        };
        let bare = key.strip_prefix('_').unwrap_or(key);
        // `<!-- class: x -->` is also how a remark deck writes a slide
        // property in a comment (labdeck's dialect reads it so): only the
        // underscored, one-slide form marks Marp for `class`.
        let remark_too = key == "class";
        if MARP_COMMENT_KEYS.contains(&bare)
            && !value.is_empty()
            && !remark_too
            && !fences.open_at(text, start)
        {
            return Some(Foreign {
                tool: "Marp",
                line: fences.line,
                evidence: t.to_owned(),
            });
        }
    }
    None
}

/// The fenced code blocks of a text, followed line by line up to where
/// they are asked about.
struct Fences {
    /// Where the lines not yet read start.
    read_to: usize,
    /// 1-based number of the line at `read_to`.
    line: usize,
    /// The marker of the fence open there.
    open: Option<&'static str>,
}

impl Fences {
    /// Whether the line starting at `start` (at or after the last asked)
    /// is inside a fence: ``` or ~~~, as CommonMark opens one; a directive
    /// there is an example, not the deck's own. Leaves `line` at its number.
    fn open_at(&mut self, text: &str, start: usize) -> bool {
        for line in text[self.read_to..start].split_terminator('\n') {
            self.line += 1;
            let t = line.trim();
            let marker = ["```", "~~~"].into_iter().find(|m| t.starts_with(m));
            match (self.open, marker) {
                (None, Some(m)) => self.open = Some(m),
                (Some(open), Some(m)) if open == m => self.open = None,
                _ => {}
            }
        }
        self.read_to = start;
        self.open.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marp_and_slidev_are_recognised() {
        let marp = detect("---\nmarp: true\ntheme: gaia\n---\n\n# Hello\n").unwrap();
        assert_eq!((marp.tool, marp.line), ("Marp", 2));
        assert_eq!(marp.evidence, "marp: true");
        let slidev = detect("---\ntheme: seriph\nlayout: cover\n---\n# Hi\n").unwrap();
        assert_eq!((slidev.tool, slidev.line), ("Slidev", 3));
        let both = detect("---\ntheme: default\n---\n# Hi\n").unwrap();
        assert_eq!(both.tool, "Marp or Slidev");
        let comment = detect("# Title\n\n---\n\n<!-- _class: lead -->\n# Big\n").unwrap();
        assert_eq!((comment.tool, comment.line), ("Marp", 5));
        // An example in a fence is not; the same directive after it is.
        let after = "~~~\n```\n<!-- _class: x -->\n~~~\n\r\n <!-- paginate: true -->\n";
        let after = detect(after).unwrap();
        assert_eq!(
            (after.line, after.evidence.as_str()),
            (6, "<!-- paginate: true -->")
        );
        assert!(marp.message().contains("Marp CLI"), "{}", marp.message());
    }

    #[test]
    fn remark_decks_are_not() {
        // A remark deck may start with `---` and properties remark reads.
        assert_eq!(detect("---\nlayout: true\nclass: middle\n---\n# A\n"), None);
        assert_eq!(detect("---\nname: intro\nclass: title\n\n# A\n"), None);
        assert_eq!(detect("# A\n\n```md\n<!-- _class: lead -->\n```\n"), None);
        assert_eq!(detect("# A\n\n<!-- a comment: not a directive -->\n"), None);
        // remark's comment property, not Marp's global directive.
        assert_eq!(
            detect("name: intro\n<!-- class: center, middle -->\n\n# Hello\n"),
            None
        );
        assert_eq!(detect("# A\n---\ntheme: x\n"), None);
        assert_eq!(detect("---\nname: a\n\nSome text\ncolor: red\n---\n"), None);
    }
}
