//! The `/ws` session as a sans-IO state machine (quinn-proto style): callers queue requests and
//! get a [`CallId`], the driver moves [`Frame`]s with [`Session::poll_transmit`] /
//! [`Session::handle_frame`], and completions come out of [`Session::poll_event`].
//!
//! The session owns request ids, the table of pending calls (JSON replies matched by
//! `(action, req_id)`, binary replies by `(action, req_id @ 26)`) and the open results, so a
//! result is freed exactly once and `close` frees all of them.

use std::collections::{HashMap, VecDeque};

use crate::dsn::ConnectConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, BinaryReply, ConnArgs, JsonReply, QueryInfo};

/// Identifies one call until its [`Event::Completed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// A WebSocket message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
}

/// Settings the session needs (credentials travel in `conn`).
#[derive(Clone, Default)]
pub struct SessionOptions {
    pub user: String,
    pub password: String,
    pub db: Option<String>,
    /// Sent with `options_connection` after `conn` when set.
    pub timezone: Option<String>,
    pub connector: Option<String>,
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for SessionOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionOptions")
            .field("user", &self.user)
            .field("db", &self.db)
            .field("timezone", &self.timezone)
            .field("connector", &self.connector)
            .finish_non_exhaustive()
    }
}

impl From<&ConnectConfig> for SessionOptions {
    fn from(c: &ConnectConfig) -> Self {
        SessionOptions {
            user: c.user.clone(),
            password: c.password.clone(),
            db: c.database.clone(),
            timezone: c.timezone.clone(),
            connector: c.connector.clone(),
            bearer_token: c.bearer_token.clone(),
        }
    }
}

/// A successful outcome. Later issues add variants (statements, TMQ), hence `non_exhaustive`.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Reply {
    /// `connect` finished; the version the server reported.
    Connected { server_version: String },
    Query(QueryInfo),
    /// A raw block (decode with [`crate::block`]); `None` once the result is exhausted.
    Block(Option<Vec<u8>>),
}

/// What the session tells its driver. Later: timer and reconnect events.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Event {
    Completed { call: CallId, outcome: Result<Reply> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Idle,
    Connecting,
    Connected,
    Closed,
}

/// Which reply a pending request waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Json(&'static str),
    Binary(u64),
}

#[derive(Debug)]
enum Waiting {
    Version,
    Conn,
    Options,
    Query(CallId),
    Fetch { call: CallId, result_id: u64 },
}

#[derive(Debug)]
struct Pending {
    expect: Expect,
    waiting: Waiting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultState {
    Open { fetching: bool },
    /// The server reported the end (and freed it itself); fetches answer `None` locally.
    Finished,
}

#[derive(Debug)]
struct ConnectProgress {
    call: CallId,
    version: Option<String>,
    conn_done: bool,
    options_pending: bool,
}

/// The client side of one `/ws` connection.
#[derive(Debug)]
pub struct Session {
    options: SessionOptions,
    state: State,
    next_call: u64,
    next_req_id: u64,
    /// Keyed by `req_id`: ids are unique among calls in flight.
    pending: HashMap<u64, Pending>,
    results: HashMap<u64, ResultState>,
    connect: Option<ConnectProgress>,
    server_version: Option<String>,
    transmit: VecDeque<Frame>,
    events: VecDeque<Event>,
}

/// `version` is sent without args, so its reply comes back with `req_id` 0; the counter for
/// everything else starts at 1 and never hands out 0.
const VERSION_REQ_ID: u64 = 0;

impl Session {
    pub fn new(options: SessionOptions) -> Session {
        Session {
            options,
            state: State::Idle,
            next_call: 1,
            next_req_id: 1,
            pending: HashMap::new(),
            results: HashMap::new(),
            connect: None,
            server_version: None,
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    /// The server's version once `version` was answered.
    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    pub fn is_connected(&self) -> bool {
        self.state == State::Connected
    }

    pub fn is_closed(&self) -> bool {
        self.state == State::Closed
    }

    /// Number of results the server still holds for us.
    pub fn open_results(&self) -> usize {
        self.results.values().filter(|s| matches!(s, ResultState::Open { .. })).count()
    }

    /// Queues `version` and `conn` (then `options_connection` for the timezone).
    pub fn connect(&mut self) -> CallId {
        let call = self.new_call();
        if self.state != State::Idle {
            self.complete(call, Err(Error::programming("connect was already called on this session")));
            return call;
        }
        self.state = State::Connecting;
        self.connect = Some(ConnectProgress { call, version: None, conn_done: false, options_pending: false });
        self.send_json(VERSION_REQ_ID, Expect::Json("version"), Waiting::Version, message::version_request());
        let req_id = self.alloc_req_id();
        let args = ConnArgs {
            req_id,
            user: self.options.user.clone(),
            password: self.options.password.clone(),
            db: self.options.db.clone().unwrap_or_default(),
            connector: self.options.connector.clone(),
            bearer_token: self.options.bearer_token.clone(),
        };
        self.send_json(req_id, Expect::Json("conn"), Waiting::Conn, message::conn_request(&args));
        call
    }

    /// Queues a binary query (action 6). A `req_id` given by the caller must not be in flight.
    pub fn query(&mut self, sql: &str, req_id: Option<u64>) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        let req_id = match req_id {
            Some(id) if self.pending.contains_key(&id) => {
                self.complete(call, Err(Error::programming(format!("req_id {id} is already in use by a call in flight"))));
                return call;
            }
            Some(id) => id,
            None => self.alloc_req_id(),
        };
        match message::binary_query_request(req_id, sql) {
            Ok(frame) => {
                self.pending.insert(req_id, Pending { expect: Expect::Json("binary_query"), waiting: Waiting::Query(call) });
                self.transmit.push_back(Frame::Binary(frame));
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `fetch_raw_block` (action 7) for an open result.
    pub fn fetch_block(&mut self, result_id: u64) -> CallId {
        let call = self.new_call();
        if let Err(e) = self.check_connected() {
            self.complete(call, Err(e));
            return call;
        }
        match self.results.get_mut(&result_id) {
            None => self.complete(
                call,
                Err(Error::programming(format!("result {result_id} is not open (already freed or never returned)"))),
            ),
            Some(ResultState::Finished) => self.complete(call, Ok(Reply::Block(None))),
            Some(ResultState::Open { fetching: true }) => self.complete(
                call,
                Err(Error::programming(format!("a fetch on result {result_id} is already in progress"))),
            ),
            Some(ResultState::Open { fetching }) => {
                *fetching = true;
                let req_id = self.alloc_req_id();
                self.pending.insert(
                    req_id,
                    Pending {
                        expect: Expect::Binary(message::ACTION_FETCH_RAW_BLOCK),
                        waiting: Waiting::Fetch { call, result_id },
                    },
                );
                self.transmit.push_back(Frame::Binary(message::fetch_raw_block_request(req_id, result_id)));
            }
        }
        call
    }

    /// Releases a result on the server unless it already finished or was freed (idempotent).
    pub fn free_result(&mut self, result_id: u64) {
        if let Some(ResultState::Open { .. }) = self.results.remove(&result_id) {
            if self.state == State::Connected {
                let req_id = self.alloc_req_id();
                self.transmit.push_back(Frame::Text(message::free_result_request(req_id, result_id)));
            }
        }
    }

    /// Frees every open result; the driver then closes the socket and reports it with
    /// [`Session::handle_disconnect`]. Later calls fail with a Connection error.
    pub fn close(&mut self) {
        let open: Vec<u64> = self.results.keys().copied().collect();
        for id in open {
            self.free_result(id);
        }
        self.results.clear();
        self.state = State::Closed;
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The socket is gone: every pending call fails with a Connection error.
    pub fn handle_disconnect(&mut self, reason: &str) {
        self.state = State::Closed;
        self.transmit.clear();
        self.results.clear();
        let mut pending: Vec<(u64, Pending)> = self.pending.drain().collect();
        pending.sort_by_key(|(id, _)| *id);
        let err = || Error::connection(format!("connection closed: {reason}"));
        if let Some(progress) = self.connect.take() {
            self.complete(progress.call, Err(err()));
        }
        for (_, p) in pending {
            match p.waiting {
                Waiting::Query(call) | Waiting::Fetch { call, .. } => self.complete(call, Err(err())),
                Waiting::Version | Waiting::Conn | Waiting::Options => {}
            }
        }
    }

    /// A frame from the server. Frames that match no pending call are ignored.
    pub fn handle_frame(&mut self, frame: Frame) {
        match frame {
            Frame::Text(text) => self.handle_text(&text),
            Frame::Binary(bytes) => self.handle_binary(&bytes),
        }
    }

    fn handle_text(&mut self, text: &str) {
        let Ok(reply) = JsonReply::parse(text) else { return };
        let action = known_action(&reply.action);
        // Binary requests the server refuses before reading them (e.g. "server not connected")
        // are answered in JSON under the binary action's name.
        let fits = |e: Expect| {
            e == Expect::Json(action)
                || (e == Expect::Binary(message::ACTION_FETCH_RAW_BLOCK) && action == "fetch_raw_block")
        };
        let Some(p) = self.take_pending(reply.req_id, fits) else { return };
        match p.waiting {
            Waiting::Version => self.on_version(reply),
            Waiting::Conn => self.on_conn(reply),
            Waiting::Options => self.on_options(reply),
            Waiting::Query(call) => {
                let outcome = reply.check(ErrorKind::Query).and_then(|()| reply.query_info());
                if let Ok(info) = &outcome {
                    if info.result_id != 0 && !info.is_update {
                        self.results.insert(info.result_id, ResultState::Open { fetching: false });
                    }
                }
                self.complete(call, outcome.map(Reply::Query));
            }
            Waiting::Fetch { call, result_id } => {
                self.set_fetching(result_id, false);
                let err = reply.check(ErrorKind::Query).err().unwrap_or_else(|| {
                    Error::internal("server answered fetch_raw_block with a JSON success")
                });
                self.complete(call, Err(err));
            }
        }
    }

    fn handle_binary(&mut self, bytes: &[u8]) {
        let Some((action, req_id)) = message::binary_reply_key(bytes) else { return };
        let Some(p) = self.take_pending(req_id, |e| e == Expect::Binary(action)) else { return };
        let Waiting::Fetch { call, result_id } = p.waiting else { return };
        let outcome = match message::parse_binary_reply(bytes) {
            Err(e) => {
                // We cannot tell whether the server still holds the result; keep it open.
                self.set_fetching(result_id, false);
                Err(e)
            }
            Ok(BinaryReply { code: 0, finished: false, block: Some(block), .. }) => {
                self.set_fetching(result_id, false);
                Ok(Reply::Block(Some(block)))
            }
            Ok(BinaryReply { code, message, .. }) => {
                // Finished or failed: either way the server has freed the result.
                if let Some(state) = self.results.get_mut(&result_id) {
                    *state = ResultState::Finished;
                }
                if code == 0 {
                    Ok(Reply::Block(None))
                } else {
                    Err(Error::query((code & 0xFFFF) as i32, message))
                }
            }
        };
        self.complete(call, outcome);
    }

    fn on_version(&mut self, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Connection) {
            return self.fail_connect(e);
        }
        if let Some(p) = self.connect.as_mut() {
            p.version = Some(reply.version.unwrap_or_default());
        }
        self.maybe_finish_connect();
    }

    fn on_conn(&mut self, reply: JsonReply) {
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
                self.send_json(req_id, Expect::Json("options_connection"), Waiting::Options, text);
            }
        }
        self.maybe_finish_connect();
    }

    fn on_options(&mut self, reply: JsonReply) {
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
            && !self.pending.contains_key(&VERSION_REQ_ID));
        if done {
            let version = self.connect.as_ref().and_then(|p| p.version.clone()).unwrap_or_default();
            if !supports_binary_queries(&version) {
                return self.fail_connect(Error::not_supported(format!(
                    "server version {version} is too old: taosjs needs taosAdapter 3.3.2.0 or later"
                )));
            }
            let p = self.connect.take().expect("checked above");
            self.server_version = Some(version.clone());
            self.state = State::Connected;
            self.complete(p.call, Ok(Reply::Connected { server_version: version }));
        }
    }

    fn fail_connect(&mut self, error: Error) {
        self.pending.retain(|_, p| !matches!(p.waiting, Waiting::Version | Waiting::Conn | Waiting::Options));
        self.state = State::Closed;
        if let Some(p) = self.connect.take() {
            self.complete(p.call, Err(error));
        }
    }

    fn take_pending(&mut self, req_id: u64, matches: impl Fn(Expect) -> bool) -> Option<Pending> {
        if matches(self.pending.get(&req_id)?.expect) {
            self.pending.remove(&req_id)
        } else {
            None
        }
    }

    fn set_fetching(&mut self, result_id: u64, value: bool) {
        if let Some(ResultState::Open { fetching }) = self.results.get_mut(&result_id) {
            *fetching = value;
        }
    }

    fn check_connected(&self) -> Result<()> {
        match self.state {
            State::Connected => Ok(()),
            State::Idle | State::Connecting => Err(Error::connection("not connected yet")),
            State::Closed => Err(Error::connection("connection is closed")),
        }
    }

    fn send_json(&mut self, req_id: u64, expect: Expect, waiting: Waiting, text: String) {
        self.pending.insert(req_id, Pending { expect, waiting });
        self.transmit.push_back(Frame::Text(text));
    }

    fn new_call(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        id
    }

    /// Next id from the counter, skipping 0 and ids a caller chose that are still in flight.
    fn alloc_req_id(&mut self) -> u64 {
        loop {
            let id = self.next_req_id;
            self.next_req_id = self.next_req_id.wrapping_add(1);
            if id != VERSION_REQ_ID && !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    fn complete(&mut self, call: CallId, outcome: Result<Reply>) {
        self.events.push_back(Event::Completed { call, outcome });
    }
}

/// Binary query (action 6) and `fetch_raw_block` (7) exist from 3.3.2.0 on. Versions compare by
/// their first four numeric parts ("3.3.7.5.alpha" is 3.3.7.5); "3.x" means a current 3.x.
fn supports_binary_queries(version: &str) -> bool {
    if version == "3.x" {
        return true;
    }
    let parts: Vec<u64> = version
        .split(['.', '-'])
        .take(4)
        .map_while(|p| p.parse().ok())
        .collect();
    let mut v = [0u64; 4];
    v[..parts.len()].copy_from_slice(&parts);
    !parts.is_empty() && v >= [3, 3, 2, 0]
}

/// Maps a reply's action to the static name we wait for (unknown actions never match).
fn known_action(action: &str) -> &'static str {
    match action {
        "version" => "version",
        "conn" => "conn",
        "options_connection" => "options_connection",
        "binary_query" => "binary_query",
        "fetch_raw_block" => "fetch_raw_block",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(s: &mut Session) -> Vec<(CallId, Result<Reply>)> {
        std::iter::from_fn(|| s.poll_event()).map(|Event::Completed { call, outcome }| (call, outcome)).collect()
    }

    fn connected() -> Session {
        let mut s = Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..Default::default() });
        s.connect();
        while s.poll_transmit().is_some() {}
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.7.5"}"#.into()));
        assert!(s.is_connected());
        assert_eq!(s.server_version(), Some("3.3.7.5"));
        events(&mut s);
        s
    }

    #[test]
    fn calls_before_connect_or_after_close_fail_with_connection_errors() {
        let mut s = Session::new(SessionOptions::default());
        let q = s.query("select 1", None);
        let f = s.fetch_block(1);
        let ev = events(&mut s);
        assert!(matches!(&ev[0], (c, Err(e)) if *c == q && e.kind == ErrorKind::Connection && e.message.contains("not connected")));
        assert!(matches!(&ev[1], (c, Err(e)) if *c == f && e.kind == ErrorKind::Connection));
        assert!(s.poll_transmit().is_none());
        let mut s = connected();
        s.close();
        s.query("select 1", None);
        assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.message.contains("closed")));
    }

    #[test]
    fn servers_older_than_3_3_2_are_refused() {
        for (v, ok) in [("3.3.7.5.alpha", true), ("3.3.2.0", true), ("3.x", true), ("3.4", true), ("3.3.1.9", false), ("2.6.0.1", false), ("", false), ("abc", false)] {
            assert_eq!(supports_binary_queries(v), ok, "{v}");
        }
        let mut s = Session::new(SessionOptions::default());
        let c = s.connect();
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.0.0"}"#.into()));
        s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.0.0"}"#.into()));
        assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::NotSupported && e.message.contains("3.3.0.0")));
        assert!(s.is_closed());
    }

    #[test]
    fn connect_twice_is_a_programming_error() {
        let mut s = connected();
        let c = s.connect();
        assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::Programming));
        assert!(s.poll_transmit().is_none());
    }

    #[test]
    fn a_second_concurrent_fetch_on_one_result_is_rejected() {
        let mut s = connected();
        s.query("select 1", None);
        let Some(Frame::Binary(q)) = s.poll_transmit() else { panic!() };
        let req = u64::from_le_bytes(q[0..8].try_into().unwrap());
        s.handle_frame(Frame::Text(format!(
            r#"{{"code":0,"message":"","action":"binary_query","req_id":{req},"timing":1,"id":7,"is_update":false,"affected_rows":0,"fields_count":1,"fields_names":["1"],"fields_types":[5],"fields_lengths":[8],"precision":0}}"#
        )));
        events(&mut s);
        s.fetch_block(7);
        let second = s.fetch_block(7);
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == second && e.kind == ErrorKind::Programming));
        assert!(s.poll_transmit().is_some());
        assert!(s.poll_transmit().is_none(), "only one fetch went out");
    }

    #[test]
    fn a_fetch_refused_in_json_fails_and_can_be_retried() {
        let mut s = connected();
        s.results.insert(3, ResultState::Open { fetching: false });
        let f = s.fetch_block(3);
        let Some(Frame::Binary(req)) = s.poll_transmit() else { panic!() };
        let req_id = u64::from_le_bytes(req[0..8].try_into().unwrap());
        s.handle_frame(Frame::Text(format!(
            r#"{{"code":65535,"message":"server not connected","action":"fetch_raw_block","req_id":{req_id},"timing":1}}"#
        )));
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == f && e.errno == Some(65535)));
        s.fetch_block(3);
        assert!(events(&mut s).is_empty(), "not rejected as a concurrent fetch");
    }

    #[test]
    fn unreadable_frames_are_ignored() {
        let mut s = connected();
        let q = s.query("select 1", None);
        s.handle_frame(Frame::Text("{not json".into()));
        s.handle_frame(Frame::Binary(vec![1, 2, 3]));
        s.handle_frame(Frame::Binary(vec![0xff; 30]));
        assert!(events(&mut s).is_empty());
        s.handle_disconnect("gone");
        assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Connection));
    }
}
