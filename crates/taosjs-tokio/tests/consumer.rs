//! The consumer over a real socket: against the embedded server, and against hand-written
//! servers that go silent or die mid-poll.

use std::time::{Duration, Instant};

use taos_testserver::{start, ServerConfig, ServerHandle};
use taosjs_core::tmq::{ConsumerConfig, MessageKind};
use taosjs_core::{ConnectConfig, ErrorKind};
use taosjs_tokio::{Client, Consumer};

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..Default::default() }).await.expect("test server starts")
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("timed out")
}

fn config(addr: impl std::fmt::Display, extra: &[(&str, &str)]) -> ConsumerConfig {
    let mut entries = vec![("group.id".to_string(), "g1".to_string())];
    entries.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    ConsumerConfig::parse(&entries, Some(&format!("ws://root:taosdata@{addr}"))).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consumes_every_row_and_commits_each_message() {
    let s = server().await;
    let c = within(Client::connect(ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}", s.addr())).unwrap()))
        .await
        .unwrap();
    for sql in [
        "create database tmq1 vgroups 1",
        "create stable tmq1.st (ts timestamp, v int) tags (g int)",
        "insert into tmq1.a using tmq1.st tags (1) values (1700000000000, 1) (1700000000001, 2)",
        "insert into tmq1.b using tmq1.st tags (2) values (1700000000000, 3)",
        "create topic tmq1_topic as stable tmq1.st",
    ] {
        within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let consumer = within(Consumer::connect(config(s.addr(), &[("auto.offset.reset", "earliest")]))).await.unwrap();
    within(consumer.subscribe(vec!["tmq1_topic".into()])).await.unwrap();
    let mut rows = 0;
    while rows < 3 {
        let Some(m) = within(consumer.poll(Duration::from_millis(500))).await.unwrap() else { continue };
        assert_eq!((m.topic.as_str(), m.database.as_str(), m.kind), ("tmq1_topic", "tmq1", MessageKind::Data));
        for b in &m.blocks {
            rows += b.rows;
            assert_eq!(b.block.decode().unwrap().rows, b.rows);
        }
        within(consumer.commit_message(m.into())).await.unwrap();
    }
    assert_eq!(rows, 3);
    assert!(within(consumer.poll(Duration::from_millis(200))).await.unwrap().is_none());
    let topics = within(consumer.list_topics()).await.unwrap();
    assert_eq!(topics, vec!["tmq1_topic".to_string()]);
    within(consumer.close()).await;
    let e = within(consumer.poll(Duration::from_millis(10))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tmq);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscribing_to_an_unknown_topic_is_a_tmq_error_with_tdengines_code() {
    let s = server().await;
    let consumer = within(Consumer::connect(config(s.addr(), &[]))).await.unwrap();
    let e = within(consumer.subscribe(vec!["no_such_topic".into()])).await.unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Tmq, Some(993)), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_killed_mid_poll_rejects_the_poll_at_once() {
    let s = server().await;
    let c = within(Client::connect(ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}", s.addr())).unwrap()))
        .await
        .unwrap();
    for sql in ["create database tmq2", "create table tmq2.t (ts timestamp, v int)", "create topic tmq2_topic as database tmq2"] {
        within(c.query(sql, None)).await.unwrap();
    }
    let consumer = within(Consumer::connect(config(s.addr(), &[]))).await.unwrap();
    within(consumer.subscribe(vec!["tmq2_topic".into()])).await.unwrap();
    let poll = tokio::spawn({
        let consumer = consumer.clone();
        async move { consumer.poll(Duration::from_secs(20)).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    within(s.shutdown()).await;
    let e = within(poll).await.unwrap().unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tmq, "{e}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
}

/// Accepts `/rest/tmq`, answers `version` and `subscribe`, then never answers again.
async fn silent_after_subscribe() -> std::net::SocketAddr {
    use futures_util::{SinkExt, StreamExt};
    use tokio_tungstenite::tungstenite::Message;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
        while let Some(Ok(msg)) = ws.next().await {
            if let Message::Text(t) = msg {
                let v: serde_json::Value = serde_json::from_str(t.as_str()).unwrap();
                let action = v["action"].as_str().unwrap().to_owned();
                if action == "version" || action == "subscribe" {
                    let req_id = v["args"]["req_id"].as_u64().unwrap_or(0);
                    let reply = format!(r#"{{"code":0,"message":"","action":"{action}","req_id":{req_id},"timing":1,"version":"3.3.7.5"}}"#);
                    ws.send(Message::text(reply)).await.unwrap();
                }
            }
        }
    });
    addr
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silent_server_fails_the_poll_within_its_timeout_plus_the_request_timeout() {
    let addr = silent_after_subscribe().await;
    let consumer = within(Consumer::connect(config(addr, &[("request.timeout.ms", "400")]))).await.unwrap();
    within(consumer.subscribe(vec!["t".into()])).await.unwrap();
    let started = Instant::now();
    let e = within(consumer.poll(Duration::from_millis(300))).await.unwrap_err();
    let took = started.elapsed();
    assert_eq!(e.kind, ErrorKind::Tmq);
    assert!(e.message.contains("timed out"), "{e}");
    assert!(took >= Duration::from_millis(650) && took < Duration::from_millis(3000), "{took:?}");
}
