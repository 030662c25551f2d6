//! TDengine SQL: lexer, parser (AST) — owned by the engine.

pub mod ast;
pub mod lexer;
pub mod parser;

pub use parser::parse;
