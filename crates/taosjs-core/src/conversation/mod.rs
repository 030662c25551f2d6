//! What every conversation with taosAdapter shares — the `/ws` [`crate::Session`] and the
//! `/rest/tmq` [`crate::consumer::Consumer`]: the frames a driver moves, call ids, the replies
//! and events calls complete with, time ([`timer`]) and the call machinery ([`calls`]). Both
//! conversations build on this module; it knows neither of them.

pub(crate) mod calls;
mod timer;

use std::time::Duration;

pub use bytes::Bytes;

use crate::error::{Error, Result};

pub use calls::Conversation;
pub use timer::{Instant, Timer};
pub(crate) use timer::TimerTable;

/// Identifies one call until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// What the driver sends or receives on the WebSocket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    /// A binary message. [`Bytes`] so that neither direction copies it: a received block stays
    /// in the WebSocket library's read buffer until it is packed for JS, and a request goes to
    /// the library's writer as built.
    Binary(Bytes),
    /// Send a WebSocket close (only ever transmitted, after [`Conversation::close`]).
    Close,
    /// A WebSocket ping: a conversation sends them for keepalive; a ping from the server is
    /// reported too (it counts as life; the WebSocket library answers it).
    Ping(Vec<u8>),
    /// A WebSocket pong: the answer to a keepalive ping (reported by the driver).
    Pong(Vec<u8>),
}

/// How long the goodbye after [`Conversation::close`] may take before the conversation gives up on a
/// peer that does not answer (or does not read).
pub const DEFAULT_GOODBYE_TIMEOUT: Duration = Duration::from_secs(2);

/// The payload of keepalive pings (the official Rust client sends the same).
pub const KEEPALIVE_PAYLOAD: &[u8] = b"TAOS";

/// What an idle connection sends to learn whether the server is still there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepaliveProbe {
    /// A WebSocket ping, answered by a pong (drivers whose WebSocket can send one).
    #[default]
    Ping,
    /// taosAdapter's `version` request, answered at any time with no side effect (req_id 0, which
    /// no call uses once logged in): for drivers that cannot ping, such as a browser's
    /// `WebSocket`.
    Version,
}

/// What a conversation asks of its driver's socket (the session's reconnects, see
/// `session::reconnect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SocketCommand {
    /// Open a WebSocket to this endpoint (index into the configured endpoints) and report
    /// [`Conversation::handle_socket_opened`] or [`Conversation::handle_socket_failed`].
    Open { endpoint: usize },
    /// Drop the current socket (or the attempt to open one) without a goodbye.
    Close,
}

/// A successful outcome of a call (of the session or the consumer), hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `connect` finished; the version the server reported.
    Connected { server_version: String },
    /// A statement ran. With `result_id != 0` the session holds the open result (its fields
    /// decode its blocks) until it is read to the end or freed. Field lengths are user lengths
    /// for every kind of result (VARCHAR(32) → 32).
    Query(crate::message::QueryInfo),
    /// `Session::query_rows` of a statement that opened a result: the reply and its first
    /// blocks.
    Rows { info: crate::message::QueryInfo, batch: crate::block::BlockBatch },
    /// The next block of a result, with the fields to decode it; `None` once it is exhausted.
    Block(Option<crate::block::FetchedBlock>),
    /// `Session::fetch_batch`: the next blocks of a result.
    Batch(crate::block::BlockBatch),
    /// `stmt2_init` / v1 `init`: the new statement's id.
    StmtInit { stmt_id: u64 },
    /// `stmt2_prepare`: the placeholders (kept by the session to check binds).
    Stmt2Prepared(crate::stmt2::Stmt2Prepared),
    /// v1 `prepare`.
    StmtPrepared { stmt_id: u64, is_insert: bool },
    /// v1 `get_tag_fields` / `get_col_fields`.
    StmtFields(Vec<crate::bind::StmtField>),
    /// `stmt2_exec` / v1 `exec`: rows written (0 for queries).
    Affected(i64),
    /// A call that returns nothing (bind, set_table_name, add_batch, close, …).
    Done,
    /// Schemaless `insert`.
    Schemaless(crate::schemaless::SchemalessResult),
    /// TMQ `poll`: a message with everything it carries, or `None` when the poll's time ran out
    /// without one.
    TmqMessage(Option<Box<crate::tmq::TmqMessage>>),
    /// TMQ `assignment` of the topics asked for.
    TmqAssignment(Vec<crate::tmq::TopicAssignment>),
    /// TMQ `committed` / `position`: one offset per partition asked (`None`: nothing committed).
    TmqOffsets(Vec<Option<i64>>),
    /// TMQ `list_topics`.
    TmqTopics(Vec<String>),
}

/// What a conversation tells its driver: completions, and the connection's life (for the
/// application: lost and retrying, restored, closed for good).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    Completed { call: CallId, outcome: Result<Reply> },
    /// The connection is lost (or an attempt failed): attempt `attempt` starts after `delay`.
    Reconnecting { attempt: u32, delay: Duration, reason: String },
    /// Logged in again through endpoint `endpoint` (index) at attempt `attempt`.
    Reconnected { attempt: u32, endpoint: usize },
    /// Closed for good: by [`Conversation::close`] (`error: None`) or because the connection was
    /// lost and could not be restored.
    Closed { error: Option<Error> },
}

