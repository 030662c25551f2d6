//! Prepared statements as the protocol side sees them (stmt2, stmt v1): what `prepare` reports
//! about the placeholders, and the values bound for each table.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

use crate::types::{Field, Precision, Value};

/// What a placeholder binds (the wire's `bind_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindType {
    Column = 1,
    Tag = 2,
    Query = 3,
    TableName = 4,
}

/// One placeholder of a prepared INSERT.
#[derive(Debug, Clone, PartialEq)]
pub struct StmtField {
    /// Name, type and user-visible length of the column/tag (`tbname` VARCHAR for the table name).
    pub field: Field,
    pub bind_type: BindType,
    /// What stmt2 reports as `precision`: the database precision code for TIMESTAMP, else 0
    /// (DECIMAL too: its precision and scale are in `field`).
    pub precision: u8,
    /// What stmt2 reports as `scale` (always 0 in the recordings).
    pub scale: u8,
    /// What stmt2 reports as `bytes` (storage size incl. length prefix; 271 for the table name).
    pub bytes: u32,
}

/// A parsed and checked statement, ready for bound values.
#[derive(Debug, Clone)]
pub struct PreparedStmt {
    pub is_insert: bool,
    /// INSERT: the placeholders in SQL order. Query: empty.
    pub fields: Vec<StmtField>,
    /// Number of `?` in the statement.
    pub param_count: usize,
    /// Precision of the database the statement addresses (timestamps are bound in it).
    pub precision: Precision,
    /// The backend's own plan, carried from `prepare` to `check_bind` / `execute_prepared`.
    pub plan: StmtPlan,
}

/// A backend's plan of a prepared statement: opaque to the protocol side, cheap to clone.
#[derive(Clone)]
pub struct StmtPlan(Arc<dyn Any + Send + Sync>);

impl StmtPlan {
    pub fn new<T: Any + Send + Sync>(plan: T) -> StmtPlan {
        StmtPlan(Arc::new(plan))
    }

    /// The plan, when the backend that prepared the statement stored a `T`.
    pub fn get<T: Any>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl fmt::Debug for StmtPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StmtPlan(..)")
    }
}

/// The values bound for one table of a prepared INSERT.
#[derive(Debug, Clone, Default)]
pub struct BoundTable {
    /// The table name when the statement has `insert into ? …` (may be `db.name`).
    pub name: Option<String>,
    /// One value per tag placeholder, in placeholder order.
    pub tags: Vec<Value>,
    /// One column of values per column placeholder, in placeholder order (all the same length).
    pub columns: Vec<Vec<Value>>,
}
