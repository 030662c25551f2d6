//! INSERT: validation of every table first (one failing table fails the statement), then the
//! writes. Also the SQL-free write path used by stmt2 and schemaless.

use std::collections::HashMap;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::sql::parser::insert_error;
use crate::types::{code, DataType, TdError, Value};

use super::catalog::*;
use super::convert::{self, ConvCtx};
use super::ddl::database::keep_days;
use super::ddl::table::{create_child, tag_values};
use super::errors::{db_not_exist, ecode, err, invalid_column, table_not_exist};
use super::state::Engine;

/// A child table to create on first write (see `Engine::insert_rows`).
#[derive(Debug, Clone)]
pub struct AutoCreate {
    pub stable: String,
    pub tags: Vec<Value>,
}

struct TableWrite {
    db: String,
    table: String,
    create: Option<(String, Vec<Value>)>,
    rows: Vec<PendingRow>,
}

#[derive(Default)]
struct Writes {
    list: Vec<TableWrite>,
    index: HashMap<(String, String), usize>,
}

impl Writes {
    fn entry(
        &mut self,
        db: &str,
        table: &str,
        create: Option<(String, Vec<Value>)>,
    ) -> &mut TableWrite {
        let key = (db.to_string(), table.to_string());
        let i = match self.index.get(&key) {
            Some(&i) => i,
            None => {
                self.list.push(TableWrite {
                    db: db.to_string(),
                    table: table.to_string(),
                    create,
                    rows: Vec::new(),
                });
                self.index.insert(key, self.list.len() - 1);
                self.list.len() - 1
            }
        };
        &mut self.list[i]
    }

    fn pending_create(&self, db: &str, table: &str) -> Option<&str> {
        let i = *self.index.get(&(db.to_string(), table.to_string()))?;
        self.list[i].create.as_ref().map(|c| c.0.as_str())
    }

    fn apply(self, cat: &mut Catalog) -> u64 {
        let mut affected = 0;
        // what the statement logs, per database: tables written (timestamps) and children created
        let mut logged: Vec<(String, Vec<(String, Vec<i64>)>, Vec<serde_json::Value>)> = Vec::new();
        for w in self.list {
            let topics = cat.has_topics(&w.db);
            let Some(db) = cat.dbs.get_mut(&w.db) else {
                continue;
            };
            let li = match logged.iter().position(|l| l.0 == w.db) {
                Some(i) => i,
                None => {
                    logged.push((w.db.clone(), Vec::new(), Vec::new()));
                    logged.len() - 1
                }
            };
            if let Some((stable, tags)) = w.create {
                if !db.tables.contains_key(&w.table) {
                    create_child(db, &w.table, &stable, tags, &Default::default());
                    logged[li]
                        .2
                        .extend(crate::engine::wal::child_item(db, &w.table));
                }
            }
            if let Some(t) = db.tables.get(&w.table) {
                let merged = TableData::merge_pending(w.rows, t.data.composite_key);
                affected += merged.len() as u64;
                logged[li].1.push((w.table.clone(), merged.iter().map(|r| r.ts).collect()));
                db.write_rows(&w.table, merged, topics);
            }
        }
        for (db, tables, created) in logged {
            if let Some(db) = cat.dbs.get_mut(&db) {
                db.log_rows(tables, created);
            }
        }
        affected
    }
}

pub(super) fn run_insert(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    sql: &str,
    items: &[InsertTable],
) -> Result<u64, TdError> {
    let writes = plan_insert(engine, cat, ctx, sql, items)?;
    Ok(writes.apply(cat))
}

/// Checks an INSERT without writing anything (`validate_sql`).
pub(super) fn check_insert(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sql: &str,
    items: &[InsertTable],
) -> Result<(), TdError> {
    plan_insert(engine, cat, ctx, sql, items).map(|_| ())
}

/// Every row of the statement converted and merged per table; nothing written yet.
fn plan_insert(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sql: &str,
    items: &[InsertTable],
) -> Result<Writes, TdError> {
    let mut writes = Writes::default();
    let tz = engine.session_tz(ctx);
    for item in items {
        // taosc's insert parser names the missing database differently from the query parser
        let unqualified_stable = item.using.as_ref().is_some_and(|u| u.stable.db.is_none());
        if ctx.db.is_none() && (item.table.db.is_none() || unqualified_stable) {
            return Err(err(code::TSC_INVALID_OPERATION, "db is not specified"));
        }
        let dbname = super::catalog::db_key(cat, &resolve_db_name(ctx, item.table.db.as_deref())?);
        if super::catalog::is_system_db(&dbname) {
            return Err(err(9833, "System table not allowed"));
        }
        let db = cat.dbs.get(&dbname).ok_or_else(db_not_exist)?;
        let cx = ConvCtx {
            sql,
            tz,
            precision: db.precision,
            now: super::time::now(db.precision),
            near_token: false,
        };
        let keep = keep_days(db);
        let name = &item.table.name;

        // INSERT INTO <super table> (tbname, ts, cols…, tags…) VALUES …
        if item.using.is_none()
            && !db.tables.contains_key(name)
            && writes.pending_create(&dbname, name).is_none()
        {
            if let Some(st) = db.stables.get(name) {
                let Some(cols) = &item.columns else {
                    return Err(insert_error_raw(
                        sql,
                        item.after_name,
                        "(...tbname, ts...) bounded cols is expected for supertable insertion",
                    ));
                };
                // TDengine makes the child tables a SELECT names in tbname; this engine does
                // not (yet): refused, never answered with nothing written
                if item.query.is_some() {
                    return Err(super::errors::unsupported("INSERT INTO a super table … SELECT"));
                }
                insert_via_stable(&cx, db, &dbname, st, cols, item, keep, &mut writes)?;
                continue;
            }
        }

        let (columns, create): (Vec<ColumnSchema>, Option<(String, Vec<Value>)>) =
            if let Some(t) = db.tables.get(name) {
                if let Some(u) = &item.using {
                    if !is_child_of(t, &u.stable.name) {
                        return Err(in_other_stable());
                    }
                }
                (db.columns_of(t).to_vec(), None)
            } else if let Some(stname) = writes.pending_create(&dbname, name) {
                (
                    db.stables
                        .get(stname)
                        .map(|s| s.columns.clone())
                        .unwrap_or_default(),
                    None,
                )
            } else if let Some(u) = &item.using {
                let stdb = match &u.stable.db {
                    Some(d) => cat.dbs.get(d).ok_or_else(db_not_exist)?,
                    None => db,
                };
                let Some(st) = stdb.stables.get(&u.stable.name) else {
                    return Err(using_a_table(&cx, stdb, u));
                };
                // taosc's insert parser refuses a tag named twice (CREATE TABLE … USING takes it)
                if let Some(names) = &u.tag_names {
                    if let Some(n) = names
                        .iter()
                        .enumerate()
                        .find(|(i, n)| names[..*i].contains(n))
                        .map(|(_, n)| n)
                    {
                        return Err(crate::sql::parser::insert_syntax_error(
                            n,
                            "duplicated column name",
                        ));
                    }
                }
                // the INSERT reader takes one value per tag expected: a value where none is
                // (`() tags (1)`) or a `)` where one is (`(a, b) tags (1)`, `tags ()`) is a
                // syntax error there; more values than tags is 9741 (below)
                let expected = u.tag_names.as_ref().map_or(st.tags.len(), Vec::len);
                if expected == 0 {
                    if let Some(v) = u.tags.first() {
                        return Err(crate::sql::parser::insert_error(cx.sql, v.pos, ") is expected"));
                    }
                } else if u.tags.len() < expected {
                    return Err(crate::sql::parser::insert_error(
                        cx.sql,
                        u.tags_close,
                        "invalid data or symbol",
                    ));
                }
                let tags = tag_values(&cx, st, u.tag_names.as_deref(), &u.tags, invalid_column)?;
                (st.columns.clone(), Some((st.name.clone(), tags)))
            } else {
                return Err(table_not_exist());
            };
        let map = column_map(&columns, item.columns.as_deref())?;
        if item.from_file {
            // the client library reads the file itself; through taosAdapter there is none to read
            return Err(err(
                code::TSC_INVALID_OPERATION,
                "proxy mode does not support csv loading",
            ));
        }
        let ncols = columns.len() - 1;
        let mut rows = Vec::with_capacity(item.rows.len());
        if let Some(q) = &item.query {
            let rs = super::query::run_query(engine, cat, ctx, q)?;
            rows = rows_from_result(engine, &rs, &columns, &map, db.precision)?;
        }
        for row in &item.rows {
            rows.push(convert_row(&cx, &columns, &map, row, ncols, keep)?);
        }
        let w = writes.entry(&dbname, name, create);
        w.rows.extend(rows);
    }
    Ok(writes)
}

/// `INSERT … USING x` where x is no super table: taosc's reader takes a normal table as one
/// with no tags and a child table as one with its super table's tags, and answers as it reads
/// (3.3.7.5): a tag name is 9730, a tag value where none is due `) is expected` at it, too few
/// values `invalid data or symbol` at the `)`, no tags at all 277 from the server.
fn using_a_table(cx: &ConvCtx, db: &Database, u: &Using) -> TdError {
    let tag_count = match db.tables.get(&u.stable.name).map(|t| &t.kind) {
        Some(TableKind::Child { stable, .. }) => db.stables.get(stable).map_or(0, |s| s.tags.len()),
        Some(_) => 0,
        None => return table_not_exist(),
    };
    if let Some(n) = u.tag_names.as_ref().and_then(|n| n.first()) {
        if tag_count == 0 {
            return invalid_column(n);
        }
    } else if tag_count == 0 {
        return match u.tags.first() {
            Some(v) => insert_error(cx.sql, v.pos, ") is expected"),
            None => err(code::INVALID_MSG, "Invalid message"),
        };
    } else if u.tags.len() < tag_count {
        return insert_error(cx.sql, u.tags_close, "invalid data or symbol");
    }
    table_not_exist()
}

/// `INSERT … SELECT`: result columns map to the target columns by position.
fn rows_from_result(
    engine: &Engine,
    rs: &crate::types::ResultSet,
    columns: &[ColumnSchema],
    map: &[usize],
    precision: crate::types::Precision,
) -> Result<Vec<PendingRow>, TdError> {
    if rs.fields.len() != map.len() {
        return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
    }
    let env = super::eval::EvalEnv {
        precision,
        tz: engine.config().timezone,
        tz_label: None,
        server_tz: engine.config().timezone,
        db: None,
        server_version: "",
        now: super::time::now(precision),
        fault: Default::default(),
        rand_seeded: Default::default(),
    };
    let ncols = columns.len() - 1;
    let mut out = Vec::with_capacity(rs.num_rows());
    for r in 0..rs.num_rows() {
        let mut vals = vec![None; ncols];
        let mut ts = None;
        for (c, &ci) in map.iter().enumerate() {
            let v = rs.columns[c][r].clone();
            if ci == 0 {
                ts = match v {
                    Value::Timestamp(t) => Some(super::time::convert(t, rs.precision, precision)),
                    Value::Int(t) => Some(t),
                    _ => None,
                };
            } else {
                let col = &columns[ci];
                let v = match (&v, col.ty) {
                    (Value::Timestamp(t), DataType::Timestamp) => {
                        Value::Timestamp(super::time::convert(*t, rs.precision, precision))
                    }
                    _ if col.ty.is_decimal() => v,
                    _ => super::eval::cast_value(v, &col.field(), &env),
                };
                vals[ci - 1] = Some(coerce_value(v, col)?);
            }
        }
        let ts = ts.ok_or_else(|| {
            err(
                code::TSC_INVALID_OPERATION,
                "Primary timestamp column should not be null",
            )
        })?;
        let row = PendingRow { ts, vals };
        check_key(columns, &row)?;
        out.push(row);
    }
    Ok(out)
}

/// A composite primary key is never NULL (9851).
fn check_key(columns: &[ColumnSchema], row: &PendingRow) -> Result<(), TdError> {
    if columns.get(1).is_some_and(|c| c.primary_key)
        && !matches!(row.vals.first(), Some(Some(v)) if *v != Value::Null)
    {
        return Err(err(9851, "Primary key column should not be null"));
    }
    Ok(())
}

/// Like [`insert_error`] but keeps the text's leading space (TDengine quotes it verbatim here).
fn insert_error_raw(sql: &str, at: usize, reason: &str) -> TdError {
    let rest = sql.get(at..).unwrap_or("").trim_end();
    crate::sql::parser::insert_syntax_error(rest, reason)
}

/// For each given value position: the column index (0 = ts).
fn column_map(columns: &[ColumnSchema], names: Option<&[String]>) -> Result<Vec<usize>, TdError> {
    match names {
        None => Ok((0..columns.len()).collect()),
        Some(names) => {
            let mut out = Vec::with_capacity(names.len());
            for n in names {
                let i = columns
                    .iter()
                    .position(|c| c.name == *n)
                    .ok_or_else(|| invalid_column(n))?;
                if out.contains(&i) {
                    return Err(crate::sql::parser::insert_syntax_error(
                        n,
                        "duplicated column name",
                    ));
                }
                out.push(i);
            }
            if !out.contains(&0) {
                return Err(err(
                    code::TSC_INVALID_OPERATION,
                    "Primary timestamp column should not be null",
                ));
            }
            Ok(out)
        }
    }
}

fn convert_row(
    cx: &ConvCtx,
    columns: &[ColumnSchema],
    map: &[usize],
    row: &InsRow,
    ncols: usize,
    keep: i64,
) -> Result<PendingRow, TdError> {
    // values are read (and refused) in order before the count is checked, as TDengine does
    if row.vals.is_empty() {
        return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
    }
    let mut vals: Vec<Option<Value>> = vec![None; ncols];
    let mut ts = 0;
    for (k, (v, &ci)) in row.vals.iter().zip(map).enumerate() {
        // `(now, )`: a `)` where a value is due ends the row short (3.3.7.5: 9791)
        if matches!(v.kind, InsValKind::Invalid) && cx.sql.as_bytes().get(v.pos) == Some(&b')') {
            return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
        }
        // `1704067213000 + 0`: a timestamp reads an operator after it as its own arithmetic
        if k + 1 == row.vals.len() && columns[ci].ty == DataType::Timestamp {
            if let Some(at) = row.broken {
                if matches!(cx.sql.as_bytes().get(at), Some(b'+' | b'-')) {
                    return Err(cx.err(v, "invalid timestamp"));
                }
            }
        }
        if ci == 0 {
            ts = convert::convert_ts(cx, v, keep)?;
        } else {
            vals[ci - 1] = Some(convert::convert_value(cx, v, &columns[ci])?);
        }
    }
    if row.vals.len() > map.len() {
        return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
    }
    if let Some(at) = row.broken {
        let want = if row.vals.len() < map.len() {
            ", expected"
        } else {
            ") expected"
        };
        return Err(insert_error(cx.sql, at, want));
    }
    if row.vals.len() < map.len() {
        return Err(insert_error(cx.sql, row.close, ", expected"));
    }
    let row = PendingRow { ts, vals };
    check_key(columns, &row)?;
    Ok(row)
}

#[allow(clippy::too_many_arguments)]
fn insert_via_stable(
    cx: &ConvCtx,
    db: &Database,
    dbname: &str,
    st: &STable,
    cols: &[String],
    item: &InsertTable,
    keep: i64,
    writes: &mut Writes,
) -> Result<(), TdError> {
    // Split the column list into tbname, data columns and tags.
    let mut tbname_pos = None;
    let mut col_names = Vec::new();
    let mut col_pos = Vec::new();
    let mut tag_names = Vec::new();
    let mut tag_pos = Vec::new();
    for (i, n) in cols.iter().enumerate() {
        if n == "tbname" {
            tbname_pos = Some(i);
        } else if st.columns.iter().any(|c| c.name == *n) {
            col_names.push(n.clone());
            col_pos.push(i);
        } else if st.tags.iter().any(|c| c.name == *n) {
            if tag_names.contains(n) {
                return Err(crate::sql::parser::insert_syntax_error(n, "duplicated column name"));
            }
            tag_names.push(n.clone());
            tag_pos.push(i);
        } else {
            return Err(invalid_column(n));
        }
    }
    let Some(tbpos) = tbname_pos else {
        return Err(insert_error_raw(
            cx.sql,
            item.after_name,
            "(...tbname, ts...) bounded cols is expected for supertable insertion",
        ));
    };
    let map = column_map(&st.columns, Some(&col_names))?;
    let ncols = st.columns.len() - 1;
    for row in &item.rows {
        if row.vals.len() > cols.len() || row.vals.is_empty() {
            return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
        }
        if let Some(at) = row.broken {
            let want = if row.vals.len() < cols.len() {
                ", expected"
            } else {
                ") expected"
            };
            return Err(insert_error(cx.sql, at, want));
        }
        if row.vals.len() < cols.len() {
            return Err(insert_error(cx.sql, row.close, ", expected"));
        }
        let tbname = match &row.vals[tbpos].kind {
            InsValKind::Str(s) if s.is_empty() => {
                return Err(err(code::TSC_INVALID_OPERATION, "tbname can not be empty"))
            }
            InsValKind::Null => return Err(err(code::TSC_INVALID_OPERATION, "tbname can not be null value")),
            InsValKind::Str(s) => s.clone(),
            InsValKind::Number { start, end, .. } => cx.sql[*start..*end].to_string(),
            _ => return Err(cx.err(&row.vals[tbpos], "invalid table name")),
        };
        let data_row = InsRow {
            vals: col_pos.iter().map(|&i| row.vals[i].clone()).collect(),
            close: row.close,
            broken: None,
        };
        let pending = convert_row(cx, &st.columns, &map, &data_row, ncols, keep)?;
        let create = match db.tables.get(&tbname) {
            Some(t) => {
                if !is_child_of(t, &st.name) {
                    return Err(in_other_stable());
                }
                None
            }
            None => {
                let tag_vals: Vec<InsVal> = tag_pos.iter().map(|&i| row.vals[i].clone()).collect();
                Some((
                    st.name.clone(),
                    tag_values(cx, st, Some(&tag_names), &tag_vals, invalid_column)?,
                ))
            }
        };
        writes.entry(dbname, &tbname, create).rows.push(pending);
    }
    Ok(())
}

/// The SQL-free write path ([`Engine::insert_rows`]).
pub(super) fn insert_values(
    cat: &mut Catalog,
    dbname: &str,
    table: &str,
    columns: Option<&[String]>,
    rows: Vec<Vec<Value>>,
    create: Option<AutoCreate>,
) -> Result<u64, TdError> {
    let key = super::catalog::db_key(cat, dbname);
    let topics = cat.has_topics(&key);
    let db = cat.dbs.get_mut(&key).ok_or_else(db_not_exist)?;
    let mut created = Vec::new();
    let schema: Vec<ColumnSchema> = match db.tables.get(table) {
        Some(t) => db.columns_of(t).to_vec(),
        None => {
            let Some(c) = &create else {
                return Err(table_not_exist());
            };
            let st = db.stables.get(&c.stable).ok_or_else(table_not_exist)?;
            if c.tags.len() != st.tags.len() {
                return Err(err(ecode::TAGS_NOT_MATCHED, "Tags number not matched"));
            }
            let mut tags = Vec::with_capacity(c.tags.len());
            for (v, col) in c.tags.iter().zip(&st.tags) {
                tags.push(coerce_value(v.clone(), col)?);
            }
            let cols = st.columns.clone();
            let stname = st.name.clone();
            create_child(db, table, &stname, tags, &Default::default());
            created.extend(crate::engine::wal::child_item(db, table));
            cols
        }
    };
    let map = column_map(&schema, columns)?;
    let ncols = schema.len() - 1;
    let (precision, keep, now) = (db.precision, keep_days(db), super::time::now(db.precision));
    let mut pending = Vec::with_capacity(rows.len());
    for r in rows {
        if r.len() != map.len() {
            return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
        }
        let mut vals = vec![None; ncols];
        let mut ts = None;
        for (v, &ci) in r.into_iter().zip(&map) {
            if ci == 0 {
                ts = match v {
                    Value::Timestamp(t) | Value::Int(t) => Some(t),
                    _ => None,
                };
            } else {
                vals[ci - 1] = Some(coerce_value(v, &schema[ci])?);
            }
        }
        let ts = ts.ok_or_else(|| {
            err(
                code::TSC_INVALID_OPERATION,
                "Primary timestamp column should not be null",
            )
        })?;
        convert::check_ts_range(ts, precision, keep, now)?;
        let row = PendingRow { ts, vals };
        check_key(&schema, &row)?;
        pending.push(row);
    }
    let mut n = 0;
    let mut written = Vec::new();
    if let Some(t) = db.tables.get(table) {
        let merged = TableData::merge_pending(pending, t.data.composite_key);
        n = merged.len() as u64;
        written.push((table.to_string(), merged.iter().map(|r| r.ts).collect()));
        db.write_rows(table, merged, topics);
    }
    db.log_rows(written, created);
    Ok(n)
}

/// Checks a bound value against its column (range, length) and normalises its variant.
pub fn coerce_value(v: Value, col: &ColumnSchema) -> Result<Value, TdError> {
    use DataType::*;
    let range_err = || {
        err(
            code::TSC_VALUE_OUT_OF_RANGE,
            format!("value out of range for column {}", col.name),
        )
    };
    Ok(match (col.ty, v) {
        (_, Value::Null) => Value::Null,
        (TinyInt | SmallInt | Int | BigInt, Value::Int(i)) => {
            let ok = match col.ty {
                TinyInt => i8::try_from(i).is_ok(),
                SmallInt => i16::try_from(i).is_ok(),
                Int => i32::try_from(i).is_ok(),
                _ => true,
            };
            if !ok {
                return Err(range_err());
            }
            Value::Int(i)
        }
        (UTinyInt | USmallInt | UInt | UBigInt, Value::UInt(u)) => {
            let ok = match col.ty {
                UTinyInt => u8::try_from(u).is_ok(),
                USmallInt => u16::try_from(u).is_ok(),
                UInt => u32::try_from(u).is_ok(),
                _ => true,
            };
            if !ok {
                return Err(range_err());
            }
            Value::UInt(u)
        }
        (UTinyInt | USmallInt | UInt | UBigInt, Value::Int(i)) => {
            return coerce_value(Value::UInt(u64::try_from(i).map_err(|_| range_err())?), col)
        }
        (TinyInt | SmallInt | Int | BigInt, Value::UInt(u)) => {
            return coerce_value(Value::Int(i64::try_from(u).map_err(|_| range_err())?), col)
        }
        (Bool, Value::Bool(b)) => Value::Bool(b),
        (Bool, Value::Int(i)) => Value::Bool(i != 0),
        (Float, Value::Float(f)) => Value::Float(f),
        (Float, Value::Double(d)) => Value::Float(d as f32),
        (Double, Value::Double(d)) => Value::Double(d),
        (Double, Value::Float(f)) => Value::Double(f as f64),
        (Timestamp, Value::Timestamp(t)) | (Timestamp, Value::Int(t)) => Value::Timestamp(t),
        // A bound JSON tag must be an object: a JSON string (e.g. an object's text quoted once
        // more) or number is refused the way taosd refuses it in SQL.
        (Json, Value::Str(s))
            if serde_json::from_str::<serde_json::Value>(s.trim())
                .is_ok_and(|j| !j.is_object() && !j.is_null()) =>
        {
            return Err(err(
                code::TSC_SQL_SYNTAX_ERROR,
                format!("syntax error near '{s}' (json error invalide value)"),
            ));
        }
        (VarChar | Json, Value::Str(s)) => {
            if col.ty == VarChar && s.len() > col.len as usize {
                return Err(convert::value_too_long(&col.name));
            }
            Value::Str(s)
        }
        (NChar, Value::Str(s)) => {
            if s.chars().count() > col.len as usize {
                return Err(convert::value_too_long(&col.name));
            }
            Value::Str(s)
        }
        (VarChar | NChar, Value::Bytes(b)) => {
            return coerce_value(Value::Str(String::from_utf8_lossy(&b).into_owned()), col)
        }
        (VarBinary | Geometry | Blob, Value::Bytes(b)) => {
            if col.ty != Blob && b.len() > col.len as usize {
                return Err(convert::value_too_long(&col.name));
            }
            Value::Bytes(b)
        }
        (VarBinary | Blob, Value::Str(s)) => {
            return coerce_value(Value::Bytes(s.into_bytes()), col)
        }
        (Decimal | Decimal64, Value::Decimal(d)) => Value::Decimal(d),
        // stmt2 sends decimals as text
        (Decimal | Decimal64, Value::Str(s)) => {
            match convert::parse_decimal(&s, col.precision, col.scale) {
                convert::DecimalParse::Ok(d) => Value::Decimal(d),
                convert::DecimalParse::Invalid => Value::Decimal(0),
                convert::DecimalParse::Overflow => {
                    return Err(err(code::DECIMAL_OVERFLOW, "Decimal value overflow"))
                }
            }
        }
        (Decimal | Decimal64, Value::Int(i)) => {
            return coerce_value(Value::Str(i.to_string()), col)
        }
        (Float | Double, Value::Int(i)) => return coerce_value(Value::Double(i as f64), col),
        (Float | Double, Value::UInt(u)) => return coerce_value(Value::Double(u as f64), col),
        (Bool, Value::UInt(u)) => Value::Bool(u != 0),
        (Json, Value::Bytes(b)) => {
            return coerce_value(Value::Str(String::from_utf8_lossy(&b).into_owned()), col)
        }
        (Geometry, Value::Str(s)) => match convert::wkt_to_wkb(&s) {
            Some(w) => return coerce_value(Value::Bytes(w), col),
            None => {
                return Err(err(
                    code::TSC_INVALID_OPERATION,
                    format!("invalid geometry for column {}", col.name),
                ))
            }
        },
        (_, other) => {
            return Err(err(
                code::TSC_INVALID_OPERATION,
                format!(
                    "value {:?} does not match the type of column {}",
                    other, col.name
                ),
            ));
        }
    })
}

fn is_child_of(t: &Table, stable_name: &str) -> bool {
    matches!(&t.kind, TableKind::Child { stable, .. } if stable == stable_name)
}

/// An INSERT that names an existing normal table, or a child of another super table, as a child
/// of this one (`USING st`, or `tbname` in an INSERT into st).
fn in_other_stable() -> TdError {
    err(1565, "Table already exists in other stables")
}
