//! The per-connection task: owns the WebSocket and the `Session`, applies commands, moves
//! frames, and resolves each call's oneshot when the session reports its completion.

use std::collections::HashMap;
use std::sync::Arc;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use taosjs_core::{CallId, ConnectConfig, Error, Event, Frame, QueryInfo, Reply, Scheme, Session};

use crate::{mismatch, Command};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Whom to tell when a call completes.
enum Responder {
    Connect(oneshot::Sender<Result<String, Error>>),
    Query(oneshot::Sender<Result<QueryInfo, Error>>),
    Fetch(oneshot::Sender<Result<Option<Vec<u8>>, Error>>),
    Reply(oneshot::Sender<Result<Reply, Error>>),
}

/// The WebSocket of the first endpoint that accepts one, each tried within the connect timeout.
pub(crate) async fn open_socket(config: &ConnectConfig) -> Result<Ws, Error> {
    if config.endpoints.is_empty() {
        return Err(Error::interface("no endpoint to connect to"));
    }
    let connector = match config.scheme {
        Scheme::Wss => Some(tls_connector(config)?),
        Scheme::Ws => None,
    };
    let timeout = config.connect_timeout;
    let mut failures = Vec::new();
    for endpoint in &config.endpoints {
        let url = config.url(endpoint);
        // Blocks of wide results can be large; the server sets no limit either.
        let ws_config = WebSocketConfig::default().max_message_size(None).max_frame_size(None);
        let attempt =
            tokio_tungstenite::connect_async_tls_with_config(url.as_str(), Some(ws_config), true, connector.clone());
        match tokio::time::timeout(timeout, attempt).await {
            Ok(Ok((ws, _response))) => return Ok(ws),
            Ok(Err(e)) => failures.push(format!("{endpoint}: {e}")),
            Err(_) => failures.push(format!("{endpoint}: no answer within {timeout:?}")),
        }
    }
    Err(Error::connection(format!("cannot connect to TDengine ({})", failures.join("; "))))
}

/// TLS settings for `wss://`: the public web roots plus the configured private CA, ring crypto.
fn tls_connector(config: &ConnectConfig) -> Result<Connector, Error> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::CertificateDer;
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    if let Some(pem) = &config.tls_ca_pem {
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| Error::interface(format!("TLS CA is not valid PEM: {e}")))?;
            roots.add(cert).map_err(|e| Error::interface(format!("TLS CA certificate rejected: {e}")))?;
            added += 1;
        }
        if added == 0 {
            return Err(Error::interface("TLS CA holds no PEM certificate"));
        }
    }
    let tls = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| Error::internal(format!("TLS setup failed: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Connector::Rustls(Arc::new(tls)))
}

/// Starts the task; `call` is the session's pending `connect`, answered on `connected`.
pub(crate) fn spawn(
    ws: Ws,
    session: Session,
    call: CallId,
    connected: oneshot::Sender<Result<String, Error>>,
    commands: mpsc::UnboundedReceiver<Command>,
) {
    let mut responders = HashMap::new();
    responders.insert(call, Responder::Connect(connected));
    tokio::spawn(Driver { ws, session, responders, commands, closers: Vec::new() }.run());
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
                    Some(Ok(Message::Binary(bytes))) => self.session.handle_frame(Frame::Binary(Vec::from(bytes))),
                    Some(Ok(Message::Close(_))) | None => self.session.handle_disconnect("the server closed the connection"),
                    Some(Ok(_)) => {} // ping/pong: tungstenite answers pings on the next flush
                    Some(Err(e)) => self.session.handle_disconnect(&e.to_string()),
                },
            }
        }
        // Send what close() queued (free_result), then say goodbye; a peer that stopped reading
        // must not make close() hang.
        let goodbye = async {
            let _ = self.flush().await;
            let _ = self.ws.close(None).await;
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), goodbye).await;
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
            Command::Call { start, done } => {
                let call = start(&mut self.session);
                self.responders.insert(call, Responder::Reply(done));
            }
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
                Responder::Reply(tx) => {
                    // As for queries: the caller stopped waiting, so nobody will ever use (or
                    // release) the result or statement it would have received.
                    match tx.send(outcome) {
                        Err(Ok(Reply::Query(info))) if info.result_id != 0 => self.session.free_result(info.result_id),
                        Err(Ok(Reply::StmtInit { stmt_id })) => self.session.abandon_statement(stmt_id),
                        _ => {}
                    }
                }
            }
        }
    }
}
