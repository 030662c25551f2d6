//! INSERT: target tables (with `USING … TAGS` and column lists), VALUES rows, `INSERT … SELECT`.

use crate::sql::ast::*;
use crate::sql::lexer::{unescape, Tk};
use crate::types::{code, TdError};

use super::{insert_error, split_duration, syntax_error_near, PResult, Parser};

impl<'a> Parser<'a> {
    /// INSERT as TDengine's insert parser reads it, table by table. Without a current
    /// database that parser answers 512 `db is not specified` at the first table or super
    /// table named without one, before anything after the name (3.3.7.5: `insert into t
    /// values (` is 512, not 9729); the tables before it are read (and their values checked)
    /// first. The statement then ends at that table, left to the engine to answer.
    pub(super) fn insert(&mut self) -> PResult<Statement> {
        self.bump();
        self.expect_kw("into")?;
        // otherwise TDengine's grammar reads it: a name without a database is 9750 there
        let by_insert_parser = self.read_by_insert_parser();
        let stops_without_db = !self.has_db && by_insert_parser;
        let mut items = Vec::new();
        loop {
            let named = self.peek().kind != Tk::Question;
            let table = if !named {
                // `insert into ? …` (stmt): the name comes with the bound data
                self.bump();
                TableName {
                    db: None,
                    name: "?".to_string(),
                }
            } else if by_insert_parser {
                // its tokenizer's keywords are not names there (`insert into values …`)
                let t = self.peek();
                if !(t.kind == Tk::QuotedIdent || t.kind == Tk::Ident && !self.is_keyword(t)) {
                    return Err(insert_error(self.sql, t.start, "table_name is expected"));
                }
                self.table_name_cond()?
            } else {
                self.table_name()?
            };
            let after_name = self.toks[self.pos - 1].end;
            let db_missing = stops_without_db && named;
            if db_missing && table.db.is_none() {
                items.push(InsertTable::named_only(table, None, after_name));
                self.pos = self.toks.len() - 1;
                break;
            }
            let mut using = None;
            let mut columns = None;
            if self.peek().kind == Tk::LParen {
                columns = Some(self.name_list()?);
            }
            if self.eat_kw("using") {
                let stable = self.table_name_cond()?;
                if db_missing && stable.db.is_none() {
                    let using = Using { stable, tag_names: None, tags: vec![], tags_close: after_name };
                    items.push(InsertTable::named_only(table, Some(using), after_name));
                    self.pos = self.toks.len() - 1;
                    break;
                }
                let tag_names = if self.peek().kind == Tk::LParen && self.peek_at(1).kind == Tk::RParen {
                    // `using st () tags ()`: no tag named, all NULL
                    self.bump();
                    self.bump();
                    Some(Vec::new())
                } else if self.peek().kind == Tk::LParen {
                    Some(self.name_list()?)
                } else {
                    None
                };
                self.expect_kw("tags")?;
                let tags = self.value_row()?;
                if let Some(at) = tags.broken {
                    return Err(insert_error(self.sql, at, "syntax error"));
                }
                let tags_close = tags.close;
                let tags = tags.vals;
                using = Some(Using {
                    stable,
                    tag_names,
                    tags,
                    tags_close,
                });
                if columns.is_none() && self.peek().kind == Tk::LParen {
                    columns = Some(self.name_list()?);
                }
            }
            if self.is_kw("select") && using.is_none() {
                let q = self.query()?;
                items.push(InsertTable {
                    table,
                    using,
                    columns,
                    rows: vec![],
                    query: Some(Box::new(q)),
                    from_file: false,
                    after_name,
                });
                break;
            }
            if self.eat_kw("file") {
                let path = self.peek();
                if path.kind != Tk::Str {
                    return Err(self.err_at(path));
                }
                self.bump();
                items.push(InsertTable {
                    table,
                    using,
                    columns,
                    rows: vec![],
                    query: None,
                    from_file: true,
                    after_name,
                });
                if !matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent) {
                    break;
                }
                continue;
            }
            if !self.eat_kw("values") {
                if self.is_kw("select") {
                    return Err(syntax_error_near(self.sql, self.peek().start));
                }
                return Err(self.err_here());
            }
            let mut rows = Vec::new();
            let mut broken = false;
            while self.peek().kind == Tk::LParen {
                let row = self.value_row()?;
                broken = row.broken.is_some();
                rows.push(row);
                if broken {
                    break;
                }
                self.eat(Tk::Comma);
            }
            if rows.is_empty() {
                return Err(TdError::new(
                    code::TSC_SQL_SYNTAX_ERROR,
                    "syntax error near 'no any data points'",
                ));
            }
            items.push(InsertTable {
                table,
                using,
                columns,
                rows,
                query: None,
                from_file: false,
                after_name,
            });
            if broken {
                // the rest of the statement is never read; the engine answers at the break
                self.pos = self.toks.len() - 1;
                break;
            }
            if !matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent) {
                break;
            }
        }
        Ok(Statement::Insert(items))
    }

    /// Whether TDengine reads this INSERT with its own insert parser rather than its grammar
    /// (`qIsInsertValuesSql`): USING, VALUES or FILE comes before any SELECT.
    fn read_by_insert_parser(&self) -> bool {
        self.toks[self.pos..]
            .iter()
            .filter(|t| t.kind == Tk::Ident)
            .map(|t| self.text(*t))
            .take_while(|w| !w.eq_ignore_ascii_case("select"))
            .any(|w| ["using", "values", "file"].iter().any(|k| w.eq_ignore_ascii_case(k)))
    }

    pub(super) fn value_row(&mut self) -> PResult<InsRow> {
        self.expect(Tk::LParen)?;
        let mut vals = Vec::new();
        if self.peek().kind == Tk::RParen {
            let close = self.bump().start;
            return Ok(InsRow {
                vals,
                close,
                broken: None,
            });
        }
        loop {
            vals.push(self.ins_value()?);
            let t = self.peek();
            match t.kind {
                Tk::Comma => {
                    self.bump();
                }
                Tk::RParen => {
                    self.bump();
                    return Ok(InsRow {
                        vals,
                        close: t.start,
                        broken: None,
                    });
                }
                Tk::Eof => return Err(self.err_at(t)),
                _ => {
                    return Ok(InsRow {
                        vals,
                        close: t.start,
                        broken: Some(t.start),
                    })
                }
            }
        }
    }

    pub(super) fn ins_value(&mut self) -> PResult<InsVal> {
        let t = self.peek();
        let pos = t.start;
        let base = match t.kind {
            Tk::Str => {
                self.bump();
                InsValKind::Str(unescape(self.text(t)))
            }
            Tk::Int | Tk::Float | Tk::Radix => {
                self.bump();
                InsValKind::Number {
                    start: t.start,
                    end: t.end,
                    form: num_form(t.kind),
                }
            }
            // a sign belongs to the number only when nothing separates them (`-1`, not `- 1`)
            Tk::Minus | Tk::Plus
                if matches!(self.peek_at(1).kind, Tk::Int | Tk::Float | Tk::Radix)
                    && self.peek_at(1).start == t.end =>
            {
                self.bump();
                let n = self.bump();
                if self.text(n).starts_with('.') {
                    // TDengine's INSERT reader has no signed `.25` (`+.25`, `-.5e1`); its message
                    // quotes the reason where the text usually goes
                    return Err(TdError::new(
                        code::TSC_SQL_SYNTAX_ERROR,
                        "syntax error near 'invalid data or symbol'",
                    ));
                }
                InsValKind::Number {
                    start: t.start,
                    end: n.end,
                    form: num_form(n.kind),
                }
            }
            Tk::Question => {
                self.bump();
                InsValKind::Param
            }
            Tk::Ident => {
                let w = self.text(t).to_ascii_lowercase();
                match w.as_str() {
                    "null" => {
                        self.bump();
                        InsValKind::Null
                    }
                    "true" | "false" => {
                        self.bump();
                        InsValKind::Bool(w == "true")
                    }
                    "now" | "today" => {
                        self.bump();
                        if self.peek().kind == Tk::LParen && self.peek_at(1).kind == Tk::RParen {
                            self.bump();
                            self.bump();
                        }
                        if w == "now" {
                            InsValKind::Now
                        } else {
                            InsValKind::Today
                        }
                    }
                    _ => {
                        self.skip_value();
                        return Ok(InsVal {
                            kind: InsValKind::Invalid,
                            pos,
                        });
                    }
                }
            }
            Tk::Eof => return Err(self.err_at(t)),
            _ => {
                self.skip_value();
                return Ok(InsVal {
                    kind: InsValKind::Invalid,
                    pos,
                });
            }
        };
        // `'…' + 14s`, `now - 1d`
        let op = self.peek();
        if matches!(op.kind, Tk::Plus | Tk::Minus) {
            let d = self.peek_at(1);
            if d.kind == Tk::Duration && !matches!(base, InsValKind::Bool(_) | InsValKind::Null) {
                self.bump();
                self.bump();
                let (value, unit) = split_duration(self.text(d)).ok_or_else(|| self.err_at(d))?;
                return Ok(InsVal {
                    kind: InsValKind::Offset {
                        base: Box::new(InsVal { kind: base, pos }),
                        negative: op.kind == Tk::Minus,
                        value,
                        unit,
                    },
                    pos,
                });
            }
        }
        Ok(InsVal { kind: base, pos })
    }

    #[allow(dead_code)]
    /// Skips the tokens of one value (up to `,` or `)` at depth 0).
    pub(super) fn skip_value(&mut self) {
        let mut depth = 0i32;
        loop {
            let t = self.peek();
            match t.kind {
                Tk::Eof => return,
                Tk::LParen => depth += 1,
                Tk::RParen if depth == 0 => return,
                Tk::RParen => depth -= 1,
                Tk::Comma if depth == 0 => return,
                _ => {}
            }
            self.bump();
        }
    }
}

fn num_form(k: Tk) -> NumForm {
    match k {
        Tk::Float => NumForm::Float,
        Tk::Radix => NumForm::Radix,
        _ => NumForm::Integer,
    }
}
