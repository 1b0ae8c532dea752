//! The codecs: every message round-trips, every malformed frame is a typed
//! error, and random bytes never panic a decoder or make it allocate past a frame.

use bytes::{BufMut, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use super::{ClientCodec, ServerCodec};
use crate::protocol::{
    FRAME_BYTES_MAX, KEY_BYTES_MAX, LENGTH_PREFIX_BYTES, MESSAGE_BYTES_MAX, ProtocolError, Reply,
    Request, Response, VALUE_BYTES_MAX,
};

fn requests() -> Vec<Request> {
    vec![
        Request::Get {
            key: Bytes::from("a"),
        },
        Request::Get { key: Bytes::new() },
        Request::Set {
            key: Bytes::from("color"),
            value: Bytes::from("blue"),
        },
        Request::Set {
            key: Bytes::from(vec![0xff; KEY_BYTES_MAX]),
            value: Bytes::from(vec![7; VALUE_BYTES_MAX]),
        },
        Request::Set {
            key: Bytes::from("empty"),
            value: Bytes::new(),
        },
        Request::Delete {
            key: Bytes::from("color"),
        },
    ]
}

fn replies() -> Vec<Reply> {
    let responses = [
        Response::Value(Bytes::from("blue")),
        Response::Value(Bytes::new()),
        Response::Value(Bytes::from(vec![1; VALUE_BYTES_MAX])),
        Response::NotFound,
        Response::Ok,
        Response::Error("store is full: ünïcode".to_string()),
        Response::Error("x".repeat(MESSAGE_BYTES_MAX)),
        Response::Unavailable("log sync failed: input/output error".to_string()),
        Response::Unavailable("y".repeat(MESSAGE_BYTES_MAX)),
    ];
    responses
        .into_iter()
        .enumerate()
        .map(|(index, response)| Reply {
            incarnation: [1, 2, u64::MAX][index % 3],
            store_id: [0x5eed, 0, u64::MAX, 1][index % 4],
            response,
        })
        .collect()
}

/// The start of a reply body: incarnation 1, store id 1.
const REPLY_HEADER: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1];

/// A reply body: [`REPLY_HEADER`], then `rest`.
fn reply_body(rest: &[u8]) -> Vec<u8> {
    let mut body = REPLY_HEADER.to_vec();
    body.extend_from_slice(rest);
    body
}

fn encode_request(request: Request) -> BytesMut {
    let mut wire = BytesMut::new();
    ClientCodec.encode(request, &mut wire).unwrap();
    wire
}

fn encode_reply(reply: Reply) -> BytesMut {
    let mut wire = BytesMut::new();
    ServerCodec.encode(reply, &mut wire).unwrap();
    wire
}

/// A frame around `body`, however malformed the body.
fn frame(body: &[u8]) -> BytesMut {
    let mut wire = BytesMut::new();
    wire.put_u32(body.len() as u32);
    wire.put_slice(body);
    wire
}

#[test]
fn requests_round_trip() {
    for request in requests() {
        let mut wire = encode_request(request.clone());
        assert_eq!(ServerCodec.decode(&mut wire).unwrap(), Some(request));
        assert!(wire.is_empty());
    }
}

#[test]
fn replies_round_trip() {
    for reply in replies() {
        let mut wire = encode_reply(reply.clone());
        assert_eq!(ClientCodec.decode(&mut wire).unwrap(), Some(reply));
        assert!(wire.is_empty());
    }
}

#[test]
fn frames_arriving_a_byte_at_a_time_decode_once_whole() {
    // Every request back to back, fed one byte at a time: each decodes exactly
    // when its last byte arrives.
    let mut wire = BytesMut::new();
    for request in requests() {
        ClientCodec.encode(request, &mut wire).unwrap();
    }
    let mut buffer = BytesMut::new();
    let mut decoded = Vec::new();
    for byte in wire {
        buffer.put_u8(byte);
        if let Some(request) = ServerCodec.decode(&mut buffer).unwrap() {
            decoded.push(request);
        }
    }
    assert_eq!(decoded, requests());
    assert!(buffer.is_empty());
}

#[test]
fn the_largest_messages_fit_the_frame_limit() {
    let largest = Request::Set {
        key: Bytes::from(vec![0; KEY_BYTES_MAX]),
        value: Bytes::from(vec![0; VALUE_BYTES_MAX]),
    };
    assert_eq!(
        encode_request(largest).len(),
        LENGTH_PREFIX_BYTES + FRAME_BYTES_MAX
    );
}

#[test]
fn an_empty_frame_is_an_error() {
    let error = ServerCodec.decode(&mut frame(&[])).unwrap_err();
    assert!(matches!(error, ProtocolError::EmptyFrame), "{error}");
}

#[test]
fn an_oversized_frame_is_refused_before_any_allocation() {
    // Only the length prefix has arrived: the decoder refuses on it alone and
    // reserves nothing for the claimed body.
    for length in [FRAME_BYTES_MAX as u32 + 1, u32::MAX] {
        let mut wire = BytesMut::with_capacity(LENGTH_PREFIX_BYTES);
        wire.put_u32(length);
        let error = ServerCodec.decode(&mut wire).unwrap_err();
        assert!(
            matches!(error, ProtocolError::FrameTooLarge { length: got, max }
                if got == length as usize && max == FRAME_BYTES_MAX),
            "{error}"
        );
        assert!(wire.capacity() < 64, "reserved {} bytes", wire.capacity());
        let error = ClientCodec.decode(&mut wire).unwrap_err();
        assert!(matches!(error, ProtocolError::FrameTooLarge { .. }));
    }
}

#[test]
fn a_partial_frame_reserves_at_most_its_own_length() {
    let mut wire = BytesMut::new();
    wire.put_u32(100);
    wire.put_slice(&[TAG_GET_RAW]);
    assert!(ServerCodec.decode(&mut wire).unwrap().is_none());
    assert!(wire.capacity() >= LENGTH_PREFIX_BYTES + 100);
    assert!(wire.capacity() < 4096, "reserved {} bytes", wire.capacity());
}

const TAG_GET_RAW: u8 = 0x01;
const TAG_SET_RAW: u8 = 0x02;

#[test]
fn truncated_request_fields_are_named() {
    let cases: [(&[u8], &str); 5] = [
        (&[TAG_GET_RAW], "key length"),
        (&[TAG_GET_RAW, 0], "key length"),
        (&[TAG_GET_RAW, 0, 3, b'a', b'b'], "key"),
        (&[TAG_SET_RAW, 0, 1, b'k', 0, 0], "value length"),
        (&[TAG_SET_RAW, 0, 1, b'k', 0, 0, 0, 5, 1, 2], "value"),
    ];
    for (body, field) in cases {
        let error = ServerCodec.decode(&mut frame(body)).unwrap_err();
        assert!(
            matches!(error, ProtocolError::Truncated { field: got, .. } if got == field),
            "{body:?}: {error}"
        );
    }
}

#[test]
fn truncated_reply_fields_are_named() {
    let cases = [
        (vec![0, 0, 0], "incarnation"),
        (REPLY_HEADER[..11].to_vec(), "store id"),
        (reply_body(&[]), "response tag"),
        (reply_body(&[0x81, 0, 0]), "value length"),
        (reply_body(&[0x84, 0]), "message length"),
        (reply_body(&[0x84, 0, 4, b'o', b'o']), "message"),
        (reply_body(&[0x85, 0, 3, b'e']), "message"),
    ];
    for (body, field) in cases {
        let error = ClientCodec.decode(&mut frame(&body)).unwrap_err();
        assert!(
            matches!(error, ProtocolError::Truncated { field: got, .. } if got == field),
            "{body:?}: {error}"
        );
    }
}

#[test]
fn unknown_tags_are_errors_and_each_side_refuses_the_others() {
    for tag in [0x00, 0x04, 0x81, 0xff] {
        let error = ServerCodec.decode(&mut frame(&[tag, 0, 0])).unwrap_err();
        assert!(matches!(error, ProtocolError::UnknownTag { tag: got } if got == tag));
    }
    // A request sent to a client: its first byte is read as part of the incarnation,
    // its tag byte lands elsewhere; whatever it is, the client gets an error.
    let mut wire = encode_request(Request::Get {
        key: Bytes::from("k"),
    });
    assert!(ClientCodec.decode(&mut wire).is_err());
    let error = ClientCodec
        .decode(&mut frame(&reply_body(&[TAG_GET_RAW])))
        .unwrap_err();
    assert!(matches!(error, ProtocolError::UnknownTag { tag: 0x01 }));
}

#[test]
fn lengths_over_the_limits_are_refused_by_their_announcement() {
    let long_key = (KEY_BYTES_MAX as u16 + 1).to_be_bytes();
    let error = ServerCodec
        .decode(&mut frame(&[TAG_GET_RAW, long_key[0], long_key[1]]))
        .unwrap_err();
    assert!(
        matches!(error, ProtocolError::KeyTooLong { length, .. } if length == KEY_BYTES_MAX + 1)
    );

    let long_value = (VALUE_BYTES_MAX as u32 + 1).to_be_bytes();
    let mut body = vec![TAG_SET_RAW, 0, 1, b'k'];
    body.extend_from_slice(&long_value);
    let error = ServerCodec.decode(&mut frame(&body)).unwrap_err();
    assert!(
        matches!(error, ProtocolError::ValueTooLong { .. }),
        "{error}"
    );

    let long_message = (MESSAGE_BYTES_MAX as u16 + 1).to_be_bytes();
    for tag in [0x84, 0x85] {
        let body = reply_body(&[tag, long_message[0], long_message[1]]);
        let error = ClientCodec.decode(&mut frame(&body)).unwrap_err();
        assert!(
            matches!(error, ProtocolError::MessageTooLong { .. }),
            "{error}"
        );
    }
}

#[test]
fn an_error_message_must_be_utf8() {
    for tag in [0x84, 0x85] {
        let body = reply_body(&[tag, 0, 2, 0xc3, 0x28]);
        let error = ClientCodec.decode(&mut frame(&body)).unwrap_err();
        assert!(matches!(error, ProtocolError::InvalidUtf8(_)), "{error}");
    }
}

#[test]
fn trailing_bytes_are_an_error() {
    let error = ServerCodec
        .decode(&mut frame(&[TAG_GET_RAW, 0, 1, b'k', b'!']))
        .unwrap_err();
    assert!(
        matches!(error, ProtocolError::TrailingBytes { count: 1 }),
        "{error}"
    );
    let error = ClientCodec
        .decode(&mut frame(&reply_body(&[0x83, 0])))
        .unwrap_err();
    assert!(
        matches!(error, ProtocolError::TrailingBytes { count: 1 }),
        "{error}"
    );
}

#[test]
fn a_stream_ending_inside_a_frame_is_an_error_and_a_clean_end_is_not() {
    let mut wire = encode_request(Request::Get {
        key: Bytes::from("key"),
    });
    wire.truncate(wire.len() - 1);
    let error = ServerCodec.decode_eof(&mut wire).unwrap_err();
    assert!(
        matches!(error, ProtocolError::ClosedMidFrame { bytes } if bytes == 9),
        "{error}"
    );
    assert!(
        ServerCodec
            .decode_eof(&mut BytesMut::new())
            .unwrap()
            .is_none()
    );
    assert!(
        ClientCodec
            .decode_eof(&mut BytesMut::new())
            .unwrap()
            .is_none()
    );
    let mut half_prefix = BytesMut::from(&[0u8, 0][..]);
    assert!(ClientCodec.decode_eof(&mut half_prefix).is_err());
}

#[test]
fn encoders_refuse_messages_over_the_limits_and_write_nothing() {
    let mut wire = BytesMut::new();
    let too_long_key = Request::Delete {
        key: Bytes::from(vec![0; KEY_BYTES_MAX + 1]),
    };
    assert!(matches!(
        ClientCodec.encode(too_long_key, &mut wire),
        Err(ProtocolError::KeyTooLong { .. })
    ));
    let too_long_value = Request::Set {
        key: Bytes::new(),
        value: Bytes::from(vec![0; VALUE_BYTES_MAX + 1]),
    };
    assert!(matches!(
        ClientCodec.encode(too_long_value, &mut wire),
        Err(ProtocolError::ValueTooLong { .. })
    ));
    for response in [
        Response::Error("x".repeat(MESSAGE_BYTES_MAX + 1)),
        Response::Unavailable("x".repeat(MESSAGE_BYTES_MAX + 1)),
    ] {
        let too_long_message = Reply {
            incarnation: 1,
            store_id: 1,
            response,
        };
        assert!(matches!(
            ServerCodec.encode(too_long_message, &mut wire),
            Err(ProtocolError::MessageTooLong { .. })
        ));
    }
    assert!(wire.is_empty());
}

/// A small deterministic generator, so a failing case repeats.
struct Garbage(u64);

impl Garbage {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// Random bytes; a small length prefix half the time, so that bodies
    /// get parsed rather than refused for their size.
    fn bytes(&mut self, length: usize) -> Vec<u8> {
        let mut bytes: Vec<u8> = (0..length).map(|_| self.next() as u8).collect();
        if length >= 4 && self.below(2) == 0 {
            let small = (self.below(length as u64) as u32).max(1);
            bytes[..4].copy_from_slice(&small.to_be_bytes());
        }
        bytes
    }
}

/// Feeds `bytes` in random chunks to `decoder` until it errs or the bytes run
/// out; the buffer never grows past one frame and one chunk.
fn feed<D: Decoder<Error = ProtocolError>>(decoder: &mut D, bytes: &[u8], garbage: &mut Garbage) {
    let mut buffer = BytesMut::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        let chunk = (1 + garbage.below(64) as usize).min(rest.len());
        buffer.extend_from_slice(&rest[..chunk]);
        rest = &rest[chunk..];
        loop {
            match decoder.decode(&mut buffer) {
                Ok(Some(_)) => continue,
                Ok(None) => break,
                Err(_) => return,
            }
        }
        assert!(buffer.capacity() <= 2 * (LENGTH_PREFIX_BYTES + FRAME_BYTES_MAX) + 64);
    }
    let _ = decoder.decode_eof(&mut buffer);
}

#[test]
fn random_garbage_never_panics_either_decoder() {
    let mut garbage = Garbage(0x6b76);
    for _ in 0..2000 {
        let length = garbage.below(300) as usize;
        let bytes = garbage.bytes(length);
        feed(&mut ServerCodec, &bytes, &mut garbage);
        feed(&mut ClientCodec, &bytes, &mut garbage);
    }
}

#[test]
fn mutated_frames_decode_to_errors_or_re_encode_to_the_same_bytes() {
    // Valid frames with a byte flipped, cut short or extended: a decoder either
    // refuses them or reads a message whose encoding is exactly those bytes.
    let mut garbage = Garbage(0x6d75);
    let small_requests: Vec<Request> = requests()
        .into_iter()
        .filter(|request| encode_request(request.clone()).len() < 512)
        .collect();
    for round in 0..3000 {
        let request = small_requests[round % small_requests.len()].clone();
        let mut wire = encode_request(request).to_vec();
        let at = garbage.below(wire.len() as u64) as usize;
        match garbage.below(3) {
            0 => wire[at] ^= 1 << garbage.below(8),
            1 => wire.truncate(at),
            _ => wire.insert(at, garbage.next() as u8),
        }
        let mut buffer = BytesMut::from(&wire[..]);
        if let Ok(Some(decoded)) = ServerCodec.decode(&mut buffer) {
            let consumed = wire.len() - buffer.len();
            assert_eq!(&encode_request(decoded)[..], &wire[..consumed]);
        }
    }
}
