//! One SELECT, stage by stage: relation, WHERE, grouping / windows / aggregation, projection,
//! HAVING, DISTINCT, ORDER BY and LIMIT.

use crate::engine::catalog::Catalog;
use crate::engine::errors::{ecode, err, table_not_exist, unsupported};
use crate::engine::eval::{truthy, BExpr, EvalEnv, Relation, RowRef};
use crate::engine::meta::system_tables::system_table;
use crate::engine::state::Engine;
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, DataType, Field, ResultSet, TdError, Value};

use super::binder::{is_numeric, Binder, OutCol};
use super::functions::{aggregate_refused, has_agg_call, needs_primary_ts, AggKind, AggSpec};
use super::rows_fns::{check_mixing, has_rows_call, RowsFn, RowsSpec};
use super::grouping::{
    aggregate, interp_rows, several_rows, where_time_bounds, where_time_range, window_kind, WinKind,
};
use super::join::{self, Joined};
use super::relation::build_relation;
use super::rows::{apply_limit, key_part, sort_rows, KeyPart};
use super::scan::ScanPlan;
use super::{eval_env, run_query};

/// Result column name: alias, else a column's own name however it was written (`t.i`, `(i)`,
/// `+i` → `i`, as 3.3.7.5), else the expression as written, cut to 64 chars.
pub(crate) fn out_name(item: &SelectItem) -> String {
    let n = match (&item.alias, &item.expr) {
        (Some(a), _) => a.clone(),
        (None, Expr::Column { name, .. }) => name.clone(),
        _ => item.text.clone(),
    };
    n.chars().take(64).collect()
}

pub(crate) fn exec_select(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sel: &Select,
    order_by: &[OrderItem],
    limit: Option<(u64, u64)>,
    slimit: Option<(u64, u64)>,
) -> Result<ResultSet, TdError> {
    match exec_select_or_scan(engine, cat, ctx, sel, order_by, limit, slimit, false)? {
        Selected::Rows(rs) => Ok(rs),
        Selected::Scan(scan) => Ok(scan.collect()),
    }
}

/// A SELECT's answer: its rows, or (asked for with `stream`) a plain scan to run block by block.
pub(crate) enum Selected {
    Rows(ResultSet),
    Scan(ScanPlan),
}

/// Runs a SELECT; with `stream`, a plain scan (no aggregation, window, grouping, DISTINCT,
/// ORDER BY, join or subquery) is checked and bound like any query but answered as a
/// [`ScanPlan`] whose WHERE, projection and LIMIT run as its blocks are fetched.
#[allow(clippy::too_many_arguments)]
pub(crate) fn exec_select_or_scan(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sel: &Select,
    order_by: &[OrderItem],
    limit: Option<(u64, u64)>,
    slimit: Option<(u64, u64)>,
    stream: bool,
) -> Result<Selected, TdError> {
    let grouped = !sel.group_by.is_empty() || !sel.partition_by.is_empty();
    if slimit.is_some() && !grouped {
        return Err(err(
            ecode::SLIMIT_LEAK_PARTITION,
            "slimit/soffset only available for PARTITION/GROUP BY query",
        ));
    }
    check_interp_clauses(sel)?;
    let window_join = matches!(&sel.from, Some(FromItem::Join(j)) if j.sub == JoinSub::Window);
    if let Some(h) = &sel.having {
        if window_join {
            // a WINDOW join groups per driving row; its HAVING must filter on an aggregate
            if !has_agg_call(h) {
                return Err(err(
                    ecode::INVALID_WJOIN_HAVING_EXPR,
                    "Not supported window join having expr",
                ));
            }
        } else if !grouped && sel.window.is_none() {
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
    }
    if matches!(&sel.window, Some(Window::Interval { fill: Some(Fill::None), .. })) {
        // FILL(NONE) needs no time range: its refusal of these functions comes before the
        // mixing rules (a FILL that needs a range is checked once the range is known)
        fill_forbidden(sel)?;
    }
    check_mixing(sel, order_by)?;
    if !sel.partition_by.is_empty()
        && sel.items.iter().any(|i| {
            i.expr
                .any(&|x| matches!(x, Expr::Func { name, .. } if name == "percentile"))
        })
    {
        return Err(err(
            ecode::NOT_ALLOWED_FUNC,
            "percentile function is not supported in partition query",
        ));
    }
    // Materialise joins, subqueries and information_schema tables first.
    let mut joined: Option<Joined> = None;
    let owned: Option<ResultSet> = match &sel.from {
        Some(FromItem::Join(j)) => {
            let mut jn = join::materialize(engine, cat, ctx, j, sel)?;
            let empty = ResultSet::from_rows(vec![], jn.rs.precision, vec![]);
            let rs = std::mem::replace(&mut jn.rs, empty);
            joined = Some(jn);
            Some(rs)
        }
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
    let system_table_from = matches!(&sel.from, Some(FromItem::Table { .. })) && owned.is_some();
    let mut rel = build_relation(cat, ctx, sel.from.as_ref(), owned.as_ref())?;
    if let Some(jn) = &mut joined {
        rel.fields = std::mem::take(&mut jn.fields);
        rel.ts_col = Some(jn.ts_col);
        rel.pk_cols = jn.pk_cols.clone();
        rel.qualifiers = jn.qualifiers.clone();
    }
    let env = eval_env(engine, ctx, rel.precision);

    // several-rows functions (diff, csum, top, …): one output row per answer row
    let rows_query = sel.items.iter().any(|i| has_rows_call(&i.expr));
    let interp_mode = matches!(sel.window, Some(Window::Interp { .. }));
    let mut interp_args: Vec<(BExpr, Field)> = Vec::new();
    // `interp(v, 1)`: rows where v is NULL are not there for it
    let mut interp_ignore_null = false;
    let agg_mode = !rows_query
        && !interp_mode
        && (sel.window.is_some()
            || !sel.group_by.is_empty()
            || sel.items.iter().any(|i| has_agg_call(&i.expr))
            || sel.having.as_ref().is_some_and(has_agg_call)
            // `order by max(v)` makes the query an aggregation too
            || order_by.iter().any(|o| has_agg_call(&o.expr)));
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
        group_keys: vec![],
        query_range: (None, None),
        rows_mode: false,
        rows_fns: vec![],
    };

    b.query_range = where_time_bounds(sel.where_.as_ref(), &b, &rel);

    let plain_scan = stream
        && matches!(&sel.from, Some(FromItem::Table { .. }))
        && owned.is_none()
        && joined.is_none()
        && !agg_mode
        && !rows_query
        && !interp_mode
        && sel.window.is_none()
        && sel.group_by.is_empty()
        && sel.partition_by.is_empty()
        && sel.having.is_none()
        && !sel.distinct
        && order_by.is_empty()
        && slimit.is_none()
        && rel.segs.iter().all(|s| s.table.is_some());
    let mut scan_where: Option<(BExpr, bool)> = None;

    // WHERE (a join's ON conditions were applied when it was materialised)
    let mut rows = if plain_scan { Vec::new() } else { rel.all_rows() };
    let on_where = sel.where_.clone();
    if let (Some(w), Some(_)) = (&on_where, &sel.window) {
        // window pseudo-columns exist only after the window: not in WHERE
        let mut pseudo = None;
        w.walk(&mut |x| {
            if let Expr::Column { table: None, name } = x {
                let n = name.to_ascii_lowercase();
                if pseudo.is_none() && matches!(n.as_str(), "_wstart" | "_wend" | "_wduration") {
                    pseudo = Some(n);
                }
            }
        });
        if let Some(n) = pseudo {
            return Err(err(
                ecode::WINDOW_PSEUDO_COLUMN,
                format!("There mustn't be {}", n),
            ));
        }
    }
    if let Some(w) = &on_where {
        let (cond, _) = b.bind(w, false).map_err(|x| aggregate_refused(w, x))?;
        if cond.contains_agg() {
            return Err(unsupported("aggregate in WHERE"));
        }
        if plain_scan {
            let boolean = is_boolean(&cond);
            scan_where = Some((cond, boolean));
        } else if is_boolean(&cond) {
            rows.retain(|&r| matches!(cond.eval(&rel, Some(r), None, &env), Value::Bool(true)));
        } else {
            // `where b` on a BOOL column (or a number): truthiness
            rows.retain(|&r| truthy(&cond.eval(&rel, Some(r), None, &env)));
        }
    }

    // a window (INTERP is none) over a system table: after WHERE, before the select list
    if system_table_from && sel.window.as_ref().is_some_and(|w| !matches!(w, Window::Interp { .. })) {
        return Err(err(9833, "WINDOW is not supported in system table query"));
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
    let keys_src = group_keys(sel, &b)?;
    let keys_src = &keys_src[..];
    b.group_keys = keys_src.to_vec();
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
                    // `t.*` in a join: the columns of `t` only
                    let of_table = match (table, &f.qualifier) {
                        (Some(t), Some(q)) => q == t,
                        _ => true,
                    };
                    if f.in_star && of_table {
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
                // the arguments' count and the flag were checked with the clauses
                interp_ignore_null |= matches!(args.get(1), Some(Expr::Int(1)));
                let (arg, mut f) = b.bind(&args[0], true)?;
                if !is_numeric(f.ty) || f.ty.is_decimal() {
                    return Err(err(
                        ecode::FUNC_PARAM_TYPE,
                        "Invalid parameter data type : interp",
                    ));
                }
                f.name = out_name(item);
                interp_args.push((arg, f.clone()));
                outs.push(OutCol {
                    expr: BExpr::Agg(interp_args.len() - 1),
                    field: f,
                });
            }
            Expr::Func { name, args, .. } if agg_mode && name == "cols" => {
                bind_cols(&mut b, &rel, item, args, &mut outs)?;
            }
            Expr::Func { name, args, .. }
                if agg_mode
                    && matches!(name.as_str(), "first" | "last" | "last_row")
                    && (args.len() > 1 || matches!(args.first(), Some(Expr::Star { .. }))) =>
            {
                // first(*): one column per column of the row
                if matches!(args.first(), Some(Expr::Star { .. })) {
                    let cols: Vec<usize> = rel
                        .fields
                        .iter()
                        .enumerate()
                        .filter(|(_, f)| f.in_star && !f.is_tag)
                        .map(|(i, _)| i)
                        .collect();
                    for i in cols {
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
                        let mut field = f.clone();
                        field.name = format!("{}({})", name, f.name).chars().take(64).collect();
                        outs.push(OutCol {
                            expr: BExpr::Agg(b.aggs.len() - 1),
                            field,
                        });
                    }
                } else {
                    // last_row(a, b) is last_row(a), last_row(b): each argument its own call,
                    // named by the argument as written (3.3.7.5: `first(v, 1)` gives columns
                    // `first(v)` and `first(1)`)
                    for (i, a) in args.iter().enumerate() {
                        let call = Expr::Func {
                            name: name.clone(),
                            args: vec![a.clone()],
                            pos: 0,
                        };
                        let (e, mut field) = b.bind(&call, false)?;
                        let written = match a {
                            Expr::Column { name: cn, .. } => cn.as_str(),
                            _ => item.cols_args.get(i).map_or("", |w| w.text.as_str()),
                        };
                        field.name = format!("{}({})", name, written).chars().take(64).collect();
                        outs.push(OutCol { expr: e, field });
                    }
                }
            }
            _ => {
                if interp_mode && names_data_outside_partition(&item.expr, sel, &b, &rel) {
                    return Err(err(ecode::NOT_SINGLE_GROUP, "Not a single-group group function"));
                }
                b.rows_mode = rows_query;
                let bound = b.bind(&item.expr, false);
                b.rows_mode = false;
                let (mut e, mut f) = bound?;
                f.name = out_name(item);
                if matches!(e, BExpr::JsonGet(..)) {
                    e = BExpr::ToJson(Box::new(e));
                }
                outs.push(OutCol { expr: e, field: f });
            }
        }
    }
    let visible = outs.len();
    let rows_specs = std::mem::take(&mut b.rows_fns);
    if rows_query {
        check_rows_query(sel, &b, &rel, &rows_specs)?;
    }
    let sel_fields: Vec<Field> = outs.iter().map(|c| c.field.clone()).collect();

    // Group keys (bound as row-level expressions)
    let mut key_exprs = Vec::new();
    let mut key_cols: Vec<usize> = Vec::new();
    {
        let saved = b.agg_mode;
        b.agg_mode = false;
        for k in keys_src {
            let (e, f) = b.bind(k, false)?;
            // a JSON member groups by its JSON value (a JSON null apart from an absent key);
            // a whole JSON tag does not group
            let e = match e {
                BExpr::JsonGet(inner, key) => BExpr::JsonKey(inner, key),
                _ if f.ty == DataType::Json => return Err(json_in_group()),
                other => other,
            };
            if let BExpr::Col(i) = e {
                key_cols.push(i);
            }
            key_exprs.push(e);
        }
        b.agg_mode = saved;
    }
    // a WINDOW join aggregates per driving row, whose columns may be selected beside aggregates
    if let Some((c, driving)) = joined.as_ref().and_then(|j| j.window_rows.clone()) {
        if agg_mode {
            key_exprs.push(BExpr::Col(c));
            key_cols.push(c);
            key_cols.extend(driving);
        }
    }

    // ORDER BY: output positions or hidden columns
    let mut sort_keys = Vec::new();
    for o in order_by {
        let idx = match &o.expr {
            // a negative number is a constant, not a position: it orders nothing
            Expr::Int(k) if *k < 0 => continue,
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
            None if sel.distinct => {
                return Err(err(
                    ecode::NOT_SELECTED_EXPRESSION,
                    "Not SELECTed expression",
                ));
            }
            // INTERP answers one row per point in time: a data column outside interp() names
            // no value of it (3.3.7.5: `order by v`, `order by ts`)
            None if interp_mode && orders_by_data_column(&o.expr, &b, &rel) => {
                return Err(err(ecode::NOT_SINGLE_GROUP, "Not a single-group group function"));
            }
            None => {
                let (e, f) = b.bind(&o.expr, false)?;
                outs.push(OutCol { expr: e, field: f });
                outs.len() - 1
            }
        };
        let idx = json_order_column(&mut outs, idx)?;
        sort_keys.push((idx, o.desc, o.nulls_first.unwrap_or(!o.desc)));
    }

    let win = if agg_mode || rows_query {
        window_kind(sel, &mut b, &rel)?
    } else {
        None
    };
    // the state of a STATE_WINDOW is constant per window: it may be selected
    if let Some(WinKind::State {
        expr: BExpr::Col(i),
        ..
    }) = &win
    {
        key_cols.push(*i);
    }
    if let Some(Window::Interval {
        fill: Some(Fill::Value(vals)),
        ..
    }) = &sel.window
    {
        let fillable = outs[..visible]
            .iter()
            .filter(|c| c.expr.contains_agg())
            .count();
        if vals.len() != fillable {
            return Err(err(
                ecode::WRONG_VALUE_TYPE,
                "Filled values number mismatch",
            ));
        }
    }

    // HAVING: a hidden group-level column; its bare columns must be group keys
    let mut having_col = None;
    if let Some(h) = &sel.having {
        if !agg_mode {
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
        let before = b.bare.len();
        let (e, f) = b.bind(h, false)?;
        if let Some((_, name)) = b.bare[before..].iter().find(|(c, _)| !key_cols.contains(c)) {
            // in a window query 3.3.7.5 names the column
            if sel.window.is_some() {
                return Err(err(ecode::INVALID_EXPR_USAGE, format!("Invalid usage of expr: {}", name)));
            }
            return Err(err(ecode::NOT_GROUP_BY_EXPR, "Not a GROUP BY expression"));
        }
        b.bare.truncate(before);
        outs.push(OutCol { expr: e, field: f });
        having_col = Some(outs.len() - 1);
    }

    // TDengine appends the primary timestamp to the functions that need it after every other
    // check: over a subquery without one they answer 9844 (3.3.7.5: `select last(v) from
    // (select v from t)`)
    let uses_primary_ts = sel.items.iter().map(|i| &i.expr).chain(sel.having.iter()).chain(order_by.iter().map(|o| &o.expr)).any(needs_primary_ts);
    if uses_primary_ts && rel.ts_col.is_none() && matches!(sel.from, Some(FromItem::Subquery { .. })) {
        return Err(err(ecode::VALID_PRIM_TS_REQUIRED, "Valid primary timestamp required"));
    }

    // DISTINCT tells JSON members apart by their JSON value (hidden key columns)
    let mut distinct_cols: Vec<usize> = (0..visible).collect();
    if sel.distinct {
        for i in 0..visible {
            if outs[i].field.ty == DataType::Json {
                let key = json_member_key(&outs[i].expr).ok_or_else(json_in_group)?;
                outs.push(OutCol { expr: key, field: Field::new("", DataType::VarChar, 64) });
                distinct_cols.push(outs.len() - 1);
            }
        }
    }
    // the group keys as hidden columns: LIMIT and SLIMIT count per group
    let key_out = outs.len();
    for e in &key_exprs {
        outs.push(OutCol {
            expr: e.clone(),
            field: Field::fixed("", DataType::BigInt),
        });
    }
    // grouped by tags/tbname of a super table: a table whose rows WHERE removed still forms its
    // group (count 0), unless a condition on the tags excluded it
    let seeds = if agg_mode
        && win.is_none()
        && rel.is_super
        && !key_cols.is_empty()
        && key_cols.len() == key_exprs.len()
        && key_cols
            .iter()
            .all(|&c| rel.fields[c].is_tag || rel.fields[c].is_tbname)
    {
        tag_survivors(sel.where_.as_ref(), &mut b, &rel, &env)?
    } else {
        vec![]
    };

    if let Some(e) = joined.as_mut().and_then(|j| j.deferred.take()) {
        return Err(e);
    }
    if plain_scan && !outs.iter().any(|c| c.expr.may_fault()) {
        let exprs = outs.into_iter().map(|c| c.expr).collect();
        let fields = sel_fields;
        return Ok(Selected::Scan(ScanPlan::new(&rel, &env, fields, exprs, scan_where, limit)));
    }
    if plain_scan {
        // evaluated whole: a run-time error is the answer, not a cut stream
        rows = rel.all_rows();
        if let Some((cond, boolean)) = &scan_where {
            rows.retain(|&r| {
                let v = cond.eval(&rel, Some(r), None, &env);
                if *boolean {
                    matches!(v, Value::Bool(true))
                } else {
                    truthy(&v)
                }
            });
        }
    }
    let mut out_rows: Vec<Vec<Value>> =
        if let Some(Window::Interp {
            range, every, fill, ..
        }) = &sel.window
        {
            interp_rows(
                engine,
                &rel,
                &env,
                &rows,
                &outs,
                &key_exprs,
                &interp_args,
                interp_ignore_null,
                range.as_ref(),
                every.as_ref(),
                fill.as_ref(),
            )?
        } else if rows_query {
            several_rows(&rel, &env, &rows, &outs, &key_exprs, &rows_specs, win.as_ref())?
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
                &seeds,
                visible,
            )?
        };

    if let Some(h) = having_col {
        out_rows.retain(|r| truthy(&r[h]));
    }
    if sel.distinct {
        let mut seen = std::collections::HashSet::new();
        out_rows.retain(|r| seen.insert(distinct_cols.iter().map(|&i| key_part(&r[i])).collect::<Vec<_>>()));
    }
    sort_rows(&mut out_rows, &sort_keys);
    if sel.from.is_none() {
        // SELECT without FROM answers its one row whatever the LIMIT
    } else if key_exprs.is_empty() || !order_by.is_empty() {
        // one group: ORDER BY merges the partitions (SLIMIT then sees a single group)
        apply_limit(&mut out_rows, limit);
        if let Some((n, off)) = slimit {
            if n == 0 || off > 0 {
                out_rows.clear();
            }
        }
    } else {
        out_rows = limit_per_group(out_rows, key_out..key_out + key_exprs.len(), limit, slimit);
    }
    if joined.as_ref().is_some_and(|j| j.empty) {
        out_rows.clear();
    }
    if let Some(e) = env.take_fault() {
        return Err(e);
    }
    let fields: Vec<Field> = outs[..visible].iter().map(|c| c.field.clone()).collect();
    for r in &mut out_rows {
        r.truncate(visible);
    }
    Ok(Selected::Rows(ResultSet::from_rows(fields, rel.precision, out_rows)))
}

/// INTERP needs RANGE, EVERY and FILL (a single-point RANGE needs no EVERY); those clauses
/// need INTERP; PREV/NEXT/NEAR take no fill values.
fn check_interp_clauses(sel: &Select) -> Result<(), TdError> {
    let mut calls = Vec::new();
    for i in &sel.items {
        i.expr.walk(&mut |e| {
            if let Expr::Func { name, args, .. } = e {
                if name == "interp" {
                    calls.push(args.clone());
                }
            }
        });
    }
    let has_interp = !calls.is_empty();
    // the catalog's checks of each call come first: interp(expr [, ignore_null_values]),
    // expr no literal, the flag the integer 0 or 1 (a literal of another type: 10242)
    let fault = |c: u16, what: &str| Err(err(c, format!("{} : interp", what)));
    for args in &calls {
        if args.is_empty() || args.len() > 2 {
            return fault(ecode::FUNC_PARAM_COUNT, "Invalid number of parameters");
        }
        if matches!(args[0], Expr::Int(_) | Expr::Float(_) | Expr::Str(_) | Expr::Bool(_) | Expr::Null) {
            return fault(ecode::FUNC_PARAM_TYPE, "Invalid parameter data type");
        }
        match args.get(1) {
            None | Some(Expr::Int(0 | 1)) => {}
            Some(Expr::Int(_)) => return fault(ecode::FUNC_PARAM_VALUE, "Invalid parameter value"),
            Some(_) => return fault(ecode::FUNC_PARAM_TYPE, "Invalid parameter data type"),
        }
    }
    if calls.len() > 1 && calls.iter().any(|a| matches!(a.get(1), Some(Expr::Int(1)))) {
        return Err(err(
            ecode::NOT_ALLOWED_FUNC,
            "interp ignoring null value options cannot be used when applying to multiple columns",
        ));
    }
    let missing = || {
        err(
            ecode::INVALID_INTERP_CLAUSE,
            "Missing RANGE clause, EVERY clause or FILL clause",
        )
    };
    match &sel.window {
        Some(Window::Interp {
            range,
            every,
            fill,
            fill_values_misplaced,
        }) => {
            if !has_interp {
                return Err(err(
                    ecode::INVALID_INTERP_CLAUSE,
                    "Invalid usage of RANGE clause, EVERY clause or FILL clause",
                ));
            }
            let single_point = matches!(range, Some((_, None))) && every.is_none();
            if (range.is_none() || every.is_none() || fill.is_none()) && !single_point {
                return Err(missing());
            }
            if matches!(fill, None | Some(Fill::None)) {
                return Err(err(ecode::WRONG_VALUE_TYPE, "Unsupported fill type"));
            }
            if *fill_values_misplaced {
                return Err(err(
                    ecode::WRONG_VALUE_TYPE,
                    "Invalid value type: Can't specify fill values",
                ));
            }
            Ok(())
        }
        _ if has_interp => Err(missing()),
        _ => Ok(()),
    }
}

/// GROUP BY (else PARTITION BY) keys as expressions: a position names a select item, a name
/// that is no column names a select alias; aggregates are refused (9736).
fn group_keys(sel: &Select, b: &Binder) -> Result<Vec<Expr>, TdError> {
    let src = if !sel.group_by.is_empty() {
        &sel.group_by
    } else {
        &sel.partition_by
    };
    let no_agg = || err(ecode::ILLEGAL_USE_AGG, "There mustn't be aggregation");
    let mut out = Vec::with_capacity(src.len());
    for k in src {
        let e = match k {
            // a positive integer is a position; `-1` is a constant expression
            Expr::Int(p) if *p >= 0 => {
                let item = usize::try_from(*p)
                    .ok()
                    .filter(|&p| p >= 1)
                    .and_then(|p| sel.items.get(p - 1))
                    .filter(|i| !matches!(i.expr, Expr::Star { .. }))
                    .ok_or_else(|| {
                        err(
                            ecode::ORDER_BY_POSITION,
                            "ORDER BY / GROUP BY item must be the number of a SELECT-list expression",
                        )
                    })?;
                item.expr.clone()
            }
            Expr::Column { table: None, name } if b.find_column(None, name).is_err() => {
                match sel
                    .items
                    .iter()
                    .find(|i| i.alias.as_deref() == Some(name.as_str()))
                {
                    Some(i) => i.expr.clone(),
                    None => k.clone(),
                }
            }
            _ => k.clone(),
        };
        if has_agg_call(&e) {
            return Err(no_agg());
        }
        out.push(e);
    }
    Ok(out)
}

/// A stand-in row of every table of a super table that the tag-only conditions of WHERE keep.
fn tag_survivors(
    where_: Option<&Expr>,
    b: &mut Binder,
    rel: &Relation,
    env: &EvalEnv,
) -> Result<Vec<RowRef>, TdError> {
    let mut conds = Vec::new();
    for e in where_.map(Expr::conjuncts).unwrap_or_default() {
        let mut tags_only = true;
        let mut refs = Vec::new();
        e.walk(&mut |x| {
            if let Expr::Column { table, name } = x {
                refs.push((table.clone(), name.clone()));
            }
        });
        for (t, n) in refs {
            match b.find_column(t.as_deref(), &n) {
                Ok(i) if rel.fields[i].is_tag || rel.fields[i].is_tbname => {}
                _ => tags_only = false,
            }
        }
        if tags_only {
            let saved = b.agg_mode;
            b.agg_mode = false;
            let c = b.bind(e, false);
            b.agg_mode = saved;
            conds.push(c?.0);
        }
    }
    Ok((0..rel.segs.len())
        .map(|i| RowRef {
            seg: i as u32,
            idx: 0,
        })
        .filter(|&r| {
            conds
                .iter()
                .all(|c| matches!(c.eval(rel, Some(r), None, env), Value::Bool(true)))
        })
        .collect())
}

/// LIMIT per group and SLIMIT/SOFFSET over groups, groups told apart by the key columns.
fn limit_per_group(
    rows: Vec<Vec<Value>>,
    keys: std::ops::Range<usize>,
    limit: Option<(u64, u64)>,
    slimit: Option<(u64, u64)>,
) -> Vec<Vec<Value>> {
    let mut index: std::collections::HashMap<Vec<KeyPart>, usize> = Default::default();
    let mut groups: Vec<Vec<Vec<Value>>> = Vec::new();
    for r in rows {
        let k: Vec<KeyPart> = r[keys.clone()].iter().map(key_part).collect();
        let gi = *index.entry(k).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[gi].push(r);
    }
    apply_limit(&mut groups, slimit);
    let mut out = Vec::new();
    for mut g in groups {
        apply_limit(&mut g, limit);
        out.extend(g);
    }
    out
}

pub(crate) fn is_boolean(e: &BExpr) -> bool {
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

fn json_in_group() -> TdError {
    err(ecode::JSON_IN_GROUP, "Json not support in group/partition by")
}

/// The ordering key of a JSON member output (`info->'k'`, selected or not); `None` for a whole
/// JSON tag.
fn json_member_key(e: &BExpr) -> Option<BExpr> {
    let member = match e {
        BExpr::ToJson(m) => m.as_ref(),
        m => m,
    };
    match member {
        BExpr::JsonGet(e, key) => Some(BExpr::JsonKey(e.clone(), key.clone())),
        _ => None,
    }
}

/// ORDER BY a JSON member sorts by its JSON value (a hidden key column, see
/// [`BExpr::JsonKey`]); ORDER BY a whole JSON tag is refused (1837).
fn json_order_column(outs: &mut Vec<OutCol>, idx: usize) -> Result<usize, TdError> {
    if outs[idx].field.ty != DataType::Json {
        return Ok(idx);
    }
    let key = json_member_key(&outs[idx].expr)
        .ok_or_else(|| err(ecode::JSON_NOT_SUPPORT, "Json not support in this place"))?;
    outs.push(OutCol { expr: key, field: Field::new("", DataType::VarChar, 64) });
    Ok(outs.len() - 1)
}

/// Whether an ORDER BY expression of an INTERP query reads a data column (not a tag, `tbname`
/// or pseudo column) outside any interp() call.
fn orders_by_data_column(e: &Expr, b: &Binder, rel: &Relation) -> bool {
    let in_interp = e.any(&|x| matches!(x, Expr::Func { name, .. } if name == "interp"));
    !in_interp
        && e.any(&|x| match x {
            Expr::Column { table, name } => {
                !name.starts_with('_')
                    && b.find_column(table.as_deref(), name)
                        .is_ok_and(|c| !rel.fields[c].is_tag && !rel.fields[c].is_tbname)
            }
            _ => false,
        })
}

/// Whether a select item of an INTERP query names a column that is not constant in its
/// partition: a data column, or a tag / tbname of a super table unless partitioned by tbname
/// or by that very tag (3.3.7.5: `interp(v), v` and `interp(v), tbname from st` are 9740;
/// `interp(v), tn … partition by tbname` and `interp(v), g … partition by g` are answered).
fn names_data_outside_partition(e: &Expr, sel: &Select, b: &Binder, rel: &Relation) -> bool {
    let key = |n: &str| {
        sel.partition_by
            .iter()
            .any(|k| matches!(k, Expr::Column { name, .. } if name.eq_ignore_ascii_case(n)))
    };
    let by_tbname = key("tbname");
    // interp() inside an expression is refused where it is bound
    let in_interp = e.any(&|x| matches!(x, Expr::Func { name, .. } if name == "interp"));
    !in_interp
        && e.any(&|x| match x {
        Expr::Column { table, name } => {
            !name.starts_with('_')
                && !key(name)
                && b.find_column(table.as_deref(), name).is_ok_and(|c| {
                    let f = &rel.fields[c];
                    let constant = (f.is_tag || f.is_tbname) && (by_tbname || !rel.is_super);
                    !constant
                })
        }
        _ => false,
    })
}

/// top, bottom, sample and histogram refuse any FILL of an INTERVAL, `none` too (9815 naming the
/// first; 3.3.7.5 checks it as it translates each function, after FILL's time range).
fn fill_forbidden(sel: &Select) -> Result<(), TdError> {
    if !matches!(&sel.window, Some(Window::Interval { fill: Some(_), .. })) {
        return Ok(());
    }
    let mut named = None;
    for item in &sel.items {
        item.expr.walk(&mut |x| {
            if let Expr::Func { name, .. } = x {
                if named.is_none() && matches!(name.as_str(), "top" | "bottom" | "sample" | "histogram") {
                    named = Some(name.clone());
                }
            }
        });
    }
    match named {
        Some(name) => Err(err(ecode::FILL_NOT_ALLOWED_FUNC, format!("{name} function is not supported in fill query"))),
        None => Ok(()),
    }
}

/// What a query with several-rows functions needs beyond their mixing rules: a time line (a
/// primary timestamp; a UNION has none), no FILL beside top/bottom/sample/histogram, and
/// beside `histogram` no column that is not a group key (9740).
fn check_rows_query(sel: &Select, b: &Binder, rel: &Relation, specs: &[RowsSpec]) -> Result<(), TdError> {
    let timeline = specs
        .iter()
        .find(|s| s.func.timeline() || matches!(s.func, RowsFn::Top(_) | RowsFn::Bottom(_)));
    if let Some(t) = timeline {
        if let Some(FromItem::Subquery { query, .. }) = &sel.from {
            if query.selects.len() > 1 {
                return Err(err(
                    ecode::NOT_ALLOWED_FUNC,
                    format!("{} function requires valid time series input", t.func.name()),
                ));
            }
        }
        if rel.ts_col.is_none() {
            return Err(err(
                ecode::VALID_PRIM_TS_REQUIRED,
                "Valid primary timestamp required",
            ));
        }
    }
    if let Some(Window::Interval { fill: Some(f), .. }) = &sel.window {
        // TDengine checks FILL's time range with the window (9787), then the functions: top,
        // bottom, sample and histogram refuse any FILL, `none` too (9815, checked on 3.3.7.5)
        if *f != Fill::None && where_time_range(sel.where_.as_ref(), b, rel).is_none() {
            return Err(err(ecode::FILL_RANGE_REQUIRED, "Start(end) time of query range required or time range too large"));
        }
        fill_forbidden(sel)?;
    }
    if specs.iter().any(|s| matches!(s.func, RowsFn::Histogram(..))) {
        let keys: Vec<&Expr> = sel.group_by.iter().chain(sel.partition_by.iter()).collect();
        for item in &sel.items {
            if has_rows_call(&item.expr) {
                continue;
            }
            let mut bare = matches!(item.expr, Expr::Star { .. });
            item.expr.walk(&mut |x| {
                if let Expr::Column { name, .. } = x {
                    let pseudo = matches!(
                        name.to_ascii_lowercase().as_str(),
                        "_wstart" | "_wend" | "_wduration" | "_qstart" | "_qend" | "_qduration"
                    );
                    let is_key = pseudo
                        || keys.iter().any(|k| matches!(k, Expr::Column { name: kn, .. } if kn == name));
                    bare |= !is_key;
                }
            });
            if bare {
                return Err(err(ecode::NOT_SINGLE_GROUP, "Not a single-group group function"));
            }
        }
    }
    Ok(())
}

/// `cols(selector(x), e1 [[AS] a1], e2, …)`: expressions over the row a single-row selector
/// picked, one output column each, named by its alias, else as the column it is, else as it was
/// written (≤ 64 bytes); the item's alias names a single one, and is 9867 with several or with
/// an alias inside (all as TDengine 3.3.7.5 answers).
fn bind_cols(
    b: &mut Binder,
    rel: &Relation,
    item: &SelectItem,
    args: &[Expr],
    outs: &mut Vec<OutCol>,
) -> Result<(), TdError> {
    if args.len() < 2 {
        return Err(err(code::PAR_SYNTAX_ERROR, format!("syntax error near \"{}\"", item.text)));
    }
    let single_row_selector = matches!(&args[0], Expr::Func { name, .. }
        if matches!(name.as_str(), "first" | "last" | "last_row" | "min" | "max" | "mode"));
    if !single_row_selector {
        return Err(err(
            ecode::INVALID_COLS_SELECTFUNC,
            "cols function's first param must be a select function that output a single row",
        ));
    }
    let (sel_expr, _) = b.bind(&args[0], false)?;
    let BExpr::Agg(selector) = sel_expr else {
        return Err(unsupported(&item.text));
    };
    // (`cols(max(v), *) as x` is one argument: the alias is not taken, as on 3.3.7.5)
    if item.alias.is_some() && (args.len() > 2 || item.cols_args.iter().any(|a| a.alias.is_some())) {
        return Err(err(ecode::INVALID_COLS_ALIAS, "Invalid using alias for cols function"));
    }
    for (i, a) in args[1..].iter().enumerate() {
        if has_agg_call(a) {
            return Err(err(
                ecode::AGG_FUNC_NESTING,
                "Aggregate functions do not support nesting",
            ));
        }
        if let Expr::Star { .. } = a {
            // every column of the row, named as the columns
            for (c, f) in rel.fields.iter().enumerate().filter(|(_, f)| f.in_star && !f.is_tag) {
                b.aggs.push(AggSpec {
                    kind: AggKind::Cols(selector),
                    arg: Some(BExpr::Col(c)),
                    arg_ty: f.field.ty,
                });
                outs.push(OutCol {
                    expr: BExpr::Agg(b.aggs.len() - 1),
                    field: f.field.clone(),
                });
            }
            continue;
        }
        let written = item.cols_args.get(i);
        let (arg, mut field) = match a {
            Expr::Column { table, name } => {
                let c = b.find_column(table.as_deref(), name)?;
                let mut field = rel.fields[c].field.clone();
                field.name = name.clone();
                (BExpr::Col(c), field)
            }
            _ => {
                let (arg, mut field) = b.bind(a, true)?;
                field.name = written.map(|w| w.text.clone()).unwrap_or_else(|| item.text.clone());
                (arg, field)
            }
        };
        if let Some(alias) = written.and_then(|w| w.alias.clone()).or_else(|| item.alias.clone()) {
            field.name = alias;
        }
        b.aggs.push(AggSpec {
            kind: AggKind::Cols(selector),
            arg: Some(arg),
            arg_ty: field.ty,
        });
        outs.push(OutCol {
            expr: BExpr::Agg(b.aggs.len() - 1),
            field,
        });
    }
    Ok(())
}
