//! The consumer alone, with a fake clock and hand-written server frames shaped like the recorded
//! ones (`wire/transcripts/h_tmq`, `h3_tmq_poll_before_subscribe`, `l_tmq_with_meta`).

use std::time::Duration;

use serde_json::Value;

use super::*;

fn at(ms: u64) -> Instant {
    Instant::from_origin(Duration::from_millis(ms))
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// `l_tmq_with_meta.jsonl` seq 91: one block of `ct1` (ts, v), 2 rows, WAL versions 6 → 7.
const DATA_PAYLOAD: &str = "64120000001106000000000000001107000000000000000100000001015b01000000000000000000000000000002000002000000490000000200000002000000000000800000000000000000090800000004040000001000000008000000000068e5cf8b0100000168e5cf8b01000000010000000200000000040009011002037473000401080402760004637431000000000000000000";

fn options() -> ConsumerOptions {
    ConsumerOptions {
        group_id: "g1".into(),
        request_timeout: Duration::from_secs(2),
        auto_commit: false,
        keepalive: None,
        ..Default::default()
    }
}

struct Server {
    c: Consumer,
    /// Completions read from the consumer and not yet looked at.
    done: Vec<(CallId, Result<Reply>)>,
}

impl Server {
    fn sent(&mut self) -> Vec<Value> {
        std::iter::from_fn(|| self.c.poll_transmit())
            .map(|f| match f {
                Frame::Text(t) => serde_json::from_str(&t).unwrap(),
                other => panic!("the consumer sends only JSON, got {other:?}"),
            })
            .collect()
    }

    fn events(&mut self) -> Vec<(CallId, Result<Reply>)> {
        let mut all = std::mem::take(&mut self.done);
        all.extend(std::iter::from_fn(|| self.c.poll_event()).filter_map(|e| match e {
            Event::Completed { call, outcome } => Some((call, outcome)),
            _ => None,
        }));
        all
    }

    fn outcome(&mut self, call: CallId) -> Result<Reply> {
        let mut ev = self.events();
        let i = ev.iter().position(|(c, _)| *c == call).unwrap_or_else(|| panic!("{call:?} did not complete: {ev:?}"));
        let (_, outcome) = ev.remove(i);
        self.done = ev;
        outcome
    }

    fn reply(&mut self, request: &Value, extra: &str, now: Instant) {
        let action = request["action"].as_str().unwrap();
        let req_id = request["args"]["req_id"].as_u64().unwrap();
        let text = format!(r#"{{"code":0,"message":"","action":"{action}","req_id":{req_id},"timing":1{extra}}}"#);
        self.c.handle_frame(Frame::Text(text), now);
    }

    fn refuse(&mut self, request: &Value, code: i64, message: &str, now: Instant) {
        let action = request["action"].as_str().unwrap();
        let req_id = request["args"]["req_id"].as_u64().unwrap();
        let text = format!(r#"{{"code":{code},"message":"{message}","action":"{action}","req_id":{req_id},"timing":1}}"#);
        self.c.handle_frame(Frame::Text(text), now);
    }

    fn raw_data(&mut self, request: &Value, payload: &[u8], now: Instant) {
        let req_id = request["args"]["req_id"].as_u64().unwrap();
        let message_id = request["args"]["message_id"].as_u64().unwrap();
        let mut f = Vec::new();
        f.extend_from_slice(&u64::MAX.to_le_bytes());
        f.extend_from_slice(&8u64.to_le_bytes());
        f.extend_from_slice(&1u16.to_le_bytes());
        f.extend_from_slice(&5u64.to_le_bytes());
        f.extend_from_slice(&req_id.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&0u32.to_le_bytes());
        f.extend_from_slice(&message_id.to_le_bytes());
        f.extend_from_slice(&2u16.to_le_bytes());
        f.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        f.extend_from_slice(payload);
        self.c.handle_frame(Frame::Binary(f.into()), now);
    }

    fn poll_reply(&mut self, request: &Value, message_type: i32, message_id: u64, offset: i64, now: Instant) {
        let extra = format!(
            r#","have_message":true,"topic":"t1","database":"db1","vgroup_id":5,"message_type":{message_type},"message_id":{message_id},"offset":{offset}"#
        );
        self.reply(request, &extra, now);
    }

    fn empty_poll(&mut self, request: &Value, now: Instant) {
        self.reply(request, r#","have_message":false,"topic":"","database":"","vgroup_id":0,"message_type":0,"message_id":0,"offset":0"#, now);
    }
}

fn connected(options: ConsumerOptions) -> Server {
    let keepalive = options.keepalive;
    let mut s = Server { c: Consumer::new(options), done: Vec::new() };
    let call = s.c.connect(at(0));
    let sent = s.sent();
    assert_eq!(sent, vec![serde_json::json!({"action": "version"})]);
    s.c.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()), at(1));
    assert!(matches!(s.outcome(call), Ok(Reply::Connected { server_version }) if server_version == "3.3.7.5"));
    assert_eq!(s.c.poll_timeout(), keepalive.map(|k| at(0) + k), "only keepalive is armed once logged in");
    s
}

fn subscribed(options: ConsumerOptions) -> Server {
    let mut s = connected(options);
    let call = s.c.subscribe(vec!["t1".into()], at(10));
    let sub = s.sent().remove(0);
    assert_eq!(sub["action"], "subscribe");
    s.reply(&sub, r#","version":"3.3.7.5""#, at(20));
    assert_eq!(s.outcome(call), Ok(Reply::Done));
    s
}

fn message(outcome: Result<Reply>) -> TmqMessage {
    match outcome {
        Ok(Reply::TmqMessage(Some(m))) => *m,
        other => panic!("expected a message, got {other:?}"),
    }
}

fn tmq_error(outcome: Result<Reply>) -> Error {
    match outcome {
        Err(e) => {
            assert_eq!(e.kind, ErrorKind::Tmq, "{e}");
            e
        }
        other => panic!("expected a Tmq error, got {other:?}"),
    }
}

#[test]
fn a_silent_server_fails_the_login_in_time() {
    let mut s = Server { c: Consumer::new(ConsumerOptions { connect_timeout: Duration::from_secs(3), ..options() }), done: Vec::new() };
    let call = s.c.connect(at(0));
    assert_eq!(s.c.poll_timeout(), Some(at(3000)));
    s.c.handle_timeout(at(2999));
    assert!(s.events().is_empty());
    s.c.handle_timeout(at(3000));
    let e = tmq_error(s.outcome(call));
    assert!(e.message.contains("did not answer"), "{e}");
    assert!(s.c.is_finished());
}

#[test]
fn calls_that_need_a_subscription_fail_at_once_without_io() {
    let mut s = connected(options());
    let p = s.c.poll(Duration::from_millis(100), at(5));
    let c = s.c.commit(at(5));
    let a = s.c.assignment(None, at(5));
    assert!(s.sent().is_empty());
    for call in [p, c, a] {
        let e = tmq_error(s.outcome(call));
        assert!(e.message.contains("subscribe()"), "{e}");
    }
    let l = s.c.list_topics(at(5));
    assert_eq!(s.outcome(l), Ok(Reply::TmqTopics(vec![])));
}

#[test]
fn subscribe_carries_credentials_and_options_and_errors_keep_tdengines_code() {
    let mut s = connected(ConsumerOptions { user: "u".into(), password: "p".into(), client_id: Some("c".into()), ..options() });
    let call = s.c.subscribe(vec!["nope".into()], at(10));
    let sub = s.sent().remove(0);
    let args = &sub["args"];
    assert_eq!((args["user"].as_str(), args["password"].as_str()), (Some("u"), Some("p")));
    assert_eq!((args["group_id"].as_str(), args["client_id"].as_str()), (Some("g1"), Some("c")));
    assert_eq!(args["topics"], serde_json::json!(["nope"]));
    s.refuse(&sub, 993, "Topic not exist", at(11));
    let e = tmq_error(s.outcome(call));
    assert_eq!(e.errno, Some(993));
    let empty = s.c.subscribe(vec![], at(12));
    assert!(tmq_error(s.outcome(empty)).message.contains("at least one topic"));
}

#[test]
fn a_second_subscribe_unsubscribes_first() {
    let mut s = subscribed(options());
    let call = s.c.subscribe(vec!["t2".into()], at(30));
    let first = s.sent().remove(0);
    assert_eq!(first["action"], "unsubscribe");
    s.reply(&first, "", at(31));
    let sub = s.sent().remove(0);
    assert_eq!((sub["action"].as_str(), &sub["args"]["topics"]), (Some("subscribe"), &serde_json::json!(["t2"])));
    s.reply(&sub, "", at(32));
    assert_eq!(s.outcome(call), Ok(Reply::Done));
    assert_eq!(s.c.subscription(), Some(&["t2".to_string()][..]));
}

#[test]
fn an_empty_poll_asks_the_server_to_wait_the_polls_time() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(500), at(100));
    let poll = s.sent().remove(0);
    assert_eq!(poll["action"], "poll");
    assert_eq!((poll["args"]["blocking_time"].as_u64(), poll["args"]["message_id"].as_u64()), (Some(500), Some(0)));
    s.empty_poll(&poll, at(600));
    assert_eq!(s.outcome(call), Ok(Reply::TmqMessage(None)));
}

#[test]
fn a_data_message_is_fetched_before_the_poll_completes() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(500), at(100));
    let poll = s.sent().remove(0);
    s.poll_reply(&poll, 1, 1, 6, at(101));
    assert!(s.events().is_empty(), "not complete before its data arrived");
    let fetch = s.sent().remove(0);
    assert_eq!((fetch["action"].as_str(), fetch["args"]["message_id"].as_u64()), (Some("fetch_raw_data"), Some(1)));
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(102));
    let m = message(s.outcome(call));
    assert_eq!((m.id, m.topic.as_str(), m.database.as_str(), m.vgroup_id), (1, "t1", "db1", 5));
    assert_eq!((m.kind, m.offset, m.end_offset), (MessageKind::Data, 6, Some(7)));
    assert_eq!(m.blocks.len(), 1);
    assert_eq!(m.blocks[0].table_name.as_deref(), Some("ct1"));
    assert_eq!(m.blocks[0].rows, 2);
    // The next poll tells the server which message it has.
    s.c.poll(Duration::from_millis(10), at(200));
    assert_eq!(s.sent()[0]["args"]["message_id"], 1);
}

#[test]
fn meta_and_data_meta_messages_carry_the_json_meta() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(500), at(100));
    let poll = s.sent().remove(0);
    s.poll_reply(&poll, 2, 1, 8, at(101));
    let meta = s.sent().remove(0);
    assert_eq!(meta["action"], "fetch_json_meta");
    s.reply(&meta, r#","message_id":1,"data":{"type":"alter","tableType":"super","tableName":"stb","alterType":5}"#, at(102));
    let m = message(s.outcome(call));
    assert_eq!(m.kind, MessageKind::Meta);
    assert_eq!(m.meta.as_deref(), Some(r#"{"type":"alter","tableType":"super","tableName":"stb","alterType":5}"#));
    assert_eq!(m.end_offset, Some(8), "a meta message's offset is where it ends");
    assert!(m.blocks.is_empty());

    let call = s.c.poll(Duration::from_millis(500), at(200));
    let poll = s.sent().remove(0);
    s.poll_reply(&poll, 3, 2, 2, at(201));
    let meta = s.sent().remove(0);
    s.reply(&meta, r#","message_id":2,"data":{"type":"create","createList":[]}"#, at(202));
    let fetch = s.sent().remove(0);
    assert_eq!(fetch["action"], "fetch_raw_data");
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(203));
    let m = message(s.outcome(call));
    assert_eq!(m.kind, MessageKind::DataMeta);
    assert!(m.meta.is_some() && m.blocks.len() == 1);
}

#[test]
fn polls_go_to_the_server_one_at_a_time() {
    let mut s = subscribed(options());
    let first = s.c.poll(Duration::from_millis(500), at(100));
    let second = s.c.poll(Duration::from_millis(500), at(100));
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "the adapter would drop a second poll without an answer");
    s.empty_poll(&sent[0], at(600));
    assert_eq!(s.outcome(first), Ok(Reply::TmqMessage(None)));
    let next = s.sent().remove(0);
    assert_eq!(next["action"], "poll");
    assert_eq!(next["args"]["blocking_time"], 0, "the second poll's own time already ran out while it waited");
    s.empty_poll(&next, at(601));
    assert_eq!(s.outcome(second), Ok(Reply::TmqMessage(None)));
}

#[test]
fn a_poll_to_a_silent_server_fails_within_its_timeout_plus_the_request_timeout() {
    let mut s = subscribed(options());
    let first = s.c.poll(Duration::from_millis(500), at(100));
    let queued = s.c.poll(Duration::from_millis(1000), at(150));
    s.sent();
    // poll timeout 500 ms + request timeout 2 s after the call
    assert_eq!(s.c.poll_timeout(), Some(at(2600)));
    s.c.handle_timeout(at(2599));
    assert!(s.events().is_empty());
    s.c.handle_timeout(at(2600));
    let e = tmq_error(s.outcome(first));
    assert!(e.message.contains("poll timed out"), "{e}");
    // The queued poll goes out now, bounded by its own deadline.
    let next = s.sent().remove(0);
    assert_eq!(next["action"], "poll");
    assert_eq!(s.c.poll_timeout(), Some(at(3150)));
    s.c.handle_timeout(at(3150));
    tmq_error(s.outcome(queued));
}

#[test]
fn a_lost_connection_fails_every_waiting_call_with_a_tmq_error() {
    let mut s = subscribed(options());
    let p = s.c.poll(Duration::from_millis(500), at(100));
    let q = s.c.poll(Duration::from_millis(500), at(100));
    let c = s.c.commit(at(100));
    s.c.handle_disconnect("connection reset", at(120));
    for call in [p, q, c] {
        let e = tmq_error(s.outcome(call));
        assert!(e.message.contains("connection reset"), "{e}");
    }
    let later = s.c.poll(Duration::from_millis(500), at(130));
    assert!(tmq_error(s.outcome(later)).message.contains("closed"));
    assert!(s.c.is_finished());
}

#[test]
fn a_message_whose_poll_was_abandoned_is_asked_for_again() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(500), at(100));
    let poll = s.sent().remove(0);
    s.c.cancel(call);
    s.poll_reply(&poll, 1, 1, 6, at(101));
    let fetch = s.sent().remove(0);
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(102));
    assert!(s.events().is_empty(), "nobody waits for it");
    let again = s.c.poll(Duration::from_millis(500), at(200));
    let poll = s.sent().remove(0);
    assert_eq!(poll["args"]["message_id"], 0, "a different id makes the server send message 1 again");
    s.poll_reply(&poll, 1, 1, 6, at(201));
    let fetch = s.sent().remove(0);
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(202));
    assert_eq!(message(s.outcome(again)).id, 1);
}

#[test]
fn a_timed_out_poll_does_not_lose_its_message_either() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(100), at(0));
    let poll = s.sent().remove(0);
    s.c.handle_timeout(at(2100));
    tmq_error(s.outcome(call));
    // The late answer is ignored; the next poll asks for the message the server now holds.
    s.poll_reply(&poll, 1, 1, 6, at(2200));
    assert!(s.sent().is_empty());
    s.c.poll(Duration::from_millis(100), at(2300));
    assert_eq!(s.sent()[0]["args"]["message_id"], 0);
}

#[test]
fn auto_commit_runs_before_a_poll_once_the_interval_passed_and_never_alongside_it() {
    let mut s = subscribed(ConsumerOptions { auto_commit: true, auto_commit_interval: Duration::from_millis(1000), ..options() });
    // Nothing delivered yet: no commit even when due.
    let call = s.c.poll(Duration::from_millis(10), at(1500));
    let poll = s.sent().remove(0);
    assert_eq!(poll["action"], "poll");
    s.poll_reply(&poll, 1, 1, 6, at(1501));
    let fetch = s.sent().remove(0);
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(1502));
    message(s.outcome(call));
    // Due (subscribed at 10 ms + 1000): the commit goes first, the poll only after its answer.
    let call = s.c.poll(Duration::from_millis(10), at(1600));
    let sent = s.sent();
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0]["action"].as_str(), sent[0]["args"]["message_id"].as_u64()), (Some("commit"), Some(1)));
    s.reply(&sent[0], r#","message_id":1"#, at(1601));
    let poll = s.sent().remove(0);
    assert_eq!(poll["action"], "poll");
    s.empty_poll(&poll, at(1611));
    assert_eq!(s.outcome(call), Ok(Reply::TmqMessage(None)));
    // Not due again before 2600 ms, and nothing new was delivered anyway.
    s.c.poll(Duration::from_millis(10), at(2700));
    assert_eq!(s.sent()[0]["action"], "poll");
}

#[test]
fn committing_a_message_commits_exactly_where_it_ends() {
    let mut s = subscribed(options());
    let call = s.c.poll(Duration::from_millis(500), at(100));
    let poll = s.sent().remove(0);
    s.poll_reply(&poll, 1, 1, 6, at(101));
    let fetch = s.sent().remove(0);
    s.raw_data(&fetch, &hex(DATA_PAYLOAD), at(102));
    let m = message(s.outcome(call));
    let call = s.c.commit_message(&m, at(110));
    let sent = s.sent().remove(0);
    assert_eq!(sent["action"], "commit_offset");
    assert_eq!((sent["args"]["topic"].as_str(), sent["args"]["vgroup_id"].as_i64(), sent["args"]["offset"].as_i64()), (Some("t1"), Some(5), Some(7)));
    s.reply(&sent, r#","topic":"t1","vgroup_id":5,"offset":7"#, at(111));
    assert_eq!(s.outcome(call), Ok(Reply::Done));
    let call = s.c.commit(at(120));
    let sent = s.sent().remove(0);
    assert_eq!((sent["action"].as_str(), sent["args"]["message_id"].as_u64()), (Some("commit"), Some(1)));
    s.refuse(&sent, 0x4002, "Consumer closed", at(121));
    assert_eq!(tmq_error(s.outcome(call)).errno, Some(0x4002));
}

#[test]
fn assignment_spans_every_topic_and_seek_to_beginning_uses_it() {
    let mut s = connected(options());
    let call = s.c.subscribe(vec!["t1".into(), "t2".into()], at(10));
    let sub = s.sent().remove(0);
    s.reply(&sub, "", at(11));
    s.outcome(call).unwrap();
    let call = s.c.assignment(None, at(20));
    let sent = s.sent();
    assert_eq!(sent.len(), 2);
    s.reply(&sent[1], r#","assignment":[{"vgroup_id":9,"offset":0,"begin":0,"end":3}]"#, at(21));
    s.reply(&sent[0], r#","assignment":[{"vgroup_id":7,"offset":2,"begin":1,"end":5},{"vgroup_id":3,"offset":0,"begin":0,"end":4}]"#, at(22));
    let Ok(Reply::TmqAssignment(a)) = s.outcome(call) else { panic!() };
    let got: Vec<_> = a.iter().map(|a| (a.topic.as_str(), a.vgroup_id, a.offset, a.begin, a.end)).collect();
    assert_eq!(got, vec![("t1", 3, 0, 0, 4), ("t1", 7, 2, 1, 5), ("t2", 9, 0, 0, 3)]);

    let call = s.c.seek_to_edge(Some(vec![("t1".into(), 7)]), false, at(30));
    let sent = s.sent();
    assert_eq!(sent.len(), 1, "only the topic named");
    s.reply(&sent[0], r#","assignment":[{"vgroup_id":7,"offset":2,"begin":1,"end":5},{"vgroup_id":3,"offset":0,"begin":0,"end":4}]"#, at(31));
    let seek = s.sent().remove(0);
    assert_eq!((seek["action"].as_str(), seek["args"]["vgroup_id"].as_i64(), seek["args"]["offset"].as_i64()), (Some("seek"), Some(7), Some(1)));
    s.reply(&seek, "", at(32));
    assert_eq!(s.outcome(call), Ok(Reply::Done));

    let call = s.c.seek_to_edge(Some(vec![("t1".into(), 99)]), true, at(40));
    let sent = s.sent().remove(0);
    s.reply(&sent, r#","assignment":[{"vgroup_id":7,"offset":2,"begin":1,"end":5}]"#, at(41));
    assert_eq!(tmq_error(s.outcome(call)).errno, Some(0x4008));
}

#[test]
fn committed_without_a_commit_is_none_and_position_reads_the_array() {
    let mut s = subscribed(options());
    let call = s.c.committed(vec![("t1".into(), 5), ("t1".into(), 6)], at(20));
    let sent = s.sent().remove(0);
    assert_eq!(sent["args"]["topic_vgroup_ids"], serde_json::json!([{"topic":"t1","vgroup_id":5},{"topic":"t1","vgroup_id":6}]));
    s.reply(&sent, r#","committed":[-2147467247,4]"#, at(21));
    assert_eq!(s.outcome(call), Ok(Reply::TmqOffsets(vec![None, Some(4)])));
    let call = s.c.position(vec![("t1".into(), 5)], at(22));
    let sent = s.sent().remove(0);
    s.reply(&sent, r#","position":[4]"#, at(23));
    assert_eq!(s.outcome(call), Ok(Reply::TmqOffsets(vec![Some(4)])));
}

#[test]
fn close_fails_waiting_calls_and_says_goodbye_within_a_bound() {
    let mut s = subscribed(options());
    let p = s.c.poll(Duration::from_millis(500), at(100));
    s.sent();
    s.c.close(at(110));
    assert!(tmq_error(s.outcome(p)).message.contains("closed"));
    assert_eq!(std::iter::from_fn(|| s.c.poll_transmit()).collect::<Vec<_>>(), vec![Frame::Close]);
    assert!(s.c.is_closed() && !s.c.is_finished());
    s.c.handle_timeout(at(110) + DEFAULT_GOODBYE_TIMEOUT);
    assert!(s.c.is_finished());
}

#[test]
fn an_unreadable_reply_fails_its_call_instead_of_leaving_it_waiting() {
    let mut s = subscribed(options());
    let call = s.c.position(vec![("t1".into(), 5)], at(20));
    let sent = s.sent().remove(0);
    let req_id = sent["args"]["req_id"].as_u64().unwrap();
    s.c.handle_frame(Frame::Text(format!(r#"{{"code":0,"message":"","action":"position","req_id":{req_id},"position":"oops"}}"#)), at(21));
    tmq_error(s.outcome(call));
}

#[test]
fn a_callers_own_timeout_bounds_a_poll_after_its_blocking_time() {
    let mut s = subscribed(options());
    let p = s.c.poll(Duration::from_millis(500), at(100));
    s.c.set_deadline(p, at(100), Some(Duration::from_millis(300)));
    s.sent();
    assert_eq!(s.c.poll_timeout(), Some(at(900)), "500 ms of polling + the caller's 300 ms");
    s.c.handle_timeout(at(900));
    let e = tmq_error(s.outcome(p));
    assert!(e.message.contains("within 800 ms"), "{e}");
    let c = s.c.commit(at(1000));
    s.c.set_deadline(c, at(1000), Some(Duration::from_millis(50)));
    s.sent();
    s.c.handle_timeout(at(1050));
    assert!(tmq_error(s.outcome(c)).message.contains("within 50 ms"));
}

#[test]
fn an_aborted_queued_poll_never_reaches_the_server_and_leaves_no_deadline() {
    let mut s = subscribed(options());
    let first = s.c.poll(Duration::from_millis(500), at(100));
    let queued = s.c.poll(Duration::from_millis(500), at(100));
    let out = s.sent();
    assert_eq!(out.len(), 1);
    s.c.cancel(queued);
    s.empty_poll(&out[0], at(600));
    assert_eq!(s.outcome(first), Ok(Reply::TmqMessage(None)));
    assert!(s.sent().is_empty(), "the aborted poll is not sent");
    assert_eq!(s.c.poll_timeout(), None);
    assert!(s.events().is_empty(), "an aborted call completes for nobody");
}

#[test]
fn keepalive_detects_a_silent_server_between_polls() {
    let mut s = subscribed(ConsumerOptions { keepalive: Some(Duration::from_secs(10)), ..options() });
    // Armed at connect (t = 0); the subscribe answer was heard before the tick at 10 s, so the
    // tick at 20 s pings and the one at 30 s declares the server dead.
    s.c.handle_timeout(at(10_000));
    assert_eq!(s.c.poll_transmit(), None);
    s.c.handle_timeout(at(20_000));
    assert!(matches!(s.c.poll_transmit(), Some(Frame::Ping(_))));
    let p = s.c.poll(Duration::from_secs(30), at(25_000));
    s.sent();
    s.c.handle_timeout(at(30_000));
    let e = tmq_error(s.outcome(p));
    assert!(e.message.contains("went silent"), "{e}");
    assert!(s.c.is_closed());
}
