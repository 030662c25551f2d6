//! stmt v1 over `/ws` (JSON actions): taosc's v1 statement keeps the SQL at `prepare` and fails
//! later; an error of taosc's (a table that does not exist, a value too long) becomes the answer
//! of every later call on the statement, while the adapter's own JSON errors do not. Checked on
//! TDengine 3.3.7.5 with hand-made frames.

mod common;

use common::*;
use taos_testserver::{start, ServerConfig};

#[tokio::test]
async fn v1_prepares_lazily_and_keeps_taoscs_errors() {
    let server = start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
    let mut c = WsClient::connect_root(server.addr()).await;
    for sql in ["create database s1", "use s1", "create stable st (ts timestamp, v int, s varchar(4)) tags (t int)", "create table c1 using st tags (1)"] {
        c.send_binary(&binary_query(1, sql)).await;
        assert!(c.recv_text().await.contains(r#""code":0"#));
    }
    let call = async |c: &mut WsClient, action: &str, args: &str| {
        let r = c.call(&format!(r#"{{"action":"{action}","args":{{"req_id":7,"stmt_id":1{args}}}}}"#)).await;
        let j: serde_json::Value = serde_json::from_str(&r).unwrap();
        (j["code"].as_i64().unwrap(), j["message"].as_str().unwrap().to_string(), j)
    };
    c.call(r#"{"action":"init","args":{"req_id":1}}"#).await;
    // arguments of the wrong type: the adapter's text names v1's request "stmt prepare"
    let (code, message, _) = call(&mut c, "prepare", r#","sql":5"#).await;
    assert_eq!((code, message.as_str()), (65535, "unmarshal stmt prepare request error"));
    // prepare keeps the text: even broken SQL answers 0, is_insert from the first word
    for (sql, insert) in [("insert into ? using st tags(?) values(?,?", true), ("selec ?", false), ("", false)] {
        let (code, _, j) = call(&mut c, "prepare", &format!(r#","sql":"{sql}""#)).await;
        assert_eq!((code, j["is_insert"].as_bool()), (0, Some(insert)), "{sql}: {j}");
    }
    let (code, _, _) = call(&mut c, "prepare", r#","sql":"insert into ? using st tags(?) values(?,?,?)""#).await;
    assert_eq!(code, 0);
    // the tags of a table not named yet cannot be described (not kept); the columns can
    let (code, message, _) = call(&mut c, "get_tag_fields", "").await;
    assert_eq!((code, message.as_str()), (555, "Stmt table name not set correctly"));
    let (code, _, _) = call(&mut c, "get_col_fields", "").await;
    assert_eq!(code, 0);
    let (code, message, _) = call(&mut c, "stmt_get_param", r#","index":99"#).await;
    assert_eq!((code, message.as_str()), (280, "Invalid parameters"));
    for (action, args) in [("set_table_name", r#","name":"c2""#), ("set_tags", r#","tags":[2]"#)] {
        assert_eq!(call(&mut c, action, args).await.0, 0, "{action}");
    }
    // the adapter's JSON reading: columns of different lengths (not kept)
    let (code, message, _) = call(&mut c, "bind", r#","columns":[[1700000000000,1700000001000],[1],["a"]]"#).await;
    assert!(code == 65535 && message.starts_with("stmt parse column json:wrong row length"), "{message}");
    // taosc's: a value too long for VARCHAR(4), the statement's answer from then on
    let (code, message, _) = call(&mut c, "bind", r#","columns":[[1700000000000],[1],["toolong"]]"#).await;
    assert_eq!((code, message.as_str()), (9811, "Value too long for column/tag"));
    for (action, args) in [("bind", r#","columns":[[1700000000000],[1],["ok"]]"#), ("add_batch", ""), ("exec", "")] {
        assert_eq!(call(&mut c, action, args).await.0, 9811, "{action}");
    }

    // `insert into ? values …` (no USING): the named table must exist, else 9731 from then on
    c.call(r#"{"action":"init","args":{"req_id":1}}"#).await;
    let call2 = async |c: &mut WsClient, action: &str, args: &str| {
        let r = c.call(&format!(r#"{{"action":"{action}","args":{{"req_id":8,"stmt_id":2{args}}}}}"#)).await;
        serde_json::from_str::<serde_json::Value>(&r).unwrap()["code"].as_i64().unwrap()
    };
    assert_eq!(call2(&mut c, "prepare", r#","sql":"insert into ? values(?,?,?)""#).await, 0);
    assert_eq!(call2(&mut c, "set_table_name", r#","name":"nosuch""#).await, 9731);
    assert_eq!(call2(&mut c, "set_table_name", r#","name":"c1""#).await, 9731);
    // a fresh statement on an existing table writes
    c.call(r#"{"action":"init","args":{"req_id":1}}"#).await;
    let call3 = async |c: &mut WsClient, action: &str, args: &str| {
        let r = c.call(&format!(r#"{{"action":"{action}","args":{{"req_id":9,"stmt_id":3{args}}}}}"#)).await;
        serde_json::from_str::<serde_json::Value>(&r).unwrap()
    };
    for (action, args) in [
        ("prepare", r#","sql":"insert into ? values(?,?,?)""#),
        ("set_table_name", r#","name":"c1""#),
        ("bind", r#","columns":[[1700000000000],[5],["ab"]]"#),
        ("add_batch", ""),
    ] {
        let j = call3(&mut c, action, args).await;
        assert_eq!(j["code"], 0, "{action}: {j}");
    }
    let j = call3(&mut c, "exec", "").await;
    assert_eq!((j["code"].as_i64(), j["affected"].as_i64()), (Some(0), Some(1)), "{j}");
    server.shutdown().await;
}
