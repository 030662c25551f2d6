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

use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;

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

/// Serves one upgraded connection until the client leaves or the server shuts down.
///
/// Reading + handling and writing run as two tasks joined by a short queue, so the next block is
/// encoded while the previous one is still being written to the socket.
pub async fn serve_connection<S>(io: S, shared: Arc<Shared>, mut shutdown: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (rd, wr) = tokio::io::split(io);
    let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(64 * 1024, rd), shared.config.max_message_bytes);
    let (tx, mut rx) = mpsc::channel::<Outgoing>(4);
    let ping_every = shared.config.ping_interval;
    let writer_task = tokio::spawn(async move {
        let mut writer = FrameWriter::new(wr);
        // Keep-alive pings like the adapter's; a client that never answers is not dropped.
        let period = ping_every.unwrap_or(std::time::Duration::from_secs(3600 * 24 * 365));
        let mut ticker = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        loop {
            let item = tokio::select! {
                item = rx.recv() => match item {
                    Some(item) => item,
                    None => return,
                },
                _ = ticker.tick(), if ping_every.is_some() => {
                    if writer.ping(b"").await.is_err() {
                        return;
                    }
                    continue;
                }
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
    });
    let mut session = Session::new(shared.clone());
    loop {
        let msg = tokio::select! {
            m = reader.read_message() => m,
            _ = shutdown.changed() => {
                let _ = tx.send(Outgoing::Close(1001)).await;
                break;
            }
        };
        let item = match msg {
            Ok(Message::Text(t)) => session.handle_text(&t).map(Outgoing::Reply),
            Ok(Message::Binary(b)) => session.handle_binary(&b).map(Outgoing::Reply),
            Ok(Message::Ping(p)) => Some(Outgoing::Pong(p)),
            Ok(Message::Pong) => None,
            Ok(Message::Close(_)) => {
                let _ = tx.send(Outgoing::Close(1000)).await;
                break;
            }
            Err(ReadError::Protocol(code, _)) => {
                let _ = tx.send(Outgoing::Close(code)).await;
                break;
            }
            Err(ReadError::Io(_)) => break,
        };
        if let Some(item) = item {
            if tx.send(item).await.is_err() {
                break; // the writer stopped: the socket is gone
            }
        }
    }
    drop(tx);
    let _ = writer_task.await;
}
