//! Shared by the statement and schemaless tests: recorded frames and a Session driven by them.
#![allow(dead_code)]

use base64::Engine as _;
use serde_json::Value;
use taosjs_core::bind::BindTable;
use taosjs_core::block::{DecodedColumn, FixedData};
use taosjs_core::stmt2::{Stmt2InitOptions, Stmt2Prepared};
use taosjs_core::{CallId, Event, Frame, Reply, Session, SessionOptions};

pub fn load(name: &str) -> Vec<(u64, Frame)> {
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
            Some((v["seq"].as_u64().unwrap(), frame))
        })
        .collect()
}

pub fn at(r: &[(u64, Frame)], seq: u64) -> Frame {
    r.iter().find(|(s, _)| *s == seq).unwrap().1.clone()
}

pub fn binary_at(r: &[(u64, Frame)], seq: u64) -> Vec<u8> {
    match at(r, seq) {
        Frame::Binary(b) => b.into(),
        other => panic!("seq {seq} is not binary: {other:?}"),
    }
}

pub fn request_id(f: &Frame) -> u64 {
    match f {
        Frame::Text(t) => serde_json::from_str::<Value>(t).unwrap()["args"]["req_id"].as_u64().unwrap_or(0),
        Frame::Binary(b) => u64::from_le_bytes(b[0..8].try_into().unwrap()),
        Frame::Close | Frame::Ping(_) | Frame::Pong(_) => 0,
    }
}

pub fn json(f: &Frame) -> Value {
    match f {
        Frame::Text(t) => serde_json::from_str(t).unwrap(),
        other => panic!("expected text, got {other:?}"),
    }
}

/// A session logged in through the recorded version/conn replies.
pub struct Harness {
    pub session: Session,
}

impl Harness {
    pub fn connected(r: &[(u64, Frame)], version_seq: u64, conn_seq: u64) -> Harness {
        let mut h = Harness {
            session: Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..Default::default() }),
        };
        let call = h.session.connect(taosjs_core::Instant::ZERO);
        let sent = h.drain();
        h.answer(&sent[1], at(r, conn_seq));
        h.answer(&sent[0], at(r, version_seq));
        assert!(matches!(h.outcome(call), Ok(Reply::Connected { .. })));
        h
    }

    pub fn drain(&mut self) -> Vec<Frame> {
        std::iter::from_fn(|| self.session.poll_transmit()).collect()
    }

    pub fn one_sent(&mut self) -> Frame {
        let mut sent = self.drain();
        assert_eq!(sent.len(), 1, "expected one frame, got {sent:?}");
        sent.remove(0)
    }

    /// The recorded reply, with its req_id replaced by the one our request carried.
    pub fn answer(&mut self, request: &Frame, recorded: Frame) {
        let req_id = request_id(request);
        let frame = match recorded {
            Frame::Text(t) => {
                let mut v: Value = serde_json::from_str(&t).unwrap();
                v["req_id"] = Value::from(req_id);
                Frame::Text(v.to_string())
            }
            // Binary replies (fetch_raw_block) carry the req_id at byte 26.
            Frame::Binary(b) => {
                let mut b = Vec::from(b);
                b[26..34].copy_from_slice(&req_id.to_le_bytes());
                Frame::Binary(b.into())
            }
            other => other,
        };
        self.session.handle_frame(frame);
    }

    pub fn outcome(&mut self, call: CallId) -> Result<Reply, taosjs_core::Error> {
        let mut found = None;
        while let Some(Event::Completed { call: c, outcome }) = self.session.poll_event() {
            if c == call {
                found = Some(outcome);
            }
        }
        found.expect("the call completed")
    }

    /// Sends `call`'s single request, answers it with the recorded reply, returns the outcome.
    pub fn round_trip(&mut self, call: CallId, r: &[(u64, Frame)], reply_seq: u64) -> Result<Reply, taosjs_core::Error> {
        let sent = self.one_sent();
        self.answer(&sent, at(r, reply_seq));
        self.outcome(call)
    }

    /// Answers the `DESCRIBE` the session runs for DECIMAL placeholders the server described
    /// without precision and scale: one block of (field, type) rows, then the end.
    pub fn answer_describe(&mut self, rows: &[(&str, &str)]) {
        let query = self.one_sent();
        let Frame::Binary(q) = &query else { panic!("describe is a binary query, got {query:?}") };
        assert!(String::from_utf8_lossy(&q[30..]).starts_with("describe "), "{:?}", String::from_utf8_lossy(&q[30..]));
        self.answer(&query, Frame::Text(
            r#"{"code":0,"message":"","action":"binary_query","req_id":0,"timing":1,"id":99,"is_update":false,"affected_rows":0,"fields_count":2,"fields_names":["field","type"],"fields_types":[8,8],"fields_lengths":[64,32],"precision":0}"#.into(),
        ));
        let fetch = self.one_sent();
        self.answer(&fetch, Frame::Binary(fetch_reply(Some(&var_block(rows))).into()));
        let fetch = self.one_sent();
        self.answer(&fetch, Frame::Binary(fetch_reply(None).into()));
    }

    pub fn init_and_prepare(&mut self, r: &[(u64, Frame)], init_seq: u64, prepare_seq: u64, sql: &str) -> Stmt2Prepared {
        let call = self.session.stmt2_init(Stmt2InitOptions::default());
        let Ok(Reply::StmtInit { stmt_id }) = self.round_trip(call, r, init_seq) else { panic!("init failed") };
        let call = self.session.stmt2_prepare(stmt_id, sql);
        let sent = self.one_sent();
        assert_eq!(json(&sent)["args"]["get_fields"], true);
        assert_eq!(json(&sent)["args"]["sql"], sql);
        self.answer(&sent, at(r, prepare_seq));
        if sql.contains("wire_stmt2d.") {
            // The recording's DECIMAL(10,2) and DECIMAL(30,10) placeholders come without them.
            self.answer_describe(&[("ts", "TIMESTAMP"), ("d64", "DECIMAL(10, 2)"), ("d128", "DECIMAL(30, 10)")]);
        }
        match self.outcome(call) {
            Ok(Reply::Stmt2Prepared(p)) => p,
            other => panic!("prepare: {other:?}"),
        }
    }

    /// Binds `tables` and checks the frame equals the recorded one apart from the req_id.
    pub fn bind_matches(&mut self, stmt_id: u64, tables: &[BindTable], r: &[(u64, Frame)], frame_seq: u64, reply_seq: u64) {
        let call = self.session.stmt2_bind(stmt_id, tables);
        let sent = self.one_sent();
        let Frame::Binary(ours) = &sent else { panic!("stmt2_bind is binary") };
        let mut recorded = binary_at(r, frame_seq);
        recorded[0..8].copy_from_slice(&ours[0..8]);
        assert_frames_equal(ours, &recorded);
        self.answer(&sent, at(r, reply_seq));
        assert_eq!(self.outcome(call), Ok(Reply::Done));
    }
}

pub fn assert_frames_equal(ours: &[u8], expected: &[u8]) {
    if ours != expected {
        let first = ours.iter().zip(expected).position(|(a, b)| a != b).unwrap_or(ours.len().min(expected.len()));
        panic!(
            "frames differ at byte {first} (ours {} bytes, expected {}):\n ours     {:02x?}\n expected {:02x?}",
            ours.len(),
            expected.len(),
            &ours[first.saturating_sub(8)..(first + 24).min(ours.len())],
            &expected[first.saturating_sub(8)..(first + 24).min(expected.len())]
        );
    }
}


/// A raw block of two VARCHAR columns.
pub fn var_block(rows: &[(&str, &str)]) -> Vec<u8> {
    let mut cols: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    let mut offsets: [Vec<u8>; 2] = [Vec::new(), Vec::new()];
    for (a, b) in rows {
        for (c, v) in [a, b].into_iter().enumerate() {
            offsets[c].extend_from_slice(&(cols[c].len() as i32).to_le_bytes());
            cols[c].extend_from_slice(&(v.len() as u16).to_le_bytes());
            cols[c].extend_from_slice(v.as_bytes());
        }
    }
    let mut out = Vec::new();
    out.extend_from_slice(&1i32.to_le_bytes());
    out.extend_from_slice(&0i32.to_le_bytes());
    out.extend_from_slice(&(rows.len() as i32).to_le_bytes());
    out.extend_from_slice(&2i32.to_le_bytes());
    out.extend_from_slice(&0x8000_0000u32.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    for _ in 0..2 {
        out.push(8);
        out.extend_from_slice(&66i32.to_le_bytes());
    }
    for c in &cols {
        out.extend_from_slice(&(c.len() as i32).to_le_bytes());
    }
    for c in 0..2 {
        out.extend_from_slice(&offsets[c]);
        out.extend_from_slice(&cols[c]);
    }
    let len = out.len() as i32;
    out[4..8].copy_from_slice(&len.to_le_bytes());
    out
}

/// A `fetch_raw_block` reply carrying `block` (or the end of the result).
pub fn fetch_reply(block: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    out.extend_from_slice(&7u64.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes());
    out.extend_from_slice(&0u64.to_le_bytes()); // req_id, patched by answer()
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&0u32.to_le_bytes());
    out.extend_from_slice(&99u64.to_le_bytes());
    match block {
        Some(b) => {
            out.push(0);
            out.extend_from_slice(&(b.len() as u32).to_le_bytes());
            out.extend_from_slice(b);
        }
        None => out.push(1),
    }
    out
}

/// One cell in a comparable form: "NULL", the integer, the bit pattern of a float, the bytes of
/// a variable value. For comparing blocks row by row, whatever path decoded them.
pub fn cell(col: &DecodedColumn, row: usize) -> String {
    if col.nulls()[row] == 1 {
        return "NULL".into();
    }
    match col {
        DecodedColumn::Var { .. } => format!("{:?}", col.var_value(row).unwrap()),
        DecodedColumn::Fixed { data, .. } => match data {
            FixedData::Bool(v) | FixedData::U8(v) => v[row].to_string(),
            FixedData::I8(v) => v[row].to_string(),
            FixedData::I16(v) => v[row].to_string(),
            FixedData::I32(v) => v[row].to_string(),
            FixedData::I64(v) => v[row].to_string(),
            FixedData::U16(v) => v[row].to_string(),
            FixedData::U32(v) => v[row].to_string(),
            FixedData::U64(v) => v[row].to_string(),
            FixedData::F32(v) => format!("{:#x}", v[row].to_bits()),
            FixedData::F64(v) => format!("{:#x}", v[row].to_bits()),
        },
    }
}
