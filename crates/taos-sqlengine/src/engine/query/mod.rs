//! Queries: a statement of one or more SELECTs (UNION [ALL]) with its ORDER BY and LIMIT.
//! Each SELECT runs in [`select`] over a [`relation`], with expressions bound by [`binder`];
//! groups, partitions and windows are in [`grouping`].

mod approx_percentile;
mod binder;
mod functions;
mod grouping;
mod join;
mod relation;
mod mode;
mod rows;
mod rows_fns;
mod scan;
mod select;
mod signature;

#[cfg(test)]
mod tests;
#[cfg(test)]
mod rows_tests;

pub(crate) use functions::has_agg_call;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{Answer, Outcome, Precision, ResultSet, RowStream, TdError};

use super::catalog::Catalog;
use super::errors::{ecode, err};
use super::eval::{cast_value, EvalEnv};
use crate::engine::state::Engine;

use rows::{apply_limit, dedupe, sort_rows, to_rows};
use select::{exec_select, exec_select_or_scan, Selected};

/// What expressions of a query see: the precision, the server's zone and identity, the session's
/// database, the time now.
pub(crate) fn eval_env<'e>(
    engine: &'e Engine,
    ctx: &'e SessionCtx,
    precision: Precision,
) -> EvalEnv<'e> {
    EvalEnv {
        precision,
        tz: engine.session_tz(ctx),
        tz_label: Some(engine.session_tz_name(ctx)),
        server_tz: engine.config().timezone,
        db: ctx.db.as_deref(),
        server_version: &engine.config().server_version,
        now: crate::engine::time::now(precision),
        fault: Default::default(),
        rand_seeded: Default::default(),
    }
}

/// Runs a query; a single plain scan answers a [`RowStream`] that runs as it is fetched.
pub(crate) fn run_query_streaming(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    q: &Query,
) -> Result<Answer, TdError> {
    if q.selects.len() != 1 {
        return run_query(engine, cat, ctx, q).map(|rs| Answer::Outcome(Outcome::Rows(rs)));
    }
    let sel = &q.selects[0];
    Ok(match exec_select_or_scan(engine, cat, ctx, sel, &q.order_by, q.limit, q.slimit, true)? {
        Selected::Rows(rs) => Answer::Outcome(Outcome::Rows(rs)),
        Selected::Scan(scan) => {
            Answer::Stream(RowStream::new(scan.fields().to_vec(), scan.precision(), Box::new(scan)))
        }
    })
}

pub(crate) fn run_query(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    q: &Query,
) -> Result<ResultSet, TdError> {
    if q.selects.len() == 1 {
        return exec_select(
            engine,
            cat,
            ctx,
            &q.selects[0],
            &q.order_by,
            q.limit,
            q.slimit,
        );
    }
    // UNION [ALL]: names and precision come from the first SELECT, types from the first SELECT
    // whose column is not a bare NULL; a variable-length column takes the longest length; other
    // values are cast to those types
    let mut parts = Vec::new();
    let mut null_typed: Vec<Vec<bool>> = Vec::new();
    for s in &q.selects {
        let rs = exec_select(engine, cat, ctx, s, &[], None, None)?;
        null_typed.push(if s.items.len() == rs.fields.len() {
            s.items.iter().map(|i| i.expr == Expr::Null).collect()
        } else {
            vec![false; rs.fields.len()]
        });
        parts.push(rs);
    }
    let mut out = parts.remove(0);
    for p in &parts {
        if p.fields.len() != out.fields.len() {
            return Err(err(
                ecode::INCORRECT_NUM_OF_COL,
                "Query block has incorrect number of result columns",
            ));
        }
    }
    for c in 0..out.fields.len() {
        if let Some(k) = (0..null_typed.len()).find(|&k| !null_typed[k][c]) {
            if k > 0 {
                let name = std::mem::take(&mut out.fields[c].name);
                out.fields[c] = crate::types::Field {
                    name,
                    ..parts[k - 1].fields[c].clone()
                };
            }
        }
        for p in &parts {
            let (f, pf) = (&mut out.fields[c], &p.fields[c]);
            if f.ty.is_var() && pf.ty.is_var() {
                f.len = f.len.max(pf.len);
            }
        }
    }
    let env = eval_env(engine, ctx, out.precision);
    for p in parts {
        for ((c, pc), (f, pf)) in out
            .columns
            .iter_mut()
            .zip(p.columns)
            .zip(out.fields.iter().zip(&p.fields))
        {
            if f.ty == pf.ty {
                c.extend(pc);
            } else {
                c.extend(pc.into_iter().map(|v| cast_value(v, f, &env)));
            }
        }
    }
    let mut rows = to_rows(&out);
    if q.union_distinct {
        dedupe(&mut rows, out.fields.len());
    }
    // ORDER BY over a union names the first SELECT's columns or positions; a constant is ignored
    let mut keys = Vec::new();
    let unknown = || {
        err(
            ecode::ORDERBY_UNKNOWN_EXPR,
            "Invalid expr in order by clause",
        )
    };
    for o in &q.order_by {
        let idx = match &o.expr {
            Expr::Int(k) if *k >= 1 && (*k as usize) <= out.fields.len() => *k as usize - 1,
            Expr::Int(k) if *k < 0 => continue,
            Expr::Int(_) => {
                return Err(err(
                    ecode::ORDER_BY_POSITION,
                    "ORDER BY / GROUP BY item must be the number of a SELECT-list expression",
                ))
            }
            Expr::Str(_) | Expr::Float(_) | Expr::Bool(_) | Expr::Null => continue,
            Expr::Column { name, .. } => out
                .fields
                .iter()
                .position(|f| f.name == *name)
                .ok_or_else(unknown)?,
            _ => return Err(unknown()),
        };
        keys.push((idx, o.desc, o.nulls_first.unwrap_or(!o.desc)));
    }
    sort_rows(&mut rows, &keys);
    apply_limit(&mut rows, q.limit);
    Ok(ResultSet::from_rows(out.fields, out.precision, rows))
}
