//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod browser;
pub mod fixture;
pub mod served;
pub mod slide_text;
