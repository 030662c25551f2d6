//! What the session knows of each statement the server holds (one state per kind) and what a
//! pending statement request does with its reply. The calls are in `stmt1.rs` and `stmt2.rs`;
//! this file is the data both share, so neither reaches into the other.

use crate::bind::{BindColumn, StmtField};
use crate::stmt2::Stmt2Prepared;

/// What a pending statement request does with its reply.
#[derive(Debug)]
pub(super) enum StmtOp {
    Init { v2: bool },
    Prepare2 { stmt_id: u64 },
    Prepare1 { stmt_id: u64 },
    /// Replies with nothing but success (set_table_name, set_tags, close).
    Done,
    /// A bind (stmt2 or v1 columns) the server accepted.
    Bound { stmt_id: u64 },
    /// v1 `add_batch`.
    Batched { stmt_id: u64 },
    /// v1 `add_batch` sent by `exec` for rows bound since the last batch; `exec` follows.
    BatchThenExec { stmt_id: u64 },
    Exec { stmt_id: u64, v2: bool },
    /// `stmt2_result` / `use_result`.
    Result { stmt_id: u64, v2: bool },
    Fields { stmt_id: u64, tags: bool },
    /// v1 insert: the placeholders were unknown; bind these values once they arrive.
    FieldsThenBind { stmt_id: u64, tags: bool, values: Vec<BindColumn> },
}

/// A statement the server holds for us.
#[derive(Debug)]
pub(super) enum StmtState {
    V2(V2State),
    V1(V1State),
}

#[derive(Debug, Default)]
pub(super) struct V1State {
    /// `None` until `prepare` answered (and after a failed prepare).
    pub is_insert: Option<bool>,
    pub sql: String,
    pub table: Option<String>,
    pub tag_fields: Option<Vec<StmtField>>,
    pub col_fields: Option<Vec<StmtField>>,
    /// Rows were bound (and accepted) since the last `add_batch`.
    pub bound: bool,
    /// Batches accepted since the last `exec`.
    pub batches: u32,
    pub executed_query: bool,
}

/// Where a stmt2 statement stands.
#[derive(Debug, Default)]
pub(super) struct V2State {
    /// The last successful prepare; `None` before it, while a new prepare is in flight and after
    /// a failed one.
    pub prepared: Option<Stmt2Prepared>,
    /// A bind was accepted by the server since the prepare or the last exec.
    pub bound: bool,
    /// The last exec ran a query whose result can be read.
    pub executed_query: bool,
    /// The SQL of the last prepare (its target table describes DECIMAL placeholders).
    pub sql: String,
}
