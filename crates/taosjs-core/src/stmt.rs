//! stmt v1 (reference §5.1): JSON requests and the binary `set_tags` (action 1) / `bind`
//! (action 2) messages, whose body is a raw block (§4) built by a small encoder here: NCHAR as
//! UCS-4, decimals as unscaled integers with packed precision/scale, var columns with offsets.
//!
//! Insert statements are checked against `get_tag_fields`/`get_col_fields`; query statements
//! send each parameter in its own type (the server derives the types from the block).

use serde_json::json;

use crate::bind::{self, BindColumn, Place, StmtField, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::types::DataType;
use crate::message::wire_id;

pub const ACTION_SET_TAGS: u64 = 1;
pub const ACTION_BIND: u64 = 2;

pub fn init_request(req_id: u64) -> String {
    json!({"action": "init", "args": {"req_id": req_id}}).to_string()
}

pub fn prepare_request(req_id: u64, stmt_id: u64, sql: &str) -> String {
    json!({"action": "prepare", "args": {"req_id": req_id, "stmt_id": wire_id(stmt_id), "sql": sql}}).to_string()
}

pub fn set_table_name_request(req_id: u64, stmt_id: u64, name: &str) -> String {
    json!({"action": "set_table_name", "args": {"req_id": req_id, "stmt_id": wire_id(stmt_id), "name": name}}).to_string()
}


/// `u64 req_id | u64 stmt_id | u64 action | raw block` with one column per value set.
/// `fields` are the placeholders (insert statements) or `None` (query parameters, sent in
/// their own types). `role` ("tag"/"column"/"parameter") and `table` name things in errors.
pub fn encode_bind(
    req_id: u64,
    stmt_id: u64,
    action: u64,
    fields: Option<&[StmtField]>,
    columns: &[BindColumn],
    role: &str,
    table: &str,
) -> Result<Vec<u8>> {
    let statement = |m: String| Error::new(ErrorKind::Statement, m);
    if let Some(fields) = fields {
        if fields.len() != columns.len() {
            return Err(statement(format!(
                "the statement has {} {role} placeholders, {} {role}s were given",
                fields.len(),
                columns.len()
            )));
        }
    }
    let rows = columns.first().map_or(0, BindColumn::rows);
    if action == ACTION_SET_TAGS && rows != 1 {
        return Err(statement(format!("tags take exactly one value each (got {rows})")));
    }
    if rows == 0 {
        return Err(statement(format!("no {role} values to bind")));
    }
    let names: Vec<String> = match fields {
        Some(f) => f.iter().map(|f| f.name.clone()).collect(),
        None => (1..=columns.len()).map(|i| format!("#{i}")).collect(),
    };
    let mut specs = Vec::with_capacity(columns.len());
    for (i, col) in columns.iter().enumerate() {
        let target = match fields {
            Some(f) => Target::of_field(&f[i]),
            // taosAdapter refuses TIMESTAMP columns in a query's bind block ("unsupported data
            // type 9", reference §5.1); the same epoch count as BIGINT compares with timestamps.
            None => match crate::stmt2::param_type(col, &names[i])? {
                DataType::Timestamp => Target::natural(DataType::BigInt),
                ty => Target::natural(ty),
            },
        };
        let place = Place { table, role, name: &names[i] };
        bind::check_shape(col, rows, &place, target.ty)?;
        specs.push(target);
    }

    let cols = columns.len();
    let mut out = Vec::with_capacity(24 + 28 + 9 * cols + 16 * rows * cols);
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&wire_id(stmt_id).to_le_bytes());
    out.extend_from_slice(&action.to_le_bytes());
    let block = out.len();
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes()); // length, patched
    out.extend_from_slice(&(rows as i32).to_le_bytes());
    out.extend_from_slice(&(cols as i32).to_le_bytes());
    out.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    let schema = out.len();
    out.resize(out.len() + 5 * cols, 0);
    let lengths = out.len();
    out.resize(out.len() + 4 * cols, 0);
    for (c, (col, t)) in columns.iter().zip(&specs).enumerate() {
        let place = Place { table, role, name: &names[c] };
        let data_start;
        let mut widest = 0usize;
        if let Some(size) = t.ty.fixed_size() {
            let bitmap = out.len();
            out.resize(out.len() + rows.div_ceil(8), 0);
            data_start = out.len();
            for row in 0..rows {
                if col.is_null(row) {
                    out[bitmap + (row >> 3)] |= 0x80 >> (row & 7);
                    out.resize(out.len() + size, 0);
                } else {
                    bind::fixed_bytes(*t, col, row, &place, &mut out)?;
                }
            }
        } else {
            let offsets = out.len();
            out.resize(out.len() + 4 * rows, 0);
            data_start = out.len();
            for row in 0..rows {
                let offset = if col.is_null(row) {
                    -1
                } else {
                    let bytes = bind::var_bytes(*t, col, row, &place)?;
                    let at = (out.len() - data_start) as i32;
                    let prefixed = write_var(&mut out, t.ty, bytes).map_err(|m| place.error(t.ty, format!("row {row}: {m}")))?;
                    widest = widest.max(prefixed);
                    at
                };
                out[offsets + 4 * row..offsets + 4 * row + 4].copy_from_slice(&offset.to_le_bytes());
            }
        }
        let len = i32::try_from(out.len() - data_start)
            .map_err(|_| place.error(t.ty, "holds more than 2 GiB"))?;
        out[lengths + 4 * c..lengths + 4 * c + 4].copy_from_slice(&len.to_le_bytes());
        let bytes = schema_bytes(fields.map(|f| &f[c]), t.ty, widest);
        out[schema + 5 * c] = t.ty.id();
        out[schema + 5 * c + 1..schema + 5 * c + 5].copy_from_slice(&bytes.to_le_bytes());
    }
    let total = i32::try_from(out.len() - block).map_err(|_| statement("the bind holds more than 2 GiB".into()))?;
    out[block + 4..block + 8].copy_from_slice(&total.to_le_bytes());
    Ok(out)
}

/// Appends one var-data entry (length prefix + payload; NCHAR re-encoded as UCS-4) and returns
/// its size including the prefix.
fn write_var(out: &mut Vec<u8>, ty: DataType, utf8_or_bytes: &[u8]) -> std::result::Result<usize, String> {
    let start = out.len();
    if ty == DataType::NChar {
        let s = std::str::from_utf8(utf8_or_bytes).map_err(|_| "NCHAR value is not UTF-8".to_string())?;
        let len = s.chars().count() * 4;
        let prefix = u16::try_from(len).map_err(|_| format!("NCHAR value of {len} bytes is too long"))?;
        out.extend_from_slice(&prefix.to_le_bytes());
        for ch in s.chars() {
            out.extend_from_slice(&(ch as u32).to_le_bytes());
        }
    } else if ty == DataType::Blob {
        let len = u32::try_from(utf8_or_bytes.len()).map_err(|_| "BLOB value is too long".to_string())?;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(utf8_or_bytes);
    } else {
        let len = utf8_or_bytes.len();
        let prefix = u16::try_from(len).map_err(|_| format!("value of {len} bytes is too long (at most 65535)"))?;
        out.extend_from_slice(&prefix.to_le_bytes());
        out.extend_from_slice(utf8_or_bytes);
    }
    Ok(out.len() - start)
}

/// Column schema `bytes`: the declared storage size when the placeholder is known, otherwise
/// the widest value (with its prefix); decimals pack size/precision/scale.
fn schema_bytes(field: Option<&StmtField>, ty: DataType, widest: usize) -> i32 {
    if let Some(size) = ty.fixed_size() {
        if ty.is_decimal() {
            let (p, s) = field.map_or((0, 0), |f| (f.precision, f.scale));
            return ((size as i32) << 24) | ((p as i32) << 8) | s as i32;
        }
        return size as i32;
    }
    match field {
        Some(f) if f.bytes > 0 => f.bytes as i32,
        _ => widest.max(2) as i32,
    }
}
