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
    /// Decimal integer (also `0x..`/`0b..` — see [`Token::is_radix`]).
    Int,
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
    /// Something the lexer cannot read (unterminated string, stray character, `1abc`).
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

fn lex_number(b: &[u8], i: &mut usize) -> Tk {
    let n = b.len();
    let start = *i;
    if b[start] == b'0' && start + 1 < n && matches!(b[start + 1], b'x' | b'X' | b'b' | b'B') {
        let hex = matches!(b[start + 1], b'x' | b'X');
        let mut j = start + 2;
        while j < n
            && (if hex {
                b[j].is_ascii_hexdigit()
            } else {
                b[j] == b'0' || b[j] == b'1'
            })
        {
            j += 1;
        }
        if j > start + 2 && !(j < n && is_ident_char(b[j])) {
            *i = j;
            return Tk::Int;
        }
    }
    let mut float = false;
    while *i < n && b[*i].is_ascii_digit() {
        *i += 1;
    }
    if *i < n && b[*i] == b'.' {
        float = true;
        *i += 1;
        while *i < n && b[*i].is_ascii_digit() {
            *i += 1;
        }
    }
    if *i < n && (b[*i] == b'e' || b[*i] == b'E') {
        let mut j = *i + 1;
        if j < n && (b[j] == b'+' || b[j] == b'-') {
            j += 1;
        }
        if j < n && b[j].is_ascii_digit() {
            while j < n && b[j].is_ascii_digit() {
                j += 1;
            }
            *i = j;
            float = true;
        }
    }
    if *i < n && is_ident_char(b[*i]) {
        let us = *i;
        while *i < n && is_ident_char(b[*i]) {
            *i += 1;
        }
        let unit = std::str::from_utf8(&b[us..*i]).unwrap_or("");
        if !float && is_duration_unit(unit) {
            return Tk::Duration;
        }
        return Tk::Bad;
    }
    if float {
        Tk::Float
    } else {
        Tk::Int
    }
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
                Tk::Int,
                Tk::Int,
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
        assert_eq!(kinds("1corpus_bad"), vec![Tk::Bad, Tk::Eof]);
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
