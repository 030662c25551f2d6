//! CREATE / DROP / ALTER of databases, tables, super tables and topics: options, column
//! definitions and type names.

use crate::sql::ast::*;
use crate::sql::lexer::{unescape, Tk};

use super::{parse_int_text, split_duration, Parser, PResult};
use crate::types::TdError;

impl<'a> Parser<'a> {
    /// Database options as TDengine's grammar takes them: each option with the kind of value it
    /// allows (an integer, a string, an integer or a duration, a list, a signed integer); a word
    /// that is not an option, or one ALTER DATABASE cannot change, is a syntax error there.
    pub(super) fn db_options(&mut self, alter: bool) -> PResult<Vec<(String, DbOptVal, usize)>> {
        #[derive(Clone, Copy, PartialEq)]
        enum Kind {
            Int,
            Str,
            IntOrDuration,
            List,
            Signed,
        }
        use Kind::*;
        const OPTIONS: &[(&str, Kind, bool)] = &[
            // (name, value kind, alterable)
            ("buffer", Int, true),
            ("cachemodel", Str, true),
            ("cachesize", Int, true),
            ("comp", Int, false),
            ("duration", IntOrDuration, false),
            ("maxrows", Int, false),
            ("minrows", Int, true),
            ("keep", List, true),
            ("pages", Int, true),
            ("pagesize", Int, false),
            ("tsdb_pagesize", Int, false),
            ("precision", Str, false),
            ("replica", Int, true),
            ("replicas", Int, true),
            ("vgroups", Int, false),
            ("single_stable", Int, false),
            ("retentions", List, false),
            ("schemaless", Int, false),
            ("wal_level", Int, true),
            ("wal_fsync_period", Int, true),
            ("wal_retention_period", Signed, true),
            ("wal_retention_size", Signed, true),
            ("wal_roll_period", Int, false),
            ("wal_segment_size", Int, false),
            ("stt_trigger", Int, true),
            ("table_prefix", Signed, false),
            ("table_suffix", Signed, false),
            ("ss_chunkpages", Int, false),
            ("ss_keeplocal", IntOrDuration, true),
            ("ss_compact", Int, true),
            ("keep_time_offset", IntOrDuration, true),
            ("encrypt_algorithm", Str, true),
            ("dnodes", Str, false),
            ("compact_interval", IntOrDuration, true),
            ("compact_time_range", List, true),
            ("compact_time_offset", IntOrDuration, true),
        ];
        let mut out = Vec::new();
        while self.peek().kind == Tk::Ident {
            let t = self.peek();
            let name = self.text(t).to_ascii_lowercase();
            let Some(&(_, kind, alterable)) = OPTIONS.iter().find(|o| o.0 == name) else {
                return Err(self.err_at(t));
            };
            if alter && !alterable {
                return Err(self.err_at(t));
            }
            self.bump();
            let vt = self.peek();
            let v = match kind {
                Int if vt.kind == Tk::Int => self.db_opt_value()?,
                Str if vt.kind == Tk::Str => self.db_opt_value()?,
                IntOrDuration if matches!(vt.kind, Tk::Int | Tk::Duration) => self.db_opt_value()?,
                Signed if matches!(vt.kind, Tk::Int | Tk::Minus) => self.db_opt_value()?,
                List if !matches!(vt.kind, Tk::Eof | Tk::Semi) => {
                    // only COMPACT_TIME_RANGE counts backwards from now: elsewhere `-` is a syntax error
                    let signed = name == "compact_time_range";
                    let value = |p: &mut Self| {
                        let at = p.peek();
                        if at.kind == Tk::Minus && !signed {
                            return Err(p.err_at(at));
                        }
                        p.db_opt_value()
                    };
                    let mut vals = vec![value(self)?];
                    while self.peek().kind == Tk::Comma {
                        self.bump();
                        vals.push(value(self)?);
                    }
                    if vals.len() == 1 {
                        vals.pop().unwrap()
                    } else {
                        DbOptVal::List(vals)
                    }
                }
                _ => return Err(self.err_at(vt)),
            };
            let name = if name == "replicas" { "replica".to_string() } else { name };
            out.push((name, v, t.start));
        }
        Ok(out)
    }

    pub(super) fn db_opt_value(&mut self) -> PResult<DbOptVal> {
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
            // COMPACT_TIME_RANGE takes negative durations (`-10d,-5d`)
            Tk::Minus if self.peek_at(1).kind == Tk::Duration => {
                self.bump();
                let t2 = self.bump();
                let (v, u) = split_duration(self.text(t2)).ok_or_else(|| self.err_at(t2))?;
                Ok(DbOptVal::Duration(-v, u))
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

    pub(super) fn create(&mut self) -> PResult<Statement> {
        self.bump(); // create
        if let Some(e) = self.unsupported_object("CREATE") {
            return Err(e);
        }
        if self.eat_kw("user") {
            return self.create_user();
        }
        if self.eat_kw("index") {
            let name = self.def_ident(193)?;
            self.expect_kw("on")?;
            let table = self.table_name()?;
            let columns = self.name_list()?;
            return Ok(Statement::CreateIndex {
                name,
                table,
                columns,
            });
        }
        if self.is_kw("view") || (self.is_kw("or") && self.is_kw_at(1, "replace")) {
            if self.eat_kw("or") {
                self.expect_kw("replace")?;
            }
            self.expect_kw("view")?;
            let name = self.table_name()?;
            self.expect_kw("as")?;
            self.query()?;
            return Ok(Statement::View { db: name.db });
        }
        if self.eat_kw("database") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.def_ident(65)?;
            let options = self.db_options(false)?;
            return Ok(Statement::CreateDatabase {
                name,
                if_not_exists,
                options,
            });
        }
        if self.eat_kw("topic") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.topic_name()?;
            let meta = if self.eat_kw("with") {
                self.expect_kw("meta")?;
                Some("WITH META")
            } else if self.eat_kw("only") {
                self.expect_kw("meta")?;
                Some("ONLY META")
            } else {
                None
            };
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
            } else if meta.is_some() {
                // TDengine's grammar has `WITH META`/`ONLY META` only before `AS DATABASE` and
                // `AS STABLE`: a query there is a syntax error at the query
                return Err(self.err_here());
            } else {
                TopicSource::Query(Box::new(self.query()?))
            };
            return Ok(Statement::CreateTopic {
                name,
                if_not_exists,
                meta,
                source,
            });
        }
        if self.eat_kw("stable") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.def_table_name()?;
            let columns = self.column_defs()?;
            self.expect_kw("tags")?;
            let tags = self.tag_defs()?;
            let options = self.table_options()?;
            return Ok(Statement::CreateStable {
                name,
                if_not_exists,
                columns,
                tags,
                options,
            });
        }
        if self.eat_kw("table") {
            let if_not_exists = self.if_not_exists()?;
            let name = self.def_table_name()?;
            if self.is_kw("using") {
                let mut out = vec![self.create_child_rest(name, if_not_exists)?];
                // `create table a using st tags (…) [if not exists] b using st tags (…)`
                while matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent) {
                    let ine = self.if_not_exists()?;
                    let n = self.def_table_name()?;
                    out.push(self.create_child_rest(n, ine)?);
                }
                return Ok(Statement::CreateChildren(out));
            }
            let columns = self.column_defs()?;
            if self.eat_kw("tags") {
                let tags = self.tag_defs()?;
                let options = self.table_options()?;
                return Ok(Statement::CreateStable {
                    name,
                    if_not_exists,
                    columns,
                    tags,
                    options,
                });
            }
            let options = self.table_options()?;
            return Ok(Statement::CreateTable {
                name,
                if_not_exists,
                columns,
                options,
            });
        }
        Err(self.err_here())
    }

    pub(super) fn create_child_rest(&mut self, name: TableName, if_not_exists: bool) -> PResult<CreateChild> {
        self.expect_kw("using")?;
        let stable = self.table_name()?;
        let tag_names = if self.peek().kind == Tk::LParen {
            Some(self.name_list()?)
        } else {
            None
        };
        self.expect_kw("tags")?;
        // the grammar's tag list holds a value at least (`tags ()`: 9728 at the `)`)
        if self.peek().kind == Tk::LParen && self.toks.get(self.pos + 1).is_some_and(|t| t.kind == Tk::RParen) {
            self.bump();
            return Err(self.err_here());
        }
        let tags = self.value_row()?.vals;
        let options = self.table_options()?;
        Ok(CreateChild {
            name,
            if_not_exists,
            stable,
            tag_names,
            tags,
            options,
        })
    }

    /// Table options: COMMENT, TTL and KEEP are kept; SMA is read and ignored (it only chooses
    /// which columns carry block statistics). ROLLUP, MAX_DELAY, WATERMARK and DELETE_MARK are
    /// refused as TDengine refuses them outside a database with RETENTIONS, which this engine
    /// never has (RETENTIONS itself is refused).
    pub(super) fn table_options(&mut self) -> PResult<TableOptions> {
        let o = self.table_options_read()?;
        // TDengine's translator names the first of these, in this order, whatever the order written
        for (written, named) in [
            ("max_delay", "maxdelay"),
            ("watermark", "watermark"),
            ("delete_mark", "delete_mark"),
            ("rollup", "rollup"),
        ] {
            if o.retention_only.iter().any(|w| w == written) {
                return Err(TdError::new(
                    0x261A,
                    format!(
                        "Invalid option {}: Only supported for create super table in databases configured with the 'RETENTIONS' option",
                        named
                    ),
                ));
            }
        }
        Ok(o)
    }

    fn table_options_read(&mut self) -> PResult<TableOptions> {
        let mut o = TableOptions::default();
        loop {
            let t = self.peek();
            if t.kind != Tk::Ident {
                return Ok(o);
            }
            let w = self.text(t).to_ascii_lowercase();
            match w.as_str() {
                "comment" => {
                    self.bump();
                    let c = self.peek();
                    if c.kind != Tk::Str {
                        return Err(self.err_at(c));
                    }
                    self.bump();
                    // TDengine measures the token with its quotes: 1025 + 2 bytes is too long
                    if c.end - c.start >= 1025 + 2 {
                        return Err(TdError::new(9806, "Comment too long"));
                    }
                    o.comment = Some(self.sql[c.start + 1..c.end - 1].to_string());
                }
                "ttl" => {
                    self.bump();
                    let v = self.peek();
                    if v.kind != Tk::Int {
                        return Err(self.err_at(v));
                    }
                    self.bump();
                    // TDengine keeps a TTL in an int32: a larger number is out of range
                    let n = parse_int_text(self.text(v)).and_then(|n| i32::try_from(n).ok()).filter(|n| *n >= 0);
                    let n = n.ok_or_else(|| TdError::new(548, "Value out of range"))?;
                    o.ttl = Some(i64::from(n));
                }
                "keep" => {
                    self.bump();
                    let v = self.peek();
                    let minutes = match v.kind {
                        Tk::Int => self.uint()?.saturating_mul(1440) as i64,
                        Tk::Duration => {
                            self.bump();
                            let (n, u) = split_duration(self.text(v)).ok_or_else(|| self.err_at(v))?;
                            match u {
                                'm' => n,
                                'h' => n * 60,
                                'd' => n * 1440,
                                _ => {
                                    return Err(TdError::new(
                                        0x2619,
                                        format!(
                                            "Invalid option keep unit: {}, only d, h, m allowed",
                                            u
                                        ),
                                    ))
                                }
                            }
                        }
                        _ => return Err(self.err_at(v)),
                    };
                    o.keep = Some(minutes);
                }
                "sma" if self.peek_at(1).kind == Tk::LParen => {
                    self.bump();
                    o.sma.extend(self.name_list()?);
                }
                "watermark" | "max_delay" | "delete_mark" | "sma" | "rollup" => {
                    self.bump();
                    if w != "sma" {
                        o.retention_only.push(w);
                    }
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
                _ => return Ok(o),
            }
        }
    }

    pub(super) fn skip_parens(&mut self) -> PResult<()> {
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

    pub(super) fn if_not_exists(&mut self) -> PResult<bool> {
        if self.is_kw("if") {
            self.bump();
            self.expect_kw("not")?;
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub(super) fn if_exists(&mut self) -> PResult<bool> {
        if self.is_kw("if") {
            self.bump();
            self.expect_kw("exists")?;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    pub(super) fn name_list(&mut self) -> PResult<Vec<String>> {
        self.expect(Tk::LParen)?;
        let mut out = vec![self.any_ident()?];
        while self.eat(Tk::Comma) {
            out.push(self.any_ident()?);
        }
        self.expect(Tk::RParen)?;
        Ok(out)
    }

    pub(super) fn column_defs(&mut self) -> PResult<Vec<ColumnDef>> {
        self.expect(Tk::LParen)?;
        let mut out = vec![self.column_def()?];
        while self.eat(Tk::Comma) {
            out.push(self.column_def()?);
        }
        self.expect(Tk::RParen)?;
        Ok(out)
    }

    /// Tag definitions: as columns, but a tag is never a key (`primary key` is a syntax error).
    pub(super) fn tag_defs(&mut self) -> PResult<Vec<ColumnDef>> {
        self.expect(Tk::LParen)?;
        let mut out = Vec::new();
        loop {
            let name = self.def_ident(65)?;
            let pos = self.peek().start;
            let ty = self.type_name()?;
            while self.eat_kw("comment") {
                self.string()?;
            }
            out.push(ColumnDef {
                name,
                ty,
                primary_key: false,
                pos,
                compression: ColumnCompression::default(),
            });
            if !self.eat(Tk::Comma) {
                break;
            }
        }
        self.expect(Tk::RParen)?;
        Ok(out)
    }

    pub(super) fn column_def(&mut self) -> PResult<ColumnDef> {
        let mut def = self.bare_column_def()?;
        loop {
            let o = &mut def.compression;
            if self.eat_kw("encode") {
                o.encode = Some(self.string()?);
            } else if self.eat_kw("compress") {
                o.compress = Some(self.string()?);
            } else if self.eat_kw("level") {
                o.level = Some(self.string()?);
            } else if self.eat_kw("comment") {
                self.string()?;
            } else if self.is_kw("primary") && self.is_kw_at(1, "key") {
                self.bump();
                self.bump();
                def.primary_key = true;
            } else if self.eat_kw("composite") {
                self.expect_kw("key")?;
                def.primary_key = true;
            } else {
                break;
            }
        }
        Ok(def)
    }

    /// A column's name and type without options: all that `MODIFY COLUMN|TAG` takes (`encode …`
    /// after the type is a syntax error there, as TDengine's grammar has it).
    fn bare_column_def(&mut self) -> PResult<ColumnDef> {
        let name = self.def_ident(65)?;
        let pos = self.peek().start;
        let ty = self.type_name()?;
        Ok(ColumnDef {
            name,
            ty,
            primary_key: false,
            pos,
            compression: ColumnCompression::default(),
        })
    }

    pub(super) fn paren_len(&mut self) -> PResult<u32> {
        self.expect(Tk::LParen)?;
        let t = self.peek();
        let v = self.uint()?;
        let v = u32::try_from(v).map_err(|_| self.err_at(t))?;
        self.expect(Tk::RParen)?;
        Ok(v)
    }

    pub(super) fn type_name(&mut self) -> PResult<TypeName> {
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

    pub(super) fn drop(&mut self) -> PResult<Statement> {
        self.bump();
        if let Some(e) = self.unsupported_object("DROP") {
            return Err(e);
        }
        if self.eat_kw("user") {
            return self.drop_user();
        }
        if self.eat_kw("index") {
            let if_exists = self.if_exists()?;
            let name = self.table_name()?;
            return Ok(Statement::DropIndex {
                db: name.db,
                name: name.name,
                if_exists,
            });
        }
        if self.eat_kw("view") {
            self.if_exists()?;
            let name = self.table_name()?;
            return Ok(Statement::View { db: name.db });
        }
        if self.eat_kw("topic") {
            let if_exists = self.if_exists()?;
            let name = self.topic_name()?;
            return Ok(Statement::DropTopic { name, if_exists });
        }
        if self.eat_kw("database") {
            let if_exists = self.if_exists()?;
            let name = self.db_name()?;
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

    pub(super) fn alter(&mut self) -> PResult<Statement> {
        self.bump();
        if self.eat_kw("user") {
            return self.alter_user();
        }
        if self.eat_kw("database") {
            let name = self.db_name()?;
            let t = self.peek();
            let options = self.db_options(true)?;
            if options.is_empty() {
                return Err(self.err_at(t));
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
                    ("add", false) => {
                        let c = self.column_def()?;
                        if c.primary_key {
                            return Err(TdError::new(
                                9728,
                                "not support alter column with option except compress",
                            ));
                        }
                        AlterAction::AddColumn(c)
                    }
                    ("add", true) => AlterAction::AddTag(self.column_def()?),
                    ("drop", false) => AlterAction::DropColumn(self.ident()?),
                    ("drop", true) => AlterAction::DropTag(self.ident()?),
                    ("modify", false) => AlterAction::ModifyColumn(self.bare_column_def()?),
                    ("modify", true) => AlterAction::ModifyTag(self.bare_column_def()?),
                    ("rename", true) => {
                        let a = self.ident()?;
                        let b = self.def_ident(65)?;
                        AlterAction::RenameTag(a, b)
                    }
                    ("rename", false) => {
                        let a = self.ident()?;
                        let b = self.def_ident(65)?;
                        AlterAction::RenameColumn(a, b)
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
            "comment" | "ttl" | "keep" => AlterAction::Options(self.table_options()?),
            _ => return Err(self.err_at(t)),
        };
        Ok(Statement::Alter {
            stable,
            name,
            action,
        })
    }
}
