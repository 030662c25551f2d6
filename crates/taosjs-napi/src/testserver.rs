//! `startTestServer`: the embedded taos-testserver behind `taosjs/testing`, running on napi's
//! tokio runtime inside the Node process.

use std::sync::Mutex;

use napi_derive::napi;
use taos_testserver::{ServerConfig, ServerHandle};
use taosjs_core::ErrorKind;

use crate::error::{guarded, js_error};

#[napi(object)]
pub struct NativeUser {
    pub user: String,
    pub password: String,
}

#[napi(object)]
pub struct NativeTestServerOptions {
    pub host: Option<String>,
    pub port: Option<u32>,
    pub users: Option<Vec<NativeUser>>,
    pub block_rows: Option<u32>,
}

#[napi]
pub struct NativeTestServer {
    handle: Mutex<Option<ServerHandle>>,
    host: String,
    port: u32,
}

#[napi]
pub async fn start_test_server(options: Option<NativeTestServerOptions>) -> napi::Result<NativeTestServer> {
    let mut config = ServerConfig { port: 0, ..ServerConfig::default() };
    if let Some(o) = options {
        if let Some(host) = o.host {
            config.host = host;
        }
        if let Some(port) = o.port {
            config.port = u16::try_from(port)
                .map_err(|_| js_error(ErrorKind::Interface, format!("port must be 0..65535, got {port}")))?;
        }
        if let Some(users) = o.users {
            config.users = users.into_iter().map(|u| (u.user, u.password)).collect();
        }
        if let Some(rows) = o.block_rows {
            if rows == 0 {
                return Err(js_error(ErrorKind::Interface, "blockRows must be at least 1"));
            }
            config.block_rows = rows as usize;
        }
    }
    guarded(async move {
        let handle = taos_testserver::start(config)
            .await
            .map_err(|e| js_error(ErrorKind::Operational, format!("cannot start the test server: {e}")))?;
        let addr = handle.addr();
        Ok(NativeTestServer { host: addr.ip().to_string(), port: u32::from(addr.port()), handle: Mutex::new(Some(handle)) })
    })
    .await
}

#[napi]
impl NativeTestServer {
    #[napi(getter)]
    pub fn host(&self) -> String {
        self.host.clone()
    }

    #[napi(getter)]
    pub fn port(&self) -> u32 {
        self.port
    }

    /// Stops accepting connections and drops the open ones. Safe to call twice.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let handle = self.handle.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(handle) = handle {
            guarded(async move {
                handle.shutdown().await;
                Ok(())
            })
            .await?;
        }
        Ok(())
    }
}
