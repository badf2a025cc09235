//! The remark.js Markdown dialect: what turns deck source into the slides
//! remark shows (`deck-format.md` §4), and what a slide shows: Markdown as
//! remark's library (`marked`) read it ([`marked`]) and the code blocks a
//! student reads ([`displayed`]). The renderer, exercises, lint and suggest
//! all learn the dialect here; `render` only turns it into HTML.

pub mod displayed;
pub mod lexer;
pub mod marked;
pub mod options;
pub mod parser;
pub mod segments;
pub mod slideshow;

pub use parser::{LinkDef, Node};
