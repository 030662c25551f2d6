//! Per-session state the engine reads and `USE` changes: one per WebSocket connection, one per
//! REST request.

/// Per-session state: the current database (`USE db`, `conn.db`, `/rest/sql/<db>`) and the user
/// when it is one created by SQL (`None`: a user of the server's configuration, a super user).
#[derive(Debug, Clone, Default)]
pub struct SessionCtx {
    pub db: Option<String>,
    pub user: Option<String>,
}
