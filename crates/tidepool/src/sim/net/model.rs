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
}

/// Fault codes recorded in the trace with [`TraceKind::Fault`].
pub(crate) mod fault_code {
    pub(crate) const CLOG: u64 = 1;
    pub(crate) const PARTITION: u64 = 2;
    pub(crate) const HEAL: u64 = 3;
    pub(crate) const RESET: u64 = 4;
    pub(crate) const CONNECT_FAILURE: u64 = 5;
}

pub(super) struct Marker {
    pub(super) time: u64,
    pub(super) upto: u64,
    /// Digest of every byte written up to `upto`.
    pub(super) digest: u64,
    pub(super) fin: bool,
}

/// Bytes flowing from one end of a connection to the other.
#[derive(Default)]
pub(crate) struct Dir {
    pub(super) buf: VecDeque<u8>,
    pub(super) written: u64,
    pub(super) arrived: u64,
    pub(super) consumed: u64,
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

pub(crate) struct Conn {
    pub(crate) hosts: [u32; 2],
    pub(crate) addrs: [SocketAddr; 2],
    pub(super) dirs: [Dir; 2],
    pub(super) ends: [EndState; 2],
    pub(crate) connect: ConnectState,
    pub(super) connect_waker: Option<Waker>,
}

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
    pub(crate) conns: Vec<Conn>,
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
}

const EPHEMERAL_PORT_FIRST: u16 = 40_000;

impl Net {
    pub(crate) fn new(config: NetworkConfig) -> Net {
        Net {
            config,
            faults_active: true,
            conns: Vec::new(),
            listeners: BTreeMap::new(),
            next_listener_id: 1,
            links: BTreeMap::new(),
            stalled: Vec::new(),
            stalled_resets: Vec::new(),
            stalled_connects: Vec::new(),
            next_port: BTreeMap::new(),
            stats: NetStats::default(),
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
        for conn in 0..self.net.conns.len() as u32 {
            for end in 0..2 {
                let entry = &self.net.conns[conn as usize];
                if entry.hosts[end] != host || entry.ends[end].dead {
                    continue;
                }
                self.send_reset(conn, end);
                let entry = &mut self.net.conns[conn as usize];
                entry.ends[end].dead = true;
                entry.ends[end].closed = true;
                entry.dirs[1 - end].buf = VecDeque::new();
            }
        }
    }

    pub(crate) fn net_event(&mut self, kind: EventKind) {
        match kind {
            EventKind::Deliver { conn, dir } => self.on_deliver(conn, dir as usize),
            EventKind::ConnectArrive { conn } => self.on_connect_arrive(conn),
            EventKind::ConnectReply { conn } => self.on_connect_reply(conn),
            EventKind::Reset { conn, dir } => self.on_reset(conn, dir as usize),
            EventKind::HealPair { a, b } => self.heal_fault_pair(a, b),
            EventKind::Unclog => self.release_stalled(),
            EventKind::Timer { .. } => unreachable!("timers are fired by the world"),
        }
    }
}

pub(super) fn reset_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")
}
