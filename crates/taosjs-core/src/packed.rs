//! A stmt2 bind packed into ONE byte buffer, read in place: how the JS facade hands a whole bind
//! (every table, tag and column) to the core in one crossing — one `Uint8Array` through N-API or
//! into WebAssembly memory, instead of an object per table and column with a typed array each.
//! The stmt2 encoder reads the values straight out of the buffer ([`parse`] borrows, it copies
//! nothing) and checks them exactly as it checks [`BindTable`](crate::BindTable)s.
//!
//! Layout (every integer little-endian; the writer is `src/bind-pack.ts`):
//!
//! ```text
//! 8 zero bytes                 (where a stmt2 message the facade wrote has its marker:
//!                              `crate::stmt2_message`, which `encode_bind_packed` also takes)
//! data …                       values, offsets, null masks and table names, anywhere before the directory
//! directory (u32 words, 4-aligned):
//!   MAGIC, table count
//!   per table: name offset, name length (NONE = no name), tag count, column count,
//!              then per tag and per column 7 words:
//!              kind | type << 8, data offset, data length,
//!              offsets offset, offsets count (0 = none), nulls offset, nulls length (NONE = no NULLs)
//! u32 directory offset          the last 4 bytes
//! ```
//!
//! `kind` is a [`PackedKind`] code; `type` is the TDengine type id + 1 a query parameter is sent
//! as (0 = its values' own type). Fixed kinds hold `rows × size` bytes; `str`/`bytes` hold the
//! concatenated values and `rows + 1` u32 offsets into them; a null mask is one byte per row,
//! nonzero = NULL.

use crate::bind::{BindRows, BindValues, Cell};
use crate::error::{Error, ErrorKind, Result};
use crate::types::DataType;

/// First directory word ("TJB" and the layout's version, 1).
pub const MAGIC: u32 = 0x0142_4A54;
/// "None" in an offset or length word.
pub const NONE: u32 = u32::MAX;
/// Directory words per column.
pub const COLUMN_WORDS: usize = 7;

/// How a packed column's bytes are read (the codes are the layout's).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PackedKind {
    /// One byte per row, nonzero = true.
    Bool = 0,
    U8 = 1,
    I8 = 2,
    I16 = 3,
    U16 = 4,
    I32 = 5,
    U32 = 6,
    I64 = 7,
    U64 = 8,
    F32 = 9,
    F64 = 10,
    /// i64 epoch counts in the statement's precision.
    Ts = 11,
    /// UTF-8 text with offsets.
    Str = 12,
    /// Raw bytes with offsets.
    Bytes = 13,
}

impl PackedKind {
    pub fn from_code(code: u8) -> Option<PackedKind> {
        use PackedKind::*;
        Some(match code {
            0 => Bool,
            1 => U8,
            2 => I8,
            3 => I16,
            4 => U16,
            5 => I32,
            6 => U32,
            7 => I64,
            8 => U64,
            9 => F32,
            10 => F64,
            11 => Ts,
            12 => Str,
            13 => Bytes,
            _ => return None,
        })
    }

    /// Bytes per value of a fixed kind; `None` for `Str`/`Bytes`.
    pub fn size(self) -> Option<usize> {
        use PackedKind::*;
        match self {
            Bool | U8 | I8 => Some(1),
            I16 | U16 => Some(2),
            I32 | U32 | F32 => Some(4),
            I64 | U64 | F64 | Ts => Some(8),
            Str | Bytes => None,
        }
    }

    /// The placeholder type whose wire bytes are these very bytes (copied whole).
    pub(crate) fn same_wire(self, ty: DataType) -> bool {
        use PackedKind::*;
        matches!(
            (self, ty),
            (I8, DataType::TinyInt)
                | (I16, DataType::SmallInt)
                | (I32, DataType::Int)
                | (I64 | Ts, DataType::BigInt | DataType::Timestamp)
                | (U8, DataType::UTinyInt)
                | (U16, DataType::USmallInt)
                | (U32, DataType::UInt)
                | (U64, DataType::UBigInt)
                | (F32, DataType::Float)
                | (F64, DataType::Double)
        )
    }
}

/// One tag, column or parameter of a packed bind, borrowed from the buffer.
#[derive(Debug, Clone, Copy)]
pub struct PackedColumn<'a> {
    pub kind: PackedKind,
    /// The type a query parameter is sent as (`None` = its values' own type).
    pub ty: Option<DataType>,
    pub data: &'a [u8],
    /// `rows + 1` little-endian u32 offsets into `data` (`str`/`bytes`; empty otherwise).
    pub offsets: &'a [u8],
    pub nulls: Option<&'a [u8]>,
}

/// One table of a packed bind.
#[derive(Debug, Clone)]
pub struct PackedTable<'a> {
    pub name: Option<&'a str>,
    pub tags: Vec<PackedColumn<'a>>,
    pub columns: Vec<PackedColumn<'a>>,
}

fn malformed(what: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::Interface, format!("malformed packed bind: {what}"))
}

struct Words<'a> {
    buf: &'a [u8],
    at: usize,
    end: usize,
}

impl Words<'_> {
    fn next(&mut self) -> Result<u32> {
        if self.at + 4 > self.end {
            return Err(malformed("the directory ends early"));
        }
        let w = u32::from_le_bytes(self.buf[self.at..self.at + 4].try_into().unwrap_or([0; 4]));
        self.at += 4;
        Ok(w)
    }
}

fn slice<'a>(buf: &'a [u8], end: usize, offset: u32, len: usize, what: &str) -> Result<&'a [u8]> {
    let start = offset as usize;
    match start.checked_add(len) {
        Some(stop) if stop <= end => Ok(&buf[start..stop]),
        _ => Err(malformed(format_args!("{what} at {start} (+{len} bytes) lies outside the data"))),
    }
}

/// Reads the directory of a packed bind; the columns borrow their bytes from `buf`.
pub fn parse<'a>(buf: &'a [u8]) -> Result<Vec<PackedTable<'a>>> {
    if buf.len() < 12 {
        return Err(malformed(format_args!("{} bytes", buf.len())));
    }
    let dir = u32::from_le_bytes(buf[buf.len() - 4..].try_into().unwrap_or([0; 4])) as usize;
    let end = buf.len() - 4;
    if dir > end || dir % 4 != 0 {
        return Err(malformed(format_args!("directory offset {dir}")));
    }
    let mut w = Words { buf, at: dir, end };
    if w.next()? != MAGIC {
        return Err(malformed("not a packed bind (wrong magic)"));
    }
    let count = w.next()? as usize;
    // Each table takes at least 4 words: a count beyond that is not a directory.
    if count > (end - dir) / 16 {
        return Err(malformed(format_args!("{count} tables")));
    }
    let mut tables = Vec::with_capacity(count);
    for _ in 0..count {
        let (name_at, name_len) = (w.next()?, w.next()?);
        let name = if name_len == NONE {
            None
        } else {
            let bytes = slice(buf, dir, name_at, name_len as usize, "a table name")?;
            Some(std::str::from_utf8(bytes).map_err(|_| malformed("a table name is not UTF-8"))?)
        };
        let (tag_count, col_count) = (w.next()? as usize, w.next()? as usize);
        if tag_count.saturating_add(col_count) > (end - w.at) / (4 * COLUMN_WORDS) {
            return Err(malformed(format_args!("{tag_count} tags and {col_count} columns")));
        }
        let mut column = || -> Result<PackedColumn<'a>> {
            let kind_ty = w.next()?;
            let kind = PackedKind::from_code(kind_ty as u8).ok_or_else(|| malformed(format_args!("kind {}", kind_ty & 0xff)))?;
            let ty = match (kind_ty >> 8) & 0xff {
                0 => None,
                id => Some(DataType::from_id((id - 1) as u8).ok_or_else(|| malformed(format_args!("type id {}", id - 1)))?),
            };
            let (data_at, data_len) = (w.next()?, w.next()? as usize);
            let data = slice(buf, dir, data_at, data_len, "a column's values")?;
            let (offsets_at, offsets_count) = (w.next()?, w.next()? as usize);
            let offsets = if offsets_count == 0 { &[][..] } else { slice(buf, dir, offsets_at, 4 * offsets_count, "offsets")? };
            let (nulls_at, nulls_len) = (w.next()?, w.next()?);
            let nulls = if nulls_len == NONE { None } else { Some(slice(buf, dir, nulls_at, nulls_len as usize, "a null mask")?) };
            if let Some(size) = kind.size() {
                if data.len() % size != 0 {
                    return Err(malformed(format_args!("a {kind:?} column needs a multiple of {size} bytes, got {}", data.len())));
                }
            }
            Ok(PackedColumn { kind, ty, data, offsets, nulls })
        };
        let tags = (0..tag_count).map(|_| column()).collect::<Result<Vec<_>>>()?;
        let columns = (0..col_count).map(|_| column()).collect::<Result<Vec<_>>>()?;
        tables.push(PackedTable { name, tags, columns });
    }
    Ok(tables)
}

impl PackedColumn<'_> {
    fn offset(&self, i: usize) -> Option<usize> {
        let b = self.offsets.get(4 * i..4 * i + 4)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    }

    fn var(&self, row: usize) -> Option<&[u8]> {
        self.data.get(self.offset(row)?..self.offset(row + 1)?)
    }

    fn fixed<const N: usize>(&self, row: usize) -> [u8; N] {
        self.data[N * row..N * row + N].try_into().unwrap_or([0; N])
    }
}

impl BindValues for PackedColumn<'_> {
    fn rows(&self) -> usize {
        match self.kind.size() {
            Some(size) => self.data.len() / size,
            None => (self.offsets.len() / 4).saturating_sub(1),
        }
    }

    fn null_mask(&self) -> Option<&[u8]> {
        self.nulls
    }

    fn cell(&self, row: usize) -> Cell<'_> {
        use PackedKind::*;
        match self.kind {
            Bool => Cell::Bool(self.data[row] != 0),
            U8 => Cell::Int(self.data[row] as i128),
            I8 => Cell::Int(self.data[row] as i8 as i128),
            I16 => Cell::Int(i16::from_le_bytes(self.fixed(row)) as i128),
            U16 => Cell::Int(u16::from_le_bytes(self.fixed(row)) as i128),
            I32 => Cell::Int(i32::from_le_bytes(self.fixed(row)) as i128),
            U32 => Cell::Int(u32::from_le_bytes(self.fixed(row)) as i128),
            I64 | Ts => Cell::Int(i64::from_le_bytes(self.fixed(row)) as i128),
            U64 => Cell::Int(u64::from_le_bytes(self.fixed(row)) as i128),
            F32 => Cell::Float(f32::from_le_bytes(self.fixed(row)) as f64, true),
            F64 => Cell::Float(f64::from_le_bytes(self.fixed(row)), false),
            Str => match self.var(row) {
                Some(b) => match std::str::from_utf8(b) {
                    Ok(s) => Cell::Str(s),
                    Err(_) => Cell::Invalid("is not valid UTF-8"),
                },
                None => Cell::Invalid("has offsets outside its buffer"),
            },
            Bytes => match self.var(row) {
                Some(b) => Cell::Bytes(b),
                None => Cell::Invalid("has offsets outside its buffer"),
            },
        }
    }

    fn chosen_type(&self) -> Option<DataType> {
        self.ty
    }

    fn natural_type(&self) -> DataType {
        use PackedKind::*;
        match self.kind {
            Bool => DataType::Bool,
            I8 => DataType::TinyInt,
            I16 => DataType::SmallInt,
            I32 => DataType::Int,
            I64 => DataType::BigInt,
            U8 => DataType::UTinyInt,
            U16 => DataType::USmallInt,
            U32 => DataType::UInt,
            U64 => DataType::UBigInt,
            F32 => DataType::Float,
            F64 => DataType::Double,
            Ts => DataType::Timestamp,
            Str => DataType::VarChar,
            Bytes => DataType::VarBinary,
        }
    }

    fn kind_name(&self) -> &'static str {
        use PackedKind::*;
        match self.kind {
            Bool => "booleans",
            I8 | I16 | I32 | I64 | U8 | U16 | U32 | U64 => "integers",
            F32 | F64 => "floats",
            Ts => "timestamps",
            Str => "strings",
            Bytes => "byte strings",
        }
    }

    fn lacks_offsets(&self) -> bool {
        self.kind.size().is_none() && self.offsets.is_empty()
    }

    fn raw_fixed(&self) -> Option<(PackedKind, &[u8])> {
        self.kind.size().map(|_| (self.kind, self.data))
    }

    fn raw_var(&self) -> Option<(PackedKind, &[u8], &[u8])> {
        self.kind.size().is_none().then_some((self.kind, self.data, self.offsets))
    }
}

impl<'a> BindRows for PackedTable<'a> {
    type Column = PackedColumn<'a>;
    fn name(&self) -> Option<&str> {
        self.name
    }
    fn tags(&self) -> &[PackedColumn<'a>] {
        &self.tags
    }
    fn columns(&self) -> &[PackedColumn<'a>] {
        &self.columns
    }
}

/// Writes a packed bind (the layout above) of `tables`: what the JS facade builds, for Rust
/// callers and tests.
pub fn pack(tables: &[PackedTable<'_>]) -> Vec<u8> {
    let mut out = vec![0; 8];
    let mut dir: Vec<u32> = vec![MAGIC, tables.len() as u32];
    let put = |out: &mut Vec<u8>, bytes: &[u8]| -> u32 {
        while out.len() % 8 != 0 {
            out.push(0);
        }
        let at = out.len() as u32;
        out.extend_from_slice(bytes);
        at
    };
    for t in tables {
        match t.name {
            Some(n) => dir.extend([put(&mut out, n.as_bytes()), n.len() as u32]),
            None => dir.extend([0, NONE]),
        }
        dir.extend([t.tags.len() as u32, t.columns.len() as u32]);
        for c in t.tags.iter().chain(&t.columns) {
            let ty = c.ty.map_or(0, |t| t.id() as u32 + 1);
            dir.push(c.kind as u32 | ty << 8);
            dir.extend([put(&mut out, c.data), c.data.len() as u32]);
            match c.offsets.len() {
                0 => dir.extend([0, 0]),
                n => dir.extend([put(&mut out, c.offsets), (n / 4) as u32]),
            }
            match c.nulls {
                Some(n) => dir.extend([put(&mut out, n), n.len() as u32]),
                None => dir.extend([0, NONE]),
            }
        }
    }
    let at = put(&mut out, &[]);
    out.extend(dir.iter().flat_map(|w| w.to_le_bytes()));
    out.extend_from_slice(&at.to_le_bytes());
    out
}
