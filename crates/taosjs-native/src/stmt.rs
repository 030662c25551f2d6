//! stmt v1 statements (`taos_stmt_*`), for inserts only.
//!
//! A parameterised query through stmt v1 segfaults inside libtaos 3.3.7.5
//! (`setValueByBindParam`, measured with the published `taos` crate), and a crash there would
//! take the whole process with it: a statement that is not an insert is refused after the
//! prepare, before anything is bound, with a NotSupported error naming stmt2. Values go through
//! the core's checks and conversion (the stmt2 encoder, against the placeholders libtaos
//! reports), then become `TAOS_MULTI_BIND` arrays. As in the WebSocket session: add_batch needs
//! an accepted bind, exec needs a batch (rows bound since the last one are batched first).

use std::ffi::c_int;
use std::sync::Arc;

use taosjs_core::bind::{BindColumn, BindTable, BindType, StmtField};
use taosjs_core::stmt2::{self, Stmt2Prepared};
use taosjs_core::{decimals, Error, ErrorKind};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::api::{self, TaosFieldE};
use crate::bindv::MultiBinds;
use crate::client::NativeClient;
use crate::conn::{blocking, c_string, coded, thread_error, Child, Conn};
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;
use crate::stmt2::describe_into;

/// A stmt v1 statement (inserts only). Dropping it closes it.
pub struct NativeStmt {
    id: u64,
    state: Arc<Mutex<StmtState>>,
}

impl std::fmt::Debug for NativeStmt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeStmt").field("id", &self.id).finish_non_exhaustive()
    }
}

pub(crate) struct StmtState {
    conn: Arc<Conn>,
    stmt: Ptr,
    sql: String,
    /// A prepared insert (`false` before, after a failed prepare, and for refused queries).
    prepared: bool,
    table: Option<String>,
    tag_fields: Option<Vec<StmtField>>,
    col_fields: Option<Vec<StmtField>>,
    bound: bool,
    batches: u32,
}

impl Drop for StmtState {
    fn drop(&mut self) {
        if !self.stmt.is_null() {
            let (lib, stmt, conn) = (self.conn.lib, self.stmt, Arc::clone(&self.conn));
            reaper::release(move || {
                if let Some(close) = lib.api.taos_stmt_close {
                    // SAFETY: the last owner; the connection (held by `conn`) is still open.
                    unsafe { close(stmt.raw()) };
                }
                drop(conn);
            });
        }
    }
}

fn close_now(mut s: OwnedMutexGuard<StmtState>) {
    if s.stmt.is_null() {
        return;
    }
    if let Some(close) = s.conn.lib.api.taos_stmt_close {
        // SAFETY: open statement under its lock.
        unsafe { close(s.stmt.raw()) };
    }
    s.stmt = Ptr::NULL;
    s.prepared = false;
}

impl Child for Mutex<StmtState> {
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



fn stmt_error(lib: &Library, stmt: Ptr, code: c_int) -> Error {
    let text = match lib.api.taos_stmt_errstr {
        // SAFETY: an open statement; the text is copied at once.
        Some(f) => unsafe { api::text(f(stmt.raw())) },
        None => String::new(),
    };
    coded(ErrorKind::Statement, code, if text.is_empty() { format!("stmt call failed with code {code}") } else { text })
}

impl NativeClient {
    /// Opens a stmt v1 statement (`taos_stmt_init`).
    pub async fn stmt_init(&self) -> Result<NativeStmt, Error> {
        self.conn.check_open()?;
        let lib = self.conn.lib;
        let init = need!(lib, taos_stmt_init);
        let taos = self.conn.taos;
        let stmt = blocking(move || {
            // SAFETY: an open connection.
            let stmt = unsafe { init(taos.raw()) };
            if stmt.is_null() {
                Err(thread_error(lib, ErrorKind::Statement, "taos_stmt_init"))
            } else {
                Ok(Ptr(stmt))
            }
        })
        .await??;
        let state = StmtState {
            conn: Arc::clone(&self.conn),
            stmt,
            sql: String::new(),
            prepared: false,
            table: None,
            tag_fields: None,
            col_fields: None,
            bound: false,
            batches: 0,
        };
        let state = Arc::new(Mutex::new(state));
        let as_child: Arc<dyn Child> = state.clone();
        self.conn.adopt(Arc::downgrade(&as_child));
        Ok(NativeStmt { id: self.conn.next_id(), state })
    }
}

impl NativeStmt {
    pub fn id(&self) -> u64 {
        self.id
    }

    async fn open(&self) -> Result<OwnedMutexGuard<StmtState>, Error> {
        let s = Arc::clone(&self.state).lock_owned().await;
        s.conn.check_open()?;
        if s.stmt.is_null() {
            return Err(Error::programming(format!("statement {} is closed", self.id)));
        }
        Ok(s)
    }

    async fn prepared(&self, what: &str) -> Result<OwnedMutexGuard<StmtState>, Error> {
        let s = self.open().await?;
        if !s.prepared {
            return Err(Error::programming(format!(
                "cannot {what} statement {}: it is not prepared (or its prepare failed)",
                self.id
            )));
        }
        Ok(s)
    }

    /// Prepares an insert; resolves to `true`. Any other statement is refused (NotSupported)
    /// before anything is bound: libtaos 3.3.7.5 crashes binding a query through stmt v1.
    pub async fn prepare(&self, sql: &str) -> Result<bool, Error> {
        let mut s = self.open().await?;
        let lib = s.conn.lib;
        let (prepare, is_insert) = (need!(lib, taos_stmt_prepare), need!(lib, taos_stmt_is_insert));
        let csql = c_string(sql, "the SQL")?;
        // A new prepare forgets the old one: until it succeeds nothing can be bound or executed.
        s.sql = sql.to_owned();
        s.prepared = false;
        s.table = None;
        s.tag_fields = None;
        s.col_fields = None;
        s.bound = false;
        s.batches = 0;
        let (mut s, insert) = blocking(move || {
            let stmt = s.stmt;
            // SAFETY: open statement under its lock; the SQL lives for the call.
            let code = unsafe { prepare(stmt.raw(), csql.as_ptr(), csql.as_bytes().len() as std::ffi::c_ulong) };
            if code != 0 {
                return (s, Err(stmt_error(lib, stmt, code)));
            }
            let mut insert: c_int = 0;
            // SAFETY: as above.
            let code = unsafe { is_insert(stmt.raw(), &mut insert) };
            let outcome = if code != 0 { Err(stmt_error(lib, stmt, code)) } else { Ok(insert != 0) };
            (s, outcome)
        })
        .await?;
        if !insert? {
            return Err(Error::not_supported(
                "a query with parameters cannot run through stmt v1 on the native transport (libtaos 3.3.7.5 crashes binding it); use stmt2 (Connection.statement2) or a ws:// connection",
            ));
        }
        s.prepared = true;
        Ok(true)
    }

    /// Sets the table of an `insert into ? …` statement.
    pub async fn set_table_name(&self, name: &str) -> Result<(), Error> {
        let s = self.prepared("set the table of").await?;
        if name.is_empty() {
            return Err(Error::new(ErrorKind::Statement, "the table name must not be empty"));
        }
        let lib = s.conn.lib;
        let set = need!(lib, taos_stmt_set_tbname);
        let cname = c_string(name, "the table name")?;
        let name = name.to_owned();
        let (mut s, outcome) = blocking(move || {
            // SAFETY: prepared statement under its lock.
            let code = unsafe { set(s.stmt.raw(), cname.as_ptr()) };
            let outcome = if code != 0 { Err(stmt_error(lib, s.stmt, code)) } else { Ok(()) };
            (s, outcome)
        })
        .await?;
        outcome?;
        s.table = Some(name);
        // A new table may have other tags (and the same columns): ask again when needed.
        s.tag_fields = None;
        Ok(())
    }

    /// The tag placeholders (after `set_table_name` for `insert into ? using …`).
    pub async fn get_tag_fields(&self) -> Result<Vec<StmtField>, Error> {
        let s = self.prepared("describe the tags of").await?;
        let (_, fields) = self.fields_of(s, true).await?;
        Ok(fields)
    }

    /// The column placeholders.
    pub async fn get_col_fields(&self) -> Result<Vec<StmtField>, Error> {
        let s = self.prepared("describe the columns of").await?;
        let (_, fields) = self.fields_of(s, false).await?;
        Ok(fields)
    }

    /// The placeholders (cached), DECIMALs described from the target table.
    async fn fields_of(&self, s: OwnedMutexGuard<StmtState>, tags: bool) -> Result<(OwnedMutexGuard<StmtState>, Vec<StmtField>), Error> {
        let cached = if tags { &s.tag_fields } else { &s.col_fields };
        if let Some(f) = cached {
            let f = f.clone();
            return Ok((s, f));
        }
        let lib = s.conn.lib;
        let (get, reclaim) = if tags {
            (need!(lib, taos_stmt_get_tag_fields), need!(lib, taos_stmt_reclaim_fields))
        } else {
            (need!(lib, taos_stmt_get_col_fields), need!(lib, taos_stmt_reclaim_fields))
        };
        let bind_type = if tags { BindType::Tag } else { BindType::Column };
        let (mut s, fields) = blocking(move || {
            let mut n: c_int = 0;
            let mut raw: *mut TaosFieldE = std::ptr::null_mut();
            // SAFETY: prepared statement under its lock; `raw` is reclaimed below.
            let code = unsafe { get(s.stmt.raw(), &mut n, &mut raw) };
            if code != 0 {
                let e = stmt_error(lib, s.stmt, code);
                return (s, Err(e));
            }
            let mut out = Vec::new();
            let mut failure = None;
            if !raw.is_null() {
                // SAFETY: libtaos returned `n` entries.
                for f in unsafe { std::slice::from_raw_parts(raw, usize::try_from(n).unwrap_or(0)) } {
                    let raw_field = taosjs_core::bind::RawStmtField {
                        name: api::field_name(&f.name),
                        field_type: i64::from(f.ty),
                        precision: i64::from(f.precision),
                        scale: i64::from(f.scale),
                        bytes: i64::from(f.bytes),
                        bind_type: None,
                    };
                    match raw_field.to_field(bind_type) {
                        Ok(f) => out.push(f),
                        Err(e) => failure = failure.or(Some(e)),
                    }
                }
                // SAFETY: fields from this statement.
                unsafe { reclaim(s.stmt.raw(), raw) };
            }
            (s, failure.map_or(Ok(out), Err))
        })
        .await?;
        let mut fields = fields?;
        if decimals::needs_describe(&fields) {
            let table = decimals::insert_target(&s.sql).filter(|t| t != "?").or_else(|| s.table.clone());
            if let Some(table) = table {
                let client = NativeClient { conn: Arc::clone(&s.conn) };
                describe_into(&client, &table, &mut fields).await.map_err(|e| decimals::describe_failed(Some(&table), e))?;
            }
        }
        if tags {
            s.tag_fields = Some(fields.clone());
        } else {
            s.col_fields = Some(fields.clone());
        }
        Ok((s, fields))
    }

    /// Binds the tags: one single-value column per tag placeholder.
    pub async fn set_tags(&self, tags: Vec<BindColumn>) -> Result<(), Error> {
        let s = self.prepared("set the tags of").await?;
        let set = need!(s.conn.lib, taos_stmt_set_tags);
        self.send_binds(s, BindType::Tag, tags, set).await.map(drop)
    }

    /// Binds rows: one column per column placeholder, checked like stmt2 binds.
    pub async fn bind(&self, columns: Vec<BindColumn>) -> Result<(), Error> {
        let s = self.prepared("bind").await?;
        let bind = need!(s.conn.lib, taos_stmt_bind_param_batch);
        let mut s = self.send_binds(s, BindType::Column, columns, bind).await?;
        s.bound = true;
        Ok(())
    }

    /// Checks `values` against the tag or column placeholders (the core's stmt2 encoder) and
    /// hands them to `call` (`taos_stmt_set_tags` / `taos_stmt_bind_param_batch`).
    async fn send_binds(
        &self,
        s: OwnedMutexGuard<StmtState>,
        role: BindType,
        values: Vec<BindColumn>,
        call: unsafe extern "C" fn(*mut std::ffi::c_void, *mut crate::api::TaosMultiBind) -> c_int,
    ) -> Result<OwnedMutexGuard<StmtState>, Error> {
        let lib = s.conn.lib;
        let (s, fields) = self.fields_of(s, role == BindType::Tag).await?;
        let table = match role {
            BindType::Tag => BindTable { name: None, tags: values, columns: vec![] },
            _ => BindTable { name: None, tags: vec![], columns: values },
        };
        let message = encode(fields, role, table)?;
        let (s, outcome) = blocking(move || {
            let outcome = stmt2::bind_records(&message).and_then(|t| {
                let records = t.first().map_or(&[][..], |t| if role == BindType::Tag { &t.tags } else { &t.columns });
                let mut binds = MultiBinds::new(records)?;
                // SAFETY: prepared statement under its lock; `binds` owns what it points to.
                let code = unsafe { call(s.stmt.raw(), binds.binds.as_mut_ptr()) };
                if code != 0 {
                    Err(stmt_error(lib, s.stmt, code))
                } else {
                    Ok(())
                }
            });
            (s, outcome)
        })
        .await?;
        outcome.map(|()| s)
    }

    /// Adds the rows bound since the last batch to the batch.
    pub async fn add_batch(&self) -> Result<(), Error> {
        let s = self.prepared("add a batch to").await?;
        if !s.bound {
            return Err(Error::programming(format!("statement {}: nothing was bound since the last batch", self.id)));
        }
        let mut s = add_batch_now(s).await?;
        s.bound = false;
        s.batches += 1;
        Ok(())
    }

    /// Executes the batches (rows bound since the last `add_batch` are added first); the rows
    /// written.
    pub async fn exec(&self) -> Result<i64, Error> {
        let mut s = self.prepared("execute").await?;
        if s.bound {
            s = add_batch_now(s).await?;
            s.bound = false;
            s.batches += 1;
        }
        if s.batches == 0 {
            return Err(Error::programming(format!(
                "cannot execute statement {}: nothing was bound since it was prepared or last executed",
                self.id
            )));
        }
        s.batches = 0;
        let lib = s.conn.lib;
        let (execute, affected) = (need!(lib, taos_stmt_execute), need!(lib, taos_stmt_affected_rows));
        let (_, outcome) = blocking(move || {
            // SAFETY: prepared statement with a batch, under its lock.
            let code = unsafe { execute(s.stmt.raw()) };
            let outcome = if code != 0 {
                Err(stmt_error(lib, s.stmt, code))
            } else {
                // SAFETY: as above.
                Ok(i64::from(unsafe { affected(s.stmt.raw()) }))
            };
            (s, outcome)
        })
        .await?;
        outcome
    }

    /// Closes the statement; later calls are Programming errors.
    pub async fn close(&self) {
        let guard = Arc::clone(&self.state).lock_owned().await;
        let _ = blocking(move || close_now(guard)).await;
    }
}

async fn add_batch_now(s: OwnedMutexGuard<StmtState>) -> Result<OwnedMutexGuard<StmtState>, Error> {
    let lib = s.conn.lib;
    let add = need!(lib, taos_stmt_add_batch);
    let (s, outcome) = blocking(move || {
        // SAFETY: prepared and bound statement under its lock.
        let code = unsafe { add(s.stmt.raw()) };
        let outcome = if code != 0 { Err(stmt_error(lib, s.stmt, code)) } else { Ok(()) };
        (s, outcome)
    })
    .await?;
    outcome.map(|()| s)
}

/// The core's checked encoding of tags or columns against their placeholders.
fn encode(fields: Vec<StmtField>, bind_type: BindType, table: BindTable) -> Result<Vec<u8>, Error> {
    let fields: Vec<StmtField> = fields.into_iter().map(|f| StmtField { bind_type, ..f }).collect();
    let count = fields.len();
    if count == 0 {
        let what = if bind_type == BindType::Tag { "tag" } else { "column" };
        return Err(Error::programming(format!("the statement has no {what} placeholders: there is nothing to bind")));
    }
    // v1 checks each value against the placeholder exactly as stmt2 does.
    let prepared = Stmt2Prepared { stmt_id: 0, is_insert: true, fields, fields_count: count };
    stmt2::encode_bind(0, &prepared, &[table])
}
