//! Users and privileges: CREATE / ALTER / DROP USER, GRANT / REVOKE, and what
//! `information_schema.ins_users` / `ins_user_privileges` (and SHOW USERS / SHOW USER
//! PRIVILEGES) list — with the codes TDengine's translator and mnode answer.
//!
//! Privileges are recorded as TDengine records them (database-level READ/WRITE, table-level
//! READ/WRITE/ALTER with an optional tag condition, topic SUBSCRIBE). What TDengine 3.3.7.5's
//! community edition enforces is enforced ([`authorize`]): only a super user drops users, and a
//! user without SYSINFO cannot see the cluster's system tables; granted privileges and tag
//! conditions restrict nothing there (verified: a user with no grant reads, writes and alters).

use std::collections::BTreeMap;

use crate::session::SessionCtx;
use crate::sql::ast::{BinOp, Expr, FromItem, PrivLevel, Query, ShowKind, Statement, UserChange};
use crate::types::{code, DataType, Field, Precision, ResultSet, TdError, Value};

use super::catalog::{Catalog, TableKind};
use super::errors::{db_not_exist, err, invalid_column, table_not_exist};
use super::meta::{str_col, vfield};

#[derive(Debug, Clone)]
pub struct User {
    pub name: String,
    pub pass: String,
    pub is_super: bool,
    pub enable: i64,
    pub sysinfo: i64,
    pub createdb: i64,
    pub create_time_ms: i64,
    pub hosts: Vec<String>,
    pub privileges: Vec<Privilege>,
}

/// One row of `ins_user_privileges`: `table` is empty for a database-level privilege, `db` is
/// the topic for SUBSCRIBE.
#[derive(Debug, Clone, PartialEq)]
pub struct Privilege {
    pub kind: &'static str,
    pub db: String,
    pub table: String,
    pub cond: String,
}

#[derive(Debug)]
pub struct UserCatalog {
    pub users: BTreeMap<String, User>,
}

/// The loopback ranges every user may connect from; they cannot be dropped.
const LOOPBACK: [&str; 2] = ["127.0.0.1/32", "::1/128"];

impl Default for UserCatalog {
    fn default() -> Self {
        let mut users = BTreeMap::new();
        users.insert(
            "root".to_string(),
            User {
                name: "root".into(),
                pass: "taosdata".into(),
                is_super: true,
                enable: 1,
                sysinfo: 1,
                createdb: 1,
                create_time_ms: chrono::Utc::now().timestamp_millis(),
                hosts: LOOPBACK.iter().map(|h| h.to_string()).collect(),
                privileges: Vec::new(),
            },
        );
        UserCatalog { users }
    }
}

fn invalid_user() -> TdError {
    err(0x0351, "Invalid user")
}

fn range_option(name: &str, v: i64) -> Result<(), TdError> {
    if !(0..=1).contains(&v) {
        return Err(err(
            0x011A,
            format!("Invalid option {}: {}, valid range: [0, 1]", name, v),
        ));
    }
    Ok(())
}

/// `a.b.c.d[/n]` or an IPv6 address with an optional prefix.
fn check_ip_range(r: &str) -> Result<String, TdError> {
    let bad = || err(9835, format!("Invalid IP range {}", r));
    let (addr, prefix) = match r.split_once('/') {
        Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
        None => (r, None),
    };
    match addr.parse::<std::net::IpAddr>().map_err(|_| bad())? {
        std::net::IpAddr::V4(_) => {
            let p = prefix.unwrap_or(32);
            if p > 32 {
                return Err(bad());
            }
            Ok(format!("{}/{}", addr, p))
        }
        std::net::IpAddr::V6(_) => {
            let p = prefix.unwrap_or(128);
            if p > 128 {
                return Err(bad());
            }
            Ok(format!("{}/{}", addr, p))
        }
    }
}

pub(crate) fn create_user(
    cat: &mut Catalog,
    name: String,
    pass: String,
    sysinfo: i64,
    createdb: i64,
    hosts: &[String],
) -> Result<(), TdError> {
    range_option("sysinfo", sysinfo)?;
    let mut hosts = hosts
        .iter()
        .map(|h| check_ip_range(h))
        .collect::<Result<Vec<_>, _>>()?;
    // without a white list a user may connect from the loopback; with one, from it and 127.0.0.1
    if hosts.is_empty() {
        hosts.extend(LOOPBACK.iter().map(|h| h.to_string()));
    } else if !hosts.iter().any(|h| h == LOOPBACK[0]) {
        hosts.push(LOOPBACK[0].to_string());
    }
    if cat.users.users.contains_key(&name) {
        return Err(err(0x0350, "User already exists"));
    }
    cat.users.users.insert(
        name.clone(),
        User {
            name,
            pass,
            is_super: false,
            enable: 1,
            sysinfo,
            createdb: createdb.clamp(0, 1),
            create_time_ms: chrono::Utc::now().timestamp_millis(),
            hosts,
            privileges: Vec::new(),
        },
    );
    Ok(())
}

pub(crate) fn alter_user(cat: &mut Catalog, name: &str, change: UserChange) -> Result<(), TdError> {
    match &change {
        UserChange::Enable(v) => range_option("enable", *v)?,
        UserChange::Sysinfo(v) => range_option("sysinfo", *v)?,
        UserChange::Createdb(v) => range_option("createdb", *v)?,
        _ => {}
    }
    let u = cat.users.users.get_mut(name).ok_or_else(invalid_user)?;
    match change {
        UserChange::Pass(p) => u.pass = p,
        UserChange::Enable(v) => u.enable = v,
        UserChange::Sysinfo(v) => u.sysinfo = v,
        UserChange::Createdb(v) => u.createdb = v,
        UserChange::AddHosts(h) => {
            let ranges = h.iter().map(|r| check_ip_range(r)).collect::<Result<Vec<_>, _>>()?;
            if ranges.iter().any(|r| u.hosts.contains(r)) {
                return Err(err(0x035A, "Host already exist in ip white list"));
            }
            u.hosts.extend(ranges);
        }
        UserChange::DropHosts(h) => {
            let ranges = h.iter().map(|r| check_ip_range(r)).collect::<Result<Vec<_>, _>>()?;
            if ranges.iter().any(|r| LOOPBACK.contains(&r.as_str())) {
                return Err(err(0x035D, "Host can not be dropped"));
            }
            if ranges.iter().any(|r| !u.hosts.contains(r)) {
                return Err(err(0x035B, "Host not exist in ip white list"));
            }
            u.hosts.retain(|x| !ranges.contains(x));
        }
    }
    Ok(())
}

pub(crate) fn drop_user(cat: &mut Catalog, name: &str) -> Result<(), TdError> {
    match cat.users.users.get(name) {
        None => Err(invalid_user()),
        Some(u) if u.is_super => Err(err(9796, "Permission denied or target object not exist")),
        Some(_) => {
            cat.users.users.remove(name);
            Ok(())
        }
    }
}

/// A tag condition as TDengine prints it: columns fully qualified, every operation in
/// parentheses. Forms beyond comparisons, AND/OR/NOT, IS [NOT] NULL and literals are refused.
fn cond_text(e: &Expr, db: &str, table: &str, names: &[String]) -> Result<String, TdError> {
    let rec = |x: &Expr| cond_text(x, db, table, names);
    Ok(match e {
        Expr::Column { name, .. } => {
            if !names.contains(name) {
                return Err(invalid_column(name));
            }
            format!("`{}`.`{}`.`{}`", db, table, name)
        }
        Expr::Int(i) => i.to_string(),
        Expr::Float(f) => f.to_string(),
        Expr::Str(s) => format!("'{}'", s),
        Expr::Bool(b) => b.to_string(),
        Expr::Binary { op, left, right } => {
            let o = match op {
                BinOp::Eq => "=",
                BinOp::Ne => "<>",
                BinOp::Lt => "<",
                BinOp::Le => "<=",
                BinOp::Gt => ">",
                BinOp::Ge => ">=",
                BinOp::And => "AND",
                BinOp::Or => "OR",
                _ => return Err(super::errors::unsupported("GRANT … WITH arithmetic")),
            };
            format!("({} {} {})", rec(left)?, o, rec(right)?)
        }
        Expr::IsNull { expr, negated } => {
            format!("({} IS {}NULL)", rec(expr)?, if *negated { "NOT " } else { "" })
        }
        _ => return Err(super::errors::unsupported("GRANT … WITH of this form")),
    })
}

pub(crate) fn grant(
    cat: &mut Catalog,
    revoke: bool,
    privileges: &[&'static str],
    level: &PrivLevel,
    cond: Option<&Expr>,
    user: &str,
) -> Result<(), TdError> {
    // the translator's checks: table-level privileges name a super or normal table that exists,
    // and only they take a tag condition
    let mut cond_str = String::new();
    match level {
        PrivLevel::Table(db, table) => {
            let d = cat.dbs.get(db).ok_or_else(db_not_exist)?;
            let names: Vec<String> = if let Some(st) = d.stables.get(table) {
                st.columns.iter().chain(&st.tags).map(|c| c.name.clone()).collect()
            } else {
                let t = d.tables.get(table).ok_or_else(table_not_exist)?;
                if matches!(t.kind, TableKind::Child { .. }) {
                    return Err(err(
                        code::PAR_SYNTAX_ERROR,
                        "Only supertable and normal table can be granted",
                    ));
                }
                d.columns_of(t).iter().map(|c| c.name.clone()).collect()
            };
            if let Some(c) = cond {
                cond_str = cond_text(c, db, table, &names)?;
            }
        }
        _ if cond.is_some() => {
            return Err(err(
                code::PAR_SYNTAX_ERROR,
                "The With clause can only be used for table level privilege",
            ))
        }
        _ => {}
    }
    let dbs: Vec<String> = cat.dbs.keys().cloned().collect();
    let topic_exists = |t: &str| cat.topics.contains_key(t);
    cat.users.users.get(user).ok_or_else(invalid_user)?;
    let targets: Vec<(String, String)> = match level {
        PrivLevel::All => dbs.into_iter().map(|d| (d, String::new())).collect(),
        PrivLevel::Db(db) => {
            if privileges == ["subscribe"] {
                return Err(err(code::MND_TOPIC_NOT_EXIST, "Topic not exist"));
            }
            if !cat.dbs.contains_key(db) {
                return Err(db_not_exist());
            }
            vec![(db.clone(), String::new())]
        }
        PrivLevel::Table(db, t) => vec![(db.clone(), t.clone())],
        PrivLevel::Topic(t) if privileges == ["subscribe"] => {
            if !topic_exists(t) {
                return Err(err(code::MND_TOPIC_NOT_EXIST, "Topic not exist"));
            }
            vec![(t.clone(), String::new())]
        }
        // `grant read on name`: a database
        PrivLevel::Topic(db) => {
            if !cat.dbs.contains_key(db) {
                return Err(db_not_exist());
            }
            vec![(db.clone(), String::new())]
        }
    };
    let u = cat.users.users.get_mut(user).ok_or_else(invalid_user)?;
    // database level: READ and WRITE are recorded (ALTER of a database is not listed)
    let kinds: Vec<&'static str> = privileges
        .iter()
        .copied()
        .filter(|k| {
            !(matches!(level, PrivLevel::Db(_) | PrivLevel::All | PrivLevel::Topic(_)) && *k == "alter")
        })
        .collect();
    if revoke {
        // nothing granted to revoke: 280, on a database (`db.*` or a bare name) or a topic
        if matches!(level, PrivLevel::Db(_) | PrivLevel::Topic(_))
            && !u.privileges.iter().any(|p| {
                kinds.contains(&p.kind) && targets.iter().any(|(d, t)| p.db == *d && p.table == *t)
            })
        {
            return Err(err(code::INVALID_PARA, "Invalid parameters"));
        }
        let all = matches!(level, PrivLevel::All);
        u.privileges.retain(|p| {
            !(kinds.contains(&p.kind)
                && if all {
                    p.table.is_empty()
                } else {
                    targets.iter().any(|(d, t)| p.db == *d && p.table == *t)
                })
        });
        return Ok(());
    }
    if !cond_str.is_empty()
        && u.privileges.iter().any(|p| {
            kinds.contains(&p.kind) && targets.iter().any(|(d, t)| p.db == *d && p.table == *t)
        })
    {
        return Err(err(0x0359, "User already have this priviledge"));
    }
    for (db, table) in targets {
        for k in &kinds {
            match u
                .privileges
                .iter_mut()
                .find(|p| p.kind == *k && p.db == db && p.table == table)
            {
                Some(p) => p.cond = cond_str.clone(),
                None => u.privileges.push(Privilege {
                    kind: k,
                    db: db.clone(),
                    table: table.clone(),
                    cond: cond_str.clone(),
                }),
            }
        }
    }
    Ok(())
}

/// A table or a database went away: so do the privileges on it.
pub(crate) fn forget(cat: &mut Catalog, db: &str, table: Option<&str>) {
    for u in cat.users.users.values_mut() {
        u.privileges
            .retain(|p| !(p.db == db && table.is_none_or(|t| p.table == t)));
    }
}

pub(crate) fn users_table(cat: &Catalog) -> ResultSet {
    let fields = vec![
        vfield("name", 24),
        Field::fixed("super", DataType::TinyInt),
        Field::fixed("enable", DataType::TinyInt),
        Field::fixed("sysinfo", DataType::TinyInt),
        Field::fixed("createdb", DataType::TinyInt),
        Field::fixed("create_time", DataType::Timestamp),
        vfield("allowed_host", 49152),
    ];
    let rows = cat
        .users
        .users
        .values()
        .map(|u| {
            let hosts = u.hosts.join(",");
            vec![
                str_col(&u.name),
                Value::Int(u.is_super as i64),
                Value::Int(u.enable),
                Value::Int(u.sysinfo),
                Value::Int(u.createdb),
                Value::Timestamp(u.create_time_ms),
                str_col(hosts),
            ]
        })
        .collect();
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

pub(crate) fn privileges_table(cat: &Catalog) -> ResultSet {
    let fields = vec![
        vfield("user_name", 24),
        vfield("privilege", 10),
        vfield("db_name", 65),
        vfield("table_name", 193),
        vfield("condition", 49152),
        vfield("notes", 64),
    ];
    let mut rows = Vec::new();
    for u in cat.users.users.values() {
        if u.is_super {
            rows.push(vec![
                str_col(&u.name),
                str_col("all"),
                str_col("all"),
                str_col(""),
                str_col(""),
                str_col(""),
            ]);
        }
        for p in &u.privileges {
            rows.push(vec![
                str_col(&u.name),
                str_col(p.kind),
                str_col(&p.db),
                str_col(&p.table),
                str_col(&p.cond),
                str_col(""),
            ]);
        }
    }
    ResultSet::from_rows(fields, Precision::Millisecond, rows)
}

/// `information_schema` tables only users with SYSINFO may read (TDengine's `systable.c`).
const SYSINFO_TABLES: &[&str] = &[
    "ins_dnodes",
    "ins_mnodes",
    "ins_modules",
    "ins_qnodes",
    "ins_snodes",
    "ins_bnodes",
    "ins_cluster",
    "ins_users",
    "ins_users_full",
    "ins_grants",
    "ins_vgroups",
    "ins_dnode_variables",
    "ins_vnodes",
    "ins_user_privileges",
    "ins_grants_full",
    "ins_grants_logs",
    "ins_machines",
    "ins_arbgroups",
    "ins_encryptions",
    "ins_anodes",
    "ins_anodes_full",
    "ins_mounts",
];

fn permission_denied() -> TdError {
    err(9796, "Permission denied or target object not exist")
}

/// What a session's user may not do, checked before a statement runs.
pub(crate) fn authorize(cat: &Catalog, ctx: &SessionCtx, stmt: &Statement) -> Result<(), TdError> {
    let Some(name) = ctx.user.as_deref() else {
        return Ok(());
    };
    let Some(user) = cat.users.users.get(name) else {
        // dropped while connected
        return Err(err(0x0351, "Invalid user"));
    };
    // checked before the super-user shortcut: on 3.3.7.5, after `alter user root sysinfo 0`,
    // root's SHOW USERS / USER PRIVILEGES / DNODES and `ins_users` answer 9796
    if user.sysinfo == 0 {
        let denied = match stmt {
            Statement::Show(k) => matches!(
                k,
                ShowKind::Dnodes
                    | ShowKind::Mnodes
                    | ShowKind::Qnodes
                    | ShowKind::Cluster
                    | ShowKind::Users
                    | ShowKind::UsersFull
                    | ShowKind::UserPrivileges
                    | ShowKind::Grants
                    | ShowKind::GrantsFull
                    | ShowKind::GrantsLogs
                    | ShowKind::Vgroups { .. }
                    | ShowKind::DnodeVariables { .. }
            ),
            Statement::Query(q) => {
                let mut tables = Vec::new();
                query_tables(q, &mut tables);
                tables.iter().any(|(db, t)| {
                    db.or(ctx.db.as_deref())
                        .is_some_and(|d| d.eq_ignore_ascii_case("information_schema"))
                        && SYSINFO_TABLES.contains(&t.as_str())
                })
            }
            _ => false,
        };
        if denied {
            return Err(permission_denied());
        }
    }
    if user.is_super {
        return Ok(());
    }
    if matches!(stmt, Statement::DropUser { .. }) {
        return Err(permission_denied());
    }
    Ok(())
}

/// Every table a query reads: (database as written, table).
fn query_tables<'q>(q: &'q Query, out: &mut Vec<(Option<&'q str>, &'q String)>) {
    fn from<'q>(f: &'q FromItem, out: &mut Vec<(Option<&'q str>, &'q String)>) {
        match f {
            FromItem::Table { name, .. } => out.push((name.db.as_deref(), &name.name)),
            FromItem::Subquery { query, .. } => query_tables(query, out),
            FromItem::Join(j) => {
                from(&j.left, out);
                from(&j.right, out);
            }
        }
    }
    for s in &q.selects {
        if let Some(f) = &s.from {
            from(f, out);
        }
    }
}

#[cfg(test)]
#[path = "users_tests.rs"]
mod tests;
