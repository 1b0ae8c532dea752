//! `TcpStream`: one end of a simulated connection.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::model::reset_error;
use crate::sim::context::{try_with_world, with_world};
use crate::sim::world::World;

/// One end of a simulated TCP connection: an ordered, reliable byte stream.
///
/// It implements tokio's `AsyncRead` and `AsyncWrite`, so `BufReader`,
/// `tokio_util::codec::Framed` and the rest work unchanged. Dropping it closes
/// the connection gracefully (the peer reads EOF); killing its process resets it
/// (the peer's next read or write fails with `ConnectionReset`).
#[derive(Debug)]
pub struct TcpStream {
    world: u64,
    conn: u32,
    /// The generation of the connection's slot: once the slot is freed (this
    /// end's host was killed, the peer is gone), the stream finds it changed.
    generation: u32,
    end: u8,
    local: SocketAddr,
    peer: SocketAddr,
}

impl TcpStream {
    pub(crate) fn new(
        world: u64,
        (conn, generation): (u32, u32),
        end: u8,
        local: SocketAddr,
        peer: SocketAddr,
    ) -> TcpStream {
        TcpStream {
            world,
            conn,
            generation,
            end,
            local,
            peer,
        }
    }

    /// This end's address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// The other end's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.peer)
    }

    /// Whether the stream's connection is still there; panics when the
    /// stream comes from another world.
    fn check_world(&self, world: &World) -> bool {
        assert!(
            world.id == self.world,
            "tidepool: a TcpStream was used in another simulation than the one that made it"
        );
        world.net.holds(self.conn, self.generation)
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        with_world("TcpStream::poll_read", |world| {
            if !self.check_world(world) {
                return Poll::Ready(Err(reset_error()));
            }
            match world.net_read(self.conn, self.end as usize, buf, cx.waker()) {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            }
        })
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        with_world("TcpStream::poll_write", |world| {
            if !self.check_world(world) {
                return Poll::Ready(Err(reset_error()));
            }
            match world.net_write(self.conn, self.end as usize, data, cx.waker()) {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            }
        })
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Writes go to the wire at once; there is nothing to flush.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        with_world("TcpStream::poll_shutdown", |world| {
            if !self.check_world(world) {
                return Poll::Ready(Err(reset_error()));
            }
            Poll::Ready(world.net_shutdown(self.conn, self.end as usize))
        })
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        try_with_world(|world| {
            if world.id == self.world && world.net.holds(self.conn, self.generation) {
                world.net_close(self.conn, self.end as usize);
            }
        });
    }
}
