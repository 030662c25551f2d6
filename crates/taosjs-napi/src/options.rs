//! What the caller configures, for both drivers (the tokio-driven addon and the WebAssembly
//! build's session): the settings that override the DSN, the options of a schemaless write, and
//! request ids (u64 as BigInt).

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use taosjs_core::{ConnectConfig, ConnectOverrides, ErrorKind, SchemalessRequest};

use crate::error::{js_error, to_js};
use crate::vocabulary::{SmlPrecision, SmlProtocol};

/// Settings that override the DSN's (their JavaScript types checked by the TS facade; their
/// meaning and ranges by the core, which names the option in its error).
#[napi(object)]
pub struct NativeConnectOptions {
    pub user: Option<String>,
    pub password: Option<String>,
    pub host: Option<String>,
    pub port: Option<u32>,
    pub database: Option<String>,
    pub timezone: Option<String>,
    pub token: Option<String>,
    /// PEM certificates to trust for `wss://` besides the system's roots.
    pub ca: Option<String>,
    /// PEM client certificate chain and key, for servers that ask for one.
    pub cert: Option<String>,
    pub key: Option<String>,
    /// `false` accepts any server certificate (tests only).
    pub reject_unauthorized: Option<bool>,
    /// Per-endpoint limit for opening the WebSocket, and the limit for the login.
    pub connect_timeout_ms: Option<u32>,
    pub request_timeout_ms: Option<u32>,
    /// 0 turns keepalive off.
    pub keepalive_ms: Option<u32>,
    /// 0 turns reconnecting off; 4294967295 retries (practically) forever.
    pub retries: Option<u32>,
    pub retry_backoff_ms: Option<u32>,
    pub retry_backoff_max_ms: Option<u32>,
    pub max_open_results: Option<u32>,
    /// REST: sockets open at once (busy or idle).
    pub max_sockets: Option<u32>,
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
                    .ok_or_else(|| js_error(ErrorKind::Programming, format!("option port must be 1..65535, got {p}")))?,
            ),
            None => None,
        };
        o.database = options.database;
        o.timezone = options.timezone;
        o.token = options.token;
        o.tls_ca_pem = options.ca;
        o.tls_cert_pem = options.cert;
        o.tls_key_pem = options.key;
        o.tls_verify = options.reject_unauthorized;
        let numbers = [
            ("connectTimeoutMs", options.connect_timeout_ms),
            ("requestTimeoutMs", options.request_timeout_ms),
            ("keepaliveMs", options.keepalive_ms),
            ("retries", options.retries),
            ("retryBackoffMs", options.retry_backoff_ms),
            ("retryBackoffMaxMs", options.retry_backoff_max_ms),
            ("maxOpenResults", options.max_open_results),
            ("maxSockets", options.max_sockets),
        ];
        o.numbers = numbers.iter().filter_map(|(name, v)| v.map(|v| ((*name).to_owned(), u64::from(v)))).collect();
    }
    Ok(o)
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

/// The configuration of a connection: the DSN (default `ws://root:taosdata@localhost:6041`;
/// parsed by the core) with the options over it, checked before any I/O.
pub(crate) fn connect_config(dsn: Option<&str>, options: Option<NativeConnectOptions>) -> napi::Result<ConnectConfig> {
    ConnectConfig::from_parts(dsn, overrides(options)?).map_err(to_js)
}

/// The configuration of a REST client for `url` with the options over it.
pub(crate) fn rest_config(url: &str, options: Option<NativeConnectOptions>) -> napi::Result<ConnectConfig> {
    ConnectConfig::from_rest_url(url, overrides(options)?).map_err(to_js)
}

/// A schemaless write of `lines` with these options.
pub(crate) fn schemaless_request(lines: Vec<String>, options: NativeSchemalessOptions) -> napi::Result<SchemalessRequest> {
    Ok(SchemalessRequest {
        lines,
        protocol: options.protocol.into(),
        precision: options.precision.into(),
        ttl: options.ttl.unwrap_or(0),
        req_id: req_id_of(options.req_id)?,
        table_name_key: options.table_name_key,
    })
}
