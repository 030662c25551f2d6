//! The stmt2 bind message the facade writes itself (`taosjs_core::stmt2_message`): every message
//! the encoder writes passes the check and goes out byte for byte (ids filled in), and a message
//! that strays from the layout — in a flag, a length, a type, an offset, a value the placeholder
//! refuses — is refused before anything is sent (through the session: `stmt2_validation.rs`).

use taosjs_core::bind::{BindColumn, BindTable, BindType, ColumnValues, StmtField, VarData};
use taosjs_core::stmt2::{self, Stmt2Prepared};
use taosjs_core::stmt2_message::MARKER;
use taosjs_core::{DataType, Error, ErrorKind};

fn field(name: &str, ty: DataType, bytes: u32, bind_type: BindType) -> StmtField {
    StmtField {
        name: name.into(),
        ty,
        precision: 0,
        scale: 0,
        bytes,
        bind_type,
    }
}

/// `insert into ? using stb tags (?, ?) values (…)`: every column type the wire has.
fn prepared() -> Stmt2Prepared {
    use DataType as T;
    let mut fields = vec![
        field("tbname", T::VarChar, 194, BindType::TableName),
        field("g", T::Int, 4, BindType::Tag),
        field("loc", T::NChar, 4 * 8 + 2, BindType::Tag),
    ];
    for (name, ty, bytes) in [
        ("ts", T::Timestamp, 8),
        ("b", T::Bool, 1),
        ("i8", T::TinyInt, 1),
        ("i16", T::SmallInt, 2),
        ("i32", T::Int, 4),
        ("i64", T::BigInt, 8),
        ("u8", T::UTinyInt, 1),
        ("u16", T::USmallInt, 2),
        ("u32", T::UInt, 4),
        ("u64", T::UBigInt, 8),
        ("f", T::Float, 4),
        ("d", T::Double, 8),
        ("s", T::VarChar, 12),
        ("n", T::NChar, 4 * 5 + 2),
        ("vb", T::VarBinary, 32),
        ("geo", T::Geometry, 102),
        ("bl", T::Blob, 5),
        ("d64", T::Decimal64, 8),
        ("d128", T::Decimal, 16),
    ] {
        fields.push(field(name, ty, bytes, BindType::Column));
    }
    for f in &mut fields {
        match f.ty {
            T::Decimal64 => (f.precision, f.scale) = (10, 2),
            T::Decimal => (f.precision, f.scale) = (20, 4),
            _ => {}
        }
    }
    Stmt2Prepared {
        stmt_id: 11,
        is_insert: true,
        fields_count: fields.len(),
        fields,
    }
}

fn c(values: ColumnValues) -> BindColumn {
    BindColumn::new(values)
}

fn nulls(values: ColumnValues, mask: &[u8]) -> BindColumn {
    BindColumn::with_nulls(values, mask.to_vec())
}

fn texts(values: &[Option<&str>]) -> VarData {
    VarData::from_values(values.iter().copied())
}

/// Table `name` with `rows` rows; `pattern` decides which rows are NULL (every column, each its
/// own way) so that batches differ in shape.
fn table(name: &str, rows: usize, pattern: usize) -> BindTable {
    use ColumnValues as V;
    let null = |row: usize, k: usize| pattern != 0 && (row + k) % pattern == 0;
    let mask = |k: usize| (0..rows).map(|r| null(r, k) as u8).collect::<Vec<_>>();
    let all_null = vec![1u8; rows];
    let n = |k: usize| -> Vec<u8> {
        if pattern == 1 {
            all_null.clone()
        } else {
            mask(k)
        }
    };
    let ints = |scale: i64| {
        (0..rows as i64)
            .map(|r| (r - 1) * scale)
            .collect::<Vec<_>>()
    };
    let words = ["", "a", "ü", "数据", "ab\"c"];
    let strs = |k: usize| {
        texts(
            &(0..rows)
                .map(|r| {
                    if null(r, k) {
                        None
                    } else {
                        Some(words[r % words.len()])
                    }
                })
                .collect::<Vec<_>>(),
        )
    };
    let wkb = [
        1u8, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0, 0, 0, 0, 0, 0, 0, 0x40,
    ];
    let bytes = (0..rows)
        .map(|r| {
            if r % 3 == 0 {
                Some(&wkb[..])
            } else {
                Some(&wkb[..r % 3])
            }
        })
        .collect::<Vec<_>>();
    BindTable {
        name: Some(name.into()),
        tags: vec![
            c(V::I32(vec![pattern as i32])),
            c(V::Str(texts(&[Some(["", "北京", "x"][pattern % 3])]))),
        ],
        columns: vec![
            c(V::Timestamp(
                (0..rows as i64).map(|r| 1_700_000_000_000 + r).collect(),
            )),
            nulls(V::Bool((0..rows).map(|r| (r % 2) as u8).collect()), &n(1)),
            nulls(V::I8(ints(1).iter().map(|&v| v as i8).collect()), &n(2)),
            nulls(V::I16(ints(300).iter().map(|&v| v as i16).collect()), &n(3)),
            nulls(
                V::I32(ints(70_000).iter().map(|&v| v as i32).collect()),
                &n(4),
            ),
            nulls(V::I64(ints(1 << 40)), &n(5)),
            nulls(V::U8((0..rows).map(|r| r as u8).collect()), &n(6)),
            nulls(V::U16((0..rows).map(|r| 1000 * r as u16).collect()), &n(7)),
            nulls(
                V::U32((0..rows).map(|r| 4_000_000_000 - r as u32).collect()),
                &n(8),
            ),
            nulls(
                V::U64((0..rows).map(|r| u64::MAX - r as u64).collect()),
                &n(9),
            ),
            nulls(V::F32((0..rows).map(|r| r as f32 / 3.0).collect()), &n(10)),
            nulls(
                V::F64((0..rows).map(|r| -(r as f64) / 7.0).collect()),
                &n(11),
            ),
            nulls(V::Str(strs(12)), &n(12)),
            nulls(V::Str(strs(13)), &n(13)),
            nulls(V::Bytes(VarData::from_values(bytes.clone())), &n(14)),
            nulls(
                V::Bytes(VarData::from_values((0..rows).map(|_| Some(&wkb[..])))),
                &n(15),
            ),
            nulls(V::Bytes(VarData::from_values(bytes)), &n(16)),
            nulls(
                V::Decimal((0..rows).map(|r| format!("{}.25", r as i64 - 2)).collect()),
                &n(17),
            ),
            nulls(
                V::Decimal((0..rows).map(|r| format!("-1234567890123.{r}")).collect()),
                &n(18),
            ),
        ],
    }
}

/// A message the encoder wrote, as the facade hands it over: the marker in the req_id's place,
/// no stmt_id.
fn as_facade(message: &[u8]) -> Vec<u8> {
    let mut m = message.to_vec();
    m[0..8].copy_from_slice(&MARKER);
    m[8..16].fill(0);
    m
}

fn encoded(p: &Stmt2Prepared, tables: &[BindTable]) -> Vec<u8> {
    stmt2::encode_bind(7, p, tables).expect("the encoder takes it")
}

fn check(p: &Stmt2Prepared, message: &[u8]) -> Result<Vec<u8>, Error> {
    stmt2::encode_bind_packed(7, p, message)
}

#[test]
fn every_message_the_encoder_writes_passes_unchanged() {
    let p = prepared();
    let mut batches = 0;
    for rows in [1, 2, 3, 7] {
        for pattern in 0..5 {
            for tables in [1, 3] {
                let bind: Vec<BindTable> = (0..tables)
                    .map(|i| table(&format!("d{i}_{pattern}"), rows, pattern + i))
                    .collect();
                let message = encoded(&p, &bind);
                assert_eq!(
                    check(&p, &as_facade(&message)).unwrap(),
                    message,
                    "rows {rows}, pattern {pattern}, {tables} tables"
                );
                batches += 1;
            }
        }
    }
    assert_eq!(batches, 40);
}

#[test]
fn a_statement_that_names_its_table_and_has_no_tags() {
    let mut p = prepared();
    p.fields.retain(|f| f.bind_type == BindType::Column);
    p.fields_count = p.fields.len();
    let mut t = table("x", 3, 2);
    (t.name, t.tags) = (None, vec![]);
    let message = encoded(&p, &[t]);
    assert_eq!(
        u32::from_le_bytes(message[46..50].try_into().unwrap()),
        0,
        "no names section"
    );
    assert_eq!(check(&p, &as_facade(&message)).unwrap(), message);
}

/// The first table's record of column placeholder `k` (in the message), as (start, rows).
fn column_record(message: &[u8], k: usize) -> (usize, usize) {
    let payload = 30;
    let u32_at = |at: usize| u32::from_le_bytes(message[at..at + 4].try_into().unwrap()) as usize;
    let count = u32_at(payload + 4);
    let mut at = payload + u32_at(payload + 24) + 4 * count;
    for _ in 0..k {
        at += u32_at(at);
    }
    (at, u32_at(at + 8))
}

fn refused(p: &Stmt2Prepared, message: &[u8], kind: ErrorKind, part: &str) {
    let e = check(p, message).expect_err("the check must refuse it");
    assert_eq!(e.kind, kind, "{e}");
    assert!(
        e.message.contains(part),
        "{part:?} missing in {:?}",
        e.message
    );
}

fn malformed(p: &Stmt2Prepared, message: &[u8], part: &str) {
    refused(p, message, ErrorKind::Interface, part);
}

#[test]
fn a_message_that_strays_from_the_layout_is_refused_naming_what() {
    let p = prepared();
    let good = as_facade(&encoded(&p, &[table("d1", 4, 2), table("d2", 4, 3)]));
    check(&p, &good).unwrap();
    let put = |m: &mut Vec<u8>, at: usize, v: u32| m[at..at + 4].copy_from_slice(&v.to_le_bytes());
    let edit = |f: &dyn Fn(&mut Vec<u8>)| {
        let mut m = good.clone();
        f(&mut m);
        m
    };
    // Header and payload header.
    malformed(&p, &edit(&|m| m[16] = 8), "header");
    malformed(&p, &edit(&|m| m[9] = 1), "header");
    malformed(&p, &edit(&|m| put(m, 30, 5)), "its length says 5");
    refused(
        &p,
        &edit(&|m| put(m, 42, 1)),
        ErrorKind::Statement,
        "placeholders",
    );
    malformed(&p, &edit(&|m| put(m, 46, 29)), "names section");
    malformed(&p, &edit(&|m| put(m, 50, 0)), "tags section");
    refused(
        &p,
        &edit(&|m| put(m, 34, 0)),
        ErrorKind::Statement,
        "no tables given",
    );
    malformed(&p, &edit(&|m| put(m, 34, 3)), "");
    // A byte more, counted in the total.
    malformed(
        &p,
        &edit(&|m| {
            m.push(0);
            let total = (m.len() - 30) as u32;
            put(m, 30, total)
        }),
        "after the last section",
    );
    // A table name without its NUL, and an empty one.
    malformed(&p, &edit(&|m| m[58 + 4 + 2] = b'x'), "NUL");
    refused(
        &p,
        &edit(&|m| m[58 + 4] = 0),
        ErrorKind::Statement,
        "invalid table name",
    );
    // The i8 column (placeholder 2): a flag that is neither 0 nor 1, a NULL row with a value.
    let (i8_at, rows) = column_record(&good, 2);
    malformed(&p, &edit(&|m| m[i8_at + 12] = 2), "null flag");
    malformed(
        &p,
        &edit(&|m| {
            m[i8_at + 12 + 1] = 1;
            m[i8_at + 12 + rows + 5 + 1] = 9;
        }),
        "NULL but has a value",
    );
    // A record of another type than its placeholder's.
    malformed(
        &p,
        &edit(&|m| put(m, i8_at + 4, DataType::UTinyInt.id() as u32)),
        "type id 11",
    );
    // Fewer rows than the first column.
    refused(
        &p,
        &edit(&|m| put(m, i8_at + 8, rows as u32 - 1)),
        ErrorKind::Statement,
        "has 3 values, expected 4",
    );
    // The BOOL column (placeholder 1): a value of 2.
    let (bool_at, _) = column_record(&good, 1);
    malformed(
        &p,
        &edit(&|m| m[bool_at + 12 + rows + 5] = 2),
        "a BOOL of 2",
    );
    // have_length on a fixed-width type.
    malformed(&p, &edit(&|m| m[i8_at + 12 + rows] = 1), "value lengths");
    // The VARCHAR column (placeholder 12): lengths that do not add up, a NULL with bytes.
    let (s_at, _) = column_record(&good, 12);
    let lengths = s_at + 12 + rows + 1;
    malformed(&p, &edit(&|m| m[lengths] = m[lengths].wrapping_add(1)), "");
    let null_row = (0..rows)
        .find(|r| good[s_at + 12 + r] == 1)
        .expect("a NULL in the pattern");
    malformed(
        &p,
        &edit(&|m| put(m, lengths + 4 * null_row, 1)),
        "NULL but has 1 bytes",
    );
    // The NCHAR column (placeholder 13): bytes that are not UTF-8.
    let (n_at, _) = column_record(&good, 13);
    let n_data = n_at + 12 + rows + 1 + 4 * rows + 4;
    malformed(
        &p,
        &edit(&|m| {
            if let Some(b) = m[n_data..].iter_mut().find(|b| **b >= 0x80) {
                *b = 0xff;
            }
        }),
        "not UTF-8",
    );
    // A DECIMAL(10,2) beyond 10 digits.
    let (d_at, _) = column_record(&good, 17);
    let d_data = d_at + 12 + rows + 5;
    let row = (0..rows).find(|r| good[d_at + 12 + r] == 0).unwrap();
    malformed(
        &p,
        &edit(&|m| {
            m[d_data + 8 * row..d_data + 8 * row + 8]
                .copy_from_slice(&10_000_000_000i64.to_le_bytes())
        }),
        "does not fit DECIMAL(10,2)",
    );
    // A query statement never takes one.
    let query = Stmt2Prepared {
        stmt_id: 1,
        is_insert: false,
        fields: vec![],
        fields_count: 1,
    };
    malformed(&query, &good, "query");
}

#[test]
fn no_prefix_and_no_flipped_byte_makes_the_check_panic() {
    let p = prepared();
    let good = as_facade(&encoded(&p, &[table("d1", 2, 2)]));
    for len in 0..good.len() {
        assert!(check(&p, &good[..len]).is_err(), "a prefix of {len} bytes");
    }
    for at in 16..good.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut m = good.clone();
            m[at] ^= x;
            // Either refused or a message of the same layout (a value's bytes changed).
            if let Ok(out) = check(&p, &m) {
                assert_eq!(out[16..], m[16..]);
            }
        }
    }
}

#[test]
fn a_value_too_long_for_its_placeholder_is_refused_as_the_encoder_refuses_it() {
    let p = prepared();
    let mut roomy = prepared();
    for f in &mut roomy.fields {
        f.bytes = f.bytes.max(400);
    }
    for (k, long) in [(12usize, "abcdefghijk"), (13, "üüüüüü")] {
        let mut t = table("d1", 2, 0);
        t.columns[k] = c(ColumnValues::Str(texts(&[Some("ok"), Some(long)])));
        let expected = stmt2::encode_bind(7, &p, std::slice::from_ref(&t)).unwrap_err();
        let message = as_facade(&encoded(&roomy, &[t]));
        let e = check(&p, &message).unwrap_err();
        assert_eq!((e.kind, &e.message), (expected.kind, &expected.message));
        assert!(e.message.contains("is too long"), "{}", e.message);
    }
}
