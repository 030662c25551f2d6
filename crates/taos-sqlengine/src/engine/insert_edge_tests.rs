//! INSERT edges as TDengine 3.3.7.5 answers them (checked against a real server): the tag list
//! of an auto-created table (`using st (b, a)`, `using st () tags ()`), one value per tag
//! expected, signed `.25`, odd hex for VARBINARY, the earliest nanosecond, 2^64 into BIGINT
//! UNSIGNED, and strings compared with VARBINARY.

use super::spec::{code, ok, rows, Spec};
use crate::types::Value;

fn stable() -> Spec {
    Spec::new(
        Some("ie"),
        &[
            "create database ie",
            "create stable ie.st (ts timestamp, v int, s varchar(8)) tags (a int, b varchar(8), c double)",
            "create table ie.n (ts timestamp, d double, u bigint unsigned, b varbinary(8))",
        ],
    )
}

fn missing_value(rest: &str) -> (u16, String) {
    (534, format!("syntax error near '{}' (invalid data or symbol)", rest))
}

#[test]
fn an_auto_created_table_takes_named_tags_or_none() {
    let s = stable();
    ok(
        &s,
        "insert into c1 using st (b, a) tags ('bee', 1) values ('2024-01-01 00:00:00', 1, 'x') c4 using st () tags () values ('2024-01-01 00:00:00', 4, 'w')",
    );
    let rs = rows(&s, "select tbname, a, b, c from st order by tbname");
    assert_eq!(rs.columns[1], vec![Value::Int(1), Value::Null]);
    assert_eq!(rs.columns[2], vec![Value::Str("bee".into()), Value::Null]);
    // one value per tag expected: a `)` where a value should be, a value where none should be
    let values = ") values ('2024-01-01 00:00:00', 1, 'x')";
    assert_eq!(code(&s, &format!("insert into c9 using st (a, b) tags (1{}", values)), missing_value(values));
    assert_eq!(code(&s, &format!("insert into c9 using st tags (1{}", values)), missing_value(values));
    assert_eq!(code(&s, &format!("insert into c9 using st tags ({}", values)), missing_value(values));
    assert_eq!(
        code(&s, &format!("insert into c9 using st () tags (1{}", values)),
        (534, format!("syntax error near '1{}' () is expected)", values))
    );
    assert_eq!(
        code(&s, "insert into c9 using st tags (1, 'b', 2, 3) values ('2024-01-01 00:00:00', 1, 'x')"),
        (9741, "Tags number not matched".into())
    );
}

#[test]
fn insert_literals_at_the_edges() {
    let s = stable();
    let signed_dot = (534, "syntax error near 'invalid data or symbol'".to_string());
    assert_eq!(code(&s, "insert into n (ts, d) values ('2024-01-03 00:00:06', +.25)"), signed_dot);
    assert_eq!(code(&s, "insert into n (ts, d) values ('2024-01-03 00:00:06', -.25)"), signed_dot);
    ok(&s, "insert into n (ts, d) values ('2024-01-03 00:00:06', .25) ('2024-01-03 00:00:07', +1.5)");
    assert_eq!(
        code(&s, r"insert into n (ts, b) values ('2024-01-03 00:00:08', '\x414')"),
        (9834, "Invalid varbinary value: b".into())
    );
    // 2^64 passes the range check and wraps to 0 as C's conversion does on x86-64
    ok(&s, "insert into n (ts, u) values ('2024-01-04 00:00:00', 1.8446744073709552e19)");
    assert_eq!(rows(&s, "select u from n where ts = '2024-01-04 00:00:00'").columns[0], vec![Value::UInt(0)]);
}

#[test]
fn the_earliest_nanosecond_is_out_of_range_not_invalid() {
    let s = Spec::new(Some("ns"), &["create database ns precision 'ns'", "create table ns.t (ts timestamp, v int)"]);
    assert_eq!(
        code(&s, "insert into t values ('1677-09-21 00:12:43.145224192', 7)"),
        (1547, "Timestamp data out of range".into())
    );
}

#[test]
fn a_string_compared_with_varbinary_is_its_bytes_or_its_hex() {
    let s = stable();
    ok(&s, r"insert into n (ts, b) values ('2024-01-05 00:00:00', 'abc') ('2024-01-05 00:00:01', 'plain') ('2024-01-05 00:00:02', '\x00ff')");
    let n = |sql: &str| rows(&s, sql).num_rows();
    assert_eq!(n(r"select b from n where b = '\x616263' or b = 'plain'"), 2);
    assert_eq!(n(r"select b from n where b = '\x00FF'"), 1);
    assert_eq!(n("select b from n where b != 'abc' and b is not null"), 2);
    assert_eq!(n("select b from n where b > 'abc'"), 1);
    assert_eq!(n(r"select b from n where b in ('abc', '\x706c61696e')"), 2);
}
