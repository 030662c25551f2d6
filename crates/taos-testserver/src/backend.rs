//! What the protocol side needs from a SQL engine. The real [`Engine`] implements it; tests and
//! benches can plug in a small fake (e.g. one that serves a prepared result set).

use crate::engine::{Engine, SessionCtx, TopicBatch};
use std::collections::HashMap;
use crate::engine::stmt::{BoundTable, PreparedStmt};
use crate::types::{code, Outcome, TdError, Value};

pub trait SqlBackend: Send + Sync + 'static {
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError>;
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError>;
    fn database_exists(&self, db: &str) -> bool;

    /// Schemaless write (`insert` on `/ws`): protocol 1 line, 2 telnet, 3 JSON into the session's
    /// database; answers (affected rows, total rows). Backends without it refuse the action.
    fn schemaless_insert(
        &self,
        _ctx: &SessionCtx,
        _protocol: i64,
        _precision: &str,
        _data: &str,
        _table_name_key: Option<&str>,
    ) -> Result<(u64, u64), TdError> {
        Err(TdError::new(code::ADAPTER_GENERIC, "unknown action insert"))
    }

    /// `stmt2_prepare`: parse a statement with `?` placeholders and describe them.
    fn prepare(&self, _ctx: &SessionCtx, _sql: &str) -> Result<PreparedStmt, TdError> {
        Err(TdError::new(code::TSC_STMT_API_ERROR, "Stmt API usage error"))
    }

    /// `stmt2_bind`: the checks taosd makes on bound values before `stmt2_exec` (e.g. a JSON tag
    /// that is not an object). Nothing is written.
    fn check_bind(&self, _stmt: &PreparedStmt, _tables: &[BoundTable]) -> Result<(), TdError> {
        Ok(())
    }

    /// `stmt2_exec`: inserts → `Affected`, queries → `Rows`.
    fn execute_prepared(
        &self,
        _ctx: &SessionCtx,
        _stmt: &PreparedStmt,
        _tables: Vec<BoundTable>,
        _params: &[Value],
    ) -> Result<Outcome, TdError> {
        Err(TdError::new(code::TSC_STMT_API_ERROR, "Stmt API usage error"))
    }

    /// When a TMQ topic was created (ms), `None` if it does not exist. Tells a re-created topic
    /// from the dropped one, whose consumer groups' offsets went with it.
    fn topic_created(&self, _topic: &str) -> Option<i64> {
        None
    }

    /// TMQ: rows of `topic` after the per-table timestamps in `after` (see [`Engine::topic_rows`]).
    fn topic_rows(
        &self,
        _topic: &str,
        _after: &HashMap<String, i64>,
        _max_rows: usize,
    ) -> Result<Vec<TopicBatch>, TdError> {
        Err(TdError::new(code::MND_TOPIC_NOT_EXIST, "Topic not exist"))
    }
}

impl SqlBackend for Engine {
    fn topic_created(&self, topic: &str) -> Option<i64> {
        Engine::topic(self, topic).map(|t| t.create_time_ms)
    }
    fn topic_rows(
        &self,
        topic: &str,
        after: &HashMap<String, i64>,
        max_rows: usize,
    ) -> Result<Vec<TopicBatch>, TdError> {
        guarded(|| Engine::topic_rows(self, topic, after, max_rows))
    }
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        Engine::execute(self, ctx, sql)
    }
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        Engine::validate(self, ctx, sql)
    }
    fn database_exists(&self, db: &str) -> bool {
        Engine::database_exists(self, db)
    }
    fn schemaless_insert(
        &self,
        ctx: &SessionCtx,
        protocol: i64,
        precision: &str,
        data: &str,
        table_name_key: Option<&str>,
    ) -> Result<(u64, u64), TdError> {
        let Some(protocol) = crate::engine::SmlProtocol::from_code(protocol) else {
            return Err(TdError::new(0x3000, "Invalid line protocol type"));
        };
        let Some(db) = ctx.db.as_deref() else {
            return Err(TdError::new(code::TSC_DB_NOT_SELECTED, "Database not specified or available"));
        };
        Engine::schemaless_insert(self, db, protocol, precision, data, table_name_key)
    }
    fn prepare(&self, ctx: &SessionCtx, sql: &str) -> Result<PreparedStmt, TdError> {
        Engine::prepare(self, ctx, sql)
    }
    fn execute_prepared(
        &self,
        ctx: &SessionCtx,
        stmt: &PreparedStmt,
        tables: Vec<BoundTable>,
        params: &[Value],
    ) -> Result<Outcome, TdError> {
        Engine::execute_prepared(self, ctx, stmt, tables, params)
    }
    fn check_bind(&self, stmt: &PreparedStmt, tables: &[BoundTable]) -> Result<(), TdError> {
        Engine::check_insert_bind(self, stmt, tables)
    }
}

/// Runs a synchronous engine call. On a multi-threaded runtime (the binary, the napi addon) the
/// worker thread is handed over first so a long statement does not stall other connections.
pub fn run_blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

/// Runs a backend call, turning a panic into an adapter-style error so that one bad statement
/// cannot take a connection (or the server) down.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, TdError>) -> Result<T, TdError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(TdError::new(code::ADAPTER_GENERIC, "internal error")),
    }
}
