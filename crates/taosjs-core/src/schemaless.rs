//! Schemaless writes: the `insert` JSON action on `/ws` (reference §6, wire README §5.6).

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

/// The `insert` action's JSON text, keys in the order `json!` gives them. The lines are written
/// straight into it, escaped once: no joined copy of a batch and no JSON tree of it first (a batch
/// of 10k lines is ~1 MB), and no second pass to check the text is UTF-8 (it is built from `str`s).
pub fn insert_request(req_id: u64, r: &SchemalessRequest) -> String {
    use std::fmt::Write;
    let key = r.table_name_key.as_deref().unwrap_or("");
    let bytes: usize = r.lines.iter().map(|l| l.len() + 2).sum::<usize>() + key.len();
    let mut out = String::with_capacity(bytes + bytes / 16 + 160);
    out.push_str(r#"{"action":"insert","args":{"data":""#);
    for (i, line) in r.lines.iter().enumerate() {
        if i > 0 {
            out.push_str("\\n");
        }
        push_json_escaped(&mut out, line);
    }
    // Writing into a String cannot fail.
    let _ = write!(out, r#"","precision":"{}","protocol":{},"req_id":{req_id},"table_name_key":""#, r.precision.wire(), r.protocol as i32);
    push_json_escaped(&mut out, key);
    let _ = write!(out, r#"","ttl":{}}}}}"#, r.ttl);
    out
}

/// Appends `text` escaped as the inside of a JSON string, as serde_json escapes it (`\"`, `\\`,
/// the short forms `\b \t \n \f \r`, other control characters as `\u00xx`). Line protocol has
/// a quote or backslash every few dozen bytes, so it skips eight bytes at a time that need none.
fn push_json_escaped(out: &mut String, text: &str) {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    // The bytes of `w` below 0x20, or `"` or `\\`, as their high bits: the lowest bit set is
    // the first such byte (a borrow only carries upwards from a byte that matches).
    let to_escape = |w: u64| {
        let below = |v: u64, n: u64| v.wrapping_sub(ONES * n) & !v & HIGH;
        below(w, 0x20) | below(w ^ (ONES * b'"' as u64), 1) | below(w ^ (ONES * b'\\' as u64), 1)
    };
    let b = text.as_bytes();
    let (mut start, mut i) = (0, 0);
    while i < b.len() {
        if let Some(chunk) = b.get(i..i + 8) {
            let found = to_escape(u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8])));
            if found == 0 {
                i += 8;
                continue;
            }
            i += found.trailing_zeros() as usize / 8;
        }
        let short = match b[i] {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0x00..=0x1f => "",
            _ => {
                i += 1;
                continue;
            }
        };
        // Every byte escaped is ASCII, so `i` is a character boundary.
        out.push_str(&text[start..i]);
        if short.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            for c in ['\\', 'u', '0', '0', HEX[usize::from(b[i] >> 4)] as char, HEX[usize::from(b[i] & 0xf)] as char] {
                out.push(c);
            }
        } else {
            out.push_str(short);
        }
        i += 1;
        start = i;
    }
    out.push_str(&text[start..]);
}

/// A schemaless error with TDengine's code; names the line: the one the server's message quotes
/// (part of) when several were sent, the only one (shortened) when one was sent. Line and
/// telnet lines are counted as the server sees them (the `\n`-separated lines of `lines`
/// joined), so a facade may hand a batch over as a few strings of joined lines; JSON texts are
/// counted as given.
pub fn error<'a>(code: i64, message: &str, protocol: SchemalessProtocol, lines: &'a [String]) -> Error {
    let mut text = message.to_owned();
    // The lines of the wire's text: the strings joined with `\n`, a final `\n` ending the last.
    let last = lines.len().saturating_sub(1);
    fn pieces(protocol: SchemalessProtocol, last: bool, l: &str) -> Vec<&str> {
        if protocol == SchemalessProtocol::Json {
            vec![l]
        } else {
            (if last { l.strip_suffix('\n').unwrap_or(l) } else { l }).split('\n').collect()
        }
    }
    let pieces = |(i, l): (usize, &'a String)| pieces(protocol, i == last, l);
    let mut sent = lines.iter().enumerate().flat_map(pieces);
    let first = sent.next();
    if let (Some(line), None) = (first, sent.next()) {
        let shown: String = line.chars().take(120).collect();
        let more = if shown.len() < line.len() { "…" } else { "" };
        text = format!("{message} (line 1: {shown}{more})");
    } else if first.is_some() {
        let quoted = message.rsplit_once(": ").map(|(_, tail)| tail.trim()).filter(|t| t.len() >= 3);
        if let Some(tail) = quoted {
            let sent = lines.iter().enumerate().flat_map(pieces);
            if let Some((i, line)) = sent.enumerate().find(|(_, l)| l.contains(tail)) {
                text = format!("{message} (line {}: {})", i + 1, line);
            }
        }
    }
    Error::with_code(ErrorKind::Schemaless, code as i32, text)
}

/// Refuses, before anything is sent, what TDengine's own client library cannot survive: an
/// OpenTSDB JSON point whose `metric` is not a string (3.3.7.5's taosc reads it as a string and
/// takes the taosAdapter process, or with a native connection this one, down). The refusal is
/// the code TDengine gives other malformed JSON points, 545.
pub fn check(r: &SchemalessRequest) -> Result<(), Error> {
    if r.protocol != SchemalessProtocol::Json {
        return Ok(());
    }
    for text in &r.lines {
        // Text that is not JSON at all is the server's to refuse (545 too).
        let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { continue };
        let points = match &value {
            serde_json::Value::Array(points) => points.iter().collect::<Vec<_>>(),
            point => vec![point],
        };
        for (i, point) in points.iter().enumerate() {
            match point.get("metric") {
                Some(metric) if !metric.is_string() => {
                    let message = format!("Invalid JSON format: the metric of point {} is {metric}, not a string", i + 1);
                    return Err(Error::with_code(ErrorKind::Schemaless, 545, message));
                }
                _ => {}
            }
        }
    }
    Ok(())
}

/// Why writing `r` a second time could write different rows, or `None` when every line carries
/// its own timestamp (TDengine then overwrites the same rows: repeating it after a reconnect is
/// harmless). A line without a timestamp, or with 0, gets the server's current time.
pub fn replay_hazard(r: &SchemalessRequest) -> Option<&'static str> {
    let timestamped = match r.protocol {
        SchemalessProtocol::Line => lines_of(r).all(|l| explicit(line_timestamp(l))),
        SchemalessProtocol::Telnet => lines_of(r).all(|l| explicit(l.split_whitespace().nth(1))),
        SchemalessProtocol::Json => r.lines.iter().all(|text| json_timestamped(text)),
    };
    (!timestamped).then_some("some of its lines carry no timestamp of their own")
}

/// The lines of line and telnet data (a string may hold several), without blank lines and
/// `#` comments.
fn lines_of(r: &SchemalessRequest) -> impl Iterator<Item = &str> {
    r.lines.iter().flat_map(|l| l.lines()).map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

fn explicit(ts: Option<&str>) -> bool {
    ts.is_some_and(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit()) && t.bytes().any(|b| b != b'0'))
}

/// The third space-separated part of an InfluxDB line (`measurement,tags fields timestamp`):
/// spaces escaped with `\` or inside double-quoted field values do not separate. `None` unless
/// the line has exactly three parts. One pass, nothing allocated (it runs on every line sent).
fn line_timestamp(line: &str) -> Option<&str> {
    let b = line.as_bytes();
    let (mut parts, mut third, mut start, mut quoted, mut i) = (0, None, 0, false, 0);
    let mut part = |from: usize, to: usize| {
        parts += 1;
        if parts == 3 {
            third = Some(&line[from..to]);
        }
    };
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => quoted = !quoted,
            b' ' if !quoted => {
                if i > start {
                    part(start, i);
                }
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    if start < b.len() {
        part(start, b.len());
    }
    if parts == 3 { third } else { None }
}

/// Every point of OpenTSDB JSON text has a non-zero `timestamp` (a number, or `{"value": n}`).
fn json_timestamped(text: &str) -> bool {
    let Ok(value) = serde_json::from_str::<serde_json::Value>(text) else { return false };
    let points = match &value {
        serde_json::Value::Array(points) => points.iter().collect::<Vec<_>>(),
        point => vec![point],
    };
    let nonzero = |v: &serde_json::Value| v.as_f64().is_some_and(|n| n != 0.0);
    !points.is_empty()
        && points.iter().all(|p| match p.get("timestamp") {
            Some(ts @ serde_json::Value::Number(_)) => nonzero(ts),
            Some(serde_json::Value::Object(o)) => o.get("value").is_some_and(nonzero),
            _ => false,
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_point_whose_metric_is_not_a_string_is_refused_before_it_is_sent() {
        use SchemalessProtocol::*;
        let req = |p, texts: &[&str]| SchemalessRequest::new(texts.iter().map(|t| t.to_string()).collect(), p, SchemalessPrecision::Milliseconds);
        let ok = r#"{"metric":"m","timestamp":1700000000000,"value":1,"tags":{"h":"a"}}"#;
        assert!(check(&req(Json, &[ok])).is_ok());
        assert!(check(&req(Json, &["{not json"])).is_ok(), "the server refuses text that is not JSON");
        for bad in [
            r#"{"metric":5,"timestamp":1700000000000,"value":1,"tags":{"h":"a"}}"#,
            r#"[{"metric":"m","timestamp":1,"value":1,"tags":{"h":"a"}},{"metric":null,"timestamp":1,"value":1,"tags":{"h":"a"}}]"#,
        ] {
            let e = check(&req(Json, &[ok, bad])).unwrap_err();
            assert_eq!((e.kind, e.errno), (ErrorKind::Schemaless, Some(545)), "{bad}");
            assert!(e.message.contains("not a string"), "{}", e.message);
        }
        // line and telnet text is never read as JSON
        assert!(check(&req(Line, &[r#"{"metric":5}"#])).is_ok());
    }

    #[test]
    fn only_lines_that_all_carry_timestamps_may_be_written_again() {
        let req = |p, lines: &[&str]| SchemalessRequest::new(lines.iter().map(|l| l.to_string()).collect(), p, SchemalessPrecision::Milliseconds);
        use SchemalessProtocol::*;
        assert_eq!(replay_hazard(&req(Line, &["m,t=a v=1i 1700000000000", "m,t=b s=\"x y\" 1700000000001\nm v=2 1700000000002"])), None);
        assert!(replay_hazard(&req(Line, &["m,t=a v=1i 1700000000000", "m,t=a v=2i"])).is_some());
        assert!(replay_hazard(&req(Line, &["m,t=a v=1i 0"])).is_some(), "0 means the server's time");
        assert_eq!(replay_hazard(&req(Line, &["m,t=a\\ b v=1i 17"])), None, "an escaped space does not separate");
        assert_eq!(replay_hazard(&req(Telnet, &["sys.cpu 1700000000 18 host=a"])), None);
        assert!(replay_hazard(&req(Telnet, &["sys.cpu 0 18 host=a"])).is_some());
        assert_eq!(replay_hazard(&req(Json, &[r#"[{"metric":"m","timestamp":1700000000,"value":1,"tags":{}}]"#])), None);
        assert_eq!(replay_hazard(&req(Json, &[r#"{"metric":"m","timestamp":{"value":17,"type":"s"},"value":1,"tags":{}}"#])), None);
        assert!(replay_hazard(&req(Json, &[r#"{"metric":"m","timestamp":0,"value":1,"tags":{}}"#])).is_some());
    }

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
        let e = error(295, "SML telnet parse timestamp failed: 4 host=host0 interface=eth0", SchemalessProtocol::Telnet, &lines);
        assert_eq!(e.kind, ErrorKind::Schemaless);
        assert_eq!(e.errno, Some(295));
        assert!(e.message.contains("line 2"), "{}", e.message);
        let e = error(12290, "SML line cols is empty", SchemalessProtocol::Line, &lines);
        assert_eq!(e.message, "SML line cols is empty");
        let e = error(12290, "SML line cols is empty", SchemalessProtocol::Line, &lines[..1]);
        assert_eq!(e.message, "SML line cols is empty (line 1: ok 1 2 host=a)");

        // A batch handed over as one string (the facade joins them) names the same line.
        let joined = vec![lines.join("\n")];
        let e = error(295, "SML telnet parse timestamp failed: 4 host=host0 interface=eth0", SchemalessProtocol::Telnet, &joined);
        assert_eq!(e.message, format!("SML telnet parse timestamp failed: 4 host=host0 interface=eth0 (line 2: {})", lines[1]));
        // Split anywhere, as the facade splits a long batch, it names the same line.
        let batch: Vec<String> = (0..9).map(|i| format!("m v={i}i {i}")).chain(["m w=\"ends\" 9\n".into(), String::new(), "bad one".into(), "m v=1i 12".into()]).collect();
        let whole = error(12290, "SML parse failed: bad one", SchemalessProtocol::Line, &[batch.join("\n")]);
        assert!(whole.message.ends_with("(line 13: bad one)"), "{}", whole.message);
        for cut in 1..batch.len() {
            let split = vec![batch[..cut].join("\n"), batch[cut..].join("\n")];
            assert_eq!(error(12290, "SML parse failed: bad one", SchemalessProtocol::Line, &split).message, whole.message, "cut at {cut}");
        }
        let e = error(12290, "SML line cols is empty", SchemalessProtocol::Line, &[format!("{}\n", lines[0])]);
        assert_eq!(e.message, "SML line cols is empty (line 1: ok 1 2 host=a)", "a final newline ends the line");
        // JSON text is one text however many lines it spans.
        let e = error(12290, "SML invalid json", SchemalessProtocol::Json, &["[\n{}\n]".to_string()]);
        assert_eq!(e.message, "SML invalid json (line 1: [\n{}\n])");
    }

    #[test]
    fn the_insert_request_carries_the_lines_joined_and_escaped() {
        let mut r = SchemalessRequest::new(
            vec!["m,t=a s=\"x\\\"y\" 1".into(), "m v=2 2".into(), "ü v=3 3".into()],
            SchemalessProtocol::Line,
            SchemalessPrecision::Milliseconds,
        );
        r.ttl = 7;
        r.table_name_key = Some("k".into());
        let expected = serde_json::json!({"action": "insert", "args": {
            "req_id": 9, "protocol": 1, "precision": "ms", "ttl": 7,
            "data": r.lines.join("\n"), "table_name_key": "k",
        }})
        .to_string();
        assert_eq!(insert_request(9, &r), expected, "the same text json! gave");
        let one = SchemalessRequest::new(vec![r.lines.join("\n")], SchemalessProtocol::Line, SchemalessPrecision::Milliseconds);
        let (a, b): (serde_json::Value, serde_json::Value) = (serde_json::from_str(&insert_request(9, &one)).unwrap(), serde_json::from_str(&expected).unwrap());
        assert_eq!(a["args"]["data"], b["args"]["data"], "one joined string goes out as the lines did");
        let mut odd = SchemalessRequest::new(vec![(0u8..0x80).map(char::from).collect::<String>() + "é€😀\"\\ twelve bytes", "x".into()], SchemalessProtocol::Json, SchemalessPrecision::NotConfigured);
        odd.table_name_key = Some("k\"\\\n".into());
        let expected = serde_json::json!({"action": "insert", "args": {
            "req_id": 1, "protocol": 3, "precision": "", "ttl": 0, "data": odd.lines.join("\n"), "table_name_key": "k\"\\\n",
        }});
        assert_eq!(insert_request(1, &odd), expected.to_string(), "every ASCII byte, escaped as serde_json escapes it");
        assert_eq!(line_timestamp("m,t=a\\ b s=\"x y\" 17"), Some("17"));
        assert_eq!(line_timestamp("m v=1"), None);
        assert_eq!(line_timestamp("m v=1 2 3"), None);
    }
}
