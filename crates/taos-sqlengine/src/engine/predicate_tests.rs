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
