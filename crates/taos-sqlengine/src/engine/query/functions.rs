//! The functions TDengine has, as the binder sees them: which are aggregates, which return several
//! rows, which this engine does not implement (answered with 9728, not 884), and the scalar
//! function a name denotes.

use crate::engine::errors::{ecode, err};
use crate::engine::eval::{BExpr, Scalar};
use crate::sql::ast::*;
use crate::types::{code, DataType, TdError};

/// Functions that return several rows per group (not implemented; they make a query non-plain).
pub(crate) const MULTI_ROW: &[&str] = &[
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

pub(crate) const AGGREGATES: &[&str] = &[
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
    "twa",
    "var_pop",
];

/// Functions TDengine has that this engine does not implement (→ 9728, not 884).
pub(crate) const KNOWN_UNSUPPORTED: &[&str] = &[
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
    "truncate",
    "trunc",
    "to_timestamp",
    "to_char",
    "timediff",
    "week",
    "weekday",
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
    "fill_forward",
    "ceiling",
    "_isfilled",
    "_wstart",
    "_wend",
    "_wduration",
    "count_window",
    "last_value",
];

pub(crate) fn scalar_of(name: &str) -> Option<Scalar> {
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
        "trim leading" => TrimLeading,
        "trim trailing" => TrimTrailing,
        "substring_index" => SubstringIndex,
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
        "weekofyear" => WeekOfYear,
        "to_json" => ToJsonTag,
        "degrees" => Degrees,
        "radians" => Radians,
        "rand" => Rand,
        "timediff" => TimeDiff,
        "contains" => JsonContains,
        "st_astext" | "st_aswkt" => StAsText,
        "st_geomfromtext" => StGeomFromText,
        "st_intersects" => StIntersects,
        "st_contains" => StContains,
        _ => return None,
    })
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AggKind {
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
    /// percentile with several points: `[p1, p2, …]` as text.
    Percentiles(Vec<f64>),
    /// Population variance.
    VarPop,
    /// Time-weighted average (trapezoids between the non-NULL points).
    Twa,
    /// `cols(selector, c)`: column `c` (the spec's argument) of the row aggregate `n` (a
    /// selector bound before it) picked.
    Cols(usize),
    Elapsed(i64),
    Mode,
    Hll,
    /// `apercentile` with the default algorithm (TDengine's streaming histogram).
    APercentile(f64),
    Irate,
    LeastSquares(f64, f64),
}

pub(crate) struct AggSpec {
    pub(crate) kind: AggKind,
    pub(crate) arg: Option<BExpr>,
    pub(crate) arg_ty: DataType,
}

impl AggKind {
    pub(crate) fn is_selector(&self) -> bool {
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

/// Functions TDengine gives the primary timestamp as a hidden argument (its catalog's
/// FUNC_MGT_IMPLICIT_TS_FUNC): over a subquery without one they answer 9844.
const IMPLICIT_TS: &[&str] = &[
    "first", "last", "last_row", "interp", "irate", "twa", "derivative", "diff", "csum", "mavg",
    "statecount", "stateduration", "tail", "unique",
];

/// Whether `e` calls a function that needs the primary timestamp (see [`IMPLICIT_TS`]).
pub(crate) fn needs_primary_ts(e: &Expr) -> bool {
    e.any(&|x| matches!(x, Expr::Func { name, .. } if IMPLICIT_TS.contains(&name.as_str())))
}

/// The error binding `e` gave where aggregates are not allowed (WHERE, an event window's
/// conditions): the binder refuses an aggregate there as unsupported when it meets it, where
/// TDengine's translator answers 9736 `There mustn't be aggregation` (3.3.7.5; an unknown
/// column before it still answers first).
pub(crate) fn aggregate_refused(e: &Expr, error: TdError) -> TdError {
    let has_aggregate =
        e.any(&|x| matches!(x, Expr::Func { name, .. } if AGGREGATES.contains(&name.as_str())));
    if error.code == code::PAR_SYNTAX_ERROR && has_aggregate {
        return err(ecode::ILLEGAL_USE_AGG, "There mustn't be aggregation");
    }
    error
}

/// Whether an expression calls an aggregate (or several-rows) function.
pub(crate) fn has_agg_call(e: &Expr) -> bool {
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
