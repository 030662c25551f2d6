//! The in-memory engine alone, no sockets: `cargo bench -p taos-testserver --bench engine`.
//! Each figure is the median of RUNS runs (the machine is shared; read them as lower bounds).

use std::time::{Duration, Instant};

use taos_sqlengine::{Engine, EngineConfig, SessionCtx};
use taos_sqlengine::types::{Outcome, ResultSet};

const RUNS: usize = 5;
const BASE_TS: i64 = 1_704_067_200_000;
const ROWS: usize = 1_000_000;
const BATCH: usize = 10_000;
const CHILDREN: usize = 10;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn exec(e: &Engine, ctx: &mut SessionCtx, sql: &str) -> Outcome {
    e.execute(ctx, sql)
        .unwrap_or_else(|err| panic!("{}: {err:?}", &sql[..sql.len().min(80)]))
}

fn rows(e: &Engine, ctx: &mut SessionCtx, sql: &str) -> ResultSet {
    match exec(e, ctx, sql) {
        Outcome::Rows(rs) => rs,
        other => panic!("{sql}: {other:?}"),
    }
}

/// 1M rows over CHILDREN child tables of `st`, as 10k-row INSERT statements (one child each).
fn insert_statements() -> Vec<String> {
    let per_child = ROWS / CHILDREN;
    (0..ROWS / BATCH)
        .map(|b| {
            let child = b * BATCH / per_child;
            let mut sql = String::with_capacity(BATCH * 40);
            sql.push_str(&format!(
                "insert into c{child} using st tags ({child}) values "
            ));
            for k in 0..BATCH {
                let n = b * BATCH + k;
                // Each child holds 100k rows at 1 ms steps: the same 100 s span.
                let ts = BASE_TS + (n % per_child) as i64;
                sql.push_str(&format!(
                    "({ts}, {}.5, {}, 'str{}') ",
                    n % 1000,
                    n % 77,
                    n % 10
                ));
            }
            sql
        })
        .collect()
}

fn fresh(e: &Engine, ctx: &mut SessionCtx) {
    exec(e, ctx, "drop database if exists b");
    exec(e, ctx, "create database b");
    exec(e, ctx, "use b");
    exec(
        e,
        ctx,
        "create stable st (ts timestamp, v double, i int, s varchar(16)) tags (g int)",
    );
}

fn corpus() -> Vec<(Option<String>, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/sql-corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .flatten()
        .map(|e| e.path())
        // Round 1 (s01–s21): the 829 statements BENCHMARKS.md measured; round 2 is not a workload.
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.as_bytes().get(1..3).is_some_and(|d| d < b"22".as_slice()))
        })
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        for line in std::fs::read_to_string(&f)
            .unwrap()
            .lines()
            .filter(|l| !l.trim().is_empty())
        {
            let rec: serde_json::Value = serde_json::from_str(line).unwrap();
            let sql = rec["sql"].as_str().unwrap_or_default().to_string();
            out.push((rec["db"].as_str().map(str::to_string), sql));
        }
    }
    out
}

fn main() {
    let stmts = insert_statements();
    let mut table: Vec<(String, String)> = Vec::new();

    // Insert: a fresh database per run.
    let mut times = Vec::new();
    let e = Engine::new(EngineConfig::new(taos_testserver::SERVER_VERSION));
    let mut ctx = SessionCtx::default();
    for _ in 0..RUNS {
        fresh(&e, &mut ctx);
        let t = Instant::now();
        for s in &stmts {
            exec(&e, &mut ctx, s);
        }
        times.push(t.elapsed());
    }
    let d = median(times);
    table.push((
        "INSERT 1M rows (100 statements × 10k rows, 10 child tables)".into(),
        format!(
            "{:.0} ms = {:.2} M rows/s",
            d.as_secs_f64() * 1e3,
            ROWS as f64 / d.as_secs_f64() / 1e6
        ),
    ));

    // (what, statement, rows it scans)
    let queries: &[(&str, &str, usize)] = &[
        (
            "count/sum/avg/min/max over 1M rows",
            "select count(*), sum(i), avg(v), min(v), max(v) from st",
            ROWS,
        ),
        (
            "interval(10s) with _wstart + count/avg over 1M rows",
            "select _wstart, count(*), avg(v) from st interval(10s)",
            ROWS,
        ),
        (
            "partition by tbname (10 children), count/sum/max",
            "select tbname, count(*), sum(i), max(v) from st partition by tbname",
            ROWS,
        ),
        (
            "filtered scan over 1M rows: count where i > 10 and s = 'str3'",
            "select count(*) from st where i > 10 and s = 'str3'",
            ROWS,
        ),
        (
            "filtered projection of one child (100k rows)",
            "select ts, v from c3 where i = 5 and v > 500",
            ROWS / CHILDREN,
        ),
    ];
    for &(what, sql, scanned) in queries {
        let n = rows(&e, &mut ctx, sql).num_rows();
        let times = (0..RUNS)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(rows(&e, &mut ctx, sql));
                t.elapsed()
            })
            .collect();
        let d = median(times);
        table.push((
            format!("{what} ({n} result rows)"),
            format!(
                "{:.1} ms = {:.1} M rows/s scanned",
                d.as_secs_f64() * 1e3,
                scanned as f64 / d.as_secs_f64() / 1e6
            ),
        ));
    }

    // The whole recorded corpus (every scenario, errors included) through a fresh engine.
    let corpus = corpus();
    let times = (0..RUNS)
        .map(|_| {
            let e = Engine::new(EngineConfig::new(taos_testserver::SERVER_VERSION));
            let t = Instant::now();
            for (db, sql) in &corpus {
                let mut ctx = SessionCtx { db: db.clone(), ..Default::default() };
                let _ = std::hint::black_box(e.execute(&mut ctx, sql));
            }
            t.elapsed()
        })
        .collect();
    let d = median(times);
    table.push((
        format!(
            "SQL corpus replay ({} statements, 17 scenarios)",
            corpus.len()
        ),
        format!(
            "{:.1} ms = {:.0} statements/s",
            d.as_secs_f64() * 1e3,
            corpus.len() as f64 / d.as_secs_f64()
        ),
    ));

    println!("| what | median of {RUNS} |\n|---|---|");
    for (what, result) in table {
        println!("| {what} | {result} |");
    }
}
