//! What the protocol side needs from a SQL engine. The real [`Engine`](crate::Engine) implements
//! it; tests and benches can plug in a small fake (e.g. one that serves a prepared result set).


use crate::session::{ConnectionInfo, SessionCtx};
use crate::statement::{BoundTable, PreparedStmt};
use crate::topic::{TmqConsumer, TopicLogMessage};
use crate::types::{code, Answer, Outcome, TdError, Value};

pub trait SqlBackend: Send + Sync + 'static {
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError>;
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError>;

    /// Like `execute`, but a query may answer a [`RowStream`] that produces its rows as they
    /// are fetched (the WebSocket front end, which fetches block by block, asks for this).
    fn execute_streaming(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Answer, TdError> {
        self.execute(ctx, sql).map(Answer::Outcome)
    }
    fn database_exists(&self, db: &str) -> bool;

    /// Whether `user` is a user created by SQL (CREATE USER) whose password is `password`: the
    /// front end then runs the session as that user (`SessionCtx::user`).
    fn login(&self, _user: &str, _password: &str) -> bool {
        false
    }

    /// Whether a user created by SQL has this name (a wrong password is 855, an unknown user 849).
    fn user_exists(&self, _user: &str) -> bool {
        false
    }

    /// Schemaless write (`insert` on `/ws`): protocol 1 line, 2 telnet, 3 JSON into the session's
    /// database; answers (affected rows, total rows). Backends without it refuse the action.
    fn schemaless_insert(
        &self,
        _ctx: &SessionCtx,
        _protocol: i64,
        _precision: &str,
        _data: &str,
        _ttl: i64,
        _table_name_key: Option<&str>,
    ) -> Result<(u64, u64), TdError> {
        Err(TdError::new(code::ADAPTER_GENERIC, "unknown action insert"))
    }

    /// A client connection logged in, or changed its options (`perf_connections`).
    fn connection_changed(&self, _info: ConnectionInfo) {}

    /// A client connection closed.
    fn connection_closed(&self, _conn_id: u32) {}

    /// `stmt2_prepare`: parse a statement with `?` placeholders and describe them.
    fn prepare(&self, _ctx: &SessionCtx, _sql: &str) -> Result<PreparedStmt, TdError> {
        Err(TdError::new(code::TSC_STMT_API_ERROR, "Stmt API usage error"))
    }

    /// stmt v1 `set_table_name` of a qualified `db.child` on a connection without a current
    /// database, for a statement prepared as `insert into ? …`: the table's database is `table_db`.
    fn prepare_for_table(&self, _ctx: &SessionCtx, _sql: &str, _table_db: &str) -> Result<PreparedStmt, TdError> {
        Err(TdError::new(code::TSC_STMT_API_ERROR, "Stmt API usage error"))
    }

    /// `stmt2_bind`: the checks taosd makes on bound values before `stmt2_exec` (e.g. a JSON tag
    /// that is not an object). Nothing is written.
    fn check_bind(&self, _stmt: &PreparedStmt, _tables: &[BoundTable]) -> Result<(), TdError> {
        Ok(())
    }

    /// `stmt2_exec`: inserts → `Affected`, queries → `Rows`.
    fn execute_prepared(
        &self,
        _ctx: &SessionCtx,
        _stmt: &PreparedStmt,
        _tables: Vec<BoundTable>,
        _params: &[Value],
    ) -> Result<Outcome, TdError> {
        Err(TdError::new(code::TSC_STMT_API_ERROR, "Stmt API usage error"))
    }

    /// When a TMQ topic was created (ms), `None` if it does not exist. Tells a re-created topic
    /// from the dropped one, whose consumer groups' offsets went with it.
    fn topic_created(&self, _topic: &str) -> Option<i64> {
        None
    }

    /// A topic's kind: `column` (AS SELECT), `db` (AS DATABASE) or `stable` (AS STABLE); `None`
    /// if it does not exist. Messages of `db` and `stable` topics may carry table names.
    fn topic_kind(&self, _topic: &str) -> Option<&'static str> {
        None
    }

    /// Whether a topic was created `WITH META` (its messages carry metadata changes too).
    fn topic_with_meta(&self, _topic: &str) -> bool {
        false
    }

    /// TMQ: a topic's next message from version `from` of vgroup `vgroup`'s log on (see
    /// `Engine::topic_log`).
    fn topic_log(&self, _topic: &str, _vgroup: i32, _from: i64, _batch_meta: bool) -> Result<Option<TopicLogMessage>, TdError> {
        Err(TdError::new(code::MND_TOPIC_NOT_EXIST, "Topic not exist"))
    }

    /// TMQ: the first version vgroup `vgroup`'s log still keeps for a topic and the version it
    /// gives its next entry (`None`: no topic, or no such vgroup).
    fn topic_log_range(&self, _topic: &str, _vgroup: i32) -> Option<(i64, i64)> {
        None
    }

    /// The vgroup of database `db` that holds (or would hold) table `table` (`None`: no such
    /// database).
    fn table_vgroup(&self, _db: &str, _table: &str) -> Option<i32> {
        None
    }

    /// TMQ: the vgroups of a topic's database (`None`: no topic).
    fn topic_vgroups(&self, _topic: &str) -> Option<Vec<i32>> {
        None
    }

    /// TMQ: the vgroups of `topic` assigned to live consumer `consumer` — its share of its
    /// group's (see `engine::topic::group_assignment`).
    fn tmq_assigned(&self, _consumer: u64, _topic: &str) -> Vec<i32> {
        vec![]
    }

    /// TMQ: `consumer` subscribed (or subscribed again, replacing its registration).
    fn tmq_subscribed(&self, _consumer: TmqConsumer) {}

    /// TMQ: consumer `id` polls (it stays in its group's share of the vgroups).
    fn tmq_polled(&self, _id: u64) {}

    /// TMQ: consumer `id` unsubscribed, or (`closed`) its socket closed: then TDengine rebalances
    /// its topics for a moment, and `drop topic` answers 1007 meanwhile. Answers how long that
    /// rebalance lasts (zero when nothing is rebalanced).
    fn tmq_unsubscribed(&self, _id: u64, _closed: bool) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}
