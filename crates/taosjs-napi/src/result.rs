//! `NativeResult`: one native object per statement outcome (LanceDB's `RecordBatchIterator` is
//! the model), whatever the transport (`transport::Rows`). Its description and the blocks that
//! came with it (all of them for REST) cross packed into one buffer (`block.rs`) that `take()`
//! hands over; `fetchBatch()` brings the next blocks, packed the same way: one N-API value per
//! batch whatever its rows and columns. Fetched over WebSocket and libtaos (decoded once, freed
//! once), already decoded from the answer over REST.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::{Buffer, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use taosjs_core::{ErrorKind, QueryInfo};

use crate::abort::{spawn, CallLimits, NativeAbort};
use crate::block::{pack, Batch, Info};
use crate::completion;
use crate::error::{js_error, to_js};
use crate::transport::{Rows, BATCH_BLOCKS};

/// What a statement produced: an affected-row count, or rows to stream.
#[napi]
pub struct NativeResult {
    rows: Arc<Rows>,
    /// The packed description and first blocks, until `take()`.
    first: Mutex<Option<Vec<u8>>>,
    closed: AtomicBool,
}

impl NativeResult {
    /// A result described by `info`; the rows that are already here (REST's) go with the
    /// description.
    pub(crate) fn new(rows: Rows, info: QueryInfo) -> napi::Result<NativeResult> {
        let described = Info { affected_rows: info.affected_rows, has_rows: rows.has_rows(), precision: info.precision, fields: &info.fields };
        let first = pack(Some(&described), &rows.already_here().map_err(to_js)?).map_err(to_js)?;
        Ok(NativeResult { rows: Arc::new(rows), first: Mutex::new(Some(first)), closed: AtomicBool::new(false) })
    }

    /// The result a call produced, or its error as a JS error.
    pub(crate) fn of(outcome: Result<(QueryInfo, Rows), taosjs_core::Error>) -> napi::Result<NativeResult> {
        let (info, rows) = outcome.map_err(to_js)?;
        NativeResult::new(rows, info)
    }
}

#[napi]
impl NativeResult {
    /// The packed description (affected rows, precision, fields) and the blocks that came with
    /// it; null after the first call.
    #[napi(catch_unwind)]
    pub fn take(&self) -> Option<Buffer> {
        self.first.lock().unwrap_or_else(|p| p.into_inner()).take().map(Buffer::from)
    }

    /// The next blocks, packed (at least one unless flagged finished: the server has no more
    /// rows and freed the result itself). One fetch at a time; after `close` a fetch is a
    /// ResultError. A fetch that times out or is aborted frees the result (its rows can no
    /// longer be read in order).
    #[napi(ts_return_type = "Promise<Buffer>")]
    pub fn fetch_batch<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Buffer>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let (rows, timeout) = (Arc::clone(&self.rows), limits.timeout());
        let closed = self.closed.load(Ordering::Acquire);
        if let (Rows::Ws { client, result_id, .. }, true, false, false) =
            (&*self.rows, self.rows.ws_fetchable(), closed, limits.abortable())
        {
            // Settled from the connection's task: no task of its own between it and JS.
            let (promise, settle) = completion::promise(env)?;
            let seen = Arc::clone(&self.rows);
            client.with_timeout(timeout).fetch_batch_with(*result_id, BATCH_BLOCKS, move |outcome| {
                settle.settle_guarded(|| {
                    let batch = outcome.map_err(to_js)?;
                    seen.saw(&batch);
                    pack(None, &Batch::from(batch)).map(Buffer::from).map_err(to_js)
                })
            });
            return Ok(promise);
        }
        spawn(env, limits, async move {
            if closed && rows.has_rows() {
                return Err(js_error(ErrorKind::Result, "the result is closed"));
            }
            let batch = rows.fetch_batch(timeout).await.map_err(to_js)?;
            pack(None, &batch).map(Buffer::from).map_err(to_js)
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
