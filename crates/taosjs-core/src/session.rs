//! The `/ws` session as a sans-IO state machine (quinn-proto style): callers queue requests and
//! get a [`CallId`], the driver moves [`Frame`]s with [`Session::poll_transmit`] /
//! [`Session::handle_frame`], and completions come out of [`Session::poll_event`].
//!
//! The session owns request ids, the table of pending calls (JSON replies matched by
//! `(action, req_id)`, binary replies by `(action, req_id @ 26)`) and the open results, so a
//! result is freed exactly once and `close` frees all of them.

use std::collections::{HashMap, VecDeque};

use crate::bind::{BindColumn, BindTable, BindType, StmtField};
use crate::dsn::ConnectConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, BinaryReply, ConnArgs, JsonReply, QueryInfo};
use crate::schemaless::{self, SchemalessRequest, SchemalessResult};
use crate::stmt;
use crate::stmt2::{self, Stmt2InitOptions, Stmt2Prepared};

/// Identifies one call until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// A WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Settings the session needs (credentials travel in `conn`).
#[derive(Clone, Default)]
pub struct SessionOptions {
    pub user: String,
    pub password: String,
    pub db: Option<String>,
    /// Sent with `options_connection` after `conn` when set.
    pub timezone: Option<String>,
    pub connector: Option<String>,
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("user", &self.user)
            .field("db", &self.db)
            .field("timezone", &self.timezone)
            .field("connector", &self.connector)
            .finish_non_exhaustive()
    }
}

impl From<&ConnectConfig> for SessionOptions {
    fn from(c: &ConnectConfig) -> Self {
        SessionOptions {
            user: c.user.clone(),
            password: c.password.clone(),
            db: c.database.clone(),
            timezone: c.timezone.clone(),
            connector: c.connector.clone(),
            bearer_token: c.bearer_token.clone(),
        }
    }
}

/// A successful outcome. Later issues add variants (statements, TMQ), hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `connect` finished; the version the server reported.
    Connected { server_version: String },
    Query(QueryInfo),
    /// A raw block (decode with [`crate::block`]); `None` once the result is exhausted.
    Block(Option<Vec<u8>>),
    /// `stmt2_init` / v1 `init`: the new statement's id.
    StmtInit { stmt_id: u64 },
    /// `stmt2_prepare`: the placeholders (kept by the session to check binds).
    Stmt2Prepared(Stmt2Prepared),
    /// v1 `prepare`.
    StmtPrepared { stmt_id: u64, is_insert: bool },
    /// v1 `get_tag_fields` / `get_col_fields`.
    StmtFields(Vec<StmtField>),
    /// `stmt2_exec` / v1 `exec`: rows written (0 for queries).
    Affected(i64),
    /// A statement call that returns nothing (bind, set_table_name, add_batch, close, …).
    Done,
    /// Schemaless `insert`.
    Schemaless(SchemalessResult),
}

/// What the session tells its driver. Later: timer and reconnect events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    Completed { call: CallId, outcome: Result<Reply> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Connecting,
    Connected,
    Closed,
}

/// Which reply a pending request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Json(&'static str),
    Binary(u64),
}

#[derive(Debug)]
enum Waiting {
    Version,
    Conn,
    Options,
    Query(CallId),
    Fetch { call: CallId, result_id: u64 },
    Stmt { call: CallId, op: StmtOp },
    Schemaless { call: CallId, lines: Vec<String> },
}

/// What a pending statement request does with its reply.
#[derive(Debug)]
enum StmtOp {
    Init { v2: bool },
    Prepare2,
    Prepare1,
    /// Replies with nothing but success (bind, set_table_name, set_tags, add_batch, close).
    Done,
    Exec,
    /// `stmt2_result` / `use_result`.
    Result { stmt_id: u64, v2: bool },
    Fields { stmt_id: u64, tags: bool },
    /// v1 insert: the placeholders were unknown; bind these values once they arrive.
    FieldsThenBind { stmt_id: u64, tags: bool, values: Vec<BindColumn> },
}

/// A statement the server holds for us.
#[derive(Debug)]
enum StmtState {
    V2 { prepared: Option<Stmt2Prepared> },
    V1(V1State),
}

#[derive(Debug, Default)]
struct V1State {
    /// `None` until `prepare` answered.
    is_insert: Option<bool>,
    table: Option<String>,
    tag_fields: Option<Vec<StmtField>>,
    col_fields: Option<Vec<StmtField>>,
}

#[derive(Debug)]
struct Pending {
    expect: Expect,
    waiting: Waiting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultState {
    Open { fetching: bool },
    /// The server reported the end (and freed it itself); fetches answer `None` locally.
    Finished,
}

#[derive(Debug)]
struct ConnectProgress {
    call: CallId,
    version: Option<String>,
    conn_done: bool,
    options_pending: bool,
}

/// The client side of one `/ws` connection.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    state: State,
    next_call: u64,
    next_req_id: u64,
    /// Keyed by `req_id`: ids are unique among calls in flight.
    pending: HashMap<u64, Pending>,
    results: HashMap<u64, ResultState>,
    stmts: HashMap<u64, StmtState>,
    /// Which statement a result came from: closing the statement frees it first.
    result_owner: HashMap<u64, u64>,
    connect: Option<ConnectProgress>,
    server_version: Option<String>,
    transmit: VecDeque<Frame>,
    events: VecDeque<Event>,
}

/// `version` is sent without args, so its reply comes back with `req_id` 0; the counter for
/// everything else starts at 1 and never hands out 0.
const VERSION_REQ_ID: u64 = 0;

impl Session {
    pub fn new(options: SessionOptions) -> Session {
        Session {
            options,
            state: State::Idle,
            next_call: 1,
            next_req_id: 1,
            pending: HashMap::new(),
            results: HashMap::new(),
            stmts: HashMap::new(),
            result_owner: HashMap::new(),
            connect: None,
            server_version: None,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The server's version once `version` was answered.
    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Number of results the server still holds for us.
    pub fn open_results(&self) -> usize {
        self.results.values().filter(|s| matches!(s, ResultState::Open { .. })).count()
    }

    /// Queues `version` and `conn` (then `options_connection` for the timezone).
    pub fn connect(&mut self) -> CallId {
        let call = self.new_call();
        if self.state != State::Idle {
            self.complete(call, Err(Error::programming("connect was already called on this session")));
            return call;
        }
        self.state = State::Connecting;
        self.connect = Some(ConnectProgress { call, version: None, conn_done: false, options_pending: false });
        self.send_json(VERSION_REQ_ID, Expect::Json("version"), Waiting::Version, message::version_request());
        let req_id = self.alloc_req_id();
        let args = ConnArgs {
            req_id,
            user: self.options.user.clone(),
            password: self.options.password.clone(),
            db: self.options.db.clone().unwrap_or_default(),
            connector: self.options.connector.clone(),
            bearer_token: self.options.bearer_token.clone(),
        };
        self.send_json(req_id, Expect::Json("conn"), Waiting::Conn, message::conn_request(&args));
        call
    }

    /// Queues a binary query (action 6). A `req_id` given by the caller must not be in flight.
    pub fn query(&mut self, sql: &str, req_id: Option<u64>) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = match req_id {
            Some(id) if self.pending.contains_key(&id) => {
                self.complete(call, Err(Error::programming(format!("req_id {id} is already in use by a call in flight"))));
                return call;
            }
            Some(id) => id,
            None => self.alloc_req_id(),
        };
        match message::binary_query_request(req_id, sql) {
            Ok(frame) => {
                self.pending.insert(req_id, Pending { expect: Expect::Json("binary_query"), waiting: Waiting::Query(call) });
                self.transmit.push_back(Frame::Binary(frame));
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `fetch_raw_block` (action 7) for an open result.
    pub fn fetch_block(&mut self, result_id: u64) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        match self.results.get_mut(&result_id) {
            None => self.complete(
                call,
                Err(Error::programming(format!("result {result_id} is not open (already freed or never returned)"))),
            ),
            Some(ResultState::Finished) => self.complete(call, Ok(Reply::Block(None))),
            Some(ResultState::Open { fetching: true }) => self.complete(
                call,
                Err(Error::programming(format!("a fetch on result {result_id} is already in progress"))),
            ),
            Some(ResultState::Open { fetching }) => {
                *fetching = true;
                let req_id = self.alloc_req_id();
                self.pending.insert(
                    req_id,
                    Pending {
                        expect: Expect::Binary(message::ACTION_FETCH_RAW_BLOCK),
                        waiting: Waiting::Fetch { call, result_id },
                    },
                );
                self.transmit.push_back(Frame::Binary(message::fetch_raw_block_request(req_id, result_id)));
            }
        }
        call
    }

    /// Releases a result on the server unless it already finished or was freed (idempotent).
    pub fn free_result(&mut self, result_id: u64) {
        self.result_owner.remove(&result_id);
        if let Some(ResultState::Open { .. }) = self.results.remove(&result_id) {
            if self.state == State::Connected {
                let req_id = self.alloc_req_id();
                self.transmit.push_back(Frame::Text(message::free_result_request(req_id, result_id)));
            }
        }
    }

    /// Frees every open result; the driver then closes the socket and reports it with
    /// [`Session::handle_disconnect`]. Later calls fail with a Connection error.
    pub fn close(&mut self) {
        let open: Vec<u64> = self.results.keys().copied().collect();
        for id in open {
            self.free_result(id);
        }
        self.results.clear();
        let mut stmts: Vec<(u64, StmtState)> = self.stmts.drain().collect();
        stmts.sort_by_key(|(id, _)| *id);
        if self.state == State::Connected {
            for (stmt_id, state) in stmts {
                // Replies (stmt2_close answers) arrive after the socket closed or are ignored.
                let req_id = self.alloc_req_id();
                let text = match state {
                    StmtState::V2 { .. } => stmt2::stmt_request("stmt2_close", req_id, stmt_id),
                    StmtState::V1(_) => stmt::stmt_request("close", req_id, stmt_id),
                };
                self.transmit.push_back(Frame::Text(text));
            }
        }
        self.state = State::Closed;
    }

    // ----- stmt2 (reference §5.2) -----------------------------------------------------------

    /// Queues `stmt2_init`; completes with [`Reply::StmtInit`]. The statement stays open until
    /// [`Session::stmt2_close`] or the session closes (which closes it on the server).
    pub fn stmt2_init(&mut self, options: Stmt2InitOptions) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt2::init_request(req_id, options);
        self.send_stmt(req_id, "stmt2_init", call, StmtOp::Init { v2: true }, text);
        call
    }

    /// Queues `stmt2_prepare` (with `get_fields`); completes with [`Reply::Stmt2Prepared`],
    /// whose placeholders the session keeps to check later binds.
    pub fn stmt2_prepare(&mut self, stmt_id: u64, sql: &str) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.stmt_check(stmt_id, true) {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt2::prepare_request(req_id, stmt_id, sql);
        self.send_stmt(req_id, "stmt2_prepare", call, StmtOp::Prepare2, text);
        call
    }

    /// Checks `tables` against the prepared placeholders and queues binary `stmt2_bind`
    /// (action 9); completes with [`Reply::Done`]. Nothing is sent when a check fails: the call
    /// completes with a Statement error naming the table, placeholder, row and value (or a
    /// Programming error when the statement is not prepared or not open).
    pub fn stmt2_bind(&mut self, stmt_id: u64, tables: &[BindTable]) -> CallId {
        let call = self.new_call();
        let req_id = self.alloc_req_id();
        let frame = self.stmt2_prepared(stmt_id, "bind").and_then(|p| stmt2::encode_bind(req_id, p, tables));
        match frame {
            Ok(frame) => {
                self.pending.insert(req_id, Pending {
                    expect: Expect::Json("stmt2_bind"),
                    waiting: Waiting::Stmt { call, op: StmtOp::Done },
                });
                self.transmit.push_back(Frame::Binary(frame));
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `stmt2_exec`; completes with [`Reply::Affected`] (0 for queries).
    pub fn stmt2_exec(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.stmt2_prepared(stmt_id, "execute") {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt2::stmt_request("stmt2_exec", req_id, stmt_id);
        self.send_stmt(req_id, "stmt2_exec", call, StmtOp::Exec, text);
        call
    }

    /// Queues `stmt2_result` for an executed query; completes with [`Reply::Query`] whose
    /// `result_id` is read with [`Session::fetch_block`] and released with
    /// [`Session::free_result`] (closing the statement frees it too). Note its `fields[].bytes`
    /// are storage sizes (VARCHAR(32) → 34), unlike a plain query's.
    pub fn stmt2_result(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        let check = self.stmt2_prepared(stmt_id, "read the result of").and_then(|p| {
            if p.is_insert {
                Err(Error::programming(format!("statement {stmt_id} is an insert: it has no result set")))
            } else {
                Ok(())
            }
        });
        if let Err(e) = check {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt2::stmt_request("stmt2_result", req_id, stmt_id);
        self.send_stmt(req_id, "stmt2_result", call, StmtOp::Result { stmt_id, v2: true }, text);
        call
    }

    /// Frees the statement's open results, then queues `stmt2_close`; completes with
    /// [`Reply::Done`]. Later calls on `stmt_id` fail with a Programming error.
    pub fn stmt2_close(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.stmt_check(stmt_id, true) {
            self.complete(call, Err(e));
            return call;
        }
        self.forget_stmt(stmt_id);
        let req_id = self.alloc_req_id();
        let text = stmt2::stmt_request("stmt2_close", req_id, stmt_id);
        self.send_stmt(req_id, "stmt2_close", call, StmtOp::Done, text);
        call
    }

    // ----- stmt v1 (reference §5.1) ---------------------------------------------------------

    /// Queues v1 `init`; completes with [`Reply::StmtInit`].
    pub fn stmt_init(&mut self) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt::init_request(req_id);
        self.send_stmt(req_id, "init", call, StmtOp::Init { v2: false }, text);
        call
    }

    /// Queues v1 `prepare`; completes with [`Reply::StmtPrepared`].
    pub fn stmt_prepare(&mut self, stmt_id: u64, sql: &str) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.stmt_check(stmt_id, false) {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt::prepare_request(req_id, stmt_id, sql);
        self.send_stmt(req_id, "prepare", call, StmtOp::Prepare1, text);
        call
    }

    /// Queues `set_table_name`; completes with [`Reply::Done`]. Forgets the cached
    /// placeholders: another table may have another schema.
    pub fn stmt_set_table_name(&mut self, stmt_id: u64, name: &str) -> CallId {
        let call = self.new_call();
        match self.v1_prepared(stmt_id, "set the table name of") {
            Err(e) => self.complete(call, Err(e)),
            Ok(v1) => {
                v1.table = Some(name.to_owned());
                v1.tag_fields = None;
                v1.col_fields = None;
                let req_id = self.alloc_req_id();
                let text = stmt::set_table_name_request(req_id, stmt_id, name);
                self.send_stmt(req_id, "set_table_name", call, StmtOp::Done, text);
            }
        }
        call
    }

    /// Binds the tags (one value each) as binary `set_tags` (action 1); completes with
    /// [`Reply::Done`]. For inserts the values are checked against `get_tag_fields`, which the
    /// session asks for first when it does not know them yet.
    pub fn stmt_set_tags(&mut self, stmt_id: u64, tags: Vec<BindColumn>) -> CallId {
        self.stmt_bind_values(stmt_id, true, tags)
    }

    /// Binds columns (N rows) as binary `bind` (action 2); completes with [`Reply::Done`].
    /// Insert values are checked against `get_col_fields` (asked for first when unknown);
    /// query parameters are sent in their own types.
    pub fn stmt_bind(&mut self, stmt_id: u64, columns: Vec<BindColumn>) -> CallId {
        self.stmt_bind_values(stmt_id, false, columns)
    }

    /// Queues `add_batch`; completes with [`Reply::Done`].
    pub fn stmt_add_batch(&mut self, stmt_id: u64) -> CallId {
        self.v1_simple(stmt_id, "add_batch", StmtOp::Done)
    }

    /// Queues v1 `exec`; completes with [`Reply::Affected`].
    pub fn stmt_exec(&mut self, stmt_id: u64) -> CallId {
        self.v1_simple(stmt_id, "exec", StmtOp::Exec)
    }

    /// Queues `get_tag_fields`; completes with [`Reply::StmtFields`] (kept for checking binds).
    pub fn stmt_get_tag_fields(&mut self, stmt_id: u64) -> CallId {
        self.v1_simple(stmt_id, "get_tag_fields", StmtOp::Fields { stmt_id, tags: true })
    }

    /// Queues `get_col_fields`; completes with [`Reply::StmtFields`] (kept for checking binds).
    pub fn stmt_get_col_fields(&mut self, stmt_id: u64) -> CallId {
        self.v1_simple(stmt_id, "get_col_fields", StmtOp::Fields { stmt_id, tags: false })
    }

    /// Queues `use_result` after `exec` of a query; completes with [`Reply::Query`] (read with
    /// [`Session::fetch_block`], release with [`Session::free_result`]).
    pub fn stmt_use_result(&mut self, stmt_id: u64) -> CallId {
        self.v1_simple(stmt_id, "use_result", StmtOp::Result { stmt_id, v2: false })
    }

    /// Frees the statement's open results and sends v1 `close`, which the server never answers
    /// on success: completes at once with [`Reply::Done`].
    pub fn stmt_close(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.stmt_check(stmt_id, false) {
            self.complete(call, Err(e));
            return call;
        }
        self.forget_stmt(stmt_id);
        let req_id = self.alloc_req_id();
        self.transmit.push_back(Frame::Text(stmt::stmt_request("close", req_id, stmt_id)));
        self.complete(call, Ok(Reply::Done));
        call
    }

    /// Number of statements open on the server.
    pub fn open_statements(&self) -> usize {
        self.stmts.len()
    }

    /// Closes a statement of either kind without reporting back: for drivers whose caller went
    /// away after `stmt2_init`/`stmt_init` completed (nobody else knows the id). Frees its
    /// results like the close calls; unknown ids are ignored.
    pub fn abandon_statement(&mut self, stmt_id: u64) {
        let Some(state) = self.stmts.get(&stmt_id) else { return };
        let v2 = matches!(state, StmtState::V2 { .. });
        self.forget_stmt(stmt_id);
        if self.state == State::Connected {
            let req_id = self.alloc_req_id();
            let text = if v2 {
                stmt2::stmt_request("stmt2_close", req_id, stmt_id)
            } else {
                stmt::stmt_request("close", req_id, stmt_id)
            };
            self.transmit.push_back(Frame::Text(text));
        }
    }

    // ----- schemaless (reference §6) --------------------------------------------------------

    /// Queues a schemaless `insert`; completes with [`Reply::Schemaless`]. Server errors are
    /// Schemaless errors with TDengine's code. A `req_id` given in the request must not be in
    /// flight.
    pub fn schemaless_insert(&mut self, request: &SchemalessRequest) -> CallId {
        let call = self.new_call();
        let req_id = self.check_connected().and_then(|()| self.resolve_req_id(request.req_id));
        match req_id {
            Err(e) => self.complete(call, Err(e)),
            Ok(req_id) => {
                let text = schemaless::insert_request(req_id, request);
                let waiting = Waiting::Schemaless { call, lines: request.lines.clone() };
                self.send_json(req_id, Expect::Json("insert"), waiting, text);
            }
        }
        call
    }

    fn resolve_req_id(&mut self, req_id: Option<u64>) -> Result<u64> {
        match req_id {
            Some(id) if self.pending.contains_key(&id) || id == VERSION_REQ_ID => {
                Err(Error::programming(format!("req_id {id} is already in use by a call in flight")))
            }
            Some(id) => Ok(id),
            None => Ok(self.alloc_req_id()),
        }
    }

    fn send_stmt(&mut self, req_id: u64, action: &'static str, call: CallId, op: StmtOp, text: String) {
        self.send_json(req_id, Expect::Json(action), Waiting::Stmt { call, op }, text);
    }

    /// The statement exists and is of the right kind.
    fn stmt_check(&self, stmt_id: u64, v2: bool) -> Result<()> {
        self.check_connected()?;
        match (self.stmts.get(&stmt_id), v2) {
            (None, _) => Err(Error::programming(format!("statement {stmt_id} is not open (closed or never initialised)"))),
            (Some(StmtState::V2 { .. }), false) => {
                Err(Error::programming(format!("statement {stmt_id} is a stmt2 statement, not a stmt v1 one")))
            }
            (Some(StmtState::V1(_)), true) => {
                Err(Error::programming(format!("statement {stmt_id} is a stmt v1 statement, not a stmt2 one")))
            }
            _ => Ok(()),
        }
    }

    fn stmt2_prepared(&self, stmt_id: u64, what: &str) -> Result<&Stmt2Prepared> {
        self.stmt_check(stmt_id, true)?;
        match self.stmts.get(&stmt_id) {
            Some(StmtState::V2 { prepared: Some(p) }) => Ok(p),
            _ => Err(Error::programming(format!("cannot {what} statement {stmt_id}: it is not prepared yet"))),
        }
    }

    fn v1_prepared(&mut self, stmt_id: u64, what: &str) -> Result<&mut V1State> {
        self.stmt_check(stmt_id, false)?;
        match self.stmts.get_mut(&stmt_id) {
            Some(StmtState::V1(v1)) if v1.is_insert.is_some() => Ok(v1),
            _ => Err(Error::programming(format!("cannot {what} statement {stmt_id}: it is not prepared yet"))),
        }
    }

    fn v1_simple(&mut self, stmt_id: u64, action: &'static str, op: StmtOp) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.v1_prepared(stmt_id, action) {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = self.alloc_req_id();
        let text = stmt::stmt_request(action, req_id, stmt_id);
        self.send_stmt(req_id, action, call, op, text);
        call
    }

    fn stmt_bind_values(&mut self, stmt_id: u64, tags: bool, values: Vec<BindColumn>) -> CallId {
        let call = self.new_call();
        let what = if tags { "set the tags of" } else { "bind" };
        let (is_insert, known) = match self.v1_prepared(stmt_id, what) {
            Err(e) => {
                self.complete(call, Err(e));
                return call;
            }
            Ok(v1) => (v1.is_insert == Some(true), if tags { v1.tag_fields.is_some() } else { v1.col_fields.is_some() }),
        };
        if is_insert && !known {
            let req_id = self.alloc_req_id();
            let action = if tags { "get_tag_fields" } else { "get_col_fields" };
            let text = stmt::stmt_request(action, req_id, stmt_id);
            self.send_stmt(req_id, action, call, StmtOp::FieldsThenBind { stmt_id, tags, values }, text);
        } else {
            self.send_v1_bind(call, stmt_id, tags, &values);
        }
        call
    }

    /// Encodes and queues binary set_tags/bind with the cached placeholders (inserts) or none
    /// (queries); a failed check completes the call without sending anything.
    fn send_v1_bind(&mut self, call: CallId, stmt_id: u64, tags: bool, values: &[BindColumn]) {
        let req_id = self.alloc_req_id();
        let (action, name, role) =
            if tags { (stmt::ACTION_SET_TAGS, "set_tags", "tag") } else { (stmt::ACTION_BIND, "bind", "column") };
        let frame = match self.stmts.get(&stmt_id) {
            Some(StmtState::V1(v1)) => {
                let fields = if v1.is_insert == Some(true) {
                    if tags { v1.tag_fields.as_deref() } else { v1.col_fields.as_deref() }
                } else {
                    None
                };
                let role = if v1.is_insert == Some(true) { role } else { "parameter" };
                let table = v1.table.as_ref().map(|t| format!("table {t}")).unwrap_or_default();
                stmt::encode_bind(req_id, stmt_id, action, fields, values, role, &table)
            }
            _ => Err(Error::programming(format!("statement {stmt_id} was closed before its values were bound"))),
        };
        match frame {
            Ok(frame) => {
                self.pending.insert(req_id, Pending {
                    expect: Expect::Json(name),
                    waiting: Waiting::Stmt { call, op: StmtOp::Done },
                });
                self.transmit.push_back(Frame::Binary(frame));
            }
            Err(e) => self.complete(call, Err(e)),
        }
    }

    /// Drops a statement locally and frees the results it produced.
    fn forget_stmt(&mut self, stmt_id: u64) {
        self.stmts.remove(&stmt_id);
        let owned: Vec<u64> =
            self.result_owner.iter().filter(|(_, &s)| s == stmt_id).map(|(&r, _)| r).collect();
        for result_id in owned {
            self.free_result(result_id);
        }
    }

    fn on_stmt_reply(&mut self, call: CallId, op: StmtOp, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Statement) {
            return self.complete(call, Err(e));
        }
        let outcome = match op {
            StmtOp::Init { v2 } => {
                let state = if v2 { StmtState::V2 { prepared: None } } else { StmtState::V1(V1State::default()) };
                self.stmts.insert(reply.stmt_id, state);
                Ok(Reply::StmtInit { stmt_id: reply.stmt_id })
            }
            StmtOp::Prepare2 => parse_stmt2_prepare(&reply).map(|p| {
                if let Some(StmtState::V2 { prepared }) = self.stmts.get_mut(&reply.stmt_id) {
                    *prepared = Some(p.clone());
                }
                Reply::Stmt2Prepared(p)
            }),
            StmtOp::Prepare1 => {
                if let Some(StmtState::V1(v1)) = self.stmts.get_mut(&reply.stmt_id) {
                    *v1 = V1State { is_insert: Some(reply.is_insert), ..V1State::default() };
                }
                Ok(Reply::StmtPrepared { stmt_id: reply.stmt_id, is_insert: reply.is_insert })
            }
            StmtOp::Done => Ok(Reply::Done),
            StmtOp::Exec => Ok(Reply::Affected(reply.affected)),
            StmtOp::Result { stmt_id, v2 } => {
                let mut reply = reply;
                if !v2 {
                    reply.id = reply.result_id;
                }
                reply.query_info().map(|info| {
                    if info.result_id != 0 {
                        self.results.insert(info.result_id, ResultState::Open { fetching: false });
                        self.result_owner.insert(info.result_id, stmt_id);
                    }
                    Reply::Query(info)
                })
            }
            StmtOp::Fields { stmt_id, tags } => {
                self.cache_v1_fields(stmt_id, tags, &reply).map(Reply::StmtFields)
            }
            StmtOp::FieldsThenBind { stmt_id, tags, values } => match self.cache_v1_fields(stmt_id, tags, &reply) {
                Ok(_) => return self.send_v1_bind(call, stmt_id, tags, &values),
                Err(e) => Err(e),
            },
        };
        self.complete(call, outcome);
    }

    fn cache_v1_fields(&mut self, stmt_id: u64, tags: bool, reply: &JsonReply) -> Result<Vec<StmtField>> {
        let bind = if tags { BindType::Tag } else { BindType::Column };
        let fields = reply
            .fields
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .map(|f| f.to_field(bind))
            .collect::<Result<Vec<_>>>()?;
        if let Some(StmtState::V1(v1)) = self.stmts.get_mut(&stmt_id) {
            if tags {
                v1.tag_fields = Some(fields.clone());
            } else {
                v1.col_fields = Some(fields.clone());
            }
        }
        Ok(fields)
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The socket is gone: every pending call fails with a Connection error.
    pub fn handle_disconnect(&mut self, reason: &str) {
        self.state = State::Closed;
        self.transmit.clear();
        self.results.clear();
        self.stmts.clear();
        self.result_owner.clear();
        let mut pending: Vec<(u64, Pending)> = self.pending.drain().collect();
        pending.sort_by_key(|(id, _)| *id);
        let err = || Error::connection(format!("connection closed: {reason}"));
        if let Some(progress) = self.connect.take() {
            self.complete(progress.call, Err(err()));
        }
        for (_, p) in pending {
            match p.waiting {
                Waiting::Query(call)
                | Waiting::Fetch { call, .. }
                | Waiting::Stmt { call, .. }
                | Waiting::Schemaless { call, .. } => self.complete(call, Err(err())),
                Waiting::Version | Waiting::Conn | Waiting::Options => {}
            }
        }
    }

    /// A frame from the server. Frames that match no pending call are ignored.
    pub fn handle_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Text(text) => self.handle_text(&text),
            Frame::Binary(bytes) => self.handle_binary(&bytes),
        }
    }

    fn handle_text(&mut self, text: &str) {
        let reply = match JsonReply::parse(text) {
            Ok(reply) => reply,
            Err(e) => return self.fail_unreadable(text, e),
        };
        let action = known_action(&reply.action);
        // Binary requests the server refuses before reading them (e.g. "server not connected")
        // are answered in JSON under the binary action's name.
        let fits = |e: Expect| {
            e == Expect::Json(action)
                || (e == Expect::Binary(message::ACTION_FETCH_RAW_BLOCK) && action == "fetch_raw_block")
        };
        let Some(p) = self.take_pending(reply.req_id, fits) else { return };
        match p.waiting {
            Waiting::Version => self.on_version(reply),
            Waiting::Conn => self.on_conn(reply),
            Waiting::Options => self.on_options(reply),
            Waiting::Query(call) => {
                let outcome = reply.check(ErrorKind::Query).and_then(|()| reply.query_info());
                if let Ok(info) = &outcome {
                    if info.result_id != 0 && !info.is_update {
                        self.results.insert(info.result_id, ResultState::Open { fetching: false });
                    }
                }
                self.complete(call, outcome.map(Reply::Query));
            }
            Waiting::Fetch { call, result_id } => {
                self.set_fetching(result_id, false);
                let err = reply.check(ErrorKind::Query).err().unwrap_or_else(|| {
                    Error::internal("server answered fetch_raw_block with a JSON success")
                });
                self.complete(call, Err(err));
            }
            Waiting::Stmt { call, op } => self.on_stmt_reply(call, op, reply),
            Waiting::Schemaless { call, lines } => {
                let outcome = if reply.code != 0 {
                    Err(schemaless::error(reply.code, &reply.message, &lines))
                } else {
                    Ok(Reply::Schemaless(SchemalessResult {
                        affected_rows: reply.affected_rows,
                        total_rows: reply.total_rows,
                    }))
                };
                self.complete(call, outcome);
            }
        }
    }

    fn handle_binary(&mut self, bytes: &[u8]) {
        let Some((action, req_id)) = message::binary_reply_key(bytes) else { return };
        let Some(p) = self.take_pending(req_id, |e| e == Expect::Binary(action)) else { return };
        let Waiting::Fetch { call, result_id } = p.waiting else { return };
        let outcome = match message::parse_binary_reply(bytes) {
            Err(e) => {
                // We cannot tell whether the server still holds the result; keep it open.
                self.set_fetching(result_id, false);
                Err(e)
            }
            Ok(BinaryReply { code: 0, finished: false, block: Some(block), .. }) => {
                self.set_fetching(result_id, false);
                Ok(Reply::Block(Some(block)))
            }
            Ok(BinaryReply { code, message, .. }) => {
                // Finished or failed: either way the server has freed the result.
                if let Some(state) = self.results.get_mut(&result_id) {
                    *state = ResultState::Finished;
                }
                if code == 0 {
                    Ok(Reply::Block(None))
                } else {
                    Err(Error::query((code & 0xFFFF) as i32, message))
                }
            }
        };
        self.complete(call, outcome);
    }

    fn on_version(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        if let Some(p) = self.connect.as_mut() {
            p.version = Some(reply.version.unwrap_or_default());
        }
        self.maybe_finish_connect();
    }

    fn on_conn(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        let tz = self.options.timezone.clone();
        if let Some(p) = self.connect.as_mut() {
            p.conn_done = true;
            if p.version.is_none() {
                p.version = reply.version.clone();
            }
            if let Some(tz) = tz {
                p.options_pending = true;
                let req_id = self.alloc_req_id();
                let text = message::options_connection_request(req_id, &[(message::OPTION_TIMEZONE, Some(&tz))]);
                self.send_json(req_id, Expect::Json("options_connection"), Waiting::Options, text);
            }
        }
        self.maybe_finish_connect();
    }

    fn on_options(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        if let Some(p) = self.connect.as_mut() {
            p.options_pending = false;
        }
        self.maybe_finish_connect();
    }

    fn maybe_finish_connect(&mut self) {
        let done = matches!(&self.connect, Some(p) if p.conn_done && !p.options_pending && p.version.is_some()
            && !self.pending.contains_key(&VERSION_REQ_ID));
        if done {
            let version = self.connect.as_ref().and_then(|p| p.version.clone()).unwrap_or_default();
            if !supports_binary_queries(&version) {
                return self.fail_connect(Error::not_supported(format!(
                    "server version {version} is too old: taosjs needs taosAdapter 3.3.2.0 or later"
                )));
            }
            let p = self.connect.take().expect("checked above");
            self.server_version = Some(version.clone());
            self.state = State::Connected;
            self.complete(p.call, Ok(Reply::Connected { server_version: version }));
        }
    }

    fn fail_connect(&mut self, error: Error) {
        self.pending.retain(|_, p| !matches!(p.waiting, Waiting::Version | Waiting::Conn | Waiting::Options));
        self.state = State::Closed;
        if let Some(p) = self.connect.take() {
            self.complete(p.call, Err(error));
        }
    }

    /// A JSON reply whose fields have unexpected types (say a negative id): the call it answers
    /// fails with the parse error instead of waiting forever. Replies without a readable
    /// `req_id` and `action` cannot be matched and are dropped.
    fn fail_unreadable(&mut self, text: &str, error: Error) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else { return };
        let (Some(req_id), Some(action)) = (v["req_id"].as_u64(), v["action"].as_str()) else { return };
        let action = known_action(action);
        let fits = |e: Expect| {
            e == Expect::Json(action)
                || (e == Expect::Binary(message::ACTION_FETCH_RAW_BLOCK) && action == "fetch_raw_block")
        };
        let Some(p) = self.take_pending(req_id, fits) else { return };
        match p.waiting {
            Waiting::Version | Waiting::Conn | Waiting::Options => self.fail_connect(error),
            Waiting::Fetch { call, result_id } => {
                self.set_fetching(result_id, false);
                self.complete(call, Err(error));
            }
            Waiting::Query(call) | Waiting::Stmt { call, .. } | Waiting::Schemaless { call, .. } => {
                self.complete(call, Err(error))
            }
        }
    }

    fn take_pending(&mut self, req_id: u64, matches: impl Fn(Expect) -> bool) -> Option<Pending> {
        if matches(self.pending.get(&req_id)?.expect) {
            self.pending.remove(&req_id)
        } else {
            None
        }
    }

    fn set_fetching(&mut self, result_id: u64, value: bool) {
        if let Some(ResultState::Open { fetching }) = self.results.get_mut(&result_id) {
            *fetching = value;
        }
    }

    fn check_connected(&self) -> Result<()> {
        match self.state {
            State::Connected => Ok(()),
            State::Idle | State::Connecting => Err(Error::connection("not connected yet")),
            State::Closed => Err(Error::connection("connection is closed")),
        }
    }

    fn send_json(&mut self, req_id: u64, expect: Expect, waiting: Waiting, text: String) {
        self.pending.insert(req_id, Pending { expect, waiting });
        self.transmit.push_back(Frame::Text(text));
    }

    fn new_call(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }

    /// Next id from the counter, skipping 0 and ids a caller chose that are still in flight.
    fn alloc_req_id(&mut self) -> u64 {
        loop {
            let id = self.next_req_id;
            self.next_req_id = self.next_req_id.wrapping_add(1);
            if id != VERSION_REQ_ID && !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    fn complete(&mut self, call: CallId, outcome: Result<Reply>) {
        self.events.push_back(Event::Completed { call, outcome });
    }
}

/// The placeholders of a `stmt2_prepare` reply (`fields` is `null` for queries).
fn parse_stmt2_prepare(reply: &JsonReply) -> Result<Stmt2Prepared> {
    let fields = reply
        .fields
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|f| f.to_field(BindType::QueryParam))
        .collect::<Result<Vec<_>>>()?;
    let fields_count = usize::try_from(reply.fields_count).unwrap_or(0);
    if reply.is_insert && fields.len() != fields_count {
        return Err(Error::internal(format!(
            "stmt2_prepare reply lists {} fields but fields_count is {fields_count}",
            fields.len()
        )));
    }
    Ok(Stmt2Prepared { stmt_id: reply.stmt_id, is_insert: reply.is_insert, fields, fields_count })
}

/// Binary query (action 6) and `fetch_raw_block` (7) exist from 3.3.2.0 on. Versions compare by
/// their first four numeric parts ("3.3.7.5.alpha" is 3.3.7.5); "3.x" means a current 3.x.
fn supports_binary_queries(version: &str) -> bool {
    if version == "3.x" {
        return true;
    }
    let parts: Vec<u64> = version
        .split(['.', '-'])
        .take(4)
        .map_while(|p| p.parse().ok())
        .collect();
    let mut v = [0u64; 4];
    v[..parts.len()].copy_from_slice(&parts);
    !parts.is_empty() && v >= [3, 3, 2, 0]
}

/// Maps a reply's action to the static name we wait for (unknown actions never match).
fn known_action(action: &str) -> &'static str {
    match action {
        "version" => "version",
        "conn" => "conn",
        "options_connection" => "options_connection",
        "binary_query" => "binary_query",
        "fetch_raw_block" => "fetch_raw_block",
        "stmt2_init" => "stmt2_init",
        "stmt2_prepare" => "stmt2_prepare",
        "stmt2_bind" => "stmt2_bind",
        "stmt2_exec" => "stmt2_exec",
        "stmt2_result" => "stmt2_result",
        "stmt2_close" => "stmt2_close",
        "init" => "init",
        "prepare" => "prepare",
        "set_table_name" => "set_table_name",
        "set_tags" => "set_tags",
        "bind" => "bind",
        "add_batch" => "add_batch",
        "exec" => "exec",
        "get_tag_fields" => "get_tag_fields",
        "get_col_fields" => "get_col_fields",
        "use_result" => "use_result",
        "close" => "close",
        "insert" => "insert",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &mut Session) -> Vec<(CallId, Result<Reply>)> {
        std::iter::from_fn(|| s.poll_event()).map(|Event::Completed { call, outcome }| (call, outcome)).collect()
    }

    fn connected() -> Session {
        let mut s = Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..Default::default() });
        s.connect();
        while s.poll_transmit().is_some() {}
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.7.5"}"#.into()));
        assert!(s.is_connected());
        assert_eq!(s.server_version(), Some("3.3.7.5"));
        events(&mut s);
        s
    }

    #[test]
    fn calls_before_connect_or_after_close_fail_with_connection_errors() {
        let mut s = Session::new(SessionOptions::default());
        let q = s.query("select 1", None);
        let f = s.fetch_block(1);
        let ev = events(&mut s);
        assert!(matches!(&ev[0], (c, Err(e)) if *c == q && e.kind == ErrorKind::Connection && e.message.contains("not connected")));
        assert!(matches!(&ev[1], (c, Err(e)) if *c == f && e.kind == ErrorKind::Connection));
        assert!(s.poll_transmit().is_none());
        let mut s = connected();
        s.close();
        s.query("select 1", None);
        assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.message.contains("closed")));
    }

    #[test]
    fn servers_older_than_3_3_2_are_refused() {
        for (v, ok) in [("3.3.7.5.alpha", true), ("3.3.2.0", true), ("3.x", true), ("3.4", true), ("3.3.1.9", false), ("2.6.0.1", false), ("", false), ("abc", false)] {
            assert_eq!(supports_binary_queries(v), ok, "{v}");
        }
        let mut s = Session::new(SessionOptions::default());
        let c = s.connect();
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.0.0"}"#.into()));
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.0.0"}"#.into()));
        assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::NotSupported && e.message.contains("3.3.0.0")));
        assert!(s.is_closed());
    }

    #[test]
    fn connect_twice_is_a_programming_error() {
        let mut s = connected();
        let c = s.connect();
        assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::Programming));
        assert!(s.poll_transmit().is_none());
    }

    #[test]
    fn a_second_concurrent_fetch_on_one_result_is_rejected() {
        let mut s = connected();
        s.query("select 1", None);
        let Some(Frame::Binary(q)) = s.poll_transmit() else { panic!() };
        let req = u64::from_le_bytes(q[0..8].try_into().unwrap());
        s.handle_frame(Frame::Text(format!(
            r#"{{"code":0,"message":"","action":"binary_query","req_id":{req},"timing":1,"id":7,"is_update":false,"affected_rows":0,"fields_count":1,"fields_names":["1"],"fields_types":[5],"fields_lengths":[8],"precision":0}}"#
        )));
        events(&mut s);
        s.fetch_block(7);
        let second = s.fetch_block(7);
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == second && e.kind == ErrorKind::Programming));
        assert!(s.poll_transmit().is_some());
        assert!(s.poll_transmit().is_none(), "only one fetch went out");
    }

    #[test]
    fn a_fetch_refused_in_json_fails_and_can_be_retried() {
        let mut s = connected();
        s.results.insert(3, ResultState::Open { fetching: false });
        let f = s.fetch_block(3);
        let Some(Frame::Binary(req)) = s.poll_transmit() else { panic!() };
        let req_id = u64::from_le_bytes(req[0..8].try_into().unwrap());
        s.handle_frame(Frame::Text(format!(
            r#"{{"code":65535,"message":"server not connected","action":"fetch_raw_block","req_id":{req_id},"timing":1}}"#
        )));
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == f && e.errno == Some(65535)));
        s.fetch_block(3);
        assert!(events(&mut s).is_empty(), "not rejected as a concurrent fetch");
    }

    #[test]
    fn unreadable_frames_are_ignored() {
        let mut s = connected();
        let q = s.query("select 1", None);
        s.handle_frame(Frame::Text("{not json".into()));
        s.handle_frame(Frame::Binary(vec![1, 2, 3]));
        s.handle_frame(Frame::Binary(vec![0xff; 30]));
        assert!(events(&mut s).is_empty());
        s.handle_disconnect("gone");
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Connection));
    }
}
