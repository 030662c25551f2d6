//! REST `/rest/sql`, `/rest/login`, `/-/ping` and 404s, checked against `i_rest.jsonl` (wire
//! README §5.8): JSON shapes, rendering of every type and precision, `tz`, params, auth, errors.

mod common;

use common::*;
use taos_testserver::ServerConfig;

#[tokio::test]
async fn non_query_and_query_shapes() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql", "create database x").await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[0]],"rows":1}"#);
    let r = rest_sql(server.addr(), "/rest/sql", "insert rows 3").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["affected_rows","INT",4]],"data":[[3]],"rows":1}"#);
    let r = rest_sql(server.addr(), "/rest/sql", "select 1").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1}"#);
    let r = rest_sql(server.addr(), "/rest/sql", "select empty").await;
    assert_eq!(
        r.text(),
        r#"{"code":0,"column_meta":[["ts","TIMESTAMP",8],["v","INT",4],["s","VARCHAR",12]],"data":[],"rows":0}"#
    );
}

#[tokio::test]
async fn every_type_renders_like_the_adapter_in_each_precision() {
    let server = default_fake_server().await;
    let meta = r#""column_meta":[["ts","TIMESTAMP",8],["c_bool","BOOL",1],["c_i8","TINYINT",1],["c_i16","SMALLINT",2],["c_i32","INT",4],["c_i64","BIGINT",8],["c_u8","TINYINT UNSIGNED",1],["c_u16","SMALLINT UNSIGNED",2],["c_u32","INT UNSIGNED",4],["c_u64","BIGINT UNSIGNED",8],["c_f32","FLOAT",4],["c_f64","DOUBLE",8],["c_vc","VARCHAR",32],["c_nc","NCHAR",16],["c_vb","VARBINARY",32],["c_geo","GEOMETRY",64],["c_d64","DECIMAL(10,2)",8],["c_d128","DECIMAL(30,10)",16],["c_blob","BLOB",4194304],["t_json","JSON",4095]]"#;
    let values = r#"true,-128,-32768,-2147483648,-9223372036854775808,255,65535,4294967295,18446744073709551615,0.1,1e+21,"ü'q\"","温度°C😀","0a0b","0101000000000000000000f03f000000000000f03f","-0.01","0.0000000000","dead",{"b":true,"k":"v"}]"#;
    let nulls = "null,".repeat(18) + "null]";
    for (sql, t0, t1) in [
        ("select all_ms", "2023-11-14T22:13:20.000Z", "2023-11-14T22:13:20.001Z"),
        ("select all_us", "2023-11-14T22:13:20.000000Z", "2023-11-14T22:13:20.000001Z"),
        ("select all_ns", "2023-11-14T22:13:20.000000000Z", "2023-11-14T22:13:20.000000001Z"),
    ] {
        let r = rest_sql(server.addr(), "/rest/sql", sql).await;
        let want = format!(r#"{{"code":0,{meta},"data":[["{t0}",{values},["{t1}",{nulls}],"rows":2}}"#);
        assert_eq!(r.text(), want, "{sql}");
    }
}

#[tokio::test]
async fn doubles_render_with_go_rules() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql", "select doubles").await;
    assert_eq!(
        r.text(),
        r#"{"code":0,"column_meta":[["d","DOUBLE",8]],"data":[[-12500000000],[-5e-301],[1e+21],[1e-07],[100000000000000000000],[1]],"rows":6}"#
    );
}

#[tokio::test]
async fn infinity_gives_an_empty_body() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql", "select inf").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
}

#[tokio::test]
async fn tz_and_conn_tz_render_timestamps_in_the_zone() {
    let server = default_fake_server().await;
    for (q, want) in [
        ("tz=Asia/Shanghai", "2023-11-15T06:13:20.000+08:00"),
        ("conn_tz=Asia/Shanghai", "2023-11-15T06:13:20.000+08:00"),
        ("tz=America/New_York", "2023-11-14T17:13:20.000-05:00"),
        ("tz=Asia/Kolkata", "2023-11-15T03:43:20.000+05:30"),
        ("tz=UTC", "2023-11-14T22:13:20.000Z"),
    ] {
        let r = rest_sql(server.addr(), &format!("/rest/sql?{q}"), "select all_ms").await;
        assert!(r.text().contains(&format!(r#""data":[["{want}","#)), "{q}: {}", r.text());
    }
    let r = rest_sql(server.addr(), "/rest/sql?tz=Bad/Zone", "select 1").await;
    assert_eq!((r.status, r.masked()), (400, r#"{"code":65535,"desc":"unknown time zone Bad/Zone","timing":0}"#.into()));
}

#[tokio::test]
async fn params_row_with_meta_timing_req_id() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql?req_id=42&row_with_meta=true", "select 1").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[{"1":1}],"rows":1}"#);
    let r = rest_sql(server.addr(), "/rest/sql?timing=true", "select 1").await;
    assert_eq!(r.masked(), r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1,"timing":0}"#);
    let r = rest_sql(server.addr(), "/rest/sql?req_id=abc", "select 1").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.masked(),
        r#"{"code":65535,"desc":"illegal param, req_id must be numeric strconv.ParseInt: parsing \"abc\": invalid syntax","timing":0}"#
    );
    let r = rest_sql(server.addr(), "/rest/sql?row_with_meta=maybe", "select 1").await;
    assert_eq!(r.status, 400);
    assert_eq!(
        r.masked(),
        r#"{"code":65535,"desc":"illegal param, row_with_meta must be boolean strconv.ParseBool: parsing \"maybe\": invalid syntax","timing":0}"#
    );
}

#[tokio::test]
async fn empty_and_blank_bodies_and_sql_errors() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql", "").await;
    assert_eq!((r.status, r.masked()), (400, r#"{"code":4358,"desc":"request is empty","timing":0}"#.into()));
    let r = rest_sql(server.addr(), "/rest/sql", "   ").await;
    assert_eq!((r.status, r.masked()), (400, r#"{"code":4359,"desc":"no sql input","timing":0}"#.into()));
    let r = rest_sql(server.addr(), "/rest/sql", "selec 1").await;
    assert_eq!((r.status, r.masked()), (200, r#"{"code":9728,"desc":"syntax error near \"selec 1\"","timing":0}"#.into()));
}

#[tokio::test]
async fn database_in_the_path_is_used_and_a_missing_one_ignored() {
    let server = default_fake_server().await;
    let r = rest_sql(server.addr(), "/rest/sql/db1", "select database()").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["database()","VARCHAR",63]],"data":[["db1"]],"rows":1}"#);
    let r = rest_sql(server.addr(), "/rest/sql/no_such_db_x", "select 1").await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1}"#);
    // REST is stateless: no database carries over.
    let r = rest_sql(server.addr(), "/rest/sql", "select database()").await;
    assert!(r.text().contains(r#""data":[[null]]"#), "{}", r.text());
}

#[tokio::test]
async fn authorization_schemes() {
    let server = fake_server(ServerConfig {
        users: vec![("root".into(), "taosdata".into()), ("u1".into(), "p1".into())],
        ..ServerConfig::default()
    })
    .await;
    let a = server.addr();
    let call = |h: Option<&'static str>| async move {
        let headers: Vec<(&str, &str)> = h.map(|v| vec![("Authorization", v)]).unwrap_or_default();
        http(a, "POST", "/rest/sql", &headers, b"select 1").await
    };
    let r = call(None).await;
    assert_eq!((r.status, r.masked()), (401, r#"{"code":4357,"desc":"no auth info input","timing":0}"#.into()));
    let r = call(Some("Basic cm9vdDp3cm9uZw==")).await; // root:wrong
    assert_eq!((r.status, r.masked()), (200, r#"{"code":855,"desc":"Authentication failure","timing":0}"#.into()));
    let r = call(Some("Basic !!!")).await;
    assert_eq!((r.status, r.masked()), (401, r#"{"code":4388,"desc":"invalid basic Authorization","timing":0}"#.into()));
    let r = call(Some("Weird abc")).await;
    assert_eq!((r.status, r.masked()), (401, r#"{"code":4386,"desc":"invalid type of Authorization","timing":0}"#.into()));
    let r = call(Some("Taosd /KfeAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04")).await;
    assert_eq!(r.text(), r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1}"#);
    let r = call(Some("Taosd not-a-token")).await;
    assert_eq!((r.status, r.masked()), (401, r#"{"code":4389,"desc":"invalid taosd Authorization","timing":0}"#.into()));
    // well-formed but issued by nobody: names no user (n_rest_variants)
    let r = call(Some("Taosd AAAAAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04")).await;
    assert_eq!((r.status, r.masked()), (200, r#"{"code":849,"desc":"Invalid user","timing":0}"#.into()));
    let r = call(Some("Basic bm9ib2R5Ong=")).await; // nobody:x
    assert_eq!((r.status, r.masked()), (200, r#"{"code":849,"desc":"Invalid user","timing":0}"#.into()));
    // `Bearer` is not an auth scheme of taosAdapter 3.3.7.5
    let r = call(Some("Bearer /KfeAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04")).await;
    assert_eq!((r.status, r.masked()), (401, r#"{"code":4386,"desc":"invalid type of Authorization","timing":0}"#.into()));
    let r = call(Some("Basic dTE6cDE=")).await; // u1:p1
    assert_eq!(r.status, 200);
    assert!(r.text().starts_with(r#"{"code":0,"#));

    // Login issues the token the real adapter issues for root, and a working one for others.
    let r = http(a, "GET", "/rest/login/root/taosdata", &[], b"").await;
    assert_eq!(r.text(), r#"{"code":0,"desc":"/KfeAzX/f9na8qdtNZmtONryp201ma04bEl8LcvLUd7a8qdtNZmtONryp201ma04"}"#);
    let r = http(a, "GET", "/rest/login/u1/p1", &[], b"").await;
    let token = serde_json::from_slice::<serde_json::Value>(&r.body).unwrap()["desc"].as_str().unwrap().to_string();
    let h = format!("Taosd {token}");
    let r = http(a, "POST", "/rest/sql", &[("Authorization", &h)], b"select 1").await;
    assert!(r.text().starts_with(r#"{"code":0,"#), "{}", r.text());
    // a failed login is HTTP 401 code 3, for a wrong password and an unknown user alike
    for path in ["/rest/login/u1/wrong", "/rest/login/nobody/x"] {
        let r = http(a, "GET", path, &[], b"").await;
        assert_eq!((r.status, r.masked()), (401, r#"{"code":3,"desc":"Authentication failure","timing":0}"#.into()), "{path}");
    }
}

#[tokio::test]
async fn a_statement_over_one_mebibyte_is_refused_with_537() {
    // checked on TDengine 3.3.7.5: the limit is 1,048,576 bytes after trailing blanks are trimmed
    let server = default_fake_server().await;
    let fits = format!("select '{}'", "x".repeat(1_048_576 - 9));
    let r = rest_sql(server.addr(), "/rest/sql", &format!("{fits}{}", " ".repeat(4096))).await;
    assert!(!r.text().contains(r#""code":537"#), "{}", r.text().chars().take(80).collect::<String>());
    let over = format!("select '{}'", "x".repeat(1_048_576 - 8));
    let r = rest_sql(server.addr(), "/rest/sql", &over).await;
    assert_eq!((r.status, r.masked()), (200, r#"{"code":537,"desc":"SQL statement too long","timing":0}"#.into()));
}

#[tokio::test]
async fn ping_404_and_vgid() {
    let server = default_fake_server().await;
    let a = server.addr();
    let r = http(a, "GET", "/-/ping", &[], b"").await;
    assert_eq!((r.status, r.body.len()), (200, 0));
    for (m, p) in [("GET", "/rest/sql"), ("GET", "/nope"), ("POST", "/rest/tmq"), ("GET", "/rest/sql/a/b/c")] {
        let r = http(a, m, p, &[ROOT_BASIC], b"").await;
        assert_eq!((r.status, r.text()), (404, "404 page not found".to_string()), "{m} {p}");
        assert_eq!(r.header("content-type"), Some("text/plain"));
    }
    let r = http(a, "GET", "/ws", &[], b"").await;
    assert_eq!((r.status, r.text()), (400, "Bad Request\n".to_string()), "GET /ws without an upgrade");
    // the fake backend has no database: 904 (HTTP 200), as taosAdapter answers for one it lacks
    let r = http(a, "POST", "/rest/sql/db1/vgid", &[ROOT_BASIC], br#"["d1","d2"]"#).await;
    let v: serde_json::Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!((r.status, v["code"].clone(), v["desc"].clone()), (200, serde_json::json!(904), serde_json::json!("Database not exist")));
}

#[tokio::test]
async fn gzip_when_asked() {
    use std::io::Read;
    let server = default_fake_server().await;
    let r = http(server.addr(), "POST", "/rest/sql", &[ROOT_BASIC, ("Accept-Encoding", "gzip, deflate")], b"select 1")
        .await;
    assert_eq!(r.header("content-encoding"), Some("gzip"));
    let mut text = String::new();
    flate2::read::GzDecoder::new(&r.body[..]).read_to_string(&mut text).unwrap();
    assert_eq!(text, r#"{"code":0,"column_meta":[["1","BIGINT",8]],"data":[[1]],"rows":1}"#);
}

/// The adapter trims the `Authorization` header and needs at least one byte after the scheme's
/// separator: a scheme alone is an unknown type (checked on 3.3.7.5 for `Basic ` and `Taosd `).
#[tokio::test]
async fn a_scheme_without_credentials_is_an_unknown_authorization_type() {
    let server = default_fake_server().await;
    for h in ["Basic ", "Taosd ", "Basic", "basic cm9vdDp0YW9zZGF0YQ=="] {
        let r = http(server.addr(), "POST", "/rest/sql", &[("Authorization", h)], b"select 1").await;
        assert_eq!((r.status, r.masked()), (401, r#"{"code":4386,"desc":"invalid type of Authorization","timing":0}"#.into()), "{h:?}");
    }
}

/// gin redirects a route's path with a trailing slash to the route: 307 for POST, with the
/// query kept and no body (checked on 3.3.7.5: `/rest/sql/<db>/`, `/rest/sql/`).
#[tokio::test]
async fn a_trailing_slash_is_redirected_to_the_route() {
    let server = default_fake_server().await;
    let auth = [("Authorization", "Basic cm9vdDp0YW9zZGF0YQ==")];
    for (target, location) in [("/rest/sql/", "/rest/sql"), ("/rest/sql/db1/?tz=UTC", "/rest/sql/db1?tz=UTC")] {
        let r = http(server.addr(), "POST", target, &auth, b"select 1").await;
        assert_eq!((r.status, r.text()), (307, String::new()), "{target}");
        assert_eq!(r.header("location").as_deref(), Some(location), "{target}");
    }
    let r = http(server.addr(), "POST", "/rest/nosuch/", &auth, b"select 1").await;
    assert_eq!((r.status, r.text()), (404, "404 page not found".to_string()));
}
