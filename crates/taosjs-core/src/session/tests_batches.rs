//! Reading in batches: a query answered with its first blocks, batches of blocks, and the
//! blocks read ahead with a query that a reconnect voids (resilience's re-run rule kept).

use super::tests::*;
use super::*;
use crate::block::BlockBatch;

fn one(s: &mut Session) -> Frame {
    let sent = drain(s);
    assert_eq!(sent.len(), 1, "{sent:?}");
    sent.into_iter().next().unwrap()
}

/// Answers the one frame the session sent, a fetch.
fn answer_fetch(s: &mut Session, block: Option<&[u8]>) {
    let fetch = one(s);
    assert_eq!(action(&fetch), "binary 7");
    fetch_reply(s, &fetch, block);
}

/// A result whose query brought two blocks that are not confirmed yet; its id.
fn provisional_result(s: &mut Session) -> u64 {
    rows_of(s, &[b"b1", b"b2"], false);
    let ev = events(s);
    let [(_, Ok(Reply::Rows { info, batch }))] = ev.as_slice() else { panic!("{ev:?}") };
    assert!(batch.provisional);
    info.result_id
}

fn raws(batch: &BlockBatch) -> Vec<Vec<u8>> {
    batch.blocks.iter().map(|b| b.raw().to_vec()).collect()
}

fn reconnecting() -> Session {
    connected_with(SessionOptions { keepalive: None, retries: 3, ..Default::default() })
}

/// Reconnects and answers the login; returns what the new socket sent after it.
fn reconnect(s: &mut Session) -> Vec<Frame> {
    s.handle_disconnect("reset");
    while s.poll_socket().is_some() {}
    s.handle_socket_opened(at(1));
    let login = drain(s);
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
    reply(s, &login[1], "conn", 0, "");
    drain(s)
}

/// `query_rows(select 1, 2)` answered with result 7 and `blocks` blocks; returns the call.
fn rows_of(s: &mut Session, blocks: &[&[u8]], end: bool) -> CallId {
    let q = s.query_rows("select 1", None, 2);
    let frame = one(s);
    reply(s, &frame, "binary_query", 0, QUERY_OK);
    for block in blocks {
        assert!(events(s).is_empty(), "answers once the blocks are here");
        let fetch = one(s);
        assert_eq!(action(&fetch), "binary 7");
        fetch_reply(s, &fetch, Some(block));
    }
    if end {
        let fetch = one(s);
        fetch_reply(s, &fetch, None);
    }
    q
}

#[test]
fn a_small_query_completes_once_with_its_block_and_its_end() {
    let mut s = connected();
    let q = rows_of(&mut s, &[b"b1"], true);
    let ev = events(&mut s);
    let [(c, Ok(Reply::Rows { info, batch }))] = ev.as_slice() else { panic!("{ev:?}") };
    assert_eq!(*c, q);
    assert_ne!(info.result_id, 0);
    assert_eq!(raws(batch), [b"b1".to_vec()]);
    assert!(batch.finished && !batch.provisional && !batch.restarted);
    assert!(drain(&mut s).is_empty(), "the server freed it itself");
    assert_eq!(s.results.len(), 0, "and the session forgot it");
}

#[test]
fn a_statement_without_rows_completes_with_its_reply() {
    let mut s = connected();
    let q = s.query_rows("insert into t values (now, 1)", None, 2);
    let frame = one(&mut s);
    reply(&mut s, &frame, "binary_query", 0, r#","id":0,"is_update":true,"affected_rows":1,"fields_count":0,"precision":0"#);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Query(i)))] if *c == q && i.affected_rows == 1));
    assert!(drain(&mut s).is_empty());
}

#[test]
fn blocks_read_ahead_are_provisional_only_while_a_reconnect_could_run_the_query_again() {
    for (retries, provisional) in [(0, false), (3, true)] {
        let mut s = connected_with(SessionOptions { keepalive: None, retries, ..Default::default() });
        rows_of(&mut s, &[b"b1", b"b2"], false);
        let ev = events(&mut s);
        let [(_, Ok(Reply::Rows { batch, .. }))] = ev.as_slice() else { panic!("{ev:?}") };
        assert_eq!(raws(batch), [b"b1".to_vec(), b"b2".to_vec()]);
        assert!(!batch.finished);
        assert_eq!(batch.provisional, provisional, "retries {retries}");
    }
}

#[test]
fn a_batch_brings_up_to_the_blocks_asked_for_or_the_end() {
    let mut s = connected();
    with_result_7(&mut s);
    let id = s.session_id(7);
    let f = s.fetch_batch(id, 2);
    answer_fetch(&mut s, Some(b"b1"));
    assert!(events(&mut s).is_empty());
    answer_fetch(&mut s, Some(b"b2"));
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Ok(Reply::Batch(b)))] if *c == f && raws(b).len() == 2 && !b.finished), "{ev:?}");
    s.fetch_batch(id, 2);
    answer_fetch(&mut s, Some(b"b3"));
    answer_fetch(&mut s, None);
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(_, Ok(Reply::Batch(b)))] if raws(b) == [b"b3".to_vec()] && b.finished), "{ev:?}");
    // A batch that says finished ends the result for the session too: nothing to release.
    s.free_result(id);
    assert!(drain(&mut s).is_empty());
    s.fetch_batch(id, 2);
    assert!(matches!(events(&mut s).as_slice(), [(_, Err(e))] if e.kind == ErrorKind::Result));
}

#[test]
fn a_reconnect_before_the_callers_next_fetch_runs_the_query_again_and_the_next_batch_restarts() {
    let mut s = reconnecting();
    let id = provisional_result(&mut s);
    let sent = reconnect(&mut s);
    assert_eq!(sent.iter().map(action).collect::<Vec<_>>(), ["binary 6"], "nothing was read: the query runs again");
    reply(&mut s, &sent[0], "binary_query", 0, &QUERY_OK.replace(r#""id":7"#, r#""id":3"#));
    let f = s.fetch_batch(id, 2);
    answer_fetch(&mut s, Some(b"b1"));
    answer_fetch(&mut s, Some(b"b2"));
    let ev = events(&mut s);
    let [(c, Ok(Reply::Batch(b)))] = ev.as_slice() else { panic!("{ev:?}") };
    assert_eq!(*c, f);
    assert!(b.restarted, "the blocks read ahead are void: these start the result over");
    assert_eq!(raws(b), [b"b1".to_vec(), b"b2".to_vec()]);
    // Only once.
    s.fetch_batch(id, 1);
    answer_fetch(&mut s, Some(b"b3"));
    assert!(matches!(events(&mut s).as_slice(), [(_, Ok(Reply::Batch(b)))] if !b.restarted));
}

#[test]
fn a_fetch_in_flight_when_the_connection_drops_follows_the_rerun_and_restarts() {
    let mut s = reconnecting();
    let id = provisional_result(&mut s);
    let f = s.fetch_batch(id, 1);
    drain(&mut s);
    let sent = reconnect(&mut s);
    reply(&mut s, &sent[0], "binary_query", 0, &QUERY_OK.replace(r#""id":7"#, r#""id":3"#));
    answer_fetch(&mut s, Some(b"b1"));
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Batch(b)))] if *c == f && b.restarted && raws(b) == [b"b1".to_vec()]));
}

#[test]
fn once_a_fetch_confirmed_the_blocks_read_ahead_a_reconnect_loses_the_result() {
    let mut s = reconnecting();
    let id = provisional_result(&mut s);
    s.fetch_batch(id, 1);
    answer_fetch(&mut s, Some(b"b3"));
    assert!(matches!(events(&mut s).as_slice(), [(_, Ok(Reply::Batch(b)))] if !b.restarted));
    let sent = reconnect(&mut s);
    assert!(sent.is_empty(), "nothing runs again: {sent:?}");
    s.fetch_batch(id, 1);
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(_, Err(e))] if e.kind == ErrorKind::Connection && e.message.contains("after 3 block(s)")), "{ev:?}");
}

#[test]
fn a_reconnect_while_the_query_reads_ahead_answers_it_from_the_rerun_unseen() {
    let mut s = reconnecting();
    let q = s.query_rows("select 1", None, 2);
    let query = one(&mut s);
    reply(&mut s, &query, "binary_query", 0, QUERY_OK);
    answer_fetch(&mut s, Some(b"old"));
    let _in_flight = one(&mut s);
    let sent = reconnect(&mut s);
    assert_eq!(sent.iter().map(action).collect::<Vec<_>>(), ["binary 6"]);
    reply(&mut s, &sent[0], "binary_query", 0, &QUERY_OK.replace(r#""id":7"#, r#""id":3"#));
    answer_fetch(&mut s, Some(b"new"));
    answer_fetch(&mut s, None);
    let ev = events(&mut s);
    let [(c, Ok(Reply::Rows { batch, .. }))] = ev.as_slice() else { panic!("{ev:?}") };
    assert_eq!(*c, q);
    assert_eq!(raws(batch), [b"new".to_vec()]);
    assert!(batch.finished && !batch.restarted);
}

#[test]
fn a_query_reading_ahead_that_times_out_frees_its_result() {
    let mut s = connected();
    let q = s.query_rows("select 1", None, 2);
    s.set_deadline(q, at(0), Some(std::time::Duration::from_millis(10)));
    let query = one(&mut s);
    reply(&mut s, &query, "binary_query", 0, QUERY_OK);
    let fetch = one(&mut s);
    s.handle_timeout(at(10));
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Timeout));
    assert_eq!(drain(&mut s).iter().map(action).collect::<Vec<_>>(), ["free_result"]);
    fetch_reply(&mut s, &fetch, Some(b"late"));
    assert!(events(&mut s).is_empty());
    assert_eq!(s.open_results(), 0);
}

#[test]
fn a_fetch_error_while_reading_ahead_fails_the_query() {
    let mut s = connected();
    let q = s.query_rows("select 1", None, 2);
    let query = one(&mut s);
    reply(&mut s, &query, "binary_query", 0, QUERY_OK);
    let fetch = one(&mut s);
    reply(&mut s, &fetch, "fetch_raw_block", 0x2603, "");
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.errno == Some(0x2603)), "{:?}", events(&mut s));
}
