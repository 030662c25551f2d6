//! Predicates and CASE in the select list as TDengine 3.3.7.5 answers them (checked against a
//! real server): AND/OR join predicates anywhere, NOT negates a predicate or a parenthesized one,
//! and a VARCHAR CASE is as wide as its widest branch, at least 2 bytes.

use super::spec::{code, rows, Spec};
use crate::types::Value;

fn plain() -> Spec {
    Spec::new(Some("pr"), &["create database pr", "create table pr.t (ts timestamp, v int, b bool)", "insert into pr.t values ('2024-01-01 00:00:00', 1, true)"])
}

#[test]
fn the_select_list_takes_and_or_not_of_predicates() {
    let s = plain();
    let rs = rows(&s, "select 2 > 1 and 1 > 2, not 1 = 2, 1 = 1 or 1 = 2, not (1 = 2), not (v = 1 or v = 2) from t");
    assert_eq!(
        rs.columns.iter().map(|c| c[0].clone()).collect::<Vec<_>>(),
        [false, true, true, true, false].map(Value::Bool)
    );
    assert_eq!(rows(&s, "select v from t where not (v = 2) order by ts").num_rows(), 1);
    // AND/OR join predicates, not values
    assert_eq!(code(&s, "select b, b and true from t"), (9728, "syntax error near \"and true from t\"".into()));
    // a parenthesized predicate is not an operand
    let near = |rest: &str| (9728, format!("syntax error near \"{}\"", rest));
    assert_eq!(code(&s, "select (1 = 1) = (2 = 2)"), near("= (2 = 2)"));
    assert_eq!(code(&s, "select (1 = 1) + 1"), near("+ 1"));
    assert_eq!(code(&s, "select 1 + (1 = 1)"), near("= 1)"));
    assert_eq!(code(&s, "select (1 = 1) is null"), near("is null"));
    assert_eq!(code(&s, "select (1 = 1) in (true)"), near("in (true)"));
    assert_eq!(rows(&s, "select v from t where (v = 1 or v = 2) and (b = true)").num_rows(), 1);
}

#[test]
fn a_varchar_case_is_its_widest_branch_and_at_least_two_bytes() {
    let s = plain();
    let rs = rows(
        &s,
        "select case when 1 > 0 then 'y' else 'n' end, case when v > 0 then 'abc' else 'n' end, case when 1 > 0 then 'y' else 'abcd' end, case when 1 < 0 then 'y' end, case when v > 0 then '' end from t",
    );
    assert_eq!(rs.fields.iter().map(|f| f.len).collect::<Vec<_>>(), [2, 3, 4, 2, 2]);
}

#[test]
fn a_case_of_mixed_branch_types_takes_tdengines_common_type_and_casts_each_branch() {
    // `select case when i > 0 then <a> else <b> end from f6` on 3.3.7.5: (a, b) → type, length,
    // value (the THEN branch's, cast)
    use crate::types::DataType::*;
    let s = Spec::new(
        Some("ct"),
        &[
            "create database ct",
            "create table ct.f6 (ts timestamp, i int, b bigint, u bigint unsigned, ut tinyint unsigned, t tinyint, f float, d double, bo bool, vc varchar(100), nc nchar(5), vb varbinary(4), g geometry(30))",
            "insert into ct.f6 values (1796083200000, 1, 2, 3, 4, 5, 1.5, 2.25, true, 'abc', 'xy', '\\x01', 'POINT(1 1)')",
        ],
    );
    let str = |t: &str| Value::Str(t.into());
    let cases = [
        ("i", "u", VarChar, 63, str("1")),
        ("ts", "i", BigInt, 8, Value::Int(1796083200000)),
        ("f", "d", Double, 8, Value::Double(1.5)),
        ("t", "ut", SmallInt, 2, Value::Int(5)),
        ("bo", "ts", BigInt, 8, Value::Int(1)),
        ("vc", "nc", NChar, 25, str("abc")),
        ("vc", "i", VarChar, 100, str("abc")),
        ("nc", "i", NChar, 64, str("xy")),
        ("i", "b", BigInt, 8, Value::Int(1)),
        ("f", "vc", VarChar, 100, str("1.5")),
        ("ut", "u", UBigInt, 8, Value::UInt(4)),
        ("d", "ts", VarChar, 63, str("2.25")),
        ("ts", "'x'", VarChar, 63, str("1796083200000")),
        ("bo", "'x'", VarChar, 63, str("true")),
        ("bo", "i", Int, 4, Value::Int(1)),
        ("i", "null", Int, 4, Value::Int(1)),
        ("g", "g", Geometry, 30, rows(&s, "select g from f6").columns[0][0].clone()),
    ];
    for (a, b, ty, len, value) in cases {
        let rs = rows(&s, &format!("select case when i > 0 then {a} else {b} end from f6"));
        assert_eq!((rs.fields[0].ty, rs.fields[0].len, &rs.columns[0][0]), (ty, len, &value), "{a}, {b}");
    }
    // the ELSE branch is cast too
    let rs = rows(&s, "select case when i > 5 then i else d end from f6");
    assert_eq!((rs.fields[0].ty, rs.fields[0].len, &rs.columns[0][0]), (VarChar, 63, &str("2.25")));
    // every branch NULL: a VARCHAR of length 0
    let rs = rows(&s, "select case when i > 0 then null else null end from f6");
    assert_eq!((rs.fields[0].ty, rs.fields[0].len, &rs.columns[0][0]), (VarChar, 0, &Value::Null));
    // no common type
    let no = (12880, "Cannot convert to specific type".to_string());
    assert_eq!(code(&s, "select case when i > 0 then g else i end from f6"), no);
    assert_eq!(code(&s, "select case when i > 0 then vb else vc end from f6"), (10242, "Invalid parameter data type : cast".into()));
    assert_eq!(code(&s, "select case when i > 0 then vc else vb end from f6"), (10242, "Invalid parameter data type : cast".into()));
}
