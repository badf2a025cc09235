//! highlight.js's styles, one per remark `highlightStyle`, as remark 0.14.1
//! bundles them (src/render/highlight-styles.css, written from remark's
//! build by tools/remark-styles.py): remark puts them all in the page
//! (src/remark/components/styler/styler.js `styleDocument`); a page gets the
//! ones its slides name, since code is coloured with highlight.js's classes
//! (highlight.rs).

/// The styles file: a notice, then per style a `/* highlightStyle: NAME */`
/// line and its CSS on the next.
const STYLES: &str = include_str!("highlight-styles.css");

const MARK: &str = "/* highlightStyle: ";

/// Every style remark offers: (name, CSS), in remark's order.
pub fn styles() -> impl Iterator<Item = (&'static str, &'static str)> {
    let mut lines = STYLES.lines();
    std::iter::from_fn(move || {
        loop {
            let line = lines.next()?;
            if let Some(name) = line.strip_prefix(MARK).and_then(|r| r.strip_suffix(" */")) {
                return Some((name, lines.next().unwrap_or("")));
            }
        }
    })
}

/// The CSS of style `name` (every selector under `.hljs-<name>`), if remark
/// has it.
pub fn style(name: &str) -> Option<&'static str> {
    styles().find(|(n, _)| *n == name).map(|(_, css)| css)
}

/// What the page says about the styles' origin and licence, before them.
pub const NOTICE: &str = "/* highlight.js 9 styles as remark 0.14.1 bundles them; highlight.js: Copyright (c) 2006, Ivan Sagalaev, BSD-3-Clause (https://github.com/highlightjs/highlight.js/blob/9-18-stable/LICENSE) */";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_style_remark_offers_is_there_under_its_class() {
        let names: Vec<&str> = styles().map(|(n, _)| n).collect();
        assert_eq!(names.len(), 76, "{names:?}");
        for (name, css) in styles() {
            // (`darkula` is highlight.js's deprecated alias of `darcula`:
            // an `@import` inside a rule, which colours nothing, as in remark.)
            assert!(css.starts_with(&format!(".hljs-{name}")), "{name}");
            assert!(!css.contains("</"), "{name}: could end the <style>");
        }
        assert!(style("monokai").is_some_and(|c| c.contains("#f92672")));
        assert!(style("tomorrow-night-blue").is_some_and(|c| c.contains("#002451")));
        assert!(style("no-such-style").is_none());
    }
}
