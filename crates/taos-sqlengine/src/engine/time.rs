//! Timestamp literals, durations and the clock, in a database's precision.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeZone};

use crate::types::Precision;

/// Parses TDengine's string timestamp forms: `2024-01-01 08:00:00[.fff…]`, the `T` form, an
/// optional `Z`/`±HH:MM`/`±HHMM` offset, or a bare date (midnight). Strings without an offset are
/// read in `tz`. Extra fraction digits are truncated to the precision.
pub fn parse_timestamp(s: &str, tz: chrono_tz::Tz, p: Precision) -> Option<i64> {
    let s = s.trim();
    if !s.is_ascii() {
        return None;
    }
    let b = s.as_bytes();
    if b.len() < 10 || b[4] != b'-' || b[7] != b'-' {
        return None;
    }
    let year: i32 = s.get(0..4)?.parse().ok()?;
    let month: u32 = digits(s.get(5..7)?)?;
    let day: u32 = digits(s.get(8..10)?)?;
    let date = NaiveDate::from_ymd_opt(year, month, day)?;
    let rest = &s[10..];
    let (time, frac_units, offset_secs) = if rest.is_empty() {
        (NaiveTime::from_hms_opt(0, 0, 0)?, 0i64, None)
    } else {
        let rb = rest.as_bytes();
        if rb[0] != b' ' && rb[0] != b'T' && rb[0] != b't' {
            return None;
        }
        let t = &rest[1..];
        if t.len() < 8 || t.as_bytes()[2] != b':' || t.as_bytes()[5] != b':' {
            return None;
        }
        let h: u32 = digits(&t[0..2])?;
        let m: u32 = digits(&t[3..5])?;
        let sec: u32 = digits(&t[6..8])?;
        let time = NaiveTime::from_hms_opt(h, m, sec)?;
        let mut tail = &t[8..];
        let mut frac_units = 0i64;
        if let Some(f) = tail.strip_prefix('.') {
            let n = f.bytes().take_while(|c| c.is_ascii_digit()).count();
            if n == 0 {
                return None;
            }
            let digits_wanted = match p {
                Precision::Millisecond => 3,
                Precision::Microsecond => 6,
                Precision::Nanosecond => 9,
            };
            let mut v = 0i64;
            for i in 0..digits_wanted {
                let d = f
                    .as_bytes()
                    .get(i)
                    .filter(|c| c.is_ascii_digit())
                    .map(|c| (c - b'0') as i64)
                    .unwrap_or(0);
                v = v * 10 + d;
            }
            frac_units = v;
            tail = &f[n..];
        }
        let offset = if tail.is_empty() {
            None
        } else if tail == "Z" || tail == "z" {
            Some(0)
        } else {
            Some(parse_offset(tail)?)
        };
        (time, frac_units, offset)
    };
    let naive = NaiveDateTime::new(date, time);
    let secs = match offset_secs {
        Some(off) => naive.and_utc().timestamp() - off,
        None => tz.from_local_datetime(&naive).earliest()?.timestamp(),
    };
    // in i128: the earliest nanosecond (1677-09-21 00:12:43.145224192) is i64::MIN only once its
    // fraction is added
    i64::try_from(secs as i128 * p.per_second() as i128 + frac_units as i128).ok()
}

fn digits<T: std::str::FromStr>(s: &str) -> Option<T> {
    if s.bytes().all(|c| c.is_ascii_digit()) {
        s.parse().ok()
    } else {
        None
    }
}

/// `+08:00`, `-0100`, `+08` → seconds east of UTC.
fn parse_offset(s: &str) -> Option<i64> {
    if !s.is_ascii() {
        return None;
    }
    let sign = match s.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let body = &s[1..];
    let (h, m) = match body.len() {
        2 => (digits::<i64>(body)?, 0),
        4 => (digits::<i64>(&body[0..2])?, digits::<i64>(&body[2..4])?),
        5 if body.as_bytes()[2] == b':' => {
            (digits::<i64>(&body[0..2])?, digits::<i64>(&body[3..5])?)
        }
        _ => return None,
    };
    if h > 14 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// A duration literal (`10s`, `1d`, `500a`) in units of `p`; months/years are calendar units and
/// are approximated as 30/365 days here (only INTERVAL treats them exactly).
pub fn duration_units(value: i64, unit: char, p: Precision) -> Option<i64> {
    let ns: i128 = match unit {
        'b' => 1,
        'u' => 1_000,
        'a' => 1_000_000,
        's' => 1_000_000_000,
        'm' => 60_000_000_000,
        'h' => 3_600_000_000_000,
        'd' => 86_400_000_000_000,
        'w' => 7 * 86_400_000_000_000,
        'n' => 30 * 86_400_000_000_000,
        'y' => 365 * 86_400_000_000_000,
        _ => return None,
    };
    let per_unit_ns: i128 = match p {
        Precision::Millisecond => 1_000_000,
        Precision::Microsecond => 1_000,
        Precision::Nanosecond => 1,
    };
    let total = value as i128 * ns;
    if total % per_unit_ns != 0 && ns < per_unit_ns {
        // finer than the precision (e.g. 1u in a ms database)
        return Some((total / per_unit_ns) as i64);
    }
    i64::try_from(total / per_unit_ns).ok()
}

/// `t` (in `p`) moved by `months` calendar months in zone `tz` (the day clamped to the month's
/// last day, as TDengine's calendar arithmetic does).
pub fn add_months(t: i64, months: i64, tz: chrono_tz::Tz, p: Precision) -> Option<i64> {
    use chrono::TimeZone;
    let per = p.per_second();
    let (secs, frac) = (t.div_euclid(per), t.rem_euclid(per));
    let local = chrono::DateTime::from_timestamp(secs, 0)?.with_timezone(&tz).naive_local();
    let moved = if months >= 0 {
        local.checked_add_months(chrono::Months::new(months as u32))?
    } else {
        local.checked_sub_months(chrono::Months::new((-months) as u32))?
    };
    let back = tz.from_local_datetime(&moved).earliest()?.timestamp();
    back.checked_mul(per)?.checked_add(frac)
}

/// The current time in `p`.
pub fn now(p: Precision) -> i64 {
    let now = chrono::Utc::now();
    match p {
        Precision::Millisecond => now.timestamp_millis(),
        Precision::Microsecond => now.timestamp_micros(),
        Precision::Nanosecond => now.timestamp_nanos_opt().unwrap_or(i64::MAX),
    }
}

/// Midnight today in `tz`, in `p`.
pub fn today(tz: chrono_tz::Tz, p: Precision) -> i64 {
    let local = chrono::Utc::now().with_timezone(&tz).date_naive();
    let midnight = tz
        .from_local_datetime(&local.and_hms_opt(0, 0, 0).unwrap_or_default())
        .earliest()
        .map(|d| d.timestamp())
        .unwrap_or(0);
    midnight * p.per_second()
}

/// Converts a timestamp between precisions.
pub fn convert(ts: i64, from: Precision, to: Precision) -> i64 {
    let f = from.per_second() as i128;
    let t = to.per_second() as i128;
    ((ts as i128) * t / f) as i64
}

/// RFC 3339 rendering with the precision's fraction digits (`Z` for UTC).
pub fn format_rfc3339(ts: i64, p: Precision, tz: chrono_tz::Tz) -> String {
    let per = p.per_second();
    let secs = ts.div_euclid(per);
    let frac = ts.rem_euclid(per);
    let dt = match chrono::DateTime::from_timestamp(secs, 0) {
        Some(d) => d.with_timezone(&tz),
        None => return ts.to_string(),
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    let frac_s = match p {
        Precision::Millisecond => format!("{:03}", frac),
        Precision::Microsecond => format!("{:06}", frac),
        Precision::Nanosecond => format!("{:09}", frac),
    };
    let off = dt.format("%:z").to_string();
    let off = if off == "+00:00" {
        "Z".to_string()
    } else {
        off
    };
    format!("{}.{}{}", base, frac_s, off)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::UTC;

    #[test]
    fn parses_literal_forms() {
        let ms = Precision::Millisecond;
        let base = 1_704_067_200_000i64;
        assert_eq!(
            parse_timestamp("2024-01-01 00:00:00.000", UTC, ms),
            Some(base)
        );
        assert_eq!(parse_timestamp("2024-01-01", UTC, ms), Some(base));
        assert_eq!(
            parse_timestamp("2024-01-01T08:00:10.000+08:00", UTC, ms),
            Some(base + 10_000)
        );
        assert_eq!(
            parse_timestamp("2024-01-01T00:00:09.000Z", UTC, ms),
            Some(base + 9_000)
        );
        assert_eq!(
            parse_timestamp("2024-01-01 00:00:12.5", UTC, ms),
            Some(base + 12_500)
        );
        assert_eq!(
            parse_timestamp("2024-01-01 01:00:00+0100", UTC, ms),
            Some(base)
        );
        assert_eq!(
            parse_timestamp("2024-01-01 00:00:01.1234567", UTC, Precision::Microsecond),
            Some((base + 1000) * 1000 + 123_456)
        );
        assert_eq!(parse_timestamp("2024-01-01 15:00", UTC, ms), None);
        assert_eq!(parse_timestamp("2024/01/01 00:00:00", UTC, ms), None);
        assert_eq!(parse_timestamp("2024-02-30 00:00:00", UTC, ms), None);
        assert_eq!(parse_timestamp("2024-01-01 25:00:00", UTC, ms), None);
        assert_eq!(
            parse_timestamp("2024-01-01 08:00:00", chrono_tz::Asia::Shanghai, ms),
            Some(base)
        );
    }

    #[test]
    fn durations_and_rendering() {
        assert_eq!(
            duration_units(10, 's', Precision::Millisecond),
            Some(10_000)
        );
        assert_eq!(
            duration_units(1, 'd', Precision::Microsecond),
            Some(86_400_000_000)
        );
        assert_eq!(
            format_rfc3339(1_704_067_200_123, Precision::Millisecond, UTC),
            "2024-01-01T00:00:00.123Z"
        );
        assert_eq!(
            format_rfc3339(
                1_704_067_200_000_000,
                Precision::Microsecond,
                chrono_tz::Asia::Shanghai
            ),
            "2024-01-01T08:00:00.000000+08:00"
        );
    }
}
