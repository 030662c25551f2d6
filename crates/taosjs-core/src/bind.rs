//! Values to bind to prepared statements (stmt2 and stmt v1), in columnar form, and their
//! checked conversion to the type of the placeholder they fill.
//!
//! The napi layer fills one [`BindColumn`] per placeholder straight from JS typed arrays: a null
//! mask (`Uint8Array`, nonzero = NULL) and one typed vector ([`ColumnValues`]); strings and byte
//! strings arrive as one buffer plus `rows + 1` offsets ([`VarData`]). Conversions happen here,
//! cell by cell only where the input type differs from the placeholder's type, and every value
//! is checked before anything is sent: a failed check is an [`ErrorKind::Statement`] error that
//! names the table, the column, the row and the value.
//!
//! One insert of two rows into child table `d1` of
//! `insert into ? using stb tags (?) values (?, ?)` (a VARCHAR column with one NULL):
//!
//! ```
//! use taosjs_core::bind::{BindColumn, BindTable, ColumnValues, VarData};
//! let table = BindTable {
//!     name: Some("d1".into()),
//!     tags: vec![BindColumn::new(ColumnValues::I32(vec![7]))],
//!     columns: vec![
//!         BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000, 1_700_000_000_001])),
//!         BindColumn::with_nulls(
//!             ColumnValues::Str(VarData::from_values([Some("a"), None])),
//!             vec![0, 1],
//!         ),
//!     ],
//! };
//! assert_eq!(table.columns[1].rows(), 2);
//! ```
//!
//! A query statement (`select … where a > ? and b = ?`) takes one `BindTable` without name or
//! tags whose columns are the parameters, one value each. DECIMAL values are sent as unscaled
//! integers at the placeholder's declared scale (the only form the server stores correctly)
//! and checked against its declared precision; the session fills in both when the server leaves
//! them out (see `session/describe.rs`).

use std::fmt::Write as _;

use serde::Deserialize;

use crate::error::{Error, ErrorKind, Result};
use crate::types::DataType;

/// What a placeholder stands for (`bind_type` of `stmt2_prepare` fields, TDengine's
/// `TAOS_FIELD_T`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindType {
    Column = 1,
    Tag = 2,
    QueryParam = 3,
    TableName = 4,
}

/// One placeholder as `stmt2_prepare` (or stmt v1 `get_tag_fields`/`get_col_fields`) describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtField {
    pub name: String,
    pub ty: DataType,
    /// Timestamp precision code (0 ms, 1 µs, 2 ns) for TIMESTAMP; decimal precision for decimals.
    pub precision: u8,
    /// Decimal scale (0 otherwise).
    pub scale: u8,
    /// Storage size including the length prefix (VARCHAR(n) → n+2, NCHAR(n) → 4n+2).
    pub bytes: u32,
    pub bind_type: BindType,
}

impl StmtField {
    /// The largest value this placeholder takes, in bytes (characters for NCHAR); `None` when
    /// unlimited or unknown.
    pub fn max_len(&self) -> Option<usize> {
        match self.ty {
            DataType::VarChar | DataType::VarBinary | DataType::Geometry | DataType::Json | DataType::NChar
                if self.bytes > 2 =>
            {
                Some(self.user_len() as usize)
            }
            // The 5 bytes reported for BLOB are not its limit (reference wire facts 13, 18).
            DataType::Blob => Some(4 * 1024 * 1024),
            _ => None,
        }
    }

    /// The length a user declared (VARCHAR(20) → 20, NCHAR(20) → 20 characters).
    pub fn user_len(&self) -> u32 {
        self.ty.user_len(self.bytes)
    }

    /// `VARCHAR(20)`, `DECIMAL(10,2)`, `TIMESTAMP`, … as in error messages.
    pub fn type_name(&self) -> String {
        let precision = if self.ty.is_decimal() { self.precision } else { 0 };
        let len = if self.bytes > 2 { self.user_len() } else { 0 };
        self.ty.full_name(len, precision, self.scale)
    }
}

/// A field as the server sends it in JSON (`bind_type` absent for stmt v1).
#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(default)]
pub struct RawStmtField {
    pub name: String,
    pub field_type: i64,
    pub precision: i64,
    pub scale: i64,
    pub bytes: i64,
    pub bind_type: Option<i64>,
}

impl RawStmtField {
    /// Checked conversion; `default_bind` is used when the server sent no `bind_type` (v1).
    pub fn to_field(&self, default_bind: BindType) -> Result<StmtField> {
        let ty = u8::try_from(self.field_type).ok().and_then(DataType::from_id).ok_or_else(|| {
            Error::not_supported(format!("placeholder `{}` has unsupported type id {}", self.name, self.field_type))
        })?;
        let bind_type = match self.bind_type {
            None => default_bind,
            Some(1) => BindType::Column,
            Some(2) => BindType::Tag,
            Some(3) => BindType::QueryParam,
            Some(4) => BindType::TableName,
            Some(other) => {
                return Err(Error::internal(format!("placeholder `{}` has unknown bind_type {other}", self.name)))
            }
        };
        Ok(StmtField {
            name: self.name.clone(),
            ty,
            precision: u8::try_from(self.precision).unwrap_or(0),
            scale: u8::try_from(self.scale).unwrap_or(0),
            bytes: u32::try_from(self.bytes).unwrap_or(0),
            bind_type,
        })
    }
}

/// Variable-length values in one buffer: value `i` is `data[offsets[i]..offsets[i + 1]]`
/// (`offsets.len()` = rows + 1). NULL rows may have any (usually empty) range.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VarData {
    pub data: Vec<u8>,
    pub offsets: Vec<u32>,
}

impl VarData {
    /// Packs values; `None` becomes an empty range (mark it NULL in [`BindColumn::nulls`]).
    pub fn from_values<T: AsRef<[u8]>>(values: impl IntoIterator<Item = Option<T>>) -> VarData {
        let mut v = VarData { data: Vec::new(), offsets: vec![0] };
        for value in values {
            if let Some(value) = value {
                v.data.extend_from_slice(value.as_ref());
            }
            v.offsets.push(v.data.len() as u32);
        }
        v
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn get(&self, row: usize) -> Option<&[u8]> {
        let start = *self.offsets.get(row)? as usize;
        let end = *self.offsets.get(row + 1)? as usize;
        self.data.get(start..end)
    }
}

/// The values of one column (or one tag / query parameter), typed as the caller has them.
/// The placeholder's type decides what is sent; the values are converted and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnValues {
    /// 0 = false, anything else = true.
    Bool(Vec<u8>),
    I8(Vec<i8>),
    I16(Vec<i16>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    U8(Vec<u8>),
    U16(Vec<u16>),
    U32(Vec<u32>),
    U64(Vec<u64>),
    F32(Vec<f32>),
    F64(Vec<f64>),
    /// Epoch counts in the statement's precision.
    Timestamp(Vec<i64>),
    /// UTF-8 text (VARCHAR, NCHAR, JSON; numbers as text for numeric placeholders).
    Str(VarData),
    /// Raw bytes (VARBINARY, GEOMETRY as WKB, BLOB).
    Bytes(VarData),
    /// Decimal text (`"-12.34"`, `"1e3"`), converted to the placeholder's scale.
    Decimal(Vec<String>),
}

impl ColumnValues {
    pub fn len(&self) -> usize {
        use ColumnValues::*;
        match self {
            Bool(v) | U8(v) => v.len(),
            I8(v) => v.len(),
            I16(v) => v.len(),
            I32(v) => v.len(),
            I64(v) | Timestamp(v) => v.len(),
            U16(v) => v.len(),
            U32(v) => v.len(),
            U64(v) => v.len(),
            F32(v) => v.len(),
            F64(v) => v.len(),
            Str(v) | Bytes(v) => v.len(),
            Decimal(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type these values are sent as when no placeholder type is known (query parameters).
    pub fn natural_type(&self) -> DataType {
        use ColumnValues::*;
        match self {
            Bool(_) => DataType::Bool,
            I8(_) => DataType::TinyInt,
            I16(_) => DataType::SmallInt,
            I32(_) => DataType::Int,
            I64(_) => DataType::BigInt,
            U8(_) => DataType::UTinyInt,
            U16(_) => DataType::USmallInt,
            U32(_) => DataType::UInt,
            U64(_) => DataType::UBigInt,
            F32(_) => DataType::Float,
            F64(_) => DataType::Double,
            Timestamp(_) => DataType::Timestamp,
            // Decimal parameters travel as text: the server compares them as numbers.
            Str(_) | Decimal(_) => DataType::VarChar,
            Bytes(_) => DataType::VarBinary,
        }
    }

    fn kind_name(&self) -> &'static str {
        use ColumnValues::*;
        match self {
            Bool(_) => "booleans",
            I8(_) | I16(_) | I32(_) | I64(_) | U8(_) | U16(_) | U32(_) | U64(_) => "integers",
            F32(_) | F64(_) => "floats",
            Timestamp(_) => "timestamps",
            Str(_) => "strings",
            Bytes(_) => "byte strings",
            Decimal(_) => "decimals",
        }
    }

    fn cell(&self, row: usize) -> Cell<'_> {
        use ColumnValues::*;
        match self {
            Bool(v) => Cell::Bool(v[row] != 0),
            I8(v) => Cell::Int(v[row] as i128),
            I16(v) => Cell::Int(v[row] as i128),
            I32(v) => Cell::Int(v[row] as i128),
            I64(v) | Timestamp(v) => Cell::Int(v[row] as i128),
            U8(v) => Cell::Int(v[row] as i128),
            U16(v) => Cell::Int(v[row] as i128),
            U32(v) => Cell::Int(v[row] as i128),
            U64(v) => Cell::Int(v[row] as i128),
            F32(v) => Cell::Float(v[row] as f64, true),
            F64(v) => Cell::Float(v[row], false),
            Str(v) => match v.get(row) {
                Some(b) => match std::str::from_utf8(b) {
                    Ok(s) => Cell::Str(s),
                    Err(_) => Cell::Invalid("is not valid UTF-8"),
                },
                None => Cell::Invalid("has offsets outside its buffer"),
            },
            Bytes(v) => match v.get(row) {
                Some(b) => Cell::Bytes(b),
                None => Cell::Invalid("has offsets outside its buffer"),
            },
            Decimal(v) => Cell::Str(&v[row]),
        }
    }
}

/// Values for one placeholder: `rows` values (1 for a tag or a query parameter).
#[derive(Debug, Clone, PartialEq)]
pub struct BindColumn {
    /// Type to send a query parameter as (e.g. NCHAR for strings); `None` = the values' own
    /// type. Ignored for insert placeholders, whose type the server told us at prepare.
    pub ty: Option<DataType>,
    /// Nonzero = NULL; `None` = no NULLs. Same length as the values.
    pub nulls: Option<Vec<u8>>,
    pub values: ColumnValues,
}

impl BindColumn {
    pub fn new(values: ColumnValues) -> BindColumn {
        BindColumn { ty: None, nulls: None, values }
    }

    pub fn with_nulls(values: ColumnValues, nulls: Vec<u8>) -> BindColumn {
        BindColumn { ty: None, nulls: Some(nulls), values }
    }

    pub fn rows(&self) -> usize {
        self.values.len()
    }

    pub fn is_null(&self, row: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n[row] != 0)
    }
}

/// The rows for one table of an insert: its name (when the statement has `?` as table name),
/// one single-row [`BindColumn`] per tag placeholder and one column per column placeholder.
/// For a query statement pass one table without name or tags and the parameters as columns.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct BindTable {
    pub name: Option<String>,
    pub tags: Vec<BindColumn>,
    pub columns: Vec<BindColumn>,
}

/// What the encoders read of one column, whichever form it arrived in: a [`BindColumn`] built in
/// Rust, or a column of a packed bind read in place (`packed.rs`). One encoder serves both.
pub(crate) trait BindValues {
    fn rows(&self) -> usize;
    /// Nonzero = NULL; `None` = no NULLs.
    fn null_mask(&self) -> Option<&[u8]>;
    fn cell(&self, row: usize) -> Cell<'_>;
    /// The type a query parameter is sent as, when the caller chose one.
    fn chosen_type(&self) -> Option<DataType>;
    fn natural_type(&self) -> DataType;
    fn kind_name(&self) -> &'static str;
    /// Variable-length values without their `rows + 1` offsets.
    fn lacks_offsets(&self) -> bool;
    /// Fixed-width values as their little-endian bytes, when they are held that way (the
    /// encoders copy them whole when the placeholder has the same type).
    fn raw_fixed(&self) -> Option<(crate::packed::PackedKind, &[u8])> {
        None
    }
    /// Variable-length values as their concatenated bytes and `rows + 1` little-endian u32
    /// offsets, when they are held that way (the encoder then checks and copies them without a
    /// [`Cell`] per value).
    fn raw_var(&self) -> Option<(crate::packed::PackedKind, &[u8], &[u8])> {
        None
    }
    fn is_null(&self, row: usize) -> bool {
        self.null_mask().is_some_and(|n| n[row] != 0)
    }
}

impl BindValues for BindColumn {
    fn rows(&self) -> usize {
        self.values.len()
    }
    fn null_mask(&self) -> Option<&[u8]> {
        self.nulls.as_deref()
    }
    fn cell(&self, row: usize) -> Cell<'_> {
        self.values.cell(row)
    }
    fn chosen_type(&self) -> Option<DataType> {
        self.ty
    }
    fn natural_type(&self) -> DataType {
        self.values.natural_type()
    }
    fn kind_name(&self) -> &'static str {
        self.values.kind_name()
    }
    fn lacks_offsets(&self) -> bool {
        matches!(&self.values, ColumnValues::Str(v) | ColumnValues::Bytes(v) if v.offsets.is_empty())
    }
}

/// What the stmt2 encoder reads of one table (see [`BindValues`]).
pub(crate) trait BindRows {
    type Column: BindValues;
    fn name(&self) -> Option<&str>;
    fn tags(&self) -> &[Self::Column];
    fn columns(&self) -> &[Self::Column];
}

impl BindRows for BindTable {
    type Column = BindColumn;
    fn name(&self) -> Option<&str> {
        self.name.as_deref()
    }
    fn tags(&self) -> &[BindColumn] {
        &self.tags
    }
    fn columns(&self) -> &[BindColumn] {
        &self.columns
    }
}

/// One input value, independent of the vector type it came from.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Cell<'a> {
    Bool(bool),
    Int(i128),
    /// The value and whether it came from an f32.
    Float(f64, bool),
    Str(&'a str),
    Bytes(&'a [u8]),
    Invalid(&'static str),
}

impl std::fmt::Display for Cell<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Cell::Bool(b) => write!(f, "{b}"),
            Cell::Int(i) => write!(f, "{i}"),
            Cell::Float(x, _) => write!(f, "{x}"),
            Cell::Str(s) => {
                let shown: String = s.chars().take(40).collect();
                if shown.len() < s.len() {
                    write!(f, "{shown:?}… ({} characters)", s.chars().count())
                } else {
                    write!(f, "{shown:?}")
                }
            }
            Cell::Bytes(b) => {
                f.write_str("0x")?;
                for x in b.iter().take(24) {
                    write!(f, "{x:02x}")?;
                }
                if b.len() > 24 {
                    write!(f, "… ({} bytes)", b.len())?;
                }
                Ok(())
            }
            Cell::Invalid(_) => f.write_str("<invalid>"),
        }
    }
}

/// Where a value sits, for error messages: "table d1, column c_i8 (TINYINT)".
#[derive(Debug, Clone, Copy)]
pub(crate) struct Place<'a> {
    /// "table d1" / "table #2" / "" (queries).
    pub table: &'a str,
    /// "column", "tag" or "parameter".
    pub role: &'a str,
    pub name: &'a str,
}

impl Place<'_> {
    pub fn describe(&self, ty: DataType) -> String {
        let mut s = String::new();
        if !self.table.is_empty() {
            let _ = write!(s, "{}, ", self.table);
        }
        let _ = write!(s, "{} {} ({})", self.role, self.name, ty.name());
        s
    }

    pub fn error(&self, ty: DataType, message: impl std::fmt::Display) -> Error {
        Error::new(ErrorKind::Statement, format!("{}: {message}", self.describe(ty)))
    }

    pub fn cell_error(&self, ty: DataType, row: usize, cell: Cell<'_>, reason: &str) -> Error {
        let message = match cell {
            Cell::Invalid(why) => format!("{}, row {row}: the value {why}", self.describe(ty)),
            _ => format!("{}, row {row}: {cell} {reason}", self.describe(ty)),
        };
        Error::new(ErrorKind::Statement, message)
    }
}

/// The target of a conversion: the placeholder's type and limits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub ty: DataType,
    pub max_len: Option<usize>,
    pub precision: u8,
    pub scale: u8,
}

impl Target {
    pub fn of_field(f: &StmtField) -> Target {
        Target { ty: f.ty, max_len: f.max_len(), precision: f.precision, scale: f.scale }
    }

    /// A query parameter: no declared limits.
    pub fn natural(ty: DataType) -> Target {
        Target { ty, max_len: None, precision: 0, scale: 0 }
    }
}

/// Checks the shape of a column: nulls as long as the values, the expected row count.
pub(crate) fn check_shape(col: &dyn BindValues, rows: usize, place: &Place<'_>, ty: DataType) -> Result<()> {
    if col.rows() != rows {
        return Err(place.error(ty, format_args!("has {} values, expected {rows}", col.rows())));
    }
    if let Some(n) = col.null_mask() {
        if n.len() != col.rows() {
            return Err(place.error(ty, format_args!("null mask has {} entries for {} values", n.len(), col.rows())));
        }
    }
    if col.lacks_offsets() {
        return Err(place.error(ty, "variable-length values need rows + 1 offsets"));
    }
    Ok(())
}

/// A fixed-width value converted to its little-endian wire bytes (up to 16).
pub(crate) fn fixed_bytes(
    t: Target,
    col: &dyn BindValues,
    row: usize,
    place: &Place<'_>,
    out: &mut Vec<u8>,
) -> Result<()> {
    let cell = col.cell(row);
    let err = |reason: &str| place.cell_error(t.ty, row, cell, reason);
    macro_rules! int {
        ($ty:ty) => {{
            let v = to_int(cell, <$ty>::MIN as i128, <$ty>::MAX as i128).map_err(|r| err(&r))?;
            out.extend_from_slice(&(v as $ty).to_le_bytes());
        }};
    }
    match t.ty {
        DataType::Bool => {
            let b = match cell {
                Cell::Bool(b) => b,
                Cell::Int(i) => i != 0,
                Cell::Float(x, _) if !x.is_nan() => x != 0.0,
                Cell::Str(s) if s.eq_ignore_ascii_case("true") => true,
                Cell::Str(s) if s.eq_ignore_ascii_case("false") => false,
                _ => return Err(err("is not a boolean")),
            };
            out.push(b as u8);
        }
        DataType::TinyInt => int!(i8),
        DataType::SmallInt => int!(i16),
        DataType::Int => int!(i32),
        DataType::BigInt => int!(i64),
        DataType::UTinyInt => int!(u8),
        DataType::USmallInt => int!(u16),
        DataType::UInt => int!(u32),
        DataType::UBigInt => int!(u64),
        DataType::Timestamp => {
            let v = to_int(cell, i64::MIN as i128, i64::MAX as i128)
                .map_err(|r| err(&r.replace("an integer", "a timestamp")))?;
            out.extend_from_slice(&(v as i64).to_le_bytes());
        }
        DataType::Float => {
            let x = to_float(cell).map_err(|r| err(&r))?;
            if x.is_finite() && x.abs() > f32::MAX as f64 {
                return Err(err("is out of range for FLOAT"));
            }
            out.extend_from_slice(&(x as f32).to_le_bytes());
        }
        DataType::Double => {
            let x = to_float(cell).map_err(|r| err(&r))?;
            out.extend_from_slice(&x.to_le_bytes());
        }
        DataType::Decimal64 | DataType::Decimal => {
            if t.precision == 0 {
                return Err(err("cannot be converted: neither the server nor DESCRIBE of the target table gave this DECIMAL column's precision and scale"));
            }
            let v = to_decimal(cell, t.precision, t.scale).map_err(|r| match r {
                DecimalError::Overflow(reason) => {
                    // As SQL refuses it: TDengine's 0x013D "Decimal value overflow".
                    let e = err(&format!("{reason} (Decimal value overflow)"));
                    Error { errno: Some(DECIMAL_OVERFLOW), ..e }
                }
                DecimalError::Invalid(reason) => err(&reason),
            })?;
            if t.ty == DataType::Decimal64 {
                out.extend_from_slice(&(v as i64).to_le_bytes());
            } else {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        other => return Err(Error::internal(format!("{} is not a fixed-width type", other.name()))),
    }
    Ok(())
}

/// A variable-length value as the bytes to send (UTF-8 for text types), checked against the
/// placeholder's declared length.
pub(crate) fn var_bytes<'a>(t: Target, col: &'a dyn BindValues, row: usize, place: &Place<'_>) -> Result<&'a [u8]> {
    let cell = col.cell(row);
    let err = |reason: &str| place.cell_error(t.ty, row, cell, reason);
    let bytes: &[u8] = match (t.ty, cell) {
        (_, Cell::Invalid(_)) => return Err(err("")),
        (DataType::VarChar | DataType::NChar | DataType::Json, Cell::Str(s)) => s.as_bytes(),
        (DataType::VarChar | DataType::VarBinary | DataType::Blob | DataType::Geometry, Cell::Bytes(b)) => b,
        (DataType::VarBinary | DataType::Blob, Cell::Str(s)) => s.as_bytes(),
        (DataType::NChar | DataType::Json, Cell::Bytes(b)) => {
            std::str::from_utf8(b).map_err(|_| err("is not valid UTF-8 text"))?;
            b
        }
        (DataType::Geometry, Cell::Str(_)) => return Err(err("is text, GEOMETRY takes WKB bytes")),
        _ => return Err(err(&format!("cannot be bound to {} (a column of {})", t.ty.name(), col.kind_name()))),
    };
    // `bytes` is valid UTF-8 here for NCHAR (text, or bytes checked above).
    match too_long(t, bytes) {
        Some(reason) => Err(err(&reason)),
        None => Ok(bytes),
    }
}

/// Why a variable-length value does not fit its placeholder's declared length, or `None` when it
/// does (`bytes` valid UTF-8 for NCHAR).
pub(crate) fn too_long(t: Target, bytes: &[u8]) -> Option<String> {
    let max = t.max_len?;
    let len = placeholder_len(t.ty, bytes);
    let unit = if t.ty == DataType::NChar { "characters" } else { "bytes" };
    (len > max).then(|| format!("is too long: {len} {unit}, at most {max} fit"))
}

/// A variable-length value's length as its placeholder's limit counts it: NCHAR(n) counts
/// characters (in valid UTF-8, the bytes that start one), every other type bytes.
pub(crate) fn placeholder_len(ty: DataType, bytes: &[u8]) -> usize {
    if ty == DataType::NChar {
        bytes.iter().filter(|&&b| (b as i8) >= -0x40).count()
    } else {
        bytes.len()
    }
}

fn to_int(cell: Cell<'_>, lo: i128, hi: i128) -> std::result::Result<i128, String> {
    let v = match cell {
        Cell::Int(i) => i,
        Cell::Float(x, _) => {
            if !x.is_finite() {
                return Err("is not an integer".into());
            }
            if x.fract() != 0.0 {
                return Err("is not an integer (it has a fraction)".into());
            }
            if x < lo as f64 || x > hi as f64 {
                return Err(format!("is out of range [{lo}, {hi}]"));
            }
            x as i128
        }
        Cell::Str(s) => s.trim().parse::<i128>().map_err(|_| "is not an integer".to_string())?,
        Cell::Bool(_) => return Err("is a boolean, not an integer".into()),
        Cell::Bytes(_) => return Err("is a byte string, not an integer".into()),
        Cell::Invalid(why) => return Err(why.into()),
    };
    if v < lo || v > hi {
        return Err(format!("is out of range [{lo}, {hi}]"));
    }
    Ok(v)
}

fn to_float(cell: Cell<'_>) -> std::result::Result<f64, String> {
    match cell {
        Cell::Int(i) => Ok(i as f64),
        Cell::Float(x, _) => Ok(x),
        Cell::Str(s) => s.trim().parse::<f64>().map_err(|_| "is not a number".to_string()),
        Cell::Bool(_) => Err("is a boolean, not a number".into()),
        Cell::Bytes(_) => Err("is a byte string, not a number".into()),
        Cell::Invalid(why) => Err(why.into()),
    }
}

/// TDengine's "Decimal value overflow" (TSDB_CODE_DECIMAL_OVERFLOW), as SQL answers a value
/// that does not fit the column's DECIMAL(p,s).
pub const DECIMAL_OVERFLOW: i32 = 0x013D;

enum DecimalError {
    Invalid(String),
    Overflow(String),
}

/// The unscaled integer of a decimal at `scale`, rounding extra digits half away from zero,
/// checked against `precision` digits.
fn to_decimal(cell: Cell<'_>, precision: u8, scale: u8) -> std::result::Result<i128, DecimalError> {
    let text;
    let s: &str = match cell {
        Cell::Str(s) => s.trim(),
        Cell::Int(i) => {
            text = i.to_string();
            &text
        }
        Cell::Float(x, is_f32) if x.is_finite() => {
            // Shortest round-trip digits of the caller's value, never the binary expansion.
            text = if is_f32 { format!("{}", x as f32) } else { format!("{x}") };
            &text
        }
        Cell::Invalid(why) => return Err(DecimalError::Invalid(why.into())),
        _ => return Err(DecimalError::Invalid("is not a decimal number".into())),
    };
    let overflow = || DecimalError::Overflow(format!("does not fit DECIMAL({precision},{scale})"));
    if !is_decimal_text(s) {
        return Err(DecimalError::Invalid("is not a decimal number".into()));
    }
    // Valid text that does not fit 128 bits does not fit any DECIMAL either.
    let v = parse_decimal(s, scale as u32).ok_or_else(overflow)?;
    match 10i128.checked_pow(precision.max(1) as u32) {
        Some(limit) if v.abs() < limit => Ok(v),
        _ => Err(overflow()),
    }
}

/// `[-+]digits[.digits][e[-+]digits]` (at least one digit in the mantissa).
fn is_decimal_text(s: &str) -> bool {
    let rest = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    let exp_ok = exp.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && digits(e)
    });
    !(int_part.is_empty() && frac_part.is_empty()) && digits(int_part) && digits(frac_part) && exp_ok
}

/// Parses `[-+]digits[.digits][e[-+]digits]` into an unscaled integer at `scale`.
pub fn parse_decimal(s: &str, scale: u32) -> Option<i128> {
    let (neg, rest) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (mantissa, exp) = match rest.find(['e', 'E']) {
        Some(i) => (&rest[..i], rest[i + 1..].parse::<i32>().ok()?),
        None => (rest, 0),
    };
    let (int_part, frac_part) = match mantissa.find('.') {
        Some(i) => (&mantissa[..i], &mantissa[i + 1..]),
        None => (mantissa, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return None;
    }
    if !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    // digits × 10^(exp − frac_len) expressed at `scale`: shift = scale + exp − frac_len.
    let digits = int_part.bytes().chain(frac_part.bytes()).skip_while(|&b| b == b'0');
    let digits: Vec<u8> = digits.collect();
    let shift = scale as i64 + exp as i64 - frac_part.len() as i64;
    let mut value: i128 = 0;
    if shift >= 0 {
        for &d in &digits {
            value = value.checked_mul(10)?.checked_add((d - b'0') as i128)?;
        }
        for _ in 0..shift {
            if value == 0 {
                break;
            }
            value = value.checked_mul(10)?;
        }
    } else {
        let drop = (-shift) as usize;
        let keep = digits.len().saturating_sub(drop);
        for &d in &digits[..keep] {
            value = value.checked_mul(10)?.checked_add((d - b'0') as i128)?;
        }
        // First dropped digit decides the rounding (half away from zero).
        let first_dropped = if drop <= digits.len() { digits.get(keep).copied() } else { None };
        if first_dropped.is_some_and(|d| d >= b'5') {
            value = value.checked_add(1)?;
        }
    }
    Some(if neg { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_to_unscaled_integers() {
        assert_eq!(parse_decimal("12.34", 2), Some(1234));
        assert_eq!(parse_decimal("-0.01", 2), Some(-1));
        assert_eq!(parse_decimal("1e3", 2), Some(100000));
        assert_eq!(parse_decimal("1.005", 2), Some(101));
        assert_eq!(parse_decimal("-1.004", 2), Some(-100));
        assert_eq!(parse_decimal("0.000", 10), Some(0));
        assert_eq!(parse_decimal(".5", 1), Some(5));
        assert_eq!(parse_decimal("12", 0), Some(12));
        assert_eq!(parse_decimal("1.2.3", 2), None);
        assert_eq!(parse_decimal("abc", 2), None);
        assert_eq!(parse_decimal("", 2), None);
        assert_eq!(parse_decimal("-", 2), None);
        assert_eq!(parse_decimal("1e999999", 2), None);
    }

    #[test]
    fn var_data_packs_values_with_offsets() {
        let v = VarData::from_values([Some("ab"), None, Some("c")]);
        assert_eq!(v.offsets, vec![0, 2, 2, 3]);
        assert_eq!(v.get(2), Some(&b"c"[..]));
        assert_eq!(v.len(), 3);
    }
}
