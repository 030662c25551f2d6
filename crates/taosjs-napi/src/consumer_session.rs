//! `NativeConsumerSession`: the core's TMQ consumer (`taosjs_core::consumer::Consumer`, the
//! `/rest/tmq` conversation the tokio driver runs for the native addon) for a driver written in
//! JavaScript — the WebAssembly build's consumers. It is driven exactly as `NativeSession` is
//! (`session.rs`; the same `Driver` in `src/session-driver.ts` moves both): calls return call
//! ids and complete through `pollEvent`, frames go out through `pollTransmit`, time comes in as
//! milliseconds since the driver's origin. Every call here also takes that time: the consumer
//! schedules polls and auto-commits by it. Polled messages cross as `NativeMessage` (`tmq.rs`),
//! as the native addon's do.

use std::time::Duration;

use napi::bindgen_prelude::{BigInt, Uint8Array};
use napi_derive::napi;
use taosjs_core::consumer::{consumer_error, Consumer};
use taosjs_core::tmq::ConsumerConfig;
use taosjs_core::{ErrorKind, Event, Frame, KeepaliveProbe, Scheme};

use crate::error::{js_error, native_message};
use crate::session::{call_id, completed, instant, outgoing, NativeFrame, NativeSessionEvent};
use crate::tmq::{consumer_settings, offset_of, pairs, NativeConfigEntry, NativeMessage, NativePartition, NativeTopicOffset};

#[napi]
pub struct NativeConsumerSession {
    consumer: Consumer,
    config: ConsumerConfig,
}

fn call(id: u32) -> taosjs_core::CallId {
    taosjs_core::CallId(u64::from(id))
}

#[napi]
impl NativeConsumerSession {
    /// A consumer of the configuration `entries` (TDengine's keys, text values; a TmqError
    /// naming the key otherwise) over `dsn`. `runtime` names where the driver runs, for what it
    /// cannot do (`taos://`); `canPing` as for `NativeSession` (else keepalive probes with
    /// taosAdapter's `version` request).
    #[napi(constructor)]
    pub fn new(entries: Vec<NativeConfigEntry>, dsn: Option<String>, runtime: String, can_ping: bool) -> napi::Result<Self> {
        let config = consumer_settings(entries, dsn)?;
        if config.connect.scheme == Scheme::Native {
            return Err(js_error(
                ErrorKind::NotSupported,
                format!(
                    "taos:// consumers are not available in {runtime}, where taosjs runs as WebAssembly and reaches TDengine only \
                     through taosAdapter: use a ws:// or wss:// DSN (td.connect.websocket.scheme)"
                ),
            ));
        }
        if config.connect.endpoints.is_empty() {
            return Err(js_error(ErrorKind::Tmq, "the configuration names no host to connect to"));
        }
        let mut consumer = Consumer::new(config.options.clone());
        consumer.set_keepalive_probe(if can_ping { KeepaliveProbe::Ping } else { KeepaliveProbe::Version });
        Ok(NativeConsumerSession { consumer, config })
    }

    /// The consumer group.
    #[napi(getter, catch_unwind)]
    pub fn group_id(&self) -> String {
        self.config.options.group_id.clone()
    }

    /// The `/rest/tmq` WebSocket URL of each endpoint, in the order to try them.
    #[napi(getter, catch_unwind)]
    pub fn urls(&self) -> Vec<String> {
        let c = &self.config.connect;
        c.endpoints.iter().map(|e| c.url_for(e, "/rest/tmq")).collect()
    }

    /// How long opening each endpoint's WebSocket may take.
    #[napi(getter, catch_unwind)]
    pub fn connect_timeout_ms(&self) -> f64 {
        self.config.connect.connect_timeout.as_secs_f64() * 1000.0
    }

    #[napi(getter, catch_unwind)]
    pub fn tls_ca(&self) -> Option<String> {
        self.config.connect.tls_ca_pem.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn tls_cert(&self) -> Option<String> {
        self.config.connect.tls_cert_pem.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn tls_key(&self) -> Option<String> {
        self.config.connect.tls_key_pem.clone()
    }

    #[napi(getter, catch_unwind)]
    pub fn tls_verify(&self) -> bool {
        self.config.connect.tls_verify
    }

    #[napi(getter, catch_unwind)]
    pub fn server_version(&self) -> String {
        self.consumer.server_version().unwrap_or_default().to_owned()
    }

    #[napi(getter, catch_unwind)]
    pub fn is_closed(&self) -> bool {
        self.consumer.is_closed()
    }

    #[napi(getter, catch_unwind)]
    pub fn is_finished(&self) -> bool {
        self.consumer.is_finished()
    }

    // ----- the driver's side: as NativeSession's ---------------------------------------------

    /// Checks the server's version on the open socket; completes with `Connected`.
    #[napi(catch_unwind)]
    pub fn connect(&mut self, now_ms: f64) -> u32 {
        call_id(self.consumer.connect(instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn close(&mut self, now_ms: f64) {
        self.consumer.close(instant(now_ms));
    }

    #[napi(catch_unwind)]
    pub fn set_deadline(&mut self, call_id: u32, now_ms: f64, timeout_ms: Option<u32>) {
        let timeout = timeout_ms.map(|ms| Duration::from_millis(u64::from(ms)));
        self.consumer.set_deadline(call(call_id), instant(now_ms), timeout);
    }

    /// The caller went away; a poll's message is delivered by the next poll.
    #[napi(catch_unwind)]
    pub fn cancel(&mut self, call_id: u32) {
        self.consumer.cancel(call(call_id));
    }

    #[napi(catch_unwind)]
    pub fn poll_transmit(&mut self) -> Option<NativeFrame> {
        loop {
            if let Some(frame) = outgoing(self.consumer.poll_transmit()?) {
                return Some(frame);
            }
        }
    }

    #[napi(catch_unwind)]
    pub fn handle_text(&mut self, text: String, now_ms: f64) {
        self.consumer.handle_frame(Frame::Text(text), instant(now_ms));
    }

    #[napi(catch_unwind)]
    pub fn handle_binary(&mut self, data: Uint8Array, now_ms: f64) {
        self.consumer.handle_frame(Frame::Binary(data.to_vec().into()), instant(now_ms));
    }

    #[napi(catch_unwind)]
    pub fn handle_pong(&mut self, data: Uint8Array, now_ms: f64) {
        self.consumer.handle_frame(Frame::Pong(data.to_vec()), instant(now_ms));
    }

    #[napi(catch_unwind)]
    pub fn handle_disconnect(&mut self, reason: String, now_ms: f64) {
        self.consumer.handle_disconnect(&reason, instant(now_ms));
    }

    #[napi(catch_unwind)]
    pub fn poll_timeout(&self) -> Option<f64> {
        self.consumer.poll_timeout().map(|at| at.since_origin().as_secs_f64() * 1000.0)
    }

    #[napi(catch_unwind)]
    pub fn handle_timeout(&mut self, now_ms: f64) {
        self.consumer.handle_timeout(instant(now_ms));
    }

    /// The next completion, or null. Errors are the consumer's (`consumer_error`: a lost
    /// socket is a TmqError), as the native addon's consumers report them.
    #[napi(catch_unwind)]
    pub fn poll_event(&mut self) -> Option<NativeSessionEvent> {
        loop {
            return Some(match self.consumer.poll_event()? {
                Event::Completed { call, outcome } => completed(call, outcome, consumer_error),
                Event::Closed { error } => NativeSessionEvent::Closed { error: error.map(|e| native_message(&consumer_error(e))) },
                // A consumer never reconnects by itself (the application makes a new one).
                _ => continue,
            });
        }
    }

    /// Always null: a consumer opens no socket after the first (see `pollEvent`).
    #[napi(catch_unwind)]
    pub fn poll_socket(&mut self) -> Option<crate::session::NativeSocketCommand> {
        None
    }

    #[napi(catch_unwind)]
    pub fn handle_socket_opened(&mut self, _now_ms: f64) {}

    #[napi(catch_unwind)]
    pub fn handle_socket_failed(&mut self, _now_ms: f64, _reason: String) {}

    // ----- calls: each returns its call id ----------------------------------------------------

    #[napi(catch_unwind)]
    pub fn subscribe(&mut self, topics: Vec<String>, now_ms: f64) -> u32 {
        call_id(self.consumer.subscribe(topics, instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn unsubscribe(&mut self, now_ms: f64) -> u32 {
        call_id(self.consumer.unsubscribe(instant(now_ms)))
    }

    /// The next message within `waitMs` (`TmqMessage`, null when none came).
    #[napi(catch_unwind)]
    pub fn poll(&mut self, wait_ms: f64, now_ms: f64) -> napi::Result<u32> {
        if !wait_ms.is_finite() || wait_ms < 0.0 {
            return Err(js_error(ErrorKind::Tmq, format!("poll timeout must be a non-negative number of ms, got {wait_ms}")));
        }
        let wait = Duration::from_secs_f64((wait_ms / 1000.0).min(86_400.0 * 365.0));
        Ok(call_id(self.consumer.poll(wait, instant(now_ms))))
    }

    #[napi(catch_unwind)]
    pub fn commit(&mut self, now_ms: f64) -> u32 {
        call_id(self.consumer.commit(instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn commit_message(&mut self, message: &NativeMessage, now_ms: f64) -> u32 {
        call_id(self.consumer.commit_message(message.message(), instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn commit_offsets(&mut self, offsets: Vec<NativeTopicOffset>, now_ms: f64) -> napi::Result<u32> {
        let mut list = Vec::with_capacity(offsets.len());
        for o in offsets {
            let offset = offset_of(&o.offset, "offset")?;
            list.push((o.topic, o.vgroup_id, offset));
        }
        Ok(call_id(self.consumer.commit_offsets(list, instant(now_ms))))
    }

    #[napi(catch_unwind)]
    pub fn seek(&mut self, topic: String, vgroup_id: i32, offset: BigInt, now_ms: f64) -> napi::Result<u32> {
        let offset = offset_of(&offset, "offset")?;
        Ok(call_id(self.consumer.seek(&topic, vgroup_id, offset, instant(now_ms))))
    }

    #[napi(catch_unwind)]
    pub fn seek_to_edge(&mut self, partitions: Option<Vec<NativePartition>>, to_end: bool, now_ms: f64) -> u32 {
        call_id(self.consumer.seek_to_edge(partitions.map(pairs), to_end, instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn assignment(&mut self, topic: Option<String>, now_ms: f64) -> u32 {
        call_id(self.consumer.assignment(topic, instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn committed(&mut self, partitions: Vec<NativePartition>, now_ms: f64) -> u32 {
        call_id(self.consumer.committed(pairs(partitions), instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn position(&mut self, partitions: Vec<NativePartition>, now_ms: f64) -> u32 {
        call_id(self.consumer.position(pairs(partitions), instant(now_ms)))
    }

    #[napi(catch_unwind)]
    pub fn list_topics(&mut self, now_ms: f64) -> u32 {
        call_id(self.consumer.list_topics(instant(now_ms)))
    }
}
