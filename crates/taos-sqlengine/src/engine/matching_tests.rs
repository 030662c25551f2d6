//! LIKE, NOT LIKE, MATCH, NMATCH and REGEXP in statements, as TDengine 3.3.7.5 answers them
//! (checked on a real server): which operands they take and with what code they refuse. The
//! pattern rules themselves are specified in `pattern.rs`.

use super::spec::{code, column_texts, ok, rows, Cells, Spec};
use crate::types::Value;

fn data() -> Spec {
    let s = Spec::new(
        Some("m"),
        &[
            "create database m",
            "create table m.t (ts timestamp, v varchar(20), n nchar(20), i int, b varbinary(8), g geometry(50))",
        ],
    );
    ok(
        &s,
        "insert into t values ('2024-01-01 00:00:00', 'abc', 'ABC', 1, 'x', 'POINT(1 1)')",
    );
    ok(
        &s,
        "insert into t values ('2024-01-01 00:00:01', 'a\\\\c', '中文', 2, 'y', 'POINT(1 2)')",
    );
    ok(
        &s,
        "insert into t values ('2024-01-01 00:00:02', 'Hello', 'hello', 3, 'z', 'POINT(1 3)')",
    );
    s
}

fn texts(s: &Spec, sql: &str) -> Vec<String> {
    column_texts(&rows(s, sql), 0, Cells::Plain)
}

#[test]
fn like_ignores_ascii_case_on_columns_tags_and_constants() {
    let s = data();
    assert_eq!(texts(&s, "select v from t where v like 'ABC'"), ["abc"]);
    assert_eq!(
        texts(&s, "select v from t where n like 'a%' order by ts"),
        ["abc"]
    );
    assert_eq!(
        texts(&s, "select v from t where v not like 'h%' order by ts"),
        ["abc", "a\\c"]
    );
    assert_eq!(texts(&s, "select v from t where v like 'a\\\\c'"), ["a\\c"]);
    assert_eq!(
        texts(&s, "select v from t where tbname like 'T' order by ts").len(),
        3
    );
    assert_eq!(
        rows(&s, "select 'abc' like 'A%'").columns[0][0],
        Value::Bool(true)
    );
    assert_eq!(texts(&s, "select v from t where n like '中_'"), ["a\\c"]);
}

#[test]
fn match_is_posix_extended_and_case_sensitive() {
    let s = data();
    assert_eq!(
        texts(&s, "select v from t where v match '^a' order by ts"),
        ["abc", "a\\c"]
    );
    assert!(texts(&s, "select v from t where v match '^A'").is_empty());
    assert_eq!(
        texts(&s, "select v from t where v nmatch 'a' order by ts"),
        ["Hello"]
    );
    assert_eq!(
        texts(&s, "select v from t where v regexp '(b|l)+'  order by ts"),
        ["abc", "Hello"]
    );
    assert_eq!(
        texts(&s, "select v from t where v not regexp 'l' order by ts"),
        ["abc", "a\\c"]
    );
    assert!(texts(&s, "select v from t where v match ''").is_empty());
    let bad = (9857, "Syntax error in regular expression".to_string());
    assert_eq!(code(&s, "select v from t where v match '(?i)abc'"), bad);
    assert_eq!(code(&s, "select v from t where v match '['"), bad);
    assert_eq!(code(&s, "select v from t where v not match 'a'").0, 9728);
}

#[test]
fn patterns_take_only_text() {
    let s = data();
    let invalid = (512, "Invalid operation".to_string());
    assert_eq!(code(&s, "select v from t where i like '1%'"), invalid);
    assert_eq!(code(&s, "select v from t where b like 'x%'"), invalid);
    assert_eq!(code(&s, "select v from t where ts like '2024%'"), invalid);
    assert_eq!(code(&s, "select v from t where i match '1'"), invalid);
    assert_eq!(code(&s, "select v from t where 1 like '1'"), invalid);
    assert_eq!(
        code(&s, "select v from t where g like '1%'"),
        (12880, "Cannot convert to specific type".into())
    );
}
