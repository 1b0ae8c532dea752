//! Serving a line protocol: accepting until shutdown, one task per
//! connection, answers in order, a bounded drain. Both the account servers
//! and the coordinator serve through it.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tidepool::Shutdown;
use tidepool::prelude::*;
use tidepool::providers::{ListenerOf, StreamOf};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_util::codec::Framed;

use crate::protocol::{LineCodec, error_reply};

/// What a server answers: one reply line per request line.
pub trait LineService: Send + Sync + 'static {
    /// The reply to `line`. Every line gets one, `error <why>` included.
    fn answer(&self, line: String) -> impl Future<Output = String> + Send;
}

/// The bounds of a server's connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServeLimits {
    /// Connections open at once; one more is closed on accept.
    pub connections_max: usize,
    /// How long a connection may wait for a whole line before it is closed.
    pub idle_timeout: Duration,
    /// How long a graceful shutdown waits for open connections to finish.
    pub shutdown_grace: Duration,
    /// How long to wait after a failed accept before the next.
    pub accept_retry_delay: Duration,
}

impl Default for ServeLimits {
    fn default() -> ServeLimits {
        ServeLimits {
            connections_max: 64,
            idle_timeout: Duration::from_secs(30),
            shutdown_grace: Duration::from_secs(1),
            accept_retry_delay: Duration::from_millis(100),
        }
    }
}

/// Serves `service` on `listener` until shutdown is requested, then waits up
/// to `limits.shutdown_grace` for the open connections to finish.
pub async fn serve<P, S>(
    ctx: &ProcessContext<P>,
    listener: ListenerOf<P>,
    service: Arc<S>,
    limits: ServeLimits,
) where
    P: Providers,
    S: LineService,
{
    let connections_max = limits.connections_max.clamp(1, Semaphore::MAX_PERMITS);
    let connections = Arc::new(Semaphore::new(connections_max));
    // Ends with the shutdown signal.
    loop {
        let accepted = tidepool::select! {
            accepted = listener.accept() => Some(accepted),
            () = ctx.shutdown().requested() => None,
        };
        match accepted {
            None => break,
            Some(Ok((stream, peer))) => {
                let Ok(permit) = connections.clone().try_acquire_owned() else {
                    tracing::warn!(%peer, connections_max, "too many connections; closing");
                    continue;
                };
                let connection = Connection {
                    providers: ctx.providers().clone(),
                    service: service.clone(),
                    shutdown: ctx.shutdown().clone(),
                    idle_timeout: limits.idle_timeout,
                    peer,
                };
                let _detached = ctx.spawn("connection", connection.run(stream, permit));
            }
            Some(Err(error)) => {
                tracing::warn!(%error, "accept failed");
                ctx.sleep(limits.accept_retry_delay).await;
            }
        }
    }
    drop(listener);
    let all = u32::try_from(connections_max).expect("connections_max is clamped");
    let closed = ctx
        .providers()
        .time()
        .timeout(limits.shutdown_grace, connections.acquire_many(all))
        .await;
    if closed.is_err() {
        tracing::warn!(grace = ?limits.shutdown_grace, "shutdown grace ran out with connections open");
    }
}

/// One accepted connection.
struct Connection<P, S> {
    providers: P,
    service: Arc<S>,
    shutdown: Shutdown,
    idle_timeout: Duration,
    peer: SocketAddr,
}

impl<P: Providers, S: LineService> Connection<P, S> {
    /// Answers lines in order until the peer closes, the line is idle too
    /// long, or shutdown is requested between two requests. A request being
    /// answered is always finished: a transfer is never dropped half done.
    async fn run(self, stream: StreamOf<P>, _permit: OwnedSemaphorePermit) {
        let mut framed = Framed::new(stream, LineCodec::new());
        // Each turn reads a line or ends.
        loop {
            let next = tidepool::select! {
                next = framed.next() => next,
                () = self.shutdown.requested() => return,
                () = self.providers.sleep(self.idle_timeout) => return,
            };
            let reply = match next {
                None => return,
                Some(Err(error)) => {
                    tracing::debug!(peer = %self.peer, %error, "connection failed");
                    return;
                }
                Some(Ok(Ok(line))) => self.service.answer(line).await,
                Some(Ok(Err(malformed))) => error_reply(malformed),
            };
            if framed.send(reply).await.is_err() {
                return;
            }
        }
    }
}
