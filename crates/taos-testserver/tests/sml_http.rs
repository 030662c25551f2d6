//! Schemaless writes over HTTP (`/influxdb/v1/write`, `/opentsdb/v1/put/{json,telnet}/<db>`):
//! answers as taosAdapter 3.3.7.5's plugins give them (recorded by hand against the real server).

mod common;

use common::*;
use taos_testserver::{start, ServerConfig, ServerHandle};

const ROOT: (&str, &str) = ROOT_BASIC;

async fn setup() -> ServerHandle {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let r = rest_sql(server.addr(), "/rest/sql", "create database sh precision 'ms'").await;
    assert_eq!(r.status, 200, "{}", r.text());
    server
}

#[tokio::test]
async fn influxdb_line_protocol_writes_answer_204_and_the_plugins_errors() {
    let server = setup().await;
    let a = server.addr();
    let post = |target: String, headers: Vec<(&'static str, &'static str)>, body: &'static str| async move {
        http(a, "POST", &target, &headers, body.as_bytes()).await
    };
    let r = post("/influxdb/v1/write?db=sh&precision=ms".into(), vec![ROOT], "m1,h=a v=1i 1700000000000\n").await;
    assert_eq!((r.status, r.text()), (204, String::new()));
    // credentials in `u`/`p` instead of a header; the default precision is ns
    let r = post("/influxdb/v1/write?db=sh&u=root&p=taosdata".into(), vec![], "m1,h=b v=2i 1700000001000000000").await;
    assert_eq!((r.status, r.text()), (204, String::new()));
    let r = rest_sql(a, "/rest/sql", "select count(*) from sh.m1").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["count(*)","BIGINT",8]],"data":[[2]],"rows":1}"#);

    let r = post("/influxdb/v1/write?db=sh".into(), vec![], "m1,h=a v=1i 1").await;
    assert_eq!((r.status, r.text()), (401, r#"{"code":"forbidden","message":"get auth error"}"#.into()));
    let r = post("/influxdb/v1/write".into(), vec![ROOT], "m1,h=a v=1i 1").await;
    assert_eq!(
        (r.status, r.text()),
        (400, r#"{"code":"not found","message":"db required","op":"get db query","err":"db required","line":0}"#.into())
    );
    let r = post("/influxdb/v1/write?db=sh&ttl=abc".into(), vec![ROOT], "m1,h=a v=1i 1").await;
    assert_eq!(
        (r.status, r.text()),
        (400, r#"{"code":"illegal param","message":"ttl must be numeric","op":"parse ttl","err":"ttl must be numeric","line":0}"#.into())
    );
    let r = post("/influxdb/v1/write?db=nosuchdb".into(), vec![ROOT], "m1,h=a v=1i 1").await;
    assert_eq!((r.status, r.text()), (500, r#"{"code":"internal error","message":"[0x388] Database not exist"}"#.into()));
    let r = post("/influxdb/v1/write?db=sh".into(), vec![("Authorization", "Basic cm9vdDp3cm9uZw==")], "m1,h=a v=1i 1").await;
    assert_eq!((r.status, r.text()), (500, r#"{"code":"internal error","message":"[0x357] Authentication failure"}"#.into()));
    // a timestamp older than the database's keep (a 13-digit value read as nanoseconds: 1970)
    let r = post("/influxdb/v1/write?db=sh".into(), vec![ROOT], "m1,h=c v=3i 1700000004000").await;
    assert_eq!((r.status, r.text()), (500, r#"{"code":"internal error","message":"[0x60b] Timestamp data out of range"}"#.into()));
    // only POST
    let r = http(a, "GET", "/influxdb/v1/write?db=sh", &[ROOT], b"").await;
    assert_eq!(r.status, 404);
}

#[tokio::test]
async fn opentsdb_json_and_telnet_writes_answer_204_and_the_plugins_errors() {
    let server = setup().await;
    let a = server.addr();
    let json = r#"[{"metric":"o.j","timestamp":1700000001,"value":2,"tags":{"h":"a"}}]"#;
    let r = http(a, "POST", "/opentsdb/v1/put/json/sh", &[ROOT], json.as_bytes()).await;
    assert_eq!((r.status, r.text()), (204, String::new()));
    // one point per line, `put ` prefixes and empty lines dropped
    let telnet = "put o.t 1700000000000 1 h=a\n\no.t 1700000001 2 h=b\n";
    let r = http(a, "POST", "/opentsdb/v1/put/telnet/sh", &[ROOT], telnet.as_bytes()).await;
    assert_eq!((r.status, r.text()), (204, String::new()));
    let r = rest_sql(a, "/rest/sql", "select count(*) from sh.o_t").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["count(*)","BIGINT",8]],"data":[[2]],"rows":1}"#);
    let r = rest_sql(a, "/rest/sql", "select count(*) from sh.o_j").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["count(*)","BIGINT",8]],"data":[[1]],"rows":1}"#);

    let r = http(a, "POST", "/opentsdb/v1/put/telnet/sh", &[], telnet.as_bytes()).await;
    assert_eq!((r.status, r.text()), (401, r#"{"code":401,"message":"auth needed"}"#.into()));
    let r = http(a, "POST", "/opentsdb/v1/put/telnet/nosuchdb", &[ROOT], telnet.as_bytes()).await;
    assert_eq!((r.status, r.text()), (500, r#"{"code":500,"message":"[0x388] Database not exist"}"#.into()));
    let r = http(a, "POST", "/opentsdb/v1/put/nosuch/sh", &[ROOT], telnet.as_bytes()).await;
    assert_eq!(r.status, 404);
}
