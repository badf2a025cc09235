//! The remark.js Markdown dialect: what turns deck source into the slides
//! remark shows (`deck-format.md` §4). Markdown inside slides is rendered
//! later, by `render`.

pub mod lexer;
pub mod options;
pub mod parser;
pub mod slideshow;

pub use parser::{LinkDef, Node};
