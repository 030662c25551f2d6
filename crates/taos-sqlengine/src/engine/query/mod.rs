//! SELECT: binding names to relation columns, filtering, projection, aggregation (groups,
//! partitions, INTERVAL windows), DISTINCT, ORDER BY and LIMIT.

use std::collections::HashMap;

use crate::sql::ast::*;
use crate::types::{code, DataType, Field, Precision, ResultSet, TdError, Value};

use super::catalog::TableKind;
use super::meta::system_tables::system_table;
use super::eval::*;
use super::pattern::Regex;
use super::{
    ecode, err, invalid_column, resolve_db, table_not_exist, time, unsupported, Catalog,
    Engine, SessionCtx,
};

mod grouping;
use grouping::*;

/// Functions that return several rows per group (not implemented; they make a query non-plain).
const MULTI_ROW: &[&str] = &[
    "top",
    "bottom",
    "diff",
    "csum",
    "sample",
    "tail",
    "unique",
    "derivative",
    "mavg",
    "interp",
    "twa",
];

const AGGREGATES: &[&str] = &[
    "count",
    "sum",
    "avg",
    "min",
    "max",
    "first",
    "last",
    "last_row",
    "spread",
    "stddev",
    "stddev_pop",
    "percentile",
    "elapsed",
    "mode",
    "hyperloglog",
    "apercentile",
    "irate",
    "leastsquares",
];

/// Functions TDengine has that this engine does not implement (→ 9728, not 884).
const KNOWN_UNSUPPORTED: &[&str] = &[
    "apercentile",
    "irate",
    "twa",
    "leastsquares",
    "top",
    "bottom",
    "sample",
    "tail",
    "unique",
    "diff",
    "csum",
    "derivative",
    "mavg",
    "statecount",
    "stateduration",
    "histogram",
    "interp",
    "acos",
    "asin",
    "atan",
    "mod",
    "sign",
    "degrees",
    "radians",
    "truncate",
    "trunc",
    "crc32",
    "ascii",
    "char",
    "position",
    "replace",
    "repeat",
    "substring_index",
    "to_json",
    "to_timestamp",
    "to_char",
    "timediff",
    "week",
    "weekday",
    "weekofyear",
    "dayofweek",
    "st_geomfromtext",
    "st_astext",
    "st_makepoint",
    "st_intersects",
    "st_equals",
    "st_touches",
    "st_covers",
    "st_contains",
    "st_containsproperly",
    "_rowts",
    "_irowts",
    "_c0",
    "_qstart",
    "_qend",
    "_qduration",
    "_group_key",
    "group_concat",
    "server_status",
    "rand",
    "pi",
    "ln",
    "cot",
    "greatest",
    "least",
    "std",
    "variance",
    "var_pop",
    "stddev_samp",
    "var_samp",
    "_block_dist",
    "block_dist",
    "tbuid",
    "contains",
    "cols",
    "fill_forward",
    "ceiling",
    "_isfilled",
    "_wstart",
    "_wend",
    "_wduration",
    "count_window",
    "last_value",
];

fn scalar_of(name: &str) -> Option<Scalar> {
    use Scalar::*;
    Some(match name {
        "abs" => Abs,
        "ceil" => Ceil,
        "floor" => Floor,
        "round" => Round,
        "sqrt" => Sqrt,
        "pow" => Pow,
        "log" => Log,
        "exp" => Exp,
        "sin" => Sin,
        "cos" => Cos,
        "tan" => Tan,
        "length" => Length,
        "char_length" => CharLength,
        "lower" => Lower,
        "upper" => Upper,
        "concat" => Concat,
        "concat_ws" => ConcatWs,
        "substr" | "substring" => Substr,
        "ltrim" => Ltrim,
        "rtrim" => Rtrim,
        "trim" => Trim,
        "to_iso8601" => ToIso8601,
        "timetruncate" => TimeTruncate,
        "to_unixtimestamp" => ToUnixTimestamp,
        "now" => Now,
        "today" => Today,
        "database" => Database,
        "server_version" => ServerVersion,
        "client_version" => ClientVersion,
        "timezone" => Timezone,
        "current_user" | "user" => CurrentUser,
        "sign" => Sign,
        "truncate" | "trunc" => Truncate,
        "mod" => ModFn,
        "ln" => Ln,
        "pi" => Pi,
        "asin" => Asin,
        "acos" => Acos,
        "atan" => Atan,
        "replace" => Replace,
        "repeat" => Repeat,
        "position" => Position,
        "ascii" => Ascii,
        "char" => CharFn,
        "greatest" => Greatest,
        "least" => Least,
        "md5" => Md5,
        "crc32" => Crc32,
        "to_base64" => ToBase64,
        "server_status" => ServerStatus,
        "to_char" => ToChar,
        "to_timestamp" => ToTimestamp,
        "weekday" => Weekday,
        "dayofweek" => DayOfWeek,
        "week" => Week,
        "timediff" => TimeDiff,
        "contains" => JsonContains,
        "st_astext" | "st_aswkt" => StAsText,
        "st_geomfromtext" => StGeomFromText,
        "st_intersects" => StIntersects,
        "st_contains" => StContains,
        _ => return None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum AggKind {
    CountStar,
    Count,
    Sum,
    Avg,
    /// avg of a DECIMAL(p, s): DECIMAL(38, max(s, 6)), rounded half away from zero.
    AvgDecimal(u8),
    Min,
    Max,
    First,
    Last,
    LastRow,
    /// min/max of a BLOB: 3.3.7.5 answers an empty value.
    BlobEmpty,
    Spread,
    Stddev,
    Percentile(f64),
    Elapsed(i64),
    Mode,
    Hll,
    /// Nearest-rank percentile (what `apercentile` answers on small inputs).
    APercentile(f64),
    Irate,
    LeastSquares(f64, f64),
}

struct AggSpec {
    kind: AggKind,
    arg: Option<BExpr>,
    arg_ty: DataType,
}

impl AggKind {
    fn is_selector(self) -> bool {
        matches!(
            self,
            AggKind::Min
                | AggKind::Max
                | AggKind::First
                | AggKind::Last
                | AggKind::LastRow
                | AggKind::Mode
        )
    }
}

fn vchar(name: &str, len: u32) -> Field {
    Field::new(name, DataType::VarChar, len)
}

fn is_numeric(t: DataType) -> bool {
    use DataType::*;
    matches!(
        t,
        Bool | TinyInt
            | SmallInt
            | Int
            | BigInt
            | UTinyInt
            | USmallInt
            | UInt
            | UBigInt
            | Float
            | Double
            | Decimal
            | Decimal64
    )
}

fn is_string(t: DataType) -> bool {
    matches!(t, DataType::VarChar | DataType::NChar)
}

struct Binder<'a, 'r> {
    engine: &'a Engine,
    ctx: &'a SessionCtx,
    rel: &'a Relation<'r>,
    agg_mode: bool,
    has_window: bool,
    aggs: Vec<AggSpec>,
    /// Relation columns referenced outside aggregates (agg mode).
    bare: Vec<(usize, String)>,
    /// Window pseudo-columns used.
    uses_window_cols: bool,
    /// An INTERP query (`_irowts` is bound).
    interp: bool,
}

/// One output column: its expression and result field.
struct OutCol {
    expr: BExpr,
    field: Field,
}

fn type_name_field(ty: &TypeName) -> Field {
    match ty {
        TypeName::Timestamp => Field::fixed("", DataType::Timestamp),
        TypeName::Bool => Field::fixed("", DataType::Bool),
        TypeName::TinyInt => Field::fixed("", DataType::TinyInt),
        TypeName::SmallInt => Field::fixed("", DataType::SmallInt),
        TypeName::Int => Field::fixed("", DataType::Int),
        TypeName::BigInt => Field::fixed("", DataType::BigInt),
        TypeName::UTinyInt => Field::fixed("", DataType::UTinyInt),
        TypeName::USmallInt => Field::fixed("", DataType::USmallInt),
        TypeName::UInt => Field::fixed("", DataType::UInt),
        TypeName::UBigInt => Field::fixed("", DataType::UBigInt),
        TypeName::Float => Field::fixed("", DataType::Float),
        TypeName::Double => Field::fixed("", DataType::Double),
        TypeName::VarChar(n) => Field::new("", DataType::VarChar, *n),
        TypeName::NChar(n) => Field::new("", DataType::NChar, *n),
        TypeName::Json => Field::new("", DataType::Json, 4095),
        TypeName::VarBinary(n) => Field::new("", DataType::VarBinary, *n),
        TypeName::Geometry(n) => Field::new("", DataType::Geometry, *n),
        TypeName::Decimal(p, s) => Field::decimal("", *p, *s),
        TypeName::Blob => Field::new("", DataType::Blob, 4_194_304),
    }
}

impl<'a, 'r> Binder<'a, 'r> {
    fn env_precision(&self) -> Precision {
        self.rel.precision
    }

    fn find_column(&self, table: Option<&str>, name: &str) -> Result<usize, TdError> {
        if let Some(t) = table {
            let joined: Vec<usize> = (0..self.rel.fields.len())
                .filter(|&i| self.rel.fields[i].qualifier.as_deref() == Some(t))
                .collect();
            if !joined.is_empty() {
                return joined
                    .iter()
                    .copied()
                    .find(|&i| {
                        self.rel.fields[i].field.name == name
                            || self.rel.fields[i].field.name.eq_ignore_ascii_case(name)
                    })
                    .ok_or_else(|| invalid_column(name));
            }
            if !self.rel.qualifiers.iter().any(|q| q == t) {
                return Err(err(
                    code::PAR_TABLE_NOT_EXIST,
                    format!("Table does not exist: {}", t),
                ));
            }
        }
        let pos = self.rel.fields.iter().position(|f| f.field.name == name);
        let pos = pos.or_else(|| {
            self.rel
                .fields
                .iter()
                .position(|f| f.field.name.eq_ignore_ascii_case(name))
        });
        pos.ok_or_else(|| invalid_column(name))
    }

    /// Binds a row-level or group-level expression. `in_agg`: inside an aggregate's argument.
    fn bind(&mut self, e: &Expr, in_agg: bool) -> Result<(BExpr, Field), TdError> {
        Ok(match e {
            Expr::Column { table, name } => {
                let lname = name.to_ascii_lowercase();
                if table.is_none() && lname == "_irowts" && self.interp {
                    return Ok((BExpr::WStart, Field::fixed("_irowts", DataType::Timestamp)));
                }
                if table.is_none() && matches!(lname.as_str(), "_wstart" | "_wend" | "_wduration") {
                    if !self.has_window {
                        return Err(err(
                            ecode::WINDOW_PSEUDO_COLUMN,
                            "_WSTART, _WEND and _WDURATION can only be used in window query",
                        ));
                    }
                    self.uses_window_cols = true;
                    return Ok(match lname.as_str() {
                        "_wstart" => (BExpr::WStart, Field::fixed("_wstart", DataType::Timestamp)),
                        "_wend" => (BExpr::WEnd, Field::fixed("_wend", DataType::Timestamp)),
                        _ => (
                            BExpr::WDuration,
                            Field::fixed("_wduration", DataType::BigInt),
                        ),
                    });
                }
                let i = self.find_column(table.as_deref(), name)?;
                if self.agg_mode && !in_agg {
                    self.bare.push((i, name.clone()));
                }
                (BExpr::Col(i), self.rel.fields[i].field.clone())
            }
            Expr::Int(v) => {
                if *v > i64::MAX as i128 {
                    (
                        BExpr::Lit(Value::UInt(*v as u64)),
                        Field::fixed("", DataType::UBigInt),
                    )
                } else if *v < i64::MIN as i128 {
                    (
                        BExpr::Lit(Value::Double(*v as f64)),
                        Field::fixed("", DataType::Double),
                    )
                } else {
                    (
                        BExpr::Lit(Value::Int(*v as i64)),
                        Field::fixed("", DataType::BigInt),
                    )
                }
            }
            Expr::Float(f) => (
                BExpr::Lit(Value::Double(*f)),
                Field::fixed("", DataType::Double),
            ),
            Expr::Str(s) => (
                BExpr::Lit(Value::Str(s.clone())),
                Field::new("", DataType::VarChar, s.len() as u32),
            ),
            Expr::Bool(b) => (
                BExpr::Lit(Value::Bool(*b)),
                Field::fixed("", DataType::Bool),
            ),
            Expr::Null => (
                BExpr::Lit(Value::Null),
                Field::new("", DataType::VarChar, 0),
            ),
            Expr::Duration { value, unit } => {
                let u = time::duration_units(*value, *unit, self.env_precision())
                    .ok_or_else(|| unsupported("duration"))?;
                (
                    BExpr::Lit(Value::Int(u)),
                    Field::fixed("", DataType::BigInt),
                )
            }
            Expr::Star { .. } => {
                return Err(err(code::PAR_SYNTAX_ERROR, "syntax error near \"*\""))
            }
            Expr::Param(_) => {
                return Err(err(
                    code::TSC_STMT_API_ERROR,
                    "no value bound for ? placeholder",
                ))
            }
            Expr::Neg(inner) => {
                let (b, f) = self.bind(inner, in_agg)?;
                if f.ty.is_decimal() {
                    return Ok((BExpr::NegDecimal(Box::new(b)), f));
                }
                (BExpr::Neg(Box::new(b)), Field::fixed("", DataType::Double))
            }
            Expr::Not(inner) => {
                let (b, _) = self.bind(inner, in_agg)?;
                (BExpr::Not(Box::new(b)), Field::fixed("", DataType::Bool))
            }
            Expr::Binary { op, left, right } => {
                let (l, lf) = self.bind(left, in_agg)?;
                let (r, rf) = self.bind(right, in_agg)?;
                if (lf.ty == DataType::Blob || rf.ty == DataType::Blob)
                    && !matches!(op, BinOp::And | BinOp::Or)
                {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                }
                // exact DECIMAL arithmetic when the other side is an integer or a DECIMAL
                if op.is_arith() && *op != BinOp::Mod && (lf.ty.is_decimal() || rf.ty.is_decimal())
                {
                    if let (Some((lp, ls)), Some((rp, rs))) = (dec_shape(&lf), dec_shape(&rf)) {
                        let (p, sc) = decimal_result(*op, lp, ls, rp, rs);
                        let f = Field::decimal("", p, sc);
                        return Ok((
                            BExpr::DecArith(*op, Box::new((l, ls)), Box::new((r, rs)), sc),
                            f,
                        ));
                    }
                }
                let l = unscale(l, &lf);
                let r = unscale(r, &rf);
                match op {
                    BinOp::And => (
                        BExpr::And(Box::new(l), Box::new(r)),
                        Field::fixed("", DataType::Bool),
                    ),
                    BinOp::Or => (
                        BExpr::Or(Box::new(l), Box::new(r)),
                        Field::fixed("", DataType::Bool),
                    ),
                    o if o.is_cmp() => {
                        let l = self.ts_literal(l, &rf)?;
                        let r = self.ts_literal(r, &lf)?;
                        (
                            BExpr::Cmp(*o, Box::new(l), Box::new(r)),
                            Field::fixed("", DataType::Bool),
                        )
                    }
                    o => {
                        // `now - 1d`, `ts + 1s` stay timestamps
                        let dur_right = matches!(right.as_ref(), Expr::Duration { .. });
                        if lf.ty == DataType::Timestamp
                            && dur_right
                            && matches!(o, BinOp::Add | BinOp::Sub)
                        {
                            (
                                BExpr::TsArith(*o == BinOp::Sub, Box::new(l), Box::new(r)),
                                Field::fixed("", DataType::Timestamp),
                            )
                        } else {
                            (
                                BExpr::Arith(*o, Box::new(l), Box::new(r)),
                                Field::fixed("", DataType::Double),
                            )
                        }
                    }
                }
            }
            Expr::IsNull { expr, negated } => {
                let (b, _) = self.bind(expr, in_agg)?;
                (
                    BExpr::IsNull(Box::new(b), *negated),
                    Field::fixed("", DataType::Bool),
                )
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let (b, f) = self.bind(expr, in_agg)?;
                let b = unscale(b, &f);
                let mut items = Vec::new();
                for x in list {
                    let (xb, _) = self.bind(x, in_agg)?;
                    items.push(self.ts_literal(xb, &f)?);
                }
                (
                    BExpr::In(Box::new(b), items, *negated),
                    Field::fixed("", DataType::Bool),
                )
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let (b, f) = self.bind(expr, in_agg)?;
                let b = unscale(b, &f);
                let (lo, _) = self.bind(low, in_agg)?;
                let (hi, _) = self.bind(high, in_agg)?;
                let lo = self.ts_literal(lo, &f)?;
                let hi = self.ts_literal(hi, &f)?;
                (
                    BExpr::Between(Box::new(b), Box::new(lo), Box::new(hi), *negated),
                    Field::fixed("", DataType::Bool),
                )
            }
            Expr::Like {
                expr,
                pattern,
                negated,
            } => {
                let (b, _) = self.bind(expr, in_agg)?;
                let Expr::Str(p) = pattern.as_ref() else {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                };
                (
                    BExpr::Like(Box::new(b), p.clone(), *negated),
                    Field::fixed("", DataType::Bool),
                )
            }
            Expr::Match {
                expr,
                pattern,
                negated,
            } => {
                let (b, _) = self.bind(expr, in_agg)?;
                let Expr::Str(p) = pattern.as_ref() else {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                };
                let re = Regex::new(p).ok_or_else(|| unsupported(&format!("match '{}'", p)))?;
                (
                    BExpr::Regex(Box::new(b), Box::new(re), *negated),
                    Field::fixed("", DataType::Bool),
                )
            }
            Expr::Cast { expr, ty } => {
                let (b, src) = self.bind(expr, in_agg)?;
                let f = type_name_field(ty);
                if f.ty.is_decimal() {
                    if let BExpr::Lit(v) = &b {
                        // literals are converted now so that an overflow is an error
                        if super::eval::to_decimal(v, f.precision, f.scale).is_err() {
                            return Err(err(code::DECIMAL_OVERFLOW, "Decimal value overflow"));
                        }
                    }
                    return Ok((BExpr::ToDecimal(Box::new(b), f.precision, f.scale), f));
                }
                if matches!(f.ty, DataType::Json | DataType::Geometry | DataType::Blob) {
                    return Err(unsupported("cast"));
                }
                let b = if src.ty.is_decimal() {
                    if is_string(f.ty) {
                        BExpr::DecText(Box::new(b), src.scale)
                    } else {
                        BExpr::Unscale(Box::new(b), src.scale)
                    }
                } else {
                    b
                };
                (BExpr::Cast(Box::new(b), f.clone()), f)
            }
            Expr::Case {
                operand,
                whens,
                else_,
            } => {
                let op = match operand {
                    Some(o) => Some(Box::new(self.bind(o, in_agg)?.0)),
                    None => None,
                };
                let mut ws = Vec::new();
                let mut out_field: Option<Field> = None;
                for (c, v) in whens {
                    let (cb, _) = self.bind(c, in_agg)?;
                    let (vb, vf) = self.bind(v, in_agg)?;
                    if !matches!(v, Expr::Null) {
                        out_field = Some(match out_field {
                            Some(mut of) if of.ty.is_var() && of.ty == vf.ty => {
                                of.len = of.len.max(vf.len);
                                of
                            }
                            Some(of) => of,
                            None => vf,
                        });
                    }
                    ws.push((cb, vb));
                }
                let el = match else_ {
                    Some(e) => {
                        let (eb, ef) = self.bind(e, in_agg)?;
                        out_field = Some(match out_field {
                            Some(mut of) if of.ty.is_var() && of.ty == ef.ty => {
                                of.len = of.len.max(ef.len);
                                of
                            }
                            Some(of) => of,
                            None => ef,
                        });
                        Some(Box::new(eb))
                    }
                    None => None,
                };
                (
                    BExpr::Case(op, ws, el),
                    out_field.unwrap_or_else(|| vchar("", 0)),
                )
            }
            Expr::JsonGet { expr, key } => {
                let (b, f) = self.bind(expr, in_agg)?;
                if f.ty != DataType::Json {
                    return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
                }
                (
                    BExpr::JsonGet(Box::new(b), key.clone()),
                    Field::new("", DataType::Json, 4095),
                )
            }
            Expr::Func { name, args, .. } => return self.bind_func(name, args, in_agg),
        })
    }

    /// A string literal compared with a TIMESTAMP becomes a timestamp (295 if unreadable).
    fn ts_literal(&self, b: BExpr, other: &Field) -> Result<BExpr, TdError> {
        if other.ty != DataType::Timestamp {
            return Ok(b);
        }
        if let BExpr::Lit(Value::Str(s)) = &b {
            let t = time::parse_timestamp(s, self.engine.config().timezone, self.env_precision())
                .ok_or_else(|| {
                err(ecode::INVALID_TIMESTAMP_FORMAT, "Invalid timestamp format")
            })?;
            return Ok(BExpr::Lit(Value::Timestamp(t)));
        }
        Ok(b)
    }

    fn bind_func(
        &mut self,
        name: &str,
        args: &[Expr],
        in_agg: bool,
    ) -> Result<(BExpr, Field), TdError> {
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
        let bad_type = || {
            err(
                ecode::FUNC_PARAM_TYPE,
                format!("Invalid parameter data type : {}", name),
            )
        };
        let nparams = |lo: usize, hi: usize| {
            if args.len() < lo || args.len() > hi {
                Err(err(
                    ecode::FUNC_PARAM_COUNT,
                    format!("Invalid number of parameters : {}", name),
                ))
            } else {
                Ok(())
            }
        };
        use Scalar::*;
        let out = match f {
            Abs | Ceil | Floor | Round => {
                nparams(1, if f == Round { 2 } else { 1 })?;
                if !is_numeric(fields[0].ty) || fields[0].ty.is_decimal() {
                    return Err(bad_type());
                }
                if args.len() > 1 {
                    Field::fixed("", DataType::Double)
                } else {
                    fields[0].clone()
                }
            }
            Sign | Ln | Asin | Acos | Atan => {
                nparams(1, 1)?;
                if !is_numeric(fields[0].ty) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Double)
            }
            Truncate | ModFn => {
                nparams(2, 2)?;
                if fields.iter().any(|x| !is_numeric(x.ty)) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Double)
            }
            Pi => {
                nparams(0, 0)?;
                Field::fixed("", DataType::Double)
            }
            Replace => {
                nparams(3, 3)?;
                if fields.iter().any(|x| !is_string(x.ty)) {
                    return Err(bad_type());
                }
                fields[0].clone()
            }
            Repeat => {
                nparams(2, 2)?;
                if !is_string(fields[0].ty) {
                    return Err(bad_type());
                }
                let n = match &args[1] {
                    Expr::Int(n) => (*n).max(0) as u32,
                    _ => 1,
                };
                Field::new(
                    "",
                    fields[0].ty,
                    ((fields[0].len + 2) * n).saturating_sub(2),
                )
            }
            Position => {
                nparams(2, 2)?;
                if fields.iter().any(|x| !is_string(x.ty)) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::BigInt)
            }
            Ascii => {
                nparams(1, 1)?;
                if !is_string(fields[0].ty) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::UTinyInt)
            }
            CharFn => vchar("", 4 * args.len() as u32),
            Greatest | Least => {
                nparams(2, 64)?;
                let ty = if fields.iter().all(|x| {
                    matches!(
                        x.ty,
                        DataType::TinyInt
                            | DataType::SmallInt
                            | DataType::Int
                            | DataType::BigInt
                            | DataType::UTinyInt
                            | DataType::USmallInt
                            | DataType::UInt
                    )
                }) {
                    DataType::BigInt
                } else if fields.iter().all(|x| is_numeric(x.ty)) {
                    DataType::Double
                } else {
                    return Err(unsupported(name));
                };
                if ty == DataType::Double {
                    bargs = bargs
                        .into_iter()
                        .map(|b| BExpr::Cast(Box::new(b), Field::fixed("", DataType::Double)))
                        .collect();
                }
                Field::fixed("", ty)
            }
            Md5 => {
                nparams(1, 1)?;
                vchar("", 32)
            }
            Crc32 => {
                nparams(1, 1)?;
                Field::fixed("", DataType::UInt)
            }
            ToBase64 => {
                nparams(1, 1)?;
                vchar("", fields[0].len.div_ceil(3) * 4 + 2)
            }
            ServerStatus => Field::fixed("", DataType::Int),
            ToChar => {
                nparams(2, 2)?;
                vchar("", 4094)
            }
            ToTimestamp => {
                nparams(2, 2)?;
                Field::fixed("", DataType::Timestamp)
            }
            Weekday | DayOfWeek | Week => {
                nparams(1, 2)?;
                if fields[0].ty != DataType::Timestamp {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::BigInt)
            }
            TimeDiff => {
                nparams(2, 3)?;
                Field::fixed("", DataType::BigInt)
            }
            JsonContains => {
                nparams(2, 2)?;
                if fields[0].ty != DataType::Json {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Bool)
            }
            StGeomFromText => {
                nparams(1, 1)?;
                if !is_string(fields[0].ty) {
                    return Err(bad_type());
                }
                Field::new("", DataType::Geometry, 65517)
            }
            StAsText => {
                nparams(1, 1)?;
                if fields[0].ty != DataType::Geometry {
                    return Err(bad_type());
                }
                if matches!(&args[0], Expr::Func { .. }) {
                    // what 3.3.7.5 answers for st_astext of a computed geometry
                    return Err(err(code::ADAPTER_GENERIC, "Unknown error 65535"));
                }
                vchar("", fields[0].len)
            }
            StIntersects | StContains => {
                nparams(2, 2)?;
                if fields.iter().any(|x| x.ty != DataType::Geometry) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Bool)
            }
            Sqrt | Exp | Sin | Cos | Tan => {
                nparams(1, 1)?;
                if !is_numeric(fields[0].ty) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Double)
            }
            Pow | Log => {
                nparams(if f == Pow { 2 } else { 1 }, 2)?;
                if fields.iter().any(|x| !is_numeric(x.ty)) {
                    return Err(bad_type());
                }
                Field::fixed("", DataType::Double)
            }
            Length | CharLength | LengthNChar => {
                nparams(1, 1)?;
                if !is_string(fields[0].ty)
                    && !matches!(
                        fields[0].ty,
                        DataType::VarBinary | DataType::Blob | DataType::Geometry
                    )
                {
                    return Err(bad_type());
                }
                if f == Length && fields[0].ty == DataType::NChar {
                    return Ok((
                        BExpr::Func(LengthNChar, bargs),
                        Field::fixed("", DataType::BigInt),
                    ));
                }
                Field::fixed("", DataType::BigInt)
            }
            Lower | Upper | Ltrim | Rtrim | Trim => {
                nparams(1, 1)?;
                if !is_string(fields[0].ty) {
                    return Err(bad_type());
                }
                fields[0].clone()
            }
            Substr => {
                nparams(2, 3)?;
                if !is_string(fields[0].ty) {
                    return Err(bad_type());
                }
                fields[0].clone()
            }
            Concat | ConcatWs => {
                nparams(if f == Concat { 1 } else { 2 }, 8)?;
                if fields.iter().any(|x| !is_string(x.ty)) {
                    return Err(bad_type());
                }
                let nchar = fields.iter().any(|x| x.ty == DataType::NChar);
                // TDengine sums the argument sizes with their 2-byte length headers, minus one header
                let len: u32 = fields
                    .iter()
                    .map(|x| x.len + 2)
                    .sum::<u32>()
                    .saturating_sub(2);
                Field::new(
                    "",
                    if nchar {
                        DataType::NChar
                    } else {
                        DataType::VarChar
                    },
                    len,
                )
            }
            ToIso8601 => {
                nparams(1, 2)?;
                if fields[0].ty != DataType::Timestamp
                    && !matches!(fields[0].ty, DataType::BigInt | DataType::Int)
                {
                    return Err(bad_type());
                }
                vchar("", 62)
            }
            ToUnixTimestamp => {
                nparams(1, 2)?;
                Field::fixed("", DataType::BigInt)
            }
            TimeTruncate => {
                nparams(2, 3)?;
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
            Timezone => vchar("", 64),
            CurrentUser => vchar("", 29),
        };
        Ok((BExpr::Func(f, bargs), out))
    }

    fn bind_agg(&mut self, name: &str, args: &[Expr]) -> Result<(BExpr, Field), TdError> {
        let bad_type = || {
            err(
                ecode::FUNC_PARAM_TYPE,
                format!("Invalid parameter data type : {}", name),
            )
        };
        let bad_count = || {
            err(
                ecode::FUNC_PARAM_COUNT,
                format!("Invalid number of parameters : {}", name),
            )
        };
        if name == "count" {
            if args.len() != 1 {
                return Err(bad_count());
            }
            if matches!(args[0], Expr::Star { .. }) {
                self.aggs.push(AggSpec {
                    kind: AggKind::CountStar,
                    arg: None,
                    arg_ty: DataType::BigInt,
                });
            } else {
                let (b, f) = self.bind(&args[0], true)?;
                self.aggs.push(AggSpec {
                    kind: AggKind::Count,
                    arg: Some(b),
                    arg_ty: f.ty,
                });
            }
            return Ok((
                BExpr::Agg(self.aggs.len() - 1),
                Field::fixed("", DataType::BigInt),
            ));
        }
        let max_args = match name {
            "percentile" | "elapsed" => 2,
            "apercentile" | "leastsquares" => 3,
            _ => 1,
        };
        let min_args = match name {
            "percentile" | "apercentile" => 2,
            "leastsquares" => 3,
            _ => 1,
        };
        if args.len() < min_args || args.len() > max_args {
            return Err(bad_count());
        }
        if matches!(args[0], Expr::Star { .. }) {
            return Err(unsupported(&format!("{}(*)", name)));
        }
        let (b, f) = self.bind(&args[0], true)?;
        let (kind, out) = match name {
            "sum" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                let out = match f.ty {
                    DataType::UTinyInt
                    | DataType::USmallInt
                    | DataType::UInt
                    | DataType::UBigInt => Field::fixed("", DataType::UBigInt),
                    DataType::Float | DataType::Double => Field::fixed("", DataType::Double),
                    DataType::Decimal | DataType::Decimal64 => Field::decimal("", 38, f.scale),
                    _ => Field::fixed("", DataType::BigInt),
                };
                (AggKind::Sum, out)
            }
            "avg" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                if f.ty.is_decimal() {
                    (
                        AggKind::AvgDecimal(f.scale),
                        Field::decimal("", 38, f.scale.max(6)),
                    )
                } else {
                    (AggKind::Avg, Field::fixed("", DataType::Double))
                }
            }
            "min" | "max" if f.ty == DataType::Blob => (AggKind::BlobEmpty, f.clone()),
            "min" | "max" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                (
                    if name == "min" {
                        AggKind::Min
                    } else {
                        AggKind::Max
                    },
                    f.clone(),
                )
            }
            "first" => (AggKind::First, f.clone()),
            "last" => (AggKind::Last, f.clone()),
            "last_row" => (AggKind::LastRow, f.clone()),
            "mode" => (AggKind::Mode, f.clone()),
            "spread" => {
                if !is_numeric(f.ty) && f.ty != DataType::Timestamp {
                    return Err(bad_type());
                }
                (AggKind::Spread, Field::fixed("", DataType::Double))
            }
            "stddev" | "stddev_pop" => {
                if !is_numeric(f.ty) {
                    return Err(bad_type());
                }
                (AggKind::Stddev, Field::fixed("", DataType::Double))
            }
            "hyperloglog" => (AggKind::Hll, Field::fixed("", DataType::BigInt)),
            "percentile" | "apercentile" => {
                if !is_numeric(f.ty) {
                    return Err(bad_type());
                }
                let p = match &args[1] {
                    Expr::Int(i) => *i as f64,
                    Expr::Float(x) => *x,
                    _ => return Err(bad_type()),
                };
                if !(0.0..=100.0).contains(&p) {
                    return Err(err(
                        ecode::FUNC_PARAM_RANGE,
                        format!("Invalid parameter range : {}", name),
                    ));
                }
                let kind = if name == "percentile" {
                    AggKind::Percentile(p)
                } else {
                    AggKind::APercentile(p)
                };
                (kind, Field::fixed("", DataType::Double))
            }
            "irate" => {
                if !is_numeric(f.ty) {
                    return Err(bad_type());
                }
                (AggKind::Irate, Field::fixed("", DataType::Double))
            }
            "leastsquares" => {
                if !is_numeric(f.ty) {
                    return Err(bad_type());
                }
                let num = |e: &Expr| match e {
                    Expr::Int(i) => Some(*i as f64),
                    Expr::Float(x) => Some(*x),
                    _ => None,
                };
                let (Some(start), Some(step)) = (num(&args[1]), num(&args[2])) else {
                    return Err(bad_type());
                };
                (AggKind::LeastSquares(start, step), vchar("", 126))
            }
            "elapsed" => {
                if f.ty != DataType::Timestamp {
                    return Err(bad_type());
                }
                let unit = match args.get(1) {
                    Some(Expr::Duration { value, unit }) => {
                        time::duration_units(*value, *unit, self.env_precision())
                            .filter(|u| *u > 0)
                            .ok_or_else(bad_type)?
                    }
                    Some(_) => return Err(bad_type()),
                    None => 1,
                };
                (AggKind::Elapsed(unit), Field::fixed("", DataType::Double))
            }
            _ => return Err(unsupported(name)),
        };
        self.aggs.push(AggSpec {
            kind,
            arg: Some(b),
            arg_ty: f.ty,
        });
        Ok((BExpr::Agg(self.aggs.len() - 1), out))
    }
}

/// (precision, scale) of an operand in DECIMAL arithmetic; integers count as DECIMAL(n, 0).
fn dec_shape(f: &Field) -> Option<(u8, u8)> {
    use DataType::*;
    Some(match f.ty {
        Decimal | Decimal64 => (f.precision, f.scale),
        TinyInt | UTinyInt | Bool => (3, 0),
        SmallInt | USmallInt => (5, 0),
        Int | UInt => (10, 0),
        BigInt => (19, 0),
        UBigInt => (20, 0),
        _ => return None,
    })
}

/// Result (precision, scale) of DECIMAL `+ - * /`, capped at 38 digits (the scale gives way,
/// keeping at least 6 fraction digits).
fn decimal_result(op: BinOp, p1: u8, s1: u8, p2: u8, s2: u8) -> (u8, u8) {
    let (p1, s1, p2, s2) = (p1 as i32, s1 as i32, p2 as i32, s2 as i32);
    let (p, s) = match op {
        BinOp::Add | BinOp::Sub => ((p1 - s1).max(p2 - s2) + s1.max(s2) + 1, s1.max(s2)),
        BinOp::Mul => (p1 + p2 + 1, s1 + s2),
        _ => {
            let s = 6.max(s1 + p2 + 1);
            (p1 - s1 + s2 + s, s)
        }
    };
    if p > 38 {
        let s = s.min(6).max(s - (p - 38));
        (38, s.max(0) as u8)
    } else {
        (p as u8, s as u8)
    }
}

/// DECIMAL operands of comparisons and arithmetic are read as doubles.
fn unscale(b: BExpr, f: &Field) -> BExpr {
    if f.ty.is_decimal() {
        BExpr::Unscale(Box::new(b), f.scale)
    } else {
        b
    }
}

/// Whether an expression calls an aggregate function.
pub(super) fn has_agg_call(e: &Expr) -> bool {
    match e {
        Expr::Func { name, args, .. } => {
            AGGREGATES.contains(&name.as_str())
                || MULTI_ROW.contains(&name.as_str())
                || args.iter().any(has_agg_call)
        }
        Expr::Neg(x) | Expr::Not(x) => has_agg_call(x),
        Expr::Binary { left, right, .. } => has_agg_call(left) || has_agg_call(right),
        Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } | Expr::JsonGet { expr, .. } => {
            has_agg_call(expr)
        }
        Expr::InList { expr, list, .. } => has_agg_call(expr) || list.iter().any(has_agg_call),
        Expr::Between {
            expr, low, high, ..
        } => has_agg_call(expr) || has_agg_call(low) || has_agg_call(high),
        Expr::Like { expr, .. } | Expr::Match { expr, .. } => has_agg_call(expr),
        Expr::Case {
            operand,
            whens,
            else_,
        } => {
            operand.as_deref().is_some_and(has_agg_call)
                || whens
                    .iter()
                    .any(|(a, b)| has_agg_call(a) || has_agg_call(b))
                || else_.as_deref().is_some_and(has_agg_call)
        }
        _ => false,
    }
}

/// Result column name: alias, else the expression as written (`t.i` → `i`), cut to 64 chars.
fn out_name(item: &SelectItem) -> String {
    let n = match (&item.alias, &item.expr) {
        (Some(a), _) => a.clone(),
        (None, Expr::Column { table, name }) if table.is_some() || item.text.starts_with('`') => {
            name.clone()
        }
        _ => item.text.clone(),
    };
    n.chars().take(64).collect()
}

#[derive(Hash, PartialEq, Eq, Clone)]
enum KeyPart {
    Null,
    Bool(bool),
    I(i128),
    F(u64),
    S(String),
    B(Vec<u8>),
}

fn key_part(v: &Value) -> KeyPart {
    match v {
        Value::Null => KeyPart::Null,
        Value::Bool(b) => KeyPart::Bool(*b),
        Value::Int(i) | Value::Timestamp(i) => KeyPart::I(*i as i128),
        Value::UInt(u) => KeyPart::I(*u as i128),
        Value::Decimal(d) => KeyPart::I(*d),
        Value::Float(f) => KeyPart::F((*f as f64).to_bits()),
        Value::Double(d) => KeyPart::F(d.to_bits()),
        Value::Str(s) => KeyPart::S(s.clone()),
        Value::Bytes(b) => KeyPart::B(b.clone()),
    }
}

pub(super) fn run_query(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    q: &Query,
) -> Result<ResultSet, TdError> {
    if q.selects.len() == 1 {
        return exec_select(engine, cat, ctx, &q.selects[0], &q.order_by, q.limit);
    }
    // UNION [ALL]: fields and precision come from the first SELECT
    let mut parts = Vec::new();
    for s in &q.selects {
        parts.push(exec_select(engine, cat, ctx, s, &[], None)?);
    }
    let mut out = parts.remove(0);
    for p in parts {
        if p.fields.len() != out.fields.len() {
            return Err(err(
                code::PAR_SYNTAX_ERROR,
                "syntax error near \"union\" (column counts differ)",
            ));
        }
        for (c, pc) in out.columns.iter_mut().zip(p.columns) {
            c.extend(pc);
        }
    }
    let mut rows = to_rows(&out);
    if q.union_distinct {
        dedupe(&mut rows, out.fields.len());
    }
    // ORDER BY over a union can only name output columns
    let mut keys = Vec::new();
    for o in &q.order_by {
        let idx = match &o.expr {
            Expr::Int(k) if *k >= 1 && (*k as usize) <= out.fields.len() => *k as usize - 1,
            Expr::Int(_) => {
                return Err(err(
                    ecode::ORDER_BY_POSITION,
                    "ORDER BY / GROUP BY item must be the number of a SELECT-list expression",
                ))
            }
            Expr::Column { name, .. } => out
                .fields
                .iter()
                .position(|f| f.name == *name)
                .ok_or_else(|| invalid_column(name))?,
            _ => return Err(unsupported(&o.text)),
        };
        keys.push((idx, o.desc, o.nulls_first.unwrap_or(!o.desc)));
    }
    sort_rows(&mut rows, &keys);
    apply_limit(&mut rows, q.limit);
    Ok(ResultSet::from_rows(out.fields, out.precision, rows))
}

fn to_rows(rs: &ResultSet) -> Vec<Vec<Value>> {
    let n = rs.num_rows();
    (0..n)
        .map(|r| rs.columns.iter().map(|c| c[r].clone()).collect())
        .collect()
}

fn dedupe(rows: &mut Vec<Vec<Value>>, visible: usize) {
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r[..visible].iter().map(key_part).collect::<Vec<_>>()));
}

/// Sorts by (column, desc, nulls_first) keys; stable.
fn sort_rows(rows: &mut [Vec<Value>], keys: &[(usize, bool, bool)]) {
    if keys.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for &(i, desc, nulls_first) in keys {
            let (x, y) = (&a[i], &b[i]);
            let o = match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => {
                    if nulls_first {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                }
                (false, true) => {
                    if nulls_first {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                }
                _ => {
                    let o = sort_cmp(x, y);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
}

fn apply_limit<T>(rows: &mut Vec<T>, limit: Option<(u64, u64)>) {
    if let Some((lim, off)) = limit {
        let off = (off as usize).min(rows.len());
        rows.drain(..off);
        rows.truncate(lim as usize);
    }
}

/// `left [INNER] JOIN right ON …`: rows whose timestamps are equal, as one materialised table;
/// fields keep their table qualifier for `a.col` references.
fn materialize_join(
    cat: &Catalog,
    ctx: &SessionCtx,
    left: &TableName,
    left_alias: Option<&str>,
    j: &JoinSpec,
) -> Result<(ResultSet, Vec<RelField>), TdError> {
    if !j.inner {
        return Err(unsupported("outer join"));
    }
    let lf = FromItem::Table {
        name: left.clone(),
        alias: left_alias.map(|s| s.to_string()),
    };
    let rf = FromItem::Table {
        name: j.table.clone(),
        alias: j.alias.clone(),
    };
    let l = build_relation(cat, ctx, Some(&lf), None)?;
    let r = build_relation(cat, ctx, Some(&rf), None)?;
    let lq = left_alias.unwrap_or(&left.name).to_string();
    let rq = j.alias.clone().unwrap_or_else(|| j.table.name.clone());
    let mut fields: Vec<RelField> = Vec::new();
    for f in &l.fields {
        fields.push(RelField {
            qualifier: Some(lq.clone()),
            ..f.clone()
        });
    }
    for f in &r.fields {
        fields.push(RelField {
            qualifier: Some(rq.clone()),
            ..f.clone()
        });
    }
    let mut by_ts: HashMap<i64, Vec<RowRef>> = HashMap::new();
    for rr in r.all_rows() {
        by_ts.entry(r.ts(rr)).or_default().push(rr);
    }
    let mut columns: Vec<Vec<Value>> = vec![Vec::new(); fields.len()];
    let nl = l.fields.len();
    for lr in l.all_rows() {
        let Some(matches) = by_ts.get(&l.ts(lr)) else {
            continue;
        };
        for &rr in matches {
            for (c, col) in columns.iter_mut().enumerate() {
                col.push(if c < nl {
                    l.value(c, lr)
                } else {
                    r.value(c - nl, rr)
                });
            }
        }
    }
    let rs = ResultSet {
        fields: fields.iter().map(|f| f.field.clone()).collect(),
        precision: l.precision,
        columns,
    };
    Ok((rs, fields))
}

/// Builds the relation a FROM clause names. `owned` holds a materialised subquery or system table.
fn build_relation<'c>(
    cat: &'c Catalog,
    ctx: &SessionCtx,
    from: Option<&FromItem>,
    owned: Option<&'c ResultSet>,
) -> Result<Relation<'c>, TdError> {
    if let Some(rs) = owned {
        let fields: Vec<RelField> = rs
            .fields
            .iter()
            .map(|f| RelField {
                field: f.clone(),
                in_star: true,
                is_tag: false,
                is_tbname: false,
                qualifier: None,
            })
            .collect();
        let ts_col = rs.fields.iter().position(|f| f.ty == DataType::Timestamp);
        let mut qualifiers = Vec::new();
        match from {
            Some(FromItem::Table { name, alias }) => {
                qualifiers.push(name.name.clone());
                qualifiers.extend(alias.clone());
            }
            Some(FromItem::Subquery { alias, .. }) => qualifiers.extend(alias.clone()),
            None => {}
        }
        let seg = Segment {
            cols: rs.columns.iter().map(|c| ColSrc::Vals(&c[..])).collect(),
            n: rs.num_rows(),
        };
        return Ok(Relation {
            fields,
            segs: vec![seg],
            precision: rs.precision,
            ts_col,
            qualifiers,
            is_super: false,
        });
    }
    let Some(FromItem::Table { name, alias }) = from else {
        // SELECT without FROM: one row, no columns
        return Ok(Relation {
            fields: vec![],
            segs: vec![Segment { cols: vec![], n: 1 }],
            precision: Precision::Millisecond,
            ts_col: None,
            qualifiers: vec![],
            is_super: false,
        });
    };
    let db = resolve_db(cat, ctx, name.db.as_deref())?;
    let mut qualifiers = vec![name.name.clone()];
    qualifiers.extend(alias.clone());
    let tbname_field = RelField {
        field: vchar("tbname", 270),
        in_star: false,
        is_tag: false,
        is_tbname: true,
        qualifier: None,
    };
    if let Some(st) = db.stables.get(&name.name) {
        let mut fields: Vec<RelField> = st
            .columns
            .iter()
            .map(|c| RelField {
                field: c.field(),
                in_star: true,
                is_tag: false,
                is_tbname: false,
                qualifier: None,
            })
            .collect();
        fields.extend(st.tags.iter().map(|c| RelField {
            field: c.field(),
            in_star: true,
            is_tag: true,
            is_tbname: false,
            qualifier: None,
        }));
        fields.push(tbname_field);
        let mut segs = Vec::new();
        for t in db.children_of(&st.name) {
            let TableKind::Child { tags, .. } = &t.kind else {
                continue;
            };
            let mut cols: Vec<ColSrc> = Vec::with_capacity(fields.len());
            cols.push(ColSrc::Ts(&t.data.ts));
            for c in &t.data.cols {
                cols.push(ColSrc::Vals(&c[..]));
            }
            for i in 0..st.tags.len() {
                cols.push(ColSrc::Const(tags.get(i).cloned().unwrap_or(Value::Null)));
            }
            cols.push(ColSrc::Const(Value::Str(t.name.clone())));
            segs.push(Segment {
                cols,
                n: t.data.len(),
            });
        }
        return Ok(Relation {
            fields,
            segs,
            precision: db.precision,
            ts_col: Some(0),
            qualifiers,
            is_super: true,
        });
    }
    let t = db.tables.get(&name.name).ok_or_else(table_not_exist)?;
    let columns = db.columns_of(t);
    let mut fields: Vec<RelField> = columns
        .iter()
        .map(|c| RelField {
            field: c.field(),
            in_star: true,
            is_tag: false,
            is_tbname: false,
            qualifier: None,
        })
        .collect();
    let mut cols: Vec<ColSrc> = Vec::with_capacity(columns.len() + 1);
    cols.push(ColSrc::Ts(&t.data.ts));
    for c in &t.data.cols {
        cols.push(ColSrc::Vals(&c[..]));
    }
    if let TableKind::Child { stable, tags } = &t.kind {
        if let Some(st) = db.stables.get(stable) {
            for (i, c) in st.tags.iter().enumerate() {
                fields.push(RelField {
                    field: c.field(),
                    in_star: false,
                    is_tag: true,
                    is_tbname: false,
                    qualifier: None,
                });
                cols.push(ColSrc::Const(tags.get(i).cloned().unwrap_or(Value::Null)));
            }
        }
    }
    fields.push(tbname_field);
    cols.push(ColSrc::Const(Value::Str(t.name.clone())));
    Ok(Relation {
        fields,
        segs: vec![Segment {
            cols,
            n: t.data.len(),
        }],
        precision: db.precision,
        ts_col: Some(0),
        qualifiers,
        is_super: false,
    })
}

fn exec_select(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sel: &Select,
    order_by: &[OrderItem],
    limit: Option<(u64, u64)>,
) -> Result<ResultSet, TdError> {
    // Materialise joins, subqueries and information_schema tables first.
    let mut join_fields: Option<Vec<RelField>> = None;
    let owned: Option<ResultSet> = match &sel.from {
        Some(FromItem::Table { name, alias }) if sel.join.is_some() => {
            let j = sel.join.as_deref().expect("checked");
            let (rs, fields) = materialize_join(cat, ctx, name, alias.as_deref(), j)?;
            join_fields = Some(fields);
            Some(rs)
        }
        _ if sel.join.is_some() => return Err(unsupported("join")),
        Some(FromItem::Subquery { query, .. }) => Some(run_query(engine, cat, ctx, query)?),
        Some(FromItem::Table { name, .. }) => {
            let dbn = name.db.as_deref().or(ctx.db.as_deref());
            if matches!(dbn, Some("information_schema") | Some("performance_schema")) {
                Some(system_table(cat, &name.name).ok_or_else(table_not_exist)?)
            } else {
                None
            }
        }
        None => None,
    };
    let mut rel = build_relation(cat, ctx, sel.from.as_ref(), owned.as_ref())?;
    if let Some(f) = join_fields {
        rel.fields = f;
        rel.ts_col = Some(0);
    }
    let env = EvalEnv {
        precision: rel.precision,
        tz: engine.config().timezone,
        db: ctx.db.as_deref(),
        server_version: &engine.config().server_version,
        now: time::now(rel.precision),
    };

    // top/bottom/diff/csum: one output row per picked input row
    let multi = sel.items.iter().find_map(|i| match &i.expr {
        Expr::Func { name, args, .. }
            if matches!(name.as_str(), "top" | "bottom" | "diff" | "csum") =>
        {
            Some((name.clone(), args.clone()))
        }
        _ => None,
    });
    let interp_mode = matches!(sel.window, Some(Window::Interp { .. }));
    let mut interp_args: Vec<(BExpr, Field)> = Vec::new();
    let agg_mode = multi.is_none()
        && !interp_mode
        && (sel.window.is_some()
            || !sel.group_by.is_empty()
            || sel.items.iter().any(|i| has_agg_call(&i.expr)));
    let mut multi_spec: Option<(String, BExpr, i64)> = None;
    let interp = matches!(sel.window, Some(Window::Interp { .. }));
    let mut b = Binder {
        engine,
        ctx,
        rel: &rel,
        agg_mode: false,
        has_window: sel.window.is_some(),
        aggs: vec![],
        bare: vec![],
        uses_window_cols: false,
        interp,
    };

    // WHERE (a JOIN's ON condition is applied the same way)
    let mut rows = rel.all_rows();
    let on_where = match (
        sel.join.as_ref().and_then(|j| j.on.clone()),
        sel.where_.clone(),
    ) {
        (Some(a), Some(b)) => Some(Expr::Binary {
            op: BinOp::And,
            left: Box::new(a),
            right: Box::new(b),
        }),
        (a, b) => a.or(b),
    };
    if let Some(w) = &on_where {
        let (cond, _) = b.bind(w, false)?;
        if cond.contains_agg() {
            return Err(unsupported("aggregate in WHERE"));
        }
        if is_boolean(&cond) {
            rows.retain(|&r| matches!(cond.eval(&rel, Some(r), None, &env), Value::Bool(true)));
        } else {
            // `where b` on a BOOL column (or a number): truthiness
            rows.retain(|&r| truthy(&cond.eval(&rel, Some(r), None, &env)));
        }
    }

    // `select distinct tbname from st` lists every child table, empty ones included
    let only_tbname = sel
        .items
        .iter()
        .all(|i| matches!(&i.expr, Expr::Column { name, .. } if name == "tbname"));
    if sel.distinct && !agg_mode && rel.is_super && sel.where_.is_none() && only_tbname {
        rows = (0..rel.segs.len())
            .map(|i| RowRef {
                seg: i as u32,
                idx: 0,
            })
            .collect();
    }

    // Select list
    b.agg_mode = agg_mode;
    let keys_src: &[Expr] = if !sel.group_by.is_empty() {
        &sel.group_by
    } else {
        &sel.partition_by
    };
    let mut outs: Vec<OutCol> = Vec::new();
    for item in &sel.items {
        match &item.expr {
            Expr::Star { table } => {
                if let Some(t) = table {
                    if !rel.qualifiers.iter().any(|q| q == t) {
                        return Err(err(
                            code::PAR_TABLE_NOT_EXIST,
                            format!("Table does not exist: {}", t),
                        ));
                    }
                }
                for (i, f) in rel.fields.iter().enumerate() {
                    if f.in_star {
                        if agg_mode {
                            b.bare.push((i, f.field.name.clone()));
                        }
                        outs.push(OutCol {
                            expr: BExpr::Col(i),
                            field: f.field.clone(),
                        });
                    }
                }
            }
            Expr::Func { name, args, .. } if interp_mode && name == "interp" => {
                if args.len() != 1 {
                    return Err(err(
                        ecode::FUNC_PARAM_COUNT,
                        "Invalid number of parameters : interp",
                    ));
                }
                let (arg, mut f) = b.bind(&args[0], true)?;
                f.name = out_name(item);
                interp_args.push((arg, f.clone()));
                outs.push(OutCol {
                    expr: BExpr::Agg(interp_args.len() - 1),
                    field: f,
                });
            }
            Expr::Func { name, args, .. } if multi.as_ref().is_some_and(|m| m.0 == *name) => {
                if multi_spec.is_some() {
                    return Err(unsupported(&item.text));
                }
                let bad_count = || {
                    err(
                        ecode::FUNC_PARAM_COUNT,
                        format!("Invalid number of parameters : {}", name),
                    )
                };
                let want = if matches!(name.as_str(), "top" | "bottom") {
                    2
                } else {
                    1
                };
                if args.len() != want {
                    return Err(bad_count());
                }
                let (arg, af) = b.bind(&args[0], true)?;
                if !is_numeric(af.ty) || af.ty == DataType::Bool || af.ty.is_decimal() {
                    return Err(err(
                        ecode::FUNC_PARAM_TYPE,
                        format!("Invalid parameter data type : {}", name),
                    ));
                }
                let k = match args.get(1) {
                    Some(Expr::Int(k)) if (1..=100).contains(k) => *k as i64,
                    Some(_) => {
                        return Err(err(
                            ecode::FUNC_PARAM_RANGE,
                            format!("Invalid parameter range : {}", name),
                        ))
                    }
                    None => 0,
                };
                let unsigned = matches!(
                    af.ty,
                    DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt
                );
                let float = matches!(af.ty, DataType::Float | DataType::Double);
                let mut field = match name.as_str() {
                    "top" | "bottom" => af.clone(),
                    _ if float => Field::fixed("", DataType::Double),
                    "csum" if unsigned => Field::fixed("", DataType::UBigInt),
                    _ => Field::fixed("", DataType::BigInt),
                };
                field.name = out_name(item);
                multi_spec = Some((name.clone(), arg, k));
                outs.push(OutCol {
                    expr: BExpr::Agg(0),
                    field,
                });
            }
            Expr::Func { name, args, .. }
                if agg_mode
                    && matches!(name.as_str(), "first" | "last" | "last_row")
                    && (args.len() > 1 || matches!(args.first(), Some(Expr::Star { .. }))) =>
            {
                // first(*) / last_row(a, b): one column per argument
                let cols: Vec<(usize, String)> = if matches!(args.first(), Some(Expr::Star { .. }))
                {
                    rel.fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.in_star && !f.is_tag)
                        .map(|(i, f)| (i, f.field.name.clone()))
                        .collect()
                } else {
                    let mut v = Vec::new();
                    for a in args {
                        let Expr::Column { table, name: cn } = a else {
                            return Err(unsupported(&item.text));
                        };
                        v.push((b.find_column(table.as_deref(), cn)?, cn.clone()));
                    }
                    v
                };
                for (i, cn) in cols {
                    let kind = match name.as_str() {
                        "first" => AggKind::First,
                        "last" => AggKind::Last,
                        _ => AggKind::LastRow,
                    };
                    let f = rel.fields[i].field.clone();
                    b.aggs.push(AggSpec {
                        kind,
                        arg: Some(BExpr::Col(i)),
                        arg_ty: f.ty,
                    });
                    let mut field = f;
                    field.name = format!("{}({})", name, cn).chars().take(64).collect();
                    outs.push(OutCol {
                        expr: BExpr::Agg(b.aggs.len() - 1),
                        field,
                    });
                }
            }
            _ => {
                let (mut e, mut f) = b.bind(&item.expr, false)?;
                f.name = out_name(item);
                if matches!(e, BExpr::JsonGet(..)) {
                    e = BExpr::ToJson(Box::new(e));
                }
                outs.push(OutCol { expr: e, field: f });
            }
        }
    }
    let visible = outs.len();

    // Group keys (bound as row-level expressions)
    let mut key_exprs = Vec::new();
    let mut key_cols: Vec<usize> = Vec::new();
    {
        let saved = b.agg_mode;
        b.agg_mode = false;
        for k in keys_src {
            let (e, _) = b.bind(k, false)?;
            if let BExpr::Col(i) = e {
                key_cols.push(i);
            }
            key_exprs.push(e);
        }
        b.agg_mode = saved;
    }

    // ORDER BY: output positions or hidden columns
    let mut sort_keys = Vec::new();
    for o in order_by {
        let idx = match &o.expr {
            Expr::Int(k) => {
                if *k < 1 || *k as usize > visible {
                    return Err(err(
                        ecode::ORDER_BY_POSITION,
                        "ORDER BY / GROUP BY item must be the number of a SELECT-list expression",
                    ));
                }
                Some(*k as usize - 1)
            }
            Expr::Column { table: None, name } => {
                outs[..visible].iter().position(|c| c.field.name == *name)
            }
            _ => {
                let norm = |s: &str| {
                    s.chars()
                        .filter(|c| !c.is_whitespace())
                        .collect::<String>()
                        .to_ascii_lowercase()
                };
                let t = norm(&o.text);
                sel.items
                    .iter()
                    .position(|i| norm(&i.text) == t && !matches!(i.expr, Expr::Star { .. }))
                    .filter(|&p| p < visible && sel.items.len() == visible)
            }
        };
        let idx = match idx {
            Some(i) => i,
            None => {
                let (e, f) = b.bind(&o.expr, false)?;
                outs.push(OutCol { expr: e, field: f });
                outs.len() - 1
            }
        };
        sort_keys.push((idx, o.desc, o.nulls_first.unwrap_or(!o.desc)));
    }

    let win = if agg_mode {
        window_kind(sel, &mut b, &rel)?
    } else {
        None
    };

    // HAVING: a hidden group-level column; its bare columns must be group keys
    let mut having_col = None;
    if let Some(h) = &sel.having {
        if !agg_mode {
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
        let before = b.bare.len();
        let (e, f) = b.bind(h, false)?;
        let new_bare: Vec<usize> = b.bare[before..].iter().map(|x| x.0).collect();
        if new_bare.iter().any(|c| !key_cols.contains(c)) {
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
        b.bare.truncate(before);
        outs.push(OutCol { expr: e, field: f });
        having_col = Some(outs.len() - 1);
    }

    let mut out_rows: Vec<Vec<Value>> =
        if let Some(Window::Interp { range, every, fill }) = &sel.window {
            if interp_args.is_empty() {
                return Err(unsupported("range/every without interp"));
            }
            interp_rows(
                engine,
                &rel,
                &env,
                &rows,
                &outs,
                &key_exprs,
                &interp_args,
                range.as_ref(),
                every.as_ref(),
                fill.as_ref(),
            )?
        } else if let Some((fname, arg, k)) = &multi_spec {
            multi_rows(&rel, &env, &rows, &outs, &key_exprs, fname, arg, *k)
        } else if !agg_mode {
            let mut v = Vec::with_capacity(rows.len());
            for &r in &rows {
                v.push(
                    outs.iter()
                        .map(|c| c.expr.eval(&rel, Some(r), None, &env))
                        .collect(),
                );
            }
            v
        } else {
            aggregate(
                &b,
                sel,
                &rel,
                &env,
                &rows,
                &outs,
                &key_exprs,
                &key_cols,
                win.as_ref(),
            )?
        };

    if let Some(h) = having_col {
        out_rows.retain(|r| truthy(&r[h]));
    }
    if sel.distinct {
        dedupe(&mut out_rows, visible);
    }
    sort_rows(&mut out_rows, &sort_keys);
    apply_limit(&mut out_rows, limit);
    let fields: Vec<Field> = outs[..visible].iter().map(|c| c.field.clone()).collect();
    for r in &mut out_rows {
        r.truncate(visible);
    }
    Ok(ResultSet::from_rows(fields, rel.precision, out_rows))
}

fn is_boolean(e: &BExpr) -> bool {
    matches!(
        e,
        BExpr::Cmp(..)
            | BExpr::And(..)
            | BExpr::Or(..)
            | BExpr::Not(_)
            | BExpr::IsNull(..)
            | BExpr::In(..)
            | BExpr::Between(..)
            | BExpr::Like(..)
            | BExpr::Regex(..)
    )
}
