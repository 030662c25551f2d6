//! Table definitions: column and tag schemas from `CREATE` clauses, the shape checks TDengine
//! makes (first column a timestamp, limits, duplicate names), and child tables with their tags.

use crate::engine::catalog::*;
use crate::engine::convert::ConvCtx;
use crate::engine::errors::{ecode, err, invalid_column};
use crate::sql::ast::*;
use crate::types::{code, DataType, TdError, Value};
use crate::sql::ast::TableOptions;
use crate::engine::convert;

pub(crate) fn create_child(
    db: &mut Database,
    name: &str,
    stable: &str,
    tags: Vec<Value>,
    options: &TableOptions,
) {
    let data = db
        .stables
        .get(stable)
        .map(|s| TableData::for_columns(&s.columns))
        .unwrap_or_default();
    let seq = db.seq();
    db.tables.insert(
        name.to_string(),
        Table {
            name: name.to_string(),
            kind: TableKind::Child {
                stable: stable.to_string(),
                tags,
            },
            data: std::sync::Arc::new(data),
            seq,
            create_time_ms: chrono::Utc::now().timestamp_millis(),
            comment: options.comment.clone(),
            ttl: options.ttl.unwrap_or(0),
        },
    );
}

/// Tag values for a new child table, in the super table's tag order (unnamed tags are NULL).
/// A name that is not a tag is `unknown_tag`'s error: INSERT … USING answers 9730 "Invalid
/// column name", CREATE TABLE … USING 9742 "Invalid tag name".
pub(crate) fn tag_values(
    cx: &ConvCtx,
    st: &STable,
    names: Option<&[String]>,
    vals: &[InsVal],
    unknown_tag: fn(&str) -> TdError,
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
                    .ok_or_else(|| unknown_tag(n))?;
                out[i] = convert::convert_value(cx, v, &st.tags[i])?;
            }
        }
    }
    Ok(out)
}

pub(crate) fn column_schema(c: &ColumnDef, is_tag: bool) -> Result<ColumnSchema, TdError> {
    let bad_len = || err(ecode::INVALID_VAR_LEN, "Invalid column length for var length type");
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
        TypeName::VarChar(n) | TypeName::NChar(n) | TypeName::VarBinary(n) | TypeName::Geometry(n) => {
            let ty = match c.ty {
                TypeName::VarChar(_) => DataType::VarChar,
                TypeName::NChar(_) => DataType::NChar,
                TypeName::VarBinary(_) => DataType::VarBinary,
                _ => DataType::Geometry,
            };
            // a column holds at most 65519 bytes, a tag 16384 (header included)
            let max = if is_tag { MAX_TAGS_LEN } else { MAX_FIELD_LEN };
            if n == 0 || var_bytes(ty, n) > max {
                return Err(bad_len());
            }
            (ty, n, 0, 0)
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

/// TDengine's limits on a table's shape (`tdef.h`).
pub(crate) const MAX_COLUMNS: usize = 4096;
pub(crate) const MAX_TAGS: usize = 128;
pub(crate) const MAX_ROW_BYTES: u32 = 65531;
pub(crate) const MAX_TAGS_LEN: u32 = 16384;
pub(crate) const MAX_FIELD_LEN: u32 = 65519;

/// Bytes a string type of declared length `n` takes in a row (TDengine's `calcTypeBytes`: two
/// bytes of length header, four bytes per NCHAR character).
pub(crate) fn var_bytes(ty: DataType, n: u32) -> u32 {
    match ty {
        DataType::NChar => n.saturating_mul(4).saturating_add(2),
        _ => n.saturating_add(2),
    }
}

/// Bytes a column or tag takes in a row.
pub(crate) fn type_bytes(c: &ColumnSchema) -> u32 {
    match c.ty {
        DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry => {
            var_bytes(c.ty, c.len)
        }
        DataType::Json => MAX_TAGS_LEN,
        DataType::Blob => 4 + 4,
        t => t.fixed_size().unwrap_or(8) as u32,
    }
}

pub(crate) fn row_bytes(cols: &[ColumnSchema]) -> u32 {
    cols.iter().map(type_bytes).sum()
}

pub(crate) fn row_too_long() -> TdError {
    err(9790, format!("Row length exceeds max length {}", MAX_ROW_BYTES))
}

pub(crate) fn tags_too_long() -> TdError {
    err(9789, format!("Tags length exceeds max length {}", MAX_TAGS_LEN))
}

pub(crate) fn too_many_tags() -> TdError {
    err(ecode::TOO_MANY_TAGS, "Invalid number of tag columns")
}

/// The checks TDengine's translator makes on CREATE TABLE / STABLE, in its order: tags first
/// (count, duplicates, one JSON tag, total length), then columns (count with the tags, first a
/// timestamp, a composite key second and of an integer or VARCHAR type, duplicates, row length).
pub(crate) fn check_table_shape(cols: &[ColumnSchema], tags: Option<&[ColumnSchema]>) -> Result<(), TdError> {
    let mut seen: Vec<&str> = Vec::new();
    let tags = tags.unwrap_or(&[]);
    if tags.len() > MAX_TAGS {
        return Err(too_many_tags());
    }
    for t in tags {
        if seen.contains(&t.name.as_str()) {
            return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
        }
        if t.ty == DataType::Json && tags.len() > 1 {
            return Err(err(ecode::ONLY_ONE_JSON_TAG, "Only one tag if there is a json tag"));
        }
        seen.push(&t.name);
    }
    if row_bytes(tags) > MAX_TAGS_LEN {
        return Err(tags_too_long());
    }
    if cols.len() < 2 {
        return Err(err(ecode::ILLEGAL_COLUMNS, "Illegal number of columns"));
    }
    if cols.len() + tags.len() > MAX_COLUMNS {
        return Err(err(ecode::TOO_MANY_COLUMNS, "Too many columns"));
    }
    for (i, c) in cols.iter().enumerate() {
        if i == 0 && c.ty != DataType::Timestamp {
            return Err(err(ecode::FIRST_COLUMN_TS, "First column must be timestamp"));
        }
        if c.primary_key && i != 1 {
            return Err(err(9848, "composite primary key column must be second column"));
        }
        if c.primary_key
            && !matches!(
                c.ty,
                DataType::Int | DataType::UInt | DataType::BigInt | DataType::UBigInt | DataType::VarChar
            )
        {
            return Err(err(
                9849,
                "composite primary key column must be of type int, uint, bigint, ubigint, and varchar",
            ));
        }
        if seen.contains(&c.name.as_str()) {
            return Err(err(code::PAR_DUPLICATED_COLUMN, "Duplicated column names"));
        }
        seen.push(&c.name);
    }
    if cols.iter().filter(|c| c.ty == DataType::Blob).count() > 1 {
        return Err(err(ecode::ONE_BLOB, "only one blob column allowed"));
    }
    if row_bytes(cols) > MAX_ROW_BYTES {
        return Err(row_too_long());
    }
    // checked after the translator's checks, as 3.3.7.5 answers
    if tags.iter().any(|t| t.ty == DataType::Blob) {
        return Err(err(ecode::BLOB_TAG, "Blob type not support on tag"));
    }
    Ok(())
}

/// The checks TDengine makes on a column's `ENCODE`, `COMPRESS` and `LEVEL` (`tcol.c`), in its
/// order, after the table's shape: an encoding the type takes (561), a known compression, `tsz`
/// only for FLOAT/DOUBLE (563), a level `high`/`medium`/`low` or its first letter (564). Names
/// are case-insensitive; an empty string is refused.
pub(crate) fn check_compression(def: &ColumnDef, ty: DataType) -> Result<(), TdError> {
    let o = &def.compression;
    if let Some(e) = &o.encode {
        if !encode_fits(ty, &e.to_ascii_lowercase()) {
            return Err(err(561, "Invalid encode param"));
        }
    }
    if let Some(z) = &o.compress {
        let z = z.to_ascii_lowercase();
        let known = matches!(z.as_str(), "lz4" | "zlib" | "zstd" | "xz" | "disabled")
            || (z == "tsz" && matches!(ty, DataType::Float | DataType::Double));
        if !known {
            return Err(err(563, "Invalid compress param"));
        }
    }
    if let Some(l) = &o.level {
        let l = l.to_ascii_lowercase();
        if !matches!(l.as_str(), "high" | "medium" | "low" | "h" | "m" | "l") {
            return Err(err(564, "Invalid compress level param"));
        }
    }
    Ok(())
}

/// A new table's columns, and a super table's tags (empty for a normal table), checked in
/// TDengine's order: the names `SMA(...)` gives, each definition, the table's shape, then each
/// column's compression.
pub(crate) fn new_table_schema(
    options: &TableOptions,
    columns: &[ColumnDef],
    tags: Option<&[ColumnDef]>,
) -> Result<(Vec<ColumnSchema>, Vec<ColumnSchema>), TdError> {
    check_sma_columns(options, columns)?;
    let cols = column_schemas(columns, false)?;
    let tags = match tags {
        Some(defs) => Some(column_schemas(defs, true)?),
        None => None,
    };
    check_table_shape(&cols, tags.as_deref())?;
    for (d, c) in columns.iter().zip(&cols) {
        check_compression(d, c.ty)?;
    }
    Ok((cols, tags.unwrap_or_default()))
}

/// Whether a column of type `ty` takes encoding `e` (`validColEncode`): `disabled` always, else
/// the one of its family (`delta-i` also for BIGINT / BIGINT UNSIGNED).
fn encode_fits(ty: DataType, e: &str) -> bool {
    use DataType as T;
    if e == "disabled" {
        return true;
    }
    match ty {
        T::Bool => e == "bit-packing",
        T::TinyInt | T::SmallInt | T::Int | T::UTinyInt | T::USmallInt | T::UInt => e == "simple8b",
        T::BigInt | T::UBigInt => e == "simple8b" || e == "delta-i",
        T::Float | T::Double => e == "delta-d",
        T::Timestamp => e == "delta-i",
        _ => false,
    }
}

/// CREATE TABLE … USING's error for a name in its tag list that is not a tag.
pub(crate) fn invalid_tag(name: &str) -> TdError {
    err(9742, format!("Invalid tag name: {}", name))
}

/// `SMA(...)` names columns of the table being made (tags are not columns): an unknown name is
/// 9730, checked before the table's shape as TDengine's translator does.
fn check_sma_columns(options: &TableOptions, defs: &[ColumnDef]) -> Result<(), TdError> {
    match options.sma.iter().find(|n| !defs.iter().any(|d| d.name == **n)) {
        Some(n) => Err(invalid_column(n)),
        None => Ok(()),
    }
}
