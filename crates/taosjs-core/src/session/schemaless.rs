//! Schemaless writes (reference §6): one `insert` request per call.

use super::reconnect::Replay;
use super::{Action, CallId, Expect, Frame, Reply, Session, State, Waiting};
use crate::message::JsonReply;
use crate::schemaless::{self, SchemalessRequest, SchemalessResult};

impl Session {
    /// Queues a schemaless `insert`; completes with [`Reply::Schemaless`]. Server errors are
    /// Schemaless errors with TDengine's code. A `req_id` given in the request must not be in
    /// flight.
    pub fn schemaless_insert(&mut self, request: SchemalessRequest) -> CallId {
        let (call, ready) = self.start_call();
        match ready.and_then(|()| schemaless::check(&request)).and_then(|()| self.resolve_req_id(request.req_id)) {
            Err(e) => self.complete(call, Err(e)),
            Ok(req_id) => {
                let frame = Frame::Text(schemaless::insert_request(req_id, &request));
                // Whether it may be sent again is only asked if the connection is lost
                // (`schemaless_replay`), except for a call that waits for a new socket now.
                let replay = if self.state == State::Reconnecting {
                    self.replay_for(&frame, schemaless::replay_hazard(&request))
                } else {
                    Replay::OnLoss
                };
                let waiting = Waiting::Schemaless { call, request: Box::new(request) };
                self.send_with(req_id, Expect::Json(Action::SchemalessInsert), waiting, frame, replay);
            }
        }
        call
    }

    /// The connection was lost with `request` (sent as `req_id`) unanswered: it is sent again,
    /// as it was, only if every line carries its own timestamp.
    pub(super) fn schemaless_replay(&self, req_id: u64, request: &SchemalessRequest) -> Replay {
        self.sent_replay(schemaless::replay_hazard(request), || Frame::Text(schemaless::insert_request(req_id, request)))
    }

    pub(super) fn on_schemaless(&mut self, call: CallId, request: &SchemalessRequest, reply: JsonReply) {
        let outcome = if reply.code != 0 {
            Err(schemaless::error(reply.code, &reply.message, request.protocol, &request.lines))
        } else {
            Ok(Reply::Schemaless(SchemalessResult { affected_rows: reply.affected_rows, total_rows: reply.total_rows }))
        };
        self.complete(call, outcome);
    }
}
