//! How the protocol side calls a [`SqlBackend`](taos_sqlengine::SqlBackend): off the async worker
//! thread, and under a panic guard so that a backend bug answers an error instead of taking a
//! connection (or the server) down.

use taos_sqlengine::types::{code, TdError};

/// Runs a synchronous engine call. On a multi-threaded runtime (the binary, the napi addon) the
/// worker thread is handed over first so a long statement does not stall other connections.
pub fn run_blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs a backend call, turning a panic into an adapter-style error so that one bad statement
/// cannot take a connection (or the server) down.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, TdError>) -> Result<T, TdError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(TdError::new(code::ADAPTER_GENERIC, "internal error")),
    }
}
