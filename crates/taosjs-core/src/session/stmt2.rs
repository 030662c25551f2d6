//! stmt2 statements (reference §5.2) and the state machine that keeps them safe: `stmt2_exec`
//! goes out only after a prepare succeeded *and* a bind was accepted since (the last exec).
//! taosAdapter 3.3.7.5 dies on `stmt2_exec` after a failed prepare, after a prepare with no
//! bind, and after a bind of a statement without placeholders (`wire/transcripts/*CRASHED*`);
//! none of these can be expressed through this API.

use super::statement::{StmtOp, StmtState, V2State};
use super::{programming, Action, CallId, Expect, Frame, Session, Waiting};
use crate::bind::BindTable;
use crate::error::Result;
use crate::stmt2::{self, Stmt2InitOptions};

impl Session {
    /// Queues `stmt2_init`; completes with [`super::Reply::StmtInit`]. The statement stays open
    /// until [`Session::stmt2_close`] or the session closes (which closes it on the server).
    pub fn stmt2_init(&mut self, options: Stmt2InitOptions) -> CallId {
        let call = self.new_call();
        match self.check_connected().and_then(|()| self.resolve_req_id(options.req_id)) {
            Ok(req_id) => {
                let text = stmt2::init_request(req_id, options);
                self.send_stmt(req_id, Action::Stmt2Init, call, StmtOp::Init { v2: true }, text);
            }
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `stmt2_prepare` (with `get_fields`); completes with
    /// [`super::Reply::Stmt2Prepared`], whose placeholders the session keeps to check binds.
    /// Inserts into DECIMAL columns the server describes without precision and scale
    /// (taosAdapter 3.3.7) are completed only after the session read them with `DESCRIBE`.
    pub fn stmt2_prepare(&mut self, stmt_id: u64, sql: &str) -> CallId {
        // A new prepare forgets the old one: until it succeeds, nothing can be bound or executed.
        let reset = self.v2_mut(stmt_id).map(|v2| *v2 = V2State { sql: sql.to_owned(), ..Default::default() });
        self.checked_call(reset, |s, call| {
            let req_id = s.alloc_req_id();
            let text = stmt2::prepare_request(req_id, stmt_id, sql);
            s.send_stmt(req_id, Action::Stmt2Prepare, call, StmtOp::Prepare2 { stmt_id }, text);
        })
    }

    /// Checks `tables` against the prepared placeholders and queues binary `stmt2_bind`
    /// (action 9); completes with [`super::Reply::Done`]. Nothing is sent when a check fails:
    /// the call completes with a Statement error naming the table, placeholder, row and value
    /// (or a Programming error when the statement is not prepared, not open, or has no
    /// placeholders).
    pub fn stmt2_bind(&mut self, stmt_id: u64, tables: &[BindTable]) -> CallId {
        self.stmt2_bind_with(stmt_id, |req_id, p| stmt2::encode_bind(req_id, p, tables))
    }

    /// [`Session::stmt2_bind`] for a bind packed into one buffer ([`crate::packed`]), read in
    /// place: the facade's one crossing per bind.
    pub fn stmt2_bind_packed(&mut self, stmt_id: u64, packed: &[u8]) -> CallId {
        self.stmt2_bind_with(stmt_id, |req_id, p| stmt2::encode_bind_packed(req_id, p, packed))
    }

    fn stmt2_bind_with(&mut self, stmt_id: u64, encode: impl FnOnce(u64, &stmt2::Stmt2Prepared) -> Result<Vec<u8>>) -> CallId {
        let call = self.new_call();
        let req_id = self.alloc_req_id();
        let frame = self.v2_prepared(stmt_id, "bind").and_then(|v2| {
            let p = v2.prepared.as_ref().expect("checked by v2_prepared");
            if p.fields_count == 0 {
                return Err(programming(format!(
                    "statement {stmt_id} has no placeholders: there is nothing to bind (run it as plain SQL)"
                )));
            }
            encode(req_id, p)
        });
        match frame {
            Ok(frame) => self.send(
                req_id,
                Expect::Json(Action::Stmt2Bind),
                Waiting::Stmt { call, op: StmtOp::Bound { stmt_id } },
                Frame::Binary(frame.into()),
            ),
            Err(e) => self.complete(call, Err(e)),
        }
        call
    }

    /// Queues `stmt2_exec`; completes with [`super::Reply::Affected`] (0 for queries). Refused
    /// (nothing sent) unless the statement is prepared and a bind was accepted since the prepare
    /// or the last exec.
    pub fn stmt2_exec(&mut self, stmt_id: u64) -> CallId {
        let check = self.v2_prepared(stmt_id, "execute").and_then(|v2| {
            if v2.bound {
                Ok(())
            } else {
                Err(programming(format!("cannot execute statement {stmt_id}: nothing was bound since it was prepared or last executed")))
            }
        });
        self.checked_call(check, |s, call| {
            if let Ok(v2) = s.v2_mut(stmt_id) {
                // One exec per accepted bind, whatever the answer.
                v2.bound = false;
                v2.executed_query = false;
            }
            s.send_stmt_request(call, stmt_id, Action::Stmt2Exec, StmtOp::Exec { stmt_id, v2: true });
        })
    }

    /// Queues `stmt2_result` for an executed query; completes with [`super::Reply::Query`]
    /// whose result is read with [`Session::fetch_block`] and released with
    /// [`Session::free_result`] (closing the statement frees it too).
    pub fn stmt2_result(&mut self, stmt_id: u64) -> CallId {
        let room = self.check_result_room();
        let check = room.and_then(|()| self.v2_prepared(stmt_id, "read the result of")).and_then(|v2| {
            let p = v2.prepared.as_ref().expect("checked by v2_prepared");
            if p.is_insert {
                Err(programming(format!("statement {stmt_id} is an insert: it has no result set")))
            } else if !v2.executed_query {
                Err(programming(format!("statement {stmt_id} has no result: execute it first")))
            } else {
                Ok(())
            }
        });
        self.checked_call(check, |s, call| {
            s.send_stmt_request(call, stmt_id, Action::Stmt2Result, StmtOp::Result { stmt_id, v2: true })
        })
    }

    /// Frees the statement's open results, then queues `stmt2_close`; completes with
    /// [`super::Reply::Done`]. Later calls on `stmt_id` fail with a Programming error.
    pub fn stmt2_close(&mut self, stmt_id: u64) -> CallId {
        if self.lost.remove(&stmt_id).is_some() {
            // Lost with a connection: nothing left to close.
            let call = self.new_call();
            self.complete(call, Ok(super::Reply::Done));
            return call;
        }
        let open = self.v2_mut(stmt_id).map(|_| ());
        self.checked_call(open, |s, call| {
            s.forget_stmt(stmt_id);
            s.send_stmt_request(call, stmt_id, Action::Stmt2Close, StmtOp::Done);
        })
    }

    fn v2_mut(&mut self, stmt_id: u64) -> Result<&mut V2State> {
        self.check_connected()?;
        if let Some(e) = self.lost_error(stmt_id) {
            return Err(e);
        }
        match self.stmts.get_mut(&stmt_id) {
            Some(StmtState::V2(v2)) => Ok(v2),
            Some(StmtState::V1(_)) => {
                Err(programming(format!("statement {stmt_id} is a stmt v1 statement, not a stmt2 one")))
            }
            None => Err(programming(format!("statement {stmt_id} is not open (closed or never initialised)"))),
        }
    }

    fn v2_prepared(&mut self, stmt_id: u64, what: &str) -> Result<&V2State> {
        let v2 = self.v2_mut(stmt_id)?;
        match &v2.prepared {
            Some(_) => Ok(v2),
            None => Err(programming(format!("cannot {what} statement {stmt_id}: it is not prepared (or its prepare failed)"))),
        }
    }
}
