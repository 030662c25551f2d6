//! Schemaless writes over HTTP, as taosAdapter 3.3.7.5's plugins answer them:
//! `POST /influxdb/v1/write?db=…` (InfluxDB line protocol) and `POST /opentsdb/v1/put/json/<db>`,
//! `/opentsdb/v1/put/telnet/<db>`. Success is `204 No Content`; each plugin has its own error
//! bodies (influxdb: `{"code":"<kind>","message":…}` with string codes; opentsdb:
//! `{"code":<http status>,"message":…}`). TDengine errors are `[0x<code>] <text>` with HTTP 500.
//! The writes themselves are the engine's (`schemaless_insert`, as for the `/ws` `insert` action).

use std::sync::Arc;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use serde::Serialize;
use taos_sqlengine::types::TdError;
use taos_sqlengine::SessionCtx;

use crate::backend_call::{guarded, run_blocking};
use crate::rest::{decode_basic, query_params, read_body};
use crate::shared::Shared;

/// Which plugin a request is for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plugin {
    Influxdb,
    OpentsdbJson,
    OpentsdbTelnet,
}

/// Protocol numbers of `taos_schemaless_insert`.
const LINE: i64 = 1;
const TELNET: i64 = 2;
const JSON: i64 = 3;

#[derive(Serialize)]
struct InfluxMessage<'a> {
    code: &'a str,
    message: &'a str,
}

#[derive(Serialize)]
struct InfluxBadRequest<'a> {
    code: &'a str,
    message: &'a str,
    op: &'a str,
    err: &'a str,
    line: u32,
}

#[derive(Serialize)]
struct OpentsdbMessage<'a> {
    code: u16,
    message: &'a str,
}

fn json(status: StatusCode, body: &impl Serialize) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from(crate::envelope::go_json(body))));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        hyper::header::HeaderValue::from_static("application/json; charset=utf-8"),
    );
    resp
}

fn no_content() -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::NO_CONTENT;
    resp
}

/// How the Go side prints a TDengine error (`TaosError.Error()`).
fn taos_error_text(e: &TdError) -> String {
    format!("[0x{:x}] {}", e.code, e.message)
}

/// An error answer in the plugin's own shape.
fn refuse(plugin: Plugin, status: StatusCode, kind: &str, message: &str) -> Response<Full<Bytes>> {
    match plugin {
        Plugin::Influxdb => json(
            status,
            &InfluxMessage {
                code: kind,
                message,
            },
        ),
        _ => json(
            status,
            &OpentsdbMessage {
                code: status.as_u16(),
                message,
            },
        ),
    }
}

/// influxdb's 400 answers name the step that failed.
fn influx_bad_request(kind: &str, message: &str, op: &str) -> Response<Full<Bytes>> {
    json(
        StatusCode::BAD_REQUEST,
        &InfluxBadRequest {
            code: kind,
            message,
            op,
            err: message,
            line: 0,
        },
    )
}

/// Handles one write; `db` is the path's database for the opentsdb plugin.
pub async fn write(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    plugin: Plugin,
    db: Option<String>,
) -> Response<Full<Bytes>> {
    let params = query_params(&req);
    let param = |k: &str| {
        params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty())
    };
    if let Some(r) = param("req_id") {
        if r.parse::<u64>().is_err() {
            return match plugin {
                Plugin::Influxdb => {
                    influx_bad_request("illegal param", "req_id must be numeric", "parse req_id")
                }
                _ => {
                    let message = format!("illegal param, req_id must be numeric strconv.ParseUint: parsing \"{r}\": invalid syntax");
                    refuse(plugin, StatusCode::BAD_REQUEST, "", &message)
                }
            };
        }
    }
    // credentials: the opentsdb plugin wants a Basic header; influxdb also takes `u`/`p`
    let header = req
        .headers()
        .get(hyper::header::AUTHORIZATION)
        .map(|h| String::from_utf8_lossy(h.as_bytes()).trim().to_string());
    let (mut user, mut password) = (None, None);
    match header.as_deref() {
        Some(h) if h.starts_with("Basic") && h.len() > 6 => {
            match decode_basic(h.get(6..).unwrap_or_default()) {
                Ok((u, p)) => (user, password) = (Some(u), Some(p)),
                Err(e) if plugin != Plugin::Influxdb => {
                    return refuse(plugin, StatusCode::UNAUTHORIZED, "", &e)
                }
                Err(_) => {}
            }
        }
        None if plugin != Plugin::Influxdb => {
            return refuse(plugin, StatusCode::UNAUTHORIZED, "", "auth needed")
        }
        _ => {}
    }
    if plugin == Plugin::Influxdb {
        user = param("u").or(user);
        password = param("p").or(password);
    }
    let db = match plugin {
        Plugin::Influxdb => param("db"),
        _ => db.filter(|d| !d.is_empty()),
    };
    let precision = match plugin {
        Plugin::Influxdb => param("precision").unwrap_or_else(|| "ns".into()),
        // the opentsdb protocols take the precision from each timestamp
        _ => String::new(),
    };
    if plugin == Plugin::Influxdb && (user.is_none() || password.is_none()) {
        return refuse(
            plugin,
            StatusCode::UNAUTHORIZED,
            "forbidden",
            "get auth error",
        );
    }
    let Some(db) = db else {
        return match plugin {
            Plugin::Influxdb => influx_bad_request("not found", "db required", "get db query"),
            _ => refuse(plugin, StatusCode::BAD_REQUEST, "", "db required"),
        };
    };
    let ttl = match param("ttl").map(|t| t.parse::<i64>()) {
        None => 0,
        Some(Ok(t)) => t,
        Some(Err(_)) => {
            return match plugin {
                Plugin::Influxdb => {
                    influx_bad_request("illegal param", "ttl must be numeric", "parse ttl")
                }
                _ => {
                    let t = param("ttl").unwrap_or_default();
                    let message = format!("illegal param, ttl must be numeric strconv.Atoi: parsing \"{t}\": invalid syntax");
                    refuse(plugin, StatusCode::BAD_REQUEST, "", &message)
                }
            };
        }
    };
    let key = param("table_name_key");
    let body = read_body(req).await.unwrap_or_default();
    let body = String::from_utf8_lossy(&body).into_owned();
    let (Some(user), Some(password)) = (user, password) else {
        // opentsdb with a header that is not Basic: no credentials at all
        return refuse(plugin, StatusCode::BAD_REQUEST, "", "get auth error");
    };
    let login = match shared.login(&user, &password) {
        Ok(l) => l,
        Err(e) => {
            let text = format!("[0x{:x}] {}", e.code(), e.message());
            return refuse(
                plugin,
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal error",
                &text,
            );
        }
    };
    let (protocol, data) = match plugin {
        Plugin::Influxdb => (LINE, body.trim().to_string()),
        Plugin::OpentsdbJson => (JSON, body),
        // one request line per point, `put ` prefixes dropped, empty lines skipped
        Plugin::OpentsdbTelnet => {
            let lines: Vec<&str> = body
                .lines()
                .filter(|l| !l.is_empty())
                .map(|l| l.trim().strip_prefix("put ").unwrap_or(l.trim()))
                .collect();
            (TELNET, lines.join("\n"))
        }
    };
    if plugin != Plugin::Influxdb && data.is_empty() {
        return no_content();
    }
    let backend = shared.backend.clone();
    let sql_user = match login {
        crate::shared::Login::Sql(name) => Some(name),
        crate::shared::Login::Configured => None,
    };
    let outcome = run_blocking(move || {
        let mut ctx = SessionCtx {
            user: sql_user,
            ..SessionCtx::default()
        };
        guarded(|| backend.execute(&mut ctx, &format!("use {db}")))?;
        guarded(|| {
            backend.schemaless_insert(&ctx, protocol, &precision, &data, ttl, key.as_deref())
        })
    });
    match outcome {
        Ok(_) => no_content(),
        Err(e) => refuse(
            plugin,
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error",
            &taos_error_text(&e),
        ),
    }
}
