//! Result sets: their columns (`taos_fetch_fields` + `taos_fetch_fields_e` for DECIMAL
//! precision/scale) and their raw blocks (`taos_fetch_raw_block_a` + `taos_get_raw_block`).
//! A native raw block is the format taosAdapter forwards on WebSocket, so the core's decoder
//! ([`taosjs_core::block`]) reads both.
//!
//! One fetch at a time per result (a second is a Programming error, as on WebSocket). The
//! result's lock travels with the C callback, so a fetch whose caller went away still holds it
//! until libtaos answers; its block is then lost, and the result says so on the next fetch
//! instead of silently skipping rows.

use std::ffi::{c_int, c_void};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use taosjs_core::{DataType, Error, ErrorKind, FetchedBlock, Field, Precision, QueryInfo};
use tokio::sync::{oneshot, Mutex, OwnedMutexGuard};

use crate::api;
use crate::conn::{coded, Child, Conn};
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;

/// A `TAOS_RES*` we own: released (on the release thread) when dropped.
pub(crate) struct ResGuard {
    lib: &'static Library,
    res: Ptr,
}

impl ResGuard {
    pub fn new(lib: &'static Library, res: Ptr) -> ResGuard {
        ResGuard { lib, res }
    }

    pub fn ptr(&self) -> Ptr {
        self.res
    }

    pub fn is_null(&self) -> bool {
        self.res.is_null()
    }
}

impl Drop for ResGuard {
    fn drop(&mut self) {
        if !self.res.is_null() {
            let (lib, res) = (self.lib, self.res);
            // SAFETY: we own the result and nobody uses it any more.
            reaper::release(move || unsafe { (lib.api.taos_free_result)(res.raw()) });
        }
    }
}

/// Columns and precision of a result (no rows are read).
pub(crate) fn describe(lib: &Library, res: Ptr) -> Result<(Vec<Field>, Precision), Error> {
    // SAFETY: a live result, used by one thread at a time (the caller's).
    unsafe {
        let n = usize::try_from((lib.api.taos_num_fields)(res.raw())).unwrap_or(0);
        let precision_code = (lib.api.taos_result_precision)(res.raw());
        let precision = Precision::from_code(i64::from(precision_code))
            .ok_or_else(|| Error::internal(format!("libtaos reports unknown timestamp precision {precision_code}")))?;
        if n == 0 {
            return Ok((Vec::new(), precision));
        }
        let plain = (lib.api.taos_fetch_fields)(res.raw());
        if plain.is_null() {
            return Err(Error::internal("libtaos gave no field descriptions for a result with columns"));
        }
        let plain = std::slice::from_raw_parts(plain, n);
        let extended = match lib.api.taos_fetch_fields_e {
            Some(f) => {
                let p = f(res.raw());
                (!p.is_null()).then(|| std::slice::from_raw_parts(p, n))
            }
            None => None,
        };
        let mut fields = Vec::with_capacity(n);
        for (i, f) in plain.iter().enumerate() {
            let name = api::field_name(&f.name);
            let id = f.ty as u8;
            let ty = DataType::from_id(id).ok_or_else(|| {
                Error::not_supported(format!("column `{name}` has type id {id}, which taosjs cannot read"))
            })?;
            let (precision, scale) = match extended {
                Some(e) if ty.is_decimal() => (e[i].precision, e[i].scale),
                _ => (0, 0),
            };
            fields.push(Field { name, ty, bytes: u32::try_from(f.bytes).unwrap_or(0), precision, scale });
        }
        Ok((fields, precision))
    }
}

/// What a statement produced: its description and, when it has rows, the result to read.
#[derive(Debug)]
pub struct QueryOutcome {
    /// `result_id` is nonzero exactly when `rows` is present.
    pub info: QueryInfo,
    pub rows: Option<ResultSet>,
}

/// Turns a successful `taos_query_a` result into an outcome: rows to read, or a count.
pub(crate) fn outcome(conn: &Arc<Conn>, res: ResGuard, _reserved: Option<()>) -> Result<QueryOutcome, Error> {
    let lib = conn.lib;
    let (fields, precision) = describe(lib, res.ptr())?;
    if fields.is_empty() {
        // SAFETY: a live result we own.
        let affected = unsafe { (lib.api.taos_affected_rows64)(res.ptr().raw()) };
        let info = QueryInfo { result_id: 0, is_update: true, affected_rows: affected, fields, precision };
        return Ok(QueryOutcome { info, rows: None });
    }
    let id = conn.next_id();
    let info = QueryInfo { result_id: id, is_update: false, affected_rows: 0, fields: fields.clone(), precision };
    let state = Arc::new(Mutex::new(QueryRes { res: Some(res), conn: Arc::clone(conn), done: Done::Open }));
    let as_child: Arc<dyn Child> = state.clone();
    conn.adopt(Arc::downgrade(&as_child));
    let rows = ResultSet { id, fields: fields.into(), precision, holder: Holder::Query(state), fetch_abandoned: AtomicBool::new(false) };
    Ok(QueryOutcome { info, rows: Some(rows) })
}

/// Where a result stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Done {
    Open,
    /// Read to the end (or failed), and released.
    Finished,
    Closed,
    /// A block was fetched for a caller who went away: continuing would skip its rows.
    Lost,
}

impl Done {
    /// The answer for a result that is not open any more (`Ok(None)` = no more rows).
    pub fn answer(&self, id: u64) -> Result<Option<Vec<u8>>, Error> {
        match self {
            Done::Open => unreachable!("checked by the caller"),
            Done::Finished => Ok(None),
            Done::Closed => Err(Error::new(ErrorKind::Result, format!("result {id} is closed"))),
            Done::Lost => Err(Error::new(
                ErrorKind::Result,
                format!("result {id} lost a block: a fetch was abandoned after libtaos had read it, so its rows cannot be returned in order; run the query again"),
            )),
        }
    }
}

/// The library side of a plain query's result.
pub(crate) struct QueryRes {
    res: Option<ResGuard>,
    /// Keeps the connection open while the result lives (released before it).
    conn: Arc<Conn>,
    done: Done,
}

impl Child for Mutex<QueryRes> {
    fn release<'a>(self: Arc<Self>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>
    where
        Self: 'a,
    {
        Box::pin(async move {
            let mut state = self.lock().await;
            state.res = None;
            if state.done == Done::Open {
                state.done = Done::Closed;
            }
        })
    }
}

/// Marks a result whose fetched block nobody will read.
pub(crate) trait FetchLock: Send + 'static {
    fn abandon(&mut self);
}

impl FetchLock for OwnedMutexGuard<QueryRes> {
    fn abandon(&mut self) {
        self.done = Done::Lost;
        self.res = None;
    }
}

/// A future a trait object returns.
pub(crate) type BoxFuture<T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send>>;

/// What owns rows that are not a plain query's: a stmt2 query's result belongs to its statement
/// and lives until its next prepare or exec (`generation` tells which exec's rows are meant).
pub(crate) trait RowsOwner: Send + Sync {
    /// The next raw block of exec `generation`'s rows (`None`: no more rows).
    fn fetch_rows(self: Arc<Self>, generation: u64, id: u64) -> BoxFuture<Result<Option<Vec<u8>>, Error>>;
    /// Ends exec `generation`'s rows (later fetches are Result errors).
    fn close_rows(self: Arc<Self>, generation: u64) -> BoxFuture<()>;
}

enum Holder {
    Query(Arc<Mutex<QueryRes>>),
    Owned { owner: Arc<dyn RowsOwner>, generation: u64 },
}

/// Rows of a query on the server, read block by block. Dropping it releases them.
pub struct ResultSet {
    id: u64,
    fields: Arc<[Field]>,
    precision: Precision,
    holder: Holder,
    /// A fetch's caller went away while libtaos was reading: the fetch still holds the result
    /// until the library answers.
    fetch_abandoned: AtomicBool,
}

/// Marks the result's fetch abandoned if the caller drops it before libtaos answered.
struct AbandonOnDrop<'a> {
    flag: &'a AtomicBool,
    armed: bool,
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.flag.store(true, Ordering::Release);
        }
    }
}

impl std::fmt::Debug for ResultSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResultSet").field("id", &self.id).field("fields", &self.fields.len()).finish_non_exhaustive()
    }
}

impl ResultSet {
    /// Rows that `owner` fetches and closes.
    pub(crate) fn owned_by(id: u64, fields: Vec<Field>, precision: Precision, owner: Arc<dyn RowsOwner>, generation: u64) -> ResultSet {
        ResultSet { id, fields: fields.into(), precision, holder: Holder::Owned { owner, generation }, fetch_abandoned: AtomicBool::new(false) }
    }

    /// Nonzero id, unique on its connection.
    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn fields(&self) -> &Arc<[Field]> {
        &self.fields
    }

    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The next raw block with the result's fields (decode it with [`FetchedBlock::decode`],
    /// on the caller's thread), or `None` once every row was read (the result is then
    /// released). Errors from the server are Query errors with TDengine's code.
    pub async fn fetch_block(&self) -> Result<Option<FetchedBlock>, Error> {
        let raw = self.fetch_raw_block().await?;
        Ok(raw.map(|raw| FetchedBlock::new(raw, Arc::clone(&self.fields))))
    }

    async fn fetch_raw_block(&self) -> Result<Option<Vec<u8>>, Error> {
        match &self.holder {
            Holder::Query(state) => {
                let guard = match Arc::clone(state).try_lock_owned() {
                    Ok(guard) => guard,
                    // An abandoned fetch holds the result until libtaos answers: wait for it, then
                    // say what became of its block (a Result error: lost), not "in progress".
                    Err(_) if self.fetch_abandoned.load(Ordering::Acquire) => Arc::clone(state).lock_owned().await,
                    Err(_) => return Err(Error::programming(format!("a fetch on result {} is already in progress", self.id))),
                };
                if guard.done != Done::Open {
                    return guard.done.answer(self.id);
                }
                guard.conn.check_open()?;
                let (lib, res) = (guard.conn.lib, guard.res.as_ref().map(ResGuard::ptr).unwrap_or(Ptr::NULL));
                let mut abandon = AbandonOnDrop { flag: &self.fetch_abandoned, armed: true };
                let (mut guard, block) = fetch_raw(lib, res, guard).await;
                abandon.armed = false;
                if !matches!(block, Ok(Some(_))) {
                    // Read to the end or failed: libtaos keeps nothing more worth holding.
                    guard.res = None;
                    guard.done = Done::Finished;
                }
                block
            }
            Holder::Owned { owner, generation } => Arc::clone(owner).fetch_rows(*generation, self.id).await,
        }
    }

    /// Releases the rows now (waiting for a fetch in progress). Later fetches are Result
    /// errors. Idempotent.
    pub async fn close(&self) {
        match &self.holder {
            Holder::Query(state) => Arc::clone(state).release().await,
            Holder::Owned { owner, generation } => Arc::clone(owner).close_rows(*generation).await,
        }
    }
}

/// One `taos_fetch_raw_block_a` round trip on `res`, holding `lock` until libtaos answers (even
/// if the caller goes away). `Ok(None)`: no more rows.
pub(crate) async fn fetch_raw<L: FetchLock>(lib: &'static Library, res: Ptr, lock: L) -> (L, Result<Option<Vec<u8>>, Error>) {
    if res.is_null() {
        return (lock, Err(Error::internal("fetch on a released result")));
    }
    let (tx, rx) = oneshot::channel();
    let call = Box::into_raw(Box::new(FetchCall { lib, tx, lock: Some(lock) }));
    // SAFETY: a live result, fetched by nobody else (we hold its lock); the callback takes
    // `call` back exactly once.
    unsafe { (lib.api.taos_fetch_raw_block_a)(res.raw(), on_fetch::<L>, call.cast()) };
    let Ok((lock, rows, message)) = rx.await else {
        // Unreachable in practice: the callback always sends or keeps the lock until it drops.
        unreachable!("the fetch callback dropped its channel without answering")
    };
    let outcome = if rows < 0 {
        Err(coded(ErrorKind::Query, rows, message))
    } else if rows == 0 {
        Ok(None)
    } else {
        copy_block(lib, res).map(Some)
    };
    (lock, outcome)
}

/// The current raw block of `res`, copied (libtaos reuses its buffer on the next fetch).
fn copy_block(lib: &Library, res: Ptr) -> Result<Vec<u8>, Error> {
    // SAFETY: the block stays valid until the next fetch or free of `res`, which cannot happen
    // while the caller holds the result's lock; its length is read from its own header and
    // checked before the slice is made.
    unsafe {
        let p = (lib.api.taos_get_raw_block)(res.raw()).cast::<u8>();
        if p.is_null() {
            return Err(Error::internal("libtaos reported rows but no raw block"));
        }
        let mut len_bytes = [0u8; 4];
        std::ptr::copy_nonoverlapping(p.add(4), len_bytes.as_mut_ptr(), 4);
        let len = i32::from_le_bytes(len_bytes);
        if !(28..=i32::MAX).contains(&len) {
            return Err(Error::result(format!("malformed raw block: length field says {len} bytes")));
        }
        Ok(std::slice::from_raw_parts(p, len as usize).to_vec())
    }
}

struct FetchCall<L> {
    lib: &'static Library,
    tx: oneshot::Sender<(L, c_int, String)>,
    lock: Option<L>,
}

/// `taos_fetch_raw_block_a`'s callback (`rows` > 0: a block; 0: the end; < 0: an error code).
unsafe extern "C" fn on_fetch<L: FetchLock>(param: *mut c_void, res: *mut c_void, rows: c_int) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `param` is the Box leaked by `fetch_raw`, taken back exactly once here.
        let mut call = unsafe { Box::from_raw(param.cast::<FetchCall<L>>()) };
        let message = if rows < 0 {
            // SAFETY: the request's own message.
            unsafe { api::text((call.lib.api.taos_errstr)(res)) }
        } else {
            String::new()
        };
        let Some(lock) = call.lock.take() else { return };
        if let Err((mut lock, rows, _)) = call.tx.send((lock, rows, message)) {
            if rows > 0 {
                lock.abandon();
            }
        }
    }));
}
