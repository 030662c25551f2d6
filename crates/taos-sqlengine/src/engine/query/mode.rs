//! `mode`: the most frequent non-NULL value. When several values are equally frequent TDengine
//! answers the one its hash table visits last: values keyed by their stored bytes, hashed with
//! its MurmurHash3 (seed 0x12345678), 64 slots doubled at three-quarters full, each slot a list
//! with the newest key in front, visited slot by slot. This reproduces that order.

use crate::types::{DataType, Value};

/// The value's bytes as TDengine keys it: fixed-size types little-endian in their own width,
/// variable-length ones with their 2-byte length header (NCHAR as UTF-32).
fn key_bytes(v: &Value, ty: DataType) -> Vec<u8> {
    use DataType::*;
    match (v, ty) {
        (Value::Bool(b), _) => vec![*b as u8],
        (Value::Int(i), TinyInt) => (*i as i8).to_le_bytes().to_vec(),
        (Value::Int(i), SmallInt) => (*i as i16).to_le_bytes().to_vec(),
        (Value::Int(i), Int) => (*i as i32).to_le_bytes().to_vec(),
        (Value::Int(i), _) | (Value::Timestamp(i), _) => i.to_le_bytes().to_vec(),
        (Value::UInt(u), UTinyInt) => (*u as u8).to_le_bytes().to_vec(),
        (Value::UInt(u), USmallInt) => (*u as u16).to_le_bytes().to_vec(),
        (Value::UInt(u), UInt) => (*u as u32).to_le_bytes().to_vec(),
        (Value::UInt(u), _) => u.to_le_bytes().to_vec(),
        (Value::Float(f), _) => f.to_le_bytes().to_vec(),
        (Value::Double(d), Float) => (*d as f32).to_le_bytes().to_vec(),
        (Value::Double(d), _) => d.to_le_bytes().to_vec(),
        (Value::Decimal(d), Decimal64) => (*d as i64).to_le_bytes().to_vec(),
        (Value::Decimal(d), _) => d.to_le_bytes().to_vec(),
        (Value::Str(s), NChar) => {
            let body: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
            with_header(body)
        }
        (Value::Str(s), _) => with_header(s.as_bytes().to_vec()),
        (Value::Bytes(b), _) => with_header(b.clone()),
        (Value::Null, _) => Vec::new(),
    }
}

fn with_header(body: Vec<u8>) -> Vec<u8> {
    let mut out = (body.len() as u16).to_le_bytes().to_vec();
    out.extend(body);
    out
}

/// TDengine's MurmurHash3_32 (x86, 32-bit) with its fixed seed.
fn murmur3_32(data: &[u8]) -> u32 {
    const C1: u32 = 0xcc9e_2d51;
    const C2: u32 = 0x1b87_3593;
    let mut h: u32 = 0x1234_5678;
    let blocks = data.len() / 4;
    for i in 0..blocks {
        let mut k = u32::from_le_bytes([data[4 * i], data[4 * i + 1], data[4 * i + 2], data[4 * i + 3]]);
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
        h = h.rotate_left(13).wrapping_mul(5).wrapping_add(0xe654_6b64);
    }
    let tail = &data[blocks * 4..];
    if !tail.is_empty() {
        let mut k: u32 = 0;
        for (i, b) in tail.iter().enumerate() {
            k ^= (*b as u32) << (8 * i);
        }
        k = k.wrapping_mul(C1).rotate_left(15).wrapping_mul(C2);
        h ^= k;
    }
    h ^= data.len() as u32;
    h ^= h >> 16;
    h = h.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h = h.wrapping_mul(0xc2b2_ae35);
    h ^= h >> 16;
    h
}

/// The index (into `values`) of the answer of `mode`, with the index of the value's last row
/// (the row its other columns come from); `None` when every value is NULL.
pub(crate) fn mode_pick(values: &[Value], ty: DataType) -> Option<(usize, usize)> {
    // distinct keys in order of first appearance: (key, hash, count, first index, last index)
    let mut keys: Vec<(Vec<u8>, u32, usize, usize, usize)> = Vec::new();
    let mut index: std::collections::HashMap<Vec<u8>, usize> = Default::default();
    let mut capacity: usize = 64;
    let mut slots: Vec<Vec<usize>> = vec![Vec::new(); capacity];
    for (i, v) in values.iter().enumerate() {
        if v.is_null() {
            continue;
        }
        let k = key_bytes(v, ty);
        if let Some(&e) = index.get(&k) {
            keys[e].2 += 1;
            keys[e].4 = i;
            continue;
        }
        // a new key: the table doubles first when three-quarters full
        if keys.len() as f64 >= capacity as f64 * 0.75 {
            let new_cap = capacity * 2;
            slots.resize(new_cap, Vec::new());
            for idx in 0..new_cap {
                let list = std::mem::take(&mut slots[idx]);
                let mut stay = Vec::with_capacity(list.len());
                for e in list {
                    let to = keys[e].1 as usize & (new_cap - 1);
                    if to == idx {
                        stay.push(e);
                    } else {
                        slots[to].insert(0, e);
                    }
                }
                slots[idx] = stay;
            }
            capacity = new_cap;
        }
        let h = murmur3_32(&k);
        let e = keys.len();
        index.insert(k.clone(), e);
        keys.push((k, h, 1, i, i));
        slots[h as usize & (capacity - 1)].insert(0, e);
    }
    let mut best: Option<usize> = None;
    let mut max = 0;
    for slot in &slots {
        for &e in slot {
            if keys[e].2 >= max {
                max = keys[e].2;
                best = Some(e);
            }
        }
    }
    best.map(|e| (keys[e].3, keys[e].4))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(vals: Vec<Value>, ty: DataType) -> Value {
        let (i, _) = mode_pick(&vals, ty).expect("a value");
        vals[i].clone()
    }

    // each answer as TDengine 3.3.7.5 gave it for six distinct values (one row each)
    #[test]
    fn ties_go_to_the_last_value_in_tdengines_hash_order() {
        let ints = |v: &[i64]| v.iter().map(|x| Value::Int(*x)).collect::<Vec<_>>();
        assert_eq!(pick(ints(&[1, 4, 2, 10, 7, 12]), DataType::Int), Value::Int(2));
        assert_eq!(pick(ints(&[5, 9, 3, 7, 11, 100]), DataType::Int), Value::Int(9));
        assert_eq!(pick(ints(&[50, 90, 30, 70, 110, 1000]), DataType::BigInt), Value::Int(1000));
        assert_eq!(pick(ints(&[5, 9, 3, 7, 11, 100]), DataType::SmallInt), Value::Int(9));
        assert_eq!(pick(ints(&[5, 9, 3, 7, 11, 100]), DataType::TinyInt), Value::Int(5));
        let dbl = [0.5, 9.25, 3.5, 7.75, -1.5, 100.0];
        assert_eq!(pick(dbl.iter().map(|x| Value::Double(*x)).collect(), DataType::Double), Value::Double(7.75));
        assert_eq!(pick(dbl.iter().map(|x| Value::Float(*x as f32)).collect(), DataType::Float), Value::Float(3.5));
        let strs = |v: &[&str]| v.iter().map(|x| Value::Str(x.to_string())).collect::<Vec<_>>();
        assert_eq!(pick(strs(&["x", "hello", "abc", "zz", "q", "longer str"]), DataType::VarChar), Value::Str("longer str".into()));
        assert_eq!(pick(strs(&["x", "hello", "abc", "zz", "q", "lo"]), DataType::NChar), Value::Str("zz".into()));
        let bools = [true, false, true, false, true, false].iter().map(|b| Value::Bool(*b)).collect();
        assert_eq!(pick(bools, DataType::Bool), Value::Bool(true));
    }

    #[test]
    fn the_most_frequent_value_wins_and_nulls_do_not_count() {
        let v = vec![Value::Int(1), Value::Null, Value::Int(5), Value::Int(5), Value::Null, Value::Null];
        assert_eq!(mode_pick(&v, DataType::Int), Some((2, 3)));
        assert_eq!(mode_pick(&[Value::Null], DataType::Int), None);
    }
}
