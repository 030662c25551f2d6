//! Pattern matching: `LIKE` patterns ([`like_match`]) and a small POSIX-style regular-expression
//! matcher for MATCH/NMATCH ([`Regex`]: literals, `.`, bracket classes (`[a-e]`, `[^0-9]`),
//! anchors `^`/`$`, quantifiers `*`, `+`, `?`, and `\` escapes; unanchored patterns match
//! anywhere in the text).

/// `LIKE` pattern match (`%`, `_`, `\` escapes), iterative with one backtrack point per `%` so
/// patterns with many `%` stay linear-ish.
pub fn like_match(s: &str, pat: &str) -> bool {
    #[derive(Clone, Copy, PartialEq)]
    enum P {
        Any,
        One,
        Lit(char),
    }
    let mut p: Vec<P> = Vec::with_capacity(pat.len());
    let mut it = pat.chars();
    while let Some(c) = it.next() {
        p.push(match c {
            '%' => P::Any,
            '_' => P::One,
            '\\' => match it.next() {
                Some(n) => P::Lit(n),
                None => P::Lit('\\'),
            },
            other => P::Lit(other),
        });
    }
    let t: Vec<char> = s.chars().collect();
    let (mut ti, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match p.get(pi) {
            Some(P::Any) => {
                star = Some((pi, ti));
                pi += 1;
            }
            Some(P::One) => {
                ti += 1;
                pi += 1;
            }
            Some(P::Lit(c)) if *c == t[ti] => {
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
    p[pi..].iter().all(|x| *x == P::Any)
}

#[derive(Debug, Clone)]
enum Atom {
    Char(char),
    Any,
    Class {
        neg: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone)]
struct Piece {
    atom: Atom,
    min: usize,
    max: usize,
}

#[derive(Debug, Clone)]
pub struct Regex {
    pieces: Vec<Piece>,
    start_anchor: bool,
    end_anchor: bool,
}

impl Regex {
    pub fn new(pat: &str) -> Option<Regex> {
        let chars: Vec<char> = pat.chars().collect();
        let mut i = 0;
        let mut start_anchor = false;
        let mut end_anchor = false;
        let mut pieces = Vec::new();
        if chars.first() == Some(&'^') {
            start_anchor = true;
            i = 1;
        }
        while i < chars.len() {
            let c = chars[i];
            if c == '$' && i == chars.len() - 1 {
                end_anchor = true;
                break;
            }
            let atom = match c {
                '.' => {
                    i += 1;
                    Atom::Any
                }
                '\\' => {
                    let n = *chars.get(i + 1)?;
                    i += 2;
                    match n {
                        'd' => Atom::Class {
                            neg: false,
                            ranges: vec![('0', '9')],
                        },
                        'w' => Atom::Class {
                            neg: false,
                            ranges: vec![('a', 'z'), ('A', 'Z'), ('0', '9'), ('_', '_')],
                        },
                        's' => Atom::Class {
                            neg: false,
                            ranges: vec![(' ', ' '), ('\t', '\t'), ('\n', '\n'), ('\r', '\r')],
                        },
                        other => Atom::Char(other),
                    }
                }
                '[' => {
                    i += 1;
                    let neg = chars.get(i) == Some(&'^');
                    if neg {
                        i += 1;
                    }
                    let mut ranges = Vec::new();
                    let mut first = true;
                    loop {
                        let c = *chars.get(i)?;
                        if c == ']' && !first {
                            i += 1;
                            break;
                        }
                        first = false;
                        if chars.get(i + 1) == Some(&'-')
                            && chars.get(i + 2).is_some_and(|&e| e != ']')
                        {
                            ranges.push((c, chars[i + 2]));
                            i += 3;
                        } else {
                            ranges.push((c, c));
                            i += 1;
                        }
                    }
                    Atom::Class { neg, ranges }
                }
                '(' | ')' | '|' | '{' | '}' => return None, // groups/alternation: not supported
                '*' | '+' | '?' => return None,
                other => {
                    i += 1;
                    Atom::Char(other)
                }
            };
            let (min, max) = match chars.get(i) {
                Some('*') => {
                    i += 1;
                    (0, usize::MAX)
                }
                Some('+') => {
                    i += 1;
                    (1, usize::MAX)
                }
                Some('?') => {
                    i += 1;
                    (0, 1)
                }
                _ => (1, 1),
            };
            pieces.push(Piece { atom, min, max });
        }
        Some(Regex {
            pieces,
            start_anchor,
            end_anchor,
        })
    }

    pub fn is_match(&self, text: &str) -> bool {
        let t: Vec<char> = text.chars().collect();
        if self.start_anchor {
            return self.match_at(&t, 0, 0);
        }
        (0..=t.len()).any(|s| self.match_at(&t, s, 0))
    }

    fn match_at(&self, t: &[char], pos: usize, pi: usize) -> bool {
        if pi == self.pieces.len() {
            return !self.end_anchor || pos == t.len();
        }
        let p = &self.pieces[pi];
        let mut count = 0;
        let mut end = pos;
        while count < p.max && end < t.len() && atom_matches(&p.atom, t[end]) {
            count += 1;
            end += 1;
        }
        loop {
            if count >= p.min && self.match_at(t, pos + count, pi + 1) {
                return true;
            }
            if count == 0 {
                return false;
            }
            count -= 1;
        }
    }
}

fn atom_matches(a: &Atom, c: char) -> bool {
    match a {
        Atom::Char(x) => *x == c,
        Atom::Any => true,
        Atom::Class { neg, ranges } => ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *neg,
    }
}

#[cfg(test)]
mod tests {
    use super::Regex;

    #[test]
    fn matches_classes_anchors_and_quantifiers() {
        let r = Regex::new("^[a-e]").unwrap();
        assert!(r.is_match("alpha"));
        assert!(!r.is_match("gamma"));
        assert!(Regex::new("ta$").unwrap().is_match("beta"));
        assert!(Regex::new("a.*a").unwrap().is_match("xalphay"));
        assert!(!Regex::new("^z+q?$").unwrap().is_match("zzqq"));
        assert!(Regex::new("^z+q?$").unwrap().is_match("zzq"));
    }
}
