//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod slide_text;
