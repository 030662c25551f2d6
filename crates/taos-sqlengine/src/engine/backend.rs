//! The engine as the protocol side sees it: [`SqlBackend`] over [`Engine`].


use crate::backend::SqlBackend;
use crate::session::SessionCtx;
use crate::statement::{BoundTable, PreparedStmt};
use crate::topic::{TmqConsumer, TopicLogMessage};
use crate::types::{code, Answer, Outcome, TdError, Value};

use super::schemaless::SmlProtocol;
use super::state::Engine;

impl SqlBackend for Engine {
    fn topic_created(&self, topic: &str) -> Option<i64> {
        Engine::topic(self, topic).map(|t| t.create_time_ms)
    }
    fn topic_with_meta(&self, topic: &str) -> bool {
        Engine::topic(self, topic).is_some_and(|t| t.with_meta)
    }
    fn topic_log(&self, topic: &str, vgroup: i32, from: i64, batch_meta: bool) -> Result<Option<TopicLogMessage>, TdError> {
        Engine::topic_log(self, topic, vgroup, from, batch_meta)
    }
    fn topic_log_range(&self, topic: &str, vgroup: i32) -> Option<(i64, i64)> {
        Engine::topic_log_range(self, topic, vgroup)
    }
    fn table_vgroup(&self, db: &str, table: &str) -> Option<i32> {
        Some(self.read().dbs.get(db)?.wal.vgroups().id_of(table))
    }
    fn topic_vgroups(&self, topic: &str) -> Option<Vec<i32>> {
        Engine::topic_vgroups(self, topic)
    }
    fn tmq_assigned(&self, consumer: u64, topic: &str) -> Vec<i32> {
        Engine::tmq_assigned(self, consumer, topic)
    }
    fn topic_kind(&self, topic: &str) -> Option<&'static str> {
        Engine::topic(self, topic).map(|t| t.kind)
    }
    fn connection_changed(&self, info: crate::session::ConnectionInfo) {
        self.write().connections.insert(info.conn_id, info);
    }
    fn connection_closed(&self, conn_id: u32) {
        self.write().connections.remove(&conn_id);
    }
    fn tmq_subscribed(&self, consumer: TmqConsumer) {
        Engine::tmq_subscribed(self, consumer)
    }
    fn tmq_polled(&self, id: u64) {
        if let Some(c) = self.write().consumers.get_mut(&id) {
            c.last_poll_ms = chrono::Utc::now().timestamp_millis();
        }
    }
    fn tmq_unsubscribed(&self, id: u64, closed: bool) -> std::time::Duration {
        Engine::tmq_unsubscribed(self, id, closed)
    }
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        Engine::execute(self, ctx, sql)
    }
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        Engine::validate(self, ctx, sql)
    }
    fn execute_streaming(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Answer, TdError> {
        Engine::execute_streaming(self, ctx, sql)
    }
    fn database_exists(&self, db: &str) -> bool {
        Engine::database_exists(self, db)
    }
    fn login(&self, user: &str, password: &str) -> bool {
        Engine::login(self, user, password)
    }
    fn user_exists(&self, user: &str) -> bool {
        self.read().users.users.contains_key(user)
    }
    fn schemaless_insert(
        &self,
        ctx: &SessionCtx,
        protocol: i64,
        precision: &str,
        data: &str,
        ttl: i64,
        table_name_key: Option<&str>,
    ) -> Result<(u64, u64), TdError> {
        let Some(protocol) = SmlProtocol::from_code(protocol) else {
            return Err(TdError::new(0x3000, "Invalid line protocol type"));
        };
        let Some(db) = ctx.db.as_deref() else {
            // j_stmt_without_db: 0x2616, as the parser says it
            return Err(TdError::new(code::PAR_DB_NOT_SPECIFIED, "Database not specified"));
        };
        Engine::schemaless_insert_ttl(self, db, protocol, precision, data, table_name_key, ttl)
    }
    fn prepare(&self, ctx: &SessionCtx, sql: &str) -> Result<PreparedStmt, TdError> {
        Engine::prepare(self, ctx, sql)
    }
    fn prepare_for_table(&self, ctx: &SessionCtx, sql: &str, table_db: &str) -> Result<PreparedStmt, TdError> {
        Engine::prepare_for_table(self, ctx, sql, table_db)
    }
    fn execute_prepared(
        &self,
        ctx: &SessionCtx,
        stmt: &PreparedStmt,
        tables: Vec<BoundTable>,
        params: &[Value],
    ) -> Result<Outcome, TdError> {
        Engine::execute_prepared(self, ctx, stmt, tables, params)
    }
    fn check_bind(&self, stmt: &PreparedStmt, tables: &[BoundTable]) -> Result<(), TdError> {
        Engine::check_insert_bind(self, stmt, tables)
    }
}
