//! tokio driver for taosjs-core (see docs/architecture.md): one task per connection owns the
//! WebSocket and a sans-IO conversation — the SQL [`Session`] behind [`Client`], the TMQ
//! consumer behind [`Consumer`]; handles send it commands over a channel and wait on a oneshot
//! each. The driver only moves frames and time; every protocol decision — request ids, results,
//! statements, messages, offsets, the login timeout, per-call deadlines, the goodbye, what an
//! abandoned call frees — is the core's.
//!
//! API (stable for the napi layer): `Client::connect(ConnectConfig)`, `server_version`,
//! `is_closed`, `events` (reconnecting, reconnected, closed: [`ConnectionEvent`]), `query`,
//! `fetch_block`, `free_result`, `close`; the write paths `stmt2_*` (init, prepare, bind, exec,
//! result, close), stmt v1 `stmt_*` and `schemaless_insert` (see each method; the bind input
//! model is [`taosjs_core::bind`]); the consumer in [`consumer`]. A lost connection is
//! reconnected when the session says so (`SocketCommand`). `wss://` uses rustls with the
//! options of Node's `tls` (`tls.rs`: `ca`, `cert`/`key`, `rejectUnauthorized`).
//! `ConnectConfig::connect_timeout` (default 10 s) bounds each endpoint's upgrade here and the
//! login in the session. Dropping the future of a call cancels it through the conversation
//! ([`Conversation::cancel`]): what its reply produces is freed on the server. On wasm32 the crate
//! compiles but `connect` returns NotSupported: there the JavaScript driver
//! (`src/session-driver.ts`) moves the core's session through the binding's `session.rs`.
//!
//! REST (`http://`, `https://`) is [`RestClient`] (module `rest`): one HTTP request per statement,
//! the request and the decoding of the answer from `taosjs_core::rest`. TLS for `wss://` and
//! `https://` is one rustls configuration (`tls::client_config`).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};

pub use taosjs_core::{
    BindColumn, BlockBatch, BindTable, BindType, ColumnValues, ConnectConfig, DataType, Error, ErrorKind, FetchedBlock, QueryInfo,
    SchemalessPrecision, SchemalessProtocol, SchemalessRequest, SchemalessResult, Stmt2InitOptions, Stmt2Prepared,
    StmtField, VarData,
};
use taosjs_core::{CallId, Conversation, Instant, Reply, Session};
#[cfg(not(target_family = "wasm"))]
use taosjs_core::SessionOptions;

pub mod consumer;
#[cfg(not(target_family = "wasm"))]
mod driver;
#[cfg(not(target_family = "wasm"))]
pub mod rest;
#[cfg(not(target_family = "wasm"))]
mod tls;

pub use consumer::Consumer;
#[cfg(not(target_family = "wasm"))]
pub use rest::RestClient;

/// A connection handle: cheap to clone, usable from many tasks at once. The connection closes
/// when `close` is called or the last handle is dropped.
#[derive(Clone)]
pub struct Client {
    handle: Arc<Handle<Session>>,
    server_version: Arc<str>,
    /// The deadline of this handle's calls; `None`: the connection's `request_timeout`.
    timeout: Option<Duration>,
}

/// What happens to a connection besides its calls (the session decides; see
/// `taosjs_core::session::reconnect`).
#[derive(Debug, Clone)]
pub enum ConnectionEvent {
    /// The connection is lost (or a reconnect attempt failed): attempt `attempt` starts after
    /// `delay`.
    Reconnecting { attempt: u32, delay: Duration, reason: String },
    /// Logged in again through `endpoint` (`host:port`).
    Reconnected { attempt: u32, endpoint: String },
    /// Closed for good: by `close` (`None`) or because it could not be restored.
    Closed { error: Option<Error> },
}

/// The caller's end of one connection task: sends it calls, cancels and closes.
pub(crate) struct Handle<P> {
    commands: mpsc::UnboundedSender<Command<P>>,
    /// What the callers share with the task: the conversation, and how many commands wait.
    #[cfg(not(target_family = "wasm"))]
    shared: Arc<driver::Shared<P>>,
    /// Set by the driver once the conversation accepts no more calls (closed for good).
    closed: Arc<AtomicBool>,
    next_ticket: AtomicU64,
    /// Taken by the first caller of [`Client::events`].
    events: std::sync::Mutex<Option<mpsc::UnboundedReceiver<ConnectionEvent>>>,
}

/// The starting half of a call, run in the driver task with the time.
pub(crate) type Start<P> = Box<dyn FnOnce(&mut P, Instant) -> CallId + Send>;

#[cfg_attr(target_family = "wasm", allow(dead_code))]
pub(crate) enum Command<P> {
    /// A call; `ticket` names it for a later `Cancel`; `timeout` bounds it (`None`: the
    /// conversation's request timeout).
    Call { ticket: u64, start: Start<P>, timeout: Option<Duration>, done: Done },
    /// The caller of `ticket` went away before its completion arrived.
    Cancel { ticket: u64 },
    /// A completion that reached a caller who had already gone away.
    Discard(Result<Reply, Error>),
    /// Something nobody waits for (free a result).
    Do(Box<dyn FnOnce(&mut P, Instant) + Send>),
    Close { done: oneshot::Sender<()> },
}

/// Where a call's outcome goes: to a future waiting for it, or into a [`Completion`] run in the
/// connection's task.
pub(crate) enum Done {
    Channel(oneshot::Sender<Result<Reply, Error>>),
    Callback(Completion),
}

/// A function that takes a call's outcome in the connection's task, exactly once: with the
/// outcome, or with a Connection error when the connection goes away first (a `Completion`
/// dropped unrun runs so). It must not block: it runs between the connection's frames. Saves the
/// task, channel and wake-up per call that awaiting a call costs (a binding settles its promise
/// from here).
pub(crate) struct Completion(Option<Box<dyn FnOnce(Result<Reply, Error>) + Send>>);

impl Completion {
    pub(crate) fn new(f: impl FnOnce(Result<Reply, Error>) + Send + 'static) -> Completion {
        Completion(Some(Box::new(f)))
    }

    /// Runs the function (a panic in it is caught: it must not end the connection's task).
    pub(crate) fn complete(mut self, outcome: Result<Reply, Error>) {
        if let Some(f) = self.0.take() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || f(outcome)));
        }
    }
}

impl Drop for Completion {
    fn drop(&mut self) {
        if let Some(f) = self.0.take() {
            let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || f(Err(closed()))));
        }
    }
}

pub(crate) fn closed() -> Error {
    Error::connection("connection is closed")
}

/// Cancels its call through the conversation when dropped before the completion was taken.
struct CallGuard<'h, P: Conversation> {
    ticket: u64,
    rx: Option<oneshot::Receiver<Result<Reply, Error>>>,
    handle: &'h Handle<P>,
}

impl<P: Conversation> Drop for CallGuard<'_, P> {
    fn drop(&mut self) {
        let Some(mut rx) = self.rx.take() else { return };
        rx.close();
        let command = match rx.try_recv() {
            // Completed, but nobody read it: the conversation frees what it produced.
            Ok(outcome) => Command::Discard(outcome),
            Err(_) => Command::Cancel { ticket: self.ticket },
        };
        let _ = self.handle.send(command);
    }
}

impl<P: Conversation> Handle<P> {
    /// Opens the socket at `path`, starts the task and waits for the login.
    #[cfg(not(target_family = "wasm"))]
    pub(crate) async fn open(config: &ConnectConfig, path: &'static str, conversation: P) -> Result<(Handle<P>, String), Error> {
        let ws = driver::open_socket(config, path).await?;
        let (commands, rx) = mpsc::unbounded_channel();
        let (connected_tx, connected_rx) = oneshot::channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let is_closed = Arc::new(AtomicBool::new(false));
        let reopen = driver::Reopen { config: config.clone(), path };
        let shared = driver::spawn(ws, reopen, conversation, connected_tx, rx, Arc::clone(&is_closed), events_tx);
        // The conversation bounds the login and answers in any case.
        let server_version = connected_rx.await.map_err(|_| closed())??;
        let events = std::sync::Mutex::new(Some(events_rx));
        Ok((Handle { commands, shared, closed: is_closed, next_ticket: AtomicU64::new(1), events }, server_version))
    }

    /// The connection's life, for the first caller only.
    pub(crate) fn events(&self) -> Option<mpsc::UnboundedReceiver<ConnectionEvent>> {
        self.events.lock().ok()?.take()
    }

    pub(crate) fn is_closed(&self) -> bool {
        self.closed.load(Ordering::Acquire)
    }

    /// Runs a call; `timeout` bounds it (`None`: the conversation's request timeout).
    pub(crate) async fn call(
        &self,
        timeout: Option<Duration>,
        start: impl FnOnce(&mut P, Instant) -> CallId + Send + 'static,
    ) -> Result<Reply, Error> {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let (done, rx) = oneshot::channel();
        self.send(Command::Call { ticket, start: Box::new(start), timeout, done: Done::Channel(done) })?;
        let mut guard = CallGuard { ticket, rx: Some(rx), handle: self };
        let outcome = match guard.rx.as_mut() {
            Some(rx) => rx.await,
            None => return Err(closed()),
        };
        guard.rx = None; // taken: nothing to cancel
        outcome.map_err(|_| closed())?
    }

    /// Runs a call whose outcome `done` takes where the conversation reports it (nothing to
    /// cancel: it is bounded by its deadline). When the connection's task has nothing queued,
    /// the call starts here and its request leaves from this thread: the task, parked until a
    /// frame arrives, is not woken to send it.
    pub(crate) fn call_with(
        &self,
        timeout: Option<Duration>,
        start: impl FnOnce(&mut P, Instant) -> CallId + Send + 'static,
        done: Completion,
    ) {
        let ticket = self.next_ticket.fetch_add(1, Ordering::Relaxed);
        let command = Command::Call { ticket, start: Box::new(start), timeout, done: Done::Callback(done) };
        #[cfg(not(target_family = "wasm"))]
        let Err(command) = self.shared.start_here(command) else { return };
        // Refused when the task is gone: the command, and so `done`, is dropped (closed error).
        let _ = self.send(command);
    }

    /// Runs `action` in the task; nobody waits for it.
    pub(crate) fn run(&self, action: impl FnOnce(&mut P, Instant) + Send + 'static) {
        let _ = self.send(Command::Do(Box::new(action)));
    }

    pub(crate) async fn close(&self) {
        let (done, rx) = oneshot::channel();
        if self.send(Command::Close { done }).is_ok() {
            let _ = rx.await;
        }
    }

    /// Hands `command` to the task (counted, so that no call starts on a caller's thread
    /// before it).
    fn send(&self, command: Command<P>) -> Result<(), Error> {
        #[cfg(not(target_family = "wasm"))]
        self.shared.sending();
        self.commands.send(command).map_err(|_| {
            #[cfg(not(target_family = "wasm"))]
            self.shared.unsent();
            closed()
        })
    }
}

impl Client {
    /// Opens the WebSocket to the first endpoint that accepts it and logs in.
    #[cfg(not(target_family = "wasm"))]
    pub async fn connect(config: ConnectConfig) -> Result<Client, Error> {
        let session = Session::new(SessionOptions::from(&config));
        let (handle, server_version) = Handle::open(&config, "/ws", session).await?;
        Ok(Client { handle: Arc::new(handle), server_version: server_version.into(), timeout: None })
    }

    /// The same connection, whose calls must each complete within `timeout` (else they fail with
    /// [`ErrorKind::Timeout`] and the session frees what they hold); `None` restores the
    /// connection's request timeout.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Client {
        Client { handle: Arc::clone(&self.handle), server_version: Arc::clone(&self.server_version), timeout }
    }

    /// WASM has no sockets here: the WebAssembly build drives `taosjs_core::Session` from
    /// JavaScript (`taosjs-napi`'s `session.rs`, `src/session-driver.ts`), so this build only
    /// keeps the API compiling.
    #[cfg(target_family = "wasm")]
    pub async fn connect(config: ConnectConfig) -> Result<Client, Error> {
        let _ = config;
        Err(Error::not_supported("taosjs-tokio has no sockets on WebAssembly: the JavaScript driver connects there"))
    }

    /// The version the server reported when connecting.
    pub fn server_version(&self) -> String {
        self.server_version.to_string()
    }

    /// Whether the connection accepts no more calls: `close` was called, or it was lost and
    /// could not be restored (a connection that is reconnecting is not closed).
    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// The connection's life (reconnecting, reconnected, closed for good), for the first
    /// caller only (`None` afterwards). The channel ends when the connection is closed for good.
    pub fn events(&self) -> Option<mpsc::UnboundedReceiver<ConnectionEvent>> {
        self.handle.events()
    }

    /// Runs one SQL statement (binary query). A result set stays open until fetched to the end
    /// or freed.
    pub async fn query(&self, sql: &str, req_id: Option<u64>) -> Result<QueryInfo, Error> {
        let sql = sql.to_owned();
        query_info(self.call(move |s| s.query(&sql, req_id)).await?)
    }

    /// Runs one SQL statement and, when it opens a result, reads up to `blocks` first blocks with
    /// it (a small result comes whole: one call instead of three). The batch is `None` for a
    /// statement without rows; read the rest with [`Client::fetch_batch`], whose first batch may
    /// say `restarted` when the blocks read ahead were `provisional` (the session ran the query
    /// again after a reconnect; see `taosjs_core::session::query`).
    pub async fn query_rows(&self, sql: &str, req_id: Option<u64>, blocks: usize) -> Result<(QueryInfo, Option<BlockBatch>), Error> {
        let sql = sql.to_owned();
        rows_of(self.call(move |s| s.query_rows(&sql, req_id, blocks)).await?)
    }

    /// [`Client::query_rows`] whose outcome `done` takes in the connection's task (see
    /// [`Completion`]; it must not block).
    pub fn query_rows_with(
        &self,
        sql: &str,
        req_id: Option<u64>,
        blocks: usize,
        done: impl FnOnce(Result<(QueryInfo, Option<BlockBatch>), Error>) + Send + 'static,
    ) {
        let sql = sql.to_owned();
        let done = Completion::new(move |outcome| done(outcome.and_then(rows_of)));
        self.handle.call_with(self.timeout, move |s, _| s.query_rows(&sql, req_id, blocks), done);
    }

    /// The next blocks of a result, up to `blocks` (fewer at its end, then `finished`).
    pub async fn fetch_batch(&self, result_id: u64, blocks: usize) -> Result<BlockBatch, Error> {
        batch_of(self.call(move |s| s.fetch_batch(result_id, blocks)).await?)
    }

    /// [`Client::fetch_batch`] whose outcome `done` takes in the connection's task.
    pub fn fetch_batch_with(&self, result_id: u64, blocks: usize, done: impl FnOnce(Result<BlockBatch, Error>) + Send + 'static) {
        let done = Completion::new(move |outcome| done(outcome.and_then(batch_of)));
        self.handle.call_with(self.timeout, move |s, _| s.fetch_batch(result_id, blocks), done);
    }

    /// The next raw block of a result with its fields (decode it with
    /// [`FetchedBlock::decode`]); `None` when exhausted.
    pub async fn fetch_block(&self, result_id: u64) -> Result<Option<FetchedBlock>, Error> {
        match self.call(move |s| s.fetch_block(result_id)).await? {
            Reply::Block(block) => Ok(block),
            other => Err(mismatch(&other)),
        }
    }

    /// Releases a result on the server (no-op if it already finished or was freed).
    pub fn free_result(&self, result_id: u64) {
        self.handle.run(move |s, _| s.free_result(result_id));
    }

    /// Frees open results, closes statements and says goodbye (bounded in time by the session);
    /// later calls fail with a Connection error.
    pub async fn close(&self) {
        self.handle.close().await
    }

    // ----- stmt2 (prepared statements, reference §5.2) ---------------------------------------

    /// Opens a stmt2 statement on the server and returns its id. It stays open until
    /// [`Client::stmt2_close`] or until the connection closes (which closes it on the server).
    /// `Stmt2InitOptions::default()` is what official clients send (single super table, each
    /// table bound once per execution).
    pub async fn stmt2_init(&self, options: Stmt2InitOptions) -> Result<u64, Error> {
        match self.call(move |s| s.stmt2_init(options)).await? {
            Reply::StmtInit { stmt_id } => Ok(stmt_id),
            other => Err(mismatch(&other)),
        }
    }

    /// Prepares `sql` (`insert into ? using stb tags(?,?) values(?,?)`, `select … where c > ?`).
    /// The answer lists the placeholders in SQL order with their `bind_type` (table name, tag,
    /// column; empty for queries, whose `fields_count` is the number of `?`); the connection keeps
    /// it to check every later [`Client::stmt2_bind`].
    pub async fn stmt2_prepare(&self, stmt_id: u64, sql: &str) -> Result<Stmt2Prepared, Error> {
        let sql = sql.to_owned();
        match self.call(move |s| s.stmt2_prepare(stmt_id, &sql)).await? {
            Reply::Stmt2Prepared(p) => Ok(p),
            other => Err(mismatch(&other)),
        }
    }

    /// Binds values (one binary `stmt2_bind` message). Inserts: one [`BindTable`] per child
    /// table, with its name when the SQL has `?` as table name, one single-row tag per tag
    /// placeholder and one column per column placeholder (all columns of a table equally long).
    /// Queries: one table without name or tags whose columns are the parameters, one value each
    /// (sent in the values' own type, or `BindColumn::ty`). Every value is checked against the
    /// prepared placeholders before anything is sent: a mismatch fails with
    /// [`ErrorKind::Statement`] naming the table, placeholder, row and value; binding an
    /// unprepared or closed statement is [`ErrorKind::Programming`].
    pub async fn stmt2_bind(&self, stmt_id: u64, tables: Vec<BindTable>) -> Result<(), Error> {
        match self.call(move |s| s.stmt2_bind(stmt_id, &tables)).await? {
            Reply::Done => Ok(()),
            other => Err(mismatch(&other)),
        }
    }

    /// [`Client::stmt2_bind`] of a bind packed into one buffer (`taosjs_core::packed`): the
    /// connection's task checks and encodes it, reading the values in place (`packed` may be
    /// the caller's memory: it is dropped once encoded).
    pub async fn stmt2_bind_packed(&self, stmt_id: u64, packed: impl AsRef<[u8]> + Send + 'static) -> Result<(), Error> {
        match self.call(move |s| s.stmt2_bind_packed(stmt_id, packed.as_ref())).await? {
            Reply::Done => Ok(()),
            other => Err(mismatch(&other)),
        }
    }

    /// Executes what was bound; returns the rows written (0 for a query, whose rows are then
    /// read through [`Client::stmt2_result`]).
    pub async fn stmt2_exec(&self, stmt_id: u64) -> Result<i64, Error> {
        match self.call(move |s| s.stmt2_exec(stmt_id)).await? {
            Reply::Affected(n) => Ok(n),
            other => Err(mismatch(&other)),
        }
    }

    /// The result set of an executed query statement: read it with [`Client::fetch_block`],
    /// release it with [`Client::free_result`] (closing the statement frees it too). Its
    /// `fields[].bytes` are storage sizes (VARCHAR(32) → 34), unlike a plain query's.
    pub async fn stmt2_result(&self, stmt_id: u64) -> Result<QueryInfo, Error> {
        let reply = self.call(move |s| s.stmt2_result(stmt_id)).await?;
        query_info(reply)
    }

    /// Frees the statement's open results and closes it on the server; later calls on the id
    /// fail with [`ErrorKind::Programming`].
    pub async fn stmt2_close(&self, stmt_id: u64) -> Result<(), Error> {
        match self.call(move |s| s.stmt2_close(stmt_id)).await? {
            Reply::Done => Ok(()),
            other => Err(mismatch(&other)),
        }
    }

    // ----- stmt v1 (reference §5.1) --------------------------------------------------------

    /// Opens a stmt v1 statement and returns its id.
    pub async fn stmt_init(&self) -> Result<u64, Error> {
        match self.call(|s| s.stmt_init()).await? {
            Reply::StmtInit { stmt_id } => Ok(stmt_id),
            other => Err(mismatch(&other)),
        }
    }

    /// Prepares `sql`; returns whether it is an insert (its tags and columns are then checked
    /// against `get_tag_fields`/`get_col_fields`, which the connection asks for when needed).
    pub async fn stmt_prepare(&self, stmt_id: u64, sql: &str) -> Result<bool, Error> {
        let sql = sql.to_owned();
        match self.call(move |s| s.stmt_prepare(stmt_id, &sql)).await? {
            Reply::StmtPrepared { is_insert, .. } => Ok(is_insert),
            other => Err(mismatch(&other)),
        }
    }

    /// Sets the table of an `insert into ? …` statement.
    pub async fn stmt_set_table_name(&self, stmt_id: u64, name: &str) -> Result<(), Error> {
        let name = name.to_owned();
        self.done(move |s| s.stmt_set_table_name(stmt_id, &name)).await
    }

    /// Binds the tags, one single-value [`BindColumn`] per tag placeholder (binary `set_tags`).
    pub async fn stmt_set_tags(&self, stmt_id: u64, tags: Vec<BindColumn>) -> Result<(), Error> {
        self.done(move |s| s.stmt_set_tags(stmt_id, tags)).await
    }

    /// Binds rows, one [`BindColumn`] per column placeholder (binary `bind`); for a query, one
    /// single-value column per parameter. Checked like [`Client::stmt2_bind`].
    pub async fn stmt_bind(&self, stmt_id: u64, columns: Vec<BindColumn>) -> Result<(), Error> {
        self.done(move |s| s.stmt_bind(stmt_id, columns)).await
    }

    /// Adds the bound rows to the batch executed by [`Client::stmt_exec`].
    pub async fn stmt_add_batch(&self, stmt_id: u64) -> Result<(), Error> {
        self.done(move |s| s.stmt_add_batch(stmt_id)).await
    }

    /// Executes the batch; returns the rows written.
    pub async fn stmt_exec(&self, stmt_id: u64) -> Result<i64, Error> {
        match self.call(move |s| s.stmt_exec(stmt_id)).await? {
            Reply::Affected(n) => Ok(n),
            other => Err(mismatch(&other)),
        }
    }

    /// The tag placeholders of a prepared insert (after `set_table_name`).
    pub async fn stmt_get_tag_fields(&self, stmt_id: u64) -> Result<Vec<StmtField>, Error> {
        self.fields(move |s| s.stmt_get_tag_fields(stmt_id)).await
    }

    /// The column placeholders of a prepared insert.
    pub async fn stmt_get_col_fields(&self, stmt_id: u64) -> Result<Vec<StmtField>, Error> {
        self.fields(move |s| s.stmt_get_col_fields(stmt_id)).await
    }

    /// The result set of an executed query statement (read and free it as for
    /// [`Client::stmt2_result`]).
    pub async fn stmt_use_result(&self, stmt_id: u64) -> Result<QueryInfo, Error> {
        let reply = self.call(move |s| s.stmt_use_result(stmt_id)).await?;
        query_info(reply)
    }

    /// Frees the statement's results and closes it (the server does not answer a successful
    /// v1 `close`, so this returns once the request is queued).
    pub async fn stmt_close(&self, stmt_id: u64) -> Result<(), Error> {
        self.done(move |s| s.stmt_close(stmt_id)).await
    }

    // ----- schemaless (reference §6) -------------------------------------------------------

    /// Writes `lines` (InfluxDB line protocol, OpenTSDB telnet lines, or for
    /// [`SchemalessProtocol::Json`] the JSON text) with the `insert` action. `precision` is the
    /// timestamp unit of the data ([`SchemalessPrecision::parse`] reads `""`, `h`, `m`, `s`,
    /// `ms`, `u`/`us`, `ns`; microseconds go out as `"u"`), `ttl` the days to keep created
    /// tables (0 = forever), `req_id` an optional request id (must not be in flight),
    /// `table_name_key` the tag whose value names the child table. Server refusals are
    /// [`ErrorKind::Schemaless`] errors with TDengine's code.
    pub async fn schemaless_insert(
        &self,
        lines: Vec<String>,
        protocol: SchemalessProtocol,
        precision: SchemalessPrecision,
        ttl: i32,
        req_id: Option<u64>,
        table_name_key: Option<String>,
    ) -> Result<SchemalessResult, Error> {
        let request = SchemalessRequest { lines, protocol, precision, ttl, req_id, table_name_key };
        match self.call(move |s| s.schemaless_insert(request)).await? {
            Reply::Schemaless(r) => Ok(r),
            other => Err(mismatch(&other)),
        }
    }

    async fn call(&self, start: impl FnOnce(&mut Session) -> CallId + Send + 'static) -> Result<Reply, Error> {
        self.handle.call(self.timeout, move |s, _now| start(s)).await
    }

    async fn done(&self, start: impl FnOnce(&mut Session) -> CallId + Send + 'static) -> Result<(), Error> {
        match self.call(start).await? {
            Reply::Done => Ok(()),
            other => Err(mismatch(&other)),
        }
    }

    async fn fields(&self, start: impl FnOnce(&mut Session) -> CallId + Send + 'static) -> Result<Vec<StmtField>, Error> {
        match self.call(start).await? {
            Reply::StmtFields(f) => Ok(f),
            other => Err(mismatch(&other)),
        }
    }

}

fn rows_of(reply: Reply) -> Result<(QueryInfo, Option<BlockBatch>), Error> {
    match reply {
        Reply::Rows { info, batch } => Ok((info, Some(batch))),
        Reply::Query(info) => Ok((info, None)),
        other => Err(mismatch(&other)),
    }
}

fn batch_of(reply: Reply) -> Result<BlockBatch, Error> {
    match reply {
        Reply::Batch(batch) => Ok(batch),
        other => Err(mismatch(&other)),
    }
}

fn query_info(reply: Reply) -> Result<QueryInfo, Error> {
    match reply {
        Reply::Query(info) => Ok(info),
        other => Err(mismatch(&other)),
    }
}

pub(crate) fn mismatch(reply: &Reply) -> Error {
    Error::internal(format!("the session answered a call with an unexpected reply: {reply:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_a_shareable_handle() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Client>();
    }
}
