//! Connection actions: `version`, `conn` (users, bearer tokens, a current database),
//! `check_server_status`, `get_current_db`, `get_server_info`, `options_connection`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use taos_sqlengine::session::{ConnectionInfo, SessionTz};
use taos_sqlengine::types::code;

use crate::backend_call::guarded;
use crate::envelope::NoExtra;

use super::reply::{error, ok, parse_args, unmarshal_error, Out, GENERIC};
use super::session::Session;

#[derive(Serialize)]
struct VersionResp<'a> {
    version: &'a str,
}

#[derive(Serialize)]
struct StatusResp<'a> {
    status: i32,
    details: &'a str,
}

#[derive(Serialize)]
struct DbResp<'a> {
    db: &'a str,
}

#[derive(Serialize)]
struct InfoResp {
    info: String,
}

#[derive(Deserialize, Default)]
struct ConnArgs {
    user: Option<String>,
    password: Option<String>,
    db: Option<String>,
    mode: Option<i64>,
    /// Accepted and ignored: 3.3.7.5 has no token login on `/ws` (m_session_options).
    #[allow(dead_code)]
    bearer_token: Option<String>,
    tz: Option<String>,
    app: Option<String>,
    ip: Option<String>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)] // fields are checked for type only
struct CheckStatusArgs {
    fqdn: Option<String>,
    port: Option<i32>,
}

#[derive(Deserialize)]
struct ConnOption {
    option: i32,
    value: Option<String>,
}

/// `options_connection` option numbers (taos.h `TSDB_OPTION_CONNECTION`).
const OPTION_CHARSET: i32 = 0;
const OPTION_TIMEZONE: i32 = 1;
const OPTION_USER_IP: i32 = 2;
const OPTION_USER_APP: i32 = 3;

#[derive(Deserialize, Default)]
struct OptionsArgs {
    options: Option<Vec<ConnOption>>,
}

impl Session {
    pub(super) fn version(&mut self, req_id: u64, start: Instant) -> Option<Out> {
        ok("version", req_id, start, VersionResp { version: self.shared.server_version() })
    }

    pub(super) fn check_server_status(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        match parse_args::<CheckStatusArgs>(args) {
            Ok(_) => ok("check_server_status", req_id, start, StatusResp { status: 2, details: "" }),
            Err(()) => unmarshal_error("check_server_status", req_id, start),
        }
    }

    pub(super) fn get_current_db(&mut self, req_id: u64, start: Instant) -> Option<Out> {
        let db = self.ctx.db.clone().unwrap_or_default();
        ok("get_current_db", req_id, start, DbResp { db: &db })
    }

    pub(super) fn get_server_info(&mut self, req_id: u64, start: Instant) -> Option<Out> {
        let info = self.shared.server_info();
        ok("get_server_info", req_id, start, InfoResp { info })
    }

    /// `options_connection`: the connection's time zone (1), user IP (2) and app (3); `null`
    /// resets one; the charset (0) is accepted and changes nothing; another option is 280.
    pub(super) fn options_connection(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let action = "options_connection";
        let Ok(a) = parse_args::<OptionsArgs>(args) else {
            return unmarshal_error(action, req_id, start);
        };
        let options = a.options.unwrap_or_default();
        if options.iter().any(|o| !(OPTION_CHARSET..=OPTION_USER_APP).contains(&o.option)) {
            return error(code::INVALID_PARA, "Invalid parameters", action, req_id, start);
        }
        for o in options {
            match o.option {
                OPTION_TIMEZONE => self.ctx.tz = o.value.as_deref().map(SessionTz::named),
                OPTION_USER_IP => self.ctx.ip = o.value,
                OPTION_USER_APP => self.ctx.app = o.value,
                _ => {}
            }
        }
        self.publish_connection();
        ok(action, req_id, start, NoExtra {})
    }

    pub(super) fn conn(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        let Ok(a) = parse_args::<ConnArgs>(args) else {
            return unmarshal_error("conn", req_id, start);
        };
        if self.connected {
            return error(GENERIC, "duplicate connections", "conn", req_id, start);
        }
        if let Some(mode) = a.mode.filter(|m| *m != 0) {
            return error(GENERIC, &format!("unexpected mode:{mode}"), "conn", req_id, start);
        }
        let user = a.user.unwrap_or_default();
        let password = a.password.unwrap_or_default();
        if password.is_empty() {
            // also with a `bearer_token`: 3.3.7.5 has no token login on /ws
            return error(code::TSC_INVALID_PASS_LENGTH, "Invalid password length", "conn", req_id, start);
        }
        let login = match self.shared.login(&user, &password) {
            Ok(l) => l,
            Err(e) => return error(e.code(), e.message(), "conn", req_id, start),
        };
        if let crate::shared::Login::Sql(u) = login {
            self.ctx.user = Some(u);
        }
        let db = a.db.unwrap_or_default();
        if !db.is_empty() {
            let backend = self.shared.backend.clone();
            let exists = guarded(|| Ok(backend.database_exists(&db))).unwrap_or(false);
            if !exists {
                return error(code::MND_DB_NOT_EXIST, "Database not exist", "conn", req_id, start);
            }
            self.ctx.db = Some(db);
        }
        self.ctx.tz = a.tz.filter(|t| !t.is_empty()).as_deref().map(SessionTz::named);
        self.ctx.app = a.app.filter(|s| !s.is_empty());
        self.ctx.ip = a.ip.filter(|s| !s.is_empty());
        self.connected = true;
        self.connection = Some(ConnectionInfo {
            conn_id: self.shared.new_conn_id(),
            user,
            user_app: String::new(),
            user_ip: String::new(),
            login_time_ms: chrono::Utc::now().timestamp_millis(),
        });
        self.publish_connection();
        let shared = self.shared.clone();
        ok("conn", req_id, start, VersionResp { version: shared.server_version() })
    }
}
