//! Decoding of the stmt2 bind payload (binary action 9, reference §5.2.2–5.2.3) into bound tables.
//! Every length and offset is checked before use: a malformed payload is an error, never a panic.

use taos_sqlengine::BoundTable;
use taos_sqlengine::types::{code, DataType, TdError, Value};

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn at(b: &'a [u8], pos: usize) -> Reader<'a> {
        Reader { b, pos }
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len()).ok_or("bind data length error")?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16, String> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }
    fn u32(&mut self) -> Result<u32, String> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn i32(&mut self) -> Result<i32, String> {
        Ok(self.u32()? as i32)
    }
}

fn le_int(b: &[u8]) -> i128 {
    match b.len() {
        1 => b[0] as i8 as i128,
        2 => i16::from_le_bytes([b[0], b[1]]) as i128,
        4 => i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as i128,
        8 => i64::from_le_bytes(b.try_into().unwrap_or([0; 8])) as i128,
        16 => i128::from_le_bytes(b.try_into().unwrap_or([0; 16])),
        _ => 0,
    }
}

fn le_uint(b: &[u8]) -> u64 {
    let mut buf = [0u8; 8];
    let n = b.len().min(8);
    buf[..n].copy_from_slice(&b[..n]);
    u64::from_le_bytes(buf)
}

/// One field record: `num` values of one type.
fn read_field(r: &mut Reader<'_>, table: usize, field: usize) -> Result<(DataType, Vec<Value>), String> {
    let start = r.pos;
    let length_error = || format!("bind data length error, tableIndex: {table}, fieldIndex: {field}");
    let total = r.u32().map_err(|_| length_error())? as usize;
    let ty_id = r.i32().map_err(|_| length_error())?;
    let num = r.i32().map_err(|_| length_error())?;
    let ty = u8::try_from(ty_id).ok().and_then(DataType::from_id).ok_or(format!("unsupported data type {ty_id}"))?;
    let num = usize::try_from(num).map_err(|_| length_error())?;
    if num > r.b.len() {
        return Err(length_error());
    }
    let is_null = r.take(num).map_err(|_| length_error())?.to_vec();
    let have_length = r.u8().map_err(|_| length_error())? != 0;
    let mut lengths = Vec::new();
    if have_length {
        for _ in 0..num {
            lengths.push(usize::try_from(r.i32().map_err(|_| length_error())?).map_err(|_| length_error())?);
        }
    }
    let buffer_length = r.u32().map_err(|_| length_error())? as usize;
    let buffer = r.take(buffer_length).map_err(|_| length_error())?;
    if r.pos - start != total {
        return Err(length_error());
    }

    let mut values = Vec::with_capacity(num);
    if have_length && matches!(ty, DataType::Decimal | DataType::Decimal64) {
        // Bug-compatible with taosAdapter 3.3.7.5 (recorded in e_stmt2_decimal_jsontag): DECIMAL
        // bound as text (taos-ws-py sends "12.34") is accepted but the lengths are ignored and
        // the buffer is read as fixed-width unscaled integers, row r from bytes
        // [r*size, (r+1)*size), past the buffer's end into the rest of the payload, then zeros.
        // The recording stores these values as they are, with no precision check.
        let size = ty.fixed_size().unwrap_or(16);
        let rest = &r.b[r.pos..];
        let byte_at = |i: usize| {
            if i < buffer.len() {
                buffer[i]
            } else {
                rest.get(i - buffer.len()).copied().unwrap_or(0)
            }
        };
        for (i, &null) in is_null.iter().enumerate() {
            if null != 0 {
                values.push(Value::Null);
                continue;
            }
            let b: Vec<u8> = (i * size..(i + 1) * size).map(byte_at).collect();
            values.push(Value::Decimal(le_int(&b)));
        }
        return Ok((ty, values));
    }
    if have_length {
        let mut off = 0usize;
        for i in 0..num {
            let len = lengths[i];
            if is_null[i] != 0 {
                values.push(Value::Null);
                continue;
            }
            let end = off.checked_add(len).filter(|&e| e <= buffer.len()).ok_or_else(length_error)?;
            let bytes = &buffer[off..end];
            off = end;
            values.push(match ty {
                DataType::VarChar | DataType::NChar | DataType::Json => {
                    Value::Str(String::from_utf8_lossy(bytes).into_owned())
                }
                _ => Value::Bytes(bytes.to_vec()),
            });
        }
        return Ok((ty, values));
    }
    let size = ty.fixed_size().ok_or_else(length_error)?;
    let all_null = is_null.iter().all(|&n| n != 0);
    if buffer_length == 0 && all_null {
        return Ok((ty, vec![Value::Null; num]));
    }
    if buffer.len() < num * size {
        return Err(length_error());
    }
    for i in 0..num {
        if is_null[i] != 0 {
            values.push(Value::Null);
            continue;
        }
        let b = &buffer[i * size..(i + 1) * size];
        values.push(match ty {
            DataType::Bool => Value::Bool(b[0] != 0),
            DataType::TinyInt | DataType::SmallInt | DataType::Int | DataType::BigInt => Value::Int(le_int(b) as i64),
            DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt => Value::UInt(le_uint(b)),
            DataType::Float => Value::Float(f32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            DataType::Double => Value::Double(f64::from_le_bytes(b.try_into().unwrap_or([0; 8]))),
            DataType::Timestamp => Value::Timestamp(le_int(b) as i64),
            DataType::Decimal | DataType::Decimal64 => Value::Decimal(le_int(b)),
            _ => Value::Null,
        });
    }
    Ok((ty, values))
}

/// The data type each bound field arrived as (its `buffer_type`), per table: what taosc checks
/// against the placeholders' types (values alone cannot tell an INT from a BIGINT).
#[derive(Debug, Default, Clone, PartialEq)]
pub struct WireTypes {
    pub tags: Vec<DataType>,
    pub columns: Vec<DataType>,
}

/// Parses the payload that follows `u16 version, i32 col_idx` in a binary action 9 frame into
/// the bound tables and their fields' wire types.
/// Malformed payloads are the adapter's 65535 errors; what taosc refuses carries its own code.
pub fn parse_bind(p: &[u8]) -> Result<(Vec<BoundTable>, Vec<WireTypes>), TdError> {
    let (tables, types, empty_nchar) = parse_payload(p).map_err(|m| TdError::new(code::ADAPTER_GENERIC, m))?;
    if empty_nchar {
        // An NCHAR column whose buffer is empty (only '' and NULL) makes taosc's UCS-4
        // conversion fail with TSDB_CODE_INVALID_PARA, reported as a syntax error (checked
        // on TDengine 3.3.7.5: VARCHAR/VARBINARY columns and NCHAR tags are fine).
        return Err(TdError::new(code::TSC_SQL_SYNTAX_ERROR, "syntax error near 'Unknown error -2147483368'"));
    }
    Ok((tables, types))
}

/// The bound tables, their fields' wire types, and whether an NCHAR column holds only empty
/// strings (and NULLs).
fn parse_payload(p: &[u8]) -> Result<(Vec<BoundTable>, Vec<WireTypes>, bool), String> {
    let mut r = Reader::at(p, 0);
    let total = r.u32()? as usize;
    if total != p.len() {
        return Err(format!("bind data length error, total length: {total}, actual: {}", p.len()));
    }
    let count = r.u32()? as usize;
    let tag_count = r.u32()? as usize;
    let col_count = r.u32()? as usize;
    let names_off = r.u32()? as usize;
    let tags_off = r.u32()? as usize;
    let cols_off = r.u32()? as usize;
    if count == 0 || count > p.len() || tag_count > p.len() || col_count > p.len() {
        return Err("bind data length error".into());
    }
    let mut tables = vec![BoundTable::default(); count];
    let mut types = vec![WireTypes::default(); count];
    let mut empty_nchar = false;

    if names_off != 0 {
        let mut r = Reader::at(p, names_off);
        let mut lens = Vec::with_capacity(count);
        for _ in 0..count {
            lens.push(r.u16()? as usize);
        }
        for (t, len) in lens.into_iter().enumerate() {
            if len == 0 {
                return Err(format!("table name length is 0, tableIndex: {t}"));
            }
            let raw = r.take(len)?;
            let name = raw.strip_suffix(&[0]).unwrap_or(raw);
            tables[t].name = Some(String::from_utf8_lossy(name).into_owned());
        }
    }
    if tags_off != 0 && tag_count > 0 {
        let mut r = Reader::at(p, tags_off);
        for _ in 0..count {
            r.u32()?;
        }
        for (t, table) in tables.iter_mut().enumerate() {
            for f in 0..tag_count {
                let (ty, mut v) = read_field(&mut r, t, f)?;
                types[t].tags.push(ty);
                table.tags.push(if v.is_empty() { Value::Null } else { v.swap_remove(0) });
            }
        }
    }
    if cols_off != 0 && col_count > 0 {
        let mut r = Reader::at(p, cols_off);
        for _ in 0..count {
            r.u32()?;
        }
        for (t, table) in tables.iter_mut().enumerate() {
            for f in 0..col_count {
                let (ty, values) = read_field(&mut r, t, f)?;
                types[t].columns.push(ty);
                let is_empty = |v: &Value| matches!(v, Value::Str(s) if s.is_empty());
                empty_nchar |= ty == DataType::NChar
                    && values.iter().any(is_empty)
                    && values.iter().all(|v| is_empty(v) || matches!(v, Value::Null));
                table.columns.push(values);
            }
        }
    }
    Ok((tables, types, empty_nchar))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The reference's worked example (§5.2.3): table `d1`, tag INT 1, ts × 2, VARCHAR ["a", NULL].
    #[test]
    fn reference_example_decodes() {
        let frame: Vec<u8> = [
            "bc 0a 00 00 00 00 00 00 01 00 00 00 00 00 00 00",
            "09 00 00 00 00 00 00 00 01 00 ff ff ff ff 7e 00",
            "00 00 01 00 00 00 01 00 00 00 02 00 00 00 1c 00",
            "00 00 21 00 00 00 3b 00 00 00 03 00 64 31 00 16",
            "00 00 00 16 00 00 00 04 00 00 00 01 00 00 00 00",
            "00 04 00 00 00 01 00 00 00 3f 00 00 00 23 00 00",
            "00 09 00 00 00 02 00 00 00 00 00 00 10 00 00 00",
            "00 68 e5 cf 8b 01 00 00 e8 6b e5 cf 8b 01 00 00",
            "1c 00 00 00 08 00 00 00 02 00 00 00 00 01 01 01",
            "00 00 00 00 00 00 00 01 00 00 00 61",
        ]
        .join(" ")
        .split_whitespace()
        .map(|h| u8::from_str_radix(h, 16).unwrap())
        .collect();
        let (tables, _) = parse_bind(&frame[30..]).unwrap();
        assert_eq!(tables.len(), 1);
        assert_eq!(tables[0].name.as_deref(), Some("d1"));
        assert_eq!(tables[0].tags, vec![Value::Int(1)]);
        assert_eq!(
            tables[0].columns,
            vec![
                vec![Value::Timestamp(1700000000000), Value::Timestamp(1700000001000)],
                vec![Value::Str("a".into()), Value::Null],
            ]
        );
        // Every truncation is an error, never a panic.
        for cut in 0..frame.len() - 30 {
            assert!(parse_bind(&frame[30..30 + cut]).is_err(), "cut {cut}");
        }
    }

    /// taosAdapter 3.3.7.5 reads DECIMAL bound as text as fixed-width integers, past the end of
    /// the buffer (recorded in e_stmt2_decimal_jsontag: taos-ws-py binding d64 ["12.34", None,
    /// "-0.01"] and d128 [long text, long text, None]; the values below are the ones read back).
    #[test]
    fn decimal_bound_as_text_is_read_as_fixed_width_integers_like_the_adapter() {
        let frame: Vec<u8> = [
            "1000f323a3f62fc9030000000000000009000000000000000100ffffffffda00",
            "00000100000001000000030000001c000000210000003b000000030065310016",
            "000000160000000400000001000000000004000000010000009b0000002c0000",
            "00090000000300000000000000180000000068e5cf8b0100000168e5cf8b0100",
            "000268e5cf8b0100002a00000015000000030000000001000105000000000000",
            "00050000000a00000031322e33342d302e303145000000110000000300000000",
            "000101200000000500000000000000250000002d313233343536373839303132",
            "33343536373839302e3031323334353637383930452d3130",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|h| u8::from_str_radix(std::str::from_utf8(h).unwrap(), 16).unwrap())
        .collect();
        let (tables, _) = parse_bind(&frame[30..]).unwrap();
        let d64 = &tables[0].columns[1];
        let d128 = &tables[0].columns[2];
        assert_eq!(
            d64,
            &vec![
                Value::Decimal(i64::from_le_bytes(*b"12.34-0.") as i128),
                Value::Null,
                // bytes 16..24: past the 10-byte buffer, into the next field record's header
                Value::Decimal(0x30000),
            ]
        );
        assert_eq!(
            d128,
            &vec![
                Value::Decimal(i128::from_le_bytes(*b"-123456789012345")),
                Value::Decimal(i128::from_le_bytes(*b"67890.0123456789")),
                Value::Null,
            ]
        );
    }

    /// Past the end of the frame the adapter's read finds zeros; here that must not panic.
    #[test]
    fn decimal_text_read_past_the_end_of_the_payload_is_zero_filled() {
        let field: Vec<u8> = [
            &28u32.to_le_bytes()[..],
            &21i32.to_le_bytes(),
            &2i32.to_le_bytes(),
            &[0, 0, 1],
            &1i32.to_le_bytes(),
            &0i32.to_le_bytes(),
            &1u32.to_le_bytes(),
            b"1",
        ]
        .concat();
        let header: Vec<u8> = [60u32, 1, 0, 1, 0, 0, 28, 28].iter().flat_map(|v| v.to_le_bytes()).collect();
        let payload = [header, field].concat();
        assert_eq!(payload.len(), 60);
        let (tables, _) = parse_bind(&payload).unwrap();
        assert_eq!(tables[0].columns, vec![vec![Value::Decimal(0x31), Value::Decimal(0)]]);
    }
}
