//! The call machinery every conversation with taosAdapter shares — the `/ws` [`crate::Session`]
//! and the `/rest/tmq` [`crate::consumer::Consumer`]: call ids, request ids, the table of requests in
//! flight, cancellation, completions, the frames waiting to be sent, the timers, per-call
//! deadlines ([`Timer::Call`]) and keepalive ([`Timer::Keepalive`]). One owner, so no
//! conversation writes it again; what a conversation adds is what a timeout or a dead peer
//! means for it.
//!
//! [`Conversation`] is what a driver moves: frames, time and calls. The tokio driver is generic
//! over it.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::Duration;

use super::{CallId, Event, Frame, Instant, KeepaliveProbe, Reply, Timer, TimerTable, KEEPALIVE_PAYLOAD};
use crate::error::{Error, Result};

/// A conversation as its driver sees it (quinn-proto's `Connection` is the model): the driver
/// sends what [`Conversation::poll_transmit`] gives, feeds what arrives to
/// [`Conversation::handle_frame`], wakes up at [`Conversation::poll_timeout`] to call
/// [`Conversation::handle_timeout`], and resolves callers from [`Conversation::poll_event`].
pub trait Conversation: Send + 'static {
    /// Starts the login; the returned call completes with [`Reply::Connected`].
    fn connect(&mut self, now: Instant) -> CallId;
    /// `call` (just started) must complete within `timeout` after `now`, `None` meaning the
    /// conversation's request timeout; otherwise it fails with a timeout.
    fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Option<Duration>);
    /// Says goodbye; the conversation is finished once the peer acknowledges (or at the latest
    /// after a bounded time).
    fn close(&mut self, now: Instant);
    /// The caller of `call` went away: what its reply produces is freed when it arrives.
    fn cancel(&mut self, call: CallId);
    /// A completion nobody read: free what it produced.
    fn discard(&mut self, outcome: Result<Reply>);
    fn poll_transmit(&mut self) -> Option<Frame>;
    /// A frame from the server, arrived at `now`.
    fn handle_frame(&mut self, frame: Frame, now: Instant);
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_timeout(&mut self, now: Instant);
    /// The socket is gone.
    fn handle_disconnect(&mut self, reason: &str, now: Instant);
    fn poll_event(&mut self) -> Option<Event>;
    /// No call can be made any more.
    fn is_closed(&self) -> bool;
    /// The driver can drop the socket.
    fn is_finished(&self) -> bool;
    /// What the driver must do with its socket (a conversation that reconnects by itself asks
    /// for new sockets; see `session::reconnect`). Default: nothing.
    fn poll_socket(&mut self) -> Option<super::SocketCommand> {
        None
    }
    /// The socket asked for with [`super::SocketCommand::Open`] is open.
    fn handle_socket_opened(&mut self, _now: Instant) {}
    /// The socket asked for could not be opened.
    fn handle_socket_failed(&mut self, _now: Instant, _reason: &str) {}
}

/// Where a conversation's connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lifecycle {
    Idle,
    Connecting,
    Connected,
    /// The socket was lost and a new one is being opened (the session's reconnect; the
    /// consumer never reconnects by itself): calls wait for it.
    Reconnecting,
    /// `close` was called: the goodbye is being sent; every call fails.
    Closing,
    /// The socket is gone (or the goodbye timed out).
    Closed,
}

/// A request in flight: what it does with its reply, and for which call (requests a
/// conversation sends for itself, such as the login, belong to no call).
pub(crate) trait Waiter {
    fn call(&self) -> Option<CallId>;
}

/// `version` is sent without args, so its reply comes back with `req_id` 0; the counter for
/// everything else starts at 1 and never hands out 0.
pub(crate) const VERSION_REQ_ID: u64 = 0;

#[derive(Debug)]
pub(crate) struct Calls<W> {
    next_call: u64,
    next_req_id: u64,
    /// Keyed by `req_id`: ids are unique among requests in flight.
    pending: HashMap<u64, W>,
    /// Calls not completed yet.
    live: HashSet<CallId>,
    /// Calls whose caller went away (or that timed out): their completion is handed back to be
    /// discarded.
    cancelled: HashSet<CallId>,
    /// The timeout of each call with a deadline ([`Timer::Call`]), to say it in the error.
    deadlines: HashMap<CallId, Duration>,
    keepalive: Keepalive,
    pub timers: TimerTable,
    transmit: VecDeque<Frame>,
    events: VecDeque<Event>,
}

/// Keepalive of one socket: every `interval`, a connection that heard nothing pings; one whose
/// ping stays unanswered for another interval is dead.
#[derive(Debug)]
struct Keepalive {
    /// `None`: keepalive is off.
    interval: Option<Duration>,
    /// Something arrived since the last tick.
    heard: bool,
    /// A keepalive probe is unanswered.
    ping_outstanding: bool,
    /// What the probe is.
    probe: KeepaliveProbe,
}

impl<W> Calls<W> {
    /// `keepalive`: the ping cadence of an idle connection (`None`: off).
    pub fn new(keepalive: Option<Duration>) -> Self {
        Calls {
            next_call: 1,
            next_req_id: 1,
            pending: HashMap::new(),
            live: HashSet::new(),
            cancelled: HashSet::new(),
            deadlines: HashMap::new(),
            keepalive: Keepalive { interval: keepalive, heard: false, ping_outstanding: false, probe: KeepaliveProbe::Ping },
            timers: TimerTable::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
        }
    }
}

impl<W: Waiter> Calls<W> {
    pub fn new_call(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call += 1;
        self.live.insert(id);
        id
    }

    /// Next id from the counter, skipping 0 and ids a caller chose that are still in flight.
    pub fn alloc_req_id(&mut self) -> u64 {
        loop {
            let id = self.next_req_id;
            self.next_req_id = self.next_req_id.wrapping_add(1);
            if id != VERSION_REQ_ID && !self.pending.contains_key(&id) {
                return id;
            }
        }
    }

    /// A caller's `req_id` (must not be in flight), or a fresh one.
    pub fn resolve_req_id(&mut self, req_id: Option<u64>) -> Result<u64> {
        match req_id {
            Some(id) if self.pending.contains_key(&id) || id == VERSION_REQ_ID => {
                Err(Error::programming(format!("req_id {id} is already in use by a call in flight")))
            }
            Some(id) => Ok(id),
            None => Ok(self.alloc_req_id()),
        }
    }

    /// Records the request and queues its frame.
    pub fn send(&mut self, req_id: u64, waiter: W, frame: Frame) {
        self.pending.insert(req_id, waiter);
        self.transmit.push_back(frame);
    }

    /// Queues a frame nobody waits an answer for.
    pub fn push_frame(&mut self, frame: Frame) {
        self.transmit.push_back(frame);
    }

    /// Records a request without sending it: it waits for a new socket (see
    /// `session::reconnect`).
    pub fn hold(&mut self, req_id: u64, waiter: W) {
        self.pending.insert(req_id, waiter);
    }

    /// The request `req_id` in flight.
    pub fn get_mut(&mut self, req_id: u64) -> Option<&mut W> {
        self.pending.get_mut(&req_id)
    }

    /// The ids of the requests in flight, in order.
    pub fn pending_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.pending.keys().copied().collect();
        ids.sort_unstable();
        ids
    }

    /// Drops the frames not sent yet: the socket they were for is gone.
    pub fn drop_queued_frames(&mut self) {
        self.transmit.clear();
    }

    /// Whether the caller of `call` went away (or it timed out).
    pub fn is_cancelled(&self, call: CallId) -> bool {
        self.cancelled.contains(&call)
    }

    /// Reports what happened to the connection itself (reconnecting, reconnected, closed).
    pub fn push_event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    pub fn is_pending(&self, req_id: u64) -> bool {
        self.pending.contains_key(&req_id)
    }

    /// The first request of `call` in flight.
    pub fn request_of(&self, call: CallId) -> Option<&W> {
        self.pending.iter().filter(|(_, w)| w.call() == Some(call)).min_by_key(|(&id, _)| id).map(|(_, w)| w)
    }

    /// How many requests in flight `pred` accepts.
    pub fn count(&self, pred: impl Fn(&W) -> bool) -> usize {
        self.pending.values().filter(|w| pred(w)).count()
    }

    /// Takes the request `req_id` if `matches` accepts it.
    pub fn take(&mut self, req_id: u64, matches: impl Fn(&W) -> bool) -> Option<W> {
        if matches(self.pending.get(&req_id)?) {
            self.pending.remove(&req_id)
        } else {
            None
        }
    }

    /// Takes every request in flight, in `req_id` order.
    pub fn take_all(&mut self) -> Vec<W> {
        self.take_all_keyed().into_iter().map(|(_, w)| w).collect()
    }

    /// Takes every request in flight with its `req_id`, in order.
    pub fn take_all_keyed(&mut self) -> Vec<(u64, W)> {
        let mut all: Vec<(u64, W)> = self.pending.drain().collect();
        all.sort_by_key(|(id, _)| *id);
        all
    }

    /// Takes the requests of `call` (its deadline passed, say), in `req_id` order.
    pub fn take_call(&mut self, call: CallId) -> Vec<W> {
        let mut ids: Vec<u64> =
            self.pending.iter().filter(|(_, w)| w.call() == Some(call)).map(|(&id, _)| id).collect();
        ids.sort_unstable();
        ids.into_iter().filter_map(|id| self.pending.remove(&id)).collect()
    }

    pub fn retain(&mut self, keep: impl Fn(&W) -> bool) {
        self.pending.retain(|_, w| keep(w));
    }

    /// Stops waiting for `call` (still live, not given up before): its caller learns `tell` now
    /// (a timeout) or nothing (an abort); its reply, when it comes, is handed back by
    /// [`Calls::complete`] to be discarded. `false` when there was nothing to give up.
    pub fn give_up(&mut self, call: CallId, tell: Option<Error>) -> bool {
        if !self.live.contains(&call) || self.cancelled.contains(&call) {
            return false;
        }
        if let Some(err) = tell {
            self.settle(call);
            self.events.push_back(Event::Completed { call, outcome: Err(err) });
        }
        self.cancelled.insert(call);
        true
    }

    /// Reports the outcome of `call`, or hands it back (`Some`) when its caller went away: the
    /// conversation then frees what it produced.
    #[must_use]
    pub fn complete(&mut self, call: CallId, outcome: Result<Reply>) -> Option<Result<Reply>> {
        self.settle(call);
        if self.cancelled.remove(&call) {
            return Some(outcome);
        }
        self.events.push_back(Event::Completed { call, outcome });
        None
    }

    /// `call` will never complete (dropped before anything was sent for it): forget it.
    pub fn forget(&mut self, call: CallId) {
        self.settle(call);
        self.cancelled.remove(&call);
    }

    /// `call` is answered (or given up): its deadline no longer matters.
    fn settle(&mut self, call: CallId) {
        self.live.remove(&call);
        if self.deadlines.remove(&call).is_some() {
            self.timers.stop(Timer::Call(call));
        }
    }

    /// `call` must complete within `timeout` after `now` ([`Timer::Call`]); a call that already
    /// completed is not affected.
    pub fn set_deadline(&mut self, call: CallId, now: Instant, timeout: Duration) {
        if !self.live.contains(&call) {
            return;
        }
        self.deadlines.insert(call, timeout);
        self.timers.set(Timer::Call(call), now + timeout);
    }

    /// [`Timer::Call`] of `call` fired: the timeout it had (`None`: it completed meanwhile).
    pub fn timed_out(&mut self, call: CallId) -> Option<Duration> {
        self.deadlines.remove(&call)
    }

    // ----- keepalive ----------------------------------------------------------------------------

    /// What keepalive sends (a WebSocket ping unless the driver cannot send one).
    pub fn set_keepalive_probe(&mut self, probe: KeepaliveProbe) {
        self.keepalive.probe = probe;
    }

    /// Arms keepalive for a new socket.
    pub fn start_keepalive(&mut self, now: Instant) {
        self.keepalive.heard = false;
        self.keepalive.ping_outstanding = false;
        if let Some(interval) = self.keepalive.interval {
            self.timers.set(Timer::Keepalive, now + interval);
        }
    }

    /// Something arrived: the peer is alive.
    pub fn heard(&mut self) {
        self.keepalive.heard = true;
    }

    /// One tick of keepalive ([`Timer::Keepalive`]) for a conversation in `state`: a connection
    /// that heard nothing for an interval pings; one whose ping stays unanswered for another
    /// interval is dead (`Some(why)`: the conversation drops the socket). A dead peer is thus
    /// detected at most three intervals after it fell silent.
    pub fn keepalive_tick(&mut self, now: Instant, state: Lifecycle) -> Option<String> {
        let interval = self.keepalive.interval?;
        match state {
            Lifecycle::Connected => {}
            // The login has its own timer; the goodbye too.
            Lifecycle::Idle | Lifecycle::Connecting | Lifecycle::Reconnecting => {
                self.timers.set(Timer::Keepalive, now + interval);
                return None;
            }
            Lifecycle::Closing | Lifecycle::Closed => return None,
        }
        let k = &mut self.keepalive;
        if k.heard {
            k.heard = false;
            k.ping_outstanding = false;
        } else if k.ping_outstanding {
            let ms = interval.as_millis();
            return Some(format!("the server went silent: it answered no keepalive probe within {ms} ms (keepaliveMs)"));
        } else {
            self.transmit.push_back(match k.probe {
                KeepaliveProbe::Ping => Frame::Ping(KEEPALIVE_PAYLOAD.to_vec()),
                // Its answer matches no pending request and is dropped; arriving, it counts.
                KeepaliveProbe::Version => Frame::Text(crate::message::version_request()),
            });
            k.ping_outstanding = true;
        }
        self.timers.set(Timer::Keepalive, now + interval);
        None
    }

    pub fn poll_transmit(&mut self) -> Option<Frame> {
        self.transmit.pop_front()
    }

    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// The socket is gone (every request in flight was taken and completed): nothing queued
    /// will be sent, no timer or deadline matters, nobody is abandoned.
    pub fn reset(&mut self) {
        self.transmit.clear();
        self.timers.clear();
        self.cancelled.clear();
        self.deadlines.clear();
        self.live.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct W(Option<CallId>);
    impl Waiter for W {
        fn call(&self) -> Option<CallId> {
            self.0
        }
    }

    #[test]
    fn req_ids_skip_zero_and_ids_in_flight() {
        let mut c: Calls<W> = Calls::new(None);
        c.send(2, W(None), Frame::Text("x".into()));
        assert_eq!(c.alloc_req_id(), 1);
        assert_eq!(c.alloc_req_id(), 3, "2 is in flight");
        assert!(c.resolve_req_id(Some(2)).is_err());
        assert!(c.resolve_req_id(Some(0)).is_err());
        assert_eq!(c.resolve_req_id(Some(9)).unwrap(), 9);
    }

    #[test]
    fn a_call_given_up_hands_its_outcome_back_and_stops_its_deadline() {
        let mut c: Calls<W> = Calls::new(None);
        let call = c.new_call();
        c.send(1, W(Some(call)), Frame::Text("x".into()));
        c.set_deadline(call, Instant::ZERO, Duration::from_secs(1));
        assert!(c.give_up(call, None));
        assert!(!c.give_up(call, None), "only once");
        assert!(c.complete(call, Ok(Reply::Done)).is_some());
        assert!(c.poll_event().is_none());
        assert_eq!(c.timers.next(), None);
        assert!(!c.give_up(call, None), "completed");
    }

    #[test]
    fn a_timed_out_call_is_told_at_once_and_its_late_reply_handed_back() {
        let mut c: Calls<W> = Calls::new(None);
        let call = c.new_call();
        c.send(1, W(Some(call)), Frame::Text("x".into()));
        c.set_deadline(call, Instant::ZERO, Duration::from_secs(1));
        assert_eq!(c.timers.pop_expired(Instant::ZERO + Duration::from_secs(1)), Some(Timer::Call(call)));
        assert_eq!(c.timed_out(call), Some(Duration::from_secs(1)));
        assert!(c.give_up(call, Some(Error::timeout("late"))));
        assert!(matches!(c.poll_event(), Some(Event::Completed { outcome: Err(_), .. })));
        assert!(c.complete(call, Ok(Reply::Done)).is_some(), "the late reply is discarded");
        assert!(c.poll_event().is_none());
    }

    #[test]
    fn keepalive_pings_an_idle_peer_and_declares_a_silent_one_dead() {
        let mut c: Calls<W> = Calls::new(Some(Duration::from_secs(10)));
        let t = |s| Instant::ZERO + Duration::from_secs(s);
        c.start_keepalive(t(0));
        assert_eq!(c.timers.pop_expired(t(10)), Some(Timer::Keepalive));
        assert_eq!(c.keepalive_tick(t(10), Lifecycle::Connected), None);
        assert_eq!(c.poll_transmit(), Some(Frame::Ping(KEEPALIVE_PAYLOAD.to_vec())));
        c.heard();
        assert_eq!(c.timers.pop_expired(t(20)), Some(Timer::Keepalive));
        assert_eq!(c.keepalive_tick(t(20), Lifecycle::Connected), None, "the pong arrived");
        assert_eq!(c.poll_transmit(), None, "heard: no ping needed");
        assert_eq!(c.keepalive_tick(t(30), Lifecycle::Connected), None);
        assert!(c.poll_transmit().is_some());
        let dead = c.keepalive_tick(t(40), Lifecycle::Connected).expect("silent for two intervals");
        assert!(dead.contains("10000 ms"), "{dead}");
    }

    #[test]
    fn take_call_takes_only_that_calls_requests_in_order() {
        let mut c: Calls<W> = Calls::new(None);
        let (a, b) = (c.new_call(), c.new_call());
        c.send(5, W(Some(a)), Frame::Text("x".into()));
        c.send(3, W(Some(a)), Frame::Text("y".into()));
        c.send(4, W(Some(b)), Frame::Text("z".into()));
        assert_eq!(c.take_call(a).len(), 2);
        assert!(c.is_pending(4) && !c.is_pending(3) && !c.is_pending(5));
    }
}
