//! Robustness: thousands of random and mutated frames, HTTP requests and SQL statements (the
//! SQL corpus statements, mutated) thrown at a real server over loopback sockets, with a fixed
//! seed and bounded count and time. The server must never panic or hang, and must still answer
//! correctly afterwards.

mod common;

use common::*;
use std::time::{Duration, Instant};
use taos_testserver::{start, ServerConfig};
use tokio::io::AsyncWriteExt;

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

fn corpus_statements() -> Vec<String> {
    let sources = [
        include_str!("data/fuzz-sql/s01_database_lifecycle.sql"),
        include_str!("data/fuzz-sql/s02_types_integer_bool.sql"),
        include_str!("data/fuzz-sql/s04_types_decimal.sql"),
        include_str!("data/fuzz-sql/s05_types_geometry_blob_json.sql"),
        include_str!("data/fuzz-sql/s06_stable_child_tables.sql"),
        include_str!("data/fuzz-sql/s07_insert_forms.sql"),
        include_str!("data/fuzz-sql/s09_select_basic.sql"),
        include_str!("data/fuzz-sql/s10_select_supertable.sql"),
        include_str!("data/fuzz-sql/s11_aggregates.sql"),
        include_str!("data/fuzz-sql/s13_interval_window.sql"),
        include_str!("data/fuzz-sql/s15_timestamp_literals.sql"),
        include_str!("data/fuzz-sql/s16_show_describe.sql"),
        include_str!("data/fuzz-sql/s17_topics.sql"),
        include_str!("data/fuzz-sql/s18_errors_query.sql"),
        include_str!("data/fuzz-sql/s20_scalar_functions.sql"),
        include_str!("data/fuzz-sql/s21_null_semantics.sql"),
    ];
    sources
        .iter()
        .flat_map(|s| s.lines())
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("--"))
        .map(str::to_string)
        .collect()
}

/// Deletes, duplicates, swaps or replaces a few characters/tokens of a statement.
fn mutate_sql(rng: &mut Rng, sql: &str) -> String {
    let mut chars: Vec<char> = sql.chars().collect();
    let edits = 1 + rng.below(4);
    const SPICE: &[&str] = &[
        "'", "\"", "`", "(", ")", ",", ";", "*", "\\", "\u{0}", "é", "😀", " null ", "9223372036854775808",
        "-", "1e400", "''", "now", "interval(", " from ", " where ", "select ",
    ];
    for _ in 0..edits {
        if chars.is_empty() {
            break;
        }
        let at = rng.below(chars.len());
        match rng.below(4) {
            0 => {
                let end = (at + 1 + rng.below(8)).min(chars.len());
                chars.drain(at..end);
            }
            1 => {
                let s = SPICE[rng.below(SPICE.len())];
                for (i, c) in s.chars().enumerate() {
                    chars.insert(at + i, c);
                }
            }
            2 => {
                let other = rng.below(chars.len());
                chars.swap(at, other);
            }
            _ => {
                let end = (at + rng.below(16)).min(chars.len());
                let dup: Vec<char> = chars[at..end].to_vec();
                for (i, c) in dup.into_iter().enumerate() {
                    chars.insert(at + i, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

fn random_json(rng: &mut Rng) -> Vec<u8> {
    const ACTIONS: &[&str] = &[
        "version", "conn", "query", "fetch", "fetch_block", "free_result", "num_fields", "get_current_db",
        "get_server_info", "options_connection", "check_server_status", "stmt2_init", "stmt2_prepare", "init",
        "close", "stmt2_close", "stmt2_exec", "stmt2_result", "insert", "", "x",
    ];
    const VALUES: &[&str] = &[
        "\"insert into ? using fz.stb tags(?) values(?,?)\"",
        "\"select * from fz.stb where ts > ?\"",
        "\"fz\"",
        "0", "1", "-1", "18446744073709551615", "18446744073709551616", "1.5", "null", "true", "\"\"",
        "\"select 1\"", "[]", "{}", "[{\"option\":1,\"value\":null}]", "\"root\"", "\"taosdata\"",
    ];
    const KEYS: &[&str] = &[
        "req_id", "id", "sql", "user", "password", "db", "options", "result_id", "stmt_id", "mode", "get_fields",
        "protocol", "precision", "data",
    ];
    let action = ACTIONS[rng.below(ACTIONS.len())];
    let mut args = String::from("{");
    for i in 0..rng.below(5) {
        if i > 0 {
            args.push(',');
        }
        args.push_str(&format!("\"{}\":{}", KEYS[rng.below(KEYS.len())], VALUES[rng.below(VALUES.len())]));
    }
    args.push('}');
    let mut text = format!(r#"{{"action":"{action}","args":{args}}}"#).into_bytes();
    if rng.chance(30) {
        // Byte-level damage, including invalid UTF-8.
        for _ in 0..1 + rng.below(4) {
            let at = rng.below(text.len());
            text[at] = rng.next() as u8;
        }
    }
    if rng.chance(10) {
        text.truncate(rng.below(text.len()));
    }
    text
}

/// The reference §5.2.3 stmt2 bind body (after the 24-byte header).
const STMT2_BIND_BODY: &str = "01 00 ff ff ff ff 7e 00 00 00 01 00 00 00 01 00 00 00 02 00 00 00 1c 00 00 00 21 00 00 00 3b 00 00 00 03 00 64 31 00 16 00 00 00 16 00 00 00 04 00 00 00 01 00 00 00 00 00 04 00 00 00 01 00 00 00 3f 00 00 00 23 00 00 00 09 00 00 00 02 00 00 00 00 00 00 10 00 00 00 00 68 e5 cf 8b 01 00 00 e8 6b e5 cf 8b 01 00 00 1c 00 00 00 08 00 00 00 02 00 00 00 00 01 01 01 00 00 00 00 00 00 00 01 00 00 00 61";

fn random_binary(rng: &mut Rng, statements: &[String]) -> Vec<u8> {
    if rng.chance(15) {
        // A stmt2 bind, intact or with a few bytes changed, for one of the first statements.
        let mut body: Vec<u8> =
            STMT2_BIND_BODY.split_whitespace().map(|h| u8::from_str_radix(h, 16).unwrap()).collect();
        for _ in 0..rng.below(4) {
            let at = rng.below(body.len());
            body[at] = rng.next() as u8;
        }
        if rng.chance(20) {
            let keep = rng.below(body.len());
            body.truncate(keep);
        }
        return bin_request(rng.next(), 1 + rng.below(4) as u64, 9, &body);
    }
    match rng.below(5) {
        0 => {
            let n = rng.below(64);
            rng.bytes(n)
        }
        1 => {
            // Valid header, random action/body.
            let action = rng.below(14) as u64;
            let body_len = rng.below(40);
            bin_request(rng.next(), rng.below(6) as u64, action, &rng.bytes(body_len))
        }
        2 => fetch_raw_block(rng.next(), rng.below(6) as u64),
        3 => {
            let mut f = binary_query(rng.next(), &statements[rng.below(statements.len())]);
            // Lie about the SQL length or the version now and then.
            match rng.below(4) {
                0 => f[26..30].copy_from_slice(&(rng.next() as u32).to_le_bytes()),
                1 => f[24] = rng.next() as u8,
                2 => {
                    let keep = rng.below(f.len());
                    f.truncate(keep)
                }
                _ => {}
            }
            f
        }
        _ => {
            let pick = rng.below(statements.len());
            let sql = mutate_sql(rng, &statements[pick]);
            binary_query(rng.below(1000) as u64, &sql)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_survives_random_frames_requests_and_sql() {
    let server = start(ServerConfig { port: 0, block_rows: 7, ..ServerConfig::default() }).await.unwrap();
    let addr = server.addr();
    let statements = corpus_statements();
    assert!(statements.len() > 500, "corpus statements are embedded");
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    let deadline = Instant::now() + Duration::from_secs(60);

    // 1. WebSocket: frames on connected sessions (several connections, answers drained).
    let mut sent = 0usize;
    'outer: for _conn in 0..8 {
        let mut c = WsClient::connect(addr).await;
        if rng.chance(80) {
            c.call(r#"{"action":"conn","args":{"req_id":1,"user":"root","password":"taosdata"}}"#).await;
            // Something for stmt2 and schemaless frames to work on.
            for sql in ["create database if not exists fz", "create stable if not exists fz.stb (ts timestamp, v varchar(8)) tags (t int)", "use fz"] {
                c.send_binary(&binary_query(1, sql)).await;
                c.recv_text().await;
            }
            for _ in 0..2 {
                c.call(r#"{"action":"stmt2_init","args":{"req_id":2}}"#).await;
            }
            c.call(r#"{"action":"stmt2_prepare","args":{"req_id":3,"stmt_id":1,"sql":"insert into ? using fz.stb tags(?) values(?,?)","get_fields":true}}"#).await;
        }
        for _ in 0..400 {
            if Instant::now() > deadline {
                break 'outer;
            }
            if rng.chance(50) {
                c.send_text_bytes(&random_json(&mut rng)).await;
            } else {
                c.send_binary(&random_binary(&mut rng, &statements)).await;
            }
            sent += 1;
            if sent.is_multiple_of(25) {
                // `free_result`/`close` answer nothing, so sync on a sentinel request instead of
                // counting replies: everything before it has been answered once it comes back.
                c.send_text(r#"{"action":"version","args":{"req_id":777000777}}"#).await;
                loop {
                    match c.recv().await {
                        Frame::Text(t) if t.contains(r#""req_id":777000777"#) => break,
                        Frame::Text(t) => {
                            let v: serde_json::Value = serde_json::from_str(&t).expect("replies are JSON");
                            assert!(v["code"].is_u64() && v["action"].is_string(), "{t}");
                        }
                        Frame::Binary(_) => {}
                        other => panic!("unexpected {other:?}"),
                    }
                }
            }
        }
        // The session is still alive and answers in order.
        assert_eq!(
            c.call(r#"{"action":"version","args":{"req_id":99}}"#).await,
            format!(
                r#"{{"code":0,"message":"","action":"version","req_id":99,"timing":0,"version":"{}"}}"#,
                taos_testserver::SERVER_VERSION
            )
        );
    }

    // 2. Broken WebSocket framing: reserved bits, bad opcodes, giant lengths, truncated frames.
    for i in 0..200 {
        let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
        let hs = format!(
            "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: {}\r\nSec-WebSocket-Version: 13\r\n\r\n",
            if i % 7 == 0 { "" } else { "dGhlIHNhbXBsZSBub25jZQ==" }
        );
        let _ = s.write_all(hs.as_bytes()).await;
        let n = rng.below(40);
        let _ = s.write_all(&rng.bytes(n)).await;
        drop(s);
        sent += 1;
    }

    // 3. HTTP garbage and random REST statements.
    for _ in 0..300 {
        if Instant::now() > deadline {
            break;
        }
        match rng.below(3) {
            0 => {
                let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
                let n = rng.below(200);
                let _ = s.write_all(&rng.bytes(n)).await;
            }
            1 => {
                let pick = rng.below(statements.len());
                let sql = mutate_sql(&mut rng, &statements[pick]);
                let r = rest_sql(addr, "/rest/sql", &sql).await;
                assert!(r.status == 200 || r.status == 400, "{} for {sql:?}", r.status);
                if !r.body.is_empty() {
                    let v: serde_json::Value = serde_json::from_slice(&r.body).expect("REST answers JSON");
                    assert!(v["code"].is_u64(), "{v}");
                }
            }
            _ => {
                let sql = &statements[rng.below(statements.len())];
                let q = ["", "?tz=Asia/Shanghai", "?row_with_meta=true", "?tz=%ZZ", "?req_id=-1&timing=1"][rng.below(5)];
                let db = ["", "/corpus_s07", "/%00", "/a%2Fb"][rng.below(4)];
                let r = rest_sql(addr, &format!("/rest/sql{db}{q}"), sql).await;
                assert!(matches!(r.status, 200 | 400 | 404), "{} for {sql:?}", r.status);
            }
        }
        sent += 1;
    }
    assert!(sent > 2000, "bounded but substantial: {sent} inputs");

    // 4. Still healthy: ping, a fresh session, and a query answered with a well-formed reply.
    let r = http(addr, "GET", "/-/ping", &[], b"").await;
    assert_eq!(r.status, 200);
    let mut c = WsClient::connect_root(addr).await;
    c.send_binary(&binary_query(4242, "select server_version()")).await;
    let reply: serde_json::Value = serde_json::from_str(&c.recv_text().await).unwrap();
    assert_eq!(reply["action"], "binary_query");
    assert_eq!(reply["req_id"], 4242);
    assert_eq!(reply["code"], 0, "{reply}");
    let id = reply["id"].as_u64().unwrap();
    c.send_binary(&fetch_raw_block(1, id)).await;
    let raw = parse_raw_reply(&c.recv_binary().await);
    let block = raw.block.expect("a block");
    assert_eq!(block_rows(&block), 1);
    let version = taos_testserver::SERVER_VERSION.as_bytes();
    assert!(block.windows(version.len()).any(|w| w == version), "the block carries the version text");
    let r = rest_sql(addr, "/rest/sql", "select server_version()").await;
    assert!(r.text().contains(&format!(r#""data":[["{}"]]"#, taos_testserver::SERVER_VERSION)), "{}", r.text());
    server.shutdown().await;
}
