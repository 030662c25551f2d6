//! The in-memory time-series engine: catalog (databases, super/child/normal tables), columnar
//! storage ordered by the timestamp key, and the executor of parsed SQL.
//!
//! CONTRACT (used by the protocol front ends; keep these signatures stable):
//! - `Engine` is cheap to clone and shared by every connection (one `RwLock` inside: queries
//!   share it, writes and DDL take it alone).
//! - `Engine::execute` runs one statement for one session and returns an [`Outcome`] or a
//!   [`TdError`] carrying TDengine's code and message. It never panics on any input.
//! - `SessionCtx` is per connection (WebSocket) or per request (REST).
//!
//! Beside SQL:
//! - [`Engine::insert_rows`] writes rows into a table without SQL text (auto-creating a child
//!   table when asked); [`Engine::table_schema`] describes a table;
//! - [`Engine::prepare`] + [`Engine::execute_insert_bind`] / [`Engine::execute_query_bind`] run
//!   stmt2 statements ([`PreparedStmt::fields`] is what `stmt2_prepare` reports);
//! - [`Engine::schemaless_insert`] writes InfluxDB line / OpenTSDB telnet / OpenTSDB JSON data;
//! - [`Engine::validate`] checks a query or an INSERT without running/writing it;
//! - [`Engine::topic`] / [`Engine::topic_names`] look up TMQ topics; [`Engine::topic_rows`] gives
//!   a topic's rows per table after given timestamps (what a consumer has not seen yet).
//!
//! Layout: `crate::sql` turns text into an AST (hand-written lexer, recursive-descent parser with
//! TDengine's error texts); `catalog` holds databases and per-table columns (`TableData`: a `ts`
//! vector plus one `Vec<Value>` per column, kept sorted by ts, appends on the fast path);
//! `insert`/`convert` turn literals into typed values (534 errors); `ddl` runs DDL, SHOW,
//! DESCRIBE and builds `information_schema` tables; `query` binds names (`eval::BExpr`) and
//! executes SELECT, with windows and aggregation in `query::grouping`.
//! The recorded TDengine answers in `tests/data/sql-corpus` are replayed by
//! `tests/corpus_engine.rs` (`CORPUS_VERBOSE=1` prints every difference).

mod backend;
pub mod catalog;
pub mod convert;
mod ddl;
pub mod eval;
pub mod geometry;
mod insert;
mod meta;
mod query;
mod pattern;
pub mod schemaless;
pub mod stmt;
pub mod time;
pub mod topic;

use std::collections::HashMap;
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::session::SessionCtx;
use crate::sql::ast::Statement;
use crate::types::{code, Field, Outcome, Precision, TdError, Value};

pub use catalog::{Database, STable, TableKind};
pub use schemaless::SmlProtocol;

/// Error codes the engine produces beyond `types::code` (low 16 bits, from the recordings).
pub mod ecode {
    pub const INVALID_TIMESTAMP_FORMAT: u16 = 295;
    pub const STB_ALTER_OPTION: u16 = 962;
    pub const INTERVAL_TOO_SMALL: u16 = 9749;
    pub const INVALID_OPTION: u16 = 9753;
    pub const ORDER_BY_POSITION: u16 = 9737;
    pub const NOT_GROUP_BY_EXPR: u16 = 9738;
    pub const NOT_SINGLE_GROUP: u16 = 9740;
    pub const TAGS_NOT_MATCHED: u16 = 9741;
    pub const SLIDING_TOO_LARGE: u16 = 9777;
    pub const ONLY_ONE_JSON_TAG: u16 = 9779;
    pub const FILL_RANGE_REQUIRED: u16 = 9787;
    pub const ILLEGAL_COLUMNS: u16 = 9791;
    pub const FIRST_COLUMN_TS: u16 = 9793;
    pub const INVALID_VAR_LEN: u16 = 9794;
    pub const TOO_MANY_COLUMNS: u16 = 9792;
    pub const TOO_MANY_TAGS: u16 = 9795;
    pub const MODIFY_COLUMN: u16 = 9803;
    pub const ONLY_TAG_JSON: u16 = 9810;
    pub const WINDOW_PSEUDO_COLUMN: u16 = 9816;
    pub const INVALID_EXPR_USAGE: u16 = 9831;
    pub const FUNC_PARAM_COUNT: u16 = 10241;
    pub const FUNC_PARAM_TYPE: u16 = 10242;
    pub const FUNC_PARAM_RANGE: u16 = 10257;
    pub const ONE_BLOB: u16 = 25350;
    pub const NAME_TOO_LONG: u16 = 9751;
}

/// Engine-wide settings. The server's identity comes from whoever runs the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The server timezone: string timestamp literals without an offset are read in it.
    pub timezone: chrono_tz::Tz,
    /// Text returned by `select server_version()` (e.g. "3.3.7.5").
    pub server_version: String,
}

impl EngineConfig {
    /// A UTC engine that reports `server_version`.
    pub fn new(server_version: impl Into<String>) -> EngineConfig {
        EngineConfig {
            timezone: chrono_tz::UTC,
            server_version: server_version.into(),
        }
    }
}

/// Every database, by name.
#[derive(Debug, Default)]
pub struct Catalog {
    pub dbs: HashMap<String, Database>,
    pub topics: HashMap<String, Topic>,
}

/// A TMQ topic: its database, kind (`column` | `db` | `stable`), the statement text and source.
#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub db: String,
    pub kind: &'static str,
    pub sql: String,
    pub source: crate::sql::ast::TopicSource,
    pub create_time_ms: i64,
}

/// The engine handle.
#[derive(Clone)]
pub struct Engine {
    config: Arc<EngineConfig>,
    state: Arc<RwLock<Catalog>>,
}

pub(crate) fn err(code: u16, msg: impl Into<String>) -> TdError {
    TdError::new(code, msg)
}

pub(crate) fn db_not_exist() -> TdError {
    err(code::MND_DB_NOT_EXIST, "Database not exist")
}

pub(crate) fn table_not_exist() -> TdError {
    err(code::PAR_TABLE_NOT_EXIST, "Table does not exist")
}

pub(crate) fn invalid_column(name: &str) -> TdError {
    err(
        code::PAR_INVALID_COLUMN,
        format!("Invalid column name: {}", name),
    )
}

/// `9728` for anything this engine does not implement, naming the part.
pub(crate) fn unsupported(what: &str) -> TdError {
    err(
        code::PAR_SYNTAX_ERROR,
        format!(
            "syntax error near \"{}\" (not supported by taos-testserver)",
            what
        ),
    )
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            config: Arc::new(config),
            state: Arc::new(RwLock::new(Catalog::default())),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    fn read(&self) -> RwLockReadGuard<'_, Catalog> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs one SQL statement (a trailing `;` or several `;` are allowed; only the first
    /// statement of a multi-statement text runs, as in TDengine's REST).
    pub fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        // A bug must not take the server down: report it as an error instead.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.execute_inner(ctx, sql)
        })) {
            Ok(r) => r,
            Err(_) => Err(err(
                code::PAR_SYNTAX_ERROR,
                format!("syntax error near \"{}\" (internal error)", sql.trim()),
            )),
        }
    }

    fn execute_inner(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        let stmt = crate::sql::parse(sql)?;
        match stmt {
            Statement::Query(q) => {
                let cat = self.read();
                query::run_query(self, &cat, ctx, &q).map(Outcome::Rows)
            }
            Statement::Insert(items) => {
                let mut cat = self.write();
                insert::run_insert(self, &mut cat, ctx, sql, &items).map(Outcome::Affected)
            }
            Statement::Show(kind) => {
                let cat = self.read();
                meta::show::show(self, &cat, ctx, &kind).map(Outcome::Rows)
            }
            Statement::Describe(name) => {
                let cat = self.read();
                meta::describe::describe(&cat, ctx, &name).map(Outcome::Rows)
            }
            Statement::Use { name } => {
                let cat = self.read();
                if !cat.dbs.contains_key(&name) && !is_system_db(&name) {
                    return Err(db_not_exist());
                }
                ctx.db = Some(name);
                Ok(Outcome::Affected(0))
            }
            other => {
                let mut cat = self.write();
                ddl::run_ddl(self, &mut cat, ctx, sql, other).map(|_| Outcome::Affected(0))
            }
        }
    }

    /// Parses and checks a statement without running it (`validate_sql`).
    pub fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        let stmt = crate::sql::parse(sql)?;
        let cat = self.read();
        match stmt {
            Statement::Query(q) => query::run_query(self, &cat, ctx, &q).map(|_| ()),
            Statement::Insert(items) => insert::check_insert(self, &cat, ctx, sql, &items),
            _ => Ok(()),
        }
    }

    /// The precision of a database, if it exists.
    pub fn database_precision(&self, db: &str) -> Option<Precision> {
        if is_system_db(db) {
            return Some(Precision::Millisecond);
        }
        let cat = self.read();
        cat.dbs
            .get(db)
            .or_else(|| cat.dbs.get(&db.to_ascii_lowercase()))
            .map(|d| d.precision)
    }

    /// Whether a database exists (used by `conn` with a `db`).
    pub fn database_exists(&self, db: &str) -> bool {
        self.database_precision(db).is_some()
    }

    /// A TMQ topic by name (its database, kind, statement text and parsed source).
    pub fn topic(&self, name: &str) -> Option<Topic> {
        self.read().topics.get(name).cloned()
    }

    /// Names of every topic.
    pub fn topic_names(&self) -> Vec<String> {
        self.read().topics.keys().cloned().collect()
    }

    /// The schema of a table: (columns with ts first, tags — empty for normal tables, and for a
    /// child table its current tag values). Errors: 904 / 9731.
    pub fn table_schema(&self, db: &str, table: &str) -> Result<TableSchema, TdError> {
        let cat = self.read();
        let d = cat.dbs.get(&db_key(&cat, db)).ok_or_else(db_not_exist)?;
        if let Some(st) = d.stables.get(table) {
            return Ok(TableSchema {
                columns: st.columns.iter().map(|c| c.field()).collect(),
                tags: st.tags.iter().map(|c| c.field()).collect(),
                tag_values: None,
                stable: None,
                is_super: true,
                precision: d.precision,
            });
        }
        let t = d.tables.get(table).ok_or_else(table_not_exist)?;
        let columns = d.columns_of(t).iter().map(|c| c.field()).collect();
        Ok(match &t.kind {
            TableKind::Normal { .. } => TableSchema {
                columns,
                tags: vec![],
                tag_values: None,
                stable: None,
                is_super: false,
                precision: d.precision,
            },
            TableKind::Child { stable, tags } => TableSchema {
                columns,
                tags: d
                    .stables
                    .get(stable)
                    .map(|s| s.tags.iter().map(|c| c.field()).collect())
                    .unwrap_or_default(),
                tag_values: Some(tags.clone()),
                stable: Some(stable.clone()),
                is_super: false,
                precision: d.precision,
            },
        })
    }

    /// Writes rows into `db.table` without SQL text (stmt2 binds, schemaless). `columns` names the
    /// bound columns (the timestamp key must be one of them; `None` = all columns in order);
    /// each row gives one value per bound column, timestamps as `Value::Timestamp` in the
    /// database precision. When the table does not exist and `create` is given, it is created as
    /// a child of `create.stable` with `create.tags` (full tag list in schema order). Values
    /// are checked against the column types (`9811` for too-long strings). Returns rows written
    /// after merging duplicate timestamps.
    pub fn insert_rows(
        &self,
        db: &str,
        table: &str,
        columns: Option<&[String]>,
        rows: Vec<Vec<Value>>,
        create: Option<AutoCreate>,
    ) -> Result<u64, TdError> {
        let mut cat = self.write();
        insert::insert_values(&mut cat, db, table, columns, rows, create)
    }
}

/// A child table to create on first write (see [`Engine::insert_rows`]).
#[derive(Debug, Clone)]
pub struct AutoCreate {
    pub stable: String,
    pub tags: Vec<Value>,
}

/// What [`Engine::table_schema`] returns.
#[derive(Debug, Clone)]
pub struct TableSchema {
    pub columns: Vec<Field>,
    pub tags: Vec<Field>,
    pub tag_values: Option<Vec<Value>>,
    pub stable: Option<String>,
    pub is_super: bool,
    pub precision: Precision,
}

/// The system databases: `information_schema`, `performance_schema`.
pub(crate) const SYSTEM_DBS: [&str; 2] = ["information_schema", "performance_schema"];

pub(crate) fn is_system_db(name: &str) -> bool {
    SYSTEM_DBS.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// The database a statement addresses: the explicit `db.` prefix, else the session's.
pub(crate) fn resolve_db<'c>(
    cat: &'c Catalog,
    ctx: &SessionCtx,
    explicit: Option<&str>,
) -> Result<&'c Database, TdError> {
    let name = match explicit.or(ctx.db.as_deref()) {
        Some(n) => n,
        None => return Err(err(code::PAR_DB_NOT_SPECIFIED, "Database not specified")),
    };
    // names given outside SQL (REST path, `conn.db`) may keep their case
    cat.dbs
        .get(name)
        .or_else(|| cat.dbs.get(&name.to_ascii_lowercase()))
        .ok_or_else(db_not_exist)
}

pub(crate) fn resolve_db_name(ctx: &SessionCtx, explicit: Option<&str>) -> Result<String, TdError> {
    match explicit.or(ctx.db.as_deref()) {
        Some(n) => Ok(n.to_string()),
        None => Err(err(code::PAR_DB_NOT_SPECIFIED, "Database not specified")),
    }
}

/// The catalog key of a database name (exact, else lower-cased).
pub(crate) fn db_key(cat: &Catalog, name: &str) -> String {
    if cat.dbs.contains_key(name) {
        name.to_string()
    } else {
        name.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests;
