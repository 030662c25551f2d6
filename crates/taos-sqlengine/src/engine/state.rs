//! The engine's state: its configuration and the catalog behind one lock, and [`Engine`], the
//! handle every module of the engine works through.

use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use super::catalog::Catalog;

/// Engine-wide settings. The server's identity comes from whoever runs the engine.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// The server timezone: string timestamp literals without an offset are read in it.
    pub timezone: chrono_tz::Tz,
    /// Text returned by `select server_version()` (e.g. "3.3.7.5").
    pub server_version: String,
}

impl EngineConfig {
    /// A UTC engine that reports `server_version`.
    pub fn new(server_version: impl Into<String>) -> EngineConfig {
        EngineConfig {
            timezone: chrono_tz::UTC,
            server_version: server_version.into(),
        }
    }
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
