//! stmt v1 statements (reference §5.1), the reply handling shared with stmt2, and the v1 state
//! machine: `add_batch` only after an accepted bind, `exec` only after an accepted batch (a
//! failed bind followed by `add_batch` and `exec` kills taosAdapter 3.3.7.5).

use super::describe::{DescribeFor, DescribeJob};
use super::statement::{StmtOp, StmtState, V1State, V2State};
use super::{programming, Action, CallId, Expect, Frame, Reply, Session, Waiting};
use crate::bind::{BindColumn, BindType, StmtField};
use crate::error::{Error, ErrorKind, Result};
use crate::message::{self, JsonReply};
use crate::stmt;
use crate::stmt2;

impl Session {
    /// Queues v1 `init`; completes with [`Reply::StmtInit`].
    pub fn stmt_init(&mut self) -> CallId {
        let ready = self.check_connected();
        self.checked_call(ready, |s, call| {
            let req_id = s.alloc_req_id();
            s.send_stmt(req_id, Action::StmtInit, call, StmtOp::Init { v2: false }, stmt::init_request(req_id));
        })
    }

    /// Queues v1 `prepare`; completes with [`Reply::StmtPrepared`].
    pub fn stmt_prepare(&mut self, stmt_id: u64, sql: &str) -> CallId {
        let reset = self.v1_mut(stmt_id).map(|v1| *v1 = V1State { sql: sql.to_owned(), ..V1State::default() });
        self.checked_call(reset, |s, call| {
            let req_id = s.alloc_req_id();
            let text = stmt::prepare_request(req_id, stmt_id, sql);
            s.send_stmt(req_id, Action::StmtPrepare, call, StmtOp::Prepare1 { stmt_id }, text);
        })
    }

    /// Queues `set_table_name`; completes with [`Reply::Done`]. Forgets the cached
    /// placeholders: another table may have another schema.
    pub fn stmt_set_table_name(&mut self, stmt_id: u64, name: &str) -> CallId {
        let call = self.new_call();
        let check = if name.is_empty() {
            Err(Error::new(ErrorKind::Statement, "the table name must not be empty"))
        } else {
            self.v1_prepared(stmt_id, "set the table name of").map(|_| ())
        };
        if let Err(e) = check {
            self.complete(call, Err(e));
            return call;
        }
        if let Ok(v1) = self.v1_prepared(stmt_id, "") {
            v1.table = Some(name.to_owned());
            v1.tag_fields = None;
            v1.col_fields = None;
        }
        let req_id = self.alloc_req_id();
        let text = stmt::set_table_name_request(req_id, stmt_id, name);
        self.send_stmt(req_id, Action::StmtSetTableName, call, StmtOp::Done, text);
        call
    }

    /// Binds the tags (one value each) as binary `set_tags` (action 1); completes with
    /// [`Reply::Done`]. For inserts the values are checked against `get_tag_fields`, which the
    /// session asks for first when it does not know them yet.
    pub fn stmt_set_tags(&mut self, stmt_id: u64, tags: Vec<BindColumn>) -> CallId {
        self.stmt_bind_values(stmt_id, true, tags)
    }

    /// Binds columns (N rows) as binary `bind` (action 2); completes with [`Reply::Done`].
    /// Insert values are checked against `get_col_fields` (asked for first when unknown);
    /// query parameters are sent in their own types.
    pub fn stmt_bind(&mut self, stmt_id: u64, columns: Vec<BindColumn>) -> CallId {
        self.stmt_bind_values(stmt_id, false, columns)
    }

    /// Queues `add_batch`; completes with [`Reply::Done`]. Refused unless rows were bound (and
    /// accepted) since the last batch.
    pub fn stmt_add_batch(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        let check = self.v1_prepared(stmt_id, "add a batch to").and_then(|v1| {
            if v1.bound {
                Ok(())
            } else {
                Err(programming(format!("cannot add a batch to statement {stmt_id}: nothing was bound since the last batch")))
            }
        });
        if let Err(e) = check {
            self.complete(call, Err(e));
            return call;
        }
        self.send_v1_simple(call, stmt_id, Action::StmtAddBatch, StmtOp::Batched { stmt_id });
        call
    }

    /// Queues v1 `exec` (after an `add_batch` for rows bound since the last batch); completes
    /// with [`Reply::Affected`]. Refused unless something was bound and accepted.
    pub fn stmt_exec(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        let state = self.v1_prepared(stmt_id, "execute").map(|v1| (v1.bound, v1.batches));
        match state {
            Err(e) => self.complete(call, Err(e)),
            Ok((true, _)) => {
                self.send_v1_simple(call, stmt_id, Action::StmtAddBatch, StmtOp::BatchThenExec { stmt_id })
            }
            Ok((false, 0)) => self.complete(
                call,
                Err(programming(format!("cannot execute statement {stmt_id}: nothing was bound since it was prepared or last executed"))),
            ),
            Ok((false, _)) => self.send_v1_exec(call, stmt_id),
        }
        call
    }

    /// The tag placeholders of a prepared insert; completes with [`Reply::StmtFields`]. The
    /// session keeps them per table (to check binds): only the first call after `prepare` or
    /// `set_table_name` asks the server (`get_tag_fields`).
    pub fn stmt_get_tag_fields(&mut self, stmt_id: u64) -> CallId {
        self.v1_fields_call(stmt_id, true)
    }

    /// The column placeholders, kept like [`Session::stmt_get_tag_fields`] (`get_col_fields`).
    pub fn stmt_get_col_fields(&mut self, stmt_id: u64) -> CallId {
        self.v1_fields_call(stmt_id, false)
    }

    fn v1_fields_call(&mut self, stmt_id: u64, tags: bool) -> CallId {
        let call = self.new_call();
        let action = if tags { Action::StmtGetTagFields } else { Action::StmtGetColFields };
        match self.v1_prepared(stmt_id, action.name()) {
            Err(e) => self.complete(call, Err(e)),
            Ok(v1) => match if tags { v1.tag_fields.clone() } else { v1.col_fields.clone() } {
                Some(known) => self.complete(call, Ok(Reply::StmtFields(known))),
                None => self.send_v1_simple(call, stmt_id, action, StmtOp::Fields { stmt_id, tags }),
            },
        }
        call
    }

    /// Queues `use_result` after `exec` of a query; completes with [`Reply::Query`] (read with
    /// [`Session::fetch_block`], release with [`Session::free_result`]).
    pub fn stmt_use_result(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        let room = self.check_result_room();
        let check = room.and_then(|()| self.v1_prepared(stmt_id, "read the result of")).and_then(|v1| {
            if v1.is_insert == Some(true) {
                Err(programming(format!("statement {stmt_id} is an insert: it has no result set")))
            } else if !v1.executed_query {
                Err(programming(format!("statement {stmt_id} has no result: execute it first")))
            } else {
                Ok(())
            }
        });
        if let Err(e) = check {
            self.complete(call, Err(e));
            return call;
        }
        self.send_v1_simple(call, stmt_id, Action::StmtUseResult, StmtOp::Result { stmt_id, v2: false });
        call
    }

    /// Frees the statement's open results and sends v1 `close`, which the server never answers
    /// on success: completes at once with [`Reply::Done`].
    pub fn stmt_close(&mut self, stmt_id: u64) -> CallId {
        let call = self.new_call();
        if self.lost.remove(&stmt_id).is_some() {
            // Lost with a connection: nothing left to close.
            self.complete(call, Ok(Reply::Done));
            return call;
        }
        if let Err(e) = self.v1_mut(stmt_id).map(|_| ()) {
            self.complete(call, Err(e));
            return call;
        }
        self.abandon_statement(stmt_id);
        self.complete(call, Ok(Reply::Done));
        call
    }

    /// Closes a statement of either kind without reporting back (its owner went away, or the
    /// session closes). Frees its results like the close calls; unknown ids are ignored.
    pub fn abandon_statement(&mut self, stmt_id: u64) {
        self.lost.remove(&stmt_id);
        let Some(state) = self.stmts.get(&stmt_id) else { return };
        let action = match state {
            StmtState::V2(_) => Action::Stmt2Close,
            StmtState::V1(_) => Action::StmtClose,
        };
        self.forget_stmt(stmt_id);
        let req_id = self.alloc_req_id();
        self.send_unanswered(message::stmt_request(action.name(), req_id, stmt_id));
    }

    pub(super) fn send_stmt(&mut self, req_id: u64, action: Action, call: CallId, op: StmtOp, text: String) {
        self.send_json(req_id, action, Waiting::Stmt { call, op }, text);
    }

    /// Sends a request that carries only the statement id (exec, result, close, …).
    pub(super) fn send_stmt_request(&mut self, call: CallId, stmt_id: u64, action: Action, op: StmtOp) {
        let req_id = self.alloc_req_id();
        let text = message::stmt_request(action.name(), req_id, stmt_id);
        self.send_stmt(req_id, action, call, op, text);
    }

    /// A new call that completes at once with `check`'s error, or goes on with `then`.
    pub(super) fn checked_call(&mut self, check: Result<()>, then: impl FnOnce(&mut Session, CallId)) -> CallId {
        let call = self.new_call();
        match check {
            Err(e) => self.complete(call, Err(e)),
            Ok(()) => then(self, call),
        }
        call
    }

    fn v1_mut(&mut self, stmt_id: u64) -> Result<&mut V1State> {
        self.check_connected()?;
        if let Some(e) = self.lost_error(stmt_id) {
            return Err(e);
        }
        match self.stmts.get_mut(&stmt_id) {
            Some(StmtState::V1(v1)) => Ok(v1),
            Some(StmtState::V2(_)) => {
                Err(programming(format!("statement {stmt_id} is a stmt2 statement, not a stmt v1 one")))
            }
            None => Err(programming(format!("statement {stmt_id} is not open (closed or never initialised)"))),
        }
    }

    fn v1_prepared(&mut self, stmt_id: u64, what: &str) -> Result<&mut V1State> {
        let v1 = self.v1_mut(stmt_id)?;
        if v1.is_insert.is_some() {
            Ok(v1)
        } else {
            Err(programming(format!("cannot {what} statement {stmt_id}: it is not prepared (or its prepare failed)")))
        }
    }

    fn send_v1_simple(&mut self, call: CallId, stmt_id: u64, action: Action, op: StmtOp) {
        self.send_stmt_request(call, stmt_id, action, op);
    }

    fn send_v1_exec(&mut self, call: CallId, stmt_id: u64) {
        if let Ok(v1) = self.v1_mut(stmt_id) {
            v1.batches = 0;
            v1.executed_query = false;
        }
        self.send_v1_simple(call, stmt_id, Action::StmtExec, StmtOp::Exec { stmt_id, v2: false });
    }

    fn stmt_bind_values(&mut self, stmt_id: u64, tags: bool, values: Vec<BindColumn>) -> CallId {
        let call = self.new_call();
        let what = if tags { "set the tags of" } else { "bind" };
        let (is_insert, known) = match self.v1_prepared(stmt_id, what) {
            Err(e) => {
                self.complete(call, Err(e));
                return call;
            }
            Ok(v1) => (v1.is_insert == Some(true), if tags { v1.tag_fields.is_some() } else { v1.col_fields.is_some() }),
        };
        if is_insert && !known {
            let action = if tags { Action::StmtGetTagFields } else { Action::StmtGetColFields };
            self.send_v1_simple(call, stmt_id, action, StmtOp::FieldsThenBind { stmt_id, tags, values });
        } else {
            self.send_v1_bind(call, stmt_id, tags, &values);
        }
        call
    }

    /// Encodes and queues binary set_tags/bind with the cached placeholders (inserts) or none
    /// (queries); a failed check completes the call without sending anything.
    pub(super) fn send_v1_bind(&mut self, call: CallId, stmt_id: u64, tags: bool, values: &[BindColumn]) {
        let req_id = self.alloc_req_id();
        let (code, action, role) = if tags {
            (stmt::ACTION_SET_TAGS, Action::StmtSetTags, "tag")
        } else {
            (stmt::ACTION_BIND, Action::StmtBind, "column")
        };
        let frame = match self.stmts.get(&stmt_id) {
            Some(StmtState::V1(v1)) => {
                let fields = if v1.is_insert == Some(true) {
                    if tags { v1.tag_fields.as_deref() } else { v1.col_fields.as_deref() }
                } else {
                    None
                };
                let role = if v1.is_insert == Some(true) { role } else { "parameter" };
                let table = v1.table.as_ref().map(|t| format!("table {t}")).unwrap_or_default();
                stmt::encode_bind(req_id, stmt_id, code, fields, values, role, &table)
            }
            _ => Err(programming(format!("statement {stmt_id} was closed before its values were bound"))),
        };
        let op = if tags { StmtOp::Done } else { StmtOp::Bound { stmt_id } };
        match frame {
            Ok(frame) => self.send(req_id, Expect::Json(action), Waiting::Stmt { call, op }, Frame::Binary(frame.into())),
            Err(e) => self.complete(call, Err(e)),
        }
    }

    /// Drops a statement locally and frees the results it produced.
    pub(super) fn forget_stmt(&mut self, stmt_id: u64) {
        self.stmts.remove(&stmt_id);
        self.free_results_of(stmt_id);
    }

    pub(super) fn on_stmt_reply(&mut self, call: CallId, op: StmtOp, reply: JsonReply) {
        if let Err(e) = reply.check(ErrorKind::Statement) {
            // Whatever was refused leaves the statement as it was: a refused bind is no bind.
            return self.complete(call, Err(e));
        }
        let outcome = match op {
            StmtOp::Init { v2 } => {
                let state = if v2 { StmtState::V2(V2State::default()) } else { StmtState::V1(V1State::default()) };
                let stmt_id = self.session_id(reply.stmt_id);
                self.stmts.insert(stmt_id, state);
                Ok(Reply::StmtInit { stmt_id })
            }
            StmtOp::Prepare2 { stmt_id } => match stmt2::parse_prepare_reply(&reply) {
                Ok(p) => return self.prepared2(call, stmt_id, p),
                Err(e) => Err(e),
            },
            StmtOp::Prepare1 { stmt_id } => {
                if let Some(StmtState::V1(v1)) = self.stmts.get_mut(&stmt_id) {
                    v1.is_insert = Some(reply.is_insert);
                }
                Ok(Reply::StmtPrepared { stmt_id, is_insert: reply.is_insert })
            }
            StmtOp::Done => Ok(Reply::Done),
            StmtOp::Bound { stmt_id } => {
                match self.stmts.get_mut(&stmt_id) {
                    Some(StmtState::V2(v2)) => v2.bound = true,
                    Some(StmtState::V1(v1)) => v1.bound = true,
                    None => {}
                }
                Ok(Reply::Done)
            }
            StmtOp::Batched { stmt_id } => {
                self.batched(stmt_id);
                Ok(Reply::Done)
            }
            StmtOp::BatchThenExec { stmt_id } => {
                self.batched(stmt_id);
                return self.send_v1_exec(call, stmt_id);
            }
            StmtOp::Exec { stmt_id, v2 } => {
                match self.stmts.get_mut(&stmt_id) {
                    Some(StmtState::V2(s)) if v2 => {
                        s.executed_query = s.prepared.as_ref().is_some_and(|p| !p.is_insert)
                    }
                    Some(StmtState::V1(s)) if !v2 => s.executed_query = s.is_insert == Some(false),
                    _ => {}
                }
                Ok(Reply::Affected(reply.affected))
            }
            StmtOp::Result { stmt_id, v2 } => {
                let mut reply = reply;
                if !v2 {
                    reply.id = reply.result_id;
                }
                reply.query_info().map(|mut info| {
                    // Statement results describe their columns with storage sizes
                    // (VARCHAR(32) → 34); every result shows user lengths.
                    for f in &mut info.fields {
                        f.bytes = f.ty.user_len(f.bytes);
                    }
                    self.open_result(&mut info, Some(stmt_id), None);
                    Reply::Query(info)
                })
            }
            StmtOp::Fields { stmt_id, tags } => match self.v1_fields(&reply, tags) {
                Ok(fields) => return self.described_v1(call, DescribeFor::V1Fields { stmt_id, tags, fields, then_bind: None }),
                Err(e) => Err(e),
            },
            StmtOp::FieldsThenBind { stmt_id, tags, values } => match self.v1_fields(&reply, tags) {
                Ok(fields) => {
                    return self.described_v1(call, DescribeFor::V1Fields { stmt_id, tags, fields, then_bind: Some(values) })
                }
                Err(e) => Err(e),
            },
        };
        self.complete(call, outcome);
    }

    fn batched(&mut self, stmt_id: u64) {
        if let Some(StmtState::V1(v1)) = self.stmts.get_mut(&stmt_id) {
            v1.bound = false;
            v1.batches += 1;
        }
    }

    fn v1_fields(&self, reply: &JsonReply, tags: bool) -> Result<Vec<StmtField>> {
        let bind = if tags { BindType::Tag } else { BindType::Column };
        reply.fields.as_deref().unwrap_or(&[]).iter().map(|f| f.to_field(bind)).collect()
    }

    /// A stmt2 prepare answered: complete it, after reading DECIMAL precisions the server left
    /// out.
    fn prepared2(&mut self, call: CallId, stmt_id: u64, p: stmt2::Stmt2Prepared) {
        let sql = match self.stmts.get(&stmt_id) {
            Some(StmtState::V2(v2)) => v2.sql.clone(),
            _ => String::new(),
        };
        self.describe_then(call, DescribeJob::new(DescribeFor::Stmt2 { stmt_id, prepared: p }, &sql, None));
    }

    fn described_v1(&mut self, call: CallId, target: DescribeFor) {
        let (sql, table) = match &target {
            DescribeFor::V1Fields { stmt_id, .. } => match self.stmts.get(stmt_id) {
                Some(StmtState::V1(v1)) => (v1.sql.clone(), v1.table.clone()),
                _ => (String::new(), None),
            },
            DescribeFor::Stmt2 { .. } => (String::new(), None),
        };
        self.describe_then(call, DescribeJob::new(target, &sql, table.as_deref()));
    }

    /// Every placeholder is described now: keep the fields and complete (or bind).
    pub(super) fn finish_described(&mut self, call: CallId, target: DescribeFor) {
        match target {
            DescribeFor::Stmt2 { stmt_id, prepared } => {
                if let Some(StmtState::V2(v2)) = self.stmts.get_mut(&stmt_id) {
                    v2.prepared = Some(prepared.clone());
                }
                self.complete(call, Ok(Reply::Stmt2Prepared(prepared)));
            }
            DescribeFor::V1Fields { stmt_id, tags, fields, then_bind } => {
                if let Some(StmtState::V1(v1)) = self.stmts.get_mut(&stmt_id) {
                    if tags {
                        v1.tag_fields = Some(fields.clone());
                    } else {
                        v1.col_fields = Some(fields.clone());
                    }
                }
                match then_bind {
                    Some(values) => self.send_v1_bind(call, stmt_id, tags, &values),
                    None => self.complete(call, Ok(Reply::StmtFields(fields))),
                }
            }
        }
    }
}
