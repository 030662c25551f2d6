//! Users, privileges and SHOW specifications: each answer was checked against TDengine 3.3.7.5.

use crate::engine::spec::{code, grid, ok, rows, Cells, Spec};
use crate::session::SessionCtx;
use crate::types::Value;

fn engine() -> Spec {
    Spec::new(
        None,
        &[
            "create database d",
            "create stable d.st (ts timestamp, v int) tags (t int)",
            "create table d.c1 using d.st tags (1)",
            "create table d.n (ts timestamp, v int)",
            "create user u1 pass 'Abcdef12!'",
        ],
    )
}

#[test]
fn passwords_must_be_strong_and_names_short() {
    let e = engine();
    assert_eq!(code(&e, "create user x pass ''").0, 9745);
    assert_eq!(code(&e, "create user x pass 'Ab1!xyz'").0, 9745);
    for weak in ["abcdef12", "ABCDEFG1", "12345678!", "Abc def12"] {
        assert_eq!(code(&e, &format!("create user x pass '{}'", weak)), (9800, "Invalid password".into()));
    }
    assert_eq!(code(&e, "create user x pass Abcdef12").0, 9728);
    assert_eq!(code(&e, "create user 'x' pass 'Abcdef12!'").1, "syntax error near \"'x' pass 'Abcdef12!'\"");
    assert_eq!(code(&e, "drop user if exists u1").1, "syntax error near \"if exists u1\"");
    ok(&e, "create user aaaaaaaaaaaaaaaaaaaaaaa pass 'Abcdefg1'");
    assert_eq!(code(&e, "create user aaaaaaaaaaaaaaaaaaaaaaaa pass 'Abcdef12!'"), (9744, "Name or password too long".into()));
    assert_eq!(code(&e, "create user u1 pass 'Abcdef12!'"), (848, "User already exists".into()));
    assert_eq!(code(&e, "create user x pass 'Abcdef12!' sysinfo 2").1, "Invalid option sysinfo: 2, valid range: [0, 1]");
    assert_eq!(code(&e, "create user x pass 'Abcdef12!' host 'notanip'"), (9835, "Invalid IP range notanip".into()));
    assert_eq!(code(&e, "alter user u1 enable 2").0, 282);
    assert_eq!(code(&e, "alter user nobody enable 0"), (849, "Invalid user".into()));
    assert_eq!(code(&e, "drop user root").0, 9796);
    ok(&e, "create user Upper pass \"Abcdef12!\" sysinfo 0 createdb 1");
    ok(&e, "create user hosted pass 'Abcdef12!' host '10.0.0.0/8'");
    let rs = rows(&e, "select name, `sysinfo`, `createdb`, allowed_host from information_schema.ins_users where name in ('upper', 'hosted') order by name");
    assert_eq!(
        grid(&rs, Cells::Plain),
        vec![
            vec!["hosted".to_string(), "1".into(), "0".into(), "10.0.0.0/8,127.0.0.1/32".into()],
            vec!["upper".to_string(), "0".into(), "1".into(), "127.0.0.1/32,::1/128".into()],
        ]
    );
}

#[test]
fn white_lists_keep_the_loopback() {
    let e = engine();
    ok(&e, "alter user u1 add host '192.168.1.0/24'");
    assert_eq!(code(&e, "alter user u1 add host '192.168.1.0/24'"), (858, "Host already exist in ip white list".into()));
    assert_eq!(code(&e, "alter user u1 add host '192.168.1.0/33'").0, 9835);
    ok(&e, "alter user u1 add host '10.2.3.4'");
    let rs = rows(&e, "select allowed_host from information_schema.ins_users where name = 'u1'");
    assert_eq!(rs.columns[0][0], Value::Str("127.0.0.1/32,::1/128,192.168.1.0/24,10.2.3.4/32".into()));
    ok(&e, "alter user u1 drop host '10.2.3.4'");
    assert_eq!(code(&e, "alter user u1 drop host '10.9.9.9'"), (859, "Host not exist in ip white list".into()));
    assert_eq!(code(&e, "alter user u1 drop host '127.0.0.1'"), (861, "Host can not be dropped".into()));
}

#[test]
fn grants_are_listed_as_tdengine_lists_them() {
    let e = engine();
    ok(&e, "create user u2 pass 'Abcdef12!'");
    ok(&e, "grant read on d.* to u1");
    ok(&e, "grant all on d.st to u1");
    ok(&e, "grant write on d.n to u1");
    assert_eq!(code(&e, "grant read on d.st with t = 1 to u1"), (857, "User already have this priviledge".into()));
    ok(&e, "grant read on d.st with t = 1 to u2");
    ok(&e, "grant write on d.st with t > 1 and t < 5 to u2");
    assert_eq!(code(&e, "grant read on nosuch.* to u1").0, 904);
    assert_eq!(code(&e, "grant read on d.* to nobody").0, 849);
    assert_eq!(code(&e, "grant read on d.nosuch to u1").0, 9731);
    assert_eq!(code(&e, "grant all on d.c1 to u1").1, "Only supertable and normal table can be granted");
    assert_eq!(code(&e, "grant read on d.* with t = 2 to u1").1, "The With clause can only be used for table level privilege");
    assert_eq!(code(&e, "grant subscribe on d.* to u1"), (993, "Topic not exist".into()));
    assert_eq!(code(&e, "grant select on d.* to u1").1, "syntax error near \"select on d.* to u1\"");
    let rs = rows(&e, "select user_name, privilege, table_name, `condition` from information_schema.ins_user_privileges where user_name like 'u%' order by user_name, privilege, table_name");
    let got: Vec<String> = grid(&rs, Cells::Plain).into_iter().map(|r| r.join("|")).collect();
    assert_eq!(
        got,
        vec![
            "u1|alter|st|",
            "u1|read||",
            "u1|read|st|",
            "u1|write|n|",
            "u1|write|st|",
            "u2|read|st|(`d`.`st`.`t` = 1)",
            "u2|write|st|((`d`.`st`.`t` > 1) AND (`d`.`st`.`t` < 5))",
        ]
    );
    ok(&e, "revoke all on d.* from u1");
    assert_eq!(code(&e, "revoke read on d.* from u1"), (280, "Invalid parameters".into()));
    // a bare database name is the database: nothing granted there either
    assert_eq!(code(&e, "revoke read on d from u1"), (280, "Invalid parameters".into()));
    ok(&e, "revoke write on d.n from u1");
    ok(&e, "drop table d.st");
    let rs = rows(&e, "select count(*) from information_schema.ins_user_privileges where user_name like 'u%'");
    assert_eq!(rs.columns[0][0], Value::Int(0));
    let root = rows(&e, "show user privileges");
    assert!(grid(&root, Cells::Plain).contains(&vec!["root".into(), "all".into(), "all".into(), "".into(), "".into(), "".into()]));
}

#[test]
fn show_like_ignores_case_and_the_cluster_is_one_node() {
    let e = engine();
    ok(&e, "create table d.`Upper` (ts timestamp, v int)");
    let rs = rows(&e, "show d.tables like 'up%'");
    assert_eq!(rs.columns[0], vec![Value::Str("Upper".into())]);
    let rs = rows(&e, "show d.stables like 'S_'");
    assert_eq!(rs.columns[0], vec![Value::Str("st".into())]);
    assert_eq!(code(&e, "show vgroups"), (9728, "database not specified".into()));
    let rs = rows(&e, "select id, endpoint, status from information_schema.ins_dnodes");
    assert_eq!(grid(&rs, Cells::Plain), vec![vec!["1".to_string(), "localhost:6030".into(), "ready".into()]]);
    let rs = rows(&e, "select version from information_schema.ins_cluster");
    assert_eq!(rs.columns[0], vec![Value::Str("community".into())]);
    assert_eq!(rows(&e, "show qnodes").num_rows(), 0);
    let rs = rows(&e, "show local variables like '%keep%'");
    assert_eq!(rs.columns[0], vec![Value::Str("keepColumnName".into()), Value::Str("logKeepDays".into())]);
    let rs = rows(&e, "show indexes from d.st");
    assert_eq!(rs.columns[0], vec![Value::Str("t_st".into())]);
    assert_eq!(rows(&e, "show table distributed d.n").num_rows(), 25);
}

#[test]
fn a_sql_user_runs_as_itself() {
    let e = engine();
    ok(&e, "create user nosys pass 'Abcdef12!' sysinfo 0");
    assert!(e.login("u1", "Abcdef12!"));
    assert!(!e.login("u1", "wrong"));
    assert!(!e.login("root", "taosdata"), "configured users are the server's");
    let mut as_u1 = SessionCtx {
        user: Some("u1".into()),
        ..Default::default()
    };
    assert_eq!(e.execute(&mut as_u1, "drop user nosys").unwrap_err().code, 9796);
    assert!(e.execute(&mut as_u1, "insert into d.n values (1700000000000, 1)").is_ok());
    let mut as_nosys = SessionCtx {
        user: Some("nosys".into()),
        db: Some("information_schema".into()),
        ..Default::default()
    };
    assert_eq!(e.execute(&mut as_nosys, "select * from ins_users").unwrap_err().code, 9796);
    assert_eq!(e.execute(&mut as_nosys, "show mnodes").unwrap_err().code, 9796);
    assert!(e.execute(&mut as_nosys, "select * from d.n").is_ok());
}
