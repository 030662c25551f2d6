//! The stmt2 bind message (binary action 9): the one description of its layout, and its check in
//! place. The JS facade writes an insert's message itself (`src/bind-message.ts`, the writer);
//! the core checks every byte of it against the prepared placeholders and sends it as it is, with
//! the ids filled into its header — no second encoding. The encoder (`stmt2.rs`) writes the same
//! layout from [`BindTable`](crate::BindTable)s and packed binds, and `stmt2::bind_records` reads
//! it back for libtaos.
//!
//! Layout (every integer little-endian; reference §5.2.2–5.2.3, libtaos's `TAOS_STMT2_BINDV`):
//!
//! ```text
//! header   req_id u64, stmt_id u64, action u64 = 9, version u16 = 1, col_idx i32 = -1
//! payload  total u32 (the payload's bytes), count u32 (tables), tag_count u32, col_count u32
//!          (per table), names_offset u32, tags_offset u32, cols_offset u32 (from the payload's
//!          start; 0 = no such section)
//! names    when the SQL takes `?` as table name: count × u16 (a name's bytes + 1), then each
//!          name's UTF-8 and a NUL
//! tags     count × u32 (each table's records' bytes), then per table one record per tag
//!          placeholder, in SQL order
//! columns  the same, one record per column placeholder
//! record   total u32 (the record's bytes), type i32 (the placeholder's type id), num i32 (rows;
//!          1 for a tag), is_null num × u8 (1 = NULL, else 0), have_length u8 (1 for a
//!          variable-length type), [num × i32 value lengths (0 for NULL)], buffer_length u32,
//!          buffer: fixed-width values back to back (a NULL row's bytes zero; nothing when every
//!          row is NULL), or the variable-length values one after another (NULL rows nothing)
//! ```
//!
//! The sections follow each other in that order without a gap, and the message ends with the
//! last one: a message has exactly one layout for its values. Fixed-width values are the wire's
//! (BOOL 0/1, decimals as unscaled integers); text is UTF-8. A message the facade wrote carries
//! [`MARKER`] where the req_id goes and 0 as stmt_id (the session writes both).

use crate::bind::{self, Cell, Place, StmtField, Target};
use crate::error::{Error, ErrorKind, Result};
use crate::message::wire_id;
use crate::stmt2::{statement_error, Stmt2Prepared, ACTION_STMT2_BIND};
use crate::types::DataType;

/// The first 8 bytes of a message the facade wrote (in the req_id's place): "TJS2BIND".
pub const MARKER: [u8; 8] = *b"TJS2BIND";
/// Bytes before the payload.
pub const HEADER: usize = 30;
/// Bytes of the payload's own header.
const PAYLOAD_HEADER: usize = 28;

/// Whether `buf` is a message the facade wrote (else a packed bind, `crate::packed`).
pub fn is_message(buf: &[u8]) -> bool {
    buf.starts_with(&MARKER)
}

/// Checks an insert's message written by the facade against `p`, exactly as the encoder checks
/// the values it encodes, and returns it with `req_id` and the statement's id in its header.
/// A message that does not follow the layout is an [`ErrorKind::Interface`] error (nothing the
/// facade writes); a value the placeholder refuses (text too long, a name that is no table's) is
/// the encoder's [`ErrorKind::Statement`] error, with the same words.
pub fn checked(req_id: u64, p: &Stmt2Prepared, buf: &[u8]) -> Result<Vec<u8>> {
    check(p, buf)?;
    let mut out = buf.to_vec();
    out[0..8].copy_from_slice(&req_id.to_le_bytes());
    out[8..16].copy_from_slice(&wire_id(p.stmt_id).to_le_bytes());
    Ok(out)
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(
        ErrorKind::Interface,
        format!("malformed stmt2 bind message: {what}"),
    )
}

/// Bounds-checked reads of one region (no arithmetic that can overflow, on 32-bit targets too).
#[derive(Clone, Copy)]
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn get(self, at: usize, n: usize, what: &str) -> Result<&'a [u8]> {
        at.checked_add(n)
            .and_then(|end| self.0.get(at..end))
            .ok_or_else(|| {
                malformed(format_args!(
                    "{what} at {at} (+{n} bytes) lies outside the message"
                ))
            })
    }

    fn u32(self, at: usize, what: &str) -> Result<usize> {
        let b = self.get(at, 4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    }
}

fn u32_at(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// "table d1" or "table #2", as the encoder names a table (made only for an error).
fn table_label(names: &[&str], index: usize) -> String {
    match names.get(index) {
        Some(n) => format!("table {n}"),
        None => format!("table #{index}"),
    }
}

fn check(p: &Stmt2Prepared, buf: &[u8]) -> Result<()> {
    if !p.is_insert {
        return Err(malformed("a query's parameters are not sent this way"));
    }
    if buf.len() < HEADER + PAYLOAD_HEADER {
        return Err(malformed(format_args!("{} bytes", buf.len())));
    }
    let action = u64::from_le_bytes(buf[16..24].try_into().unwrap_or([0; 8]));
    let stmt_id = u64::from_le_bytes(buf[8..16].try_into().unwrap_or([0; 8]));
    if action != ACTION_STMT2_BIND
        || buf[24..26] != 1u16.to_le_bytes()
        || buf[26..30] != (-1i32).to_le_bytes()
        || stmt_id != 0
    {
        return Err(malformed("the header is not a stmt2_bind's"));
    }
    let payload = Bytes(&buf[HEADER..]);
    let word = |i: usize| u32_at(payload.0, 4 * i);
    let (total, count, tag_count, col_count) = (word(0), word(1), word(2), word(3));
    let (names_offset, tags_offset, cols_offset) = (word(4), word(5), word(6));
    if total != payload.0.len() {
        return Err(malformed(format_args!(
            "its length says {total} bytes, it has {}",
            payload.0.len()
        )));
    }
    let tag_fields: Vec<&StmtField> = p.tag_fields().collect();
    let col_fields: Vec<&StmtField> = p.column_fields().collect();
    let named = p.has_table_name();
    if count == 0 {
        return Err(statement_error("nothing to bind: no tables given"));
    }
    if !named && count != 1 {
        return Err(statement_error(format!(
            "the statement names its table, so bind exactly one table (got {count})"
        )));
    }
    if tag_count != tag_fields.len() || col_count != col_fields.len() {
        return Err(statement_error(format!(
            "the statement has {} tag and {} column placeholders, {tag_count} tags and {col_count} columns were given",
            tag_fields.len(),
            col_fields.len()
        )));
    }
    let mut at = PAYLOAD_HEADER;
    let mut names: Vec<&str> = Vec::new();
    let expect = |offset: usize, present: bool, at: usize, section: &str| -> Result<()> {
        match (present, offset) {
            (true, o) if o == at => Ok(()),
            (false, 0) => Ok(()),
            _ => Err(malformed(format_args!(
                "the {section} section's offset is {offset}, expected {}",
                if present { at } else { 0 }
            ))),
        }
    };
    expect(names_offset, named, at, "names")?;
    if named {
        // Each name takes at least its length and its NUL: a count beyond that is not a list.
        if count > payload.0.len() / 3 {
            return Err(malformed(format_args!("{count} tables")));
        }
        let lengths = payload.get(at, 2 * count, "the name lengths")?;
        at += 2 * count;
        names.reserve(count);
        for (i, l) in lengths.chunks_exact(2).enumerate() {
            let len = u16::from_le_bytes([l[0], l[1]]) as usize;
            let bytes = payload.get(at, len, "a table name")?;
            at += len;
            let Some((0, name)) = bytes.split_last() else {
                return Err(malformed(format_args!(
                    "table name #{i} does not end with a NUL"
                )));
            };
            let name = std::str::from_utf8(name)
                .map_err(|_| malformed(format_args!("table name #{i} is not UTF-8")))?;
            if name.is_empty() || name.contains('\0') {
                return Err(statement_error(format!(
                    "table {name}: invalid table name {name:?}"
                )));
            }
            names.push(name);
        }
    }
    expect(tags_offset, !tag_fields.is_empty(), at, "tags")?;
    if !tag_fields.is_empty() {
        at = section(payload, at, count, &tag_fields, "tag", &names)?;
    }
    expect(cols_offset, !col_fields.is_empty(), at, "columns")?;
    if !col_fields.is_empty() {
        at = section(payload, at, count, &col_fields, "column", &names)?;
    }
    if at != total {
        return Err(malformed(format_args!(
            "{} bytes after the last section",
            total - at
        )));
    }
    Ok(())
}

/// Checks a tags or columns section at `at`; where it ends.
fn section(
    payload: Bytes<'_>,
    at: usize,
    count: usize,
    fields: &[&StmtField],
    role: &str,
    names: &[&str],
) -> Result<usize> {
    // Each table's records take at least 17 bytes per placeholder.
    if count > payload.0.len() / (4 + 17 * fields.len()) {
        return Err(malformed(format_args!("{count} tables of {role}s")));
    }
    let lengths = payload.get(at, 4 * count, "the records' lengths")?;
    let mut at = at + 4 * count;
    for table in 0..count {
        let start = at;
        // Tags are one value; a table's columns as many as its first.
        let mut rows = (role == "tag").then_some(1);
        for f in fields {
            let (end, num) = record(payload, at, f, rows, role, &|| table_label(names, table))?;
            rows = Some(num);
            at = end;
        }
        if at - start != u32_at(lengths, 4 * table) {
            return Err(malformed(format_args!(
                "{}'s {role}s take {} bytes, its length says {}",
                table_label(names, table),
                at - start,
                u32_at(lengths, 4 * table)
            )));
        }
    }
    Ok(at)
}

/// Checks one record at `at` for placeholder `f` (`rows`: how many values it must hold, `None`
/// for a table's first column); where it ends, and its row count.
fn record(
    payload: Bytes<'_>,
    at: usize,
    f: &StmtField,
    rows: Option<usize>,
    role: &str,
    label: &dyn Fn() -> String,
) -> Result<(usize, usize)> {
    let total = payload.u32(at, "a record")?;
    let rec = payload.get(at, total, "a record")?;
    let end = at + total;
    let place_error = |message: &str| {
        let table = label();
        Place {
            table: &table,
            role,
            name: &f.name,
        }
        .error(f.ty, message)
    };
    let bad = |what: String| malformed(format_args!("{}, {role} {}: {what}", label(), f.name));
    if rec.len() < 17 {
        return Err(bad(format!("a record of {} bytes", rec.len())));
    }
    let ty = u32_at(rec, 4) as i32;
    if ty != f.ty.id() as i32 {
        return Err(bad(format!(
            "type id {ty}, the placeholder's is {}",
            f.ty.id()
        )));
    }
    let num = u32_at(rec, 8);
    match rows {
        Some(rows) if num != rows => {
            return Err(place_error(&format!("has {num} values, expected {rows}")))
        }
        None if num == 0 => return Err(statement_error(format!("{}: no rows to bind", label()))),
        _ => {}
    }
    // The rows' flags, one byte each, and what follows them: a count beyond the record is not one.
    let body = Bytes(rec);
    let is_null = body.get(12, num, "the null flags")?;
    let nulls = is_null.iter().map(|&b| b as usize).sum::<usize>();
    if is_null.iter().any(|&b| b > 1) {
        return Err(bad("a null flag other than 0 or 1".into()));
    }
    let have_length = body.get(12 + num, 1, "have_length")?[0];
    let mut p = 13 + num;
    let t = Target::of_field(f);
    if let Some(size) = f.ty.fixed_size() {
        if have_length != 0 {
            return Err(bad("a fixed-width type with value lengths".into()));
        }
        let buffer_len = body.u32(p, "buffer_length")?;
        p += 4;
        let all_null = num > 0 && nulls == num;
        let expected = if all_null {
            0
        } else {
            num.checked_mul(size)
                .ok_or_else(|| bad(format!("{num} rows")))?
        };
        if buffer_len != expected || p.checked_add(buffer_len) != Some(rec.len()) {
            return Err(bad(format!(
                "{buffer_len} bytes of values in a record of {} bytes, expected {expected}",
                rec.len()
            )));
        }
        let data = &rec[p..];
        if !all_null {
            fixed_values(t, data, is_null, size, nulls > 0).map_err(|what| bad(what))?;
        }
    } else {
        if have_length != 1 {
            return Err(bad("a variable-length type without value lengths".into()));
        }
        let lengths_len = num
            .checked_mul(4)
            .ok_or_else(|| bad(format!("{num} rows")))?;
        let lengths = body.get(p, lengths_len, "the value lengths")?;
        p += lengths_len;
        let buffer_len = body.u32(p, "buffer_length")?;
        p += 4;
        if p.checked_add(buffer_len) != Some(rec.len()) {
            return Err(bad(format!(
                "{buffer_len} bytes of values in a record of {} bytes",
                rec.len()
            )));
        }
        var_values(t, &rec[p..], lengths, is_null, &|row, cell, reason| {
            let table = label();
            Place {
                table: &table,
                role,
                name: &f.name,
            }
            .cell_error(f.ty, row, cell, reason)
        })
        .map_err(|e| e.unwrap_or_else(|what| bad(what)))?;
    }
    Ok((end, num))
}

/// Checks fixed-width wire values: NULL rows zero, BOOL 0 or 1, a decimal within its precision.
fn fixed_values(
    t: Target,
    data: &[u8],
    is_null: &[u8],
    size: usize,
    has_null: bool,
) -> std::result::Result<(), String> {
    if has_null {
        for (row, value) in data.chunks_exact(size).enumerate() {
            if is_null[row] != 0 && value.iter().any(|&b| b != 0) {
                return Err(format!("row {row} is NULL but has a value"));
            }
        }
    }
    match t.ty {
        DataType::Bool => match data.iter().position(|&b| b > 1) {
            Some(row) => Err(format!("row {row}: a BOOL of {}", data[row])),
            None => Ok(()),
        },
        DataType::Decimal64 | DataType::Decimal => {
            if t.precision == 0 {
                return Err("a DECIMAL without precision".into());
            }
            let limit = 10i128.checked_pow(t.precision as u32).unwrap_or(i128::MAX);
            for (row, value) in data.chunks_exact(size).enumerate() {
                let v = if size == 8 {
                    i64::from_le_bytes(value.try_into().unwrap_or([0; 8])) as i128
                } else {
                    i128::from_le_bytes(value.try_into().unwrap_or([0; 16]))
                };
                if v.unsigned_abs() >= limit.unsigned_abs() {
                    return Err(format!(
                        "row {row}: {v} does not fit DECIMAL({},{})",
                        t.precision, t.scale
                    ));
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// An error about a value (`Ok`: the encoder's words for it) or about the layout (`Err`).
type VarError = std::result::Result<Error, String>;

/// Checks variable-length values: the lengths add up to the buffer, a NULL row has none, text
/// for NCHAR and JSON is UTF-8 and each value whole characters, and each value fits the
/// placeholder (the encoder's "is too long" error when it does not).
fn var_values(
    t: Target,
    data: &[u8],
    lengths: &[u8],
    is_null: &[u8],
    value_error: &dyn Fn(usize, Cell<'_>, &str) -> Error,
) -> std::result::Result<(), VarError> {
    let utf8 = matches!(t.ty, DataType::NChar | DataType::Json);
    if utf8 && std::str::from_utf8(data).is_err() {
        return Err(Err("text that is not UTF-8".into()));
    }
    let boundary = |at: usize| at == data.len() || (data[at] as i8) >= -0x40;
    let max = t.max_len.unwrap_or(usize::MAX);
    let nchar = t.ty == DataType::NChar;
    let mut from = 0usize;
    for (row, l) in lengths.chunks_exact(4).enumerate() {
        let len = u32_at(l, 0);
        if is_null[row] != 0 {
            if len != 0 {
                return Err(Err(format!("row {row} is NULL but has {len} bytes")));
            }
            continue;
        }
        let to = from
            .checked_add(len)
            .filter(|&to| to <= data.len())
            .ok_or_else(|| Err(format!("row {row}'s {len} bytes lie outside the values")))?;
        if utf8 && !(boundary(from) && boundary(to)) {
            return Err(Err(format!("row {row} is not whole UTF-8 characters")));
        }
        let value = &data[from..to];
        if len > max && (!nchar || bind::placeholder_len(t.ty, value) > max) {
            let reason = bind::too_long(t, value).unwrap_or_default();
            let cell = match t.ty {
                DataType::VarChar | DataType::NChar | DataType::Json => {
                    std::str::from_utf8(value).map_or(Cell::Bytes(value), Cell::Str)
                }
                _ => Cell::Bytes(value),
            };
            return Err(Ok(value_error(row, cell, &reason)));
        }
        from = to;
    }
    if from != data.len() {
        return Err(Err(format!(
            "{} bytes of values, the lengths add up to {from}",
            data.len()
        )));
    }
    Ok(())
}
