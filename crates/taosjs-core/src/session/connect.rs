//! Login (`version`, `conn`, then `options_connection` for the timezone) under the connect
//! timeout, and the way out: `close` frees what the server holds for us, says goodbye and gives
//! the peer a bounded time to acknowledge it.

use super::{Action, CallId, Frame, Instant, Reply, Session, State, Timer, Waiting, VERSION_REQ_ID};
use crate::error::{Error, ErrorKind};
use crate::message::{self, supports_binary_queries, ConnArgs, JsonReply};

#[derive(Debug)]
pub(super) struct ConnectProgress {
    /// The caller's `connect`; `None` for the login of a reconnect.
    pub call: Option<CallId>,
    version: Option<String>,
    conn_done: bool,
    options_pending: bool,
}

impl Session {
    /// Queues `version` and `conn` (then `options_connection` for the timezone); the login must
    /// be answered within `SessionOptions::connect_timeout` after `now`.
    pub fn connect(&mut self, now: Instant) -> CallId {
        let call = self.new_call();
        if self.state != State::Idle {
            self.complete(call, Err(Error::programming("connect was already called on this session")));
            return call;
        }
        self.state = State::Connecting;
        self.clock = now;
        self.login(now, Some(call));
        call
    }

    /// Logs in on a new socket (the first, or a reconnect's: `call` is `None`) with the
    /// database the connection last selected.
    pub(super) fn login(&mut self, now: Instant, call: Option<CallId>) {
        self.connect = Some(ConnectProgress { call, version: None, conn_done: false, options_pending: false });
        self.calls.timers.set(Timer::Connect, now + self.options.connect_timeout);
        self.start_keepalive(now);
        self.send_json(VERSION_REQ_ID, Action::Version, Waiting::Version, message::version_request());
        let req_id = self.alloc_req_id();
        let args = ConnArgs {
            req_id,
            user: self.options.user.clone(),
            password: self.options.password.clone(),
            db: self.current_db.clone().or_else(|| self.options.db.clone()).unwrap_or_default(),
            connector: self.options.connector.clone(),
            bearer_token: self.options.bearer_token.clone(),
        };
        self.send_json(req_id, Action::Conn, Waiting::Conn, message::conn_request(&args));
    }

    /// Frees every open result and closes every statement on the server, then says goodbye
    /// ([`Frame::Close`]). Every call fails with a Connection error from now on. The session is
    /// finished when the peer closes the socket ([`Session::handle_disconnect`]) or, at the
    /// latest, `SessionOptions::goodbye_timeout` after `now`. Safe to call twice.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Closing | State::Closed => return,
            State::Idle => {
                self.state = State::Closed;
                return;
            }
            State::Connecting => {
                self.fail_connect(Error::connection("the connection was closed while logging in"));
                return;
            }
            State::Reconnecting => {
                // Nothing on the server to free: drop the attempt, fail what waited.
                self.reconnect = None;
                self.socket.push_back(super::SocketCommand::Close);
                self.fail_everything(Error::connection("connection closed: the connection was closed by the client"));
                self.calls.push_event(super::Event::Closed { error: None });
                return;
            }
            State::Connected => {}
        }
        self.state = State::Closing;
        let mut open: Vec<u64> = self.results.keys().copied().collect();
        open.sort_unstable();
        for id in open {
            self.free_result(id);
        }
        let mut stmts: Vec<u64> = self.stmts.keys().copied().collect();
        stmts.sort_unstable();
        for stmt_id in stmts {
            // Replies (stmt2_close answers) arrive after the socket closed or are ignored.
            self.abandon_statement(stmt_id);
        }
        self.calls.push_frame(Frame::Close);
        self.calls.timers.set(Timer::Goodbye, now + self.options.goodbye_timeout);
        // Calls still waiting for the server are not answered any more.
        self.fail_pending(Error::connection("connection closed: the connection was closed by the client"));
    }

    /// Fails the calls still waiting for a reply (the goodbye carries on).
    fn fail_pending(&mut self, err: Error) {
        for p in self.calls.take_all() {
            if let Some(call) = p.waiting.call() {
                self.complete(call, Err(err.clone()));
            }
        }
    }

    /// The goodbye is over (or the peer is gone): the driver drops the socket.
    pub(super) fn finish(&mut self, reason: &str) {
        self.handle_disconnect(reason);
    }

    pub(super) fn connect_timed_out(&mut self) {
        if self.connect.is_some() && matches!(self.state, State::Connecting | State::Reconnecting) {
            let timeout = self.options.connect_timeout;
            self.fail_connect(Error::connection(format!("the server did not answer the login within {timeout:?}")));
        }
    }

    pub(super) fn on_version(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        if let Some(p) = self.connect.as_mut() {
            p.version = Some(reply.version.unwrap_or_default());
        }
        self.maybe_finish_connect();
    }

    pub(super) fn on_conn(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        let tz = self.options.timezone.clone();
        if let Some(p) = self.connect.as_mut() {
            p.conn_done = true;
            if p.version.is_none() {
                p.version = reply.version.clone();
            }
            if let Some(tz) = tz {
                p.options_pending = true;
                let req_id = self.alloc_req_id();
                let text = message::options_connection_request(req_id, &[(message::OPTION_TIMEZONE, Some(&tz))]);
                self.send_json(req_id, Action::OptionsConnection, Waiting::Options, text);
            }
        }
        self.maybe_finish_connect();
    }

    pub(super) fn on_options(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        if let Some(p) = self.connect.as_mut() {
            p.options_pending = false;
        }
        self.maybe_finish_connect();
    }

    fn maybe_finish_connect(&mut self) {
        let done = matches!(&self.connect, Some(p) if p.conn_done && !p.options_pending && p.version.is_some()
            && !self.calls.is_pending(VERSION_REQ_ID));
        if done {
            let version = self.connect.as_ref().and_then(|p| p.version.clone()).unwrap_or_default();
            if !supports_binary_queries(&version) {
                return self.fail_connect(Error::not_supported(format!(
                    "server version {version} is too old: taosjs needs taosAdapter 3.3.2.0 or later"
                )));
            }
            let p = self.connect.take().expect("checked above");
            self.calls.timers.stop(Timer::Connect);
            self.server_version = Some(version.clone());
            self.state = State::Connected;
            match p.call {
                Some(call) => self.complete(call, Ok(Reply::Connected { server_version: version })),
                None => self.reconnected(self.clock),
            }
        }
    }

    pub(super) fn fail_connect(&mut self, error: Error) {
        if self.state == State::Reconnecting {
            return self.login_failed(error);
        }
        self.calls.retain(|p| !matches!(p.waiting, Waiting::Version | Waiting::Conn | Waiting::Options));
        self.calls.timers.stop(Timer::Connect);
        self.calls.timers.stop(Timer::Keepalive);
        self.state = State::Closed;
        if let Some(call) = self.connect.take().and_then(|p| p.call) {
            self.complete(call, Err(error));
        }
    }
}
