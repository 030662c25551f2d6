//! TMQ's values as they cross N-API, for both builds: configuration entries, partitions,
//! offsets, assignments and polled messages (`consumer.rs` over the tokio driver,
//! `consumer_session.rs` for the JavaScript driver of the WebAssembly build).

use std::sync::Arc;

use napi::bindgen_prelude::BigInt;
use napi_derive::napi;
use taosjs_core::tmq::{ConsumerConfig, TmqMessage, TopicAssignment};
use taosjs_core::ErrorKind;

use crate::block::{Batch, Block, Info};
use crate::error::{js_error, to_js};
use crate::session::{packed, Bytes};

/// One configuration key and its value as text.
#[napi(object, object_to_js = false)]
pub struct NativeConfigEntry {
    pub key: String,
    pub value: String,
}

/// A `(topic, vgroup)` pair.
#[napi(object)]
pub struct NativePartition {
    pub topic: String,
    pub vgroup_id: i32,
}

/// A partition with an offset (`commitOffsets`).
#[napi(object, object_to_js = false)]
pub struct NativeTopicOffset {
    pub topic: String,
    pub vgroup_id: i32,
    pub offset: BigInt,
}

/// One vgroup assigned to the consumer.
#[napi(object, object_from_js = false)]
pub struct NativeAssignment {
    pub topic: String,
    pub vgroup_id: i32,
    pub offset: BigInt,
    pub begin: BigInt,
    pub end: BigInt,
}

impl From<TopicAssignment> for NativeAssignment {
    fn from(a: TopicAssignment) -> Self {
        NativeAssignment {
            topic: a.topic,
            vgroup_id: a.vgroup_id,
            offset: a.offset.into(),
            begin: a.begin.into(),
            end: a.end.into(),
        }
    }
}

pub(crate) fn offset_of(b: &BigInt, what: &str) -> napi::Result<i64> {
    let (value, lossless) = b.get_i64();
    if !lossless {
        return Err(js_error(ErrorKind::Tmq, format!("{what} must fit in a signed 64-bit integer")));
    }
    Ok(value)
}

pub(crate) fn pairs(partitions: Vec<NativePartition>) -> Vec<(String, i32)> {
    partitions.into_iter().map(|p| (p.topic, p.vgroup_id)).collect()
}

pub(crate) fn offsets(values: Vec<Option<i64>>) -> Vec<Option<BigInt>> {
    values.into_iter().map(|v| v.map(BigInt::from)).collect()
}

/// A consumer configuration checked (a TmqError naming the key otherwise), as both builds'
/// consumers connect with it: `entries` are TDengine's consumer keys with text values, `dsn` may
/// carry the endpoint and credentials.
pub(crate) fn consumer_settings(entries: Vec<NativeConfigEntry>, dsn: Option<String>) -> napi::Result<ConsumerConfig> {
    let entries: Vec<(String, String)> = entries.into_iter().map(|e| (e.key, e.value)).collect();
    let mut config = ConsumerConfig::parse(&entries, dsn.as_deref()).map_err(to_js)?;
    config.options.connector = Some(format!("taosjs-v{}", env!("CARGO_PKG_VERSION")));
    Ok(config)
}

/// A polled message, in both builds: where it comes from, its meta (JSON text) and its blocks,
/// each packed on demand as a result of its own (`packedBlock`, any number of times).
#[napi]
pub struct NativeMessage {
    message: Arc<TmqMessage>,
}

impl NativeMessage {
    pub(crate) fn new(message: Arc<TmqMessage>) -> NativeMessage {
        NativeMessage { message }
    }

    pub(crate) fn message(&self) -> &Arc<TmqMessage> {
        &self.message
    }
}

#[napi]
impl NativeMessage {
    #[napi(getter)]
    pub fn topic(&self) -> String {
        self.message.topic.clone()
    }

    #[napi(getter)]
    pub fn database(&self) -> String {
        self.message.database.clone()
    }

    #[napi(getter)]
    pub fn vgroup_id(&self) -> i32 {
        self.message.vgroup_id
    }

    #[napi(getter)]
    pub fn offset(&self) -> BigInt {
        self.message.offset.into()
    }

    #[napi(getter)]
    pub fn end_offset(&self) -> Option<BigInt> {
        self.message.end_offset.map(BigInt::from)
    }

    #[napi(getter, js_name = "type", ts_return_type = "'data' | 'meta' | 'data+meta' | 'raw'")]
    pub fn kind(&self) -> String {
        self.message.kind.as_str().to_owned()
    }

    #[napi(getter)]
    pub fn meta(&self) -> Option<String> {
        self.message.meta.clone()
    }

    #[napi(getter)]
    pub fn table_names(&self) -> Vec<Option<String>> {
        self.message.blocks.iter().map(|b| b.table_name.clone()).collect()
    }

    #[napi(getter)]
    pub fn block_rows(&self) -> Vec<u32> {
        self.message.blocks.iter().map(|b| u32::try_from(b.rows).unwrap_or(u32::MAX)).collect()
    }

    /// Block `index` packed as a whole result: its fields, its precision, the block, finished
    /// (`block.rs`'s layout, the first batch of a query's result).
    #[napi(catch_unwind)]
    pub fn packed_block(&self, index: u32) -> napi::Result<Bytes> {
        let Some(block) = self.message.blocks.get(index as usize) else {
            return Err(js_error(ErrorKind::Tmq, format!("the message has no block {index}")));
        };
        let fields = block.block.fields.to_vec();
        let described = Info { affected_rows: 0, has_rows: true, precision: block.precision, fields: &fields };
        packed(Some(&described), &Batch::last(vec![Block::Fetched(block.block.clone())])).map_err(to_js)
    }
}
