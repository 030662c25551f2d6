//! `connect`, `restClient` and `NativeConnection`: a thin shell over a [`Transport`]
//! (taosAdapter's WebSocket or REST API, or the native client library, chosen by the DSN's
//! scheme). Results and statements are native objects of their own (`result.rs`,
//! `statement.rs`).

use napi::bindgen_prelude::{BigInt, Function, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi::Env;
use napi_derive::napi;
use taosjs_core::Stmt2InitOptions;
use taosjs_tokio::RestClient;
use taosjs_tokio::ConnectionEvent;

use crate::abort::{spawn_on, CallLimits, NativeAbort};
use crate::error::{guarded, to_js};
use crate::options::{connect_config, req_id_of, rest_config, schemaless_request, NativeConnectOptions, NativeSchemalessOptions};
use crate::result::NativeResult;
use crate::statement::{NativeStmt, NativeStmt2};
use crate::completion;
use crate::transport::{ws_rows, Transport, BATCH_BLOCKS};

/// One event of the connection's life (`ConnectionEvent` in the tokio driver).
#[napi(object)]
pub struct NativeEvent {
    /// `'reconnecting'`, `'reconnected'` or `'close'`.
    pub kind: String,
    pub attempt: Option<u32>,
    /// Wait before the attempt, in ms (`'reconnecting'`).
    pub delay_ms: Option<f64>,
    /// Why the connection was lost or the attempt failed (`'reconnecting'`).
    pub reason: Option<String>,
    /// `host:port` of the endpoint now in use (`'reconnected'`).
    pub endpoint: Option<String>,
    /// Why it closed for good, encoded as the addon encodes errors (`"<Class>: text"`);
    /// absent when closed by `close()`.
    pub error: Option<String>,
}

impl From<ConnectionEvent> for NativeEvent {
    fn from(e: ConnectionEvent) -> Self {
        let none = NativeEvent { kind: String::new(), attempt: None, delay_ms: None, reason: None, endpoint: None, error: None };
        match e {
            ConnectionEvent::Reconnecting { attempt, delay, reason } => NativeEvent {
                kind: "reconnecting".into(),
                attempt: Some(attempt),
                delay_ms: Some(delay.as_secs_f64() * 1000.0),
                reason: Some(reason),
                ..none
            },
            ConnectionEvent::Reconnected { attempt, endpoint } => {
                NativeEvent { kind: "reconnected".into(), attempt: Some(attempt), endpoint: Some(endpoint), ..none }
            }
            ConnectionEvent::Closed { error } => {
                NativeEvent { kind: "close".into(), error: error.map(|e| to_js(e).reason), ..none }
            }
        }
    }
}

#[napi]
pub struct NativeConnection {
    client: Transport,
    /// The timezone of the DSN or the options, if one was set (results' Arrow timestamps).
    timezone: Option<String>,
}

/// Opens a connection: DSN (optional; defaults `ws://root:taosdata@localhost:6041`) plus
/// overrides, both checked before any I/O (a bad one throws at once). `taos://…` loads
/// TDengine's client library; `http://`/`https://` use REST, checked with
/// `select server_version()` as a WebSocket login would check the connection.
#[napi(ts_return_type = "Promise<NativeConnection>")]
pub fn connect(env: &Env, dsn: Option<String>, options: Option<NativeConnectOptions>) -> napi::Result<PromiseRaw<'_, NativeConnection>> {
    let config = connect_config(dsn.as_deref(), options)?;
    let timezone = config.timezone.clone();
    env.spawn_future(guarded(async move {
        let client = Transport::connect(config).await.map_err(to_js)?;
        Ok(NativeConnection { client, timezone })
    }))
}

/// A REST client for `url` (`http://host:6041`, `https://…`, which must name the host), without
/// any I/O: nothing is checked until its first statement.
#[napi(catch_unwind)]
pub fn rest_client(url: String, options: Option<NativeConnectOptions>) -> napi::Result<NativeConnection> {
    let config = rest_config(&url, options)?;
    let client = RestClient::new(&config).map_err(to_js)?;
    Ok(NativeConnection { client: Transport::Rest(client), timezone: config.timezone.clone() })
}

/// Every call that talks to the server takes `timeoutMs` (its deadline; default the
/// connection's `requestTimeoutMs`) and `abort` (a `NativeAbort` that gives up on it).
#[napi]
impl NativeConnection {
    /// Runs one statement. `reqId` is a u64 given as a BigInt; one is generated when absent.
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn query<'env>(
        &self,
        env: &'env Env,
        sql: String,
        req_id: Option<BigInt>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        let req_id = req_id_of(req_id)?;
        if let (Transport::Ws(ws), None) = (&self.client, abort) {
            // Settled from the connection's task: no task of its own between it and JS.
            let ws = ws.with_timeout(CallLimits::of(timeout_ms, None).timeout());
            let (promise, settle) = completion::promise(env)?;
            let owner = ws.clone();
            ws.query_rows_with(&sql, req_id, BATCH_BLOCKS, move |outcome| {
                settle.settle_guarded(|| NativeResult::of(outcome.map(|(info, first)| ws_rows(&owner, info, first))))
            });
            return Ok(promise);
        }
        spawn_on(env, &self.client, timeout_ms, abort, move |client| async move { NativeResult::of(client.query(&sql, req_id).await) })
    }

    /// Opens a stmt2 statement on the server.
    #[napi(ts_return_type = "Promise<NativeStmt2>")]
    #[allow(clippy::too_many_arguments)]
    pub fn stmt2_init<'env>(
        &self,
        env: &'env Env,
        req_id: Option<BigInt>,
        single_stb_insert: bool,
        single_table_bind_once: bool,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeStmt2>> {
        let req_id = req_id_of(req_id)?;
        spawn_on(env, &self.client, timeout_ms, abort, move |client| async move {
            let options = Stmt2InitOptions { req_id, single_stb_insert, single_table_bind_once };
            client.stmt2_init(options).await.map(NativeStmt2::new)
        })
    }

    /// Opens a stmt v1 statement on the server.
    #[napi(ts_return_type = "Promise<NativeStmt>")]
    pub fn stmt_init<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeStmt>> {
        spawn_on(env, &self.client, timeout_ms, abort, move |client| async move { client.stmt_init().await.map(NativeStmt::new) })
    }

    /// Schemaless write; resolves to the affected rows.
    #[napi(ts_return_type = "Promise<number>")]
    pub fn schemaless_insert<'env>(
        &self,
        env: &'env Env,
        lines: Vec<String>,
        options: NativeSchemalessOptions,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, i64>> {
        let request = schemaless_request(lines, options)?;
        spawn_on(env, &self.client, timeout_ms, abort, move |client| async move {
            client.schemaless_insert(request).await.map(|r| r.affected_rows)
        })
    }

    /// REST: the token `GET /rest/login/<user>/<password>` answers, for
    /// `Authorization: Taosd <token>`.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn rest_token<'env>(&self, env: &'env Env, timeout_ms: Option<u32>, abort: Option<&NativeAbort>) -> napi::Result<PromiseRaw<'env, String>> {
        spawn_on(env, &self.client, timeout_ms, abort, move |rest| async move {
            rest.rest("the /rest/login token")?.login().await
        })
    }

    /// The number of `?` placeholders in `sql` (outside quotes and comments); no I/O.
    #[napi(catch_unwind)]
    pub fn placeholders(&self, sql: String) -> u32 {
        u32::try_from(taosjs_core::sql::placeholders(&sql)).unwrap_or(u32::MAX)
    }

    /// A handle to give up on a later call (the last argument of every call).
    #[napi(catch_unwind)]
    pub fn new_abort(&self) -> NativeAbort {
        NativeAbort::new()
    }

    /// Calls `callback` with each event of the connection's life, from the event loop. The
    /// callback does not keep the process alive. Once per connection.
    #[napi]
    pub fn on_event(&self, callback: Function<'_, NativeEvent, ()>) -> napi::Result<()> {
        // The native library reconnects by itself and tells nothing: no events there.
        let Some(mut events) = self.client.events() else { return Ok(()) };
        let tsfn = callback.build_threadsafe_function::<NativeEvent>().weak::<true>().callee_handled::<false>().build()?;
        napi::bindgen_prelude::spawn(async move {
            while let Some(event) = events.recv().await {
                tsfn.call(NativeEvent::from(event), ThreadsafeFunctionCallMode::NonBlocking);
            }
        });
        Ok(())
    }

    /// The version the server reported when connecting.
    #[napi(catch_unwind)]
    pub fn server_version(&self) -> String {
        self.client.server_version()
    }

    /// The timezone the connection was opened with (DSN or options), if any.
    #[napi(catch_unwind)]
    pub fn timezone(&self) -> Option<String> {
        self.timezone.clone()
    }

    /// Whether the connection accepts no more calls: closed, or the server went away.
    #[napi(getter)]
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Frees open results, closes statements and the socket; settles within the session's
    /// goodbye bound whatever the socket does (REST: drops the idle sockets; requests in flight
    /// fail).
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let client = self.client.clone();
        guarded(async move {
            client.close().await;
            Ok(())
        })
        .await
    }
}
