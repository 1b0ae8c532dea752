//! `TcpListener`: accepting connections on a simulated host.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::Poll;

use super::TcpStream;
use crate::sim::context::{try_with_world, with_world};
use crate::sim::world::World;

/// A listening socket on a simulated host.
///
/// Connections that arrive before `accept` is called wait in its backlog
/// (`NetworkConfig::accept_backlog` of them), none lost. Dropping the listener
/// resets the connections still queued.
#[derive(Debug)]
pub struct TcpListener {
    world: u64,
    host: u32,
    id: u64,
    local: SocketAddr,
}

/// Binds a listener on the calling task's host.
///
/// The address's IP must be the host's own or unspecified (`0.0.0.0`); port 0
/// picks a free port.
///
/// # Errors
///
/// `AddrInUse` when the port is taken; `AddrNotAvailable` when the IP belongs to
/// another host.
///
/// # Panics
///
/// Outside a running simulation.
pub async fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    with_world("bind", |world| {
        let (host, own_ip) = world.bind_host(addr)?;
        let port = match addr.port() {
            0 => world.net.ephemeral_port(host),
            port => port,
        };
        if world.net.listeners.contains_key(&(host, port)) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("cannot bind {own_ip}:{port}: address already in use"),
            ));
        }
        let id = world.net.add_listener(host, port);
        Ok(TcpListener {
            world: world.id,
            host,
            id,
            local: SocketAddr::new(own_ip, port),
        })
    })
}

impl TcpListener {
    /// Waits for the next connection; returns its stream and the peer's address.
    ///
    /// # Errors
    ///
    /// `NotConnected` when the listener's host was killed.
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| {
            with_world("TcpListener::accept", |world| {
                assert!(
                    world.id == self.world,
                    "tidepool: a TcpListener was used in another simulation than the one that made it"
                );
                let port = self.local.port();
                match world.net.listeners.get(&(self.host, port)) {
                    Some(listener) if listener.id == self.id => {}
                    _ => {
                        return Poll::Ready(Err(io::Error::new(
                            io::ErrorKind::NotConnected,
                            "listener closed: its host went down",
                        )));
                    }
                }
                let Some(conn) = world.poll_accept(self.host, port, cx.waker()) else {
                    return Poll::Pending;
                };
                let entry = &world.net.conns[conn as usize];
                let (peer, generation) = (entry.addrs[0], entry.generation);
                let stream = TcpStream::new(world.id, (conn, generation), 1, self.local, peer);
                Poll::Ready(Ok((stream, peer)))
            })
        })
        .await
    }

    /// The address the listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        try_with_world(|world| {
            if world.id == self.world {
                world.close_listener(self.host, self.local.port(), self.id);
            }
        });
    }
}

impl World {
    /// The calling task's host and its address, for binding `addr`: whose IP
    /// must be the host's own or unspecified (`0.0.0.0`).
    pub(super) fn bind_host(&self, addr: SocketAddr) -> io::Result<(u32, std::net::IpAddr)> {
        let host = self.current_host();
        let own_ip = self.hosts.get(host).ip;
        if !addr.ip().is_unspecified() && addr.ip() != own_ip {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "cannot bind {addr}: host '{}' has address {own_ip}",
                    self.hosts.name(host)
                ),
            ));
        }
        Ok((host, own_ip))
    }
}

/// Opens a connection from the calling task's host to `addr`.
///
/// # Errors
///
/// `ConnectionRefused` when nothing listens there, the host is down (under
/// `DeadHostConnect::Refuse`) or a connect fault fires; `TimedOut` when no host
/// has that address, a partition separates the hosts, or the host is down under
/// `DeadHostConnect::Hang`.
///
/// # Panics
///
/// Outside a running simulation.
pub async fn connect(addr: SocketAddr) -> io::Result<TcpStream> {
    let (world_id, conn, generation, local) = with_world("connect", |world| {
        let host = world.current_host();
        let local = SocketAddr::new(world.hosts.get(host).ip, world.net.ephemeral_port(host));
        let conn = world.net_connect(host, local, addr);
        let generation = world.net.conns[conn as usize].generation;
        (world.id, conn, generation, local)
    });
    let guard = ConnectGuard {
        world: world_id,
        conn,
        generation,
        armed: true,
    };
    let result = poll_fn(|cx| {
        with_world("connect", |world| {
            match world.poll_connect(conn, cx.waker()) {
                Some(result) => Poll::Ready(result),
                None => Poll::Pending,
            }
        })
    })
    .await;
    let mut guard = guard;
    guard.armed = false;
    match result {
        Ok(()) => Ok(TcpStream::new(world_id, (conn, generation), 0, local, addr)),
        Err(kind) => Err(io::Error::new(
            kind,
            format!("connect to {addr}: {}", describe(kind)),
        )),
    }
}

fn describe(kind: io::ErrorKind) -> &'static str {
    match kind {
        io::ErrorKind::ConnectionRefused => "connection refused",
        io::ErrorKind::TimedOut => "timed out: no answer",
        io::ErrorKind::ConnectionReset => "connection reset",
        _ => "failed",
    }
}

/// Closes a connection whose `connect` future was dropped before its answer.
struct ConnectGuard {
    world: u64,
    conn: u32,
    /// The slot's generation: a slot freed since (its host killed) and
    /// reused by another connection is not this attempt's to close.
    generation: u32,
    armed: bool,
}

impl Drop for ConnectGuard {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        try_with_world(|world| {
            if world.id == self.world && world.net.holds(self.conn, self.generation) {
                world.net_close(self.conn, 0);
            }
        });
    }
}
