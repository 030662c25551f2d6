//! A bind packed into one buffer (the facade's form, `taosjs_core::packed`) encodes to exactly
//! the bytes the same values give as `BindTable`s, and is refused with exactly the same errors:
//! the packed reader and its whole-column fast paths change the speed, never the outcome.

use taosjs_core::bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::packed::{self, PackedColumn, PackedKind, PackedTable};
use taosjs_core::stmt2::{self, Stmt2Prepared};
use taosjs_core::{DataType, ErrorKind};

fn field(name: &str, ty: DataType, bytes: u32, bind_type: BindType) -> StmtField {
    StmtField { name: name.into(), ty, precision: 0, scale: 0, bytes, bind_type }
}

/// The values of a `BindColumn` as the facade packs them (little-endian, offsets as u32).
struct Packed {
    kind: PackedKind,
    data: Vec<u8>,
    offsets: Vec<u8>,
    nulls: Option<Vec<u8>>,
    ty: Option<DataType>,
}

fn le<T: Copy, const N: usize>(v: &[T], f: fn(T) -> [u8; N]) -> Vec<u8> {
    v.iter().flat_map(|&x| f(x)).collect()
}

fn packed_column(c: &BindColumn) -> Packed {
    use ColumnValues as V;
    let (kind, data, offsets) = match &c.values {
        V::Bool(v) => (PackedKind::Bool, v.clone(), vec![]),
        V::U8(v) => (PackedKind::U8, v.clone(), vec![]),
        V::I8(v) => (PackedKind::I8, le(v, i8::to_le_bytes), vec![]),
        V::I16(v) => (PackedKind::I16, le(v, i16::to_le_bytes), vec![]),
        V::U16(v) => (PackedKind::U16, le(v, u16::to_le_bytes), vec![]),
        V::I32(v) => (PackedKind::I32, le(v, i32::to_le_bytes), vec![]),
        V::U32(v) => (PackedKind::U32, le(v, u32::to_le_bytes), vec![]),
        V::I64(v) => (PackedKind::I64, le(v, i64::to_le_bytes), vec![]),
        V::U64(v) => (PackedKind::U64, le(v, u64::to_le_bytes), vec![]),
        V::F32(v) => (PackedKind::F32, le(v, f32::to_le_bytes), vec![]),
        V::F64(v) => (PackedKind::F64, le(v, f64::to_le_bytes), vec![]),
        V::Timestamp(v) => (PackedKind::Ts, le(v, i64::to_le_bytes), vec![]),
        V::Str(v) => (PackedKind::Str, v.data.clone(), le(&v.offsets, u32::to_le_bytes)),
        V::Bytes(v) => (PackedKind::Bytes, v.data.clone(), le(&v.offsets, u32::to_le_bytes)),
        V::Decimal(_) => panic!("the facade sends decimals as text"),
    };
    Packed { kind, data, offsets, nulls: c.nulls.clone(), ty: c.ty }
}

fn view(p: &Packed) -> PackedColumn<'_> {
    PackedColumn { kind: p.kind, ty: p.ty, data: &p.data, offsets: &p.offsets, nulls: p.nulls.as_deref() }
}

/// `tables` packed as the facade would pack them.
fn pack(tables: &[BindTable]) -> Vec<u8> {
    let held: Vec<(Vec<Packed>, Vec<Packed>)> =
        tables.iter().map(|t| (t.tags.iter().map(packed_column).collect(), t.columns.iter().map(packed_column).collect())).collect();
    let views: Vec<PackedTable<'_>> = tables
        .iter()
        .zip(&held)
        .map(|(t, (tags, cols))| PackedTable { name: t.name.as_deref(), tags: tags.iter().map(view).collect(), columns: cols.iter().map(view).collect() })
        .collect();
    packed::pack(&views)
}

/// Both forms give the same bytes, or the same error.
fn assert_same(p: &Stmt2Prepared, tables: &[BindTable]) -> Result<Vec<u8>, String> {
    let direct = stmt2::encode_bind(3, p, tables);
    let packed = stmt2::encode_bind_packed(3, p, &pack(tables));
    match (&direct, &packed) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "bytes differ for {tables:?}"),
        (Err(a), Err(b)) => {
            assert_eq!(a.message, b.message, "messages differ for {tables:?}");
            assert_eq!((a.kind, a.errno), (b.kind, b.errno));
        }
        _ => panic!("one form failed, the other not: {direct:?} vs {packed:?} for {tables:?}"),
    }
    direct.map_err(|e| e.message)
}

fn one_column(ty: DataType, bytes: u32) -> Stmt2Prepared {
    let mut f = field("c", ty, bytes, BindType::Column);
    if ty.is_decimal() {
        (f.precision, f.scale) = (10, 2);
    }
    Stmt2Prepared { stmt_id: 5, is_insert: true, fields: vec![field("ts", DataType::Timestamp, 8, BindType::Column), f], fields_count: 2 }
}

fn table(ts: usize, col: BindColumn) -> BindTable {
    let ts = BindColumn::new(ColumnValues::Timestamp((0..ts as i64).collect()));
    BindTable { name: None, tags: vec![], columns: vec![ts, col] }
}

const FIXED: [DataType; 12] = [
    DataType::Bool,
    DataType::TinyInt,
    DataType::SmallInt,
    DataType::Int,
    DataType::BigInt,
    DataType::UTinyInt,
    DataType::USmallInt,
    DataType::UInt,
    DataType::UBigInt,
    DataType::Float,
    DataType::Double,
    DataType::Timestamp,
];

fn inputs() -> Vec<ColumnValues> {
    use ColumnValues as V;
    let edges = [
        0.0, -1.0, 1.0, 1.5, 127.0, 128.0, -128.0, -129.0, 255.0, 256.0, 65535.0, 65536.0, -32769.0, 4294967295.0, 4294967296.0,
        2147483648.0, -2147483649.0, 9007199254740993.0, 9.2e18, 9.3e18, -9.3e18, 1.8446744073709552e19, 3.5e38, 1e300, -1e300,
        f64::NAN, f64::INFINITY, f64::NEG_INFINITY, -0.0,
    ];
    let mut out: Vec<V> = edges.iter().map(|&x| V::F64(vec![x])).collect();
    out.extend([
        V::F64(vec![1.0, 2.0, -3.0, 100.0]),
        V::F32(vec![1.5, -2.0, 3.4e38, f32::NAN]),
        V::Bool(vec![0, 1, 2, 0]),
        V::U8(vec![0, 1, 255, 7]),
        V::I8(vec![-128, 0, 127, 5]),
        V::I16(vec![-32768, 0, 32767, 5]),
        V::U16(vec![0, 1, 65535, 5]),
        V::I32(vec![i32::MIN, 0, i32::MAX, 5]),
        V::U32(vec![0, 1, u32::MAX, 5]),
        V::I64(vec![i64::MIN, 0, i64::MAX, 5]),
        V::U64(vec![0, 1, u64::MAX, 5]),
        V::Timestamp(vec![-1, 0, 1_700_000_000_000, i64::MAX]),
        V::Str(VarData::from_values([Some("1"), Some(" 2 "), Some("true"), Some("x")])),
    ]);
    out
}

#[test]
fn every_input_kind_into_every_fixed_placeholder_gives_the_same_bytes_or_error() {
    let mut refused = 0;
    for ty in FIXED {
        let p = one_column(ty, ty.fixed_size().unwrap() as u32);
        for values in inputs() {
            let n = values.len();
            if assert_same(&p, &[table(n, BindColumn::new(values.clone()))]).is_err() {
                refused += 1;
            }
            // The same values with NULLs in every other row (NULL rows are zeros on the wire).
            let nulls: Vec<u8> = (0..n).map(|i| (i % 2) as u8).collect();
            let _ = assert_same(&p, &[table(n, BindColumn::with_nulls(values.clone(), nulls))]);
            // Every row NULL: no values at all.
            let _ = assert_same(&p, &[table(n, BindColumn::with_nulls(values, vec![1; n]))]);
        }
    }
    assert!(refused > 50, "the edges must include refusals ({refused})");
}

#[test]
fn text_and_bytes_into_variable_length_and_decimal_placeholders_give_the_same_bytes_or_error() {
    let texts = VarData::from_values([Some("abc"), None, Some("日本"), Some(""), Some("12.345"), Some("toolongforit")]);
    let nulls = vec![0, 1, 0, 0, 0, 0];
    let mut bad_utf8 = VarData::from_values([Some("ok")]);
    bad_utf8.data = vec![0xff, 0xfe];
    let cases = [
        ColumnValues::Str(texts.clone()),
        ColumnValues::Bytes(texts.clone()),
        ColumnValues::Str(bad_utf8.clone()),
        ColumnValues::Bytes(bad_utf8),
        ColumnValues::Str(VarData { data: b"abc".to_vec(), offsets: vec![0, 9] }),
        // A row boundary inside a character; offsets out of order.
        ColumnValues::Str(VarData { data: "日本".as_bytes().to_vec(), offsets: vec![0, 1, 6] }),
        ColumnValues::Str(VarData { data: b"abcdef".to_vec(), offsets: vec![0, 4, 2] }),
        // Exactly as long as NCHAR(2) and VARCHAR(10) allow, and one more.
        ColumnValues::Str(VarData::from_values([Some("日本"), Some("0123456789"), Some("日本語"), Some("0123456789a")])),
        ColumnValues::Str(VarData::from_values([Some("日本"), Some("01234"), None, Some(""), Some("ab"), Some("x")])),
        ColumnValues::Bytes(VarData::from_values([Some("日本"), Some("01234"), None, Some(""), Some("ab"), Some("x")])),
    ];
    // NULL rows whose values still have bytes (the facade writes '' for them; others may not).
    let nulls_with_bytes = vec![1, 0, 0, 0, 1, 1];
    for (ty, bytes) in [
        (DataType::VarChar, 10),
        (DataType::NChar, 4 * 8 + 2),
        (DataType::Json, 4096),
        (DataType::VarBinary, 10),
        (DataType::Geometry, 100),
        (DataType::Blob, 5),
        (DataType::Decimal64, 8),
        (DataType::Int, 4),
    ] {
        let p = one_column(ty, bytes);
        for values in &cases {
            let n = values.len();
            let _ = assert_same(&p, &[table(n, BindColumn::new(values.clone()))]);
            if n == nulls.len() {
                let _ = assert_same(&p, &[table(n, BindColumn::with_nulls(values.clone(), nulls.clone()))]);
                let _ = assert_same(&p, &[table(n, BindColumn::with_nulls(values.clone(), nulls_with_bytes.clone()))]);
            }
        }
    }
}

#[test]
fn many_tables_with_names_and_tags_and_the_mistakes_of_shape() {
    let p = Stmt2Prepared {
        stmt_id: 9,
        is_insert: true,
        fields: vec![
            field("tbname", DataType::VarChar, 194, BindType::TableName),
            field("gid", DataType::Int, 4, BindType::Tag),
            field("loc", DataType::NChar, 42, BindType::Tag),
            field("ts", DataType::Timestamp, 8, BindType::Column),
            field("v", DataType::Double, 8, BindType::Column),
        ],
        fields_count: 5,
    };
    let t = |name: &str, rows: usize| BindTable {
        name: Some(name.into()),
        tags: vec![
            BindColumn::new(ColumnValues::F64(vec![7.0])),
            BindColumn::new(ColumnValues::Str(VarData::from_values([Some("Zürich")]))),
        ],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp((0..rows as i64).collect())),
            BindColumn::with_nulls(ColumnValues::F64((0..rows).map(|i| i as f64 / 3.0).collect()), (0..rows).map(|i| (i % 3 == 0) as u8).collect()),
        ],
    };
    let tables: Vec<BindTable> = (0..100).map(|i| t(&format!("d{i}"), 1 + i % 7)).collect();
    assert!(assert_same(&p, &tables).is_ok());
    let mut bad = tables.clone();
    bad[42].columns[1] = BindColumn::new(ColumnValues::F64(vec![1.0; 20]));
    assert!(assert_same(&p, &bad).unwrap_err().contains("table d42"));
    let mut bad = tables.clone();
    bad[3].tags.pop();
    assert!(assert_same(&p, &bad).is_err());
    let mut bad = tables;
    bad[5].name = None;
    assert!(assert_same(&p, &bad).is_err());
    assert!(assert_same(&p, &[]).is_err());
}

#[test]
fn query_parameters_keep_their_chosen_types() {
    let p = Stmt2Prepared { stmt_id: 1, is_insert: false, fields: vec![], fields_count: 3 };
    let mut nchar = BindColumn::new(ColumnValues::Str(VarData::from_values([Some("ü")])));
    nchar.ty = Some(DataType::NChar);
    let mut big = BindColumn::new(ColumnValues::F64(vec![5.0]));
    big.ty = Some(DataType::BigInt);
    let ts = BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000]));
    let params = BindTable { name: None, tags: vec![], columns: vec![nchar, big, ts] };
    assert!(assert_same(&p, &[params]).is_ok());
}

#[test]
fn a_malformed_packed_bind_is_an_interface_error_naming_what_is_wrong() {
    let p = one_column(DataType::Int, 4);
    let good = pack(&[table(2, BindColumn::new(ColumnValues::I32(vec![1, 2])))]);
    assert!(stmt2::encode_bind_packed(1, &p, &good).is_ok());
    let refused = |bytes: &[u8], part: &str| {
        let e = stmt2::encode_bind_packed(1, &p, bytes).expect_err("malformed");
        assert_eq!(e.kind, ErrorKind::Interface, "{e}");
        assert!(e.message.contains("malformed packed bind") && e.message.contains(part), "{part:?} missing in {:?}", e.message);
    };
    refused(&[], "0 bytes");
    refused(&good[..good.len() - 8], "");
    let mut wrong = good.clone();
    let dir = u32::from_le_bytes(wrong[wrong.len() - 4..].try_into().unwrap()) as usize;
    wrong[dir] ^= 1;
    refused(&wrong, "magic");
    // The first column's data offset pointing past the data.
    let mut outside = good.clone();
    let data_at = dir + 4 * (2 + 4 + 1);
    outside[data_at..data_at + 4].copy_from_slice(&(dir as u32).to_le_bytes());
    refused(&outside, "outside the data");
    // A timestamp column of 7 bytes.
    let mut ragged = good;
    let len_at = dir + 4 * (2 + 4 + 2);
    ragged[len_at..len_at + 4].copy_from_slice(&7u32.to_le_bytes());
    refused(&ragged, "multiple of 8");
}
