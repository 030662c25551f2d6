//! TMQ over `/rest/tmq` against the real engine: the flows and error answers recorded in
//! `h_tmq.jsonl` / `h3_tmq_poll_before_subscribe.jsonl` (wire README §5.7) and the reference §7.

mod common;

use common::{Frame, WsClient};
use serde_json::Value as J;
use taos_testserver::{start, ServerConfig, ServerHandle};

async fn server_with_topic() -> ServerHandle {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut ws = WsClient::connect_root(server.addr()).await;
    for sql in [
        "create database tq vgroups 1",
        "create stable tq.stb (ts timestamp, v int, s nchar(8), d double) tags (g int, name varchar(16))",
        "insert into tq.t1 using tq.stb tags (1, 'one') values (1700000000000, 1, '一', 1.5) (1700000000001, 2, null, null) \
         tq.t2 using tq.stb tags (2, 'two') values (1700000000000, 3, 'x', 2.5)",
        "create topic tp as select ts, v, s, d, g, name from tq.stb",
    ] {
        let r = ws.call(&serde_json::json!({"action":"query","args":{"req_id":1,"sql":sql}}).to_string()).await;
        assert!(r.starts_with(r#"{"code":0,"#), "{sql}: {r}");
    }
    server
}

async fn insert(server: &ServerHandle, sql: &str) {
    let mut ws = WsClient::connect_root(server.addr()).await;
    let r = ws.call(&serde_json::json!({"action":"query","args":{"req_id":1,"sql":sql}}).to_string()).await;
    assert!(r.starts_with(r#"{"code":0,"#), "{sql}: {r}");
}

async fn sql(server: &ServerHandle, sql: &str) -> J {
    let mut ws = WsClient::connect_root(server.addr()).await;
    serde_json::from_str(&ws.call(&serde_json::json!({"action":"query","args":{"req_id":1,"sql":sql}}).to_string()).await).unwrap()
}

/// `drop topic`, retried while TDengine still counts a consumer (1003) or rebalances after one
/// closed (1007); every refusal must be one of those two.
async fn drop_topic_when_free(server: &ServerHandle, topic: &str) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let r = sql(server, &format!("drop topic {topic}")).await;
        match r["code"].as_i64() {
            Some(0) => return,
            Some(1003 | 1007) if std::time::Instant::now() < until => {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await
            }
            _ => panic!("drop topic {topic}: {r}"),
        }
    }
}

async fn call(c: &mut WsClient, req: J) -> J {
    c.send_text(&req.to_string()).await;
    match c.recv().await {
        Frame::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("expected JSON, got {other:?}"),
    }
}

fn subscribe_req(req_id: u64, group: &str, extra: J) -> J {
    let mut args = serde_json::json!({"req_id":req_id,"user":"root","password":"taosdata","db":"","group_id":group,
        "client_id":"c1","offset_rest":"earliest","topics":["tp"],"auto_commit":"false","with_table_name":"true"});
    if let (J::Object(a), J::Object(e)) = (&mut args, extra) {
        a.extend(e);
    }
    serde_json::json!({"action":"subscribe","args":args})
}

async fn consumer(server: &ServerHandle, group: &str) -> WsClient {
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, subscribe_req(1, group, serde_json::json!({}))).await;
    assert_eq!(r["code"], 0, "{r}");
    assert_eq!(r["action"], "subscribe");
    c
}

fn poll(req_id: u64, blocking_ms: u64) -> J {
    serde_json::json!({"action":"poll","args":{"req_id":req_id,"blocking_time":blocking_ms}})
}

fn varint(b: &[u8], i: &mut usize) -> u64 {
    let (mut v, mut shift) = (0u64, 0);
    loop {
        let x = b[*i];
        *i += 1;
        v |= ((x & 0x7f) as u64) << shift;
        shift += 7;
        if x < 0x80 {
            return v;
        }
    }
}

fn zvarint(b: &[u8], i: &mut usize) -> i64 {
    let v = varint(b, i);
    ((v >> 1) as i64) ^ -((v & 1) as i64)
}

/// (rows, precision, column names) of every block of a §7.6 data message.
fn parse_data_message(p: &[u8]) -> Vec<(i64, u8, Vec<String>)> {
    parse_blocks(p).into_iter().map(|(rows, precision, names, _)| (rows, precision, names)).collect()
}

/// The table name of each block (`with_tbname`), in order.
fn table_names(p: &[u8]) -> Vec<String> {
    parse_blocks(p).into_iter().filter_map(|b| b.3).collect()
}

/// Each block's rows, precision, column names and table name (when the message carries them).
fn parse_blocks(p: &[u8]) -> Vec<(i64, u8, Vec<String>, Option<String>)> {
    assert_eq!(p[0], 100, "payload version");
    let off_len = i32::from_le_bytes(p[1..5].try_into().unwrap()) as usize;
    let mut i = 5 + off_len;
    let block_num = i32::from_le_bytes(p[i..i + 4].try_into().unwrap());
    i += 4;
    let mut out = Vec::new();
    if block_num == 0 {
        return out;
    }
    let with_tbname = p[i];
    assert_eq!(p[i + 1], 1, "with_schema");
    i += 2;
    for _ in 0..block_num {
        let len = varint(p, &mut i) as usize;
        let block = &p[i..i + len];
        i += len;
        assert_eq!(i64::from_le_bytes(block[0..8].try_into().unwrap()), 1);
        let rows = i64::from_be_bytes(block[8..16].try_into().unwrap());
        let precision = block[17];
        assert_eq!(i32::from_le_bytes(block[18..22].try_into().unwrap()), 2, "raw block version");
        assert_eq!(i32::from_le_bytes(block[22..26].try_into().unwrap()) as usize, len - 18, "raw block length");
        let ncols = zvarint(p, &mut i);
        let _schema_version = zvarint(p, &mut i);
        let mut names = Vec::new();
        for _ in 0..ncols {
            i += 2; // type, flags
            zvarint(p, &mut i);
            zvarint(p, &mut i);
            let n = varint(p, &mut i) as usize;
            names.push(String::from_utf8(p[i..i + n - 1].to_vec()).unwrap());
            i += n;
        }
        let mut table = None;
        if with_tbname != 0 {
            let n = varint(p, &mut i) as usize;
            table = Some(String::from_utf8(p[i..i + n - 1].to_vec()).unwrap());
            i += n;
        }
        out.push((rows, precision, names, table));
    }
    assert_eq!(p.len(), i + 8, "trailing sleep time");
    out
}

/// The raw part of an action-8 `fetch_raw_data` frame.
fn raw_data(frame: &[u8], req_id: u64) -> Vec<u8> {
    assert_eq!(&frame[..8], &[0xff; 8]);
    assert_eq!(u64::from_le_bytes(frame[8..16].try_into().unwrap()), 8);
    assert_eq!(u64::from_le_bytes(frame[26..34].try_into().unwrap()), req_id);
    assert_eq!(u32::from_le_bytes(frame[34..38].try_into().unwrap()), 0, "code");
    let n = u32::from_le_bytes(frame[38..42].try_into().unwrap()) as usize;
    let p = 50 + n;
    assert_eq!(u16::from_le_bytes(frame[p..p + 2].try_into().unwrap()), 2, "raw_type");
    let len = u32::from_le_bytes(frame[p + 2..p + 6].try_into().unwrap()) as usize;
    assert_eq!(frame.len(), p + 6 + len);
    frame[p + 6..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_polls_fetches_commits_and_seeks() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "g1").await;
    let a = call(&mut c, serde_json::json!({"action":"assignment","args":{"req_id":2,"topic":"tp"}})).await;
    assert_eq!(a["assignment"][0]["offset"], 0, "{a}");
    assert_eq!(a["assignment"][0]["begin"], 0);
    // offsets are log versions: the log holds the super table's creation and the insert
    let end = a["assignment"][0]["end"].as_i64().unwrap();
    assert!(end >= 2, "{a}");
    let vgroup = a["assignment"][0]["vgroup_id"].clone();

    let p = call(&mut c, poll(3, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    assert_eq!((p["topic"].as_str(), p["database"].as_str(), p["message_type"].as_i64()), (Some("tp"), Some("tq"), Some(1)));
    assert_eq!(p["vgroup_id"], vgroup);
    assert_eq!(p["message_id"], 1);

    c.send_text(r#"{"action":"fetch_raw_data","args":{"req_id":4,"message_id":1}}"#).await;
    let blocks = parse_data_message(&raw_data(&c.recv_binary().await, 4));
    let names: Vec<String> = ["ts", "v", "s", "d", "g", "name"].iter().map(|s| s.to_string()).collect();
    assert_eq!(blocks, vec![(2, 0, names.clone()), (1, 0, names)]);

    let none = call(&mut c, serde_json::json!({"action":"committed","args":{"req_id":5,"topic_vgroup_ids":[{"topic":"tp","vgroup_id":vgroup}]}})).await;
    assert_eq!(none["committed"], serde_json::json!([-2147467247]), "{none}");
    let r = call(&mut c, serde_json::json!({"action":"commit","args":{"req_id":6,"message_id":1}})).await;
    assert_eq!((r["code"].as_i64(), r["message_id"].as_i64()), (Some(0), Some(1)), "{r}");
    let tv = serde_json::json!([{"topic":"tp","vgroup_id":vgroup}]);
    let r = call(&mut c, serde_json::json!({"action":"committed","args":{"req_id":7,"topic_vgroup_ids":tv}})).await;
    assert_eq!(r["committed"], serde_json::json!([end]), "{r}");
    let r = call(&mut c, serde_json::json!({"action":"position","args":{"req_id":8,"topic_vgroup_ids":tv}})).await;
    assert_eq!(r["position"], serde_json::json!([end]), "{r}");
    // assignment's offset is where the last message began (as recorded), not the position.
    let a = call(&mut c, serde_json::json!({"action":"assignment","args":{"req_id":8,"topic":"tp"}})).await;
    assert_eq!((a["assignment"][0]["offset"].as_i64(), a["assignment"][0]["end"].as_i64()), (Some(0), Some(end)), "{a}");

    // Nothing new: an empty poll after its blocking time.
    let started = std::time::Instant::now();
    let p = call(&mut c, poll(9, 200)).await;
    assert!(started.elapsed() >= std::time::Duration::from_millis(190));
    assert_eq!(p["have_message"], false, "{p}");
    assert_eq!(p["message_id"], 0);

    // Seek back to the start: the same rows again, under the next message id.
    let r = call(&mut c, serde_json::json!({"action":"seek","args":{"req_id":10,"topic":"tp","vgroup_id":vgroup,"offset":0}})).await;
    assert_eq!(r["code"], 0, "{r}");
    assert!(r.get("offset").is_none(), "seek has no extra keys: {r}");
    let p = call(&mut c, poll(11, 500)).await;
    assert_eq!((p["have_message"].as_bool(), p["message_id"].as_i64()), (Some(true), Some(2)), "{p}");
    c.send_text(r#"{"action":"fetch_raw_data","args":{"req_id":12,"message_id":2}}"#).await;
    let blocks = parse_data_message(&raw_data(&c.recv_binary().await, 12));
    assert_eq!(blocks.iter().map(|b| b.0).sum::<i64>(), 3);

    let r = call(&mut c, serde_json::json!({"action":"commit_offset","args":{"req_id":13,"topic":"tp","vgroup_id":vgroup,"offset":1}})).await;
    assert_eq!((r["topic"].as_str(), r["offset"].as_i64()), (Some("tp"), Some(1)), "{r}");
    let r = call(&mut c, serde_json::json!({"action":"list_topics","args":{"req_id":14}})).await;
    assert_eq!(r["topics"], serde_json::json!(["tp"]));

    // New rows reach the live consumer.
    insert(&server, "insert into tq.t2 values (1700000000005, 9, 'n', 0)").await;
    let p = call(&mut c, poll(15, 2000)).await;
    assert_eq!((p["have_message"].as_bool(), p["message_id"].as_i64()), (Some(true), Some(3)), "{p}");
    c.send_text(r#"{"action":"fetch_raw_data","args":{"req_id":16,"message_id":3}}"#).await;
    let blocks = parse_data_message(&raw_data(&c.recv_binary().await, 16));
    assert_eq!(blocks.iter().map(|b| b.0).collect::<Vec<_>>(), vec![1]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribe_errors_are_the_recorded_ones() {
    let server = server_with_topic().await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, serde_json::json!({"action":"version"})).await;
    assert_eq!((r["code"].as_i64(), r["action"].as_str()), (Some(0), Some("version")));
    assert!(r["version"].is_string());

    let r = call(&mut c, subscribe_req(1, "g", serde_json::json!({"config":{"no.such.key":"1"}}))).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(65534), Some("Unknown error 65534")), "{r}");
    let r = call(&mut c, subscribe_req(2, "g", serde_json::json!({"password":"wrong"}))).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(65535), Some("init tscObj failed")), "{r}");
    let r = call(&mut c, subscribe_req(3, "g", serde_json::json!({"topics":["nope"]}))).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(993), Some("Topic not exist")), "{r}");

    // Unparsable requests and unknown actions get no answer at all.
    c.send_text("{not json").await;
    c.send_text(r#"{"action":"no_such_action","args":{"req_id":4}}"#).await;
    assert_eq!(c.recv_within(300).await, None);

    let r = call(&mut c, subscribe_req(5, "g", serde_json::json!({"config":{"session.timeout.ms":"12000"}}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let r = call(&mut c, subscribe_req(6, "g", serde_json::json!({}))).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(65535), Some("tmq should have unsubscribed first")), "{r}");

    let r = call(&mut c, serde_json::json!({"action":"committed","args":{"req_id":7,"topic_vgroup_ids":[{"topic":"other","vgroup_id":2}]}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(16393), Some("Topic does not belong to this consumer")), "{r}");
    let r = call(&mut c, serde_json::json!({"action":"seek","args":{"req_id":8,"topic":"tp","vgroup_id":999999,"offset":0}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(16392), Some("VgId does not belong to this consumer")), "{r}");

    // Fetching a message that is not held.
    let r = call(&mut c, serde_json::json!({"action":"fetch_json_meta","args":{"req_id":9,"message_id":42}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str(), r["message_id"].as_i64()), (Some(65535), Some("message ID is not equal"), Some(42)), "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_before_subscribe_waits_and_message_ids_continue_across_resubscribe() {
    let server = server_with_topic().await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    c.send_text(&poll(1001, 100).to_string()).await;
    assert_eq!(c.recv_within(400).await, None, "a poll before subscribe is not answered yet");
    c.send_text(&subscribe_req(1002, "g5", serde_json::json!({})).to_string()).await;
    let first: J = match c.recv().await {
        Frame::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!((first["action"].as_str(), first["req_id"].as_i64()), (Some("subscribe"), Some(1002)));
    let queued: J = match c.recv().await {
        Frame::Text(t) => serde_json::from_str(&t).unwrap(),
        other => panic!("{other:?}"),
    };
    assert_eq!((queued["action"].as_str(), queued["req_id"].as_i64()), (Some("poll"), Some(1001)));
    assert_eq!((queued["have_message"].as_bool(), queued["message_id"].as_i64()), (Some(true), Some(1)), "{queued}");

    let r = call(&mut c, serde_json::json!({"action":"unsubscribe","args":{"req_id":1003}})).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = call(&mut c, poll(1004, 100)).await;
    assert_eq!((p["code"].as_i64(), p["have_message"].as_bool()), (Some(0), Some(false)), "poll after unsubscribe: {p}");

    // A fresh group starts from the earliest row again; the id counter goes on.
    let r = call(&mut c, subscribe_req(1005, "g6", serde_json::json!({}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = call(&mut c, poll(1006, 500)).await;
    assert_eq!((p["have_message"].as_bool(), p["message_id"].as_i64()), (Some(true), Some(2)), "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn committed_offsets_belong_to_the_group_across_connections() {
    let server = server_with_topic().await;
    let mut a = consumer(&server, "shared").await;
    let p = call(&mut a, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    let r = call(&mut a, serde_json::json!({"action":"commit","args":{"req_id":3,"message_id":1}})).await;
    assert_eq!(r["code"], 0);
    drop(a); // closing the socket closes the consumer

    insert(&server, "insert into tq.t1 values (1700000000009, 7, 'z', 1)").await;
    let mut b = consumer(&server, "shared").await;
    let tv = serde_json::json!([{"topic":"tp","vgroup_id":p["vgroup_id"]}]);
    let r = call(&mut b, serde_json::json!({"action":"committed","args":{"req_id":2,"topic_vgroup_ids":tv}})).await;
    let committed = r["committed"][0].as_i64().unwrap();
    let a = call(&mut b, serde_json::json!({"action":"assignment","args":{"req_id":20,"topic":"tp"}})).await;
    assert!(committed > 0 && committed < a["assignment"][0]["end"].as_i64().unwrap(), "the insert after the commit is past it: {r} {a}");
    let p = call(&mut b, poll(3, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    b.send_text(&serde_json::json!({"action":"fetch_raw_data","args":{"req_id":4,"message_id":p["message_id"]}}).to_string()).await;
    let blocks = parse_data_message(&raw_data(&b.recv_binary().await, 4));
    assert_eq!(blocks.iter().map(|b| b.0).sum::<i64>(), 1, "only the row after the group's committed offset");

    // Another group sees everything.
    let mut c = consumer(&server, "other").await;
    let p = call(&mut c, poll(2, 500)).await;
    c.send_text(&serde_json::json!({"action":"fetch_raw_data","args":{"req_id":3,"message_id":p["message_id"]}}).to_string()).await;
    let blocks = parse_data_message(&raw_data(&c.recv_binary().await, 3));
    assert_eq!(blocks.iter().map(|b| b.0).sum::<i64>(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_topic_forgets_its_committed_offsets() {
    let server = server_with_topic().await;
    let mut a = consumer(&server, "g").await;
    let p = call(&mut a, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    call(&mut a, serde_json::json!({"action":"commit","args":{"req_id":3,"message_id":1}})).await;
    drop(a);
    drop_topic_when_free(&server, "tp").await;
    // Topics are told apart by their creation time in ms.
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    insert(&server, "create topic tp as select ts, v, s, d, g, name from tq.stb").await;
    let mut b = consumer(&server, "g").await;
    let tv = serde_json::json!([{"topic":"tp","vgroup_id":p["vgroup_id"]}]);
    let r = call(&mut b, serde_json::json!({"action":"committed","args":{"req_id":2,"topic_vgroup_ids":tv}})).await;
    assert_eq!(r["committed"], serde_json::json!([-2147467247]), "{r}");
    let p = call(&mut b, poll(3, 500)).await;
    assert_eq!(p["have_message"], true, "the re-created topic starts from the earliest row: {p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumer_survives_malformed_and_random_requests() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "fuzz").await;
    // An absurd blocking time must not overflow the deadline (data is there, so it answers now).
    let p = call(&mut c, serde_json::json!({"action":"poll","args":{"req_id":2,"blocking_time":u64::MAX}})).await;
    assert_eq!(p["have_message"], true, "{p}");

    let actions = [
        "version", "subscribe", "poll", "fetch", "fetch_block", "fetch_raw", "fetch_raw_data", "fetch_json_meta", "commit",
        "commit_offset", "seek", "assignment", "committed", "position", "list_topics", "unsubscribe", "bogus",
    ];
    let values = [
        J::Null,
        J::from(-1),
        J::from(i64::MIN),
        J::from(u64::MAX),
        J::from(0),
        J::from(1),
        J::from(2),
        J::from("tp"),
        J::from(""),
        serde_json::json!([{"topic":"tp","vgroup_id":-7}, 3, null]),
        serde_json::json!({"x":[]}),
    ];
    let keys = ["req_id", "message_id", "topic", "vgroup_id", "offset", "topic_vgroup_ids", "blocking_time", "topics", "config", "user"];
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for i in 0..400u64 {
        let mut args = serde_json::Map::new();
        for _ in 0..next(5) {
            args.insert(keys[next(keys.len())].into(), values[next(values.len())].clone());
        }
        if args.contains_key("blocking_time") {
            args.insert("blocking_time".into(), J::from(next(3)));
        }
        let action = actions[next(actions.len())];
        let text = match next(10) {
            0 => format!("{{\"action\":\"{action}\",\"args\":"), // truncated JSON
            1 => serde_json::json!([action, args]).to_string(),
            _ => serde_json::json!({"action": action, "args": J::Object(args)}).to_string(),
        };
        c.send_text(&text).await;
        // Drain whatever came back (possibly nothing) without waiting long.
        while c.recv_within(if i % 50 == 0 { 50 } else { 5 }).await.is_some() {}
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    while c.recv_within(50).await.is_some() {}
    let r = call(&mut c, serde_json::json!({"action":"version","args":{"req_id":77}})).await;
    assert_eq!((r["code"].as_i64(), r["req_id"].as_i64()), (Some(0), Some(77)), "{r}");
    // And the server still serves new consumers.
    let mut d = consumer(&server, "after-fuzz").await;
    let p = call(&mut d, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_does_not_wait_for_a_long_poll() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "g").await;
    let p = call(&mut c, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    c.send_text(&poll(3, 60_000).to_string()).await; // nothing new: would block for a minute
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    let started = std::time::Instant::now();
    tokio::time::timeout(std::time::Duration::from_secs(5), server.shutdown()).await.expect("shutdown in time");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert_eq!(c.recv_within(1000).await, Some(Frame::Close(Some(1001))));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auto_commit_commits_at_a_poll_after_the_interval() {
    let server = server_with_topic().await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, subscribe_req(1, "auto", serde_json::json!({"auto_commit":"true","auto_commit_interval_ms":"100"}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = call(&mut c, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    let tv = serde_json::json!([{"topic":"tp","vgroup_id":p["vgroup_id"]}]);
    let r = call(&mut c, serde_json::json!({"action":"committed","args":{"req_id":3,"topic_vgroup_ids":tv}})).await;
    assert_eq!(r["committed"], serde_json::json!([-2147467247]), "nothing committed before the interval: {r}");
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    let p = call(&mut c, poll(4, 50)).await;
    assert_eq!(p["have_message"], false, "{p}");
    let r = call(&mut c, serde_json::json!({"action":"committed","args":{"req_id":5,"topic_vgroup_ids":tv}})).await;
    let a = call(&mut c, serde_json::json!({"action":"assignment","args":{"req_id":6,"topic":"tp"}})).await;
    assert_eq!(r["committed"], serde_json::json!([a["assignment"][0]["end"]]), "the position at that poll: {r} {a}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_poll_naming_another_message_gets_the_held_one_again() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "again").await;
    let named = |req_id: u64, id: u64| serde_json::json!({"action":"poll","args":{"req_id":req_id,"blocking_time":100,"message_id":id}});
    let first = call(&mut c, named(2, 0)).await;
    assert_eq!((first["have_message"].as_bool(), first["message_id"].as_i64()), (Some(true), Some(1)), "{first}");
    // The client did not get message 1 (it says 0): the server hands it out again, unchanged.
    let again = call(&mut c, named(3, 0)).await;
    assert_eq!(again["message_id"], 1, "{again}");
    for key in ["topic", "database", "vgroup_id", "message_type", "offset"] {
        assert_eq!(again[key], first[key], "{key}");
    }
    // Naming the held message polls on: nothing new.
    let next = call(&mut c, named(4, 1)).await;
    assert_eq!(next["have_message"], false, "{next}");
    // A poll without `message_id` just polls, whatever is held.
    let plain = call(&mut c, poll(5, 50)).await;
    assert_eq!(plain["have_message"], false, "{plain}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribed_topics_cannot_be_dropped_and_consumers_are_listed() {
    let server = server_with_topic().await;
    insert(&server, "create topic tp_db as database tq").await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, subscribe_req(1, "listed", serde_json::json!({"client_id":"cl9","topics":["tp","tp_db"],"auto_commit":"true"}))).await;
    assert_eq!(r["code"], 0, "{r}");

    let consumers = sql(&server, "show consumers").await;
    let names: Vec<&str> = consumers["fields_names"].as_array().unwrap().iter().map(|n| n.as_str().unwrap()).collect();
    assert_eq!(names, ["consumer_id", "consumer_group", "client_id", "user", "fqdn", "status", "topics", "up_time", "subscribe_time", "rebalance_time", "parameters", "poll_time"]);
    let subs = sql(&server, "select topic_name, consumer_group, consumer_id from information_schema.ins_subscriptions").await;
    assert_eq!(subs["code"], 0, "{subs}");
    let perf = sql(&server, "select consumer_group, client_id, `topics`, status, parameters from performance_schema.perf_consumers order by `topics`").await;
    assert_eq!(perf["code"], 0, "{perf}");

    let refused = sql(&server, "drop topic tp").await;
    assert_eq!((refused["code"].as_i64(), refused["message"].as_str()), (Some(1003), Some("Topic subscribed cannot be dropped")), "{refused}");
    let refused = sql(&server, "drop database tq").await;
    assert_eq!((refused["code"].as_i64(), refused["message"].as_str()), (Some(1005), Some("Topic must be dropped first")), "{refused}");

    // After an explicit unsubscribe the topic can go at once.
    let r = call(&mut c, serde_json::json!({"action":"unsubscribe","args":{"req_id":2}})).await;
    assert_eq!(r["code"], 0, "{r}");
    let ok = sql(&server, "drop topic tp").await;
    assert_eq!(ok["code"], 0, "{ok}");

    // After a subscribed consumer's socket closes, TDengine rebalances for a moment: 1007.
    let r = call(&mut c, subscribe_req(3, "listed", serde_json::json!({"topics":["tp_db"]}))).await;
    assert_eq!(r["code"], 0, "{r}");
    drop(c);
    // (1003 until the server has seen the socket close)
    let mut refused = sql(&server, "drop topic tp_db").await;
    for _ in 0..50 {
        if refused["code"] != 1003 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        refused = sql(&server, "drop topic tp_db").await;
    }
    assert_eq!((refused["code"].as_i64(), refused["message"].as_str()), (Some(1007), Some("Topic being rebalanced")), "{refused}");
    drop_topic_when_free(&server, "tp_db").await;
    let none = sql(&server, "show consumers").await;
    assert_eq!(none["code"], 0, "{none}");
}

/// Verified on 3.3.7.5: taosAdapter unsubscribes a subscribed consumer before it answers the
/// client's close frame (≈2 s), so a client that waits for that answer drops the topic at once
/// (one that only closes its socket meets 1007, above). A consumer never subscribed closes at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_close_frame_is_answered_after_the_unsubscribe_so_the_topic_drops_at_once() {
    let server = server_with_topic().await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, subscribe_req(1, "closing", serde_json::json!({"topics":["tp"]}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let start = std::time::Instant::now();
    c.send_raw_frame(0x88, &1000u16.to_be_bytes()).await;
    assert_eq!(c.recv().await, Frame::Close(Some(1000)));
    assert!(start.elapsed() >= std::time::Duration::from_millis(1500), "answered after the rebalance: {:?}", start.elapsed());
    let dropped = sql(&server, "drop topic tp").await;
    assert_eq!(dropped["code"], 0, "{dropped}");

    let mut idle = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let start = std::time::Instant::now();
    idle.send_raw_frame(0x88, &1000u16.to_be_bytes()).await;
    assert_eq!(idle.recv().await, Frame::Close(Some(1000)));
    assert!(start.elapsed() < std::time::Duration::from_millis(1000), "{:?}", start.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn database_and_stable_topics_name_each_blocks_table_and_the_default_start_is_latest() {
    let server = server_with_topic().await;
    insert(&server, "create topic tp_st as stable tq.stb").await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut c, subscribe_req(1, "named", serde_json::json!({"topics":["tp_st"]}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = call(&mut c, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    c.send_text(&serde_json::json!({"action":"fetch_raw_data","args":{"req_id":3,"message_id":p["message_id"]}}).to_string()).await;
    let raw = raw_data(&c.recv_binary().await, 3);
    let names = table_names(&raw);
    assert_eq!(names, ["t1", "t2"], "one name per block");

    // Without `offset_rest`, a new group starts at the end (TDengine's default is `latest`).
    let mut d = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let mut req = subscribe_req(1, "fresh", serde_json::json!({"topics":["tp_st"]}));
    req["args"].as_object_mut().unwrap().remove("offset_rest");
    let r = call(&mut d, req).await;
    assert_eq!(r["code"], 0, "{r}");
    let p = call(&mut d, poll(2, 200)).await;
    assert_eq!(p["have_message"], false, "nothing old for a latest consumer: {p}");
    insert(&server, "insert into tq.t1 values (1700000009000, 9, 'n', 9.5)").await;
    let p = call(&mut d, poll(3, 2000)).await;
    assert_eq!(p["have_message"], true, "new rows arrive: {p}");
}

/// Polls until an empty poll; every row's `v` (second column) per message's vgroup, committing
/// each message.
async fn drain_vgroups(c: &mut WsClient, next_req: &mut u64) -> Vec<(i64, i64)> {
    let mut seen = Vec::new();
    loop {
        *next_req += 1;
        let p = call(c, poll(*next_req, 50)).await;
        if p["have_message"] != true {
            return seen;
        }
        let (id, vgroup) = (p["message_id"].as_u64().unwrap(), p["vgroup_id"].as_i64().unwrap());
        loop {
            *next_req += 1;
            let f = call(c, serde_json::json!({"action":"fetch","args":{"req_id":*next_req,"message_id":id}})).await;
            if f["completed"] == true {
                break;
            }
            c.send_text(&serde_json::json!({"action":"fetch_block","args":{"req_id":*next_req,"message_id":id}}).to_string()).await;
            let Frame::Binary(b) = c.recv().await else { panic!("fetch_block answers binary") };
            let block = taos_testserver_block_values(&b[24..]);
            seen.extend(block.into_iter().map(|v| (vgroup, v)));
        }
        *next_req += 1;
        let r = call(c, serde_json::json!({"action":"commit","args":{"req_id":*next_req,"message_id":id}})).await;
        assert_eq!(r["code"], 0, "{r}");
    }
}

/// The INT values of the second column of a raw block (version 2 layout: 28-byte header, the
/// schema, column lengths, then per column a null bitmap and the data).
fn taos_testserver_block_values(block: &[u8]) -> Vec<i64> {
    let rows = i32::from_le_bytes(block[8..12].try_into().unwrap()) as usize;
    let cols = i32::from_le_bytes(block[12..16].try_into().unwrap()) as usize;
    let lengths = 28 + cols * 5;
    let len0 = i32::from_le_bytes(block[lengths..lengths + 4].try_into().unwrap()) as usize;
    let bitmap = rows.div_ceil(8);
    let second = lengths + cols * 4 + bitmap + len0 + bitmap;
    (0..rows).map(|r| i64::from(i32::from_le_bytes(block[second + 4 * r..second + 4 * r + 4].try_into().unwrap()))).collect()
}

#[tokio::test]
async fn two_consumers_of_a_group_split_the_vgroups_and_one_takes_over_when_the_other_closes() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    for q in ["create database g2 vgroups 2", "create stable g2.st (ts timestamp, v int) tags (t int)", "create topic tg as select ts, v from g2.st"] {
        assert_eq!(sql(&server, q).await["code"], 0, "{q}");
    }
    let join = |client: &'static str| {
        let addr = server.addr();
        async move {
            let mut c = WsClient::connect_path(addr, "/rest/tmq").await;
            let req = serde_json::json!({"action":"subscribe","args":{"req_id":1,"user":"root","password":"taosdata","group_id":"g",
                "client_id":client,"offset_rest":"earliest","topics":["tg"],"auto_commit":"false"}});
            assert_eq!(call(&mut c, req).await["code"], 0);
            c
        }
    };
    let mut a = join("a").await;
    let mut b = join("b").await;
    let share = |r: J| r["assignment"].as_array().unwrap().iter().map(|x| x["vgroup_id"].as_i64().unwrap()).collect::<Vec<_>>();
    let (sa, sb) = (
        share(call(&mut a, serde_json::json!({"action":"assignment","args":{"req_id":2,"topic":"tg"}})).await),
        share(call(&mut b, serde_json::json!({"action":"assignment","args":{"req_id":2,"topic":"tg"}})).await),
    );
    assert_eq!((sa.len(), sb.len()), (1, 1), "one vgroup each: {sa:?} {sb:?}");
    assert_ne!(sa, sb);
    // a vgroup of the other consumer is not this one's
    let r = call(&mut a, serde_json::json!({"action":"committed","args":{"req_id":3,"topic_vgroup_ids":[{"topic":"tg","vgroup_id":sb[0]}]}})).await;
    assert_eq!(r["code"], 0x4008, "{r}");
    let values: Vec<String> = (0..20).map(|i| format!("g2.c{i} using g2.st tags ({i}) values (1700000000000, {i})")).collect();
    assert_eq!(sql(&server, &format!("insert into {}", values.join(" "))).await["code"], 0);
    let mut req = 10;
    let from_a = drain_vgroups(&mut a, &mut req).await;
    let from_b = drain_vgroups(&mut b, &mut req).await;
    assert!(from_a.iter().all(|(vg, _)| *vg == sa[0]) && from_b.iter().all(|(vg, _)| *vg == sb[0]));
    assert!(!from_a.is_empty() && !from_b.is_empty());
    let mut all: Vec<i64> = from_a.iter().chain(&from_b).map(|(_, v)| *v).collect();
    all.sort();
    assert_eq!(all, (0..20).collect::<Vec<_>>(), "every row once across the two");
    // b goes: a takes b's vgroup over from the group's committed offset (nothing again)
    drop(b);
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sql(&server, "insert into g2.c0 values (1700000000001, 100) g2.c5 values (1700000000001, 105)").await["code"], 0);
    let rest = drain_vgroups(&mut a, &mut req).await;
    let mut vs: Vec<i64> = rest.iter().map(|(_, v)| *v).collect();
    vs.sort();
    assert_eq!(vs, [100, 105]);
    let mut both = share(call(&mut a, serde_json::json!({"action":"assignment","args":{"req_id":99,"topic":"tg"}})).await);
    both.sort();
    let mut want = [sa[0], sb[0]];
    want.sort();
    assert_eq!(both, want);
}

/// As taosAdapter 3.3.7.5 serves it: each `fetch` reads the next block whether or not
/// `fetch_block` fetched the last one (checked with raw frames on the real server);
/// `fetch_block` sends the block the last `fetch` read, again if asked twice, and before any
/// `fetch` answers `no fetch data` (its controller/ws/tmq/tmq.go keeps one buffer per message).
#[tokio::test]
async fn fetch_moves_on_by_itself_and_fetch_block_sends_the_last_block_fetched() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "g_fetch").await;
    let p = call(&mut c, poll(2, 500)).await;
    assert_eq!(p["have_message"], true, "{p}");
    let id = p["message_id"].clone();
    let r = call(&mut c, serde_json::json!({"action":"fetch_block","args":{"req_id":3,"message_id":id}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(0xFFFF), Some("no fetch data")), "{r}");
    let mut tables = Vec::new();
    for req in 4.. {
        let f = call(&mut c, serde_json::json!({"action":"fetch","args":{"req_id":req,"message_id":id}})).await;
        if f["completed"] == true {
            break;
        }
        tables.push(f["rows"].as_i64().unwrap());
    }
    assert_eq!(tables, [2, 1], "t1's rows, then t2's");
    for _ in 0..2 {
        c.send_text(&serde_json::json!({"action":"fetch_block","args":{"req_id":9,"message_id":id}}).to_string()).await;
        let Frame::Binary(b) = c.recv().await else { panic!("fetch_block answers binary") };
        assert_eq!(common::block_rows(&b[24..]), 1, "the last block fetched: t2's");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_metas_are_the_text_tdengine_writes() {
    // every statement and meta text below as a 3.3.7.5 server answered them over raw /rest/tmq
    // frames: keys in cJSON's insertion order, numbers as cJSON prints doubles, child tags
    // without NULLs, createList only for several children, `<>&` escaped as Go's encoder does
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    for q in ["create database mj vgroups 1", "create topic mjt with meta as database mj"] {
        assert_eq!(sql(&server, q).await["code"], 0, "{q}");
    }
    let statements = [
        r#"create stable mj.stb (ts timestamp, v int, s varchar(10), n nchar(4), vb varbinary(6), g geometry(50)) tags (t int, ts2 varchar(8), tn nchar(3))"#,
        r#"create table mj.c1 using mj.stb tags (1, 'ab', 'xy')"#,
        r#"insert into mj.c2 using mj.stb tags (2, null, 'z') values (1700000000000, 1, 'a', 'b', '\x01', 'POINT(1 1)')"#,
        r#"alter stable mj.stb add column w varchar(8)"#,
        r#"alter stable mj.stb add column w2 nchar(3)"#,
        r#"alter stable mj.stb add column w3 bigint"#,
        r#"create table mj.nt (ts timestamp, a int, b varchar(5))"#,
        r#"alter table mj.nt add column c nchar(2)"#,
        r#"alter table mj.nt add column d double"#,
        r#"insert into mj.c3 using mj.stb tags (3, 'q', null) (ts, v, s, n, vb, g) values (1700000000000, 1, 'a', 'b', '\x01', 'POINT(1 1)') mj.c4 using mj.stb (t) tags (4) (ts, v, s, n, vb, g) values (1700000000000, 2, 'a', 'b', '\x01', 'POINT(1 1)')"#,
        r#"delete from mj.c2"#,
        r#"create stable mj.stb2 (ts timestamp, b blob) tags (t int)"#,
        r#"create table mj.nb (ts timestamp, b blob)"#,
        r#"create stable mj.st (ts timestamp, v int) tags (b bool, ti tinyint, bi bigint, ub bigint unsigned, f float, d double, tt timestamp, vc varchar(8), nc nchar(4), vb varbinary(8), g geometry(40))"#,
        r#"create table mj.k1 using mj.st tags (true, -3, 1700000000000, 18446744073709551615, 1.5, 0.1, 1700000000123, 'a<b&c', '中文', '\x0aff', 'POINT(1 2)')"#,
        r#"create table mj.k2 using mj.st tags (false, null, 2147483648, 5, 3.3, -2.5e300, 0, '', 'x', 'ab', null)"#,
        r#"create stable mj.sj (ts timestamp, v int) tags (j json)"#,
        r#"create table mj.j1 using mj.sj tags ('{"k":1,"s":"v"}')"#,
        r#"create table mj.j2 using mj.sj tags (null)"#,
    ];
    for q in statements {
        assert_eq!(sql(&server, q).await["code"], 0, "{q}");
    }
    let drops = ["drop table mj.c1", "drop table mj.nt", "drop stable mj.stb"];
    let recorded = [
        r#"{"type":"create","tableType":"super","tableName":"stb","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"v","type":4,"isPrimarykey":false,"encode":"simple8b","compress":"lz4","level":"medium"},{"name":"s","type":8,"length":10,"isPrimarykey":false,"encode":"disabled","compress":"zstd","level":"medium"},{"name":"n","type":10,"length":4,"isPrimarykey":false,"encode":"disabled","compress":"zstd","level":"medium"},{"name":"vb","type":16,"length":6,"isPrimarykey":false,"encode":"disabled","compress":"zstd","level":"medium"},{"name":"g","type":20,"length":50,"isPrimarykey":false,"encode":"disabled","compress":"lz4","level":"medium"}],"tags":[{"name":"t","type":4},{"name":"ts2","type":8,"length":8},{"name":"tn","type":10,"length":3}]}"#,
        r#"{"type":"create","tableType":"child","tableName":"c1","using":"stb","tagNum":3,"tags":[{"name":"t","type":4,"value":1},{"name":"ts2","type":8,"value":"\"ab\""},{"name":"tn","type":10,"value":"\"xy\""}],"createList":[]}"#,
        r#"{"type":"create","tableType":"child","tableName":"c2","using":"stb","tagNum":3,"tags":[{"name":"t","type":4,"value":2},{"name":"tn","type":10,"value":"\"z\""}],"createList":[]}"#,
        r#"{"type":"alter","tableType":"super","tableName":"stb","alterType":5,"colName":"w","colType":8,"colLength":8}"#,
        r#"{"type":"alter","tableType":"super","tableName":"stb","alterType":5,"colName":"w2","colType":10,"colLength":3}"#,
        r#"{"type":"alter","tableType":"super","tableName":"stb","alterType":5,"colName":"w3","colType":5}"#,
        r#"{"type":"create","tableType":"normal","tableName":"nt","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"a","type":4,"isPrimarykey":false,"encode":"simple8b","compress":"lz4","level":"medium"},{"name":"b","type":8,"length":5,"isPrimarykey":false,"encode":"disabled","compress":"zstd","level":"medium"}],"tags":[]}"#,
        r#"{"type":"alter","tableType":"normal","tableName":"nt","alterType":5,"colName":"c","colType":10,"colLength":2}"#,
        r#"{"type":"alter","tableType":"normal","tableName":"nt","alterType":5,"colName":"d","colType":7}"#,
        r#"{"type":"create","tableType":"child","tableName":"c3","using":"stb","tagNum":3,"tags":[{"name":"t","type":4,"value":3},{"name":"ts2","type":8,"value":"\"q\""}],"createList":[{"tableName":"c3","using":"stb","tagNum":3,"tags":[{"name":"t","type":4,"value":3},{"name":"ts2","type":8,"value":"\"q\""}]},{"tableName":"c4","using":"stb","tagNum":3,"tags":[{"name":"t","type":4,"value":4}]}]}"#,
        r#"{"type":"delete","sql":"delete from `c2` where `ts` \u003e= 1700000000000 and `ts` \u003c= 1700000000000"}"#,
        r#"{"type":"create","tableType":"super","tableName":"stb2","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"b","type":18,"length":1,"isPrimarykey":false,"encode":"disabled","compress":"lz4","level":"medium"}],"tags":[{"name":"t","type":4}]}"#,
        r#"{"type":"create","tableType":"normal","tableName":"nb","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"b","type":18,"length":1,"isPrimarykey":false,"encode":"disabled","compress":"lz4","level":"medium"}],"tags":[]}"#,
        r#"{"type":"create","tableType":"super","tableName":"st","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"v","type":4,"isPrimarykey":false,"encode":"simple8b","compress":"lz4","level":"medium"}],"tags":[{"name":"b","type":1},{"name":"ti","type":2},{"name":"bi","type":5},{"name":"ub","type":14},{"name":"f","type":6},{"name":"d","type":7},{"name":"tt","type":9},{"name":"vc","type":8,"length":8},{"name":"nc","type":10,"length":4},{"name":"vb","type":16,"length":8},{"name":"g","type":20,"length":40}]}"#,
        r#"{"type":"create","tableType":"child","tableName":"k1","using":"st","tagNum":11,"tags":[{"name":"b","type":1,"value":1},{"name":"ti","type":2,"value":-3},{"name":"bi","type":5,"value":1700000000000},{"name":"ub","type":14,"value":1.8446744073709552e+19},{"name":"f","type":6,"value":1.5},{"name":"d","type":7,"value":0.1},{"name":"tt","type":9,"value":1700000000123},{"name":"vc","type":8,"value":"\"a\u003cb\u0026c\""},{"name":"nc","type":10,"value":"\"中文\""},{"name":"vb","type":16,"value":"\"\\x0AFF\""},{"name":"g","type":20,"value":"\"\u0001\u0001"}],"createList":[]}"#,
        r#"{"type":"create","tableType":"child","tableName":"k2","using":"st","tagNum":11,"tags":[{"name":"b","type":1,"value":0},{"name":"bi","type":5,"value":2147483648},{"name":"ub","type":14,"value":5},{"name":"f","type":6,"value":3.2999999523162842},{"name":"d","type":7,"value":-2.5e+300},{"name":"tt","type":9,"value":0},{"name":"vc","type":8,"value":"\"\""},{"name":"nc","type":10,"value":"\"x\""},{"name":"vb","type":16,"value":"\"\\x6162\""}],"createList":[]}"#,
        r#"{"type":"create","tableType":"super","tableName":"sj","columns":[{"name":"ts","type":9,"isPrimarykey":false,"encode":"delta-i","compress":"lz4","level":"medium"},{"name":"v","type":4,"isPrimarykey":false,"encode":"simple8b","compress":"lz4","level":"medium"}],"tags":[{"name":"j","type":15}]}"#,
        r#"{"type":"create","tableType":"child","tableName":"j1","using":"sj","tagNum":1,"tags":[{"name":"j","type":15,"value":"{\"k\":1,\"s\":\"v\"}"}],"createList":[]}"#,
        r#"{"type":"create","tableType":"child","tableName":"j2","using":"sj","tagNum":1,"tags":[],"createList":[]}"#,
        r#"{"type":"drop","tableNameList":["c1"]}"#,
        r#"{"type":"drop","tableNameList":["nt"]}"#,
        r#"{"type":"drop","tableType":"super","tableName":"stb"}"#,
    ];
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let sub = serde_json::json!({"action":"subscribe","args":{"req_id":1,"user":"root","password":"taosdata","group_id":"gm",
        "offset_rest":"earliest","topics":["mjt"],"auto_commit":"false","enable_batch_meta":"0"}});
    assert_eq!(call(&mut c, sub).await["code"], 0);
    let mut texts = Vec::new();
    let mut req = 2;
    for phase in 0..2 {
        if phase == 1 {
            for q in drops {
                assert_eq!(sql(&server, q).await["code"], 0, "{q}");
            }
        }
        loop {
            req += 1;
            let p = call(&mut c, poll(req, 300)).await;
            if p["have_message"] != true {
                break;
            }
            let id = p["message_id"].as_u64().unwrap();
            if p["message_type"] != 1 {
                req += 1;
                c.send_text(&serde_json::json!({"action":"fetch_json_meta","args":{"req_id":req,"message_id":id}}).to_string()).await;
                let text = c.recv_text().await;
                let at = text.find(r#","data":"#).expect("a data field") + 8;
                texts.push(text[at..text.len() - 1].to_string());
            }
            req += 1;
            call(&mut c, serde_json::json!({"action":"commit","args":{"req_id":req,"message_id":id}})).await;
        }
    }
    assert_eq!(texts.len(), recorded.len(), "{texts:#?}");
    for (ours, real) in texts.iter().zip(recorded) {
        assert_eq!(ours, real);
    }
}

/// Consumer options are checked before a consumer exists, as taosAdapter 3.3.7.5 and taosc's
/// `tmq_conf_set` check them (recorded by hand against the real server).
#[tokio::test]
async fn subscribe_options_are_checked_like_taosc_and_the_adapter() {
    let server = server_with_topic().await;
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let cases = [
        // a value taosc refuses: −1
        (serde_json::json!({"offset_rest":"sometimes"}), 65535, "fail"),
        (serde_json::json!({"with_table_name":"yes"}), 65535, "fail"),
        (serde_json::json!({"config":{"session.timeout.ms":"100"}}), 65535, "fail"),
        // the adapter's own Go parsing
        (serde_json::json!({"auto_commit":"maybe"}), 65535, "strconv.ParseBool: parsing \"maybe\": invalid syntax"),
        (serde_json::json!({"auto_commit_interval_ms":"abc"}), 65535, "strconv.ParseInt: parsing \"abc\": invalid syntax"),
        // a key taosc does not know: −2 (3.3.7.5 has no td.connect.token)
        (serde_json::json!({"config":{"td.connect.token":"t"}}), 65534, "Unknown error 65534"),
    ];
    for (i, (extra, code, message)) in cases.into_iter().enumerate() {
        let r = call(&mut c, subscribe_req(i as u64 + 1, "g", extra.clone())).await;
        assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(code), Some(message)), "{extra}: {r}");
    }
    // none of them left a consumer behind
    let r = call(&mut c, serde_json::json!({"action":"list_topics","args":{"req_id":9}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(65535), Some("tmq not init")), "{r}");
    // values taosc takes, in any case, and `config` overriding the named options
    let extra = serde_json::json!({"offset_rest":"sometimes","config":{"auto.offset.reset":"EARLIEST","msg.with.table.name":"True"}});
    let r = call(&mut c, subscribe_req(10, "g", extra)).await;
    assert_eq!(r["code"], 0, "{r}");
}

/// After `unsubscribe` the consumer still exists, with no topics; subscribing to an empty list
/// makes a consumer that has nothing to poll (both checked on 3.3.7.5).
#[tokio::test]
async fn an_unsubscribed_consumer_has_no_topics_and_an_empty_subscription_cannot_poll() {
    let server = server_with_topic().await;
    let mut c = consumer(&server, "gu").await;
    let r = call(&mut c, serde_json::json!({"action":"unsubscribe","args":{"req_id":2}})).await;
    assert_eq!(r["code"], 0, "{r}");
    let r = call(&mut c, serde_json::json!({"action":"list_topics","args":{"req_id":3}})).await;
    assert_eq!((r["code"].as_i64(), &r["topics"]), (Some(0), &serde_json::json!([])), "{r}");
    let r = call(&mut c, serde_json::json!({"action":"assignment","args":{"req_id":4,"topic":"tp"}})).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(16393), Some("Topic does not belong to this consumer")), "{r}");
    let r = call(&mut c, serde_json::json!({"action":"commit","args":{"req_id":5,"message_id":0}})).await;
    assert_eq!(r["code"], 0, "{r}");
    let r = call(&mut c, poll(6, 50)).await;
    assert_eq!((r["code"].as_i64(), r["have_message"].as_bool()), (Some(0), Some(false)), "{r}");

    let mut e = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let r = call(&mut e, subscribe_req(1, "ge", serde_json::json!({"topics":[]}))).await;
    assert_eq!(r["code"], 0, "{r}");
    let r = call(&mut e, poll(2, 50)).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(998), Some("Consumer not exist")), "{r}");
    let r = call(&mut e, subscribe_req(3, "ge", serde_json::json!({}))).await;
    assert_eq!((r["code"].as_i64(), r["message"].as_str()), (Some(65535), Some("tmq should have unsubscribed first")), "{r}");
}
