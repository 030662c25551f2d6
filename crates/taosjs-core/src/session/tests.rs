//! The session alone, with a fake clock and hand-written server frames.

use std::time::Duration;

use super::*;
use crate::bind::{BindColumn, BindTable, ColumnValues};
use crate::stmt2::Stmt2InitOptions;

pub(super) fn events(s: &mut Session) -> Vec<(CallId, Result<Reply>)> {
    // Lifecycle events stay queued for the tests that read them.
    let mut completed = Vec::new();
    let mut other = Vec::new();
    while let Some(e) = s.poll_event() {
        match e {
            Event::Completed { call, outcome } => completed.push((call, outcome)),
            e => other.push(e),
        }
    }
    for e in other {
        s.calls.push_event(e);
    }
    completed
}

pub(super) fn drain(s: &mut Session) -> Vec<Frame> {
    std::iter::from_fn(|| s.poll_transmit()).collect()
}

pub(super) fn at(ms: u64) -> Instant {
    Instant::from_origin(Duration::from_millis(ms))
}

pub(super) fn req_id(frame: &Frame) -> u64 {
    match frame {
        Frame::Text(t) => serde_json::from_str::<serde_json::Value>(t).unwrap()["args"]["req_id"].as_u64().unwrap(),
        Frame::Binary(b) => u64::from_le_bytes(b[0..8].try_into().unwrap()),
        Frame::Close | Frame::Ping(_) | Frame::Pong(_) => panic!("a control frame has no req_id"),
    }
}

pub(super) fn action(frame: &Frame) -> String {
    match frame {
        Frame::Text(t) => serde_json::from_str::<serde_json::Value>(t).unwrap()["action"].as_str().unwrap().to_owned(),
        Frame::Binary(b) => format!("binary {}", u64::from_le_bytes(b[16..24].try_into().unwrap())),
        Frame::Close => "close frame".into(),
        Frame::Ping(_) | Frame::Pong(_) => "ping/pong".into(),
    }
}

/// A JSON reply to `request` with `extra` fields (`,"stmt_id":1…`).
pub(super) fn reply(s: &mut Session, request: &Frame, name: &str, code: i64, extra: &str) {
    let id = req_id(request);
    s.handle_frame(Frame::Text(format!(
        r#"{{"code":{code},"message":"{}","action":"{name}","req_id":{id},"timing":1{extra}}}"#,
        if code == 0 { "" } else { "refused" }
    )));
}

/// A `fetch_raw_block` reply: a block with `payload` as its (opaque) bytes, or the end.
pub(super) fn fetch_reply(s: &mut Session, fetch: &Frame, block: Option<&[u8]>) {
    let mut b = Vec::new();
    b.extend_from_slice(&u64::MAX.to_le_bytes());
    b.extend_from_slice(&7u64.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&0u64.to_le_bytes());
    b.extend_from_slice(&req_id(fetch).to_le_bytes());
    b.extend_from_slice(&0u32.to_le_bytes()); // code
    b.extend_from_slice(&0u32.to_le_bytes()); // message length
    b.extend_from_slice(&0u64.to_le_bytes()); // result id
    match block {
        Some(bytes) => {
            b.push(0);
            b.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
            b.extend_from_slice(bytes);
        }
        None => b.push(1),
    }
    s.handle_frame(Frame::Binary(b.into()));
}

/// A logged-in session without keepalive (its own tests turn it on).
pub(super) fn connected() -> Session {
    connected_with(SessionOptions { keepalive: None, ..Default::default() })
}

pub(super) fn connected_with(options: SessionOptions) -> Session {
    let mut s = Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..options });
    s.connect(Instant::ZERO);
    drain(&mut s);
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.7.5"}"#.into()));
    assert!(s.is_connected());
    assert_eq!(s.server_version(), Some("3.3.7.5"));
    assert!(!s.calls.timers.is_armed(Timer::Connect), "the login timer stops once logged in");
    events(&mut s);
    s
}

pub(super) const QUERY_OK: &str = r#","id":7,"is_update":false,"affected_rows":0,"fields_count":1,"fields_names":["1"],"fields_types":[5],"fields_lengths":[8],"precision":0"#;

/// A query whose reply opened result 7.
pub(super) fn with_result_7(s: &mut Session) {
    s.query("select 1", None);
    let q = drain(s).remove(0);
    reply(s, &q, "binary_query", 0, QUERY_OK);
    events(s);
}

#[test]
fn calls_before_connect_or_after_close_fail_with_connection_errors() {
    let mut s = Session::new(SessionOptions::default());
    let q = s.query("select 1", None);
    let f = s.fetch_block(1);
    let ev = events(&mut s);
    assert!(matches!(&ev[0], (c, Err(e)) if *c == q && e.kind == ErrorKind::Connection && e.message.contains("not connected")));
    assert!(matches!(&ev[1], (c, Err(e)) if *c == f && e.kind == ErrorKind::Connection));
    assert!(s.poll_transmit().is_none());
    let mut s = connected();
    s.close(at(0));
    s.query("select 1", None);
    assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.message.contains("closed")));
}

#[test]
fn actions_round_trip_their_wire_names() {
    for a in Action::ALL {
        assert_eq!(Action::from_name(a.name()), Some(a));
    }
    assert_eq!(Action::from_name("tmq_poll"), None);
}

#[test]
fn servers_older_than_3_3_2_are_refused() {
    for (v, ok) in [("3.3.7.5.alpha", true), ("3.3.2.0", true), ("3.x", true), ("3.4", true), ("3.3.1.9", false), ("2.6.0.1", false), ("", false), ("abc", false)] {
        assert_eq!(crate::message::supports_binary_queries(v), ok, "{v}");
    }
    let mut s = Session::new(SessionOptions::default());
    let c = s.connect(Instant::ZERO);
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.0.0"}"#.into()));
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.0.0"}"#.into()));
    assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::NotSupported && e.message.contains("3.3.0.0")));
    assert!(s.is_closed());
}

#[test]
fn connect_twice_is_a_programming_error() {
    let mut s = connected();
    let c = s.connect(at(5));
    assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))] if *call == c && e.kind == ErrorKind::Programming));
    assert!(s.poll_transmit().is_none());
}

#[test]
fn a_login_nobody_answers_fails_at_the_connect_timeout() {
    let options = SessionOptions { connect_timeout: Duration::from_millis(2500), ..Default::default() };
    let mut s = Session::new(options);
    let c = s.connect(at(1000));
    assert_eq!(drain(&mut s).len(), 2, "version and conn");
    assert_eq!(s.poll_timeout(), Some(at(3500)));
    s.handle_timeout(at(3499));
    assert!(events(&mut s).is_empty());
    assert!(!s.is_finished());
    s.handle_timeout(at(3500));
    assert!(matches!(events(&mut s).as_slice(), [(call, Err(e))]
        if *call == c && e.kind == ErrorKind::Connection && e.message.contains("did not answer the login within 2.5s")));
    assert!(s.is_finished(), "the driver drops the socket");
    assert_eq!(s.poll_timeout(), None);
    // A late answer changes nothing.
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"conn","req_id":1,"timing":1,"version":"3.3.7.5"}"#.into()));
    assert!(events(&mut s).is_empty() && !s.is_connected());
}

#[test]
fn close_frees_results_says_goodbye_and_is_bounded_in_time() {
    let mut s = connected();
    with_result_7(&mut s);
    let pending = s.query("select 2", None);
    drain(&mut s);
    s.close(at(10_000));
    let sent = drain(&mut s);
    assert_eq!(sent.iter().map(action).collect::<Vec<_>>(), ["free_result", "close frame"]);
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == pending && e.kind == ErrorKind::Connection));
    assert!(s.is_closed() && !s.is_finished(), "the goodbye is under way");
    assert_eq!(s.poll_timeout(), Some(at(12_000)));
    s.close(at(11_000)); // twice is fine and does not move the deadline
    assert_eq!(s.poll_timeout(), Some(at(12_000)));
    s.handle_timeout(at(11_999));
    assert!(!s.is_finished());
    s.handle_timeout(at(12_000));
    assert!(s.is_finished(), "a peer that never acknowledges the close is given up on");
}

#[test]
fn a_goodbye_the_peer_acknowledges_finishes_at_once() {
    let mut s = connected();
    s.close(at(0));
    drain(&mut s);
    s.handle_disconnect("the server closed the connection");
    assert!(s.is_finished());
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn a_cancelled_query_frees_the_result_its_reply_brings() {
    let mut s = connected();
    let q = s.query("select 1", None);
    let request = drain(&mut s).remove(0);
    s.cancel(q);
    reply(&mut s, &request, "binary_query", 0, QUERY_OK);
    assert!(events(&mut s).is_empty(), "nobody waits for the completion");
    let sent = drain(&mut s);
    assert_eq!(sent.iter().map(action).collect::<Vec<_>>(), ["free_result"]);
    assert_eq!(s.open_results(), 0);
}

#[test]
fn a_cancelled_stmt_init_closes_the_statement_it_opens() {
    let mut s = connected();
    let c = s.stmt2_init(Stmt2InitOptions::default());
    let request = drain(&mut s).remove(0);
    s.cancel(c);
    reply(&mut s, &request, "stmt2_init", 0, r#","stmt_id":4"#);
    assert!(events(&mut s).is_empty());
    let sent = drain(&mut s);
    assert_eq!(sent.iter().map(action).collect::<Vec<_>>(), ["stmt2_close"]);
    assert_eq!(s.open_statements(), 0);
}

#[test]
fn stmt2_init_carries_the_callers_req_id_as_a_query_does() {
    let mut s = connected();
    let c = s.stmt2_init(Stmt2InitOptions { req_id: Some(4242), ..Stmt2InitOptions::default() });
    let request = drain(&mut s).remove(0);
    assert_eq!((action(&request), req_id(&request)), ("stmt2_init".to_owned(), 4242));
    // One in flight cannot be reused; the refused call sends nothing.
    let again = s.stmt2_init(Stmt2InitOptions { req_id: Some(4242), ..Stmt2InitOptions::default() });
    assert!(drain(&mut s).is_empty());
    let refused = events(&mut s);
    assert_eq!(refused.len(), 1);
    let (call, outcome) = &refused[0];
    assert_eq!(*call, again);
    let e = outcome.as_ref().unwrap_err();
    assert_eq!((e.kind, e.message.as_str()), (ErrorKind::Programming, "req_id 4242 is already in use by a call in flight"));
    reply(&mut s, &request, "stmt2_init", 0, r#","stmt_id":4"#);
    assert!(matches!(events(&mut s).as_slice(), [(call, Ok(Reply::StmtInit { stmt_id: 4, .. }))] if *call == c));
}

#[test]
fn a_completion_nobody_received_is_discarded_through_the_session() {
    let mut s = connected();
    let q = s.query("select 1", None);
    let request = drain(&mut s).remove(0);
    reply(&mut s, &request, "binary_query", 0, QUERY_OK);
    let (call, outcome) = events(&mut s).remove(0);
    assert_eq!(call, q);
    s.cancel(q); // already completed: no effect
    assert_eq!(s.open_results(), 1);
    s.discard(outcome);
    assert_eq!(drain(&mut s).iter().map(action).collect::<Vec<_>>(), ["free_result"]);
    assert_eq!(s.open_results(), 0);
}

#[test]
fn a_second_concurrent_fetch_on_one_result_is_rejected() {
    let mut s = connected();
    with_result_7(&mut s);
    s.fetch_block(7);
    let second = s.fetch_block(7);
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == second && e.kind == ErrorKind::Programming));
    assert!(s.poll_transmit().is_some());
    assert!(s.poll_transmit().is_none(), "only one fetch went out");
}

#[test]
fn a_fetch_refused_in_json_fails_and_can_be_retried() {
    let mut s = connected();
    with_result_7(&mut s);
    let f = s.fetch_block(7);
    let request = drain(&mut s).remove(0);
    s.handle_frame(Frame::Text(format!(
        r#"{{"code":65535,"message":"server not connected","action":"fetch_raw_block","req_id":{},"timing":1}}"#,
        req_id(&request)
    )));
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == f && e.errno == Some(65535)));
    s.fetch_block(7);
    assert!(events(&mut s).is_empty(), "not rejected as a concurrent fetch");
}

#[test]
fn a_fetch_of_a_result_that_is_not_open_is_a_result_error() {
    let mut s = connected();
    let f = s.fetch_block(99);
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == f && e.kind == ErrorKind::Result));
    assert!(s.poll_transmit().is_none());
}

// ----- statements: the sequences that kill taosAdapter 3.3.7.5 cannot be expressed ----------

/// An open stmt2 statement with id 1.
fn stmt2_open(s: &mut Session) {
    s.stmt2_init(Stmt2InitOptions::default());
    let r = drain(s).remove(0);
    reply(s, &r, "stmt2_init", 0, r#","stmt_id":1"#);
    events(s);
}

const INSERT_FIELDS: &str = r#","stmt_id":1,"is_insert":true,"fields":[{"name":"ts","field_type":9,"precision":0,"scale":0,"bytes":8,"bind_type":1},{"name":"v","field_type":4,"precision":0,"scale":0,"bytes":4,"bind_type":1}],"fields_count":2"#;

fn one_row() -> Vec<BindTable> {
    vec![BindTable {
        name: None,
        tags: vec![],
        columns: vec![
            BindColumn::new(ColumnValues::Timestamp(vec![1_700_000_000_000])),
            BindColumn::new(ColumnValues::I32(vec![1])),
        ],
    }]
}

fn assert_refused_locally(s: &mut Session, call: CallId, words: &str) {
    let ev = events(s);
    assert!(
        matches!(ev.as_slice(), [(c, Err(e))] if *c == call && e.kind == ErrorKind::Programming && e.message.contains(words)),
        "{ev:?}"
    );
    assert!(s.poll_transmit().is_none(), "nothing is sent");
}

#[test]
fn stmt2_exec_after_a_failed_prepare_is_refused_before_anything_is_sent() {
    let mut s = connected();
    stmt2_open(&mut s);
    s.stmt2_prepare(1, "insert into ? values (?, ?)");
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_prepare", 0x2662, r#","stmt_id":1"#);
    assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.kind == ErrorKind::Statement));
    let b = s.stmt2_bind(1, &one_row());
    assert_refused_locally(&mut s, b, "not prepared");
    let x = s.stmt2_exec(1);
    assert_refused_locally(&mut s, x, "not prepared");
}

#[test]
fn stmt2_exec_without_a_bind_is_refused_and_one_bind_allows_one_exec() {
    let mut s = connected();
    stmt2_open(&mut s);
    s.stmt2_prepare(1, "insert into t values (?, ?)");
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_prepare", 0, INSERT_FIELDS);
    events(&mut s);
    let x = s.stmt2_exec(1);
    assert_refused_locally(&mut s, x, "nothing was bound");
    // A bind the server refuses does not count either.
    s.stmt2_bind(1, &one_row());
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_bind", 0x0200, r#","stmt_id":1"#);
    events(&mut s);
    let x = s.stmt2_exec(1);
    assert_refused_locally(&mut s, x, "nothing was bound");
    // An accepted bind allows exactly one exec.
    s.stmt2_bind(1, &one_row());
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_bind", 0, r#","stmt_id":1"#);
    events(&mut s);
    s.stmt2_exec(1);
    assert_eq!(drain(&mut s).iter().map(action).collect::<Vec<_>>(), ["stmt2_exec"]);
    let again = s.stmt2_exec(1);
    assert_refused_locally(&mut s, again, "nothing was bound");
}

#[test]
fn a_statement_without_placeholders_can_be_neither_bound_nor_executed() {
    let mut s = connected();
    stmt2_open(&mut s);
    s.stmt2_prepare(1, "insert into t values (1700000000000, 1)");
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_prepare", 0, r#","stmt_id":1,"is_insert":true,"fields":null,"fields_count":0"#);
    assert!(matches!(events(&mut s).as_slice(), [(_, Ok(Reply::Stmt2Prepared(p)))] if p.fields_count == 0));
    let empty = vec![BindTable::default()];
    let b = s.stmt2_bind(1, &empty);
    assert_refused_locally(&mut s, b, "no placeholders");
    let x = s.stmt2_exec(1);
    assert_refused_locally(&mut s, x, "nothing was bound");
}

#[test]
fn stmt2_result_needs_an_executed_query() {
    let mut s = connected();
    stmt2_open(&mut s);
    s.stmt2_prepare(1, "select * from t where v > ?");
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "stmt2_prepare", 0, r#","stmt_id":1,"is_insert":false,"fields":null,"fields_count":1"#);
    events(&mut s);
    let x = s.stmt2_result(1);
    assert_refused_locally(&mut s, x, "execute it first");
}

/// An open, prepared v1 query statement with id 2.
fn v1_query(s: &mut Session) {
    s.stmt_init();
    let r = drain(s).remove(0);
    reply(s, &r, "init", 0, r#","stmt_id":2"#);
    s.stmt_prepare(2, "select * from t where v > ?");
    let r = drain(s).remove(0);
    reply(s, &r, "prepare", 0, r#","stmt_id":2,"is_insert":false"#);
    events(s);
}

#[test]
fn stmt_v1_after_a_refused_bind_neither_batches_nor_executes() {
    let mut s = connected();
    v1_query(&mut s);
    s.stmt_bind(2, vec![BindColumn::new(ColumnValues::I64(vec![0]))]);
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "bind", 554, r#","stmt_id":2"#);
    assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.errno == Some(554)));
    let b = s.stmt_add_batch(2);
    assert_refused_locally(&mut s, b, "nothing was bound");
    let x = s.stmt_exec(2);
    assert_refused_locally(&mut s, x, "nothing was bound");
}

#[test]
fn stmt_v1_exec_batches_what_was_bound_then_executes() {
    let mut s = connected();
    v1_query(&mut s);
    s.stmt_bind(2, vec![BindColumn::new(ColumnValues::I64(vec![0]))]);
    let r = drain(&mut s).remove(0);
    reply(&mut s, &r, "bind", 0, r#","stmt_id":2"#);
    events(&mut s);
    let x = s.stmt_exec(2);
    let batch = drain(&mut s).remove(0);
    assert_eq!(action(&batch), "add_batch");
    reply(&mut s, &batch, "add_batch", 0, r#","stmt_id":2"#);
    let exec = drain(&mut s).remove(0);
    assert_eq!(action(&exec), "exec");
    reply(&mut s, &exec, "exec", 0, r#","stmt_id":2,"affected":0"#);
    assert_eq!(events(&mut s), vec![(x, Ok(Reply::Affected(0)))]);
    let again = s.stmt_exec(2);
    assert_refused_locally(&mut s, again, "nothing was bound");
}
