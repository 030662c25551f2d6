//! `NativeSession`: the sans-IO session (`taosjs_core::Session`) for a driver written in
//! JavaScript, which owns the socket (the runtime's `WebSocket`) and the clock. It is the whole
//! surface of the WebAssembly build, where nothing in Rust does I/O or waits: every method is
//! synchronous and returns at once.
//!
//! The driver (`src/session-driver.ts`) starts calls (each returns a call id) and gives each its
//! deadline (`setDeadline`), sends what `pollTransmit` gives, feeds what arrives to
//! `handleText`/`handleBinary`/`handlePong`, sleeps until `pollTimeout` and then calls
//! `handleTimeout`, and settles its promises from `pollEvent`. Time is milliseconds since an
//! origin the driver chose. Deadlines, keepalive, protocol violations, `maxOpenResults` and
//! reconnects are the session's decisions, exactly as under the tokio driver: the driver opens
//! and drops sockets when `pollSocket` says so, and hands the connection's events
//! (`Reconnecting`, `Reconnected`, `Closed`, from `pollEvent`) to the facade. Replies cross as the same objects the
//! tokio-driven classes hand out (`fields.rs`, `block.rs`), blocks already decoded into columns.

use std::sync::{Arc, Mutex, Once};
use std::time::Duration;

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use taosjs_core::{
    ConnectConfig, Error as CoreError, ErrorKind, Event, Frame, Instant, KeepaliveProbe, Reply, Scheme, Session,
    SessionOptions, SocketCommand, Stmt2InitOptions,
};

use crate::tmq::{offsets, NativeAssignment, NativeMessage};
use crate::bind::{to_core_columns, NativeBindColumn};
use crate::block::{pack, Batch, Block, Info};
use crate::error::{js_error, native_message};
use crate::fields::{stmt_field, NativeStmt2Prepared, NativeStmtField};
use crate::options::{connect_config, req_id_of, schemaless_request, NativeConnectOptions, NativeSchemalessOptions};

/// A frame for the driver to send.
#[napi(discriminant = "kind")]
pub enum NativeFrame {
    Text { text: String },
    Binary {
        #[napi(ts_type = "Uint8Array")]
        data: Bytes,
    },
    /// Close the WebSocket (the goodbye after `close`).
    Close,
    /// A keepalive ping (only from a session told that its driver can send one); report the
    /// pong with `handlePong`.
    Ping {
        #[napi(ts_type = "Uint8Array")]
        data: Bytes,
    },
}

/// What a completed call produced.
#[napi(discriminant = "kind", object_from_js = false)]
pub enum NativeReply {
    /// `connect`: logged in.
    Connected { server_version: String },
    /// A statement ran; with `hasRows`, `resultId` names its open result.
    ///
    /// `packed` is the result's description in `block.rs`'s layout (the native addon's `take`).
    Query {
        result_id: BigInt,
        has_rows: bool,
        #[napi(ts_type = "Uint8Array")]
        packed: Bytes,
    },
    /// `fetchBlock`: the next block, or none once the result is exhausted.
    /// The next block, packed (`block.rs`; flagged finished once the result is exhausted): one
    /// buffer crosses, whatever the columns.
    Batch {
        #[napi(ts_type = "Uint8Array")]
        packed: Bytes,
    },
    /// `stmt2Init` / `stmtInit`.
    StmtInit { stmt_id: BigInt },
    Stmt2Prepared { prepared: NativeStmt2Prepared },
    /// stmt v1 `prepare`.
    StmtPrepared { is_insert: bool },
    /// stmt v1 `get_tag_fields` / `get_col_fields`.
    StmtFields { fields: Vec<NativeStmtField> },
    /// `stmt2Exec` / `stmtExec`: rows written.
    Affected { rows: i64 },
    /// A call that returns nothing.
    Done,
    /// `schemalessInsert`.
    Schemaless { affected_rows: i64 },
    /// A consumer's `poll`: the message, or none when the poll's time ran out.
    TmqMessage { message: Option<NativeMessage> },
    /// A consumer's `assignment`.
    TmqAssignment { assignment: Vec<NativeAssignment> },
    /// A consumer's `committed` / `position`: one offset per partition asked (null: none).
    TmqOffsets { offsets: Vec<Option<BigInt>> },
    /// A consumer's `listTopics`.
    TmqTopics { topics: Vec<String> },
}

/// What the session reports: a call's completion (`reply`, or `error` as `"<Class>: [0xCODE]
/// text"`, what the tokio-driven classes reject with, parsed by `src/errors.ts`), or an event of
/// the connection's life (the same as the tokio driver's `NativeEvent`s).
#[napi(discriminant = "kind", object_from_js = false)]
pub enum NativeSessionEvent {
    Completed { call: u32, reply: Option<NativeReply>, error: Option<String> },
    /// The connection is lost (or an attempt failed): attempt `attempt` starts after `delayMs`.
    Reconnecting { attempt: u32, delay_ms: f64, reason: String },
    /// Logged in again through `endpoint` (`host:port`).
    Reconnected { attempt: u32, endpoint: String },
    /// Closed for good: by `close` (no error) or lost and not restored.
    Closed { error: Option<String> },
}

/// What the session asks of the driver's socket.
#[napi(discriminant = "kind", object_from_js = false)]
pub enum NativeSocketCommand {
    /// Open a WebSocket to `url` (the endpoint's), then report `handleSocketOpened` or
    /// `handleSocketFailed`.
    Open { url: String },
    /// Drop the current socket, or the attempt to open one, without a goodbye.
    Close,
}

/// The message of the last Rust panic, kept for the driver: in the WebAssembly build a panic
/// aborts (a trap, which JS sees as `RuntimeError: unreachable`), so the message would be lost.
static LAST_PANIC: Mutex<Option<String>> = Mutex::new(None);
static PANIC_HOOK: Once = Once::new();

fn keep_panic_messages() {
    PANIC_HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let text = match (info.payload().downcast_ref::<&str>(), info.payload().downcast_ref::<String>()) {
                (Some(s), _) => (*s).to_owned(),
                (None, Some(s)) => s.clone(),
                (None, None) => "unknown panic".to_owned(),
            };
            let at = info.location().map(|l| format!(" at {}:{}", l.file(), l.line())).unwrap_or_default();
            if let Ok(mut last) = LAST_PANIC.lock() {
                *last = Some(format!("{text}{at}"));
            }
            previous(info);
        }));
    });
}

/// The message of the last Rust panic (then forgotten), for the driver's error after a trap.
#[napi]
pub fn take_panic_message() -> Option<String> {
    LAST_PANIC.lock().ok().and_then(|mut last| last.take())
}

/// A frame for the driver to send; none for a pong (the WebSocket library answers the server's
/// pings itself).
pub(crate) fn outgoing(frame: Frame) -> Option<NativeFrame> {
    Some(match frame {
        Frame::Text(text) => NativeFrame::Text { text },
        Frame::Binary(bytes) => NativeFrame::Binary { data: Vec::from(bytes).into() },
        Frame::Close => NativeFrame::Close,
        Frame::Ping(bytes) => NativeFrame::Ping { data: bytes.into() },
        Frame::Pong(_) => return None,
    })
}

/// A call's completion as the driver reads it; `error_of` says what the caller sees of an error.
pub(crate) fn completed(call: taosjs_core::CallId, outcome: Result<Reply, CoreError>, error_of: impl Fn(CoreError) -> CoreError) -> NativeSessionEvent {
    let (reply, error) = match outcome.and_then(reply) {
        Ok(r) => (Some(r), None),
        Err(e) => (None, Some(native_message(&error_of(e)))),
    };
    NativeSessionEvent::Completed { call: call_id(call), reply, error }
}

#[napi]
pub struct NativeSession {
    session: Session,
    config: ConnectConfig,
}

pub(crate) fn instant(ms: f64) -> Instant {
    // NaN and negative times (a clock the driver misread) count as the origin.
    Instant::from_origin(Duration::from_secs_f64(if ms.is_finite() && ms > 0.0 { ms / 1000.0 } else { 0.0 }))
}

pub(crate) fn call_id(call: taosjs_core::CallId) -> u32 {
    // Call ids count up from 1 per session; 4 billion calls on one connection wrap the JS side's
    // map key, never the session's own id.
    call.0 as u32
}

fn id_of(value: BigInt, what: &str) -> napi::Result<u64> {
    let (negative, id, lossless) = value.get_u64();
    if negative || !lossless {
        return Err(js_error(ErrorKind::Interface, format!("{what} must be an unsigned 64-bit integer")));
    }
    Ok(id)
}

/// The bytes of a packed batch and of binary frames: a Node.js `Buffer` from the native addon; a
/// plain `Uint8Array` from the WebAssembly build, which also runs where there is no `Buffer`.
#[cfg(not(target_family = "wasm"))]
pub type Bytes = napi::bindgen_prelude::Buffer;
#[cfg(target_family = "wasm")]
pub type Bytes = Uint8Array;

/// A batch in the packed layout the facade reads for every transport (`block.rs`).
pub(crate) fn packed(info: Option<&Info<'_>>, batch: &Batch) -> Result<Bytes, CoreError> {
    pack(info, batch).map(Bytes::from)
}

/// A statement's outcome: its description packed with the blocks that came with it.
fn query_reply(info: &taosjs_core::QueryInfo, first: &Batch) -> Result<NativeReply, CoreError> {
    let has_rows = info.result_id != 0;
    let described = Info { affected_rows: info.affected_rows, has_rows, precision: info.precision, fields: &info.fields };
    Ok(NativeReply::Query { result_id: BigInt::from(info.result_id), has_rows, packed: packed(Some(&described), first)? })
}

pub(crate) fn reply(reply: Reply) -> Result<NativeReply, CoreError> {
    Ok(match reply {
        Reply::Connected { server_version } => NativeReply::Connected { server_version },
        Reply::Query(info) => {
            let has_rows = info.result_id != 0;
            let first = if has_rows { Batch::default() } else { Batch::finished() };
            query_reply(&info, &first)?
        }
        Reply::Rows { info, batch } => query_reply(&info, &Batch::from(batch))?,
        Reply::Block(None) => NativeReply::Batch { packed: packed(None, &Batch::finished())? },
        Reply::Block(Some(block)) => NativeReply::Batch { packed: packed(None, &Batch { blocks: vec![Block::Fetched(block)], ..Batch::default() })? },
        Reply::Batch(batch) => NativeReply::Batch { packed: packed(None, &Batch::from(batch))? },
        Reply::StmtInit { stmt_id } => NativeReply::StmtInit { stmt_id: BigInt::from(stmt_id) },
        Reply::Stmt2Prepared(p) => NativeReply::Stmt2Prepared { prepared: NativeStmt2Prepared::from(&p) },
        Reply::StmtPrepared { is_insert, .. } => NativeReply::StmtPrepared { is_insert },
        Reply::StmtFields(fields) => NativeReply::StmtFields { fields: fields.iter().map(stmt_field).collect() },
        Reply::Affected(rows) => NativeReply::Affected { rows },
        Reply::Done => NativeReply::Done,
        Reply::Schemaless(r) => NativeReply::Schemaless { affected_rows: r.affected_rows },
        Reply::TmqMessage(m) => NativeReply::TmqMessage { message: m.map(|m| NativeMessage::new(Arc::from(m))) },
        Reply::TmqAssignment(a) => NativeReply::TmqAssignment { assignment: a.into_iter().map(Into::into).collect() },
        Reply::TmqOffsets(o) => NativeReply::TmqOffsets { offsets: offsets(o) },
        Reply::TmqTopics(topics) => NativeReply::TmqTopics { topics },
        #[allow(unreachable_patterns)] // `Reply` is non-exhaustive: new calls add variants.
        other => return Err(CoreError::internal(format!("the session gave a reply this binding does not know: {other:?}"))),
    })
}

#[napi]
impl NativeSession {
    /// A session for the DSN (default `ws://root:taosdata@localhost:6041`) with `options` over
    /// it. `runtime` names where the driver runs (`Chromium 140`, `Node.js v20.20.2`), for the
    /// errors of what it cannot do. `canPing`: the driver's WebSocket can send pings (Node.js's
    /// `ws`); otherwise (a browser's `WebSocket`) keepalive probes with taosAdapter's `version`
    /// request instead.
    #[napi(constructor)]
    pub fn new(dsn: Option<String>, options: Option<NativeConnectOptions>, runtime: String, can_ping: bool) -> napi::Result<Self> {
        keep_panic_messages();
        let config = connect_config(dsn.as_deref(), options)?;
        match config.scheme {
            Scheme::Ws | Scheme::Wss => {}
            // REST has its own driver (`NativeRestTarget`, picked by `isRestDsn`): what is left is taos://.
            other => {
                return Err(js_error(
                    ErrorKind::NotSupported,
                    format!(
                        "{}:// connections are not available in {runtime}, where taosjs runs as WebAssembly and reaches \
                         TDengine only through taosAdapter: use a ws:// or wss:// DSN (or http:// or https:// for REST)",
                        other.as_str()
                    ),
                ))
            }
        }
        if config.endpoints.is_empty() {
            return Err(js_error(ErrorKind::Programming, "the DSN names no host to connect to"));
        }
        let probe = if can_ping { KeepaliveProbe::Ping } else { KeepaliveProbe::Version };
        let options = SessionOptions { keepalive_probe: probe, ..SessionOptions::from(&config) };
        Ok(NativeSession { session: Session::new(options), config })
    }

    /// The WebSocket URL of each endpoint, in the order to try them.
    #[napi(getter, catch_unwind)]
    pub fn urls(&self) -> Vec<String> {
        self.config.endpoints.iter().map(|e| self.config.url(e)).collect()
    }

    /// How long opening each endpoint's WebSocket may take (the login is the session's own timer).
    #[napi(getter, catch_unwind)]
    pub fn connect_timeout_ms(&self) -> f64 {
        self.config.connect_timeout.as_secs_f64() * 1000.0
    }

    /// The PEM CA given in the options (`wss://` with a private CA), for a driver that can use it.
    #[napi(getter, catch_unwind)]
    pub fn tls_ca(&self) -> Option<String> {
        self.config.tls_ca_pem.clone()
    }

    /// The PEM client certificate chain and key given in the options, for a driver that can use
    /// them.
    #[napi(getter, catch_unwind)]
    pub fn tls_cert(&self) -> Option<String> {
        self.config.tls_cert_pem.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn tls_key(&self) -> Option<String> {
        self.config.tls_key_pem.clone()
    }

    /// `false` when the options accept any server certificate (`rejectUnauthorized: false`).
    #[napi(getter, catch_unwind)]
    pub fn tls_verify(&self) -> bool {
        self.config.tls_verify
    }

    /// The timezone of the DSN or the options, if one was set (results' Arrow timestamps).
    #[napi(getter, catch_unwind)]
    pub fn timezone(&self) -> Option<String> {
        self.config.timezone.clone()
    }

    /// No call can be made any more: closed, or the server went away.
    #[napi(getter, catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.session.is_closed()
    }

    /// The driver can drop the socket: the goodbye is over, or the peer is gone.
    #[napi(getter, catch_unwind)]
    pub fn is_finished(&self) -> bool {
        self.session.is_finished()
    }

    /// Logs in on the open socket; completes with `Connected`.
    #[napi(catch_unwind)]
    pub fn connect(&mut self, now_ms: f64) -> u32 {
        call_id(self.session.connect(instant(now_ms)))
    }

    /// Frees open results, closes statements and queues the goodbye (bounded by a timer).
    #[napi(catch_unwind)]
    pub fn close(&mut self, now_ms: f64) {
        self.session.close(instant(now_ms));
    }

    /// `call` must complete within `timeoutMs` (absent: the connection's `requestTimeoutMs`) of
    /// `nowMs`, or it completes with a TimeoutError and what it holds on the server is freed.
    /// The driver calls it right after starting the call.
    #[napi(catch_unwind)]
    pub fn set_deadline(&mut self, call: u32, now_ms: f64, timeout_ms: Option<u32>) {
        let timeout = timeout_ms.map(|ms| Duration::from_millis(u64::from(ms)));
        self.session.set_deadline(taosjs_core::CallId(u64::from(call)), instant(now_ms), timeout);
    }

    /// The caller went away: whatever the call's reply produces is freed when it arrives.
    #[napi(catch_unwind)]
    pub fn cancel(&mut self, call: u32) {
        self.session.cancel(taosjs_core::CallId(u64::from(call)));
    }

    // ----- moving frames and time --------------------------------------------------------------

    #[napi(catch_unwind)]
    pub fn poll_transmit(&mut self) -> Option<NativeFrame> {
        loop {
            if let Some(frame) = outgoing(self.session.poll_transmit()?) {
                return Some(frame);
            }
        }
    }

    #[napi(catch_unwind)]
    pub fn handle_text(&mut self, text: String) {
        self.session.handle_frame(Frame::Text(text));
    }

    #[napi(catch_unwind)]
    pub fn handle_binary(&mut self, data: Uint8Array) {
        self.session.handle_frame(Frame::Binary(data.to_vec().into()));
    }

    /// The answer to a keepalive ping arrived.
    #[napi(catch_unwind)]
    pub fn handle_pong(&mut self, data: Uint8Array) {
        self.session.handle_frame(Frame::Pong(data.to_vec()));
    }

    /// The socket is gone: every pending call fails with a ConnectionError naming `reason`.
    #[napi(catch_unwind)]
    pub fn handle_disconnect(&mut self, reason: String) {
        self.session.handle_disconnect(&reason);
    }

    /// When `handleTimeout` is due next (ms since the driver's origin); null when no timer is armed.
    #[napi(catch_unwind)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.session.poll_timeout().map(|at| at.since_origin().as_secs_f64() * 1000.0)
    }

    #[napi(catch_unwind)]
    pub fn handle_timeout(&mut self, now_ms: f64) {
        self.session.handle_timeout(instant(now_ms));
    }

    /// The next completion or event, or null.
    #[napi(catch_unwind)]
    pub fn poll_event(&mut self) -> Option<NativeSessionEvent> {
        loop {
            return Some(match self.session.poll_event()? {
                Event::Completed { call, outcome } => completed(call, outcome, |e| e),
                Event::Reconnecting { attempt, delay, reason } => {
                    NativeSessionEvent::Reconnecting { attempt, delay_ms: delay.as_secs_f64() * 1000.0, reason }
                }
                Event::Reconnected { attempt, endpoint } => {
                    let endpoint = self.config.endpoints.get(endpoint).map(ToString::to_string).unwrap_or_default();
                    NativeSessionEvent::Reconnected { attempt, endpoint }
                }
                Event::Closed { error } => NativeSessionEvent::Closed { error: error.map(|e| native_message(&e)) },
                #[allow(unreachable_patterns)] // `Event` is non-exhaustive: skip what this binding does not know.
                _ => continue,
            });
        }
    }

    /// The next thing the driver must do with its socket (reconnects are the session's decisions).
    #[napi(catch_unwind)]
    pub fn poll_socket(&mut self) -> Option<NativeSocketCommand> {
        Some(match self.session.poll_socket()? {
            SocketCommand::Open { endpoint } => {
                let url = self.config.endpoints.get(endpoint).map(|e| self.config.url(e)).unwrap_or_default();
                NativeSocketCommand::Open { url }
            }
            SocketCommand::Close => NativeSocketCommand::Close,
        })
    }

    /// The socket asked for with `Open` is open: the session logs in on it.
    #[napi(catch_unwind)]
    pub fn handle_socket_opened(&mut self, now_ms: f64) {
        self.session.handle_socket_opened(instant(now_ms));
    }

    /// The socket asked for could not be opened: the session tries the next endpoint, backs off,
    /// or gives up.
    #[napi(catch_unwind)]
    pub fn handle_socket_failed(&mut self, now_ms: f64, reason: String) {
        self.session.handle_socket_failed(instant(now_ms), &reason);
    }

    /// Panics on purpose, so tests can check what a panic inside the module does to a connection
    /// (in the WebAssembly build: a trap that closes it). Not part of the public API.
    #[napi(js_name = "__panicForTests", catch_unwind)]
    pub fn panic_for_tests(&mut self) {
        if std::hint::black_box(true) {
            panic!("deliberate test panic");
        }
    }

    // ----- calls: each returns its call id and completes through pollEvent ----------------------

    /// The number of `?` placeholders in `sql` (outside quotes and comments); no I/O.
    #[napi(catch_unwind)]
    pub fn placeholders(&self, sql: String) -> u32 {
        u32::try_from(taosjs_core::sql::placeholders(&sql)).unwrap_or(u32::MAX)
    }

    #[napi(getter, catch_unwind)]
    pub fn server_version(&self) -> String {
        self.session.server_version().unwrap_or_default().to_owned()
    }

    #[napi(catch_unwind)]
    pub fn query(&mut self, sql: String, req_id: Option<BigInt>) -> napi::Result<u32> {
        let req_id = req_id_of(req_id)?;
        Ok(call_id(self.session.query(&sql, req_id)))
    }

    /// A query answered with up to `blocks` first blocks of its result (`Query`, its `packed`
    /// carrying them); the rest with `fetchBatch`.
    #[napi(catch_unwind)]
    pub fn query_rows(&mut self, sql: String, req_id: Option<BigInt>, blocks: u32) -> napi::Result<u32> {
        let req_id = req_id_of(req_id)?;
        Ok(call_id(self.session.query_rows(&sql, req_id, blocks as usize)))
    }

    #[napi(catch_unwind)]
    pub fn fetch_block(&mut self, result_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.fetch_block(id_of(result_id, "resultId")?)))
    }

    /// The next blocks of a result, up to `blocks` (`Batch`).
    #[napi(catch_unwind)]
    pub fn fetch_batch(&mut self, result_id: BigInt, blocks: u32) -> napi::Result<u32> {
        Ok(call_id(self.session.fetch_batch(id_of(result_id, "resultId")?, blocks as usize)))
    }

    #[napi(catch_unwind)]
    pub fn free_result(&mut self, result_id: BigInt) -> napi::Result<()> {
        self.session.free_result(id_of(result_id, "resultId")?);
        Ok(())
    }

    #[napi(catch_unwind)]
    pub fn stmt2_init(&mut self, req_id: Option<BigInt>, single_stb_insert: bool, single_table_bind_once: bool) -> napi::Result<u32> {
        let req_id = req_id_of(req_id)?;
        Ok(call_id(self.session.stmt2_init(Stmt2InitOptions { req_id, single_stb_insert, single_table_bind_once })))
    }

    #[napi(catch_unwind)]
    pub fn stmt2_prepare(&mut self, stmt_id: BigInt, sql: String) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt2_prepare(id_of(stmt_id, "stmtId")?, &sql)))
    }

    /// A bind packed into one buffer (`src/bind-pack.ts`, layout in `taosjs_core::packed`): the
    /// session checks it against the placeholders and encodes it, reading the values in place.
    #[napi(catch_unwind)]
    pub fn stmt2_bind_packed(&mut self, stmt_id: BigInt, packed: Uint8Array) -> napi::Result<u32> {
        let stmt_id = id_of(stmt_id, "stmtId")?;
        Ok(call_id(self.session.stmt2_bind_packed(stmt_id, &packed)))
    }

    #[napi(catch_unwind)]
    pub fn stmt2_exec(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt2_exec(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt2_result(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt2_result(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt2_close(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt2_close(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_init(&mut self) -> u32 {
        call_id(self.session.stmt_init())
    }

    #[napi(catch_unwind)]
    pub fn stmt_prepare(&mut self, stmt_id: BigInt, sql: String) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_prepare(id_of(stmt_id, "stmtId")?, &sql)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_set_table_name(&mut self, stmt_id: BigInt, name: String) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_set_table_name(id_of(stmt_id, "stmtId")?, &name)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_set_tags(&mut self, stmt_id: BigInt, tags: Vec<NativeBindColumn>) -> napi::Result<u32> {
        let (stmt_id, tags) = (id_of(stmt_id, "stmtId")?, to_core_columns(&tags)?);
        Ok(call_id(self.session.stmt_set_tags(stmt_id, tags)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_bind(&mut self, stmt_id: BigInt, columns: Vec<NativeBindColumn>) -> napi::Result<u32> {
        let (stmt_id, columns) = (id_of(stmt_id, "stmtId")?, to_core_columns(&columns)?);
        Ok(call_id(self.session.stmt_bind(stmt_id, columns)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_add_batch(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_add_batch(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_exec(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_exec(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_tag_fields(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_get_tag_fields(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_col_fields(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_get_col_fields(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_use_result(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_use_result(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn stmt_close(&mut self, stmt_id: BigInt) -> napi::Result<u32> {
        Ok(call_id(self.session.stmt_close(id_of(stmt_id, "stmtId")?)))
    }

    #[napi(catch_unwind)]
    pub fn schemaless_insert(&mut self, lines: Vec<String>, options: NativeSchemalessOptions) -> napi::Result<u32> {
        let request = schemaless_request(lines, options)?;
        Ok(call_id(self.session.schemaless_insert(request)))
    }
}
