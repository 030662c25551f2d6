//! stmt v1 value decoding: JSON values of `set_tags`/`bind` (reference §5.1) and the raw blocks of
//! binary actions 1/2 (the block's length field is not trusted: columns are walked).

use serde_json::Value as Json;
use taos_sqlengine::types::{DataType, Precision, Value};

/// A JSON value for a tag/column of type `ty` (timestamps as integers in `precision` or RFC 3339
/// text; VARBINARY/GEOMETRY as hex).
pub fn json_to_value(v: &Json, ty: DataType, precision: Precision) -> Result<Value, String> {
    let bad = || format!("invalid value {v} for type {}", ty.name());
    if v.is_null() {
        return Ok(Value::Null);
    }
    Ok(match ty {
        DataType::Bool => match v {
            Json::Bool(b) => Value::Bool(*b),
            Json::Number(n) => Value::Bool(n.as_f64().unwrap_or(0.0) != 0.0),
            _ => return Err(bad()),
        },
        DataType::TinyInt | DataType::SmallInt | DataType::Int | DataType::BigInt => {
            Value::Int(v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)).ok_or_else(bad)?)
        }
        DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt => {
            Value::UInt(v.as_u64().or_else(|| v.as_f64().map(|f| f as u64)).ok_or_else(bad)?)
        }
        DataType::Float => Value::Float(v.as_f64().ok_or_else(bad)? as f32),
        DataType::Double => Value::Double(v.as_f64().ok_or_else(bad)?),
        DataType::Timestamp => match v {
            Json::Number(n) => Value::Timestamp(n.as_i64().ok_or_else(bad)?),
            Json::String(s) => {
                let t = chrono::DateTime::parse_from_rfc3339(s).map_err(|_| bad())?;
                let ns = t.timestamp_nanos_opt().ok_or_else(bad)?;
                Value::Timestamp(match precision {
                    Precision::Millisecond => ns.div_euclid(1_000_000),
                    Precision::Microsecond => ns.div_euclid(1_000),
                    Precision::Nanosecond => ns,
                })
            }
            _ => return Err(bad()),
        },
        DataType::VarChar | DataType::NChar | DataType::Json => match v {
            Json::String(s) => Value::Str(s.clone()),
            other => Value::Str(other.to_string()),
        },
        DataType::VarBinary | DataType::Geometry | DataType::Blob => {
            let s = v.as_str().ok_or_else(bad)?;
            Value::Bytes(from_hex(s).ok_or_else(bad)?)
        }
        DataType::Decimal | DataType::Decimal64 => match v {
            Json::String(s) => Value::Str(s.clone()),
            other => Value::Str(other.to_string()),
        },
        DataType::Null => Value::Null,
    })
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    let s = s.strip_prefix("\\x").unwrap_or(s);
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok()).collect()
}

fn rd_i32(b: &[u8], at: usize) -> Result<i32, String> {
    b.get(at..at + 4).map(|s| i32::from_le_bytes([s[0], s[1], s[2], s[3]])).ok_or_else(|| "block length illegal".into())
}

/// Columns of a raw block: (type, values). NCHAR arrives as UCS-4.
pub fn decode_raw_block(b: &[u8]) -> Result<Vec<(DataType, Vec<Value>)>, String> {
    let illegal = || "block length illegal".to_string();
    let rows = usize::try_from(rd_i32(b, 8)?).map_err(|_| illegal())?;
    let cols = usize::try_from(rd_i32(b, 12)?).map_err(|_| illegal())?;
    if rows > b.len() || cols > b.len() {
        return Err(illegal());
    }
    let mut pos = 28;
    let mut types = Vec::with_capacity(cols);
    for _ in 0..cols {
        let t = *b.get(pos).ok_or_else(illegal)?;
        types.push(DataType::from_id(t).ok_or(format!("unsupported data type {t}"))?);
        pos += 5;
    }
    let mut lengths = Vec::with_capacity(cols);
    for c in 0..cols {
        lengths.push(usize::try_from(rd_i32(b, pos + c * 4)?).map_err(|_| illegal())?);
    }
    pos += cols * 4;
    let mut out = Vec::with_capacity(cols);
    for (c, ty) in types.into_iter().enumerate() {
        let mut values = Vec::with_capacity(rows);
        match ty.fixed_size() {
            Some(size) => {
                let bitmap = b.get(pos..pos + rows.div_ceil(8)).ok_or_else(illegal)?;
                pos += rows.div_ceil(8);
                let data = b.get(pos..pos + rows * size).ok_or_else(illegal)?;
                pos += lengths[c].max(rows * size);
                for r in 0..rows {
                    if bitmap[r >> 3] & (0x80 >> (r & 7)) != 0 {
                        values.push(Value::Null);
                        continue;
                    }
                    let s = &data[r * size..(r + 1) * size];
                    let i = |s: &[u8]| -> i128 {
                        let mut buf = [0u8; 16];
                        buf[..s.len()].copy_from_slice(s);
                        // sign-extend from the value's width
                        let shift = 128 - 8 * s.len() as u32;
                        (i128::from_le_bytes(buf) << shift) >> shift
                    };
                    let u = |s: &[u8]| -> u64 {
                        let mut buf = [0u8; 8];
                        buf[..s.len().min(8)].copy_from_slice(&s[..s.len().min(8)]);
                        u64::from_le_bytes(buf)
                    };
                    values.push(match ty {
                        DataType::Bool => Value::Bool(s[0] != 0),
                        DataType::TinyInt | DataType::SmallInt | DataType::Int | DataType::BigInt => Value::Int(i(s) as i64),
                        DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt => Value::UInt(u(s)),
                        DataType::Float => Value::Float(f32::from_le_bytes([s[0], s[1], s[2], s[3]])),
                        DataType::Double => Value::Double(f64::from_bits(u(s))),
                        DataType::Timestamp => Value::Timestamp(i(s) as i64),
                        DataType::Decimal | DataType::Decimal64 => Value::Decimal(i(s)),
                        _ => Value::Null,
                    });
                }
            }
            None => {
                let offsets_at = pos;
                pos += rows * 4;
                let area = b.get(pos..pos + lengths[c]).ok_or_else(illegal)?;
                pos += lengths[c];
                let prefix = if ty == DataType::Blob { 4 } else { 2 };
                for r in 0..rows {
                    let off = rd_i32(b, offsets_at + r * 4)?;
                    if off < 0 {
                        values.push(Value::Null);
                        continue;
                    }
                    let off = off as usize;
                    let len_bytes = area.get(off..off + prefix).ok_or_else(illegal)?;
                    let len = if prefix == 4 {
                        u32::from_le_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]) as usize
                    } else {
                        u16::from_le_bytes([len_bytes[0], len_bytes[1]]) as usize
                    };
                    let data = area.get(off + prefix..off + prefix + len).ok_or_else(illegal)?;
                    values.push(match ty {
                        DataType::NChar => Value::Str(
                            data.chunks_exact(4)
                                .map(|c| char::from_u32(u32::from_le_bytes([c[0], c[1], c[2], c[3]])).unwrap_or('\u{fffd}'))
                                .collect(),
                        ),
                        DataType::VarChar | DataType::Json => Value::Str(String::from_utf8_lossy(data).into_owned()),
                        _ => Value::Bytes(data.to_vec()),
                    });
                }
            }
        }
        out.push((ty, values));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::block::encode_block;
    use taos_sqlengine::types::{Field, ResultSet};

    #[test]
    fn raw_blocks_decode_back_to_their_values() {
        let rs = ResultSet {
            fields: vec![
                Field::fixed("ts", DataType::Timestamp),
                Field::fixed("v", DataType::Int),
                Field::new("s", DataType::VarChar, 10),
                Field::new("n", DataType::NChar, 4),
            ],
            precision: Precision::Millisecond,
            columns: vec![
                vec![Value::Timestamp(1700000000000), Value::Timestamp(-1)],
                vec![Value::Int(-7), Value::Null],
                vec![Value::Str("ab".into()), Value::Null],
                vec![Value::Str("é😀".into()), Value::Str("中".into())],
            ],
        };
        let block = encode_block(&rs, 0, 2);
        let cols = decode_raw_block(&block).unwrap();
        let got: Vec<Vec<Value>> = cols.into_iter().map(|(_, v)| v).collect();
        assert_eq!(got, rs.columns);
        for cut in 0..block.len() - 1 {
            let _ = decode_raw_block(&block[..cut]); // never panics
        }
    }

    #[test]
    fn json_values_follow_the_column_type() {
        let p = Precision::Millisecond;
        assert_eq!(json_to_value(&Json::from(3), DataType::Int, p).unwrap(), Value::Int(3));
        assert_eq!(
            json_to_value(&Json::from("2024-03-09T16:00:00.011Z"), DataType::Timestamp, p).unwrap(),
            Value::Timestamp(1710000000011)
        );
        assert_eq!(json_to_value(&Json::from("0102"), DataType::VarBinary, p).unwrap(), Value::Bytes(vec![1, 2]));
        assert!(json_to_value(&Json::from("zz"), DataType::VarBinary, p).is_err());
        assert_eq!(json_to_value(&Json::Null, DataType::NChar, p).unwrap(), Value::Null);
    }
}
