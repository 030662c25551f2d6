//! `connect` and `NativeConnection`: a thin shell over `taosjs_tokio::Client`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use taosjs_core::{
    decode_block_with_fields, ConnectConfig, ConnectOverrides, DataType, ErrorKind, Field, QueryInfo, SchemalessPrecision,
    SchemalessProtocol, Stmt2InitOptions,
};
use taosjs_tokio::Client;

use crate::block::NativeBlock;
use crate::error::{guarded, js_error, to_js};
use crate::statement::{NativeStmt, NativeStmt2};

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
    /// Per-endpoint limit for opening the WebSocket and logging in.
    pub connect_timeout_ms: Option<u32>,
}

/// Options of `schemalessInsert`.
#[napi(object, object_to_js = false)]
pub struct NativeSchemalessOptions {
    /// 1 line, 2 telnet, 3 JSON.
    pub protocol: u32,
    /// '', 'h', 'm', 's', 'ms', 'u', 'ns'.
    pub precision: String,
    pub ttl: Option<i32>,
    pub req_id: Option<BigInt>,
    pub table_name_key: Option<String>,
}

#[napi(object, object_from_js = false)]
pub struct NativeField {
    pub name: String,
    /// Wire type id.
    #[napi(js_name = "type")]
    pub ty: u32,
    pub bytes: u32,
    pub precision: u32,
    pub scale: u32,
}

#[napi(object, object_from_js = false)]
pub struct NativeQueryResult {
    /// 0 when the statement has no result set.
    pub result_id: i64,
    pub is_update: bool,
    pub affected_rows: i64,
    pub fields: Vec<NativeField>,
    /// 0 ms, 1 us, 2 ns.
    pub precision: u32,
}

/// Columns of the results still open on this connection, needed to decode their blocks.
pub(crate) type OpenResults = Arc<Mutex<HashMap<u64, Arc<Vec<Field>>>>>;

#[napi]
pub struct NativeConnection {
    client: Client,
    results: OpenResults,
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

/// Opens a connection: DSN (optional; defaults `ws://root:taosdata@localhost:6041`) plus overrides.
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
        let client = Client::connect(config).await.map_err(to_js)?;
        Ok(NativeConnection { client, results: Arc::default() })
    })
    .await
}

/// Keeps a result's columns for `fetchBlock` and describes it to JS. `storage_sizes`: the
/// fields carry storage sizes (statement results: VARCHAR(32) → 34), shown as user lengths.
pub(crate) fn register_result(info: QueryInfo, results: &OpenResults, storage_sizes: bool) -> napi::Result<NativeQueryResult> {
    let fields = info
        .fields
        .iter()
        .map(|f| NativeField {
            name: f.name.clone(),
            ty: u32::from(f.ty.id()),
            bytes: if storage_sizes { user_len(f.ty, f.bytes) } else { f.bytes },
            precision: u32::from(f.precision),
            scale: u32::from(f.scale),
        })
        .collect();
    if info.result_id != 0 {
        lock(results).insert(info.result_id, Arc::new(info.fields));
    }
    Ok(NativeQueryResult {
        result_id: i64::try_from(info.result_id)
            .map_err(|_| js_error(ErrorKind::Result, format!("result id {} out of range", info.result_id)))?,
        is_update: info.is_update,
        affected_rows: info.affected_rows,
        fields,
        precision: u32::from(info.precision.code()),
    })
}

fn user_len(ty: DataType, bytes: u32) -> u32 {
    match ty {
        DataType::VarChar | DataType::VarBinary | DataType::Geometry | DataType::Json => bytes.saturating_sub(2),
        DataType::NChar => bytes.saturating_sub(2) / 4,
        _ => bytes,
    }
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

fn result_id(id: i64) -> napi::Result<u64> {
    u64::try_from(id).map_err(|_| js_error(ErrorKind::Interface, format!("invalid result id {id}")))
}

#[napi]
impl NativeConnection {
    /// Runs one statement. `reqId` is a u64 given as a BigInt; one is generated when absent.
    #[napi]
    pub async fn query(&self, sql: String, req_id: Option<BigInt>) -> napi::Result<NativeQueryResult> {
        let req_id = req_id_of(req_id)?;
        let client = self.client.clone();
        let results = self.results.clone();
        guarded(async move {
            let info = client.query(&sql, req_id).await.map_err(to_js)?;
            register_result(info, &results, false)
        })
        .await
    }

    /// The next block of a result as columns, or null once the server has no more rows (it then
    /// freed the result itself).
    #[napi(ts_return_type = "Promise<NativeBlock | null>")]
    pub async fn fetch_block(&self, result_id: i64) -> napi::Result<Option<NativeBlock>> {
        let id = self::result_id(result_id)?;
        let client = self.client.clone();
        let results = self.results.clone();
        guarded(async move {
            let fields = lock(&results).get(&id).cloned();
            let Some(fields) = fields else {
                return Err(js_error(ErrorKind::Result, format!("result {id} is not open on this connection")));
            };
            match client.fetch_block(id).await {
                Ok(Some(raw)) => {
                    let block = decode_block_with_fields(&raw, Some(&fields)).map_err(to_js)?;
                    Ok(Some(NativeBlock::from(block)))
                }
                Ok(None) => {
                    lock(&results).remove(&id);
                    Ok(None)
                }
                Err(e) => {
                    lock(&results).remove(&id);
                    Err(to_js(e))
                }
            }
        })
        .await
    }

    /// Frees a result on the server now; a no-op for results already finished or freed.
    #[napi(catch_unwind)]
    pub fn free_result(&self, result_id: i64) -> napi::Result<()> {
        let id = self::result_id(result_id)?;
        lock(&self.results).remove(&id);
        self.client.free_result(id);
        Ok(())
    }

    /// Opens a stmt2 statement on the server.
    #[napi]
    pub async fn stmt2_init(
        &self,
        req_id: Option<BigInt>,
        single_stb_insert: bool,
        single_table_bind_once: bool,
    ) -> napi::Result<NativeStmt2> {
        // Checked for the caller's sake; stmt2_init requests use the session's own ids.
        let _ = req_id_of(req_id)?;
        let client = self.client.clone();
        let results = self.results.clone();
        guarded(async move {
            let options = Stmt2InitOptions { single_stb_insert, single_table_bind_once };
            let stmt_id = client.stmt2_init(options).await.map_err(to_js)?;
            Ok(NativeStmt2::new(client, stmt_id, results))
        })
        .await
    }

    /// Opens a stmt v1 statement on the server.
    #[napi]
    pub async fn stmt_init(&self) -> napi::Result<NativeStmt> {
        let client = self.client.clone();
        let results = self.results.clone();
        guarded(async move {
            let stmt_id = client.stmt_init().await.map_err(to_js)?;
            Ok(NativeStmt::new(client, stmt_id, results))
        })
        .await
    }

    /// Schemaless write; resolves to the affected rows.
    #[napi]
    pub async fn schemaless_insert(&self, lines: Vec<String>, options: NativeSchemalessOptions) -> napi::Result<i64> {
        let protocol = match options.protocol {
            1 => SchemalessProtocol::Line,
            2 => SchemalessProtocol::Telnet,
            3 => SchemalessProtocol::Json,
            other => return Err(js_error(ErrorKind::Interface, format!("unknown schemaless protocol {other}"))),
        };
        let precision = SchemalessPrecision::parse(&options.precision).ok_or_else(|| {
            js_error(ErrorKind::Interface, format!("unknown schemaless precision {:?}", options.precision))
        })?;
        let req_id = req_id_of(options.req_id)?;
        let ttl = options.ttl.unwrap_or(0);
        let client = self.client.clone();
        guarded(async move {
            let r = client
                .schemaless_insert(lines, protocol, precision, ttl, req_id, options.table_name_key)
                .await
                .map_err(to_js)?;
            Ok(r.affected_rows)
        })
        .await
    }

    /// The version the server reported when connecting.
    #[napi(catch_unwind)]
    pub fn server_version(&self) -> String {
        self.client.server_version()
    }

    /// Frees open results and closes the socket.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let client = self.client.clone();
        let results = self.results.clone();
        guarded(async move {
            client.close().await;
            lock(&results).clear();
            Ok(())
        })
        .await
    }
}

/// A poisoned lock only means another call panicked (already reported); the map is still usable.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
