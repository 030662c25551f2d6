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
    go_json(&env)
}

/// `value` as compact JSON the way taosAdapter's Go encoder writes it: `<`, `>`, `&`, U+2028
/// and U+2029 inside strings as `\u` escapes (3.3.7.5: `syntax error near \"\u003e 2\"` in a
/// WebSocket or REST error, `"fields_names":["a\u003cb"]`). REST result rows are written
/// without it, as the adapter writes them.
pub fn go_json<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = Vec::new();
    let mut ser = serde_json::Serializer::with_formatter(&mut out, GoFormatter);
    match value.serialize(&mut ser) {
        Ok(()) => out,
        Err(_) => Vec::new(),
    }
}

/// serde_json's compact output with Go's HTML-safe string escapes.
struct GoFormatter;

impl serde_json::ser::Formatter for GoFormatter {
    fn write_string_fragment<W: ?Sized + std::io::Write>(&mut self, writer: &mut W, fragment: &str) -> std::io::Result<()> {
        let mut done = 0;
        for (i, ch) in fragment.char_indices() {
            let escaped = match ch {
                '<' => "\\u003c",
                '>' => "\\u003e",
                '&' => "\\u0026",
                '\u{2028}' => "\\u2028",
                '\u{2029}' => "\\u2029",
                _ => continue,
            };
            writer.write_all(fragment[done..i].as_bytes())?;
            writer.write_all(escaped.as_bytes())?;
            done = i + ch.len_utf8();
        }
        writer.write_all(fragment[done..].as_bytes())
    }
}
