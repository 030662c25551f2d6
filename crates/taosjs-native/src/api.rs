//! The part of libtaos's C API (`taos.h`, TDengine 3.x) this crate calls: its C types and one
//! table of function pointers resolved once when the library is loaded.
//!
//! Required functions are resolved at load time, so a library without them (TDengine 2.x, a
//! file that is not libtaos) is refused with the missing symbol's name. Optional ones (stmt2,
//! schemaless, TMQ, …; added in later 3.x releases) are `None` when absent, and the feature
//! that needs one reports it as not supported by that client version.

use std::ffi::{c_char, c_int, c_void};

pub type Taos = c_void;
pub type TaosRes = c_void;
pub type TaosStmt = c_void;
pub type TaosStmt2 = c_void;
pub type Tmq = c_void;
pub type TmqConf = c_void;
pub type TmqList = c_void;

/// `__taos_async_fn_t`: `(param, res, code)`; for fetches `code` is the row count.
pub type AsyncFn = unsafe extern "C" fn(param: *mut c_void, res: *mut TaosRes, code: c_int);

/// `TAOS_FIELD`: the user-visible length in `bytes` (VARCHAR(n) → n).
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TaosField {
    pub name: [c_char; 65],
    pub ty: i8,
    pub bytes: i32,
}

/// `TAOS_FIELD_E`: adds decimal precision and scale.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TaosFieldE {
    pub name: [c_char; 65],
    pub ty: i8,
    pub precision: u8,
    pub scale: u8,
    pub bytes: i32,
}

/// `TAOS_FIELD_ALL` (stmt2 placeholders): adds what the placeholder stands for.
#[repr(C)]
#[derive(Clone, Copy)]
pub struct TaosFieldAll {
    pub name: [c_char; 65],
    pub ty: i8,
    pub precision: u8,
    pub scale: u8,
    pub bytes: i32,
    pub field_type: u8,
}

#[repr(C)]
pub struct TaosMultiBind {
    pub buffer_type: c_int,
    pub buffer: *mut c_void,
    pub buffer_length: usize,
    pub length: *mut i32,
    pub is_null: *mut c_char,
    pub num: c_int,
}

#[repr(C)]
pub struct TaosStmt2Option {
    pub reqid: i64,
    pub single_stb_insert: bool,
    pub single_table_bind_once: bool,
    pub async_exec_fn: Option<AsyncFn>,
    pub userdata: *mut c_void,
}

#[repr(C)]
pub struct TaosStmt2Bind {
    pub buffer_type: c_int,
    pub buffer: *mut c_void,
    pub length: *mut i32,
    pub is_null: *mut c_char,
    pub num: c_int,
}

#[repr(C)]
pub struct TaosStmt2Bindv {
    pub count: c_int,
    pub tbnames: *mut *mut c_char,
    pub tags: *mut *mut TaosStmt2Bind,
    pub bind_cols: *mut *mut TaosStmt2Bind,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct TmqTopicAssignment {
    pub vg_id: i32,
    pub current_offset: i64,
    pub begin: i64,
    pub end: i64,
}

/// `TSDB_OPTION_CONNECTION_TIMEZONE` of `taos_options_connection`.
pub const OPTION_CONNECTION_TIMEZONE: c_int = 1;
/// `TSDB_OPTION_CONNECTION_USER_APP`.
pub const OPTION_CONNECTION_USER_APP: c_int = 3;

/// `tmq_res_t`: a message with rows.
pub const TMQ_RES_DATA: c_int = 1;
/// `tmq_res_t`: a message with table metadata only (create, alter, drop).
pub const TMQ_RES_TABLE_META: c_int = 2;
/// `tmq_res_t`: a message with rows and table metadata.
pub const TMQ_RES_METADATA: c_int = 3;

macro_rules! api {
    (
        required { $( $name:ident : fn( $($arg:ty),* ) $(-> $ret:ty)?; )* }
        optional { $( $oname:ident : fn( $($oarg:ty),* ) $(-> $oret:ty)?; )* }
    ) => {
        /// Function pointers into the loaded library (which lives for the process).
        #[allow(clippy::type_complexity)]
        pub struct Api {
            $( pub $name: unsafe extern "C" fn($($arg),*) $(-> $ret)?, )*
            $( pub $oname: Option<unsafe extern "C" fn($($oarg),*) $(-> $oret)?>, )*
        }

        impl Api {
            /// Resolves every function; `Err(name)` for the first required one that is missing.
            ///
            /// # Safety
            /// `lib` must be a TDengine client library whose functions have the C signatures
            /// above, and must never be unloaded while the table is in use.
            pub unsafe fn resolve(lib: &libloading::Library) -> Result<Api, &'static str> {
                Ok(Api {
                    $( $name: *lib
                        .get::<unsafe extern "C" fn($($arg),*) $(-> $ret)?>(concat!(stringify!($name), "\0").as_bytes())
                        .map_err(|_| stringify!($name))?, )*
                    $( $oname: lib
                        .get::<unsafe extern "C" fn($($oarg),*) $(-> $oret)?>(concat!(stringify!($oname), "\0").as_bytes())
                        .ok()
                        .map(|s| *s), )*
                })
            }
        }
    };
}

api! {
    required {
        taos_init: fn() -> c_int;
        taos_get_client_info: fn() -> *const c_char;
        taos_connect: fn(*const c_char, *const c_char, *const c_char, *const c_char, u16) -> *mut Taos;
        taos_close: fn(*mut Taos);
        taos_get_server_info: fn(*mut Taos) -> *const c_char;
        taos_errno: fn(*mut TaosRes) -> c_int;
        taos_errstr: fn(*mut TaosRes) -> *const c_char;
        taos_query_a: fn(*mut Taos, *const c_char, AsyncFn, *mut c_void);
        taos_fetch_raw_block_a: fn(*mut TaosRes, AsyncFn, *mut c_void);
        taos_get_raw_block: fn(*mut TaosRes) -> *const c_void;
        taos_fetch_raw_block: fn(*mut TaosRes, *mut c_int, *mut *mut c_void) -> c_int;
        taos_free_result: fn(*mut TaosRes);
        taos_num_fields: fn(*mut TaosRes) -> c_int;
        taos_fetch_fields: fn(*mut TaosRes) -> *mut TaosField;
        taos_result_precision: fn(*mut TaosRes) -> c_int;
        taos_affected_rows64: fn(*mut TaosRes) -> i64;
    }
    optional {
        taos_query_a_with_reqid: fn(*mut Taos, *const c_char, AsyncFn, *mut c_void, i64);
        taos_fetch_fields_e: fn(*mut TaosRes) -> *mut TaosFieldE;
        taos_options_connection: fn(*mut Taos, c_int, *const c_void) -> c_int;

        taos_stmt2_init: fn(*mut Taos, *mut TaosStmt2Option) -> *mut TaosStmt2;
        taos_stmt2_prepare: fn(*mut TaosStmt2, *const c_char, std::ffi::c_ulong) -> c_int;
        taos_stmt2_bind_param: fn(*mut TaosStmt2, *mut TaosStmt2Bindv, i32) -> c_int;
        taos_stmt2_exec: fn(*mut TaosStmt2, *mut c_int) -> c_int;
        taos_stmt2_close: fn(*mut TaosStmt2) -> c_int;
        taos_stmt2_is_insert: fn(*mut TaosStmt2, *mut c_int) -> c_int;
        taos_stmt2_get_fields: fn(*mut TaosStmt2, *mut c_int, *mut *mut TaosFieldAll) -> c_int;
        taos_stmt2_free_fields: fn(*mut TaosStmt2, *mut TaosFieldAll);
        taos_stmt2_result: fn(*mut TaosStmt2) -> *mut TaosRes;
        taos_stmt2_error: fn(*mut TaosStmt2) -> *mut c_char;

        taos_stmt_init: fn(*mut Taos) -> *mut TaosStmt;
        taos_stmt_prepare: fn(*mut TaosStmt, *const c_char, std::ffi::c_ulong) -> c_int;
        taos_stmt_is_insert: fn(*mut TaosStmt, *mut c_int) -> c_int;
        taos_stmt_set_tbname: fn(*mut TaosStmt, *const c_char) -> c_int;
        taos_stmt_set_tags: fn(*mut TaosStmt, *mut TaosMultiBind) -> c_int;
        taos_stmt_get_tag_fields: fn(*mut TaosStmt, *mut c_int, *mut *mut TaosFieldE) -> c_int;
        taos_stmt_get_col_fields: fn(*mut TaosStmt, *mut c_int, *mut *mut TaosFieldE) -> c_int;
        taos_stmt_reclaim_fields: fn(*mut TaosStmt, *mut TaosFieldE);
        taos_stmt_bind_param_batch: fn(*mut TaosStmt, *mut TaosMultiBind) -> c_int;
        taos_stmt_add_batch: fn(*mut TaosStmt) -> c_int;
        taos_stmt_execute: fn(*mut TaosStmt) -> c_int;
        taos_stmt_affected_rows: fn(*mut TaosStmt) -> c_int;
        taos_stmt_errstr: fn(*mut TaosStmt) -> *mut c_char;
        taos_stmt_close: fn(*mut TaosStmt) -> c_int;

        taos_schemaless_insert_raw_ttl_with_reqid_tbname_key:
            fn(*mut Taos, *mut c_char, c_int, *mut i32, c_int, c_int, i32, i64, *mut c_char) -> *mut TaosRes;
        taos_schemaless_insert_raw_ttl_with_reqid:
            fn(*mut Taos, *mut c_char, c_int, *mut i32, c_int, c_int, i32, i64) -> *mut TaosRes;

        tmq_conf_new: fn() -> *mut TmqConf;
        tmq_conf_set: fn(*mut TmqConf, *const c_char, *const c_char) -> c_int;
        tmq_conf_destroy: fn(*mut TmqConf);
        tmq_list_new: fn() -> *mut TmqList;
        tmq_list_append: fn(*mut TmqList, *const c_char) -> i32;
        tmq_list_destroy: fn(*mut TmqList);
        tmq_list_get_size: fn(*const TmqList) -> i32;
        tmq_list_to_c_array: fn(*const TmqList) -> *mut *mut c_char;
        tmq_consumer_new: fn(*mut TmqConf, *mut c_char, i32) -> *mut Tmq;
        tmq_subscribe: fn(*mut Tmq, *const TmqList) -> i32;
        tmq_unsubscribe: fn(*mut Tmq) -> i32;
        tmq_subscription: fn(*mut Tmq, *mut *mut TmqList) -> i32;
        tmq_consumer_poll: fn(*mut Tmq, i64) -> *mut TaosRes;
        tmq_consumer_close: fn(*mut Tmq) -> i32;
        tmq_commit_sync: fn(*mut Tmq, *const TaosRes) -> i32;
        tmq_commit_offset_sync: fn(*mut Tmq, *const c_char, i32, i64) -> i32;
        tmq_get_topic_assignment: fn(*mut Tmq, *const c_char, *mut *mut TmqTopicAssignment, *mut i32) -> i32;
        tmq_free_assignment: fn(*mut TmqTopicAssignment);
        tmq_offset_seek: fn(*mut Tmq, *const c_char, i32, i64) -> i32;
        tmq_position: fn(*mut Tmq, *const c_char, i32) -> i64;
        tmq_committed: fn(*mut Tmq, *const c_char, i32) -> i64;
        tmq_get_table_name: fn(*mut TaosRes) -> *const c_char;
        tmq_get_res_type: fn(*mut TaosRes) -> c_int;
        tmq_get_topic_name: fn(*mut TaosRes) -> *const c_char;
        tmq_get_db_name: fn(*mut TaosRes) -> *const c_char;
        tmq_get_vgroup_id: fn(*mut TaosRes) -> i32;
        tmq_get_vgroup_offset: fn(*mut TaosRes) -> i64;
        tmq_get_json_meta: fn(*mut TaosRes) -> *mut c_char;
        tmq_free_json_meta: fn(*mut c_char);
        tmq_err2str: fn(i32) -> *const c_char;
    }
}

/// A C string from the library as Rust text (lossy); empty for NULL.
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string that stays valid during the call.
pub unsafe fn text(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        std::ffi::CStr::from_ptr(p).to_string_lossy().into_owned()
    }
}

/// A fixed-size name field (`char name[65]`) as text.
pub fn field_name(name: &[c_char; 65]) -> String {
    let bytes: Vec<u8> = name.iter().take_while(|&&c| c != 0).map(|&c| c as u8).collect();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The layouts `taos.h` declares (x86-64 / aarch64: 8-byte pointers, natural alignment).
    #[test]
    fn c_layouts_match_taos_h() {
        assert_eq!(std::mem::size_of::<TaosField>(), 72);
        assert_eq!(std::mem::size_of::<TaosFieldE>(), 72);
        assert_eq!(std::mem::size_of::<TaosFieldAll>(), 76);
        assert_eq!(std::mem::offset_of!(TaosFieldE, bytes), 68);
        assert_eq!(std::mem::offset_of!(TaosFieldAll, field_type), 72);
        if std::mem::size_of::<usize>() == 8 {
            assert_eq!(std::mem::size_of::<TaosStmt2Bind>(), 40);
            assert_eq!(std::mem::size_of::<TaosMultiBind>(), 48);
            assert_eq!(std::mem::size_of::<TaosStmt2Bindv>(), 32);
            assert_eq!(std::mem::size_of::<TaosStmt2Option>(), 32);
            assert_eq!(std::mem::size_of::<TmqTopicAssignment>(), 32);
        }
    }
}
