//! Reconnect and failover: what the session decides when its socket is lost, while the driver
//! only opens and drops sockets when told ([`SocketCommand`]).
//!
//! On a lost connection (socket error, server close, keepalive silence, protocol violation) a
//! session with `retries > 0` keeps its calls and tries again: attempt 1 at once, attempt n
//! after `min(retry_backoff · 2^(n-2), retry_backoff_max)`; each attempt tries the endpoints in
//! order, each socket and login bounded by `connect_timeout`. Logged in again (with the database
//! the connection last `use`d and its timezone), it sends again what is safe to repeat:
//!
//! - calls never sent (made while reconnecting, or queued behind the lost socket);
//! - queries not answered yet that only read, and writes a second run leaves unchanged
//!   ([`crate::sql::replay_safety`]: inserts whose rows all carry explicit timestamps, which
//!   TDengine overwrites in place; `CREATE … IF NOT EXISTS`; `DROP … IF EXISTS`); schemaless
//!   writes whose lines all carry timestamps;
//! - results nothing was fetched from yet: their query runs again, unseen by the caller.
//!
//! Everything else that was in flight fails with a ConnectionError that says whether it may
//! have been applied; results partly read and statements are lost (their next use says so).
//! Result and statement ids carry the connection's generation ([`crate::message::wire_id`]), so
//! a handle from before the reconnect never reaches what the new server numbered the same.
//! A login the server refuses for good (authentication, missing database, too old a server)
//! ends the retries at once.

use std::sync::Arc;
use std::time::Duration;

use super::query::ResultState;
use super::{Event, Frame, Instant, Pending, Session, SocketCommand, State, Timer, Waiting};

use crate::error::{Error, ErrorKind};
use crate::message::{self, WIRE_ID_BITS};

/// Whether a request may be sent again on a new socket.
#[derive(Debug)]
pub(super) enum Replay {
    /// Sent; a second run could apply it twice. The text says why (for the error).
    No(&'static str),
    /// Safe to send again as it is.
    Safe(Frame),
    /// Queued while reconnecting and not sent yet; once sent it becomes `Safe`, or `No` with
    /// this reason.
    Held(Frame, Option<&'static str>),
    /// Sent; decided only if the connection is lost, from what the pending call keeps (a
    /// schemaless write keeps its request: checking every line and holding a second copy of a
    /// batch's frame on each send would cost more than the rare reconnect that needs them).
    OnLoss,
}

/// An attempt in progress.
#[derive(Debug)]
pub(super) struct Progress {
    pub attempt: u32,
    pub endpoint: usize,
}

/// Login refusals that another attempt cannot change: unknown user, wrong password,
/// missing database (TDengine's codes 0x0350..0x0357 and 0x0388).
fn refused_for_good(e: &Error) -> bool {
    e.kind == ErrorKind::NotSupported || e.errno.is_some_and(|c| (0x0350..=0x0357).contains(&c) || c == 0x0388)
}

impl Session {
    /// The next thing the driver must do with its socket.
    pub fn poll_socket(&mut self) -> Option<SocketCommand> {
        self.socket.pop_front()
    }

    /// The socket asked for with [`SocketCommand::Open`] is open: the session logs in on it.
    pub fn handle_socket_opened(&mut self, now: Instant) {
        self.clock = now;
        if self.state == State::Reconnecting && self.reconnect.is_some() && self.connect.is_none() {
            self.login(now, None);
        }
    }

    /// The socket asked for could not be opened: the session tries the next endpoint, backs
    /// off, or gives up.
    pub fn handle_socket_failed(&mut self, now: Instant, reason: &str) {
        self.clock = now;
        if self.state == State::Reconnecting {
            self.attempt_failed(reason);
        }
    }

    /// A session id for the server's result or statement id `server_id`.
    pub(super) fn session_id(&self, server_id: u64) -> u64 {
        if server_id == 0 {
            return 0;
        }
        ((self.epoch & 0xFFFF) << WIRE_ID_BITS) | message::wire_id(server_id)
    }

    /// What a request's replay policy is when sent now (`unsafe_why`: `None` if repeating it
    /// is harmless).
    pub(super) fn replay_for(&self, frame: &Frame, unsafe_why: Option<&'static str>) -> Replay {
        if self.state == State::Reconnecting {
            Replay::Held(frame.clone(), unsafe_why)
        } else {
            self.sent_replay(unsafe_why, || frame.clone())
        }
    }

    /// Whether a request already sent may be sent again (`frame` builds what to send).
    pub(super) fn sent_replay(&self, unsafe_why: Option<&'static str>, frame: impl FnOnce() -> Frame) -> Replay {
        match unsafe_why {
            Some(why) => Replay::No(why),
            None if self.options.retries > 0 => Replay::Safe(frame()),
            None => Replay::No("reconnecting is off (retries = 0)"),
        }
    }

    /// The connection is lost: keep what can be kept and start the first attempt.
    pub(super) fn start_reconnect(&mut self, reason: &str) {
        self.state = State::Reconnecting;
        self.epoch += 1;
        self.calls.drop_queued_frames();
        self.connect = None;
        for t in [Timer::Keepalive, Timer::Connect, Timer::Goodbye, Timer::Backoff] {
            self.calls.timers.stop(t);
        }
        let lost = format!("connection lost: {reason}");
        self.keep_what_survives(&lost);
        self.reconnect = Some(Progress { attempt: 1, endpoint: 0 });
        self.calls.push_event(Event::Reconnecting { attempt: 1, delay: Duration::ZERO, reason: lost });
        self.socket.push_back(SocketCommand::Close);
        self.socket.push_back(SocketCommand::Open { endpoint: 0 });
    }

    /// Results nothing was fetched from are run again later; the others and every statement
    /// are lost. Requests in flight that are safe to repeat wait for the new socket; the others
    /// fail now.
    fn keep_what_survives(&mut self, lost: &str) {
        let mut ids: Vec<u64> = self.results.keys().copied().collect();
        ids.sort_unstable();
        for id in ids {
            let r = &self.results[&id];
            match r.state {
                ResultState::Finished | ResultState::Rerun => {}
                ResultState::Open { .. } if r.blocks == 0 && r.sql.is_some() => {
                    let r = self.results.get_mut(&id).expect("listed");
                    r.state = ResultState::Rerun;
                    // Blocks read ahead and handed out are void: the caller's next batch says so.
                    r.restarted |= r.ahead > 0;
                    r.ahead = 0;
                }
                ResultState::Open { .. } => {
                    let blocks = r.blocks;
                    self.results.remove(&id);
                    self.lost.insert(
                        id,
                        format!("result {id} was lost with the connection after {blocks} block(s) had been read ({lost}); run the query again"),
                    );
                }
            }
        }
        let mut stmts: Vec<u64> = self.stmts.keys().copied().collect();
        stmts.sort_unstable();
        for id in stmts {
            self.stmts.remove(&id);
            self.lost.insert(id, format!("statement {id} was lost with the connection ({lost}); open and prepare it again"));
        }
        for (req_id, mut p) in self.calls.take_all_keyed() {
            if let (Waiting::Schemaless { request, .. }, Replay::OnLoss) = (&p.waiting, &p.replay) {
                p.replay = self.schemaless_replay(req_id, request);
            }
            match (p.waiting, p.replay) {
                (Waiting::Version | Waiting::Conn | Waiting::Options | Waiting::Rerun { .. }, _) => {}
                (Waiting::Fetch { mut reader, result_id }, _) => match self.results.get_mut(&result_id) {
                    Some(r) if r.state == ResultState::Rerun && r.parked.is_none() => {
                        // Only a query reading ahead can have collected blocks here (a caller's
                        // fetch counts them as read): nobody saw them, so nothing restarts.
                        if !reader.collected().is_empty() {
                            reader.start_over();
                            r.restarted = false;
                        }
                        r.parked = Some(reader);
                    }
                    _ => {
                        let err = self.lost.get(&result_id).cloned().unwrap_or_else(|| lost.to_owned());
                        self.complete(reader.call, Err(Error::connection(err)));
                    }
                },
                (waiting, replay @ (Replay::Safe(_) | Replay::Held(..))) => {
                    self.calls.hold(req_id, Pending { expect: p.expect, waiting, replay });
                }
                (waiting, replay @ (Replay::No(_) | Replay::OnLoss)) => {
                    let Some(call) = waiting.call() else { continue };
                    // `OnLoss` was decided above; only a request that cannot say stays so.
                    let why = if let Replay::No(why) = replay { why } else { "it may not be repeated" };
                    let what = p.expect.action().name();
                    let message = if waiting.is_write() {
                        format!("{lost}; the {what} in flight may or may not have been applied, and it is not repeated because {why}")
                    } else {
                        format!("{lost}; the {what} in flight is not repeated because {why}")
                    };
                    self.complete(call, Err(Error::connection(message)));
                }
            }
        }
    }

    /// Logged in again: tell, then send what waited.
    pub(super) fn reconnected(&mut self, now: Instant) {
        let Some(progress) = self.reconnect.take() else { return };
        self.calls.push_event(Event::Reconnected { attempt: progress.attempt, endpoint: progress.endpoint });
        self.start_keepalive(now);
        for req_id in self.calls.pending_ids() {
            let call = self.calls.get_mut(req_id).and_then(|p| p.waiting.call());
            if let Some(call) = call {
                if self.calls.is_cancelled(call) {
                    // Given up while waiting for the new socket: never sent, nothing to free.
                    self.calls.take(req_id, |_| true);
                    self.calls.forget(call);
                    continue;
                }
            }
            let Some(p) = self.calls.get_mut(req_id) else { continue };
            let (replay, frame) = match std::mem::replace(&mut p.replay, Replay::No("")) {
                Replay::Safe(frame) => (Replay::Safe(frame.clone()), Some(frame)),
                Replay::Held(frame, None) => (Replay::Safe(frame.clone()), Some(frame)),
                Replay::Held(frame, Some(why)) => (Replay::No(why), Some(frame)),
                no @ (Replay::No(_) | Replay::OnLoss) => (no, None),
            };
            p.replay = replay;
            if let Some(frame) = frame {
                self.calls.push_frame(frame);
            }
        }
        let mut reruns: Vec<(u64, Arc<str>)> = self
            .results
            .iter()
            .filter(|(_, r)| r.state == ResultState::Rerun)
            .filter_map(|(&id, r)| r.sql.clone().map(|sql| (id, sql)))
            .collect();
        reruns.sort_by_key(|(id, _)| *id);
        for (result, sql) in reruns {
            self.rerun(result, &sql);
        }
    }

    /// One attempt failed (socket, login, or the new socket dropped during the login).
    pub(super) fn attempt_failed(&mut self, reason: &str) {
        self.connect = None;
        self.calls.timers.stop(Timer::Connect);
        self.calls.timers.stop(Timer::Keepalive);
        self.calls.retain(|p| !matches!(p.waiting, Waiting::Version | Waiting::Conn | Waiting::Options));
        self.calls.drop_queued_frames();
        self.socket.push_back(SocketCommand::Close);
        let endpoints = self.options.endpoints.max(1);
        let retries = self.options.retries;
        let Some(p) = self.reconnect.as_mut() else { return };
        if p.endpoint + 1 < endpoints {
            p.endpoint += 1;
            let endpoint = p.endpoint;
            self.socket.push_back(SocketCommand::Open { endpoint });
            return;
        }
        if p.attempt >= retries {
            let attempts = p.attempt;
            return self.close_for_good(Error::connection(format!(
                "connection lost and not restored: {attempts} reconnect attempt(s) failed (retries = {retries}); last: {reason}"
            )));
        }
        p.attempt += 1;
        p.endpoint = 0;
        let attempt = p.attempt;
        let delay = self.backoff(attempt);
        self.calls.timers.set(Timer::Backoff, self.clock + delay);
        self.calls.push_event(Event::Reconnecting { attempt, delay, reason: reason.to_owned() });
    }

    /// The wait before `attempt` (≥ 2): the base doubled per attempt, capped.
    fn backoff(&self, attempt: u32) -> Duration {
        let doublings = attempt.saturating_sub(2).min(31);
        self.options.retry_backoff.saturating_mul(1 << doublings).min(self.options.retry_backoff_max)
    }

    pub(super) fn backoff_expired(&mut self) {
        if self.state == State::Reconnecting {
            if let Some(p) = self.reconnect.as_mut() {
                p.endpoint = 0;
            }
            self.socket.push_back(SocketCommand::Open { endpoint: 0 });
        }
    }

    /// A login on the new socket failed.
    pub(super) fn login_failed(&mut self, error: Error) {
        if refused_for_good(&error) {
            let message = format!("connection lost and not restored: the server refused the login ({})", error.message);
            return self.close_for_good(Error { kind: ErrorKind::Connection, errno: error.errno, message });
        }
        self.attempt_failed(&error.message);
    }

    /// Closed for good: every call still waiting fails with `error`.
    pub(super) fn close_for_good(&mut self, error: Error) {
        self.reconnect = None;
        self.socket.push_back(SocketCommand::Close);
        self.fail_everything(error.clone());
        self.calls.push_event(Event::Closed { error: Some(error) });
    }

    /// Runs the query of a result nothing was read from again; its fetch (if one waits)
    /// follows the answer.
    fn rerun(&mut self, result: u64, sql: &str) {
        let req_id = self.alloc_req_id();
        match message::binary_query_request(req_id, sql) {
            Ok(frame) => self.send_with(
                req_id,
                super::Expect::Json(super::Action::BinaryQuery),
                Waiting::Rerun { result },
                Frame::Binary(frame.into()),
                Replay::No("it is re-run on the next connection instead"),
            ),
            Err(e) => self.result_lost(result, e.message),
        }
    }

    pub(super) fn on_rerun(&mut self, result: u64, reply: message::JsonReply) {
        let info = reply.check(ErrorKind::Query).and_then(|()| reply.query_info());
        let Some(r) = self.results.get_mut(&result) else {
            // Freed while re-running: free what the server opened again.
            if let Ok(info) = info {
                if info.result_id != 0 {
                    let req_id = self.alloc_req_id();
                    self.send_unanswered(message::free_result_request(req_id, info.result_id));
                }
            }
            return;
        };
        match info {
            Ok(info) if info.result_id != 0 && !info.is_update && *r.fields == *info.fields => {
                r.wire = info.result_id;
                let parked = if r.state == ResultState::Rerun { r.parked.take() } else { None };
                r.state = ResultState::Open { fetching: false };
                if let Some(reader) = parked {
                    self.send_fetch(reader, result);
                }
            }
            Ok(_) => self.result_lost(result, "its query answered differently when run again after the reconnect".into()),
            Err(e) => self.result_lost(result, format!("running its query again after the reconnect failed: {}", e.message)),
        }
    }

    /// A result that could not be restored: its waiting fetch fails, later ones too.
    fn result_lost(&mut self, result: u64, why: String) {
        let message = format!("result {result} was lost with the connection: {why}");
        if let Some(reader) = self.results.remove(&result).and_then(|r| r.parked) {
            self.complete(reader.call, Err(Error::connection(message.clone())));
        }
        self.lost.insert(result, message);
    }

    /// The error for a result or statement id that was lost with a connection.
    pub(super) fn lost_error(&self, id: u64) -> Option<Error> {
        self.lost.get(&id).map(|m| Error::connection(m.clone()))
    }

    /// Fetch calls waiting for results to be re-run (they are in no pending request).
    pub(super) fn fetches_waiting_for_reruns(&mut self) -> Vec<super::CallId> {
        let mut calls: Vec<super::CallId> = self
            .results
            .values()
            .filter_map(|r| r.parked.as_ref().map(|reader| reader.call))
            .collect();
        calls.sort_unstable();
        calls
    }
}
