//! napi-rs binding of taosjs (see docs/architecture.md): thin `#[napi]` items over
//! `taosjs-tokio` (WebSocket, REST) or `taosjs-native` (libtaos) behind `transport.rs`, one file per concept. All I/O is `async` on napi's tokio runtime; decoding
//! is `taosjs_core::block`, and a batch of blocks crosses into JS as one packed buffer (`block.rs`).
#![deny(clippy::all)]

mod abort;
mod block;
mod completion;
mod connection;
mod error;
mod result;
mod statement;
#[cfg(feature = "testserver")]
mod testserver;
mod transport;
mod vocabulary;
