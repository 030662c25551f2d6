//! Binding an aggregate or selector call (`count`, `sum`, `first`, `percentile`, …): argument
//! checks and result types.

use crate::engine::errors::{ecode, err, unsupported};
use crate::engine::eval::BExpr;
use crate::engine::query::functions::{AggKind, AggSpec};
use crate::engine::query::signature::check_attributes;
use crate::engine::time;
use crate::sql::ast::*;
use crate::types::{DataType, Field, TdError};

use super::{is_numeric, vchar, Binder};

impl<'a, 'r> Binder<'a, 'r> {
    pub(crate) fn bind_agg(&mut self, name: &str, args: &[Expr]) -> Result<(BExpr, Field), TdError> {
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
                // a JSON null member counts (only an absent key is NULL here)
                let b = match b {
                    BExpr::JsonGet(e, key) => BExpr::JsonKey(e, key),
                    other => other,
                };
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
        if args.len() > 1 && matches!(name, "first" | "last" | "last_row") {
            // several arguments make several columns: only a whole select item can be one
            return Err(err(
                ecode::NOT_SUPPORT_MULTI_RESULT,
                format!("Operator not supported multi result: {}", written_call(name, args)),
            ));
        }
        let max_args = match name {
            "percentile" => 11,
            "elapsed" => 2,
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
        check_attributes(name, args)?;
        if matches!(args[0], Expr::Null)
            && matches!(name, "sum" | "min" | "max" | "avg" | "stddev" | "stddev_pop" | "var_pop" | "twa")
        {
            // the catalog lets these read a bare NULL: they answer NULL, typed as over a BIGINT
            // column (3.3.7.5: sum/min/max BIGINT, the others DOUBLE)
            let mut typed = args.to_vec();
            typed[0] = Expr::Cast { expr: Box::new(Expr::Null), ty: TypeName::BigInt };
            return self.bind_agg(name, &typed);
        }
        if matches!(args[0], Expr::Star { .. }) {
            return Err(unsupported(&format!("{}(*)", name)));
        }
        if name == "percentile" && self.rel.is_super {
            return Err(err(
                ecode::ONLY_SUPPORT_SINGLE_TABLE,
                "percentile is only supported in single table query",
            ));
        }
        // a percentile's point: a number literal in [0, 100]
        let point = |a: &Expr| -> Result<f64, TdError> {
            // percentile's points are any number, apercentile's an integer (its catalog entry)
            let p = match a {
                Expr::Int(i) => *i as f64,
                Expr::Float(x) if name != "apercentile" => *x,
                _ => return Err(bad_type()),
            };
            if !(0.0..=100.0).contains(&p) {
                return Err(err(
                    ecode::FUNC_PARAM_RANGE,
                    format!("Invalid parameter range : {}", name),
                ));
            }
            Ok(p)
        };
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
                // the catalog: numbers, strings (VARCHAR, NCHAR, VARBINARY; compared by code
                // point / byte) and decimals — not BOOL or TIMESTAMP
                let comparable = (is_numeric(f.ty) && f.ty != DataType::Bool)
                    || matches!(f.ty, DataType::VarChar | DataType::NChar | DataType::VarBinary);
                if !comparable {
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
                if (!is_numeric(f.ty) || f.ty == DataType::Bool) && f.ty != DataType::Timestamp {
                    return Err(bad_type());
                }
                (AggKind::Spread, Field::fixed("", DataType::Double))
            }
            "stddev" | "stddev_pop" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                (AggKind::Stddev, Field::fixed("", DataType::Double))
            }
            "hyperloglog" => (AggKind::Hll, Field::fixed("", DataType::BigInt)),
            "percentile" if args.len() > 2 => {
                if !is_numeric(f.ty) || f.ty.is_decimal() {
                    return Err(bad_type());
                }
                let points = args[1..].iter().map(point).collect::<Result<Vec<f64>, _>>()?;
                (AggKind::Percentiles(points), vchar("", 3198))
            }
            "var_pop" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                (AggKind::VarPop, Field::fixed("", DataType::Double))
            }
            "twa" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
                    return Err(bad_type());
                }
                if self.has_window {
                    // TDengine interpolates at the window bounds; not reproduced here
                    return Err(unsupported("twa in a window query"));
                }
                (AggKind::Twa, Field::fixed("", DataType::Double))
            }
            "percentile" | "apercentile" => {
                if !is_numeric(f.ty) {
                    return Err(bad_type());
                }
                let p = point(&args[1])?;
                // apercentile's algorithm: 'default' or 't-digest', any case (3.3.7.5)
                if name == "apercentile" {
                    match args.get(2) {
                        None => {}
                        Some(Expr::Str(a)) if a.eq_ignore_ascii_case("default") => {}
                        Some(Expr::Str(a)) if a.eq_ignore_ascii_case("t-digest") => {
                            return Err(unsupported("apercentile with 't-digest'"));
                        }
                        Some(Expr::Str(_)) => {
                            return Err(err(ecode::FUNC_PARAM_VALUE, "Invalid parameter value : apercentile"));
                        }
                        Some(_) => return Err(bad_type()),
                    }
                }
                let kind = if name == "percentile" {
                    AggKind::Percentile(p)
                } else {
                    AggKind::APercentile(p)
                };
                (kind, Field::fixed("", DataType::Double))
            }
            "irate" => {
                if !is_numeric(f.ty) || f.ty == DataType::Bool {
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
                // 3.3.7.5: a unit that is not positive or a calendar one is 10250 (its text
                // says "timzone"), one finer than the database's precision 10251
                let bad_unit = || err(10250, "Invalid timzone format : elapsed");
                let unit = match args.get(1) {
                    Some(Expr::Duration { value, unit }) => {
                        if *value <= 0 || matches!(unit, 'n' | 'y') {
                            return Err(bad_unit());
                        }
                        time::duration_units(*value, *unit, self.env_precision())
                            .filter(|u| *u > 0)
                            .ok_or_else(|| err(10251, "Time unit is too small : elapsed"))?
                    }
                    Some(Expr::Neg(d)) if matches!(**d, Expr::Duration { .. }) => return Err(bad_unit()),
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

/// `name(a, b)` as TDengine names a call in a message (columns and literals as written).
fn written_call(name: &str, args: &[Expr]) -> String {
    let arg = |a: &Expr| match a {
        Expr::Column { name, .. } => name.clone(),
        Expr::Int(i) => i.to_string(),
        Expr::Float(x) => x.to_string(),
        Expr::Str(s) => format!("'{}'", s),
        Expr::Bool(b) => b.to_string(),
        Expr::Null => "null".to_string(),
        _ => "…".to_string(),
    };
    format!("{}({})", name, args.iter().map(arg).collect::<Vec<_>>().join(", "))
}
