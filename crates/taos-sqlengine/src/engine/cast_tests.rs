//! CAST as TDengine 3.3.7.5 converts (its `castFunction`: the C library's string readers and
//! x86-64's conversions), on constants and on a table of every source type; and the scalar
//! rules next to it: unary minus on constants, degrees/radians/rand, columns beside aggregates.

use crate::engine::spec::{answer_text, cell, Cells};
use crate::engine::{Engine, EngineConfig};
use crate::session::SessionCtx;
use crate::types::Outcome;

fn engine() -> (Engine, SessionCtx) {
    let e = Engine::new(EngineConfig::new("3.3.7.5"));
    let mut ctx = SessionCtx::default();
    for s in [
        "create database c",
        "use c",
        "create table t (ts timestamp, i int, d double, s varchar(32), n nchar(32), b bool)",
        "insert into t values ('2024-01-01 00:00:00', 300, 1.5, '123', '2024-03-10 12:34:56', true) \
         ('2024-01-01 00:00:01', -1, -2.5, 'abc', 'x', false) \
         ('2024-01-01 00:00:02', null, null, null, null, null)",
    ] {
        e.execute(&mut ctx, s).unwrap_or_else(|err| panic!("{s}: {err:?}"));
    }
    (e, ctx)
}

/// The rows, cells typed (strings quoted), or `error <code>`.
fn answer(sql: &str) -> String {
    let (e, mut ctx) = engine();
    answer_text(sql, e.execute(&mut ctx, sql), Cells::Typed)
}

#[test]
fn integers_wrap_to_the_target_width() {
    assert_eq!(
        answer("select cast(128 as tinyint), cast(-129 as tinyint), cast(65536 as smallint unsigned), cast(-1 as int unsigned)"),
        "-128|127|0|4294967295"
    );
    assert_eq!(
        answer("select cast(i as tinyint), cast(i as tinyint unsigned) from t order by ts"),
        "44|44; -1|255; NULL|NULL"
    );
}

#[test]
fn doubles_out_of_range_become_the_integer_indefinite_value() {
    // x86-64's cvttsd2si: 32 bits for (u)int8/16 and int32, 64 bits for int64/uint32
    assert_eq!(
        answer("select cast(1e20 as bigint), cast(1e10 as int), cast(1e10 as tinyint), cast(1e10 as int unsigned), cast(-1e20 as bigint)"),
        "-9223372036854775808|-2147483648|0|1410065408|-9223372036854775808"
    );
    // a negative double to BIGINT UNSIGNED is the signed conversion's bits
    assert_eq!(
        answer("select cast(d as bigint unsigned), cast(d as int), cast(d as timestamp) from t order by ts"),
        "1|1|1; 18446744073709551614|-2|-2; NULL|NULL|NULL"
    );
    // checked on 3.3.7.5
    assert_eq!(
        answer("select cast(1e10 as smallint unsigned), cast(1e20 as bigint unsigned), cast(1e19 as bigint unsigned), cast(-1.5 as int unsigned), cast(-1.5 as tinyint unsigned)"),
        "0|0|10000000000000000000|4294967295|255"
    );
}

#[test]
fn strings_read_as_the_c_library_reads_them() {
    assert_eq!(
        answer("select cast('18446744073709551616' as bigint unsigned), cast('9223372036854775808' as bigint), cast('-1' as bigint unsigned)"),
        "18446744073709551615|9223372036854775807|18446744073709551615"
    );
    // strtol then narrowed: '300' wraps, hex is not read, blanks lead
    assert_eq!(
        answer("select cast('300' as tinyint), cast('0x1F' as int), cast('  42  ' as int), cast('99999999999' as int), cast('-1' as tinyint unsigned)"),
        "44|0|42|1215752191|255"
    );
    // BOOL goes through TINYINT: '256' is 0, false; words are 0
    assert_eq!(answer("select cast('256' as bool), cast('2' as bool), cast('true' as bool)"), "false|true|false");
    assert_eq!(answer("select cast(s as double), cast(s as float) from t order by ts"), "123|123; 0|0; NULL|NULL");
}

#[test]
fn a_string_that_is_no_timestamp_casts_to_zero() {
    assert_eq!(
        answer("select cast('not a date' as timestamp), cast('2024-02-30' as timestamp), cast('1704067200000' as timestamp)"),
        "0|0|0"
    );
    assert_eq!(
        answer("select cast(n as timestamp) from t order by ts"),
        "1710074096000; 0; NULL"
    );
}

#[test]
fn numbers_become_text_as_printf_g_prints_them() {
    assert_eq!(
        answer("select cast(1e20 as varchar(30)), cast(0.1 + 0.2 as varchar(30)), cast(cast(1.5 as float) as nchar(10)), cast(1234567890123456789 as varchar(30))"),
        "'1e+20'|'0.3'|'1.5'|'1234567890123456789'"
    );
    assert_eq!(answer("select cast(0.0001 as varchar(10)), cast(0.00001 as varchar(10))"), "'0.0001'|'1e-05'");
}

#[test]
fn decimal_casts_round_doubles_and_overflow_with_317() {
    assert_eq!(
        answer("select cast(i as decimal(10,2)), cast(d as decimal(38,10)) from t order by ts"),
        "dec 30000|dec 15000000000; dec -100|dec -25000000000; NULL|NULL"
    );
    // 3.3.7.5 reads a string's length minus two bytes: '123' is read as '1'
    assert_eq!(answer("select cast(s as decimal(5,2)) from t order by ts"), "dec 100; dec 0; NULL");
    // the number prefix of what is read; exactly two bytes read nothing: 306 (checked on
    // 3.3.7.5: '3.14159' → 3.141, '-5.55' → -5.0, ' 12 ' → 0.0, '1e5xx' → 100000.0, 'ab' → 306)
    assert_eq!(
        answer("select cast('3.14159' as decimal(10,3)), cast('-5.55' as decimal(10,1)), cast(' 12 ' as decimal(10,1)), cast('1e5xx' as decimal(10,1)), cast('' as decimal(10,1))"),
        "dec 3141|dec -50|dec 0|dec 1000000|dec 0"
    );
    assert_eq!(answer("select cast('ab' as decimal(10,1))"), "error 306");
    // a float literal is NULL; too many integer digits is an error, for a column too
    assert_eq!(answer("select cast(1.25 as decimal(5,1))"), "NULL");
    assert_eq!(answer("select cast(i as decimal(3,1)) from t"), "error 317");
    assert_eq!(answer("select cast(d as decimal(1,1)) from t"), "error 317");
}

#[test]
fn a_decimal_cast_to_text_keeps_its_scale_except_zero_which_is_0() {
    // checked on 3.3.7.5 for columns and constants, VARCHAR and NCHAR
    assert_eq!(
        answer("select cast(cast(0 as decimal(10,2)) as varchar(30)), cast(cast(0 as decimal(30,5)) as nchar(30)), cast(cast(10 as decimal(10,2)) as varchar(30)), cast(cast(-1 as decimal(10,2)) as nchar(30))"),
        "'0'|'0'|'10.00'|'-1.00'"
    );
    assert_eq!(answer("select cast(cast(i as decimal(10,2)) as varchar(30)) from t order by ts"), "'300.00'; '-1.00'; NULL");
    assert_eq!(answer("select cast(cast(0 as decimal(10,2)) as varchar(1)), cast(cast(1 as decimal(10,2)) as varchar(3))"), "'0'|'1.0'");
}

#[test]
fn geometry_casts_keep_the_text_bytes() {
    assert_eq!(
        answer("select cast(i as geometry(20)), cast('POINT(1 2)' as geometry(32)) from t order by ts"),
        "x333030|x504f494e542831203229; x2d31|x504f494e542831203229; NULL|x504f494e542831203229"
    );
    assert_eq!(answer("select cast(cast(1 as decimal(3,0)) as geometry(20))"), "error 10242");
}

#[test]
fn a_column_beside_aggregates_needs_one_selector_alone() {
    // checked on 3.3.7.5: max carries s along; with sum or count beside it there is no row
    assert_eq!(answer("select max(i), s from t"), "300|'123'");
    assert_eq!(answer("select max(i), s, count(*) from t"), "error 9740");
    assert_eq!(answer("select last(i), s, sum(i) from t"), "error 9740");
    assert_eq!(answer("select sum(length(s)), max(i), length(s) + 1 from t"), "error 9740");
}

#[test]
fn minus_rewrites_the_text_of_string_and_bool_constants() {
    // checked on 3.3.7.5: the constant keeps its length (cut, or padded with a zero byte)
    assert_eq!(
        answer("select -'x', -'12abc', -'-5', -(-'5'), -true, -(-true), -'abc' = '-ab'"),
        "'-'|'-12ab'|'5\u{0}'|'5'|false|true|true"
    );
    assert_eq!(answer("select -s from t"), "error 512");
    assert_eq!(answer("select -b from t order by ts"), "-1; -0; NULL");
    assert_eq!(answer("select -'5' * 2"), "error 9728");
}

#[test]
fn degrees_radians_and_rand() {
    assert_eq!(answer("select degrees(1), radians(180), degrees(null)"), "57.29577951308232|3.141592653589793|NULL");
    assert_eq!(answer("select degrees(true)"), "error 10242");
    assert_eq!(answer("select radians('x')"), "error 10242");
    // glibc's generator, seeded once per call and query (checked on 3.3.7.5)
    assert_eq!(answer("select rand(1), rand(1), rand(null)"), "0.8401877171547095|0.8401877171547095|0.39438292681909304");
    assert_eq!(answer("select rand(1.5)"), "error 10242");
}

/// The column types of an answer, as `TYPE(len)`.
fn types(sql: &str) -> String {
    let (e, mut ctx) = engine();
    for s in [
        "create table ty (ts timestamp, i8 tinyint, i16 smallint, i32 int, i64 bigint, u8 tinyint unsigned, u32 int unsigned, u64 bigint unsigned, f float, d double, b bool, v varchar(10), n nchar(5))",
        "insert into ty values ('2024-01-01', -8, 16, 32, 64, 8, 32, 64, 1.5, 2.5, true, 'abc', 'xy')",
    ] {
        e.execute(&mut ctx, s).unwrap_or_else(|err| panic!("{s}: {err:?}"));
    }
    match e.execute(&mut ctx, sql) {
        Ok(Outcome::Rows(rs)) => {
            let ts: Vec<String> = rs.fields.iter().map(|f| format!("{}({})", f.type_name(), f.len)).collect();
            let row: Vec<String> = rs.columns.iter().map(|c| cell(&c[0], Cells::Typed)).collect();
            format!("{} = {}", ts.join(" "), row.join("|"))
        }
        Ok(other) => panic!("{sql}: {other:?}"),
        Err(err) => format!("error {}", err.code),
    }
}

#[test]
fn greatest_and_least_convert_their_arguments_as_tdengine_does() {
    // checked on 3.3.7.5 (never with a bare NULL on table data: that kills its adapter)
    assert_eq!(
        types("select greatest(i8, i16), greatest(i8, u8), greatest(i32, u32), greatest(i64, u64), greatest(i8, f), greatest(f, d), greatest(i32, b), greatest(ts, i64), greatest(u8, u32) from ty"),
        "SMALLINT(2) SMALLINT(2) BIGINT(8) DOUBLE(8) FLOAT(4) DOUBLE(8) INT(4) TIMESTAMP(8) INT UNSIGNED(4) = 16|8|32|64|1.5|2.5|32|1704067200000|32"
    );
    assert_eq!(
        types("select greatest(v, n), least(v, 'abd'), greatest(b, i8), least(u64, i8), greatest(1, 2), greatest(1, 2.0), greatest(1, v) from ty"),
        "VARCHAR(20) VARCHAR(10) TINYINT(1) DOUBLE(8) BIGINT(8) DOUBLE(8) VARCHAR(23) = 'xy'|'abc'|1|-8|2|2|'abc'"
    );
    assert_eq!(types("select greatest(1, null), least(null, 2.5)"), "VARCHAR(0) VARCHAR(0) = NULL|NULL");
    assert_eq!(types("select greatest(d, v) from ty"), "error 9728");
}
