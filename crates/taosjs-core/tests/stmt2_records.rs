//! A stmt2 bind message reads back as the `TAOS_STMT2_BIND` records it serialises: what the
//! native transport hands to libtaos is exactly what the WebSocket transport sends.

use taosjs_core::bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::stmt2::{self, Stmt2Prepared};
use taosjs_core::DataType;

fn field(name: &str, ty: DataType, bytes: u32, bind_type: BindType) -> StmtField {
    StmtField { name: name.into(), ty, precision: 0, scale: 0, bytes, bind_type }
}

fn prepared() -> Stmt2Prepared {
    Stmt2Prepared {
        stmt_id: 3,
        is_insert: true,
        fields: vec![
            field("tbname", DataType::VarChar, 271, BindType::TableName),
            field("t", DataType::Int, 4, BindType::Tag),
            field("ts", DataType::Timestamp, 8, BindType::Column),
            field("s", DataType::NChar, 42, BindType::Column),
            field("i", DataType::Int, 4, BindType::Column),
        ],
        fields_count: 5,
    }
}

fn table(name: &str, tag: i32) -> BindTable {
    BindTable {
        name: Some(name.into()),
        tags: vec![BindColumn::new(ColumnValues::I32(vec![tag]))],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![10, 11])),
            BindColumn::with_nulls(ColumnValues::Str(VarData::from_values([Some("日本"), None])), vec![0, 1]),
            BindColumn::with_nulls(ColumnValues::I32(vec![0, 0]), vec![1, 1]),
        ],
    }
}

#[test]
fn every_table_tag_and_column_reads_back() {
    let msg = stmt2::encode_bind(1, &prepared(), &[table("d1", 7), table("d22", -1)]).unwrap();
    let tables = stmt2::bind_records(&msg).unwrap();
    assert_eq!(tables.len(), 2);
    assert_eq!(tables[0].name, Some(&b"d1"[..]));
    assert_eq!(tables[1].name, Some(&b"d22"[..]));
    let t = &tables[1];
    assert_eq!(t.tags.len(), 1);
    assert_eq!(t.tags[0].buffer_type, DataType::Int.id() as i32);
    assert_eq!(t.tags[0].buffer, &(-1i32).to_le_bytes()[..]);
    assert_eq!(t.columns.len(), 3);
    let ts = &t.columns[0];
    assert_eq!((ts.num, ts.is_null, ts.lengths), (2, &[0u8, 0][..], None));
    assert_eq!(ts.buffer, &[10i64.to_le_bytes(), 11i64.to_le_bytes()].concat()[..]);
    let s = &t.columns[1];
    assert_eq!(s.is_null, &[0, 1]);
    assert_eq!(s.lengths, Some(&[6u32.to_le_bytes(), 0u32.to_le_bytes()].concat()[..]));
    assert_eq!(s.buffer, "日本".as_bytes());
    let all_null = &t.columns[2];
    assert_eq!((all_null.is_null, all_null.buffer.len()), (&[1u8, 1][..], 0));
}

#[test]
fn query_parameters_are_one_table_of_single_values() {
    let p = Stmt2Prepared { stmt_id: 1, is_insert: false, fields: vec![], fields_count: 2 };
    let params = BindTable {
        name: None,
        tags: vec![],
        columns: vec![
            BindColumn::new(ColumnValues::I64(vec![5])),
            BindColumn::new(ColumnValues::Str(VarData::from_values([Some("x")]))),
        ],
    };
    let msg = stmt2::encode_bind(1, &p, &[params]).unwrap();
    let tables = stmt2::bind_records(&msg).unwrap();
    assert_eq!(tables.len(), 1);
    assert_eq!(tables[0].name, None);
    assert_eq!(tables[0].columns.len(), 2);
    assert_eq!(tables[0].columns[0].buffer, &5i64.to_le_bytes()[..]);
    assert_eq!(tables[0].columns[1].buffer, b"x");
}

#[test]
fn a_damaged_message_is_an_error_not_a_panic() {
    let msg = stmt2::encode_bind(1, &prepared(), &[table("d1", 7)]).unwrap();
    for cut in 0..msg.len() {
        let _ = stmt2::bind_records(&msg[..cut]);
    }
    assert!(stmt2::bind_records(&msg[..msg.len() - 1]).is_err());
}
