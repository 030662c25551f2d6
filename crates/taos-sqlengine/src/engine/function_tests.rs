//! Scalar functions' result types and values where 3.3.7.5 answered otherwise than a first
//! reading of its documentation suggests (each statement sent to it over REST with these rows).

use crate::engine::spec::{answer_text, rows, Cells, Spec};

fn spec() -> Spec {
    Spec::new(
        Some("f"),
        &[
            "create database f",
            "create table f.t (ts timestamp, v int, u int unsigned, f double, b bool, s varchar(10), n nchar(4))",
            "insert into f.t values ('2024-01-01 00:00:00', 1, 1, 1.5, true, 'a', 'x') \
             ('2024-01-01 00:00:01.123', -5, 0, null, false, null, null)",
        ],
    )
}

fn types(s: &Spec, sql: &str) -> Vec<String> {
    rows(s, sql).fields.iter().map(|f| f.type_name()).collect()
}

fn answer(s: &Spec, sql: &str) -> String {
    answer_text(sql, crate::engine::spec::exec(s, sql).map_err(|(c, m)| crate::types::TdError::new(c, m)), Cells::Plain)
}

/// abs/ceil/floor/round/sign of a bare NULL are BIGINT NULLs; sign keeps its argument's type
/// (sign(INT) INT, sign(INT UNSIGNED) INT UNSIGNED) like abs.
#[test]
fn math_of_null_is_a_bigint_and_sign_keeps_the_type() {
    let s = spec();
    assert_eq!(
        types(&s, "select abs(null), ceil(null), floor(null), round(null), round(null, 1), sign(null), sqrt(null) from t"),
        ["BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "BIGINT", "DOUBLE"]
    );
    assert_eq!(types(&s, "select sign(v), sign(u), sign(f) from t"), ["INT", "INT UNSIGNED", "DOUBLE"]);
    assert_eq!(answer(&s, "select sign(v), sign(u) from t"), "1|1; -1|0");
}

/// week's mode may come from an integer column; a literal mode must be 0..7 (10243).
#[test]
fn week_reads_its_mode_from_a_column() {
    let s = spec();
    assert_eq!(answer(&s, "select week(ts, v) from t where v = 1"), "1");
    assert_eq!(answer(&s, "select week(ts, 8) from t"), "error 10243");
    assert_eq!(answer(&s, "select week(ts, 1.5) from t"), "error 10242");
}

/// crc32 hashes a BOOL as `1`/`0` and a TIMESTAMP as its local time to the second; crc32 and
/// to_base64 read an NCHAR as its UCS-4LE storage (3.3.7.5's values).
#[test]
fn crc32_and_to_base64_hash_what_tdengine_stores() {
    let s = spec();
    assert_eq!(answer(&s, "select crc32(b), crc32(true), crc32(false) from t where v = 1"), "2212294583|2212294583|4108050209");
    // crc32('2024-01-01 00:00:00') and crc32('2024-01-01 00:00:01'): the milliseconds drop
    assert_eq!(answer(&s, "select crc32(ts) from t"), "2274911861; 4036974307");
    assert_eq!(answer(&s, "select crc32(n), to_base64(n), to_base64(s) from t where v = 1"), "2412730223|eAAAAA==|YQ==");
}

/// CONTAINS takes a JSON tag only: of any other column 512 `Invalid operation`.
#[test]
fn contains_of_a_non_json_column_is_an_invalid_operation() {
    let s = spec();
    for sql in ["select * from t where s contains 'a'", "select * from t where v contains 'a'", "select * from t where b contains 'a'"] {
        assert_eq!(answer(&s, sql), "error 512", "{sql}");
    }
}
