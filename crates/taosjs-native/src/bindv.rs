//! C bind structures built from the core's checked binds.
//!
//! The core validates and converts every value once, for both transports, into the stmt2 bind
//! message ([`taosjs_core::stmt2::encode_bind`]); its records are `TAOS_STMT2_BIND`s
//! serialised. Here they become the C structures again (`TAOS_STMT2_BINDV` for stmt2,
//! `TAOS_MULTI_BIND` arrays for stmt v1), copied into aligned buffers that live as long as the
//! structures pointing into them.

use std::ffi::{c_char, c_int, c_void};

use taosjs_core::stmt2::{BindRecord, BindTableRecords};
use taosjs_core::{DataType, Error};

use crate::api::{TaosMultiBind, TaosStmt2Bind, TaosStmt2Bindv};

/// One record's values in buffers libtaos may read with natural alignment.
struct Values {
    buffer_type: c_int,
    num: usize,
    is_null: Vec<c_char>,
    lengths: Option<Vec<i32>>,
    /// 16-byte aligned storage (DECIMAL values are 16 bytes wide).
    buffer: Vec<u128>,
    buffer_len: usize,
}

impl Values {
    fn of(r: &BindRecord<'_>) -> Values {
        let lengths = r.lengths.map(|l| l.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect());
        let mut buffer = vec![0u128; r.buffer.len().div_ceil(16)];
        // SAFETY: `buffer` has at least `r.buffer.len()` bytes.
        unsafe { std::ptr::copy_nonoverlapping(r.buffer.as_ptr(), buffer.as_mut_ptr().cast::<u8>(), r.buffer.len()) };
        Values {
            buffer_type: r.buffer_type,
            num: r.num,
            is_null: r.is_null.iter().map(|&b| b as c_char).collect(),
            lengths,
            buffer,
            buffer_len: r.buffer.len(),
        }
    }

    fn stmt2_bind(&mut self) -> TaosStmt2Bind {
        TaosStmt2Bind {
            buffer_type: self.buffer_type,
            buffer: if self.buffer_len == 0 { std::ptr::null_mut() } else { self.buffer.as_mut_ptr().cast() },
            length: self.lengths.as_mut().map_or(std::ptr::null_mut(), |l| l.as_mut_ptr()),
            is_null: self.is_null.as_mut_ptr(),
            num: self.num as c_int,
        }
    }
}

/// A `TAOS_STMT2_BINDV` and everything it points to.
pub(crate) struct Stmt2Bindv {
    _names: Vec<Vec<u8>>,
    _name_ptrs: Vec<*mut c_char>,
    _values: Vec<Values>,
    _tags: Vec<Vec<TaosStmt2Bind>>,
    _tag_ptrs: Vec<*mut TaosStmt2Bind>,
    _cols: Vec<Vec<TaosStmt2Bind>>,
    _col_ptrs: Vec<*mut TaosStmt2Bind>,
    pub bindv: TaosStmt2Bindv,
}

// SAFETY: the structure only points into buffers it owns; it is handed to one thread at a time.
unsafe impl Send for Stmt2Bindv {}

impl Stmt2Bindv {
    pub fn new(tables: &[BindTableRecords<'_>]) -> Stmt2Bindv {
        let mut names: Vec<Vec<u8>> =
            tables.iter().filter_map(|t| t.name.map(|n| n.iter().copied().chain([0]).collect())).collect();
        let has_names = names.len() == tables.len() && !tables.is_empty();
        let has_tags = tables.iter().any(|t| !t.tags.is_empty());
        let has_cols = tables.iter().any(|t| !t.columns.is_empty());
        let mut values: Vec<Values> = Vec::new();
        let mut spans = Vec::with_capacity(tables.len());
        for t in tables {
            let tag_start = values.len();
            values.extend(t.tags.iter().map(Values::of));
            let col_start = values.len();
            values.extend(t.columns.iter().map(Values::of));
            spans.push((tag_start, col_start, values.len()));
        }
        let mut tags: Vec<Vec<TaosStmt2Bind>> = Vec::with_capacity(tables.len());
        let mut cols: Vec<Vec<TaosStmt2Bind>> = Vec::with_capacity(tables.len());
        for &(tag_start, col_start, end) in &spans {
            tags.push(values[tag_start..col_start].iter_mut().map(Values::stmt2_bind).collect());
            cols.push(values[col_start..end].iter_mut().map(Values::stmt2_bind).collect());
        }
        let mut name_ptrs: Vec<*mut c_char> = names.iter_mut().map(|n| n.as_mut_ptr().cast()).collect();
        let mut tag_ptrs: Vec<*mut TaosStmt2Bind> = tags.iter_mut().map(|t| t.as_mut_ptr()).collect();
        let mut col_ptrs: Vec<*mut TaosStmt2Bind> = cols.iter_mut().map(|c| c.as_mut_ptr()).collect();
        let bindv = TaosStmt2Bindv {
            count: tables.len() as c_int,
            tbnames: if has_names { name_ptrs.as_mut_ptr() } else { std::ptr::null_mut() },
            tags: if has_tags { tag_ptrs.as_mut_ptr() } else { std::ptr::null_mut() },
            bind_cols: if has_cols { col_ptrs.as_mut_ptr() } else { std::ptr::null_mut() },
        };
        Stmt2Bindv {
            _names: names,
            _name_ptrs: name_ptrs,
            _values: values,
            _tags: tags,
            _tag_ptrs: tag_ptrs,
            _cols: cols,
            _col_ptrs: col_ptrs,
            bindv,
        }
    }
}

/// `TAOS_MULTI_BIND`s (stmt v1) for one record list: variable-length values are laid out at a
/// fixed stride (`buffer_length`), as v1 requires.
pub(crate) struct MultiBinds {
    _storage: Vec<(Vec<u128>, Vec<i32>, Vec<c_char>)>,
    pub binds: Vec<TaosMultiBind>,
}

// SAFETY: as for `Stmt2Bindv`.
unsafe impl Send for MultiBinds {}

impl MultiBinds {
    pub fn new(records: &[BindRecord<'_>]) -> Result<MultiBinds, Error> {
        let mut storage = Vec::with_capacity(records.len());
        let mut strides = Vec::with_capacity(records.len());
        for r in records {
            let ty = u8::try_from(r.buffer_type).ok().and_then(DataType::from_id);
            let is_null: Vec<c_char> = r.is_null.iter().map(|&b| b as c_char).collect();
            match (ty.and_then(DataType::fixed_size), r.lengths) {
                (Some(size), _) => {
                    let mut buffer = vec![0u128; (size * r.num).div_ceil(16)];
                    // SAFETY: the record holds `num * size` bytes or none (all NULL).
                    unsafe {
                        std::ptr::copy_nonoverlapping(r.buffer.as_ptr(), buffer.as_mut_ptr().cast::<u8>(), r.buffer.len())
                    };
                    let lengths = vec![size as i32; r.num];
                    storage.push((buffer, lengths, is_null));
                    strides.push(size);
                }
                (None, Some(raw_lengths)) => {
                    let lengths: Vec<i32> =
                        raw_lengths.chunks_exact(4).map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
                    let stride = lengths.iter().copied().max().unwrap_or(0).max(1) as usize;
                    let mut bytes = vec![0u8; stride * r.num];
                    let mut at = 0usize;
                    for (row, &len) in lengths.iter().enumerate() {
                        let len = len as usize;
                        bytes[row * stride..row * stride + len].copy_from_slice(&r.buffer[at..at + len]);
                        at += len;
                    }
                    let mut buffer = vec![0u128; bytes.len().div_ceil(16)];
                    // SAFETY: `buffer` has room for `bytes`.
                    unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buffer.as_mut_ptr().cast::<u8>(), bytes.len()) };
                    storage.push((buffer, lengths, is_null));
                    strides.push(stride);
                }
                (None, None) => {
                    return Err(Error::internal(format!("bind record of type {} has no lengths", r.buffer_type)))
                }
            }
        }
        let binds = storage
            .iter_mut()
            .zip(records)
            .zip(&strides)
            .map(|(((buffer, lengths, is_null), r), &stride)| TaosMultiBind {
                buffer_type: r.buffer_type,
                buffer: buffer.as_mut_ptr().cast::<c_void>(),
                buffer_length: stride,
                length: lengths.as_mut_ptr(),
                is_null: is_null.as_mut_ptr(),
                num: r.num as c_int,
            })
            .collect();
        Ok(MultiBinds { _storage: storage, binds })
    }
}
