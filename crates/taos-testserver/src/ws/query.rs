//! Queries and their results: `query` (JSON) and binary 6 `binary_query`, binary 10
//! `validate_sql`, the open results of a connection and how their blocks are fetched (binary 7
//! `fetch_raw_block`, the old JSON `fetch` + `fetch_block`), `num_fields`, `free_result`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use taos_sqlengine::types::{Answer, Field, Outcome};

use crate::backend_call::{guarded, run_blocking};
use crate::block::{encode_block_into, fetch_length};
use crate::envelope::timing_ns;

use super::reply::{error, ok, parse_args, unmarshal_error, Out, GENERIC, HEADROOM};
use super::session::{Session, BIN_FETCH_RAW_BLOCK};

/// Marker that starts every new-style binary reply.
const RAW_MARKER: u64 = u64::MAX;

#[derive(Serialize)]
struct NumFieldsResp {
    num_fields: usize,
}

#[derive(Serialize)]
struct ValidateResp {
    result_code: i64,
}

#[derive(Serialize)]
struct QueryResp {
    id: u64,
    is_update: bool,
    affected_rows: u64,
    fields_count: usize,
    fields_names: Option<Vec<String>>,
    fields_types: Option<Vec<u8>>,
    fields_lengths: Option<Vec<u32>>,
    precision: u8,
    fields_precisions: Option<Vec<u8>>,
    fields_scales: Option<Vec<u8>>,
}

#[derive(Serialize)]
struct FetchResp {
    id: u64,
    completed: bool,
    lengths: Option<Vec<u32>>,
    rows: usize,
}

#[derive(Deserialize, Default)]
struct QueryArgs {
    sql: Option<String>,
}

#[derive(Deserialize, Default)]
struct IdArgs {
    id: Option<u64>,
}

#[derive(Deserialize, Default)]
struct NumFieldsArgs {
    result_id: Option<u64>,
}

impl Session {
    pub(super) fn query(&mut self, action: &str, sql: &str, req_id: u64, start: Instant) -> Option<Out> {
        let backend = self.shared.backend.clone();
        let ctx = &mut self.ctx;
        match run_blocking(|| guarded(|| backend.execute_streaming(ctx, sql))) {
            Ok(Answer::Stream(stream)) => {
                let resp = query_resp(&stream.fields, stream.precision.code());
                let resp = QueryResp { id: self.open_stream(stream), ..resp };
                ok(action, req_id, start, resp)
            }
            Ok(Answer::Outcome(Outcome::Affected(n))) => ok(
                action,
                req_id,
                start,
                QueryResp {
                    id: 0,
                    is_update: true,
                    affected_rows: n,
                    fields_count: 0,
                    fields_names: None,
                    fields_types: None,
                    fields_lengths: None,
                    precision: 0,
                    fields_precisions: None,
                    fields_scales: None,
                },
            ),
            Ok(Answer::Outcome(Outcome::Rows(rs))) => {
                let resp = query_resp(&rs.fields, rs.precision.code());
                let resp = QueryResp { id: self.open_result(rs), ..resp };
                ok(action, req_id, start, resp)
            }
            Err(e) => error(e.code, &e.message, action, req_id, start),
        }
    }

    /// Next block of an open result: `(rows, block)`, or `None` when it is exhausted. A
    /// streamed result makes its next rows now.
    pub(super) fn next_block(&mut self, id: u64, prefix: &[u8]) -> Option<(usize, Vec<u8>)> {
        let block_rows = self.shared.config.block_rows.max(1);
        let r = self.results.get_mut(&id)?;
        if r.next_row >= r.rs.num_rows() {
            if let Some(stream) = &mut r.stream {
                let next = run_blocking(|| guarded(|| Ok(stream.next_block(block_rows))));
                match next {
                    Ok(Some(rs)) => {
                        r.rs = rs;
                        r.next_row = 0;
                    }
                    // the end, or a bug in the engine: the result ends here
                    Ok(None) | Err(_) => r.stream = None,
                }
            }
        }
        let total = r.rs.num_rows();
        if r.next_row >= total {
            return None;
        }
        let end = (r.next_row + block_rows).min(total);
        let mut out = Vec::new();
        out.extend_from_slice(prefix);
        encode_block_into(&r.rs, r.next_row, end, &mut out);
        let rows = end - r.next_row;
        r.next_row = end;
        Some((rows, out))
    }

    /// `query` (JSON): runs `args.sql`.
    pub(super) fn query_json(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        match parse_args::<QueryArgs>(args) {
            Ok(a) => self.query("query", &a.sql.unwrap_or_default(), req_id, start),
            Err(()) => unmarshal_error("query", req_id, start),
        }
    }

    /// `free_result`: never answered.
    pub(super) fn free_result(&mut self, args: Json) -> Option<Out> {
        if let Ok(a) = parse_args::<IdArgs>(args) {
            self.results.remove(&a.id.unwrap_or(0));
        }
        None
    }

    pub(super) fn num_fields(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let action = "num_fields";
        let Ok(a) = parse_args::<NumFieldsArgs>(args) else {
            return unmarshal_error(action, req_id, start);
        };
        match self.results.get(&a.result_id.unwrap_or(0)) {
            Some(r) => {
                let n = r.rs.fields.len();
                ok(action, req_id, start, NumFieldsResp { num_fields: n })
            }
            None => error(GENERIC, "result is nil", action, req_id, start),
        }
    }

    /// `fetch` (the old JSON path): prepares the next block for `fetch_block`.
    pub(super) fn fetch(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<IdArgs>(args) else {
            return unmarshal_error("fetch", req_id, start);
        };
        let id = a.id.unwrap_or(0);
        if !self.results.contains_key(&id) {
            return error(GENERIC, "result is nil", "fetch", req_id, start);
        }
        match self.next_block(id, &[]) {
            Some((rows, block)) => {
                let r = self.results.get_mut(&id)?;
                let lengths = r.rs.fields.iter().map(fetch_length).collect();
                r.fetched_block = Some(block);
                ok("fetch", req_id, start, FetchResp { id, completed: false, lengths: Some(lengths), rows })
            }
            None => {
                self.results.remove(&id);
                ok("fetch", req_id, start, FetchResp { id, completed: true, lengths: None, rows: 0 })
            }
        }
    }

    pub(super) fn fetch_block(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<IdArgs>(args) else {
            return unmarshal_error("fetch_block", req_id, start);
        };
        let id = a.id.unwrap_or(0);
        let Some(r) = self.results.get(&id) else {
            return error(GENERIC, "result is nil", "fetch_block", req_id, start);
        };
        let Some(block) = &r.fetched_block else {
            return error(GENERIC, "block is nil", "fetch_block", req_id, start);
        };
        let mut out = Vec::with_capacity(16 + block.len());
        out.extend_from_slice(&timing_ns(start).to_le_bytes());
        out.extend_from_slice(&id.to_le_bytes());
        out.extend_from_slice(block);
        Some(Out::Binary(out))
    }

    /// Binary 6 `binary_query`.
    pub(super) fn binary_query(&mut self, b: &[u8], req_id: u64, start: Instant) -> Option<Out> {
        match parse_sql_body(b) {
            Ok(sql) => self.query("binary_query", &sql, req_id, start),
            Err(msg) => error(GENERIC, &msg, "binary_query", req_id, start),
        }
    }

    /// Binary 10 `validate_sql`: the full signed 32-bit code, 0 when the statement is valid.
    pub(super) fn validate_sql(&mut self, b: &[u8], req_id: u64, start: Instant) -> Option<Out> {
        let name = "validate_sql";
        match parse_sql_body(b) {
            Ok(sql) => {
                let backend = self.shared.backend.clone();
                let ctx = &self.ctx;
                let result_code = match guarded(|| backend.validate(ctx, &sql)) {
                    Ok(()) => 0,
                    Err(e) => e.full_code() as i64,
                };
                ok(name, req_id, start, ValidateResp { result_code })
            }
            Err(msg) => error(GENERIC, &msg, name, req_id, start),
        }
    }

    pub(super) fn fetch_raw_block(&mut self, b: &[u8], req_id: u64, id: u64, start: Instant) -> Out {
        if b.len() < 26 {
            return Out::Binary(raw_block_error(req_id, id, GENERIC, "message length is too short", start));
        }
        let version = u16::from_le_bytes([b[24], b[25]]);
        if version != 1 {
            self.results.remove(&id);
            let message = format!("unknown fetch raw block version:{version}");
            return Out::Binary(raw_block_error(req_id, id, GENERIC, &message, start));
        }
        if !self.results.contains_key(&id) {
            return Out::Binary(raw_block_error(req_id, id, GENERIC, "result is nil", start));
        }
        // Data frame: 55-byte prefix (timing patched at the end) + block, after the headroom.
        let mut prefix = Vec::with_capacity(HEADROOM + 55);
        prefix.resize(HEADROOM, 0);
        raw_prefix(&mut prefix, req_id, 0, "", 0);
        prefix.extend_from_slice(&id.to_le_bytes());
        prefix.push(0);
        prefix.extend_from_slice(&0u32.to_le_bytes());
        match self.next_block(id, &prefix) {
            Some((_, mut frame)) => {
                let h = HEADROOM;
                let len = (frame.len() - h - 55) as u32;
                frame[h + 51..h + 55].copy_from_slice(&len.to_le_bytes());
                frame[h + 18..h + 26].copy_from_slice(&timing_ns(start).to_le_bytes());
                Out::BinaryWithHeadroom(frame)
            }
            None => {
                self.results.remove(&id);
                let mut out = Vec::with_capacity(51);
                raw_prefix(&mut out, req_id, 0, "", timing_ns(start));
                out.extend_from_slice(&id.to_le_bytes());
                out.push(1);
                Out::Binary(out)
            }
        }
    }
}

/// The answer to a query that has a result: its columns' descriptions (`id` set by the caller).
fn query_resp(fields: &[Field], precision: u8) -> QueryResp {
    QueryResp {
        id: 0,
        is_update: false,
        affected_rows: 0,
        fields_count: fields.len(),
        fields_names: Some(fields.iter().map(|f| f.name.clone()).collect()),
        fields_types: Some(fields.iter().map(|f| f.ty.id()).collect()),
        fields_lengths: Some(fields.iter().map(|f| f.len).collect()),
        precision,
        fields_precisions: Some(fields.iter().map(|f| f.precision).collect()),
        fields_scales: Some(fields.iter().map(|f| f.scale).collect()),
    }
}

/// The part of an action-7 reply up to and including the message.
fn raw_prefix(out: &mut Vec<u8>, req_id: u64, code: u16, message: &str, timing: u64) {
    out.extend_from_slice(&RAW_MARKER.to_le_bytes());
    out.extend_from_slice(&BIN_FETCH_RAW_BLOCK.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&timing.to_le_bytes());
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&(code as u32).to_le_bytes());
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
}

fn raw_block_error(req_id: u64, id: u64, code: u16, message: &str, start: Instant) -> Vec<u8> {
    let mut out = Vec::with_capacity(51 + message.len());
    raw_prefix(&mut out, req_id, code, message, timing_ns(start));
    out.extend_from_slice(&id.to_le_bytes());
    out.push(1);
    out
}

/// Body of binary actions 6 and 10: `u16 version=1, u32 sql_len, sql`.
fn parse_sql_body(b: &[u8]) -> Result<String, String> {
    if b.len() < 31 {
        return Err("message length is too short".into());
    }
    let version = u16::from_le_bytes([b[24], b[25]]);
    if version != 1 {
        return Err(format!("unknown binary query version:{version}"));
    }
    let sql_len = u32::from_le_bytes([b[26], b[27], b[28], b[29]]) as usize;
    let remain = b.len() - 30;
    if sql_len > remain {
        return Err(format!("uncompleted message, sql length:{sql_len}, remainMessageLength:{remain}"));
    }
    Ok(String::from_utf8_lossy(&b[30..30 + sql_len]).into_owned())
}
