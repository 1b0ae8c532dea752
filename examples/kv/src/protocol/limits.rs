//! The protocol's limits.

/// The largest key, in bytes.
pub const KEY_BYTES_MAX: usize = 256;

/// The largest value, in bytes (64 KiB).
pub const VALUE_BYTES_MAX: usize = 64 * 1024;

/// The largest error message of a [`Response::Error`](super::Response::Error), in bytes.
pub const MESSAGE_BYTES_MAX: usize = 1024;

/// The bytes of a frame's length prefix.
pub const LENGTH_PREFIX_BYTES: usize = 4;

/// The largest frame body, in bytes (the length prefix not counted): a SET with
/// the largest key and value, the largest message of either direction.
pub const FRAME_BYTES_MAX: usize = 1 + 2 + KEY_BYTES_MAX + 4 + VALUE_BYTES_MAX;

/// The largest reply body: incarnation, store id, tag, the largest value.
const REPLY_BYTES_MAX: usize = 8 + 8 + 1 + 4 + VALUE_BYTES_MAX;

/// The largest error or unavailable reply body: incarnation, store id, tag,
/// the largest message.
const ERROR_REPLY_BYTES_MAX: usize = 8 + 8 + 1 + 2 + MESSAGE_BYTES_MAX;

const _: () = assert!(REPLY_BYTES_MAX <= FRAME_BYTES_MAX);
const _: () = assert!(ERROR_REPLY_BYTES_MAX <= FRAME_BYTES_MAX);
const _: () = assert!(KEY_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(MESSAGE_BYTES_MAX <= u16::MAX as usize);
const _: () = assert!(FRAME_BYTES_MAX <= u32::MAX as usize);
