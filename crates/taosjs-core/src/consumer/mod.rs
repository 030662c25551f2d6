//! The TMQ consumer of taosAdapter's `/rest/tmq` as a sans-IO state machine, beside the SQL
//! [`crate::Session`] and sharing its call machinery ([`crate::conversation`]): calls, request
//! ids, timers and completions are the same; what differs is the conversation. Its vocabulary
//! (configuration, requests and replies, messages) is [`crate::tmq`].
//!
//! What the consumer owns:
//! - **the poll queue**: one poll at a time goes to the server (the adapter's one-slot queue
//!   drops a second one without an answer); each poll is bounded by its own timeout plus the
//!   request timeout, whatever runs before it;
//! - **messages**: a poll fetches what its message holds (meta JSON, data blocks) before it
//!   completes, because the server keeps only the latest message; the message id of the last
//!   message handed out travels with every poll, so a message whose poll was abandoned (timed
//!   out, aborted) is sent again by the server instead of being lost;
//! - **offsets**: where each message ends in its vgroup, so that committing one message commits
//!   exactly that message; auto-commit (`enable.auto.commit`) commits before a poll once the
//!   interval passed, never while a message the server handed out was not delivered, and never
//!   concurrently with the poll (at-least-once: a commit covers only messages polled before);
//! - **the subscription**: the topics a reconnect would subscribe again.

#[cfg(test)]
mod tests;

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::json;

use crate::conversation::calls::{Calls, Conversation, Lifecycle as State, Waiter, VERSION_REQ_ID};
use crate::conversation::{Bytes, CallId, Event, Frame, Instant, Reply, Timer, DEFAULT_GOODBYE_TIMEOUT};
use crate::error::{Error, ErrorKind, Result};
use crate::tmq::message::{self, DataPayload, TmqReply};
use crate::tmq::{ConsumerOptions, MessageKind, TmqAction, TmqMessage, TopicAssignment, NO_COMMITTED_OFFSET};

/// Does the server hold a consumer for this connection, and is it subscribed?
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Membership {
    /// Never subscribed on this connection.
    None,
    Subscribed,
    /// The server keeps the consumer; a new subscribe reuses it.
    Unsubscribed,
    /// A subscribe or unsubscribe timed out: the next subscribe unsubscribes first, in case.
    Unknown,
}

/// What a request's reply does.
#[derive(Debug, Clone)]
enum Step {
    Version,
    /// The unsubscribe a re-subscribe sends first (its error does not matter).
    UnsubscribeFirst,
    Subscribe,
    Unsubscribe,
    AutoCommit,
    Poll,
    FetchMeta,
    FetchData,
    Commit,
    CommitOffset,
    Seek,
    Assignment(String),
    Committed,
    Position,
    ListTopics,
}

#[derive(Debug)]
struct Pending {
    action: TmqAction,
    call: Option<CallId>,
    step: Step,
}

impl Waiter for Pending {
    fn call(&self) -> Option<CallId> {
        self.call
    }
}

/// What a poll has gathered so far.
#[derive(Debug)]
struct PollJob {
    /// The server may block until then (the poll's own timeout).
    wait_until: Instant,
    /// The poll request is out: the server may hand out a message for it.
    sent: bool,
    header: Option<TmqReply>,
    meta: Option<String>,
}

/// A call's progress (calls that take more than one request keep their state here).
#[derive(Debug)]
enum Job {
    Subscribe { topics: Vec<String>, at: Instant },
    Unsubscribe,
    Poll(PollJob),
    /// `assignment` of several topics; then report it, or seek to an edge.
    Assignment { topics: Vec<String>, found: Vec<TopicAssignment>, left: usize, then: AfterAssignment },
    /// Several independent requests (commit_offset, seek); done when none is left.
    Batch { left: usize },
    /// One request.
    Single,
}

#[derive(Debug)]
enum AfterAssignment {
    Report,
    SeekEdge { to_end: bool, wanted: Option<Vec<(String, i32)>> },
}

/// A TMQ consumer's side of one `/rest/tmq` connection.
#[derive(Debug)]
pub struct Consumer {
    options: ConsumerOptions,
    state: State,
    calls: Calls<Pending>,
    jobs: HashMap<CallId, Job>,
    connect_call: Option<CallId>,
    server_version: Option<String>,
    membership: Membership,
    /// The topics subscribed (what a reconnect subscribes again).
    subscription: Option<Vec<String>>,
    /// Polls waiting for their turn, and the one running.
    polls: VecDeque<CallId>,
    active_poll: Option<CallId>,
    /// Id of the last message handed to a caller.
    last_delivered: u64,
    delivered_before: u64,
    /// Highest message id the server announced: the message it holds now.
    server_held: u64,
    /// The server may hold a message no caller received: the next poll asks for it again, and
    /// auto-commit waits until it is delivered.
    undelivered: bool,
    /// Messages were delivered since the last commit.
    uncommitted: bool,
    next_auto_commit: Option<Instant>,
    /// Why calls fail once the consumer is closed.
    closed_reason: Option<String>,
}

fn tmq(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Tmq, message)
}

/// What a consumer's caller sees of an error: a connection problem on the consumer's socket (it
/// cannot be opened, it drops) is the consumer's, a Tmq error; other kinds stay. Every driver
/// maps what it reports with it.
pub fn consumer_error(e: Error) -> Error {
    match e.kind {
        ErrorKind::Connection => Error { kind: ErrorKind::Tmq, ..e },
        _ => e,
    }
}

fn not_subscribed() -> Error {
    tmq("the consumer is not subscribed to any topic: call subscribe() first")
}

impl Consumer {
    pub fn new(options: ConsumerOptions) -> Consumer {
        Consumer {
            calls: Calls::new(options.keepalive),
            options,
            state: State::Idle,
            jobs: HashMap::new(),
            connect_call: None,
            server_version: None,
            membership: Membership::None,
            subscription: None,
            polls: VecDeque::new(),
            active_poll: None,
            last_delivered: 0,
            delivered_before: 0,
            server_held: 0,
            undelivered: false,
            uncommitted: false,
            next_auto_commit: None,
            closed_reason: None,
        }
    }

    pub fn server_version(&self) -> Option<&str> {
        self.server_version.as_deref()
    }

    /// What keepalive sends on an idle connection: a WebSocket ping, or taosAdapter's `version`
    /// request for a driver that cannot ping (a browser's `WebSocket`; `/rest/tmq` answers it
    /// at any time, and the answer matches no call).
    pub fn set_keepalive_probe(&mut self, probe: crate::conversation::KeepaliveProbe) {
        self.calls.set_keepalive_probe(probe);
    }

    /// The topics subscribed now (`None` before `subscribe` and after `unsubscribe`).
    pub fn subscription(&self) -> Option<&[String]> {
        self.subscription.as_deref()
    }

    // ----- calls --------------------------------------------------------------------------------

    /// Queues `version`; completes with [`Reply::Connected`] within the connect timeout. (The
    /// credentials travel with `subscribe`: the adapter checks them there.)
    pub fn connect(&mut self, now: Instant) -> CallId {
        let call = self.calls.new_call();
        if self.state != State::Idle {
            self.finish(call, Err(Error::programming("connect was already called on this consumer")));
            return call;
        }
        self.state = State::Connecting;
        self.connect_call = Some(call);
        self.calls.timers.set(Timer::Connect, now + self.options.connect_timeout);
        self.calls.start_keepalive(now);
        let pending = Pending { action: TmqAction::Version, call: None, step: Step::Version };
        self.calls.send(VERSION_REQ_ID, pending, Frame::Text(crate::message::version_request()));
        call
    }

    /// Subscribes to `topics`, replacing a current subscription. Completes with
    /// [`Reply::Done`]; unknown topics fail with TDengine's code (993 `Topic not exist`).
    pub fn subscribe(&mut self, topics: Vec<String>, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, false) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if topics.is_empty() || topics.iter().any(|t| t.trim().is_empty()) {
            self.finish(call, Err(tmq("subscribe needs at least one topic name, and no empty names")));
            return call;
        }
        if self.membership_busy() {
            self.finish(call, Err(tmq("a subscribe or unsubscribe is already in progress")));
            return call;
        }
        self.jobs.insert(call, Job::Subscribe { topics: topics.clone(), at: now });
        if matches!(self.membership, Membership::Subscribed | Membership::Unknown) {
            self.request(call, TmqAction::Unsubscribe, Step::UnsubscribeFirst, json!({}));
        } else {
            self.send_subscribe(call, &topics);
        }
        call
    }

    /// Leaves the subscription (the server keeps the consumer; a later `subscribe` reuses it).
    pub fn unsubscribe(&mut self, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, false) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if self.membership_busy() {
            self.finish(call, Err(tmq("a subscribe or unsubscribe is already in progress")));
            return call;
        }
        if matches!(self.membership, Membership::None | Membership::Unsubscribed) {
            self.subscription = None;
            self.finish(call, Ok(Reply::Done));
            return call;
        }
        self.jobs.insert(call, Job::Unsubscribe);
        self.request(call, TmqAction::Unsubscribe, Step::Unsubscribe, json!({}));
        call
    }

    /// Polls for the next message, waiting up to `timeout` for one; completes with
    /// [`Reply::TmqMessage`] (`None`: nothing arrived in time) or, when the server does not
    /// answer, with a Tmq error within `timeout` plus the request timeout.
    pub fn poll(&mut self, timeout: Duration, now: Instant) -> CallId {
        let call = match self.begin(now, timeout.saturating_add(self.options.request_timeout), false) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if self.subscription.is_none() && !self.subscribe_in_flight() {
            self.finish(call, Err(not_subscribed()));
            return call;
        }
        let job = PollJob { wait_until: now + timeout, sent: false, header: None, meta: None };
        self.jobs.insert(call, Job::Poll(job));
        self.polls.push_back(call);
        self.next_poll(now);
        call
    }

    /// Commits everything polled so far (the server's positions of every vgroup).
    pub fn commit(&mut self, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        self.jobs.insert(call, Job::Single);
        let id = self.last_delivered;
        self.request(call, TmqAction::Commit, Step::Commit, json!({"message_id": id}));
        call
    }

    /// Commits one message: its vgroup's offset becomes where the message ends.
    pub fn commit_message(&mut self, message: &TmqMessage, now: Instant) -> CallId {
        match message.end_offset {
            Some(end) => self.commit_offsets(vec![(message.topic.clone(), message.vgroup_id, end)], now),
            // Snapshot offsets: only the server knows where the message ended, and a commit of
            // everything commits exactly it while it is the last one delivered.
            None if message.id == self.last_delivered && !self.undelivered => self.commit(now),
            None => {
                let call = self.calls.new_call();
                self.finish(
                    call,
                    Err(tmq(format!(
                        "message {} has no WAL offset (snapshot consumption) and later messages were polled: \
                         commit() commits everything polled so far",
                        message.id
                    ))),
                );
                call
            }
        }
    }

    /// Commits `(topic, vgroup, offset)` triples.
    pub fn commit_offsets(&mut self, offsets: Vec<(String, i32, i64)>, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if offsets.is_empty() {
            self.finish(call, Ok(Reply::Done));
            return call;
        }
        self.jobs.insert(call, Job::Batch { left: offsets.len() });
        for (topic, vgroup_id, offset) in offsets {
            let args = json!({"topic": topic, "vgroup_id": vgroup_id, "offset": offset});
            self.request(call, TmqAction::CommitOffset, Step::CommitOffset, args);
        }
        call
    }

    /// Moves the consumer in one vgroup of a topic: the next poll reads from `offset`.
    pub fn seek(&mut self, topic: &str, vgroup_id: i32, offset: i64, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        self.jobs.insert(call, Job::Batch { left: 1 });
        self.send_seek(call, topic, vgroup_id, offset);
        call
    }

    /// Seeks the given partitions (every assigned one when `None`) to the beginning or the end
    /// of their vgroup's WAL, as `assignment` reports them.
    pub fn seek_to_edge(&mut self, partitions: Option<Vec<(String, i32)>>, to_end: bool, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        let topics = match &partitions {
            Some(p) => {
                let mut t: Vec<String> = Vec::new();
                for (topic, _) in p {
                    if !t.contains(topic) {
                        t.push(topic.clone());
                    }
                }
                t
            }
            None => self.subscription.clone().unwrap_or_default(),
        };
        self.send_assignments(call, topics, AfterAssignment::SeekEdge { to_end, wanted: partitions });
        call
    }

    /// The vgroups assigned to the consumer, for one topic or every subscribed topic.
    pub fn assignment(&mut self, topic: Option<String>, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        let topics = match topic {
            Some(t) => vec![t],
            None => self.subscription.clone().unwrap_or_default(),
        };
        self.send_assignments(call, topics, AfterAssignment::Report);
        call
    }

    /// The committed offset of each `(topic, vgroup)`; completes with [`Reply::TmqOffsets`]
    /// (`None`: the group committed nothing there).
    pub fn committed(&mut self, partitions: Vec<(String, i32)>, now: Instant) -> CallId {
        self.offsets_of(TmqAction::Committed, Step::Committed, partitions, now)
    }

    /// Where the consumer stands in each `(topic, vgroup)`: the offset of the next message.
    pub fn position(&mut self, partitions: Vec<(String, i32)>, now: Instant) -> CallId {
        self.offsets_of(TmqAction::Position, Step::Position, partitions, now)
    }

    /// The topics subscribed, as the server knows them.
    pub fn list_topics(&mut self, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, false) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if self.membership != Membership::Subscribed {
            let topics = self.subscription.clone().unwrap_or_default();
            self.finish(call, Ok(Reply::TmqTopics(topics)));
            return call;
        }
        self.jobs.insert(call, Job::Single);
        self.request(call, TmqAction::ListTopics, Step::ListTopics, json!({}));
        call
    }

    /// Closes the consumer: calls still waiting fail, the socket is closed (which closes the
    /// consumer on the server) and the peer gets a bounded time to acknowledge. Nothing is
    /// committed: what was polled but not committed is delivered again to the group.
    pub fn close(&mut self, now: Instant) {
        match self.state {
            State::Closing | State::Closed => return,
            State::Idle => {
                self.state = State::Closed;
                return;
            }
            // The consumer never reconnects by itself (its driver makes a new one).
            State::Connecting | State::Reconnecting => {
                self.fail_connect(tmq("the consumer was closed while connecting"));
                self.state = State::Closed;
                return;
            }
            State::Connected => {}
        }
        self.state = State::Closing;
        self.fail_all(tmq("the consumer is closed"));
        self.calls.push_frame(Frame::Close);
        self.calls.timers.set(Timer::Goodbye, now + DEFAULT_GOODBYE_TIMEOUT);
    }

    /// The caller of `call` went away. A poll's message is not lost: the next poll asks the
    /// server for it again.
    pub fn cancel(&mut self, call: CallId) {
        // A queued poll has no request in flight yet: drop it now.
        if let Some(i) = self.polls.iter().position(|&c| c == call) {
            self.polls.remove(i);
            self.jobs.remove(&call);
            self.calls.forget(call);
            return;
        }
        // Otherwise its replies are still awaited (a poll's message must not be lost); what
        // it completes with is handed to `discard`.
        if self.calls.request_of(call).is_some() {
            self.calls.give_up(call, None);
        }
    }

    /// A completion nobody read.
    pub fn discard(&mut self, outcome: Result<Reply>) {
        if let Ok(Reply::TmqMessage(Some(m))) = outcome {
            if m.id == self.last_delivered {
                self.last_delivered = self.delivered_before;
                self.undelivered = true;
            }
        }
    }

    // ----- frames and time ----------------------------------------------------------------------

    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.calls.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.calls.poll_event()
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls.timers.next()
    }

    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closing | State::Closed)
    }

    pub fn is_finished(&self) -> bool {
        self.state == State::Closed
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some(timer) = self.calls.timers.pop_expired(now) {
            match timer {
                Timer::Connect => {
                    if self.state == State::Connecting {
                        let t = self.options.connect_timeout;
                        self.fail_connect(tmq(format!("the server did not answer within {t:?} of connecting")));
                    }
                }
                Timer::Goodbye => self.handle_disconnect("the server did not acknowledge the close in time", now),
                Timer::Call(call) => self.expire(call, now),
                Timer::Keepalive => {
                    if let Some(reason) = self.calls.keepalive_tick(now, self.state) {
                        self.handle_disconnect(&reason, now);
                    }
                }
                Timer::Backoff => {}
            }
        }
    }

    /// The socket is gone: every call waiting, and every queued poll, fails with a Tmq error.
    pub fn handle_disconnect(&mut self, reason: &str, _now: Instant) {
        let was_connecting = self.state == State::Connecting;
        self.state = State::Closed;
        let err = tmq(format!("connection to the server lost: {reason}"));
        if was_connecting {
            self.fail_connect(err.clone());
        }
        self.fail_all(err);
        self.calls.reset();
    }

    pub fn handle_frame(&mut self, frame: Frame, now: Instant) {
        self.calls.heard();
        match frame {
            Frame::Text(text) => self.handle_text(&text, now),
            Frame::Binary(bytes) => self.handle_binary(&bytes, now),
            Frame::Close => self.handle_disconnect("the server closed the connection", now),
            Frame::Ping(_) | Frame::Pong(_) => {}
        }
    }

    /// The server sent something that is not taosAdapter's protocol: as for the SQL session,
    /// nothing it says can be trusted any more, so every call fails and the socket is dropped.
    fn protocol_violation(&mut self, what: String, now: Instant) {
        self.handle_disconnect(&format!("protocol violation: the server sent {what}"), now);
    }

    fn handle_text(&mut self, text: &str, now: Instant) {
        let reply = match TmqReply::parse(text) {
            Ok(r) if !r.action.is_empty() => r,
            Ok(_) => {
                let what = format!("a JSON reply without an action: {}", crate::message::preview(text));
                return self.protocol_violation(what, now);
            }
            Err(e) => return self.fail_unreadable(text, e, now),
        };
        let Some(action) = TmqAction::from_name(&reply.action) else { return };
        let Some(p) = self.calls.take(reply.req_id, |p| p.action == action) else { return };
        self.on_reply(p, Ok(reply), now);
    }

    fn handle_binary(&mut self, bytes: &Bytes, now: Instant) {
        let Some((action, req_id)) = crate::message::binary_reply_key(bytes) else {
            let what = format!(
                "a binary frame of {} bytes that is no reply ({})",
                bytes.len(),
                crate::message::hex_preview(bytes)
            );
            return self.protocol_violation(what, now);
        };
        if action != message::ACTION_FETCH_RAW_DATA {
            return;
        }
        let Some(p) = self.calls.take(req_id, |p| p.action == TmqAction::FetchRawData) else { return };
        let Some(call) = p.call else { return };
        let outcome = message::parse_raw_data_reply(bytes).and_then(|r| {
            if r.code != 0 {
                return Err(Error::with_code(ErrorKind::Tmq, (r.code & 0xFFFF) as i32, r.message));
            }
            message::parse_data_payload(&r.raw)
        });
        self.on_data(call, outcome, now);
    }

    /// A reply whose fields have unexpected types fails the call it answers instead of leaving
    /// it waiting; a frame that is no JSON reply at all is a protocol violation.
    fn fail_unreadable(&mut self, text: &str, error: Error, now: Instant) {
        let Ok(v) = serde_json::from_str::<serde_json::Value>(text) else {
            return self.protocol_violation(error.message, now);
        };
        let (Some(req_id), Some(action)) = (v["req_id"].as_u64(), v["action"].as_str()) else {
            let what = format!("a JSON reply without action and req_id: {}", crate::message::preview(text));
            return self.protocol_violation(what, now);
        };
        let Some(action) = TmqAction::from_name(action) else { return };
        if let Some(p) = self.calls.take(req_id, |p| p.action == action) {
            self.on_reply(p, Err(error), now);
        }
    }

    // ----- replies ------------------------------------------------------------------------------

    fn on_reply(&mut self, p: Pending, reply: Result<TmqReply>, now: Instant) {
        let checked = reply.and_then(|r| r.check().map(|()| r));
        let call = match (&p.step, p.call) {
            (Step::Version, _) => return self.on_version(checked),
            (_, Some(call)) => call,
            (_, None) => return,
        };
        if !self.jobs.contains_key(&call) {
            return; // the call already failed (another of its requests, its deadline)
        }
        match p.step {
            Step::Version => {}
            Step::UnsubscribeFirst => {
                if checked.is_ok() {
                    self.membership = Membership::Unsubscribed;
                }
                let topics = match self.jobs.get(&call) {
                    Some(Job::Subscribe { topics, .. }) => topics.clone(),
                    _ => return,
                };
                self.send_subscribe(call, &topics);
            }
            Step::Subscribe => match checked {
                Ok(_) => {
                    let Some(Job::Subscribe { topics, at }) = self.jobs.remove(&call) else { return };
                    self.membership = Membership::Subscribed;
                    self.subscription = Some(topics);
                    self.undelivered = false;
                    self.next_auto_commit = Some(at + self.options.auto_commit_interval);
                    self.finish(call, Ok(Reply::Done));
                    self.next_poll(now);
                }
                Err(e) => {
                    self.fail(call, e);
                    self.next_poll(now);
                }
            },
            Step::Unsubscribe => match checked {
                Ok(_) => {
                    self.jobs.remove(&call);
                    self.membership = Membership::Unsubscribed;
                    self.subscription = None;
                    self.undelivered = false;
                    self.finish(call, Ok(Reply::Done));
                    self.next_poll(now);
                }
                Err(e) => {
                    self.fail(call, e);
                    self.next_poll(now);
                }
            },
            Step::AutoCommit => {
                // A failed auto-commit is retried at the next interval; the poll goes on.
                if checked.is_ok() {
                    self.uncommitted = false;
                }
                self.send_poll(call, now);
            }
            Step::Poll => match checked {
                Ok(r) => self.on_poll(call, r, now),
                Err(e) => self.fail_poll(call, e, now),
            },
            Step::FetchMeta => match checked {
                Ok(r) => {
                    let meta = r.data.map(|d| d.get().to_owned()).filter(|m| m != "null");
                    let needs_data = match self.jobs.get_mut(&call) {
                        Some(Job::Poll(job)) => {
                            job.meta = meta;
                            job.header.as_ref().is_some_and(|h| h.message_type == 3)
                        }
                        _ => return,
                    };
                    if needs_data {
                        self.send_fetch_data(call);
                    } else {
                        self.deliver(call, DataPayload::default(), now);
                    }
                }
                Err(e) => self.fail_poll(call, e, now),
            },
            Step::FetchData => match checked {
                // A JSON answer to fetch_raw_data is always a refusal.
                Ok(_) => self.fail_poll(call, tmq("the server answered fetch_raw_data without data"), now),
                Err(e) => self.fail_poll(call, e, now),
            },
            Step::Commit => match checked {
                Ok(_) => {
                    self.uncommitted = false;
                    self.jobs.remove(&call);
                    self.finish(call, Ok(Reply::Done));
                }
                Err(e) => self.fail(call, e),
            },
            Step::CommitOffset | Step::Seek => match checked {
                Ok(_) => {
                    if matches!(p.step, Step::Seek) {
                        // The server's held message belongs to the old position.
                        self.undelivered = false;
                    }
                    self.batch_done(call);
                }
                Err(e) => self.fail(call, e),
            },
            Step::Assignment(topic) => match checked {
                Ok(r) => self.on_assignment(call, topic, r.assignment.unwrap_or_default()),
                Err(e) => self.fail(call, e),
            },
            Step::Committed | Step::Position => match checked {
                Ok(r) => {
                    let values = if matches!(p.step, Step::Committed) { r.committed } else { r.position };
                    let values =
                        values.unwrap_or_default().into_iter().map(|v| (v != NO_COMMITTED_OFFSET).then_some(v)).collect();
                    self.jobs.remove(&call);
                    self.finish(call, Ok(Reply::TmqOffsets(values)));
                }
                Err(e) => self.fail(call, e),
            },
            Step::ListTopics => match checked {
                Ok(r) => {
                    self.jobs.remove(&call);
                    self.finish(call, Ok(Reply::TmqTopics(r.topics.unwrap_or_default())));
                }
                Err(e) => self.fail(call, e),
            },
        }
    }

    fn on_version(&mut self, reply: Result<TmqReply>) {
        let Some(call) = self.connect_call else { return };
        match reply {
            Err(e) => self.fail_connect(e),
            Ok(r) => {
                let version = r.version.unwrap_or_default();
                if !crate::message::supports_binary_queries(&version) {
                    return self.fail_connect(Error::not_supported(format!(
                        "server version {version} is too old: the taosjs consumer needs taosAdapter 3.3.2.0 or later"
                    )));
                }
                self.connect_call = None;
                self.calls.timers.stop(Timer::Connect);
                self.state = State::Connected;
                self.server_version = Some(version.clone());
                self.finish(call, Ok(Reply::Connected { server_version: version }));
            }
        }
    }

    fn on_poll(&mut self, call: CallId, r: TmqReply, now: Instant) {
        if !r.have_message {
            // Nothing newer is held on the server either.
            self.undelivered = false;
            self.jobs.remove(&call);
            self.active_poll = None;
            self.finish(call, Ok(Reply::TmqMessage(None)));
            return self.next_poll(now);
        }
        self.server_held = self.server_held.max(r.message_id);
        let Some(kind) = MessageKind::from_type(r.message_type) else {
            let t = r.message_type;
            return self.fail_poll(call, tmq(format!("the server sent a message of unknown type {t}")), now);
        };
        let message_id = r.message_id;
        if let Some(Job::Poll(job)) = self.jobs.get_mut(&call) {
            job.header = Some(r);
        }
        match kind {
            MessageKind::Meta | MessageKind::DataMeta => {
                self.request(call, TmqAction::FetchJsonMeta, Step::FetchMeta, json!({"message_id": message_id}))
            }
            MessageKind::Data => self.send_fetch_data(call),
            MessageKind::Raw => self.deliver(call, DataPayload::default(), now),
        }
    }

    fn on_data(&mut self, call: CallId, data: Result<DataPayload>, now: Instant) {
        if !matches!(self.jobs.get(&call), Some(Job::Poll(_))) {
            return;
        }
        match data {
            Ok(data) => self.deliver(call, data, now),
            Err(e) => self.fail_poll(call, e, now),
        }
    }

    /// A poll gathered its message: hand it out and start the next poll.
    fn deliver(&mut self, call: CallId, data: DataPayload, now: Instant) {
        let Some(Job::Poll(job)) = self.jobs.remove(&call) else { return };
        self.active_poll = None;
        let Some(h) = job.header else { return };
        let kind = MessageKind::from_type(h.message_type).unwrap_or(MessageKind::Data);
        let end_offset = match kind {
            // A meta message's reported offset is where it ends (rspOffset).
            MessageKind::Meta => Some(h.offset),
            _ => data.end_offset,
        };
        let message = TmqMessage {
            id: h.message_id,
            topic: h.topic,
            database: h.database,
            vgroup_id: h.vgroup_id,
            kind,
            offset: h.offset,
            end_offset,
            meta: job.meta,
            blocks: data.blocks,
        };
        let id = message.id;
        match self.calls.complete(call, Ok(Reply::TmqMessage(Some(Box::new(message))))) {
            None => {
                self.delivered_before = self.last_delivered;
                self.last_delivered = id;
                self.undelivered = false;
                self.uncommitted = true;
            }
            // The caller went away: the server still holds the message, the next poll asks again.
            Some(_) => self.undelivered = true,
        }
        self.next_poll(now);
    }

    fn on_assignment(&mut self, call: CallId, topic: String, entries: Vec<message::RawAssignment>) {
        let done = match self.jobs.get_mut(&call) {
            Some(Job::Assignment { found, left, .. }) => {
                found.extend(entries.into_iter().map(|a| TopicAssignment {
                    topic: topic.clone(),
                    vgroup_id: a.vgroup_id,
                    offset: a.offset,
                    begin: a.begin,
                    end: a.end,
                }));
                *left -= 1;
                *left == 0
            }
            _ => return,
        };
        if !done {
            return;
        }
        let Some(Job::Assignment { topics, mut found, then, .. }) = self.jobs.remove(&call) else { return };
        found.sort_by_key(|a| (topics.iter().position(|t| *t == a.topic), a.vgroup_id));
        match then {
            AfterAssignment::Report => self.finish(call, Ok(Reply::TmqAssignment(found))),
            AfterAssignment::SeekEdge { to_end, wanted } => {
                let mut seeks = Vec::new();
                match wanted {
                    None => seeks.extend(found.iter().map(|a| (a.topic.clone(), a.vgroup_id, if to_end { a.end } else { a.begin }))),
                    Some(wanted) => {
                        for (t, v) in wanted {
                            match found.iter().find(|a| a.topic == t && a.vgroup_id == v) {
                                Some(a) => seeks.push((t, v, if to_end { a.end } else { a.begin })),
                                None => {
                                    return self.finish(
                                        call,
                                        Err(Error::with_code(
                                            ErrorKind::Tmq,
                                            0x4008,
                                            format!("vgroup {v} of topic `{t}` is not assigned to this consumer"),
                                        )),
                                    )
                                }
                            }
                        }
                    }
                }
                if seeks.is_empty() {
                    return self.finish(call, Ok(Reply::Done));
                }
                self.jobs.insert(call, Job::Batch { left: seeks.len() });
                for (t, v, offset) in seeks {
                    self.send_seek(call, &t, v, offset);
                }
            }
        }
    }

    fn batch_done(&mut self, call: CallId) {
        let done = match self.jobs.get_mut(&call) {
            Some(Job::Batch { left }) => {
                *left -= 1;
                *left == 0
            }
            _ => false,
        };
        if done {
            self.jobs.remove(&call);
            self.finish(call, Ok(Reply::Done));
        }
    }

    // ----- polls --------------------------------------------------------------------------------

    /// Starts the next queued poll when none runs and no subscribe/unsubscribe is in flight.
    fn next_poll(&mut self, now: Instant) {
        if self.active_poll.is_some() || self.state != State::Connected || self.membership_busy() {
            return;
        }
        let Some(call) = self.polls.pop_front() else { return };
        if self.subscription.is_none() {
            self.jobs.remove(&call);
            self.finish(call, Err(not_subscribed()));
            return self.next_poll(now);
        }
        self.active_poll = Some(call);
        let due = self.next_auto_commit.is_some_and(|at| now >= at);
        if self.options.auto_commit && due && self.uncommitted && !self.undelivered {
            self.next_auto_commit = Some(now + self.options.auto_commit_interval);
            let id = self.last_delivered;
            self.request(call, TmqAction::Commit, Step::AutoCommit, json!({"message_id": id}));
        } else {
            self.send_poll(call, now);
        }
    }

    fn send_poll(&mut self, call: CallId, now: Instant) {
        let Some(Job::Poll(job)) = self.jobs.get_mut(&call) else { return };
        job.sent = true;
        let blocking = job.wait_until.saturating_duration_since(now);
        let blocking_ms = u64::try_from(blocking.as_millis()).unwrap_or(u64::MAX);
        // The id of the message the server should be holding: a different one makes it send the
        // message it holds again instead of polling (an undelivered message is not lost).
        let id = if self.undelivered { self.last_delivered } else { self.server_held };
        let req_id = self.calls.alloc_req_id();
        let text = message::poll_request(req_id, blocking_ms, id);
        self.calls.send(req_id, Pending { action: TmqAction::Poll, call: Some(call), step: Step::Poll }, Frame::Text(text));
    }

    fn send_fetch_data(&mut self, call: CallId) {
        let Some(Job::Poll(PollJob { header: Some(h), .. })) = self.jobs.get(&call) else { return };
        let id = h.message_id;
        self.request(call, TmqAction::FetchRawData, Step::FetchData, json!({"message_id": id}));
    }

    fn fail_poll(&mut self, call: CallId, error: Error, now: Instant) {
        if let Some(Job::Poll(job)) = self.jobs.get(&call) {
            if job.header.is_some() {
                self.undelivered = true;
            }
        }
        if self.active_poll == Some(call) {
            self.active_poll = None;
        }
        self.fail(call, error);
        self.next_poll(now);
    }

    // ----- deadlines ----------------------------------------------------------------------------

    /// `call` ran out of time: whatever it still waits for is dropped and it fails.
    fn expire(&mut self, call: CallId, now: Instant) {
        let Some(limit) = self.calls.timed_out(call) else { return };
        self.calls.take_call(call);
        let Some(job) = self.jobs.remove(&call) else { return };
        let what = match &job {
            Job::Poll(p) => {
                if p.sent {
                    // The server may hand out a message for it after all: ask for it again.
                    self.undelivered = true;
                }
                self.polls.retain(|&c| c != call);
                if self.active_poll == Some(call) {
                    self.active_poll = None;
                }
                "poll"
            }
            Job::Subscribe { .. } | Job::Unsubscribe => {
                self.membership = Membership::Unknown;
                if matches!(job, Job::Subscribe { .. }) {
                    "subscribe"
                } else {
                    "unsubscribe"
                }
            }
            _ => "the request",
        };
        let ms = limit.as_millis();
        self.finish(call, Err(tmq(format!("{what} timed out: the server did not answer within {ms} ms"))));
        self.next_poll(now);
    }

    /// The caller's own bound for `call` (just started), replacing the request timeout: a poll
    /// may take its blocking time plus `timeout`, any other call `timeout`. `None` keeps the
    /// consumer's `request.timeout.ms`.
    pub fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Option<Duration>) {
        let Some(timeout) = timeout else { return };
        let blocking = match self.jobs.get(&call) {
            Some(Job::Poll(p)) => p.wait_until.saturating_duration_since(now),
            _ => Duration::ZERO,
        };
        self.calls.set_deadline(call, now, blocking.saturating_add(timeout));
    }

    // ----- helpers ------------------------------------------------------------------------------

    /// A new call with its deadline (`Ok`), or a call already failed because the consumer is
    /// not connected or, when `subscribed` is asked, not subscribed (`Err`).
    fn begin(&mut self, now: Instant, limit: Duration, subscribed: bool) -> std::result::Result<CallId, CallId> {
        let call = self.calls.new_call();
        let ready = match self.state {
            State::Connected if subscribed && self.membership != Membership::Subscribed => Err(not_subscribed()),
            State::Connected => Ok(()),
            State::Idle | State::Connecting | State::Reconnecting => Err(tmq("the consumer is not connected yet")),
            State::Closing | State::Closed => Err(tmq(match &self.closed_reason {
                Some(reason) => format!("the consumer is closed ({reason})"),
                None => "the consumer is closed".to_owned(),
            })),
        };
        match ready {
            Ok(()) => {
                self.calls.set_deadline(call, now, limit);
                Ok(call)
            }
            Err(e) => {
                self.finish(call, Err(e));
                Err(call)
            }
        }
    }

    fn membership_busy(&self) -> bool {
        self.jobs.values().any(|j| matches!(j, Job::Subscribe { .. } | Job::Unsubscribe))
    }

    fn subscribe_in_flight(&self) -> bool {
        self.jobs.values().any(|j| matches!(j, Job::Subscribe { .. }))
    }

    fn request(&mut self, call: CallId, action: TmqAction, step: Step, args: serde_json::Value) {
        let req_id = self.calls.alloc_req_id();
        let text = message::request(action, req_id, args);
        self.calls.send(req_id, Pending { action, call: Some(call), step }, Frame::Text(text));
    }

    fn send_subscribe(&mut self, call: CallId, topics: &[String]) {
        let req_id = self.calls.alloc_req_id();
        let text = message::subscribe_request(req_id, &self.options, topics);
        let pending = Pending { action: TmqAction::Subscribe, call: Some(call), step: Step::Subscribe };
        self.calls.send(req_id, pending, Frame::Text(text));
    }

    fn send_seek(&mut self, call: CallId, topic: &str, vgroup_id: i32, offset: i64) {
        let args = json!({"topic": topic, "vgroup_id": vgroup_id, "offset": offset});
        self.request(call, TmqAction::Seek, Step::Seek, args);
    }

    fn send_assignments(&mut self, call: CallId, topics: Vec<String>, then: AfterAssignment) {
        if topics.is_empty() {
            self.finish(call, Ok(Reply::TmqAssignment(Vec::new())));
            return;
        }
        let job = Job::Assignment { topics: topics.clone(), found: Vec::new(), left: topics.len(), then };
        self.jobs.insert(call, job);
        for topic in topics {
            let args = json!({"topic": topic});
            self.request(call, TmqAction::Assignment, Step::Assignment(topic), args);
        }
    }

    fn offsets_of(&mut self, action: TmqAction, step: Step, partitions: Vec<(String, i32)>, now: Instant) -> CallId {
        let call = match self.begin(now, self.options.request_timeout, true) {
            Ok(c) => c,
            Err(c) => return c,
        };
        if partitions.is_empty() {
            self.finish(call, Ok(Reply::TmqOffsets(Vec::new())));
            return call;
        }
        self.jobs.insert(call, Job::Single);
        self.request(call, action, step, message::topic_vgroups(&partitions));
        call
    }

    /// Fails `call` (its other requests' replies are ignored from now on).
    fn fail(&mut self, call: CallId, error: Error) {
        self.jobs.remove(&call);
        self.calls.take_call(call);
        self.finish(call, Err(error));
    }

    fn finish(&mut self, call: CallId, outcome: Result<Reply>) {
        if let Some(abandoned) = self.calls.complete(call, outcome) {
            self.discard(abandoned);
        }
    }

    fn fail_connect(&mut self, error: Error) {
        self.calls.retain(|p| !matches!(p.step, Step::Version));
        self.calls.timers.stop(Timer::Connect);
        self.calls.timers.stop(Timer::Keepalive);
        self.state = State::Closed;
        self.closed_reason = Some(error.message.clone());
        if let Some(call) = self.connect_call.take() {
            self.finish(call, Err(error));
        }
    }

    /// Fails every call waiting for the server and every queued poll.
    fn fail_all(&mut self, error: Error) {
        self.closed_reason.get_or_insert_with(|| error.message.clone());
        let mut calls: Vec<CallId> = self.jobs.keys().copied().collect();
        calls.sort_unstable();
        self.jobs.clear();
        self.polls.clear();
        self.active_poll = None;
        self.calls.take_all();
        for call in calls {
            self.finish(call, Err(error.clone()));
        }
    }
}

impl Conversation for Consumer {
    fn connect(&mut self, now: Instant) -> CallId {
        Consumer::connect(self, now)
    }
    fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Option<Duration>) {
        Consumer::set_deadline(self, call, now, timeout)
    }
    fn close(&mut self, now: Instant) {
        Consumer::close(self, now)
    }
    fn cancel(&mut self, call: CallId) {
        Consumer::cancel(self, call)
    }
    fn discard(&mut self, outcome: Result<Reply>) {
        Consumer::discard(self, outcome)
    }
    fn poll_transmit(&mut self) -> Option<Frame> {
        Consumer::poll_transmit(self)
    }
    fn handle_frame(&mut self, frame: Frame, now: Instant) {
        Consumer::handle_frame(self, frame, now)
    }
    fn poll_timeout(&self) -> Option<Instant> {
        Consumer::poll_timeout(self)
    }
    fn handle_timeout(&mut self, now: Instant) {
        Consumer::handle_timeout(self, now)
    }
    fn handle_disconnect(&mut self, reason: &str, now: Instant) {
        Consumer::handle_disconnect(self, reason, now)
    }
    fn poll_event(&mut self) -> Option<Event> {
        Consumer::poll_event(self)
    }
    fn is_closed(&self) -> bool {
        Consumer::is_closed(self)
    }
    fn is_finished(&self) -> bool {
        Consumer::is_finished(self)
    }
}
