//! Fault injection: restart, stop/start, dropped connections and latency, as a client's
//! resilience tests use them. Runs the real engine: what survives a restart is the data.

mod common;

use std::time::{Duration, Instant};

use common::*;
use taos_testserver::{start, ServerConfig, ServerHandle};
use tokio::net::TcpStream;

async fn engine_server() -> ServerHandle {
    start(ServerConfig { port: 0, ..ServerConfig::default() }).await.expect("server starts")
}

/// Runs `sql` over a fresh REST connection and returns the body.
async fn sql(server: &ServerHandle, sql: &str) -> String {
    let reply = rest_sql(server.addr(), "/rest/sql", sql).await;
    assert_eq!(reply.status, 200, "{sql}: {}", reply.text());
    let body = reply.text();
    assert!(body.starts_with(r#"{"code":0,"#), "{sql}: {body}");
    body
}

async fn with_rows(server: &ServerHandle) {
    sql(server, "create database if not exists faults").await;
    sql(server, "create table if not exists faults.t (ts timestamp, v int)").await;
    sql(server, "insert into faults.t values (1700000000000, 1) (1700000000001, 2)").await;
}

async fn count_rows(server: &ServerHandle) -> String {
    let body = sql(server, "select count(*) from faults.t").await;
    let start = body.find(r#""data":"#).expect("data") + 7;
    body[start..].split(',').next().unwrap().trim_end_matches('}').to_string()
}

#[tokio::test]
async fn restart_drops_every_connection_listens_on_the_same_port_and_keeps_the_data() {
    let mut server = engine_server().await;
    let addr = server.addr();
    with_rows(&server).await;
    let mut a = WsClient::connect_root(addr).await;
    let mut b = WsClient::connect_root(addr).await;

    server.restart().await.expect("restarts");

    // No close frame: the sockets just go away, as when the adapter's process dies.
    assert!(a.vanished_within(2000).await, "first connection dropped");
    assert!(b.vanished_within(2000).await, "second connection dropped");
    assert_eq!(server.addr(), addr);
    assert!(server.is_listening());
    let mut c = WsClient::connect_root(addr).await;
    let version = c.call(r#"{"action":"version","args":{"req_id":7}}"#).await;
    assert!(version.contains(r#""code":0"#), "{version}");
    assert_eq!(count_rows(&server).await, "[[2]]");
}

#[tokio::test]
async fn stop_refuses_connections_until_start() {
    let mut server = engine_server().await;
    let addr = server.addr();
    with_rows(&server).await;
    let mut a = WsClient::connect_root(addr).await;

    server.stop().await;
    assert!(!server.is_listening());
    assert!(a.vanished_within(2000).await, "open connection dropped");
    let refused = TcpStream::connect(addr).await;
    assert_eq!(refused.err().map(|e| e.kind()), Some(std::io::ErrorKind::ConnectionRefused));
    server.stop().await; // twice: nothing more happens

    server.start().await.expect("listens again");
    server.start().await.expect("starting a listening server does nothing");
    assert!(server.is_listening());
    assert_eq!(count_rows(&server).await, "[[2]]");
}

#[tokio::test]
async fn drop_connections_keeps_listening() {
    let server = engine_server().await;
    let addr = server.addr();
    let mut ws = WsClient::connect_root(addr).await;
    let mut tmq = WsClient::connect_path(addr, "/rest/tmq").await;

    let started = Instant::now();
    server.faults().drop_connections().await;
    assert!(started.elapsed() < Duration::from_secs(1), "returns once they are gone");

    assert!(ws.vanished_within(1000).await, "WebSocket dropped");
    assert!(tmq.vanished_within(1000).await, "TMQ dropped");
    let mut again = WsClient::connect_root(addr).await;
    let version = again.call(r#"{"action":"version","args":{"req_id":8}}"#).await;
    assert!(version.contains(r#""code":0"#), "{version}");
}

#[tokio::test]
async fn latency_delays_every_reply_and_pipelined_requests_side_by_side() {
    let server = engine_server().await;
    let mut ws = WsClient::connect_root(server.addr()).await;
    let latency = Duration::from_millis(150);
    server.faults().set_latency(latency);
    assert_eq!(server.faults().latency(), latency);

    let started = Instant::now();
    ws.call(r#"{"action":"version","args":{"req_id":1}}"#).await;
    assert!(started.elapsed() >= latency, "one reply waits {:?}", started.elapsed());

    // Ten requests at once (more than the writer's queue): their replies wait once, not ten times.
    let started = Instant::now();
    for id in 2..12 {
        ws.send_text(&format!(r#"{{"action":"version","args":{{"req_id":{id}}}}}"#)).await;
    }
    for id in 2..12 {
        let reply = ws.recv_text().await;
        assert!(reply.contains(&format!(r#""req_id":{id}"#)), "{reply}");
    }
    let waited = started.elapsed();
    assert!(waited >= latency && waited < latency * 2, "ten pipelined replies took {waited:?}");

    let started = Instant::now();
    rest_sql(server.addr(), "/rest/sql", "select server_version()").await;
    assert!(started.elapsed() >= latency, "REST waits too");

    server.faults().set_latency(Duration::ZERO);
    let started = Instant::now();
    ws.call(r#"{"action":"version","args":{"req_id":9}}"#).await;
    assert!(started.elapsed() < latency, "latency removed");
}
