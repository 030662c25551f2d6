//! taosAdapter `/ws` messages: JSON request builders, JSON reply types, binary requests
//! (actions 6 and 7) and the binary reply of `fetch_raw_block` (reference §2–3).

use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::error::{Error, Result};
use crate::types::{DataType, Field, Precision};

/// Binary action codes (reference §3.3).
pub const ACTION_BINARY_QUERY: u64 = 6;
pub const ACTION_FETCH_RAW_BLOCK: u64 = 7;

/// First u64 of every new-style binary reply.
pub const BINARY_REPLY_MARKER: u64 = u64::MAX;

/// `options_connection` option ids (TSDB_OPTION_CONNECTION).
pub const OPTION_TIMEZONE: i32 = 1;
pub const OPTION_USER_IP: i32 = 2;
pub const OPTION_USER_APP: i32 = 3;

/// Credentials and settings sent in `conn`.
#[derive(Clone, Default, Serialize)]
pub struct ConnArgs {
    pub req_id: u64,
    pub user: String,
    pub password: String,
    pub db: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connector: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bearer_token: Option<String>,
}

impl std::fmt::Debug for ConnArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConnArgs")
            .field("req_id", &self.req_id)
            .field("user", &self.user)
            .field("db", &self.db)
            .field("connector", &self.connector)
            .finish_non_exhaustive()
    }
}

/// `version` without args, as the Rust client sends it; the reply carries `req_id` 0.
pub fn version_request() -> String {
    r#"{"action":"version"}"#.to_string()
}

/// Result and statement ids the session hands out carry the connection's generation above
/// these bits (see `session::reconnect`): a handle from before a reconnect never reaches a
/// result or statement of the new connection that the server happened to number the same.
/// The server sees only the low bits.
pub const WIRE_ID_BITS: u32 = 48;

/// The server's id within a session id (see [`WIRE_ID_BITS`]).
pub fn wire_id(id: u64) -> u64 {
    id & ((1 << WIRE_ID_BITS) - 1)
}

pub fn conn_request(args: &ConnArgs) -> String {
    json!({"action": "conn", "args": args}).to_string()
}

pub fn query_request(req_id: u64, sql: &str) -> String {
    json!({"action": "query", "args": {"req_id": req_id, "sql": sql}}).to_string()
}

pub fn fetch_request(req_id: u64, result_id: u64) -> String {
    json!({"action": "fetch", "args": {"req_id": req_id, "id": wire_id(result_id)}}).to_string()
}

pub fn free_result_request(req_id: u64, result_id: u64) -> String {
    json!({"action": "free_result", "args": {"req_id": req_id, "id": wire_id(result_id)}}).to_string()
}

/// A statement request that carries only the statement id: `stmt2_exec`, `stmt2_result`,
/// `stmt2_close`; v1 `add_batch`, `exec`, `get_tag_fields`, `get_col_fields`, `use_result`,
/// `close`.
pub fn stmt_request(action: &str, req_id: u64, stmt_id: u64) -> String {
    json!({"action": action, "args": {"req_id": req_id, "stmt_id": wire_id(stmt_id)}}).to_string()
}

/// `options_connection` with `(option id, value)` pairs; `None` resets that option.
pub fn options_connection_request(req_id: u64, options: &[(i32, Option<&str>)]) -> String {
    let options: Vec<_> =
        options.iter().map(|(option, value)| json!({"option": option, "value": value})).collect();
    json!({"action": "options_connection", "args": {"req_id": req_id, "options": options}})
        .to_string()
}

fn binary_header(req_id: u64, resource_id: u64, action: u64, capacity: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(capacity);
    v.extend_from_slice(&req_id.to_le_bytes());
    v.extend_from_slice(&resource_id.to_le_bytes());
    v.extend_from_slice(&action.to_le_bytes());
    v
}

/// Action 6: `u64 req_id | u64 0 | u64 6 | u16 1 | u32 len | sql`.
pub fn binary_query_request(req_id: u64, sql: &str) -> Result<Vec<u8>> {
    let len = u32::try_from(sql.len())
        .map_err(|_| Error::programming(format!("SQL of {} bytes is too long", sql.len())))?;
    let mut v = binary_header(req_id, 0, ACTION_BINARY_QUERY, 30 + sql.len());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&len.to_le_bytes());
    v.extend_from_slice(sql.as_bytes());
    Ok(v)
}

/// Action 7: `u64 req_id | u64 result_id | u64 7 | u16 1`.
pub fn fetch_raw_block_request(req_id: u64, result_id: u64) -> Vec<u8> {
    let mut v = binary_header(req_id, wire_id(result_id), ACTION_FETCH_RAW_BLOCK, 26);
    v.extend_from_slice(&1u16.to_le_bytes());
    v
}

/// Any JSON reply on `/ws`: the common envelope plus the action-specific fields we read.
/// Ids are `u64` so they never pass through `f64`.
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct JsonReply {
    pub code: i64,
    pub message: String,
    pub action: String,
    pub req_id: u64,
    pub timing: i64,
    /// `version` / `conn`.
    pub version: Option<String>,
    /// Result id of `query`/`binary_query`/`fetch`.
    pub id: u64,
    pub is_update: bool,
    pub affected_rows: i64,
    pub fields_count: i64,
    pub fields_names: Option<Vec<String>>,
    pub fields_types: Option<Vec<i64>>,
    pub fields_lengths: Option<Vec<i64>>,
    pub precision: i64,
    pub fields_precisions: Option<Vec<i64>>,
    pub fields_scales: Option<Vec<i64>>,
    /// Statement actions (stmt2 and v1).
    pub stmt_id: u64,
    /// `stmt2_prepare` / v1 `prepare`.
    pub is_insert: bool,
    /// `stmt2_prepare` placeholders, v1 `get_tag_fields`/`get_col_fields`.
    pub fields: Option<Vec<crate::bind::RawStmtField>>,
    /// `stmt2_exec` / v1 `exec`.
    pub affected: i64,
    /// v1 `use_result` (stmt2_result uses `id`).
    pub result_id: u64,
    /// Schemaless `insert`.
    pub total_rows: i64,
}

impl JsonReply {
    pub fn parse(text: &str) -> Result<JsonReply> {
        serde_json::from_str(text).map_err(|e| {
            Error::internal(format!("a reply that is not taosAdapter's JSON ({e}): {}", preview(text)))
        })
    }

    /// `Err` with TDengine's code and text when `code != 0`.
    pub fn check(&self, kind: crate::error::ErrorKind) -> Result<()> {
        if self.code == 0 {
            Ok(())
        } else {
            Err(Error::with_code(kind, self.code as i32, self.message.clone()))
        }
    }

    /// The result description of a `query`/`binary_query` reply.
    pub fn query_info(&self) -> Result<QueryInfo> {
        let precision = Precision::from_code(self.precision).ok_or_else(|| {
            Error::internal(format!("server sent unknown timestamp precision {}", self.precision))
        })?;
        let names = self.fields_names.as_deref().unwrap_or(&[]);
        let types = self.fields_types.as_deref().unwrap_or(&[]);
        let lengths = self.fields_lengths.as_deref().unwrap_or(&[]);
        if types.len() != names.len() || lengths.len() != names.len() {
            return Err(Error::internal(format!(
                "query reply has {} field names, {} types and {} lengths",
                names.len(),
                types.len(),
                lengths.len()
            )));
        }
        let small = |v: Option<&Vec<i64>>, i: usize| {
            v.and_then(|v| v.get(i)).and_then(|&x| u8::try_from(x).ok()).unwrap_or(0)
        };
        let mut fields = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let ty = u8::try_from(types[i]).ok().and_then(DataType::from_id).ok_or_else(|| {
                Error::not_supported(format!("column `{name}` has unsupported type id {}", types[i]))
            })?;
            fields.push(Field {
                name: name.clone(),
                ty,
                bytes: u32::try_from(lengths[i]).unwrap_or(0),
                precision: small(self.fields_precisions.as_ref(), i),
                scale: small(self.fields_scales.as_ref(), i),
            });
        }
        Ok(QueryInfo {
            result_id: self.id,
            is_update: self.is_update,
            affected_rows: self.affected_rows,
            fields,
            precision,
        })
    }
}

/// What a query reply says about its result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryInfo {
    /// 0 for statements without a result set.
    pub result_id: u64,
    pub is_update: bool,
    pub affected_rows: i64,
    pub fields: Vec<Field>,
    pub precision: Precision,
}

/// A new-style binary reply (marker `0xFFFF…FF`), e.g. to `fetch_raw_block`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BinaryReply {
    pub action: u64,
    pub version: u16,
    pub timing: u64,
    pub req_id: u64,
    pub code: u32,
    pub message: String,
    pub result_id: u64,
    pub finished: bool,
    /// Where the raw block lies in the frame (present when `code == 0` and not finished): the
    /// caller keeps the frame and cuts the block out of it, nothing is copied.
    pub block: Option<std::ops::Range<usize>>,
}

/// `req_id` and action of a binary reply, read without parsing the rest (for matching).
pub fn binary_reply_key(frame: &[u8]) -> Option<(u64, u64)> {
    let marker = u64::from_le_bytes(frame.get(0..8)?.try_into().ok()?);
    if marker != BINARY_REPLY_MARKER {
        return None;
    }
    let action = u64::from_le_bytes(frame.get(8..16)?.try_into().ok()?);
    let req_id = u64::from_le_bytes(frame.get(26..34)?.try_into().ok()?);
    Some((action, req_id))
}

pub fn parse_binary_reply(frame: &[u8]) -> Result<BinaryReply> {
    let short = || Error::internal(format!("binary reply of {} bytes is truncated", frame.len()));
    let u64_at = |o: usize| -> Result<u64> {
        Ok(u64::from_le_bytes(frame.get(o..o + 8).ok_or_else(short)?.try_into().map_err(|_| short())?))
    };
    let u32_at = |o: usize| -> Result<u32> {
        Ok(u32::from_le_bytes(frame.get(o..o + 4).ok_or_else(short)?.try_into().map_err(|_| short())?))
    };
    if u64_at(0)? != BINARY_REPLY_MARKER {
        return Err(Error::not_supported("legacy binary frame (no 0xFFFF… marker) is not supported"));
    }
    let action = u64_at(8)?;
    let version = u16::from_le_bytes(frame.get(16..18).ok_or_else(short)?.try_into().map_err(|_| short())?);
    let timing = u64_at(18)?;
    let req_id = u64_at(26)?;
    let code = u32_at(34)?;
    let msg_len = u32_at(38)? as usize;
    let msg_end = 42usize.checked_add(msg_len).ok_or_else(short)?;
    let message = String::from_utf8_lossy(frame.get(42..msg_end).ok_or_else(short)?).into_owned();
    let result_id = u64_at(msg_end)?;
    let finished = *frame.get(msg_end + 8).ok_or_else(short)? != 0;
    let block = if code == 0 && !finished {
        let len = u32_at(msg_end + 9)? as usize;
        let start = msg_end + 13;
        let end = start.checked_add(len).ok_or_else(short)?;
        frame.get(start..end).ok_or_else(short)?;
        Some(start..end)
    } else {
        None
    };
    Ok(BinaryReply { action, version, timing, req_id, code, message, result_id, finished, block })
}

/// First characters of a frame for error messages (frames from the server carry no secrets).
/// The start of a text frame, quoted, for an error message.
pub fn preview(text: &str) -> String {
    let mut s: String = text.chars().take(120).collect();
    if s.len() < text.len() {
        s.push('…');
    }
    format!("{s:?}")
}

/// The first bytes of a binary frame in hex, for an error message.
pub fn hex_preview(bytes: &[u8]) -> String {
    let mut s: String = bytes.iter().take(48).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 48 {
        s.push('…');
    }
    if s.is_empty() {
        s.push_str("empty");
    }
    s
}

/// Binary query (action 6) and `fetch_raw_block` (7) exist from 3.3.2.0 on. Versions compare by
/// their first four numeric parts ("3.3.7.5.alpha" is 3.3.7.5); "3.x" means a current 3.x.
pub(crate) fn supports_binary_queries(version: &str) -> bool {
    if version == "3.x" {
        return true;
    }
    let parts: Vec<u64> = version
        .split(['.', '-'])
        .take(4)
        .map_while(|p| p.parse().ok())
        .collect();
    let mut v = [0u64; 4];
    v[..parts.len()].copy_from_slice(&parts);
    !parts.is_empty() && v >= [3, 3, 2, 0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binary_query_matches_the_reference_example() {
        let v = binary_query_request(0x2a, "show databases").unwrap();
        let mut want = vec![0x2a, 0, 0, 0, 0, 0, 0, 0];
        want.extend_from_slice(&[0; 8]);
        want.extend_from_slice(&[6, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0x0e, 0, 0, 0]);
        want.extend_from_slice(b"show databases");
        assert_eq!(v, want);
    }

    #[test]
    fn fetch_raw_block_request_is_26_bytes() {
        let v = fetch_raw_block_request(5, 3);
        assert_eq!(v.len(), 26);
        assert_eq!(&v[8..16], &3u64.to_le_bytes());
        assert_eq!(&v[16..24], &7u64.to_le_bytes());
        assert_eq!(&v[24..26], &[1, 0]);
    }

    #[test]
    fn finished_frame_from_the_reference_parses() {
        let frame: Vec<u8> = [
            "ffffffffffffffff", "0700000000000000", "0100", "40e2010000000000",
            "2211000000000000", "00000000", "00000000", "0100000000000000", "01",
        ]
        .concat()
        .as_bytes()
        .chunks(2)
        .map(|c| u8::from_str_radix(std::str::from_utf8(c).unwrap(), 16).unwrap())
        .collect();
        assert_eq!(frame.len(), 51);
        let r = parse_binary_reply(&frame).unwrap();
        assert_eq!((r.action, r.req_id, r.result_id, r.finished), (7, 0x1122, 1, true));
        assert_eq!(r.timing, 123456);
        assert_eq!(r.block, None);
        assert_eq!(binary_reply_key(&frame), Some((7, 0x1122)));
        for n in 0..frame.len() {
            assert!(parse_binary_reply(&frame[..n]).is_err());
        }
    }

    #[test]
    fn ids_above_2_pow_53_survive_json() {
        let r = JsonReply::parse(r#"{"code":0,"message":"","action":"conn","req_id":18415168957132636161,"timing":1,"version":"3.3.7.5.alpha"}"#).unwrap();
        assert_eq!(r.req_id, 18415168957132636161);
        let conn = conn_request(&ConnArgs { req_id: u64::MAX, user: "u".into(), password: "p".into(), ..Default::default() });
        assert!(conn.contains("18446744073709551615"), "{conn}");
    }

    #[test]
    fn conn_args_debug_hides_the_password() {
        let a = ConnArgs { password: "s3cret".into(), ..Default::default() };
        assert!(!format!("{a:?}").contains("s3cret"));
    }

    #[test]
    fn options_connection_sends_null_for_reset() {
        let s = options_connection_request(8, &[(OPTION_TIMEZONE, Some("Asia/Shanghai")), (OPTION_USER_APP, None)]);
        let v: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(v["args"]["options"][1]["value"], serde_json::Value::Null);
        assert_eq!(v["args"]["options"][0]["option"], 1);
    }
}
