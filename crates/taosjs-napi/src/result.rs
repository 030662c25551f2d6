//! `NativeResult`: one native object per statement outcome (LanceDB's `RecordBatchIterator` is
//! the model). It describes the columns and, when the statement produced rows, streams their
//! blocks; the session keeps the result's fields, decodes nothing twice and frees it once.

use std::sync::atomic::{AtomicBool, Ordering};

use napi_derive::napi;
use taosjs_core::{ErrorKind, QueryInfo};

use crate::block::NativeBlock;
use crate::error::{guarded, js_error, to_js};
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
    /// result itself). One fetch at a time; after `close` a fetch is a ResultError.
    #[napi(ts_return_type = "Promise<NativeBlock | null>")]
    pub async fn fetch_block(&self) -> napi::Result<Option<NativeBlock>> {
        if !self.rows.has_rows() {
            return Ok(None);
        }
        if self.closed.load(Ordering::Acquire) {
            return Err(js_error(ErrorKind::Result, "the result is closed"));
        }
        let rows = std::sync::Arc::clone(&self.rows);
        guarded(async move {
            match rows.fetch_block().await.map_err(to_js)? {
                Some(block) => Ok(Some(NativeBlock::from(block.decode().map_err(to_js)?))),
                None => Ok(None),
            }
        })
        .await
    }

    /// Frees the result on the server now, unless the server already did. Idempotent.
    #[napi(catch_unwind)]
    pub fn close(&self) {
        if self.rows.has_rows() && !self.closed.swap(true, Ordering::AcqRel) {
            self.rows.close();
        }
    }
}
