//! Recursive-descent parser for TDengine's SQL dialect.
//!
//! Errors follow TDengine's shapes: `9728 syntax error near "<rest of statement>"` where the rest
//! starts at the offending token, `9729 Incomplete SQL statement` when the statement ends too early,
//! `unrecognized token: "<rest>"` for text the lexer cannot read.
//!
//! This module holds the token cursor ([`Parser`]) and the statement dispatch; each kind of
//! statement is parsed in its own module: [`ddl`] (CREATE/DROP/ALTER, column types and options),
//! [`show`] (SHOW), [`insert`] (INSERT and its VALUES), [`select`] (SELECT and its clauses) and
//! [`expr`] (expressions).

mod ddl;
mod expr;
mod insert;
mod select;
mod show;

use crate::sql::ast::*;
use crate::sql::lexer::{tokenize, unescape, Tk, Token};
use crate::types::{code, TdError};

/// Parses the first statement of `sql` (text after a `;` is ignored, as TDengine's REST does).
pub fn parse(sql: &str) -> Result<Statement, TdError> {
    let mut p = Parser::new(sql);
    let st = p.statement()?;
    match p.peek().kind {
        Tk::Eof | Tk::Semi => Ok(st),
        _ => Err(p.err_here()),
    }
}

const RESERVED: &[&str] = &[
    "select",
    "from",
    "where",
    "and",
    "or",
    "not",
    "in",
    "is",
    "null",
    "like",
    "match",
    "nmatch",
    "between",
    "order",
    "by",
    "group",
    "partition",
    "limit",
    "offset",
    "slimit",
    "soffset",
    "interval",
    "sliding",
    "fill",
    "having",
    "union",
    "as",
    "case",
    "when",
    "then",
    "else",
    "end",
    "asc",
    "desc",
    "values",
    "using",
    "tags",
    "join",
    "on",
    "session",
    "state_window",
    "event_window",
    "count_window",
    "inner",
    "left",
    "right",
    "full",
    "true",
    "false",
    "distinct",
    "exists",
    "if",
    "table",
    "stable",
    "database",
    "into",
    "set",
    "with",
    "contains",
    "nulls",
    "all",
    "cast",
    "range",
    "every",
    "outer",
    "semi",
    "anti",
    "asof",
    "window",
    "window_offset",
    "jlimit",
];

pub struct Parser<'a> {
    pub sql: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// `?` placeholders seen in expressions so far (their indexes).
    params: usize,
}

type PResult<T> = Result<T, TdError>;

impl<'a> Parser<'a> {
    pub fn new(sql: &'a str) -> Parser<'a> {
        Parser {
            sql,
            toks: tokenize(sql),
            pos: 0,
            params: 0,
        }
    }

    fn peek(&self) -> Token {
        self.toks[self.pos]
    }

    fn peek_at(&self, n: usize) -> Token {
        self.toks[(self.pos + n).min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Token {
        let t = self.toks[self.pos];
        if self.pos + 1 < self.toks.len() {
            self.pos += 1;
        }
        t
    }

    fn text(&self, t: Token) -> &'a str {
        t.text(self.sql)
    }

    /// The syntax error TDengine reports at the current token.
    pub fn err_here(&self) -> TdError {
        self.err_at(self.peek())
    }

    fn err_at(&self, t: Token) -> TdError {
        match t.kind {
            Tk::Eof | Tk::Semi => {
                // `select * from n;` is fine; reaching the end where more was needed is "incomplete"
                TdError::new(code::PAR_INCOMPLETE_SQL, "Incomplete SQL statement")
            }
            Tk::Bad if matches!(self.sql.as_bytes()[t.start], b'\'' | b'"' | b'`') => TdError::new(
                code::PAR_SYNTAX_ERROR,
                format!("unrecognized token: \"{}\"", self.sql[t.start..].trim_end()),
            ),
            _ => syntax_error_near(self.sql, t.start),
        }
    }

    fn is_kw(&self, kw: &str) -> bool {
        let t = self.peek();
        t.kind == Tk::Ident && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn is_kw_at(&self, n: usize, kw: &str) -> bool {
        let t = self.peek_at(n);
        t.kind == Tk::Ident && self.text(t).eq_ignore_ascii_case(kw)
    }

    fn eat_kw(&mut self, kw: &str) -> bool {
        if self.is_kw(kw) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_kw(&mut self, kw: &str) -> PResult<()> {
        if self.eat_kw(kw) {
            Ok(())
        } else {
            Err(self.err_here())
        }
    }

    fn eat(&mut self, k: Tk) -> bool {
        if self.peek().kind == k {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, k: Tk) -> PResult<Token> {
        if self.peek().kind == k {
            Ok(self.bump())
        } else {
            Err(self.err_here())
        }
    }

    fn is_reserved(&self, t: Token) -> bool {
        t.kind == Tk::Ident
            && RESERVED
                .iter()
                .any(|k| self.text(t).eq_ignore_ascii_case(k))
    }

    /// An identifier: lower-cased when plain, verbatim when back-quoted.
    fn ident(&mut self) -> PResult<String> {
        let t = self.peek();
        match t.kind {
            Tk::Ident if !self.is_reserved(t) => {
                self.bump();
                Ok(self.text(t).to_ascii_lowercase())
            }
            Tk::QuotedIdent => {
                self.bump();
                Ok(self.sql[t.start + 1..t.end - 1].to_string())
            }
            _ => Err(self.err_at(t)),
        }
    }

    /// An identifier that may also be a reserved word (after `.`, in option names…).
    fn any_ident(&mut self) -> PResult<String> {
        let t = self.peek();
        match t.kind {
            Tk::Ident => {
                self.bump();
                Ok(self.text(t).to_ascii_lowercase())
            }
            Tk::QuotedIdent => {
                self.bump();
                Ok(self.sql[t.start + 1..t.end - 1].to_string())
            }
            _ => Err(self.err_at(t)),
        }
    }

    fn table_name(&mut self) -> PResult<TableName> {
        let first = self.ident()?;
        if self.peek().kind == Tk::Dot {
            self.bump();
            let name = self.ident()?;
            Ok(TableName {
                db: Some(first),
                name,
            })
        } else {
            Ok(TableName {
                db: None,
                name: first,
            })
        }
    }

    fn string(&mut self) -> PResult<String> {
        let t = self.peek();
        if t.kind == Tk::Str {
            self.bump();
            Ok(unescape(self.text(t)))
        } else {
            Err(self.err_at(t))
        }
    }

    fn uint(&mut self) -> PResult<u64> {
        let t = self.peek();
        if t.kind == Tk::Int {
            if let Some(v) = parse_int_text(self.text(t)).and_then(|v| u64::try_from(v).ok()) {
                self.bump();
                return Ok(v);
            }
        }
        Err(self.err_at(t))
    }

    /// One statement: dispatches on its first keyword to the module that parses that kind.
    fn statement(&mut self) -> PResult<Statement> {
        let t = self.peek();
        if t.kind == Tk::LParen {
            return Ok(Statement::Query(Box::new(self.query()?)));
        }
        if t.kind != Tk::Ident {
            return Err(self.err_at(t));
        }
        let kw = self.text(t).to_ascii_lowercase();
        match kw.as_str() {
            "select" => Ok(Statement::Query(Box::new(self.query()?))),
            "insert" => self.insert(),
            "create" => self.create(),
            "drop" => self.drop(),
            "use" => {
                self.bump();
                let name = self.ident()?;
                Ok(Statement::Use { name })
            }
            "show" => self.show(),
            "describe" | "desc" => {
                self.bump();
                Ok(Statement::Describe(self.table_name()?))
            }
            "alter" => self.alter(),
            _ => Err(self.err_at(t)),
        }
    }
}

/// `9728 syntax error near "<rest>"`.
pub fn syntax_error_near(sql: &str, at: usize) -> TdError {
    let rest = sql.get(at..).unwrap_or("").trim_end();
    let rest = rest.trim_end_matches(';').trim_end();
    TdError::new(
        code::PAR_SYNTAX_ERROR,
        format!("syntax error near \"{}\"", rest),
    )
}

/// `534 syntax error near '<rest>' (<reason>)` as TDengine's INSERT parser words it.
pub fn insert_error(sql: &str, at: usize, reason: &str) -> TdError {
    let rest = sql.get(at..).unwrap_or("").trim_end();
    insert_syntax_error(rest, reason)
}

/// `534 syntax error near '<near>' (<reason>)`: TDengine quotes at most 63 bytes of `near`.
pub fn insert_syntax_error(near: &str, reason: &str) -> TdError {
    let mut end = near.len().min(63);
    while !near.is_char_boundary(end) {
        end -= 1;
    }
    TdError::new(
        code::TSC_SQL_SYNTAX_ERROR,
        format!("syntax error near '{}' ({})", &near[..end], reason),
    )
}

/// Parses a decimal, `0x` or `0b` integer (no sign).
pub fn parse_int_text(s: &str) -> Option<i128> {
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i128::from_str_radix(h, 16).ok();
    }
    if let Some(h) = s.strip_prefix("0b").or_else(|| s.strip_prefix("0B")) {
        return i128::from_str_radix(h, 2).ok();
    }
    s.parse::<i128>().ok()
}

/// `10s` → (10, 's').
pub fn split_duration(s: &str) -> Option<(i64, char)> {
    let idx = s.find(|c: char| !c.is_ascii_digit())?;
    let v = s[..idx].parse::<i64>().ok()?;
    let unit = s[idx..].chars().next()?.to_ascii_lowercase();
    Some((v, unit))
}

#[cfg(test)]
mod tests;
