//! `Connection`: one client connection of the server, on its own task.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tidepool::Shutdown;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio_util::codec::{Decoder, Framed};

use crate::protocol::{ProtocolError, Reply, Request, Response, ServerCodec};
use crate::store::Store;

/// What one connection task knows: the store, the incarnation it answers
/// with, the shutdown signal, and its peer (for logs).
#[derive(Clone, Debug)]
pub(crate) struct Connection {
    pub(crate) store: Store,
    pub(crate) incarnation: u64,
    pub(crate) shutdown: Shutdown,
    pub(crate) peer: SocketAddr,
}

/// Why a connection ended without an error.
#[derive(Debug)]
enum End {
    PeerClosed,
    Shutdown,
}

impl Connection {
    /// Answers requests until the peer closes, the server shuts down, or the
    /// peer breaks the protocol; then closes the connection.
    pub(crate) async fn serve<S>(self, stream: S)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut framed = Framed::new(stream, ServerCodec);
        match self.answer(&mut framed).await {
            Ok(End::PeerClosed) => tracing::debug!(peer = %self.peer, "peer closed"),
            Ok(End::Shutdown) => tracing::debug!(peer = %self.peer, "closed for shutdown"),
            Err(error) => {
                tracing::warn!(peer = %self.peer, %error, "closing connection");
            }
        }
        if let Err(error) = framed.close().await {
            tracing::debug!(peer = %self.peer, %error, "close failed");
        }
    }

    async fn answer<S>(&self, framed: &mut Framed<S, ServerCodec>) -> Result<End, ProtocolError>
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        // Ends with the stream: every turn reads a request or ends.
        loop {
            let next = tidepool::select! {
                next = framed.next() => Some(next),
                () = self.shutdown.requested() => None,
            };
            match next {
                None => {
                    self.answer_buffered(framed).await?;
                    return Ok(End::Shutdown);
                }
                Some(None) => return Ok(End::PeerClosed),
                Some(Some(Ok(request))) => framed.send(self.reply(request)).await?,
                Some(Some(Err(error))) => {
                    self.refuse(framed, &error).await;
                    return Err(error);
                }
            }
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
            framed.feed(self.reply(request)).await?;
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
        let refusal = Reply {
            incarnation: self.incarnation,
            response: Response::error(format!("malformed request: {error}")),
        };
        if let Err(error) = framed.send(refusal).await {
            tracing::debug!(peer = %self.peer, %error, "could not send the refusal");
        }
    }

    fn reply(&self, request: Request) -> Reply {
        Reply {
            incarnation: self.incarnation,
            response: self.store.apply(request),
        }
    }
}
