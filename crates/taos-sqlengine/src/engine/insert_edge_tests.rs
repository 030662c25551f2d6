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

#[test]
fn a_varbinary_takes_a_string_only() {
    let s = stable();
    let invalid = (9834, "Invalid varbinary value: b".to_string());
    for v in ["1", "-1", "1.5", "1e3", "0x7f", "true", "now", "18446744073709551616"] {
        assert_eq!(code(&s, &format!("insert into n (ts, b) values (1700000000000, {v})")), invalid, "{v}");
    }
    ok(&s, "insert into n (ts, b) values (1700000000000, '12')");
    ok(&s, "insert into n (ts, b) values (1700000000001, null)");
}

#[test]
fn a_decimal_overflows_beyond_a_doubles_range_and_refuses_an_empty_string() {
    let s = stable();
    ok(&s, "create table dc (ts timestamp, d decimal(10,2))");
    let overflow = (317, "Decimal value overflow".to_string());
    for v in ["1e309", "1e-400", "'1e309'", "1e10"] {
        assert_eq!(code(&s, &format!("insert into dc values (1700000000000, {v})")), overflow, "{v}");
    }
    assert_eq!(
        code(&s, "insert into dc values (1700000000000, '')"),
        (534, "syntax error near '' (invalid numeric data)".into())
    );
    // text that is not a number is 0, as TDengine stores it
    ok(&s, "insert into dc values (1700000000000, 'abc')");
}

#[test]
fn a_timestamp_offset_takes_no_calendar_unit_and_a_placeholder_is_for_stmt_only() {
    let s = stable();
    for v in ["now - 10y", "now + 1n"] {
        assert_eq!(
            code(&s, &format!("insert into n (ts, d) values ({v}, 1)")),
            (534, format!("syntax error near '{v}, 1)' (invalid timestamp)")),
        );
    }
    ok(&s, "insert into n (ts, d) values (now + 1w, 1)");
    assert_eq!(
        code(&s, "insert into n (ts, d) values (?, ?)"),
        (534, "syntax error near '?, ?)' (? only used in stmt)".into())
    );
    assert_eq!(
        code(&s, "insert into n (ts, d) values (now, ?)"),
        (534, "syntax error near '?)' (? only used in stmt)".into())
    );
}

#[test]
fn an_insert_into_a_super_table_checks_tbname_and_its_tags() {
    let s = stable();
    assert_eq!(
        code(&s, "insert into st (tbname, ts, v, a, a) values ('c1', now, 2, 1, 1)"),
        (534, "syntax error near 'a' (duplicated column name)".into())
    );
    assert_eq!(
        code(&s, "insert into st (tbname, ts, v, a) values ('', now, 2, 1)"),
        (512, "tbname can not be empty".into())
    );
    assert_eq!(
        code(&s, "insert into st (tbname, ts, v, a) values (null, now, 2, 1)"),
        (512, "tbname can not be null value".into())
    );
    // a table that is not a child of this super table
    let other = (1565, "Table already exists in other stables".to_string());
    assert_eq!(code(&s, "insert into st (tbname, ts, v, a) values ('n', now, 1, 1)"), other);
    assert_eq!(code(&s, "insert into n using st tags (1, 'b', 2.5) values (now, 1, 'a')"), other);
}

#[test]
fn an_insert_select_into_a_super_table_is_refused_as_unsupported_never_a_silent_yes() {
    // 3.3.7.5 makes child table cq with both rows; this engine names what it does not do
    let s = stable();
    ok(&s, "insert into n (ts, d) values (1700000000000, 1) (1700000001000, 2)");
    let (code_, desc) = code(&s, "insert into st (tbname, ts, v, a) select 'cq', ts, d, 1 from n");
    assert_eq!(code_, 9728);
    assert!(desc.contains("INSERT INTO a super table … SELECT"), "{desc}");
}
