//! DELETE as TDengine 3.3.7.5 answers it: every statement and answer here was first sent to a
//! real 3.3.7.5 server (REST and raw `/rest/tmq` frames); timestamps are 2026-12-01 00:00:0N
//! UTC (`T1` … `T6`, milliseconds) so that they are inside every database's KEEP.

use super::spec::{code, exec, grid, ok, rows, Cells, Spec};
use crate::topic::TopicLogBody;
use crate::types::{Outcome, Value};

const T1: i64 = 1_796_083_201_000;
const T2: i64 = T1 + 1000;
const T3: i64 = T1 + 2000;
const T4: i64 = T1 + 3000;
const T5: i64 = T1 + 4000;
const T6: i64 = T1 + 5000;

/// The rows a DELETE answers as affected.
fn deleted(s: &Spec, sql: &str) -> u64 {
    match exec(s, sql) {
        Ok(Outcome::Affected(n)) => n,
        other => panic!("{} -> {:?}", sql, other),
    }
}

fn timestamps(s: &Spec, sql: &str) -> Vec<i64> {
    rows(s, sql).columns[0]
        .iter()
        .map(|v| match v {
            Value::Timestamp(t) => *t,
            other => panic!("{other:?}"),
        })
        .collect()
}

fn db() -> Spec {
    let s = Spec::new(
        Some("d"),
        &[
            "create database d vgroups 1",
            "create table d.st (ts timestamp, v int, s binary(8)) tags (t int, n binary(8))",
            "create table d.c1 using d.st tags (1, 'a')",
            "create table d.c2 using d.st tags (2, 'b')",
            "create table d.c3 using d.st tags (3, 'c')",
            "create table d.nt (ts timestamp, v int)",
        ],
    );
    ok(&s, &format!("insert into c1 values ({T1}, 1, 'x') ({T2}, 2, 'y') ({T3}, 3, 'z') c2 values ({T1}, 10, 'x') ({T2}, 20, 'y') c3 values ({T5}, 30, 'w')"));
    ok(&s, &format!("insert into nt values ({T1}, 1) ({T2}, 2) ({T3}, 3) ({T4}, 4) ({T5}, 5) ({T6}, 6)"));
    s
}

#[test]
fn a_time_range_removes_its_rows_and_answers_how_many() {
    let s = db();
    assert_eq!(deleted(&s, &format!("delete from nt where ts >= {T2} and ts < {T4}")), 2);
    assert_eq!(timestamps(&s, "select ts from nt"), [T1, T4, T5, T6]);
    // the same range again removes nothing
    assert_eq!(deleted(&s, &format!("delete from nt where ts >= {T2} and ts < {T4}")), 0);
    assert_eq!(deleted(&s, &format!("delete from d.nt where ts = {T6}")), 1);
    assert_eq!(deleted(&s, &format!("delete from nt where ts > {T4}")), 1);
    // aggregates, last and last_row see only what is left
    let rs = rows(&s, "select count(*), last(ts), last_row(v), first(v), sum(v) from nt");
    assert_eq!(
        rs.columns.iter().map(|c| c[0].clone()).collect::<Vec<_>>(),
        [Value::Int(2), Value::Timestamp(T4), Value::Int(4), Value::Int(1), Value::Int(5)]
    );
    // the table stays, empty after a DELETE without WHERE
    assert_eq!(deleted(&s, "delete from nt"), 2);
    assert_eq!(rows(&s, "select count(*) from nt").columns[0][0], Value::Int(0));
    assert_eq!(rows(&s, "show tables").num_rows(), 4);
    // and takes rows again
    ok(&s, &format!("insert into nt values ({T2}, 7)"));
    assert_eq!(timestamps(&s, "select ts from nt"), [T2]);
}

#[test]
fn timestamp_parts_are_comparisons_between_and_null_tests_joined_by_and() {
    let s = db();
    assert_eq!(deleted(&s, &format!("delete from nt where ts between {T2} and {T3}")), 2);
    assert_eq!(deleted(&s, &format!("delete from nt where {T5} <= ts and ts <= {T5}")), 1);
    assert_eq!(deleted(&s, &format!("delete from nt where ts = {T1} and ts = {T4}")), 0);
    assert_eq!(deleted(&s, "delete from nt where ts is null"), 0);
    assert_eq!(deleted(&s, "delete from nt where _c0 > now and _rowts > now + 1d"), 0);
    assert_eq!(deleted(&s, "delete from nt where ts >= '2026-12-01 00:00:05+00:00' and ts < now"), 1);
    assert_eq!(timestamps(&s, "select ts from nt"), [T1, T4]);
    // TDengine does not read `'<time>' - 1s` as a time (it removed every row): refused here
    let (c, m) = code(&s, "delete from nt where ts > '2026-12-01 00:00:05+00:00' - 1s");
    assert!(c == 9728 && m.contains("not supported by taos-testserver"), "{m}");
    assert_eq!(deleted(&s, &format!("delete from nt where ts > {T1} + 1s")), 1);
    assert_eq!(deleted(&s, "delete from nt where ts is not null"), 1);
}

#[test]
fn other_conditions_are_refused_with_tdengines_codes() {
    let s = db();
    let window = (9813, "The DELETE statement must only have a definite time window range".to_string());
    for w in [
        "v = 1".to_string(),
        format!("ts > {T1} and v = 1"),
        format!("ts > {T1} or ts < 0"),
        format!("ts in ({T4})"),
        format!("ts != {T4}"),
        format!("ts <> {T4}"),
        format!("ts not between {T1} and {T2}"),
        format!("not ts > {T4}"),
        "v > 1 and v < 0".to_string(),
    ] {
        assert_eq!(code(&s, &format!("delete from nt where {w}")), window, "{w}");
    }
    for w in [format!("t = 1 or ts > {T1}"), "t = v".to_string()] {
        assert_eq!(code(&s, &format!("delete from st where {w}")), window, "{w}");
    }
    assert_eq!(code(&s, "delete from nt where ts = 'abc'"), (295, "Invalid timestamp format".into()));
    let tbname = (9804, "Invalid tbname pseudo column".to_string());
    assert_eq!(code(&s, "delete from nt where tbname = 'nt'"), tbname);
    assert_eq!(code(&s, "delete from st where tbname = 'c2'"), tbname);
    assert_eq!(code(&s, "delete from d.nope"), (9731, "Table does not exist".into()));
    assert_eq!(code(&s, "delete from nodb.nt").0, 904);
    assert_eq!(
        code(&s, "delete from information_schema.ins_tables"),
        (512, "Cannot delete from system database: `information_schema`".into())
    );
    assert_eq!(code(&s, "delete from nt where").0, 9729);
    assert_eq!(code(&s, "delete nt"), (9728, "syntax error near \"nt\"".into()));
    assert_eq!(code(&s, "delete from nt where ts > 0 limit 1"), (9728, "syntax error near \"limit 1\"".into()));
    assert_eq!(code(&s, "delete from nt nt2 where ts > 0"), (9728, "syntax error near \"nt2 where ts > 0\"".into()));
    // a part without a column: TDengine runs it as a tag condition and answers inconsistently
    // (`1=1` removes every row of a normal table, `true` none): refused here, by name
    for w in ["true", "1 = 1", "2 > 1"] {
        let (c, m) = code(&s, &format!("delete from nt where {w}"));
        assert_eq!(c, 9728, "{w}");
        assert!(m.contains("not supported by taos-testserver"), "{m}");
    }
    assert_eq!(rows(&s, "select count(*) from nt").columns[0][0], Value::Int(6), "nothing removed");
    // validate_sql checks the same without removing anything
    let mut ctx = crate::session::SessionCtx { db: Some("d".into()), ..Default::default() };
    assert_eq!(s.validate(&ctx, "delete from nt where v = 1").unwrap_err().code, 9813);
    assert!(s.validate(&ctx, "delete from nt").is_ok());
    assert_eq!(rows(&s, "select count(*) from nt").columns[0][0], Value::Int(6));
    ctx.db = None;
    assert_eq!(s.validate(&ctx, "delete from nt").unwrap_err().code, 9750);
    let no_db = Spec::new(None, &["create database e"]);
    assert_eq!(code(&no_db, "delete from nt"), (9750, "Database not specified".into()));
}

#[test]
fn tag_parts_choose_the_tables_of_a_super_table_or_keep_a_child_table() {
    let s = db();
    assert_eq!(deleted(&s, &format!("delete from st where t = 1 and ts = {T1}")), 1);
    assert_eq!(deleted(&s, "delete from st where t + 1 = 2 and ts > 0"), 2);
    assert_eq!(deleted(&s, "delete from st where t = 2 or t = 3"), 3);
    assert_eq!(rows(&s, "select count(*) from st").columns[0][0], Value::Int(0));
    ok(&s, &format!("insert into c1 values ({T1}, 1, 'x') ({T2}, 2, 'y') c2 values ({T1}, 10, 'x')"));
    assert_eq!(deleted(&s, "delete from st where n like 'b%'"), 1);
    // on a child table a tag part keeps it or not
    assert_eq!(deleted(&s, "delete from c1 where t = 2"), 0);
    assert_eq!(deleted(&s, &format!("delete from c1 where t = 1 and ts = {T2}")), 1);
    assert_eq!(deleted(&s, "delete from c1 where t = 1"), 1);
    ok(&s, &format!("insert into c3 values ({T1}, 1, 'x')"));
    assert_eq!(deleted(&s, "delete from st"), 1);
}

#[test]
fn bounds_are_read_in_the_databases_precision() {
    let s = Spec::new(
        Some("p"),
        &["create database p precision 'us'", "create table p.t (k timestamp, v int)", "create database q precision 'ns'", "create table q.t (k timestamp, v int)"],
    );
    ok(&s, "insert into t values ('2026-12-01 00:00:01+00:00', 1) ('2026-12-01 00:00:02.000001+00:00', 2)");
    assert_eq!(deleted(&s, "delete from t where k > '2026-12-01 00:00:01.5+00:00'"), 1);
    assert_eq!(deleted(&s, &format!("delete from t where k = {}", T1 * 1000)), 1);
    ok(&s, &format!("insert into q.t values ({}, 1) ({}, 2)", T1 * 1_000_000, T1 * 1_000_000 + 1));
    assert_eq!(deleted(&s, &format!("delete from q.t where k >= {} and k < now + 1d", T1 * 1_000_000 + 1)), 1);
    assert_eq!(rows(&s, "select count(*) from q.t").columns[0][0], Value::Int(1));
}

/// A topic's messages from the start, one line each: `data c1:3 nt:2` or the meta JSON.
fn read_topic(s: &Spec, topic: &str, vgroup: i32) -> Vec<String> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = s.topic_log(topic, vgroup, at, false).unwrap() {
        at = m.next;
        match m.body {
            TopicLogBody::Meta(metas) => out.extend(metas.iter().filter(|j| j["type"] == "delete").map(|j| j["sql"].as_str().unwrap().to_string())),
            TopicLogBody::Data { batches, .. } if !batches.is_empty() => {
                let blocks: Vec<String> = batches.iter().map(|b| format!("{}:{}", b.table, b.rows.num_rows())).collect();
                out.push(format!("data {}", blocks.join(" ")));
            }
            _ => {}
        }
    }
    out
}

#[test]
fn topics_deliver_deleted_rows_as_written_and_with_meta_the_deletes() {
    // as taos-ws-py and raw /rest/tmq frames saw it on 3.3.7.5 (one vgroup)
    let s = Spec::new(
        Some("t"),
        &[
            "create database t vgroups 1 wal_retention_period 3600",
            "create table t.st (ts timestamp, v int) tags (t int)",
            "create table t.c1 using t.st tags (1)",
            "create table t.nt (ts timestamp, v int)",
            "create topic tdb as database t",
            "create topic tdbm with meta as database t",
            "create topic tst as stable t.st",
            "create topic tstm with meta as stable t.st",
            "create topic tq as select * from t.st",
            "create topic tom only meta as database t",
        ],
    );
    ok(&s, &format!("insert into c1 values ({T1}, 1) ({T2}, 2) ({T3}, 3) nt values ({T1}, 1) ({T2}, 2)"));
    ok(&s, &format!("delete from st where ts = {T2}"));
    ok(&s, &format!("delete from nt where ts >= {T2}"));
    ok(&s, "delete from c1 where ts > '2026-12-02 00:00:00+00:00'");
    ok(&s, &format!("insert into c1 values ({T4}, 4)"));
    let vg = s.topic_vgroups("tdb").unwrap()[0];
    // without meta: the rows as the inserts wrote them, deleted ones included; no delete
    assert_eq!(read_topic(&s, "tdb", vg), ["data c1:3 nt:2 c1:1"]);
    assert_eq!(read_topic(&s, "tst", vg), ["data c1:3 c1:1"]);
    assert_eq!(read_topic(&s, "tq", vg), ["data c1:3 c1:1"]);
    // with meta: each DELETE as the vnode logged it (the range of the rows it removed there,
    // else the statement's), under the table named
    let d1 = format!("delete from `st` where `ts` >= {T2} and `ts` <= {T2}");
    let d2 = format!("delete from `nt` where `ts` >= {T2} and `ts` <= {T2}");
    let d3 = "delete from `c1` where `ts` >= 1796169600001 and `ts` <= 9223372036854775807".to_string();
    assert_eq!(read_topic(&s, "tdbm", vg), ["data c1:3 nt:2".to_string(), d1.clone(), d2, d3.clone(), "data c1:1".into()]);
    assert_eq!(read_topic(&s, "tstm", vg), ["data c1:3".to_string(), d1, d3, "data c1:1".into()]);
    // ONLY META: no rows and no deletes
    assert!(read_topic(&s, "tom", vg).is_empty());
    // the values delivered are those written, not those of a later row
    let m = s.topic_log("tdb", vg, 0, false).unwrap().unwrap();
    let TopicLogBody::Data { batches, .. } = m.body else { panic!() };
    assert_eq!(batches[0].rows.columns[1], [Value::Int(1), Value::Int(2), Value::Int(3)]);
}

/// Each data block of `topic`, from the start: its table, then its rows as `ts|v`.
fn topic_values(s: &Spec, topic: &str, vgroup: i32) -> Vec<(String, Vec<String>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = s.topic_log(topic, vgroup, at, false).unwrap() {
        at = m.next;
        if let TopicLogBody::Data { batches, .. } = m.body {
            for b in batches.iter().filter(|b| b.rows.num_rows() > 0) {
                out.push((b.table.clone(), grid(&b.rows, Cells::Plain).into_iter().map(|r| r.join("|")).collect()));
            }
        }
    }
    out
}

#[test]
fn a_row_deleted_or_replaced_then_written_again_is_in_each_message_as_that_write_wrote_it() {
    // taos-ws-py on 3.3.7.5, topics with and without meta alike: (T1,1) (T2,10); delete T1;
    // (T1,2); (T2,11); delete all; (T1,3) gives four messages 1 10 | 2 | 11 | 3
    let s = Spec::new(
        Some("r"),
        &[
            "create database r vgroups 1",
            "create table r.nt (ts timestamp, v int)",
            "create topic rt as database r",
            "create topic rtm with meta as database r",
        ],
    );
    for sql in [
        format!("insert into nt values ({T1}, 1) ({T2}, 10)"),
        format!("delete from nt where ts = {T1}"),
        format!("insert into nt values ({T1}, 2)"),
        format!("insert into nt values ({T2}, 11)"),
        "delete from nt".to_string(),
        format!("insert into nt values ({T1}, 3)"),
    ] {
        ok(&s, &sql);
    }
    let block = |rows: &[(i64, i32)]| ("nt".to_string(), rows.iter().map(|(ts, v)| format!("{ts}|{v}")).collect::<Vec<_>>());
    let expected = vec![block(&[(T1, 1), (T2, 10)]), block(&[(T1, 2)]), block(&[(T2, 11)]), block(&[(T1, 3)])];
    for topic in ["rt", "rtm"] {
        let vg = s.topic_vgroups(topic).unwrap()[0];
        assert_eq!(topic_values(&s, topic, vg), expected, "{topic}");
    }
    // the table itself holds only the last write
    assert_eq!(rows(&s, "select v from nt").columns[0], [Value::Int(3)]);
}

#[test]
fn a_super_tables_delete_is_logged_in_every_vgroup_of_its_database() {
    // names as on the real server, where c1, c2, c4 and nt hash to the first vgroup, c3 to the second
    let s = Spec::new(
        Some("delete6_u"),
        &[
            "create database delete6_u vgroups 2 precision 'us' wal_retention_period 3600",
            "create table delete6_u.st (k timestamp, v int) tags (t int)",
            "create table delete6_u.c1 using delete6_u.st tags (1)",
            "create table delete6_u.c2 using delete6_u.st tags (2)",
            "create table delete6_u.c3 using delete6_u.st tags (3)",
            "create table delete6_u.c4 using delete6_u.st tags (4)",
            "create table delete6_u.nt (k timestamp, v int)",
            "create topic tum with meta as database delete6_u",
        ],
    );
    ok(&s, "insert into c1 values ('2026-12-01 00:00:01+00:00', 1) ('2026-12-01 00:00:02.000001+00:00', 2) c2 values ('2026-12-01 00:00:01+00:00', 1) c3 values ('2026-12-01 00:00:01+00:00', 1) c4 values ('2026-12-01 00:00:01+00:00', 1)");
    ok(&s, "delete from st where t = 1 and k > '2026-12-01 00:00:01.5+00:00'");
    ok(&s, "delete from st where t = 2");
    ok(&s, "delete from st where t = 99");
    ok(&s, "delete from nt");
    ok(&s, "delete from st where k < '2026-12-01 00:00:00+00:00'");
    let vgs = s.topic_vgroups("tum").unwrap();
    let (all, before) = ("`k` >= -9223372036854775808 and `k` <= 9223372036854775807", "`k` >= -9223372036854775808 and `k` <= 1796083199999999");
    assert_eq!(
        read_topic(&s, "tum", vgs[0]),
        [
            "data c1:2 c2:1 c4:1".to_string(),
            "delete from `st` where `k` >= 1796083202000001 and `k` <= 1796083202000001".into(),
            "delete from `st` where `k` >= 1796083201000000 and `k` <= 1796083201000000".into(),
            format!("delete from `st` where {all}"),
            format!("delete from `nt` where {all}"),
            format!("delete from `st` where {before}"),
        ]
    );
    assert_eq!(
        read_topic(&s, "tum", vgs[1]),
        [
            "data c3:1".to_string(),
            "delete from `st` where `k` >= 1796083201500001 and `k` <= 9223372036854775807".into(),
            format!("delete from `st` where {all}"),
            format!("delete from `st` where {all}"),
            format!("delete from `st` where {before}"),
        ]
    );
}
