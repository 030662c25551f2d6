//! TMQ topics: `CREATE TOPIC` / `DROP TOPIC`, and their data — the rows a consumer has not seen
//! yet, per table, computed from the topic's definition (`AS SELECT`, `AS DATABASE`,
//! `AS STABLE … [WHERE]`).

use std::collections::HashMap;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::topic::TopicBatch;
use crate::types::{code, TdError};

use super::catalog::{resolve_db, Catalog, TableKind, Topic};
use super::errors::{db_not_exist, err};
use crate::topic::TmqConsumer;
use super::query::{has_agg_call, run_query};
use super::state::Engine;

impl Engine {
    /// Rows of `topic` with a timestamp greater than `after[table]` (every row of a table that
    /// has no entry), table by table, at most about `max_rows` in total.
    pub fn topic_rows(
        &self,
        topic: &str,
        after: &HashMap<String, i64>,
        max_rows: usize,
    ) -> Result<Vec<TopicBatch>, TdError> {
        let t = self
            .topic(topic)
            .ok_or_else(|| err(993, "Topic not exist"))?;
        let cat = self.read();
        let db = cat.dbs.get(&t.db).ok_or_else(db_not_exist)?;
        // (table, stable, base select) for every table the topic covers
        let mut plans: Vec<(String, Option<String>, Select, Vec<OrderItem>)> = Vec::new();
        let star = |name: &str, where_: Option<Expr>| Select {
            distinct: false,
            items: vec![SelectItem {
                expr: Expr::Star { table: None },
                alias: None,
                text: "*".into(),
            }],
            from: Some(FromItem::Table {
                name: TableName {
                    db: Some(t.db.clone()),
                    name: name.to_string(),
                },
                alias: None,
            }),
            where_,
            partition_by: vec![],
            window: None,
            group_by: vec![],
            having: None,
        };
        let children = |st: &str| -> Vec<String> {
            db.children_of(st)
                .into_iter()
                .map(|c| c.name.clone())
                .collect()
        };
        match &t.source {
            TopicSource::Database(_) => {
                for tb in db.tables_in_order() {
                    let st = match &tb.kind {
                        TableKind::Child { stable, .. } => Some(stable.clone()),
                        TableKind::Normal { .. } => None,
                    };
                    plans.push((tb.name.clone(), st, star(&tb.name, None), vec![]));
                }
            }
            TopicSource::Stable { name, where_ } => {
                for c in children(&name.name) {
                    plans.push((
                        c.clone(),
                        Some(name.name.clone()),
                        star(&c, where_.clone()),
                        vec![],
                    ));
                }
            }
            TopicSource::Query(q) => {
                let Some(sel) = q.selects.first() else {
                    return Ok(vec![]);
                };
                let Some(FromItem::Table { name, .. }) = &sel.from else {
                    return Ok(vec![]);
                };
                let tables: Vec<(String, Option<String>)> = if db.stables.contains_key(&name.name) {
                    children(&name.name)
                        .into_iter()
                        .map(|c| (c, Some(name.name.clone())))
                        .collect()
                } else {
                    vec![(name.name.clone(), None)]
                };
                for (tb, st) in tables {
                    let mut s = sel.clone();
                    s.from = Some(FromItem::Table {
                        name: TableName {
                            db: Some(t.db.clone()),
                            name: tb.clone(),
                        },
                        alias: None,
                    });
                    plans.push((tb, st, s, vec![]));
                }
            }
        }
        let ctx = SessionCtx {
            db: Some(t.db.clone()),
            ..Default::default()
        };
        let mut out = Vec::new();
        let mut budget = max_rows.max(1);
        for (table, stable, mut sel, order_by) in plans {
            if budget == 0 {
                break;
            }
            let Some(tbl) = db.tables.get(&table) else {
                continue;
            };
            let ts_name = db
                .columns_of(tbl)
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "ts".into());
            let ts_data = &tbl.data.ts;
            let from = after.get(&table).copied();
            let pending = match from {
                Some(a) => ts_data.len() - ts_data.partition_point(|&x| x <= a),
                None => ts_data.len(),
            };
            if pending == 0 {
                continue;
            }
            // only the next `budget` timestamps of this table
            let start = ts_data.len() - pending;
            let end = (start + budget).min(ts_data.len());
            let (lo, hi) = (ts_data[start], ts_data[end - 1]);
            let col = || {
                Box::new(Expr::Column {
                    table: None,
                    name: ts_name.clone(),
                })
            };
            let range = Expr::Binary {
                op: BinOp::And,
                left: Box::new(Expr::Binary {
                    op: BinOp::Ge,
                    left: col(),
                    right: Box::new(Expr::Int(lo as i128)),
                }),
                right: Box::new(Expr::Binary {
                    op: BinOp::Le,
                    left: col(),
                    right: Box::new(Expr::Int(hi as i128)),
                }),
            };
            sel.where_ = Some(match sel.where_.take() {
                Some(w) => Expr::Binary {
                    op: BinOp::And,
                    left: Box::new(w),
                    right: Box::new(range),
                },
                None => range,
            });
            let q = Query {
                selects: vec![sel],
                union_distinct: false,
                order_by,
                slimit: None,
                limit: None,
            };
            let rows = run_query(self, &cat, &ctx, &q)?;
            budget = budget.saturating_sub(end - start);
            // a batch whose rows were all filtered out still reports the progress (`last_ts`)
            out.push(TopicBatch {
                db: t.db.clone(),
                table,
                stable,
                rows,
                last_ts: hi,
            });
        }
        Ok(out)
    }
}

/// How long `drop topic` answers 1007 after a subscribed consumer's socket closed (TDengine
/// rebalances its vgroups; recorded: 1–3 s, sometimes not at all).
const REBALANCE_MS: i64 = 2_000;

impl Engine {
    /// Registers a live consumer (replacing its earlier registration).
    pub fn tmq_subscribed(&self, consumer: TmqConsumer) {
        let mut cat = self.write();
        for t in &consumer.topics {
            cat.rebalancing.remove(t);
        }
        cat.consumers.insert(consumer.id, consumer);
    }

    /// Removes a consumer; when its socket `closed`, its topics are being rebalanced for a moment.
    pub fn tmq_unsubscribed(&self, id: u64, closed: bool) {
        let mut cat = self.write();
        let Some(c) = cat.consumers.remove(&id) else { return };
        if closed {
            let until = chrono::Utc::now().timestamp_millis() + REBALANCE_MS;
            for t in c.topics {
                cat.rebalancing.insert(t, until);
            }
        }
    }
}

/// `CREATE TOPIC`: a topic on a database, a super table (optionally filtered) or a plain
/// projection query (aggregates, windows, grouping, ordering and limits are refused with 9785).
/// Topics `WITH META` / `ONLY META` are refused (0x0100): this server delivers no meta messages.
#[allow(clippy::too_many_arguments)]
pub(super) fn create_topic(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    sql: &str,
    name: String,
    if_not_exists: bool,
    meta: Option<&'static str>,
    source: TopicSource,
) -> Result<(), TdError> {
    if let Some(meta) = meta {
        return Err(err(
            code::OPS_NOT_SUPPORT,
            format!("Operation not supported: topics {meta} (meta messages) are not served by the embedded test server"),
        ));
    }
    if cat.topics.contains_key(&name) {
        if if_not_exists {
            return Ok(());
        }
        return Err(err(992, "Topic already exists"));
    }
    let (db, kind) = match &source {
        TopicSource::Database(d) => {
            if !cat.dbs.contains_key(d) {
                return Err(db_not_exist());
            }
            (d.clone(), "db")
        }
        TopicSource::Stable { name: st, .. } => {
            let d = resolve_db(cat, ctx, st.db.as_deref())?;
            if !d.stables.contains_key(&st.name) {
                return Err(err(code::MND_STB_NOT_EXIST, "STable not exist"));
            }
            (d.name.clone(), "stable")
        }
        TopicSource::Query(q) => {
            let invalid = || err(9785, "Invalid topic query");
            let s = &q.selects[0];
            if q.selects.len() != 1
                || !q.order_by.is_empty()
                || s.window.is_some()
                || !s.group_by.is_empty()
                || !s.partition_by.is_empty()
                || q.limit.is_some()
            {
                return Err(invalid());
            }
            let Some(FromItem::Table { name: tn, .. }) = &s.from else {
                return Err(invalid());
            };
            let d = resolve_db(cat, ctx, tn.db.as_deref())?;
            run_query(engine, cat, ctx, q)?;
            if s.items.iter().any(|i| has_agg_call(&i.expr)) {
                return Err(invalid());
            }
            (d.name.clone(), "column")
        }
    };
    let text = sql.trim().trim_end_matches(';').trim_end().to_string();
    cat.topics.insert(
        name.clone(),
        Topic {
            name,
            db,
            kind,
            sql: text,
            source,
            create_time_ms: chrono::Utc::now().timestamp_millis(),
        },
    );
    Ok(())
}

/// `DROP TOPIC`: refused while a consumer is subscribed (1003) and for a moment after one's
/// socket closed (1007), as TDengine does.
pub(super) fn drop_topic(cat: &mut Catalog, name: &str, if_exists: bool) -> Result<(), TdError> {
    if cat.topics.contains_key(name) {
        if cat.consumers.values().any(|c| c.topics.iter().any(|t| t == name)) {
            return Err(err(code::MND_TOPIC_SUBSCRIBED, "Topic subscribed cannot be dropped"));
        }
        let now = chrono::Utc::now().timestamp_millis();
        if cat.rebalancing.get(name).is_some_and(|&until| now < until) {
            return Err(err(code::MND_TOPIC_REBALANCING, "Topic being rebalanced"));
        }
    }
    cat.rebalancing.remove(name);
    if cat.topics.remove(name).is_none() && !if_exists {
        return Err(err(993, "Topic not exist"));
    }
    Ok(())
}
