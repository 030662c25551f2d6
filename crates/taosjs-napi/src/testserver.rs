//! `startTestServer`: the embedded taos-testserver behind `taosjs/testing`, running on napi's
//! tokio runtime inside the Node process, with its fault injection (restart, stop/start,
//! latency, dropped connections).

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use napi_derive::napi;
use taos_testserver::{Faults, OpenResults, ServerConfig, ServerHandle};
use taosjs_core::ErrorKind;
use tokio::sync::Mutex;

use crate::error::{guarded, js_error};

#[napi(object)]
pub struct NativeUser {
    pub user: String,
    pub password: String,
}

#[napi(object)]
pub struct NativeTestServerOptions {
    pub host: Option<String>,
    pub port: Option<u32>,
    pub users: Option<Vec<NativeUser>>,
    pub block_rows: Option<u32>,
}

#[napi]
pub struct NativeTestServer {
    /// `None` once closed. An async lock: restart holds it across its awaits.
    handle: Arc<Mutex<Option<ServerHandle>>>,
    /// Held apart from the handle so latency and drops work while a restart is under way.
    faults: Arc<Faults>,
    open_results: OpenResults,
    host: String,
    port: u32,
}

/// The runtime the embedded servers run on, apart from the one client calls run on: the engine
/// runs each statement with `block_in_place`, which on the client's one-worker runtime would
/// hand the client's tasks to a new thread for every statement.
fn server_runtime() -> napi::Result<&'static tokio::runtime::Runtime> {
    static RUNTIME: OnceLock<Result<tokio::runtime::Runtime, String>> = OnceLock::new();
    RUNTIME
        .get_or_init(|| {
            tokio::runtime::Builder::new_multi_thread()
                .thread_name("taosjs-testserver")
                .enable_all()
                .build()
                .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(|e| js_error(ErrorKind::Internal, format!("cannot start the test server's runtime: {e}")))
}

/// Runs `work` (and every task it spawns) on the servers' runtime.
async fn on_server_runtime<T: Send + 'static>(
    work: impl std::future::Future<Output = napi::Result<T>> + Send + 'static,
) -> napi::Result<T> {
    let task = server_runtime()?.spawn(guarded(work));
    task.await.map_err(|e| js_error(ErrorKind::Internal, format!("the test server's task ended abnormally: {e}")))?
}

#[napi]
pub async fn start_test_server(options: Option<NativeTestServerOptions>) -> napi::Result<NativeTestServer> {
    let mut config = ServerConfig { port: 0, ..ServerConfig::default() };
    if let Some(o) = options {
        if let Some(host) = o.host {
            config.host = host;
        }
        if let Some(port) = o.port {
            config.port = u16::try_from(port)
                .map_err(|_| js_error(ErrorKind::Interface, format!("port must be 0..65535, got {port}")))?;
        }
        if let Some(users) = o.users {
            config.users = users.into_iter().map(|u| (u.user, u.password)).collect();
        }
        if let Some(rows) = o.block_rows {
            if rows == 0 {
                return Err(js_error(ErrorKind::Interface, "blockRows must be at least 1"));
            }
            config.block_rows = rows as usize;
        }
    }
    on_server_runtime(async move {
        let handle = taos_testserver::start(config)
            .await
            .map_err(|e| js_error(ErrorKind::Operational, format!("cannot start the test server: {e}")))?;
        let addr = handle.addr();
        Ok(NativeTestServer {
            host: addr.ip().to_string(),
            port: u32::from(addr.port()),
            faults: handle.faults().clone(),
            open_results: handle.open_results().clone(),
            handle: Arc::new(Mutex::new(Some(handle))),
        })
    })
    .await
}

/// Runs `act` on the server's handle; an error if the server was closed.
async fn with_handle<F>(handle: &Mutex<Option<ServerHandle>>, what: &str, act: F) -> napi::Result<()>
where
    F: for<'a> FnOnce(&'a mut ServerHandle) -> futures_util::future::BoxFuture<'a, std::io::Result<()>>,
{
    let mut guard = handle.lock().await;
    let Some(server) = guard.as_mut() else {
        return Err(js_error(ErrorKind::Interface, format!("cannot {what}: the test server is closed")));
    };
    let port = server.addr().port();
    act(server)
        .await
        .map_err(|e| js_error(ErrorKind::Operational, format!("cannot {what} the test server on port {port}: {e}")))
}

#[napi]
impl NativeTestServer {
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.host.clone()
    }

    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Drops every connection and listens again on the same port, keeping all data.
    #[napi]
    pub async fn restart(&self) -> napi::Result<()> {
        let handle = self.handle.clone();
        on_server_runtime(async move { with_handle(&handle, "restart", |s| Box::pin(s.restart())).await }).await
    }

    /// Stops listening and drops every connection, keeping all data. Safe to call twice.
    #[napi]
    pub async fn stop(&self) -> napi::Result<()> {
        let handle = self.handle.clone();
        on_server_runtime(async move {
            with_handle(&handle, "stop", |s| {
                Box::pin(async move {
                    s.stop().await;
                    Ok(())
                })
            })
            .await
        })
        .await
    }

    /// Listens again on the same port after `stop`. Does nothing while listening.
    #[napi]
    pub async fn start(&self) -> napi::Result<()> {
        let handle = self.handle.clone();
        on_server_runtime(async move { with_handle(&handle, "start", |s| Box::pin(s.start())).await }).await
    }

    /// Whether the server accepts connections (false after `stop` and `close`).
    #[napi(getter)]
    pub fn listening(&self) -> bool {
        match self.handle.try_lock() {
            Ok(guard) => guard.as_ref().is_some_and(ServerHandle::is_listening),
            Err(_) => false, // a restart, stop or start is under way
        }
    }

    /// Delay added to every reply, in milliseconds (fractions allowed; 0 = none).
    #[napi]
    pub fn set_latency(&self, ms: f64) -> napi::Result<()> {
        if !ms.is_finite() || ms < 0.0 {
            return Err(js_error(ErrorKind::Programming, format!("latency must be a finite number of milliseconds >= 0, got {ms}")));
        }
        self.faults.set_latency(Duration::from_secs_f64(ms / 1000.0));
        Ok(())
    }

    /// Results the server holds open for its clients (read and not freed yet), every
    /// connection's.
    #[napi(getter)]
    pub fn open_results(&self) -> u32 {
        u32::try_from(self.open_results.count()).unwrap_or(u32::MAX)
    }

    /// The delay added to every reply, in milliseconds.
    #[napi(getter)]
    pub fn latency(&self) -> f64 {
        self.faults.latency().as_secs_f64() * 1000.0
    }

    /// Ends every open connection without a close frame; resolves once they are gone.
    #[napi]
    pub async fn drop_connections(&self) -> napi::Result<()> {
        let faults = self.faults.clone();
        on_server_runtime(async move {
            faults.drop_connections().await;
            Ok(())
        })
        .await
    }

    /// Stops accepting connections and drops the open ones. Safe to call twice.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let handle = self.handle.lock().await.take();
        if let Some(handle) = handle {
            on_server_runtime(async move {
                handle.shutdown().await;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}
