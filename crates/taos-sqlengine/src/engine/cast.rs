//! CAST as TDengine 3.3.7.5's `castFunction` converts a value: strings go through the C
//! library's `strtol`/`strtoll`/`strtoul`/`strtoull`/`strtod` as each target type calls them
//! (so `'300'` as TINYINT wraps to 44, `'-1'` as BIGINT UNSIGNED is 18446744073709551615),
//! numbers through C's casts as x86-64 compiles them (a double out of range becomes the
//! "integer indefinite" value: `cast(1e20 as bigint)` is -9223372036854775808), a string that
//! is no timestamp becomes 0, numbers become text as `%d`/`%.7g`/`%.15g` print them, and a
//! GEOMETRY target takes the text's bytes as they are.

use crate::sql::lexer::byte_prefix;
use crate::types::{code, DataType, Field, Precision, TdError, Value};

use super::convert::c_format_g;
use super::eval::{value_to_string, EvalEnv};
use super::insert_number::{strtod, strtoll, strtoull};

/// `cvttsd2si` to 32 bits: what C's `(int)x`, `(short)x`, `(char)x` compile to on x86-64.
pub(crate) fn cvt_i32(x: f64) -> i32 {
    if x.is_nan() || x >= 2_147_483_648.0 || x <= -2_147_483_649.0 {
        i32::MIN
    } else {
        x as i32
    }
}

/// `cvttsd2si` to 64 bits: C's `(int64_t)x`, `(uint32_t)x`.
pub(crate) fn cvt_i64(x: f64) -> i64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x.is_nan() || !(-TWO_63..TWO_63).contains(&x) {
        i64::MIN
    } else {
        x as i64
    }
}

/// C's `(uint64_t)x` on x86-64: below 2^63 a signed conversion, above it one of `x - 2^63`
/// with the top bit flipped back.
pub(crate) fn cvt_u64(x: f64) -> u64 {
    const TWO_63: f64 = 9_223_372_036_854_775_808.0;
    if x < TWO_63 {
        cvt_i64(x) as u64
    } else {
        (cvt_i64(x - TWO_63) as u64) ^ (1 << 63)
    }
}

/// A numeric value as C sees it when it casts: an exact integer, or a floating value.
enum CNum {
    Int(i64),
    UInt(u64),
    Real(f64),
}

fn c_num(v: &Value) -> Option<CNum> {
    Some(match v {
        Value::Bool(b) => CNum::Int(*b as i64),
        Value::Int(i) | Value::Timestamp(i) => CNum::Int(*i),
        Value::UInt(u) => CNum::UInt(*u),
        Value::Float(f) => CNum::Real(*f as f64),
        Value::Double(d) => CNum::Real(*d),
        Value::Decimal(d) => CNum::Int(*d as i64),
        _ => return None,
    })
}

/// C's conversion of a number to a signed integer type of `bits` bits.
fn to_signed(n: CNum, bits: u32) -> i64 {
    let wide = match n {
        CNum::Int(i) => i,
        CNum::UInt(u) => u as i64,
        CNum::Real(x) if bits == 64 => cvt_i64(x),
        CNum::Real(x) => cvt_i32(x) as i64,
    };
    match bits {
        8 => wide as i8 as i64,
        16 => wide as i16 as i64,
        32 => wide as i32 as i64,
        _ => wide,
    }
}

/// C's conversion of a number to an unsigned integer type of `bits` bits.
fn to_unsigned(n: CNum, bits: u32) -> u64 {
    let wide = match n {
        CNum::Int(i) => i as u64,
        CNum::UInt(u) => u,
        CNum::Real(x) if bits == 64 => cvt_u64(x),
        CNum::Real(x) if bits == 32 => cvt_i64(x) as u64,
        CNum::Real(x) => cvt_i32(x) as u32 as u64,
    };
    match bits {
        8 => wide as u8 as u64,
        16 => wide as u16 as u64,
        32 => wide as u32 as u64,
        _ => wide,
    }
}

/// A string cast to an integer type, through the library call TDengine's `taosStr2*` makes:
/// `strtol` (64-bit `long`, saturating) narrowed for the signed types and for INT UNSIGNED,
/// `strtoul` narrowed for the small unsigned types, `strtoll`/`strtoull` for the 64-bit ones.
fn str_to_integer(s: &str, ty: DataType) -> Value {
    let b = s.as_bytes();
    let signed = strtoll(b).0;
    let unsigned = strtoull(b).0;
    match ty {
        DataType::TinyInt => Value::Int(signed as i32 as i8 as i64),
        DataType::SmallInt => Value::Int(signed as i32 as i16 as i64),
        DataType::Int => Value::Int(signed as i32 as i64),
        DataType::BigInt => Value::Int(signed),
        DataType::UTinyInt => Value::UInt(unsigned as u32 as u8 as u64),
        DataType::USmallInt => Value::UInt(unsigned as u32 as u16 as u64),
        DataType::UInt => Value::UInt(signed as u32 as u64),
        _ => Value::UInt(unsigned),
    }
}

/// The text NUM_TO_STRING makes of a number (and `true`/`false` of a BOOL).
fn number_text(v: &Value, env: &EvalEnv) -> String {
    match v {
        Value::Float(f) => c_format_g(*f as f64, 6),
        Value::Double(d) => c_format_g(*d, 15),
        Value::Timestamp(t) => t.to_string(),
        other => value_to_string(other, env).unwrap_or_default(),
    }
}

/// A string as CAST reads it as a timestamp: TDengine's timestamp text forms, else 0.
fn str_to_timestamp(s: &str, env: &EvalEnv) -> i64 {
    super::time::parse_timestamp(s, env.tz, env.precision).unwrap_or(0)
}

/// CAST of a non-DECIMAL value to a non-DECIMAL type `f` (NULL stays NULL).
pub fn cast_value(v: Value, f: &Field, env: &EvalEnv) -> Value {
    if v.is_null() {
        return Value::Null;
    }
    use DataType::*;
    if let Value::Str(s) = &v {
        match f.ty {
            TinyInt | SmallInt | Int | BigInt | UTinyInt | USmallInt | UInt | UBigInt => {
                return str_to_integer(s, f.ty)
            }
            Bool => return Value::Bool(strtoll(s.as_bytes()).0 as i32 as i8 != 0),
            Float => return Value::Float(strtod(s.as_bytes()).0 as f32),
            Double => return Value::Double(strtod(s.as_bytes()).0),
            Timestamp => return Value::Timestamp(str_to_timestamp(s, env)),
            _ => {}
        }
    }
    match f.ty {
        Bool => match c_num(&v) {
            Some(CNum::Int(i)) => Value::Bool(i != 0),
            Some(CNum::UInt(u)) => Value::Bool(u != 0),
            Some(CNum::Real(x)) => Value::Bool(x != 0.0),
            None => Value::Null,
        },
        TinyInt | SmallInt | Int | BigInt => match c_num(&v) {
            Some(n) => Value::Int(to_signed(n, f.ty.fixed_size().unwrap_or(8) as u32 * 8)),
            None => Value::Null,
        },
        UTinyInt | USmallInt | UInt | UBigInt => match c_num(&v) {
            Some(n) => Value::UInt(to_unsigned(n, f.ty.fixed_size().unwrap_or(8) as u32 * 8)),
            None => Value::Null,
        },
        Timestamp => match c_num(&v) {
            Some(n) => Value::Timestamp(to_signed(n, 64)),
            None => Value::Null,
        },
        Float | Double => {
            let x = match c_num(&v) {
                Some(CNum::Int(i)) => i as f64,
                Some(CNum::UInt(u)) => u as f64,
                Some(CNum::Real(x)) => x,
                None => return Value::Null,
            };
            if f.ty == Float {
                Value::Float(x as f32)
            } else {
                Value::Double(x)
            }
        }
        VarChar | NChar => {
            let s = number_text(&v, env);
            Value::Str(if f.ty == NChar {
                s.chars().take(f.len as usize).collect()
            } else {
                byte_prefix(&s, f.len as usize).to_string()
            })
        }
        Geometry => {
            // the text's bytes, unchecked: what 3.3.7.5's cast to GEOMETRY stores
            let mut b = match &v {
                Value::Bytes(b) => b.clone(),
                other => number_text(other, env).into_bytes(),
            };
            b.truncate(f.len as usize);
            Value::Bytes(b)
        }
        VarBinary => Value::Bytes(value_to_string(&v, env).unwrap_or_default().into_bytes()),
        _ => Value::Null,
    }
}

/// The unscaled DECIMAL(p, s) of a double as TDengine rounds it (`round(x * 10^s)`); `None`
/// when it needs more than `p` digits.
pub(crate) fn decimal_from_double(x: f64, p: u8, s: u8) -> Option<i128> {
    let unscaled = (x * 10f64.powi(s as i32)).round();
    if !unscaled.is_finite() || unscaled.abs() >= 1.7e38 {
        return None;
    }
    let v = unscaled as i128;
    let max = 10i128.checked_pow(p as u32).map_or(i128::MAX, |m| m - 1);
    (v.abs() <= max).then_some(v)
}

/// CAST to DECIMAL(p, s) as 3.3.7.5 converts: integers exactly, doubles rounded
/// (`round(x * 10^s)`), strings by their longest number prefix — of the text's length minus
/// the 2-byte header it does not have, so the last two bytes are never read (`'123'` reads
/// `'1'`; exactly two bytes read nothing: 306). Too many digits for `p` is 317.
pub(crate) fn to_decimal(v: &Value, p: u8, s: u8) -> Result<Option<i128>, TdError> {
    use super::convert::{parse_decimal, DecimalParse};
    let overflow = || TdError::new(code::DECIMAL_OVERFLOW, "Decimal value overflow");
    let text = match v {
        Value::Null => return Ok(None),
        Value::Float(x) => return decimal_from_double(*x as f64, p, s).map(Some).ok_or_else(overflow),
        Value::Double(x) => return decimal_from_double(*x, p, s).map(Some).ok_or_else(overflow),
        Value::Int(i) | Value::Timestamp(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Bool(b) => (*b as i32).to_string(),
        Value::Str(t) => {
            if t.len() == 2 {
                return Err(TdError::new(INVALID_DATA_FMT, "Invalid data format"));
            }
            let mut n = t.len().saturating_sub(2);
            while !t.is_char_boundary(n) {
                n -= 1;
            }
            number_prefix(&t[..n]).to_string()
        }
        _ => return Ok(None),
    };
    match parse_decimal(&text, p, s) {
        DecimalParse::Ok(x) => Ok(Some(x)),
        DecimalParse::Invalid => Ok(Some(0)),
        DecimalParse::Overflow => Err(overflow()),
    }
}

/// `TSDB_CODE_INVALID_DATA_FMT`.
const INVALID_DATA_FMT: u16 = 0x0132;

/// The longest prefix that reads as a decimal number: sign, digits, point, digits, exponent
/// (`'-5.'` of `'-5.55'` cut short, `'1e5'` of `'1e5xx'`); nothing before a blank.
fn number_prefix(t: &str) -> &str {
    let b = t.as_bytes();
    let mut i = 0;
    if matches!(b.first(), Some(b'+' | b'-')) {
        i = 1;
    }
    while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'.') {
        i += 1;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        let digits = j;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        if j > digits {
            i = j;
        }
    }
    &t[..i]
}

/// The precision's fraction digits (3, 6, 9).
pub(crate) fn fraction_digits(p: Precision) -> usize {
    match p {
        Precision::Millisecond => 3,
        Precision::Microsecond => 6,
        Precision::Nanosecond => 9,
    }
}

/// The type two operands of different types are converted to before they are compared or
/// combined (TDengine's `vectorGetConvertType` over the types it has in common with this
/// engine); `None` where TDengine has no conversion.
pub(crate) fn convert_type(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    if a == b {
        return Some(a);
    }
    // the table's rows in TDengine's type-id order: the lower id picks the row
    let (lo, hi) = if a.id() < b.id() { (a, b) } else { (b, a) };
    let ints = |t: DataType| matches!(t, TinyInt | SmallInt | Int | BigInt);
    let uints = |t: DataType| matches!(t, UTinyInt | USmallInt | UInt | UBigInt);
    Some(match (lo, hi) {
        (Bool, t) if ints(t) || uints(t) || matches!(t, Float | Double | Timestamp) => t,
        (Bool, VarChar | NChar) => BigInt,
        (l, h) if ints(l) && ints(h) => h,
        (l, Float | Double) if ints(l) => hi,
        (l, VarChar | NChar) if ints(l) => BigInt,
        (l, Timestamp) if ints(l) => Timestamp,
        // a signed and an unsigned integer: the signed type wide enough, DOUBLE for 64 bits
        (l, h) if ints(l) && uints(h) => match (l, h) {
            (_, UBigInt) => Double,
            (BigInt, _) => BigInt,
            (TinyInt | SmallInt, UTinyInt) => SmallInt,
            (TinyInt | SmallInt, USmallInt) | (Int, UTinyInt | USmallInt) => Int,
            _ => BigInt,
        },
        (Float, Double) => Double,
        (Float, _) => Float,
        (Double, _) => Double,
        (VarChar, Timestamp) => Timestamp,
        (VarChar, NChar) => VarChar,
        (VarChar | NChar, t) if uints(t) => Double,
        (Timestamp, NChar) => Timestamp,
        (Timestamp, t) if uints(t) && t != UBigInt => Timestamp,
        (Timestamp, UBigInt) => Double,
        (l, h) if uints(l) && uints(h) => h,
        _ => return None,
    })
}
