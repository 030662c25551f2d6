//! TDengine data types as they appear on the wire (reference §4.1).

/// A column type, with TDengine's wire ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum DataType {
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
    Geometry = 20,
    Decimal64 = 21,
}

impl DataType {
    /// The type for a wire id; `None` for ids we do not know (0 NULL, 19 MEDIUMBLOB, …).
    pub fn from_id(id: u8) -> Option<DataType> {
        use DataType::*;
        Some(match id {
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

    /// Byte size of one value in a raw block for fixed-width types; `None` for variable types.
    pub fn fixed_size(self) -> Option<usize> {
        use DataType::*;
        match self {
            Bool | TinyInt | UTinyInt => Some(1),
            SmallInt | USmallInt => Some(2),
            Int | UInt | Float => Some(4),
            BigInt | UBigInt | Double | Timestamp | Decimal64 => Some(8),
            Decimal => Some(16),
            VarChar | NChar | Json | VarBinary | Blob | Geometry => None,
        }
    }

    pub fn is_var(self) -> bool {
        self.fixed_size().is_none()
    }

    pub fn is_decimal(self) -> bool {
        matches!(self, DataType::Decimal | DataType::Decimal64)
    }

    /// The user-visible length of a column whose storage size (length prefix included) is
    /// `storage_bytes`: VARCHAR(n) → n, NCHAR(n) → n characters, fixed types their size.
    pub fn user_len(self, storage_bytes: u32) -> u32 {
        match self {
            DataType::VarChar | DataType::VarBinary | DataType::Geometry | DataType::Json => {
                storage_bytes.saturating_sub(2)
            }
            DataType::NChar => storage_bytes.saturating_sub(2) / 4,
            _ => storage_bytes,
        }
    }

    /// The full type name of a column of this type: `VARCHAR(20)`, `DECIMAL(10,2)`, `INT`.
    /// `len` is the user length (0 = unknown), `precision`/`scale` matter for decimals only.
    pub fn full_name(self, len: u32, precision: u8, scale: u8) -> String {
        match self {
            DataType::Decimal | DataType::Decimal64 if precision > 0 => format!("DECIMAL({precision},{scale})"),
            DataType::VarChar | DataType::NChar | DataType::VarBinary | DataType::Geometry if len > 0 => {
                format!("{}({len})", self.name())
            }
            _ => self.name().to_owned(),
        }
    }

    /// The type name TDengine uses (REST `column_meta`), without decimal precision/scale.
    pub fn name(self) -> &'static str {
        use DataType::*;
        match self {
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

/// Timestamp precision of a result (wire codes 0/1/2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Precision {
    #[default]
    Millisecond = 0,
    Microsecond = 1,
    Nanosecond = 2,
}

impl Precision {
    pub fn from_code(code: i64) -> Option<Precision> {
        match code {
            0 => Some(Precision::Millisecond),
            1 => Some(Precision::Microsecond),
            2 => Some(Precision::Nanosecond),
            _ => None,
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }

    /// The database precision string ("ms", "us", "ns").
    pub fn as_str(self) -> &'static str {
        match self {
            Precision::Millisecond => "ms",
            Precision::Microsecond => "us",
            Precision::Nanosecond => "ns",
        }
    }
}

/// One column of a result as the query reply describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub name: String,
    pub ty: DataType,
    /// User-visible length (`fields_lengths`): type size, VARCHAR(n)/NCHAR(n) → n.
    pub bytes: u32,
    /// Decimal precision (0 for other types).
    pub precision: u8,
    /// Decimal scale (0 for other types).
    pub scale: u8,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_known_id_round_trips_and_unknown_ids_are_rejected() {
        for id in 0..=255u8 {
            match DataType::from_id(id) {
                Some(t) => assert_eq!(t.id(), id),
                None => assert!(matches!(id, 0 | 19 | 22..=255)),
            }
        }
    }

    #[test]
    fn sizes_follow_the_block_layout() {
        assert_eq!(DataType::Decimal.fixed_size(), Some(16));
        assert_eq!(DataType::Decimal64.fixed_size(), Some(8));
        assert!(DataType::Blob.is_var());
        assert_eq!(Precision::from_code(2), Some(Precision::Nanosecond));
        assert_eq!(Precision::from_code(3), None);
    }
}
