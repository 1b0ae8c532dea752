//! The network provider: TCP listeners and streams.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

/// TCP: binding listeners and opening connections.
///
/// Streams implement tokio's `AsyncRead + AsyncWrite`, so `BufReader`,
/// `tokio_util::codec::Framed` and the like work on both providers.
pub trait NetworkProvider: Clone + Send + Sync + 'static {
    /// A connected stream.
    type TcpStream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static;
    /// A listening socket.
    type TcpListener: Listener<Stream = Self::TcpStream>;

    /// Binds a listener on `addr` (port 0 picks a free port).
    fn bind(&self, addr: SocketAddr) -> impl Future<Output = io::Result<Self::TcpListener>> + Send;

    /// Opens a connection to `addr`.
    ///
    /// # Cancellation
    ///
    /// Dropping the future abandons the attempt and closes its socket; a
    /// server that had already accepted the connection sees it close.
    fn connect(&self, addr: SocketAddr)
    -> impl Future<Output = io::Result<Self::TcpStream>> + Send;
}

/// A listening socket of a [`NetworkProvider`].
pub trait Listener: Send + Sync + 'static {
    /// The stream of an accepted connection.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static;

    /// Waits for the next connection; returns its stream and the peer's address.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a connection leaves the backlog only in the poll that
    /// returns it, so dropping a pending `accept` (the losing branch of a
    /// `select!`) loses no connection; the next `accept` gets it.
    fn accept(&self) -> impl Future<Output = io::Result<(Self::Stream, SocketAddr)>> + Send;

    /// The bound address.
    fn local_addr(&self) -> io::Result<SocketAddr>;
}
