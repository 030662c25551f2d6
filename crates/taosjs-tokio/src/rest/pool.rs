//! Keep-alive HTTP/1.1 sockets to one endpoint, never more than `max` open at a time, busy or
//! idle: a request takes an idle socket, else opens one while fewer than `max` are open, else
//! waits for one to come back. A socket goes back only after its answer was read to the end;
//! idle ones are closed after [`IDLE_TIMEOUT`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use rustls::pki_types::ServerName;
use tokio::net::TcpStream;
use tokio::sync::Notify;
use tokio_rustls::TlsConnector;

use taosjs_core::Error;

/// Idle sockets are closed after this long.
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(30);

pub(crate) type Sender = SendRequest<Full<Bytes>>;

/// Opens one socket (TCP, then TLS for `https://`) and starts HTTP/1.1 on it.
pub(crate) struct Connector {
    host: String,
    port: u16,
    /// `http://host:port`, for messages.
    base_url: String,
    tls: Option<(TlsConnector, ServerName<'static>)>,
    connect_timeout: Duration,
}

impl Connector {
    pub fn new(host: &str, port: u16, base_url: &str, tls: Option<rustls::ClientConfig>, connect_timeout: Duration) -> Result<Self, Error> {
        let tls = match tls {
            Some(config) => {
                let name = ServerName::try_from(host.to_owned())
                    .map_err(|_| Error::programming(format!("`{host}` is not a host name TLS can verify")))?;
                Some((TlsConnector::from(Arc::new(config)), name))
            }
            None => None,
        };
        Ok(Connector { host: host.to_owned(), port, base_url: base_url.to_owned(), tls, connect_timeout })
    }

    async fn connect(&self) -> Result<Sender, Error> {
        let base = &self.base_url;
        let limit = self.connect_timeout;
        let within = |what: &str| {
            Error::connection(format!("cannot reach {base}: no {what} within {} ms", limit.as_millis()))
        };
        let tcp = tokio::time::timeout(limit, TcpStream::connect((self.host.as_str(), self.port)))
            .await
            .map_err(|_| within("connection"))?
            .map_err(|e| Error::connection(format!("cannot reach {base}: {e}")))?;
        let _ = tcp.set_nodelay(true);
        match &self.tls {
            None => handshake(TokioIo::new(tcp), base).await,
            Some((connector, name)) => {
                let tls = tokio::time::timeout(limit, connector.connect(name.clone(), tcp))
                    .await
                    .map_err(|_| within("TLS handshake"))?
                    .map_err(|e| {
                        let why = crate::tls::explain_io(&e).unwrap_or_else(|| e.to_string());
                        Error::connection(format!("TLS with {base} failed: {why}"))
                    })?;
                handshake(TokioIo::new(tls), base).await
            }
        }
    }
}

async fn handshake<T>(io: T, base: &str) -> Result<Sender, Error>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (sender, connection) = http1::handshake(io)
        .await
        .map_err(|e| Error::connection(format!("cannot speak HTTP/1.1 with {base}: {e}")))?;
    // Drives the socket; ends when the server closes it or the sender is dropped.
    tokio::spawn(async move {
        let _ = connection.await;
    });
    Ok(sender)
}

pub(crate) struct Pool {
    state: Mutex<State>,
    /// A socket came back, closed, or the pool closed.
    returned: Notify,
    max: usize,
    connector: Connector,
    reaper: AtomicBool,
}

struct State {
    idle: Vec<Idle>,
    /// Sockets open or being opened, busy or idle.
    open: usize,
    closed: bool,
}

struct Idle {
    sender: Sender,
    since: Instant,
}

impl Pool {
    pub fn new(connector: Connector, max: usize) -> Arc<Pool> {
        Arc::new(Pool {
            state: Mutex::new(State { idle: Vec::new(), open: 0, closed: false }),
            returned: Notify::new(),
            max: max.max(1),
            connector,
            reaper: AtomicBool::new(false),
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A socket for one request: an idle one, a new one, or the next to come back.
    pub async fn lease(self: &Arc<Self>) -> Result<Lease, Error> {
        loop {
            let notified = self.returned.notified();
            tokio::pin!(notified);
            // Registered before looking, so a socket returned in between is not missed.
            notified.as_mut().enable();
            let open_one = {
                let mut st = self.state();
                if st.closed {
                    return Err(super::closed());
                }
                while let Some(idle) = st.idle.pop() {
                    if idle.sender.is_closed() || idle.since.elapsed() >= IDLE_TIMEOUT {
                        st.open -= 1;
                        continue;
                    }
                    return Ok(Lease { pool: Arc::clone(self), sender: Some(idle.sender), reused: true, keep: false });
                }
                if st.open < self.max {
                    st.open += 1;
                    true
                } else {
                    false
                }
            };
            if open_one {
                // Counted as open while connecting; a failure gives the slot back (Lease::drop).
                let mut lease = Lease { pool: Arc::clone(self), sender: None, reused: false, keep: false };
                lease.sender = Some(self.connector.connect().await?);
                self.start_reaper();
                return Ok(lease);
            }
            notified.await;
        }
    }

    /// Closes the idle sockets; leased ones close when they come back. Waiting leases fail.
    pub fn close(&self) {
        let mut st = self.state();
        st.closed = true;
        let idle = st.idle.len();
        st.open -= idle;
        st.idle.clear();
        drop(st);
        self.returned.notify_waiters();
    }

    /// Closes sockets idle for longer than [`IDLE_TIMEOUT`], from a task that lives while the
    /// pool does.
    fn start_reaper(self: &Arc<Self>) {
        if self.reaper.swap(true, Ordering::AcqRel) {
            return;
        }
        let pool: Weak<Pool> = Arc::downgrade(self);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(IDLE_TIMEOUT / 2).await;
                let Some(pool) = pool.upgrade() else { return };
                let mut st = pool.state();
                if st.closed {
                    return;
                }
                let before = st.idle.len();
                st.idle.retain(|i| !i.sender.is_closed() && i.since.elapsed() < IDLE_TIMEOUT);
                let reaped = before - st.idle.len();
                st.open -= reaped;
                drop(st);
                if reaped > 0 {
                    pool.returned.notify_waiters();
                }
            }
        });
    }
}

/// One socket lent to one request. Dropped, it goes back to the pool if its answer was read to
/// the end ([`Lease::keep`]), else it is closed.
pub(crate) struct Lease {
    pool: Arc<Pool>,
    sender: Option<Sender>,
    /// It served an earlier request (so it may have been closed by the server meanwhile).
    pub reused: bool,
    keep: bool,
}

impl Lease {
    pub fn sender(&mut self) -> &mut Sender {
        self.sender.as_mut().expect("a lease holds its sender until dropped")
    }

    /// The answer was read to the end: the socket can serve the next request.
    pub fn keep(&mut self) {
        self.keep = true;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        let mut st = self.pool.state();
        match self.sender.take() {
            Some(sender) if self.keep && !st.closed && !sender.is_closed() => {
                st.idle.push(Idle { sender, since: Instant::now() });
            }
            _ => st.open -= 1,
        }
        drop(st);
        self.pool.returned.notify_one();
    }
}
