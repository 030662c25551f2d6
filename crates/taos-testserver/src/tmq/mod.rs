//! TMQ over WebSocket `/rest/tmq` (reference §7, corrected by wire README §5.7).
//!
//! One consumer per connection. A topic has its database's vgroups (the engine puts each table
//! in one by a hash of its name); the consumers of one group share them
//! (`SqlBackend::tmq_assigned`: dealt in turn, taken over when a consumer leaves), and a
//! consumer keeps a position per vgroup it is assigned. Every topic reads the vgroup's log
//! (`SqlBackend::topic_log`) and its offsets are log versions, as on a real vnode: each
//! statement's rows are delivered in the order they were written, a row written twice twice.
//! Committed offsets belong to the consumer group, per vgroup, and live in
//! [`offsets::TmqGroups`], shared by every connection of the server: a vgroup that moves to another consumer goes on from its group's committed offset
//! (at-least-once, as in TDengine).

pub mod offsets;
mod options;

use crate::backend_call::{guarded, run_blocking};
use crate::envelope::{reply_json, timing_ns, NoExtra};
use crate::shared::Shared;
use crate::ws::frame::{FrameReader, FrameWriter, Message, ReadError};
use offsets::Position;
use taos_sqlengine::types::ResultSet;
use taos_sqlengine::{MetaJson, TmqConsumer, TopicBatch, TopicLogBody};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite};

/// `committed` for a vgroup without a committed offset.
const NO_COMMITTED_OFFSET: i64 = -2147467247;



/// Consumer ids, unique per server process (`show consumers` prints them).
static NEXT_CONSUMER_ID: AtomicU64 = AtomicU64::new(0x2b0c_1000);

#[derive(Serialize, Clone)]
struct PollReply {
    have_message: bool,
    topic: String,
    database: String,
    vgroup_id: i32,
    message_type: i32,
    message_id: u64,
    offset: i64,
}

#[derive(Serialize)]
struct CommitOffsetReply<'a> {
    topic: &'a str,
    vgroup_id: i64,
    offset: i64,
}

#[derive(Serialize)]
struct MessageIdExtra {
    message_id: u64,
}

/// The legacy `fetch` after a data message's last block (wire README §5.7 #51).
#[derive(Serialize)]
struct FetchCompleted<'a> {
    code: u16,
    message: &'a str,
    action: &'a str,
    req_id: u64,
    timing: u64,
    message_id: u64,
    completed: bool,
    table_name: &'a str,
    rows: u64,
    fields_count: u64,
    fields_names: Option<Vec<String>>,
    fields_types: Option<Vec<u8>>,
    fields_lengths: Option<Vec<u32>>,
    precision: u8,
}

/// `fetch_json_meta`: the message id, then the meta as TDengine orders its keys.
#[derive(Serialize)]
struct JsonMetaReply<'a> {
    message_id: u64,
    data: MetaJson<'a>,
}

#[derive(Serialize)]
struct Assignment {
    vgroup_id: i32,
    offset: i64,
    begin: i64,
    end: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct SubscribeArgs {
    user: Option<String>,
    password: Option<String>,
    group_id: Option<String>,
    client_id: Option<String>,
    offset_rest: Option<String>,
    offset_reset: Option<String>,
    with_table_name: Option<String>,
    topics: Option<Vec<String>>,
    auto_commit: Option<String>,
    auto_commit_interval_ms: Option<String>,
    enable_batch_meta: Option<String>,
    snapshot_enable: Option<String>,
    session_timeout_ms: Option<String>,
    max_poll_interval_ms: Option<String>,
    msg_consume_excluded: Option<String>,
    msg_consume_rawdata: Option<String>,
    db: Option<String>,
    config: Option<HashMap<String, Json>>,
}

#[derive(Deserialize)]
struct TopicVgroup {
    #[serde(default)]
    topic: String,
    #[serde(default)]
    vgroup_id: i64,
}

struct Consumer {
    /// Registered with the engine while subscribed (`show consumers`, `drop topic` → 1003).
    id: u64,
    /// `with_table_name` / `msg.with.table.name`: blocks of stable and database topics carry
    /// their table's name.
    with_table_names: bool,
    /// `enable_batch_meta` / `msg.enable.batchmeta`: consecutive metadata changes of a topic
    /// `WITH META` come as one message.
    batch_meta: bool,
    group: String,
    topics: Vec<String>,
    auto_commit: bool,
    /// The adapter emulates auto-commit: a poll commits the position once this much time passed.
    auto_commit_every: Duration,
    last_auto_commit: Instant,
    /// `auto.offset.reset`: where a vgroup without a committed offset starts.
    reset: String,
    /// Per (topic, vgroup) this consumer is assigned.
    positions: HashMap<(String, i32), Position>,
}

/// The message a poll handed out, kept until the next poll that returns one.
struct Held {
    id: u64,
    /// What the poll answered: a poll carrying another message id gets it again (the
    /// adapter's recovery rule: a message whose poll reply was lost is not lost).
    reply: PollReply,
    /// The blocks carry their table's name (stable and database topics, `with_table_name`).
    with_table_names: bool,
    batches: Vec<TopicBatch>,
    /// The log version the next message begins at: where this one ends, what `fetch_raw_data`'s
    /// offset section says and a commit of it resumes from.
    end: i64,
    /// What `fetch_json_meta` answers: metadata (type 2) or created tables (type 3).
    meta: Option<Json>,
    /// Next batch for the legacy `fetch` path, and the `fetch` req_id `fetch_block` echoes.
    fetch_next: usize,
    /// The block the last successful `fetch` read: what `fetch_block` sends (taosAdapter keeps
    /// it in the message's buffer; `fetch` moves on, `fetch_block` does not).
    fetched: Option<usize>,
    fetch_req_id: u64,
}

/// A `poll` that arrived before `subscribe`: answered after the next successful subscribe.
struct QueuedPoll {
    req_id: u64,
    blocking_ms: u64,
    start: Instant,
}

enum Reply {
    Text(Vec<u8>),
    Binary(Vec<u8>),
    /// Poll (req_id, blocking time in ms, when the request arrived): waits for data in the
    /// connection loop, without holding a thread.
    Poll(u64, u64, Instant),
}

struct TmqSession {
    shared: Arc<Shared>,
    /// When the connection opened (`show consumers` `up_time`).
    opened_ms: i64,
    consumer: Option<Consumer>,
    ever_subscribed: bool,
    /// Per connection: continues across unsubscribe/subscribe (wire README §5.7 #48).
    last_message_id: u64,
    held: Option<Held>,
    queued_poll: Option<QueuedPoll>,
}

fn json<T: Serialize>(code: u16, message: &str, action: &str, req_id: u64, start: Instant, extra: T) -> Reply {
    Reply::Text(reply_json(code, message, action, req_id, start, extra))
}

fn ok<T: Serialize>(action: &str, req_id: u64, start: Instant, extra: T) -> Reply {
    json(0, "", action, req_id, start, extra)
}

fn err(code: u16, message: &str, action: &str, req_id: u64, start: Instant) -> Reply {
    json(code, message, action, req_id, start, NoExtra {})
}

fn empty_poll(req_id: u64, start: Instant) -> Reply {
    ok(
        "poll",
        req_id,
        start,
        PollReply {
            have_message: false,
            topic: String::new(),
            database: String::new(),
            vgroup_id: 0,
            message_type: 0,
            message_id: 0,
            offset: 0,
        },
    )
}

/// Action-8 frame (reference §7.5): header, code, message, message id, then the raw part.
fn action8_frame(req_id: u64, code: u16, message: &str, message_id: u64, start: Instant, raw: Option<(u16, &[u8])>) -> Vec<u8> {
    let mut out = Vec::with_capacity(64 + raw.map_or(0, |r| r.1.len()));
    out.extend_from_slice(&u64::MAX.to_le_bytes());
    out.extend_from_slice(&8u64.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&timing_ns(start).to_le_bytes());
    out.extend_from_slice(&req_id.to_le_bytes());
    out.extend_from_slice(&(code as u32).to_le_bytes());
    out.extend_from_slice(&(message.len() as u32).to_le_bytes());
    out.extend_from_slice(message.as_bytes());
    out.extend_from_slice(&message_id.to_le_bytes());
    if let Some((raw_type, bytes)) = raw {
        out.extend_from_slice(&raw_type.to_le_bytes());
        out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
        out.extend_from_slice(bytes);
    }
    out
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7F) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

fn put_zvarint(out: &mut Vec<u8>, v: i64) {
    put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
}

fn put_cstr(out: &mut Vec<u8>, s: &str) {
    put_varint(out, s.len() as u64 + 1);
    out.extend_from_slice(s.as_bytes());
    out.push(0);
}

/// A raw block as data messages carry it: same layout as `fetch_raw_block`'s, version field 2.
fn version2_block(rs: &ResultSet) -> Vec<u8> {
    let mut b = crate::block::encode_block(rs, 0, rs.num_rows());
    if b.len() >= 4 {
        b[..4].copy_from_slice(&2i32.to_le_bytes());
    }
    b
}

/// The bytes of a data message (reference §7.6; schema included; table names as recorded: for
/// stable and database topics whose consumer asked for them, none for query topics).
fn encode_data_message(batches: &[TopicBatch], with_table_names: bool, offset_before: i64, offset_after: i64) -> Vec<u8> {
    let mut out = vec![100u8];
    out.extend_from_slice(&18i32.to_le_bytes());
    for off in [offset_before, offset_after] {
        out.push(0x11); // log offset: a WAL version follows
        out.extend_from_slice(&off.to_le_bytes());
    }
    out.extend_from_slice(&(batches.len() as i32).to_le_bytes());
    if !batches.is_empty() {
        out.push(u8::from(with_table_names));
        out.push(1); // with_schema
        for batch in batches {
            let rs = &batch.rows;
            let raw = version2_block(rs);
            let mut block = Vec::with_capacity(18 + raw.len());
            block.extend_from_slice(&1i64.to_le_bytes());
            block.extend_from_slice(&(rs.num_rows() as i64).to_be_bytes());
            block.push(0); // not compressed
            block.push(rs.precision.code());
            block.extend_from_slice(&raw);
            put_varint(&mut out, block.len() as u64);
            out.extend_from_slice(&block);
            put_zvarint(&mut out, rs.fields.len() as i64);
            put_zvarint(&mut out, 0); // schema version
            for (i, f) in rs.fields.iter().enumerate() {
                // a table's own column ids and flags; a query topic's columns in order, no flags
                let raw = batch.raw_columns.as_ref().and_then(|r| r.get(i));
                out.push(f.ty.id());
                out.push(raw.map_or(0, |r| r.flags));
                put_zvarint(&mut out, f.storage_bytes() as i64);
                put_zvarint(&mut out, raw.map_or(i as i64 + 1, |r| i64::from(r.id)));
                put_cstr(&mut out, &f.name);
            }
            if with_table_names {
                put_cstr(&mut out, &batch.table);
            }
        }
    }
    out.extend_from_slice(&0i64.to_le_bytes()); // sleep time
    out
}

impl TmqSession {
    fn new(shared: Arc<Shared>) -> Self {
        let opened_ms = chrono::Utc::now().timestamp_millis();
        TmqSession { shared, opened_ms, consumer: None, ever_subscribed: false, last_message_id: 0, held: None, queued_poll: None }
    }

    /// The consumer leaves (an `unsubscribe`, or its socket `closed`): the engine forgets it.
    /// Answers how long TDengine then rebalances its topics (zero after an `unsubscribe`).
    fn leave(&mut self, closed: bool) -> Duration {
        match self.consumer.take() {
            Some(c) => self.shared.backend.tmq_unsubscribed(c.id, closed),
            None => Duration::ZERO,
        }
    }

    /// The position at log version `offset` of a topic's vgroup (clamped to what the log holds).
    fn position_at(&self, topic: &str, vgroup: i32, offset: i64) -> Position {
        let (begin, end) = self.topic_range(topic, vgroup);
        let offset = offset.clamp(begin, end);
        Position { offset, begin: offset }
    }

    /// The first and one past the last offset of a topic's vgroup: the versions its log keeps.
    fn topic_range(&self, topic: &str, vgroup: i32) -> (i64, i64) {
        self.shared.backend.topic_log_range(topic, vgroup).unwrap_or((0, 0))
    }

    /// Where a vgroup newly assigned to the consumer starts: its group's committed offset, else
    /// `auto.offset.reset`.
    fn starting_position(&self, group: &str, reset: &str, topic: &str, vgroup: i32) -> Position {
        match self.shared.tmq.entry(group, topic, vgroup, self.shared.backend.topic_created(topic)) {
            Some((_, Some(exact))) => exact,
            Some((committed, None)) => self.position_at(topic, vgroup, committed),
            None if reset == "latest" => self.position_at(topic, vgroup, i64::MAX),
            None => self.position_at(topic, vgroup, 0),
        }
    }

    /// Brings the consumer's positions in line with its share of its group's vgroups (it
    /// changes as consumers of the group come and go): a vgroup it lost is forgotten (what it
    /// polled there and did not commit goes to the new owner again), a vgroup it gained starts
    /// from the group's committed offset.
    fn rebalance(&mut self) {
        let Some(c) = self.consumer.as_ref() else { return };
        let mut assigned = Vec::new();
        for t in &c.topics {
            for vg in self.shared.backend.tmq_assigned(c.id, t) {
                assigned.push((t.clone(), vg));
            }
        }
        let (group, reset) = (c.group.clone(), c.reset.clone());
        let gained: Vec<(String, i32)> = assigned.iter().filter(|k| !c.positions.contains_key(*k)).cloned().collect();
        let started: Vec<((String, i32), Position)> = gained
            .into_iter()
            .map(|(t, vg)| {
                let pos = self.starting_position(&group, &reset, &t, vg);
                ((t, vg), pos)
            })
            .collect();
        if let Some(c) = self.consumer.as_mut() {
            c.positions.retain(|k, _| assigned.contains(k));
            c.positions.extend(started);
        }
    }

    /// The consumer's assigned (topic, vgroup) pairs, in topic then vgroup order.
    fn assigned(&self) -> Vec<(String, i32)> {
        let Some(c) = self.consumer.as_ref() else { return vec![] };
        let mut keys: Vec<(String, i32)> = c.positions.keys().cloned().collect();
        keys.sort_by(|a, b| {
            let ta = c.topics.iter().position(|t| *t == a.0);
            let tb = c.topics.iter().position(|t| *t == b.0);
            (ta, a.1).cmp(&(tb, b.1))
        });
        keys
    }

    fn handle_text(&mut self, bytes: &[u8]) -> Vec<Reply> {
        let start = Instant::now();
        // Unparsable requests and unknown actions get no reply at all on /rest/tmq.
        let Ok(req) = serde_json::from_slice::<Json>(bytes) else { return vec![] };
        let Some(action) = req.get("action").and_then(|a| a.as_str()).map(str::to_string) else { return vec![] };
        let args = req.get("args").cloned().unwrap_or(Json::Null);
        let req_id = args.get("req_id").and_then(|r| r.as_u64()).unwrap_or(0);
        let message_id = args.get("message_id").and_then(|m| m.as_u64()).unwrap_or(0);
        match action.as_str() {
            "version" => vec![ok("version", req_id, start, serde_json::json!({"version": self.shared.server_version()}))],
            "subscribe" => self.subscribe(args, req_id, start),
            "poll" => {
                let blocking_ms = args.get("blocking_time").and_then(|b| b.as_u64()).unwrap_or(0);
                if self.consumer.is_none() && !self.ever_subscribed {
                    // Queued in the one-slot poll queue until a subscribe succeeds.
                    self.queued_poll = Some(QueuedPoll { req_id, blocking_ms, start });
                    return vec![];
                }
                if self.consumer.as_ref().is_some_and(|c| c.topics.is_empty()) {
                    // subscribed to an empty list: taosc has no consumer to poll (3.3.7.5)
                    return vec![err(0x03E6, "Consumer not exist", "poll", req_id, start)];
                }
                // The recovery rule (taosAdapter's checkPollMessageID, checked on TDengine
                // 3.3.7.5): a poll that names another message than the one held gets the held
                // message again; a poll without `message_id` just polls.
                let named = args.get("message_id").and_then(|m| m.as_u64());
                if let Some(held) = self.held.as_ref().filter(|h| named.is_some_and(|id| id != h.id) && self.consumer.is_some()) {
                    return vec![ok("poll", req_id, start, held.reply.clone())];
                }
                vec![Reply::Poll(req_id, blocking_ms, start)]
            }
            "unsubscribe" => {
                self.leave(false);
                self.held = None;
                vec![ok("unsubscribe", req_id, start, NoExtra {})]
            }
            "list_topics" | "assignment" | "committed" | "position" | "seek" | "commit" | "commit_offset"
            | "fetch" | "fetch_block" | "fetch_raw" | "fetch_raw_data" | "fetch_json_meta" => {
                // after `unsubscribe` the consumer still exists, with no topics
                if !self.ever_subscribed {
                    return match action.as_str() {
                        "fetch_raw_data" => {
                            vec![Reply::Binary(action8_frame(req_id, 0xFFFF, "tmq not init", message_id, start, None))]
                        }
                        _ => vec![err(0xFFFF, "tmq not init", &action, req_id, start)],
                    };
                }
                vec![self.consumer_action(&action, &args, req_id, message_id, start)]
            }
            _ => vec![],
        }
    }

    fn subscribe(&mut self, args: Json, req_id: u64, start: Instant) -> Vec<Reply> {
        let Ok(a) = serde_json::from_value::<SubscribeArgs>(args) else {
            return vec![err(0xFFFF, "unmarshal subscribe request error", "subscribe", req_id, start)];
        };
        if self.consumer.is_some() {
            return vec![err(0xFFFF, "tmq should have unsubscribed first", "subscribe", req_id, start)];
        }
        let config: BTreeMap<String, String> = a
            .config
            .iter()
            .flatten()
            .map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string)))
            .collect();
        let offset_reset = a.offset_reset.as_deref().filter(|r| !r.is_empty()).or(a.offset_rest.as_deref());
        let o = options::collect(
            &[
                ("group.id", a.group_id.as_deref()),
                ("client.id", a.client_id.as_deref()),
                ("td.connect.db", a.db.as_deref()),
                ("experimental.snapshot.enable", a.snapshot_enable.as_deref()),
                ("msg.enable.batchmeta", a.enable_batch_meta.as_deref()),
                ("session.timeout.ms", a.session_timeout_ms.as_deref()),
                ("max.poll.interval.ms", a.max_poll_interval_ms.as_deref()),
                ("msg.consume.rawdata", a.msg_consume_rawdata.as_deref()),
                ("msg.with.table.name", a.with_table_name.as_deref()),
                ("msg.consume.excluded", a.msg_consume_excluded.as_deref()),
                ("enable.auto.commit", a.auto_commit.as_deref()),
                ("auto.commit.interval.ms", a.auto_commit_interval_ms.as_deref()),
                ("auto.offset.reset", offset_reset),
            ],
            &config,
        );
        if let Err((code, message)) = options::check(&o) {
            return vec![err(code, &message, "subscribe", req_id, start)];
        }
        let get = |k: &str| o.get(k).map(String::as_str);
        let group = get("group.id").unwrap_or_default().to_string();
        // TDengine's default is `latest`: a group without committed offsets sees only new data.
        let reset = get("auto.offset.reset").unwrap_or("latest").to_ascii_lowercase();
        let with_table_names = get("msg.with.table.name").is_some_and(|v| v.eq_ignore_ascii_case("true"));
        // taosc: a number other than 0
        let batch_meta = get("msg.enable.batchmeta").and_then(options::str2int64).is_some_and(|n| n != 0);
        let auto_commit = get("enable.auto.commit").and_then(crate::goparse::parse_bool).unwrap_or(true);
        let interval_ms = get("auto.commit.interval.ms").and_then(|v| v.parse::<u64>().ok()).unwrap_or(5000);
        // TDengine's default: a consumer that does not poll for 5 minutes is lost to its group
        let max_poll_interval_ms: i64 = get("max.poll.interval.ms").and_then(|v| v.parse().ok()).unwrap_or(300_000);
        let user = a.user.unwrap_or_default();
        let password = a.password.unwrap_or_default();
        if self.shared.login(&user, &password).is_err() {
            return vec![err(0xFFFF, "init tscObj failed", "subscribe", req_id, start)];
        }
        let topics = a.topics.unwrap_or_default();
        for t in &topics {
            if self.shared.backend.topic_created(t).is_none() {
                return vec![err(0x03E1, "Topic not exist", "subscribe", req_id, start)];
            }
        }
        let id = NEXT_CONSUMER_ID.fetch_add(1, Ordering::Relaxed);
        self.shared.backend.tmq_subscribed(TmqConsumer {
            id,
            group: group.clone(),
            client_id: get("client.id").unwrap_or_default().to_string(),
            user,
            topics: topics.clone(),
            parameters: format!(
                "tbname:{},commit:{},interval:{}ms,reset:{}",
                u8::from(with_table_names),
                u8::from(auto_commit),
                interval_ms,
                reset
            ),
            up_time_ms: self.opened_ms,
            subscribe_time_ms: chrono::Utc::now().timestamp_millis(),
            max_poll_interval_ms,
            last_poll_ms: chrono::Utc::now().timestamp_millis(),
        });
        self.consumer = Some(Consumer {
            id,
            with_table_names,
            batch_meta,
            group,
            topics,
            auto_commit,
            auto_commit_every: Duration::from_millis(interval_ms),
            last_auto_commit: Instant::now(),
            reset,
            positions: HashMap::new(),
        });
        self.rebalance();
        self.ever_subscribed = true;
        let mut out = vec![ok("subscribe", req_id, start, serde_json::json!({"version": self.shared.server_version()}))];
        if let Some(q) = self.queued_poll.take() {
            out.push(Reply::Poll(q.req_id, q.blocking_ms, q.start));
        }
        out
    }

    /// One poll attempt: a message with the next rows of the first subscribed topic that has
    /// any, or `None`.
    fn try_poll(&mut self, req_id: u64, start: Instant) -> Option<Reply> {
        self.shared.backend.tmq_polled(self.consumer.as_ref()?.id);
        let assigned = {
            self.rebalance();
            self.assigned()
        };
        let consumer = self.consumer.as_mut()?;
        if consumer.auto_commit && consumer.last_auto_commit.elapsed() >= consumer.auto_commit_every {
            consumer.last_auto_commit = Instant::now();
            for ((t, vg), p) in &consumer.positions {
                let created = self.shared.backend.topic_created(t);
                self.shared.tmq.set(&consumer.group, t, *vg, created, p.offset, Some(p.clone()));
            }
        }
        for (topic, vgroup) in assigned {
            let Some(pos) = consumer.positions.get_mut(&(topic.clone(), vgroup)) else { continue };
            // statements the topic's WHERE kept nothing of only move the position on
            let m = loop {
                match guarded(|| self.shared.backend.topic_log(&topic, vgroup, pos.offset, consumer.batch_meta)) {
                    Ok(Some(m)) if matches!(&m.body, TopicLogBody::Data { batches, created: None } if batches.is_empty()) => {
                        pos.offset = m.next;
                    }
                    Ok(Some(m)) => break Some(m),
                    _ => break None,
                }
            };
            let Some(m) = m else { continue };
            let offset = pos.offset;
            pos.begin = offset;
            pos.offset = m.next;
            let (message_type, meta, batches) = match m.body {
                TopicLogBody::Meta(metas) if consumer.batch_meta => {
                    (2, Some(serde_json::json!({"tmq_meta_version": "1.0", "metas": metas})), vec![])
                }
                TopicLogBody::Meta(mut metas) => (2, metas.pop(), vec![]),
                TopicLogBody::Created(metas) => (2, Some(serde_json::json!({"tmq_meta_version": "1.0", "metas": metas})), vec![]),
                TopicLogBody::Data { batches, created: Some(c) } => (3, Some(c), batches),
                TopicLogBody::Data { batches, created: None } => (1, None, batches),
            };
            // data+meta messages name each block's table (wire README l_tmq_with_meta #3); other
            // messages when the consumer asked, for database and stable topics
            let with_table_names = message_type == 3
                || (consumer.with_table_names && matches!(self.shared.backend.topic_kind(&topic), Some("db" | "stable")));
            self.last_message_id += 1;
            let id = self.last_message_id;
            let reply = PollReply {
                have_message: true,
                topic,
                database: m.db,
                vgroup_id: vgroup,
                message_type,
                message_id: id,
                offset,
            };
            self.held = Some(Held { id, reply: reply.clone(), with_table_names, batches, end: m.next, meta, fetch_next: 0, fetched: None, fetch_req_id: 0 });
            return Some(ok("poll", req_id, start, reply));
        }
        None
    }

    fn consumer_action(&mut self, action: &str, args: &Json, req_id: u64, message_id: u64, start: Instant) -> Reply {
        self.rebalance();
        let Some(consumer) = self.consumer.as_ref() else {
            // unsubscribed: a consumer without topics (checked on 3.3.7.5)
            return match action {
                "list_topics" => ok(action, req_id, start, serde_json::json!({"topics": Vec::<String>::new()})),
                "commit" => ok(action, req_id, start, MessageIdExtra { message_id }),
                "committed" | "position" if args.get("topic_vgroup_ids").and_then(Json::as_array).is_none_or(Vec::is_empty) => {
                    ok(action, req_id, start, serde_json::json!({ action: Vec::<i64>::new() }))
                }
                "assignment" | "committed" | "position" | "seek" | "commit_offset" => {
                    err(0x4009, "Topic does not belong to this consumer", action, req_id, start)
                }
                _ => self.fetch_action(action, req_id, message_id, start),
            };
        };
        let group = consumer.group.clone();
        let topics = consumer.topics.clone();
        let topic_arg = args.get("topic").and_then(|t| t.as_str()).unwrap_or_default().to_string();
        let vgroup_arg = args.get("vgroup_id").and_then(|v| v.as_i64()).unwrap_or(0);
        let offset_arg = args.get("offset").and_then(|v| v.as_i64()).unwrap_or(0);
        let check_vgroup = |topic: &str, vgroup: i64| -> Result<(), (u16, &'static str)> {
            if !topics.iter().any(|t| t == topic) {
                return Err((0x4009, "Topic does not belong to this consumer"));
            }
            if !consumer.positions.contains_key(&(topic.to_string(), vgroup as i32)) {
                return Err((0x4008, "VgId does not belong to this consumer"));
            }
            Ok(())
        };
        match action {
            "list_topics" => ok(action, req_id, start, serde_json::json!({"topics": topics})),
            "assignment" => {
                if !topics.contains(&topic_arg) {
                    return err(0x4009, "Topic does not belong to this consumer", action, req_id, start);
                }
                let a: Vec<Assignment> = self
                    .assigned()
                    .into_iter()
                    .filter(|(t, _)| *t == topic_arg)
                    .map(|(t, vgroup_id)| {
                        let offset = consumer.positions.get(&(t.clone(), vgroup_id)).map_or(0, |p| p.begin);
                        let (begin, end) = self.topic_range(&t, vgroup_id);
                        Assignment { vgroup_id, offset, begin, end }
                    })
                    .collect();
                ok(action, req_id, start, serde_json::json!({ "assignment": a }))
            }
            "committed" | "position" => {
                let pairs: Vec<TopicVgroup> = args
                    .get("topic_vgroup_ids")
                    .cloned()
                    .and_then(|v| serde_json::from_value(v).ok())
                    .unwrap_or_default();
                let mut values = Vec::with_capacity(pairs.len());
                for p in &pairs {
                    if let Err((code, msg)) = check_vgroup(&p.topic, p.vgroup_id) {
                        return err(code, msg, action, req_id, start);
                    }
                    let vgroup = p.vgroup_id as i32;
                    values.push(if action == "committed" {
                        let created = self.shared.backend.topic_created(&p.topic);
                        self.shared.tmq.entry(&group, &p.topic, vgroup, created).map_or(NO_COMMITTED_OFFSET, |e| e.0)
                    } else {
                        consumer.positions.get(&(p.topic.clone(), vgroup)).map_or(0, |p| p.offset)
                    });
                }
                ok(action, req_id, start, serde_json::json!({ action: values }))
            }
            "seek" => {
                if let Err((code, msg)) = check_vgroup(&topic_arg, vgroup_arg) {
                    return err(code, msg, action, req_id, start);
                }
                let vgroup = vgroup_arg as i32;
                let pos = self.position_at(&topic_arg, vgroup, offset_arg);
                if let Some(c) = self.consumer.as_mut() {
                    c.positions.insert((topic_arg, vgroup), pos);
                }
                ok(action, req_id, start, NoExtra {})
            }
            "commit" => {
                for ((t, vg), p) in &consumer.positions {
                    let created = self.shared.backend.topic_created(t);
                    self.shared.tmq.set(&group, t, *vg, created, p.offset, Some(p.clone()));
                }
                ok(action, req_id, start, MessageIdExtra { message_id })
            }
            "commit_offset" => {
                if let Err((code, msg)) = check_vgroup(&topic_arg, vgroup_arg) {
                    return err(code, msg, action, req_id, start);
                }
                let created = self.shared.backend.topic_created(&topic_arg);
                self.shared.tmq.set(&group, &topic_arg, vgroup_arg as i32, created, offset_arg, None);
                ok(action, req_id, start, CommitOffsetReply { topic: &topic_arg, vgroup_id: vgroup_arg, offset: offset_arg })
            }
            _ => self.fetch_action(action, req_id, message_id, start),
        }
    }

    /// The data paths on the held message.
    fn fetch_action(&mut self, action: &str, req_id: u64, message_id: u64, start: Instant) -> Reply {
        let held = match self.held.as_mut() {
            Some(h) if h.id == message_id => h,
            _ => {
                let text = if action == "fetch" { "message ID are not equal" } else { "message ID is not equal" };
                return match action {
                    "fetch_raw_data" => Reply::Binary(action8_frame(req_id, 0xFFFF, text, message_id, start, None)),
                    _ => json(0xFFFF, text, action, req_id, start, MessageIdExtra { message_id }),
                };
            }
        };
        let message_type = held.reply.message_type;
        match action {
            "fetch_json_meta" => {
                return match &held.meta {
                    Some(data) => ok(action, req_id, start, JsonMetaReply { message_id, data: MetaJson(data) }),
                    None => json(0xFFFF, &format!("message type can not get meta, type: {message_type}"), action, req_id, start, MessageIdExtra { message_id }),
                };
            }
            "fetch" | "fetch_block" if message_type == 2 => {
                return json(0xFFFF, "message type is not data", action, req_id, start, MessageIdExtra { message_id });
            }
            "fetch_raw" | "fetch_raw_data" if message_type != 1 => {
                // TDengine's raw form of metadata (serialized create/alter requests) is not built here
                let text = format!("Operation not supported: {action} of a message of type {message_type} (metadata) by the embedded test server");
                return match action {
                    "fetch_raw_data" => Reply::Binary(action8_frame(req_id, 0x0100, &text, message_id, start, None)),
                    _ => json(0x0100, &text, action, req_id, start, MessageIdExtra { message_id }),
                };
            }
            _ => {}
        }
        match action {
            "fetch_raw_data" => {
                let raw = encode_data_message(&held.batches, held.with_table_names, held.reply.offset, held.end);
                Reply::Binary(action8_frame(req_id, 0, "", message_id, start, Some((2, &raw))))
            }
            "fetch_raw" => {
                let raw = encode_data_message(&held.batches, held.with_table_names, held.reply.offset, held.end);
                let mut out = Vec::with_capacity(38 + raw.len());
                out.extend_from_slice(&timing_ns(start).to_le_bytes());
                out.extend_from_slice(&req_id.to_le_bytes());
                out.extend_from_slice(&message_id.to_le_bytes());
                out.extend_from_slice(&3u64.to_le_bytes());
                out.extend_from_slice(&(raw.len() as u32).to_le_bytes());
                out.extend_from_slice(&2u16.to_le_bytes());
                out.extend_from_slice(&raw);
                Reply::Binary(out)
            }
            "fetch" => {
                held.fetch_req_id = req_id;
                let Some(b) = held.batches.get(held.fetch_next) else {
                    // After the last block: completed, no timing, null arrays (wire README §5.7 #51).
                    // (its keys in the recorded order; serde_json's map would sort them)
                    let body = FetchCompleted {
                        code: 0, message: "", action: "fetch", req_id, timing: 0, message_id, completed: true,
                        table_name: "", rows: 0, fields_count: 0, fields_names: None, fields_types: None,
                        fields_lengths: None, precision: 0,
                    };
                    return Reply::Text(crate::envelope::go_json(&body));
                };
                held.fetched = Some(held.fetch_next);
                held.fetch_next += 1;
                let rs = &b.rows;
                let table_name = if held.with_table_names { b.table.as_str() } else { "" };
                let extra = serde_json::json!({
                    "message_id": message_id, "completed": false, "table_name": table_name,
                    "rows": rs.num_rows(), "fields_count": rs.fields.len(),
                    "fields_names": rs.fields.iter().map(|f| f.name.clone()).collect::<Vec<_>>(),
                    "fields_types": rs.fields.iter().map(|f| f.ty.id()).collect::<Vec<_>>(),
                    "fields_lengths": rs.fields.iter().map(|f| f.len).collect::<Vec<_>>(),
                    "precision": rs.precision.code(),
                });
                ok(action, req_id, start, extra)
            }
            "fetch_block" => {
                let Some(b) = held.fetched.and_then(|i| held.batches.get(i)) else {
                    return err(0xFFFF, "no fetch data", action, req_id, start);
                };
                let block = version2_block(&b.rows);
                let mut out = Vec::with_capacity(24 + block.len());
                out.extend_from_slice(&timing_ns(start).to_le_bytes());
                out.extend_from_slice(&held.fetch_req_id.to_le_bytes());
                out.extend_from_slice(&message_id.to_le_bytes());
                out.extend_from_slice(&block);
                Reply::Binary(out)
            }
            _ => err(0xFFFF, "unknown action", action, req_id, start),
        }
    }
}

/// Serves one upgraded `/rest/tmq` connection. Requests are handled one at a time, like the
/// adapter's consumer loop; closing the socket closes the consumer.
pub async fn serve_tmq_connection<S>(io: S, shared: Arc<Shared>, mut shutdown: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (rd, wr) = tokio::io::split(io);
    let mut reader = FrameReader::new(tokio::io::BufReader::new(rd), shared.config.max_message_bytes);
    let mut writer = FrameWriter::new(wr);
    let mut session = TmqSession::new(shared);
    serve_session(&mut reader, &mut writer, &mut session, &mut shutdown).await
}

impl Drop for TmqSession {
    /// However the connection ended (closed, dropped by a fault, the server stopping), a
    /// subscribed consumer is gone: TDengine rebalances its topics for a moment (`drop topic` →
    /// 1007 meanwhile).
    fn drop(&mut self) {
        let _ = self.leave(true);
    }
}

/// The request loop of one connection.
async fn serve_session<R, W>(
    reader: &mut FrameReader<R>,
    writer: &mut FrameWriter<W>,
    session: &mut TmqSession,
    shutdown: &mut tokio::sync::watch::Receiver<bool>,
) where
    R: AsyncRead + Unpin,
    W: AsyncWrite + Unpin,
{
    loop {
        let msg = tokio::select! {
            m = reader.read_message() => m,
            _ = shutdown.changed() => {
                let _ = writer.close(1001).await;
                let _ = writer.flush().await;
                return;
            }
        };
        let replies = match msg {
            Ok(Message::Text(t)) => run_blocking(|| session.handle_text(&t)),
            // The adapter reads only JSON on this endpoint.
            Ok(Message::Binary(_)) | Ok(Message::Pong) => vec![],
            Ok(Message::Ping(p)) => {
                if writer.pong(&p).await.is_err() {
                    return;
                }
                vec![]
            }
            Ok(Message::Close(_)) => {
                // taosAdapter unsubscribes a subscribed consumer before it answers the close
                // (verified on 3.3.7.5: the answer takes ≈2 s): a client that waits for it can
                // drop the topics at once, one that does not meets the rebalance (1007).
                let rebalance = session.leave(true);
                if !rebalance.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(rebalance) => {}
                        _ = shutdown.changed() => {}
                    }
                }
                let _ = writer.close(1000).await;
                let _ = writer.flush().await;
                return;
            }
            Err(ReadError::Protocol(code, _)) => {
                let _ = writer.close(code).await;
                let _ = writer.flush().await;
                return;
            }
            Err(ReadError::Io(_)) => return,
        };
        if !replies.is_empty() {
            session.shared.faults.delay_reply().await;
        }
        for r in replies {
            let res = match r {
                Reply::Text(t) => writer.text(&t).await,
                Reply::Binary(b) => writer.binary(&b).await,
                Reply::Poll(req_id, blocking_ms, start) => {
                    // A client may ask for any blocking time; an absurd one must not overflow.
                    let deadline = start.checked_add(Duration::from_millis(blocking_ms)).unwrap_or(start + Duration::from_secs(86_400));
                    let reply = loop {
                        if let Some(Reply::Text(t)) = run_blocking(|| session.try_poll(req_id, start)) {
                            break t;
                        }
                        let now = Instant::now();
                        if now >= deadline {
                            match empty_poll(req_id, start) {
                                Reply::Text(t) => break t,
                                _ => break Vec::new(),
                            }
                        }
                        tokio::select! {
                            _ = tokio::time::sleep((deadline - now).min(Duration::from_millis(20))) => {}
                            // A server shutting down does not wait for a long poll.
                            _ = shutdown.changed() => {
                                let _ = writer.close(1001).await;
                                let _ = writer.flush().await;
                                return;
                            }
                        }
                    };
                    writer.text(&reply).await
                }
            };
            if res.is_err() {
                return;
            }
        }
        if writer.flush().await.is_err() {
            return;
        }
    }
}
