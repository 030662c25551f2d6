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

/// `Invalid option <name>: <v>, valid range: [lo, hi]` (9753), TDengine's wording.
fn check_range(name: &str, v: i64, lo: i64, hi: i64) -> Result<i64, TdError> {
    if !(lo..=hi).contains(&v) {
        return Err(err(
            ecode::INVALID_OPTION,
            format!("Invalid option {}: {}, valid range: [{}, {}]", name, v, lo, hi),
        ));
    }
    Ok(v)
}

/// Reads CREATE / ALTER DATABASE options over `o` with the ranges and messages of TDengine's
/// translator (9753) and mnode (898 minrows > maxrows, 820 for three replicas on one dnode).
/// `new_db` says whether the precision and the relation checks apply as for a new database.
pub(crate) fn db_options(
    options: &[(String, DbOptVal, usize)],
    mut o: DbOptions,
) -> Result<(Option<Precision>, DbOptions), TdError> {
    let mut precision = None;
    let mut keep = None;
    let (mut ss_keeplocal, mut compact_interval, mut compact_range) = (None, None, None);
    let invalid = |m: String| err(ecode::INVALID_OPTION, m);
    let int = |v: &DbOptVal| opt_int(v).unwrap_or(0);
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
                let mut mins = Vec::new();
                for x in &list {
                    mins.push(duration_minutes(name, x)?);
                }
                let (a, b, c) = match mins.len() {
                    1 => (mins[0], mins[0], mins[0]),
                    2 => (mins[0], mins[1], mins[1]),
                    _ => (mins[0], mins[1], mins[2]),
                };
                keep = Some((a, b, c));
                o.keep = format!("{},{},{}", fmt_minutes(a), fmt_minutes(b), fmt_minutes(c));
            }
            "duration" => {
                let m = duration_minutes(name, v)?;
                check_range("daysPerFile", m, 60, 5_256_000)?;
                o.duration = fmt_minutes(m);
            }
            "vgroups" => o.vgroups = check_range("vgroups", int(v), 1, 1024)?,
            "replica" => {
                let n = check_range("replications", int(v), 1, 3)?;
                if n == 2 {
                    return Err(err(code::MND_INVALID_DB_OPTION, "Invalid database options"));
                }
                if n == 3 {
                    return Err(err(0x0334, "Out of dnodes"));
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
            "buffer" => o.buffer = check_range("buffer", int(v), 3, 16384)?,
            "cachesize" => o.cachesize = check_range("cacheSize", int(v), 1, 65536)?,
            "comp" => o.comp = check_range("compression", int(v), 0, 2)?,
            "minrows" => o.minrows = check_range("minRowsPerBlock", int(v), 10, 1_000_000)?,
            "maxrows" => o.maxrows = check_range("maxRowsPerBlock", int(v), 200, 10_000_000)?,
            "pages" => o.pages = check_range("pages", int(v), 64, 2_147_483_646)?,
            "pagesize" => o.pagesize = check_range("pagesize", int(v), 1, 16384)?,
            "wal_fsync_period" => {
                o.wal_fsync_period = check_range("fsyncPeriod", int(v), 0, 180_000)?
            }
            "wal_level" => {
                let n = int(v);
                if !(0..=2).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option walLevel: {}, only 0, 1, 2 allowed",
                        n
                    )));
                }
                o.wal_level = n;
            }
            "stt_trigger" => {
                let n = check_range("sstTrigger", int(v), 1, 16)?;
                o.extra.insert("stt_trigger".into(), n.to_string());
            }
            "tsdb_pagesize" => {
                let n = check_range("tsdbPagesize", int(v), 1, 16384)?;
                o.extra.insert("tsdb_pagesize".into(), n.to_string());
            }
            "single_stable" => {
                let n = int(v);
                if !(0..=1).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option singleStable: {}, only 1, 0 allowed",
                        n
                    )));
                }
                o.extra.insert("single_stable".into(), n.to_string());
            }
            "table_prefix" | "table_suffix" => {
                let n = int(v);
                if !(-191..=191).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option {}: {} valid range: [-191, 191]",
                        name, n
                    )));
                }
                o.extra.insert(name.clone(), n.to_string());
            }
            "keep_time_offset" => {
                let n = hours(name, v)?;
                if !(0..=23).contains(&n) {
                    return Err(invalid(format!(
                        "Invalid option keep_time_offset: {} valid range: [0, 23]",
                        n
                    )));
                }
                o.extra.insert("keep_time_offset".into(), n.to_string());
            }
            "wal_retention_period" => {
                let n = check_range("walRetentionPeriod", int(v), -1, 2_147_483_647)?;
                o.extra.insert(name.clone(), n.to_string());
            }
            "wal_retention_size" => {
                let n = check_range("walRetentionSize", int(v), -1, 2_147_483_647)?;
                o.extra.insert(name.clone(), n.to_string());
            }
            // 32-bit options: TDengine reads the number into an int32, so 2^31 wraps negative
            "wal_roll_period" => {
                check_range("walRollPeriod", int(v) as i32 as i64, 0, 2_147_483_647)?;
            }
            "wal_segment_size" => {
                check_range("walSegmentSize", int(v) as i32 as i64, 0, 2_147_483_647)?;
            }
            // a schemaless database only changes how the native client plans writes
            "schemaless" => {}
            "ss_chunkpages" => {
                let n = check_range("ss_chunkpages", int(v), 131_072, 1_048_576)?;
                o.extra.insert(name.clone(), n.to_string());
            }
            "ss_keeplocal" => {
                let m = duration_minutes(name, v)?;
                check_range("ssKeepLocal", m, 1440, 525_600_000)?;
                ss_keeplocal = Some(m);
                o.extra.insert(name.clone(), format!("{}m", m));
            }
            "ss_compact" => {
                let n = check_range("ss_compact", int(v), 0, 1)?;
                o.extra.insert(name.clone(), n.to_string());
            }
            "compact_interval" => compact_interval = Some(duration_minutes(name, v)?),
            "compact_time_range" => {
                let parts = match v {
                    DbOptVal::List(l) if l.len() == 2 => [&l[0], &l[1]],
                    _ => {
                        return Err(invalid(
                            "Invalid option compact_time_range, should have 2 values".into(),
                        ))
                    }
                };
                compact_range = Some((
                    duration_minutes(name, parts[0])?,
                    duration_minutes(name, parts[1])?,
                ));
            }
            "compact_time_offset" => {
                let h = hours(name, v)?;
                let n = check_range("compact_time_offset", h, 0, 23)?;
                o.extra.insert(name.clone(), format!("{}h", n));
            }
            "encrypt_algorithm" => {
                let s = opt_text(v);
                match s.to_ascii_lowercase().as_str() {
                    "" | "none" => {}
                    // the community edition has no encryption: the mnode refuses the option
                    "sm4" => {
                        return Err(err(code::MND_INVALID_DB_OPTION, "Invalid database options"))
                    }
                    _ => return Err(invalid(format!("Invalid option encrypt_algorithm: {}", s))),
                }
            }
            "dnodes" => return Err(err(0x0100, "Operation not supported")),
            "retentions" => return Err(crate::engine::errors::unsupported("retentions")),
            // every option the parser reads has an arm above: one without is a gap of ours,
            // refused rather than accepted as if it had been applied
            other => return Err(crate::engine::errors::unsupported(other)),
        }
    }
    let prefix = o.extra.get("table_prefix").map(|v| v != "0").unwrap_or(false);
    let suffix = o.extra.get("table_suffix").map(|v| v != "0").unwrap_or(false);
    if prefix && suffix {
        return Err(invalid(
            "Invalid option table_prefix & table_suffix: mixed usage not allowed".into(),
        ));
    }
    let (a, b, c) = keep.unwrap_or_else(|| {
        let k = keep_list(&o.keep);
        (k[0], k[1], k[2])
    });
    if keep.is_some() {
        // KEEP is at most 365000 days, or 292 years in a nanosecond database (the precision
        // may be given after KEEP, so this is checked once all options are read)
        let max = if precision == Some(Precision::Nanosecond) { 365 * 292 * 1440 } else { 525_600_000 };
        if [a, b, c].iter().any(|&m| !(1440..=max).contains(&m)) {
            return Err(invalid(format!(
                "Invalid option keep: {}, {}, {} valid range: [1440m, {}m]",
                a, b, c, max
            )));
        }
        if !(a <= b && b <= c) {
            return Err(invalid("Invalid keep value, should be keep0 <= keep1 <= keep2".into()));
        }
    }
    let duration = keep_list(&o.duration)[0];
    if a < 3 * duration {
        return Err(invalid(
            "Invalid duration value, should be keep2 >= keep1 >= keep0 >= 3 * duration".into(),
        ));
    }
    if ss_keeplocal.is_some_and(|m| m < 3 * duration) {
        return Err(invalid(
            "Invalid parameters, should be ss_keeplocal >= 3 * duration".into(),
        ));
    }
    if let Some(m) = compact_interval {
        if m != 0 {
            check_range("compact_interval", m, 10, c)?;
        }
        o.extra.insert("compact_interval".into(), fmt_minutes(m));
    }
    if let Some((start, end)) = compact_range {
        if (start, end) != (0, 0) {
            let range = |which: &str, m: i64| {
                if (-c..=-duration).contains(&m) {
                    return Ok(());
                }
                Err(invalid(format!(
                    "Invalid option compact_time_range: {}m, {} time should be in range: [{}m, {}m]",
                    m, which, -c, -duration
                )))
            };
            if start >= end {
                return Err(invalid(format!(
                    "Invalid option compact_time_range: {}m,{}m, start time should be less than end time",
                    start, end
                )));
            }
            range("start", start)?;
            range("end", end)?;
        }
        o.extra.insert(
            "compact_time_range".into(),
            format!("{},{}", fmt_minutes(start), fmt_minutes(end)),
        );
    }
    if o.minrows > o.maxrows {
        return Err(err(code::MND_INVALID_DB_OPTION, "Invalid database options"));
    }
    Ok((precision, o))
}

/// A duration option in minutes (plain integers are days); units other than m, h, d are refused
/// as TDengine's translator does.
fn duration_minutes(name: &str, v: &DbOptVal) -> Result<i64, TdError> {
    if let DbOptVal::Duration(_, u) = v {
        if !matches!(u, 'm' | 'h' | 'd') {
            return Err(err(
                ecode::INVALID_OPTION,
                format!("Invalid option {} unit: {}, only m, h, d allowed", name, u),
            ));
        }
    }
    Ok(opt_minutes(v).unwrap_or(0))
}

/// An hour-of-day option: a plain integer or a duration in `h` (other units are refused).
fn hours(name: &str, v: &DbOptVal) -> Result<i64, TdError> {
    match v {
        DbOptVal::Duration(n, 'h') => Ok(*n),
        DbOptVal::Duration(_, u) => Err(err(
            ecode::INVALID_OPTION,
            format!("Invalid option {} unit: {}, only h allowed", name, u),
        )),
        other => Ok(opt_int(other).unwrap_or(0)),
    }
}

/// Minutes of each comma-separated duration (`10d,1h` → [14400, 60]; `m`/`h`/`d` units).
fn keep_list(text: &str) -> Vec<i64> {
    text.split(',')
        .map(|part| {
            let n: i64 = part[..part.len().saturating_sub(1)].parse().unwrap_or(0);
            match part.chars().last() {
                Some('m') => n,
                Some('h') => n * 60,
                _ => n * 1440,
            }
        })
        .collect()
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
