//! Listener: one TCP port serving WebSocket `/ws` and HTTP `/rest/sql` (owned by the protocol side).

use std::net::SocketAddr;

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// (user, password) pairs; root/taosdata by default.
    pub users: Vec<(String, String)>,
    pub engine: crate::EngineConfig,
    /// Rows per result block served by `fetch_raw_block`/`fetch`.
    pub block_rows: usize,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".into(),
            port: 6041,
            users: vec![("root".into(), "taosdata".into())],
            engine: crate::EngineConfig::default(),
            block_rows: 4096,
        }
    }
}

/// A running server.
pub struct ServerHandle {
    pub addr: SocketAddr,
}

/// Starts the server on the current tokio runtime.
pub async fn start(config: ServerConfig) -> std::io::Result<ServerHandle> {
    let _ = config;
    Err(std::io::Error::other("not yet implemented"))
}
