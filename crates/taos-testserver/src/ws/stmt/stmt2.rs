//! stmt2: `stmt2_init`, `stmt2_prepare`, binary 9 `stmt2_bind`, `stmt2_exec`, `stmt2_result`,
//! `stmt2_close` (reference §5.2).

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use taos_sqlengine::types::{code, TdError, Value};

use crate::backend_call::{guarded, run_blocking};
use crate::ws::reply::{ok, parse_args, unmarshal_error, Out, GENERIC};
use crate::ws::session::{Session, Statement};

use super::{stmt_error, StmtArgs, StmtIdResp, StmtResultFields};

#[derive(Deserialize, Default)]
#[allow(dead_code)] // accepted for compatibility; every statement behaves the same here
struct Stmt2InitArgs {
    single_stb_insert: Option<bool>,
    single_table_bind_once: Option<bool>,
}

#[derive(Deserialize, Default)]
struct Stmt2PrepareArgs {
    stmt_id: Option<u64>,
    sql: Option<String>,
    get_fields: Option<bool>,
}

#[derive(Serialize)]
struct Stmt2Field {
    name: String,
    field_type: u8,
    precision: u8,
    scale: u8,
    bytes: u32,
    bind_type: u8,
}

#[derive(Serialize)]
struct Stmt2PrepareResp {
    stmt_id: u64,
    is_insert: bool,
    fields: Option<Vec<Stmt2Field>>,
    fields_count: usize,
}

#[derive(Serialize)]
struct Stmt2ResultResp {
    stmt_id: u64,
    id: u64,
    #[serde(flatten)]
    fields: StmtResultFields,
}

impl Session {
    pub(crate) fn stmt2_init(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        if parse_args::<Stmt2InitArgs>(args).is_err() {
            return unmarshal_error("stmt2_init", req_id, start);
        }
        let stmt_id = self.new_statement(Statement::default());
        ok("stmt2_init", req_id, start, StmtIdResp { stmt_id })
    }

    pub(crate) fn stmt2_prepare(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_prepare";
        let Ok(a) = parse_args::<Stmt2PrepareArgs>(args) else {
            return unmarshal_error(action, req_id, start);
        };
        let stmt_id = a.stmt_id.unwrap_or(0);
        if self.stmts.get(&stmt_id).is_none_or(|s| s.v1) {
            return stmt_error(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        }
        let backend = self.shared.backend.clone();
        let ctx = &self.ctx;
        let sql = a.sql.unwrap_or_default();
        let get_fields = a.get_fields.unwrap_or(false);
        let prepared = run_blocking(|| guarded(|| backend.prepare(ctx, &sql))).and_then(|p| {
            if get_fields && !p.is_insert && p.param_count == 0 {
                // taosc cannot describe the parameters of a query that has none: the adapter
                // answers 9728 with whatever text its buffer held ("success", "syntax error near")
                Err(TdError::new(code::PAR_SYNTAX_ERROR, "syntax error near (a query without placeholders, prepared with get_fields)"))
            } else {
                Ok(p)
            }
        });
        match prepared {
            Ok(prepared) => {
                // `fields` only when asked for and there are some; `fields_count` only when asked
                let fields = (prepared.is_insert && get_fields && !prepared.fields.is_empty()).then(|| {
                    prepared
                        .fields
                        .iter()
                        .map(|f| Stmt2Field {
                            name: f.field.name.clone(),
                            field_type: f.field.ty.id(),
                            precision: f.precision,
                            scale: f.scale,
                            bytes: f.bytes,
                            bind_type: f.bind_type as u8,
                        })
                        .collect()
                });
                let resp = Stmt2PrepareResp {
                    stmt_id,
                    is_insert: prepared.is_insert,
                    fields,
                    fields_count: match (get_fields, prepared.is_insert) {
                        (false, _) => 0,
                        (true, true) => prepared.fields.len(),
                        (true, false) => prepared.param_count,
                    },
                };
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    *s = Statement { prepared: Some(prepared), ..Statement::default() };
                }
                ok(action, req_id, start, resp)
            }
            Err(e) => {
                // A later bind or exec answers this error: the real adapter dies on an exec
                // after a failed prepare (q_stmt2_exec_after_failed_prepare_CRASHED…).
                if let Some(s) = self.stmts.get_mut(&stmt_id) {
                    *s = Statement { refusal: Some((e.code, e.message.clone())), ..Statement::default() };
                }
                stmt_error(e.code, &e.message, action, req_id, start, stmt_id)
            }
        }
    }

    pub(crate) fn stmt2_close(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let stmt_id = parse_args::<StmtArgs>(args).ok().and_then(|a| a.stmt_id).unwrap_or(0);
        self.stmts.remove(&stmt_id);
        ok("stmt2_close", req_id, start, StmtIdResp { stmt_id })
    }

    pub(crate) fn stmt2_bind(&mut self, b: &[u8], req_id: u64, stmt_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_bind";
        let Some(stmt) = self.stmts.get_mut(&stmt_id).filter(|s| !s.v1) else {
            return stmt_error(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
        };
        if let Some((c, m)) = &stmt.refusal {
            return stmt_error(*c, m, action, req_id, start, stmt_id);
        }
        if b.len() < 30 {
            return stmt_error(GENERIC, "message length is too short", action, req_id, start, stmt_id);
        }
        let version = u16::from_le_bytes([b[24], b[25]]);
        if version != 1 {
            return stmt_error(GENERIC, "unknown stmt2 bind version", action, req_id, start, stmt_id);
        }
        let prepared = stmt.prepared.clone();
        match super::stmt2_bind::parse_bind(&b[30..]) {
            Ok((tables, types)) => {
                // the adapter reads the payload first; taosc then wants a prepared statement
                let Some(prepared) = prepared else {
                    return stmt_error(code::TSC_STMT_API_ERROR, "Stmt API usage error", action, req_id, start, stmt_id);
                };
                if prepared.is_insert {
                    if let Err(e) = super::stmt2_check::check_insert_bind(&prepared.fields, &tables, &types) {
                        return stmt_error(e.code, &e.message, action, req_id, start, stmt_id);
                    }
                }
                let backend = self.shared.backend.clone();
                if let Err(e) = guarded(|| backend.check_bind(&prepared, &tables)) {
                    return stmt_error(e.code, &e.message, action, req_id, start, stmt_id);
                }
                let Some(stmt) = self.stmts.get_mut(&stmt_id) else {
                    return stmt_error(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id);
                };
                stmt.bound.extend(tables);
                ok(action, req_id, start, StmtIdResp { stmt_id })
            }
            Err(e) => stmt_error(e.code, &e.message, action, req_id, start, stmt_id),
        }
    }

    /// The stmt2 statement `args` names (`stmt_id`), or the answer that ends the action.
    fn stmt2_named(&mut self, action: &str, args: Json, req_id: u64, start: Instant) -> Result<(u64, &mut Statement), Option<Out>> {
        let Ok(a) = parse_args::<StmtArgs>(args) else {
            return Err(unmarshal_error(action, req_id, start));
        };
        let stmt_id = a.stmt_id.unwrap_or(0);
        match self.stmts.get_mut(&stmt_id).filter(|s| !s.v1) {
            Some(stmt) => Ok((stmt_id, stmt)),
            None => Err(stmt_error(GENERIC, "stmt2 is nil", action, req_id, start, stmt_id)),
        }
    }

    pub(crate) fn stmt2_exec(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_exec";
        let (stmt_id, stmt) = match self.stmt2_named(action, args, req_id, start) {
            Ok(named) => named,
            Err(answer) => return answer,
        };
        if let Some((c, m)) = &stmt.refusal {
            return stmt_error(*c, m, action, req_id, start, stmt_id);
        }
        let Some(prepared) = stmt.prepared.clone() else {
            return stmt_error(code::TSC_STMT_API_ERROR, "Stmt API usage error (stmt2_exec before stmt2_prepare)", action, req_id, start, stmt_id);
        };
        // Sequences that kill the real adapter (q_stmt2_exec_without_bind_CRASHED…,
        // stmt2_no_placeholders_CRASHED…): refused here, so a test catches the client that sends them.
        if prepared.is_insert && prepared.fields.is_empty() {
            return stmt_error(code::TSC_STMT_API_ERROR, "Stmt API usage error (an insert without placeholders cannot be executed through stmt2: run it as a query)", action, req_id, start, stmt_id);
        }
        if stmt.bound.is_empty() && (prepared.is_insert || prepared.param_count > 0) {
            return stmt_error(code::TSC_STMT_API_ERROR, "Stmt API usage error (stmt2_exec without stmt2_bind)", action, req_id, start, stmt_id);
        }
        let tables = std::mem::take(&mut stmt.bound);
        // Query parameters: one value per `?`, from the first bound "table"'s columns.
        let params: Vec<Value> = tables
            .first()
            .map(|t| t.columns.iter().map(|c| c.first().cloned().unwrap_or(Value::Null)).collect())
            .unwrap_or_default();
        self.execute_statement(action, stmt_id, &prepared, tables, &params, req_id, start)
    }

    pub(crate) fn stmt2_result(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let action = "stmt2_result";
        let (stmt_id, stmt) = match self.stmt2_named(action, args, req_id, start) {
            Ok(named) => named,
            Err(answer) => return answer,
        };
        if stmt.rows.is_none() && stmt.prepared.as_ref().is_some_and(|p| p.is_insert) {
            // never executed: taosc has no result (the 3.3.7.5 adapter dies reading it)
            return stmt_error(GENERIC, "stmt is insert, no result set", action, req_id, start, stmt_id);
        }
        let Some(rs) = stmt.rows.take() else {
            return stmt_error(GENERIC, "result is nil", action, req_id, start, stmt_id);
        };
        // stmt2_result reports storage sizes, unlike binary_query (wire README fact 13).
        let fields = StmtResultFields::of(&rs);
        let id = self.open_result(rs);
        ok(action, req_id, start, Stmt2ResultResp { stmt_id, id, fields })
    }
}
