//! stmt2 (reference §5.2): the JSON requests and the binary `stmt2_bind` message (action 9;
//! its layout: [`crate::stmt2_message`]), encoded in one pass from columnar [`BindTable`]s and
//! checked against the placeholders `stmt2_prepare` reported before a byte is sent.
//!
//! Wire facts this encoder follows (wire README §5.5): strings, NCHAR and JSON are UTF-8;
//! decimals are sent as binary unscaled integers (DECIMAL64 8-byte LE i64, DECIMAL 16-byte LE
//! i128, `have_length` 0) because the server stores decimal text as garbage; an all-NULL
//! fixed-width column has `buffer_length` 0; partially NULL fixed columns carry zero
//! placeholders; query parameters are one "table" with one single-value record per `?`, each in
//! the value's own type.

use serde_json::json;

use crate::bind::{self, BindRows, BindTable, BindType, BindValues, Place, StmtField, Target};
use crate::packed::{self, PackedKind};
use crate::stmt2_message;
use crate::error::{Error, ErrorKind, Result};
use crate::types::DataType;
use crate::message::wire_id;

/// Binary action code of `stmt2_bind`.
pub const ACTION_STMT2_BIND: u64 = 9;

/// Options of `stmt2_init`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stmt2InitOptions {
    /// The request id of `stmt2_init` (as a query's: the caller's, for tracing in the server's
    /// logs, or `None` for the session's next one).
    pub req_id: Option<u64>,
    /// Every bound table is a child table of one super table (what official clients send).
    pub single_stb_insert: bool,
    /// Each table is bound once per execution.
    pub single_table_bind_once: bool,
}

impl Default for Stmt2InitOptions {
    fn default() -> Self {
        Stmt2InitOptions { req_id: None, single_stb_insert: true, single_table_bind_once: true }
    }
}

/// What `stmt2_prepare` said about a statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stmt2Prepared {
    pub stmt_id: u64,
    pub is_insert: bool,
    /// Placeholders in SQL order (inserts); empty for queries (servers send `null`).
    pub fields: Vec<StmtField>,
    /// Number of placeholders (`?` count for queries).
    pub fields_count: usize,
}

impl Stmt2Prepared {
    pub fn has_table_name(&self) -> bool {
        self.fields.iter().any(|f| f.bind_type == BindType::TableName)
    }

    pub fn tag_fields(&self) -> impl Iterator<Item = &StmtField> {
        self.fields.iter().filter(|f| f.bind_type == BindType::Tag)
    }

    pub fn column_fields(&self) -> impl Iterator<Item = &StmtField> {
        self.fields.iter().filter(|f| f.bind_type == BindType::Column)
    }
}

/// The placeholders of a `stmt2_prepare` reply (`fields` is `null` for queries).
pub fn parse_prepare_reply(reply: &crate::message::JsonReply) -> Result<Stmt2Prepared> {
    let fields = reply
        .fields
        .as_deref()
        .unwrap_or(&[])
        .iter()
        .map(|f| f.to_field(BindType::QueryParam))
        .collect::<Result<Vec<_>>>()?;
    let fields_count = usize::try_from(reply.fields_count).unwrap_or(0);
    if reply.is_insert && fields.len() != fields_count {
        return Err(Error::internal(format!(
            "stmt2_prepare reply lists {} fields but fields_count is {fields_count}",
            fields.len()
        )));
    }
    Ok(Stmt2Prepared { stmt_id: reply.stmt_id, is_insert: reply.is_insert, fields, fields_count })
}

pub fn init_request(req_id: u64, options: Stmt2InitOptions) -> String {
    json!({"action": "stmt2_init", "args": {
        "req_id": req_id,
        "single_stb_insert": options.single_stb_insert,
        "single_table_bind_once": options.single_table_bind_once,
    }})
    .to_string()
}

pub fn prepare_request(req_id: u64, stmt_id: u64, sql: &str) -> String {
    json!({"action": "stmt2_prepare", "args": {"req_id": req_id, "stmt_id": wire_id(stmt_id), "sql": sql, "get_fields": true}})
        .to_string()
}


/// Encodes binary action 9 for `tables` (see [`BindTable`] for inserts vs queries), after
/// checking every table, tag, column and value against `prepared`. Errors are
/// [`ErrorKind::Statement`] and name the table, placeholder, row and value.
pub fn encode_bind(req_id: u64, prepared: &Stmt2Prepared, tables: &[BindTable]) -> Result<Vec<u8>> {
    encode_rows(req_id, prepared, tables)
}

/// [`encode_bind`] for a bind the facade wrote into one buffer, read in place: either the
/// message itself ([`crate::stmt2_message`], an insert's), checked and sent as it is, or a packed
/// bind ([`crate::packed`]: queries, and what the facade does not write as wire values), encoded.
pub fn encode_bind_packed(req_id: u64, prepared: &Stmt2Prepared, packed: &[u8]) -> Result<Vec<u8>> {
    if stmt2_message::is_message(packed) {
        return stmt2_message::checked(req_id, prepared, packed);
    }
    encode_rows(req_id, prepared, &packed::parse(packed)?)
}

/// One table as the encoder reads it, whichever form the values came in (one encoder, compiled
/// once).
struct TableRef<'a> {
    name: Option<&'a str>,
    tags: Vec<&'a dyn BindValues>,
    columns: Vec<&'a dyn BindValues>,
}

fn encode_rows<T: BindRows>(req_id: u64, prepared: &Stmt2Prepared, tables: &[T]) -> Result<Vec<u8>> {
    let refs: Vec<TableRef<'_>> = tables
        .iter()
        .map(|t| TableRef {
            name: t.name(),
            tags: t.tags().iter().map(|c| c as &dyn BindValues).collect(),
            columns: t.columns().iter().map(|c| c as &dyn BindValues).collect(),
        })
        .collect();
    if prepared.is_insert {
        encode_insert(req_id, prepared, &refs)
    } else {
        encode_query(req_id, prepared, &refs)
    }
}

pub(crate) fn statement_error(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::Statement, message)
}

fn header(req_id: u64, stmt_id: u64, capacity: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(capacity);
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&wire_id(stmt_id).to_le_bytes());
    out.extend_from_slice(&ACTION_STMT2_BIND.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&(-1i32).to_le_bytes());
    // Payload header (7 × u32), patched once the sections are written.
    out.extend_from_slice(&[0; 28]);
    out
}

const PAYLOAD: usize = 30;

fn put_u32(out: &mut [u8], at: usize, v: u32) {
    out[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn len_u32(n: usize, what: &str) -> Result<u32> {
    u32::try_from(n).map_err(|_| statement_error(format!("{what} of {n} bytes is too large for one bind")))
}

/// "table d1" or "table #2", for messages: made once per table and bind (not with `format!`: a
/// bind of hundreds of tables makes one per table).
fn table_label(t: &TableRef<'_>, index: usize) -> String {
    match t.name {
        Some(n) => {
            let mut label = String::with_capacity(6 + n.len());
            label.push_str("table ");
            label.push_str(n);
            label
        }
        None => format!("table #{index}"),
    }
}

fn encode_insert(req_id: u64, p: &Stmt2Prepared, tables: &[TableRef<'_>]) -> Result<Vec<u8>> {
    let tag_fields: Vec<&StmtField> = p.tag_fields().collect();
    let col_fields: Vec<&StmtField> = p.column_fields().collect();
    let named = p.has_table_name();
    if tables.is_empty() {
        return Err(statement_error("nothing to bind: no tables given"));
    }
    if !named && tables.len() != 1 {
        return Err(statement_error(format!(
            "the statement names its table, so bind exactly one table (got {})",
            tables.len()
        )));
    }
    let labels: Vec<String> = tables.iter().enumerate().map(|(i, t)| table_label(t, i)).collect();
    // Shape checks for every table first, so a bad last table fails before any encoding work.
    for (t, label) in tables.iter().zip(&labels) {
        match (t.name, named) {
            (None, true) => return Err(statement_error(format!("{label}: the statement takes a table name (`insert into ? …`) but none was given"))),
            (Some(n), true) if n.is_empty() || n.contains('\0') => {
                return Err(statement_error(format!("{label}: invalid table name {n:?}")))
            }
            (Some(n), true) if n.len() + 1 > u16::MAX as usize => {
                return Err(statement_error(format!("{label}: table name is too long")))
            }
            (Some(_), false) => return Err(statement_error(format!("{label}: the statement names its table itself; do not pass a table name"))),
            _ => {}
        }
        if t.tags.len() != tag_fields.len() {
            return Err(statement_error(format!(
                "{label}: the statement has {} tag placeholders, {} tags were given",
                tag_fields.len(),
                t.tags.len()
            )));
        }
        if t.columns.len() != col_fields.len() {
            return Err(statement_error(format!(
                "{label}: the statement has {} column placeholders, {} columns were given",
                col_fields.len(),
                t.columns.len()
            )));
        }
        for (f, tag) in tag_fields.iter().zip(t.tags.iter().copied()) {
            let place = Place { table: &label, role: "tag", name: &f.name };
            bind::check_shape(tag, 1, &place, f.ty)?;
        }
        if let Some(first) = t.columns.first() {
            let rows = first.rows();
            if rows == 0 && !col_fields.is_empty() {
                return Err(statement_error(format!("{label}: no rows to bind")));
            }
            for (f, col) in col_fields.iter().zip(t.columns.iter().copied()) {
                let place = Place { table: &label, role: "column", name: &f.name };
                bind::check_shape(col, rows, &place, f.ty)?;
            }
        }
    }

    let mut out = header(req_id, p.stmt_id, insert_bound(tables, &tag_fields, &col_fields));
    let count = tables.len();
    let mut names_offset = 0;
    if named {
        names_offset = out.len() - PAYLOAD;
        for t in tables {
            let n = t.name.unwrap_or_default();
            out.extend_from_slice(&((n.len() + 1) as u16).to_le_bytes());
        }
        for t in tables {
            out.extend_from_slice(t.name.unwrap_or_default().as_bytes());
            out.push(0);
        }
    }
    let mut tags_offset = 0;
    if !tag_fields.is_empty() {
        tags_offset = out.len() - PAYLOAD;
        let lens_at = out.len();
        out.resize(out.len() + 4 * count, 0);
        for (i, (t, label)) in tables.iter().zip(&labels).enumerate() {
            let start = out.len();
            for (f, tag) in tag_fields.iter().zip(t.tags.iter().copied()) {
                let place = Place { table: label, role: "tag", name: &f.name };
                write_record(&mut out, f.ty, Target::of_field(f), tag, &place)?;
            }
            let len = len_u32(out.len() - start, "tags")?;
            put_u32(&mut out, lens_at + 4 * i, len);
        }
    }
    let mut cols_offset = 0;
    if !col_fields.is_empty() {
        cols_offset = out.len() - PAYLOAD;
        let lens_at = out.len();
        out.resize(out.len() + 4 * count, 0);
        for (i, (t, label)) in tables.iter().zip(&labels).enumerate() {
            let start = out.len();
            for (f, col) in col_fields.iter().zip(t.columns.iter().copied()) {
                let place = Place { table: label, role: "column", name: &f.name };
                write_record(&mut out, f.ty, Target::of_field(f), col, &place)?;
            }
            let len = len_u32(out.len() - start, "columns")?;
            put_u32(&mut out, lens_at + 4 * i, len);
        }
    }
    finish(out, count, tag_fields.len(), col_fields.len(), names_offset, tags_offset, cols_offset)
}

/// The capacity an insert's message is written into, so that a bind of hundreds of kilobytes is
/// not grown (and copied) several times as it is written: its size at most, for a packed bind.
fn insert_bound(tables: &[TableRef<'_>], tag_fields: &[&StmtField], col_fields: &[&StmtField]) -> usize {
    let mut bound = PAYLOAD + 28;
    for t in tables {
        bound += 2 + t.name.map_or(0, str::len) + 1 + 8;
        for (f, col) in tag_fields.iter().zip(&t.tags).chain(col_fields.iter().zip(&t.columns)) {
            bound += record_bound(f.ty, *col);
        }
    }
    bound
}

/// One record's bytes at most (exact for fixed-width types; text not held as one buffer is
/// guessed at 16 bytes a value).
fn record_bound(wire: DataType, col: &dyn BindValues) -> usize {
    let num = col.rows();
    17 + num
        + match wire.fixed_size() {
            Some(size) => num * size,
            None => 4 * num + 4 + col.raw_var().map_or(16 * num, |(_, data, _)| data.len()),
        }
}

fn encode_query(req_id: u64, p: &Stmt2Prepared, tables: &[TableRef<'_>]) -> Result<Vec<u8>> {
    let [t] = tables else {
        return Err(statement_error(format!(
            "a query statement takes its parameters as one table (got {})",
            tables.len()
        )));
    };
    if t.name.is_some() || !t.tags.is_empty() {
        return Err(statement_error("a query statement takes no table name and no tags, only parameters"));
    }
    if p.fields_count == 0 {
        // The server wants at least one record per table; there is nothing to bind anyway.
        return Err(statement_error("the query has no parameters: execute it without binding"));
    }
    if t.columns.len() != p.fields_count {
        return Err(statement_error(format!(
            "the query has {} parameters, {} were given",
            p.fields_count,
            t.columns.len()
        )));
    }
    let names: Vec<String> = (1..=t.columns.len()).map(|i| format!("#{i}")).collect();
    for (param, name) in t.columns.iter().copied().zip(&names) {
        let ty = param_type(param, name)?;
        let place = Place { table: "", role: "parameter", name };
        bind::check_shape(param, 1, &place, ty)?;
    }
    let mut out = header(req_id, p.stmt_id, 64 + 32 * t.columns.len());
    let cols_offset = out.len() - PAYLOAD;
    let lens_at = out.len();
    out.extend_from_slice(&[0; 4]);
    let start = out.len();
    for (param, name) in t.columns.iter().copied().zip(&names) {
        let ty = param_type(param, name)?;
        let place = Place { table: "", role: "parameter", name };
        write_record(&mut out, ty, Target::natural(ty), param, &place)?;
    }
    let len = len_u32(out.len() - start, "parameters")?;
    put_u32(&mut out, lens_at, len);
    finish(out, 1, 0, t.columns.len(), 0, 0, cols_offset)
}

/// The wire type of a query parameter: the caller's choice or the values' own type.
pub(crate) fn param_type(param: &dyn BindValues, name: &str) -> Result<DataType> {
    let ty = param.chosen_type().unwrap_or_else(|| param.natural_type());
    if ty.is_decimal() {
        return Err(statement_error(format!(
            "parameter {name}: bind DECIMAL parameters as decimal values or strings without a DECIMAL type (no precision/scale is known for query parameters)"
        )));
    }
    Ok(ty)
}

fn finish(
    mut out: Vec<u8>,
    count: usize,
    tag_count: usize,
    col_count: usize,
    names_offset: usize,
    tags_offset: usize,
    cols_offset: usize,
) -> Result<Vec<u8>> {
    let total = len_u32(out.len() - PAYLOAD, "the bind")?;
    for (i, v) in [total as usize, count, tag_count, col_count, names_offset, tags_offset, cols_offset]
        .into_iter()
        .enumerate()
    {
        put_u32(&mut out, PAYLOAD + 4 * i, len_u32(v, "the bind")?);
    }
    Ok(out)
}

/// One TAOS_STMT2_BIND record (reference §5.2.2), written in place.
fn write_record(out: &mut Vec<u8>, wire: DataType, target: Target, col: &dyn BindValues, place: &Place<'_>) -> Result<()> {
    let num = col.rows();
    let start = out.len();
    out.extend_from_slice(&[0; 4]); // total_length, patched below
    out.extend_from_slice(&(wire.id() as i32).to_le_bytes());
    out.extend_from_slice(&(num as i32).to_le_bytes());
    match col.null_mask() {
        Some(n) => out.extend(n.iter().map(|&x| (x != 0) as u8)),
        None => out.resize(out.len() + num, 0),
    }
    let nulls = out.len() - num;
    if let Some(size) = wire.fixed_size() {
        out.push(0); // have_length: decimals are binary too
        let all_null = num > 0 && out[nulls..nulls + num].iter().all(|&x| x == 1);
        let buf_len = if all_null { 0 } else { num * size };
        out.extend_from_slice(&len_u32(buf_len, "a column")?.to_le_bytes());
        if !all_null && !write_fixed_fast(target, col, size, out) {
            for row in 0..num {
                if col.is_null(row) {
                    out.resize(out.len() + size, 0);
                } else {
                    bind::fixed_bytes(target, col, row, place, out)?;
                }
            }
        }
    } else {
        out.push(1);
        let lengths = out.len();
        out.resize(out.len() + 4 * num + 4, 0);
        let buf_start = out.len();
        if !write_var_fast(target, col, lengths, out) {
            for row in 0..num {
                if col.is_null(row) {
                    continue;
                }
                let bytes = bind::var_bytes(target, col, row, place)?;
                let len = len_u32(bytes.len(), "a value")?;
                put_u32(out, lengths + 4 * row, len);
                out.extend_from_slice(bytes);
            }
        }
        let buf_len = len_u32(out.len() - buf_start, "a column")?;
        put_u32(out, lengths + 4 * num, buf_len);
    }
    let total = len_u32(out.len() - start, "a column")?;
    put_u32(out, start, total);
    Ok(())
}

/// Writes a text or bytes column held as one buffer with offsets (a packed bind's) without a
/// [`bind::Cell`] per value: the text is checked as UTF-8 once, each value's length against the
/// placeholder's, and the bytes of rows that are not NULL are copied at once when they lie back
/// to back. Anything `var_bytes` would refuse or convert — a value too long, offsets out of
/// order, invalid UTF-8, bytes into NCHAR/JSON, text into GEOMETRY — makes it return `false`
/// before a value's bytes are written, so that the per-value path names the value with the same
/// error.
fn write_var_fast(t: Target, col: &dyn BindValues, lengths: usize, out: &mut Vec<u8>) -> bool {
    let Some((kind, data, offsets)) = col.raw_var() else { return false };
    let text = match (kind, t.ty) {
        (PackedKind::Str, DataType::VarChar | DataType::NChar | DataType::Json | DataType::VarBinary | DataType::Blob) => true,
        (PackedKind::Bytes, DataType::VarChar | DataType::VarBinary | DataType::Blob | DataType::Geometry) => false,
        _ => return false,
    };
    let num = col.rows();
    if offsets.len() != 4 * (num + 1) || (text && std::str::from_utf8(data).is_err()) {
        return false;
    }
    // One pass over the rows, with the mask and the offsets read once (not through a call per
    // row): each value is checked, and its length written into the record's lengths (every row
    // the per-value path would fill; when this returns `false` the message is written again or
    // dropped, so the lengths written so far do no harm).
    let nulls = col.null_mask().filter(|n| n.len() == num);
    if col.null_mask().is_some() && nulls.is_none() {
        return false;
    }
    let offset = |b: &[u8]| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize;
    // UTF-8 starts of characters: a row boundary inside a character is not valid text.
    let boundary = |at: usize| at == data.len() || (data[at] as i8) >= -0x40;
    let nchar = t.ty == DataType::NChar;
    let max = t.max_len.unwrap_or(usize::MAX);
    let mut contiguous = true;
    let mut from = offset(&offsets[0..4]);
    let lens = &mut out[lengths..lengths + 4 * num];
    for (row, (to, len)) in offsets[4..].chunks_exact(4).map(offset).zip(lens.chunks_exact_mut(4)).enumerate() {
        if from > to || to > data.len() {
            return false;
        }
        if nulls.is_some_and(|n| n[row] != 0) {
            contiguous &= from == to;
        } else {
            if text && !(boundary(from) && boundary(to)) {
                return false;
            }
            // NCHAR(n) counts characters; a value of at most n bytes has at most n of them.
            let n = to - from;
            if n > max && (!nchar || bind::placeholder_len(t.ty, &data[from..to]) > max) {
                return false;
            }
            len.copy_from_slice(&(n as u32).to_le_bytes());
        }
        from = to;
    }
    let (first, last) = (offset(&offsets[0..4]), from);
    if u32::try_from(last - first).is_err() {
        return false;
    }
    if contiguous {
        out.extend_from_slice(&data[first..last]);
    } else {
        let mut at = first;
        for (row, to) in offsets[4..].chunks_exact(4).map(offset).enumerate() {
            if !nulls.is_some_and(|n| n[row] != 0) {
                out.extend_from_slice(&data[at..to]);
            }
            at = to;
        }
    }
    true
}

/// Writes a column held as little-endian bytes without a [`bind::Cell`] per value, when the
/// conversion is one of the common ones: the same type (copied whole), JS numbers (f64) into an
/// integer or FLOAT placeholder, bytes into BOOL. The checks are `fixed_bytes`'s; at a value
/// that fails one nothing is written, and the caller converts the column value by value with
/// `fixed_bytes`, which converts or names it. NULL rows are zeros, as there.
/// `false`: not such a column (or such a value), nothing written.
fn write_fixed_fast(t: Target, col: &dyn BindValues, size: usize, out: &mut Vec<u8>) -> bool {
    let Some((kind, data)) = col.raw_fixed() else { return false };
    let nulls = col.null_mask();
    let is_null = |row: usize| nulls.is_some_and(|n| n[row] != 0);
    let num = col.rows();
    if kind.same_wire(t.ty) {
        let at = out.len();
        out.extend_from_slice(data);
        if let Some(n) = nulls {
            for (row, _) in n.iter().enumerate().filter(|(_, x)| **x != 0) {
                out[at + row * size..at + (row + 1) * size].fill(0);
            }
        }
        return true;
    }
    match (kind, t.ty) {
        (PackedKind::Bool | PackedKind::U8, DataType::Bool) => {
            out.extend(data.iter().enumerate().map(|(row, &b)| (!is_null(row) && b != 0) as u8));
        }
        (PackedKind::F64, DataType::Float) => {
            let at = out.len();
            out.resize(at + 4 * num, 0);
            let fits = |x: f64| !(x.is_finite() && x.abs() > f32::MAX as f64);
            if !convert_f64::<4>(data, nulls, &mut out[at..], fits, |x| (x as f32).to_le_bytes()) {
                out.truncate(at);
                return false;
            }
        }
        (PackedKind::F64, ty) => {
            let (lo, hi): (f64, f64) = match ty {
                DataType::TinyInt => (i8::MIN as f64, i8::MAX as f64),
                DataType::SmallInt => (i16::MIN as f64, i16::MAX as f64),
                DataType::Int => (i32::MIN as f64, i32::MAX as f64),
                DataType::BigInt | DataType::Timestamp => (i64::MIN as f64, i64::MAX as f64),
                DataType::UTinyInt => (0.0, u8::MAX as f64),
                DataType::USmallInt => (0.0, u16::MAX as f64),
                DataType::UInt => (0.0, u32::MAX as f64),
                DataType::UBigInt => (0.0, u64::MAX as f64),
                _ => return false,
            };
            // In range (so finite) and integral: exact in i64 (the 2^63 edge goes the careful
            // way). The cast back, not `fract()`: that is a libm call per value.
            let fits = |x: f64| x >= lo && x <= hi && (size < 8 || x.abs() < 9.2e18) && (x as i64) as f64 == x;
            let at = out.len();
            out.resize(at + size * num, 0);
            let dst = &mut out[at..];
            let done = match size {
                1 => convert_f64::<1>(data, nulls, dst, fits, |x| [x as i64 as u8]),
                2 => convert_f64::<2>(data, nulls, dst, fits, |x| (x as i64 as u16).to_le_bytes()),
                4 => convert_f64::<4>(data, nulls, dst, fits, |x| (x as i64 as u32).to_le_bytes()),
                _ => convert_f64::<8>(data, nulls, dst, fits, |x| (x as i64).to_le_bytes()),
            };
            if !done {
                out.truncate(at);
                return false;
            }
        }
        _ => return false,
    }
    true
}

/// Converts JS numbers (f64) into `N`-byte wire values in `dst` (zeroed; NULL rows stay zeros)
/// while every value `fits`; `false` at the first that does not, for the per-value path to
/// convert or name (so a column goes one way or the other, never half).
fn convert_f64<const N: usize>(
    data: &[u8],
    nulls: Option<&[u8]>,
    dst: &mut [u8],
    fits: impl Fn(f64) -> bool,
    wire: impl Fn(f64) -> [u8; N],
) -> bool {
    for (row, (b, d)) in data.chunks_exact(8).zip(dst.chunks_exact_mut(N)).enumerate() {
        if nulls.is_some_and(|n| n[row] != 0) {
            continue;
        }
        let x = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
        if !fits(x) {
            return false;
        }
        d.copy_from_slice(&wire(x));
    }
    true
}

/// One `TAOS_STMT2_BIND` record of an encoded bind, borrowed from the message. The binary
/// `stmt2_bind` body is libtaos's `TAOS_STMT2_BINDV` serialised (taosAdapter points the C
/// structure into it); the native transport reads it back with [`bind_records`] to hand the
/// same checked values to `taos_stmt2_bind_param` itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BindRecord<'a> {
    /// TDengine's type id.
    pub buffer_type: i32,
    pub num: usize,
    /// One byte per row, 1 = NULL.
    pub is_null: &'a [u8],
    /// `num` little-endian i32 value lengths (variable-length types only).
    pub lengths: Option<&'a [u8]>,
    /// Fixed-width values back to back, or the variable-length values concatenated; empty when
    /// every row is NULL.
    pub buffer: &'a [u8],
}

/// The records of one table of an encoded bind.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindTableRecords<'a> {
    /// The table name without its NUL, when the statement takes one.
    pub name: Option<&'a [u8]>,
    pub tags: Vec<BindRecord<'a>>,
    pub columns: Vec<BindRecord<'a>>,
}

/// Reads back a message made by [`encode_bind`] (header included).
pub fn bind_records(message: &[u8]) -> Result<Vec<BindTableRecords<'_>>> {
    let bad = |what: &str| Error::internal(format!("stmt2 bind message is malformed: {what}"));
    let payload = message.get(PAYLOAD..).ok_or_else(|| bad("no payload"))?;
    let u32_at = |at: usize| -> Result<usize> {
        payload
            .get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
            .ok_or_else(|| bad("header"))
    };
    let count = u32_at(4)?;
    let (tag_count, col_count) = (u32_at(8)?, u32_at(12)?);
    let (names_offset, tags_offset, cols_offset) = (u32_at(16)?, u32_at(20)?, u32_at(24)?);
    let mut tables = vec![BindTableRecords::default(); count];
    if names_offset != 0 {
        let lens = payload.get(names_offset..names_offset + 2 * count).ok_or_else(|| bad("name lengths"))?;
        let mut at = names_offset + 2 * count;
        for (i, t) in tables.iter_mut().enumerate() {
            let len = u16::from_le_bytes([lens[2 * i], lens[2 * i + 1]]) as usize;
            let name = payload.get(at..at + len).ok_or_else(|| bad("table name"))?;
            t.name = Some(name.strip_suffix(&[0]).unwrap_or(name));
            at += len;
        }
    }
    for (offset, per_table, is_tags) in [(tags_offset, tag_count, true), (cols_offset, col_count, false)] {
        if offset == 0 || per_table == 0 {
            continue;
        }
        let mut at = offset + 4 * count;
        for t in tables.iter_mut() {
            for _ in 0..per_table {
                let (record, next) = read_record(payload, at).ok_or_else(|| bad("record"))?;
                if is_tags {
                    t.tags.push(record);
                } else {
                    t.columns.push(record);
                }
                at = next;
            }
        }
    }
    Ok(tables)
}

fn read_record(p: &[u8], start: usize) -> Option<(BindRecord<'_>, usize)> {
    let u32_at = |at: usize| p.get(at..at + 4).map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    let total = u32_at(start)? as usize;
    let buffer_type = u32_at(start + 4)? as i32;
    let num = u32_at(start + 8)? as usize;
    let mut at = start + 12;
    let is_null = p.get(at..at + num)?;
    at += num;
    let have_length = *p.get(at)? != 0;
    at += 1;
    let lengths = if have_length {
        let l = p.get(at..at + 4 * num)?;
        at += 4 * num;
        Some(l)
    } else {
        None
    };
    let buffer_len = u32_at(at)? as usize;
    at += 4;
    let buffer = p.get(at..at + buffer_len)?;
    at += buffer_len;
    (at - start == total).then_some((BindRecord { buffer_type, num, is_null, lengths, buffer }, at))
}
