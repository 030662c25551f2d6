//! What the engine's specifications share: an engine with its setup run, the session database
//! statements run in, and answers as (code, message) or values.

use std::ops::Deref;

use crate::engine::{Engine, EngineConfig};
use crate::session::SessionCtx;
use crate::types::{Outcome, ResultSet, Value};

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
