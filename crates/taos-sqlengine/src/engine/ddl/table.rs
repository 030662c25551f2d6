//! Table definitions: column and tag schemas from `CREATE` clauses, the shape checks TDengine
//! makes (first column a timestamp, limits, duplicate names), and child tables with their tags.

use crate::engine::catalog::*;
use crate::engine::convert::ConvCtx;
use crate::engine::errors::{ecode, err, invalid_column};
use crate::sql::ast::*;
use crate::types::{code, DataType, TdError, Value};
use crate::engine::convert;

pub(crate) fn create_child(db: &mut Database, name: &str, stable: &str, tags: Vec<Value>) {
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
pub(crate) fn tag_values(
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

pub(crate) fn column_schema(c: &ColumnDef, is_tag: bool) -> Result<ColumnSchema, TdError> {
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

pub(crate) fn column_schemas(defs: &[ColumnDef], is_tag: bool) -> Result<Vec<ColumnSchema>, TdError> {
    defs.iter().map(|d| column_schema(d, is_tag)).collect()
}

pub(crate) fn check_table_shape(cols: &[ColumnSchema], tags: Option<&[ColumnSchema]>) -> Result<(), TdError> {
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

/// ALTER … ADD COLUMN/TAG: names are unique among columns and tags, case-insensitively.
pub(crate) fn reject_duplicate_name<'a>(
    existing: impl IntoIterator<Item = &'a ColumnSchema>,
    name: &str,
) -> Result<(), TdError> {
    if existing.into_iter().any(|x| x.name.eq_ignore_ascii_case(name)) {
        return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
    }
    Ok(())
}
