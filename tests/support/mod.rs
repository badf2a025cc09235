#![allow(dead_code)]
pub mod browser;
pub mod fixture;
pub mod served;
