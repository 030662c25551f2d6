//! Engine specifications: statements in, values out.

use super::*;
use crate::types::{DataType, Value};

fn run(e: &Engine, db: Option<&str>, sql: &str) -> Result<Outcome, TdError> {
    let mut ctx = SessionCtx {
        db: db.map(|s| s.to_string()),
        ..Default::default()
    };
    e.execute(&mut ctx, sql)
}

fn rows(e: &Engine, db: &str, sql: &str) -> crate::types::ResultSet {
    match run(e, Some(db), sql) {
        Ok(Outcome::Rows(rs)) => rs,
        other => panic!("{} -> {:?}", sql, other),
    }
}

fn ok(e: &Engine, db: Option<&str>, sql: &str) -> u64 {
    match run(e, db, sql) {
        Ok(Outcome::Affected(n)) => n,
        other => panic!("{} -> {:?}", sql, other),
    }
}

fn engine_with_table() -> Engine {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d");
    ok(
        &e,
        Some("d"),
        "create table t (ts timestamp, i int, s varchar(10))",
    );
    e
}

#[test]
fn insert_then_select_round_trips_values() {
    let e = engine_with_table();
    let n = ok(
        &e,
        Some("d"),
        "insert into t values ('2024-01-01 00:00:01', 2, 'b') ('2024-01-01 00:00:00', 1, 'a')",
    );
    assert_eq!(n, 2);
    let rs = rows(&e, "d", "select * from t");
    assert_eq!(rs.fields[0].ty, DataType::Timestamp);
    assert_eq!(
        rs.columns[0],
        vec![
            Value::Timestamp(1_704_067_200_000),
            Value::Timestamp(1_704_067_201_000)
        ]
    );
    assert_eq!(rs.columns[1], vec![Value::Int(1), Value::Int(2)]);
}

#[test]
fn aggregates_match_reference_computation() {
    let e = engine_with_table();
    let mut sql = String::from("insert into t values ");
    let vals: Vec<i64> = (0..100).map(|k| (k * 37) % 101 - 50).collect();
    for (k, v) in vals.iter().enumerate() {
        sql.push_str(&format!(
            "({}, {}, 'x') ",
            1_704_067_200_000i64 + k as i64,
            v
        ));
    }
    assert_eq!(ok(&e, Some("d"), &sql), 100);
    let rs = rows(
        &e,
        "d",
        "select count(*), sum(i), min(i), max(i), avg(i) from t",
    );
    assert_eq!(rs.columns[0][0], Value::Int(100));
    assert_eq!(rs.columns[1][0], Value::Int(vals.iter().sum()));
    assert_eq!(rs.columns[2][0], Value::Int(*vals.iter().min().unwrap()));
    assert_eq!(rs.columns[3][0], Value::Int(*vals.iter().max().unwrap()));
    assert_eq!(
        rs.columns[4][0],
        Value::Double(vals.iter().sum::<i64>() as f64 / 100.0)
    );
    assert_eq!(rs.fields[1].ty, DataType::BigInt);
}

/// Verified on 3.3.7.5 without a current database: TDengine's parser answers 9750 as soon as it
/// has read a table name without a database, so a syntax error later in the statement, a
/// missing database named elsewhere (904) or an unknown function never shows; an error before
/// the name does. `SHOW TAGS/INDEXES FROM t` may name the database after (9728 `database not
/// specified` when it does not).
#[test]
fn without_a_current_database_a_table_named_without_one_is_9750_before_what_follows() {
    let e = engine_with_table();
    for sql in [
        "select * from t where v < 1 & v > 2",
        "select * from t )",
        "select * from t t2 t3",
        "select * from t,",
        "select * from t1, t2 where (",
        "select * from (select * from t) where v <",
        "select t.v from t where",
        "select * from nosuchdb.t1, t2",
        "select * from t1 join nosuchdb.t2 on (",
        "select * from t1 where v in (select v from nosuchdb.t2 where (",
        "select foo(v) from t",
        "select * from t interval(1s) fill(xx)",
        "select * from t limit -1",
        "describe t xx",
        "show create table t xx",
        "show table distributed t xx",
        "drop table t xx",
        "drop stable st xx",
        "create table t (ts timestamp, v int) xx",
        "create table t using st tags(1) xx",
        "create table nosuchdb.t using st tags(1)",
        "create stable st (ts timestamp, v int) tags (t int) xx",
        "alter table t add column xx",
        "delete from t where (",
        "create view v as select * from t where (",
        "drop view v xx",
        "create topic tp as select * from t where (",
        "create topic tp as stable st xx",
        "create index ix on t (v) xx",
    ] {
        let got = run(&e, None, sql).unwrap_err();
        assert_eq!((got.code, got.message.as_str()), (9750, "Database not specified"), "{sql}");
    }
    for (sql, code) in [
        ("select v < 1 & v > 2 from t", 9728),
        ("select * from (select 1 a) where a <", 9729),
        ("select * from information_schema.ins_tables where (", 9729),
        ("show tags from t xx", 9728),
        ("show indexes from t xx", 9728),
        ("select * from nosuchdb.t", 904),
        // a keyword is no name: the grammar stops before it (`key`, `values`, `view`… too)
        ("create table value (ts timestamp, v int)", 9728),
        ("create table key (ts timestamp, v int)", 9728),
        ("create table values (ts timestamp, v int)", 9728),
        ("select key from t", 9728),
        ("select view from t", 9728),
    ] {
        assert_eq!(run(&e, None, sql).unwrap_err().code, code, "{sql}");
    }
    // With a current database the syntax error shows.
    assert_eq!(run(&e, Some("d"), "select * from t where v < 1 & v > 2").unwrap_err().code, 9728);
}

/// INSERT's own parser (a statement with VALUES, USING or FILE before any SELECT) answers 512
/// `db is not specified` without a current database when it reads a table or super table named
/// without one, before anything after the name; the tables before it are read first, their
/// values too (checked on 3.3.7.5).
#[test]
fn without_a_current_database_insert_stops_at_the_first_name_without_one() {
    let e = engine_with_table();
    for sql in [
        "insert into t values (",
        "insert into t values (1",
        "insert into t values",
        "insert into t (ts, i values (now, 1)",
        "insert into t values (now, 1) xx",
        "insert into t file",
        "insert into d.t values (now, 1, 'a') t2 values (",
        "insert into d.c1 using st tags (",
        "insert into d.c1 using st (a tags (1) values (now, 1)",
    ] {
        let got = run(&e, None, sql).unwrap_err();
        assert_eq!((got.code, got.message.as_str()), (512, "db is not specified"), "{sql}");
    }
    // without VALUES, USING or FILE TDengine's grammar reads the statement: 9750 at the name
    for sql in ["insert into t select * from d.t", "insert into t (ts, i) select ts, i from d.t", "insert into t", "insert into d.t select * from t"] {
        let got = run(&e, None, sql).unwrap_err();
        assert_eq!((got.code, got.message.as_str()), (9750, "Database not specified"), "{sql}");
    }
    // the values of a table read before it are checked first
    let got = run(&e, None, "insert into d.t values (now, 'x', 'a') t2 values (").unwrap_err();
    assert_eq!(got.code, 534);
    // a keyword is no table name there, with or without a current database
    for db in [None, Some("d")] {
        let got = run(&e, db, "insert into values (now, 1)").unwrap_err();
        assert_eq!(
            (got.code, got.message.as_str()),
            (534, "syntax error near 'values (now, 1)' (table_name is expected)")
        );
    }
    // with a current database the syntax error shows
    assert_eq!(run(&e, Some("d"), "insert into t values (").unwrap_err().code, 9729);
}

#[test]
fn errors_carry_tdengine_codes() {
    let e = engine_with_table();
    assert_eq!(run(&e, None, "select * from t").unwrap_err().code, 9750);
    assert_eq!(
        run(&e, Some("d"), "select * from nosuch").unwrap_err().code,
        9731
    );
    assert_eq!(
        run(&e, Some("d"), "select nosuch from t")
            .unwrap_err()
            .message,
        "Invalid column name: nosuch"
    );
    assert_eq!(
        run(&e, Some("nodb"), "select * from t").unwrap_err().code,
        904
    );
    let e2 = run(
        &e,
        Some("d"),
        "insert into t values ('2024-01-01 00:00:00', 2147483648, 'x')",
    )
    .unwrap_err();
    assert_eq!(
        e2.message,
        "syntax error near '2147483648, 'x')' (int data overflow)"
    );
    assert_eq!(
        run(
            &e,
            Some("d"),
            "insert into t values ('2024-01-01 00:00:00', 1, 'much too long')"
        )
        .unwrap_err()
        .code,
        9811
    );
}

/// Throughput check (run with `--ignored --nocapture` in release): 10k-row INSERT statements and
/// aggregates/INTERVAL over 1M rows.
#[test]
#[ignore]
fn perf_insert_and_aggregate_one_million_rows() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database p");
    ok(
        &e,
        Some("p"),
        "create table m (ts timestamp, v double, i int, s varchar(16))",
    );
    let base = 1_704_067_200_000i64;
    let stmts: Vec<String> = (0..100)
        .map(|b| {
            let mut sql = String::with_capacity(400_000);
            sql.push_str("insert into m values ");
            for k in 0..10_000 {
                let n = b * 10_000 + k;
                sql.push_str(&format!(
                    "({}, {}.5, {}, 'str{}') ",
                    base + n,
                    n % 1000,
                    n % 77,
                    n % 10
                ));
            }
            sql
        })
        .collect();
    let t0 = std::time::Instant::now();
    for s in &stmts {
        assert_eq!(ok(&e, Some("p"), s), 10_000);
    }
    let dt = t0.elapsed();
    println!(
        "insert: 1M rows in {:?} = {:.0} rows/s",
        dt,
        1e6 / dt.as_secs_f64()
    );
    let t1 = std::time::Instant::now();
    let rs = rows(&e, "p", "select count(*), sum(i), avg(v), max(v) from m");
    println!("aggregate over 1M rows: {:?}", t1.elapsed());
    assert_eq!(rs.columns[0][0], Value::Int(1_000_000));
    let t2 = std::time::Instant::now();
    let rs = rows(
        &e,
        "p",
        "select _wstart, count(*), avg(v) from m interval(10s)",
    );
    println!(
        "interval(10s) over 1M rows: {:?} ({} windows)",
        t2.elapsed(),
        rs.num_rows()
    );
    assert_eq!(rs.num_rows(), 100);
    let t3 = std::time::Instant::now();
    let rs = rows(
        &e,
        "p",
        "select count(*) from m where i > 10 and s = 'str3'",
    );
    println!("filtered count over 1M rows: {:?}", t3.elapsed());
    assert!(matches!(rs.columns[0][0], Value::Int(n) if n > 0));
    // updates near the end only rewrite the tail
    let t4 = std::time::Instant::now();
    for k in 0..1000 {
        ok(
            &e,
            Some("p"),
            &format!("insert into m values ({}, 0.5, 1, 'u')", base + 999_000 + k),
        );
    }
    println!(
        "1000 single-row updates at the tail of 1M rows: {:?}",
        t4.elapsed()
    );
    let rs = rows(&e, "p", "select count(*) from m where s = 'u'");
    assert_eq!(rs.columns[0][0], Value::Int(1000));
}

#[test]
fn insert_select_with_interp_fills_every_point() {
    let e = engine_with_table();
    ok(
        &e,
        Some("d"),
        "create table seed (ts timestamp, v int, x double)",
    );
    ok(
        &e,
        Some("d"),
        "insert into seed values (1704067200000, 0, 0.0) (1704067200999, 999, 499.5)",
    );
    ok(
        &e,
        Some("d"),
        "create table dst (ts timestamp, v int, x double)",
    );
    let n = ok(&e, Some("d"), "insert into dst select _irowts, interp(v), interp(x) from seed range(1704067200000, 1704067200999) every(1a) fill(linear)");
    assert_eq!(n, 1000);
    let rs = rows(&e, "d", "select count(*), sum(v), sum(x) from dst");
    assert_eq!(rs.columns[0][0], Value::Int(1000));
    assert_eq!(rs.columns[1][0], Value::Int((0..1000).sum()));
    assert_eq!(
        rs.columns[2][0],
        Value::Double((0..1000).map(|k| k as f64 * 0.5).sum())
    );
}

#[test]
fn decimal_arithmetic_is_exact_with_tdengine_result_types() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d");
    ok(
        &e,
        Some("d"),
        "create table t (ts timestamp, d1 decimal(10,2), d3 decimal(20,4))",
    );
    ok(
        &e,
        Some("d"),
        "insert into t values ('2024-01-01 00:00:00', 12.34, 1.0001)",
    );
    let rs = rows(&e, "d", "select d1 + 1, d1 * 2, d1 / 3, d1 + d3 from t");
    let shapes: Vec<(u8, u8)> = rs.fields.iter().map(|f| (f.precision, f.scale)).collect();
    assert_eq!(shapes, vec![(22, 2), (30, 2), (30, 22), (21, 4)]);
    assert_eq!(rs.columns[0][0], Value::Decimal(1334));
    assert_eq!(rs.columns[1][0], Value::Decimal(2468));
    assert_eq!(
        rs.columns[2][0],
        Value::Decimal(41_133_333_333_333_333_333_333)
    );
    assert_eq!(rs.columns[3][0], Value::Decimal(133_401));
}

#[test]
fn like_patterns() {
    use super::pattern::like_match;
    assert!(like_match("alpha", "%a"));
    assert!(like_match("beta", "_eta"));
    assert!(!like_match("epsilon", "%a%"));
    assert!(like_match("d1001", "d100%"));
    assert!(like_match("a_b", "a\\_b"));
    assert!(!like_match("axb", "a\\_b"));
    assert!(like_match(&"a".repeat(200), &"%a".repeat(50)));
}

/// Mutated corpus statements (cut short, bytes swapped, tokens duplicated) never panic and
/// always answer within the engine (no hangs); errors are fine.
#[test]
fn mutated_statements_never_panic() {
    // The recorded corpus lives with the server, which answers it over REST.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../taos-testserver/tests/data/sql-corpus");
    let mut sqls = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("corpus dir") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read");
        for line in text.lines() {
            if let Ok(v) = serde_json::from_str::<serde_json::Value>(line) {
                if let Some(s) = v["sql"].as_str() {
                    sqls.push((s.to_string(), v["db"].as_str().map(|d| d.to_string())));
                }
            }
        }
    }
    assert!(sqls.len() > 800, "corpus statements: {}", sqls.len());
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    let rounds: u32 = std::env::var("ENGINE_FUZZ_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(4);
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk = [
        "(",
        ")",
        ",",
        "'",
        "`",
        "*",
        "-",
        "null",
        "select",
        "1e400",
        "0x",
        "->",
        "%",
        "now",
        "1d",
        ";",
        "interval(1b)",
        "\u{00e9}",
    ];
    for round in 0..rounds {
        for (sql, db) in &sqls {
            let mut m = sql.clone();
            let bytes = m.len();
            match (next() % 4, round) {
                (0, _) if bytes > 0 => {
                    let mut cut = (next() as usize) % bytes;
                    while !m.is_char_boundary(cut) {
                        cut -= 1;
                    }
                    m.truncate(cut);
                }
                (1, _) if bytes > 0 => {
                    let mut at = (next() as usize) % bytes;
                    while !m.is_char_boundary(at) {
                        at -= 1;
                    }
                    m.insert_str(at, junk[(next() as usize) % junk.len()]);
                }
                (2, _) => m = format!("{} {}", m, m),
                _ => {}
            }
            let mut ctx = SessionCtx { db: db.clone(), ..Default::default() };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                // streamed, and drained: a plain scan runs as its blocks are taken
                if let Ok(Answer::Stream(s)) = e.execute_inner(&mut ctx, &m, true) {
                    s.collect();
                }
            }));
            assert!(r.is_ok(), "panic on: {}", m);
        }
    }
}

#[test]
fn day_windows_start_at_midnight_of_the_server_timezone() {
    let e = Engine::new(EngineConfig {
        timezone: chrono_tz::Asia::Shanghai,
        ..EngineConfig::new("3.3.7.5")
    });
    ok(&e, None, "create database d");
    ok(&e, Some("d"), "create table t (ts timestamp, v int)");
    // 2024-01-01 23:30 and 2024-01-02 00:30 Shanghai time: two different local days
    ok(
        &e,
        Some("d"),
        "insert into t values ('2024-01-01 23:30:00', 1) ('2024-01-02 00:30:00', 2)",
    );
    let rs = rows(&e, "d", "select _wstart, count(*) from t interval(1d)");
    assert_eq!(rs.num_rows(), 2);
    // 2024-01-01 00:00 +08:00 = 2023-12-31T16:00:00Z
    assert_eq!(rs.columns[0][0], Value::Timestamp(1_704_038_400_000));
}

#[test]
fn insert_rows_api_auto_creates_children_and_checks_values() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d precision 'us'");
    ok(
        &e,
        Some("d"),
        "create stable st (ts timestamp, v int, s nchar(3)) tags (g int)",
    );
    let ts = 1_704_067_200_000_000i64;
    let cols = vec!["ts".to_string(), "v".to_string(), "s".to_string()];
    let rows_in = vec![
        vec![
            Value::Timestamp(ts + 1),
            Value::Int(2),
            Value::Str("b".into()),
        ],
        vec![Value::Timestamp(ts), Value::Int(1), Value::Null],
        vec![
            Value::Timestamp(ts + 1),
            Value::Null,
            Value::Str("c".into()),
        ],
    ];
    let n = e
        .insert_rows(
            "d",
            "c1",
            Some(&cols),
            rows_in,
            Some(AutoCreate {
                stable: "st".into(),
                tags: vec![Value::Int(7)],
            }),
        )
        .unwrap();
    assert_eq!(n, 2, "duplicate timestamps merge");
    let rs = rows(&e, "d", "select ts, v, s, g from st order by ts");
    assert_eq!(rs.precision, Precision::Microsecond);
    assert_eq!(rs.columns[1], vec![Value::Int(1), Value::Int(2)]);
    assert_eq!(rs.columns[2], vec![Value::Null, Value::Str("c".into())]);
    assert_eq!(rs.columns[3], vec![Value::Int(7), Value::Int(7)]);
    let too_long = e.insert_rows(
        "d",
        "c1",
        Some(&cols),
        vec![vec![
            Value::Timestamp(ts + 5),
            Value::Int(1),
            Value::Str("long".into()),
        ]],
        None,
    );
    assert_eq!(
        too_long.unwrap_err().code,
        crate::types::code::PAR_VALUE_TOO_LONG
    );
    let schema = e.table_schema("d", "c1").unwrap();
    assert_eq!(schema.stable.as_deref(), Some("st"));
    assert_eq!(schema.tag_values, Some(vec![Value::Int(7)]));
    assert_eq!(e.table_schema("d", "nope").unwrap_err().code, 9731);
}

#[test]
fn super_table_scan_and_partitions() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d");
    ok(
        &e,
        Some("d"),
        "create stable st (ts timestamp, v int) tags (site varchar(8))",
    );
    ok(&e, Some("d"), "insert into a using st tags ('x') values (1704067200000, 1) (1704067201000, 2) b using st tags ('y') values (1704067200500, 10)");
    let rs = rows(&e, "d", "select tbname, v from st");
    // grouped per child table, each in ts order
    assert_eq!(
        rs.columns[1],
        vec![Value::Int(1), Value::Int(2), Value::Int(10)]
    );
    let rs = rows(
        &e,
        "d",
        "select site, sum(v) from st partition by site order by site",
    );
    assert_eq!(
        rs.columns[0],
        vec![Value::Str("x".into()), Value::Str("y".into())]
    );
    assert_eq!(rs.columns[1], vec![Value::Int(3), Value::Int(10)]);
    let rs = rows(&e, "d", "select v from st order by ts desc limit 2");
    assert_eq!(rs.columns[0], vec![Value::Int(2), Value::Int(10)]);
}

#[test]
fn information_schema_can_be_used_as_the_current_database() {
    let e = engine_with_table();
    assert!(e.database_exists("information_schema"));
    let mut ctx = SessionCtx::default();
    assert_eq!(
        e.execute(&mut ctx, "use information_schema").unwrap(),
        Outcome::Affected(0)
    );
    let rs = match e
        .execute(&mut ctx, "select name from ins_databases where name = 'd'")
        .unwrap()
    {
        Outcome::Rows(rs) => rs,
        other => panic!("{:?}", other),
    };
    assert_eq!(rs.columns[0], vec![Value::Str("d".into())]);
}

#[test]
fn stmt2_prepare_describes_placeholders_and_binds_rows() {
    use crate::statement::BindType;
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database power");
    ok(&e, Some("power"), "create stable meters (ts timestamp, current float, location varchar(24)) tags (groupid int, site nchar(8))");
    let ctx = SessionCtx {
        db: Some("power".into()),
        ..Default::default()
    };
    let p = e
        .prepare(
            &ctx,
            "insert into ? using power.meters tags(?, ?) values(?, ?, ?)",
        )
        .unwrap();
    assert!(p.is_insert);
    let kinds: Vec<(String, BindType, u32)> = p
        .fields
        .iter()
        .map(|f| (f.field.name.clone(), f.bind_type, f.bytes))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("tbname".into(), BindType::TableName, 271),
            ("groupid".into(), BindType::Tag, 4),
            ("site".into(), BindType::Tag, 34),
            ("ts".into(), BindType::Column, 8),
            ("current".into(), BindType::Column, 4),
            ("location".into(), BindType::Column, 26),
        ]
    );
    let t = crate::statement::BoundTable {
        name: Some("d1".into()),
        tags: vec![Value::Int(3), Value::Str("north".into())],
        columns: vec![
            vec![
                Value::Timestamp(1_704_067_200_000),
                Value::Timestamp(1_704_067_201_000),
            ],
            vec![Value::Float(1.5), Value::Null],
            vec![Value::Str("a".into()), Value::Str("b".into())],
        ],
    };
    assert_eq!(e.execute_insert_bind(&p, vec![t]).unwrap(), 2);
    let q = e
        .prepare(
            &ctx,
            "select tbname, groupid, location from meters where ts > ? and groupid = ?",
        )
        .unwrap();
    assert_eq!((q.is_insert, q.param_count), (false, 2));
    let rs = e
        .execute_query_bind(
            &ctx,
            &q,
            &[Value::Timestamp(1_704_067_200_000), Value::Int(3)],
        )
        .unwrap();
    assert_eq!(rs.columns[0], vec![Value::Str("d1".into())]);
    assert_eq!(rs.columns[2], vec![Value::Str("b".into())]);
    // a fixed normal table with one literal column
    ok(
        &e,
        Some("power"),
        "create table n (ts timestamp, v int, s varchar(4))",
    );
    let p = e
        .prepare(&ctx, "insert into n (ts, v, s) values (?, ?, 'x')")
        .unwrap();
    assert_eq!(p.fields.len(), 2);
    let t = crate::statement::BoundTable {
        name: None,
        tags: vec![],
        columns: vec![
            vec![Value::Timestamp(1_704_067_200_000)],
            vec![Value::Int(9)],
        ],
    };
    assert_eq!(e.execute_insert_bind(&p, vec![t]).unwrap(), 1);
    let rs = rows(&e, "power", "select v, s from n");
    assert_eq!(
        (rs.columns[0][0].clone(), rs.columns[1][0].clone()),
        (Value::Int(9), Value::Str("x".into()))
    );
}

#[test]
fn validate_checks_inserts_without_writing() {
    let e = engine_with_table();
    let ctx = SessionCtx {
        db: Some("d".into()),
        ..Default::default()
    };
    assert!(e
        .validate(&ctx, "insert into t values ('2024-01-01 00:00:00', 1, 'a')")
        .is_ok());
    assert_eq!(
        e.validate(
            &ctx,
            "insert into t values ('2024-01-01 00:00:00', 'x', 'a')"
        )
        .unwrap_err()
        .code,
        534
    );
    assert_eq!(
        e.validate(&ctx, "insert into nosuch values (now, 1)")
            .unwrap_err()
            .code,
        9731
    );
    assert_eq!(
        e.validate(&ctx, "select nosuch from t").unwrap_err().code,
        9730
    );
    let rs = rows(&e, "d", "select count(*) from t");
    assert_eq!(rs.columns[0][0], Value::Int(0));
}

#[test]
fn stmt2_decimal_and_json_fields_report_like_the_recording() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database w precision 'us'");
    ok(
        &e,
        Some("w"),
        "create stable stb (ts timestamp, d64 decimal(10,2), d128 decimal(30,4)) tags (tj json)",
    );
    let p = e
        .prepare(
            &SessionCtx::with_db(Some("w".into())),
            "insert into ? using w.stb tags (?) values (?,?,?)",
        )
        .unwrap();
    let got: Vec<(u8, u8, u8, u32)> = p
        .fields
        .iter()
        .map(|f| (f.field.ty.id(), f.precision, f.scale, f.bytes))
        .collect();
    assert_eq!(
        got,
        vec![
            (8, 0, 0, 271),
            (15, 0, 0, 16384),
            (9, 1, 0, 8),
            (21, 0, 0, 8),
            (17, 0, 0, 16)
        ]
    );
    let t = crate::statement::BoundTable {
        name: Some("c1".into()),
        tags: vec![Value::Str("{\"k\":1}".into())],
        columns: vec![
            vec![Value::Timestamp(1_704_067_200_000_000)],
            vec![Value::Str("12.345".into())],
            vec![Value::Str("-1.5".into())],
        ],
    };
    assert_eq!(e.execute_insert_bind(&p, vec![t]).unwrap(), 1);
    let rs = rows(&e, "w", "select d64, d128 from stb");
    assert_eq!(
        (rs.columns[0][0].clone(), rs.columns[1][0].clone()),
        (Value::Decimal(1235), Value::Decimal(-15000))
    );
}

/// The data blocks of a topic's next message from `from` on: (table, timestamps, first value
/// column), and the version to read from next.
fn topic_message(e: &Engine, topic: &str, from: i64) -> Option<(Vec<(String, Vec<i64>, Vec<Value>)>, i64)> {
    let m = e.topic_log(topic, 2, from, false).unwrap()?;
    let crate::topic::TopicLogBody::Data { batches, .. } = m.body else { panic!("not a data message") };
    let blocks = batches
        .iter()
        .map(|b| {
            let ts = b.rows.columns[0].iter().map(|v| match v {
                Value::Timestamp(t) => *t,
                other => panic!("{other:?}"),
            });
            (b.table.clone(), ts.collect(), b.rows.columns[1].clone())
        })
        .collect();
    Some((blocks, m.next))
}

#[test]
fn topics_deliver_what_each_statement_wrote_in_the_order_it_was_written() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d vgroups 1");
    ok(&e, Some("d"), "create stable meters (ts timestamp, current float, voltage int) tags (groupid int)");
    ok(&e, Some("d"), "insert into a using meters tags (1) values (1704067200000, 1.5, 220) (1704067201000, 2.5, 190) b using meters tags (2) values (1704067200000, 9.5, 230)");
    ok(&e, Some("d"), "create topic q as select ts, current * 2 as c2, groupid from meters where voltage > 200");
    ok(&e, Some("d"), "create topic s as stable meters where groupid = 2");
    // rows written before the topic was created are in the log too; the topic's WHERE and
    // select list apply per block
    let (blocks, next) = topic_message(&e, "q", 0).unwrap();
    assert_eq!(
        blocks,
        vec![
            ("a".to_string(), vec![1_704_067_200_000], vec![Value::Double(3.0)]),
            ("b".to_string(), vec![1_704_067_200_000], vec![Value::Double(19.0)]),
        ]
    );
    assert!(topic_message(&e, "q", next).is_none(), "nothing new");
    // a row older than what was delivered, then a row written again: each is delivered in the
    // statement that wrote it (TDengine reads its WAL, not the table)
    ok(&e, Some("d"), "insert into a values (1704067100000, 0.5, 240)");
    ok(&e, Some("d"), "insert into a values (1704067200000, 4.5, 250)");
    let (blocks, after) = topic_message(&e, "q", next).unwrap();
    assert_eq!(
        blocks,
        vec![
            ("a".to_string(), vec![1_704_067_100_000], vec![Value::Double(1.0)]),
            ("a".to_string(), vec![1_704_067_200_000], vec![Value::Double(9.0)]),
        ]
    );
    assert!(topic_message(&e, "q", after).is_none());
    // a statement the WHERE keeps nothing of is an empty message that moves the position on
    ok(&e, Some("d"), "insert into a values (1704067300000, 1.0, 100)");
    let (blocks, past) = topic_message(&e, "q", after).unwrap();
    assert!(blocks.is_empty());
    assert!(past > after);
    // stable topic with a tag filter: every column of the matching child tables
    let (blocks, _) = topic_message(&e, "s", 0).unwrap();
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].0, "b");
    let m = e.topic_log("s", 2, 0, false).unwrap().unwrap();
    let crate::topic::TopicLogBody::Data { batches, .. } = m.body else { panic!() };
    assert_eq!(batches[0].rows.fields.len(), 3);
}

#[test]
fn tiny_sliding_is_refused_instead_of_enumerating_windows() {
    let e = engine_with_table();
    ok(
        &e,
        Some("d"),
        "insert into t values ('2024-01-01 00:00:00', 1, 'a')",
    );
    let r = run(
        &e,
        Some("d"),
        "select _wstart, count(*) from t interval(365d) sliding(1a)",
    );
    assert_eq!(r.unwrap_err().code, 9778);
}

/// Mutated schemaless payloads and prepared statements never panic.
#[test]
fn mutated_schemaless_and_prepare_never_panic() {
    use crate::engine::schemaless::SmlProtocol;
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database s");
    ok(
        &e,
        Some("s"),
        "create stable st (ts timestamp, v int, d decimal(10,2)) tags (g int)",
    );
    let seeds: [(SmlProtocol, &str); 4] = [
        (
            SmlProtocol::Line,
            "m,t=1,u=x\\ y v=1i,s=\"a\\\"b\",f=1.5,b=t,n=L\"中\" 1710000000000",
        ),
        (SmlProtocol::Telnet, "tel 1710000000000 4.5 host=h0 if=eth0"),
        (
            SmlProtocol::Json,
            r#"[{"metric":"js","timestamp":{"value":1710000000000,"type":"ms"},"value":{"value":1,"type":"int"},"tags":{"t":{"value":"a","type":"nchar"}}}]"#,
        ),
        (SmlProtocol::Line, "m2 v=1u8 0"),
    ];
    let sqls = [
        "insert into ? using st tags (?) values (?, ?, ?)",
        "insert into st (tbname, ts, v, g) values (?, ?, ?, 1)",
        "select * from st where ts > ? and v in (?, ?)",
        "insert into c1 using st (g) tags (?) (ts, v) values (?, ?)",
    ];
    let mut seed: u64 = 42;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let junk = [
        "=",
        ",",
        " ",
        "\"",
        "\\",
        "{",
        "}",
        "[",
        "?",
        "(",
        ")",
        "9999999999999999999999",
        "-",
        "中",
    ];
    let mutate = |s: &str, r1: u64, r2: u64| -> String {
        let mut m = s.to_string();
        if m.is_empty() {
            return m;
        }
        let mut at = (r1 as usize) % m.len();
        while !m.is_char_boundary(at) {
            at -= 1;
        }
        if r2.is_multiple_of(2) {
            m.truncate(at);
        } else {
            m.insert_str(at, junk[(r2 as usize / 2) % junk.len()]);
        }
        m
    };
    for _ in 0..400 {
        for (proto, data) in &seeds {
            let m = mutate(data, next(), next());
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                e.schemaless_insert("s", *proto, "ms", &m, Some("t"))
            }));
            assert!(r.is_ok(), "schemaless panic on {}", m);
        }
        for sql in &sqls {
            let m = mutate(sql, next(), next());
            let ctx = SessionCtx {
                db: Some("s".into()),
                ..Default::default()
            };
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                if let Ok(p) = e.prepare(&ctx, &m) {
                    let t = crate::statement::BoundTable {
                        name: Some("c9".into()),
                        tags: vec![Value::Int(1)],
                        columns: vec![
                            vec![Value::Timestamp(1_710_000_000_000)],
                            vec![Value::Int(1)],
                            vec![Value::Str("1.5".into())],
                        ],
                    };
                    let _ = e.execute_prepared(
                        &ctx,
                        &p,
                        vec![t],
                        &[Value::Int(1), Value::Int(2), Value::Int(3)],
                    );
                }
            }));
            assert!(r.is_ok(), "prepare panic on {}", m);
        }
    }
}

/// e_stmt2_decimal_jsontag: a JSON tag bound as a JSON string (the object's text quoted once
/// more) is refused at bind time with 534 and the bound text; an object is accepted.
#[test]
fn stmt2_json_tag_quoted_twice_is_refused_at_bind() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database j");
    ok(
        &e,
        Some("j"),
        "create stable stb (ts timestamp, v int) tags (tj json)",
    );
    let ctx = SessionCtx {
        db: Some("j".into()),
        ..Default::default()
    };
    let p = e
        .prepare(&ctx, "insert into ? using j.stb tags (?) values (?, ?)")
        .unwrap();
    let bound = |tag: &str| crate::statement::BoundTable {
        name: Some("d1".into()),
        tags: vec![Value::Str(tag.into())],
        columns: vec![
            vec![Value::Timestamp(1_704_067_200_000)],
            vec![Value::Int(1)],
        ],
    };
    let quoted = r#""{\"a\":1}""#;
    let err = e.check_insert_bind(&p, &[bound(quoted)]).unwrap_err();
    assert_eq!(err.code, 534);
    assert_eq!(
        err.message,
        format!("syntax error near '{quoted}' (json error invalide value)")
    );
    assert_eq!(
        e.execute_insert_bind(&p, vec![bound(quoted)])
            .unwrap_err()
            .code,
        534
    );
    e.check_insert_bind(&p, &[bound(r#"{"a":1}"#)]).unwrap();
    assert_eq!(
        e.execute_insert_bind(&p, vec![bound(r#"{"a":1}"#)])
            .unwrap(),
        1
    );
}

#[test]
fn topics_with_meta_on_a_query_are_syntax_errors_and_live_consumers_guard_their_topics() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d");
    ok(&e, Some("d"), "create stable st (ts timestamp, v int) tags (g int)");
    for sql in ["create topic m only meta as select * from d.st", "create topic m with meta as select * from d.st"] {
        let err = run(&e, None, sql).unwrap_err();
        // TDengine 3.3.7.5: `syntax error near "select * from d.st"`
        assert_eq!(err.code, crate::types::code::PAR_SYNTAX_ERROR, "{sql}");
        assert_eq!(err.message, "syntax error near \"select * from d.st\"");
    }
    ok(&e, None, "create topic t as database d");
    e.tmq_subscribed(crate::topic::TmqConsumer {
        id: 0x2a,
        group: "g".into(),
        client_id: "c".into(),
        user: "root".into(),
        topics: vec!["t".into()],
        parameters: "tbname:1,commit:1,interval:5000ms,reset:latest".into(),
        up_time_ms: 1,
        subscribe_time_ms: 2,
        max_poll_interval_ms: 300_000,
        last_poll_ms: chrono::Utc::now().timestamp_millis(),
    });
    let consumers = rows(&e, "d", "show consumers");
    assert_eq!((consumers.columns[0][0].clone(), consumers.columns[6][0].clone()), (Value::Str("0x2a".into()), Value::Str("t".into())));
    // the database's two vgroups, both the one consumer's
    let subs = rows(&e, "d", "show subscriptions");
    assert_eq!(subs.columns[2], [Value::Int(2), Value::Int(3)]);
    assert_eq!(subs.columns[3], [Value::Str("0x2a".into()), Value::Str("0x2a".into())]);
    assert_eq!(run(&e, None, "drop topic t").unwrap_err().code, 1003);
    assert_eq!(run(&e, None, "drop database d").unwrap_err().code, 1005);
    e.tmq_unsubscribed(0x2a, false);
    assert_eq!(rows(&e, "d", "show consumers").num_rows(), 0);
    ok(&e, None, "drop topic t");
}

/// Reads a topic `WITH META` message by message: (message type, JSON meta, tables and row counts).
fn read_log(e: &Engine, topic: &str, batch_meta: bool) -> Vec<(u8, Option<serde_json::Value>, Vec<(String, usize, usize)>)> {
    read_log_in(e, topic, e.topic_vgroups(topic).unwrap()[0], batch_meta)
}

/// The same, from the log of one vgroup.
fn read_log_in(e: &Engine, topic: &str, vgroup: i32, batch_meta: bool) -> Vec<(u8, Option<serde_json::Value>, Vec<(String, usize, usize)>)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(m) = e.topic_log(topic, vgroup, at, batch_meta).unwrap() {
        assert!(m.version >= at && m.next > m.version);
        at = m.next;
        if matches!(&m.body, crate::topic::TopicLogBody::Data { batches, created: None } if batches.is_empty()) {
            continue; // nothing for this topic: the position moves on, as the server does
        }
        out.push(match m.body {
            crate::topic::TopicLogBody::Meta(metas) | crate::topic::TopicLogBody::Created(metas) => (2, Some(serde_json::Value::Array(metas)), vec![]),
            crate::topic::TopicLogBody::Data { batches, created } => (
                if created.is_some() { 3 } else { 1 },
                created,
                batches.iter().map(|b| (b.table.clone(), b.rows.num_rows(), b.rows.fields.len())).collect(),
            ),
        });
    }
    out
}

#[test]
fn topics_with_meta_deliver_the_database_log_in_order() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d vgroups 1");
    ok(&e, Some("d"), "create stable stb (ts timestamp, v int) tags (t int)");
    ok(&e, None, "create topic dt with meta as database d");
    ok(&e, None, "create topic st with meta as stable d.stb");
    for sql in [
        "create table d.ct1 using d.stb tags (1)",
        "insert into d.ct1 values (1700000000000, 1) (1700000000001, 2)",
        "alter stable d.stb add column w varchar(8)",
        "insert into d.ct1 values (1700000000002, 3, 'x')",
        "create table d.nt (ts timestamp, a int)",
        "insert into d.nt values (1700000000000, 100)",
        "create table d.ct9 using d.stb tags (9)",
        "drop table d.ct9",
        "drop table d.nt",
        "insert into d.ca using d.stb tags (1) values (1700000000000, 1, 'a') (1700000000001, 2, 'b')",
        "insert into d.cb using d.stb tags (2) values (1700000000000, 1, 'a') d.cc using d.stb tags (3) values (1700000000000, 1, 'a')",
    ] {
        ok(&e, None, sql);
    }
    let types = |log: &[(u8, Option<serde_json::Value>, Vec<(String, usize, usize)>)]| log.iter().map(|m| m.0).collect::<Vec<_>>();
    // one meta per message; the rows of `nt`, dropped before being read, are skipped
    let log = read_log(&e, "dt", false);
    assert_eq!(types(&log), [2, 2, 1, 2, 1, 2, 2, 2, 2, 3]);
    let meta = |i: usize| log[i].1.as_ref().unwrap()[0].clone();
    assert_eq!(meta(0)["tableType"], "super");
    assert_eq!(meta(0)["columns"][0], serde_json::json!({"name": "ts", "type": 9, "isPrimarykey": false, "encode": "delta-i", "compress": "lz4", "level": "medium"}));
    assert_eq!(meta(0)["tags"], serde_json::json!([{"name": "t", "type": 4}]));
    assert_eq!(meta(1), serde_json::json!({"type": "create", "tableType": "child", "tableName": "ct1", "using": "stb", "tagNum": 1, "tags": [{"name": "t", "type": 4, "value": 1}], "createList": []}));
    assert_eq!(log[2].2, [("ct1".to_string(), 2, 2)], "rows keep the columns they were written with");
    assert_eq!(meta(3), serde_json::json!({"type": "alter", "tableType": "super", "tableName": "stb", "alterType": 5, "colName": "w", "colType": 8, "colLength": 8}));
    assert_eq!(log[4].2, [("ct1".to_string(), 1, 3)]);
    assert_eq!(meta(5)["tableType"], "normal");
    assert_eq!(meta(5)["tags"], serde_json::json!([]));
    assert_eq!(meta(7), serde_json::json!({"type": "drop", "tableNameList": ["ct9"]}));
    assert_eq!(meta(8), serde_json::json!({"type": "drop", "tableNameList": ["nt"]}));
    // both auto-create inserts make one data+meta message: the first child, and all three
    let created = log[9].1.as_ref().unwrap();
    assert_eq!(created["tableName"], "ca");
    let list: Vec<_> = created["createList"].as_array().unwrap().iter().map(|c| c["tableName"].clone()).collect();
    assert_eq!(list, ["ca", "cb", "cc"]);
    assert_eq!(log[9].2.iter().map(|b| (b.0.as_str(), b.1)).collect::<Vec<_>>(), [("ca", 2), ("cb", 1), ("cc", 1)]);
    // batched: consecutive metas in one message; a skipped insert still ends a batch
    let batched = read_log(&e, "dt", true);
    assert_eq!(types(&batched), [2, 1, 2, 1, 2, 2, 3]);
    assert_eq!(batched[0].1.as_ref().unwrap().as_array().unwrap().len(), 2);
    assert_eq!(batched[5].1.as_ref().unwrap().as_array().unwrap().len(), 3);
    // the stable topic: no normal table
    let stable = read_log(&e, "st", true);
    assert_eq!(types(&stable), [2, 1, 2, 1, 2, 3]);
    assert_eq!(e.topic_log_range("dt", 2), Some((0, 12)));
    assert!(e.topic_log("dt", 2, 12, true).unwrap().is_none());
}

/// m_session_options (TDengine 3.3.7.5): a connection's time zone reads literal local times,
/// prints `to_iso8601` and `timezone()` and truncates days, while `to_char`, `interval(1d)`
/// windows and `cast(ts as varchar)` do not follow it.
#[test]
fn the_session_time_zone_reads_and_prints_local_times() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database m precision 'ms'");
    ok(&e, Some("m"), "create table t (ts timestamp, v int)");
    let mut utc = SessionCtx::with_db(Some("m".into()));
    let mut sh = SessionCtx { tz: Some(crate::session::SessionTz::named("Asia/Shanghai")), ..utc.clone() };
    e.execute(&mut utc, "insert into t values ('2024-01-01 12:00:00', 1)").unwrap();
    e.execute(&mut sh, "insert into t values ('2024-01-02 12:00:00', 2)").unwrap();
    let cells = |ctx: &mut SessionCtx, sql: &str| match e.execute(ctx, sql) {
        Ok(Outcome::Rows(rs)) => (0..rs.num_rows()).map(|r| rs.columns.iter().map(|c| c[r].clone()).collect()).collect::<Vec<Vec<Value>>>(),
        other => panic!("{sql} -> {other:?}"),
    };
    let q = "select cast(ts as bigint), to_iso8601(ts), cast(ts as varchar(32)), to_char(ts, 'yyyy-mm-dd hh24:mi:ss'), cast(timetruncate(ts, 1d) as bigint) from t order by v";
    assert_eq!(
        cells(&mut sh, q),
        vec![
            vec![Value::Int(1704110400000), Value::Str("2024-01-01T20:00:00.000+0800".into()), Value::Str("1704110400000".into()), Value::Str("2024-01-01 12:00:00".into()), Value::Int(1704038400000)],
            vec![Value::Int(1704168000000), Value::Str("2024-01-02T12:00:00.000+0800".into()), Value::Str("1704168000000".into()), Value::Str("2024-01-02 04:00:00".into()), Value::Int(1704124800000)],
        ]
    );
    assert_eq!(cells(&mut utc, "select to_iso8601(ts) from t where v = 1"), vec![vec![Value::Str("2024-01-01T12:00:00.000+0000".into())]]);
    assert_eq!(cells(&mut utc, "select v from t where ts = '2024-01-01 12:00:00'"), vec![vec![Value::Int(1)]]);
    assert!(cells(&mut sh, "select v from t where ts = '2024-01-01 12:00:00'").is_empty());
    assert_eq!(
        cells(&mut sh, "select timezone(), to_unixtimestamp('2024-01-01 00:00:00')"),
        vec![vec![Value::Str("Asia/Shanghai (CST, +0800)".into()), Value::Int(1704038400000)]]
    );
    // an unknown zone reads as UTC and keeps its name
    let mut bad = SessionCtx { tz: Some(crate::session::SessionTz::named("Bad/Zone")), ..utc.clone() };
    assert_eq!(cells(&mut bad, "select timezone()"), vec![vec![Value::Str("Bad/Zone (UTC, +0000)".into())]]);
}

/// Checked on TDengine 3.3.7.5: the client lowercases a statement outside quotes, so unquoted
/// names, aliases and the text quoted in errors are lower case, while backtick-quoted names and
/// string literals keep their case: a column created as `` `Val` `` is found only as `` `Val` ``
/// (`select Val` is 9730 `Invalid column name: val`).
#[test]
fn statements_are_lowercased_outside_quotes_and_backticks_keep_case() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database lc");
    ok(&e, Some("lc"), "create table `MixedCase` (ts timestamp, `Val` int)");
    assert_eq!(ok(&e, Some("lc"), "INSERT INTO `MixedCase` VALUES (1700000000000, 1)"), 1);
    let rs = rows(&e, "lc", "select table_name from information_schema.ins_tables where db_name = 'lc'");
    assert_eq!(rs.columns[0], vec![Value::Str("MixedCase".into())]);
    let err = run(&e, Some("lc"), "select * from MixedCase").unwrap_err();
    assert_eq!((err.code, err.message.as_str()), (0x2603, "Table does not exist"));
    let rs = rows(&e, "lc", "SELECT UPPER('abc') AS Upper_Name, 'AbC' FROM `MixedCase`");
    assert_eq!(rs.fields[0].name, "upper_name");
    assert_eq!(rs.columns[0], vec![Value::Str("ABC".into())]);
    assert_eq!(rs.columns[1], vec![Value::Str("AbC".into())]);
    for sql in ["select Val from `MixedCase`", "select `val` from `MixedCase`", "select max(VAL) from `MixedCase`"] {
        let err = run(&e, Some("lc"), sql).unwrap_err();
        assert_eq!((err.code, err.message.as_str()), (0x2602, "Invalid column name: val"), "{sql}");
    }
    assert_eq!(rows(&e, "lc", "select `Val` from `MixedCase`").columns[0], vec![Value::Int(1)]);
}

#[test]
fn inserts_taosadapter_cannot_run_are_refused_with_its_codes() {
    let e = engine_with_table();
    ok(
        &e,
        Some("d"),
        "create stable st (ts timestamp, v int) tags (t int, u int)",
    );
    let refused = |sql: &str| {
        let err = run(&e, Some("d"), sql).unwrap_err();
        (err.code, err.message)
    };
    let dup = |n: &str| {
        (
            534,
            format!("syntax error near '{}' (duplicated column name)", n),
        )
    };
    assert_eq!(
        refused("insert into t (ts, ts) values (now, now)"),
        dup("ts")
    );
    assert_eq!(
        refused("insert into t (ts, i, i) values (now, 1, 2)"),
        dup("i")
    );
    assert_eq!(
        refused("insert into c1 using st (t, t) tags (1, 2) values (now, 1)"),
        dup("t")
    );
    assert_eq!(
        refused("insert into st (tbname, ts, v, v) values ('c2', now, 1, 2)"),
        dup("v")
    );
    // FILE is read by the native client library; through taosAdapter there is nothing to read it,
    // but the table is looked up first
    let csv = (512, "proxy mode does not support csv loading".to_string());
    assert_eq!(refused("insert into t file '/tmp/x.csv'"), csv);
    assert_eq!(refused("insert into t (ts, i) file 'x.csv'"), csv);
    assert_eq!(refused("insert into nosuch file 'x.csv'").0, 9731);
    assert_eq!(
        refused("drop index d.nosuch"),
        (1156, "index not exist".to_string())
    );
}

fn consumer(id: u64, group: &str, topic: &str) -> crate::topic::TmqConsumer {
    crate::topic::TmqConsumer {
        id,
        group: group.into(),
        client_id: String::new(),
        user: "root".into(),
        topics: vec![topic.into()],
        parameters: String::new(),
        up_time_ms: 1,
        subscribe_time_ms: 2,
        max_poll_interval_ms: 300_000,
        last_poll_ms: chrono::Utc::now().timestamp_millis(),
    }
}

#[test]
fn a_database_spreads_its_tables_over_its_vgroups_and_each_vgroup_has_its_own_log() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database one vgroups 1");
    ok(&e, None, "create database tmq4_v vgroups 2");
    ok(&e, Some("tmq4_v"), "create stable st (ts timestamp, v int) tags (t int)");
    for i in 0..6 {
        ok(&e, Some("tmq4_v"), &format!("create table d{i} using st tags ({i})"));
    }
    ok(&e, Some("tmq4_v"), "insert into d0 values (1700000000000, 0) d2 values (1700000000000, 2) d3 values (1700000000000, 3)");
    ok(&e, None, "create topic t with meta as database tmq4_v");
    // ids follow the databases' creation; d0, d1 hash into the first vgroup, d2..d5 the second
    let vgroups = rows(&e, "tmq4_v", "show vgroups");
    assert_eq!((vgroups.columns[0].clone(), vgroups.columns[2].clone()), (vec![Value::Int(3), Value::Int(4)], vec![Value::Int(2), Value::Int(4)]));
    let tables = rows(&e, "tmq4_v", "select table_name, vgroup_id from information_schema.ins_tables where db_name = 'tmq4_v' order by table_name");
    assert_eq!(tables.columns[1], [3, 3, 4, 4, 4, 4].map(Value::Int));
    assert_eq!(e.topic_vgroups("t"), Some(vec![3, 4]));
    // the super table in both logs, each child in its own, one insert split in two
    let first = read_log_in(&e, "t", 3, true);
    let second = read_log_in(&e, "t", 4, true);
    assert_eq!(first.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(first[1].2, [("d0".to_string(), 1, 2)]);
    assert_eq!(second.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 1]);
    assert_eq!(second[1].2.iter().map(|b| b.0.as_str()).collect::<Vec<_>>(), ["d2", "d3"]);
    assert_eq!((e.topic_log_range("t", 3), e.topic_log_range("t", 4), e.topic_log_range("t", 2)), (Some((0, 4)), Some((0, 6)), None));
    assert_eq!(e.topic_log("t", 2, 0, true).unwrap_err().code, 0x4008);
}

#[test]
fn consumers_of_one_group_share_a_topics_vgroups_and_take_over_those_of_one_that_leaves() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database d vgroups 4");
    ok(&e, None, "create topic t as database d");
    e.tmq_subscribed(consumer(10, "g", "t"));
    assert_eq!(e.tmq_assigned(10, "t"), [2, 3, 4, 5], "alone: every vgroup");
    e.tmq_subscribed(consumer(11, "g", "t"));
    e.tmq_subscribed(consumer(12, "other", "t"));
    assert_eq!((e.tmq_assigned(10, "t"), e.tmq_assigned(11, "t")), (vec![2, 4], vec![3, 5]), "two of a group split them");
    assert_eq!(e.tmq_assigned(12, "t"), [2, 3, 4, 5], "another group gets them all");
    assert!(e.tmq_assigned(10, "u").is_empty());
    let subs = rows(&e, "d", "show subscriptions");
    assert_eq!(subs.num_rows(), 8);
    e.tmq_unsubscribed(10, true);
    assert_eq!(e.tmq_assigned(11, "t"), [2, 3, 4, 5], "the one left takes over");
    // one that does not poll within its max.poll.interval.ms is lost until it polls again
    e.tmq_subscribed(crate::topic::TmqConsumer { max_poll_interval_ms: 50, ..consumer(13, "g", "t") });
    assert_eq!(e.tmq_assigned(13, "t"), [3, 5]);
    std::thread::sleep(std::time::Duration::from_millis(60));
    assert!(e.tmq_assigned(13, "t").is_empty());
    assert_eq!(e.tmq_assigned(11, "t"), [2, 3, 4, 5]);
    let consumers = rows(&e, "d", "show consumers");
    assert_eq!(consumers.columns[5].iter().filter(|s| **s == Value::Str("lost".into())).count(), 1);
    crate::SqlBackend::tmq_polled(&e, 13);
    assert_eq!(e.tmq_assigned(13, "t"), [3, 5]);
}

#[test]
fn topics_only_meta_deliver_metas_and_the_tables_inserts_create_never_rows() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database o vgroups 1");
    ok(&e, Some("o"), "create stable st (ts timestamp, v int) tags (t int)");
    ok(&e, None, "create topic om only meta as database o");
    let topics = rows(&e, "o", "select * from information_schema.ins_topics where topic_name = 'om'");
    assert_eq!(topics.columns[5], [Value::Str("yes".into())]);
    for sql in [
        "create table o.c1 using o.st tags (1)",
        "insert into o.c1 values (1700000000000, 1)",
        "insert into o.c2 using o.st tags (2) values (1700000000000, 2)",
        "alter stable o.st add column w int",
        "create table o.n1 (ts timestamp, a int)",
        "insert into o.n1 values (1700000000000, 5)",
    ] {
        ok(&e, None, sql);
    }
    // as TDengine 3.3.7.5 answers it: five meta messages, the auto-created child on its own
    let log = read_log(&e, "om", false);
    assert_eq!(log.iter().map(|m| m.0).collect::<Vec<_>>(), [2, 2, 2, 2, 2]);
    assert!(log.iter().all(|m| m.2.is_empty()), "no rows");
    let created = &log[2].1.as_ref().unwrap()[0];
    assert_eq!((created["tableName"].clone(), created["createList"].clone()), (serde_json::json!("c2"), serde_json::json!([])));
    // an INT column added by ALTER has no colLength
    assert_eq!(log[3].1.as_ref().unwrap()[0], serde_json::json!({"type": "alter", "tableType": "super", "tableName": "st", "alterType": 5, "colName": "w", "colType": 4}));
}

#[test]
fn the_log_keeps_what_the_retention_period_says_and_topics_need_one() {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    ok(&e, None, "create database z vgroups 1 wal_retention_period 0");
    ok(&e, Some("z"), "create table z.t (ts timestamp, v int)");
    for sql in ["create topic zt as database z", "create topic zt with meta as database z", "create topic zt as select ts, v from z.t"] {
        assert_eq!(run(&e, None, sql).unwrap_err().code, 0x038C, "{sql}");
    }
    ok(&e, None, "create database r vgroups 1 wal_retention_period 1");
    ok(&e, Some("r"), "create table r.t (ts timestamp, v int)");
    ok(&e, None, "create topic rt with meta as database r");
    assert_eq!(run(&e, None, "alter database r wal_retention_period 0").unwrap_err().code, 0x038C);
    ok(&e, None, "insert into r.t values (1700000000000, 1)");
    assert_eq!(e.topic_log_range("rt", 3), Some((0, 2)));
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&e, None, "insert into r.t values (1700000000001, 2)");
    // the create and the first insert are older than a second: gone; a consumer from 0 reads on
    assert_eq!(e.topic_log_range("rt", 3), Some((2, 3)));
    let m = e.topic_log("rt", 3, 0, true).unwrap().unwrap();
    assert_eq!((m.version, m.next), (2, 3));
    ok(&e, None, "alter database r wal_retention_period -1");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    ok(&e, None, "insert into r.t values (1700000000002, 3)");
    assert_eq!(e.topic_log_range("rt", 3), Some((2, 4)), "kept for ever");
}


#[test]
fn the_log_keeps_evenly_spaced_timestamps_as_a_step_and_a_count() {
    use crate::engine::wal::LoggedTimestamps;
    let even = LoggedTimestamps::new((0..1000).map(|i| 1_700_000_000_000 + 10 * i).collect());
    assert_eq!(even, LoggedTimestamps::Even { first: 1_700_000_000_000, step: 10, count: 1000 });
    assert_eq!(even.iter().nth(999), Some(1_700_000_009_990));
    assert_eq!(LoggedTimestamps::new(vec![5]).iter().collect::<Vec<_>>(), [5]);
    let uneven = LoggedTimestamps::new(vec![1, 2, 4]);
    assert_eq!(uneven, LoggedTimestamps::Listed(vec![1, 2, 4]));
    assert_eq!((uneven.len(), uneven.iter().collect::<Vec<_>>()), (3, vec![1, 2, 4]));
}
