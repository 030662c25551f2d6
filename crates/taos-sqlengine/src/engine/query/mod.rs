//! Queries: a statement of one or more SELECTs (UNION [ALL]) with its ORDER BY and LIMIT.
//! Each SELECT runs in [`select`] over a [`relation`], with expressions bound by [`binder`];
//! groups, partitions and windows are in [`grouping`].


mod binder;
mod functions;
mod grouping;
mod join;
mod relation;
mod rows;
mod select;

pub(crate) use functions::has_agg_call;

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, ResultSet, TdError};

use super::catalog::Catalog;
use super::errors::{ecode, err, invalid_column, unsupported};
use crate::engine::state::Engine;

use rows::{apply_limit, dedupe, sort_rows, to_rows};
use select::exec_select;

pub(crate) fn run_query(
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
