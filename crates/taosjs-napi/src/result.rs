//! `NativeResult`: one native object per statement outcome (LanceDB's `RecordBatchIterator` is
//! the model), whatever the transport (`transport::Rows`). It describes the columns and, when the
//! statement produced rows, streams their blocks: fetched one by one over WebSocket and libtaos
//! (decoded once, freed once), already decoded from the answer over REST.

use std::sync::atomic::{AtomicBool, Ordering};

use napi_derive::napi;
use taosjs_core::{ErrorKind, QueryInfo};

use napi::bindgen_prelude::PromiseRaw;
use napi::Env;

use crate::abort::{spawn, CallLimits, NativeAbort};
use crate::block::NativeBlock;
use crate::error::{js_error, to_js};
use crate::transport::Rows;
use crate::vocabulary::TypeId;

/// One column of a result.
#[napi(object, object_from_js = false)]
pub struct NativeField {
    pub name: String,
    #[napi(js_name = "type")]
    pub ty: TypeId,
    /// TDengine's type name: `VARCHAR`, `DECIMAL(10,2)`, …
    pub type_name: String,
    /// User-visible length: the type size, n for VARCHAR(n)/NCHAR(n).
    pub bytes: u32,
    /// Decimal precision (0 for other types).
    pub precision: u32,
    /// Decimal scale (0 for other types).
    pub scale: u32,
}

/// What a statement produced: an affected-row count, or rows to stream.
#[napi]
pub struct NativeResult {
    rows: std::sync::Arc<Rows>,
    info: QueryInfo,
    closed: AtomicBool,
}

impl NativeResult {
    pub(crate) fn new(rows: Rows, info: QueryInfo) -> NativeResult {
        NativeResult { rows: std::sync::Arc::new(rows), info, closed: AtomicBool::new(false) }
    }
}

#[napi]
impl NativeResult {
    /// Whether the statement produced rows to read.
    #[napi(getter)]
    pub fn has_rows(&self) -> bool {
        self.rows.has_rows()
    }

    #[napi(getter)]
    pub fn affected_rows(&self) -> i64 {
        self.info.affected_rows
    }

    /// Timestamp precision of the rows.
    #[napi(getter)]
    pub fn precision(&self) -> crate::vocabulary::Precision {
        self.info.precision.into()
    }

    #[napi(getter)]
    pub fn fields(&self) -> Vec<NativeField> {
        self.info
            .fields
            .iter()
            .map(|f| NativeField {
                name: f.name.clone(),
                ty: f.ty.into(),
                type_name: f.ty.full_name(0, f.precision, f.scale),
                bytes: f.bytes,
                precision: u32::from(f.precision),
                scale: u32::from(f.scale),
            })
            .collect()
    }

    /// The next block as columns, or null once the server has no more rows (it then freed the
    /// result itself). One fetch at a time; after `close` a fetch is a ResultError. A fetch that
    /// times out or is aborted frees the result (its rows can no longer be read in order).
    #[napi(ts_return_type = "Promise<NativeBlock | null>")]
    pub fn fetch_block<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Option<NativeBlock>>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let (rows, timeout) = (std::sync::Arc::clone(&self.rows), limits.timeout());
        let closed = self.closed.load(Ordering::Acquire);
        spawn(env, limits, async move {
            if !rows.has_rows() {
                return Ok(None);
            }
            if closed {
                return Err(js_error(ErrorKind::Result, "the result is closed"));
            }
            Ok(rows.fetch_block(timeout).await.map_err(to_js)?.map(NativeBlock::from))
        })
    }

    /// Frees the result on the server now, unless the server already did. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        if self.rows.has_rows() && !self.closed.swap(true, Ordering::AcqRel) {
            self.rows.close();
        }
    }
}
