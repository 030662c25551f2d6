//! Raw block encoder (reference §4): the bytes `fetch_raw_block` and `fetch_block` carry.
//!
//! Columns are written straight into one `Vec<u8>` sized up front; no per-cell allocation.
//! Values whose variant does not match the column type are coerced (or written as zeros) rather
//! than rejected: the engine owns typing, the encoder must never panic.

use taos_sqlengine::types::{DataType, Field, ResultSet, Value};

const HEADER_LEN: usize = 28;
/// taosd writes this flag ("has column segment"); readers ignore it.
const BLOCK_FLAG: u32 = 0x8000_0000;

/// Encodes rows `start..end` of `rs` as a version-1 raw block.
pub fn encode_block(rs: &ResultSet, start: usize, end: usize) -> Vec<u8> {
    let mut out = Vec::new();
    encode_block_into(rs, start, end, &mut out);
    out
}

/// Like [`encode_block`], appending to `out` (lets callers put a frame prefix in front).
pub fn encode_block_into(rs: &ResultSet, start: usize, end: usize, out: &mut Vec<u8>) {
    let total_rows = rs.num_rows();
    let end = end.min(total_rows);
    let start = start.min(end);
    let rows = end - start;
    let cols = rs.fields.len();
    let base = out.len();

    out.reserve(HEADER_LEN + cols * 9 + estimate_data_bytes(rs, start, end) + 1);
    out.extend_from_slice(&1i32.to_le_bytes()); // version
    out.extend_from_slice(&0i32.to_le_bytes()); // total length, patched below
    out.extend_from_slice(&(rows as i32).to_le_bytes());
    out.extend_from_slice(&(cols as i32).to_le_bytes());
    out.extend_from_slice(&BLOCK_FLAG.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // group id
    for f in &rs.fields {
        out.push(f.ty.id());
        out.extend_from_slice(&f.storage_bytes().to_le_bytes());
    }
    let lengths_at = out.len();
    out.resize(lengths_at + cols * 4, 0);

    for (c, field) in rs.fields.iter().enumerate() {
        let empty = Vec::new();
        let column = rs.columns.get(c).unwrap_or(&empty);
        let cells = column.get(start..end.min(column.len())).unwrap_or(&[]);
        let data_len = encode_column(field, cells, rows, out);
        let at = lengths_at + c * 4;
        out[at..at + 4].copy_from_slice(&(data_len as i32).to_le_bytes());
    }

    // Every block recorded from a real server ends with one zero byte that its length counts
    // (all 29 data frames in the wire transcripts); the reference's §4.2 example omits it.
    out.push(0);

    let total = (out.len() - base) as i32;
    out[base + 4..base + 8].copy_from_slice(&total.to_le_bytes());
}

fn estimate_data_bytes(rs: &ResultSet, start: usize, end: usize) -> usize {
    let rows = end - start;
    rs.fields
        .iter()
        .map(|f| match f.ty.fixed_size() {
            Some(size) => rows.div_ceil(8) + rows * size,
            None => rows * 4 + rows * 16,
        })
        .sum()
}

/// Writes one column (bitmap + values, or offsets + var area) and returns its data length as
/// the block's lengths array reports it (bitmap and offsets excluded). `cells` may be shorter
/// than `rows` if the engine produced a ragged result; missing cells are NULL.
fn encode_column(field: &Field, cells: &[Value], rows: usize, out: &mut Vec<u8>) -> usize {
    match field.ty.fixed_size() {
        Some(size) => {
            let bitmap_at = out.len();
            out.resize(bitmap_at + rows.div_ceil(8), 0);
            let data_at = out.len();
            out.resize(data_at + rows * size, 0);
            for r in 0..rows {
                let v = cells.get(r).unwrap_or(&Value::Null);
                if v.is_null() {
                    out[bitmap_at + (r >> 3)] |= 0x80 >> (r & 7);
                    continue;
                }
                let slot = &mut out[data_at + r * size..data_at + (r + 1) * size];
                write_fixed(field.ty, v, slot);
            }
            rows * size
        }
        None => {
            let offsets_at = out.len();
            out.resize(offsets_at + rows * 4, 0);
            let area_at = out.len();
            for r in 0..rows {
                let v = cells.get(r).unwrap_or(&Value::Null);
                let offset: i32 = if v.is_null() {
                    -1
                } else {
                    let offset = (out.len() - area_at) as i32;
                    write_var(field.ty, v, out);
                    offset
                };
                out[offsets_at + r * 4..offsets_at + r * 4 + 4].copy_from_slice(&offset.to_le_bytes());
            }
            out.len() - area_at
        }
    }
}

fn as_i128(v: &Value) -> i128 {
    match v {
        Value::Bool(b) => *b as i128,
        Value::Int(i) | Value::Timestamp(i) => *i as i128,
        Value::UInt(u) => *u as i128,
        Value::Float(f) => *f as i128,
        Value::Double(d) => *d as i128,
        Value::Decimal(d) => *d,
        _ => 0,
    }
}

fn as_f64(v: &Value) -> f64 {
    match v {
        Value::Float(f) => *f as f64,
        Value::Double(d) => *d,
        other => as_i128(other) as f64,
    }
}

fn write_fixed(ty: DataType, v: &Value, slot: &mut [u8]) {
    use DataType::*;
    match ty {
        Bool | TinyInt | UTinyInt | Null => slot[0] = as_i128(v) as u8,
        SmallInt | USmallInt => slot.copy_from_slice(&(as_i128(v) as u16).to_le_bytes()),
        Int | UInt => slot.copy_from_slice(&(as_i128(v) as u32).to_le_bytes()),
        BigInt | UBigInt | Timestamp | Decimal64 => slot.copy_from_slice(&(as_i128(v) as u64).to_le_bytes()),
        Float => slot.copy_from_slice(&(as_f64(v) as f32).to_le_bytes()),
        Double => slot.copy_from_slice(&as_f64(v).to_le_bytes()),
        // Two's-complement i128, low u64 first: exactly i128's little-endian bytes.
        Decimal => slot.copy_from_slice(&as_i128(v).to_le_bytes()),
        VarChar | NChar | Json | VarBinary | Blob | Geometry => {}
    }
}

fn value_bytes(v: &Value) -> std::borrow::Cow<'_, [u8]> {
    match v {
        Value::Str(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
        Value::Bytes(b) => std::borrow::Cow::Borrowed(b.as_slice()),
        Value::Null => std::borrow::Cow::Borrowed(&[]),
        other => std::borrow::Cow::Owned(crate::render::plain_text(other).into_bytes()),
    }
}

fn write_var(ty: DataType, v: &Value, out: &mut Vec<u8>) {
    match ty {
        DataType::NChar => {
            let text: std::borrow::Cow<'_, str> = match v {
                Value::Str(s) => std::borrow::Cow::Borrowed(s.as_str()),
                other => std::borrow::Cow::Owned(String::from_utf8_lossy(&value_bytes(other)).into_owned()),
            };
            // UCS-4: one 4-byte unit per code point; the prefix must fit a u16.
            let max_chars = (u16::MAX as usize) / 4;
            let len_at = out.len();
            out.extend_from_slice(&[0, 0]);
            let mut n = 0usize;
            for ch in text.chars().take(max_chars) {
                out.extend_from_slice(&(ch as u32).to_le_bytes());
                n += 1;
            }
            out[len_at..len_at + 2].copy_from_slice(&((n * 4) as u16).to_le_bytes());
        }
        DataType::Blob => {
            let bytes = value_bytes(v);
            let len = bytes.len().min(u32::MAX as usize);
            out.extend_from_slice(&(len as u32).to_le_bytes());
            out.extend_from_slice(&bytes[..len]);
        }
        _ => {
            let bytes = value_bytes(v);
            let len = bytes.len().min(u16::MAX as usize);
            out.extend_from_slice(&(len as u16).to_le_bytes());
            out.extend_from_slice(&bytes[..len]);
        }
    }
}

/// `fetch.lengths` as the recordings show them: storage sizes incl. the length prefix, except
/// that decimals report their value size and BLOB its full storage size (4194304 + 4).
pub fn fetch_length(f: &Field) -> u32 {
    match f.ty {
        DataType::Decimal | DataType::Decimal64 => f.ty.fixed_size().unwrap_or(0) as u32,
        DataType::Blob => 4_194_308,
        _ => f.storage_bytes(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taos_sqlengine::types::Precision;

    /// Reference §4.2, byte for byte, plus the trailing zero byte real servers send (length 123).
    #[test]
    fn worked_example_from_reference() {
        let rs = ResultSet {
            fields: vec![
                Field::fixed("ts", DataType::Timestamp),
                Field::fixed("v", DataType::Int),
                Field::new("s", DataType::VarChar, 10),
                Field::new("n", DataType::NChar, 2),
            ],
            precision: Precision::Millisecond,
            columns: vec![
                vec![Value::Timestamp(1700000000000), Value::Timestamp(1700000001000)],
                vec![Value::Int(7), Value::Null],
                vec![Value::Str("ab".into()), Value::Null],
                vec![Value::Str("é".into()), Value::Str("中".into())],
            ],
        };
        let expected: Vec<u8> = [
            "01 00 00 00 7b 00 00 00 02 00 00 00 04 00 00 00",
            "00 00 00 80 00 00 00 00 00 00 00 00 09 08 00 00",
            "00 04 04 00 00 00 08 0c 00 00 00 0a 0a 00 00 00",
            "10 00 00 00 08 00 00 00 04 00 00 00 0c 00 00 00",
            "00 00 68 e5 cf 8b 01 00 00 e8 6b e5 cf 8b 01 00",
            "00 40 07 00 00 00 00 00 00 00 00 00 00 00 ff ff",
            "ff ff 02 00 61 62 00 00 00 00 06 00 00 00 04 00",
            "e9 00 00 00 04 00 2d 4e 00 00",
            "00",
        ]
        .join(" ")
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
        assert_eq!(encode_block(&rs, 0, 2), expected);
    }

    /// Var-length encodings and packed decimal schemas (wire README §5.2 facts 18–19).
    #[test]
    fn blob_nchar_decimal_and_json_layouts() {
        let rs = ResultSet {
            fields: vec![
                Field::new("b", DataType::Blob, 4194304),
                Field::new("n", DataType::NChar, 4),
                Field::decimal("d64", 10, 2),
                Field::decimal("d128", 30, 10),
                Field::new("j", DataType::Json, 4095),
            ],
            precision: Precision::Millisecond,
            columns: vec![
                vec![Value::Bytes(vec![0xde, 0xad])],
                vec![Value::Str("a😀".into())],
                vec![Value::Decimal(-1)],
                vec![Value::Decimal(1 << 64)],
                vec![Value::Str("{}".into())],
            ],
        };
        let b = encode_block(&rs, 0, 1);
        let schema = &b[28..28 + 5 * 5];
        assert_eq!(&schema[0..5], &[18, 5, 0, 0, 0], "BLOB schema bytes are 5");
        assert_eq!(&schema[5..10], &[10, 18, 0, 0, 0], "NCHAR(4) → 4·4+2");
        assert_eq!(&schema[10..15], &[21, 0x02, 0x0a, 0x00, 0x08], "DECIMAL(10,2) packed 0x08000A02");
        assert_eq!(&schema[15..20], &[17, 0x0a, 0x1e, 0x00, 0x10], "DECIMAL(30,10) packed 0x10001E0A");
        assert_eq!(&schema[20..25], &[15, 0x00, 0x40, 0, 0], "JSON 16384");
        let lengths: Vec<i32> =
            (0..5).map(|c| i32::from_le_bytes(b[53 + c * 4..57 + c * 4].try_into().unwrap())).collect();
        assert_eq!(lengths, vec![4 + 2, 2 + 8, 8, 16, 2 + 2]);
        let data = &b[73..];
        let expected: Vec<u8> = [
            &[0, 0, 0, 0][..],                       // blob offset 0
            &[2, 0, 0, 0, 0xde, 0xad],               // u32 length + bytes
            &[0, 0, 0, 0],                           // nchar offset 0
            &[8, 0, b'a', 0, 0, 0, 0x00, 0xf6, 0x01, 0x00], // u16 8, UCS-4 'a', U+1F600
            &[0],                                    // d64 bitmap
            &(-1i64).to_le_bytes(),
            &[0],                                    // d128 bitmap
            &(1i128 << 64).to_le_bytes(),
            &[0, 0, 0, 0],                           // json offset
            &[2, 0, b'{', b'}'],
            &[0], // trailing byte
        ]
        .concat();
        assert_eq!(data, &expected[..]);
        assert_eq!(i32::from_le_bytes(b[4..8].try_into().unwrap()) as usize, b.len());
    }
}
