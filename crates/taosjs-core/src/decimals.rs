//! DECIMAL placeholders described without precision and scale: taosAdapter 3.3.7 (stmt2
//! `fields`, stmt v1 `get_*_fields`) and libtaos 3.3.7 itself (`taos_stmt2_get_fields`,
//! `taos_stmt_get_*_fields`) report them with precision 0, yet values can be encoded and
//! range-checked only with the column's declared DECIMAL(p,s). Both transports then read the
//! target table's `DESCRIBE` and fill the fields in from its rows with these functions.

use crate::bind::StmtField;
use crate::block::{DecodedBlock, DecodedColumn};
use crate::error::Error;

/// Whether some DECIMAL placeholder lacks its precision.
pub fn needs_describe(fields: &[StmtField]) -> bool {
    fields.iter().any(|f| f.ty.is_decimal() && f.precision == 0)
}

/// Fills precision and scale from the rows of one `DESCRIBE` block (`field`, `type`, …).
pub fn apply_describe_block(fields: &mut [StmtField], block: &DecodedBlock) {
    if let [name @ DecodedColumn::Var { .. }, ty @ DecodedColumn::Var { .. }, ..] = block.columns.as_slice() {
        for row in 0..block.rows {
            let text = |c: &DecodedColumn| c.var_value(row).map(|b| String::from_utf8_lossy(b).into_owned()).unwrap_or_default();
            apply_describe_row(fields, &text(name), &text(ty));
        }
    }
}

/// Fills precision and scale from one `DESCRIBE` row (`name`, `DECIMAL(p, s)`).
pub fn apply_describe_row(fields: &mut [StmtField], name: &str, type_text: &str) {
    let Some((precision, scale)) = parse_decimal_type(type_text) else { return };
    for f in fields {
        if f.ty.is_decimal() && f.precision == 0 && f.name == name {
            f.precision = precision;
            f.scale = scale;
        }
    }
}

/// A failed `DESCRIBE`, as the prepare's error.
pub fn describe_failed(table: Option<&str>, e: Error) -> Error {
    let table = table.unwrap_or("?");
    Error { message: format!("cannot read the DECIMAL precision and scale of {table}: {}", e.message), ..e }
}

/// `DECIMAL(10, 2)` → (10, 2).
fn parse_decimal_type(text: &str) -> Option<(u8, u8)> {
    let upper = text.trim().to_ascii_uppercase();
    let inner = upper.strip_prefix("DECIMAL")?.trim_start().strip_prefix('(')?.strip_suffix(')')?;
    let (p, s) = inner.split_once(',')?;
    Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
}

/// The table an insert writes to: `… using <stb> …`, else `insert into <table> …`; `None` for
/// `insert into ? …` without `using` (and for anything that is not an insert).
pub fn insert_target(sql: &str) -> Option<String> {
    let words: Vec<&str> = sql.split_whitespace().collect();
    let ident = |w: &str| -> Option<String> {
        let end = w.find(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.' || c == '`')).unwrap_or(w.len());
        let name = &w[..end];
        (!name.is_empty()).then(|| name.to_owned())
    };
    if let Some(i) = words.iter().position(|w| w.eq_ignore_ascii_case("using")) {
        return words.get(i + 1).and_then(|w| ident(w));
    }
    match words.as_slice() {
        [insert, into, target, ..] if insert.eq_ignore_ascii_case("insert") && into.eq_ignore_ascii_case("into") => {
            ident(target)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_targets_and_decimal_types_are_read() {
        assert_eq!(insert_target("insert into ? using db.stb tags (?) values (?)"), Some("db.stb".into()));
        assert_eq!(insert_target("INSERT INTO t1 VALUES (?, ?)"), Some("t1".into()));
        assert_eq!(insert_target("insert into t1(ts, v) values (?, ?)"), Some("t1".into()));
        assert_eq!(insert_target("insert into ? values (?, ?)"), None);
        assert_eq!(insert_target("select * from t where v > ?"), None);
        assert_eq!(parse_decimal_type("DECIMAL(10, 2)"), Some((10, 2)));
        assert_eq!(parse_decimal_type("decimal(38,10)"), Some((38, 10)));
        assert_eq!(parse_decimal_type("DOUBLE"), None);
    }
}
