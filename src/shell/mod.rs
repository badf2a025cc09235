//! The one model of shell and kubectl command lines, read alike by `run`
//! (what to type, whether it returns), `lint` (what a slide makes a
//! student do) and `checks suggest` (what a command changes):
//! - [`lines`]: where one typed command ends and the next begins;
//! - [`parse`]: the simple commands of a block and their words, as bash
//!   reads them (quotes, operators, here-documents, redirections);
//! - [`args`]: flags as cobra/pflag read them, with kubectl's and helm's
//!   tables of flags that take a value;
//! - [`behaviour`]: returns, never ends, or opens an interactive program;
//! - [`typing`]: an exercise's steps as the actions a student performs.

pub mod args;
pub mod behaviour;
pub mod lines;
pub mod parse;
pub mod typing;

pub use typing::SHELL_LANGS;
