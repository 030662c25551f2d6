//! What a native connection's calls share: the library connection object (`Conn`), which
//! results and statements hold until they are released, and the helpers every call uses —
//! errors with TDengine's code, blocking calls on tokio's blocking pool, C strings.

use std::ffi::{c_int, CString};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};

use taosjs_core::{Error, ErrorKind};

use crate::api;
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;

/// Something made from a connection that must be released before the connection closes.
pub(crate) trait Child: Send + Sync {
    /// Releases the library object now (waiting for a call in progress on it to finish).
    fn release<'a>(self: Arc<Self>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>
    where
        Self: 'a;
}

pub(crate) struct Conn {
    pub lib: &'static Library,
    pub taos: Ptr,
    pub server_version: String,
    closed: AtomicBool,
    children: Mutex<Vec<Weak<dyn Child>>>,
    next_id: AtomicU64,
}

impl Drop for Conn {
    fn drop(&mut self) {
        if !self.closed.swap(true, Ordering::AcqRel) {
            let (lib, taos) = (self.lib, self.taos);
            // SAFETY: every result and statement holds an Arc of this connection, so none is left.
            reaper::release(move || unsafe { (lib.api.taos_close)(taos.raw()) });
        }
    }
}

impl Conn {
    pub fn new(lib: &'static Library, taos: Ptr, server_version: String) -> Conn {
        Conn {
            lib,
            taos,
            server_version,
            closed: AtomicBool::new(false),
            children: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    /// Marks the connection closed, once: what must be released before `taos_close`, or
    /// `None` when it was closed already.
    pub fn begin_close(&self) -> Option<Vec<Arc<dyn Child>>> {
        if self.closed.swap(true, Ordering::AcqRel) {
            return None;
        }
        let list = self.children.lock().unwrap_or_else(|e| e.into_inner());
        Some(list.iter().filter_map(Weak::upgrade).collect())
    }

    pub fn check_open(&self) -> Result<(), Error> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::connection("connection is closed"))
        } else {
            Ok(())
        }
    }

    pub fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Registers something to release on close.
    pub fn adopt(&self, child: Weak<dyn Child>) {
        let mut children = self.children.lock().unwrap_or_else(|e| e.into_inner());
        children.retain(|c| c.strong_count() > 0);
        children.push(child);
    }

    pub fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }
}

/// The last error of this thread (after a call that returns no result object).
pub(crate) fn thread_error(lib: &Library, kind: ErrorKind, what: &str) -> Error {
    // SAFETY: NULL asks for the calling thread's last error.
    let (code, text) = unsafe { ((lib.api.taos_errno)(std::ptr::null_mut()), api::text((lib.api.taos_errstr)(std::ptr::null_mut()))) };
    coded(kind, code, if text.is_empty() { format!("{what} failed") } else { text })
}

/// An error with TDengine's code (low 16 bits, as the WebSocket path reports it).
pub(crate) fn coded(kind: ErrorKind, code: c_int, text: String) -> Error {
    if code == 0 {
        Error::new(kind, text)
    } else {
        Error::with_code(kind, code & 0xFFFF, text)
    }
}

/// Runs blocking library work on tokio's blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    tokio::task::spawn_blocking(work).await.map_err(|e| {
        if e.is_panic() {
            Error::internal("a native call panicked (the connection is still usable)")
        } else {
            Error::internal("a native call was cancelled")
        }
    })
}

pub(crate) fn c_string(text: &str, what: &str) -> Result<CString, Error> {
    CString::new(text).map_err(|e| {
        Error::programming(format!("{what} contains a NUL character at byte {} (not allowed by the native client)", e.nul_position()))
    })
}
