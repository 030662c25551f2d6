//! JSON tags as TDengine 3.3.7.5 answers them (every answer below was checked against a real
//! server): a member `info->'k'` is a string, a number (a double), a bool, a JSON null or absent;
//! comparisons meet only values of their own kind; counting, grouping and DISTINCT tell a JSON
//! null from an absent key; ORDER BY sorts by kind; a whole JSON tag is neither compared, sorted
//! nor grouped.

use super::spec::{code, column_texts, rows, Cells, Spec};
use crate::types::Value;

fn tagged() -> Spec {
    Spec::new(
        Some("js"),
        &[
            "create database js",
            "create stable js.sj (ts timestamp, v int) tags (info json)",
            r#"insert into js.j1 using js.sj tags ('{"k": "a", "n": 1, "b": true, "z": null}') values ('2024-01-01 00:00:00', 1)"#,
            r#"insert into js.j2 using js.sj tags ('{"k": "B", "n": 2.5, "b": false}') values ('2024-01-01 00:00:00', 2)"#,
            r#"insert into js.j3 using js.sj tags ('{"k": "ab", "n": -3}') values ('2024-01-01 00:00:00', 3)"#,
            r#"insert into js.j4 using js.sj tags ('{"K": "upper", "n": "5"}') values ('2024-01-01 00:00:00', 4)"#,
            r#"insert into js.j5 using js.sj tags ('{"z": null}') values ('2024-01-01 00:00:00', 5)"#,
            "insert into js.j6 using js.sj tags (null) values ('2024-01-01 00:00:00', 6)",
            r#"insert into js.n1 using js.sj tags ('{"n": null, "k": null}') values ('2024-01-01 00:00:00', 31)"#,
            r#"insert into js.n2 using js.sj tags ('{"n": 1}') values ('2024-01-01 00:00:00', 32)"#,
        ],
    )
}

fn names(s: &Spec, sql: &str) -> Vec<String> {
    column_texts(&rows(s, sql), 0, Cells::Plain)
}

fn column(s: &Spec, sql: &str, c: usize) -> Vec<Value> {
    rows(s, sql).columns[c].clone()
}

fn text(v: &str) -> Value {
    Value::Str(v.into())
}

#[test]
fn a_member_compares_only_with_values_of_its_kind() {
    let s = tagged();
    // "5" is a string: no number matches it, and it is not "!= 1" either
    assert_eq!(names(&s, "select tbname from sj where info->'n' > 1 order by tbname"), ["j2"]);
    assert!(names(&s, "select tbname from sj where info->'n' = 5").is_empty());
    assert_eq!(names(&s, "select tbname from sj where info->'n' = '5'"), ["j4"]);
    assert_eq!(names(&s, "select tbname from sj where info->'n' > '0'"), ["j4"]);
    assert_eq!(names(&s, "select tbname from sj where info->'n' != 1 order by tbname"), ["j2", "j3"]);
    assert_eq!(names(&s, "select tbname from sj where info->'n' <> 1 order by tbname"), ["j2", "j3"]);
    assert_eq!(names(&s, "select tbname from sj where 1 < info->'n'"), ["j2"]);
    assert_eq!(names(&s, "select tbname from sj where info->'n' = v order by tbname"), ["j1"]);
    // bools meet only bools
    assert!(names(&s, "select tbname from sj where info->'n' = true").is_empty());
    assert!(names(&s, "select tbname from sj where info->'b' = 1").is_empty());
    assert_eq!(names(&s, "select tbname from sj where info->'b' != false"), ["j1"]);
    assert!(names(&s, "select tbname from sj where info->'k' > 1").is_empty());
    assert!(names(&s, "select tbname from sj where info->'k' = null").is_empty());
}

#[test]
fn a_failed_member_comparison_is_false_not_null() {
    let s = tagged();
    // NOT of a comparison that met an absent key, a JSON null or another kind is TRUE
    assert_eq!(
        names(&s, "select tbname from sj where not (info->'n' = 1) order by tbname"),
        ["j2", "j3", "j4", "j5", "j6", "n1"]
    );
    assert_eq!(names(&s, "select tbname from sj where info->'n' between 0 and 2 order by tbname"), ["j1", "n2"]);
    assert_eq!(names(&s, "select tbname from sj where info->'n' not between 0 and 2 order by tbname"), ["j2", "j3"]);
}

#[test]
fn a_json_null_member_is_null_but_still_counts_and_groups_apart() {
    let s = tagged();
    assert_eq!(
        names(&s, "select tbname from sj where info->'n' is null order by tbname"),
        ["j5", "j6", "n1"]
    );
    assert_eq!(
        rows(&s, "select count(info), count(info->'k'), count(info->'z'), count(info->'n') from sj").columns,
        vec![vec![Value::Int(7)], vec![Value::Int(4)], vec![Value::Int(2)], vec![Value::Int(6)]]
    );
    // absent and JSON null are two groups, both shown as NULL; numbers before strings
    let rs = rows(&s, "select info->'n', count(*), sum(v) from sj group by info->'n' order by 1");
    assert_eq!(rs.columns[1], [2, 1, 1, 2, 1, 1].map(Value::Int));
    assert_eq!(rs.columns[0][0], Value::Null);
    assert_eq!(rs.columns[0][1], Value::Null);
    assert_eq!(rs.columns[0][5], text("\"5\""));
    assert_eq!(
        column(&s, "select info->'n' as n, sum(v) from sj partition by info->'n' order by n", 1),
        [11, 31, 3, 33, 2, 4].map(Value::Int)
    );
    assert_eq!(rows(&s, "select distinct info->'n' from sj").num_rows(), 6);
}

#[test]
fn order_by_a_member_sorts_null_then_json_null_bools_numbers_strings() {
    let s = tagged();
    assert_eq!(
        names(&s, "select tbname, info->'n' from sj order by info->'n', tbname"),
        ["j5", "j6", "n1", "j3", "j1", "n2", "j2", "j4"]
    );
    assert_eq!(
        names(&s, "select tbname from sj order by info->'b', tbname"),
        ["j3", "j4", "j5", "j6", "n1", "n2", "j2", "j1"]
    );
    assert_eq!(
        names(&s, "select tbname from sj order by info->'k' desc, tbname"),
        ["j3", "j1", "j2", "n1", "j4", "j5", "j6", "n2"]
    );
}

#[test]
fn a_whole_json_tag_is_not_compared_sorted_or_grouped() {
    let s = tagged();
    let not_here = (1837, "Json not support in this place".to_string());
    let not_grouped = (1838, "Json not support in group/partition by".to_string());
    assert_eq!(code(&s, r#"select info from sj where info = '{"k": "a"}'"#), not_here);
    assert_eq!(code(&s, r#"select info from sj where info != '{"k": "a"}'"#), not_here);
    assert_eq!(code(&s, "select tbname from sj where info between 'a' and 'b'"), not_here);
    assert_eq!(code(&s, "select tbname from sj where info like 'a%'"), not_here);
    assert_eq!(code(&s, "select info from sj order by info"), not_here);
    assert_eq!(code(&s, "select info, count(*) from sj group by info"), not_grouped);
    assert_eq!(code(&s, "select info, count(*) from sj partition by info"), not_grouped);
    assert_eq!(code(&s, "select distinct info from sj"), not_grouped);
    assert_eq!(names(&s, "select tbname from sj where info is null"), ["j6"]);
}

#[test]
fn in_lists_contains_and_arrows_refuse_as_tdengine() {
    let s = tagged();
    let generic = (272, "Unexpected generic error".to_string());
    assert_eq!(code(&s, "select tbname from sj where info->'k' in ('a', 'B')"), generic);
    assert_eq!(code(&s, "select tbname from sj where info->'n' not in (1, 2.5)"), generic);
    assert_eq!(code(&s, "select tbname from sj where info in ('a')"), generic);
    let invalid = (512, "Invalid operation".to_string());
    assert_eq!(code(&s, "select tbname from sj where info contains null"), invalid);
    assert_eq!(code(&s, "select tbname from sj where info contains 1"), invalid);
    assert_eq!(
        code(&s, "select tbname from sj where info->'k' contains 'a'"),
        (1837, "Json not support in this place".to_string())
    );
    assert_eq!(names(&s, "select tbname from sj where info contains 'n' order by tbname"), ["j1", "j2", "j3", "j4", "n1", "n2"]);
    assert_eq!(
        code(&s, "select info->'k'->'x' from sj"),
        (9728, "syntax error near \"->'x' from sj\"".to_string())
    );
}

#[test]
fn a_cast_member_reads_its_stored_bytes() {
    let s = tagged();
    // numbers: type id 7 and the double's lowest byte; strings: type id 10, the UCS-4 length and
    // the first code unit's low byte
    let rs = rows(
        &s,
        "select cast(info->'n' as int), cast(info->'k' as varchar(12)), cast(info->'n' as tinyint), cast(info->'b' as bool) from sj where v < 5 order by tbname",
    );
    assert_eq!(rs.columns[0], [7, 7, 7, 1034].map(Value::Int));
    assert_eq!(
        rs.columns[1],
        vec![text("1627390986"), text("1107297290"), text("1627392010"), Value::Null]
    );
    assert_eq!(rs.columns[2], [7, 7, 7, 10].map(Value::Int));
    assert_eq!(rs.columns[3], vec![Value::Bool(true), Value::Bool(true), Value::Null, Value::Null]);
    assert_eq!(code(&s, "select cast(info as varchar(100)) from sj").0, 9728);
}

#[test]
fn a_json_tag_prints_its_numbers_as_cjson_and_cuts_long_keys() {
    let s = Spec::new(Some("jp"), &["create database jp", "create stable jp.sj (ts timestamp, v int) tags (info json)"]);
    super::spec::ok(
        &s,
        r#"insert into e5 using sj tags ('{"big": 12345678901234567890, "exp": 1.5e3, "neg0": -0, "a": 0.1}') values ('2024-01-01 00:00:00', 15)"#,
    );
    assert_eq!(
        column(&s, "select info from sj", 0),
        vec![text(r#"{"a":0.1,"big":1.2345678901234567e+19,"exp":1500,"neg0":-0}"#)]
    );
    let key = "k".repeat(256);
    super::spec::ok(&s, &format!("create table k256 using sj tags ('{{\"{}\": 1}}')", key));
    assert_eq!(
        column(&s, "select length(tag_value) from information_schema.ins_tags where table_name = 'k256'", 0),
        vec![Value::Int(261)]
    );
}
