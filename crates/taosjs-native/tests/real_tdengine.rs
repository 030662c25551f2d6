//! The native transport against a real TDengine: runs when `TAOS_LIBRARY_PATH` points to a
//! client library (taosd on `TAOSJS_NATIVE_ADDR`, default localhost:6030; taosAdapter for the
//! WebSocket comparison at `TDENGINE_DSN`, default ws://root:taosdata@localhost:6041), and is
//! skipped with a message otherwise. The adapter and taosd share their data, so rows written
//! through one transport are read through both and compared value by value.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use taosjs_core::bind::{BindColumn, BindTable, ColumnValues, VarData};
use taosjs_core::block::{DecodedBlock, DecodedColumn};
use taosjs_core::{ConnectConfig, DataType, Endpoint, ErrorKind, Field, SchemalessPrecision, SchemalessProtocol, SchemalessRequest, Stmt2InitOptions};
use taosjs_native::NativeClient;
use taosjs_tokio::Client;

fn enabled() -> bool {
    if std::env::var_os("TAOS_LIBRARY_PATH").is_some_and(|v| !v.is_empty()) {
        true
    } else {
        eprintln!("SKIPPED: TAOS_LIBRARY_PATH is not set, so the native tests against a real TDengine do not run (set it to libtaos.so; taosd at TAOSJS_NATIVE_ADDR, taosAdapter at TDENGINE_DSN)");
        false
    }
}

fn native_config() -> ConnectConfig {
    let addr = std::env::var("TAOSJS_NATIVE_ADDR").unwrap_or_else(|_| "localhost:6030".into());
    let (host, port) = addr.rsplit_once(':').expect("host:port");
    ConnectConfig { endpoints: vec![Endpoint { host: host.into(), port: port.parse().unwrap() }], ..Default::default() }
}

async fn native() -> NativeClient {
    within(NativeClient::connect(&native_config())).await.expect("native connect")
}

async fn ws() -> Client {
    let dsn = std::env::var("TDENGINE_DSN").unwrap_or_else(|_| "ws://root:taosdata@localhost:6041".into());
    within(Client::connect(ConnectConfig::from_dsn(&dsn).unwrap())).await.expect("ws connect")
}

/// Every call under a timeout: a hang is a failure.
async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("timed out")
}

fn db_name(tag: &str) -> String {
    static N: AtomicU32 = AtomicU32::new(0);
    format!("tjn_{tag}_{}_{}", std::process::id(), N.fetch_add(1, Ordering::Relaxed))
}

async fn exec(c: &NativeClient, sql: &str) -> i64 {
    let o = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    o.info.affected_rows
}

async fn native_rows(c: &NativeClient, sql: &str) -> (Vec<Field>, Vec<DecodedBlock>) {
    let o = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let rows = o.rows.expect("a result set");
    let mut blocks = Vec::new();
    while let Some(raw) = within(rows.fetch_block()).await.unwrap() {
        blocks.push(raw.decode().unwrap());
    }
    (o.info.fields, blocks)
}

async fn ws_rows(c: &Client, sql: &str) -> (Vec<Field>, Vec<DecodedBlock>) {
    let info = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut blocks = Vec::new();
    while let Some(raw) = within(c.fetch_block(info.result_id)).await.unwrap() {
        blocks.push(raw.decode().unwrap());
    }
    (info.fields, blocks)
}

const COLUMNS: &str = "ts timestamp, c_bool bool, c_i8 tinyint, c_i16 smallint, c_i32 int, c_i64 bigint, \
    c_u8 tinyint unsigned, c_u16 smallint unsigned, c_u32 int unsigned, c_u64 bigint unsigned, \
    c_f32 float, c_f64 double, c_vc varchar(20), c_nc nchar(10), c_vb varbinary(20), c_geo geometry(100), \
    c_d64 decimal(10,2), c_d128 decimal(30,5), c_blob blob";

fn rows_sql(db: &str, table: &str, base: i64) -> String {
    format!(
        "insert into {db}.{table} using {db}.st tags('{{\"k\":1,\"s\":\"日本\"}}') values \
         ({} , true, -128, -32768, -2147483648, -9223372036854775808, 255, 65535, 4294967295, 18446744073709551615, \
           3.5, -2.25e300, 'hello', '日本語ü', '\\x616263', 'POINT(1 2)', -12345678.91, 1234567890123456789012345.12345, 'blob-bytes') \
         ({} , null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null) \
         ({} , false, 127, 32767, 2147483647, 9223372036854775807, 0, 0, 0, 0, \
           -0.0, 1e-300, '', 'x', '\\x00ff', 'LINESTRING(0 0, 1 1)', 0.01, -0.00001, '')",
        base,
        base + 1,
        base + 2
    )
}

fn same_fields(a: &[Field], b: &[Field], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: column count");
    for (x, y) in a.iter().zip(b) {
        assert_eq!((&x.name, x.ty, x.bytes, x.precision, x.scale), (&y.name, y.ty, y.bytes, y.precision, y.scale), "{what}");
    }
}

/// All rows of a result as one list of columns (blocks may split differently).
fn columns(blocks: &[DecodedBlock]) -> Vec<Vec<Option<Vec<u8>>>> {
    let width = blocks.first().map_or(0, |b| b.columns.len());
    let mut out = vec![Vec::new(); width];
    for b in blocks {
        for (c, col) in b.columns.iter().enumerate() {
            for r in 0..b.rows {
                out[c].push(cell(col, r));
            }
        }
    }
    out
}

fn cell(col: &DecodedColumn, row: usize) -> Option<Vec<u8>> {
    match col {
        DecodedColumn::Var { .. } => col.var_value(row).map(<[u8]>::to_vec),
        DecodedColumn::Fixed { nulls, data, .. } => (nulls[row] == 0).then(|| format!("{data:?}").into_bytes()).map(|_| {
            use taosjs_core::block::FixedData::*;
            match data {
                Bool(v) | U8(v) => vec![v[row]],
                I8(v) => v[row].to_le_bytes().to_vec(),
                I16(v) => v[row].to_le_bytes().to_vec(),
                I32(v) => v[row].to_le_bytes().to_vec(),
                I64(v) => v[row].to_le_bytes().to_vec(),
                U16(v) => v[row].to_le_bytes().to_vec(),
                U32(v) => v[row].to_le_bytes().to_vec(),
                U64(v) => v[row].to_le_bytes().to_vec(),
                F32(v) => v[row].to_le_bytes().to_vec(),
                F64(v) => v[row].to_le_bytes().to_vec(),
            }
        }),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_type_in_every_precision_reads_the_same_natively_and_over_websocket() {
    if !enabled() {
        return;
    }
    let (n, w) = (native().await, ws().await);
    for (precision, scale) in [("ms", 1i64), ("us", 1_000), ("ns", 1_000_000)] {
        let db = db_name(precision);
        exec(&n, &format!("create database {db} precision '{precision}'")).await;
        exec(&n, &format!("create stable {db}.st ({COLUMNS}) tags (t_json json)")).await;
        // Written through the adapter, then through libtaos.
        within(w.query(&rows_sql(&db, "d_ws", 1_700_000_000_000 * scale), None)).await.unwrap();
        assert_eq!(exec(&n, &rows_sql(&db, "d_native", 1_700_000_100_000 * scale)).await, 3);
        for sql in [
            format!("select * from {db}.st order by ts"),
            format!("select tbname, t_json, t_json->'s', c_d64, c_d128 from {db}.st order by ts"),
            format!("select count(*), sum(c_d64), max(c_i64), last(c_nc) from {db}.st"),
            format!("show {db}.stables"),
            format!("describe {db}.st"),
        ] {
            let (nf, nb) = native_rows(&n, &sql).await;
            let (wf, wb) = ws_rows(&w, &sql).await;
            same_fields(&nf, &wf, &sql);
            let (nc, wc) = (columns(&nb), columns(&wb));
            assert_eq!(nc, wc, "{sql}");
            assert!(!nc.is_empty() && !nc[0].is_empty(), "{sql} returned rows");
        }
        // A few values spelled out, so equality cannot hide a shared mistake.
        let (fields, blocks) = native_rows(&n, &format!("select ts, c_nc, c_d64, c_d128, c_blob, c_vb from {db}.d_native order by ts")).await;
        assert_eq!(fields[2].ty, DataType::Decimal64);
        assert_eq!((fields[2].precision, fields[2].scale), (10, 2));
        assert_eq!((fields[3].ty, fields[3].precision, fields[3].scale), (DataType::Decimal, 30, 5));
        let cols = columns(&blocks);
        assert_eq!(cols[0][0], Some((1_700_000_100_000 * scale).to_le_bytes().to_vec()));
        assert_eq!(cols[1][0].as_deref(), Some("日本語ü".as_bytes()));
        assert_eq!(cols[2][0].as_deref(), Some(&b"-12345678.91"[..]));
        assert_eq!(cols[3][0].as_deref(), Some(&b"1234567890123456789012345.12345"[..]));
        assert_eq!(cols[4][0].as_deref(), Some(&b"blob-bytes"[..]));
        assert_eq!(cols[5][0].as_deref(), Some(&b"abc"[..]));
        assert_eq!(cols[2][1], None, "NULL row");
        assert_eq!(cols[3][2].as_deref(), Some(&b"-0.00001"[..]));
        exec(&n, &format!("drop database {db}")).await;
    }
    n.close().await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_carry_tdengine_codes_and_leave_the_connection_usable() {
    if !enabled() {
        return;
    }
    let n = native().await;
    let e = within(n.query("selec 1", None)).await.unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Query, Some(0x2600)), "{e}");
    assert!(e.message.contains("syntax error"), "{e}");
    let e = within(n.query("select * from no_such_db_tjn.t", Some(77))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Query);
    assert!(e.errno.is_some(), "{e}");
    let e = within(n.query("select 1\0", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("NUL"), "{e}");
    let (_, blocks) = native_rows(&n, "select server_version()").await;
    assert_eq!(columns(&blocks)[0][0].as_deref(), Some(n.server_version().as_bytes()));
    n.close().await;
    assert!(n.is_closed());
    let e = within(n.query("select 1", None)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);

    let mut bad = native_config();
    bad.password = "wrong-password".into();
    let e = within(NativeClient::connect(&bad)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.errno.is_some(), "{e}");
    assert!(!e.message.contains("wrong-password"), "{e}");
    let mut bad = native_config();
    bad.database = Some("no_such_db_tjn".into());
    let e = within(NativeClient::connect(&bad)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(e.errno.is_some(), "{e}");
    let mut bad = native_config();
    bad.endpoints = vec![Endpoint { host: "localhost".into(), port: 1 }];
    bad.connect_timeout = Duration::from_secs(3);
    let started = std::time::Instant::now();
    let e = within(NativeClient::connect(&bad)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
    assert!(started.elapsed() < Duration::from_secs(10), "bounded by connect_timeout: {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn queries_run_concurrently_without_blocking_runtime_threads() {
    if !enabled() {
        return;
    }
    let n = native().await;
    // 2 runtime workers, 40 queries in flight: callbacks, not blocked threads.
    let tasks: Vec<_> = (0..40)
        .map(|i| {
            let n = n.clone();
            tokio::spawn(async move {
                let (_, b) = native_rows(&n, &format!("select {i} + 1")).await;
                columns(&b)[0][0].clone()
            })
        })
        .collect();
    for (i, t) in tasks.into_iter().enumerate() {
        let v = t.await.unwrap().unwrap();
        assert_eq!(v.len(), 8, "{i}");
    }
    // A query whose caller goes away: its result is released, the connection stays usable.
    let dropped = n.query("select * from information_schema.ins_tables", None);
    drop(dropped);
    let abandoned = tokio::time::timeout(Duration::from_micros(1), n.query("show databases", None)).await;
    drop(abandoned);
    let o = within(n.query("select * from information_schema.ins_tables", None)).await.unwrap();
    let rows = o.rows.unwrap();
    let fetch = tokio::time::timeout(Duration::from_micros(1), rows.fetch_block()).await;
    if fetch.is_err() {
        // The abandoned fetch read a block nobody got: the result says so instead of skipping it.
        let e = within(rows.fetch_block()).await.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Result, "{e}");
    }
    rows.close().await;
    assert_eq!(exec(&n, "select 1").await, 0);
    n.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_inserts_and_queries_with_the_same_checks_as_websocket() {
    if !enabled() {
        return;
    }
    let (n, w) = (native().await, ws().await);
    let db = db_name("stmt2");
    exec(&n, &format!("create database {db} precision 'ns'")).await;
    exec(&n, &format!("create stable {db}.st (ts timestamp, v int, s nchar(8), b varbinary(8)) tags (t int, g varchar(10))")).await;
    // TDengine 3.3.7.5 refuses `insert into ? using db.st` without a current database (0x0200).
    exec(&n, &format!("use {db}")).await;
    let stmt = within(n.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    // Nothing prepared: nothing can be bound or executed.
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming);
    let p = within(stmt.prepare(&format!("insert into ? using {db}.st tags (?, ?) values (?, ?, ?, ?)"))).await.unwrap();
    assert!(p.is_insert);
    assert_eq!(p.fields.len(), 7);
    // Prepared but not bound: exec refused before libtaos sees it (the adapter dies on this).
    let e = within(stmt.exec()).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming, "{e}");
    let table = |name: &str, t: i32, base: i64| BindTable {
        name: Some(name.into()),
        tags: vec![
            BindColumn::new(ColumnValues::I32(vec![t])),
            BindColumn::new(ColumnValues::Str(VarData::from_values([Some("g")]))),
        ],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![base, base + 1, base + 2])),
            BindColumn::with_nulls(ColumnValues::I32(vec![1, 0, 3]), vec![0, 1, 0]),
            BindColumn::new(ColumnValues::Str(VarData::from_values([Some("日本"), Some("é"), Some("")]))),
            BindColumn::with_nulls(ColumnValues::Bytes(VarData::from_values([Some(&b"\x00\x01"[..]), None, Some(b"z")])), vec![0, 1, 0]),
        ],
    };
    // A value the core refuses never reaches libtaos.
    let mut too_long = table("d0", 0, 1);
    too_long.columns[2] = BindColumn::new(ColumnValues::Str(VarData::from_values([Some("123456789"), Some("a"), Some("b")])));
    let e = within(stmt.bind(vec![too_long])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert!(e.message.contains("too long"), "{e}");
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming, "a refused bind is no bind");
    within(stmt.bind(vec![table("d1", 1, 1_700_000_000_000_000_000), table("d2", 2, 1_700_000_000_000_000_100)])).await.unwrap();
    assert_eq!(within(stmt.exec()).await.unwrap(), 6);
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming, "one exec per bind");

    // A query with parameters, its result read natively; the same rows over WebSocket.
    let p = within(stmt.prepare(&format!("select tbname, ts, v, s, b from {db}.st where t = ? and ts >= ? order by ts"))).await.unwrap();
    assert!(!p.is_insert);
    assert_eq!(p.fields_count, 2);
    let params = BindTable {
        name: None,
        tags: vec![],
        columns: vec![
            BindColumn::new(ColumnValues::I32(vec![2])),
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000_000_000])),
        ],
    };
    within(stmt.bind(vec![params.clone()])).await.unwrap();
    assert_eq!(within(stmt.exec()).await.unwrap(), 0);
    let outcome = within(stmt.result()).await.unwrap();
    let rows = outcome.rows.unwrap();
    let mut blocks = Vec::new();
    while let Some(raw) = within(rows.fetch_block()).await.unwrap() {
        blocks.push(raw.decode().unwrap());
    }
    let native_cols = columns(&blocks);
    assert_eq!(native_cols[0], vec![Some(b"d2".to_vec()); 3]);
    let (_, ws_blocks) = ws_rows(&w, &format!("select tbname, ts, v, s, b from {db}.st where t = 2 and ts >= 1700000000000000000 order by ts")).await;
    assert_eq!(native_cols, columns(&ws_blocks));
    // Executing again ends the previous result.
    within(stmt.bind(vec![params])).await.unwrap();
    within(stmt.exec()).await.unwrap();
    assert_eq!(within(rows.fetch_block()).await.unwrap_err().kind, ErrorKind::Result);
    // No placeholders: nothing to bind (and therefore nothing to execute).
    within(stmt.prepare(&format!("insert into {db}.d1 values (now, 1, 'a', 'b')"))).await.unwrap();
    let e = within(stmt.bind(vec![BindTable::default()])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming, "{e}");
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming);
    // A failed prepare leaves nothing to execute.
    assert_eq!(within(stmt.prepare("insert into no_such_db_tjn.t values (?, ?)")).await.unwrap_err().kind, ErrorKind::Statement);
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming);
    stmt.close().await;
    assert_eq!(within(stmt.prepare("select 1")).await.unwrap_err().kind, ErrorKind::Programming);
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemaless_writes_in_all_three_protocols() {
    if !enabled() {
        return;
    }
    let n = native().await;
    let db = db_name("sml");
    exec(&n, &format!("create database {db} precision 'us'")).await;
    exec(&n, &format!("use {db}")).await;
    let req = |lines: &[&str], protocol, precision| SchemalessRequest {
        ttl: 0,
        req_id: Some(4242),
        table_name_key: None,
        ..SchemalessRequest::new(lines.iter().map(|s| s.to_string()).collect(), protocol, precision)
    };
    let r = within(n.schemaless_insert(req(
        &["meters,location=a current=10.3,voltage=219i32 1700000000000000", "meters,location=b current=1.5,voltage=220i32 1700000000000001"],
        SchemalessProtocol::Line,
        SchemalessPrecision::Microseconds,
    )))
    .await
    .unwrap();
    assert_eq!(r.affected_rows, 2);
    within(n.schemaless_insert(req(&["tel_metric 1700000000 4.2 host=h1"], SchemalessProtocol::Telnet, SchemalessPrecision::Seconds))).await.unwrap();
    within(n.schemaless_insert(req(
        &[r#"[{"metric":"js_metric","timestamp":1700000000000,"value":1.5,"tags":{"host":"h2"}}]"#],
        SchemalessProtocol::Json,
        SchemalessPrecision::Milliseconds,
    )))
    .await
    .unwrap();
    let (_, b) = native_rows(&n, "select count(*) from meters").await;
    assert_eq!(columns(&b)[0][0], Some(2i64.to_le_bytes().to_vec()));
    let e = within(n.schemaless_insert(req(&["not a valid line"], SchemalessProtocol::Line, SchemalessPrecision::Microseconds))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schemaless, "{e}");
    assert!(e.errno.is_some(), "{e}");
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_decimals_are_checked_against_the_declared_type_and_stored_exactly() {
    if !enabled() {
        return;
    }
    let (n, w) = (native().await, ws().await);
    let db = db_name("dec");
    exec(&n, &format!("create database {db}")).await;
    exec(&n, &format!("use {db}")).await;
    exec(&n, &format!("create table {db}.t (ts timestamp, d64 decimal(10,2), d128 decimal(30,5), b blob)")).await;
    let stmt = within(n.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    let p = within(stmt.prepare(&format!("insert into {db}.t values (?, ?, ?, ?)"))).await.unwrap();
    // libtaos leaves DECIMAL precision 0; DESCRIBE filled it in.
    let d: Vec<_> = p.fields.iter().filter(|f| f.ty.is_decimal()).map(|f| (f.precision, f.scale)).collect();
    assert_eq!(d, vec![(10, 2), (30, 5)]);
    let row = |d64: &str, d128: &str| BindTable {
        name: None,
        tags: vec![],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_000_001])),
            BindColumn::with_nulls(ColumnValues::Decimal(vec![d64.into(), "0".into()]), vec![0, 1]),
            BindColumn::new(ColumnValues::Decimal(vec![d128.into(), "-0.00001".into()])),
            BindColumn::new(ColumnValues::Bytes(VarData::from_values([Some(&b"\x00blob"[..]), Some(b"")]))),
        ],
    };
    // SQL refuses this value with 0x013D; so does the bind, before libtaos sees it.
    let e = within(stmt.bind(vec![row("123456789012.34", "1")])).await.unwrap_err();
    assert_eq!((e.kind, e.errno), (ErrorKind::Statement, Some(0x013D)), "{e}");
    within(stmt.bind(vec![row("-12345678.91", "1234567890123456789012345.12345")])).await.unwrap();
    assert_eq!(within(stmt.exec()).await.unwrap(), 2);
    stmt.close().await;
    let sql = format!("select d64, d128, b from {db}.t order by ts");
    let (_, nb) = native_rows(&n, &sql).await;
    let (_, wb) = ws_rows(&w, &sql).await;
    let cols = columns(&nb);
    assert_eq!(cols, columns(&wb));
    assert_eq!(cols[0], vec![Some(b"-12345678.91".to_vec()), None]);
    assert_eq!(cols[1], vec![Some(b"1234567890123456789012345.12345".to_vec()), Some(b"-0.00001".to_vec())]);
    assert_eq!(cols[2], vec![Some(b"\x00blob".to_vec()), Some(Vec::new())]);
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt_v1_inserts_and_refuses_queries_before_they_can_crash_libtaos() {
    if !enabled() {
        return;
    }
    let (n, w) = (native().await, ws().await);
    let db = db_name("v1");
    exec(&n, &format!("create database {db}")).await;
    exec(&n, &format!("use {db}")).await;
    exec(&n, &format!("create stable {db}.st (ts timestamp, v int, s nchar(8), d decimal(10,2)) tags (t int, g varchar(10))")).await;
    let stmt = within(n.stmt_init()).await.unwrap();
    // The parameterised SELECT that segfaults libtaos is refused after prepare, before any bind.
    let e = within(stmt.prepare(&format!("select * from {db}.st where v > ?"))).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::NotSupported, "{e}");
    assert!(e.message.contains("stmt2"), "{e}");
    assert_eq!(within(stmt.bind(vec![BindColumn::new(ColumnValues::I32(vec![1]))])).await.unwrap_err().kind, ErrorKind::Programming);
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming);

    assert!(within(stmt.prepare(&format!("insert into ? using {db}.st tags (?, ?) values (?, ?, ?, ?)"))).await.unwrap());
    assert_eq!(within(stmt.exec()).await.unwrap_err().kind, ErrorKind::Programming, "nothing bound");
    within(stmt.set_table_name("v1_d1")).await.unwrap();
    let tags = within(stmt.get_tag_fields()).await.unwrap();
    assert_eq!(tags.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["t", "g"]);
    let cols = within(stmt.get_col_fields()).await.unwrap();
    assert_eq!((cols[3].ty, cols[3].precision, cols[3].scale), (DataType::Decimal64, 10, 2));
    within(stmt.set_tags(vec![
        BindColumn::new(ColumnValues::I32(vec![5])),
        BindColumn::new(ColumnValues::Str(VarData::from_values([Some("gg")]))),
    ]))
    .await
    .unwrap();
    let rows = |base: i64| {
        vec![
            BindColumn::new(ColumnValues::Timestamp(vec![base, base + 1])),
            BindColumn::with_nulls(ColumnValues::I32(vec![7, 0]), vec![0, 1]),
            BindColumn::new(ColumnValues::Str(VarData::from_values([Some("日本"), Some("longer")]))),
            BindColumn::with_nulls(ColumnValues::Decimal(vec!["12.34".into(), "0".into()]), vec![0, 1]),
        ]
    };
    within(stmt.bind(rows(1_700_000_000_000))).await.unwrap();
    within(stmt.add_batch()).await.unwrap();
    within(stmt.bind(rows(1_700_000_000_010))).await.unwrap();
    assert_eq!(within(stmt.exec()).await.unwrap(), 4);
    stmt.close().await;
    let sql = format!("select tbname, t, g, ts, v, s, d from {db}.st order by ts");
    let (_, nb) = native_rows(&n, &sql).await;
    let (_, wb) = ws_rows(&w, &sql).await;
    let c = columns(&nb);
    assert_eq!(c, columns(&wb));
    assert_eq!(c[5][0].as_deref(), Some("日本".as_bytes()));
    assert_eq!(c[6][0].as_deref(), Some(&b"12.34"[..]));
    assert_eq!(c[4][1], None);
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
    w.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_native_consumer_reads_a_topic_and_commits() {
    if !enabled() {
        return;
    }
    let n = native().await;
    let db = db_name("tmq");
    let topic = format!("{db}_topic");
    exec(&n, &format!("create database {db} wal_retention_period 3600")).await;
    exec(&n, &format!("create stable {db}.st (ts timestamp, v int, d decimal(10,2), s nchar(4)) tags (t int)")).await;
    exec(&n, &format!("create topic {topic} as select * from {db}.st")).await;
    exec(&n, &format!("insert into {db}.d1 using {db}.st tags (1) values (1700000000000, 1, 1.25, '日本') (1700000000001, null, null, null)")).await;
    let options: Vec<(String, String)> = [
        ("group.id", "tjn_group"),
        ("client.id", "tjn_client"),
        ("auto.offset.reset", "earliest"),
        ("enable.auto.commit", "false"),
        ("msg.with.table.name", "true"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let consumer = within(taosjs_native::NativeConsumer::new(&native_config(), &options)).await.unwrap();
    within(consumer.subscribe(&[topic.clone()])).await.unwrap();
    assert_eq!(within(consumer.subscription()).await.unwrap(), vec![topic.clone()]);
    let mut rows = Vec::new();
    let mut seen = None;
    for _ in 0..20 {
        if let Some(m) = within(consumer.poll(Duration::from_millis(500))).await.unwrap() {
            assert_eq!(m.topic, topic);
            assert_eq!(m.database, db);
            seen = Some((m.vgroup_id, m.offset));
            for b in &m.blocks {
                // libtaos 3.3.7.5 sends table names only when the server includes them.
                if let Some(name) = &b.table_name {
                    assert_eq!(name, "d1");
                }
                let decoded = b.block.decode().unwrap();
                rows.extend(columns(&[decoded]).into_iter().skip(2).take(1).flatten());
            }
            if rows.len() >= 2 {
                break;
            }
        }
    }
    assert_eq!(rows, vec![Some(b"1.25".to_vec()), None], "DECIMAL column of both rows");
    within(consumer.commit()).await.unwrap();
    let (vg, _) = seen.unwrap();
    let assignment = within(consumer.assignment(&topic)).await.unwrap();
    assert!(assignment.iter().any(|a| a.vgroup_id == vg), "{assignment:?}");
    assert!(within(consumer.committed(&topic, vg)).await.unwrap() > 0);
    let e = within(consumer.subscribe(&["no_such_topic_tjn".to_string()])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Tmq, "{e}");
    within(consumer.unsubscribe()).await.unwrap();
    consumer.close().await;
    assert_eq!(within(consumer.poll(Duration::from_millis(10))).await.unwrap_err().kind, ErrorKind::Tmq);
    exec(&n, &format!("drop topic {topic}")).await;
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_polled_for_a_caller_who_stopped_waiting_is_delivered_by_the_next_poll() {
    if !enabled() {
        return;
    }
    let n = native().await;
    let db = db_name("tmq_abandoned");
    let topic = format!("{db}_topic");
    exec(&n, &format!("create database {db} vgroups 1 wal_retention_period 3600")).await;
    exec(&n, &format!("create stable {db}.st (ts timestamp, v int) tags (t int)")).await;
    exec(&n, &format!("create topic {topic} as select ts, v from {db}.st")).await;
    exec(&n, &format!("insert into {db}.d1 using {db}.st tags (1) values (1700000000000, 1) (1700000000001, 2) (1700000000002, 3)")).await;
    let options: Vec<(String, String)> =
        [("group.id", "tjn_abandoned"), ("auto.offset.reset", "earliest"), ("enable.auto.commit", "false")]
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
    let consumer = within(taosjs_native::NativeConsumer::new(&native_config(), &options)).await.unwrap();
    within(consumer.subscribe(&[topic.clone()])).await.unwrap();

    // The call is polled once — the library's poll starts on the blocking pool — and dropped,
    // as a timeout or an abort drops it: the library goes on, hands out the message, and moves
    // the consumer past it.
    let mut call = Box::pin(consumer.poll(Duration::from_secs(30)));
    let first = std::future::poll_fn(|cx| std::task::Poll::Ready(std::future::Future::poll(call.as_mut(), cx))).await;
    assert!(first.is_pending(), "the library was still polling when its caller stopped waiting");
    drop(call);
    // A commit meanwhile (it waits for the abandoned poll) does not commit past the held message.
    within(consumer.commit()).await.unwrap();

    let mut values = Vec::new();
    let mut first = None;
    for _ in 0..20 {
        let Some(m) = within(consumer.poll(Duration::from_millis(500))).await.unwrap() else { continue };
        first.get_or_insert((m.vgroup_id, m.offset));
        for b in &m.blocks {
            let decoded = b.block.decode().unwrap();
            values.extend(columns(&[decoded]).into_iter().nth(1).unwrap());
        }
        if values.len() >= 3 {
            break;
        }
    }
    let int = |v: i32| Some(v.to_le_bytes().to_vec());
    assert_eq!(values, vec![int(1), int(2), int(3)], "every row, once");
    let (vgroup, offset) = first.unwrap();
    assert_eq!(within(consumer.committed(&topic, vgroup)).await.unwrap(), offset, "committed where the held message begins");
    consumer.close().await;
    exec(&n, &format!("drop topic {topic}")).await;
    exec(&n, &format!("drop database {db}")).await;
    n.close().await;
}
