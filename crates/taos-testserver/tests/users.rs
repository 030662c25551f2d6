//! Users created by SQL log in over REST and WebSocket and run as themselves: what TDengine
//! 3.3.7.5's community edition refuses them (verified on a real server) is refused here.

mod common;

use common::*;
use taos_testserver::{start, ServerConfig, ServerHandle};

async fn engine_server() -> ServerHandle {
    start(ServerConfig { port: 0, ..ServerConfig::default() }).await.expect("server starts")
}

fn basic(user: &str, pass: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}")))
}

async fn sql_as(server: &ServerHandle, auth: &str, sql: &str) -> String {
    http(server.addr(), "POST", "/rest/sql", &[("Authorization", auth)], sql.as_bytes())
        .await
        .masked()
}

#[tokio::test]
async fn a_sql_user_logs_in_and_is_refused_what_tdengine_refuses() {
    let server = engine_server().await;
    let root = basic("root", "taosdata");
    for s in [
        "create database u_db",
        "create table u_db.n (ts timestamp, v int)",
        "create user u_full pass 'Abcdef12!'",
        "create user u_nosys pass 'Abcdef12!' sysinfo 0",
    ] {
        assert!(sql_as(&server, &root, s).await.starts_with(r#"{"code":0,"#), "{s}");
    }
    let wrong = sql_as(&server, &basic("u_full", "nope"), "select 1").await;
    assert!(wrong.contains(r#""code":855"#), "{wrong}");

    // the community edition lets any user read, write and alter; dropping users is for super users
    let full = basic("u_full", "Abcdef12!");
    let r = sql_as(&server, &full, "insert into u_db.n values (1700000000000, 1)").await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let r = sql_as(&server, &full, "show dnodes").await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let r = sql_as(&server, &full, "drop user u_nosys").await;
    assert!(r.contains(r#""code":9796"#), "{r}");

    // without SYSINFO the cluster's tables are closed
    let nosys = basic("u_nosys", "Abcdef12!");
    for s in ["show dnodes", "show users", "show cluster", "select * from information_schema.ins_dnodes"] {
        let r = sql_as(&server, &nosys, s).await;
        assert!(r.contains(r#""code":9796,"desc":"Permission denied or target object not exist""#), "{s}: {r}");
    }
    let r = sql_as(&server, &nosys, "select * from u_db.n").await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
    let r = sql_as(&server, &nosys, "show databases").await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
}

/// Checked on 3.3.7.5: `alter user root sysinfo 0` closes the cluster's tables to root too
/// (9796), leaves it its databases and connections, and `sysinfo 1` opens them again.
#[tokio::test]
async fn root_without_sysinfo_is_refused_the_cluster_tables_too() {
    let server = engine_server().await;
    let root = basic("root", "taosdata");
    assert!(sql_as(&server, &root, "alter user root sysinfo 0").await.starts_with(r#"{"code":0,"#));
    for s in ["show users", "show user privileges", "show dnodes", "select name from information_schema.ins_users"] {
        let r = sql_as(&server, &root, s).await;
        assert!(r.contains(r#""code":9796,"desc":"Permission denied or target object not exist""#), "{s}: {r}");
    }
    for s in ["show databases", "show connections"] {
        let r = sql_as(&server, &root, s).await;
        assert!(r.starts_with(r#"{"code":0,"#), "{s}: {r}");
    }
    assert!(sql_as(&server, &root, "alter user root sysinfo 1").await.starts_with(r#"{"code":0,"#));
    let r = sql_as(&server, &root, "show users").await;
    assert!(r.starts_with(r#"{"code":0,"#), "{r}");
}
