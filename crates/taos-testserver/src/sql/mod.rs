//! TDengine SQL: lexer, parser (AST) — owned by the engine.
