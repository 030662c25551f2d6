//! Database options: reading `CREATE/ALTER DATABASE` options into [`DbOptions`] with TDengine's
//! ranges and codes, and printing them back (`SHOW CREATE DATABASE`, `ins_databases`).

use crate::engine::catalog::*;
use crate::engine::errors::{ecode, err};
use crate::sql::ast::*;
use crate::types::{code, Precision, TdError};

pub(crate) fn opt_int(v: &DbOptVal) -> Option<i64> {
    match v {
        DbOptVal::Int(i) => Some(*i),
        DbOptVal::Str(s) => s.parse().ok(),
        _ => None,
    }
}

pub(crate) fn opt_text(v: &DbOptVal) -> String {
    match v {
        DbOptVal::Int(i) => i.to_string(),
        DbOptVal::Str(s) => s.clone(),
        DbOptVal::Duration(n, u) => format!("{}{}", n, u),
        DbOptVal::List(l) => l.iter().map(opt_text).collect::<Vec<_>>().join(","),
    }
}

/// Duration option in minutes (plain integers are days).
pub(crate) fn opt_minutes(v: &DbOptVal) -> Option<i64> {
    match v {
        DbOptVal::Int(d) => Some(d * 1440),
        DbOptVal::Duration(n, u) => Some(match u {
            'm' => *n,
            'h' => n * 60,
            'd' => n * 1440,
            _ => return None,
        }),
        _ => None,
    }
}

pub(crate) fn fmt_minutes(m: i64) -> String {
    if m % 1440 == 0 {
        format!("{}d", m / 1440)
    } else if m % 60 == 0 {
        format!("{}h", m / 60)
    } else {
        format!("{}m", m)
    }
}

pub(crate) fn db_options(
    options: &[(String, DbOptVal, usize)],
    mut o: DbOptions,
) -> Result<(Option<Precision>, DbOptions), TdError> {
    let mut precision = None;
    let mut keep = None;
    let invalid = |m: String| err(ecode::INVALID_OPTION, m);
    for (name, v, _) in options {
        match name.as_str() {
            "precision" => {
                let s = opt_text(v);
                precision = Some(
                    Precision::from_str_opt(&s)
                        .ok_or_else(|| invalid(format!("Invalid option precision: {}", s)))?,
                );
            }
            "keep" => {
                let list: Vec<DbOptVal> = match v {
                    DbOptVal::List(l) => l.clone(),
                    other => vec![other.clone()],
                };
                let mins: Vec<i64> = list.iter().map(|x| opt_minutes(x).unwrap_or(0)).collect();
                let (a, b, c) = match mins.len() {
                    1 => (mins[0], mins[0], mins[0]),
                    2 => (mins[0], mins[1], mins[1]),
                    _ => (mins[0], mins[1], mins[2]),
                };
                keep = Some((a, b, c));
                o.keep = format!("{},{},{}", fmt_minutes(a), fmt_minutes(b), fmt_minutes(c));
            }
            "duration" => {
                o.duration = opt_minutes(v)
                    .map(fmt_minutes)
                    .unwrap_or_else(|| opt_text(v))
            }
            "vgroups" => {
                let n = opt_int(v).unwrap_or(0);
                if !(1..=1024).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option vgroups: {}, valid range: [1, 1024]",
                        n
                    )));
                }
                o.vgroups = n;
            }
            "replica" => {
                let n = opt_int(v).unwrap_or(0);
                if n != 1 {
                    return Err(err(code::MND_INVALID_DB_OPTION, "Invalid database options"));
                }
                o.replica = n;
            }
            "cachemodel" => {
                let s = opt_text(v);
                if !matches!(s.as_str(), "none" | "last_row" | "last_value" | "both") {
                    return Err(invalid(format!("Invalid option cacheModel: {}", s)));
                }
                o.cachemodel = s;
            }
            "buffer" => o.buffer = opt_int(v).unwrap_or(o.buffer),
            "cachesize" => o.cachesize = opt_int(v).unwrap_or(o.cachesize),
            "comp" => o.comp = opt_int(v).unwrap_or(o.comp),
            "minrows" => o.minrows = opt_int(v).unwrap_or(o.minrows),
            "maxrows" => o.maxrows = opt_int(v).unwrap_or(o.maxrows),
            "pages" => o.pages = opt_int(v).unwrap_or(o.pages),
            "pagesize" => o.pagesize = opt_int(v).unwrap_or(o.pagesize),
            "wal_level" => o.wal_level = opt_int(v).unwrap_or(o.wal_level),
            "wal_fsync_period" => o.wal_fsync_period = opt_int(v).unwrap_or(o.wal_fsync_period),
            _ => {}
        }
    }
    if let Some((a, b, c)) = keep {
        // KEEP is at most 365000 days, or 292 years in a nanosecond database (the precision
        // may be given after KEEP, so this is checked once all options are read)
        let max = if precision == Some(Precision::Nanosecond) { 365 * 292 * 1440 } else { 525_600_000 };
        if [a, b, c].iter().any(|&m| !(1440..=max).contains(&m)) {
            return Err(invalid(format!(
                "Invalid option keep: {}, {}, {} valid range: [1440m, {}m]",
                a, b, c, max
            )));
        }
    }
    Ok((precision, o))
}

/// A database's three KEEP values in minutes.
pub(crate) fn keep_minutes(db: &Database) -> [i64; 3] {
    let mut out = [3650 * 1440; 3];
    for (i, part) in db.options.keep.split(',').take(3).enumerate() {
        let n: i64 = part[..part.len().saturating_sub(1)].parse().unwrap_or(3650);
        out[i] = match part.chars().last() {
            Some('m') => n,
            Some('h') => n * 60,
            _ => n * 1440,
        };
    }
    out
}

/// Keep-days of a database (first KEEP value).
pub(crate) fn keep_days(db: &Database) -> i64 {
    let first = db.options.keep.split(',').next().unwrap_or("3650d");
    let n: i64 = first[..first.len().saturating_sub(1)]
        .parse()
        .unwrap_or(3650);
    match first.chars().last() {
        Some('m') => n / 1440,
        Some('h') => n / 24,
        _ => n,
    }
}
