//! The one place where Rust errors become JS errors.
//!
//! napi-rs async functions reject with a fixed status, so the class travels in the message:
//! `"<Class>: [0x2600] text"` (the core's `Display` adds the code). `src/errors.ts` parses it back
//! into the matching class with `errno`.

#[cfg(feature = "tokio-driver")]
pub use guard::guarded;
use taosjs_core::{Error as CoreError, ErrorKind};

/// `"<Class>: [0xCODE] text"`: how an error of the core reaches JS, as a rejection or (from
/// `NativeSession`) as a completion's `error`.
pub fn native_message(err: &CoreError) -> String {
    format!("{}: {}", err.kind.class_name(), err)
}

pub fn to_js(err: CoreError) -> napi::Error {
    napi::Error::new(napi::Status::GenericFailure, native_message(&err))
}

pub fn js_error(kind: ErrorKind, message: impl Into<String>) -> napi::Error {
    to_js(CoreError::new(kind, message))
}

pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_owned()
    }
}

/// Async calls run their futures under a panic guard (napi-rs catches panics of sync calls
/// itself with `catch_unwind`; the WebAssembly build aborts on a panic, which JS sees as a trap).
#[cfg(feature = "tokio-driver")]
mod guard {
    use std::future::Future;
    use std::panic::AssertUnwindSafe;

    use futures_util::FutureExt;
    use taosjs_core::ErrorKind;

    use super::{js_error, panic_message};

    /// Runs a future and turns a panic inside it into an `InternalError` rejection.
    pub async fn guarded<T>(fut: impl Future<Output = napi::Result<T>>) -> napi::Result<T> {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(result) => result,
            Err(payload) => Err(js_error(
                ErrorKind::Internal,
                format!("taosjs panicked (this is a bug): {}", panic_message(payload.as_ref())),
            )),
        }
    }

    /// Panics inside the addon on purpose, so tests can check that a Rust panic reaches JS as an
    /// `InternalError` and the process lives on. Not part of the public API.
    #[napi_derive::napi(js_name = "__panicForTests")]
    pub async fn panic_for_tests() -> napi::Result<()> {
        guarded(async {
            // A runtime condition keeps the compiler from treating the rest as unreachable.
            if std::hint::black_box(true) {
                panic!("deliberate test panic");
            }
            Ok(())
        })
        .await
    }
}
