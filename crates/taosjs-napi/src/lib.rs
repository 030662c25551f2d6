//! napi-rs binding of taosjs (see docs/architecture.md): thin `#[napi]` items over
//! `taosjs-tokio` (WebSocket, REST) or `taosjs-native` (libtaos) behind `transport.rs`, one file per concept. All I/O is `async` on napi's tokio runtime; decoding
//! is `taosjs_core::block`, and a batch of blocks crosses into JS as one packed buffer (`block.rs`).
#![deny(clippy::all)]

mod abort;
mod block;
mod completion;
mod connection;
mod consumer;
mod consumer_backend;
mod error;
mod result;
mod statement;
#[cfg(feature = "testserver")]
mod testserver;
mod transport;
mod vocabulary;

/// The runtime native calls and connection tasks run on: ONE worker thread, unless
/// `TAOSJS_WORKER_THREADS` asks for more (tokio's default is one per core). A Node process feeds
/// it from one JS thread; with several workers, each wake-up from JS or from a socket also woke
/// an idle worker to look for work (a futex wake and park per call): one worker halves the
/// context switches of a small query and reads large results as fast, since making the JS values
/// on the JS thread is the slower side (BENCHMARKS.md). libtaos's blocking calls run on the
/// blocking pool, and the embedded test server on a runtime of its own (`testserver.rs`).
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
