//! stmt v1 bind values as they cross from JS: columnar, one `NativeBindColumn` (a byte view plus
//! offsets and a null mask) per placeholder, turned into the core's `BindColumn`s with one copy
//! per column. The core checks every shape, range, length and type and encodes the bind message;
//! this module only reads the bytes. Both drivers use it (tokio statements, `NativeSession`).
//! stmt2 binds cross as ONE packed buffer instead (`taosjs_core::packed`, `src/bind-pack.ts`).

use napi::bindgen_prelude::{Uint32Array, Uint8Array};
use napi_derive::napi;
use taosjs_core::{BindColumn, ColumnValues, ErrorKind, VarData};

use crate::error::js_error;
use crate::vocabulary::{BindKind, TypeId};

/// The values for one placeholder (see `src/native.ts` for the layout).
#[napi(object, object_to_js = false)]
pub struct NativeBindColumn {
    pub kind: BindKind,
    /// Little-endian values, or the concatenated bytes of `str`/`bytes` values.
    pub data: Uint8Array,
    /// `rows + 1` offsets into `data` for `str`/`bytes`.
    pub offsets: Option<Uint32Array>,
    /// Nonzero = NULL.
    pub nulls: Option<Uint8Array>,
    /// Wire type to send a query parameter as.
    #[napi(js_name = "type")]
    pub ty: Option<TypeId>,
}

fn bad(message: String) -> napi::Error {
    js_error(ErrorKind::Interface, message)
}

/// Reads `data` as little-endian values of `N` bytes.
fn values<const N: usize, T>(data: &[u8], kind: &str, from: fn([u8; N]) -> T) -> napi::Result<Vec<T>> {
    if !data.len().is_multiple_of(N) {
        return Err(bad(format!("a {kind} column needs a multiple of {N} bytes, got {}", data.len())));
    }
    Ok(data.chunks_exact(N).map(|c| from(c.try_into().unwrap_or([0; N]))).collect())
}

fn to_core_column(c: &NativeBindColumn) -> napi::Result<BindColumn> {
    let data: &[u8] = &c.data;
    let var = |c: &NativeBindColumn, kind: &str| -> napi::Result<VarData> {
        let offsets: Vec<u32> = c.offsets.as_ref().map(|o| o.to_vec()).unwrap_or_default();
        if offsets.is_empty() {
            return Err(bad(format!("a {kind} column needs rows + 1 offsets")));
        }
        Ok(VarData { data: data.to_vec(), offsets })
    };
    let values = match c.kind {
        BindKind::Bool => ColumnValues::Bool(data.to_vec()),
        BindKind::U8 => ColumnValues::U8(data.to_vec()),
        BindKind::I8 => ColumnValues::I8(data.iter().map(|&b| b as i8).collect()),
        BindKind::I16 => ColumnValues::I16(values(data, "i16", i16::from_le_bytes)?),
        BindKind::U16 => ColumnValues::U16(values(data, "u16", u16::from_le_bytes)?),
        BindKind::I32 => ColumnValues::I32(values(data, "i32", i32::from_le_bytes)?),
        BindKind::U32 => ColumnValues::U32(values(data, "u32", u32::from_le_bytes)?),
        BindKind::I64 => ColumnValues::I64(values(data, "i64", i64::from_le_bytes)?),
        BindKind::U64 => ColumnValues::U64(values(data, "u64", u64::from_le_bytes)?),
        BindKind::F32 => ColumnValues::F32(values(data, "f32", f32::from_le_bytes)?),
        BindKind::F64 => ColumnValues::F64(values(data, "f64", f64::from_le_bytes)?),
        BindKind::Ts => ColumnValues::Timestamp(values(data, "ts", i64::from_le_bytes)?),
        BindKind::Str => ColumnValues::Str(var(c, "str")?),
        BindKind::Bytes => ColumnValues::Bytes(var(c, "bytes")?),
    };
    let ty = match c.ty {
        Some(id) => Some(id.data_type().ok_or_else(|| bad(format!("type id {} cannot be bound", id as u8)))?),
        None => None,
    };
    Ok(BindColumn { ty, nulls: c.nulls.as_ref().map(|n| n.to_vec()), values })
}

pub(crate) fn to_core_columns(columns: &[NativeBindColumn]) -> napi::Result<Vec<BindColumn>> {
    columns.iter().map(to_core_column).collect()
}
