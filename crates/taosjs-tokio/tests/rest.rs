//! The REST transport against the embedded server's `/rest/sql` and `/rest/login`: the same
//! statements as over WebSocket decode to the same columns.

use std::time::Duration;

use taos_testserver::{start, ServerConfig, ServerHandle};
use taosjs_core::block::DecodedColumn;
use taosjs_core::{ConnectConfig, ErrorKind};
use taosjs_tokio::{Client, RestClient};

mod common;
use common::{tls_data, tls_proxy, tls_proxy_with, TEST_CA};

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..Default::default() }).await.expect("test server starts")
}

fn config(scheme: &str, server: &ServerHandle, credentials: &str) -> ConnectConfig {
    ConnectConfig::from_dsn(&format!("{scheme}://{credentials}@{}", server.addr())).unwrap()
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("timed out")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rest_and_websocket_decode_the_same_columns() {
    let s = server().await;
    let rest = within(RestClient::connect(&config("http", &s, "root:taosdata"))).await.unwrap();
    assert!(rest.server_version().starts_with("3."), "{}", rest.server_version());
    let ws = within(Client::connect(config("ws", &s, "root:taosdata"))).await.unwrap();
    for sql in [
        "create database rest_rs precision 'ns'",
        "create table rest_rs.t (ts timestamp, i bigint, u bigint unsigned, f float, s nchar(8), b varbinary(8), d decimal(20,4))",
        "insert into rest_rs.t values (1700000000000000001, 9007199254740993, 18446744073709551615, 0.1, 'ü😀', '\\x00ff', -1234567890123456.7891) (1700000000000000002, null, null, null, null, null, null)",
    ] {
        within(rest.sql(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let sql = "select * from rest_rs.t order by ts";
    let answer = within(rest.sql(sql, Some(7))).await.unwrap();
    let info = within(ws.query(sql, None)).await.unwrap();
    let block = within(ws.fetch_block(info.result_id)).await.unwrap().unwrap().decode().unwrap();
    assert_eq!(answer.fields, info.fields);
    assert_eq!(answer.precision, info.precision);
    assert_eq!(answer.blocks, vec![block]);
    ws.close().await;
    rest.close();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_token_replaces_the_password_and_refusals_are_connection_errors() {
    let s = server().await;
    let rest = RestClient::new(&config("http", &s, "root:taosdata")).unwrap();
    let token = within(rest.login()).await.unwrap();
    let mut by_token = config("http", &s, "nobody:wrong");
    by_token.token = Some(token);
    let client = within(RestClient::connect(&by_token)).await.unwrap();
    let answer = within(client.sql("select 1", None)).await.unwrap();
    assert_eq!(answer.blocks[0].rows, 1);

    let e = within(RestClient::connect(&config("http", &s, "root:wrong"))).await.err().unwrap();
    assert_eq!((e.kind, e.errno), (ErrorKind::Connection, Some(0x0357)), "{e}");
    assert!(!e.message.contains("wrong"), "{e}");
    let e = client.lacks("stmt2");
    assert_eq!(e.kind, ErrorKind::NotSupported);
    assert!(e.message.contains(&format!("ws://{}", s.addr())), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_statements_share_a_bounded_pool() {
    let s = server().await;
    let mut cfg = config("http", &s, "root:taosdata");
    cfg.max_sockets = 2;
    let rest = within(RestClient::connect(&cfg)).await.unwrap();
    let calls: Vec<_> = (0..40).map(|i| {
        let rest = rest.clone();
        tokio::spawn(async move { rest.sql(&format!("select {i}"), None).await })
    }).collect();
    for (i, call) in calls.into_iter().enumerate() {
        let answer = within(call).await.unwrap().unwrap();
        let DecodedColumn::Fixed { .. } = &answer.blocks[0].columns[0] else { panic!("select {i}") };
    }
    rest.close();
    let e = within(rest.sql("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_works_with_a_trusted_ca_and_fails_without() {
    let s = server().await;
    let proxy = tls_proxy(s.addr()).await;
    let dsn = format!("https://root:taosdata@localhost:{}", proxy.port());
    let mut cfg = ConnectConfig::from_dsn(&dsn).unwrap();
    cfg.tls_ca_pem = Some(TEST_CA.to_owned());
    let rest = within(RestClient::connect(&cfg)).await.unwrap();
    assert!(rest.server_version().starts_with("3."));
    assert_eq!(within(rest.sql("select 1", None)).await.unwrap().blocks[0].rows, 1);
    let e = within(RestClient::connect(&ConnectConfig::from_dsn(&dsn).unwrap())).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.to_lowercase().contains("certificate"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_takes_the_same_tls_options_as_wss() {
    let s = server().await;
    let proxy = tls_proxy_with(s.addr(), "self-signed", None).await;
    let dsn = format!("https://root:taosdata@localhost:{}", proxy.port());
    // Refused in words, naming the option that would trust it.
    let e = within(RestClient::connect(&ConnectConfig::from_dsn(&dsn).unwrap())).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("TLS: the server") && e.message.contains("option ca"), "{e}");
    // A self-signed certificate given as `ca` is trusted.
    let cfg = ConnectConfig { tls_ca_pem: Some(tls_data("self-signed.pem")), ..ConnectConfig::from_dsn(&dsn).unwrap() };
    let rest = within(RestClient::connect(&cfg)).await.unwrap();
    assert_eq!(within(rest.sql("select 1", None)).await.unwrap().blocks[0].rows, 1);
    // rejectUnauthorized: false accepts it too.
    let cfg = ConnectConfig { tls_verify: false, ..ConnectConfig::from_dsn(&dsn).unwrap() };
    let rest = within(RestClient::connect(&cfg)).await.unwrap();
    assert_eq!(within(rest.sql("select 1", None)).await.unwrap().blocks[0].rows, 1);
    // A client certificate is sent when the server asks for one.
    let proxy = tls_proxy_with(s.addr(), "server", Some("client-ca.pem")).await;
    let dsn = format!("https://root:taosdata@localhost:{}", proxy.port());
    let cfg = ConnectConfig {
        tls_ca_pem: Some(tls_data("ca.pem")),
        tls_cert_pem: Some(tls_data("client.pem")),
        tls_key_pem: Some(tls_data("client.key")),
        ..ConnectConfig::from_dsn(&dsn).unwrap()
    };
    let rest = within(RestClient::connect(&cfg)).await.unwrap();
    assert_eq!(within(rest.sql("select 1", None)).await.unwrap().blocks[0].rows, 1);
}
