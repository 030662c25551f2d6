//! Schemaless writes (reference §6): one `insert` request per call.

use super::{Action, CallId, Expect, Frame, Reply, Session, Waiting};
use crate::message::JsonReply;
use crate::schemaless::{self, SchemalessProtocol, SchemalessRequest, SchemalessResult};

impl Session {
    /// Queues a schemaless `insert`; completes with [`Reply::Schemaless`]. Server errors are
    /// Schemaless errors with TDengine's code. A `req_id` given in the request must not be in
    /// flight.
    pub fn schemaless_insert(&mut self, request: &SchemalessRequest) -> CallId {
        let (call, ready) = self.start_call();
        match ready.and_then(|()| self.resolve_req_id(request.req_id)) {
            Err(e) => self.complete(call, Err(e)),
            Ok(req_id) => {
                let frame = Frame::Text(schemaless::insert_request(req_id, request));
                let waiting = Waiting::Schemaless { call, protocol: request.protocol, lines: request.lines.clone() };
                let replay = self.replay_for(&frame, schemaless::replay_hazard(request));
                self.send_with(req_id, Expect::Json(Action::SchemalessInsert), waiting, frame, replay);
            }
        }
        call
    }

    pub(super) fn on_schemaless(&mut self, call: CallId, protocol: SchemalessProtocol, lines: &[String], reply: JsonReply) {
        let outcome = if reply.code != 0 {
            Err(schemaless::error(reply.code, &reply.message, protocol, lines))
        } else {
            Ok(Reply::Schemaless(SchemalessResult { affected_rows: reply.affected_rows, total_rows: reply.total_rows }))
        };
        self.complete(call, outcome);
    }
}
