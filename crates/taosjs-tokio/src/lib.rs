//! tokio driver for taosjs-core (see docs/architecture.md): one task per connection owns the
//! WebSocket and the sans-IO [`Session`]; [`Client`] handles send it commands over a channel and
//! wait on a oneshot each. The driver only moves frames; every protocol decision is the core's.
//!
//! API (stable for the napi layer): `Client::connect(ConnectConfig)`, `server_version`, `query`,
//! `fetch_block`, `free_result`, `close`. `wss://` is not supported yet (NotSupported error).

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use taosjs_core::{ConnectConfig, Error, ErrorKind, QueryInfo};
use taosjs_core::{CallId, Event, Frame, Reply, Scheme, Session, SessionOptions};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

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

enum Command {
    Query { sql: String, req_id: Option<u64>, done: oneshot::Sender<Result<QueryInfo, Error>> },
    Fetch { result_id: u64, done: oneshot::Sender<Result<Option<Vec<u8>>, Error>> },
    Free { result_id: u64 },
    Close { done: oneshot::Sender<()> },
}

/// Whom to tell when a call completes.
enum Responder {
    Connect(oneshot::Sender<Result<String, Error>>),
    Query(oneshot::Sender<Result<QueryInfo, Error>>),
    Fetch(oneshot::Sender<Result<Option<Vec<u8>>, Error>>),
}

fn closed() -> Error {
    Error::connection("connection is closed")
}

impl Client {
    /// Opens the WebSocket to the first endpoint that accepts it and logs in.
    pub async fn connect(config: ConnectConfig) -> Result<Client, Error> {
        if config.scheme == Scheme::Wss {
            return Err(Error::not_supported("wss:// (TLS) connections are not supported yet; use ws://"));
        }
        if config.endpoints.is_empty() {
            return Err(Error::interface("no endpoint to connect to"));
        }
        let timeout = config.connect_timeout;
        let mut failures = Vec::new();
        let mut socket = None;
        for endpoint in &config.endpoints {
            let url = config.url(endpoint);
            let ws_config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
            let attempt = tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_config), true);
            match tokio::time::timeout(timeout, attempt).await {
                Ok(Ok((ws, _response))) => {
                    socket = Some(ws);
                    break;
                }
                Ok(Err(e)) => failures.push(format!("{endpoint}: {e}")),
                Err(_) => failures.push(format!("{endpoint}: no answer within {timeout:?}")),
            }
        }
        let Some(ws) = socket else {
            return Err(Error::connection(format!("cannot connect to TDengine ({})", failures.join("; "))));
        };

        let mut session = Session::new(SessionOptions::from(&config));
        let (commands, rx) = mpsc::unbounded_channel();
        let (connected_tx, connected_rx) = oneshot::channel();
        let call = session.connect();
        let mut responders = HashMap::new();
        responders.insert(call, Responder::Connect(connected_tx));
        tokio::spawn(Driver { ws, session, responders, commands: rx, closers: Vec::new() }.run());
        // On timeout `commands` is dropped here, which makes the driver close the socket.
        let server_version = tokio::time::timeout(timeout, connected_rx)
            .await
            .map_err(|_| Error::connection(format!("the server did not answer the login within {timeout:?}")))?
            .map_err(|_| closed())??;
        Ok(Client { inner: Arc::new(Inner { commands, server_version }) })
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

struct Driver {
    ws: Ws,
    session: Session,
    responders: HashMap<CallId, Responder>,
    commands: mpsc::UnboundedReceiver<Command>,
    closers: Vec<oneshot::Sender<()>>,
}

impl Driver {
    async fn run(mut self) {
        loop {
            if let Err(e) = self.flush().await {
                self.session.handle_disconnect(&e);
            }
            self.dispatch_events();
            if self.session.is_closed() {
                break;
            }
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.apply(command),
                    // Every handle is gone: nobody can use the results any more.
                    None => self.session.close(),
                },
                message = self.ws.next() => match message {
                    Some(Ok(Message::Text(text))) => self.session.handle_frame(Frame::Text(text.as_str().to_owned())),
                    Some(Ok(Message::Binary(bytes))) => self.session.handle_frame(Frame::Binary(bytes.to_vec())),
                    Some(Ok(Message::Close(_))) | None => self.session.handle_disconnect("the server closed the connection"),
                    Some(Ok(_)) => {} // ping/pong: tungstenite answers pings on the next flush
                    Some(Err(e)) => self.session.handle_disconnect(&e.to_string()),
                },
            }
        }
        // Send what close() queued (free_result), then say goodbye.
        let _ = self.flush().await;
        let _ = self.ws.close(None).await;
        self.session.handle_disconnect("the connection was closed by the client");
        self.dispatch_events();
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            self.apply(command);
        }
        for closer in self.closers.drain(..) {
            let _ = closer.send(());
        }
    }

    fn apply(&mut self, command: Command) {
        match command {
            Command::Query { sql, req_id, done } => {
                let call = self.session.query(&sql, req_id);
                self.responders.insert(call, Responder::Query(done));
            }
            Command::Fetch { result_id, done } => {
                let call = self.session.fetch_block(result_id);
                self.responders.insert(call, Responder::Fetch(done));
            }
            Command::Free { result_id } => self.session.free_result(result_id),
            Command::Close { done } => {
                self.closers.push(done);
                self.session.close();
            }
        }
        self.dispatch_events();
    }

    async fn flush(&mut self) -> Result<(), String> {
        let mut sent = false;
        while let Some(frame) = self.session.poll_transmit() {
            let message = match frame {
                Frame::Text(t) => Message::text(t),
                Frame::Binary(b) => Message::binary(b),
            };
            self.ws.feed(message).await.map_err(|e| e.to_string())?;
            sent = true;
        }
        if sent {
            self.ws.flush().await.map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    fn dispatch_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            let Event::Completed { call, outcome } = event else { continue };
            let Some(responder) = self.responders.remove(&call) else { continue };
            match responder {
                Responder::Connect(tx) => {
                    let _ = tx.send(outcome.and_then(|reply| match reply {
                        Reply::Connected { server_version } => Ok(server_version),
                        other => Err(mismatch(&other)),
                    }));
                }
                Responder::Query(tx) => {
                    let outcome = outcome.and_then(|reply| match reply {
                        Reply::Query(info) => Ok(info),
                        other => Err(mismatch(&other)),
                    });
                    // The caller stopped waiting (its future was dropped): nobody will ever
                    // fetch or free this result, so free it now.
                    if let Err(Ok(info)) = tx.send(outcome) {
                        if info.result_id != 0 {
                            self.session.free_result(info.result_id);
                        }
                    }
                }
                Responder::Fetch(tx) => {
                    let _ = tx.send(outcome.and_then(|reply| match reply {
                        Reply::Block(block) => Ok(block),
                        other => Err(mismatch(&other)),
                    }));
                }
            }
        }
    }
}

fn mismatch(reply: &Reply) -> Error {
    Error::internal(format!("the session answered a call with an unexpected reply: {reply:?}"))
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
