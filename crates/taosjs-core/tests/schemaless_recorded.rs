//! Schemaless `insert` against a real taosAdapter 3.3.7.5 (tests/data/g2_schemaless.jsonl): our
//! requests say what the recorded ones said, and the recorded replies and errors come out as
//! results and Schemaless errors with TDengine's codes.

mod common;

use common::*;
use serde_json::Value;
use taosjs_core::{
    ErrorKind, Reply, SchemalessPrecision, SchemalessProtocol, SchemalessRequest, SchemalessResult,
};

fn lines(data: &str) -> Vec<String> {
    data.split('\n').map(str::to_owned).collect()
}

/// The recorded request's args, `table_name_key` absent or null read as "" (no key).
fn recorded_args(r: &[(u64, taosjs_core::Frame)], seq: u64) -> Value {
    let mut args = json(&at(r, seq))["args"].clone();
    if args["table_name_key"].is_null() {
        args["table_name_key"] = Value::from("");
    }
    args
}

/// Sends `request`, checks its args against the recorded request (all but `req_id` unless the
/// request chose one), answers with the recorded reply.
fn insert(h: &mut Harness, r: &[(u64, taosjs_core::Frame)], request: &SchemalessRequest, seqs: (u64, u64)) -> Result<Reply, taosjs_core::Error> {
    let call = h.session.schemaless_insert(request.clone());
    let sent = h.one_sent();
    let ours = json(&sent);
    assert_eq!(ours["action"], "insert");
    let mut expected = recorded_args(r, seqs.0);
    if request.req_id.is_none() {
        expected["req_id"] = ours["args"]["req_id"].clone();
    }
    assert_eq!(ours["args"], expected);
    h.answer(&sent, at(r, seqs.1));
    h.outcome(call)
}

#[test]
fn line_telnet_and_json_requests_match_the_recording() {
    let r = load("g2_schemaless.jsonl");
    let mut h = Harness::connected(&r, 3, 79);
    let data = json(&at(&r, 80))["args"]["data"].as_str().unwrap().to_owned();
    let request = SchemalessRequest::new(lines(&data), SchemalessProtocol::Line, SchemalessPrecision::Milliseconds);
    assert_eq!(
        insert(&mut h, &r, &request, (80, 81)),
        Ok(Reply::Schemaless(SchemalessResult { affected_rows: 2, total_rows: 2 }))
    );

    let request = SchemalessRequest::new(
        vec!["rawb_m2,t=1 v=1i 1710000000000000000".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::NotConfigured,
    );
    assert!(insert(&mut h, &r, &request, (82, 83)).is_ok());

    let request = SchemalessRequest::new(
        vec!["rawb_tel 1700000000 1.5 host=a".into()],
        SchemalessProtocol::Telnet,
        SchemalessPrecision::Seconds,
    );
    assert!(insert(&mut h, &r, &request, (86, 87)).is_ok());

    // OpenTSDB JSON: the document is the data; two points count as one parsed row.
    let doc = json(&at(&r, 88))["args"]["data"].as_str().unwrap().to_owned();
    let request = SchemalessRequest::new(vec![doc], SchemalessProtocol::Json, SchemalessPrecision::Milliseconds);
    assert_eq!(
        insert(&mut h, &r, &request, (88, 89)),
        Ok(Reply::Schemaless(SchemalessResult { affected_rows: 2, total_rows: 1 }))
    );

    let mut request = SchemalessRequest::new(
        vec!["rawb_k,t=1,tbn=child_a v=1i 1710000000002".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::Milliseconds,
    );
    request.table_name_key = Some("tbn".into());
    assert!(insert(&mut h, &r, &request, (94, 95)).is_ok());
}

#[test]
fn microseconds_go_out_as_u_never_us() {
    let request = SchemalessRequest::new(
        vec!["m,t=1 v=1i 1710000000000000".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::parse("us").unwrap(),
    );
    let text = taosjs_core::schemaless::insert_request(1, &request);
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["args"]["precision"], "u");
}

#[test]
fn caller_req_id_ttl_and_lines_go_out_as_given() {
    let r = load("g2_schemaless.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let data = json(&at(&r, 13))["args"]["data"].as_str().unwrap().to_owned();
    let mut request = SchemalessRequest::new(lines(&data), SchemalessProtocol::Line, SchemalessPrecision::Milliseconds);
    request.ttl = 1;
    request.req_id = Some(101);
    assert_eq!(
        insert(&mut h, &r, &request, (13, 14)),
        Ok(Reply::Schemaless(SchemalessResult { affected_rows: 2, total_rows: 2 }))
    );
}

#[test]
fn refusals_are_schemaless_errors_with_tdengine_codes_naming_the_line() {
    let r = load("g2_schemaless.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let mut request = SchemalessRequest::new(
        vec!["tel_metric 1710000000000000 4 host=host0 interface=eth0".into()],
        SchemalessProtocol::Telnet,
        SchemalessPrecision::Milliseconds,
    );
    request.ttl = 2;
    request.req_id = Some(102);
    let e = insert(&mut h, &r, &request, (37, 38)).unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Schemaless, Some(295)));
    assert!(e.message.contains("SML telnet parse timestamp failed"), "{}", e.message);

    // With several lines, the error names the one the server quotes.
    let call = h.session.schemaless_insert(SchemalessRequest::new(
        vec!["ok 1710000000000 1 host=a".into(), "tel_metric 1710000000000000 4 host=host0 interface=eth0".into()],
        SchemalessProtocol::Telnet,
        SchemalessPrecision::Milliseconds,
    ));
    let sent = h.one_sent();
    h.answer(&sent, at(&r, 38));
    let e = h.outcome(call).unwrap_err();
    assert!(e.message.contains("(line 2: tel_metric"), "{}", e.message);

    let call = h.session.schemaless_insert(SchemalessRequest::new(
        vec!["bad".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::Milliseconds,
    ));
    let sent = h.one_sent();
    h.answer(&sent, at(&r, 93));
    let e = h.outcome(call).unwrap_err();
    assert_eq!((e.kind, e.errno, e.message.as_str()), (ErrorKind::Schemaless, Some(12290), "SML line cols is empty (line 1: bad)"));
}
