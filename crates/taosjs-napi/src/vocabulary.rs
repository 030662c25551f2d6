//! The words JS and Rust share, defined once here and generated into `index.d.ts`: wire type
//! ids, result precisions, what a placeholder stands for, how bind values cross, and the
//! schemaless formats and units. `src/types.ts` and `src/schemaless.ts` mirror them for users
//! who never load the addon, and the compiler checks the mirror (`src/native.ts`).

use napi_derive::napi;
use taosjs_core::{BindType as CoreBindType, DataType, SchemalessPrecision as CorePrecision, SchemalessProtocol};

/// TDengine wire type ids (protocol reference §4.1).
#[napi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeId {
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
    Decimal = 17,
    Blob = 18,
    MediumBlob = 19,
    Geometry = 20,
    Decimal64 = 21,
}

impl From<DataType> for TypeId {
    fn from(t: DataType) -> TypeId {
        match t {
            DataType::Bool => TypeId::Bool,
            DataType::TinyInt => TypeId::TinyInt,
            DataType::SmallInt => TypeId::SmallInt,
            DataType::Int => TypeId::Int,
            DataType::BigInt => TypeId::BigInt,
            DataType::Float => TypeId::Float,
            DataType::Double => TypeId::Double,
            DataType::VarChar => TypeId::VarChar,
            DataType::Timestamp => TypeId::Timestamp,
            DataType::NChar => TypeId::NChar,
            DataType::UTinyInt => TypeId::UTinyInt,
            DataType::USmallInt => TypeId::USmallInt,
            DataType::UInt => TypeId::UInt,
            DataType::UBigInt => TypeId::UBigInt,
            DataType::Json => TypeId::Json,
            DataType::VarBinary => TypeId::VarBinary,
            DataType::Decimal => TypeId::Decimal,
            DataType::Blob => TypeId::Blob,
            DataType::Geometry => TypeId::Geometry,
            DataType::Decimal64 => TypeId::Decimal64,
        }
    }
}

impl TypeId {
    /// The core's type; `None` for ids that cannot be bound (NULL, MEDIUMBLOB).
    pub fn data_type(self) -> Option<DataType> {
        DataType::from_id(self as u8)
    }
}

/// Timestamp precision of a result.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    #[napi(value = "ms")]
    Milliseconds,
    #[napi(value = "us")]
    Microseconds,
    #[napi(value = "ns")]
    Nanoseconds,
}

impl From<taosjs_core::Precision> for Precision {
    fn from(p: taosjs_core::Precision) -> Precision {
        match p {
            taosjs_core::Precision::Millisecond => Precision::Milliseconds,
            taosjs_core::Precision::Microsecond => Precision::Microseconds,
            taosjs_core::Precision::Nanosecond => Precision::Nanoseconds,
        }
    }
}

/// What a statement's `?` stands for.
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindType {
    #[napi(value = "column")]
    Column,
    #[napi(value = "tag")]
    Tag,
    #[napi(value = "parameter")]
    Parameter,
    #[napi(value = "tbname")]
    TableName,
}

impl From<CoreBindType> for BindType {
    fn from(b: CoreBindType) -> BindType {
        match b {
            CoreBindType::Column => BindType::Column,
            CoreBindType::Tag => BindType::Tag,
            CoreBindType::QueryParam => BindType::Parameter,
            CoreBindType::TableName => BindType::TableName,
        }
    }
}

/// How the bytes of a bind column are read: fixed kinds are little-endian values of that width
/// (`ts`: i64 epoch counts in the statement's precision); `str` (UTF-8) and `bytes` are
/// concatenated values cut by offsets (decimals travel as `str` text).
#[napi(string_enum = "lowercase")]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BindKind {
    Bool,
    I8,
    I16,
    I32,
    I64,
    U8,
    U16,
    U32,
    U64,
    F32,
    F64,
    Ts,
    Str,
    Bytes,
}

/// Schemaless line format.
#[napi]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmlProtocol {
    /// InfluxDB line protocol.
    Line = 1,
    /// OpenTSDB telnet lines.
    Telnet = 2,
    /// OpenTSDB JSON.
    Json = 3,
}

impl From<SmlProtocol> for SchemalessProtocol {
    fn from(p: SmlProtocol) -> SchemalessProtocol {
        match p {
            SmlProtocol::Line => SchemalessProtocol::Line,
            SmlProtocol::Telnet => SchemalessProtocol::Telnet,
            SmlProtocol::Json => SchemalessProtocol::Json,
        }
    }
}

/// Timestamp unit of schemaless data (the wire's words).
#[napi(string_enum)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmlPrecision {
    #[napi(value = "")]
    NotConfigured,
    #[napi(value = "h")]
    Hours,
    #[napi(value = "m")]
    Minutes,
    #[napi(value = "s")]
    Seconds,
    #[napi(value = "ms")]
    MilliSeconds,
    #[napi(value = "u")]
    MicroSeconds,
    #[napi(value = "ns")]
    NanoSeconds,
}

impl From<SmlPrecision> for CorePrecision {
    fn from(p: SmlPrecision) -> CorePrecision {
        match p {
            SmlPrecision::NotConfigured => CorePrecision::NotConfigured,
            SmlPrecision::Hours => CorePrecision::Hours,
            SmlPrecision::Minutes => CorePrecision::Minutes,
            SmlPrecision::Seconds => CorePrecision::Seconds,
            SmlPrecision::MilliSeconds => CorePrecision::Milliseconds,
            SmlPrecision::MicroSeconds => CorePrecision::Microseconds,
            SmlPrecision::NanoSeconds => CorePrecision::Nanoseconds,
        }
    }
}
