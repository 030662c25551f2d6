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
mod user;

use crate::sql::ast::*;
use crate::sql::lexer::{byte_prefix, tokenize, unescape, Tk, Token};
use crate::types::{code, TdError};

/// Parses the first statement of `sql` (text after a `;` is ignored, as TDengine's REST does).
#[cfg(test)]
pub fn parse(sql: &str) -> Result<Statement, TdError> {
    parse_in(sql, true)
}

/// Parses the first statement of `sql` on a connection that has a current database (`has_db`)
/// or not (text after a `;` is ignored, as TDengine's REST does). Without
/// one, TDengine's parser answers 9750 `Database not specified` the moment it has read a table
/// name without a database (its `createRealTableNode`, on every `full_table_name`): before a
/// syntax error later in the statement and before any check of the translator (`insert into
/// t select …` too). INSERT's own parser (VALUES, USING, FILE) words this differently (512 `db
/// is not specified`) and stops at that name: the statement ends there and the engine answers
/// it (see [`Parser::insert`]).
pub fn parse_in(sql: &str, has_db: bool) -> Result<Statement, TdError> {
    let mut p = Parser::new(sql);
    p.has_db = has_db;
    let parsed = p.statement().and_then(|st| match p.peek().kind {
        Tk::Eof | Tk::Semi => Ok(st),
        _ => Err(p.err_here()),
    });
    if !has_db && p.table_without_db {
        return Err(TdError::new(code::PAR_DB_NOT_SPECIFIED, "Database not specified"));
    }
    parsed
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
    "regexp",
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

/// TDengine's keywords (its tokenizer's table): unquoted, none of these names a database,
/// table or column in a definition (`create table t (ts timestamp, value int)` is 9728 near
/// `value int)`). Its grammar's `%fallback` list (`end`, `file`, `key`, `values`, `view`…)
/// falls back to ABORT, not to an identifier: those are no names either (3.3.7.5: `create table
/// key (…)` and `select key from t` are 9728). Sorted.
const KEYWORDS: &[&str] = &[
    "_c0", "_fhigh", "_flow", "_frowts", "_irowts", "_irowts_origin", "_isfilled", "_qduration",
    "_qend", "_qstart", "_rowts", "_tags", "_tcurrent_ts", "_tgrpid", "_tlocaltime",
    "_tnext_localtime", "_tnext_ts", "_tprev_localtime", "_tprev_ts", "_twduration", "_twend",
    "_twrownum", "_twstart", "_wduration", "_wend", "_wstart", "account", "accounts", "add",
    "aggregate", "alive", "all", "alter", "analyze", "and", "anode", "anodes", "anomaly_window",
    "anti", "any", "apps", "arbgroups", "as", "asc", "asof", "assign", "auto", "balance",
    "batch_scan", "between", "bigint", "binary", "blob", "bnode", "bnodes", "bool", "both",
    "buffer", "bufsize", "bwlimit", "by", "cache", "cachemodel", "cachesize", "calc_notify_only",
    "case", "cast", "child", "client_version", "cluster", "cols", "column", "comment", "comp",
    "compact", "compact_interval", "compact_time_offset", "compact_time_range", "compacts",
    "composite", "connection", "connections", "conns", "consumer", "consumers", "contains",
    "count", "count_window", "create", "createdb", "current_user", "database", "databases", "dbs",
    "decimal", "delete", "delete_mark", "delete_output_table", "delete_recalc", "desc",
    "describe", "disk_info", "distinct", "distributed", "dnode", "dnodes", "double", "drop",
    "duration", "else", "enable", "encrypt_algorithm", "encrypt_key", "encryptions", "end", "event_type",
    "event_window", "every", "exists", "expired_time", "explain", "file", "fill", "fill_history",
    "fill_history_first", "first", "float", "flush", "for", "force", "force_output", "from", "full",
    "function", "functions", "geometry", "grant", "grants", "group", "hash_join", "having",
    "host", "if", "ignore", "ignore_disorder", "ignore_nodata_trigger", "import", "in", "index", "indexes",
    "inner", "insert", "int", "integer", "interval", "into", "is", "is_import", "jlimit", "join",
    "json", "keep", "keep_time_offset", "key", "kill", "language", "last", "last_row", "leader",
    "leading", "left", "licences", "like", "limit", "linear", "local", "logs", "low_latency_calc",
    "machines", "match", "max_delay", "maxrows", "mediumblob", "merge", "meta", "meta_only",
    "minrows", "minus", "mnode", "mnodes", "modify", "modules", "mount", "mounts", "nchar", "near", "next",
    "nmatch", "no_batch_scan", "none", "normal", "not", "notify", "notify_history",
    "notify_options", "now", "null", "null_f", "nulls", "offset", "on", "only", "or", "order",
    "outer", "output_subtable", "outputtype", "pages", "pagesize", "para_tables_sort",
    "partition", "partition_first", "pass", "period", "pi", "port", "position", "pps",
    "pre_filter", "precision", "prev", "primary", "privileges", "qnode", "qnodes", "qtime",
    "queries", "query", "rand", "range", "ratio", "read", "recalculate", "recursive",
    "redistribute", "regexp", "rename", "replace", "replica", "replicas", "reset", "restore",
    "retentions", "revoke", "right", "rollup", "schemaless", "scores", "select", "semi", "server_status",
    "server_version", "session", "set", "show", "single_stable", "skip_tsma", "sliding", "slimit",
    "sma", "smalldata_ts_sort", "smallint", "snode", "snodes", "soffset", "sort_for_group",
    "split", "ss_chunkpages", "ss_compact", "ss_keeplocal", "ssmigrate", "stable", "stables",
    "start", "state", "state_window", "stop", "storage", "stream", "stream_options", "streams",
    "strict", "stt_trigger", "subscribe", "subscriptions", "substr", "substring", "sysinfo", "system",
    "table", "table_prefix", "table_suffix", "tables", "tag", "tags", "tbname", "then",
    "timestamp", "timezone", "tinyint", "to", "today", "topic", "topics", "trailing",
    "transaction", "transactions", "trim", "trows", "true_for", "tsdb_pagesize", "tseries",
    "tsma", "tsmas", "ttl", "union", "unsafe", "unsigned", "untreated", "update", "use", "user",
    "users", "using", "value", "value_f", "values", "varbinary", "varchar", "variables", "verbose",
    "vgroup", "vgroups", "view", "views", "virtual", "vnode", "vnodes", "vtable", "vtables",
    "wal_fsync_period", "wal_level", "wal_retention_period", "wal_retention_size",
    "wal_roll_period", "wal_segment_size", "watermark", "when", "where", "window", "window_close",
    "window_offset", "window_open", "with", "write",
];

pub struct Parser<'a> {
    pub sql: &'a str,
    toks: Vec<Token>,
    pos: usize,
    /// `?` placeholders seen in expressions so far (their indexes).
    params: usize,
    /// A table was named without its database (see [`parse_in`]).
    table_without_db: bool,
    /// The connection has a current database (see [`parse_in`]).
    has_db: bool,
    /// How the arguments of each `cols()` call were written, by the call's position.
    cols_args: std::collections::HashMap<usize, Vec<ColsArg>>,
}

type PResult<T> = Result<T, TdError>;

impl<'a> Parser<'a> {
    pub fn new(sql: &'a str) -> Parser<'a> {
        Parser {
            sql,
            toks: tokenize(sql),
            pos: 0,
            params: 0,
            table_without_db: false,
            has_db: true,
            cols_args: Default::default(),
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
            Tk::Bad => TdError::new(
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

    /// Whether an unquoted word is one of TDengine's keywords.
    fn is_keyword(&self, t: Token) -> bool {
        t.kind == Tk::Ident
            && KEYWORDS
                .binary_search(&self.text(t).to_ascii_lowercase().as_str())
                .is_ok()
    }

    /// A name being defined (database, table, column, tag): not a keyword when unquoted, non-empty
    /// and shorter than `max_bytes` (TDengine's buffer sizes: 65 for databases and columns, 193
    /// for tables), else 9751 quoting the statement from the name on.
    fn def_ident(&mut self, max_bytes: usize) -> PResult<String> {
        let t = self.peek();
        if t.kind == Tk::Ident
            && KEYWORDS
                .binary_search(&self.text(t).to_ascii_lowercase().as_str())
                .is_ok()
        {
            return Err(self.err_at(t));
        }
        let name = self.ident()?;
        self.check_name_len(t, &name, max_bytes)?;
        Ok(name)
    }

    fn check_name_len(&self, t: Token, name: &str, max_bytes: usize) -> PResult<()> {
        if name.is_empty() || name.len() >= max_bytes {
            let at = if t.kind == Tk::QuotedIdent { t.start + 1 } else { t.start };
            return Err(TdError::new(
                9751,
                format!("Invalid identifier name: {}", self.sql[at..].trim_end()),
            ));
        }
        Ok(())
    }

    /// An existing database's name: 9751 when it is longer than any database's may be (64
    /// bytes), whether or not the statement would have needed it (`drop database if exists`).
    fn db_name(&mut self) -> PResult<String> {
        let t = self.peek();
        let name = self.ident()?;
        self.check_name_len(t, &name, 65)?;
        Ok(name)
    }

    /// A topic's name: 9751 from 193 bytes (3.3.7.5, creating or dropping).
    fn topic_name(&mut self) -> PResult<String> {
        let t = self.peek();
        let name = self.ident()?;
        self.check_name_len(t, &name, 193)?;
        Ok(name)
    }

    /// The name of a table being created: as [`Self::def_ident`], and without a `.`.
    fn def_table_name(&mut self) -> PResult<TableName> {
        let name = if self.peek_at(1).kind == Tk::Dot {
            let db = self.def_ident(65)?;
            self.bump();
            TableName {
                db: Some(db),
                name: self.def_ident(193)?,
            }
        } else {
            // a keyword is a syntax error before the name counts as one without a database
            // (which then comes before its length)
            if self.is_keyword(self.peek()) {
                return Err(self.err_here());
            }
            self.table_without_db = true;
            TableName { db: None, name: self.def_ident(193)? }
        };
        if name.name.contains('.') {
            return Err(TdError::new(9751, "The table name cannot contain '.'"));
        }
        Ok(name)
    }

    /// A table's name, `[db.]name` (TDengine's `full_table_name`).
    fn table_name(&mut self) -> PResult<TableName> {
        if self.peek_at(1).kind != Tk::Dot {
            self.table_without_db = true;
        }
        self.table_name_cond()
    }

    /// A table's name where a missing database is not an error of the parser (`SHOW TAGS FROM`,
    /// `SHOW INDEXES FROM`: their `FROM db` may follow; INSERT's own names).
    fn table_name_cond(&mut self) -> PResult<TableName> {
        let t = self.peek();
        let first = self.ident()?;
        if self.peek().kind == Tk::Dot {
            self.check_name_len(t, &first, 65)?;
            self.bump();
            let t2 = self.peek();
            let name = self.ident()?;
            self.check_name_len(t2, &name, 193)?;
            Ok(TableName {
                db: Some(first),
                name,
            })
        } else {
            self.check_name_len(t, &first, 193)?;
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
            "delete" => {
                // cmd ::= DELETE FROM full_table_name where_clause_opt (TDengine's sql.y)
                self.bump();
                self.expect_kw("from")?;
                let table = self.table_name()?;
                let where_ = if self.eat_kw("where") { Some(self.expr()?) } else { None };
                Ok(Statement::Delete { table, where_ })
            }
            "create" => self.create(),
            "drop" => self.drop(),
            "use" => {
                self.bump();
                let name = self.db_name()?;
                Ok(Statement::Use { name })
            }
            "show" => self.show(),
            "describe" | "desc" => {
                self.bump();
                Ok(Statement::Describe(self.table_name()?))
            }
            "alter" => self.alter(),
            "grant" | "revoke" => {
                self.bump();
                self.grant(kw == "revoke")
            }
            // statements TDengine has and this engine does not: refused by name
            "kill" | "compact" | "flush" | "balance" | "redistribute" | "trim"
            | "explain" | "split" | "restore" | "pause" | "resume" | "recalculate" => {
                Err(not_supported(&kw.to_uppercase()))
            }
            _ => Err(self.err_at(t)),
        }
    }

    /// `CREATE|DROP <object>` this engine does not keep (streams, functions, nodes, …): refused
    /// by name, after the object word. `None` when the word is no such object.
    fn unsupported_object(&self, verb: &str) -> Option<TdError> {
        let t = self.peek();
        let w = self.text(t).to_ascii_lowercase();
        match w.as_str() {
            "tsma" | "recursive" if verb == "CREATE" => {
                Some(TdError::new(code::PAR_SYNTAX_ERROR, "TSMA not support yet"))
            }
            "stream" | "function" | "aggregate" | "snode" | "qnode" | "mnode" | "dnode"
            | "bnode" | "anode" | "tsma" | "vtable" | "mount" | "consumer" | "rsma" => {
                Some(not_supported(&format!("{} {}", verb, w.to_uppercase())))
            }
            _ => None,
        }
    }
}

/// 9728 naming a statement this engine does not implement.
fn not_supported(what: &str) -> TdError {
    TdError::new(
        code::PAR_SYNTAX_ERROR,
        format!("syntax error near \"{}\" (not supported by taos-testserver)", what),
    )
}

/// `9728 syntax error near "<rest>"`.
/// TDengine lower-cases the statement outside quotes before parsing, so the rest it quotes is
/// lower case except inside '…', "…" and `…` (checked on 3.3.7.5: `Ghi 'XyZ' Jkl` → `ghi 'XyZ' jkl`).
pub fn syntax_error_near(sql: &str, at: usize) -> TdError {
    let rest = sql.get(at..).unwrap_or("").trim_end();
    let rest = rest.trim_end_matches(';').trim_end();
    TdError::new(
        code::PAR_SYNTAX_ERROR,
        format!("syntax error near \"{}\"", crate::sql::lexer::client_lowercase(rest)),
    )
}

/// `534 syntax error near '<rest>' (<reason>)` as TDengine's INSERT parser words it.
pub fn insert_error(sql: &str, at: usize, reason: &str) -> TdError {
    let rest = sql.get(at..).unwrap_or("").trim_end();
    insert_syntax_error(rest, reason)
}

/// `534 syntax error near '<near>' (<reason>)`: TDengine quotes at most 63 bytes of `near`.
pub fn insert_syntax_error(near: &str, reason: &str) -> TdError {
    TdError::new(
        code::TSC_SQL_SYNTAX_ERROR,
        format!("syntax error near '{}' ({})", byte_prefix(near, 63), reason),
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
