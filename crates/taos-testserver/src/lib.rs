//! `taos-testserver`: taosAdapter's WebSocket (`/ws`) and REST (`/rest/sql`) protocol over an
//! in-memory engine with TDengine's data model and SQL. Used as our test fixture, the demo
//! backend, and shipped to users as `taosjs/testing`.
//!
//! The server encodes and decodes with its own code (never `taos`/`taos-query`, never our client
//! crates), so that client and server are two implementations that check each other.

pub mod engine;
pub mod sql;
pub mod types;

pub mod auth;
pub mod backend;
pub mod block;
pub mod render;
pub mod rest;
pub mod server;
pub mod tmq;
pub mod ws;

pub use backend::SqlBackend;
pub use engine::{Engine, EngineConfig, SessionCtx};
pub use server::{start, start_with_backend, ServerConfig, ServerHandle};

/// What `version`, `conn` and `select server_version()` report. Real TDengine 3.3.7.5 reports
/// "3.3.7.5.alpha"; clients compare the first four numeric parts.
pub const SERVER_VERSION: &str = "3.3.7.5";
