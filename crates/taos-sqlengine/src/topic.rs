//! What a TMQ consumer is handed (a topic's new rows, table by table), and what the engine
//! knows of live consumers (`show consumers`, `show subscriptions`, `drop topic` refusals).

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
    /// How the raw form of a data message describes each column of `rows`, for database and
    /// stable topics (whole rows of the table); `None` for a query topic's projection, whose
    /// columns are numbered in order without flags.
    pub raw_columns: Option<Vec<RawColumn>>,
}

/// A column as TDengine's raw data messages describe it: the table's column id (a super table
/// numbers its columns, then its tags, then columns added later), and the column's flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawColumn {
    pub id: i16,
    pub flags: u8,
}

/// A live TMQ consumer: the protocol side registers it when it subscribes
/// ([`crate::SqlBackend::tmq_subscribed`]) and removes it when it unsubscribes or its socket
/// closes. While it is registered, its topics cannot be dropped (1003).
#[derive(Debug, Clone, PartialEq)]
pub struct TmqConsumer {
    /// Unique per server (`show consumers` prints it as `0x…`).
    pub id: u64,
    pub group: String,
    pub client_id: String,
    pub user: String,
    pub topics: Vec<String>,
    /// As TDengine prints them: `tbname:1,commit:0,interval:5000ms,reset:latest`.
    pub parameters: String,
    /// When the consumer connected and when it subscribed (epoch ms).
    pub up_time_ms: i64,
    pub subscribe_time_ms: i64,
    /// `max.poll.interval.ms`: a consumer that has not polled for this long is lost to its group
    /// (its vgroups go to the others) until it polls again.
    pub max_poll_interval_ms: i64,
    /// When it last polled (epoch ms; [`crate::SqlBackend::tmq_polled`]).
    pub last_poll_ms: i64,
}

/// A message of a topic `WITH META`: what `Engine::topic_log` hands out.
#[derive(Debug, Clone)]
pub struct TopicLogMessage {
    pub db: String,
    /// Log version of its first entry, and the version after its last (where the consumer
    /// goes on).
    pub version: i64,
    pub next: i64,
    pub body: TopicLogBody,
}

#[derive(Debug, Clone)]
pub enum TopicLogBody {
    /// Metadata changes (message type 2), each as `fetch_json_meta` shows it.
    Meta(Vec<serde_json::Value>),
    /// On a topic `ONLY META`: the child tables one insert created (message type 2, always in
    /// the batched form `{"tmq_meta_version":"1.0","metas":[…]}`).
    Created(Vec<serde_json::Value>),
    /// Rows (message type 1), with the JSON meta of the child tables the statements that
    /// wrote them created: the first child and a `createList` of all (message type 3).
    Data { batches: Vec<TopicBatch>, created: Option<serde_json::Value> },
}
