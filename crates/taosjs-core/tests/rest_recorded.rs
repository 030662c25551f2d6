//! The REST codec against answers a real taosAdapter 3.3.7.5 gave (tests/data/i_rest.jsonl,
//! n_rest_variants.jsonl). The recordings inserted the same rows over REST as `b_types_*` did
//! over WebSocket, so the strongest check is the plain one: the REST answer decodes to the very
//! columns the WebSocket block decodes to, cell by cell.

use base64::Engine as _;
use serde_json::Value;
use taosjs_core::block::{decode_block, DecodedBlock, DecodedColumn, FixedData};
use taosjs_core::message::{parse_binary_reply, JsonReply};
use taosjs_core::rest::{decode_answer, decode_login, decode_probe, RestAnswer, RestTarget, BLOCK_ROWS};
use taosjs_core::{ConnectConfig, DataType, ErrorKind, Precision};

mod common;
use common::cell;

struct Exchange {
    query: String,
    request_headers: Value,
    request: String,
    status: u16,
    body: Vec<u8>,
}

fn http(name: &str, seq: u64) -> Exchange {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["seq"] == seq).unwrap();
    assert_eq!(v["type"], "http", "seq {seq}");
    Exchange {
        query: v["query"].as_str().unwrap_or_default().to_owned(),
        request_headers: v["req_headers"].clone(),
        request: v["req_body"]["text"].as_str().unwrap_or_default().to_owned(),
        status: v["status"].as_u64().unwrap() as u16,
        body: v["resp_body"]["text"].as_str().unwrap_or_default().as_bytes().to_vec(),
    }
}

fn answer(name: &str, seq: u64) -> RestAnswer {
    let x = http(name, seq);
    decode_answer(x.status, &x.body).unwrap()
}

fn ws_block(name: &str, seq: u64) -> DecodedBlock {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["seq"] == seq).unwrap();
    let bytes = base64::engine::general_purpose::STANDARD.decode(v["b64"].as_str().unwrap()).unwrap();
    decode_block(&bytes[parse_binary_reply(&bytes).unwrap().block.unwrap()]).unwrap()
}

fn ws_query_info(name: &str, seq: u64) -> taosjs_core::QueryInfo {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    let v: Value = text.lines().map(|l| serde_json::from_str::<Value>(l).unwrap()).find(|v| v["seq"] == seq).unwrap();
    JsonReply::parse(v["text"].as_str().unwrap()).unwrap().query_info().unwrap()
}


fn assert_same_columns(rest: &DecodedBlock, ws: &DecodedBlock, skip: &[usize]) {
    assert_eq!((rest.rows, rest.columns.len()), (ws.rows, ws.columns.len()));
    for (c, (a, b)) in rest.columns.iter().zip(&ws.columns).enumerate() {
        assert_eq!(a.ty(), b.ty(), "column {c} type");
        if skip.contains(&c) {
            continue;
        }
        for row in 0..rest.rows {
            assert_eq!(cell(a, row), cell(b, row), "row {row} column {c} ({:?})", a.ty());
        }
    }
}

#[test]
fn every_type_in_milliseconds_decodes_to_the_websocket_columns() {
    let rest = answer("i_rest.jsonl", 27);
    assert!(rest.has_rows);
    assert_eq!(rest.precision, Precision::Millisecond);
    // Names, types, lengths and decimal precision/scale as binary_query describes them.
    assert_eq!(rest.fields, ws_query_info("b_types_ms.jsonl", 24).fields);
    assert_eq!(rest.blocks.len(), 1);
    assert_same_columns(&rest.blocks[0], &ws_block("b_types_ms.jsonl", 26), &[]);
}

#[test]
fn every_type_in_nanoseconds_keeps_every_digit() {
    let rest = answer("i_rest.jsonl", 35);
    assert_eq!(rest.precision, Precision::Nanosecond);
    let ws = ws_block("b_types_ns.jsonl", 26);
    assert_same_columns(&rest.blocks[0], &ws, &[]);
    let DecodedColumn::Fixed { data: FixedData::I64(ts), .. } = &rest.blocks[0].columns[0] else { panic!() };
    assert_eq!(ts[1], 1_700_000_000_000_000_500);
}

#[test]
fn every_type_in_microseconds() {
    let rest = answer("i_rest.jsonl", 31);
    assert_eq!(rest.precision, Precision::Microsecond);
    let b = &rest.blocks[0];
    let DecodedColumn::Fixed { data: FixedData::I64(ts), .. } = &b.columns[0] else { panic!() };
    assert_eq!(ts, &[1_700_000_000_000_000, 1_700_000_000_000_500, 1_700_000_000_000_501, 1_700_000_000_001_000, 1_700_000_000_002_000]);
    // Apart from the timestamps, rows (0, 3, 4, 1, 2) of the millisecond WebSocket block.
    let ms = ws_block("b_types_ms.jsonl", 26);
    for (row, ms_row) in [0, 3, 4, 1, 2].into_iter().enumerate() {
        for col in 1..28 {
            assert_eq!(cell(&b.columns[col], row), cell(&ms.columns[col], ms_row), "row {row} column {col}");
        }
    }
}

#[test]
fn json_tags_keep_the_text_the_websocket_path_gets() {
    let rest = answer("i_rest.jsonl", 28);
    let ws = ws_block("b_types_ms.jsonl", 33);
    assert_eq!(rest.fields.iter().map(|f| f.ty).collect::<Vec<_>>(), [DataType::VarChar, DataType::Timestamp, DataType::Int, DataType::NChar, DataType::Json]);
    assert_same_columns(&rest.blocks[0], &ws, &[]);
    assert_eq!(rest.blocks[0].columns[4].var_value(0).unwrap(), r#"{"b":true,"k":"v","n":1.5,"u":"中","z":null}"#.as_bytes());
}

#[test]
fn any_time_zone_reads_back_to_the_same_instants() {
    // tz=Asia/Shanghai (+08:00), tz=America/New_York on ns, tz=Asia/Kolkata (+05:30) on µs.
    for (seq, precision, first) in [
        (46, Precision::Millisecond, 1_700_000_000_000i64),
        (47, Precision::Nanosecond, 1_700_000_000_000_000_000),
        (48, Precision::Microsecond, 1_700_000_000_000_000),
    ] {
        let x = http("i_rest.jsonl", seq);
        assert!(x.query.starts_with("tz="), "seq {seq}: {}", x.query);
        let a = decode_answer(x.status, &x.body).unwrap();
        assert_eq!(a.precision, precision);
        let DecodedColumn::Fixed { data: FixedData::I64(ts), .. } = &a.blocks[0].columns[0] else { panic!() };
        assert_eq!(ts[0], first, "seq {seq}");
    }
}

#[test]
fn statements_without_rows_report_affected_rows() {
    let a = answer("i_rest.jsonl", 7);
    assert!(!a.has_rows);
    assert_eq!(a.affected_rows, 3);
    assert!(a.fields.is_empty() && a.blocks.is_empty());
    let ddl = answer("i_rest.jsonl", 3);
    assert_eq!((ddl.has_rows, ddl.affected_rows), (false, 0));
}

#[test]
fn empty_results_have_columns_and_no_blocks() {
    let x = http("i_rest.jsonl", 60);
    assert!(x.request.contains("ts < 0"), "{}", x.request);
    let a = decode_answer(x.status, &x.body).unwrap();
    assert!(a.has_rows);
    assert_eq!(a.fields.len(), 19);
    assert!(a.blocks.is_empty());
}

#[test]
fn server_errors_keep_tdengine_s_code_and_class() {
    let cases: &[(&str, u64, ErrorKind, i32, &str)] = &[
        ("i_rest.jsonl", 40, ErrorKind::Query, 9728, "syntax error"),
        ("i_rest.jsonl", 41, ErrorKind::Query, 9731, "Table does not exist"),
        ("i_rest.jsonl", 42, ErrorKind::Query, 904, "Database not exist"),
        // Missing / bad Authorization: HTTP 401.
        ("i_rest.jsonl", 63, ErrorKind::Connection, 4357, "no auth info input"),
        ("i_rest.jsonl", 65, ErrorKind::Connection, 4388, "invalid basic Authorization"),
        ("i_rest.jsonl", 66, ErrorKind::Connection, 4386, "invalid type of Authorization"),
        // A wrong password is HTTP 200 with 855.
        ("i_rest.jsonl", 64, ErrorKind::Connection, 855, "Authentication failure"),
        // Bad parameters, an empty statement: HTTP 400.
        ("i_rest.jsonl", 52, ErrorKind::Query, 65535, "unknown time zone Bad/Zone"),
        ("i_rest.jsonl", 55, ErrorKind::Query, 4358, "request is empty"),
        ("i_rest.jsonl", 56, ErrorKind::Query, 4359, "no sql input"),
        // taospy's `?token=`: refused.
        ("n_rest_variants.jsonl", 18, ErrorKind::Connection, 4357, "no auth info input"),
    ];
    for &(file, seq, kind, code, text) in cases {
        let x = http(file, seq);
        let e = decode_answer(x.status, &x.body).unwrap_err();
        assert_eq!((e.kind, e.errno), (kind, Some(code)), "{file} seq {seq}: {e}");
        assert!(e.message.contains(text), "{file} seq {seq}: {e}");
    }
}

#[test]
fn a_probe_reads_the_version_and_a_refusal_is_a_connection_error_with_its_code() {
    let ok = br#"{"code":0,"column_meta":[["server_version()","VARCHAR",7]],"data":[["3.3.7.5"]],"rows":1}"#;
    assert_eq!(decode_probe(200, ok).unwrap(), "3.3.7.5");
    // A bad time zone refuses every request alike: the probe says so as a connection error.
    let x = http("i_rest.jsonl", 52);
    let e = decode_probe(x.status, &x.body).unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Connection, Some(65535)));
    // No code (not taosAdapter answering): the kind decode_answer gives, so a driver tries on.
    let e = decode_probe(404, b"404 page not found").unwrap_err();
    assert_eq!(e.errno, None);
}

#[test]
fn a_404_page_is_a_connection_error_that_says_what_answered() {
    let x = http("i_rest.jsonl", 69);
    assert_eq!(x.status, 404);
    let e = decode_answer(x.status, &x.body).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("HTTP 404") && e.message.contains("404 page not found") && e.message.contains("REST endpoint"), "{e}");
}

#[test]
fn login_answers_the_token_the_recorded_requests_authorise_with() {
    let login = http("i_rest.jsonl", 68);
    let token = decode_login(login.status, &login.body).unwrap();
    let authorised = http("i_rest.jsonl", 67);
    assert_eq!(authorised.request_headers["authorization"], format!("Taosd {token}"));
    assert_eq!(answer("i_rest.jsonl", 67).blocks[0].rows, 1);
    // Our request for the same token carries it the same way.
    let mut config = ConnectConfig::from_dsn("http://127.0.0.1:6041").unwrap();
    config.token = Some(token.clone());
    let ours = RestTarget::new(&config, &config.endpoints[0]).unwrap().sql("select 1", None);
    assert!(ours.headers.contains(&("authorization", format!("Taosd {token}"))));
}

#[test]
fn rows_as_objects_are_refused_by_name() {
    let x = http("n_rest_variants.jsonl", 24);
    assert!(x.query.contains("row_with_meta=true"), "{}", x.query);
    let e = decode_answer(x.status, &x.body).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Result);
    assert!(e.message.contains("row_with_meta"), "{e}");
}

#[test]
fn every_truncation_of_an_answer_is_an_error_never_a_panic() {
    let x = http("i_rest.jsonl", 27);
    for cut in 0..x.body.len() {
        let e = decode_answer(200, &x.body[..cut]).unwrap_err();
        assert!(matches!(e.kind, ErrorKind::Result), "cut {cut}: {e}");
    }
    let e = decode_answer(200, &x.body[..x.body.len() / 2]).unwrap_err();
    assert!(e.message.contains("truncated"), "{e}");
}

#[test]
fn mutated_answers_never_panic() {
    let x = http("i_rest.jsonl", 27);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..20_000 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut body = x.body.clone();
        let at = (seed as usize) % body.len();
        body[at] = (seed >> 32) as u8;
        let _ = decode_answer(200, &body);
    }
}

#[test]
fn an_empty_answer_names_the_likely_cause() {
    let e = decode_answer(200, b"").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Result);
    assert!(e.message.contains("empty body") && e.message.contains("Infinity"), "{e}");
    let e = decode_answer(502, b"<html><body>Bad Gateway</body></html>").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Operational);
    assert!(e.message.contains("HTTP 502") && e.message.contains("Bad Gateway"), "{e}");
    let e = decode_answer(503, br#"{"code":65533,"desc":"request rejected","timing":1}"#).unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Operational, Some(65533)));
    assert!(e.message.contains("HTTP 503"), "{e}");
    let e = decode_answer(200, b"<!DOCTYPE html>").unwrap_err();
    assert_eq!(e.kind, ErrorKind::Result);
    assert!(e.message.contains("not taosAdapter's JSON"), "{e}");
}

#[test]
fn numbers_beyond_2_pow_53_and_float32_digits_are_exact() {
    let body = br#"{"code":0,"column_meta":[["a","BIGINT",8],["b","BIGINT UNSIGNED",8],["f","FLOAT",4],["d","DOUBLE",8]],
        "data":[[9007199254740993,18446744073709551615,0.1,1e-7],[-9223372036854775808,0,16777216,1e+21]],"rows":2}"#;
    let a = decode_answer(200, body).unwrap();
    let c = &a.blocks[0].columns;
    assert!(matches!(&c[0], DecodedColumn::Fixed { data: FixedData::I64(v), .. } if v == &[9_007_199_254_740_993, i64::MIN]));
    assert!(matches!(&c[1], DecodedColumn::Fixed { data: FixedData::U64(v), .. } if v == &[u64::MAX, 0]));
    assert!(matches!(&c[2], DecodedColumn::Fixed { data: FixedData::F32(v), .. } if v == &[0.1f32, 16_777_216.0]));
    assert!(matches!(&c[3], DecodedColumn::Fixed { data: FixedData::F64(v), .. } if v == &[1e-7, 1e21]));
    let e = decode_answer(200, br#"{"code":0,"column_meta":[["a","TINYINT",1]],"data":[[128]],"rows":1}"#).unwrap_err();
    assert!(e.message.contains("row 0") && e.message.contains("`a`") && e.message.contains("128"), "{e}");
}

#[test]
fn large_results_come_in_blocks_of_at_most_block_rows() {
    let rows = BLOCK_ROWS * 2 + 5;
    let mut body = String::from(r#"{"code":0,"column_meta":[["v","INT",4],["s","VARCHAR",8]],"data":["#);
    for i in 0..rows {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&format!(r#"[{i},"r{i}"]"#));
    }
    body.push_str(&format!(r#"],"rows":{rows}}}"#));
    let a = decode_answer(200, body.as_bytes()).unwrap();
    assert_eq!(a.blocks.iter().map(|b| b.rows).collect::<Vec<_>>(), [BLOCK_ROWS, BLOCK_ROWS, 5]);
    assert_eq!(a.blocks[2].columns[1].var_value(4).unwrap(), format!("r{}", rows - 1).as_bytes());
    let short = body.replace(&format!(r#""rows":{rows}"#), r#""rows":1"#);
    assert!(decode_answer(200, short.as_bytes()).unwrap_err().message.contains("truncated"));
}
