//! `taos-sqlengine`: the in-memory SQL engine behind `taos-testserver` — TDengine's data model
//! (databases, super/child/normal tables, tags, topics) and its SQL dialect over columnar tables
//! kept in timestamp order.
//!
//! The public surface is the contract with the protocol front ends, and nothing else:
//! - [`types`]: data types, values, fields, result sets, outcomes and TDengine errors;
//! - [`backend::SqlBackend`]: what a front end may ask of an engine;
//! - [`session::SessionCtx`], [`statement`] (prepared statements and bound values),
//!   [`topic::TopicBatch`] (what a TMQ consumer is handed) and [`MetaJson`] (the text of its
//!   metas), the trait's parameters and answers;
//! - [`Engine`] and [`EngineConfig`], the implementation and how it is configured (the server's
//!   identity, such as the version `server_version()` reports, is passed in, never looked up).
//!
//! The parser (`sql`) and the executor (`engine`) are private: a front end cannot reach past the
//! trait. The engine uses no I/O runtime and never `taos`/`taos-query` or the taosjs client
//! crates, so that client and server stay two independent implementations.

pub mod backend;
pub mod session;
pub mod statement;
pub mod topic;
pub mod types;

mod engine;
mod sql;

pub use backend::SqlBackend;
pub use engine::{system_timezone, Engine, EngineConfig, MetaJson};
pub use session::SessionCtx;
pub use statement::{BindType, BoundTable, PreparedStmt, StmtField, StmtPlan};
pub use topic::{RawColumn, TmqConsumer, TopicBatch, TopicLogBody, TopicLogMessage};
