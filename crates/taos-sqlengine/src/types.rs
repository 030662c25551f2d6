//! The contract between the SQL engine (`engine`, `sql`) and the protocol front ends (`ws`, `rest`,
//! `block`): data types, values, result sets and errors. Written from the protocol reference, never
//! from a client crate, so that server and client are two independent implementations.

use std::fmt;

/// TDengine data type ids as they appear on the wire (`fields_types`, block schema, stmt2 fields).
#[repr(u8)]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DataType {
    Null = 0,
    Bool = 1,
    TinyInt = 2,
    SmallInt = 3,
    Int = 4,
    BigInt = 5,
    Float = 6,
    Double = 7,
    VarChar = 8,
    Timestamp = 9,
    NChar = 10,
    UTinyInt = 11,
    USmallInt = 12,
    UInt = 13,
    UBigInt = 14,
    Json = 15,
    VarBinary = 16,
    /// 128-bit decimal, precision 19..=38.
    Decimal = 17,
    Blob = 18,
    Geometry = 20,
    /// 64-bit decimal, precision <= 18.
    Decimal64 = 21,
}

impl DataType {
    pub fn from_id(id: u8) -> Option<DataType> {
        use DataType::*;
        Some(match id {
            0 => Null,
            1 => Bool,
            2 => TinyInt,
            3 => SmallInt,
            4 => Int,
            5 => BigInt,
            6 => Float,
            7 => Double,
            8 => VarChar,
            9 => Timestamp,
            10 => NChar,
            11 => UTinyInt,
            12 => USmallInt,
            13 => UInt,
            14 => UBigInt,
            15 => Json,
            16 => VarBinary,
            17 => Decimal,
            18 => Blob,
            20 => Geometry,
            21 => Decimal64,
            _ => return None,
        })
    }

    pub fn id(self) -> u8 {
        self as u8
    }

    /// Byte size of a fixed-width value; `None` for variable-length types.
    pub fn fixed_size(self) -> Option<usize> {
        use DataType::*;
        Some(match self {
            Null | Bool | TinyInt | UTinyInt => 1,
            SmallInt | USmallInt => 2,
            Int | UInt | Float => 4,
            BigInt | UBigInt | Double | Timestamp | Decimal64 => 8,
            Decimal => 16,
            VarChar | NChar | Json | VarBinary | Blob | Geometry => return None,
        })
    }

    pub fn is_var(self) -> bool {
        self.fixed_size().is_none()
    }

    pub fn is_decimal(self) -> bool {
        matches!(self, DataType::Decimal | DataType::Decimal64)
    }

    /// The type name TDengine prints in REST `column_meta` (decimals need the field: see [`Field::type_name`]).
    pub fn name(self) -> &'static str {
        use DataType::*;
        match self {
            Null => "NULL",
            Bool => "BOOL",
            TinyInt => "TINYINT",
            SmallInt => "SMALLINT",
            Int => "INT",
            BigInt => "BIGINT",
            Float => "FLOAT",
            Double => "DOUBLE",
            VarChar => "VARCHAR",
            Timestamp => "TIMESTAMP",
            NChar => "NCHAR",
            UTinyInt => "TINYINT UNSIGNED",
            USmallInt => "SMALLINT UNSIGNED",
            UInt => "INT UNSIGNED",
            UBigInt => "BIGINT UNSIGNED",
            Json => "JSON",
            VarBinary => "VARBINARY",
            Decimal | Decimal64 => "DECIMAL",
            Blob => "BLOB",
            Geometry => "GEOMETRY",
        }
    }
}

/// Timestamp precision of a database, and of a result set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    #[default]
    Millisecond = 0,
    Microsecond = 1,
    Nanosecond = 2,
}

impl Precision {
    pub fn code(self) -> u8 {
        self as u8
    }
    /// "ms" | "us" | "ns", as in `information_schema.ins_databases.precision`.
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Millisecond => "ms",
            Precision::Microsecond => "us",
            Precision::Nanosecond => "ns",
        }
    }
    /// Units of this precision in one second.
    pub fn per_second(self) -> i64 {
        match self {
            Precision::Millisecond => 1_000,
            Precision::Microsecond => 1_000_000,
            Precision::Nanosecond => 1_000_000_000,
        }
    }
    pub fn from_str_opt(s: &str) -> Option<Precision> {
        match s {
            "ms" => Some(Precision::Millisecond),
            "us" => Some(Precision::Microsecond),
            "ns" => Some(Precision::Nanosecond),
            _ => None,
        }
    }
}

/// One cell. The field's [`DataType`] says how to encode it; integer widths are checked when the
/// value enters storage, so encoders may narrow `Int`/`UInt` without checking again.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    /// TINYINT, SMALLINT, INT, BIGINT.
    Int(i64),
    /// The UNSIGNED integer types.
    UInt(u64),
    Float(f32),
    Double(f64),
    /// In the precision of the result set (or of the table, in storage).
    Timestamp(i64),
    /// VARCHAR, NCHAR and JSON (JSON as its text).
    Str(String),
    /// VARBINARY, GEOMETRY (little-endian WKB) and BLOB.
    Bytes(Vec<u8>),
    /// Unscaled value; the scale is the field's.
    Decimal(i128),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }
}

/// A result column, or a table column/tag in the catalog.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub name: String,
    pub ty: DataType,
    /// User-visible length as REST `column_meta` and `fields_lengths` report it: fixed types → byte
    /// size; VARCHAR/VARBINARY/GEOMETRY(n) → n; NCHAR(n) → n (characters); JSON → 4095;
    /// BLOB → 4194304; `tbname` → 270; DECIMAL64 → 8; DECIMAL → 16.
    pub len: u32,
    /// Decimal precision (0 for other types).
    pub precision: u8,
    /// Decimal scale (0 for other types).
    pub scale: u8,
}

impl Field {
    pub fn new(name: impl Into<String>, ty: DataType, len: u32) -> Field {
        Field { name: name.into(), ty, len, precision: 0, scale: 0 }
    }

    /// A fixed-width field whose length is the type size.
    pub fn fixed(name: impl Into<String>, ty: DataType) -> Field {
        let len = ty.fixed_size().unwrap_or(0) as u32;
        Field::new(name, ty, len)
    }

    pub fn decimal(name: impl Into<String>, precision: u8, scale: u8) -> Field {
        let ty = if precision <= 18 { DataType::Decimal64 } else { DataType::Decimal };
        let len = ty.fixed_size().unwrap() as u32;
        Field { name: name.into(), ty, len, precision, scale }
    }

    /// REST `column_meta` type string: `DECIMAL(10,2)` for decimals, [`DataType::name`] otherwise.
    pub fn type_name(&self) -> String {
        if self.ty.is_decimal() {
            format!("DECIMAL({},{})", self.precision, self.scale)
        } else {
            self.ty.name().to_string()
        }
    }

    /// Storage size including the length prefix, as the raw-block schema, `fetch.lengths`,
    /// `stmt2_result.fields_lengths` and stmt field `bytes` report it.
    pub fn storage_bytes(&self) -> u32 {
        use DataType::*;
        match self.ty {
            VarChar | VarBinary | Geometry => {
                if self.name == "tbname" && self.len == 270 {
                    272
                } else {
                    self.len + 2
                }
            }
            NChar => self.len * 4 + 2,
            Json => 16384,
            Blob => 5,
            Decimal | Decimal64 => {
                ((self.ty.fixed_size().unwrap() as u32) << 24)
                    | ((self.precision as u32) << 8)
                    | self.scale as u32
            }
            _ => self.ty.fixed_size().unwrap_or(0) as u32,
        }
    }
}

/// A query answer, column-major: `columns[c][r]` is row `r` of field `c`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ResultSet {
    pub fields: Vec<Field>,
    pub precision: Precision,
    pub columns: Vec<Vec<Value>>,
}

impl ResultSet {
    /// A result set from rows, each holding one value per field.
    pub fn from_rows(fields: Vec<Field>, precision: Precision, rows: Vec<Vec<Value>>) -> ResultSet {
        let mut columns: Vec<Vec<Value>> = (0..fields.len()).map(|_| Vec::with_capacity(rows.len())).collect();
        for r in rows {
            for (c, v) in columns.iter_mut().zip(r) {
                c.push(v);
            }
        }
        ResultSet { fields, precision, columns }
    }

    pub fn num_rows(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
}

/// Produces a query's rows a block at a time (see [`RowStream`]).
pub trait BlockSource: Send {
    /// Up to `max_rows` more rows, column-major (one vector per field); no rows when done.
    fn next_columns(&mut self, max_rows: usize) -> Vec<Vec<Value>>;
}

/// A query answer whose rows are produced as the client fetches them, so that a large result
/// never sits in memory whole (a plain scan of a table or super table; see
/// `SqlBackend::execute_streaming`).
pub struct RowStream {
    pub fields: Vec<Field>,
    pub precision: Precision,
    source: Box<dyn BlockSource>,
    done: bool,
}

impl RowStream {
    pub fn new(fields: Vec<Field>, precision: Precision, source: Box<dyn BlockSource>) -> RowStream {
        RowStream { fields, precision, source, done: false }
    }

    /// The next block of up to `max_rows` rows, `None` once every row was given.
    pub fn next_block(&mut self, max_rows: usize) -> Option<ResultSet> {
        if self.done {
            return None;
        }
        let columns = self.source.next_columns(max_rows.max(1));
        let rs = ResultSet { fields: self.fields.clone(), precision: self.precision, columns };
        if rs.num_rows() == 0 {
            self.done = true;
            return None;
        }
        Some(rs)
    }

    /// Every remaining row as one result set.
    pub fn collect(mut self) -> ResultSet {
        let mut all = ResultSet { fields: self.fields.clone(), precision: self.precision, columns: vec![Vec::new(); self.fields.len()] };
        while let Some(b) = self.next_block(65536) {
            for (dst, src) in all.columns.iter_mut().zip(b.columns) {
                dst.extend(src);
            }
        }
        all
    }
}

impl fmt::Debug for RowStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RowStream").field("fields", &self.fields).field("done", &self.done).finish()
    }
}

/// What a statement did, with a query's rows possibly still to be produced.
#[derive(Debug)]
pub enum Answer {
    Outcome(Outcome),
    Stream(RowStream),
}

/// What a statement did.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// DDL, USE, INSERT…: the number of rows written (0 for DDL).
    Affected(u64),
    /// A statement with a result set.
    Rows(ResultSet),
}

/// A TDengine error: `code` is the low 16 bits (what the wire carries), `message` TDengine's text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TdError {
    pub code: u16,
    pub message: String,
}

impl TdError {
    pub fn new(code: u16, message: impl Into<String>) -> TdError {
        TdError { code, message: message.into() }
    }
    /// The full signed 32-bit TDengine code (`0x80000000 | code`), as `validate_sql` reports it.
    pub fn full_code(&self) -> i32 {
        (0x8000_0000u32 | self.code as u32) as i32
    }
}

impl fmt::Display for TdError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[0x{:04X}] {}", self.code, self.message)
    }
}

impl std::error::Error for TdError {}

/// TDengine error codes (low 16 bits) the server produces. Names follow `taoserror.h`.
pub mod code {
    pub const OPS_NOT_SUPPORT: u16 = 0x0100;
    /// 277 `Invalid message`.
    pub const INVALID_MSG: u16 = 0x0115;
    pub const INVALID_PARA: u16 = 0x0118;
    pub const TSC_INVALID_OPERATION: u16 = 0x0200;
    pub const TSC_INVALID_PASS_LENGTH: u16 = 0x0208;
    pub const TSC_SQL_SYNTAX_ERROR: u16 = 0x0216;
    pub const TSC_DB_NOT_SELECTED: u16 = 0x0217;
    pub const TSC_VALUE_OUT_OF_RANGE: u16 = 0x0224;
    pub const TSC_STMT_API_ERROR: u16 = 0x022A;
    pub const TSC_STMT_TBNAME_ERROR: u16 = 0x022B;
    pub const DECIMAL_OVERFLOW: u16 = 0x013D;
    pub const MND_USER_NOT_EXIST: u16 = 0x0351;
    pub const MND_AUTH_FAILURE: u16 = 0x0357;
    pub const MND_STB_ALREADY_EXIST: u16 = 0x0360;
    pub const MND_STB_NOT_EXIST: u16 = 0x0362;
    pub const MND_DB_ALREADY_EXIST: u16 = 0x0381;
    pub const MND_INVALID_DB_OPTION: u16 = 0x0382;
    pub const MND_INVALID_DB: u16 = 0x0383;
    pub const MND_DB_NOT_EXIST: u16 = 0x0388;
    pub const MND_FUNC_NOT_EXIST: u16 = 0x0374;
    pub const MND_TOPIC_NOT_EXIST: u16 = 0x03E1;
    pub const MND_TOPIC_SUBSCRIBED: u16 = 0x03EB;
    pub const MND_TOPIC_REBALANCING: u16 = 0x03EF;
    pub const TDB_TABLE_ALREADY_EXIST: u16 = 0x0603;
    pub const TDB_TIMESTAMP_OUT_OF_RANGE: u16 = 0x060B;
    pub const TDB_TABLE_NOT_EXIST: u16 = 0x0618;
    pub const PAR_SYNTAX_ERROR: u16 = 0x2600;
    pub const PAR_INCOMPLETE_SQL: u16 = 0x2601;
    pub const PAR_INVALID_COLUMN: u16 = 0x2602;
    pub const PAR_TABLE_NOT_EXIST: u16 = 0x2603;
    pub const PAR_TAGS_NOT_MATCHED: u16 = 0x260D;
    pub const PAR_DB_NOT_SPECIFIED: u16 = 0x2616;
    pub const PAR_DUPLICATED_COLUMN: u16 = 0x263C;
    pub const PAR_VALUE_TOO_LONG: u16 = 0x2653;
    /// 9857 Syntax error in regular expression
    pub const PAR_REGULAR_EXPRESSION_ERROR: u16 = 0x2681;
    /// 12880 Cannot convert to specific type
    pub const CANNOT_CONVERT_TYPE: u16 = 0x3250;
    pub const ADAPTER_GENERIC: u16 = 0xFFFF;
}
