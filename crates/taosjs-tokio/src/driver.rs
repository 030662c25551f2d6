//! The per-connection task: owns the WebSocket and the conversation (the SQL `Session` on `/ws`,
//! the TMQ `Consumer` on `/rest/tmq`: anything that is a [`Conversation`]), applies commands,
//! moves frames and time (the conversation's clock is the time since the task started),
//! resolves each call's oneshot when the conversation reports its completion, and opens or drops
//! sockets when the conversation says so (reconnects are the session's decisions:
//! `SocketCommand`).

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{Connector, MaybeTlsStream, WebSocketStream};

use taosjs_core::{CallId, ConnectConfig, Conversation, Error, Event, Frame, Instant, Reply, Scheme, SocketCommand};

use crate::{mismatch, Command, ConnectionEvent, Done};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The WebSocket at `path` (`/ws`, `/rest/tmq`) of the first endpoint that accepts one, each
/// tried within the connect timeout.
pub(crate) async fn open_socket(config: &ConnectConfig, path: &str) -> Result<Ws, Error> {
    if config.endpoints.is_empty() {
        return Err(Error::programming("no endpoint to connect to"));
    }
    let connector = connector(config)?;
    let mut failures = Vec::new();
    for index in 0..config.endpoints.len() {
        match open_endpoint(config, path, index, connector.clone()).await {
            Ok(ws) => return Ok(ws),
            Err(e) => failures.push(e),
        }
    }
    Err(Error::connection(format!("cannot connect to TDengine ({})", failures.join("; "))))
}

/// The WebSocket connector: TLS settings for `wss://` (see [`crate::tls`]), none for `ws://`.
fn connector(config: &ConnectConfig) -> Result<Option<Connector>, Error> {
    Ok(match config.scheme {
        Scheme::Wss => Some(Connector::Rustls(Arc::new(crate::tls::client_config(config)?))),
        Scheme::Ws => None,
        Scheme::Native => {
            return Err(Error::interface("taos:// is the native client library's transport (taosjs-native), not a WebSocket"))
        }
        // Statements, schemaless and TMQ need the WebSocket API.
        Scheme::Http | Scheme::Https => return Err(config.rest_lacks("a WebSocket session")),
    })
}

/// The WebSocket at `path` of endpoint `index`, within the connect timeout; the error names the
/// endpoint (and says in words what a refused TLS handshake means).
async fn open_endpoint(config: &ConnectConfig, path: &str, index: usize, connector: Option<Connector>) -> Result<Ws, String> {
    let endpoint = &config.endpoints[index];
    let url = config.url_for(endpoint, path);
    let timeout = config.connect_timeout;
    // Blocks of wide results can be large; the server sets no limit either. tungstenite zero-fills
    // its read buffer up to `read_buffer_size` before every read: its 128 KiB default was a
    // 128 KiB memset per frame read (≈ 5 % of the connection task's CPU on small queries), 32 KiB
    // still reads a big block in few calls.
    let ws_config = WebSocketConfig::default().max_message_size(None).max_frame_size(None).read_buffer_size(32 * 1024);
    let attempt = tokio_tungstenite::connect_async_tls_with_config(url.as_str(), Some(ws_config), true, connector);
    match tokio::time::timeout(timeout, attempt).await {
        Ok(Ok((ws, _response))) => Ok(ws),
        Ok(Err(e)) => Err(format!("{endpoint}: {}", crate::tls::explain(&e).unwrap_or_else(|| e.to_string()))),
        Err(_) => Err(format!("{endpoint}: no answer within {timeout:?}")),
    }
}

/// What the driver needs to open a socket again (a conversation that reconnects asks for it).
pub(crate) struct Reopen {
    pub config: ConnectConfig,
    /// `/ws`, `/rest/tmq`.
    pub path: &'static str,
}

/// Starts the task: logs in (the conversation bounds the login), answers on `connected`;
/// reports the connection's life on `events`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn<P: Conversation>(
    ws: Ws,
    reopen: Reopen,
    session: P,
    connected: oneshot::Sender<Result<String, Error>>,
    commands: mpsc::UnboundedReceiver<Command<P>>,
    closed: Arc<AtomicBool>,
    events: mpsc::UnboundedSender<ConnectionEvent>,
) {
    let mut driver = Driver {
        socket: Some(Socket::new(ws)),
        opening: None,
        reopen: Arc::new(reopen),
        events,
        session,
        origin: tokio::time::Instant::now(),
        responders: HashMap::new(),
        tickets: HashMap::new(),
        connected: Some(connected),
        connect_call: None,
        commands,
        closers: Vec::new(),
        closed,
    };
    let now = driver.now();
    driver.connect_call = Some(driver.session.connect(now));
    tokio::spawn(driver.run());
}

/// A caller waiting for its call.
struct Responder {
    ticket: u64,
    done: Done,
}

/// The sending half of the socket, in a task of its own: a peer that stops reading blocks only
/// this task, never the loop that reads replies, runs the timers and takes commands. Dropping
/// the `Writer` ends the task (and drops the socket's sending half).
struct Writer {
    frames: mpsc::UnboundedSender<Message>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// The writer and the channel on which it reports why it stopped writing.
    fn spawn(mut sink: SplitSink<Ws, Message>) -> (Writer, mpsc::UnboundedReceiver<String>) {
        let (frames, mut queued) = mpsc::unbounded_channel::<Message>();
        let (failed_tx, failed) = mpsc::unbounded_channel();
        let task = tokio::spawn(async move {
            while let Some(first) = queued.recv().await {
                // Feed everything queued, then flush once.
                let mut next = Some(first);
                while let Some(message) = next.take() {
                    if let Err(e) = sink.feed(message).await {
                        let _ = failed_tx.send(e.to_string());
                        return;
                    }
                    next = queued.try_recv().ok();
                }
                if let Err(e) = sink.flush().await {
                    let _ = failed_tx.send(e.to_string());
                    return;
                }
            }
        });
        (Writer { frames, task }, failed)
    }

    fn send(&self, message: Message) {
        // A closed channel means the task already reported its failure.
        let _ = self.frames.send(message);
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// An open WebSocket: the reading half, and the writer task with its failure report.
struct Socket {
    reader: SplitStream<Ws>,
    writer: Writer,
    write_failed: mpsc::UnboundedReceiver<String>,
}

/// What happened on the socket.
enum SocketEvent {
    Message(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    WriteFailed(String),
}

impl Socket {
    fn new(ws: Ws) -> Socket {
        let (sink, reader) = ws.split();
        let (writer, write_failed) = Writer::spawn(sink);
        Socket { reader, writer, write_failed }
    }

    /// The next thing that happens on `socket`; never, without one.
    async fn next(socket: &mut Option<Socket>) -> SocketEvent {
        let Some(s) = socket else { return std::future::pending().await };
        tokio::select! {
            message = s.reader.next() => SocketEvent::Message(message),
            Some(reason) = s.write_failed.recv() => SocketEvent::WriteFailed(reason),
        }
    }
}

type Opening = Pin<Box<dyn Future<Output = Result<Ws, String>> + Send>>;

/// The socket being opened; never, without one.
async fn opened(opening: &mut Option<Opening>) -> Result<Ws, String> {
    match opening {
        Some(f) => f.await,
        None => std::future::pending().await,
    }
}

struct Driver<P: Conversation> {
    socket: Option<Socket>,
    /// A socket the conversation asked for, being opened.
    opening: Option<Opening>,
    reopen: Arc<Reopen>,
    events: mpsc::UnboundedSender<ConnectionEvent>,
    session: P,
    /// The session's clock is the time since this instant.
    origin: tokio::time::Instant,
    responders: HashMap<CallId, Responder>,
    tickets: HashMap<u64, CallId>,
    connected: Option<oneshot::Sender<Result<String, Error>>>,
    connect_call: Option<CallId>,
    commands: mpsc::UnboundedReceiver<Command<P>>,
    closers: Vec<oneshot::Sender<()>>,
    closed: Arc<AtomicBool>,
}

impl<P: Conversation> Driver<P> {
    fn now(&self) -> Instant {
        Instant::from_origin(self.origin.elapsed())
    }

    fn deadline(&self) -> Option<tokio::time::Instant> {
        self.session.poll_timeout().map(|at| self.origin + at.since_origin())
    }

    async fn run(mut self) {
        loop {
            self.transmit();
            self.obey_socket_commands();
            self.dispatch_events();
            if self.session.is_closed() {
                self.closed.store(true, Ordering::Release);
            }
            if self.session.is_finished() {
                break;
            }
            let deadline = self.deadline();
            let timer = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => self.apply(command),
                    // Every handle is gone: nobody can use the results any more.
                    None => {
                        let now = self.now();
                        self.session.close(now);
                    }
                },
                event = Socket::next(&mut self.socket) => {
                    let now = self.now();
                    match event {
                        SocketEvent::Message(Some(Ok(Message::Text(text)))) => self.session.handle_frame(Frame::Text(text.as_str().to_owned()), now),
                        SocketEvent::Message(Some(Ok(Message::Binary(bytes)))) => self.session.handle_frame(Frame::Binary(Vec::from(bytes)), now),
                        // tungstenite answers pings itself; both count as life.
                        SocketEvent::Message(Some(Ok(Message::Ping(p)))) => self.session.handle_frame(Frame::Ping(Vec::from(p)), now),
                        SocketEvent::Message(Some(Ok(Message::Pong(p)))) => self.session.handle_frame(Frame::Pong(Vec::from(p)), now),
                        SocketEvent::Message(Some(Ok(Message::Close(_))) | None) => {
                            self.socket = None;
                            self.session.handle_disconnect("the server closed the connection", now);
                        }
                        SocketEvent::Message(Some(Ok(Message::Frame(_)))) => {}
                        SocketEvent::Message(Some(Err(e))) => {
                            self.socket = None;
                            self.session.handle_disconnect(&e.to_string(), now);
                        }
                        SocketEvent::WriteFailed(reason) => {
                            self.socket = None;
                            self.session.handle_disconnect(&reason, now);
                        }
                    }
                },
                result = opened(&mut self.opening) => {
                    self.opening = None;
                    let now = self.now();
                    match result {
                        Ok(ws) => {
                            self.socket = Some(Socket::new(ws));
                            self.session.handle_socket_opened(now);
                        }
                        Err(reason) => self.session.handle_socket_failed(now, &reason),
                    }
                },
                () = timer => {
                    let now = self.now();
                    self.session.handle_timeout(now);
                }
            }
        }
        self.closed.store(true, Ordering::Release);
        self.dispatch_events();
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            self.apply(command);
        }
        for closer in self.closers.drain(..) {
            let _ = closer.send(());
        }
    }

    fn apply(&mut self, command: Command<P>) {
        match command {
            Command::Call { ticket, start, timeout, done } => {
                let now = self.now();
                let call = start(&mut self.session, now);
                self.session.set_deadline(call, now, timeout);
                self.responders.insert(call, Responder { ticket, done });
                self.tickets.insert(ticket, call);
            }
            Command::Cancel { ticket } => {
                if let Some(call) = self.tickets.remove(&ticket) {
                    self.responders.remove(&call);
                    self.session.cancel(call);
                }
            }
            Command::Discard(outcome) => self.session.discard(outcome),
            Command::Do(action) => {
                let now = self.now();
                action(&mut self.session, now);
            }
            Command::Close { done } => {
                self.closers.push(done);
                let now = self.now();
                self.session.close(now);
            }
        }
        self.dispatch_events();
    }

    /// Opens and drops sockets as the conversation says.
    fn obey_socket_commands(&mut self) {
        while let Some(command) = self.session.poll_socket() {
            self.socket = None;
            self.opening = None;
            if let SocketCommand::Open { endpoint } = command {
                let reopen = Arc::clone(&self.reopen);
                self.opening = Some(Box::pin(async move {
                    let connector = connector(&reopen.config).map_err(|e| e.message)?;
                    open_endpoint(&reopen.config, reopen.path, endpoint, connector).await
                }));
            }
        }
    }

    /// Hands what the session queued to the writer task (never waits for the peer).
    fn transmit(&mut self) {
        while let Some(frame) = self.session.poll_transmit() {
            // Without a socket there is nobody to send to (the session holds what matters).
            let Some(socket) = &self.socket else { continue };
            socket.writer.send(match frame {
                Frame::Text(t) => Message::text(t),
                Frame::Binary(b) => Message::binary(b),
                Frame::Ping(p) => Message::Ping(p.into()),
                Frame::Pong(p) => Message::Pong(p.into()),
                Frame::Close => Message::Close(None),
            });
        }
    }

    fn dispatch_events(&mut self) {
        while let Some(event) = self.session.poll_event() {
            let (call, outcome) = match event {
                Event::Completed { call, outcome } => (call, outcome),
                Event::Reconnecting { attempt, delay, reason } => {
                    let _ = self.events.send(ConnectionEvent::Reconnecting { attempt, delay, reason });
                    continue;
                }
                Event::Reconnected { attempt, endpoint } => {
                    let endpoint = self.reopen.config.endpoints.get(endpoint).map(ToString::to_string).unwrap_or_default();
                    let _ = self.events.send(ConnectionEvent::Reconnected { attempt, endpoint });
                    continue;
                }
                Event::Closed { error } => {
                    let _ = self.events.send(ConnectionEvent::Closed { error });
                    continue;
                }
                _ => continue,
            };
            if Some(call) == self.connect_call {
                self.connect_call = None;
                let version = outcome.and_then(|reply| match reply {
                    Reply::Connected { server_version } => Ok(server_version),
                    other => Err(mismatch(&other)),
                });
                if let Some(tx) = self.connected.take() {
                    let _ = tx.send(version);
                }
                continue;
            }
            let Some(responder) = self.responders.remove(&call) else {
                // The caller went away: the session frees what the reply produced.
                self.session.discard(outcome);
                continue;
            };
            self.tickets.remove(&responder.ticket);
            match responder.done {
                Done::Channel(tx) => {
                    if let Err(outcome) = tx.send(outcome) {
                        self.session.discard(outcome);
                    }
                }
                Done::Callback(done) => done.complete(outcome),
            }
        }
    }
}
