//! SHOW statements as TDengine 3.3.7.5 answers them (checked against a real server).

use super::spec::{code, first_text, ok, rows, Spec};
use super::EngineConfig;
use crate::types::Value;

#[test]
fn show_create_table_fails_for_a_child_older_than_a_dropped_tag() {
    let s = Spec::new(
        Some("sh"),
        &[
            "create database sh",
            "create stable sh.sc (ts timestamp, v int) tags (t1 int, tv varchar(8))",
            "create table sh.sc1 using sh.sc tags (1, 'a')",
        ],
    );
    ok(&s, "alter stable sc add tag t3 int");
    assert_eq!(
        first_text(&s, "show create table sc1"),
        "CREATE TABLE `sc1` USING `sc` (`t1`, `tv`, `t3`) TAGS (1, \"a\", NULL)"
    );
    ok(&s, "alter stable sc drop tag tv");
    assert_eq!(code(&s, "show create table sc1"), (272, "Unexpected generic error".into()));
    ok(&s, "create table sc4 using sc tags (4, 4)");
    assert_eq!(first_text(&s, "show create table sc4"), "CREATE TABLE `sc4` USING `sc` (`t1`, `t3`) TAGS (4, 4)");
}

#[test]
fn the_zone_label_is_the_name_the_server_was_given() {
    let config = EngineConfig::new("3.3.7.5").with_timezone("Etc/UTC").expect("known zone");
    assert_eq!(config.timezone_name(), "Etc/UTC");
    let engine = super::Engine::new(config);
    let mut ctx = crate::session::SessionCtx::default();
    let label = |sql: &str, ctx: &mut crate::session::SessionCtx| match engine.execute(ctx, sql) {
        Ok(crate::types::Outcome::Rows(rs)) => rs.columns.last().map(|c| c[0].clone()),
        other => panic!("{:?}", other),
    };
    assert_eq!(label("select timezone()", &mut ctx), Some(Value::Str("Etc/UTC (UTC, +0000)".into())));
    let rs = match engine.execute(&mut ctx, "show dnode 1 variables like 'timezone'") {
        Ok(crate::types::Outcome::Rows(rs)) => rs,
        other => panic!("{:?}", other),
    };
    assert_eq!(rs.columns[2][0], Value::Str("Etc/UTC (UTC, +0000)".into()));
    // a name the zone does not answer to is not shown for it
    let shanghai = EngineConfig { timezone: chrono_tz::Asia::Shanghai, ..EngineConfig::new("3.3.7.5").with_timezone("Etc/UTC").unwrap() };
    assert_eq!(shanghai.timezone_name(), "Asia/Shanghai");
}

#[test]
fn licences_and_grants_are_the_community_edition() {
    let s = Spec::new(None, &[]);
    for sql in ["show licences", "show grants"] {
        let rs = rows(&s, sql);
        assert_eq!(rs.columns[0][0], Value::Str("TDengine TSDB-OSS".into()), "{}", sql);
        assert_eq!(rs.columns[4][0], Value::Str("ungranted".into()), "{}", sql);
    }
    let full = rows(&s, "show grants full");
    assert_eq!((full.fields.len(), full.num_rows()), (4, 0));
    let logs = rows(&s, "show grants logs");
    assert_eq!((logs.fields.len(), logs.num_rows()), (5, 0));
    assert_eq!(code(&s, "show licenses").0, 9729);
}
