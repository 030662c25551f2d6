//! A database's write-ahead logs, one per vgroup: versioned metadata changes and the rows each
//! statement wrote, in the order they were applied. Topics `WITH META` read them; a log version
//! is their offset in that vgroup.

use serde_json::{json, Value as Json};

use super::catalog::{ColumnSchema, Database, TableKind};
use super::meta::encode_defaults;
use super::vgroup::Vgroups;
use crate::types::{DataType, Value};

/// The logs of a database's vgroups: each vgroup numbers its entries from 0 on. A change to a
/// super table is logged in every vgroup (each vnode applies it); what concerns one table, in
/// the vgroup that holds it.
#[derive(Debug, Default)]
pub struct Wal {
    vgroups: Vgroups,
    logs: Vec<VgroupLog>,
    retention: Retention,
}

/// How long the logs keep an entry (`WAL_RETENTION_PERIOD`, seconds; -1 forever) and how much
/// they keep at most (`WAL_RETENTION_SIZE`, MB; 0 or -1: no limit). What is older or beyond goes,
/// topics or not, as on a vnode: a consumer behind it goes on from the first entry kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Retention {
    pub period_s: i64,
    pub size_mb: i64,
}

impl Default for Retention {
    fn default() -> Self {
        Retention { period_s: 3600, size_mb: 0 }
    }
}

impl Retention {
    /// The retention a database's options give (TDengine's defaults where they say nothing).
    pub(crate) fn of(options: &super::catalog::DbOptions) -> Retention {
        let get = |k: &str, d: i64| options.extra.get(k).and_then(|v| v.parse().ok()).unwrap_or(d);
        Retention { period_s: get("wal_retention_period", 3600), size_mb: get("wal_retention_size", 0) }
    }
}

#[derive(Debug, Default)]
struct VgroupLog {
    entries: Vec<WalEntry>,
    next: i64,
    bytes: usize,
}

impl VgroupLog {
    /// Drops the entries older than the retention period, then the oldest while the log is
    /// larger than the retention size.
    fn trim(&mut self, retention: Retention, now_ms: i64) {
        let mut drop = 0;
        if retention.period_s >= 0 {
            let oldest = now_ms.saturating_sub(retention.period_s.saturating_mul(1000));
            drop = self.entries.partition_point(|e| e.at_ms < oldest);
        }
        let mut bytes = self.bytes - self.entries[..drop].iter().map(|e| e.bytes).sum::<usize>();
        if retention.size_mb > 0 {
            let limit = (retention.size_mb as usize).saturating_mul(1 << 20);
            while drop < self.entries.len() && bytes > limit {
                bytes -= self.entries[drop].bytes;
                drop += 1;
            }
        }
        self.bytes = bytes;
        self.entries.drain(..drop);
    }
}

impl WalItem {
    /// About what the entry would take in a vnode's WAL: the meta's JSON, or per table the rows'
    /// key range (the rows themselves stay in the table, not here).
    fn approximate_bytes(&self) -> usize {
        match self {
            WalItem::Meta { json, .. } => json.to_string().len(),
            WalItem::Rows { tables, created } => {
                tables.iter().map(|t| t.table.len() + 32 + t.ts.approximate_bytes()).sum::<usize>()
                    + created.iter().map(|c| c.to_string().len()).sum::<usize>()
            }
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct WalEntry {
    pub version: i64,
    pub item: WalItem,
    /// When it was written (epoch ms) and about how many bytes it takes, for retention.
    at_ms: i64,
    bytes: usize,
}

#[derive(Debug, Clone)]
pub(crate) enum WalItem {
    /// A metadata change as `fetch_json_meta` shows it, and the super table it concerns.
    Meta { stable: Option<String>, json: Json },
    /// The rows one statement wrote, per table; and the child tables the statement created
    /// on the way (`createList` items).
    Rows { tables: Vec<LoggedRows>, created: Vec<Json> },
}

/// Rows one statement wrote into one table: their timestamps, not their values (a topic reads
/// the table's values at those timestamps, or the rows a DELETE removed since as they stood
/// then; a row written again later without a DELETE between shows its later values in both
/// messages, where TDengine's WAL has the older values in the older one).
#[derive(Debug, Clone)]
pub(crate) struct LoggedRows {
    pub table: String,
    /// The timestamps written, ascending, each once (a composite key's rows share one).
    pub ts: LoggedTimestamps,
    /// How many columns the table had then: a column added later is not in these rows.
    pub columns: usize,
}

/// Ascending timestamps, kept as a step and a count when evenly spaced (what most inserts write:
/// a log of a million such rows costs a few bytes per statement, not 8 per row).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum LoggedTimestamps {
    Even { first: i64, step: i64, count: usize },
    Listed(Vec<i64>),
}

impl LoggedTimestamps {
    pub(crate) fn new(ts: Vec<i64>) -> LoggedTimestamps {
        match ts.as_slice() {
            [first, second, ..] if ts.windows(2).all(|w| w[1] - w[0] == second - first) => {
                LoggedTimestamps::Even { first: *first, step: second - first, count: ts.len() }
            }
            [first] => LoggedTimestamps::Even { first: *first, step: 0, count: 1 },
            _ => LoggedTimestamps::Listed(ts),
        }
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            LoggedTimestamps::Even { count, .. } => *count,
            LoggedTimestamps::Listed(v) => v.len(),
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = i64> + '_ {
        let (even, listed) = match self {
            LoggedTimestamps::Even { first, step, count } => (Some((0..*count as i64).map(move |i| first + i * step)), None),
            LoggedTimestamps::Listed(v) => (None, Some(v.iter().copied())),
        };
        even.into_iter().flatten().chain(listed.into_iter().flatten())
    }

    fn approximate_bytes(&self) -> usize {
        match self {
            LoggedTimestamps::Even { .. } => 24,
            LoggedTimestamps::Listed(v) => 8 * v.len(),
        }
    }
}

impl Wal {
    pub(crate) fn new(vgroups: Vgroups, retention: Retention) -> Wal {
        let logs = vgroups.ids().iter().map(|_| VgroupLog::default()).collect();
        Wal { vgroups, logs, retention }
    }

    /// The database's retention changed (`ALTER DATABASE`).
    pub(crate) fn set_retention(&mut self, retention: Retention) {
        self.retention = retention;
    }

    /// The first version vgroup `vgroup` (an index) still keeps (a topic's `begin`).
    pub fn begin(&self, vgroup: usize) -> i64 {
        self.logs.get(vgroup).map_or(0, |l| l.entries.first().map_or(l.next, |e| e.version))
    }

    /// The database's vgroups.
    pub fn vgroups(&self) -> &Vgroups {
        &self.vgroups
    }

    /// The version the next entry of vgroup `vgroup` (an index) gets (a topic's `end`).
    pub fn end(&self, vgroup: usize) -> i64 {
        self.logs.get(vgroup).map_or(0, |l| l.next)
    }

    /// Entries of vgroup `vgroup` (an index) from `version` on.
    pub(crate) fn since(&self, vgroup: usize, version: i64) -> &[WalEntry] {
        let Some(log) = self.logs.get(vgroup) else { return &[] };
        let i = log.entries.partition_point(|e| e.version < version);
        &log.entries[i..]
    }

    fn push(&mut self, vgroup: usize, item: WalItem) {
        let retention = self.retention;
        let Some(log) = self.logs.get_mut(vgroup) else { return };
        let at_ms = chrono::Utc::now().timestamp_millis();
        let bytes = item.approximate_bytes();
        log.entries.push(WalEntry { version: log.next, item, at_ms, bytes });
        log.bytes += bytes;
        log.next += 1;
        log.trim(retention, at_ms);
    }

    /// A change to super table `stable` (or the database): logged in every vgroup.
    pub(crate) fn meta(&mut self, stable: Option<&str>, json: Json) {
        for v in 0..self.logs.len() {
            self.push(v, WalItem::Meta { stable: stable.map(str::to_string), json: json.clone() });
        }
    }

    /// A DELETE as vgroup `vgroup` (an index) logs it (`{"type":"delete","sql":…}`), under the
    /// super table of the rows it concerns.
    pub(crate) fn log_delete(&mut self, vgroup: usize, stable: Option<&str>, json: Json) {
        self.push(vgroup, WalItem::Meta { stable: stable.map(str::to_string), json });
    }

    /// A change to table `table` (child of `stable`, or normal): logged in its vgroup.
    pub(crate) fn table_meta(&mut self, table: &str, stable: Option<&str>, json: Json) {
        let v = self.vgroups.index_of(table);
        self.push(v, WalItem::Meta { stable: stable.map(str::to_string), json });
    }
}

/// Bytes a variable-length column declares (`length` in JSON meta; characters for NCHAR). A
/// BLOB shows its schema bytes (5) less its 4-byte length header: 1 (recorded on 3.3.7.5).
fn declared_length(c: &ColumnSchema) -> Option<u32> {
    match c.ty {
        DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry => Some(c.len),
        DataType::Blob => Some(1),
        _ => None,
    }
}

fn column_json(c: &ColumnSchema) -> Json {
    let (encode, compress) = encode_defaults(c.ty);
    let mut o = json!({"name": c.name, "type": c.ty.id(), "isPrimarykey": c.primary_key,
        "encode": encode, "compress": compress, "level": "medium"});
    if let Some(n) = declared_length(c) {
        o["length"] = json!(n);
    }
    o
}

/// A tag of a super table's schema.
fn tag_json(c: &ColumnSchema) -> Json {
    let mut o = json!({"name": c.name, "type": c.ty.id()});
    if let Some(n) = declared_length(c) {
        o["length"] = json!(n);
    }
    o
}

/// A child table's tag as TDengine's client writes it from the stored tag values (recorded on
/// 3.3.7.5): a NULL tag is left out; numbers (booleans 1/0, timestamps) are doubles; text is
/// quoted inside the string (`"\"ab\""`), VARBINARY as `"\x0AFF"`, GEOMETRY as its WKB bytes
/// up to the first zero byte (`"\"\u0001\u0001"` for a point); a JSON tag is its JSON text.
fn child_tag_json(c: &ColumnSchema, value: &Value) -> Option<Json> {
    let value = match value {
        Value::Null => return None,
        Value::Bool(b) => json!(u8::from(*b)),
        // kept exact here; MetaJson prints every number as the double cJSON has
        Value::Int(i) | Value::Timestamp(i) => json!(i),
        Value::UInt(u) => json!(u),
        Value::Float(f) => json!(f64::from(*f)),
        Value::Double(d) => json!(d),
        Value::Str(s) if c.ty == DataType::Json => json!(s),
        Value::Str(s) => json!(format!("\"{s}\"")),
        Value::Bytes(b) if c.ty == DataType::Geometry => {
            let upto = b.iter().position(|&x| x == 0).unwrap_or(b.len());
            json!(format!("\"{}", String::from_utf8_lossy(&b[..upto])))
        }
        Value::Bytes(b) => {
            let hex: String = b.iter().map(|x| format!("{x:02X}")).collect();
            json!(format!("\"\\x{hex}\""))
        }
        other => json!(super::meta::value_text(other, false)),
    };
    Some(json!({"name": c.name, "type": c.ty.id(), "value": value}))
}

/// `create stable` / `create table` (normal).
pub(crate) fn create_table_json(table_type: &str, name: &str, columns: &[ColumnSchema], tags: &[ColumnSchema]) -> Json {
    json!({"type": "create", "tableType": table_type, "tableName": name,
        "columns": columns.iter().map(column_json).collect::<Vec<_>>(),
        "tags": tags.iter().map(tag_json).collect::<Vec<_>>()})
}

/// A child table as a `createList` item (no `type`/`tableType`), `None` if `name` is not one.
pub(crate) fn child_item(db: &Database, name: &str) -> Option<Json> {
    let t = db.tables.get(name)?;
    let TableKind::Child { stable, tags } = &t.kind else { return None };
    let st = db.stables.get(stable)?;
    Some(json!({"tableName": name, "using": stable, "tagNum": st.tags.len(),
        "tags": st.tags.iter().zip(tags).filter_map(|(c, v)| child_tag_json(c, v)).collect::<Vec<_>>()}))
}

/// `create table … using`: the child, with the `createList` given (TDengine lists the children
/// only when one request created more than one; else `[]`).
pub(crate) fn create_child_json(item: &Json, create_list: Vec<Json>) -> Json {
    let mut o = json!({"type": "create", "tableType": "child"});
    if let Some(fields) = item.as_object() {
        for (k, v) in fields {
            o[k] = v.clone();
        }
    }
    o["createList"] = Json::Array(create_list);
    o
}

/// `alter … add column` (`colLength` only for a type with a declared length, as TDengine
/// 3.3.7.5 writes it: a normal table's added BLOB has none, a super table's has).
pub(crate) fn add_column_json(table_type: &str, table: &str, c: &ColumnSchema) -> Json {
    let mut o = json!({"type": "alter", "tableType": table_type, "tableName": table, "alterType": 5,
        "colName": c.name, "colType": c.ty.id()});
    let length = declared_length(c).filter(|_| !(c.ty == DataType::Blob && table_type == "normal"));
    if let Some(n) = length {
        o["colLength"] = json!(n);
    }
    o
}

/// `drop table` (one entry per table, as TDengine logs them).
pub(crate) fn drop_table_json(name: &str) -> Json {
    json!({"type": "drop", "tableNameList": [name]})
}

/// `drop stable`.
pub(crate) fn drop_stable_json(name: &str) -> Json {
    json!({"type": "drop", "tableType": "super", "tableName": name})
}

impl Database {
    /// Logs the creation of child `name` (an explicit `create table … using`).
    pub(crate) fn log_child_created(&mut self, name: &str) {
        let Some(item) = child_item(self, name) else { return };
        let stable = item["using"].as_str().map(str::to_string);
        self.wal.table_meta(name, stable.as_deref(), create_child_json(&item, vec![]));
    }

    /// Logs the rows one statement wrote, per table (their timestamps, ascending), and the
    /// children it created: one entry in each vgroup it wrote to or created a table in; nothing
    /// when it wrote no row and created no table.
    pub(crate) fn log_rows(&mut self, written: Vec<(String, Vec<i64>)>, created: Vec<Json>) {
        let n = self.wal.logs.len();
        let mut per_vgroup: Vec<(Vec<LoggedRows>, Vec<Json>)> = (0..n).map(|_| Default::default()).collect();
        for (table, mut ts) in written {
            if ts.is_empty() {
                continue;
            }
            ts.dedup();
            let columns = self.tables.get(&table).map_or(0, |t| self.columns_of(t).len());
            let v = self.wal.vgroups.index_of(&table);
            if let Some(slot) = per_vgroup.get_mut(v) {
                slot.0.push(LoggedRows { table, ts: LoggedTimestamps::new(ts), columns });
            }
        }
        for item in created {
            let v = self.wal.vgroups.index_of(item["tableName"].as_str().unwrap_or_default());
            if let Some(slot) = per_vgroup.get_mut(v) {
                slot.1.push(item);
            }
        }
        for (v, (tables, created)) in per_vgroup.into_iter().enumerate() {
            if !tables.is_empty() || !created.is_empty() {
                self.wal.push(v, WalItem::Rows { tables, created });
            }
        }
    }

    /// The super table of `table`, if it is a child.
    pub(crate) fn stable_of(&self, table: &str) -> Option<String> {
        match &self.tables.get(table)?.kind {
            TableKind::Child { stable, .. } => Some(stable.clone()),
            TableKind::Normal { .. } => None,
        }
    }
}

/// A JSON meta of a [`crate::TopicLogBody`] as `fetch_json_meta` writes it: object keys in the order
/// TDengine's client builds them (cJSON keeps insertion order, and taosAdapter passes the text
/// on; `serde_json`'s map sorts them). Recorded on 3.3.7.5 for every meta this engine logs:
/// `{"type":"create","tableType":"super","tableName":…,"columns":[{"name","type","length"?,
/// "isPrimarykey","encode","compress","level"}],"tags":[{"name","type","length"?}]}`; a child
/// `type, tableType, tableName, using, tagNum, tags[{name, type, value}], createList`; an
/// added column `type, tableType, tableName, alterType, colName, colType, colLength?`;
/// `type, sql` (delete); `type, tableNameList` or `type, tableType, tableName` (drop); the
/// batched form `tmq_meta_version, metas`.
pub struct MetaJson<'a>(pub &'a serde_json::Value);

/// Every key a meta object has, in the one order that fits all of them (each object's keys are
/// a subsequence of it); a key not listed would follow them, sorted.
const META_KEY_ORDER: &[&str] = &[
    "tmq_meta_version", "metas", "name", "type", "tableType", "tableName", "using", "tagNum",
    "columns", "tags", "createList", "alterType", "colName", "colType", "colLength",
    "tableNameList", "sql", "length", "isPrimarykey", "encode", "compress", "level", "value",
];

impl serde::Serialize for MetaJson<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        match self.0 {
            serde_json::Value::Object(map) => {
                let mut entries: Vec<_> = map.iter().collect();
                let rank = |k: &str| META_KEY_ORDER.iter().position(|o| *o == k).unwrap_or(META_KEY_ORDER.len());
                entries.sort_by_key(|(k, _)| rank(k));
                let mut m = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    m.serialize_entry(k, &MetaJson(v))?;
                }
                m.end()
            }
            serde_json::Value::Array(items) => s.collect_seq(items.iter().map(MetaJson)),
            serde_json::Value::Number(n) => {
                let text = super::convert::cjson_number(n.as_f64().unwrap_or(f64::NAN));
                serde_json::value::RawValue::from_string(text).map_err(serde::ser::Error::custom)?.serialize(s)
            }
            other => other.serialize(s),
        }
    }
}

