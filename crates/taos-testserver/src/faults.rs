//! Fault injection: what a test can do to a running server so that a client's timeouts,
//! reconnects and pools meet the failures of a real deployment — replies that arrive late
//! ([`Faults::set_latency`]) and connections that vanish ([`Faults::drop_connections`]).
//! Stopping and restarting the listener is the [`ServerHandle`](crate::ServerHandle)'s.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::time::Instant;

/// How long [`Faults::drop_connections`] waits for the dropped connections to be gone.
const DROP_WAIT: Duration = Duration::from_secs(2);

/// The faults a running server is told to inject; shared by every connection.
pub struct Faults {
    latency_micros: AtomicU64,
    /// The current generation of connections: each connection holds a clone of the token while
    /// it runs and ends when the sender is replaced, so a drop knows when its victims are gone.
    generation: watch::Sender<Arc<()>>,
}

impl Default for Faults {
    fn default() -> Self {
        Faults { latency_micros: AtomicU64::new(0), generation: watch::Sender::new(Arc::new(())) }
    }
}

/// What a connection holds while it runs (see [`Faults::enter`]).
pub(crate) struct Membership {
    dropped: watch::Receiver<Arc<()>>,
    _token: Arc<()>,
}

impl Membership {
    /// Resolves when the connection must end at once: no close frame, no goodbye, the socket
    /// just goes away (as when the adapter's process dies).
    pub(crate) async fn dropped(&mut self) {
        // An error means the server itself is gone: end too.
        let _ = self.dropped.changed().await;
    }
}

impl Faults {
    /// The delay added to every reply (0 = none).
    pub fn latency(&self) -> Duration {
        Duration::from_micros(self.latency_micros.load(Ordering::Relaxed))
    }

    /// Every reply leaves the server `latency` after its request arrived (WebSocket, REST and
    /// TMQ). Requests in flight on one WebSocket connection are delayed side by side, as on a slow
    /// network, not one after another. Applies to requests arriving from now on.
    pub fn set_latency(&self, latency: Duration) {
        let micros = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
        self.latency_micros.store(micros, Ordering::Relaxed);
    }

    /// When a reply to a request arriving now may leave; `None` without latency.
    pub(crate) fn reply_due(&self) -> Option<Instant> {
        let latency = self.latency();
        (!latency.is_zero()).then(|| Instant::now() + latency)
    }

    /// Sleeps for the latency, if any (for handlers that answer one request at a time).
    pub(crate) async fn delay_reply(&self) {
        if let Some(due) = self.reply_due() {
            tokio::time::sleep_until(due).await;
        }
    }

    /// Registers a new connection in the current generation.
    pub(crate) fn enter(&self) -> Membership {
        let dropped = self.generation.subscribe();
        let token = dropped.borrow().clone();
        Membership { dropped, _token: token }
    }

    /// Ends every open connection at once — WebSocket, TMQ and REST keep-alive alike — without a
    /// close frame, as when the adapter's process dies, and returns once they are gone (waits up
    /// to 2 s). The server keeps listening: new connections are served as usual.
    pub async fn drop_connections(&self) {
        let old = self.generation.send_replace(Arc::new(()));
        let deadline = Instant::now() + DROP_WAIT;
        while Arc::strong_count(&old) > 1 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
    }
}
