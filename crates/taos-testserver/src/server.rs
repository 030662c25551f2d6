//! Listener: one TCP port serving WebSocket `/ws` and HTTP `/rest/sql`, `/rest/login`, `/-/ping`.

use crate::auth::Users;
use crate::config::ServerConfig;
use crate::shared::Shared;
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
pub struct ServerHandle {
    addr: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    accept_task: Option<JoinHandle<()>>,
    /// One clone per live WebSocket connection; used to wait for them on shutdown.
    live: Arc<()>,
}

impl ServerHandle {
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://host:port` (what `taos-testserver` prints and clients put in their DSN).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes every connection, and waits (briefly) until they are gone.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.accept_task.take() {
            let _ = task.await;
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
        let _ = self.shutdown_tx.send(true);
        if let Some(task) = self.accept_task.take() {
            task.abort();
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
    });
    let (shutdown_tx, shutdown_rx) = watch::channel(false);
    let live = Arc::new(());
    let accept_task = tokio::spawn(accept_loop(listener, shared, shutdown_rx, live.clone()));
    Ok(ServerHandle { addr, shutdown_tx, accept_task: Some(accept_task), live })
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
            let service = hyper::service::service_fn(move |req| {
                let shared = shared.clone();
                let shutdown = shutdown.clone();
                let live = live.clone();
                async move { Ok::<_, Infallible>(route(req, shared, shutdown, live).await) }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
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

async fn route(
    req: Request<Incoming>,
    shared: Arc<Shared>,
    shutdown: watch::Receiver<bool>,
    live: Arc<()>,
) -> Response<Full<Bytes>> {
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    match (method.as_str(), segments.as_slice()) {
        ("GET", ["ws"]) => upgrade_ws(req, shared, shutdown, live, false),
        ("GET", ["rest", "tmq"]) => upgrade_ws(req, shared, shutdown, live, true),
        ("GET" | "HEAD", ["-", "ping"]) => text_response(StatusCode::OK, ""),
        ("GET", ["rest", "login", user, password]) => crate::rest::login(&shared, user, password, &req),
        ("POST", ["rest", "sql"]) => crate::rest::sql(req, shared, None).await,
        ("POST", ["rest", "sql", db]) => {
            let db = crate::rest::percent_decode(db);
            crate::rest::sql(req, shared, Some(db)).await
        }
        ("POST", ["rest", "sql", db, "vgid"]) => {
            let db = crate::rest::percent_decode(db);
            crate::rest::vgid(req, shared, db).await
        }
        _ => not_found(),
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
        if let Ok(upgraded) = on_upgrade.await {
            if tmq {
                crate::tmq::serve_tmq_connection(TokioIo::new(upgraded), shared, shutdown).await;
            } else {
                crate::ws::serve_connection(TokioIo::new(upgraded), shared, shutdown).await;
            }
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
