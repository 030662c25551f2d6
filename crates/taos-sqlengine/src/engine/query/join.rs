//! Joins: a FROM clause of two or more relations joined on their primary timestamps, as
//! TDengine 3.3 defines them — inner (`JOIN … ON`, the comma join), LEFT/RIGHT/FULL [OUTER],
//! LEFT/RIGHT SEMI and ANTI, LEFT/RIGHT ASOF (`JLIMIT`) and LEFT/RIGHT WINDOW
//! (`WINDOW_OFFSET`, `JLIMIT`). The result is materialised as one relation whose columns keep
//! their table qualifier; the checks follow TDengine's translator and planner (which join may
//! nest in which, what an ON condition may hold) with their codes and texts.

use std::collections::HashMap;

use crate::engine::catalog::Catalog;
use crate::engine::errors::{err, unsupported};
use crate::engine::eval::{truthy, BExpr, ColSrc, EvalEnv, RelField, Relation, Segment};
use crate::engine::state::Engine;
use crate::engine::time;
use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::types::{code, Precision, ResultSet, TdError, Value};

use super::binder::Binder;
use super::relation::build_relation;
use super::rows::{key_part, KeyPart};
use super::{eval_env, run_query};

/// `Not supported join since '…'` (TSDB_CODE_PAR_NOT_SUPPORT_JOIN).
const NOT_SUPPORT_JOIN: u16 = 9828;
/// TSDB_CODE_PLAN_NOT_SUPPORT_CROSS_JOIN.
const CROSS_JOIN: u16 = 9986;
/// TSDB_CODE_PLAN_NOT_SUPPORT_JOIN_COND.
const JOIN_COND: u16 = 9987;
/// TSDB_CODE_QRY_INVALID_JOIN_CONDITION (ASOF/WINDOW ON conditions).
const INVALID_JOIN_ON: u16 = 1843;
/// TSDB_CODE_PAR_INVALID_WIN_OFFSET_UNIT.
const WIN_OFFSET_UNIT: u16 = 9843;
/// TSDB_CODE_PAR_NOT_UNIQUE_TABLE_ALIAS.
const NOT_UNIQUE_TABLE_ALIAS: u16 = 9827;
/// JLIMIT's upper bound (JOIN_JLIMIT_MAX_VALUE).
const JLIMIT_MAX: u64 = 1024;

fn not_supported(why: &str) -> TdError {
    err(NOT_SUPPORT_JOIN, why.to_string())
}

fn no_ts_equal() -> TdError {
    err(
        NOT_SUPPORT_JOIN,
        "Not supported join since 'Join requires valid time series input and primary timestamp equal condition'",
    )
}

fn bad_conditions() -> TdError {
    err(JOIN_COND, "Not supported join conditions")
}

fn bad_on() -> TdError {
    err(INVALID_JOIN_ON, "Not supported join on condition")
}

/// A materialised join: columns of the left input then of the right one.
pub(crate) struct Joined {
    pub rs: ResultSet,
    pub fields: Vec<RelField>,
    /// The result's primary timestamp (the driving side's).
    pub ts_col: usize,
    /// Primary timestamp columns of every joined table (never NULL for TDengine: `IS NULL`
    /// on them is false even where an outer join left them empty).
    pub pk_cols: Vec<usize>,
    pub qualifiers: Vec<String>,
    /// WINDOW join: a hidden column numbering the driving row each output row belongs to, and
    /// the driving side's columns (aggregates run per driving row).
    pub window_rows: Option<(usize, std::ops::Range<usize>)>,
    /// `JLIMIT 0`: the statement answers no rows.
    pub empty: bool,
    /// A planner error, raised once the rest of the statement was checked.
    pub deferred: Option<TdError>,
}

/// One input of a join, materialised.
struct Side {
    fields: Vec<RelField>,
    cols: Vec<Vec<Value>>,
    n: usize,
    ts: Option<usize>,
    pk_cols: Vec<usize>,
    qualifiers: Vec<String>,
    precision: Precision,
    deferred: Option<TdError>,
}

/// Does a FROM item hold a join (directly or in a subquery)?
fn contains_join(item: &FromItem) -> bool {
    match item {
        FromItem::Table { .. } => false,
        FromItem::Join(_) => true,
        FromItem::Subquery { query, .. } => query
            .selects
            .iter()
            .any(|s| s.from.as_ref().is_some_and(contains_join)),
    }
}

pub(crate) fn materialize(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    j: &Join,
    sel: &Select,
) -> Result<Joined, TdError> {
    // translator checks, in TDengine's order
    if let Some(n) = j.jlimit {
        if n > JLIMIT_MAX {
            return Err(err(
                code::TSC_INVALID_OPERATION,
                "JLIMIT value is out of valid range [0, 1024]",
            ));
        }
    }
    let offsets = match j.window_offset {
        Some((a, b)) => {
            for (_, u) in [a, b] {
                if matches!(u, 'n' | 'y') {
                    return Err(offset_unit(u));
                }
            }
            Some((a, b))
        }
        None => None,
    };
    if j.sub != JoinSub::None && (contains_join(&j.left) || contains_join(&j.right)) {
        return Err(not_supported("unsupported nested join type"));
    }
    let timeline = matches!(j.sub, JoinSub::Asof | JoinSub::Window);
    if timeline
        && !(matches!(j.left, FromItem::Table { .. }) && matches!(j.right, FromItem::Table { .. }))
    {
        return Err(not_supported(
            "Only support ASOF/WINDOW join between tables",
        ));
    }
    let left = side(engine, cat, ctx, &j.left, sel)?;
    let right = side(engine, cat, ctx, &j.right, sel)?;
    let mut win = None;
    if let Some(((sv, su), (ev, eu))) = offsets {
        if left.precision != right.precision {
            return Err(not_supported(
                "Same database precision required in WINDOW join",
            ));
        }
        for u in [su, eu] {
            let bad = match left.precision {
                Precision::Millisecond => matches!(u, 'u' | 'b'),
                Precision::Microsecond => u == 'b',
                Precision::Nanosecond => false,
            };
            if bad {
                return Err(offset_unit(u));
            }
        }
        // TDengine 3.3.7.5 reads the offsets in milliseconds (truncated) and applies that number
        // as units of the database precision: in a us database `1s` spans 1000 us (verified)
        let p = Precision::Millisecond;
        let to_units = |v: i64, u: char| {
            time::duration_units(v.abs(), u, p)
                .map(|x| if v < 0 { -x } else { x })
                .ok_or_else(|| offset_unit(u))
        };
        let (mut s, mut e) = (to_units(sv, su)?, to_units(ev, eu)?);
        if s > e {
            std::mem::swap(&mut s, &mut e);
        }
        win = Some((s, e));
    }
    if j.sub == JoinSub::Window
        && (sel.window.is_some() || !sel.partition_by.is_empty() || !sel.group_by.is_empty())
    {
        return Err(not_supported(
            "No WINDOW/GROUP BY/PARTITION BY allowed in WINDOW join",
        ));
    }

    // The combined schema, and the two inputs seen through it (the other side's columns NULL).
    let nl = left.fields.len();
    let mut fields = left.fields.clone();
    fields.extend(right.fields.iter().cloned());
    let mut qualifiers = left.qualifiers.clone();
    if let Some(q) = right.qualifiers.iter().find(|q| qualifiers.contains(q)) {
        return Err(err(
            NOT_UNIQUE_TABLE_ALIAS,
            format!("Not unique table/alias: '{}'", q),
        ));
    }
    qualifiers.extend(right.qualifiers.iter().cloned());
    let mut pk_cols = left.pk_cols.clone();
    pk_cols.extend(right.pk_cols.iter().map(|c| c + nl));
    let lrel = side_view(&fields, &qualifiers, &pk_cols, &left, &right, true);
    let rrel = side_view(&fields, &qualifiers, &pk_cols, &left, &right, false);
    let env = eval_env(engine, ctx, left.precision);
    let mut b = Binder {
        engine,
        ctx,
        rel: &lrel,
        agg_mode: false,
        has_window: false,
        aggs: vec![],
        bare: vec![],
        uses_window_cols: false,
        interp: false,
        group_keys: vec![],
        query_range: (None, None),
        rows_mode: false,
        rows_fns: vec![],
    };

    let on_conjuncts: Vec<&Expr> = j.on.as_ref().map(Expr::conjuncts).unwrap_or_default();
    // which side each ON conjunct reads (resolving every name now: unknown tables/columns)
    let mut on_sides = Vec::new();
    for c in &on_conjuncts {
        on_sides.push(sides_of(c, &mut b, nl)?);
    }
    let pks = Pks {
        nl,
        left: &left.pk_cols,
        right: &right.pk_cols,
    };
    // TDengine's planner checks (cross join, conditions) come after the whole statement was
    // translated: their errors are handed back with the schema, to be raised after the select
    // list was bound (`select a.ts from a natural join b` → 9731 for `a`, not 9986).
    let inputs = Inputs {
        j,
        sel,
        left: &left,
        right: &right,
        lrel: &lrel,
        rrel: &rrel,
        env: &env,
        on_conjuncts: &on_conjuncts,
        on_sides: &on_sides,
        pks: &pks,
        fields: &fields,
        qualifiers: &qualifiers,
        pk_cols: &pk_cols,
    };
    let planned = match j.sub {
        JoinSub::Asof | JoinSub::Window => timeline_join(&inputs, &mut b, win),
        _ => equi_join(&inputs, &mut b),
    };
    let (probe_left, rows, deferred) = match planned {
        Ok((p, r)) => (p, r, None),
        Err(e) if matches!(e.code, NOT_SUPPORT_JOIN | CROSS_JOIN | JOIN_COND) => {
            (j.kind != JoinType::Right, vec![], Some(e))
        }
        Err(e) => return Err(e),
    };
    let deferred = left
        .deferred
        .clone()
        .or(right.deferred.clone())
        .or(deferred);

    let mut rs = assemble(&left, &right, &rows);
    let mut window_rows = None;
    if j.sub == JoinSub::Window {
        // the driving row of each output row, for aggregates per driving row
        let c = fields.len();
        fields.push(RelField {
            field: crate::types::Field::fixed(
                "\u{0}window_join_row",
                crate::types::DataType::BigInt,
            ),
            in_star: false,
            is_tag: false,
            is_tbname: false,
            qualifier: Some("\u{0}".into()),
        });
        rs.fields.push(fields[c].field.clone());
        rs.columns
            .push(rows.iter().map(|r| Value::Int(r.2 as i64)).collect());
        let driving = if probe_left { 0..nl } else { nl..c };
        window_rows = Some((c, driving));
    }
    let ts_col = if probe_left {
        left.ts.unwrap_or(0)
    } else {
        nl + right.ts.unwrap_or(0)
    };
    Ok(Joined {
        rs,
        fields,
        ts_col,
        pk_cols,
        qualifiers,
        window_rows,
        empty: j.jlimit == Some(0),
        deferred,
    })
}

/// (left row, right row, driving row) of one output row; a missing side is NULL.
type Pair = (Option<usize>, Option<usize>, usize);
/// (the left input drives, the output rows).
type Planned = (bool, Vec<Pair>);

/// What both join algorithms read.
#[derive(Clone, Copy)]
struct Inputs<'a, 'r> {
    j: &'a Join,
    sel: &'a Select,
    left: &'a Side,
    right: &'a Side,
    /// The combined schema with only the left (right) input's values.
    lrel: &'a Relation<'r>,
    rrel: &'a Relation<'r>,
    env: &'a EvalEnv<'a>,
    on_conjuncts: &'a [&'a Expr],
    /// Which inputs each ON conjunct reads (left, right).
    on_sides: &'a [(bool, bool)],
    pks: &'a Pks<'a>,
    fields: &'a [RelField],
    qualifiers: &'a [String],
    pk_cols: &'a [usize],
}

/// ASOF and WINDOW joins: for each row of the driving side (LEFT: the left input), the closest
/// rows of the other side (ASOF) or those within the window offsets (WINDOW), at most JLIMIT,
/// among rows with equal ON keys; no match keeps the row with NULLs.
fn timeline_join(
    inp: &Inputs,
    b: &mut Binder,
    win: Option<(i64, i64)>,
) -> Result<Planned, TdError> {
    let Inputs {
        j,
        left,
        right,
        lrel,
        rrel,
        env,
        on_conjuncts,
        on_sides,
        pks,
        ..
    } = *inp;
    let nl = pks.nl;
    let ts_key = |e: &Expr, b: &mut Binder| pks.ts_key(e, b);
    // every ON conjunct: a comparison of columns/functions; non-timestamp columns only `=`
    if matches!(j.on, Some(Expr::Binary { op: BinOp::Or, .. })) {
        return Err(bad_on());
    }
    let mut ts_cond: Option<BinOp> = None;
    let mut keys: Vec<(BExpr, BExpr)> = Vec::new();
    for (c, sides) in on_conjuncts.iter().zip(on_sides) {
        let Expr::Binary {
            op,
            left: l,
            right: r,
        } = c
        else {
            return Err(bad_on());
        };
        if !op.is_cmp() || *op == BinOp::Ne {
            return Err(bad_on());
        }
        for operand in [l.as_ref(), r.as_ref()] {
            let ok = match operand {
                Expr::Column { .. } => *op == BinOp::Eq || ts_key(operand, b)?.is_some(),
                Expr::Func { name, args, .. } if name == "timetruncate" => {
                    matches!(args.first(), Some(Expr::Column { .. }))
                        && ts_key(operand, b)?.is_some()
                }
                Expr::Func { .. } | Expr::JsonGet { .. } => true,
                _ => false,
            };
            if !ok {
                return Err(bad_on());
            }
        }
        let (lk, rk) = (ts_key(l, b)?, ts_key(r, b)?);
        match (lk, rk) {
            (Some(x), Some(y)) if x != y => {
                if j.sub == JoinSub::Window || ts_cond.is_some() {
                    return Err(bad_conditions());
                }
                // normalise to `left.ts OP right.ts`
                ts_cond = Some(if x { *op } else { flip(*op) });
            }
            _ => {
                // an equality between the two sides groups the rows; anything else is a
                // filter TDengine does not run for these joins
                let (ls, rs) = (sides_of(l, b, nl)?, sides_of(r, b, nl)?);
                let (le, re) = match (ls, rs) {
                    ((true, false), (false, true)) => (l, r),
                    ((false, true), (true, false)) => (r, l),
                    _ => return Err(bad_conditions()),
                };
                if *op != BinOp::Eq || !(sides.0 && sides.1) {
                    return Err(bad_conditions());
                }
                keys.push((b.bind(le, false)?.0, b.bind(re, false)?.0));
            }
        }
    }
    let probe_left = j.kind == JoinType::Left;
    let (probe, build, pview, bview) = if probe_left {
        (&left, &right, &lrel, &rrel)
    } else {
        (&right, &left, &rrel, &lrel)
    };
    let (pkeys, bkeys): (Vec<&BExpr>, Vec<&BExpr>) = if probe_left {
        keys.iter().map(|(l, r)| (l, r)).unzip()
    } else {
        keys.iter().map(|(l, r)| (r, l)).unzip()
    };
    let pts = |i: usize| ts_of(probe, i);
    // candidates of the build side per key, in timestamp order
    let mut groups: HashMap<Vec<KeyPart>, Vec<usize>> = HashMap::new();
    for i in 0..build.n {
        let k = eval_key(&bkeys, bview, i, env);
        if let Some(k) = k {
            groups.entry(k).or_default().push(i);
        }
    }
    for g in groups.values_mut() {
        g.sort_by_key(|&i| ts_of(build, i));
    }
    let mut out: Vec<(Option<usize>, Option<usize>, usize)> = Vec::new();
    let limit = j.jlimit.map(|n| n as usize);
    for pi in 0..probe.n {
        let t = pts(pi);
        let cands: &[usize] = match eval_key(&pkeys, pview, pi, env) {
            Some(k) => groups.get(&k).map(|v| &v[..]).unwrap_or(&[]),
            None => &[],
        };
        let picked: Vec<usize> = if let Some((s, e)) = win {
            let lo = cands.partition_point(|&i| ts_of(build, i) < t + s);
            let hi = cands.partition_point(|&i| ts_of(build, i) <= t + e);
            let n = limit.unwrap_or(usize::MAX);
            cands[lo..hi].iter().take(n).copied().collect()
        } else {
            // the condition as `candidate REL probe`
            let op = ts_cond.unwrap_or(if probe_left { BinOp::Ge } else { BinOp::Le });
            let rel = if probe_left { flip(op) } else { op };
            let n = limit.unwrap_or(1);
            asof_pick(cands, |i| ts_of(build, i), t, rel, n)
        };
        if picked.is_empty() {
            out.push(pair(probe_left, Some(pi), None, pi));
        } else {
            for bi in picked {
                out.push(pair(probe_left, Some(pi), Some(bi), pi));
            }
        }
    }
    Ok((probe_left, out))
}

/// Inner, outer, semi and anti joins: pairs with equal primary timestamps (a hash join) that
/// also pass the rest of ON; outer sides keep their unmatched rows with NULLs.
fn equi_join(inp: &Inputs, b: &mut Binder) -> Result<Planned, TdError> {
    let Inputs {
        j,
        sel,
        left,
        right,
        lrel,
        rrel,
        env,
        on_conjuncts,
        pks,
        fields,
        qualifiers,
        pk_cols,
        ..
    } = *inp;
    let nl = pks.nl;
    // the primary-timestamp equality: in ON, else (inner joins) in WHERE
    let mut key: Option<(usize, &Expr, &Expr)> = None;
    let inner = j.kind == JoinType::Inner;
    if j.on.is_none() && (!inner || sel.where_.is_none()) {
        return Err(err(CROSS_JOIN, "not support cross join"));
    }
    if let Some(on) = &j.on {
        if matches!(on, Expr::Binary { op: BinOp::Or, .. }) && !(inner && sel.where_.is_some()) {
            return Err(bad_conditions());
        }
        key = pks.find_key(on_conjuncts, b)?;
    }
    let mut residual: Vec<&Expr> = on_conjuncts.to_vec();
    match key {
        Some((i, _, _)) => {
            residual.remove(i);
        }
        None if inner && sel.where_.is_some() => {
            let w = sel.where_.as_ref().expect("checked");
            if matches!(w, Expr::Binary { op: BinOp::Or, .. }) {
                return Err(bad_conditions());
            }
            // the conjuncts about this join's tables (in `a, b, c` the first join does not see c;
            // names that resolve nowhere are reported when WHERE itself is bound)
            let wc: Vec<&Expr> = w
                .conjuncts()
                .into_iter()
                .filter(|c| sides_of(c, b, nl).is_ok())
                .collect();
            // WHERE runs again after the join: only the key is taken from it here
            key = pks.find_key(&wc, b)?;
        }
        None => {}
    }
    let Some((_, lkey, rkey)) = key else {
        return Err(no_ts_equal());
    };
    if left.ts.is_none() || right.ts.is_none() {
        return Err(no_ts_equal());
    }
    let lk = b.bind(lkey, false)?.0;
    let rk = b.bind(rkey, false)?.0;
    let mut residual_b = Vec::new();
    for c in residual {
        residual_b.push(b.bind(c, false)?.0);
    }
    let probe_left = j.kind != JoinType::Right;
    let (probe, build, pview, bview, pk, bk) = if probe_left {
        (&left, &right, &lrel, &rrel, &lk, &rk)
    } else {
        (&right, &left, &rrel, &lrel, &rk, &lk)
    };
    let mut index: HashMap<KeyPart, Vec<usize>> = HashMap::new();
    for i in 0..build.n {
        let v = bk.eval(bview, Some(row(i)), None, env);
        if !v.is_null() {
            index.entry(key_part(&v)).or_default().push(i);
        }
    }
    // candidate pairs on the timestamp, then the rest of ON over them
    let mut cands: Vec<(usize, usize)> = Vec::new();
    for pi in 0..probe.n {
        let v = pk.eval(pview, Some(row(pi)), None, env);
        if v.is_null() {
            continue;
        }
        if let Some(bs) = index.get(&key_part(&v)) {
            cands.extend(bs.iter().map(|&bi| (pi, bi)));
        }
    }
    let pairs: Vec<(Option<usize>, Option<usize>, usize)> = cands
        .iter()
        .map(|&(pi, bi)| pair(probe_left, Some(pi), Some(bi), pi))
        .collect();
    let cand_rs = assemble(left, right, &pairs);
    let cand_rel = rel_over(fields, qualifiers, pk_cols, &cand_rs);
    let pass: Vec<bool> = (0..cands.len())
        .map(|i| {
            residual_b
                .iter()
                .all(|c| truthy(&c.eval(&cand_rel, Some(row(i)), None, env)))
        })
        .collect();
    let mut matched_build = vec![false; build.n];
    let mut out = Vec::new();
    let mut ci = 0;
    for pi in 0..probe.n {
        let start = ci;
        while ci < cands.len() && cands[ci].0 == pi {
            ci += 1;
        }
        let passing: Vec<usize> = (start..ci)
            .filter(|&k| pass[k])
            .map(|k| cands[k].1)
            .collect();
        for &bi in &passing {
            matched_build[bi] = true;
        }
        match j.sub {
            JoinSub::Semi => {
                if let Some(&bi) = passing.first() {
                    out.push(pair(probe_left, Some(pi), Some(bi), pi));
                }
            }
            JoinSub::Anti => {
                if passing.is_empty() {
                    out.push(pair(probe_left, Some(pi), None, pi));
                }
            }
            _ => {
                for &bi in &passing {
                    out.push(pair(probe_left, Some(pi), Some(bi), pi));
                }
                if passing.is_empty() && !inner {
                    out.push(pair(probe_left, Some(pi), None, pi));
                }
            }
        }
    }
    if j.kind == JoinType::Full {
        for (bi, m) in matched_build.iter().enumerate() {
            if !m {
                out.push((None, Some(bi), usize::MAX));
            }
        }
    }
    Ok((probe_left, out))
}

/// The primary timestamp columns of both inputs, to recognise the join's timestamp condition.
struct Pks<'a> {
    nl: usize,
    left: &'a [usize],
    right: &'a [usize],
}

impl Pks<'_> {
    /// Is `e` one input's primary timestamp (or timetruncate of it)? Some(true) = the left one.
    fn ts_key(&self, e: &Expr, b: &mut Binder) -> Result<Option<bool>, TdError> {
        let col = match e {
            Expr::Column { .. } => e,
            Expr::Func { name, args, .. } if name == "timetruncate" && !args.is_empty() => &args[0],
            _ => return Ok(None),
        };
        let Expr::Column { table, name } = col else {
            return Ok(None);
        };
        let i = b.find_column(table.as_deref(), name)?;
        Ok(if i < self.nl {
            self.left.contains(&i).then_some(true)
        } else {
            self.right.contains(&(i - self.nl)).then_some(false)
        })
    }

    /// The first `left.ts = right.ts` conjunct: (its index, left key, right key).
    fn find_key<'e>(
        &self,
        conds: &[&'e Expr],
        b: &mut Binder,
    ) -> Result<Option<(usize, &'e Expr, &'e Expr)>, TdError> {
        for (i, c) in conds.iter().enumerate() {
            if let Expr::Binary {
                op: BinOp::Eq,
                left: l,
                right: r,
            } = c
            {
                match (self.ts_key(l, b)?, self.ts_key(r, b)?) {
                    (Some(true), Some(false)) => return Ok(Some((i, l.as_ref(), r.as_ref()))),
                    (Some(false), Some(true)) => return Ok(Some((i, r.as_ref(), l.as_ref()))),
                    _ => {}
                }
            }
        }
        Ok(None)
    }
}

fn offset_unit(u: char) -> TdError {
    err(
        WIN_OFFSET_UNIT,
        format!("Invalid WINDOW_OFFSET unit \"{}\"", u),
    )
}

/// (left row, right row, driving row) from (probe row, build row).
fn pair(
    probe_left: bool,
    p: Option<usize>,
    b: Option<usize>,
    driving: usize,
) -> (Option<usize>, Option<usize>, usize) {
    if probe_left {
        (p, b, driving)
    } else {
        (b, p, driving)
    }
}

fn row(i: usize) -> crate::engine::eval::RowRef {
    crate::engine::eval::RowRef {
        seg: 0,
        idx: i as u32,
    }
}

fn ts_of(s: &Side, i: usize) -> i64 {
    match s.ts.map(|c| &s.cols[c][i]) {
        Some(Value::Timestamp(t)) | Some(Value::Int(t)) => *t,
        _ => i64::MIN,
    }
}

fn flip(op: BinOp) -> BinOp {
    match op {
        BinOp::Lt => BinOp::Gt,
        BinOp::Le => BinOp::Ge,
        BinOp::Gt => BinOp::Lt,
        BinOp::Ge => BinOp::Le,
        o => o,
    }
}

/// ASOF: the `n` candidates closest to `t` with `candidate REL t`, in timestamp order.
fn asof_pick(
    cands: &[usize],
    ts: impl Fn(usize) -> i64,
    t: i64,
    rel: BinOp,
    n: usize,
) -> Vec<usize> {
    match rel {
        BinOp::Le | BinOp::Lt => {
            let hi = if rel == BinOp::Le {
                cands.partition_point(|&i| ts(i) <= t)
            } else {
                cands.partition_point(|&i| ts(i) < t)
            };
            cands[hi.saturating_sub(n)..hi].to_vec()
        }
        BinOp::Ge | BinOp::Gt => {
            let lo = if rel == BinOp::Ge {
                cands.partition_point(|&i| ts(i) < t)
            } else {
                cands.partition_point(|&i| ts(i) <= t)
            };
            cands[lo..(lo + n).min(cands.len())].to_vec()
        }
        _ => {
            let lo = cands.partition_point(|&i| ts(i) < t);
            let hi = cands.partition_point(|&i| ts(i) <= t);
            cands[lo..hi].iter().take(n).copied().collect()
        }
    }
}

fn eval_key(keys: &[&BExpr], rel: &Relation, i: usize, env: &EvalEnv) -> Option<Vec<KeyPart>> {
    let mut out = Vec::with_capacity(keys.len());
    for k in keys {
        let v = k.eval(rel, Some(row(i)), None, env);
        if v.is_null() {
            return None;
        }
        out.push(key_part(&v));
    }
    Some(out)
}

/// (reads the left side, reads the right side); resolves every column name.
fn sides_of(e: &Expr, b: &mut Binder, nl: usize) -> Result<(bool, bool), TdError> {
    let mut cols = Vec::new();
    e.walk(&mut |x| {
        if let Expr::Column { table, name } = x {
            cols.push((table.clone(), name.clone()));
        }
    });
    let (mut l, mut r) = (false, false);
    for (t, n) in cols {
        let i = b.find_column(t.as_deref(), &n)?;
        if i < nl {
            l = true;
        } else {
            r = true;
        }
    }
    Ok((l, r))
}

/// One input of a join, materialised with its columns qualified by its name or alias.
fn side(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    item: &FromItem,
    sel: &Select,
) -> Result<Side, TdError> {
    match item {
        FromItem::Table { name, alias } => {
            let dbn = name.db.as_deref().or(ctx.db.as_deref());
            if matches!(dbn, Some("information_schema") | Some("performance_schema")) {
                return Err(unsupported("join of a system table"));
            }
            let rel = build_relation(cat, ctx, Some(item), None)?;
            let q = alias.clone().unwrap_or_else(|| name.name.clone());
            let rows = rel.all_rows();
            let cols: Vec<Vec<Value>> = (0..rel.fields.len())
                .map(|c| rows.iter().map(|&r| rel.value(c, r)).collect())
                .collect();
            Ok(Side {
                fields: rel
                    .fields
                    .iter()
                    .map(|f| RelField {
                        qualifier: Some(q.clone()),
                        ..f.clone()
                    })
                    .collect(),
                cols,
                n: rows.len(),
                ts: Some(0),
                pk_cols: vec![0],
                qualifiers: vec![q],
                precision: rel.precision,
                deferred: None,
            })
        }
        FromItem::Subquery { query, alias } => {
            let rs = run_query(engine, cat, ctx, query)?;
            let ts = rs
                .fields
                .iter()
                .position(|f| f.ty == crate::types::DataType::Timestamp);
            Ok(Side {
                fields: rs
                    .fields
                    .iter()
                    .map(|f| RelField::of_result(f, alias.clone()))
                    .collect(),
                n: rs.num_rows(),
                cols: rs.columns,
                ts,
                pk_cols: ts.into_iter().collect(),
                qualifiers: alias.iter().cloned().collect(),
                precision: rs.precision,
                deferred: None,
            })
        }
        FromItem::Join(j) => {
            let inner = materialize(engine, cat, ctx, j, sel)?;
            if inner.empty {
                return Err(unsupported("JLIMIT 0 inside a join"));
            }
            Ok(Side {
                n: inner.rs.num_rows(),
                precision: inner.rs.precision,
                cols: inner.rs.columns,
                fields: inner.fields,
                ts: Some(inner.ts_col),
                pk_cols: inner.pk_cols,
                qualifiers: inner.qualifiers,
                deferred: inner.deferred,
            })
        }
    }
}

/// A relation over the combined schema where only one side has values.
fn side_view<'s>(
    fields: &[RelField],
    qualifiers: &[String],
    pk_cols: &[usize],
    left: &'s Side,
    right: &'s Side,
    of_left: bool,
) -> Relation<'s> {
    let mut cols: Vec<ColSrc<'s>> = Vec::with_capacity(fields.len());
    for c in &left.cols {
        cols.push(if of_left {
            ColSrc::Vals(&c[..])
        } else {
            ColSrc::Const(Value::Null)
        });
    }
    for c in &right.cols {
        cols.push(if of_left {
            ColSrc::Const(Value::Null)
        } else {
            ColSrc::Vals(&c[..])
        });
    }
    Relation {
        fields: fields.to_vec(),
        segs: vec![Segment {
            cols,
            n: if of_left { left.n } else { right.n },
            table: None,
        }],
        precision: left.precision,
        ts_col: None,
        qualifiers: qualifiers.to_vec(),
        is_super: false,
        pk_cols: pk_cols.to_vec(),
    }
}

fn rel_over<'s>(
    fields: &[RelField],
    qualifiers: &[String],
    pk_cols: &[usize],
    rs: &'s ResultSet,
) -> Relation<'s> {
    Relation {
        fields: fields.to_vec(),
        segs: vec![Segment {
            cols: rs.columns.iter().map(|c| ColSrc::Vals(&c[..])).collect(),
            n: rs.num_rows(),
            table: None,
        }],
        precision: rs.precision,
        ts_col: None,
        qualifiers: qualifiers.to_vec(),
        is_super: false,
        pk_cols: pk_cols.to_vec(),
    }
}

/// Output rows from (left row, right row) pairs; a missing side is NULL.
fn assemble(
    left: &Side,
    right: &Side,
    rows: &[(Option<usize>, Option<usize>, usize)],
) -> ResultSet {
    let mut columns: Vec<Vec<Value>> = Vec::with_capacity(left.cols.len() + right.cols.len());
    for c in &left.cols {
        columns.push(
            rows.iter()
                .map(|r| r.0.map(|i| c[i].clone()).unwrap_or(Value::Null))
                .collect(),
        );
    }
    for c in &right.cols {
        columns.push(
            rows.iter()
                .map(|r| r.1.map(|i| c[i].clone()).unwrap_or(Value::Null))
                .collect(),
        );
    }
    let fields = left
        .fields
        .iter()
        .chain(right.fields.iter())
        .map(|f| f.field.clone())
        .collect();
    ResultSet {
        fields,
        precision: left.precision,
        columns,
    }
}
