//! A JSON reader over the bytes of a REST answer that loses nothing: numbers are handed out as
//! their text (a BIGINT UNSIGNED of 18446744073709551615 stays exact, where a reader into f64
//! would round it), strings are decoded straight into the caller's buffer, and any value can be
//! taken as its raw text (JSON columns). Every read is bounds-checked: a truncated or malformed
//! answer is an error naming the byte offset, never a panic.

use crate::error::{Error, Result};

/// Nesting deeper than this is refused instead of recursing further (JSON tag values are small).
const MAX_DEPTH: usize = 256;

pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

/// What a value starts with, to dispatch on without consuming it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Object,
    Array,
    String,
    Number,
    True,
    False,
    Null,
}

impl<'a> Reader<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Reader { bytes, pos: 0 }
    }

    pub fn pos(&self) -> usize {
        self.pos
    }

    pub fn at_end(&mut self) -> bool {
        self.skip_ws();
        self.pos >= self.bytes.len()
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    /// The error for what stands at the current position: truncation when the input ended.
    pub fn unexpected(&self, expected: &str) -> Error {
        match self.bytes.get(self.pos) {
            None => Error::result(format!(
                "the answer ends early: expected {expected} at byte {} but the body has only {} bytes (truncated?)",
                self.pos,
                self.bytes.len()
            )),
            Some(_) => Error::result(format!(
                "the answer is not valid JSON: expected {expected} at byte {}, found `{}`",
                self.pos,
                excerpt(&self.bytes[self.pos..], 24)
            )),
        }
    }

    /// The kind of the next value (whitespace skipped, nothing consumed).
    pub fn peek(&mut self) -> Result<Kind> {
        self.skip_ws();
        Ok(match self.bytes.get(self.pos) {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b'-' | b'0'..=b'9') => Kind::Number,
            Some(b't') => Kind::True,
            Some(b'f') => Kind::False,
            Some(b'n') => Kind::Null,
            _ => return Err(self.unexpected("a value")),
        })
    }

    /// Consumes `byte` (after whitespace) or fails.
    pub fn expect(&mut self, byte: u8) -> Result<()> {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{}`", byte as char)))
        }
    }

    /// Consumes `byte` if it comes next (after whitespace).
    pub fn eat(&mut self, byte: u8) -> bool {
        self.skip_ws();
        if self.bytes.get(self.pos) == Some(&byte) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// After the first element of an array or object: `,` → true (another element follows),
    /// `close` → false.
    pub fn next_element(&mut self, close: u8) -> Result<bool> {
        self.skip_ws();
        match self.bytes.get(self.pos) {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(&b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(&format!("`,` or `{}`", close as char))),
        }
    }

    /// `true`, `false` or `null`.
    pub fn literal(&mut self) -> Result<Kind> {
        let kind = self.peek()?;
        let word: &[u8] = match kind {
            Kind::True => b"true",
            Kind::False => b"false",
            Kind::Null => b"null",
            _ => return Err(self.unexpected("true, false or null")),
        };
        if self.bytes.get(self.pos..self.pos + word.len()) == Some(word) {
            self.pos += word.len();
            Ok(kind)
        } else {
            Err(self.unexpected(std::str::from_utf8(word).unwrap_or("a literal")))
        }
    }

    /// A number as its text, checked against JSON's grammar.
    pub fn number(&mut self) -> Result<&'a str> {
        self.skip_ws();
        let start = self.pos;
        let b = self.bytes;
        let mut i = start;
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        i = match b.get(i) {
            Some(b'0') => i + 1,
            _ => self.digits(i, "a digit")?,
        };
        if b.get(i) == Some(&b'.') {
            i = self.digits(i + 1, "a digit after `.`")?;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            i = self.digits(i, "a digit in the exponent")?;
        }
        self.pos = i;
        // Only ASCII was accepted above.
        Ok(std::str::from_utf8(&b[start..i]).unwrap_or_default())
    }

    /// The end of the run of digits starting at `from`, which must hold at least one.
    fn digits(&mut self, from: usize, expected: &str) -> Result<usize> {
        let end = from + self.bytes.get(from..).unwrap_or_default().iter().take_while(|c| c.is_ascii_digit()).count();
        if end == from {
            self.pos = from;
            return Err(self.unexpected(expected));
        }
        Ok(end)
    }

    /// A string, decoded (escapes resolved, UTF-8 checked) and appended to `out`.
    pub fn string_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.expect(b'"')?;
        let b = self.bytes;
        loop {
            // Copy the run up to the next quote, backslash or control character at once.
            let run = b[self.pos..].iter().position(|&c| c == b'"' || c == b'\\' || c < 0x20);
            let Some(n) = run else {
                self.pos = b.len();
                return Err(self.unexpected("the end of a string"));
            };
            let chunk = &b[self.pos..self.pos + n];
            if std::str::from_utf8(chunk).is_err() {
                return Err(Error::result(format!("the answer has a string that is not UTF-8 near byte {}", self.pos)));
            }
            out.extend_from_slice(chunk);
            self.pos += n;
            match b[self.pos] {
                b'"' => {
                    self.pos += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape_into(out)?;
                }
                _ => return Err(self.unexpected("an escaped control character")),
            }
        }
    }

    /// A string as owned text.
    pub fn string(&mut self) -> Result<String> {
        let mut out = Vec::new();
        self.string_into(&mut out)?;
        // string_into only appends checked UTF-8.
        String::from_utf8(out).map_err(|_| Error::result("the answer has a string that is not UTF-8"))
    }

    fn escape_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        let Some(&c) = self.bytes.get(self.pos) else { return Err(self.unexpected("an escape")) };
        self.pos += 1;
        let simple = match c {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                let unit = self.hex4()?;
                let ch = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate must be followed by `\u` and a low one.
                    if self.bytes.get(self.pos..self.pos + 2) != Some(b"\\u") {
                        return Err(self.unexpected("the low half of a surrogate pair"));
                    }
                    self.pos += 2;
                    let low = self.hex4()?;
                    if !(0xDC00..0xE000).contains(&low) {
                        return Err(self.unexpected("a low surrogate"));
                    }
                    char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00))
                } else {
                    char::from_u32(unit)
                };
                // A lone low surrogate is not a character: Go writes U+FFFD instead, so do we.
                let ch = ch.unwrap_or(char::REPLACEMENT_CHARACTER);
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
                return Ok(());
            }
            _ => {
                self.pos -= 1;
                return Err(self.unexpected("a valid escape"));
            }
        };
        out.push(simple);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let Some(digits) = self.bytes.get(self.pos..self.pos + 4) else {
            self.pos = self.bytes.len();
            return Err(self.unexpected("four hex digits"));
        };
        let text = std::str::from_utf8(digits).ok().filter(|t| t.bytes().all(|c| c.is_ascii_hexdigit()));
        let value = text.and_then(|t| u32::from_str_radix(t, 16).ok()).ok_or_else(|| self.unexpected("four hex digits"))?;
        self.pos += 4;
        Ok(value)
    }

    /// Skips one value, checking it, and returns its raw text.
    pub fn raw_value(&mut self) -> Result<&'a [u8]> {
        self.skip_ws();
        let start = self.pos;
        self.skip_value(0)?;
        Ok(&self.bytes[start..self.pos])
    }

    fn skip_value(&mut self, depth: usize) -> Result<()> {
        if depth > MAX_DEPTH {
            return Err(Error::result(format!("the answer nests deeper than {MAX_DEPTH} levels at byte {}", self.pos)));
        }
        match self.peek()? {
            Kind::Object => {
                self.pos += 1;
                if self.eat(b'}') {
                    return Ok(());
                }
                loop {
                    self.skip_string()?;
                    self.expect(b':')?;
                    self.skip_value(depth + 1)?;
                    if !self.next_element(b'}')? {
                        return Ok(());
                    }
                }
            }
            Kind::Array => {
                self.pos += 1;
                if self.eat(b']') {
                    return Ok(());
                }
                loop {
                    self.skip_value(depth + 1)?;
                    if !self.next_element(b']')? {
                        return Ok(());
                    }
                }
            }
            Kind::String => self.skip_string(),
            Kind::Number => self.number().map(|_| ()),
            Kind::True | Kind::False | Kind::Null => self.literal().map(|_| ()),
        }
    }

    fn skip_string(&mut self) -> Result<()> {
        // Validation costs the same as decoding; the decoded text is dropped.
        let mut sink = Vec::new();
        self.string_into(&mut sink)
    }
}

/// Up to `max` characters of `bytes` for an error message, control characters shown as `�`.
pub(crate) fn excerpt(bytes: &[u8], max: usize) -> String {
    let text = String::from_utf8_lossy(&bytes[..bytes.len().min(max * 4)]);
    let mut out: String = text.chars().take(max).map(|c| if c.is_control() { '\u{FFFD}' } else { c }).collect();
    if text.chars().count() > max || bytes.len() > max * 4 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(json: &str) -> Result<String> {
        Reader::new(json.as_bytes()).string()
    }

    #[test]
    fn numbers_keep_their_text() {
        for n in ["18446744073709551615", "-9223372036854775808", "0", "-0.5e-300", "1e+21", "3.5", "12345678901234567890123"] {
            let mut r = Reader::new(n.as_bytes());
            assert_eq!(r.number().unwrap(), n);
            assert!(r.at_end());
        }
        for bad in ["-", "01x", "1.", "1e", ".5", "+1", "1e+"] {
            let mut r = Reader::new(bad.as_bytes());
            let ok = r.number().is_ok() && r.at_end();
            assert!(!ok, "{bad} accepted");
        }
    }

    #[test]
    fn strings_resolve_every_escape() {
        assert_eq!(text(r#""a\"b\\c\/d\b\f\n\r\t""#).unwrap(), "a\"b\\c/d\u{8}\u{c}\n\r\t");
        assert_eq!(text(r#""\u00e9\u4e2d\ud83d\ude00\u003c""#).unwrap(), "é中😀<");
        assert_eq!(text("\"温度°C😀\"").unwrap(), "温度°C😀");
        assert_eq!(text(r#""\udc00x""#).unwrap(), "\u{FFFD}x");
        for bad in [r#""\ud83d""#, r#""\ud83dx""#, r#""\x""#, "\"a\nb\"", r#""\u12""#, r#""abc"#, r#""\"#] {
            assert!(text(bad).is_err(), "{bad:?} accepted");
        }
        assert!(Reader::new(b"\"\xff\"").string().is_err());
    }

    #[test]
    fn raw_values_are_checked_and_exact() {
        let json = r#" {"b":true,"k":"v","n":1.5,"u":"中","z":null,"a":[1,{"x":[]}]} , 7"#;
        let mut r = Reader::new(json.as_bytes());
        assert_eq!(r.raw_value().unwrap(), r#"{"b":true,"k":"v","n":1.5,"u":"中","z":null,"a":[1,{"x":[]}]}"#.as_bytes());
        assert!(r.next_element(b']').unwrap());
        assert_eq!(r.raw_value().unwrap(), b"7");
        for bad in ["{", "[1,", r#"{"a"}"#, r#"{"a":}"#, "[1 2]", "tru", "nul", "{1:2}", "[,]"] {
            assert!(Reader::new(bad.as_bytes()).raw_value().is_err(), "{bad} accepted");
        }
        let deep = "[".repeat(10_000);
        let e = Reader::new(deep.as_bytes()).raw_value().unwrap_err();
        assert!(e.message.contains("deeper"), "{e}");
    }

    #[test]
    fn truncation_is_named_as_such() {
        let e = Reader::new(br#"{"a":[1,2"#).raw_value().unwrap_err();
        assert!(e.message.contains("ends early") && e.message.contains("truncated"), "{e}");
        let e = Reader::new(br#"{"a":x}"#).raw_value().unwrap_err();
        assert!(e.message.contains("not valid JSON") && e.message.contains("byte 5"), "{e}");
    }
}
