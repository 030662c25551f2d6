//! DDL (databases, super/child/normal tables, ALTER), SHOW, DESCRIBE and the
//! `information_schema` tables.

use crate::sql::ast::*;
use crate::types::{code, DataType, Field, Precision, ResultSet, TdError, Value};

use super::catalog::*;
use super::convert::{self, ConvCtx};
use super::{
    db_not_exist, ecode, err, invalid_column, resolve_db, resolve_db_name, table_not_exist,
    Catalog, Engine, SessionCtx,
};

const SYSTEM_DBS: [&str; 2] = ["information_schema", "performance_schema"];

pub(super) fn run_ddl(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    sql: &str,
    stmt: Statement,
) -> Result<(), TdError> {
    match stmt {
        Statement::CreateDatabase {
            name,
            if_not_exists,
            options,
        } => {
            if SYSTEM_DBS.contains(&name.as_str()) {
                return Err(err(
                    code::TSC_INVALID_OPERATION,
                    format!("Cannot create system database: `{}`", name),
                ));
            }
            let (precision, opts) = db_options(&options, DbOptions::default())?;
            if cat.dbs.contains_key(&name) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(err(code::MND_DB_ALREADY_EXIST, "Database already exists"));
            }
            cat.dbs.insert(
                name.clone(),
                Database::new(name, precision.unwrap_or_default(), opts),
            );
            Ok(())
        }
        Statement::AlterDatabase { name, options } => {
            let db = cat.dbs.get_mut(&name).ok_or_else(db_not_exist)?;
            let (_, opts) = db_options(&options, db.options.clone())?;
            db.options = opts;
            Ok(())
        }
        Statement::DropDatabase { name, if_exists } => {
            if SYSTEM_DBS.contains(&name.as_str()) {
                return Err(err(
                    code::TSC_INVALID_OPERATION,
                    format!("Cannot drop system database: `{}`", name),
                ));
            }
            if cat.dbs.contains_key(&name) && cat.topics.values().any(|t| t.db == name) {
                return Err(err(1005, "Topic must be dropped first"));
            }
            if cat.dbs.remove(&name).is_none() && !if_exists {
                return Err(db_not_exist());
            }
            Ok(())
        }
        Statement::CreateStable {
            name,
            if_not_exists,
            columns,
            tags,
        } => {
            let db = db_mut(cat, ctx, name.db.as_deref())?;
            let cols = column_schemas(&columns, false)?;
            let tags = column_schemas(&tags, true)?;
            check_table_shape(&cols, Some(&tags))?;
            if db.stables.contains_key(&name.name) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(err(code::MND_STB_ALREADY_EXIST, "STable already exists"));
            }
            if db.tables.contains_key(&name.name) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
            }
            let seq = db.seq();
            let now = chrono::Utc::now().timestamp_millis();
            db.stables.insert(
                name.name.clone(),
                STable {
                    name: name.name,
                    columns: cols,
                    tags,
                    seq,
                    create_time_ms: now,
                },
            );
            Ok(())
        }
        Statement::CreateTable {
            name,
            if_not_exists,
            columns,
        } => {
            let db = db_mut(cat, ctx, name.db.as_deref())?;
            let cols = column_schemas(&columns, false)?;
            check_table_shape(&cols, None)?;
            if db.tables.contains_key(&name.name) || db.stables.contains_key(&name.name) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
            }
            let seq = db.seq();
            let n = cols.len() - 1;
            db.tables.insert(
                name.name.clone(),
                Table {
                    name: name.name,
                    kind: TableKind::Normal { columns: cols },
                    data: TableData::with_columns(n),
                    seq,
                    create_time_ms: chrono::Utc::now().timestamp_millis(),
                },
            );
            Ok(())
        }
        Statement::CreateChildren(children) => {
            // validate all first: one failing table fails the statement
            let mut prepared = Vec::new();
            for c in &children {
                let dbname = super::db_key(cat, &resolve_db_name(ctx, c.name.db.as_deref())?);
                let db = cat.dbs.get(&dbname).ok_or_else(db_not_exist)?;
                let stname = &c.stable.name;
                let st = db.stables.get(stname).ok_or_else(table_not_exist)?;
                let cx = ConvCtx {
                    sql,
                    tz: engine.config().timezone,
                    precision: db.precision,
                    now: super::time::now(db.precision),
                };
                let tags = tag_values(&cx, st, c.tag_names.as_deref(), &c.tags)?;
                if db.tables.contains_key(&c.name.name) || db.stables.contains_key(&c.name.name) {
                    if c.if_not_exists {
                        continue;
                    }
                    return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
                }
                prepared.push((dbname, c.name.name.clone(), stname.clone(), tags));
            }
            for (dbname, name, stable, tags) in prepared {
                if let Some(db) = cat.dbs.get_mut(&dbname) {
                    create_child(db, &name, &stable, tags);
                }
            }
            Ok(())
        }
        Statement::DropTables { names, if_exists } => {
            for n in &names {
                let db = db_mut(cat, ctx, n.db.as_deref())?;
                if db.tables.remove(&n.name).is_none() && !if_exists {
                    return Err(table_not_exist());
                }
            }
            Ok(())
        }
        Statement::DropStable { name, if_exists } => {
            let db = db_mut(cat, ctx, name.db.as_deref())?;
            if db.stables.remove(&name.name).is_none() {
                if if_exists {
                    return Ok(());
                }
                return Err(err(code::MND_STB_NOT_EXIST, "STable not exist"));
            }
            db.tables.retain(
                |_, t| !matches!(&t.kind, TableKind::Child { stable, .. } if *stable == name.name),
            );
            Ok(())
        }
        Statement::Alter {
            stable,
            name,
            action,
        } => alter(engine, cat, ctx, sql, stable, &name, action),
        Statement::CreateTopic {
            name,
            if_not_exists,
            source,
        } => {
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
                    super::query::run_query(engine, cat, ctx, q)?;
                    if s.items.iter().any(|i| super::query::has_agg_call(&i.expr)) {
                        return Err(invalid());
                    }
                    (d.name.clone(), "column")
                }
            };
            let text = sql.trim().trim_end_matches(';').trim_end().to_string();
            cat.topics.insert(
                name.clone(),
                super::Topic {
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
        Statement::DropTopic { name, if_exists } => {
            if cat.topics.remove(&name).is_none() && !if_exists {
                return Err(err(993, "Topic not exist"));
            }
            Ok(())
        }
        _ => Err(super::unsupported(sql.trim())),
    }
}

pub(super) fn create_child(db: &mut Database, name: &str, stable: &str, tags: Vec<Value>) {
    let ncols = db
        .stables
        .get(stable)
        .map(|s| s.columns.len() - 1)
        .unwrap_or(0);
    let seq = db.seq();
    db.tables.insert(
        name.to_string(),
        Table {
            name: name.to_string(),
            kind: TableKind::Child {
                stable: stable.to_string(),
                tags,
            },
            data: TableData::with_columns(ncols),
            seq,
            create_time_ms: chrono::Utc::now().timestamp_millis(),
        },
    );
}

/// Tag values for a new child table, in the super table's tag order (unnamed tags are NULL).
pub(super) fn tag_values(
    cx: &ConvCtx,
    st: &STable,
    names: Option<&[String]>,
    vals: &[InsVal],
) -> Result<Vec<Value>, TdError> {
    let mut out = vec![Value::Null; st.tags.len()];
    match names {
        None => {
            if vals.len() != st.tags.len() {
                return Err(err(ecode::TAGS_NOT_MATCHED, "Tags number not matched"));
            }
            for (i, v) in vals.iter().enumerate() {
                out[i] = convert::convert_value(cx, v, &st.tags[i])?;
            }
        }
        Some(names) => {
            if vals.len() != names.len() {
                return Err(err(ecode::TAGS_NOT_MATCHED, "Tags number not matched"));
            }
            for (n, v) in names.iter().zip(vals) {
                let i = st
                    .tags
                    .iter()
                    .position(|t| t.name == *n)
                    .ok_or_else(|| invalid_column(n))?;
                out[i] = convert::convert_value(cx, v, &st.tags[i])?;
            }
        }
    }
    Ok(out)
}

fn db_mut<'c>(
    cat: &'c mut Catalog,
    ctx: &SessionCtx,
    explicit: Option<&str>,
) -> Result<&'c mut Database, TdError> {
    let name = super::db_key(cat, &resolve_db_name(ctx, explicit)?);
    cat.dbs.get_mut(&name).ok_or_else(db_not_exist)
}

fn opt_int(v: &DbOptVal) -> Option<i64> {
    match v {
        DbOptVal::Int(i) => Some(*i),
        DbOptVal::Str(s) => s.parse().ok(),
        _ => None,
    }
}

fn opt_text(v: &DbOptVal) -> String {
    match v {
        DbOptVal::Int(i) => i.to_string(),
        DbOptVal::Str(s) => s.clone(),
        DbOptVal::Duration(n, u) => format!("{}{}", n, u),
        DbOptVal::List(l) => l.iter().map(opt_text).collect::<Vec<_>>().join(","),
    }
}

/// Duration option in minutes (plain integers are days).
fn opt_minutes(v: &DbOptVal) -> Option<i64> {
    match v {
        DbOptVal::Int(d) => Some(d * 1440),
        DbOptVal::Duration(n, u) => Some(match u {
            'm' => *n,
            'h' => n * 60,
            'd' => n * 1440,
            _ => return None,
        }),
        _ => None,
    }
}

fn fmt_minutes(m: i64) -> String {
    if m % 1440 == 0 {
        format!("{}d", m / 1440)
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{}m", m)
    }
}

fn db_options(
    options: &[(String, DbOptVal, usize)],
    mut o: DbOptions,
) -> Result<(Option<Precision>, DbOptions), TdError> {
    let mut precision = None;
    let invalid = |m: String| err(ecode::INVALID_OPTION, m);
    for (name, v, _) in options {
        match name.as_str() {
            "precision" => {
                let s = opt_text(v);
                precision = Some(
                    Precision::from_str_opt(&s)
                        .ok_or_else(|| invalid(format!("Invalid option precision: {}", s)))?,
                );
            }
            "keep" => {
                let list: Vec<DbOptVal> = match v {
                    DbOptVal::List(l) => l.clone(),
                    other => vec![other.clone()],
                };
                let mins: Vec<i64> = list.iter().map(|x| opt_minutes(x).unwrap_or(0)).collect();
                let (a, b, c) = match mins.len() {
                    1 => (mins[0], mins[0], mins[0]),
                    2 => (mins[0], mins[1], mins[1]),
                    _ => (mins[0], mins[1], mins[2]),
                };
                if [a, b, c]
                    .iter()
                    .any(|&m| !(1440..=525_600_000).contains(&m))
                {
                    return Err(invalid(format!(
                        "Invalid option keep: {}, {}, {} valid range: [1440m, 525600000m]",
                        a, b, c
                    )));
                }
                o.keep = format!("{},{},{}", fmt_minutes(a), fmt_minutes(b), fmt_minutes(c));
            }
            "duration" => {
                o.duration = opt_minutes(v)
                    .map(fmt_minutes)
                    .unwrap_or_else(|| opt_text(v))
            }
            "vgroups" => {
                let n = opt_int(v).unwrap_or(0);
                if !(1..=1024).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option vgroups: {}, valid range: [1, 1024]",
                        n
                    )));
                }
                o.vgroups = n;
            }
            "replica" => {
                let n = opt_int(v).unwrap_or(0);
                if n != 1 {
                    return Err(err(code::MND_INVALID_DB_OPTION, "Invalid database options"));
                }
                o.replica = n;
            }
            "cachemodel" => {
                let s = opt_text(v);
                if !matches!(s.as_str(), "none" | "last_row" | "last_value" | "both") {
                    return Err(invalid(format!("Invalid option cacheModel: {}", s)));
                }
                o.cachemodel = s;
            }
            "buffer" => o.buffer = opt_int(v).unwrap_or(o.buffer),
            "cachesize" => o.cachesize = opt_int(v).unwrap_or(o.cachesize),
            "comp" => o.comp = opt_int(v).unwrap_or(o.comp),
            "minrows" => o.minrows = opt_int(v).unwrap_or(o.minrows),
            "maxrows" => o.maxrows = opt_int(v).unwrap_or(o.maxrows),
            "pages" => o.pages = opt_int(v).unwrap_or(o.pages),
            "pagesize" => o.pagesize = opt_int(v).unwrap_or(o.pagesize),
            "wal_level" => o.wal_level = opt_int(v).unwrap_or(o.wal_level),
            "wal_fsync_period" => o.wal_fsync_period = opt_int(v).unwrap_or(o.wal_fsync_period),
            _ => {}
        }
    }
    Ok((precision, o))
}

/// Keep-days of a database (first KEEP value).
pub(super) fn keep_days(db: &Database) -> i64 {
    let first = db.options.keep.split(',').next().unwrap_or("3650d");
    let n: i64 = first[..first.len().saturating_sub(1)]
        .parse()
        .unwrap_or(3650);
    match first.chars().last() {
        Some('m') => n / 1440,
        Some('h') => n / 24,
        _ => n,
    }
}

pub(super) fn column_schema(c: &ColumnDef, is_tag: bool) -> Result<ColumnSchema, TdError> {
    let bad_len = || {
        err(
            ecode::INVALID_VAR_LEN,
            "Invalid binary/nchar column/tag length",
        )
    };
    let (ty, len, precision, scale) = match c.ty {
        TypeName::Timestamp => (DataType::Timestamp, 8, 0, 0),
        TypeName::Bool => (DataType::Bool, 1, 0, 0),
        TypeName::TinyInt => (DataType::TinyInt, 1, 0, 0),
        TypeName::SmallInt => (DataType::SmallInt, 2, 0, 0),
        TypeName::Int => (DataType::Int, 4, 0, 0),
        TypeName::BigInt => (DataType::BigInt, 8, 0, 0),
        TypeName::UTinyInt => (DataType::UTinyInt, 1, 0, 0),
        TypeName::USmallInt => (DataType::USmallInt, 2, 0, 0),
        TypeName::UInt => (DataType::UInt, 4, 0, 0),
        TypeName::UBigInt => (DataType::UBigInt, 8, 0, 0),
        TypeName::Float => (DataType::Float, 4, 0, 0),
        TypeName::Double => (DataType::Double, 8, 0, 0),
        TypeName::VarChar(n) => {
            if n == 0 || n > 65517 {
                return Err(bad_len());
            }
            (DataType::VarChar, n, 0, 0)
        }
        TypeName::NChar(n) => {
            if n == 0 || n > 16379 {
                return Err(bad_len());
            }
            (DataType::NChar, n, 0, 0)
        }
        TypeName::VarBinary(n) => {
            if n == 0 || n > 65517 {
                return Err(bad_len());
            }
            (DataType::VarBinary, n, 0, 0)
        }
        TypeName::Geometry(n) => {
            if n == 0 || n > 65517 {
                return Err(bad_len());
            }
            (DataType::Geometry, n, 0, 0)
        }
        TypeName::Json => {
            if !is_tag {
                return Err(err(ecode::ONLY_TAG_JSON, "Only tag can be json type"));
            }
            (DataType::Json, 4095, 0, 0)
        }
        TypeName::Blob => (DataType::Blob, 4_194_304, 0, 0),
        TypeName::Decimal(p, s) => {
            if is_tag {
                return Err(err(
                    code::PAR_INVALID_COLUMN,
                    "Decimal type is not allowed for tag",
                ));
            }
            if p == 0 || p > 38 || s > p {
                return Err(err(
                    code::PAR_INVALID_COLUMN,
                    format!(
                        "Invalid column type DECIMAL({},{}) , invalid precision or scale",
                        p, s
                    ),
                ));
            }
            let ty = if p <= 18 {
                DataType::Decimal64
            } else {
                DataType::Decimal
            };
            (ty, ty.fixed_size().unwrap_or(8) as u32, p, s)
        }
    };
    if c.name.chars().count() > 192 {
        return Err(err(
            ecode::NAME_TOO_LONG,
            "The identifier length cannot exceed 192",
        ));
    }
    Ok(ColumnSchema {
        name: c.name.clone(),
        ty,
        len,
        precision,
        scale,
        primary_key: c.primary_key,
    })
}

fn column_schemas(defs: &[ColumnDef], is_tag: bool) -> Result<Vec<ColumnSchema>, TdError> {
    defs.iter().map(|d| column_schema(d, is_tag)).collect()
}

fn check_table_shape(cols: &[ColumnSchema], tags: Option<&[ColumnSchema]>) -> Result<(), TdError> {
    if cols.first().map(|c| c.ty) != Some(DataType::Timestamp) {
        return Err(err(
            ecode::FIRST_COLUMN_TS,
            "The first column must be timestamp",
        ));
    }
    if cols.len() < 2 {
        return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
    }
    if cols.len() > 4096 {
        return Err(err(ecode::TOO_MANY_COLUMNS, "Too many columns"));
    }
    if cols.iter().filter(|c| c.ty == DataType::Blob).count() > 1 {
        return Err(err(ecode::ONE_BLOB, "only one blob column allowed"));
    }
    let mut names: Vec<String> = cols.iter().map(|c| c.name.to_ascii_lowercase()).collect();
    if let Some(tags) = tags {
        if tags.len() > 128 {
            return Err(err(ecode::TOO_MANY_TAGS, "Too many tags"));
        }
        if tags.iter().any(|t| t.ty == DataType::Json) && tags.len() > 1 {
            return Err(err(
                ecode::ONLY_ONE_JSON_TAG,
                "Only one tag if there is a json tag",
            ));
        }
        names.extend(tags.iter().map(|c| c.name.to_ascii_lowercase()));
    }
    let mut sorted = names.clone();
    sorted.sort();
    if sorted.windows(2).any(|w| w[0] == w[1]) {
        return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
    }
    Ok(())
}

fn alter(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    sql: &str,
    is_stable: bool,
    name: &TableName,
    action: AlterAction,
) -> Result<(), TdError> {
    let db = db_mut(cat, ctx, name.db.as_deref())?;
    let precision = db.precision;
    if is_stable
        || (db.stables.contains_key(&name.name) && !matches!(action, AlterAction::SetTag(_)))
    {
        let st = db
            .stables
            .get_mut(&name.name)
            .ok_or_else(|| err(code::MND_STB_NOT_EXIST, "STable not exist"))?;
        let stname = st.name.clone();
        match action {
            AlterAction::AddColumn(c) => {
                let cs = column_schema(&c, false)?;
                reject_duplicate_name(st.columns.iter().chain(st.tags.iter()), &cs.name)?;
                st.columns.push(cs);
                for t in db.tables.values_mut() {
                    if matches!(&t.kind, TableKind::Child { stable, .. } if *stable == stname) {
                        let n = t.data.len();
                        t.data.cols.push(vec![Value::Null; n]);
                    }
                }
            }
            AlterAction::DropColumn(c) => {
                let i = st
                    .columns
                    .iter()
                    .position(|x| x.name == c)
                    .ok_or_else(|| invalid_column(&c))?;
                if i == 0 {
                    return Err(err(ecode::STB_ALTER_OPTION, "Invalid stable alter options"));
                }
                st.columns.remove(i);
                for t in db.tables.values_mut() {
                    if matches!(&t.kind, TableKind::Child { stable, .. } if *stable == stname) {
                        t.data.cols.remove(i - 1);
                    }
                }
            }
            AlterAction::ModifyColumn(c) | AlterAction::ModifyTag(c) => {
                let is_tag = st.tags.iter().any(|x| x.name == c.name);
                let cs = column_schema(&c, is_tag)?;
                let list = if is_tag {
                    &mut st.tags
                } else {
                    &mut st.columns
                };
                let x = list
                    .iter_mut()
                    .find(|x| x.name == c.name)
                    .ok_or_else(|| invalid_column(&c.name))?;
                widen(x, &cs)?;
            }
            AlterAction::AddTag(c) => {
                let cs = column_schema(&c, true)?;
                reject_duplicate_name(st.columns.iter().chain(st.tags.iter()), &cs.name)?;
                st.tags.push(cs);
                for t in db.tables.values_mut() {
                    if let TableKind::Child { stable, tags } = &mut t.kind {
                        if *stable == stname {
                            tags.push(Value::Null);
                        }
                    }
                }
            }
            AlterAction::DropTag(c) => {
                let i = st
                    .tags
                    .iter()
                    .position(|x| x.name == c)
                    .ok_or_else(|| invalid_column(&c))?;
                st.tags.remove(i);
                for t in db.tables.values_mut() {
                    if let TableKind::Child { stable, tags } = &mut t.kind {
                        if *stable == stname && i < tags.len() {
                            tags.remove(i);
                        }
                    }
                }
            }
            AlterAction::RenameTag(a, b) => {
                let x = st
                    .tags
                    .iter_mut()
                    .find(|x| x.name == a)
                    .ok_or_else(|| invalid_column(&a))?;
                x.name = b;
            }
            AlterAction::Options => {}
            AlterAction::SetTag(_) => {
                return Err(err(ecode::STB_ALTER_OPTION, "Invalid stable alter options"))
            }
        }
        return Ok(());
    }
    let stables = db.stables.clone();
    let t = db.tables.get_mut(&name.name).ok_or_else(table_not_exist)?;
    match (&mut t.kind, action) {
        (TableKind::Child { stable, tags }, AlterAction::SetTag(sets)) => {
            let st = stables.get(stable).ok_or_else(table_not_exist)?;
            let cx = ConvCtx {
                sql,
                tz: engine.config().timezone,
                precision,
                now: super::time::now(precision),
            };
            for (n, v) in sets {
                let i = st
                    .tags
                    .iter()
                    .position(|x| x.name == n)
                    .ok_or_else(|| invalid_column(&n))?;
                let val = convert::convert_value(&cx, &v, &st.tags[i])?;
                if i < tags.len() {
                    tags[i] = val;
                }
            }
            Ok(())
        }
        (TableKind::Normal { columns }, AlterAction::AddColumn(c)) => {
            let cs = column_schema(&c, false)?;
            reject_duplicate_name(columns.iter(), &cs.name)?;
            columns.push(cs);
            let n = t.data.len();
            t.data.cols.push(vec![Value::Null; n]);
            Ok(())
        }
        (TableKind::Normal { columns }, AlterAction::DropColumn(c)) => {
            let i = columns
                .iter()
                .position(|x| x.name == c)
                .ok_or_else(|| invalid_column(&c))?;
            if i == 0 {
                return Err(err(ecode::STB_ALTER_OPTION, "Invalid stable alter options"));
            }
            columns.remove(i);
            t.data.cols.remove(i - 1);
            Ok(())
        }
        (TableKind::Normal { columns }, AlterAction::ModifyColumn(c)) => {
            let cs = column_schema(&c, false)?;
            let x = columns
                .iter_mut()
                .find(|x| x.name == c.name)
                .ok_or_else(|| invalid_column(&c.name))?;
            widen(x, &cs)
        }
        (_, AlterAction::Options) => Ok(()),
        _ => Err(super::unsupported(sql.trim())),
    }
}

fn widen(x: &mut ColumnSchema, new: &ColumnSchema) -> Result<(), TdError> {
    let ok = x.ty == new.ty
        && matches!(
            x.ty,
            DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry
        )
        && new.len > x.len;
    if !ok {
        return Err(err(ecode::MODIFY_COLUMN, "Only binary/nchar/geometry column length could be modified, and the length can only be increased, not decreased"));
    }
    x.len = new.len;
    Ok(())
}

// ---------------------------------------------------------------------- SHOW / DESCRIBE

fn vfield(name: &str, len: u32) -> Field {
    Field::new(name, DataType::VarChar, len)
}

fn str_col(v: impl Into<String>) -> Value {
    Value::Str(v.into())
}

fn rs(fields: Vec<Field>, rows: Vec<Vec<Value>>, precision: Precision) -> ResultSet {
    let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); fields.len()];
    for r in rows {
        for (c, v) in columns.iter_mut().zip(r) {
            c.push(v);
        }
    }
    ResultSet {
        fields,
        precision,
        columns,
    }
}

/// `LIKE` pattern match (`%`, `_`, `\` escapes), iterative with one backtrack point per `%` so
/// patterns with many `%` stay linear-ish.
pub fn like_match(s: &str, pat: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut p: Vec<P> = Vec::with_capacity(pat.len());
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        p.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => match it.next() {
                Some(n) => P::Lit(n),
                None => P::Lit('\\'),
            },
            other => P::Lit(other),
        });
    }
    let t: Vec<char> = s.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(P::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(P::One) => {
                ti += 1;
                pi += 1;
            }
            Some(P::Lit(c)) if *c == t[ti] => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|x| *x == P::Any)
}

/// The type text of SHOW CREATE / SHOW TAGS (`VARCHAR(64)`, `DECIMAL(12,3)`, `INT`).
pub(super) fn type_text(c: &ColumnSchema) -> String {
    match c.ty {
        DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry => {
            format!("{}({})", c.ty.name(), c.len)
        }
        DataType::Decimal | DataType::Decimal64 => format!("DECIMAL({},{})", c.precision, c.scale),
        DataType::Json => "JSON".into(),
        _ => c.ty.name().to_string(),
    }
}

/// A value as SHOW TAGS / SHOW CREATE TABLE print it.
fn value_text(v: &Value, quote: bool) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Timestamp(t) => t.to_string(),
        Value::Str(s) => {
            if quote {
                format!("\"{}\"", s)
            } else {
                s.clone()
            }
        }
        Value::Bytes(b) => {
            let h: String = b.iter().map(|x| format!("{:02x}", x)).collect();
            if quote {
                format!("\"\\x{}\"", h)
            } else {
                format!("\\x{}", h)
            }
        }
        Value::Decimal(d) => d.to_string(),
    })
}

fn encode_defaults(ty: DataType) -> (&'static str, &'static str) {
    use DataType::*;
    match ty {
        Timestamp => ("delta-i", "lz4"),
        TinyInt | SmallInt | UTinyInt | USmallInt => ("simple8b", "zlib"),
        Int | BigInt | UInt | UBigInt => ("simple8b", "lz4"),
        Float | Double => ("delta-d", "lz4"),
        Bool => ("bit-packing", "zstd"),
        VarChar | NChar | VarBinary => ("disabled", "zstd"),
        Json => ("disabled", "disabled"),
        Decimal | Decimal64 => ("disabled", "zstd"),
        _ => ("disabled", "lz4"),
    }
}

pub(super) fn describe(
    cat: &Catalog,
    ctx: &SessionCtx,
    name: &TableName,
) -> Result<ResultSet, TdError> {
    let db = resolve_db(cat, ctx, name.db.as_deref())?;
    let (cols, tags): (Vec<ColumnSchema>, Vec<ColumnSchema>) =
        if let Some(st) = db.stables.get(&name.name) {
            (st.columns.clone(), st.tags.clone())
        } else {
            let t = db.tables.get(&name.name).ok_or_else(table_not_exist)?;
            let cols = db.columns_of(t).to_vec();
            let tags = match &t.kind {
                TableKind::Child { stable, .. } => db
                    .stables
                    .get(stable)
                    .map(|s| s.tags.clone())
                    .unwrap_or_default(),
                _ => vec![],
            };
            (cols, tags)
        };
    let fields = vec![
        vfield("field", 325),
        vfield("type", 20),
        Field::fixed("length", DataType::Int),
        vfield("note", 16),
        vfield("encode", 12),
        vfield("compress", 12),
        vfield("level", 12),
    ];
    let mut rows = Vec::new();
    for (c, is_tag) in cols
        .iter()
        .map(|c| (c, false))
        .chain(tags.iter().map(|c| (c, true)))
    {
        let ty = match c.ty {
            DataType::Decimal | DataType::Decimal64 => {
                format!("DECIMAL({}, {})", c.precision, c.scale)
            }
            t => t.name().to_string(),
        };
        let len = match c.ty {
            DataType::Blob => 5,
            _ => c.len as i64,
        };
        let note = if is_tag {
            "TAG"
        } else if c.primary_key {
            "COMPOSITE KEY"
        } else {
            ""
        };
        let (enc, comp, level) = if is_tag {
            ("disabled", "disabled", "disabled")
        } else {
            let (e, z) = encode_defaults(c.ty);
            (e, z, "medium")
        };
        rows.push(vec![
            str_col(&c.name),
            str_col(ty),
            Value::Int(len),
            str_col(note),
            str_col(enc),
            str_col(comp),
            str_col(level),
        ]);
    }
    Ok(rs(fields, rows, Precision::Millisecond))
}

pub(super) fn show(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    kind: &ShowKind,
) -> Result<ResultSet, TdError> {
    let ms = Precision::Millisecond;
    match kind {
        ShowKind::Databases => {
            let mut names: Vec<&Database> = cat.dbs.values().collect();
            names.sort_by_key(|d| d.create_time_ms);
            let mut rows = vec![
                vec![str_col("information_schema")],
                vec![str_col("performance_schema")],
            ];
            rows.extend(names.iter().map(|d| vec![str_col(&d.name)]));
            Ok(rs(vec![vfield("name", 64)], rows, ms))
        }
        ShowKind::Tables { db, like, filter } => {
            let d = resolve_db(cat, ctx, db.as_deref())?;
            let rows = d
                .tables_in_order()
                .into_iter()
                .filter(|t| match filter {
                    Some(true) => matches!(t.kind, TableKind::Normal { .. }),
                    Some(false) => matches!(t.kind, TableKind::Child { .. }),
                    None => true,
                })
                .filter(|t| like.as_ref().is_none_or(|p| like_match(&t.name, p)))
                .map(|t| vec![str_col(&t.name)])
                .collect();
            Ok(rs(vec![vfield("table_name", 192)], rows, ms))
        }
        ShowKind::Stables { db, like } => {
            let d = resolve_db(cat, ctx, db.as_deref())?;
            let rows = d
                .stables_in_order()
                .into_iter()
                .filter(|t| like.as_ref().is_none_or(|p| like_match(&t.name, p)))
                .map(|t| vec![str_col(&t.name)])
                .collect();
            Ok(rs(vec![vfield("stable_name", 192)], rows, ms))
        }
        ShowKind::CreateDatabase(name) => {
            let d = cat.dbs.get(name).ok_or_else(db_not_exist)?;
            let o = &d.options;
            let text = format!(
                "CREATE DATABASE `{}` BUFFER {} CACHESIZE {} CACHEMODEL '{}' COMP {} DURATION {} WAL_FSYNC_PERIOD {} MAXROWS {} MINROWS {} STT_TRIGGER 2 KEEP {} PAGES {} PAGESIZE {} PRECISION '{}' REPLICA {} WAL_LEVEL {} VGROUPS {} SINGLE_STABLE 0 TABLE_PREFIX 0 TABLE_SUFFIX 0 TSDB_PAGESIZE 4 WAL_RETENTION_PERIOD 3600 WAL_RETENTION_SIZE 0 KEEP_TIME_OFFSET 0 ENCRYPT_ALGORITHM 'none' SS_CHUNKPAGES 131072 SS_KEEPLOCAL 525600m SS_COMPACT 1 COMPACT_INTERVAL 0d COMPACT_TIME_RANGE 0d,0d COMPACT_TIME_OFFSET 0h",
                d.name, o.buffer, o.cachesize, o.cachemodel, o.comp, o.duration, o.wal_fsync_period, o.maxrows, o.minrows, o.keep, o.pages, o.pagesize, d.precision.as_str(), o.replica, o.wal_level, o.vgroups
            );
            Ok(rs(
                vec![vfield("Database", 63), vfield("Create Database", 65517)],
                vec![vec![str_col(&d.name), str_col(text)]],
                ms,
            ))
        }
        ShowKind::CreateTable(name) | ShowKind::CreateStable(name) => {
            let d = resolve_db(cat, ctx, name.db.as_deref())?;
            let cols_text = |cols: &[ColumnSchema]| {
                cols.iter()
                    .map(|c| format!("`{}` {}", c.name, type_text(c)))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let text = if let Some(st) = d.stables.get(&name.name) {
                format!(
                    "CREATE STABLE `{}` ({}) TAGS ({})",
                    st.name,
                    cols_text(&st.columns),
                    cols_text(&st.tags)
                )
            } else {
                if matches!(kind, ShowKind::CreateStable(_)) {
                    return Err(table_not_exist());
                }
                let t = d.tables.get(&name.name).ok_or_else(table_not_exist)?;
                match &t.kind {
                    TableKind::Normal { columns } => {
                        format!("CREATE TABLE `{}` ({})", t.name, cols_text(columns))
                    }
                    TableKind::Child { stable, tags } => {
                        let st = d.stables.get(stable).ok_or_else(table_not_exist)?;
                        let names = st
                            .tags
                            .iter()
                            .map(|c| format!("`{}`", c.name))
                            .collect::<Vec<_>>()
                            .join(", ");
                        let vals = tags
                            .iter()
                            .map(|v| value_text(v, true).unwrap_or_else(|| "NULL".into()))
                            .collect::<Vec<_>>()
                            .join(", ");
                        format!(
                            "CREATE TABLE `{}` USING `{}` ({}) TAGS ({})",
                            t.name, stable, names, vals
                        )
                    }
                }
            };
            Ok(rs(
                vec![vfield("Table", 193), vfield("Create Table", 3_145_726)],
                vec![vec![str_col(&name.name), str_col(text)]],
                ms,
            ))
        }
        ShowKind::Tags(name) => {
            let d = resolve_db(cat, ctx, name.db.as_deref())?;
            let t = d.tables.get(&name.name).ok_or_else(table_not_exist)?;
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("stable_name", 192),
                vfield("tag_name", 64),
                vfield("tag_type", 32),
                vfield("tag_value", 16384),
            ];
            let mut rows = Vec::new();
            if let TableKind::Child { stable, tags } = &t.kind {
                if let Some(st) = d.stables.get(stable) {
                    for (c, v) in st.tags.iter().zip(tags) {
                        rows.push(vec![
                            str_col(&t.name),
                            str_col(&d.name),
                            str_col(stable),
                            str_col(&c.name),
                            str_col(tag_type_text(c)),
                            value_text(v, false).map(Value::Str).unwrap_or(Value::Null),
                        ]);
                    }
                }
            }
            Ok(rs(fields, rows, ms))
        }
        ShowKind::TableTags { cols, table } => {
            let d = resolve_db(cat, ctx, table.db.as_deref())?;
            let st = d.stables.get(&table.name).ok_or_else(table_not_exist)?;
            let idx: Vec<Option<usize>> = match cols {
                None => std::iter::once(None)
                    .chain((0..st.tags.len()).map(Some))
                    .collect(),
                Some(names) => names
                    .iter()
                    .map(|n| {
                        if n == "tbname" {
                            Ok(None)
                        } else {
                            st.tags
                                .iter()
                                .position(|t| t.name == *n)
                                .map(Some)
                                .ok_or_else(|| invalid_column(n))
                        }
                    })
                    .collect::<Result<_, _>>()?,
            };
            let fields = idx
                .iter()
                .map(|i| {
                    i.map(|i| st.tags[i].field())
                        .unwrap_or_else(|| vfield("tbname", 270))
                })
                .collect();
            let rows = d
                .children_of(&st.name)
                .into_iter()
                .map(|t| {
                    let tags = match &t.kind {
                        TableKind::Child { tags, .. } => tags.clone(),
                        _ => vec![],
                    };
                    idx.iter()
                        .map(|i| {
                            i.map(|i| tags.get(i).cloned().unwrap_or(Value::Null))
                                .unwrap_or_else(|| str_col(&t.name))
                        })
                        .collect()
                })
                .collect();
            Ok(rs(fields, rows, ms))
        }
        ShowKind::Users => {
            let fields = vec![
                vfield("name", 24),
                Field::fixed("super", DataType::TinyInt),
                Field::fixed("enable", DataType::TinyInt),
                Field::fixed("sysinfo", DataType::TinyInt),
                Field::fixed("createdb", DataType::TinyInt),
                Field::fixed("create_time", DataType::Timestamp),
                vfield("allowed_host", 49152),
            ];
            let row = vec![
                str_col("root"),
                Value::Int(1),
                Value::Int(1),
                Value::Int(1),
                Value::Int(1),
                Value::Timestamp(0),
                str_col("127.0.0.1/32,::1/128"),
            ];
            Ok(rs(fields, vec![row], ms))
        }
        ShowKind::Variables { like } => {
            let fields = vec![
                vfield("name", 30),
                vfield("value", 4094),
                vfield("scope", 6),
                vfield("category", 6),
                vfield("info", 62),
            ];
            let tz = engine.config().timezone;
            let offset = {
                use chrono::{Offset, TimeZone};
                let now = chrono::Utc::now().naive_utc();
                let secs = tz.offset_from_utc_datetime(&now).fix().local_minus_utc();
                let sign = if secs < 0 { '-' } else { '+' };
                format!(
                    "{}{:02}{:02}",
                    sign,
                    secs.abs() / 3600,
                    secs.abs() % 3600 / 60
                )
            };
            let abbr = chrono::Utc::now()
                .with_timezone(&tz)
                .format("%Z")
                .to_string();
            let vars = vec![
                ("timezone", format!("{} ({}, {})", tz.name(), abbr, offset)),
                ("locale", "C.UTF-8".into()),
                ("charset", "UTF-8".into()),
            ];
            let rows = vars
                .into_iter()
                .filter(|(n, _)| like.as_ref().is_none_or(|p| like_match(n, p)))
                .map(|(n, v)| {
                    vec![
                        str_col(n),
                        str_col(v),
                        str_col("both"),
                        str_col("global"),
                        str_col(""),
                    ]
                })
                .collect();
            Ok(rs(fields, rows, ms))
        }
        ShowKind::Topics => {
            let mut t: Vec<&super::Topic> = cat.topics.values().collect();
            t.sort_by_key(|t| t.create_time_ms);
            Ok(rs(
                vec![vfield("topic_name", 192)],
                t.into_iter().map(|t| vec![str_col(&t.name)]).collect(),
                ms,
            ))
        }
        ShowKind::Subscriptions => {
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
            Ok(rs(fields, vec![], ms))
        }
        ShowKind::Dnodes | ShowKind::Vgroups { .. } => Err(super::unsupported("show")),
    }
}

fn tag_type_text(c: &ColumnSchema) -> String {
    match c.ty {
        DataType::Json => "JSON(16382)".into(),
        _ => type_text(c),
    }
}

/// `information_schema.<name>` as a result set (all columns), or `None` if unknown.
pub(super) fn system_table(cat: &Catalog, name: &str) -> Option<ResultSet> {
    let ms = Precision::Millisecond;
    let ts = |name: &str| Field::fixed(name, DataType::Timestamp);
    let int = |name: &str| Field::fixed(name, DataType::Int);
    let mut dbs: Vec<&Database> = cat.dbs.values().collect();
    dbs.sort_by(|a, b| a.name.cmp(&b.name));
    Some(match name {
        "ins_databases" => {
            let fields = vec![
                vfield("name", 64),
                ts("create_time"),
                Field::fixed("vgroups", DataType::SmallInt),
                Field::fixed("ntables", DataType::BigInt),
                Field::fixed("replica", DataType::TinyInt),
                vfield("strict", 4),
                vfield("duration", 10),
                vfield("keep", 32),
                int("buffer"),
                int("pagesize"),
                int("pages"),
                int("minrows"),
                int("maxrows"),
                Field::fixed("comp", DataType::TinyInt),
                vfield("precision", 2),
                vfield("status", 10),
                vfield("retentions", 60),
                Field::fixed("single_stable", DataType::Bool),
                vfield("cachemodel", 11),
                int("cachesize"),
                Field::fixed("wal_level", DataType::TinyInt),
                int("wal_fsync_period"),
            ];
            let mut rows = Vec::new();
            for sys in SYSTEM_DBS {
                rows.push(vec![
                    str_col(sys),
                    Value::Null,
                    Value::Null,
                    Value::Int(0),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    str_col("ready"),
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                    Value::Null,
                ]);
            }
            for d in dbs {
                let o = &d.options;
                rows.push(vec![
                    str_col(&d.name),
                    Value::Timestamp(d.create_time_ms),
                    Value::Int(o.vgroups),
                    Value::Int(d.tables.len() as i64),
                    Value::Int(o.replica),
                    str_col("off"),
                    str_col(&o.duration),
                    str_col(&o.keep),
                    Value::Int(o.buffer),
                    Value::Int(o.pagesize),
                    Value::Int(o.pages),
                    Value::Int(o.minrows),
                    Value::Int(o.maxrows),
                    Value::Int(o.comp),
                    str_col(d.precision.as_str()),
                    str_col("ready"),
                    Value::Null,
                    Value::Bool(false),
                    str_col(&o.cachemodel),
                    Value::Int(o.cachesize),
                    Value::Int(o.wal_level),
                    Value::Int(o.wal_fsync_period),
                ]);
            }
            rs(fields, rows, ms)
        }
        "ins_stables" => {
            let fields = vec![
                vfield("stable_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                int("columns"),
                int("tags"),
                ts("last_update"),
                vfield("table_comment", 1024),
                vfield("watermark", 64),
                vfield("max_delay", 64),
                vfield("rollup", 128),
                Field::fixed("uid", DataType::BigInt),
                Field::fixed("isvirtual", DataType::Bool),
                Field::fixed("keep", DataType::BigInt),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for st in d.stables_in_order() {
                    rows.push(vec![
                        str_col(&st.name),
                        str_col(&d.name),
                        Value::Timestamp(st.create_time_ms),
                        Value::Int(st.columns.len() as i64),
                        Value::Int(st.tags.len() as i64),
                        Value::Timestamp(st.create_time_ms),
                        Value::Null,
                        str_col("5000a,5000a"),
                        str_col("-1a,-1a"),
                        str_col(""),
                        Value::Int(st.seq as i64),
                        Value::Bool(false),
                        Value::Int(-1),
                    ]);
                }
            }
            rs(fields, rows, ms)
        }
        "ins_tables" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                int("columns"),
                vfield("stable_name", 192),
                Field::fixed("uid", DataType::BigInt),
                Field::fixed("vgroup_id", DataType::Int),
                int("ttl"),
                vfield("table_comment", 1024),
                vfield("type", 21),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for t in d.tables_in_order() {
                    let (stable, ty) = match &t.kind {
                        TableKind::Child { stable, .. } => (str_col(stable), "CHILD_TABLE"),
                        TableKind::Normal { .. } => (Value::Null, "NORMAL_TABLE"),
                    };
                    rows.push(vec![
                        str_col(&t.name),
                        str_col(&d.name),
                        Value::Timestamp(t.create_time_ms),
                        Value::Int(d.columns_of(t).len() as i64),
                        stable,
                        Value::Int(t.seq as i64),
                        Value::Int(2),
                        Value::Int(0),
                        Value::Null,
                        str_col(ty),
                    ]);
                }
            }
            rs(fields, rows, ms)
        }
        "ins_columns" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("table_type", 21),
                vfield("col_name", 64),
                vfield("col_type", 32),
                int("col_length"),
                Field::fixed("col_precision", DataType::TinyInt),
                Field::fixed("col_scale", DataType::TinyInt),
                vfield("col_nullable", 4),
            ];
            let mut rows = Vec::new();
            let mut push = |table: &str, db: &str, ty: &str, cols: &[ColumnSchema]| {
                for c in cols {
                    let (t, len) = match c.ty {
                        DataType::VarChar | DataType::NChar => {
                            (format!("{}({})", c.ty.name(), c.len), c.len)
                        }
                        DataType::VarBinary | DataType::Geometry => {
                            (c.ty.name().to_string(), c.len + 2)
                        }
                        DataType::Decimal | DataType::Decimal64 => (type_text(c), c.len),
                        _ => (c.ty.name().to_string(), c.len),
                    };
                    rows.push(vec![
                        str_col(table),
                        str_col(db),
                        str_col(ty),
                        str_col(&c.name),
                        str_col(t),
                        Value::Int(len as i64),
                        Value::Int(c.precision as i64),
                        Value::Int(c.scale as i64),
                        Value::Null,
                    ]);
                }
            };
            for d in &dbs {
                for st in d.stables_in_order() {
                    push(&st.name, &d.name, "SUPER_TABLE", &st.columns);
                }
                for t in d.tables_in_order() {
                    let ty = if matches!(t.kind, TableKind::Child { .. }) {
                        "CHILD_TABLE"
                    } else {
                        "NORMAL_TABLE"
                    };
                    push(&t.name, &d.name, ty, d.columns_of(t));
                }
            }
            rs(fields, rows, ms)
        }
        "ins_tags" => {
            let fields = vec![
                vfield("table_name", 192),
                vfield("db_name", 64),
                vfield("stable_name", 192),
                vfield("tag_name", 64),
                vfield("tag_type", 32),
                vfield("tag_value", 16384),
            ];
            let mut rows = Vec::new();
            for d in dbs {
                for t in d.tables_in_order() {
                    if let TableKind::Child { stable, tags } = &t.kind {
                        if let Some(st) = d.stables.get(stable) {
                            for (c, v) in st.tags.iter().zip(tags) {
                                rows.push(vec![
                                    str_col(&t.name),
                                    str_col(&d.name),
                                    str_col(stable),
                                    str_col(&c.name),
                                    str_col(tag_type_text(c)),
                                    value_text(v, false).map(Value::Str).unwrap_or(Value::Null),
                                ]);
                            }
                        }
                    }
                }
            }
            rs(fields, rows, ms)
        }
        "ins_topics" => {
            let fields = vec![
                vfield("topic_name", 192),
                vfield("db_name", 64),
                ts("create_time"),
                vfield("sql", 2048),
                vfield("schema", 8192),
                vfield("meta", 4),
                vfield("type", 8),
            ];
            let mut t: Vec<&super::Topic> = cat.topics.values().collect();
            t.sort_by_key(|t| t.create_time_ms);
            let rows = t
                .into_iter()
                .map(|t| {
                    vec![
                        str_col(&t.name),
                        str_col(&t.db),
                        Value::Timestamp(t.create_time_ms),
                        str_col(&t.sql),
                        Value::Null,
                        str_col("no"),
                        str_col(t.kind),
                    ]
                })
                .collect();
            rs(fields, rows, ms)
        }
        _ => return None,
    })
}

/// ALTER … ADD COLUMN/TAG: names are unique among columns and tags, case-insensitively.
fn reject_duplicate_name<'a>(
    existing: impl IntoIterator<Item = &'a ColumnSchema>,
    name: &str,
) -> Result<(), TdError> {
    if existing.into_iter().any(|x| x.name.eq_ignore_ascii_case(name)) {
        return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
    }
    Ok(())
}
