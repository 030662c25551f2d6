//! Queries and their open results. The session is the one owner of a result: it keeps its
//! fields (which decode its blocks), whether a fetch is in flight, whether the server already
//! freed it, and which statement produced it; it frees it exactly once.

use std::sync::Arc;

use super::{programming, Action, CallId, Expect, Frame, Reply, Session, Waiting};
use crate::block::{decode_block_with_fields, DecodedBlock};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, BinaryReply, JsonReply, QueryInfo};
use crate::types::Field;

/// One raw block of a result and the result's fields, which [`FetchedBlock::decode`] needs
/// (decimal scales). Decoding is left to the caller so that it runs on the caller's thread,
/// not in the task that moves the connection's frames.
#[derive(Debug, Clone, PartialEq)]
pub struct FetchedBlock {
    pub raw: Vec<u8>,
    pub fields: Arc<[Field]>,
}

impl FetchedBlock {
    /// The block as columns (see [`crate::block`]).
    pub fn decode(&self) -> Result<DecodedBlock> {
        decode_block_with_fields(&self.raw, Some(&self.fields))
    }
}

#[derive(Debug)]
pub(super) struct OpenResult {
    fields: Arc<[Field]>,
    state: ResultState,
    /// The statement whose execution produced it: closing the statement frees it first.
    pub owner: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResultState {
    Open { fetching: bool },
    /// The server reported the end (and freed it itself); fetches answer `None` locally.
    Finished,
}

impl OpenResult {
    pub fn is_open(&self) -> bool {
        matches!(self.state, ResultState::Open { .. })
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
                self.send(req_id, Expect::Json(Action::BinaryQuery), Waiting::Query(call), Frame::Binary(frame))
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
        match self.results.get_mut(&result_id).map(|r| (r.state, Arc::clone(&r.fields))) {
            None => self.complete(
                call,
                Err(Error::new(
                    ErrorKind::Result,
                    format!("result {result_id} is not open (already freed or never returned)"),
                )),
            ),
            Some((ResultState::Finished, _)) => self.complete(call, Ok(Reply::Block(None))),
            Some((ResultState::Open { fetching: true }, _)) => self.complete(
                call,
                Err(programming(format!("a fetch on result {result_id} is already in progress"))),
            ),
            Some((ResultState::Open { fetching: false }, _)) => {
                self.set_fetching(result_id, true);
                let req_id = self.alloc_req_id();
                let frame = Frame::Binary(message::fetch_raw_block_request(req_id, result_id));
                self.send(req_id, Expect::Binary(Action::FetchRawBlock), Waiting::Fetch { call, result_id }, frame);
            }
        }
        call
    }

    /// Refuses a statement that could open one result too many (`maxOpenResults`): results the
    /// server holds for us plus queries in flight, which may each open one.
    pub(super) fn check_result_room(&self) -> Result<()> {
        let max = self.options.max_open_results;
        let in_flight = self.pending.values().filter(|p| matches!(p.waiting, Waiting::Query(_))).count();
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
        if let Some(r) = self.results.remove(&result_id) {
            if r.is_open() {
                let req_id = self.alloc_req_id();
                self.send_unanswered(message::free_result_request(req_id, result_id));
            }
        }
    }

    /// Records a result the server now holds for us (`owner`: the statement that produced it).
    pub(super) fn open_result(&mut self, info: &QueryInfo, owner: Option<u64>) {
        if info.result_id != 0 {
            let fields: Arc<[Field]> = info.fields.clone().into();
            self.results.insert(info.result_id, OpenResult { fields, state: ResultState::Open { fetching: false }, owner });
        }
    }

    pub(super) fn on_query(&mut self, call: CallId, reply: JsonReply) {
        let outcome = reply.check(ErrorKind::Query).and_then(|()| reply.query_info());
        if let Ok(info) = &outcome {
            if !info.is_update {
                self.open_result(info, None);
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
                match self.results.get(&result_id) {
                    Some(r) => Ok(Reply::Block(Some(FetchedBlock { raw, fields: Arc::clone(&r.fields) }))),
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
