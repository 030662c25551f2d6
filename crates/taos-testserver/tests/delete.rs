//! DELETE over the wire, as a real TDengine 3.3.7.5 + taosAdapter answered the same statements
//! (REST bodies, and raw `/rest/tmq` frames: poll, fetch, fetch_json_meta). Timestamps are
//! 2026-12-01 00:00:0N UTC in milliseconds.

mod common;

use common::{rest_sql, Frame, WsClient};
use serde_json::Value as J;
use taos_testserver::{start, ServerConfig, ServerHandle};

const T1: i64 = 1_796_083_201_000;

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap()
}

/// The REST answer to `sql`, its `timing` left out.
async fn rest(server: &ServerHandle, sql: &str) -> J {
    let r = rest_sql(server.addr(), "/rest/sql", sql).await;
    let mut j: J = serde_json::from_str(&r.text()).unwrap();
    if let J::Object(o) = &mut j {
        o.remove("timing");
    }
    j
}

async fn run_all(server: &ServerHandle, sqls: &[String]) {
    for sql in sqls {
        let r = rest(server, sql).await;
        assert_eq!(r["code"], 0, "{sql}: {r}");
    }
}

fn affected(n: u64) -> J {
    serde_json::json!({"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[n]],"rows":1})
}

fn refused(code: u16, desc: &str) -> J {
    serde_json::json!({"code":code,"desc":desc})
}

#[tokio::test]
async fn delete_answers_the_rows_removed_or_tdengines_refusal() {
    let server = server().await;
    run_all(&server, &[
        "create database dr".into(),
        "create table dr.st (ts timestamp, v int) tags (t int)".into(),
        "create table dr.nt (ts timestamp, v int)".into(),
        format!("insert into dr.c1 using dr.st tags (1) values ({T1}, 1) ({}, 2) dr.nt values ({T1}, 1) ({}, 2) ({}, 3)", T1 + 1000, T1 + 1000, T1 + 2000),
    ]).await;
    for (sql, want) in [
        (format!("delete from dr.nt where ts >= {} and ts < {}", T1 + 1000, T1 + 3000), affected(2)),
        (format!("delete from dr.nt where ts >= {} and ts < {}", T1 + 1000, T1 + 3000), affected(0)),
        ("delete from dr.st where t = 1".to_string(), affected(2)),
        ("delete from dr.nt where v = 1".into(), refused(9813, "The DELETE statement must only have a definite time window range")),
        ("delete from dr.nt where tbname = 'nt'".into(), refused(9804, "Invalid tbname pseudo column")),
        ("delete from dr.nope".into(), refused(9731, "Table does not exist")),
        ("delete from nt".into(), refused(9750, "Database not specified")),
        ("delete from information_schema.ins_tables".into(), refused(512, "Cannot delete from system database: `information_schema`")),
        ("delete from dr.nt where".into(), refused(9729, "Incomplete SQL statement")),
    ] {
        assert_eq!(rest(&server, &sql).await, want, "{sql}");
    }
    let r = rest(&server, "select count(*) from dr.nt").await;
    assert_eq!(r["data"], serde_json::json!([[1]]));
}

/// Polls `topic` from the start: one line per message, `data <table>:<rows> …` or the SQL of
/// a delete meta message (other meta messages left out).
async fn consume(server: &ServerHandle, topic: &str) -> Vec<String> {
    let mut c = WsClient::connect_path(server.addr(), "/rest/tmq").await;
    let mut req = 0;
    let mut call = async |c: &mut WsClient, action: &str, mut args: J| -> J {
        req += 1;
        args["req_id"] = req.into();
        c.send_text(&serde_json::json!({"action": action, "args": args}).to_string()).await;
        match c.recv().await {
            Frame::Text(t) => serde_json::from_str(&t).unwrap(),
            other => panic!("expected JSON, got {other:?}"),
        }
    };
    let r = call(&mut c, "subscribe", serde_json::json!({"user":"root","password":"taosdata","group_id":format!("g_{topic}"),
        "client_id":"c","offset_rest":"earliest","auto_commit":"false","with_table_name":"true","enable_batch_meta":"0","topics":[topic]})).await;
    assert_eq!(r["code"], 0, "{r}");
    let mut out = Vec::new();
    loop {
        let p = call(&mut c, "poll", serde_json::json!({"blocking_time": 300})).await;
        if p["have_message"] != true {
            break;
        }
        let id = p["message_id"].clone();
        match p["message_type"].as_i64() {
            Some(2) => {
                let j = call(&mut c, "fetch_json_meta", serde_json::json!({"message_id": id})).await;
                if j["data"]["type"] == "delete" {
                    out.push(j["data"]["sql"].as_str().unwrap().to_string());
                }
            }
            Some(1) => {
                let mut blocks = Vec::new();
                loop {
                    let f = call(&mut c, "fetch", serde_json::json!({"message_id": id})).await;
                    if f["completed"] == true {
                        break;
                    }
                    blocks.push(format!("{}:{}", f["table_name"].as_str().unwrap(), f["rows"]));
                    c.send_text(&serde_json::json!({"action":"fetch_block","args":{"req_id":0,"message_id":id}}).to_string()).await;
                    let Frame::Binary(_) = c.recv().await else { panic!("fetch_block answers binary") };
                }
                out.push(format!("data {}", blocks.join(" ")));
            }
            other => panic!("message type {other:?}"),
        }
        let r = call(&mut c, "commit", serde_json::json!({"message_id": id})).await;
        assert_eq!(r["code"], 0, "{r}");
    }
    out
}

#[tokio::test]
async fn topics_deliver_rows_as_written_and_with_meta_each_delete() {
    let server = server().await;
    run_all(&server, &[
        "create database dt vgroups 1 wal_retention_period 3600".into(),
        "create table dt.st (ts timestamp, v int) tags (t int)".into(),
        "create table dt.c1 using dt.st tags (1)".into(),
        "create table dt.nt (ts timestamp, v int)".into(),
        "create topic dt_db as database dt".into(),
        "create topic dt_dbm with meta as database dt".into(),
        "create topic dt_q as select * from dt.st".into(),
        format!("insert into dt.c1 values ({T1}, 1) ({}, 2) ({}, 3) dt.nt values ({T1}, 1) ({}, 2)", T1 + 1000, T1 + 2000, T1 + 1000),
        format!("delete from dt.st where ts = {}", T1 + 1000),
        format!("delete from dt.nt where ts >= {}", T1 + 1000),
        "delete from dt.c1 where ts > '2026-12-02 00:00:00+00:00'".into(),
        format!("insert into dt.c1 values ({}, 4)", T1 + 3000),
    ]).await;
    // a topic without meta delivers what the inserts wrote, deleted rows included
    assert_eq!(consume(&server, "dt_db").await, ["data c1:3 nt:2 c1:1"]);
    // (a query topic's blocks carry no table name, as taosAdapter sends them)
    assert_eq!(consume(&server, "dt_q").await, ["data :3 :1"]);
    assert_eq!(
        consume(&server, "dt_dbm").await,
        [
            "data c1:3 nt:2",
            "delete from `st` where `ts` >= 1796083202000 and `ts` <= 1796083202000",
            "delete from `nt` where `ts` >= 1796083202000 and `ts` <= 1796083202000",
            "delete from `c1` where `ts` >= 1796169600001 and `ts` <= 9223372036854775807",
            "data c1:1",
        ]
    );
}
