//! Pattern matching as TDengine 3.3.7.5 does it.
//!
//! `LIKE` ([`LikePattern`]): `%` any run, `_` one unit, ASCII letters compare without case
//! (`'abc' like 'A%'` is true), and a backslash escapes only `%`, `_` and itself — before any
//! other character it is a literal backslash. A VARCHAR is matched byte by byte (`_` is one
//! byte of a UTF-8 character), an NCHAR character by character.
//!
//! `MATCH`/`NMATCH` ([`Regex`]): POSIX extended regular expressions as glibc's `regcomp`
//! reads them in a UTF-8 locale, case-sensitive, matching anywhere unless anchored. They are
//! translated into the `regex` crate's syntax: a backslash before an ordinary letter or digit
//! is that character (`\d` is `d`), GNU's `\w \W \s \S \b \B \< \>` keep their meaning,
//! backslashes inside brackets are literal, an unmatched `)` is literal, `{,n}` is `{0,n}`.
//! An empty pattern matches nothing. Back-references are refused by name.

/// A compiled LIKE pattern.
#[derive(Debug, Clone)]
pub struct LikePattern {
    units: Vec<Unit>,
    /// VARCHAR: compare bytes; NCHAR and the rest: characters.
    bytes: bool,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Unit {
    Any,
    One,
    Lit(u32),
}

fn fold(c: u32) -> u32 {
    if (b'A' as u32..=b'Z' as u32).contains(&c) {
        c + 32
    } else {
        c
    }
}

impl LikePattern {
    pub fn new(pat: &str, bytes: bool) -> LikePattern {
        let src: Vec<u32> = if bytes {
            pat.bytes().map(u32::from).collect()
        } else {
            pat.chars().map(u32::from).collect()
        };
        let (pct, under, bslash) = ('%' as u32, '_' as u32, '\\' as u32);
        let mut units = Vec::with_capacity(src.len());
        let mut i = 0;
        while i < src.len() {
            let c = src[i];
            i += 1;
            if c == bslash && i < src.len() && [pct, under, bslash].contains(&src[i]) {
                units.push(Unit::Lit(fold(src[i])));
                i += 1;
                continue;
            }
            units.push(match c {
                c if c == pct => Unit::Any,
                c if c == under => Unit::One,
                c => Unit::Lit(fold(c)),
            });
        }
        LikePattern { units, bytes }
    }

    pub fn matches(&self, s: &str) -> bool {
        let text: Vec<u32> = if self.bytes {
            s.bytes().map(u32::from).collect()
        } else {
            s.chars().map(u32::from).collect()
        };
        wildcard(&self.units, &text)
    }
}

/// Iterative wildcard matching with one backtrack point per `%`, so many `%` stay cheap.
fn wildcard(p: &[Unit], t: &[u32]) -> bool {
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(Unit::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(Unit::One) => {
                ti += 1;
                pi += 1;
            }
            Some(Unit::Lit(c)) if *c == fold(t[ti]) => {
                ti += 1;
                pi += 1;
            }
            _ => match star {
                Some((sp, st)) => {
                    pi = sp + 1;
                    ti = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            },
        }
    }
    p[pi..].iter().all(|x| *x == Unit::Any)
}

/// `LIKE` on characters (NCHAR semantics).
pub fn like_match(s: &str, pat: &str) -> bool {
    LikePattern::new(pat, false).matches(s)
}

/// Why a MATCH pattern is not taken.
#[derive(Debug, Clone, PartialEq)]
pub enum RegexError {
    /// glibc's `regcomp` refuses it: TDengine answers 9857.
    Syntax,
    /// Valid POSIX that this engine does not evaluate (named).
    Unsupported(&'static str),
}

#[derive(Debug, Clone)]
pub struct Regex {
    /// None: the empty pattern, which matches nothing.
    re: Option<regex::Regex>,
}

impl Regex {
    pub fn new(pat: &str) -> Result<Regex, RegexError> {
        if pat.is_empty() {
            return Ok(Regex { re: None });
        }
        let translated = translate(pat)?;
        regex::Regex::new(&translated)
            .map(|re| Regex { re: Some(re) })
            .map_err(|_| RegexError::Syntax)
    }

    pub fn is_match(&self, text: &str) -> bool {
        self.re.as_ref().is_some_and(|r| r.is_match(text))
    }
}

/// POSIX ERE (glibc's reading) → the `regex` crate's syntax.
fn translate(pat: &str) -> Result<String, RegexError> {
    let c: Vec<char> = pat.chars().collect();
    let mut out = String::with_capacity(pat.len() + 8);
    let mut i = 0;
    let mut open_groups = 0usize;
    let mut groups_seen = 0usize;
    // whether the previous item can take a quantifier
    let mut quantifiable = false;
    while i < c.len() {
        let ch = c[i];
        match ch {
            '\\' => {
                let Some(&n) = c.get(i + 1) else {
                    return Err(RegexError::Syntax); // trailing backslash
                };
                i += 2;
                match n {
                    'w' | 'W' | 's' | 'S' | 'b' | 'B' | '<' | '>' => {
                        out.push('\\');
                        out.push(n);
                    }
                    '`' => out.push_str(r"\A"),
                    '\'' => out.push_str(r"\z"),
                    '1'..='9' => {
                        if (n as usize - '0' as usize) > groups_seen {
                            return Err(RegexError::Syntax);
                        }
                        return Err(RegexError::Unsupported("back-references in match patterns"));
                    }
                    other => push_literal(&mut out, other),
                }
                quantifiable = !matches!(n, 'b' | 'B' | '<' | '>' | '`' | '\'');
            }
            '[' => {
                i = bracket(&c, i, &mut out)?;
                quantifiable = true;
            }
            '(' => {
                if c.get(i + 1) == Some(&'?') {
                    return Err(RegexError::Syntax);
                }
                open_groups += 1;
                groups_seen += 1;
                out.push('(');
                i += 1;
                quantifiable = false;
            }
            ')' => {
                if open_groups == 0 {
                    out.push_str(r"\)");
                } else {
                    open_groups -= 1;
                    out.push(')');
                }
                i += 1;
                quantifiable = true;
            }
            '*' | '+' | '?' => {
                if !quantifiable {
                    // `*a`, `(*a)`, `a|*b`: nothing to repeat
                    return Err(RegexError::Syntax);
                }
                out.push(ch);
                i += 1;
                // glibc takes `a**`, `a+?` as repeated repetition; the crate does not
                while i < c.len() && matches!(c[i], '*' | '+' | '?') {
                    if c[i] != '*' || ch != '*' {
                        // rarer forms are refused rather than guessed
                        return Err(RegexError::Unsupported("stacked repetition operators"));
                    }
                    i += 1;
                }
                quantifiable = true;
            }
            '{' => {
                if !quantifiable {
                    return Err(RegexError::Syntax);
                }
                let close = c[i..]
                    .iter()
                    .position(|&x| x == '}')
                    .ok_or(RegexError::Syntax)?
                    + i;
                let body: String = c[i + 1..close].iter().collect();
                let (lo, hi) = match body.split_once(',') {
                    Some((a, b)) => (a.trim().to_string(), Some(b.trim().to_string())),
                    None => (body.trim().to_string(), None),
                };
                let num = |s: &str| s.is_empty() || s.chars().all(|d| d.is_ascii_digit());
                if !num(&lo)
                    || hi.as_deref().is_some_and(|h| !num(h))
                    || (lo.is_empty() && hi.is_none())
                {
                    return Err(RegexError::Syntax);
                }
                let lo = if lo.is_empty() { "0".to_string() } else { lo };
                match hi {
                    Some(h) => out.push_str(&format!("{{{},{}}}", lo, h)),
                    None => out.push_str(&format!("{{{}}}", lo)),
                }
                i = close + 1;
                quantifiable = true;
            }
            '|' => {
                out.push('|');
                i += 1;
                quantifiable = false;
            }
            '^' => {
                out.push('^');
                i += 1;
                quantifiable = false;
            }
            '$' => {
                out.push('$');
                i += 1;
                quantifiable = false;
            }
            '.' => {
                out.push('.');
                i += 1;
                quantifiable = true;
            }
            other => {
                push_literal(&mut out, other);
                i += 1;
                quantifiable = true;
            }
        }
    }
    if open_groups > 0 {
        return Err(RegexError::Syntax);
    }
    Ok(out)
}

fn push_literal(out: &mut String, ch: char) {
    if ch.is_ascii_punctuation() || ch == ' ' {
        out.push_str(&regex::escape(&ch.to_string()));
    } else {
        out.push(ch);
    }
}

/// Translates the bracket expression starting at `c[start] == '['`; returns the index after it.
fn bracket(c: &[char], start: usize, out: &mut String) -> Result<usize, RegexError> {
    let mut i = start + 1;
    out.push('[');
    if c.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let ch = *c.get(i).ok_or(RegexError::Syntax)?;
        if ch == ']' && !first {
            out.push(']');
            return Ok(i + 1);
        }
        first = false;
        if ch == '[' && matches!(c.get(i + 1), Some(':' | '=' | '.')) {
            let kind = c[i + 1];
            let end = (i + 2..c.len().saturating_sub(1))
                .find(|&k| c[k] == kind && c[k + 1] == ']')
                .ok_or(RegexError::Syntax)?;
            if kind != ':' {
                return Err(RegexError::Unsupported(
                    "collating elements and equivalence classes",
                ));
            }
            let name: String = c[i + 2..end].iter().collect();
            const CLASSES: &[&str] = &[
                "alpha", "digit", "alnum", "upper", "lower", "space", "punct", "print", "graph",
                "cntrl", "blank", "xdigit",
            ];
            if !CLASSES.contains(&name.as_str()) {
                return Err(RegexError::Syntax);
            }
            out.push_str(&format!("[:{}:]", name));
            i = end + 2;
            continue;
        }
        // inside brackets every character is itself, backslash included
        match ch {
            '\\' | '[' | ']' | '&' | '~' | '^' => {
                out.push('\\');
                out.push(ch);
            }
            '-' => {
                // a range operator between two characters, else a literal
                let is_range = !out.ends_with('[')
                    && !out.ends_with("[^")
                    && c.get(i + 1).is_some_and(|&n| n != ']');
                if is_range {
                    out.push('-');
                } else {
                    out.push_str(r"\-");
                }
            }
            _ => out.push(ch),
        }
        i += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::{LikePattern, Regex, RegexError};

    fn like(s: &str, p: &str) -> bool {
        LikePattern::new(p, true).matches(s)
    }

    fn re(p: &str, s: &str) -> bool {
        Regex::new(p).unwrap().is_match(s)
    }

    /// Verified on TDengine 3.3.7.5 (`select v from t where v like …`).
    #[test]
    fn like_ignores_ascii_case_and_escapes_only_wildcards() {
        assert!(like("ABC", "abc"));
        assert!(like("abc", "A%"));
        assert!(like("a_c", "a\\_c"));
        assert!(!like("abc", "a\\_c"));
        assert!(like("a\\c", "a\\c"), "a backslash before c is itself");
        assert!(like("a\\c", "a\\\\c"));
        assert!(like("%", "\\%"));
        assert!(!like("", "_"));
        assert!(like(&"a".repeat(200), &"%a".repeat(50)));
        // VARCHAR `_` is one byte of UTF-8; NCHAR's is one character
        assert!(like("中文", "______"));
        assert!(!like("中文", "__"));
        assert!(LikePattern::new("中_", false).matches("中文"));
    }

    #[test]
    fn match_reads_posix_extended_as_glibc() {
        assert!(re("^a", "abc"));
        assert!(!re("^A", "abc"));
        assert!(re("\\d", "hello world"), "\\d is the letter d");
        assert!(re("[[:upper:]]", "ABC"));
        assert!(re("[\\]", "a\\c"));
        assert!(re("(a|b)\\\\c", "a\\c"));
        assert!(re("a)", "a)"));
        assert!(re("a{,3}", "x"));
        assert!(re("^.{2}$", "中文"));
        assert!(re("a**", "b"));
        assert!(!re("", "anything"));
        for bad in ["(?i)abc", "[", "a{2", "[a-", "(a", "*a", "\\1"] {
            assert_eq!(Regex::new(bad).err(), Some(RegexError::Syntax), "{bad}");
        }
        assert!(matches!(
            Regex::new("(a)\\1"),
            Err(RegexError::Unsupported(_))
        ));
    }
}
