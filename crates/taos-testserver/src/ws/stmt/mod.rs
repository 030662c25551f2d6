//! Prepared statements of a connection: the state stmt2 and stmt v1 keep per statement, and the
//! answers both families share. stmt2 is in [`stmt2`] (its binary bind payload in
//! [`stmt2_bind`]), stmt v1 in [`stmt1`] (its raw-block binds in [`stmt1_block`]).

mod stmt1;
pub(super) mod stmt1_block;
mod stmt2;
pub(super) mod stmt2_bind;
mod stmt2_check;

use std::time::Instant;

use serde::{Deserialize, Serialize};
use taos_sqlengine::types::{Outcome, ResultSet, Value};
use taos_sqlengine::{BoundTable, PreparedStmt};

use crate::backend_call::{guarded, run_blocking};

use super::reply::{error_with, ok, Out};
use super::session::{Session, Statement};

#[derive(Serialize)]
pub(super) struct StmtIdResp {
    pub(super) stmt_id: u64,
}

#[derive(Serialize)]
pub(super) struct ExecResp {
    pub(super) stmt_id: u64,
    pub(super) affected: u64,
}

/// The field description of a statement's result set (`stmt2_result`, v1 `use_result`). Lengths
/// are storage sizes including the length prefix, unlike `binary_query` (wire README fact 13).
#[derive(Serialize)]
pub(super) struct StmtResultFields {
    pub(super) fields_count: usize,
    pub(super) fields_names: Vec<String>,
    pub(super) fields_types: Vec<u8>,
    pub(super) fields_lengths: Vec<u32>,
    pub(super) precision: u8,
    pub(super) fields_precisions: Vec<u8>,
    pub(super) fields_scales: Vec<u8>,
}

impl StmtResultFields {
    pub(super) fn of(rs: &ResultSet) -> StmtResultFields {
        StmtResultFields {
            fields_count: rs.fields.len(),
            fields_names: rs.fields.iter().map(|f| f.name.clone()).collect(),
            fields_types: rs.fields.iter().map(|f| f.ty.id()).collect(),
            fields_lengths: rs.fields.iter().map(|f| f.storage_bytes()).collect(),
            precision: rs.precision.code(),
            fields_precisions: rs.fields.iter().map(|f| f.precision).collect(),
            fields_scales: rs.fields.iter().map(|f| f.scale).collect(),
        }
    }
}

#[derive(Deserialize, Default)]
pub(super) struct StmtArgs {
    pub(super) stmt_id: Option<u64>,
}

impl Session {
    /// Registers a statement under the next statement id (one counter for v1 and stmt2).
    pub(crate) fn new_statement(&mut self, statement: Statement) -> u64 {
        let stmt_id = self.next_stmt_id;
        self.next_stmt_id += 1;
        self.stmts.insert(stmt_id, statement);
        stmt_id
    }
}

/// An error answer to a statement action: the envelope and the `stmt_id`.
pub(super) fn stmt_error(code: u16, message: &str, action: &str, req_id: u64, start: Instant, stmt_id: u64) -> Option<Out> {
    error_with(code, message, action, req_id, start, StmtIdResp { stmt_id })
}

impl Session {
    /// `stmt2_exec` / v1 `exec`: runs a prepared statement with what was bound. An insert answers
    /// the rows written; a query's rows wait in the statement for `stmt2_result` / `use_result`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn execute_statement(
        &mut self,
        action: &str,
        stmt_id: u64,
        prepared: &PreparedStmt,
        tables: Vec<BoundTable>,
        params: &[Value],
        req_id: u64,
        start: Instant,
    ) -> Option<Out> {
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let outcome = run_blocking(|| guarded(|| backend.execute_prepared(ctx, prepared, tables, params)));
        match outcome {
            Ok(Outcome::Affected(affected)) => {
                // taosc keeps the insert's result: it has no fields (stmt2_result answers an
                // empty field list for it on 3.3.7.5, with precision 0)
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    s.rows = Some(ResultSet::default());
                }
                ok(action, req_id, start, ExecResp { stmt_id, affected })
            }
            Ok(Outcome::Rows(rs)) => {
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    s.rows = Some(rs);
                }
                ok(action, req_id, start, ExecResp { stmt_id, affected: 0 })
            }
            Err(e) => stmt_error(e.code, &e.message, action, req_id, start, stmt_id),
        }
    }
}
