//! Blocks as they cross into JS: one typed array or buffer per column, so a block costs
//! O(columns) N-API calls whatever its row count.

use napi::bindgen_prelude::{
    BigInt64Array, BigUint64Array, Buffer, Either11, Float32Array, Float64Array, Int16Array, Int32Array,
    Int8Array, Uint16Array, Uint32Array, Uint8Array,
};
use napi_derive::napi;
use taosjs_core::{DecodedBlock, DecodedColumn, FixedData};

pub type ColumnData = Either11<
    Int8Array,
    Uint8Array,
    Int16Array,
    Uint16Array,
    Int32Array,
    Uint32Array,
    BigInt64Array,
    BigUint64Array,
    Float32Array,
    Float64Array,
    Buffer,
>;

/// One column: `nulls[i] == 1` marks NULL; fixed types as the matching typed array; variable
/// types as one Buffer where row `i` is `data[offsets[i]..offsets[i + 1]]`.
#[napi(object, object_from_js = false)]
pub struct NativeColumn {
    pub nulls: Uint8Array,
    #[napi(
        ts_type = "Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | BigInt64Array | BigUint64Array | Float32Array | Float64Array | Buffer"
    )]
    pub data: ColumnData,
    pub offsets: Option<Int32Array>,
}

#[napi(object, object_from_js = false)]
pub struct NativeBlock {
    pub rows: u32,
    pub columns: Vec<NativeColumn>,
}

fn fixed(data: FixedData) -> ColumnData {
    match data {
        FixedData::Bool(v) | FixedData::U8(v) => Either11::B(v.into()),
        FixedData::I8(v) => Either11::A(v.into()),
        FixedData::I16(v) => Either11::C(v.into()),
        FixedData::U16(v) => Either11::D(v.into()),
        FixedData::I32(v) => Either11::E(v.into()),
        FixedData::U32(v) => Either11::F(v.into()),
        FixedData::I64(v) => Either11::G(v.into()),
        FixedData::U64(v) => Either11::H(v.into()),
        FixedData::F32(v) => Either11::I(v.into()),
        FixedData::F64(v) => Either11::J(v.into()),
    }
}

impl From<DecodedBlock> for NativeBlock {
    fn from(block: DecodedBlock) -> Self {
        let columns = block
            .columns
            .into_iter()
            .map(|column| match column {
                DecodedColumn::Fixed { nulls, data, .. } => {
                    NativeColumn { nulls: nulls.into(), data: fixed(data), offsets: None }
                }
                DecodedColumn::Var { nulls, data, offsets, .. } => NativeColumn {
                    nulls: nulls.into(),
                    data: Either11::K(data.into()),
                    offsets: Some(offsets.into()),
                },
            })
            .collect();
        // Blocks hold at most a few million rows; saturate rather than wrap.
        NativeBlock { rows: u32::try_from(block.rows).unwrap_or(u32::MAX), columns }
    }
}
