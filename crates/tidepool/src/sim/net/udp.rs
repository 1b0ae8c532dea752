//! UDP: datagram sockets on simulated hosts.
//!
//! A datagram crosses the network on its own: it takes a latency drawn for it
//! (so two datagrams may arrive in the other order), may be lost or
//! duplicated at the network's rates while faults are active, and is dropped
//! when a partition or a clog blocks its link as it arrives, when nothing is
//! bound at its target, or when the target's receive buffer is full.

use std::collections::{BTreeMap, VecDeque};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::task::{Poll, Waker};

use crate::sim::context::{try_with_world, with_world};
use crate::sim::events::EventKind;
use crate::sim::trace::{TraceKind, digest};
use crate::sim::world::World;

use super::model::fault_code;

/// Bytes of datagrams a socket holds unread before it drops arrivals (Linux's
/// default receive buffer is about this size).
pub const RECEIVE_BUFFER_BYTES: usize = 256 * 1024;

/// The first port `bind_udp` picks for port 0.
const EPHEMERAL_PORT_FIRST: u16 = 40_000;

/// Datagram sockets and datagrams in flight.
#[derive(Default)]
pub(crate) struct Udp {
    /// Bound sockets by (host, port).
    sockets: BTreeMap<(u32, u16), Socket>,
    next_socket_id: u64,
    /// Datagrams in flight by slot; freed slots are reused.
    in_flight: Vec<Option<Datagram>>,
    free: Vec<u32>,
    next_port: BTreeMap<u32, u16>,
}

struct Socket {
    id: u64,
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    queued_bytes: usize,
    waker: Option<Waker>,
}

struct Datagram {
    from: SocketAddr,
    from_host: u32,
    to_host: u32,
    to_port: u16,
    payload: Vec<u8>,
}

impl Udp {
    fn ephemeral_port(&mut self, host: u32) -> Option<u16> {
        let next = self.next_port.entry(host).or_insert(EPHEMERAL_PORT_FIRST);
        for _ in EPHEMERAL_PORT_FIRST..=u16::MAX {
            let port = *next;
            *next = if port == u16::MAX {
                EPHEMERAL_PORT_FIRST
            } else {
                port + 1
            };
            if !self.sockets.contains_key(&(host, port)) {
                return Some(port);
            }
        }
        None
    }

    fn launch(&mut self, datagram: Datagram) -> u32 {
        match self.free.pop() {
            Some(slot) => {
                self.in_flight[slot as usize] = Some(datagram);
                slot
            }
            None => {
                self.in_flight.push(Some(datagram));
                u32::try_from(self.in_flight.len() - 1)
                    .expect("fewer than 2^32 datagrams in flight")
            }
        }
    }

    fn land(&mut self, slot: u32) -> Datagram {
        let datagram = self.in_flight[slot as usize]
            .take()
            .expect("a datagram event holds its datagram");
        self.free.push(slot);
        datagram
    }
}

/// A UDP socket on a simulated host. Dropping it unbinds its port; datagrams
/// that arrive later are dropped.
#[derive(Debug)]
pub struct UdpSocket {
    host: u32,
    id: u64,
    local: SocketAddr,
}

/// Binds a UDP socket on the calling task's host.
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
pub async fn bind_udp(addr: SocketAddr) -> io::Result<UdpSocket> {
    with_world("bind_udp", |world| {
        let (host, own_ip) = world.bind_host(addr)?;
        let udp = &mut world.net.udp;
        let port = match addr.port() {
            0 => udp.ephemeral_port(host).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrInUse,
                    "no free UDP port left on this host",
                )
            })?,
            port => port,
        };
        if udp.sockets.contains_key(&(host, port)) {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("cannot bind {own_ip}:{port}: address already in use"),
            ));
        }
        udp.next_socket_id += 1;
        let id = udp.next_socket_id;
        udp.sockets.insert(
            (host, port),
            Socket {
                id,
                queue: VecDeque::new(),
                queued_bytes: 0,
                waker: None,
            },
        );
        Ok(UdpSocket {
            host,
            id,
            local: SocketAddr::new(own_ip, port),
        })
    })
}

impl UdpSocket {
    /// The bound address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self.local)
    }

    /// Sends `buf` as one datagram to `target`; returns its length.
    ///
    /// # Errors
    ///
    /// `InvalidInput` when `buf` is longer than the network's
    /// `max_datagram_bytes`. A datagram to an address no host has, or to a
    /// port nothing is bound to, vanishes without an error, as with real UDP.
    pub async fn send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        with_world("UdpSocket::send_to", |world| {
            world.udp_send(self, buf, target)
        })
    }

    /// Waits for the next datagram; copies it into `buf` (the rest of a longer
    /// one is lost) and returns the bytes copied and the sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| {
            with_world("UdpSocket::recv_from", |world| {
                let Some(socket) = world
                    .net
                    .udp
                    .sockets
                    .get_mut(&(self.host, self.local.port()))
                    .filter(|socket| socket.id == self.id)
                else {
                    return Poll::Ready(Err(io::Error::new(
                        io::ErrorKind::NotConnected,
                        "the UDP socket was closed when its host died",
                    )));
                };
                match socket.queue.pop_front() {
                    Some((from, payload)) => {
                        socket.queued_bytes -= payload.len();
                        let count = payload.len().min(buf.len());
                        buf[..count].copy_from_slice(&payload[..count]);
                        Poll::Ready(Ok((count, from)))
                    }
                    None => {
                        socket.waker = Some(cx.waker().clone());
                        Poll::Pending
                    }
                }
            })
        })
        .await
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let (host, port, id) = (self.host, self.local.port(), self.id);
        try_with_world(|world| {
            let sockets = &mut world.net.udp.sockets;
            if sockets
                .get(&(host, port))
                .is_some_and(|socket| socket.id == id)
            {
                sockets.remove(&(host, port));
            }
        });
    }
}

impl World {
    fn udp_send(
        &mut self,
        socket: &UdpSocket,
        buf: &[u8],
        target: SocketAddr,
    ) -> io::Result<usize> {
        let max = self.net.config.max_datagram_bytes;
        if buf.len() > max {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "message too long: a datagram of {} bytes exceeds the network's max_datagram_bytes ({max})",
                    buf.len()
                ),
            ));
        }
        let Some(to_host) = self.hosts.by_ip(target.ip()) else {
            return Ok(buf.len());
        };
        let from_host = socket.host;
        let (loss, duplicate) = (
            self.net.config.datagram_loss_probability,
            self.net.config.datagram_duplicate_probability,
        );
        if self.fault_fires(loss) {
            self.net.stats.datagrams_lost += 1;
            self.record(TraceKind::Fault, from_host, fault_code::DATAGRAM_LOST);
            return Ok(buf.len());
        }
        let copies = if self.fault_fires(duplicate) {
            self.net.stats.datagrams_duplicated += 1;
            self.record(TraceKind::Fault, from_host, fault_code::DATAGRAM_DUPLICATED);
            2
        } else {
            1
        };
        for _ in 0..copies {
            let latency = self.latency_nanos(from_host, to_host);
            let slot = self.net.udp.launch(Datagram {
                from: socket.local,
                from_host,
                to_host,
                to_port: target.port(),
                payload: buf.to_vec(),
            });
            let at = self.now.saturating_add(latency);
            self.schedule(at, EventKind::Datagram { slot });
        }
        Ok(buf.len())
    }

    /// A datagram reaches its target host.
    pub(crate) fn on_datagram(&mut self, slot: u32) {
        let datagram = self.net.udp.land(slot);
        if self
            .net
            .blocked(datagram.from_host, datagram.to_host, self.now)
            || !self.hosts.get(datagram.to_host).alive
        {
            self.net.stats.datagrams_lost += 1;
            return;
        }
        let Some(socket) = self
            .net
            .udp
            .sockets
            .get_mut(&(datagram.to_host, datagram.to_port))
        else {
            return;
        };
        if socket.queued_bytes + datagram.payload.len() > RECEIVE_BUFFER_BYTES {
            self.net.stats.datagrams_lost += 1;
            return;
        }
        socket.queued_bytes += datagram.payload.len();
        let detail = digest(u64::from(datagram.to_port), &datagram.payload);
        socket.queue.push_back((datagram.from, datagram.payload));
        if let Some(waker) = socket.waker.take() {
            waker.wake();
        }
        self.record(TraceKind::Datagram, datagram.to_host, detail);
    }

    /// Closes every UDP socket of a dying `host`.
    pub(crate) fn udp_kill_host(&mut self, host: u32) {
        let sockets = &mut self.net.udp.sockets;
        let ports: Vec<u16> = sockets
            .range((host, 0)..=(host, u16::MAX))
            .map(|((_, port), _)| *port)
            .collect();
        for port in ports {
            if let Some(socket) = sockets.remove(&(host, port))
                && let Some(waker) = socket.waker
            {
                waker.wake();
            }
        }
    }
}
