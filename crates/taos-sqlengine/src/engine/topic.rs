//! TMQ topics: `CREATE TOPIC` / `DROP TOPIC`, and their data — the rows a consumer has not seen
//! yet, per table, computed from the topic's definition (`AS SELECT`, `AS DATABASE`,
//! `AS STABLE … [WHERE]`).

use std::collections::HashMap;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::topic::{RawColumn, TopicBatch, TopicLogBody, TopicLogMessage};

use super::wal::{LoggedRows, LoggedTimestamps, WalItem};
use crate::types::{code, TdError};

use super::catalog::{resolve_db, Catalog, STable, TableKind, Topic};
use super::errors::{db_not_exist, err};
use crate::topic::TmqConsumer;
use super::query::{has_agg_call, run_query};
use super::state::Engine;

impl Engine {
    /// The topic's rows of each table it covers (only those of `vgroup` when given) whose
    /// timestamps `pick(table, timestamps)` selects, as index ranges each with a key, run through
    /// the topic's query: one batch per range, with its key.
    fn topic_batches(
        &self,
        topic: &str,
        vgroup: Option<i32>,
        pick: &mut dyn FnMut(&str, &[i64]) -> Vec<(usize, usize, usize)>,
    ) -> Result<Vec<(usize, TopicBatch)>, TdError> {
        let t = self
            .topic(topic)
            .ok_or_else(|| err(993, "Topic not exist"))?;
        let cat = self.read();
        self.topic_batches_in(&cat, &t, vgroup, pick)
    }

    /// [`Engine::topic_batches`] over the tables of `cat` (the catalog, or a view of one table).
    fn topic_batches_in(
        &self,
        cat: &Catalog,
        t: &Topic,
        vgroup: Option<i32>,
        pick: &mut dyn FnMut(&str, &[i64]) -> Vec<(usize, usize, usize)>,
    ) -> Result<Vec<(usize, TopicBatch)>, TdError> {
        let db = cat.dbs.get(&t.db).ok_or_else(db_not_exist)?;
        // (table, stable, base select) for every table the topic covers
        let mut plans: Vec<(String, Option<String>, Select, Vec<OrderItem>)> = Vec::new();
        let whole_rows = !matches!(t.source, TopicSource::Query(_));
        let star = |name: &str, where_: Option<Expr>| Select {
            distinct: false,
            items: vec![SelectItem {
                expr: Expr::Star { table: None },
                alias: None,
                text: "*".into(),
                cols_args: vec![],
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
        for (table, stable, sel, order_by) in plans {
            let Some(tbl) = db.tables.get(&table) else {
                continue;
            };
            if vgroup.is_some_and(|v| db.wal.vgroups().id_of(&table) != v) {
                continue;
            }
            let ts_name = db
                .columns_of(tbl)
                .first()
                .map(|c| c.name.clone())
                .unwrap_or_else(|| "ts".into());
            let ts_data = &tbl.data.ts;
            for (start, end, key) in pick(&table, ts_data) {
            if start >= end || end > ts_data.len() {
                continue;
            }
            let (lo, hi) = (ts_data[start], ts_data[end - 1]);
            let mut sel = sel.clone();
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
                order_by: order_by.clone(),
                slimit: None,
                limit: None,
            };
            let rows = run_query(self, cat, &ctx, &q)?;
            let raw_columns = whole_rows.then(|| raw_columns(db, tbl));
            out.push((key, TopicBatch {
                db: t.db.clone(),
                table: table.clone(),
                stable: stable.clone(),
                rows,
                last_ts: hi,
                raw_columns,
            }));
            }
        }
        Ok(out)
    }
}

impl Engine {
    /// The next message of a topic from version `from` of vgroup `vgroup`'s log on, as a vnode
    /// reads its WAL: the rows of consecutive statements, one block per statement and table in
    /// the order they were written (a row written twice is delivered twice). A topic `WITH META`
    /// also gets consecutive metadata changes (all of them with `batch_meta`, else one) and the
    /// child tables the statements created; other topics skip the metadata. Rows of tables
    /// dropped since are skipped, as TDengine does; a stable topic sees only its super table and
    /// children. `None` when nothing is left to deliver; a message without rows (the topic's
    /// WHERE kept none) only moves the position on.
    pub fn topic_log(&self, topic: &str, vgroup: i32, from: i64, batch_meta: bool) -> Result<Option<TopicLogMessage>, TdError> {
        let t = self.topic(topic).ok_or_else(|| err(993, "Topic not exist"))?;
        let only_stable = match &t.source {
            TopicSource::Stable { name, .. } => Some(name.name.clone()),
            _ => None,
        };
        let concerns = |stable: Option<&str>| only_stable.as_deref().is_none_or(|s| stable == Some(s));
        let (with_meta, only_meta) = (t.with_meta, t.only_meta);
        let whole_rows = !matches!(t.source, TopicSource::Query(_));
        let mut metas = Vec::new();
        // what the statements wrote, in log order: (table, timestamps, columns then)
        let mut blocks: Vec<(String, LoggedTimestamps, usize)> = Vec::new();
        // blocks some of whose rows a DELETE removed since: a view of the table holding the
        // block's rows as written (TDengine delivers them from its WAL)
        let mut views: Vec<(usize, Catalog)> = Vec::new();
        let mut rows = 0;
        let mut created = Vec::new();
        let mut first = None;
        let mut next = from;
        {
            let cat = self.read();
            let db = cat.dbs.get(&t.db).ok_or_else(db_not_exist)?;
            let Some(v) = db.wal.vgroups().index_of_id(vgroup) else { return Err(vgroup_not_owned()) };
            for e in db.wal.since(v, from) {
                match &e.item {
                    // ONLY META topics get no deletes (checked on 3.3.7.5)
                    WalItem::Meta { json, .. } if !with_meta || (only_meta && json["type"] == "delete") => {
                        if blocks.is_empty() {
                            next = e.version + 1;
                        }
                    }
                    WalItem::Meta { stable, json } => {
                        if !blocks.is_empty() {
                            break;
                        }
                        next = e.version + 1;
                        if concerns(stable.as_deref()) {
                            first.get_or_insert(e.version);
                            metas.push(json.clone());
                            if !batch_meta {
                                break;
                            }
                        }
                    }
                    WalItem::Rows { created: made, .. } if only_meta => {
                        // ONLY META: no rows; the children an insert created are one message
                        // of their own, in the batched form (TDengine 3.3.7.5)
                        if !metas.is_empty() {
                            break;
                        }
                        next = e.version + 1;
                        let made: Vec<_> = made.iter().filter(|c| concerns(c["using"].as_str())).collect();
                        if !made.is_empty() {
                            first.get_or_insert(e.version);
                            created.extend(made.into_iter().map(|c| super::wal::create_child_json(c, vec![])));
                            break;
                        }
                    }
                    WalItem::Rows { tables, created: made } => {
                        if !metas.is_empty() || blocks.len() >= MAX_LOG_TABLES || rows >= MAX_LOG_ROWS {
                            break;
                        }
                        next = e.version + 1;
                        let live: Vec<&LoggedRows> = tables
                            .iter()
                            .filter(|w| db.tables.contains_key(&w.table) && concerns(db.stable_of(&w.table).as_deref()))
                            .collect();
                        if live.is_empty() {
                            continue;
                        }
                        first.get_or_insert(e.version);
                        for w in live {
                            rows += w.ts.len();
                            if let Some(view) = view_with_removed_rows(db, &w.table, &w.ts, e.version) {
                                views.push((blocks.len(), view));
                            }
                            blocks.push((w.table.clone(), w.ts.clone(), w.columns));
                        }
                        if with_meta {
                            created.extend(made.iter().filter(|c| concerns(c["using"].as_str())).cloned());
                        }
                    }
                }
            }
        }
        let version = match first {
            Some(v) => v,
            None if next > from => from,
            None => return Ok(None),
        };
        let body = if only_meta && !created.is_empty() {
            TopicLogBody::Created(created)
        } else if !metas.is_empty() {
            TopicLogBody::Meta(metas)
        } else {
            // each block's rows: the runs of consecutive rows its timestamps are in the table now
            let mut by_table: HashMap<&str, Vec<usize>> = HashMap::new();
            for (i, (table, ..)) in blocks.iter().enumerate() {
                if !views.iter().any(|(b, _)| *b == i) {
                    by_table.entry(table.as_str()).or_default().push(i);
                }
            }
            let mut picked = self.topic_batches(topic, None, &mut |table, ts| {
                let mut runs = Vec::new();
                for &b in by_table.get(table).map_or(&[][..], |v| v.as_slice()) {
                    for x in blocks[b].1.iter() {
                        let i = ts.partition_point(|&y| y < x);
                        if ts.get(i) != Some(&x) {
                            continue; // gone since (rewritten with the table?)
                        }
                        let end = i + ts[i..].partition_point(|&y| y == x);
                        match runs.last_mut() {
                            Some((_, e, k)) if *k == b && *e == i => *e = end,
                            _ => runs.push((i, end, b)),
                        }
                    }
                }
                runs
            })?;
            for (b, view) in &views {
                picked.extend(self.topic_batches_in(view, &t, None, &mut |table, ts| {
                    if table == blocks[*b].0 { vec![(0, ts.len(), *b)] } else { vec![] }
                })?);
            }
            // one batch per block, in log order
            let mut merged: Vec<Option<TopicBatch>> = (0..blocks.len()).map(|_| None).collect();
            for (b, batch) in picked {
                match &mut merged[b] {
                    Some(m) => {
                        for (dst, src) in m.rows.columns.iter_mut().zip(batch.rows.columns) {
                            dst.extend(src);
                        }
                        m.last_ts = batch.last_ts;
                    }
                    slot => *slot = Some(batch),
                }
            }
            let mut batches = Vec::new();
            for (b, batch) in merged.into_iter().enumerate() {
                let Some(mut batch) = batch.filter(|x| x.rows.num_rows() > 0) else { continue };
                // rows of a database or stable topic carry the columns their table had when
                // they were written (a query topic's are its select list)
                let n = blocks[b].2;
                if whole_rows && n > 0 && n < batch.rows.fields.len() {
                    batch.rows.fields.truncate(n);
                    batch.rows.columns.truncate(n);
                    if let Some(raw) = batch.raw_columns.as_mut() {
                        raw.truncate(n);
                    }
                }
                batches.push(batch);
            }
            let list = if created.len() > 1 { created.clone() } else { Vec::new() };
            let created = created.first().map(|c| super::wal::create_child_json(c, list));
            TopicLogBody::Data { batches, created }
        };
        Ok(Some(TopicLogMessage { db: t.db, version, next, body }))
    }

    /// What vgroup `vgroup`'s log keeps for a topic: the first version still there and the
    /// version its next entry will get; `None` if the topic does not exist or its database has no
    /// such vgroup.
    pub fn topic_log_range(&self, topic: &str, vgroup: i32) -> Option<(i64, i64)> {
        let t = self.topic(topic)?;
        let cat = self.read();
        let wal = &cat.dbs.get(&t.db)?.wal;
        let v = wal.vgroups().index_of_id(vgroup)?;
        Some((wal.begin(v), wal.end(v)))
    }

    /// The vgroups of a topic's database, `None` if the topic does not exist.
    pub fn topic_vgroups(&self, topic: &str) -> Option<Vec<i32>> {
        let t = self.topic(topic)?;
        Some(self.read().dbs.get(&t.db)?.wal.vgroups().ids().to_vec())
    }

    /// The vgroups of `topic` that consumer `consumer` is assigned (see [`group_assignment`]).
    pub fn tmq_assigned(&self, consumer: u64, topic: &str) -> Vec<i32> {
        let cat = self.read();
        let Some(c) = cat.consumers.get(&consumer) else { return vec![] };
        group_assignment(&cat, &c.group, topic)
            .into_iter()
            .filter_map(|(vg, owner)| (owner == consumer).then_some(vg))
            .collect()
    }
}

/// Column flags of TDengine's schemas (`COL_SMA_ON`, `COL_IS_KEY`, `COL_HAS_TYPE_MOD`).
const COL_SMA_ON: u8 = 0x1;
const COL_IS_KEY: u8 = 0x4;
const COL_HAS_TYPE_MOD: u8 = 0x80;

/// Ids and flags of a table's columns as TDengine 3.3.7.5 keeps them (recorded in
/// l_tmq_with_meta): a super table's columns are numbered first, its tags next, and a column
/// added by ALTER after those; columns it was created with have SMA on, one added by ALTER to a
/// super table only the type-mod flag (the mnode gives every added column one). A normal table
/// numbers its columns in order, SMA on. Primary keys and DECIMALs carry their flags too.
fn raw_columns(db: &super::catalog::Database, table: &super::catalog::Table) -> Vec<RawColumn> {
    let own = |c: &super::catalog::ColumnSchema, sma: bool| {
        let mut flags = if sma { COL_SMA_ON } else { COL_HAS_TYPE_MOD };
        if c.primary_key {
            flags |= COL_IS_KEY;
        }
        if c.ty.is_decimal() {
            flags |= COL_HAS_TYPE_MOD;
        }
        flags
    };
    match &table.kind {
        TableKind::Normal { columns } => {
            columns.iter().enumerate().map(|(i, c)| RawColumn { id: i as i16 + 1, flags: own(c, true) }).collect()
        }
        TableKind::Child { stable, .. } => {
            let Some(st) = db.stables.get(stable) else { return vec![] };
            let original = st.columns.iter().filter(|c| !st.no_sma.contains(&c.name)).count();
            let mut next_added = (original + st.tags.len()) as i16;
            let mut next_original = 0i16;
            st.columns
                .iter()
                .map(|c| {
                    if st.no_sma.contains(&c.name) {
                        next_added += 1;
                        RawColumn { id: next_added, flags: own(c, false) }
                    } else {
                        next_original += 1;
                        RawColumn { id: next_original, flags: own(c, true) }
                    }
                })
                .collect()
        }
    }
}

/// Has the consumer gone longer than its `max.poll.interval.ms` without polling?
pub(crate) fn is_lost(c: &TmqConsumer, now_ms: i64) -> bool {
    now_ms.saturating_sub(c.last_poll_ms) >= c.max_poll_interval_ms
}

fn retention_is_zero(db: &super::catalog::Database) -> bool {
    db.options.extra.get("wal_retention_period").is_some_and(|p| p == "0")
}

/// A topic needs the WAL: none on a database that keeps it for no time, and such a database
/// keeps its topics' WAL (TDengine's mnode refuses both, 0x038C).
pub(crate) fn retention_period_zero() -> TdError {
    err(0x038C, "WAL retention period is zero")
}

fn vgroup_not_owned() -> TdError {
    err(0x4008, "VgId does not belong to this consumer")
}

/// How a consumer group's live consumers share a topic's vgroups: `(vgroup id, consumer id)`
/// for each vgroup, dealt in turn to the group's consumers in the order they subscribed (their
/// ids), so that two consumers of a topic over two vgroups get one each, as TDengine's mnode
/// rebalances them; when a consumer leaves, or has not polled within its
/// `max.poll.interval.ms` (it is lost until it polls again), the others share its vgroups.
/// Empty when nobody of the group is subscribed to the topic.
pub(crate) fn group_assignment(cat: &Catalog, group: &str, topic: &str) -> Vec<(i32, u64)> {
    let now = chrono::Utc::now().timestamp_millis();
    let members: Vec<u64> = cat
        .consumers
        .values()
        .filter(|c| c.group == group && c.topics.iter().any(|t| t == topic) && !is_lost(c, now))
        .map(|c| c.id)
        .collect();
    let Some(t) = cat.topics.get(topic) else { return vec![] };
    let Some(db) = cat.dbs.get(&t.db) else { return vec![] };
    if members.is_empty() {
        return vec![];
    }
    db.wal.vgroups().ids().iter().enumerate().map(|(i, &vg)| (vg, members[i % members.len()])).collect()
}

/// Blocks (a statement's rows of one table) one data message carries, at most.
const MAX_LOG_TABLES: usize = 1024;
/// Rows a data message gathers before it stops taking statements (it takes whole statements).
const MAX_LOG_ROWS: usize = 4096;

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

    /// Removes a consumer; when its socket `closed`, its topics are being rebalanced for a
    /// moment: answers how long (zero when it was not subscribed, or unsubscribed itself).
    pub fn tmq_unsubscribed(&self, id: u64, closed: bool) -> std::time::Duration {
        let mut cat = self.write();
        let Some(c) = cat.consumers.remove(&id) else { return std::time::Duration::ZERO };
        if !closed || c.topics.is_empty() {
            return std::time::Duration::ZERO;
        }
        let until = chrono::Utc::now().timestamp_millis() + REBALANCE_MS;
        for t in c.topics {
            cat.rebalancing.insert(t, until);
        }
        std::time::Duration::from_millis(REBALANCE_MS as u64)
    }
}

/// `CREATE TOPIC`: a topic on a database, a super table (optionally filtered) or a plain
/// projection query (aggregates, windows, grouping, ordering and limits are refused with 9785).
/// Topics `WITH META` deliver the database's log ([`Engine::topic_log`]); `ONLY META` is
/// refused (0x0100).
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
    if cat.topics.contains_key(&name) {
        if if_not_exists {
            return Ok(());
        }
        return Err(err(992, "Topic already exists"));
    }
    let (db, kind) = match &source {
        TopicSource::Database(d) if cat.dbs.get(d).is_some_and(retention_is_zero) => return Err(retention_period_zero()),
        TopicSource::Stable { name: st, .. } if resolve_db(cat, ctx, st.db.as_deref()).is_ok_and(retention_is_zero) => {
            return Err(retention_period_zero())
        }
        TopicSource::Database(d) => {
            if !cat.dbs.contains_key(d) {
                return Err(db_not_exist());
            }
            (d.clone(), "db")
        }
        TopicSource::Stable { name: st, where_ } => {
            let d = resolve_db(cat, ctx, st.db.as_deref())?;
            let Some(stable) = d.stables.get(&st.name) else {
                return Err(err(code::MND_STB_NOT_EXIST, "STable not exist"));
            };
            if let Some(w) = where_ {
                check_stable_topic_filter(stable, w)?;
            }
            (d.name.clone(), "stable")
        }
        TopicSource::Query(q) => {
            let invalid = || err(9785, "Invalid topic query");
            let s = &q.selects[0];
            if q.selects.len() != 1
                || s.distinct
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
            if retention_is_zero(d) {
                return Err(retention_period_zero());
            }
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
            with_meta: meta.is_some(),
            only_meta: meta == Some("ONLY META"),
        },
    );
    Ok(())
}

/// The WHERE of `CREATE TOPIC … AS STABLE` filters child tables: it may name tags and `tbname`
/// only; a column is refused ("Columns are forbidden in where clause") and an unknown name too
/// ("Invalid column name"), both with code 9728 as 3.3.7.5 answers.
fn check_stable_topic_filter(stable: &STable, filter: &Expr) -> Result<(), TdError> {
    let mut refused = None;
    filter.walk(&mut |e| {
        if let (Expr::Column { name, .. }, None) = (e, &refused) {
            if name.eq_ignore_ascii_case("tbname") || stable.tags.iter().any(|t| t.name == *name) {
                return;
            }
            refused = Some(if stable.columns.iter().any(|c| c.name == *name) {
                "Columns are forbidden in where clause"
            } else {
                "Invalid column name"
            });
        }
    });
    match refused {
        Some(why) => Err(err(code::PAR_SYNTAX_ERROR, why)),
        None => Ok(()),
    }
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

/// A catalog holding only table `table` of `db` as the write logged at `version` left it at the
/// timestamps `written`: the rows a DELETE removed since, as they stood then (also when the
/// timestamp was written again after: TDengine's log holds the values a write wrote), and the
/// table's rows at the others (`None` when no row was removed since). A topic reads a block of
/// rows from it instead of from the table.
fn view_with_removed_rows(db: &super::catalog::Database, table: &str, written: &LoggedTimestamps, version: i64) -> Option<Catalog> {
    use super::catalog::{Database, Table, TableData};
    let tbl = db.tables.get(table)?;
    db.superseded.get(table)?;
    let live = &tbl.data;
    let mut view = TableData {
        ts: Vec::new(),
        cols: live.cols.iter().map(|c| c.new_like()).collect(),
        composite_key: live.composite_key,
    };
    let mut any_removed = false;
    for x in written.iter() {
        let i = live.ts.partition_point(|&y| y < x);
        let (src, at) = if let Some(found) = db.superseded_since(table, version, x) {
            any_removed = true;
            found
        } else if live.ts.get(i) == Some(&x) {
            (&**live, i)
        } else {
            continue;
        };
        let end = at + src.ts[at..].partition_point(|&y| y == x);
        for r in at..end {
            view.ts.push(x);
            for (dst, col) in view.cols.iter_mut().zip(&src.cols) {
                dst.push(col.get(r));
            }
        }
    }
    if !any_removed {
        return None;
    }
    let mut copy = Database::new(db.name.clone(), db.precision, db.options.clone());
    copy.stables = db.stables.clone();
    copy.tables.insert(
        table.to_string(),
        Table {
            name: tbl.name.clone(),
            kind: tbl.kind.clone(),
            data: std::sync::Arc::new(view),
            seq: tbl.seq,
            create_time_ms: tbl.create_time_ms,
            comment: tbl.comment.clone(),
            ttl: tbl.ttl,
        },
    );
    let mut cat = Catalog::default();
    cat.dbs.insert(db.name.clone(), copy);
    Some(cat)
}
