//! Sans-IO protocol core of taosjs (see docs/architecture.md): DSN parsing, taosAdapter
//! messages, the raw block decoder and the [`Session`] state machine. No sockets, no tokio, no
//! napi, so it also builds for `wasm32-wasip1-threads`.

pub mod block;
pub mod dsn;
pub mod error;
pub mod message;
pub mod session;
pub mod types;

pub use block::{decode_block, decode_block_with_fields, DecodedBlock, DecodedColumn, FixedData};
pub use dsn::{ConnectConfig, ConnectOverrides, Endpoint, Scheme};
pub use error::{Error, ErrorKind, Result};
pub use message::QueryInfo;
pub use session::{CallId, Event, Frame, Reply, Session, SessionOptions};
pub use types::{DataType, Field, Precision};
