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
            if self.eat_kw("views") {
                return Ok(Statement::Show(ShowKind::Views { db: Some(db) }));
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
                let mut tn = self.table_name()?;
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
            "cluster" => ShowKind::Cluster,
            // the grammar's SHOW LICENCES and SHOW GRANTS are one statement (`licenses` is not
            // a word of it: 9729)
            "grants" if self.eat_kw("full") => ShowKind::GrantsFull,
            "grants" if self.eat_kw("logs") => ShowKind::GrantsLogs,
            "grants" | "licences" => ShowKind::Grants,
            "variables" => ShowKind::Variables { like: like(self)? },
            "local" => {
                self.expect_kw("variables")?;
                ShowKind::LocalVariables { like: like(self)? }
            }
            "dnode" => {
                self.uint()?;
                self.expect_kw("variables")?;
                ShowKind::DnodeVariables { like: like(self)? }
            }
            "indexes" | "index" => {
                self.expect_kw("from")?;
                let mut tn = self.table_name()?;
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
            _ => return Err(incomplete()),
        };
        Ok(Statement::Show(kind))
    }
}
