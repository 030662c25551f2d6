//! RFC 6455 server-side framing over any byte stream. Written here (not taken from a WebSocket
//! crate) so the server decides what happens with invalid UTF-8 in text frames (accepted, like
//! the Go adapter), message sizes and control frames.

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

/// A complete (reassembled) message from the client.
#[derive(Debug)]
pub enum Message {
    /// Text payload as received; not validated as UTF-8.
    Text(Vec<u8>),
    Binary(Vec<u8>),
    Ping(Vec<u8>),
    Pong,
    /// Close frame (code if present); the caller answers with a close and ends the connection.
    Close(Option<u16>),
}

#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Protocol violation: the connection is closed with this status code.
    Protocol(u16, &'static str),
}

impl From<std::io::Error> for ReadError {
    fn from(e: std::io::Error) -> Self {
        ReadError::Io(e)
    }
}

const OP_CONT: u8 = 0x0;
const OP_TEXT: u8 = 0x1;
const OP_BINARY: u8 = 0x2;
const OP_CLOSE: u8 = 0x8;
const OP_PING: u8 = 0x9;
const OP_PONG: u8 = 0xA;

pub struct FrameReader<R> {
    inner: R,
    max_message: usize,
    /// A fragmented message being reassembled; survives control frames sent between fragments.
    partial: Option<(u8, Vec<u8>)>,
}

impl<R: AsyncRead + Unpin> FrameReader<R> {
    pub fn new(inner: R, max_message: usize) -> Self {
        FrameReader { inner, max_message, partial: None }
    }

    /// Reads frames until one whole message (or a control frame) is available.
    pub async fn read_message(&mut self) -> Result<Message, ReadError> {
        loop {
            let mut head = [0u8; 2];
            self.inner.read_exact(&mut head).await?;
            let fin = head[0] & 0x80 != 0;
            if head[0] & 0x70 != 0 {
                return Err(ReadError::Protocol(1002, "reserved bits set"));
            }
            let opcode = head[0] & 0x0F;
            let masked = head[1] & 0x80 != 0;
            let len = match head[1] & 0x7F {
                126 => {
                    let mut b = [0u8; 2];
                    self.inner.read_exact(&mut b).await?;
                    u16::from_be_bytes(b) as u64
                }
                127 => {
                    let mut b = [0u8; 8];
                    self.inner.read_exact(&mut b).await?;
                    u64::from_be_bytes(b)
                }
                n => n as u64,
            };
            let mut mask = [0u8; 4];
            if masked {
                self.inner.read_exact(&mut mask).await?;
            }
            let is_control = opcode & 0x8 != 0;
            if is_control && (len > 125 || !fin) {
                return Err(ReadError::Protocol(1002, "bad control frame"));
            }
            let already = self.partial.as_ref().map_or(0, |(_, p)| p.len()) as u64;
            if !is_control && already.saturating_add(len) > self.max_message as u64 {
                return Err(ReadError::Protocol(1009, "message too big"));
            }
            let mut payload = vec![0u8; len as usize];
            self.inner.read_exact(&mut payload).await?;
            if masked {
                unmask(&mut payload, mask);
            }
            match opcode {
                OP_PING => return Ok(Message::Ping(payload)),
                OP_PONG => return Ok(Message::Pong),
                OP_CLOSE => {
                    let code = (payload.len() >= 2).then(|| u16::from_be_bytes([payload[0], payload[1]]));
                    return Ok(Message::Close(code));
                }
                OP_TEXT | OP_BINARY => {
                    if self.partial.is_some() {
                        return Err(ReadError::Protocol(1002, "new message inside a fragmented one"));
                    }
                    if fin {
                        return Ok(if opcode == OP_TEXT { Message::Text(payload) } else { Message::Binary(payload) });
                    }
                    self.partial = Some((opcode, payload));
                }
                OP_CONT => {
                    let Some((op, mut data)) = self.partial.take() else {
                        return Err(ReadError::Protocol(1002, "continuation without a message"));
                    };
                    data.extend_from_slice(&payload);
                    if fin {
                        return Ok(if op == OP_TEXT { Message::Text(data) } else { Message::Binary(data) });
                    }
                    self.partial = Some((op, data));
                }
                _ => return Err(ReadError::Protocol(1002, "unknown opcode")),
            }
        }
    }
}

/// XORs the client mask over a payload, eight bytes at a time (large INSERT statements arrive
/// as masked text of hundreds of kilobytes).
fn unmask(buf: &mut [u8], mask: [u8; 4]) {
    let m = u64::from_ne_bytes([mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]]);
    let mut chunks = buf.chunks_exact_mut(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        c.copy_from_slice(&(u64::from_ne_bytes(w) ^ m).to_ne_bytes());
    }
    // The remainder starts at a multiple of 8, so the mask phase is 0 again.
    for (i, b) in chunks.into_remainder().iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
}

/// Frame header for an unmasked server frame.
fn header(opcode: u8, len: usize) -> ([u8; 10], usize) {
    let mut h = [0u8; 10];
    h[0] = 0x80 | opcode;
    if len < 126 {
        h[1] = len as u8;
        (h, 2)
    } else if len <= u16::MAX as usize {
        h[1] = 126;
        h[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        (h, 4)
    } else {
        h[1] = 127;
        h[2..10].copy_from_slice(&(len as u64).to_be_bytes());
        (h, 10)
    }
}

pub struct FrameWriter<W> {
    inner: W,
}

impl<W: AsyncWrite + Unpin> FrameWriter<W> {
    pub fn new(inner: W) -> Self {
        FrameWriter { inner }
    }

    async fn write_frame(&mut self, opcode: u8, payload: &[u8]) -> std::io::Result<()> {
        let (h, n) = header(opcode, payload.len());
        if payload.len() <= 16 * 1024 {
            // One write for small frames keeps replies in a single TCP segment.
            let mut buf = Vec::with_capacity(n + payload.len());
            buf.extend_from_slice(&h[..n]);
            buf.extend_from_slice(payload);
            self.inner.write_all(&buf).await?;
        } else {
            self.inner.write_all(&h[..n]).await?;
            self.inner.write_all(payload).await?;
        }
        Ok(())
    }

    /// Sends `buf[headroom..]` as one binary frame, writing the header into the headroom
    /// (`headroom` must be at least 10) so header and payload go out in a single write.
    pub async fn binary_in_place(&mut self, buf: &mut [u8], headroom: usize) -> std::io::Result<()> {
        let payload_len = buf.len().saturating_sub(headroom);
        let (h, n) = header(OP_BINARY, payload_len);
        if headroom < n || buf.len() < headroom {
            let (_, payload) = buf.split_at(headroom.min(buf.len()));
            return self.write_frame(OP_BINARY, payload).await;
        }
        let at = headroom - n;
        buf[at..headroom].copy_from_slice(&h[..n]);
        self.inner.write_all(&buf[at..]).await
    }

    pub async fn text(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.write_frame(OP_TEXT, payload).await
    }
    pub async fn binary(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.write_frame(OP_BINARY, payload).await
    }
    pub async fn pong(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.write_frame(OP_PONG, payload).await
    }
    pub async fn ping(&mut self, payload: &[u8]) -> std::io::Result<()> {
        self.write_frame(OP_PING, payload).await
    }
    pub async fn close(&mut self, code: u16) -> std::io::Result<()> {
        self.write_frame(OP_CLOSE, &code.to_be_bytes()).await
    }
    pub async fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush().await
    }
}

/// `Sec-WebSocket-Accept` for a client key (RFC 6455 §4.2.2).
pub fn accept_key(client_key: &[u8]) -> String {
    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    let mut h = Sha1::new();
    h.update(client_key);
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_key_matches_rfc_example() {
        assert_eq!(accept_key(b"dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    }

    #[tokio::test]
    async fn reassembles_fragments_and_unmasks() {
        // "Hel" (text, not fin, masked) + "lo" (continuation, fin, masked)
        let mask = [1u8, 2, 3, 4];
        let mut wire = vec![0x01, 0x83];
        wire.extend_from_slice(&mask);
        wire.extend(b"Hel".iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        wire.extend_from_slice(&[0x80, 0x82]);
        wire.extend_from_slice(&mask);
        wire.extend(b"lo".iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        let mut r = FrameReader::new(&wire[..], 1 << 20);
        match r.read_message().await.unwrap() {
            Message::Text(t) => assert_eq!(t, b"Hello"),
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn unmask_matches_the_bytewise_definition() {
        let mask = [0x12, 0x34, 0x56, 0x78];
        for len in [0usize, 1, 3, 7, 8, 9, 15, 16, 17, 1000] {
            let original: Vec<u8> = (0..len).map(|i| (i * 31 % 251) as u8).collect();
            let mut fast = original.clone();
            unmask(&mut fast, mask);
            let slow: Vec<u8> = original.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]).collect();
            assert_eq!(fast, slow, "len {len}");
        }
    }

    #[tokio::test]
    async fn ping_between_fragments_keeps_the_message() {
        // "ab" (text, not fin) + ping "p" + "c" (continuation, fin); unmasked for brevity.
        let wire = [0x01, 0x02, b'a', b'b', 0x89, 0x01, b'p', 0x80, 0x01, b'c'];
        let mut r = FrameReader::new(&wire[..], 1 << 20);
        assert!(matches!(r.read_message().await.unwrap(), Message::Ping(p) if p == b"p"));
        assert!(matches!(r.read_message().await.unwrap(), Message::Text(t) if t == b"abc"));
    }

    #[tokio::test]
    async fn refuses_oversized_messages() {
        let wire = [0x82u8, 127, 0, 0, 0, 1, 0, 0, 0, 0];
        let mut r = FrameReader::new(&wire[..], 1024);
        assert!(matches!(r.read_message().await, Err(ReadError::Protocol(1009, _))));
    }
}
