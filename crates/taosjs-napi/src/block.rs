//! Blocks as they cross into JS: a batch of decoded blocks (and, for a new result, its
//! description) becomes ONE buffer — a directory of u32 words, then every column part 8-byte
//! aligned — so a batch costs one N-API call for the buffer whatever its rows and columns, and
//! `src/native.ts` (`unpackBatch`, the other half of this layout) makes the typed-array views.
//! Any source of `DecodedBlock`s (WebSocket, REST, native) packs through [`pack`].
//!
//! Layout (little-endian; offsets are bytes from the buffer start; "UTF-16 offsets" index the
//! string JS decodes from the bytes):
//! ```text
//! header   FORMAT, flags (1 = finished: no block follows, 2 = info present, 4 = restarted: these
//!          blocks start the result over and the provisional ones before them are void,
//!          8 = provisional: the next batch may restart), blocks, dir_words
//! info     affected_rows lo, hi (i64), has_rows, precision (0 ms, 1 us, 2 ns), fields,
//!          strings_off, strings_len, strings_ascii,
//!          per field: type, bytes, precision, scale, name_start, name_end, type_name_start,
//!          type_name_end (UTF-16 offsets into the decoded strings)
//! block    rows, cols, per column: kind, null_count, nulls_off, validity_off, data_off,
//!          data_len, offsets_off, text, utf16_off
//! ```
//! `kind`: 1 Int8, 2 Uint8, 3 Int16, 4 Uint16, 5 Int32, 6 Uint32, 7 BigInt64, 8 BigUint64,
//! 9 Float32, 10 Float64 (a typed array of `rows` values), 11 variable (`data_len` bytes, value
//! `i` at `offsets[i]..offsets[i + 1]`, `rows + 1` i32 offsets). `nulls`: one byte per row,
//! 1 = NULL; `validity`: Arrow's bitmap (bit `i % 8` of byte `i / 8`, 1 = valid). `text`:
//! 0 bytes, 1 ASCII text (byte offsets are UTF-16 offsets), 2 UTF-8 text with `rows + 1` UTF-16
//! offsets at `utf16_off`, 3 text that is not valid UTF-8 (decoded value by value).

use taosjs_core::{DataType, DecodedBlock, DecodedColumn, Field, FixedData, Precision};

use crate::error::js_error;

pub(crate) const FORMAT: u32 = 1;
pub(crate) const FINISHED: u32 = 1;
pub(crate) const INFO: u32 = 2;
const RESTARTED: u32 = 4;
const PROVISIONAL: u32 = 8;
const HEADER_WORDS: usize = 4;
const INFO_WORDS: usize = 8;
const FIELD_WORDS: usize = 8;
const COLUMN_WORDS: usize = 9;

const KIND_VAR: u32 = 11;
const TEXT_BYTES: u32 = 0;
const TEXT_ASCII: u32 = 1;
const TEXT_UTF8: u32 = 2;
const TEXT_INVALID: u32 = 3;

/// What a result is, packed with its first batch.
pub(crate) struct Info<'a> {
    pub affected_rows: i64,
    pub has_rows: bool,
    pub precision: Precision,
    pub fields: &'a [Field],
}

/// Blocks of a result as one call brings them, decoded (the core's `BlockBatch`, see
/// `taosjs_core::session::query`).
#[derive(Default)]
pub(crate) struct Batch {
    pub blocks: Vec<DecodedBlock>,
    pub finished: bool,
    pub restarted: bool,
    pub provisional: bool,
}

impl Batch {
    /// The end of a result, or a result without rows.
    pub fn finished() -> Batch {
        Batch { finished: true, ..Batch::default() }
    }

    /// Blocks in memory that are the whole rest of a result.
    pub fn last(blocks: Vec<DecodedBlock>) -> Batch {
        Batch { blocks, finished: true, ..Batch::default() }
    }

    pub fn decode(batch: taosjs_core::BlockBatch) -> Result<Batch, taosjs_core::Error> {
        let blocks = batch.blocks.iter().map(|b| b.decode()).collect::<Result<Vec<_>, _>>()?;
        Ok(Batch { blocks, finished: batch.finished, restarted: batch.restarted, provisional: batch.provisional })
    }
}

// The buffer's numbers are little-endian (`unpackBatch` reads them with typed arrays and
// DataView's little-endian getters); they are copied in the platform's order, so a big-endian
// target would hand JS wrong numbers.
#[cfg(target_endian = "big")]
compile_error!("taosjs-napi packs blocks in the platform's byte order, which must be little-endian");

/// Numbers whose memory is nothing but their value's bytes: no padding, no pointers.
///
/// # Safety
/// Implemented only for primitive integer and float types.
unsafe trait PlainNumber: Copy {}

// SAFETY: primitive numbers have no padding bytes.
unsafe impl PlainNumber for i16 {}
// SAFETY: as above.
unsafe impl PlainNumber for u16 {}
// SAFETY: as above.
unsafe impl PlainNumber for i32 {}
// SAFETY: as above.
unsafe impl PlainNumber for u32 {}
// SAFETY: as above.
unsafe impl PlainNumber for i64 {}
// SAFETY: as above.
unsafe impl PlainNumber for u64 {}
// SAFETY: as above.
unsafe impl PlainNumber for f32 {}
// SAFETY: as above.
unsafe impl PlainNumber for f64 {}
// SAFETY: as above.
unsafe impl PlainNumber for i8 {}

/// Bytes of a slice of numbers, little-endian (see the `compile_error!` above).
fn bytes<T: PlainNumber>(v: &[T]) -> &[u8] {
    // SAFETY: `PlainNumber` types have no padding, so every byte is initialised; the length is
    // the slice's size in bytes and u8 has no alignment requirement.
    unsafe { std::slice::from_raw_parts(v.as_ptr().cast::<u8>(), std::mem::size_of_val(v)) }
}

fn fixed(data: &FixedData) -> (u32, &[u8]) {
    match data {
        FixedData::I8(v) => (1, bytes(v)),
        FixedData::Bool(v) | FixedData::U8(v) => (2, v.as_slice()),
        FixedData::I16(v) => (3, bytes(v)),
        FixedData::U16(v) => (4, bytes(v)),
        FixedData::I32(v) => (5, bytes(v)),
        FixedData::U32(v) => (6, bytes(v)),
        FixedData::I64(v) => (7, bytes(v)),
        FixedData::U64(v) => (8, bytes(v)),
        FixedData::F32(v) => (9, bytes(v)),
        FixedData::F64(v) => (10, bytes(v)),
    }
}

fn is_text(ty: DataType) -> bool {
    matches!(ty, DataType::VarChar | DataType::NChar | DataType::Json | DataType::Decimal | DataType::Decimal64)
}

/// Arrow's validity bitmap from one byte per row (1 = NULL), and the NULL count.
fn validity(nulls: &[u8]) -> (Vec<u8>, u32) {
    let mut bits = vec![0u8; nulls.len().div_ceil(8)];
    let mut null_count = 0u32;
    for (byte, chunk) in bits.iter_mut().zip(nulls.chunks(8)) {
        let mut b = 0u8;
        for (i, &n) in chunk.iter().enumerate() {
            b |= u8::from(n == 0) << i;
            null_count += u32::from(n != 0);
        }
        *byte = b;
    }
    (bits, null_count)
}

/// UTF-16 length of valid UTF-8: one unit per character, two for those above U+FFFF.
fn utf16_len(s: &[u8]) -> i32 {
    s.iter().map(|&b| i32::from((b & 0xC0) != 0x80) + i32::from(b >= 0xF0)).sum()
}

/// How JS turns a text column into strings, and the UTF-16 offsets when they differ from the
/// byte offsets.
fn text_of(data: &[u8], offsets: &[i32]) -> (u32, Option<Vec<i32>>) {
    if data.is_ascii() {
        return (TEXT_ASCII, None);
    }
    // Valid as a whole and cut at character boundaries: each value is valid on its own.
    let boundaries = offsets.iter().all(|&o| data.get(o as usize).is_none_or(|&b| (b & 0xC0) != 0x80));
    if std::str::from_utf8(data).is_err() || !boundaries {
        return (TEXT_INVALID, None);
    }
    let mut units = Vec::with_capacity(offsets.len());
    units.push(0);
    let mut total = 0i32;
    for w in offsets.windows(2) {
        total += utf16_len(&data[w[0] as usize..w[1] as usize]);
        units.push(total);
    }
    (TEXT_UTF8, Some(units))
}

/// A buffer laid out part by part, each part 8-byte aligned.
struct Parts<'a> {
    /// (part, its offset)
    parts: Vec<&'a [u8]>,
    cursor: usize,
}

impl<'a> Parts<'a> {
    fn add(&mut self, part: &'a [u8]) -> napi::Result<u32> {
        let offset = self.cursor;
        self.cursor = (self.cursor + part.len()).next_multiple_of(8);
        self.parts.push(part);
        u32::try_from(offset).map_err(|_| js_error(taosjs_core::ErrorKind::Result, "a batch of blocks exceeds 4 GiB"))
    }
}

/// Owned parts computed while packing (validity bitmaps, UTF-16 offsets, strings).
struct Computed {
    validity: Vec<Vec<u8>>,
    utf16: Vec<Option<Vec<i32>>>,
    texts: Vec<u32>,
    null_counts: Vec<u32>,
}

fn compute(blocks: &[DecodedBlock]) -> Computed {
    let mut c = Computed { validity: Vec::new(), utf16: Vec::new(), texts: Vec::new(), null_counts: Vec::new() };
    for block in blocks {
        for column in &block.columns {
            let (bits, nulls) = validity(column.nulls());
            c.validity.push(bits);
            c.null_counts.push(nulls);
            let (text, utf16) = match column {
                DecodedColumn::Var { ty, data, offsets, .. } if is_text(*ty) => text_of(data, offsets),
                _ => (TEXT_BYTES, None),
            };
            c.texts.push(text);
            c.utf16.push(utf16);
        }
    }
    c
}

/// Names and type names as one UTF-8 string with UTF-16 (start, end) pairs.
fn strings(fields: &[Field]) -> (String, Vec<u32>) {
    let mut s = String::new();
    let mut bounds = Vec::with_capacity(fields.len() * 4);
    let mut units = 0u32;
    for f in fields {
        for text in [f.name.clone(), f.ty.full_name(0, f.precision, f.scale)] {
            let n = text.encode_utf16().count() as u32;
            bounds.extend([units, units + n]);
            units += n;
            s.push_str(&text);
        }
    }
    (s, bounds)
}

/// Packs `blocks` (and `info` for a result's first batch) into one buffer.
pub(crate) fn pack(info: Option<&Info<'_>>, batch: &Batch) -> napi::Result<Vec<u8>> {
    let blocks = &batch.blocks;
    let field_count = info.map_or(0, |i| i.fields.len());
    let dir_words = HEADER_WORDS
        + info.map_or(0, |_| INFO_WORDS + FIELD_WORDS * field_count)
        + blocks.iter().map(|b| 2 + COLUMN_WORDS * b.columns.len()).sum::<usize>();
    let computed = compute(blocks);
    let (names, bounds) = info.map(|i| strings(i.fields)).unwrap_or_default();
    let mut parts = Parts { parts: Vec::new(), cursor: (dir_words * 4).next_multiple_of(8) };
    let mut dir: Vec<u32> = Vec::with_capacity(dir_words);
    let flag = |on: bool, bit: u32| if on { bit } else { 0 };
    let flags = flag(batch.finished, FINISHED)
        | flag(info.is_some(), INFO)
        | flag(batch.restarted, RESTARTED)
        | flag(batch.provisional, PROVISIONAL);
    dir.extend([FORMAT, flags, blocks.len() as u32, dir_words as u32]);
    if let Some(i) = info {
        let strings_off = parts.add(names.as_bytes())?;
        dir.extend([
            i.affected_rows as u32,
            (i.affected_rows >> 32) as u32,
            u32::from(i.has_rows),
            i.precision as u32,
            field_count as u32,
            strings_off,
            names.len() as u32,
            u32::from(names.is_ascii()),
        ]);
        for (k, f) in i.fields.iter().enumerate() {
            let b = &bounds[k * 4..k * 4 + 4];
            dir.extend([f.ty as u32, f.bytes, u32::from(f.precision), u32::from(f.scale), b[0], b[1], b[2], b[3]]);
        }
    }
    let mut k = 0;
    for block in blocks {
        dir.extend([block.rows as u32, block.columns.len() as u32]);
        for column in &block.columns {
            let nulls_off = parts.add(column.nulls())?;
            let validity_off = parts.add(&computed.validity[k])?;
            let (kind, data, offsets) = match column {
                DecodedColumn::Fixed { data, .. } => {
                    let (kind, data) = fixed(data);
                    (kind, data, None)
                }
                DecodedColumn::Var { data, offsets, .. } => (KIND_VAR, data.as_slice(), Some(bytes(offsets))),
            };
            let data_off = parts.add(data)?;
            let offsets_off = match offsets {
                Some(o) => parts.add(o)?,
                None => 0,
            };
            let utf16_off = match &computed.utf16[k] {
                Some(u) => parts.add(bytes(u))?,
                None => 0,
            };
            dir.extend([
                kind,
                computed.null_counts[k],
                nulls_off,
                validity_off,
                data_off,
                data.len() as u32,
                offsets_off,
                computed.texts[k],
                utf16_off,
            ]);
            k += 1;
        }
    }
    debug_assert_eq!(dir.len(), dir_words);
    let mut out = Vec::with_capacity(parts.cursor);
    out.extend_from_slice(bytes(&dir));
    for part in &parts.parts {
        out.resize(out.len().next_multiple_of(8), 0);
        out.extend_from_slice(part);
    }
    out.resize(parts.cursor, 0);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_cross_as_their_little_endian_bytes() {
        assert_eq!(bytes(&[-2i8, 3]), [0xfe, 3]);
        assert_eq!(bytes(&[0x0102u16, 0xa0b0]), [2, 1, 0xb0, 0xa0]);
        assert_eq!(bytes(&[-2i64]), (-2i64).to_le_bytes());
        assert_eq!(bytes(&[1.5f32, -0.0]), [1.5f32.to_le_bytes(), (-0.0f32).to_le_bytes()].concat());
        assert_eq!(bytes(&[0u64; 0]), [] as [u8; 0]);
    }

    #[test]
    fn validity_is_arrows_bitmap() {
        let (bits, nulls) = validity(&[0, 1, 0, 0, 0, 0, 0, 0, 1, 0]);
        assert_eq!(bits, vec![0b1111_1101, 0b10]);
        assert_eq!(nulls, 2);
    }

    #[test]
    fn text_columns_say_how_to_cut_their_string() {
        assert_eq!(text_of(b"abcd", &[0, 2, 4]), (TEXT_ASCII, None));
        // "é" (2 bytes, 1 unit), "😀" (4 bytes, 2 units), "" (NULL)
        let data = "é😀".as_bytes();
        assert_eq!(text_of(data, &[0, 2, 6, 6]), (TEXT_UTF8, Some(vec![0, 1, 3, 3])));
        assert_eq!(text_of(&[0xff, b'a'], &[0, 1, 2]).0, TEXT_INVALID);
        // valid as a whole, but a value boundary inside a character
        assert_eq!(text_of(data, &[0, 1, 6]).0, TEXT_INVALID);
    }
}
