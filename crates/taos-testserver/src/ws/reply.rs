//! What a `/ws` request is answered with: a text reply in taosAdapter's envelope, or a binary
//! frame; and how an action's `args` are read.

use std::time::Instant;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value as Json;
use taos_sqlengine::types::code;

use crate::envelope::{reply_json, NoExtra};

/// A message for the client.
#[derive(Debug)]
pub enum Out {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    /// A binary message whose first [`HEADROOM`] bytes are free for the frame header, so that a
    /// large block goes out in one write without being copied again.
    BinaryWithHeadroom(Vec<u8>),
}

/// Room for the longest server frame header (2 + 8 bytes).
pub const HEADROOM: usize = 10;

/// The adapter's own error code (65535), for errors that are not TDengine's.
pub const GENERIC: u16 = code::ADAPTER_GENERIC;

/// A success reply with the action's fields.
pub fn ok<T: Serialize>(action: &str, req_id: u64, start: Instant, extra: T) -> Option<Out> {
    Some(Out::Text(reply_json(0, "", action, req_id, start, extra)))
}

/// An error reply with nothing more than the envelope.
pub fn error(code: u16, message: &str, action: &str, req_id: u64, start: Instant) -> Option<Out> {
    Some(Out::Text(reply_json(code, message, action, req_id, start, NoExtra {})))
}

/// An error reply that still carries fields of the action (e.g. the `stmt_id`).
pub fn error_with<T: Serialize>(code: u16, message: &str, action: &str, req_id: u64, start: Instant, extra: T) -> Option<Out> {
    Some(Out::Text(reply_json(code, message, action, req_id, start, extra)))
}

/// `args` that do not decode into the action's arguments.
pub fn unmarshal_error(action: &str, req_id: u64, start: Instant) -> Option<Out> {
    error(GENERIC, &format!("unmarshal {} request error", request_name(action)), action, req_id, start)
}

/// How taosAdapter 3.3.7.5 names an action's request in its "unmarshal … request error"
/// (controller/ws/ws/handler.go): `insert` is the "schemaless insert", v1's are "stmt …".
fn request_name(action: &str) -> String {
    match action {
        "conn" => "connect".into(),
        "insert" => "schemaless insert".into(),
        "init" | "prepare" | "set_table_name" | "set_tags" | "bind" | "add_batch" | "exec" | "close"
        | "get_tag_fields" | "get_col_fields" | "use_result" => format!("stmt {}", action.replace('_', " ")),
        _ => action.replace('_', " "),
    }
}

/// Decodes `args` into an action's argument struct; absent/null args mean all defaults.
pub fn parse_args<T: DeserializeOwned + Default>(args: Json) -> Result<T, ()> {
    if args.is_null() {
        return Ok(T::default());
    }
    serde_json::from_value(args).map_err(|_| ())
}
