//! The network provider: TCP listeners and streams, UDP sockets, name lookups.

use std::future::Future;
use std::io;
use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncWrite};

/// TCP (binding listeners, opening connections), UDP (datagram sockets) and
/// name lookups.
///
/// Streams implement tokio's `AsyncRead + AsyncWrite`, so `BufReader`,
/// `tokio_util::codec::Framed` and the like work on both providers.
pub trait NetworkProvider: Clone + Send + Sync + 'static {
    /// A connected stream.
    type TcpStream: AsyncRead + AsyncWrite + Unpin + Send + Sync + 'static;
    /// A listening socket.
    type TcpListener: Listener<Stream = Self::TcpStream>;
    /// A UDP socket.
    type UdpSocket: DatagramSocket;

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

    /// Binds a UDP socket on `addr` (port 0 picks a free port).
    ///
    /// In a simulation, datagrams cross the simulated network: each takes its
    /// own latency (so they may arrive out of order), and a datagram may be
    /// lost or duplicated at the network's rates, dropped by a partition or a
    /// clog, or refused at send when larger than its maximum size.
    fn bind_udp(
        &self,
        addr: SocketAddr,
    ) -> impl Future<Output = io::Result<Self::UdpSocket>> + Send;

    /// The addresses of `host` (a host name, or an IP address literal), each
    /// with `port`.
    ///
    /// In a simulation, a name is a host's name: a process group's name and
    /// its 1-based index (`kv-1`), a workload's `NAME-CLIENT`; `localhost` is
    /// the calling host. On tokio it is the system resolver. An unknown name
    /// fails as a real lookup does: an error whose message starts with
    /// `failed to lookup address information`.
    fn lookup_host(
        &self,
        host: &str,
        port: u16,
    ) -> impl Future<Output = io::Result<Vec<SocketAddr>>> + Send;
}

/// A UDP socket of a [`NetworkProvider`].
pub trait DatagramSocket: Send + Sync + 'static {
    /// Sends `buf` as one datagram to `target`; returns its length.
    ///
    /// As with real UDP, success means only that the datagram left: it may
    /// never arrive.
    fn send_to(
        &self,
        buf: &[u8],
        target: SocketAddr,
    ) -> impl Future<Output = io::Result<usize>> + Send;

    /// Waits for the next datagram; copies it into `buf` (the rest of a
    /// longer datagram is lost, as with real UDP) and returns the bytes
    /// copied and the sender's address.
    ///
    /// # Cancellation
    ///
    /// Cancel-safe: a datagram leaves the queue only in the poll that returns it.
    fn recv_from(
        &self,
        buf: &mut [u8],
    ) -> impl Future<Output = io::Result<(usize, SocketAddr)>> + Send;

    /// The bound address.
    fn local_addr(&self) -> io::Result<SocketAddr>;
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
