//! What every connection of one server shares: its configuration, users, SQL backend, the TMQ
//! consumer groups' committed offsets and the faults it is told to inject. It outlives the
//! listener: a restarted server serves the same data.

use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

use taos_sqlengine::SqlBackend;

use crate::auth::Users;
use crate::config::ServerConfig;
use crate::faults::Faults;
use crate::tmq::offsets::TmqGroups;

/// State shared by every connection.
pub struct Shared {
    pub config: ServerConfig,
    pub users: Users,
    pub backend: Arc<dyn SqlBackend>,
    /// TMQ consumer groups' committed offsets (shared by every `/rest/tmq` connection).
    pub tmq: TmqGroups,
    pub faults: Arc<Faults>,
    /// Ids of client connections (`perf_connections.conn_id`).
    pub next_conn_id: AtomicU32,
    /// The connection REST requests run on, per user (taosAdapter's connection pool), by id.
    pub rest_pool: std::sync::Mutex<std::collections::HashMap<String, u32>>,
    /// Results held open for clients, every connection's (see [`HeldResult`]).
    pub open_results: OpenResults,
}

/// How many results the server holds open for its clients (read and not freed yet), over every
/// connection: what a client forgets to free shows here until its connection closes.
#[derive(Clone, Default)]
pub struct OpenResults(Arc<AtomicUsize>);

impl OpenResults {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// Counts one result in [`OpenResults`] while it lives.
pub struct HeldResult(Arc<AtomicUsize>);

impl HeldResult {
    pub fn new(shared: &Shared) -> HeldResult {
        shared.open_results.0.fetch_add(1, Ordering::Relaxed);
        HeldResult(Arc::clone(&shared.open_results.0))
    }
}

impl Drop for HeldResult {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Who a password login is: a user of the server's configuration the SQL catalog does not know
/// (a super user), or a user the catalog knows (`CREATE USER`, and root), whose sessions run as
/// that user.
#[derive(Debug, Clone, PartialEq)]
pub enum Login {
    Configured,
    Sql(String),
}

/// `<os>-<arch> <build time>` of the TDengine 3.3.7.5 the shared recordings came from (TDengine
/// prints its compile platform and time; `--server-info` replaces the whole text).
pub const RECORDED_BUILD: &str = "Linux-x64 2026-11-26 15:50:21 +0000";

impl Shared {
    /// Checks a user name and password against the configured users, then the SQL-created ones:
    /// an unknown user is 849, a wrong password 855.
    pub fn login(&self, user: &str, password: &str) -> Result<Login, crate::auth::AuthError> {
        let configured = self.users.check(user, password);
        let backend = self.backend.clone();
        let (u, p) = (user.to_string(), password.to_string());
        if configured.is_ok() {
            // a configured user the SQL catalog also has (root) is that user in its sessions,
            // so that ALTER USER (e.g. `sysinfo 0`) applies to them as on TDengine
            if crate::backend_call::guarded(|| Ok(backend.user_exists(&u))).unwrap_or(false) {
                return Ok(Login::Sql(u));
            }
            return Ok(Login::Configured);
        }
        if crate::backend_call::guarded(|| Ok(backend.login(&u, &p))).unwrap_or(false) {
            return Ok(Login::Sql(user.to_string()));
        }
        let known = crate::backend_call::guarded(|| Ok(backend.user_exists(&u))).unwrap_or(false);
        match configured {
            Err(crate::auth::AuthError::UnknownUser) if known => Err(crate::auth::AuthError::WrongPassword),
            Err(e) => Err(e),
            Ok(()) => Ok(Login::Configured),
        }
    }

    pub fn new_conn_id(&self) -> u32 {
        self.next_conn_id.fetch_add(1, Ordering::Relaxed)
    }

    /// A REST request of `user` runs on a connection of taosAdapter's pool for that user: the
    /// first one opens it (listed in `perf_connections` from then on, without `user_app` and
    /// `user_ip`, as 3.3.7.5 lists the adapter's pooled connection) and later ones reuse it.
    pub fn rest_pool_connection(&self, user: &str) {
        let mut pool = self.rest_pool.lock().unwrap_or_else(|e| e.into_inner());
        if pool.contains_key(user) {
            return;
        }
        let info = taos_sqlengine::session::ConnectionInfo {
            conn_id: self.new_conn_id(),
            user: user.to_string(),
            user_app: String::new(),
            user_ip: String::new(),
            login_time_ms: chrono::Utc::now().timestamp_millis(),
        };
        pool.insert(user.to_string(), info.conn_id);
        let backend = self.backend.clone();
        let _ = crate::backend_call::guarded(|| {
            backend.connection_changed(info);
            Ok(())
        });
    }

    pub fn server_version(&self) -> &str {
        &self.config.engine.server_version
    }

    /// What `get_server_info` answers: TDengine's multi-line `ver:…\nbuild:…\ngitinfo:…`, with
    /// the build line of the TDengine 3.3.7.5 whose recorded answers this server reproduces.
    pub fn server_info(&self) -> String {
        match &self.config.server_info {
            Some(info) => info.clone(),
            None => format!(
                "ver:{}\nbuild:{}\ngitinfo:no git commit id",
                self.server_version(),
                RECORDED_BUILD
            ),
        }
    }
}
