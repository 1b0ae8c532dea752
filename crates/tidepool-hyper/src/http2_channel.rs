//! `Http2Channel`: an HTTP/2 connection the providers open, kept and
//! reopened as needed, as a tower service; a tonic client's channel.

use std::fmt;
use std::future::Future;
use std::marker::PhantomData;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http2::SendRequest;
use hyper_util::rt::TokioIo;
use tidepool_core::providers::Providers;
use tokio::sync::Mutex;

use crate::{BoxError, ClientError, ProvidersExecutor};

/// The name of the task that drives a channel's connection.
pub const CHANNEL_TASK_NAME: &str = "http2-channel";

/// A tower service that sends each request over one HTTP/2 connection to
/// `address`, opened with the providers on the first request and opened
/// again on the next request after it fails: what a tonic client needs,
/// without tonic's `transport` (which would reach the OS's sockets and clock
/// itself).
///
/// Cloning is cheap and the clones share the connection; requests on it are
/// multiplexed. It has no timeout and no retry of its own: bound a call with
/// the providers'
/// [`TimeProvider::timeout`](tidepool_core::providers::TimeProvider::timeout)
/// (which drops it, resetting its stream), and retry in the caller where the
/// call is idempotent. A request whose URI has no scheme or authority (as a
/// tonic client sends them) is sent to `http://address` with its path.
///
/// # Examples
///
/// A tonic client over a channel (`CounterClient` stands for the client code
/// tonic generates for a service):
///
/// ```ignore
/// let channel = Http2Channel::new(ctx.providers().clone(), peer_address);
/// let mut client = CounterClient::new(channel);
/// let reply = ctx.timeout(Duration::from_millis(500), client.add(AddRequest { by: 1 })).await;
/// ```
pub struct Http2Channel<P, B> {
    providers: P,
    address: SocketAddr,
    sender: Arc<Mutex<Option<SendRequest<B>>>>,
    body: PhantomData<fn(B)>,
}

impl<P: Clone, B> Clone for Http2Channel<P, B> {
    fn clone(&self) -> Self {
        Http2Channel {
            providers: self.providers.clone(),
            address: self.address,
            sender: Arc::clone(&self.sender),
            body: PhantomData,
        }
    }
}

impl<P, B> fmt::Debug for Http2Channel<P, B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Http2Channel")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl<P, B> Http2Channel<P, B>
where
    P: Providers,
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    /// A channel to the server at `address`; nothing is connected until the
    /// first request.
    pub fn new(providers: P, address: SocketAddr) -> Http2Channel<P, B> {
        Http2Channel {
            providers,
            address,
            sender: Arc::new(Mutex::new(None)),
            body: PhantomData,
        }
    }

    /// The server's address.
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Sends `request` and returns the response, whose body streams from the
    /// connection.
    ///
    /// # Errors
    ///
    /// A [`ClientError`]; the next request opens a new connection.
    pub async fn send(&self, mut request: Request<B>) -> Result<Response<Incoming>, ClientError> {
        let address = self.address;
        let mut sender = self.sender().await?;
        if request.uri().authority().is_none() {
            *request.uri_mut() = absolute_uri(address, request.uri());
        }
        let sent = match sender.ready().await {
            Ok(()) => sender.send_request(request).await,
            Err(error) => Err(error),
        };
        match sent {
            Ok(response) => Ok(response),
            Err(source) => {
                self.forget_closed().await;
                Err(ClientError::Request { address, source })
            }
        }
    }

    /// The connection's sender, after opening the connection if there is
    /// none or it closed.
    async fn sender(&self) -> Result<SendRequest<B>, ClientError> {
        let mut slot = self.sender.lock().await;
        if let Some(sender) = slot.as_ref().filter(|sender| !sender.is_closed()) {
            return Ok(sender.clone());
        }
        *slot = None;
        let address = self.address;
        let stream = self
            .providers
            .connect(address)
            .await
            .map_err(|source| ClientError::Connect { address, source })?;
        let executor = ProvidersExecutor::new(self.providers.clone());
        let (sender, connection) = hyper::client::conn::http2::Builder::new(executor)
            .handshake(TokioIo::new(stream))
            .await
            .map_err(|source| ClientError::Handshake { address, source })?;
        drop(self.providers.spawn(CHANNEL_TASK_NAME, async move {
            if let Err(error) = connection.await {
                tracing::debug!(%address, %error, "channel connection ended with an error");
            }
        }));
        *slot = Some(sender.clone());
        Ok(sender)
    }

    /// Drops the channel's connection when it has closed, so that the next
    /// request opens another (a request that failed on an open connection,
    /// e.g. one the server refused, leaves it in place).
    async fn forget_closed(&self) {
        let mut slot = self.sender.lock().await;
        if slot.as_ref().is_some_and(SendRequest::is_closed) {
            *slot = None;
        }
    }
}

/// `uri`'s path and query on `http://address`.
fn absolute_uri(address: SocketAddr, uri: &Uri) -> Uri {
    let path = uri.path_and_query().map_or("/", |path| path.as_str());
    format!("http://{address}{path}")
        .parse()
        .expect("an address and a valid path make a valid URI")
}

impl<P, B> tower_service::Service<Request<B>> for Http2Channel<P, B>
where
    P: Providers,
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: Into<BoxError>,
{
    type Response = Response<Incoming>;
    type Error = ClientError;
    type Future = Pin<Box<dyn Future<Output = Result<Response<Incoming>, ClientError>> + Send>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ClientError>> {
        // Readiness is the connection's, checked per request in `send`: a
        // channel with no connection yet must accept the request that opens it.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let channel = self.clone();
        Box::pin(async move { channel.send(request).await })
    }
}
