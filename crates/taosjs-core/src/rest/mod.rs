//! taosAdapter's REST API (`POST /rest/sql[/<db>]`, reference §8), sans-IO: the request to send
//! for a statement, and the answer decoded into the columns the WebSocket path produces
//! ([`crate::DecodedBlock`]), so that everything above the transport reads REST and WebSocket
//! results with the same code. A driver (hyper in `taosjs-tokio`, `fetch` in WebAssembly) only
//! moves the bytes and bounds the time.
//!
//! What the recordings of a real taosAdapter 3.3.7.5 (`i_rest`, `n_rest_variants`) fixed here:
//! - `Authorization: Basic` with user and password, or `Taosd <token>` with a token from
//!   `GET /rest/login/<user>/<password>` (a `?token=` query parameter, taospy's form, is answered
//!   401 "no auth info input"). A wrong password is HTTP 200 with code 855.
//! - `req_id` must parse as a signed 64-bit decimal: u64 ids are sent as their two's complement,
//!   which the adapter stores as the same 64 bits.
//! - `conn_tz` (not `tz`) makes the timezone the connection's, as WebSocket's `timezone` does:
//!   `'2023-11-15 00:00:00'` in SQL is then read in that zone; `tz` only changes how timestamps
//!   are rendered, which does not matter here (they are read back to instants).
//! - `/rest/sql/<db>` runs ``use `<db>` `` first; statements over 1,048,576 bytes are refused by
//!   the server with 537 "SQL statement too long" (the server decides, not the client).

mod answer;
mod json;
mod time;

use std::fmt;

use base64::Engine as _;

pub use answer::{affected_rows_column, decode_answer, decode_login, decode_probe, RestAnswer, BLOCK_ROWS};

use crate::dsn::{percent_encode, rest_lacks, ConnectConfig, Endpoint, Scheme};
use crate::error::{Error, Result};

/// The HTTP method of a [`RestRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    Get,
    Post,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// One HTTP request for the driver to send. Its URL and headers may hold credentials: `Debug`
/// shows neither.
#[derive(Clone, PartialEq, Eq)]
pub struct RestRequest {
    pub method: Method,
    /// The full URL, `http://host:6041/rest/sql/db?req_id=7` (for `fetch`).
    pub url: String,
    /// The URL's path and query, `/rest/sql/db?req_id=7` (for an HTTP/1.1 request line).
    pub path: String,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl fmt::Debug for RestRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestRequest")
            .field("method", &self.method)
            .field("body_len", &self.body.len())
            .finish_non_exhaustive()
    }
}

/// Where and as whom REST requests go: one endpoint of a [`ConnectConfig`] whose scheme is
/// `http`/`https`.
#[derive(Clone)]
pub struct RestTarget {
    scheme: Scheme,
    endpoint: Endpoint,
    /// `http://host:6041`: no credentials, safe for messages.
    base_url: String,
    /// `ws://host:6041/db`, for what REST cannot do.
    websocket_dsn: String,
    authorization: String,
    database: Option<String>,
    timezone: Option<String>,
    user: String,
    password: String,
}

impl fmt::Debug for RestTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RestTarget")
            .field("base_url", &self.base_url)
            .field("database", &self.database)
            .field("timezone", &self.timezone)
            .finish_non_exhaustive()
    }
}

impl RestTarget {
    /// Requests to `endpoint` with the credentials of `config`: its `token` becomes
    /// `Authorization: Taosd <token>`, a `bearer_token` `Bearer <token>` (adapter ≥ 3.4),
    /// otherwise `Basic` with user and password.
    pub fn new(config: &ConnectConfig, endpoint: &Endpoint) -> Result<RestTarget> {
        if !config.scheme.is_rest() {
            return Err(Error::programming(format!("{}:// is not a REST scheme (use http:// or https://)", config.scheme.as_str())));
        }
        let authorization = if let Some(token) = config.token.as_deref().filter(|t| !t.is_empty()) {
            format!("Taosd {token}")
        } else if let Some(token) = config.bearer_token.as_deref().filter(|t| !t.is_empty()) {
            format!("Bearer {token}")
        } else {
            let pair = format!("{}:{}", config.user, config.password);
            format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(pair))
        };
        Ok(RestTarget {
            scheme: config.scheme,
            endpoint: endpoint.clone(),
            base_url: format!("{}://{endpoint}", config.scheme.as_str()),
            websocket_dsn: config.websocket_alternative(),
            authorization,
            database: config.database.clone().filter(|d| !d.is_empty()),
            timezone: config.timezone.clone().filter(|t| !t.is_empty()),
            user: config.user.clone(),
            password: config.password.clone(),
        })
    }

    /// `http://host:6041` (no credentials): for messages and logs.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Host and port requests go to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Whether requests go over TLS (`https://`).
    pub fn is_tls(&self) -> bool {
        self.scheme.is_tls()
    }

    /// The NotSupported error for `feature` (statements, schemaless, TMQ), naming the WebSocket
    /// DSN that has it.
    pub fn lacks(&self, feature: &str) -> Error {
        rest_lacks(feature, self.scheme, &self.websocket_dsn)
    }

    /// `POST /rest/sql[/<db>]` running `sql`, with `req_id` when given.
    pub fn sql(&self, sql: &str, req_id: Option<u64>) -> RestRequest {
        let mut path = "/rest/sql".to_owned();
        if let Some(db) = &self.database {
            path.push('/');
            path.push_str(&percent_encode(db));
        }
        let mut params = Vec::new();
        if let Some(id) = req_id {
            // The adapter parses req_id as i64; the same 64 bits go through as its two's complement.
            params.push(format!("req_id={}", id as i64));
        }
        if let Some(tz) = &self.timezone {
            params.push(format!("conn_tz={}", percent_encode(tz)));
        }
        if !params.is_empty() {
            path.push('?');
            path.push_str(&params.join("&"));
        }
        RestRequest {
            method: Method::Post,
            url: format!("{}{path}", self.base_url),
            path,
            headers: vec![
                ("authorization", self.authorization.clone()),
                ("content-type", "text/plain; charset=utf-8".to_owned()),
                ("accept", "application/json".to_owned()),
            ],
            body: sql.as_bytes().to_vec(),
        }
    }

    /// The request a REST "connection" is checked with, as a login would be: `select
    /// server_version()`, read by [`decode_probe`].
    pub fn probe(&self) -> RestRequest {
        self.sql("select server_version()", None)
    }

    /// `GET /rest/login/<user>/<password>`: answers the token for `Authorization: Taosd`
    /// ([`decode_login`]). The URL holds the password.
    pub fn login(&self) -> RestRequest {
        let path = format!("/rest/login/{}/{}", percent_encode(&self.user), percent_encode(&self.password));
        RestRequest {
            method: Method::Get,
            url: format!("{}{path}", self.base_url),
            path,
            headers: vec![("accept", "application/json".to_owned())],
            body: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(dsn: &str) -> RestTarget {
        let config = ConnectConfig::from_dsn(dsn).unwrap();
        RestTarget::new(&config, &config.endpoints[0]).unwrap()
    }

    fn header<'a>(r: &'a RestRequest, name: &str) -> &'a str {
        &r.headers.iter().find(|(n, _)| *n == name).unwrap().1
    }

    #[test]
    fn a_statement_is_a_post_with_basic_auth_as_the_recordings_show() {
        let r = target("http://root:taosdata@127.0.0.1:6041").sql("select 1", None);
        assert_eq!((r.method, r.url.as_str(), r.body.as_slice()), (Method::Post, "http://127.0.0.1:6041/rest/sql", &b"select 1"[..]));
        assert_eq!(r.path, "/rest/sql");
        // The header taospy sent in i_rest.jsonl.
        assert_eq!(header(&r, "authorization"), "Basic cm9vdDp0YW9zZGF0YQ==");
    }

    #[test]
    fn database_req_id_and_timezone_go_in_the_url() {
        let t = target("https://u:p@[::1]:7000/my%20db?timezone=Asia/Shanghai");
        let r = t.sql("select 1", Some(u64::MAX));
        assert_eq!(r.url, "https://[::1]:7000/rest/sql/my%20db?req_id=-1&conn_tz=Asia%2FShanghai");
        assert_eq!(t.sql("x", Some(42)).url, "https://[::1]:7000/rest/sql/my%20db?req_id=42&conn_tz=Asia%2FShanghai");
        assert_eq!(t.base_url(), "https://[::1]:7000");
    }

    #[test]
    fn a_token_is_sent_as_taosd_authorization_never_in_the_url() {
        let token = "/KfeAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04";
        let mut config = ConnectConfig::from_dsn("http://localhost:6041").unwrap();
        config.token = Some(token.to_owned());
        let r = RestTarget::new(&config, &config.endpoints[0]).unwrap().sql("select 1", Some(7));
        assert_eq!(header(&r, "authorization"), format!("Taosd {token}"));
        assert!(!r.url.contains("token"), "{}", r.url);
    }

    #[test]
    fn login_names_user_and_password_in_the_path_and_debug_shows_no_secret() {
        let t = target("http://ro%2Fot:p%40ss@h:6041/db");
        let r = t.login();
        assert_eq!((r.method, r.url.as_str()), (Method::Get, "http://h:6041/rest/login/ro%2Fot/p%40ss"));
        for shown in [format!("{t:?}"), format!("{r:?}"), format!("{:?}", t.sql("select 1", None))] {
            assert!(!shown.contains("p@ss") && !shown.contains("p%40ss") && !shown.contains("Basic"), "{shown}");
        }
    }

    #[test]
    fn websocket_schemes_are_not_rest() {
        let config = ConnectConfig::from_dsn("ws://h").unwrap();
        assert_eq!(RestTarget::new(&config, &config.endpoints[0]).unwrap_err().kind, crate::ErrorKind::Programming);
    }
}
