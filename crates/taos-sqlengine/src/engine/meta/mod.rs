//! Metadata views: `SHOW` ([`show`]), `DESCRIBE` ([`describe`]) and the `information_schema` /
//! `performance_schema` tables ([`system_tables`]), with the texts they print types and values in.

pub(super) mod cluster;
pub(super) mod describe;
pub(super) mod show;
pub(super) mod system_tables;
pub(super) mod tmq;
pub(super) mod variables;

use crate::types::{DataType, Field, Value};

use super::catalog::*;

pub(crate) fn vfield(name: &str, len: u32) -> Field {
    Field::new(name, DataType::VarChar, len)
}

pub(crate) fn str_col(v: impl Into<String>) -> Value {
    Value::Str(v.into())
}

/// The type text of SHOW CREATE / SHOW TAGS (`VARCHAR(64)`, `DECIMAL(12,3)`, `INT`).
pub(crate) fn type_text(c: &ColumnSchema) -> String {
    match c.ty {
        DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry => {
            format!("{}({})", c.ty.name(), c.len)
        }
        DataType::Decimal | DataType::Decimal64 => format!("DECIMAL({},{})", c.precision, c.scale),
        DataType::Json => "JSON".into(),
        _ => c.ty.name().to_string(),
    }
}

/// A value as SHOW TAGS / SHOW CREATE TABLE print it.
pub(crate) fn value_text(v: &Value, quote: bool) -> Option<String> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Timestamp(t) => t.to_string(),
        Value::Str(s) => {
            if quote {
                format!("\"{}\"", s)
            } else {
                s.clone()
            }
        }
        Value::Bytes(b) => {
            let h: String = b.iter().map(|x| format!("{:02x}", x)).collect();
            if quote {
                format!("\"\\x{}\"", h)
            } else {
                format!("\\x{}", h)
            }
        }
        Value::Decimal(d) => d.to_string(),
    })
}

pub(crate) fn encode_defaults(ty: DataType) -> (&'static str, &'static str) {
    use DataType::*;
    match ty {
        Timestamp => ("delta-i", "lz4"),
        TinyInt | SmallInt | UTinyInt | USmallInt => ("simple8b", "zlib"),
        Int | BigInt | UInt | UBigInt => ("simple8b", "lz4"),
        Float | Double => ("delta-d", "lz4"),
        Bool => ("bit-packing", "zstd"),
        VarChar | NChar | VarBinary => ("disabled", "zstd"),
        Json => ("disabled", "disabled"),
        Decimal | Decimal64 => ("disabled", "zstd"),
        _ => ("disabled", "lz4"),
    }
}

pub(crate) fn tag_type_text(c: &ColumnSchema) -> String {
    match c.ty {
        DataType::Json => "JSON(16382)".into(),
        _ => type_text(c),
    }
}
