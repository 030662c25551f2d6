//! Hand-written lexer for TDengine's SQL dialect. Tokens are byte spans into the statement text,
//! so nothing is allocated per token; error messages quote the statement from a token's start.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tk {
    /// Unquoted identifier or keyword.
    Ident,
    /// `` `quoted identifier` ``.
    QuotedIdent,
    /// `'string'` or `"string"` (escapes still in the text).
    Str,
    /// Decimal integer.
    Int,
    /// `0x1f` or `0b101`: TDengine's grammar takes these only as INSERT values and tag values,
    /// never in expressions (`select 0x10` is a syntax error).
    Radix,
    /// Four dotted integers (`1.2.3.4`): TDengine's IP token, which no statement we keep takes.
    Ip,
    /// `<<`, `>>` or `~`: operators TDengine's tokenizer reads but no expression takes.
    UnusedOp,
    /// Number with a fraction or exponent.
    Float,
    /// Integer immediately followed by a time unit: `10s`, `1d`, `500a`.
    Duration,
    LParen,
    RParen,
    Comma,
    Dot,
    Semi,
    Star,
    Plus,
    Minus,
    Slash,
    Percent,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Arrow,
    Concat,
    BitAnd,
    BitOr,
    Question,
    /// Something the lexer cannot read (unterminated string, stray character, `0x` without
    /// digits, `1.2.3`): TDengine answers `unrecognized token: "<rest>"` when the parser reaches it.
    Bad,
    Eof,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: Tk,
    pub start: usize,
    pub end: usize,
}

impl Token {
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        &sql[self.start..self.end]
    }
}

fn is_ident_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

fn is_ident_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// Time units TDengine accepts after an integer: b(ns) u(us) a(ms) s m h d w n(month) y.
pub fn is_duration_unit(s: &str) -> bool {
    matches!(
        s,
        "b" | "u"
            | "a"
            | "s"
            | "m"
            | "h"
            | "d"
            | "w"
            | "n"
            | "y"
            | "B"
            | "U"
            | "A"
            | "S"
            | "M"
            | "H"
            | "D"
            | "W"
            | "N"
            | "Y"
    )
}

/// Splits `sql` into tokens; the last token is always `Eof`.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let b = sql.as_bytes();
    let mut out = Vec::with_capacity(b.len() / 3 + 4);
    let mut i = 0;
    let n = b.len();
    while i < n {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
            continue;
        }
        // `-- comment` to end of line
        if c == b'-' && i + 1 < n && b[i + 1] == b'-' {
            while i < n && b[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        let kind = if is_ident_start(c) {
            while i < n && is_ident_char(b[i]) {
                i += 1;
            }
            Tk::Ident
        } else if c.is_ascii_digit() || (c == b'.' && i + 1 < n && b[i + 1].is_ascii_digit()) {
            lex_number(b, &mut i)
        } else {
            match c {
                b'\'' | b'"' | b'`' => {
                    // TDengine's tokenizer: a backslash escapes the next byte in strings (not in
                    // quoted identifiers), and a doubled delimiter stands for itself.
                    i += 1;
                    let mut closed = false;
                    while i < n {
                        if c != b'`' && b[i] == b'\\' {
                            i += 2;
                            continue;
                        }
                        if b[i] == c {
                            if i + 1 < n && b[i + 1] == c {
                                i += 2;
                                continue;
                            }
                            i += 1;
                            closed = true;
                            break;
                        }
                        i += 1;
                    }
                    if closed {
                        if c == b'`' {
                            Tk::QuotedIdent
                        } else {
                            Tk::Str
                        }
                    } else {
                        i = n;
                        Tk::Bad
                    }
                }
                _ => {
                    i += 1;
                    let next = if i < n { b[i] } else { 0 };
                    match c {
                        b'(' => Tk::LParen,
                        b')' => Tk::RParen,
                        b',' => Tk::Comma,
                        b'.' => Tk::Dot,
                        b';' => Tk::Semi,
                        b'*' => Tk::Star,
                        b'+' => Tk::Plus,
                        b'-' if next == b'>' => {
                            i += 1;
                            Tk::Arrow
                        }
                        b'-' => Tk::Minus,
                        b'/' => Tk::Slash,
                        b'%' => Tk::Percent,
                        b'=' if next == b'=' => {
                            i += 1;
                            Tk::Eq
                        }
                        b'=' => Tk::Eq,
                        b'!' if next == b'=' => {
                            i += 1;
                            Tk::Ne
                        }
                        b'<' | b'>' if next == c => {
                            i += 1;
                            Tk::UnusedOp
                        }
                        b'<' if next == b'>' => {
                            i += 1;
                            Tk::Ne
                        }
                        b'<' if next == b'=' => {
                            i += 1;
                            Tk::Le
                        }
                        b'<' => Tk::Lt,
                        b'>' if next == b'=' => {
                            i += 1;
                            Tk::Ge
                        }
                        b'>' => Tk::Gt,
                        b'|' if next == b'|' => {
                            i += 1;
                            Tk::Concat
                        }
                        b'|' => Tk::BitOr,
                        b'&' => Tk::BitAnd,
                        b'~' => Tk::UnusedOp,
                        b'?' => Tk::Question,
                        _ => {
                            // keep multi-byte characters whole
                            while i < n && !sql.is_char_boundary(i) {
                                i += 1;
                            }
                            Tk::Bad
                        }
                    }
                }
            }
        };
        out.push(Token {
            kind,
            start,
            end: i,
        });
    }
    out.push(Token {
        kind: Tk::Eof,
        start: n,
        end: n,
    });
    out
}

/// Reads one number the way TDengine's tokenizer does: the token ends where its form ends, so
/// `1e` is `1` then `e`, `1_000` is `1` then `_000`, and `10s` is a duration only when no
/// identifier character follows the unit.
fn lex_number(b: &[u8], i: &mut usize) -> Tk {
    let at = |j: usize| b.get(j).copied().unwrap_or(0);
    let start = *i;
    if at(start) == b'.' {
        // `.5`, `.5e3`
        let mut j = start + 1;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        *i = exponent_end(b, j);
        return Tk::Float;
    }
    if at(start) == b'0' && matches!(at(start + 1), b'x' | b'X' | b'b' | b'B') {
        let hex = matches!(at(start + 1), b'x' | b'X');
        let mut j = start + 2;
        while if hex {
            at(j).is_ascii_hexdigit()
        } else {
            matches!(at(j), b'0' | b'1')
        } {
            j += 1;
        }
        if j == start + 2 {
            // `0x` / `0b2`: TDengine's tokenizer gives up here
            *i = start + 2;
            return Tk::Bad;
        }
        *i = j;
        return Tk::Radix;
    }
    let mut j = start;
    while at(j).is_ascii_digit() {
        j += 1;
    }
    if is_duration_unit_byte(at(j)) && !is_ident_char(at(j + 1)) {
        *i = j + 1;
        return Tk::Duration;
    }
    let mut kind = Tk::Int;
    let mut segments = 1;
    while at(j) == b'.' && at(j + 1).is_ascii_digit() {
        j += 2;
        while at(j).is_ascii_digit() {
            j += 1;
        }
        kind = Tk::Float;
        segments += 1;
    }
    if segments == 4 {
        *i = j;
        return Tk::Ip;
    }
    if segments > 2 {
        *i = j;
        return Tk::Bad;
    }
    if at(j) == b'.' && segments == 1 {
        // `5.` is a float
        kind = Tk::Float;
        j += 1;
    }
    let e = exponent_end(b, j);
    if e != j {
        kind = Tk::Float;
    }
    *i = e;
    kind
}

fn is_duration_unit_byte(c: u8) -> bool {
    c != 0 && c.is_ascii() && is_duration_unit(std::str::from_utf8(&[c]).unwrap_or(""))
}

/// The end of an exponent (`e5`, `E-3`) starting at `j`, or `j` when there is none.
fn exponent_end(b: &[u8], j: usize) -> usize {
    let at = |k: usize| b.get(k).copied().unwrap_or(0);
    if !matches!(at(j), b'e' | b'E') {
        return j;
    }
    let digits = if at(j + 1).is_ascii_digit() {
        j + 1
    } else if matches!(at(j + 1), b'+' | b'-') && at(j + 2).is_ascii_digit() {
        j + 2
    } else {
        return j;
    };
    let mut k = digits;
    while at(k).is_ascii_digit() {
        k += 1;
    }
    k
}

/// The longest start of `s` of at most `max` bytes that ends between characters (TDengine cuts
/// names and quoted text by bytes).
pub(crate) fn byte_prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The content of a string token as TDengine reads it (its `trimString`): a doubled delimiter
/// is one delimiter; `\n \r \t \f \b \\ \' \"` are escapes; `\%`, `\_` and `\x` keep
/// their backslash (LIKE patterns and VARBINARY hex read them later); any other escaped character
/// stands for itself (`\0` is `0`, `\z` is `z`).
pub fn unescape(tok_text: &str) -> String {
    let delim = tok_text.chars().next().unwrap_or('\'');
    let inner = &tok_text[1..tok_text.len() - 1];
    if !inner.contains('\\') && !inner.contains(delim) {
        return inner.to_string();
    }
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == delim && chars.peek() == Some(&delim) {
            chars.next();
            out.push(delim);
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('f') => out.push('\u{0c}'),
            Some('b') => out.push('\u{08}'),
            Some(o @ ('%' | '_' | 'x')) => {
                out.push('\\');
                out.push(o);
            }
            Some(o) => out.push(o),
            None => {}
        }
    }
    out
}

/// What TDengine's client does to a statement before parsing it: ASCII letters outside quotes
/// (`'…'`, `"…"`, `` `…` ``; a backslash escapes inside them) become lower case, so error texts
/// and expression names quote the lowered text.
pub fn client_lowercase(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for c in sql.chars() {
        match quote {
            _ if escaped => escaped = false,
            Some(q) => {
                if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => {
                if matches!(c, '\'' | '"' | '`') {
                    quote = Some(c);
                } else if c.is_ascii_uppercase() {
                    out.push(c.to_ascii_lowercase());
                    continue;
                }
            }
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<Tk> {
        tokenize(s).into_iter().map(|t| t.kind).collect()
    }

    #[test]
    fn lexes_numbers_durations_and_operators() {
        assert_eq!(
            kinds("10s 1.5 1e3 0x10 0b101 12"),
            vec![
                Tk::Duration,
                Tk::Float,
                Tk::Float,
                Tk::Radix,
                Tk::Radix,
                Tk::Int,
                Tk::Eof
            ]
        );
        assert_eq!(
            kinds("a<>b != <= >= -> ="),
            vec![
                Tk::Ident,
                Tk::Ne,
                Tk::Ident,
                Tk::Ne,
                Tk::Le,
                Tk::Ge,
                Tk::Arrow,
                Tk::Eq,
                Tk::Eof
            ]
        );
        assert_eq!(kinds("1corpus_bad"), vec![Tk::Int, Tk::Ident, Tk::Eof]);
        assert_eq!(
            kinds("a << b >> c"),
            vec![
                Tk::Ident,
                Tk::UnusedOp,
                Tk::Ident,
                Tk::UnusedOp,
                Tk::Ident,
                Tk::Eof
            ]
        );
    }

    /// Each number form as TDengine 3.3.7.5's tokenizer splits it (verified with `select <form>`
    /// on a real server: `select 1e` answers a column `e` holding 1).
    #[test]
    fn number_forms_end_where_tdengine_ends_them() {
        let split = |s: &str| -> Vec<(Tk, String)> {
            tokenize(s)
                .into_iter()
                .filter(|t| t.kind != Tk::Eof)
                .map(|t| (t.kind, t.text(s).to_string()))
                .collect()
        };
        let one = |s: &str| vec![(split(s)[0].0, s.to_string())];
        for f in [
            "1.5", "5.", ".5", ".5e1", "1e3", "1E+3", "1e-3", "1.e3", "00012.5",
        ] {
            assert_eq!(split(f), vec![(Tk::Float, f.to_string())], "{f}");
        }
        assert_eq!(one("00012"), vec![(Tk::Int, "00012".into())]);
        assert_eq!(
            split("1e"),
            vec![(Tk::Int, "1".into()), (Tk::Ident, "e".into())]
        );
        assert_eq!(
            split("1.5e"),
            vec![(Tk::Float, "1.5".into()), (Tk::Ident, "e".into())]
        );
        assert_eq!(
            split("1_000"),
            vec![(Tk::Int, "1".into()), (Tk::Ident, "_000".into())]
        );
        assert_eq!(
            split("1e+"),
            vec![
                (Tk::Int, "1".into()),
                (Tk::Ident, "e".into()),
                (Tk::Plus, "+".into())
            ]
        );
        assert_eq!(
            split("1..2"),
            vec![(Tk::Float, "1.".into()), (Tk::Float, ".2".into())]
        );
        assert_eq!(split("10s"), vec![(Tk::Duration, "10s".into())]);
        assert_eq!(
            split("10sx"),
            vec![(Tk::Int, "10".into()), (Tk::Ident, "sx".into())]
        );
        assert_eq!(split("0x1f"), vec![(Tk::Radix, "0x1f".into())]);
        assert_eq!(
            split("0x1g"),
            vec![(Tk::Radix, "0x1".into()), (Tk::Ident, "g".into())]
        );
        assert_eq!(
            split("0b102"),
            vec![(Tk::Radix, "0b10".into()), (Tk::Int, "2".into())]
        );
        assert_eq!(kinds("0x"), vec![Tk::Bad, Tk::Eof]);
        assert_eq!(kinds("0b2")[0], Tk::Bad);
        assert_eq!(kinds("1.2.3")[0], Tk::Bad);
        assert_eq!(kinds("1.2.3.4"), vec![Tk::Ip, Tk::Eof]);
    }

    #[test]
    fn client_lowercases_outside_quotes() {
        assert_eq!(
            client_lowercase("INSERT INTO T VALUES (NULL, 'It''s', \"A\\\"B\", `Mixed`)"),
            "insert into t values (null, 'It''s', \"A\\\"B\", `Mixed`)"
        );
    }

    #[test]
    fn strings_and_quoted_identifiers() {
        let sql = "'it\\'s' `Mixed Case` \"dq\"";
        let t = tokenize(sql);
        assert_eq!(t[0].kind, Tk::Str);
        assert_eq!(unescape(t[0].text(sql)), "it's");
        assert_eq!(t[1].kind, Tk::QuotedIdent);
        assert_eq!(t[2].kind, Tk::Str);
        assert_eq!(kinds("'unterminated"), vec![Tk::Bad, Tk::Eof]);
        assert_eq!(unescape("'\\x61'"), "\\x61");
        let doubled = "'it''s' x";
        let t = tokenize(doubled);
        assert_eq!((t[0].kind, t[1].kind), (Tk::Str, Tk::Ident));
        assert_eq!(unescape(t[0].text(doubled)), "it's");
        assert_eq!(unescape(r#""say ""hi""""#), r#"say "hi""#);
        assert_eq!(unescape(r"'\0\z\%\_\b'"), "0z\\%\\_\u{08}");
    }
}
