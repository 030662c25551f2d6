//! Reconnect and failover, with a fake clock and hand-written server frames: backoff, endpoints,
//! the restored login, what is sent again, what fails and how it says so.

use std::time::Duration;

use super::tests::*;
use super::*;
use crate::stmt2::Stmt2InitOptions;

fn lifecycle(s: &mut Session) -> Vec<Event> {
    // Completions are read by `events`; this keeps the rest, in order.
    let mut out = Vec::new();
    let mut rest = Vec::new();
    while let Some(e) = s.poll_event() {
        match e {
            Event::Completed { .. } => rest.push(e),
            other => out.push(other),
        }
    }
    for e in rest {
        s.calls.push_event(e);
    }
    out
}

fn sockets(s: &mut Session) -> Vec<SocketCommand> {
    std::iter::from_fn(|| s.poll_socket()).collect()
}

fn reconnecting(options: SessionOptions) -> Session {
    let retries = if options.retries == 0 { 3 } else { options.retries };
    connected_with(SessionOptions { keepalive: None, retries, ..options })
}

/// Answers the login on a new socket (`version`, `conn`, then `options_connection` when asked).
fn log_in(s: &mut Session) -> Vec<Frame> {
    let login = drain(s);
    assert_eq!(action(&login[0]), "version");
    assert_eq!(action(&login[1]), "conn");
    s.handle_frame(Frame::Text(r#"{"code":0,"message":"","action":"version","req_id":0,"timing":1,"version":"3.3.7.5"}"#.into()));
    reply(s, &login[1], "conn", 0, "");
    let mut sent = drain(s);
    if sent.first().is_some_and(|f| action(f) == "options_connection") {
        reply(s, &sent[0], "options_connection", 0, "");
        sent.extend(drain(s));
    }
    let mut all = login;
    all.extend(sent);
    all
}

fn conn_db(frame: &Frame) -> String {
    let Frame::Text(t) = frame else { panic!("conn is text") };
    serde_json::from_str::<serde_json::Value>(t).unwrap()["args"]["db"].as_str().unwrap().to_owned()
}

/// A `fetch_raw_block` reply carrying one (opaque) block.
fn block_reply(s: &mut Session, fetch: &Frame) {
    fetch_reply(s, fetch, Some(&[1, 2, 3]));
}

fn fetched_result_id(frame: &Frame) -> u64 {
    let Frame::Binary(b) = frame else { panic!("fetch is binary") };
    u64::from_le_bytes(b[8..16].try_into().unwrap())
}

#[test]
fn a_lost_connection_retries_each_endpoint_with_capped_exponential_backoff_then_gives_up() {
    let mut s = reconnecting(SessionOptions {
        retries: 4,
        retry_backoff: Duration::from_millis(100),
        retry_backoff_max: Duration::from_millis(250),
        endpoints: 2,
        ..Default::default()
    });
    let q = s.query("select 1", None);
    drain(&mut s);
    s.handle_disconnect("reset by peer");
    assert!(!s.is_closed(), "reconnecting is not closed");
    assert!(events(&mut s).is_empty(), "a query is kept for the new connection");
    assert_eq!(
        lifecycle(&mut s),
        [Event::Reconnecting { attempt: 1, delay: Duration::ZERO, reason: "connection lost: reset by peer".into() }]
    );
    assert_eq!(sockets(&mut s), [SocketCommand::Close, SocketCommand::Open { endpoint: 0 }]);
    let mut now = 0;
    let mut delays = Vec::new();
    for attempt in 1..=4u32 {
        if attempt > 1 {
            let life = lifecycle(&mut s);
            let Some(Event::Reconnecting { attempt: a, delay, .. }) = life.last().cloned() else { panic!("announced: {life:?}") };
            assert_eq!(a, attempt);
            delays.push(delay.as_millis());
            assert!(sockets(&mut s).is_empty(), "nothing is opened before the backoff");
            now += delay.as_millis() as u64;
            s.handle_timeout(at(now));
            assert_eq!(sockets(&mut s), [SocketCommand::Open { endpoint: 0 }]);
        }
        s.handle_socket_failed(at(now), "connection refused");
        assert_eq!(sockets(&mut s), [SocketCommand::Close, SocketCommand::Open { endpoint: 1 }], "then the next endpoint");
        s.handle_socket_failed(at(now), "connection refused");
        assert_eq!(sockets(&mut s)[0], SocketCommand::Close);
    }
    assert_eq!(delays, [100, 200, 250], "doubled, capped at retryBackoffMaxMs");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Connection
        && e.message.contains("4 reconnect attempt(s) failed") && e.message.contains("connection refused")), "{ev:?}");
    assert!(matches!(lifecycle(&mut s).as_slice(), [Event::Closed { error: Some(e) }] if e.message.contains("retries = 4")));
    assert!(s.is_closed() && s.is_finished());
}

#[test]
fn the_new_socket_logs_in_with_the_current_database_and_timezone_then_replays_what_is_safe() {
    let options = SessionOptions { db: Some("d0".into()), timezone: Some("Asia/Shanghai".into()), keepalive: None, retries: 3, ..Default::default() };
    let mut s = Session::new(SessionOptions { user: "root".into(), password: "taosdata".into(), ..options });
    s.connect(at(0));
    let first = log_in(&mut s);
    assert_eq!(conn_db(&first[1]), "d0");
    assert!(s.is_connected());
    events(&mut s);
    let u = s.query("use d1", None);
    let frame = drain(&mut s).remove(0);
    reply(&mut s, &frame, "binary_query", 0, r#","id":0,"is_update":true,"affected_rows":0"#);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(_))] if *c == u));

    let read = s.query("select * from t", None);
    let explicit = s.query("insert into t values (1700000000000, 1)", None);
    let now = s.query("insert into t values (now, 2)", None);
    let sent = drain(&mut s);
    s.handle_disconnect("reset");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == now && e.kind == ErrorKind::Connection
        && e.message.contains("may or may not have been applied") && e.message.contains("now")), "{ev:?}");
    sockets(&mut s);
    s.handle_socket_opened(at(10));
    let after = log_in(&mut s);
    assert_eq!(conn_db(&after[1]), "d1", "the database of the last `use`");
    assert_eq!(action(&after[2]), "options_connection", "the timezone again");
    assert!(matches!(lifecycle(&mut s).as_slice(), [Event::Reconnecting { .. }, Event::Reconnected { attempt: 1, endpoint: 0 }]));
    let replayed: Vec<&Frame> = after[3..].iter().collect();
    assert_eq!(replayed, [&sent[0], &sent[1]], "the read and the insert with explicit timestamps, as they were");
    reply(&mut s, replayed[1], "binary_query", 0, r#","id":0,"is_update":true,"affected_rows":1"#);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Query(i)))] if *c == explicit && i.affected_rows == 1));
    let _ = read;
    assert!(s.is_connected());
}

#[test]
fn a_schemaless_write_in_flight_is_sent_again_as_it_was_only_when_every_line_has_a_timestamp() {
    use crate::schemaless::{SchemalessPrecision, SchemalessProtocol, SchemalessRequest};
    let mut s = reconnecting(SessionOptions::default());
    let write = |s: &mut Session, lines: &str| {
        let mut r = SchemalessRequest::new(vec![lines.into()], SchemalessProtocol::Line, SchemalessPrecision::Milliseconds);
        r.ttl = 3;
        s.schemaless_insert(r)
    };
    let timed = write(&mut s, "m,t=a v=1i 1700000000000\nm,t=b s=\"x y\" 1700000000001");
    let untimed = write(&mut s, "m,t=a v=1i 1700000000000\nm,t=a v=2i");
    let sent = drain(&mut s);
    assert_eq!(sent.len(), 2);
    s.handle_disconnect("reset");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == untimed && e.kind == ErrorKind::Connection
        && e.message.contains("may or may not have been applied") && e.message.contains("carry no timestamp")), "{ev:?}");
    sockets(&mut s);
    s.handle_socket_opened(at(1));
    let after = log_in(&mut s);
    assert_eq!(after[2..], sent[..1], "the timestamped write, byte for byte (same req_id, ttl, lines)");
    reply(&mut s, &after[2], "insert", 0, r#","affected_rows":2,"total_rows":2"#);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Schemaless(r)))] if *c == timed && r.affected_rows == 2));

    // With reconnecting off nothing is kept, however the lines look.
    let mut s = connected_with(SessionOptions { keepalive: None, retries: 0, ..Default::default() });
    let timed = write(&mut s, "m v=1i 1700000000000");
    drain(&mut s);
    s.handle_disconnect("reset");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == timed && e.kind == ErrorKind::Connection), "{ev:?}");
}

#[test]
fn calls_made_while_reconnecting_wait_for_the_new_socket_and_are_sent_once() {
    let mut s = reconnecting(SessionOptions::default());
    s.handle_disconnect("reset");
    let w = s.query("insert into t values (now, 1)", None);
    let sl = s.schemaless_insert(crate::schemaless::SchemalessRequest::new(
        vec!["m v=1i".into()],
        crate::schemaless::SchemalessProtocol::Line,
        crate::schemaless::SchemalessPrecision::Milliseconds,
    ));
    assert!(drain(&mut s).is_empty(), "held until logged in");
    assert!(events(&mut s).is_empty());
    sockets(&mut s);
    s.handle_socket_opened(at(1));
    let sent = log_in(&mut s);
    assert_eq!(sent[2..].iter().map(action).collect::<Vec<_>>(), ["binary 6", "insert"]);
    // Sent now: lost again, they may have been applied.
    s.handle_disconnect("reset again");
    let ev = events(&mut s);
    assert_eq!(ev.iter().map(|(c, _)| *c).collect::<Vec<_>>(), [w, sl]);
    assert!(ev.iter().all(|(_, o)| matches!(o, Err(e) if e.message.contains("may or may not have been applied"))), "{ev:?}");
}

#[test]
fn a_result_partly_read_is_lost_and_one_nothing_was_read_from_runs_again_unseen() {
    let mut s = reconnecting(SessionOptions::default());
    with_result_7(&mut s); // select 1 → result 7
    let f = s.fetch_block(7);
    let fetch = drain(&mut s).remove(0);
    block_reply(&mut s, &fetch);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Block(Some(_))))] if *c == f));
    s.query("select 2", None);
    let q2 = drain(&mut s).remove(0);
    reply(&mut s, &q2, "binary_query", 0, &QUERY_OK.replace(r#""id":7"#, r#""id":8"#));
    events(&mut s);

    s.handle_disconnect("reset");
    let lost = s.fetch_block(7);
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == lost && e.kind == ErrorKind::Connection
        && e.message.contains("after 1 block(s)") && e.message.contains("run the query again")), "{ev:?}");
    let waiting = s.fetch_block(8);
    assert!(events(&mut s).is_empty(), "waits for the query to run again");
    sockets(&mut s);
    s.handle_socket_opened(at(1));
    let sent = log_in(&mut s);
    let rerun = sent.last().unwrap();
    assert_eq!(action(rerun), "binary 6");
    reply(&mut s, rerun, "binary_query", 0, &QUERY_OK.replace(r#""id":7"#, r#""id":3"#));
    let next = drain(&mut s);
    assert_eq!(next.iter().map(action).collect::<Vec<_>>(), ["binary 7"]);
    assert_eq!(fetched_result_id(&next[0]), 3, "the new server's id");
    block_reply(&mut s, &next[0]);
    assert!(matches!(events(&mut s).as_slice(), [(c, Ok(Reply::Block(Some(_))))] if *c == waiting));
    assert_eq!(s.open_results(), 1);
}

#[test]
fn ids_from_before_a_reconnect_never_reach_what_the_new_server_numbers_the_same() {
    let mut s = reconnecting(SessionOptions::default());
    s.stmt2_init(Stmt2InitOptions::default());
    let init = drain(&mut s).remove(0);
    reply(&mut s, &init, "stmt2_init", 0, r#","stmt_id":1"#);
    assert!(matches!(events(&mut s).as_slice(), [(_, Ok(Reply::StmtInit { stmt_id: 1 }))]));
    s.handle_disconnect("reset");
    sockets(&mut s);
    s.handle_socket_opened(at(1));
    log_in(&mut s);
    s.stmt2_init(Stmt2InitOptions::default());
    let init = drain(&mut s).remove(0);
    reply(&mut s, &init, "stmt2_init", 0, r#","stmt_id":1"#);
    let ev = events(&mut s);
    let [(_, Ok(Reply::StmtInit { stmt_id: new }))] = ev.as_slice() else { panic!("{ev:?}") };
    assert_ne!(*new, 1, "a new session id");
    s.stmt2_prepare(1, "insert into t values (?, ?)");
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(_, Err(e))] if e.kind == ErrorKind::Connection && e.message.contains("statement 1 was lost")), "{ev:?}");
    assert!(drain(&mut s).is_empty(), "nothing reaches the new statement 1");
    s.stmt2_close(1);
    assert!(matches!(events(&mut s).as_slice(), [(_, Ok(Reply::Done))]), "closing a lost statement is fine");
    s.stmt2_prepare(*new, "insert into t values (?, ?)");
    let prepare = drain(&mut s).remove(0);
    let Frame::Text(t) = &prepare else { panic!() };
    assert!(t.contains(r#""stmt_id":1"#), "the server sees its own id: {t}");
}

#[test]
fn a_login_refused_for_good_ends_the_retries_at_once() {
    let mut s = reconnecting(SessionOptions { retries: 10, ..Default::default() });
    let q = s.query("select 1", None);
    drain(&mut s);
    s.handle_disconnect("reset");
    sockets(&mut s);
    s.handle_socket_opened(at(1));
    let login = drain(&mut s);
    reply(&mut s, &login[1], "conn", 855, "");
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.message.contains("refused the login")));
    assert!(matches!(lifecycle(&mut s).as_slice(), [Event::Reconnecting { .. }, Event::Closed { error: Some(e) }] if e.errno == Some(855)));
    assert!(s.is_closed());
}

#[test]
fn a_login_that_times_out_is_a_failed_attempt() {
    let mut s = reconnecting(SessionOptions { connect_timeout: Duration::from_millis(50), ..Default::default() });
    s.handle_disconnect("reset");
    sockets(&mut s);
    s.handle_socket_opened(at(0));
    drain(&mut s);
    s.handle_timeout(at(50));
    assert_eq!(sockets(&mut s), [SocketCommand::Close]);
    assert!(matches!(lifecycle(&mut s).as_slice(), [_, Event::Reconnecting { attempt: 2, reason, .. }] if reason.contains("login")));
}

#[test]
fn close_while_reconnecting_fails_what_waits_and_closes_for_good() {
    let mut s = reconnecting(SessionOptions::default());
    s.handle_disconnect("reset");
    let q = s.query("select 1", None);
    s.close(at(5));
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.message.contains("closed by the client")));
    assert!(matches!(lifecycle(&mut s).as_slice(), [_, Event::Closed { error: None }]));
    assert!(s.is_finished());
    assert_eq!(sockets(&mut s).last(), Some(&SocketCommand::Close));
}

#[test]
fn a_deadline_that_passes_while_reconnecting_times_the_call_out_and_it_is_not_sent_later() {
    let mut s = reconnecting(SessionOptions::default());
    let q = s.query("select 1", None);
    s.set_deadline(q, at(0), Some(Duration::from_millis(30)));
    drain(&mut s);
    s.handle_disconnect("reset");
    s.handle_timeout(at(30));
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.kind == ErrorKind::Timeout));
    sockets(&mut s);
    s.handle_socket_opened(at(40));
    let sent = log_in(&mut s);
    assert_eq!(sent.len(), 2, "only the login: {:?}", sent.iter().map(action).collect::<Vec<_>>());
}

#[test]
fn without_retries_a_lost_connection_fails_everything_and_closes_for_good() {
    let mut s = connected();
    let q = s.query("select 1", None);
    drain(&mut s);
    s.handle_disconnect("reset");
    assert!(matches!(events(&mut s).as_slice(), [(c, Err(e))] if *c == q && e.message.contains("reset")));
    assert!(matches!(lifecycle(&mut s).as_slice(), [Event::Closed { error: Some(_) }]));
    assert!(s.is_closed());
    assert!(sockets(&mut s).is_empty());
}

#[test]
fn a_protocol_violation_fails_every_call_in_flight_then_reconnects() {
    let mut s = reconnecting(SessionOptions::default());
    let q = s.query("select 1", None);
    drain(&mut s);
    s.handle_frame(Frame::Text("not json".into()));
    let ev = events(&mut s);
    assert!(matches!(ev.as_slice(), [(c, Err(e))] if *c == q && e.message.contains("protocol violation")), "{ev:?}");
    assert!(matches!(lifecycle(&mut s).as_slice(), [Event::Reconnecting { attempt: 1, .. }]));
    assert_eq!(sockets(&mut s), [SocketCommand::Close, SocketCommand::Open { endpoint: 0 }]);
    s.handle_socket_opened(at(1));
    assert_eq!(log_in(&mut s).len(), 2, "nothing is sent again");
    assert!(s.is_connected());
}
