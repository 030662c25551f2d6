//! Prepared statements (stmt2): `prepare` describes the `?` placeholders of an INSERT (table name,
//! tags, columns, in SQL order) or counts those of a query; the bound values then run without SQL
//! text (inserts go through the same write path as [`Engine::insert_rows`]).

use crate::session::SessionCtx;
use crate::sql::ast::*;
use crate::statement::{BindType, BoundTable, PreparedStmt, StmtField, StmtPlan};
use crate::types::{code, DataType, Field, Outcome, Precision, ResultSet, TdError, Value};

use super::catalog::{db_key, resolve_db_name, Catalog, ColumnSchema, TableKind};
use super::convert::{self, ConvCtx};
use super::errors::{db_not_exist, err, invalid_column, table_not_exist};
use super::insert::AutoCreate;
use super::state::Engine;

#[derive(Debug, Clone)]
enum Plan {
    Insert(InsertPlan),
    Query(Box<Query>),
}

/// Where a value comes from: the k-th bound tag/column, or a literal of the statement.
#[derive(Debug, Clone)]
enum Slot {
    Param(usize),
    Fixed(Value),
}

#[derive(Debug, Clone)]
struct InsertPlan {
    db: String,
    /// Fixed target table; `None` when the name is bound.
    table: Option<String>,
    /// Super table for auto-creation (`using st` or `insert into st (tbname, …)`).
    stable: Option<String>,
    /// Per tag of the super table: where its value comes from (`None` = NULL).
    tag_slots: Vec<Option<Slot>>,
    /// Target columns (ts first or wherever the statement put it) and their value sources.
    columns: Vec<String>,
    col_slots: Vec<Slot>,
    /// Position of `tbname` among the VALUES placeholders (`insert into st (tbname, …)`).
    tbname_slot: Option<usize>,
}

fn stmt_field(c: &ColumnSchema, bind_type: BindType, db_precision: Precision) -> StmtField {
    let field = c.field();
    // as recorded: TIMESTAMP carries the database precision; DECIMAL reports neither precision
    // nor scale, and its plain width (8 or 16) as bytes
    let (precision, bytes) = match c.ty {
        DataType::Timestamp => (db_precision.code(), 8),
        DataType::Decimal | DataType::Decimal64 => (0, c.ty.fixed_size().unwrap_or(8) as u32),
        _ => (0, field.storage_bytes()),
    };
    StmtField {
        field,
        bind_type,
        precision,
        scale: 0,
        bytes,
    }
}

fn tbname_field() -> StmtField {
    StmtField {
        field: Field::new("tbname", DataType::VarChar, 271),
        bind_type: BindType::TableName,
        precision: 0,
        scale: 0,
        bytes: 271,
    }
}

/// What stmt2's prepare answers for an INSERT whose target table it cannot find
/// (`insert into ? values …` without USING, or an unknown fixed name): 0x022B.
fn stmt_table_not_exist() -> TdError {
    err(code::TSC_STMT_TBNAME_ERROR, "Table does not exist")
}

fn stmt_error(msg: impl Into<String>) -> TdError {
    err(code::TSC_STMT_API_ERROR, msg)
}

impl Engine {
    /// `stmt2_prepare`: parses `sql` and describes its placeholders. Like taosc's stmt2, it
    /// resolves every name now: `insert into ? …` (a table named per bind) needs a current
    /// database, else 0x0200 `Invalid operation` (even when the super table is qualified).
    pub fn prepare(&self, ctx: &SessionCtx, sql: &str) -> Result<PreparedStmt, TdError> {
        self.prepare_in(ctx, sql, None)
    }

    /// stmt v1's `prepare` + `set_table_name` of a qualified name (`db.child`) on a connection
    /// without a current database: the table's database comes from the name, while any other
    /// unqualified name (the super table of `using stb`) still needs a current database
    /// (0x0200 `db is not specified`, j_stmt_without_db).
    pub fn prepare_for_table(&self, ctx: &SessionCtx, sql: &str, table_db: &str) -> Result<PreparedStmt, TdError> {
        self.prepare_in(ctx, sql, Some(table_db))
    }

    fn prepare_in(&self, ctx: &SessionCtx, sql: &str, table_db: Option<&str>) -> Result<PreparedStmt, TdError> {
        let stmt = crate::sql::parse_in(sql, ctx.db.is_some() || table_db.is_some())?;
        let cat = self.read();
        match stmt {
            Statement::Query(q) => {
                let param_count = count_params(&q);
                let precision = query_precision(&cat, ctx, &q);
                Ok(PreparedStmt {
                    is_insert: false,
                    fields: vec![],
                    param_count,
                    precision,
                    plan: StmtPlan::new(Plan::Query(q)),
                })
            }
            Statement::Insert(items) => {
                if items.len() != 1 || items[0].query.is_some() {
                    return Err(stmt_error(
                        "only one table per prepared insert is supported",
                    ));
                }
                prepare_insert(self, &cat, ctx, sql, &items[0], table_db)
            }
            _ => Err(stmt_error("stmt only supports insert and select")),
        }
    }

    /// Checks bound tag values of a prepared INSERT against the super table's tag types without
    /// writing anything: what taosd refuses at `stmt2_bind` (e.g. a JSON tag that is not an
    /// object → 534 `syntax error near '…' (json error invalide value)`), before `stmt2_exec`.
    pub fn check_insert_bind(
        &self,
        stmt: &PreparedStmt,
        tables: &[BoundTable],
    ) -> Result<(), TdError> {
        let Some(Plan::Insert(plan)) = stmt.plan.get::<Plan>() else {
            return Ok(());
        };
        let Some(stable) = &plan.stable else {
            return Ok(());
        };
        let cat = self.read();
        let Some(st) = cat.dbs.get(&plan.db).and_then(|d| d.stables.get(stable)) else {
            return Ok(());
        };
        for t in tables {
            for (col, slot) in st.tags.iter().zip(&plan.tag_slots) {
                // Only JSON tags: the other types' bind-time checks are not recorded yet.
                if let (Some(Slot::Param(k)), DataType::Json) = (slot, col.ty) {
                    if let Some(v) = t.tags.get(*k) {
                        super::insert::coerce_value(v.clone(), col)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Runs a prepared INSERT with bound tables; returns the rows written.
    pub fn execute_insert_bind(
        &self,
        stmt: &PreparedStmt,
        tables: Vec<BoundTable>,
    ) -> Result<u64, TdError> {
        let Some(Plan::Insert(plan)) = stmt.plan.get::<Plan>() else {
            return Err(stmt_error("statement is not an insert"));
        };
        let mut total = 0;
        for t in tables {
            let (db, name) = match (&plan.table, &t.name) {
                (Some(fixed), None) => (plan.db.clone(), fixed.clone()),
                (_, Some(bound)) => match bound.split_once('.') {
                    Some((d, n)) => (d.to_string(), n.to_string()),
                    None => (plan.db.clone(), bound.clone()),
                },
                (None, None) => return Err(stmt_error("table name not set")),
            };
            let nrows = t.columns.first().map_or(0, |c| c.len());
            if t.columns.iter().any(|c| c.len() != nrows) {
                return Err(stmt_error("wrong row length"));
            }
            // `insert into st (tbname, …) values (?, …)`: rows may go to several tables
            if let Some(tb) = plan.tbname_slot {
                let mut by_table: Vec<(String, Vec<usize>)> = Vec::new();
                for r in 0..nrows {
                    let n = match t.columns.get(tb).map(|c| &c[r]) {
                        Some(Value::Str(s)) => s.clone(),
                        Some(Value::Bytes(b)) => String::from_utf8_lossy(b).into_owned(),
                        _ => return Err(stmt_error("table name not set")),
                    };
                    match by_table.iter_mut().find(|(x, _)| *x == n) {
                        Some((_, rows)) => rows.push(r),
                        None => by_table.push((n, vec![r])),
                    }
                }
                for (n, rows) in by_table {
                    total += self.write_bound(plan, &db, &n, &t, &rows)?;
                }
                continue;
            }
            let rows: Vec<usize> = (0..nrows).collect();
            total += self.write_bound(plan, &db, &name, &t, &rows)?;
        }
        Ok(total)
    }

    fn write_bound(
        &self,
        plan: &InsertPlan,
        db: &str,
        name: &str,
        t: &BoundTable,
        rows: &[usize],
    ) -> Result<u64, TdError> {
        let row = |r: usize| -> Result<Vec<Value>, TdError> {
            plan.col_slots
                .iter()
                .map(|s| match s {
                    Slot::Param(k) => t
                        .columns
                        .get(*k)
                        .and_then(|c| c.get(r))
                        .cloned()
                        .ok_or_else(|| stmt_error("column not bound")),
                    Slot::Fixed(v) => Ok(v.clone()),
                })
                .collect()
        };
        let mut values = Vec::with_capacity(rows.len());
        for &r in rows {
            let mut v = row(r)?;
            if let Some(tb) = plan.tbname_slot {
                v.remove(
                    plan.col_slots
                        .iter()
                        .position(|s| matches!(s, Slot::Param(k) if *k == tb))
                        .unwrap_or(0),
                );
            }
            values.push(v);
        }
        let create = plan.stable.as_ref().map(|st| AutoCreate {
            stable: st.clone(),
            tags: plan
                .tag_slots
                .iter()
                .map(|s| match s {
                    Some(Slot::Param(k)) => t.tags.get(*k).cloned().unwrap_or(Value::Null),
                    Some(Slot::Fixed(v)) => v.clone(),
                    None => Value::Null,
                })
                .collect(),
        });
        self.insert_rows(db, name, Some(&plan.columns), values, create)
    }

    /// Runs a prepared query with one value per `?`.
    pub fn execute_query_bind(
        &self,
        ctx: &SessionCtx,
        stmt: &PreparedStmt,
        params: &[Value],
    ) -> Result<ResultSet, TdError> {
        let Some(Plan::Query(q)) = stmt.plan.get::<Plan>() else {
            return Err(stmt_error("statement is not a query"));
        };
        if params.len() != stmt.param_count {
            return Err(stmt_error(format!(
                "expected {} parameters, got {}",
                stmt.param_count,
                params.len()
            )));
        }
        let mut q = (**q).clone();
        subst_query(&mut q, params);
        let cat = self.read();
        super::query::run_query(self, &cat, ctx, &q)
    }

    /// Runs a prepared statement the generic way (queries → rows, inserts → affected).
    pub fn execute_prepared(
        &self,
        ctx: &SessionCtx,
        stmt: &PreparedStmt,
        tables: Vec<BoundTable>,
        params: &[Value],
    ) -> Result<Outcome, TdError> {
        if stmt.is_insert {
            self.execute_insert_bind(stmt, tables)
                .map(Outcome::Affected)
        } else {
            self.execute_query_bind(ctx, stmt, params)
                .map(Outcome::Rows)
        }
    }
}

fn query_precision(cat: &Catalog, ctx: &SessionCtx, q: &Query) -> Precision {
    let db = match q.selects.first().and_then(|s| s.from.as_ref()) {
        Some(FromItem::Table { name, .. }) => name.db.clone().or_else(|| ctx.db.clone()),
        _ => ctx.db.clone(),
    };
    db.and_then(|d| cat.dbs.get(&db_key(cat, &d)).map(|x| x.precision))
        .unwrap_or_default()
}

fn prepare_insert(
    engine: &Engine,
    cat: &Catalog,
    ctx: &SessionCtx,
    sql: &str,
    item: &InsertTable,
    table_db: Option<&str>,
) -> Result<PreparedStmt, TdError> {
    let table_param = item.table.name == "?";
    let stable_db = item.using.as_ref().and_then(|u| u.stable.db.clone());
    let db_explicit = match table_db {
        Some(db) if table_param => {
            if item.using.is_some() && stable_db.is_none() && ctx.db.is_none() {
                return Err(err(code::TSC_INVALID_OPERATION, "db is not specified"));
            }
            Some(db.to_string())
        }
        _ if table_param && ctx.db.is_none() => {
            return Err(err(code::TSC_INVALID_OPERATION, "Invalid operation"));
        }
        _ => item.table.db.clone().or(stable_db),
    };
    let dbname = db_key(cat, &resolve_db_name(ctx, db_explicit.as_deref())?);
    let db = cat.dbs.get(&dbname).ok_or_else(db_not_exist)?;
    let cx = ConvCtx {
        sql,
        tz: engine.session_tz(ctx),
        precision: db.precision,
        now: super::time::now(db.precision),
        near_token: false,
    };
    let mut fields = Vec::new();
    if table_param {
        fields.push(tbname_field());
    }
    // the target's columns and, for auto-creation, its super table
    let (columns, stable): (Vec<ColumnSchema>, Option<&super::catalog::STable>) =
        if let Some(u) = &item.using {
            let st = db.stables.get(&u.stable.name).ok_or_else(table_not_exist)?;
            (st.columns.clone(), Some(st))
        } else if !table_param && db.stables.contains_key(&item.table.name) {
            let st = db
                .stables
                .get(&item.table.name)
                .ok_or_else(table_not_exist)?;
            (st.columns.clone(), Some(st))
        } else if !table_param {
            let t = db
                .tables
                .get(&item.table.name)
                .ok_or_else(stmt_table_not_exist)?;
            let st = match &t.kind {
                TableKind::Child { stable, .. } => db.stables.get(stable),
                TableKind::Normal { .. } => None,
            };
            (db.columns_of(t).to_vec(), st)
        } else {
            // stmt2 cannot learn the columns of a table it has not seen yet
            return Err(stmt_table_not_exist());
        };
    let is_stable_target =
        !table_param && item.using.is_none() && db.stables.contains_key(&item.table.name);

    // tags
    let mut tag_slots: Vec<Option<Slot>> = vec![None; stable.map_or(0, |s| s.tags.len())];
    let mut tag_params = 0;
    if let (Some(u), Some(st)) = (&item.using, stable) {
        let names: Vec<String> = match &u.tag_names {
            Some(n) => n.clone(),
            None => st.tags.iter().map(|t| t.name.clone()).collect(),
        };
        if names.len() != u.tags.len() {
            return Err(err(
                super::errors::ecode::TAGS_NOT_MATCHED,
                "Tags number not matched",
            ));
        }
        for (n, v) in names.iter().zip(&u.tags) {
            let i = st
                .tags
                .iter()
                .position(|t| t.name == *n)
                .ok_or_else(|| invalid_column(n))?;
            tag_slots[i] = Some(if matches!(v.kind, InsValKind::Param) {
                fields.push(stmt_field(&st.tags[i], BindType::Tag, db.precision));
                tag_params += 1;
                Slot::Param(tag_params - 1)
            } else {
                Slot::Fixed(convert::convert_value(&cx, v, &st.tags[i])?)
            });
        }
    }

    // columns (and, for `insert into st (tbname, …)`, tbname and tags among them)
    let names: Vec<String> = match &item.columns {
        Some(c) => c.clone(),
        None => {
            if is_stable_target {
                return Err(TdError::new(code::TSC_SQL_SYNTAX_ERROR, "syntax error near '' ((...tbname, ts...) bounded cols is expected for supertable insertion)"));
            }
            columns.iter().map(|c| c.name.clone()).collect()
        }
    };
    let row = item
        .rows
        .first()
        .ok_or_else(|| stmt_error("no VALUES in prepared insert"))?;
    if row.vals.len() != names.len() {
        return Err(err(
            super::errors::ecode::ILLEGAL_COLUMNS,
            "Illegal number of columns",
        ));
    }
    let mut col_names = Vec::new();
    let mut col_slots = Vec::new();
    let mut col_params = 0;
    let mut tbname_slot = None;
    for (n, v) in names.iter().zip(&row.vals) {
        let is_param = matches!(v.kind, InsValKind::Param);
        if is_stable_target && n == "tbname" {
            if !is_param {
                return Err(stmt_error("tbname must be a placeholder"));
            }
            fields.push(tbname_field());
            tbname_slot = Some(col_params);
            col_slots.push(Slot::Param(col_params));
            col_params += 1;
            continue;
        }
        if is_stable_target {
            if let Some(st) = stable {
                if let Some(i) = st.tags.iter().position(|t| t.name == *n) {
                    // a tag inside the column list: bound per row, used for auto-creation
                    if !is_param {
                        tag_slots[i] =
                            Some(Slot::Fixed(convert::convert_value(&cx, v, &st.tags[i])?));
                        continue;
                    }
                    return Err(stmt_error(
                        "tags of `insert into <super table> (tbname, …)` must be literals",
                    ));
                }
            }
        }
        let c = columns
            .iter()
            .find(|c| c.name == *n)
            .ok_or_else(|| invalid_column(n))?;
        col_names.push(n.clone());
        if is_param {
            fields.push(stmt_field(c, BindType::Column, db.precision));
            col_slots.push(Slot::Param(col_params));
            col_params += 1;
        } else if c.ty == DataType::Timestamp && columns.first().map(|f| &f.name) == Some(n) {
            col_slots.push(Slot::Fixed(Value::Timestamp(convert::convert_ts(
                &cx,
                v,
                super::ddl::database::keep_days(db),
            )?)));
        } else {
            col_slots.push(Slot::Fixed(convert::convert_value(&cx, v, c)?));
        }
    }
    if !col_names
        .iter()
        .any(|n| Some(n) == columns.first().map(|c| &c.name))
    {
        return Err(err(
            code::TSC_INVALID_OPERATION,
            "Primary timestamp column should not be null",
        ));
    }
    let plan = InsertPlan {
        db: dbname,
        table: if table_param || is_stable_target {
            None
        } else {
            Some(item.table.name.clone())
        },
        stable: stable.map(|s| s.name.clone()),
        tag_slots,
        columns: col_names,
        col_slots,
        tbname_slot,
    };
    let param_count = fields.len();
    Ok(PreparedStmt {
        is_insert: true,
        fields,
        param_count,
        precision: db.precision,
        plan: StmtPlan::new(Plan::Insert(plan)),
    })
}

fn count_params(q: &Query) -> usize {
    let mut max: Option<usize> = None;
    walk_query(&mut q.clone(), &mut |e| {
        if let Expr::Param(i) = e {
            max = Some(max.map_or(*i, |m: usize| m.max(*i)));
        }
    });
    max.map_or(0, |m| m + 1)
}

fn value_expr(v: &Value) -> Expr {
    match v {
        Value::Null => Expr::Null,
        Value::Bool(b) => Expr::Bool(*b),
        Value::Int(i) | Value::Timestamp(i) => Expr::Int(*i as i128),
        Value::UInt(u) => Expr::Int(*u as i128),
        Value::Float(f) => Expr::Float(*f as f64),
        Value::Double(d) => Expr::Float(*d),
        Value::Str(s) => Expr::Str(s.clone()),
        Value::Bytes(b) => Expr::Str(String::from_utf8_lossy(b).into_owned()),
        Value::Decimal(d) => Expr::Int(*d),
    }
}

fn subst_query(q: &mut Query, params: &[Value]) {
    walk_query(q, &mut |e| {
        if let Expr::Param(i) = e {
            *e = params.get(*i).map(value_expr).unwrap_or(Expr::Null);
        }
    });
}

/// Visits every expression of a query (post-order), subqueries included.
fn walk_query(q: &mut Query, f: &mut dyn FnMut(&mut Expr)) {
    for s in &mut q.selects {
        for i in &mut s.items {
            walk_expr(&mut i.expr, f);
        }
        if let Some(from) = &mut s.from {
            walk_from(from, f);
        }
        for e in s
            .where_
            .iter_mut()
            .chain(s.having.iter_mut())
            .chain(s.partition_by.iter_mut())
            .chain(s.group_by.iter_mut())
        {
            walk_expr(e, f);
        }
    }
    for o in &mut q.order_by {
        walk_expr(&mut o.expr, f);
    }
}

fn walk_from(from: &mut FromItem, f: &mut dyn FnMut(&mut Expr)) {
    match from {
        FromItem::Table { .. } => {}
        FromItem::Subquery { query, .. } => walk_query(query, f),
        FromItem::Join(j) => {
            walk_from(&mut j.left, f);
            walk_from(&mut j.right, f);
            if let Some(on) = &mut j.on {
                walk_expr(on, f);
            }
        }
    }
}

fn walk_expr(e: &mut Expr, f: &mut dyn FnMut(&mut Expr)) {
    match e {
        Expr::Neg(x) | Expr::Not(x) => walk_expr(x, f),
        Expr::Binary { left, right, .. } => {
            walk_expr(left, f);
            walk_expr(right, f);
        }
        Expr::IsNull { expr, .. } | Expr::Cast { expr, .. } | Expr::JsonGet { expr, .. } => {
            walk_expr(expr, f)
        }
        Expr::InList { expr, list, .. } => {
            walk_expr(expr, f);
            for x in list {
                walk_expr(x, f);
            }
        }
        Expr::Between {
            expr, low, high, ..
        } => {
            walk_expr(expr, f);
            walk_expr(low, f);
            walk_expr(high, f);
        }
        Expr::Like { expr, pattern, .. } | Expr::Match { expr, pattern, .. } => {
            walk_expr(expr, f);
            walk_expr(pattern, f);
        }
        Expr::Func { args, .. } => {
            for a in args {
                walk_expr(a, f);
            }
        }
        Expr::Case {
            operand,
            whens,
            else_,
        } => {
            if let Some(o) = operand {
                walk_expr(o, f);
            }
            for (a, b) in whens {
                walk_expr(a, f);
                walk_expr(b, f);
            }
            if let Some(x) = else_ {
                walk_expr(x, f);
            }
        }
        _ => {}
    }
    f(e);
}
