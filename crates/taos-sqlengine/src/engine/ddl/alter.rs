//! `ALTER TABLE` / `ALTER STABLE`: add, drop, modify and rename columns and tags, `SET TAG`,
//! COMMENT / TTL / KEEP — with the checks and codes of TDengine's translator (parser errors
//! 98xx) and of its mnode (87x for names that already exist).

use crate::engine::catalog::*;
use crate::engine::column::Column;
use crate::engine::convert::ConvCtx;
use crate::engine::errors::{ecode, err, invalid_column, table_not_exist};
use crate::engine::state::Engine;
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, DataType, TdError, Value};

use super::table::*;
use super::{check_stable_keep, db_mut};
use crate::engine::convert;

fn invalid_alter(msg: &str) -> TdError {
    err(9801, msg)
}

fn pk_op() -> TdError {
    err(9850, "composite primary key column can not be added, modified, and dropped")
}

fn cannot_drop() -> TdError {
    err(9809, "No columns can be dropped")
}

/// The mnode's answer to a name that is already a column or a tag of a super table.
fn name_taken(st: &STable, name: &str) -> Result<(), TdError> {
    if st.tags.iter().any(|t| t.name == name) {
        return Err(err(0x0369, "Tag already exists"));
    }
    if st.columns.iter().any(|c| c.name == name) {
        return Err(err(0x036B, "Column already exists"));
    }
    Ok(())
}

pub(crate) fn alter(
    engine: &Engine,
    cat: &mut Catalog,
    ctx: &SessionCtx,
    sql: &str,
    is_stable: bool,
    name: &TableName,
    action: AlterAction,
) -> Result<(), TdError> {
    let db = db_mut(cat, ctx, name.db.as_deref())?;
    if db.stables.contains_key(&name.name) {
        return alter_stable(db, &name.name, action);
    }
    if is_stable {
        // a missing table is 9731; a normal or child table is not a super table (866)
        if !db.tables.contains_key(&name.name) {
            return Err(table_not_exist());
        }
        return Err(err(code::MND_STB_NOT_EXIST, "STable not exist"));
    }
    alter_table(engine, db, sql, &name.name, action)
}

fn alter_stable(db: &mut Database, stname: &str, action: AlterAction) -> Result<(), TdError> {
    let children: Vec<String> = db
        .tables
        .values()
        .filter(|t| matches!(&t.kind, TableKind::Child { stable, .. } if stable == stname))
        .map(|t| t.name.clone())
        .collect();
    let keep_check = match &action {
        AlterAction::Options(o) => o.keep,
        _ => None,
    };
    if let Some(k) = keep_check {
        check_stable_keep(db, k)?;
    }
    let st = db.stables.get_mut(stname).ok_or_else(table_not_exist)?;
    let child_data = |db_tables: &mut std::collections::HashMap<String, Table>,
                          f: &dyn Fn(&mut Table)| {
        for n in &children {
            if let Some(t) = db_tables.get_mut(n) {
                f(t);
            }
        }
    };
    match action {
        AlterAction::SetTag(_) => {
            Err(invalid_alter("Set tag value only available for child table"))
        }
        AlterAction::RenameColumn(..) => {
            Err(invalid_alter("Rename column only available for normal table"))
        }
        AlterAction::Options(o) => {
            if o.ttl.is_some() {
                return Err(invalid_alter("Invalid alter table statement"));
            }
            if o.comment.is_some() {
                st.comment = o.comment;
            }
            if o.keep.is_some() {
                st.keep = o.keep;
            }
            Ok(())
        }
        AlterAction::AddColumn(c) => {
            if c.ty == TypeName::Json {
                return Err(err(ecode::ONLY_TAG_JSON, "Only tag can be json type"));
            }
            let cs = column_schema(&c, false)?;
            check_compression(&c, cs.ty)?;
            if st.columns.len() >= MAX_COLUMNS {
                return Err(err(ecode::TOO_MANY_COLUMNS, "Too many columns"));
            }
            if row_bytes(&st.columns) + type_bytes(&cs) > MAX_ROW_BYTES {
                return Err(row_too_long());
            }
            if cs.ty == DataType::Blob && st.columns.iter().any(|x| x.ty == DataType::Blob) {
                return Err(err(ecode::ONE_BLOB, "only one blob column allowed"));
            }
            name_taken(st, &cs.name)?;
            db.wal.meta(Some(stname), crate::engine::wal::add_column_json("super", stname, &cs));
            st.no_sma.push(cs.name.clone());
            let ty = cs.ty;
            st.columns.push(cs);
            child_data(&mut db.tables, &|t| {
                let n = t.data.len();
                std::sync::Arc::make_mut(&mut t.data).cols.push(Column::nulls(ty, n));
            });
            Ok(())
        }
        AlterAction::AddTag(c) => {
            // before any other check of the tag (its name too), as 3.3.7.5 answers
            if c.ty == TypeName::Blob {
                return Err(err(ecode::BLOB_TAG_ADDED, "Unknown error"));
            }
            if c.ty == TypeName::Json {
                return Err(err(ecode::ONLY_ONE_JSON_TAG, "Only one tag if there is a json tag"));
            }
            if st.tags.len() == 1 && st.tags[0].ty == DataType::Json {
                return Err(err(ecode::ONLY_ONE_JSON_TAG, "Only one tag if there is a json tag"));
            }
            let cs = column_schema(&c, true)?;
            if st.tags.len() >= MAX_TAGS {
                return Err(too_many_tags());
            }
            if row_bytes(&st.tags) + type_bytes(&cs) > MAX_TAGS_LEN {
                return Err(tags_too_long());
            }
            name_taken(st, &cs.name)?;
            st.tags.push(cs);
            child_data(&mut db.tables, &|t| {
                if let TableKind::Child { tags, .. } = &mut t.kind {
                    tags.push(Value::Null);
                }
            });
            Ok(())
        }
        AlterAction::DropColumn(c) => {
            let i = st
                .columns
                .iter()
                .position(|x| x.name == c)
                .ok_or_else(|| invalid_column(&c))?;
            if st.columns[i].primary_key {
                return Err(pk_op());
            }
            if i == 0 {
                return Err(err(0x03C2, "Invalid stable alter options"));
            }
            if st.columns.len() <= 2 {
                return Err(cannot_drop());
            }
            st.columns.remove(i);
            st.no_sma.retain(|n| *n != c);
            child_data(&mut db.tables, &|t| {
                std::sync::Arc::make_mut(&mut t.data).cols.remove(i - 1);
            });
            Ok(())
        }
        AlterAction::DropTag(c) => {
            if st.tags.len() == 1 && st.tags[0].ty == DataType::Json {
                return Err(err(ecode::ONLY_ONE_JSON_TAG, "Only one tag if there is a json tag"));
            }
            let i = st
                .tags
                .iter()
                .position(|x| x.name == c)
                .ok_or_else(|| err(9742, format!("Invalid tag name: {}", c)))?;
            if st.tags.len() == 1 {
                return Err(invalid_alter("the only tag cannot be dropped"));
            }
            let dropped = st.tags.remove(i);
            st.indexes.retain(|(_, tag, _)| *tag != dropped.name);
            st.tag_dropped_at = db.next_seq;
            child_data(&mut db.tables, &|t| {
                if let TableKind::Child { tags, .. } = &mut t.kind {
                    if i < tags.len() {
                        tags.remove(i);
                    }
                }
            });
            Ok(())
        }
        AlterAction::ModifyColumn(c) => {
            let cs = column_schema(&c, false)?;
            let i = st
                .columns
                .iter()
                .position(|x| x.name == c.name)
                .ok_or_else(|| invalid_column(&c.name))?;
            if st.columns[i].primary_key {
                return Err(pk_op());
            }
            check_widen(&st.columns[i], &cs)?;
            let row = row_bytes(&st.columns) - type_bytes(&st.columns[i]) + type_bytes(&cs);
            if row > MAX_ROW_BYTES {
                return Err(row_too_long());
            }
            st.columns[i].len = cs.len;
            Ok(())
        }
        AlterAction::ModifyTag(c) => {
            if st.tags.len() == 1 && st.tags[0].ty == DataType::Json {
                return Err(err(ecode::ONLY_ONE_JSON_TAG, "Only one tag if there is a json tag"));
            }
            let i = st
                .tags
                .iter()
                .position(|x| x.name == c.name)
                .ok_or_else(|| err(9742, format!("Invalid tag name: {}", c.name)))?;
            let cs = column_schema(&c, true)?;
            check_widen(&st.tags[i], &cs)?;
            let len = row_bytes(&st.tags) - type_bytes(&st.tags[i]) + type_bytes(&cs);
            if len > MAX_TAGS_LEN {
                return Err(tags_too_long());
            }
            st.tags[i].len = cs.len;
            Ok(())
        }
        AlterAction::RenameTag(a, b) => {
            let i = st
                .tags
                .iter()
                .position(|x| x.name == a)
                .ok_or_else(|| err(0x036A, "Tag does not exist"))?;
            name_taken(st, &b)?;
            for idx in st.indexes.iter_mut().filter(|x| x.1 == a) {
                idx.1 = b.clone();
            }
            st.tags[i].name = b;
            Ok(())
        }
    }
}

fn alter_table(
    engine: &Engine,
    db: &mut Database,
    sql: &str,
    name: &str,
    action: AlterAction,
) -> Result<(), TdError> {
    let precision = db.precision;
    let stables = &db.stables;
    let t = db.tables.get_mut(name).ok_or_else(table_not_exist)?;
    let is_child = matches!(t.kind, TableKind::Child { .. });
    if let AlterAction::Options(o) = &action {
        if o.keep.is_some() {
            return Err(err(9754, "only super table can alter keep duration"));
        }
    }
    let columns: Vec<ColumnSchema> = match &t.kind {
        TableKind::Normal { columns } => columns.clone(),
        TableKind::Child { stable, .. } => stables
            .get(stable)
            .map(|s| s.columns.clone())
            .unwrap_or_default(),
    };
    let target = match &action {
        AlterAction::DropColumn(c) | AlterAction::RenameColumn(c, _) => Some(c.as_str()),
        AlterAction::ModifyColumn(c) => Some(c.name.as_str()),
        _ => None,
    };
    if let Some(n) = target {
        if columns.iter().any(|c| c.name == n && c.primary_key) {
            return Err(pk_op());
        }
    }
    match action {
        AlterAction::AddTag(_)
        | AlterAction::DropTag(_)
        | AlterAction::RenameTag(..)
        | AlterAction::ModifyTag(_) => Err(invalid_alter("Invalid alter table statement")),
        AlterAction::Options(o) => {
            if o.comment.is_some() {
                t.comment = o.comment;
            }
            if let Some(ttl) = o.ttl {
                t.ttl = ttl;
            }
            Ok(())
        }
        AlterAction::SetTag(sets) => {
            let TableKind::Child { stable, tags } = &mut t.kind else {
                let first = sets.first().map(|s| s.0.as_str()).unwrap_or("");
                return Err(invalid_alter(&format!("Invalid tag name: {}", first)));
            };
            let st = stables.get(stable.as_str()).ok_or_else(table_not_exist)?;
            let cx = ConvCtx {
                sql,
                tz: engine.config().timezone,
                precision,
                now: crate::engine::time::now(precision),
                near_token: true,
            };
            // all values are checked before any is written
            let mut new_vals: Vec<(usize, Value)> = Vec::new();
            // in order: an unknown name (9801), a name set twice (9788), the value
            for (n, v) in &sets {
                let i = st
                    .tags
                    .iter()
                    .position(|x| x.name == *n)
                    .ok_or_else(|| invalid_alter(&format!("Invalid tag name: {}", n)))?;
                if new_vals.iter().any(|(j, _)| *j == i) {
                    return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
                }
                new_vals.push((i, convert::convert_value(&cx, v, &st.tags[i])?));
            }
            for (i, v) in new_vals {
                if i < tags.len() {
                    tags[i] = v;
                }
            }
            Ok(())
        }
        _ if is_child => Err(invalid_alter("Invalid alter table statement")),
        AlterAction::AddColumn(c) => {
            if c.ty == TypeName::Json {
                return Err(err(ecode::ONLY_TAG_JSON, "Only tag can be json type"));
            }
            if columns.iter().any(|x| x.name == c.name) {
                return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
            }
            let cs = column_schema(&c, false)?;
            check_compression(&c, cs.ty)?;
            if columns.len() >= MAX_COLUMNS {
                return Err(err(ecode::TOO_MANY_COLUMNS, "Too many columns"));
            }
            if row_bytes(&columns) + type_bytes(&cs) > MAX_ROW_BYTES {
                return Err(row_too_long());
            }
            if cs.ty == DataType::Blob && columns.iter().any(|x| x.ty == DataType::Blob) {
                return Err(err(ecode::ONE_BLOB, "only one blob column allowed"));
            }
            let logged = crate::engine::wal::add_column_json("normal", name, &cs);
            let ty = cs.ty;
            if let TableKind::Normal { columns } = &mut t.kind {
                columns.push(cs);
            }
            db.wal.table_meta(name, None, logged);
            let n = t.data.len();
            std::sync::Arc::make_mut(&mut t.data).cols.push(Column::nulls(ty, n));
            Ok(())
        }
        AlterAction::DropColumn(c) => {
            if columns.len() <= 2 {
                return Err(cannot_drop());
            }
            let i = columns
                .iter()
                .position(|x| x.name == c)
                .ok_or_else(|| invalid_column(&c))?;
            if i == 0 {
                return Err(err(0x264A, "Primary timestamp column cannot be dropped"));
            }
            if let TableKind::Normal { columns } = &mut t.kind {
                columns.remove(i);
            }
            std::sync::Arc::make_mut(&mut t.data).cols.remove(i - 1);
            Ok(())
        }
        AlterAction::ModifyColumn(c) => {
            let cs = column_schema(&c, false)?;
            let i = columns
                .iter()
                .position(|x| x.name == c.name)
                .ok_or_else(|| invalid_column(&c.name))?;
            check_widen(&columns[i], &cs)?;
            if row_bytes(&columns) - type_bytes(&columns[i]) + type_bytes(&cs) > MAX_ROW_BYTES {
                return Err(row_too_long());
            }
            if let TableKind::Normal { columns } = &mut t.kind {
                columns[i].len = cs.len;
            }
            Ok(())
        }
        AlterAction::RenameColumn(a, b) => {
            let i = columns
                .iter()
                .position(|x| x.name == a)
                .ok_or_else(|| invalid_column(&a))?;
            if columns.iter().any(|x| x.name == b) {
                return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
            }
            if let TableKind::Normal { columns } = &mut t.kind {
                columns[i].name = b;
            }
            Ok(())
        }
    }
}

/// MODIFY COLUMN / TAG only lengthens a string type (9803), within the type's limit (9794).
pub(crate) fn check_widen(x: &ColumnSchema, new: &ColumnSchema) -> Result<(), TdError> {
    let ok = x.ty == new.ty
        && matches!(
            x.ty,
            DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry
        )
        && new.len > x.len;
    if !ok {
        return Err(err(ecode::MODIFY_COLUMN, "Only varbinary/binary/nchar/geometry column length could be modified, and the length can only be increased, not decreased"));
    }
    Ok(())
}
