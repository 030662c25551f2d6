//! REST timestamps: RFC 3339 text as taosAdapter writes it (`2023-11-14T22:13:20.000Z`,
//! `2023-11-15T06:13:20.000000+08:00`: 3, 6 or 9 fraction digits for ms, µs and ns databases, the
//! zone given by `tz`/`conn_tz`) back to the integer the WebSocket path carries.

use crate::types::Precision;

/// A point in time read from RFC 3339 text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp {
    /// Seconds since the Unix epoch (UTC).
    pub seconds: i64,
    /// Nanoseconds within the second, 0..1e9.
    pub nanos: u32,
    /// How many fraction digits the text had (3 → ms, 6 → µs, 9 → ns).
    pub digits: u8,
}

impl Timestamp {
    /// The precision the text was written in.
    pub fn precision(self) -> Precision {
        match self.digits {
            0..=3 => Precision::Millisecond,
            4..=6 => Precision::Microsecond,
            _ => Precision::Nanosecond,
        }
    }

    /// The count since the epoch in `precision`, or None when it does not fit in i64 or the text
    /// had more digits than the precision keeps.
    pub fn in_units(self, precision: Precision) -> Option<i64> {
        let (per_second, nanos_per_unit) = match precision {
            Precision::Millisecond => (1_000i64, 1_000_000u32),
            Precision::Microsecond => (1_000_000, 1_000),
            Precision::Nanosecond => (1_000_000_000, 1),
        };
        if !self.nanos.is_multiple_of(nanos_per_unit) {
            return None;
        }
        self.seconds.checked_mul(per_second)?.checked_add(i64::from(self.nanos / nanos_per_unit))
    }
}

/// Days from 1970-01-01 to the given civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

fn digits(text: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = text.get(at..at + n)?;
    if !part.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(part.iter().fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0')))
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`; None when the text is anything else.
pub(crate) fn parse_rfc3339(text: &str) -> Option<Timestamp> {
    let b = text.as_bytes();
    let year = i64::from(digits(b, 0, 4)?);
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') || !matches!(b.get(10), Some(b'T' | b't' | b' ')) {
        return None;
    }
    let (month, day) = (digits(b, 5, 2)?, digits(b, 8, 2)?);
    if b.get(13) != Some(&b':') || b.get(16) != Some(&b':') {
        return None;
    }
    let (hour, minute, second) = (digits(b, 11, 2)?, digits(b, 14, 2)?, digits(b, 17, 2)?);
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut nanos = 0u32;
    let mut fraction_digits = 0u8;
    if b.get(i) == Some(&b'.') {
        i += 1;
        while let Some(&d) = b.get(i).filter(|d| d.is_ascii_digit()) {
            if fraction_digits == 9 {
                return None;
            }
            nanos = nanos * 10 + u32::from(d - b'0');
            fraction_digits += 1;
            i += 1;
        }
        if fraction_digits == 0 {
            return None;
        }
        nanos *= 10u32.pow(9 - u32::from(fraction_digits));
    }
    let offset_seconds: i64 = match b.get(i) {
        Some(b'Z' | b'z') if i + 1 == b.len() => 0,
        Some(&sign @ (b'+' | b'-')) if i + 6 == b.len() && b[i + 3] == b':' => {
            let (h, m) = (digits(b, i + 1, 2)?, digits(b, i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            let s = i64::from(h * 3600 + m * 60);
            if sign == b'-' {
                -s
            } else {
                s
            }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    let seconds = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second) - offset_seconds;
    Some(Timestamp { seconds, nanos, digits: fraction_digits })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(text: &str) -> i64 {
        parse_rfc3339(text).unwrap().in_units(Precision::Millisecond).unwrap()
    }

    #[test]
    fn the_recorded_forms_read_back_to_the_inserted_values() {
        assert_eq!(ms("2023-11-14T22:13:20.000Z"), 1_700_000_000_000);
        assert_eq!(ms("2023-11-15T06:13:20.001+08:00"), 1_700_000_000_001);
        assert_eq!(ms("2023-11-14T17:13:20.002-05:00"), 1_700_000_000_002);
        assert_eq!(ms("2023-11-15T03:43:20.000+05:30"), 1_700_000_000_000);
        let us = parse_rfc3339("2023-11-14T22:13:20.000501Z").unwrap();
        assert_eq!((us.precision(), us.in_units(Precision::Microsecond)), (Precision::Microsecond, Some(1_700_000_000_000_501)));
        let ns = parse_rfc3339("2023-11-14T17:13:20.000000501-05:00").unwrap();
        assert_eq!((ns.precision(), ns.in_units(Precision::Nanosecond)), (Precision::Nanosecond, Some(1_700_000_000_000_000_501)));
        // Fewer digits convert exactly to a finer unit; more digits do not fit a coarser one.
        assert_eq!(parse_rfc3339("2023-11-14T22:13:20.001Z").unwrap().in_units(Precision::Nanosecond), Some(1_700_000_000_001_000_000));
        assert_eq!(ns.in_units(Precision::Millisecond), None);
    }

    #[test]
    fn dates_before_1970_and_far_ahead_are_exact() {
        assert_eq!(ms("1970-01-01T00:00:00.000Z"), 0);
        assert_eq!(ms("1969-12-31T23:59:59.999Z"), -1);
        assert_eq!(ms("1900-03-01T00:00:00.000Z"), -2_203_891_200_000);
        assert_eq!(ms("2000-02-29T12:00:00.000Z"), 951_825_600_000);
        assert_eq!(ms("9999-12-31T23:59:59.999Z"), 253_402_300_799_999);
        // The largest ns value TDengine can hold: 2262-04-11T23:47:16.854775807Z.
        let max = parse_rfc3339("2262-04-11T23:47:16.854775807Z").unwrap();
        assert_eq!(max.in_units(Precision::Nanosecond), Some(i64::MAX));
        let past = parse_rfc3339("2262-04-11T23:47:16.854775808Z").unwrap();
        assert_eq!(past.in_units(Precision::Nanosecond), None);
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in [
            "",
            "2023-11-14",
            "2023-11-14T22:13:20.000",
            "2023-13-14T22:13:20.000Z",
            "2023-02-29T22:13:20.000Z",
            "2023-11-14T24:13:20.000Z",
            "2023-11-14T22:13:20.Z",
            "2023-11-14T22:13:20.0000000001Z",
            "2023-11-14T22:13:20.000+0800",
            "2023-11-14T22:13:20.000Zx",
            "20231114T221320Z",
            "2023-11-14T22:13:20.000+24:00",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }
}
