//! TMQ's vocabulary: the consumer's configuration ([`config`]), the `/rest/tmq` requests and
//! replies ([`message`]), and what a poll hands out (messages, assignments). The conversation
//! that uses them is [`crate::consumer::Consumer`].

mod config;
pub(crate) mod message;

pub use config::{ConsumerConfig, ConsumerOptions, OffsetReset, DEFAULT_REQUEST_TIMEOUT, KEYS};
pub use message::{MessageBlock, TmqAction, NO_COMMITTED_OFFSET};

/// What a message carries (the poll reply's `message_type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Rows (type 1).
    Data,
    /// A schema change: create/alter/drop of tables (type 2).
    Meta,
    /// Rows of tables created by the same write (type 3).
    DataMeta,
    /// Raw data for replication (`msg.consume.rawdata`, type 4); not decoded.
    Raw,
}

impl MessageKind {
    /// The kind of a message of type `t` (TDengine's `tmq_res_t`), `None` for an unknown one.
    pub fn from_type(t: i32) -> Option<MessageKind> {
        match t {
            1 => Some(MessageKind::Data),
            2 => Some(MessageKind::Meta),
            3 => Some(MessageKind::DataMeta),
            4 => Some(MessageKind::Raw),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Data => "data",
            MessageKind::Meta => "meta",
            MessageKind::DataMeta => "data+meta",
            MessageKind::Raw => "raw",
        }
    }
}

/// One polled message with everything it holds.
#[derive(Debug, Clone, PartialEq)]
pub struct TmqMessage {
    /// The server's id for it (per connection).
    pub id: u64,
    pub topic: String,
    pub database: String,
    pub vgroup_id: i32,
    pub kind: MessageKind,
    /// The offset the server reports (TDengine's `tmq_get_vgroup_offset`: where a data message
    /// starts, where a meta message ends).
    pub offset: i64,
    /// Where the message ends in its vgroup: what committing it commits. `None` for offsets that
    /// are not WAL versions (snapshot consumption).
    pub end_offset: Option<i64>,
    /// The meta as JSON text (meta and data+meta messages).
    pub meta: Option<String>,
    /// The rows, one block per table (data and data+meta messages).
    pub blocks: Vec<MessageBlock>,
}

/// One vgroup of a topic assigned to the consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TopicAssignment {
    pub topic: String,
    pub vgroup_id: i32,
    /// Where the consumer's last message began (or where subscribe/seek put it).
    pub offset: i64,
    /// The first and one past the last offset of the vgroup's WAL.
    pub begin: i64,
    pub end: i64,
}

