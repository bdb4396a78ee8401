//! Length-prefixed frames on a QUIC stream: `u32` big-endian length, then the payload.

use iroh::endpoint::{RecvStream, SendStream};
use thiserror::Error;

/// A frame that could not be read.
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
}

/// Writes one frame.
pub async fn write_frame(send: &mut SendStream, payload: &[u8]) -> Result<(), FrameError> {
    let len = u32::try_from(payload.len()).map_err(|_| FrameError::TooLarge {
        len: payload.len(),
        max: u32::MAX as usize,
    })?;
    send.write_all(&len.to_be_bytes())
        .await
        .map_err(|e| FrameError::Closed(e.to_string()))?;
    send.write_all(payload)
        .await
        .map_err(|e| FrameError::Closed(e.to_string()))
}

/// Reads one frame of at most `max` bytes. Not cancel-safe: call it from one task only.
pub async fn read_frame(recv: &mut RecvStream, max: usize) -> Result<Vec<u8>, FrameError> {
    let mut len = [0u8; 4];
    recv.read_exact(&mut len)
        .await
        .map_err(|e| FrameError::Closed(e.to_string()))?;
    let len = u32::from_be_bytes(len) as usize;
    if len > max {
        return Err(FrameError::TooLarge { len, max });
    }
    let mut buf = vec![0u8; len];
    recv.read_exact(&mut buf)
        .await
        .map_err(|e| FrameError::Closed(e.to_string()))?;
    Ok(buf)
}
