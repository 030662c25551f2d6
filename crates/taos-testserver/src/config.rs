//! How a server is set up: its identity, address, users, the engine's settings, block size and
//! limits.

use std::time::Duration;

use taos_sqlengine::EngineConfig;

/// What `version`, `conn` and `select server_version()` report (passed to the engine through
/// [`EngineConfig`]). Real TDengine 3.3.7.5 reports "3.3.7.5.alpha"; clients compare the first
/// four numeric parts.
pub const SERVER_VERSION: &str = "3.3.7.5";

/// Server settings.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    pub host: String,
    /// 0 picks a free port.
    pub port: u16,
    /// (user, password) pairs; root/taosdata by default.
    pub users: Vec<(String, String)>,
    pub engine: EngineConfig,
    /// Rows per result block served by `fetch_raw_block`/`fetch`.
    pub block_rows: usize,
    /// Largest WebSocket message accepted; a bigger one closes the connection with 1009.
    pub max_message_bytes: usize,
    /// The server pings idle WebSocket clients at this interval (taosAdapter: 54 s); `None` = never.
    pub ping_interval: Option<Duration>,
    /// Text of `get_server_info`; `None` = `ver:<version>\nbuild:<the recorded build>\ngitinfo:…`.
    pub server_info: Option<String>,
}

/// The engine in the system's zone, named as TDengine names it (`Etc/UTC` where `/etc/localtime`
/// links to `…/zoneinfo/Etc/UTC`), as a TDengine server without a `timezone` setting runs.
fn system_zone(engine: EngineConfig) -> EngineConfig {
    let (name, zone) = taos_sqlengine::system_timezone();
    EngineConfig { timezone: zone, timezone_name: Some(name), ..engine }
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            host: "127.0.0.1".into(),
            port: 6041,
            users: vec![("root".into(), "taosdata".into())],
            engine: system_zone(EngineConfig::new(SERVER_VERSION)),
            block_rows: 4096,
            max_message_bytes: 256 * 1024 * 1024,
            ping_interval: Some(Duration::from_secs(54)),
            server_info: None,
        }
    }
}
