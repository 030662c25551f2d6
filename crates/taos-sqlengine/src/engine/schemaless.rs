//! Schemaless writes: InfluxDB line protocol (1), OpenTSDB telnet (2) and OpenTSDB JSON (3).
//! Super tables, child tables, columns and tags are created or widened as the data needs them:
//! the timestamp column is `_ts`, OpenTSDB values go to `_value`, tags are NCHAR.

use crate::types::{code, DataType, TdError, Value};

use super::catalog::{db_key, ColumnSchema, Database, PendingRow, STable, TableData, TableKind};
use super::column::Column;
use super::errors::{db_not_exist, err};
use super::state::Engine;

/// SML error codes (low 16 bits).
const SML_INVALID_DATA: u16 = 0x3002;
const INVALID_TIMESTAMP: u16 = 295;
/// taosc's TSDB_CODE_TSC_INVALID_TABLE_ID_LENGTH: an empty (or too long) measure.
const EMPTY_MEASURE: u16 = 522;
/// taosc's TSDB_CODE_TSC_INVALID_JSON / _JSON_TYPE.
const INVALID_JSON: u16 = 545;
const INVALID_JSON_TYPE: u16 = 546;
/// A point naming one tag or field twice, or a tag and a field alike.
const DUPLICATED_COLUMN: u16 = 9788;
/// What 3.3.7.5 answers a JSON array without points.
const INVALID_INPUT: u16 = 1807;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmlProtocol {
    Line = 1,
    Telnet = 2,
    Json = 3,
}

impl SmlProtocol {
    pub fn from_code(c: i64) -> Option<SmlProtocol> {
        match c {
            1 => Some(SmlProtocol::Line),
            2 => Some(SmlProtocol::Telnet),
            3 => Some(SmlProtocol::Json),
            _ => None,
        }
    }
}

/// One parsed point.
#[derive(Debug, Clone)]
struct Point {
    stable: String,
    /// Line and telnet tags are NCHAR; JSON string tags VARCHAR, number tags DOUBLE.
    tags: Vec<(String, SmlValue)>,
    fields: Vec<(String, SmlValue)>,
    /// Nanoseconds since the epoch (`None` = now).
    ts_ns: Option<i128>,
}

#[derive(Debug, Clone, PartialEq)]
enum SmlValue {
    Typed(DataType, Value),
    VarChar(String),
    NChar(String),
}

impl SmlValue {
    fn ty(&self) -> DataType {
        match self {
            SmlValue::Typed(t, _) => *t,
            SmlValue::VarChar(_) => DataType::VarChar,
            SmlValue::NChar(_) => DataType::NChar,
        }
    }
    /// Length a VARCHAR/NCHAR column needs (bytes / characters).
    fn var_len(&self) -> usize {
        match self {
            SmlValue::VarChar(s) => s.len(),
            // taosc sizes NCHAR from the UTF-8 bytes too (`u=L"ü€"` → NCHAR(8))
            SmlValue::NChar(s) => s.len(),
            _ => 0,
        }
    }
    /// Text of a tag used as a child table name (`table_name_key`).
    fn text(&self) -> String {
        match self {
            SmlValue::VarChar(s) | SmlValue::NChar(s) => s.clone(),
            SmlValue::Typed(_, Value::Double(d)) => d.to_string(),
            SmlValue::Typed(_, Value::Float(f)) => f.to_string(),
            SmlValue::Typed(_, Value::Int(i)) => i.to_string(),
            SmlValue::Typed(_, Value::UInt(u)) => u.to_string(),
            SmlValue::Typed(_, Value::Bool(b)) => b.to_string(),
            SmlValue::Typed(_, v) => format!("{v:?}"),
        }
    }
    /// The bytes taosc's `buildChildTableName` hashes for a tag value.
    fn digest_bytes(&self) -> Vec<u8> {
        match self {
            SmlValue::VarChar(s) | SmlValue::NChar(s) => s.as_bytes().to_vec(),
            SmlValue::Typed(_, Value::Double(d)) => d.to_le_bytes().to_vec(),
            SmlValue::Typed(_, Value::Float(f)) => f.to_le_bytes().to_vec(),
            SmlValue::Typed(_, Value::Bool(b)) => vec![u8::from(*b)],
            SmlValue::Typed(t, Value::Int(i)) => i.to_le_bytes()[..t.fixed_size().unwrap_or(8)].to_vec(),
            SmlValue::Typed(t, Value::UInt(u)) => u.to_le_bytes()[..t.fixed_size().unwrap_or(8)].to_vec(),
            SmlValue::Typed(_, v) => format!("{v:?}").into_bytes(),
        }
    }
    fn value(&self) -> Value {
        match self {
            SmlValue::Typed(_, v) => v.clone(),
            SmlValue::VarChar(s) | SmlValue::NChar(s) => Value::Str(s.clone()),
        }
    }
}

fn sml_err(msg: impl Into<String>) -> TdError {
    err(SML_INVALID_DATA, msg)
}

/// Nanoseconds per unit of a schemaless precision string (`""` = not configured).
fn unit_ns(precision: &str) -> Option<i128> {
    Some(match precision {
        "h" => 3_600_000_000_000,
        "m" => 60_000_000_000,
        "s" => 1_000_000_000,
        "ms" => 1_000_000,
        "u" | "μ" => 1_000,
        "ns" => 1,
        _ => return None,
    })
}

/// Splits on `sep` outside double quotes, honouring backslash escapes.
fn split_unescaped(s: &str, sep: char) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                out.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unescape_key(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// An InfluxDB field value: `1.5`, `2i`, `3i32`, `4u8`, `5f32`, `t`, `"text"`, `L"text"`.
fn parse_line_value(v: &str) -> Option<SmlValue> {
    if let Some(body) = v.strip_prefix("L\"").and_then(|b| b.strip_suffix('"')) {
        return Some(SmlValue::NChar(unescape_key(body)));
    }
    if let Some(body) = v.strip_prefix('"').and_then(|b| b.strip_suffix('"')) {
        return Some(SmlValue::VarChar(unescape_key(body)));
    }
    match v {
        "t" | "T" | "true" | "True" | "TRUE" => {
            return Some(SmlValue::Typed(DataType::Bool, Value::Bool(true)))
        }
        "f" | "F" | "false" | "False" | "FALSE" => {
            return Some(SmlValue::Typed(DataType::Bool, Value::Bool(false)))
        }
        _ => {}
    }
    let suffixes: [(&str, DataType); 12] = [
        ("i64", DataType::BigInt),
        ("i32", DataType::Int),
        ("i16", DataType::SmallInt),
        ("i8", DataType::TinyInt),
        ("u64", DataType::UBigInt),
        ("u32", DataType::UInt),
        ("u16", DataType::USmallInt),
        ("u8", DataType::UTinyInt),
        ("f64", DataType::Double),
        ("f32", DataType::Float),
        ("i", DataType::BigInt),
        ("u", DataType::UBigInt),
    ];
    for (suf, ty) in suffixes {
        if let Some(num) = v.strip_suffix(suf) {
            return typed_number(num, ty);
        }
    }
    typed_number(v, DataType::Double)
}

fn typed_number(num: &str, ty: DataType) -> Option<SmlValue> {
    use DataType::*;
    let v = match ty {
        Double => Value::Double(num.parse::<f64>().ok().filter(|f| f.is_finite())?),
        Float => Value::Float(num.parse::<f32>().ok().filter(|f| f.is_finite())?),
        TinyInt => Value::Int(num.parse::<i8>().ok()? as i64),
        SmallInt => Value::Int(num.parse::<i16>().ok()? as i64),
        Int => Value::Int(num.parse::<i32>().ok()? as i64),
        BigInt => Value::Int(num.parse::<i64>().ok()?),
        UTinyInt => Value::UInt(num.parse::<u8>().ok()? as u64),
        USmallInt => Value::UInt(num.parse::<u16>().ok()? as u64),
        UInt => Value::UInt(num.parse::<u32>().ok()? as u64),
        UBigInt => Value::UInt(num.parse::<u64>().ok()?),
        _ => return None,
    };
    Some(SmlValue::Typed(ty, v))
}

/// The lines of a line-protocol or telnet payload as taosc's raw interface counts them (what the
/// adapter calls for `/ws` `insert`): pieces between `\n`, a final `\n` ending the last line
/// rather than starting an empty one, and line-protocol `#` comments not counted. Each line comes
/// with its byte offset in `data`. No line at all is 12290; an empty line between lines, or a
/// second trailing `\n`, is an empty measure (522) when its turn comes, as on 3.3.7.5.
fn raw_lines(data: &str, protocol: SmlProtocol) -> Result<Vec<(usize, &str)>, TdError> {
    let mut lines = Vec::new();
    let mut at = 0;
    for piece in data.split('\n') {
        let start = at;
        at += piece.len() + 1;
        let last = at > data.len();
        if last && piece.is_empty() {
            break; // after the final `\n` (or an empty payload)
        }
        if protocol == SmlProtocol::Line && piece.starts_with('#') {
            continue;
        }
        lines.push((start, piece));
    }
    if lines.is_empty() {
        return Err(sml_err("line num is invalid"));
    }
    Ok(lines)
}

/// The refusal of a line that holds no measure; telnet's message quotes the payload from where
/// the measure should have begun to its end, as taosc's does.
fn empty_measure(protocol: SmlProtocol, data: &str, start: usize, line: &str) -> TdError {
    match protocol {
        SmlProtocol::Telnet => {
            let from = start + (line.len() - line.trim_start_matches(' ').len());
            err(EMPTY_MEASURE, format!("SML telnet invalid measure:{}", &data[from..]))
        }
        _ => err(EMPTY_MEASURE, "SML line measure is empty or too large than 192"),
    }
}

/// A point's tags and fields share one namespace (they become one super table's columns).
fn check_distinct_names(p: &Point) -> Result<(), TdError> {
    let mut seen = std::collections::HashSet::new();
    for (name, _) in p.tags.iter().chain(&p.fields) {
        if !seen.insert(name.as_str()) {
            return Err(err(DUPLICATED_COLUMN, "Duplicated column names"));
        }
    }
    Ok(())
}

fn parse_line(line: &str, unit: i128) -> Result<Point, TdError> {
    let parts = split_unescaped(line, ' ');
    let parts: Vec<&str> = parts.into_iter().filter(|p| !p.is_empty()).collect();
    if parts.len() < 2 {
        return Err(sml_err("SML line cols is empty"));
    }
    let head = split_unescaped(parts[0], ',');
    let stable = unescape_key(head[0]);
    if stable.is_empty() {
        return Err(sml_err("SML line invalid data: measure is empty"));
    }
    let mut tags = Vec::new();
    for kv in &head[1..] {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| sml_err("SML line invalid data: tag is invalid"))?;
        tags.push((unescape_key(k), SmlValue::NChar(unescape_key(v))));
    }
    let mut fields = Vec::new();
    for kv in split_unescaped(parts[1], ',') {
        let Some((k, v)) = kv.split_once('=') else {
            return Err(sml_err("SML line invalid data: without fields"));
        };
        let val = parse_line_value(v)
            .ok_or_else(|| sml_err(format!("SML line invalid data: invalid value {}", v)))?;
        fields.push((unescape_key(k), val));
    }
    let ts_ns = match parts.get(2) {
        // beyond the range: saturates at the largest nanosecond timestamp, as the recorded server does
        Some(t) => Some(
            t.parse::<i128>()
                .map_err(|_| err(INVALID_TIMESTAMP, "Invalid timestamp format"))?
                .saturating_mul(unit)
                .min(i64::MAX as i128),
        ),
        None => None,
    };
    Ok(Point {
        stable,
        tags,
        fields,
        ts_ns,
    })
}

/// Telnet/JSON timestamps without a configured precision: 10 digits are seconds, 13 milliseconds.
fn infer_ts_ns(raw: i128, unit: Option<i128>) -> Option<i128> {
    match unit {
        Some(u) => Some(raw * u),
        None => {
            let digits = raw.abs().to_string().len();
            match digits {
                0..=10 => Some(raw * 1_000_000_000),
                11..=13 => Some(raw * 1_000_000),
                14..=16 => Some(raw * 1_000),
                _ => Some(raw),
            }
        }
    }
}

fn telnet_value(v: &str) -> Option<SmlValue> {
    parse_line_value(v)
}

fn parse_telnet(line: &str, unit: Option<i128>) -> Result<Point, TdError> {
    let parts: Vec<&str> = line.split_whitespace().collect();
    if parts.len() < 3 {
        return Err(sml_err("SML telnet invalid data"));
    }
    // the recorded server reads only 10-digit (seconds) and 13-digit (milliseconds) timestamps
    // here, whatever precision the request names
    let _ = unit;
    let ts_err = || {
        err(
            INVALID_TIMESTAMP,
            format!(
                "SML telnet parse timestamp failed: {}",
                parts[2..].join(" ")
            ),
        )
    };
    let raw: i128 = parts[1].parse().map_err(|_| ts_err())?;
    let ts_ns = match parts[1].trim_start_matches('-').len() {
        10 => raw * 1_000_000_000,
        13 => raw * 1_000_000,
        _ => return Err(ts_err()),
    };
    let value = telnet_value(parts[2])
        .ok_or_else(|| sml_err(format!("SML telnet invalid value: {}", parts[2])))?;
    let mut tags = Vec::new();
    for kv in &parts[3..] {
        let (k, v) = kv
            .split_once('=')
            .ok_or_else(|| sml_err("SML telnet invalid tag"))?;
        tags.push((k.to_string(), SmlValue::NChar(v.to_string())));
    }
    Ok(Point {
        stable: parts[0].to_string(),
        tags,
        fields: vec![("_value".into(), value)],
        ts_ns: Some(ts_ns),
    })
}

/// Timestamps that fit the nanosecond range (the recorded server refuses the others).
fn valid_ns(ns: i128) -> bool {
    ns >= 0 && ns <= i64::MAX as i128
}

/// The tag keys of each JSON point in the order they were written (taosc keeps it, so a new
/// super table's tags are in that order); `serde_json::Map` would sort them.
fn json_tag_order(data: &str) -> Vec<Vec<String>> {
    struct Keys(Vec<String>);
    impl<'de> serde::Deserialize<'de> for Keys {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Keys, D::Error> {
            struct V;
            impl<'de> serde::de::Visitor<'de> for V {
                type Value = Keys;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("an object")
                }
                fn visit_map<A: serde::de::MapAccess<'de>>(self, mut m: A) -> Result<Keys, A::Error> {
                    let mut keys = Vec::new();
                    while let Some((k, _)) = m.next_entry::<String, serde::de::IgnoredAny>()? {
                        keys.push(k);
                    }
                    Ok(Keys(keys))
                }
            }
            d.deserialize_map(V)
        }
    }
    #[derive(serde::Deserialize)]
    struct Item {
        tags: Option<Keys>,
    }
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum Doc {
        Many(Vec<Item>),
        One(Item),
    }
    let items = match serde_json::from_str::<Doc>(data) {
        Ok(Doc::Many(v)) => v,
        Ok(Doc::One(i)) => vec![i],
        Err(_) => return Vec::new(),
    };
    items.into_iter().map(|i| i.tags.map(|k| k.0).unwrap_or_default()).collect()
}

/// The points of an OpenTSDB JSON payload, checked as taosc checks them: one object or an array
/// of them, each with exactly `metric`, `timestamp`, `value` and `tags` (a non-empty object);
/// a typed value is exactly `{"value", "type"}`. Shapes taosc refuses are 545; an empty array is
/// 1807. (A non-string `metric` crashes 3.3.7.5's adapter; it is refused here as a bad shape.)
fn json_points(doc: &serde_json::Value, tag_order: &[Vec<String>], unit: Option<i128>) -> Result<Vec<Point>, TdError> {
    let bad_shape = || err(INVALID_JSON, "Invalid JSON format");
    let items: Vec<&serde_json::Value> = match doc {
        serde_json::Value::Array(a) if a.is_empty() => {
            return Err(err(INVALID_INPUT, "invalid input"))
        }
        serde_json::Value::Array(a) => a.iter().collect(),
        serde_json::Value::Object(_) => vec![doc],
        _ => return Err(bad_shape()),
    };
    let mut out = Vec::new();
    for (n, it) in items.into_iter().enumerate() {
        let Some(o) = it.as_object().filter(|o| o.len() == 4) else {
            return Err(bad_shape());
        };
        let (Some(metric), Some(ts), Some(value), Some(serde_json::Value::Object(tags_in))) =
            (o.get("metric"), o.get("timestamp"), o.get("value"), o.get("tags"))
        else {
            return Err(bad_shape());
        };
        let Some(metric) = metric.as_str() else {
            return Err(bad_shape());
        };
        if tags_in.is_empty() {
            return Err(bad_shape());
        }
        let ts_raw = match ts {
            serde_json::Value::Number(n) => n.as_i64().map(|x| x as i128),
            serde_json::Value::Object(o) => {
                o.get("value").and_then(|v| v.as_i64()).map(|x| x as i128)
            }
            _ => None,
        }
        .ok_or_else(|| err(INVALID_TIMESTAMP, "Invalid timestamp format"))?;
        let ts_ns = if ts_raw == 0 {
            None
        } else {
            Some(
                infer_ts_ns(ts_raw, unit)
                    .filter(|n| valid_ns(*n))
                    .ok_or_else(|| err(INVALID_TIMESTAMP, "Invalid timestamp format"))?,
            )
        };
        let value = json_value(value, "SML json invalid value")?;
        let mut tags = Vec::new();
        for (k, v) in tags_in {
            tags.push((k.clone(), json_value(v, "SML json invalid tag")?));
        }
        if let Some(order) = tag_order.get(n) {
            // serde's map kept one of a key written twice; taosc sees both
            if order.len() != tags.len() {
                return Err(err(DUPLICATED_COLUMN, "Duplicated column names"));
            }
            tags.sort_by_key(|(k, _)| order.iter().position(|o| o == k).unwrap_or(usize::MAX));
        }
        out.push(Point {
            stable: metric.to_string(),
            tags,
            fields: vec![("_value".into(), value)],
            ts_ns,
        });
    }
    Ok(out)
}

/// A point's value or one of its tags: a string is VARCHAR, a number DOUBLE, a boolean BOOL, an
/// object names its type; anything else is refused with `invalid`.
fn json_value(v: &serde_json::Value, invalid: &str) -> Result<SmlValue, TdError> {
    Ok(match v {
        serde_json::Value::String(s) => SmlValue::VarChar(s.clone()),
        serde_json::Value::Number(n) => {
            SmlValue::Typed(DataType::Double, Value::Double(n.as_f64().unwrap_or(0.0)))
        }
        serde_json::Value::Bool(b) => SmlValue::Typed(DataType::Bool, Value::Bool(*b)),
        serde_json::Value::Object(o) => json_typed_object(o, invalid)?,
        _ => return Err(sml_err(invalid)),
    })
}

/// A `{"value": …, "type": "<name>"}` value or tag: exactly those two keys and a string type
/// (545 otherwise), a type taosc knows (546 otherwise), and a value of that type.
fn json_typed_object(
    o: &serde_json::Map<String, serde_json::Value>,
    invalid: &str,
) -> Result<SmlValue, TdError> {
    let (Some(v), Some(serde_json::Value::String(t)), 2) = (o.get("value"), o.get("type"), o.len())
    else {
        return Err(err(INVALID_JSON, "Invalid JSON format"));
    };
    json_typed(v, t)?.ok_or_else(|| sml_err(invalid))
}

/// A typed JSON value: `None` when the value does not fit the type, 546 for a type taosc does
/// not know.
fn json_typed(v: &serde_json::Value, t: &str) -> Result<Option<SmlValue>, TdError> {
    let text = match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    Ok(match t {
        "bool" => v.as_bool().map(|b| SmlValue::Typed(DataType::Bool, Value::Bool(b))),
        "binary" | "varchar" => Some(SmlValue::VarChar(text)),
        "nchar" => Some(SmlValue::NChar(text)),
        "tinyint" => typed_number(&text, DataType::TinyInt),
        "smallint" => typed_number(&text, DataType::SmallInt),
        "int" => typed_number(&text, DataType::Int),
        "bigint" => typed_number(&text, DataType::BigInt),
        "float" => typed_number(&text, DataType::Float),
        "double" => typed_number(&text, DataType::Double),
        _ => return Err(err(INVALID_JSON_TYPE, "Invalid JSON data type")),
    })
}

/// Initial/widened length of a VARCHAR/NCHAR column created by schemaless (room to grow).
fn sml_len(needed: usize) -> u32 {
    ((needed + 1).next_power_of_two()).clamp(1, 65517) as u32
}

/// taosc's `smlDot2Underline` (on by default): dots in super and child table names become
/// underscores, so the telnet metric `meters.current` writes the super table `meters_current`.
fn dot_to_underscore(name: &str) -> String {
    name.replace('.', "_")
}

/// Child table name: the `table_name_key` tag's value, else `t_` + md5 of the super table name
/// and the tags sorted by key (case-insensitively, as taosc's `buildChildTableName`).
fn child_name(p: &Point, table_name_key: Option<&str>) -> String {
    if let Some(k) = table_name_key.filter(|k| !k.is_empty()) {
        if let Some((_, v)) = p.tags.iter().find(|(tk, _)| tk == k) {
            return dot_to_underscore(&v.text());
        }
    }
    let mut tags = p.tags.clone();
    tags.sort_by(|(a, _), (b, _)| {
        let n = a.len().min(b.len());
        a.as_bytes()[..n].to_ascii_lowercase().cmp(&b.as_bytes()[..n].to_ascii_lowercase()).then(a.len().cmp(&b.len()))
    });
    // string tags enter the digest as their text, typed tags as their little-endian bytes
    let mut key = p.stable.clone().into_bytes();
    for (k, v) in &tags {
        key.push(b',');
        key.extend_from_slice(k.as_bytes());
        key.push(b'=');
        key.extend_from_slice(&v.digest_bytes());
    }
    use md5::Digest;
    let d = md5::Md5::digest(&key);
    format!(
        "t_{}",
        d.iter().map(|b| format!("{:02x}", b)).collect::<String>()
    )
}

/// Makes the super table able to hold a point: creates it, adds missing columns/tags, widens
/// strings. Returns an error on a type conflict.
fn ensure_stable(db: &mut Database, p: &Point) -> Result<(), TdError> {
    let field_col = |k: &str, v: &SmlValue| {
        let ty = v.ty();
        let len = match ty {
            DataType::VarChar | DataType::NChar => sml_len(v.var_len()),
            t => t.fixed_size().unwrap_or(8) as u32,
        };
        ColumnSchema {
            name: k.to_string(),
            ty,
            len,
            precision: 0,
            scale: 0,
            primary_key: false,
        }
    };
    if !db.stables.contains_key(&p.stable) {
        if db.tables.contains_key(&p.stable) {
            return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
        }
        let mut columns = vec![ColumnSchema {
            name: "_ts".into(),
            ty: DataType::Timestamp,
            len: 8,
            precision: 0,
            scale: 0,
            primary_key: false,
        }];
        columns.extend(p.fields.iter().map(|(k, v)| field_col(k, v)));
        let mut tags: Vec<ColumnSchema> = p.tags.iter().map(|(k, v)| field_col(k, v)).collect();
        if tags.is_empty() {
            // a super table needs a tag
            tags.push(field_col("_tag_null", &SmlValue::NChar(String::new())));
        }
        let seq = db.seq();
        db.stables
            .insert(p.stable.clone(), STable::new(p.stable.clone(), columns, tags, seq));
        return Ok(());
    }
    let stname = p.stable.clone();
    let st = db
        .stables
        .get_mut(&stname)
        .ok_or_else(super::errors::table_not_exist)?;
    let mut new_cols = 0;
    for (k, v) in &p.fields {
        match st.columns.iter_mut().find(|c| c.name == *k) {
            Some(c) => {
                if c.ty != v.ty() {
                    return Err(sml_err(format!("SML data type mismatch for column {}", k)));
                }
                if c.ty.is_var() && (v.var_len() as u32) > c.len {
                    c.len = sml_len(v.var_len());
                }
            }
            None => {
                st.columns.push(field_col(k, v));
                new_cols += 1;
            }
        }
    }
    let mut new_tags = 0;
    for (k, v) in &p.tags {
        match st.tags.iter_mut().find(|c| c.name == *k) {
            Some(c) => {
                let n = v.var_len() as u32;
                if c.ty.is_var() && n > c.len {
                    c.len = sml_len(n as usize);
                }
            }
            None => {
                st.tags.push(field_col(k, v));
                new_tags += 1;
            }
        }
    }
    if new_cols > 0 || new_tags > 0 {
        let added: Vec<DataType> = st.columns[st.columns.len() - new_cols..]
            .iter()
            .map(|c| c.ty)
            .collect();
        for t in db.tables.values_mut() {
            if let TableKind::Child { stable, tags } = &mut t.kind {
                if *stable == stname {
                    let n = t.data.len();
                    for &ty in &added {
                        std::sync::Arc::make_mut(&mut t.data).cols.push(Column::nulls(ty, n));
                    }
                    tags.extend(std::iter::repeat_n(Value::Null, new_tags));
                }
            }
        }
    }
    Ok(())
}

impl Engine {
    /// A schemaless write into `db`. `precision` is the adapter's string (`""`, `h`, `m`, `s`,
    /// `ms`, `u`/`μ`, `ns`; anything else = not configured). Returns (rows written, rows parsed).
    pub fn schemaless_insert(
        &self,
        db: &str,
        protocol: SmlProtocol,
        precision: &str,
        data: &str,
        table_name_key: Option<&str>,
    ) -> Result<(u64, u64), TdError> {
        self.schemaless_insert_ttl(db, protocol, precision, data, table_name_key, 0)
    }

    /// [`Engine::schemaless_insert`] whose new child tables get `ttl` (days; existing ones keep theirs).
    pub fn schemaless_insert_ttl(
        &self,
        db: &str,
        protocol: SmlProtocol,
        precision: &str,
        data: &str,
        table_name_key: Option<&str>,
        ttl: i64,
    ) -> Result<(u64, u64), TdError> {
        let unit = unit_ns(precision);
        let (points, total) = match protocol {
            SmlProtocol::Line | SmlProtocol::Telnet => {
                let mut v = Vec::new();
                for (start, raw) in raw_lines(data, protocol)? {
                    let line = raw.trim();
                    if line.is_empty() {
                        return Err(empty_measure(protocol, data, start, raw));
                    }
                    let p = if protocol == SmlProtocol::Line {
                        parse_line(line, unit.unwrap_or(1))?
                    } else {
                        parse_telnet(line, unit)?
                    };
                    check_distinct_names(&p)?;
                    v.push(p);
                }
                let n = v.len() as u64;
                (v, n)
            }
            SmlProtocol::Json => {
                let doc: serde_json::Value = serde_json::from_str(data)
                    .map_err(|_| err(INVALID_JSON, "Invalid JSON format"))?;
                let points = json_points(&doc, &json_tag_order(data), unit)?;
                for p in &points {
                    check_distinct_names(p)?;
                }
                (points, 1)
            }
        };
        let points: Vec<Point> = points
            .into_iter()
            .map(|p| Point { stable: dot_to_underscore(&p.stable), ..p })
            .collect();
        let mut cat = self.write();
        let key = db_key(&cat, db);
        let topics = cat.has_topics(&key);
        let dbm: &mut Database = cat.dbs.get_mut(&key).ok_or_else(db_not_exist)?;
        let now_ns = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0) as i128;
        let per_ns: i128 = match dbm.precision {
            crate::types::Precision::Millisecond => 1_000_000,
            crate::types::Precision::Microsecond => 1_000,
            crate::types::Precision::Nanosecond => 1,
        };
        let keep = super::ddl::database::keep_days(dbm);
        let now = super::time::now(dbm.precision);
        // schema first (so every point of the batch fits), then the rows per child table
        for p in &points {
            ensure_stable(dbm, p)?;
        }
        let mut per_table: Vec<(String, Vec<PendingRow>)> = Vec::new();
        let mut created = Vec::new();
        for p in &points {
            let name = child_name(p, table_name_key);
            let st = dbm
                .stables
                .get(&p.stable)
                .cloned()
                .ok_or_else(super::errors::table_not_exist)?;
            match dbm.tables.get(&name) {
                Some(t) => {
                    if !matches!(&t.kind, TableKind::Child { stable, .. } if *stable == p.stable) {
                        return Err(err(code::TDB_TABLE_ALREADY_EXIST, "Table already exists"));
                    }
                }
                None => {
                    // the tag that names the child (`table_name_key`) is taken out of its tags
                    let naming_tag = table_name_key.filter(|k| p.tags.iter().any(|(t, _)| t == k));
                    let tags: Vec<Value> = st
                        .tags
                        .iter()
                        .map(|c| {
                            p.tags
                                .iter()
                                .find(|(k, _)| *k == c.name && Some(k.as_str()) != naming_tag)
                                .map(|(_, v)| v.value())
                                .unwrap_or(Value::Null)
                        })
                        .collect();
                    super::ddl::table::create_child(dbm, &name, &st.name, tags, &Default::default());
                    if let Some(t) = dbm.tables.get_mut(&name) {
                        t.ttl = ttl;
                    }
                    created.extend(super::wal::child_item(dbm, &name));
                }
            }
            let ts = (p.ts_ns.unwrap_or(now_ns) / per_ns) as i64;
            super::convert::check_ts_range(ts, dbm.precision, keep, now)?;
            let mut vals = vec![None; st.columns.len() - 1];
            for (k, v) in &p.fields {
                if let Some(i) = st.columns.iter().position(|c| c.name == *k) {
                    if i > 0 {
                        vals[i - 1] = Some(v.value());
                    }
                }
            }
            match per_table.iter_mut().find(|(n, _)| *n == name) {
                Some((_, rows)) => rows.push(PendingRow { ts, vals }),
                None => per_table.push((name, vec![PendingRow { ts, vals }])),
            }
        }
        let mut affected = 0;
        let mut logged = Vec::new();
        for (name, rows) in per_table {
            let merged = TableData::merge_pending(rows, false);
            affected += merged.len() as u64;
            logged.push((name.clone(), merged.iter().map(|r| r.ts).collect()));
            dbm.write_rows(&name, merged, topics);
        }
        dbm.log_rows(logged, created);
        Ok((affected, total))
    }
}

/// Parses a line-protocol batch without writing (exposed for tests).
#[cfg(test)]
fn parse_lines(data: &str) -> Result<usize, TdError> {
    let mut n = 0;
    for l in data.lines().filter(|l| !l.trim().is_empty()) {
        parse_line(l, 1)?;
        n += 1;
    }
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::EngineConfig;
    use crate::session::SessionCtx;
    use crate::types::Outcome;

    #[test]
    fn line_protocol_creates_schema_and_rows() {
        let e = Engine::new(EngineConfig::new("3.3.7.5"));
        let mut ctx = SessionCtx::default();
        e.execute(&mut ctx, "create database sml").unwrap();
        let data = "gauges,location=SF,groupid=2 current=11.7,voltage=219i32,ok=t,name=\"温度\" 1710000000000\ngauges,location=LA,groupid=3 current=12.6,voltage=218i32,ok=f,name=\"x\" 1710000000000";
        assert_eq!(
            e.schemaless_insert("sml", SmlProtocol::Line, "ms", data, None)
                .unwrap(),
            (2, 2)
        );
        let mut ctx = SessionCtx {
            db: Some("sml".into()),
            ..Default::default()
        };
        let Outcome::Rows(rs) = e
            .execute(&mut ctx, "select * from gauges order by location")
            .unwrap()
        else {
            panic!()
        };
        let shape: Vec<(String, DataType, u32)> = rs
            .fields
            .iter()
            .map(|f| (f.name.clone(), f.ty, f.len))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("_ts".into(), DataType::Timestamp, 8),
                ("current".into(), DataType::Double, 8),
                ("voltage".into(), DataType::Int, 4),
                ("ok".into(), DataType::Bool, 1),
                ("name".into(), DataType::VarChar, 8),
                ("location".into(), DataType::NChar, 4),
                ("groupid".into(), DataType::NChar, 2),
            ]
        );
        assert_eq!(rs.columns[2], vec![Value::Int(218), Value::Int(219)]);
        // a new field widens the super table; old rows read NULL
        e.schemaless_insert(
            "sml",
            SmlProtocol::Line,
            "ms",
            "gauges,location=SF,groupid=2 extra=1i 1710000000001",
            None,
        )
        .unwrap();
        let Outcome::Rows(rs) = e
            .execute(&mut ctx, "select count(*), count(extra) from gauges")
            .unwrap()
        else {
            panic!()
        };
        assert_eq!(rs.columns[0][0], Value::Int(3));
        assert_eq!(rs.columns[1][0], Value::Int(1));
    }

    /// The refusal (code, message) of one `schemaless_insert` into a fresh database.
    fn refusal(protocol: SmlProtocol, data: &str) -> Option<(u16, String)> {
        let e = Engine::new(EngineConfig::new("3.3.7.5"));
        e.execute(&mut SessionCtx::default(), "create database sml").unwrap();
        e.schemaless_insert("sml", protocol, "ms", data, None)
            .err()
            .map(|e| (e.code, e.message))
    }

    #[test]
    fn lines_are_counted_as_taosc_counts_raw_lines() {
        use SmlProtocol::*;
        let empty_measure = Some((522, "SML line measure is empty or too large than 192".to_string()));
        // one final newline ends the last line; comments do not count
        assert_eq!(refusal(Line, "m v=1i 1700000000000\n"), None);
        assert_eq!(refusal(Line, "#c\nm v=1i 1700000000000\n#d\n"), None);
        assert_eq!(refusal(Telnet, "m 1700000000000 6 host=a\n"), None);
        // an empty line between lines, a second final newline, a blank line: an empty measure
        assert_eq!(refusal(Line, "m v=1i 1700000000000\n\nm v=2i 1700000000001"), empty_measure);
        assert_eq!(refusal(Line, "m v=1i 1700000000000\n\n"), empty_measure);
        assert_eq!(refusal(Line, "\nm v=1i 1700000000000"), empty_measure);
        assert_eq!(refusal(Line, "m v=1i 1700000000000\n  \nm v=2i 1700000000001"), empty_measure);
        // telnet's message quotes the payload from the empty line on
        assert_eq!(
            refusal(Telnet, "m 1700000000000 6 host=a\n\nm 1700000000001 7 host=a"),
            Some((522, "SML telnet invalid measure:\nm 1700000000001 7 host=a".into()))
        );
        assert_eq!(refusal(Telnet, "  "), Some((522, "SML telnet invalid measure:".into())));
        // nothing to write
        let no_lines = Some((0x3002, "line num is invalid".to_string()));
        assert_eq!(refusal(Line, ""), no_lines);
        assert_eq!(refusal(Line, "#only a comment"), no_lines);
        assert_eq!(refusal(Telnet, ""), no_lines);
    }

    #[test]
    fn a_point_names_each_tag_and_field_once() {
        use SmlProtocol::*;
        let dup = Some((9788, "Duplicated column names".to_string()));
        assert_eq!(refusal(Line, "m v=1i,v=2i 1700000000000"), dup);
        assert_eq!(refusal(Line, "m,t=1,t=2 v=1i 1700000000000"), dup);
        assert_eq!(refusal(Line, "m,t=1 t=2i 1700000000000"), dup);
        assert_eq!(refusal(Telnet, "m 1700000000000 6 host=a host=b"), dup);
        let js = |tags: &str| format!(r#"{{"metric":"m","timestamp":1700000000000,"value":1,"tags":{tags}}}"#);
        assert_eq!(refusal(Json, &js(r#"{"h":"a","h":"b"}"#)), dup);
        assert_eq!(refusal(Json, &js(r#"{"_value":"a"}"#)), dup, "the value's column is _value");
        assert_eq!(refusal(Json, &js(r#"{"h":"a"}"#)), None);
    }

    #[test]
    fn json_points_have_exactly_metric_timestamp_value_and_tags() {
        use SmlProtocol::Json;
        let bad = Some((545, "Invalid JSON format".to_string()));
        for doc in [
            "",
            "{not json",
            "5",
            "{}",
            r#"{"metric":"m","timestamp":1700000000000,"value":1}"#,
            r#"{"metric":"m","value":1,"tags":{"h":"a"}}"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":1,"tags":{}}"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":1,"tags":5}"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":1,"tags":{"h":"a"},"x":1}"#,
            r#"{"metric":5,"timestamp":1700000000000,"value":1,"tags":{"h":"a"}}"#,
            r#"[{"metric":"m","timestamp":1700000000000,"value":1,"tags":{"h":"a"}},5]"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":{"value":1},"tags":{"h":"a"}}"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":{"value":1,"type":5},"tags":{"h":"a"}}"#,
            r#"{"metric":"m","timestamp":1700000000000,"value":1,"tags":{"h":{"value":"a","type":"nchar","x":1}}}"#,
        ] {
            assert_eq!(refusal(Json, doc), bad, "{doc}");
        }
        assert_eq!(refusal(Json, "[]"), Some((1807, "invalid input".into())));
        assert_eq!(
            refusal(Json, r#"{"metric":"m","timestamp":1700000000000,"value":{"value":1,"type":"nosuch"},"tags":{"h":"a"}}"#),
            Some((546, "Invalid JSON data type".into()))
        );
    }

    #[test]
    fn telnet_json_and_errors() {
        let e = Engine::new(EngineConfig::new("3.3.7.5"));
        let mut ctx = SessionCtx::default();
        e.execute(&mut ctx, "create database sml precision 'us'")
            .unwrap();
        let bad = e.schemaless_insert(
            "sml",
            SmlProtocol::Telnet,
            "ms",
            "tel 1710000000000000 4 host=h0",
            None,
        );
        assert_eq!(
            bad.unwrap_err().message,
            "SML telnet parse timestamp failed: 4 host=h0"
        );
        let bad = e.schemaless_insert(
            "sml",
            SmlProtocol::Telnet,
            "ns",
            "tel 1710000000000000000 4 host=h0",
            None,
        );
        assert_eq!(bad.unwrap_err().code, 295);
        // line protocol: a timestamp beyond the range saturates
        e.schemaless_insert(
            "sml",
            SmlProtocol::Line,
            "ms",
            "far v=1i 1710000000000000",
            None,
        )
        .unwrap();
        let mut c = SessionCtx {
            db: Some("sml".into()),
            ..Default::default()
        };
        let Outcome::Rows(rs) = e.execute(&mut c, "select _ts from far").unwrap() else {
            panic!()
        };
        assert_eq!(rs.columns[0][0], Value::Timestamp(i64::MAX / 1000));
        assert_eq!(
            e.schemaless_insert(
                "sml",
                SmlProtocol::Telnet,
                "ms",
                "tel 1710000000000 4 host=h0",
                None
            )
            .unwrap(),
            (1, 1)
        );
        let bad = e
            .schemaless_insert(
                "sml",
                SmlProtocol::Telnet,
                "ms",
                "tel 1710000000000000 4 host=h0",
                None,
            )
            .unwrap_err();
        assert_eq!(bad.code, 295);
        let js = r#"[{"metric":"js","timestamp":1710000000000,"value":1,"tags":{"t":"a"}},{"metric":"js","timestamp":1710000000001,"value":2,"tags":{"t":"a"}}]"#;
        assert_eq!(
            e.schemaless_insert("sml", SmlProtocol::Json, "ms", js, None)
                .unwrap(),
            (2, 1)
        );
        assert_eq!(
            parse_lines("bad").unwrap_err().message,
            "SML line cols is empty"
        );
        assert_eq!(
            parse_lines("bad line without fields").unwrap_err().message,
            "SML line invalid data: without fields"
        );
        e.schemaless_insert(
            "sml",
            SmlProtocol::Line,
            "ms",
            "k,t=1,tbn=child_a v=1i 1710000000002",
            Some("tbn"),
        )
        .unwrap();
        let mut ctx = SessionCtx {
            db: Some("sml".into()),
            ..Default::default()
        };
        let Outcome::Rows(rs) = e.execute(&mut ctx, "select tbname, v from k").unwrap() else {
            panic!()
        };
        assert_eq!(rs.columns[0], vec![Value::Str("child_a".into())]);
    }
}
