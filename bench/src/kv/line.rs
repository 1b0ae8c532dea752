//! Reading `\n`-terminated lines from a stream into one reused buffer.

use std::io;

use tokio::io::{AsyncRead, AsyncReadExt};

/// Room made for each read from the stream, at least.
const READ_BYTES_MIN: usize = 256;
/// The longest line accepted, newline included.
pub const LINE_BYTES_MAX: usize = 64 * 1024;

/// A line reader over a stream, keeping what followed the last line.
#[derive(Default)]
pub struct LineReader {
    buf: Vec<u8>,
    /// Start of the bytes not yet handed out.
    start: usize,
    /// End of the bytes read.
    end: usize,
}

impl LineReader {
    /// The next line without its newline; `None` at the end of the stream
    /// (a last line without a newline is dropped: a peer that closed
    /// mid-line sent no whole request).
    ///
    /// # Errors
    ///
    /// The stream's, or `InvalidData` when a line passes [`LINE_BYTES_MAX`].
    pub async fn next_line<R: AsyncRead + Unpin>(
        &mut self,
        stream: &mut R,
    ) -> io::Result<Option<&[u8]>> {
        // Bytes after `start` already known to hold no newline.
        let mut searched = 0;
        loop {
            let unread = &self.buf[self.start + searched..self.end];
            if let Some(offset) = unread.iter().position(|&byte| byte == b'\n') {
                let line = self.start..self.start + searched + offset;
                self.start = line.end + 1;
                return Ok(Some(&self.buf[line]));
            }
            searched = self.end - self.start;
            if searched >= LINE_BYTES_MAX {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("a line longer than {LINE_BYTES_MAX} bytes"),
                ));
            }
            self.make_room();
            let read = stream.read(&mut self.buf[self.end..]).await?;
            if read == 0 {
                return Ok(None);
            }
            self.end += read;
        }
    }

    /// Moves the unread bytes to the front, and grows the buffer when less
    /// than [`READ_BYTES_MIN`] is free after them.
    fn make_room(&mut self) {
        self.buf.copy_within(self.start..self.end, 0);
        self.end -= self.start;
        self.start = 0;
        if self.buf.len() - self.end < READ_BYTES_MIN {
            let grown = self.end + READ_BYTES_MIN.max(self.buf.len());
            self.buf.resize(grown, 0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Lines split across reads and several lines in one read come out
    /// whole and in order; a trailing partial line is dropped at the end.
    #[tokio::test(flavor = "current_thread")]
    async fn lines_come_out_whole() {
        let (mut client, mut server) = tokio::io::duplex(4);
        let writer = async move {
            use tokio::io::AsyncWriteExt;
            client.write_all(b"SET a b\nGET a\nDEL ab").await.unwrap();
        };
        let reader = async move {
            let mut lines = LineReader::default();
            let mut got = Vec::new();
            while let Some(line) = lines.next_line(&mut server).await.unwrap() {
                got.push(line.to_vec());
            }
            got
        };
        let ((), got) = tokio::join!(writer, reader);
        assert_eq!(got, vec![b"SET a b".to_vec(), b"GET a".to_vec()]);
    }

    /// A line longer than the limit is refused, not buffered forever.
    #[tokio::test(flavor = "current_thread")]
    async fn an_endless_line_is_refused() {
        let long = vec![b'x'; LINE_BYTES_MAX + 10];
        let mut stream = &long[..];
        let mut lines = LineReader::default();
        let error = lines.next_line(&mut stream).await.unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
    }
}
