//! WebSocket `/ws`: RFC 6455 framing ([`frame`]), the SQL session of a connection ([`session`]:
//! its state and the action dispatch), and one module per family of actions with its wire
//! messages beside their handlers: [`connection`], [`query`], [`schemaless`], [`stmt`].

mod connection;
pub mod frame;
mod query;
mod reply;
mod schemaless;
mod session;
mod stmt;

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::shared::Shared;

use frame::{FrameReader, FrameWriter, Message, ReadError};
use reply::{Out, HEADROOM};
use session::Session;

/// What the writer task sends.
enum Outgoing {
    Reply(Out),
    Pong(Vec<u8>),
    /// Close frame with this status, then stop.
    Close(u16),
}

/// Most replies one connection holds back while latency is injected; then reading waits.
const MAX_DELAYED: usize = 256;

/// Serves one upgraded connection until the client leaves or the server shuts down.
///
/// Reading + handling and writing run as two tasks joined by a short queue, so the next block is
/// encoded while the previous one is still being written to the socket. With latency injected
/// (see [`Faults`](crate::Faults)), each reply carries the time it may leave and the writer holds
/// it until then while taking the next ones, so requests in flight are delayed side by side. Dropping this future ends the writer too: a dropped
/// connection sends nothing more.
pub async fn serve_connection<S>(io: S, shared: Arc<Shared>, mut shutdown: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (rd, wr) = tokio::io::split(io);
    let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(64 * 1024, rd), shared.config.max_message_bytes);
    let (tx, mut rx) = mpsc::channel::<(Outgoing, Option<Instant>)>(4);
    let ping_every = shared.config.ping_interval;
    let mut writer_task = AbortOnDrop(tokio::spawn(async move {
        let mut writer = FrameWriter::new(wr);
        // Keep-alive pings like the adapter's; a client that never answers is not dropped.
        let period = ping_every.unwrap_or(std::time::Duration::from_secs(3600 * 24 * 365));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        // Replies held back by injected latency, in the order they were made (so the first is
        // always the first due). Taking more while they wait keeps them side by side.
        let mut delayed: VecDeque<(Outgoing, Instant)> = VecDeque::new();
        let mut open = true;
        loop {
            if !open && delayed.is_empty() {
                return; // the connection ended and every reply is out
            }
            let next_due = delayed.front().map(|(_, due)| *due);
            let item = tokio::select! {
                item = rx.recv(), if open && delayed.len() < MAX_DELAYED => match item {
                    Some((item, Some(due))) => {
                        delayed.push_back((item, due));
                        continue;
                    }
                    Some((item, None)) if delayed.is_empty() => item,
                    // Without latency now, but behind delayed replies: keep the order.
                    Some((item, None)) => {
                        let due = delayed.back().map_or_else(Instant::now, |(_, due)| *due);
                        delayed.push_back((item, due));
                        continue;
                    }
                    None => {
                        open = false;
                        continue;
                    }
                },
                _ = tokio::time::sleep_until(next_due.unwrap_or_else(Instant::now)), if next_due.is_some() => {
                    match delayed.pop_front() {
                        Some((item, _)) => item,
                        None => continue,
                    }
                }
                _ = ticker.tick(), if ping_every.is_some() => {
                    if writer.ping(b"").await.is_err() {
                        return;
                    }
                    continue;
                }
                else => return, // closed and nothing delayed left
            };
            let result = match item {
                Outgoing::Reply(Out::Text(t)) => writer.text(&t).await,
                Outgoing::Reply(Out::Binary(b)) => writer.binary(&b).await,
                Outgoing::Reply(Out::BinaryWithHeadroom(mut b)) => writer.binary_in_place(&mut b, HEADROOM).await,
                Outgoing::Pong(p) => writer.pong(&p).await,
                Outgoing::Close(code) => {
                    let _ = writer.close(code).await;
                    let _ = writer.flush().await;
                    return;
                }
            };
            if result.is_err() {
                return;
            }
        }
    }));
    let mut session = Session::new(shared.clone());
    loop {
        let msg = tokio::select! {
            m = reader.read_message() => m,
            _ = shutdown.changed() => {
                let _ = tx.send((Outgoing::Close(1001), None)).await;
                break;
            }
        };
        let item = match msg {
            Ok(Message::Text(t)) => session.handle_text(&t).map(Outgoing::Reply),
            Ok(Message::Binary(b)) => session.handle_binary(&b).map(Outgoing::Reply),
            Ok(Message::Ping(p)) => Some(Outgoing::Pong(p)),
            Ok(Message::Pong) => None,
            Ok(Message::Close(_)) => {
                let _ = tx.send((Outgoing::Close(1000), shared.faults.reply_due())).await;
                break;
            }
            Err(ReadError::Protocol(code, _)) => {
                let _ = tx.send((Outgoing::Close(code), shared.faults.reply_due())).await;
                break;
            }
            Err(ReadError::Io(_)) => break,
        };
        if let Some(item) = item {
            // Latency is added to the time the reply is ready, as a network would.
            if tx.send((item, shared.faults.reply_due())).await.is_err() {
                break; // the writer stopped: the socket is gone
            }
        }
    }
    drop(tx);
    let _ = (&mut writer_task.0).await;
}

/// Aborts the task when dropped.
struct AbortOnDrop(tokio::task::JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}
