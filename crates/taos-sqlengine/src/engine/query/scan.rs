//! A plain scan run block by block: the WHERE, the select list and the LIMIT of a query over a
//! table or super table, evaluated as the client fetches, so that streaming a table costs a
//! block of memory, not the whole result. The scan holds the tables' storage (`Arc`) as it was
//! when the query ran; a write meanwhile copies the table it changes (`Arc::make_mut`).

use std::sync::Arc;

use crate::engine::catalog::TableData;
use crate::engine::eval::{truthy, BExpr, ColSrc, EvalEnv, RelField, Relation, RowRef, Segment};
use crate::types::{BlockSource, Field, Precision, ResultSet, Value};

/// One scanned table: its storage and the constants that follow its columns (tags, `tbname`).
struct ScanTable {
    data: Arc<TableData>,
    consts: Vec<Value>,
}

/// What the expressions of a query see ([`EvalEnv`]), owned.
struct Env {
    precision: Precision,
    tz: chrono_tz::Tz,
    tz_label: Option<String>,
    server_tz: chrono_tz::Tz,
    db: Option<String>,
    server_version: String,
    now: i64,
}

pub(crate) struct ScanPlan {
    fields: Vec<Field>,
    rel_fields: Vec<RelField>,
    ts_col: Option<usize>,
    qualifiers: Vec<String>,
    is_super: bool,
    pk_cols: Vec<usize>,
    tables: Vec<ScanTable>,
    exprs: Vec<BExpr>,
    /// WHERE, and whether it is a comparison (else a value's truthiness decides).
    filter: Option<(BExpr, bool)>,
    env: Env,
    /// Rows still to skip (OFFSET) and to give (LIMIT).
    skip: u64,
    left: u64,
    /// The next row to look at.
    seg: usize,
    idx: usize,
}

impl ScanPlan {
    pub(crate) fn new(
        rel: &Relation,
        env: &EvalEnv,
        fields: Vec<Field>,
        exprs: Vec<BExpr>,
        filter: Option<(BExpr, bool)>,
        limit: Option<(u64, u64)>,
    ) -> ScanPlan {
        let tables = rel
            .segs
            .iter()
            .map(|s| ScanTable {
                data: Arc::clone(s.table.expect("a plain scan reads stored tables")),
                consts: s
                    .cols
                    .iter()
                    .filter_map(|c| match c {
                        ColSrc::Const(v) => Some(v.clone()),
                        _ => None,
                    })
                    .collect(),
            })
            .collect();
        let (left, skip) = limit.unwrap_or((u64::MAX, 0));
        ScanPlan {
            fields,
            rel_fields: rel.fields.clone(),
            ts_col: rel.ts_col,
            qualifiers: rel.qualifiers.clone(),
            is_super: rel.is_super,
            pk_cols: rel.pk_cols.clone(),
            tables,
            exprs,
            filter,
            env: Env {
                precision: env.precision,
                tz: env.tz,
                tz_label: env.tz_label.map(str::to_string),
                server_tz: env.server_tz,
                db: env.db.map(str::to_string),
                server_version: env.server_version.to_string(),
                now: env.now,
            },
            skip,
            left,
            seg: 0,
            idx: 0,
        }
    }

    pub(crate) fn fields(&self) -> &[Field] {
        &self.fields
    }

    pub(crate) fn precision(&self) -> Precision {
        self.env.precision
    }

    /// Every remaining row at once (a caller that does not stream).
    pub(crate) fn collect(mut self) -> ResultSet {
        let columns = self.next_columns(usize::MAX);
        ResultSet { fields: self.fields, precision: self.env.precision, columns }
    }
}

impl BlockSource for ScanPlan {
    fn next_columns(&mut self, max_rows: usize) -> Vec<Vec<Value>> {
        let cap = max_rows.min(65536);
        let mut out: Vec<Vec<Value>> = self.exprs.iter().map(|_| Vec::with_capacity(cap)).collect();
        let e = &self.env;
        let env = EvalEnv {
            precision: e.precision,
            tz: e.tz,
            tz_label: e.tz_label.as_deref(),
            server_tz: e.server_tz,
            db: e.db.as_deref(),
            server_version: &e.server_version,
            now: e.now,
            fault: Default::default(),
            rand_seeded: Default::default(),
        };
        let mut rows = 0;
        while rows < max_rows && self.left > 0 && self.seg < self.tables.len() {
            let t = &self.tables[self.seg];
            let n = t.data.len();
            if self.idx >= n {
                self.seg += 1;
                self.idx = 0;
                continue;
            }
            // one table at a time, laid out as build_relation lays it: key, columns, constants
            let mut cols = Vec::with_capacity(1 + t.data.cols.len() + t.consts.len());
            cols.push(ColSrc::Ts(&t.data.ts));
            cols.extend(t.data.cols.iter().map(ColSrc::Stored));
            cols.extend(t.consts.iter().cloned().map(ColSrc::Const));
            let rel = Relation {
                fields: self.rel_fields.clone(),
                segs: vec![Segment { cols, n, table: Some(&t.data) }],
                precision: e.precision,
                ts_col: self.ts_col,
                qualifiers: self.qualifiers.clone(),
                is_super: self.is_super,
                pk_cols: self.pk_cols.clone(),
            };
            while rows < max_rows && self.left > 0 && self.idx < n {
                let r = RowRef { seg: 0, idx: self.idx as u32 };
                self.idx += 1;
                if let Some((cond, boolean)) = &self.filter {
                    let v = cond.eval(&rel, Some(r), None, &env);
                    let keep = if *boolean { matches!(v, Value::Bool(true)) } else { truthy(&v) };
                    if !keep {
                        continue;
                    }
                }
                if self.skip > 0 {
                    self.skip -= 1;
                    continue;
                }
                for (col, x) in out.iter_mut().zip(&self.exprs) {
                    col.push(x.eval(&rel, Some(r), None, &env));
                }
                rows += 1;
                self.left -= 1;
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use crate::types::{Answer, Outcome, ResultSet, RowStream};
    use crate::{Engine, EngineConfig, SessionCtx};

    fn engine() -> Engine {
        let e = Engine::new(EngineConfig::new("3.3.7.5"));
        let mut ctx = SessionCtx::default();
        for sql in [
            "create database d",
            "create stable d.st (ts timestamp, i int, s varchar(8), b bool) tags (t1 int, t2 nchar(4))",
            "create table d.c1 using d.st tags (1, 'one')",
            "create table d.c2 using d.st tags (null, 'two')",
            "create table d.c3 using d.st tags (3, null)",
            "create table d.n (ts timestamp, v double, u bigint unsigned)",
        ] {
            e.execute(&mut ctx, sql).unwrap();
        }
        for (k, t) in ["c1", "c2", "c3"].iter().enumerate() {
            let mut sql = format!("insert into d.{t} values");
            for r in 0..300 {
                let i = if r % 7 == 0 { "null".to_string() } else { (r * (k + 1)).to_string() };
                let s = if r % 5 == 0 { "null".to_string() } else { format!("'s{r}'") };
                sql += &format!(" ({}, {i}, {s}, {})", 1_700_000_000_000i64 + r as i64, r % 3 == 0);
            }
            e.execute(&mut ctx, &sql).unwrap();
        }
        e.execute(&mut ctx, "insert into d.n values (1700000000000, 1.5, 18446744073709551615) (1700000000001, null, 0)")
            .unwrap();
        e
    }

    fn drain(mut s: RowStream, block: usize) -> ResultSet {
        let mut all = ResultSet { fields: s.fields.clone(), precision: s.precision, columns: vec![Vec::new(); s.fields.len()] };
        while let Some(b) = s.next_block(block) {
            assert!(b.num_rows() <= block);
            for (d, c) in all.columns.iter_mut().zip(b.columns) {
                d.extend(c);
            }
        }
        all
    }

    #[test]
    fn a_streamed_scan_answers_what_the_query_answers() {
        let e = engine();
        let mut ctx = SessionCtx { db: Some("d".into()), ..Default::default() };
        for sql in [
            "select * from st",
            "select * from c2",
            "select ts, i * 2, tbname, t1, t2 from st where i > 5 limit 100 offset 7",
            "select * from st where s like 's1%' and t1 is not null",
            "select i from st limit 0",
            "select s, b from st where b",
            "select ts, i from st where t2 = 'two' limit 5",
            "select *, now() > ts from n",
            "select * from c1 limit 2, 3",
        ] {
            let want = match e.execute(&mut ctx, sql).unwrap() {
                Outcome::Rows(rs) => rs,
                o => panic!("{sql}: {o:?}"),
            };
            for block in [1, 7, 4096] {
                let got = match e.execute_streaming(&mut ctx, sql).unwrap() {
                    Answer::Stream(s) => drain(s, block),
                    a => panic!("{sql}: not streamed: {a:?}"),
                };
                assert_eq!(got, want, "{sql} in blocks of {block}");
            }
        }
    }

    #[test]
    fn what_is_not_a_plain_scan_is_answered_whole() {
        let e = engine();
        let mut ctx = SessionCtx { db: Some("d".into()), ..Default::default() };
        for sql in [
            "select count(*) from st",
            "select * from st order by ts",
            "select distinct t1 from st",
            "select i from st partition by tbname",
            "select * from (select * from c1)",
            "select * from information_schema.ins_databases",
            "select _wstart, count(*) from st interval(1s)",
            "select diff(i) from c1",
            "select * from c1 union all select * from c2",
        ] {
            let streamed = e.execute_streaming(&mut ctx, sql).unwrap();
            let whole = e.execute(&mut ctx, sql).unwrap();
            match streamed {
                Answer::Outcome(o) => assert_eq!(o, whole, "{sql}"),
                Answer::Stream(_) => panic!("{sql} was streamed"),
            }
        }
        // errors are found before the first block, as a whole query finds them
        for sql in ["select nope from st", "select * from st where i +", "select * from missing"] {
            assert_eq!(e.execute_streaming(&mut ctx, sql).unwrap_err(), e.execute(&mut ctx, sql).unwrap_err());
        }
    }

    #[test]
    fn a_stream_reads_the_tables_as_they_were_when_it_started() {
        let e = engine();
        let mut ctx = SessionCtx { db: Some("d".into()), ..Default::default() };
        let Answer::Stream(mut s) = e.execute_streaming(&mut ctx, "select ts, i from c1").unwrap() else {
            panic!("not streamed")
        };
        let first = s.next_block(100).unwrap();
        e.execute(&mut ctx, "insert into c1 (ts, i) values (1600000000000, -1) (1800000000000, -2)").unwrap();
        e.execute(&mut ctx, "insert into c1 (ts, i) values (1700000000150, 12345)").unwrap();
        e.execute(&mut ctx, "alter stable st add column extra int").unwrap();
        let rest = drain(s, 64);
        assert_eq!(first.num_rows() + rest.num_rows(), 300);
        assert!(!rest.columns[1].contains(&crate::types::Value::Int(12345)));
        // the table itself took the writes
        let Outcome::Rows(now) = e.execute(&mut ctx, "select count(*) from c1").unwrap() else { panic!() };
        assert_eq!(now.columns[0][0], crate::types::Value::Int(302));
    }
}
