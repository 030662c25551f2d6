//! SHOW statements as TDengine 3.3.7.5 answers them (checked against a real server).

use super::spec::{code, column_texts, first_text, ok, rows, Cells, Spec};
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

/// The names a SHOW answers, one per row.
fn names(s: &Spec, sql: &str) -> Vec<String> {
    column_texts(&rows(s, sql), 0, Cells::Plain)
}

#[test]
fn a_table_kind_and_a_database_may_precede_the_table_lists() {
    // what sqlalchemy's taos dialects send to list tables (`show \`db\`.stables`, `show normal
    // \`db\`.tables`), and the rest of the grammar's table_kind_db_name_cond_opt, as 3.3.7.5
    // answers it
    let s = Spec::new(
        None,
        &[
            "create database sk",
            "create table sk.meters (ts timestamp, c1 int) tags (t1 int)",
            "create table sk.d0 using sk.meters tags (0)",
            "create table sk.ntb (ts timestamp, age int)",
        ],
    );
    assert_eq!(names(&s, "show `sk`.stables"), ["meters"]);
    assert_eq!(names(&s, "show normal `sk`.tables"), ["ntb"]);
    assert_eq!(names(&s, "show normal sk.tables like 'n%'"), ["ntb"]);
    assert_eq!(names(&s, "show child `sk`.tables like '%'"), ["d0"]);
    assert_eq!(names(&s, "show normal sk.stables"), ["meters"]);
    // this server keeps no virtual tables: the lists are empty, the database must exist
    assert!(names(&s, "show virtual sk.stables").is_empty());
    assert!(names(&s, "show sk.vtables").is_empty());
    assert!(names(&s, "show child sk.vtables").is_empty());
    assert_eq!(rows(&s, "show sk.vtables").fields[0].name, "table_name");
    assert_eq!(code(&s, "show normal nosuch.tables"), (904, "Database not exist".into()));
    assert_eq!(code(&s, "show nosuch.vtables"), (904, "Database not exist".into()));
    // a kind the list does not take
    for sql in ["show child sk.stables", "show virtual sk.tables", "show virtual sk.vtables", "show virtual tables"] {
        assert_eq!(code(&s, sql), (9728, "syntax error near".into()), "{sql}");
    }
    assert_eq!(code(&s, "show normal sk.vgroups"), (9728, "syntax error near \"vgroups\"".into()));
    assert_eq!(code(&s, "show sk.foo"), (9728, "syntax error near \"foo\"".into()));
    for sql in ["show normal", "show normal sk.", "show sk.", "show normal sk.tables like"] {
        assert_eq!(code(&s, sql), (9729, "Incomplete SQL statement".into()), "{sql}");
    }
    // without a current database
    assert_eq!(code(&s, "show normal tables"), (9728, "database not specified".into()));
    assert_eq!(code(&s, "show normal stables"), (9728, "database not specified".into()));
}

/// SHOW words as 3.3.7.5's grammar reads them: a keyword that is no SHOW statement is 9728 near
/// it (`show index`: only INDEXES is one), a plain name may still be a database's (`show foo`
/// ends too early: 9729), two statements that are gone answer their codes, and the lists this
/// engine does not keep (3.3.7.5 answers them, mostly empty) are refused by name.
#[test]
fn show_words_are_read_as_the_grammar_reads_them() {
    let s = Spec::new(Some("sw"), &["create database sw", "create stable sw.st (ts timestamp, v int) tags (g int)"]);
    for (sql, want) in [
        ("show index from st", (9728, "syntax error near \"index from st\"")),
        ("show tag from t", (9728, "syntax error near \"tag from t\"")),
        ("show 1", (9728, "syntax error near \"1\"")),
        ("show foo", (9729, "Incomplete SQL statement")),
        ("show", (9729, "Incomplete SQL statement")),
        ("show scores", (0x0100, "Operation not supported")),
        ("show accounts", (9748, "This statement is no longer supported")),
    ] {
        assert_eq!(code(&s, sql), (want.0, want.1.to_string()), "{sql}");
    }
    assert_eq!(rows(&s, "show indexes from st").num_rows(), 1);
    for sql in ["show queries", "show transactions", "show apps", "show compacts", "show snodes", "show tsmas", "show cluster alive", "show cluster machines"] {
        let (c, message) = code(&s, sql);
        assert!(c == 9728 && message.ends_with("(not supported by taos-testserver)"), "{sql}: {message}");
    }
}

/// `SHOW TAGS FROM` lists a child table's tags; a super table answers no rows, a normal table
/// 9829 and an unknown name 9826 (checked on 3.3.7.5, with `db.` and with `FROM db`).
#[test]
fn show_tags_lists_a_child_table_and_refuses_a_normal_one() {
    let s = Spec::new(
        Some("tg"),
        &[
            "create database tg",
            "create table tg.t (ts timestamp, v int)",
            "create stable tg.st (ts timestamp, v int) tags (g int, s binary(8))",
            "create table tg.c1 using tg.st tags (1, 'a')",
        ],
    );
    assert_eq!(rows(&s, "show tags from tg.c1").num_rows(), 2);
    assert_eq!(rows(&s, "show tags from c1 from tg").num_rows(), 2);
    assert_eq!(rows(&s, "show tags from tg.st").num_rows(), 0);
    assert_eq!(rows(&s, "show tags from st from tg").num_rows(), 0);
    for sql in ["show tags from tg.t", "show tags from t from tg"] {
        assert_eq!(code(&s, sql), (9829, "Tags can only applied to super table and child table".into()), "{sql}");
    }
    assert_eq!(code(&s, "show tags from tg.nope"), (9826, "Fail to get table info, error: Table does not exist".into()));
}
