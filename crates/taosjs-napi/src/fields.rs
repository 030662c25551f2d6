//! How placeholders are described to JS: the placeholders of a prepared statement
//! (`NativeStmtField`), with the type names the core gives them. Both drivers use it. (A result's
//! columns travel packed: `block.rs`.)

use napi_derive::napi;
use taosjs_core::{StmtField, Stmt2Prepared};

use crate::vocabulary::{BindType, TypeId};

#[napi(object, object_from_js = false)]
pub struct NativeStmtField {
    pub name: String,
    #[napi(js_name = "type")]
    pub ty: TypeId,
    /// `VARCHAR(20)`, `DECIMAL(10,2)`, `TIMESTAMP`, …
    pub type_name: String,
    /// Timestamp precision (0 ms, 1 us, 2 ns) for TIMESTAMP; decimal precision for decimals.
    pub precision: u32,
    pub scale: u32,
    /// Storage size including the length prefix.
    pub bytes: u32,
    /// The length the user declared: n for VARCHAR(n) and NCHAR(n), the size of fixed types.
    pub length: u32,
    pub bind_type: BindType,
}

#[napi(object, object_from_js = false)]
pub struct NativeStmt2Prepared {
    pub is_insert: bool,
    pub fields: Vec<NativeStmtField>,
    pub fields_count: u32,
}

pub(crate) fn stmt_field(f: &StmtField) -> NativeStmtField {
    NativeStmtField {
        name: f.name.clone(),
        ty: f.ty.into(),
        type_name: f.type_name(),
        precision: u32::from(f.precision),
        scale: u32::from(f.scale),
        bytes: f.bytes,
        length: f.user_len(),
        bind_type: f.bind_type.into(),
    }
}

impl From<&Stmt2Prepared> for NativeStmt2Prepared {
    fn from(p: &Stmt2Prepared) -> Self {
        NativeStmt2Prepared {
            is_insert: p.is_insert,
            fields: p.fields.iter().map(stmt_field).collect(),
            fields_count: u32::try_from(p.fields_count).unwrap_or(u32::MAX),
        }
    }
}
