//! `ALTER TABLE` / `ALTER STABLE`: add, drop, modify and rename columns and tags, `SET TAG`.

use crate::engine::state::Engine;
use crate::engine::catalog::*;
use crate::engine::convert::ConvCtx;
use crate::engine::errors::{ecode, err, invalid_column, table_not_exist};
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, DataType, TdError, Value};

use super::db_mut;
use super::table::*;
use crate::engine::convert;

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
                now: crate::engine::time::now(precision),
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
        _ => Err(crate::engine::errors::unsupported(sql.trim())),
    }
}

pub(crate) fn widen(x: &mut ColumnSchema, new: &ColumnSchema) -> Result<(), TdError> {
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
