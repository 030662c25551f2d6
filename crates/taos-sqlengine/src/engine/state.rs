//! The engine's state: its configuration and the catalog behind one lock, and [`Engine`], the
//! handle every module of the engine works through.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::catalog::Catalog;

/// Engine-wide settings. The server's identity comes from whoever runs the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The server timezone: string timestamp literals without an offset are read in it.
    pub timezone: chrono_tz::Tz,
    /// The name the server gives its zone (`show variables`, `timezone()`): TDengine shows the
    /// system's name (`Etc/UTC`), which can differ from the zone's canonical one (`UTC`). Used
    /// only while it names `timezone`; `None` = the zone's own name.
    pub timezone_name: Option<String>,
    /// Text returned by `select server_version()` (e.g. "3.3.7.5").
    pub server_version: String,
}

impl EngineConfig {
    /// A UTC engine that reports `server_version`.
    pub fn new(server_version: impl Into<String>) -> EngineConfig {
        EngineConfig {
            timezone: chrono_tz::UTC,
            timezone_name: None,
            server_version: server_version.into(),
        }
    }

    /// The same engine in the zone `name` (an IANA name, `UTC` or `Etc/UTC`); `None` if unknown.
    pub fn with_timezone(self, name: &str) -> Option<EngineConfig> {
        let zone = parse_zone(name)?;
        Some(EngineConfig { timezone: zone, timezone_name: Some(name.to_string()), ..self })
    }

    /// The name the server reports for its zone.
    pub fn timezone_name(&self) -> &str {
        match &self.timezone_name {
            Some(n) if parse_zone(n) == Some(self.timezone) => n,
            _ => self.timezone.name(),
        }
    }
}

fn parse_zone(name: &str) -> Option<chrono_tz::Tz> {
    if name == "UTC" || name.is_empty() {
        return Some(chrono_tz::UTC);
    }
    name.parse::<chrono_tz::Tz>().ok()
}

/// The system's zone as TDengine names it on Linux (`getTimezoneStr`): the target of the
/// `/etc/localtime` link after `zoneinfo/`, else the first line of `/etc/timezone`, else `n/a`
/// (read as UTC). A name chrono-tz does not know is kept as the label and read as UTC.
pub fn system_timezone() -> (String, chrono_tz::Tz) {
    let from_link = std::fs::read_link("/etc/localtime").ok().and_then(|target| {
        let t = target.to_string_lossy().into_owned();
        t.find("zoneinfo/").map(|i| t[i + "zoneinfo/".len()..].to_string())
    });
    let name = from_link
        .or_else(|| {
            std::fs::read_to_string("/etc/timezone")
                .ok()
                .map(|s| s.lines().next().unwrap_or("").to_string())
        })
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "n/a".to_string());
    let zone = parse_zone(&name).unwrap_or(chrono_tz::UTC);
    (name, zone)
}

/// The engine: a cheap, clonable handle shared by every session; queries share the catalog
/// lock, writes and DDL take it alone.
#[derive(Clone)]
pub struct Engine {
    config: Arc<EngineConfig>,
    state: Arc<RwLock<Catalog>>,
}

impl Engine {
    pub fn new(config: EngineConfig) -> Engine {
        Engine {
            config: Arc::new(config),
            state: Arc::new(RwLock::new(Catalog::default())),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.config
    }

    pub(super) fn read(&self) -> RwLockReadGuard<'_, Catalog> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn write(&self) -> RwLockWriteGuard<'_, Catalog> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }
}
