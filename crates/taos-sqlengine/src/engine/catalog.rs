//! The catalog (databases, super tables, child and normal tables, topics), how a statement finds
//! its database, and columnar table storage.

use std::collections::HashMap;

use crate::session::SessionCtx;
use crate::types::{code, DataType, Field, Precision, TdError, Value};

use super::column::Column;
use super::errors::{db_not_exist, err};

/// Every database, by name.
#[derive(Debug, Default)]
pub struct Catalog {
    pub dbs: HashMap<String, Database>,
    pub topics: HashMap<String, Topic>,
    /// Live TMQ consumers by id.
    pub consumers: std::collections::BTreeMap<u64, crate::topic::TmqConsumer>,
    /// Topics whose consumer's socket just closed: being rebalanced until this time (epoch ms).
    pub rebalancing: HashMap<String, i64>,
    pub users: super::users::UserCatalog,
    /// Live client connections by id (`perf_connections`).
    pub connections: std::collections::BTreeMap<u32, crate::session::ConnectionInfo>,
    /// The id the next database's first vgroup gets (`Catalog::insert_database`).
    pub next_vgroup_id: i32,
}

impl Catalog {
    /// Whether a topic reads database `db` (its log: rows and metadata).
    pub(crate) fn has_topics(&self, db: &str) -> bool {
        self.topics.values().any(|t| t.db == db)
    }

    /// Adds a database with vgroups of its own (`options.vgroups` of them, fresh ids).
    pub(crate) fn insert_database(&mut self, mut db: Database) {
        let first = self.next_vgroup_id.max(super::vgroup::FIRST_ID);
        let vgroups = super::vgroup::Vgroups::new(&db.name, first, db.options.vgroups);
        self.next_vgroup_id = first + vgroups.ids().len() as i32;
        db.wal = super::wal::Wal::new(vgroups, super::wal::Retention::of(&db.options));
        self.dbs.insert(db.name.clone(), db);
    }
}

/// A TMQ topic: its database, kind (`column` | `db` | `stable`), the statement text and source.
#[derive(Debug, Clone)]
pub struct Topic {
    pub name: String,
    pub db: String,
    pub kind: &'static str,
    pub sql: String,
    pub source: crate::sql::ast::TopicSource,
    pub create_time_ms: i64,
    /// `WITH META`: the topic delivers the database's log, metadata changes included.
    pub with_meta: bool,
    /// `ONLY META`: the log's metadata changes and nothing else (`with_meta` is set too).
    pub only_meta: bool,
}

/// The system databases: `information_schema`, `performance_schema`.
pub(crate) const SYSTEM_DBS: [&str; 2] = ["information_schema", "performance_schema"];

pub(crate) fn is_system_db(name: &str) -> bool {
    SYSTEM_DBS.iter().any(|s| name.eq_ignore_ascii_case(s))
}

/// The database a statement addresses: the explicit `db.` prefix, else the session's.
pub(crate) fn resolve_db<'c>(
    cat: &'c Catalog,
    ctx: &SessionCtx,
    explicit: Option<&str>,
) -> Result<&'c Database, TdError> {
    let name = match explicit.or(ctx.db.as_deref()) {
        Some(n) => n,
        None => return Err(err(code::PAR_DB_NOT_SPECIFIED, "Database not specified")),
    };
    // names given outside SQL (REST path, `conn.db`) may keep their case
    cat.dbs
        .get(name)
        .or_else(|| cat.dbs.get(&name.to_ascii_lowercase()))
        .ok_or_else(db_not_exist)
}

pub(crate) fn resolve_db_name(ctx: &SessionCtx, explicit: Option<&str>) -> Result<String, TdError> {
    match explicit.or(ctx.db.as_deref()) {
        Some(n) => Ok(n.to_string()),
        None => Err(err(code::PAR_DB_NOT_SPECIFIED, "Database not specified")),
    }
}

/// The catalog key of a database name (exact, else lower-cased).
pub(crate) fn db_key(cat: &Catalog, name: &str) -> String {
    if cat.dbs.contains_key(name) {
        name.to_string()
    } else {
        name.to_ascii_lowercase()
    }
}

/// A column or tag definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnSchema {
    pub name: String,
    pub ty: DataType,
    /// User-visible length (see [`Field::len`]).
    pub len: u32,
    pub precision: u8,
    pub scale: u8,
    pub primary_key: bool,
}

impl ColumnSchema {
    pub fn field(&self) -> Field {
        Field {
            name: self.name.clone(),
            ty: self.ty,
            len: self.len,
            precision: self.precision,
            scale: self.scale,
        }
    }
}

#[derive(Debug, Clone)]
pub struct DbOptions {
    pub keep: String,
    pub duration: String,
    pub buffer: i64,
    pub cachemodel: String,
    pub cachesize: i64,
    pub vgroups: i64,
    pub replica: i64,
    pub comp: i64,
    pub minrows: i64,
    pub maxrows: i64,
    pub pages: i64,
    pub pagesize: i64,
    pub wal_level: i64,
    pub wal_fsync_period: i64,
    /// Further options as given (`stt_trigger`, `table_prefix`, …), shown instead of defaults.
    pub extra: std::collections::BTreeMap<String, String>,
}

impl DbOptions {
    /// An option kept in `extra`, else TDengine's default for it.
    pub fn extra_or(&self, name: &str, default: &str) -> String {
        self.extra.get(name).cloned().unwrap_or_else(|| default.to_string())
    }
}

impl Default for DbOptions {
    fn default() -> Self {
        DbOptions {
            keep: "3650d,3650d,3650d".into(),
            duration: "10d".into(),
            buffer: 256,
            cachemodel: "none".into(),
            cachesize: 1,
            vgroups: 2,
            replica: 1,
            comp: 2,
            minrows: 100,
            maxrows: 4096,
            pages: 256,
            pagesize: 4,
            wal_level: 1,
            wal_fsync_period: 3000,
            extra: Default::default(),
        }
    }
}

#[derive(Debug)]
pub struct Database {
    pub name: String,
    pub precision: Precision,
    pub options: DbOptions,
    pub create_time_ms: i64,
    pub stables: HashMap<String, STable>,
    pub tables: HashMap<String, Table>,
    /// Creation counter: SHOW TABLES and super-table scans follow creation order.
    pub next_seq: u64,
    /// Its vgroups and their write-ahead logs: what topics `WITH META` deliver.
    pub wal: super::wal::Wal,
    /// Rows a DELETE removed or a later write replaced, per table, while the log still holds
    /// the statements that wrote them: a topic delivers each write's rows as they were written,
    /// as TDengine does from its WAL.
    pub superseded: HashMap<String, Vec<SupersededRows>>,
}

impl Database {
    pub fn new(name: String, precision: Precision, options: DbOptions) -> Database {
        let create_time_ms = chrono::Utc::now().timestamp_millis();
        // numbered for real by `Catalog::insert_database`
        let wal = super::wal::Wal::new(
            super::vgroup::Vgroups::new(&name, super::vgroup::FIRST_ID, options.vgroups),
            super::wal::Retention::of(&options),
        );
        Database {
            name,
            precision,
            options,
            create_time_ms,
            stables: HashMap::new(),
            tables: HashMap::new(),
            next_seq: 0,
            wal,
            superseded: HashMap::new(),
        }
    }

    pub fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    /// Tables in creation order.
    pub fn tables_in_order(&self) -> Vec<&Table> {
        let mut v: Vec<&Table> = self.tables.values().collect();
        v.sort_by_key(|t| t.seq);
        v
    }

    pub fn stables_in_order(&self) -> Vec<&STable> {
        let mut v: Vec<&STable> = self.stables.values().collect();
        v.sort_by_key(|t| t.seq);
        v
    }

    /// Child tables of a super table, in creation order.
    pub fn children_of(&self, stable: &str) -> Vec<&Table> {
        let mut v: Vec<&Table> = self
            .tables
            .values()
            .filter(|t| matches!(&t.kind, TableKind::Child { stable: s, .. } if s == stable))
            .collect();
        v.sort_by_key(|t| t.seq);
        v
    }

    /// Full column list (ts first) of a normal or child table.
    pub fn columns_of<'a>(&'a self, t: &'a Table) -> &'a [ColumnSchema] {
        match &t.kind {
            TableKind::Normal { columns } => columns,
            TableKind::Child { stable, .. } => self
                .stables
                .get(stable)
                .map(|s| &s.columns[..])
                .unwrap_or(&[]),
        }
    }
}

#[derive(Debug, Clone)]
pub struct STable {
    pub name: String,
    pub columns: Vec<ColumnSchema>,
    pub tags: Vec<ColumnSchema>,
    pub seq: u64,
    pub create_time_ms: i64,
    pub comment: Option<String>,
    /// KEEP in minutes, when set on the super table.
    pub keep: Option<i64>,
    /// Columns added by ALTER: TDengine keeps no SMA for them, and SHOW CREATE STABLE then lists
    /// the columns that have one.
    pub no_sma: Vec<String>,
    /// Tag indexes: (index name, tag, created ms). A new super table has one on its first tag,
    /// named `<tag>_<stable>`.
    pub indexes: Vec<(String, String, i64)>,
    /// The database's sequence number when a tag was last dropped (0: never): a child table
    /// created before keeps the dropped tag in its stored tags, and SHOW CREATE TABLE of it
    /// fails in 3.3.7.5 (272).
    pub tag_dropped_at: u64,
}

impl STable {
    pub fn new(name: String, columns: Vec<ColumnSchema>, tags: Vec<ColumnSchema>, seq: u64) -> STable {
        let now = chrono::Utc::now().timestamp_millis();
        let indexes = tags
            .first()
            .map(|t| vec![(format!("{}_{}", t.name, name), t.name.clone(), now)])
            .unwrap_or_default();
        STable {
            name,
            columns,
            tags,
            seq,
            create_time_ms: now,
            comment: None,
            keep: None,
            no_sma: Vec::new(),
            indexes,
            tag_dropped_at: 0,
        }
    }
}

#[derive(Debug, Clone)]
pub enum TableKind {
    Normal {
        columns: Vec<ColumnSchema>,
    },
    /// `tags` follow the super table's tag order.
    Child {
        stable: String,
        tags: Vec<Value>,
    },
}

#[derive(Debug)]
pub struct Table {
    pub name: String,
    pub kind: TableKind,
    /// Shared with the queries streaming it: a write while one is open copies it first
    /// (`Arc::make_mut`), so a stream reads the table as it was when it started.
    pub data: std::sync::Arc<TableData>,
    pub seq: u64,
    pub create_time_ms: i64,
    pub comment: Option<String>,
    /// TTL in days (0: none); kept and shown, tables do not expire here.
    pub ttl: i64,
}

/// Columnar rows of one table, ordered by the timestamp key. `cols` excludes the key; each is a
/// typed [`Column`] (values of their natural width, strings in one buffer, a NULL bitmap). With
/// a composite primary key (`composite_key`: the second column is `PRIMARY KEY`), rows are
/// ordered and identified by (timestamp, `cols[0]`).
#[derive(Debug, Default, Clone)]
pub struct TableData {
    pub ts: Vec<i64>,
    pub cols: Vec<Column>,
    pub composite_key: bool,
}

/// Order of composite-key values (INT/BIGINT signed or unsigned, VARCHAR by bytes).
fn key_cmp(a: Option<&Value>, b: Option<&Value>) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    match (a, b) {
        (Some(Value::Int(x)), Some(Value::Int(y))) => x.cmp(y),
        (Some(Value::UInt(x)), Some(Value::UInt(y))) => x.cmp(y),
        (Some(Value::Str(x)), Some(Value::Str(y))) => x.as_bytes().cmp(y.as_bytes()),
        (Some(Value::Bytes(x)), Some(Value::Bytes(y))) => x.cmp(y),
        _ => Ordering::Equal,
    }
}

/// A row waiting to be written: `vals[i]` is `None` when column `i + 1` was not given.
#[derive(Debug, Clone)]
pub struct PendingRow {
    pub ts: i64,
    pub vals: Vec<Option<Value>>,
}

impl TableData {
    #[cfg(test)]
    pub fn with_columns(n: usize) -> TableData {
        TableData {
            ts: Vec::new(),
            cols: (0..n).map(|_| Column::untyped()).collect(),
            composite_key: false,
        }
    }

    /// Storage for a table with these columns (ts first).
    pub fn for_columns(columns: &[ColumnSchema]) -> TableData {
        let mut d = TableData {
            ts: Vec::new(),
            cols: columns.iter().skip(1).map(|c| Column::for_type(c.ty)).collect(),
            composite_key: false,
        };
        d.composite_key = columns.get(1).is_some_and(|c| c.primary_key);
        d
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    /// Merges rows sharing a timestamp the way one INSERT does (later non-NULL values win, later
    /// NULLs do not erase) and returns them sorted by ts.
    /// With `composite_key`, rows are identified by (ts, first column).
    pub fn merge_pending(mut rows: Vec<PendingRow>, composite_key: bool) -> Vec<PendingRow> {
        let cmp = |a: &PendingRow, b: &PendingRow| {
            a.ts.cmp(&b.ts).then_with(|| {
                if composite_key {
                    key_cmp(
                        a.vals.first().and_then(|v| v.as_ref()),
                        b.vals.first().and_then(|v| v.as_ref()),
                    )
                } else {
                    std::cmp::Ordering::Equal
                }
            })
        };
        let sorted = rows.windows(2).all(|w| cmp(&w[0], &w[1]).is_lt());
        if sorted {
            return rows;
        }
        rows.sort_by(cmp); // stable: keeps statement order among equal keys
        let mut out: Vec<PendingRow> = Vec::with_capacity(rows.len());
        for r in rows {
            match out.last_mut() {
                Some(last) if cmp(last, &r).is_eq() => {
                    for (dst, src) in last.vals.iter_mut().zip(r.vals) {
                        match src {
                            None => {}
                            Some(Value::Null) if dst.is_none() => *dst = Some(Value::Null),
                            Some(Value::Null) => {}
                            Some(v) => *dst = Some(v),
                        }
                    }
                }
                _ => out.push(r),
            }
        }
        out
    }

    /// Writes merged, ts-sorted rows: an existing ts is updated (given columns replace, omitted
    /// columns keep their values); new timestamps are inserted in order.
    pub fn upsert(&mut self, rows: Vec<PendingRow>) {
        if rows.is_empty() {
            return;
        }
        if self.composite_key {
            return self.upsert_composite(rows);
        }
        if self.ts.last().is_none_or(|&last| rows[0].ts > last) {
            // append fast path
            self.ts.reserve(rows.len());
            for c in &mut self.cols {
                c.reserve(rows.len());
            }
            for r in rows {
                self.ts.push(r.ts);
                for (c, v) in self.cols.iter_mut().zip(r.vals) {
                    c.push(v.unwrap_or(Value::Null));
                }
            }
            return;
        }
        // general case: rows before the first pending ts stay where they are; the tail and the
        // pending rows (both sorted) are merged and appended
        let split = self.ts.partition_point(|&t| t < rows[0].ts);
        let old_ts = self.ts.split_off(split);
        let old_cols: Vec<Column> = self.cols.iter_mut().map(|c| c.split_off(split)).collect();
        let total = old_ts.len() + rows.len();
        self.ts.reserve(total);
        for c in &mut self.cols {
            c.reserve(total);
        }
        let mut oi = 0;
        let mut rows = rows.into_iter().peekable();
        loop {
            let take_old = match (old_ts.get(oi), rows.peek()) {
                (None, None) => break,
                (Some(_), None) => Some(true),
                (None, Some(_)) => Some(false),
                (Some(&o), Some(r)) => {
                    if o < r.ts {
                        Some(true)
                    } else if o > r.ts {
                        Some(false)
                    } else {
                        None
                    }
                }
            };
            match take_old {
                Some(true) => {
                    self.ts.push(old_ts[oi]);
                    for (dst, src) in self.cols.iter_mut().zip(&old_cols) {
                        dst.push(src.get(oi));
                    }
                    oi += 1;
                }
                Some(false) => {
                    let r = rows.next().expect("peeked");
                    self.ts.push(r.ts);
                    for (dst, v) in self.cols.iter_mut().zip(r.vals) {
                        dst.push(v.unwrap_or(Value::Null));
                    }
                }
                None => {
                    let r = rows.next().expect("peeked");
                    self.ts.push(r.ts);
                    for ((dst, src), v) in self.cols.iter_mut().zip(&old_cols).zip(r.vals) {
                        dst.push(v.unwrap_or_else(|| src.get(oi)));
                    }
                    oi += 1;
                }
            }
        }
    }
}

impl TableData {
    /// `upsert` keyed by (ts, first column): the whole table is merged with the rows.
    fn upsert_composite(&mut self, rows: Vec<PendingRow>) {
        let old_ts = std::mem::take(&mut self.ts);
        let old_cols: Vec<Column> = std::mem::take(&mut self.cols);
        self.cols = old_cols
            .iter()
            .map(|c| {
                let mut n = c.new_like();
                n.reserve(old_ts.len() + rows.len());
                n
            })
            .collect();
        let mut old = old_ts.into_iter().enumerate().map(|(i, ts)| PendingRow {
            ts,
            vals: old_cols.iter().map(|c| Some(c.get(i))).collect(),
        });
        let mut next_old = old.next();
        let mut rows = rows.into_iter().peekable();
        let key = |r: &PendingRow| (r.ts, r.vals.first().cloned().flatten());
        loop {
            let order = match (&next_old, rows.peek()) {
                (None, None) => break,
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (Some(o), Some(r)) => {
                    let (ko, kr) = (key(o), key(r));
                    ko.0.cmp(&kr.0).then_with(|| key_cmp(ko.1.as_ref(), kr.1.as_ref()))
                }
            };
            let row = match order {
                std::cmp::Ordering::Less => next_old.take().map(|o| {
                    next_old = old.next();
                    o
                }),
                std::cmp::Ordering::Greater => rows.next(),
                std::cmp::Ordering::Equal => {
                    let mut o = next_old.take().expect("compared");
                    next_old = old.next();
                    let r = rows.next().expect("compared");
                    for (dst, src) in o.vals.iter_mut().zip(r.vals) {
                        if src.is_some() {
                            *dst = src;
                        }
                    }
                    Some(o)
                }
            };
            if let Some(r) = row {
                self.ts.push(r.ts);
                for (c, v) in self.cols.iter_mut().zip(r.vals) {
                    c.push(v.unwrap_or(Value::Null));
                }
            }
        }
    }
}

/// Rows one DELETE removed from one table, or one write replaced (same timestamps), and the
/// log version of that statement in the table's vgroup: a logged write older than it reads its
/// rows here rather than from the table.
#[derive(Debug, Clone)]
pub(crate) struct SupersededRows {
    pub version: i64,
    pub data: TableData,
}

impl Database {
    /// Writes `rows` (merged, ascending) into table `table`. While a topic reads the database
    /// (`topics`), the rows they replace are kept first, under the version the statement's log
    /// entry gets: the older entry that wrote them still delivers their values then (checked on
    /// 3.3.7.5: a row written, deleted and written again is in each message as each write wrote
    /// it). Without a topic nothing is kept, so that rewriting the same rows does not grow the
    /// server; a topic created later shows a row replaced before it with its later values.
    pub(crate) fn write_rows(&mut self, table: &str, rows: Vec<PendingRow>, topics: bool) {
        let version = self.wal.end(self.wal.vgroups().index_of(table));
        let Some(t) = self.tables.get_mut(table) else { return };
        let replaced = if topics { t.data.rows_at(rows.iter().map(|r| r.ts)) } else { None };
        std::sync::Arc::make_mut(&mut t.data).upsert(rows);
        if let Some(data) = replaced {
            self.superseded.entry(table.to_string()).or_default().push(SupersededRows { version, data });
            self.forget_superseded();
        }
    }

    /// The row a write logged at `version` into `table` wrote at `ts`, if a later statement
    /// removed or replaced it: from the first such statement after the write.
    pub(crate) fn superseded_since(&self, table: &str, version: i64, ts: i64) -> Option<(&TableData, usize)> {
        self.superseded.get(table)?.iter().filter(|c| c.version > version).find_map(|c| {
            let i = c.data.ts.partition_point(|&x| x < ts);
            (c.data.ts.get(i) == Some(&ts)).then_some((&c.data, i))
        })
    }

    /// Forgets superseded rows no kept log entry can deliver any more (every write before
    /// their statement has left the log), and those of tables dropped since.
    pub(crate) fn forget_superseded(&mut self) {
        let Database { superseded, wal, tables, .. } = self;
        superseded.retain(|t, chunks| {
            let begin = wal.begin(wal.vgroups().index_of(t));
            chunks.retain(|c| c.version >= begin);
            !chunks.is_empty() && tables.contains_key(t)
        });
    }
}

impl TableData {
    /// The rows at the timestamps `wanted` (ascending), every row of each one a composite key
    /// holds; `None` when the table has none of them (always so for rows after its last).
    fn rows_at(&self, wanted: impl Iterator<Item = i64>) -> Option<TableData> {
        let mut wanted = wanted.peekable();
        let last = *self.ts.last()?;
        if wanted.peek().is_none_or(|&first| first > last) {
            return None;
        }
        let mut out = TableData { ts: Vec::new(), cols: self.cols.iter().map(|c| c.new_like()).collect(), composite_key: self.composite_key };
        let mut from = 0;
        for x in wanted {
            let at = from + self.ts[from..].partition_point(|&y| y < x);
            let end = at + self.ts[at..].partition_point(|&y| y == x);
            for r in at..end {
                out.ts.push(x);
                for (dst, col) in out.cols.iter_mut().zip(&self.cols) {
                    dst.push(col.get(r));
                }
            }
            from = end;
        }
        (!out.ts.is_empty()).then_some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_composite_key_identifies_rows_by_timestamp_and_key() {
        let mut d = TableData::with_columns(2);
        d.composite_key = true;
        let merged = TableData::merge_pending(
            vec![
                row(0, &[Some(1), Some(10)]),
                row(0, &[Some(2), Some(20)]),
                row(0, &[Some(1), Some(30)]),
            ],
            true,
        );
        assert_eq!(merged.len(), 2);
        d.upsert(merged);
        d.upsert(vec![row(0, &[Some(2), Some(-1)]), row(1, &[Some(0), None])]);
        assert_eq!(d.ts, vec![0, 0, 1]);
        assert_eq!(d.cols[0].values(), vec![Value::Int(1), Value::Int(2), Value::Int(0)]);
        assert_eq!(d.cols[1].values(), vec![Value::Int(30), Value::Null, Value::Null]);
    }

    fn row(ts: i64, vals: &[Option<i64>]) -> PendingRow {
        PendingRow {
            ts,
            vals: vals
                .iter()
                .map(|v| v.map(|x| if x < 0 { Value::Null } else { Value::Int(x) }))
                .collect(),
        }
    }

    #[test]
    fn duplicates_in_one_insert_merge_later_non_null_wins() {
        let merged = TableData::merge_pending(vec![
            row(5, &[Some(1), Some(1)]),
            row(5, &[Some(2), Some(-1)]),
            row(1, &[Some(9), None]),
        ], false);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].ts, 1);
        assert_eq!(
            merged[1].vals,
            vec![Some(Value::Int(2)), Some(Value::Int(1))]
        );
    }

    #[test]
    fn upsert_keeps_ts_order_and_partial_updates() {
        let mut d = TableData::with_columns(2);
        d.upsert(vec![
            row(10, &[Some(1), Some(1)]),
            row(20, &[Some(2), Some(2)]),
        ]);
        d.upsert(vec![
            row(5, &[Some(0), None]),
            row(20, &[Some(7), None]),
            row(30, &[None, Some(3)]),
        ]);
        assert_eq!(d.ts, vec![5, 10, 20, 30]);
        assert_eq!(
            d.cols[0].values(),
            vec![Value::Int(0), Value::Int(1), Value::Int(7), Value::Null]
        );
        assert_eq!(
            d.cols[1].values(),
            vec![Value::Null, Value::Int(1), Value::Int(2), Value::Int(3)]
        );
    }
}
