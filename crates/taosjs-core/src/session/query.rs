//! Queries and their open results. The session is the one owner of a result: it keeps its
//! fields (which decode its blocks), whether a fetch is in flight, whether the server already
//! freed it, and which statement produced it; it frees it exactly once.
//!
//! Reading in batches: [`Session::query_rows`] answers a query with its first blocks (a small
//! result arrives whole in ONE completion: the reply, its block and its end), and
//! [`Session::fetch_batch`] brings up to n blocks per call. Blocks that came with the query are
//! *read ahead*, not read: until the caller's next fetch confirms them, a reconnect runs the
//! query again (resilience's rule: a result nothing was read from runs again, unseen), and the
//! next batch then says [`BlockBatch::restarted`] — the caller drops what it held and starts over.
//! A batch that may be replaced so is [`BlockBatch::provisional`].

use std::sync::Arc;

use bytes::Bytes;

use super::{programming, Action, CallId, Expect, Frame, Reply, Session, Waiting};
use crate::block::{BlockBatch, FetchedBlock};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, BinaryReply, JsonReply, QueryInfo};
use crate::sql::{replay_safety, ReplaySafety};
use crate::types::Field;

/// A caller reading blocks of a result: what it asked for and what arrived so far.
#[derive(Debug)]
pub(super) struct Reader {
    pub call: CallId,
    /// Blocks to collect before answering (fewer at the end).
    want: usize,
    got: Vec<FetchedBlock>,
    answer: Answer,
}

impl Reader {
    pub(super) fn collected(&self) -> &[FetchedBlock] {
        &self.got
    }

    /// Drops what was collected: the result runs again from its start.
    pub(super) fn start_over(&mut self) {
        self.got.clear();
    }
}

/// The reply a [`Reader`] gets.
#[derive(Debug)]
enum Answer {
    /// [`Session::fetch_block`]: [`Reply::Block`].
    Block,
    /// [`Session::fetch_batch`]: [`Reply::Batch`].
    Batch,
    /// [`Session::query_rows`]: [`Reply::Rows`], the query's reply with its first blocks.
    Rows(Box<QueryInfo>),
}

#[derive(Debug)]
pub(super) struct OpenResult {
    pub fields: Arc<[Field]>,
    pub state: ResultState,
    /// The statement whose execution produced it: closing the statement frees it first.
    pub owner: Option<u64>,
    /// The id the server knows it by (differs from the session's id once re-run).
    pub wire: u64,
    /// Blocks handed out so far (and confirmed: see `ahead`).
    pub blocks: u64,
    /// Blocks handed out with the query ([`Session::query_rows`]) that no fetch of the caller
    /// confirmed yet: a reconnect before one runs the query again.
    pub ahead: u64,
    /// Run again while blocks had been read ahead: the next batch says `restarted`.
    pub restarted: bool,
    /// The reader waiting for the re-run (state `Rerun`).
    pub parked: Option<Box<Reader>>,
    /// The SQL of a plain query that only reads: it can run again after a reconnect.
    pub sql: Option<Arc<str>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum ResultState {
    Open { fetching: bool },
    /// The server reported the end (and freed it itself); fetches answer `None` locally.
    Finished,
    /// Lost with a connection before any block was read: its query runs again on the next
    /// one; a fetch waits for that (`OpenResult::parked`).
    Rerun,
}

impl OpenResult {
    pub fn is_open(&self) -> bool {
        matches!(self.state, ResultState::Open { .. } | ResultState::Rerun { .. })
    }
}

impl Session {
    /// Queues a binary query (action 6); completes with [`Reply::Query`] when the server answers.
    /// A `req_id` given by the caller must not be in flight.
    pub fn query(&mut self, sql: &str, req_id: Option<u64>) -> CallId {
        self.start_query(sql, req_id, 0)
    }

    /// Like [`Session::query`], but a statement that opens a result completes with
    /// [`Reply::Rows`]: the reply and up to `blocks` first blocks, fetched before answering (a
    /// small result comes whole, with its end). Read the rest with [`Session::fetch_batch`],
    /// which also confirms the blocks read ahead (see the module's documentation). An error the
    /// server reports for those fetches fails the call.
    pub fn query_rows(&mut self, sql: &str, req_id: Option<u64>, blocks: usize) -> CallId {
        self.start_query(sql, req_id, blocks.max(1))
    }

    fn start_query(&mut self, sql: &str, req_id: Option<u64>, ahead: usize) -> CallId {
        let (call, ready) = self.start_call();
        let started = ready.and_then(|()| self.check_result_room()).and_then(|()| self.resolve_req_id(req_id)).and_then(|req_id| {
            message::binary_query_request(req_id, sql).map(|frame| (req_id, frame))
        });
        match started {
            Ok((req_id, frame)) => {
                let safety = replay_safety(sql);
                let frame = Frame::Binary(frame.into());
                let replay = self.replay_for(&frame, match safety {
                    ReplaySafety::Unsafe(why) => Some(why),
                    ReplaySafety::ReadOnly | ReplaySafety::Idempotent => None,
                });
                let read_only = (safety == ReplaySafety::ReadOnly).then(|| Arc::from(sql));
                let waiting = Waiting::Query { call, sql: read_only, ahead };
                self.send_with(req_id, Expect::Json(Action::BinaryQuery), waiting, frame, replay)
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `fetch_raw_block` (action 7) for an open result; completes with
    /// [`Reply::Block`]. One fetch per result at a time.
    pub fn fetch_block(&mut self, result_id: u64) -> CallId {
        self.read(result_id, 1, Answer::Block)
    }

    /// The next blocks of an open result, up to `blocks` (fewer when it ends: then flagged
    /// `finished`); completes with [`Reply::Batch`], which says `restarted` when the result was
    /// run again since the blocks [`Session::query_rows`] read ahead. One fetch per result at a
    /// time.
    pub fn fetch_batch(&mut self, result_id: u64, blocks: usize) -> CallId {
        self.read(result_id, blocks.max(1), Answer::Batch)
    }

    fn read(&mut self, result_id: u64, want: usize, answer: Answer) -> CallId {
        let (call, ready) = self.start_call();
        if let Err(e) = ready {
            self.complete(call, Err(e));
            return call;
        }
        let reader = Box::new(Reader { call, want, got: Vec::new(), answer });
        match self.results.get(&result_id).map(|r| (r.state, r.parked.is_some())) {
            None => {
                let err = self.lost_error(result_id).unwrap_or_else(|| {
                    Error::new(ErrorKind::Result, format!("result {result_id} is not open (already freed or never returned)"))
                });
                self.complete(call, Err(err))
            }
            Some((ResultState::Finished, _)) => self.answer(result_id, *reader, true),
            Some((ResultState::Open { fetching: true }, _) | (ResultState::Rerun, true)) => self.complete(
                call,
                Err(programming(format!("a fetch on result {result_id} is already in progress"))),
            ),
            Some((ResultState::Rerun, false)) => {
                // Its query runs again once reconnected; the fetch follows.
                if let Some(r) = self.results.get_mut(&result_id) {
                    r.parked = Some(reader);
                }
            }
            Some((ResultState::Open { fetching: false }, _)) => self.send_fetch(reader, result_id),
        }
        call
    }

    /// Sends the fetch of the next block of an open result for `reader`.
    pub(super) fn send_fetch(&mut self, reader: Box<Reader>, result_id: u64) {
        let Some(wire) = self.results.get(&result_id).map(|r| r.wire) else { return };
        self.set_fetching(result_id, true);
        let req_id = self.alloc_req_id();
        let frame = Frame::Binary(message::fetch_raw_block_request(req_id, wire).into());
        self.send(req_id, Expect::Binary(Action::FetchRawBlock), Waiting::Fetch { reader, result_id }, frame);
    }

    /// Answers `reader` with what it collected (`finished`: the result ended). A batch that says
    /// so ends the result for the session too: it forgets it (the server freed it), so the
    /// caller has nothing to release.
    fn answer(&mut self, result_id: u64, reader: Reader, finished: bool) {
        let Reader { call, mut got, answer, .. } = reader;
        let batch = !matches!(answer, Answer::Block);
        let reply = match answer {
            Answer::Block => Reply::Block(got.pop()),
            Answer::Batch => {
                let restarted = self.results.get_mut(&result_id).is_some_and(|r| std::mem::take(&mut r.restarted));
                Reply::Batch(BlockBatch { blocks: got, finished, restarted, provisional: false })
            }
            Answer::Rows(info) => {
                // Replaced only if the session would run it again after a reconnect.
                let provisional = !finished
                    && !got.is_empty()
                    && self.options.retries > 0
                    && self.results.get(&result_id).is_some_and(|r| r.sql.is_some());
                Reply::Rows { info: *info, batch: BlockBatch { blocks: got, finished, restarted: false, provisional } }
            }
        };
        if finished && batch && self.results.get(&result_id).is_some_and(|r| r.state == ResultState::Finished) {
            self.results.remove(&result_id);
        }
        self.complete(call, Ok(reply));
    }

    /// What a reader gets when its result is freed under it: the end, or for a query still
    /// reading ahead (nobody outside knows the result yet) an error.
    fn answer_freed(&mut self, reader: Reader) {
        match reader.answer {
            Answer::Rows(_) => {
                self.complete(reader.call, Err(Error::new(ErrorKind::Result, "the result was freed before it was read")))
            }
            _ => self.answer(0, Reader { got: Vec::new(), ..reader }, true),
        }
    }

    /// Refuses a statement that could open one result too many (`maxOpenResults`): results the
    /// server holds for us plus queries in flight, which may each open one.
    pub(super) fn check_result_room(&self) -> Result<()> {
        let max = self.options.max_open_results;
        let in_flight = self.calls.count(|p| matches!(p.waiting, Waiting::Query { .. }));
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
            ResultState::Rerun => {
                if let Some(reader) = r.parked {
                    self.answer_freed(*reader);
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
            let result = OpenResult { fields, state, owner, wire, blocks: 0, ahead: 0, restarted: false, parked: None, sql };
            self.results.insert(info.result_id, result);
        }
    }

    pub(super) fn on_query(&mut self, call: CallId, sql: Option<Arc<str>>, ahead: usize, reply: JsonReply) {
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
        match outcome {
            // Read its first blocks before answering (unless nobody waits any more).
            Ok(info) if ahead > 0 && info.result_id != 0 && !self.calls.is_cancelled(call) => {
                let result_id = info.result_id;
                let reader = Box::new(Reader { call, want: ahead, got: Vec::new(), answer: Answer::Rows(Box::new(info)) });
                self.send_fetch(reader, result_id);
            }
            outcome => self.complete(call, outcome.map(Reply::Query)),
        }
    }

    /// A fetch answered in JSON: the server refused it before reading it.
    pub(super) fn on_fetch_refused(&mut self, reader: Box<Reader>, result_id: u64, reply: JsonReply) {
        self.set_fetching(result_id, false);
        let err = reply
            .check(ErrorKind::Query)
            .err()
            .unwrap_or_else(|| Error::internal("server answered fetch_raw_block with a JSON success"));
        self.complete(reader.call, Err(err));
    }

    /// A fetched block's frame: kept whole, the block is read where it lies (see
    /// [`FetchedBlock::in_frame`]).
    pub(super) fn on_block(&mut self, mut reader: Box<Reader>, result_id: u64, frame: Bytes) {
        match message::parse_binary_reply(&frame) {
            Err(e) => self.unreadable_binary(reader.call, e),
            Ok(BinaryReply { code: 0, finished: false, block: Some(raw), .. }) => {
                self.set_fetching(result_id, false);
                let Some(r) = self.results.get_mut(&result_id) else {
                    // Freed while the fetch was in flight: nobody reads it.
                    return self.answer_freed(*reader);
                };
                if matches!(reader.answer, Answer::Rows(_)) {
                    r.ahead += 1;
                } else {
                    // The caller's fetch confirms what was read ahead.
                    r.blocks += std::mem::take(&mut r.ahead) + 1;
                }
                reader.got.push(FetchedBlock::in_frame(frame, raw, Arc::clone(&r.fields)));
                if reader.got.len() < reader.want {
                    self.send_fetch(reader, result_id);
                } else {
                    self.answer(result_id, *reader, false);
                }
            }
            Ok(BinaryReply { code, message, .. }) => {
                // Finished or failed: either way the server has freed the result.
                if let Some(r) = self.results.get_mut(&result_id) {
                    r.state = ResultState::Finished;
                }
                if code == 0 {
                    self.answer(result_id, *reader, true);
                } else {
                    self.complete(reader.call, Err(Error::query((code & 0xFFFF) as i32, message)));
                }
            }
        }
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
