//! Week numbers and weekdays as TDengine 3.3.7.5 computes `week`, `weekofyear`, `weekday` and
//! `dayofweek` (MySQL's WEEK modes 0–7: bit 1 Monday starts the week, bit 2 weeks count from 1,
//! bit 4 the first week is the one holding the first day of the week, else the one with four
//! days of the new year; `weekofyear` is mode 3).

const MONDAY_FIRST: u32 = 1;
const FROM_ONE: u32 = 2;
const INCLUDE_FIRST_DAY: u32 = 4;

/// Days since the calendar's year 0 (the count the week rules step by).
fn day_number(year: i64, month: i64, day: i64) -> i64 {
    if year == 0 && month == 0 {
        return 0;
    }
    let mut y = year;
    let mut n = 365 * y + 31 * (month - 1) + day;
    if month <= 2 {
        y -= 1;
    } else {
        n -= (month * 4 + 23) / 10;
    }
    n + y / 4 - ((y / 100 + 1) * 3) / 4
}

fn days_in_year(year: i64) -> i64 {
    let leap = if year % 100 == 0 { year % 400 == 0 } else { year % 4 == 0 };
    if leap {
        366
    } else {
        365
    }
}

/// 0 = the week's first day, for a day number.
fn weekday_of(day_number: i64, sunday_first: bool) -> i64 {
    (day_number + 5 + sunday_first as i64) % 7
}

/// `week(date, mode)`.
pub(crate) fn week(year: i64, month: i64, day: i64, mode: u32) -> i64 {
    // modes without MONDAY_FIRST count the first week the other way round
    let flags = if mode & MONDAY_FIRST != 0 { mode } else { mode ^ INCLUDE_FIRST_DAY };
    let monday_first = flags & MONDAY_FIRST != 0;
    let mut from_one = flags & FROM_ONE != 0;
    let first_day_rule = flags & INCLUDE_FIRST_DAY != 0;
    let late_start = |wd: i64| (first_day_rule && wd != 0) || (!first_day_rule && wd >= 4);

    let mut year = year;
    let n = day_number(year, month, day);
    let mut first = day_number(year, 1, 1);
    let mut wd = weekday_of(first, !monday_first);
    if month == 1 && day <= 7 - wd {
        if !from_one && late_start(wd) {
            return 0;
        }
        from_one = true;
        year -= 1;
        let days = days_in_year(year);
        first -= days;
        wd = (wd + 53 * 7 - days) % 7;
    }
    let days = if late_start(wd) { n - (first + (7 - wd)) } else { n - (first - wd) };
    if from_one && days >= 52 * 7 {
        let next = (wd + days_in_year(year)) % 7;
        if (!first_day_rule && next < 4) || (first_day_rule && next == 0) {
            return 1;
        }
    }
    days / 7 + 1
}

#[cfg(test)]
mod tests {
    use super::week;

    #[test]
    fn the_eight_modes_on_new_years_day_2023() {
        // a Sunday (recorded from 3.3.7.5: 1, 0, 1, 52, 1, 0, 1, 52)
        let got: Vec<i64> = (0..8).map(|m| week(2023, 1, 1, m)).collect();
        assert_eq!(got, vec![1, 0, 1, 52, 1, 0, 1, 52]);
    }

    #[test]
    fn iso_weeks_cross_years() {
        assert_eq!(week(2021, 1, 3, 3), 53);
        assert_eq!(week(2020, 12, 31, 3), 53);
        assert_eq!(week(2024, 12, 30, 3), 1);
        assert_eq!(week(2024, 1, 7, 3), 1);
    }
}
