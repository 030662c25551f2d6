//! TMQ: `consumerConfig` (checks a configuration, no I/O), `NativeConsumerConfig.connect`,
//! `NativeConsumer`, a thin shell over a [`ConsumerBackend`] (`/rest/tmq` over WebSocket, or the
//! client library's consumer for `taos://`). Polled messages are `NativeMessage`s (`tmq.rs`), whose
//! blocks cross packed like a query's first batch.

use std::sync::Arc;
use std::time::Duration;

use napi::bindgen_prelude::{BigInt, PromiseRaw};
use napi::Env;
use napi_derive::napi;
use taosjs_core::tmq::ConsumerConfig;
use taosjs_core::ErrorKind;

use crate::abort::{spawn_on, NativeAbort};
use crate::consumer_backend::ConsumerBackend;
use crate::error::{guarded, js_error, to_js};
use crate::tmq::{consumer_settings, offset_of, offsets, pairs, NativeAssignment, NativeConfigEntry, NativeMessage, NativePartition, NativeTopicOffset};

/// A checked configuration: every key known, every value of the right kind (a TmqError naming
/// the key otherwise). Nothing is sent until `connect`.
#[napi]
pub struct NativeConsumerConfig {
    config: ConsumerConfig,
}

/// Checks a consumer configuration (no I/O): `entries` are TDengine's consumer keys with text
/// values, `dsn` may carry the endpoint and credentials.
#[napi(catch_unwind)]
pub fn consumer_config(entries: Vec<NativeConfigEntry>, dsn: Option<String>) -> napi::Result<NativeConsumerConfig> {
    Ok(NativeConsumerConfig { config: consumer_settings(entries, dsn)? })
}

#[napi]
impl NativeConsumerConfig {
    /// The consumer group.
    #[napi(getter)]
    pub fn group_id(&self) -> String {
        self.config.options.group_id.clone()
    }

    /// Opens `/rest/tmq` and checks the server's version (`ws://`, `wss://`), or creates the
    /// client library's consumer (`taos://`).
    #[napi]
    pub async fn connect(&self) -> napi::Result<NativeConsumer> {
        let config = self.config.clone();
        guarded(async move {
            let backend = ConsumerBackend::connect(config).await.map_err(to_js)?;
            Ok(NativeConsumer { backend })
        })
        .await
    }
}

#[napi]
pub struct NativeConsumer {
    backend: ConsumerBackend,
}

/// Every call that talks to the server takes `timeoutMs` (its bound; a poll's is counted after
/// its blocking time; default the consumer's `request.timeout.ms`) and `abort` (a `NativeAbort`
/// that gives up on it) — the same limits as every connection call.
#[napi]
impl NativeConsumer {
    #[napi(ts_return_type = "Promise<void>")]
    pub fn subscribe<'env>(
        &self,
        env: &'env Env,
        topics: Vec<String>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.subscribe(topics).await })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn unsubscribe<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.unsubscribe().await })
    }

    /// The next message within `waitMs`, or null. Aborting (or `timeoutMs` passing) stops
    /// waiting; a message the server — or, for `taos://`, the client library — handed out
    /// meanwhile is delivered by the next poll (the core's `Consumer::discard`; the library's
    /// consumer keeps it, `taosjs_native::NativeConsumer::poll`).
    #[napi(ts_return_type = "Promise<NativeMessage | null>")]
    pub fn poll<'env>(
        &self,
        env: &'env Env,
        wait_ms: f64,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Option<NativeMessage>>> {
        if !wait_ms.is_finite() || wait_ms < 0.0 {
            return Err(js_error(ErrorKind::Tmq, format!("poll timeout must be a non-negative number of ms, got {wait_ms}")));
        }
        let wait = Duration::from_secs_f64((wait_ms / 1000.0).min(86_400.0 * 365.0));
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move {
            c.poll(wait).await.map(|message| message.map(|m| NativeMessage::new(Arc::from(m))))
        })
    }

    /// A handle to give up on a later call (the last argument of every call).
    #[napi(catch_unwind)]
    pub fn new_abort(&self) -> NativeAbort {
        NativeAbort::new()
    }

    /// Commits everything polled so far.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.commit().await })
    }

    /// Commits one message: its vgroup's committed offset becomes where it ends.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit_message<'env>(
        &self,
        env: &'env Env,
        message: &NativeMessage,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let m = Arc::clone(message.message());
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.commit_message(m).await })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn commit_offsets<'env>(
        &self,
        env: &'env Env,
        offsets: Vec<NativeTopicOffset>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let mut list = Vec::with_capacity(offsets.len());
        for o in offsets {
            let offset = offset_of(&o.offset, "offset")?;
            list.push((o.topic, o.vgroup_id, offset));
        }
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.commit_offsets(list).await })
    }

    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek<'env>(
        &self,
        env: &'env Env,
        topic: String,
        vgroup_id: i32,
        offset: BigInt,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let offset = offset_of(&offset, "offset")?;
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.seek(topic, vgroup_id, offset).await })
    }

    /// Seeks partitions (every assigned one when null) to the beginning or the end.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn seek_to_edge<'env>(
        &self,
        env: &'env Env,
        partitions: Option<Vec<NativePartition>>,
        to_end: bool,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.seek_to_edge(partitions.map(pairs), to_end).await })
    }

    #[napi(ts_return_type = "Promise<Array<NativeAssignment>>")]
    pub fn assignment<'env>(
        &self,
        env: &'env Env,
        topic: Option<String>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<NativeAssignment>>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move {
            c.assignment(topic).await.map(|list| list.into_iter().map(Into::into).collect())
        })
    }

    /// Committed offsets, null where nothing was committed.
    #[napi(ts_return_type = "Promise<Array<bigint | null>>")]
    pub fn committed<'env>(
        &self,
        env: &'env Env,
        partitions: Vec<NativePartition>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<Option<BigInt>>>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.committed(pairs(partitions)).await.map(offsets) })
    }

    #[napi(ts_return_type = "Promise<Array<bigint | null>>")]
    pub fn position<'env>(
        &self,
        env: &'env Env,
        partitions: Vec<NativePartition>,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<Option<BigInt>>>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.position(pairs(partitions)).await.map(offsets) })
    }

    #[napi(ts_return_type = "Promise<Array<string>>")]
    pub fn list_topics<'env>(
        &self,
        env: &'env Env,
        timeout_ms: Option<u32>,
        abort: Option<&NativeAbort>,
    ) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
        spawn_on(env, &self.backend, timeout_ms, abort, move |c| async move { c.list_topics().await })
    }

    #[napi(catch_unwind)]
    pub fn server_version(&self) -> String {
        self.backend.server_version()
    }

    /// Closed by the client, or the server went away.
    #[napi(getter)]
    pub fn is_closed(&self) -> bool {
        self.backend.is_closed()
    }

    /// Closes the socket; the server closes the consumer. Bounded by the goodbye timeout.
    #[napi]
    pub async fn close(&self) -> napi::Result<()> {
        let c = self.backend.clone();
        guarded(async move {
            c.close().await;
            Ok(())
        })
        .await
    }
}
