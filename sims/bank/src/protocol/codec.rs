//! `LineCodec`: lines of bounded length, a malformed one handed over as an
//! item rather than ending the stream.

use bytes::BytesMut;
use tokio_util::codec::{Decoder, Encoder, LinesCodec, LinesCodecError};

/// The longest line either side reads, in bytes, newline excluded.
pub const LINE_BYTES_MAX: usize = 256;

/// A line, or why the bytes up to the next newline are not one.
pub type Line = Result<String, LineError>;

/// Bytes that are not a line of the protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineError {
    /// More than [`LINE_BYTES_MAX`] bytes without a newline; the rest of the
    /// line is skipped.
    #[error("line longer than {LINE_BYTES_MAX} bytes")]
    TooLong,
    /// A line that is not UTF-8.
    #[error("line is not UTF-8")]
    NotUtf8,
}

/// Splits a stream into lines of at most [`LINE_BYTES_MAX`] bytes, and hands
/// a malformed line to its reader as a [`LineError`] item instead of ending
/// the stream, so that a server answers it and reads on.
#[derive(Debug)]
pub struct LineCodec {
    lines: LinesCodec,
}

impl LineCodec {
    /// A codec for lines of up to [`LINE_BYTES_MAX`] bytes.
    pub fn new() -> LineCodec {
        LineCodec {
            lines: LinesCodec::new_with_max_length(LINE_BYTES_MAX),
        }
    }
}

impl Default for LineCodec {
    fn default() -> LineCodec {
        LineCodec::new()
    }
}

impl Decoder for LineCodec {
    type Item = Line;
    type Error = std::io::Error;

    fn decode(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        lift(self.lines.decode(buf))
    }

    fn decode_eof(&mut self, buf: &mut BytesMut) -> Result<Option<Line>, std::io::Error> {
        lift(self.lines.decode_eof(buf))
    }
}

impl<T: AsRef<str>> Encoder<T> for LineCodec {
    type Error = std::io::Error;

    fn encode(&mut self, line: T, buf: &mut BytesMut) -> Result<(), std::io::Error> {
        self.lines.encode(line, buf).map_err(into_io)
    }
}

/// Turns the codec's per-line errors into items; only I/O errors end a stream.
fn lift(decoded: Result<Option<String>, LinesCodecError>) -> Result<Option<Line>, std::io::Error> {
    match decoded {
        Ok(line) => Ok(line.map(Ok)),
        Err(LinesCodecError::MaxLineLengthExceeded) => Ok(Some(Err(LineError::TooLong))),
        Err(LinesCodecError::Io(error)) if error.kind() == std::io::ErrorKind::InvalidData => {
            Ok(Some(Err(LineError::NotUtf8)))
        }
        Err(LinesCodecError::Io(error)) => Err(error),
    }
}

fn into_io(error: LinesCodecError) -> std::io::Error {
    match error {
        LinesCodecError::Io(error) => error,
        LinesCodecError::MaxLineLengthExceeded => {
            std::io::Error::new(std::io::ErrorKind::InvalidInput, "line too long")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_codec_hands_malformed_lines_over_and_reads_on() {
        let mut codec = LineCodec::new();
        let mut buf = BytesMut::new();
        buf.extend_from_slice(&[b'x'; LINE_BYTES_MAX + 10]);
        buf.extend_from_slice(b"\n\xff\xfe\ntotal\n");
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Err(LineError::TooLong))
        );
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Err(LineError::NotUtf8))
        );
        assert_eq!(
            codec.decode(&mut buf).unwrap(),
            Some(Ok("total".to_string()))
        );
        assert_eq!(codec.decode(&mut buf).unwrap(), None);
    }
}
