//! Row-level steps shared by the query stages: rows from columns, DISTINCT, ORDER BY, LIMIT, and
//! the hashable key a value groups and deduplicates by.

use crate::engine::eval::sort_cmp;
use crate::types::{ResultSet, Value};

#[derive(Hash, PartialEq, Eq, Clone)]
pub(crate) enum KeyPart {
    Null,
    Bool(bool),
    I(i128),
    F(u64),
    S(String),
    B(Vec<u8>),
}

pub(crate) fn key_part(v: &Value) -> KeyPart {
    match v {
        Value::Null => KeyPart::Null,
        Value::Bool(b) => KeyPart::Bool(*b),
        Value::Int(i) | Value::Timestamp(i) => KeyPart::I(*i as i128),
        Value::UInt(u) => KeyPart::I(*u as i128),
        Value::Decimal(d) => KeyPart::I(*d),
        Value::Float(f) => KeyPart::F((*f as f64).to_bits()),
        Value::Double(d) => KeyPart::F(d.to_bits()),
        Value::Str(s) => KeyPart::S(s.clone()),
        Value::Bytes(b) => KeyPart::B(b.clone()),
    }
}

pub(crate) fn to_rows(rs: &ResultSet) -> Vec<Vec<Value>> {
    let n = rs.num_rows();
    (0..n)
        .map(|r| rs.columns.iter().map(|c| c[r].clone()).collect())
        .collect()
}

pub(crate) fn dedupe(rows: &mut Vec<Vec<Value>>, visible: usize) {
    let mut seen = std::collections::HashSet::new();
    rows.retain(|r| seen.insert(r[..visible].iter().map(key_part).collect::<Vec<_>>()));
}

/// Sorts by (column, desc, nulls_first) keys; stable.
pub(crate) fn sort_rows(rows: &mut [Vec<Value>], keys: &[(usize, bool, bool)]) {
    if keys.is_empty() {
        return;
    }
    rows.sort_by(|a, b| {
        for &(i, desc, nulls_first) in keys {
            let (x, y) = (&a[i], &b[i]);
            let o = match (x.is_null(), y.is_null()) {
                (true, true) => std::cmp::Ordering::Equal,
                (true, false) => {
                    if nulls_first {
                        std::cmp::Ordering::Less
                    } else {
                        std::cmp::Ordering::Greater
                    }
                }
                (false, true) => {
                    if nulls_first {
                        std::cmp::Ordering::Greater
                    } else {
                        std::cmp::Ordering::Less
                    }
                }
                _ => {
                    let o = sort_cmp(x, y);
                    if desc {
                        o.reverse()
                    } else {
                        o
                    }
                }
            };
            if o != std::cmp::Ordering::Equal {
                return o;
            }
        }
        std::cmp::Ordering::Equal
    });
}

pub(crate) fn apply_limit<T>(rows: &mut Vec<T>, limit: Option<(u64, u64)>) {
    if let Some((lim, off)) = limit {
        let off = (off as usize).min(rows.len());
        rows.drain(..off);
        rows.truncate(lim as usize);
    }
}
