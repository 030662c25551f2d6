//! Specifications of the several-rows functions (diff, csum, mavg, derivative, statecount,
//! stateduration, tail, unique, sample, histogram), the aggregates twa, var_pop and percentile
//! with several points, and the rules for mixing them (9807): each answer as TDengine 3.3.7.5
//! gave it for the same statement on the same data (rows without ORDER BY compared sorted).

use super::tests::{check, setup};
use crate::engine::Engine;

/// `t`: six rows with NULLs in several columns; `st`: two child tables sharing an instant.
fn data() -> Engine {
    setup(&[
        "create table t (ts timestamp, v int, d double, u int unsigned, b bool, s varchar(10), ti tinyint)",
        "insert into t values ('2024-01-01 00:00:00', 1, 1.5, 1, true, 'a', 1) \
         ('2024-01-01 00:00:01', 3, null, 5, false, 'b', 2) \
         ('2024-01-01 00:00:02', null, 2.5, 2, null, 'a', null) \
         ('2024-01-01 00:00:04', 2, 0.5, 7, true, null, -3) \
         ('2024-01-01 00:00:05', 5, 4.5, 3, true, 'b', 4) \
         ('2024-01-01 00:00:07', 5, 1.5, 9, false, 'a', 5)",
        "create stable st (ts timestamp, v int, d double) tags (g int, n varchar(8))",
        "insert into c1 using st tags(1, 'x') values ('2024-01-01 00:00:00', 1, 1.0) \
         ('2024-01-01 00:00:02', 4, 2.0) ('2024-01-01 00:00:03', 2, 5.0)",
        "insert into c2 using st tags(2, 'y') values ('2024-01-01 00:00:00', 10, 1.0) \
         ('2024-01-01 00:00:01', 7, 3.0) ('2024-01-01 00:00:05', 12, null)",
        "create table e (ts timestamp, v int)",
    ])
}

#[test]
fn diff_answers_each_row_after_the_first_and_its_options_drop_negatives_and_nulls() {
    check(&data(), &[
        ("select ts, diff(v) from t order by ts", "00:00:01|2; 00:00:02|NULL; 00:00:04|-1; 00:00:05|3; 00:00:07|0"),
        // 1: negative differences are NULL; 2: NULL rows are skipped; 3: both are skipped
        ("select ts, diff(v, 1) from t order by ts", "00:00:01|2; 00:00:02|NULL; 00:00:04|NULL; 00:00:05|3; 00:00:07|0"),
        ("select ts, diff(v, 2) from t order by ts", "00:00:01|2; 00:00:04|-1; 00:00:05|3; 00:00:07|0"),
        ("select ts, diff(v, 3) from t order by ts", "00:00:01|2; 00:00:05|3; 00:00:07|0"),
        // several diffs answer row by row
        ("select ts, diff(v), diff(d, 1) from t order by ts",
         "00:00:01|2|NULL; 00:00:02|NULL|1; 00:00:04|-1|NULL; 00:00:05|3|4; 00:00:07|0|NULL"),
        ("select diff(v) + 1, v, s from t order by ts", "3|3|b; NULL|NULL|a; 0|2|NULL; 4|5|b; 1|5|a"),
        ("select diff(v) from e", ""),
        ("select diff(v, 4) from t", "error 10243"),
        ("select diff(v, d) from t", "error 10242"),
        ("select diff(s) from t", "error 10242"),
    ]);
}

#[test]
fn diff_types_follow_the_argument() {
    check(&data(), &[
        ("select diff(u), diff(b), diff(ts) from t order by ts",
         "4|-1|1000; -3|NULL|1000; 5|1|2000; -4|0|1000; 6|-1|2000"),
    ]);
}

#[test]
fn csum_mavg_and_derivative_skip_null_rows() {
    check(&data(), &[
        ("select ts, csum(v) from t order by ts", "00:00:00|1; 00:00:01|4; 00:00:04|6; 00:00:05|11; 00:00:07|16"),
        ("select csum(u) from t order by ts", "1; 6; 8; 15; 18; 27"),
        ("select csum(ti) from t order by ts", "1; 3; 0; 4; 9"),
        // TDengine answers garbage in the shorter column (a timestamp as a sum): refused here
        ("select csum(ti), csum(u) from t", "error 9728"),
        // several csums pair their answers by position
        ("select csum(v), csum(d) from t order by ts", "1|1.5; 4|4; 6|4.5; 11|9; 16|10.5"),
        ("select ts, mavg(v, 2) from t order by ts", "00:00:01|2; 00:00:04|2.5; 00:00:05|3.5; 00:00:07|5"),
        ("select mavg(v, 1000) from t", ""),
        ("select mavg(v, 0) from t", "error 10257"),
        ("select mavg(v, 1001) from t", "error 10257"),
        ("select mavg(s, 2) from t", "error 10242"),
        ("select ts, derivative(v, 1s, 0) from t order by ts",
         "00:00:01|2; 00:00:04|-0.3333333333333333; 00:00:05|3; 00:00:07|0"),
        ("select ts, derivative(v, 1s, 1) from t order by ts", "00:00:01|2; 00:00:05|3; 00:00:07|0"),
        ("select derivative(v, 500a, 0) from t order by ts", "1; -0.16666666666666666; 1.5; 0"),
        ("select derivative(v, 10, 0) from t order by ts", "0.02; -0.0033333333333333335; 0.03; 0"),
        ("select derivative(v, 0s, 0) from t", "error 10257"),
        ("select derivative(v, 1s, 2) from t", "error 10243"),
        ("select derivative(v, 1s) from t", "error 10241"),
    ]);
}

#[test]
fn statecount_and_stateduration_answer_every_row() {
    check(&data(), &[
        ("select statecount(v, 'gt', 1) from t order by ts", "-1; 1; NULL; 2; 3; 4"),
        ("select statecount(d, 'EQ', 1.5) from t order by ts", "1; NULL; -1; -1; -1; 1"),
        ("select stateduration(v, 'GE', 2) from t order by ts", "-1; 0; NULL; 3000; 4000; 6000"),
        ("select stateduration(v, 'GE', 2, 1s) from t order by ts", "-1; 0; NULL; 3; 4; 6"),
        ("select stateduration(v, 'GE', 2, 1m) from t order by ts", "-1; 0; NULL; 0; 0; 0"),
        ("select statecount(v, 'XX', 1) from t", "error 10243"),
        ("select statecount(b, 'EQ', 1) from t", "error 10242"),
        ("select statecount(v, 'GT', v) from t", "error 10242"),
        ("select statecount(v, 'GT') from t", "error 10241"),
        ("select stateduration(v, 'NE', 5, 10) from t", "error 10250"),
        ("select stateduration(v, 'GE', 2, 1b) from t", "error 10251"),
    ]);
}

#[test]
fn tail_unique_and_sample_pick_rows() {
    check(&data(), &[
        // the last rows, newest first, NULLs included
        ("select ts, tail(v, 3) from t", "00:00:04|2; 00:00:05|5; 00:00:07|5"),
        ("select tail(v, 3, 1) from t", "2; 5; NULL"),
        ("select tail(v, 100, 100) from t", ""),
        ("select tail(v, 0) from t", "error 10257"),
        ("select tail(v, 101) from t", "error 10257"),
        // each value once, at its first row
        ("select ts, unique(v) from t order by ts", "00:00:00|1; 00:00:01|3; 00:00:02|NULL; 00:00:04|2; 00:00:05|5"),
        // k at least the rows: every non-NULL row
        ("select ts, sample(v, 10) from t order by ts", "00:00:00|1; 00:00:01|3; 00:00:04|2; 00:00:05|5; 00:00:07|5"),
        ("select sample(v, 0) from t", "error 10257"),
        ("select sample(v, 1001) from t", "error 10257"),
    ]);
}

#[test]
fn histogram_counts_values_in_lower_exclusive_bins() {
    check(&data(), &[
        ("select histogram(v, 'user_input', '[1,3,5]', 0) from t",
         r#"{"lower_bin":1, "upper_bin":3, "count":2}; {"lower_bin":3, "upper_bin":5, "count":2}"#),
        ("select histogram(d, 'user_input', '[0,3,5]', 1) from t",
         r#"{"lower_bin":0, "upper_bin":3, "count":0.800000}; {"lower_bin":3, "upper_bin":5, "count":0.200000}"#),
        (r#"select histogram(v, 'linear_bin', '{"start": 0.0, "width": 2.0, "count": 3, "infinity": true}', 0) from t order by 1"#,
         r#"{"lower_bin":-inf, "upper_bin":0, "count":0}; {"lower_bin":0, "upper_bin":2, "count":2}; {"lower_bin":2, "upper_bin":4, "count":1}; {"lower_bin":4, "upper_bin":6, "count":2}; {"lower_bin":6, "upper_bin":inf, "count":0}"#),
        ("select histogram(v, 'user_input', '[3,1]', 0) from t", "error 10240"),
        ("select histogram(v, 'user_input', 'abc', 0) from t", "error 10240"),
        ("select histogram(v, 'user_input', '[1,3]', 2) from t", "error 10243"),
        ("select histogram(v, 'xx', '[1,3]', 0) from t", "error 10243"),
        ("select ts, histogram(v, 'user_input', '[1,3]', 0) from t", "error 9740"),
    ]);
}

#[test]
fn twa_var_pop_and_percentile_points() {
    check(&data(), &[
        ("select twa(v), twa(d), irate(v), var_pop(v), var_pop(d) from t",
         "3.2857142857142856|2.2142857142857144|0|2.5599999999999987|1.8399999999999999"),
        ("select twa(v), var_pop(v) from e", ""),
        ("select percentile(v, 10, 50, 90) from t", "[1.400000, 3.000000, 5.000000]"),
        ("select percentile(v, 10, 50, 90, 20, 30, 40, 50, 60, 70, 80, 90) from t", "error 10241"),
        ("select percentile(v, 101) from t", "error 10257"),
        ("select percentile(v, 50) from st", "error 9823"),
        ("select percentile(v, 50) from c1", "2"),
    ]);
}

#[test]
fn time_line_functions_on_a_super_table_need_one_row_per_instant() {
    check(&data(), &[
        ("select diff(v) from st", "error 10245"),
        ("select csum(v) from st", "error 10245"),
        ("select twa(v) from st", "error 10245"),
        ("select tbname, derivative(v, 1s, 0) from st partition by tbname order by tbname", "c1|1.5; c1|-2; c2|-3; c2|1.25"),
        ("select twa(v), tbname from st partition by tbname order by tbname", "2.6666666666666665|c1; 9.3|c2"),
        ("select n, g, diff(v) from st partition by tbname order by tbname", "x|1|3; x|1|-2; y|2|-3; y|2|5"),
        ("select irate(v) from st", "5"),
    ]);
}

#[test]
fn several_rows_functions_mix_only_as_tdengine_allows() {
    check(&data(), &[
        ("select top(v, 2), bottom(v, 1) from t", "error 9807"),
        ("select top(v, 2), count(*) from t", "error 9807"),
        ("select count(*), top(v, 2) from t", "error 9807"),
        ("select csum(v), diff(v) from t", "error 9807"),
        ("select diff(v), top(v, 2) from t", "error 9807"),
        ("select derivative(v, 1s, 1), diff(v) from t", "error 9807"),
        ("select ts, mavg(v, 2), mavg(d, 3) from t", "error 9807"),
        ("select tail(s, 2), tail(b, 2) from t", "error 9807"),
        ("select histogram(v, 'user_input', '[1,3]', 0), count(*) from t", "error 9807"),
        ("select ts from t where diff(v) > 0", "error 9807"),
        ("select max(v) from t order by diff(v)", "error 9807"),
        ("select diff(v) from t group by s", "error 9807"),
        ("select diff(v) from t interval(2s)", "error 9807"),
        ("select unique(v) from t interval(4s)", "error 9807"),
        ("select diff(v) from t having diff(v) > 0", "error 9738"),
        ("select ts, top(v, 2), s from t order by ts", "00:00:05|5|b; 00:00:07|5|a"),
    ]);
}

#[test]
fn multi_rows_aggregates_answer_per_window_and_per_group() {
    check(&data(), &[
        ("select _wstart, top(v, 2) from t interval(4s) order by 1, 2",
         "00:00:00|1; 00:00:00|3; 00:00:04|5; 00:00:04|5"),
        ("select _wstart, bottom(v, 1), ts from t interval(3s)", "00:00:00|1|00:00:00; 00:00:03|2|00:00:04; 00:00:06|5|00:00:07"),
        ("select _wstart, histogram(v, 'user_input', '[1,3,5]', 0) from t interval(4s) order by 1, 2",
         r#"00:00:00|{"lower_bin":1, "upper_bin":3, "count":1}; 00:00:00|{"lower_bin":3, "upper_bin":5, "count":0}; 00:00:04|{"lower_bin":1, "upper_bin":3, "count":1}; 00:00:04|{"lower_bin":3, "upper_bin":5, "count":2}"#),
        // a group whose values are all NULL answers one NULL row
        ("select b, top(v, 2) from t group by b order by b", "NULL|NULL; false|3; false|5; true|2; true|5"),
        ("select top(v, 1) from e", ""),
    ]);
}

#[test]
fn rowts_is_the_rows_timestamp() {
    check(&data(), &[
        ("select diff(v), _rowts from t order by ts", "2|00:00:01; NULL|00:00:02; -1|00:00:04; 3|00:00:05; 0|00:00:07"),
        ("select top(v, 2), _rowts from t", "5|00:00:05; 5|00:00:07"),
        ("select max(v), _rowts from t", "5|00:00:05"),
        ("select count(*), _rowts from t", "error 9740"),
        // `_c0` is the same pseudo column (3.3.7.5; it was 9730 here)
        ("select max(v), _c0 from t", "5|00:00:05"),
        ("select v from t where _c0 > '2024-01-01 00:00:04' order by _c0", "5; 5"),
    ]);
}

#[test]
fn nesting_aggregates_is_9767() {
    check(&data(), &[
        ("select max(diff(v)) from t", "error 9767"),
        ("select max(min(v)) from t", "error 9767"),
        ("select cols(last(v), count(*)) from t", "error 9767"),
    ]);
}

#[test]
fn cols_reads_the_row_a_selector_picked() {
    check(&data(), &[
        ("select cols(last(v), ts) from t", "00:00:07"),
        ("select cols(first(v), ts), cols(last(v), ts) from t", "00:00:00|00:00:07"),
        ("select cols(max(v), ts), max(v) from t", "00:00:05|5"),
        ("select cols(last_row(v), ts, v) from t", "00:00:07|5"),
        ("select b, cols(last(v), ts) from t group by b order by b", "NULL|NULL; false|00:00:07; true|00:00:05"),
        ("select _wstart, cols(max(v), ts) from t interval(4s)", "00:00:00|00:00:01; 00:00:04|00:00:05"),
        ("select cols(mode(s), ts) from t", "00:00:07"),
        ("select cols(max(d), d) from t where ts < 0", ""),
        ("select cols(count(v), ts) from t", "error 9866"),
        ("select cols(top(v, 2), ts) from t", "error 9866"),
        ("select cols(v, ts) from t", "error 9728"),
    ]);
}

#[test]
fn top_bottom_sample_and_histogram_refuse_any_fill() {
    // 3.3.7.5: FILL's time range is checked first (9787), then these functions refuse every
    // FILL mode, `none` too (9815 naming the function)
    let e = data();
    let range = "where ts >= '2024-01-01 00:00:00' and ts < '2024-01-01 00:00:08'";
    check(&e, &[
        ("select _wstart, top(v, 2) from t interval(4s) fill(null)", "error 9787"),
        ("select _wstart, top(v, 1) from t interval(4s) fill(linear)", "error 9787"),
        ("select _wstart, top(v, 2) from t interval(4s) fill(none)", "error 9815"),
        ("select _wstart, count(*), top(v, 1) from t interval(4s) fill(none)", "error 9815"),
        (&format!("select _wstart, bottom(v, 1) from t {range} interval(4s) fill(prev)"), "error 9815"),
        (&format!("select _wstart, sample(v, 1) from t {range} interval(4s) fill(value, 0)"), "error 9815"),
        ("select _wstart, histogram(v, 'user_input', '[1,3,5]', 0) from t interval(4s) fill(none)", "error 9815"),
    ]);
    let mut ctx = crate::session::SessionCtx::with_db(Some("q".into()));
    let refusal = e.execute(&mut ctx, "select _wstart, top(v, 2) from t interval(4s) fill(none)").unwrap_err();
    assert_eq!(refusal.message, "top function is not supported in fill query");
}

/// `cols()` of expressions, each answer (name, type, values) as TDengine 3.3.7.5 gave it on the
/// same four rows: a column is named as the column, anything else as written (lower-cased
/// outside quotes, spacing kept, ≤ 64 bytes, from inside a leading backquote), an alias inside
/// names its argument, the item's alias only a single argument (else 9867), `*` is every column.
#[test]
fn cols_of_expressions_are_named_as_written_and_read_the_selected_row() {
    use crate::engine::spec::{code, rows, Spec};
    use crate::types::DataType;
    let s = Spec::new(Some("c"), &[
        "create database c",
        "create table c.t (ts timestamp, v int, f double, s varchar(10))",
        "insert into c.t values ('2024-01-01 00:00:00', 1, 1.5, 'a') ('2024-01-01 00:00:01', 5, null, 'bb') \
         ('2024-01-01 00:00:02', null, 2.5, null) ('2024-01-01 00:00:03', 3, -1, 'ccc')",
    ]);
    let long = "v + 1 + 2 + 3 + 4 + 5 + 6 + 7 + 8 + 9 + 10 + 11 + 12 + 13 + 14 + 15 + 16 + 17 + 18 + 19";
    let cases: &[(&str, &[(&str, DataType)], &str)] = &[
        ("select cols(max(v), v+1) from t", &[("v+1", DataType::Double)], "6"),
        ("select cols(max(v), V   +   1) from t", &[("v   +   1", DataType::Double)], "6"),
        ("select cols(max(v), v+1, f*2) from t", &[("v+1", DataType::Double), ("f*2", DataType::Double)], "6|NULL"),
        ("select cols(max(v), v+1 as x, s) from t", &[("x", DataType::Double), ("s", DataType::VarChar)], "6|bb"),
        ("select cols(max(v), v x, f y) from t", &[("x", DataType::Int), ("y", DataType::Double)], "5|NULL"),
        ("select cols(max(v), v+1) as y from t", &[("y", DataType::Double)], "6"),
        ("select cols(last(v), concat(s, 'z')) from t", &[("concat(s, 'z')", DataType::VarChar)], "cccz"),
        ("select cols(min(v), abs(f)) from t", &[("abs(f)", DataType::Double)], "1.5"),
        ("select cols(max(v), 1) from t", &[("1", DataType::BigInt)], "1"),
        ("select cols(max(v), 'abc') from t", &[("'abc'", DataType::VarChar)], "abc"),
        ("select cols(max(v), (v)) from t", &[("v", DataType::Int)], "5"),
        ("select cols(max(v), (v+1)) from t", &[("(v+1)", DataType::Double)], "6"),
        ("select cols(max(v), `v`+1) from t", &[("v`+1", DataType::Double)], "6"),
        ("select cols(max(v), t.v+1) from t", &[("t.v+1", DataType::Double)], "6"),
        ("select cols(max(v), t.v) from t", &[("v", DataType::Int)], "5"),
        ("select cols(max(v), cast(v as bigint)) from t", &[("cast(v as bigint)", DataType::BigInt)], "5"),
        ("select cols(max(f), v+1) from t", &[("v+1", DataType::Double)], "NULL"),
        ("select cols(max(v), -v) from t", &[("-v", DataType::Double)], "-5"),
        ("select cols(first(v), v, v+1 q) from t", &[("v", DataType::Int), ("q", DataType::Double)], "1|2"),
        ("select cols(max(v), v as a, v+1 as a) from t", &[("a", DataType::Int), ("a", DataType::Double)], "5|6"),
        ("select cols(max(v), v+1) from t where v is null", &[("v+1", DataType::Double)], "NULL"),
        ("select cols(max(v), v + 1) from t interval(2s)", &[("v + 1", DataType::Double)], "6; 4"),
        ("select cols(mode(v), v*2) from t", &[("v*2", DataType::Double)], "10"),
        ("select cols(max(v), ts + 1s) from t", &[("ts + 1s", DataType::Timestamp)], "1704067202000"),
        (
            "select cols(max(v), *) as x from t",
            &[("ts", DataType::Timestamp), ("v", DataType::Int), ("f", DataType::Double), ("s", DataType::VarChar)],
            "1704067201000|5|NULL|bb",
        ),
        (&format!("select cols(max(v), {long}) from t"), &[(&long[..64], DataType::Double)], "195"),
    ];
    for (sql, fields, values) in cases {
        let rs = rows(&s, sql);
        let got: Vec<(&str, DataType)> = rs.fields.iter().map(|f| (f.name.as_str(), f.ty)).collect();
        assert_eq!(got, *fields, "{sql}");
        let text = crate::engine::spec::grid(&rs, crate::engine::spec::Cells::Plain)
            .into_iter()
            .map(|r| r.join("|"))
            .collect::<Vec<_>>()
            .join("; ");
        assert_eq!(text, *values, "{sql}");
    }
    for (sql, want) in [
        ("select cols(max(v), v+1 x) as y from t", 9867),
        ("select cols(max(v), v+1, f) as y from t", 9867),
        ("select cols(max(v), max(v)+1) from t", 9767),
        ("select cols(max(v)) from t", 9728),
        ("select cols(max(v), t.*) from t", 9728),
        ("select cols(max(v), v+?) from t", 9728),
        ("select cols(max(v), v > 2) from t", 9728),
    ] {
        assert_eq!(code(&s, sql).0, want, "{sql}");
    }
    assert_eq!(code(&s, "select cols(max(v)) from t").1, "syntax error near \") from t\"");
}
