//! `NativeRestTarget`: taosAdapter's REST API (`POST /rest/sql`, `GET /rest/login`) for a driver
//! written in JavaScript, which sends the requests with `fetch` (`src/fetch-rest.ts`, the
//! WebAssembly build's REST transport). The core builds every request and decodes every answer
//! (`taosjs_core::rest`) exactly as for the tokio driver (`taosjs_tokio::RestClient`); the
//! driver only moves the bytes and bounds the time. Both builds contain it (one `index.d.ts`),
//! with `restAffectedRowsColumn`, which `RestClient.sql` answers in for every transport.

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use taosjs_core::rest::{decode_answer, decode_login, decode_probe, RestRequest, RestTarget};
use taosjs_core::{ConnectConfig, ErrorKind};

use crate::block::{Batch, Info};
use crate::error::{js_error, native_message, to_js};
use crate::options::{connect_config, req_id_of, rest_config, NativeConnectOptions};
use crate::session::{packed, Bytes};

/// One column of a REST answer's `column_meta`: name, TDengine's type name, length.
#[napi(object)]
pub struct NativeRestColumn {
    pub name: String,
    pub type_name: String,
    pub bytes: u32,
}

/// The column of taosAdapter's answer to a statement without a result set, which
/// `RestClient.sql` answers with for such statements (the core owns its shape).
#[napi(catch_unwind)]
pub fn rest_affected_rows_column() -> NativeRestColumn {
    let f = taosjs_core::rest::affected_rows_column();
    NativeRestColumn { type_name: f.ty.full_name(f.bytes, f.precision, f.scale), name: f.name, bytes: f.bytes }
}

/// Whether `dsn` names REST (`http://`, `https://`), for a driver that picks its transport by
/// it. A DSN that does not parse is not (the WebSocket session's constructor then says why).
#[napi(catch_unwind)]
pub fn is_rest_dsn(dsn: Option<String>) -> bool {
    connect_config(dsn.as_deref(), None).is_ok_and(|c| c.scheme.is_rest())
}

/// One header of a [`NativeHttpRequest`].
#[napi(object, object_from_js = false)]
pub struct NativeHttpHeader {
    pub name: String,
    pub value: String,
}

/// An HTTP request to send as it is. Its URL and headers may hold credentials: never show them.
#[napi(object, object_from_js = false)]
pub struct NativeHttpRequest {
    /// `GET` or `POST`.
    pub method: String,
    pub url: String,
    pub headers: Vec<NativeHttpHeader>,
    #[napi(ts_type = "Uint8Array")]
    pub body: Bytes,
}

impl From<RestRequest> for NativeHttpRequest {
    fn from(r: RestRequest) -> Self {
        NativeHttpRequest {
            method: r.method.as_str().to_owned(),
            url: r.url,
            headers: r.headers.into_iter().map(|(name, value)| NativeHttpHeader { name: name.to_owned(), value }).collect(),
            body: r.body.into(),
        }
    }
}

/// Where a REST connection's requests go (one target per endpoint of the DSN, in order) and as
/// whom, with the limits the driver applies.
#[napi]
pub struct NativeRestTarget {
    config: ConnectConfig,
    targets: Vec<RestTarget>,
}

#[napi]
impl NativeRestTarget {
    /// `connect()`'s REST: `dsn` is an `http(s)://` DSN (several hosts are tried in order when
    /// connecting). `RestClient`'s (`restUrl`): `dsn` is its URL, one host, nothing checked
    /// until the first statement. Errors as the native addon's for the same input.
    #[napi(constructor)]
    pub fn new(dsn: Option<String>, options: Option<NativeConnectOptions>, rest_url: bool) -> napi::Result<Self> {
        let config = if rest_url { rest_config(dsn.as_deref().unwrap_or_default(), options)? } else { connect_config(dsn.as_deref(), options)? };
        if !config.scheme.is_rest() {
            return Err(js_error(ErrorKind::Programming, format!("{}:// is not a REST scheme (use http:// or https://)", config.scheme.as_str())));
        }
        if config.endpoints.is_empty() {
            return Err(js_error(ErrorKind::Programming, "no host to send REST requests to"));
        }
        let targets = config.endpoints.iter().map(|e| RestTarget::new(&config, e)).collect::<Result<Vec<_>, _>>().map_err(to_js)?;
        Ok(NativeRestTarget { config, targets })
    }

    /// `http://host:6041` of each endpoint, in order (no credentials: safe for messages).
    #[napi(getter, catch_unwind)]
    pub fn base_urls(&self) -> Vec<String> {
        self.targets.iter().map(|t| t.base_url().to_owned()).collect()
    }

    /// How long checking an endpoint (`connect`) may take.
    #[napi(getter, catch_unwind)]
    pub fn connect_timeout_ms(&self) -> f64 {
        self.config.connect_timeout.as_secs_f64() * 1000.0
    }

    /// The deadline of a request that names none, from the call to the answer's last byte.
    #[napi(getter, catch_unwind)]
    pub fn request_timeout_ms(&self) -> f64 {
        self.config.request_timeout.as_secs_f64() * 1000.0
    }

    /// Requests in flight at once (`maxSockets`); more wait for a turn within their deadline.
    #[napi(getter, catch_unwind)]
    pub fn max_sockets(&self) -> u32 {
        self.config.max_sockets
    }

    /// The timezone of the DSN or the options, if one was set.
    #[napi(getter, catch_unwind)]
    pub fn timezone(&self) -> Option<String> {
        self.config.timezone.clone()
    }

    /// The number of `?` placeholders in `sql` (outside quotes and comments); no I/O.
    #[napi(catch_unwind)]
    pub fn placeholders(&self, sql: String) -> u32 {
        u32::try_from(taosjs_core::sql::placeholders(&sql)).unwrap_or(u32::MAX)
    }

    /// `POST /rest/sql[/<db>]` running `sql` at endpoint `endpoint`.
    #[napi(catch_unwind)]
    pub fn sql(&self, endpoint: u32, sql: String, req_id: Option<BigInt>) -> napi::Result<NativeHttpRequest> {
        Ok(self.target(endpoint)?.sql(&sql, req_id_of(req_id)?).into())
    }

    /// The request `connect` checks an endpoint with (read by `decodeProbe`).
    #[napi(catch_unwind)]
    pub fn probe(&self, endpoint: u32) -> napi::Result<NativeHttpRequest> {
        Ok(self.target(endpoint)?.probe().into())
    }

    /// `GET /rest/login/<user>/<password>` (read by `decodeLogin`).
    #[napi(catch_unwind)]
    pub fn login(&self, endpoint: u32) -> napi::Result<NativeHttpRequest> {
        Ok(self.target(endpoint)?.login().into())
    }

    /// A statement's answer, packed as every result's first batch (`block.rs`): its description
    /// and all its blocks, finished. A refusal is the error with TDengine's code.
    #[napi(catch_unwind)]
    pub fn decode_answer(&self, status: u32, body: Uint8Array) -> napi::Result<Bytes> {
        let answer = decode_answer(http_status(status), &body).map_err(to_js)?;
        let described = Info { affected_rows: answer.affected_rows, has_rows: answer.has_rows, precision: answer.precision, fields: &answer.fields };
        let batch = if answer.has_rows { Batch::last_decoded(answer.blocks) } else { Batch::finished() };
        packed(Some(&described), &batch).map_err(to_js)
    }

    /// The server's version from the probe's answer (a refusal is a ConnectionError with its
    /// code: other endpoints would refuse alike; an error without a code: try the next one).
    #[napi(catch_unwind)]
    pub fn decode_probe(&self, status: u32, body: Uint8Array) -> napi::Result<String> {
        decode_probe(http_status(status), &body).map_err(to_js)
    }

    /// The token of `/rest/login`'s answer.
    #[napi(catch_unwind)]
    pub fn decode_login(&self, status: u32, body: Uint8Array) -> napi::Result<String> {
        decode_login(http_status(status), &body).map_err(to_js)
    }

    /// What REST lacks, as a NotSupportedError's message naming the ws:// DSN that has it.
    #[napi(catch_unwind)]
    pub fn lacks(&self, feature: String) -> String {
        native_message(&self.targets[0].lacks(&feature))
    }

    fn target(&self, endpoint: u32) -> napi::Result<&RestTarget> {
        self.targets
            .get(endpoint as usize)
            .ok_or_else(|| js_error(ErrorKind::Interface, format!("there is no endpoint {endpoint} (of {})", self.targets.len())))
    }
}

fn http_status(status: u32) -> u16 {
    u16::try_from(status).unwrap_or(u16::MAX)
}
