//! The published `taos` Rust client (taos-ws 0.12.3, an official TDengine connector) against our
//! embedded server. Where the two disagree, the server is wrong.
//!
//! Kept away from DECIMAL and BLOB: the published client panics on them (toolchain.md), and every
//! call runs under a timeout because a panicking client worker never completes its future.

use std::future::Future;
use std::time::Duration;

use taos::{AsyncFetchable, AsyncQueryable, AsyncTBuilder, TaosBuilder, Value};
use taos_testserver::{start, ServerConfig, ServerHandle};

const STEP: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, f: impl Future<Output = T>) -> T {
    tokio::time::timeout(STEP, f).await.unwrap_or_else(|_| panic!("{what}: no answer within {STEP:?}"))
}

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..ServerConfig::default() }).await.expect("test server starts")
}

fn dsn(server: &ServerHandle, user: &str, password: &str) -> String {
    format!("ws://{user}:{password}@{}", server.addr())
}

async fn client(dsn: &str) -> taos::Taos {
    let builder = TaosBuilder::from_dsn(dsn).expect("valid dsn");
    within("connect", builder.build()).await.expect("taos client connects")
}

async fn rows(taos: &taos::Taos, sql: &str) -> Vec<Vec<Value>> {
    let mut rs = within(sql, taos.query(sql)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    within(sql, rs.to_records()).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn exec(taos: &taos::Taos, sql: &str) -> usize {
    within(sql, taos.exec(sql)).await.unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn ts(v: &Value) -> i64 {
    match v {
        Value::Timestamp(t) => t.as_raw_i64(),
        other => panic!("expected a timestamp, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_version_and_current_database() {
    let server = server().await;
    let taos = client(&dsn(&server, "root", "taosdata")).await;
    let v = rows(&taos, "select server_version()").await;
    assert_eq!(v.len(), 1);
    match &v[0][0] {
        Value::VarChar(s) | Value::NChar(s) => assert!(s.starts_with("3."), "server_version() = {s}"),
        other => panic!("server_version() should be a string, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_authentication_failure_855() {
    let server = server().await;
    let builder = TaosBuilder::from_dsn(dsn(&server, "root", "wrong")).unwrap();
    // The client may defer the `conn` handshake to its first statement: accept either place.
    let err = match within("connect", builder.build()).await {
        Err(e) => e,
        Ok(taos) => within("first query", taos.exec("select 1")).await.expect_err("a wrong password must fail"),
    };
    assert_eq!(i32::from(err.code()) & 0xFFFF, 0x0357, "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_classic_type_round_trips_with_nulls_in_each_precision() {
    let server = server().await;
    let taos = client(&dsn(&server, "root", "taosdata")).await;
    for (precision, unit) in [("ms", 1_000i64), ("us", 1_000_000), ("ns", 1_000_000_000)] {
        let db = format!("rs_conf_{precision}");
        exec(&taos, &format!("drop database if exists {db}")).await;
        exec(&taos, &format!("create database {db} precision '{precision}'")).await;
        exec(
            &taos,
            &format!(
                "create stable {db}.st (ts timestamp, b bool, i8 tinyint, i16 smallint, i32 int, i64 bigint, \
                 u8 tinyint unsigned, u16 smallint unsigned, u32 int unsigned, u64 bigint unsigned, \
                 f float, d double, s varchar(20), n nchar(10), vb varbinary(10), g geometry(64)) \
                 tags (loc nchar(16), gid int)"
            ),
        )
        .await;
        let t0 = 1_700_000_000 * unit;
        let written = exec(
            &taos,
            &format!(
                "insert into {db}.d1 using {db}.st tags ('北京', 7) values \
                 ({t0}, true, -128, -32768, -2147483648, -9223372036854775808, 255, 65535, 4294967295, \
                  18446744073709551615, 3.5, -1.25e-300, 'hello', '温度°C😀', '\\x616263', 'POINT(1 2)') \
                 ({t1}, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null)",
                t1 = t0 + 1
            ),
        )
        .await;
        assert_eq!(written, 2, "{precision}: rows written");

        let got = rows(&taos, &format!("select * from {db}.st")).await;
        assert_eq!(got.len(), 2, "{precision}: rows read");
        let (full, empty) = (&got[0], &got[1]);
        assert_eq!(ts(&full[0]), t0, "{precision}: ts");
        assert_eq!(ts(&empty[0]), t0 + 1, "{precision}: ts of the NULL row");
        assert_eq!(full[1], Value::Bool(true));
        assert_eq!(full[2], Value::TinyInt(-128));
        assert_eq!(full[3], Value::SmallInt(-32768));
        assert_eq!(full[4], Value::Int(i32::MIN));
        assert_eq!(full[5], Value::BigInt(i64::MIN));
        assert_eq!(full[6], Value::UTinyInt(255));
        assert_eq!(full[7], Value::USmallInt(65535));
        assert_eq!(full[8], Value::UInt(u32::MAX));
        assert_eq!(full[9], Value::UBigInt(u64::MAX));
        assert_eq!(full[10], Value::Float(3.5));
        assert_eq!(full[11], Value::Double(-1.25e-300));
        assert_eq!(full[12], Value::VarChar("hello".into()));
        assert_eq!(full[13], Value::NChar("温度°C😀".into()));
        match &full[14] {
            Value::VarBinary(b) => assert_eq!(&b[..], b"abc"),
            other => panic!("varbinary: {other:?}"),
        }
        match &full[15] {
            Value::Geometry(b) => {
                let mut wkb = vec![1u8, 1, 0, 0, 0];
                wkb.extend_from_slice(&1f64.to_le_bytes());
                wkb.extend_from_slice(&2f64.to_le_bytes());
                assert_eq!(&b[..], &wkb[..], "POINT(1 2) as little-endian WKB");
            }
            other => panic!("geometry: {other:?}"),
        }
        assert_eq!(full[16], Value::NChar("北京".into()), "tag loc");
        assert_eq!(full[17], Value::Int(7), "tag gid");
        for (i, v) in empty.iter().enumerate().skip(1).take(15) {
            assert!(matches!(v, Value::Null(_)), "{precision}: column {i} of the NULL row is {v:?}");
        }
        exec(&taos, &format!("drop database {db}")).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_tdengine_codes() {
    let server = server().await;
    let taos = client(&dsn(&server, "root", "taosdata")).await;
    let code = |r: Result<usize, taos::Error>| i32::from(r.expect_err("must fail").code()) & 0xFFFF;
    assert_eq!(code(within("syntax", taos.exec("selec 1")).await), 0x2600);
    assert_eq!(code(within("missing db", taos.exec("use no_such_db")).await), 0x0388);
    exec(&taos, "create database if not exists rs_conf_err").await;
    assert_eq!(code(within("missing table", taos.exec("select * from rs_conf_err.nope")).await), 0x2603);
    // The connection stays usable after errors.
    assert_eq!(rows(&taos, "select 1").await.len(), 1);
    exec(&taos, "drop database rs_conf_err").await;
}
