//! Rendering a deck to one self-contained HTML page: slide Markdown to HTML
//! (`markdown`, `highlight`), then the page through Tera templates (`page`).

pub mod css_assets;
// Also keys the class board's default history (grade/history.rs).
pub(crate) mod fnv;
pub mod highlight;
pub mod highlight_styles;
pub mod markdown;
pub mod memo;
pub mod page;
pub mod script_text;

pub use highlight::Highlighter;

use std::sync::Arc;

use markdown::{KeyLinks, MarkdownContext, Rendered};
use memo::Memo;

/// Rendering work shared by every deck of a build (and every rebuild of
/// `serve`): highlighted code blocks and converted slide contents.
#[derive(Default)]
pub struct RenderCache {
    pub highlighter: Highlighter,
    slides: Memo<String, Arc<Rendered>>,
}

impl RenderCache {
    pub fn new() -> Self {
        RenderCache::default()
    }

    /// [`markdown::render`] of `nodes` with this cache's highlighter,
    /// computed once per distinct content. `key_links` is
    /// `KeyLinks::new(links)`, made once per deck.
    pub fn render(
        &self,
        nodes: &[crate::remark::Node],
        links: &std::collections::HashMap<String, crate::remark::LinkDef>,
        key_links: &KeyLinks,
        code: &highlight::CodeOptions,
    ) -> Arc<Rendered> {
        let ctx = MarkdownContext {
            links,
            highlighter: &self.highlighter,
            code,
        };
        if nodes.is_empty() {
            return Arc::new(Rendered::default());
        }
        self.slides
            .get_or_compute(markdown::cache_key(nodes, key_links, code), || {
                Arc::new(markdown::render(nodes, &ctx))
            })
    }
}
