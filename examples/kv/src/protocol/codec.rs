//! The codecs: [`ServerCodec`] and [`ClientCodec`], one for each end of a
//! connection, for `tokio_util::codec::Framed`.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::{
    FRAME_BYTES_MAX, KEY_BYTES_MAX, LENGTH_PREFIX_BYTES, MESSAGE_BYTES_MAX, ProtocolError, Reply,
    Request, Response, VALUE_BYTES_MAX,
};

const TAG_GET: u8 = 0x01;
const TAG_SET: u8 = 0x02;
const TAG_DELETE: u8 = 0x03;
const TAG_VALUE: u8 = 0x81;
const TAG_NOT_FOUND: u8 = 0x82;
const TAG_OK: u8 = 0x83;
const TAG_ERROR: u8 = 0x84;
const TAG_UNAVAILABLE: u8 = 0x85;

/// The server's end: decodes [`Request`]s, encodes [`Reply`]s.
///
/// # Examples
///
/// ```
/// use bytes::{Bytes, BytesMut};
/// use kv::protocol::{ClientCodec, Request, ServerCodec};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let request = Request::Get { key: Bytes::from("color") };
/// let mut wire = BytesMut::new();
/// ClientCodec.encode(request.clone(), &mut wire).unwrap();
/// assert_eq!(ServerCodec.decode(&mut wire).unwrap(), Some(request));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ServerCodec;

/// The client's end: encodes [`Request`]s, decodes [`Reply`]s.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use kv::protocol::{ClientCodec, Reply, Response, ServerCodec};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let reply = Reply { incarnation: 3, store_id: 3, response: Response::NotFound };
/// let mut wire = BytesMut::new();
/// ServerCodec.encode(reply.clone(), &mut wire).unwrap();
/// assert_eq!(ClientCodec.decode(&mut wire).unwrap(), Some(reply));
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ClientCodec;

impl Decoder for ServerCodec {
    type Item = Request;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        next_frame(src)?.map(parse_request).transpose()
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Request>, ProtocolError> {
        let request = self.decode(src)?;
        end_of_stream(request, src)
    }
}

impl Encoder<Reply> for ServerCodec {
    type Error = ProtocolError;

    fn encode(&mut self, reply: Reply, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        reply.response.validate()?;
        let body_bytes = 8 + 8 + 1 + response_field_bytes(&reply.response);
        reserve_frame(dst, body_bytes);
        dst.put_u64(reply.incarnation);
        dst.put_u64(reply.store_id);
        match &reply.response {
            Response::Value(value) => {
                dst.put_u8(TAG_VALUE);
                put_value(dst, value);
            }
            Response::NotFound => dst.put_u8(TAG_NOT_FOUND),
            Response::Ok => dst.put_u8(TAG_OK),
            Response::Error(message) => {
                dst.put_u8(TAG_ERROR);
                put_short(dst, message.as_bytes());
            }
            Response::Unavailable(message) => {
                dst.put_u8(TAG_UNAVAILABLE);
                put_short(dst, message.as_bytes());
            }
        }
        Ok(())
    }
}

impl Decoder for ClientCodec {
    type Item = Reply;
    type Error = ProtocolError;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
        next_frame(src)?.map(parse_reply).transpose()
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Reply>, ProtocolError> {
        let reply = self.decode(src)?;
        end_of_stream(reply, src)
    }
}

impl Encoder<Request> for ClientCodec {
    type Error = ProtocolError;

    fn encode(&mut self, request: Request, dst: &mut BytesMut) -> Result<(), ProtocolError> {
        request.validate()?;
        encode_request_unchecked(&request, dst);
        Ok(())
    }
}

/// Writes `request` into `dst` as a frame without checking it against the
/// protocol's limits (a key past [`KEY_BYTES_MAX`], a value past
/// [`VALUE_BYTES_MAX`], a frame past [`FRAME_BYTES_MAX`]), so that a test can
/// see the server refuse it. A key must still fit its `u16` length.
pub(crate) fn encode_request_unchecked(request: &Request, dst: &mut BytesMut) {
    let value_bytes = match request {
        Request::Set { value, .. } => 4 + value.len(),
        Request::Get { .. } | Request::Delete { .. } => 0,
    };
    let body_bytes = 1 + 2 + request.key().len() + value_bytes;
    dst.reserve(LENGTH_PREFIX_BYTES + body_bytes);
    dst.put_u32(u32::try_from(body_bytes).expect("a request's frame fits a u32 length"));
    match request {
        Request::Get { key } => {
            dst.put_u8(TAG_GET);
            put_short(dst, key);
        }
        Request::Set { key, value } => {
            dst.put_u8(TAG_SET);
            put_short(dst, key);
            put_value(dst, value);
        }
        Request::Delete { key } => {
            dst.put_u8(TAG_DELETE);
            put_short(dst, key);
        }
    }
}

/// Splits the next whole frame's body off `src`, or returns `None` until it
/// has arrived. The length is checked before any room is reserved.
fn next_frame(src: &mut BytesMut) -> Result<Option<Bytes>, ProtocolError> {
    let Some(prefix) = src.get(..LENGTH_PREFIX_BYTES) else {
        return Ok(None);
    };
    let length = u32::from_be_bytes(prefix.try_into().expect("the prefix is 4 bytes")) as usize;
    if length == 0 {
        return Err(ProtocolError::EmptyFrame);
    }
    if length > FRAME_BYTES_MAX {
        return Err(ProtocolError::FrameTooLarge {
            length,
            max: FRAME_BYTES_MAX,
        });
    }
    let frame_bytes = LENGTH_PREFIX_BYTES + length;
    if src.len() < frame_bytes {
        src.reserve(frame_bytes - src.len());
        return Ok(None);
    }
    src.advance(LENGTH_PREFIX_BYTES);
    Ok(Some(src.split_to(length).freeze()))
}

/// What a decoder returns at the end of the stream: leftover bytes are a
/// frame cut short.
fn end_of_stream<T>(decoded: Option<T>, src: &BytesMut) -> Result<Option<T>, ProtocolError> {
    match decoded {
        None if !src.is_empty() => Err(ProtocolError::ClosedMidFrame { bytes: src.len() }),
        decoded => Ok(decoded),
    }
}

fn parse_request(body: Bytes) -> Result<Request, ProtocolError> {
    let mut body = Body { bytes: body };
    let request = match body.u8("request tag")? {
        TAG_GET => Request::Get { key: body.key()? },
        TAG_SET => Request::Set {
            key: body.key()?,
            value: body.value()?,
        },
        TAG_DELETE => Request::Delete { key: body.key()? },
        tag => return Err(ProtocolError::UnknownTag { tag }),
    };
    body.finish()?;
    Ok(request)
}

fn parse_reply(body: Bytes) -> Result<Reply, ProtocolError> {
    let mut body = Body { bytes: body };
    let incarnation = body.u64("incarnation")?;
    let store_id = body.u64("store id")?;
    let response = match body.u8("response tag")? {
        TAG_VALUE => Response::Value(body.value()?),
        TAG_NOT_FOUND => Response::NotFound,
        TAG_OK => Response::Ok,
        TAG_ERROR => Response::Error(body.message()?),
        TAG_UNAVAILABLE => Response::Unavailable(body.message()?),
        tag => return Err(ProtocolError::UnknownTag { tag }),
    };
    body.finish()?;
    Ok(Reply {
        incarnation,
        store_id,
        response,
    })
}

/// A frame body being read field by field; every read checks what is left.
struct Body {
    bytes: Bytes,
}

impl Body {
    fn need(&self, field: &'static str, needed: usize) -> Result<(), ProtocolError> {
        if self.bytes.len() < needed {
            return Err(ProtocolError::Truncated {
                field,
                needed,
                available: self.bytes.len(),
            });
        }
        Ok(())
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, ProtocolError> {
        self.need(field, 1)?;
        Ok(self.bytes.get_u8())
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, ProtocolError> {
        self.need(field, 2)?;
        Ok(self.bytes.get_u16())
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, ProtocolError> {
        self.need(field, 4)?;
        Ok(self.bytes.get_u32())
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, ProtocolError> {
        self.need(field, 8)?;
        Ok(self.bytes.get_u64())
    }

    fn take(&mut self, field: &'static str, length: usize) -> Result<Bytes, ProtocolError> {
        self.need(field, length)?;
        Ok(self.bytes.split_to(length))
    }

    fn key(&mut self) -> Result<Bytes, ProtocolError> {
        let length = usize::from(self.u16("key length")?);
        check_key_length(length)?;
        self.take("key", length)
    }

    fn value(&mut self) -> Result<Bytes, ProtocolError> {
        let length = self.u32("value length")? as usize;
        check_value_length(length)?;
        self.take("value", length)
    }

    fn message(&mut self) -> Result<String, ProtocolError> {
        let length = usize::from(self.u16("message length")?);
        if length > MESSAGE_BYTES_MAX {
            return Err(ProtocolError::MessageTooLong {
                length,
                max: MESSAGE_BYTES_MAX,
            });
        }
        let bytes = self.take("message", length)?;
        let message = std::str::from_utf8(&bytes).map_err(ProtocolError::InvalidUtf8)?;
        Ok(message.to_string())
    }

    fn finish(self) -> Result<(), ProtocolError> {
        if !self.bytes.is_empty() {
            return Err(ProtocolError::TrailingBytes {
                count: self.bytes.len(),
            });
        }
        Ok(())
    }
}

fn check_key_length(length: usize) -> Result<(), ProtocolError> {
    // Checked on the announced length, before the bytes are taken.
    if length > KEY_BYTES_MAX {
        return Err(ProtocolError::KeyTooLong {
            length,
            max: KEY_BYTES_MAX,
        });
    }
    Ok(())
}

fn check_value_length(length: usize) -> Result<(), ProtocolError> {
    if length > VALUE_BYTES_MAX {
        return Err(ProtocolError::ValueTooLong {
            length,
            max: VALUE_BYTES_MAX,
        });
    }
    Ok(())
}

fn response_field_bytes(response: &Response) -> usize {
    match response {
        Response::Value(value) => 4 + value.len(),
        Response::NotFound | Response::Ok => 0,
        Response::Error(message) | Response::Unavailable(message) => 2 + message.len(),
    }
}

/// Writes the length prefix of a body of `body_bytes` and reserves room for it.
fn reserve_frame(dst: &mut BytesMut, body_bytes: usize) {
    assert!(
        body_bytes <= FRAME_BYTES_MAX,
        "a validated message fits a frame"
    );
    dst.reserve(LENGTH_PREFIX_BYTES + body_bytes);
    dst.put_u32(body_bytes as u32);
}

fn put_short(dst: &mut BytesMut, bytes: &[u8]) {
    dst.put_u16(u16::try_from(bytes.len()).expect("a validated field fits a u16 length"));
    dst.put_slice(bytes);
}

fn put_value(dst: &mut BytesMut, value: &[u8]) {
    dst.put_u32(u32::try_from(value.len()).expect("a validated value fits a u32 length"));
    dst.put_slice(value);
}

#[cfg(test)]
#[path = "codec_tests.rs"]
mod tests;
