//! Grouping: windows (INTERVAL, SESSION, STATE, EVENT, COUNT, FILL), aggregation per group and
//! window, INTERP and the multi-row functions (top/bottom/diff/csum).

use std::collections::HashMap;

use crate::engine::errors::{ecode, err, unsupported};
use crate::engine::eval::{
    cast_value, sort_cmp, to_f64, truthy, BExpr, EvalEnv, GroupCtx, Relation, RowRef,
};
use crate::engine::state::Engine;
use crate::engine::time;
use crate::sql::ast::*;
use crate::types::{DataType, Field, Precision, TdError, Value};

use super::binder::{is_numeric, Binder, OutCol};
use super::functions::{aggregate_refused, AggKind, AggSpec};
use super::rows::{key_part, KeyPart};
use super::approx_percentile::Histogram;
use super::mode::mode_pick;
use super::rows_fns::{group_rows, RowsSpec};

/// The window clause, bound.
pub(super) enum WinKind {
    /// Fixed windows; `months` > 0 for calendar units (n/y), then `interval` is unused.
    Interval {
        interval: i64,
        sliding: i64,
        offset: i64,
        months: i64,
        /// A calendar offset of a calendar interval (`interval(1y, 1n)`), in months.
        month_offset: i64,
        fill: Option<FillSpec>,
    },
    Session {
        gap: i64,
    },
    State {
        expr: BExpr,
        true_for: i64,
    },
    Event {
        start: BExpr,
        end: BExpr,
        true_for: i64,
    },
    Count {
        count: usize,
        sliding: usize,
        /// Only rows where one of these columns is not NULL count (none: every row).
        cols: Vec<usize>,
    },
}

fn session_col() -> TdError {
    err(
        ecode::INTER_SESSION_COL,
        "Only support SESSION on primary timestamp column",
    )
}

pub(super) struct FillSpec {
    mode: Fill,
    /// Query time range [start, end) from the WHERE clause.
    range: (i64, i64),
}

/// One window of a group: bounds for the pseudo-columns and the row range in ts order.
pub(super) struct Win {
    start: i64,
    end: i64,
    duration: i64,
    rows: std::ops::Range<usize>,
}

pub(super) fn window_kind(
    sel: &Select,
    b: &mut Binder,
    rel: &Relation,
) -> Result<Option<WinKind>, TdError> {
    let p = rel.precision;
    let Some(w) = &sel.window else {
        return Ok(None);
    };
    if !sel.group_by.is_empty() {
        return Err(err(
            ecode::GROUPBY_WINDOW_COEXIST,
            "GROUP BY and WINDOW-clause can't be used together",
        ));
    }
    // a window over a UNION without ORDER BY: 3.3.7.5 answers code 3 with 9808's text
    if let Some(FromItem::Subquery { query, .. }) = &sel.from {
        if query.selects.len() > 1 && query.order_by.is_empty() && !matches!(w, Window::Interp { .. }) {
            return Err(err(
                3,
                "Window query not supported, since not valid primary timestamp column as input",
            ));
        }
    }
    // a window needs a primary timestamp to run over (a subquery may not have one)
    if rel.ts_col.is_none() && !matches!(w, Window::Interp { .. }) {
        if let Window::Session { .. } = w {
            return Err(session_col());
        }
        return Err(err(
            ecode::NOT_ALLOWED_WIN_QUERY,
            "Window query not supported, since not valid primary timestamp column as input",
        ));
    }
    let calendar = |e: &Expr| {
        matches!(
            e,
            Expr::Duration {
                unit: 'n' | 'y',
                ..
            }
        )
    };
    let true_for = |t: &Option<Expr>| -> Result<i64, TdError> {
        match t {
            None => Ok(0),
            Some(e) if calendar(e) => Err(err(
                ecode::TRUE_FOR_UNIT,
                "Cannot use 'year' or 'month' as true_for duration",
            )),
            Some(Expr::Duration { value, unit }) => {
                time::duration_units(*value, *unit, p).ok_or_else(|| unsupported("true_for"))
            }
            Some(Expr::Int(v)) => Ok(*v as i64),
            Some(_) => Err(unsupported("true_for")),
        }
    };
    let dur = |e: &Expr| -> Result<(i64, i64), TdError> {
        match e {
            Expr::Duration { value, unit } => {
                if *unit == 'n' {
                    return Ok((0, *value));
                }
                if *unit == 'y' {
                    return Ok((0, value * 12));
                }
                if matches!(
                    (unit, p),
                    ('b', Precision::Millisecond)
                        | ('u', Precision::Millisecond)
                        | ('b', Precision::Microsecond)
                ) {
                    return Err(err(
                        ecode::INTERVAL_TOO_SMALL,
                        "Interval cannot be less than 1 ms",
                    ));
                }
                time::duration_units(*value, *unit, p)
                    .map(|u| (u, 0))
                    .ok_or_else(|| unsupported("interval"))
            }
            Expr::Int(v) => Ok((*v as i64, 0)),
            _ => Err(unsupported("interval")),
        }
    };
    let saved = b.agg_mode;
    b.agg_mode = false;
    let out = match w {
        Window::Interval {
            interval,
            offset,
            sliding,
            fill,
        } => {
            let (iv, months) = dur(interval)?;
            if iv <= 0 && months <= 0 {
                return Err(err(
                    ecode::INTERVAL_TOO_SMALL,
                    "Interval cannot be less than 1 ms",
                ));
            }
            // the offset: shorter than the interval; a month interval takes no year offset
            let (off_units, off_months) = match offset {
                Some(o) => {
                    if matches!(interval, Expr::Duration { unit: 'n', .. })
                        && matches!(o, Expr::Duration { unit: 'y', .. })
                    {
                        return Err(err(
                            ecode::INTER_OFFSET_UNIT,
                            "Cannot use 'year' as offset when interval is 'month'",
                        ));
                    }
                    let (ou, om) = dur(o)?;
                    let too_big = if months == 0 && om == 0 {
                        ou >= iv
                    } else {
                        // compared in months (a fixed offset is counted in 30-day months)
                        let per_month = 30 * 86_400 * p.per_second();
                        om as f64 + ou as f64 / per_month as f64
                            > (months as f64 + iv.max(0) as f64 / per_month as f64)
                    };
                    if too_big {
                        return Err(err(
                            ecode::INTER_OFFSET_TOO_BIG,
                            "Interval offset should be shorter than interval",
                        ));
                    }
                    (ou, om)
                }
                None => (0, 0),
            };
            if let Some(s) = sliding {
                if calendar(s) {
                    return Err(err(
                        ecode::INTER_SLIDING_UNIT,
                        "Does not support sliding when interval is natural month/year",
                    ));
                }
                // 3.3.7.5 slides a calendar interval by a fixed step (a window a month long
                // every day); this engine does not
                if months > 0 {
                    return Err(unsupported("SLIDING with a calendar INTERVAL"));
                }
            }
            let sl = match sliding {
                Some(s) => dur(s)?.0,
                None => iv,
            };
            if months == 0 && sl > iv {
                return Err(err(
                    ecode::SLIDING_TOO_LARGE,
                    "sliding value no larger than the interval value",
                ));
            }
            if months == 0 && sl <= 0 {
                return Err(unsupported("sliding"));
            }
            // TDengine's bound (it also keeps the number of overlapping windows per row small)
            if months == 0 && sl.saturating_mul(100) < iv {
                return Err(err(
                    9778,
                    "sliding value can not less than 1% of interval value",
                ));
            }
            let off = match offset {
                Some(_) => off_units,
                // day-sized windows start at midnight in the server timezone
                None if matches!(
                    interval,
                    Expr::Duration {
                        unit: 'd' | 'w',
                        ..
                    }
                ) =>
                {
                    use chrono::Offset;
                    let tz = b.engine.config().timezone;
                    let secs = chrono::Utc::now()
                        .with_timezone(&tz)
                        .offset()
                        .fix()
                        .local_minus_utc() as i64;
                    (-secs * p.per_second()).rem_euclid(iv.max(1))
                }
                None => 0,
            };
            let fill = match fill {
                None | Some(Fill::None) => None,
                Some(f) => {
                    let range = where_time_range(sel.where_.as_ref(), b, rel).ok_or_else(|| {
                        err(
                            ecode::FILL_RANGE_REQUIRED,
                            "Start(end) time of query range required or time range too large",
                        )
                    })?;
                    if months == 0 && (range.1 - range.0) / iv.max(1) > 10_000_000 {
                        return Err(err(
                            ecode::FILL_RANGE_REQUIRED,
                            "Start(end) time of query range required or time range too large",
                        ));
                    }
                    Some(FillSpec {
                        mode: f.clone(),
                        range,
                    })
                }
            };
            WinKind::Interval {
                interval: iv,
                sliding: sl,
                offset: off,
                months,
                month_offset: off_months,
                fill,
            }
        }
        Window::Session { col, gap } => {
            let gap_units = if calendar(gap) { 0 } else { dur(gap)?.0 };
            if gap_units <= 0 {
                return Err(err(
                    ecode::INTER_SESSION_GAP,
                    "SESSION gap should be fixed time window, and greater than 0",
                ));
            }
            let Expr::Column { table, name } = col else {
                return Err(session_col());
            };
            let c = b.find_column(table.as_deref(), name)?;
            if Some(c) != rel.ts_col {
                return Err(session_col());
            }
            WinKind::Session { gap: gap_units }
        }
        Window::State { expr, true_for: tf } => {
            let (e, f) = b.bind(expr, false)?;
            let integer = is_numeric(f.ty)
                && !matches!(f.ty, DataType::Float | DataType::Double)
                && !f.ty.is_decimal();
            // a bare NULL is bound as VARCHAR(0) but is no column of a type that has states
            if !(integer || f.ty.is_var() && f.ty != DataType::Json)
                || f.ty == DataType::Timestamp
                || matches!(expr, Expr::Null)
            {
                return Err(err(
                    ecode::INVALID_STATE_WIN_TYPE,
                    "Only support STATE_WINDOW on integer/bool/varchar column",
                ));
            }
            if matches!(e, BExpr::Col(i) if rel.fields[i].is_tag) {
                return Err(err(
                    ecode::INVALID_STATE_WIN_COL,
                    "Not support STATE_WINDOW on tag column",
                ));
            }
            WinKind::State {
                expr: e,
                true_for: true_for(tf)?,
            }
        }
        Window::Event {
            start,
            end,
            true_for: tf,
        } => WinKind::Event {
            start: event_condition(b, start)?,
            end: event_condition(b, end)?,
            true_for: true_for(tf)?,
        },
        Window::Interp { .. } => return Err(unsupported("range/every outside interp")),
        Window::Count {
            count,
            sliding,
            cols,
        } => {
            let bad = |m: &str| err(ecode::INVALID_STREAM_QUERY, m.to_string());
            let sliding = sliding.unwrap_or(*count);
            if *count < 2 {
                return Err(bad("Size of Count window must exceed 1."));
            }
            if sliding < 1 {
                return Err(bad("Size of Count window must exceed 0."));
            }
            if sliding > *count {
                return Err(bad("sliding value no larger than the count value."));
            }
            if *count >= i32::MAX as i64 {
                return Err(bad(
                    "Size of Count window must less than 2147483647(INT32_MAX).",
                ));
            }
            let mut filter = Vec::new();
            for c in cols {
                filter.push(b.find_column(None, c)?);
            }
            WinKind::Count {
                count: *count as usize,
                sliding: sliding as usize,
                cols: filter,
            }
        }
    };
    b.agg_mode = saved;
    Ok(Some(out))
}

/// `[start, end)` of the primary timestamp from top-level AND conditions of WHERE.
pub(super) fn where_time_range(w: Option<&Expr>, b: &Binder, rel: &Relation) -> Option<(i64, i64)> {
    let (lo, hi) = where_time_bounds(w, b, rel);
    Some((lo?, hi?))
}

/// The bounds WHERE puts on the primary timestamp: `[start, end)`, each side if it has one.
pub(super) fn where_time_bounds(
    w: Option<&Expr>,
    b: &Binder,
    rel: &Relation,
) -> (Option<i64>, Option<i64>) {
    let Some(ts_name) = rel.ts_col.map(|c| rel.fields[c].field.name.clone()) else {
        return (None, None);
    };
    let mut lo: Option<i64> = None;
    let mut hi: Option<i64> = None;
    fn walk(e: &Expr, ts: &str, b: &Binder, lo: &mut Option<i64>, hi: &mut Option<i64>) {
        match e {
            Expr::Binary {
                op: BinOp::And,
                left,
                right,
            } => {
                walk(left, ts, b, lo, hi);
                walk(right, ts, b, lo, hi);
            }
            Expr::Binary { op, left, right } => {
                let Expr::Column { name, .. } = left.as_ref() else {
                    return;
                };
                if name != ts {
                    return;
                }
                let v = match right.as_ref() {
                    Expr::Str(s) => {
                        time::parse_timestamp(s, b.engine.session_tz(b.ctx), b.rel.precision)
                    }
                    Expr::Int(i) => Some(*i as i64),
                    _ => None,
                };
                let Some(v) = v else { return };
                match op {
                    BinOp::Ge => *lo = Some(v),
                    BinOp::Gt => *lo = Some(v + 1),
                    BinOp::Lt => *hi = Some(v),
                    BinOp::Le => *hi = Some(v + 1),
                    BinOp::Eq => {
                        *lo = Some(v);
                        *hi = Some(v + 1);
                    }
                    _ => {}
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                negated: false,
            } => {
                if let (Expr::Column { name, .. }, Expr::Str(a), Expr::Str(z)) =
                    (expr.as_ref(), low.as_ref(), high.as_ref())
                {
                    if name == ts {
                        let tz = b.engine.session_tz(b.ctx);
                        *lo = time::parse_timestamp(a, tz, b.rel.precision);
                        *hi = time::parse_timestamp(z, tz, b.rel.precision).map(|x| x + 1);
                    }
                }
            }
            _ => {}
        }
    }
    if let Some(w) = w {
        walk(w, &ts_name, b, &mut lo, &mut hi);
    }
    (lo, hi)
}

/// Month index (year * 12 + month0) of a timestamp in the server timezone.
pub(super) fn month_index(ts: i64, p: Precision, tz: chrono_tz::Tz) -> i64 {
    use chrono::Datelike;
    let d = chrono::DateTime::from_timestamp(ts.div_euclid(p.per_second()), 0)
        .unwrap_or_default()
        .with_timezone(&tz);
    d.year() as i64 * 12 + d.month0() as i64
}

pub(super) fn month_start(idx: i64, p: Precision, tz: chrono_tz::Tz) -> i64 {
    use chrono::TimeZone;
    let (y, m) = (idx.div_euclid(12) as i32, idx.rem_euclid(12) as u32 + 1);
    let naive = chrono::NaiveDate::from_ymd_opt(y, m, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    tz.from_local_datetime(&naive)
        .earliest()
        .map(|d| d.timestamp())
        .unwrap_or(0)
        * p.per_second()
}

/// Windows over one group's rows (`ts` ascending), in output order.
pub(super) fn compute_windows(
    kind: &WinKind,
    rel: &Relation,
    env: &EvalEnv,
    sorted: &[RowRef],
    ts: &[i64],
) -> Vec<Win> {
    let mut out = Vec::new();
    match kind {
        WinKind::Interval {
            interval,
            sliding,
            offset,
            months,
            month_offset,
            fill,
        } => {
            if *months > 0 {
                // calendar windows start at a multiple of the interval in months, shifted by the
                // offset (months, then fixed units)
                let start_of =
                    |k: i64| month_start(k + month_offset, env.precision, env.tz) + offset;
                // the window holding instant t
                let window_of = |t: i64| {
                    let mut k = (month_index(t - offset, env.precision, env.tz) - month_offset)
                        .div_euclid(*months)
                        * months;
                    while start_of(k) > t {
                        k -= months;
                    }
                    while start_of(k + months) <= t {
                        k += months;
                    }
                    k
                };
                let mut starts: Vec<i64> = Vec::new();
                if let Some(f) = fill {
                    // FILL: every window of the query range
                    let mut k = window_of(f.range.0);
                    while start_of(k) < f.range.1 {
                        starts.push(k);
                        k += months;
                    }
                } else {
                    for &t in ts {
                        let k = window_of(t);
                        if starts.last().is_none_or(|&l| k > l) {
                            starts.push(k);
                        }
                    }
                }
                for k in starts {
                    let (s, e) = (start_of(k), start_of(k + months));
                    let lo = ts.partition_point(|&t| t < s);
                    let hi = ts.partition_point(|&t| t < e);
                    out.push(Win {
                        start: s,
                        end: e,
                        duration: e - s,
                        rows: lo..hi,
                    });
                }
                return out;
            }
            let starts: Vec<i64> = match fill {
                Some(f) => {
                    // every window that overlaps the query range
                    let first = ((f.range.0 - offset - interval).div_euclid(*sliding) + 1)
                        * sliding
                        + offset;
                    let mut v = Vec::new();
                    let mut s = first;
                    while s < f.range.1 {
                        v.push(s);
                        s += sliding;
                    }
                    v
                }
                None => {
                    let mut v: Vec<i64> = Vec::new();
                    for &t in ts {
                        let last_k = (t - offset).div_euclid(*sliding);
                        let mut k = (t - offset - interval).div_euclid(*sliding) + 1;
                        while k <= last_k {
                            let s = k * sliding + offset;
                            if v.last().is_none_or(|&l| s > l) {
                                v.push(s);
                            }
                            k += 1;
                        }
                    }
                    v
                }
            };
            for s in starts {
                let e = s + interval;
                let lo = ts.partition_point(|&t| t < s);
                let hi = ts.partition_point(|&t| t < e);
                if lo < hi || fill.is_some() {
                    out.push(Win {
                        start: s,
                        end: e,
                        duration: *interval,
                        rows: lo..hi,
                    });
                }
            }
        }
        WinKind::Session { gap } => {
            let mut i = 0;
            while i < ts.len() {
                let mut j = i + 1;
                while j < ts.len() && ts[j] - ts[j - 1] <= *gap {
                    j += 1;
                }
                out.push(Win {
                    start: ts[i],
                    end: ts[j - 1],
                    duration: ts[j - 1] - ts[i],
                    rows: i..j,
                });
                i = j;
            }
        }
        WinKind::State { expr, .. } => {
            let mut i = 0;
            while i < sorted.len() {
                let v = expr.eval(rel, Some(sorted[i]), None, env);
                if v.is_null() {
                    i += 1;
                    continue;
                }
                let k = key_part(&v);
                let mut j = i + 1;
                while j < sorted.len() && key_part(&expr.eval(rel, Some(sorted[j]), None, env)) == k
                {
                    j += 1;
                }
                out.push(Win {
                    start: ts[i],
                    end: ts[j - 1],
                    duration: ts[j - 1] - ts[i],
                    rows: i..j,
                });
                i = j;
            }
        }
        WinKind::Event { start, end, .. } => {
            let mut open: Option<usize> = None;
            for (i, &r) in sorted.iter().enumerate() {
                if open.is_none() && truthy(&start.eval(rel, Some(r), None, env)) {
                    open = Some(i);
                }
                if let Some(o) = open {
                    if truthy(&end.eval(rel, Some(r), None, env)) {
                        out.push(Win {
                            start: ts[o],
                            end: ts[i],
                            duration: ts[i] - ts[o],
                            rows: o..i + 1,
                        });
                        open = None;
                    }
                }
            }
        }
        WinKind::Count { count, sliding, .. } => {
            // a window starts every `sliding` rows; the last ones may be partial
            let mut i = 0;
            while i < ts.len() {
                let j = (i + count).min(ts.len());
                out.push(Win {
                    start: ts[i],
                    end: ts[j - 1],
                    duration: ts[j - 1] - ts[i],
                    rows: i..j,
                });
                if j == ts.len() && *sliding >= *count {
                    break;
                }
                i += sliding;
            }
        }
    }
    // TRUE_FOR: only windows that last long enough
    if let WinKind::State { true_for, .. } | WinKind::Event { true_for, .. } = kind {
        out.retain(|w| w.duration >= *true_for);
    }
    out
}

#[allow(clippy::too_many_arguments)]
pub(super) fn aggregate(
    b: &Binder,
    sel: &Select,
    rel: &Relation,
    env: &EvalEnv,
    rows: &[RowRef],
    outs: &[OutCol],
    key_exprs: &[BExpr],
    key_cols: &[usize],
    win: Option<&WinKind>,
    seeds: &[RowRef],
    visible: usize,
) -> Result<Vec<Vec<Value>>, TdError> {
    // Columns outside aggregates must be group keys, constant per group (tags/tbname when
    // partitioned by tbname), or ride along with exactly one selector.
    let selectors = b.aggs.iter().filter(|a| a.kind.is_selector()).count();
    // any other aggregate (sum, count, …) beside the selector leaves no row to carry columns from
    let other_aggs = b.aggs.iter().any(|a| !a.kind.is_selector());
    let by_tbname = key_cols.iter().any(|&c| rel.fields[c].is_tbname);
    // one table's own name and tags are constant over its rows: outside windows they need no
    // grouping (3.3.7.5: `select tbname, count(*) from t`, `select g, count(*) from c1`)
    let one_table = !rel.is_super && matches!(sel.from, Some(FromItem::Table { .. })) && win.is_none();
    for (col, name) in &b.bare {
        let f = &rel.fields[*col];
        let allowed = key_cols.contains(col)
            || ((by_tbname || one_table) && (f.is_tag || f.is_tbname));
        if allowed {
            continue;
        }
        if win.is_some() {
            return Err(err(
                ecode::INVALID_EXPR_USAGE,
                format!("Invalid usage of expr: {}", name),
            ));
        }
        // one selector alone carries other columns along, with or without GROUP BY
        if selectors == 1 && !other_aggs {
            continue;
        }
        if !sel.group_by.is_empty() {
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
        return Err(err(
            ecode::NOT_SINGLE_GROUP,
            "Not a single-group group function",
        ));
    }
    // a window query must compute something per window
    if win.is_some() && !outs[..visible].iter().any(|c| c.expr.contains_agg()) {
        return Err(err(
            ecode::NO_VALID_FUNC_IN_WIN,
            "No valid function in window query",
        ));
    }
    let selector_idx = if selectors == 1 {
        b.aggs.iter().position(|a| a.kind.is_selector())
    } else {
        None
    };

    // Group rows by key, in order of first appearance.
    let mut groups: Vec<Vec<RowRef>> = Vec::new();
    // a seeded group answers even with no rows: its stand-in row gives the key
    let mut seed_of: Vec<Option<RowRef>> = Vec::new();
    if key_exprs.is_empty() {
        groups.push(rows.to_vec());
    } else {
        let mut index: HashMap<Vec<KeyPart>, usize> = HashMap::new();
        for &r in seeds {
            let k: Vec<KeyPart> = key_exprs
                .iter()
                .map(|e| key_part(&e.eval(rel, Some(r), None, env)))
                .collect();
            index.entry(k).or_insert_with(|| {
                groups.push(Vec::new());
                seed_of.push(Some(r));
                groups.len() - 1
            });
        }
        for &r in rows {
            let k: Vec<KeyPart> = key_exprs
                .iter()
                .map(|e| key_part(&e.eval(rel, Some(r), None, env)))
                .collect();
            let gi = *index.entry(k).or_insert_with(|| {
                groups.push(Vec::new());
                seed_of.push(None);
                groups.len() - 1
            });
            groups[gi].push(r);
        }
    }

    let fill = match win {
        Some(WinKind::Interval { fill: Some(f), .. }) => Some(f),
        _ => None,
    };
    // output columns a FILL rewrites: those computed from aggregates
    let fillable: Vec<usize> = (0..outs.len())
        .filter(|&i| outs[i].expr.contains_agg())
        .collect();

    // 3.3.7.5: without GROUP/PARTITION BY, a query with first()/last() answers no row for a
    // window (or the whole input) where every aggregate found no value (see `no_result`);
    // FILL then fills that window as an empty one
    let drop_empty = key_exprs.is_empty() && b.aggs.iter().any(|a| matches!(a.kind, AggKind::First | AggKind::Last));
    let mut out = Vec::new();
    for (gi, g) in groups.iter().enumerate() {
        match win {
            None => {
                if g.is_empty() {
                    // zero input rows: one row only when the select list counts (or, grouped,
                    // for a seeded group)
                    let counts = b
                        .aggs
                        .iter()
                        .any(|a| matches!(a.kind, AggKind::Count | AggKind::CountStar));
                    let seed = seed_of.get(gi).copied().flatten();
                    if !counts || !key_exprs.is_empty() && seed.is_none() {
                        continue;
                    }
                    let aggs: Vec<Value> = b
                        .aggs
                        .iter()
                        .map(|a| {
                            if matches!(a.kind, AggKind::Count | AggKind::CountStar) {
                                Value::Int(0)
                            } else {
                                Value::Null
                            }
                        })
                        .collect();
                    let gc = GroupCtx {
                        aggs: &aggs,
                        window: None,
                    };
                    out.push(
                        outs.iter()
                            .map(|c| c.expr.eval(rel, seed, Some(&gc), env))
                            .collect(),
                    );
                    continue;
                }
                // a time-weighted average follows one time line (tables merged into one group
                // must not share an instant)
                if b.aggs.iter().any(|a| a.kind == AggKind::Twa) {
                    let mut ts: Vec<i64> = g.iter().map(|&r| rel.ts(r)).collect();
                    ts.sort_unstable();
                    if ts.windows(2).any(|w| w[0] == w[1]) {
                        return Err(err(
                            ecode::DUP_TIMESTAMP,
                            "Duplicate timestamps not allowed in function",
                        ));
                    }
                }
                match group_row(b, rel, env, g, outs, selector_idx, None, None) {
                    (_, true) if drop_empty => {}
                    (row, _) => out.push(row),
                }
            }
            Some(kind) => {
                let mut sorted = g.clone();
                if let WinKind::Count { cols, .. } = kind {
                    if !cols.is_empty() {
                        sorted.retain(|&r| cols.iter().any(|&c| !rel.is_null(c, r)));
                    }
                }
                sorted.sort_by_key(|&r| rel.ts(r));
                let ts: Vec<i64> = sorted.iter().map(|&r| rel.ts(r)).collect();
                let windows = compute_windows(kind, rel, env, &sorted, &ts);
                let mut group_out: Vec<(i64, Option<Vec<Value>>)> =
                    Vec::with_capacity(windows.len());
                for w in windows {
                    let bounds = Some((w.start, w.end, w.duration));
                    // elapsed() in an INTERVAL window runs from the window's start when a row
                    // precedes it, and to its end when one follows (3.3.7.5), else from/to the
                    // window's own first/last row
                    let span = match kind {
                        WinKind::Interval { .. } if !w.rows.is_empty() => Some((
                            if w.rows.start > 0 { w.start } else { ts[w.rows.start] },
                            if w.rows.end < ts.len() { w.end } else { ts[w.rows.end - 1] },
                        )),
                        _ => None,
                    };
                    let computed = if w.rows.is_empty() {
                        None
                    } else {
                        match group_row(b, rel, env, &sorted[w.rows.clone()], outs, selector_idx, bounds, span) {
                            (_, true) if drop_empty && fill.is_none() => continue,
                            (_, true) if drop_empty => None,
                            (row, _) => Some(row),
                        }
                    };
                    let Some(row) = computed else {
                        // an empty window (FILL): window columns now, the rest filled below
                        let aggs = vec![Value::Null; b.aggs.len()];
                        let gc = GroupCtx {
                            aggs: &aggs,
                            window: bounds,
                        };
                        let rep = sorted.first().copied();
                        let row: Vec<Value> = outs
                            .iter()
                            .map(|c| c.expr.eval(rel, rep, Some(&gc), env))
                            .collect();
                        group_out.push((w.start, None));
                        out.push(row);
                        continue;
                    };
                    group_out.push((w.start, Some(row.clone())));
                    out.push(row);
                }
                if let Some(f) = fill {
                    let base = out.len() - group_out.len();
                    apply_fill(&mut out[base..], &group_out, &fillable, &f.mode, outs, env);
                }
            }
        }
    }
    Ok(out)
}

/// FILL for the empty windows of one group (`windows[i].1` is `None` when window `i` was empty).
/// PREV, NEXT and VALUE also fill a NULL a window computed (3.3.7.5: `avg(v)` of a window whose
/// only v is NULL takes the previous window's average), from the nearest non-NULL value;
/// LINEAR fills empty windows only.
pub(super) fn apply_fill(
    rows: &mut [Vec<Value>],
    windows: &[(i64, Option<Vec<Value>>)],
    fillable: &[usize],
    mode: &Fill,
    outs: &[OutCol],
    env: &EvalEnv,
) {
    let fills_nulls = matches!(mode, Fill::Prev | Fill::Next | Fill::Value(_));
    let known = |j: usize, c: usize| {
        windows[j]
            .1
            .as_ref()
            .map(|r| (windows[j].0, r[c].clone()))
            .filter(|(_, v)| !fills_nulls || !v.is_null())
    };
    for i in 0..rows.len() {
        for (k, &c) in fillable.iter().enumerate() {
            if windows[i].1.as_ref().is_some_and(|r| !fills_nulls || !r[c].is_null()) {
                continue;
            }
            let prev = (0..i).rev().find_map(|j| known(j, c));
            let next = (i + 1..rows.len()).find_map(|j| known(j, c));
            rows[i][c] = match mode {
                // NEAR is INTERP's; the parser refuses it for windows
                Fill::Null | Fill::None | Fill::Near => Value::Null,
                // a fill value takes the column's type (1.5 into an INT column is 1, 'x' is 0)
                Fill::Value(vals) => match vals.get(k).and_then(fill_literal) {
                    Some(v) => cast_value(v, &outs[c].field, env),
                    None => Value::Null,
                },
                Fill::Prev => prev.map(|p| p.1).unwrap_or(Value::Null),
                Fill::Next => next.map(|n| n.1).unwrap_or(Value::Null),
                Fill::Linear if !is_numeric(outs[c].field.ty) => Value::Null,
                Fill::Linear => match (prev, next) {
                    (Some((t0, v0)), Some((t1, v1))) => match (to_f64(&v0), to_f64(&v1)) {
                        (Some(a), Some(z)) if t1 != t0 => {
                            let x = a + (z - a) * (windows[i].0 - t0) as f64 / (t1 - t0) as f64;
                            match v0 {
                                Value::Int(_) => Value::Int(x as i64),
                                Value::UInt(_) => Value::UInt(x as u64),
                                Value::Float(_) => Value::Float(x as f32),
                                _ => Value::Double(x),
                            }
                        }
                        _ => Value::Null,
                    },
                    _ => Value::Null,
                },
            };
        }
    }
}

/// A FILL(VALUE, …) literal as a value (`-1.5` included).
fn fill_literal(e: &Expr) -> Option<Value> {
    Some(match e {
        Expr::Int(v) => Value::Int(i64::try_from(*v).ok()?),
        Expr::Float(f) => Value::Double(*f),
        Expr::Str(s) => Value::Str(s.clone()),
        Expr::Bool(b) => Value::Bool(*b),
        Expr::Neg(x) => match fill_literal(x)? {
            Value::Int(v) => Value::Int(-v),
            Value::Double(f) => Value::Double(-f),
            _ => return None,
        },
        _ => return None,
    })
}

/// INTERP over `RANGE(start, end) EVERY(step)`: one row per time point and group.
#[allow(clippy::too_many_arguments)]
pub(super) fn interp_rows(
    engine: &Engine,
    rel: &Relation,
    env: &EvalEnv,
    rows: &[RowRef],
    outs: &[OutCol],
    key_exprs: &[BExpr],
    args: &[(BExpr, Field)],
    ignore_null: bool,
    range: Option<&(Expr, Option<Expr>)>,
    every: Option<&Expr>,
    fill: Option<&Fill>,
) -> Result<Vec<Vec<Value>>, TdError> {
    let ts_of = |e: &Expr| -> Option<i64> {
        match e {
            Expr::Int(i) => Some(*i as i64),
            Expr::Str(s) => time::parse_timestamp(s, engine.config().timezone, rel.precision),
            _ => None,
        }
    };
    let Some((a, z)) = range else {
        return Err(unsupported("interp without range"));
    };
    // RANGE(t) is the single point t
    let (Some(start), Some(end)) = (ts_of(a), z.as_ref().map_or(ts_of(a), ts_of)) else {
        return Err(err(
            ecode::INVALID_TIMESTAMP_FORMAT,
            "Invalid timestamp format",
        ));
    };
    let step = match every {
        Some(Expr::Duration { value, unit }) => {
            time::duration_units(*value, *unit, rel.precision).unwrap_or(0)
        }
        None => 1,
        _ => 0,
    };
    if step <= 0 || end < start || (end - start) / step > 10_000_000 {
        return Err(err(
            ecode::FILL_RANGE_REQUIRED,
            "Start(end) time of query range required or time range too large",
        ));
    }
    let mut groups: Vec<Vec<RowRef>> = Vec::new();
    let mut index: HashMap<Vec<KeyPart>, usize> = HashMap::new();
    for &r in rows {
        let key: Vec<KeyPart> = key_exprs
            .iter()
            .map(|e| key_part(&e.eval(rel, Some(r), None, env)))
            .collect();
        let gi = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[gi].push(r);
    }
    let mut out = Vec::new();
    for mut g in groups {
        g.sort_by_key(|&r| rel.ts(r));
        if ignore_null {
            // interp(v, 1): the only argument; a row with v NULL is as if absent
            let arg = &args[0].0;
            g.retain(|&r| !matches!(arg.eval(rel, Some(r), None, env), Value::Null));
        }
        let ts: Vec<i64> = g.iter().map(|&r| rel.ts(r)).collect();
        let vals: Vec<Vec<Value>> = args
            .iter()
            .map(|(e, _)| g.iter().map(|&r| e.eval(rel, Some(r), None, env)).collect())
            .collect();
        let mut t = start;
        while t <= end {
            let pos = ts.partition_point(|&x| x < t);
            let exact = pos < ts.len() && ts[pos] == t;
            let prev = if exact { Some(pos) } else { pos.checked_sub(1) };
            let next = if pos < ts.len() { Some(pos) } else { None };
            let mut row_vals = Vec::with_capacity(args.len());
            let mut skip = false;
            for (ai, (_, f)) in args.iter().enumerate() {
                let v = if exact {
                    vals[ai][pos].clone()
                } else {
                    match fill {
                        None | Some(Fill::None) => {
                            skip = true;
                            Value::Null
                        }
                        Some(Fill::Null) => Value::Null,
                        Some(Fill::Value(list)) => match list.get(ai) {
                            Some(Expr::Int(i)) => cast_value(Value::Int(*i as i64), f, env),
                            Some(Expr::Float(x)) => cast_value(Value::Double(*x), f, env),
                            _ => Value::Null,
                        },
                        Some(Fill::Prev) => match prev {
                            Some(p) => vals[ai][p].clone(),
                            None => {
                                skip = true;
                                Value::Null
                            }
                        },
                        Some(Fill::Next) => match next {
                            Some(n) => vals[ai][n].clone(),
                            None => {
                                skip = true;
                                Value::Null
                            }
                        },
                        Some(Fill::Near) => {
                            // the nearer row; the previous one on a tie
                            let near = match (prev, next) {
                                (Some(p), Some(n)) if ts[n] - t < t - ts[p] => Some(n),
                                (Some(p), _) => Some(p),
                                (None, n) => n,
                            };
                            match near {
                                Some(i) => vals[ai][i].clone(),
                                None => {
                                    skip = true;
                                    Value::Null
                                }
                            }
                        }
                        Some(Fill::Linear) => match (prev, next) {
                            (Some(p), Some(n)) => {
                                match (to_f64(&vals[ai][p]), to_f64(&vals[ai][n])) {
                                    (Some(v0), Some(v1)) => {
                                        let x = v0
                                            + (v1 - v0) * (t - ts[p]) as f64
                                                / (ts[n] - ts[p]) as f64;
                                        cast_value(Value::Double(x), f, env)
                                    }
                                    _ => Value::Null,
                                }
                            }
                            _ => {
                                skip = true;
                                Value::Null
                            }
                        },
                    }
                };
                row_vals.push(v);
            }
            if !skip {
                // the duration slot carries `_isfilled` (1: no row at exactly t)
                let gc = GroupCtx {
                    aggs: &row_vals,
                    window: Some((t, t, i64::from(!exact))),
                };
                let rep = prev.or(next).map(|i| g[i]);
                out.push(
                    outs.iter()
                        .map(|c| c.expr.eval(rel, rep, Some(&gc), env))
                        .collect(),
                );
            }
            t += step;
        }
    }
    Ok(out)
}

/// The several-rows functions (diff, csum, top, …) per group (partition): one output row per
/// answer row, its other columns read from the input row the answer came from.
pub(super) fn several_rows(
    rel: &Relation,
    env: &EvalEnv,
    rows: &[RowRef],
    outs: &[OutCol],
    key_exprs: &[BExpr],
    specs: &[RowsSpec],
    win: Option<&WinKind>,
) -> Result<Vec<Vec<Value>>, TdError> {
    let mut groups: Vec<Vec<RowRef>> = Vec::new();
    let mut index: HashMap<Vec<KeyPart>, usize> = HashMap::new();
    for &r in rows {
        let key: Vec<KeyPart> = key_exprs
            .iter()
            .map(|e| key_part(&e.eval(rel, Some(r), None, env)))
            .collect();
        let gi = *index.entry(key).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[gi].push(r);
    }
    let mut out = Vec::new();
    for mut g in groups {
        g.sort_by_key(|&r| rel.ts(r));
        // the whole group, or each of its windows (the multi-rows aggregates only)
        let parts: Vec<(std::ops::Range<usize>, Option<(i64, i64, i64)>)> = match win {
            None => vec![(0..g.len(), None)],
            Some(kind) => {
                let ts: Vec<i64> = g.iter().map(|&r| rel.ts(r)).collect();
                compute_windows(kind, rel, env, &g, &ts)
                    .into_iter()
                    .filter(|w| !w.rows.is_empty())
                    .map(|w| (w.rows, Some((w.start, w.end, w.duration))))
                    .collect()
            }
        };
        for (range, window) in parts {
            for (r, aggs) in group_rows(rel, env, &g[range], specs)? {
                let gc = GroupCtx {
                    aggs: &aggs,
                    window,
                };
                out.push(
                    outs.iter()
                        .map(|c| c.expr.eval(rel, Some(r), Some(&gc), env))
                        .collect(),
                );
            }
        }
    }
    Ok(out)
}

pub(super) fn group_row(
    b: &Binder,
    rel: &Relation,
    env: &EvalEnv,
    rows: &[RowRef],
    outs: &[OutCol],
    selector_idx: Option<usize>,
    window: Option<(i64, i64, i64)>,
    elapsed_span: Option<(i64, i64)>,
) -> (Vec<Value>, bool) {
    let mut aggs = Vec::with_capacity(b.aggs.len());
    let mut picked: Vec<Option<RowRef>> = Vec::with_capacity(b.aggs.len());
    let mut rep = rows.first().copied();
    for (i, a) in b.aggs.iter().enumerate() {
        let (v, row) = match a.kind {
            // the selector's row (no row: NULL)
            AggKind::Cols(s) => match (picked.get(s).copied().flatten(), &a.arg) {
                (Some(r), Some(e)) => (e.eval(rel, Some(r), None, env), None),
                _ => (Value::Null, None),
            },
            AggKind::Elapsed(unit) if elapsed_span.is_some() => match compute_agg(a, rel, env, rows) {
                (Value::Null, r) => (Value::Null, r),
                (_, r) => {
                    let (lo, hi) = elapsed_span.unwrap_or_default();
                    (Value::Double((hi - lo) as f64 / unit as f64), r)
                }
            },
            _ => compute_agg(a, rel, env, rows),
        };
        picked.push(row);
        if Some(i) == selector_idx {
            if let Some(r) = row {
                rep = Some(r);
            }
        }
        aggs.push(v);
    }
    let gc = GroupCtx {
        aggs: &aggs,
        window,
    };
    let row = outs.iter().map(|c| c.expr.eval(rel, rep, Some(&gc), env)).collect();
    let empty = b.aggs.iter().zip(&aggs).all(|(a, v)| no_result(&a.kind) && v.is_null());
    (row, empty)
}

/// Whether an aggregate that answered NULL found no value at all (TDengine counts it as no
/// result): first/last, sum/avg, min/max, spread, stddev, var_pop, mode, the percentiles,
/// leastsquares and cols(). count, last_row, elapsed, twa, irate and hyperloglog always answer
/// (checked one by one on 3.3.7.5).
fn no_result(kind: &AggKind) -> bool {
    matches!(
        kind,
        AggKind::First
            | AggKind::Last
            | AggKind::Sum
            | AggKind::Avg
            | AggKind::AvgDecimal(_)
            | AggKind::Min
            | AggKind::Max
            | AggKind::Spread
            | AggKind::Stddev
            | AggKind::VarPop
            | AggKind::Mode
            | AggKind::Percentile(_)
            | AggKind::Percentiles(_)
            | AggKind::APercentile(_)
            | AggKind::LeastSquares(..)
            | AggKind::Cols(_)
    )
}

/// One aggregate over a group's rows; also returns the row a selector picked.
pub(super) fn compute_agg(
    a: &AggSpec,
    rel: &Relation,
    env: &EvalEnv,
    rows: &[RowRef],
) -> (Value, Option<RowRef>) {
    let arg = |r: RowRef| {
        a.arg
            .as_ref()
            .map(|e| e.eval(rel, Some(r), None, env))
            .unwrap_or(Value::Null)
    };
    // fast path for plain column arguments
    let col = match &a.arg {
        Some(BExpr::Col(c)) => Some(*c),
        _ => None,
    };
    let val = |r: RowRef| match col {
        Some(c) => rel.value(c, r),
        None => arg(r),
    };
    match a.kind.clone() {
        AggKind::CountStar => (Value::Int(rows.len() as i64), None),
        // computed by `group_row` from its selector's row
        AggKind::Cols(_) => (Value::Null, None),
        AggKind::BlobEmpty => (Value::Bytes(Vec::new()), None),
        AggKind::Count => {
            let n = match col {
                Some(c) => rows.iter().filter(|&&r| !rel.is_null(c, r)).count(),
                None => rows.iter().filter(|&&r| !arg(r).is_null()).count(),
            };
            (Value::Int(n as i64), None)
        }
        AggKind::Sum => {
            let mut any = false;
            match a.arg_ty {
                DataType::Float | DataType::Double => {
                    let mut s = 0.0;
                    for &r in rows {
                        if let Some(f) = to_f64(&val(r)) {
                            s += f;
                            any = true;
                        }
                    }
                    (if any { Value::Double(s) } else { Value::Null }, None)
                }
                DataType::UTinyInt | DataType::USmallInt | DataType::UInt | DataType::UBigInt => {
                    let mut s: u64 = 0;
                    for &r in rows {
                        if let Value::UInt(u) = val(r) {
                            s = s.wrapping_add(u);
                            any = true;
                        }
                    }
                    (if any { Value::UInt(s) } else { Value::Null }, None)
                }
                DataType::Decimal | DataType::Decimal64 => {
                    let mut s: i128 = 0;
                    for &r in rows {
                        if let Value::Decimal(d) = val(r) {
                            s = s.wrapping_add(d);
                            any = true;
                        }
                    }
                    (if any { Value::Decimal(s) } else { Value::Null }, None)
                }
                _ => {
                    let mut s: i64 = 0;
                    for &r in rows {
                        match val(r) {
                            Value::Int(i) => {
                                s = s.wrapping_add(i);
                                any = true;
                            }
                            Value::Bool(bv) => {
                                s += bv as i64;
                                any = true;
                            }
                            _ => {}
                        }
                    }
                    (if any { Value::Int(s) } else { Value::Null }, None)
                }
            }
        }
        AggKind::AvgDecimal(scale) => {
            let mut sum: i128 = 0;
            let mut n: i128 = 0;
            for &r in rows {
                if let Value::Decimal(d) = val(r) {
                    sum += d;
                    n += 1;
                }
            }
            if n == 0 {
                return (Value::Null, None);
            }
            let out_scale = scale.max(6);
            let num = sum * 10i128.pow((out_scale - scale) as u32);
            let q = num / n;
            let rem = num % n;
            let q = if rem.abs() * 2 >= n {
                q + num.signum()
            } else {
                q
            };
            (Value::Decimal(q), None)
        }
        AggKind::Avg | AggKind::Stddev => {
            let vals: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if vals.is_empty() {
                return (Value::Null, None);
            }
            let mean = vals.iter().sum::<f64>() / vals.len() as f64;
            if a.kind == AggKind::Avg {
                return (Value::Double(mean), None);
            }
            let var = vals.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / vals.len() as f64;
            (Value::Double(var.sqrt()), None)
        }
        AggKind::Min | AggKind::Max => {
            let mut best: Option<(Value, RowRef)> = None;
            for &r in rows {
                let v = val(r);
                if v.is_null() {
                    continue;
                }
                let better = match &best {
                    None => true,
                    Some((bv, _)) => {
                        let o = sort_cmp(&v, bv);
                        if a.kind == AggKind::Min {
                            o == std::cmp::Ordering::Less
                        } else {
                            o == std::cmp::Ordering::Greater
                        }
                    }
                };
                if better {
                    best = Some((v, r));
                }
            }
            match best {
                Some((v, r)) => (v, Some(r)),
                None => (Value::Null, None),
            }
        }
        AggKind::First | AggKind::Last | AggKind::LastRow => {
            let mut best: Option<(i64, Value, RowRef)> = None;
            for &r in rows {
                let v = val(r);
                if a.kind != AggKind::LastRow && v.is_null() {
                    continue;
                }
                let t = rel.ts(r);
                let better = match &best {
                    None => true,
                    Some((bt, _, _)) => {
                        if a.kind == AggKind::First {
                            t < *bt
                        } else {
                            t >= *bt
                        }
                    }
                };
                if better {
                    best = Some((t, v, r));
                }
            }
            match best {
                Some((_, v, r)) => (v, Some(r)),
                None => (Value::Null, None),
            }
        }
        AggKind::Spread => {
            let vals: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if vals.is_empty() {
                return (Value::Null, None);
            }
            let mx = vals.iter().cloned().fold(f64::MIN, f64::max);
            let mn = vals.iter().cloned().fold(f64::MAX, f64::min);
            (Value::Double(mx - mn), None)
        }
        AggKind::Percentile(p) => {
            let mut vals: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if vals.is_empty() {
                return (Value::Null, None);
            }
            vals.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
            (Value::Double(interpolated_percentile(&vals, p)), None)
        }
        AggKind::Percentiles(points) => {
            let mut vals: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if vals.is_empty() {
                return (Value::Null, None);
            }
            vals.sort_by(|x, y| x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal));
            let parts: Vec<String> = points
                .iter()
                .map(|p| format!("{:.6}", interpolated_percentile(&vals, *p)))
                .collect();
            (Value::Str(format!("[{}]", parts.join(", "))), None)
        }
        AggKind::VarPop => {
            // as TDengine computes it: mean of squares minus square of the mean
            let vals: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if vals.is_empty() {
                return (Value::Null, None);
            }
            let n = vals.len() as f64;
            let mean = vals.iter().sum::<f64>() / n;
            let squares = vals.iter().map(|x| x * x).sum::<f64>();
            (Value::Double((squares / n - mean * mean).abs()), None)
        }
        AggKind::Twa => {
            let mut pts: Vec<(i64, f64)> = rows
                .iter()
                .filter_map(|&r| to_f64(&val(r)).map(|v| (rel.ts(r), v)))
                .collect();
            pts.sort_by_key(|p| p.0);
            match pts.len() {
                0 => (Value::Null, None),
                1 => (Value::Double(pts[0].1), None),
                _ => {
                    let area: f64 = pts
                        .windows(2)
                        .map(|w| (w[0].1 + w[1].1) / 2.0 * (w[1].0 - w[0].0) as f64)
                        .sum();
                    let span = (pts[pts.len() - 1].0 - pts[0].0) as f64;
                    if span == 0.0 {
                        return (Value::Double(pts[0].1), None);
                    }
                    (Value::Double(area / span), None)
                }
            }
        }
        AggKind::APercentile(p) => {
            let mut histogram = Histogram::new();
            rows.iter().filter_map(|&r| to_f64(&val(r))).for_each(|v| histogram.add(v));
            (histogram.value_at(p).map_or(Value::Null, Value::Double), None)
        }
        AggKind::Irate => {
            let pts: Vec<(i64, f64)> = rows
                .iter()
                .filter_map(|&r| to_f64(&val(r)).map(|v| (rel.ts(r), v)))
                .collect();
            let mut sorted = pts;
            sorted.sort_by_key(|p| p.0);
            if sorted.len() < 2 {
                return (Value::Double(0.0), None);
            }
            let (t1, v1) = sorted[sorted.len() - 1];
            let (t0, v0) = sorted[sorted.len() - 2];
            let dt = (t1 - t0) as f64 / rel.precision.per_second() as f64;
            if dt <= 0.0 {
                return (Value::Double(0.0), None);
            }
            let dv = if v1 < v0 { v1 } else { v1 - v0 };
            (Value::Double(dv / dt), None)
        }
        AggKind::LeastSquares(start, step) => {
            let ys: Vec<f64> = rows.iter().filter_map(|&r| to_f64(&val(r))).collect();
            if ys.len() < 2 {
                return (Value::Null, None);
            }
            let n = ys.len() as f64;
            let xs: Vec<f64> = (0..ys.len()).map(|i| start + step * i as f64).collect();
            let (sx, sy) = (xs.iter().sum::<f64>(), ys.iter().sum::<f64>());
            let sxx: f64 = xs.iter().map(|x| x * x).sum();
            let sxy: f64 = xs.iter().zip(&ys).map(|(x, y)| x * y).sum();
            let d = n * sxx - sx * sx;
            if d == 0.0 {
                return (Value::Null, None);
            }
            let slope = (n * sxy - sx * sy) / d;
            let icpt = (sy - slope * sx) / n;
            (
                Value::Str(format!("{{slop:{:.6}, intercept:{:.6}}}", slope, icpt)),
                None,
            )
        }
        AggKind::Elapsed(unit) => {
            let ts: Vec<i64> = rows
                .iter()
                .filter(|&&r| !val(r).is_null())
                .map(|&r| rel.ts(r))
                .collect();
            match (ts.iter().min(), ts.iter().max()) {
                (Some(mn), Some(mx)) => (Value::Double((mx - mn) as f64 / unit as f64), None),
                _ => (Value::Null, None),
            }
        }
        AggKind::Mode => {
            let vals: Vec<Value> = rows.iter().map(|&r| val(r)).collect();
            match mode_pick(&vals, a.arg_ty) {
                Some((i, last)) => (vals[i].clone(), Some(rows[last])),
                None => (Value::Null, None),
            }
        }
        AggKind::Hll => {
            let set: std::collections::HashSet<KeyPart> = rows
                .iter()
                .map(|&r| val(r))
                .filter(|v| !v.is_null())
                .map(|v| key_part(&v))
                .collect();
            (Value::Int(set.len() as i64), None)
        }
    }
}

/// The `p`-th percentile of sorted values, interpolated between the two nearest ranks.
fn interpolated_percentile(sorted: &[f64], p: f64) -> f64 {
    let pos = p / 100.0 * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// An EVENT_WINDOW's START WITH / END WITH condition, as TDengine 3.3.7.5's executor takes it:
/// a bare column (of any type, BOOL too) or a constant that is not boolean is 1807 `invalid
/// input`; another expression must be boolean (`v + 1`, `abs(v)`: 280 `Invalid parameters`); a
/// constant boolean condition (`true`, `1 > 0`) opens no window at all.
fn event_condition(b: &mut Binder, cond: &Expr) -> Result<BExpr, TdError> {
    let invalid_input = || err(1807, "invalid input");
    if matches!(cond, Expr::Column { .. }) {
        return Err(invalid_input());
    }
    let (e, f) = b.bind(cond, false).map_err(|x| aggregate_refused(cond, x))?;
    let constant = !cond.any(&|x| matches!(x, Expr::Column { .. }));
    match (constant, f.ty == DataType::Bool) {
        (true, true) => Ok(BExpr::Lit(Value::Null)),
        (true, false) => Err(invalid_input()),
        (false, true) => Ok(e),
        (false, false) => Err(err(280, "Invalid parameters")),
    }
}
