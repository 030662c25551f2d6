//! tokio driver for taosjs-core (see docs/architecture.md): one task per connection owns the
//! WebSocket and the sans-IO [`Session`]; [`Client`] handles send it commands over a channel and
//! wait on a oneshot each. The driver only moves frames; every protocol decision is the core's.
//!
//! API (stable for the napi layer): `Client::connect(ConnectConfig)`, `server_version`, `query`,
//! `fetch_block`, `free_result`, `close`. `wss://` uses rustls (public web roots plus
//! `ConnectConfig::tls_ca_pem`). `ConnectConfig::connect_timeout` (default 10 s) bounds each
//! endpoint's upgrade and then the login. On wasm32 the crate compiles but `connect` returns
//! NotSupported (the WASM binding will drive the Session from JS instead).

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

pub use taosjs_core::{ConnectConfig, Error, ErrorKind, QueryInfo};
#[cfg(not(target_family = "wasm"))]
use taosjs_core::{Session, SessionOptions};

#[cfg(not(target_family = "wasm"))]
mod driver;

/// A connection handle: cheap to clone, usable from many tasks at once. The connection closes
/// when `close` is called or the last handle is dropped.
#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
}

struct Inner {
    commands: mpsc::UnboundedSender<Command>,
    server_version: String,
}

#[cfg_attr(target_family = "wasm", allow(dead_code))]
pub(crate) enum Command {
    Query { sql: String, req_id: Option<u64>, done: oneshot::Sender<Result<QueryInfo, Error>> },
    Fetch { result_id: u64, done: oneshot::Sender<Result<Option<Vec<u8>>, Error>> },
    Free { result_id: u64 },
    Close { done: oneshot::Sender<()> },
}

pub(crate) fn closed() -> Error {
    Error::connection("connection is closed")
}

impl Client {
    /// Opens the WebSocket to the first endpoint that accepts it and logs in.
    #[cfg(not(target_family = "wasm"))]
    pub async fn connect(config: ConnectConfig) -> Result<Client, Error> {
        let ws = driver::open_socket(&config).await?;
        let mut session = Session::new(SessionOptions::from(&config));
        let (commands, rx) = mpsc::unbounded_channel();
        let (connected_tx, connected_rx) = oneshot::channel();
        let call = session.connect();
        driver::spawn(ws, session, call, connected_tx, rx);
        // On timeout `commands` is dropped here, which makes the driver close the socket.
        let timeout = config.connect_timeout;
        let server_version = tokio::time::timeout(timeout, connected_rx)
            .await
            .map_err(|_| Error::connection(format!("the server did not answer the login within {timeout:?}")))?
            .map_err(|_| closed())??;
        Ok(Client { inner: Arc::new(Inner { commands, server_version }) })
    }

    /// WASM has no sockets here: there the JS `WebSocket` will drive `taosjs_core::Session`
    /// (a later binding), so this build only keeps the API compiling.
    #[cfg(target_family = "wasm")]
    pub async fn connect(config: ConnectConfig) -> Result<Client, Error> {
        let _ = config;
        Err(Error::not_supported("connections are not available in the WebAssembly build yet"))
    }

    /// The version the server reported when connecting.
    pub fn server_version(&self) -> String {
        self.inner.server_version.clone()
    }

    /// Runs one SQL statement (binary query). A result set stays open until fetched to the end
    /// or freed.
    pub async fn query(&self, sql: &str, req_id: Option<u64>) -> Result<QueryInfo, Error> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Query { sql: sql.to_owned(), req_id, done })?;
        rx.await.map_err(|_| closed())?
    }

    /// The next raw block of a result (decode with `taosjs_core::block`); `None` when exhausted.
    pub async fn fetch_block(&self, result_id: u64) -> Result<Option<Vec<u8>>, Error> {
        let (done, rx) = oneshot::channel();
        self.send(Command::Fetch { result_id, done })?;
        rx.await.map_err(|_| closed())?
    }

    /// Releases a result on the server (no-op if it already finished or was freed).
    pub fn free_result(&self, result_id: u64) {
        let _ = self.inner.commands.send(Command::Free { result_id });
    }

    /// Frees open results and closes the socket; later calls fail with a Connection error.
    pub async fn close(&self) {
        let (done, rx) = oneshot::channel();
        if self.inner.commands.send(Command::Close { done }).is_ok() {
            let _ = rx.await;
        }
    }

    fn send(&self, command: Command) -> Result<(), Error> {
        self.inner.commands.send(command).map_err(|_| closed())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_is_a_shareable_handle() {
        fn shareable<T: Clone + Send + Sync + 'static>() {}
        shareable::<Client>();
    }
}
