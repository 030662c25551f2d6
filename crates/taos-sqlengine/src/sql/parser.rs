//! Recursive-descent parser for TDengine's SQL dialect.
//!
//! Errors follow TDengine's shapes: `9728 syntax error near "<rest of statement>"` where the rest
//! starts at the offending token, `9729 Incomplete SQL statement` when the statement ends too early,
//! `unrecognized token: "<rest>"` for text the lexer cannot read.

use super::ast::*;
use super::lexer::{tokenize, unescape, Tk, Token};
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
];

/// Functions that may be called with `()`.
const NILADIC: &[&str] = &[
    "now",
    "today",
    "database",
    "server_version",
    "client_version",
    "server_status",
    "timezone",
    "current_user",
    "user",
    "pi",
    "rand",
    "_wstart",
    "_wend",
    "_wduration",
    "_qstart",
    "_qend",
    "_qduration",
    "_irowts",
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

    // ------------------------------------------------------------------ statements

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

    fn db_options(&mut self) -> PResult<Vec<(String, DbOptVal, usize)>> {
        const KNOWN: &[&str] = &[
            "precision",
            "keep",
            "duration",
            "buffer",
            "wal_level",
            "cachemodel",
            "cachesize",
            "vgroups",
            "comp",
            "minrows",
            "maxrows",
            "pages",
            "pagesize",
            "replica",
            "wal_fsync_period",
            "strict",
            "single_stable",
            "stt_trigger",
            "tsdb_pagesize",
            "wal_retention_period",
            "wal_retention_size",
            "wal_roll_period",
            "wal_segment_size",
            "table_prefix",
            "table_suffix",
            "keep_time_offset",
            "encrypt_algorithm",
            "s3_chunkpages",
            "s3_keeplocal",
            "s3_compact",
            "compact_interval",
            "compact_time_range",
            "compact_time_offset",
            "dnodes",
        ];
        let mut out = Vec::new();
        while self.peek().kind == Tk::Ident {
            let t = self.peek();
            let name = self.text(t).to_ascii_lowercase();
            if !KNOWN.contains(&name.as_str()) {
                return Err(self.err_at(t));
            }
            self.bump();
            self.eat(Tk::Eq);
            let mut vals = vec![self.db_opt_value()?];
            while self.peek().kind == Tk::Comma {
                self.bump();
                vals.push(self.db_opt_value()?);
            }
            let v = if vals.len() == 1 {
                vals.pop().unwrap()
            } else {
                DbOptVal::List(vals)
            };
            out.push((name, v, t.start));
        }
        Ok(out)
    }

    fn db_opt_value(&mut self) -> PResult<DbOptVal> {
        let t = self.peek();
        match t.kind {
            Tk::Int => {
                let v = parse_int_text(self.text(t))
                    .and_then(|v| i64::try_from(v).ok())
                    .ok_or_else(|| self.err_at(t))?;
                self.bump();
                Ok(DbOptVal::Int(v))
            }
            Tk::Minus if self.peek_at(1).kind == Tk::Int => {
                self.bump();
                let t2 = self.bump();
                let v = parse_int_text(self.text(t2))
                    .and_then(|v| i64::try_from(v).ok())
                    .ok_or_else(|| self.err_at(t2))?;
                Ok(DbOptVal::Int(-v))
            }
            Tk::Str => {
                self.bump();
                Ok(DbOptVal::Str(unescape(self.text(t))))
            }
            Tk::Duration => {
                self.bump();
                let (v, u) = split_duration(self.text(t)).ok_or_else(|| self.err_at(t))?;
                Ok(DbOptVal::Duration(v, u))
            }
            Tk::Ident => {
                self.bump();
                Ok(DbOptVal::Str(self.text(t).to_string()))
            }
            _ => Err(self.err_at(t)),
        }
    }

    fn create(&mut self) -> PResult<Statement> {
        self.bump(); // create
        if self.eat_kw("database") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.ident()?;
            let options = self.db_options()?;
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
                options,
            });
        }
        if self.eat_kw("topic") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.ident()?;
            self.expect_kw("as")?;
            let source = if self.eat_kw("database") {
                TopicSource::Database(self.ident()?)
            } else if self.eat_kw("stable") {
                let name = self.table_name()?;
                let where_ = if self.eat_kw("where") {
                    Some(self.expr()?)
                } else {
                    None
                };
                TopicSource::Stable { name, where_ }
            } else {
                TopicSource::Query(Box::new(self.query()?))
            };
            return Ok(Statement::CreateTopic {
                name,
                if_not_exists,
                source,
            });
        }
        if self.eat_kw("stable") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.table_name()?;
            let columns = self.column_defs()?;
            self.expect_kw("tags")?;
            let tags = self.column_defs()?;
            self.table_options()?;
            return Ok(Statement::CreateStable {
                name,
                if_not_exists,
                columns,
                tags,
            });
        }
        if self.eat_kw("table") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.table_name()?;
            if self.is_kw("using") {
                let mut out = vec![self.create_child_rest(name, if_not_exists)?];
                // `create table a using st tags (…) [if not exists] b using st tags (…)`
                while matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent) {
                    let ine = self.if_not_exists()?;
                    let n = self.table_name()?;
                    out.push(self.create_child_rest(n, ine)?);
                }
                return Ok(Statement::CreateChildren(out));
            }
            let columns = self.column_defs()?;
            if self.eat_kw("tags") {
                let tags = self.column_defs()?;
                self.table_options()?;
                return Ok(Statement::CreateStable {
                    name,
                    if_not_exists,
                    columns,
                    tags,
                });
            }
            self.table_options()?;
            return Ok(Statement::CreateTable {
                name,
                if_not_exists,
                columns,
            });
        }
        Err(self.err_here())
    }

    fn create_child_rest(&mut self, name: TableName, if_not_exists: bool) -> PResult<CreateChild> {
        self.expect_kw("using")?;
        let stable = self.table_name()?;
        let tag_names = if self.peek().kind == Tk::LParen {
            Some(self.name_list()?)
        } else {
            None
        };
        self.expect_kw("tags")?;
        let tags = self.value_row()?.vals;
        self.table_options()?;
        Ok(CreateChild {
            name,
            if_not_exists,
            stable,
            tag_names,
            tags,
        })
    }

    /// Table options (`comment 'x'`, `ttl 10`, …) are accepted and ignored.
    fn table_options(&mut self) -> PResult<()> {
        loop {
            let t = self.peek();
            if t.kind != Tk::Ident {
                return Ok(());
            }
            let w = self.text(t).to_ascii_lowercase();
            match w.as_str() {
                "comment" | "ttl" | "watermark" | "max_delay" | "delete_mark" | "sma"
                | "rollup" => {
                    self.bump();
                    if self.peek().kind == Tk::LParen {
                        self.skip_parens()?;
                    } else {
                        let v = self.bump();
                        if matches!(v.kind, Tk::Eof) {
                            return Err(self.err_at(v));
                        }
                        while self.peek().kind == Tk::Comma
                            && matches!(self.peek_at(1).kind, Tk::Int | Tk::Duration)
                        {
                            self.bump();
                            self.bump();
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    fn skip_parens(&mut self) -> PResult<()> {
        self.expect(Tk::LParen)?;
        let mut depth = 1;
        while depth > 0 {
            let t = self.bump();
            match t.kind {
                Tk::LParen => depth += 1,
                Tk::RParen => depth -= 1,
                Tk::Eof => return Err(self.err_at(t)),
                _ => {}
            }
        }
        Ok(())
    }

    fn if_not_exists(&mut self) -> PResult<bool> {
        if self.is_kw("if") {
            self.bump();
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn if_exists(&mut self) -> PResult<bool> {
        if self.is_kw("if") {
            self.bump();
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    fn name_list(&mut self) -> PResult<Vec<String>> {
        self.expect(Tk::LParen)?;
        let mut out = vec![self.any_ident()?];
        while self.eat(Tk::Comma) {
            out.push(self.any_ident()?);
        }
        self.expect(Tk::RParen)?;
        Ok(out)
    }

    fn column_defs(&mut self) -> PResult<Vec<ColumnDef>> {
        self.expect(Tk::LParen)?;
        let mut out = vec![self.column_def()?];
        while self.eat(Tk::Comma) {
            out.push(self.column_def()?);
        }
        self.expect(Tk::RParen)?;
        Ok(out)
    }

    fn column_def(&mut self) -> PResult<ColumnDef> {
        let name = self.ident()?;
        let pos = self.peek().start;
        let ty = self.type_name()?;
        let mut primary_key = false;
        loop {
            if self.eat_kw("encode")
                || self.eat_kw("compress")
                || self.eat_kw("level")
                || self.eat_kw("comment")
            {
                self.string()?;
            } else if self.is_kw("primary") && self.is_kw_at(1, "key") {
                self.bump();
                self.bump();
                primary_key = true;
            } else if self.eat_kw("composite") {
                self.expect_kw("key")?;
                primary_key = true;
            } else {
                break;
            }
        }
        Ok(ColumnDef {
            name,
            ty,
            primary_key,
            pos,
        })
    }

    fn paren_len(&mut self) -> PResult<u32> {
        self.expect(Tk::LParen)?;
        let t = self.peek();
        let v = self.uint()?;
        let v = u32::try_from(v).map_err(|_| self.err_at(t))?;
        self.expect(Tk::RParen)?;
        Ok(v)
    }

    pub fn type_name(&mut self) -> PResult<TypeName> {
        let t = self.peek();
        if t.kind != Tk::Ident {
            return Err(self.err_at(t));
        }
        let w = self.text(t).to_ascii_lowercase();
        self.bump();
        let unsigned = |p: &mut Self| p.eat_kw("unsigned");
        Ok(match w.as_str() {
            "timestamp" => TypeName::Timestamp,
            "bool" => TypeName::Bool,
            "tinyint" => {
                if unsigned(self) {
                    TypeName::UTinyInt
                } else {
                    TypeName::TinyInt
                }
            }
            "smallint" => {
                if unsigned(self) {
                    TypeName::USmallInt
                } else {
                    TypeName::SmallInt
                }
            }
            "int" | "integer" => {
                if unsigned(self) {
                    TypeName::UInt
                } else {
                    TypeName::Int
                }
            }
            "bigint" => {
                if unsigned(self) {
                    TypeName::UBigInt
                } else {
                    TypeName::BigInt
                }
            }
            "float" => TypeName::Float,
            "double" => TypeName::Double,
            "binary" | "varchar" => TypeName::VarChar(self.paren_len()?),
            "nchar" => TypeName::NChar(self.paren_len()?),
            "json" => TypeName::Json,
            "varbinary" => TypeName::VarBinary(self.paren_len()?),
            "geometry" => TypeName::Geometry(self.paren_len()?),
            "blob" => TypeName::Blob,
            "decimal" => {
                self.expect(Tk::LParen)?;
                let pt = self.peek();
                let p = self.uint()?;
                let s = if self.eat(Tk::Comma) { self.uint()? } else { 0 };
                self.expect(Tk::RParen)?;
                if p > 255 || s > 255 {
                    return Err(self.err_at(pt));
                }
                TypeName::Decimal(p as u8, s as u8)
            }
            _ => return Err(self.err_at(t)),
        })
    }

    fn drop(&mut self) -> PResult<Statement> {
        self.bump();
        if self.eat_kw("topic") {
            let if_exists = self.if_exists()?;
            let name = self.ident()?;
            return Ok(Statement::DropTopic { name, if_exists });
        }
        if self.eat_kw("database") {
            let if_exists = self.if_exists()?;
            let name = self.ident()?;
            return Ok(Statement::DropDatabase { name, if_exists });
        }
        if self.eat_kw("stable") {
            let if_exists = self.if_exists()?;
            let name = self.table_name()?;
            return Ok(Statement::DropStable { name, if_exists });
        }
        if self.eat_kw("table") {
            let if_exists = self.if_exists()?;
            let mut names = vec![self.table_name()?];
            while self.eat(Tk::Comma) {
                names.push(self.table_name()?);
            }
            return Ok(Statement::DropTables { names, if_exists });
        }
        Err(self.err_here())
    }

    fn alter(&mut self) -> PResult<Statement> {
        self.bump();
        if self.eat_kw("database") {
            let name = self.ident()?;
            let t = self.peek();
            let options = self.db_options()?;
            if options.is_empty() || options.iter().any(|(n, _, _)| n == "precision") {
                let at = options
                    .iter()
                    .find(|(n, _, _)| n == "precision")
                    .map(|o| o.2)
                    .unwrap_or(t.start);
                return Err(syntax_error_near(self.sql, at));
            }
            return Ok(Statement::AlterDatabase { name, options });
        }
        let stable = if self.eat_kw("stable") {
            true
        } else {
            self.expect_kw("table")?;
            false
        };
        let name = self.table_name()?;
        let t = self.peek();
        let w = if t.kind == Tk::Ident {
            self.text(t).to_ascii_lowercase()
        } else {
            String::new()
        };
        let action = match w.as_str() {
            "add" | "drop" | "modify" | "rename" => {
                self.bump();
                let what = self.peek();
                let is_tag = if self.eat_kw("tag") {
                    true
                } else if self.eat_kw("column") {
                    false
                } else {
                    return Err(self.err_at(what));
                };
                match (w.as_str(), is_tag) {
                    ("add", false) => AlterAction::AddColumn(self.column_def()?),
                    ("add", true) => AlterAction::AddTag(self.column_def()?),
                    ("drop", false) => AlterAction::DropColumn(self.ident()?),
                    ("drop", true) => AlterAction::DropTag(self.ident()?),
                    ("modify", false) => AlterAction::ModifyColumn(self.column_def()?),
                    ("modify", true) => AlterAction::ModifyTag(self.column_def()?),
                    ("rename", true) => {
                        let a = self.ident()?;
                        let b = self.ident()?;
                        AlterAction::RenameTag(a, b)
                    }
                    _ => return Err(self.err_at(what)),
                }
            }
            "set" => {
                self.bump();
                self.expect_kw("tag")?;
                let mut sets = Vec::new();
                loop {
                    let n = self.ident()?;
                    self.expect(Tk::Eq)?;
                    let v = self.ins_value()?;
                    sets.push((n, v));
                    if !self.eat(Tk::Comma) {
                        break;
                    }
                    self.eat_kw("tag");
                }
                AlterAction::SetTag(sets)
            }
            "comment" | "ttl" => {
                self.table_options()?;
                AlterAction::Options
            }
            _ => return Err(self.err_at(t)),
        };
        Ok(Statement::Alter {
            stable,
            name,
            action,
        })
    }

    fn show(&mut self) -> PResult<Statement> {
        self.bump();
        let incomplete = || TdError::new(code::PAR_INCOMPLETE_SQL, "Incomplete SQL statement");
        let t = self.peek();
        if t.kind != Tk::Ident && t.kind != Tk::QuotedIdent {
            return Err(incomplete());
        }
        // `show db.tables` / `show db.stables`
        if self.peek_at(1).kind == Tk::Dot {
            let db = self.ident()?;
            self.bump();
            let like = |p: &mut Self| -> PResult<Option<String>> {
                if p.eat_kw("like") {
                    Ok(Some(p.string()?))
                } else {
                    Ok(None)
                }
            };
            if self.eat_kw("tables") {
                let like = like(self)?;
                return Ok(Statement::Show(ShowKind::Tables {
                    db: Some(db),
                    like,
                    filter: None,
                }));
            }
            if self.eat_kw("stables") {
                let like = like(self)?;
                return Ok(Statement::Show(ShowKind::Stables { db: Some(db), like }));
            }
            if self.eat_kw("vgroups") {
                return Ok(Statement::Show(ShowKind::Vgroups { db: Some(db) }));
            }
            return Err(incomplete());
        }
        let w = self.text(t).to_ascii_lowercase();
        self.bump();
        let like = |p: &mut Self| -> PResult<Option<String>> {
            if p.eat_kw("like") {
                Ok(Some(p.string()?))
            } else {
                Ok(None)
            }
        };
        let kind = match w.as_str() {
            "databases" => ShowKind::Databases,
            "tables" => ShowKind::Tables {
                db: None,
                like: like(self)?,
                filter: None,
            },
            "stables" => ShowKind::Stables {
                db: None,
                like: like(self)?,
            },
            "normal" | "child" => {
                self.expect_kw("tables")?;
                ShowKind::Tables {
                    db: None,
                    like: like(self)?,
                    filter: Some(w == "normal"),
                }
            }
            "create" => {
                if self.eat_kw("database") {
                    ShowKind::CreateDatabase(self.ident()?)
                } else if self.eat_kw("table") {
                    ShowKind::CreateTable(self.table_name()?)
                } else if self.eat_kw("stable") {
                    ShowKind::CreateStable(self.table_name()?)
                } else {
                    return Err(self.err_here());
                }
            }
            "tags" => {
                self.expect_kw("from")?;
                let mut tn = self.table_name()?;
                if self.eat_kw("from") {
                    tn.db = Some(self.ident()?);
                }
                ShowKind::Tags(tn)
            }
            "table" => {
                self.expect_kw("tags")?;
                let cols = if self.is_kw("from") {
                    None
                } else {
                    let mut c = vec![self.any_ident()?];
                    while self.eat(Tk::Comma) {
                        c.push(self.any_ident()?);
                    }
                    Some(c)
                };
                self.expect_kw("from")?;
                let mut tn = self.table_name()?;
                if self.eat_kw("from") {
                    tn.db = Some(self.ident()?);
                }
                ShowKind::TableTags { cols, table: tn }
            }
            "users" => ShowKind::Users,
            "variables" | "local" => {
                if w == "local" {
                    self.expect_kw("variables")?;
                }
                ShowKind::Variables { like: like(self)? }
            }
            "dnodes" => ShowKind::Dnodes,
            "vgroups" => ShowKind::Vgroups { db: None },
            "topics" => ShowKind::Topics,
            "subscriptions" => ShowKind::Subscriptions,
            _ => return Err(incomplete()),
        };
        Ok(Statement::Show(kind))
    }

    // ------------------------------------------------------------------ INSERT

    fn insert(&mut self) -> PResult<Statement> {
        self.bump();
        self.expect_kw("into")?;
        let mut items = Vec::new();
        loop {
            let table = if self.peek().kind == Tk::Question {
                // `insert into ? …` (stmt): the name comes with the bound data
                self.bump();
                TableName {
                    db: None,
                    name: "?".to_string(),
                }
            } else {
                self.table_name()?
            };
            let after_name = self.toks[self.pos - 1].end;
            let mut using = None;
            let mut columns = None;
            if self.peek().kind == Tk::LParen {
                columns = Some(self.name_list()?);
            }
            if self.eat_kw("using") {
                let stable = self.table_name()?;
                let tag_names = if self.peek().kind == Tk::LParen {
                    Some(self.name_list()?)
                } else {
                    None
                };
                self.expect_kw("tags")?;
                let tags = self.value_row()?.vals;
                using = Some(Using {
                    stable,
                    tag_names,
                    tags,
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
                    after_name,
                });
                break;
            }
            if !self.eat_kw("values") {
                if self.is_kw("file") || self.is_kw("select") {
                    return Err(syntax_error_near(self.sql, self.peek().start));
                }
                return Err(self.err_here());
            }
            let mut rows = Vec::new();
            while self.peek().kind == Tk::LParen {
                rows.push(self.value_row()?);
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
                after_name,
            });
            if !matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent) {
                break;
            }
        }
        Ok(Statement::Insert(items))
    }

    fn value_row(&mut self) -> PResult<InsRow> {
        self.expect(Tk::LParen)?;
        let mut vals = Vec::new();
        if self.peek().kind == Tk::RParen {
            let close = self.bump().start;
            return Ok(InsRow { vals, close });
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
                    });
                }
                _ => return Err(insert_error(self.sql, t.start, "syntax error")),
            }
        }
    }

    fn ins_value(&mut self) -> PResult<InsVal> {
        let t = self.peek();
        let pos = t.start;
        let base = match t.kind {
            Tk::Str => {
                self.bump();
                InsValKind::Str(unescape(self.text(t)))
            }
            Tk::Int | Tk::Float => {
                self.bump();
                InsValKind::Number {
                    start: t.start,
                    end: t.end,
                }
            }
            Tk::Minus | Tk::Plus if matches!(self.peek_at(1).kind, Tk::Int | Tk::Float) => {
                self.bump();
                let n = self.bump();
                InsValKind::Number {
                    start: t.start,
                    end: n.end,
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
            self.skip_value();
            return Ok(InsVal {
                kind: InsValKind::Invalid,
                pos,
            });
        }
        Ok(InsVal { kind: base, pos })
    }

    /// Skips the tokens of one value (up to `,` or `)` at depth 0).
    fn skip_value(&mut self) {
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

    // ------------------------------------------------------------------ SELECT

    pub fn query(&mut self) -> PResult<Query> {
        let mut selects = vec![self.select_core()?];
        let mut union_distinct = false;
        while self.eat_kw("union") {
            if !self.eat_kw("all") {
                union_distinct = true;
            }
            selects.push(self.select_core()?);
        }
        let mut order_by = Vec::new();
        if self.eat_kw("order") {
            self.expect_kw("by")?;
            loop {
                let start = self.peek().start;
                let expr = self.expr()?;
                let text = self.sql[start..self.toks[self.pos - 1].end].to_string();
                let mut desc = false;
                if self.eat_kw("desc") {
                    desc = true;
                } else {
                    self.eat_kw("asc");
                }
                let mut nulls_first = None;
                if self.eat_kw("nulls") {
                    if self.eat_kw("first") {
                        nulls_first = Some(true);
                    } else {
                        self.expect_kw("last")?;
                        nulls_first = Some(false);
                    }
                }
                order_by.push(OrderItem {
                    expr,
                    text,
                    desc,
                    nulls_first,
                });
                if !self.eat(Tk::Comma) {
                    break;
                }
            }
        }
        let mut slimit = None;
        let mut limit = None;
        for _ in 0..2 {
            if self.eat_kw("slimit") {
                slimit = Some(self.limit_values("soffset")?);
            } else if self.eat_kw("limit") {
                limit = Some(self.limit_values("offset")?);
            }
        }
        Ok(Query {
            selects,
            union_distinct,
            order_by,
            slimit,
            limit,
        })
    }

    fn limit_values(&mut self, offset_kw: &str) -> PResult<(u64, u64)> {
        let a = self.uint()?;
        if self.eat(Tk::Comma) {
            let b = self.uint()?;
            return Ok((b, a));
        }
        if self.eat_kw(offset_kw) {
            let o = self.uint()?;
            return Ok((a, o));
        }
        Ok((a, 0))
    }

    fn select_core(&mut self) -> PResult<Select> {
        if self.peek().kind == Tk::LParen {
            // `(select …) union all (select …)`: only the simple form is supported
            return Err(self.err_here());
        }
        self.expect_kw("select")?;
        let distinct = self.eat_kw("distinct");
        if self.is_kw("from") {
            return Err(self.err_here());
        }
        let mut items = Vec::new();
        loop {
            let start = self.peek().start;
            let expr = self.not_expr()?;
            let end = self.toks[self.pos - 1].end;
            let text = self.sql[start..end].to_string();
            let mut alias = None;
            if matches!(expr, Expr::Star { .. }) {
                // `*` takes no alias
            } else if self.eat_kw("as") {
                alias = Some(self.ident()?);
            } else {
                let t = self.peek();
                if (t.kind == Tk::Ident && !self.is_reserved(t)) || t.kind == Tk::QuotedIdent {
                    alias = Some(self.ident()?);
                }
            }
            items.push(SelectItem { expr, alias, text });
            if !self.eat(Tk::Comma) {
                break;
            }
        }
        let mut from = None;
        let mut join = None;
        if self.eat_kw("from") {
            let item = if self.peek().kind == Tk::LParen {
                self.bump();
                let q = self.query()?;
                self.expect(Tk::RParen)?;
                let alias = self.opt_alias()?;
                FromItem::Subquery {
                    query: Box::new(q),
                    alias,
                }
            } else {
                let name = self.table_name()?;
                let alias = self.opt_alias()?;
                FromItem::Table { name, alias }
            };
            from = Some(item);
            // `[INNER] JOIN t [alias] ON cond` (other join kinds are refused by the executor)
            loop {
                let t = self.peek();
                let inner = if self.is_kw("inner") && self.is_kw_at(1, "join") {
                    self.bump();
                    true
                } else if self.is_kw("join") {
                    true
                } else if self.is_kw("left") || self.is_kw("right") || self.is_kw("full") {
                    false
                } else {
                    break;
                };
                // skip `left [outer|semi|anti|asof|window]` up to `join`
                let mut guard = 0;
                while !self.is_kw("join") {
                    if self.peek().kind == Tk::Eof || guard > 3 {
                        return Err(self.err_here());
                    }
                    self.bump();
                    guard += 1;
                }
                self.bump();
                let name = self.table_name()?;
                let alias = self.opt_alias()?;
                let on = if self.eat_kw("on") {
                    Some(self.expr()?)
                } else {
                    None
                };
                join = Some(Box::new(JoinSpec {
                    inner,
                    table: name,
                    alias,
                    on,
                    pos: t.start,
                }));
            }
        }
        let where_ = if self.eat_kw("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut partition_by = Vec::new();
        if self.eat_kw("partition") {
            self.expect_kw("by")?;
            partition_by = self.expr_list()?;
        }
        let window = self.window()?;
        let mut group_by = Vec::new();
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            group_by = self.expr_list()?;
        }
        let having = if self.eat_kw("having") {
            Some(self.expr()?)
        } else {
            None
        };
        Ok(Select {
            distinct,
            items,
            from,
            join,
            where_,
            partition_by,
            window,
            group_by,
            having,
        })
    }

    fn opt_alias(&mut self) -> PResult<Option<String>> {
        if self.eat_kw("as") {
            return Ok(Some(self.ident()?));
        }
        let t = self.peek();
        if (t.kind == Tk::Ident && !self.is_reserved(t)) || t.kind == Tk::QuotedIdent {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    fn expr_list(&mut self) -> PResult<Vec<Expr>> {
        let mut out = vec![self.expr()?];
        while self.eat(Tk::Comma) {
            out.push(self.expr()?);
        }
        Ok(out)
    }

    fn fill_clause(&mut self) -> PResult<Option<Fill>> {
        if !self.eat_kw("fill") {
            return Ok(None);
        }
        self.expect(Tk::LParen)?;
        let t = self.peek();
        let w = self.any_ident()?;
        let f = match w.as_str() {
            "none" => Fill::None,
            "null" | "null_f" => Fill::Null,
            "prev" => Fill::Prev,
            "next" => Fill::Next,
            "linear" => Fill::Linear,
            "value" | "value_f" => {
                let mut vals = Vec::new();
                while self.eat(Tk::Comma) {
                    vals.push(self.unary()?);
                }
                Fill::Value(vals)
            }
            _ => return Err(self.err_at(t)),
        };
        self.expect(Tk::RParen)?;
        Ok(Some(f))
    }

    fn window(&mut self) -> PResult<Option<Window>> {
        if self.is_kw("range") || self.is_kw("every") {
            let range = if self.eat_kw("range") {
                self.expect(Tk::LParen)?;
                let a = self.additive()?;
                self.expect(Tk::Comma)?;
                let b = self.additive()?;
                self.expect(Tk::RParen)?;
                Some((a, b))
            } else {
                None
            };
            let every = if self.eat_kw("every") {
                self.expect(Tk::LParen)?;
                let e = self.additive()?;
                self.expect(Tk::RParen)?;
                Some(e)
            } else {
                None
            };
            let fill = self.fill_clause()?;
            return Ok(Some(Window::Interp { range, every, fill }));
        }
        if self.eat_kw("interval") {
            self.expect(Tk::LParen)?;
            let interval = self.expr()?;
            let offset = if self.eat(Tk::Comma) {
                Some(self.expr()?)
            } else {
                None
            };
            self.expect(Tk::RParen)?;
            let sliding = if self.eat_kw("sliding") {
                self.expect(Tk::LParen)?;
                let s = self.expr()?;
                self.expect(Tk::RParen)?;
                Some(s)
            } else {
                None
            };
            let fill = if self.eat_kw("fill") {
                self.expect(Tk::LParen)?;
                let t = self.peek();
                let w = self.any_ident()?;
                let f = match w.as_str() {
                    "none" => Fill::None,
                    "null" | "null_f" => Fill::Null,
                    "prev" => Fill::Prev,
                    "next" => Fill::Next,
                    "linear" => Fill::Linear,
                    "value" | "value_f" => {
                        let mut vals = Vec::new();
                        while self.eat(Tk::Comma) {
                            vals.push(self.unary()?);
                        }
                        Fill::Value(vals)
                    }
                    _ => return Err(self.err_at(t)),
                };
                self.expect(Tk::RParen)?;
                Some(f)
            } else {
                None
            };
            return Ok(Some(Window::Interval {
                interval,
                offset,
                sliding,
                fill,
            }));
        }
        if self.eat_kw("session") {
            self.expect(Tk::LParen)?;
            let col = self.expr()?;
            self.expect(Tk::Comma)?;
            let gap = self.expr()?;
            self.expect(Tk::RParen)?;
            return Ok(Some(Window::Session { col, gap }));
        }
        if self.eat_kw("state_window") {
            self.expect(Tk::LParen)?;
            let expr = self.additive()?;
            self.expect(Tk::RParen)?;
            return Ok(Some(Window::State { expr }));
        }
        if self.eat_kw("event_window") {
            self.expect_kw("start")?;
            self.expect_kw("with")?;
            let start = self.expr()?;
            self.expect_kw("end")?;
            self.expect_kw("with")?;
            let end = self.expr()?;
            return Ok(Some(Window::Event { start, end }));
        }
        if self.eat_kw("count_window") {
            self.expect(Tk::LParen)?;
            let count = self.uint()? as i64;
            let sliding = if self.eat(Tk::Comma) {
                Some(self.uint()? as i64)
            } else {
                None
            };
            self.expect(Tk::RParen)?;
            return Ok(Some(Window::Count { count, sliding }));
        }
        Ok(None)
    }

    // ------------------------------------------------------------------ expressions

    pub fn expr(&mut self) -> PResult<Expr> {
        let mut left = self.and_expr()?;
        while self.eat_kw("or") {
            let right = self.and_expr()?;
            left = Expr::Binary {
                op: BinOp::Or,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        while self.eat_kw("and") {
            let right = self.not_expr()?;
            left = Expr::Binary {
                op: BinOp::And,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    fn not_expr(&mut self) -> PResult<Expr> {
        if self.eat_kw("not") {
            // TDengine only negates predicates: `not b` alone is a syntax error at what follows
            let operand = self.additive()?;
            let pred = self.predicate_rest(operand, true)?;
            return Ok(Expr::Not(Box::new(pred)));
        }
        if self.peek().kind == Tk::LParen && self.paren_is_boolean() {
            // `(a or b) and c`
            self.bump();
            let e = self.expr()?;
            self.expect(Tk::RParen)?;
            return self.predicate_rest(e, false);
        }
        let operand = self.additive()?;
        self.predicate_rest(operand, false)
    }

    /// Whether the parenthesis at the cursor holds a boolean (AND/OR) expression.
    fn paren_is_boolean(&self) -> bool {
        let mut depth = 0;
        let mut i = self.pos;
        while i < self.toks.len() {
            let t = self.toks[i];
            match t.kind {
                Tk::LParen => depth += 1,
                Tk::RParen => {
                    depth -= 1;
                    if depth == 0 {
                        return false;
                    }
                }
                Tk::Eof => return false,
                Tk::Ident if depth == 1 => {
                    let w = self.text(t);
                    if w.eq_ignore_ascii_case("and")
                        || w.eq_ignore_ascii_case("or")
                        || w.eq_ignore_ascii_case("select")
                    {
                        return !w.eq_ignore_ascii_case("select");
                    }
                }
                _ => {}
            }
            i += 1;
        }
        false
    }

    fn predicate_rest(&mut self, left: Expr, required: bool) -> PResult<Expr> {
        let t = self.peek();
        let cmp = match t.kind {
            Tk::Eq => Some(BinOp::Eq),
            Tk::Ne => Some(BinOp::Ne),
            Tk::Lt => Some(BinOp::Lt),
            Tk::Le => Some(BinOp::Le),
            Tk::Gt => Some(BinOp::Gt),
            Tk::Ge => Some(BinOp::Ge),
            _ => None,
        };
        if let Some(op) = cmp {
            self.bump();
            let right = self.additive()?;
            return Ok(Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            });
        }
        if self.eat_kw("is") {
            let negated = self.eat_kw("not");
            self.expect_kw("null")?;
            return Ok(Expr::IsNull {
                expr: Box::new(left),
                negated,
            });
        }
        let negated = if self.is_kw("not")
            && (self.is_kw_at(1, "in") || self.is_kw_at(1, "between") || self.is_kw_at(1, "like"))
        {
            self.bump();
            true
        } else {
            false
        };
        if self.eat_kw("in") {
            self.expect(Tk::LParen)?;
            let mut list = vec![self.additive()?];
            while self.eat(Tk::Comma) {
                list.push(self.additive()?);
            }
            self.expect(Tk::RParen)?;
            return Ok(Expr::InList {
                expr: Box::new(left),
                list,
                negated,
            });
        }
        if self.eat_kw("between") {
            let low = self.additive()?;
            self.expect_kw("and")?;
            let high = self.additive()?;
            return Ok(Expr::Between {
                expr: Box::new(left),
                low: Box::new(low),
                high: Box::new(high),
                negated,
            });
        }
        if self.eat_kw("like") {
            let pattern = self.additive()?;
            return Ok(Expr::Like {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated,
            });
        }
        if self.eat_kw("match") || self.eat_kw("nmatch") {
            let neg = self
                .text(self.toks[self.pos - 1])
                .eq_ignore_ascii_case("nmatch");
            let pattern = self.additive()?;
            return Ok(Expr::Match {
                expr: Box::new(left),
                pattern: Box::new(pattern),
                negated: neg,
            });
        }
        if self.eat_kw("contains") {
            let key = self.additive()?;
            return Ok(Expr::Func {
                name: "contains".into(),
                args: vec![left, key],
                pos: t.start,
            });
        }
        if required {
            return Err(self.err_here());
        }
        Ok(left)
    }

    fn additive(&mut self) -> PResult<Expr> {
        let mut left = self.multiplicative()?;
        loop {
            let op = match self.peek().kind {
                Tk::Plus => BinOp::Add,
                Tk::Minus => BinOp::Sub,
                Tk::BitAnd => BinOp::BitAnd,
                Tk::BitOr => BinOp::BitOr,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.multiplicative()?;
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn multiplicative(&mut self) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let op = match self.peek().kind {
                Tk::Star => BinOp::Mul,
                Tk::Slash => BinOp::Div,
                Tk::Percent => BinOp::Mod,
                _ => return Ok(left),
            };
            self.bump();
            let right = self.unary()?;
            left = Expr::Binary {
                op,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
    }

    fn unary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        if t.kind == Tk::Minus {
            self.bump();
            let n = self.peek();
            if n.kind == Tk::Int || n.kind == Tk::Float {
                let e = self.primary()?;
                return Ok(match e {
                    Expr::Int(v) => Expr::Int(-v),
                    Expr::Float(f) => Expr::Float(-f),
                    other => Expr::Neg(Box::new(other)),
                });
            }
            let e = self.unary()?;
            return Ok(Expr::Neg(Box::new(e)));
        }
        if t.kind == Tk::Plus {
            self.bump();
            return self.unary();
        }
        let mut e = self.primary()?;
        while self.peek().kind == Tk::Arrow {
            self.bump();
            let key = self.string()?;
            e = Expr::JsonGet {
                expr: Box::new(e),
                key,
            };
        }
        Ok(e)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            Tk::Int => {
                self.bump();
                match parse_int_text(self.text(t)) {
                    Some(v) if v <= u64::MAX as i128 => Ok(Expr::Int(v)),
                    _ => Ok(Expr::Float(
                        self.text(t).parse::<f64>().unwrap_or(f64::INFINITY),
                    )),
                }
            }
            Tk::Float => {
                self.bump();
                self.text(t)
                    .parse::<f64>()
                    .map(Expr::Float)
                    .map_err(|_| self.err_at(t))
            }
            Tk::Str => {
                self.bump();
                Ok(Expr::Str(unescape(self.text(t))))
            }
            Tk::Duration => {
                self.bump();
                let (value, unit) = split_duration(self.text(t)).ok_or_else(|| self.err_at(t))?;
                Ok(Expr::Duration { value, unit })
            }
            Tk::Star => {
                self.bump();
                Ok(Expr::Star { table: None })
            }
            Tk::Question => {
                self.bump();
                self.params += 1;
                Ok(Expr::Param(self.params - 1))
            }
            Tk::LParen => {
                self.bump();
                let e = self.expr()?;
                self.expect(Tk::RParen)?;
                Ok(e)
            }
            Tk::QuotedIdent => {
                let name = self.ident()?;
                self.column_rest(name)
            }
            Tk::Ident => {
                let w = self.text(t).to_ascii_lowercase();
                match w.as_str() {
                    "null" => {
                        self.bump();
                        return Ok(Expr::Null);
                    }
                    "true" | "false" => {
                        self.bump();
                        return Ok(Expr::Bool(w == "true"));
                    }
                    "case" => return self.case_expr(),
                    "cast" if self.peek_at(1).kind == Tk::LParen => {
                        self.bump();
                        self.bump();
                        let e = self.expr()?;
                        self.expect_kw("as")?;
                        let ty = self.type_name()?;
                        self.expect(Tk::RParen)?;
                        return Ok(Expr::Cast {
                            expr: Box::new(e),
                            ty,
                        });
                    }
                    "now" | "today" if self.peek_at(1).kind != Tk::LParen => {
                        self.bump();
                        return Ok(Expr::Func {
                            name: w,
                            args: vec![],
                            pos: t.start,
                        });
                    }
                    _ => {}
                }
                if self.peek_at(1).kind == Tk::LParen && (!self.is_reserved(t) || w == "database") {
                    return self.func_call();
                }
                if self.is_reserved(t) {
                    return Err(self.err_at(t));
                }
                let name = self.ident()?;
                self.column_rest(name)
            }
            _ => Err(self.err_at(t)),
        }
    }

    fn column_rest(&mut self, first: String) -> PResult<Expr> {
        if self.peek().kind == Tk::Dot {
            self.bump();
            if self.eat(Tk::Star) {
                return Ok(Expr::Star { table: Some(first) });
            }
            let name = self.any_ident()?;
            return Ok(Expr::Column {
                table: Some(first),
                name,
            });
        }
        Ok(Expr::Column {
            table: None,
            name: first,
        })
    }

    fn func_call(&mut self) -> PResult<Expr> {
        let t = self.bump();
        let name = self.text(t).to_ascii_lowercase();
        self.expect(Tk::LParen)?;
        let mut args = Vec::new();
        if name == "position" {
            // position(needle IN haystack)
            let needle = self.additive()?;
            self.expect_kw("in")?;
            let hay = self.additive()?;
            self.expect(Tk::RParen)?;
            return Ok(Expr::Func {
                name,
                args: vec![needle, hay],
                pos: t.start,
            });
        }
        if self.peek().kind == Tk::RParen {
            if !NILADIC.contains(&name.as_str()) {
                return Err(self.err_here());
            }
            self.bump();
            return Ok(Expr::Func {
                name,
                args,
                pos: t.start,
            });
        }
        loop {
            if self.peek().kind == Tk::Star {
                self.bump();
                args.push(Expr::Star { table: None });
                // `count(*, v)`: a star stands alone
                if self.peek().kind != Tk::RParen {
                    return Err(self.err_here());
                }
            } else {
                args.push(self.additive()?);
            }
            if !self.eat(Tk::Comma) {
                break;
            }
        }
        self.expect(Tk::RParen)?;
        Ok(Expr::Func {
            name,
            args,
            pos: t.start,
        })
    }

    fn case_expr(&mut self) -> PResult<Expr> {
        self.bump();
        let operand = if self.is_kw("when") {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut whens = Vec::new();
        while self.eat_kw("when") {
            let c = self.expr()?;
            self.expect_kw("then")?;
            let v = self.expr()?;
            whens.push((c, v));
        }
        if whens.is_empty() {
            return Err(self.err_here());
        }
        let else_ = if self.eat_kw("else") {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        self.expect_kw("end")?;
        Ok(Expr::Case {
            operand,
            whens,
            else_,
        })
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
    TdError::new(
        code::TSC_SQL_SYNTAX_ERROR,
        format!("syntax error near '{}' ({})", rest, reason),
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
mod tests {
    use super::*;

    fn err(sql: &str) -> TdError {
        parse(sql).unwrap_err()
    }

    #[test]
    fn syntax_errors_quote_the_rest_of_the_statement() {
        assert_eq!(
            err("selec * from n").message,
            "syntax error near \"selec * from n\""
        );
        assert_eq!(
            err("select * form n").message,
            "syntax error near \"form n\""
        );
        assert_eq!(err("select * from").code, code::PAR_INCOMPLETE_SQL);
        assert_eq!(err("select from n").message, "syntax error near \"from n\"");
        assert_eq!(
            err("select * from n limit -1").message,
            "syntax error near \"-1\""
        );
        assert_eq!(
            err("select (1 + from n").message,
            "syntax error near \"from n\""
        );
        assert_eq!(
            err("select 'unterminated from n").message,
            "unrecognized token: \"'unterminated from n\""
        );
        assert_eq!(
            err("select count(*, v) from n").message,
            "syntax error near \", v) from n\""
        );
        assert_eq!(
            err("select sum() from n").message,
            "syntax error near \") from n\""
        );
        assert_eq!(
            err("select * from mixed case").message,
            "syntax error near \"case\""
        );
        assert_eq!(
            err("select ts, b from ti where not b order by ts").message,
            "syntax error near \"order by ts\""
        );
        assert_eq!(
            err("select b, b and true from ti").message,
            "syntax error near \"and true from ti\""
        );
        assert_eq!(
            err("create database x nosuchoption 1").message,
            "syntax error near \"nosuchoption 1\""
        );
        assert_eq!(err("show nosuch").code, code::PAR_INCOMPLETE_SQL);
        assert_eq!(err("use").code, code::PAR_INCOMPLETE_SQL);
    }

    #[test]
    fn parses_select_with_clauses() {
        let st = parse("select i as x, count(*) from db.t where i > 1 and s like 'a%' partition by tbname interval(10s) sliding(5s) order by 1 desc nulls last limit 3, 2").unwrap();
        let Statement::Query(q) = st else {
            panic!("not a query")
        };
        let s = &q.selects[0];
        assert_eq!(s.items[0].alias.as_deref(), Some("x"));
        assert_eq!(s.items[1].text, "count(*)");
        assert!(
            matches!(s.from, Some(FromItem::Table { ref name, .. }) if name.db.as_deref() == Some("db"))
        );
        assert!(matches!(s.window, Some(Window::Interval { .. })));
        assert_eq!(q.limit, Some((2, 3)));
        assert!(q.order_by[0].desc);
        assert_eq!(q.order_by[0].nulls_first, Some(false));
    }

    #[test]
    fn parses_multi_table_insert() {
        let sql = "insert into c1 values ('2024-01-01 00:00:00', 1) (now, -2) c2 using st (t) tags (3) values ('2024-01-01' + 14s, null)";
        let Statement::Insert(items) = parse(sql).unwrap() else {
            panic!()
        };
        assert_eq!(items.len(), 2);
        assert_eq!(items[0].rows.len(), 2);
        assert!(matches!(
            items[0].rows[1].vals[1].kind,
            InsValKind::Number { .. }
        ));
        assert!(matches!(
            items[1].rows[0].vals[0].kind,
            InsValKind::Offset {
                value: 14,
                unit: 's',
                ..
            }
        ));
        assert_eq!(
            items[1].using.as_ref().unwrap().tag_names.as_deref(),
            Some(&["t".to_string()][..])
        );
    }
}
