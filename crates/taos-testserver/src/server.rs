//! Listener: one TCP port serving WebSocket `/ws` and HTTP `/rest/sql`, `/rest/login`, `/-/ping`.

use crate::auth::Users;
use crate::config::ServerConfig;
use crate::faults::Faults;
use crate::shared::{OpenResults, Shared};
use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use taos_sqlengine::{Engine, SqlBackend};

/// A running server. Dropping it stops the server too (without waiting).
///
/// Besides [`shutdown`](Self::shutdown), a test can break it on purpose: [`stop`](Self::stop) and
/// [`start`](Self::start) the listener, [`restart`](Self::restart) it, and through
/// [`faults`](Self::faults) add latency or drop every connection. The data lives on through all of
/// them, as when taosAdapter restarts while taosd keeps running.
pub struct ServerHandle {
    addr: SocketAddr,
    shared: Arc<Shared>,
    /// `None` while stopped.
    listening: Option<Listening>,
    /// One clone per live connection (HTTP or WebSocket); used to wait for them on shutdown.
    live: Arc<()>,
}

/// The accept loop of one listening period.
struct Listening {
    /// `true` asks the accept loop and every connection to end gracefully (close frame 1001).
    shutdown_tx: watch::Sender<bool>,
    accept_task: JoinHandle<()>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port` (what `taos-testserver` prints and clients put in their DSN).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The faults this server injects (latency, dropping every connection); shareable, so a
    /// test can inject them while another task holds the handle.
    pub fn faults(&self) -> &Arc<Faults> {
        &self.shared.faults
    }

    /// The count of results the server holds open for its clients (shareable, like
    /// [`faults`](Self::faults)).
    pub fn open_results(&self) -> &OpenResults {
        &self.shared.open_results
    }

    /// Whether the server accepts connections (false after [`stop`](Self::stop)).
    pub fn is_listening(&self) -> bool {
        self.listening.is_some()
    }

    /// Stops listening and drops every open connection at once, without a close frame (as when
    /// the adapter's process dies); the data stays. Clients get "connection refused" until
    /// [`start`](Self::start). Stopping a stopped server does nothing.
    pub async fn stop(&mut self) {
        let mut listening = self.listening.take();
        if let Some(listening) = listening.as_mut() {
            listening.accept_task.abort();
            let _ = (&mut listening.accept_task).await; // the listening socket is closed once it returns
        }
        self.shared.faults.drop_connections().await;
        // Only now: a dropped shutdown sender reads as "shut down gracefully" to a connection,
        // which would then send a close frame (1001) instead of vanishing.
        drop(listening);
    }

    /// Listens again on the same address and port, serving the same data. Starting a server that
    /// listens does nothing. Fails if the port has been taken meanwhile.
    pub async fn start(&mut self) -> std::io::Result<()> {
        if self.listening.is_none() {
            let listener = TcpListener::bind(self.addr).await?;
            self.listening = Some(listen(listener, self.shared.clone(), self.live.clone()));
        }
        Ok(())
    }

    /// [`stop`](Self::stop) then [`start`](Self::start): every connection is dropped, the server
    /// listens again on the same port and keeps all its data — taosAdapter restarting while taosd
    /// keeps running.
    pub async fn restart(&mut self) -> std::io::Result<()> {
        self.stop().await;
        self.start().await
    }

    /// Stops accepting, closes every connection, and waits (briefly) until they are gone.
    pub async fn shutdown(mut self) {
        if let Some(listening) = self.listening.take() {
            let _ = listening.shutdown_tx.send(true);
            let _ = listening.accept_task.await;
        }
        for _ in 0..200 {
            if Arc::strong_count(&self.live) <= 1 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

impl Drop for ServerHandle {
    fn drop(&mut self) {
        if let Some(listening) = self.listening.take() {
            let _ = listening.shutdown_tx.send(true);
            listening.accept_task.abort();
        }
    }
}

/// Starts the server with the in-memory [`Engine`] on the current tokio runtime.
pub async fn start(config: ServerConfig) -> std::io::Result<ServerHandle> {
    let engine = Engine::new(config.engine.clone());
    start_with_backend(config, Arc::new(engine)).await
}

/// Starts the server over any [`SqlBackend`] (tests and benches use small fakes).
pub async fn start_with_backend(config: ServerConfig, backend: Arc<dyn SqlBackend>) -> std::io::Result<ServerHandle> {
    let listener = TcpListener::bind((config.host.as_str(), config.port)).await?;
    let addr = listener.local_addr()?;
    let shared = Arc::new(Shared {
        users: Users::new(config.users.clone()),
        config,
        backend,
        tmq: Default::default(),
        faults: Arc::default(),
        next_conn_id: std::sync::atomic::AtomicU32::new(1),
        rest_pool: Default::default(),
        open_results: OpenResults::default(),
    });
    let live = Arc::new(());
    let listening = listen(listener, shared.clone(), live.clone());
    Ok(ServerHandle { addr, shared, listening: Some(listening), live })
}

fn listen(listener: TcpListener, shared: Arc<Shared>, live: Arc<()>) -> Listening {
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let accept_task = tokio::spawn(accept_loop(listener, shared, shutdown_rx, live));
    Listening { shutdown_tx, accept_task }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, mut shutdown: watch::Receiver<bool>, live: Arc<()>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = shutdown.changed() => break,
        };
        // Reap finished connection tasks so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
        let Ok((stream, _)) = accepted else {
            // e.g. EMFILE: back off instead of spinning.
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        let shutdown = shutdown.clone();
        let live = live.clone();
        connections.spawn(async move {
            let mut membership = shared.faults.enter();
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let shutdown = shutdown.clone();
                let live = live.clone();
                async move { Ok::<_, Infallible>(route(req, shared, shutdown, live).await) }
            });
            let serve = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades();
            tokio::select! {
                _ = serve => {}
                _ = membership.dropped() => {}
            }
        });
    }
    connections.shutdown().await;
}

pub(crate) fn text_response(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *resp.status_mut() = status;
    if !body.is_empty() {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/plain"));
    }
    resp
}

fn not_found() -> Response<Full<Bytes>> {
    text_response(StatusCode::NOT_FOUND, "404 page not found")
}

/// Routes a request, with CORS as taosAdapter answers it (`cors.rs`).
async fn route(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    live: Arc<()>,
) -> Response<Full<Bytes>> {
    match crate::cors::classify(req.method(), req.headers()) {
        crate::cors::Cors::Preflight => crate::cors::preflight(),
        crate::cors::Cors::None => route_request(req, shared, shutdown, live).await,
        crate::cors::Cors::CrossOrigin => {
            let mut resp = route_request(req, shared, shutdown, live).await;
            crate::cors::allow(&mut resp);
            resp
        }
    }
}

/// What a request asks for (method and path).
enum Route {
    Ws,
    Tmq,
    Ping,
    Login(String, String),
    Sql(Option<String>),
    Vgid(String),
    Schemaless(crate::sml_http::Plugin, Option<String>),
}

fn route_of(method: &str, segments: &[&str]) -> Option<Route> {
    use crate::sml_http::Plugin;
    let db = |d: &str| crate::rest::percent_decode(d);
    // a path parameter is never empty (gin): `/rest/sql/` is not `/rest/sql/<db>`
    if segments.iter().skip(1).any(|s| s.is_empty()) {
        return None;
    }
    Some(match (method, segments) {
        ("GET", ["ws"]) => Route::Ws,
        ("GET", ["rest", "tmq"]) => Route::Tmq,
        ("GET" | "HEAD", ["-", "ping"]) => Route::Ping,
        ("GET", ["rest", "login", user, password]) => Route::Login(user.to_string(), password.to_string()),
        ("POST", ["rest", "sql"]) => Route::Sql(None),
        ("POST", ["rest", "sql", d]) => Route::Sql(Some(db(d))),
        ("POST", ["rest", "sql", d, "vgid"]) => Route::Vgid(db(d)),
        ("POST", ["influxdb", "v1", "write"]) => Route::Schemaless(Plugin::Influxdb, None),
        ("POST", ["opentsdb", "v1", "put", "json", d]) => Route::Schemaless(Plugin::OpentsdbJson, Some(db(d))),
        ("POST", ["opentsdb", "v1", "put", "telnet", d]) => Route::Schemaless(Plugin::OpentsdbTelnet, Some(db(d))),
        _ => return None,
    })
}

/// gin's answer to a path that is a route plus a trailing slash: a redirect to the route
/// (301 for GET, 307 otherwise, keeping the query; HTML body only for GET/HEAD, like Go's
/// `http.Redirect`). Checked on 3.3.7.5: `POST /rest/sql/<db>/` → 307, empty body.
fn trailing_slash_redirect(method: &str, path: &str, query: Option<&str>) -> Option<Response<Full<Bytes>>> {
    let trimmed = path.strip_suffix('/').filter(|p| !p.is_empty())?;
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    route_of(method, &segments)?;
    let location = match query {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_string(),
    };
    let get = matches!(method, "GET" | "HEAD");
    let body = if get { format!("<a href=\"{location}\">Moved Permanently</a>.\n\n") } else { String::new() };
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = if get { StatusCode::MOVED_PERMANENTLY } else { StatusCode::TEMPORARY_REDIRECT };
    if let Ok(v) = hyper::header::HeaderValue::from_str(&location) {
        resp.headers_mut().insert(hyper::header::LOCATION, v);
    }
    if get {
        resp.headers_mut().insert(hyper::header::CONTENT_TYPE, hyper::header::HeaderValue::from_static("text/html; charset=utf-8"));
    }
    Some(resp)
}

async fn route_request(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    live: Arc<()>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let method = req.method().as_str().to_string();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    // The upgrade handshake too: with latency, opening a connection takes longer as well.
    shared.faults.delay_reply().await;
    let Some(route) = route_of(&method, &segments) else {
        return trailing_slash_redirect(&method, &path, req.uri().query()).unwrap_or_else(not_found);
    };
    match route {
        Route::Ws => upgrade_ws(req, shared, shutdown, live, false),
        Route::Tmq => upgrade_ws(req, shared, shutdown, live, true),
        Route::Ping => text_response(StatusCode::OK, ""),
        Route::Login(user, password) => crate::rest::login(&shared, &user, &password, &req),
        Route::Sql(db) => crate::rest::sql(req, shared, db).await,
        Route::Vgid(db) => crate::rest::vgid(req, shared, db).await,
        Route::Schemaless(plugin, db) => crate::sml_http::write(req, shared, plugin, db).await,
    }
}

fn upgrade_ws(
    mut req: Request<Incoming>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    live: Arc<()>,
    tmq: bool,
) -> Response<Full<Bytes>> {
    let headers = req.headers();
    let is_upgrade = headers
        .get(hyper::header::UPGRADE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("websocket"));
    let key = headers.get("sec-websocket-key").map(|k| k.as_bytes().to_vec());
    let (true, Some(key)) = (is_upgrade, key) else {
        // What the Go WebSocket library answers to a plain GET.
        let mut resp = text_response(StatusCode::BAD_REQUEST, "Bad Request\n");
        resp.headers_mut().insert(
            hyper::header::CONTENT_TYPE,
            hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        return resp;
    };
    let on_upgrade = hyper::upgrade::on(&mut req);
    tokio::spawn(async move {
        let _live = live;
        let mut membership = shared.faults.enter();
        let serve = async move {
            if let Ok(upgraded) = on_upgrade.await {
                if tmq {
                    crate::tmq::serve_tmq_connection(TokioIo::new(upgraded), shared, shutdown).await;
                } else {
                    crate::ws::serve_connection(TokioIo::new(upgraded), shared, shutdown).await;
                }
            }
        };
        // A dropped connection ends here: its socket is closed without a close frame.
        tokio::select! {
            _ = serve => {}
            _ = membership.dropped() => {}
        }
    });
    let mut resp = Response::new(Full::new(Bytes::new()));
    *resp.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = resp.headers_mut();
    h.insert(hyper::header::UPGRADE, hyper::header::HeaderValue::from_static("websocket"));
    h.insert(hyper::header::CONNECTION, hyper::header::HeaderValue::from_static("Upgrade"));
    if let Ok(v) = hyper::header::HeaderValue::from_str(&crate::ws::frame::accept_key(&key)) {
        h.insert("sec-websocket-accept", v);
    }
    resp
}
