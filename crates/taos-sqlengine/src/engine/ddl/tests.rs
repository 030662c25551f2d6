//! DDL specifications: each answer here was checked against TDengine 3.3.7.5.

use crate::engine::spec::{code, exec, first_text, ok, Spec};
use crate::session::SessionCtx;
use crate::types::{Outcome, Value};

fn engine() -> Spec {
    Spec::new(Some("d"), &["create database d"])
}

#[test]
fn create_table_checks_shape_in_tdengines_order() {
    let e = engine();
    assert_eq!(code(&e, "create table t (ts timestamp)").0, 9791);
    assert_eq!(code(&e, "create table t (v int, ts timestamp)"), (9793, "First column must be timestamp".into()));
    assert_eq!(code(&e, "create table t (ts timestamp, v int, v int)").0, 9788);
    assert_eq!(code(&e, "create table t (ts timestamp, j json)").0, 9810);
    assert_eq!(code(&e, "create stable s (ts timestamp, v int) tags (j json, k int)").0, 9779);
    // backquoted names keep their case: `V` and v are two columns
    ok(&e, "create table t2 (ts timestamp, `V` int, v int)");
}

#[test]
fn string_lengths_are_counted_in_bytes_with_their_header() {
    let e = engine();
    let bad = (9794, "Invalid column length for var length type".to_string());
    ok(&e, "create table n1 (ts timestamp, n nchar(16379))");
    assert_eq!(code(&e, "create table n2 (ts timestamp, n nchar(16380))"), bad);
    assert_eq!(code(&e, "create table n3 (ts timestamp, b binary(0))"), bad);
    assert_eq!(code(&e, "create stable s1 (ts timestamp, v int) tags (t varchar(16383))"), bad);
    ok(&e, "create table r1 (ts timestamp, a varchar(65000), b varchar(519))");
    assert_eq!(
        code(&e, "create table r2 (ts timestamp, a varchar(65000), b varchar(520))"),
        (9790, "Row length exceeds max length 65531".into())
    );
    ok(&e, "create table bl (ts timestamp, a varchar(65500), b blob)");
    ok(&e, "create stable tl (ts timestamp, v int) tags (t varchar(16382))");
    assert_eq!(
        code(&e, "alter stable tl add tag t2 int"),
        (9789, "Tags length exceeds max length 16384".into())
    );
}

#[test]
fn names_follow_the_parser_limits() {
    let e = engine();
    let long = "x".repeat(193);
    let (c, m) = code(&e, &format!("create table {} (ts timestamp, v int)", long));
    assert_eq!(c, 9751);
    assert!(m.starts_with(&format!("Invalid identifier name: {} (ts", long)), "{}", m);
    ok(&e, &format!("create table {} (ts timestamp, v int)", &long[..192]));
    assert_eq!(code(&e, "create table `` (ts timestamp, v int)").1, "Invalid identifier name: ` (ts timestamp, v int)");
    assert_eq!(code(&e, "create table `a.b` (ts timestamp, v int)"), (9751, "The table name cannot contain '.'".into()));
    assert_eq!(code(&e, "create table tr (ts timestamp, value int)").1, "syntax error near \"value int)\"");
    ok(&e, "create table `select` (ts timestamp, `from` int, `value` int)");
}

#[test]
fn alter_forms_depend_on_the_kind_of_table() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int, s varchar(4)) tags (t1 int)");
    ok(&e, "create table c1 using st tags (1)");
    ok(&e, "create table nt (ts timestamp, v int)");
    assert_eq!(code(&e, "alter stable c1 add column x int"), (866, "STable not exist".into()));
    assert_eq!(code(&e, "alter table c1 add column x int").0, 9801);
    assert_eq!(code(&e, "alter table nt add tag t int").0, 9801);
    assert_eq!(code(&e, "alter table st ttl 5"), (9801, "Invalid alter table statement".into()));
    assert_eq!(code(&e, "alter table st set tag t1 = 5").1, "Set tag value only available for child table");
    assert_eq!(code(&e, "alter stable st rename column v v2").1, "Rename column only available for normal table");
    assert_eq!(code(&e, "alter table nt set tag t = 1"), (9801, "Invalid tag name: t".into()));
    assert_eq!(code(&e, "alter table c1 set tag t1 = 3, t1 = 4"), (9788, "Duplicated column names".into()));
    assert_eq!(code(&e, "alter table nt keep 5d").0, 9754);
    assert_eq!(code(&e, "alter table nt drop column v"), (9809, "No columns can be dropped".into()));
    ok(&e, "create table nt3 (ts timestamp, a int, b int)");
    assert_eq!(code(&e, "alter table nt3 drop column ts"), (9802, "Primary timestamp column cannot be dropped".into()));
    assert_eq!(code(&e, "alter table st drop tag t1").1, "the only tag cannot be dropped");
    assert_eq!(code(&e, "alter stable st modify tag zz varchar(3)"), (9742, "Invalid tag name: zz".into()));
    assert_eq!(code(&e, "alter stable st rename tag zz yy"), (874, "Tag does not exist".into()));
    assert_eq!(code(&e, "alter stable st add tag v int"), (875, "Column already exists".into()));
    assert_eq!(code(&e, "alter table nt modify column v int").0, 9803);
    assert_eq!(code(&e, "alter table nt rename column zz yy"), (9730, "Invalid column name: zz".into()));
    assert_eq!(code(&e, "alter table nt rename column v v").0, 9788);
    ok(&e, "alter table nt rename column ts ts2");
    ok(&e, "alter table nt add column ts timestamp");
    ok(&e, "alter table st add tag t2 int");
    ok(&e, "alter table st rename tag t2 t3");
    ok(&e, "alter table st drop tag t1");
}

#[test]
fn table_options_are_kept_and_shown() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int, s varchar(4)) tags (t1 int)");
    ok(&e, "alter stable st add column w int");
    assert_eq!(
        first_text(&e, "show create stable st"),
        "CREATE STABLE `st` (`ts` TIMESTAMP, `v` INT, `s` VARCHAR(4), `w` INT) TAGS (`t1` INT) SMA(`ts`,`v`,`s`)"
    );
    ok(&e, "create stable st2 (ts timestamp, v int) tags (t1 int) comment 'x' keep 30d");
    assert_eq!(
        first_text(&e, "show create stable st2"),
        "CREATE STABLE `st2` (`ts` TIMESTAMP, `v` INT) TAGS (`t1` INT) COMMENT 'x' KEEP 43200m"
    );
    ok(&e, "create table c2 using st tags (2) ttl 5");
    assert_eq!(first_text(&e, "show create table c2"), "CREATE TABLE `c2` USING `st` (`t1`) TAGS (2) TTL 5");
    ok(&e, "create table nt (ts timestamp, v int) ttl 7 comment 'abc'");
    assert_eq!(first_text(&e, "show create table nt"), "CREATE TABLE `nt` (`ts` TIMESTAMP, `v` INT) COMMENT 'abc' TTL 7");
    assert_eq!(code(&e, "create table nt2 (ts timestamp, v int) keep 3d").1, "KEEP parameter is not allowed when creating normal table");
    assert_eq!(code(&e, "create stable st4 (ts timestamp, v int) tags (t int) keep 1h").0, 548);
    assert_eq!(code(&e, "create stable st3 (ts timestamp, v int) tags (t int) keep 100000d").0, 548);
    assert_eq!(code(&e, "create stable st5 (ts timestamp, v int) tags (t int) ttl 3").0, 9754);
}

#[test]
fn drop_table_drops_a_super_table_and_its_children() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (t int)");
    ok(&e, "create table c1 using st tags (1)");
    ok(&e, "drop table st");
    assert_eq!(code(&e, "select * from c1").0, 0x2603);
}

#[test]
fn a_composite_primary_key_is_second_typed_and_never_null() {
    let e = engine();
    assert_eq!(code(&e, "create table p1 (ts timestamp, v int, id int primary key)").0, 9848);
    assert_eq!(code(&e, "create table p2 (ts timestamp, id double primary key, v int)").0, 9849);
    ok(&e, "create table pk (ts timestamp, id varchar(8) primary key, v int)");
    assert_eq!(
        first_text(&e, "show create table pk"),
        "CREATE TABLE `pk` (`ts` TIMESTAMP, `id` VARCHAR(8) COMPOSITE KEY, `v` INT)"
    );
    assert_eq!(code(&e, "alter table pk add column id2 int primary key").1, "not support alter column with option except compress");
    assert_eq!(code(&e, "create stable bad (ts timestamp, v int) tags (t int primary key)").1, "syntax error near \"primary key)\"");
    match exec(&e, "insert into pk values ('2024-01-01', 'a', 1) ('2024-01-01', 'b', 2) ('2024-01-01', 'a', 3)") {
        Ok(Outcome::Affected(n)) => assert_eq!(n, 2),
        other => panic!("{:?}", other),
    }
    assert_eq!(code(&e, "insert into pk values ('2024-01-02', null, 1)"), (9851, "Primary key column should not be null".into()));
    assert_eq!(code(&e, "alter table pk rename column id id2").0, 9850);
    assert_eq!(code(&e, "alter table pk drop column id").0, 9850);
    match exec(&e, "select id, v from pk order by ts, id") {
        Ok(Outcome::Rows(rs)) => {
            assert_eq!(rs.columns[0], vec![Value::Str("a".into()), Value::Str("b".into())]);
            assert_eq!(rs.columns[1], vec![Value::Int(3), Value::Int(2)]);
        }
        other => panic!("{:?}", other),
    }
}

#[test]
fn database_options_have_tdengines_ranges() {
    let e = engine();
    let c = |sql: &str| code(&e, sql);
    assert_eq!(c("create database g buffer 2").1, "Invalid option buffer: 2, valid range: [3, 16384]");
    assert_eq!(c("create database g cachesize 0").1, "Invalid option cacheSize: 0, valid range: [1, 65536]");
    assert_eq!(c("create database g comp 3").1, "Invalid option compression: 3, valid range: [0, 2]");
    assert_eq!(c("create database g minrows 9").1, "Invalid option minRowsPerBlock: 9, valid range: [10, 1000000]");
    assert_eq!(c("create database g minrows 1000 maxrows 500"), (898, "Invalid database options".into()));
    assert_eq!(c("create database g wal_level 3").1, "Invalid option walLevel: 3, only 0, 1, 2 allowed");
    assert_eq!(c("create database g duration 59m").1, "Invalid option daysPerFile: 59, valid range: [60, 5256000]");
    assert_eq!(c("create database g duration 10s").1, "Invalid option duration unit: s, only m, h, d allowed");
    assert_eq!(c("create database g keep 5d duration 10d").1, "Invalid duration value, should be keep2 >= keep1 >= keep0 >= 3 * duration");
    assert_eq!(c("create database g keep 30d,20d,40d").1, "Invalid keep value, should be keep0 <= keep1 <= keep2");
    assert_eq!(c("create database g replica 2"), (898, "Invalid database options".into()));
    assert_eq!(c("create database g replica 3"), (820, "Out of dnodes".into()));
    assert_eq!(c("create database g replica 4").1, "Invalid option replications: 4, valid range: [1, 3]");
    assert_eq!(c("create database g strict 'off'").1, "syntax error near \"strict 'off'\"");
    assert_eq!(c("create database g buffer '3'").1, "syntax error near \"'3'\"");
    assert_eq!(c("create database g precision ms").1, "syntax error near \"ms\"");
    assert_eq!(c("create database g table_prefix -5 table_suffix 3").1, "Invalid option table_prefix & table_suffix: mixed usage not allowed");
    assert_eq!(c("create database g keep_time_offset 24").1, "Invalid option keep_time_offset: 24 valid range: [0, 23]");
    ok(&e, "create database g stt_trigger 4 table_prefix -5 single_stable 1 tsdb_pagesize 8 wal_retention_period 100 wal_retention_size 10 keep_time_offset 2 wal_level 2 duration 60m keep 1d comp 0 buffer 3");
    assert!(first_text(&e, "show create database g").starts_with(
        "CREATE DATABASE `g` BUFFER 3 CACHESIZE 1 CACHEMODEL 'none' COMP 0 DURATION 1h WAL_FSYNC_PERIOD 3000 MAXROWS 4096 MINROWS 100 STT_TRIGGER 4 KEEP 1d,1d,1d PAGES 256 PAGESIZE 4 PRECISION 'ms' REPLICA 1 WAL_LEVEL 2 VGROUPS 2 SINGLE_STABLE 1 TABLE_PREFIX -5 TABLE_SUFFIX 0 TSDB_PAGESIZE 8 WAL_RETENTION_PERIOD 100 WAL_RETENTION_SIZE 10 KEEP_TIME_OFFSET 2 "
    ));
    assert_eq!(c("alter database g duration 2d").1, "syntax error near \"duration 2d\"");
    assert_eq!(c("alter database g buffer 2").0, 9753);
    ok(&e, "alter database g minrows 20");
    assert_eq!(c("alter database nosuch buffer 10").0, 904);
}

#[test]
fn tag_indexes_one_per_tag_with_unique_names() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (t int, u varchar(4), w int)");
    ok(&e, "create table nt (ts timestamp, v int)");
    ok(&e, "create index ix1 on st (u)");
    assert_eq!(code(&e, "create index ix1 on st (w)"), (1155, "index already exists in db".into()));
    assert_eq!(code(&e, "create index ix2 on st (u)").0, 1155);
    assert_eq!(code(&e, "create index ix3 on st (t)").0, 1155, "t has the default index");
    assert_eq!(code(&e, "create index ix4 on st (v)"), (9742, "Invalid tag name: v".into()));
    assert_eq!(code(&e, "create index ix5 on nt (v)").0, 9742);
    assert_eq!(code(&e, "create index ix7 on st (u, w)"), (9795, "Only one tag is allowed".into()));
    match exec(&e, "show indexes from st") {
        Ok(Outcome::Rows(rs)) => assert_eq!(rs.columns[0], vec![Value::Str("ix1".into()), Value::Str("t_st".into())]),
        other => panic!("{:?}", other),
    }
    ok(&e, "drop index ix1");
    assert_eq!(code(&e, "drop index ix1"), (1156, "index not exist".into()));
    ok(&e, "drop index if exists ix1");
    ok(&e, "drop index t_st");
    match exec(&e, "show indexes from st") {
        Ok(Outcome::Rows(rs)) => assert_eq!(rs.num_rows(), 0),
        other => panic!("{:?}", other),
    }
}

#[test]
fn storage_and_compaction_options_have_tdengines_ranges_and_are_shown() {
    let e = engine();
    let c = |sql: &str| code(&e, sql);
    assert_eq!(
        c("create database g ss_chunkpages 1").1,
        "Invalid option ss_chunkpages: 1, valid range: [131072, 1048576]"
    );
    assert_eq!(
        c("create database g ss_compact 2").1,
        "Invalid option ss_compact: 2, valid range: [0, 1]"
    );
    assert_eq!(
        c("create database g ss_keeplocal 1h").1,
        "Invalid option ssKeepLocal: 60, valid range: [1440, 525600000]"
    );
    assert_eq!(
        c("create database g ss_keeplocal 100s").1,
        "Invalid option ss_keeplocal unit: s, only m, h, d allowed"
    );
    assert_eq!(
        c("create database g duration 20d ss_keeplocal 59d").1,
        "Invalid parameters, should be ss_keeplocal >= 3 * duration"
    );
    assert_eq!(
        c("create database g compact_interval 5m").1,
        "Invalid option compact_interval: 5, valid range: [10, 5256000]"
    );
    assert_eq!(
        c("create database g keep 100d compact_interval 200d").1,
        "Invalid option compact_interval: 288000, valid range: [10, 144000]"
    );
    assert_eq!(c("create database g compact_time_range -10d,-20d").1, "Invalid option compact_time_range: -14400m,-28800m, start time should be less than end time");
    assert_eq!(c("create database g compact_time_range -3651d,-10d").1, "Invalid option compact_time_range: -5257440m, start time should be in range: [-5256000m, -14400m]");
    assert_eq!(
        c("create database g compact_time_range -20d,0").1,
        "Invalid option compact_time_range: 0m, end time should be in range: [-5256000m, -14400m]"
    );
    assert_eq!(
        c("create database g compact_time_range -20d").1,
        "Invalid option compact_time_range, should have 2 values"
    );
    assert_eq!(
        c("create database g compact_time_offset 24h").1,
        "Invalid option compact_time_offset: 24, valid range: [0, 23]"
    );
    assert_eq!(
        c("create database g compact_time_offset 1d").1,
        "Invalid option compact_time_offset unit: d, only h allowed"
    );
    assert_eq!(
        c("create database g keep_time_offset 2d").1,
        "Invalid option keep_time_offset unit: d, only h allowed"
    );
    assert_eq!(
        c("create database g wal_retention_period -5").1,
        "Invalid option walRetentionPeriod: -5, valid range: [-1, 2147483647]"
    );
    assert_eq!(
        c("create database g wal_retention_size -5").1,
        "Invalid option walRetentionSize: -5, valid range: [-1, 2147483647]"
    );
    assert_eq!(
        c("create database g wal_roll_period 2147483648").1,
        "Invalid option walRollPeriod: -2147483648, valid range: [0, 2147483647]"
    );
    // the community edition: no encryption, one dnode list
    assert_eq!(
        c("create database g encrypt_algorithm 'sm4'"),
        (898, "Invalid database options".into())
    );
    assert_eq!(
        c("create database g encrypt_algorithm 'x'").1,
        "Invalid option encrypt_algorithm: x"
    );
    assert_eq!(
        c("create database g dnodes '1'"),
        (256, "Operation not supported".into())
    );
    ok(&e, "create database g encrypt_algorithm 'none' schemaless 1 wal_roll_period 0 wal_segment_size 0 compact_time_offset 2h keep_time_offset 3h compact_interval 90m compact_time_range -1200h,-20d ss_keeplocal 40d ss_compact 0 ss_chunkpages 262144");
    assert!(first_text(&e, "show create database g").ends_with(
        "KEEP_TIME_OFFSET 3 ENCRYPT_ALGORITHM 'none' SS_CHUNKPAGES 262144 SS_KEEPLOCAL 57600m SS_COMPACT 0 COMPACT_INTERVAL 90m COMPACT_TIME_RANGE -50d,-20d COMPACT_TIME_OFFSET 2h"
    ));
}

#[test]
fn table_options_of_rollup_databases_are_refused() {
    let e = engine();
    let c = |sql: &str| code(&e, sql);
    let only = |o: &str| {
        format!("Invalid option {}: Only supported for create super table in databases configured with the 'RETENTIONS' option", o)
    };
    assert_eq!(
        c("create stable st (ts timestamp, v int) tags (t int) rollup(avg)"),
        (9754, only("rollup"))
    );
    assert_eq!(
        c("create stable st (ts timestamp, v int) tags (t int) watermark 5s rollup(avg)").1,
        only("watermark")
    );
    assert_eq!(
        c("create stable st (ts timestamp, v int) tags (t int) rollup(avg) max_delay 5s").1,
        only("maxdelay")
    );
    assert_eq!(
        c("create table n (ts timestamp, v int) delete_mark 5s").1,
        only("delete_mark")
    );
    // SMA only chooses the columns with block statistics: accepted
    ok(&e, "create table n (ts timestamp, v int) sma(v)");
}

#[test]
fn views_are_not_in_the_community_edition() {
    let e = engine();
    assert_eq!(code(&e, "create view v1 as select 1"), (256, "Operation not supported".into()));
    assert_eq!(code(&e, "create or replace view v1 as select 1").0, 256);
    assert_eq!(code(&e, "drop view if exists v1").0, 256);
    assert_eq!(code(&e, "show create view v1").0, 256);
    match exec(&e, "show views") {
        Ok(Outcome::Rows(rs)) => assert_eq!((rs.fields.len(), rs.num_rows()), (9, 0)),
        other => panic!("{:?}", other),
    }
    let mut no_db = SessionCtx::default();
    assert_eq!(e.execute(&mut no_db, "create view v1 as select 1").unwrap_err().code, 9750);
    assert_eq!(e.execute(&mut no_db, "show views").unwrap_err().message, "database not specified");
}

/// BLOB is no tag type (3.3.7.5): CREATE answers 25345 after the translator's checks, ALTER …
/// ADD TAG 25349 (a code without text) before any other check of the tag.
#[test]
fn blob_tags_are_refused() {
    let e = engine();
    ok(&e, "create stable sa (ts timestamp, v int) tags (g int, n varchar(8))");
    ok(&e, "create table ta (ts timestamp, v int)");
    let blob_tag = (25345, "Blob type not support on tag".to_string());
    assert_eq!(code(&e, "create stable sb (ts timestamp, v int) tags (b blob)"), blob_tag);
    assert_eq!(code(&e, "create stable sb (ts timestamp, v int) tags (g int, b blob)"), blob_tag);
    assert_eq!(code(&e, "create table sb (ts timestamp, v int) tags (b blob)"), blob_tag);
    assert_eq!(code(&e, "create stable sb (ts timestamp, v int) tags (g int, g blob)").0, 9788);
    assert_eq!(code(&e, "create stable sb (ts timestamp, v int) tags (j json, b blob)").0, 9779);
    assert_eq!(code(&e, "create stable sb (ts timestamp, b blob, c blob) tags (b2 blob)").0, 25350);
    assert_eq!(code(&e, "alter table sa add tag b blob"), (25349, "Unknown error".into()));
    assert_eq!(code(&e, "alter stable sa add tag g blob"), (25349, "Unknown error".into()));
    assert_eq!(code(&e, "alter table ta add tag g blob").0, 9801);
    assert_eq!(code(&e, "alter table sa modify tag n blob").0, 9803);
}

/// The one value a query answers, as text.
fn single(e: &Spec, sql: &str) -> String {
    crate::engine::spec::cell(&crate::engine::spec::rows(e, sql).columns[0][0], crate::engine::spec::Cells::Plain)
}

#[test]
fn column_compression_options_are_checked_against_the_type() {
    let e = engine();
    ok(&e, "create table f1 (ts timestamp, v int encode 'Simple8B' compress 'LZ4' level 'H')");
    ok(&e, "create table f2 (ts timestamp, v bigint encode 'delta-i', d double compress 'tsz', b bool encode 'bit-packing', s varchar(4) encode 'disabled' compress 'disabled' level 'low')");
    let encode = (561, "Invalid encode param".to_string());
    assert_eq!(code(&e, "create table f3 (ts timestamp encode 'simple8b', v int)"), encode);
    assert_eq!(code(&e, "create table f4 (ts timestamp, v int encode 'delta-i')"), encode);
    assert_eq!(code(&e, "create table f5 (ts timestamp, v varchar(3) encode 'simple8b')"), encode);
    assert_eq!(code(&e, "create table f6 (ts timestamp, v int encode '')"), encode);
    assert_eq!(code(&e, "create table f7 (ts timestamp, g geometry(10) encode 'simple8b')"), encode);
    assert_eq!(code(&e, "create table f8 (ts timestamp, d decimal(10,2) encode 'delta-d')"), encode);
    let compress = (563, "Invalid compress param".to_string());
    assert_eq!(code(&e, "create table f9 (ts timestamp, v int compress 'tsz')"), compress);
    assert_eq!(code(&e, "create stable s1 (ts timestamp, v int compress 'bad') tags (t int)"), compress);
    let level = (564, "Invalid compress level param".to_string());
    assert_eq!(code(&e, "create table f10 (ts timestamp, v int level 'x')"), level);
    assert_eq!(code(&e, "create table f11 (ts timestamp, v int compress 'disabled' level 'x')"), level);
    // the table's shape is checked first
    assert_eq!(code(&e, "create table f12 (ts timestamp, v int encode 'bad', v int)").0, 9788);
    // and so is a column added later
    assert_eq!(code(&e, "alter table f1 add column q int encode 'bad'"), encode);
    assert_eq!(code(&e, "alter stable s0 add column q int level 'x'").0, 9731);
    ok(&e, "create stable s0 (ts timestamp, v int) tags (t int)");
    assert_eq!(code(&e, "alter stable s0 add column q int compress 'tsz'"), compress);
}

#[test]
fn table_options_ttl_sma_and_keep_have_their_limits() {
    let e = engine();
    ok(&e, "create table a1 (ts timestamp, v int) ttl 2147483647");
    let range = (548, "Value out of range".to_string());
    assert_eq!(code(&e, "create table a2 (ts timestamp, v int) ttl 2147483648"), range);
    assert_eq!(code(&e, "create table a3 (ts timestamp, v int) ttl 99999999999999999999"), range);
    ok(&e, "create table a4 (ts timestamp, v int) sma(v)");
    assert_eq!(
        code(&e, "create stable s1 (ts timestamp, v int) tags (t int) sma(nosuch)"),
        (9730, "Invalid column name: nosuch".into())
    );
    ok(&e, "create stable st (ts timestamp, v int) tags (t1 int, tn nchar(4))");
    // no child table of the statement is made
    let keep = (9754, "child table cannot set keep duration".to_string());
    assert_eq!(code(&e, "create table d3 using st tags (1, 'a') d4 using st tags (2, 'b') keep 1d"), keep);
    assert_eq!(code(&e, "create table d5 using st tags (1, 'a') keep 10 d6 using st tags (2, 'b')"), keep);
    assert_eq!(single(&e, "select count(*) from information_schema.ins_tables where db_name = 'd' and stable_name = 'st'"), "0");
}

#[test]
fn child_tables_made_together_stop_at_a_repeated_name() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (t1 int, tn nchar(4))");
    let exists = (1539, "Table already exists".to_string());
    assert_eq!(code(&e, "create table d1 using st tags (1, 'a') d1 using st tags (2, 'b')"), exists);
    assert_eq!(code(&e, "create table if not exists d2 using st tags (1, 'a') d2 using st tags (2, 'b')"), exists);
    // the first of each was made, with its own tags
    assert_eq!(single(&e, "select count(*) from information_schema.ins_tables where db_name = 'd'"), "2");
    let tags = crate::engine::spec::rows(&e, "show table tags tbname, t1 from st");
    assert_eq!(crate::engine::spec::grid(&tags, crate::engine::spec::Cells::Plain), [["d1", "1"], ["d2", "1"]]);
    // CREATE TABLE names a wrong tag 9742; INSERT … USING 9730
    assert_eq!(code(&e, "create table d3 using st (nosuch) tags (1)"), (9742, "Invalid tag name: nosuch".into()));
    assert_eq!(
        code(&e, "insert into d4 using st (nosuch) tags (1) values (now, 1)"),
        (9730, "Invalid column name: nosuch".into())
    );
    // a bad tag value is named by its own token, not by the rest of the statement
    assert_eq!(
        code(&e, "create table d5 using st tags (2147483648, 'ab')"),
        (534, "syntax error near '2147483648' (int data overflow)".into())
    );
    assert_eq!(
        code(&e, "alter table d1 set tag t1 = true, tn = 'a'"),
        (534, "syntax error near 'true' (invalid int data)".into())
    );
}

#[test]
fn dropping_several_tables_checks_them_all_first() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (t int)");
    ok(&e, "create table c1 using st tags (1)");
    ok(&e, "create table n1 (ts timestamp, v int)");
    ok(&e, "create table n2 (ts timestamp, v int)");
    let missing = (9731, "Table does not exist".to_string());
    // IF EXISTS spares a missing first name only (3.3.7.5 answers so)
    assert_eq!(code(&e, "drop table if exists c1, nosuch"), missing);
    assert_eq!(code(&e, "drop table if exists nosuch, nosuch2"), missing);
    assert_eq!(code(&e, "drop table if exists n2, nosuch, c1"), missing);
    assert_eq!(code(&e, "drop table n1, nosuch"), missing);
    assert_eq!(single(&e, "select count(*) from information_schema.ins_tables where db_name = 'd'"), "3");
    ok(&e, "drop table if exists nosuch");
    ok(&e, "drop table if exists nosuch, n2");
    assert_eq!(code(&e, "drop table n1, st"), (9786, "Cannot drop super table in batch".into()));
    assert_eq!(single(&e, "select count(*) from information_schema.ins_tables where db_name = 'd'"), "2");
}

#[test]
fn system_databases_take_no_tables() {
    let e = engine();
    assert_eq!(
        code(&e, "create table information_schema.t (ts timestamp, v int)"),
        (512, "Cannot create table of system database: `information_schema`.`t`".into())
    );
    assert_eq!(
        code(&e, "create stable information_schema.s (ts timestamp, v int) tags (t int)"),
        (512, "Cannot create table of system database: `information_schema`.`s`".into())
    );
    assert_eq!(
        code(&e, "alter table information_schema.ins_tables add column x int"),
        (512, "Cannot alter table of system database: `information_schema`.`ins_tables`".into())
    );
    assert_eq!(
        code(&e, "drop table information_schema.ins_tables"),
        (512, "Cannot drop table of system database: `information_schema`.`ins_tables`".into())
    );
    assert_eq!(
        code(&e, "alter database performance_schema keep 100d"),
        (512, "Cannot alter system database: `performance_schema`".into())
    );
    assert_eq!(
        code(&e, "insert into performance_schema.perf_apps values (now, 1)"),
        (9833, "System table not allowed".into())
    );
    assert_eq!(code(&e, "alter database d"), (9729, "Incomplete SQL statement".into()));
}

#[test]
fn super_table_alters_name_what_is_missing() {
    let e = engine();
    ok(&e, "create table n1 (ts timestamp, v int)");
    assert_eq!(code(&e, "alter stable nosuch add column q int"), (9731, "Table does not exist".into()));
    assert_eq!(code(&e, "alter stable n1 add tag q int"), (866, "STable not exist".into()));
    ok(&e, "create stable st (ts timestamp, v int) tags (t1 int)");
    ok(&e, "create table c1 using st tags (1)");
    // SET TAG in order: an unknown name, then a name set twice
    assert_eq!(code(&e, "alter table c1 set tag t1 = 3, nosuch = 4, t1 = 5"), (9801, "Invalid tag name: nosuch".into()));
}

#[test]
fn topic_filters_and_queries_are_checked() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (t1 int)");
    ok(&e, "create table nt (ts timestamp, v int)");
    // a super table topic filters child tables by tags and tbname only
    ok(&e, "create topic tq1 as stable st where tbname = 'c1' and t1 > 0");
    let columns = (9728, "Columns are forbidden in where clause".to_string());
    assert_eq!(code(&e, "create topic tq2 as stable st where v > 0"), columns);
    assert_eq!(code(&e, "create topic tq3 as stable st where t1 > 0 and ts > 0"), columns);
    assert_eq!(code(&e, "create topic tq4 as stable st where nosuch > 0"), (9728, "Invalid column name".into()));
    assert_eq!(code(&e, "create topic tq5 as select distinct v from nt"), (9785, "Invalid topic query".into()));
}

#[test]
fn a_modified_column_or_tag_takes_a_type_and_nothing_after_it() {
    let e = engine();
    ok(&e, "create table nt (ts timestamp, s varchar(8), v int)");
    ok(&e, "create stable st (ts timestamp, v int) tags (tn nchar(4))");
    assert_eq!(
        code(&e, "alter table nt modify column s varchar(20) encode 'disabled'"),
        (9728, "syntax error near \"encode 'disabled'\"".into())
    );
    assert_eq!(
        code(&e, "alter table nt modify column s varchar(20) primary key"),
        (9728, "syntax error near \"primary key\"".into())
    );
    assert_eq!(
        code(&e, "alter stable st modify tag tn nchar(8) comment 'x'"),
        (9728, "syntax error near \"comment 'x'\"".into())
    );
    ok(&e, "alter table nt modify column s varchar(20)");
}

/// USING names a table that is no super table: CREATE TABLE answers 9741 (a normal table has no
/// tags, a child table none of its own); INSERT reads a normal table as one without tags (a tag
/// value: `) is expected` at it; a tag name 9730; `tags ()` 277) and a child table as one with
/// its super table's tags (too few: `invalid data or symbol` at the `)`). `tags ()` is a syntax
/// error in CREATE TABLE. All as 3.3.7.5 answered over REST.
#[test]
fn using_a_table_that_is_no_super_table_is_refused_like_tdengine() {
    let e = engine();
    ok(&e, "create stable st (ts timestamp, v int) tags (g int, tn varchar(8))");
    ok(&e, "create table c1 using st tags (1, 'one')");
    ok(&e, "create table nt (ts timestamp, v int)");
    let tags = (9741, "Tags number not matched".to_string());
    assert_eq!(code(&e, "create table x1 using nt tags (1)"), tags);
    assert_eq!(code(&e, "create table x1 using nt (a) tags (1)"), tags);
    assert_eq!(code(&e, "create table x1 using c1 tags (1)"), tags);
    assert_eq!(code(&e, "create table x1 using st tags ()"), (9728, "syntax error near \")\"".into()));
    assert_eq!(
        code(&e, "insert into x2 using nt tags (1) values (now, 1)"),
        (534, "syntax error near '1) values (now, 1)' () is expected)".into())
    );
    assert_eq!(code(&e, "insert into x2 using nt (a, b) tags (1, 2) values (now, 1)"), (9730, "Invalid column name: a".into()));
    assert_eq!(code(&e, "insert into x2 using nt () tags () values (now, 1)"), (277, "Invalid message".into()));
    assert_eq!(
        code(&e, "insert into x2 using c1 tags (1) values (now, 1)"),
        (534, "syntax error near ') values (now, 1)' (invalid data or symbol)".into())
    );
}

/// A `)` where a row's next value is due ends the row short: 9791 once the values before it
/// are read (3.3.7.5: `values (now, )`, `(ts, v) values (now, )`).
#[test]
fn a_row_closed_after_a_comma_has_too_few_values() {
    let e = engine();
    ok(&e, "create table nt (ts timestamp, v int)");
    let illegal = (9791, "Illegal number of columns".to_string());
    assert_eq!(code(&e, "insert into nt values (now, )"), illegal);
    assert_eq!(code(&e, "insert into nt (ts, v) values (now, )"), illegal);
}
