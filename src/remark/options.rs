//! remark's `remark.create({...})` options that change what a deck shows:
//! one struct, filled from remark's defaults, then from the manifest's
//! `remark:` mapping, an HTML page's `remark.create()` call, or
//! `--remark KEY=VALUE`. Every value is read and checked here, so that the
//! renderer and the page runtime only see valid options.
//!
//! Defaults are remark 0.14's (src/remark/models/slideshow.js
//! `getOrDefault`, src/remark/scaler.js, src/remark/models/slideshow/
//! navigation.js). A container.training manifest (`.yml`) starts from the
//! options its page template passes instead (16:9, `highlightSpans: true`,
//! `slideNumberFormat: '<prefix>%current%/%total%'`).

use serde::Serialize;
use serde_json::Value;

/// The options (remark's names in comments).
pub use crate::error::OptionError;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemarkOptions {
    /// `ratio`: width and height, e.g. 4 and 3.
    pub ratio: (u32, u32),
    /// `countIncrementalSlides`: `--` steps get their own number.
    pub count_incremental_slides: bool,
    /// `slideNumberFormat`, with `%current%` and `%total%`.
    pub slide_number_format: String,
    /// `highlightStyle`: the highlight.js style (`hljs-<style>` class).
    pub highlight_style: String,
    /// `highlightLanguage`: language of code blocks that name none.
    pub highlight_language: String,
    /// `highlightLines`: `*` at the start of a code line highlights it.
    pub highlight_lines: bool,
    /// `highlightSpans`: `` `text` `` in code is highlighted.
    pub highlight_spans: bool,
    /// `navigation`.
    pub navigation: Navigation,
}

/// remark's `navigation` option.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Navigation {
    /// `scroll`: the mouse wheel changes slides.
    pub scroll: bool,
    /// `touch`: swipes change slides.
    pub touch: bool,
    /// `click`: a click goes forward (right button back).
    pub click: bool,
}

/// remark's options that change code blocks (remark 0.14
/// src/remark/views/slideView.js `highlightCodeBlocks`): what the page
/// shows, what `run` types and what `lint` reads all follow them
/// ([`RemarkOptions::code`]).
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

impl Default for RemarkOptions {
    fn default() -> Self {
        RemarkOptions::remark()
    }
}

impl RemarkOptions {
    /// remark 0.14's defaults.
    pub fn remark() -> Self {
        RemarkOptions {
            ratio: (4, 3),
            count_incremental_slides: true,
            slide_number_format: "%current% / %total%".to_owned(),
            highlight_style: "default".to_owned(),
            highlight_language: String::new(),
            highlight_lines: false,
            highlight_spans: false,
            navigation: Navigation {
                scroll: true,
                touch: true,
                click: false,
            },
        }
    }

    /// The options that change code blocks: the one place the page, `run`
    /// and `lint` take them from.
    pub fn code(&self) -> CodeOptions {
        CodeOptions {
            language: self.highlight_language.clone(),
            lines: self.highlight_lines,
            spans: self.highlight_spans,
        }
    }

    /// What container.training's page template passes to `remark.create()`
    /// (the `.yml` manifest format is that build's).
    pub fn container_training(slide_number_prefix: &str) -> Self {
        RemarkOptions {
            ratio: (16, 9),
            highlight_spans: true,
            slide_number_format: format!("{slide_number_prefix}%current%/%total%"),
            ..RemarkOptions::remark()
        }
    }

    /// Sets one option from a value as written (JSON, YAML or an HTML
    /// page's object literal). Unknown keys are ignored (remark ignores
    /// them too: `sourceUrl`, `container`, `macros`...); a known key with a
    /// value of the wrong kind is an error naming it.
    pub fn set(&mut self, key: &str, value: &Value) -> Result<(), OptionError> {
        let bad = |expected: &'static str| OptionError::Expected {
            key: key.to_owned(),
            expected,
            got: value.clone(),
        };
        match key {
            "ratio" => {
                let s = value
                    .as_str()
                    .ok_or_else(|| bad("a string like \"16:9\""))?;
                self.ratio = parse_ratio(s).ok_or_else(|| bad("a ratio like \"16:9\""))?;
            }
            "countIncrementalSlides" => {
                self.count_incremental_slides =
                    as_bool(value).ok_or_else(|| bad("true or false"))?
            }
            "slideNumberFormat" => {
                self.slide_number_format = match value {
                    Value::String(s) => s.clone(),
                    _ => return Err(bad("a string")),
                }
            }
            "highlightStyle" => {
                let s = match value {
                    Value::String(s) => s.clone(),
                    Value::Null => String::new(),
                    _ => return Err(bad("a style name")),
                };
                // Any name goes into the `hljs-<name>` class, as in remark;
                // the page has highlight.js's colours for the names remark
                // has (render/highlight_styles.rs). `kimbie.dark` and
                // `kimbie.light` keep their dot: remark's class is then
                // `hljs-kimbie.dark`, which its own `.hljs-kimbie.dark`
                // rules (two classes) never match, so remark shows those
                // two uncoloured, and so does labdeck.
                if !s
                    .bytes()
                    .all(|c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'.')
                {
                    return Err(bad("a style name (letters, digits, `-`, `.`)"));
                }
                self.highlight_style = s;
            }
            "highlightLanguage" => {
                self.highlight_language = value
                    .as_str()
                    .ok_or_else(|| bad("a language name"))?
                    .to_owned()
            }
            "highlightLines" => {
                self.highlight_lines = as_bool(value).ok_or_else(|| bad("true or false"))?
            }
            "highlightSpans" => {
                self.highlight_spans = as_bool(value).ok_or_else(|| bad("true or false"))?
            }
            "navigation" => {
                let map = value
                    .as_object()
                    .ok_or_else(|| bad("a mapping of scroll, touch, click"))?;
                for (k, v) in map {
                    let b = as_bool(v).ok_or_else(|| OptionError::Expected {
                        key: format!("navigation.{k}"),
                        expected: "true or false",
                        got: v.clone(),
                    })?;
                    match k.as_str() {
                        "scroll" => self.navigation.scroll = b,
                        "touch" => self.navigation.touch = b,
                        "click" => self.navigation.click = b,
                        _ => {}
                    }
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Sets options from `KEY=VALUE` (the command line): the value is JSON
    /// when it parses as JSON, else a string.
    pub fn set_assignment(&mut self, assignment: &str) -> Result<(), OptionError> {
        let (key, value) = assignment
            .split_once('=')
            .ok_or_else(|| OptionError::NotAnAssignment(assignment.to_owned()))?;
        let value = serde_json::from_str(value).unwrap_or_else(|_| Value::String(value.into()));
        self.set(key.trim(), &value)
    }

    /// Slide width and height in CSS pixels (remark's scaler.js: height
    /// 681, width `floor(681 * ratio)`).
    pub fn dimensions(&self) -> (u32, u32) {
        let (w, h) = self.ratio;
        let width = 681u64 * u64::from(w) / u64::from(h.max(1));
        (u32::try_from(width).unwrap_or(u32::MAX), 681)
    }

    /// The slide number text, as remark's slide-number component makes it
    /// (remark `src/remark/components/slide-number/slide-number.js`,
    /// `formatSlideNumber`: `format.replace('%current%', current)
    /// .replace('%total%', total)`): a JavaScript string pattern replaces
    /// only its first occurrence.
    pub fn slide_number(&self, current: usize, total: usize) -> String {
        self.slide_numbers().text(current, total)
    }

    /// [`Self::slide_number`] for every slide of a deck: the format is read
    /// once.
    pub fn slide_numbers(&self) -> SlideNumbers {
        SlideNumbers::new(&self.slide_number_format)
    }
}

/// A `slideNumberFormat` cut where its numbers go ([`RemarkOptions::slide_number`]).
#[derive(Debug, Clone)]
pub struct SlideNumbers {
    pieces: Vec<NumberPiece>,
}

#[derive(Debug, Clone)]
enum NumberPiece {
    Text(String),
    Current,
    Total,
}

impl SlideNumbers {
    fn new(format: &str) -> SlideNumbers {
        use NumberPiece::{Current, Text, Total};
        const CURRENT: &str = "%current%";
        const TOTAL: &str = "%total%";
        // `%total%` is looked for in the text the first replacement made,
        // around a number: no digit is in `%total%`, so it is found in the
        // text before the number, else in the text after it.
        let around = |text: &str, number: NumberPiece, total_first: bool| match text.find(TOTAL) {
            Some(at) if total_first => vec![
                Text(text[..at].to_owned()),
                Total,
                Text(text[at + TOTAL.len()..].to_owned()),
                number,
            ],
            Some(at) => vec![
                number,
                Text(text[..at].to_owned()),
                Total,
                Text(text[at + TOTAL.len()..].to_owned()),
            ],
            None if total_first => vec![Text(text.to_owned()), number],
            None => vec![number, Text(text.to_owned())],
        };
        let pieces = match format.find(CURRENT) {
            Some(at) => {
                let (before, after) = (&format[..at], &format[at + CURRENT.len()..]);
                if before.contains(TOTAL) {
                    let mut pieces = around(before, Current, true);
                    pieces.push(Text(after.to_owned()));
                    pieces
                } else {
                    let mut pieces = vec![Text(before.to_owned())];
                    pieces.extend(around(after, Current, false));
                    pieces
                }
            }
            None => match format.find(TOTAL) {
                Some(at) => vec![
                    Text(format[..at].to_owned()),
                    Total,
                    Text(format[at + TOTAL.len()..].to_owned()),
                ],
                None => vec![Text(format.to_owned())],
            },
        };
        SlideNumbers { pieces }
    }

    /// The number text of slide `current` of `total`.
    pub fn text(&self, current: usize, total: usize) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(16);
        for piece in &self.pieces {
            // Writing to a String cannot fail.
            let _ = match piece {
                NumberPiece::Text(t) => out.write_str(t),
                NumberPiece::Current => write!(out, "{current}"),
                NumberPiece::Total => write!(out, "{total}"),
            };
        }
        out
    }
}

fn as_bool(v: &Value) -> Option<bool> {
    match v {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s == "true" => Some(true),
        Value::String(s) if s == "false" => Some(false),
        _ => None,
    }
}

/// `W:H` with positive integers (remark: `/^(\d+):(\d+)$/`).
fn parse_ratio(s: &str) -> Option<(u32, u32)> {
    let (w, h) = s.trim().split_once(':')?;
    let w: u32 = w.parse().ok()?;
    let h: u32 = h.parse().ok()?;
    (w > 0 && h > 0 && w <= 1000 && h <= 1000).then_some((w, h))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn defaults_are_remarks() {
        let o = RemarkOptions::remark();
        assert_eq!(o.dimensions(), (908, 681));
        assert_eq!(o.slide_number(3, 10), "3 / 10");
        // Only the first of each is replaced, as in remark.
        let mut twice = RemarkOptions::remark();
        twice.slide_number_format = "%current%/%total% (%current%, %total%)".into();
        assert_eq!(twice.slide_number(3, 10), "3/10 (%current%, %total%)");
        assert!(!o.highlight_spans && !o.highlight_lines && o.count_incremental_slides);
        assert_eq!(o.highlight_style, "default");
        let ct = RemarkOptions::container_training("k8s ");
        assert_eq!(ct.dimensions(), (1210, 681));
        assert_eq!(ct.slide_number(3, 10), "k8s 3/10");
    }

    #[test]
    fn values_are_checked() {
        let mut o = RemarkOptions::remark();
        o.set("ratio", &json!("16:9")).unwrap();
        assert_eq!(o.ratio, (16, 9));
        assert!(o.set("ratio", &json!("wide")).is_err());
        assert!(o.set("highlightStyle", &json!("a b")).is_err());
        o.set("highlightStyle", &json!("monokai")).unwrap();
        o.set("highlightStyle", &json!("kimbie.dark")).unwrap();
        assert_eq!(o.highlight_style, "kimbie.dark");
        o.set("navigation", &json!({"scroll": false})).unwrap();
        assert!(!o.navigation.scroll && o.navigation.touch);
        o.set_assignment("highlightLines=true").unwrap();
        assert!(o.highlight_lines);
        o.set_assignment("slideNumberFormat=%current%").unwrap();
        assert_eq!(o.slide_number(2, 5), "2");
        o.set("sourceUrl", &json!("x.md")).unwrap();
    }

    #[test]
    fn slide_numbers_replace_as_javascript_does() {
        // `format.replace('%current%', c).replace('%total%', t)`, by hand.
        fn replaced(format: &str, current: usize, total: usize) -> String {
            let once = format.replacen("%current%", &current.to_string(), 1);
            once.replacen("%total%", &total.to_string(), 1)
        }
        for format in [
            "",
            "plain",
            "%current% / %total%",
            "%total% then %current%",
            "%total%%current%%total%",
            "%current%%current%%total%%total%",
            "%cur%current%rent% %tot%total%al%",
            "%%current%%total%%",
            "%total",
            "%current",
            "é %current% ü %total% ß",
        ] {
            let numbers = SlideNumbers::new(format);
            for (c, t) in [(1, 1), (7, 2193), (100, 9)] {
                assert_eq!(numbers.text(c, t), replaced(format, c, t), "{format:?}");
            }
        }
    }
}
