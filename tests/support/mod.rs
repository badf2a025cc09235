//! Shared test helpers: a loopback fake Kubernetes API server and fixtures.
#![allow(dead_code)]

pub mod apiserver;
pub mod cli;
pub mod fixtures;
