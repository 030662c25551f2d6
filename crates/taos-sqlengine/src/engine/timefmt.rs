//! `to_char` and `to_timestamp` formats as TDengine 3.3.7.5 reads them (its `ttime.c`): a
//! format is cut into keywords (`YYYY`, `MONTH`, `hh24`, `TZH`…, matched case-sensitively, the
//! case choosing the output's case), separators (one punctuation character each), quoted text
//! and other characters. `to_char` prints keywords with fixed widths (`DAY`/`Month` padded to 9)
//! and copies the rest; `to_timestamp` reads numbers and names leniently: a separator matches
//! any punctuation, other characters skip as many characters of the input, blanks are ignored.

use chrono::{Datelike, NaiveDate, Offset, TimeZone, Timelike};

use crate::types::{Precision, TdError};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kw {
    AmUpper,
    AmDotsUpper,
    AmLower,
    AmDotsLower,
    DayUpper,
    DayTitle,
    DayLower,
    DyUpper,
    DyTitle,
    DyLower,
    DayOfYear,
    DayOfMonth,
    DayOfWeek,
    Hh24,
    Hh12,
    Mi,
    Mm,
    MonthUpper,
    MonthTitle,
    MonthLower,
    MonUpper,
    MonTitle,
    MonLower,
    Ms,
    Us,
    Ns,
    Ss,
    Tzh,
    Yyyy,
    Yyy,
    Yy,
    Y,
}

/// The keywords in the order TDengine tries them (the first whose text starts the rest wins,
/// so `DDD` before `DD` before `D`); the flag says whether it reads digits.
const KEYWORDS: &[(&str, Kw, bool)] = &[
    ("AM", Kw::AmUpper, false),
    ("A.M.", Kw::AmDotsUpper, false),
    ("DAY", Kw::DayUpper, false),
    ("DDD", Kw::DayOfYear, true),
    ("DD", Kw::DayOfMonth, true),
    ("Day", Kw::DayTitle, false),
    ("DY", Kw::DyUpper, false),
    ("Dy", Kw::DyTitle, false),
    ("D", Kw::DayOfWeek, true),
    ("HH24", Kw::Hh24, true),
    ("HH12", Kw::Hh12, true),
    ("HH", Kw::Hh12, true),
    ("MI", Kw::Mi, true),
    ("MM", Kw::Mm, true),
    ("MONTH", Kw::MonthUpper, false),
    ("MON", Kw::MonUpper, false),
    ("Month", Kw::MonthTitle, false),
    ("Mon", Kw::MonTitle, false),
    ("MS", Kw::Ms, true),
    ("NS", Kw::Ns, true),
    ("PM", Kw::AmUpper, false),
    ("P.M.", Kw::AmDotsUpper, false),
    ("SS", Kw::Ss, true),
    ("TZH", Kw::Tzh, false),
    ("US", Kw::Us, true),
    ("YYYY", Kw::Yyyy, true),
    ("YYY", Kw::Yyy, true),
    ("YY", Kw::Yy, true),
    ("Y", Kw::Y, true),
    ("am", Kw::AmLower, false),
    ("a.m.", Kw::AmDotsLower, false),
    ("day", Kw::DayLower, false),
    ("ddd", Kw::DayOfYear, true),
    ("dd", Kw::DayOfMonth, true),
    ("dy", Kw::DyLower, false),
    ("d", Kw::DayOfWeek, true),
    ("hh24", Kw::Hh24, true),
    ("hh12", Kw::Hh12, true),
    ("hh", Kw::Hh12, true),
    ("mi", Kw::Mi, true),
    ("mm", Kw::Mm, true),
    ("month", Kw::MonthLower, false),
    ("mon", Kw::MonLower, false),
    ("ms", Kw::Ms, true),
    ("ns", Kw::Ns, true),
    ("pm", Kw::AmLower, false),
    ("p.m.", Kw::AmDotsLower, false),
    ("ss", Kw::Ss, true),
    ("tzh", Kw::Tzh, false),
    ("us", Kw::Us, true),
    ("yyyy", Kw::Yyyy, true),
    ("yyy", Kw::Yyy, true),
    ("yy", Kw::Yy, true),
    ("y", Kw::Y, true),
];

#[derive(Debug, Clone, PartialEq, Eq)]
enum Node {
    Keyword(Kw, bool),
    /// One punctuation character.
    Separator(u8),
    /// Other text (letters, digits, blanks, quoted text).
    Text(Vec<u8>),
}

fn is_separator(c: u8) -> bool {
    c > 0x20 && c < 0x7f && !c.is_ascii_alphanumeric()
}

fn keyword_at(rest: &[u8]) -> Option<(&'static str, Kw, bool)> {
    let first = *rest.first()?;
    KEYWORDS
        .iter()
        .filter(|(name, _, _)| name.as_bytes()[0] == first)
        .find(|(name, _, _)| rest.starts_with(name.as_bytes()))
        .copied()
}

/// Cuts a format into its nodes.
fn parse_format(fmt: &[u8]) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::new();
    // whether the last node is text that following letters/digits extend
    let mut open_text = false;
    let mut i = 0;
    while i < fmt.len() {
        if let Some((name, kw, digits)) = keyword_at(&fmt[i..]) {
            out.push(Node::Keyword(kw, digits));
            i += name.len();
            open_text = false;
            continue;
        }
        if fmt[i] == b'"' {
            // quoted text, `\` escaping the next character
            open_text = false;
            i += 1;
            let mut text = Vec::new();
            while i < fmt.len() && fmt[i] != b'"' {
                if fmt[i] == b'\\' && i + 1 < fmt.len() {
                    i += 1;
                    if !text.is_empty() {
                        out.push(Node::Text(std::mem::take(&mut text)));
                    }
                }
                text.push(fmt[i]);
                i += 1;
            }
            if !text.is_empty() {
                out.push(Node::Text(text));
            }
            i += 1;
            continue;
        }
        if fmt[i] == b'\\' && i + 1 < fmt.len() {
            i += 1;
            open_text = false;
        }
        let c = fmt[i];
        if open_text && !is_separator(c) {
            if let Some(Node::Text(t)) = out.last_mut() {
                t.push(c);
            }
        } else if is_separator(c) {
            out.push(Node::Separator(c));
            open_text = false;
        } else {
            out.push(Node::Text(vec![c]));
            open_text = true;
        }
        i += 1;
    }
    out
}

const WEEKDAYS: [&str; 7] = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"];
const MONTHS: [&str; 12] = [
    "January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
    "November", "December",
];

/// The broken-down time TDengine formats: seconds and fraction split by C's truncating division
/// (so the fraction of an instant before 1970 is negative), the date in `tz`.
struct Broken {
    date: chrono::DateTime<chrono_tz::Tz>,
    /// Nanoseconds, negative before 1970.
    fsec: i64,
}

fn broken(t: i64, p: Precision, tz: chrono_tz::Tz) -> Option<Broken> {
    let per = p.per_second();
    let utc = chrono::DateTime::from_timestamp(t / per, 0)?;
    Some(Broken { date: utc.with_timezone(&tz), fsec: t % per * (1_000_000_000 / per) })
}

/// `printf("%0*d")` of a value, cut to the width the output advances by.
fn fixed(v: i64, width: usize) -> String {
    let mut s = format!("{:0w$}", v, w = width);
    s.truncate(width);
    s
}

/// `to_char(t, fmt)`.
pub(crate) fn to_char(t: i64, fmt: &str, p: Precision, tz: chrono_tz::Tz) -> Option<String> {
    let b = broken(t, p, tz)?;
    let d = &b.date;
    let wd = d.weekday().num_days_from_sunday() as usize;
    let mon = d.month0() as usize;
    let pm = d.hour() >= 12;
    let mut out = String::new();
    for node in parse_format(fmt.as_bytes()) {
        let kw = match node {
            Node::Keyword(kw, _) => kw,
            Node::Separator(c) => {
                out.push(c as char);
                continue;
            }
            Node::Text(t) => {
                out.push_str(&String::from_utf8_lossy(&t));
                continue;
            }
        };
        let s = match kw {
            Kw::AmUpper => (if pm { "PM" } else { "AM" }).to_string(),
            Kw::AmDotsUpper => (if pm { "P.M." } else { "A.M." }).to_string(),
            Kw::AmLower => (if pm { "pm" } else { "am" }).to_string(),
            Kw::AmDotsLower => (if pm { "p.m." } else { "a.m." }).to_string(),
            Kw::DayOfYear => format!("{:03}", d.ordinal()),
            Kw::DayOfMonth => format!("{:02}", d.day()),
            Kw::DayOfWeek => format!("{}", wd + 1),
            Kw::DayUpper => format!("{:<9}", WEEKDAYS[wd].to_ascii_uppercase()),
            Kw::DayTitle => format!("{:<9}", WEEKDAYS[wd]),
            Kw::DayLower => format!("{:<9}", WEEKDAYS[wd].to_ascii_lowercase()),
            Kw::DyUpper => WEEKDAYS[wd][..3].to_ascii_uppercase(),
            Kw::DyTitle => WEEKDAYS[wd][..3].to_string(),
            Kw::DyLower => WEEKDAYS[wd][..3].to_ascii_lowercase(),
            Kw::Hh24 => format!("{:02}", d.hour()),
            Kw::Hh12 => format!("{:02}", if d.hour() % 12 == 0 { 12 } else { d.hour() % 12 }),
            Kw::Mi => format!("{:02}", d.minute()),
            Kw::Mm => format!("{:02}", mon + 1),
            Kw::MonthUpper => format!("{:<9}", MONTHS[mon].to_ascii_uppercase()),
            Kw::MonthTitle => format!("{:<9}", MONTHS[mon]),
            Kw::MonthLower => format!("{:<9}", MONTHS[mon].to_ascii_lowercase()),
            Kw::MonUpper => MONTHS[mon][..3].to_ascii_uppercase(),
            Kw::MonTitle => MONTHS[mon][..3].to_string(),
            Kw::MonLower => MONTHS[mon][..3].to_ascii_lowercase(),
            Kw::Ss => format!("{:02}", d.second()),
            Kw::Ms => fixed(b.fsec / 1_000_000, 3),
            Kw::Us => fixed(b.fsec / 1_000, 6),
            Kw::Ns => fixed(b.fsec, 9),
            Kw::Tzh => {
                let off = d.offset().fix().local_minus_utc();
                format!("{}{:02}", if off >= 0 { '+' } else { '-' }, off.abs() / 3600)
            }
            Kw::Yyyy => format!("{:04}", d.year()),
            Kw::Yyy => format!("{:03}", d.year() % 1000),
            Kw::Yy => format!("{:02}", d.year() % 100),
            Kw::Y => format!("{}", d.year() % 10),
        };
        out.push_str(&s);
    }
    Some(out)
}

/// `to_timestamp`'s errors: 10246 (the text does not match), 10247 (no such date), 10248 (a day
/// of year without a day of month).
fn mismatch() -> TdError {
    TdError::new(0x2806, "Func to_timestamp failed for format mismatch")
}

fn wrong_timestamp() -> TdError {
    TdError::new(0x2807, "Func to_timestamp failed for wrong timestamp")
}

fn not_supported() -> TdError {
    TdError::new(0x2808, "Func to_timestamp failed for unsupported timestamp format")
}

/// `strtoll` over bytes: value (None on overflow), bytes consumed (0: no number).
fn c_strtoll(s: &[u8]) -> (Option<i64>, usize) {
    let (v, n, range) = super::insert_number::strtoll(s);
    (if range { None } else { Some(v) }, n)
}

/// Reads a number field of `width` digits at `s` as TDengine does (`needs_more`: the next
/// format node reads digits too, so the field takes exactly `width` characters; otherwise it
/// takes every digit there is, or, when fewer than `width` characters are left, all of them).
/// Returns the value and the bytes consumed.
fn read_number(s: &[u8], width: usize, needs_more: bool) -> Option<(i64, usize)> {
    if s.is_empty() {
        return None;
    }
    let (v, used) = if width == 0 {
        let (v, n) = c_strtoll(s);
        (v, n)
    } else if s.len() < width {
        if needs_more {
            return None;
        }
        (c_strtoll(s).0, s.len())
    } else if needs_more {
        let (v, n) = c_strtoll(&s[..width]);
        if n < width {
            return None;
        }
        (v, n)
    } else {
        c_strtoll(s)
    };
    if used == 0 {
        return None;
    }
    let v = v.filter(|v| i32::try_from(*v).is_ok())?;
    Some((v, used))
}

/// The index of the first name that starts `s`, ignoring case.
fn name_at(names: &[&str], s: &[u8], short: bool) -> Option<usize> {
    names.iter().position(|n| {
        let n = if short { &n.as_bytes()[..3] } else { n.as_bytes() };
        s.len() >= n.len() && s[..n.len()].eq_ignore_ascii_case(n)
    })
}

fn adjust_year(y: i64) -> i64 {
    match y {
        0..=69 => y + 2000,
        70..=99 => y + 1900,
        100..=519 => y + 2000,
        520..=999 => y + 1000,
        _ => y,
    }
}

/// `to_timestamp(text, fmt)` in precision `p`, the text read in `tz` (or at the `TZH` it gives).
pub(crate) fn to_timestamp(text: &[u8], fmt: &str, p: Precision, tz: chrono_tz::Tz) -> Result<i64, TdError> {
    let nodes = parse_format(fmt.as_bytes());
    let mut s = text;
    let (mut pm, mut hour12) = (false, false);
    let (mut year, mut mon, mut yday, mut mday) = (0i64, 0i64, 0i64, 1i64);
    let (mut hour, mut min, mut sec) = (0i64, 0i64, 0i64);
    let (mut ms, mut us, mut ns, mut tzh) = (0i64, 0i64, 0i64, 0i64);
    let (mut with_yday, mut with_mday, mut wday) = (false, false, 0i64);
    let skip_blanks = |s: &mut &[u8]| {
        while let Some(c) = s.first() {
            if c.is_ascii_whitespace() || *c == 0x0b {
                *s = &s[1..];
            } else {
                break;
            }
        }
    };
    for (i, node) in nodes.iter().enumerate() {
        skip_blanks(&mut s);
        if s.is_empty() {
            break;
        }
        let needs_more = match nodes.get(i + 1) {
            None | Some(Node::Separator(_)) => false,
            Some(Node::Keyword(_, digits)) => *digits,
            Some(Node::Text(t)) => t.first().is_some_and(u8::is_ascii_digit),
        };
        let kw = match node {
            Node::Separator(_) => {
                if is_separator(s[0]) {
                    s = &s[1..];
                }
                continue;
            }
            Node::Text(t) => {
                // each character that is not blank moves the input one character on
                for c in t.iter().skip_while(|c| c.is_ascii_whitespace()) {
                    if s.is_empty() {
                        break;
                    }
                    if !c.is_ascii_whitespace() {
                        skip_blanks(&mut s);
                        if !s.is_empty() {
                            s = &s[1..];
                        }
                    }
                }
                continue;
            }
            Node::Keyword(kw, _) => *kw,
        };
        let number = |width: usize, s: &mut &[u8]| -> Result<i64, TdError> {
            let (v, used) = read_number(s, width, needs_more).ok_or_else(mismatch)?;
            *s = &s[used..];
            Ok(v)
        };
        match kw {
            Kw::AmDotsUpper | Kw::AmDotsLower => {
                let i = name_at(&["A.M.", "P.M."], s, false).ok_or_else(mismatch)?;
                s = &s[4..];
                pm = i == 1;
                hour12 = true;
            }
            Kw::AmUpper | Kw::AmLower => {
                let i = name_at(&["AM", "PM"], s, false).ok_or_else(mismatch)?;
                s = &s[2..];
                pm = i == 1;
                hour12 = true;
            }
            Kw::Hh12 => {
                let h = number(2, &mut s)?;
                if !(1..=12).contains(&h) {
                    return Err(mismatch());
                }
                hour = h;
                hour12 = true;
            }
            Kw::Hh24 => {
                hour = number(2, &mut s)?;
                hour12 = false;
            }
            Kw::Mi => min = number(2, &mut s)?,
            Kw::Ss => sec = number(2, &mut s)?,
            Kw::Ms | Kw::Us | Kw::Ns => {
                let width = match kw {
                    Kw::Ms => 3,
                    Kw::Us => 6,
                    _ => 9,
                };
                let before = s.len();
                let v = number(width, &mut s)?;
                let len = (before - s.len()).min(width) as u32;
                let v = v * 10i64.pow(width as u32 - len.max(1).min(width as u32));
                match kw {
                    Kw::Ms => ms = v,
                    Kw::Us => us = v,
                    _ => ns = v,
                }
            }
            Kw::Tzh => tzh = number(0, &mut s)?,
            Kw::MonthUpper | Kw::MonthTitle | Kw::MonthLower => {
                let i = name_at(&MONTHS, s, false).ok_or_else(mismatch)?;
                s = &s[MONTHS[i].len()..];
                mon = i as i64;
            }
            Kw::MonUpper | Kw::MonTitle | Kw::MonLower => {
                let i = name_at(&MONTHS, s, true).ok_or_else(mismatch)?;
                s = &s[3..];
                mon = i as i64;
            }
            Kw::Mm => mon = number(2, &mut s)? - 1,
            Kw::DayUpper | Kw::DayTitle | Kw::DayLower => {
                let i = name_at(&WEEKDAYS, s, false).ok_or_else(mismatch)?;
                s = &s[WEEKDAYS[i].len()..];
                wday = i as i64;
            }
            Kw::DyUpper | Kw::DyTitle | Kw::DyLower => {
                wday = name_at(&WEEKDAYS, s, true).ok_or_else(mismatch)? as i64;
                s = &s[3..];
            }
            Kw::DayOfYear => {
                yday = number(3, &mut s)?;
                with_yday = true;
            }
            Kw::DayOfMonth => {
                mday = number(2, &mut s)?;
                with_mday = true;
            }
            Kw::DayOfWeek => wday = number(1, &mut s)?,
            Kw::Yyyy => year = number(4, &mut s)?,
            Kw::Yyy => year = adjust_year(number(3, &mut s)?),
            Kw::Yy => year = adjust_year(number(2, &mut s)?),
            Kw::Y => year = adjust_year(number(1, &mut s)?),
        }
    }
    if with_yday && !with_mday {
        return Err(not_supported());
    }
    if hour12 {
        if pm && hour < 12 {
            hour += 12;
        } else if !pm && hour == 12 {
            hour = 0;
        }
    }
    // the checks of TDengine's checkTm: a weekday and a day of year are read, checked, unused
    let in_range = (0..=11).contains(&mon)
        && (0..=6).contains(&wday)
        && (0..=365).contains(&yday)
        && (0..=31).contains(&mday)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&min)
        && (0..=60).contains(&sec)
        && (-13..=13).contains(&tzh);
    if !in_range {
        return Err(wrong_timestamp());
    }
    // mktime's normalisation: day 0 is the month's eve, Feb 30 is Mar 1, second 60 the next minute
    let first = NaiveDate::from_ymd_opt(year as i32, mon as u32 + 1, 1).ok_or_else(wrong_timestamp)?;
    let local = first.and_hms_opt(0, 0, 0).ok_or_else(wrong_timestamp)?
        + chrono::Duration::days(mday - 1)
        + chrono::Duration::seconds(hour * 3600 + min * 60 + sec);
    let at = tz.from_local_datetime(&local).earliest().ok_or_else(wrong_timestamp)?;
    let per = p.per_second();
    let fsec = ms * 1_000_000 + us * 1_000 + ns;
    let mut t = at.timestamp() * per + fsec / (1_000_000_000 / per);
    if tzh != 0 {
        let gmtoff = at.offset().fix().local_minus_utc() as i64;
        t += (gmtoff - tzh * 3600) * per;
    }
    Ok(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Precision = Precision::Millisecond;

    fn ts(text: &str, fmt: &str) -> Result<i64, u16> {
        to_timestamp(text.as_bytes(), fmt, MS, chrono_tz::UTC).map_err(|e| e.code)
    }

    #[test]
    fn to_char_pads_names_as_tdengine_does() {
        // 2024-02-28 was a Wednesday
        let t = 1_709_078_400_000;
        assert_eq!(to_char(t, "Day Month DD", MS, chrono_tz::UTC).unwrap(), "Wednesday February  28");
        assert_eq!(to_char(t, "DAY Dy dy D DDD DDDD", MS, chrono_tz::UTC).unwrap(), "WEDNESDAY Wed wed 4 059 0594");
        assert_eq!(to_char(t, r#"yy yyy y"x"q \yyyy"#, MS, chrono_tz::UTC).unwrap(), "24 024 4xq y024");
        assert_eq!(to_char(-1, "ss.ms", MS, chrono_tz::UTC).unwrap(), "00.-01");
    }

    #[test]
    fn to_timestamp_reads_leniently() {
        assert_eq!(ts("2024-03-10 12:34:56", "yyyy-mm-dd hh24:mi:ss"), Ok(1_710_074_096_000));
        assert_eq!(ts("10/03/2024", "dd/mm/yyyy"), Ok(1_710_028_800_000));
        assert_eq!(ts("2024-03-10 01:02:03 pm", "yyyy-mm-dd hh12:mi:ss am"), Ok(1_710_075_723_000));
        assert_eq!(ts("March 10 2024", "Month dd yyyy"), Ok(1_710_028_800_000));
        assert_eq!(ts("2024-03-10 12:34:56 +08", "yyyy-mm-dd hh24:mi:ss tzh"), Ok(1_710_045_296_000));
        // Feb 30 rolls over; text that is no number reads as year 0
        assert_eq!(ts("2024-02-30", "yyyy-mm-dd"), Ok(1_709_251_200_000));
        assert_eq!(ts("abc", "yyyy-mm-dd"), Ok(-62_167_219_200_000));
        assert_eq!(ts("20240310", "yyyymmdd"), Ok(1_710_028_800_000));
        // a last field takes every digit: 1234 ms is 1.234 s (checked on 3.3.7.5)
        assert_eq!(ts("2024-03-10 12:34:56.1234", "yyyy-mm-dd hh24:mi:ss.ms"), Ok(1_710_074_097_234));
        assert_eq!(ts("2024-1-5 9:3:7", "yyyy-mm-dd hh24:mi:ss"), Ok(1_704_445_387_000));
        assert_eq!(ts("Wed 2024", "Dy yyyy"), Ok(1_704_067_200_000));
        assert_eq!(ts("2024-01-01 7", "yyyy-mm-dd d"), Err(0x2807));
        assert_eq!(ts("2024 069", "yyyy ddd"), Err(0x2808));
        assert_eq!(ts("2024-13-01", "yyyy-mm-dd"), Err(0x2807));
        assert_eq!(ts("x2024", "yyyy"), Err(0x2806));
        assert_eq!(ts("13:00", "hh12:mi"), Err(0x2806));
    }
}
