//! Rendering a deck to one self-contained HTML page: slide Markdown to HTML
//! (`markdown`, `highlight`), then the page through Tera templates (`page`).

pub mod compat;
pub mod highlight;
pub mod markdown;
pub mod page;

pub use highlight::Highlighter;
