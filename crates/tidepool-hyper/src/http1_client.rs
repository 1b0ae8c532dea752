//! `Http1Client`: HTTP/1.1 requests over connections the providers open.

use std::net::SocketAddr;

use bytes::Bytes;
use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tidepool_core::providers::Providers;

use crate::{BoxError, ClientError};

/// The name of the task that drives one client connection.
pub const CLIENT_CONNECTION_TASK_NAME: &str = "http-client-connection";

/// Sends HTTP/1.1 requests, each on a connection of its own that the
/// providers open (a simulated one in a simulation, a TCP socket on tokio).
///
/// One connection per request keeps every request independent of the others'
/// faults, at the cost of a handshake each; it has no pool and no timeout of
/// its own: bound a call with the providers'
/// [`TimeProvider::timeout`](tidepool_core::providers::TimeProvider::timeout).
/// The request's URI needs only a path; the client sets a `Host` header
/// from the address when the request has none.
///
/// See [`HttpServer`](crate::HttpServer) for an example.
#[derive(Clone, Debug)]
pub struct Http1Client<P> {
    providers: P,
}

impl<P: Providers> Http1Client<P> {
    /// A client that connects with `providers`.
    pub fn new(providers: P) -> Http1Client<P> {
        Http1Client { providers }
    }

    /// Sends `request` to the server at `address` and returns its response,
    /// whose body streams from the connection.
    ///
    /// # Errors
    ///
    /// A [`ClientError`]: the connection was refused or lost, or the server
    /// did not speak HTTP/1.1.
    ///
    /// # Cancellation
    ///
    /// Dropping the future closes the connection; the server may or may not
    /// have received the request.
    pub async fn send<B>(
        &self,
        address: SocketAddr,
        mut request: Request<B>,
    ) -> Result<Response<Incoming>, ClientError>
    where
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let stream = self
            .providers
            .connect(address)
            .await
            .map_err(|source| ClientError::Connect { address, source })?;
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|source| ClientError::Handshake { address, source })?;
        // The connection ends when the response's body is read (or dropped)
        // and `sender` is gone.
        drop(
            self.providers
                .spawn(CLIENT_CONNECTION_TASK_NAME, async move {
                    if let Err(error) = connection.await {
                        tracing::debug!(%error, "client connection ended with an error");
                    }
                }),
        );
        if !request.headers().contains_key(http::header::HOST) {
            let host = http::HeaderValue::from_str(&address.to_string())
                .expect("a socket address is a valid header value");
            request.headers_mut().insert(http::header::HOST, host);
        }
        sender
            .send_request(request)
            .await
            .map_err(|source| ClientError::Request { address, source })
    }
}
