//! Binding a several-rows function call (`diff`, `csum`, `mavg`, `derivative`, `statecount`,
//! `stateduration`, `tail`, `unique`, `top`, `bottom`, `sample`, `histogram`): its parameters
//! as TDengine's function catalog checks them (count 10241, type 10242, fixed values 10243,
//! ranges 10257, time units 10250/10251, histogram bins 10240) and its result type.

use crate::engine::errors::{ecode, err, unsupported};
use crate::engine::eval::BExpr;
use crate::engine::query::rows_fns::{RowsFn, RowsSpec, StateOp};
use crate::engine::query::signature::{accepts, check_attributes, check_time_unit, class};
use crate::engine::time;
use crate::sql::ast::*;
use crate::types::{DataType, Field, TdError};

use super::{vchar, Binder};

/// A numeric literal argument (`2`, `-1.5`).
fn literal_num(e: &Expr) -> Option<f64> {
    match e {
        Expr::Int(v) => Some(*v as f64),
        Expr::Float(x) => Some(*x),
        Expr::Neg(x) => literal_num(x).map(|v| -v),
        _ => None,
    }
}

fn literal_int(e: &Expr) -> Option<i128> {
    match e {
        Expr::Int(v) => Some(*v),
        Expr::Neg(x) => literal_int(x).map(|v| -v),
        _ => None,
    }
}

impl<'a, 'r> Binder<'a, 'r> {
    pub(crate) fn bind_rows_fn(&mut self, name: &str, args: &[Expr]) -> Result<(BExpr, Field), TdError> {
        let count = || err(ecode::FUNC_PARAM_COUNT, format!("Invalid number of parameters : {}", name));
        let bad_type = || err(ecode::FUNC_PARAM_TYPE, format!("Invalid parameter data type : {}", name));
        let bad_value = || err(ecode::FUNC_PARAM_VALUE, format!("Invalid parameter value : {}", name));
        let bad_range = || err(ecode::FUNC_PARAM_RANGE, format!("Invalid parameter range : {}", name));
        let (min, max) = match name {
            "csum" | "unique" => (1, 1),
            "diff" => (1, 2),
            "mavg" | "top" | "bottom" | "sample" => (2, 2),
            "tail" => (2, 3),
            "derivative" | "statecount" => (3, 3),
            "stateduration" => (3, 4),
            "histogram" => (4, 4),
            _ => return Err(unsupported(name)),
        };
        if args.len() < min || args.len() > max {
            return Err(count());
        }
        check_attributes(name, args)?;
        if matches!(args[0], Expr::Star { .. }) {
            return Err(bad_type());
        }
        let (arg, af) = self.bind(&args[0], true)?;
        let numeric = accepts(class::NUMERIC, af.ty, false);
        // an integer literal parameter within [lo, hi]
        let int_in = |e: &Expr, lo: i128, hi: i128| -> Result<i128, TdError> {
            let v = literal_int(e).ok_or_else(bad_type)?;
            if v < lo || v > hi {
                return Err(bad_range());
            }
            Ok(v)
        };
        let float_arg = matches!(af.ty, DataType::Float | DataType::Double);
        let (func, out) = match name {
            "diff" => {
                if !(numeric || matches!(af.ty, DataType::Timestamp | DataType::Bool)) {
                    return Err(bad_type());
                }
                let opt = match args.get(1) {
                    None => 0,
                    Some(e) => {
                        let v = literal_int(e).ok_or_else(bad_type)?;
                        if !(0..=3).contains(&v) {
                            return Err(bad_value());
                        }
                        v as u8
                    }
                };
                let ty = if float_arg { DataType::Double } else { DataType::BigInt };
                (RowsFn::Diff(opt), Field::fixed("", ty))
            }
            "csum" => {
                if !numeric {
                    return Err(bad_type());
                }
                let ty = if float_arg {
                    DataType::Double
                } else if matches!(
                    af.ty,
                    DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt
                ) {
                    DataType::UBigInt
                } else {
                    DataType::BigInt
                };
                (RowsFn::Csum, Field::fixed("", ty))
            }
            "mavg" => {
                if !numeric {
                    return Err(bad_type());
                }
                let k = int_in(&args[1], 1, 1000)?;
                (RowsFn::Mavg(k as usize), Field::fixed("", DataType::Double))
            }
            "derivative" => {
                if !numeric {
                    return Err(bad_type());
                }
                let unit = match &args[1] {
                    Expr::Duration { unit: 'n' | 'y', .. } => {
                        return Err(unsupported("derivative with a month or year unit"))
                    }
                    Expr::Duration { value, unit } => {
                        time::duration_units(*value, *unit, self.env_precision())
                            .ok_or_else(bad_range)?
                    }
                    Expr::Neg(x) if matches!(x.as_ref(), Expr::Duration { .. }) => {
                        return Err(bad_range())
                    }
                    e => literal_int(e).ok_or_else(bad_type)? as i64,
                };
                if unit < 1 {
                    return Err(bad_range());
                }
                let ignore = literal_int(&args[2]).ok_or_else(bad_type)?;
                if !(0..=1).contains(&ignore) {
                    return Err(bad_value());
                }
                (RowsFn::Derivative(unit, ignore == 1), Field::fixed("", DataType::Double))
            }
            "statecount" | "stateduration" => {
                if !numeric {
                    return Err(bad_type());
                }
                let Expr::Str(op) = &args[1] else {
                    return Err(bad_type());
                };
                let op = StateOp::parse(op).ok_or_else(bad_value)?;
                let bound = literal_num(&args[2]).ok_or_else(bad_type)?;
                let func = if name == "statecount" {
                    RowsFn::StateCount(op, bound)
                } else {
                    let unit = match args.get(3) {
                        None => 1,
                        Some(e) => {
                            check_time_unit(name, e, self.env_precision())?;
                            match e {
                                Expr::Duration { value, unit } => {
                                    time::duration_units(*value, *unit, self.env_precision())
                                        .ok_or_else(bad_range)?
                                }
                                _ => return Err(bad_type()),
                            }
                        }
                    };
                    RowsFn::StateDuration(op, bound, unit)
                };
                (func, Field::fixed("", DataType::BigInt))
            }
            "tail" => {
                let k = int_in(&args[1], 1, 100)?;
                let off = match args.get(2) {
                    Some(e) => int_in(e, 0, 100)?,
                    None => 0,
                };
                (RowsFn::Tail(k as usize, off as usize), af.clone())
            }
            "unique" => (RowsFn::Unique, af.clone()),
            "top" | "bottom" => {
                if !numeric || af.ty.is_decimal() {
                    return Err(bad_type());
                }
                let k = int_in(&args[1], 1, 100)? as usize;
                let f = if name == "top" { RowsFn::Top(k) } else { RowsFn::Bottom(k) };
                (f, af.clone())
            }
            "sample" => {
                let k = int_in(&args[1], 1, 1000)?;
                (RowsFn::Sample(k as usize), af.clone())
            }
            "histogram" => {
                if !numeric {
                    return Err(bad_type());
                }
                let (Expr::Str(kind), Expr::Str(desc)) = (&args[1], &args[2]) else {
                    return Err(bad_type());
                };
                let kind = kind.to_ascii_lowercase();
                if !matches!(kind.as_str(), "user_input" | "linear_bin" | "log_bin") {
                    return Err(bad_value());
                }
                let norm = literal_int(&args[3]).ok_or_else(bad_type)?;
                if !(0..=1).contains(&norm) {
                    return Err(bad_value());
                }
                let bins = histogram_bins(&kind, desc)?;
                (RowsFn::Histogram(bins, norm == 1), vchar("", 510))
            }
            _ => return Err(unsupported(name)),
        };
        self.rows_fns.push(RowsSpec {
            func,
            arg,
            arg_ty: af.ty,
        });
        Ok((BExpr::Agg(self.rows_fns.len() - 1), out))
    }
}

/// The bins a histogram's description gives, as TDengine reads it: a JSON array of ascending
/// bounds (`user_input`), or `{"start", "width"|"factor", "count", "infinity"}`.
fn histogram_bins(kind: &str, desc: &str) -> Result<Vec<(f64, f64)>, TdError> {
    let fail = |m: &str| err(ecode::FUNC_ERROR, m.to_string());
    let format = || fail("HISTOGRAM function invalid format for binDesc parameter");
    let range = || fail("HISTOGRAM function bin/parameter should be in range [-DBL_MAX, DBL_MAX]");
    let json: serde_json::Value = serde_json::from_str(desc).map_err(|_| format())?;
    let bounds: Vec<f64> = match &json {
        serde_json::Value::Object(o) => {
            if o.len() != 4 {
                return Err(fail("HISTOGRAM function requires four parameters"));
            }
            let num = |k: &str| o.get(k).and_then(|v| v.as_f64());
            let (Some(start), Some(count), Some(infinity)) =
                (num("start"), o.get("count").and_then(|v| v.as_f64()), o.get("infinity").and_then(|v| v.as_bool()))
            else {
                return Err(format());
            };
            let count = count as i64;
            if count <= 0 || count > 1000 {
                return Err(fail(
                    "HISTOGRAM function binDesc parameter \"count\" should be in range [1, 1000]",
                ));
            }
            let mut b = Vec::new();
            match (num("width"), num("factor"), o.contains_key("width"), o.contains_key("factor")) {
                (Some(width), None, true, false) if kind == "linear_bin" => {
                    if width == 0.0 {
                        return Err(fail("HISTOGRAM function binDesc parameter \"width\" cannot be 0"));
                    }
                    for i in 0..=count {
                        b.push(start + i as f64 * width);
                    }
                }
                (None, Some(factor), false, true) if kind == "log_bin" => {
                    if start == 0.0 {
                        return Err(fail(
                            "HISTOGRAM function binDesc parameter \"start\" cannot be 0 with \"log_bin\" type",
                        ));
                    }
                    if factor <= 0.0 || factor == 1.0 {
                        return Err(fail(
                            "HISTOGRAM function binDesc parameter \"factor\" cannot be negative or equal to 0/1",
                        ));
                    }
                    for i in 0..=count {
                        b.push(start * factor.powf(i as f64));
                    }
                }
                _ => return Err(format()),
            }
            if b.iter().any(|x| x.is_infinite()) {
                return Err(range());
            }
            if infinity {
                // descending bounds: -inf and inf swap ends
                let (lo, hi) = if b[0] > b[b.len() - 1] {
                    (f64::INFINITY, f64::NEG_INFINITY)
                } else {
                    (f64::NEG_INFINITY, f64::INFINITY)
                };
                b.insert(0, lo);
                b.push(hi);
            }
            b
        }
        serde_json::Value::Array(a) => {
            if kind != "user_input" || a.is_empty() {
                return Err(format());
            }
            let mut b = Vec::with_capacity(a.len());
            for v in a {
                let x = v.as_f64().ok_or_else(format)?;
                if b.last().is_some_and(|&p| x <= p) {
                    return Err(format());
                }
                b.push(x);
            }
            if b.len() < 2 {
                // a single bound makes no bin: TDengine fails while running
                return Err(err(1842, "Executor internal error"));
            }
            b
        }
        _ => return Err(format()),
    };
    // descending bounds make the same bins, each still (lower, upper]
    Ok(bounds.windows(2).map(|w| (w[0].min(w[1]), w[0].max(w[1]))).collect())
}
