//! Every call settles: per-call deadlines, aborts, keepalive and protocol violations, with a
//! fake clock and hand-written server frames.

use std::time::Duration;

use super::tests::*;
use super::*;
use crate::conversation::KEEPALIVE_PAYLOAD;
use crate::stmt2::Stmt2InitOptions;

fn timed_out(outcome: &Result<Reply>) -> bool {
    matches!(outcome, Err(e) if e.kind == ErrorKind::Timeout)
}

// ----- per-call deadlines --------------------------------------------------------------------

#[test]
fn a_call_nobody_answers_times_out_at_its_deadline_and_names_what_it_waited_for() {
    let mut s = connected();
    let q = s.query("select 1", None);
    s.set_deadline(q, at(1000), Some(Duration::from_millis(250)));
    drain(&mut s);
    assert_eq!(s.poll_timeout(), Some(at(1250)));
    s.handle_timeout(at(1249));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(at(1250));
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Timeout
        && e.message.contains("binary_query") && e.message.contains("250 ms")), "{ev:?}");
    assert_eq!(s.poll_timeout(), None);
}

#[test]
fn without_a_timeout_of_its_own_a_call_gets_the_request_timeout() {
    let mut s = connected_with(SessionOptions { keepalive: None, request_timeout: Duration::from_secs(7), ..Default::default() });
    let q = s.query("select 1", None);
    s.set_deadline(q, at(100), None);
    assert_eq!(s.poll_timeout(), Some(at(7100)));
}

#[test]
fn an_answered_call_disarms_its_deadline() {
    let mut s = connected();
    let q = s.query("select 1", None);
    s.set_deadline(q, at(0), Some(Duration::from_millis(50)));
    let frame = drain(&mut s).remove(0);
    reply(&mut s, &frame, "binary_query", 0, QUERY_OK);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(_))] if *c == q));
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(at(60));
    assert!(events(&mut s).is_empty());
}

#[test]
fn a_deadline_for_a_call_that_already_completed_is_ignored() {
    let mut s = connected();
    let f = s.fetch_block(99); // not open: completes at once
    s.set_deadline(f, at(0), Some(Duration::from_millis(5)));
    assert_eq!(s.poll_timeout(), None);
    assert_eq!(events(&mut s).len(), 1);
}

#[test]
fn a_query_that_times_out_frees_the_result_its_late_reply_brings() {
    let mut s = connected();
    let q = s.query("select 1", None);
    s.set_deadline(q, at(0), Some(Duration::from_millis(10)));
    let frame = drain(&mut s).remove(0);
    s.handle_timeout(at(10));
    assert!(timed_out(&events(&mut s)[0].1));
    reply(&mut s, &frame, "binary_query", 0, QUERY_OK);
    assert!(events(&mut s).is_empty(), "the late reply reaches nobody");
    let frees = drain(&mut s);
    assert_eq!(frees.len(), 1);
    assert_eq!(action(&frees[0]), "free_result");
    assert_eq!(s.open_results(), 0);
}

#[test]
fn a_fetch_that_times_out_frees_its_result_at_once() {
    let mut s = connected();
    with_result_7(&mut s);
    let f = s.fetch_block(7);
    s.set_deadline(f, at(0), Some(Duration::from_millis(10)));
    drain(&mut s);
    s.handle_timeout(at(10));
    assert!(timed_out(&events(&mut s)[0].1));
    let frees = drain(&mut s);
    assert_eq!(frees.iter().map(action).collect::<Vec<_>>(), ["free_result"]);
    assert_eq!(s.open_results(), 0);
    // The rest of the rows cannot be read in order any more.
    s.fetch_block(7);
    assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.kind == ErrorKind::Result));
}

#[test]
fn a_stmt2_init_that_times_out_closes_the_statement_its_late_reply_opens() {
    let mut s = connected();
    let c = s.stmt2_init(Stmt2InitOptions::default());
    s.set_deadline(c, at(0), Some(Duration::from_millis(10)));
    let frame = drain(&mut s).remove(0);
    s.handle_timeout(at(10));
    assert!(timed_out(&events(&mut s)[0].1));
    reply(&mut s, &frame, "stmt2_init", 0, r#","stmt_id":4"#);
    assert!(events(&mut s).is_empty());
    assert_eq!(drain(&mut s).iter().map(action).collect::<Vec<_>>(), ["stmt2_close"]);
    assert_eq!(s.open_statements(), 0);
}

#[test]
fn an_aborted_fetch_frees_its_result_and_reports_nothing() {
    let mut s = connected();
    with_result_7(&mut s);
    let f = s.fetch_block(7);
    s.set_deadline(f, at(0), Some(Duration::from_millis(10)));
    drain(&mut s);
    s.cancel(f);
    assert!(events(&mut s).is_empty());
    assert_eq!(drain(&mut s).iter().map(action).collect::<Vec<_>>(), ["free_result"]);
    s.handle_timeout(at(10));
    assert!(events(&mut s).is_empty(), "a cancelled call does not time out later");
}

// ----- keepalive -----------------------------------------------------------------------------

fn with_keepalive(ms: u64) -> Session {
    connected_with(SessionOptions { keepalive: Some(Duration::from_millis(ms)), ..Default::default() })
}

#[test]
fn an_idle_connection_pings_and_a_pong_keeps_it_alive() {
    let mut s = with_keepalive(100);
    assert_eq!(s.poll_timeout(), Some(at(100)));
    // Login replies arrived since the connect: nothing to ping for yet.
    s.handle_timeout(at(100));
    assert!(drain(&mut s).is_empty());
    s.handle_timeout(at(200));
    assert_eq!(drain(&mut s), [Frame::Ping(KEEPALIVE_PAYLOAD.to_vec())]);
    s.handle_frame(Frame::Pong(KEEPALIVE_PAYLOAD.to_vec()));
    s.handle_timeout(at(300));
    s.handle_timeout(at(400));
    assert_eq!(drain(&mut s), [Frame::Ping(KEEPALIVE_PAYLOAD.to_vec())], "idle again: one more ping");
    assert!(s.is_connected());
}

#[test]
fn a_driver_that_cannot_ping_probes_with_version_and_any_answer_keeps_it_alive() {
    let options = SessionOptions { keepalive: Some(Duration::from_millis(100)), keepalive_probe: KeepaliveProbe::Version, ..Default::default() };
    let mut s = connected_with(options);
    s.handle_timeout(at(100));
    s.handle_timeout(at(200));
    assert_eq!(drain(&mut s), [Frame::Text(r#"{"action":"version"}"#.into())]);
    // taosAdapter answers `version` at any time, with req_id 0: no call waits for it.
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"version":"3.3.7.5"}"#.into()));
    assert!(events(&mut s).is_empty());
    s.handle_timeout(at(300));
    s.handle_timeout(at(400));
    assert_eq!(drain(&mut s), [Frame::Text(r#"{"action":"version"}"#.into())], "idle again: one more probe");
    // Unanswered, the peer is dead one interval later.
    s.handle_timeout(at(500));
    assert!(s.is_closed());
}

#[test]
fn a_busy_connection_sends_no_pings() {
    let mut s = with_keepalive(100);
    for tick in 1..=5 {
        with_result_7(&mut s); // a reply arrives every interval
        s.free_result(7);
        drain(&mut s);
        s.handle_timeout(at(tick * 100));
        assert!(drain(&mut s).is_empty(), "tick {tick}");
    }
}

#[test]
fn a_silent_peer_is_declared_dead_within_three_intervals_and_every_call_fails() {
    let mut s = with_keepalive(100);
    let q = s.query("select 1", None);
    drain(&mut s);
    let mut now = 0;
    while !s.is_closed() {
        now = s.poll_timeout().unwrap().since_origin().as_millis() as u64;
        s.handle_timeout(at(now));
        drain(&mut s);
        assert!(now <= 300, "still alive at {now} ms");
    }
    assert!(now > 100, "not before an unanswered ping");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Connection
        && e.message.contains("keepalive")), "{ev:?}");
}

#[test]
fn keepalive_zero_sends_no_pings() {
    let mut s = connected();
    assert_eq!(s.poll_timeout(), None);
    s.handle_timeout(at(1_000_000));
    assert!(drain(&mut s).is_empty());
}

// ----- protocol violations -------------------------------------------------------------------

fn violation(frame: Frame, words: &str) {
    let mut s = connected();
    with_result_7(&mut s);
    let q = s.query("select 1", None);
    let f = s.fetch_block(7);
    let init = s.stmt2_init(Stmt2InitOptions::default());
    drain(&mut s);
    s.handle_frame(frame);
    let ev = events(&mut s);
    assert_eq!(ev.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [q, f, init], "every call fails at once");
    for (_, outcome) in &ev {
        assert!(matches!(outcome, Err(e) if e.kind == ErrorKind::Connection
            && e.message.contains("protocol violation") && e.message.contains(words)), "{outcome:?}");
    }
    assert!(s.is_finished(), "the socket is dropped");
}

#[test]
fn a_text_frame_that_is_not_json_is_a_protocol_violation_naming_it() {
    violation(Frame::Text("{not json".into()), "{not json");
}

#[test]
fn a_json_reply_without_an_action_is_a_protocol_violation() {
    violation(Frame::Text(r#"{"code":0,"req_id":3}"#.into()), "without an action");
}

#[test]
fn a_json_reply_with_fields_of_the_wrong_type_is_a_protocol_violation() {
    violation(Frame::Text(r#"{"code":0,"action":"binary_query","req_id":2,"id":-1}"#.into()), "binary_query");
}

#[test]
fn a_binary_frame_shorter_than_a_reply_header_is_a_protocol_violation() {
    violation(Frame::Binary(vec![0xff; 30].into()), "30 bytes");
    violation(Frame::Binary(vec![1, 2, 3].into()), "010203");
}

#[test]
fn a_block_reply_that_cannot_be_read_is_a_protocol_violation() {
    let mut s = connected();
    with_result_7(&mut s);
    let f = s.fetch_block(7);
    let q = s.query("select 2", None);
    let fetch = drain(&mut s).remove(0);
    // The header matches the fetch, the body is cut short.
    let mut bytes = u64::MAX.to_le_bytes().to_vec();
    bytes.extend_from_slice(&7u64.to_le_bytes());
    bytes.extend_from_slice(&[1, 0]);
    bytes.extend_from_slice(&0u64.to_le_bytes());
    bytes.extend_from_slice(&req_id(&fetch).to_le_bytes());
    bytes.extend_from_slice(&0u32.to_le_bytes());
    s.handle_frame(Frame::Binary(bytes.into()));
    let ev = events(&mut s);
    assert_eq!(ev.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [f, q]);
    assert!(ev.iter().all(|(_, o)| matches!(o, Err(e) if e.message.contains("protocol violation"))), "{ev:?}");
}

#[test]
fn well_formed_replies_to_nobody_are_ignored() {
    let mut s = connected();
    let q = s.query("select 1", None);
    drain(&mut s);
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"binary_query","req_id":999,"timing":1}"#.into()));
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"some_future_action","req_id":1,"timing":1}"#.into()));
    assert!(events(&mut s).is_empty());
    assert!(s.is_connected());
    s.handle_disconnect("gone");
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(_))] if *c == q));
}

// ----- unread results ------------------------------------------------------------------------

#[test]
fn max_open_results_refuses_a_query_that_could_open_one_too_many() {
    let mut s = connected_with(SessionOptions { keepalive: None, max_open_results: 2, ..Default::default() });
    with_result_7(&mut s); // one open
    let q = s.query("select 2", None); // one in flight
    drain(&mut s);
    let refused = s.query("select 3", None);
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == refused && e.kind == ErrorKind::Programming
        && e.message.contains("maxOpenResults is 2") && e.message.contains("1 results") && e.message.contains("1 queries")), "{ev:?}");
    assert!(drain(&mut s).is_empty(), "nothing was sent");
    // Freeing one makes room again.
    s.free_result(7);
    drain(&mut s);
    let _ = q;
    s.query("select 4", None);
    assert!(events(&mut s).is_empty());
    assert_eq!(drain(&mut s).len(), 1);
}
