//! stmt v1 against a real taosAdapter 3.3.7.5 (tests/data/f2_stmt_v1.jsonl): the raw blocks of
//! binary `bind` (action 2) carry the recorded values column for column, and the Session reads
//! the recorded replies (including `close`, which the server never answers).
//!
//! Two header fields of v1 bind blocks are hints the server does not check, and clients differ
//! on them: the block flag (taos-ws-py 0xFFFFFFFF, taosd 0x80000000, Node 0) and the schema
//! `bytes` of variable-length columns (taos-ws-py: the widest value; we send the declared
//! size). The comparison below masks exactly those; everything else must be equal.

mod common;

use common::*;
use taosjs_core::bind::{BindColumn, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::block::decode_block;
use taosjs_core::stmt;
use taosjs_core::{DataType, ErrorKind, Frame, Reply};

fn field(name: &str, ty: DataType, bytes: u32) -> StmtField {
    StmtField { name: name.into(), ty, precision: 0, scale: 0, bytes, bind_type: BindType::Column }
}

/// Columns of `wire_stmt1b.stb` as its CREATE STABLE declares them.
fn stb_columns() -> Vec<StmtField> {
    vec![
        field("ts", DataType::Timestamp, 8),
        field("c_bool", DataType::Bool, 1),
        field("c_i32", DataType::Int, 4),
        field("c_i64", DataType::BigInt, 8),
        field("c_u16", DataType::USmallInt, 2),
        field("c_f32", DataType::Float, 4),
        field("c_f64", DataType::Double, 8),
        field("c_vc", DataType::VarChar, 34),
        field("c_nc", DataType::NChar, 66),
        field("c_vb", DataType::VarBinary, 18),
        field("c_geo", DataType::Geometry, 66),
    ]
}

/// Zeroes the block flag and the schema `bytes` of variable-length columns (see the file doc).
fn mask_hints(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    let block = 24;
    f[block + 16..block + 20].fill(0);
    let cols = i32::from_le_bytes(f[block + 12..block + 16].try_into().unwrap()) as usize;
    for c in 0..cols {
        let at = block + 28 + 5 * c;
        let ty = DataType::from_id(f[at]).unwrap();
        if ty.fixed_size().is_none() {
            f[at + 1..at + 5].fill(0);
        }
    }
    f
}

fn assert_block_matches(ours: &[u8], recorded: &[u8]) {
    let mut recorded = recorded.to_vec();
    recorded[0..8].copy_from_slice(&ours[0..8]);
    assert_frames_equal(&mask_hints(ours), &mask_hints(&recorded));
    // And the block we send is one our own reader accepts.
    decode_block(&ours[24..]).unwrap();
}

fn strs(values: &[Option<&str>]) -> ColumnValues {
    ColumnValues::Str(VarData::from_values(values.iter().copied()))
}

fn bytes(values: &[Option<&[u8]>]) -> ColumnValues {
    ColumnValues::Bytes(VarData::from_values(values.iter().copied()))
}

const POINT: &str = "0101000000000000000000f03f0000000000000040";

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[test]
fn bind_block_of_three_rows_matches_the_recorded_client() {
    let r = load("f2_stmt_v1.jsonl");
    let point = hex(POINT);
    let n = vec![0, 1, 0];
    let ms = 1_710_000_000_000;
    let columns = vec![
        BindColumn::new(ColumnValues::Timestamp(vec![ms, ms + 1, ms + 2])),
        BindColumn::with_nulls(ColumnValues::Bool(vec![1, 0, 0]), n.clone()),
        BindColumn::with_nulls(ColumnValues::I32(vec![1, 0, -1]), n.clone()),
        BindColumn::with_nulls(ColumnValues::I64(vec![i64::MAX, 0, 0]), n.clone()),
        BindColumn::with_nulls(ColumnValues::U16(vec![u16::MAX, 0, 0]), n.clone()),
        BindColumn::with_nulls(ColumnValues::F32(vec![-3.25, 0.0, 1e10]), n.clone()),
        BindColumn::with_nulls(ColumnValues::F64(vec![6.5, 0.0, 1e-300]), n.clone()),
        BindColumn::with_nulls(strs(&[Some("b"), None, Some("quote's")]), n.clone()),
        // NCHAR goes out as UCS-4 in v1 blocks.
        BindColumn::with_nulls(strs(&[Some("日本語"), None, Some("ü")]), n.clone()),
        BindColumn::with_nulls(bytes(&[Some(&[1]), None, Some(&[])]), n.clone()),
        BindColumn::with_nulls(bytes(&[Some(&point), None, Some(&point)]), n.clone()),
    ];
    let ours =
        stmt::encode_bind(1, 1, stmt::ACTION_BIND, Some(&stb_columns()), &columns, "column", "table v1").unwrap();
    assert_block_matches(&ours, &binary_at(&r, 40));
}

#[test]
fn bind_block_of_one_row_matches_the_recorded_client() {
    let r = load("f2_stmt_v1.jsonl");
    let point = hex(POINT);
    let columns = vec![
        BindColumn::new(ColumnValues::Timestamp(vec![1_710_000_000_005])),
        BindColumn::new(ColumnValues::Bool(vec![1])),
        BindColumn::new(ColumnValues::I32(vec![2])),
        BindColumn::new(ColumnValues::I64(vec![2])),
        BindColumn::new(ColumnValues::U16(vec![2])),
        BindColumn::new(ColumnValues::F32(vec![2.0])),
        BindColumn::new(ColumnValues::F64(vec![2.0])),
        BindColumn::new(strs(&[Some("b")])),
        BindColumn::new(strs(&[Some("c")])),
        BindColumn::new(bytes(&[Some(&[2])])),
        BindColumn::new(bytes(&[Some(&point)])),
    ];
    let ours =
        stmt::encode_bind(1, 1, stmt::ACTION_BIND, Some(&stb_columns()), &columns, "column", "table v2").unwrap();
    assert_block_matches(&ours, &binary_at(&r, 50));
}

/// Connection 3 of the recording (raw frames); its version reply comes from connection 2.
fn raw_connection(r: &[(u64, Frame)]) -> Harness {
    Harness::connected(r, 29, 60)
}

#[test]
fn insert_flow_asks_for_the_placeholders_and_checks_values_before_sending() {
    let r = load("f2_stmt_v1.jsonl");
    let mut h = raw_connection(&r);
    let call = h.session.stmt_init();
    let Ok(Reply::StmtInit { stmt_id }) = h.round_trip(call, &r, 62) else { panic!("init") };
    let sql = "insert into ? using wire_stmt1b.stb tags(?,?,?) (ts, c_i32, c_vc, c_nc, c_vb) values(?,?,?,?,?)";
    let call = h.session.stmt_prepare(stmt_id, sql);
    assert_eq!(h.round_trip(call, &r, 64), Ok(Reply::StmtPrepared { stmt_id, is_insert: true }));
    let call = h.session.stmt_set_table_name(stmt_id, "v3");
    assert_eq!(h.round_trip(call, &r, 66), Ok(Reply::Done));

    // Tags: the session does not know the tag placeholders yet, so it asks first.
    let call = h.session.stmt_set_tags(
        stmt_id,
        vec![
            BindColumn::new(ColumnValues::I32(vec![3])),
            BindColumn::new(strs(&[Some("标签")])),
            BindColumn::new(strs(&[Some("t")])),
        ],
    );
    let ask = h.one_sent();
    assert_eq!(json(&ask)["action"], "get_tag_fields");
    h.answer(&ask, at(&r, 68));
    let set_tags = h.one_sent();
    let Frame::Binary(block) = &set_tags else { panic!("set_tags is binary") };
    assert_eq!(u64::from_le_bytes(block[16..24].try_into().unwrap()), stmt::ACTION_SET_TAGS);
    let tags = decode_block(&block[24..]).unwrap();
    assert_eq!(tags.rows, 1);
    assert_eq!(tags.columns.len(), 3);
    h.answer(&set_tags, at(&r, 72));
    assert_eq!(h.outcome(call), Ok(Reply::Done));

    // Columns: a value too long for VARCHAR(32) fails before anything is sent, naming the
    // table, the column, the row and the value.
    let long = "x".repeat(33);
    let columns = |vc: &str| {
        vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_710_000_000_010, 1_710_000_000_011])),
            BindColumn::with_nulls(ColumnValues::I32(vec![1, 0]), vec![0, 1]),
            BindColumn::with_nulls(strs(&[Some(vc), None]), vec![0, 1]),
            BindColumn::with_nulls(strs(&[Some("中"), None]), vec![0, 1]),
            BindColumn::with_nulls(bytes(&[Some(&[1, 2]), None]), vec![0, 1]),
        ]
    };
    let call = h.session.stmt_bind(stmt_id, columns(&long));
    let ask = h.one_sent();
    assert_eq!(json(&ask)["action"], "get_col_fields");
    h.answer(&ask, at(&r, 70));
    assert!(h.drain().is_empty(), "nothing is sent for a value that does not fit");
    let e = h.outcome(call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    for part in ["table v3", "column c_vc", "row 0", "xxxxxxxx", "33 bytes, at most 32"] {
        assert!(e.message.contains(part), "{part:?} missing in {}", e.message);
    }

    // The placeholders are cached now: the good values go out at once.
    let call = h.session.stmt_bind(stmt_id, columns("a"));
    let bind = h.one_sent();
    let Frame::Binary(block) = &bind else { panic!("bind is binary") };
    let decoded = decode_block(&block[24..]).unwrap();
    assert_eq!((decoded.rows, decoded.columns.len()), (2, 5));
    h.answer(&bind, at(&r, 74));
    assert_eq!(h.outcome(call), Ok(Reply::Done));
    let call = h.session.stmt_add_batch(stmt_id);
    assert_eq!(h.round_trip(call, &r, 76), Ok(Reply::Done));
    let call = h.session.stmt_exec(stmt_id);
    assert_eq!(h.round_trip(call, &r, 78), Ok(Reply::Affected(2)));

    // close is never answered: it completes as soon as it is queued.
    let call = h.session.stmt_close(stmt_id);
    assert_eq!(h.outcome(call), Ok(Reply::Done));
    assert_eq!(json(&h.one_sent())["action"], "close");
    let call = h.session.stmt_exec(stmt_id);
    assert_eq!(h.outcome(call).unwrap_err().kind, ErrorKind::Programming);
    assert!(h.drain().is_empty());
}

#[test]
fn query_flow_binds_parameters_in_their_own_types_and_reads_the_result() {
    let r = load("f2_stmt_v1.jsonl");
    let mut h = raw_connection(&r);
    let call = h.session.stmt_init();
    let Ok(Reply::StmtInit { stmt_id }) = h.round_trip(call, &r, 92) else { panic!("init") };
    assert_eq!(stmt_id, 3);
    let sql = "select ts, c_i32, c_vc from wire_stmt1b.stb where c_i32 > ? and c_vc <> ?";
    let call = h.session.stmt_prepare(stmt_id, sql);
    assert_eq!(h.round_trip(call, &r, 94), Ok(Reply::StmtPrepared { stmt_id, is_insert: false }));
    let call = h.session.stmt_bind(
        stmt_id,
        vec![BindColumn::new(ColumnValues::I32(vec![0])), BindColumn::new(strs(&[Some("zz")]))],
    );
    let bind = h.one_sent();
    let Frame::Binary(ours) = &bind else { panic!("bind is binary") };
    assert_block_matches(ours, &binary_at(&r, 95));
    h.answer(&bind, at(&r, 96));
    assert_eq!(h.outcome(call), Ok(Reply::Done));
    let call = h.session.stmt_add_batch(stmt_id);
    assert_eq!(h.round_trip(call, &r, 98), Ok(Reply::Done));
    let call = h.session.stmt_exec(stmt_id);
    assert_eq!(h.round_trip(call, &r, 100), Ok(Reply::Affected(0)));
    let call = h.session.stmt_use_result(stmt_id);
    let Ok(Reply::Query(info)) = h.round_trip(call, &r, 102) else { panic!("use_result") };
    assert_eq!(info.result_id, 1);
    assert_eq!(info.fields.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), ["ts", "c_i32", "c_vc"]);

    let call = h.session.fetch_block(info.result_id);
    let Ok(Reply::Block(Some(block))) = h.round_trip(call, &r, 104) else { panic!("fetch") };
    assert_eq!(block.decode().unwrap().rows, 3);
    let call = h.session.fetch_block(info.result_id);
    assert_eq!(h.round_trip(call, &r, 106), Ok(Reply::Block(None)));
    // Fetched to the end: closing frees nothing, it only closes.
    h.session.stmt_close(stmt_id);
    let sent = h.drain();
    assert_eq!(sent.len(), 1);
    assert_eq!(json(&sent[0])["action"], "close");
}

#[test]
fn a_v1_call_on_a_stmt2_id_is_a_programming_error() {
    let r = load("f2_stmt_v1.jsonl");
    let mut h = raw_connection(&r);
    let call = h.session.stmt_prepare(1, "select 1");
    let e = h.outcome(call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("not open"), "{}", e.message);
    let call = h.session.stmt_init();
    let Ok(Reply::StmtInit { stmt_id }) = h.round_trip(call, &r, 62) else { panic!("init") };
    let call = h.session.stmt2_exec(stmt_id);
    let e = h.outcome(call).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("stmt v1"), "{}", e.message);
    let call = h.session.stmt_bind(stmt_id, vec![BindColumn::new(ColumnValues::I32(vec![1]))]);
    let e = h.outcome(call).unwrap_err();
    assert!(e.message.contains("not prepared"), "{}", e.message);
    assert!(h.drain().is_empty());
}

#[test]
fn a_timestamp_query_parameter_goes_out_as_bigint() {
    // The adapter refuses TIMESTAMP columns in a query statement's bind block.
    let columns = vec![BindColumn::new(ColumnValues::Timestamp(vec![1_710_000_000_000]))];
    let frame = stmt::encode_bind(1, 3, stmt::ACTION_BIND, None, &columns, "parameter", "").unwrap();
    let block = decode_block(&frame[24..]).unwrap();
    assert_eq!(block.columns[0].ty(), DataType::BigInt);
    let taosjs_core::block::DecodedColumn::Fixed { data: taosjs_core::FixedData::I64(v), .. } = &block.columns[0] else {
        panic!("{:?}", block.columns[0])
    };
    assert_eq!(v, &[1_710_000_000_000]);
}
