//! SELECT and its clauses: FROM, JOIN, WHERE, PARTITION/GROUP BY, windows, FILL, HAVING,
//! ORDER BY, LIMIT/SLIMIT, UNION.

use crate::sql::ast::*;
use crate::sql::lexer::Tk;

use super::{PResult, Parser};

impl<'a> Parser<'a> {
    pub(super) fn query(&mut self) -> PResult<Query> {
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
                // a sort key is an expression, not a predicate (`order by v is null` is refused)
                let expr = self.additive()?;
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
        // SLIMIT comes before LIMIT
        let slimit = if self.eat_kw("slimit") {
            Some(self.limit_values("soffset")?)
        } else {
            None
        };
        let limit = if self.eat_kw("limit") {
            Some(self.limit_values("offset")?)
        } else {
            None
        };
        Ok(Query {
            selects,
            union_distinct,
            order_by,
            slimit,
            limit,
        })
    }

    pub(super) fn limit_values(&mut self, offset_kw: &str) -> PResult<(u64, u64)> {
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

    pub(super) fn select_core(&mut self) -> PResult<Select> {
        if self.peek().kind == Tk::LParen {
            // `(query) union all (query) …`: a parenthesised member (with its own ORDER BY and
            // LIMIT) reads like `select * from (query)`
            let open = self.bump();
            let query = self.query()?;
            self.expect(Tk::RParen)?;
            let text = self.sql[open.start..self.toks[self.pos - 1].end].to_string();
            return Ok(Select {
                distinct: false,
                items: vec![SelectItem {
                    expr: Expr::Star { table: None },
                    alias: None,
                    text,
                    cols_args: vec![],
                }],
                from: Some(FromItem::Subquery {
                    query: Box::new(query),
                    alias: None,
                }),
                where_: None,
                partition_by: vec![],
                window: None,
                group_by: vec![],
                having: None,
            });
        }
        self.expect_kw("select")?;
        let distinct = self.eat_kw("distinct");
        if self.is_kw("from") {
            return Err(self.err_here());
        }
        let mut items = Vec::new();
        loop {
            let start = self.peek().start;
            // an item is any expression, AND/OR included (`select 2 > 1 and 1 > 2`)
            let expr = self.expr()?;
            let end = self.toks[self.pos - 1].end;
            let text = self.sql[start..end].to_string();
            // `*` takes no alias
            let alias = if matches!(expr, Expr::Star { .. }) { None } else { self.opt_alias()? };
            let cols_args = match &expr {
                Expr::Func { name, pos, .. } if matches!(name.as_str(), "cols" | "first" | "last" | "last_row") => {
                    self.cols_args.remove(pos).unwrap_or_default()
                }
                _ => vec![],
            };
            items.push(SelectItem { expr, alias, text, cols_args });
            if !self.eat(Tk::Comma) {
                break;
            }
        }
        let from = if self.eat_kw("from") {
            Some(self.table_reference_list()?)
        } else {
            None
        };
        let where_ = if self.eat_kw("where") {
            Some(self.expr()?)
        } else {
            None
        };
        let mut partition_by = Vec::new();
        if self.eat_kw("partition") {
            self.expect_kw("by")?;
            partition_by = self.key_list()?;
        }
        let window = self.window()?;
        let mut group_by = Vec::new();
        if self.eat_kw("group") {
            self.expect_kw("by")?;
            group_by = self.key_list()?;
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
            where_,
            partition_by,
            window,
            group_by,
            having,
        })
    }

    /// `table_reference [, table_reference]…`: a comma is an inner join whose condition is
    /// found in WHERE.
    fn table_reference_list(&mut self) -> PResult<FromItem> {
        let mut left = self.table_reference()?;
        while self.peek().kind == Tk::Comma {
            let pos = self.bump().start;
            let right = self.table_reference()?;
            left = FromItem::Join(Box::new(Join {
                kind: JoinType::Inner,
                sub: JoinSub::None,
                left,
                right,
                on: None,
                window_offset: None,
                jlimit: None,
                pos,
            }));
        }
        Ok(left)
    }

    /// A table primary followed by any number of joins (left-associative).
    fn table_reference(&mut self) -> PResult<FromItem> {
        let mut left = self.table_primary()?;
        while let Some((kind, sub, pos)) = self.join_keywords()? {
            let right = self.table_primary()?;
            // ON is required for outer, semi and anti joins, optional for the others
            let on = if self.eat_kw("on") {
                Some(self.expr()?)
            } else if matches!(sub, JoinSub::Outer | JoinSub::Semi | JoinSub::Anti) {
                return Err(self.err_here());
            } else {
                None
            };
            let window_offset = if sub == JoinSub::Window {
                self.expect_kw("window_offset")?;
                self.expect(Tk::LParen)?;
                let a = self.window_offset_literal()?;
                self.expect(Tk::Comma)?;
                let b = self.window_offset_literal()?;
                self.expect(Tk::RParen)?;
                Some((a, b))
            } else {
                None
            };
            let jlimit = if matches!(sub, JoinSub::Asof | JoinSub::Window) && self.eat_kw("jlimit")
            {
                Some(self.uint()?)
            } else {
                None
            };
            left = FromItem::Join(Box::new(Join {
                kind,
                sub,
                left,
                right,
                on,
                window_offset,
                jlimit,
                pos,
            }));
        }
        Ok(left)
    }

    /// The keywords of a join (`LEFT ASOF JOIN`, `FULL OUTER JOIN`, …), or None when no join follows.
    fn join_keywords(&mut self) -> PResult<Option<(JoinType, JoinSub, usize)>> {
        let pos = self.peek().start;
        if self.eat_kw("join") {
            return Ok(Some((JoinType::Inner, JoinSub::None, pos)));
        }
        if self.is_kw("inner") {
            self.bump();
            self.expect_kw("join")?;
            return Ok(Some((JoinType::Inner, JoinSub::None, pos)));
        }
        let kind = if self.is_kw("left") {
            JoinType::Left
        } else if self.is_kw("right") {
            JoinType::Right
        } else if self.is_kw("full") {
            JoinType::Full
        } else {
            return Ok(None);
        };
        self.bump();
        let sub = if self.eat_kw("outer") {
            JoinSub::Outer
        } else if kind != JoinType::Full && self.eat_kw("semi") {
            JoinSub::Semi
        } else if kind != JoinType::Full && self.eat_kw("anti") {
            JoinSub::Anti
        } else if kind != JoinType::Full && self.eat_kw("asof") {
            JoinSub::Asof
        } else if kind != JoinType::Full && self.eat_kw("window") {
            JoinSub::Window
        } else {
            JoinSub::Outer
        };
        self.expect_kw("join")?;
        Ok(Some((kind, sub, pos)))
    }

    /// `1s`, `-1s` in WINDOW_OFFSET.
    fn window_offset_literal(&mut self) -> PResult<(i64, char)> {
        let neg = self.eat(Tk::Minus);
        let t = self.peek();
        if t.kind != Tk::Duration {
            return Err(self.err_at(t));
        }
        self.bump();
        let (v, u) = super::split_duration(self.text(t)).ok_or_else(|| self.err_at(t))?;
        Ok((if neg { -v } else { v }, u))
    }

    /// A table (`[db.]name [alias]`), a subquery (`(select …) [alias]`) or a parenthesised join.
    fn table_primary(&mut self) -> PResult<FromItem> {
        if self.peek().kind == Tk::LParen {
            if self.is_kw_at(1, "select")
                || self.peek_at(1).kind == Tk::LParen && !self.paren_join_ahead()
            {
                self.bump();
                let q = self.query()?;
                self.expect(Tk::RParen)?;
                let alias = self.opt_alias()?;
                return Ok(FromItem::Subquery {
                    query: Box::new(q),
                    alias,
                });
            }
            self.bump();
            // `from ('a')`, `from ()`: a syntax error at what is no table
            if !matches!(self.peek().kind, Tk::Ident | Tk::QuotedIdent | Tk::LParen) {
                return Err(self.err_here());
            }
            let inner = self.table_reference()?;
            if !inner.is_join() {
                return Err(self.err_here());
            }
            self.expect(Tk::RParen)?;
            return Ok(inner);
        }
        let name = self.table_name()?;
        let alias = self.opt_alias()?;
        Ok(FromItem::Table { name, alias })
    }

    /// After `((`: is this a parenthesised join rather than a parenthesised query?
    fn paren_join_ahead(&self) -> bool {
        let mut n = 1;
        while self.peek_at(n).kind == Tk::LParen {
            n += 1;
        }
        !self.is_kw_at(n, "select")
    }

    pub(super) fn opt_alias(&mut self) -> PResult<Option<String>> {
        if self.eat_kw("as") {
            return Ok(Some(self.ident()?));
        }
        let t = self.peek();
        if (t.kind == Tk::Ident && !self.is_reserved(t)) || t.kind == Tk::QuotedIdent {
            return Ok(Some(self.ident()?));
        }
        Ok(None)
    }

    /// GROUP BY / PARTITION BY keys: expressions, not predicates (`partition by v > 5` is refused).
    fn key_list(&mut self) -> PResult<Vec<Expr>> {
        let mut out = vec![self.additive()?];
        while self.eat(Tk::Comma) {
            out.push(self.additive()?);
        }
        Ok(out)
    }

    /// A window length/offset: `10s`, `'10s'` or an integer in the database precision (never
    /// negative: `interval(10s, -1s)` is a syntax error).
    fn duration_literal(&mut self) -> PResult<Expr> {
        let t = self.peek();
        match t.kind {
            Tk::Duration | Tk::Int => self.primary(),
            Tk::Str => {
                self.bump();
                let text = crate::sql::lexer::unescape(self.text(t));
                super::split_duration(text.trim())
                    .map(|(value, unit)| Expr::Duration { value, unit })
                    .ok_or_else(|| self.err_at(t))
            }
            _ => Err(self.err_at(t)),
        }
    }

    /// `TRUE_FOR(duration)` after a state or event window.
    fn true_for(&mut self) -> PResult<Option<Expr>> {
        if !self.eat_kw("true_for") {
            return Ok(None);
        }
        self.expect(Tk::LParen)?;
        let d = self.duration_literal()?;
        self.expect(Tk::RParen)?;
        Ok(Some(d))
    }

    /// `[table.]column`.
    fn column_reference(&mut self) -> PResult<Expr> {
        let t = self.peek();
        let first = self.ident()?;
        match self.column_rest(first)? {
            Expr::Star { .. } => Err(self.err_at(t)),
            col => Ok(col),
        }
    }

    fn column_names(&mut self) -> PResult<Vec<String>> {
        let mut out = vec![self.ident()?];
        while self.eat(Tk::Comma) {
            out.push(self.ident()?);
        }
        Ok(out)
    }

    /// `FILL(mode[, values])`; NEAR only for INTERP.
    pub(super) fn fill_clause(&mut self, interp: bool) -> PResult<Option<Fill>> {
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
            "near" if interp => Fill::Near,
            "value" | "value_f" => {
                self.expect(Tk::Comma)?;
                let mut vals = vec![self.unary()?];
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

    pub(super) fn window(&mut self) -> PResult<Option<Window>> {
        if self.is_kw("range") || self.is_kw("every") || self.is_kw("fill") {
            // INTERP's clauses: RANGE(start[, end]) EVERY(step) FILL(mode[, values])
            let range = if self.eat_kw("range") {
                self.expect(Tk::LParen)?;
                let a = self.additive()?;
                let b = if self.eat(Tk::Comma) {
                    Some(self.additive()?)
                } else {
                    None
                };
                self.expect(Tk::RParen)?;
                Some((a, b))
            } else {
                None
            };
            let every = if self.eat_kw("every") {
                self.expect(Tk::LParen)?;
                let e = self.duration_literal()?;
                self.expect(Tk::RParen)?;
                Some(e)
            } else {
                None
            };
            let mut fill_values_misplaced = false;
            let fill = if self.is_kw("fill")
                && ["prev", "next", "near"]
                    .iter()
                    .any(|m| self.is_kw_at(2, m))
                && self.peek_at(3).kind == Tk::Comma
            {
                // `fill(prev, 1)`: parsed, refused when translated
                self.bump();
                self.bump();
                let mode = self.any_ident()?;
                while self.eat(Tk::Comma) {
                    self.unary()?;
                }
                self.expect(Tk::RParen)?;
                fill_values_misplaced = true;
                Some(match mode.as_str() {
                    "prev" => Fill::Prev,
                    "next" => Fill::Next,
                    _ => Fill::Near,
                })
            } else {
                self.fill_clause(true)?
            };
            return Ok(Some(Window::Interp {
                range,
                every,
                fill,
                fill_values_misplaced,
            }));
        }
        if self.eat_kw("interval") {
            self.expect(Tk::LParen)?;
            let interval = self.duration_literal()?;
            let offset = if self.eat(Tk::Comma) {
                Some(self.duration_literal()?)
            } else {
                None
            };
            self.expect(Tk::RParen)?;
            let sliding = if self.eat_kw("sliding") {
                self.expect(Tk::LParen)?;
                let s = self.duration_literal()?;
                self.expect(Tk::RParen)?;
                Some(s)
            } else {
                None
            };
            let fill = self.fill_clause(false)?;
            return Ok(Some(Window::Interval {
                interval,
                offset,
                sliding,
                fill,
            }));
        }
        if self.eat_kw("session") {
            self.expect(Tk::LParen)?;
            let col = self.column_reference()?;
            self.expect(Tk::Comma)?;
            let gap = self.duration_literal()?;
            self.expect(Tk::RParen)?;
            return Ok(Some(Window::Session { col, gap }));
        }
        if self.eat_kw("state_window") {
            self.expect(Tk::LParen)?;
            let expr = self.additive()?;
            self.expect(Tk::RParen)?;
            let true_for = self.true_for()?;
            return Ok(Some(Window::State { expr, true_for }));
        }
        if self.eat_kw("event_window") {
            self.expect_kw("start")?;
            self.expect_kw("with")?;
            let start = self.expr()?;
            self.expect_kw("end")?;
            self.expect_kw("with")?;
            let end = self.expr()?;
            let true_for = self.true_for()?;
            return Ok(Some(Window::Event {
                start,
                end,
                true_for,
            }));
        }
        if self.eat_kw("count_window") {
            // COUNT_WINDOW(n [, sliding] [, col …])
            self.expect(Tk::LParen)?;
            let count = self.uint()? as i64;
            let mut sliding = None;
            let mut cols = Vec::new();
            if self.eat(Tk::Comma) {
                if self.peek().kind == Tk::Int {
                    sliding = Some(self.uint()? as i64);
                    if self.eat(Tk::Comma) {
                        cols = self.column_names()?;
                    }
                } else {
                    cols = self.column_names()?;
                }
            }
            self.expect(Tk::RParen)?;
            return Ok(Some(Window::Count {
                count,
                sliding,
                cols,
            }));
        }
        Ok(None)
    }
}
