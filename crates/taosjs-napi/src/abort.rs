//! `NativeAbort`: lets JS give up on a call. Aborting drops the call's future, which cancels the
//! call through the session (`Session::cancel`): whatever its reply produces on the server (a
//! result, a statement) is freed when it arrives.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use napi_derive::napi;
use taosjs_core::ErrorKind;
use tokio::sync::Notify;

use crate::error::js_error;

#[derive(Default)]
struct State {
    aborted: AtomicBool,
    notify: Notify,
}

/// Created by the facade for a call with an `AbortSignal` (`NativeConnection.newAbort`);
/// `abort()` when the signal fires.
#[napi]
#[derive(Default)]
pub struct NativeAbort {
    state: Arc<State>,
}

impl NativeAbort {
    pub(crate) fn new() -> NativeAbort {
        NativeAbort::default()
    }
}

#[napi]
impl NativeAbort {
    /// Stops waiting for the call; idempotent.
    #[napi]
    pub fn abort(&self) {
        self.state.aborted.store(true, Ordering::Release);
        self.state.notify.notify_waiters();
    }
}

/// What a native call keeps of its `NativeAbort`.
#[derive(Clone, Default)]
pub(crate) struct AbortHandle(Option<Arc<State>>);

impl AbortHandle {
    pub fn of(abort: Option<&NativeAbort>) -> AbortHandle {
        AbortHandle(abort.map(|a| Arc::clone(&a.state)))
    }

    /// Runs `call` unless aborted first; an abort drops it (and so cancels it in the session).
    pub async fn run<T>(&self, call: impl Future<Output = napi::Result<T>>) -> napi::Result<T> {
        let Some(state) = &self.0 else { return call.await };
        let aborted = async {
            let notified = state.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if !state.aborted.load(Ordering::Acquire) {
                notified.await;
            }
        };
        tokio::select! {
            biased;
            () = aborted => Err(js_error(ErrorKind::Operational, "the call was aborted")),
            result = call => result,
        }
    }
}
