//! The in-memory time-series engine: catalog (databases, super/child/normal tables), columnar
//! storage ordered by the timestamp key, and the executor of parsed SQL.
//!
//! CONTRACT (used by the protocol front ends; keep these signatures stable):
//! - `Engine` is cheap to clone and shared by every connection (interior locking).
//! - `Engine::execute` runs one statement for one session and returns an [`Outcome`] or a
//!   [`TdError`] carrying TDengine's code and message. It never panics on any input.
//! - `SessionCtx` is per connection (WebSocket) or per request (REST).

use crate::types::{Outcome, Precision, TdError};

/// Engine-wide settings.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The server timezone: string timestamp literals without an offset are read in it.
    pub timezone: chrono_tz::Tz,
    /// Text returned by `select server_version()` (e.g. "3.3.7.5").
    pub server_version: String,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig { timezone: chrono_tz::UTC, server_version: crate::SERVER_VERSION.to_string() }
    }
}

/// Per-session state: the current database (`USE db`, `conn.db`, `/rest/sql/<db>`).
#[derive(Debug, Clone, Default)]
pub struct SessionCtx {
    pub db: Option<String>,
}

/// The engine handle.
#[derive(Clone)]
pub struct Engine {
    config: std::sync::Arc<EngineConfig>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine { config: std::sync::Arc::new(config) }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    /// Runs one SQL statement (a trailing `;` or several `;` are allowed; only the first
    /// statement of a multi-statement text runs, as in TDengine's REST).
    pub fn execute(&self, _ctx: &mut SessionCtx, sql: &str) -> Result<Outcome, TdError> {
        Err(TdError::new(crate::types::code::PAR_SYNTAX_ERROR, format!("syntax error near \"{}\"", sql.trim())))
    }

    /// Parses and checks a statement without running it (`validate_sql`).
    pub fn validate(&self, ctx: &SessionCtx, sql: &str) -> Result<(), TdError> {
        let _ = ctx;
        let _ = sql;
        Ok(())
    }

    /// The precision of a database, if it exists.
    pub fn database_precision(&self, db: &str) -> Option<Precision> {
        let _ = db;
        None
    }

    /// Whether a database exists (used by `conn` with a `db`).
    pub fn database_exists(&self, db: &str) -> bool {
        self.database_precision(db).is_some()
    }
}
