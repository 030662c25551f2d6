//! What each scalar function accepts, as TDengine's function catalog states it: how many
//! parameters, and per parameter position which data types (by the catalog's type classes), and
//! whether it must be a literal or take one of a few fixed values. One check ([`check`]) answers
//! the catalog's errors: 10241 `Invalid number of parameters : f`, 10242 `Invalid parameter data
//! type : f`, 10243 `Invalid parameter value : f`.

use crate::engine::errors::{ecode, err};
use crate::sql::ast::Expr;
use crate::types::{DataType, Field, Precision, TdError};

/// Type classes of the catalog; a parameter accepts the union of its classes.
pub(crate) mod class {
    pub const ALL: u32 = 1 << 0;
    pub const NUMERIC: u32 = 1 << 1;
    pub const VAR: u32 = 1 << 2;
    /// VARCHAR, NCHAR, VARBINARY, BLOB.
    pub const STRING: u32 = 1 << 3;
    pub const BOOL: u32 = 1 << 4;
    pub const VARCHAR: u32 = 1 << 5;
    pub const TIMESTAMP: u32 = 1 << 6;
    pub const NCHAR: u32 = 1 << 7;
    pub const JSON: u32 = 1 << 8;
    pub const VARBINARY: u32 = 1 << 9;
    pub const GEOMETRY: u32 = 1 << 10;
    /// Signed and unsigned integers.
    pub const INTEGER: u32 = 1 << 11;
    /// A bare NULL literal.
    pub const NULL: u32 = 1 << 12;
    /// Integers, TIMESTAMP, VARCHAR and NCHAR (anything that can name an instant).
    pub const UNIX_TS: u32 = 1 << 13;
    pub const DECIMAL: u32 = 1 << 14;
    pub const BLOB: u32 = 1 << 15;
}

use class::*;

/// Whether a value of type `ty` (`is_null`: the argument is a bare NULL) fits `classes`.
pub(crate) fn accepts(classes: u32, ty: DataType, is_null: bool) -> bool {
    use DataType::*;
    let any = |c: u32| classes & (c | ALL) != 0;
    if is_null {
        return any(NULL);
    }
    match ty {
        Null => any(NULL),
        Bool => any(BOOL),
        TinyInt | SmallInt | Int | BigInt | UTinyInt | USmallInt | UInt | UBigInt => {
            any(NUMERIC | INTEGER | UNIX_TS)
        }
        Float | Double => any(NUMERIC),
        VarChar => any(VARCHAR | STRING | VAR | UNIX_TS),
        NChar => any(NCHAR | STRING | VAR | UNIX_TS),
        Timestamp => any(TIMESTAMP | UNIX_TS),
        Json => any(JSON | VAR),
        VarBinary => any(VARBINARY | VAR | STRING),
        Geometry => any(GEOMETRY | VAR),
        Decimal | Decimal64 => any(DECIMAL),
        Blob => any(BLOB | VAR | STRING),
    }
}

#[derive(Clone)]
/// Parameters `from..=to` (1-based; `to` 0 = every later one).
pub(crate) struct Param {
    from: usize,
    to: usize,
    classes: u32,
    /// Must be a literal (a "value node"): `concat_ws`'s separator, `to_iso8601`'s zone.
    literal: bool,
    /// The only integer values accepted (empty: any).
    fixed: &'static [i64],
    /// A time unit of one: `1s`, `1d`… (`timetruncate`, `timediff`).
    unit: bool,
}

const fn p(from: usize, to: usize, classes: u32) -> Param {
    Param { from, to, classes, literal: false, fixed: &[], unit: false }
}

const fn lit(from: usize, to: usize, classes: u32) -> Param {
    Param { from, to, classes, literal: true, fixed: &[], unit: false }
}

const fn fixed(from: usize, classes: u32, values: &'static [i64]) -> Param {
    Param { from, to: from, classes, literal: true, fixed: values, unit: false }
}

const fn unit(from: usize, classes: u32) -> Param {
    Param { from, to: from, classes, literal: true, fixed: &[], unit: true }
}

pub(crate) struct Signature {
    min: usize,
    /// `usize::MAX`: no upper bound.
    max: usize,
    params: Vec<Param>,
}

fn sig(min: usize, max: usize, params: Vec<Param>) -> Signature {
    Signature { min, max, params }
}

const MATH1: &[Param] = &[p(1, 1, NUMERIC | NULL)];
const MATH2: &[Param] = &[p(1, 2, NUMERIC | NULL)];
const STR_OR_NULL: u32 = VARCHAR | NCHAR | NULL;

/// The catalog entry of a scalar function (`None`: not a scalar function of the catalog, or one
/// checked where it is bound).
pub(crate) fn signature(name: &str) -> Option<Signature> {
    const MANY: usize = usize::MAX;
    Some(match name {
        "abs" | "ceil" | "floor" | "sqrt" | "sin" | "cos" | "tan" | "asin" | "acos" | "atan"
        | "exp" | "ln" | "sign" | "degrees" | "radians" => sig(1, 1, MATH1.to_vec()),
        "round" | "log" | "trunc" => sig(1, 2, MATH2.to_vec()),
        "pow" | "mod" | "truncate" => sig(2, 2, MATH2.to_vec()),
        "pi" | "now" | "today" | "timezone" | "database" | "client_version" | "server_version"
        | "server_status" | "current_user" | "user" => sig(0, 0, vec![]),
        "rand" => sig(0, 1, vec![p(1, 1, INTEGER | NULL)]),
        "length" => sig(1, 1, vec![p(1, 1, STRING | NULL)]),
        "char_length" => sig(1, 1, vec![p(1, 1, STR_OR_NULL)]),
        "lower" | "upper" | "ltrim" | "rtrim" => sig(1, 1, vec![p(1, 1, VARCHAR | NCHAR)]),
        "concat" => sig(2, 8, vec![p(1, 8, STR_OR_NULL)]),
        "concat_ws" => sig(3, 9, vec![lit(1, 1, STR_OR_NULL), p(2, 9, STR_OR_NULL)]),
        "substr" | "substring" => sig(2, 3, vec![p(1, 1, STR_OR_NULL), p(2, 3, INTEGER | NULL)]),
        "substring_index" => sig(3, 3, vec![p(1, 2, STR_OR_NULL), p(3, 3, INTEGER | NULL)],
        ),
        "trim" | "trim leading" | "trim trailing" => sig(1, 2, vec![p(1, 2, STR_OR_NULL)]),
        "replace" => sig(3, 3, vec![p(1, 3, STR_OR_NULL)]),
        "repeat" => sig(2, 2, vec![p(1, 1, STR_OR_NULL), p(2, 2, INTEGER | NULL)]),
        "position" => sig(2, 2, vec![p(1, 2, STR_OR_NULL)]),
        "ascii" => sig(1, 1, vec![p(1, 1, STR_OR_NULL)]),
        "char" => sig(1, MANY, vec![p(1, 0, VARCHAR | NCHAR | NUMERIC | NULL)]),
        "md5" => sig(1, 1, vec![p(1, 1, VARCHAR)]),
        "to_base64" => sig(1, 1, vec![p(1, 1, STR_OR_NULL)]),
        "crc32" => sig(1, 1, vec![p(1, 1, ALL)]),
        "to_iso8601" => sig(1, 2, vec![p(1, 1, INTEGER | TIMESTAMP), lit(2, 2, VARCHAR)]),
        "to_unixtimestamp" => sig(1, 2, vec![p(1, 1, VARCHAR | NCHAR), fixed(2, INTEGER, &[0, 1])]),
        "to_timestamp" => sig(2, 2, vec![p(1, 2, STRING)]),
        "to_char" => sig(2, 2, vec![p(1, 1, TIMESTAMP), p(2, 2, STRING)]),
        "to_json" => sig(1, 1, vec![lit(1, 1, VARCHAR | NCHAR)]),
        "timetruncate" => sig(2, 3, vec![
                p(1, 1, VARCHAR | NCHAR | TIMESTAMP | INTEGER),
                unit(2, INTEGER),
                fixed(3, INTEGER, &[0, 1]),
            ],
        ),
        "timediff" => sig(2, 3, vec![p(1, 2, VARCHAR | NCHAR | TIMESTAMP | INTEGER | NULL), unit(3, INTEGER | NULL)],
        ),
        "weekday" | "dayofweek" | "weekofyear" => sig(1, 1, vec![p(1, 1, UNIX_TS | NULL)]),
        // the mode may also be read from an integer column (3.3.7.5: `week(ts, v)`)
        "week" => sig(1, 2, vec![
            p(1, 1, UNIX_TS | NULL),
            Param { literal: false, ..fixed(2, INTEGER | NULL, &[0, 1, 2, 3, 4, 5, 6, 7]) },
        ]),
        "greatest" | "least" => sig(2, MANY, vec![p(1, 0, NUMERIC | NULL | BOOL | TIMESTAMP | VARCHAR | NCHAR)],
        ),
        "st_geomfromtext" => sig(1, 1, vec![p(1, 1, STRING | NULL)]),
        "st_astext" | "st_aswkt" => sig(1, 1, vec![p(1, 1, GEOMETRY | NULL)]),
        "st_makepoint" => sig(2, 2, vec![p(1, 2, NUMERIC | NULL)]),
        "st_intersects" | "st_equals" | "st_touches" | "st_covers" | "st_contains"
        | "st_containsproperly" => sig(2, 2, vec![p(1, 2, GEOMETRY | NULL)]),
        _ => return None,
    })
}

/// A literal as the catalog sees one: a constant written in the statement.
fn literal_int(e: &Expr) -> Option<Option<i128>> {
    match e {
        Expr::Int(v) => Some(Some(*v)),
        Expr::Neg(x) => match x.as_ref() {
            Expr::Int(v) => Some(Some(-*v)),
            Expr::Float(_) => Some(None),
            _ => None,
        },
        Expr::Float(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null | Expr::Duration { .. } => {
            Some(None)
        }
        _ => None,
    }
}

/// Checks the arguments of `name` (already bound: `fields`) against its catalog entry.
pub(crate) fn check(
    name: &str,
    s: &Signature,
    args: &[Expr],
    fields: &[Field],
    precision: Precision,
) -> Result<(), TdError> {
    if args.len() < s.min || args.len() > s.max {
        return Err(err(
            ecode::FUNC_PARAM_COUNT,
            format!("Invalid number of parameters : {}", name),
        ));
    }
    for (i, (a, f)) in args.iter().zip(fields).enumerate() {
        let pos = i + 1;
        let Some(param) = s
            .params
            .iter()
            .find(|q| pos >= q.from && (q.to == 0 || pos <= q.to))
        else {
            continue;
        };
        let is_null = matches!(a, Expr::Null);
        let lit = literal_int(a);
        if (param.literal && lit.is_none()) || !accepts(param.classes, f.ty, is_null) {
            return Err(err(
                ecode::FUNC_PARAM_TYPE,
                format!("Invalid parameter data type : {}", name),
            ));
        }
        if param.unit && !is_null {
            check_time_unit(name, a, precision)?;
        }
        // a fixed set of values is checked on a literal (a column is checked as it is read)
        if !param.fixed.is_empty() && !is_null && lit.is_some() {
            let ok = matches!(lit, Some(Some(v)) if param.fixed.iter().any(|&x| x as i128 == v));
            if !ok {
                return Err(err(
                    ecode::FUNC_PARAM_VALUE,
                    format!("Invalid parameter value : {}", name),
                ));
            }
        }
    }
    Ok(())
}

/// A time-unit parameter is a duration of one unit no finer than the database precision.
pub(crate) fn check_time_unit(name: &str, a: &Expr, precision: Precision) -> Result<(), TdError> {
    let Expr::Duration { value, unit } = a else {
        return Err(err(ecode::TIME_UNIT_INVALID, format!("Invalid timzone format : {}", name)));
    };
    let u = unit.to_ascii_lowercase();
    let too_small = *value == 1
        && ((precision == Precision::Millisecond && matches!(u, 'u' | 'b'))
            || (precision == Precision::Microsecond && u == 'b'));
    if too_small {
        return Err(err(ecode::TIME_UNIT_TOO_SMALL, format!("Time unit is too small : {}", name)));
    }
    if *value != 1 || !matches!(u, 'b' | 'u' | 'a' | 's' | 'm' | 'h' | 'd' | 'w') {
        return Err(err(ecode::TIME_UNIT_INVALID, format!("Invalid timzone format : {}", name)));
    }
    Ok(())
}

/// TDengine sizes variable-length results in bytes with a 2-byte length header (NCHAR: 4 bytes a
/// character); these convert between that and the length a result column reports.
pub(crate) fn bytes_of(f: &Field) -> i64 {
    match f.ty {
        DataType::NChar => f.len as i64 * 4 + 2,
        t if t.is_var() => f.len as i64 + 2,
        _ => f.len as i64,
    }
}

/// The reported length of a `ty` result of `bytes` bytes (a NULL argument makes 0 bytes, which
/// TDengine reports as 4294967294: the header subtracted from an unsigned 0).
pub(crate) fn len_of(ty: DataType, bytes: i64) -> u32 {
    match ty {
        DataType::NChar => ((bytes - 2) / 4) as u32,
        t if t.is_var() => (bytes - 2) as u32,
        _ => bytes as u32,
    }
}

/// The zones `to_iso8601` accepts: `z`/`Z`, `±hh`, `±hhmm`, `±hh:mm` with hours 0–12 and
/// minutes 00 (or 30 for `+03`/`+05`).
pub(crate) fn iso8601_zone_ok(z: &str) -> bool {
    let b = z.as_bytes();
    if b == b"z" || b == b"Z" {
        return true;
    }
    if b.is_empty() || !matches!(b[0], b'+' | b'-') {
        return false;
    }
    let digits = |s: &[u8]| s.iter().all(u8::is_ascii_digit);
    let (hh, mm) = match b.len() {
        3 => (&b[1..3], None),
        5 => (&b[1..3], Some(&b[3..5])),
        6 if b[3] == b':' => (&b[1..3], Some(&b[4..6])),
        _ => return false,
    };
    if !digits(hh) || !mm.is_none_or(digits) {
        return false;
    }
    let hour = (hh[0] - b'0') * 10 + (hh[1] - b'0');
    if hour > 12 {
        return false;
    }
    match mm {
        None => true,
        Some(m) => {
            let minute = (m[0] - b'0') * 10 + (m[1] - b'0');
            minute == 0 || (minute == 30 && matches!(hour, 3 | 5) && b[0] == b'+')
        }
    }
}

/// The catalog's parameter attributes beyond types for aggregate and several-rows functions:
/// first/last/last_row take no NULL literal (VALUE_NODE_NOT_NULL: 10242), mode and unique
/// must read a column (MUST_HAVE_COLUMN: 10260 `Parameter should have column : f`). Checked
/// once the count is right (3.3.7.5).
pub(crate) fn check_attributes(name: &str, args: &[Expr]) -> Result<(), TdError> {
    if matches!(name, "first" | "last" | "last_row") && args.iter().any(|a| matches!(a, Expr::Null)) {
        return Err(err(ecode::FUNC_PARAM_TYPE, format!("Invalid parameter data type : {name}")));
    }
    let reads_column = |a: &Expr| a.any(&|x| matches!(x, Expr::Column { .. }));
    if matches!(name, "mode" | "unique") && !args.first().is_some_and(reads_column) {
        return Err(err(10260, format!("Parameter should have column : {name}")));
    }
    Ok(())
}
