//! The three ways a `NativeConnection` reaches TDengine, behind one interface, chosen by the
//! DSN's scheme: taosAdapter's WebSocket (`ws://`, `wss://`: `taosjs_tokio::Client`), its REST
//! API (`http://`, `https://`: `taosjs_tokio::RestClient`, one HTTP request per statement) and
//! TDengine's client library (`taos://`: `taosjs_native::NativeClient`, loaded only when such a
//! DSN is used). The napi classes above are transport-blind: results, binds and errors are the
//! core's types whichever arm (`QueryInfo`, `DecodedBlock`, `BindTable`, `Error`), so nothing is
//! decided twice here — each arm only forwards (libtaos's calls within their deadline, see
//! [`Deadline`]). What a transport lacks (REST: statements,
//! schemaless) is a NotSupported error naming the DSN that has it.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use taosjs_core::rest::RestAnswer;
use taosjs_core::{
    BindColumn, ConnectConfig, DecodedBlock, Error, QueryInfo, Scheme, SchemalessRequest, SchemalessResult,
    Stmt2InitOptions, Stmt2Prepared, StmtField,
};
use taosjs_native::{NativeClient, NativeStmt as LibStmt, NativeStmt2 as LibStmt2, ResultSet};
use taosjs_tokio::{BlockBatch, Client, RestClient};

use crate::block::{Batch, Block};

use crate::abort::Bounded;

#[derive(Clone)]
pub(crate) enum Transport {
    /// `ws://`, `wss://`: one WebSocket session, every feature.
    Ws(Client),
    /// `taos://`: libtaos, every feature the library has.
    Native(Deadline<NativeClient>),
    /// `http://`, `https://`: one HTTP request per statement; SQL only.
    Rest(RestClient),
}

/// Blocks a query reads with it and one `fetch_batch` reads, over WebSocket and libtaos: a
/// result of one block comes with its end (over WebSocket with the query itself: one crossing
/// into JS), a larger one two blocks at a time.
pub(crate) const BATCH_BLOCKS: usize = 2;

/// The rows of one result, wherever they live.
pub(crate) enum Rows {
    None,
    /// `released`: the session was told to forget it (`free_result`), which also frees it on
    /// the server unless the server already did. `first`: the blocks the query read ahead, until
    /// taken. `finished`: a batch said so, and the session forgot the result then (nothing to
    /// release, nothing more to fetch).
    Ws { client: Client, result_id: u64, released: AtomicBool, first: Mutex<Option<BlockBatch>>, finished: AtomicBool },
    /// With the connection's `requestTimeoutMs`, for fetches that name no deadline.
    Native(Arc<ResultSet>, Duration),
    /// Already decoded, handed out in order: a REST answer's blocks.
    Decoded(Mutex<VecDeque<DecodedBlock>>),
}

pub(crate) enum Stmt2 {
    Ws { client: Client, stmt_id: u64 },
    Native(Deadline<Arc<LibStmt2>>),
}

pub(crate) enum Stmt {
    Ws { client: Client, stmt_id: u64 },
    Native(Deadline<Arc<LibStmt>>),
}

/// A libtaos object and the deadline its calls run under. libtaos has no session to keep one
/// (WebSocket's is the session's, REST's the request's), so a native call is bounded here: one
/// that runs out is a TimeoutError and is dropped as an aborted call is — the library finishes
/// it, and what it produced (a result, a fetched block) is released.
#[derive(Clone)]
pub(crate) struct Deadline<T> {
    lib: T,
    /// This call's limit.
    limit: Duration,
    /// The connection's `requestTimeoutMs`, for calls that name none.
    default: Duration,
}

impl<T: Clone> Deadline<T> {
    fn new(lib: T, default: Duration) -> Deadline<T> {
        Deadline { lib, limit: default, default }
    }

    fn within(&self, timeout: Option<Duration>) -> Deadline<T> {
        Deadline { lib: self.lib.clone(), limit: timeout.unwrap_or(self.default), default: self.default }
    }

    /// Something this call made (a statement), under the connection's default.
    fn made<U>(&self, lib: U) -> Deadline<U> {
        Deadline { lib, limit: self.default, default: self.default }
    }

    async fn run<R>(&self, call: impl std::future::Future<Output = Result<R, Error>>) -> Result<R, Error> {
        library_call(self.limit, call).await
    }
}

/// A native statement's close waits for a call still running on it (one that timed out goes on
/// in the library): the wait is bounded, the close is not given up.
pub(crate) trait CloseLater: Clone + Send + Sync + 'static {
    fn close_now(self) -> impl std::future::Future<Output = ()> + Send;
}

impl CloseLater for Arc<LibStmt2> {
    async fn close_now(self) {
        self.close().await
    }
}

impl CloseLater for Arc<LibStmt> {
    async fn close_now(self) {
        self.close().await
    }
}

impl<T: CloseLater> Deadline<T> {
    async fn close_in_background(&self) -> Result<(), Error> {
        let closing = napi::bindgen_prelude::spawn(self.lib.clone().close_now());
        self.run(async { closing.await.map_err(|_| Error::internal("closing a native statement failed")) }).await
    }
}

/// A call into the TDengine client library within `limit`, else a TimeoutError.
pub(crate) async fn library_call<R>(limit: Duration, call: impl std::future::Future<Output = Result<R, Error>>) -> Result<R, Error> {
    match tokio::time::timeout(limit, call).await {
        Ok(outcome) => outcome,
        Err(_) => Err(Error::timeout(format!("the TDengine client library did not answer within {} ms", limit.as_millis()))),
    }
}

fn native_rows(outcome: taosjs_native::QueryOutcome, default: Duration) -> (QueryInfo, Rows) {
    let rows = outcome.rows.map_or(Rows::None, |r| Rows::Native(Arc::new(r), default));
    (outcome.info, rows)
}

pub(crate) fn ws_rows(client: &Client, info: QueryInfo, first: Option<BlockBatch>) -> (QueryInfo, Rows) {
    let rows = if info.result_id == 0 {
        Rows::None
    } else {
        let finished = AtomicBool::new(first.as_ref().is_some_and(|b| b.finished));
        let first = Mutex::new(first);
        Rows::Ws { client: client.clone(), result_id: info.result_id, released: AtomicBool::new(false), first, finished }
    };
    (info, rows)
}

fn rest_rows(answer: RestAnswer) -> (QueryInfo, Rows) {
    let RestAnswer { has_rows, affected_rows, fields, precision, blocks } = answer;
    let rows = if has_rows { Rows::Decoded(Mutex::new(blocks.into())) } else { Rows::None };
    (QueryInfo { result_id: 0, is_update: !has_rows, affected_rows, fields, precision }, rows)
}

impl Bounded for Transport {
    /// The same transport whose calls carry `timeout` as their deadline (`None`: the
    /// connection's `requestTimeoutMs`), whichever the transport.
    fn within(&self, timeout: Option<Duration>) -> Transport {
        match self {
            Transport::Ws(c) => Transport::Ws(c.with_timeout(timeout)),
            Transport::Native(c) => Transport::Native(c.within(timeout)),
            Transport::Rest(c) => Transport::Rest(c.with_timeout(timeout)),
        }
    }
}

impl Transport {
    /// `taos://` loads the client library (once per process) and connects natively;
    /// `http(s)://` checks the server with `select server_version()`, as a login would; the rest
    /// is a WebSocket.
    pub async fn connect(config: ConnectConfig) -> Result<Transport, Error> {
        match config.scheme {
            Scheme::Native => {
                let client = NativeClient::connect(&config).await?;
                Ok(Transport::Native(Deadline::new(client, config.request_timeout)))
            }
            Scheme::Http | Scheme::Https => RestClient::connect(&config).await.map(Transport::Rest),
            Scheme::Ws | Scheme::Wss => Client::connect(config).await.map(Transport::Ws),
        }
    }

    /// The REST client for `feature` (the `/rest/login` token), or NotSupported.
    pub fn rest(&self, feature: &str) -> Result<&RestClient, Error> {
        match self {
            Transport::Rest(client) => Ok(client),
            _ => Err(Error::not_supported(format!("{feature} exists only over REST (http:// or https://)"))),
        }
    }


    /// The connection's life (reconnecting, reconnected, closed for good), once. Only the
    /// WebSocket session reconnects in the driver: the native library reconnects by itself and
    /// tells nothing, and REST holds no session (every statement is a request of its own).
    pub fn events(&self) -> Option<tokio::sync::mpsc::UnboundedReceiver<taosjs_tokio::ConnectionEvent>> {
        match self {
            Transport::Ws(c) => c.events(),
            Transport::Native(_) | Transport::Rest(_) => None,
        }
    }

    pub fn server_version(&self) -> String {
        match self {
            Transport::Ws(c) => c.server_version(),
            Transport::Native(c) => c.lib.server_version(),
            Transport::Rest(c) => c.server_version(),
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            Transport::Ws(c) => c.is_closed(),
            Transport::Native(c) => c.lib.is_closed(),
            Transport::Rest(c) => c.is_closed(),
        }
    }

    pub async fn close(&self) {
        match self {
            Transport::Ws(c) => c.close().await,
            Transport::Native(c) => c.lib.close().await,
            Transport::Rest(c) => c.close(),
        }
    }

    pub async fn query(&self, sql: &str, req_id: Option<u64>) -> Result<(QueryInfo, Rows), Error> {
        match self {
            Transport::Ws(c) => {
                let (info, first) = c.query_rows(sql, req_id, BATCH_BLOCKS).await?;
                Ok(ws_rows(c, info, first))
            }
            Transport::Native(c) => Ok(native_rows(c.run(c.lib.query(sql, req_id)).await?, c.default)),
            Transport::Rest(c) => Ok(rest_rows(c.sql(sql, req_id).await?)),
        }
    }

    pub async fn stmt2_init(&self, options: Stmt2InitOptions) -> Result<Stmt2, Error> {
        match self {
            Transport::Ws(c) => Ok(Stmt2::Ws { client: c.clone(), stmt_id: c.stmt2_init(options).await? }),
            Transport::Native(c) => Ok(Stmt2::Native(c.made(Arc::new(c.run(c.lib.stmt2_init(options)).await?)))),
            Transport::Rest(c) => Err(c.lacks("stmt2 (prepared statements and parameters)")),
        }
    }

    pub async fn stmt_init(&self) -> Result<Stmt, Error> {
        match self {
            Transport::Ws(c) => Ok(Stmt::Ws { client: c.clone(), stmt_id: c.stmt_init().await? }),
            Transport::Native(c) => Ok(Stmt::Native(c.made(Arc::new(c.run(c.lib.stmt_init()).await?)))),
            Transport::Rest(c) => Err(c.lacks("stmt (prepared statements)")),
        }
    }

    pub async fn schemaless_insert(&self, request: SchemalessRequest) -> Result<SchemalessResult, Error> {
        match self {
            Transport::Ws(c) => {
                let SchemalessRequest { lines, protocol, precision, ttl, req_id, table_name_key } = request;
                c.schemaless_insert(lines, protocol, precision, ttl, req_id, table_name_key).await
            }
            Transport::Native(c) => c.run(c.lib.schemaless_insert(request)).await,
            Transport::Rest(c) => Err(c.lacks("schemaless writing")),
        }
    }
}

/// A WebSocket result is forgotten by the session when nothing can read it any more, even one
/// the server already finished: the session keeps a finished result (its fields, its state)
/// until told, so a result read to the end and then dropped would otherwise stay in it until
/// the connection closes.
impl Drop for Rows {
    fn drop(&mut self) {
        self.release();
    }
}

impl Rows {
    /// Tells the session to forget a WebSocket result, once.
    fn release(&self) {
        if let Rows::Ws { client, result_id, released, finished, .. } = self {
            if !released.swap(true, Ordering::AcqRel) && !finished.load(Ordering::Acquire) {
                client.free_result(*result_id);
            }
        }
    }

    /// Records that a batch of a WebSocket result said finished: the session forgot it.
    pub fn saw(&self, batch: &BlockBatch) {
        if let Rows::Ws { finished, .. } = self {
            if batch.finished {
                finished.store(true, Ordering::Release);
            }
        }
    }

    /// Whether a WebSocket result still has blocks to fetch from the server.
    pub fn ws_fetchable(&self) -> bool {
        matches!(self, Rows::Ws { finished, .. } if !finished.load(Ordering::Acquire))
    }

    pub fn has_rows(&self) -> bool {
        !matches!(self, Rows::None)
    }

    /// The next block, decoded, within `timeout` (`None`: the connection's request timeout);
    /// `None` once there are no more rows.
    pub async fn fetch_block(&self, timeout: Option<Duration>) -> Result<Option<DecodedBlock>, Error> {
        let fetched = match self {
            Rows::None => return Ok(None),
            Rows::Ws { client, result_id, .. } => client.with_timeout(timeout).fetch_block(*result_id).await?,
            Rows::Native(r, default) => {
                let fetched = library_call(timeout.unwrap_or(*default), r.fetch_block()).await;
                if fetched.is_err() {
                    // Timed out or failed: its rows can no longer be read in order (a block
                    // libtaos reads after the deadline is lost), so the result is released.
                    self.close();
                }
                fetched?
            }
            Rows::Decoded(blocks) => return Ok(blocks.lock().unwrap_or_else(|p| p.into_inner()).pop_front()),
        };
        fetched.map(|block| block.decode()).transpose()
    }

    /// The blocks a batch reader gets at once, within `timeout`: up to [`BATCH_BLOCKS`] over
    /// WebSocket (the session's `fetch_batch`, which also says whether the query ran again since
    /// its blocks read ahead) and libtaos, everything left over REST.
    pub async fn fetch_batch(&self, timeout: Option<Duration>) -> Result<Batch, Error> {
        match self {
            Rows::Decoded(_) | Rows::None => self.already_here(),
            Rows::Ws { finished, .. } if finished.load(Ordering::Acquire) => Ok(Batch::finished()),
            Rows::Ws { client, result_id, .. } => {
                let batch = client.with_timeout(timeout).fetch_batch(*result_id, BATCH_BLOCKS).await?;
                self.saw(&batch);
                Ok(Batch::from(batch))
            }
            Rows::Native(..) => {
                let mut blocks = Vec::new();
                while blocks.len() < BATCH_BLOCKS {
                    match self.fetch_block(timeout).await? {
                        Some(block) => blocks.push(block),
                        None => return Ok(Batch::last_decoded(blocks)),
                    }
                }
                Ok(Batch { blocks: blocks.into_iter().map(Block::Decoded).collect(), ..Batch::default() })
            }
        }
    }

    /// The blocks already in memory (REST's answer, handed over whole; the first blocks a
    /// WebSocket query read ahead).
    pub fn already_here(&self) -> Result<Batch, Error> {
        Ok(match self {
            Rows::None => Batch::finished(),
            Rows::Decoded(blocks) => Batch::last_decoded(blocks.lock().unwrap_or_else(|p| p.into_inner()).drain(..).collect()),
            Rows::Ws { first, .. } => match first.lock().unwrap_or_else(|p| p.into_inner()).take() {
                Some(batch) => Batch::from(batch),
                None => Batch::default(),
            },
            Rows::Native(..) => Batch::default(),
        })
    }

    /// Releases the rows now (in the background for native results, which wait for a fetch
    /// in progress).
    pub fn close(&self) {
        match self {
            Rows::None => {}
            Rows::Ws { .. } => self.release(),
            Rows::Decoded(blocks) => blocks.lock().unwrap_or_else(|p| p.into_inner()).clear(),
            Rows::Native(r, _) => {
                let r = Arc::clone(r);
                napi::bindgen_prelude::spawn(async move { r.close().await });
            }
        }
    }
}

impl Bounded for Stmt2 {
    /// The same statement whose calls carry `timeout` (see [`Transport::within`]).
    fn within(&self, timeout: Option<Duration>) -> Stmt2 {
        match self {
            Stmt2::Ws { client, stmt_id } => Stmt2::Ws { client: client.with_timeout(timeout), stmt_id: *stmt_id },
            Stmt2::Native(s) => Stmt2::Native(s.within(timeout)),
        }
    }
}

impl Stmt2 {
    pub async fn prepare(&self, sql: &str) -> Result<Stmt2Prepared, Error> {
        match self {
            Stmt2::Ws { client, stmt_id } => client.stmt2_prepare(*stmt_id, sql).await,
            Stmt2::Native(s) => s.run(s.lib.prepare(sql)).await,
        }
    }

    /// A bind packed into one buffer (`taosjs_core::packed`), read in place by the encoder.
    pub async fn bind_packed(&self, packed: impl AsRef<[u8]> + Send + 'static) -> Result<(), Error> {
        match self {
            Stmt2::Ws { client, stmt_id } => client.stmt2_bind_packed(*stmt_id, packed).await,
            Stmt2::Native(s) => s.run(s.lib.bind_packed(packed)).await,
        }
    }

    pub async fn exec(&self) -> Result<i64, Error> {
        match self {
            Stmt2::Ws { client, stmt_id } => client.stmt2_exec(*stmt_id).await,
            Stmt2::Native(s) => s.run(s.lib.exec()).await,
        }
    }

    pub async fn result(&self) -> Result<(QueryInfo, Rows), Error> {
        match self {
            Stmt2::Ws { client, stmt_id } => Ok(ws_rows(client, client.stmt2_result(*stmt_id).await?, None)),
            Stmt2::Native(s) => Ok(native_rows(s.run(s.lib.result()).await?, s.default)),
        }
    }

    pub async fn close(&self) -> Result<(), Error> {
        match self {
            Stmt2::Ws { client, stmt_id } => client.stmt2_close(*stmt_id).await,
            Stmt2::Native(s) => s.close_in_background().await,
        }
    }
}

impl Bounded for Stmt {
    /// The same statement whose calls carry `timeout` (see [`Transport::within`]).
    fn within(&self, timeout: Option<Duration>) -> Stmt {
        match self {
            Stmt::Ws { client, stmt_id } => Stmt::Ws { client: client.with_timeout(timeout), stmt_id: *stmt_id },
            Stmt::Native(s) => Stmt::Native(s.within(timeout)),
        }
    }
}

impl Stmt {
    pub async fn prepare(&self, sql: &str) -> Result<bool, Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_prepare(*stmt_id, sql).await,
            Stmt::Native(s) => s.run(s.lib.prepare(sql)).await,
        }
    }

    pub async fn set_table_name(&self, name: &str) -> Result<(), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_set_table_name(*stmt_id, name).await,
            Stmt::Native(s) => s.run(s.lib.set_table_name(name)).await,
        }
    }

    pub async fn set_tags(&self, tags: Vec<BindColumn>) -> Result<(), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_set_tags(*stmt_id, tags).await,
            Stmt::Native(s) => s.run(s.lib.set_tags(tags)).await,
        }
    }

    pub async fn bind(&self, columns: Vec<BindColumn>) -> Result<(), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_bind(*stmt_id, columns).await,
            Stmt::Native(s) => s.run(s.lib.bind(columns)).await,
        }
    }

    pub async fn add_batch(&self) -> Result<(), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_add_batch(*stmt_id).await,
            Stmt::Native(s) => s.run(s.lib.add_batch()).await,
        }
    }

    pub async fn exec(&self) -> Result<i64, Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_exec(*stmt_id).await,
            Stmt::Native(s) => s.run(s.lib.exec()).await,
        }
    }

    pub async fn tag_fields(&self) -> Result<Vec<StmtField>, Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_get_tag_fields(*stmt_id).await,
            Stmt::Native(s) => s.run(s.lib.get_tag_fields()).await,
        }
    }

    pub async fn col_fields(&self) -> Result<Vec<StmtField>, Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_get_col_fields(*stmt_id).await,
            Stmt::Native(s) => s.run(s.lib.get_col_fields()).await,
        }
    }

    pub async fn use_result(&self) -> Result<(QueryInfo, Rows), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => Ok(ws_rows(client, client.stmt_use_result(*stmt_id).await?, None)),
            // Only inserts can be prepared natively through stmt v1 (see taosjs_native::NativeStmt).
            Stmt::Native(_) => Err(Error::not_supported(
                "stmt v1 statements on the native transport are inserts only: they have no result set; use stmt2 for queries",
            )),
        }
    }

    pub async fn close(&self) -> Result<(), Error> {
        match self {
            Stmt::Ws { client, stmt_id } => client.stmt_close(*stmt_id).await,
            Stmt::Native(s) => s.close_in_background().await,
        }
    }
}
