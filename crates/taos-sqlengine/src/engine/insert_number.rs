//! How TDengine's INSERT and TAGS parser reads a number into an integer, unsigned, floating or
//! BOOL column. The rules depend on how the value was written (a decimal integer token, a float
//! token, `0x…`/`0b…`, or a quoted string) and follow the C library's `strtoll`/`strtoull`/
//! `strtod` that TDengine calls: a string may start with blanks but not end with them, `'1.5'`
//! rounds on its first fraction digit, `'1e2'` and `'0x10'` are numbers, a float token is
//! rounded, an integer token must fit without rounding.

/// How a value was written in the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// A decimal integer token, sign included (`-12`).
    Integer,
    /// A float token (`1.5`, `1e3`, `.5`).
    Float,
    /// `0x…` or `0b…`, sign included.
    Radix,
    /// A quoted string (its content) or a `true`/`false` keyword.
    Text,
}

/// The prefix `strtoll`/`strtoull` read: (magnitude, negative, bytes consumed, overflowed).
/// Nothing consumed when there are no digits.
fn c_integer_prefix(s: &[u8]) -> (u128, bool, usize, bool) {
    let mut i = 0;
    while i < s.len() && matches!(s[i], b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let mut neg = false;
    if i < s.len() && matches!(s[i], b'+' | b'-') {
        neg = s[i] == b'-';
        i += 1;
    }
    let digits = i;
    let mut v: u128 = 0;
    let mut big = false;
    while i < s.len() && s[i].is_ascii_digit() {
        v = v * 10 + (s[i] - b'0') as u128;
        if v > u64::MAX as u128 {
            big = true;
            v = u64::MAX as u128 + 1;
        }
        i += 1;
    }
    if i == digits {
        return (0, false, 0, false);
    }
    (v, neg, i, big)
}

/// `strtoll`: saturating value, consumed bytes, ERANGE.
pub(crate) fn strtoll(s: &[u8]) -> (i64, usize, bool) {
    let (m, neg, n, big) = c_integer_prefix(s);
    if neg {
        if big || m > i64::MAX as u128 + 1 {
            (i64::MIN, n, true)
        } else {
            (-(m as i128) as i64, n, false)
        }
    } else if big || m > i64::MAX as u128 {
        (i64::MAX, n, true)
    } else {
        (m as i64, n, false)
    }
}

/// `strtoull`: a minus sign negates in unsigned arithmetic, as C does.
pub(crate) fn strtoull(s: &[u8]) -> (u64, usize, bool) {
    let (m, neg, n, big) = c_integer_prefix(s);
    if big {
        return (u64::MAX, n, true);
    }
    let v = m as u64;
    (if neg { v.wrapping_neg() } else { v }, n, false)
}

/// `strtod` (as glibc reads decimal text, `inf`/`infinity`/`nan` and `0x` integers): value,
/// consumed bytes, ERANGE (overflow to infinity, or a non-zero value too small for a normal
/// double).
pub fn strtod(s: &[u8]) -> (f64, usize, bool) {
    let at = |k: usize| s.get(k).copied().unwrap_or(0);
    let mut i = 0;
    while matches!(at(i), b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c) {
        i += 1;
    }
    let sign_at = i;
    let neg = at(i) == b'-';
    if matches!(at(i), b'+' | b'-') {
        i += 1;
    }
    let word = |w: &str, k: usize| {
        s.len() >= k + w.len() && s[k..k + w.len()].eq_ignore_ascii_case(w.as_bytes())
    };
    let signed = |v: f64| if neg { -v } else { v };
    if word("infinity", i) {
        return (signed(f64::INFINITY), i + 8, false);
    }
    if word("inf", i) {
        return (signed(f64::INFINITY), i + 3, false);
    }
    if word("nan", i) {
        return (f64::NAN, i + 3, false);
    }
    if at(i) == b'0' && matches!(at(i + 1), b'x' | b'X') && at(i + 2).is_ascii_hexdigit() {
        let mut k = i + 2;
        let mut v = 0f64;
        while at(k).is_ascii_hexdigit() {
            v = v * 16.0 + (at(k) as char).to_digit(16).unwrap_or(0) as f64;
            k += 1;
        }
        return (signed(v), k, v.is_infinite());
    }
    let mantissa = i;
    let mut nonzero = false;
    while at(i).is_ascii_digit() {
        nonzero |= at(i) != b'0';
        i += 1;
    }
    let mut digits = i - mantissa;
    if at(i) == b'.' {
        i += 1;
        let f = i;
        while at(i).is_ascii_digit() {
            nonzero |= at(i) != b'0';
            i += 1;
        }
        digits += i - f;
    }
    if digits == 0 {
        return (0.0, 0, false);
    }
    if matches!(at(i), b'e' | b'E') {
        let mut k = i + 1;
        if matches!(at(k), b'+' | b'-') {
            k += 1;
        }
        if at(k).is_ascii_digit() {
            while at(k).is_ascii_digit() {
                k += 1;
            }
            i = k;
        }
    }
    let text = std::str::from_utf8(&s[sign_at..i]).unwrap_or("0");
    let v: f64 = text.parse().unwrap_or(0.0);
    let range = v.is_infinite() || (nonzero && v.abs() < f64::MIN_POSITIVE);
    (v, i, range)
}

/// A sign, then `0b…`, `0x…` or (when `float`) any decimal number, all of the text.
fn sign_and_unsigned(s: &[u8], float: bool) -> Option<(bool, u64)> {
    let (neg, body) = match s.first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        c if *c == b'.' || c.is_ascii_digit() => (false, s),
        _ => return None,
    };
    if body.is_empty() {
        return None;
    }
    if body.len() > 2 && body[0] == b'0' {
        if matches!(body[1], b'b' | b'B') {
            let bits = &body[2..];
            let bits = &bits[bits.iter().take_while(|&&c| c == b'0').count()..];
            if bits.len() > 64 {
                return None;
            }
            let mut v = 0u64;
            for &c in bits {
                match c {
                    b'0' => v <<= 1,
                    b'1' => v = (v << 1) | 1,
                    _ => return None,
                }
            }
            return Some((neg, v));
        }
        if matches!(body[1], b'x' | b'X') {
            let hex = &body[2..];
            if hex.is_empty() || !hex.iter().all(|c| c.is_ascii_hexdigit()) {
                return None;
            }
            return u64::from_str_radix(std::str::from_utf8(hex).ok()?, 16)
                .ok()
                .map(|v| (neg, v));
        }
    }
    if !float {
        return None;
    }
    let (v, n, range) = strtod(body);
    if range || n != body.len() || v > u64::MAX as f64 || v.is_nan() {
        return None;
    }
    Some((neg, c_double_to_u64(v.round().max(0.0))))
}

/// `(uint64_t)d` as TDengine's x86-64 build computes it: 2^64 itself (which passes the range
/// check, `u64::MAX as f64` being 2^64) wraps to 0 (`1.8446744073709552e19` is stored as 0).
fn c_double_to_u64(d: f64) -> u64 {
    if d >= 18_446_744_073_709_551_616.0 {
        0
    } else {
        d as u64
    }
}

/// `'12.5'` after `strtoll` stopped at the dot: only digits may follow, and the first of them
/// rounds the integer away from zero.
fn rounds_up_at_dot(s: &[u8], dot: usize) -> Option<bool> {
    let frac = &s[dot + 1..];
    if !frac.iter().all(|c| c.is_ascii_digit()) {
        return None;
    }
    Some(frac.first().is_some_and(|&c| c > b'4'))
}

/// The value for a signed integer column (range checks per type are the caller's).
pub fn to_integer(text: &str, how: Written) -> Option<i64> {
    let s = text.as_bytes();
    match how {
        Written::Integer => {
            let (v, n, range) = strtoll(s);
            return (!range && n == s.len()).then_some(v);
        }
        Written::Float => {
            let (v, n, range) = strtod(s);
            let r = v.round();
            if !(i64::MIN as f64..=i64::MAX as f64).contains(&r) || range || n != s.len() {
                return None;
            }
            return Some(r as i64);
        }
        Written::Radix | Written::Text => {}
    }
    if s.is_empty() {
        return None;
    }
    let (v, n, range) = strtoll(s);
    if n == s.len() {
        return (!range).then_some(v);
    }
    if !range && s[n] == b'.' {
        if let Some(up) = rounds_up_at_dot(s, n) {
            let negative = s.iter().find(|&&c| c != b' ') == Some(&b'-');
            return Some(match (up, negative) {
                (true, true) => v.saturating_sub(1),
                (true, false) => v.saturating_add(1),
                _ => v,
            });
        }
    }
    let (neg, u) = sign_and_unsigned(s, true)?;
    if neg {
        (u <= i64::MAX as u64 + 1).then(|| (u as i64).wrapping_neg())
    } else {
        (u <= i64::MAX as u64).then_some(u as i64)
    }
}

/// The value for an unsigned column (range checks per type are the caller's).
pub fn to_unsigned(text: &str, how: Written) -> Option<u64> {
    let s = text.as_bytes();
    let minus = s.first() == Some(&b'-');
    match how {
        Written::Integer => {
            let (v, n, range) = strtoull(s);
            return (!(minus && v != 0) && !range && n == s.len()).then_some(v);
        }
        Written::Float => {
            let (v, n, range) = strtod(s);
            let r = v.round();
            if r < 0.0 || r > u64::MAX as f64 || range || n != s.len() {
                return None;
            }
            return Some(c_double_to_u64(r));
        }
        Written::Radix | Written::Text => {}
    }
    if s.is_empty() {
        return None;
    }
    let (v, n, range) = strtoull(s);
    if n == s.len() {
        return (!range && !(minus && v != 0)).then_some(v);
    }
    if !range && s[n] == b'.' {
        if let Some(up) = rounds_up_at_dot(s, n) {
            let v = if up && v < u64::MAX { v + 1 } else { v };
            return (!(minus && v != 0)).then_some(v);
        }
    }
    match sign_and_unsigned(s, true) {
        Some((true, 0)) => Some(0),
        Some((true, _)) => None,
        Some((false, v)) => Some(v),
        None => None,
    }
}

/// The value for a FLOAT or DOUBLE column (infinity and NaN are the caller's to refuse).
pub fn to_double(text: &str, how: Written) -> Option<f64> {
    let s = text.as_bytes();
    if s.is_empty() {
        return None;
    }
    let (v, n, range) = strtod(s);
    if range {
        return None;
    }
    if n == s.len() {
        return Some(v);
    }
    if matches!(how, Written::Radix | Written::Text) {
        let (neg, u) = sign_and_unsigned(s, false)?;
        return Some(if neg { -(u as f64) } else { u as f64 });
    }
    None
}

/// The value for a BOOL column: `true`/`false` in any case, else any number (non-zero is true).
pub fn to_bool(text: &str, how: Written) -> Option<bool> {
    match how {
        Written::Text if text.is_empty() => None,
        Written::Text if text.eq_ignore_ascii_case("true") => Some(true),
        Written::Text if text.eq_ignore_ascii_case("false") => Some(false),
        Written::Integer => Some(strtoll(text.as_bytes()).0 != 0),
        Written::Float => Some(strtod(text.as_bytes()).0 != 0.0),
        Written::Text | Written::Radix => to_double(text, how).map(|v| v != 0.0),
    }
}

#[cfg(test)]
mod tests {
    use super::Written::*;
    use super::*;

    /// Verified on TDengine 3.3.7.5: `insert into t (ts, i) values (…, <form>)` into an INT
    /// column stores these values (None: `invalid int data`).
    #[test]
    fn integer_columns_read_tokens_and_strings_like_tdengine() {
        assert_eq!(to_integer("12", Integer), Some(12));
        assert_eq!(to_integer("-0", Integer), Some(0));
        assert_eq!(to_integer("9223372036854775808", Integer), None);
        assert_eq!(to_integer("1.5", Float), Some(2));
        assert_eq!(to_integer("-1.5", Float), Some(-2));
        assert_eq!(to_integer("1e2", Float), Some(100));
        assert_eq!(to_integer("0x10", Radix), Some(16));
        assert_eq!(to_integer("-0x10", Radix), Some(-16));
        assert_eq!(to_integer("0b101", Radix), Some(5));
        assert_eq!(to_integer("' 5 '", Text), None);
        assert_eq!(to_integer(" 5", Text), Some(5));
        assert_eq!(to_integer(" 5 ", Text), None);
        assert_eq!(to_integer("1.5", Text), Some(2));
        assert_eq!(to_integer("1.4", Text), Some(1));
        assert_eq!(to_integer("-1.5", Text), Some(-2));
        assert_eq!(to_integer("1.", Text), Some(1));
        assert_eq!(to_integer("1e2", Text), Some(100));
        assert_eq!(to_integer("0x10", Text), Some(16));
        assert_eq!(to_integer("abc", Text), None);
        assert_eq!(to_integer("", Text), None);
        assert_eq!(to_integer("true", Text), None);
    }

    #[test]
    fn unsigned_columns_refuse_negatives_but_minus_zero() {
        assert_eq!(to_unsigned("-1", Integer), None);
        assert_eq!(to_unsigned("-0", Integer), Some(0));
        assert_eq!(to_unsigned("18446744073709551615", Integer), Some(u64::MAX));
        assert_eq!(to_unsigned("18446744073709551616", Integer), None);
        assert_eq!(to_unsigned("0xFFFFFFFFFFFFFFFF", Radix), Some(u64::MAX));
        assert_eq!(to_unsigned("1e19", Float), Some(10_000_000_000_000_000_000));
        assert_eq!(to_unsigned("2e19", Float), None);
        assert_eq!(to_unsigned("-0.4", Float), Some(0));
        assert_eq!(to_unsigned("-1", Text), None);
        assert_eq!(to_unsigned("18446744073709551615", Text), Some(u64::MAX));
    }

    #[test]
    fn doubles_refuse_out_of_range_and_subnormal_text() {
        assert_eq!(to_double("1e308", Float), Some(1e308));
        assert_eq!(to_double("1e400", Float), None);
        assert_eq!(to_double("1e-400", Float), None);
        assert_eq!(to_double("5e-324", Float), None);
        assert_eq!(to_double("0x10", Radix), Some(16.0));
        assert_eq!(to_double("0b11", Radix), Some(3.0));
        assert_eq!(to_double("-1.5e3", Text), Some(-1500.0));
        assert!(to_double("inf", Text).unwrap().is_infinite());
        assert!(to_double("nan", Text).unwrap().is_nan());
        assert_eq!(to_double("true", Text), None);
        assert_eq!(to_double(" 5 ", Text), None);
    }

    #[test]
    fn bools_take_words_and_numbers() {
        assert_eq!(to_bool("TRUE", Text), Some(true));
        assert_eq!(to_bool("f", Text), None);
        assert_eq!(to_bool("yes", Text), None);
        assert_eq!(to_bool("0.5", Float), Some(true));
        assert_eq!(to_bool("2", Integer), Some(true));
        assert_eq!(to_bool("0x1", Radix), Some(true));
        assert_eq!(to_bool("0", Text), Some(false));
    }
}
