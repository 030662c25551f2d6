//! The live TMQ consumers the protocol side registered ([`crate::SqlBackend::tmq_subscribed`]):
//! `SHOW CONSUMERS` / `performance_schema.perf_consumers` and `SHOW SUBSCRIPTIONS` /
//! `information_schema.ins_subscriptions`, with TDengine 3.3.7.5's columns.

use crate::engine::catalog::Catalog;
use crate::engine::topic::group_assignment;
use crate::types::{DataType, Field, Precision, ResultSet, Value};

use super::{str_col, vfield};

/// The host name consumers are shown at.
const FQDN: &str = "localhost";

fn consumer_id(id: u64) -> Value {
    str_col(format!("0x{id:x}"))
}

/// One row per consumer and topic.
pub(crate) fn consumers(cat: &Catalog) -> ResultSet {
    let ts = |name: &str| Field::fixed(name, DataType::Timestamp);
    let fields = vec![
        vfield("consumer_id", 32),
        vfield("consumer_group", 193),
        vfield("client_id", 256),
        vfield("user", 24),
        vfield("fqdn", 128),
        vfield("status", 20),
        vfield("topics", 205),
        ts("up_time"),
        ts("subscribe_time"),
        ts("rebalance_time"),
        vfield("parameters", 192),
        ts("poll_time"),
    ];
    let mut rows = Vec::new();
    let now = chrono::Utc::now().timestamp_millis();
    for c in cat.consumers.values() {
        let status = if crate::engine::topic::is_lost(c, now) { "lost" } else { "ready" };
        for topic in &c.topics {
            rows.push(vec![
                consumer_id(c.id),
                str_col(&c.group),
                str_col(&c.client_id),
                str_col(&c.user),
                str_col(FQDN),
                str_col(status),
                str_col(topic),
                Value::Timestamp(c.up_time_ms),
                Value::Timestamp(c.subscribe_time_ms),
                Value::Timestamp(c.subscribe_time_ms),
                str_col(&c.parameters),
                Value::Null,
            ]);
        }
    }
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

/// One row per topic, consumer group and vgroup, naming the live consumer the vgroup is assigned
/// to (`offset` and `rows` are shown by TDengine only for groups without a live consumer: NULL
/// here).
pub(crate) fn subscriptions(cat: &Catalog) -> ResultSet {
    let fields = vec![
        vfield("topic_name", 205),
        vfield("consumer_group", 193),
        Field::fixed("vgroup_id", DataType::Int),
        vfield("consumer_id", 256),
        vfield("user", 24),
        vfield("fqdn", 128),
        vfield("offset", 64),
        Field::fixed("rows", DataType::BigInt),
    ];
    let mut rows = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for c in cat.consumers.values() {
        for topic in &c.topics {
            if !seen.insert((c.group.clone(), topic.clone())) {
                continue;
            }
            for (vg, owner) in group_assignment(cat, &c.group, topic) {
                let user = cat.consumers.get(&owner).map_or("", |o| o.user.as_str());
                rows.push(vec![
                    str_col(topic),
                    str_col(&c.group),
                    Value::Int(i64::from(vg)),
                    consumer_id(owner),
                    str_col(user),
                    str_col(FQDN),
                    Value::Null,
                    Value::Null,
                ]);
            }
        }
    }
    rows.sort_by(|a, b| {
        let key = |r: &Vec<Value>| match (&r[0], &r[1], &r[2]) {
            (Value::Str(t), Value::Str(g), Value::Int(v)) => (t.clone(), g.clone(), *v),
            _ => (String::new(), String::new(), 0),
        };
        key(a).cmp(&key(b))
    });
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}
