//! Prepared statements (`NativeStmt2`, `NativeStmt`): thin shells over the transport's
//! statements (`transport::Stmt2`, `transport::Stmt`). Values arrive columnar, one `NativeBindColumn` (a byte view plus offsets and
//! a null mask) per placeholder, and become the core's `BindColumn`s with one copy per column;
//! the core checks every shape, range, length and type, and encodes the bind message in one
//! pass. The placeholders come back described by the core (type name, user length).

use napi::bindgen_prelude::{PromiseRaw, Uint32Array, Uint8Array};
use napi::Env;
use napi_derive::napi;
use taosjs_core::{BindColumn, BindTable, ColumnValues, ErrorKind, StmtField, VarData};

use crate::abort::{spawn, CallLimits, NativeAbort};
use crate::error::{js_error, to_js};
use crate::result::NativeResult;
use crate::transport::{Stmt, Stmt2};
use crate::vocabulary::{BindKind, BindType, TypeId};

/// The values for one placeholder (see `src/native.ts` for the layout).
#[napi(object, object_to_js = false)]
pub struct NativeBindColumn {
    pub kind: BindKind,
    /// Little-endian values, or the concatenated bytes of `str`/`bytes` values.
    pub data: Uint8Array,
    /// `rows + 1` offsets into `data` for `str`/`bytes`.
    pub offsets: Option<Uint32Array>,
    /// Nonzero = NULL.
    pub nulls: Option<Uint8Array>,
    /// Wire type to send a query parameter as.
    #[napi(js_name = "type")]
    pub ty: Option<TypeId>,
}

#[napi(object, object_to_js = false)]
pub struct NativeBindTable {
    pub name: Option<String>,
    pub tags: Vec<NativeBindColumn>,
    pub columns: Vec<NativeBindColumn>,
}

#[napi(object, object_from_js = false)]
pub struct NativeStmtField {
    pub name: String,
    #[napi(js_name = "type")]
    pub ty: TypeId,
    /// `VARCHAR(20)`, `DECIMAL(10,2)`, `TIMESTAMP`, …
    pub type_name: String,
    /// Timestamp precision (0 ms, 1 us, 2 ns) for TIMESTAMP; decimal precision for decimals.
    pub precision: u32,
    pub scale: u32,
    /// Storage size including the length prefix.
    pub bytes: u32,
    /// The length the user declared: n for VARCHAR(n) and NCHAR(n), the size of fixed types.
    pub length: u32,
    pub bind_type: BindType,
}

#[napi(object, object_from_js = false)]
pub struct NativeStmt2Prepared {
    pub is_insert: bool,
    pub fields: Vec<NativeStmtField>,
    pub fields_count: u32,
}

fn field(f: &StmtField) -> NativeStmtField {
    NativeStmtField {
        name: f.name.clone(),
        ty: f.ty.into(),
        type_name: f.type_name(),
        precision: u32::from(f.precision),
        scale: u32::from(f.scale),
        bytes: f.bytes,
        length: f.user_len(),
        bind_type: f.bind_type.into(),
    }
}

fn bad(message: String) -> napi::Error {
    js_error(ErrorKind::Interface, message)
}

/// Reads `data` as little-endian values of `N` bytes.
fn values<const N: usize, T>(data: &[u8], kind: &str, from: fn([u8; N]) -> T) -> napi::Result<Vec<T>> {
    if !data.len().is_multiple_of(N) {
        return Err(bad(format!("a {kind} column needs a multiple of {N} bytes, got {}", data.len())));
    }
    Ok(data.chunks_exact(N).map(|c| from(c.try_into().unwrap_or([0; N]))).collect())
}

fn to_core_column(c: &NativeBindColumn) -> napi::Result<BindColumn> {
    let data: &[u8] = &c.data;
    let var = |c: &NativeBindColumn, kind: &str| -> napi::Result<VarData> {
        let offsets: Vec<u32> = c.offsets.as_ref().map(|o| o.to_vec()).unwrap_or_default();
        if offsets.is_empty() {
            return Err(bad(format!("a {kind} column needs rows + 1 offsets")));
        }
        Ok(VarData { data: data.to_vec(), offsets })
    };
    let values = match c.kind {
        BindKind::Bool => ColumnValues::Bool(data.to_vec()),
        BindKind::U8 => ColumnValues::U8(data.to_vec()),
        BindKind::I8 => ColumnValues::I8(data.iter().map(|&b| b as i8).collect()),
        BindKind::I16 => ColumnValues::I16(values(data, "i16", i16::from_le_bytes)?),
        BindKind::U16 => ColumnValues::U16(values(data, "u16", u16::from_le_bytes)?),
        BindKind::I32 => ColumnValues::I32(values(data, "i32", i32::from_le_bytes)?),
        BindKind::U32 => ColumnValues::U32(values(data, "u32", u32::from_le_bytes)?),
        BindKind::I64 => ColumnValues::I64(values(data, "i64", i64::from_le_bytes)?),
        BindKind::U64 => ColumnValues::U64(values(data, "u64", u64::from_le_bytes)?),
        BindKind::F32 => ColumnValues::F32(values(data, "f32", f32::from_le_bytes)?),
        BindKind::F64 => ColumnValues::F64(values(data, "f64", f64::from_le_bytes)?),
        BindKind::Ts => ColumnValues::Timestamp(values(data, "ts", i64::from_le_bytes)?),
        BindKind::Str => ColumnValues::Str(var(c, "str")?),
        BindKind::Bytes => ColumnValues::Bytes(var(c, "bytes")?),
    };
    let ty = match c.ty {
        Some(id) => Some(id.data_type().ok_or_else(|| bad(format!("type id {} cannot be bound", id as u8)))?),
        None => None,
    };
    Ok(BindColumn { ty, nulls: c.nulls.as_ref().map(|n| n.to_vec()), values })
}

fn to_core_columns(columns: &[NativeBindColumn]) -> napi::Result<Vec<BindColumn>> {
    columns.iter().map(to_core_column).collect()
}

/// A stmt2 statement on the server. Every call takes `timeoutMs` and `abort` last (see
/// `NativeConnection`).
#[napi]
pub struct NativeStmt2 {
    stmt: Stmt2,
}

impl NativeStmt2 {
    pub(crate) fn new(stmt: Stmt2) -> Self {
        NativeStmt2 { stmt }
    }
}

#[napi]
impl NativeStmt2 {
    #[napi(ts_return_type = "Promise<NativeStmt2Prepared>")]
    pub fn prepare<'env>(
        &self,
        env: &'env Env,
        sql: String,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeStmt2Prepared>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move {
            let p = stmt.prepare(&sql).await.map_err(to_js)?;
            Ok(NativeStmt2Prepared {
                is_insert: p.is_insert,
                fields: p.fields.iter().map(field).collect(),
                fields_count: u32::try_from(p.fields_count).unwrap_or(u32::MAX),
            })
        })
    }

    /// Copies the values out of JS memory now (so later changes to the caller's arrays cannot
    /// race the send), then checks every value against the prepared placeholders and sends one
    /// `stmt2_bind`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn bind<'env>(
        &self,
        env: &'env Env,
        tables: Vec<NativeBindTable>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let tables = tables
            .iter()
            .map(|t| Ok(BindTable { name: t.name.clone(), tags: to_core_columns(&t.tags)?, columns: to_core_columns(&t.columns)? }))
            .collect::<napi::Result<Vec<_>>>()?;
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.bind(tables).await.map_err(to_js) })
    }

    /// Executes what was bound; resolves to the rows written.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn exec<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, i64>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.exec().await.map_err(to_js) })
    }

    /// The rows of an executed query (closing the statement frees them too).
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn result<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move {
            let (info, rows) = stmt.result().await.map_err(to_js)?;
            NativeResult::new(rows, info)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.close().await.map_err(to_js) })
    }
}

/// A stmt v1 statement on the server. Every call takes `timeoutMs` and `abort` last.
#[napi]
pub struct NativeStmt {
    stmt: Stmt,
}

impl NativeStmt {
    pub(crate) fn new(stmt: Stmt) -> Self {
        NativeStmt { stmt }
    }
}

#[napi]
impl NativeStmt {
    /// Resolves to whether the statement is an insert.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn prepare<'env>(
        &self,
        env: &'env Env,
        sql: String,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.prepare(&sql).await.map_err(to_js) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_table_name<'env>(
        &self,
        env: &'env Env,
        name: String,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.set_table_name(&name).await.map_err(to_js) })
    }

    /// Values are copied out of JS memory before the call returns (see `NativeStmt2::bind`).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_tags<'env>(
        &self,
        env: &'env Env,
        tags: Vec<NativeBindColumn>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let tags = to_core_columns(&tags)?;
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.set_tags(tags).await.map_err(to_js) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn bind<'env>(
        &self,
        env: &'env Env,
        columns: Vec<NativeBindColumn>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let columns = to_core_columns(&columns)?;
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.bind(columns).await.map_err(to_js) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn add_batch<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.add_batch().await.map_err(to_js) })
    }

    #[napi(ts_return_type = "Promise<number>")]
    pub fn exec<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, i64>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.exec().await.map_err(to_js) })
    }

    #[napi(ts_return_type = "Promise<Array<NativeStmtField>>")]
    pub fn tag_fields<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<NativeStmtField>>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { Ok(stmt.tag_fields().await.map_err(to_js)?.iter().map(field).collect()) })
    }

    #[napi(ts_return_type = "Promise<Array<NativeStmtField>>")]
    pub fn col_fields<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<NativeStmtField>>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { Ok(stmt.col_fields().await.map_err(to_js)?.iter().map(field).collect()) })
    }

    /// The rows of an executed query (closing the statement frees them too).
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn use_result<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move {
            let (info, rows) = stmt.use_result().await.map_err(to_js)?;
            NativeResult::new(rows, info)
        })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        let limits = CallLimits::of(timeout_ms, abort);
        let stmt = self.stmt.within(limits.timeout());
        spawn(env, limits, async move { stmt.close().await.map_err(to_js) })
    }
}
