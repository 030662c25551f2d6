//! Functions that answer several rows per group, as TDengine classifies them: the
//! indefinite-rows functions (`diff`, `csum`, `mavg`, `derivative`, `statecount`,
//! `stateduration`, `tail`, `unique`) and the multi-rows aggregates (`top`, `bottom`, `sample`,
//! `histogram`). Which of them may share a select list with what ([`check_mixing`], 9807), and
//! what each computes over one group's rows in timestamp order ([`RowsFn::run`]).

use std::collections::HashMap;

use crate::engine::errors::{ecode, err, unsupported};
use crate::engine::eval::{sort_cmp, to_f64, BExpr, EvalEnv, Relation, RowRef};
use crate::sql::ast::*;
use crate::types::{DataType, TdError, Value};

use super::functions::AGGREGATES;
use super::rows::{key_part, KeyPart};

/// How many rows an indefinite-rows function answers, as the planner estimates it: two such
/// functions share a select list only when both answer `N` rows, or both `N - 1`.
#[derive(Clone, Copy, PartialEq, Debug)]
pub(crate) enum ReturnRows {
    N,
    NMinus1,
    Indefinite,
}

/// TDengine's message for 9807.
pub(crate) const NOT_ALLOWED_MSG: &str = "Some functions are allowed only in the SELECT list of a query. And, cannot be mixed with other non scalar functions or columns.";

fn not_allowed() -> TdError {
    err(ecode::NOT_ALLOWED_FUNC, NOT_ALLOWED_MSG)
}

/// The indefinite-rows functions and the rows each answers (`diff` with an ignore option, and
/// `derivative` ignoring negatives, answer an unknown number).
pub(crate) fn indefinite_rows(name: &str, args: &[Expr]) -> Option<ReturnRows> {
    Some(match name {
        "csum" => ReturnRows::N,
        "diff" if args.len() <= 1 => ReturnRows::NMinus1,
        "diff" => ReturnRows::Indefinite,
        "derivative" => match args.get(2) {
            Some(Expr::Int(1)) => ReturnRows::Indefinite,
            _ => ReturnRows::NMinus1,
        },
        "mavg" | "statecount" | "stateduration" | "tail" | "unique" => ReturnRows::Indefinite,
        _ => return None,
    })
}

/// The multi-rows aggregates (several rows per group, also aggregates).
pub(crate) fn is_multi_rows(name: &str) -> bool {
    matches!(name, "top" | "bottom" | "sample" | "histogram")
}

/// Every function that answers several rows per group.
pub(crate) fn is_rows_fn(name: &str) -> bool {
    is_multi_rows(name) || indefinite_rows(name, &[]).is_some()
}

/// Whether an expression calls one of the several-rows functions.
pub(crate) fn has_rows_call(e: &Expr) -> bool {
    e.any(&|x| matches!(x, Expr::Func { name, .. } if is_rows_fn(name)))
}

fn is_agg(name: &str) -> bool {
    AGGREGATES.contains(&name) || is_multi_rows(name) || name == "twa"
}

/// TDengine's rules for several-rows functions, checked over the statement before it runs:
/// - they appear only in the select list (elsewhere: 9807);
/// - an indefinite-rows function takes no aggregate, no multi-rows function and no other
///   indefinite-rows function beside it, except another answering the same known number of rows
///   (`csum` with `csum`, `diff` with `diff`): 9807;
/// - a multi-rows function takes no aggregate and no other several-rows function: 9807;
/// - an indefinite-rows function takes no window and no GROUP BY (PARTITION BY is fine): 9807.
pub(crate) fn check_mixing(sel: &Select, order_by: &[OrderItem]) -> Result<(), TdError> {
    let outside = sel
        .where_
        .iter()
        .chain(sel.group_by.iter())
        .chain(sel.partition_by.iter())
        .chain(sel.having.iter())
        .chain(order_by.iter().map(|o| &o.expr));
    for e in outside {
        if has_rows_call(e) {
            return Err(not_allowed());
        }
    }
    let mut has_agg = false;
    let mut has_indef = false;
    let mut has_multi = false;
    let mut rows = ReturnRows::N;
    let mut by_row = false;
    let mut calls: Vec<(String, Vec<Expr>)> = Vec::new();
    for item in &sel.items {
        item.expr.walk(&mut |x| {
            if let Expr::Func { name, args, .. } = x {
                calls.push((name.clone(), args.clone()));
            }
        });
    }
    for (name, args) in &calls {
        let agg = is_agg(name);
        if agg
            && args.iter().any(|a| {
                a.any(&|x| matches!(x, Expr::Func { name, .. } if is_agg(name) || is_rows_fn(name)))
            })
        {
            return Err(err(
                ecode::AGG_FUNC_NESTING,
                "Aggregate functions do not support nesting",
            ));
        }
        let indef = indefinite_rows(name, args);
        let multi = is_multi_rows(name);
        if agg && (has_indef || has_multi) {
            return Err(not_allowed());
        }
        if let Some(r) = indef {
            if has_agg || has_multi {
                return Err(not_allowed());
            }
            let this_by_row = name == "diff";
            if has_indef
                && (rows == ReturnRows::Indefinite || rows != r)
                && !(by_row && this_by_row)
            {
                return Err(not_allowed());
            }
            if sel.window.is_some() || !sel.group_by.is_empty() {
                return Err(err(
                    ecode::NOT_ALLOWED_FUNC,
                    format!(
                        "{} function is not supported in window query or group query",
                        name
                    ),
                ));
            }
        }
        if multi && (has_indef || has_agg || has_multi) {
            return Err(not_allowed());
        }
        has_agg |= agg;
        has_multi |= multi;
        if let Some(r) = indef {
            has_indef = true;
            rows = r;
            by_row = name == "diff";
        }
    }
    Ok(())
}

/// A comparison of `statecount` / `stateduration`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum StateOp {
    Lt,
    Gt,
    Le,
    Ge,
    Ne,
    Eq,
}

impl StateOp {
    pub(crate) fn parse(s: &str) -> Option<StateOp> {
        Some(match s.to_ascii_uppercase().as_str() {
            "LT" => StateOp::Lt,
            "GT" => StateOp::Gt,
            "LE" => StateOp::Le,
            "GE" => StateOp::Ge,
            "NE" => StateOp::Ne,
            "EQ" => StateOp::Eq,
            _ => return None,
        })
    }

    fn holds(self, v: f64, bound: f64) -> bool {
        match self {
            StateOp::Lt => v < bound,
            StateOp::Gt => v > bound,
            StateOp::Le => v <= bound,
            StateOp::Ge => v >= bound,
            StateOp::Ne => v != bound,
            StateOp::Eq => v == bound,
        }
    }
}

/// One several-rows function, its options checked.
#[derive(Clone, Debug)]
pub(crate) enum RowsFn {
    /// The ignore option: bit 1 makes negative differences NULL, bit 2 skips NULL rows (with
    /// both, such rows are skipped).
    Diff(u8),
    Csum,
    Mavg(usize),
    /// Time unit in the database precision; whether negative rates are dropped.
    Derivative(i64, bool),
    StateCount(StateOp, f64),
    /// Time unit in the database precision.
    StateDuration(StateOp, f64, i64),
    /// k rows, skipping `offset` from the end.
    Tail(usize, usize),
    Unique,
    Top(usize),
    Bottom(usize),
    Sample(usize),
    /// Bins `(lower, upper]`; counts normalized to fractions.
    Histogram(Vec<(f64, f64)>, bool),
}

pub(crate) struct RowsSpec {
    pub(crate) func: RowsFn,
    pub(crate) arg: BExpr,
    pub(crate) arg_ty: DataType,
}

impl RowsFn {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            RowsFn::Diff(_) => "diff",
            RowsFn::Csum => "csum",
            RowsFn::Mavg(_) => "mavg",
            RowsFn::Derivative(..) => "derivative",
            RowsFn::StateCount(..) => "statecount",
            RowsFn::StateDuration(..) => "stateduration",
            RowsFn::Tail(..) => "tail",
            RowsFn::Unique => "unique",
            RowsFn::Top(_) => "top",
            RowsFn::Bottom(_) => "bottom",
            RowsFn::Sample(_) => "sample",
            RowsFn::Histogram(..) => "histogram",
        }
    }

    /// Functions that follow one time line: two rows at one instant are refused (10245).
    pub(crate) fn timeline(&self) -> bool {
        matches!(
            self,
            RowsFn::Diff(_)
                | RowsFn::Csum
                | RowsFn::Mavg(_)
                | RowsFn::Derivative(..)
                | RowsFn::StateCount(..)
                | RowsFn::StateDuration(..)
        )
    }

    /// The rows of one group (`g` in timestamp order, `vals` the argument per row) this
    /// function answers, each with the input row its other columns come from.
    pub(crate) fn run(
        &self,
        rel: &Relation,
        g: &[RowRef],
        vals: &[Value],
        arg_ty: DataType,
    ) -> Result<Vec<(RowRef, Value)>, TdError> {
        let mut out = Vec::new();
        let float = matches!(arg_ty, DataType::Float | DataType::Double);
        match self {
            RowsFn::Diff(opt) => {
                for (r, vs) in diff_by_row(rel, g, &[vals], &[*opt], &[arg_ty])? {
                    out.push((r, vs.into_iter().next().unwrap_or(Value::Null)));
                }
            }
            RowsFn::Csum => {
                let unsigned = matches!(
                    arg_ty,
                    DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt
                );
                let (mut si, mut su, mut sf) = (0i64, 0u64, 0f64);
                for (i, v) in vals.iter().enumerate() {
                    if v.is_null() {
                        continue;
                    }
                    let x = if float {
                        sf += to_f64(v).unwrap_or(0.0);
                        Value::Double(sf)
                    } else if unsigned {
                        su = su.wrapping_add(as_i64(v) as u64);
                        Value::UInt(su)
                    } else {
                        si = si.wrapping_add(as_i64(v));
                        Value::Int(si)
                    };
                    out.push((g[i], x));
                }
            }
            RowsFn::Mavg(k) => {
                let mut window: std::collections::VecDeque<f64> = Default::default();
                let mut sum = 0.0;
                for (i, v) in vals.iter().enumerate() {
                    let Some(x) = to_f64(v) else { continue };
                    window.push_back(x);
                    sum += x;
                    if window.len() > *k {
                        sum -= window.pop_front().unwrap_or(0.0);
                    }
                    if window.len() == *k {
                        out.push((g[i], Value::Double(sum / *k as f64)));
                    }
                }
            }
            RowsFn::Derivative(unit, ignore_negative) => {
                let mut prev: Option<(i64, f64)> = None;
                for (i, v) in vals.iter().enumerate() {
                    let Some(x) = to_f64(v) else { continue };
                    let t = rel.ts(g[i]);
                    if let Some((pt, pv)) = prev {
                        if t == pt {
                            return Err(dup_ts());
                        }
                        let rate = (x - pv) * *unit as f64 / (t - pt) as f64;
                        if !(*ignore_negative && rate < 0.0) {
                            out.push((g[i], Value::Double(rate)));
                        }
                    }
                    prev = Some((t, x));
                }
            }
            RowsFn::StateCount(op, bound) => {
                let mut count = 0i64;
                for (i, v) in vals.iter().enumerate() {
                    let x = match to_f64(v) {
                        None => Value::Null,
                        Some(x) if op.holds(x, *bound) => {
                            count += 1;
                            Value::Int(count)
                        }
                        Some(_) => {
                            count = 0;
                            Value::Int(-1)
                        }
                    };
                    out.push((g[i], x));
                }
            }
            RowsFn::StateDuration(op, bound, unit) => {
                let mut start: Option<i64> = None;
                for (i, v) in vals.iter().enumerate() {
                    let t = rel.ts(g[i]);
                    let x = match to_f64(v) {
                        None => Value::Null,
                        Some(x) if op.holds(x, *bound) => {
                            let s = *start.get_or_insert(t);
                            Value::Int((t - s) / (*unit).max(1))
                        }
                        Some(_) => {
                            start = None;
                            Value::Int(-1)
                        }
                    };
                    out.push((g[i], x));
                }
            }
            RowsFn::Tail(k, offset) => {
                // the last k rows before `offset` rows from the end, newest first
                let end = g.len().saturating_sub(*offset);
                let start = end.saturating_sub(*k);
                for i in (start..end).rev() {
                    out.push((g[i], vals[i].clone()));
                }
            }
            RowsFn::Unique => {
                // each value once, at its first row; NULL (if any) first
                let mut seen: HashMap<KeyPart, ()> = HashMap::new();
                let mut null_row = None;
                for (i, v) in vals.iter().enumerate() {
                    if v.is_null() {
                        null_row.get_or_insert(g[i]);
                        continue;
                    }
                    if seen.insert(key_part(v), ()).is_none() {
                        out.push((g[i], v.clone()));
                    }
                }
                if let Some(r) = null_row {
                    out.insert(0, (r, Value::Null));
                }
            }
            RowsFn::Top(k) | RowsFn::Bottom(k) => {
                let top = matches!(self, RowsFn::Top(_));
                let mut idx: Vec<usize> = (0..g.len()).filter(|&i| !vals[i].is_null()).collect();
                idx.sort_by(|&a, &b| {
                    let o = sort_cmp(&vals[a], &vals[b]);
                    if top {
                        o.reverse()
                    } else {
                        o
                    }
                });
                idx.truncate(*k);
                idx.sort();
                out = idx.into_iter().map(|i| (g[i], vals[i].clone())).collect();
                if out.is_empty() && !g.is_empty() {
                    // rows, all NULL: one NULL answer
                    out.push((g[0], Value::Null));
                }
            }
            RowsFn::Sample(k) => {
                // k of the non-NULL rows at random (reservoir sampling), in timestamp order
                let mut picked: Vec<usize> = Vec::with_capacity(*k);
                let mut rng = Rng::seeded();
                let mut seen = 0usize;
                for (i, v) in vals.iter().enumerate() {
                    if v.is_null() {
                        continue;
                    }
                    seen += 1;
                    if picked.len() < *k {
                        picked.push(i);
                    } else {
                        let j = rng.below(seen);
                        if j < *k {
                            picked[j] = i;
                        }
                    }
                }
                picked.sort();
                out = picked.into_iter().map(|i| (g[i], vals[i].clone())).collect();
                if out.is_empty() && !g.is_empty() {
                    out.push((g[0], Value::Null));
                }
            }
            RowsFn::Histogram(bins, normalized) => {
                let mut counts = vec![0i64; bins.len()];
                for v in vals {
                    let Some(x) = to_f64(v) else { continue };
                    if let Some(k) = bins.iter().position(|(lo, hi)| x > *lo && x <= *hi) {
                        counts[k] += 1;
                    }
                }
                let total: i64 = counts.iter().sum();
                let rep = g.first().copied().unwrap_or(RowRef { seg: 0, idx: 0 });
                for (k, (lo, hi)) in bins.iter().enumerate() {
                    let count = if *normalized {
                        let f = if total == 0 { 0.0 } else { counts[k] as f64 / total as f64 };
                        format!("{:.6}", f)
                    } else {
                        counts[k].to_string()
                    };
                    out.push((
                        rep,
                        Value::Str(format!(
                            "{{\"lower_bin\":{}, \"upper_bin\":{}, \"count\":{}}}",
                            fmt_g(*lo),
                            fmt_g(*hi),
                            count
                        )),
                    ));
                }
            }
        }
        Ok(out)
    }
}

fn dup_ts() -> TdError {
    err(
        ecode::DUP_TIMESTAMP,
        "Duplicate timestamps not allowed in function",
    )
}

fn as_i64(v: &Value) -> i64 {
    match v {
        Value::Int(i) | Value::Timestamp(i) => *i,
        Value::UInt(u) => *u as i64,
        Value::Bool(b) => *b as i64,
        other => to_f64(other).unwrap_or(0.0) as i64,
    }
}

/// `diff` over one group, all `diff` calls of the select list together, row by row: a row is
/// answered when one of them keeps NULLs (options 0, 1) or has a value there; the first row
/// only sets the previous values. Each answer: NULL for a NULL input or the first value, else
/// the difference (NULL if negative and negatives are ignored).
pub(crate) fn diff_by_row(
    rel: &Relation,
    g: &[RowRef],
    vals: &[&[Value]],
    opts: &[u8],
    types: &[DataType],
) -> Result<Vec<(RowRef, Vec<Value>)>, TdError> {
    let n = vals.len();
    let keep_null = opts.iter().any(|o| o & 2 == 0);
    let float: Vec<bool> = types
        .iter()
        .map(|t| matches!(t, DataType::Float | DataType::Double))
        .collect();
    // previous value and its timestamp, per function
    let mut prev: Vec<Option<(i64, Value)>> = vec![None; n];
    let negative = |i: usize, v: &Value, p: &Value| -> bool {
        if float[i] {
            to_f64(v).unwrap_or(0.0) < to_f64(p).unwrap_or(0.0)
        } else if types[i] == DataType::UBigInt {
            (as_i64(v) as u64) < (as_i64(p) as u64)
        } else {
            as_i64(v) < as_i64(p)
        }
    };
    let mut out = Vec::new();
    for (ri, &r) in g.iter().enumerate() {
        let t = rel.ts(r);
        let has_value = (0..n).any(|i| {
            let v = &vals[i][ri];
            match &prev[i] {
                _ if v.is_null() => false,
                None => false,
                Some((_, p)) => !(opts[i] & 1 == 1 && negative(i, v, p)),
            }
        });
        if ri == 0 || !(keep_null || has_value) {
            for i in 0..n {
                let v = &vals[i][ri];
                if !v.is_null() {
                    prev[i] = Some((t, v.clone()));
                }
            }
            continue;
        }
        let mut row = Vec::with_capacity(n);
        for i in 0..n {
            let v = &vals[i][ri];
            if v.is_null() {
                row.push(Value::Null);
                continue;
            }
            match &prev[i] {
                None => row.push(Value::Null),
                Some((pt, p)) => {
                    if *pt == t {
                        return Err(dup_ts());
                    }
                    let x = if opts[i] & 1 == 1 && negative(i, v, p) {
                        Value::Null
                    } else if float[i] {
                        Value::Double(to_f64(v).unwrap_or(0.0) - to_f64(p).unwrap_or(0.0))
                    } else {
                        Value::Int(as_i64(v).wrapping_sub(as_i64(p)))
                    };
                    row.push(x);
                }
            }
            prev[i] = Some((t, v.clone()));
        }
        out.push((r, row));
    }
    Ok(out)
}

/// The rows of one group for all several-rows functions of the select list: `diff` calls are
/// aligned row by row; any other function stands alone, or beside others of its kind answering
/// as many rows (`csum(a), csum(b)`); each answer row carries its input row.
pub(crate) fn group_rows(
    rel: &Relation,
    env: &EvalEnv,
    g: &[RowRef],
    specs: &[RowsSpec],
) -> Result<Vec<(RowRef, Vec<Value>)>, TdError> {
    if specs.iter().any(|s| s.func.timeline()) && g.windows(2).any(|w| rel.ts(w[0]) == rel.ts(w[1]))
    {
        return Err(dup_ts());
    }
    let vals: Vec<Vec<Value>> = specs
        .iter()
        .map(|s| g.iter().map(|&r| s.arg.eval(rel, Some(r), None, env)).collect())
        .collect();
    if specs.iter().all(|s| matches!(s.func, RowsFn::Diff(_))) {
        let opts: Vec<u8> = specs
            .iter()
            .map(|s| match s.func {
                RowsFn::Diff(o) => o,
                _ => 0,
            })
            .collect();
        let types: Vec<DataType> = specs.iter().map(|s| s.arg_ty).collect();
        let refs: Vec<&[Value]> = vals.iter().map(|v| v.as_slice()).collect();
        return diff_by_row(rel, g, &refs, &opts, &types);
    }
    let mut each = Vec::with_capacity(specs.len());
    for (s, v) in specs.iter().zip(&vals) {
        each.push(s.func.run(rel, g, v, s.arg_ty)?);
    }
    // TDengine pairs the answers by position, other columns read from the last function's row
    // (`csum(a), csum(b)` over different NULLs); answers of different lengths are not reproduced
    let last = each.last().cloned().unwrap_or_default();
    if each.iter().any(|e| e.len() != last.len()) {
        return Err(unsupported(
            "several indefinite-rows functions answering different numbers of rows",
        ));
    }
    Ok(last
        .iter()
        .enumerate()
        .map(|(i, (r, _))| (*r, each.iter().map(|e| e[i].1.clone()).collect()))
        .collect())
}

/// C's `%g`: six significant digits, trailing zeros removed, exponent form outside 1e-4..1e6.
pub(crate) fn fmt_g(x: f64) -> String {
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    if x.is_nan() {
        return "nan".into();
    }
    if x == 0.0 {
        return if x.is_sign_negative() { "-0".into() } else { "0".into() };
    }
    let exp = x.abs().log10().floor() as i32;
    let trim = |s: String| -> String {
        if s.contains('.') {
            s.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            s
        }
    };
    // rounding to 6 digits may carry into the next power of ten
    let sci = format!("{:.5e}", x);
    let (mant, e) = sci.split_once('e').unwrap_or((&sci, "0"));
    let e: i32 = e.parse().unwrap_or(exp);
    if !(-4..6).contains(&e) {
        let m = trim(mant.to_string());
        format!("{}e{}{:02}", m, if e < 0 { '-' } else { '+' }, e.abs())
    } else {
        let decimals = (5 - e).max(0) as usize;
        trim(format!("{:.*}", decimals, x))
    }
}

/// A small xorshift generator for `sample` (TDengine samples at random too).
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x9e37_79b9_7f4a_7c15);
        Rng(t | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::fmt_g;

    #[test]
    fn fmt_g_is_c_printf_g() {
        assert_eq!(fmt_g(1.0), "1");
        assert_eq!(fmt_g(2.5), "2.5");
        assert_eq!(fmt_g(-0.125), "-0.125");
        assert_eq!(fmt_g(1e6), "1e+06");
        assert_eq!(fmt_g(123456.0), "123456");
        assert_eq!(fmt_g(1234567.0), "1.23457e+06");
        assert_eq!(fmt_g(0.0001), "0.0001");
        assert_eq!(fmt_g(0.00001), "1e-05");
        assert_eq!(fmt_g(f64::NEG_INFINITY), "-inf");
        assert_eq!(fmt_g(1.0 / 3.0), "0.333333");
    }
}
