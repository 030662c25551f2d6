//! How a JS call is bounded: `NativeAbort` lets JS give up on a call, and a call's own
//! `timeoutMs` becomes its deadline in the session (or the TMQ consumer). Aborting drops the
//! call's future, which cancels the call through its conversation (`Conversation::cancel`):
//! whatever its reply produces on the server (a result, a statement) is freed when it arrives
//! (a poll's message is delivered by the next poll). Deadlines are the core's
//! (`Conversation::set_deadline`); nothing is timed here.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;
use napi_derive::napi;
use taosjs_core::ErrorKind;
use tokio::sync::Notify;

use crate::completion;
use crate::error::{guarded, js_error, to_js};

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

/// What a native call keeps of its `timeoutMs` and `NativeAbort`.
#[derive(Clone, Default)]
pub(crate) struct CallLimits {
    timeout: Option<Duration>,
    abort: Option<Arc<State>>,
}

impl CallLimits {
    /// `timeout_ms` is checked by the facade (an integer ≥ 1); `None` leaves the connection's
    /// request timeout in force.
    pub fn of(timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> CallLimits {
        CallLimits {
            timeout: timeout_ms.map(|ms| Duration::from_millis(u64::from(ms))),
            abort: abort.map(|a| Arc::clone(&a.state)),
        }
    }

    /// The call's own deadline (`None`: the connection's request timeout); the transport
    /// carries it into the session (`Transport::within`).
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// Whether the call has an abort handle (then it runs as a future that an abort drops).
    pub fn abortable(&self) -> bool {
        self.abort.is_some()
    }

    /// Runs `call` unless aborted first; an abort drops it (and so cancels it in the session).
    pub async fn run<T>(self, call: impl Future<Output = napi::Result<T>>) -> napi::Result<T> {
        let Some(state) = &self.abort else { return call.await };
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
            () = aborted => Err(js_error(ErrorKind::Aborted, "the call was aborted")),
            result = call => result,
        }
    }
}

/// Runs a call bounded by `limits` on napi's runtime; its promise settles through the
/// environment's one thread-safe function (`completion.rs`), not one made per call.
pub(crate) fn spawn<'env, T, F>(env: &'env Env, limits: CallLimits, call: F) -> napi::Result<PromiseRaw<'env, T>>
where
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    F: std::future::Future<Output = napi::Result<T>> + Send + 'static,
{
    let (promise, settle) = completion::promise(env)?;
    napi::bindgen_prelude::spawn(async move { settle.settle(guarded(limits.run(call)).await) });
    Ok(promise)
}

/// A handle whose calls can each carry their own deadline: the connection's transport, a
/// statement, a consumer.
pub(crate) trait Bounded {
    /// The same handle, whose calls carry `timeout` (`None`: the connection's request timeout).
    fn within(&self, timeout: Option<Duration>) -> Self;
}

/// An error a call rejects with: the core's (classed by `to_js`) or one already made for JS.
pub(crate) trait IntoJsError {
    fn into_js(self) -> napi::Error;
}

impl IntoJsError for taosjs_core::Error {
    fn into_js(self) -> napi::Error {
        to_js(self)
    }
}

impl IntoJsError for napi::Error {
    fn into_js(self) -> napi::Error {
        self
    }
}

/// The one shape of every method that talks to the server: `call` runs on `target` made
/// [`Bounded::within`] the JS call's `timeoutMs`, unless `abort` gives up on it first.
pub(crate) fn spawn_on<'env, S, T, E, F>(
    env: &'env Env,
    target: &S,
    timeout_ms: Option<u32>,
    abort: Option<&NativeAbort>,
    call: impl FnOnce(S) -> F,
) -> napi::Result<PromiseRaw<'env, T>>
where
    S: Bounded,
    T: napi::bindgen_prelude::ToNapiValue + Send + 'static,
    E: IntoJsError,
    F: Future<Output = Result<T, E>> + Send + 'static,
{
    let limits = CallLimits::of(timeout_ms, abort);
    let call = call(target.within(limits.timeout()));
    spawn(env, limits, async move { call.await.map_err(IntoJsError::into_js) })
}
