//! `ProtocolError`: what can be wrong with bytes on the wire.

use std::io;

/// A frame that breaks the protocol, or the connection failing under it.
///
/// Decoders return it instead of panicking; after one, the byte stream cannot
/// be resynchronised, so the connection should be closed.
#[derive(Debug, thiserror::Error)]
pub enum ProtocolError {
    /// The connection failed.
    #[error(transparent)]
    Io(#[from] io::Error),
    /// A frame's length prefix is over [`FRAME_BYTES_MAX`](super::FRAME_BYTES_MAX).
    #[error("frame of {length} bytes exceeds the limit of {max} bytes")]
    FrameTooLarge {
        /// The length the prefix claims.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// A frame's length prefix is 0.
    #[error("empty frame")]
    EmptyFrame,
    /// The frame ends before a field it announces.
    #[error("frame ends inside the {field}: {needed} bytes needed, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// The bytes the field needs.
        needed: usize,
        /// The bytes left in the frame.
        available: usize,
    },
    /// The message tag is not one this side understands.
    #[error("unknown message tag 0x{tag:02x}")]
    UnknownTag {
        /// The tag received.
        tag: u8,
    },
    /// A key is over [`KEY_BYTES_MAX`](super::KEY_BYTES_MAX).
    #[error("key of {length} bytes exceeds the limit of {max} bytes")]
    KeyTooLong {
        /// The key's length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// A value is over [`VALUE_BYTES_MAX`](super::VALUE_BYTES_MAX).
    #[error("value of {length} bytes exceeds the limit of {max} bytes")]
    ValueTooLong {
        /// The value's length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// An error message is over [`MESSAGE_BYTES_MAX`](super::MESSAGE_BYTES_MAX).
    #[error("error message of {length} bytes exceeds the limit of {max} bytes")]
    MessageTooLong {
        /// The message's length.
        length: usize,
        /// The limit.
        max: usize,
    },
    /// An error message is not UTF-8.
    #[error("error message is not valid utf-8")]
    InvalidUtf8(#[source] std::str::Utf8Error),
    /// The frame holds bytes after its message.
    #[error("{count} unexpected bytes after the message")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The connection closed in the middle of a frame.
    #[error("connection closed inside a frame, {bytes} bytes unread")]
    ClosedMidFrame {
        /// The bytes of the partial frame.
        bytes: usize,
    },
}
