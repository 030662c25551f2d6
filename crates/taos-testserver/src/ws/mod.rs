//! WebSocket `/ws`: RFC 6455 framing ([`frame`]) and the SQL session ([`session`]).

pub mod frame;
pub mod session;

use crate::server::Shared;
use frame::{FrameReader, FrameWriter, Message, ReadError};
use session::{Out, Session};
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};

/// Serves one upgraded connection until the client leaves or the server shuts down.
pub async fn serve_connection<S>(io: S, shared: Arc<Shared>, mut shutdown: tokio::sync::watch::Receiver<bool>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (rd, wr) = tokio::io::split(io);
    let mut reader = FrameReader::new(tokio::io::BufReader::with_capacity(64 * 1024, rd), shared.config.max_message_bytes);
    let mut writer = FrameWriter::new(wr);
    let mut session = Session::new(shared.clone());
    loop {
        let msg = tokio::select! {
            m = reader.read_message() => m,
            _ = shutdown.changed() => {
                let _ = writer.close(1001).await;
                let _ = writer.flush().await;
                return;
            }
        };
        let result = match msg {
            Ok(Message::Text(t)) => write_out(&mut writer, session.handle_text(&t)).await,
            Ok(Message::Binary(b)) => write_out(&mut writer, session.handle_binary(&b)).await,
            Ok(Message::Ping(p)) => writer.pong(&p).await,
            Ok(Message::Pong) => Ok(()),
            Ok(Message::Close(_)) => {
                let _ = writer.close(1000).await;
                let _ = writer.flush().await;
                return;
            }
            Err(ReadError::Protocol(code, _)) => {
                let _ = writer.close(code).await;
                let _ = writer.flush().await;
                return;
            }
            Err(ReadError::Io(_)) => return,
        };
        if result.is_err() {
            return;
        }
    }
}

async fn write_out<W: AsyncWrite + Unpin>(w: &mut FrameWriter<W>, out: Option<Out>) -> std::io::Result<()> {
    match out {
        Some(Out::Text(t)) => w.text(&t).await,
        Some(Out::Binary(b)) => w.binary(&b).await,
        None => Ok(()),
    }
}
