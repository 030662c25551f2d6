//! Sans-IO protocol core of taosjs (see docs/architecture.md): DSN parsing, taosAdapter
//! messages, the raw block decoder, the REST request/answer codec, the write paths (stmt2 and stmt v1 binds, schemaless) and the
//! [`Session`] and TMQ [`consumer::Consumer`] state machines over the call machinery they share
//! ([`conversation`]). No sockets, no tokio, no
//! napi, so it also builds for `wasm32-wasip1-threads`.

pub mod bind;
pub mod block;
pub mod consumer;
pub mod conversation;
pub mod decimals;
pub mod dsn;
pub mod error;
pub mod message;
pub mod packed;
pub mod rest;
pub mod schemaless;
pub mod session;
pub mod sql;
pub mod stmt;
pub mod stmt2;
pub mod stmt2_message;
pub mod tmq;
pub mod types;

pub use bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
pub use block::{decode_block, decode_block_with_fields, BlockBatch, DecodedBlock, DecodedColumn, FetchedBlock, FixedData, RawBlock, RawColumn, VarValue};
pub use dsn::{ConnectConfig, ConnectOverrides, Endpoint, Scheme};
pub use error::{Error, ErrorKind, Result};
pub use message::QueryInfo;
pub use conversation::{Bytes, CallId, Conversation, Event, Frame, Instant, KeepaliveProbe, Reply, SocketCommand, Timer};
pub use session::{Action, Session, SessionOptions};
pub use schemaless::{SchemalessPrecision, SchemalessProtocol, SchemalessRequest, SchemalessResult};
pub use stmt2::{Stmt2InitOptions, Stmt2Prepared};
pub use types::{DataType, Field, Precision};
