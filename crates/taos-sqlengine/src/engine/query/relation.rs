//! Relations: what a FROM clause reads — a table or super table (with tags and `tbname`), a
//! system table, a subquery, or a join of two tables on their timestamps.

use std::collections::HashMap;

use crate::engine::catalog::{resolve_db, Catalog, TableKind};
use crate::engine::errors::{table_not_exist, unsupported};
use crate::engine::eval::{ColSrc, Relation, RelField, RowRef, Segment};
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{DataType, Precision, ResultSet, TdError, Value};

use super::binder::vchar;

/// `left [INNER] JOIN right ON …`: rows whose timestamps are equal, as one materialised table;
/// fields keep their table qualifier for `a.col` references.
pub(crate) fn materialize_join(
    cat: &Catalog,
    ctx: &SessionCtx,
    left: &TableName,
    left_alias: Option<&str>,
    j: &JoinSpec,
) -> Result<(ResultSet, Vec<RelField>), TdError> {
    if !j.inner {
        return Err(unsupported("outer join"));
    }
    let lf = FromItem::Table {
        name: left.clone(),
        alias: left_alias.map(|s| s.to_string()),
    };
    let rf = FromItem::Table {
        name: j.table.clone(),
        alias: j.alias.clone(),
    };
    let l = build_relation(cat, ctx, Some(&lf), None)?;
    let r = build_relation(cat, ctx, Some(&rf), None)?;
    let lq = left_alias.unwrap_or(&left.name).to_string();
    let rq = j.alias.clone().unwrap_or_else(|| j.table.name.clone());
    let mut fields: Vec<RelField> = Vec::new();
    for f in &l.fields {
        fields.push(RelField {
            qualifier: Some(lq.clone()),
            ..f.clone()
        });
    }
    for f in &r.fields {
        fields.push(RelField {
            qualifier: Some(rq.clone()),
            ..f.clone()
        });
    }
    let mut by_ts: HashMap<i64, Vec<RowRef>> = HashMap::new();
    for rr in r.all_rows() {
        by_ts.entry(r.ts(rr)).or_default().push(rr);
    }
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); fields.len()];
    let nl = l.fields.len();
    for lr in l.all_rows() {
        let Some(matches) = by_ts.get(&l.ts(lr)) else {
            continue;
        };
        for &rr in matches {
            for (c, col) in columns.iter_mut().enumerate() {
                col.push(if c < nl {
                    l.value(c, lr)
                } else {
                    r.value(c - nl, rr)
                });
            }
        }
    }
    let rs = ResultSet {
        fields: fields.iter().map(|f| f.field.clone()).collect(),
        precision: l.precision,
        columns,
    };
    Ok((rs, fields))
}

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
            .map(|f| RelField {
                field: f.clone(),
                in_star: true,
                is_tag: false,
                is_tbname: false,
                qualifier: None,
            })
            .collect();
        let ts_col = rs.fields.iter().position(|f| f.ty == DataType::Timestamp);
        let mut qualifiers = Vec::new();
        match from {
            Some(FromItem::Table { name, alias }) => {
                qualifiers.push(name.name.clone());
                qualifiers.extend(alias.clone());
            }
            Some(FromItem::Subquery { alias, .. }) => qualifiers.extend(alias.clone()),
            None => {}
        }
        let seg = Segment {
            cols: rs.columns.iter().map(|c| ColSrc::Vals(&c[..])).collect(),
            n: rs.num_rows(),
        };
        return Ok(Relation {
            fields,
            segs: vec![seg],
            precision: rs.precision,
            ts_col,
            qualifiers,
            is_super: false,
        });
    }
    let Some(FromItem::Table { name, alias }) = from else {
        // SELECT without FROM: one row, no columns
        return Ok(Relation {
            fields: vec![],
            segs: vec![Segment { cols: vec![], n: 1 }],
            precision: Precision::Millisecond,
            ts_col: None,
            qualifiers: vec![],
            is_super: false,
        });
    };
    let db = resolve_db(cat, ctx, name.db.as_deref())?;
    let mut qualifiers = vec![name.name.clone()];
    qualifiers.extend(alias.clone());
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
                cols.push(ColSrc::Vals(&c[..]));
            }
            for i in 0..st.tags.len() {
                cols.push(ColSrc::Const(tags.get(i).cloned().unwrap_or(Value::Null)));
            }
            cols.push(ColSrc::Const(Value::Str(t.name.clone())));
            segs.push(Segment {
                cols,
                n: t.data.len(),
            });
        }
        return Ok(Relation {
            fields,
            segs,
            precision: db.precision,
            ts_col: Some(0),
            qualifiers,
            is_super: true,
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
        cols.push(ColSrc::Vals(&c[..]));
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
        }],
        precision: db.precision,
        ts_col: Some(0),
        qualifiers,
        is_super: false,
    })
}
