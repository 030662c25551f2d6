//! The decoder and the Session against frames a real taosAdapter 3.3.7.5 sent (tests/data).
//! Expected values come from the SQL the recording inserted, not from our own decoder.

use base64::Engine as _;
use serde_json::Value;
use taosjs_core::block::{decode_block, DecodedColumn, FixedData};
use taosjs_core::message::{parse_binary_reply, JsonReply};
use taosjs_core::{CallId, DataType, ErrorKind, Event, Frame, Precision, Reply, Session, SessionOptions};

mod common;
use common::cell;

struct Recorded {
    seq: u64,
    frame: Frame,
}

fn load(name: &str) -> Vec<Recorded> {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(path).unwrap();
    text.lines()
        .filter_map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            if v["type"] != "ws" {
                return None;
            }
            let frame = match v["opcode"].as_str().unwrap() {
                "text" => Frame::Text(v["text"].as_str().unwrap().to_owned()),
                _ => Frame::Binary(base64::engine::general_purpose::STANDARD.decode(v["b64"].as_str().unwrap()).unwrap().into()),
            };
            Some(Recorded {
                seq: v["seq"].as_u64().unwrap(),
                frame,
            })
        })
        .collect()
}

fn frame(records: &[Recorded], seq: u64) -> Frame {
    records.iter().find(|r| r.seq == seq).unwrap().frame.clone()
}

fn block_at(records: &[Recorded], seq: u64) -> Vec<u8> {
    let Frame::Binary(bytes) = frame(records, seq) else { panic!("seq {seq} is not binary") };
    let range = parse_binary_reply(&bytes).unwrap().block.expect("a data frame");
    bytes[range].to_vec()
}

fn texts(col: &DecodedColumn, rows: usize) -> Vec<Option<String>> {
    (0..rows).map(|r| col.var_value(r).map(|b| String::from_utf8(b.to_vec()).unwrap())).collect()
}

fn bytes(col: &DecodedColumn, rows: usize) -> Vec<Option<Vec<u8>>> {
    (0..rows).map(|r| col.var_value(r).map(<[u8]>::to_vec)).collect()
}

fn s(v: &str) -> Option<String> {
    Some(v.to_owned())
}

fn fixed(col: &DecodedColumn) -> (&[u8], &FixedData) {
    match col {
        DecodedColumn::Fixed { nulls, data, .. } => (nulls, data),
        other => panic!("expected a fixed column, got {other:?}"),
    }
}

/// `select * from stb_all order by ts` in b_types_ms: d1 (3 rows, the last all NULL) then d2
/// (2 rows, only ts/c_i32/c_nc set, NULL tags).
fn check_stb_all(block: &[u8]) {
    let b = decode_block(block).unwrap();
    assert_eq!(b.rows, 5);
    assert_eq!(b.columns.len(), 29);
    let c = &b.columns;
    assert_eq!(
        fixed(&c[0]).1,
        &FixedData::I64(vec![1_700_000_000_000, 1_700_000_000_001, 1_700_000_000_002, 1_700_000_000_500, 1_700_000_000_501])
    );
    let (nulls, data) = fixed(&c[1]);
    assert_eq!(nulls, &[0, 0, 1, 1, 1]);
    let FixedData::Bool(v) = data else { panic!() };
    assert_eq!(&v[..2], &[1, 0]);
    let FixedData::I8(v) = fixed(&c[2]).1 else { panic!() };
    assert_eq!(&v[..2], &[-128, 127]);
    let FixedData::I16(v) = fixed(&c[3]).1 else { panic!() };
    assert_eq!(&v[..2], &[-32768, 32767]);
    let (nulls, FixedData::I32(v)) = fixed(&c[4]) else { panic!() };
    assert_eq!(nulls, &[0, 0, 1, 0, 1]);
    assert_eq!((v[0], v[1], v[3]), (i32::MIN, i32::MAX, 42));
    let FixedData::I64(v) = fixed(&c[5]).1 else { panic!() };
    assert_eq!(&v[..2], &[-9223372036854775807, 9223372036854775807]);
    let FixedData::U8(v) = fixed(&c[6]).1 else { panic!() };
    assert_eq!(&v[..2], &[255, 0]);
    let FixedData::U16(v) = fixed(&c[7]).1 else { panic!() };
    assert_eq!(&v[..2], &[65535, 0]);
    let FixedData::U32(v) = fixed(&c[8]).1 else { panic!() };
    assert_eq!(&v[..2], &[4294967295, 0]);
    let FixedData::U64(v) = fixed(&c[9]).1 else { panic!() };
    assert_eq!(&v[..2], &[u64::MAX, 0]);
    let FixedData::F32(v) = fixed(&c[10]).1 else { panic!() };
    assert_eq!(&v[..2], &[3.5, -1.25e10]);
    let FixedData::F64(v) = fixed(&c[11]).1 else { panic!() };
    assert_eq!(&v[..2], &[2.25, -0.5e-300]);
    assert_eq!(texts(&c[12], 5), vec![s("hello"), s(""), None, None, None]);
    assert_eq!(c[13].ty(), DataType::NChar);
    assert_eq!(texts(&c[13], 5), vec![s("温度°C😀"), s(""), None, s("ü'q\""), s("x")]);
    assert_eq!(bytes(&c[14], 5), vec![Some(vec![1, 2, 0xff]), Some(vec![]), None, None, None]);
    // POINT(1.5 -2) as little-endian WKB.
    let mut point = vec![1u8, 1, 0, 0, 0];
    point.extend_from_slice(&1.5f64.to_le_bytes());
    point.extend_from_slice(&(-2f64).to_le_bytes());
    let geo = bytes(&c[15], 5);
    assert_eq!(geo[0].as_deref(), Some(&point[..]));
    assert_eq!(&geo[1].as_ref().unwrap()[..5], &[1, 2, 0, 0, 0], "LINESTRING");
    assert_eq!(c[16].ty(), DataType::Decimal64);
    assert_eq!(texts(&c[16], 5), vec![s("12.34"), s("-0.01"), None, None, None]);
    assert_eq!(c[17].ty(), DataType::Decimal);
    assert_eq!(texts(&c[17], 5), vec![s("-12345678901234567890.0123456789"), s("0.0000000000"), None, None, None]);
    assert_eq!(c[18].ty(), DataType::Blob);
    assert_eq!(bytes(&c[18], 5), vec![Some(vec![0xde, 0xad, 0xbe, 0xef]), Some(vec![]), None, None, None]);
    // Tags: d1 has values, d2 all NULL.
    let (nulls, FixedData::I32(v)) = fixed(&c[19]) else { panic!() };
    assert_eq!(nulls, &[0, 0, 0, 1, 1]);
    assert_eq!(v[0], 1);
    assert_eq!(texts(&c[24], 5), vec![s("tag-vc"), s("tag-vc"), s("tag-vc"), None, None]);
    assert_eq!(texts(&c[25], 5), vec![s("标签"), s("标签"), s("标签"), None, None]);
    assert_eq!(bytes(&c[26], 5)[0].as_deref(), Some(&[0x0a, 0x0b][..]));
    let (nulls, FixedData::I64(v)) = fixed(&c[28]) else { panic!() };
    assert_eq!(nulls, &[0, 0, 0, 1, 1]);
    assert_eq!(v[0], 1_700_000_000_000);
}


#[test]
fn every_type_in_a_millisecond_block() {
    let r = load("b_types_ms.jsonl");
    check_stb_all(&block_at(&r, 26));
}

#[test]
fn every_type_in_a_nanosecond_block() {
    let r = load("b_types_ns.jsonl");
    let b = decode_block(&block_at(&r, 26)).unwrap();
    let FixedData::I64(ts) = fixed(&b.columns[0]).1 else { panic!() };
    // d1 at +0/+1/+2 ms, d2 at +500/+501 ns, so the d2 rows sort second.
    assert_eq!(ts, &[1_700_000_000_000_000_000, 1_700_000_000_000_000_500, 1_700_000_000_000_000_501, 1_700_000_000_001_000_000, 1_700_000_000_002_000_000]);
    let FixedData::I64(t_ts) = fixed(&b.columns[28]).1 else { panic!() };
    assert_eq!(t_ts[0], 1_700_000_000_000_000_000);
    // Every other value matches the ms recording's rows (0, 3, 4, 1, 2).
    let ms = load("b_types_ms.jsonl");
    let m = decode_block(&block_at(&ms, 26)).unwrap();
    for (row, ms_row) in [0, 3, 4, 1, 2].into_iter().enumerate() {
        for col in 1..28 {
            assert_eq!(cell(&b.columns[col], row), cell(&m.columns[col], ms_row), "row {row} column {col}");
        }
    }
}

#[test]
fn json_tags_and_tbname_decode_as_text() {
    let r = load("b_types_ms.jsonl");
    let info = match frame(&r, 30) {
        Frame::Text(t) => JsonReply::parse(&t).unwrap().query_info().unwrap(),
        _ => panic!(),
    };
    assert_eq!(info.fields.iter().map(|f| f.ty).collect::<Vec<_>>(), [DataType::VarChar, DataType::Timestamp, DataType::Int, DataType::NChar, DataType::Json]);
    let b = decode_block(&block_at(&r, 33)).unwrap();
    let tj = texts(&b.columns[4], b.rows);
    let tbname = texts(&b.columns[0], b.rows);
    let j1 = tbname.iter().position(|t| t.as_deref() == Some("j1")).unwrap();
    let parsed: Value = serde_json::from_str(tj[j1].as_deref().unwrap()).unwrap();
    assert_eq!(parsed["u"], "中");
    assert_eq!(parsed["n"], 1.5);
}

#[test]
fn query_reply_describes_decimals_and_precision() {
    let r = load("b_types_ns.jsonl");
    let Frame::Text(t) = frame(&r, 24) else { panic!() };
    let info = JsonReply::parse(&t).unwrap().query_info().unwrap();
    assert_eq!(info.result_id, 1);
    assert!(!info.is_update);
    assert_eq!(info.precision, Precision::Nanosecond);
    assert_eq!(info.fields.len(), 29);
    let d128 = &info.fields[17];
    assert_eq!((d128.name.as_str(), d128.ty, d128.bytes, d128.precision, d128.scale), ("c_d128", DataType::Decimal, 16, 30, 10));
    assert_eq!(info.fields[13].bytes, 16, "NCHAR(16) is reported in characters");
}

// ---------------------------------------------------------------------------------------------
// Session: replay the server side of recorded conversations.

/// Drives a session through recorded server frames, rewriting `req_id`s to the ones the session
/// chose (the recording's client chose others).
struct Harness {
    session: Session,
    sent: Vec<Frame>,
}

impl Harness {
    fn new(options: SessionOptions) -> Self {
        Harness { session: Session::new(options), sent: Vec::new() }
    }

    fn drain(&mut self) -> Vec<Frame> {
        let mut out = Vec::new();
        while let Some(f) = self.session.poll_transmit() {
            out.push(f.clone());
            self.sent.push(f);
        }
        out
    }

    fn events(&mut self) -> Vec<(CallId, Result<Reply, taosjs_core::Error>)> {
        let mut out = Vec::new();
        while let Some(Event::Completed { call, outcome }) = self.session.poll_event() {
            out.push((call, outcome));
        }
        out
    }

    /// Feeds a recorded server frame as the answer to `request` (a frame the session sent).
    fn answer(&mut self, request: &Frame, recorded: Frame) {
        let req_id = request_id(request);
        let frame = match recorded {
            Frame::Text(t) => {
                let mut v: Value = serde_json::from_str(&t).unwrap();
                v["req_id"] = Value::from(req_id);
                Frame::Text(v.to_string())
            }
            Frame::Binary(b) => {
                let mut b = Vec::from(b);
                b[26..34].copy_from_slice(&req_id.to_le_bytes());
                Frame::Binary(b.into())
            }
            other => other,
        };
        self.session.handle_frame(frame);
    }
}

fn request_id(f: &Frame) -> u64 {
    match f {
        Frame::Text(t) => {
            let v: Value = serde_json::from_str(t).unwrap();
            v["args"]["req_id"].as_u64().unwrap_or(0)
        }
        Frame::Binary(b) => u64::from_le_bytes(b[0..8].try_into().unwrap()),
        Frame::Close | Frame::Ping(_) | Frame::Pong(_) => 0,
    }
}

fn json(f: &Frame) -> Value {
    match f {
        Frame::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn root() -> SessionOptions {
    SessionOptions { user: "root".into(), password: "taosdata".into(), ..Default::default() }
}

fn connected(r: &[Recorded], version_seq: u64, conn_seq: u64) -> Harness {
    let mut h = Harness::new(root());
    let call = h.session.connect(taosjs_core::Instant::ZERO);
    let sent = h.drain();
    assert_eq!(json(&sent[0]), serde_json::json!({"action": "version"}));
    assert_eq!(json(&sent[1])["action"], "conn");
    assert_eq!(json(&sent[1])["args"]["password"], "taosdata");
    assert_eq!(json(&sent[1])["args"]["db"], "");
    h.answer(&sent[1], frame(r, conn_seq));
    assert!(h.events().is_empty(), "connect waits for the version reply too");
    h.answer(&sent[0], frame(r, version_seq));
    assert_eq!(h.events(), vec![(call, Ok(Reply::Connected { server_version: "3.3.7.5.alpha".into() }))]);
    h
}

#[test]
fn query_fetch_to_the_end_then_free_sends_nothing() {
    let r = load("b_types_ms.jsonl");
    let mut h = connected(&r, 4, 6);
    let q = h.session.query("select * from wire_ms.stb_all order by ts", None);
    let sent = h.drain();
    // The same bytes the recorded client sent, apart from the req_id.
    let Frame::Binary(ours) = &sent[0] else { panic!() };
    let Frame::Binary(theirs) = frame(&r, 23) else { panic!() };
    assert_eq!(&ours[8..], &theirs[8..]);
    h.answer(&sent[0], frame(&r, 24));
    let info = match h.events().pop().unwrap() {
        (call, Ok(Reply::Query(info))) if call == q => info,
        other => panic!("{other:?}"),
    };
    assert_eq!(info.result_id, 1);
    assert_eq!(h.session.open_results(), 1);

    let f = h.session.fetch_block(1);
    let sent = h.drain();
    let Frame::Binary(req) = &sent[0] else { panic!() };
    assert_eq!(&req[8..], &fetch_template(&r, 25)[8..]);
    h.answer(&sent[0], frame(&r, 26));
    let (call, outcome) = h.events().pop().unwrap();
    assert_eq!(call, f);
    let Ok(Reply::Block(Some(block))) = outcome else { panic!("{outcome:?}") };
    check_stb_all(block.raw());

    let f = h.session.fetch_block(1);
    let sent = h.drain();
    h.answer(&sent[0], frame(&r, 28));
    assert_eq!(h.events(), vec![(f, Ok(Reply::Block(None)))]);
    assert_eq!(h.session.open_results(), 0, "the server freed it by finishing");

    // Fetching again answers locally; freeing a finished result sends nothing.
    let f = h.session.fetch_block(1);
    assert_eq!(h.events(), vec![(f, Ok(Reply::Block(None)))]);
    h.session.free_result(1);
    assert!(h.drain().is_empty());
    let f = h.session.fetch_block(1);
    let (call, Err(e)) = h.events().pop().unwrap() else { panic!() };
    assert_eq!((call, e.kind), (f, ErrorKind::Result));
}

fn fetch_template(r: &[Recorded], seq: u64) -> Vec<u8> {
    match frame(r, seq) {
        Frame::Binary(b) => b.into(),
        _ => panic!(),
    }
}

#[test]
fn free_before_the_end_sends_free_result_once_and_close_frees_the_rest() {
    let r = load("b_types_ms.jsonl");
    let mut h = connected(&r, 4, 6);
    for reply_seq in [24, 30] {
        h.session.query("select …", None);
        let sent = h.drain();
        h.answer(&sent[0], frame(&r, reply_seq));
    }
    h.events();
    assert_eq!(h.session.open_results(), 2);
    h.session.free_result(1);
    h.session.free_result(1);
    let sent = h.drain();
    assert_eq!(sent.len(), 1, "freed exactly once");
    assert_eq!(json(&sent[0])["action"], "free_result");
    assert_eq!(json(&sent[0])["args"]["id"], 1);
    h.session.close(taosjs_core::Instant::ZERO);
    let sent = h.drain();
    assert_eq!(sent.len(), 2, "the last free, then the goodbye");
    assert_eq!(json(&sent[0])["args"]["id"], 2);
    assert_eq!(sent[1], Frame::Close);
    let q = h.session.query("select 1", None);
    let (call, Err(e)) = h.events().pop().unwrap() else { panic!() };
    assert_eq!((call, e.kind), (q, ErrorKind::Connection));
}

#[test]
fn wrong_password_fails_connect_with_855() {
    let r = load("d_errors.jsonl");
    let mut h = Harness::new(SessionOptions { password: "wrongpass".into(), ..root() });
    let call = h.session.connect(taosjs_core::Instant::ZERO);
    let sent = h.drain();
    h.answer(&sent[0], frame(&r, 31));
    h.answer(&sent[1], frame(&r, 33));
    let events = h.events();
    assert_eq!(events.len(), 1);
    let (c, Err(e)) = &events[0] else { panic!("{events:?}") };
    assert_eq!(*c, call);
    assert_eq!((e.kind, e.errno, e.message.as_str()), (ErrorKind::Connection, Some(855), "Authentication failure"));
    assert!(!e.to_string().contains("wrongpass"));
    assert!(h.session.is_closed());
}

#[test]
fn server_errors_on_queries_carry_code_and_text() {
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    for (seq, code, text) in [(17, 9728, "syntax error near \"selec 1\""), (19, 9731, "Table does not exist"), (21, 904, "Database not exist"), (92, 534, "syntax error near 'true)' (invalid int data)")] {
        let q = h.session.query("whatever", None);
        let sent = h.drain();
        h.answer(&sent[0], frame(&r, seq));
        let (call, Err(e)) = h.events().pop().unwrap() else { panic!() };
        assert_eq!(call, q);
        assert_eq!((e.kind, e.errno, e.message.as_str()), (ErrorKind::Query, Some(code), text));
    }
    assert_eq!(h.session.open_results(), 0);
}

#[test]
fn fetch_error_frame_is_a_query_error_and_the_result_is_gone() {
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    h.session.query("select server_version()", None);
    let sent = h.drain();
    h.answer(&sent[0], frame(&r, 74));
    h.events();
    let f = h.session.fetch_block(1);
    let sent = h.drain();
    h.answer(&sent[0], frame(&r, 82)); // "result is nil"
    let (call, Err(e)) = h.events().pop().unwrap() else { panic!() };
    assert_eq!((call, e.kind, e.errno, e.message.as_str()), (f, ErrorKind::Query, Some(65535), "result is nil"));
    h.session.free_result(1);
    assert!(h.drain().is_empty(), "the server already dropped it");
}

#[test]
fn replies_are_matched_by_id_whatever_their_order() {
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    let a = h.session.query("selec 1", None);
    let b = h.session.query("select server_version()", None);
    let sent = h.drain();
    h.answer(&sent[1], frame(&r, 74));
    h.answer(&sent[0], frame(&r, 17));
    let events = h.events();
    assert!(matches!(&events[0], (c, Ok(Reply::Query(_))) if *c == b));
    assert!(matches!(&events[1], (c, Err(e)) if *c == a && e.errno == Some(9728)));
    // A frame nobody waits for, and a reply with the right id but the wrong action, are ignored.
    h.session.handle_frame(frame(&r, 17));
    let c = h.session.query("select 1", Some(77));
    h.drain();
    h.session.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"fetch","req_id":77,"timing":1}"#.into()));
    assert!(h.events().is_empty());
    let _ = c;
}

#[test]
fn caller_req_id_in_flight_is_a_programming_error() {
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    let _first = h.session.query("select 1", Some(4242));
    let second = h.session.query("select 2", Some(4242));
    let (call, Err(e)) = h.events().pop().unwrap() else { panic!() };
    assert_eq!((call, e.kind), (second, ErrorKind::Programming));
    assert!(e.message.contains("4242"));
    // The counter never hands out an id a caller holds.
    h.drain();
    for _ in 0..5000 {
        h.session.query("x", None);
    }
    let ids: Vec<u64> = h.drain().iter().map(request_id).collect();
    assert!(!ids.contains(&4242));
}

#[test]
fn disconnect_fails_every_pending_call_with_connection_error() {
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    let calls: Vec<CallId> = (0..3).map(|_| h.session.query("select 1", None)).collect();
    h.drain();
    h.session.handle_disconnect("socket reset");
    let events = h.events();
    assert_eq!(events.len(), 3);
    for ((call, outcome), want) in events.iter().zip(&calls) {
        assert_eq!(call, want);
        let e = outcome.as_ref().unwrap_err();
        assert_eq!(e.kind, ErrorKind::Connection);
        assert!(e.message.contains("socket reset"));
    }
}

#[test]
fn timezone_is_set_with_options_connection_before_connect_completes() {
    let r = load("d_errors.jsonl");
    let mut h = Harness::new(SessionOptions { timezone: Some("Asia/Shanghai".into()), db: Some("power".into()), ..root() });
    let call = h.session.connect(taosjs_core::Instant::ZERO);
    let sent = h.drain();
    assert_eq!(json(&sent[1])["args"]["db"], "power");
    h.answer(&sent[0], frame(&r, 3));
    h.answer(&sent[1], frame(&r, 5));
    assert!(h.events().is_empty());
    let sent = h.drain();
    let v = json(&sent[0]);
    assert_eq!(v["action"], "options_connection");
    assert_eq!(v["args"]["options"][0], serde_json::json!({"option": 1, "value": "Asia/Shanghai"}));
    let ok = format!(r#"{{"code":0,"message":"","action":"options_connection","req_id":{},"timing":1}}"#, request_id(&sent[0]));
    h.session.handle_frame(Frame::Text(ok));
    assert!(matches!(h.events().as_slice(), [(c, Ok(Reply::Connected { .. }))] if *c == call));
}

#[test]
fn mutated_server_frames_never_panic_the_session() {
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut frames: Vec<Frame> = Vec::new();
    for f in ["b_types_ms.jsonl", "b_types_ns.jsonl", "d_errors.jsonl"] {
        frames.extend(load(f).into_iter().map(|r| r.frame));
    }
    let r = load("d_errors.jsonl");
    let mut h = connected(&r, 3, 5);
    for round in 0..20_000 {
        if round % 50 == 0 {
            h.session.query("select 1", Some(rand() % 16));
            h.session.fetch_block(rand() % 4);
            h.drain();
            h.events();
        }
        let mut f = frames[(rand() % frames.len() as u64) as usize].clone();
        match &mut f {
            Frame::Binary(frame) if !frame.is_empty() => {
                let mut b = Vec::from(std::mem::take(frame));
                for _ in 0..1 + rand() % 3 {
                    let i = (rand() % b.len() as u64) as usize;
                    b[i] = rand() as u8;
                }
                // Point the frame at a call that may be pending.
                if b.len() >= 34 {
                    b[26..34].copy_from_slice(&(rand() % 16).to_le_bytes());
                }
                if rand() % 3 == 0 {
                    let n = (rand() % b.len() as u64) as usize;
                    b.truncate(n);
                }
                *frame = b.into();
            }
            Frame::Text(t) => {
                let mut bytes = t.clone().into_bytes();
                if !bytes.is_empty() {
                    let i = (rand() % bytes.len() as u64) as usize;
                    bytes[i] = b"{}[]\":,0123456789"[(rand() % 17) as usize];
                }
                *t = String::from_utf8_lossy(&bytes).replace("\"req_id\":", &format!("\"req_id\":{},\"x\":", rand() % 16));
            }
            _ => {}
        }
        h.session.handle_frame(f);
        // Whatever arrives, each completed block must still decode or fail cleanly.
        for (_, outcome) in h.events() {
            if let Ok(Reply::Block(Some(b))) = outcome {
                let _ = b.decode();
            }
        }
    }
}
