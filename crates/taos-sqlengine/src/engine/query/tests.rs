//! Query specifications beyond the shared corpus: joins, windows, grouping and clauses on data
//! like the corpus', each answer (rows, or the error code) as TDengine 3.3.7.5 gave it for the
//! same statement (recorded against a real server; rows without ORDER BY compared sorted).

use crate::engine::spec::{row_texts, Cells};
use crate::engine::{Engine, EngineConfig};
use crate::session::SessionCtx;

pub(super) fn setup(stmts: &[&str]) -> Engine {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    let mut ctx = SessionCtx { db: None, ..Default::default() };
    e.execute(&mut ctx, "create database q")
        .expect("create database");
    ctx.db = Some("q".into());
    for s in stmts {
        e.execute(&mut ctx, s)
            .unwrap_or_else(|err| panic!("{s}: {err:?}"));
    }
    e
}

/// Rows as `a|b; c|d` (times of 2024-01-01 as `hh:mm:ss`), or `error <code>`.
fn answer(e: &Engine, sql: &str) -> String {
    let mut ctx = SessionCtx {
        db: Some("q".into()),
        ..Default::default()
    };
    match row_texts(sql, e.execute(&mut ctx, sql), Cells::Clock) {
        Err(err) => err,
        Ok(mut rows) => {
            if !sql.to_ascii_lowercase().contains("order by") {
                rows.sort();
            }
            rows.join("; ")
        }
    }
}

pub(super) fn check(e: &Engine, cases: &[(&str, &str)]) {
    let mut wrong = Vec::new();
    for (sql, want) in cases {
        let got = answer(e, sql);
        if got != *want {
            wrong.push(format!("{sql}\n   want: {want}\n   got:  {got}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

fn joins_data() -> Engine {
    setup(&[
        "create table a (ts timestamp, v int, k varchar(4))",
        "create table b (ts timestamp, w int, k varchar(4))",
        "insert into a values ('2024-01-01 00:00:00', 1, 'x') ('2024-01-01 00:00:01', 2, 'y') ('2024-01-01 00:00:02', 3, 'x') ('2024-01-01 00:00:03', null, 'z') ('2024-01-01 00:00:05', 5, null)",
        "insert into b values ('2024-01-01 00:00:00', 10, 'x') ('2024-01-01 00:00:02', 30, 'y') ('2024-01-01 00:00:03', 40, 'z') ('2024-01-01 00:00:04', 50, 'x') ('2024-01-01 00:00:06', 60, 'x')",
        "create stable m (ts timestamp, v int) tags (dev int, site varchar(8))",
        "create stable e (ts timestamp, code int) tags (dev int, site varchar(8))",
        "insert into m1 using m tags (1, 'north') values ('2024-01-01 00:00:00', 11) ('2024-01-01 00:00:01', 12) ('2024-01-01 00:00:02', 13)",
        "insert into m2 using m tags (2, 'south') values ('2024-01-01 00:00:00', 21) ('2024-01-01 00:00:02', 23)",
        "insert into e1 using e tags (1, 'north') values ('2024-01-01 00:00:00', 100) ('2024-01-01 00:00:02', 102)",
        "insert into e2 using e tags (2, 'south') values ('2024-01-01 00:00:01', 201) ('2024-01-01 00:00:02', 202)",
    ])
}

#[test]
fn joins_answer_like_tdengine() {
    let e = joins_data();
    check(
        &e,
        &[
            ("select a.ts, b.w from a join b on a.ts = b.ts and a.v < b.w order by a.ts", "00:00:00|10; 00:00:02|30"),
            ("select a.ts, b.w from a, b where b.ts = a.ts and b.w > 30", "00:00:03|40"),
            ("select a.ts, b.ts from a full join b on a.ts = b.ts and a.k = b.k order by a.ts, b.ts", "NULL|00:00:02; NULL|00:00:04; NULL|00:00:06; 00:00:00|00:00:00; 00:00:01|NULL; 00:00:02|NULL; 00:00:03|00:00:03; 00:00:05|NULL"),
            ("select a.ts, b.ts from a full join b on a.ts = b.ts where b.w > 30 order by b.ts", "00:00:03|00:00:03; NULL|00:00:04; NULL|00:00:06"),
            ("select a.ts, b.w from a left join b on a.ts = b.ts where b.ts is null", ""),
            ("select a.ts, b.ts, a.v, b.w from a right semi join b on a.ts = b.ts and a.k = b.k order by b.ts", "00:00:00|00:00:00|1|10; 00:00:03|00:00:03|NULL|40"),
            ("select a.ts, b.ts, b.w from a right anti join b on a.ts = b.ts and a.k = b.k order by b.ts", "NULL|00:00:02|30; NULL|00:00:04|50; NULL|00:00:06|60"),
            ("select a.ts, b.w from a left asof join b on b.ts < a.ts order by a.ts", "00:00:00|NULL; 00:00:01|10; 00:00:02|10; 00:00:03|30; 00:00:05|50"),
            ("select a.ts, b.w from a right asof join b jlimit 2 order by b.ts, a.ts", "00:00:00|10; 00:00:01|30; 00:00:02|30; 00:00:02|40; 00:00:03|40; 00:00:02|50; 00:00:03|50; 00:00:03|60; 00:00:05|60"),
            ("select a.ts, b.w from a left asof join b on a.ts >= b.ts and a.v = b.w order by a.ts", "00:00:00|NULL; 00:00:01|NULL; 00:00:02|NULL; 00:00:03|NULL; 00:00:05|NULL"),
            ("select a.ts, b.ts, b.w from a right window join b window_offset(-1s, 0s) order by b.ts, a.ts", "00:00:00|00:00:00|10; 00:00:01|00:00:02|30; 00:00:02|00:00:02|30; 00:00:02|00:00:03|40; 00:00:03|00:00:03|40; 00:00:03|00:00:04|50; 00:00:05|00:00:06|60"),
            ("select a.ts, sum(b.w), avg(b.w) from a left window join b window_offset(-2s, 0s) order by a.ts", "00:00:00|10|10; 00:00:01|10|10; 00:00:02|40|20; 00:00:03|70|35; 00:00:05|90|45"),
            ("select count(*) from a left window join b window_offset(-1s, 1s)", "1; 2; 2; 2; 3"),
            ("select a.ts, b.w from a left asof join b jlimit 0", ""),
            ("select m.tbname, count(*) from m join e on m.ts = e.ts and m.dev = e.dev group by m.tbname order by m.tbname", "m1|2; m2|1"),
            ("select a.ts from a join b on a.ts = b.ts join (select ts from m1) c on c.ts = a.ts order by a.ts", "00:00:00; 00:00:02"),
            ("select a.ts from a left join b on a.ts = b.ts left join m1 on a.ts = m1.ts", "error 9828"),
            ("select a.ts from a left asof join (select * from b) t", "error 9828"),
            ("select a.ts, b.w from a left asof join b on a.ts >= b.ts or a.k = b.k", "error 1843"),
            ("select a.ts, b.w from a left window join b on a.ts = b.ts window_offset(-1s, 1s)", "error 9987"),
            ("select a.ts, b.w from a left window join b window_offset(-1u, 1s)", "error 9843"),
            ("select a.ts from a, b where a.v = b.w", "error 9828"),
            ("select tbname from m join e on m.ts = e.ts", "error 9804"),
            ("select a.v from a x", "error 9731"),
            ("select a.ts from a join a on a.ts = a.ts", "error 9827"),
            (
                "select a.ts, count(b.w) from a left window join b window_offset(-1s, 1s) having count(b.w) > 1",
                "00:00:01|2; 00:00:02|2; 00:00:03|3; 00:00:05|2",
            ),
            (
                "select a.ts, count(b.w) c from a left window join b window_offset(-1s, 1s) having c > 1",
                "error 9842",
            ),
        ],
    );
}

#[test]
fn comma_joins_of_three_tables_take_each_key_from_where() {
    let e = joins_data();
    check(
        &e,
        &[
            (
                "select a.ts, b.w, m1.v from a, b, m1 where a.ts = b.ts and b.ts = m1.ts order by a.ts",
                "00:00:00|10|11; 00:00:02|30|13",
            ),
            (
                "select a.ts, b.w, m1.v from a, b, m1 where a.ts = b.ts order by a.ts",
                "error 9828",
            ),
        ],
    );
}

/// TDengine 3.3.7.5 reads WINDOW_OFFSET in milliseconds and applies the number as units of the
/// database precision (in a us database `2a` spans 2 us, `1s` 1000 us).
#[test]
fn window_offsets_are_milliseconds_applied_as_precision_units() {
    let e = setup(&[
        "create database u precision 'us'",
        "create table u.x (ts timestamp, v int)",
        "create table u.y (ts timestamp, w int)",
        "insert into u.x values ('2024-01-01 00:00:00', 1) ('2024-01-01 00:00:00.000005', 2) ('2024-01-01 00:00:01', 3)",
        "insert into u.y values ('2024-01-01 00:00:00.000003', 10) ('2024-01-01 00:00:01', 30)",
    ]);
    check(
        &e,
        &[
            (
                "select x.v, y.w from u.x x left window join u.y y window_offset(-5u, 5u) order by x.ts",
                "1|NULL; 2|NULL; 3|30",
            ),
            (
                "select x.v, y.w from u.x x left window join u.y y window_offset(-2a, 2a) order by x.ts",
                "1|NULL; 2|10; 3|30",
            ),
            (
                "select x.v, y.w from u.x x left window join u.y y window_offset(-1s, 0s) order by x.ts",
                "1|NULL; 2|10; 3|30",
            ),
            (
                "select x.v, y.w from u.x x left window join u.y y window_offset(-1b, 0s)",
                "error 9843",
            ),
        ],
    );
}

fn windows_data() -> Engine {
    setup(&[
        "create stable st (ts timestamp, v int, s varchar(8), b bool) tags (g int, site varchar(8))",
        "insert into c1 using st tags (1, 'north') values ('2024-01-01 00:00:00', 1, 'a', true) ('2024-01-01 00:00:04', 2, 'a', true) ('2024-01-01 00:00:09', 7, 'b', false) ('2024-01-01 00:00:20', 8, 'b', false) ('2024-01-01 00:00:21', null, null, null) ('2024-01-01 00:00:23', 3, 'a', true) ('2024-01-01 00:00:40', 9, 'c', true) ('2024-01-01 00:00:41', 1, 'c', false)",
        "insert into c2 using st tags (2, 'north') values ('2024-01-01 00:00:02', 5, 'x', true) ('2024-01-01 00:00:12', 6, 'x', true) ('2024-01-01 00:00:13', 2, 'y', false)",
        "insert into c3 using st tags (3, 'south') values ('2024-01-01 00:00:30', 4, 'z', true)",
    ])
}

#[test]
fn windows_answer_like_tdengine() {
    let e = windows_data();
    check(
        &e,
        &[
            ("select _wstart, count(*) from c1 session(ts, 10)", "00:00:00|1; 00:00:04|1; 00:00:09|1; 00:00:20|1; 00:00:21|1; 00:00:23|1; 00:00:40|1; 00:00:41|1"),
            ("select _wstart, _wend, count(*), s from c1 state_window(s) true_for(2s)", "00:00:00|00:00:04|2|a; 00:00:09|00:00:20|2|b"),
            ("select _wstart, count(*) from c1 state_window(b)", "00:00:00|2; 00:00:09|2; 00:00:23|2; 00:00:41|1"),
            ("select _wstart, count(*) from c1 event_window start with v > 1 end with v > 5 true_for(2s)", "00:00:04|2; 00:00:23|2"),
            ("select _wstart, count(*) from c1 count_window(2, 1, v)", "00:00:00|2; 00:00:04|2; 00:00:09|2; 00:00:20|2; 00:00:23|2; 00:00:40|2; 00:00:41|1"),
            ("select _wstart, count(*) from c1 count_window(4, 3)", "00:00:00|4; 00:00:20|4; 00:00:40|2"),
            ("select _wstart, count(*) from c1 interval(1y, 1n)", "2023-02-01T00:00:00|8"),
            ("select _wstart, count(*) from c1 interval(1n, 5d)", "2023-12-06T00:00:00|8"),
            ("select _wstart, count(*) from c1 interval(10s, 2s) sliding(5s)", "00:00:02|2; 00:00:07|1; 00:00:12|2; 00:00:17|3; 00:00:22|1; 00:00:32|2; 00:00:37|2; 2023-12-31T23:59:52|1; 2023-12-31T23:59:57|2"),
            ("select _wstart, count(*) from c1 where ts >= '2024-01-01 00:00:00' and ts < '2024-01-01 00:00:30' interval(10s) sliding(5s) fill(null)", "00:00:00|3; 00:00:05|1; 00:00:10|NULL; 00:00:15|3; 00:00:20|3; 00:00:25|NULL; 2023-12-31T23:59:55|2"),
            ("select _wstart, count(*) from c1 where ts >= '2024-01-01 00:00:03' and ts < '2024-01-01 00:00:30' interval(10s, 2s) fill(next)", "00:00:02|2; 00:00:12|2; 00:00:22|1"),
            ("select site, _wstart, count(*) from st partition by site state_window(s) order by site, _wstart", "north|00:00:00|1; north|00:00:02|1; north|00:00:04|1; north|00:00:09|1; north|00:00:12|1; north|00:00:13|1; north|00:00:20|1; north|00:00:23|1; north|00:00:40|2; south|00:00:30|1"),
            ("select _wstart, count(*) from c1 session(ts, 1n)", "error 9771"),
            ("select _wstart, count(*) from c1 state_window(g)", "error 9769"),
            ("select _wstart, count(*) from c1 state_window(s) true_for(1n)", "error 9864"),
            ("select _wstart, count(*) from c1 count_window(2, 0)", "error 9797"),
            ("select _wstart, count(*) from c1 interval(1n, 1y)", "error 9774"),
            ("select _wstart, count(*) from c1 interval(10s) sliding(1n)", "error 9776"),
            ("select _wstart, count(*) from c1 interval(10s, 11s)", "error 9775"),
            ("select _wstart, count(*) from (select v from c1) state_window(v)", "error 9808"),
            ("select _wstart, count(*) from c1 where _wend > 0 interval(10s)", "error 9816"),
            ("select _wstart, tbname from st partition by tbname interval(10s)", "error 9822"),
            ("select _wstart, v from c1 interval(10s)", "error 9831"),
            ("select _wstart, count(*), count(*) + 1 from c1 where ts >= '2024-01-01 00:00:00' and ts < '2024-01-01 00:00:40' interval(10s) fill(value, 1)", "error 9733"),
            ("select _wstart, count(*) from c1 interval(10s) group by v", "error 9764"),
        ],
    );
}

#[test]
fn interp_answers_like_tdengine() {
    let e = windows_data();
    check(
        &e,
        &[
            ("select _irowts, interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:10') every(2s) fill(near)", "00:00:00|1; 00:00:02|1; 00:00:04|2; 00:00:06|2; 00:00:08|7; 00:00:10|7"),
            ("select _irowts, _isfilled, interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:05') every(1s) fill(linear)", "00:00:00|false|1; 00:00:01|true|1; 00:00:02|true|1; 00:00:03|true|1; 00:00:04|false|2; 00:00:05|true|3"),
            ("select _irowts, interp(v) from c1 range('2024-01-01 00:00:04') fill(prev)", "00:00:04|2"),
            ("select _irowts, interp(v) from c1 range('2024-01-01 00:00:42', '2024-01-01 00:00:44') every(1s) fill(near)", "00:00:42|1; 00:00:43|1; 00:00:44|1"),
            ("select interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:10') every(2s)", "error 9821"),
            ("select _irowts, interp(v) from c1 range('2024-01-01 00:00:05')", "error 9733"),
            ("select count(*) from c1 fill(prev)", "error 9821"),
            // ORDER BY a data column outside interp() is 9740; pseudo columns and items are not
            ("select interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(2s) fill(prev) order by v", "error 9740"),
            ("select interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(2s) fill(prev) order by ts", "error 9740"),
            ("select interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(2s) fill(prev) order by abs(v)", "error 9740"),
            ("select interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(2s) fill(prev) order by _irowts desc", "2; 1; 1"),
            ("select interp(v) a from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(2s) fill(prev) order by a desc", "2; 1; 1"),
            ("select _irowts, interp(v) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:10') every(2s) fill(prev, 5)", "error 9733"),
            ("select _irowts, interp(s) from c1 range('2024-01-01 00:00:00', '2024-01-01 00:00:04') every(1s) fill(prev)", "error 10242"),
            ("select _wstart, count(*) from c1 interval(10s) fill(near)", "error 9728"),
        ],
    );
}

#[test]
fn grouping_answers_like_tdengine() {
    let e = setup(&[
        "create stable st (ts timestamp, v int, f double, s varchar(8), b bool) tags (region varchar(8), zone int)",
        "insert into c1 using st tags ('north', 1) values ('2024-01-01 00:00:00', 1, 1.5, 'a', true) ('2024-01-01 00:00:01', 2, 2.5, 'b', false) ('2024-01-01 00:00:02', 3, null, 'a', true) c2 using st tags ('north', 2) values ('2024-01-01 00:00:00', 10, 10.5, 'a', false) ('2024-01-01 00:00:03', null, 11.5, null, null) c3 using st tags ('south', 1) values ('2024-01-01 00:00:01', 100, 100.5, 'b', true) ('2024-01-01 00:00:04', 200, 200.5, 'c', true) c4 using st tags (null, null) values ('2024-01-01 00:00:05', 7, 7.5, 'a', null)",
        "create table n (ts timestamp, v int, s varchar(8))",
        "insert into n values ('2024-01-01 00:00:00', 1, 'a') ('2024-01-01 00:00:01', 2, 'a') ('2024-01-01 00:00:02', 3, 'b')",
    ]);
    check(
        &e,
        &[
            ("select v % 3 + 1, count(*) from st group by v % 3 order by 1", "NULL|1; 1|1; 2|4; 3|2"),
            ("select v % 3 m, count(*) from st group by m order by m", "NULL|1; 0|1; 1|4; 2|2"),
            ("select count(*), region from st group by 2 order by 2", "1|NULL; 5|north; 2|south"),
            ("select region, count(*) from st group by region limit 1 offset 1", ""),
            ("select region, count(*) from st group by region order by region limit 1 offset 1", "north|5"),
            ("select region, count(*) from st group by region order by region slimit 2", "NULL|1; north|5; south|2"),
            ("select tbname, v from st partition by tbname limit 2 offset 1", "c1|2; c1|3; c2|NULL; c3|200"),
            ("select region, count(*) from st where v > 1000 and zone = 1 group by region order by region", "north|0; south|0"),
            ("select zone, count(*) from st where v > 1000 partition by zone order by zone", "NULL|0; 1|0; 2|0"),
            ("select region, sum(v) from st where v > 1000 group by region order by region", ""),
            ("select region, max(v), min(v), ts from st group by region order by region", "error 9738"),
            ("select region from st partition by region having max(v) > 50 order by region", "south"),
            ("select v + 1, count(*) from st partition by v + 1 order by 1", "NULL|1; 2|1; 3|1; 4|1; 8|1; 11|1; 101|1; 201|1"),
            ("select count(*), region from st group by 1", "error 9736"),
            ("select region, count(*) from st group by 0", "error 9737"),
            ("select region, count(*) from st group by -1", "error 9738"),
            ("select v from st slimit 1 limit 1", "error 9784"),
            ("select count(*) from st slimit 1", "error 9784"),
            ("select count(*) from st where v > 1 having count(*) > 1", "error 9738"),
            ("select region, count(*) c from st group by region having c > 1", "error 9730"),
            ("select distinct region from st order by zone", "error 9739"),
            ("select v from n order by v > 1", "error 9728"),
            ("select 1 limit 0", "1"),
        ],
    );
}

#[test]
fn unions_and_subqueries_answer_like_tdengine() {
    let e = setup(&[
        "create stable st (ts timestamp, v int, f double, s varchar(8)) tags (g int, site nchar(8))",
        "insert into c1 using st tags (1, 'north') values ('2024-01-01 00:00:00', 1, 1.5, 'a') ('2024-01-01 00:00:01', 2, 2.5, 'b') ('2024-01-01 00:00:02', 3, null, 'a') ('2024-01-01 00:00:03', null, 4.5, 'c')",
        "insert into c2 using st tags (2, 'south') values ('2024-01-01 00:00:00', 10, 10.5, 'a') ('2024-01-01 00:00:02', 30, 30.5, 'b')",
        "insert into c3 using st tags (3, 'north') values ('2024-01-01 00:00:05', 100, 0.5, 'z')",
        "create table n (ts timestamp, i tinyint, u bigint unsigned, d double, s nchar(4), b bool)",
        "insert into n values ('2024-01-01 00:00:00', 1, 1, 1.5, 'x', true) ('2024-01-01 00:00:01', -2, 18446744073709551615, -2.5, 'yy', false)",
    ]);
    check(
        &e,
        &[
            (
                "select s from n union all select site from st",
                "north; north; north; north; north; south; south; x; yy",
            ),
            (
                "select i from n union all select v from c1",
                "-2; 1; 1; 2; 3; NULL",
            ),
            (
                "select b from n union all select v from c1",
                "NULL; false; true; true; true; true",
            ),
            (
                "select s from n union all select v from c1",
                "1; 2; 3; NULL; x; yy",
            ),
            (
                "select v from c1 union select v from c2",
                "1; 10; 2; 3; 30; NULL",
            ),
            (
                "select v from c1 union all select v from c2 order by v desc nulls last limit 2",
                "30; 10",
            ),
            (
                "select v from c1 union all select v from c2 order by c1.v",
                "NULL; 1; 2; 3; 10; 30",
            ),
            (
                "select v as x from c1 union all select v from c2 order by v",
                "error 9845",
            ),
            (
                "(select v from c1 limit 1) union all select v from c2 order by v",
                "1; 10; 30",
            ),
            (
                "select v from c1 union all select v, s from c2",
                "error 9780",
            ),
            ("select tbname from (select v from st)", "error 9804"),
            ("select diff(v) from (select v from c1)", "error 9844"),
            (
                "select csum(v) from (select ts, v from c1 union all select ts, v from c2)",
                "error 9807",
            ),
            ("select c1.v from (select v from c1) t", "error 9731"),
            ("select distinct s from c1 order by v", "error 9739"),
        ],
    );
}

/// EVENT_WINDOW's conditions as TDengine 3.3.7.5 takes them (each answer checked on it with
/// these rows): a bare column, of any type, and a constant that is not boolean are 1807 `invalid
/// input`, another expression that is not boolean is 280, and a constant boolean opens no window.
#[test]
fn event_window_conditions_must_be_boolean_expressions() {
    let e = setup(&[
        "create table tb (ts timestamp, b bool, v int, f double, s varchar(10))",
        "insert into tb values ('2024-01-01 00:00:00', true, 1, 1.5, 'a') ('2024-01-01 00:00:01', false, 5, null, 'b') \
         ('2024-01-01 00:00:02', null, 3, 2.5, 'a') ('2024-01-01 00:00:03', true, 7, -1, null) ('2024-01-01 00:00:04', false, 2, 2, 'b')",
    ]);
    check(
        &e,
        &[
            ("select _wstart, count(*) from tb event_window start with b = true end with v < 4", "00:00:00|1; 00:00:03|2"),
            ("select _wstart, count(*) from tb event_window start with cast(v as bool) end with v < 4", "00:00:00|1; 00:00:01|2; 00:00:03|2"),
            ("select _wstart, count(*) from tb event_window start with b end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with v > 2 end with b", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with v end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with s end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with f end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with 1 end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with null end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with 'a' end with v < 4", "error 1807"),
            ("select _wstart, count(*) from tb event_window start with v+1 end with v < 4", "error 280"),
            ("select _wstart, count(*) from tb event_window start with abs(v) end with v < 4", "error 280"),
            ("select _wstart, count(*) from tb event_window start with false end with v < 4", ""),
            ("select _wstart, count(*) from tb event_window start with 1 > 0 end with v < 4", ""),
            ("select _wstart, count(*) from tb event_window start with v > 2 end with true", ""),
            ("select _wstart, count(*) from tb event_window start with v > 2 end with 1 < 0", ""),
            // an aggregate is no condition (nor in WHERE)
            ("select count(*) from tb event_window start with count(*) > 1 end with v < 4", "error 9736"),
            ("select count(*) from tb where count(*) > 1", "error 9736"),
            ("select v from tb where sum(v) > 1", "error 9736"),
            ("select v from tb where nosuch > 1 and sum(v) > 1", "error 9730"),
            ("select v from tb where sum(v) > 1 and nosuch > 1", "error 9736"),
        ],
    );
}

/// Functions on the time line take the primary timestamp of their FROM: a subquery without
/// one answers 9844 `Valid primary timestamp required` (3.3.7.5), after the other checks.
#[test]
fn time_line_functions_need_a_primary_timestamp_from_a_subquery() {
    let e = nullable_data();
    check(
        &e,
        &[
            ("select last(*) from (select v, s from t)", "error 9844"),
            ("select first(v) from (select v from t)", "error 9844"),
            ("select last_row(*) from (select v, s from t)", "error 9844"),
            ("select last(*) from (select v, s from t) group by s", "error 9844"),
            ("select last(v) from (select ts, v from t)", "2"),
            ("select max(v), count(*) from (select v, s from t)", "7|6"),
        ],
    );
}

/// The catalog's parameter attributes (3.3.7.5): first/last/last_row take no NULL literal
/// (10242), mode and unique must read a column (10260); a STATE_WINDOW of NULL is 9768.
#[test]
fn null_literals_and_constants_where_a_column_is_due_are_refused() {
    let e = nullable_data();
    check(
        &e,
        &[
            ("select first(null) from t", "error 10242"),
            ("select last(null), last(v) from t", "error 10242"),
            ("select last_row(null) from t", "error 10242"),
            ("select mode('abc') from t", "error 10260"),
            ("select mode(null) from t", "error 10260"),
            ("select unique(1) from t", "error 10260"),
            ("select mode(abs(v)) from t", "5"),
            ("select count(*) from t state_window(null)", "error 9768"),
            // these read a bare NULL and answer NULL
            ("select sum(null), avg(null), stddev(null), max(null), min(null), var_pop(null), stddev_pop(null) from t", "NULL|NULL|NULL|NULL|NULL|NULL|NULL"),
            ("select sum(null), count(*) from t group by s", "NULL|1; NULL|2; NULL|3"),
        ],
    );
}

/// Windows over a system table are refused after WHERE and before the select list (3.3.7.5:
/// 9833 `WINDOW is not supported in system table query`); INTERP is no window.
#[test]
fn windows_over_system_tables_are_refused() {
    let e = setup(&["create table tb (ts timestamp, v int)"]);
    check(
        &e,
        &[
            ("select count(*) from information_schema.ins_tables interval(1s)", "error 9833"),
            ("select * from information_schema.ins_tables interval(1s)", "error 9833"),
            ("select count(*) from information_schema.ins_tables session(create_time, 1s)", "error 9833"),
            ("select count(*) from information_schema.ins_tables where count(*) > 1 interval(1s)", "error 9736"),
        ],
    );
}

/// `t`: six rows over ten seconds with a NULL in each column (the rows the specifications
/// below were checked with on 3.3.7.5).
fn nullable_data() -> Engine {
    setup(&[
        "create table t (ts timestamp, v int, f double, s varchar(10))",
        "insert into t values ('2024-01-01 00:00:00', 1, 1.5, 'a') ('2024-01-01 00:00:01', 5, null, 'b') ('2024-01-01 00:00:02', null, 2.5, 'a') \
         ('2024-01-01 00:00:04', 3, -1, null) ('2024-01-01 00:00:05', 7, 2, 'b') ('2024-01-01 00:00:09', 2, 4, 'a')",
    ])
}

/// Scalar math and function arguments as TDengine 3.3.7.5 answers them (each checked on it
/// with these rows): round/truncate scale by 10^d for any d and keep x's type (an integer
/// truncates, FLOAT computes in FLOAT); log with base 1, a non-positive base or argument, and
/// any infinite result are NULL; elapsed's unit; apercentile's algorithm; functions without
/// arguments take none (a syntax error at the argument).
#[test]
fn math_and_function_arguments_answer_like_tdengine() {
    let e = nullable_data();
    check(
        &e,
        &[
            ("select round(v, 1.5) from t order by ts", "1; 4; NULL; 3; 6; 1"),
            ("select round(v, 1.4) from t order by ts", "0; 5; NULL; 2; 7; 1"),
            ("select round(v, -1) from t order by ts", "0; 10; NULL; 0; 10; 0"),
            ("select round(f, 1.5) from t order by ts", "1.4862705002791383; NULL; 2.4981993515330196; -1.0119288512538813; 1.992234925906079; 3.984469851812158"),
            ("select round(f, 0.5) from t order by ts", "1.5811388300841895; NULL; 2.5298221281347035; -0.9486832980505138; 1.8973665961010275; 4.110960958218893"),
            ("select truncate(f, 0.5) from t order by ts", "1.2649110640673518; NULL; 2.2135943621178655; -0.9486832980505138; 1.8973665961010275; 3.794733192202055"),
            ("select truncate(v, 1.5) from t order by ts", "0; 4; NULL; 2; 6; 1"),
            ("select round(cast(v as float), 1.5) from t order by ts", "1.0119289; 4.996399; NULL; 3.0041637; 6.9886336; 1.992235"),
            ("select round(f, 1) from t order by ts", "1.5; NULL; 2.5; -1; 2; 4"),
            // (-0: both servers send `-0`)
            ("select log(v, 0.5) from t order by ts", "-0; -2.321928094887362; NULL; -1.5849625007211563; -2.807354922057604; -1"),
            ("select log(v, 1) from t order by ts", "NULL; NULL; NULL; NULL; NULL; NULL"),
            ("select log(v, -2) from t order by ts", "NULL; NULL; NULL; NULL; NULL; NULL"),
            ("select log(0, 2) from t order by ts", "NULL; NULL; NULL; NULL; NULL; NULL"),
            ("select log(2, 0) from t order by ts", "NULL; NULL; NULL; NULL; NULL; NULL"),
            ("select log(0) from t order by ts", "NULL; NULL; NULL; NULL; NULL; NULL"),
            ("select log(v, f) from t order by ts", "0; NULL; NULL; NULL; 2.807354922057604; 0.5"),
            ("select exp(1000), pow(10, 400), sqrt(-1) from t order by ts", "NULL|NULL|NULL; NULL|NULL|NULL; NULL|NULL|NULL; NULL|NULL|NULL; NULL|NULL|NULL; NULL|NULL|NULL"),
            ("select elapsed(ts, 1s) from t", "9"),
            ("select elapsed(ts, 1a) from t", "9000"),
            ("select elapsed(ts, 0s) from t", "error 10250"),
            ("select elapsed(ts, -1s) from t", "error 10250"),
            ("select elapsed(ts, 1n) from t", "error 10250"),
            ("select elapsed(ts, 1y) from t", "error 10250"),
            ("select elapsed(ts, 1b) from t", "error 10251"),
            ("select elapsed(ts, 1u) from t", "error 10251"),
            // the default algorithm interpolates between histogram bins (3.3.7.5: 2.5, not 3)
            ("select apercentile(v, 50), apercentile(v, 0), apercentile(v, 20), apercentile(v, 100) from t", "2.5|1|1|7"),
            ("select apercentile(v, 50, 'DEFAULT') from t", "2.5"),
            ("select apercentile(v, 99), apercentile(v, 75) from t", "6.9|4.5"),
            ("select _wstart, apercentile(v, 60) from t interval(3s)", "00:00:00|1.7999999999999998; 00:00:03|3.8; 00:00:09|2"),
            // its point is an integer (percentile's any number)
            ("select apercentile(v, 50.0) from t", "error 10242"),
            ("select apercentile(v, 1e1) from t", "error 10242"),
            ("select percentile(v, 33.3) from t", "2.332"),
            ("select apercentile(v, 50, 'x') from t", "error 10243"),
            ("select apercentile(v, 50, '') from t", "error 10243"),
            ("select apercentile(v, 50, 1) from t", "error 10242"),
            ("select now(1) from t", "error 9728"),
            ("select today(1) from t", "error 9728"),
            ("select timezone(1) from t", "error 9728"),
            ("select pi(1) from t", "error 9728"),
            ("select database(1) from t", "error 9728"),
            ("select server_version(1) from t", "error 9728"),
            ("select user(1) from t", "error 9728"),
            ("select current_user(1) from t", "error 9728"),
        ],
    );
    let mut ctx = SessionCtx { db: Some("q".into()), ..Default::default() };
    let refusal = e.execute(&mut ctx, "select now(1) from t").unwrap_err();
    assert_eq!(refusal.message, "syntax error near \"1) from t\"");
    let refusal = e.execute(&mut ctx, "select elapsed(ts, 1n) from t").unwrap_err();
    assert_eq!(refusal.message, "Invalid timzone format : elapsed");
}

/// A window over a UNION without ORDER BY is refused with code 3 (3.3.7.5's answer, with 9808's
/// text; ordered, the union has a primary timestamp again), and a calendar INTERVAL with a fixed
/// SLIDING (3.3.7.5 answers a month-long window every day) is refused by name.
#[test]
fn windows_over_unions_and_calendar_intervals_with_a_fixed_sliding_are_refused() {
    let e = windows_data();
    check(
        &e,
        &[
            ("select _wstart, count(*) from (select * from c1 union all select * from c1) interval(10s)", "error 3"),
            ("select _wstart, count(*) from (select * from c1 union select * from c1) session(ts, 1s)", "error 3"),
            ("select _wstart, count(*) from (select * from c1 union all select * from c1) state_window(v)", "error 3"),
            ("select _wstart, count(*) from c1 interval(1n) sliding(1d)", "error 9728"),
            ("select _wstart, count(*) from c1 interval(1n) sliding(2d)", "error 9728"),
            // HAVING on a bare column of a window query names it (3.3.7.5: 9831, not 9738)
            ("select _wstart, count(*) from c1 interval(10s) having v > 1", "error 9831"),
            ("select _wstart, count(*) from c1 interval(10s) having s = 'a'", "error 9831"),
            ("select count(*) from c1 group by s having v > 1", "error 9738"),
        ],
    );
    let mut ctx = SessionCtx { db: Some("q".into()), ..Default::default() };
    let ordered = "select _wstart, count(*) from (select * from c1 union all select * from c1 order by ts) interval(10s)";
    assert!(e.execute(&mut ctx, ordered).is_ok());
}

/// Checked on 3.3.7.5 with these rows: without GROUP/PARTITION BY, a query with first()/last()
/// answers no row for a window (or the whole input) where every aggregate found no value (FILL
/// then fills it as an empty window); count, last_row and a value elsewhere keep it. And
/// elapsed() in an INTERVAL window runs from the window's start when a row precedes it and to
/// its end when one follows.
#[test]
fn first_last_windows_without_values_and_elapsed_in_intervals_answer_like_tdengine() {
    let e = nullable_data();
    check(
        &e,
        &[
            ("select _wstart, first(v) from t interval(2s) order by _wstart", "00:00:00|1; 00:00:04|3; 00:00:08|2"),
            ("select _wstart, first(v), last(v) from t interval(2s) order by _wstart", "00:00:00|1|5; 00:00:04|3|7; 00:00:08|2|2"),
            ("select _wstart, first(v), sum(v) from t interval(2s) order by _wstart", "00:00:00|1|6; 00:00:04|3|10; 00:00:08|2|2"),
            ("select _wstart, first(v), count(*) from t interval(2s) order by _wstart", "00:00:00|1|2; 00:00:02|NULL|1; 00:00:04|3|2; 00:00:08|2|1"),
            ("select _wstart, first(v), count(v) from t interval(2s) order by _wstart", "00:00:00|1|2; 00:00:02|NULL|0; 00:00:04|3|2; 00:00:08|2|1"),
            ("select _wstart, max(v) from t interval(2s) order by _wstart", "00:00:00|5; 00:00:02|NULL; 00:00:04|7; 00:00:08|2"),
            ("select _wstart, first(v), first(s) from t interval(2s) order by _wstart", "00:00:00|1|a; 00:00:02|NULL|a; 00:00:04|3|b; 00:00:08|2|a"),
            ("select _wstart, first(v), last_row(v) from t interval(2s) order by _wstart", "00:00:00|1|5; 00:00:02|NULL|NULL; 00:00:04|3|7; 00:00:08|2|2"),
            ("select _wstart, first(v)+1, _wend from t interval(2s) order by _wstart", "00:00:00|2|00:00:02; 00:00:04|4|00:00:06; 00:00:08|3|00:00:10"),
            ("select _wstart, first(v) from t where ts >= '2024-01-01 00:00:00' and ts < '2024-01-01 00:00:10' interval(2s) fill(null) order by _wstart", "00:00:00|1; 00:00:02|NULL; 00:00:04|3; 00:00:06|NULL; 00:00:08|2"),
            ("select _wstart, first(v) from t where ts >= '2024-01-01 00:00:00' and ts < '2024-01-01 00:00:10' interval(2s) fill(prev) order by _wstart", "00:00:00|1; 00:00:02|1; 00:00:04|3; 00:00:06|3; 00:00:08|2"),
            ("select _wstart, first(v) from t state_window(s) order by _wstart", "00:00:00|1; 00:00:01|5; 00:00:05|7; 00:00:09|2"),
            ("select first(v), sum(v) from t where ts = '2024-01-01 00:00:02'", ""),
            ("select max(v) from t where ts = '2024-01-01 00:00:02'", "NULL"),
            ("select first(v), count(*) from t where ts = '2024-01-01 00:00:02'", "NULL|1"),
            ("select cols(first(v), s) from t where ts = '2024-01-01 00:00:02'", ""),
            ("select first(v) from t where ts = '2024-01-01 00:00:02' group by s", "NULL"),
            ("select s, _wstart, first(v) from t partition by s interval(2s) order by s, _wstart", "NULL|00:00:04|3; a|00:00:00|1; a|00:00:02|NULL; a|00:00:08|2; b|00:00:00|5; b|00:00:04|7"),
            ("select _wstart, elapsed(ts) from t interval(2s) order by _wstart", "00:00:00|2000; 00:00:02|2000; 00:00:04|2000; 00:00:08|1000"),
            ("select _wstart, elapsed(ts) from t where ts >= '2024-01-01 00:00:00.500' and ts < '2024-01-01 00:00:09.5' interval(2s) order by _wstart", "00:00:00|1000; 00:00:02|2000; 00:00:04|2000; 00:00:08|1000"),
            ("select _wstart, elapsed(ts, 1s) from t interval(3s) order by _wstart", "00:00:00|3; 00:00:03|3; 00:00:09|0"),
            ("select _wstart, elapsed(ts) from t interval(2s) sliding(1s) order by _wstart", "2023-12-31T23:59:59|1000; 00:00:00|2000; 00:00:01|2000; 00:00:02|2000; 00:00:03|2000; 00:00:04|2000; 00:00:05|2000; 00:00:08|1000; 00:00:09|0"),
            ("select _wstart, elapsed(ts) from t session(ts, 1s) order by _wstart", "00:00:00|2000; 00:00:04|1000; 00:00:09|0"),
        ],
    );
}

/// A column is named as itself however it is written (`(v)`, `((v))`, `(t.v)`, `+v`, `` `v` ``);
/// any other expression as written (`+(v+1)`, `+1`), as 3.3.7.5 names them.
#[test]
fn a_column_is_named_as_itself_however_it_is_written() {
    let e = nullable_data();
    let mut ctx = SessionCtx { db: Some("q".into()), ..Default::default() };
    let sql = "select (v), ((v)), (t.v), +v, + v, `v`, +(v+1), +1, abs(+v) from t";
    let Ok(crate::types::Outcome::Rows(rs)) = e.execute(&mut ctx, sql) else { panic!("{sql}") };
    let names: Vec<&str> = rs.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["v", "v", "v", "v", "v", "v", "+(v+1)", "+1", "abs(+v)"]);
}

/// The names of a statement's result columns.
fn column_names(e: &Engine, sql: &str) -> Vec<String> {
    let mut ctx = SessionCtx { db: Some("q".into()), ..Default::default() };
    let Ok(crate::types::Outcome::Rows(rs)) = e.execute(&mut ctx, sql) else { panic!("{sql}") };
    rs.fields.iter().map(|f| f.name.clone()).collect()
}

/// `first`/`last`/`last_row` with several arguments are one call per argument, each column
/// named by its argument as written and each taking its own first/last non-NULL value; inside
/// an expression they are 9840, and a `*` after the first argument is a syntax error
/// (3.3.7.5 over REST, same rows).
#[test]
fn selectors_with_several_arguments_give_one_column_per_argument() {
    let e = nullable_data();
    check(
        &e,
        &[
            ("select first(v, 1) from t", "1|1"),
            ("select last(v, f) from t", "2|4"),
            ("select last(v, 'a'), last_row(v, 1.5, true) from t", "2|a|2|1.5|true"),
            ("select first(v + 1, s) from t", "2|a"),
            ("select first(v, abs(v)) from t", "1|1"),
            ("select first(1, 2) from t", "1|2"),
            ("select first(v, f) from t where v > 100", ""),
            ("select first(v, null) from t", "error 10242"),
            ("select first(v, f) + 1 from t", "error 9840"),
            ("select first(v, *) from t", "error 9728"),
            ("select count(v, *) from t", "error 9728"),
        ],
    );
    assert_eq!(column_names(&e, "select first(v, 1) from t"), ["first(v)", "first(1)"]);
    assert_eq!(column_names(&e, "select first(v + 1, s) from t"), ["first(v + 1)", "first(s)"]);
    assert_eq!(column_names(&e, "select last(v, 'a') from t"), ["last(v)", "last('a')"]);
}

/// `interp(expr, ignore_null_values)`: with 1 a row whose value is NULL is as if absent (filled
/// like a gap, `_isfilled` true); the flag is the integer 0 or 1 (another integer 10243, any
/// other literal 10242), checked before the clauses; with 1 only one interp() may be selected
/// (9807); interp() of a literal is 10242; beside interp() only what is constant in the
/// partition may be selected (9740). Each as 3.3.7.5 answered over REST on these rows.
#[test]
fn interp_ignores_null_values_when_asked_and_selects_only_partition_constants() {
    let e = nullable_data();
    let r = "range('2024-01-01 00:00:00','2024-01-01 00:00:09') every(1s)";
    let q = |s: &str| s.replace("$R", r);
    check(
        &e,
        &[
            (&q("select interp(v,1) from t $R fill(prev) order by _irowts"), "1; 5; 5; 5; 3; 7; 7; 7; 7; 2"),
            (&q("select interp(v,0) from t $R fill(prev) order by _irowts"), "1; 5; NULL; NULL; 3; 7; 7; 7; 7; 2"),
            (&q("select interp(v,1) from t $R fill(next) order by _irowts"), "1; 5; 3; 3; 3; 7; 2; 2; 2; 2"),
            (&q("select interp(f,1) from t $R fill(linear) order by _irowts"), "1.5; 2; 2.5; 0.75; -1; 2; 2.5; 3; 3.5; 4"),
            (&q("select _isfilled, interp(v,1) from t $R fill(value, 9) order by _irowts"),
             "false|1; false|5; true|9; true|9; false|3; false|7; true|9; true|9; true|9; false|2"),
            ("select interp(v,1) from t range('2024-01-01 00:00:02') fill(null)", "NULL"),
            (&q("select interp(v,0), interp(f,0) from t $R fill(prev) order by _irowts"),
             "1|1.5; 5|NULL; NULL|2.5; NULL|2.5; 3|-1; 7|2; 7|2; 7|2; 7|2; 2|4"),
            (&q("select interp(v,1), interp(f) from t $R fill(prev)"), "error 9807"),
            (&q("select interp(v,2) from t $R fill(prev)"), "error 10243"),
            (&q("select interp(v,-1) from t $R fill(prev)"), "error 10243"),
            (&q("select interp(v,1.0) from t $R fill(prev)"), "error 10242"),
            (&q("select interp(v,'a') from t $R fill(prev)"), "error 10242"),
            (&q("select interp(v,null) from t $R fill(prev)"), "error 10242"),
            (&q("select interp(v,1,1) from t $R fill(prev)"), "error 10241"),
            (&q("select interp(1) from t $R fill(prev)"), "error 10242"),
            ("select interp(v, 3) from t", "error 10243"),
            (&q("select interp(v), v from t $R fill(prev)"), "error 9740"),
            (&q("select interp(v), abs(v) from t $R fill(prev)"), "error 9740"),
            (&q("select interp(v), ts from t $R fill(prev)"), "error 9740"),
        ],
    );
}

/// stddev, stddev_pop, spread and irate take no BOOL (10242, as 3.3.7.5 answers); only
/// count/first/last/last_row take a `*` (any other function: 9728 at the star).
#[test]
fn aggregates_refuse_bool_and_star_like_tdengine() {
    let e = setup(&[
        "create table t (ts timestamp, v int, b bool)",
        "insert into t values ('2024-01-01 00:00:00', 1, true) ('2024-01-01 00:00:01', 2, false)",
    ]);
    check(
        &e,
        &[
            ("select stddev(b) from t", "error 10242"),
            ("select stddev_pop(b) from t", "error 10242"),
            ("select spread(b) from t", "error 10242"),
            ("select irate(b) from t", "error 10242"),
            ("select spread(ts) from t", "1000"),
            ("select sum(*) from t", "error 9728"),
            ("select mode(*) from t", "error 9728"),
            ("select top(*) from t", "error 9728"),
            ("select count(*), last_row(*) from t", "2|00:00:01|2|false"),
        ],
    );
}

/// FILL(PREV|NEXT|VALUE) fills a NULL a window computed too (the window 00:00:02 holds one row,
/// v NULL), from the nearest non-NULL value; FILL(LINEAR) and FILL(NULL) leave it (3.3.7.5).
#[test]
fn fill_fills_null_results_of_windows_with_rows_too() {
    let e = nullable_data();
    let q = |fill: &str| {
        format!("select _wstart, avg(v) from t where ts >= '2024-01-01' and ts < '2024-01-01 00:00:12' interval(2s) fill({fill})")
    };
    check(
        &e,
        &[
            (&q("prev"), "00:00:00|3; 00:00:02|3; 00:00:04|5; 00:00:06|5; 00:00:08|2; 00:00:10|2"),
            (&q("next"), "00:00:00|3; 00:00:02|5; 00:00:04|5; 00:00:06|2; 00:00:08|2; 00:00:10|NULL"),
            (&q("value, 1"), "00:00:00|3; 00:00:02|1; 00:00:04|5; 00:00:06|1; 00:00:08|2; 00:00:10|1"),
            (&q("null"), "00:00:00|3; 00:00:02|NULL; 00:00:04|5; 00:00:06|NULL; 00:00:08|2; 00:00:10|NULL"),
            (
                "select _wstart, avg(v), last(s), count(v) from t where ts >= '2024-01-01' and ts < '2024-01-01 00:00:06' interval(1s) fill(value, 9, 'z', 7)",
                "00:00:00|1|a|1; 00:00:01|5|b|1; 00:00:02|9|a|0; 00:00:03|9|z|7; 00:00:04|3|z|1; 00:00:05|7|b|1",
            ),
        ],
    );
}

/// Over one table (normal or child) its tbname and tags need no grouping outside windows;
/// over a super table, a subquery or in a window they do (3.3.7.5); `from ('a')` is 9728.
#[test]
fn one_tables_name_and_tags_are_constant_over_its_rows() {
    let e = setup(&[
        "create stable st (ts timestamp, v int) tags (g int)",
        "insert into c1 using st tags (7) values ('2024-01-01 00:00:00', 1) ('2024-01-01 00:00:01', 2)",
        "create table t (ts timestamp, v int)",
        "insert into t values ('2024-01-01 00:00:00', 1) ('2024-01-01 00:00:01', 2)",
    ]);
    check(
        &e,
        &[
            ("select tbname, count(*) from t", "t|2"),
            ("select tbname, count(*) from t group by v", "t|1; t|1"),
            ("select g, tbname, count(*) from c1", "7|c1|2"),
            ("select tbname, count(*) from st", "error 9740"),
            ("select tbname, count(*) from (select tbname, v from st)", "error 9740"),
            ("select tbname, _wstart, count(*) from t interval(3s)", "error 9831"),
            ("select x from ('a')", "error 9728"),
            ("select x from ()", "error 9728"),
        ],
    );
}
