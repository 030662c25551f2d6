//! Relations: what a FROM clause reads — a table or super table (with tags and `tbname`), a
//! system table or a subquery (joins are materialised in [`super::join`]).

use crate::engine::catalog::{resolve_db, Catalog, TableKind};
use crate::engine::errors::table_not_exist;
use crate::engine::eval::{ColSrc, RelField, Relation, Segment};
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{DataType, Precision, ResultSet, TdError, Value};

use super::binder::vchar;

/// Builds the relation a FROM clause names. `owned` holds a materialised subquery or system table.
pub(crate) fn build_relation<'c>(
    cat: &'c Catalog,
    ctx: &SessionCtx,
    from: Option<&FromItem>,
    owned: Option<&'c ResultSet>,
) -> Result<Relation<'c>, TdError> {
    if let Some(rs) = owned {
        let fields: Vec<RelField> = rs
            .fields
            .iter()
            .map(|f| RelField::of_result(f, None))
            .collect();
        let ts_col = rs.fields.iter().position(|f| f.ty == DataType::Timestamp);
        let mut qualifiers = Vec::new();
        match from {
            Some(FromItem::Table { name, alias }) => {
                qualifiers.push(alias.clone().unwrap_or_else(|| name.name.clone()));
            }
            Some(FromItem::Subquery { alias, .. }) => qualifiers.extend(alias.clone()),
            Some(FromItem::Join(_)) | None => {}
        }
        let seg = Segment {
            cols: rs.columns.iter().map(|c| ColSrc::Vals(&c[..])).collect(),
            n: rs.num_rows(),
            table: None,
        };
        return Ok(Relation {
            fields,
            segs: vec![seg],
            precision: rs.precision,
            ts_col,
            qualifiers,
            is_super: false,
            pk_cols: vec![],
        });
    }
    let Some(FromItem::Table { name, alias }) = from else {
        // SELECT without FROM: one row, no columns
        return Ok(Relation {
            fields: vec![],
            segs: vec![Segment { cols: vec![], n: 1, table: None }],
            precision: Precision::Millisecond,
            ts_col: None,
            qualifiers: vec![],
            is_super: false,
            pk_cols: vec![],
        });
    };
    let db = resolve_db(cat, ctx, name.db.as_deref())?;
    // a table with an alias is known by its alias only
    let qualifiers = vec![alias.clone().unwrap_or_else(|| name.name.clone())];
    let tbname_field = RelField {
        field: vchar("tbname", 270),
        in_star: false,
        is_tag: false,
        is_tbname: true,
        qualifier: None,
    };
    if let Some(st) = db.stables.get(&name.name) {
        let mut fields: Vec<RelField> = st
            .columns
            .iter()
            .map(|c| RelField {
                field: c.field(),
                in_star: true,
                is_tag: false,
                is_tbname: false,
                qualifier: None,
            })
            .collect();
        fields.extend(st.tags.iter().map(|c| RelField {
            field: c.field(),
            in_star: true,
            is_tag: true,
            is_tbname: false,
            qualifier: None,
        }));
        fields.push(tbname_field);
        let mut segs = Vec::new();
        for t in db.children_of(&st.name) {
            let TableKind::Child { tags, .. } = &t.kind else {
                continue;
            };
            let mut cols: Vec<ColSrc> = Vec::with_capacity(fields.len());
            cols.push(ColSrc::Ts(&t.data.ts));
            for c in &t.data.cols {
                cols.push(ColSrc::Stored(c));
            }
            for i in 0..st.tags.len() {
                cols.push(ColSrc::Const(tags.get(i).cloned().unwrap_or(Value::Null)));
            }
            cols.push(ColSrc::Const(Value::Str(t.name.clone())));
            segs.push(Segment {
                cols,
                n: t.data.len(),
                table: Some(&t.data),
            });
        }
        return Ok(Relation {
            fields,
            segs,
            precision: db.precision,
            ts_col: Some(0),
            qualifiers,
            is_super: true,
            pk_cols: vec![0],
        });
    }
    let t = db.tables.get(&name.name).ok_or_else(table_not_exist)?;
    let columns = db.columns_of(t);
    let mut fields: Vec<RelField> = columns
        .iter()
        .map(|c| RelField {
            field: c.field(),
            in_star: true,
            is_tag: false,
            is_tbname: false,
            qualifier: None,
        })
        .collect();
    let mut cols: Vec<ColSrc> = Vec::with_capacity(columns.len() + 1);
    cols.push(ColSrc::Ts(&t.data.ts));
    for c in &t.data.cols {
        cols.push(ColSrc::Stored(c));
    }
    if let TableKind::Child { stable, tags } = &t.kind {
        if let Some(st) = db.stables.get(stable) {
            for (i, c) in st.tags.iter().enumerate() {
                fields.push(RelField {
                    field: c.field(),
                    in_star: false,
                    is_tag: true,
                    is_tbname: false,
                    qualifier: None,
                });
                cols.push(ColSrc::Const(tags.get(i).cloned().unwrap_or(Value::Null)));
            }
        }
    }
    fields.push(tbname_field);
    cols.push(ColSrc::Const(Value::Str(t.name.clone())));
    Ok(Relation {
        fields,
        segs: vec![Segment {
            cols,
            n: t.data.len(),
            table: Some(&t.data),
        }],
        precision: db.precision,
        ts_col: Some(0),
        qualifiers,
        is_super: false,
        pk_cols: vec![0],
    })
}
