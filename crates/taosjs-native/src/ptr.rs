//! Raw library handles that may move between threads.

use std::ffi::c_void;

/// A pointer owned by the library (TAOS*, TAOS_RES*, TAOS_STMT2*, tmq_t*). libtaos objects may
/// be used from any thread, one call at a time per object; the owners in this crate guarantee
/// the "one at a time" with a lock or exclusive ownership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ptr(pub *mut c_void);

// SAFETY: see the type's documentation.
unsafe impl Send for Ptr {}
// SAFETY: shared references only copy the address; calls are serialised by the owners.
unsafe impl Sync for Ptr {}

impl Ptr {
    pub const NULL: Ptr = Ptr(std::ptr::null_mut());

    /// The address (a method, so closures capture the whole `Ptr`, which is `Send`).
    pub fn raw(self) -> *mut c_void {
        self.0
    }

    pub fn is_null(self) -> bool {
        self.0.is_null()
    }
}
