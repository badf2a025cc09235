//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod apiserver;
pub mod cli;
pub mod fixtures;
pub mod slide_text;
