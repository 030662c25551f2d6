//! DDL: `CREATE/ALTER/DROP DATABASE`, `CREATE/DROP STABLE/TABLE` (child tables too), `ALTER`;
//! topics are created in [`crate::engine::topic`].

mod alter;
pub(super) mod database;
pub(super) mod table;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, TdError};

use super::catalog::*;
use super::convert::ConvCtx;
use super::errors::{db_not_exist, ecode, err, table_not_exist};
use crate::engine::state::Engine;
use crate::engine::users;

use alter::alter;
use database::*;
use table::*;

pub(crate) fn run_ddl(
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
            cat.insert_database(Database::new(name, precision.unwrap_or_default(), opts));
            Ok(())
        }
        Statement::AlterDatabase { name, options } => {
            if is_system_db(&name) {
                return Err(err(
                    code::TSC_INVALID_OPERATION,
                    format!("Cannot alter system database: `{}`", name),
                ));
            }
            let db = cat.dbs.get_mut(&name).ok_or_else(db_not_exist)?;
            let (_, opts) = db_options(&options, db.options.clone())?;
            if opts.extra.get("wal_retention_period").is_some_and(|p| p == "0")
                && cat.topics.values().any(|t| t.db == name)
            {
                return Err(crate::engine::topic::retention_period_zero());
            }
            let db = cat.dbs.get_mut(&name).ok_or_else(db_not_exist)?;
            db.wal.set_retention(crate::engine::wal::Retention::of(&opts));
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
            users::forget(cat, &name, None);
            Ok(())
        }
        Statement::CreateStable {
            name,
            if_not_exists,
            columns,
            tags,
            options,
        } => {
            refuse_system_table(ctx, &name, "create")?;
            let db = db_mut(cat, ctx, name.db.as_deref())?;
            let (cols, tags) = new_table_schema(&options, &columns, Some(&tags))?;
            if options.ttl.is_some() {
                return Err(err(
                    9754,
                    "Only supported for create non-super table in databases configured with the 'TTL' option",
                ));
            }
            if let Some(k) = options.keep {
                check_stable_keep(db, k)?;
            }
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
            db.wal.meta(Some(&name.name), crate::engine::wal::create_table_json("super", &name.name, &cols, &tags));
            let mut st = STable::new(name.name.clone(), cols, tags, seq);
            st.comment = options.comment;
            st.keep = options.keep;
            db.stables.insert(name.name, st);
            Ok(())
        }
        Statement::CreateTable {
            name,
            if_not_exists,
            columns,
            options,
        } => {
            refuse_system_table(ctx, &name, "create")?;
            let db = db_mut(cat, ctx, name.db.as_deref())?;
            let (cols, _) = new_table_schema(&options, &columns, None)?;
            if options.keep.is_some() {
                return Err(err(9754, "KEEP parameter is not allowed when creating normal table"));
            }
            if db.tables.contains_key(&name.name) || db.stables.contains_key(&name.name) {
                if if_not_exists {
                    return Ok(());
                }
                return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
            }
            let seq = db.seq();
            db.wal.table_meta(&name.name, None, crate::engine::wal::create_table_json("normal", &name.name, &cols, &[]));
            db.tables.insert(
                name.name.clone(),
                Table {
                    name: name.name,
                    kind: TableKind::Normal { columns: cols.clone() },
                    data: std::sync::Arc::new(TableData::for_columns(&cols)),
                    seq,
                    create_time_ms: chrono::Utc::now().timestamp_millis(),
                    comment: options.comment,
                    ttl: options.ttl.unwrap_or(0),
                },
            );
            Ok(())
        }
        Statement::CreateChildren(children) => {
            if children.iter().any(|c| c.options.keep.is_some()) {
                return Err(err(9754, "child table cannot set keep duration"));
            }
            // validate all first: one failing table fails the statement; but a name given twice
            // fails only at its second clause, after the tables before it are made (as TDengine,
            // whose vnode makes them in order, answers)
            let mut prepared = Vec::new();
            let mut named: Vec<(String, &str)> = Vec::new();
            let mut repeated = false;
            for c in &children {
                let dbname = crate::engine::catalog::db_key(cat, &resolve_db_name(ctx, c.name.db.as_deref())?);
                if named.contains(&(dbname.clone(), c.name.name.as_str())) {
                    repeated = true;
                    break;
                }
                named.push((dbname.clone(), &c.name.name));
                let db = cat.dbs.get(&dbname).ok_or_else(db_not_exist)?;
                let stname = &c.stable.name;
                let Some(st) = db.stables.get(stname) else {
                    // a normal or child table has no tags of its own to take (3.3.7.5)
                    if db.tables.contains_key(stname) {
                        return Err(err(ecode::TAGS_NOT_MATCHED, "Tags number not matched"));
                    }
                    return Err(table_not_exist());
                };
                let cx = ConvCtx {
                    sql,
                    tz: engine.session_tz(ctx),
                    precision: db.precision,
                    now: crate::engine::time::now(db.precision),
                    near_token: true,
                };
                let tags = tag_values(&cx, st, c.tag_names.as_deref(), &c.tags, invalid_tag)?;
                if db.tables.contains_key(&c.name.name) || db.stables.contains_key(&c.name.name) {
                    if c.if_not_exists {
                        continue;
                    }
                    return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
                }
                prepared.push((dbname, c.name.name.clone(), stname.clone(), tags, &c.options));
            }
            for (dbname, name, stable, tags, options) in prepared {
                if let Some(db) = cat.dbs.get_mut(&dbname) {
                    create_child(db, &name, &stable, tags, options);
                    db.log_child_created(&name);
                }
            }
            if repeated {
                return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
            }
            Ok(())
        }
        Statement::DropTables { names, if_exists } => {
            // checked for every name before anything is dropped. IF EXISTS spares only a missing
            // first name: 3.3.7.5 answers 9731 for a missing second or later one (probed: `if
            // exists a, nosuch` and `if exists nosuch, nosuch2, a` fail, `if exists nosuch, a`
            // drops a)
            for (i, n) in names.iter().enumerate() {
                refuse_system_table(ctx, n, "drop")?;
                let db = db_mut(cat, ctx, n.db.as_deref())?;
                if db.stables.contains_key(&n.name) {
                    if names.len() > 1 {
                        return Err(err(9786, "Cannot drop super table in batch"));
                    }
                } else if !db.tables.contains_key(&n.name) && (!if_exists || i > 0) {
                    return Err(table_not_exist());
                }
            }
            for n in &names {
                let db = db_mut(cat, ctx, n.db.as_deref())?;
                let dbname = db.name.clone();
                // DROP TABLE drops a super table too (with its children), as TDengine does
                if db.stables.remove(&n.name).is_some() {
                    db.tables.retain(
                        |_, t| !matches!(&t.kind, TableKind::Child { stable, .. } if *stable == n.name),
                    );
                    db.wal.meta(Some(&n.name), crate::engine::wal::drop_stable_json(&n.name));
                    users::forget(cat, &dbname, Some(&n.name));
                    continue;
                }
                let stable = db.stable_of(&n.name);
                if db.tables.remove(&n.name).is_none() {
                    if !if_exists {
                        return Err(table_not_exist());
                    }
                } else {
                    db.wal.table_meta(&n.name, stable.as_deref(), crate::engine::wal::drop_table_json(&n.name));
                    users::forget(cat, &dbname, Some(&n.name));
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
            db.wal.meta(Some(&name.name), crate::engine::wal::drop_stable_json(&name.name));
            let dbname = db.name.clone();
            users::forget(cat, &dbname, Some(&name.name));
            Ok(())
        }
        Statement::Alter {
            stable,
            name,
            action,
        } => {
            refuse_system_table(ctx, &name, "alter")?;
            alter(engine, cat, ctx, sql, stable, &name, action)
        }
        Statement::CreateTopic {
            name,
            if_not_exists,
            meta,
            source,
        } => crate::engine::topic::create_topic(engine, cat, ctx, sql, name, if_not_exists, meta, source),
        Statement::DropTopic { name, if_exists } => crate::engine::topic::drop_topic(cat, &name, if_exists),
        Statement::CreateIndex {
            name,
            table,
            columns,
        } => create_index(cat, ctx, &name, &table, &columns),
        Statement::DropIndex {
            db,
            name,
            if_exists,
        } => {
            let dbname = resolve_db_name(ctx, db.as_deref())?;
            let db = cat.dbs.get_mut(&db_key(cat, &dbname)).ok_or_else(db_not_exist)?;
            let mut found = false;
            for st in db.stables.values_mut() {
                let before = st.indexes.len();
                st.indexes.retain(|(n, _, _)| *n != name);
                found |= st.indexes.len() != before;
            }
            if !found && !if_exists {
                return Err(err(0x0484, "index not exist"));
            }
            Ok(())
        }
        Statement::View { db } => {
            resolve_db_name(ctx, db.as_deref())?;
            // TDengine's community edition has no views
            Err(err(code::OPS_NOT_SUPPORT, "Operation not supported"))
        }
        Statement::CreateUser {
            name,
            pass,
            sysinfo,
            createdb,
            hosts,
        } => users::create_user(cat, name, pass, sysinfo, createdb, &hosts),
        Statement::AlterUser { name, change } => users::alter_user(cat, &name, change),
        Statement::DropUser { name } => users::drop_user(cat, &name),
        Statement::Grant {
            revoke,
            privileges,
            level,
            cond,
            user,
        } => users::grant(cat, revoke, &privileges, &level, cond.as_ref(), &user),
        _ => Err(crate::engine::errors::unsupported(sql.trim())),
    }
}

/// CREATE INDEX: one tag of a super table, an index name and a tag not yet indexed in the database.
fn create_index(
    cat: &mut Catalog,
    ctx: &SessionCtx,
    name: &str,
    table: &TableName,
    columns: &[String],
) -> Result<(), TdError> {
    if columns.len() > 1 {
        return Err(err(9795, "Only one tag is allowed"));
    }
    let db = db_mut(cat, ctx, table.db.as_deref())?;
    let tag = &columns[0];
    let Some(st) = db.stables.get(&table.name) else {
        if db.tables.contains_key(&table.name) {
            return Err(err(9742, format!("Invalid tag name: {}", tag)));
        }
        return Err(table_not_exist());
    };
    if !st.tags.iter().any(|t| t.name == *tag) {
        return Err(err(9742, format!("Invalid tag name: {}", tag)));
    }
    let taken = db
        .stables
        .values()
        .flat_map(|s| s.indexes.iter())
        .any(|(n, _, _)| n == name)
        || st.indexes.iter().any(|(_, t, _)| t == tag);
    if taken {
        return Err(err(0x0483, "index already exists in db"));
    }
    if let Some(st) = db.stables.get_mut(&table.name) {
        st.indexes
            .push((name.to_string(), tag.clone(), chrono::Utc::now().timestamp_millis()));
    }
    Ok(())
}

/// A super table's KEEP (minutes): one day to 365000 days, and no more than the database keeps.
pub(crate) fn check_stable_keep(db: &Database, minutes: i64) -> Result<(), TdError> {
    if !(1440..=365_000 * 1440).contains(&minutes) {
        return Err(err(
            code::TSC_VALUE_OUT_OF_RANGE,
            format!(
                "Invalid option keep value: {}, should be in range [1440, 525600000]",
                minutes
            ),
        ));
    }
    let keep2 = keep_minutes(db)[2];
    if minutes > keep2 {
        return Err(err(
            code::TSC_VALUE_OUT_OF_RANGE,
            format!(
                "Invalid option keep value: {}, should less than db config daysToKeep2: {}",
                minutes, keep2
            ),
        ));
    }
    Ok(())
}

/// Tables of `information_schema` and `performance_schema` are not made, altered or dropped
/// (512, naming the table, as TDengine's translator answers).
fn refuse_system_table(ctx: &SessionCtx, name: &TableName, verb: &str) -> Result<(), TdError> {
    match name.db.as_deref().or(ctx.db.as_deref()) {
        Some(db) if is_system_db(db) => Err(err(
            code::TSC_INVALID_OPERATION,
            format!("Cannot {} table of system database: `{}`.`{}`", verb, db, name.name),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn db_mut<'c>(
    cat: &'c mut Catalog,
    ctx: &SessionCtx,
    explicit: Option<&str>,
) -> Result<&'c mut Database, TdError> {
    let name = crate::engine::catalog::db_key(cat, &resolve_db_name(ctx, explicit)?);
    cat.dbs.get_mut(&name).ok_or_else(db_not_exist)
}

// ---------------------------------------------------------------------- SHOW / DESCRIBE

#[cfg(test)]
mod tests;
