//! Every bind is checked against the prepared placeholders before a byte is sent; each kind of
//! mistake is a Statement error whose message names the table, the placeholder, the row and the
//! value (misuse of the statement itself is a Programming error). One test per mistake.

use taosjs_core::bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::stmt2::{self, Stmt2InitOptions, Stmt2Prepared};
use taosjs_core::stmt2_message::MARKER;
use taosjs_core::{DataType, Error, ErrorKind, Event, Frame, Reply, Session, SessionOptions};

fn field(name: &str, ty: DataType, bytes: u32, bind_type: BindType) -> StmtField {
    StmtField { name: name.into(), ty, precision: 0, scale: 0, bytes, bind_type }
}

/// `insert into ? using stb tags (t_i32, t_nc) values (ts, c_i8, c_i32, c_vc, c_nc, c_u16, c_dec)`
/// with VARCHAR(4), NCHAR(2) tag, NCHAR(3) column, DECIMAL(5,2).
fn prepared() -> Stmt2Prepared {
    let mut dec = field("c_dec", DataType::Decimal64, 8, BindType::Column);
    dec.precision = 5;
    dec.scale = 2;
    Stmt2Prepared {
        stmt_id: 7,
        is_insert: true,
        fields: vec![
            field("tbname", DataType::VarChar, 271, BindType::TableName),
            field("t_i32", DataType::Int, 4, BindType::Tag),
            field("t_nc", DataType::NChar, 10, BindType::Tag),
            field("ts", DataType::Timestamp, 8, BindType::Column),
            field("c_i8", DataType::TinyInt, 1, BindType::Column),
            field("c_i32", DataType::Int, 4, BindType::Column),
            field("c_vc", DataType::VarChar, 6, BindType::Column),
            field("c_nc", DataType::NChar, 14, BindType::Column),
            field("c_u16", DataType::USmallInt, 2, BindType::Column),
            dec,
        ],
        fields_count: 10,
    }
}

fn strs(values: &[&str]) -> ColumnValues {
    ColumnValues::Str(VarData::from_values(values.iter().map(Some)))
}

fn c(values: ColumnValues) -> BindColumn {
    BindColumn::new(values)
}

/// A valid two-row table `d1`; tests break one thing in it.
fn good() -> BindTable {
    BindTable {
        name: Some("d1".into()),
        tags: vec![c(ColumnValues::I32(vec![1])), c(strs(&["ab"]))],
        columns: vec![
            c(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_000_001])),
            c(ColumnValues::I8(vec![1, 2])),
            c(ColumnValues::I32(vec![1, 2])),
            c(strs(&["abcd", "x"])),
            c(strs(&["日本語", "é"])),
            c(ColumnValues::U16(vec![1, 2])),
            c(ColumnValues::Decimal(vec!["123.45".into(), "-0.5".into()])),
        ],
    }
}

fn bind_error(tables: &[BindTable]) -> Error {
    let e = stmt2::encode_bind(1, &prepared(), tables).expect_err("the bind must be refused");
    assert_eq!(e.kind, ErrorKind::Statement, "{e}");
    e
}

fn assert_names(e: &Error, parts: &[&str]) {
    for part in parts {
        assert!(e.message.contains(part), "{part:?} missing in {:?}", e.message);
    }
}

#[test]
fn the_valid_table_encodes() {
    let frame = stmt2::encode_bind(1, &prepared(), &[good()]).unwrap();
    assert_eq!(u64::from_le_bytes(frame[16..24].try_into().unwrap()), 9);
    // Payload total_length = frame length − 30.
    assert_eq!(u32::from_le_bytes(frame[30..34].try_into().unwrap()) as usize, frame.len() - 30);
}

#[test]
fn columns_of_different_lengths() {
    let mut t = good();
    t.columns[2] = c(ColumnValues::I32(vec![1, 2, 3]));
    assert_names(&bind_error(&[t]), &["table d1", "column c_i32", "has 3 values, expected 2"]);
}

#[test]
fn a_null_mask_of_another_length() {
    let mut t = good();
    t.columns[1] = BindColumn::with_nulls(ColumnValues::I8(vec![1, 2]), vec![0]);
    assert_names(&bind_error(&[t]), &["table d1", "column c_i8", "null mask has 1 entries for 2 values"]);
}

#[test]
fn three_hundred_into_tinyint() {
    let mut t = good();
    t.columns[1] = c(ColumnValues::I32(vec![1, 300]));
    assert_names(&bind_error(&[t]), &["table d1", "column c_i8 (TINYINT)", "row 1", "300", "out of range [-128, 127]"]);
}

#[test]
fn a_negative_number_into_an_unsigned_column() {
    let mut t = good();
    t.columns[5] = c(ColumnValues::I64(vec![-1, 2]));
    assert_names(&bind_error(&[t]), &["column c_u16", "row 0", "-1", "out of range [0, 65535]"]);
}

#[test]
fn a_fraction_into_an_integer_column() {
    let mut t = good();
    t.columns[2] = c(ColumnValues::F64(vec![1.0, 2.5]));
    assert_names(&bind_error(&[t]), &["column c_i32", "row 1", "2.5", "has a fraction"]);
}

#[test]
fn text_that_is_not_a_number_into_int() {
    let mut t = good();
    t.columns[2] = c(strs(&["12", "twelve"]));
    assert_names(&bind_error(&[t]), &["table d1", "column c_i32 (INT)", "row 1", "\"twelve\"", "is not an integer"]);
}

#[test]
fn numeric_text_into_int_is_converted() {
    let mut t = good();
    t.columns[2] = c(strs(&["12", " -3 "]));
    stmt2::encode_bind(1, &prepared(), &[t]).unwrap();
}

#[test]
fn nan_and_infinity_into_a_timestamp() {
    for (bad, shown) in [(f64::NAN, "NaN"), (f64::INFINITY, "inf")] {
        let mut t = good();
        t.columns[0] = c(ColumnValues::F64(vec![1.7e12, bad]));
        assert_names(&bind_error(&[t]), &["column ts (TIMESTAMP)", "row 1", shown, "is not a timestamp"]);
    }
}

#[test]
fn a_string_longer_than_varchar_n() {
    let mut t = good();
    t.columns[3] = c(strs(&["abcd", "abcde"]));
    assert_names(&bind_error(&[t]), &["column c_vc (VARCHAR)", "row 1", "\"abcde\"", "5 bytes, at most 4"]);
}

#[test]
fn nchar_n_counts_characters_not_bytes() {
    let mut t = good();
    t.columns[4] = c(strs(&["日本語", "日本語x"]));
    assert_names(&bind_error(&[t]), &["column c_nc (NCHAR)", "row 1", "4 characters, at most 3"]);
}

#[test]
fn a_tag_longer_than_its_nchar() {
    let mut t = good();
    t.tags[1] = c(strs(&["abc"]));
    assert_names(&bind_error(&[t]), &["table d1", "tag t_nc (NCHAR)", "row 0", "\"abc\"", "at most 2"]);
}

#[test]
fn a_decimal_beyond_its_precision() {
    let mut t = good();
    t.columns[6] = c(ColumnValues::Decimal(vec!["1000.00".into(), "1".into()]));
    assert_names(&bind_error(&[t]), &["column c_dec", "row 0", "\"1000.00\"", "does not fit DECIMAL(5,2)"]);
}

#[test]
fn a_decimal_that_is_not_a_number() {
    let mut t = good();
    t.columns[6] = c(ColumnValues::Decimal(vec!["1.2.3".into(), "1".into()]));
    assert_names(&bind_error(&[t]), &["column c_dec", "row 0", "is not a decimal number"]);
}

#[test]
fn a_decimal_column_without_a_known_scale() {
    let mut p = prepared();
    p.fields[9].precision = 0;
    p.fields[9].scale = 0;
    let e = stmt2::encode_bind(1, &p, &[good()]).unwrap_err();
    assert_names(&e, &["column c_dec", "precision and scale"]);
}

#[test]
fn a_decimal_beyond_the_declared_precision_is_tdengines_decimal_overflow() {
    // As SQL answers `insert … values (123456789012.34)` into DECIMAL(10,2): 0x013D.
    let mut p = prepared();
    p.fields[9].precision = 10;
    p.fields[9].scale = 2;
    let mut t = good();
    t.columns[6] = c(ColumnValues::Decimal(vec!["123456789012.34".into(), "1".into()]));
    let e = stmt2::encode_bind(1, &p, &[t]).unwrap_err();
    assert_eq!(e.errno, Some(0x013D));
    assert_names(&e, &["column c_dec", "row 0", "123456789012.34", "DECIMAL(10,2)", "Decimal value overflow"]);
    let mut t = good();
    t.columns[6] = c(ColumnValues::Decimal(vec!["99999999.99".into(), "-99999999.99".into()]));
    stmt2::encode_bind(1, &p, &[t]).unwrap();
}

#[test]
fn text_that_is_not_utf8() {
    let mut t = good();
    t.columns[3] = c(ColumnValues::Str(VarData { data: vec![b'a', 0xff], offsets: vec![0, 1, 2] }));
    assert_names(&bind_error(&[t]), &["column c_vc", "row 1", "not valid UTF-8"]);
}

#[test]
fn offsets_outside_the_buffer() {
    let mut t = good();
    t.columns[3] = c(ColumnValues::Str(VarData { data: b"ab".to_vec(), offsets: vec![0, 1, 9] }));
    assert_names(&bind_error(&[t]), &["column c_vc", "row 1", "offsets outside its buffer"]);
}

#[test]
fn too_few_tags() {
    let mut t = good();
    t.tags.pop();
    assert_names(&bind_error(&[t]), &["table d1", "2 tag placeholders, 1 tags were given"]);
}

#[test]
fn too_many_columns() {
    let mut t = good();
    t.columns.push(c(ColumnValues::I32(vec![1, 2])));
    assert_names(&bind_error(&[t]), &["table d1", "7 column placeholders, 8 columns were given"]);
}

#[test]
fn a_tag_with_two_values() {
    let mut t = good();
    t.tags[0] = c(ColumnValues::I32(vec![1, 2]));
    assert_names(&bind_error(&[t]), &["tag t_i32", "has 2 values, expected 1"]);
}

#[test]
fn a_missing_table_name() {
    let mut t = good();
    t.name = None;
    assert_names(&bind_error(&[t]), &["table #0", "takes a table name"]);
}

#[test]
fn the_second_table_is_checked_too() {
    let mut second = good();
    second.name = Some("d2".into());
    second.columns[1] = c(ColumnValues::I16(vec![5, -129]));
    assert_names(&bind_error(&[good(), second]), &["table d2", "column c_i8", "row 1", "-129"]);
}

#[test]
fn a_float_too_large_for_float() {
    let p = Stmt2Prepared {
        stmt_id: 1,
        is_insert: true,
        fields: vec![field("f", DataType::Float, 4, BindType::Column)],
        fields_count: 1,
    };
    let t = BindTable { name: None, tags: vec![], columns: vec![c(ColumnValues::F64(vec![1e39]))] };
    let e = stmt2::encode_bind(1, &p, &[t]).unwrap_err();
    assert_names(&e, &["column f (FLOAT)", "row 0", "out of range for FLOAT"]);
}

fn query() -> Stmt2Prepared {
    Stmt2Prepared { stmt_id: 1, is_insert: false, fields: vec![], fields_count: 2 }
}

#[test]
fn a_query_with_the_wrong_number_of_parameters() {
    let t = BindTable { name: None, tags: vec![], columns: vec![c(ColumnValues::I32(vec![1]))] };
    let e = stmt2::encode_bind(1, &query(), &[t]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert_names(&e, &["the query has 2 parameters, 1 were given"]);
}

#[test]
fn a_query_parameter_with_two_values() {
    let t = BindTable {
        name: None,
        tags: vec![],
        columns: vec![c(ColumnValues::I32(vec![1, 2])), c(ColumnValues::I32(vec![1]))],
    };
    let e = stmt2::encode_bind(1, &query(), &[t]).unwrap_err();
    assert_names(&e, &["parameter #1", "has 2 values, expected 1"]);
}

// ----- misuse of the statement, through the Session -----------------------------------------

fn connected_session() -> Session {
    let mut s = Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..Default::default() });
    s.connect(taosjs_core::Instant::ZERO);
    let sent: Vec<Frame> = std::iter::from_fn(|| s.poll_transmit()).collect();
    let conn_req = match &sent[1] {
        Frame::Text(t) => serde_json::from_str::<serde_json::Value>(t).unwrap()["args"]["req_id"].as_u64().unwrap(),
        _ => unreachable!(),
    };
    s.handle_frame(Frame::Text(format!(
        r#"{{"code":0,"message":"","action":"conn","req_id":{conn_req},"timing":1,"version":"3.3.7.5"}}"#
    )));
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
    while s.poll_event().is_some() {}
    assert!(s.is_connected());
    s
}

fn reply_to_last(s: &mut Session, body: &str) -> Result<Reply, Error> {
    let sent: Vec<Frame> = std::iter::from_fn(|| s.poll_transmit()).collect();
    let Some(Frame::Text(t)) = sent.last() else { panic!("expected a JSON request, got {sent:?}") };
    let v: serde_json::Value = serde_json::from_str(t).unwrap();
    let req_id = v["args"]["req_id"].as_u64().unwrap();
    let action = v["action"].as_str().unwrap();
    s.handle_frame(Frame::Text(format!(
        r#"{{"code":0,"message":"","action":"{action}","req_id":{req_id},"timing":1{body}}}"#
    )));
    last_outcome(s)
}

fn last_outcome(s: &mut Session) -> Result<Reply, Error> {
    let mut last = None;
    while let Some(Event::Completed { outcome, .. }) = s.poll_event() {
        last = Some(outcome);
    }
    last.expect("a completion")
}

#[test]
fn binding_before_prepare_is_a_programming_error_and_sends_nothing() {
    let mut s = connected_session();
    s.stmt2_init(Stmt2InitOptions::default());
    assert_eq!(reply_to_last(&mut s, r#","stmt_id":1"#), Ok(Reply::StmtInit { stmt_id: 1 }));
    s.stmt2_bind(1, &[good()]);
    let e = last_outcome(&mut s).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("not prepared"), "{}", e.message);
    assert!(s.poll_transmit().is_none());
}

#[test]
fn executing_after_close_is_a_programming_error_and_sends_nothing() {
    let mut s = connected_session();
    s.stmt2_init(Stmt2InitOptions::default());
    reply_to_last(&mut s, r#","stmt_id":1"#).unwrap();
    s.stmt2_prepare(1, "select * from t where a > ?");
    let Ok(Reply::Stmt2Prepared(p)) =
        reply_to_last(&mut s, r#","stmt_id":1,"is_insert":false,"fields":null,"fields_count":1"#)
    else {
        panic!("prepare")
    };
    assert_eq!((p.is_insert, p.fields_count), (false, 1));
    s.stmt2_close(1);
    assert_eq!(reply_to_last(&mut s, r#","stmt_id":1"#), Ok(Reply::Done));
    s.stmt2_exec(1);
    let e = last_outcome(&mut s).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Programming);
    assert!(e.message.contains("statement 1 is not open"), "{}", e.message);
    assert!(s.poll_transmit().is_none());
}

/// A session with statement 3 prepared as `insert into ? using stb tags (?) values (?,?)`
/// (tag g INT, columns ts TIMESTAMP and v TINYINT).
fn session_with_insert_prepared() -> (Session, Stmt2Prepared) {
    let mut s = connected_session();
    s.stmt2_init(Stmt2InitOptions::default());
    reply_to_last(&mut s, r#","stmt_id":3"#).unwrap();
    s.stmt2_prepare(3, "insert into ? using stb tags (?) values (?,?)");
    let fields = r#","stmt_id":3,"is_insert":true,"fields_count":4,"fields":[
        {"name":"tbname","field_type":8,"precision":0,"scale":0,"bytes":271,"bind_type":4},
        {"name":"g","field_type":4,"precision":0,"scale":0,"bytes":4,"bind_type":2},
        {"name":"ts","field_type":9,"precision":0,"scale":0,"bytes":8,"bind_type":1},
        {"name":"v","field_type":2,"precision":0,"scale":0,"bytes":1,"bind_type":1}]"#;
    let Ok(Reply::Stmt2Prepared(p)) = reply_to_last(&mut s, fields) else { panic!("prepare") };
    (s, p)
}

#[test]
fn a_bad_value_is_refused_before_sending_through_the_session() {
    let (mut s, _) = session_with_insert_prepared();
    let t = BindTable {
        name: Some("d9".into()),
        tags: vec![c(ColumnValues::I32(vec![1]))],
        columns: vec![c(ColumnValues::Timestamp(vec![1])), c(ColumnValues::I32(vec![300]))],
    };
    s.stmt2_bind(3, &[t]);
    let e = last_outcome(&mut s).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert_names(&e, &["table d9", "column v (TINYINT)", "row 0", "300"]);
    assert!(s.poll_transmit().is_none());
}

#[test]
fn closing_the_session_closes_open_statements() {
    let mut s = connected_session();
    s.stmt2_init(Stmt2InitOptions::default());
    reply_to_last(&mut s, r#","stmt_id":4"#).unwrap();
    s.stmt_init();
    reply_to_last(&mut s, r#","stmt_id":5"#).unwrap();
    assert_eq!(s.open_statements(), 2);
    s.close(taosjs_core::Instant::ZERO);
    let sent: Vec<String> = std::iter::from_fn(|| s.poll_transmit())
        .filter_map(|f| match f {
            Frame::Text(t) => Some(t),
            Frame::Close | Frame::Ping(_) | Frame::Pong(_) => None,
            _ => panic!("binary on close"),
        })
        .collect();
    assert_eq!(sent.len(), 2);
    assert!(sent[0].contains(r#""action":"stmt2_close""#) && sent[0].contains(r#""stmt_id":4"#), "{}", sent[0]);
    assert!(sent[1].contains(r#""action":"close""#) && sent[1].contains(r#""stmt_id":5"#), "{}", sent[1]);
}

#[test]
fn an_abandoned_statement_is_closed_with_its_own_kind_of_close() {
    let mut s = connected_session();
    s.stmt_init();
    reply_to_last(&mut s, r#","stmt_id":6"#).unwrap();
    s.abandon_statement(6);
    s.abandon_statement(6); // already gone: nothing more
    let sent: Vec<Frame> = std::iter::from_fn(|| s.poll_transmit()).collect();
    assert_eq!(sent.len(), 1);
    let Frame::Text(t) = &sent[0] else { panic!() };
    assert!(t.contains(r#""action":"close""#) && t.contains(r#""stmt_id":6"#), "{t}");
    assert_eq!(s.open_statements(), 0);
    s.stmt_exec(6);
    assert_eq!(last_outcome(&mut s).unwrap_err().kind, ErrorKind::Programming);
}

/// Server replies with wrong types, unknown ids or impossible field lists: the call they answer
/// completes with an error (never a panic, never a call left waiting); replies of the wrong JSON
/// shape are protocol violations.
#[test]
fn garbled_statement_replies_fail_the_call() {
    let prepare_body = |fields: &str, count: i64| {
        format!(r#","stmt_id":1,"is_insert":true,"fields_count":{count},"fields":{fields}"#)
    };
    let garbled = [
        prepare_body(r#"[{"name":"x","field_type":255,"bytes":4,"bind_type":1}]"#, 1),
        prepare_body(r#"[{"name":"x","field_type":4,"bytes":4,"bind_type":9}]"#, 1),
        prepare_body(r#"[{"name":"x","field_type":4,"bytes":4,"bind_type":1}]"#, 3),
        prepare_body(r#"[{"name":"x","field_type":"INT"}]"#, 1),
        prepare_body(r#"{"not":"a list"}"#, 1),
        r#","stmt_id":-1"#.to_string(),
        r#","stmt_id":1,"is_insert":"yes""#.to_string(),
    ];
    for body in garbled {
        let mut s = connected_session();
        s.stmt2_init(Stmt2InitOptions::default());
        reply_to_last(&mut s, r#","stmt_id":1"#).unwrap();
        s.stmt2_prepare(1, "insert into t values (?)");
        let e = reply_to_last(&mut s, &body).expect_err(&body);
        // Values the session cannot use fail the call; JSON of the wrong shape is a protocol
        // violation, which fails every call and drops the socket.
        let violation = e.kind == ErrorKind::Connection && e.message.contains("protocol violation");
        assert!(matches!(e.kind, ErrorKind::Internal | ErrorKind::NotSupported) || violation, "{body}: {e}");
    }
    // A garbled stmt2_init reply fails the init too.
    let mut s = connected_session();
    s.stmt2_init(Stmt2InitOptions::default());
    assert!(reply_to_last(&mut s, r#","stmt_id":"one""#).is_err());
    assert_eq!(s.open_statements(), 0);
}

#[test]
fn a_query_without_parameters_takes_no_bind() {
    let p = Stmt2Prepared { stmt_id: 1, is_insert: false, fields: vec![], fields_count: 0 };
    let e = stmt2::encode_bind(1, &p, &[BindTable::default()]).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Statement);
    assert_names(&e, &["no parameters"]);
}

#[test]
fn through_the_session_a_malformed_message_sends_nothing_and_the_next_goes_out_as_written() {
    let (mut s, p) = session_with_insert_prepared();
    let t = BindTable {
        name: Some("d9".into()),
        tags: vec![c(ColumnValues::I32(vec![1]))],
        columns: vec![
            c(ColumnValues::Timestamp(vec![1, 2])),
            BindColumn::with_nulls(ColumnValues::I8(vec![5, 0]), vec![0, 1]),
        ],
    };
    // The message as the facade writes it: the encoder's, with the marker in the req_id's place.
    let mut message = stmt2::encode_bind(7, &p, std::slice::from_ref(&t)).unwrap();
    message[0..8].copy_from_slice(&MARKER);
    message[8..16].fill(0);
    let mut bad = message.clone();
    let last = bad.len() - 1; // the i8 record's NULL row's value
    bad[last] = 1;
    s.stmt2_bind_packed(3, &bad);
    let e = last_outcome(&mut s).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Interface);
    assert!(e.message.contains("NULL but has a value"), "{}", e.message);
    assert!(s.poll_transmit().is_none(), "nothing sent");
    s.stmt2_bind_packed(3, &message);
    let Some(Frame::Binary(sent)) = s.poll_transmit() else {
        panic!("the bind goes out")
    };
    assert_eq!(sent[16..], message[16..], "as written");
    assert_eq!(
        u64::from_le_bytes(sent[8..16].try_into().unwrap()),
        3,
        "the statement's id"
    );
    assert_ne!(sent[0..8], MARKER, "the session's req_id");
}
