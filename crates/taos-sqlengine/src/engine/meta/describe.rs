//! `DESCRIBE table`: columns then tags, with TDengine's encode/compress/level defaults.

use crate::engine::catalog::{resolve_db, Catalog, ColumnSchema, TableKind};
use crate::engine::errors::table_not_exist;
use crate::session::SessionCtx;
use crate::sql::ast::TableName;
use crate::types::{DataType, Field, Precision, ResultSet, TdError, Value};

use super::{encode_defaults, str_col, vfield};

pub(crate) fn describe(
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
    Ok(ResultSet::from_rows(fields, Precision::Millisecond, rows))
}
