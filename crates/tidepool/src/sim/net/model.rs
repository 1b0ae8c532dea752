//! The network's machinery: connections as pairs of ordered byte queues with
//! delivery markers, listeners with backlogs, and links that partitions and
//! clogs block. Every byte written is copied once into its direction's queue;
//! no message allocates.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::task::Waker;

use serde::{Deserialize, Serialize};

use super::config::NetworkConfig;
use crate::sim::events::EventKind;
use crate::sim::trace::digest;
use crate::sim::world::World;

/// Counts of the network faults a run injected.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NetStats {
    /// Reads that returned fewer bytes than were available.
    pub partial_reads: u64,
    /// Writes that accepted fewer bytes than offered.
    pub partial_writes: u64,
    /// Connections reset by a fault (not by a killed process).
    pub resets: u64,
    /// Connection attempts refused by a fault.
    pub connect_failures: u64,
    /// Links clogged, by faults and by injectors.
    pub clogs: u64,
    /// Partitions made, by faults and by injectors.
    pub partitions: u64,
    /// UDP datagrams lost: by a fault, a partition or clog on their way, a
    /// dead target host, or a full receive buffer.
    #[serde(default)]
    pub datagrams_lost: u64,
    /// UDP datagrams duplicated by a fault.
    #[serde(default)]
    pub datagrams_duplicated: u64,
}

/// Fault codes recorded in the trace with [`TraceKind::Fault`].
pub(crate) mod fault_code {
    pub(crate) const CLOG: u64 = 1;
    pub(crate) const PARTITION: u64 = 2;
    pub(crate) const HEAL: u64 = 3;
    pub(crate) const RESET: u64 = 4;
    pub(crate) const CONNECT_FAILURE: u64 = 5;
    pub(crate) const DATAGRAM_LOST: u64 = 6;
    pub(crate) const DATAGRAM_DUPLICATED: u64 = 7;
    pub(crate) const CLOCK_STEP: u64 = 8;
}

pub(super) struct Marker {
    pub(super) time: u64,
    pub(super) upto: u64,
    /// Digest of every byte written up to `upto`.
    pub(super) digest: u64,
    pub(super) fin: bool,
}

/// Bytes flowing from one end of a connection to the other.
///
/// Three counters of bytes since the connection opened, kept by the methods
/// below and checked (`invariant!`) after each change:
/// `consumed <= arrived <= written`, and the buffer holds the bytes written
/// and not consumed. Once the receiving end is gone (closed or killed), what
/// it had not read is dropped at once, and what arrives later as it arrives:
/// `consumed` then counts dropped bytes too and may pass `arrived`.
#[derive(Default)]
pub(crate) struct Dir {
    /// The bytes written and not consumed, oldest first.
    pub(super) buf: VecDeque<u8>,
    /// Bytes the sender wrote.
    pub(super) written: u64,
    /// Bytes that reached the receiving end (a marker's `upto`).
    pub(super) arrived: u64,
    /// Bytes that left `buf`: read, or dropped because the receiver is gone.
    pub(super) consumed: u64,
    /// The receiving end is gone: its unread bytes were dropped.
    pub(super) receiver_gone: bool,
    pub(super) markers: VecDeque<Marker>,
    pub(super) last_time: u64,
    /// Digest of every byte written so far, in order.
    pub(super) written_digest: u64,
    /// Digest of every byte arrived so far, in order.
    pub(super) arrived_digest: u64,
    pub(super) fin_written: bool,
    pub(super) fin_arrived: bool,
    pub(super) stalled: bool,
    pub(super) reader: Option<Waker>,
    pub(super) writer: Option<Waker>,
}

impl Dir {
    /// Appends `data`, just written by the sender.
    #[inline]
    pub(super) fn write(&mut self, data: &[u8]) {
        self.buf.extend(data);
        self.written += data.len() as u64;
        self.written_digest = digest(self.written_digest, data);
        self.assert_buffer();
    }

    /// Bytes written and not yet consumed: what counts against the send buffer.
    #[inline]
    pub(super) fn buffered(&self) -> u64 {
        self.written - self.consumed
    }

    /// Bytes arrived and not yet read: what a read may return.
    #[inline]
    pub(super) fn readable(&self) -> u64 {
        self.arrived.saturating_sub(self.consumed)
    }

    /// Moves the arrival point up to `upto`, a marker's.
    #[inline]
    pub(super) fn arrive(&mut self, upto: u64, digest: u64) {
        invariant!(upto >= self.arrived, "bytes arrived twice");
        invariant!(upto <= self.written, "more bytes arrived than written");
        self.arrived = upto;
        self.arrived_digest = digest;
    }

    /// Moves `out.len()` arrived bytes from the front of the buffer into `out`.
    #[inline]
    pub(super) fn consume_into(&mut self, out: &mut tokio::io::ReadBuf<'_>, count: usize) {
        invariant!(
            count as u64 <= self.readable(),
            "bytes read before they arrived"
        );
        let (front, back) = self.buf.as_slices();
        let from_front = count.min(front.len());
        out.put_slice(&front[..from_front]);
        out.put_slice(&back[..count - from_front]);
        self.buf.drain(..count);
        self.consumed += count as u64;
        self.assert_buffer();
    }

    /// Drops every byte written and not read: the receiving end is gone.
    #[inline]
    pub(super) fn drop_unread(&mut self) {
        self.receiver_gone = true;
        self.buf = VecDeque::new();
        self.consumed = self.written;
        self.assert_buffer();
    }

    /// Checks that the buffer holds exactly the bytes written and not
    /// consumed. With the checks of `arrive` and `consume_into`, each change
    /// of the counters re-checks what it could break (see [`Dir`]).
    #[inline]
    fn assert_buffer(&self) {
        invariant!(
            self.consumed <= self.written,
            "more bytes consumed than written"
        );
        invariant!(
            self.buf.len() as u64 == self.written - self.consumed,
            "the buffer does not hold the bytes written and not consumed"
        );
    }
}

#[derive(Default, Clone, Copy)]
pub(crate) struct EndState {
    /// The stream was dropped.
    pub(super) closed: bool,
    /// The end's process was killed: it sends nothing more, not even a FIN.
    pub(super) dead: bool,
    /// A reset reached this end.
    pub(super) reset: bool,
    /// A reset was already sent from this end.
    pub(super) reset_sent: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConnectState {
    /// The attempt travels.
    Pending,
    /// The listener took it; the reply travels back.
    Accepted,
    /// It failed; the failure travels back.
    Failed(io::ErrorKind),
    /// The client has its answer.
    Answered(Result<(), io::ErrorKind>),
}

/// A connection: two ends, two directions of bytes, and how it was opened.
///
/// Its slot in [`Net::conns`] is freed once nothing can reach it any more:
/// both ends closed (no stream, no backlog holds it) and no event or stalled
/// delivery of it left. A freed slot is reused with a new `generation`, which
/// streams compare with theirs.
pub(crate) struct Conn {
    pub(crate) hosts: [u32; 2],
    pub(crate) addrs: [SocketAddr; 2],
    pub(super) dirs: [Dir; 2],
    pub(super) ends: [EndState; 2],
    pub(crate) connect: ConnectState,
    pub(super) connect_waker: Option<Waker>,
    /// Which connection of the run this is (0 for the first opened): what
    /// the trace names, whatever slot it has.
    pub(crate) serial: u32,
    /// Uses of the slot before this one.
    pub(crate) generation: u32,
    /// Events queued and stalled deliveries, resets and attempts of this
    /// connection: the slot stays until they are all gone.
    pub(super) pending: u32,
    /// Where each end sits in its host's list of [`Net::ends_by_host`]
    /// (`UNINDEXED` for an end on no host).
    pub(super) host_index: [u32; 2],
    /// False once the slot is freed, until it is reused.
    pub(super) in_use: bool,
}

/// `Conn::host_index` of an end that no host's list holds.
pub(super) const UNINDEXED: u32 = u32::MAX;

/// The host of a connection's end when the address it targets belongs to no host.
pub(crate) const NO_HOST: u32 = u32::MAX;

/// One end of a connection: (slot, end).
pub(super) type ConnEnd = (u32, u8);

pub(crate) struct Listener {
    pub(crate) id: u64,
    pub(super) backlog: VecDeque<u32>,
    pub(super) waker: Option<Waker>,
}

#[derive(Default, Clone, Copy)]
pub(super) struct Link {
    /// Cut by a partition someone asked for (an injector, a test).
    pub(super) partitioned: bool,
    /// Cut by the network's own random partition fault, which heals itself.
    pub(super) fault_partitioned: bool,
    pub(super) clogged_until: u64,
    pub(super) extra_latency_nanos: u64,
}

impl Link {
    pub(super) fn is_partitioned(&self) -> bool {
        self.partitioned || self.fault_partitioned
    }
}

pub(crate) struct Net {
    pub(crate) config: NetworkConfig,
    /// Whether random faults fire (the runner turns them off after chaos).
    pub(crate) faults_active: bool,
    /// Connections by slot; freed slots are reused (see [`Conn`]).
    pub(crate) conns: Vec<Conn>,
    /// Slots of `conns` free for reuse.
    free_conns: Vec<u32>,
    /// Connections opened so far in the run.
    conns_opened: u32,
    /// The connection ends of each host, by host index, so that killing a
    /// host visits its own connections only.
    ends_by_host: Vec<Vec<ConnEnd>>,
    pub(crate) listeners: BTreeMap<(u32, u16), Listener>,
    pub(super) next_listener_id: u64,
    pub(super) links: BTreeMap<(u32, u32), Link>,
    pub(super) stalled: Vec<(u32, u8)>,
    /// Resets held by a blocked link, as (connection, receiving end).
    pub(super) stalled_resets: Vec<(u32, u8)>,
    /// Connection attempts held by a clogged link.
    pub(super) stalled_connects: Vec<u32>,
    pub(super) next_port: BTreeMap<u32, u16>,
    pub(crate) stats: NetStats,
    /// UDP sockets and datagrams in flight.
    pub(crate) udp: super::udp::Udp,
}

const EPHEMERAL_PORT_FIRST: u16 = 40_000;

impl Net {
    pub(crate) fn new(config: NetworkConfig) -> Net {
        Net {
            config,
            faults_active: true,
            conns: Vec::new(),
            free_conns: Vec::new(),
            conns_opened: 0,
            ends_by_host: Vec::new(),
            listeners: BTreeMap::new(),
            next_listener_id: 1,
            links: BTreeMap::new(),
            stalled: Vec::new(),
            stalled_resets: Vec::new(),
            stalled_connects: Vec::new(),
            next_port: BTreeMap::new(),
            stats: NetStats::default(),
            udp: super::udp::Udp::default(),
        }
    }

    /// The next ephemeral port of `host` that no listener holds (when every
    /// one is held, the next in turn, and binding it fails with `AddrInUse`).
    pub(crate) fn ephemeral_port(&mut self, host: u32) -> u16 {
        let next = self.next_port.entry(host).or_insert(EPHEMERAL_PORT_FIRST);
        let mut port = *next;
        for _ in EPHEMERAL_PORT_FIRST..=u16::MAX {
            port = *next;
            *next = if port == u16::MAX {
                EPHEMERAL_PORT_FIRST
            } else {
                port + 1
            };
            if !self.listeners.contains_key(&(host, port)) {
                break;
            }
        }
        port
    }

    pub(crate) fn add_listener(&mut self, host: u32, port: u16) -> u64 {
        let id = self.next_listener_id;
        self.next_listener_id += 1;
        self.listeners.insert(
            (host, port),
            Listener {
                id,
                backlog: VecDeque::new(),
                waker: None,
            },
        );
        id
    }

    /// Opens a connection between `hosts` (the client's end first) in a
    /// free slot; returns the slot.
    pub(super) fn open_conn(&mut self, hosts: [u32; 2], addrs: [SocketAddr; 2]) -> u32 {
        let serial = self.conns_opened;
        self.conns_opened += 1;
        let fresh = |generation| Conn {
            hosts,
            addrs,
            dirs: Default::default(),
            ends: Default::default(),
            connect: ConnectState::Pending,
            connect_waker: None,
            serial,
            generation,
            pending: 0,
            host_index: [UNINDEXED; 2],
            in_use: true,
        };
        let slot = match self.free_conns.pop() {
            Some(slot) => {
                let entry = &mut self.conns[slot as usize];
                invariant!(
                    !entry.in_use,
                    "a connection slot on the free list is in use"
                );
                invariant!(
                    entry.pending == 0,
                    "a connection slot reused with events pending"
                );
                *entry = fresh(entry.generation.wrapping_add(1));
                slot
            }
            None => {
                self.conns.push(fresh(0));
                (self.conns.len() - 1) as u32
            }
        };
        for (end, &host) in hosts.iter().enumerate() {
            if host == NO_HOST {
                continue;
            }
            let index = host as usize;
            if self.ends_by_host.len() <= index {
                self.ends_by_host.resize_with(index + 1, Vec::new);
            }
            let list = &mut self.ends_by_host[index];
            self.conns[slot as usize].host_index[end] = list.len() as u32;
            list.push((slot, end as u8));
        }
        slot
    }

    /// The ends on `host`, in the order the connections were opened.
    pub(super) fn ends_of_host(&self, host: u32) -> Vec<ConnEnd> {
        let mut ends = self
            .ends_by_host
            .get(host as usize)
            .cloned()
            .unwrap_or_default();
        ends.sort_unstable_by_key(|&(conn, end)| (self.conns[conn as usize].serial, end));
        ends
    }

    /// Whether `conn` is in use with `generation` (a stream's connection).
    #[inline]
    pub(crate) fn holds(&self, conn: u32, generation: u32) -> bool {
        self.conns
            .get(conn as usize)
            .is_some_and(|entry| entry.generation == generation && entry.in_use)
    }

    /// Frees `conn`'s slot when nothing can reach the connection any more:
    /// both ends closed, no event or stalled delivery of it left.
    #[inline]
    pub(super) fn release_if_done(&mut self, conn: u32) {
        let entry = &self.conns[conn as usize];
        if entry.pending == 0 && entry.ends[0].closed && entry.ends[1].closed && entry.in_use {
            self.release(conn);
        }
    }

    #[cold]
    fn release(&mut self, conn: u32) {
        let entry = &self.conns[conn as usize];
        let (hosts, host_index) = (entry.hosts, entry.host_index);
        for end in 0..2 {
            let (host, index) = (hosts[end], host_index[end]);
            if index == UNINDEXED {
                continue;
            }
            let list = &mut self.ends_by_host[host as usize];
            invariant!(
                list[index as usize] == (conn, end as u8),
                "a host's list of connection ends is out of step"
            );
            list.swap_remove(index as usize);
            if let Some(&(moved, moved_end)) = list.get(index as usize) {
                self.conns[moved as usize].host_index[moved_end as usize] = index;
            }
        }
        let entry = &mut self.conns[conn as usize];
        entry.host_index = [UNINDEXED; 2];
        entry.in_use = false;
        // Buffers and wakers go now; the slot keeps its generation.
        entry.dirs = Default::default();
        entry.connect_waker = None;
        self.free_conns.push(conn);
    }

    /// Counts an event or stalled entry of `conn` that keeps it from being freed.
    #[inline]
    pub(super) fn hold(&mut self, conn: u32) {
        self.conns[conn as usize].pending += 1;
    }

    /// Connection slots in use (open or waiting for their last events).
    #[cfg(test)]
    pub(crate) fn conns_in_use(&self) -> usize {
        self.conns.len() - self.free_conns.len()
    }

    pub(super) fn link(&self, source: u32, target: u32) -> Link {
        if self.links.is_empty() {
            return Link::default();
        }
        self.links
            .get(&(source, target))
            .copied()
            .unwrap_or_default()
    }

    pub(super) fn link_mut(&mut self, source: u32, target: u32) -> &mut Link {
        self.links.entry((source, target)).or_default()
    }

    pub(super) fn blocked(&self, source: u32, target: u32, now: u64) -> bool {
        let link = self.link(source, target);
        link.is_partitioned() || link.clogged_until > now
    }
}

impl World {
    pub(super) fn fault_fires(&mut self, probability: f64) -> bool {
        self.net.faults_active && probability > 0.0 && self.random_bool(probability)
    }

    /// One-way delay from `source` to `target`, in nanoseconds.
    pub(crate) fn latency_nanos(&mut self, source: u32, target: u32) -> u64 {
        let extra = self.net.link(source, target).extra_latency_nanos;
        let rng = &mut self.rng;
        let base = self
            .net
            .config
            .latency
            .sample_nanos(|| rand_core::RngCore::next_u64(rng));
        base + extra
    }

    /// Kills every socket of `host`: its listeners vanish and its peers get resets.
    pub(crate) fn net_kill_host(&mut self, host: u32) {
        let ports: Vec<(u16, u64)> = self
            .net
            .listeners
            .iter()
            .filter(|((owner, _), _)| *owner == host)
            .map(|((_, port), listener)| (*port, listener.id))
            .collect();
        for (port, id) in ports {
            self.close_listener(host, port, id);
        }
        let ends = self.net.ends_of_host(host);
        for &(conn, end) in &ends {
            let end = end as usize;
            let entry = &self.net.conns[conn as usize];
            if entry.ends[end].dead {
                continue;
            }
            // An attempt still on its way has no server socket yet: the SYN
            // lands on whatever listens when it arrives (the next
            // incarnation's listener, or nothing).
            if end == 1 && matches!(entry.connect, ConnectState::Pending) {
                continue;
            }
            self.send_reset(conn, end);
            let entry = &mut self.net.conns[conn as usize];
            entry.ends[end].dead = true;
            entry.ends[end].closed = true;
            entry.dirs[1 - end].drop_unread();
        }
        // Freed after the loop: a connection may have both ends on the host.
        for (conn, _) in ends {
            self.net.release_if_done(conn);
        }
        self.udp_kill_host(host);
    }

    /// Schedules an event of `conn`, which then stays until the event fires.
    #[inline]
    pub(super) fn schedule_conn(&mut self, conn: u32, time: u64, kind: EventKind) {
        self.net.hold(conn);
        self.schedule(time, kind);
    }

    pub(crate) fn net_event(&mut self, kind: EventKind) {
        let conn = match kind {
            EventKind::Deliver { conn, .. }
            | EventKind::ConnectArrive { conn }
            | EventKind::ConnectReply { conn }
            | EventKind::Reset { conn, .. } => conn,
            EventKind::HealPair { a, b } => return self.heal_fault_pair(a, b),
            EventKind::Unclog => return self.release_stalled(),
            EventKind::Datagram { slot } => return self.on_datagram(slot),
            EventKind::Timer { .. } => unreachable!("timers are fired by the world"),
        };
        let entry = &mut self.net.conns[conn as usize];
        invariant!(
            entry.pending > 0,
            "an event of a connection that holds none"
        );
        // A stall in the handlers below holds the connection again.
        entry.pending -= 1;
        match kind {
            EventKind::Deliver { dir, .. } => self.on_deliver(conn, dir as usize),
            EventKind::ConnectArrive { .. } => self.on_connect_arrive(conn),
            EventKind::ConnectReply { .. } => self.on_connect_reply(conn),
            EventKind::Reset { dir, .. } => self.on_reset(conn, dir as usize),
            _ => unreachable!("matched above"),
        }
        self.net.release_if_done(conn);
    }
}

pub(super) fn reset_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")
}

#[cfg(test)]
mod tests {
    use std::io;
    use std::net::{IpAddr, SocketAddr};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use crate::sim::net::{bind, connect};
    use crate::sim::{self, Sim, with_world};

    /// (slots ever made, slots in use, ends indexed on the server host).
    fn net_counts(server: u32) -> (usize, usize, usize) {
        with_world("test", |world| {
            let net = &world.net;
            let indexed = net.ends_by_host.get(server as usize).map_or(0, Vec::len);
            (net.conns.len(), net.conns_in_use(), indexed)
        })
    }

    #[test]
    fn closed_connections_free_their_slots_and_a_kill_visits_live_ones_only() {
        // Regression: `Net::conns` only grew within a run, and killing a host
        // scanned every connection ever opened. 200 echo connections opened
        // and closed one after the other must leave a slot or two, and the
        // server's index must hold only the one connection left open, which
        // the kill then resets.
        let run = Sim::new(5).run(async {
            let ip = IpAddr::from([10, 0, 0, 2]);
            let server = sim::add_host("server", ip);
            let addr = SocketAddr::new(ip, 80);
            drop(sim::spawn_on(server, "echo", async move {
                let listener = bind(addr).await.unwrap();
                loop {
                    let (mut stream, _) = listener.accept().await.unwrap();
                    drop(sim::spawn("conn", async move {
                        let mut byte = [0u8; 1];
                        while stream.read(&mut byte).await.unwrap_or(0) > 0 {
                            stream.write_all(&byte).await.unwrap();
                        }
                    }));
                }
            }));
            for round in 0..200u32 {
                let mut stream = connect(addr).await.unwrap();
                stream.write_all(&[round as u8]).await.unwrap();
                let mut byte = [0u8; 1];
                stream.read_exact(&mut byte).await.unwrap();
                assert_eq!(byte[0], round as u8);
            }
            sim::sleep(Duration::from_secs(1)).await;
            let after_closing = net_counts(server.index());
            let mut held = connect(addr).await.unwrap();
            held.write_all(&[1]).await.unwrap();
            let mut byte = [0u8; 1];
            held.read_exact(&mut byte).await.unwrap();
            let while_held = net_counts(server.index());
            sim::kill(server);
            sim::sleep(Duration::from_secs(1)).await;
            let read = held.read(&mut byte).await.map_err(|error| error.kind());
            drop(held);
            sim::sleep(Duration::from_secs(1)).await;
            (after_closing, while_held, read, net_counts(server.index()))
        });
        let (after_closing, while_held, read, at_end) = run.outcome.unwrap();
        // A closed connection keeps its slot until its last FIN lands, so a
        // few overlap; 200 slots would mean none was reused.
        assert!(
            after_closing.0 <= 4,
            "{} slots for one open connection at a time",
            after_closing.0
        );
        assert_eq!(
            after_closing.1, 0,
            "connections left in use after every close"
        );
        assert_eq!(after_closing.2, 0, "ends left on the server's index");
        assert_eq!(while_held.1, 1);
        assert_eq!(while_held.2, 1, "the server's index holds its one live end");
        assert_eq!(read, Err(io::ErrorKind::ConnectionReset));
        assert_eq!(at_end.1, 0, "the reset connection was not freed");
        assert_eq!(at_end.2, 0);
    }
}
