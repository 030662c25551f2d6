//! Binding a scalar function call: arity, argument types and the result type of each function.

use crate::engine::errors::{ecode, err, unsupported};
use crate::engine::eval::{BExpr, Scalar};
use crate::engine::query::functions::{scalar_of, AGGREGATES, KNOWN_UNSUPPORTED};
use crate::engine::query::rows_fns;
use crate::engine::query::signature::{self, bytes_of, len_of};
use crate::sql::ast::*;
use crate::types::{code, DataType, Field, TdError, Value};

use super::{vchar, Binder};

impl<'a, 'r> Binder<'a, 'r> {
    pub(crate) fn bind_func(
        &mut self,
        name: &str,
        args: &[Expr],
        in_agg: bool,
    ) -> Result<(BExpr, Field), TdError> {
        if rows_fns::is_rows_fn(name) {
            if !self.rows_mode || in_agg {
                return Err(err(ecode::NOT_ALLOWED_FUNC, rows_fns::NOT_ALLOWED_MSG));
            }
            return self.bind_rows_fn(name, args);
        }
        if name == "cols" {
            // bound as a select item of an aggregation; anywhere else TDengine's grammar
            // refuses it (its first argument must be a function call)
            if matches!(args.first(), Some(Expr::Func { .. })) && args.len() > 1 {
                return Err(err(
                    ecode::INVALID_COLS_SELECTFUNC,
                    "cols function's first param must be a select function that output a single row",
                ));
            }
            return Err(unsupported(&format!("{}()", name)));
        }
        if AGGREGATES.contains(&name) {
            if !self.agg_mode || in_agg {
                return Err(unsupported(name));
            }
            return self.bind_agg(name, args);
        }
        if name == "sample" {
            if let Some(Expr::Int(k)) = args.get(1) {
                if !(1..=1000).contains(k) {
                    return Err(err(
                        ecode::FUNC_PARAM_RANGE,
                        "Invalid parameter range : sample",
                    ));
                }
            }
        }
        let Some(f) = scalar_of(name) else {
            if KNOWN_UNSUPPORTED.contains(&name) {
                return Err(unsupported(&format!("{}()", name)));
            }
            return Err(err(code::MND_FUNC_NOT_EXIST, "Func not exists"));
        };
        let mut bargs = Vec::new();
        let mut fields: Vec<Field> = Vec::new();
        for a in args {
            let (b, fl) = self.bind(a, in_agg)?;
            bargs.push(b);
            fields.push(fl);
        }
        if let Some(sig) = signature::signature(name) {
            // `trim(leading … from …)` reports errors as trim's
            let shown = name.split(' ').next().unwrap_or(name);
            signature::check(shown, &sig, args, &fields, self.env_precision())?;
        }
        use Scalar::*;
        let out = match f {
            // of a bare NULL: a BIGINT NULL (3.3.7.5: abs(null), round(null, 1), sign(null))
            Abs | Ceil | Floor | Sign | Round | Truncate if matches!(args[0], Expr::Null) => {
                Field::fixed("", DataType::BigInt)
            }
            // sign(x) keeps x's type like abs(x) (3.3.7.5: sign(INT) INT, sign(INT UNSIGNED) …)
            Abs | Ceil | Floor | Sign => fields[0].clone(),
            // round(x, d) / truncate(x, d) keep x's type, as TDengine's (integers, FLOAT, DOUBLE)
            Round | Truncate if args.len() == 1 || keeps_numeric_type(fields[0].ty) => fields[0].clone(),
            Round => Field::fixed("", DataType::Double),
            Ln | Asin | Acos | Atan => {
                Field::fixed("", DataType::Double)
            }
            Truncate | ModFn => {
                Field::fixed("", DataType::Double)
            }
            Pi | Degrees | Radians => {
                Field::fixed("", DataType::Double)
            }
            Rand => {
                // a constant seed is applied once per query: the call gets an instance number
                if args.first().is_some_and(|a| literal_i64(a).is_some()) {
                    static INSTANCES: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
                    let n = INSTANCES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    bargs.push(BExpr::Lit(Value::Int(n)));
                }
                Field::fixed("", DataType::Double)
            }
            Replace => {
                // the catalog's estimate of the longest result, in bytes
                let (org, mut from, mut to) =
                    (bytes_of(&fields[0]), bytes_of(&fields[1]), bytes_of(&fields[2]));
                if fields[0].ty == DataType::VarBinary && fields[1].ty != fields[0].ty {
                    from /= 4;
                }
                if fields[0].ty == DataType::NChar && fields[2].ty != fields[0].ty {
                    to *= 4;
                }
                let bytes = org.max(org + org / from.max(1) * (to - from));
                Field::new("", fields[0].ty, len_of(fields[0].ty, bytes))
            }
            Repeat => {
                let bytes = match literal_i64(&args[1]) {
                    Some(n) => {
                        if bytes_of(&fields[0]) * n + 2 > MAX_BINARY_BYTES {
                            return Err(err(ecode::FUNC_RESULT_TOO_LONG, "Function result exceed max length"));
                        }
                        bytes_of(&fields[0]) * n.clamp(1, i32::MAX as i64)
                    }
                    None => MAX_BINARY_BYTES,
                };
                Field::new("", fields[0].ty, len_of(fields[0].ty, bytes))
            }
            Position => Field::fixed("", DataType::BigInt),
            Ascii => Field::fixed("", DataType::UTinyInt),
            CharFn => vchar("", 4 * args.len() as u32),
            Greatest | Least => {
                // a bare NULL makes the result NULL, typed VARCHAR(0)
                if args.iter().any(|a| matches!(a, Expr::Null)) {
                    return Ok((BExpr::Lit(Value::Null), Field::new("", DataType::VarChar, 0)));
                }
                let out = greatest_type(name, &fields)?;
                let bargs = bargs
                    .into_iter()
                    .zip(&fields)
                    .map(|(b, f)| {
                        if f.ty == out.ty {
                            b
                        } else {
                            BExpr::Cast(Box::new(b), out.clone())
                        }
                    })
                    .collect();
                return Ok((BExpr::Func(f, bargs), out));
            }
            Md5 => vchar("", 32),
            Crc32 | Crc32NChar => {
                if fields[0].ty == DataType::NChar {
                    return Ok((BExpr::Func(Crc32NChar, bargs), Field::fixed("", DataType::UInt)));
                }
                Field::fixed("", DataType::UInt)
            }
            ToBase64 | ToBase64NChar => {
                // base64 of the whole storage size, header included
                let bytes = (bytes_of(&fields[0]) + 2) / 3 * 4;
                let out = vchar("", len_of(DataType::VarChar, bytes));
                if fields[0].ty == DataType::NChar {
                    return Ok((BExpr::Func(ToBase64NChar, bargs), out));
                }
                out
            }
            ServerStatus => Field::fixed("", DataType::Int),
            ToChar => {
                vchar("", 4094)
            }
            ToTimestamp => {
                for f in &fields[..2] {
                    bargs.push(BExpr::Lit(Value::Bool(f.ty == DataType::NChar)));
                }
                Field::fixed("", DataType::Timestamp)
            }
            Weekday | DayOfWeek | Week | WeekOfYear => {
                // evaluated with week's mode (default 0) and whether the value is read
                if f == Week && bargs.len() == 1 {
                    bargs.push(BExpr::Lit(Value::Int(0)));
                }
                bargs.push(BExpr::Lit(Value::Bool(reads_time_value(fields[0].ty))));
                Field::fixed("", DataType::BigInt)
            }
            TimeDiff => {
                Field::fixed("", DataType::BigInt)
            }
            ToJsonTag => Field::new("", DataType::Json, 4095),
            JsonContains => {
                // of anything but a JSON tag: 512 (3.3.7.5 for VARCHAR, NCHAR, INT, BOOL columns)
                if fields[0].ty != DataType::Json {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                }
                // CONTAINS takes a whole JSON tag and a key string
                if matches!(bargs[0], BExpr::JsonGet(..)) {
                    return Err(err(ecode::JSON_NOT_SUPPORT, "Json not support in this place"));
                }
                if !matches!(args.get(1), Some(Expr::Str(_))) {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                }
                Field::fixed("", DataType::Bool)
            }
            StGeomFromText => {
                Field::new("", DataType::Geometry, 65517)
            }
            StAsText => {
                if matches!(&args[0], Expr::Func { .. }) {
                    // what 3.3.7.5 answers for st_astext of a computed geometry
                    return Err(err(code::ADAPTER_GENERIC, "Unknown error 65535"));
                }
                vchar("", fields[0].len)
            }
            StIntersects | StContains => {
                Field::fixed("", DataType::Bool)
            }
            Sqrt | Exp | Sin | Cos | Tan => {
                Field::fixed("", DataType::Double)
            }
            Pow | Log => {
                Field::fixed("", DataType::Double)
            }
            Length | CharLength | LengthNChar => {
                if f == Length && fields[0].ty == DataType::NChar {
                    return Ok((
                        BExpr::Func(LengthNChar, bargs),
                        Field::fixed("", DataType::BigInt),
                    ));
                }
                Field::fixed("", DataType::BigInt)
            }
            Lower | Upper | Substr | SubstringIndex => fields[0].clone(),
            Ltrim | Rtrim => {
                // a constant argument's trailing spaces are not part of the result size
                let spaces = match &args[0] {
                    Expr::Str(v) => {
                        let t = if f == Ltrim { v.trim_start_matches(' ') } else { v.trim_end_matches(' ') };
                        (v.len() - t.len()) as i64
                    }
                    _ => 0,
                };
                let bytes = bytes_of(&fields[0]) - spaces;
                Field::new("", fields[0].ty, len_of(fields[0].ty, bytes))
            }
            Trim | TrimLeading | TrimTrailing => {
                // the catalog sizes trim by the trimmed string, NCHAR counted four times
                let src = fields.last().unwrap_or(&fields[0]);
                let mut bytes = bytes_of(src);
                if src.ty == DataType::NChar {
                    bytes *= 4;
                }
                Field::new("", src.ty, len_of(src.ty, bytes))
            }
            Concat | ConcatWs => {
                let nchar = fields.iter().any(|x| x.ty == DataType::NChar);
                let ty = if nchar { DataType::NChar } else { DataType::VarChar };
                let widened = |x: &Field| {
                    if nchar && x.ty == DataType::VarChar {
                        bytes_of(x) * 4
                    } else {
                        bytes_of(x)
                    }
                };
                let bytes = if args.iter().any(|a| matches!(a, Expr::Null)) {
                    // a NULL argument: the result is NULL, typed VARCHAR of no bytes
                    return Ok((BExpr::Func(f, bargs), Field::new("", DataType::VarChar, len_of(DataType::VarChar, 0))));
                } else {
                    let sum: i64 = fields.iter().map(widened).sum();
                    let seps = if f == ConcatWs { widened(&fields[0]) * (args.len() as i64 - 3) } else { 0 };
                    sum + seps
                };
                Field::new("", ty, len_of(ty, bytes))
            }
            ToIso8601 => {
                if let Some(Expr::Str(zone)) = args.get(1) {
                    if !signature::iso8601_zone_ok(zone) {
                        return Err(err(ecode::FUNC_ERROR, "Invalid timzone format"));
                    }
                }
                vchar("", 62)
            }
            ToUnixTimestamp => {
                if args.get(1).and_then(literal_i64) == Some(1) {
                    Field::fixed("", DataType::Timestamp)
                } else {
                    Field::fixed("", DataType::BigInt)
                }
            }
            TimeTruncate => {
                // evaluated with: the unit's ticks, whether whole days/weeks follow the session's
                // zone (the third argument, default 1), whether the first argument's value is read
                // (3.3.7.5 reads strings, BIGINT and TIMESTAMP; other integer types count as 0)
                if bargs.len() == 2 {
                    bargs.push(BExpr::Lit(Value::Int(1)));
                }
                bargs.push(BExpr::Lit(Value::Bool(reads_time_value(fields[0].ty))));
                Field::fixed("", DataType::Timestamp)
            }
            Now | Today => Field::fixed("", DataType::Timestamp),
            Database => vchar(
                "",
                self.ctx.db.as_ref().map(|d| d.len() as u32).unwrap_or(63),
            ),
            ServerVersion | ClientVersion => {
                vchar("", self.engine.config().server_version.len() as u32)
            }
            // as long as its text, like every constant string
            Timezone => vchar(
                "",
                crate::engine::eval::timezone_label(
                    self.engine.session_tz(self.ctx),
                    Some(self.engine.session_tz_name(self.ctx)),
                )
                .len() as u32,
            ),
            CurrentUser => vchar("", 29),
        };
        Ok((BExpr::Func(f, bargs), out))
    }

}

/// The result type of `greatest`/`least` as TDengine's translation folds it over the
/// arguments: numbers, BOOL and TIMESTAMP by the conversion table, strings by the widest, and
/// strings with integers as strings at least 25 bytes long (`compareAsStrInGreatest`, on by
/// default). Mixing strings with floating, BOOL or TIMESTAMP values is refused (9728).
fn greatest_type(name: &str, fields: &[Field]) -> Result<Field, TdError> {
    use crate::engine::cast::convert_type;
    let is_str = |t: DataType| matches!(t, DataType::VarChar | DataType::NChar);
    let strings: Vec<&Field> = fields.iter().filter(|f| is_str(f.ty)).collect();
    if strings.is_empty() {
        let mut ty = fields[0].ty;
        for f in &fields[1..] {
            ty = convert_type(ty, f.ty).ok_or_else(|| unsupported(name))?;
        }
        if ty.is_var() || ty.is_decimal() {
            return Err(unsupported(name));
        }
        return Ok(Field::fixed("", ty));
    }
    let numbers_ok = fields.iter().all(|f| is_str(f.ty) || super::is_integer(f.ty));
    if !numbers_ok {
        return Err(unsupported(&format!("{} of strings with non-integer values", name)));
    }
    let ty = if strings.iter().any(|f| f.ty == DataType::VarChar) {
        DataType::VarChar
    } else {
        DataType::NChar
    };
    let mut bytes = strings.iter().map(|f| bytes_of(f)).max().unwrap_or(0);
    if strings.len() < fields.len() {
        bytes = bytes.max(25);
    }
    Ok(Field::new("", ty, len_of(ty, bytes)))
}

/// Whether 3.3.7.5's time functions read a first argument of this type: strings, BIGINT and
/// TIMESTAMP; the other integer types are accepted but their value is never read (it counts
/// as 0: `weekday(i)` is Thursday, 1970-01-01's weekday).
fn reads_time_value(ty: DataType) -> bool {
    matches!(ty, DataType::BigInt | DataType::Timestamp | DataType::VarChar | DataType::NChar)
}

/// The longest variable-length value TDengine sizes a result by (`TSDB_MAX_BINARY_LEN`).
const MAX_BINARY_BYTES: i64 = 65519;

/// The integer a literal argument holds (`2`, `-1`).
fn literal_i64(e: &Expr) -> Option<i64> {
    match e {
        Expr::Int(v) => i64::try_from(*v).ok(),
        Expr::Neg(x) => literal_i64(x).map(|v| -v),
        _ => None,
    }
}

/// The types round(x, d) and truncate(x, d) answer in: x's own.
fn keeps_numeric_type(ty: DataType) -> bool {
    super::is_integer(ty) || matches!(ty, DataType::Float | DataType::Double)
}
