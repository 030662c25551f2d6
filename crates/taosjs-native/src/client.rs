//! A native connection: connect, queries, schemaless writes, close.
//!
//! Blocking C calls (`taos_connect`, schemaless, statements, `taos_close`) run on tokio's
//! blocking pool, never on a runtime worker; queries and fetches use libtaos's callback API
//! (`taos_query_a`, `taos_fetch_raw_block_a`), which answers on the library's own threads.

use std::ffi::{c_int, c_void, CString};
use std::sync::Arc;

use taosjs_core::schemaless::{self, SchemalessPrecision, SchemalessProtocol, SchemalessRequest, SchemalessResult};
use taosjs_core::{ConnectConfig, Error, ErrorKind};
use tokio::sync::oneshot;

use crate::api::{self, OPTION_CONNECTION_TIMEZONE, OPTION_CONNECTION_USER_APP};
use crate::conn::{blocking, c_string, coded, thread_error, Conn};
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;
use crate::result::{self, QueryOutcome, ResGuard};

/// An open native connection. Cheap to clone; many calls may run at once. Closed by
/// [`NativeClient::close`] or when the last handle and every result and statement made from
/// it are dropped.
#[derive(Clone)]
pub struct NativeClient {
    pub(crate) conn: Arc<Conn>,
}

impl std::fmt::Debug for NativeClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeClient")
            .field("server_version", &self.conn.server_version)
            .field("closed", &self.is_closed())
            .finish_non_exhaustive()
    }
}







impl NativeClient {
    /// Loads the client library (once per process, see [`Library::get`]) and connects to the
    /// DSN's first endpoint that answers, or — when the DSN names no host — to `firstEp` of
    /// the client's `taos.cfg`. `connect_timeout` bounds each attempt: `taos_connect` cannot
    /// be interrupted, so a late success is closed in the background.
    pub async fn connect(config: &ConnectConfig) -> Result<NativeClient, Error> {
        let lib = blocking(Library::get).await??;
        Self::connect_with(lib, config).await
    }

    /// [`NativeClient::connect`] with an already loaded library.
    pub async fn connect_with(lib: &'static Library, config: &ConnectConfig) -> Result<NativeClient, Error> {
        let user = c_string(&config.user, "the user name")?;
        let password = c_string(&config.password, "the password")?;
        let db = config.database.as_deref().map(|d| c_string(d, "the database name")).transpose()?;
        let timezone = config.timezone.as_deref().map(|t| c_string(t, "the timezone")).transpose()?;
        let app = config.connector.as_deref().map(|t| c_string(t, "the connector name")).transpose()?;
        let mut targets: Vec<(Option<CString>, u16, String)> = Vec::new();
        for e in &config.endpoints {
            targets.push((Some(c_string(&e.host, "the host name")?), e.port, e.to_string()));
        }
        if targets.is_empty() {
            targets.push((None, 0, "firstEp of taos.cfg".into()));
        }
        let mut failures = Vec::new();
        for (host, port, label) in targets {
            let (tx, rx) = oneshot::channel::<Result<Ptr, Error>>();
            let (user, password, db) = (user.clone(), password.clone(), db.clone());
            // Spawned now and run to its end whether or not we wait for it.
            tokio::task::spawn_blocking(move || {
                let ptr_or_null = |c: &Option<CString>| c.as_ref().map_or(std::ptr::null(), |c| c.as_ptr());
                // SAFETY: valid C strings (or NULL where the API allows it) for the call's duration.
                let taos = unsafe {
                    (lib.api.taos_connect)(ptr_or_null(&host), user.as_ptr(), password.as_ptr(), ptr_or_null(&db), port)
                };
                let outcome = if taos.is_null() {
                    Err(thread_error(lib, ErrorKind::Connection, "taos_connect"))
                } else {
                    Ok(Ptr(taos))
                };
                if let Err(Ok(late)) = tx.send(outcome) {
                    // The caller gave up waiting: nobody will use this connection.
                    // SAFETY: a connection we own and nobody else saw.
                    unsafe { (lib.api.taos_close)(late.raw()) };
                }
            });
            match tokio::time::timeout(config.connect_timeout, rx).await {
                Ok(Ok(Ok(taos))) => {
                    return Self::finish_connect(lib, taos, timezone.clone(), app.clone()).await;
                }
                Ok(Ok(Err(e))) => {
                    // Wrong credentials or database will not get better on another endpoint.
                    if is_final(&e) {
                        return Err(e);
                    }
                    failures.push(format!("{label}: {e}"));
                }
                Ok(Err(_)) => failures.push(format!("{label}: the connect call ended without an answer")),
                Err(_) => failures.push(format!(
                    "{label}: no connection within {} ms (connect_timeout)",
                    config.connect_timeout.as_millis()
                )),
            }
        }
        Err(Error::connection(format!("could not connect natively: {}", failures.join("; "))))
    }

    async fn finish_connect(
        lib: &'static Library,
        taos: Ptr,
        timezone: Option<CString>,
        app: Option<CString>,
    ) -> Result<NativeClient, Error> {
        let setup = blocking(move || {
            let set = |option: c_int, value: &CString, what: &str| -> Result<(), Error> {
                let Some(f) = lib.api.taos_options_connection else {
                    return Err(Error::not_supported(format!(
                        "setting the {what} needs taos_options_connection, which client {} does not have",
                        lib.version()
                    )));
                };
                // SAFETY: an open connection and a valid C string.
                let code = unsafe { f(taos.raw(), option, value.as_ptr().cast()) };
                if code != 0 {
                    let e = thread_error(lib, ErrorKind::Interface, "taos_options_connection");
                    return Err(Error { message: format!("cannot set the {what} {value:?}: {}", e.message), ..e });
                }
                Ok(())
            };
            if let Some(tz) = &timezone {
                set(OPTION_CONNECTION_TIMEZONE, tz, "timezone")?;
            }
            if let Some(app) = &app {
                // Informational (shown in `show connections`); libtaos truncates it.
                let _ = set(OPTION_CONNECTION_USER_APP, app, "application name");
            }
            // SAFETY: an open connection; the text is copied before the next call on it.
            let info = unsafe { api::text((lib.api.taos_get_server_info)(taos.raw())) };
            Ok::<_, Error>(info)
        })
        .await;
        let info = match setup {
            Ok(Ok(info)) => info,
            Ok(Err(e)) | Err(e) => {
                // SAFETY: our own connection, not shared yet.
                reaper::release(move || unsafe { (lib.api.taos_close)(taos.raw()) });
                return Err(e);
            }
        };
        // `ver:3.3.7.5\nbuild:…` from 3.3 on; older servers answer the bare version.
        let server_version = info
            .lines()
            .find_map(|l| l.strip_prefix("ver:"))
            .unwrap_or_else(|| info.lines().next().unwrap_or_default())
            .trim()
            .to_owned();
        Ok(NativeClient { conn: Arc::new(Conn::new(lib, taos, server_version)) })
    }

    /// The version the server reported when connecting (`3.3.7.5`).
    pub fn server_version(&self) -> String {
        self.conn.server_version.clone()
    }

    /// The client library in use.
    pub fn library(&self) -> &'static Library {
        self.conn.lib
    }

    pub fn is_closed(&self) -> bool {
        self.conn.is_closed()
    }

    /// Runs one SQL statement without blocking a thread (`taos_query_a`, with `req_id` through
    /// `taos_query_a_with_reqid` when the library has it). Rows stay on the server until read
    /// with [`ResultSet::fetch_block`] or released with [`ResultSet::close`] / drop.
    pub async fn query(&self, sql: &str, req_id: Option<u64>) -> Result<QueryOutcome, Error> {
        self.conn.check_open()?;
        let sql = c_string(sql, "the SQL")?;
        let lib = self.conn.lib;
        let (tx, rx) = oneshot::channel();
        let ctx = Box::into_raw(Box::new(QueryCall { lib, tx, _sql: sql }));
        // SAFETY: `ctx` is handed to the callback, which takes it back exactly once; the SQL it
        // holds outlives the call.
        unsafe {
            let sql_ptr = (*ctx)._sql.as_ptr();
            match (req_id, lib.api.taos_query_a_with_reqid) {
                (Some(id), Some(f)) => f(self.conn.taos.raw(), sql_ptr, on_query, ctx.cast(), id as i64),
                _ => (lib.api.taos_query_a)(self.conn.taos.raw(), sql_ptr, on_query, ctx.cast()),
            }
        }
        let done = rx.await.map_err(|_| Error::internal("libtaos dropped a query callback"))?;
        if done.code != 0 {
            return Err(coded(ErrorKind::Query, done.code, done.message));
        }
        self.conn.check_open()?;
        result::outcome(&self.conn, done.res, None)
    }

    /// Writes schemaless data (`taos_schemaless_insert_raw_ttl_with_reqid[_tbname_key]`, on the
    /// blocking pool). Refusals are [`ErrorKind::Schemaless`] errors with TDengine's code,
    /// naming the line the server quotes, as on WebSocket.
    pub async fn schemaless_insert(&self, request: SchemalessRequest) -> Result<SchemalessResult, Error> {
        self.conn.check_open()?;
        // what libtaos would crash this process on
        schemaless::check(&request)?;
        let lib = self.conn.lib;
        let with_key = lib.api.taos_schemaless_insert_raw_ttl_with_reqid_tbname_key;
        let plain = lib.api.taos_schemaless_insert_raw_ttl_with_reqid;
        if with_key.is_none() && (plain.is_none() || request.table_name_key.is_some()) {
            return Err(Error::not_supported(format!(
                "schemaless writes need taos_schemaless_insert_raw_ttl_with_reqid{}, which client {} does not have",
                if request.table_name_key.is_some() { "_tbname_key" } else { "" },
                lib.version()
            )));
        }
        let data = request.lines.join("\n");
        let len = c_int::try_from(data.len())
            .map_err(|_| Error::programming(format!("schemaless data of {} bytes is too large for one write", data.len())))?;
        let mut data = c_string(&data, "the schemaless data")?.into_bytes_with_nul();
        let mut key = request.table_name_key.as_deref().map(|k| c_string(k, "the table name key")).transpose()?.map(CString::into_bytes_with_nul);
        let protocol = protocol_code(request.protocol);
        let precision = precision_code(request.precision);
        let req_id = request.req_id.map_or(0, |r| r as i64);
        let taos = self.conn.taos;
        let conn = Arc::clone(&self.conn);
        let lines = request.lines;
        let sent_as = request.protocol;
        let ttl = request.ttl;
        blocking(move || {
            let mut total: i32 = 0;
            let lines_ptr = data.as_mut_ptr().cast();
            // SAFETY: an open connection (held by `conn`), buffers valid for the call.
            let res = unsafe {
                match (with_key, &mut key) {
                    (Some(f), key) => f(
                        taos.raw(),
                        lines_ptr,
                        len,
                        &mut total,
                        protocol,
                        precision,
                        ttl,
                        req_id,
                        key.as_mut().map_or(std::ptr::null_mut(), |k| k.as_mut_ptr().cast()),
                    ),
                    (None, _) => plain.expect("checked above")(taos.raw(), lines_ptr, len, &mut total, protocol, precision, ttl, req_id),
                }
            };
            let res = ResGuard::new(conn.lib, Ptr(res));
            drop(conn);
            if res.is_null() {
                let e = thread_error(lib, ErrorKind::Schemaless, "schemaless insert");
                return Err(schemaless::error(i64::from(e.errno.unwrap_or(0)), &e.message, sent_as, &lines));
            }
            // SAFETY: a live result we own.
            let (code, text, affected) = unsafe {
                ((lib.api.taos_errno)(res.ptr().raw()), api::text((lib.api.taos_errstr)(res.ptr().raw())), (lib.api.taos_affected_rows64)(res.ptr().raw()))
            };
            if code != 0 {
                return Err(schemaless::error(i64::from(code & 0xFFFF), &text, sent_as, &lines));
            }
            Ok(SchemalessResult { affected_rows: affected, total_rows: i64::from(total) })
        })
        .await?
    }

    /// Releases every open result and statement, then closes the connection; later calls fail
    /// with a Connection error. Idempotent.
    pub async fn close(&self) {
        let Some(children) = self.conn.begin_close() else { return };
        for child in children {
            child.release().await;
        }
        let (lib, taos) = (self.conn.lib, self.conn.taos);
        // SAFETY: closed once (the flag above); results and statements were released, and the
        // library keeps the connection object alive for requests still referencing it.
        let _ = blocking(move || unsafe { (lib.api.taos_close)(taos.raw()) }).await;
    }
}

/// Errors that another endpoint would answer the same way.
fn is_final(e: &Error) -> bool {
    // 0x0357 invalid user, 0x035B wrong password ("Authentication failure"), 0x0388 db not exist
    matches!(e.errno, Some(0x0357 | 0x035B | 0x0388 | 0x0216 | 0x2616))
}

fn protocol_code(p: SchemalessProtocol) -> c_int {
    match p {
        SchemalessProtocol::Line => 1,
        SchemalessProtocol::Telnet => 2,
        SchemalessProtocol::Json => 3,
    }
}

/// `TSDB_SML_TIMESTAMP_*`.
fn precision_code(p: SchemalessPrecision) -> c_int {
    match p {
        SchemalessPrecision::NotConfigured => 0,
        SchemalessPrecision::Hours => 1,
        SchemalessPrecision::Minutes => 2,
        SchemalessPrecision::Seconds => 3,
        SchemalessPrecision::Milliseconds => 4,
        SchemalessPrecision::Microseconds => 5,
        SchemalessPrecision::Nanoseconds => 6,
    }
}

/// The state of one `taos_query_a` call, owned by the callback once the call is made.
struct QueryCall {
    lib: &'static Library,
    tx: oneshot::Sender<QueryDone>,
    _sql: CString,
}

pub(crate) struct QueryDone {
    pub res: ResGuard,
    pub code: c_int,
    pub message: String,
}

/// `taos_query_a`'s callback (on a libtaos thread): hands the result to the waiting call, or
/// releases it when nobody waits any more. Never unwinds into C.
unsafe extern "C" fn on_query(param: *mut c_void, res: *mut c_void, code: c_int) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        // SAFETY: `param` is the Box leaked by `query`, taken back exactly once here.
        let call = unsafe { Box::from_raw(param.cast::<QueryCall>()) };
        let lib = call.lib;
        let message = if code != 0 {
            // SAFETY: the request's own message (or this thread's, for NULL).
            unsafe { api::text((lib.api.taos_errstr)(res)) }
        } else {
            String::new()
        };
        let res = ResGuard::new(lib, Ptr(res));
        // If the caller went away, the result is dropped here and released on the release thread.
        let _ = call.tx.send(QueryDone { res, code, message });
    }));
}
