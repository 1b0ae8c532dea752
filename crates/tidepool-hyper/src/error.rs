//! `ClientError`: why an HTTP request over the providers got no response.

use std::io;
use std::net::SocketAddr;

/// Why a request sent by [`Http1Client`](crate::Http1Client) or
/// [`Http2Channel`](crate::Http2Channel) got no response.
///
/// A request may have reached the server and taken effect before any of
/// these: a client that must know retries with an idempotent request, or asks.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The connection could not be opened (refused, unreachable, reset).
    #[error("connecting to {address} failed: {source}")]
    Connect {
        /// The server's address.
        address: SocketAddr,
        /// The network's error.
        source: io::Error,
    },
    /// The connection opened but HTTP could not start on it (the server
    /// speaks another protocol, or closed it).
    #[error("HTTP handshake with {address} failed: {source}")]
    Handshake {
        /// The server's address.
        address: SocketAddr,
        /// hyper's error.
        source: hyper::Error,
    },
    /// The request was sent, or was being sent, when the connection failed.
    #[error("request to {address} failed: {source}")]
    Request {
        /// The server's address.
        address: SocketAddr,
        /// hyper's error.
        source: hyper::Error,
    },
}
