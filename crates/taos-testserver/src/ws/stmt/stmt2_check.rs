//! What taosc checks when a stmt2 INSERT is bound (`taos_stmt2_bind_param`: parInsertStmt.c
//! `qBindStmtTagsValue2` / `qBindStmtColsValue2` and `tColDataAddValueByBind2`), before
//! anything is written: the table name, the length of variable tags, and each bound column's
//! row count, buffer type, lengths and primary-key NULLs. Values that pass are the engine's.
//! Checked on TDengine 3.3.7.5 over `/ws` (the codes and texts below are its answers).

use taos_sqlengine::types::{code, DataType, TdError, Value};
use taos_sqlengine::{BindType, BoundTable, StmtField};

use super::stmt2_bind::WireTypes;

/// TSDB_CODE_PAR_PRIMARY_KEY_IS_NULL.
const PRIMARY_KEY_IS_NULL: u16 = 0x267B;

/// 0x0200, what taosc's `buildInvalidOperationMsg` answers.
fn invalid(message: &str) -> TdError {
    TdError::new(code::TSC_INVALID_OPERATION, message)
}

/// Types whose values carry a length checked against the placeholder's `bytes` (BLOB's
/// `bytes` is not its limit, and JSON only exists as a tag).
fn is_var(ty: DataType) -> bool {
    matches!(
        ty,
        DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry
    )
}

/// The bytes a bound value takes in its column: UTF-8 as bound, NCHAR as UCS-4.
fn stored_len(ty: DataType, v: &Value) -> usize {
    match (ty, v) {
        (DataType::NChar, Value::Str(s)) => s.chars().count() * 4,
        (_, Value::Str(s)) => s.len(),
        (_, Value::Bytes(b)) => b.len(),
        _ => 0,
    }
}

/// Checks the bound tables of a prepared INSERT against its placeholders `fields`.
pub fn check_insert_bind(
    fields: &[StmtField],
    tables: &[BoundTable],
    types: &[WireTypes],
) -> Result<(), TdError> {
    let named = fields.iter().any(|f| f.bind_type == BindType::TableName);
    let tag_fields: Vec<&StmtField> = fields
        .iter()
        .filter(|f| f.bind_type == BindType::Tag)
        .collect();
    let col_fields: Vec<&StmtField> = fields
        .iter()
        .filter(|f| f.bind_type == BindType::Column)
        .collect();
    // the primary key is the table's first column: the first timestamp placeholder
    let key = col_fields
        .iter()
        .position(|f| f.field.ty == DataType::Timestamp);
    for (table, wire) in tables.iter().zip(types) {
        if named && table.name.as_deref().is_none_or(str::is_empty) {
            return Err(TdError::new(
                code::TSC_STMT_TBNAME_ERROR,
                "Stmt table name not set correctly",
            ));
        }
        for (f, v) in tag_fields.iter().zip(&table.tags) {
            // tags are copied as bound (no type check); a variable one must fit
            if is_var(f.field.ty)
                && !matches!(v, Value::Null)
                && stored_len(DataType::VarChar, v) + 2 > f.bytes as usize
            {
                return Err(invalid("tag length is too big"));
            }
        }
        if col_fields.is_empty() {
            continue;
        }
        let rows = table.columns.first().map_or(0, Vec::len);
        for (c, f) in col_fields.iter().enumerate() {
            // fewer fields than placeholders: taosc reads past them (a row count it rejects)
            let (Some(values), Some(&ty)) = (table.columns.get(c), wire.columns.get(c)) else {
                return Err(invalid("row number in each bind param should be the same"));
            };
            if values.len() != rows {
                return Err(invalid("row number in each bind param should be the same"));
            }
            // one NULL row may come without a buffer type
            let lone_null = rows == 1 && matches!(values[0], Value::Null);
            if !lone_null && ty != f.field.ty {
                return Err(invalid("column type mis-match with buffer type"));
            }
            for v in values {
                if matches!(v, Value::Null) {
                    if Some(c) == key {
                        return Err(TdError::new(
                            PRIMARY_KEY_IS_NULL,
                            "Primary key column should not be null",
                        ));
                    }
                } else if is_var(f.field.ty) && stored_len(f.field.ty, v) + 2 > f.bytes as usize {
                    return Err(TdError::new(
                        code::PAR_VALUE_TOO_LONG,
                        "Value too long for column/tag",
                    ));
                }
            }
        }
    }
    Ok(())
}
