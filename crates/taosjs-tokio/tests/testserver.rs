//! taosjs-tokio against the embedded server (`taos_testserver`), one scenario per test.

use std::time::Duration;

use taos_testserver::{start, ServerConfig, ServerHandle};
use taosjs_core::block::{DecodedBlock, DecodedColumn, FixedData};
use taosjs_core::{ConnectConfig, ConnectOverrides, DataType, ErrorKind, Precision, Stmt2InitOptions};
use taosjs_tokio::{Client, ConnectionEvent};

mod common;
use common::{tls_data, tls_proxy, tls_proxy_with, TEST_CA};

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..Default::default() }).await.expect("test server starts")
}

fn config(server: &ServerHandle) -> ConnectConfig {
    ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}", server.addr())).unwrap()
}

/// Every call under a timeout: a hang is a failure, not a stuck test run.
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("timed out")
}

async fn exec(c: &Client, sql: &str) -> i64 {
    let info = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    info.affected_rows
}

/// Runs a query and reads every block.
async fn fetch_all(c: &Client, sql: &str) -> (taosjs_core::QueryInfo, Vec<DecodedBlock>) {
    let info = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut blocks = Vec::new();
    while let Some(raw) = within(c.fetch_block(info.result_id)).await.unwrap() {
        blocks.push(raw.decode().unwrap());
    }
    (info, blocks)
}

fn text(col: &DecodedColumn, row: usize) -> Option<String> {
    col.var_value(row).map(|b| String::from_utf8(b.to_vec()).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connect_and_select_server_version() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    assert!(c.server_version().starts_with("3."), "{}", c.server_version());
    let (info, blocks) = fetch_all(&c, "select server_version()").await;
    assert_eq!(info.fields.len(), 1);
    assert_eq!(info.fields[0].ty, DataType::VarChar);
    assert_eq!(blocks.len(), 1);
    assert_eq!(text(&blocks[0].columns[0], 0), Some(c.server_version()));
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_a_connection_error_855() {
    let s = server().await;
    let cfg = ConnectConfig::from_parts(
        Some(&format!("ws://root:nope@{}", s.addr())),
        ConnectOverrides::default(),
    )
    .unwrap();
    let e = within(Client::connect(cfg)).await.err().expect("must fail");
    assert_eq!(e.kind, ErrorKind::Connection);
    assert_eq!(e.errno, Some(855));
    assert!(!e.message.contains("nope"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_endpoints_are_skipped_in_order() {
    let s = server().await;
    // A port nobody listens on: bind, read the port, drop the listener.
    let dead = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let cfg = ConnectConfig::from_dsn(&format!("ws://{dead},{}", s.addr())).unwrap();
    let c = within(Client::connect(cfg)).await.unwrap();
    exec(&c, "select 1").await;

    let cfg = ConnectConfig::from_dsn(&format!("ws://{dead}")).unwrap();
    let e = within(Client::connect(cfg)).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains(&dead.to_string()), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wss_works_with_a_trusted_ca_and_fails_without() {
    let s = server().await;
    let proxy = tls_proxy(s.addr()).await;
    let dsn = format!("wss://root:taosdata@localhost:{}", proxy.port());
    let mut cfg = ConnectConfig::from_dsn(&dsn).unwrap();
    cfg.tls_ca_pem = Some(TEST_CA.to_owned());
    let c = within(Client::connect(cfg)).await.unwrap();
    let (_, blocks) = fetch_all(&c, "select server_version()").await;
    assert_eq!(text(&blocks[0].columns[0], 0), Some(c.server_version()));
    c.close().await;

    // Without our CA the certificate is not trusted.
    let e = within(Client::connect(ConnectConfig::from_dsn(&dsn).unwrap())).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.to_lowercase().contains("certificate"), "{e}");

    let mut cfg = ConnectConfig::from_dsn(&dsn).unwrap();
    cfg.tls_ca_pem = Some("not a certificate".into());
    let e = within(Client::connect(cfg)).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Programming);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_self_signed_certificate_is_trusted_when_given_as_ca_and_refused_in_words_otherwise() {
    let s = server().await;
    let proxy = tls_proxy_with(s.addr(), "self-signed", None).await;
    let dsn = format!("wss://root:taosdata@localhost:{}", proxy.port());
    let e = within(Client::connect(ConnectConfig::from_dsn(&dsn).unwrap())).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("TLS: the server") && e.message.contains("option ca"), "{e}");

    let cfg = ConnectConfig { tls_ca_pem: Some(tls_data("self-signed.pem")), ..ConnectConfig::from_dsn(&dsn).unwrap() };
    let c = within(Client::connect(cfg)).await.unwrap();
    exec(&c, "select 1").await;
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reject_unauthorized_false_accepts_any_certificate() {
    let s = server().await;
    let proxy = tls_proxy(s.addr()).await;
    let dsn = format!("wss://root:taosdata@localhost:{}", proxy.port());
    let cfg = ConnectConfig { tls_verify: false, ..ConnectConfig::from_dsn(&dsn).unwrap() };
    let c = within(Client::connect(cfg)).await.unwrap();
    exec(&c, "select 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_certificate_is_sent_when_the_server_asks_for_one() {
    let s = server().await;
    let proxy = tls_proxy_with(s.addr(), "server", Some("client-ca.pem")).await;
    let dsn = format!("wss://root:taosdata@localhost:{}", proxy.port());
    let trusted = || ConnectConfig { tls_ca_pem: Some(tls_data("ca.pem")), retries: 0, ..ConnectConfig::from_dsn(&dsn).unwrap() };
    let cfg = ConnectConfig { tls_cert_pem: Some(tls_data("client.pem")), tls_key_pem: Some(tls_data("client.key")), ..trusted() };
    let c = within(Client::connect(cfg)).await.unwrap();
    exec(&c, "select 1").await;
    c.close().await;

    let e = within(Client::connect(trusted())).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("cert"), "{e}");

    let cfg = ConnectConfig { tls_cert_pem: Some(tls_data("client.pem")), ..trusted() };
    let e = within(Client::connect(cfg)).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("cert and key go together"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn syntax_error_is_a_query_error_with_tdengine_code() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    let e = within(c.query("selec 1", None)).await.unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Query, Some(9728)));
    assert!(e.message.contains("selec"), "{e}");
    // The connection is still usable.
    exec(&c, "select 1").await;
}

async fn every_type(precision: &str, unit: i64) {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    let db = format!("t_{precision}");
    exec(&c, &format!("create database {db} precision '{precision}'")).await;
    exec(&c, &format!("use {db}")).await;
    exec(
        &c,
        "create table t (ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint, \
         c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned, \
         c_f32 float, c_f64 double, c_vc varchar(32), c_nc nchar(16), c_vb varbinary(16), \
         c_d64 decimal(10,2), c_d128 decimal(30,10), c_geo geometry(64), c_blob blob)",
    )
    .await;
    let base = 1_700_000_000_000i64 * unit;
    let n = exec(
        &c,
        &format!(
            "insert into t values ({base}, true, -128, -32768, -2147483648, -9223372036854775807, 255, 65535, \
             4294967295, 18446744073709551615, 3.5, 2.25, 'hello', '温度°C😀', '\\x0102ff', 12.34, \
             -12345678901234567890.0123456789, 'POINT(1.5 -2)', '\\xdeadbeef') ({}, null, null, null, null, null, \
             null, null, null, null, null, null, null, null, null, null, null, null, null)",
            base + 1
        ),
    )
    .await;
    assert_eq!(n, 2);
    let (info, blocks) = fetch_all(&c, "select * from t order by ts").await;
    let want_precision = match precision {
        "ms" => Precision::Millisecond,
        "us" => Precision::Microsecond,
        _ => Precision::Nanosecond,
    };
    assert_eq!(info.precision, want_precision);
    assert_eq!(info.fields[16].scale, 10);
    let b = &blocks[0];
    assert_eq!(b.rows, 2);
    let col = &b.columns;
    assert_eq!(col[0], DecodedColumn::Fixed { ty: DataType::Timestamp, nulls: vec![0, 0], data: FixedData::I64(vec![base, base + 1]) });
    for (i, c) in col.iter().enumerate().skip(1) {
        assert_eq!(c.nulls(), &[0, 1], "column {i} ({:?})", c.ty());
    }
    let DecodedColumn::Fixed { data: FixedData::U64(u64s), .. } = &col[9] else { panic!("{:?}", col[9]) };
    assert_eq!(u64s[0], u64::MAX);
    let DecodedColumn::Fixed { data: FixedData::I64(i64s), .. } = &col[5] else { panic!() };
    assert_eq!(i64s[0], -9223372036854775807);
    let DecodedColumn::Fixed { data: FixedData::F32(f), .. } = &col[10] else { panic!() };
    assert_eq!(f[0], 3.5);
    assert_eq!(text(&col[12], 0).as_deref(), Some("hello"));
    assert_eq!(text(&col[13], 0).as_deref(), Some("温度°C😀"));
    assert_eq!(col[14].var_value(0), Some(&[1u8, 2, 0xff][..]));
    assert_eq!(text(&col[15], 0).as_deref(), Some("12.34"));
    assert_eq!(text(&col[16], 0).as_deref(), Some("-12345678901234567890.0123456789"));
    let mut point = vec![1u8, 1, 0, 0, 0];
    point.extend_from_slice(&1.5f64.to_le_bytes());
    point.extend_from_slice(&(-2f64).to_le_bytes());
    assert_eq!(col[17].var_value(0), Some(&point[..]));
    assert_eq!(col[18].ty(), DataType::Blob);
    assert_eq!(col[18].var_value(0), Some(&[0xde, 0xad, 0xbe, 0xef][..]));

    // JSON tags arrive as JSON text; a NULL tag is NULL.
    exec(&c, "create stable sj (ts timestamp, v int) tags (tj json)").await;
    exec(&c, &format!("insert into j1 using sj tags ('{{\"k\":\"中\",\"n\":1.5}}') values ({base}, 1) j2 using sj tags (null) values ({base}, 2)")).await;
    let (_, blocks) = fetch_all(&c, "select v, tj from sj order by v").await;
    let tj = &blocks[0].columns[1];
    assert_eq!(tj.ty(), DataType::Json);
    let parsed: serde_json::Value = serde_json::from_str(&text(tj, 0).unwrap()).unwrap();
    assert_eq!(parsed, serde_json::json!({"k": "中", "n": 1.5}));
    assert_eq!(tj.nulls()[1], 1);
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_in_ms() {
    every_type("ms", 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_in_us() {
    every_type("us", 1_000).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_in_ns() {
    every_type("ns", 1_000_000).await;
}

async fn hundred_thousand_rows(c: &Client) {
    exec(c, "create database big").await;
    exec(c, "create table big.t (ts timestamp, v int, s varchar(12))").await;
    let base = 1_700_000_000_000i64;
    for chunk in 0..100 {
        let mut sql = String::from("insert into big.t values ");
        for i in 0..1000 {
            let row = chunk * 1000 + i;
            sql.push_str(&format!("({}, {row}, 'r{row}') ", base + row));
        }
        assert_eq!(exec(c, &sql).await, 1000);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_result_of_100k_rows_arrives_over_many_blocks() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    hundred_thousand_rows(&c).await;
    let (_, blocks) = fetch_all(&c, "select ts, v, s from big.t order by ts").await;
    assert!(blocks.len() > 1, "{} blocks", blocks.len());
    let mut next = 0i32;
    for b in &blocks {
        let DecodedColumn::Fixed { data: FixedData::I32(v), .. } = &b.columns[1] else { panic!() };
        for (row, &x) in v.iter().enumerate() {
            assert_eq!(x, next);
            assert_eq!(text(&b.columns[2], row), Some(format!("r{next}")));
            next += 1;
        }
    }
    assert_eq!(next, 100_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_concurrent_queries_share_one_connection() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    let tasks: Vec<_> = (0..50)
        .map(|i| {
            let c = c.clone();
            tokio::spawn(async move {
                let info = c.query(&format!("select {i}"), None).await.unwrap();
                let raw = c.fetch_block(info.result_id).await.unwrap().expect("one block");
                let b = raw.decode().unwrap();
                assert_eq!(c.fetch_block(info.result_id).await.unwrap(), None);
                match &b.columns[0] {
                    DecodedColumn::Fixed { data: FixedData::I64(v), .. } => v[0],
                    DecodedColumn::Fixed { data: FixedData::I32(v), .. } => i64::from(v[0]),
                    other => panic!("{other:?}"),
                }
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        assert_eq!(within(t).await.unwrap(), i as i64);
    }
}

/// `query_rows_with` from a thread outside the runtime (a JS thread's place): the outcome of
/// each call, waited for on that thread.
fn query_rows_here(c: &Client, sql: &str) -> Result<(taosjs_core::QueryInfo, Option<taosjs_core::BlockBatch>), taosjs_core::Error> {
    let (tx, rx) = std::sync::mpsc::channel();
    c.query_rows_with(sql, None, 2, move |outcome| {
        let _ = tx.send(outcome);
    });
    rx.recv_timeout(Duration::from_secs(60)).expect("the completion runs")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_made_on_threads_outside_the_runtime_start_there_and_complete() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    exec(&c, "create database if not exists here").await;
    exec(&c, "create table here.t (ts timestamp, v int)").await;
    let threads: Vec<_> = (0..4)
        .map(|k| {
            let c = c.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    // One call after another on this thread, several threads at once.
                    let v = k * 1000 + i;
                    let (info, _) = query_rows_here(&c, &format!("insert into here.t values ({}, {v})", 1_700_000_000_000_i64 + i64::from(v))).unwrap();
                    assert_eq!(info.affected_rows, 1);
                    let (info, batch) = query_rows_here(&c, &format!("select v from here.t where v = {v}")).unwrap();
                    assert_eq!(info.fields.len(), 1);
                    let batch = batch.expect("the query brings its first blocks");
                    assert!(batch.finished);
                    assert_eq!(batch.blocks.len(), 1);
                }
            })
        })
        .collect();
    for t in threads {
        tokio::task::spawn_blocking(move || t.join()).await.unwrap().unwrap();
    }
    let (_, blocks) = fetch_all(&c, "select count(*) from here.t").await;
    match &blocks[0].columns[0] {
        DecodedColumn::Fixed { data: FixedData::I64(v), .. } => assert_eq!(v[0], 200),
        other => panic!("{other:?}"),
    }
    // After close, a call from such a thread fails at once instead of waiting.
    within(c.close()).await;
    let c2 = c.clone();
    let e = tokio::task::spawn_blocking(move || query_rows_here(&c2, "select 1")).await.unwrap().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn freeing_early_releases_the_result_and_the_connection_goes_on() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    hundred_thousand_rows(&c).await;
    let info = within(c.query("select * from big.t", None)).await.unwrap();
    assert!(within(c.fetch_block(info.result_id)).await.unwrap().is_some());
    c.free_result(info.result_id);
    c.free_result(info.result_id); // idempotent
    let e = within(c.fetch_block(info.result_id)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Result);
    exec(&c, "select 1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_chosen_req_ids_work() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    let info = within(c.query("select 1", Some(u64::MAX - 1))).await.unwrap();
    assert!(info.result_id > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn after_close_every_call_is_a_connection_error() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    let info = within(c.query("select 1", None)).await.unwrap();
    within(c.close()).await;
    within(c.close()).await; // twice is fine
    let e = within(c.query("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    let e = within(c.fetch_block(info.result_id)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_gone_without_retries_is_a_connection_error() {
    let s = server().await;
    let c = within(Client::connect(ConnectConfig { retries: 0, ..config(&s) })).await.unwrap();
    exec(&c, "select 1").await;
    within(s.shutdown()).await;
    let e = within(c.query("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_restarted_on_the_same_port_is_reconnected_to_and_calls_go_on() {
    let s = server().await;
    let port = s.addr().port();
    let c = within(Client::connect(ConnectConfig { retry_backoff: Duration::from_millis(50), ..config(&s) })).await.unwrap();
    let mut events = c.events().expect("first caller");
    assert!(c.events().is_none(), "once");
    exec(&c, "select 1").await;
    within(s.shutdown()).await;
    let _s = start(ServerConfig { port, ..Default::default() }).await.expect("the port is free again");
    // Waits for the new connection, then runs there.
    exec(&c, "select 1").await;
    assert!(!c.is_closed());
    let first = within(events.recv()).await.unwrap();
    assert!(matches!(&first, ConnectionEvent::Reconnecting { attempt: 1, reason, .. } if reason.contains("connection lost")), "{first:?}");
    loop {
        match within(events.recv()).await.unwrap() {
            ConnectionEvent::Reconnecting { .. } => continue,
            ConnectionEvent::Reconnected { endpoint, .. } => {
                assert_eq!(endpoint, format!("127.0.0.1:{port}"));
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    c.close().await;
    assert!(matches!(within(events.recv()).await, Some(ConnectionEvent::Closed { error: None })));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dsn_database_and_timezone_reach_the_server() {
    let s = server().await;
    let c = within(Client::connect(config(&s))).await.unwrap();
    exec(&c, "create database power").await;
    exec(&c, "create table power.m (ts timestamp, v int)").await;
    exec(&c, "insert into power.m values (1700000000000, 5)").await;
    c.close().await;

    let cfg = ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}/power?timezone=Asia/Shanghai", s.addr())).unwrap();
    let c = within(Client::connect(cfg)).await.unwrap();
    // No database prefix: `power` is the connection's default database.
    let (_, blocks) = fetch_all(&c, "select v from m").await;
    let DecodedColumn::Fixed { data: FixedData::I32(v), .. } = &blocks[0].columns[0] else { panic!() };
    assert_eq!(v, &[5]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_the_login_times_out() {
    // Accepts the WebSocket upgrade by hand, then stays silent.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let _ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    let mut cfg = ConnectConfig::from_dsn(&format!("ws://{addr}")).unwrap();
    cfg.connect_timeout = Duration::from_millis(300);
    let started = std::time::Instant::now();
    let e = within(Client::connect(cfg)).await.err().unwrap();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.message.contains("login"), "{e}");
    assert!(started.elapsed() < Duration::from_secs(5));
}

/// A hand-written server that logs anyone in and then drops the socket when the first query
/// arrives, so the query is in flight when the connection dies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_socket_dropped_mid_query_fails_the_pending_call() {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(msg)) = ws.next().await {
            match msg {
                Message::Text(t) => {
                    let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                    let action = v["action"].as_str().unwrap().to_owned();
                    let req_id = v["args"]["req_id"].as_u64().unwrap_or(0);
                    let reply = format!(r#"{{"code":0,"message":"","action":"{action}","req_id":{req_id},"timing":1,"version":"3.3.7.5"}}"#);
                    ws.send(Message::text(reply)).await.unwrap();
                }
                Message::Binary(_) => return, // drops the socket without a Close frame
                _ => {}
            }
        }
    });
    let config = ConnectConfig { retries: 0, ..ConnectConfig::from_dsn(&format!("ws://{addr}")).unwrap() };
    let c = within(Client::connect(config)).await.unwrap();
    assert_eq!(c.server_version(), "3.3.7.5");
    let e = within(c.query("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
    let e = within(c.query("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection, "{e}");
}

/// Replies from the server wait at the proxy while a test holds this lock.
type ReplyGate = std::sync::Arc<tokio::sync::Mutex<()>>;

/// A WebSocket man-in-the-middle in front of `backend` that records what the client sends and
/// holds the server's replies while the returned gate is locked.
async fn recording_proxy(backend: std::net::SocketAddr) -> (std::net::SocketAddr, std::sync::Arc<std::sync::Mutex<Vec<String>>>, ReplyGate) {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let record = seen.clone();
    let gate = ReplyGate::default();
    let replies = gate.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let record = record.clone();
            let replies = replies.clone();
            tokio::spawn(async move {
                let client = tokio_tungstenite::accept_async(tcp).await.unwrap();
                let (server, _) = tokio_tungstenite::connect_async(format!("ws://{backend}/ws")).await.unwrap();
                let (mut client_tx, mut client_rx) = client.split();
                let (mut server_tx, mut server_rx) = server.split();
                let up = async {
                    while let Some(Ok(m)) = client_rx.next().await {
                        if let Message::Text(t) = &m {
                            record.lock().unwrap().push(t.as_str().to_owned());
                        }
                        if m.is_close() || server_tx.send(m).await.is_err() {
                            break;
                        }
                    }
                };
                let down = async {
                    while let Some(Ok(m)) = server_rx.next().await {
                        let _open = replies.lock().await;
                        if client_tx.send(m).await.is_err() {
                            break;
                        }
                    }
                };
                tokio::select! { _ = up => {}, _ = down => {} }
            });
        }
    });
    (addr, seen, gate)
}

fn frees(seen: &std::sync::Mutex<Vec<String>>) -> Vec<u64> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|t| {
            let v: serde_json::Value = serde_json::from_str(t).ok()?;
            (v["action"] == "free_result").then(|| v["args"]["id"].as_u64().unwrap())
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_result_is_freed_exactly_once_and_only_if_still_open() {
    let s = server().await;
    let (proxy, seen, _) = recording_proxy(s.addr()).await;
    let cfg = ConnectConfig::from_dsn(&format!("ws://{proxy}")).unwrap();
    let c = within(Client::connect(cfg.clone())).await.unwrap();
    hundred_thousand_rows(&c).await;
    let early = within(c.query("select * from big.t", None)).await.unwrap();
    within(c.fetch_block(early.result_id)).await.unwrap().unwrap();
    c.free_result(early.result_id);
    c.free_result(early.result_id);
    let (exhausted, _) = fetch_all(&c, "select 1").await;
    c.free_result(exhausted.result_id); // the server already freed it when it finished
    let left_open = within(c.query("select * from big.t", None)).await.unwrap();
    within(c.close()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(frees(&seen), vec![early.result_id, left_open.result_id]);

    // Dropping the last handle closes the connection and frees what is open, too.
    seen.lock().unwrap().clear();
    let c = within(Client::connect(cfg)).await.unwrap();
    let open = within(c.query("select * from big.t", None)).await.unwrap();
    drop(c);
    for _ in 0..50 {
        if !frees(&seen).is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(frees(&seen), vec![open.result_id]);
}

/// The actions the client sent (text frames only).
fn actions(seen: &std::sync::Mutex<Vec<String>>) -> Vec<String> {
    seen.lock()
        .unwrap()
        .iter()
        .filter_map(|t| serde_json::from_str::<serde_json::Value>(t).ok()?["action"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_whose_caller_went_away_frees_on_the_server_what_it_produced() {
    let s = server().await;
    let (proxy, seen, replies) = recording_proxy(s.addr()).await;
    let c = within(Client::connect(ConnectConfig::from_dsn(&format!("ws://{proxy}")).unwrap())).await.unwrap();
    exec(&c, "create database gone").await;
    exec(&c, "create table gone.t (ts timestamp, v int)").await;
    exec(&c, "insert into gone.t values (1700000000000, 1)").await;
    // The callers stop waiting right after their requests went out: each future is polled once
    // (which sends the request) and dropped while the proxy holds the replies back, so no reply
    // can reach them first, however the threads are scheduled.
    use futures_util::FutureExt;
    let held = replies.lock().await;
    assert!(c.query("select * from gone.t", None).now_or_never().is_none());
    assert!(c.stmt2_init(Stmt2InitOptions::default()).now_or_never().is_none());
    drop(held);
    for _ in 0..100 {
        let sent = actions(&seen);
        if sent.contains(&"free_result".to_owned()) && sent.contains(&"stmt2_close".to_owned()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = actions(&seen);
    assert_eq!(frees(&seen).len(), 1, "the abandoned result was freed once: {sent:?}");
    assert!(sent.contains(&"stmt2_close".to_owned()), "the abandoned statement was closed: {sent:?}");
    exec(&c, "select 1").await;
    c.close().await;
}
