//! `Connection`: one client connection of the server, on its own task.

use std::net::SocketAddr;
use std::time::Duration;

use bytes::BytesMut;
use futures_util::{SinkExt, StreamExt};
use tidepool_core::Shutdown;
use tidepool_core::providers::Providers;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder, Framed};

use crate::protocol::{
    FRAME_BYTES_MAX, KEY_BYTES_MAX, LENGTH_PREFIX_BYTES, MALFORMED_PREFIX, ProtocolError, Reply,
    Request, Response, ServerCodec,
};
use crate::store::Store;

/// How long an append to the write-ahead journal takes, in the planted bug
/// `lost_update_across_await` (the correct server keeps no journal).
const JOURNAL_APPEND_DELAY: Duration = Duration::from_millis(1);

/// How long an access-log append takes, in the planted bug
/// `get_rewrites_stale_value` (the correct server keeps no access log).
const ACCESS_LOG_APPEND_DELAY: Duration = Duration::from_millis(5);

/// Buffered requests answered as one batch, at most, in the planted bug
/// `pipelined_replies_reordered`.
const REORDERED_BATCH_MAX: usize = 16;

/// What one connection task knows: the store, the incarnation it answers
/// with, how long it waits for a request, the shutdown signal, its peer (for
/// logs), and the providers.
#[derive(Clone)]
pub(crate) struct Connection<P: Providers> {
    pub(crate) store: Store<P>,
    pub(crate) incarnation: u64,
    /// [`KvConfig::idle_timeout`](crate::KvConfig::idle_timeout).
    pub(crate) idle_timeout: Duration,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
    pub(crate) providers: P,
}

/// Why a connection ended without an error.
#[derive(Debug)]
enum End {
    PeerClosed,
    Shutdown,
    /// No request completed within the idle timeout.
    Idle,
}

impl<P: Providers> Connection<P> {
    /// Answers requests until the peer closes, the server shuts down, the
    /// peer completes no request within the idle timeout, or it breaks the
    /// protocol; then closes the connection. Returns whether the network cut
    /// the connection off (a read or a write failed).
    pub(crate) async fn serve<S>(self, stream: S) -> bool
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if self.store.bugs().one_read_one_request {
            self.serve_one_read_per_request(stream).await;
            return false;
        }
        let mut framed = Framed::new(stream, ServerCodec);
        let answered = self.answer(&mut framed).await;
        let cut_off = matches!(answered, Err(ProtocolError::Io(_)));
        match answered {
            Ok(End::PeerClosed) => tracing::debug!(peer = %self.peer, "peer closed"),
            Ok(End::Shutdown) if self.store.bugs().drain_acks_dropped_writes => {
                if let Err(error) = self.serve_while_draining(&mut framed).await {
                    tracing::debug!(peer = %self.peer, %error, "draining failed");
                }
            }
            Ok(End::Shutdown) => tracing::debug!(peer = %self.peer, "closed for shutdown"),
            Ok(End::Idle) => self.log_idle(framed.read_buffer().len()),
            Err(error) => {
                tracing::warn!(peer = %self.peer, %error, "closing connection");
            }
        }
        if let Err(error) = framed.close().await {
            tracing::debug!(peer = %self.peer, %error, "close failed");
        }
        cut_off
    }

    async fn answer<S>(&self, framed: &mut Framed<S, ServerCodec>) -> Result<End, ProtocolError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // Ends with the stream: every turn reads a request or ends.
        loop {
            let next = tidepool_core::select! {
                next = framed.next() => Some(next),
                () = self.shutdown.requested() => None,
                () = self.providers.sleep(self.idle_timeout) => return Ok(End::Idle),
            };
            match next {
                None => {
                    self.answer_buffered(framed).await?;
                    return Ok(End::Shutdown);
                }
                Some(None) => return Ok(End::PeerClosed),
                Some(Some(Ok(request))) if self.store.bugs().pipelined_replies_reordered => {
                    self.answer_reads_first(framed, request).await?;
                }
                Some(Some(Ok(request))) => framed.send(self.reply(request).await).await?,
                Some(Some(Err(error))) => {
                    self.refuse(framed, &error).await;
                    return Err(error);
                }
            }
        }
    }

    /// Says why an idle connection is closed: a peer that stalled in the middle
    /// of a request, with `buffered_bytes` of it read, may be holding slots on
    /// purpose.
    fn log_idle(&self, buffered_bytes: usize) {
        let (peer, idle_timeout) = (self.peer, self.idle_timeout);
        if buffered_bytes == 0 {
            tracing::debug!(%peer, ?idle_timeout, "no request within the idle timeout, closing");
        } else {
            tracing::warn!(
                %peer,
                ?idle_timeout,
                buffered_bytes,
                "a request stalled past the idle timeout, closing"
            );
        }
    }

    /// On shutdown: answers the requests already read into the buffer, reads
    /// no more.
    async fn answer_buffered<S>(
        &self,
        framed: &mut Framed<S, ServerCodec>,
    ) -> Result<(), ProtocolError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // Bounded by the buffer: each decoded request consumes its bytes.
        while let Some(request) = ServerCodec.decode(framed.read_buffer_mut())? {
            let reply = match request {
                Request::Set { .. } | Request::Delete { .. } if self.store.drain_skips_log() => {
                    self.answer_with(self.store.apply_in_memory_only(request))
                }
                request => self.reply(request).await,
            };
            framed.feed(reply).await?;
        }
        framed.flush().await
    }

    /// The planted bug `pipelined_replies_reordered`: `first` and the
    /// requests buffered behind it answered as a batch, its GETs first.
    async fn answer_reads_first<S>(
        &self,
        framed: &mut Framed<S, ServerCodec>,
        first: Request,
    ) -> Result<(), ProtocolError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut batch = vec![first];
        while batch.len() < REORDERED_BATCH_MAX {
            match ServerCodec.decode(framed.read_buffer_mut())? {
                Some(request) => batch.push(request),
                None => break,
            }
        }
        // Stable: the GETs keep their order, and so do the writes.
        batch.sort_by_key(|request| !matches!(request, Request::Get { .. }));
        for request in batch {
            framed.feed(self.reply(request).await).await?;
        }
        framed.flush().await
    }

    /// Tells a peer that broke the protocol why, when the connection still works.
    async fn refuse<S>(&self, framed: &mut Framed<S, ServerCodec>, error: &ProtocolError)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        if matches!(error, ProtocolError::Io(_)) {
            return;
        }
        let refusal = self.answer_with(Response::error(format!("{MALFORMED_PREFIX}{error}")));
        if let Err(error) = framed.send(refusal).await {
            tracing::debug!(peer = %self.peer, %error, "could not send the refusal");
        }
    }

    async fn reply(&self, request: Request) -> Reply {
        let bugs = self.store.bugs();
        let response = match request {
            request if bugs.key_limit_off_by_one && request.key().len() >= KEY_BYTES_MAX => {
                let length = request.key().len();
                Response::error(format!(
                    "key of {length} bytes exceeds the limit of {KEY_BYTES_MAX} bytes"
                ))
            }
            Request::Set { key, value } if bugs.lost_update_across_await => {
                let journal = self.providers.sleep(JOURNAL_APPEND_DELAY);
                self.store.set_through_copy(key, value, journal).await
            }
            Request::Get { key } if bugs.get_rewrites_stale_value => {
                let access_log = self.providers.sleep(ACCESS_LOG_APPEND_DELAY);
                self.store.get_then_rewrite(key, access_log).await
            }
            request => self.store.apply(request).await,
        };
        self.answer_with(response)
    }

    /// `response` in a reply, with the incarnation and the store id.
    fn answer_with(&self, response: Response) -> Reply {
        Reply {
            incarnation: self.incarnation,
            store_id: self.store.store_id(),
            response,
        }
    }

    /// The planted bug `drain_acks_dropped_writes`: after the shutdown signal,
    /// serves on until the peer leaves, and acknowledges SETs and DELETEs
    /// without applying them, since the data dies with the process anyway. A
    /// DELETE answers what the store holds, as the correct server would, so
    /// only the dropped writes themselves give the bug away.
    async fn serve_while_draining<S>(
        &self,
        framed: &mut Framed<S, ServerCodec>,
    ) -> Result<(), ProtocolError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // Ends with the stream, or when the process is killed at the end of
        // its grace period.
        while let Some(request) = framed.next().await.transpose()? {
            let response = match request {
                Request::Get { .. } => self.reply(request).await.response,
                Request::Set { .. } => Response::Ok,
                Request::Delete { key } if self.store.contains(&key) => Response::Ok,
                Request::Delete { .. } => Response::NotFound,
            };
            framed.send(self.answer_with(response)).await?;
        }
        Ok(())
    }

    /// The planted bug `one_read_one_request`: a hand-rolled loop that takes
    /// each read for one whole request, and refuses a request that arrives
    /// split across reads.
    async fn serve_one_read_per_request<S>(&self, mut stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut request_bytes = BytesMut::with_capacity(LENGTH_PREFIX_BYTES + FRAME_BYTES_MAX);
        let mut reply_bytes = BytesMut::new();
        // Ends with the stream, the shutdown signal or the first refusal.
        loop {
            request_bytes.clear();
            let read = tidepool_core::select! {
                read = stream.read_buf(&mut request_bytes) => read,
                () = self.shutdown.requested() => return,
                () = self.providers.sleep(self.idle_timeout) => return self.log_idle(0),
            };
            if !matches!(read, Ok(count) if count > 0) {
                return;
            }
            let (reply, refused) = match ServerCodec.decode(&mut request_bytes) {
                Ok(Some(request)) => (self.reply(request).await, false),
                Ok(None) => (self.refusal("frame cut short"), true),
                Err(error) => (self.refusal(&error.to_string()), true),
            };
            reply_bytes.clear();
            let encoded = ServerCodec.encode(reply, &mut reply_bytes);
            if encoded.is_err() || stream.write_all(&reply_bytes).await.is_err() || refused {
                return;
            }
        }
    }

    fn refusal(&self, why: &str) -> Reply {
        self.answer_with(Response::error(format!("{MALFORMED_PREFIX}{why}")))
    }
}
