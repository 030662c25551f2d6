//! Text renderings the adapter produces: REST JSON values (Go-style floats, RFC 3339 timestamps
//! in a zone, lowercase hex, decimals with their full scale).

use taos_sqlengine::types::{DataType, Field, Precision, Value};
use chrono::{Offset, TimeZone};
use std::fmt::Write;

/// A float as Go's JSON encoder writes it: shortest round-trip digits, plain notation for
/// 1e-6 <= |x| < 1e21, otherwise exponent notation with a sign and at least two digits
/// (`1e+21`, `1e-07`). `shortest_plain`/`shortest_exp` are the digits for the float's own width.
fn go_float(abs: f64, shortest_plain: String, shortest_exp: String) -> String {
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Rust writes `1e-7` / `1.5e21`; Go writes `1e-07` / `1.5e+21`.
        let (mantissa, exp) = shortest_exp.split_once('e').unwrap_or((&shortest_exp, "0"));
        let (sign, digits) = match exp.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', exp),
        };
        let pad = if digits.len() < 2 { "0" } else { "" };
        format!("{mantissa}e{sign}{pad}{digits}")
    } else {
        shortest_plain
    }
}

pub fn go_f64(x: f64) -> String {
    go_float(x.abs(), format!("{x}"), format!("{x:e}"))
}

pub fn go_f32(x: f32) -> String {
    go_float((x as f64).abs(), format!("{x}"), format!("{x:e}"))
}

/// Unscaled decimal as text with exactly `scale` fraction digits (`-0.01`, `0.0000000000`).
pub fn decimal_text(unscaled: i128, scale: u8) -> String {
    let negative = unscaled < 0;
    let digits = unscaled.unsigned_abs().to_string();
    let scale = scale as usize;
    let mut s = String::with_capacity(digits.len() + 3);
    if negative {
        s.push('-');
    }
    if scale == 0 {
        s.push_str(&digits);
    } else if digits.len() > scale {
        let (int, frac) = digits.split_at(digits.len() - scale);
        s.push_str(int);
        s.push('.');
        s.push_str(frac);
    } else {
        s.push_str("0.");
        for _ in 0..scale - digits.len() {
            s.push('0');
        }
        s.push_str(&digits);
    }
    s
}

pub fn hex_lower(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// RFC 3339 with exactly 3/6/9 fraction digits for ms/us/ns and `Z` when the offset is zero,
/// otherwise `±hh:mm` (Go's `2006-01-02T15:04:05.000Z07:00` layouts).
pub fn rfc3339(ts: i64, precision: Precision, tz: &chrono_tz::Tz) -> String {
    let per_sec = precision.per_second();
    let secs = ts.div_euclid(per_sec);
    let frac = ts.rem_euclid(per_sec);
    // the zone's offset at that instant (at the nearest one chrono knows, for the far years Go
    // still prints: i64::MIN ms is year -292275055)
    let known = secs.clamp(-8_000_000_000_000, 8_000_000_000_000);
    let offset_secs = chrono::DateTime::from_timestamp(known, 0)
        .map_or(0, |utc| tz.offset_from_utc_datetime(&utc.naive_utc()).fix().local_minus_utc());
    let local = secs as i128 + offset_secs as i128;
    let (days, rem) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let (year, month, day) = civil_from_days(days);
    let mut s = String::with_capacity(36);
    // Go prints a year past 9999 with all its digits and no sign (chrono's %Y adds a `+`)
    if year < 0 {
        let _ = write!(s, "-{:04}", year.unsigned_abs());
    } else {
        let _ = write!(s, "{year:04}");
    }
    let _ = write!(s, "-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60);
    match precision {
        Precision::Millisecond => write!(s, ".{frac:03}"),
        Precision::Microsecond => write!(s, ".{frac:06}"),
        Precision::Nanosecond => write!(s, ".{frac:09}"),
    }
    .ok();
    if offset_secs == 0 {
        s.push('Z');
    } else {
        let sign = if offset_secs < 0 { '-' } else { '+' };
        let abs = offset_secs.unsigned_abs();
        let _ = write!(s, "{sign}{:02}:{:02}", abs / 3600, (abs % 3600) / 60);
    }
    s
}

/// (year, month, day) of a day count since 1970-01-01 in the proleptic Gregorian calendar
/// (Howard Hinnant's days-to-civil), for any year an i64 of nanoseconds to milliseconds reaches.
fn civil_from_days(days: i128) -> (i128, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + if month <= 2 { 1 } else { 0 };
    (year, month, day)
}

/// A value as plain text (used when a var column received a non-text value).
pub fn plain_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) | Value::Timestamp(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => go_f32(*f),
        Value::Double(d) => go_f64(*d),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) => hex_lower(b),
        Value::Decimal(d) => d.to_string(),
    }
}

/// Whether a value cannot be written as JSON (the adapter then answers an empty body).
pub fn is_non_finite(v: &Value) -> bool {
    match v {
        Value::Float(f) => !f.is_finite(),
        Value::Double(d) => !d.is_finite(),
        _ => false,
    }
}

/// Appends one cell as REST renders it.
pub fn rest_value(out: &mut String, field: &Field, v: &Value, precision: Precision, tz: &chrono_tz::Tz) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => match field.ty {
            DataType::Timestamp => json_string(out, &rfc3339(*i, precision, tz)),
            DataType::Bool => out.push_str(if *i != 0 { "true" } else { "false" }),
            _ => {
                let _ = write!(out, "{i}");
            }
        },
        Value::UInt(u) => {
            let _ = write!(out, "{u}");
        }
        Value::Float(f) => out.push_str(&go_f32(*f)),
        Value::Double(d) => match field.ty {
            DataType::Float => out.push_str(&go_f32(*d as f32)),
            _ => out.push_str(&go_f64(*d)),
        },
        Value::Timestamp(t) => match field.ty {
            DataType::Timestamp => json_string(out, &rfc3339(*t, precision, tz)),
            _ => {
                let _ = write!(out, "{t}");
            }
        },
        Value::Str(s) => {
            if field.ty == DataType::Json {
                // JSON tags are embedded as JSON; text that does not parse is sent as a string.
                if serde_json::from_str::<serde::de::IgnoredAny>(s).is_ok() {
                    out.push_str(s.trim());
                } else {
                    json_string(out, s);
                }
            } else {
                json_string(out, s);
            }
        }
        Value::Bytes(b) => json_string(out, &hex_lower(b)),
        Value::Decimal(d) => json_string(out, &decimal_text(*d, field.scale)),
    }
}

/// A JSON string literal, raw UTF-8 (no `\u` escapes for non-ASCII, `<>&` kept).
pub fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_render_like_go() {
        assert_eq!(go_f64(1e21), "1e+21");
        assert_eq!(go_f64(1e-7), "1e-07");
        assert_eq!(go_f64(-5e-301), "-5e-301");
        assert_eq!(go_f64(1e20), "100000000000000000000");
        assert_eq!(go_f64(-12500000000.0), "-12500000000");
        assert_eq!(go_f64(1.0), "1");
        assert_eq!(go_f64(0.0), "0");
        assert_eq!(go_f64(1.5e300), "1.5e+300");
        assert_eq!(go_f32(0.1), "0.1");
        assert_eq!(go_f32(16777216.0), "16777216");
        assert_eq!(go_f32(3.4028235e38), "3.4028235e+38");
    }

    #[test]
    fn decimals_keep_their_scale() {
        assert_eq!(decimal_text(0, 10), "0.0000000000");
        assert_eq!(decimal_text(-1, 2), "-0.01");
        assert_eq!(decimal_text(1234, 2), "12.34");
        assert_eq!(decimal_text(-99999999, 0), "-99999999");
    }

    #[test]
    fn timestamps_in_three_precisions_and_zones() {
        let utc = chrono_tz::UTC;
        let sh: chrono_tz::Tz = "Asia/Shanghai".parse().unwrap();
        let ny: chrono_tz::Tz = "America/New_York".parse().unwrap();
        let kol: chrono_tz::Tz = "Asia/Kolkata".parse().unwrap();
        assert_eq!(rfc3339(1700000000000, Precision::Millisecond, &utc), "2023-11-14T22:13:20.000Z");
        assert_eq!(rfc3339(1700000000000, Precision::Millisecond, &sh), "2023-11-15T06:13:20.000+08:00");
        assert_eq!(
            rfc3339(1700000000001000000, Precision::Nanosecond, &ny),
            "2023-11-14T17:13:20.001000000-05:00"
        );
        assert_eq!(rfc3339(1700000000002000, Precision::Microsecond, &kol), "2023-11-15T03:43:20.002000+05:30");
        assert_eq!(rfc3339(-1, Precision::Millisecond, &utc), "1969-12-31T23:59:59.999Z");
        // past year 9999 Go prints every digit of the year, with no sign
        assert_eq!(rfc3339(1704067200123456, Precision::Millisecond, &utc), "55969-09-28T00:02:03.456Z");
        assert_eq!(rfc3339(253402300800000, Precision::Millisecond, &sh), "10000-01-01T08:00:00.000+08:00");
        // as the real adapter prints cast(1e20 as timestamp) and cast(-1e15 as timestamp)
        assert_eq!(rfc3339(i64::MIN, Precision::Millisecond, &utc), "-292275055-05-16T16:47:04.192Z");
        assert_eq!(rfc3339(-1_000_000_000_000_000, Precision::Millisecond, &utc), "-29719-04-05T22:13:20.000Z");
        // Extremes never panic.
        for ts in [i64::MIN, i64::MAX] {
            for p in [Precision::Millisecond, Precision::Microsecond, Precision::Nanosecond] {
                assert!(!rfc3339(ts, p, &sh).is_empty());
            }
        }
    }
}
