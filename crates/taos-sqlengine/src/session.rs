//! Per-session state the engine reads and `USE` changes: one per WebSocket connection, one per
//! REST request.

/// Per-session state: the current database (`USE db`, `conn.db`, `/rest/sql/<db>`).
#[derive(Debug, Clone, Default)]
pub struct SessionCtx {
    pub db: Option<String>,
}
