//! The `/ws` SQL session: one per WebSocket connection. Turns each incoming message into at most
//! one outgoing message (`free_result` and v1 `close` answer nothing), with the adapter's reply
//! shapes, codes and messages (reference §3, wire README §5).

use crate::backend_call::{guarded, run_blocking};
use crate::block::{encode_block_into, fetch_length};
use crate::shared::Shared;
use taos_sqlengine::types::{code, Outcome, ResultSet, Value};
use taos_sqlengine::{BindType, BoundTable, PreparedStmt, SessionCtx};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

/// A message for the client.
#[derive(Debug)]
pub enum Out {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    /// A binary message whose first [`HEADROOM`] bytes are free for the frame header, so that a
    /// large block goes out in one write without being copied again.
    BinaryWithHeadroom(Vec<u8>),
}

/// Room for the longest server frame header (2 + 8 bytes).
pub const HEADROOM: usize = 10;

const GENERIC: u16 = code::ADAPTER_GENERIC;

/// Binary request action codes (reference §3.3).
const BIN_SET_TAGS: u64 = 1;
const BIN_BIND: u64 = 2;
const BIN_BINARY_QUERY: u64 = 6;
const BIN_FETCH_RAW_BLOCK: u64 = 7;
const BIN_STMT2_BIND: u64 = 9;
const BIN_VALIDATE_SQL: u64 = 10;

/// Marker that starts every new-style binary reply.
const RAW_MARKER: u64 = u64::MAX;

struct OpenResult {
    rs: ResultSet,
    next_row: usize,
    /// Block prepared by the last JSON `fetch`, served by `fetch_block`.
    fetched_block: Option<Vec<u8>>,
}

/// A prepared statement of this connection (stmt2, or stmt v1 when `v1`).
#[derive(Default)]
struct Stmt2 {
    v1: bool,
    /// v1: what `set_table_name`/`set_tags`/`bind` collected for the batch being built.
    table_name: Option<String>,
    tags: Vec<Value>,
    columns: Vec<Vec<Value>>,
    prepared: Option<PreparedStmt>,
    /// Tables bound since the last exec (inserts); query parameters are the first table's columns.
    bound: Vec<BoundTable>,
    /// Rows of the last executed query, until `stmt2_result` turns them into a result.
    rows: Option<ResultSet>,
}

pub struct Session {
    shared: Arc<Shared>,
    connected: bool,
    ctx: SessionCtx,
    next_result_id: u64,
    results: HashMap<u64, OpenResult>,
    /// Statement ids are their own per-connection counter (wire README fact 11).
    next_stmt_id: u64,
    stmts: HashMap<u64, Stmt2>,
}

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    code: u16,
    message: &'a str,
    action: &'a str,
    req_id: u64,
    timing: u64,
    #[serde(flatten)]
    extra: T,
}

#[derive(Serialize)]
struct NoExtra {}

#[derive(Serialize)]
struct VersionResp<'a> {
    version: &'a str,
}

#[derive(Serialize)]
struct StatusResp<'a> {
    status: i32,
    details: &'a str,
}

#[derive(Serialize)]
struct DbResp<'a> {
    db: &'a str,
}

#[derive(Serialize)]
struct InfoResp {
    info: String,
}

#[derive(Serialize)]
struct NumFieldsResp {
    num_fields: usize,
}

#[derive(Serialize)]
struct StmtIdResp {
    stmt_id: u64,
}

#[derive(Serialize)]
struct ValidateResp {
    result_code: i64,
}

#[derive(Serialize)]
struct QueryResp {
    id: u64,
    is_update: bool,
    affected_rows: u64,
    fields_count: usize,
    fields_names: Option<Vec<String>>,
    fields_types: Option<Vec<u8>>,
    fields_lengths: Option<Vec<u32>>,
    precision: u8,
    fields_precisions: Option<Vec<u8>>,
    fields_scales: Option<Vec<u8>>,
}

#[derive(Serialize)]
struct FetchResp {
    id: u64,
    completed: bool,
    lengths: Option<Vec<u32>>,
    rows: usize,
}

#[derive(Deserialize, Default)]
struct ConnArgs {
    user: Option<String>,
    password: Option<String>,
    db: Option<String>,
    mode: Option<i64>,
    bearer_token: Option<String>,
}

#[derive(Deserialize, Default)]
struct QueryArgs {
    sql: Option<String>,
}

#[derive(Deserialize, Default)]
struct IdArgs {
    id: Option<u64>,
}

#[derive(Deserialize, Default)]
struct NumFieldsArgs {
    result_id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)] // ttl is accepted and ignored: nothing expires in memory
struct InsertArgs {
    protocol: Option<i64>,
    precision: Option<String>,
    data: Option<String>,
    ttl: Option<i64>,
    table_name_key: Option<String>,
}

#[derive(Serialize)]
struct InsertResp {
    affected_rows: u64,
    total_rows: u64,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)] // accepted for compatibility; every statement behaves the same here
struct Stmt2InitArgs {
    single_stb_insert: Option<bool>,
    single_table_bind_once: Option<bool>,
}

#[derive(Deserialize, Default)]
struct Stmt2PrepareArgs {
    stmt_id: Option<u64>,
    sql: Option<String>,
    get_fields: Option<bool>,
}

#[derive(Serialize)]
struct Stmt2Field {
    name: String,
    field_type: u8,
    precision: u8,
    scale: u8,
    bytes: u32,
    bind_type: u8,
}

#[derive(Serialize)]
struct Stmt2PrepareResp {
    stmt_id: u64,
    is_insert: bool,
    fields: Option<Vec<Stmt2Field>>,
    fields_count: usize,
}

#[derive(Serialize)]
struct Stmt2ExecResp {
    stmt_id: u64,
    affected: u64,
}

#[derive(Serialize)]
struct Stmt2ResultResp {
    stmt_id: u64,
    id: u64,
    #[serde(flatten)]
    fields: StmtResultFields,
}

/// The field description of a statement's result set (`stmt2_result`, v1 `use_result`). Lengths
/// are storage sizes including the length prefix, unlike `binary_query` (wire README fact 13).
#[derive(Serialize)]
struct StmtResultFields {
    fields_count: usize,
    fields_names: Vec<String>,
    fields_types: Vec<u8>,
    fields_lengths: Vec<u32>,
    precision: u8,
    fields_precisions: Vec<u8>,
    fields_scales: Vec<u8>,
}

impl StmtResultFields {
    fn of(rs: &ResultSet) -> StmtResultFields {
        StmtResultFields {
            fields_count: rs.fields.len(),
            fields_names: rs.fields.iter().map(|f| f.name.clone()).collect(),
            fields_types: rs.fields.iter().map(|f| f.ty.id()).collect(),
            fields_lengths: rs.fields.iter().map(|f| f.storage_bytes()).collect(),
            precision: rs.precision.code(),
            fields_precisions: rs.fields.iter().map(|f| f.precision).collect(),
            fields_scales: rs.fields.iter().map(|f| f.scale).collect(),
        }
    }
}

#[derive(Deserialize, Default)]
struct Stmt1Args {
    stmt_id: Option<u64>,
    sql: Option<String>,
    name: Option<String>,
    tags: Option<Vec<Json>>,
    columns: Option<Vec<Json>>,
    index: Option<i64>,
}

#[derive(Serialize)]
struct Stmt1PrepareResp {
    stmt_id: u64,
    is_insert: bool,
}

#[derive(Serialize)]
struct Stmt1Field {
    name: String,
    field_type: u8,
    precision: u8,
    scale: u8,
    bytes: u32,
}

#[derive(Serialize)]
struct Stmt1FieldsResp {
    stmt_id: u64,
    fields: Vec<Stmt1Field>,
}

#[derive(Serialize)]
struct NumParamsResp {
    stmt_id: u64,
    num_params: usize,
}

#[derive(Serialize)]
struct GetParamResp {
    stmt_id: u64,
    index: i64,
    data_type: u8,
    length: u32,
}

#[derive(Serialize)]
struct UseResultResp {
    stmt_id: u64,
    result_id: u64,
    #[serde(flatten)]
    fields: StmtResultFields,
}

#[derive(Deserialize, Default)]
struct StmtArgs {
    stmt_id: Option<u64>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)] // fields are checked for type only
struct CheckStatusArgs {
    fqdn: Option<String>,
    port: Option<i32>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ConnOption {
    option: i32,
    value: Option<String>,
}

#[derive(Deserialize, Default)]
struct OptionsArgs {
    options: Option<Vec<ConnOption>>,
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

fn elapsed_ns(start: Instant) -> u64 {
    start.elapsed().as_nanos().min(u64::MAX as u128) as u64
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

impl Session {
    pub fn new(shared: Arc<Shared>) -> Session {
        Session {
            shared,
            connected: false,
            ctx: SessionCtx::default(),
            next_result_id: 1,
            results: HashMap::new(),
            next_stmt_id: 1,
            stmts: HashMap::new(),
        }
    }

    fn json<T: Serialize>(&self, action: &str, req_id: u64, start: Instant, extra: T) -> Option<Out> {
        let env = Envelope { code: 0, message: "", action, req_id, timing: elapsed_ns(start), extra };
        Some(Out::Text(serde_json::to_vec(&env).unwrap_or_default()))
    }

    fn json_err(&self, code: u16, message: &str, action: &str, req_id: u64, start: Instant) -> Option<Out> {
        let env = Envelope { code, message, action, req_id, timing: elapsed_ns(start), extra: NoExtra {} };
        Some(Out::Text(serde_json::to_vec(&env).unwrap_or_default()))
    }

    fn json_err_extra<T: Serialize>(
        &self,
        code: u16,
        message: &str,
        action: &str,
        req_id: u64,
        start: Instant,
        extra: T,
    ) -> Option<Out> {
        let env = Envelope { code, message, action, req_id, timing: elapsed_ns(start), extra };
        Some(Out::Text(serde_json::to_vec(&env).unwrap_or_default()))
    }

    // ------------------------------------------------------------------ JSON requests

    pub fn handle_text(&mut self, bytes: &[u8]) -> Option<Out> {
        let start = Instant::now();
        // Go's decoder replaces invalid UTF-8 instead of rejecting the message.
        let text = String::from_utf8_lossy(bytes);
        let Ok(Json::Object(mut req)) = serde_json::from_str::<Json>(&text) else {
            return self.json_err(GENERIC, "unmarshal request error", "", 0, start);
        };
        let args = req.remove("args").unwrap_or(Json::Null);
        let req_id = args.get("req_id").and_then(Json::as_u64).unwrap_or(0);
        let action = match req.remove("action") {
            None | Some(Json::Null) => String::new(),
            Some(Json::String(s)) => s,
            Some(_) => return self.json_err(GENERIC, "unmarshal request error", "", 0, start),
        };
        if action.is_empty() {
            return self.json_err(GENERIC, "request no action", "", req_id, start);
        }
        if !is_known_action(&action) {
            return self.json_err(GENERIC, &format!("unknown action {action}"), &action, req_id, start);
        }
        if !self.connected && !matches!(action.as_str(), "version" | "conn" | "check_server_status") {
            if action == "free_result" || action == "close" {
                return None;
            }
            return self.json_err(GENERIC, "server not connected", &action, req_id, start);
        }
        let action = action.as_str();
        match action {
            "version" => {
                let shared = self.shared.clone();
                self.json(action, req_id, start, VersionResp { version: shared.server_version() })
            }
            "conn" => self.conn(args, req_id, start),
            "check_server_status" => match parse_args::<CheckStatusArgs>(args) {
                Ok(_) => self.json(action, req_id, start, StatusResp { status: 2, details: "" }),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "query" => match parse_args::<QueryArgs>(args) {
                Ok(a) => self.query(action, &a.sql.unwrap_or_default(), req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "fetch" => match parse_args::<IdArgs>(args) {
                Ok(a) => self.fetch(a.id.unwrap_or(0), req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "fetch_block" => match parse_args::<IdArgs>(args) {
                Ok(a) => self.fetch_block(a.id.unwrap_or(0), req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "free_result" => {
                if let Ok(a) = parse_args::<IdArgs>(args) {
                    self.results.remove(&a.id.unwrap_or(0));
                }
                None
            }
            "num_fields" => match parse_args::<NumFieldsArgs>(args) {
                Ok(a) => match self.results.get(&a.result_id.unwrap_or(0)) {
                    Some(r) => {
                        let n = r.rs.fields.len();
                        self.json(action, req_id, start, NumFieldsResp { num_fields: n })
                    }
                    None => self.json_err(GENERIC, "result is nil", action, req_id, start),
                },
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "get_current_db" => {
                let db = self.ctx.db.clone().unwrap_or_default();
                self.json(action, req_id, start, DbResp { db: &db })
            }
            "get_server_info" => {
                let info = self.shared.server_info();
                self.json(action, req_id, start, InfoResp { info })
            }
            "options_connection" => match parse_args::<OptionsArgs>(args) {
                Ok(a) => {
                    let _ = a.options;
                    self.json(action, req_id, start, NoExtra {})
                }
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "insert" => match parse_args::<InsertArgs>(args) {
                Ok(a) => self.schemaless(a, req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "close" => {
                if let Ok(a) = parse_args::<StmtArgs>(args) {
                    let id = a.stmt_id.unwrap_or(0);
                    if self.stmts.get(&id).is_some_and(|s| s.v1) {
                        self.stmts.remove(&id);
                    }
                }
                None
            }
            "stmt2_close" => {
                let stmt_id = parse_args::<StmtArgs>(args).ok().and_then(|a| a.stmt_id).unwrap_or(0);
                self.stmts.remove(&stmt_id);
                self.json(action, req_id, start, StmtIdResp { stmt_id })
            }
            "stmt2_init" => match parse_args::<Stmt2InitArgs>(args) {
                Ok(_) => {
                    let stmt_id = self.next_stmt_id;
                    self.next_stmt_id += 1;
                    self.stmts.insert(stmt_id, Stmt2::default());
                    self.json(action, req_id, start, StmtIdResp { stmt_id })
                }
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "stmt2_prepare" => match parse_args::<Stmt2PrepareArgs>(args) {
                Ok(a) => self.stmt2_prepare(a, req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "stmt2_exec" => match parse_args::<StmtArgs>(args) {
                Ok(a) => self.stmt2_exec(a.stmt_id.unwrap_or(0), req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "stmt2_result" => match parse_args::<StmtArgs>(args) {
                Ok(a) => self.stmt2_result(a.stmt_id.unwrap_or(0), req_id, start),
                Err(()) => self.unmarshal_err(action, req_id, start),
            },
            "init" => {
                let stmt_id = self.next_stmt_id;
                self.next_stmt_id += 1;
                self.stmts.insert(stmt_id, Stmt2 { v1: true, ..Stmt2::default() });
                self.json(action, req_id, start, StmtIdResp { stmt_id })
            }
            a if stmt1_action(a) => self.stmt1(a, args, req_id, start),
            a if stmt1_action(a) || stmt2_action(a) => match parse_args::<StmtArgs>(args) {
                Ok(s) => {
                    let msg = if stmt2_action(a) { "stmt2 is nil" } else { "stmt is nil" };
                    let stmt_id = s.stmt_id.unwrap_or(0);
                    self.json_err_extra(GENERIC, msg, a, req_id, start, StmtIdResp { stmt_id })
                }
                Err(()) => self.unmarshal_err(a, req_id, start),
            },
            _ => self.json_err(GENERIC, &format!("unknown action {action}"), action, req_id, start),
        }
    }

    fn unmarshal_err(&self, action: &str, req_id: u64, start: Instant) -> Option<Out> {
        self.json_err(GENERIC, &format!("unmarshal {action} request error"), action, req_id, start)
    }

    fn stmt_err(&self, code: u16, message: &str, action: &str, req_id: u64, start: Instant, stmt_id: u64) -> Option<Out> {
        self.json_err_extra(code, message, action, req_id, start, StmtIdResp { stmt_id })
    }

    fn stmt2_prepare(&mut self, a: Stmt2PrepareArgs, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_prepare";
        let stmt_id = a.stmt_id.unwrap_or(0);
        if self.stmts.get(&stmt_id).is_none_or(|s| s.v1) {
            return self.stmt_err(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        }
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let sql = a.sql.unwrap_or_default();
        match run_blocking(|| guarded(|| backend.prepare(ctx, &sql))) {
            Ok(prepared) => {
                let fields = (prepared.is_insert && a.get_fields.unwrap_or(false)).then(|| {
                    prepared
                        .fields
                        .iter()
                        .map(|f| Stmt2Field {
                            name: f.field.name.clone(),
                            field_type: f.field.ty.id(),
                            precision: f.precision,
                            scale: f.scale,
                            bytes: f.bytes,
                            bind_type: f.bind_type as u8,
                        })
                        .collect()
                });
                let resp = Stmt2PrepareResp {
                    stmt_id,
                    is_insert: prepared.is_insert,
                    fields,
                    fields_count: if prepared.is_insert { prepared.fields.len() } else { prepared.param_count },
                };
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    *s = Stmt2 { prepared: Some(prepared), ..Stmt2::default() };
                }
                self.json(action, req_id, start, resp)
            }
            Err(e) => self.stmt_err(e.code, &e.message, action, req_id, start, stmt_id),
        }
    }

    fn stmt2_bind(&mut self, b: &[u8], req_id: u64, stmt_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_bind";
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| !s.v1) else {
            return self.stmt_err(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        };
        if b.len() < 30 {
            return self.stmt_err(GENERIC, "message length is too short", action, req_id, start, stmt_id);
        }
        let version = u16::from_le_bytes([b[24], b[25]]);
        if version != 1 {
            return self.stmt_err(GENERIC, "unknown stmt2 bind version", action, req_id, start, stmt_id);
        }
        match super::stmt2::parse_bind(&b[30..]) {
            Ok(tables) => {
                if let Some(prepared) = stmt.prepared.clone() {
                    let backend = self.shared.backend.clone();
                    if let Err(e) = guarded(|| backend.check_bind(&prepared, &tables)) {
                        return self.stmt_err(e.code, &e.message, action, req_id, start, stmt_id);
                    }
                }
                let Some(stmt) = self.stmts.get_mut(&stmt_id) else {
                    return self.stmt_err(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
                };
                stmt.bound.extend(tables);
                self.json(action, req_id, start, StmtIdResp { stmt_id })
            }
            Err(msg) => self.stmt_err(GENERIC, &msg, action, req_id, start, stmt_id),
        }
    }

    fn stmt2_exec(&mut self, stmt_id: u64, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_exec";
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| !s.v1) else {
            return self.stmt_err(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        };
        let Some(prepared) = stmt.prepared.clone() else {
            return self.stmt_err(code::TSC_STMT_API_ERROR, "Stmt API usage error", action, req_id, start, stmt_id);
        };
        let tables = std::mem::take(&mut stmt.bound);
        // Query parameters: one value per `?`, from the first bound "table"'s columns.
        let params: Vec<Value> = tables
            .first()
            .map(|t| t.columns.iter().map(|c| c.first().cloned().unwrap_or(Value::Null)).collect())
            .unwrap_or_default();
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let outcome = run_blocking(|| {
            guarded(|| backend.execute_prepared(ctx, &prepared, tables, &params))
        });
        match outcome {
            Ok(Outcome::Affected(affected)) => self.json(action, req_id, start, Stmt2ExecResp { stmt_id, affected }),
            Ok(Outcome::Rows(rs)) => {
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    s.rows = Some(rs);
                }
                self.json(action, req_id, start, Stmt2ExecResp { stmt_id, affected: 0 })
            }
            Err(e) => self.stmt_err(e.code, &e.message, action, req_id, start, stmt_id),
        }
    }

    fn stmt2_result(&mut self, stmt_id: u64, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_result";
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| !s.v1) else {
            return self.stmt_err(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        };
        if stmt.prepared.as_ref().is_some_and(|p| p.is_insert) {
            return self.stmt_err(GENERIC, "stmt is insert, no result set", action, req_id, start, stmt_id);
        }
        let Some(rs) = stmt.rows.take() else {
            return self.stmt_err(GENERIC, "result is nil", action, req_id, start, stmt_id);
        };
        let id = self.next_result_id;
        self.next_result_id += 1;
        // stmt2_result reports storage sizes, unlike binary_query (wire README fact 13).
        let resp = Stmt2ResultResp {
            stmt_id,
            id,
            fields: StmtResultFields::of(&rs),
        };
        self.results.insert(id, OpenResult { rs, next_row: 0, fetched_block: None });
        self.json(action, req_id, start, resp)
    }

    /// stmt v1 JSON actions (reference §5.1).
    fn stmt1(&mut self, action: &str, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<Stmt1Args>(args) else {
            return self.unmarshal_err(action, req_id, start);
        };
        let stmt_id = a.stmt_id.unwrap_or(0);
        if !self.stmts.get(&stmt_id).is_some_and(|s| s.v1) {
            return self.stmt_err(GENERIC, "stmt is nil", action, req_id, start, stmt_id);
        }
        let ok = |this: &Self| this.json(action, req_id, start, StmtIdResp { stmt_id });
        let usage = |this: &Self| this.stmt_err(code::TSC_STMT_API_ERROR, "Stmt API usage error", action, req_id, start, stmt_id);
        match action {
            "prepare" => {
                let backend = self.shared.backend.clone();
                let ctx = &self.ctx;
                let sql = a.sql.unwrap_or_default();
                match run_blocking(|| guarded(|| backend.prepare(ctx, &sql))) {
                    Ok(prepared) => {
                        let is_insert = prepared.is_insert;
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            *s = Stmt2 { v1: true, prepared: Some(prepared), ..Stmt2::default() };
                        }
                        self.json(action, req_id, start, Stmt1PrepareResp { stmt_id, is_insert })
                    }
                    Err(e) => self.stmt_err(e.code, &e.message, action, req_id, start, stmt_id),
                }
            }
            "set_table_name" => {
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    s.table_name = a.name;
                }
                ok(self)
            }
            "set_tags" | "bind" => {
                let stmt = self.stmts.get(&stmt_id)?;
                let Some(prepared) = stmt.prepared.as_ref().filter(|p| p.is_insert) else {
                    return usage(self);
                };
                let want = if action == "set_tags" { BindType::Tag } else { BindType::Column };
                let fields: Vec<_> = prepared.fields.iter().filter(|f| f.bind_type == want).collect();
                let precision = prepared.precision;
                let converted: Result<Vec<Vec<Value>>, String> = if action == "set_tags" {
                    let tags = a.tags.unwrap_or_default();
                    tags.iter()
                        .zip(&fields)
                        .map(|(v, f)| super::stmt1::json_to_value(v, f.field.ty, precision).map(|v| vec![v]))
                        .collect()
                } else {
                    let cols = a.columns.unwrap_or_default();
                    cols.iter()
                        .zip(&fields)
                        .map(|(col, f)| match col {
                            Json::Array(vals) => {
                                vals.iter().map(|v| super::stmt1::json_to_value(v, f.field.ty, precision)).collect()
                            }
                            _ => Err("wrong row length".to_string()),
                        })
                        .collect()
                };
                match converted {
                    Ok(values) => {
                        let s = self.stmts.get_mut(&stmt_id)?;
                        if action == "set_tags" {
                            s.tags = values.into_iter().flatten().collect();
                        } else {
                            s.columns = values;
                        }
                        ok(self)
                    }
                    Err(msg) => self.stmt_err(GENERIC, &msg, action, req_id, start, stmt_id),
                }
            }
            "add_batch" => {
                let s = self.stmts.get_mut(&stmt_id)?;
                if s.prepared.as_ref().is_some_and(|p| p.is_insert) {
                    let table = BoundTable {
                        name: s.table_name.clone(),
                        tags: s.tags.clone(),
                        columns: std::mem::take(&mut s.columns),
                    };
                    s.bound.push(table);
                }
                ok(self)
            }
            "exec" => {
                let s = self.stmts.get_mut(&stmt_id)?;
                let Some(prepared) = s.prepared.clone() else {
                    return usage(self);
                };
                let tables = std::mem::take(&mut s.bound);
                let params: Vec<Value> =
                    std::mem::take(&mut s.columns).into_iter().map(|c| c.into_iter().next().unwrap_or(Value::Null)).collect();
                let backend = self.shared.backend.clone();
                let ctx = &self.ctx;
                let outcome = run_blocking(|| {
                    guarded(|| backend.execute_prepared(ctx, &prepared, tables, &params))
                });
                match outcome {
                    Ok(Outcome::Affected(affected)) => self.json(action, req_id, start, Stmt2ExecResp { stmt_id, affected }),
                    Ok(Outcome::Rows(rs)) => {
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            s.rows = Some(rs);
                        }
                        self.json(action, req_id, start, Stmt2ExecResp { stmt_id, affected: 0 })
                    }
                    Err(e) => self.stmt_err(e.code, &e.message, action, req_id, start, stmt_id),
                }
            }
            "use_result" => {
                let Some(rs) = self.stmts.get_mut(&stmt_id).and_then(|s| s.rows.take()) else {
                    return self.stmt_err(GENERIC, "result is nil", action, req_id, start, stmt_id);
                };
                let result_id = self.next_result_id;
                self.next_result_id += 1;
                let resp = UseResultResp {
                    stmt_id,
                    result_id,
                    fields: StmtResultFields::of(&rs),
                };
                self.results.insert(result_id, OpenResult { rs, next_row: 0, fetched_block: None });
                self.json(action, req_id, start, resp)
            }
            "get_tag_fields" | "get_col_fields" => {
                let want = if action == "get_tag_fields" { BindType::Tag } else { BindType::Column };
                let fields: Vec<Stmt1Field> = self.stmts[&stmt_id]
                    .prepared
                    .iter()
                    .flat_map(|p| p.fields.iter())
                    .filter(|f| f.bind_type == want)
                    .map(|f| Stmt1Field {
                        name: f.field.name.clone(),
                        field_type: f.field.ty.id(),
                        precision: f.precision,
                        scale: f.scale,
                        bytes: f.bytes,
                    })
                    .collect();
                self.json(action, req_id, start, Stmt1FieldsResp { stmt_id, fields })
            }
            "stmt_num_params" => {
                let n = self.stmts[&stmt_id].prepared.as_ref().map_or(0, |p| {
                    if p.is_insert {
                        p.fields.iter().filter(|f| f.bind_type == BindType::Column).count()
                    } else {
                        p.param_count
                    }
                });
                self.json(action, req_id, start, NumParamsResp { stmt_id, num_params: n })
            }
            "stmt_get_param" => {
                let index = a.index.unwrap_or(0);
                let field = self.stmts[&stmt_id].prepared.as_ref().and_then(|p| {
                    p.fields.iter().filter(|f| f.bind_type == BindType::Column).nth(index.max(0) as usize).cloned()
                });
                match field {
                    Some(f) => self.json(
                        action,
                        req_id,
                        start,
                        GetParamResp { stmt_id, index, data_type: f.field.ty.id(), length: f.bytes },
                    ),
                    None => usage(self),
                }
            }
            _ => self.stmt_err(GENERIC, "stmt is nil", action, req_id, start, stmt_id),
        }
    }

    /// Binary 1 (`set_tags`) and 2 (`bind`): a raw block of tag values (one row) or column values.
    fn stmt1_binary(&mut self, action: u64, b: &[u8], req_id: u64, stmt_id: u64, start: Instant) -> Option<Out> {
        let name = if action == BIN_SET_TAGS { "set_tags" } else { "bind" };
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| s.v1) else {
            return self.stmt_err(GENERIC, "stmt is nil", name, req_id, start, stmt_id);
        };
        let cols = match super::stmt1::decode_raw_block(b.get(24..).unwrap_or(&[])) {
            Ok(c) => c,
            Err(msg) => return self.stmt_err(GENERIC, &msg, name, req_id, start, stmt_id),
        };
        if action == BIN_SET_TAGS {
            if cols.iter().any(|(_, v)| v.len() != 1) {
                return self.stmt_err(GENERIC, "rows not equal 1", name, req_id, start, stmt_id);
            }
            stmt.tags = cols.into_iter().flat_map(|(_, v)| v).collect();
        } else {
            stmt.columns = cols.into_iter().map(|(_, v)| v).collect();
        }
        self.json(name, req_id, start, StmtIdResp { stmt_id })
    }

    fn schemaless(&mut self, a: InsertArgs, req_id: u64, start: Instant) -> Option<Out> {
        let protocol = a.protocol.unwrap_or(0);
        if protocol == 0 {
            return self.json_err(GENERIC, "schemaless write protocol is null", "insert", req_id, start);
        }
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let (precision, data) = (a.precision.unwrap_or_default(), a.data.unwrap_or_default());
        let key = a.table_name_key.filter(|k| !k.is_empty());
        let result = run_blocking(|| {
            guarded(|| backend.schemaless_insert(ctx, protocol, &precision, &data, key.as_deref()))
        });
        match result {
            Ok((affected_rows, total_rows)) => {
                self.json("insert", req_id, start, InsertResp { affected_rows, total_rows })
            }
            Err(e) => self.json_err(e.code, &e.message, "insert", req_id, start),
        }
    }

    fn conn(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<ConnArgs>(args) else {
            return self.unmarshal_err("conn", req_id, start);
        };
        if self.connected {
            return self.json_err(GENERIC, "duplicate connections", "conn", req_id, start);
        }
        if let Some(mode) = a.mode.filter(|m| *m != 0) {
            return self.json_err(GENERIC, &format!("unexpected mode:{mode}"), "conn", req_id, start);
        }
        let user = a.user.unwrap_or_default();
        let password = a.password.unwrap_or_default();
        let by_password = self.shared.users.check(&user, &password).is_ok();
        let by_token = a
            .bearer_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .is_some_and(|t| self.shared.users.user_for_token(t).is_some());
        if !by_password && !by_token {
            return self.json_err(code::MND_AUTH_FAILURE, "Authentication failure", "conn", req_id, start);
        }
        let db = a.db.unwrap_or_default();
        if !db.is_empty() {
            let backend = self.shared.backend.clone();
            let exists = guarded(|| Ok(backend.database_exists(&db))).unwrap_or(false);
            if !exists {
                return self.json_err(code::MND_DB_NOT_EXIST, "Database not exist", "conn", req_id, start);
            }
            self.ctx.db = Some(db);
        }
        self.connected = true;
        let shared = self.shared.clone();
        self.json("conn", req_id, start, VersionResp { version: shared.server_version() })
    }

    fn query(&mut self, action: &str, sql: &str, req_id: u64, start: Instant) -> Option<Out> {
        let backend = self.shared.backend.clone();
        let ctx = &mut self.ctx;
        match run_blocking(|| guarded(|| backend.execute(ctx, sql))) {
            Ok(Outcome::Affected(n)) => self.json(
                action,
                req_id,
                start,
                QueryResp {
                    id: 0,
                    is_update: true,
                    affected_rows: n,
                    fields_count: 0,
                    fields_names: None,
                    fields_types: None,
                    fields_lengths: None,
                    precision: 0,
                    fields_precisions: None,
                    fields_scales: None,
                },
            ),
            Ok(Outcome::Rows(rs)) => {
                let id = self.next_result_id;
                self.next_result_id += 1;
                let resp = QueryResp {
                    id,
                    is_update: false,
                    affected_rows: 0,
                    fields_count: rs.fields.len(),
                    fields_names: Some(rs.fields.iter().map(|f| f.name.clone()).collect()),
                    fields_types: Some(rs.fields.iter().map(|f| f.ty.id()).collect()),
                    fields_lengths: Some(rs.fields.iter().map(|f| f.len).collect()),
                    precision: rs.precision.code(),
                    fields_precisions: Some(rs.fields.iter().map(|f| f.precision).collect()),
                    fields_scales: Some(rs.fields.iter().map(|f| f.scale).collect()),
                };
                self.results.insert(id, OpenResult { rs, next_row: 0, fetched_block: None });
                self.json(action, req_id, start, resp)
            }
            Err(e) => self.json_err(e.code, &e.message, action, req_id, start),
        }
    }

    /// Next block of an open result: `(rows, block)`, or `None` when it is exhausted.
    fn next_block(&mut self, id: u64, prefix: &[u8]) -> Option<(usize, Vec<u8>)> {
        let block_rows = self.shared.config.block_rows.max(1);
        let r = self.results.get_mut(&id)?;
        let total = r.rs.num_rows();
        if r.next_row >= total {
            return None;
        }
        let end = (r.next_row + block_rows).min(total);
        let mut out = Vec::new();
        out.extend_from_slice(prefix);
        encode_block_into(&r.rs, r.next_row, end, &mut out);
        let rows = end - r.next_row;
        r.next_row = end;
        Some((rows, out))
    }

    fn fetch(&mut self, id: u64, req_id: u64, start: Instant) -> Option<Out> {
        if !self.results.contains_key(&id) {
            return self.json_err(GENERIC, "result is nil", "fetch", req_id, start);
        }
        match self.next_block(id, &[]) {
            Some((rows, block)) => {
                let r = self.results.get_mut(&id)?;
                let lengths = r.rs.fields.iter().map(fetch_length).collect();
                r.fetched_block = Some(block);
                self.json("fetch", req_id, start, FetchResp { id, completed: false, lengths: Some(lengths), rows })
            }
            None => {
                self.results.remove(&id);
                self.json("fetch", req_id, start, FetchResp { id, completed: true, lengths: None, rows: 0 })
            }
        }
    }

    fn fetch_block(&mut self, id: u64, req_id: u64, start: Instant) -> Option<Out> {
        let Some(r) = self.results.get(&id) else {
            return self.json_err(GENERIC, "result is nil", "fetch_block", req_id, start);
        };
        let Some(block) = &r.fetched_block else {
            return self.json_err(GENERIC, "block is nil", "fetch_block", req_id, start);
        };
        let mut out = Vec::with_capacity(16 + block.len());
        out.extend_from_slice(&elapsed_ns(start).to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(block);
        Some(Out::Binary(out))
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
                return self.json_err(GENERIC, &format!("unknown binary action {action}"), "unknown", req_id, start);
            }
        };
        if !self.connected {
            return self.json_err(GENERIC, "server not connected", name, req_id, start);
        }
        match action {
            BIN_BINARY_QUERY => match parse_sql_body(b) {
                Ok(sql) => self.query(name, &sql, req_id, start),
                Err(msg) => self.json_err(GENERIC, &msg, name, req_id, start),
            },
            BIN_VALIDATE_SQL => match parse_sql_body(b) {
                Ok(sql) => {
                    let backend = self.shared.backend.clone();
                    let ctx = &self.ctx;
                    let result_code = match guarded(|| backend.validate(ctx, &sql)) {
                        Ok(()) => 0,
                        Err(e) => e.full_code() as i64,
                    };
                    self.json(name, req_id, start, ValidateResp { result_code })
                }
                Err(msg) => self.json_err(GENERIC, &msg, name, req_id, start),
            },
            BIN_FETCH_RAW_BLOCK => Some(self.fetch_raw_block(b, req_id, resource_id, start)),
            BIN_STMT2_BIND => self.stmt2_bind(b, req_id, resource_id, start),
            _ => self.stmt1_binary(action, b, req_id, resource_id, start),
        }
    }

    fn fetch_raw_block(&mut self, b: &[u8], req_id: u64, id: u64, start: Instant) -> Out {
        if b.len() < 26 {
            return Out::Binary(raw_block_error(req_id, id, GENERIC, "message length is too short", start));
        }
        let version = u16::from_le_bytes([b[24], b[25]]);
        if version != 1 {
            self.results.remove(&id);
            let message = format!("unknown fetch raw block version:{version}");
            return Out::Binary(raw_block_error(req_id, id, GENERIC, &message, start));
        }
        if !self.results.contains_key(&id) {
            return Out::Binary(raw_block_error(req_id, id, GENERIC, "result is nil", start));
        }
        // Data frame: 55-byte prefix (timing patched at the end) + block, after the headroom.
        let mut prefix = Vec::with_capacity(HEADROOM + 55);
        prefix.resize(HEADROOM, 0);
        raw_prefix(&mut prefix, req_id, 0, "", 0);
        prefix.extend_from_slice(&id.to_le_bytes());
        prefix.push(0);
        prefix.extend_from_slice(&0u32.to_le_bytes());
        match self.next_block(id, &prefix) {
            Some((_, mut frame)) => {
                let h = HEADROOM;
                let len = (frame.len() - h - 55) as u32;
                frame[h + 51..h + 55].copy_from_slice(&len.to_le_bytes());
                frame[h + 18..h + 26].copy_from_slice(&elapsed_ns(start).to_le_bytes());
                Out::BinaryWithHeadroom(frame)
            }
            None => {
                self.results.remove(&id);
                let mut out = Vec::with_capacity(51);
                raw_prefix(&mut out, req_id, 0, "", elapsed_ns(start));
                out.extend_from_slice(&id.to_le_bytes());
                out.push(1);
                Out::Binary(out)
            }
        }
    }
}

/// The part of an action-7 reply up to and including the message.
fn raw_prefix(out: &mut Vec<u8>, req_id: u64, code: u16, message: &str, timing: u64) {
    out.extend_from_slice(&RAW_MARKER.to_le_bytes());
    out.extend_from_slice(&BIN_FETCH_RAW_BLOCK.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&timing.to_le_bytes());
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&(code as u32).to_le_bytes());
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
}

fn raw_block_error(req_id: u64, id: u64, code: u16, message: &str, start: Instant) -> Vec<u8> {
    let mut out = Vec::with_capacity(51 + message.len());
    raw_prefix(&mut out, req_id, code, message, elapsed_ns(start));
    out.extend_from_slice(&id.to_le_bytes());
    out.push(1);
    out
}

/// Body of binary actions 6 and 10: `u16 version=1, u32 sql_len, sql`.
fn parse_sql_body(b: &[u8]) -> Result<String, String> {
    if b.len() < 31 {
        return Err("message length is too short".into());
    }
    let version = u16::from_le_bytes([b[24], b[25]]);
    if version != 1 {
        return Err(format!("unknown binary query version:{version}"));
    }
    let sql_len = u32::from_le_bytes([b[26], b[27], b[28], b[29]]) as usize;
    let remain = b.len() - 30;
    if sql_len > remain {
        return Err(format!("uncompleted message, sql length:{sql_len}, remainMessageLength:{remain}"));
    }
    Ok(String::from_utf8_lossy(&b[30..30 + sql_len]).into_owned())
}

/// Decodes `args` into an action's argument struct; absent/null args mean all defaults.
fn parse_args<T: DeserializeOwned + Default>(args: Json) -> Result<T, ()> {
    if args.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(args).map_err(|_| ())
}
