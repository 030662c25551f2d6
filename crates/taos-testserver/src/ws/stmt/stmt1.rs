//! stmt v1: `init`, `prepare`, `set_table_name`, `set_tags` / `bind` (JSON, or binary 1 and 2),
//! `add_batch`, `exec`, `use_result`, `get_tag_fields`, `get_col_fields`, `stmt_num_params`,
//! `stmt_get_param`, `close` (reference §5.1).

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use taos_sqlengine::types::{code, DataType, Value};
use taos_sqlengine::{BindType, BoundTable, PreparedStmt};

use crate::backend_call::{guarded, run_blocking};
use crate::ws::reply::{ok, parse_args, unmarshal_error, Out, GENERIC};
use crate::ws::session::{Session, Statement, BIN_SET_TAGS};

use super::{stmt_error, StmtArgs, StmtIdResp, StmtResultFields};

#[derive(Deserialize, Default)]
struct Stmt1Args {
    stmt_id: Option<u64>,
    sql: Option<String>,
    name: Option<String>,
    tags: Option<Vec<Json>>,
    columns: Option<Vec<Json>>,
    index: Option<i64>,
}

#[derive(Serialize)]
struct Stmt1PrepareResp {
    stmt_id: u64,
    is_insert: bool,
}

#[derive(Serialize)]
struct Stmt1Field {
    name: String,
    field_type: u8,
    precision: u8,
    scale: u8,
    bytes: u32,
}

#[derive(Serialize)]
struct Stmt1FieldsResp {
    stmt_id: u64,
    fields: Vec<Stmt1Field>,
}

#[derive(Serialize)]
struct NumParamsResp {
    stmt_id: u64,
    num_params: usize,
}

#[derive(Serialize)]
struct GetParamResp {
    stmt_id: u64,
    index: i64,
    data_type: u8,
    length: u32,
}

#[derive(Serialize)]
struct UseResultResp {
    stmt_id: u64,
    result_id: u64,
    #[serde(flatten)]
    fields: StmtResultFields,
}

/// taosAdapter 3.3.7.5 converts stmt v1 bind values by column type and knows no DECIMAL or BLOB:
/// binding rows of an insert with such a column fails, naming the first one (checked on the real
/// adapter: `stmt get column type error, err:unsupported type: 21, name c_d64`).
fn unbindable_column(prepared: &PreparedStmt) -> Option<String> {
    prepared
        .fields
        .iter()
        .filter(|f| f.bind_type == BindType::Column)
        .find(|f| matches!(f.field.ty, DataType::Decimal | DataType::Decimal64 | DataType::Blob))
        .map(|f| format!("stmt get column type error, err:unsupported type: {}, name {}", f.field.ty.id(), f.field.name))
}

/// taosc's `qIsInsertValuesSql` as far as v1's `prepare` answers it: the first word.
fn starts_insert(sql: &str) -> bool {
    let word: String = sql.trim_start().chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    word.eq_ignore_ascii_case("insert") || word.eq_ignore_ascii_case("import")
}

/// Where the `?` of `insert into ? …` is, when the table is a placeholder.
fn table_placeholder(sql: &str) -> Option<usize> {
    let into = sql.to_ascii_lowercase().find("into")? + 4;
    let rest = &sql[into..];
    let at = into + (rest.len() - rest.trim_start().len());
    sql[at..].starts_with('?').then_some(at)
}

/// taosc's length check of bound values (sticky: the statement's answer from then on): a
/// VARCHAR/VARBINARY/GEOMETRY value longer than its column, an NCHAR one longer in UCS-4.
fn too_long(fields: &[&taos_sqlengine::StmtField], values: &[Vec<Value>]) -> Option<(u16, String)> {
    for (f, col) in fields.iter().zip(values) {
        let limit = (f.bytes as usize).saturating_sub(2);
        let over = col.iter().any(|v| match (f.field.ty, v) {
            (DataType::NChar, Value::Str(s)) => s.chars().count() * 4 > limit,
            (DataType::VarChar | DataType::VarBinary | DataType::Geometry, Value::Str(s)) => s.len() > limit,
            (DataType::VarChar | DataType::VarBinary | DataType::Geometry, Value::Bytes(b)) => b.len() > limit,
            _ => false,
        });
        if over {
            return Some((code::PAR_VALUE_TOO_LONG, "Value too long for column/tag".to_string()));
        }
    }
    None
}

impl Session {
    /// `init`: a new v1 statement.
    pub(crate) fn stmt1_init(&mut self, req_id: u64, start: Instant) -> Option<Out> {
        let stmt_id = self.new_statement(Statement { v1: true, ..Statement::default() });
        ok("init", req_id, start, StmtIdResp { stmt_id })
    }

    /// `close` of a v1 statement: never answered.
    pub(crate) fn stmt1_close(&mut self, args: Json) -> Option<Out> {
        if let Ok(a) = parse_args::<StmtArgs>(args) {
            let id = a.stmt_id.unwrap_or(0);
            if self.stmts.get(&id).is_some_and(|s| s.v1) {
                self.stmts.remove(&id);
            }
        }
        None
    }

    /// stmt v1 JSON actions (reference §5.1).
    pub(crate) fn stmt1(&mut self, action: &str, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<Stmt1Args>(args) else {
            return unmarshal_error(action, req_id, start);
        };
        let stmt_id = a.stmt_id.unwrap_or(0);
        if !self.stmts.get(&stmt_id).is_some_and(|s| s.v1) {
            return stmt_error(GENERIC, "stmt is nil", action, req_id, start, stmt_id);
        }
        let done = || ok(action, req_id, start, StmtIdResp { stmt_id });
        let usage = || stmt_error(code::TSC_STMT_API_ERROR, "Stmt API usage error", action, req_id, start, stmt_id);
        if action != "prepare" {
            if let Some((c, m)) = self.stmts.get(&stmt_id).and_then(|s| s.refusal.clone()) {
                return stmt_error(c, &m, action, req_id, start, stmt_id);
            }
        }
        match action {
            "prepare" => {
                let backend = self.shared.backend.clone();
                let ctx = &self.ctx;
                let sql = a.sql.unwrap_or_default();
                match run_blocking(|| guarded(|| backend.prepare(ctx, &sql))) {
                    Ok(prepared) => {
                        let is_insert = prepared.is_insert;
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            *s = Statement { v1: true, prepared: Some(prepared), ..Statement::default() };
                        }
                        ok(action, req_id, start, Stmt1PrepareResp { stmt_id, is_insert })
                    }
                    // `insert into ? …` without a current database: stmt2 refuses it here, v1
                    // waits for the table name (j_stmt_without_db)
                    Err(e) if e.code == code::TSC_INVALID_OPERATION && self.ctx.db.is_none() => {
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            *s = Statement { v1: true, deferred_sql: Some(sql), ..Statement::default() };
                        }
                        ok(action, req_id, start, Stmt1PrepareResp { stmt_id, is_insert: true })
                    }
                    // `insert into ? values …` (no USING): the columns are learnt from the table
                    // `set_table_name` names
                    Err(e) if e.code == code::TSC_STMT_TBNAME_ERROR && table_placeholder(&sql).is_some() => {
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            *s = Statement { v1: true, named_table_sql: Some(sql), ..Statement::default() };
                        }
                        ok(action, req_id, start, Stmt1PrepareResp { stmt_id, is_insert: true })
                    }
                    // taosc's v1 prepare only keeps the text (is_insert from its first word); what
                    // is wrong with it is the answer of every later call (checked on 3.3.7.5)
                    Err(e) => {
                        if let Some(s) = self.stmts.get_mut(&stmt_id) {
                            *s = Statement { v1: true, refusal: Some((e.code, e.message.clone())), ..Statement::default() };
                        }
                        ok(action, req_id, start, Stmt1PrepareResp { stmt_id, is_insert: starts_insert(&sql) })
                    }
                }
            }
            "set_table_name" => {
                let deferred = self.stmts.get(&stmt_id).and_then(|s| s.deferred_sql.clone());
                if let Some(sql) = deferred {
                    let prepared = match a.name.as_deref().and_then(|n| n.split_once('.')) {
                        Some((db, _)) => {
                            let backend = self.shared.backend.clone();
                            let ctx = &self.ctx;
                            run_blocking(|| guarded(|| backend.prepare_for_table(ctx, &sql, db)))
                        }
                        None => Err(taos_sqlengine::types::TdError::new(code::TSC_INVALID_OPERATION, "db is not specified")),
                    };
                    let s = self.stmts.get_mut(&stmt_id)?;
                    match prepared {
                        Ok(p) => {
                            s.prepared = Some(p);
                            s.deferred_sql = None;
                        }
                        Err(e) => {
                            s.refusal = Some((e.code, e.message.clone()));
                            return stmt_error(e.code, &e.message, action, req_id, start, stmt_id);
                        }
                    }
                }
                let named = self.stmts.get(&stmt_id).and_then(|s| s.named_table_sql.clone());
                if let Some(sql) = named {
                    let name = a.name.clone().unwrap_or_default();
                    let backend = self.shared.backend.clone();
                    let ctx = &self.ctx;
                    let fixed = table_placeholder(&sql).map(|at| format!("{}{}{}", &sql[..at], name, &sql[at + 1..]));
                    let prepared = run_blocking(|| guarded(|| backend.prepare(ctx, fixed.as_deref().unwrap_or(&sql))));
                    let s = self.stmts.get_mut(&stmt_id)?;
                    match prepared {
                        Ok(p) => s.prepared = Some(p),
                        Err(e) => {
                            // the statement's answer from now on
                            let e = if e.code == code::TSC_STMT_TBNAME_ERROR {
                                taos_sqlengine::types::TdError::new(code::PAR_TABLE_NOT_EXIST, "Table does not exist")
                            } else {
                                e
                            };
                            s.refusal = Some((e.code, e.message.clone()));
                            return stmt_error(e.code, &e.message, action, req_id, start, stmt_id);
                        }
                    }
                    // the table is part of the prepared text now: binds name no table
                    s.table_name = None;
                    return done();
                }
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    s.table_name = a.name;
                }
                done()
            }
            "set_tags" | "bind" => {
                let stmt = self.stmts.get(&stmt_id)?;
                let Some(prepared) = stmt.prepared.as_ref().filter(|p| p.is_insert) else {
                    return usage();
                };
                if action == "bind" {
                    if let Some(msg) = unbindable_column(prepared) {
                        return stmt_error(GENERIC, &msg, action, req_id, start, stmt_id);
                    }
                }
                let want = if action == "set_tags" { BindType::Tag } else { BindType::Column };
                let fields: Vec<_> = prepared.fields.iter().filter(|f| f.bind_type == want).collect();
                let precision = prepared.precision;
                let converted: Result<Vec<Vec<Value>>, String> = if action == "set_tags" {
                    let tags = a.tags.unwrap_or_default();
                    tags.iter()
                        .zip(&fields)
                        .map(|(v, f)| super::stmt1_block::json_to_value(v, f.field.ty, precision).map(|v| vec![v]))
                        .collect()
                } else {
                    let cols = a.columns.unwrap_or_default();
                    cols.iter()
                        .zip(&fields)
                        .map(|(col, f)| match col {
                            Json::Array(vals) => {
                                vals.iter().map(|v| super::stmt1_block::json_to_value(v, f.field.ty, precision)).collect()
                            }
                            _ => Err("wrong row length".to_string()),
                        })
                        .collect()
                };
                let converted = converted.and_then(|values| {
                    // the adapter's JSON reading wants every column as long as the first
                    let want = values.first().map_or(0, Vec::len);
                    match values.iter().find(|c| c.len() != want) {
                        Some(c) if action == "bind" => {
                            Err(format!("stmt parse column json:wrong row length: want {want} rows got {}", c.len()))
                        }
                        _ => Ok(values),
                    }
                });
                if let Ok(values) = &converted {
                    if let Some(e) = too_long(&fields, values) {
                        let s = self.stmts.get_mut(&stmt_id)?;
                        s.refusal = Some(e.clone());
                        return stmt_error(e.0, &e.1, action, req_id, start, stmt_id);
                    }
                }
                match converted {
                    Ok(values) => {
                        let s = self.stmts.get_mut(&stmt_id)?;
                        if action == "set_tags" {
                            s.tags = values.into_iter().flatten().collect();
                        } else {
                            s.columns = values;
                        }
                        done()
                    }
                    Err(msg) => stmt_error(GENERIC, &msg, action, req_id, start, stmt_id),
                }
            }
            "add_batch" => {
                let s = self.stmts.get_mut(&stmt_id)?;
                if s.prepared.as_ref().is_some_and(|p| p.is_insert) {
                    let table = BoundTable {
                        name: s.table_name.clone(),
                        tags: s.tags.clone(),
                        columns: std::mem::take(&mut s.columns),
                    };
                    s.bound.push(table);
                }
                done()
            }
            "exec" => {
                let s = self.stmts.get_mut(&stmt_id)?;
                let Some(prepared) = s.prepared.clone() else {
                    return usage();
                };
                let tables = std::mem::take(&mut s.bound);
                let params: Vec<Value> =
                    std::mem::take(&mut s.columns).into_iter().map(|c| c.into_iter().next().unwrap_or(Value::Null)).collect();
                self.execute_statement(action, stmt_id, &prepared, tables, &params, req_id, start)
            }
            "use_result" => {
                let Some(rs) = self.stmts.get_mut(&stmt_id).and_then(|s| s.rows.take()) else {
                    return stmt_error(GENERIC, "result is nil", action, req_id, start, stmt_id);
                };
                let fields = StmtResultFields::of(&rs);
                let result_id = self.open_result(rs);
                ok(action, req_id, start, UseResultResp { stmt_id, result_id, fields })
            }
            "get_tag_fields" | "get_col_fields" => {
                let want = if action == "get_tag_fields" { BindType::Tag } else { BindType::Column };
                let stmt = &self.stmts[&stmt_id];
                let unnamed = stmt.table_name.is_none()
                    && stmt.prepared.as_ref().is_some_and(|p| p.fields.iter().any(|f| f.bind_type == BindType::TableName));
                if want == BindType::Tag && unnamed {
                    // taosc needs the table to describe its tags (not kept as the statement's error)
                    return stmt_error(code::TSC_STMT_TBNAME_ERROR, "Stmt table name not set correctly", action, req_id, start, stmt_id);
                }
                let fields: Vec<Stmt1Field> = self.stmts[&stmt_id]
                    .prepared
                    .iter()
                    .flat_map(|p| p.fields.iter())
                    .filter(|f| f.bind_type == want)
                    .map(|f| Stmt1Field {
                        name: f.field.name.clone(),
                        field_type: f.field.ty.id(),
                        precision: f.precision,
                        scale: f.scale,
                        bytes: f.bytes,
                    })
                    .collect();
                ok(action, req_id, start, Stmt1FieldsResp { stmt_id, fields })
            }
            "stmt_num_params" => {
                let n = self.stmts[&stmt_id].prepared.as_ref().map_or(0, |p| {
                    if p.is_insert {
                        p.fields.iter().filter(|f| f.bind_type == BindType::Column).count()
                    } else {
                        p.param_count
                    }
                });
                ok(action, req_id, start, NumParamsResp { stmt_id, num_params: n })
            }
            "stmt_get_param" => {
                let index = a.index.unwrap_or(0);
                let field = self.stmts[&stmt_id].prepared.as_ref().and_then(|p| {
                    p.fields.iter().filter(|f| f.bind_type == BindType::Column).nth(index.max(0) as usize).cloned()
                });
                match field {
                    Some(f) => ok(
                        action,
                        req_id,
                        start,
                        GetParamResp { stmt_id, index, data_type: f.field.ty.id(), length: f.bytes },
                    ),
                    None => stmt_error(code::INVALID_PARA, "Invalid parameters", action, req_id, start, stmt_id),
                }
            }
            _ => stmt_error(GENERIC, "stmt is nil", action, req_id, start, stmt_id),
        }
    }

    /// Binary 1 (`set_tags`) and 2 (`bind`): a raw block of tag values (one row) or column values.
    pub(crate) fn stmt1_binary(&mut self, action: u64, b: &[u8], req_id: u64, stmt_id: u64, start: Instant) -> Option<Out> {
        let name = if action == BIN_SET_TAGS { "set_tags" } else { "bind" };
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| s.v1) else {
            return stmt_error(GENERIC, "stmt is nil", name, req_id, start, stmt_id);
        };
        if let Some((c, m)) = &stmt.refusal {
            return stmt_error(*c, m, name, req_id, start, stmt_id);
        }
        if action != BIN_SET_TAGS {
            if let Some(msg) = stmt.prepared.as_ref().filter(|p| p.is_insert).and_then(unbindable_column) {
                return stmt_error(GENERIC, &msg, name, req_id, start, stmt_id);
            }
        }
        let cols = match super::stmt1_block::decode_raw_block(b.get(24..).unwrap_or(&[])) {
            Ok(c) => c,
            Err(msg) => return stmt_error(GENERIC, &msg, name, req_id, start, stmt_id),
        };
        if action == BIN_SET_TAGS {
            if cols.iter().any(|(_, v)| v.len() != 1) {
                return stmt_error(GENERIC, "rows not equal 1", name, req_id, start, stmt_id);
            }
            stmt.tags = cols.into_iter().flat_map(|(_, v)| v).collect();
        } else {
            stmt.columns = cols.into_iter().map(|(_, v)| v).collect();
        }
        ok(name, req_id, start, StmtIdResp { stmt_id })
    }
}
