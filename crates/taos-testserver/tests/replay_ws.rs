//! Replays recorded `/ws` conversations (taos-ws-py and hand-made frames against a real
//! TDengine 3.3.7.5 + taosAdapter) against the server with its real engine. Every client frame is
//! re-sent in recorded order; every recorded server frame must come back: JSON compared as values
//! (`timing` and `version` masked), `fetch_raw_block`/`fetch_block` frames byte for byte with the
//! timing zeroed. Result ids go through a recorded→actual mapping, also when client frames carry
//! them. TMQ connections (`/rest/tmq`) are replayed too: offsets (WAL versions on the real server,
//! row counts here) are masked, vgroup ids mapped like result ids, and `fetch_raw_data` payloads
//! compared byte for byte after their offset section. (The Python `replay.py` does the same in
//! `scripts/conformance/run.sh`.)

mod common;

use base64::Engine as _;
use common::{Frame, WsClient};
use serde_json::Value as J;
use std::collections::HashMap;
use taos_testserver::{start, EngineConfig, ServerConfig};

#[derive(Debug)]
enum Rec {
    /// Connection number and path (`/ws`, `/rest/tmq`).
    Open(u64, String),
    Close(u64),
    Send(u64, Frame),
    Expect(u64, Frame),
    /// A run of identical `fetch_raw_block` requests cut from the recording: how many requests,
    /// and the rows and blocks their answers carried (the last answer being `finished`).
    Elided { conn: u64, template: Vec<u8>, requests: usize, rows: u64, blocks: u64 },
}

fn load(text: &str) -> Vec<Rec> {
    let mut out = Vec::new();
    for line in text.lines() {
        let r: J = serde_json::from_str(line).unwrap();
        let conn = r["conn"].as_u64().unwrap_or(0);
        match r["type"].as_str().unwrap() {
            "ws_open" => out.push(Rec::Open(conn, r["path"].as_str().unwrap_or("/ws").to_string())),
            "ws_close" => out.push(Rec::Close(conn)),
            "elided" => out.push(Rec::Elided {
                conn,
                template: base64::engine::general_purpose::STANDARD.decode(r["template_b64"].as_str().unwrap()).unwrap(),
                requests: r["c2s_frames"].as_u64().unwrap() as usize,
                rows: r["rows"].as_u64().unwrap(),
                blocks: r["blocks"].as_u64().unwrap(),
            }),
            "ws" => {
                let frame = match r["opcode"].as_str().unwrap() {
                    "text" => Frame::Text(r["text"].as_str().unwrap().to_string()),
                    _ => Frame::Binary(base64::engine::general_purpose::STANDARD.decode(r["b64"].as_str().unwrap()).unwrap()),
                };
                out.push(if r["dir"] == "c2s" { Rec::Send(conn, frame) } else { Rec::Expect(conn, frame) });
            }
            _ => {}
        }
    }
    out
}

/// Recorded result id → the id our server assigned.
#[derive(Default)]
struct Ids(HashMap<u64, u64>);

impl Ids {
    fn learn(&mut self, recorded: u64, actual: u64, problems: &mut Vec<String>, what: &str) {
        match self.0.get(&recorded) {
            Some(&a) if a != actual => problems.push(format!("{what}: id {actual}, expected the one mapped from {recorded} ({a})")),
            _ => {
                self.0.insert(recorded, actual);
            }
        }
    }
    fn map(&self, recorded: u64) -> u64 {
        *self.0.get(&recorded).unwrap_or(&recorded)
    }
}

fn rewrite_request(frame: &Frame, ids: &Ids, vgroups: &Ids) -> Frame {
    match frame {
        Frame::Text(t) => match serde_json::from_str::<J>(t) {
            Ok(mut v) => {
                for key in ["id", "result_id"] {
                    if let Some(id) = v["args"][key].as_u64() {
                        v["args"][key] = J::from(ids.map(id));
                    }
                }
                if let Some(vg) = v["args"]["vgroup_id"].as_u64() {
                    v["args"]["vgroup_id"] = J::from(vgroups.map(vg));
                }
                if let Some(pairs) = v.get_mut("args").and_then(|a| a.get_mut("topic_vgroup_ids")).and_then(J::as_array_mut) {
                    for p in pairs {
                        if let Some(vg) = p["vgroup_id"].as_u64() {
                            p["vgroup_id"] = J::from(vgroups.map(vg));
                        }
                    }
                }
                Frame::Text(v.to_string())
            }
            Err(_) => frame_clone(frame),
        },
        Frame::Binary(b) if b.len() >= 24 && b[16] == 7 => {
            let mut b = b.clone();
            let id = u64::from_le_bytes(b[8..16].try_into().unwrap());
            b[8..16].copy_from_slice(&ids.map(id).to_le_bytes());
            Frame::Binary(b)
        }
        other => frame_clone(other),
    }
}

fn frame_clone(f: &Frame) -> Frame {
    match f {
        Frame::Text(t) => Frame::Text(t.clone()),
        Frame::Binary(b) => Frame::Binary(b.clone()),
        Frame::Ping(p) => Frame::Ping(p.clone()),
        Frame::Pong(p) => Frame::Pong(p.clone()),
        Frame::Close(c) => Frame::Close(*c),
    }
}

/// Key replies are paired by: JSON (action, req_id); raw frames (7, req_id); legacy blocks in order.
fn key(f: &Frame) -> String {
    match f {
        Frame::Text(t) => {
            let v: J = serde_json::from_str(t).unwrap_or(J::Null);
            format!("json {} {}", v["action"], v["req_id"])
        }
        Frame::Binary(b) if b.len() >= 34 && b[..8] == [0xff; 8] => {
            format!("raw {}", u64::from_le_bytes(b[26..34].try_into().unwrap()))
        }
        Frame::Binary(_) => "legacy block".into(),
        other => format!("{other:?}"),
    }
}

/// TMQ reply keys holding offsets: WAL versions on the real server, row counts on ours.
const TMQ_OFFSET_KEYS: [&str; 5] = ["offset", "begin", "end", "committed", "position"];

/// Removes offset keys and maps vgroup ids (recorded → ours), at any depth.
fn mask_tmq(w: &mut J, g: &mut J, vgroups: &mut Ids, problems: &mut Vec<String>, what: &str) {
    match (w, g) {
        (J::Object(wm), J::Object(gm)) => {
            for k in TMQ_OFFSET_KEYS {
                wm.remove(k);
                gm.remove(k);
            }
            if let (Some(wv), Some(gv)) = (wm.get("vgroup_id").and_then(J::as_u64), gm.get("vgroup_id").and_then(J::as_u64)) {
                if wv != 0 {
                    vgroups.learn(wv, gv, problems, what);
                    gm.insert("vgroup_id".into(), J::from(wv));
                }
            }
            for (k, wv) in wm.iter_mut() {
                if let Some(gv) = gm.get_mut(k) {
                    mask_tmq(wv, gv, vgroups, problems, what);
                }
            }
        }
        (J::Array(wa), J::Array(ga)) => {
            for (wv, gv) in wa.iter_mut().zip(ga.iter_mut()) {
                mask_tmq(wv, gv, vgroups, problems, what);
            }
        }
        _ => {}
    }
}

fn compare(want: &Frame, got: &Frame, ids: &mut Ids, vgroups: &mut Ids, tmq: bool, problems: &mut Vec<String>) {
    let what = key(want);
    match (want, got) {
        (Frame::Text(w), Frame::Text(g)) => {
            let (mut w, mut g): (J, J) = (serde_json::from_str(w).unwrap(), serde_json::from_str(g).unwrap());
            if tmq {
                mask_tmq(&mut w, &mut g, vgroups, problems, &what);
            }
            for v in [&mut w, &mut g] {
                if let J::Object(m) = v {
                    m.remove("timing");
                    m.remove("version");
                }
            }
            if let (Some(wid), Some(gid)) = (w["id"].as_u64(), g["id"].as_u64()) {
                if wid != 0 {
                    ids.learn(wid, gid, problems, &what);
                    g["id"] = J::from(wid);
                }
            }
            if w != g {
                problems.push(format!("{what}:\n   got {g}\n  want {w}"));
            }
        }
        (Frame::Binary(w), Frame::Binary(g)) if w.len() >= 51 && w[..8] == [0xff; 8] => {
            let n = u32::from_le_bytes(w[38..42].try_into().unwrap()) as usize;
            // taos-ws-py sends `free_result` right after its last `fetch_raw_block` without
            // waiting: that fetch answers `finished` or `result is nil` (replay.py accepts both)
            if g.len() == 51 && w.windows(13).any(|x| x == b"result is nil") {
                return;
            }
            if g.len() != w.len() || g.len() < 50 + n {
                problems.push(format!("{what}: {} bytes, recorded {}", g.len(), w.len()));
                return;
            }
            let (mut w, mut g) = (w.clone(), g.clone());
            w[18..26].fill(0);
            g[18..26].fill(0);
            let wid = u64::from_le_bytes(w[42 + n..50 + n].try_into().unwrap());
            let gid = u64::from_le_bytes(g[42 + n..50 + n].try_into().unwrap());
            ids.learn(wid, gid, problems, &what);
            g[42 + n..50 + n].copy_from_slice(&wid.to_le_bytes());
            // TMQ data payload (raw type, length, then version 100, offset length, offsets):
            // the offsets are masked like the JSON ones.
            let payload = 50 + n + 6;
            if tmq && w.len() > payload + 5 && w[payload] == 100 && g[payload] == 100 {
                let len = i32::from_le_bytes(w[payload + 1..payload + 5].try_into().unwrap()).max(0) as usize;
                let end = (payload + 5 + len).min(w.len());
                w[payload + 5..end].fill(0);
                g[payload + 5..end].fill(0);
            }
            if w != g {
                problems.push(format!("{what}: frame differs\n   got {}\n  want {}", hex(&g), hex(&w)));
            }
        }
        (Frame::Binary(w), Frame::Binary(g)) => {
            if g.len() != w.len() || g.len() < 16 {
                problems.push(format!("{what}: {} bytes, recorded {}", g.len(), w.len()));
                return;
            }
            let wid = u64::from_le_bytes(w[8..16].try_into().unwrap());
            let gid = u64::from_le_bytes(g[8..16].try_into().unwrap());
            ids.learn(wid, gid, problems, &what);
            if w[16..] != g[16..] {
                problems.push(format!("{what}: block differs\n   got {}\n  want {}", hex(&g[16..]), hex(&w[16..])));
            }
        }
        _ => problems.push(format!("{what}: got {got:?}")),
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

async fn replay(name: &str, text: &str) -> Vec<String> {
    let server = start(ServerConfig {
        port: 0,
        engine: EngineConfig::new("3.3.7.5.alpha")
            // the recording machine's zone, as its TDengine named it (round 2: /etc/localtime → Etc/UTC)
            .with_timezone("Etc/UTC")
            .expect("known zone"),
        server_info: Some("ver:3.3.7.5.alpha\nbuild:Linux-x64 2026-11-26 15:50:21 +0000\ngitinfo:no git commit id".into()),
        ..ServerConfig::default()
    })
    .await
    .unwrap();
    let recs = load(text);
    let mut clients: HashMap<u64, WsClient> = HashMap::new();
    let mut tmq_conns = std::collections::HashSet::new();
    let mut ids = Ids::default();
    let mut vgroups = Ids::default();
    let mut problems = Vec::new();
    let mut i = 0;
    while i < recs.len() {
        match &recs[i] {
            Rec::Open(c, path) => {
                if path.ends_with("/tmq") {
                    tmq_conns.insert(*c);
                }
                clients.insert(*c, WsClient::connect_path(server.addr(), path).await);
            }
            Rec::Close(c) => {
                clients.remove(c);
            }
            Rec::Expect(..) => {} // read after the request that precedes it
            Rec::Elided { conn, template, requests, rows, blocks } => {
                let client = clients.get_mut(conn).unwrap();
                let (mut got_rows, mut got_blocks, mut finished) = (0u64, 0u64, false);
                for _ in 0..*requests {
                    let Frame::Binary(req) = rewrite_request(&Frame::Binary(template.clone()), &ids, &vgroups) else { unreachable!() };
                    client.send_binary(&req).await;
                    match client.recv_within(10_000).await {
                        Some(Frame::Binary(f)) if f.len() >= 51 && f[..8] == [0xff; 8] => {
                            let r = common::parse_raw_reply(&f);
                            if let Some(b) = r.block {
                                got_rows += common::block_rows(&b) as u64;
                                got_blocks += 1;
                            }
                            finished = r.finished;
                        }
                        other => problems.push(format!("elided fetch: got {other:?}")),
                    }
                }
                if (got_rows, got_blocks, finished) != (*rows, *blocks, true) {
                    problems.push(format!(
                        "elided fetches: {got_rows} rows in {got_blocks} blocks, finished {finished}; recorded {rows} rows in {blocks} blocks, finished"
                    ));
                }
            }
            Rec::Send(c, frame) => {
                let client = clients.get_mut(c).unwrap();
                match rewrite_request(frame, &ids, &vgroups) {
                    Frame::Text(t) => client.send_text(&t).await,
                    Frame::Binary(b) => client.send_binary(&b).await,
                    _ => {}
                }
                // Answers recorded before the next request, per connection, paired by key.
                let mut j = i + 1;
                let mut expected: HashMap<u64, Vec<&Frame>> = HashMap::new();
                while j < recs.len() && !matches!(recs[j], Rec::Send(..) | Rec::Elided { .. }) {
                    if let Rec::Expect(ec, f) = &recs[j] {
                        expected.entry(*ec).or_default().push(f);
                    }
                    j += 1;
                }
                for (ec, wants) in expected {
                    let Some(client) = clients.get_mut(&ec) else { continue };
                    let mut got = Vec::new();
                    for _ in 0..wants.len() {
                        match client.recv_within(10_000).await {
                            Some(f) => got.push(f),
                            None => break,
                        }
                    }
                    for want in wants {
                        match got.iter().position(|g| key(g) == key(want)) {
                            Some(p) => {
                                let g = got.remove(p);
                                compare(want, &g, &mut ids, &mut vgroups, tmq_conns.contains(&ec), &mut problems);
                            }
                            None => problems.push(format!("{}: never answered (got {:?})", key(want), got.iter().map(key).collect::<Vec<_>>())),
                        }
                    }
                }
            }
        }
        i += 1;
    }
    // Nothing unexpected was left to read on the connections still open.
    for (c, client) in clients.iter_mut() {
        if let Some(f) = client.recv_within(100).await {
            problems.push(format!("conn {c}: unexpected extra frame {f:?}"));
        }
    }
    server.shutdown().await;
    problems.into_iter().map(|p| format!("{name}: {p}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ws_transcripts_replay_with_the_recorded_answers() {
    let mut problems = Vec::new();
    for (name, text) in [
        ("a_connect_version", include_str!("data/wire/transcripts/a_connect_version.jsonl")),
        ("b_types_ms", include_str!("data/wire/transcripts/b_types_ms.jsonl")),
        ("b_types_ns", include_str!("data/wire/transcripts/b_types_ns.jsonl")),
        ("c_many_blocks", include_str!("data/wire/transcripts/c_many_blocks.jsonl")),
        ("d_errors", include_str!("data/wire/transcripts/d_errors.jsonl")),
        ("e_stmt2", include_str!("data/wire/transcripts/e_stmt2.jsonl")),
        ("e_stmt2_decimal_jsontag", include_str!("data/wire/transcripts/e_stmt2_decimal_jsontag.jsonl")),
        ("f2_stmt_v1", include_str!("data/wire/transcripts/f2_stmt_v1.jsonl")),
        ("h_tmq", include_str!("data/wire/transcripts/h_tmq.jsonl")),
        ("h3_tmq_poll_before_subscribe", include_str!("data/wire/transcripts/h3_tmq_poll_before_subscribe.jsonl")),
        ("j_stmt_without_db", include_str!("data/wire/transcripts/j_stmt_without_db.jsonl")),
        ("k_schemaless_child_names", include_str!("data/wire/transcripts/k_schemaless_child_names.jsonl")),
        ("m_session_options", include_str!("data/wire/transcripts/m_session_options.jsonl")),
    ] {
        problems.extend(replay(name, text).await);
    }
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}

/// Topics `WITH META` (database and stable topics, batched and single metas, data+meta messages,
/// `fetch_json_meta`, legacy `fetch` on both kinds, the raw schema of data messages: a column
/// added by ALTER numbered after the tags, the flags TDengine gives each column).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_meta_transcript_replays() {
    let problems = replay("l_tmq_with_meta", include_str!("data/wire/transcripts/l_tmq_with_meta.jsonl")).await;
    assert!(problems.is_empty(), "{} problems:\n{}", problems.len(), problems.join("\n"));
}
