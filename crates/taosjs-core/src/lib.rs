//! Sans-IO protocol core of taosjs (see docs/architecture.md): DSN parsing, taosAdapter
//! messages, the raw block decoder, the REST request/answer codec, the write paths (stmt2 and stmt v1 binds, schemaless) and the
//! [`Session`] state machine. No sockets, no tokio, no
//! napi, so it also builds for `wasm32-wasip1-threads`.

pub mod bind;
pub mod block;
pub mod decimals;
pub mod dsn;
pub mod error;
pub mod message;
pub mod rest;
pub mod schemaless;
pub mod session;
pub mod sql;
pub mod stmt;
pub mod stmt2;
pub mod tmq;
pub mod types;

pub use bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
pub use block::{decode_block, decode_block_with_fields, DecodedBlock, DecodedColumn, FixedData};
pub use dsn::{ConnectConfig, ConnectOverrides, Endpoint, Scheme};
pub use error::{Error, ErrorKind, Result};
pub use message::QueryInfo;
pub use session::{Action, CallId, Conversation, Event, FetchedBlock, Frame, Instant, KeepaliveProbe, Reply, Session, SessionOptions, SocketCommand, Timer};
pub use schemaless::{SchemalessPrecision, SchemalessProtocol, SchemalessRequest, SchemalessResult};
pub use stmt2::{Stmt2InitOptions, Stmt2Prepared};
pub use types::{DataType, Field, Precision};
