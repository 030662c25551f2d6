//! Bound expressions and their evaluation over columnar relations.

use std::cmp::Ordering;

use crate::sql::ast::BinOp;
use crate::types::{DataType, Field, Precision, Value};

use super::catalog::TableData;
use super::column::Column;
use super::pattern::{LikePattern, Regex};

/// Where a relation column's values come from in one segment (one table of a scan).
pub enum ColSrc<'a> {
    Vals(&'a [Value]),
    /// A table's stored column.
    Stored(&'a Column),
    Ts(&'a [i64]),
    Const(Value),
}

pub struct Segment<'a> {
    pub cols: Vec<ColSrc<'a>>,
    pub n: usize,
    /// The stored table this segment reads (`cols`: its key, its columns, then constants), kept
    /// by a streamed scan that outlives the catalog's lock.
    pub table: Option<&'a std::sync::Arc<TableData>>,
}

/// A column of a relation as expressions see it.
#[derive(Debug, Clone)]
pub struct RelField {
    pub field: Field,
    /// Part of `*`.
    pub in_star: bool,
    pub is_tag: bool,
    pub is_tbname: bool,
    /// The table (alias) this column belongs to, in a JOIN.
    pub qualifier: Option<String>,
}

impl RelField {
    /// A column of a materialised result (subquery, system table): part of `*`, no tag.
    pub fn of_result(field: &Field, qualifier: Option<String>) -> RelField {
        RelField {
            field: field.clone(),
            in_star: true,
            is_tag: false,
            is_tbname: false,
            qualifier,
        }
    }
}

/// The input of a SELECT: named columns over one or more segments.
pub struct Relation<'a> {
    pub fields: Vec<RelField>,
    pub segs: Vec<Segment<'a>>,
    pub precision: Precision,
    /// The timestamp key (first TIMESTAMP column), if any.
    pub ts_col: Option<usize>,
    /// Names that qualify columns (`t.i`): table name and alias.
    pub qualifiers: Vec<String>,
    /// The scanned table is a super table (for `tbname` partition semantics).
    pub is_super: bool,
    /// Primary timestamp columns of the scanned tables: never NULL for TDengine, so `IS NULL`
    /// on them is false (even where an outer join left them empty).
    pub pk_cols: Vec<usize>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RowRef {
    pub seg: u32,
    pub idx: u32,
}

impl Relation<'_> {
    #[inline]
    pub fn value(&self, col: usize, r: RowRef) -> Value {
        // a row past the end (the stand-in row of a table with no rows left) reads NULL
        match &self.segs[r.seg as usize].cols[col] {
            ColSrc::Vals(v) => v.get(r.idx as usize).cloned().unwrap_or(Value::Null),
            ColSrc::Stored(c) => c.get(r.idx as usize),
            ColSrc::Ts(t) => t
                .get(r.idx as usize)
                .map(|&x| Value::Timestamp(x))
                .unwrap_or(Value::Null),
            ColSrc::Const(c) => c.clone(),
        }
    }

    #[inline]
    pub fn is_null(&self, col: usize, r: RowRef) -> bool {
        match &self.segs[r.seg as usize].cols[col] {
            ColSrc::Vals(v) => v[r.idx as usize].is_null(),
            ColSrc::Stored(c) => c.is_null(r.idx as usize),
            ColSrc::Ts(_) => false,
            ColSrc::Const(c) => c.is_null(),
        }
    }

    pub fn ts(&self, r: RowRef) -> i64 {
        match self.ts_col.map(|c| self.value(c, r)) {
            Some(Value::Timestamp(t)) | Some(Value::Int(t)) => t,
            _ => 0,
        }
    }

    pub fn all_rows(&self) -> Vec<RowRef> {
        let mut out = Vec::with_capacity(self.segs.iter().map(|s| s.n).sum());
        for (si, s) in self.segs.iter().enumerate() {
            for i in 0..s.n {
                out.push(RowRef {
                    seg: si as u32,
                    idx: i as u32,
                });
            }
        }
        out
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Abs,
    Ceil,
    Floor,
    Round,
    Sqrt,
    Pow,
    Log,
    Exp,
    Sin,
    Cos,
    Tan,
    Length,
    /// `length()` of an NCHAR: 4 bytes per character.
    LengthNChar,
    CharLength,
    Lower,
    Upper,
    Concat,
    ConcatWs,
    Substr,
    Ltrim,
    Rtrim,
    /// `trim([both] [chars] from s)`, `trim(s)`.
    Trim,
    /// `trim(leading [chars] from s)`.
    TrimLeading,
    /// `trim(trailing [chars] from s)`.
    TrimTrailing,
    SubstringIndex,
    /// `crc32()` of an NCHAR: computed over its UCS-4LE storage.
    Crc32NChar,
    /// `to_base64()` of an NCHAR: its UCS-4LE storage encoded (3.3.7.5: 'x' is `eAAAAA==`).
    ToBase64NChar,
    ToIso8601,
    TimeTruncate,
    ToUnixTimestamp,
    Now,
    Today,
    Database,
    ServerVersion,
    ClientVersion,
    Timezone,
    CurrentUser,
    Sign,
    Truncate,
    ModFn,
    Ln,
    Pi,
    Asin,
    Acos,
    Atan,
    Replace,
    Repeat,
    Position,
    Ascii,
    CharFn,
    Greatest,
    Least,
    Md5,
    Crc32,
    ToBase64,
    ServerStatus,
    ToChar,
    ToTimestamp,
    Weekday,
    DayOfWeek,
    Week,
    WeekOfYear,
    Degrees,
    Radians,
    /// `rand([seed])`.
    Rand,
    /// `to_json(text)`: the text read as a JSON tag is (NULL when it is none).
    ToJsonTag,
    TimeDiff,
    JsonContains,
    StAsText,
    StGeomFromText,
    StIntersects,
    StContains,
}

#[derive(Debug, Clone)]
pub enum BExpr {
    Col(usize),
    Lit(Value),
    Neg(Box<BExpr>),
    Not(Box<BExpr>),
    Arith(BinOp, Box<BExpr>, Box<BExpr>),
    /// `&` / `|` on both sides as BIGINT.
    Bits(BinOp, Box<BExpr>, Box<BExpr>),
    /// TIMESTAMP ± integer units → TIMESTAMP.
    TsArith(bool, Box<BExpr>, Box<BExpr>),
    /// TIMESTAMP moved by calendar months (`ts + 1n`, `ts - 1y`).
    TsAddMonths(Box<BExpr>, i64),
    Cmp(BinOp, Box<BExpr>, Box<BExpr>),
    And(Box<BExpr>, Box<BExpr>),
    Or(Box<BExpr>, Box<BExpr>),
    IsNull(Box<BExpr>, bool),
    In(Box<BExpr>, Vec<BExpr>, bool),
    Between(Box<BExpr>, Box<BExpr>, Box<BExpr>, bool),
    Like(Box<BExpr>, Box<LikePattern>, bool),
    Regex(Box<BExpr>, Box<Regex>, bool),
    Func(Scalar, Vec<BExpr>),
    Cast(Box<BExpr>, Field),
    Case(Option<Box<BExpr>>, Vec<(BExpr, BExpr)>, Option<Box<BExpr>>),
    /// Unscaled DECIMAL → DOUBLE (for comparisons and arithmetic).
    Unscale(Box<BExpr>, u8),
    /// `-d` on a DECIMAL keeps the type.
    NegDecimal(Box<BExpr>),
    /// Exact DECIMAL arithmetic: operands as (expr, scale) (integers have scale 0), result scale.
    DecArith(BinOp, Box<(BExpr, u8)>, Box<(BExpr, u8)>, u8),
    /// A DECIMAL as text with its scale (casts to strings).
    DecText(Box<BExpr>, u8),
    /// A value cast to DECIMAL(p, s) (strings and integers; anything else is NULL).
    ToDecimal(Box<BExpr>, u8, u8),
    /// `json->'key'`: the member as a native value (string, double, bool; NULL for a JSON null
    /// and for an absent key).
    JsonGet(Box<BExpr>, String),
    /// A comparison with a JSON member on either side, as TDengine's `convertJsonValue`: a
    /// number meets only numbers, a string only strings, a bool only bools; any other pair,
    /// and a NULL or JSON null on either side, is FALSE (for `!=` too, and never NULL).
    JsonCmp(BinOp, Box<BExpr>, Box<BExpr>),
    /// `json->'key'` as a key that orders like TDengine's `compareJsonVal` and tells a JSON
    /// null member from an absent one (both read as NULL): absent is NULL, then JSON null,
    /// bools, numbers, strings (by type, then by value). For ORDER BY, GROUP BY / PARTITION BY /
    /// DISTINCT on a member, and `count(json->'key')` (which counts JSON nulls).
    JsonKey(Box<BExpr>, String),
    /// CAST(json->'key' AS type): TDengine's cast has no branch for JSON and reads the member's
    /// stored bytes (type id, then the value: a double, a bool byte, or a UCS-4 string's 2-byte
    /// length and code units) as the first two bytes' 16-bit length for numbers and bools
    /// (`7` for any number whose lowest byte is 0, `1034` for a 1-character string), and as a
    /// 32-bit integer printed in decimal for strings. Absent keys are NULL, as are members too
    /// short for the bytes read (a JSON null; a bool or an empty string cast to a string).
    JsonRawCast(Box<BExpr>, String, Field),
    /// A native value back to JSON text (for JSON-typed output columns).
    ToJson(Box<BExpr>),
    Agg(usize),
    WStart,
    WEnd,
    WDuration,
}

/// Group-level context: aggregate results, window bounds.
pub struct GroupCtx<'g> {
    pub aggs: &'g [Value],
    pub window: Option<(i64, i64, i64)>,
}

/// Per-evaluation environment that scalar functions need.
pub struct EvalEnv<'e> {
    pub precision: Precision,
    /// The session's time zone: literals, to_iso8601, timetruncate, timezone().
    pub tz: chrono_tz::Tz,
    /// The name the session gave its zone (`timezone()` shows it even when unknown).
    pub tz_label: Option<&'e str>,
    /// The server's zone: `to_char` renders in it whatever the session's zone (m_session_options).
    pub server_tz: chrono_tz::Tz,
    pub db: Option<&'e str>,
    pub server_version: &'e str,
    pub now: i64,
    /// The first error an evaluation met (a value that fails at run time, like a DECIMAL
    /// overflow): the query answers it instead of its rows.
    pub fault: std::cell::RefCell<Option<crate::types::TdError>>,
    /// The `rand` calls (by instance) whose constant seed was applied: TDengine seeds each once
    /// per query, then draws on.
    pub rand_seeded: std::cell::RefCell<Vec<i64>>,
}

impl EvalEnv<'_> {
    /// Records a run-time error (the first one wins).
    pub fn fail(&self, e: crate::types::TdError) {
        let mut f = self.fault.borrow_mut();
        if f.is_none() {
            *f = Some(e);
        }
    }

    /// The run-time error met so far, if any.
    pub fn take_fault(&self) -> Option<crate::types::TdError> {
        self.fault.borrow_mut().take()
    }
}

pub fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::Int(i) => *i != 0,
        Value::UInt(u) => *u != 0,
        Value::Float(f) => *f != 0.0,
        Value::Double(d) => *d != 0.0,
        Value::Timestamp(t) => *t != 0,
        Value::Str(s) => str_to_f64(s) != 0.0,
        _ => false,
    }
}

/// The numeric prefix of a string as C's `strtod` reads it, which TDengine uses (`'12abc'` →
/// 12, `'abc'` → 0, `'0x10'` → 16, `' 1e2x'` → 100). Infinity and NaN texts read as 0.
pub fn str_to_f64(s: &str) -> f64 {
    let v = super::insert_number::strtod(s.as_bytes()).0;
    if v.is_finite() {
        v
    } else {
        0.0
    }
}

pub fn to_f64(v: &Value) -> Option<f64> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => *b as i64 as f64,
        Value::Int(i) => *i as f64,
        Value::UInt(u) => *u as f64,
        Value::Float(f) => *f as f64,
        Value::Double(d) => *d,
        Value::Timestamp(t) => *t as f64,
        Value::Str(s) => str_to_f64(s),
        Value::Bytes(_) => 0.0,
        Value::Decimal(d) => *d as f64,
    })
}

/// A value converted to BIGINT the way TDengine's bitwise operators take it: unsigned values
/// wrap, doubles truncate, strings read their numeric prefix.
fn as_bigint(v: &Value) -> Option<i64> {
    match v {
        Value::Null => None,
        Value::UInt(u) => Some(*u as i64),
        Value::Int(i) | Value::Timestamp(i) => Some(*i),
        other => to_f64(other).map(|f| f as i64),
    }
}

fn to_i128(v: &Value) -> Option<i128> {
    match v {
        Value::Bool(b) => Some(*b as i128),
        Value::Int(i) | Value::Timestamp(i) => Some(*i as i128),
        Value::UInt(u) => Some(*u as i128),
        _ => None,
    }
}

/// SQL comparison of two non-NULL values (numbers numerically, strings lexically, mixed
/// string/number through the string's numeric prefix).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Null, _) | (_, Value::Null) => None,
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Bytes(x), Value::Bytes(y)) => Some(x.cmp(y)),
        _ => {
            if let (Some(x), Some(y)) = (to_i128(a), to_i128(b)) {
                return Some(x.cmp(&y));
            }
            let x = to_f64(a)?;
            let y = to_f64(b)?;
            x.partial_cmp(&y)
        }
    }
}

/// Whether a comparison's ordering `o` satisfies `op`.
fn cmp_holds(op: BinOp, o: Ordering) -> bool {
    match op {
        BinOp::Eq => o == Ordering::Equal,
        BinOp::Ne => o != Ordering::Equal,
        BinOp::Lt => o == Ordering::Less,
        BinOp::Le => o != Ordering::Greater,
        BinOp::Gt => o == Ordering::Greater,
        BinOp::Ge => o != Ordering::Less,
        _ => false,
    }
}

/// The kind of value a JSON comparison matches (number, string, bool); `None` for NULL and
/// for kinds a JSON member never meets (timestamps, binary).
fn json_class(v: &Value) -> Option<u8> {
    match v {
        Value::Int(_) | Value::UInt(_) | Value::Float(_) | Value::Double(_) | Value::Decimal(_) => Some(1),
        Value::Str(_) => Some(2),
        Value::Bool(_) => Some(3),
        _ => None,
    }
}

/// A JSON member's bytes as TDengine stores them in a result column: the type id (NULL 0,
/// BOOL 1, DOUBLE 7, NCHAR 10), then the value.
fn json_member_bytes(v: &serde_json::Value) -> Vec<u8> {
    use serde_json::Value as J;
    match v {
        J::Null => vec![0],
        J::Bool(b) => vec![1, *b as u8],
        J::Number(n) => {
            let mut out = vec![7];
            out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
            out
        }
        J::String(s) => {
            let units: Vec<u8> = s.chars().flat_map(|c| (c as u32).to_le_bytes()).collect();
            let mut out = vec![10];
            out.extend_from_slice(&(units.len() as u16).to_le_bytes());
            out.extend(units);
            out
        }
        _ => vec![],
    }
}

/// See [`BExpr::JsonRawCast`].
fn json_raw_cast(v: &serde_json::Value, f: &Field) -> Value {
    use DataType::*;
    let bytes = json_member_bytes(v);
    if f.ty.is_var() {
        let Some(b) = bytes.get(..4) else { return Value::Null };
        let text = i32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_string();
        return Value::Str(text.chars().take(f.len as usize).collect());
    }
    let Some(b) = bytes.get(..2) else { return Value::Null };
    let n = u16::from_le_bytes([b[0], b[1]]);
    match f.ty {
        Bool => Value::Bool(n != 0),
        TinyInt => Value::Int(n as u8 as i8 as i64),
        SmallInt => Value::Int(n as i16 as i64),
        Int | BigInt => Value::Int(n as i64),
        UTinyInt => Value::UInt(n as u8 as u64),
        USmallInt | UInt | UBigInt => Value::UInt(n as u64),
        Float => Value::Float(n as f32),
        Double => Value::Double(n as f64),
        Timestamp => Value::Timestamp(n as i64),
        _ => Value::Null,
    }
}

/// A present JSON member as a string that sorts like `compareJsonVal` (type id first: NULL 0,
/// BOOL 1, DOUBLE 7, NCHAR 10; doubles through an order-preserving bit pattern; strings by code
/// point).
fn json_key(v: &serde_json::Value) -> Value {
    use serde_json::Value as J;
    Value::Str(match v {
        J::Null => "0".to_string(),
        J::Bool(b) => format!("1{}", *b as u8),
        J::Number(n) => {
            let bits = n.as_f64().unwrap_or(0.0).to_bits();
            let ordered = if bits >> 63 == 1 { !bits } else { bits | 1 << 63 };
            format!("7{:016x}", ordered)
        }
        J::String(s) => format!("A{}", s),
        other => format!("B{}", other),
    })
}

/// Ordering for ORDER BY / DISTINCT (NULLs handled by the caller).
pub fn sort_cmp(a: &Value, b: &Value) -> Ordering {
    match (a.is_null(), b.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Less,
        (false, true) => Ordering::Greater,
        _ => compare(a, b).unwrap_or(Ordering::Equal),
    }
}

impl BExpr {
    /// Whether evaluating it can fail at run time (see [`EvalEnv::fail`]): such expressions are
    /// evaluated whole, never streamed, so that the error is the answer.
    pub fn may_fault(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| {
            found |= matches!(e, BExpr::ToDecimal(..) | BExpr::Func(Scalar::ToTimestamp, _))
        });
        found
    }

    /// Calls `f` on this expression and every one inside it.
    pub fn visit(&self, f: &mut dyn FnMut(&BExpr)) {
        f(self);
        match self {
            BExpr::Col(_) | BExpr::Lit(_) | BExpr::Agg(_) | BExpr::WStart | BExpr::WEnd
            | BExpr::WDuration => {}
            BExpr::Unscale(e, _)
            | BExpr::NegDecimal(e)
            | BExpr::JsonGet(e, _)
            | BExpr::JsonKey(e, _)
            | BExpr::JsonRawCast(e, _, _)
            | BExpr::ToJson(e)
            | BExpr::DecText(e, _)
            | BExpr::ToDecimal(e, _, _)
            | BExpr::TsAddMonths(e, _)
            | BExpr::Neg(e)
            | BExpr::Not(e)
            | BExpr::IsNull(e, _)
            | BExpr::Like(e, _, _)
            | BExpr::Regex(e, _, _)
            | BExpr::Cast(e, _) => e.visit(f),
            BExpr::DecArith(_, a, b, _) => {
                a.0.visit(f);
                b.0.visit(f);
            }
            BExpr::Arith(_, a, b)
            | BExpr::Bits(_, a, b)
            | BExpr::TsArith(_, a, b)
            | BExpr::Cmp(_, a, b)
            | BExpr::JsonCmp(_, a, b)
            | BExpr::And(a, b)
            | BExpr::Or(a, b) => {
                a.visit(f);
                b.visit(f);
            }
            BExpr::In(e, l, _) => {
                e.visit(f);
                l.iter().for_each(|x| x.visit(f));
            }
            BExpr::Between(a, b, c, _) => {
                a.visit(f);
                b.visit(f);
                c.visit(f);
            }
            BExpr::Func(_, args) => args.iter().for_each(|x| x.visit(f)),
            BExpr::Case(o, w, e) => {
                if let Some(x) = o {
                    x.visit(f);
                }
                for (a, b) in w {
                    a.visit(f);
                    b.visit(f);
                }
                if let Some(x) = e {
                    x.visit(f);
                }
            }
        }
    }

    pub fn contains_agg(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| found |= matches!(e, BExpr::Agg(_)));
        found
    }

    /// Evaluates at a row (`row`, if any) inside a group (`g`, if any).
    pub fn eval(
        &self,
        rel: &Relation,
        row: Option<RowRef>,
        g: Option<&GroupCtx>,
        env: &EvalEnv,
    ) -> Value {
        match self {
            BExpr::Col(c) => match row {
                Some(r) => rel.value(*c, r),
                None => Value::Null,
            },
            BExpr::Lit(v) => v.clone(),
            BExpr::Neg(e) => match to_f64(&e.eval(rel, row, g, env)) {
                Some(f) => Value::Double(-f),
                None => Value::Null,
            },
            BExpr::Not(e) => Value::Bool(!truthy(&e.eval(rel, row, g, env))),
            BExpr::Arith(op, a, b) => {
                let (Some(x), Some(y)) = (
                    to_f64(&a.eval(rel, row, g, env)),
                    to_f64(&b.eval(rel, row, g, env)),
                ) else {
                    return Value::Null;
                };
                let r = match op {
                    BinOp::Add => x + y,
                    BinOp::Sub => x - y,
                    BinOp::Mul => x * y,
                    BinOp::Div => {
                        if y == 0.0 {
                            return Value::Null;
                        }
                        x / y
                    }
                    BinOp::Mod => {
                        if y == 0.0 {
                            return Value::Null;
                        }
                        // computed in doubles as x - trunc(x / y) * y, like TDengine
                        x - (x / y).trunc() * y
                    }
                    BinOp::BitAnd => ((x as i64) & (y as i64)) as f64,
                    BinOp::BitOr => ((x as i64) | (y as i64)) as f64,
                    _ => return Value::Null,
                };
                Value::Double(r)
            }
            BExpr::Bits(op, a, b) => {
                let (Some(x), Some(y)) = (
                    as_bigint(&a.eval(rel, row, g, env)),
                    as_bigint(&b.eval(rel, row, g, env)),
                ) else {
                    return Value::Null;
                };
                Value::Int(if *op == BinOp::BitAnd { x & y } else { x | y })
            }
            BExpr::TsAddMonths(a, months) => match a.eval(rel, row, g, env) {
                Value::Timestamp(t) | Value::Int(t) => {
                    super::time::add_months(t, *months, env.tz, env.precision)
                        .map(Value::Timestamp)
                        .unwrap_or(Value::Null)
                }
                _ => Value::Null,
            },
            BExpr::TsArith(neg, a, b) => {
                let av = a.eval(rel, row, g, env);
                let bv = b.eval(rel, row, g, env);
                match (to_i128(&av), to_i128(&bv)) {
                    (Some(x), Some(y)) => {
                        Value::Timestamp((if *neg { x - y } else { x + y }) as i64)
                    }
                    _ => Value::Null,
                }
            }
            BExpr::JsonCmp(op, a, b) => {
                let av = a.eval(rel, row, g, env);
                let bv = b.eval(rel, row, g, env);
                if json_class(&av).is_none() || json_class(&av) != json_class(&bv) {
                    return Value::Bool(false);
                }
                Value::Bool(compare(&av, &bv).is_some_and(|o| cmp_holds(*op, o)))
            }
            BExpr::Cmp(op, a, b) => {
                let av = a.eval(rel, row, g, env);
                let bv = b.eval(rel, row, g, env);
                Value::Bool(compare(&av, &bv).is_some_and(|o| cmp_holds(*op, o)))
            }
            BExpr::And(a, b) => {
                Value::Bool(truthy(&a.eval(rel, row, g, env)) && truthy(&b.eval(rel, row, g, env)))
            }
            BExpr::Or(a, b) => {
                Value::Bool(truthy(&a.eval(rel, row, g, env)) || truthy(&b.eval(rel, row, g, env)))
            }
            BExpr::IsNull(e, negated) => {
                Value::Bool(e.eval(rel, row, g, env).is_null() != *negated)
            }
            BExpr::In(e, list, negated) => {
                let v = e.eval(rel, row, g, env);
                if v.is_null() {
                    return Value::Bool(false);
                }
                let found = list
                    .iter()
                    .any(|x| compare(&v, &x.eval(rel, row, g, env)) == Some(Ordering::Equal));
                Value::Bool(found != *negated)
            }
            BExpr::Between(e, lo, hi, negated) => {
                let v = e.eval(rel, row, g, env);
                let (Some(a), Some(b)) = (
                    compare(&v, &lo.eval(rel, row, g, env)),
                    compare(&v, &hi.eval(rel, row, g, env)),
                ) else {
                    return Value::Bool(false);
                };
                Value::Bool((a != Ordering::Less && b != Ordering::Greater) != *negated)
            }
            BExpr::Like(e, pat, negated) => match e.eval(rel, row, g, env) {
                Value::Str(s) => Value::Bool(pat.matches(&s) != *negated),
                Value::Null => Value::Bool(false),
                _ => Value::Bool(false),
            },
            BExpr::Regex(e, re, negated) => match e.eval(rel, row, g, env) {
                Value::Str(s) => Value::Bool(re.is_match(&s) != *negated),
                Value::Null => Value::Bool(false),
                _ => Value::Bool(false),
            },
            BExpr::Func(f, args) => {
                let vals: Vec<Value> = args.iter().map(|a| a.eval(rel, row, g, env)).collect();
                eval_scalar(*f, &vals, env)
            }
            BExpr::Cast(e, field) => cast_value(e.eval(rel, row, g, env), field, env),
            BExpr::Case(operand, whens, else_) => {
                let op = operand.as_ref().map(|o| o.eval(rel, row, g, env));
                for (c, v) in whens {
                    let cv = c.eval(rel, row, g, env);
                    let hit = match &op {
                        Some(o) => compare(o, &cv) == Some(Ordering::Equal),
                        None => truthy(&cv),
                    };
                    if hit {
                        return v.eval(rel, row, g, env);
                    }
                }
                else_
                    .as_ref()
                    .map(|e| e.eval(rel, row, g, env))
                    .unwrap_or(Value::Null)
            }
            BExpr::Unscale(e, scale) => match e.eval(rel, row, g, env) {
                Value::Decimal(d) => Value::Double(d as f64 / 10f64.powi(*scale as i32)),
                other => other,
            },
            BExpr::DecArith(op, a, b, out_scale) => {
                let (Some(x), Some(y)) = (
                    dec_operand(&a.0.eval(rel, row, g, env)),
                    dec_operand(&b.0.eval(rel, row, g, env)),
                ) else {
                    return Value::Null;
                };
                dec_arith(*op, x, a.1, y, b.1, *out_scale)
                    .map(Value::Decimal)
                    .unwrap_or(Value::Null)
            }
            BExpr::DecText(e, scale) => match e.eval(rel, row, g, env) {
                // 3.3.7.5 writes a zero as '0' whatever its scale (0.10 stays '0.10')
                Value::Decimal(0) => Value::Str("0".to_owned()),
                Value::Decimal(d) => Value::Str(super::convert::format_decimal(d, *scale)),
                other => other,
            },
            BExpr::ToDecimal(e, p, sc) => match to_decimal(&e.eval(rel, row, g, env), *p, *sc) {
                Ok(v) => v.map(Value::Decimal).unwrap_or(Value::Null),
                Err(e) => {
                    env.fail(e);
                    Value::Null
                }
            },
            BExpr::NegDecimal(e) => match e.eval(rel, row, g, env) {
                Value::Decimal(d) => Value::Decimal(-d),
                other => other,
            },
            BExpr::JsonGet(e, key) => match e.eval(rel, row, g, env) {
                Value::Str(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                    Ok(serde_json::Value::Object(m)) => match m.get(key) {
                        Some(serde_json::Value::String(x)) => Value::Str(x.clone()),
                        Some(serde_json::Value::Number(n)) => {
                            Value::Double(n.as_f64().unwrap_or(0.0))
                        }
                        Some(serde_json::Value::Bool(b)) => Value::Bool(*b),
                        _ => Value::Null,
                    },
                    _ => Value::Null,
                },
                _ => Value::Null,
            },
            BExpr::JsonRawCast(e, key, f) => match e.eval(rel, row, g, env) {
                Value::Str(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                    Ok(serde_json::Value::Object(m)) => {
                        m.get(key).map_or(Value::Null, |v| json_raw_cast(v, f))
                    }
                    _ => Value::Null,
                },
                _ => Value::Null,
            },
            BExpr::JsonKey(e, key) => match e.eval(rel, row, g, env) {
                Value::Str(s) => match serde_json::from_str::<serde_json::Value>(&s) {
                    Ok(serde_json::Value::Object(m)) => m.get(key).map_or(Value::Null, json_key),
                    _ => Value::Null,
                },
                _ => Value::Null,
            },
            BExpr::ToJson(e) => match e.eval(rel, row, g, env) {
                Value::Str(s) => Value::Str(serde_json::Value::String(s).to_string()),
                Value::Double(d) => Value::Str(format!("{:?}", d)),
                Value::Bool(b) => Value::Str(b.to_string()),
                other => other,
            },
            BExpr::Agg(i) => g
                .and_then(|g| g.aggs.get(*i).cloned())
                .unwrap_or(Value::Null),
            BExpr::WStart => g
                .and_then(|g| g.window)
                .map(|w| Value::Timestamp(w.0))
                .unwrap_or(Value::Null),
            BExpr::WEnd => g
                .and_then(|g| g.window)
                .map(|w| Value::Timestamp(w.1))
                .unwrap_or(Value::Null),
            BExpr::WDuration => g
                .and_then(|g| g.window)
                .map(|w| Value::Int(w.2))
                .unwrap_or(Value::Null),
        }
    }
}

/// Text of a value for string functions and casts.
pub fn value_to_string(v: &Value, env: &EvalEnv) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => format!("{}", f),
        Value::Double(d) => format!("{}", d),
        // `2024-01-01 08:00:00.000` in the server timezone, as casts to strings print it
        Value::Timestamp(t) => {
            let iso = super::time::format_rfc3339(*t, env.precision, env.tz);
            let digits = 20
                + match env.precision {
                    Precision::Millisecond => 3,
                    Precision::Microsecond => 6,
                    Precision::Nanosecond => 9,
                };
            iso.get(..digits).unwrap_or(&iso).replacen('T', " ", 1)
        }
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Decimal(d) => d.to_string(),
    })
}

/// CAST of a value to a non-DECIMAL type (the rules are in `cast`).
pub fn cast_value(v: Value, f: &Field, env: &EvalEnv) -> Value {
    super::cast::cast_value(v, f, env)
}

fn eval_scalar(f: Scalar, a: &[Value], env: &EvalEnv) -> Value {
    use Scalar::*;
    let num = |i: usize| a.get(i).and_then(to_f64);
    let txt = |i: usize| a.get(i).and_then(|v| value_to_string(v, env));
    let keep_int = |v: &Value, r: f64| match v {
        Value::Int(_) => Value::Int(r as i64),
        Value::UInt(_) => Value::UInt(r as u64),
        Value::Float(_) => Value::Float(r as f32),
        _ => Value::Double(r),
    };
    match f {
        // round(x, d) / truncate(x, d) as TDengine's scalar functions compute them: scaled by
        // 10^d (d need not be whole), in FLOAT's own precision for a FLOAT, then cast back to
        // x's type (an integer truncates); an infinite or NaN result is NULL
        Round | Truncate if a.len() > 1 => {
            let (Some(x), Some(d)) = (num(0), num(1)) else {
                return Value::Null;
            };
            let round = f == Round;
            match &a[0] {
                Value::Float(x) => {
                    let r = scaled_f32(*x, d as f32, round);
                    if r.is_finite() { Value::Float(r) } else { Value::Null }
                }
                Value::Int(_) => Value::Int(scaled_f64(x, d, round) as i64),
                Value::UInt(_) => Value::UInt(scaled_f64(x, d, round) as u64),
                _ => {
                    let r = scaled_f64(x, d, round);
                    if r.is_finite() { Value::Double(r) } else { Value::Null }
                }
            }
        }
        Sign => match num(0) {
            Some(x) => keep_int(&a[0], if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }),
            None => Value::Null,
        },
        ModFn => match (num(0), num(1)) {
            (Some(x), Some(y)) if y != 0.0 => Value::Double(x - (x / y).trunc() * y),
            _ => Value::Null,
        },
        Ln => match num(0) {
            Some(x) if x > 0.0 => Value::Double(x.ln()),
            _ => Value::Null,
        },
        Pi => Value::Double(std::f64::consts::PI),
        // as TDengine computes them: x * (1/π) * 180 and x / 180 * π
        Degrees => num(0).map_or(Value::Null, |x| Value::Double(x * std::f64::consts::FRAC_1_PI * 180.0)),
        Radians => num(0).map_or(Value::Null, |x| Value::Double(x / 180.0 * std::f64::consts::PI)),
        Rand => {
            // the binder appends the call's instance number when its seed is a constant
            let instance = match a.get(1) {
                Some(Value::Int(i)) => Some(*i),
                _ => None,
            };
            let done = instance.is_some_and(|i| env.rand_seeded.borrow().contains(&i));
            let seed = match a.first() {
                Some(Value::Int(i)) => Some(*i as i32 as u32),
                Some(Value::UInt(u)) => Some(*u as i32 as u32),
                _ => None,
            };
            if let (false, Some(seed)) = (done, seed) {
                super::crand::seed(seed);
                if let Some(i) = instance {
                    env.rand_seeded.borrow_mut().push(i);
                }
            }
            Value::Double(super::crand::next_unit())
        }
        Asin | Acos | Atan => {
            let Some(x) = num(0) else { return Value::Null };
            let r = match f {
                Asin => x.asin(),
                Acos => x.acos(),
                _ => x.atan(),
            };
            if r.is_nan() {
                Value::Null
            } else {
                Value::Double(r)
            }
        }
        Replace => match (txt(0), txt(1), txt(2)) {
            (Some(s), Some(from), Some(to)) => Value::Str(if from.is_empty() {
                s
            } else {
                s.replace(&from, &to)
            }),
            _ => Value::Null,
        },
        Repeat => match (txt(0), num(1)) {
            (Some(s), Some(n)) => Value::Str(s.repeat(n.max(0.0) as usize)),
            _ => Value::Null,
        },
        Position => match (txt(0), txt(1)) {
            (Some(needle), Some(hay)) => Value::Int(
                hay.find(&needle)
                    .map(|b| hay[..b].chars().count() as i64 + 1)
                    .unwrap_or(0),
            ),
            _ => Value::Null,
        },
        Ascii => match txt(0) {
            Some(s) => Value::UInt(s.bytes().next().unwrap_or(0) as u64),
            None => Value::Null,
        },
        CharFn => {
            // each argument is a code written as its big-endian bytes, leading zero bytes left
            // out (`char(20320)` = "O`"); NULLs are skipped
            let mut out = Vec::new();
            for v in a.iter() {
                let code = match v {
                    Value::Null => continue,
                    Value::Str(s) => leading_int(s) as u32,
                    other => to_f64(other).map(|x| x as i64 as u32).unwrap_or(0),
                };
                let bytes = code.to_be_bytes();
                let first = bytes.iter().position(|&b| b != 0).unwrap_or(3);
                out.extend_from_slice(&bytes[first..]);
            }
            Value::Str(String::from_utf8_lossy(&out).into_owned())
        }
        SubstringIndex => match (txt(0), txt(1), num(2)) {
            (Some(s), Some(delim), Some(count)) => {
                Value::Str(substring_index(&s, &delim, count as i64))
            }
            _ => Value::Null,
        },
        Crc32NChar => match txt(0) {
            Some(s) => {
                let mut c = flate2::Crc::new();
                c.update(&ucs4(&s));
                Value::UInt(c.sum() as u64)
            }
            None => Value::Null,
        },
        ToBase64NChar => match txt(0) {
            Some(s) => {
                use base64::Engine as _;
                Value::Str(base64::engine::general_purpose::STANDARD.encode(ucs4(&s)))
            }
            None => Value::Null,
        },
        Greatest | Least => {
            // arguments already converted to the result type; any NULL makes NULL; the best
            // so far gives way to an argument it does not beat (ties: the later one)
            if a.iter().any(|v| v.is_null()) {
                return Value::Null;
            }
            let beats = if f == Greatest { Ordering::Greater } else { Ordering::Less };
            let mut best = 0;
            for j in 1..a.len() {
                if compare(&a[best], &a[j]) != Some(beats) {
                    best = j;
                }
            }
            a.get(best).cloned().unwrap_or(Value::Null)
        }
        Md5 => match txt(0) {
            Some(s) => {
                use md5::Digest;
                let d = md5::Md5::digest(s.as_bytes());
                Value::Str(d.iter().map(|b| format!("{:02x}", b)).collect())
            }
            None => Value::Null,
        },
        // over the value as text; 3.3.7.5 writes a BOOL as 1/0 and a TIMESTAMP as its local
        // time to the second (`2024-01-01 00:00:00` for .000 and .123 alike)
        Crc32 => match match a.first() {
            Some(Value::Bool(b)) => Some(if *b { "1" } else { "0" }.to_string()),
            Some(Value::Timestamp(t)) => {
                local_datetime(*t, env).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string())
            }
            _ => txt(0),
        } {
            Some(s) => {
                let mut c = flate2::Crc::new();
                c.update(s.as_bytes());
                Value::UInt(c.sum() as u64)
            }
            None => Value::Null,
        },
        ToBase64 => match txt(0) {
            Some(s) => {
                use base64::Engine as _;
                Value::Str(base64::engine::general_purpose::STANDARD.encode(s.as_bytes()))
            }
            None => Value::Null,
        },
        ServerStatus => Value::Int(1),
        ToChar => match (a.first(), txt(1)) {
            (Some(Value::Timestamp(t)), Some(fmt)) => {
                super::timefmt::to_char(*t, &fmt, env.precision, env.server_tz)
                    .map(Value::Str)
                    .unwrap_or(Value::Null)
            }
            _ => Value::Null,
        },
        ToTimestamp => {
            // the binder appends whether each argument is an NCHAR (read as 3.3.7.5 reads
            // UCS-4: the first character's bytes up to a zero byte)
            let text = |i: usize| -> Option<Vec<u8>> {
                let s = txt(i)?;
                Some(if matches!(a.get(2 + i), Some(Value::Bool(true))) {
                    let first = s.chars().next().map_or(0, |c| c as u32).to_le_bytes();
                    first.iter().take_while(|&&b| b != 0).copied().collect()
                } else {
                    s.into_bytes()
                })
            };
            let (Some(s), Some(fmt)) = (text(0), text(1)) else {
                return Value::Null;
            };
            let fmt = String::from_utf8_lossy(&fmt).into_owned();
            match super::timefmt::to_timestamp(&s, &fmt, env.precision, env.tz) {
                Ok(t) => Value::Timestamp(t),
                Err(e) => {
                    env.fail(e);
                    Value::Null
                }
            }
        }
        Weekday | DayOfWeek | Week | WeekOfYear => {
            // the binder appends whether the value is read (see `time_argument`) and, for
            // week, the mode
            let reads = matches!(a.last(), Some(Value::Bool(true)));
            let Some(t) = time_argument(a.first(), reads, env) else {
                return Value::Null;
            };
            let Some(d) = local_datetime(t, env) else {
                return Value::Null;
            };
            use chrono::Datelike;
            let wd = d.weekday();
            Value::Int(match f {
                Weekday => wd.num_days_from_monday() as i64,
                DayOfWeek => wd.num_days_from_sunday() as i64 + 1,
                _ => {
                    // a mode read from a column outside 0..=7 names no week
                    let mode = match a.get(1) {
                        Some(Value::Int(m)) if f == Week && (0..=7).contains(m) => *m as u32,
                        Some(Value::UInt(m)) if f == Week && *m <= 7 => *m as u32,
                        Some(Value::Bool(_)) | None => 3,
                        _ if f == Week => return Value::Null,
                        _ => 3,
                    };
                    super::weeks::week(d.year() as i64, d.month() as i64, d.day() as i64, mode)
                }
            })
        }
        TimeDiff => {
            let ts = |v: &Value| match v {
                Value::Timestamp(t) | Value::Int(t) => Some(*t),
                Value::Str(s) => super::time::parse_timestamp(s, env.tz, env.precision),
                _ => None,
            };
            match (a.first().and_then(ts), a.get(1).and_then(ts)) {
                (Some(x), Some(y)) => {
                    let unit = match a.get(2) {
                        Some(Value::Int(u)) if *u > 0 => *u,
                        _ => 1,
                    };
                    Value::Int((x - y) / unit)
                }
                _ => Value::Null,
            }
        }
        ToJsonTag => match a.first() {
            Some(Value::Str(s)) => super::convert::normalize_json_tag(s).unwrap_or(Value::Null),
            _ => Value::Null,
        },
        JsonContains => match (a.first(), txt(1)) {
            (Some(Value::Str(s)), Some(k)) => Value::Bool(
                matches!(serde_json::from_str::<serde_json::Value>(s), Ok(serde_json::Value::Object(m)) if m.contains_key(&k)),
            ),
            _ => Value::Bool(false),
        },
        StGeomFromText => match txt(0) {
            Some(s) => super::convert::wkt_to_wkb(&s)
                .map(Value::Bytes)
                .unwrap_or(Value::Null),
            None => Value::Null,
        },
        StAsText => match a.first() {
            Some(Value::Bytes(b)) => super::geometry::wkb_to_wkt(b)
                .map(Value::Str)
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        StIntersects | StContains => match (a.first(), a.get(1)) {
            (Some(Value::Bytes(x)), Some(Value::Bytes(y))) => {
                super::geometry::relate(x, y, f == StContains)
                    .map(Value::Bool)
                    .unwrap_or(Value::Null)
            }
            _ => Value::Null,
        },
        Abs | Ceil | Floor | Round | Truncate => {
            let Some(x) = num(0) else { return Value::Null };
            let r = match f {
                Abs => x.abs(),
                Ceil => x.ceil(),
                Floor => x.floor(),
                Truncate => x.trunc(),
                _ => x.round(),
            };
            keep_int(&a[0], r)
        }
        Sqrt | Log | Exp | Sin | Cos | Tan | Pow => {
            let Some(x) = num(0) else { return Value::Null };
            let r = match f {
                Sqrt => x.sqrt(),
                Exp => x.exp(),
                Sin => x.sin(),
                Cos => x.cos(),
                Tan => x.tan(),
                // log(x, base): NULL with a NULL base, and for base 1 (TDengine's tlog2)
                Log if a.len() > 1 => match num(1) {
                    Some(b) if b.ln() == 0.0 && x.ln().is_finite() => f64::INFINITY,
                    Some(b) => {
                        let (l, lb) = (x.ln(), b.ln());
                        if !l.is_finite() { l } else if !lb.is_finite() { lb } else { l / lb }
                    }
                    None => return Value::Null,
                },
                Log => x.ln(),
                _ => match num(1) {
                    Some(y) => x.powf(y),
                    None => return Value::Null,
                },
            };
            // TDengine answers NULL for an infinite result too (exp(1000), log(0))
            if !r.is_finite() {
                Value::Null
            } else {
                Value::Double(r)
            }
        }
        Length => match a.first() {
            Some(Value::Str(s)) => Value::Int(s.len() as i64),
            Some(Value::Bytes(b)) => Value::Int(b.len() as i64),
            _ => Value::Null,
        },
        LengthNChar => match a.first() {
            Some(Value::Str(s)) => Value::Int(s.chars().count() as i64 * 4),
            _ => Value::Null,
        },
        CharLength => match a.first() {
            Some(Value::Str(s)) => Value::Int(s.chars().count() as i64),
            Some(Value::Bytes(b)) => Value::Int(b.len() as i64),
            _ => Value::Null,
        },
        Lower => txt(0)
            .map(|s| Value::Str(s.to_ascii_lowercase()))
            .unwrap_or(Value::Null),
        Upper => txt(0)
            .map(|s| Value::Str(s.to_ascii_uppercase()))
            .unwrap_or(Value::Null),
        Ltrim => txt(0)
            .map(|s| Value::Str(s.trim_start_matches(is_trim_space).to_string()))
            .unwrap_or(Value::Null),
        Rtrim => txt(0)
            .map(|s| Value::Str(s.trim_end_matches(is_trim_space).to_string()))
            .unwrap_or(Value::Null),
        Trim | TrimLeading | TrimTrailing => {
            let (left, right) = (f != TrimTrailing, f != TrimLeading);
            if a.len() == 1 {
                let Some(s) = txt(0) else { return Value::Null };
                let mut t = s.as_str();
                if left {
                    t = t.trim_start_matches(is_trim_space);
                }
                if right {
                    t = t.trim_end_matches(is_trim_space);
                }
                return Value::Str(t.to_string());
            }
            let (Some(chars), Some(s)) = (txt(0), txt(1)) else {
                return Value::Null;
            };
            // the whole `chars` string, removed as many times as it repeats at each end
            let mut t = s.as_str();
            if !chars.is_empty() {
                if left {
                    while let Some(r) = t.strip_prefix(chars.as_str()) {
                        t = r;
                    }
                }
                if right {
                    while let Some(r) = t.strip_suffix(chars.as_str()) {
                        t = r;
                    }
                }
            }
            Value::Str(t.to_string())
        }
        Concat => {
            let mut out = String::new();
            for i in 0..a.len() {
                match txt(i) {
                    Some(s) => out.push_str(&s),
                    None => return Value::Null,
                }
            }
            Value::Str(out)
        }
        ConcatWs => {
            let Some(sep) = txt(0) else {
                return Value::Null;
            };
            // any NULL argument makes the result NULL
            let parts: Option<Vec<String>> = (1..a.len()).map(txt).collect();
            match parts {
                Some(p) => Value::Str(p.join(&sep)),
                None => Value::Null,
            }
        }
        Substr => {
            let Some(s) = txt(0) else { return Value::Null };
            let chars: Vec<char> = s.chars().collect();
            let pos = num(1).unwrap_or(1.0) as i64;
            if pos == 0 {
                return Value::Str(String::new());
            }
            let start = if pos > 0 {
                (pos - 1) as usize
            } else if pos < 0 {
                chars.len().saturating_sub((-pos) as usize)
            } else {
                0
            };
            let len = num(2).map(|l| l.max(0.0) as usize).unwrap_or(usize::MAX);
            Value::Str(chars.iter().skip(start).take(len).collect())
        }
        ToIso8601 => match a.first() {
            Some(Value::Timestamp(t)) | Some(Value::Int(t)) => {
                to_iso8601(*t, txt(1).as_deref(), env).map(Value::Str).unwrap_or(Value::Null)
            }
            Some(Value::UInt(u)) => {
                to_iso8601(*u as i64, txt(1).as_deref(), env).map(Value::Str).unwrap_or(Value::Null)
            }
            _ => Value::Null,
        },
        ToUnixTimestamp => match a.first() {
            Some(Value::Str(s)) => super::time::parse_timestamp(s, env.tz, env.precision)
                .map(|t| {
                    if matches!(a.get(1), Some(Value::Int(1))) {
                        Value::Timestamp(t)
                    } else {
                        Value::Int(t)
                    }
                })
                .unwrap_or(Value::Null),
            _ => Value::Null,
        },
        TimeTruncate => {
            let (Some(v), Some(Value::Int(unit))) = (a.first(), a.get(1)) else {
                return Value::Null;
            };
            let reads = matches!(a.get(3), Some(Value::Bool(true)));
            let Some(t) = time_argument(Some(v), reads, env) else {
                return Value::Null;
            };
            let follow_zone = !matches!(a.get(2), Some(Value::Int(0)));
            Value::Timestamp(time_truncate(t, *unit, follow_zone, env))
        }
        Now => Value::Timestamp(env.now),
        Today => Value::Timestamp(super::time::today(env.tz, env.precision)),
        Database => env
            .db
            .map(|d| Value::Str(d.to_string()))
            .unwrap_or(Value::Null),
        ServerVersion | ClientVersion => Value::Str(env.server_version.to_string()),
        Timezone => Value::Str(timezone_label(env.tz, env.tz_label)),
        CurrentUser => Value::Str("root@localhost".into()),
    }
}

/// What TDengine's trim functions remove without a trim string: C `isspace`.
fn is_trim_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\u{0b}' | '\u{0c}')
}

/// The integer a string starts with, as C's `atoi` reads it (`'65'` → 65, `'A'` → 0).
fn leading_int(s: &str) -> i64 {
    let t = s.trim_start();
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let digits: String = body.chars().take_while(|c| c.is_ascii_digit()).collect();
    let v = digits.parse::<i64>().unwrap_or(0);
    if neg {
        -v
    } else {
        v
    }
}

/// `substring_index(s, delim, count)`: what precedes the count-th `delim` from the left
/// (count > 0) or follows it from the right (count < 0); all of `s` when there are fewer.
fn substring_index(s: &str, delim: &str, count: i64) -> String {
    if count == 0 || delim.is_empty() {
        return String::new();
    }
    if count > 0 {
        match s.match_indices(delim).nth(count as usize - 1) {
            Some((i, _)) => s[..i].to_string(),
            None => s.to_string(),
        }
    } else {
        let hits: Vec<usize> = s.match_indices(delim).map(|(i, _)| i).collect();
        let n = (-count) as usize;
        if hits.len() < n {
            return s.to_string();
        }
        s[hits[hits.len() - n] + delim.len()..].to_string()
    }
}

/// `to_iso8601(t[, zone])` as 3.3.7.5 prints it: seconds and fraction split by C's truncating
/// division (so -1 ms is second 0 with fraction `.-01`: `%03d` of -1, cut to the field's
/// width), the date in the zone given (else the session's, written `+hhmm`), a year past 9999
/// with all its digits.
fn to_iso8601(t: i64, zone: Option<&str>, env: &EvalEnv) -> Option<String> {
    use chrono::{Datelike, Offset};
    let per = env.precision.per_second();
    let (secs, frac) = (t / per, t % per);
    let digits = super::cast::fraction_digits(env.precision);
    let offset = match zone {
        Some(z) => parse_offset_text(z)?,
        None => chrono::DateTime::from_timestamp(secs, 0)
            .map(|d| d.with_timezone(&env.tz).offset().fix().local_minus_utc() as i64)?,
    };
    let d = chrono::DateTime::from_timestamp(secs.checked_add(offset)?, 0)?;
    let suffix = match zone {
        Some(z) => z.to_string(),
        None => format!(
            "{}{:02}{:02}",
            if offset < 0 { '-' } else { '+' },
            offset.abs() / 3600,
            offset.abs() % 3600 / 60
        ),
    };
    let mut fraction = format!("{:0w$}", frac, w = digits);
    fraction.truncate(digits);
    let year = d.year();
    let year = if year < 0 { format!("-{:04}", -year) } else { format!("{:04}", year) };
    Some(format!(
        "{}{}.{}{}",
        year,
        d.format("-%m-%dT%H:%M:%S"),
        fraction,
        suffix
    ))
}

/// The instant a time function's first argument names, as 3.3.7.5 reads it: a string parsed
/// (`None`, so NULL, when it is no timestamp), a BIGINT or TIMESTAMP as it is; any other type's
/// value is not read at all (`reads` false) and counts as 0.
fn time_argument(v: Option<&Value>, reads: bool, env: &EvalEnv) -> Option<i64> {
    match v? {
        Value::Null => None,
        _ if !reads => Some(0),
        Value::Timestamp(t) | Value::Int(t) => Some(*t),
        Value::Str(s) => super::time::parse_timestamp(s, env.tz, env.precision),
        _ => Some(0),
    }
}

/// `timetruncate` as 3.3.7.5 computes it, with C's truncating division and remainder: a day
/// or a week (weeks start on Thursday, as 1970-01-01 did) is cut at the session zone's midnight
/// when `follow_zone` (its offset now, as the zone text TDengine passes), other units at
/// multiples of the unit since the epoch.
fn time_truncate(t: i64, unit: i64, follow_zone: bool, env: &EvalEnv) -> i64 {
    use chrono::Offset;
    if unit <= 0 {
        return t;
    }
    let per = env.precision.per_second();
    let seconds = unit / per;
    if follow_zone && (seconds == 86_400 || seconds == 604_800) {
        let offset = in_zone(env.now, env.precision, env.tz)
            .map_or(0, |d| d.offset().fix().local_minus_utc() as i64);
        t.wrapping_sub(t.wrapping_add(offset * per) % unit)
    } else {
        t / unit * unit
    }
}

/// `+08:00`, `-0100`, `Z` → seconds east of UTC.
fn parse_offset_text(z: &str) -> Option<i64> {
    if !z.is_ascii() {
        return None;
    }
    if z == "Z" || z == "z" {
        return Some(0);
    }
    let sign = match z.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = z[1..].chars().filter(|c| c.is_ascii_digit()).collect();
    let (h, m) = match digits.len() {
        2 => (digits.parse::<i64>().ok()?, 0),
        4 => (
            digits[..2].parse::<i64>().ok()?,
            digits[2..].parse::<i64>().ok()?,
        ),
        _ => return None,
    };
    Some(sign * (h * 3600 + m * 60))
}

/// `timezone()`: "Asia/Shanghai (CST, +0800)", as `show variables like 'timezone'`; `label` is
/// the name the session gave (an unknown one reads as UTC but keeps its name).
pub(crate) fn timezone_label(tz: chrono_tz::Tz, label: Option<&str>) -> String {
    use chrono::Offset;
    let now = chrono::Utc::now().with_timezone(&tz);
    let secs = now.offset().fix().local_minus_utc();
    let sign = if secs < 0 { '-' } else { '+' };
    format!(
        "{} ({}, {}{:02}{:02})",
        label.unwrap_or(tz.name()),
        now.format("%Z"),
        sign,
        secs.abs() / 3600,
        secs.abs() % 3600 / 60
    )
}

/// A string as NCHAR stores it: UCS-4, little-endian.
fn ucs4(s: &str) -> Vec<u8> {
    s.chars().flat_map(|ch| (ch as u32).to_le_bytes()).collect()
}

fn local_datetime(t: i64, env: &EvalEnv) -> Option<chrono::DateTime<chrono_tz::Tz>> {
    in_zone(t, env.precision, env.tz)
}

fn in_zone(t: i64, p: Precision, tz: chrono_tz::Tz) -> Option<chrono::DateTime<chrono_tz::Tz>> {
    let per = p.per_second();
    chrono::DateTime::from_timestamp(t.div_euclid(per), 0).map(|d| d.with_timezone(&tz))
}

fn dec_operand(v: &Value) -> Option<i128> {
    match v {
        Value::Decimal(d) => Some(*d),
        Value::Int(i) => Some(*i as i128),
        Value::UInt(u) => Some(*u as i128),
        Value::Bool(b) => Some(*b as i128),
        _ => None,
    }
}

fn pow10(n: i32) -> Option<i128> {
    if n < 0 {
        return None;
    }
    10i128.checked_pow(n as u32)
}

/// `num / den` rounded half away from zero.
fn div_round(num: i128, den: i128) -> Option<i128> {
    if den == 0 {
        return None;
    }
    let q = num / den;
    let r = num % den;
    Some(if r.checked_abs()?.checked_mul(2)? >= den.checked_abs()? {
        q + if (num < 0) != (den < 0) { -1 } else { 1 }
    } else {
        q
    })
}

/// Rescales an unscaled value from scale `from` to `to` (rounding when shrinking).
fn rescale(v: i128, from: u8, to: u8) -> Option<i128> {
    if to >= from {
        v.checked_mul(pow10((to - from) as i32)?)
    } else {
        div_round(v, pow10((from - to) as i32)?)
    }
}

/// Exact DECIMAL `+ - * /` of unscaled operands.
pub fn dec_arith(op: BinOp, x: i128, xs: u8, y: i128, ys: u8, out: u8) -> Option<i128> {
    match op {
        BinOp::Add | BinOp::Sub => {
            let m = xs.max(ys);
            let (a, b) = (rescale(x, xs, m)?, rescale(y, ys, m)?);
            let r = if op == BinOp::Add {
                a.checked_add(b)?
            } else {
                a.checked_sub(b)?
            };
            rescale(r, m, out)
        }
        BinOp::Mul => rescale(x.checked_mul(y)?, xs + ys, out),
        BinOp::Div => {
            // x / y with `out` fraction digits: x * 10^(out - xs + ys) / y
            let shift = out as i32 - xs as i32 + ys as i32;
            let num = if shift >= 0 {
                x.checked_mul(pow10(shift)?)?
            } else {
                div_round(x, pow10(-shift)?)?
            };
            div_round(num, y)
        }
        _ => None,
    }
}

/// CAST to DECIMAL(p, s): `Ok(None)` for values that become NULL, `Err` for 317/306 (the
/// rules are in `cast`).
pub fn to_decimal(v: &Value, p: u8, s: u8) -> Result<Option<i128>, crate::types::TdError> {
    super::cast::to_decimal(v, p, s)
}

/// TDengine's `decimalFn` (`decimalfFn` for FLOAT, in its own precision): `x` rounded (or
/// truncated) at `d` decimal places through the scale 10^d; an infinite `x`, or a scaled value
/// out of range for d ≥ 0, is `x` itself.
macro_rules! scaled_fn {
    ($name:ident, $t:ty) => {
        fn $name(x: $t, d: $t, round: bool) -> $t {
            let f = |v: $t| if round { v.round() } else { v.trunc() };
            if x.is_infinite() {
                return x;
            }
            let scale = (10.0 as $t).powf(d);
            if d < 0.0 {
                return f(x * scale) / scale;
            }
            let scaled = x * scale;
            if scaled.is_infinite() {
                return x;
            }
            f(scaled) / scale
        }
    };
}
scaled_fn!(scaled_f64, f64);
scaled_fn!(scaled_f32, f32);
