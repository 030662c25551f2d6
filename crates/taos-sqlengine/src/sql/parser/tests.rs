use super::*;

fn err(sql: &str) -> TdError {
    parse(sql).unwrap_err()
}

#[test]
fn syntax_errors_quote_the_rest_of_the_statement() {
    assert_eq!(
        err("selec * from n").message,
        "syntax error near \"selec * from n\""
    );
    assert_eq!(
        err("select * form n").message,
        "syntax error near \"form n\""
    );
    assert_eq!(err("select * from").code, code::PAR_INCOMPLETE_SQL);
    assert_eq!(err("select from n").message, "syntax error near \"from n\"");
    assert_eq!(
        err("select * from n limit -1").message,
        "syntax error near \"-1\""
    );
    assert_eq!(
        err("select (1 + from n").message,
        "syntax error near \"from n\""
    );
    assert_eq!(
        err("select 'unterminated from n").message,
        "unrecognized token: \"'unterminated from n\""
    );
    assert_eq!(
        err("select count(*, v) from n").message,
        "syntax error near \", v) from n\""
    );
    assert_eq!(
        err("select sum() from n").message,
        "syntax error near \") from n\""
    );
    assert_eq!(
        err("select * from mixed case").message,
        "syntax error near \"case\""
    );
    assert_eq!(
        err("select ts, b from ti where not b order by ts").message,
        "syntax error near \"order by ts\""
    );
    assert_eq!(
        err("select b, b and true from ti").message,
        "syntax error near \"and true from ti\""
    );
    assert_eq!(
        err("create database x nosuchoption 1").message,
        "syntax error near \"nosuchoption 1\""
    );
    assert_eq!(err("show nosuch").code, code::PAR_INCOMPLETE_SQL);
    assert_eq!(err("use").code, code::PAR_INCOMPLETE_SQL);
}

#[test]
fn parses_select_with_clauses() {
    let st = parse("select i as x, count(*) from db.t where i > 1 and s like 'a%' partition by tbname interval(10s) sliding(5s) order by 1 desc nulls last limit 3, 2").unwrap();
    let Statement::Query(q) = st else {
        panic!("not a query")
    };
    let s = &q.selects[0];
    assert_eq!(s.items[0].alias.as_deref(), Some("x"));
    assert_eq!(s.items[1].text, "count(*)");
    assert!(
        matches!(s.from, Some(FromItem::Table { ref name, .. }) if name.db.as_deref() == Some("db"))
    );
    assert!(matches!(s.window, Some(Window::Interval { .. })));
    assert_eq!(q.limit, Some((2, 3)));
    assert!(q.order_by[0].desc);
    assert_eq!(q.order_by[0].nulls_first, Some(false));
}

#[test]
fn parses_multi_table_insert() {
    let sql = "insert into c1 values ('2024-01-01 00:00:00', 1) (now, -2) c2 using st (t) tags (3) values ('2024-01-01' + 14s, null)";
    let Statement::Insert(items) = parse(sql).unwrap() else {
        panic!()
    };
    assert_eq!(items.len(), 2);
    assert_eq!(items[0].rows.len(), 2);
    assert!(matches!(
        items[0].rows[1].vals[1].kind,
        InsValKind::Number { .. }
    ));
    assert!(matches!(
        items[1].rows[0].vals[0].kind,
        InsValKind::Offset {
            value: 14,
            unit: 's',
            ..
        }
    ));
    assert_eq!(
        items[1].using.as_ref().unwrap().tag_names.as_deref(),
        Some(&["t".to_string()][..])
    );
}

#[test]
fn syntax_errors_quote_the_rest_lower_cased_outside_quotes() {
    assert_eq!(
        err("select 1 Fr `AbC` 'XyZ' \"QqQ\" Om").message,
        "syntax error near \"`AbC` 'XyZ' \"QqQ\" om\""
    );
    assert_eq!(err("select 'AbC' Def Ghi Jkl").message, "syntax error near \"ghi jkl\"");
}

#[test]
fn keywords_are_no_column_names_but_pseudo_columns_are() {
    assert_eq!(
        err("select name, sysinfo from information_schema.ins_users").message,
        "syntax error near \"sysinfo from information_schema.ins_users\""
    );
    assert!(crate::sql::parse("select tbname, _wstart, `sysinfo` from t").is_ok());
}

#[test]
fn with_meta_and_only_meta_topics_take_a_database_or_a_stable_not_a_query() {
    for sql in ["create topic tp with meta as select * from t", "create topic tp only meta as select v from t where v > 1"] {
        let e = err(sql);
        assert_eq!(e.code, code::PAR_SYNTAX_ERROR, "{sql}");
        assert!(e.message.starts_with("syntax error near \"select "), "{sql}: {}", e.message);
    }
    assert!(parse("create topic tp with meta as database d").is_ok());
    assert!(parse("create topic tp only meta as stable d.st where t > 1").is_ok());
}

/// TDengine's grammar joins predicates with AND/OR (`boolean_primary`): a right operand that is
/// no predicate ends the statement too early (9729) or is a syntax error at what follows it, as
/// 3.3.7.5 answers.
#[test]
fn and_or_take_predicates_on_the_right_too() {
    for sql in [
        "select * from tb where v > 2 or true",
        "select * from tb where v > 2 and b",
        "select * from tb where (v > 2) and (b)",
        "select * from tb where v > 2 and v",
        "select * from tb where v > 2 and 1",
        "select * from tb where v > 2 and null",
        "select * from tb where v between 1 and 3 and b",
        "select * from tb where v in (1, 2) and b",
        "select count(*) from tb having count(*) > 1 or true",
    ] {
        assert_eq!(err(sql).code, 9729, "{sql}");
    }
    assert_eq!(err("select v > 2 and b from tb").message, "syntax error near \"from tb\"");
    assert_eq!(err("select * from tb where v > 2 and b order by ts").message, "syntax error near \"order by ts\"");
    assert!(parse("select * from tb where b = true and v > 2 or v in (1, 2) and not v > 3").is_ok());
}

/// A database name of 65 bytes or more is 9751 wherever a database is named, before its
/// existence is looked at (3.3.7.5; `drop database if exists` too).
#[test]
fn database_names_longer_than_64_bytes_are_9751() {
    let long = format!("d{}", "x".repeat(64));
    for sql in [
        format!("drop database {long}"),
        format!("drop database if exists {long}"),
        format!("use {long}"),
        format!("alter database {long} keep 10"),
        format!("show create database {long}"),
        format!("create database {long}"),
    ] {
        let e = err(&sql);
        assert_eq!(e.code, 9751, "{sql}");
        assert!(e.message.starts_with(&format!("Invalid identifier name: {long}")), "{sql}: {}", e.message);
    }
    assert!(parse(&format!("drop database if exists {}", &long[..64])).is_ok());
}

/// A topic name of 193 bytes or more is 9751, creating or dropping (3.3.7.5).
#[test]
fn topic_names_longer_than_192_bytes_are_9751() {
    let long = "t".repeat(193);
    assert_eq!(err(&format!("create topic {long} as database d")).code, 9751);
    assert_eq!(err(&format!("drop topic if exists {long}")).code, 9751);
    assert!(parse(&format!("drop topic if exists {}", &long[..192])).is_ok());
}
