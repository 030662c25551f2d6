//! Blocks as they cross into JS: a batch of decoded blocks (and, for a new result, its
//! description) becomes ONE buffer — a directory of u32 words, then every column part 8-byte
//! aligned — so a batch costs one N-API call for the buffer whatever its rows and columns, and
//! `src/native.ts` (`unpackBatch`, the other half of this layout) makes the typed-array views.
//! Every source packs through [`pack`]: blocks fetched over WebSocket and libtaos straight from
//! their raw bytes (still in the frame they arrived in: each value is copied once, from the frame
//! into the batch), REST's answers from the `DecodedBlock`s its JSON became.
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

use taosjs_core::{DataType, DecodedBlock, DecodedColumn, Error, ErrorKind, FetchedBlock, Field, FixedData, Precision, RawBlock, RawColumn};

pub(crate) const FORMAT: u32 = 1;
pub(crate) const FINISHED: u32 = 1;
pub(crate) const INFO: u32 = 2;
const RESTARTED: u32 = 4;
const PROVISIONAL: u32 = 8;
const HEADER_WORDS: usize = 4;
const INFO_WORDS: usize = 8;
const FIELD_WORDS: usize = 8;
const COLUMN_WORDS: usize = 9;

const KIND_I8: u32 = 1;
const KIND_U8: u32 = 2;
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

/// A block as a source hands it over.
pub(crate) enum Block {
    /// Raw, as fetched (packed straight from its bytes).
    Fetched(FetchedBlock),
    /// Decoded already (REST's JSON answers).
    Decoded(DecodedBlock),
}

/// Blocks of a result as one call brings them (the core's `BlockBatch`, see
/// `taosjs_core::session::query`).
#[derive(Default)]
pub(crate) struct Batch {
    pub blocks: Vec<Block>,
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
    pub fn last(blocks: Vec<Block>) -> Batch {
        Batch { blocks, finished: true, ..Batch::default() }
    }

    /// Decoded blocks that are the whole rest of a result.
    pub fn last_decoded(blocks: Vec<DecodedBlock>) -> Batch {
        Batch::last(blocks.into_iter().map(Block::Decoded).collect())
    }
}

impl From<taosjs_core::BlockBatch> for Batch {
    /// Fetched blocks, not decoded: [`pack`] reads them where they lie.
    fn from(batch: taosjs_core::BlockBatch) -> Batch {
        let blocks = batch.blocks.into_iter().map(Block::Fetched).collect();
        Batch { blocks, finished: batch.finished, restarted: batch.restarted, provisional: batch.provisional }
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
        FixedData::I8(v) => (KIND_I8, bytes(v)),
        FixedData::Bool(v) | FixedData::U8(v) => (KIND_U8, v.as_slice()),
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

/// The typed-array kind a fixed column's raw little-endian values are read as (the same bytes:
/// see `fixed`); BOOL is normalised to 0/1 and DECIMAL becomes text, so neither is here.
fn raw_kind(ty: DataType) -> Option<u32> {
    Some(match ty {
        DataType::TinyInt => KIND_I8,
        DataType::UTinyInt => KIND_U8,
        DataType::SmallInt => 3,
        DataType::USmallInt => 4,
        DataType::Int => 5,
        DataType::UInt => 6,
        DataType::BigInt | DataType::Timestamp => 7,
        DataType::UBigInt => 8,
        DataType::Float => 9,
        DataType::Double => 10,
        _ => return None,
    })
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

fn too_big() -> Error {
    Error::new(ErrorKind::Result, "a batch of blocks exceeds 4 GiB")
}

/// The packed buffer as it is written: the directory's room first, then part after part, each
/// 8-byte aligned, written in place (a raw block's values go from the frame straight here).
struct Writer {
    out: Vec<u8>,
    /// Reused between variable columns: their offsets and UTF-16 offsets.
    offsets: Vec<i32>,
    units: Vec<i32>,
}

impl Writer {
    /// Where the next part starts (the buffer padded to it).
    fn begin(&mut self) -> Result<u32, Error> {
        let at = self.out.len().next_multiple_of(8);
        self.out.resize(at, 0);
        u32::try_from(at).map_err(|_| too_big())
    }

    fn part(&mut self, bytes: &[u8]) -> Result<u32, Error> {
        let at = self.begin()?;
        self.out.extend_from_slice(bytes);
        Ok(at)
    }

    /// A decoded column's parts; its directory words.
    fn decoded(&mut self, column: &DecodedColumn) -> Result<[u32; COLUMN_WORDS], Error> {
        let nulls_off = self.part(column.nulls())?;
        let (bits, null_count) = validity(column.nulls());
        let validity_off = self.part(&bits)?;
        match column {
            DecodedColumn::Fixed { data, .. } => {
                let (kind, data) = fixed(data);
                let data_off = self.part(data)?;
                Ok([kind, null_count, nulls_off, validity_off, data_off, data.len() as u32, 0, TEXT_BYTES, 0])
            }
            DecodedColumn::Var { ty, data, offsets, .. } => {
                let data_off = self.part(data)?;
                let offsets_off = self.part(bytes(offsets))?;
                let (text, utf16) = if is_text(*ty) { text_of(data, offsets) } else { (TEXT_BYTES, None) };
                let utf16_off = match utf16 {
                    Some(u) => self.part(bytes(&u))?,
                    None => 0,
                };
                Ok([KIND_VAR, null_count, nulls_off, validity_off, data_off, data.len() as u32, offsets_off, text, utf16_off])
            }
        }
    }

    /// A raw fixed column's NULL mask and validity bitmap, from TDengine's bitmap (most
    /// significant bit first, 1 = NULL; bits past the last row ignored): (nulls, validity, NULL count).
    fn bitmap(&mut self, rows: usize, bitmap: &[u8]) -> Result<(u32, u32, u32), Error> {
        let nulls_off = self.begin()?;
        self.out.extend((0..rows).map(|i| taosjs_core::block::null_bit(bitmap, i)));
        let validity_off = self.begin()?;
        let mut null_count = 0;
        for (j, &b) in bitmap.iter().enumerate() {
            let left = rows - 8 * j;
            let mask = if left >= 8 { 0xFF } else { 0xFFu8 << (8 - left) };
            let b = b & mask;
            null_count += b.count_ones();
            // Arrow's bit i is 1 for a value, least significant first.
            self.out.push(!b.reverse_bits() & mask.reverse_bits());
        }
        Ok((nulls_off, validity_off, null_count))
    }

    /// A raw column's parts, each value copied once, from the block into the batch.
    fn raw(&mut self, rows: usize, column: &RawColumn<'_>) -> Result<[u32; COLUMN_WORDS], Error> {
        match *column {
            RawColumn::Fixed { ty, bitmap, data, decimal_scale } => {
                let (nulls_off, validity_off, null_count) = self.bitmap(rows, bitmap)?;
                if let Some(scale) = decimal_scale {
                    return self.decimal(rows, ty, data, scale, [null_count, nulls_off, validity_off]);
                }
                let kind = match raw_kind(ty) {
                    Some(kind) => kind,
                    None if ty == DataType::Bool => KIND_U8,
                    None => return Err(Error::internal(format!("{} is not a fixed-width type", ty.name()))),
                };
                let data_off = self.begin()?;
                if ty == DataType::Bool {
                    self.out.extend(data.iter().map(|&b| u8::from(b != 0)));
                } else {
                    self.out.extend_from_slice(data);
                }
                Ok([kind, null_count, nulls_off, validity_off, data_off, data.len() as u32, 0, TEXT_BYTES, 0])
            }
            RawColumn::Var { ty, offsets, .. } => {
                // The NULLs first (an offset of -1), the values' checks as they are copied.
                let nulls_off = self.begin()?;
                self.out.extend(offsets.chunks_exact(4).map(|o| u8::from(o == [0xFF; 4])));
                let (bits, null_count) = validity(&self.out[nulls_off as usize..]);
                let validity_off = self.part(&bits)?;
                let data_off = self.begin()?;
                let base = self.out.len();
                let (mut offsets, mut units) = (std::mem::take(&mut self.offsets), std::mem::take(&mut self.units));
                offsets.clear();
                offsets.push(0);
                units.clear();
                units.push(0);
                let ucs4 = ty == DataType::NChar;
                let mut total_units = 0;
                column.var_values(|value| {
                    if let Some(value) = value {
                        total_units += value.append_to(&mut self.out)?;
                    }
                    offsets.push(taosjs_core::block::var_end(column, self.out.len() - base)?);
                    if ucs4 {
                        units.push(total_units as i32);
                    }
                    Ok(())
                })?;
                let data_len = self.out.len() - base;
                let data = &self.out[base..];
                let (text, utf16) = if !is_text(ty) {
                    (TEXT_BYTES, false)
                } else if ucs4 {
                    // Made from code points: valid UTF-8 cut at characters, and its UTF-16 offsets
                    // counted on the way.
                    if total_units == data_len { (TEXT_ASCII, false) } else { (TEXT_UTF8, true) }
                } else {
                    let (text, u) = text_of(data, &offsets);
                    if let Some(u) = u {
                        units = u;
                    }
                    (text, text == TEXT_UTF8)
                };
                let offsets_off = self.part(bytes(&offsets))?;
                let utf16_off = if utf16 { self.part(bytes(&units))? } else { 0 };
                (self.offsets, self.units) = (offsets, units);
                Ok([KIND_VAR, null_count, nulls_off, validity_off, data_off, data_len as u32, offsets_off, text, utf16_off])
            }
        }
    }

    /// A DECIMAL column rendered as text with exactly `scale` fraction digits.
    fn decimal(&mut self, rows: usize, ty: DataType, data: &[u8], scale: u32, [null_count, nulls_off, validity_off]: [u32; 3]) -> Result<[u32; COLUMN_WORDS], Error> {
        let data_off = self.begin()?;
        let base = self.out.len();
        let mut offsets = std::mem::take(&mut self.offsets);
        offsets.clear();
        offsets.push(0);
        let nulls = nulls_off as usize;
        for row in 0..rows {
            if self.out[nulls + row] == 0 {
                taosjs_core::block::format_decimal(taosjs_core::block::decimal_at(ty, data, row), scale, &mut self.out);
            }
            // A decimal renders in at most 41 bytes, so a column of i32::MAX/41 rows cannot overflow.
            offsets.push((self.out.len() - base) as i32);
        }
        let data_len = self.out.len() - base;
        // Digits, '-' and '.': ASCII.
        let offsets_off = self.part(bytes(&offsets))?;
        self.offsets = offsets;
        Ok([KIND_VAR, null_count, nulls_off, validity_off, data_off, data_len as u32, offsets_off, TEXT_ASCII, 0])
    }
}

/// A block's columns as `pack` reads them: cut from its frame, or decoded already.
enum Columns<'a> {
    Raw(RawBlock<'a>),
    Decoded(&'a DecodedBlock),
}

impl<'a> Columns<'a> {
    /// A fetched block is cut into its columns here (a malformed one is an error).
    fn of(block: &'a Block) -> Result<Columns<'a>, Error> {
        Ok(match block {
            Block::Fetched(f) => Columns::Raw(f.columns()?),
            Block::Decoded(d) => Columns::Decoded(d),
        })
    }

    fn rows(&self) -> usize {
        match self {
            Columns::Raw(r) => r.rows,
            Columns::Decoded(d) => d.rows,
        }
    }

    fn count(&self) -> usize {
        match self {
            Columns::Raw(r) => r.columns.len(),
            Columns::Decoded(d) => d.columns.len(),
        }
    }
}

/// An upper bound of a batch's packed size (one allocation; an underestimate only costs a
/// reallocation).
fn room(dir_words: usize, names: usize, blocks: &[Columns<'_>]) -> usize {
    let mut n = dir_words * 4 + names + 8;
    for block in blocks {
        let rows = block.rows();
        // NULL mask, validity, offsets and UTF-16 offsets of every column, and the padding.
        n += block.count() * (rows + rows / 8 + 8 * (rows + 1) + 40);
        match block {
            Columns::Raw(r) => {
                for c in &r.columns {
                    n += match *c {
                        RawColumn::Fixed { decimal_scale: Some(_), .. } => 42 * rows,
                        RawColumn::Fixed { data, .. } => data.len(),
                        RawColumn::Var { area, .. } => area.len(),
                    };
                }
            }
            Columns::Decoded(d) => {
                for c in &d.columns {
                    n += match c {
                        DecodedColumn::Fixed { data, .. } => fixed(data).1.len(),
                        DecodedColumn::Var { data, .. } => data.len(),
                    };
                }
            }
        }
    }
    n
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

/// Packs `batch` (and `info` for a result's first batch) into one buffer; a malformed raw block
/// is a [`ErrorKind::Result`] error.
pub(crate) fn pack(info: Option<&Info<'_>>, batch: &Batch) -> Result<Vec<u8>, Error> {
    let blocks = batch.blocks.iter().map(Columns::of).collect::<Result<Vec<_>, _>>()?;
    let field_count = info.map_or(0, |i| i.fields.len());
    let dir_words = HEADER_WORDS
        + info.map_or(0, |_| INFO_WORDS + FIELD_WORDS * field_count)
        + blocks.iter().map(|b| 2 + COLUMN_WORDS * b.count()).sum::<usize>();
    let (names, bounds) = info.map(|i| strings(i.fields)).unwrap_or_default();
    let mut w = Writer { out: Vec::with_capacity(room(dir_words, names.len(), &blocks)), offsets: Vec::new(), units: Vec::new() };
    // The directory's room, filled in at the end.
    w.out.resize(dir_words * 4, 0);
    let mut dir: Vec<u32> = Vec::with_capacity(dir_words);
    let flag = |on: bool, bit: u32| if on { bit } else { 0 };
    let flags = flag(batch.finished, FINISHED)
        | flag(info.is_some(), INFO)
        | flag(batch.restarted, RESTARTED)
        | flag(batch.provisional, PROVISIONAL);
    dir.extend([FORMAT, flags, blocks.len() as u32, dir_words as u32]);
    if let Some(i) = info {
        let strings_off = w.part(names.as_bytes())?;
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
    for block in &blocks {
        dir.extend([block.rows() as u32, block.count() as u32]);
        match block {
            Columns::Raw(r) => {
                for column in &r.columns {
                    dir.extend(w.raw(r.rows, column)?);
                }
            }
            Columns::Decoded(d) => {
                for column in &d.columns {
                    dir.extend(w.decoded(column)?);
                }
            }
        }
    }
    debug_assert_eq!(dir.len(), dir_words);
    w.begin()?;
    w.out[..dir_words * 4].copy_from_slice(bytes(&dir));
    Ok(w.out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A linear congruential generator: deterministic "random" blocks without extra dependencies.
    struct Lcg(u64);
    impl Lcg {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            self.0 >> 29
        }
        fn below(&mut self, n: u64) -> usize {
            (self.next() % n) as usize
        }
    }

    /// Every type a block can hold.
    fn types() -> Vec<DataType> {
        (0..=u8::MAX).filter_map(DataType::from_id).collect()
    }

    /// A raw block (reference §4) of `rows` random values of each type, NULLs included, and its
    /// fields.
    fn raw_block(rng: &mut Lcg, rows: usize, types: &[DataType]) -> (Vec<u8>, Vec<Field>) {
        let texts = ["", "a", "abc", "é", "中文", "😀x", "ü12"];
        let mut schema = Vec::new();
        let mut lengths = Vec::new();
        let mut body = Vec::new();
        let mut fields = Vec::new();
        for (c, &ty) in types.iter().enumerate() {
            let null = |rng: &mut Lcg| rng.below(4) == 0;
            schema.push(ty as u8);
            let scale = (c % 5) as u8;
            let schema_bytes: u32 = match ty.fixed_size() {
                Some(size) if ty.is_decimal() => ((size as u32) << 24) | (18 << 8) | u32::from(scale),
                Some(size) => size as u32,
                None => 64,
            };
            schema.extend(schema_bytes.to_le_bytes());
            fields.push(Field { name: format!("c{c}"), ty, bytes: schema_bytes, precision: 0, scale: 0 });
            match ty.fixed_size() {
                Some(size) => {
                    let mut bitmap = vec![0u8; rows.div_ceil(8)];
                    let mut data: Vec<u8> = Vec::new();
                    for i in 0..rows {
                        if null(rng) {
                            bitmap[i >> 3] |= 0x80 >> (i & 7);
                        }
                        let v = rng.next();
                        let bytes = if ty.is_decimal() { (v as i64 as i128 / 7).to_le_bytes().to_vec() } else { v.to_le_bytes().to_vec() };
                        data.extend(&bytes[..size]);
                    }
                    // Bits past the last row are set: they must not count.
                    if rows % 8 != 0 {
                        *bitmap.last_mut().unwrap() |= 0xFF >> (rows % 8);
                    }
                    lengths.push(data.len() as i32);
                    body.extend(bitmap);
                    body.extend(data);
                }
                None => {
                    let mut offsets = Vec::new();
                    let mut area = Vec::new();
                    for _ in 0..rows {
                        if null(rng) {
                            offsets.extend((-1i32).to_le_bytes());
                            continue;
                        }
                        offsets.extend((area.len() as i32).to_le_bytes());
                        let text = texts[rng.below(texts.len() as u64)];
                        let payload: Vec<u8> = match ty {
                            DataType::NChar => text.chars().flat_map(|ch| (ch as u32).to_le_bytes()).collect(),
                            DataType::VarBinary | DataType::Geometry | DataType::Blob => (0..rng.below(6)).map(|_| rng.next() as u8).collect(),
                            _ => text.as_bytes().to_vec(),
                        };
                        if ty == DataType::Blob {
                            area.extend((payload.len() as u32).to_le_bytes());
                        } else {
                            area.extend((payload.len() as u16).to_le_bytes());
                        }
                        area.extend(payload);
                    }
                    lengths.push(area.len() as i32);
                    body.extend(offsets);
                    body.extend(area);
                }
            }
        }
        let mut block = Vec::new();
        let total = 28 + schema.len() + 4 * lengths.len() + body.len();
        for word in [1i32, total as i32, rows as i32, types.len() as i32, 0] {
            block.extend(word.to_le_bytes());
        }
        block.extend(0u64.to_le_bytes());
        block.extend(schema);
        block.extend(lengths.iter().flat_map(|l| l.to_le_bytes()));
        block.extend(body);
        (block, fields)
    }

    fn packed_both_ways(blocks: &[(Vec<u8>, Vec<Field>)], info: Option<&Info<'_>>) -> (Result<Vec<u8>, Error>, Result<Vec<u8>, Error>) {
        let fetched = |(raw, fields): &(Vec<u8>, Vec<Field>)| FetchedBlock::new(raw.clone(), fields.clone().into());
        let raw = Batch::last(blocks.iter().map(|b| Block::Fetched(fetched(b))).collect());
        let decoded = blocks.iter().map(|b| fetched(b).decode()).collect::<Result<Vec<_>, _>>().map(Batch::last_decoded);
        (pack(info, &raw), decoded.and_then(|d| pack(info, &d)))
    }

    #[test]
    fn raw_blocks_pack_exactly_as_their_decoded_columns() {
        let mut rng = Lcg(0x2545_F491_4F6C_DD1D);
        let all = types();
        for round in 0..200 {
            let rows = [0, 1, 7, 8, 9, 64, 100][round % 7] + rng.below(3) * (round % 2);
            let types: Vec<DataType> = (0..1 + rng.below(8)).map(|_| all[rng.below(all.len() as u64)]).collect();
            let blocks: Vec<_> = (0..1 + rng.below(3)).map(|_| raw_block(&mut rng, rows, &types)).collect();
            let fields = blocks[0].1.clone();
            let info = Info { affected_rows: 0, has_rows: true, precision: Precision::Microsecond, fields: &fields };
            let info = (round % 3 == 0).then_some(&info);
            let (raw, decoded) = packed_both_ways(&blocks, info);
            assert_eq!(raw.unwrap(), decoded.unwrap(), "round {round}: {rows} rows of {types:?}");
        }
        // Every type at once, in a block that is the reference's size.
        let blocks = vec![raw_block(&mut rng, 4096, &all)];
        let (raw, decoded) = packed_both_ways(&blocks, None);
        assert_eq!(raw.unwrap(), decoded.unwrap());
    }

    #[test]
    fn a_malformed_raw_block_is_the_same_result_error_as_decoding_it() {
        let mut rng = Lcg(0x9E37_79B9_7F4A_7C15);
        let types = [DataType::Int, DataType::NChar, DataType::VarChar, DataType::Decimal];
        let (good, fields) = raw_block(&mut rng, 20, &types);
        for round in 0..2000 {
            let mut bad = good.clone();
            if round % 2 == 0 {
                bad.truncate(rng.below(good.len() as u64));
            }
            for _ in 0..1 + rng.below(3) {
                let i = rng.below(bad.len().max(1) as u64);
                if let Some(b) = bad.get_mut(i) {
                    *b = rng.next() as u8;
                }
            }
            let (raw, decoded) = packed_both_ways(&[(bad, fields.clone())], None);
            match (raw, decoded) {
                (Ok(r), Ok(d)) => assert_eq!(r, d),
                (Err(r), Err(d)) => {
                    assert_eq!(r.kind, ErrorKind::Result, "{}", r.message);
                    assert_eq!(r.message, d.message);
                }
                (r, d) => panic!("round {round}: raw {r:?}, decoded {d:?}"),
            }
        }
    }

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
