//! Expressions, by precedence: OR, AND, NOT, predicates (comparison, IN, BETWEEN, LIKE, MATCH,
//! IS NULL, CONTAINS), arithmetic, unary operators, primaries (literals, columns, function calls,
//! CASE, CAST, subqueries).

use crate::sql::ast::*;
use crate::sql::lexer::{byte_prefix, unescape, Tk};

use super::{parse_int_text, split_duration, PResult, Parser};

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

/// TDengine's `noarg_func`s: called with `()` only.
const NO_ARGS: &[&str] = &[
    "now",
    "today",
    "timezone",
    "database",
    "client_version",
    "server_version",
    "server_status",
    "current_user",
    "user",
    "pi",
];

impl<'a> Parser<'a> {
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        let mut left = self.and_expr()?;
        while self.is_kw("or") {
            // AND/OR join predicates only (`b and true` is a syntax error at `and`)
            if !is_predicate(&left) {
                return Err(self.err_here());
            }
            self.bump();
            let right = self.and_expr()?;
            // and so does the right operand (`v > 2 or true` ends too early: 9729)
            if !is_predicate(&right) {
                return Err(self.err_here());
            }
            left = Expr::Binary {
                op: BinOp::Or,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    pub(super) fn and_expr(&mut self) -> PResult<Expr> {
        let mut left = self.not_expr()?;
        while self.is_kw("and") {
            if !is_predicate(&left) {
                return Err(self.err_here());
            }
            self.bump();
            let right = self.not_expr()?;
            if !is_predicate(&right) {
                return Err(self.err_here());
            }
            left = Expr::Binary {
                op: BinOp::And,
                left: Box::new(left),
                right: Box::new(right),
            };
        }
        Ok(left)
    }

    pub(super) fn not_expr(&mut self) -> PResult<Expr> {
        if self.eat_kw("not") {
            // `not (a = 1)`, `not (a = 1 or b = 2)`: a parenthesized predicate
            if self.peek().kind == Tk::LParen {
                let save = self.pos;
                self.bump();
                if let Ok(e) = self.expr() {
                    if self.eat(Tk::RParen) && is_predicate(&e) && !self.is_comparison_next() {
                        return Ok(Expr::Not(Box::new(e)));
                    }
                }
                self.pos = save;
            }
            // TDengine only negates predicates: `not b` alone is a syntax error at what follows
            let operand = self.additive()?;
            let pred = self.predicate_rest(operand, true)?;
            return Ok(Expr::Not(Box::new(pred)));
        }
        if self.peek().kind == Tk::LParen {
            // `(a = 1)`, `(a = 1 or b = 2)`: a parenthesized predicate is a boolean primary, never
            // an operand (`(1 = 1) = (2 = 2)`, `(1 = 1) + 1` are syntax errors at the operator)
            let save = self.pos;
            self.bump();
            if let Ok(e) = self.expr() {
                if self.eat(Tk::RParen) && is_predicate(&e) {
                    if self.is_operator_next() {
                        return Err(self.err_here());
                    }
                    return Ok(e);
                }
            }
            self.pos = save;
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

    /// Whether an operator that takes an expression operand is at the cursor.
    fn is_operator_next(&self) -> bool {
        use Tk::*;
        matches!(
            self.peek().kind,
            Eq | Ne | Lt | Le | Gt | Ge | Plus | Minus | Star | Slash | Percent | BitAnd | BitOr | Arrow
        ) || ["is", "in", "not", "between", "like", "match", "nmatch", "regexp", "contains"]
            .iter()
            .any(|k| self.is_kw(k))
    }

    /// Whether a comparison operator is at the cursor.
    fn is_comparison_next(&self) -> bool {
        matches!(self.peek().kind, Tk::Eq | Tk::Ne | Tk::Lt | Tk::Le | Tk::Gt | Tk::Ge)
    }

    /// Whether the parenthesis at the cursor holds a boolean (AND/OR) expression.
    pub(super) fn paren_is_boolean(&self) -> bool {
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

    pub(super) fn predicate_rest(&mut self, left: Expr, required: bool) -> PResult<Expr> {
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
            && ["in", "between", "like", "regexp", "match", "nmatch"]
                .iter()
                .any(|w| self.is_kw_at(1, w))
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
        if self.is_kw("match") || self.is_kw("nmatch") || self.is_kw("regexp") {
            // MATCH / NMATCH / REGEXP / NOT REGEXP: TDengine's grammar has no NOT MATCH
            let word = self.text(self.peek()).to_ascii_lowercase();
            if negated && word != "regexp" {
                return Err(self.err_here());
            }
            self.bump();
            let neg = word == "nmatch" || negated;
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

    pub(super) fn additive(&mut self) -> PResult<Expr> {
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

    pub(super) fn multiplicative(&mut self) -> PResult<Expr> {
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

    pub(super) fn unary(&mut self) -> PResult<Expr> {
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
        // TDengine's grammar: `column_reference -> 'key'`, once (`info->'k'->'x'` and
        // `f(x)->'k'` are syntax errors at the arrow)
        if self.peek().kind == Tk::Arrow && matches!(e, Expr::Column { .. }) {
            self.bump();
            let key = self.string()?;
            e = Expr::JsonGet {
                expr: Box::new(e),
                key,
            };
        }
        if self.peek().kind == Tk::Arrow {
            return Err(self.err_here());
        }
        Ok(e)
    }

    pub(super) fn primary(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            Tk::Int => {
                self.bump();
                // TDengine reads an integer literal with strtoull: past u64 it saturates
                Ok(Expr::Int(
                    parse_int_text(self.text(t))
                        .map_or(u64::MAX as i128, |v| v.min(u64::MAX as i128)),
                ))
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
                // an operand's parentheses hold an expression, not a predicate (`1 + (1 = 1)` is
                // a syntax error at `=`)
                self.bump();
                let e = self.additive()?;
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
                        // a string type without a length takes the longest one
                        let word = self.text(self.peek()).to_ascii_lowercase();
                        let ty = if self.peek_at(1).kind != Tk::LParen
                            && matches!(word.as_str(), "binary" | "varchar" | "nchar" | "varbinary")
                        {
                            self.bump();
                            match word.as_str() {
                                "nchar" => TypeName::NChar(MAX_VAR_LEN / 4),
                                "varbinary" => TypeName::VarBinary(MAX_VAR_LEN),
                                _ => TypeName::VarChar(MAX_VAR_LEN),
                            }
                        } else {
                            self.type_name()?
                        };
                        self.expect(Tk::RParen)?;
                        return Ok(Expr::Cast {
                            expr: Box::new(e),
                            ty,
                        });
                    }
                    "timestamp" if self.peek_at(1).kind == Tk::Str => {
                        // `timestamp '2024-01-01 00:00:00'`: a TIMESTAMP literal
                        self.bump();
                        let lit = self.bump();
                        let text = crate::sql::lexer::unescape(self.text(lit));
                        return Ok(Expr::Cast {
                            expr: Box::new(Expr::Str(text)),
                            ty: TypeName::Timestamp,
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
                // TDengine's keywords are no column names (`select sysinfo from …` is 9728);
                // pseudo columns (`tbname`, `_wstart`, …) are keywords that stand alone
                if self.is_reserved(t)
                    || (self.is_keyword(t)
                        && !w.starts_with('_')
                        && w != "tbname"
                        && self.peek_at(1).kind != Tk::Dot)
                {
                    return Err(self.err_at(t));
                }
                let name = self.ident()?;
                self.column_rest(name)
            }
            _ => Err(self.err_at(t)),
        }
    }

    pub(super) fn column_rest(&mut self, first: String) -> PResult<Expr> {
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

    pub(super) fn func_call(&mut self) -> PResult<Expr> {
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
        if name == "trim" {
            return self.trim_args(t.start);
        }
        if name == "substr" || name == "substring" {
            // substring(s FROM pos [FOR len]) as well as substring(s, pos[, len])
            let s = self.additive()?;
            if self.eat_kw("from") {
                let mut args = vec![s, self.additive()?];
                if self.eat_kw("for") {
                    args.push(self.additive()?);
                }
                self.expect(Tk::RParen)?;
                return Ok(Expr::Func {
                    name,
                    args,
                    pos: t.start,
                });
            }
            args.push(s);
            while self.eat(Tk::Comma) {
                args.push(self.additive()?);
            }
            self.expect(Tk::RParen)?;
            return Ok(Expr::Func {
                name,
                args,
                pos: t.start,
            });
        }
        // the grammar's noarg_func: an argument is a syntax error at it
        if NO_ARGS.contains(&name.as_str()) && self.peek().kind != Tk::RParen {
            return Err(self.err_here());
        }
        if name == "cols" && self.peek().kind != Tk::RParen {
            return self.cols_call(t.start, name);
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
        let mut written = Vec::new();
        loop {
            let start = self.peek().start;
            if self.peek().kind == Tk::Star {
                // the grammar's star functions take a `*`, and only as the whole list or its
                // start (`first(v, *)`, `sum(*)`: 9728 at the star)
                if !args.is_empty() || !matches!(name.as_str(), "count" | "first" | "last" | "last_row") {
                    return Err(self.err_here());
                }
                self.bump();
                args.push(Expr::Star { table: None });
                // `count(*, v)`: a star stands alone
                if self.peek().kind != Tk::RParen {
                    return Err(self.err_here());
                }
            } else {
                args.push(self.additive()?);
            }
            let end = self.toks[self.pos - 1].end;
            written.push(ColsArg { text: self.sql[start..end].to_string(), alias: None });
            if !self.eat(Tk::Comma) {
                break;
            }
        }
        self.expect(Tk::RParen)?;
        // `first(a, b)` is `first(a), first(b)`, each column named by its argument as written
        if args.len() > 1 && matches!(name.as_str(), "first" | "last" | "last_row") {
            self.cols_args.insert(t.start, written);
        }
        Ok(Expr::Func {
            name,
            args,
            pos: t.start,
        })
    }

    /// `cols(selector, e1 [[AS] alias1], …)`: the arguments after the selector may carry an
    /// alias, and name their output columns by how they were written (kept by the call's
    /// position for the select item). TDengine's text starts where the first token's name
    /// starts: inside a leading backquote (`` `v`+1 `` is named ``v`+1``).
    fn cols_call(&mut self, pos: usize, name: String) -> PResult<Expr> {
        let mut args = vec![self.additive()?];
        let mut written = Vec::new();
        // `cols(max(v))` is 9728 near the `)`
        if self.peek().kind != Tk::Comma {
            return Err(self.err_here());
        }
        while self.eat(Tk::Comma) {
            let first = self.peek();
            let start = if first.kind == Tk::QuotedIdent { first.start + 1 } else { first.start };
            let from = self.pos;
            if first.kind == Tk::Star {
                // `cols(max(v), *)`: every column of the row (`t.*` is no argument of it)
                self.bump();
                args.push(Expr::Star { table: None });
            } else {
                args.push(self.additive()?);
            }
            // a placeholder or `t.*` is no argument of cols() in TDengine's grammar
            if let Some(t) = self.toks[from..self.pos].iter().find(|t| t.kind == Tk::Question)
                .or_else(|| matches!(args.last(), Some(Expr::Star { table: Some(_) })).then(|| &self.toks[self.pos - 1]))
            {
                return Err(super::syntax_error_near(self.sql, t.start));
            }
            let end = self.toks[self.pos - 1].end;
            let text = byte_prefix(&self.sql[start..end.max(start)], 64);
            let alias = if first.kind == Tk::Star { None } else { self.opt_alias()? };
            written.push(ColsArg { text: text.to_string(), alias });
        }
        self.expect(Tk::RParen)?;
        self.cols_args.insert(pos, written);
        Ok(Expr::Func { name, args, pos })
    }

    /// `trim(s)`, `trim([both|leading|trailing] [chars] from s)`: the side becomes the internal
    /// name (`trim leading`, which no statement can spell), the arguments `[chars,] s`.
    fn trim_args(&mut self, pos: usize) -> PResult<Expr> {
        let side = ["both", "leading", "trailing"]
            .into_iter()
            .find(|w| self.is_kw(w));
        if side.is_some() {
            self.bump();
        }
        let name = match side {
            Some("leading") => "trim leading",
            Some("trailing") => "trim trailing",
            _ => "trim",
        }
        .to_string();
        let args = if side.is_some() && self.eat_kw("from") {
            vec![self.additive()?]
        } else {
            let first = self.additive()?;
            if self.eat_kw("from") {
                vec![first, self.additive()?]
            } else if side.is_some() {
                return Err(self.err_here());
            } else {
                vec![first]
            }
        };
        self.expect(Tk::RParen)?;
        Ok(Expr::Func { name, args, pos })
    }

    pub(super) fn case_expr(&mut self) -> PResult<Expr> {
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

/// The longest VARCHAR (in bytes, without the length header) a value may have:
/// `cast(x as varchar)` takes it, `nchar` a quarter of it.
const MAX_VAR_LEN: u32 = 65517;

/// A predicate (what NOT negates): a comparison, AND/OR/NOT, IS NULL, IN, BETWEEN, LIKE, MATCH,
/// CONTAINS.
fn is_predicate(e: &Expr) -> bool {
    match e {
        Expr::Binary { op, .. } => op.is_cmp() || matches!(op, BinOp::And | BinOp::Or),
        Expr::Not(_)
        | Expr::IsNull { .. }
        | Expr::InList { .. }
        | Expr::Between { .. }
        | Expr::Like { .. }
        | Expr::Match { .. } => true,
        Expr::Func { name, .. } => name == "contains",
        _ => false,
    }
}
