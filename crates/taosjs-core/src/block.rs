//! Raw block decoder (reference §4): bytes from `fetch_raw_block` → columns ready to become JS
//! typed arrays. Every length and offset read from the wire is checked before it is used, so a
//! malformed block is an error, never a panic or an oversized allocation.

use std::sync::Arc;

use bytes::Bytes;

use crate::error::{Error, Result};
use crate::types::{DataType, Field};

const HEADER_LEN: usize = 28;
const SCHEMA_ENTRY_LEN: usize = 5;

/// A decoded block: `rows` rows, one entry per column.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedBlock {
    pub rows: usize,
    pub columns: Vec<DecodedColumn>,
}

/// Values of a fixed-width column, one element per row (NULL rows hold 0).
#[derive(Debug, Clone, PartialEq)]
pub enum FixedData {
    /// BOOL as 0/1.
    Bool(Vec<u8>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    /// BIGINT and TIMESTAMP (in the result's precision).
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
}

impl FixedData {
    pub fn len(&self) -> usize {
        match self {
            FixedData::Bool(v) | FixedData::U8(v) => v.len(),
            FixedData::I8(v) => v.len(),
            FixedData::I16(v) => v.len(),
            FixedData::I32(v) => v.len(),
            FixedData::I64(v) => v.len(),
            FixedData::U16(v) => v.len(),
            FixedData::U32(v) => v.len(),
            FixedData::U64(v) => v.len(),
            FixedData::F32(v) => v.len(),
            FixedData::F64(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// One decoded column. `nulls[r] == 1` marks row `r` as NULL.
#[derive(Debug, Clone, PartialEq)]
pub enum DecodedColumn {
    Fixed { ty: DataType, nulls: Vec<u8>, data: FixedData },
    /// Row `r` is `data[offsets[r]..offsets[r + 1]]` (empty for NULL). Text types (VARCHAR, NCHAR,
    /// JSON, DECIMAL rendered with exactly `scale` fraction digits) are UTF-8; VARBINARY, GEOMETRY
    /// and BLOB are the raw bytes.
    Var { ty: DataType, nulls: Vec<u8>, data: Vec<u8>, offsets: Vec<i32> },
}

impl DecodedColumn {
    pub fn ty(&self) -> DataType {
        match self {
            DecodedColumn::Fixed { ty, .. } | DecodedColumn::Var { ty, .. } => *ty,
        }
    }

    pub fn nulls(&self) -> &[u8] {
        match self {
            DecodedColumn::Fixed { nulls, .. } | DecodedColumn::Var { nulls, .. } => nulls,
        }
    }

    /// Bytes of row `row` of a variable column; `None` for NULL, fixed columns or out of range.
    pub fn var_value(&self, row: usize) -> Option<&[u8]> {
        match self {
            DecodedColumn::Var { nulls, data, offsets, .. } => {
                if *nulls.get(row)? == 1 {
                    return None;
                }
                let start = usize::try_from(*offsets.get(row)?).ok()?;
                let end = usize::try_from(*offsets.get(row + 1)?).ok()?;
                data.get(start..end)
            }
            DecodedColumn::Fixed { .. } => None,
        }
    }
}

/// Fixed part of a block header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockHeader {
    pub version: i32,
    /// Total block length in bytes, header included.
    pub length: usize,
    pub rows: usize,
    pub cols: usize,
    pub group_id: u64,
}

/// Cursor over a byte slice whose every read is bounds-checked.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize, what: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.bytes.len()).ok_or_else(|| {
            malformed(format!(
                "{what} needs {n} bytes at offset {} but the block has {}",
                self.pos,
                self.bytes.len()
            ))
        })?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn i32(&mut self, what: &str) -> Result<i32> {
        let b = self.take(4, what)?;
        Ok(i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        let b = self.take(8, what)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(b);
        Ok(u64::from_le_bytes(a))
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.take(1, what)?[0])
    }
}

fn malformed(detail: impl std::fmt::Display) -> Error {
    Error::result(format!("malformed raw block: {detail}"))
}

fn non_negative(v: i32, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| malformed(format!("{what} is negative ({v})")))
}

/// Reads and checks the 28-byte header.
pub fn parse_header(block: &[u8]) -> Result<BlockHeader> {
    let mut r = Reader { bytes: block, pos: 0 };
    let version = r.i32("header")?;
    let length = r.i32("header")?;
    let rows = r.i32("header")?;
    let cols = r.i32("header")?;
    let _flag = r.i32("header")?;
    let group_id = r.u64("header")?;
    if version != 1 && version != 2 {
        return Err(malformed(format!("unknown block version {version}")));
    }
    let length = non_negative(length, "block length")?;
    if length < HEADER_LEN || length > block.len() {
        return Err(malformed(format!(
            "block length field says {length} bytes but {} were received",
            block.len()
        )));
    }
    Ok(BlockHeader {
        version,
        length,
        rows: non_negative(rows, "row count")?,
        cols: non_negative(cols, "column count")?,
        group_id,
    })
}

/// Each column's type and schema bytes (for DECIMAL the packed `(size << 24) | (precision << 8)
/// | scale`), without decoding the data.
pub fn column_schema(block: &[u8]) -> Result<Vec<(DataType, i32)>> {
    let header = parse_header(block)?;
    let mut r = Reader { bytes: &block[..header.length], pos: HEADER_LEN };
    let cols = header.cols;
    if cols.checked_mul(SCHEMA_ENTRY_LEN).is_none_or(|n| n > header.length - HEADER_LEN) {
        return Err(malformed(format!("{cols} columns do not fit in {} bytes", header.length)));
    }
    read_schema(&mut r, cols)
}

fn read_schema(r: &mut Reader<'_>, cols: usize) -> Result<Vec<(DataType, i32)>> {
    let mut schema = Vec::with_capacity(cols);
    for c in 0..cols {
        let id = r.u8("column schema")?;
        let b = r.take(4, "column schema")?;
        let bytes = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let ty = DataType::from_id(id).ok_or_else(|| malformed(format!("column {c} has unknown type id {id}")))?;
        schema.push((ty, bytes));
    }
    Ok(schema)
}

/// Decodes a raw block. DECIMAL precision/scale come from the packed schema bytes.
pub fn decode_block(block: &[u8]) -> Result<DecodedBlock> {
    decode_block_with_fields(block, None)
}

/// Decodes a raw block; `fields` (from the query reply) supplies decimal scales when the schema
/// bytes do not carry them, and must then have one entry per column.
pub fn decode_block_with_fields(block: &[u8], fields: Option<&[Field]>) -> Result<DecodedBlock> {
    let raw = RawBlock::parse(block, fields)?;
    let rows = raw.rows;
    let mut columns = Vec::with_capacity(raw.columns.len());
    for column in &raw.columns {
        columns.push(match *column {
            RawColumn::Fixed { ty, bitmap, data, decimal_scale } => {
                let nulls: Vec<u8> = (0..rows).map(|i| null_bit(bitmap, i)).collect();
                match decimal_scale {
                    Some(scale) => decode_decimal(ty, data, scale, nulls),
                    None => decode_fixed(ty, data, nulls)?,
                }
            }
            RawColumn::Var { ty, .. } => {
                let mut nulls = Vec::with_capacity(rows);
                let mut offsets = Vec::with_capacity(rows + 1);
                offsets.push(0i32);
                let mut out: Vec<u8> = Vec::new();
                column.var_values(|value| {
                    nulls.push(u8::from(value.is_none()));
                    if let Some(value) = value {
                        value.append_to(&mut out)?;
                    }
                    offsets.push(var_end(column, out.len())?);
                    Ok(())
                })?;
                DecodedColumn::Var { ty, nulls, data: out, offsets }
            }
        });
    }
    Ok(DecodedBlock { rows, columns })
}

/// Whether row `i` is NULL in TDengine's bitmap of a fixed column (most significant bit first): 1
/// or 0.
#[inline]
pub fn null_bit(bitmap: &[u8], i: usize) -> u8 {
    (bitmap[i >> 3] >> (7 - (i & 7))) & 1
}

/// The end offset of a variable column's value that ends at `len` bytes of its data.
#[inline]
pub fn var_end(column: &RawColumn<'_>, len: usize) -> Result<i32> {
    i32::try_from(len).map_err(|_| malformed(format!("column {} holds more than 2 GiB of data", column.index())))
}

/// A raw block checked and cut into its columns, nothing decoded or copied: what
/// [`decode_block_with_fields`] builds [`DecodedBlock`]s from, and what a consumer that lays the
/// values out its own way (the napi binding's packed batches) reads straight from the frame.
/// Every slice is within the block; the values of a variable column are checked as they are read
/// ([`RawColumn::var_values`]).
#[derive(Debug, Clone)]
pub struct RawBlock<'a> {
    pub rows: usize,
    pub columns: Vec<RawColumn<'a>>,
}

/// One column of a [`RawBlock`].
#[derive(Debug, Clone, Copy)]
pub enum RawColumn<'a> {
    /// `bitmap`: `rows.div_ceil(8)` bytes, bit `7 - i % 8` of byte `i / 8` set for NULL ([`null_bit`]);
    /// `data`: exactly `rows` little-endian values (NULL rows hold whatever the server put there).
    /// DECIMAL columns carry their scale (their values become text).
    Fixed { ty: DataType, bitmap: &'a [u8], data: &'a [u8], decimal_scale: Option<u32> },
    /// `offsets`: `rows` little-endian i32 offsets into `area` (-1 = NULL), each value a length
    /// prefix and its bytes.
    Var { ty: DataType, col: usize, offsets: &'a [u8], area: &'a [u8] },
}

/// A variable column's value as it travels: text and bytes as they are, NCHAR as UCS-4 code
/// points (see [`VarValue::append_to`]).
#[derive(Debug, Clone, Copy)]
pub struct VarValue<'a> {
    pub bytes: &'a [u8],
    /// The bytes are UCS-4 code points (NCHAR), not checked yet.
    pub ucs4: bool,
    col: usize,
    row: usize,
}

impl VarValue<'_> {
    /// Appends the value as it is handed out: UTF-8 for NCHAR (an error unless the code points
    /// are whole valid characters), else its bytes. Returns the UTF-16 units of an NCHAR value
    /// (0 for others).
    #[inline]
    pub fn append_to(&self, out: &mut Vec<u8>) -> Result<usize> {
        if !self.ucs4 {
            out.extend_from_slice(self.bytes);
            return Ok(0);
        }
        let bad = |detail: String| malformed(format!("column {} row {}: {detail}", self.col, self.row));
        if !self.bytes.len().is_multiple_of(4) {
            return Err(bad(format!("NCHAR value of {} bytes is not whole UCS-4 characters", self.bytes.len())));
        }
        // UTF-8 takes at most the UCS-4 bytes.
        out.reserve(self.bytes.len());
        let mut buf = [0u8; 4];
        let mut units = 0;
        for c in self.bytes.chunks_exact(4) {
            let cp = u32::from_le_bytes([c[0], c[1], c[2], c[3]]);
            if cp < 0x80 {
                out.push(cp as u8);
                units += 1;
                continue;
            }
            let ch = char::from_u32(cp).ok_or_else(|| bad(format!("invalid code point U+{cp:X} in NCHAR")))?;
            units += ch.len_utf16();
            out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
        }
        Ok(units)
    }
}

impl<'a> RawBlock<'a> {
    /// Checks `block`'s header, schema and column sections; `fields` as for
    /// [`decode_block_with_fields`].
    pub fn parse(block: &'a [u8], fields: Option<&[Field]>) -> Result<RawBlock<'a>> {
        let header = parse_header(block)?;
        let mut r = Reader { bytes: &block[..header.length], pos: HEADER_LEN };
        let rows = header.rows;
        let cols = header.cols;
        // Each column needs at least 9 bytes of schema+length: bounds the column count before allocating.
        cols.checked_mul(SCHEMA_ENTRY_LEN + 4)
            .filter(|&n| n <= header.length - HEADER_LEN)
            .ok_or_else(|| malformed(format!("{cols} columns do not fit in {} bytes", header.length)))?;
        if let Some(f) = fields {
            if f.len() != cols {
                return Err(malformed(format!(
                    "block has {cols} columns but the result has {} fields",
                    f.len()
                )));
            }
        }
        let schema = read_schema(&mut r, cols)?;
        let mut lengths = Vec::with_capacity(cols);
        for c in 0..cols {
            let len = r.i32("column lengths")?;
            lengths.push(non_negative(len, &format!("data length of column {c}"))?);
        }
        let mut columns = Vec::with_capacity(cols);
        for c in 0..cols {
            let (ty, schema_bytes) = schema[c];
            let data_len = lengths[c];
            let column = match ty.fixed_size() {
                Some(size) => {
                    let bitmap = r.take(rows.div_ceil(8), "null bitmap")?;
                    let needed = rows
                        .checked_mul(size)
                        .ok_or_else(|| malformed(format!("{rows} rows overflow column {c}")))?;
                    if data_len < needed {
                        return Err(malformed(format!(
                            "column {c} ({}) has {data_len} data bytes for {rows} rows of {size}",
                            ty.name()
                        )));
                    }
                    let data = r.take(data_len, "column data")?;
                    let decimal_scale = match ty {
                        DataType::Decimal | DataType::Decimal64 => Some(decimal_scale(ty, c, schema_bytes, fields)?),
                        _ => None,
                    };
                    RawColumn::Fixed { ty, bitmap, data: &data[..needed], decimal_scale }
                }
                None => {
                    let offsets = r.take(
                        rows.checked_mul(4)
                            .ok_or_else(|| malformed(format!("{rows} rows overflow column {c}")))?,
                        "var-data offsets",
                    )?;
                    let area = r.take(data_len, "var-data area")?;
                    RawColumn::Var { ty, col: c, offsets, area }
                }
            };
            columns.push(column);
        }
        Ok(RawBlock { rows, columns })
    }
}

impl<'a> RawColumn<'a> {
    pub fn ty(&self) -> DataType {
        match self {
            RawColumn::Fixed { ty, .. } | RawColumn::Var { ty, .. } => *ty,
        }
    }

    fn index(&self) -> usize {
        match self {
            RawColumn::Var { col, .. } => *col,
            RawColumn::Fixed { .. } => 0,
        }
    }

    /// Calls `each` with every value of a variable column in row order (`None` for NULL), each
    /// checked to lie within the column's data area (NCHAR's characters are checked as
    /// [`VarValue::append_to`] converts them). Nothing for a fixed column.
    pub fn var_values(&self, mut each: impl FnMut(Option<VarValue<'a>>) -> Result<()>) -> Result<()> {
        let RawColumn::Var { ty, col, offsets, area } = *self else { return Ok(()) };
        let prefix = if ty == DataType::Blob { 4 } else { 2 };
        let ucs4 = ty == DataType::NChar;
        for (row, o) in offsets.chunks_exact(4).enumerate() {
            let off = i32::from_le_bytes([o[0], o[1], o[2], o[3]]);
            if off == -1 {
                each(None)?;
                continue;
            }
            let start = usize::try_from(off).map_err(|_| malformed(format!("column {col} row {row} has offset {off}")))?;
            let len_bytes = start.checked_add(prefix).and_then(|end| area.get(start..end)).ok_or_else(|| {
                malformed(format!(
                    "column {col} row {row}: offset {start} is outside the {}-byte data area",
                    area.len()
                ))
            })?;
            let len = if prefix == 4 {
                u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize
            } else {
                u16::from_le_bytes([len_bytes[0], len_bytes[1]]) as usize
            };
            let bytes = (start + prefix).checked_add(len).and_then(|end| area.get(start + prefix..end)).ok_or_else(|| {
                malformed(format!(
                    "column {col} row {row}: value of {len} bytes at offset {start} overruns the {}-byte data area",
                    area.len()
                ))
            })?;
            each(Some(VarValue { bytes, ucs4, col, row }))?;
        }
        Ok(())
    }
}

fn decode_fixed(ty: DataType, data: &[u8], nulls: Vec<u8>) -> Result<DecodedColumn> {
    macro_rules! le {
        ($t:ty, $n:literal) => {
            data.chunks_exact($n)
                .map(|c| {
                    let mut a = [0u8; $n];
                    a.copy_from_slice(c);
                    <$t>::from_le_bytes(a)
                })
                .collect()
        };
    }
    let data = match ty {
        DataType::Bool => FixedData::Bool(data.iter().map(|&b| u8::from(b != 0)).collect()),
        DataType::TinyInt => FixedData::I8(data.iter().map(|&b| b as i8).collect()),
        DataType::SmallInt => FixedData::I16(le!(i16, 2)),
        DataType::Int => FixedData::I32(le!(i32, 4)),
        DataType::BigInt | DataType::Timestamp => FixedData::I64(le!(i64, 8)),
        DataType::UTinyInt => FixedData::U8(data.to_vec()),
        DataType::USmallInt => FixedData::U16(le!(u16, 2)),
        DataType::UInt => FixedData::U32(le!(u32, 4)),
        DataType::UBigInt => FixedData::U64(le!(u64, 8)),
        DataType::Float => FixedData::F32(le!(f32, 4)),
        DataType::Double => FixedData::F64(le!(f64, 8)),
        _ => return Err(Error::internal(format!("{} is not a fixed-width type", ty.name()))),
    };
    Ok(DecodedColumn::Fixed { ty, nulls, data })
}

/// Scale of a decimal column: the packed schema bytes `(size<<24)|(precision<<8)|scale` when
/// they carry the value size, else the query reply's `fields_scales`.
fn decimal_scale(ty: DataType, col: usize, schema_bytes: i32, fields: Option<&[Field]>) -> Result<u32> {
    let packed = schema_bytes as u32;
    let size = (packed >> 24) as usize;
    let scale = if Some(size) == ty.fixed_size() {
        packed & 0xFF
    } else if let Some(f) = fields {
        u32::from(f[col].scale)
    } else {
        return Err(malformed(format!(
            "decimal column {col} has schema bytes 0x{packed:08X} without precision/scale"
        )));
    };
    if scale > 38 {
        return Err(malformed(format!("decimal column {col} has scale {scale} (max 38)")));
    }
    Ok(scale)
}

fn decode_decimal(ty: DataType, data: &[u8], scale: u32, nulls: Vec<u8>) -> DecodedColumn {
    let mut out = Vec::with_capacity(nulls.len() * 8);
    let mut offsets = Vec::with_capacity(nulls.len() + 1);
    offsets.push(0i32);
    for (row, &null) in nulls.iter().enumerate() {
        if null == 0 {
            format_decimal(decimal_at(ty, data, row), scale, &mut out);
        }
        // A decimal renders in at most 41 bytes, so a column of i32::MAX/41 rows cannot overflow.
        offsets.push(out.len() as i32);
    }
    DecodedColumn::Var { ty, nulls, data: out, offsets }
}

/// The unscaled value of row `row` of a DECIMAL (16 bytes) or DECIMAL64 (8 bytes) column's data.
#[inline]
pub fn decimal_at(ty: DataType, data: &[u8], row: usize) -> i128 {
    if ty == DataType::Decimal {
        let mut a = [0u8; 16];
        a.copy_from_slice(&data[16 * row..16 * row + 16]);
        i128::from_le_bytes(a)
    } else {
        let mut a = [0u8; 8];
        a.copy_from_slice(&data[8 * row..8 * row + 8]);
        i128::from(i64::from_le_bytes(a))
    }
}

/// Appends `unscaled / 10^scale` with exactly `scale` fraction digits ("-12.34", "0.0000").
pub fn format_decimal(unscaled: i128, scale: u32, out: &mut Vec<u8>) {
    if unscaled < 0 {
        out.push(b'-');
    }
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let (int_part, frac_part) = if digits.len() > scale {
        digits.split_at(digits.len() - scale)
    } else {
        ("", digits.as_str())
    };
    if int_part.is_empty() {
        out.push(b'0');
    } else {
        out.extend_from_slice(int_part.as_bytes());
    }
    if scale > 0 {
        out.push(b'.');
        out.extend(std::iter::repeat_n(b'0', scale - frac_part.len()));
        out.extend_from_slice(frac_part.as_bytes());
    }
}

/// One raw block of a result and the result's fields, which [`FetchedBlock::decode`] needs
/// (decimal scales). Decoding is left to the caller so that it runs on the caller's thread,
/// not in the task that moves the connection's frames. The block may stay inside the frame it
/// arrived in ([`FetchedBlock::in_frame`]): nothing copies it before it is decoded or packed.
#[derive(Debug, Clone)]
pub struct FetchedBlock {
    /// The block's bytes (a view of the frame it arrived in, which it keeps alive).
    bytes: Bytes,
    pub fields: Arc<[Field]>,
}

impl PartialEq for FetchedBlock {
    fn eq(&self, other: &FetchedBlock) -> bool {
        self.raw() == other.raw() && self.fields == other.fields
    }
}

impl FetchedBlock {
    /// A block of its own.
    pub fn new(raw: impl Into<Bytes>, fields: Arc<[Field]>) -> FetchedBlock {
        FetchedBlock { bytes: raw.into(), fields }
    }

    /// The block at `range` of the frame it arrived in (a range outside the frame is an empty
    /// block, which decodes as malformed).
    pub fn in_frame(frame: Bytes, range: std::ops::Range<usize>, fields: Arc<[Field]>) -> FetchedBlock {
        let bytes = if range.start <= range.end && range.end <= frame.len() { frame.slice(range) } else { Bytes::new() };
        FetchedBlock { bytes, fields }
    }

    /// The raw block's bytes.
    pub fn raw(&self) -> &[u8] {
        &self.bytes
    }

    /// The block as columns (see this module).
    pub fn decode(&self) -> Result<DecodedBlock> {
        decode_block_with_fields(self.raw(), Some(&self.fields))
    }

    /// The block checked and cut into columns, nothing copied (see [`RawBlock`]).
    pub fn columns(&self) -> Result<RawBlock<'_>> {
        RawBlock::parse(self.raw(), Some(&self.fields))
    }
}

/// Blocks of a result in order, as a session's `Reply::Batch` and `Reply::Rows` hand them over
/// (see `session::query`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BlockBatch {
    pub blocks: Vec<FetchedBlock>,
    /// No block follows these: the server reported the end (and freed the result itself).
    pub finished: bool,
    /// The result was run again after a reconnect: these blocks start it over, and the blocks
    /// of the provisional batch before them are void.
    pub restarted: bool,
    /// Read ahead with the query and not confirmed yet: the next batch may be `restarted` (only
    /// while the session could re-run the result), so the caller hands out no row of these until
    /// then.
    pub provisional: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example of reference §4.2.
    const EXAMPLE: &str = "01000000 7a000000 02000000 04000000 00000080 0000000000000000
        09 08000000 04 04000000 08 0c000000 0a 0a000000
        10000000 08000000 04000000 0c000000
        00 0068e5cf8b010000 e86be5cf8b010000
        40 07000000 00000000
        00000000 ffffffff 0200 6162
        00000000 06000000 0400 e9000000 0400 2d4e0000";

    pub(crate) fn hex(s: &str) -> Vec<u8> {
        let s: String = s.chars().filter(|c| c.is_ascii_hexdigit()).collect();
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    fn text(col: &DecodedColumn, row: usize) -> Option<String> {
        col.var_value(row).map(|b| String::from_utf8(b.to_vec()).unwrap())
    }

    #[test]
    fn decodes_the_reference_example() {
        let bytes = hex(EXAMPLE);
        assert_eq!(bytes.len(), 122);
        let b = decode_block(&bytes).unwrap();
        assert_eq!(b.rows, 2);
        assert_eq!(b.columns.len(), 4);
        assert_eq!(
            b.columns[0],
            DecodedColumn::Fixed {
                ty: DataType::Timestamp,
                nulls: vec![0, 0],
                data: FixedData::I64(vec![1_700_000_000_000, 1_700_000_001_000])
            }
        );
        match &b.columns[1] {
            DecodedColumn::Fixed { nulls, data: FixedData::I32(v), .. } => {
                assert_eq!(nulls, &[0, 1]);
                assert_eq!(v[0], 7);
            }
            other => panic!("unexpected {other:?}"),
        }
        assert_eq!(text(&b.columns[2], 0).as_deref(), Some("ab"));
        assert_eq!(text(&b.columns[2], 1), None);
        assert_eq!(b.columns[2].nulls(), &[0, 1]);
        assert_eq!(text(&b.columns[3], 0).as_deref(), Some("é"));
        assert_eq!(text(&b.columns[3], 1).as_deref(), Some("中"));
        match &b.columns[3] {
            DecodedColumn::Var { offsets, data, .. } => {
                assert_eq!(offsets, &[0, 2, 5]);
                assert_eq!(data.len(), 5);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn every_truncation_of_a_valid_block_is_an_error() {
        let bytes = hex(EXAMPLE);
        for n in 0..bytes.len() {
            let err = decode_block(&bytes[..n]).unwrap_err();
            assert_eq!(err.kind, crate::error::ErrorKind::Result, "prefix of {n} bytes");
        }
    }

    #[test]
    fn a_block_whose_length_field_lies_is_rejected() {
        let mut bytes = hex(EXAMPLE);
        bytes[4] = 200; // claims 200 bytes, 122 present
        assert!(decode_block(&bytes).unwrap_err().message.contains("length"));
        let mut bytes = hex(EXAMPLE);
        bytes[4] = 100; // claims fewer bytes than the columns need
        assert!(decode_block(&bytes).is_err());
    }

    #[test]
    fn garbled_offsets_lengths_and_types_are_errors() {
        let base = hex(EXAMPLE);
        // s offset of row 0 → 0x7fffffff
        let mut b = base.clone();
        b[0x5a..0x5e].copy_from_slice(&0x7fff_ffffi32.to_le_bytes());
        assert!(decode_block(&b).unwrap_err().message.contains("offset"));
        // s row 0 length prefix → 0xffff
        let mut b = base.clone();
        b[0x62..0x64].copy_from_slice(&[0xff, 0xff]);
        assert!(decode_block(&b).unwrap_err().message.contains("overruns"));
        // NCHAR code point beyond U+10FFFF
        let mut b = base.clone();
        b[0x70..0x74].copy_from_slice(&0x0011_0000u32.to_le_bytes());
        assert!(decode_block(&b).unwrap_err().message.contains("code point"));
        // unknown type id
        let mut b = base.clone();
        b[0x1c] = 19;
        assert!(decode_block(&b).unwrap_err().message.contains("type id 19"));
        // negative rows, huge cols
        let mut b = base.clone();
        b[8..12].copy_from_slice(&(-1i32).to_le_bytes());
        assert!(decode_block(&b).is_err());
        let mut b = base.clone();
        b[12..16].copy_from_slice(&i32::MAX.to_le_bytes());
        assert!(decode_block(&b).is_err());
        // fixed column with too few data bytes for its rows
        let mut b = base;
        b[0x34..0x38].copy_from_slice(&4i32.to_le_bytes());
        assert!(decode_block(&b).is_err());
    }

    /// Tiny xorshift generator: deterministic "random" input without extra dependencies.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
    }

    #[test]
    fn random_bytes_and_random_mutations_never_panic() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        let base = hex(EXAMPLE);
        for _ in 0..20_000 {
            // Random garbage, sometimes behind a plausible header.
            let len = (rng.next() % 200) as usize;
            let mut buf: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if len >= 28 && rng.next().is_multiple_of(2) {
                buf[0..4].copy_from_slice(&1i32.to_le_bytes());
                buf[4..8].copy_from_slice(&(len as i32).to_le_bytes());
                buf[8..12].copy_from_slice(&((rng.next() % 6) as i32).to_le_bytes());
                buf[12..16].copy_from_slice(&((rng.next() % 5) as i32).to_le_bytes());
            }
            let _ = decode_block(&buf);
            // A valid block with a few bytes changed.
            let mut m = base.clone();
            for _ in 0..(1 + rng.next() % 4) {
                let i = (rng.next() as usize) % m.len();
                m[i] = rng.next() as u8;
            }
            if let Ok(b) = decode_block(&m) {
                for c in &b.columns {
                    assert_eq!(c.nulls().len(), b.rows);
                }
            }
        }
    }

    #[test]
    fn decimals_render_with_exactly_scale_digits() {
        let cases: [(i128, u32, &str); 7] = [
            (-1234, 2, "-12.34"),
            (5, 3, "0.005"),
            (-5, 3, "-0.005"),
            (0, 10, "0.0000000000"),
            (42, 0, "42"),
            (i128::MAX, 38, "1.70141183460469231731687303715884105727"),
            (i128::MIN, 0, "-170141183460469231731687303715884105728"),
        ];
        for (unscaled, scale, want) in cases {
            let mut out = Vec::new();
            format_decimal(unscaled, scale, &mut out);
            assert_eq!(String::from_utf8(out).unwrap(), want);
        }
    }
}
