//! `insert` (schemaless) on `/ws` against the real engine: reply shapes from `g2_schemaless.jsonl`.

mod common;

use common::*;
use taos_testserver::{start, ServerConfig};

#[tokio::test]
async fn schemaless_insert_over_ws() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut c = WsClient::connect_root(server.addr()).await;
    // No database selected yet: 0x2616, as in j_stmt_without_db.
    let r = c.call(r#"{"action":"insert","args":{"req_id":1,"protocol":1,"precision":"ms","data":"m,t=1 v=1i 1710000000000"}}"#).await;
    assert!(r.starts_with(r#"{"code":9750,"message":"Database not specified","#), "{r}");
    for sql in ["create database sml_ws precision 'ms'", "use sml_ws"] {
        c.send_binary(&binary_query(2, sql)).await;
        assert!(c.recv_text().await.contains(r#""code":0"#));
    }
    assert_eq!(
        c.call(r#"{"action": "insert", "args": {"req_id": 1002, "protocol": 1, "precision": "ms", "ttl": 0, "data": "rawb_m,t=1 v=1i 1710000000000\nrawb_m,t=2 v=2i 1710000000001"}}"#).await,
        r#"{"code":0,"message":"","action":"insert","req_id":1002,"timing":0,"affected_rows":2,"total_rows":2}"#
    );
    assert_eq!(
        c.call(r#"{"action": "insert", "args": {"req_id": 1005, "protocol": 2, "precision": "s", "ttl": 0, "data": "rawb_tel 1700000000 1.5 host=a"}}"#).await,
        r#"{"code":0,"message":"","action":"insert","req_id":1005,"timing":0,"affected_rows":1,"total_rows":1}"#
    );
    assert_eq!(
        c.call(r#"{"action": "insert", "args": {"req_id": 1007, "protocol": 0, "precision": "ms", "ttl": 0, "data": "x"}}"#).await,
        r#"{"code":65535,"message":"schemaless write protocol is null","action":"insert","req_id":1007,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action": "insert", "args": {"req_id": 1008, "protocol": 1, "precision": "ms", "ttl": 0, "data": "bad"}}"#).await,
        r#"{"code":12290,"message":"SML line cols is empty","action":"insert","req_id":1008,"timing":0}"#
    );
    assert_eq!(
        c.call(r#"{"action":"insert","args":{"req_id":9,"protocol":"1"}}"#).await,
        r#"{"code":65535,"message":"unmarshal schemaless insert request error","action":"insert","req_id":9,"timing":0}"#
    );
    // The rows are there.
    let r = rest_sql(server.addr(), "/rest/sql", "select count(*) from sml_ws.rawb_m").await;
    assert!(r.text().contains(r#""data":[[2]]"#), "{}", r.text());
    server.shutdown().await;
}
