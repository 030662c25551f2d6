//! `select i + null from t` crashes the real adapter; the embedded server answers NULL for every
//! row, typed DOUBLE (TDengine's type for arithmetic), and keeps serving.

mod common;

use common::rest_sql;
use taos_sqlengine::{Engine, EngineConfig, SessionCtx};
use taos_sqlengine::types::{DataType, Outcome, Value};
use taos_testserver::ServerConfig;

const SETUP: &[&str] = &[
    "create database na",
    "use na",
    "create table t (ts timestamp, i int, d double)",
    "insert into t values (1700000000000, 1, 1.5) (1700000000001, null, 2.5) (1700000000002, 3, null)",
];

#[test]
fn arithmetic_with_null_literal_is_null_per_row_typed_double() {
    let engine = Engine::new(EngineConfig::new(taos_testserver::SERVER_VERSION));
    let mut ctx = SessionCtx::default();
    for sql in SETUP {
        engine.execute(&mut ctx, sql).unwrap();
    }
    for sql in [
        "select i + null from t",
        "select null + i from t",
        "select i - null from t",
        "select d * null from t",
        "select i / null from t",
        "select i % null from t",
        "select -(i + null) from t",
    ] {
        let rs = match engine.execute(&mut ctx, sql) {
            Ok(Outcome::Rows(rs)) => rs,
            other => panic!("{sql}: {other:?}"),
        };
        assert_eq!(rs.fields.len(), 1, "{sql}");
        assert_eq!(rs.fields[0].ty, DataType::Double, "{sql}");
        assert_eq!(rs.columns[0], vec![Value::Null; 3], "{sql}");
    }
    // The engine keeps answering after it.
    match engine.execute(&mut ctx, "select i + 1 from t") {
        Ok(Outcome::Rows(rs)) => {
            assert_eq!(
                rs.columns[0],
                vec![Value::Double(2.0), Value::Null, Value::Double(4.0)]
            )
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn rest_answers_null_arithmetic_and_keeps_serving() {
    let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() })
        .await
        .unwrap();
    for sql in SETUP.iter().filter(|s| !s.starts_with("use")) {
        let sql = sql
            .replace(" t ", " na.t ")
            .replace("into t ", "into na.t ");
        let r = rest_sql(server.addr(), "/rest/sql", &sql).await;
        assert!(r.text().starts_with(r#"{"code":0"#), "{sql}: {}", r.text());
    }
    let r = rest_sql(server.addr(), "/rest/sql/na", "select i + null from t").await;
    assert_eq!(r.status, 200);
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["code"], 0, "{body}");
    assert_eq!(body["column_meta"][0][1], "DOUBLE");
    assert_eq!(body["data"], serde_json::json!([[null], [null], [null]]));
    let r = rest_sql(server.addr(), "/rest/sql/na", "select count(*) from t").await;
    let body: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(body["data"], serde_json::json!([[3]]), "{body}");
}
