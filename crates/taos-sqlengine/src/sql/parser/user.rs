//! CREATE / ALTER / DROP USER, GRANT and REVOKE, with the checks TDengine's parser makes on
//! names and passwords (its AST builder: 9744, 9745, 9800).

use crate::sql::ast::*;
use crate::sql::lexer::{unescape, Tk};
use crate::types::TdError;

use super::{Parser, PResult};

/// User names are shorter than 24 bytes (TDengine's `TSDB_USER_LEN`).
const USER_LEN: usize = 24;

fn too_long() -> TdError {
    TdError::new(9744, "Name or password too long")
}

/// TDengine 3.3.7.5 enforces strong passwords: upper case, lower case, digits and the special
/// characters below, at least three of these four kinds, nothing else ('taosdata' excepted).
fn strong_password(p: &str) -> bool {
    if p == "taosdata" {
        return true;
    }
    const SPECIAL: &str = "!@#$%^&*()-_+=[]{}:;><?|~,.";
    let mut kinds = [false; 4];
    for c in p.chars() {
        if c.is_ascii_uppercase() {
            kinds[0] = true;
        } else if c.is_ascii_lowercase() {
            kinds[1] = true;
        } else if c.is_ascii_digit() {
            kinds[2] = true;
        } else if SPECIAL.contains(c) {
            kinds[3] = true;
        } else {
            return false;
        }
    }
    kinds.iter().filter(|k| **k).count() >= 3
}

impl<'a> Parser<'a> {
    fn user_name(&mut self) -> PResult<String> {
        let t = self.peek();
        if matches!(t.kind, Tk::Ident | Tk::QuotedIdent) && t.end - t.start >= USER_LEN {
            return Err(too_long());
        }
        self.def_ident(usize::MAX)
    }

    fn password(&mut self) -> PResult<String> {
        let t = self.peek();
        if t.kind != Tk::Str {
            return Err(self.err_at(t));
        }
        self.bump();
        if t.end - t.start >= 256 + 2 {
            return Err(too_long());
        }
        let p = unescape(self.text(t)).trim().to_string();
        if p.len() < 8 {
            return Err(TdError::new(9745, "Password too short or empty"));
        }
        if !strong_password(&p) {
            return Err(TdError::new(9800, "Invalid password"));
        }
        Ok(p)
    }

    fn small_int(&mut self) -> PResult<i64> {
        let t = self.peek();
        if t.kind != Tk::Int {
            return Err(self.err_at(t));
        }
        self.bump();
        // TDengine reads these into an int8
        Ok(self.text(t).parse::<i64>().map(|v| v as i8 as i64).unwrap_or(0))
    }

    fn host_list(&mut self) -> PResult<Vec<String>> {
        let mut out = vec![self.string()?];
        while self.eat(Tk::Comma) {
            out.push(self.string()?);
        }
        Ok(out)
    }

    /// After `CREATE`: `USER name PASS 'p' [SYSINFO n] [CREATEDB n] [HOST 'ip', …]`.
    pub(super) fn create_user(&mut self) -> PResult<Statement> {
        let name = self.user_name()?;
        self.expect_kw("pass")?;
        let pass = self.password()?;
        let sysinfo = if self.eat_kw("sysinfo") { self.small_int()? } else { 1 };
        let createdb = if self.eat_kw("createdb") { self.small_int()? } else { 0 };
        let hosts = if self.eat_kw("host") { self.host_list()? } else { Vec::new() };
        Ok(Statement::CreateUser {
            name,
            pass,
            sysinfo,
            createdb,
            hosts,
        })
    }

    pub(super) fn alter_user(&mut self) -> PResult<Statement> {
        let name = self.user_name()?;
        let t = self.peek();
        let w = if t.kind == Tk::Ident { self.text(t).to_ascii_lowercase() } else { String::new() };
        self.bump();
        let change = match w.as_str() {
            "pass" => UserChange::Pass(self.password()?),
            "enable" => UserChange::Enable(self.small_int()?),
            "sysinfo" => UserChange::Sysinfo(self.small_int()?),
            "createdb" => UserChange::Createdb(self.small_int()?),
            "add" | "drop" => {
                self.expect_kw("host")?;
                let hosts = self.host_list()?;
                if w == "add" {
                    UserChange::AddHosts(hosts)
                } else {
                    UserChange::DropHosts(hosts)
                }
            }
            _ => return Err(self.err_at(t)),
        };
        Ok(Statement::AlterUser { name, change })
    }

    pub(super) fn drop_user(&mut self) -> PResult<Statement> {
        Ok(Statement::DropUser {
            name: self.user_name()?,
        })
    }

    /// `GRANT|REVOKE privileges ON level [WITH cond] TO|FROM user` (the keyword is consumed).
    pub(super) fn grant(&mut self, revoke: bool) -> PResult<Statement> {
        let mut privileges = Vec::new();
        if self.eat_kw("all") {
            privileges.extend(["read", "write", "alter"]);
        } else if self.eat_kw("subscribe") {
            privileges.push("subscribe");
        } else {
            loop {
                let t = self.peek();
                let p = match self.text(t).to_ascii_lowercase().as_str() {
                    "read" if t.kind == Tk::Ident => "read",
                    "write" if t.kind == Tk::Ident => "write",
                    "alter" if t.kind == Tk::Ident => "alter",
                    _ => return Err(self.err_at(t)),
                };
                self.bump();
                privileges.push(p);
                if !self.eat(Tk::Comma) {
                    break;
                }
            }
        }
        self.expect_kw("on")?;
        let level = if self.peek().kind == Tk::Star {
            self.bump();
            self.expect(Tk::Dot)?;
            self.expect(Tk::Star)?;
            PrivLevel::All
        } else {
            let db = self.ident()?;
            if self.eat(Tk::Dot) {
                if self.eat(Tk::Star) {
                    PrivLevel::Db(db)
                } else {
                    PrivLevel::Table(db, self.ident()?)
                }
            } else {
                PrivLevel::Topic(db)
            }
        };
        let cond = if self.eat_kw("with") { Some(self.expr()?) } else { None };
        self.expect_kw(if revoke { "from" } else { "to" })?;
        let user = self.user_name()?;
        Ok(Statement::Grant {
            revoke,
            privileges,
            level,
            cond,
            user,
        })
    }
}
