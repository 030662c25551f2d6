//! `taos-testserver`: taosAdapter's WebSocket (`/ws`, `/rest/tmq`) and REST (`/rest/sql`) protocol
//! over an in-memory engine with TDengine's data model and SQL (`taos-sqlengine`). Used as our
//! test fixture, the demo backend, and shipped to users as `taosjs/testing`.
//!
//! This crate is the protocol side: it reaches the engine only through the engine crate's
//! contract ([`SqlBackend`] and its types), so any backend can be served
//! ([`start_with_backend`]). The server encodes and decodes with its own code (never
//! `taos`/`taos-query`, never our client crates), so that client and server are two
//! implementations that check each other.

pub mod auth;
pub mod block;
pub mod faults;
pub mod render;
pub mod rest;
pub mod server;
mod sml_http;
pub mod tmq;
pub mod ws;

mod backend_call;
mod cors;
mod config;
mod envelope;
mod goparse;
mod shared;

pub use config::{ServerConfig, SERVER_VERSION};
pub use faults::Faults;
pub use server::{start, start_with_backend, ServerHandle};
pub use shared::OpenResults;
pub use taos_sqlengine::{types, Engine, EngineConfig, SessionCtx, SqlBackend};
