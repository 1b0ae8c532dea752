//! The wire protocol: length-framed binary requests and replies.
//!
//! Every message travels in one frame: a big-endian `u32` body length, then the
//! body. Integers are big-endian; keys, values and messages carry their own
//! length, and a body must be consumed exactly.
//!
//! ```text
//! frame    = length:u32 body                  1 ..= FRAME_BYTES_MAX body bytes
//!
//! request  = 0x01 key                         GET
//!          | 0x02 key value                   SET
//!          | 0x03 key                         DELETE
//!
//! reply    = incarnation:u64 store_id:u64 response
//!                                             its boot count, its store
//! response = 0x81 value                       Value
//!          | 0x82                             NotFound
//!          | 0x83                             Ok
//!          | 0x84 message                     Error
//!          | 0x85 message                     Unavailable
//!
//! key      = length:u16 bytes                 0 ..= KEY_BYTES_MAX bytes
//! value    = length:u32 bytes                 0 ..= VALUE_BYTES_MAX bytes
//! message  = length:u16 utf-8                 0 ..= MESSAGE_BYTES_MAX bytes
//! ```
//!
//! Requests and responses use disjoint tags, so a peer that mixes them up gets
//! a [`ProtocolError::UnknownTag`] instead of a misread message. A decoder
//! checks a frame's length against [`FRAME_BYTES_MAX`] before it reserves
//! room for it, so a hostile length never makes it allocate.
//!
//! A connection carries requests one way and replies the other, answered in
//! order; a peer that receives a malformed frame cannot find the next one, so
//! it closes the connection.

mod codec;
mod error;
mod limits;
mod message;

pub(crate) use codec::encode_request_unchecked;
pub use codec::{ClientCodec, ServerCodec};
pub use error::ProtocolError;
pub use limits::{
    FRAME_BYTES_MAX, KEY_BYTES_MAX, LENGTH_PREFIX_BYTES, MESSAGE_BYTES_MAX, VALUE_BYTES_MAX,
};
pub use message::{
    MALFORMED_PREFIX, Reply, Request, Response, STORE_ID_UNKNOWN, TOO_MANY_CONNECTIONS_PREFIX,
};
