//! The REST transport: taosAdapter's `/rest/sql` over HTTP/1.1. The request and the decoding of
//! the answer are the core's (`taosjs_core::rest`); this module only moves them: keep-alive
//! sockets from a pool that never holds more than `max_sockets` (busy or idle, `pool.rs`), a
//! deadline per request, and rustls (ring, the roots and CA `wss://` uses) for `https://`.
//!
//! Why hyper's own HTTP/1.1 connections and not a ready-made client: hyper is already in the
//! tree (the test server), and its `client::conn::http1` is the layer reqwest and hyper-util's
//! pooled client build on. hyper-util's pool cannot bound the number of sockets (it races a new
//! connection against waiting for an idle one, so a burst opens more than asked) and reqwest adds
//! a few dozen crates (url, tower, cookies, redirects, proxies) for nothing REST needs here. The
//! pool here is small, and its bound is exact.

mod pool;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use tokio::sync::watch;

use taosjs_core::rest::{decode_answer, decode_login, decode_probe, Method, RestAnswer, RestRequest, RestTarget};
use taosjs_core::{ConnectConfig, Error, ErrorKind};

use pool::{Connector, Pool};

/// A REST "connection": a pool of keep-alive sockets to one taosAdapter. Cheap to clone; every
/// statement is one independent HTTP request. The HTTP side comes from the `ConnectConfig`:
/// `max_sockets` (sockets open at once, busy or idle; more requests wait for one within their
/// deadline) and `request_timeout` (the deadline of a request that sets none, from the call to
/// the last byte of the answer, waiting for a free socket included).
#[derive(Clone)]
pub struct RestClient {
    inner: Arc<Inner>,
    /// This handle's deadline for its requests (see [`RestClient::with_timeout`]).
    timeout: Option<Duration>,
}

struct Inner {
    pool: Arc<Pool>,
    target: RestTarget,
    /// `host:port` for the Host header.
    authority: String,
    request_timeout: Duration,
    closed: AtomicBool,
    /// Turns true at `close`: requests in flight give up.
    closing: watch::Sender<bool>,
    server_version: Mutex<String>,
}

impl RestClient {
    /// A client for the first endpoint of `config`, without any I/O (nothing is checked until the
    /// first request).
    pub fn new(config: &ConnectConfig) -> Result<RestClient, Error> {
        let endpoint = config.endpoints.first().ok_or_else(|| Error::programming("no host to send REST requests to"))?;
        Self::for_target(config, RestTarget::new(config, endpoint)?)
    }

    /// A client for the first endpoint of `config` that answers `select server_version()` (each
    /// within `connect_timeout`), with the server's version kept. A refusal (wrong password,
    /// unknown timezone, …) is a Connection error with TDengine's code.
    pub async fn connect(config: &ConnectConfig) -> Result<RestClient, Error> {
        if config.endpoints.is_empty() {
            return Err(Error::programming("no host to send REST requests to"));
        }
        let mut failures = Vec::new();
        for endpoint in &config.endpoints {
            let client = Self::for_target(config, RestTarget::new(config, endpoint)?)?;
            let limit = config.connect_timeout;
            let probed = tokio::time::timeout(limit, client.probe())
                .await
                .unwrap_or_else(|_| Err(Error::connection(format!("no answer within {} ms", limit.as_millis()))));
            match probed {
                Ok(version) => {
                    *lock(&client.inner.server_version) = version;
                    return Ok(client);
                }
                // The server answered and refused (`decode_probe`): other endpoints would refuse the same way.
                Err(e) if e.errno.is_some() => return Err(e),
                Err(e) => failures.push(format!("{endpoint}: {}", e.message)),
            }
        }
        Err(Error::connection(format!("cannot connect to TDengine over REST ({})", failures.join("; "))))
    }

    fn for_target(config: &ConnectConfig, target: RestTarget) -> Result<RestClient, Error> {
        let tls = if target.is_tls() { Some(crate::tls::client_config(config)?) } else { None };
        let endpoint = target.endpoint();
        let connector = Connector::new(&endpoint.host, endpoint.port, target.base_url(), tls, config.connect_timeout)?;
        Ok(RestClient {
            inner: Arc::new(Inner {
                pool: Pool::new(connector, usize::try_from(config.max_sockets).unwrap_or(usize::MAX)),
                authority: endpoint.to_string(),
                target,
                request_timeout: config.request_timeout,
                closed: AtomicBool::new(false),
                closing: watch::channel(false).0,
                server_version: Mutex::new(String::new()),
            }),
            timeout: None,
        })
    }

    /// A handle on the same sockets whose requests have `timeout` as their deadline (`None`:
    /// the connection's `request_timeout`), as `Client::with_timeout` is for WebSocket calls.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> RestClient {
        RestClient { inner: Arc::clone(&self.inner), timeout }
    }

    /// `http://host:6041`: where requests go (no credentials).
    pub fn base_url(&self) -> &str {
        self.inner.target.base_url()
    }

    /// The NotSupported error for a feature REST does not have, naming the ws:// DSN that has it.
    pub fn lacks(&self, feature: &str) -> Error {
        self.inner.target.lacks(feature)
    }

    /// The version `connect` read from the server ("" for a client made with `new`).
    pub fn server_version(&self) -> String {
        lock(&self.inner.server_version).clone()
    }

    pub fn is_closed(&self) -> bool {
        self.inner.closed.load(Ordering::Acquire)
    }

    /// Runs one statement. Rows come back decoded, as blocks of the WebSocket path's form.
    pub async fn sql(&self, sql: &str, req_id: Option<u64>) -> Result<RestAnswer, Error> {
        let request = self.inner.target.sql(sql, req_id);
        let (status, body) = self.send(request).await?;
        decode_answer(status, &body)
    }

    /// `GET /rest/login/<user>/<password>`: the token to authorise later requests with
    /// (`Authorization: Taosd <token>`).
    pub async fn login(&self) -> Result<String, Error> {
        let (status, body) = self.send(self.inner.target.login()).await?;
        decode_login(status, &body)
    }

    /// Drops the idle sockets and fails the requests in flight; later calls fail with a
    /// Connection error. Safe to call twice.
    pub fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.closing.send_replace(true);
        self.inner.pool.close();
    }

    async fn probe(&self) -> Result<String, Error> {
        let (status, body) = self.send(self.inner.target.probe()).await?;
        decode_probe(status, &body)
    }

    /// Sends `request` within the deadline and reads the whole answer: (HTTP status, body).
    async fn send(&self, request: RestRequest) -> Result<(u16, Vec<u8>), Error> {
        if self.is_closed() {
            return Err(closed());
        }
        let base = self.base_url().to_owned();
        let mut closing = self.inner.closing.subscribe();
        let timeout = self.timeout.unwrap_or(self.inner.request_timeout);
        tokio::select! {
            biased;
            _ = closing.wait_for(|closed| *closed) => Err(Error::connection("connection closed: the connection was closed by the client")),
            outcome = tokio::time::timeout(timeout, self.exchange(request)) => outcome.unwrap_or_else(|_| {
                Err(Error::new(ErrorKind::Timeout, format!(
                    "no answer from {base} within {} ms; the statement may still run on the server",
                    timeout.as_millis()
                )))
            }),
        }
    }

    /// One request on a pooled socket. A reused socket the server closed meanwhile gives the
    /// request back unsent: it then goes out on another socket (never a request that was sent).
    async fn exchange(&self, request: RestRequest) -> Result<(u16, Vec<u8>), Error> {
        let base = self.base_url();
        let mut pending = Some(self.http_request(request)?);
        loop {
            let mut lease = self.inner.pool.lease().await?;
            let sender = lease.sender();
            if let Err(e) = sender.ready().await {
                if lease.reused {
                    continue;
                }
                return Err(Error::connection(format!("the connection to {base} failed: {e}")));
            }
            let Some(req) = pending.take() else { return Err(Error::internal("a REST request was lost")) };
            let response = match sender.try_send_request(req).await {
                Ok(response) => response,
                Err(mut e) => match e.take_message() {
                    Some(unsent) if lease.reused => {
                        pending = Some(unsent);
                        continue;
                    }
                    _ => return Err(Error::connection(format!("the request to {base} failed: {}", chain(e.error())))),
                },
            };
            let status = response.status().as_u16();
            if let Some(encoding) = response.headers().get("content-encoding").and_then(|v| v.to_str().ok()) {
                if !encoding.eq_ignore_ascii_case("identity") {
                    return Err(Error::result(format!("{base} answered with content-encoding `{encoding}`, which was not asked for")));
                }
            }
            let body = response
                .into_body()
                .collect()
                .await
                .map_err(|e| Error::connection(format!("the answer from {base} was cut off: {}", chain(&e))))?;
            lease.keep();
            return Ok((status, body.to_bytes().to_vec()));
        }
    }

    fn http_request(&self, request: RestRequest) -> Result<hyper::Request<Full<Bytes>>, Error> {
        let method = match request.method {
            Method::Get => hyper::Method::GET,
            Method::Post => hyper::Method::POST,
        };
        let mut builder = hyper::Request::builder()
            .method(method)
            .uri(request.path.as_str())
            .header("host", self.inner.authority.as_str())
            .header("user-agent", concat!("taosjs/", env!("CARGO_PKG_VERSION")));
        for (name, value) in &request.headers {
            builder = builder.header(*name, value.as_str());
        }
        // The message names neither the path nor the headers: they may hold credentials.
        builder.body(Full::new(Bytes::from(request.body))).map_err(|_| {
            Error::interface(format!("cannot form a request to {} (the database name, timezone or token holds characters HTTP cannot carry)", self.base_url()))
        })
    }
}

fn closed() -> Error {
    Error::connection("connection is closed")
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An error and its causes, `a: b: c` (hyper's own text says little: "client error (Connect)").
fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    parts.join(": ")
}
