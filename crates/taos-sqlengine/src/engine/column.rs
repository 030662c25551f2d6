//! One stored column of a table: its values in a vector of their natural width (strings and
//! binaries in one byte buffer with end offsets), and a bitmap of the NULL rows. A row costs
//! its value's size and a bit, where a `Value` per cell cost 32 bytes and a heap string.
//!
//! The kind is chosen from the column's type when the table is made. A value the kind cannot
//! hold exactly (another variant, an integer out of the width) turns the column into `Any`, a
//! `Value` per row: storage never changes what was written, only how it is kept.

use crate::types::{DataType, Value};

#[derive(Debug, Clone, PartialEq)]
enum Data {
    Bool(Vec<bool>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    Ts(Vec<i64>),
    Dec(Vec<i128>),
    /// `Value::Str` (`text`) or `Value::Bytes`: row `i` is `bytes[ends[i-1]..ends[i]]`.
    Var { text: bool, ends: Vec<u32>, bytes: Vec<u8> },
    Any(Vec<Value>),
}

/// A column's values, NULLs included, in row order.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    data: Data,
    /// Bit `i` set: row `i` is NULL.
    nulls: Vec<u64>,
    len: usize,
}

impl Column {
    /// An empty column for values of type `ty`.
    pub fn for_type(ty: DataType) -> Column {
        use DataType::*;
        let data = match ty {
            Bool => Data::Bool(Vec::new()),
            TinyInt => Data::I8(Vec::new()),
            SmallInt => Data::I16(Vec::new()),
            Int => Data::I32(Vec::new()),
            BigInt => Data::I64(Vec::new()),
            UTinyInt => Data::U8(Vec::new()),
            USmallInt => Data::U16(Vec::new()),
            UInt => Data::U32(Vec::new()),
            UBigInt => Data::U64(Vec::new()),
            Float => Data::F32(Vec::new()),
            Double => Data::F64(Vec::new()),
            Timestamp => Data::Ts(Vec::new()),
            Decimal | Decimal64 => Data::Dec(Vec::new()),
            VarChar | NChar | Json => Data::Var { text: true, ends: Vec::new(), bytes: Vec::new() },
            VarBinary | Geometry | Blob => {
                Data::Var { text: false, ends: Vec::new(), bytes: Vec::new() }
            }
            Null => Data::Any(Vec::new()),
        };
        Column { data, nulls: Vec::new(), len: 0 }
    }

    /// An empty column that keeps any value as it is (no type known).
    #[cfg(test)]
    pub fn untyped() -> Column {
        Column { data: Data::Any(Vec::new()), nulls: Vec::new(), len: 0 }
    }

    /// `n` NULLs of type `ty` (a column added to a table that has rows).
    pub fn nulls(ty: DataType, n: usize) -> Column {
        let mut c = Column::for_type(ty);
        c.reserve(n);
        for _ in 0..n {
            c.push(Value::Null);
        }
        c
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn reserve(&mut self, n: usize) {
        self.nulls.reserve((self.len + n).div_ceil(64).saturating_sub(self.nulls.len()));
        match &mut self.data {
            Data::Bool(v) => v.reserve(n),
            Data::I8(v) => v.reserve(n),
            Data::I16(v) => v.reserve(n),
            Data::I32(v) => v.reserve(n),
            Data::I64(v) | Data::Ts(v) => v.reserve(n),
            Data::U8(v) => v.reserve(n),
            Data::U16(v) => v.reserve(n),
            Data::U32(v) => v.reserve(n),
            Data::U64(v) => v.reserve(n),
            Data::F32(v) => v.reserve(n),
            Data::F64(v) => v.reserve(n),
            Data::Dec(v) => v.reserve(n),
            Data::Var { ends, .. } => ends.reserve(n),
            Data::Any(v) => v.reserve(n),
        }
    }

    #[inline]
    pub fn is_null(&self, i: usize) -> bool {
        self.nulls.get(i / 64).is_some_and(|w| w >> (i % 64) & 1 == 1)
    }

    /// Row `i` (NULL past the end).
    pub fn get(&self, i: usize) -> Value {
        if i >= self.len || self.is_null(i) {
            return Value::Null;
        }
        match &self.data {
            Data::Bool(v) => Value::Bool(v[i]),
            Data::I8(v) => Value::Int(v[i] as i64),
            Data::I16(v) => Value::Int(v[i] as i64),
            Data::I32(v) => Value::Int(v[i] as i64),
            Data::I64(v) => Value::Int(v[i]),
            Data::U8(v) => Value::UInt(v[i] as u64),
            Data::U16(v) => Value::UInt(v[i] as u64),
            Data::U32(v) => Value::UInt(v[i] as u64),
            Data::U64(v) => Value::UInt(v[i]),
            Data::F32(v) => Value::Float(v[i]),
            Data::F64(v) => Value::Double(v[i]),
            Data::Ts(v) => Value::Timestamp(v[i]),
            Data::Dec(v) => Value::Decimal(v[i]),
            Data::Var { text, ends, bytes } => {
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                let b = &bytes[start..ends[i] as usize];
                if *text {
                    // only whole strings were pushed: the bytes are UTF-8
                    Value::Str(String::from_utf8_lossy(b).into_owned())
                } else {
                    Value::Bytes(b.to_vec())
                }
            }
            Data::Any(v) => v[i].clone(),
        }
    }

    /// Every row as a value (tests, and rebuilding a column).
    pub fn values(&self) -> Vec<Value> {
        (0..self.len).map(|i| self.get(i)).collect()
    }

    /// Appends a value.
    pub fn push(&mut self, v: Value) {
        let i = self.len;
        if i % 64 == 0 {
            self.nulls.push(0);
        }
        if !self.push_data(&v) {
            self.make_any();
            let Data::Any(all) = &mut self.data else { unreachable!("made Any") };
            if v.is_null() {
                self.nulls[i / 64] |= 1 << (i % 64);
            }
            all.push(v);
        }
        self.len += 1;
    }

    /// Stores `v` in the typed vector; false when this kind cannot hold it exactly.
    fn push_data(&mut self, v: &Value) -> bool {
        let i = self.len;
        if v.is_null() {
            self.nulls[i / 64] |= 1 << (i % 64);
            match &mut self.data {
                Data::Bool(d) => d.push(false),
                Data::I8(d) => d.push(0),
                Data::I16(d) => d.push(0),
                Data::I32(d) => d.push(0),
                Data::I64(d) | Data::Ts(d) => d.push(0),
                Data::U8(d) => d.push(0),
                Data::U16(d) => d.push(0),
                Data::U32(d) => d.push(0),
                Data::U64(d) => d.push(0),
                Data::F32(d) => d.push(0.0),
                Data::F64(d) => d.push(0.0),
                Data::Dec(d) => d.push(0),
                Data::Var { ends, bytes, .. } => ends.push(bytes.len() as u32),
                Data::Any(d) => d.push(Value::Null),
            }
            return true;
        }
        match (&mut self.data, v) {
            (Data::Bool(d), Value::Bool(x)) => d.push(*x),
            (Data::I8(d), Value::Int(x)) => match i8::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::I16(d), Value::Int(x)) => match i16::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::I32(d), Value::Int(x)) => match i32::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::I64(d), Value::Int(x)) => d.push(*x),
            (Data::U8(d), Value::UInt(x)) => match u8::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::U16(d), Value::UInt(x)) => match u16::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::U32(d), Value::UInt(x)) => match u32::try_from(*x) {
                Ok(x) => d.push(x),
                Err(_) => return false,
            },
            (Data::U64(d), Value::UInt(x)) => d.push(*x),
            (Data::F32(d), Value::Float(x)) => d.push(*x),
            (Data::F64(d), Value::Double(x)) => d.push(*x),
            (Data::Ts(d), Value::Timestamp(x)) => d.push(*x),
            (Data::Dec(d), Value::Decimal(x)) => d.push(*x),
            (Data::Var { text: true, ends, bytes }, Value::Str(s)) => {
                return push_var(ends, bytes, s.as_bytes())
            }
            (Data::Var { text: false, ends, bytes }, Value::Bytes(b)) => {
                return push_var(ends, bytes, b)
            }
            (Data::Any(d), v) => d.push(v.clone()),
            _ => return false,
        }
        true
    }

    /// Turns the column into a `Value` per row (it keeps the rows written so far).
    fn make_any(&mut self) {
        if matches!(self.data, Data::Any(_)) {
            return;
        }
        let all = self.values();
        self.data = Data::Any(all);
    }

    /// Splits the column at row `at`: `self` keeps `0..at`, the rest is returned.
    pub fn split_off(&mut self, at: usize) -> Column {
        let at = at.min(self.len);
        let mut tail = Column { data: self.empty_like(), nulls: Vec::new(), len: 0 };
        tail.reserve(self.len - at);
        for i in at..self.len {
            tail.push(self.get(i));
        }
        self.truncate(at);
        tail
    }

    /// Removes rows `lo..hi` (a DELETE), keeping the others in order; answers the rows removed.
    pub fn remove_range(&mut self, lo: usize, hi: usize) -> Column {
        let rest = self.split_off(hi);
        let removed = self.split_off(lo);
        self.reserve(rest.len);
        for i in 0..rest.len {
            self.push(rest.get(i));
        }
        removed
    }

    fn empty_like(&self) -> Data {
        match &self.data {
            Data::Bool(_) => Data::Bool(Vec::new()),
            Data::I8(_) => Data::I8(Vec::new()),
            Data::I16(_) => Data::I16(Vec::new()),
            Data::I32(_) => Data::I32(Vec::new()),
            Data::I64(_) => Data::I64(Vec::new()),
            Data::U8(_) => Data::U8(Vec::new()),
            Data::U16(_) => Data::U16(Vec::new()),
            Data::U32(_) => Data::U32(Vec::new()),
            Data::U64(_) => Data::U64(Vec::new()),
            Data::F32(_) => Data::F32(Vec::new()),
            Data::F64(_) => Data::F64(Vec::new()),
            Data::Ts(_) => Data::Ts(Vec::new()),
            Data::Dec(_) => Data::Dec(Vec::new()),
            Data::Var { text, .. } => Data::Var { text: *text, ends: Vec::new(), bytes: Vec::new() },
            Data::Any(_) => Data::Any(Vec::new()),
        }
    }

    /// An empty column of the same kind.
    pub fn new_like(&self) -> Column {
        Column { data: self.empty_like(), nulls: Vec::new(), len: 0 }
    }

    /// Keeps rows `0..n`.
    pub fn truncate(&mut self, n: usize) {
        if n >= self.len {
            return;
        }
        match &mut self.data {
            Data::Bool(v) => v.truncate(n),
            Data::I8(v) => v.truncate(n),
            Data::I16(v) => v.truncate(n),
            Data::I32(v) => v.truncate(n),
            Data::I64(v) | Data::Ts(v) => v.truncate(n),
            Data::U8(v) => v.truncate(n),
            Data::U16(v) => v.truncate(n),
            Data::U32(v) => v.truncate(n),
            Data::U64(v) => v.truncate(n),
            Data::F32(v) => v.truncate(n),
            Data::F64(v) => v.truncate(n),
            Data::Dec(v) => v.truncate(n),
            Data::Var { ends, bytes, .. } => {
                ends.truncate(n);
                bytes.truncate(ends.last().copied().unwrap_or(0) as usize);
            }
            Data::Any(v) => v.truncate(n),
        }
        self.nulls.truncate(n.div_ceil(64));
        if n % 64 != 0 {
            if let Some(w) = self.nulls.last_mut() {
                *w &= (1u64 << (n % 64)) - 1;
            }
        }
        self.len = n;
    }
}

/// Appends one variable-length value; false when the buffer would pass 4 GiB (u32 offsets).
fn push_var(ends: &mut Vec<u32>, bytes: &mut Vec<u8>, v: &[u8]) -> bool {
    let Ok(end) = u32::try_from(bytes.len() + v.len()) else {
        return false;
    };
    bytes.extend_from_slice(v);
    ends.push(end);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_type_keeps_its_values_and_nulls() {
        let cases: Vec<(DataType, Vec<Value>)> = vec![
            (DataType::Bool, vec![Value::Bool(true), Value::Null, Value::Bool(false)]),
            (DataType::TinyInt, vec![Value::Int(-128), Value::Null, Value::Int(127)]),
            (DataType::SmallInt, vec![Value::Int(-32768), Value::Int(32767)]),
            (DataType::Int, vec![Value::Int(i32::MIN as i64), Value::Null]),
            (DataType::BigInt, vec![Value::Int(i64::MIN), Value::Int(i64::MAX)]),
            (DataType::UTinyInt, vec![Value::UInt(255), Value::Null]),
            (DataType::USmallInt, vec![Value::UInt(65535)]),
            (DataType::UInt, vec![Value::UInt(u32::MAX as u64)]),
            (DataType::UBigInt, vec![Value::UInt(u64::MAX), Value::Null]),
            (DataType::Float, vec![Value::Float(1.5), Value::Float(f32::NAN)]),
            (DataType::Double, vec![Value::Double(-0.0), Value::Null]),
            (DataType::Timestamp, vec![Value::Timestamp(-1), Value::Null]),
            (DataType::Decimal, vec![Value::Decimal(-12345678901234567890123), Value::Null]),
            (DataType::VarChar, vec![Value::Str("".into()), Value::Null, Value::Str("ü中".into())]),
            (DataType::NChar, vec![Value::Null, Value::Str("a".into())]),
            (DataType::VarBinary, vec![Value::Bytes(vec![0, 255]), Value::Null, Value::Bytes(vec![])]),
            (DataType::Geometry, vec![Value::Bytes(vec![1, 1, 0, 0, 0])]),
        ];
        for (ty, vals) in cases {
            let mut c = Column::for_type(ty);
            for v in &vals {
                c.push(v.clone());
            }
            let got = c.values();
            assert_eq!(got.len(), vals.len(), "{ty:?}");
            for (g, w) in got.iter().zip(&vals) {
                match (g, w) {
                    (Value::Float(a), Value::Float(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                    (Value::Double(a), Value::Double(b)) => assert_eq!(a.to_bits(), b.to_bits()),
                    _ => assert_eq!(g, w, "{ty:?}"),
                }
            }
            for (i, v) in vals.iter().enumerate() {
                assert_eq!(c.is_null(i), v.is_null());
            }
        }
    }

    #[test]
    fn a_value_the_kind_cannot_hold_is_kept_as_it_is() {
        let mut c = Column::for_type(DataType::TinyInt);
        c.push(Value::Int(1));
        c.push(Value::Null);
        c.push(Value::Int(1000));
        c.push(Value::Str("x".into()));
        assert_eq!(
            c.values(),
            vec![Value::Int(1), Value::Null, Value::Int(1000), Value::Str("x".into())]
        );
        assert!(c.is_null(1) && !c.is_null(2));
    }

    #[test]
    fn split_and_truncate_keep_nulls_and_strings_in_place() {
        let mut c = Column::for_type(DataType::VarChar);
        for i in 0..130 {
            c.push(if i % 3 == 0 { Value::Null } else { Value::Str(format!("s{i}")) });
        }
        let tail = c.split_off(65);
        assert_eq!(c.len(), 65);
        assert_eq!(tail.len(), 65);
        assert_eq!(tail.get(1), Value::Null); // row 66
        assert_eq!(tail.get(0), Value::Str("s65".into()));
        assert_eq!(c.get(64), Value::Str("s64".into()));
        c.push(Value::Str("new".into()));
        assert!(!c.is_null(65));
        assert_eq!(c.get(65), Value::Str("new".into()));
        assert_eq!(c.get(999), Value::Null);
    }
}
