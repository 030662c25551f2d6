//! What the protocol side needs from a SQL engine. The real [`Engine`] implements it; tests and
//! benches can plug in a small fake (e.g. one that serves a prepared result set).

use crate::engine::{Engine, SessionCtx};
use crate::types::{code, Outcome, TdError};

pub trait SqlBackend: Send + Sync + 'static {
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError>;
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError>;
    fn database_exists(&self, db: &str) -> bool;
}

impl SqlBackend for Engine {
    fn execute(&self, ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        Engine::execute(self, ctx, sql)
    }
    fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        Engine::validate(self, ctx, sql)
    }
    fn database_exists(&self, db: &str) -> bool {
        Engine::database_exists(self, db)
    }
}

/// Runs a backend call, turning a panic into an adapter-style error so that one bad statement
/// cannot take a connection (or the server) down.
pub fn guarded<T>(f: impl FnOnce() -> Result<T, TdError>) -> Result<T, TdError> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(_) => Err(TdError::new(code::ADAPTER_GENERIC, "internal error")),
    }
}
