//! Throughput of the protocol side (plain `std::time::Instant`, median of runs):
//! 1. raw block encoding of a prepared 1M-row result, in process;
//! 2. the same result served over a real WebSocket (`binary_query` + `fetch_raw_block` loop);
//! 3. batched SQL INSERT (10k rows per statement) through the server, when the engine runs SQL.
//!
//! `cargo bench -p taos-testserver --bench server` (results go into BENCHMARKS.md by hand).

#[path = "../tests/common/mod.rs"]
mod common;

use common::*;
use std::sync::Arc;
use std::time::Instant;
use taos_testserver::types::{DataType, Field, Outcome, Precision, ResultSet, TdError, Value};
use taos_testserver::{ServerConfig, SessionCtx, SqlBackend};

const ROWS: usize = 1_000_000;
const RUNS: usize = 5;

fn prepared() -> ResultSet {
    ResultSet {
        fields: vec![
            Field::fixed("ts", DataType::Timestamp),
            Field::fixed("v", DataType::Int),
            Field::fixed("d", DataType::Double),
            Field::fixed("b", DataType::BigInt),
            Field::new("s", DataType::VarChar, 16),
        ],
        precision: Precision::Millisecond,
        columns: vec![
            (0..ROWS).map(|i| Value::Timestamp(1_700_000_000_000 + i as i64)).collect(),
            (0..ROWS).map(|i| if i % 10 == 0 { Value::Null } else { Value::Int(i as i64) }).collect(),
            (0..ROWS).map(|i| Value::Double(i as f64 * 0.5)).collect(),
            (0..ROWS).map(|i| Value::Int(i as i64 * 1000)).collect(),
            (0..ROWS).map(|i| Value::Str(format!("row-{i:08}"))).collect(),
        ],
    }
}

struct Prepared(Arc<ResultSet>);

impl SqlBackend for Prepared {
    fn execute(&self, _ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        if sql == "select prepared" {
            Ok(Outcome::Rows((*self.0).clone()))
        } else {
            Err(TdError::new(0x2600, "syntax error"))
        }
    }
    fn validate(&self, _: &SessionCtx, _: &str) -> Result<(), TdError> {
        Ok(())
    }
    fn database_exists(&self, _: &str) -> bool {
        false
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    let rs = Arc::new(prepared());

    // 1. Encoding only.
    let mut rates = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..RUNS {
        let t = Instant::now();
        bytes = 0;
        let mut start = 0;
        while start < ROWS {
            let end = (start + 4096).min(ROWS);
            bytes += std::hint::black_box(taos_testserver::block::encode_block(&rs, start, end)).len();
            start = end;
        }
        rates.push(bytes as f64 / t.elapsed().as_secs_f64() / 1e6);
    }
    println!("encode 1M rows (5 cols, 4096-row blocks): {} MB of blocks, median {:.0} MB/s", bytes / 1_000_000, median(rates));

    // 2. Served over a WebSocket.
    rt.block_on(async {
        let server = taos_testserver::start_with_backend(
            ServerConfig { port: 0, ..ServerConfig::default() },
            Arc::new(Prepared(rs.clone())),
        )
        .await
        .unwrap();
        let mut c = WsClient::connect_root(server.addr()).await;
        let mut rates = Vec::new();
        let mut rows_rates = Vec::new();
        for run in 0..RUNS {
            c.send_binary(&binary_query(run as u64, "select prepared")).await;
            let reply: serde_json::Value = serde_json::from_str(&c.recv_text().await).unwrap();
            let id = reply["id"].as_u64().unwrap();
            let t = Instant::now();
            let (mut block_bytes, mut rows) = (0usize, 0usize);
            // Keep a few fetches in flight so the figure is the server's, not the round trip's.
            const WINDOW: usize = 4;
            for _ in 0..WINDOW {
                c.send_binary(&fetch_raw_block(1, id)).await;
            }
            let mut finished = false;
            let mut outstanding = WINDOW;
            while outstanding > 0 {
                let f = c.recv_binary().await;
                outstanding -= 1;
                if finished || f[50] == 1 {
                    finished = true;
                    continue;
                }
                c.send_binary(&fetch_raw_block(1, id)).await;
                outstanding += 1;
                block_bytes += f.len() - 55;
                rows += i32::from_le_bytes(f[63..67].try_into().unwrap()) as usize;
            }
            let secs = t.elapsed().as_secs_f64();
            assert_eq!(rows, ROWS);
            rates.push(block_bytes as f64 / secs / 1e6);
            rows_rates.push(rows as f64 / secs / 1e6);
        }
        println!(
            "serve 1M-row result over /ws (fetch_raw_block, 4 requests in flight): median {:.0} MB/s of block bytes, {:.1} M rows/s",
            median(rates),
            median(rows_rates)
        );
        server.shutdown().await;
    });

    // 3. Batched SQL INSERT through the real engine.
    rt.block_on(async {
        let server = taos_testserver::start(ServerConfig { port: 0, ..ServerConfig::default() }).await.unwrap();
        let mut c = WsClient::connect_root(server.addr()).await;
        let setup = ["drop database if exists bench_ins", "create database bench_ins keep 36500d",
                     "create table bench_ins.t (ts timestamp, v int, d double, s varchar(16))"];
        for sql in setup {
            let r = run(&mut c, sql).await;
            if r["code"] != 0 {
                println!("insert: skipped, the engine does not run `{sql}` yet: {}", r["message"]);
                return;
            }
        }
        let statements: Vec<String> = (0..100)
            .map(|b| {
                let mut s = String::from("insert into bench_ins.t values ");
                for i in 0..10_000 {
                    let n = b * 10_000 + i;
                    s.push_str(&format!("({}, {n}, {}.5, 'row-{n:08}') ", 1_600_000_000_000i64 + n as i64, n));
                }
                s
            })
            .collect();
        let t = Instant::now();
        let mut rows = 0u64;
        for s in statements {
            let r = run(&mut c, &s).await;
            rows += r["affected_rows"].as_u64().unwrap_or(0);
        }
        let secs = t.elapsed().as_secs_f64();
        println!("insert 1M rows over /ws (100 statements × 10k rows): {rows} rows in {secs:.2} s = {:.2} M rows/s", rows as f64 / secs / 1e6);
        server.shutdown().await;
    });
}

async fn run(c: &mut WsClient, sql: &str) -> serde_json::Value {
    c.send_binary(&binary_query(0, sql)).await;
    serde_json::from_str(&c.recv_text().await).unwrap()
}
