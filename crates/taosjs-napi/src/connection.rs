//! `connect` and `NativeConnection`: a thin shell over a [`Transport`] (taosAdapter's WebSocket
//! or the native client library, chosen by the DSN's scheme). Results and statements are
//! native objects of their own (`result.rs`, `statement.rs`).

use napi::bindgen_prelude::{BigInt, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use taosjs_core::{ConnectConfig, ConnectOverrides, ErrorKind, SchemalessRequest, Stmt2InitOptions};

use crate::abort::{AbortHandle, NativeAbort};
use crate::error::{guarded, js_error, to_js};
use crate::result::NativeResult;
use crate::statement::{NativeStmt, NativeStmt2};
use crate::transport::Transport;
use crate::vocabulary::{SmlPrecision, SmlProtocol};

/// Settings that override the DSN's (already validated by the TS facade).
#[napi(object)]
pub struct NativeConnectOptions {
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u32>,
    pub database: Option<String>,
    pub timezone: Option<String>,
    pub token: Option<String>,
    /// PEM certificates to trust for `wss://` besides the public web roots.
    pub ca: Option<String>,
    /// Per-endpoint limit for opening the WebSocket, and the limit for the login.
    pub connect_timeout_ms: Option<u32>,
}

/// Options of `schemalessInsert`.
#[napi(object, object_to_js = false)]
pub struct NativeSchemalessOptions {
    pub protocol: SmlProtocol,
    pub precision: SmlPrecision,
    pub ttl: Option<i32>,
    pub req_id: Option<BigInt>,
    pub table_name_key: Option<String>,
}

#[napi]
pub struct NativeConnection {
    client: Transport,
}

fn overrides(options: Option<NativeConnectOptions>) -> napi::Result<ConnectOverrides> {
    let mut o = ConnectOverrides {
        connector: Some(format!("taosjs-v{}", env!("CARGO_PKG_VERSION"))),
        ..ConnectOverrides::default()
    };
    if let Some(options) = options {
        o.user = options.user;
        o.password = options.password;
        o.host = options.host;
        o.port = match options.port {
            Some(p) => Some(
                u16::try_from(p)
                    .ok()
                    .filter(|&p| p != 0)
                    .ok_or_else(|| js_error(ErrorKind::Interface, format!("port must be 1..65535, got {p}")))?,
            ),
            None => None,
        };
        o.database = options.database;
        o.timezone = options.timezone;
        o.token = options.token;
    }
    Ok(o)
}

/// Opens a connection: DSN (optional; defaults `ws://root:taosdata@localhost:6041`; `taos://…`
/// loads TDengine's client library) plus overrides.
#[napi]
pub async fn connect(dsn: Option<String>, options: Option<NativeConnectOptions>) -> napi::Result<NativeConnection> {
    let (ca, timeout_ms) = match &options {
        Some(o) => (o.ca.clone(), o.connect_timeout_ms),
        None => (None, None),
    };
    let overrides = overrides(options)?;
    guarded(async move {
        let mut config = ConnectConfig::from_parts(dsn.as_deref(), overrides).map_err(to_js)?;
        if ca.is_some() {
            config.tls_ca_pem = ca;
        }
        if let Some(ms) = timeout_ms {
            config.connect_timeout = std::time::Duration::from_millis(u64::from(ms));
        }
        let client = Transport::connect(config).await.map_err(to_js)?;
        Ok(NativeConnection { client })
    })
    .await
}

pub(crate) fn req_id_of(req_id: Option<BigInt>) -> napi::Result<Option<u64>> {
    match req_id {
        Some(b) => {
            let (negative, value, lossless) = b.get_u64();
            if negative || !lossless {
                return Err(js_error(ErrorKind::Interface, "reqId must be an unsigned 64-bit integer"));
            }
            Ok(Some(value))
        }
        None => Ok(None),
    }
}

#[napi]
impl NativeConnection {
    /// Runs one statement. `reqId` is a u64 given as a BigInt; one is generated when absent.
    /// With `abort`, aborting stops waiting and frees on the server whatever the statement
    /// produces.
    #[napi(ts_return_type = "Promise<NativeResult>")]
    pub fn query<'env>(
        &self,
        env: &'env Env,
        sql: String,
        req_id: Option<BigInt>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeResult>> {
        let req_id = req_id_of(req_id)?;
        let client = self.client.clone();
        let abort = AbortHandle::of(abort);
        env.spawn_future(guarded(async move {
            let (info, rows) = abort.run(async { client.query(&sql, req_id).await.map_err(to_js) }).await?;
            Ok(NativeResult::new(rows, info))
        }))
    }

    /// Opens a stmt2 statement on the server. With `abort`, aborting gives up on this call and
    /// on the statement's later calls (each cancelled in the session).
    #[napi(ts_return_type = "Promise<NativeStmt2>")]
    pub fn stmt2_init<'env>(
        &self,
        env: &'env Env,
        req_id: Option<BigInt>,
        single_stb_insert: bool,
        single_table_bind_once: bool,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, NativeStmt2>> {
        // Checked for the caller's sake; stmt2_init requests use the session's own ids.
        let _ = req_id_of(req_id)?;
        let client = self.client.clone();
        let abort = AbortHandle::of(abort);
        env.spawn_future(guarded(async move {
            let options = Stmt2InitOptions { single_stb_insert, single_table_bind_once };
            let stmt = abort.run(async { client.stmt2_init(options).await.map_err(to_js) }).await?;
            Ok(NativeStmt2::new(stmt, abort))
        }))
    }

    /// Opens a stmt v1 statement on the server.
    #[napi]
    pub async fn stmt_init(&self) -> napi::Result<NativeStmt> {
        let client = self.client.clone();
        guarded(async move {
            Ok(NativeStmt::new(client.stmt_init().await.map_err(to_js)?))
        })
        .await
    }

    /// Schemaless write; resolves to the affected rows.
    #[napi]
    pub async fn schemaless_insert(&self, lines: Vec<String>, options: NativeSchemalessOptions) -> napi::Result<i64> {
        let req_id = req_id_of(options.req_id)?;
        let ttl = options.ttl.unwrap_or(0);
        let client = self.client.clone();
        let (protocol, precision) = (options.protocol.into(), options.precision.into());
        guarded(async move {
            let request = SchemalessRequest { lines, protocol, precision, ttl, req_id, table_name_key: options.table_name_key };
            let r = client.schemaless_insert(request).await.map_err(to_js)?;
            Ok(r.affected_rows)
        })
        .await
    }

    /// The number of `?` placeholders in `sql` (outside quotes and comments); no I/O.
    #[napi(catch_unwind)]
    pub fn placeholders(&self, sql: String) -> u32 {
        u32::try_from(taosjs_core::sql::placeholders(&sql)).unwrap_or(u32::MAX)
    }

    /// A handle to give up on a later call (`query(sql, reqId, abort)`).
    #[napi(catch_unwind)]
    pub fn new_abort(&self) -> NativeAbort {
        NativeAbort::new()
    }

    /// The version the server reported when connecting.
    #[napi(catch_unwind)]
    pub fn server_version(&self) -> String {
        self.client.server_version()
    }

    /// Whether the connection accepts no more calls: closed, or the server went away.
    #[napi(getter)]
    pub fn is_closed(&self) -> bool {
        self.client.is_closed()
    }

    /// Frees open results, closes statements and the socket.
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
