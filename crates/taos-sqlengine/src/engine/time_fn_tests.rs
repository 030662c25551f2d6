//! Time and conversion functions as TDengine 3.3.7.5 computes them (its `sclfunc.c` and
//! `ttime.c`): to_iso8601, timetruncate, to_char, to_timestamp, week functions, to_json.

use crate::engine::spec::{answer_text, Cells};
use crate::engine::{Engine, EngineConfig};
use crate::session::SessionCtx;

/// An engine with database `m` (ms), `u` (µs) and `n` (ns), each with table `t`.
fn engine() -> Engine {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    let mut ctx = SessionCtx::default();
    for (db, p) in [("m", "ms"), ("u", "us"), ("n", "ns")] {
        for s in [
            format!("create database {db} precision '{p}'"),
            format!("use {db}"),
            "create table t (ts timestamp, i int, s varchar(32))".to_string(),
            "insert into t values ('2024-02-29 13:45:30.123', -1, '2024-03-10 12:34:56') \
             ('2024-03-01 00:00:00', 300, 'abc') ('2024-03-02 00:00:00', null, null)"
                .to_string(),
        ] {
            e.execute(&mut ctx, &s).unwrap_or_else(|err| panic!("{s}: {err:?}"));
        }
    }
    e
}

/// The rows of `sql` run in database `db`: cells as text, or `error <code>`.
fn answer(e: &Engine, db: &str, sql: &str) -> String {
    let mut ctx = SessionCtx { db: Some(db.into()), ..Default::default() };
    answer_text(sql, e.execute(&mut ctx, sql), Cells::Plain)
}

#[test]
fn to_iso8601_splits_with_c_division_and_prints_long_years() {
    let e = engine();
    // -1 ms: second 0, fraction `%03d` of -1
    assert_eq!(answer(&e, "m", "select to_iso8601(i) from t order by ts"), "1970-01-01T00:00:00.-01+0000; 1970-01-01T00:00:00.300+0000; NULL");
    // -1.234567 s: second -1, `%06d` of -234567 cut to the field's width
    assert_eq!(answer(&e, "u", "select to_iso8601(-1234567) from t limit 1"), "1969-12-31T23:59:59.-23456+0000");
    assert_eq!(answer(&e, "m", "select to_iso8601(1704067200123456)"), "55969-09-28T00:02:03.456+0000");
    assert_eq!(answer(&e, "m", "select to_iso8601(0, '+08:00')"), "1970-01-01T08:00:00.000+08:00");
}

#[test]
fn timetruncate_follows_the_database_precision() {
    let e = engine();
    // its result type carries no precision: a string compared with it is read in ms, so on a
    // µs or ns database the literal never equals it (checked on 3.3.7.5); a number is compared
    // as it is
    for (db, n) in [("m", "1"), ("u", "0"), ("n", "0")] {
        assert_eq!(
            answer(&e, db, "select count(*) from t where timetruncate(ts, 1d) = '2024-02-29 00:00:00'"),
            n,
            "{db}"
        );
    }
    assert_eq!(answer(&e, "u", "select count(*) from t where timetruncate(ts, 1d) = 1709164800000000"), "1");
    assert_eq!(
        answer(&e, "u", "select timetruncate(ts, 1d) > '2024-03-01 00:00:00', ts + 1 > '2024-03-01 00:00:00', to_unixtimestamp('2024-03-01', 1) = '2024-03-01' from t order by ts"),
        "true|false|false; true|true|false; true|true|false"
    );
    assert_eq!(
        answer(&e, "u", "select timetruncate(ts, 1s), timetruncate(ts, 1w), timetruncate(ts, 1d, 0) from t order by ts limit 1"),
        "1709214330000000|1709164800000000|1709164800000000"
    );
}

#[test]
fn timetruncate_reads_strings_bigint_and_timestamps_only() {
    let e = engine();
    assert_eq!(
        answer(&e, "m", "select timetruncate('2024-03-10 12:34:56', 1h), timetruncate(1710074096789, 1s), timetruncate('bad', 1s)"),
        "1710072000000|1710074096000|NULL"
    );
    // an INT column is not read: 0, truncated; NULL stays NULL
    assert_eq!(answer(&e, "m", "select timetruncate(i, 1s), timetruncate(s, 1d) from t order by ts"), "0|1710028800000; 0|NULL; NULL|NULL");
    // before 1970, C's division truncates toward zero
    assert_eq!(answer(&e, "m", "select timetruncate(-1500, 1s)"), "-1000");
}

#[test]
fn week_functions_read_like_timetruncate() {
    let e = engine();
    // an INT argument is never read: 1970-01-01, a Thursday (recorded from 3.3.7.5)
    assert_eq!(
        answer(&e, "m", "select weekday(ts), dayofweek(ts), week(ts), week(ts, 3), weekofyear(ts), weekday(i), weekday(s) from t order by ts"),
        "3|5|8|9|9|3|6; 4|6|8|9|9|3|NULL; 5|7|8|9|9|NULL|NULL"
    );
    assert_eq!(answer(&e, "m", "select weekofyear('2021-01-03'), weekofyear('2020-12-31'), week('bad')"), "53|53|NULL");
    assert_eq!(answer(&e, "m", "select week(ts, 8) from t"), "error 10243");
}

#[test]
fn to_json_reads_its_literal_as_a_json_tag() {
    let e = engine();
    // checked on 3.3.7.5: keys sorted, the first value of the text read, anything that is no
    // JSON tag (arrays, `{}`, 'null', text) is NULL; a column or NULL is refused
    assert_eq!(
        answer(&e, "m", r#"select to_json('{"z":1,"a":2}'), to_json('{"a":1} trailing'), to_json('{"a":[1]}'), to_json('{}'), to_json('not json')"#),
        r#"{"a":2,"z":1}|{"a":1}|NULL|NULL|NULL"#
    );
    assert_eq!(answer(&e, "m", "select to_json(s) from t"), "error 10242");
    assert_eq!(answer(&e, "m", "select to_json(null)"), "error 10242");
}
