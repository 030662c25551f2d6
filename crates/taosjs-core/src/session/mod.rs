//! The `/ws` session as a sans-IO state machine (quinn-proto style): callers queue requests and
//! get a [`CallId`]; the driver moves [`Frame`]s with [`Session::poll_transmit`] /
//! [`Session::handle_frame`], moves time with [`Session::poll_timeout`] /
//! [`Session::handle_timeout`], and reads completions from [`Session::poll_event`].
//!
//! This file owns the session's state and the routing of replies to its calls (JSON replies by
//! `(action, req_id)`, binary replies by `(action, req_id @ 26)`) and what a disconnect means
//! for them; the call machinery itself (call and request ids, the table of pending calls,
//! cancellation, deadlines, timers), which the TMQ consumer shares, is
//! [`crate::conversation`]'s. One file per conversation: [`connect`] (login, close and
//! goodbye), [`query`] (queries and their open results), [`stmt2`] and [`stmt1`] (with the
//! statement states they share in [`statement`], and [`describe`] for DECIMAL placeholders the
//! server leaves undescribed), [`schemaless`].

pub(crate) mod connect;
mod describe;
mod query;
mod reconnect;
mod schemaless;
mod statement;
mod stmt1;
mod stmt2;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;

use crate::dsn::ConnectConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, JsonReply};
use crate::schemaless::SchemalessRequest;

use crate::conversation::calls::{Calls, Conversation, Lifecycle as State, Waiter, VERSION_REQ_ID};
use crate::conversation::{
    CallId, Event, Frame, Instant, KeepaliveProbe, Reply, SocketCommand, Timer, DEFAULT_GOODBYE_TIMEOUT,
};
use query::OpenResult;
use reconnect::Replay;
use statement::{StmtOp, StmtState};

/// Settings the session needs (credentials travel in `conn` and nowhere else).
#[derive(Clone)]
pub struct SessionOptions {
    pub user: String,
    pub password: String,
    pub db: Option<String>,
    /// Sent with `options_connection` after `conn` when set.
    pub timezone: Option<String>,
    pub connector: Option<String>,
    pub bearer_token: Option<String>,
    /// The login must be answered within this time after [`Session::connect`].
    pub connect_timeout: Duration,
    /// See [`DEFAULT_GOODBYE_TIMEOUT`].
    pub goodbye_timeout: Duration,
    /// The deadline of a call whose driver gives none ([`Session::set_deadline`]).
    pub request_timeout: Duration,
    /// Ping cadence of an idle connection; `None` turns keepalive off.
    pub keepalive: Option<Duration>,
    /// What the keepalive sends.
    pub keepalive_probe: KeepaliveProbe,
    /// Results the server may hold for us at once (queries in flight count too).
    pub max_open_results: usize,
    /// Reconnect attempts after the connection is lost; 0 (the default here) never reconnects
    /// (see [`reconnect`]).
    pub retries: u32,
    /// The wait before the second attempt, doubled for each later one ...
    pub retry_backoff: Duration,
    /// ... up to this.
    pub retry_backoff_max: Duration,
    /// How many endpoints the driver can open ([`SocketCommand::Open`] names them by index).
    pub endpoints: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            user: String::new(),
            password: String::new(),
            db: None,
            timezone: None,
            connector: None,
            bearer_token: None,
            connect_timeout: crate::dsn::DEFAULT_CONNECT_TIMEOUT,
            goodbye_timeout: DEFAULT_GOODBYE_TIMEOUT,
            request_timeout: crate::dsn::DEFAULT_REQUEST_TIMEOUT,
            keepalive: Some(crate::dsn::DEFAULT_KEEPALIVE),
            keepalive_probe: KeepaliveProbe::Ping,
            max_open_results: crate::dsn::DEFAULT_MAX_OPEN_RESULTS as usize,
            // A driver opts in (it must obey `poll_socket`); `ConnectConfig` defaults to
            // `dsn::DEFAULT_RETRIES`.
            retries: 0,
            retry_backoff: crate::dsn::DEFAULT_RETRY_BACKOFF,
            retry_backoff_max: crate::dsn::DEFAULT_RETRY_BACKOFF_MAX,
            endpoints: 1,
        }
    }
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("user", &self.user)
            .field("db", &self.db)
            .field("timezone", &self.timezone)
            .field("connector", &self.connector)
            .field("connect_timeout", &self.connect_timeout)
            .field("request_timeout", &self.request_timeout)
            .field("keepalive", &self.keepalive)
            .field("keepalive_probe", &self.keepalive_probe)
            .field("retries", &self.retries)
            .field("endpoints", &self.endpoints)
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
            connect_timeout: c.connect_timeout,
            goodbye_timeout: DEFAULT_GOODBYE_TIMEOUT,
            request_timeout: c.request_timeout,
            keepalive: c.keepalive,
            keepalive_probe: KeepaliveProbe::Ping,
            max_open_results: c.max_open_results as usize,
            retries: c.retries,
            retry_backoff: c.retry_backoff,
            retry_backoff_max: c.retry_backoff_max,
            endpoints: c.endpoints.len().max(1),
        }
    }
}

/// The requests of taosAdapter's `/ws` protocol that the session sends, by the `action` name
/// their JSON replies carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Version,
    Conn,
    OptionsConnection,
    BinaryQuery,
    FetchRawBlock,
    FreeResult,
    Stmt2Init,
    Stmt2Prepare,
    Stmt2Bind,
    Stmt2Exec,
    Stmt2Result,
    Stmt2Close,
    StmtInit,
    StmtPrepare,
    StmtSetTableName,
    StmtSetTags,
    StmtBind,
    StmtAddBatch,
    StmtExec,
    StmtGetTagFields,
    StmtGetColFields,
    StmtUseResult,
    StmtClose,
    SchemalessInsert,
}

impl Action {
    const ALL: [Action; 24] = [
        Action::Version,
        Action::Conn,
        Action::OptionsConnection,
        Action::BinaryQuery,
        Action::FetchRawBlock,
        Action::FreeResult,
        Action::Stmt2Init,
        Action::Stmt2Prepare,
        Action::Stmt2Bind,
        Action::Stmt2Exec,
        Action::Stmt2Result,
        Action::Stmt2Close,
        Action::StmtInit,
        Action::StmtPrepare,
        Action::StmtSetTableName,
        Action::StmtSetTags,
        Action::StmtBind,
        Action::StmtAddBatch,
        Action::StmtExec,
        Action::StmtGetTagFields,
        Action::StmtGetColFields,
        Action::StmtUseResult,
        Action::StmtClose,
        Action::SchemalessInsert,
    ];

    /// The name on the wire.
    pub fn name(self) -> &'static str {
        match self {
            Action::Version => "version",
            Action::Conn => "conn",
            Action::OptionsConnection => "options_connection",
            Action::BinaryQuery => "binary_query",
            Action::FetchRawBlock => "fetch_raw_block",
            Action::FreeResult => "free_result",
            Action::Stmt2Init => "stmt2_init",
            Action::Stmt2Prepare => "stmt2_prepare",
            Action::Stmt2Bind => "stmt2_bind",
            Action::Stmt2Exec => "stmt2_exec",
            Action::Stmt2Result => "stmt2_result",
            Action::Stmt2Close => "stmt2_close",
            Action::StmtInit => "init",
            Action::StmtPrepare => "prepare",
            Action::StmtSetTableName => "set_table_name",
            Action::StmtSetTags => "set_tags",
            Action::StmtBind => "bind",
            Action::StmtAddBatch => "add_batch",
            Action::StmtExec => "exec",
            Action::StmtGetTagFields => "get_tag_fields",
            Action::StmtGetColFields => "get_col_fields",
            Action::StmtUseResult => "use_result",
            Action::StmtClose => "close",
            Action::SchemalessInsert => "insert",
        }
    }

    /// The action a reply names; `None` for actions we never send.
    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|a| a.name() == name)
    }
}

/// Which reply a pending request waits for: a JSON reply with this action, or a binary reply
/// (a JSON error reply under the same action also matches).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Json(Action),
    Binary(Action),
}

impl Expect {
    fn action(self) -> Action {
        match self {
            Expect::Json(a) | Expect::Binary(a) => a,
        }
    }

    fn fits_json(self, action: Action) -> bool {
        match self {
            Expect::Json(a) | Expect::Binary(a) => a == action,
        }
    }
}

/// What a pending request does with its reply.
#[derive(Debug)]
enum Waiting {
    Version,
    Conn,
    Options,
    /// A query; with its SQL when it only reads (its result can be re-run after a reconnect);
    /// `ahead`: blocks to read before answering ([`Session::query_rows`]).
    Query { call: CallId, sql: Option<Arc<str>>, ahead: usize },
    /// The query of result `result` run again after a reconnect (see [`reconnect`]).
    Rerun { result: u64 },
    Fetch { reader: Box<query::Reader>, result_id: u64 },
    Stmt { call: CallId, op: StmtOp },
    /// A schemaless write, with its request: the error names a line of it, and a reconnect
    /// rebuilds its frame if it may be sent again.
    Schemaless { call: CallId, request: Box<SchemalessRequest> },
    /// A `DESCRIBE` the session runs itself for `call` (see [`describe`]): the query while
    /// `result_id` is `None`, then its fetches.
    Describe { call: CallId, job: Box<describe::DescribeJob>, result_id: Option<u64> },
}

impl Waiting {
    fn call(&self) -> Option<CallId> {
        match self {
            Waiting::Version | Waiting::Conn | Waiting::Options | Waiting::Rerun { .. } => None,
            Waiting::Fetch { reader, .. } => Some(reader.call),
            Waiting::Query { call, .. }
            | Waiting::Stmt { call, .. }
            | Waiting::Schemaless { call, .. }
            | Waiting::Describe { call, .. } => Some(*call),
        }
    }
}

impl Waiting {
    /// Whether running the request may have changed data.
    fn is_write(&self) -> bool {
        matches!(
            self,
            Waiting::Query { .. } | Waiting::Schemaless { .. } | Waiting::Stmt { op: StmtOp::Exec { .. } | StmtOp::BatchThenExec { .. }, .. }
        )
    }
}

#[derive(Debug)]
struct Pending {
    expect: Expect,
    waiting: Waiting,
    /// Whether it may be sent again on a new socket.
    replay: Replay,
}

impl Waiter for Pending {
    fn call(&self) -> Option<CallId> {
        self.waiting.call()
    }
}

/// The client side of one `/ws` connection.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    state: State,
    /// Requests in flight, cancellations, deadlines, keepalive, completions, frames to send,
    /// timers.
    calls: Calls<Pending>,
    results: HashMap<u64, OpenResult>,
    stmts: HashMap<u64, StmtState>,
    connect: Option<connect::ConnectProgress>,
    server_version: Option<String>,
    /// What the driver must do with its socket.
    socket: std::collections::VecDeque<SocketCommand>,
    /// The reconnect attempt in progress.
    reconnect: Option<reconnect::Progress>,
    /// Connections lost so far: the generation in result and statement ids.
    epoch: u64,
    /// Results and statements lost with a connection, and what to say when they are used.
    lost: HashMap<u64, String>,
    /// The database of the last successful `use` (the login of a new socket selects it).
    current_db: Option<String>,
    /// The latest time the driver told (for timers started by frames, which carry none).
    clock: Instant,
}

impl Session {
    pub fn new(options: SessionOptions) -> Session {
        let mut calls = Calls::new(options.keepalive);
        calls.set_keepalive_probe(options.keepalive_probe);
        Session {
            calls,
            options,
            state: State::Idle,
            results: HashMap::new(),
            stmts: HashMap::new(),
            connect: None,
            server_version: None,
            socket: std::collections::VecDeque::new(),
            reconnect: None,
            epoch: 0,
            lost: HashMap::new(),
            current_db: None,
            clock: Instant::ZERO,
        }
    }

    /// The server's version once `version` was answered.
    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    /// No call can be made any more: `close` was called, or the connection is gone for good
    /// (not while reconnecting).
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closing | State::Closed)
    }

    /// The driver can drop the socket: the goodbye is over (or timed out) or the peer is gone.
    pub fn is_finished(&self) -> bool {
        self.state == State::Closed
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.calls.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.calls.poll_event()
    }

    /// When the driver must call [`Session::handle_timeout`] next (`None`: no timer armed).
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls.timers.next()
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.clock = now;
        while let Some(timer) = self.calls.timers.pop_expired(now) {
            match timer {
                Timer::Connect => self.connect_timed_out(),
                Timer::Goodbye => self.finish("the server did not acknowledge the close in time"),
                Timer::Call(call) => self.call_timed_out(call),
                Timer::Keepalive => self.keepalive_tick(now),
                Timer::Backoff => self.backoff_expired(),
            }
        }
    }

    /// `call` must complete within `timeout` after `now` (`None`: the session's
    /// `request_timeout`); otherwise it completes with an [`ErrorKind::Timeout`] error and what
    /// it holds on the server is freed as for [`Session::cancel`]. The driver calls it right
    /// after starting the call; a call that already completed is not affected.
    pub fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Option<Duration>) {
        self.clock = self.clock.max(now);
        let timeout = timeout.unwrap_or(self.options.request_timeout);
        self.calls.set_deadline(call, now, timeout);
    }

    /// The caller of `call` went away. A pending call's completion is dropped, and whatever its
    /// reply produces on the server (a result, a statement) is freed when the reply arrives; a
    /// result whose block fetch is cancelled is freed at once (its rows can no longer be read
    /// in order). A call that already completed is not affected (see [`Session::discard`]).
    pub fn cancel(&mut self, call: CallId) {
        self.give_up(call, None);
    }

    fn call_timed_out(&mut self, call: CallId) {
        let Some(timeout) = self.calls.timed_out(call) else { return };
        let what = self.calls.request_of(call).map_or("the call", |p| p.expect.action().name());
        let err = Error::timeout(format!("{what} got no answer within {} ms", timeout.as_millis()));
        self.give_up(call, Some(err));
    }

    /// Stops waiting for `call`: its caller learns `tell` now (a timeout) or nothing (an
    /// abort); its reply, when it comes, is discarded and what it produced is freed.
    fn give_up(&mut self, call: CallId, tell: Option<Error>) {
        let fetching = match self.calls.request_of(call).map(|p| &p.waiting) {
            Some(Waiting::Fetch { result_id, .. }) => Some(*result_id),
            _ => None,
        };
        if self.calls.give_up(call, tell) {
            if let Some(result_id) = fetching {
                self.free_result(result_id);
            }
        }
    }

    /// One tick of keepalive ([`Calls::keepalive_tick`]): a silent peer is a dropped socket.
    fn keepalive_tick(&mut self, now: Instant) {
        if let Some(reason) = self.calls.keepalive_tick(now, self.state) {
            self.handle_disconnect(&reason);
        }
    }

    /// Arms keepalive for a new socket.
    fn start_keepalive(&mut self, now: Instant) {
        self.calls.start_keepalive(now);
    }

    /// The server sent something that is not taosAdapter's protocol: nothing it says can be
    /// trusted any more (which reply belongs to which call?), so every call in flight fails at
    /// once — none is sent again — and the socket is dropped (then reconnected, see
    /// [`reconnect`]).
    fn protocol_violation(&mut self, what: String) {
        let reason = format!("protocol violation: the server sent {what}");
        if self.state == State::Connected {
            let err = Error::connection(format!("connection closed: {reason}"));
            for (req_id, p) in self.calls.take_all_keyed() {
                match p.waiting.call() {
                    Some(call) => self.complete(call, Err(err.clone())),
                    // The login's own requests (none while connected) and re-runs stay.
                    None => self.calls.hold(req_id, p),
                }
            }
        }
        self.handle_disconnect(&reason);
    }

    /// A completion nobody will read (its caller went away after the session completed it):
    /// frees on the server what it produced, exactly as [`Session::cancel`] would have.
    pub fn discard(&mut self, outcome: Result<Reply>) {
        match outcome {
            Ok(Reply::Query(info) | Reply::Rows { info, .. }) if info.result_id != 0 => self.free_result(info.result_id),
            Ok(Reply::StmtInit { stmt_id }) => self.abandon_statement(stmt_id),
            _ => {}
        }
    }

    /// Number of results the server still holds for us.
    pub fn open_results(&self) -> usize {
        self.results.values().filter(|r| r.is_open()).count()
    }

    /// Number of statements open on the server.
    pub fn open_statements(&self) -> usize {
        self.stmts.len()
    }

    /// The socket is gone. A connected session with `retries > 0` reconnects (see
    /// [`reconnect`]); otherwise every pending call fails with a Connection error and the
    /// session is closed for good.
    pub fn handle_disconnect(&mut self, reason: &str) {
        match self.state {
            State::Connected if self.options.retries > 0 => self.start_reconnect(reason),
            State::Reconnecting => self.attempt_failed(reason),
            State::Closed => {}
            State::Closing => {
                self.fail_everything(Error::connection(format!("connection closed: {reason}")));
                self.calls.push_event(Event::Closed { error: None });
            }
            State::Idle | State::Connecting | State::Connected => {
                let err = Error::connection(format!("connection closed: {reason}"));
                self.fail_everything(err.clone());
                self.calls.push_event(Event::Closed { error: Some(err) });
            }
        }
    }

    fn fail_everything(&mut self, err: Error) {
        for call in self.fetches_waiting_for_reruns() {
            self.complete(call, Err(err.clone()));
        }
        self.state = State::Closed;
        self.reconnect = None;
        self.results.clear();
        self.stmts.clear();
        let pending = self.calls.take_all();
        if let Some(call) = self.connect.take().and_then(|p| p.call) {
            self.complete(call, Err(err.clone()));
        }
        for p in pending {
            if let Some(call) = p.waiting.call() {
                self.complete(call, Err(err.clone()));
            }
        }
        self.calls.reset();
    }

    /// A frame from the server. Well-formed replies that match no pending call are ignored; a
    /// frame that is not taosAdapter's protocol is a protocol violation.
    pub fn handle_frame(&mut self, frame: Frame) {
        self.calls.heard();
        match frame {
            Frame::Text(text) => self.handle_text(&text),
            Frame::Binary(bytes) => self.handle_binary(bytes),
            Frame::Close => self.handle_disconnect("the server closed the connection"),
            Frame::Ping(_) | Frame::Pong(_) => {}
        }
    }

    fn handle_text(&mut self, text: &str) {
        let reply = match JsonReply::parse(text) {
            Ok(reply) if !reply.action.is_empty() => reply,
            Ok(_) => return self.protocol_violation(format!("a JSON reply without an action: {}", message::preview(text))),
            Err(e) => return self.protocol_violation(e.message),
        };
        // Binary requests the server refuses before reading them (e.g. "server not connected")
        // are answered in JSON under the binary action's name.
        let Some(action) = Action::from_name(&reply.action) else { return };
        let Some(p) = self.take_pending(reply.req_id, |e| e.fits_json(action)) else { return };
        match p.waiting {
            Waiting::Version => self.on_version(reply),
            Waiting::Conn => self.on_conn(reply),
            Waiting::Options => self.on_options(reply),
            Waiting::Query { call, sql, ahead } => self.on_query(call, sql, ahead, reply),
            Waiting::Rerun { result } => self.on_rerun(result, reply),
            Waiting::Fetch { reader, result_id } => self.on_fetch_refused(reader, result_id, reply),
            Waiting::Stmt { call, op } => self.on_stmt_reply(call, op, reply),
            Waiting::Schemaless { call, request } => self.on_schemaless(call, &request, reply),
            Waiting::Describe { call, job, result_id: None } => self.on_describe_query(call, job, reply),
            Waiting::Describe { call, result_id: Some(_), .. } => {
                let err = reply
                    .check(ErrorKind::Statement)
                    .err()
                    .unwrap_or_else(|| Error::internal("server answered fetch_raw_block with a JSON success"));
                self.complete(call, Err(err));
            }
        }
    }

    fn handle_binary(&mut self, bytes: Bytes) {
        let Some((action, req_id)) = message::binary_reply_key(&bytes) else {
            return self.protocol_violation(format!(
                "a binary frame of {} bytes that is no reply ({})",
                bytes.len(),
                message::hex_preview(&bytes)
            ));
        };
        let expected = match action {
            message::ACTION_FETCH_RAW_BLOCK => Action::FetchRawBlock,
            _ => return,
        };
        let Some(p) = self.take_pending(req_id, |e| e == Expect::Binary(expected)) else { return };
        match p.waiting {
            Waiting::Fetch { reader, result_id } => self.on_block(reader, result_id, bytes),
            Waiting::Describe { call, job, result_id: Some(result_id) } => {
                self.on_describe_block(call, job, result_id, &bytes)
            }
            _ => {}
        }
    }

    fn take_pending(&mut self, req_id: u64, matches: impl Fn(Expect) -> bool) -> Option<Pending> {
        self.calls.take(req_id, |p| matches(p.expect))
    }

    fn check_connected(&self) -> Result<()> {
        match self.state {
            // While reconnecting, calls wait for the new socket (bounded by their deadline).
            State::Connected | State::Reconnecting => Ok(()),
            State::Idle | State::Connecting => Err(Error::connection("not connected yet")),
            State::Closing | State::Closed => Err(Error::connection("connection is closed")),
        }
    }

    /// A new call that fails at once when the session is not connected.
    fn start_call(&mut self) -> (CallId, Result<()>) {
        let call = self.new_call();
        (call, self.check_connected())
    }

    /// Sends a request that must not be repeated on a new socket once sent (see [`reconnect`]).
    fn send(&mut self, req_id: u64, expect: Expect, waiting: Waiting, frame: Frame) {
        let why = match waiting {
            Waiting::Stmt { .. } | Waiting::Describe { .. } => "prepared statements do not survive a reconnect",
            Waiting::Fetch { .. } => "the result it reads was lost",
            _ => "it may not be repeated",
        };
        let replay = self.replay_for(&frame, Some(why));
        self.send_with(req_id, expect, waiting, frame, replay);
    }

    /// Sends a request, or holds it while reconnecting (the login's own requests excepted).
    fn send_with(&mut self, req_id: u64, expect: Expect, waiting: Waiting, frame: Frame, replay: Replay) {
        let hold = self.state == State::Reconnecting && waiting.call().is_some() && matches!(replay, Replay::Held(..));
        let pending = Pending { expect, waiting, replay };
        if hold {
            self.calls.hold(req_id, pending);
        } else {
            self.calls.send(req_id, pending, frame);
        }
    }

    fn send_json(&mut self, req_id: u64, action: Action, waiting: Waiting, text: String) {
        self.send(req_id, Expect::Json(action), waiting, Frame::Text(text));
    }

    /// A request nobody waits for (free_result, close of an abandoned statement).
    fn send_unanswered(&mut self, text: String) {
        // While reconnecting there is nothing to free: the server forgot it with the socket.
        if self.state == State::Connected || self.state == State::Closing {
            self.calls.push_frame(Frame::Text(text));
        }
    }

    fn new_call(&mut self) -> CallId {
        self.calls.new_call()
    }

    fn alloc_req_id(&mut self) -> u64 {
        self.calls.alloc_req_id()
    }

    fn resolve_req_id(&mut self, req_id: Option<u64>) -> Result<u64> {
        self.calls.resolve_req_id(req_id)
    }

    fn complete(&mut self, call: CallId, outcome: Result<Reply>) {
        if let Some(abandoned) = self.calls.complete(call, outcome) {
            // Nobody waits: free what the reply produced instead of handing it out.
            self.discard(abandoned);
        }
    }
}

impl Conversation for Session {
    fn connect(&mut self, now: Instant) -> CallId {
        Session::connect(self, now)
    }
    fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Option<Duration>) {
        Session::set_deadline(self, call, now, timeout)
    }
    fn close(&mut self, now: Instant) {
        Session::close(self, now)
    }
    fn cancel(&mut self, call: CallId) {
        Session::cancel(self, call)
    }
    fn discard(&mut self, outcome: Result<Reply>) {
        Session::discard(self, outcome)
    }
    fn poll_transmit(&mut self) -> Option<Frame> {
        Session::poll_transmit(self)
    }
    fn handle_frame(&mut self, frame: Frame, _now: Instant) {
        Session::handle_frame(self, frame)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Session::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Session::handle_timeout(self, now)
    }
    fn handle_disconnect(&mut self, reason: &str, _now: Instant) {
        Session::handle_disconnect(self, reason)
    }
    fn poll_event(&mut self) -> Option<Event> {
        Session::poll_event(self)
    }
    fn is_closed(&self) -> bool {
        Session::is_closed(self)
    }
    fn is_finished(&self) -> bool {
        Session::is_finished(self)
    }
    fn poll_socket(&mut self) -> Option<SocketCommand> {
        Session::poll_socket(self)
    }
    fn handle_socket_opened(&mut self, now: Instant) {
        Session::handle_socket_opened(self, now)
    }
    fn handle_socket_failed(&mut self, now: Instant, reason: &str) {
        Session::handle_socket_failed(self, now, reason)
    }
}

/// The error of a call made in the wrong state of the session or a statement.
fn programming(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Programming, message)
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_resilience;
#[cfg(test)]
mod tests_reconnect;
#[cfg(test)]
mod tests_batches;
