//! What the engine's specifications share: an engine with its setup run, the session database
//! statements run in, answers as (code, message) or values, and rows rendered as text.

use std::ops::Deref;

use crate::engine::{Engine, EngineConfig};
use crate::session::SessionCtx;
use crate::types::{Outcome, ResultSet, TdError, Value};

pub(crate) struct Spec {
    engine: Engine,
    db: Option<String>,
}

impl Deref for Spec {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        &self.engine
    }
}

impl Spec {
    /// An engine after `setup` (run without a current database); statements then run in `db`.
    pub(crate) fn new(db: Option<&str>, setup: &[&str]) -> Spec {
        let engine = Engine::new(EngineConfig::new("3.3.7.5"));
        for s in setup {
            engine.execute(&mut SessionCtx::default(), s).unwrap();
        }
        Spec {
            engine,
            db: db.map(str::to_string),
        }
    }
}

pub(crate) fn exec(s: &Spec, sql: &str) -> Result<Outcome, (u16, String)> {
    let mut ctx = SessionCtx {
        db: s.db.clone(),
        ..Default::default()
    };
    s.engine.execute(&mut ctx, sql).map_err(|x| (x.code, x.message))
}

pub(crate) fn ok(s: &Spec, sql: &str) {
    if let Err(x) = exec(s, sql) {
        panic!("{} -> {:?}", sql, x);
    }
}

pub(crate) fn code(s: &Spec, sql: &str) -> (u16, String) {
    match exec(s, sql) {
        Err(x) => x,
        Ok(o) => panic!("{} was accepted: {:?}", sql, o),
    }
}

pub(crate) fn rows(s: &Spec, sql: &str) -> ResultSet {
    match exec(s, sql) {
        Ok(Outcome::Rows(rs)) => rs,
        other => panic!("{} -> {:?}", sql, other),
    }
}

/// The second column of the first row as text (SHOW CREATE's statement).
pub(crate) fn first_text(s: &Spec, sql: &str) -> String {
    match &rows(s, sql).columns[1][0] {
        Value::Str(t) => t.clone(),
        v => panic!("{:?}", v),
    }
}

/// How a specification writes a cell as text. Every style writes NULL as `NULL`, integers and
/// booleans as Rust prints them, and floating point as Rust's `Display` (`1` for 1.0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Cells {
    /// Strings bare, timestamps as their integer, bytes and decimals as `Debug`.
    Plain,
    /// Strings quoted, bytes as `x` and hex, decimals as `dec` and the unscaled value: the type
    /// of each cell shows (CAST's answers).
    Typed,
    /// As `Plain`, but millisecond timestamps as `hh:mm:ss` on 2024-01-01 and
    /// `YYYY-MM-DDThh:mm:ss` on other days.
    Clock,
}

/// One cell as text in `style`.
pub(crate) fn cell(v: &Value, style: Cells) -> String {
    match v {
        Value::Null => "NULL".into(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::UInt(u) => u.to_string(),
        Value::Float(f) => f.to_string(),
        Value::Double(d) => d.to_string(),
        Value::Timestamp(ms) if style == Cells::Clock => {
            let t = chrono::DateTime::from_timestamp_millis(*ms).expect("in range");
            if t.date_naive() == chrono::NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") {
                t.format("%H:%M:%S").to_string()
            } else {
                t.format("%Y-%m-%dT%H:%M:%S").to_string()
            }
        }
        Value::Timestamp(t) => t.to_string(),
        Value::Str(s) if style == Cells::Typed => format!("'{s}'"),
        Value::Str(s) => s.clone(),
        Value::Bytes(b) if style == Cells::Typed => {
            format!("x{}", b.iter().map(|x| format!("{x:02x}")).collect::<String>())
        }
        Value::Decimal(d) if style == Cells::Typed => format!("dec {d}"),
        other => format!("{other:?}"),
    }
}

/// Each row's cells as text in `style`.
pub(crate) fn grid(rs: &ResultSet, style: Cells) -> Vec<Vec<String>> {
    (0..rs.num_rows())
        .map(|r| rs.columns.iter().map(|c| cell(&c[r], style)).collect())
        .collect()
}

/// One column's cells as text in `style`.
pub(crate) fn column_texts(rs: &ResultSet, c: usize, style: Cells) -> Vec<String> {
    rs.columns[c].iter().map(|v| cell(v, style)).collect()
}

/// The rows `sql` answered as `a|b` each, or `error <code>`; anything but rows panics.
pub(crate) fn row_texts(sql: &str, answer: Result<Outcome, TdError>, style: Cells) -> Result<Vec<String>, String> {
    match answer {
        Ok(Outcome::Rows(rs)) => Ok(grid(&rs, style).into_iter().map(|r| r.join("|")).collect()),
        Ok(other) => panic!("{sql}: {other:?}"),
        Err(err) => Err(format!("error {}", err.code)),
    }
}

/// The rows `sql` answered as `a|b; c|d`, or `error <code>`.
pub(crate) fn answer_text(sql: &str, answer: Result<Outcome, TdError>, style: Cells) -> String {
    row_texts(sql, answer, style).map_or_else(|err| err, |rows| rows.join("; "))
}
