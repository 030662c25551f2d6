//! `DELETE FROM [db.]table [WHERE …]` as TDengine 3.3.7.5 runs it (checked on the real server;
//! the rules are those of its translator, `partitionDeleteWhere`):
//! - the WHERE is split at its top-level ANDs; each part may read the primary timestamp only
//!   (`ts`, `_rowts`, `_c0`) or tags only; a part that reads other columns, or the timestamp
//!   with a tag, is 9813, and so are timestamp parts that are no single range (OR, IN, `!=`,
//!   NOT BETWEEN, NOT …). `tbname` anywhere is 9804.
//! - the timestamp parts give one inclusive range; the tag parts choose the tables (on a child
//!   table too); every row of a chosen table in the range goes. Affected rows: the rows removed.
//! - each vgroup the statement reaches logs it for topics `WITH META` as
//!   `{"type":"delete","sql":"delete from `t` where `ts` >= a and `ts` <= b"}`: `t` as written,
//!   `[a, b]` the timestamps of the rows removed there, else the statement's range (i64::MIN /
//!   i64::MAX for an open end). A super table's delete reaches every vgroup of its database.
//! - A part with no column at all (`true`, `2 > 1`, `'a' = 'a'`) is refused (9728): TDengine
//!   treats such parts as tag conditions and answers inconsistently (`1 = 1` deletes every row of
//!   a normal table, `true` none).

use serde_json::json;

use super::catalog::{db_key, is_system_db, resolve_db_name, Catalog, SupersededRows, TableData, TableKind};
use super::errors::{db_not_exist, err, ecode, invalid_column, table_not_exist, unsupported};
use super::state::Engine;
use super::time;
use crate::session::SessionCtx;
use crate::sql::ast::{BinOp, Expr, FromItem, Query, Select, SelectItem, TableName, TypeName};
use crate::types::{code, Precision, TdError, Value};

/// `TSDB_CODE_PAR_INVALID_DELETE_WHERE`.
const INVALID_DELETE_WHERE: u16 = 9813;

fn invalid_where() -> TdError {
    err(INVALID_DELETE_WHERE, "The DELETE statement must only have a definite time window range")
}

/// What a part of the WHERE reads.
#[derive(Debug, PartialEq)]
enum Part {
    Key,
    Tags,
    Other,
    Constant,
}

/// The names a DELETE's WHERE can read: the primary timestamp's, the other columns', the tags'.
struct Names<'a> {
    table: &'a str,
    key: &'a str,
    columns: Vec<&'a str>,
    tags: Vec<&'a str>,
}

impl Names<'_> {
    fn is_key(&self, name: &str) -> bool {
        name.eq_ignore_ascii_case(self.key) || name.eq_ignore_ascii_case("_rowts") || name.eq_ignore_ascii_case("_c0")
    }

    /// Checks every name `e` reads (9730 unknown, 9804 `tbname`), as TDengine translates the
    /// whole WHERE before it looks at its parts.
    fn check(&self, e: &Expr) -> Result<(), TdError> {
        let mut bad = Ok(());
        walk_columns(e, &mut |table, name| {
            if bad.is_err() {
                return;
            }
            if name.eq_ignore_ascii_case("tbname") {
                bad = Err(err(ecode::INVALID_TBNAME, "Invalid tbname pseudo column"));
            } else if table.is_some_and(|t| !t.eq_ignore_ascii_case(self.table)) {
                bad = Err(invalid_column(name));
            } else if !self.is_key(name)
                && !self.columns.iter().chain(&self.tags).any(|c| c.eq_ignore_ascii_case(name))
            {
                bad = Err(if name.starts_with('_') {
                    unsupported(&format!("DELETE … WHERE {}", name))
                } else {
                    invalid_column(name)
                });
            }
        });
        bad
    }

    fn classify(&self, e: &Expr) -> Part {
        let (mut key, mut tag, mut other) = (false, false, false);
        walk_columns(e, &mut |_, name| {
            if self.is_key(name) {
                key = true;
            } else if self.tags.iter().any(|t| t.eq_ignore_ascii_case(name)) {
                tag = true;
            } else {
                other = true;
            }
        });
        match (key, tag, other) {
            (_, _, true) | (true, true, _) => Part::Other,
            (true, false, false) => Part::Key,
            (false, true, false) => Part::Tags,
            (false, false, false) => Part::Constant,
        }
    }
}

/// Calls `f(table, name)` for every column `e` reads.
fn walk_columns(e: &Expr, f: &mut dyn FnMut(Option<&str>, &str)) {
    match e {
        Expr::Column { table, name } => f(table.as_deref(), name),
        Expr::Neg(x) | Expr::Not(x) | Expr::Cast { expr: x, .. } | Expr::JsonGet { expr: x, .. } => walk_columns(x, f),
        Expr::IsNull { expr, .. } => walk_columns(expr, f),
        Expr::Binary { left, right, .. } => {
            walk_columns(left, f);
            walk_columns(right, f);
        }
        Expr::InList { expr, list, .. } => {
            walk_columns(expr, f);
            list.iter().for_each(|x| walk_columns(x, f));
        }
        Expr::Between { expr, low, high, .. } => {
            walk_columns(expr, f);
            walk_columns(low, f);
            walk_columns(high, f);
        }
        Expr::Like { expr, pattern, .. } | Expr::Match { expr, pattern, .. } => {
            walk_columns(expr, f);
            walk_columns(pattern, f);
        }
        Expr::Func { args, .. } => args.iter().for_each(|x| walk_columns(x, f)),
        Expr::Case { operand, whens, else_ } => {
            operand.iter().for_each(|x| walk_columns(x, f));
            for (w, t) in whens {
                walk_columns(w, f);
                walk_columns(t, f);
            }
            else_.iter().for_each(|x| walk_columns(x, f));
        }
        _ => {}
    }
}

/// The parts of a WHERE joined by AND.
fn conjuncts<'e>(e: &'e Expr, out: &mut Vec<&'e Expr>) {
    match e {
        Expr::Binary { op: BinOp::And, left, right } => {
            conjuncts(left, out);
            conjuncts(right, out);
        }
        other => out.push(other),
    }
}

/// How a bound compared with the timestamp is read.
struct Bounds<'a> {
    names: &'a Names<'a>,
    tz: chrono_tz::Tz,
    precision: Precision,
}

impl Bounds<'_> {
    /// A constant bound as a timestamp of the database's precision.
    fn value(&self, e: &Expr) -> Result<i64, TdError> {
        let invalid_ts = || err(ecode::INVALID_TIMESTAMP_FORMAT, "Invalid timestamp format");
        match e {
            Expr::Int(i) => Ok((*i).clamp(i64::MIN as i128, i64::MAX as i128) as i64),
            Expr::Str(s) => time::parse_timestamp(s, self.tz, self.precision).ok_or_else(invalid_ts),
            Expr::Cast { expr, ty: TypeName::Timestamp } => self.value(expr),
            Expr::Func { name, args, .. } if name == "now" && args.is_empty() => Ok(time::now(self.precision)),
            Expr::Func { name, args, .. } if name == "today" && args.is_empty() => Ok(time::today(self.tz, self.precision)),
            Expr::Binary { op: op @ (BinOp::Add | BinOp::Sub), left, right } => {
                let Expr::Duration { value, unit } = right.as_ref() else {
                    return Err(unsupported("DELETE … WHERE timestamp bound other than a constant ± a duration"));
                };
                // TDengine reads `'<time>' ± d` as arithmetic on the string, not as a time
                if !matches!(left.as_ref(), Expr::Int(_) | Expr::Func { .. }) {
                    return Err(unsupported("DELETE … WHERE timestamp bound other than a constant ± a duration"));
                }
                let base = self.value(left)?;
                let d = time::duration_units(*value, *unit, self.precision)
                    .ok_or_else(|| unsupported("DELETE … WHERE a calendar duration (n / y)"))?;
                Ok(if *op == BinOp::Add { base.saturating_add(d) } else { base.saturating_sub(d) })
            }
            _ => Err(unsupported("DELETE … WHERE timestamp bound other than a constant ± a duration")),
        }
    }

    fn is_key(&self, e: &Expr) -> bool {
        matches!(e, Expr::Column { name, .. } if self.names.is_key(name))
    }

    /// The inclusive range one timestamp part keeps; 9813 when it is no single range.
    fn range(&self, e: &Expr) -> Result<(i64, i64), TdError> {
        match e {
            Expr::Binary { op, left, right } if op.is_cmp() && *op != BinOp::Ne => {
                let (op, bound) = if self.is_key(left) && !self.reads_key(right) {
                    (*op, right)
                } else if self.is_key(right) && !self.reads_key(left) {
                    let flipped = match op {
                        BinOp::Lt => BinOp::Gt,
                        BinOp::Le => BinOp::Ge,
                        BinOp::Gt => BinOp::Lt,
                        BinOp::Ge => BinOp::Le,
                        o => *o,
                    };
                    (flipped, left)
                } else {
                    return Err(invalid_where());
                };
                let v = self.value(bound)?;
                Ok(match op {
                    BinOp::Eq => (v, v),
                    BinOp::Gt => (v.saturating_add(1), i64::MAX),
                    BinOp::Ge => (v, i64::MAX),
                    BinOp::Lt => (i64::MIN, v.saturating_sub(1)),
                    _ => (i64::MIN, v),
                })
            }
            Expr::Between { expr, low, high, negated: false } if self.is_key(expr) => {
                Ok((self.value(low)?, self.value(high)?))
            }
            Expr::IsNull { expr, negated } if self.is_key(expr) => {
                // a primary timestamp is never NULL: IS NULL keeps nothing, IS NOT NULL all
                Ok(if *negated { (i64::MIN, i64::MAX) } else { (i64::MAX, i64::MIN) })
            }
            _ => Err(invalid_where()),
        }
    }

    fn reads_key(&self, e: &Expr) -> bool {
        let mut reads = false;
        walk_columns(e, &mut |_, name| reads |= self.names.is_key(name));
        reads
    }
}

/// What one vgroup saw of the statement: rows removed, and their first and last timestamps.
#[derive(Default, Clone, Copy)]
struct Removed {
    rows: u64,
    first: i64,
    last: i64,
}

/// What a DELETE removes: from which tables of which database, in which range.
struct Plan {
    db: String,
    /// The table named, its primary timestamp's name and the super table its rows are under.
    name: String,
    key_col: String,
    stable: Option<String>,
    range: (i64, i64),
    targets: Vec<String>,
}

/// Checks a DELETE without running it (`validate_sql`).
pub(super) fn check_delete(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    table: &TableName,
    where_: Option<&Expr>,
) -> Result<(), TdError> {
    plan_delete(engine, cat, ctx, table, where_).map(|_| ())
}

/// Runs a DELETE; answers the rows removed.
pub(super) fn run_delete(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    table: &TableName,
    where_: Option<&Expr>,
) -> Result<u64, TdError> {
    let plan = plan_delete(engine, cat, ctx, table, where_)?;
    Ok(apply(cat, plan))
}

fn plan_delete(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    table: &TableName,
    where_: Option<&Expr>,
) -> Result<Plan, TdError> {
    let db_name = resolve_db_name(ctx, table.db.as_deref())?;
    if is_system_db(&db_name) {
        return Err(err(
            code::TSC_INVALID_OPERATION,
            format!("Cannot delete from system database: `{}`", db_name.to_ascii_lowercase()),
        ));
    }
    let key = db_key(cat, &db_name);
    let db = cat.dbs.get(&key).ok_or_else(db_not_exist)?;
    let name = table.name.as_str();
    // the table's columns and tags, and the super table its rows are logged under
    let (columns, tags, stable) = if let Some(st) = db.stables.get(name) {
        (st.columns.clone(), st.tags.clone(), Some(st.name.clone()))
    } else if let Some(t) = db.tables.get(name) {
        let tags = match &t.kind {
            TableKind::Child { stable, .. } => db.stables.get(stable).map(|s| s.tags.clone()).unwrap_or_default(),
            TableKind::Normal { .. } => Vec::new(),
        };
        (db.columns_of(t).to_vec(), tags, db.stable_of(name))
    } else {
        return Err(table_not_exist());
    };
    let Some(key_col) = columns.first() else { return Err(table_not_exist()) };
    let names = Names {
        table: name,
        key: &key_col.name,
        columns: columns.iter().skip(1).map(|c| c.name.as_str()).collect(),
        tags: tags.iter().map(|c| c.name.as_str()).collect(),
    };
    let bounds = Bounds { names: &names, tz: engine.session_tz(ctx), precision: db.precision };

    let mut range = (i64::MIN, i64::MAX);
    let mut tag_parts = Vec::new();
    if let Some(w) = where_ {
        names.check(w)?;
        let mut parts = Vec::new();
        conjuncts(w, &mut parts);
        // TDengine first splits the parts (9813 for any mixed one), then reads the range
        let mut key_parts = Vec::new();
        for p in parts {
            match names.classify(p) {
                Part::Key => key_parts.push(p),
                Part::Tags => tag_parts.push(p.clone()),
                Part::Other => return Err(invalid_where()),
                Part::Constant => return Err(unsupported("DELETE … WHERE a condition without a column")),
            }
        }
        for p in key_parts {
            let (lo, hi) = bounds.range(p)?;
            range = (range.0.max(lo), range.1.min(hi));
        }
    }

    // the tables it deletes from: the named one, or the super table's children, those whose
    // tags pass the tag parts (read by a query, so that tags compare as in a SELECT)
    let mut targets: Vec<String> = match &stable {
        Some(st) if st == name => db.children_of(st).into_iter().map(|t| t.name.clone()).collect(),
        _ => vec![name.to_string()],
    };
    if let Some(cond) = tag_parts.into_iter().reduce(|a, b| Expr::Binary { op: BinOp::And, left: Box::new(a), right: Box::new(b) }) {
        let chosen = tables_passing(engine, cat, ctx, &key, name, cond)?;
        targets.retain(|t| chosen.iter().any(|c| c == t));
    }

    Ok(Plan { db: key, name: name.to_string(), key_col: key_col.name.clone(), stable, range, targets })
}

/// Removes the rows, keeps them for the topics and logs the statement; answers the rows removed.
fn apply(cat: &mut Catalog, plan: Plan) -> u64 {
    let Plan { db, name, key_col, stable, range, targets } = plan;
    let name = name.as_str();
    let Some(db) = cat.dbs.get_mut(&db) else { return 0 };
    let vgroups = db.wal.vgroups().ids().len();
    let mut removed = vec![Removed::default(); vgroups];
    // the rows removed per table, kept for the topics that have not read them yet
    let mut archived: Vec<(String, usize, TableData)> = Vec::new();
    if range.0 <= range.1 {
        for t in &targets {
            let v = db.wal.vgroups().index_of(t);
            let Some(tbl) = db.tables.get_mut(t) else { continue };
            let (lo, hi) = (
                tbl.data.ts.partition_point(|&x| x < range.0),
                tbl.data.ts.partition_point(|&x| x <= range.1),
            );
            if lo >= hi {
                continue;
            }
            let data = std::sync::Arc::make_mut(&mut tbl.data);
            let gone = TableData {
                ts: data.ts.drain(lo..hi).collect(),
                cols: data.cols.iter_mut().map(|c| c.remove_range(lo, hi)).collect(),
                composite_key: data.composite_key,
            };
            if let Some(r) = removed.get_mut(v) {
                let (first, last) = (gone.ts[0], gone.ts[gone.ts.len() - 1]);
                if r.rows == 0 {
                    (r.first, r.last) = (first, last);
                } else {
                    (r.first, r.last) = (r.first.min(first), r.last.max(last));
                }
                r.rows += gone.ts.len() as u64;
            }
            archived.push((t.clone(), v, gone));
        }
    }

    // the log: every vgroup of the database for a super table, else the table's
    let reached: Vec<usize> = if stable.as_deref() == Some(name) {
        (0..vgroups).collect()
    } else {
        vec![db.wal.vgroups().index_of(name)]
    };
    let mut versions = vec![0; vgroups];
    for v in reached {
        let r = removed.get(v).copied().unwrap_or_default();
        let (a, b) = if r.rows > 0 { (r.first, r.last) } else { range };
        let sql = format!("delete from `{}` where `{}` >= {} and `{}` <= {}", name, key_col, a, key_col, b);
        if let Some(slot) = versions.get_mut(v) {
            *slot = db.wal.end(v);
        }
        db.wal.log_delete(v, stable.as_deref(), json!({"type": "delete", "sql": sql}));
    }
    for (t, v, data) in archived {
        let version = versions.get(v).copied().unwrap_or_default();
        db.superseded.entry(t).or_default().push(SupersededRows { version, data });
    }
    db.forget_superseded();
    removed.iter().map(|r| r.rows).sum()
}

/// The tables of `table` (a super table's children, or the table itself) that have a row and
/// whose tags pass `cond`.
fn tables_passing(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    db: &str,
    table: &str,
    cond: Expr,
) -> Result<Vec<String>, TdError> {
    let tbname = Expr::Column { table: None, name: "tbname".into() };
    let q = Query {
        selects: vec![Select {
            distinct: true,
            items: vec![SelectItem { expr: tbname, alias: None, text: "tbname".into(), cols_args: vec![] }],
            from: Some(FromItem::Table { name: TableName { db: Some(db.to_string()), name: table.to_string() }, alias: None }),
            where_: Some(cond),
            partition_by: vec![],
            window: None,
            group_by: vec![],
            having: None,
        }],
        union_distinct: false,
        order_by: vec![],
        slimit: None,
        limit: None,
    };
    let rs = super::query::run_query(engine, cat, ctx, &q)?;
    Ok(rs
        .columns
        .first()
        .map(|c| {
            c.iter()
                .filter_map(|v| match v {
                    Value::Str(s) => Some(s.clone()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default())
}
