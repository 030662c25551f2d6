//! Converting INSERT/TAGS literals into stored values, with the INSERT parser's error texts
//! (`534 syntax error near '…' (<reason>)`).

use crate::sql::ast::{InsVal, InsValKind, NumForm};
use crate::sql::parser::{insert_syntax_error, parse_int_text};
use crate::types::{code, DataType, Precision, TdError, Value};

use super::catalog::ColumnSchema;
use super::insert_number::{self, Written};
use super::time;

pub struct ConvCtx<'a> {
    pub sql: &'a str,
    pub tz: chrono_tz::Tz,
    pub precision: Precision,
    pub now: i64,
    /// Whether an error names the value's own token (CREATE TABLE … TAGS and ALTER … SET TAG,
    /// which TDengine's translator checks) rather than the rest of the statement (INSERT).
    pub near_token: bool,
}

impl ConvCtx<'_> {
    /// `syntax error near '<x>' (<reason>)`: a string value is quoted by its content, anything
    /// else by its token or by the rest of the statement from where it starts.
    pub fn err(&self, v: &InsVal, reason: &str) -> TdError {
        let rest = self.sql.get(v.pos..).unwrap_or("");
        let near = match &v.kind {
            InsValKind::Str(s) => s.clone(),
            _ if self.near_token => rest.split([',', ')']).next().unwrap_or("").trim().to_string(),
            _ => rest.trim_end().to_string(),
        };
        insert_syntax_error(&near, reason)
    }

    fn number_text<'s>(&'s self, v: &'s InsVal) -> Option<&'s str> {
        match &v.kind {
            InsValKind::Number { start, end, .. } => self.sql.get(*start..*end),
            InsValKind::Str(s) => Some(s.trim()),
            _ => None,
        }
    }

    /// The text of a number or string value and how it was written, for the INSERT parser's
    /// numeric rules ([`insert_number`]); `true`/`false` keywords read as text.
    fn written<'s>(&'s self, v: &'s InsVal) -> Option<(&'s str, Written)> {
        match &v.kind {
            InsValKind::Number { start, end, form } => Some((
                self.sql.get(*start..*end)?,
                match form {
                    NumForm::Integer => Written::Integer,
                    NumForm::Float => Written::Float,
                    NumForm::Radix => Written::Radix,
                },
            )),
            InsValKind::Str(s) => Some((s.as_str(), Written::Text)),
            InsValKind::Bool(true) => Some(("true", Written::Text)),
            InsValKind::Bool(false) => Some(("false", Written::Text)),
            _ => None,
        }
    }
}

/// A number as written: integer (decimal/hex/binary, optional sign) or float.
#[derive(Debug, Clone, Copy)]
pub enum Num {
    Int(i128),
    #[allow(dead_code)]
    Float(f64),
}

pub fn parse_num(text: &str) -> Option<Num> {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if body.is_empty() {
        return None;
    }
    let is_radix = body.len() > 2
        && (body.starts_with("0x")
            || body.starts_with("0X")
            || body.starts_with("0b")
            || body.starts_with("0B"));
    if is_radix || body.bytes().all(|c| c.is_ascii_digit()) {
        let v = parse_int_text(body).or_else(|| {
            if body.bytes().all(|c| c.is_ascii_digit()) {
                Some(i128::MAX)
            } else {
                None
            }
        })?;
        return Some(Num::Int(if neg { -v } else { v }));
    }
    let f: f64 = body.parse().ok()?;
    if !body.bytes().any(|c| c.is_ascii_digit()) {
        return None; // "inf", "nan"
    }
    Some(Num::Float(if neg { -f } else { f }))
}

fn type_word(ty: DataType) -> &'static str {
    match ty {
        DataType::TinyInt => "tinyint",
        DataType::SmallInt => "smallint",
        DataType::Int => "int",
        DataType::BigInt => "bigint",
        DataType::UTinyInt => "unsigned tinyint",
        DataType::USmallInt => "unsigned smallint",
        DataType::UInt => "unsigned int",
        DataType::UBigInt => "unsigned bigint",
        _ => "",
    }
}

fn int_range(ty: DataType) -> (i128, i128) {
    match ty {
        DataType::TinyInt => (i8::MIN as i128, i8::MAX as i128),
        DataType::SmallInt => (i16::MIN as i128, i16::MAX as i128),
        DataType::Int => (i32::MIN as i128, i32::MAX as i128),
        DataType::BigInt => (i64::MIN as i128, i64::MAX as i128),
        DataType::UTinyInt => (0, u8::MAX as i128),
        DataType::USmallInt => (0, u16::MAX as i128),
        DataType::UInt => (0, u32::MAX as i128),
        _ => (0, u64::MAX as i128),
    }
}

/// Converts one literal for column/tag `col` (not the primary key; see [`convert_ts`]).
pub fn convert_value(cx: &ConvCtx, v: &InsVal, col: &ColumnSchema) -> Result<Value, TdError> {
    if v.kind == InsValKind::Invalid {
        return Err(cx.err(v, "invalid data or symbol"));
    }
    if v.kind == InsValKind::Param {
        return Err(only_in_stmt(cx, v));
    }
    if is_null_value(v, col.ty) {
        return Ok(Value::Null);
    }
    use DataType::*;
    match col.ty {
        TinyInt | SmallInt | Int | BigInt | UTinyInt | USmallInt | UInt | UBigInt => {
            let word = type_word(col.ty);
            let unsigned = matches!(col.ty, UTinyInt | USmallInt | UInt | UBigInt);
            let invalid = || cx.err(v, &format!("invalid {} data", word));
            if let InsValKind::Str(s) = &v.kind {
                if s.is_empty() {
                    return Err(cx.err(v, "invalid numeric data"));
                }
            }
            let (text, how) = cx.written(v).ok_or_else(invalid)?;
            let n: i128 = if unsigned {
                insert_number::to_unsigned(text, how).ok_or_else(invalid)? as i128
            } else {
                insert_number::to_integer(text, how).ok_or_else(invalid)? as i128
            };
            let (lo, hi) = int_range(col.ty);
            if n < lo || n > hi {
                return Err(cx.err(v, &format!("{} data overflow", word)));
            }
            Ok(if unsigned {
                Value::UInt(n as u64)
            } else {
                Value::Int(n as i64)
            })
        }
        Bool => cx
            .written(v)
            .and_then(|(text, how)| insert_number::to_bool(text, how))
            .map(Value::Bool)
            .ok_or_else(|| cx.err(v, "invalid bool data")),
        Float | Double => {
            if let InsValKind::Str(s) = &v.kind {
                if s.is_empty() {
                    return Err(cx.err(v, "invalid numeric data"));
                }
            }
            let f = cx
                .written(v)
                .filter(|_| !matches!(v.kind, InsValKind::Bool(_)))
                .and_then(|(text, how)| insert_number::to_double(text, how))
                .ok_or_else(|| cx.err(v, "illegal float data"))?;
            if col.ty == Double && !f.is_finite() {
                return Err(cx.err(v, "illegal double data"));
            }
            if col.ty == Float && (!f.is_finite() || f.abs() > f32::MAX as f64) {
                return Err(cx.err(v, "illegal float data"));
            }
            Ok(if col.ty == Float {
                Value::Float(f as f32)
            } else {
                Value::Double(f)
            })
        }
        Timestamp => Ok(Value::Timestamp(convert_ts_inner(cx, v)?)),
        VarChar | NChar => {
            let s = literal_text(cx, v)?;
            let n = if col.ty == NChar {
                s.chars().count()
            } else {
                s.len()
            };
            if n > col.len as usize {
                return Err(value_too_long(&col.name));
            }
            Ok(Value::Str(s))
        }
        VarBinary | Blob => {
            let invalid = || TdError::new(0x266A, format!("Invalid varbinary value: {}", col.name));
            // a VARBINARY takes a string only: a number, a bool or NOW is 9834
            if col.ty == VarBinary && !matches!(v.kind, InsValKind::Str(_)) {
                return Err(invalid());
            }
            let s = literal_text(cx, v)?;
            let bytes = if let Some(h) = s.strip_prefix("\\x").or_else(|| s.strip_prefix("\\X")) {
                decode_hex(h).ok_or_else(invalid)?
            } else {
                s.into_bytes()
            };
            if col.ty == VarBinary && bytes.len() > col.len as usize {
                return Err(value_too_long(&col.name));
            }
            Ok(Value::Bytes(bytes))
        }
        Geometry => {
            let s = match &v.kind {
                InsValKind::Str(s) => s,
                _ => return Err(cx.err(v, "Unknown error 65535")),
            };
            let wkb = wkt_to_wkb(s).ok_or_else(|| cx.err(v, "Invalid function para value"))?;
            if wkb.len() > col.len as usize {
                return Err(value_too_long(&col.name));
            }
            Ok(Value::Bytes(wkb))
        }
        Decimal | Decimal64 => {
            if matches!(&v.kind, InsValKind::Str(s) if s.is_empty()) {
                return Err(cx.err(v, "invalid numeric data"));
            }
            let text = match &v.kind {
                InsValKind::Number { .. } | InsValKind::Str(_) => cx.number_text(v).unwrap_or(""),
                _ => "0",
            };
            match parse_decimal(text, col.precision, col.scale) {
                DecimalParse::Ok(x) => Ok(Value::Decimal(x)),
                DecimalParse::Invalid => Ok(Value::Decimal(0)),
                DecimalParse::Overflow => Err(TdError::new(
                    code::DECIMAL_OVERFLOW,
                    "Decimal value overflow",
                )),
            }
        }
        Json => {
            let s = match &v.kind {
                InsValKind::Str(s) => s,
                InsValKind::Number { start, end, .. } => {
                    let near = cx.sql.get(*start..*end).unwrap_or("");
                    return Err(TdError::new(
                        code::TSC_SQL_SYNTAX_ERROR,
                        format!("syntax error near '{}' (json error invalide value)", near),
                    ));
                }
                _ => return Err(cx.err(v, "json error invalide value")),
            };
            // the tag text is limited to what fits 16384 bytes of UCS-4
            if s.len() > 4095 {
                return Err(cx.err(v, "json string too long than 4095"));
            }
            normalize_json_tag(s).map_err(|e| match e.near {
                Some(near) => insert_syntax_error(&near, e.reason),
                None => cx.err(v, e.reason),
            })
        }
        Null => Ok(Value::Null),
    }
}

pub fn value_too_long(col: &str) -> TdError {
    TdError::new(
        code::PAR_VALUE_TOO_LONG,
        format!("Value too long for column/tag: {}", col),
    )
}

fn literal_text(cx: &ConvCtx, v: &InsVal) -> Result<String, TdError> {
    Ok(match &v.kind {
        InsValKind::Str(s) => s.clone(),
        InsValKind::Number { .. } => cx.number_text(v).unwrap_or("").to_string(),
        InsValKind::Bool(b) => b.to_string(),
        _ => return Err(cx.err(v, "invalid data")),
    })
}

/// The latest timestamp a table stores, per precision: 2970-01-01 00:00:00 in ms and us,
/// 2262-01-01 00:00:00 in ns (TDengine's storage bound; later rows are out of range).
fn max_key(p: Precision) -> i64 {
    match p {
        Precision::Millisecond => 31_556_995_200_000,
        Precision::Microsecond => 31_556_995_200_000_000,
        Precision::Nanosecond => 9_214_646_400_000_000_000,
    }
}

/// NULL as the INSERT parser reads it: the keyword, or the string `'null'` (any case) for a
/// column that is not a string type (into VARCHAR/NCHAR/VARBINARY it is the text `null`).
fn is_null_value(v: &InsVal, ty: DataType) -> bool {
    match &v.kind {
        InsValKind::Null => true,
        InsValKind::Str(s) => {
            s.eq_ignore_ascii_case("null")
                && !matches!(
                    ty,
                    DataType::VarChar
                        | DataType::NChar
                        | DataType::VarBinary
                        | DataType::Geometry
                        | DataType::Blob
                )
        }
        _ => false,
    }
}

/// The primary timestamp of a row.
pub fn convert_ts(cx: &ConvCtx, v: &InsVal, keep_days: i64) -> Result<i64, TdError> {
    if v.kind == InsValKind::Invalid {
        return Err(cx.err(v, "invalid data or symbol"));
    }
    if is_null_value(v, DataType::Timestamp) {
        return Err(cx.err(v, "Primary timestamp column should not be null"));
    }
    let ts = convert_ts_inner(cx, v)?;
    check_ts_range(ts, cx.precision, keep_days, cx.now)?;
    Ok(ts)
}

/// The primary timestamps a database takes: none older than its `keep` days before `now`, none
/// past the largest key of its precision (0x060B otherwise). Every write path checks it: SQL,
/// stmt binds and schemaless (3.3.7.5 refuses a 1970 timestamp bound through stmt2 or written
/// by the InfluxDB plugin alike).
pub fn check_ts_range(ts: i64, precision: Precision, keep_days: i64, now: i64) -> Result<(), TdError> {
    let keep = time::duration_units(keep_days, 'd', precision).unwrap_or(i64::MAX);
    if ts < now.saturating_sub(keep) || ts > max_key(precision) {
        return Err(TdError::new(
            code::TDB_TIMESTAMP_OUT_OF_RANGE,
            "Timestamp data out of range",
        ));
    }
    Ok(())
}

/// A `?` outside a prepared statement.
fn only_in_stmt(cx: &ConvCtx, v: &InsVal) -> TdError {
    cx.err(v, "? only used in stmt")
}

fn convert_ts_inner(cx: &ConvCtx, v: &InsVal) -> Result<i64, TdError> {
    let invalid = || cx.err(v, "invalid timestamp");
    match &v.kind {
        InsValKind::Param => Err(only_in_stmt(cx, v)),
        InsValKind::Now => Ok(cx.now),
        InsValKind::Today => Ok(time::today(cx.tz, cx.precision)),
        InsValKind::Number { .. } => match cx.number_text(v).and_then(parse_num) {
            Some(Num::Int(i)) => i64::try_from(i).map_err(|_| invalid()),
            _ => Err(invalid()),
        },
        InsValKind::Str(s) => {
            if let Some(t) = time::parse_timestamp(s, cx.tz, cx.precision) {
                return Ok(t);
            }
            match parse_num(s) {
                Some(Num::Int(i)) => i64::try_from(i).map_err(|_| invalid()),
                _ => Err(invalid()),
            }
        }
        InsValKind::Offset {
            base,
            negative,
            value,
            unit,
        } => {
            let b = convert_ts_inner(cx, base).map_err(|_| invalid())?;
            // calendar units are not offsets of a written timestamp
            if matches!(unit, 'n' | 'y') {
                return Err(invalid());
            }
            let d = time::duration_units(*value, *unit, cx.precision).ok_or_else(invalid)?;
            Ok(if *negative { b - d } else { b + d })
        }
        _ => Err(invalid()),
    }
}

pub enum DecimalParse {
    Ok(i128),
    Invalid,
    Overflow,
}

/// Parses a decimal literal into an unscaled integer with `scale` digits, rounding half away
/// from zero; more than `precision - scale` integer digits overflow.
pub fn parse_decimal(text: &str, precision: u8, scale: u8) -> DecimalParse {
    let t = text.trim();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    // exponent form: go through the digits of the expanded number
    let expanded;
    let body = if body.contains(['e', 'E']) {
        // beyond a double's range either way (1e309, 1e-400) is an overflow, as TDengine answers
        let mantissa_zero = body.split(['e', 'E']).next().is_some_and(|m| m.bytes().all(|c| matches!(c, b'0' | b'.')));
        match body.parse::<f64>() {
            Ok(f) if f.is_infinite() || (f == 0.0 && !mantissa_zero) => return DecimalParse::Overflow,
            Ok(f) if f.is_finite() => {
                expanded = format!("{:.*}", scale as usize + 2, f);
                expanded.as_str()
            }
            _ => return DecimalParse::Invalid,
        }
    } else {
        body
    };
    let (int_part, frac_part) = match body.split_once('.') {
        Some((a, b)) => (a, b),
        None => (body, ""),
    };
    if (int_part.is_empty() && frac_part.is_empty())
        || !int_part.bytes().all(|c| c.is_ascii_digit())
        || !frac_part.bytes().all(|c| c.is_ascii_digit())
    {
        return DecimalParse::Invalid;
    }
    let int_digits = int_part.trim_start_matches('0');
    let max_int_digits = precision.saturating_sub(scale) as usize;
    let mut v: i128 = 0;
    for c in int_digits.bytes() {
        v = match v
            .checked_mul(10)
            .and_then(|x| x.checked_add((c - b'0') as i128))
        {
            Some(x) => x,
            None => return DecimalParse::Overflow,
        };
    }
    let fb = frac_part.as_bytes();
    for i in 0..scale as usize {
        let d = fb.get(i).map(|c| (c - b'0') as i128).unwrap_or(0);
        v = match v.checked_mul(10).and_then(|x| x.checked_add(d)) {
            Some(x) => x,
            None => return DecimalParse::Overflow,
        };
    }
    if fb.get(scale as usize).is_some_and(|&c| c >= b'5') {
        v += 1;
    }
    let limit = 10i128
        .checked_pow(max_int_digits as u32 + scale as u32)
        .unwrap_or(i128::MAX);
    if v >= limit {
        return DecimalParse::Overflow;
    }
    DecimalParse::Ok(if neg { -v } else { v })
}

/// Renders an unscaled decimal with exactly `scale` fraction digits.
pub fn format_decimal(v: i128, scale: u8) -> String {
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let s = scale as usize;
    let body = if s == 0 {
        digits
    } else if digits.len() <= s {
        format!("0.{}{}", "0".repeat(s - digits.len()), digits)
    } else {
        format!(
            "{}.{}",
            &digits[..digits.len() - s],
            &digits[digits.len() - s..]
        )
    };
    if neg {
        format!("-{}", body)
    } else {
        body
    }
}

pub(crate) fn decode_hex(h: &str) -> Option<Vec<u8>> {
    if !h.len().is_multiple_of(2) {
        return None;
    }
    (0..h.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(h.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Why a JSON tag is refused, and what the message quotes (the key, for key errors; else the
/// whole text).
pub struct JsonTagError {
    pub reason: &'static str,
    pub near: Option<String>,
}

/// The members of a JSON object in the order written (duplicates kept), so that the first of
/// two equal keys can win as in TDengine.
struct Members(Vec<(String, serde_json::Value)>);

impl<'de> serde::Deserialize<'de> for Members {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Members;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut m: A,
            ) -> Result<Members, A::Error> {
                let mut out = Vec::new();
                while let Some(kv) = m.next_entry::<String, serde_json::Value>()? {
                    out.push(kv);
                }
                Ok(Members(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON tag as TDengine's tag parser reads it: `null`, `''` or blanks are NULL; the first JSON
/// value of the text is read and the rest ignored; it must be an object whose keys are printable
/// ASCII of at most 256 bytes (empty keys are dropped, the first of duplicate keys wins) and whose
/// values are strings, finite numbers, booleans or null; `{}` is NULL. Stored as its text with
/// keys sorted.
pub fn normalize_json_tag(s: &str) -> Result<Value, JsonTagError> {
    let fail = |reason, near: Option<&str>| JsonTagError {
        reason,
        near: near.map(str::to_string),
    };
    let t = s.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("null") {
        return Ok(Value::Null);
    }
    let first = |text: &str| {
        serde_json::Deserializer::from_str(text)
            .into_iter::<serde_json::Value>()
            .next()
    };
    match first(t) {
        Some(Ok(serde_json::Value::Object(_))) => {}
        Some(Ok(_)) => return Err(fail("json error invalide value", None)),
        Some(Err(e)) if e.to_string().contains("number out of range") => {
            return Err(fail("json value number is illegal", None))
        }
        _ => return Err(fail("json parse error", None)),
    }
    let members = serde_json::Deserializer::from_str(t)
        .into_iter::<Members>()
        .next()
        .and_then(Result::ok)
        .map(|m| m.0)
        .unwrap_or_default();
    let mut kept = std::collections::BTreeMap::new();
    for (k, v) in members {
        if !k.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return Err(fail("json key not validate", Some(&k)));
        }
        if k.len() > 256 {
            return Err(fail("json key too long, more than 256", Some(&k)));
        }
        if v.is_array() || v.is_object() {
            return Err(fail("invalidate json value", None));
        }
        if k.is_empty() || kept.contains_key(&k) {
            continue;
        }
        kept.insert(k, v);
    }
    if kept.is_empty() {
        return Ok(Value::Null);
    }
    Ok(Value::Str(json_tag_text(&kept)))
}

/// A JSON tag's text as TDengine prints it (`parseTagDatatoJson`, cJSON unformatted): keys
/// sorted and cut to 255 bytes (its key buffer), numbers are doubles ([`cjson_number`]: `1500`,
/// `-0`, `1.2345678901234567e+19`).
fn json_tag_text(members: &std::collections::BTreeMap<String, serde_json::Value>) -> String {
    let mut out = String::from("{");
    for (i, (k, v)) in members.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(&k[..k.len().min(255)]).unwrap_or_default());
        out.push(':');
        match v {
            serde_json::Value::Number(n) => out.push_str(&cjson_number(n.as_f64().unwrap_or(0.0))),
            other => out.push_str(&serde_json::to_string(other).unwrap_or_default()),
        }
    }
    out.push('}');
    out
}

/// cJSON's `print_number` for a double (1.7.15, as TDengine links it): 15 significant digits,
/// or 17 when 15 do not read back the same; `-0` stays `-0`.
pub(crate) fn cjson_number(d: f64) -> String {
    if !d.is_finite() {
        return "null".into();
    }
    let short = c_format_g(d, 15);
    match short.parse::<f64>() {
        Ok(back) if (back - d).abs() <= back.abs().max(d.abs()) * f64::EPSILON => short,
        _ => c_format_g(d, 17),
    }
}

/// C's `%.<precision>g`: `precision` significant digits, trailing zeros dropped, the exponent
/// form below 1e-4 and from 10^precision on (`1e+20`); glibc's `nan`/`inf` words.
pub(crate) fn c_format_g(d: f64, precision: usize) -> String {
    if d.is_nan() {
        return if d.is_sign_negative() { "-nan" } else { "nan" }.into();
    }
    if d.is_infinite() {
        return if d < 0.0 { "-inf" } else { "inf" }.into();
    }
    let precision = precision.max(1);
    let sci = format!("{:.*e}", precision - 1, d);
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let strip = |s: &str| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s.to_string()
        }
    };
    if exp < -4 || exp >= precision as i32 {
        let sign = if exp < 0 { '-' } else { '+' };
        format!("{}e{}{:02}", strip(mantissa), sign, exp.abs())
    } else {
        let decimals = (precision as i32 - 1 - exp).max(0) as usize;
        strip(&format!("{:.*}", decimals, d))
    }
}

/// WKT (`POINT`, `LINESTRING`, `POLYGON`, `MULTIPOINT`) → little-endian WKB.
pub fn wkt_to_wkb(s: &str) -> Option<Vec<u8>> {
    let s = s.trim();
    let open = s.find('(')?;
    let kind = s[..open].trim().to_ascii_uppercase();
    let body = s[open..].trim();
    if !body.ends_with(')') {
        return None;
    }
    let inner = &body[1..body.len() - 1];
    let mut out = vec![1u8];
    let point = |p: &str, out: &mut Vec<u8>| -> Option<()> {
        let mut it = p.split_whitespace();
        let x: f64 = it.next()?.parse().ok()?;
        let y: f64 = it.next()?.parse().ok()?;
        if it.next().is_some() {
            return None;
        }
        out.extend_from_slice(&x.to_le_bytes());
        out.extend_from_slice(&y.to_le_bytes());
        Some(())
    };
    let points = |list: &str, out: &mut Vec<u8>| -> Option<usize> {
        let pts: Vec<&str> = list.split(',').collect();
        out.extend_from_slice(&(pts.len() as u32).to_le_bytes());
        for p in &pts {
            point(p, out)?;
        }
        Some(pts.len())
    };
    match kind.as_str() {
        "POINT" => {
            out.extend_from_slice(&1u32.to_le_bytes());
            point(inner, &mut out)?;
        }
        "LINESTRING" => {
            out.extend_from_slice(&2u32.to_le_bytes());
            if points(inner, &mut out)? < 2 {
                return None;
            }
        }
        "POLYGON" => {
            out.extend_from_slice(&3u32.to_le_bytes());
            let rings = split_groups(inner)?;
            out.extend_from_slice(&(rings.len() as u32).to_le_bytes());
            for r in rings {
                if points(r, &mut out)? < 4 {
                    return None;
                }
            }
        }
        "MULTIPOINT" => {
            out.extend_from_slice(&4u32.to_le_bytes());
            let pts: Vec<&str> = inner.split(',').collect();
            out.extend_from_slice(&(pts.len() as u32).to_le_bytes());
            for p in pts {
                let p = p.trim().trim_start_matches('(').trim_end_matches(')');
                out.push(1);
                out.extend_from_slice(&1u32.to_le_bytes());
                point(p, &mut out)?;
            }
        }
        _ => return None,
    }
    Some(out)
}

/// `(a), (b)` → ["a", "b"].
fn split_groups(s: &str) -> Option<Vec<&str>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let r = rest.strip_prefix('(')?;
        let close = r.find(')')?;
        out.push(&r[..close]);
        rest = r[close + 1..]
            .trim_start()
            .trim_start_matches(',')
            .trim_start();
    }
    if out.is_empty() {
        None
    } else {
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_rounding_and_overflow() {
        assert!(matches!(
            parse_decimal("12.345", 10, 2),
            DecimalParse::Ok(1235)
        ));
        assert!(matches!(
            parse_decimal("-1.23455", 10, 4),
            DecimalParse::Ok(-12346)
        ));
        assert!(matches!(parse_decimal("2.5", 5, 0), DecimalParse::Ok(3)));
        assert!(matches!(
            parse_decimal("100000000", 10, 2),
            DecimalParse::Overflow
        ));
        assert!(matches!(parse_decimal("abc", 10, 2), DecimalParse::Invalid));
        assert_eq!(format_decimal(-5, 3), "-0.005");
        assert_eq!(format_decimal(15_000_000_000, 10), "1.5000000000");
    }

    #[test]
    fn wkt_point_to_wkb() {
        let hex: String = wkt_to_wkb("POINT(1 2)")
            .unwrap()
            .iter()
            .map(|b| format!("{:02x}", b))
            .collect();
        assert_eq!(hex, "0101000000000000000000f03f0000000000000040");
        assert!(wkt_to_wkb("NOT A GEOMETRY").is_none());
        assert_eq!(
            wkt_to_wkb("POLYGON((0 0, 1 0, 1 1, 0 0))").unwrap().len(),
            1 + 4 + 4 + 4 + 4 * 16
        );
    }

    #[test]
    fn numbers_as_written() {
        assert!(matches!(parse_num("-0x10"), Some(Num::Int(-16))));
        assert!(matches!(parse_num("0b101"), Some(Num::Int(5))));
        assert!(matches!(parse_num("1.5e3"), Some(Num::Float(f)) if f == 1500.0));
        assert!(parse_num("abc").is_none());
    }
}
