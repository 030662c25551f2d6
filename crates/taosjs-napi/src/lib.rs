//! napi-rs binding of taosjs (see docs/architecture.md), one file per concept, for two builds:
//!
//! - the native addon (default features): connections driven inside the addon (`connection`,
//!   `result`, `statement`, `abort`, `completion` over a `transport`: `taosjs-tokio` for WebSocket
//!   and REST, `taosjs-native` for libtaos; `consumer` for TMQ) and the embedded test server
//!   (`testserver`);
//! - the WebAssembly build (`wasm32-wasip1-threads`, no default features): no tokio and no
//!   sockets; `session` hands the sans-IO session to a driver written in JavaScript, as
//!   `consumer_session` does the TMQ consumer, and `rest_target` builds REST's requests and reads
//!   its answers for a driver that sends them with `fetch`.
//!
//! Both share what crosses the N-API line the same way: options, bind columns, placeholders,
//! a batch of blocks as one packed buffer (`block`), errors, TMQ's values (`tmq`) and the shared
//! vocabulary. The native addon contains `session`, `consumer_session` and `rest_target` too, so one generated `index.d.ts` describes both.
#![deny(clippy::all)]

mod bind;
mod block;
mod consumer_session;
mod error;
mod fields;
mod options;
mod rest_target;
mod session;
mod tmq;
mod vocabulary;

#[cfg(feature = "tokio-driver")]
mod abort;
#[cfg(feature = "tokio-driver")]
mod completion;
#[cfg(feature = "tokio-driver")]
mod connection;
#[cfg(feature = "tokio-driver")]
mod consumer;
#[cfg(feature = "tokio-driver")]
mod consumer_backend;
#[cfg(feature = "tokio-driver")]
mod result;
#[cfg(feature = "tokio-driver")]
mod statement;
#[cfg(feature = "testserver")]
mod testserver;
#[cfg(feature = "tokio-driver")]
mod transport;

/// The runtime native calls and connection tasks run on: ONE worker thread, unless
/// `TAOSJS_WORKER_THREADS` asks for more (tokio's default is one per core). A Node process feeds
/// it from one JS thread; with several workers, each wake-up from JS or from a socket also woke
/// an idle worker to look for work (a futex wake and park per call): one worker halves the
/// context switches of a small query and reads large results as fast, since making the JS values
/// on the JS thread is the slower side (BENCHMARKS.md). libtaos's blocking calls run on the
/// blocking pool, and the embedded test server on a runtime of its own (`testserver.rs`).
#[cfg(feature = "tokio-driver")]
#[napi_derive::module_init]
fn init() {
    let workers = std::env::var("TAOSJS_WORKER_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(1);
    // Without it napi-rs builds its default runtime on first use.
    if let Ok(runtime) = tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build() {
        napi::bindgen_prelude::create_custom_tokio_runtime(runtime);
    }
}
