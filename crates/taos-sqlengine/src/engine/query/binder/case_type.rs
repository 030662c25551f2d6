//! The type of a CASE whose branches differ: TDengine's translator folds the branches' types
//! (THENs, then ELSE; NULLs add nothing) into one by its display-type rules (`selectCommonType`
//! over `gDisplyTypes`) and casts every branch of another type to it. Each family of pairs below
//! was checked on 3.3.7.5 (`case when i > 0 then <a> else <b> end`): a number with a float is
//! VARCHAR, a timestamp with an integer BIGINT, signed with unsigned the signed type wide enough
//! (VARCHAR with BIGINT UNSIGNED), text with NCHAR NCHAR.

use crate::engine::errors::{ecode, err};
use crate::types::{code, DataType, Field, TdError};

/// The display bytes of a number turned into text (`QUERY_NUMBER_MAX_DISPLAY_LEN`).
const NUMBER_TEXT_BYTES: u32 = 65;

/// The field a CASE answers, from its branches' fields (NULL literals left out); `None` when
/// every branch is NULL.
pub(super) fn case_field(branches: &[Field]) -> Result<Option<Field>, TdError> {
    let mut common: Option<Field> = None;
    for f in branches.iter().filter(|f| f.ty != DataType::Null) {
        common = Some(match common {
            None => {
                common_type(DataType::Null, f.ty)?;
                f.clone()
            }
            Some(c) if c.ty == f.ty => Field { len: c.len.max(f.len), ..c },
            Some(c) => {
                let ty = common_type(c.ty, f.ty)?;
                let mathable = is_mathable(c.ty) || is_mathable(f.ty);
                let floor = match ty {
                    DataType::VarChar if mathable => NUMBER_TEXT_BYTES,
                    DataType::NChar if mathable => NUMBER_TEXT_BYTES * 4,
                    other => bytes(other, 0),
                };
                let b = bytes(c.ty, c.len).max(bytes(f.ty, f.len)).max(floor);
                Field::new("", ty, display_len(ty, b))
            }
        });
    }
    Ok(common)
}

/// The common type of two branch types, or TDengine's refusal.
fn common_type(a: DataType, b: DataType) -> Result<DataType, TdError> {
    use DataType::*;
    let no = || Err(err(code::CANNOT_CONVERT_TYPE, "Cannot convert to specific type"));
    let (lo, hi) = if a.id() <= b.id() { (a, b) } else { (b, a) };
    if lo == Blob || hi == Blob {
        return no();
    }
    if lo == hi {
        return Ok(lo);
    }
    if lo.is_decimal() || hi.is_decimal() {
        // DECIMAL with a number is DECIMAL, with a float or text DOUBLE: not kept here
        return Err(crate::engine::errors::unsupported("CASE mixing DECIMAL with another type"));
    }
    let signed = |t: DataType| matches!(t, TinyInt | SmallInt | Int | BigInt);
    let unsigned = |t: DataType| matches!(t, UTinyInt | USmallInt | UInt | UBigInt);
    let float = |t: DataType| matches!(t, Float | Double);
    let size = |t: DataType| t.fixed_size().unwrap_or(8);
    Ok(match (lo, hi) {
        (Null, t) => t,
        (Bool, Timestamp) => BigInt,
        (Bool, Json | VarBinary | Geometry) => return no(),
        (Bool, t) => t,
        (s, t) if signed(s) && signed(t) => t,
        (s, t) if signed(s) && (float(t) || t == VarChar) => VarChar,
        (s, Timestamp) if signed(s) => BigInt,
        (s, NChar) if signed(s) => NChar,
        (s, UBigInt) if signed(s) => VarChar,
        (s, u) if signed(s) && unsigned(u) => match size(s).max(2 * size(u)) {
            2 => SmallInt,
            4 => Int,
            _ => BigInt,
        },
        (Float, Double) => Double,
        (f, VarChar | Timestamp) if float(f) => VarChar,
        (f, u) if float(f) && unsigned(u) => VarChar,
        (f, NChar) if float(f) => NChar,
        (VarChar, Timestamp) => VarChar,
        (VarChar, NChar) => NChar,
        (VarChar, u) if unsigned(u) => VarChar,
        // the display type is VARBINARY, to which TDengine's cast of text then refuses to go
        (VarChar, VarBinary) => {
            return Err(err(ecode::FUNC_PARAM_TYPE, "Invalid parameter data type : cast"))
        }
        (Timestamp, NChar) => NChar,
        (Timestamp, UBigInt) => VarChar,
        (Timestamp, u) if unsigned(u) => BigInt,
        (NChar, u) if unsigned(u) => NChar,
        (u, v) if unsigned(u) && unsigned(v) => v,
        _ => return no(),
    })
}

/// `IS_MATHABLE_TYPE`: numbers, BOOL and TIMESTAMP.
fn is_mathable(t: DataType) -> bool {
    t != DataType::Null && t.fixed_size().is_some()
}

/// A field's bytes as TDengine's schema counts them (a 2-byte length before text, NCHAR in
/// 4-byte characters).
fn bytes(t: DataType, len: u32) -> u32 {
    match t {
        DataType::VarChar | DataType::VarBinary | DataType::Geometry => len + 2,
        DataType::NChar => len * 4 + 2,
        other => other.fixed_size().map_or(len, |n| n as u32),
    }
}

/// The length a field of type `t` and `bytes` bytes shows (characters for NCHAR).
fn display_len(t: DataType, bytes: u32) -> u32 {
    match t {
        DataType::VarChar | DataType::VarBinary | DataType::Geometry => bytes.saturating_sub(2),
        DataType::NChar => bytes.saturating_sub(2) / 4,
        _ => bytes,
    }
}
