//! Connection actions: `version`, `conn` (users, bearer tokens, a current database),
//! `check_server_status`, `get_current_db`, `get_server_info`, `options_connection`.

use std::time::Instant;

use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
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
    bearer_token: Option<String>,
}

#[derive(Deserialize, Default)]
#[allow(dead_code)] // fields are checked for type only
struct CheckStatusArgs {
    fqdn: Option<String>,
    port: Option<i32>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct ConnOption {
    option: i32,
    value: Option<String>,
}

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

    /// `options_connection`: accepted (any option, `value: null` too); nothing changes here.
    pub(super) fn options_connection(&mut self, args: Json, req_id: u64, start: Instant) -> Option<Out> {
        match parse_args::<OptionsArgs>(args) {
            Ok(a) => {
                let _ = a.options;
                ok("options_connection", req_id, start, NoExtra {})
            }
            Err(()) => unmarshal_error("options_connection", req_id, start),
        }
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
        let login = self.shared.login(&user, &password);
        let by_password = login.is_some();
        let by_token = a
            .bearer_token
            .as_deref()
            .filter(|t| !t.is_empty())
            .is_some_and(|t| self.shared.users.user_for_token(t).is_some());
        if !by_password && !by_token {
            return error(code::MND_AUTH_FAILURE, "Authentication failure", "conn", req_id, start);
        }
        if let Some(crate::shared::Login::Sql(u)) = login {
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
        self.connected = true;
        let shared = self.shared.clone();
        ok("conn", req_id, start, VersionResp { version: shared.server_version() })
    }
}
