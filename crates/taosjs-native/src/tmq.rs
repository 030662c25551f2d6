//! TMQ consumers through libtaos (`tmq_*`). The library's consumer calls only exist in
//! blocking form (subscribe, poll with a timeout, commit, seek), so every call runs on the
//! blocking pool, one at a time per consumer. A polled message's blocks are copied out and its
//! result released at once; commits go by topic/vgroup/offset, so no library object outlives
//! the poll. The facade's consumer uses it for `taos://` DSNs (napi `consumer.rs`).

use std::ffi::{c_char, c_int, CString};
use std::sync::Arc;
use std::time::Duration;

use taosjs_core::{ConnectConfig, Error, ErrorKind, FetchedBlock, Precision};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::api::{self, TmqTopicAssignment, TMQ_RES_DATA, TMQ_RES_METADATA, TMQ_RES_TABLE_META};
use crate::conn::{blocking, c_string};
use crate::library::Library;
use crate::ptr::Ptr;
use crate::reaper;
use crate::result::{describe, ResGuard};

/// One block of rows of a message.
#[derive(Debug, Clone)]
pub struct TmqBlock {
    /// The child table the rows belong to (when the topic's messages carry table names).
    pub table_name: Option<String>,
    pub precision: Precision,
    pub block: FetchedBlock,
}

/// One polled message: the rows of one vgroup of one topic.
#[derive(Debug, Clone)]
pub struct TmqMessage {
    pub topic: String,
    pub database: String,
    pub vgroup_id: i32,
    /// The message's offset in its vgroup (what `commit_offset`/`seek` take).
    pub offset: i64,
    /// Where the consumer stands in the vgroup after this message (`tmq_position`): what
    /// committing the message commits; `None` when the library does not say.
    pub end_offset: Option<i64>,
    /// `tmq_res_t`: 1 data, 2 table meta, 3 data with meta, 4 raw.
    pub kind: i32,
    /// The schema change as JSON text (`tmq_get_json_meta`), for kinds 2 and 3.
    pub meta: Option<String>,
    /// Empty for messages that only carry metadata.
    pub blocks: Vec<TmqBlock>,
}

/// A vgroup of a subscribed topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TmqAssignment {
    pub vgroup_id: i32,
    pub offset: i64,
    pub begin: i64,
    pub end: i64,
}

/// A TMQ consumer on the native client library.
pub struct NativeConsumer {
    lib: &'static Library,
    /// The consumer, closed when the last holder (this handle or a call in progress) lets go.
    state: Arc<Mutex<Owned>>,
}

impl std::fmt::Debug for NativeConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NativeConsumer").finish_non_exhaustive()
    }
}

/// The consumer and what it polled for a caller that stopped waiting. Closes a consumer nobody
/// closed (on the release thread: `tmq_consumer_close` blocks).
struct Owned {
    lib: &'static Library,
    tmq: Ptr,
    /// The message a poll got from the library after its caller had given up (a timeout, an
    /// abort): the library's position is already past it, so it is delivered by the next poll
    /// instead of being lost. Forgotten when the position moves (seek, subscribe, unsubscribe).
    undelivered: Option<TmqMessage>,
}

impl Drop for Owned {
    fn drop(&mut self) {
        if !self.tmq.is_null() {
            let (lib, tmq) = (self.lib, self.tmq);
            reaper::release(move || {
                if let Some(close) = lib.api.tmq_consumer_close {
                    // SAFETY: the last owner of an open consumer.
                    unsafe { close(tmq.raw()) };
                }
            });
        }
    }
}



fn tmq_error(lib: &Library, code: i32, what: &str) -> Error {
    let text = match lib.api.tmq_err2str {
        // SAFETY: a static string for the code.
        Some(f) => unsafe { api::text(f(code)) },
        None => String::new(),
    };
    let text = if text.is_empty() { format!("{what} failed") } else { format!("{what}: {text}") };
    Error::with_code(ErrorKind::Tmq, code & 0xFFFF, text)
}

impl NativeConsumer {
    /// Creates a consumer. `options` are TDengine's consumer settings (`group.id`,
    /// `client.id`, `auto.offset.reset`, `enable.auto.commit`, `msg.with.table.name`, …); the
    /// server address and credentials come from `config` (`td.connect.*`).
    pub async fn new(config: &ConnectConfig, options: &[(String, String)]) -> Result<NativeConsumer, Error> {
        let lib = blocking(Library::get).await??;
        let (conf_new, conf_set, conf_destroy, consumer_new) =
            (need!(lib, tmq_conf_new), need!(lib, tmq_conf_set), need!(lib, tmq_conf_destroy), need!(lib, tmq_consumer_new));
        let mut settings: Vec<(CString, CString)> = Vec::new();
        let mut put = |k: &str, v: &str| -> Result<(), Error> {
            settings.push((c_string(k, "a consumer option name")?, c_string(v, "a consumer option value")?));
            Ok(())
        };
        if let Some(e) = config.endpoints.first() {
            put("td.connect.ip", &e.host)?;
            put("td.connect.port", &e.port.to_string())?;
        }
        put("td.connect.user", &config.user)?;
        put("td.connect.pass", &config.password)?;
        for (k, v) in options {
            put(k, v)?;
        }
        let tmq = blocking(move || {
            // SAFETY: the configuration is created, filled and destroyed here.
            unsafe {
                let conf = conf_new();
                if conf.is_null() {
                    return Err(Error::new(ErrorKind::Tmq, "tmq_conf_new failed"));
                }
                for (k, v) in &settings {
                    let r = conf_set(conf, k.as_ptr(), v.as_ptr());
                    if r != 0 {
                        conf_destroy(conf);
                        let key = k.to_string_lossy();
                        // Never repeat a password.
                        let value = if key.contains("pass") { "…".into() } else { v.to_string_lossy().into_owned() };
                        return Err(Error::new(
                            ErrorKind::Tmq,
                            format!("consumer option {key}={value} is {}", if r == -2 { "unknown" } else { "invalid" }),
                        ));
                    }
                }
                let mut err = [0 as c_char; 256];
                let tmq = consumer_new(conf, err.as_mut_ptr(), err.len() as i32);
                conf_destroy(conf);
                if tmq.is_null() {
                    let text = api::text(err.as_ptr());
                    return Err(Error::new(ErrorKind::Tmq, format!("cannot create the consumer: {text}")));
                }
                Ok(Ptr(tmq))
            }
        })
        .await??;
        Ok(NativeConsumer { lib, state: Arc::new(Mutex::new(Owned { lib, tmq, undelivered: None })) })
    }

    /// The open consumer, locked for one call.
    async fn open(&self) -> Result<OwnedMutexGuard<Owned>, Error> {
        let guard = Arc::clone(&self.state).lock_owned().await;
        if guard.tmq.is_null() {
            return Err(Error::new(ErrorKind::Tmq, "the consumer is closed"));
        }
        Ok(guard)
    }

    /// Runs `f` with the open consumer on the blocking pool.
    async fn with<T: Send + 'static>(
        &self,
        f: impl FnOnce(&'static Library, Ptr) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let guard = self.open().await?;
        let lib = self.lib;
        blocking(move || f(lib, guard.tmq)).await?
    }

    /// [`Self::with`] for a call that moves the consumer's position: a message held for the
    /// next poll belongs to the old position and is forgotten once `f` succeeds.
    async fn moving<T: Send + 'static>(
        &self,
        f: impl FnOnce(&'static Library, Ptr) -> Result<T, Error> + Send + 'static,
    ) -> Result<T, Error> {
        let mut guard = self.open().await?;
        let lib = self.lib;
        blocking(move || {
            let outcome = f(lib, guard.tmq);
            if outcome.is_ok() {
                guard.undelivered = None;
            }
            outcome
        })
        .await?
    }

    /// Subscribes to `topics` (replacing the previous subscription).
    pub async fn subscribe(&self, topics: &[String]) -> Result<(), Error> {
        let lib = self.lib;
        let (list_new, append, destroy, subscribe) =
            (need!(lib, tmq_list_new), need!(lib, tmq_list_append), need!(lib, tmq_list_destroy), need!(lib, tmq_subscribe));
        let names = topics.iter().map(|t| c_string(t, "a topic name")).collect::<Result<Vec<_>, _>>()?;
        self.moving(move |lib, tmq| {
            // SAFETY: the list is created, filled and destroyed here; the consumer is open.
            unsafe {
                let list = list_new();
                for n in &names {
                    append(list, n.as_ptr());
                }
                let code = subscribe(tmq.raw(), list);
                destroy(list);
                if code != 0 {
                    return Err(tmq_error(lib, code, "subscribe"));
                }
            }
            Ok(())
        })
        .await
    }

    /// The topics subscribed to.
    pub async fn subscription(&self) -> Result<Vec<String>, Error> {
        let lib = self.lib;
        let (subscription, size, to_array, destroy) =
            (need!(lib, tmq_subscription), need!(lib, tmq_list_get_size), need!(lib, tmq_list_to_c_array), need!(lib, tmq_list_destroy));
        self.with(move |lib, tmq| {
            // SAFETY: the list returned by the library is read and destroyed here.
            unsafe {
                let mut list = std::ptr::null_mut();
                let code = subscription(tmq.raw(), &mut list);
                if code != 0 {
                    return Err(tmq_error(lib, code, "subscription"));
                }
                if list.is_null() {
                    return Ok(Vec::new());
                }
                let n = usize::try_from(size(list)).unwrap_or(0);
                let items = to_array(list);
                let topics = (0..n).map(|i| api::text(*items.add(i))).collect();
                destroy(list);
                Ok(topics)
            }
        })
        .await
    }

    pub async fn unsubscribe(&self) -> Result<(), Error> {
        let unsubscribe = need!(self.lib, tmq_unsubscribe);
        self.moving(move |lib, tmq| {
            // SAFETY: open consumer.
            let code = unsafe { unsubscribe(tmq.raw()) };
            if code != 0 {
                Err(tmq_error(lib, code, "unsubscribe"))
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Waits up to `timeout` for a message; `None` when none came. A message the library
    /// handed out to a poll whose caller stopped waiting (the future was dropped: a timeout,
    /// an abort) is kept and returned by the next poll, at once.
    pub async fn poll(&self, timeout: Duration) -> Result<Option<TmqMessage>, Error> {
        let lib = self.lib;
        let poll = need!(lib, tmq_consumer_poll);
        let (res_type, topic, db, vgroup, offset, table) = (
            need!(lib, tmq_get_res_type),
            need!(lib, tmq_get_topic_name),
            need!(lib, tmq_get_db_name),
            need!(lib, tmq_get_vgroup_id),
            need!(lib, tmq_get_vgroup_offset),
            need!(lib, tmq_get_table_name),
        );
        let ms = i64::try_from(timeout.as_millis()).unwrap_or(i64::MAX);
        let mut guard = self.open().await?;
        if let Some(message) = guard.undelivered.take() {
            return Ok(Some(message));
        }
        let lib = self.lib;
        // The blocking poll runs to its end even when this future is dropped; its message goes
        // into the consumer's state, and from there to whoever is still waiting, or to the next
        // poll (the lock guard travels with the work and back).
        let (mut guard, outcome) = blocking(move || {
            let tmq = guard.tmq;
            // SAFETY: open consumer; the message is read here and released by its guard.
            let read = || -> Result<Option<TmqMessage>, Error> { unsafe {
                let res = poll(tmq.raw(), ms);
                if res.is_null() {
                    let code = (lib.api.taos_errno)(std::ptr::null_mut());
                    return if code == 0 { Ok(None) } else { Err(tmq_error(lib, code, "poll")) };
                }
                let res_guard = ResGuard::new(lib, Ptr(res));
                let kind = res_type(res);
                let mut message = TmqMessage {
                    topic: api::text(topic(res)),
                    database: api::text(db(res)),
                    vgroup_id: vgroup(res),
                    offset: offset(res),
                    end_offset: None,
                    kind,
                    meta: None,
                    blocks: Vec::new(),
                };
                if let Some(position) = lib.api.tmq_position {
                    // The topic's name as the library gave it (no NUL inside).
                    let at = position(tmq.raw(), topic(res), message.vgroup_id);
                    message.end_offset = (at >= 0).then_some(at);
                }
                if kind == TMQ_RES_TABLE_META || kind == TMQ_RES_METADATA {
                    if let (Some(get), Some(free)) = (lib.api.tmq_get_json_meta, lib.api.tmq_free_json_meta) {
                        let json = get(res);
                        if !json.is_null() {
                            message.meta = Some(api::text(json));
                            free(json);
                        }
                    }
                }
                if kind == TMQ_RES_DATA || kind == TMQ_RES_METADATA {
                    loop {
                        let mut rows: c_int = 0;
                        let mut data = std::ptr::null_mut();
                        let code = (lib.api.taos_fetch_raw_block)(res, &mut rows, &mut data);
                        if code != 0 {
                            let text = api::text((lib.api.taos_errstr)(res));
                            return Err(Error::with_code(ErrorKind::Tmq, code & 0xFFFF, text));
                        }
                        if rows == 0 || data.is_null() {
                            break;
                        }
                        let (fields, precision) = describe(lib, res_guard.ptr())?;
                        let raw = copy_raw(data.cast())?;
                        let name = api::text(table(res));
                        message.blocks.push(TmqBlock {
                            table_name: (!name.is_empty()).then_some(name),
                            precision,
                            block: FetchedBlock::new(raw, fields.into()),
                        });
                    }
                }
                drop(res_guard);
                Ok(Some(message))
            } };
            match read() {
                Ok(message) => {
                    guard.undelivered = message;
                    (guard, Ok(()))
                }
                Err(e) => (guard, Err(e)),
            }
        })
        .await?;
        outcome?;
        Ok(guard.undelivered.take())
    }

    /// Commits every message polled so far, except one held for the next poll: its vgroup is
    /// committed where that message begins, so that it is not skipped after a restart.
    pub async fn commit(&self) -> Result<(), Error> {
        let (commit, commit_offset) = (need!(self.lib, tmq_commit_sync), need!(self.lib, tmq_commit_offset_sync));
        let guard = self.open().await?;
        let held = guard
            .undelivered
            .as_ref()
            // A data message's offset is where it begins (a meta's is where it ends).
            .filter(|m| m.kind != TMQ_RES_TABLE_META && m.offset >= 0)
            .map(|m| Ok::<_, Error>((c_string(&m.topic, "the topic name")?, m.vgroup_id, m.offset)))
            .transpose()?;
        let lib = self.lib;
        blocking(move || {
            let tmq = guard.tmq;
            // SAFETY: open consumer; NULL = everything consumed; a valid topic string.
            let code = unsafe { commit(tmq.raw(), std::ptr::null()) };
            if code != 0 {
                return Err(tmq_error(lib, code, "commit"));
            }
            if let Some((topic, vgroup_id, offset)) = held {
                // SAFETY: as above.
                let code = unsafe { commit_offset(tmq.raw(), topic.as_ptr(), vgroup_id, offset) };
                if code != 0 {
                    return Err(tmq_error(lib, code, "commit"));
                }
            }
            Ok(())
        })
        .await?
    }

    /// Commits `offset` of one vgroup of a topic.
    pub async fn commit_offset(&self, topic: &str, vgroup_id: i32, offset: i64) -> Result<(), Error> {
        let commit = need!(self.lib, tmq_commit_offset_sync);
        let topic = c_string(topic, "the topic name")?;
        self.with(move |lib, tmq| {
            // SAFETY: open consumer, valid topic string.
            let code = unsafe { commit(tmq.raw(), topic.as_ptr(), vgroup_id, offset) };
            if code != 0 {
                Err(tmq_error(lib, code, "commit_offset"))
            } else {
                Ok(())
            }
        })
        .await
    }

    /// Moves the consumer's position in one vgroup of a topic.
    pub async fn seek(&self, topic: &str, vgroup_id: i32, offset: i64) -> Result<(), Error> {
        let seek = need!(self.lib, tmq_offset_seek);
        let topic = c_string(topic, "the topic name")?;
        self.moving(move |lib, tmq| {
            // SAFETY: open consumer, valid topic string.
            let code = unsafe { seek(tmq.raw(), topic.as_ptr(), vgroup_id, offset) };
            if code != 0 {
                Err(tmq_error(lib, code, "seek"))
            } else {
                Ok(())
            }
        })
        .await
    }

    /// The vgroups of a subscribed topic with their current, first and last offsets.
    pub async fn assignment(&self, topic: &str) -> Result<Vec<TmqAssignment>, Error> {
        let lib = self.lib;
        let (get, free) = (need!(lib, tmq_get_topic_assignment), need!(lib, tmq_free_assignment));
        let topic = c_string(topic, "the topic name")?;
        self.with(move |lib, tmq| {
            // SAFETY: open consumer; the array is read and freed here.
            unsafe {
                let mut list: *mut TmqTopicAssignment = std::ptr::null_mut();
                let mut n: i32 = 0;
                let code = get(tmq.raw(), topic.as_ptr(), &mut list, &mut n);
                if code != 0 {
                    return Err(tmq_error(lib, code, "assignment"));
                }
                let out = if list.is_null() {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(list, usize::try_from(n).unwrap_or(0))
                        .iter()
                        .map(|a| TmqAssignment { vgroup_id: a.vg_id, offset: a.current_offset, begin: a.begin, end: a.end })
                        .collect()
                };
                if !list.is_null() {
                    free(list);
                }
                Ok(out)
            }
        })
        .await
    }

    /// The committed offset of one vgroup (negative codes: none yet).
    pub async fn committed(&self, topic: &str, vgroup_id: i32) -> Result<i64, Error> {
        let committed = need!(self.lib, tmq_committed);
        let topic = c_string(topic, "the topic name")?;
        self.with(move |_, tmq| {
            // SAFETY: open consumer, valid topic string.
            Ok(unsafe { committed(tmq.raw(), topic.as_ptr(), vgroup_id) })
        })
        .await
    }

    /// The position (next offset to read) in one vgroup.
    pub async fn position(&self, topic: &str, vgroup_id: i32) -> Result<i64, Error> {
        let position = need!(self.lib, tmq_position);
        let topic = c_string(topic, "the topic name")?;
        self.with(move |_, tmq| {
            // SAFETY: open consumer, valid topic string.
            Ok(unsafe { position(tmq.raw(), topic.as_ptr(), vgroup_id) })
        })
        .await
    }

    /// Closes the consumer (it leaves its group); later calls are Tmq errors. Idempotent.
    pub async fn close(&self) {
        let mut guard = Arc::clone(&self.state).lock_owned().await;
        let tmq = std::mem::replace(&mut guard.tmq, Ptr::NULL);
        guard.undelivered = None;
        drop(guard);
        let lib = self.lib;
        if !tmq.is_null() {
            let _ = blocking(move || {
                if let Some(close) = lib.api.tmq_consumer_close {
                    // SAFETY: the consumer is no longer reachable through `state`.
                    unsafe { close(tmq.raw()) };
                }
            })
            .await;
        }
    }
}

/// A raw block copied out of a message (its length from its own header).
///
/// # Safety
/// `p` points to a raw block that stays valid during the call.
unsafe fn copy_raw(p: *const u8) -> Result<Vec<u8>, Error> {
    let mut len_bytes = [0u8; 4];
    std::ptr::copy_nonoverlapping(p.add(4), len_bytes.as_mut_ptr(), 4);
    let len = i32::from_le_bytes(len_bytes);
    if len < 28 {
        return Err(Error::result(format!("malformed raw block: length field says {len} bytes")));
    }
    Ok(std::slice::from_raw_parts(p, len as usize).to_vec())
}
