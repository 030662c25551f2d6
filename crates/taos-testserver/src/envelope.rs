//! taosAdapter's JSON reply on `/ws` and `/rest/tmq`: `code, message, action, req_id, timing`,
//! then the action's own fields, as compact JSON; `timing` is the handling time in nanoseconds
//! (REST reports the same figure).

use std::time::Instant;

use serde::Serialize;

#[derive(Serialize)]
struct Envelope<'a, T: Serialize> {
    code: u16,
    message: &'a str,
    action: &'a str,
    req_id: u64,
    timing: u64,
    #[serde(flatten)]
    extra: T,
}

/// A reply without fields of its own.
#[derive(Serialize)]
pub struct NoExtra {}

/// Nanoseconds since `start`, what replies report as `timing`.
pub fn timing_ns(start: Instant) -> u64 {
    start.elapsed().as_nanos().min(u64::MAX as u128) as u64
}

/// The text of one reply (`code` 0 and an empty `message` for success).
pub fn reply_json<T: Serialize>(code: u16, message: &str, action: &str, req_id: u64, start: Instant, extra: T) -> Vec<u8> {
    let env = Envelope { code, message, action, req_id, timing: timing_ns(start), extra };
    serde_json::to_vec(&env).unwrap_or_default()
}
