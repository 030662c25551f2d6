//! stmt2 against what a real taosAdapter 3.3.7.5 and taos-ws-py exchanged (tests/data): our
//! encoder must produce the bytes the recorded client sent for the same values, and the Session
//! must read the recorded replies. Expected bytes come from the recordings and the reference's
//! worked example, never from our own encoder.

mod common;

use common::*;
use taosjs_core::bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::stmt2::{self, Stmt2Prepared};
use taosjs_core::{DataType, Reply};

fn col(values: ColumnValues) -> BindColumn {
    BindColumn::new(values)
}

fn nullable(values: ColumnValues, nulls: &[u8]) -> BindColumn {
    BindColumn::with_nulls(values, nulls.to_vec())
}

fn strs(values: &[Option<&str>]) -> ColumnValues {
    ColumnValues::Str(VarData::from_values(values.iter().copied()))
}

fn bytes(values: &[Option<&[u8]>]) -> ColumnValues {
    ColumnValues::Bytes(VarData::from_values(values.iter().copied()))
}

fn field(name: &str, ty: DataType, bytes: u32, bind_type: BindType) -> StmtField {
    StmtField { name: name.into(), ty, precision: 0, scale: 0, bytes, bind_type }
}

#[test]
fn reference_example_encodes_to_its_156_bytes() {
    // Reference §5.2.3: `insert into ? using stb tags(?) values(?,?)`, table d1, tag INT 1,
    // ts = [1700000000000, 1700000001000], v VARCHAR = ["a", NULL], req_id 0xabc, stmt_id 1.
    let expected = hex(concat!(
        "bc0a000000000000 0100000000000000 0900000000000000 0100 ffffffff 7e000000",
        "01000000 01000000 02000000 1c000000 21000000 3b000000 0300 643100 16000000",
        "16000000 04000000 01000000 00 00 04000000 01000000 3f000000 23000000",
        "09000000 02000000 0000 00 10000000 0068e5cf8b010000 e86be5cf8b010000",
        "1c000000 08000000 02000000 0001 01 01000000 00000000 01000000 61"
    ));
    assert_eq!(expected.len(), 156);
    let prepared = Stmt2Prepared {
        stmt_id: 1,
        is_insert: true,
        fields: vec![
            field("tbname", DataType::VarChar, 271, BindType::TableName),
            field("t", DataType::Int, 4, BindType::Tag),
            field("ts", DataType::Timestamp, 8, BindType::Column),
            field("v", DataType::VarChar, 12, BindType::Column),
        ],
        fields_count: 4,
    };
    let table = BindTable {
        name: Some("d1".into()),
        tags: vec![col(ColumnValues::I32(vec![1]))],
        columns: vec![
            col(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_001_000])),
            nullable(strs(&[Some("a"), None]), &[0, 1]),
        ],
    };
    let ours = stmt2::encode_bind(0xabc, &prepared, &[table]).unwrap();
    assert_frames_equal(&ours, &expected);
}

fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

const US: i64 = 1_700_000_000_000_000;

#[test]
fn insert_of_every_type_matches_the_recorded_frame() {
    let r = load("e_stmt2.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let sql = "insert into ? using wire_stmt2.stb tags (?,?,?,?,?,?,?) values (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
    let p = h.init_and_prepare(&r, 19, 21, sql);
    assert!(p.is_insert);
    assert_eq!(p.fields_count, 25);
    assert_eq!(p.fields[0].bind_type, BindType::TableName);
    assert_eq!(p.tag_fields().count(), 7);
    assert_eq!(p.column_fields().count(), 17);
    assert_eq!(p.fields[8].precision, 1, "ts of a microsecond database");

    // POINT(1 2) as WKB, what the recording bound for both GEOMETRY placeholders.
    let point: &[u8] = &hex("0101000000000000000000f03f0000000000000040");
    let n = &[0, 0, 1];
    let table = BindTable {
        name: Some("s1".into()),
        tags: vec![
            col(ColumnValues::I32(vec![7])),
            col(strs(&[Some("北京")])),
            col(strs(&[Some("vc")])),
            col(ColumnValues::Bool(vec![1])),
            col(ColumnValues::F64(vec![1.5])),
            col(bytes(&[Some(&[1, 2])])),
            col(bytes(&[Some(point)])),
        ],
        columns: vec![
            col(ColumnValues::Timestamp(vec![US, US + 1, US + 2])),
            nullable(ColumnValues::Bool(vec![1, 0, 0]), n),
            nullable(ColumnValues::I8(vec![i8::MIN, i8::MAX, 0]), n),
            nullable(ColumnValues::I16(vec![i16::MIN, i16::MAX, 0]), n),
            nullable(ColumnValues::I32(vec![i32::MIN, i32::MAX, 0]), n),
            nullable(ColumnValues::I64(vec![i64::MIN, i64::MAX, 0]), n),
            nullable(ColumnValues::U8(vec![0, u8::MAX, 0]), n),
            nullable(ColumnValues::U16(vec![0, u16::MAX, 0]), n),
            nullable(ColumnValues::U32(vec![0, u32::MAX, 0]), n),
            nullable(ColumnValues::U64(vec![0, u64::MAX, 0]), n),
            nullable(ColumnValues::F32(vec![1.5, -2.25, 0.0]), n),
            nullable(ColumnValues::F64(vec![1e300, -0.125, 0.0]), n),
            nullable(strs(&[Some("abc"), Some(""), None]), n),
            nullable(strs(&[Some("温度"), Some("😀x"), None]), n),
            nullable(bytes(&[Some(&[0x00, 0xff]), Some(&[]), None]), n),
            nullable(bytes(&[Some(point), Some(point), None]), n),
            nullable(bytes(&[Some(&[0xde, 0xad]), Some(&[]), None]), n),
        ],
    };
    h.bind_matches(p.stmt_id, &[table], &r, 22, 23);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 25), Ok(Reply::Affected(3)));
}

#[test]
fn two_tables_with_an_all_null_column_match_the_recorded_frame() {
    let r = load("e_stmt2.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let p = h.init_and_prepare(&r, 28, 32, "insert into ? using wire_stmt2.small tags (?,?) values (?,?,?)");
    let tables = [
        BindTable {
            name: Some("s2".into()),
            tags: vec![col(ColumnValues::I32(vec![2])), col(strs(&[Some("g2")]))],
            columns: vec![
                col(ColumnValues::Timestamp(vec![US, US + 10])),
                // All NULL: buffer_length 0 on the wire.
                nullable(ColumnValues::I32(vec![0, 0]), &[1, 1]),
                col(strs(&[Some("x"), Some("y")])),
            ],
        },
        BindTable {
            name: Some("s3".into()),
            tags: vec![col(ColumnValues::I32(vec![3])), col(strs(&[Some("g3")]))],
            columns: vec![
                col(ColumnValues::Timestamp(vec![US])),
                col(ColumnValues::I32(vec![5])),
                nullable(strs(&[None]), &[1]),
            ],
        },
    ];
    h.bind_matches(p.stmt_id, &tables, &r, 33, 34);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 36), Ok(Reply::Affected(3)));
}

#[test]
fn a_statement_naming_its_table_binds_one_unnamed_table() {
    let r = load("e_stmt2.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let p = h.init_and_prepare(&r, 39, 43, "insert into wire_stmt2.s2 (ts, a) values (?,?)");
    assert!(!p.has_table_name());
    let table = BindTable {
        name: None,
        tags: vec![],
        columns: vec![col(ColumnValues::Timestamp(vec![US + 20])), col(ColumnValues::I32(vec![9]))],
    };
    h.bind_matches(p.stmt_id, &[table], &r, 44, 45);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 47), Ok(Reply::Affected(1)));
}

fn params(columns: Vec<BindColumn>) -> BindTable {
    BindTable { name: None, tags: vec![], columns }
}

#[test]
fn query_parameters_go_in_their_own_types_and_the_result_is_owned_by_the_statement() {
    let r = load("e_stmt2.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let sql = "select * from wire_stmt2.stb where ts >= ? and c_i32 > ? and tbname = ?";
    let p = h.init_and_prepare(&r, 50, 54, sql);
    assert!(!p.is_insert);
    assert_eq!(p.fields_count, 3);
    let table = params(vec![
        col(ColumnValues::Timestamp(vec![US])),
        col(ColumnValues::I32(vec![i32::MIN])),
        col(strs(&[Some("s1")])),
    ]);
    h.bind_matches(p.stmt_id, &[table], &r, 55, 56);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 58), Ok(Reply::Affected(0)));
    let call = h.session.stmt2_result(p.stmt_id);
    let Ok(Reply::Query(info)) = h.round_trip(call, &r, 60) else { panic!("stmt2_result") };
    assert_eq!(info.result_id, 1);
    assert_eq!(info.fields.len(), 24);
    assert_eq!(h.session.open_results(), 1);

    // Closing the statement frees its open result first, then closes it.
    let call = h.session.stmt2_close(p.stmt_id);
    let sent = h.drain();
    assert_eq!(sent.len(), 2, "{sent:?}");
    assert_eq!(json(&sent[0])["action"], "free_result");
    assert_eq!(json(&sent[0])["args"]["id"], 1);
    assert_eq!(json(&sent[1])["action"], "stmt2_close");
    assert_eq!(h.session.open_results(), 0);
    h.answer(&sent[1], at(&r, 69));
    assert_eq!(h.outcome(call), Ok(Reply::Done));
    assert_eq!(h.session.open_statements(), 0);
}

#[test]
fn a_parameter_of_every_bindable_type_matches_the_recorded_frame() {
    let r = load("e_stmt2.jsonl");
    let mut h = Harness::connected(&r, 3, 5);
    let sql = match json(&at(&r, 70))["args"]["sql"].as_str() {
        Some(s) => s.to_owned(),
        None => panic!("recorded prepare has sql"),
    };
    let p = h.init_and_prepare(&r, 67, 71, &sql);
    assert_eq!(p.fields_count, 14);
    let mut nchar = col(strs(&[Some("😀x")]));
    nchar.ty = Some(DataType::NChar);
    let table = params(vec![
        col(ColumnValues::Bool(vec![0])),
        col(ColumnValues::I8(vec![i8::MAX])),
        col(ColumnValues::I16(vec![i16::MAX])),
        col(ColumnValues::I32(vec![i32::MAX])),
        col(ColumnValues::I64(vec![i64::MAX])),
        col(ColumnValues::U8(vec![u8::MAX])),
        col(ColumnValues::U16(vec![u16::MAX])),
        col(ColumnValues::U32(vec![u32::MAX])),
        col(ColumnValues::U64(vec![u64::MAX])),
        col(ColumnValues::F32(vec![-2.25])),
        col(ColumnValues::F64(vec![0.0])),
        // An empty string is a value (is_null 0, length 0), not NULL.
        col(strs(&[Some("")])),
        nchar,
        col(ColumnValues::Timestamp(vec![US + 1])),
    ]);
    h.bind_matches(p.stmt_id, &[table], &r, 72, 73);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 75), Ok(Reply::Affected(0)));
    let call = h.session.stmt2_result(p.stmt_id);
    let Ok(Reply::Query(info)) = h.round_trip(call, &r, 77) else { panic!("stmt2_result") };
    assert_eq!(info.result_id, 2);
    // stmt2_result reports storage sizes (tbname VARCHAR(270) is 272 on the wire); the session
    // shows user lengths for every result.
    assert_eq!(info.fields[0].bytes, 270);
}

#[test]
fn decimals_are_sent_as_binary_unscaled_integers() {
    let r = load("e_stmt2_decimal_jsontag.jsonl");
    let mut h = Harness::connected(&r, 15, 17);
    let p = h.init_and_prepare(&r, 69, 71, "insert into ? using wire_stmt2d.stb2 tags (?) values (?,?,?)");
    // taosAdapter 3.3.7 reports DECIMAL(10,2) and DECIMAL(30,10) with precision and scale 0;
    // the session read them with DESCRIBE before completing the prepare.
    assert_eq!((p.fields[3].ty, p.fields[3].precision, p.fields[3].scale), (DataType::Decimal64, 10, 2));
    assert_eq!((p.fields[4].precision, p.fields[4].scale), (30, 10));
    let d64 = col(ColumnValues::Decimal(vec!["12.34".into(), "-0.01".into()]));
    let d128 = col(ColumnValues::Decimal(vec!["-12345678901234567890.0123456789".into(), "0.0000000005".into()]));
    let table = BindTable {
        name: Some("bin".into()),
        tags: vec![col(ColumnValues::I32(vec![9]))],
        columns: vec![col(ColumnValues::Timestamp(vec![1_700_000_001_000, 1_700_000_001_001])), d64, d128],
    };
    h.bind_matches(p.stmt_id, &[table], &r, 72, 73);
    let call = h.session.stmt2_exec(p.stmt_id);
    assert_eq!(h.round_trip(call, &r, 75), Ok(Reply::Affected(2)));
}

#[test]
fn server_refusals_are_statement_errors_with_tdengine_codes() {
    let r = load("e_stmt2_decimal_jsontag.jsonl");
    let mut h = Harness::connected(&r, 15, 17);
    let p = h.init_and_prepare(&r, 21, 23, "insert into ? using wire_stmt2d.stb tags (?) values (?,?,?)");
    let d64 = col(ColumnValues::Decimal(vec!["1".into()]));
    let d128 = col(ColumnValues::Decimal(vec!["1".into()]));
    let table = BindTable {
        name: Some("j0".into()),
        tags: vec![col(strs(&[Some("\"{\\\"a\\\":1}\"")]))],
        columns: vec![col(ColumnValues::Timestamp(vec![1_700_000_000_000])), d64, d128],
    };
    let call = h.session.stmt2_bind(p.stmt_id, &[table]);
    let e = h.round_trip(call, &r, 25).unwrap_err();
    assert_eq!(e.kind, taosjs_core::ErrorKind::Statement);
    assert_eq!(e.errno, Some(534));
    assert!(e.message.contains("json error"), "{}", e.message);
}
