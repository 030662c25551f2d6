//! SHOW statements.

use crate::sql::ast::*;
use crate::sql::lexer::Tk;
use crate::types::{code, TdError};

use super::{Parser, PResult};

impl<'a> Parser<'a> {
    pub(super) fn show(&mut self) -> PResult<Statement> {
        self.bump();
        let incomplete = || TdError::new(code::PAR_INCOMPLETE_SQL, "Incomplete SQL statement");
        let t = self.peek();
        if t.kind != Tk::Ident && t.kind != Tk::QuotedIdent {
            return Err(self.err_here());
        }
        // `show [normal|child|virtual] [db.]tables|stables|vtables` and `show db.<list>`: the
        // grammar's table_kind_db_name_cond_opt / db_name_cond_opt
        let table_kind = match self.text(t).to_ascii_lowercase().as_str() {
            _ if t.kind != Tk::Ident => None,
            "normal" => Some(TableKindWord::Normal),
            "child" => Some(TableKindWord::Child),
            "virtual" => Some(TableKindWord::Virtual),
            _ => None,
        };
        if table_kind.is_some() {
            self.bump();
        }
        let qualified = self.peek_at(1).kind == Tk::Dot
            && matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent);
        let table_list = ["tables", "stables", "vtables"]
            .iter()
            .any(|w| self.is_kw(w));
        if table_kind.is_some() || qualified || table_list {
            let db = if qualified {
                let db = self.ident()?;
                self.bump();
                Some(db)
            } else {
                None
            };
            return self.show_db_list(table_kind, db);
        }
        let w = self.text(t).to_ascii_lowercase();
        self.bump();
        let kind = match w.as_str() {
            "databases" => ShowKind::Databases,
            "views" => ShowKind::Views { db: None },
            "streams" => ShowKind::Streams,
            "functions" => ShowKind::Functions,
            "create" if self.is_kw("view") => {
                self.bump();
                let name = self.table_name()?;
                return Ok(Statement::View { db: name.db });
            }
            "create" => {
                if self.eat_kw("database") {
                    ShowKind::CreateDatabase(self.db_name()?)
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
                let mut tn = self.table_name_cond()?;
                if self.eat_kw("from") {
                    tn.db = Some(self.ident()?);
                }
                ShowKind::Tags(tn)
            }
            "table" if self.is_kw("distributed") => {
                self.bump();
                ShowKind::Distributed(self.table_name()?)
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
                let mut tn = self.table_name_cond()?;
                if self.eat_kw("from") {
                    tn.db = Some(self.ident()?);
                }
                ShowKind::TableTags { cols, table: tn }
            }
            "users" if self.is_kw("full") => {
                self.bump();
                ShowKind::UsersFull
            }
            "users" => ShowKind::Users,
            "user" => {
                self.expect_kw("privileges")?;
                ShowKind::UserPrivileges
            }
            "qnodes" => ShowKind::Qnodes,
            "mnodes" => ShowKind::Mnodes,
            "cluster" if self.is_kw("alive") || self.is_kw("machines") => {
                return Err(super::not_supported(&format!("SHOW CLUSTER {}", self.text(self.peek()).to_uppercase())));
            }
            "cluster" => ShowKind::Cluster,
            // the grammar's SHOW LICENCES and SHOW GRANTS are one statement (`licenses` is not
            // a word of it: 9729)
            "grants" if self.eat_kw("full") => ShowKind::GrantsFull,
            "grants" if self.eat_kw("logs") => ShowKind::GrantsLogs,
            "grants" | "licences" => ShowKind::Grants,
            "variables" => ShowKind::Variables { like: self.like_opt()? },
            "local" => {
                self.expect_kw("variables")?;
                ShowKind::LocalVariables { like: self.like_opt()? }
            }
            "dnode" => {
                self.uint()?;
                self.expect_kw("variables")?;
                ShowKind::DnodeVariables { like: self.like_opt()? }
            }
            "indexes" => {
                self.expect_kw("from")?;
                let mut tn = self.table_name_cond()?;
                if self.eat_kw("from") {
                    tn.db = Some(self.ident()?);
                }
                ShowKind::Indexes(tn)
            }
            "dnodes" => ShowKind::Dnodes,
            "vgroups" => ShowKind::Vgroups { db: None },
            "topics" => ShowKind::Topics,
            "subscriptions" => ShowKind::Subscriptions,
            "consumers" => ShowKind::Consumers,
            "connections" => ShowKind::Connections,
            // 3.3.7.5's answers to two that are gone
            "scores" => return Err(TdError::new(0x0100, "Operation not supported")),
            "accounts" => return Err(TdError::new(9748, "This statement is no longer supported")),
            // lists 3.3.7.5 has that this engine does not keep: refused by name
            "queries" | "transactions" | "apps" | "compacts" | "compact" | "encryptions" | "arbgroups"
            | "snodes" | "bnodes" | "tsmas" | "mounts" | "anodes" => {
                return Err(super::not_supported(&format!("SHOW {}", w.to_uppercase())));
            }
            // another keyword is no SHOW statement (`show index`); a name may still be a
            // database's (`show db.tables`): the statement ends too early
            _ if self.is_keyword(t) => return Err(super::syntax_error_near(self.sql, t.start)),
            _ => return Err(incomplete()),
        };
        Ok(Statement::Show(kind))
    }

    /// `[LIKE 'pattern']`.
    fn like_opt(&mut self) -> PResult<Option<String>> {
        if self.eat_kw("like") {
            Ok(Some(self.string()?))
        } else {
            Ok(None)
        }
    }

    /// The lists a database qualifier or a table kind may precede, after both were read:
    /// TABLES (all, NORMAL or CHILD), STABLES (all, NORMAL or VIRTUAL), VTABLES (all, NORMAL
    /// or CHILD), and without a kind VGROUPS and VIEWS. A kind the list does not take is
    /// 3.3.7.5's bare `syntax error near` (createShowTablesStmt / createShowSTablesStmt /
    /// createShowVTablesStmt).
    fn show_db_list(&mut self, kind: Option<TableKindWord>, db: Option<String>) -> PResult<Statement> {
        let t = self.peek();
        if t.kind != Tk::Ident {
            return Err(self.err_here());
        }
        let list = self.text(t).to_ascii_lowercase();
        let kind_refused = || TdError::new(code::PAR_SYNTAX_ERROR, "syntax error near");
        let show = match (list.as_str(), kind) {
            ("tables" | "vtables", Some(TableKindWord::Virtual)) | ("stables", Some(TableKindWord::Child)) => {
                return Err(kind_refused())
            }
            ("tables" | "stables" | "vtables", kind) => {
                self.bump();
                let like = self.like_opt()?;
                match list.as_str() {
                    "tables" => ShowKind::Tables { db, like, filter: kind.map(|k| k == TableKindWord::Normal) },
                    "stables" => ShowKind::Stables { db, like, virtual_only: kind == Some(TableKindWord::Virtual) },
                    _ => ShowKind::Vtables { db, like },
                }
            }
            ("vgroups", None) if db.is_some() => {
                self.bump();
                ShowKind::Vgroups { db }
            }
            ("views", None) if db.is_some() => {
                self.bump();
                ShowKind::Views { db }
            }
            // lists 3.3.7.5 keeps per database that this engine does not: refused by name
            ("streams" | "tsmas" | "alive" | "disk_info", None) if db.is_some() => {
                return Err(super::not_supported(&format!("SHOW db.{}", list.to_uppercase())));
            }
            _ => return Err(self.err_here()),
        };
        Ok(Statement::Show(show))
    }
}

/// `NORMAL`, `CHILD` or `VIRTUAL` before a table list.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TableKindWord {
    Normal,
    Child,
    Virtual,
}
