//! Settling JS promises from the connection's task through ONE thread-safe function per JS
//! environment.
//!
//! napi-rs's `Env::spawn_future` creates and tears down a thread-safe function per call
//! (`napi_create_threadsafe_function`, a `uv_async` handle, its close). Here a call is a promise
//! plus a [`Settle`] that the call's future settles when it ends (`abort::spawn`): the value
//! crosses to the JS thread through the environment's one thread-safe function (a queue and one
//! `uv_async_send`). It is kept unref'd while nothing is in flight, so it never holds the
//! process open.

use std::cell::Cell;
use std::ffi::c_void;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

use napi::bindgen_prelude::{PromiseRaw, ToNapiValue};
use napi::{sys, Env, JsError};

/// What the JS thread does to produce the value a promise resolves with.
type Produce = Box<dyn FnOnce(sys::napi_env) -> napi::Result<sys::napi_value> + Send>;

/// One queued settlement.
struct Item {
    deferred: sys::napi_deferred,
    produce: Produce,
}

/// The environment's thread-safe function and how many promises wait on it (touched on the JS
/// thread only).
struct Completer {
    tsfn: sys::napi_threadsafe_function,
    in_flight: Cell<usize>,
}

/// The settling half of a promise: `Send`, so the connection's task can settle it. Settles
/// exactly once; dropped unsettled, it rejects (a bug, never a hang).
pub(crate) struct Settle {
    tsfn: sys::napi_threadsafe_function,
    deferred: sys::napi_deferred,
    settled: bool,
}

// The raw handles are only used through the thread-safe function, which N-API allows from any
// thread; the deferred is touched on the JS thread only (in `call_js`).
unsafe impl Send for Settle {}

fn check(status: sys::napi_status, what: &str) -> napi::Result<()> {
    if status == sys::Status::napi_ok {
        Ok(())
    } else {
        Err(napi::Error::new(napi::Status::GenericFailure, format!("{what} failed (napi status {status})")))
    }
}

fn completer(env: &Env) -> napi::Result<&'static Completer> {
    if let Some(c) = env.get_instance_data::<&'static Completer>()? {
        return Ok(*c);
    }
    let mut name = ptr::null_mut();
    check(
        unsafe { sys::napi_create_string_utf8(env.raw(), c"taosjs".as_ptr().cast(), 6, &mut name) },
        "naming the completion queue",
    )?;
    // Leaked on purpose (one small struct per environment): `call_js` may still run while the
    // environment tears down, after instance data is gone.
    let completer: &'static mut Completer = Box::leak(Box::new(Completer { tsfn: ptr::null_mut(), in_flight: Cell::new(0) }));
    let context = (completer as *const Completer).cast_mut().cast::<c_void>();
    let mut tsfn = ptr::null_mut();
    check(
        unsafe {
            sys::napi_create_threadsafe_function(
                env.raw(),
                ptr::null_mut(),
                ptr::null_mut(),
                name,
                0,
                1,
                ptr::null_mut(),
                None,
                context,
                Some(call_js),
                &mut tsfn,
            )
        },
        "creating the completion queue",
    )?;
    check(unsafe { sys::napi_unref_threadsafe_function(env.raw(), tsfn) }, "unref of the completion queue")?;
    completer.tsfn = tsfn;
    let completer: &'static Completer = completer;
    // No release at teardown: Node closes every thread-safe function of an environment itself,
    // and Node 24 runs instance-data finalizers while it holds the queue's lock, so releasing it
    // there deadlocks the exiting process (it printed its output and never exited).
    env.set_instance_data(completer, (), |_| {})?;
    Ok(completer)
}

/// A new promise for a native call and the handle that settles it from any thread.
pub(crate) fn promise<'env, T>(env: &'env Env) -> napi::Result<(PromiseRaw<'env, T>, Settle)> {
    let c = completer(env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check(unsafe { sys::napi_create_promise(env.raw(), &mut deferred, &mut promise) }, "creating a promise")?;
    // Each settle keeps the queue alive (its thread count) until it has queued its item.
    check(unsafe { sys::napi_acquire_threadsafe_function(c.tsfn) }, "acquiring the completion queue")?;
    if c.in_flight.get() == 0 {
        check(unsafe { sys::napi_ref_threadsafe_function(env.raw(), c.tsfn) }, "ref of the completion queue")?;
    }
    c.in_flight.set(c.in_flight.get() + 1);
    Ok((PromiseRaw::new(env.raw(), promise), Settle { tsfn: c.tsfn, deferred, settled: false }))
}

impl Settle {
    /// Resolves with `value` (converted on the JS thread), or rejects with the error.
    pub fn settle<T: ToNapiValue + Send + 'static>(self, outcome: napi::Result<T>) {
        self.settle_with(Box::new(move |env| {
            let value = outcome?;
            unsafe { T::to_napi_value(env, value) }
        }));
    }

    /// Settles with what `make` returns (run here, on the calling thread; a panic in it becomes an
    /// `InternalError` rejection): for outcomes completed in the connection's task.
    pub fn settle_guarded<T: ToNapiValue + Send + 'static>(self, make: impl FnOnce() -> napi::Result<T>) {
        let outcome = catch_unwind(AssertUnwindSafe(make)).unwrap_or_else(|payload| {
            Err(crate::error::js_error(
                taosjs_core::ErrorKind::Internal,
                format!("taosjs panicked (this is a bug): {}", crate::error::panic_message(payload.as_ref())),
            ))
        });
        self.settle(outcome);
    }

    /// Settles with what `produce` makes on the JS thread.
    fn settle_with(mut self, produce: Produce) {
        self.settled = true;
        let item = Box::into_raw(Box::new(Item { deferred: self.deferred, produce }));
        let status = unsafe {
            sys::napi_call_threadsafe_function(self.tsfn, item.cast(), sys::ThreadsafeFunctionCallMode::nonblocking)
        };
        if status != sys::Status::napi_ok {
            // The environment is going away: nobody can receive the value.
            drop(unsafe { Box::from_raw(item) });
        }
        unsafe { sys::napi_release_threadsafe_function(self.tsfn, sys::ThreadsafeFunctionReleaseMode::release) };
    }
}

impl Drop for Settle {
    fn drop(&mut self) {
        if !self.settled {
            let tsfn = self.tsfn;
            let deferred = self.deferred;
            self.settled = true;
            let unsettled = Settle { tsfn, deferred, settled: false };
            unsettled.settle::<()>(Err(crate::error::js_error(
                taosjs_core::ErrorKind::Internal,
                "a native call ended without an answer (this is a bug)",
            )));
        }
    }
}

/// Runs on the JS thread for every queued item: produces the value and settles the promise.
unsafe extern "C" fn call_js(env: sys::napi_env, _js_callback: sys::napi_value, context: *mut c_void, data: *mut c_void) {
    if data.is_null() {
        return;
    }
    let item = unsafe { Box::from_raw(data.cast::<Item>()) };
    if env.is_null() {
        return; // teardown: the promise is gone with its environment
    }
    let completer = unsafe { &*context.cast::<Completer>() };
    let left = completer.in_flight.get().saturating_sub(1);
    completer.in_flight.set(left);
    if left == 0 {
        unsafe { sys::napi_unref_threadsafe_function(env, completer.tsfn) };
    }
    let Item { deferred, produce } = *item;
    // A panic must not unwind into Node: it becomes an InternalError rejection.
    let outcome = catch_unwind(AssertUnwindSafe(|| produce(env))).unwrap_or_else(|payload| {
        Err(crate::error::js_error(
            taosjs_core::ErrorKind::Internal,
            format!("taosjs panicked (this is a bug): {}", crate::error::panic_message(payload.as_ref())),
        ))
    });
    unsafe {
        match outcome {
            Ok(value) => sys::napi_resolve_deferred(env, deferred, value),
            Err(e) => sys::napi_reject_deferred(env, deferred, JsError::from(e).into_value(env)),
        };
    }
}
