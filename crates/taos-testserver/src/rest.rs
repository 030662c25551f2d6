//! REST `/rest/sql[/<db>]`, `/rest/login`, `/rest/sql/<db>/vgid` (reference §8, wire README §5.8).

use crate::auth::{AuthError, Users};
use crate::backend_call::{guarded, run_blocking};
use crate::render::{is_non_finite, json_string, rest_value};
use crate::envelope::timing_ns;
use crate::shared::Shared;
use taos_sqlengine::types::{code, Outcome, ResultSet, Value};
use taos_sqlengine::session::SessionTz;
use taos_sqlengine::SessionCtx;
use base64::Engine as _;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::{HeaderValue, CONTENT_ENCODING, CONTENT_TYPE};
use hyper::{Request, Response, StatusCode};
use serde::Serialize;
use std::fmt::Write;
use std::io::Write as _;
use std::sync::Arc;
use std::time::Instant;

const JSON_CONTENT_TYPE: &str = "application/json; charset=utf-8";
const NO_AUTH_INFO: u16 = 0x1105;
const REQUEST_EMPTY: u16 = 0x1106;
const NO_SQL_INPUT: u16 = 0x1107;
const INVALID_AUTH_TYPE: u16 = 0x1122;
const INVALID_BASIC_AUTH: u16 = 0x1124;
const INVALID_TAOSD_AUTH: u16 = 0x1125;
/// 0x0219: a statement longer than [`MAX_SQL_LEN`] bytes.
const SQL_TOO_LONG: u16 = 0x0219;
const MAX_SQL_LEN: usize = 1024 * 1024;
/// `/rest/login` with a wrong password or an unknown user (HTTP 401).
const LOGIN_FAILED: u16 = 3;
/// Largest request body read (the adapter has no limit; this keeps a client from exhausting memory).
const MAX_BODY: usize = 256 * 1024 * 1024;

#[derive(Serialize)]
struct ErrorBody<'a> {
    code: u16,
    desc: &'a str,
    timing: u64,
}

#[derive(Serialize)]
struct LoginBody<'a> {
    code: u16,
    desc: &'a str,
}

fn json_response(status: StatusCode, body: Vec<u8>, gzip: bool) -> Response<Full<Bytes>> {
    let (body, encoded) = if gzip && !body.is_empty() {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        match enc.write_all(&body).and_then(|_| enc.finish()) {
            Ok(z) => (z, true),
            Err(_) => (body, false),
        }
    } else {
        (body, false)
    };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(JSON_CONTENT_TYPE));
    if encoded {
        resp.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    resp
}

fn error_response(status: StatusCode, code: u16, desc: &str, start: Instant, gzip: bool) -> Response<Full<Bytes>> {
    let body = crate::envelope::go_json(&ErrorBody { code, desc, timing: timing_ns(start) });
    json_response(status, body, gzip)
}

fn wants_gzip<T>(req: &Request<T>) -> bool {
    req.headers()
        .get_all(hyper::header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|e| e.split(';').next().unwrap_or("").trim().eq_ignore_ascii_case("gzip")))
}

pub fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' if i + 2 < b.len() => {
                match u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap_or("zz"), 16) {
                    Ok(v) => {
                        out.push(v);
                        i += 3;
                    }
                    Err(_) => {
                        out.push(b'%');
                        i += 1;
                    }
                }
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(crate) fn query_params<T>(req: &Request<T>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (percent_decode(k), percent_decode(v)),
            None => (percent_decode(p), String::new()),
        })
        .collect()
}


/// Who the `Authorization` header names, or the HTTP-level refusal.
enum Auth {
    Credentials(String, String),
    /// `Taosd <token>` from `/rest/login`.
    Taosd(String),
}

fn check_auth<T>(req: &Request<T>) -> Result<Auth, (u16, &'static str)> {
    let Some(h) = req.headers().get(hyper::header::AUTHORIZATION) else {
        return Err((NO_AUTH_INFO, "no auth info input"));
    };
    let h = String::from_utf8_lossy(h.as_bytes()).into_owned();
    // the adapter trims the header, then needs the scheme and at least one byte after its
    // separator: `Basic ` alone is an unknown type (checked on 3.3.7.5)
    let h = h.trim();
    let credentials = h.get(6..).filter(|_| h.len() > 6);
    match credentials {
        Some(c) if h.starts_with("Basic") => match decode_basic(c) {
            Ok((u, p)) if !u.is_empty() && !p.is_empty() => Ok(Auth::Credentials(u, p)),
            _ => Err((INVALID_BASIC_AUTH, "invalid basic Authorization")),
        },
        Some(c) if h.starts_with("Taosd") => Ok(Auth::Taosd(c.to_string())),
        // `Bearer` tokens came after 3.3.7.5: refused like any unknown scheme
        _ => Err((INVALID_AUTH_TYPE, "invalid type of Authorization")),
    }
}

/// The user and password of HTTP Basic credentials (base64 of `user:password`), or Go's error
/// text (taosAdapter's `DecodeBasic`; the password may contain `:`).
pub(crate) fn decode_basic(credentials: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD.decode(credentials).map_err(|e| {
        let at = match e {
            base64::DecodeError::InvalidByte(i, _) | base64::DecodeError::InvalidLastSymbol(i, _) => i,
            _ => credentials.len(),
        };
        format!("illegal base64 data at input byte {at}")
    })?;
    let text = String::from_utf8_lossy(&bytes).into_owned();
    match text.split_once(':') {
        Some((u, p)) => Ok((u.to_string(), p.to_string())),
        None => Err("wrong basic auth".into()),
    }
}

pub fn login<T>(shared: &Shared, user: &str, password: &str, req: &Request<T>) -> Response<Full<Bytes>> {
    let user = percent_decode(user);
    let password = percent_decode(password);
    let start = Instant::now();
    let gzip = wants_gzip(req);
    if shared.users.check(&user, &password).is_err() {
        // unknown user or wrong password alike (m_session_options)
        return error_response(StatusCode::UNAUTHORIZED, LOGIN_FAILED, "Authentication failure", start, gzip);
    }
    let token = Users::token_for(&user, &password);
    let body = crate::envelope::go_json(&LoginBody { code: 0, desc: &token });
    json_response(StatusCode::OK, body, gzip)
}

pub struct RestParams {
    pub tz: chrono_tz::Tz,
    pub conn_tz: Option<SessionTz>,
    pub row_with_meta: bool,
    pub timing: bool,
}

fn parse_params<T>(req: &Request<T>, default_tz: chrono_tz::Tz) -> Result<RestParams, String> {
    let mut p = RestParams { tz: default_tz, conn_tz: None, row_with_meta: false, timing: false };
    let mut tz_name: Option<String> = None;
    let mut conn_tz: Option<String> = None;
    for (k, v) in query_params(req) {
        match k.as_str() {
            "req_id" if !v.is_empty() => {
                crate::goparse::parse_int(&v).map_err(|e| format!("illegal param, req_id must be numeric {e}"))?;
            }
            "row_with_meta" if !v.is_empty() => {
                p.row_with_meta = crate::goparse::parse_bool(&v).ok_or_else(|| {
                    format!("illegal param, row_with_meta must be boolean {}", crate::goparse::bool_error(&v))
                })?;
            }
            "timing" if !v.is_empty() => {
                p.timing = crate::goparse::parse_bool(&v).ok_or_else(|| {
                    format!("illegal param, timing must be boolean {}", crate::goparse::bool_error(&v))
                })?;
            }
            "tz" if !v.is_empty() => tz_name = Some(v),
            "conn_tz" if !v.is_empty() => conn_tz = Some(v),
            _ => {}
        }
    }
    // `tz` decides rendering; `conn_tz` renders the same way when `tz` is absent.
    for name in [conn_tz.clone(), tz_name].into_iter().flatten() {
        p.tz = parse_tz(&name).ok_or_else(|| format!("unknown time zone {name}"))?;
    }
    // `conn_tz` is also the request's session zone (literals, to_iso8601, timezone())
    p.conn_tz = conn_tz.map(|n| SessionTz::named(&n));
    Ok(p)
}

pub fn parse_tz(name: &str) -> Option<chrono_tz::Tz> {
    if name == "UTC" || name.is_empty() {
        return Some(chrono_tz::UTC);
    }
    name.parse::<chrono_tz::Tz>().ok()
}

pub async fn sql(req: Request<Incoming>, shared: Arc<Shared>, db: Option<String>) -> Response<Full<Bytes>> {
    let start = Instant::now();
    let gzip = wants_gzip(&req);
    let auth = match check_auth(&req) {
        Ok(a) => a,
        Err((code, desc)) => return error_response(StatusCode::UNAUTHORIZED, code, desc, start, gzip),
    };
    let params = match parse_params(&req, shared.config.engine.timezone) {
        Ok(p) => p,
        Err(desc) => return error_response(StatusCode::BAD_REQUEST, code::ADAPTER_GENERIC, &desc, start, gzip),
    };
    let body = match read_body(req).await {
        Some(b) => b,
        None => return error_response(StatusCode::BAD_REQUEST, REQUEST_EMPTY, "request is empty", start, gzip),
    };
    if body.is_empty() {
        return error_response(StatusCode::BAD_REQUEST, REQUEST_EMPTY, "request is empty", start, gzip);
    }
    let sql = String::from_utf8_lossy(&body).into_owned();
    if sql.trim().is_empty() {
        return error_response(StatusCode::BAD_REQUEST, NO_SQL_INPUT, "no sql input", start, gzip);
    }
    let user = match authorize(&shared, &auth, start, gzip) {
        Ok(u) => u,
        Err(resp) => return resp,
    };
    let pool_user = match &auth {
        Auth::Credentials(u, _) => Some(u.clone()),
        Auth::Taosd(t) => shared.users.user_for_token(t).map(str::to_string),
    };
    if let Some(name) = pool_user {
        shared.rest_pool_connection(&name);
    }
    // taosc's limit on one statement, counted after trailing blanks (n_rest_variants)
    if sql.trim_end().len() > MAX_SQL_LEN {
        return error_response(StatusCode::OK, SQL_TOO_LONG, "SQL statement too long", start, gzip);
    }

    let backend = shared.backend.clone();
    let session_tz = params.conn_tz.clone();
    let outcome = run_blocking(move || {
        let mut ctx = SessionCtx { user, tz: session_tz, ..SessionCtx::default() };
        if let Some(db) = db {
            // The adapter runs `use <db>` first and ignores its failure.
            let _ = guarded(|| backend.execute(&mut ctx, &format!("use `{db}`")));
        }
        guarded(|| backend.execute(&mut ctx, &sql))
    });
    match outcome {
        Ok(Outcome::Affected(n)) => {
            let mut s = String::with_capacity(96);
            s.push_str(r#"{"code":0,"column_meta":[["affected_rows","INT",4]],"data":["#);
            if params.row_with_meta {
                let _ = write!(s, "{{\"affected_rows\":{n}}}],\"rows\":1");
            } else {
                let _ = write!(s, "[{n}]],\"rows\":1");
            }
            if params.timing {
                let _ = write!(s, ",\"timing\":{}", timing_ns(start));
            }
            s.push('}');
            json_response(StatusCode::OK, s.into_bytes(), gzip)
        }
        // Rendering (and gzip) of a large result is CPU work: off the async worker, like execution.
        Ok(Outcome::Rows(rs)) => run_blocking(|| match render_result(&rs, &params, start) {
            Some(s) => json_response(StatusCode::OK, s.into_bytes(), gzip),
            // ±Infinity cannot be written as JSON: the adapter answers 200 with an empty body.
            None => json_response(StatusCode::OK, Vec::new(), false),
        }),
        Err(e) => error_response(StatusCode::OK, e.code, &e.message, start, gzip),
    }
}

/// Checks the named credentials: an unknown user (849) or a bad password (855) is a TDengine
/// error (HTTP 200); a `Taosd` token not shaped like one is refused at the HTTP level (401,
/// 4389), a well-formed one the server never issued names no user (849, n_rest_variants).
#[allow(clippy::result_large_err)]
fn authorize(
    shared: &Shared,
    auth: &Auth,
    start: Instant,
    gzip: bool,
) -> Result<Option<String>, Response<Full<Bytes>>> {
    let refused = |e: AuthError| Err(error_response(StatusCode::OK, e.code(), e.message(), start, gzip));
    match auth {
        Auth::Credentials(u, p) => match shared.login(u, p) {
            Ok(crate::shared::Login::Sql(name)) => Ok(Some(name)),
            Ok(crate::shared::Login::Configured) => Ok(None),
            Err(e) => refused(e),
        },
        Auth::Taosd(t) if shared.users.user_for_token(t).is_some() => Ok(None),
        Auth::Taosd(t) if Users::token_well_formed(t) => refused(AuthError::UnknownUser),
        Auth::Taosd(_) => Err(error_response(
            StatusCode::UNAUTHORIZED,
            INVALID_TAOSD_AUTH,
            "invalid taosd Authorization",
            start,
            gzip,
        )),
    }
}

pub(crate) async fn read_body(req: Request<Incoming>) -> Option<Bytes> {
    let limited = http_body_util::Limited::new(req.into_body(), MAX_BODY);
    limited.collect().await.ok().map(|c| c.to_bytes())
}

/// Renders a result set as the adapter's JSON; `None` if a value is ±Infinity/NaN.
pub fn render_result(rs: &ResultSet, params: &RestParams, start: Instant) -> Option<String> {
    let rows = rs.num_rows();
    let mut s = String::with_capacity(64 + rs.fields.len() * 32 + rows * rs.fields.len() * 12);
    s.push_str(r#"{"code":0,"column_meta":["#);
    for (i, f) in rs.fields.iter().enumerate() {
        if i > 0 {
            s.push(',');
        }
        s.push('[');
        json_string(&mut s, &f.name);
        s.push(',');
        json_string(&mut s, &f.type_name());
        let _ = write!(s, ",{}]", f.len);
    }
    s.push_str(r#"],"data":["#);
    let null = Value::Null;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push(if params.row_with_meta { '{' } else { '[' });
        for (c, f) in rs.fields.iter().enumerate() {
            if c > 0 {
                s.push(',');
            }
            if params.row_with_meta {
                json_string(&mut s, &f.name);
                s.push(':');
            }
            let v = rs.columns.get(c).and_then(|col| col.get(r)).unwrap_or(&null);
            if is_non_finite(v) {
                return None;
            }
            rest_value(&mut s, f, v, rs.precision, &params.tz);
        }
        s.push(if params.row_with_meta { '}' } else { ']' });
    }
    let _ = write!(s, "],\"rows\":{rows}");
    if params.timing {
        let _ = write!(s, ",\"timing\":{}", timing_ns(start));
    }
    s.push('}');
    Some(s)
}


pub async fn vgid(req: Request<Incoming>, shared: Arc<Shared>, db: String) -> Response<Full<Bytes>> {
    let start = Instant::now();
    let gzip = false;
    let auth = match check_auth(&req) {
        Ok(a) => a,
        Err((code, desc)) => return error_response(StatusCode::UNAUTHORIZED, code, desc, start, gzip),
    };
    if let Err(resp) = authorize(&shared, &auth, start, gzip) {
        return resp;
    }
    let body = read_body(req).await.unwrap_or_default();
    let Ok(names) = serde_json::from_slice::<Vec<String>>(&body) else {
        return error_response(StatusCode::BAD_REQUEST, code::ADAPTER_GENERIC, "unmarshal json error", start, gzip);
    };
    // The vgroup the hash of each name puts it in (whether or not the table exists yet); an
    // unknown database is 904 with HTTP 200, as taosAdapter 3.3.7.5 answers.
    let backend = shared.backend.clone();
    let Some(ids) = names.iter().map(|n| backend.table_vgroup(&db, n)).collect::<Option<Vec<i32>>>() else {
        return error_response(StatusCode::OK, 904, "Database not exist", start, gzip);
    };
    let body = format!("{{\"code\":0,\"vgIDs\":{}}}", serde_json::to_string(&ids).unwrap_or_default());
    json_response(StatusCode::OK, body.into_bytes(), gzip)
}
