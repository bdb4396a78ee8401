//! Length-prefixed frames on a QUIC stream: `u32` big-endian length, then the payload.
//!
//! Both directions are bounded in time: a frame must begin within the idle timeout (honest
//! peers send a keepalive before it passes) and, once begun, must keep moving: a read or a
//! write that makes no progress for the stall timeout fails. A frame's buffer grows with the
//! bytes that actually arrive, so a peer that announces a large frame and stalls holds only
//! what it sent, and only until the stall timeout.

use std::time::Duration;

use iroh::endpoint::{RecvStream, SendStream};
use thiserror::Error;

/// How much of a frame is read at a time (and how much its buffer grows by, at least).
const CHUNK: usize = 64 * 1024;

/// A frame that could not be read or written.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum FrameError {
    /// The peer announced more than the limit.
    #[error("frame of {len} bytes exceeds the limit of {max}")]
    TooLarge {
        /// Announced length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The stream ended or failed.
    #[error("stream closed: {0}")]
    Closed(String),
    /// No frame began within the idle timeout.
    #[error("nothing received for {0:?}")]
    Idle(Duration),
    /// A frame began but made no progress for the stall timeout (a peer that sends half a
    /// frame and stops, or stops reading what is sent to it).
    #[error("no progress for {0:?} inside a frame")]
    Stalled(Duration),
}

fn closed(e: impl std::fmt::Display) -> FrameError {
    FrameError::Closed(e.to_string())
}

/// Writes `buf` whole, failing if no byte is taken for `stall`.
async fn write_all_within(
    send: &mut SendStream,
    mut buf: &[u8],
    stall: Duration,
) -> Result<(), FrameError> {
    while !buf.is_empty() {
        let n = tokio::time::timeout(stall, send.write(buf))
            .await
            .map_err(|_| FrameError::Stalled(stall))?
            .map_err(closed)?;
        buf = buf.get(n..).unwrap_or_default();
    }
    Ok(())
}

/// Writes one frame; fails with [`FrameError::Stalled`] if the peer takes nothing for `stall`
/// (it stopped reading, and flow control stopped us).
pub async fn write_frame(
    send: &mut SendStream,
    payload: &[u8],
    stall: Duration,
) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len()).map_err(|_| FrameError::TooLarge {
        len: payload.len(),
        max: u32::MAX as usize,
    })?;
    write_all_within(send, &len.to_be_bytes(), stall).await?;
    write_all_within(send, payload, stall).await
}

/// Reads one frame of at most `max` bytes. The frame must begin within `idle`
/// ([`FrameError::Idle`]) and then keep arriving: no `stall` without a byte
/// ([`FrameError::Stalled`]). Not cancel-safe: call it from one task only.
pub async fn read_frame(
    recv: &mut RecvStream,
    max: usize,
    idle: Duration,
    stall: Duration,
) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    match tokio::time::timeout(idle, recv.read_exact(&mut len)).await {
        Ok(r) => r.map_err(closed)?,
        Err(_) => return Err(FrameError::Idle(idle)),
    }
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let mut buf: Vec<u8> = Vec::with_capacity(len.min(CHUNK));
    while buf.len() < len {
        let want = len.saturating_sub(buf.len()).min(CHUNK);
        let chunk = tokio::time::timeout(stall, recv.read_chunk(want))
            .await
            .map_err(|_| FrameError::Stalled(stall))?
            .map_err(closed)?
            .ok_or_else(|| FrameError::Closed("the stream ended inside a frame".into()))?;
        if buf.capacity().saturating_sub(buf.len()) < chunk.len() {
            // Grow by doubling, never past the announced length.
            let target = buf.capacity().saturating_mul(2).clamp(CHUNK, len);
            buf.reserve_exact(target.saturating_sub(buf.len()).max(chunk.len()));
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(buf)
}
