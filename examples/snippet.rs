use labdeck::remark::{lexer::lex, parser::parse};
use labdeck::render::{
    Highlighter,
    markdown::{MarkdownContext, render},
};
use std::collections::HashMap;
fn main() {
    let src = std::fs::read_to_string(std::env::args().nth(1).unwrap()).unwrap();
    let links = HashMap::new();
    let h = Highlighter::new();
    let ctx = MarkdownContext {
        links: &links,
        highlighter: &h,
    };
    for s in parse(lex(&src)) {
        println!("{}\n=====", render(&s.content, &ctx).html);
    }
}
