//! Test-only crate: see `tests/`. The published `taos` client is one more official client of our
//! server (toolchain.md: it decodes every classic type; DECIMAL/BLOB are kept away from it).
