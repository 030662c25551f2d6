//! Prepared statements (`NativeStmt2`, `NativeStmt`): thin shells over the transport's
//! statements (`transport::Stmt2`, `transport::Stmt`). Values arrive columnar, one
//! `NativeBindColumn` per placeholder (`bind.rs`); the core checks and encodes them. The
//! placeholders go back described by the core (`fields.rs`).

use napi::bindgen_prelude::{PromiseRaw, Uint8Array};
use napi::Env;
use napi_derive::napi;

use crate::abort::{spawn_on, NativeAbort};
use crate::bind::{to_core_columns, NativeBindColumn};
use crate::fields::{stmt_field, NativeStmt2Prepared, NativeStmtField};
use crate::result::NativeResult;
use crate::transport::{Stmt, Stmt2};

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
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move {
            stmt.prepare(&sql).await.map(|p| NativeStmt2Prepared::from(&p))
        })
    }

    /// Binds a whole bind packed into one buffer by the facade (`src/bind-pack.ts`, layout in
    /// `taosjs_core::packed`): the values are checked against the prepared placeholders and
    /// encoded off the JS thread, read in place in the JS buffer, which is not copied (a bind is
    /// ≈ 1 MB). The facade owns that buffer and leaves it alone until the call resolves; the
    /// reference to it is dropped as soon as the bind is encoded.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn bind<'env>(
        &self,
        env: &'env Env,
        packed: Uint8Array,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.bind_packed(packed).await })
    }

    /// Executes what was bound; resolves to the rows written.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn exec<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, i64>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.exec().await })
    }

    /// The rows of an executed query (closing the statement frees them too).
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn result<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { NativeResult::of(stmt.result().await) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.close().await })
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
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.prepare(&sql).await })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn set_table_name<'env>(
        &self,
        env: &'env Env,
        name: String,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.set_table_name(&name).await })
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
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.set_tags(tags).await })
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
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.bind(columns).await })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn add_batch<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.add_batch().await })
    }

    #[napi(ts_return_type = "Promise<number>")]
    pub fn exec<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, i64>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.exec().await })
    }

    #[napi(ts_return_type = "Promise<Array<NativeStmtField>>")]
    pub fn tag_fields<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<NativeStmtField>>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move {
            stmt.tag_fields().await.map(|fields| fields.iter().map(stmt_field).collect())
        })
    }

    #[napi(ts_return_type = "Promise<Array<NativeStmtField>>")]
    pub fn col_fields<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<NativeStmtField>>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move {
            stmt.col_fields().await.map(|fields| fields.iter().map(stmt_field).collect())
        })
    }

    /// The rows of an executed query (closing the statement frees them too).
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn use_result<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { NativeResult::of(stmt.use_result().await) })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn close<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.stmt, timeout_ms, abort, move |stmt| async move { stmt.close().await })
    }
}
