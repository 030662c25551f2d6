//! The write paths (stmt2, stmt v1, schemaless) through `Client` against the embedded server.
//! Written to the protocol reference; the tests of actions the server does not serve yet are
//! ignored with the reason, and un-ignored as soon as it does.

use std::time::Duration;

use taos_testserver::{start, ServerConfig, ServerHandle};
use taosjs_core::block::{DecodedBlock, DecodedColumn, FixedData};
use taosjs_tokio::{
    BindColumn, BindTable, BindType, Client, ColumnValues, ConnectConfig, DataType, ErrorKind, SchemalessPrecision,
    SchemalessProtocol, Stmt2InitOptions, VarData,
};

async fn server() -> ServerHandle {
    start(ServerConfig { port: 0, ..Default::default() }).await.expect("test server starts")
}

async fn client(server: &ServerHandle) -> Client {
    let cfg = ConnectConfig::from_dsn(&format!("ws://root:taosdata@{}", server.addr())).unwrap();
    within(Client::connect(cfg)).await.unwrap()
}

async fn within<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(60), f).await.expect("timed out")
}

async fn exec(c: &Client, sql: &str) {
    within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn read_all(c: &Client, info: &taosjs_core::QueryInfo) -> Vec<DecodedBlock> {
    let mut blocks = Vec::new();
    while let Some(raw) = within(c.fetch_block(info.result_id)).await.unwrap() {
        blocks.push(raw.decode().unwrap());
    }
    blocks
}

/// The rows of a query as text cells (NULL as "NULL"), for comparing whole results.
async fn rows(c: &Client, sql: &str) -> Vec<Vec<String>> {
    let info = within(c.query(sql, None)).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut out = Vec::new();
    for block in read_all(c, &info).await {
        for row in 0..block.rows {
            out.push(block.columns.iter().map(|col| cell(col, row)).collect());
        }
    }
    out
}

fn cell(col: &DecodedColumn, row: usize) -> String {
    if col.nulls().get(row) == Some(&1) {
        return "NULL".into();
    }
    match col {
        DecodedColumn::Var { .. } => String::from_utf8_lossy(col.var_value(row).unwrap()).into_owned(),
        DecodedColumn::Fixed { data, .. } => match data {
            FixedData::Bool(v) => (v[row] != 0).to_string(),
            FixedData::I8(v) => v[row].to_string(),
            FixedData::I16(v) => v[row].to_string(),
            FixedData::I32(v) => v[row].to_string(),
            FixedData::I64(v) => v[row].to_string(),
            FixedData::U8(v) => v[row].to_string(),
            FixedData::U16(v) => v[row].to_string(),
            FixedData::U32(v) => v[row].to_string(),
            FixedData::U64(v) => v[row].to_string(),
            FixedData::F32(v) => v[row].to_string(),
            FixedData::F64(v) => v[row].to_string(),
        },
    }
}

fn strs(values: &[Option<&str>]) -> ColumnValues {
    ColumnValues::Str(VarData::from_values(values.iter().copied()))
}

fn nulls(values: &[Option<&str>]) -> Vec<u8> {
    values.iter().map(|v| v.is_none() as u8).collect()
}

fn table(name: &str, tag: i32, ts: Vec<i64>, v: Vec<i32>, s: &[Option<&str>]) -> BindTable {
    BindTable {
        name: Some(name.into()),
        tags: vec![BindColumn::new(ColumnValues::I32(vec![tag])), BindColumn::new(strs(&[Some("loc")]))],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(ts)),
            BindColumn::new(ColumnValues::I32(v)),
            BindColumn::with_nulls(strs(s), nulls(s)),
        ],
    }
}

async fn setup(c: &Client, db: &str) {
    exec(c, &format!("create database if not exists {db}")).await;
    exec(c, &format!("create stable {db}.stb (ts timestamp, v int, s nchar(4)) tags (g int, loc varchar(8))")).await;
    // TDengine prepares `insert into ? …` and stmt v1 inserts only with a current database.
    exec(c, &format!("use {db}")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_inserts_two_child_tables_and_reads_them_back() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w2i").await;
    let id = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    let p = within(c.stmt2_prepare(id, "insert into ? using w2i.stb tags (?, ?) values (?, ?, ?)")).await.unwrap();
    assert!(p.is_insert);
    let kinds: Vec<BindType> = p.fields.iter().map(|f| f.bind_type).collect();
    use BindType::*;
    assert_eq!(kinds, [TableName, Tag, Tag, Column, Column, Column]);
    let tables = vec![
        table("d1", 1, vec![1_700_000_000_000, 1_700_000_000_001], vec![10, 11], &[Some("ä"), None]),
        table("d2", 2, vec![1_700_000_000_000], vec![20], &[Some("日本")]),
    ];
    within(c.stmt2_bind(id, tables)).await.unwrap();
    assert_eq!(within(c.stmt2_exec(id)).await.unwrap(), 3);
    within(c.stmt2_close(id)).await.unwrap();
    assert_eq!(
        rows(&c, "select tbname, g, v, s from w2i.stb order by v").await,
        [["d1", "1", "10", "ä"], ["d1", "1", "11", "NULL"], ["d2", "2", "20", "日本"]]
    );
    // The closed statement is gone.
    let e = within(c.stmt2_exec(id)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_query_with_parameters_returns_a_result_set() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w2q").await;
    exec(&c, "insert into w2q.q1 using w2q.stb tags (1, 'a') values (1700000000000, 5, 'x') (1700000000001, 7, 'y')").await;
    let id = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    let p = within(c.stmt2_prepare(id, "select v from w2q.stb where v > ? and s = ?")).await.unwrap();
    assert!(!p.is_insert);
    assert_eq!(p.fields_count, 2);
    let mut s_param = BindColumn::new(strs(&[Some("y")]));
    s_param.ty = Some(DataType::NChar);
    let params = BindTable { name: None, tags: vec![], columns: vec![BindColumn::new(ColumnValues::I32(vec![5])), s_param] };
    within(c.stmt2_bind(id, vec![params])).await.unwrap();
    assert_eq!(within(c.stmt2_exec(id)).await.unwrap(), 0);
    let info = within(c.stmt2_result(id)).await.unwrap();
    assert_eq!(info.fields.len(), 1);
    let blocks = read_all(&c, &info).await;
    let values: Vec<String> = blocks.iter().flat_map(|b| (0..b.rows).map(|r| cell(&b.columns[0], r))).collect();
    assert_eq!(values, ["7"]);
    within(c.stmt2_close(id)).await.unwrap();
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_bad_values_are_refused_before_sending_and_the_statement_stays_usable() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w2v").await;
    let id = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    within(c.stmt2_prepare(id, "insert into ? using w2v.stb tags (?, ?) values (?, ?, ?)")).await.unwrap();
    let bad = table("d1", 1, vec![1_700_000_000_000], vec![1], &[Some("too long")]);
    let e = within(c.stmt2_bind(id, vec![bad])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert!(e.message.contains("table d1") && e.message.contains("column s") && e.message.contains("row 0"), "{e}");
    let good = table("d1", 1, vec![1_700_000_000_000], vec![1], &[Some("ok")]);
    within(c.stmt2_bind(id, vec![good])).await.unwrap();
    assert_eq!(within(c.stmt2_exec(id)).await.unwrap(), 1);
    within(c.stmt2_close(id)).await.unwrap();
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_that_were_never_opened_are_programming_errors() {
    let s = server().await;
    let c = client(&s).await;
    let e = within(c.stmt2_bind(42, vec![BindTable::default()])).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    let e = within(c.stmt_exec(42)).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    // The connection is unaffected.
    assert_eq!(rows(&c, "select 1").await, [["1"]]);
    c.close().await;
    let e = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Connection);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt_v1_insert_then_query() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w1").await;
    let id = within(c.stmt_init()).await.unwrap();
    assert!(within(c.stmt_prepare(id, "insert into ? using w1.stb tags (?, ?) values (?, ?, ?)")).await.unwrap());
    within(c.stmt_set_table_name(id, "v1")).await.unwrap();
    let tag_fields = within(c.stmt_get_tag_fields(id)).await.unwrap();
    assert_eq!(tag_fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["g", "loc"]);
    within(c.stmt_set_tags(id, vec![BindColumn::new(ColumnValues::I32(vec![3])), BindColumn::new(strs(&[Some("sz")]))]))
        .await
        .unwrap();
    let s_values = [Some("中文"), None];
    within(c.stmt_bind(
        id,
        vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_000_001])),
            BindColumn::new(ColumnValues::I32(vec![1, 2])),
            BindColumn::with_nulls(strs(&s_values), nulls(&s_values)),
        ],
    ))
    .await
    .unwrap();
    within(c.stmt_add_batch(id)).await.unwrap();
    assert_eq!(within(c.stmt_exec(id)).await.unwrap(), 2);
    within(c.stmt_close(id)).await.unwrap();
    assert_eq!(rows(&c, "select tbname, g, v, s from w1.stb order by v").await, [
        ["v1", "3", "1", "中文"],
        ["v1", "3", "2", "NULL"]
    ]);

    let q = within(c.stmt_init()).await.unwrap();
    assert!(!within(c.stmt_prepare(q, "select v from w1.stb where v > ?")).await.unwrap());
    within(c.stmt_bind(q, vec![BindColumn::new(ColumnValues::I32(vec![1]))])).await.unwrap();
    within(c.stmt_add_batch(q)).await.unwrap();
    within(c.stmt_exec(q)).await.unwrap();
    let info = within(c.stmt_use_result(q)).await.unwrap();
    let blocks = read_all(&c, &info).await;
    let values: Vec<String> = blocks.iter().flat_map(|b| (0..b.rows).map(|r| cell(&b.columns[0], r))).collect();
    assert_eq!(values, ["2"]);
    within(c.stmt_close(q)).await.unwrap();
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schemaless_line_telnet_and_json() {
    let s = server().await;
    let c = client(&s).await;
    exec(&c, "create database if not exists wsml precision 'us'").await;
    exec(&c, "use wsml").await;
    let r = within(c.schemaless_insert(
        vec![
            "m,host=a,tbn=child_a v=1i 1700000000000001".into(),
            "m,host=b,tbn=child_b v=2i 1700000000000002".into(),
        ],
        SchemalessProtocol::Line,
        SchemalessPrecision::Microseconds,
        0,
        None,
        Some("tbn".into()),
    ))
    .await
    .unwrap();
    assert_eq!((r.affected_rows, r.total_rows), (2, 2));
    // Microseconds reached the server as microseconds, and the tag named the child table
    // (schemaless tables name their timestamp column `_ts`).
    assert_eq!(rows(&c, "select tbname, _ts from wsml.m where `host` = 'a'").await, [["child_a", "1700000000000001"]]);

    let r = within(c.schemaless_insert(
        vec!["tel 1700000000 1.5 host=a".into()],
        SchemalessProtocol::Telnet,
        SchemalessPrecision::Seconds,
        0,
        Some(77),
        None,
    ))
    .await
    .unwrap();
    assert_eq!(r.affected_rows, 1);
    let doc = r#"[{"metric":"js","timestamp":1700000000000,"value":1,"tags":{"t":"a"}},{"metric":"js","timestamp":1700000000001,"value":2,"tags":{"t":"a"}}]"#;
    let r = within(c.schemaless_insert(
        vec![doc.into()],
        SchemalessProtocol::Json,
        SchemalessPrecision::Milliseconds,
        0,
        None,
        None,
    ))
    .await
    .unwrap();
    assert_eq!((r.affected_rows, r.total_rows), (2, 1));

    let e = within(c.schemaless_insert(
        vec!["bad".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::Milliseconds,
        0,
        None,
        None,
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Schemaless);
    assert!(e.errno.is_some_and(|n| n != 0), "{e}");
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt2_decimals_numbers_and_bytes_round_trip() {
    let s = server().await;
    let c = client(&s).await;
    exec(&c, "create database if not exists w2d").await;
    exec(
        &c,
        "create stable w2d.stb (ts timestamp, d64 decimal(10,2), d128 decimal(30,10), u8 tinyint unsigned, \
         f float, b bool, vb varbinary(8)) tags (g int)",
    )
    .await;
    exec(&c, "use w2d").await;
    let id = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
    let p = within(c.stmt2_prepare(id, "insert into ? using w2d.stb tags (?) values (?,?,?,?,?,?,?)")).await.unwrap();
    assert_eq!(p.fields.len(), 9);
    // The connection read the declared DECIMAL(p,s) the server did not report.
    let decimals: Vec<(u8, u8)> = p.fields[3..5].iter().map(|f| (f.precision, f.scale)).collect();
    assert_eq!(decimals, [(10, 2), (30, 10)]);
    let d64 = BindColumn::with_nulls(ColumnValues::Decimal(vec!["12.34".into(), String::new()]), vec![0, 1]);
    let d128 = BindColumn::new(ColumnValues::Decimal(vec!["-12345678901234567890.0123456789".into(), "1e-10".into()]));
    // A value beyond DECIMAL(10,2) is refused as SQL refuses it (0x013D), before anything is sent.
    let too_big = BindTable {
        name: Some("e1".into()),
        tags: vec![BindColumn::new(ColumnValues::I32(vec![1]))],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000])),
            BindColumn::new(ColumnValues::Decimal(vec!["123456789012.34".into()])),
            BindColumn::new(ColumnValues::Decimal(vec!["1".into()])),
            BindColumn::new(ColumnValues::I32(vec![1])),
            BindColumn::new(ColumnValues::F64(vec![1.0])),
            BindColumn::new(ColumnValues::Bool(vec![1])),
            BindColumn::new(ColumnValues::Bytes(VarData::from_values([Some(&b"a"[..])]))),
        ],
    };
    let e = within(c.stmt2_bind(id, vec![too_big])).await.unwrap_err();
    assert_eq!(e.errno, Some(0x013D), "{e}");
    let t = BindTable {
        name: Some("e1".into()),
        tags: vec![BindColumn::new(ColumnValues::I32(vec![1]))],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_000_001])),
            d64,
            d128,
            BindColumn::new(ColumnValues::I32(vec![255, 0])),
            BindColumn::new(ColumnValues::F64(vec![1.5, -2.25])),
            BindColumn::new(ColumnValues::Bool(vec![1, 0])),
            BindColumn::new(ColumnValues::Bytes(VarData::from_values([Some(&b"ab"[..]), Some(&[0xff][..])]))),
        ],
    };
    within(c.stmt2_bind(id, vec![t])).await.unwrap();
    assert_eq!(within(c.stmt2_exec(id)).await.unwrap(), 2);
    within(c.stmt2_close(id)).await.unwrap();
    let got = rows(&c, "select d64, d128, u8, f, b from w2d.stb order by ts").await;
    assert_eq!(got, [
        ["12.34", "-12345678901234567890.0123456789", "255", "1.5", "true"],
        ["NULL", "0.0000000001", "0", "-2.25", "false"],
    ]);
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statements_queries_and_schemaless_interleave_on_one_connection() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w2c").await;
    exec(&c, "use w2c").await;
    let insert_through_stmt2 = |name: &'static str, tag: i32| {
        let c = c.clone();
        async move {
            let id = within(c.stmt2_init(Stmt2InitOptions::default())).await.unwrap();
            within(c.stmt2_prepare(id, "insert into ? using w2c.stb tags (?, ?) values (?, ?, ?)")).await.unwrap();
            let ts: Vec<i64> = (0..50).map(|i| 1_700_000_000_000 + i).collect();
            let v: Vec<i32> = (0..50).map(|i| tag * 1000 + i).collect();
            let s: Vec<Option<&str>> = (0..50).map(|_| Some("s")).collect();
            within(c.stmt2_bind(id, vec![table(name, tag, ts, v, &s)])).await.unwrap();
            let n = within(c.stmt2_exec(id)).await.unwrap();
            within(c.stmt2_close(id)).await.unwrap();
            n
        }
    };
    let sml = within(c.schemaless_insert(
        vec!["sm,h=a v=1i 1700000000000".into()],
        SchemalessProtocol::Line,
        SchemalessPrecision::Milliseconds,
        0,
        None,
        None,
    ));
    let (a, b, q, sml) = tokio::join!(
        insert_through_stmt2("ca", 1),
        insert_through_stmt2("cb", 2),
        rows(&c, "select 1"),
        sml
    );
    assert_eq!((a, b), (50, 50));
    assert_eq!(q, [["1"]]);
    assert_eq!(sml.unwrap().affected_rows, 1);
    assert_eq!(rows(&c, "select tbname, count(*) from w2c.stb partition by tbname order by tbname").await, [
        ["ca", "50"],
        ["cb", "50"]
    ]);
    c.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stmt_v1_timestamp_parameters_and_refused_values() {
    let s = server().await;
    let c = client(&s).await;
    setup(&c, "w1t").await;
    exec(&c, "insert into w1t.t1 using w1t.stb tags (1, 'a') values (1700000000000, 1, 'x') (1700000000005, 2, 'y')").await;

    // A TIMESTAMP parameter of a query statement (sent as BIGINT, which the adapter accepts).
    let q = within(c.stmt_init()).await.unwrap();
    within(c.stmt_prepare(q, "select v from w1t.stb where ts >= ?")).await.unwrap();
    within(c.stmt_bind(q, vec![BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_003]))])).await.unwrap();
    within(c.stmt_add_batch(q)).await.unwrap();
    within(c.stmt_exec(q)).await.unwrap();
    let info = within(c.stmt_use_result(q)).await.unwrap();
    let blocks = read_all(&c, &info).await;
    let values: Vec<String> = blocks.iter().flat_map(|b| (0..b.rows).map(|r| cell(&b.columns[0], r))).collect();
    assert_eq!(values, ["2"]);
    within(c.stmt_close(q)).await.unwrap();

    // An insert value that does not fit is refused before sending, naming table, column, row.
    let id = within(c.stmt_init()).await.unwrap();
    within(c.stmt_prepare(id, "insert into ? using w1t.stb tags (?, ?) values (?, ?, ?)")).await.unwrap();
    within(c.stmt_set_table_name(id, "t2")).await.unwrap();
    let e = within(c.stmt_bind(
        id,
        vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000])),
            BindColumn::new(ColumnValues::I64(vec![1 << 40])),
            BindColumn::new(strs(&[Some("z")])),
        ],
    ))
    .await
    .unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert!(e.message.contains("table t2") && e.message.contains("column v") && e.message.contains("row 0"), "{e}");
    within(c.stmt_close(id)).await.unwrap();
    c.close().await;
}
