//! The TMQ consumer handle: `/rest/tmq` moved by the same socket task as the SQL session, the
//! protocol in [`taosjs_core::consumer::Consumer`]. Every error is a Tmq error.

use std::sync::Arc;
use std::time::Duration;

use taosjs_core::consumer::Consumer as CoreConsumer;
use taosjs_core::tmq::{ConsumerConfig, TmqMessage, TopicAssignment};
use taosjs_core::consumer::consumer_error as as_tmq;
use taosjs_core::{Error, Reply};

use crate::{mismatch, Handle};

/// A consumer: cheap to clone; closed by `close` or when the last handle is dropped (which
/// closes the consumer on the server: what was polled and not committed goes to the group
/// again).
#[derive(Clone)]
pub struct Consumer {
    handle: Arc<Handle<CoreConsumer>>,
    server_version: Arc<str>,
    /// The caller's bound of this handle's calls (a poll: after its blocking time); `None`:
    /// the consumer's `request.timeout.ms`.
    timeout: Option<Duration>,
}


impl Consumer {
    /// Opens `/rest/tmq` on the first endpoint that accepts it (each within the connect
    /// timeout) and checks the server's version.
    #[cfg(not(target_family = "wasm"))]
    pub async fn connect(config: ConsumerConfig) -> Result<Consumer, Error> {
        let consumer = CoreConsumer::new(config.options.clone());
        let (handle, server_version) =
            Handle::open(&config.connect, "/rest/tmq", consumer).await.map_err(as_tmq)?;
        Ok(Consumer { handle: Arc::new(handle), server_version: server_version.into(), timeout: None })
    }

    /// The same consumer, whose calls must each complete within `timeout` (a poll: within its
    /// blocking time plus `timeout`), else they fail with a Tmq error; `None` restores the
    /// consumer's request timeout.
    pub fn with_timeout(&self, timeout: Option<Duration>) -> Consumer {
        Consumer { handle: Arc::clone(&self.handle), server_version: Arc::clone(&self.server_version), timeout }
    }

    #[cfg(target_family = "wasm")]
    pub async fn connect(config: ConsumerConfig) -> Result<Consumer, Error> {
        let _ = config;
        Err(Error::not_supported("consumers are not available in the WebAssembly build yet"))
    }

    pub fn server_version(&self) -> String {
        self.server_version.to_string()
    }

    pub fn is_closed(&self) -> bool {
        self.handle.is_closed()
    }

    /// Subscribes to `topics`, replacing the current subscription.
    pub async fn subscribe(&self, topics: Vec<String>) -> Result<(), Error> {
        self.done(move |c, now| c.subscribe(topics, now)).await
    }

    pub async fn unsubscribe(&self) -> Result<(), Error> {
        self.done(|c, now| c.unsubscribe(now)).await
    }

    /// The next message, waiting up to `timeout` for one (`None`: none arrived). A server that
    /// does not answer makes it fail within `timeout` plus the request timeout.
    pub async fn poll(&self, timeout: Duration) -> Result<Option<Box<TmqMessage>>, Error> {
        match self.call(move |c, now| c.poll(timeout, now)).await? {
            Reply::TmqMessage(m) => Ok(m),
            other => Err(mismatch(&other)),
        }
    }

    /// Commits everything polled so far.
    pub async fn commit(&self) -> Result<(), Error> {
        self.done(|c, now| c.commit(now)).await
    }

    /// Commits one message: its vgroup's committed offset becomes where it ends.
    pub async fn commit_message(&self, message: Arc<TmqMessage>) -> Result<(), Error> {
        self.done(move |c, now| c.commit_message(&message, now)).await
    }

    pub async fn commit_offsets(&self, offsets: Vec<(String, i32, i64)>) -> Result<(), Error> {
        self.done(move |c, now| c.commit_offsets(offsets, now)).await
    }

    pub async fn seek(&self, topic: String, vgroup_id: i32, offset: i64) -> Result<(), Error> {
        self.done(move |c, now| c.seek(&topic, vgroup_id, offset, now)).await
    }

    /// Seeks partitions (all assigned ones when `None`) to the beginning or the end.
    pub async fn seek_to_edge(&self, partitions: Option<Vec<(String, i32)>>, to_end: bool) -> Result<(), Error> {
        self.done(move |c, now| c.seek_to_edge(partitions, to_end, now)).await
    }

    pub async fn assignment(&self, topic: Option<String>) -> Result<Vec<TopicAssignment>, Error> {
        match self.call(move |c, now| c.assignment(topic, now)).await? {
            Reply::TmqAssignment(a) => Ok(a),
            other => Err(mismatch(&other)),
        }
    }

    /// Committed offsets (`None`: nothing committed) of `(topic, vgroup)` pairs.
    pub async fn committed(&self, partitions: Vec<(String, i32)>) -> Result<Vec<Option<i64>>, Error> {
        self.offsets(move |c, now| c.committed(partitions, now)).await
    }

    pub async fn position(&self, partitions: Vec<(String, i32)>) -> Result<Vec<Option<i64>>, Error> {
        self.offsets(move |c, now| c.position(partitions, now)).await
    }

    pub async fn list_topics(&self) -> Result<Vec<String>, Error> {
        match self.call(|c, now| c.list_topics(now)).await? {
            Reply::TmqTopics(t) => Ok(t),
            other => Err(mismatch(&other)),
        }
    }

    /// Closes the socket (the server closes the consumer); calls still waiting fail.
    pub async fn close(&self) {
        self.handle.close().await
    }

    async fn call(
        &self,
        start: impl FnOnce(&mut CoreConsumer, taosjs_core::Instant) -> taosjs_core::CallId + Send + 'static,
    ) -> Result<Reply, Error> {
        self.handle.call(self.timeout, start).await.map_err(as_tmq)
    }

    async fn done(
        &self,
        start: impl FnOnce(&mut CoreConsumer, taosjs_core::Instant) -> taosjs_core::CallId + Send + 'static,
    ) -> Result<(), Error> {
        match self.call(start).await? {
            Reply::Done => Ok(()),
            other => Err(mismatch(&other)),
        }
    }

    async fn offsets(
        &self,
        start: impl FnOnce(&mut CoreConsumer, taosjs_core::Instant) -> taosjs_core::CallId + Send + 'static,
    ) -> Result<Vec<Option<i64>>, Error> {
        match self.call(start).await? {
            Reply::TmqOffsets(o) => Ok(o),
            other => Err(mismatch(&other)),
        }
    }
}
