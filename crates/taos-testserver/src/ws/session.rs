//! The `/ws` SQL session: one per WebSocket connection. Turns each incoming message into at most
//! one outgoing message (`free_result` and v1 `close` answer nothing), with the adapter's reply
//! shapes, codes and messages (reference §3, wire README §5).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use serde_json::Value as Json;
use taos_sqlengine::types::{ResultSet, RowStream, Value};
use taos_sqlengine::session::ConnectionInfo;
use taos_sqlengine::{BoundTable, PreparedStmt, SessionCtx};

use crate::shared::Shared;

use super::reply::{error, Out, GENERIC};

/// Binary request action codes (reference §3.3).
pub(super) const BIN_SET_TAGS: u64 = 1;
pub(super) const BIN_BIND: u64 = 2;
pub(super) const BIN_BINARY_QUERY: u64 = 6;
pub(super) const BIN_FETCH_RAW_BLOCK: u64 = 7;
pub(super) const BIN_STMT2_BIND: u64 = 9;
pub(super) const BIN_VALIDATE_SQL: u64 = 10;

pub(super) struct OpenResult {
    /// The rows in hand: the whole result, or of a streamed one the block being served.
    pub(super) rs: ResultSet,
    pub(super) next_row: usize,
    /// A streamed result's rows still to be produced (a plain scan runs as it is fetched).
    pub(super) stream: Option<RowStream>,
    /// Block prepared by the last JSON `fetch`, served by `fetch_block`.
    pub(super) fetched_block: Option<Vec<u8>>,
    /// Counted in the server's open results while held.
    pub(super) _held: crate::shared::HeldResult,
}

/// A prepared statement of this connection (stmt2, or stmt v1 when `v1`).
#[derive(Default)]
pub(super) struct Statement {
    pub(super) v1: bool,
    /// v1: what `set_table_name`/`set_tags`/`bind` collected for the batch being built.
    pub(super) table_name: Option<String>,
    pub(super) tags: Vec<Value>,
    pub(super) columns: Vec<Vec<Value>>,
    pub(super) prepared: Option<PreparedStmt>,
    /// Tables bound since the last exec (inserts); query parameters are the first table's columns.
    pub(super) bound: Vec<BoundTable>,
    /// Rows of the last executed query, until `stmt2_result` turns them into a result.
    pub(super) rows: Option<ResultSet>,
    /// v1 `insert into ? …` prepared on a connection without a current database: taosc parses
    /// it only at `set_table_name`, whose name must then carry the database.
    pub(super) deferred_sql: Option<String>,
    /// v1 `insert into ? values …` without USING: prepared for good at `set_table_name`, with
    /// the named table in place of the `?`.
    pub(super) named_table_sql: Option<String>,
    /// The error every later action on this statement answers (a failed stmt2 prepare, v1's
    /// `db is not specified`), instead of running on a statement that does not exist.
    pub(super) refusal: Option<(u16, String)>,
}

pub struct Session {
    pub(super) shared: Arc<Shared>,
    pub(super) connected: bool,
    /// The logged-in connection as `perf_connections` lists it (after `conn`).
    pub(super) connection: Option<ConnectionInfo>,
    pub(super) ctx: SessionCtx,
    pub(super) next_result_id: u64,
    pub(super) results: HashMap<u64, OpenResult>,
    /// Statement ids are their own per-connection counter (wire README fact 11).
    pub(super) next_stmt_id: u64,
    pub(super) stmts: HashMap<u64, Statement>,
}

/// How an action needs to be treated before `conn`.
fn is_known_action(action: &str) -> bool {
    matches!(
        action,
        "version"
            | "conn"
            | "check_server_status"
            | "query"
            | "fetch"
            | "fetch_block"
            | "free_result"
            | "num_fields"
            | "get_current_db"
            | "get_server_info"
            | "options_connection"
            | "insert"
    ) || stmt1_action(action)
        || stmt2_action(action)
        || action == "close"
        || action == "stmt2_close"
}

/// stmt v1 actions that name a statement; no statement can exist until stmt support lands,
/// so they answer the adapter's `stmt is nil`.
fn stmt1_action(action: &str) -> bool {
    matches!(
        action,
        "init"
            | "prepare"
            | "set_table_name"
            | "set_tags"
            | "bind"
            | "add_batch"
            | "exec"
            | "get_tag_fields"
            | "get_col_fields"
            | "use_result"
            | "stmt_num_params"
            | "stmt_get_param"
    )
}

fn stmt2_action(action: &str) -> bool {
    matches!(action, "stmt2_init" | "stmt2_prepare" | "stmt2_exec" | "stmt2_result")
}

/// Little-endian u64 from up to 8 bytes at `at` (missing bytes read as zero: a frame shorter than
/// the header is read "as far as it goes", like the adapter does).
fn le_u64_partial(b: &[u8], at: usize) -> u64 {
    let mut buf = [0u8; 8];
    if at < b.len() {
        let end = (at + 8).min(b.len());
        buf[..end - at].copy_from_slice(&b[at..end]);
    }
    u64::from_le_bytes(buf)
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(c) = &self.connection {
            let backend = self.shared.backend.clone();
            let _ = crate::backend_call::guarded(|| {
                backend.connection_closed(c.conn_id);
                Ok(())
            });
        }
    }
}

impl Session {
    /// Tells the backend what the connection now is (after `conn` and `options_connection`).
    pub(super) fn publish_connection(&mut self) {
        let Some(c) = self.connection.as_mut() else { return };
        c.user_app = self.ctx.app.clone().unwrap_or_default();
        c.user_ip = self.ctx.ip.clone().unwrap_or_default();
        let info = c.clone();
        let backend = self.shared.backend.clone();
        let _ = crate::backend_call::guarded(|| {
            backend.connection_changed(info);
            Ok(())
        });
    }

    /// Keeps a result set open under the next result id, for `fetch_raw_block` / `fetch`.
    pub(super) fn open_result(&mut self, rs: ResultSet) -> u64 {
        let id = self.next_result_id;
        self.next_result_id += 1;
        self.results.insert(id, OpenResult { rs, next_row: 0, stream: None, fetched_block: None, _held: crate::shared::HeldResult::new(&self.shared) });
        id
    }

    /// Keeps a streamed result open: its blocks are made as they are fetched.
    pub(super) fn open_stream(&mut self, stream: RowStream) -> u64 {
        let id = self.next_result_id;
        self.next_result_id += 1;
        let rs = ResultSet { fields: stream.fields.clone(), precision: stream.precision, columns: vec![] };
        self.results.insert(id, OpenResult { rs, next_row: 0, stream: Some(stream), fetched_block: None, _held: crate::shared::HeldResult::new(&self.shared) });
        id
    }

    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            connected: false,
            connection: None,
            ctx: SessionCtx::default(),
            next_result_id: 1,
            results: HashMap::new(),
            next_stmt_id: 1,
            stmts: HashMap::new(),
        }
    }

    // ------------------------------------------------------------------ JSON requests

    pub fn handle_text(&mut self, bytes: &[u8]) -> Option<Out> {
        let start = Instant::now();
        // Go's decoder replaces invalid UTF-8 instead of rejecting the message.
        let text = String::from_utf8_lossy(bytes);
        let Ok(Json::Object(mut req)) = serde_json::from_str::<Json>(&text) else {
            return error(GENERIC, "unmarshal request error", "", 0, start);
        };
        let args = req.remove("args").unwrap_or(Json::Null);
        let req_id = args.get("req_id").and_then(Json::as_u64).unwrap_or(0);
        let action = match req.remove("action") {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s,
            Some(_) => return error(GENERIC, "unmarshal request error", "", 0, start),
        };
        if action.is_empty() {
            return error(GENERIC, "request no action", "", req_id, start);
        }
        if !is_known_action(&action) {
            return error(GENERIC, &format!("unknown action {action}"), &action, req_id, start);
        }
        if !self.connected && !matches!(action.as_str(), "version" | "conn" | "check_server_status") {
            if action == "free_result" || action == "close" {
                return None;
            }
            return error(GENERIC, "server not connected", &action, req_id, start);
        }
        let action = action.as_str();
        match action {
            "version" => self.version(req_id, start),
            "conn" => self.conn(args, req_id, start),
            "check_server_status" => self.check_server_status(args, req_id, start),
            "get_current_db" => self.get_current_db(req_id, start),
            "get_server_info" => self.get_server_info(req_id, start),
            "options_connection" => self.options_connection(args, req_id, start),
            "query" => self.query_json(args, req_id, start),
            "fetch" => self.fetch(args, req_id, start),
            "fetch_block" => self.fetch_block(args, req_id, start),
            "free_result" => self.free_result(args),
            "num_fields" => self.num_fields(args, req_id, start),
            "insert" => self.schemaless(args, req_id, start),
            "stmt2_init" => self.stmt2_init(args, req_id, start),
            "stmt2_prepare" => self.stmt2_prepare(args, req_id, start),
            "stmt2_exec" => self.stmt2_exec(args, req_id, start),
            "stmt2_result" => self.stmt2_result(args, req_id, start),
            "stmt2_close" => self.stmt2_close(args, req_id, start),
            "init" => self.stmt1_init(req_id, start),
            "close" => self.stmt1_close(args),
            a if stmt1_action(a) => self.stmt1(a, args, req_id, start),
            _ => error(GENERIC, &format!("unknown action {action}"), action, req_id, start),
        }
    }

    // ---------------------------------------------------------------- binary requests

    pub fn handle_binary(&mut self, b: &[u8]) -> Option<Out> {
        let start = Instant::now();
        let req_id = le_u64_partial(b, 0);
        let resource_id = le_u64_partial(b, 8);
        let action = le_u64_partial(b, 16);
        let name = match action {
            BIN_BINARY_QUERY => "binary_query",
            BIN_FETCH_RAW_BLOCK => "fetch_raw_block",
            BIN_VALIDATE_SQL => "validate_sql",
            BIN_SET_TAGS => "set_tags",
            BIN_BIND => "bind",
            BIN_STMT2_BIND => "stmt2_bind",
            _ => {
                return error(GENERIC, &format!("unknown binary action {action}"), "unknown", req_id, start);
            }
        };
        if !self.connected {
            return error(GENERIC, "server not connected", name, req_id, start);
        }
        match action {
            BIN_BINARY_QUERY => self.binary_query(b, req_id, start),
            BIN_VALIDATE_SQL => self.validate_sql(b, req_id, start),
            BIN_FETCH_RAW_BLOCK => Some(self.fetch_raw_block(b, req_id, resource_id, start)),
            BIN_STMT2_BIND => self.stmt2_bind(b, req_id, resource_id, start),
            _ => self.stmt1_binary(action, b, req_id, resource_id, start),
        }
    }
}
