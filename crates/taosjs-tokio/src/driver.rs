//! The per-connection task: owns the WebSocket and the conversation (the SQL `Session` on `/ws`,
//! the TMQ `Consumer` on `/rest/tmq`: anything that is a [`Conversation`]), applies commands,
//! moves frames and time (the conversation's clock is the time since the task started),
//! resolves each call's oneshot when the conversation reports its completion, and opens or drops
//! sockets when the conversation says so (reconnects are the session's decisions:
//! `SocketCommand`). The conversation is shared with the threads that make calls ([`Shared`]):
//! a call made while the task has nothing queued starts on the caller's thread and its request
//! is written from there, so the task, parked until the next frame, is not woken to send it.

use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};

use futures_util::stream::{SplitSink, SplitStream};
use futures_util::{Sink, SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio::sync::{mpsc, oneshot, Notify};
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
/// reports the connection's life on `events`. Returns what callers share with the task.
#[allow(clippy::too_many_arguments)]
pub(crate) fn spawn<P: Conversation>(
    ws: Ws,
    reopen: Reopen,
    session: P,
    connected: oneshot::Sender<Result<String, Error>>,
    commands: mpsc::UnboundedReceiver<Command<P>>,
    closed: Arc<AtomicBool>,
    events: mpsc::UnboundedSender<ConnectionEvent>,
) -> Arc<Shared<P>> {
    let (reader, writer) = Socket::open(ws);
    let reopen = Arc::new(reopen);
    let shared = Arc::new(Shared {
        state: Mutex::new(State {
            session,
            responders: HashMap::new(),
            tickets: HashMap::new(),
            connected: Some(connected),
            connect_call: None,
            closers: Vec::new(),
            events,
            writer: Some(writer),
            armed: None,
            socket_commands: VecDeque::new(),
            closed,
            reopen: Arc::clone(&reopen),
        }),
        nudge: Notify::new(),
        queued: AtomicUsize::new(0),
        origin: tokio::time::Instant::now(),
    });
    {
        let mut state = shared.lock();
        let now = shared.now();
        state.connect_call = Some(state.session.connect(now));
    }
    let driver = Driver { shared: Arc::clone(&shared), socket: Some(reader), opening: None, reopen, commands };
    tokio::spawn(driver.run());
    shared
}

/// A caller waiting for its call.
struct Responder {
    ticket: u64,
    done: Done,
}

/// What goes to the writer task: a frame, or the word to flush what a caller's thread left in
/// the socket's buffer.
enum Outgoing {
    Frame(Message),
    Flush,
}

/// The sending half of the socket. Frames are written at once when nothing is queued before
/// them (by the connection's task, or by a caller's thread starting a call: no wake-up of the
/// task to send a request); what cannot be written at once goes to a task of its own, so that a
/// peer that stops reading blocks only that task, never the loop that reads replies, runs the
/// timers and takes commands. Dropping the `Writer` ends the task (and drops the socket's
/// sending half).
struct Writer {
    queue: mpsc::UnboundedSender<Outgoing>,
    sink: Arc<tokio::sync::Mutex<SplitSink<Ws, Message>>>,
    /// Items handed to the task and not yet written: a frame is written at once only when this
    /// is zero, so frames leave in the order they were made.
    queued: Arc<AtomicUsize>,
    /// Where a failed write made on a caller's thread is reported (the task reports its own).
    failed: mpsc::UnboundedSender<String>,
    task: tokio::task::JoinHandle<()>,
}

impl Writer {
    /// The writer and the channel on which it reports why it stopped writing.
    fn spawn(sink: SplitSink<Ws, Message>) -> (Writer, mpsc::UnboundedReceiver<String>) {
        let (queue, mut items) = mpsc::unbounded_channel::<Outgoing>();
        let (failed_tx, failed) = mpsc::unbounded_channel();
        let sink = Arc::new(tokio::sync::Mutex::new(sink));
        let queued = Arc::new(AtomicUsize::new(0));
        let (task_sink, task_queued, failed_now) = (Arc::clone(&sink), Arc::clone(&queued), failed_tx.clone());
        let task = tokio::spawn(async move {
            while let Some(first) = items.recv().await {
                let mut sink = task_sink.lock().await;
                // Feed everything queued, then flush once.
                let mut taken = 0;
                let mut next = Some(first);
                while let Some(item) = next.take() {
                    taken += 1;
                    if let Outgoing::Frame(message) = item {
                        if let Err(e) = sink.feed(message).await {
                            let _ = failed_tx.send(e.to_string());
                            return;
                        }
                    }
                    next = items.try_recv().ok();
                }
                if let Err(e) = sink.flush().await {
                    let _ = failed_tx.send(e.to_string());
                    return;
                }
                drop(sink);
                task_queued.fetch_sub(taken, Ordering::AcqRel);
            }
        });
        (Writer { queue, sink, queued, failed: failed_now, task }, failed)
    }

    /// Writes `message` now if nothing is queued before it and the socket takes it without
    /// waiting; else queues it for the task.
    fn send(&self, message: Message) {
        if let Err(message) = self.write_now(message) {
            self.enqueue(Outgoing::Frame(message));
        }
    }

    fn enqueue(&self, item: Outgoing) {
        self.queued.fetch_add(1, Ordering::AcqRel);
        // A closed channel means the task already reported its failure.
        if self.queue.send(item).is_err() {
            self.queued.fetch_sub(1, Ordering::AcqRel);
        }
    }

    /// One attempt without waiting (from any thread): `Err` gives the frame back when something
    /// is queued or the sink is busy. A frame taken but not flushed (the socket's buffer is
    /// full, or the reading half held the socket for a moment) is left to the task to flush; a
    /// failed write is reported as the task reports its own.
    fn write_now(&self, message: Message) -> Result<(), Message> {
        if self.queued.load(Ordering::Acquire) != 0 {
            return Err(message);
        }
        let Ok(mut sink) = self.sink.try_lock() else { return Err(message) };
        let mut cx = Context::from_waker(futures_util::task::noop_waker_ref());
        let mut sink = Pin::new(&mut *sink);
        match sink.as_mut().poll_ready(&mut cx) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) | Poll::Pending => return Err(message),
        }
        let flushed = match sink.as_mut().start_send(message) {
            Ok(()) => sink.as_mut().poll_flush(&mut cx),
            Err(e) => Poll::Ready(Err(e)),
        };
        match flushed {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(e)) => {
                let _ = self.failed.send(e.to_string());
            }
            Poll::Pending => self.enqueue(Outgoing::Flush),
        }
        Ok(())
    }
}

impl Drop for Writer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The reading half of an open WebSocket, with its writer's failure report (the writer itself
/// is in [`State`], where callers' threads reach it).
struct Socket {
    reader: SplitStream<Ws>,
    write_failed: mpsc::UnboundedReceiver<String>,
}

/// What happened on the socket.
enum SocketEvent {
    Message(Option<Result<Message, tokio_tungstenite::tungstenite::Error>>),
    WriteFailed(String),
}

impl Socket {
    fn open(ws: Ws) -> (Socket, Writer) {
        let (sink, reader) = ws.split();
        let (writer, write_failed) = Writer::spawn(sink);
        (Socket { reader, write_failed }, writer)
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

/// What the connection's task and the threads that make calls share. A call made while the
/// task has nothing queued is started on the caller's thread ([`Shared::start_here`]): its
/// request leaves from there, so the task, parked until the reply, is not woken to send it.
pub(crate) struct Shared<P> {
    state: Mutex<State<P>>,
    /// Wakes the task when a call started on a caller's thread needs it: a timer earlier than
    /// the one it sleeps until, a socket to open or drop, the conversation finishing.
    nudge: Notify,
    /// Commands sent to the task and not yet applied: a caller starts a call itself only when
    /// there are none, so the conversation sees calls in the order they were made.
    queued: AtomicUsize,
    /// The conversation's clock is the time since this instant.
    origin: tokio::time::Instant,
}

/// The conversation and who waits for what (locked briefly, never across an await).
struct State<P> {
    session: P,
    responders: HashMap<CallId, Responder>,
    tickets: HashMap<u64, CallId>,
    connected: Option<oneshot::Sender<Result<String, Error>>>,
    connect_call: Option<CallId>,
    closers: Vec<oneshot::Sender<()>>,
    events: mpsc::UnboundedSender<ConnectionEvent>,
    /// The open socket's sending half.
    writer: Option<Writer>,
    /// The time the task sleeps until (its next timer), as it last looked.
    armed: Option<Instant>,
    /// What the conversation asked of the socket on a caller's thread, for the task to do.
    socket_commands: VecDeque<SocketCommand>,
    closed: Arc<AtomicBool>,
    reopen: Arc<Reopen>,
}

impl<P: Conversation> Shared<P> {
    fn lock(&self) -> MutexGuard<'_, State<P>> {
        // A panic in a completion is caught; the state stays usable.
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn now(&self) -> Instant {
        Instant::from_origin(self.origin.elapsed())
    }

    /// Counts a command about to be sent to the task.
    pub(crate) fn sending(&self) {
        self.queued.fetch_add(1, Ordering::AcqRel);
    }

    /// A command the task will not apply (it is gone).
    pub(crate) fn unsent(&self) {
        self.queued.fetch_sub(1, Ordering::AcqRel);
    }

    /// Starts `command` (a call) on this thread when nothing waits to be applied before it and
    /// the connection is up; its frames are written from here when the socket takes them. The
    /// task is nudged only when the call needs it. `Err` gives the command back: send it.
    /// A panic in the conversation here (a bug) must not unwind into the caller (the JS
    /// thread): it is caught, the command's completion says the connection closed, and the
    /// task, nudged, finds the state poisoned and ends.
    pub(crate) fn start_here(&self, command: Command<P>) -> Result<(), Command<P>> {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.try_start_here(command))) {
            Ok(outcome) => outcome,
            Err(_) => {
                self.nudge.notify_one();
                Ok(())
            }
        }
    }

    fn try_start_here(&self, command: Command<P>) -> Result<(), Command<P>> {
        if self.queued.load(Ordering::Acquire) != 0 {
            return Err(command);
        }
        // The task is busy with the state: let it take the command in order.
        let Ok(mut state) = self.state.try_lock() else { return Err(command) };
        let ready = state.writer.is_some()
            && state.connected.is_none()
            && state.socket_commands.is_empty()
            && !state.closed.load(Ordering::Acquire)
            && !state.session.is_closed();
        if !ready || self.queued.load(Ordering::Acquire) != 0 {
            return Err(command);
        }
        let now = self.now();
        state.apply(command, now);
        // This thread has no socket to open or drop: the task does what the conversation asks.
        state.settle(State::queue_socket_commands);
        let next = state.session.poll_timeout();
        let earlier = match (next, state.armed) {
            (Some(next), Some(armed)) => next < armed,
            (Some(_), None) => true,
            (None, _) => false,
        };
        let needs_task = earlier || !state.socket_commands.is_empty() || state.session.is_finished();
        drop(state);
        if needs_task {
            self.nudge.notify_one();
        }
        Ok(())
    }
}

impl<P: Conversation> State<P> {
    fn apply(&mut self, command: Command<P>, now: Instant) {
        match command {
            Command::Call { ticket, start, timeout, done } => {
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
            Command::Do(action) => action(&mut self.session, now),
            Command::Close { done } => {
                self.closers.push(done);
                self.session.close(now);
            }
        }
        self.dispatch_events();
    }

    /// What follows input to the conversation (a command, a frame, the time, a socket opened or
    /// lost), on the task and on a caller's thread alike: its frames are written, its socket
    /// decisions handed to `take_socket_commands` (the task obeys them, a caller's thread queues
    /// them for the task), then its events dispatched (completions run), and the connection is
    /// marked closed once the conversation is.
    fn settle(&mut self, take_socket_commands: impl FnOnce(&mut Self)) {
        self.transmit();
        take_socket_commands(self);
        self.dispatch_events();
        if self.session.is_closed() {
            self.closed.store(true, Ordering::Release);
        }
    }

    /// Keeps what the conversation asked of the socket for the task (which alone owns the
    /// socket; a caller starts no call on this connection until the task has done it).
    fn queue_socket_commands(&mut self) {
        while let Some(command) = self.session.poll_socket() {
            self.socket_commands.push_back(command);
        }
    }

    /// Hands what the conversation queued to the socket (never waits for the peer).
    fn transmit(&mut self) {
        while let Some(frame) = self.session.poll_transmit() {
            // Without a socket there is nobody to send to (the conversation holds what matters).
            let Some(writer) = &self.writer else { continue };
            writer.send(match frame {
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
                // The caller went away: the conversation frees what the reply produced.
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

/// The connection's task: the socket's reading half, the socket being opened, the commands.
struct Driver<P: Conversation> {
    shared: Arc<Shared<P>>,
    socket: Option<Socket>,
    /// A socket the conversation asked for, being opened.
    opening: Option<Opening>,
    reopen: Arc<Reopen>,
    commands: mpsc::UnboundedReceiver<Command<P>>,
}

impl<P: Conversation> Drop for Driver<P> {
    /// However the task ends (also by a panic, which tokio catches): no call is started or
    /// written from a caller's thread any more, and every caller still waiting is told the
    /// connection closed (its completion runs, its channel closes) instead of waiting forever.
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        state.closed.store(true, Ordering::Release);
        state.writer = None;
        state.tickets.clear();
        let waiting = std::mem::take(&mut state.responders);
        drop(state);
        drop(waiting);
    }
}

impl<P: Conversation> Driver<P> {
    async fn run(mut self) {
        let shared = Arc::clone(&self.shared);
        loop {
            // A panic on a caller's thread while it held the state (a bug, caught there): the
            // conversation cannot be trusted any more; end as a panicking task would.
            if shared.state.is_poisoned() {
                break;
            }
            let deadline = {
                let mut state = shared.lock();
                state.settle(|state| self.obey_socket_commands(state));
                if state.session.is_finished() {
                    break;
                }
                state.armed = state.session.poll_timeout();
                state.armed.map(|at| shared.origin + at.since_origin())
            };
            let timer = async move {
                match deadline {
                    Some(at) => tokio::time::sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = self.commands.recv() => match command {
                    Some(command) => {
                        let now = shared.now();
                        shared.lock().apply(command, now);
                        shared.unsent();
                    }
                    // Every handle is gone: nobody can use the results any more.
                    None => {
                        let now = shared.now();
                        shared.lock().session.close(now);
                    }
                },
                event = Socket::next(&mut self.socket) => {
                    let now = shared.now();
                    let mut state = shared.lock();
                    let lost = |state: &mut State<P>, reason: &str| {
                        state.writer = None;
                        state.session.handle_disconnect(reason, now);
                    };
                    match event {
                        SocketEvent::Message(Some(Ok(Message::Text(text)))) => state.session.handle_frame(Frame::Text(text.as_str().to_owned()), now),
                        // The payload stays in tungstenite's read buffer (its next read starts a new one).
                        SocketEvent::Message(Some(Ok(Message::Binary(bytes)))) => state.session.handle_frame(Frame::Binary(bytes), now),
                        // tungstenite answers pings itself; both count as life.
                        SocketEvent::Message(Some(Ok(Message::Ping(p)))) => state.session.handle_frame(Frame::Ping(Vec::from(p)), now),
                        SocketEvent::Message(Some(Ok(Message::Pong(p)))) => state.session.handle_frame(Frame::Pong(Vec::from(p)), now),
                        SocketEvent::Message(Some(Ok(Message::Close(_))) | None) => {
                            self.socket = None;
                            lost(&mut *state, "the server closed the connection");
                        }
                        SocketEvent::Message(Some(Ok(Message::Frame(_)))) => {}
                        SocketEvent::Message(Some(Err(e))) => {
                            self.socket = None;
                            lost(&mut *state, &e.to_string());
                        }
                        SocketEvent::WriteFailed(reason) => {
                            self.socket = None;
                            lost(&mut *state, &reason);
                        }
                    }
                },
                result = opened(&mut self.opening) => {
                    self.opening = None;
                    let now = shared.now();
                    let mut state = shared.lock();
                    match result {
                        Ok(ws) => {
                            let (reader, writer) = Socket::open(ws);
                            self.socket = Some(reader);
                            state.writer = Some(writer);
                            state.session.handle_socket_opened(now);
                        }
                        Err(reason) => state.session.handle_socket_failed(now, &reason),
                    }
                },
                () = timer => {
                    let now = shared.now();
                    shared.lock().session.handle_timeout(now);
                },
                () = shared.nudge.notified() => {}
            }
        }
        let mut state = shared.lock();
        state.closed.store(true, Ordering::Release);
        state.dispatch_events();
        self.commands.close();
        while let Ok(command) = self.commands.try_recv() {
            let now = shared.now();
            state.apply(command, now);
            shared.unsent();
        }
        for closer in state.closers.drain(..) {
            let _ = closer.send(());
        }
    }

    /// Opens and drops sockets as the conversation says (also what it said on a caller's
    /// thread).
    fn obey_socket_commands(&mut self, state: &mut State<P>) {
        loop {
            let Some(command) = state.socket_commands.pop_front().or_else(|| state.session.poll_socket()) else { break };
            self.socket = None;
            state.writer = None;
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
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc as std_mpsc;
    use std::time::Duration;

    use taos_testserver::{start, ServerConfig};
    use taosjs_core::{ConnectConfig, Error, ErrorKind, Reply, Session, SessionOptions};

    use crate::{Completion, Handle};

    type Outcome = Result<Reply, Error>;

    fn answered(rx: &std_mpsc::Receiver<(&'static str, Outcome)>) -> (&'static str, Outcome) {
        rx.recv_timeout(Duration::from_secs(60)).expect("every call is answered")
    }

    /// A bug in the conversation met while a call starts on a caller's thread (the JS thread,
    /// in the addon) must not unwind into that thread: the call fails with a Connection error,
    /// the call in flight is answered, the connection closes and later calls fail at once.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_panic_while_a_call_starts_on_a_callers_thread_fails_that_call_and_closes_the_connection() {
        let server = start(ServerConfig { port: 0, ..Default::default() }).await.expect("test server starts");
        let config = ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}", server.addr())).unwrap();
        let session = Session::new(SessionOptions::from(&config));
        let (handle, _) = Handle::open(&config, "/ws", session).await.unwrap();
        let handle = std::sync::Arc::new(handle);
        let caller = std::sync::Arc::clone(&handle);
        let (first, panicked) = std::thread::spawn(move || {
            let (tx, rx) = std_mpsc::channel();
            let in_flight = tx.clone();
            caller.call_with(
                None,
                |s, _| s.query("select server_version()", None),
                Completion::new(move |outcome| {
                    let _ = in_flight.send(("in flight", outcome));
                }),
            );
            caller.call_with(
                None,
                |_, _| panic!("a deliberate bug in the conversation"),
                Completion::new(move |outcome| {
                    let _ = tx.send(("panicked", outcome));
                }),
            );
            let mut outcomes = [answered(&rx), answered(&rx)];
            outcomes.sort_by_key(|(name, _)| *name);
            let [first, panicked] = outcomes;
            (first.1, panicked.1)
        })
        .join()
        .expect("the panic stays inside the driver");
        // Answered by the server before the panic, or told the connection closed.
        if let Err(e) = first {
            assert_eq!(e.kind, ErrorKind::Connection, "{e}");
        }
        let e = panicked.expect_err("the call whose start panicked fails");
        assert_eq!(e.kind, ErrorKind::Connection, "{e}");
        tokio::time::timeout(Duration::from_secs(10), async {
            while !handle.is_closed() {
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
        })
        .await
        .expect("the connection closes");
        let later = tokio::time::timeout(Duration::from_secs(10), handle.call(None, |s, _| s.query("select 1", None)))
            .await
            .expect("a later call does not wait");
        assert_eq!(later.expect_err("a later call fails").kind, ErrorKind::Connection);
    }
}
