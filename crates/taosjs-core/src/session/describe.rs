//! DECIMAL placeholders described without precision and scale: taosAdapter 3.3.7 reports them
//! with precision 0 (stmt2 `fields`, stmt v1 `get_*_fields`), yet values can be encoded and
//! range-checked only with the column's declared DECIMAL(p,s). The session then reads the target
//! table's `DESCRIBE` itself (one binary query, its blocks decoded here) before it completes
//! the prepare, so every bind is checked against the declared type, as SQL is.

use super::{Action, CallId, Expect, Frame, Session, Waiting};
use crate::bind::StmtField;
use crate::decimals::{self, describe_failed, insert_target};
use crate::error::{Error, ErrorKind};
use crate::message::{self, BinaryReply, JsonReply};
use crate::stmt2::Stmt2Prepared;

/// Whose placeholders are being described.
#[derive(Debug)]
pub(super) enum DescribeFor {
    Stmt2 { stmt_id: u64, prepared: Stmt2Prepared },
    V1Fields { stmt_id: u64, tags: bool, fields: Vec<StmtField>, then_bind: Option<Vec<crate::bind::BindColumn>> },
}

impl DescribeFor {
    fn fields_mut(&mut self) -> &mut [StmtField] {
        match self {
            DescribeFor::Stmt2 { prepared, .. } => &mut prepared.fields,
            DescribeFor::V1Fields { fields, .. } => fields,
        }
    }

    fn needs_describe(&mut self) -> bool {
        decimals::needs_describe(self.fields_mut())
    }
}

#[derive(Debug)]
pub(super) struct DescribeJob {
    target: DescribeFor,
    /// The table to describe (the insert's target, or the v1 table name).
    table: Option<String>,
}

impl DescribeJob {
    pub fn new(target: DescribeFor, sql: &str, v1_table: Option<&str>) -> DescribeJob {
        let table = insert_target(sql).or_else(|| v1_table.map(str::to_owned));
        DescribeJob { target, table }
    }

}

impl Session {
    /// Completes `call` for `job.target` once its DECIMAL placeholders are described (at once
    /// when none needs it).
    pub(super) fn describe_then(&mut self, call: CallId, mut job: DescribeJob) {
        let table = job.table.clone();
        if !job.target.needs_describe() || self.check_connected().is_err() {
            return self.finish_described(call, job.target);
        }
        let Some(table) = table else {
            // Without a table there is nothing to describe; binds of those decimals say so.
            return self.finish_described(call, job.target);
        };
        let req_id = self.alloc_req_id();
        match message::binary_query_request(req_id, &format!("describe {table}")) {
            Ok(frame) => self.send(
                req_id,
                Expect::Json(Action::BinaryQuery),
                Waiting::Describe { call, job: Box::new(job), result_id: None },
                Frame::Binary(frame.into()),
            ),
            Err(e) => self.complete(call, Err(e)),
        }
    }

    /// The `DESCRIBE` query answered: fetch its rows.
    pub(super) fn on_describe_query(&mut self, call: CallId, job: Box<DescribeJob>, reply: JsonReply) {
        let info = match reply.check(ErrorKind::Statement).and_then(|()| reply.query_info()) {
            Ok(info) => info,
            Err(e) => return self.complete(call, Err(describe_failed(job.table.as_deref(), e))),
        };
        self.describe_fetch(call, job, info.result_id);
    }

    fn describe_fetch(&mut self, call: CallId, job: Box<DescribeJob>, result_id: u64) {
        let req_id = self.alloc_req_id();
        let frame = Frame::Binary(message::fetch_raw_block_request(req_id, result_id).into());
        let waiting = Waiting::Describe { call, job, result_id: Some(result_id) };
        self.send(req_id, Expect::Binary(Action::FetchRawBlock), waiting, frame);
    }

    /// A block of the `DESCRIBE` rows (or its end).
    pub(super) fn on_describe_block(&mut self, call: CallId, mut job: Box<DescribeJob>, result_id: u64, bytes: &[u8]) {
        match message::parse_binary_reply(bytes) {
            Ok(BinaryReply { code: 0, finished: false, block: Some(raw), .. }) => {
                match crate::block::decode_block(&bytes[raw]) {
                    Ok(block) => {
                        decimals::apply_describe_block(job.target.fields_mut(), &block);
                        self.describe_fetch(call, job, result_id);
                    }
                    Err(e) => {
                        self.free_result_unanswered(result_id);
                        self.complete(call, Err(describe_failed(job.table.as_deref(), e)));
                    }
                }
            }
            Ok(BinaryReply { code: 0, .. }) => self.finish_described(call, job.target),
            Ok(BinaryReply { code, message, .. }) => {
                let e = Error::with_code(ErrorKind::Statement, (code & 0xFFFF) as i32, message);
                self.complete(call, Err(describe_failed(job.table.as_deref(), e)))
            }
            Err(e) => self.unreadable_binary(call, e),
        }
    }

    fn free_result_unanswered(&mut self, result_id: u64) {
        let req_id = self.alloc_req_id();
        self.send_unanswered(message::free_result_request(req_id, result_id));
    }
}

