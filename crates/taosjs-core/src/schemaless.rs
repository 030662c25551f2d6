//! Schemaless writes: the `insert` JSON action on `/ws` (reference §6, wire README §5.6).

use serde_json::json;

use crate::error::{Error, ErrorKind};

/// Line format of the data (`protocol` 1/2/3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SchemalessProtocol {
    /// InfluxDB line protocol.
    Line = 1,
    /// OpenTSDB telnet.
    Telnet = 2,
    /// OpenTSDB JSON.
    Json = 3,
}

/// Timestamp unit of the data. The wire strings are TDengine's: microseconds is `"u"` (the
/// server reads `"us"` as "not configured", i.e. nanoseconds for line protocol).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum SchemalessPrecision {
    /// `""`: line protocol assumes nanoseconds; telnet/JSON infer from the digit count.
    #[default]
    NotConfigured,
    Hours,
    Minutes,
    Seconds,
    Milliseconds,
    Microseconds,
    Nanoseconds,
}

impl SchemalessPrecision {
    pub fn wire(self) -> &'static str {
        match self {
            SchemalessPrecision::NotConfigured => "",
            SchemalessPrecision::Hours => "h",
            SchemalessPrecision::Minutes => "m",
            SchemalessPrecision::Seconds => "s",
            SchemalessPrecision::Milliseconds => "ms",
            SchemalessPrecision::Microseconds => "u",
            SchemalessPrecision::Nanoseconds => "ns",
        }
    }

    /// Accepts the wire strings plus the spellings users write (`us`, `µs`, `μ`), so a user's
    /// "us" never silently becomes nanoseconds. `None` for anything else.
    pub fn parse(s: &str) -> Option<SchemalessPrecision> {
        Some(match s {
            "" => SchemalessPrecision::NotConfigured,
            "h" => SchemalessPrecision::Hours,
            "m" => SchemalessPrecision::Minutes,
            "s" => SchemalessPrecision::Seconds,
            "ms" => SchemalessPrecision::Milliseconds,
            "u" | "us" | "µs" | "μs" | "μ" | "µ" => SchemalessPrecision::Microseconds,
            "ns" => SchemalessPrecision::Nanoseconds,
            _ => return None,
        })
    }
}

/// One schemaless write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemalessRequest {
    /// The lines (joined with `\n` on the wire); for [`SchemalessProtocol::Json`] the JSON text.
    pub lines: Vec<String>,
    pub protocol: SchemalessProtocol,
    pub precision: SchemalessPrecision,
    /// Days to keep auto-created tables (0 = forever).
    pub ttl: i32,
    /// Sent as the request id (and TDengine's); `None` = the session picks one.
    pub req_id: Option<u64>,
    /// Tag whose value names the child table.
    pub table_name_key: Option<String>,
}

impl SchemalessRequest {
    pub fn new(lines: Vec<String>, protocol: SchemalessProtocol, precision: SchemalessPrecision) -> Self {
        SchemalessRequest { lines, protocol, precision, ttl: 0, req_id: None, table_name_key: None }
    }
}

/// What the server reports for a schemaless write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SchemalessResult {
    /// Rows written.
    pub affected_rows: i64,
    /// Rows parsed as TDengine counts them (an OpenTSDB JSON array of two points reports 1).
    pub total_rows: i64,
}

pub fn insert_request(req_id: u64, r: &SchemalessRequest) -> String {
    json!({"action": "insert", "args": {
        "req_id": req_id,
        "protocol": r.protocol as i32,
        "precision": r.precision.wire(),
        "ttl": r.ttl,
        "data": r.lines.join("\n"),
        "table_name_key": r.table_name_key.as_deref().unwrap_or(""),
    }})
    .to_string()
}

/// A schemaless error with TDengine's code; names the line: the one the server's message quotes
/// (part of) when several were sent, the only one (shortened) when one was sent.
pub fn error(code: i64, message: &str, lines: &[String]) -> Error {
    let mut text = message.to_owned();
    if let [line] = lines {
        let shown: String = line.chars().take(120).collect();
        let more = if shown.len() < line.len() { "…" } else { "" };
        text = format!("{message} (line 1: {shown}{more})");
    } else if lines.len() > 1 {
        let quoted = message.rsplit_once(": ").map(|(_, tail)| tail.trim()).filter(|t| t.len() >= 3);
        if let Some(tail) = quoted {
            if let Some(i) = lines.iter().position(|l| l.contains(tail)) {
                text = format!("{message} (line {}: {})", i + 1, lines[i]);
            }
        }
    }
    Error::with_code(ErrorKind::Schemaless, code as i32, text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn microseconds_are_u_on_the_wire() {
        assert_eq!(SchemalessPrecision::Microseconds.wire(), "u");
        assert_eq!(SchemalessPrecision::parse("us"), Some(SchemalessPrecision::Microseconds));
        assert_eq!(SchemalessPrecision::parse("x"), None);
        for p in ["", "h", "m", "s", "ms", "u", "ns"] {
            assert_eq!(SchemalessPrecision::parse(p).unwrap().wire(), p);
        }
    }

    #[test]
    fn errors_name_the_line_the_server_quotes() {
        let lines = vec!["ok 1 2 host=a".to_string(), "tel_metric 1710000000000000 4 host=host0 interface=eth0".to_string()];
        let e = error(295, "SML telnet parse timestamp failed: 4 host=host0 interface=eth0", &lines);
        assert_eq!(e.kind, ErrorKind::Schemaless);
        assert_eq!(e.errno, Some(295));
        assert!(e.message.contains("line 2"), "{}", e.message);
        let e = error(12290, "SML line cols is empty", &lines);
        assert_eq!(e.message, "SML line cols is empty");
        let e = error(12290, "SML line cols is empty", &lines[..1]);
        assert_eq!(e.message, "SML line cols is empty (line 1: ok 1 2 host=a)");
    }
}
