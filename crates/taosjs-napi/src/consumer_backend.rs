//! The consumer behind a `NativeConsumer`, chosen by the DSN's scheme: `/rest/tmq` over
//! WebSocket (`taosjs_tokio::Consumer`, the core's consumer state machine) or the client
//! library's consumer (`taosjs_native::NativeConsumer`, `taos://`). Both answer with the core's
//! types (`TmqMessage`, `TopicAssignment`), so `consumer.rs` and the TS facade do not tell them
//! apart.

use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use taosjs_core::tmq::{ConsumerConfig, MessageBlock, MessageKind, TmqMessage, TopicAssignment};
use taosjs_core::{Error, ErrorKind, Scheme};
use taosjs_native::NativeConsumer as LibConsumer;
use taosjs_tokio::Consumer;

use crate::abort::Bounded;
use crate::transport::library_call;

#[derive(Clone)]
pub(crate) enum ConsumerBackend {
    /// `ws://`, `wss://`.
    Ws(Consumer),
    /// `taos://`: every call runs in the library (one at a time per consumer), bounded by
    /// `timeout` here; a call that times out goes on in the library, and the next call waits
    /// for it (a poll's message then goes to the next poll).
    Library { consumer: Arc<LibConsumer>, timeout: Duration, closed: Arc<AtomicBool> },
}

impl Bounded for ConsumerBackend {
    /// The same consumer, whose calls must each complete within `timeout` (a poll: after its
    /// blocking time); `None`: the consumer's `request.timeout.ms`.
    fn within(&self, timeout: Option<Duration>) -> ConsumerBackend {
        match self {
            ConsumerBackend::Ws(c) => ConsumerBackend::Ws(c.with_timeout(timeout)),
            ConsumerBackend::Library { consumer, timeout: default, closed } => ConsumerBackend::Library {
                consumer: Arc::clone(consumer),
                timeout: timeout.unwrap_or(*default),
                closed: Arc::clone(closed),
            },
        }
    }
}

impl ConsumerBackend {
    /// Connects as `config` says: the library's consumer for `taos://`, `/rest/tmq` otherwise.
    pub async fn connect(config: ConsumerConfig) -> Result<ConsumerBackend, Error> {
        if config.connect.scheme != Scheme::Native {
            return Ok(ConsumerBackend::Ws(Consumer::connect(config).await?));
        }
        let consumer = LibConsumer::new(&config.connect, &config.library_settings()).await?;
        Ok(ConsumerBackend::Library {
            consumer: Arc::new(consumer),
            timeout: config.options.request_timeout,
            closed: Arc::new(AtomicBool::new(false)),
        })
    }


    pub fn server_version(&self) -> String {
        match self {
            ConsumerBackend::Ws(c) => c.server_version(),
            // The library's consumer has no connection to ask.
            ConsumerBackend::Library { .. } => String::new(),
        }
    }

    pub fn is_closed(&self) -> bool {
        match self {
            ConsumerBackend::Ws(c) => c.is_closed(),
            ConsumerBackend::Library { closed, .. } => closed.load(Ordering::Acquire),
        }
    }

    pub async fn subscribe(&self, topics: Vec<String>) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.subscribe(topics).await,
            ConsumerBackend::Library { consumer, timeout, .. } => library_call(*timeout, consumer.subscribe(&topics)).await,
        }
    }

    pub async fn unsubscribe(&self) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.unsubscribe().await,
            ConsumerBackend::Library { consumer, timeout, .. } => library_call(*timeout, consumer.unsubscribe()).await,
        }
    }

    /// The next message within `wait` (`None`: none came).
    pub async fn poll(&self, wait: Duration) -> Result<Option<Box<TmqMessage>>, Error> {
        match self {
            ConsumerBackend::Ws(c) => c.poll(wait).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                let message = library_call(wait + *timeout, consumer.poll(wait)).await?;
                message.map(|m| from_library(m).map(Box::new)).transpose()
            }
        }
    }

    pub async fn commit(&self) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.commit().await,
            ConsumerBackend::Library { consumer, timeout, .. } => library_call(*timeout, consumer.commit()).await,
        }
    }

    /// Commits where `message` ends in its vgroup.
    pub async fn commit_message(&self, message: Arc<TmqMessage>) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.commit_message(message).await,
            ConsumerBackend::Library { .. } => {
                let end = message.end_offset.ok_or_else(|| {
                    Error::new(ErrorKind::Tmq, "the library did not say where this message ends: commit() commits everything polled")
                })?;
                self.commit_offsets(vec![(message.topic.clone(), message.vgroup_id, end)]).await
            }
        }
    }

    pub async fn commit_offsets(&self, offsets: Vec<(String, i32, i64)>) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.commit_offsets(offsets).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                library_call(*timeout, async {
                    for (topic, vgroup_id, offset) in &offsets {
                        consumer.commit_offset(topic, *vgroup_id, *offset).await?;
                    }
                    Ok(())
                })
                .await
            }
        }
    }

    pub async fn seek(&self, topic: String, vgroup_id: i32, offset: i64) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.seek(topic, vgroup_id, offset).await,
            ConsumerBackend::Library { consumer, timeout, .. } => library_call(*timeout, consumer.seek(&topic, vgroup_id, offset)).await,
        }
    }

    /// Seeks `partitions` (every assigned one when `None`) to their first or past their last
    /// offset.
    pub async fn seek_to_edge(&self, partitions: Option<Vec<(String, i32)>>, to_end: bool) -> Result<(), Error> {
        match self {
            ConsumerBackend::Ws(c) => c.seek_to_edge(partitions, to_end).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                let assigned = self.assignment(None).await?;
                library_call(*timeout, async {
                    for a in &assigned {
                        let wanted = partitions.as_ref().is_none_or(|p| p.iter().any(|(t, v)| *t == a.topic && *v == a.vgroup_id));
                        if wanted {
                            consumer.seek(&a.topic, a.vgroup_id, if to_end { a.end } else { a.begin }).await?;
                        }
                    }
                    Ok(())
                })
                .await
            }
        }
    }

    /// The vgroups assigned in `topic` (every subscribed topic when `None`).
    pub async fn assignment(&self, topic: Option<String>) -> Result<Vec<TopicAssignment>, Error> {
        match self {
            ConsumerBackend::Ws(c) => c.assignment(topic).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                library_call(*timeout, async {
                    let topics = match topic {
                        Some(t) => vec![t],
                        None => consumer.subscription().await?,
                    };
                    let mut all = Vec::new();
                    for topic in topics {
                        for a in consumer.assignment(&topic).await? {
                            let (vgroup_id, offset, begin, end) = (a.vgroup_id, a.offset, a.begin, a.end);
                            all.push(TopicAssignment { topic: topic.clone(), vgroup_id, offset, begin, end });
                        }
                    }
                    Ok(all)
                })
                .await
            }
        }
    }

    /// Committed offsets (`None`: nothing committed yet).
    pub async fn committed(&self, partitions: Vec<(String, i32)>) -> Result<Vec<Option<i64>>, Error> {
        match self {
            ConsumerBackend::Ws(c) => c.committed(partitions).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                library_call(*timeout, each_offset(&partitions, |t, v| consumer.committed(t, v))).await
            }
        }
    }

    /// Where the consumer stands in each partition (`None`: unknown yet).
    pub async fn position(&self, partitions: Vec<(String, i32)>) -> Result<Vec<Option<i64>>, Error> {
        match self {
            ConsumerBackend::Ws(c) => c.position(partitions).await,
            ConsumerBackend::Library { consumer, timeout, .. } => {
                library_call(*timeout, each_offset(&partitions, |t, v| consumer.position(t, v))).await
            }
        }
    }

    pub async fn list_topics(&self) -> Result<Vec<String>, Error> {
        match self {
            ConsumerBackend::Ws(c) => c.list_topics().await,
            ConsumerBackend::Library { consumer, timeout, .. } => library_call(*timeout, consumer.subscription()).await,
        }
    }

    pub async fn close(&self) {
        match self {
            ConsumerBackend::Ws(c) => c.close().await,
            ConsumerBackend::Library { consumer, closed, .. } => {
                closed.store(true, Ordering::Release);
                consumer.close().await;
            }
        }
    }
}


/// One offset per partition; the library answers a negative code where there is none.
async fn each_offset<'a, F, Fut>(partitions: &'a [(String, i32)], get: F) -> Result<Vec<Option<i64>>, Error>
where
    F: Fn(&'a str, i32) -> Fut,
    Fut: Future<Output = Result<i64, Error>>,
{
    let mut out = Vec::with_capacity(partitions.len());
    for (topic, vgroup_id) in partitions {
        let offset = get(topic, *vgroup_id).await?;
        out.push((offset >= 0).then_some(offset));
    }
    Ok(out)
}

/// A message of the library in the core's shape (what the WebSocket consumer hands out).
fn from_library(m: taosjs_native::TmqMessage) -> Result<TmqMessage, Error> {
    let kind = MessageKind::from_type(m.kind).ok_or_else(|| Error::new(ErrorKind::Tmq, format!("a message of unknown type {}", m.kind)))?;
    let mut blocks = Vec::with_capacity(m.blocks.len());
    for b in m.blocks {
        let rows = taosjs_core::block::parse_header(b.block.raw())?.rows;
        blocks.push(MessageBlock { table_name: b.table_name, precision: b.precision, rows, block: b.block });
    }
    Ok(TmqMessage {
        id: 0,
        topic: m.topic,
        database: m.database,
        vgroup_id: m.vgroup_id,
        kind,
        offset: m.offset,
        end_offset: m.end_offset,
        meta: m.meta,
        blocks,
    })
}
