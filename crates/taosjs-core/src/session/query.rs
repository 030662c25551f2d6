//! Queries and their open results. The session is the one owner of a result: it keeps its
//! fields (which decode its blocks), whether a fetch is in flight, whether the server already
//! freed it, and which statement produced it; it frees it exactly once.

use std::sync::Arc;

use super::{programming, Action, CallId, Expect, Frame, Reply, Session, Waiting};
use crate::block::FetchedBlock;
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, BinaryReply, JsonReply, QueryInfo};
use crate::sql::{replay_safety, ReplaySafety};
use crate::types::Field;

#[derive(Debug)]
pub(super) struct OpenResult {
    pub fields: Arc<[Field]>,
    pub state: ResultState,
    /// The statement whose execution produced it: closing the statement frees it first.
    pub owner: Option<u64>,
    /// The id the server knows it by (differs from the session's id once re-run).
    pub wire: u64,
    /// Blocks handed out so far.
    pub blocks: u64,
    /// The SQL of a plain query that only reads: it can run again after a reconnect.
    pub sql: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResultState {
    Open { fetching: bool },
    /// The server reported the end (and freed it itself); fetches answer `None` locally.
    Finished,
    /// Lost with a connection before any block was read: its query runs again on the next
    /// one; `fetch` waits for that.
    Rerun { fetch: Option<CallId> },
}

impl OpenResult {
    pub fn is_open(&self) -> bool {
        matches!(self.state, ResultState::Open { .. } | ResultState::Rerun { .. })
    }
}

impl Session {
    /// Queues a binary query (action 6). A `req_id` given by the caller must not be in flight.
    pub fn query(&mut self, sql: &str, req_id: Option<u64>) -> CallId {
        let (call, ready) = self.start_call();
        let started = ready.and_then(|()| self.check_result_room()).and_then(|()| self.resolve_req_id(req_id)).and_then(|req_id| {
            message::binary_query_request(req_id, sql).map(|frame| (req_id, frame))
        });
        match started {
            Ok((req_id, frame)) => {
                let safety = replay_safety(sql);
                let frame = Frame::Binary(frame);
                let replay = self.replay_for(&frame, match safety {
                    ReplaySafety::Unsafe(why) => Some(why),
                    ReplaySafety::ReadOnly | ReplaySafety::Idempotent => None,
                });
                let read_only = (safety == ReplaySafety::ReadOnly).then(|| Arc::from(sql));
                self.send_with(req_id, Expect::Json(Action::BinaryQuery), Waiting::Query(call, read_only), frame, replay)
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `fetch_raw_block` (action 7) for an open result; completes with
    /// [`Reply::Block`]. One fetch per result at a time.
    pub fn fetch_block(&mut self, result_id: u64) -> CallId {
        let (call, ready) = self.start_call();
        if let Err(e) = ready {
            self.complete(call, Err(e));
            return call;
        }
        match self.results.get(&result_id).map(|r| r.state) {
            None => {
                let err = self.lost_error(result_id).unwrap_or_else(|| {
                    Error::new(ErrorKind::Result, format!("result {result_id} is not open (already freed or never returned)"))
                });
                self.complete(call, Err(err))
            }
            Some(ResultState::Finished) => self.complete(call, Ok(Reply::Block(None))),
            Some(ResultState::Open { fetching: true } | ResultState::Rerun { fetch: Some(_) }) => self.complete(
                call,
                Err(programming(format!("a fetch on result {result_id} is already in progress"))),
            ),
            Some(ResultState::Rerun { fetch: None }) => {
                // Its query runs again once reconnected; the fetch follows.
                if let Some(r) = self.results.get_mut(&result_id) {
                    r.state = ResultState::Rerun { fetch: Some(call) };
                }
            }
            Some(ResultState::Open { fetching: false }) => self.send_fetch(call, result_id),
        }
        call
    }

    /// Sends the fetch of the next block of an open result.
    pub(super) fn send_fetch(&mut self, call: CallId, result_id: u64) {
        let Some(wire) = self.results.get(&result_id).map(|r| r.wire) else { return };
        self.set_fetching(result_id, true);
        let req_id = self.alloc_req_id();
        let frame = Frame::Binary(message::fetch_raw_block_request(req_id, wire));
        self.send(req_id, Expect::Binary(Action::FetchRawBlock), Waiting::Fetch { call, result_id }, frame);
    }

    /// Refuses a statement that could open one result too many (`maxOpenResults`): results the
    /// server holds for us plus queries in flight, which may each open one.
    pub(super) fn check_result_room(&self) -> Result<()> {
        let max = self.options.max_open_results;
        let in_flight = self.calls.count(|p| matches!(p.waiting, Waiting::Query(..)));
        let open = self.open_results();
        if open + in_flight >= max {
            return Err(programming(format!(
                "too many open results: the server holds {open} results for this connection and {in_flight} queries are \
                 in flight (maxOpenResults is {max}); read results to the end or close them before running more queries"
            )));
        }
        Ok(())
    }

    /// Releases a result on the server unless it already finished or was freed (idempotent).
    pub fn free_result(&mut self, result_id: u64) {
        self.lost.remove(&result_id);
        let Some(r) = self.results.remove(&result_id) else { return };
        match r.state {
            ResultState::Open { .. } => {
                let req_id = self.alloc_req_id();
                self.send_unanswered(message::free_result_request(req_id, r.wire));
            }
            // Not on the server (yet): the re-run's answer is freed when it comes.
            ResultState::Rerun { fetch } => {
                if let Some(call) = fetch {
                    self.complete(call, Ok(Reply::Block(None)));
                }
            }
            ResultState::Finished => {}
        }
    }

    /// Records a result the server now holds for us, under a session id (set in `info`):
    /// `owner` is the statement that produced it, `sql` the query that can run it again.
    pub(super) fn open_result(&mut self, info: &mut QueryInfo, owner: Option<u64>, sql: Option<Arc<str>>) {
        if info.result_id != 0 {
            let wire = info.result_id;
            info.result_id = self.session_id(wire);
            let fields: Arc<[Field]> = info.fields.clone().into();
            let state = ResultState::Open { fetching: false };
            self.results.insert(info.result_id, OpenResult { fields, state, owner, wire, blocks: 0, sql });
        }
    }

    pub(super) fn on_query(&mut self, call: CallId, sql: Option<Arc<str>>, reply: JsonReply) {
        let mut outcome = reply.check(ErrorKind::Query).and_then(|()| reply.query_info());
        if let Ok(info) = &mut outcome {
            if !info.is_update {
                self.open_result(info, None, sql.clone());
            }
            // A new socket logs in with the database the connection last selected.
            if let Some(db) = sql.as_deref().and_then(crate::sql::used_database) {
                self.current_db = Some(db);
            }
        }
        self.complete(call, outcome.map(Reply::Query));
    }

    /// A fetch answered in JSON: the server refused it before reading it.
    pub(super) fn on_fetch_refused(&mut self, call: CallId, result_id: u64, reply: JsonReply) {
        self.set_fetching(result_id, false);
        let err = reply
            .check(ErrorKind::Query)
            .err()
            .unwrap_or_else(|| Error::internal("server answered fetch_raw_block with a JSON success"));
        self.complete(call, Err(err));
    }

    pub(super) fn on_block(&mut self, call: CallId, result_id: u64, bytes: &[u8]) {
        let outcome = match message::parse_binary_reply(bytes) {
            Err(e) => return self.unreadable_binary(call, e),
            Ok(BinaryReply { code: 0, finished: false, block: Some(raw), .. }) => {
                self.set_fetching(result_id, false);
                match self.results.get_mut(&result_id) {
                    Some(r) => {
                        r.blocks += 1;
                        Ok(Reply::Block(Some(FetchedBlock { raw, fields: Arc::clone(&r.fields) })))
                    }
                    // Freed while the fetch was in flight: nobody reads it.
                    None => Ok(Reply::Block(None)),
                }
            }
            Ok(BinaryReply { code, message, .. }) => {
                // Finished or failed: either way the server has freed the result.
                if let Some(r) = self.results.get_mut(&result_id) {
                    r.state = ResultState::Finished;
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

    /// A binary reply we matched but cannot read: the call it answers fails with the rest.
    pub(super) fn unreadable_binary(&mut self, call: CallId, e: Error) {
        let what = format!("a binary reply that cannot be read: {}", e.message);
        self.complete(call, Err(Error::connection(format!("protocol violation: the server sent {what}"))));
        self.protocol_violation(what);
    }

    pub(super) fn set_fetching(&mut self, result_id: u64, value: bool) {
        if let Some(r) = self.results.get_mut(&result_id) {
            if let ResultState::Open { fetching } = &mut r.state {
                *fetching = value;
            }
        }
    }

    /// Frees the results a statement produced (it is being closed).
    pub(super) fn free_results_of(&mut self, stmt_id: u64) {
        let mut owned: Vec<u64> =
            self.results.iter().filter(|(_, r)| r.owner == Some(stmt_id)).map(|(&id, _)| id).collect();
        owned.sort_unstable();
        for result_id in owned {
            self.free_result(result_id);
        }
    }
}
