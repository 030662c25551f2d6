//! taosAdapter's `/rest/tmq` messages (reference §7, corrected by docs/protocol-notes.md): JSON
//! requests, the JSON replies, the action-8 binary reply of `fetch_raw_data`, and the layout of a
//! data message's raw bytes (§7.6) turned into blocks with their fields and table names.

use std::sync::Arc;

use bytes::Bytes;

use serde::Deserialize;
use serde_json::json;
use serde_json::value::RawValue;

use super::config::ConsumerOptions;
use crate::block::parse_header;
use crate::error::{Error, ErrorKind, Result};
use crate::block::FetchedBlock;
use crate::types::{DataType, Field, Precision};

/// Action code of `fetch_raw_data`'s binary reply.
pub const ACTION_FETCH_RAW_DATA: u64 = 8;

/// `committed` of a vgroup the group never committed (TSDB_CODE_TMQ_NO_COMMITTED as an offset).
pub const NO_COMMITTED_OFFSET: i64 = -2147467247;

/// The requests the consumer sends, by the `action` name their replies carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TmqAction {
    Version,
    Subscribe,
    Unsubscribe,
    Poll,
    FetchRawData,
    FetchJsonMeta,
    Commit,
    CommitOffset,
    Seek,
    Assignment,
    Committed,
    Position,
    ListTopics,
}

impl TmqAction {
    const ALL: [TmqAction; 13] = [
        TmqAction::Version,
        TmqAction::Subscribe,
        TmqAction::Unsubscribe,
        TmqAction::Poll,
        TmqAction::FetchRawData,
        TmqAction::FetchJsonMeta,
        TmqAction::Commit,
        TmqAction::CommitOffset,
        TmqAction::Seek,
        TmqAction::Assignment,
        TmqAction::Committed,
        TmqAction::Position,
        TmqAction::ListTopics,
    ];

    pub fn name(self) -> &'static str {
        match self {
            TmqAction::Version => "version",
            TmqAction::Subscribe => "subscribe",
            TmqAction::Unsubscribe => "unsubscribe",
            TmqAction::Poll => "poll",
            TmqAction::FetchRawData => "fetch_raw_data",
            TmqAction::FetchJsonMeta => "fetch_json_meta",
            TmqAction::Commit => "commit",
            TmqAction::CommitOffset => "commit_offset",
            TmqAction::Seek => "seek",
            TmqAction::Assignment => "assignment",
            TmqAction::Committed => "committed",
            TmqAction::Position => "position",
            TmqAction::ListTopics => "list_topics",
        }
    }

    pub fn from_name(name: &str) -> Option<TmqAction> {
        TmqAction::ALL.into_iter().find(|a| a.name() == name)
    }
}

fn flag(v: bool) -> &'static str {
    if v {
        "true"
    } else {
        "false"
    }
}

/// Keys taosc reads as integers (`msg.enable.batchmeta`, `msg.consume.*`): "1" / "0".
fn int_flag(v: bool) -> &'static str {
    if v {
        "1"
    } else {
        "0"
    }
}

/// `subscribe`: credentials and every option as strings, as the adapter wants them. The
/// adapter's own auto-commit stays off: the consumer commits itself (see `Consumer::poll`).
pub fn subscribe_request(req_id: u64, o: &ConsumerOptions, topics: &[String]) -> String {
    let mut args = serde_json::Map::new();
    args.insert("req_id".into(), json!(req_id));
    args.insert("user".into(), json!(o.user));
    args.insert("password".into(), json!(o.password));
    args.insert("db".into(), json!(o.db.as_deref().unwrap_or("")));
    args.insert("group_id".into(), json!(o.group_id));
    if let Some(c) = &o.client_id {
        args.insert("client_id".into(), json!(c));
    }
    if let Some(r) = o.offset_reset {
        // The adapter's historical spelling; every adapter version reads it.
        args.insert("offset_rest".into(), json!(r.as_str()));
    }
    args.insert("topics".into(), json!(topics));
    args.insert("auto_commit".into(), json!("false"));
    args.insert("with_table_name".into(), json!(flag(o.with_table_name)));
    if let Some(v) = o.snapshot_enable {
        args.insert("snapshot_enable".into(), json!(flag(v)));
    }
    if let Some(v) = o.batch_meta {
        args.insert("enable_batch_meta".into(), json!(int_flag(v)));
    }
    if let Some(v) = o.consume_excluded {
        args.insert("msg_consume_excluded".into(), json!(int_flag(v)));
    }
    if let Some(v) = o.consume_rawdata {
        args.insert("msg_consume_rawdata".into(), json!(int_flag(v)));
    }
    if let Some(v) = o.session_timeout_ms {
        args.insert("session_timeout_ms".into(), json!(v.to_string()));
    }
    if let Some(v) = o.max_poll_interval_ms {
        args.insert("max_poll_interval_ms".into(), json!(v.to_string()));
    }
    if let Some(c) = &o.connector {
        args.insert("connector".into(), json!(c));
    }
    json!({"action": "subscribe", "args": args}).to_string()
}

/// A request whose args are `req_id` plus `extra`.
pub fn request(action: TmqAction, req_id: u64, extra: serde_json::Value) -> String {
    let mut args = match extra {
        serde_json::Value::Object(m) => m,
        _ => serde_json::Map::new(),
    };
    args.insert("req_id".into(), json!(req_id));
    json!({"action": action.name(), "args": args}).to_string()
}

pub fn poll_request(req_id: u64, blocking_time_ms: u64, last_message_id: u64) -> String {
    request(TmqAction::Poll, req_id, json!({"blocking_time": blocking_time_ms, "message_id": last_message_id}))
}

pub fn topic_vgroups(pairs: &[(String, i32)]) -> serde_json::Value {
    json!({"topic_vgroup_ids": pairs.iter().map(|(t, v)| json!({"topic": t, "vgroup_id": v})).collect::<Vec<_>>()})
}

/// One partition as `assignment` reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(default)]
pub struct RawAssignment {
    pub vgroup_id: i32,
    pub offset: i64,
    pub begin: i64,
    pub end: i64,
}

/// Any JSON reply on `/rest/tmq`: the envelope plus the fields the consumer reads.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct TmqReply {
    pub code: i64,
    pub message: String,
    pub action: String,
    pub req_id: u64,
    pub version: Option<String>,
    pub have_message: bool,
    pub topic: String,
    pub database: String,
    pub vgroup_id: i32,
    pub message_type: i32,
    pub message_id: u64,
    pub offset: i64,
    /// `fetch_json_meta`: the meta as JSON text, exactly as sent.
    pub data: Option<Box<RawValue>>,
    pub assignment: Option<Vec<RawAssignment>>,
    pub committed: Option<Vec<i64>>,
    pub position: Option<Vec<i64>>,
    pub topics: Option<Vec<String>>,
}

impl TmqReply {
    pub fn parse(text: &str) -> Result<TmqReply> {
        serde_json::from_str(text).map_err(|e| Error::new(ErrorKind::Tmq, format!("unreadable reply from the server ({e})")))
    }

    /// `Err` with TDengine's code and text when `code != 0`.
    pub fn check(&self) -> Result<()> {
        if self.code == 0 {
            Ok(())
        } else {
            Err(Error::with_code(ErrorKind::Tmq, self.code as i32, self.message.clone()))
        }
    }
}

/// The reply to `fetch_raw_data` (action 8).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawDataReply {
    pub req_id: u64,
    pub code: u32,
    pub message: String,
    pub message_id: u64,
    pub raw_type: u16,
    /// A view of the frame, not a copy.
    pub raw: Bytes,
}

/// Reads an action-8 frame: header, code, message and message id, then on success the raw type
/// and the raw bytes.
pub fn parse_raw_data_reply(frame: &Bytes) -> Result<RawDataReply> {
    let short = || Error::new(ErrorKind::Tmq, format!("fetch_raw_data reply of {} bytes is truncated", frame.len()));
    let mut r = Cursor { b: frame, pos: 0, short: &short };
    if r.u64()? != u64::MAX || r.u64()? != ACTION_FETCH_RAW_DATA {
        return Err(Error::new(ErrorKind::Tmq, "fetch_raw_data answered with an unexpected binary frame"));
    }
    let _version = r.u16()?;
    let _timing = r.u64()?;
    let req_id = r.u64()?;
    let code = r.u32()?;
    let len = r.u32()? as usize;
    let message = String::from_utf8_lossy(r.take(len)?).into_owned();
    let message_id = r.u64()?;
    if code != 0 {
        return Ok(RawDataReply { req_id, code, message, message_id, raw_type: 0, raw: Bytes::new() });
    }
    let raw_type = r.u16()?;
    let len = r.u32()? as usize;
    let raw = frame.slice_ref(r.take(len)?);
    Ok(RawDataReply { req_id, code, message, message_id, raw_type, raw })
}

/// Bounds-checked reads; every failure is `short()`.
struct Cursor<'a, F: Fn() -> Error> {
    b: &'a [u8],
    pos: usize,
    short: &'a F,
}

impl<'a, F: Fn() -> Error> Cursor<'a, F> {
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len()).ok_or_else(self.short)?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }
    fn u16(&mut self) -> Result<u16> {
        Ok(u16::from_le_bytes(self.take(2)?.try_into().map_err(|_| (self.short)())?))
    }
    fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_le_bytes(self.take(4)?.try_into().map_err(|_| (self.short)())?))
    }
    fn u64(&mut self) -> Result<u64> {
        Ok(u64::from_le_bytes(self.take(8)?.try_into().map_err(|_| (self.short)())?))
    }
    fn i64(&mut self) -> Result<i64> {
        Ok(self.u64()? as i64)
    }
    fn varint(&mut self) -> Result<u64> {
        let mut v = 0u64;
        for shift in (0..64).step_by(7) {
            let b = self.u8()?;
            v |= u64::from(b & 0x7F) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
        }
        Err((self.short)())
    }
    fn zvarint(&mut self) -> Result<i64> {
        let v = self.varint()?;
        Ok(((v >> 1) as i64) ^ -((v & 1) as i64))
    }
    fn len_prefixed(&mut self) -> Result<&'a [u8]> {
        let n = usize::try_from(self.varint()?).map_err(|_| (self.short)())?;
        self.take(n)
    }
    /// A `cstr`: its length counts a trailing NUL, which is not part of the text.
    fn cstr(&mut self) -> Result<String> {
        let b = self.len_prefixed()?;
        let b = b.strip_suffix(&[0]).unwrap_or(b);
        Ok(String::from_utf8_lossy(b).into_owned())
    }
}

/// One block of a data message: its table (when the consumer asked for table names and the
/// topic has them), its rows as a raw block with the fields that decode it, and its precision.
#[derive(Debug, Clone, PartialEq)]
pub struct MessageBlock {
    pub table_name: Option<String>,
    pub precision: Precision,
    pub rows: usize,
    pub block: FetchedBlock,
}

/// What a data message's raw bytes hold.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DataPayload {
    /// Where the message ends in its vgroup's WAL (the offset after it), when the server says
    /// so in WAL terms (snapshot offsets are not WAL versions).
    pub end_offset: Option<i64>,
    pub blocks: Vec<MessageBlock>,
}

/// An offset as TDengine encodes it (`tEncodeSTqOffsetVal`): a type byte whose low nibble is
/// the kind (1 = WAL version, 2/3 = snapshot) and whose high nibble is the encoding version.
fn read_offset<F: Fn() -> Error>(r: &mut Cursor<'_, F>) -> Result<Option<i64>> {
    let ty = r.u8()?;
    match ty & 0x0F {
        1 => Ok(Some(r.i64()?)),
        _ => Ok(None),
    }
}

/// Decodes the raw bytes of a data message (reference §7.6): the offsets, then per block the
/// 18-byte block header, a version-2 raw block, its schema and its table name. Each block is a
/// view of `raw`, not a copy.
pub fn parse_data_payload(raw: &Bytes) -> Result<DataPayload> {
    let short = || Error::new(ErrorKind::Tmq, format!("data message of {} bytes is truncated or malformed", raw.len()));
    let mut r = Cursor { b: raw, pos: 0, short: &short };
    let end_offset = if raw.first().is_some_and(|&v| v >= 100) {
        r.u8()?;
        let len = r.u32()? as usize;
        let offsets = r.take(len)?;
        let mut o = Cursor { b: offsets, pos: 0, short: &short };
        let _req = read_offset(&mut o)?;
        // A snapshot request offset has a longer encoding we do not read: no end offset then.
        read_offset(&mut o).ok().flatten()
    } else {
        let _req = read_offset(&mut r)?;
        read_offset(&mut r)?
    };
    let block_num = r.u32()? as usize;
    let mut blocks = Vec::with_capacity(block_num.min(4096));
    if block_num == 0 {
        return Ok(DataPayload { end_offset, blocks });
    }
    let with_tbname = r.u8()? != 0;
    let with_schema = r.u8()? != 0;
    for _ in 0..block_num {
        let bytes = r.len_prefixed()?;
        if bytes.len() < 18 {
            return Err(short());
        }
        let precision = Precision::from_code(i64::from(bytes[17]))
            .ok_or_else(|| Error::new(ErrorKind::Tmq, format!("data message block has unknown precision {}", bytes[17])))?;
        let block = &bytes[18..];
        let header = parse_header(block)?;
        let columns = crate::block::column_schema(block)?;
        let mut fields = Vec::with_capacity(columns.len());
        if with_schema {
            let ncols = usize::try_from(r.zvarint()?).map_err(|_| short())?;
            let _schema_version = r.zvarint()?;
            if ncols != columns.len() {
                return Err(Error::new(
                    ErrorKind::Tmq,
                    format!("data message block has {} columns but its schema lists {ncols}", columns.len()),
                ));
            }
            for &(ty, packed) in &columns {
                let _ty = r.u8()?;
                let _flags = r.u8()?;
                let storage = u32::try_from(r.zvarint()?).unwrap_or(0);
                let _col_id = r.zvarint()?;
                let name = r.cstr()?;
                fields.push(field(name, ty, storage, packed));
            }
        } else {
            for (i, &(ty, packed)) in columns.iter().enumerate() {
                fields.push(field(format!("c{i}"), ty, u32::try_from(packed).unwrap_or(0), packed));
            }
        }
        let table_name = if with_tbname { Some(r.cstr()?) } else { None };
        let fields: Arc<[Field]> = fields.into();
        blocks.push(MessageBlock {
            table_name,
            precision,
            rows: header.rows,
            block: FetchedBlock::new(raw.slice_ref(block), fields),
        });
    }
    Ok(DataPayload { end_offset, blocks })
}

/// A column as a query reply would describe it: user length, and decimal precision and scale
/// from the block's packed schema bytes `(size << 24) | (precision << 8) | scale`.
fn field(name: String, ty: DataType, storage: u32, packed: i32) -> Field {
    let (precision, scale) = if ty.is_decimal() {
        let p = packed as u32;
        (((p >> 8) & 0xFF) as u8, (p & 0xFF) as u8)
    } else {
        (0, 0)
    };
    let bytes = if ty.is_decimal() { ty.fixed_size().unwrap_or(0) as u32 } else { ty.user_len(storage) };
    Field { name, ty, bytes, precision, scale }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
    }

    /// `l_tmq_with_meta.jsonl` seq 91: a database topic's data message, one block of `ct1`
    /// (ts, v) with 2 rows, WAL versions 6 → 7.
    const DATABASE_TOPIC_MESSAGE: &str = "64120000001106000000000000001107000000000000000100000001015b01000000000000000000000000000002000002000000490000000200000002000000000000800000000000000000090800000004040000001000000008000000000068e5cf8b0100000168e5cf8b01000000010000000200000000040009011002037473000401080402760004637431000000000000000000";

    #[test]
    fn a_recorded_data_message_gives_blocks_fields_table_names_and_its_end() {
        let p = parse_data_payload(&hex(DATABASE_TOPIC_MESSAGE).into()).unwrap();
        assert_eq!(p.end_offset, Some(7));
        assert_eq!(p.blocks.len(), 1);
        let b = &p.blocks[0];
        assert_eq!(b.table_name.as_deref(), Some("ct1"));
        assert_eq!((b.rows, b.precision), (2, Precision::Millisecond));
        let names: Vec<_> = b.block.fields.iter().map(|f| (f.name.as_str(), f.ty, f.bytes)).collect();
        assert_eq!(names, vec![("ts", DataType::Timestamp, 8), ("v", DataType::Int, 4)]);
        let d = b.block.decode().unwrap();
        assert_eq!(d.rows, 2);
        match &d.columns[1] {
            crate::block::DecodedColumn::Fixed { data: crate::block::FixedData::I32(v), .. } => assert_eq!(v, &vec![1, 2]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_truncation_of_a_recorded_message_is_an_error_not_a_panic() {
        let raw = Bytes::from(hex(DATABASE_TOPIC_MESSAGE));
        // The trailing 8 bytes (sleep time) are not read.
        for n in 0..raw.len() - 8 {
            assert!(parse_data_payload(&raw.slice(..n)).is_err(), "{n}");
        }
    }

    #[test]
    fn a_recorded_fetch_raw_data_frame_parses() {
        // h3_tmq_poll_before_subscribe seq 27, cut after the header (the payload is tested above).
        let mut frame = hex("ffffffffffffffff080000000000000001007b54020000000000eb030000000000000000000000000000010000000000000002000400000064120000");
        frame.truncate(frame.len() - 4);
        frame.extend_from_slice(&[0xAA, 0xBB, 0xCC, 0xDD]);
        let frame = Bytes::from(frame);
        let r = parse_raw_data_reply(&frame).unwrap();
        assert_eq!((r.req_id, r.code, r.message_id, r.raw_type), (1003, 0, 1, 2));
        assert_eq!(r.raw, vec![0xAA, 0xBB, 0xCC, 0xDD]);
        for n in 0..frame.len() {
            assert!(parse_raw_data_reply(&frame.slice(..n)).is_err());
        }
    }

    #[test]
    fn subscribe_sends_options_as_strings_and_never_the_adapters_auto_commit() {
        let o = ConsumerOptions {
            group_id: "g".into(),
            offset_reset: Some(super::super::config::OffsetReset::Earliest),
            batch_meta: Some(true),
            session_timeout_ms: Some(12000),
            ..Default::default()
        };
        let v: serde_json::Value = serde_json::from_str(&subscribe_request(7, &o, &["t1".into()])).unwrap();
        let a = &v["args"];
        assert_eq!(a["req_id"], 7);
        assert_eq!((a["group_id"].as_str(), a["offset_rest"].as_str()), (Some("g"), Some("earliest")));
        assert_eq!((a["auto_commit"].as_str(), a["with_table_name"].as_str()), (Some("false"), Some("true")));
        assert_eq!((a["enable_batch_meta"].as_str(), a["session_timeout_ms"].as_str()), (Some("1"), Some("12000")));
        assert!(a.get("client_id").is_none() && a.get("snapshot_enable").is_none());
        assert_eq!(a["topics"], serde_json::json!(["t1"]));
    }

    #[test]
    fn replies_keep_meta_json_verbatim_and_u64_ids() {
        let r = TmqReply::parse(r#"{"code":0,"message":"","action":"fetch_json_meta","req_id":18446744073709551615,"timing":1,"message_id":2,"data":{"type":"drop","tableNameList":["ct9"]}}"#).unwrap();
        assert_eq!(r.req_id, u64::MAX);
        assert_eq!(r.data.unwrap().get(), r#"{"type":"drop","tableNameList":["ct9"]}"#);
        let e = TmqReply::parse(r#"{"code":993,"message":"Topic not exist","action":"subscribe","req_id":1,"timing":1}"#).unwrap();
        let e = e.check().unwrap_err();
        assert_eq!((e.kind, e.errno), (ErrorKind::Tmq, Some(993)));
    }
}
