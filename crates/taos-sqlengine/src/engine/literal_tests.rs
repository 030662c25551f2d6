//! Literal forms as TDengine 3.3.7.5 reads them, where they are read (every answer below was
//! checked against a real server): the grammar's expressions take decimal integers, floats,
//! strings, booleans, NULL and durations, never `0x…`/`0b…`; INSERT values and tag values take
//! those too, converted by the INSERT parser's own rules.

use super::spec::{code, ok, rows, Spec};
use crate::types::{DataType, Value};

fn table() -> Spec {
    Spec::new(
        Some("lit"),
        &[
            "create database lit",
            "create table lit.t (ts timestamp, i int, u bigint unsigned, d double, f float, b bool, s varchar(8), ti tinyint)",
        ],
    )
}

fn syntax(near: &str) -> (u16, String) {
    (9728, format!("syntax error near \"{}\"", near))
}

fn unrecognized(rest: &str) -> (u16, String) {
    (9728, format!("unrecognized token: \"{}\"", rest))
}

fn insert_err(near: &str, why: &str) -> (u16, String) {
    (534, format!("syntax error near '{}' ({})", near, why))
}

#[test]
fn expressions_refuse_hex_and_binary_literals() {
    let s = table();
    assert_eq!(code(&s, "select 0x10"), syntax("0x10"));
    assert_eq!(code(&s, "select -0b11"), syntax("0b11"));
    assert_eq!(code(&s, "select i from t where i = 0x1"), syntax("0x1"));
    assert_eq!(
        code(&s, "select i from t where i in (0x1, 2)"),
        syntax("0x1, 2)")
    );
}

#[test]
fn a_number_ends_where_its_form_ends() {
    let s = table();
    // `1e` is 1 named e; `1_000` is 1 named _000
    let r = rows(&s, "select 1e, 1.5e, 1_000");
    let names: Vec<&str> = r.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["e", "e", "_000"]);
    assert_eq!(r.columns[0][0], Value::Int(1));
    assert_eq!(r.columns[1][0], Value::Double(1.5));
    assert_eq!(code(&s, "select 0x"), unrecognized("0x"));
    assert_eq!(code(&s, "select 0b2"), unrecognized("0b2"));
    assert_eq!(code(&s, "select 1.2.3"), unrecognized("1.2.3"));
    assert_eq!(code(&s, "select 1 ^ 1"), unrecognized("^ 1"));
    assert_eq!(code(&s, "select 1.2.3.4"), syntax("1.2.3.4"));
    assert_eq!(code(&s, "select 1..2"), syntax(".2"));
    assert_eq!(code(&s, "select 1 << 2"), syntax("<< 2"));
    assert_eq!(code(&s, "select ~1"), syntax("~1"));
    assert_eq!(code(&s, "create database 1lit_bad"), syntax("1lit_bad"));
}

#[test]
fn integer_constants_saturate_as_bigint_or_unsigned() {
    let s = table();
    let r = rows(&s, "select 9223372036854775808, -9223372036854775809, 123456789012345678901234567890, - - 1, -(9223372036854775808)");
    let types: Vec<DataType> = r.fields.iter().map(|f| f.ty).collect();
    assert_eq!(
        types,
        [
            DataType::UBigInt,
            DataType::BigInt,
            DataType::UBigInt,
            DataType::BigInt,
            DataType::BigInt
        ]
    );
    assert_eq!(r.columns[1][0], Value::Int(i64::MIN));
    assert_eq!(r.columns[2][0], Value::UInt(u64::MAX));
    assert_eq!(r.columns[3][0], Value::Int(1));
    assert_eq!(r.columns[4][0], Value::Int(i64::MIN));
}

#[test]
fn bitwise_operators_answer_bigint_and_strings_have_no_minus() {
    let s = table();
    ok(
        &s,
        "insert into t (ts, u, s) values ('2024-01-01 00:00:00', 18446744073709551615, '12')",
    );
    let r = rows(&s, "select 5 & 3, 5 | 3, u | 1, '7' | 0 from t");
    assert!(r.fields.iter().all(|f| f.ty == DataType::BigInt));
    assert_eq!(r.columns[2][0], Value::Int(-1));
    assert_eq!(r.columns[3][0], Value::Int(7));
    assert_eq!(
        code(&s, "select -s from t"),
        (512, "Invalid operation".into())
    );
    assert_eq!(
        rows(&s, "select '0x10' + 1").columns[0][0],
        Value::Double(17.0)
    );
}

#[test]
fn insert_values_take_each_form_by_its_own_rules() {
    let s = table();
    let n = std::cell::Cell::new(0);
    let one = |col: &str, v: &str| {
        n.set(n.get() + 1);
        let ts = 1_704_067_200_000i64 + n.get();
        ok(
            &s,
            &format!("insert into t (ts, {}) values ({}, {})", col, ts, v),
        );
        rows(&s, &format!("select {} from t where ts = {}", col, ts)).columns[0][0].clone()
    };
    assert_eq!(one("i", "0x10"), Value::Int(16));
    assert_eq!(one("i", "-0x10"), Value::Int(-16));
    assert_eq!(one("i", "0b101"), Value::Int(5));
    assert_eq!(one("i", "1.5"), Value::Int(2));
    assert_eq!(one("i", "'1.5'"), Value::Int(2));
    assert_eq!(one("i", "'1e2'"), Value::Int(100));
    assert_eq!(one("i", "' 7'"), Value::Int(7));
    assert_eq!(one("u", "1e19"), Value::UInt(10_000_000_000_000_000_000));
    assert_eq!(one("u", "-0"), Value::UInt(0));
    assert_eq!(one("b", "0.5"), Value::Bool(true));
    assert_eq!(one("b", "'TRUE'"), Value::Bool(true));
    assert_eq!(one("s", "0x10"), Value::Str("0x10".into()));
    assert_eq!(one("d", "'-1.5e3'"), Value::Double(-1500.0));
}

#[test]
fn insert_values_refuse_with_the_insert_parsers_words() {
    let s = table();
    let at = |col: &str, v: &str| {
        code(
            &s,
            &format!(
                "insert into t (ts, {}) values ('2024-01-01 00:00:00', {})",
                col, v
            ),
        )
    };
    assert_eq!(at("i", "' 5 '"), insert_err(" 5 ", "invalid int data"));
    assert_eq!(at("i", "''"), insert_err("", "invalid numeric data"));
    assert_eq!(at("i", "1e"), insert_err("e)", ") expected"));
    assert_eq!(at("i", "1_000"), insert_err("_000)", ") expected"));
    assert_eq!(at("i", "0x"), insert_err("0x)", "invalid data or symbol"));
    assert_eq!(
        at("i", "1.2.3"),
        insert_err("1.2.3)", "invalid data or symbol")
    );
    assert_eq!(at("i", "- 1"), insert_err("- 1)", "invalid data or symbol"));
    assert_eq!(at("i", "abc"), insert_err("abc)", "invalid data or symbol"));
    assert_eq!(
        at("i", "2147483648"),
        insert_err("2147483648)", "int data overflow")
    );
    assert_eq!(
        at("ti", "0x80"),
        insert_err("0x80)", "tinyint data overflow")
    );
    assert_eq!(
        at("u", "-1"),
        insert_err("-1)", "invalid unsigned bigint data")
    );
    assert_eq!(
        at("u", "2e19"),
        insert_err("2e19)", "invalid unsigned bigint data")
    );
    assert_eq!(
        at("d", "1e-400"),
        insert_err("1e-400)", "illegal float data")
    );
    assert_eq!(at("d", "'nan'"), insert_err("nan", "illegal double data"));
    assert_eq!(at("f", "1e39"), insert_err("1e39)", "illegal float data"));
    assert_eq!(at("f", "true"), insert_err("true)", "illegal float data"));
    assert_eq!(at("b", "'yes'"), insert_err("yes", "invalid bool data"));
    // more columns were due: `, expected` where the row broke
    assert_eq!(
        code(
            &s,
            "insert into t (ts, i, d) values ('2024-01-01 00:00:00', 1 2, 3)"
        ),
        insert_err("2, 3)", ", expected")
    );
    // a timestamp reads an operator after it as its own arithmetic
    assert_eq!(
        code(&s, "insert into t (ts, i) values (1704067213000 + 0, 1)"),
        insert_err("1704067213000 + 0, 1)", "invalid timestamp")
    );
}
