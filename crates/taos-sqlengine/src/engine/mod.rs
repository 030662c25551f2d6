//! The in-memory time-series engine: catalog (databases, super/child/normal tables), columnar
//! storage ordered by the timestamp key, and the executor of parsed SQL.
//!
//! The protocol front ends see it only as a [`SqlBackend`](crate::SqlBackend) (`backend.rs`):
//! - `Engine` is cheap to clone and shared by every connection (one `RwLock` inside: queries
//!   share it, writes and DDL take it alone).
//! - `Engine::execute` runs one statement for one session and returns an [`Outcome`] or a
//!   [`TdError`] carrying TDengine's code and message. It never panics on any input.
//! - `SessionCtx` is per connection (WebSocket) or per request (REST).
//!
//! Beside SQL: `insert_rows` writes rows without SQL text (auto-creating a child table when
//! asked) and `table_schema` describes a table; `prepare` + `execute_prepared` run prepared
//! statements (`stmt.rs`); `schemaless_insert` writes InfluxDB line / OpenTSDB telnet / JSON
//! (`schemaless.rs`); `validate` checks a query or an INSERT without running it; `topic_rows`
//! gives a TMQ topic's rows per table after given timestamps (`topic.rs`).
//!
//! Layout: `crate::sql` turns text into an AST (hand-written lexer, recursive-descent parser with
//! TDengine's error texts). This file dispatches a parsed statement: INSERT to `insert`
//! (`convert` turns literals into typed values, 534 errors), SELECT to `query` (binding in
//! `query::binder`, expressions evaluated by `eval`, windows and aggregation in
//! `query::grouping`), DDL to `ddl` (topics to `topic`), SHOW / DESCRIBE and the system tables
//! to `meta`. `catalog` holds databases, tables and topics (`TableData`: a `ts` vector plus one
//! typed `column::Column` per column, kept sorted by ts, appends on the fast path, shared through
//! an `Arc` with the streamed scans of `query::scan`) and how a statement
//! finds its database; `errors` holds the codes and the one way to refuse what is not
//! implemented (`unsupported`, 9728); `time`, `pattern` (LIKE, MATCH) and `geometry` are leaves.
//! The recorded TDengine answers in `crates/taos-testserver/tests/data/sql-corpus` are replayed
//! by `crates/taos-testserver/tests/corpus_engine.rs` (`CORPUS_VERBOSE=1` prints every
//! difference).

mod backend;
mod cast;
mod catalog;
mod crand;
mod column;
mod convert;
mod ddl;
mod delete;
mod errors;
mod eval;
mod geometry;
mod insert;
mod insert_number;
mod meta;
mod pattern;
mod query;
mod schemaless;
mod state;
mod stmt;
mod time;
mod timefmt;
mod topic;
mod users;
mod vgroup;
mod wal;
mod weeks;

use crate::session::SessionCtx;
use crate::sql::ast::Statement;
use crate::types::{code, Answer, Field, Outcome, Precision, TdError, Value};

use catalog::{db_key, is_system_db, TableKind, Topic};
use errors::{db_not_exist, err, table_not_exist};
use insert::AutoCreate;

pub use state::{system_timezone, Engine, EngineConfig};
pub use wal::MetaJson;

impl Engine {
    /// The time zone a session reads and writes local times in: its own, else the server's.
    pub(crate) fn session_tz(&self, ctx: &SessionCtx) -> chrono_tz::Tz {
        ctx.tz.as_ref().map_or(self.config().timezone, |t| t.zone)
    }

    /// The name `timezone()` shows for that zone: the session's, else the server's.
    pub(crate) fn session_tz_name<'a>(&'a self, ctx: &'a SessionCtx) -> &'a str {
        ctx.tz.as_ref().map_or(self.config().timezone_name(), |t| t.name.as_str())
    }

    /// Runs one SQL statement (a trailing `;` or several `;` are allowed; only the first
    /// statement of a multi-statement text runs, as in TDengine's REST).
    pub fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        self.execute_guarded(ctx, sql, false).map(|a| match a {
            Answer::Outcome(o) => o,
            Answer::Stream(s) => Outcome::Rows(s.collect()),
        })
    }

    /// Like [`Engine::execute`], but a plain scan (columns and expressions of a table or super
    /// table, with WHERE and LIMIT) answers a [`RowStream`](crate::types::RowStream) that reads
    /// the tables as they were when the query ran and makes each block as it is fetched.
    pub fn execute_streaming(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Answer, TdError> {
        self.execute_guarded(ctx, sql, true)
    }

    fn execute_guarded(&self, ctx: &mut SessionCtx, sql: &str, stream: bool) -> Result<Answer, TdError> {
        let sql = &crate::sql::lexer::client_lowercase(sql);
        // A bug must not take the server down: report it as an error instead.
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            self.execute_inner(ctx, sql, stream)
        })) {
            Ok(r) => r,
            Err(_) => Err(err(
                code::PAR_SYNTAX_ERROR,
                format!("syntax error near \"{}\" (internal error)", sql.trim()),
            )),
        }
    }

    fn execute_inner(&self, ctx: &mut SessionCtx, sql: &str, stream: bool) -> Result<Answer, TdError> {
        let stmt = crate::sql::parse_in(sql, ctx.db.is_some())?;
        users::authorize(&self.read(), ctx, &stmt)?;
        let outcome = match stmt {
            Statement::Query(q) => {
                let cat = self.read();
                if stream {
                    return query::run_query_streaming(self, &cat, ctx, &q);
                }
                query::run_query(self, &cat, ctx, &q).map(Outcome::Rows)
            }
            Statement::Insert(items) => {
                let mut cat = self.write();
                insert::run_insert(self, &mut cat, ctx, sql, &items).map(Outcome::Affected)
            }
            Statement::Delete { table, where_ } => {
                let mut cat = self.write();
                delete::run_delete(self, &mut cat, ctx, &table, where_.as_ref()).map(Outcome::Affected)
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
        };
        outcome.map(Answer::Outcome)
    }

    /// Parses and checks a statement without running it (`validate_sql`).
    pub fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        let stmt = crate::sql::parse_in(sql, ctx.db.is_some())?;
        let cat = self.read();
        match stmt {
            Statement::Query(q) => query::run_query(self, &cat, ctx, &q).map(|_| ()),
            Statement::Insert(items) => insert::check_insert(self, &cat, ctx, sql, &items),
            Statement::Delete { table, where_ } => delete::check_delete(self, &cat, ctx, &table, where_.as_ref()),
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

    /// Whether `user` is a user created by SQL with this password (the configured users, root
    /// among them, are the server's business).
    pub fn login(&self, user: &str, password: &str) -> bool {
        self.read()
            .users
            .users
            .get(user)
            .is_some_and(|u| !u.is_super && u.pass == password)
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

#[cfg(test)]
mod delete_tests;
#[cfg(test)]
mod function_tests;
#[cfg(test)]
mod insert_edge_tests;
#[cfg(test)]
mod json_tests;
#[cfg(test)]
mod cast_tests;
#[cfg(test)]
mod literal_tests;
#[cfg(test)]
mod matching_tests;
#[cfg(test)]
mod predicate_tests;
#[cfg(test)]
mod show_tests;
#[cfg(test)]
mod spec;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod time_fn_tests;
