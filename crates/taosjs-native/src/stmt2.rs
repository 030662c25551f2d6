//! stmt2 statements (`taos_stmt2_*`, blocking calls on the blocking pool).
//!
//! The same rules as the WebSocket session keep the statement safe — the sequences that kill
//! taosAdapter 3.3.7.5 are libtaos crashing inside it, and here they would take down our own
//! process: exec only after a successful prepare *and* an accepted bind since; no bind of a
//! statement without placeholders. Values are checked and converted by the core's stmt2
//! encoder (one owner for both transports) and handed to `taos_stmt2_bind_param` as C structs.

use std::ffi::c_int;
use std::sync::Arc;

use taosjs_core::bind::{BindTable, BindType, RawStmtField};
use taosjs_core::stmt2::{self, Stmt2InitOptions, Stmt2Prepared};
use taosjs_core::{decimals, Error, ErrorKind, QueryInfo};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::api::{self, TaosStmt2Option};
use crate::bindv::Stmt2Bindv;
use crate::client::NativeClient;
use crate::conn::{blocking, c_string, coded, thread_error, Child, Conn};
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;
use crate::result::{describe, fetch_raw, BoxFuture, Done, FetchLock, QueryOutcome, ResultSet, RowsOwner};

/// A stmt2 statement. Calls on one statement run one at a time; dropping it closes it.
pub struct NativeStmt2 {
    id: u64,
    state: Arc<Mutex<Stmt2State>>,
}

impl std::fmt::Debug for NativeStmt2 {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeStmt2").field("id", &self.id).finish_non_exhaustive()
    }
}

pub(crate) struct Stmt2State {
    conn: Arc<Conn>,
    /// NULL once closed.
    stmt: Ptr,
    prepared: Option<Stmt2Prepared>,
    /// A bind was accepted since the prepare or the last exec.
    bound: bool,
    executed_query: bool,
    /// Bumped by every prepare and exec: a result of an older generation is gone.
    generation: u64,
    result: Done,
}

impl Drop for Stmt2State {
    fn drop(&mut self) {
        if !self.stmt.is_null() {
            let (lib, stmt, conn) = (self.conn.lib, self.stmt, Arc::clone(&self.conn));
            reaper::release(move || {
                if let Some(close) = lib.api.taos_stmt2_close {
                    // SAFETY: the last owner; the connection (held by `conn`) is still open.
                    unsafe { close(stmt.raw()) };
                }
                drop(conn);
            });
        }
    }
}

impl Child for Mutex<Stmt2State> {
    fn release<'a>(self: Arc<Self>) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send + 'a>>
    where
        Self: 'a,
    {
        Box::pin(async move {
            let guard = self.lock_owned().await;
            let _ = blocking(move || close_now(guard)).await;
        })
    }
}

impl FetchLock for OwnedMutexGuard<Stmt2State> {
    fn abandon(&mut self) {
        self.result = Done::Lost;
    }
}

fn close_now(mut s: OwnedMutexGuard<Stmt2State>) {
    if s.stmt.is_null() {
        return;
    }
    if let Some(close) = s.conn.lib.api.taos_stmt2_close {
        // SAFETY: open statement, used by nobody else (we hold its lock).
        unsafe { close(s.stmt.raw()) };
    }
    s.stmt = Ptr::NULL;
    s.prepared = None;
    if s.result == Done::Open {
        s.result = Done::Closed;
    }
}



/// The statement's last error as a Statement error with TDengine's code.
fn stmt_error(lib: &Library, stmt: Ptr, code: c_int) -> Error {
    let text = match lib.api.taos_stmt2_error {
        // SAFETY: an open statement; the text is copied at once.
        Some(f) => unsafe { api::text(f(stmt.raw())) },
        None => String::new(),
    };
    coded(ErrorKind::Statement, code, if text.is_empty() { format!("stmt2 call failed with code {code}") } else { text })
}

type PrepareFns = (
    unsafe extern "C" fn(*mut std::ffi::c_void, *const std::ffi::c_char, std::ffi::c_ulong) -> c_int,
    unsafe extern "C" fn(*mut std::ffi::c_void, *mut c_int) -> c_int,
    unsafe extern "C" fn(*mut std::ffi::c_void, *mut c_int, *mut *mut crate::api::TaosFieldAll) -> c_int,
    unsafe extern "C" fn(*mut std::ffi::c_void, *mut crate::api::TaosFieldAll),
);

/// `taos_stmt2_prepare`, then what the statement is and its placeholders.
fn prepare_now(lib: &Library, stmt: Ptr, sql: &std::ffi::CStr, id: u64, f: PrepareFns) -> Result<Stmt2Prepared, Error> {
    let (prepare, is_insert, get_fields, free_fields) = f;
    // SAFETY: open statement, used only under its lock; the SQL lives for the call.
    let code = unsafe { prepare(stmt.raw(), sql.as_ptr(), sql.to_bytes().len() as std::ffi::c_ulong) };
    if code != 0 {
        return Err(stmt_error(lib, stmt, code));
    }
    let mut insert: c_int = 0;
    // SAFETY: as above.
    let code = unsafe { is_insert(stmt.raw(), &mut insert) };
    if code != 0 {
        return Err(stmt_error(lib, stmt, code));
    }
    let mut count: c_int = 0;
    let mut raw = std::ptr::null_mut();
    // SAFETY: as above; `raw` is released with taos_stmt2_free_fields below.
    let code = unsafe { get_fields(stmt.raw(), &mut count, &mut raw) };
    if code != 0 {
        return Err(stmt_error(lib, stmt, code));
    }
    let mut fields = Vec::new();
    let mut failure = None;
    if insert != 0 && !raw.is_null() {
        // SAFETY: libtaos returned `count` entries.
        let list = unsafe { std::slice::from_raw_parts(raw, usize::try_from(count).unwrap_or(0)) };
        for f in list {
            let raw_field = RawStmtField {
                name: api::field_name(&f.name),
                field_type: i64::from(f.ty),
                precision: i64::from(f.precision),
                scale: i64::from(f.scale),
                bytes: i64::from(f.bytes),
                bind_type: Some(i64::from(f.field_type)),
            };
            match raw_field.to_field(BindType::Column) {
                Ok(field) => fields.push(field),
                Err(e) => failure = failure.or(Some(e)),
            }
        }
    }
    if !raw.is_null() {
        // SAFETY: fields from taos_stmt2_get_fields on this statement.
        unsafe { free_fields(stmt.raw(), raw) };
    }
    if let Some(e) = failure {
        return Err(e);
    }
    Ok(Stmt2Prepared { stmt_id: id, is_insert: insert != 0, fields, fields_count: usize::try_from(count).unwrap_or(0) })
}

/// Reads `DESCRIBE table` into the DECIMAL placeholders among `fields`.
pub(crate) async fn describe_into(client: &NativeClient, table: &str, fields: &mut [taosjs_core::StmtField]) -> Result<(), Error> {
    let outcome = client.query(&format!("describe {table}"), None).await?;
    if let Some(rows) = outcome.rows {
        while let Some(block) = rows.fetch_block().await? {
            decimals::apply_describe_block(fields, &block.decode()?);
        }
    }
    Ok(())
}

fn programming(message: String) -> Error {
    Error::programming(message)
}

impl NativeClient {
    /// Opens a stmt2 statement (`taos_stmt2_init`).
    pub async fn stmt2_init(&self, options: Stmt2InitOptions) -> Result<NativeStmt2, Error> {
        self.conn.check_open()?;
        let lib = self.conn.lib;
        let init = need!(lib, taos_stmt2_init);
        let taos = self.conn.taos;
        let stmt = blocking(move || {
            let mut option = TaosStmt2Option {
                // The library's own id when the caller gives none (0), as for queries.
                reqid: options.req_id.map_or(0, |id| id as i64),
                single_stb_insert: options.single_stb_insert,
                single_table_bind_once: options.single_table_bind_once,
                async_exec_fn: None,
                userdata: std::ptr::null_mut(),
            };
            // SAFETY: an open connection; the option is read during the call.
            let stmt = unsafe { init(taos.raw(), &mut option) };
            if stmt.is_null() {
                Err(thread_error(lib, ErrorKind::Statement, "taos_stmt2_init"))
            } else {
                Ok(Ptr(stmt))
            }
        })
        .await??;
        let state = Stmt2State {
            conn: Arc::clone(&self.conn),
            stmt,
            prepared: None,
            bound: false,
            executed_query: false,
            generation: 0,
            result: Done::Finished,
        };
        let state = Arc::new(Mutex::new(state));
        let as_child: Arc<dyn Child> = state.clone();
        self.conn.adopt(Arc::downgrade(&as_child));
        Ok(NativeStmt2 { id: self.conn.next_id(), state })
    }
}

impl NativeStmt2 {
    pub fn id(&self) -> u64 {
        self.id
    }

    async fn open(&self) -> Result<OwnedMutexGuard<Stmt2State>, Error> {
        let s = Arc::clone(&self.state).lock_owned().await;
        s.conn.check_open()?;
        if s.stmt.is_null() {
            return Err(programming(format!("statement {} is closed", self.id)));
        }
        Ok(s)
    }

    /// Prepares `sql`; the answer lists the placeholders as the WebSocket transport reports
    /// them (inserts: table name, tags, columns in SQL order; queries: none, `fields_count`
    /// = the number of `?`).
    pub async fn prepare(&self, sql: &str) -> Result<Stmt2Prepared, Error> {
        let mut s = self.open().await?;
        let lib = s.conn.lib;
        let (prepare, is_insert, get_fields, free_fields) =
            (need!(lib, taos_stmt2_prepare), need!(lib, taos_stmt2_is_insert), need!(lib, taos_stmt2_get_fields), need!(lib, taos_stmt2_free_fields));
        let csql = c_string(sql, "the SQL")?;
        // A new prepare forgets the old one: until it succeeds nothing can be bound or executed.
        s.prepared = None;
        s.bound = false;
        s.executed_query = false;
        s.generation += 1;
        s.result = Done::Finished;
        let id = self.id;
        let (mut s, prepared) = blocking(move || {
            let outcome = prepare_now(lib, s.stmt, &csql, id, (prepare, is_insert, get_fields, free_fields));
            (s, outcome)
        })
        .await?;
        let mut prepared = prepared?;
        // libtaos describes DECIMAL placeholders without precision and scale, as taosAdapter
        // does: read them from the target table, as the WebSocket session does.
        if decimals::needs_describe(&prepared.fields) {
            if let Some(table) = decimals::insert_target(sql) {
                let client = NativeClient { conn: Arc::clone(&s.conn) };
                describe_into(&client, &table, &mut prepared.fields).await.map_err(|e| decimals::describe_failed(Some(&table), e))?;
            }
        }
        s.prepared = Some(prepared.clone());
        Ok(prepared)
    }

    /// Binds values: checked against the prepared placeholders by the core (Statement errors
    /// naming table, placeholder, row and value; nothing reaches libtaos then), then
    /// `taos_stmt2_bind_param`. See `taosjs_core::bind` for the input model.
    pub async fn bind(&self, tables: Vec<BindTable>) -> Result<(), Error> {
        self.bind_encoded(|p| stmt2::encode_bind(0, p, &tables)).await
    }

    /// [`NativeStmt2::bind`] of a bind packed into one buffer (`taosjs_core::packed`).
    pub async fn bind_packed(&self, packed: impl AsRef<[u8]>) -> Result<(), Error> {
        self.bind_encoded(|p| stmt2::encode_bind_packed(0, p, packed.as_ref())).await
    }

    async fn bind_encoded(&self, encode: impl FnOnce(&stmt2::Stmt2Prepared) -> Result<Vec<u8>, Error>) -> Result<(), Error> {
        let mut s = self.open().await?;
        let lib = s.conn.lib;
        let bind = need!(lib, taos_stmt2_bind_param);
        let id = self.id;
        let Some(prepared) = s.prepared.as_ref() else {
            return Err(programming(format!("cannot bind statement {id}: it is not prepared (or its prepare failed)")));
        };
        if prepared.fields_count == 0 {
            return Err(programming(format!(
                "statement {id} has no placeholders: there is nothing to bind (run it as plain SQL)"
            )));
        }
        let message = encode(prepared)?;
        blocking(move || {
            let records = stmt2::bind_records(&message)?;
            let mut c = Stmt2Bindv::new(&records);
            let stmt = s.stmt;
            // SAFETY: open statement under its lock; `c` owns everything the structure points to.
            let code = unsafe { bind(stmt.raw(), &mut c.bindv, -1) };
            if code != 0 {
                return Err(stmt_error(lib, stmt, code));
            }
            s.bound = true;
            Ok(())
        })
        .await?
    }

    /// Executes what was bound; the rows written (0 for a query, whose rows
    /// [`NativeStmt2::result`] returns). Refused unless a bind was accepted since the prepare
    /// or the last exec.
    pub async fn exec(&self) -> Result<i64, Error> {
        let mut s = self.open().await?;
        let lib = s.conn.lib;
        let exec = need!(lib, taos_stmt2_exec);
        let id = self.id;
        let Some(prepared) = s.prepared.as_ref() else {
            return Err(programming(format!("cannot execute statement {id}: it is not prepared (or its prepare failed)")));
        };
        if !s.bound {
            return Err(programming(format!(
                "cannot execute statement {id}: nothing was bound since it was prepared or last executed"
            )));
        }
        let is_insert = prepared.is_insert;
        // One exec per accepted bind, whatever the answer.
        s.bound = false;
        s.executed_query = false;
        s.generation += 1;
        s.result = Done::Finished;
        blocking(move || {
            let stmt = s.stmt;
            let mut affected: c_int = 0;
            // SAFETY: open, prepared and bound statement under its lock.
            let code = unsafe { exec(stmt.raw(), &mut affected) };
            if code != 0 {
                return Err(stmt_error(lib, stmt, code));
            }
            if !is_insert {
                s.executed_query = true;
                s.result = Done::Open;
            }
            Ok(i64::from(affected))
        })
        .await?
    }

    /// The rows of an executed query statement. They belong to the statement: the next
    /// prepare or exec, or closing it, ends them.
    pub async fn result(&self) -> Result<QueryOutcome, Error> {
        let s = self.open().await?;
        let lib = s.conn.lib;
        let result = need!(lib, taos_stmt2_result);
        let id = self.id;
        match &s.prepared {
            None => return Err(programming(format!("cannot read the result of statement {id}: it is not prepared"))),
            Some(p) if p.is_insert => return Err(programming(format!("statement {id} is an insert: it has no result set"))),
            Some(_) if !s.executed_query => {
                return Err(programming(format!("statement {id} has no result: execute it first")))
            }
            Some(_) => {}
        }
        // SAFETY: an executed query statement under its lock; the result is the statement's.
        let res = Ptr(unsafe { result(s.stmt.raw()) });
        if res.is_null() {
            return Err(stmt_error(lib, s.stmt, 0));
        }
        let (fields, precision) = describe(lib, res)?;
        let result_id = s.conn.next_id();
        let info = QueryInfo { result_id, is_update: false, affected_rows: 0, fields: fields.clone(), precision };
        let generation = s.generation;
        drop(s);
        let rows = ResultSet::owned_by(result_id, fields, precision, Arc::clone(&self.state) as Arc<dyn RowsOwner>, generation);
        Ok(QueryOutcome { info, rows: Some(rows) })
    }

    /// Closes the statement (`taos_stmt2_close`); later calls are Programming errors.
    pub async fn close(&self) {
        let guard = Arc::clone(&self.state).lock_owned().await;
        let _ = blocking(move || close_now(guard)).await;
    }
}

/// A statement's result is fetched and closed through its statement.
impl RowsOwner for Mutex<Stmt2State> {
    fn fetch_rows(self: Arc<Self>, generation: u64, id: u64) -> BoxFuture<Result<Option<Vec<u8>>, Error>> {
        Box::pin(async move { fetch(&self, generation, id).await })
    }

    fn close_rows(self: Arc<Self>, generation: u64) -> BoxFuture<()> {
        Box::pin(async move { close_result(&self, generation).await })
    }
}

/// A fetch on a statement's result (see [`ResultSet::fetch_block`]).
async fn fetch(state: &Arc<Mutex<Stmt2State>>, generation: u64, id: u64) -> Result<Option<Vec<u8>>, Error> {
    let s = Arc::clone(state).lock_owned().await;
    s.conn.check_open()?;
    if s.stmt.is_null() {
        return Err(Error::new(ErrorKind::Result, format!("result {id} is closed: its statement was closed")));
    }
    if s.generation != generation {
        return Err(Error::new(
            ErrorKind::Result,
            format!("result {id} is gone: its statement was prepared or executed again"),
        ));
    }
    if s.result != Done::Open {
        return s.result.answer(id);
    }
    let lib = s.conn.lib;
    let Some(result) = lib.api.taos_stmt2_result else { return Err(crate::library::missing(lib, "taos_stmt2_result")) };
    // SAFETY: as in `NativeStmt2::result`.
    let res = Ptr(unsafe { result(s.stmt.raw()) });
    let (mut s, block) = fetch_raw(lib, res, s).await;
    if !matches!(block, Ok(Some(_))) && s.generation == generation {
        s.result = Done::Finished;
    }
    block
}

async fn close_result(state: &Arc<Mutex<Stmt2State>>, generation: u64) {
    let mut s = state.lock().await;
    if s.generation == generation && s.result == Done::Open {
        s.result = Done::Closed;
    }
}
