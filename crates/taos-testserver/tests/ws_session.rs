//! `/ws` session behaviour, checked against the shapes recorded from a real taosAdapter
//! (wire README §5.1–5.3, `a_connect_version.jsonl`, `d_errors.jsonl`). Runs over a fake SQL
//! backend so only the protocol side is under test.

mod common;

use common::*;
use taos_testserver::ServerConfig;

const V: &str = taos_testserver::SERVER_VERSION;

#[tokio::test]
async fn version_answers_with_and_without_args() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect(server.addr()).await;
    assert_eq!(
        c.call(r#"{"action":"version"}"#).await,
        format!(r#"{{"code":0,"message":"","action":"version","req_id":0,"timing":0,"version":"{V}"}}"#)
    );
    assert_eq!(
        c.call(r#"{"action": "version", "args": {"req_id": 1001}}"#).await,
        format!(r#"{{"code":0,"message":"","action":"version","req_id":1001,"timing":0,"version":"{V}"}}"#)
    );
}

#[tokio::test]
async fn conn_checks_credentials_and_rejects_duplicates() {
    let server = fake_server(ServerConfig {
        users: vec![("root".into(), "taosdata".into()), ("u1".into(), "p1".into())],
        ..ServerConfig::default()
    })
    .await;
    let mut c = WsClient::connect(server.addr()).await;
    assert_eq!(
        c.call(r#"{"action":"query","args":{"req_id":1001,"sql":"select 1"}}"#).await,
        r#"{"code":65535,"message":"server not connected","action":"query","req_id":1001,"timing":0}"#
    );
    c.send_binary(&binary_query(4001, "select 1")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":65535,"message":"server not connected","action":"binary_query","req_id":4001,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action":"conn","args":{"req_id":1002,"user":"root","password":"bad"}}"#).await,
        r#"{"code":855,"message":"Authentication failure","action":"conn","req_id":1002,"timing":0}"#
    );
    // Big req_ids (above 2^63) are echoed exactly.
    assert_eq!(
        c.call(r#"{"action":"conn","args":{"req_id":18059793636690493441,"user":"u1","password":"p1","db":""}}"#)
            .await,
        format!(
            r#"{{"code":0,"message":"","action":"conn","req_id":18059793636690493441,"timing":0,"version":"{V}"}}"#
        )
    );
    assert_eq!(
        c.call(r#"{"action":"conn","args":{"req_id":1004,"user":"root","password":"taosdata","db":""}}"#).await,
        r#"{"code":65535,"message":"duplicate connections","action":"conn","req_id":1004,"timing":0}"#
    );
}

#[tokio::test]
async fn conn_has_no_token_login_in_3_3_7_5() {
    // m_session_options: a REST login token as `bearer_token` without a password is refused, and
    // with a password a bogus `bearer_token` is ignored
    let server = default_fake_server().await;
    let login = http(server.addr(), "GET", "/rest/login/root/taosdata", &[], b"").await;
    let token = serde_json::from_slice::<serde_json::Value>(&login.body).unwrap()["desc"].as_str().unwrap().to_string();
    let mut c = WsClient::connect(server.addr()).await;
    let refused = c.call(&format!(r#"{{"action":"conn","args":{{"req_id":1,"user":"root","bearer_token":"{token}"}}}}"#)).await;
    assert!(refused.starts_with(r#"{"code":520,"message":"Invalid password length","#), "{refused}");
    let ok = c.call(r#"{"action":"conn","args":{"req_id":2,"user":"root","password":"taosdata","bearer_token":"bogus"}}"#).await;
    assert!(ok.starts_with(r#"{"code":0,"#), "{ok}");
    let mut unknown = WsClient::connect(server.addr()).await;
    let nobody = unknown.call(r#"{"action":"conn","args":{"req_id":3,"user":"nobody","password":"x"}}"#).await;
    assert!(nobody.starts_with(r#"{"code":849,"message":"Invalid user","#), "{nobody}");
}

#[tokio::test]
async fn conn_with_a_database_sets_the_current_db() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect(server.addr()).await;
    assert_eq!(
        c.call(r#"{"action":"conn","args":{"req_id":1,"user":"root","password":"taosdata","db":"nope"}}"#).await,
        r#"{"code":904,"message":"Database not exist","action":"conn","req_id":1,"timing":0}"#
    );
    let r = c.call(r#"{"action":"conn","args":{"req_id":2,"user":"root","password":"taosdata","db":"db1"}}"#).await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    assert_eq!(
        c.call(r#"{"action":"get_current_db","args":{"req_id":3}}"#).await,
        r#"{"code":0,"message":"","action":"get_current_db","req_id":3,"timing":0,"db":"db1"}"#
    );
}

#[tokio::test]
async fn misc_session_actions() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect(server.addr()).await;
    assert_eq!(
        c.call(r#"{"action": "check_server_status", "args": {"req_id": 1002, "fqdn": null, "port": 0}}"#).await,
        r#"{"code":0,"message":"","action":"check_server_status","req_id":1002,"timing":0,"status":2,"details":""}"#
    );
    let r = c.call(r#"{"action":"conn","args":{"req_id":1003,"user":"root","password":"taosdata","db":""}}"#).await;
    assert!(r.starts_with(r#"{"code":0,"#));
    assert_eq!(
        c.call(r#"{"action": "get_current_db", "args": {"req_id": 1004}}"#).await,
        r#"{"code":0,"message":"","action":"get_current_db","req_id":1004,"timing":0,"db":""}"#
    );
    let info = c.call(r#"{"action": "get_server_info", "args": {"req_id": 1005}}"#).await;
    assert!(
        info.starts_with(&format!(
            r#"{{"code":0,"message":"","action":"get_server_info","req_id":1005,"timing":0,"info":"ver:{V}\nbuild:"#
        )),
        "{info}"
    );
    assert!(info.contains(r#"\ngitinfo:"#), "{info}");
    assert_eq!(
        c.call(r#"{"action": "options_connection", "args": {"req_id": 1006, "options": [{"option": 1, "value": "Asia/Shanghai"}, {"option": 3, "value": null}]}}"#).await,
        r#"{"code":0,"message":"","action":"options_connection","req_id":1006,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action": "get_connection_info", "args": {"req_id": 1008, "info": 0}}"#).await,
        r#"{"code":65535,"message":"unknown action get_connection_info","action":"get_connection_info","req_id":1008,"timing":0}"#
    );
}

#[tokio::test]
async fn non_result_statements_reply_is_update_with_null_arrays() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(3, "insert rows 7")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":0,"message":"","action":"binary_query","req_id":3,"timing":0,"id":0,"is_update":true,"affected_rows":7,"fields_count":0,"fields_names":null,"fields_types":null,"fields_lengths":null,"precision":0,"fields_precisions":null,"fields_scales":null}"#
    );
    assert_eq!(
        c.call(r#"{"action":"query","args":{"req_id":4,"sql":"create database x"}}"#).await,
        r#"{"code":0,"message":"","action":"query","req_id":4,"timing":0,"id":0,"is_update":true,"affected_rows":0,"fields_count":0,"fields_names":null,"fields_types":null,"fields_lengths":null,"precision":0,"fields_precisions":null,"fields_scales":null}"#
    );
}

#[tokio::test]
async fn query_reply_lists_fields_with_user_visible_lengths() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(2001, "select server_version()")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":0,"message":"","action":"binary_query","req_id":2001,"timing":0,"id":1,"is_update":false,"affected_rows":0,"fields_count":1,"fields_names":["server_version()"],"fields_types":[8],"fields_lengths":[13],"precision":0,"fields_precisions":[0],"fields_scales":[0]}"#
    );
    let r = c.call(r#"{"action":"query","args":{"req_id":5,"sql":"select all_ns"}}"#).await;
    assert_eq!(
        r,
        r#"{"code":0,"message":"","action":"query","req_id":5,"timing":0,"id":2,"is_update":false,"affected_rows":0,"fields_count":20,"fields_names":["ts","c_bool","c_i8","c_i16","c_i32","c_i64","c_u8","c_u16","c_u32","c_u64","c_f32","c_f64","c_vc","c_nc","c_vb","c_geo","c_d64","c_d128","c_blob","t_json"],"fields_types":[9,1,2,3,4,5,11,12,13,14,6,7,8,10,16,20,21,17,18,15],"fields_lengths":[8,1,1,2,4,8,1,2,4,8,4,8,32,16,32,64,8,16,4194304,4095],"precision":2,"fields_precisions":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,10,30,0,0],"fields_scales":[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,2,10,0,0]}"#
    );
    assert_eq!(
        c.call(r#"{"action": "num_fields", "args": {"req_id": 1009, "result_id": 2}}"#).await,
        r#"{"code":0,"message":"","action":"num_fields","req_id":1009,"timing":0,"num_fields":20}"#
    );
}

#[tokio::test]
async fn sql_errors_carry_tdengine_codes() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(4, "selec 1")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":9728,"message":"syntax error near \"selec 1\"","action":"binary_query","req_id":4,"timing":0}"#
    );
    c.send_binary(&binary_query(7, "use no_such_db_x")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":904,"message":"Database not exist","action":"binary_query","req_id":7,"timing":0}"#
    );
    // A backend panic is contained: an error answer, and the connection goes on.
    c.send_binary(&binary_query(8, "panic")).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":65535,"message":"internal error","action":"binary_query","req_id":8,"timing":0}"#
    );
    c.send_binary(&binary_query(9, "select 1")).await;
    assert!(c.recv_text().await.contains(r#""id":1,"is_update":false"#));
}

#[tokio::test]
async fn fetch_raw_block_serves_blocks_then_finished_then_result_is_nil() {
    let server = fake_server(ServerConfig { block_rows: 4096, ..ServerConfig::default() }).await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(1, "select rows 10000")).await;
    assert!(c.recv_text().await.contains(r#""id":1,"#));
    let mut rows = Vec::new();
    for i in 0..3 {
        c.send_binary(&fetch_raw_block(100 + i, 1)).await;
        let r = parse_raw_reply(&c.recv_binary().await);
        assert_eq!((r.req_id, r.code, r.result_id, r.finished), (100 + i, 0, 1, false));
        assert!(r.message.is_empty());
        let block = r.block.unwrap();
        assert_eq!(i32::from_le_bytes(block[4..8].try_into().unwrap()) as usize, block.len(), "block length field");
        rows.push(block_rows(&block));
    }
    assert_eq!(rows, vec![4096, 4096, 1808]);
    c.send_binary(&fetch_raw_block(200, 1)).await;
    let frame = c.recv_binary().await;
    assert_eq!(frame.len(), 51);
    let r = parse_raw_reply(&frame);
    assert_eq!((r.req_id, r.code, r.result_id, r.finished), (200, 0, 1, true));
    // The finished result was freed by the server.
    c.send_binary(&fetch_raw_block(201, 1)).await;
    let r = parse_raw_reply(&c.recv_binary().await);
    assert_eq!((r.code, r.message.as_str(), r.result_id, r.finished), (65535, "result is nil", 1, true));
    // free_result after that is silent.
    c.send_text(r#"{"action":"free_result","args":{"id":1,"req_id":0}}"#).await;
    assert_eq!(c.recv_within(200).await, None);
}

#[tokio::test]
async fn fetch_raw_block_errors_echo_the_requested_id() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&fetch_raw_block(0xfa5, 999)).await;
    let f = c.recv_binary().await;
    // marker | action 7 | version 1 | timing (zeroed) | req_id | code 65535 | len 13 | message | id 999 | finished
    let expected = concat!(
        "ffffffffffffffff", "0700000000000000", "0100", "0000000000000000", "a50f000000000000",
        "ffff0000", "0d000000", "726573756c74206973206e696c", "e703000000000000", "01"
    );
    let mut masked = f.clone();
    masked[18..26].fill(0);
    assert_eq!(hex(&masked), expected);
    // 24-byte request: no version field.
    c.send_binary(&bin_request(0xfa6, 1, 7, &[])).await;
    let r = parse_raw_reply(&c.recv_binary().await);
    assert_eq!((r.req_id, r.code, r.message.as_str(), r.result_id), (0xfa6, 65535, "message length is too short", 1));
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[tokio::test]
async fn block_size_is_configurable() {
    let server = fake_server(ServerConfig { block_rows: 3, ..ServerConfig::default() }).await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(1, "select rows 7")).await;
    c.recv_text().await;
    let mut rows = Vec::new();
    loop {
        c.send_binary(&fetch_raw_block(2, 1)).await;
        let r = parse_raw_reply(&c.recv_binary().await);
        match r.block {
            Some(b) => rows.push(block_rows(&b)),
            None => break,
        }
    }
    assert_eq!(rows, vec![3, 3, 1]);
}

#[tokio::test]
async fn empty_result_is_finished_at_once() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&binary_query(1, "select empty")).await;
    c.recv_text().await;
    c.send_binary(&fetch_raw_block(2, 1)).await;
    let r = parse_raw_reply(&c.recv_binary().await);
    assert!(r.finished && r.code == 0);
}

#[tokio::test]
async fn several_results_stay_open_independently() {
    let server = fake_server(ServerConfig { block_rows: 2, ..ServerConfig::default() }).await;
    let mut c = WsClient::connect_root(server.addr()).await;
    for (i, sql) in ["select rows 3", "select rows 5", "select 1"].iter().enumerate() {
        c.send_binary(&binary_query(i as u64, sql)).await;
        assert!(c.recv_text().await.contains(&format!(r#""id":{},"#, i + 1)));
    }
    // Interleave fetches across results 2, 1, 3, 2.
    let mut got = Vec::new();
    for id in [2u64, 1, 3, 2, 2, 2] {
        c.send_binary(&fetch_raw_block(10 + id, id)).await;
        let r = parse_raw_reply(&c.recv_binary().await);
        assert_eq!(r.result_id, id);
        got.push(r.block.map_or(0, |b| block_rows(&b)));
    }
    assert_eq!(got, vec![2, 2, 1, 2, 1, 0]);
    // Freeing one leaves the other usable.
    c.send_text(r#"{"action":"free_result","args":{"req_id":5,"id":2}}"#).await;
    c.send_binary(&fetch_raw_block(20, 1)).await;
    assert_eq!(block_rows(&parse_raw_reply(&c.recv_binary().await).block.unwrap()), 1);
    c.send_binary(&fetch_raw_block(21, 2)).await;
    assert_eq!(parse_raw_reply(&c.recv_binary().await).message, "result is nil");
}

#[tokio::test]
async fn json_fetch_and_fetch_block_path() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.call(r#"{"action":"query","args":{"req_id":1,"sql":"select all_ms"}}"#).await;
    assert_eq!(
        c.call(r#"{"action":"fetch_block","args":{"req_id":2,"id":1}}"#).await,
        r#"{"code":65535,"message":"block is nil","action":"fetch_block","req_id":2,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action":"fetch","args":{"req_id":3,"id":1}}"#).await,
        r#"{"code":0,"message":"","action":"fetch","req_id":3,"timing":0,"id":1,"completed":false,"lengths":[8,1,1,2,4,8,1,2,4,8,4,8,34,66,34,66,8,16,4194308,16384],"rows":2}"#
    );
    c.send_text(r#"{"action":"fetch_block","args":{"req_id":4,"id":1}}"#).await;
    let f = c.recv_binary().await;
    assert_ne!(u64::from_le_bytes(f[0..8].try_into().unwrap()), u64::MAX, "timing, not the raw marker");
    assert_eq!(u64::from_le_bytes(f[8..16].try_into().unwrap()), 1);
    let expected = taos_testserver::block::encode_block(&all_types(taos_testserver::types::Precision::Millisecond), 0, 2);
    assert_eq!(&f[16..], &expected[..]);
    assert_eq!(
        c.call(r#"{"action":"fetch","args":{"req_id":5,"id":1}}"#).await,
        r#"{"code":0,"message":"","action":"fetch","req_id":5,"timing":0,"id":1,"completed":true,"lengths":null,"rows":0}"#
    );
    assert_eq!(
        c.call(r#"{"action":"fetch","args":{"req_id":6,"id":1}}"#).await,
        r#"{"code":65535,"message":"result is nil","action":"fetch","req_id":6,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action": "fetch_block", "args": {"req_id": 1006, "id": 999}}"#).await,
        r#"{"code":65535,"message":"result is nil","action":"fetch_block","req_id":1006,"timing":0}"#
    );
}

#[tokio::test]
async fn malformed_requests_get_adapter_errors_and_the_connection_survives() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    let cases: &[(&str, &str)] = &[
        ("{not json", r#"{"code":65535,"message":"unmarshal request error","action":"","req_id":0,"timing":0}"#),
        ("[1,2,3]", r#"{"code":65535,"message":"unmarshal request error","action":"","req_id":0,"timing":0}"#),
        (
            r#"{"action":"no_such_action","args":{"req_id":77}}"#,
            r#"{"code":65535,"message":"unknown action no_such_action","action":"no_such_action","req_id":77,"timing":0}"#,
        ),
        (r#"{"args":{"req_id":78}}"#, r#"{"code":65535,"message":"request no action","action":"","req_id":78,"timing":0}"#),
        (
            r#"{"action":"query","args":{"req_id":79,"sql":123}}"#,
            r#"{"code":65535,"message":"unmarshal query request error","action":"query","req_id":79,"timing":0}"#,
        ),
        (
            r#"{"action": "stmt2_exec", "args": {"req_id": 1009, "stmt_id": 555}}"#,
            r#"{"code":65535,"message":"stmt2 is nil","action":"stmt2_exec","req_id":1009,"timing":0,"stmt_id":555}"#,
        ),
        (
            r#"{"action": "prepare", "args": {"req_id": 1010, "stmt_id": 556, "sql": "select 1"}}"#,
            r#"{"code":65535,"message":"stmt is nil","action":"prepare","req_id":1010,"timing":0,"stmt_id":556}"#,
        ),
        (
            r#"{"action": "stmt2_close", "args": {"req_id": 1011, "stmt_id": 557}}"#,
            r#"{"code":0,"message":"","action":"stmt2_close","req_id":1011,"timing":0,"stmt_id":557}"#,
        ),
    ];
    for (req, want) in cases {
        assert_eq!(&c.call(req).await, want, "request {req}");
    }
    let bin_cases: &[(Vec<u8>, &str)] = &[
        (vec![1, 2, 3], r#"{"code":65535,"message":"unknown binary action 0","action":"unknown","req_id":197121,"timing":0}"#),
        (
            bin_request(4002, 0, 99, &[]),
            r#"{"code":65535,"message":"unknown binary action 99","action":"unknown","req_id":4002,"timing":0}"#,
        ),
        (
            bin_request(4003, 0, 6, &[2, 0, 0, 0, 0, 0]),
            r#"{"code":65535,"message":"message length is too short","action":"binary_query","req_id":4003,"timing":0}"#,
        ),
        (
            bin_request(4004, 0, 6, &[1, 0, 100, 0, 0, 0, b's', b'e', b'l', b'e', b'c', b't', b' ', b'1']),
            r#"{"code":65535,"message":"uncompleted message, sql length:100, remainMessageLength:8","action":"binary_query","req_id":4004,"timing":0}"#,
        ),
        (
            bin_request(4005, 0, 6, &[2, 0, 1, 0, 0, 0, b'x']),
            r#"{"code":65535,"message":"unknown binary query version:2","action":"binary_query","req_id":4005,"timing":0}"#,
        ),
    ];
    for (req, want) in bin_cases {
        c.send_binary(req).await;
        assert_eq!(&mask_timing(&c.recv_text().await), want, "binary request {req:?}");
    }
    // Invalid UTF-8 inside a text frame is accepted at the WebSocket layer (as by the Go adapter).
    c.send_text_bytes(b"{\"action\":\"query\",\"args\":{\"req_id\":80,\"sql\":\"sel\xff\xfe\"}}").await;
    let r = mask_timing(&c.recv_text().await);
    assert!(r.starts_with(r#"{"code":9728,"message":"syntax error near \"sel"#), "{r}");
    assert!(r.ends_with(r#"","action":"query","req_id":80,"timing":0}"#), "{r}");
    // Still usable.
    c.send_binary(&binary_query(81, "select 1")).await;
    assert!(c.recv_text().await.contains(r#""is_update":false"#));
}

#[tokio::test]
async fn validate_sql_reports_the_full_signed_code() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect_root(server.addr()).await;
    let mut ok = binary_query(2005, "select 1");
    ok[16] = 10;
    c.send_binary(&ok).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":0,"message":"","action":"validate_sql","req_id":2005,"timing":0,"result_code":0}"#
    );
    let mut bad = binary_query(2006, "selec 1");
    bad[16] = 10;
    c.send_binary(&bad).await;
    assert_eq!(
        mask_timing(&c.recv_text().await),
        r#"{"code":0,"message":"","action":"validate_sql","req_id":2006,"timing":0,"result_code":-2147473920}"#
    );
}

#[tokio::test]
async fn ping_is_answered_with_pong_and_close_with_close() {
    let server = default_fake_server().await;
    let mut c = WsClient::connect(server.addr()).await;
    c.send_ping(b"TAOS").await;
    assert_eq!(c.recv().await, Frame::Pong(b"TAOS".to_vec()));
    c.send_raw_frame(0x88, &1000u16.to_be_bytes()).await;
    assert_eq!(c.recv().await, Frame::Close(Some(1000)));
}

#[tokio::test]
async fn the_server_pings_idle_clients() {
    let server = fake_server(ServerConfig {
        ping_interval: Some(std::time::Duration::from_millis(50)),
        ..ServerConfig::default()
    })
    .await;
    let mut c = WsClient::connect_root(server.addr()).await;
    assert_eq!(c.recv().await, Frame::Ping(Vec::new()));
    // Replies still flow in between.
    c.send_text(r#"{"action":"version","args":{"req_id":5}}"#).await;
    loop {
        match c.recv().await {
            Frame::Ping(_) => continue,
            Frame::Text(t) => break assert!(t.contains(r#""req_id":5"#)),
            other => panic!("{other:?}"),
        }
    }
}

#[tokio::test]
async fn oversized_messages_close_the_connection_with_1009() {
    let server = fake_server(ServerConfig { max_message_bytes: 1024, ..ServerConfig::default() }).await;
    let mut c = WsClient::connect_root(server.addr()).await;
    c.send_binary(&vec![0u8; 4096]).await;
    assert_eq!(c.recv().await, Frame::Close(Some(1009)));
    // Other connections are unaffected.
    let mut d = WsClient::connect_root(server.addr()).await;
    d.send_binary(&binary_query(1, "select 1")).await;
    assert!(d.recv_text().await.contains(r#""code":0"#));
}

#[tokio::test]
async fn shutdown_closes_connections_and_frees_the_port() {
    let server = default_fake_server().await;
    let addr = server.addr();
    let mut c = WsClient::connect_root(addr).await;
    server.shutdown().await;
    assert_eq!(c.recv().await, Frame::Close(Some(1001)));
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_connections_at_once_each_get_their_own_results() {
    let server = fake_server(ServerConfig { block_rows: 100, ..ServerConfig::default() }).await;
    let addr = server.addr();
    let tasks: Vec<_> = (0..50u64)
        .map(|n| {
            tokio::spawn(async move {
                let mut c = WsClient::connect_root(addr).await;
                let rows = 50 + n as usize * 7;
                c.send_binary(&binary_query(n, &format!("select rows {rows}"))).await;
                let reply: serde_json::Value = serde_json::from_str(&c.recv_text().await).unwrap();
                assert_eq!((reply["req_id"].as_u64(), reply["id"].as_u64()), (Some(n), Some(1)));
                let mut total = 0;
                loop {
                    c.send_binary(&fetch_raw_block(n, 1)).await;
                    let r = parse_raw_reply(&c.recv_binary().await);
                    assert_eq!(r.req_id, n);
                    match r.block {
                        Some(b) => total += block_rows(&b) as usize,
                        None => break,
                    }
                }
                assert_eq!(total, rows);
            })
        })
        .collect();
    for t in tasks {
        t.await.unwrap();
    }
}

/// m_session_options: `conn`'s `app`/`ip` and `options_connection` (2 = ip, 3 = app) are what
/// `performance_schema.perf_connections` shows as `user_app`/`user_ip` (`app` is the adapter's);
/// an unknown option is 280, and a closed connection leaves the view. The REST requests run on
/// the adapter's pooled connection, listed without `user_app`/`user_ip` (3.3.7.5).
#[tokio::test]
async fn connection_options_show_in_perf_connections() {
    let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let addr = server.addr();
    let mut a = WsClient::connect(addr).await;
    let r = a.call(r#"{"action":"conn","args":{"req_id":1,"user":"root","password":"taosdata","tz":"America/New_York","app":"app_a","ip":"10.1.2.3"}}"#).await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let mut b = WsClient::connect(addr).await;
    assert!(b.call(r#"{"action":"conn","args":{"req_id":1,"user":"root","password":"taosdata"}}"#).await.starts_with(r#"{"code":0,"#));
    let r = b.call(r#"{"action":"options_connection","args":{"req_id":2,"options":[{"option":2,"value":"10.0.0.1"},{"option":3,"value":"app_b"},{"option":0,"value":"UTF-8"}]}}"#).await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let r = b.call(r#"{"action":"options_connection","args":{"req_id":3,"options":[{"option":9,"value":"x"}]}}"#).await;
    assert!(r.starts_with(r#"{"code":280,"message":"Invalid parameters","#), "{r}");
    let sql = "select `user`, app, user_app, user_ip from performance_schema.perf_connections order by user_app";
    let r = rest_sql(addr, "/rest/sql", sql).await;
    assert!(
        r.text().contains(r#""data":[["root","taosadapter","",""],["root","taosadapter","app_a","10.1.2.3"],["root","taosadapter","app_b","10.0.0.1"]]"#),
        "{}",
        r.text()
    );
    // SHOW CONNECTIONS answers the same table (3.3.7.5: same columns, same rows)
    let r = rest_sql(addr, "/rest/sql", "show connections").await.text();
    assert!(r.contains(r#""column_meta":[["conn_id","INT UNSIGNED",4],["user","VARCHAR",24],["app","VARCHAR",24],["pid","INT UNSIGNED",4],["end_point","VARCHAR",134],["login_time","TIMESTAMP",8],["last_access","TIMESTAMP",8],["user_app","VARCHAR",24],["user_ip","VARCHAR",22]]"#), "{r}");
    assert!(r.contains(r#""rows":3"#) && r.contains("app_a") && r.contains("app_b"), "{r}");
    drop(a);
    let mut left = String::new();
    for _ in 0..50 {
        left = rest_sql(addr, "/rest/sql", sql).await.text();
        if !left.contains("app_a") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(left.contains(r#""data":[["root","taosadapter","",""],["root","taosadapter","app_b","10.0.0.1"]]"#), "{left}");
    server.shutdown().await;
}

/// taosAdapter runs REST requests on a pool of connections per user, opened at the user's first
/// request and kept: `perf_connections` lists it (3.3.7.5: one `taosadapter` row without
/// `user_app`/`user_ip` after REST requests alone), once per user however many requests ran.
#[tokio::test]
async fn rest_requests_run_on_one_pooled_connection_per_user() {
    let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let addr = server.addr();
    let sql = "select `user`, app, user_app, user_ip from performance_schema.perf_connections";
    for _ in 0..3 {
        let r = rest_sql(addr, "/rest/sql", sql).await.text();
        assert!(r.contains(r#""data":[["root","taosadapter","",""]],"rows":1"#), "{r}");
    }
    let r = rest_sql(addr, "/rest/sql", "create user pooled pass 'Pooled_1234'").await.text();
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let as_pooled = common::http(addr, "POST", "/rest/sql", &[("Authorization", "Basic cG9vbGVkOlBvb2xlZF8xMjM0")], b"select 1").await.text();
    assert!(as_pooled.starts_with(r#"{"code":0,"#), "{as_pooled}");
    let r = rest_sql(addr, "/rest/sql", &format!("{sql} order by `user`")).await.text();
    assert!(r.contains(r#""data":[["pooled","taosadapter","",""],["root","taosadapter","",""]],"rows":2"#), "{r}");
    server.shutdown().await;
}

/// Checked on TDengine 3.3.7.5: REST `conn_tz` is the request's session zone (it reads literal
/// local times and names `timezone()`), while `tz` only renders timestamps.
#[tokio::test]
async fn rest_conn_tz_is_the_session_zone_and_tz_only_renders() {
    let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let sql = "select to_unixtimestamp('2024-01-01 00:00:00'), timezone()";
    let r = rest_sql(server.addr(), "/rest/sql?conn_tz=Asia/Shanghai", sql).await;
    assert!(r.text().contains(r#""data":[[1704038400000,"Asia/Shanghai (CST, +0800)"]]"#), "{}", r.text());
    assert!(r.text().contains(r#"["timezone()","VARCHAR",26]"#), "{}", r.text());
    let r = rest_sql(server.addr(), "/rest/sql?tz=Asia/Shanghai", sql).await;
    assert!(r.text().contains(r#""data":[[1704067200000,"#), "{}", r.text());
    server.shutdown().await;
}

/// taosAdapter writes its JSON replies with Go's encoder: `<`, `>` and `&` in strings are `\u`
/// escapes in WebSocket replies and REST errors, while REST result rows are written as they are
/// (3.3.7.5, same statements).
#[tokio::test]
async fn replies_escape_html_characters_as_gos_encoder_does() {
    let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let addr = server.addr();
    let mut ws = WsClient::connect_root(addr).await;
    let r = ws.call(r#"{"action":"query","args":{"req_id":2,"sql":"select * from x.t where v < 1 & v > 2"}}"#).await;
    assert!(r.starts_with(r#"{"code":9728,"message":"syntax error near \"\u003e 2\"","action":"query""#), "{r}");
    let r = ws.call(r#"{"action":"query","args":{"req_id":3,"sql":"select 1 as `a<b`"}}"#).await;
    assert!(r.contains(r#""fields_names":["a\u003cb"]"#), "{r}");
    let r = rest_sql(addr, "/rest/sql", "select * from x.t where v < 1 & v > 2").await.text();
    assert!(r.starts_with(r#"{"code":9728,"desc":"syntax error near \"\u003e 2\"""#), "{r}");
    let r = rest_sql(addr, "/rest/sql", "select 'a<b&c>' as `a<b`").await.text();
    assert!(r.starts_with(r#"{"code":0,"column_meta":[["a<b","VARCHAR",6]],"data":[["a<b&c>"]]"#), "{r}");
    server.shutdown().await;
}
