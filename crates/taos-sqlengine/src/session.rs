//! Per-session state the engine reads and `USE` changes: one per WebSocket connection, one per
//! REST request.

/// Per-session state: the current database (`USE db`, `conn.db`, `/rest/sql/<db>`), the user
/// when it is one created by SQL (`None`: a user of the server's configuration, a super user),
/// the connection's time zone and the application/address it names (`conn`, `options_connection`).
#[derive(Debug, Clone, Default)]
pub struct SessionCtx {
    pub db: Option<String>,
    pub user: Option<String>,
    /// The connection's time zone; `None` = the server's.
    pub tz: Option<SessionTz>,
    /// `app` / `ip` of the connection options (`performance_schema.perf_connections`).
    pub app: Option<String>,
    pub ip: Option<String>,
}

/// A connection's time zone as the client named it. TDengine accepts any name and reads an
/// unknown one as UTC, while `timezone()` still shows the name (`Bad/Zone (UTC, +0000)`).
#[derive(Debug, Clone)]
pub struct SessionTz {
    pub name: String,
    pub zone: chrono_tz::Tz,
}

impl SessionTz {
    pub fn named(name: &str) -> SessionTz {
        SessionTz { name: name.to_string(), zone: name.parse().unwrap_or(chrono_tz::UTC) }
    }
}

/// A client connection as `performance_schema.perf_connections` lists it.
#[derive(Debug, Clone)]
pub struct ConnectionInfo {
    pub conn_id: u32,
    pub user: String,
    /// The connection options' `app` / `ip` (`user_app`, `user_ip`; empty when not given).
    pub user_app: String,
    pub user_ip: String,
    pub login_time_ms: i64,
}

impl SessionCtx {
    /// A session whose current database is `db`.
    pub fn with_db(db: Option<String>) -> SessionCtx {
        SessionCtx { db, ..SessionCtx::default() }
    }
}
