//! The native (`taos://`) transport of taosjs: TDengine's own client library (libtaos),
//! loaded at run time — nothing is linked at build time, and nothing native is loaded until
//! the first native connection (WebSocket users never load it).
//!
//! Why not the published `taos` crate's native path (`taos-optin`): against a real TDengine
//! 3.3.7.5 client it aborts the process on a DECIMAL(10,2) column, panics on DECIMAL(30,5) and
//! BLOB, segfaults inside libtaos on a parameterised SELECT through stmt v1, has no stmt2, and
//! blocks runtime threads in connect and TMQ (docs/architecture.md has the measurements). This
//! crate keeps its good idea — the callback API (`taos_query_a`, `taos_fetch_raw_block_a`), so
//! no query blocks a thread — and otherwise reuses the core: raw blocks are decoded by
//! `taosjs_core::block` (the format taosAdapter forwards), binds are checked and converted by
//! `taosjs_core::stmt2`, errors are `taosjs_core::Error` with TDengine's code.
//!
//! Threads: queries and fetches answer on libtaos's own threads through C callbacks (which
//! never unwind into C); calls that only exist in blocking form (connect, stmt2, stmt v1,
//! schemaless, TMQ) run on tokio's blocking pool, never on a runtime worker or Node's main
//! thread; releases from callbacks and `Drop` go to one release thread.
//!
//! ```no_run
//! # async fn demo() -> Result<(), taosjs_core::Error> {
//! use taosjs_core::ConnectConfig;
//! let config = ConnectConfig::from_dsn("taos://root:taosdata@localhost:6030/db")?;
//! let client = taosjs_native::NativeClient::connect(&config).await?;
//! let outcome = client.query("select * from meters", None).await?;
//! if let Some(rows) = outcome.rows {
//!     while let Some(fetched) = rows.fetch_block().await? {
//!         let block = fetched.decode()?;
//!         println!("{} rows", block.rows);
//!     }
//! }
//! client.close().await;
//! # Ok(()) }
//! ```

/// The optional library function `$f`, or a NotSupported error naming it and the client version.
macro_rules! need {
    ($lib:expr, $f:ident) => {
        $lib.api.$f.ok_or_else(|| $crate::library::missing($lib, stringify!($f)))?
    };
}

mod api;
mod bindv;
mod client;
mod conn;
mod library;
mod ptr;
mod reaper;
mod result;
mod stmt;
mod stmt2;
mod tmq;

pub use client::NativeClient;
pub use library::{check_file, candidates, Candidate, Library, DRIVER_NAME, LIBRARY_NAME, LIBRARY_PATH_ENV};
pub use result::{QueryOutcome, ResultSet};
pub use stmt::NativeStmt;
pub use stmt2::NativeStmt2;
pub use tmq::{NativeConsumer, TmqAssignment, TmqBlock, TmqMessage};
