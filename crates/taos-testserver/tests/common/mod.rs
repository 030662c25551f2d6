//! Test helpers: a fake SQL backend with canned answers, a minimal raw WebSocket client (own
//! framing, so tests can send anything, including invalid UTF-8 and broken frames) and raw HTTP.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;
use taos_testserver::types::{code, DataType, Field, Outcome, Precision, ResultSet, TdError, Value};
use taos_testserver::{start_with_backend, ServerConfig, ServerHandle, SessionCtx, SqlBackend};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Answers a fixed set of statements, so protocol tests do not depend on the SQL engine.
pub struct FakeBackend;

pub fn all_types_fields() -> Vec<Field> {
    vec![
        Field::fixed("ts", DataType::Timestamp),
        Field::fixed("c_bool", DataType::Bool),
        Field::fixed("c_i8", DataType::TinyInt),
        Field::fixed("c_i16", DataType::SmallInt),
        Field::fixed("c_i32", DataType::Int),
        Field::fixed("c_i64", DataType::BigInt),
        Field::fixed("c_u8", DataType::UTinyInt),
        Field::fixed("c_u16", DataType::USmallInt),
        Field::fixed("c_u32", DataType::UInt),
        Field::fixed("c_u64", DataType::UBigInt),
        Field::fixed("c_f32", DataType::Float),
        Field::fixed("c_f64", DataType::Double),
        Field::new("c_vc", DataType::VarChar, 32),
        Field::new("c_nc", DataType::NChar, 16),
        Field::new("c_vb", DataType::VarBinary, 32),
        Field::new("c_geo", DataType::Geometry, 64),
        Field::decimal("c_d64", 10, 2),
        Field::decimal("c_d128", 30, 10),
        Field::new("c_blob", DataType::Blob, 4194304),
        Field::new("t_json", DataType::Json, 4095),
    ]
}

/// Two rows: every type with values, then every type NULL (except ts).
pub fn all_types(precision: Precision) -> ResultSet {
    let ts0 = 1_700_000_000 * precision.per_second();
    let row0 = vec![
        Value::Timestamp(ts0),
        Value::Bool(true),
        Value::Int(-128),
        Value::Int(-32768),
        Value::Int(-2147483648),
        Value::Int(-9223372036854775808),
        Value::UInt(255),
        Value::UInt(65535),
        Value::UInt(4294967295),
        Value::UInt(18446744073709551615),
        Value::Float(0.1),
        Value::Double(1e21),
        Value::Str("ü'q\"".into()),
        Value::Str("温度°C😀".into()),
        Value::Bytes(vec![0x0a, 0x0b]),
        Value::Bytes(vec![1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f]),
        Value::Decimal(-1),
        Value::Decimal(0),
        Value::Bytes(vec![0xde, 0xad]),
        Value::Str(r#"{"b":true,"k":"v"}"#.into()),
    ];
    let mut columns: Vec<Vec<Value>> = row0.into_iter().map(|v| vec![v]).collect();
    columns[0].push(Value::Timestamp(ts0 + 1));
    for c in columns.iter_mut().skip(1) {
        c.push(Value::Null);
    }
    ResultSet { fields: all_types_fields(), precision, columns }
}

/// `n` rows of (ts, v int, s varchar(12)).
pub fn many_rows(n: usize) -> ResultSet {
    ResultSet {
        fields: vec![
            Field::fixed("ts", DataType::Timestamp),
            Field::fixed("v", DataType::Int),
            Field::new("s", DataType::VarChar, 12),
        ],
        precision: Precision::Millisecond,
        columns: vec![
            (0..n).map(|i| Value::Timestamp(1_700_000_000_000 + i as i64)).collect(),
            (0..n).map(|i| Value::Int(i as i64)).collect(),
            (0..n).map(|i| Value::Str(format!("s{i}"))).collect(),
        ],
    }
}

fn one_value(name: &str, field: Field, v: Value) -> ResultSet {
    let mut field = field;
    field.name = name.to_string();
    ResultSet { fields: vec![field], precision: Precision::Millisecond, columns: vec![vec![v]] }
}

impl SqlBackend for FakeBackend {
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        let sql = sql.trim().trim_end_matches(';').trim();
        let lower = sql.to_ascii_lowercase();
        if let Some(db) = lower.strip_prefix("use ") {
            let db = db.trim().trim_matches('`');
            return if db == "db1" || db == "information_schema" {
                ctx.db = Some(db.to_string());
                Ok(Outcome::Affected(0))
            } else {
                Err(TdError::new(code::MND_DB_NOT_EXIST, "Database not exist"))
            };
        }
        if lower.starts_with("create") || lower.starts_with("drop") {
            return Ok(Outcome::Affected(0));
        }
        if let Some(rest) = lower.strip_prefix("insert rows ") {
            return Ok(Outcome::Affected(rest.trim().parse().unwrap_or(0)));
        }
        if let Some(rest) = lower.strip_prefix("select rows ") {
            return Ok(Outcome::Rows(many_rows(rest.trim().parse().unwrap_or(0))));
        }
        match lower.as_str() {
            "select server_version()" => Ok(Outcome::Rows(one_value(
                "server_version()",
                Field::new("", DataType::VarChar, 13),
                Value::Str(taos_testserver::SERVER_VERSION.into()),
            ))),
            "select 1" => Ok(Outcome::Rows(one_value("1", Field::fixed("", DataType::BigInt), Value::Int(1)))),
            "select database()" => Ok(Outcome::Rows(one_value(
                "database()",
                Field::new("", DataType::VarChar, 63),
                ctx.db.clone().map(Value::Str).unwrap_or(Value::Null),
            ))),
            "select all_ms" => Ok(Outcome::Rows(all_types(Precision::Millisecond))),
            "select all_us" => Ok(Outcome::Rows(all_types(Precision::Microsecond))),
            "select all_ns" => Ok(Outcome::Rows(all_types(Precision::Nanosecond))),
            "select empty" => Ok(Outcome::Rows(many_rows(0))),
            "select inf" => Ok(Outcome::Rows(one_value(
                "1e308 * 10",
                Field::fixed("", DataType::Double),
                Value::Double(f64::INFINITY),
            ))),
            "select doubles" => Ok(Outcome::Rows(ResultSet {
                fields: vec![Field::fixed("d", DataType::Double)],
                precision: Precision::Millisecond,
                columns: vec![[-12500000000.0, -5e-301, 1e21, 1e-7, 1e20, 1.0]
                    .into_iter()
                    .map(Value::Double)
                    .collect()],
            })),
            "panic" => panic!("the fake backend panics on purpose"),
            _ => Err(TdError::new(code::PAR_SYNTAX_ERROR, format!("syntax error near \"{sql}\""))),
        }
    }

    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        let mut ctx = ctx.clone();
        self.execute(&mut ctx, sql).map(|_| ())
    }

    fn database_exists(&self, db: &str) -> bool {
        db == "db1"
    }
}

pub async fn fake_server(config: ServerConfig) -> ServerHandle {
    let config = ServerConfig { port: 0, ..config };
    start_with_backend(config, Arc::new(FakeBackend)).await.expect("server starts")
}

pub async fn default_fake_server() -> ServerHandle {
    fake_server(ServerConfig::default()).await
}

/// Replaces every `"timing":<digits>` with `"timing":0` so replies compare as text.
pub fn mask_timing(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("\"timing\":") {
        out.push_str(&rest[..i + 9]);
        rest = &rest[i + 9..];
        let digits = rest.bytes().take_while(|b| b.is_ascii_digit()).count();
        assert!(digits > 0, "timing without a number in {s}");
        out.push('0');
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

#[derive(Debug, PartialEq)]
pub enum Frame {
    Text(String),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong(Vec<u8>),
    Close(Option<u16>),
}

/// A bare-bones WebSocket client (masks its frames, reads unfragmented server frames).
pub struct WsClient {
    stream: tokio::io::BufReader<TcpStream>,
}

impl WsClient {
    pub async fn connect(addr: std::net::SocketAddr) -> WsClient {
        WsClient::connect_path(addr, "/ws").await
    }

    /// Opens a WebSocket on another endpoint (`/rest/tmq`).
    pub async fn connect_path(addr: std::net::SocketAddr, path: &str) -> WsClient {
        let mut stream = TcpStream::connect(addr).await.expect("tcp connect");
        let req = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        );
        stream.write_all(req.as_bytes()).await.unwrap();
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            stream.read_exact(&mut b).await.expect("handshake answer");
            head.push(b[0]);
        }
        let head = String::from_utf8(head).unwrap();
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        assert!(head.to_ascii_lowercase().contains("sec-websocket-accept: s3pplmbitxaq9kygzzhzrbk+xoo="), "{head}");
        let _ = stream.set_nodelay(true);
        WsClient { stream: tokio::io::BufReader::with_capacity(256 * 1024, stream) }
    }

    pub async fn send_raw_frame(&mut self, first_byte: u8, payload: &[u8]) {
        let mut f = vec![first_byte];
        let mask = [0x37u8, 0xfa, 0x21, 0x3d];
        let len = payload.len();
        if len < 126 {
            f.push(0x80 | len as u8);
        } else if len <= 65535 {
            f.push(0x80 | 126);
            f.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            f.push(0x80 | 127);
            f.extend_from_slice(&(len as u64).to_be_bytes());
        }
        f.extend_from_slice(&mask);
        f.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        self.stream.write_all(&f).await.unwrap();
    }

    pub async fn send_text(&mut self, text: &str) {
        self.send_raw_frame(0x81, text.as_bytes()).await;
    }
    pub async fn send_text_bytes(&mut self, bytes: &[u8]) {
        self.send_raw_frame(0x81, bytes).await;
    }
    pub async fn send_binary(&mut self, bytes: &[u8]) {
        self.send_raw_frame(0x82, bytes).await;
    }
    pub async fn send_ping(&mut self, payload: &[u8]) {
        self.send_raw_frame(0x89, payload).await;
    }

    pub async fn recv(&mut self) -> Frame {
        tokio::time::timeout(Duration::from_secs(10), self.recv_inner()).await.expect("server answered in time")
    }

    /// `None` if nothing arrives within `ms`.
    pub async fn recv_within(&mut self, ms: u64) -> Option<Frame> {
        tokio::time::timeout(Duration::from_millis(ms), self.recv_inner()).await.ok()
    }

    async fn recv_inner(&mut self) -> Frame {
        let mut h = [0u8; 2];
        self.stream.read_exact(&mut h).await.expect("frame header");
        assert_eq!(h[1] & 0x80, 0, "server frames are not masked");
        let len = match h[1] & 0x7f {
            126 => {
                let mut b = [0u8; 2];
                self.stream.read_exact(&mut b).await.unwrap();
                u16::from_be_bytes(b) as usize
            }
            127 => {
                let mut b = [0u8; 8];
                self.stream.read_exact(&mut b).await.unwrap();
                u64::from_be_bytes(b) as usize
            }
            n => n as usize,
        };
        let mut payload = vec![0u8; len];
        self.stream.read_exact(&mut payload).await.unwrap();
        match h[0] & 0x0f {
            1 => Frame::Text(String::from_utf8(payload).expect("server text is UTF-8")),
            2 => Frame::Binary(payload),
            0x9 => Frame::Ping(payload),
            0xA => Frame::Pong(payload),
            8 => Frame::Close((payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]))),
            op => panic!("unexpected opcode {op}"),
        }
    }

    /// True if the server closed the socket without a close frame (EOF or reset) within `ms`.
    pub async fn vanished_within(&mut self, ms: u64) -> bool {
        let mut b = [0u8; 1];
        matches!(
            tokio::time::timeout(Duration::from_millis(ms), self.stream.read(&mut b)).await,
            Ok(Ok(0)) | Ok(Err(_))
        )
    }

    pub async fn recv_text(&mut self) -> String {
        match self.recv().await {
            Frame::Text(t) => t,
            other => panic!("expected text, got {other:?}"),
        }
    }

    pub async fn recv_binary(&mut self) -> Vec<u8> {
        match self.recv().await {
            Frame::Binary(b) => b,
            other => panic!("expected binary, got {other:?}"),
        }
    }

    /// Sends a JSON request and returns the reply with `timing` masked.
    pub async fn call(&mut self, text: &str) -> String {
        self.send_text(text).await;
        mask_timing(&self.recv_text().await)
    }

    pub async fn connect_root(addr: std::net::SocketAddr) -> WsClient {
        let mut c = WsClient::connect(addr).await;
        let r = c.call(r#"{"action":"conn","args":{"req_id":1,"user":"root","password":"taosdata","db":""}}"#).await;
        assert!(r.starts_with(r#"{"code":0,"#), "{r}");
        c
    }
}

/// Binary request frame: header + body.
pub fn bin_request(req_id: u64, resource: u64, action: u64, body: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(24 + body.len());
    f.extend_from_slice(&req_id.to_le_bytes());
    f.extend_from_slice(&resource.to_le_bytes());
    f.extend_from_slice(&action.to_le_bytes());
    f.extend_from_slice(body);
    f
}

pub fn binary_query(req_id: u64, sql: &str) -> Vec<u8> {
    let mut body = vec![1, 0];
    body.extend_from_slice(&(sql.len() as u32).to_le_bytes());
    body.extend_from_slice(sql.as_bytes());
    bin_request(req_id, 0, 6, &body)
}

pub fn fetch_raw_block(req_id: u64, result_id: u64) -> Vec<u8> {
    bin_request(req_id, result_id, 7, &[1, 0])
}

/// Decoded action-7 reply.
#[derive(Debug)]
pub struct RawReply {
    pub timing: u64,
    pub req_id: u64,
    pub code: u32,
    pub message: String,
    pub result_id: u64,
    pub finished: bool,
    pub block: Option<Vec<u8>>,
}

pub fn parse_raw_reply(f: &[u8]) -> RawReply {
    let u64_at = |i: usize| u64::from_le_bytes(f[i..i + 8].try_into().unwrap());
    let u32_at = |i: usize| u32::from_le_bytes(f[i..i + 4].try_into().unwrap());
    assert_eq!(u64_at(0), u64::MAX, "marker");
    assert_eq!(u64_at(8), 7, "action");
    assert_eq!(u16::from_le_bytes([f[16], f[17]]), 1, "version");
    let n = u32_at(38) as usize;
    let message = String::from_utf8(f[42..42 + n].to_vec()).unwrap();
    let result_id = u64_at(42 + n);
    let finished = f[50 + n] == 1;
    let block = if !finished {
        let len = u32_at(51 + n) as usize;
        assert_eq!(f.len(), 55 + n + len, "data frame is 55 + L bytes");
        Some(f[55 + n..].to_vec())
    } else {
        assert_eq!(f.len(), 51 + n, "finished/error frame is 51 + N bytes");
        None
    };
    RawReply { timing: u64_at(18), req_id: u64_at(26), code: u32_at(34), message, result_id, finished, block }
}

/// Rows of a raw block (header field at offset 8).
pub fn block_rows(block: &[u8]) -> i32 {
    i32::from_le_bytes(block[8..12].try_into().unwrap())
}

pub struct HttpResponse {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl HttpResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8(self.body.clone()).expect("UTF-8 body")
    }
    /// Body with `timing` masked.
    pub fn masked(&self) -> String {
        mask_timing(&self.text())
    }
}

/// One HTTP/1.1 request on a fresh connection (`Connection: close`), body read to EOF.
pub async fn http(addr: std::net::SocketAddr, method: &str, target: &str, headers: &[(&str, &str)], body: &[u8]) -> HttpResponse {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n", body.len());
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    stream.write_all(req.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw)).await.expect("http answer").unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("header end");
    let head = String::from_utf8(raw[..split].to_vec()).unwrap();
    let mut lines = head.split("\r\n");
    let status: u16 = lines.next().unwrap().split(' ').nth(1).unwrap().parse().unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"));
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        loop {
            let nl = rest.windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[..nl]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[nl + 2..nl + 2 + n]);
            rest = &rest[nl + 2 + n + 2..];
        }
        body = out;
    }
    HttpResponse { status, headers, body }
}

pub const ROOT_BASIC: (&str, &str) = ("Authorization", "Basic cm9vdDp0YW9zZGF0YQ==");

pub async fn rest_sql(addr: std::net::SocketAddr, target: &str, sql: &str) -> HttpResponse {
    http(addr, "POST", target, &[ROOT_BASIC], sql.as_bytes()).await
}
