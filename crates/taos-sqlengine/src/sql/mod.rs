//! TDengine SQL: lexer, parser (AST) — owned by the engine.

pub(crate) mod ast;
pub(crate) mod lexer;
pub(crate) mod parser;

pub use parser::parse_in;
#[cfg(test)]
pub use parser::parse;
