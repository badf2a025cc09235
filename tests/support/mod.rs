//! Helpers shared by integration tests.
#![allow(dead_code)]

pub mod apiserver;
pub mod browser;
pub mod cli;
pub mod corpus;
pub mod fixture;
pub mod fixtures;
pub mod harness;
pub mod sample;
pub mod served;
pub mod slide_text;
pub mod tls;
