//! What a TMQ consumer is handed: a topic's new rows, table by table.

use crate::types::ResultSet;

/// New rows of one table of a topic.
#[derive(Debug, Clone)]
pub struct TopicBatch {
    pub db: String,
    /// The child or normal table the rows belong to.
    pub table: String,
    /// Its super table, for child tables.
    pub stable: Option<String>,
    /// The rows: the topic's projection (`AS SELECT`) or every column (`AS DATABASE/STABLE`),
    /// in timestamp order, in the database precision.
    pub rows: ResultSet,
    /// Largest timestamp of the table this batch covered (pass it back in `after` to continue);
    /// `rows` may be empty when the topic's filter dropped them all.
    pub last_ts: i64,
}
