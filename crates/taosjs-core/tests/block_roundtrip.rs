//! Property test: random blocks written by an independent encoder (reference §4) decode to the
//! values they were built from. Var-data areas are written in shuffled order, so the decoder has
//! to follow the offsets.

use taosjs_core::block::{decode_block, DecodedColumn, FixedData};
use taosjs_core::DataType;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bytes(&mut self, max: u64) -> Vec<u8> {
        (0..self.below(max + 1)).map(|_| self.next() as u8).collect()
    }
    fn text(&mut self, max: u64) -> String {
        const CHARS: [char; 8] = ['a', 'Z', '0', ' ', 'é', '中', '😀', '"'];
        (0..self.below(max + 1)).map(|_| CHARS[self.below(8) as usize]).collect()
    }
}

const TYPES: [DataType; 20] = [
    DataType::Bool, DataType::TinyInt, DataType::SmallInt, DataType::Int, DataType::BigInt,
    DataType::Float, DataType::Double, DataType::VarChar, DataType::Timestamp, DataType::NChar,
    DataType::UTinyInt, DataType::USmallInt, DataType::UInt, DataType::UBigInt, DataType::Json,
    DataType::VarBinary, DataType::Decimal, DataType::Blob, DataType::Geometry, DataType::Decimal64,
];

/// Decimal text computed by integer division (the decoder uses digit-string slicing).
fn decimal_text(unscaled: i128, scale: u32) -> String {
    let abs = unscaled.unsigned_abs();
    let sign = if unscaled < 0 { "-" } else { "" };
    if scale == 0 {
        return format!("{sign}{abs}");
    }
    let p = 10u128.pow(scale);
    format!("{sign}{}.{:0width$}", abs / p, abs % p, width = scale as usize)
}

/// Encodes one column; returns (schema bytes, data-length field, column bytes, expected column).
fn column(rng: &mut Rng, ty: DataType, rows: usize) -> (i32, i32, Vec<u8>, DecodedColumn) {
    let nulls: Vec<u8> = (0..rows).map(|_| u8::from(rng.below(4) == 0)).collect();
    if let Some(size) = ty.fixed_size() {
        let mut bitmap = vec![0u8; rows.div_ceil(8)];
        for (r, &n) in nulls.iter().enumerate() {
            if n == 1 {
                bitmap[r / 8] |= 0x80 >> (r % 8);
            }
        }
        let mut values = Vec::with_capacity(rows * size);
        let mut texts: Vec<Option<String>> = Vec::new();
        let scale = if ty == DataType::Decimal { rng.below(39) as u32 } else { rng.below(19) as u32 };
        for &n in &nulls {
            match ty {
                DataType::Bool => values.push((rng.below(2)) as u8),
                DataType::Float => values.extend_from_slice(&((rng.next() as i32) as f32 / 8.0).to_le_bytes()),
                DataType::Double => values.extend_from_slice(&((rng.next() as i64) as f64 / 3.0).to_le_bytes()),
                DataType::Decimal => {
                    let v = (i128::from(rng.next() as i64) << 64 | i128::from(rng.next())) >> rng.below(100);
                    values.extend_from_slice(&v.to_le_bytes());
                    texts.push((n == 0).then(|| decimal_text(v, scale)));
                }
                DataType::Decimal64 => {
                    let v = (rng.next() as i64) >> rng.below(60);
                    values.extend_from_slice(&v.to_le_bytes());
                    texts.push((n == 0).then(|| decimal_text(i128::from(v), scale)));
                }
                _ => values.extend_from_slice(&rng.next().to_le_bytes()[..size]),
            }
        }
        let schema_bytes = if ty.is_decimal() { ((size as i32) << 24) | (18 << 8) | scale as i32 } else { size as i32 };
        let mut bytes = bitmap;
        bytes.extend_from_slice(&values);
        let le = |c: &[u8]| -> [u8; 8] { let mut a = [0u8; 8]; a[..c.len()].copy_from_slice(c); a };
        let data = match ty {
            DataType::Bool => FixedData::Bool(values.clone()),
            DataType::TinyInt => FixedData::I8(values.iter().map(|&b| b as i8).collect()),
            DataType::UTinyInt => FixedData::U8(values.clone()),
            DataType::SmallInt => FixedData::I16(values.chunks(2).map(|c| i16::from_le_bytes([c[0], c[1]])).collect()),
            DataType::USmallInt => FixedData::U16(values.chunks(2).map(|c| u16::from_le_bytes([c[0], c[1]])).collect()),
            DataType::Int => FixedData::I32(values.chunks(4).map(|c| i32::from_le_bytes(c.try_into().unwrap())).collect()),
            DataType::UInt => FixedData::U32(values.chunks(4).map(|c| u32::from_le_bytes(c.try_into().unwrap())).collect()),
            DataType::Float => FixedData::F32(values.chunks(4).map(|c| f32::from_le_bytes(c.try_into().unwrap())).collect()),
            DataType::BigInt | DataType::Timestamp => FixedData::I64(values.chunks(8).map(|c| i64::from_le_bytes(le(c))).collect()),
            DataType::UBigInt => FixedData::U64(values.chunks(8).map(|c| u64::from_le_bytes(le(c))).collect()),
            DataType::Double => FixedData::F64(values.chunks(8).map(|c| f64::from_le_bytes(le(c))).collect()),
            DataType::Decimal | DataType::Decimal64 => {
                let (data, offsets) = pack(&texts.iter().map(|t| t.as_ref().map(|s| s.as_bytes().to_vec())).collect::<Vec<_>>());
                return (schema_bytes, (rows * size) as i32, bytes, DecodedColumn::Var { ty, nulls, data, offsets });
            }
            _ => unreachable!(),
        };
        return (schema_bytes, (rows * size) as i32, bytes, DecodedColumn::Fixed { ty, nulls, data });
    }
    // Variable: values, then an area holding them in shuffled order.
    let values: Vec<Option<(Vec<u8>, Vec<u8>)>> = nulls
        .iter()
        .map(|&n| {
            (n == 0).then(|| match ty {
                DataType::NChar => {
                    let s = rng.text(6);
                    (s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect(), s.into_bytes())
                }
                DataType::VarChar | DataType::Json => {
                    let s = rng.text(10).into_bytes();
                    (s.clone(), s)
                }
                _ => {
                    let b = rng.bytes(12);
                    (b.clone(), b)
                }
            })
        })
        .collect();
    let mut order: Vec<usize> = (0..rows).collect();
    for i in (1..rows).rev() {
        order.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut offsets = vec![-1i32; rows];
    let mut area = Vec::new();
    for &r in &order {
        if let Some((wire, _)) = &values[r] {
            offsets[r] = area.len() as i32;
            if ty == DataType::Blob {
                area.extend_from_slice(&(wire.len() as u32).to_le_bytes());
            } else {
                area.extend_from_slice(&(wire.len() as u16).to_le_bytes());
            }
            area.extend_from_slice(wire);
        }
    }
    let mut bytes: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
    bytes.extend_from_slice(&area);
    let (data, offsets) = pack(&values.iter().map(|v| v.as_ref().map(|(_, utf8)| utf8.clone())).collect::<Vec<_>>());
    (64, area.len() as i32, bytes, DecodedColumn::Var { ty, nulls, data, offsets })
}

fn pack(values: &[Option<Vec<u8>>]) -> (Vec<u8>, Vec<i32>) {
    let mut data = Vec::new();
    let mut offsets = vec![0];
    for v in values {
        if let Some(v) = v {
            data.extend_from_slice(v);
        }
        offsets.push(data.len() as i32);
    }
    (data, offsets)
}

#[test]
fn random_blocks_round_trip() {
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    for case in 0..2_000 {
        let rows = rng.below(40) as usize;
        let cols = 1 + rng.below(8) as usize;
        let mut schema = Vec::new();
        let mut lengths = Vec::new();
        let mut data = Vec::new();
        let mut expected = Vec::new();
        for _ in 0..cols {
            let ty = TYPES[rng.below(TYPES.len() as u64) as usize];
            let (schema_bytes, len, bytes, col) = column(&mut rng, ty, rows);
            schema.push(ty.id());
            schema.extend_from_slice(&schema_bytes.to_le_bytes());
            lengths.extend_from_slice(&len.to_le_bytes());
            data.extend_from_slice(&bytes);
            expected.push(col);
        }
        let total = 28 + schema.len() + lengths.len() + data.len();
        let mut block = Vec::with_capacity(total);
        for v in [1i32, total as i32, rows as i32, cols as i32, i32::MIN] {
            block.extend_from_slice(&v.to_le_bytes());
        }
        block.extend_from_slice(&0u64.to_le_bytes());
        block.extend_from_slice(&schema);
        block.extend_from_slice(&lengths);
        block.extend_from_slice(&data);
        let decoded = decode_block(&block).unwrap_or_else(|e| panic!("case {case}: {e}"));
        assert_eq!(decoded.rows, rows, "case {case}");
        // Compare columns; NULL slots of fixed columns hold whatever the encoder wrote there.
        assert_eq!(decoded.columns, expected, "case {case}");
    }
}
