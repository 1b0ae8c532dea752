//! The network's machinery: connections as pairs of ordered byte queues with
//! delivery markers, listeners with backlogs, and links that partitions and
//! clogs block. Every byte written is copied once into its direction's queue;
//! no message allocates.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::task::Waker;

use serde::{Deserialize, Serialize};

use super::config::{DeadHostConnect, NetworkConfig};
use crate::sim::events::EventKind;
use crate::sim::trace::TraceKind;
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

struct Marker {
    time: u64,
    upto: u64,
    fin: bool,
}

/// Bytes flowing from one end of a connection to the other.
#[derive(Default)]
pub(crate) struct Dir {
    buf: VecDeque<u8>,
    written: u64,
    arrived: u64,
    consumed: u64,
    markers: VecDeque<Marker>,
    last_time: u64,
    fin_written: bool,
    fin_arrived: bool,
    stalled: bool,
    reader: Option<Waker>,
    writer: Option<Waker>,
}

#[derive(Default, Clone, Copy)]
pub(crate) struct EndState {
    /// The stream was dropped.
    closed: bool,
    /// The end's process was killed: it sends nothing more, not even a FIN.
    dead: bool,
    /// A reset reached this end.
    reset: bool,
    /// A reset was already sent from this end.
    reset_sent: bool,
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
    dirs: [Dir; 2],
    ends: [EndState; 2],
    pub(crate) connect: ConnectState,
    connect_waker: Option<Waker>,
}

pub(crate) struct Listener {
    pub(crate) id: u64,
    backlog: VecDeque<u32>,
    waker: Option<Waker>,
}

#[derive(Default, Clone, Copy)]
struct Link {
    partitioned: bool,
    clogged_until: u64,
    extra_latency_nanos: u64,
}

pub(crate) struct Net {
    pub(crate) config: NetworkConfig,
    /// Whether random faults fire (the runner turns them off after chaos).
    pub(crate) faults_active: bool,
    pub(crate) conns: Vec<Conn>,
    pub(crate) listeners: BTreeMap<(u32, u16), Listener>,
    next_listener_id: u64,
    links: BTreeMap<(u32, u32), Link>,
    stalled: Vec<(u32, u8)>,
    next_port: BTreeMap<u32, u16>,
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

    fn link(&self, source: u32, target: u32) -> Link {
        if self.links.is_empty() {
            return Link::default();
        }
        self.links
            .get(&(source, target))
            .copied()
            .unwrap_or_default()
    }

    fn link_mut(&mut self, source: u32, target: u32) -> &mut Link {
        self.links.entry((source, target)).or_default()
    }

    fn blocked(&self, source: u32, target: u32, now: u64) -> bool {
        let link = self.link(source, target);
        link.partitioned || link.clogged_until > now
    }
}

impl World {
    fn fault_fires(&mut self, probability: f64) -> bool {
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

    /// Starts a connection attempt from `client` to `target`; returns its id.
    pub(crate) fn net_connect(
        &mut self,
        client: u32,
        local: SocketAddr,
        target: SocketAddr,
    ) -> u32 {
        let server = self.hosts.by_ip(target.ip()).unwrap_or(u32::MAX);
        let conn = self.net.conns.len() as u32;
        self.net.conns.push(Conn {
            hosts: [client, server],
            addrs: [local, target],
            dirs: Default::default(),
            ends: Default::default(),
            connect: ConnectState::Pending,
            connect_waker: None,
        });
        let latency = if server == u32::MAX {
            0
        } else {
            self.latency_nanos(client, server)
        };
        let connect_failure = self.net.config.connect_failure_probability;
        if server == u32::MAX {
            // No such host: nothing answers.
            self.fail_connect(conn, io::ErrorKind::TimedOut);
        } else if self.fault_fires(connect_failure) {
            self.net.stats.connect_failures += 1;
            self.record(TraceKind::Fault, client, fault_code::CONNECT_FAILURE);
            self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        } else {
            self.maybe_link_faults(client, server);
            self.schedule(self.now + latency, EventKind::ConnectArrive { conn });
        }
        conn
    }

    fn fail_connect(&mut self, conn: u32, kind: io::ErrorKind) {
        let entry = &mut self.net.conns[conn as usize];
        entry.connect = ConnectState::Failed(kind);
        let (client, server) = (entry.hosts[0], entry.hosts[1]);
        let delay = match kind {
            io::ErrorKind::TimedOut => crate::sim::net::nanos(self.net.config.connect_timeout),
            _ if server == u32::MAX => 0,
            _ => self.latency_nanos(server, client),
        };
        self.schedule(self.now + delay, EventKind::ConnectReply { conn });
    }

    fn on_connect_arrive(&mut self, conn: u32) {
        let entry = &self.net.conns[conn as usize];
        let (client, server, port) = (entry.hosts[0], entry.hosts[1], entry.addrs[1].port());
        if self.net.link(client, server).partitioned {
            return self.fail_connect(conn, io::ErrorKind::TimedOut);
        }
        let clogged_until = self.net.link(client, server).clogged_until;
        if clogged_until > self.now {
            return self.schedule(clogged_until, EventKind::ConnectArrive { conn });
        }
        if !self.hosts.get(server).alive {
            let kind = match self.net.config.dead_host_connect {
                DeadHostConnect::Refuse => io::ErrorKind::ConnectionRefused,
                DeadHostConnect::Hang => io::ErrorKind::TimedOut,
            };
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, kind);
        }
        let backlog_max = self.net.config.accept_backlog;
        let Some(listener) = self.net.listeners.get_mut(&(server, port)) else {
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        };
        if listener.backlog.len() >= backlog_max {
            self.record(TraceKind::NetRefuse, server, port as u64);
            return self.fail_connect(conn, io::ErrorKind::ConnectionRefused);
        }
        listener.backlog.push_back(conn);
        if let Some(waker) = listener.waker.take() {
            waker.wake();
        }
        self.net.conns[conn as usize].connect = ConnectState::Accepted;
        self.record(TraceKind::NetConnect, conn, port as u64);
        let latency = self.latency_nanos(server, client);
        self.schedule(self.now + latency, EventKind::ConnectReply { conn });
    }

    fn on_connect_reply(&mut self, conn: u32) {
        let entry = &mut self.net.conns[conn as usize];
        entry.connect = match entry.connect {
            ConnectState::Accepted => ConnectState::Answered(Ok(())),
            ConnectState::Failed(kind) => ConnectState::Answered(Err(kind)),
            other => other,
        };
        if let Some(waker) = entry.connect_waker.take() {
            waker.wake();
        }
    }

    /// The answer to a connection attempt, or `None` (waker stored) while it travels.
    pub(crate) fn poll_connect(
        &mut self,
        conn: u32,
        waker: &Waker,
    ) -> Option<Result<(), io::ErrorKind>> {
        let entry = &mut self.net.conns[conn as usize];
        match entry.connect {
            ConnectState::Answered(result) => Some(result),
            _ => {
                entry.connect_waker = Some(waker.clone());
                None
            }
        }
    }

    /// The next queued connection of a listener, or `None` (waker stored).
    pub(crate) fn poll_accept(&mut self, host: u32, port: u16, waker: &Waker) -> Option<u32> {
        let listener = self.net.listeners.get_mut(&(host, port))?;
        match listener.backlog.pop_front() {
            Some(conn) => Some(conn),
            None => {
                listener.waker = Some(waker.clone());
                None
            }
        }
    }

    /// Removes a listener; connections queued at it are reset.
    pub(crate) fn close_listener(&mut self, host: u32, port: u16, id: u64) {
        let Some(listener) = self.net.listeners.get(&(host, port)) else {
            return;
        };
        if listener.id != id {
            return;
        }
        let listener = self
            .net
            .listeners
            .remove(&(host, port))
            .expect("checked above");
        for conn in listener.backlog {
            self.send_reset(conn, 1);
            self.net.conns[conn as usize].ends[1].closed = true;
        }
    }

    /// Writes from `end` of `conn`: `Ok(0)` never; `None` (waker stored) when the buffer is full.
    pub(crate) fn net_write(
        &mut self,
        conn: u32,
        end: usize,
        data: &[u8],
        waker: &Waker,
    ) -> Option<io::Result<usize>> {
        let capacity = self.net.config.send_buffer_bytes as u64;
        let partial_write = self.net.config.partial_write_probability;
        let entry = &mut self.net.conns[conn as usize];
        if entry.ends[end].reset {
            return Some(Err(reset_error()));
        }
        let dir = &mut entry.dirs[end];
        if dir.fin_written || entry.ends[end].closed {
            return Some(Err(io::Error::new(
                io::ErrorKind::BrokenPipe,
                "write after shutdown",
            )));
        }
        if data.is_empty() {
            return Some(Ok(0));
        }
        let space = capacity.saturating_sub(dir.written - dir.consumed);
        if space == 0 {
            dir.writer = Some(waker.clone());
            return None;
        }
        let mut count = (data.len() as u64).min(space) as usize;
        if count > 1 && self.fault_fires(partial_write) {
            self.net.stats.partial_writes += 1;
            count = 1 + self.random_below(count as u64 - 1) as usize;
        }
        let dir = &mut self.net.conns[conn as usize].dirs[end];
        dir.buf.extend(&data[..count]);
        dir.written += count as u64;
        self.send_marker(conn, end, false);
        Some(Ok(count))
    }

    /// Puts what `end` wrote so far on the wire, to arrive after a latency.
    fn send_marker(&mut self, conn: u32, end: usize, fin: bool) {
        let (source, target) = {
            let hosts = self.net.conns[conn as usize].hosts;
            (hosts[end], hosts[1 - end])
        };
        let latency = self.latency_nanos(source, target);
        let now = self.now;
        let dir = &mut self.net.conns[conn as usize].dirs[end];
        let time = (now + latency).max(dir.last_time);
        let upto = dir.written;
        match dir.markers.back_mut() {
            // Coalesce into a marker due at the same time: one event serves both.
            Some(last) if last.time == time && !last.fin => {
                last.upto = upto;
                last.fin = fin;
            }
            _ => {
                dir.markers.push_back(Marker { time, upto, fin });
                dir.last_time = time;
                self.schedule(
                    time,
                    EventKind::Deliver {
                        conn,
                        dir: end as u8,
                    },
                );
            }
        }
        self.maybe_link_faults(source, target);
    }

    /// Random clogs and partitions, drawn per message sent.
    fn maybe_link_faults(&mut self, source: u32, target: u32) {
        let (clog, partition) = (
            self.net.config.clog_probability,
            self.net.config.partition_probability,
        );
        if self.fault_fires(clog) {
            let duration = self.sample_duration(|config| &config.clog_duration);
            self.clog_pair(source, target, duration);
        }
        if self.fault_fires(partition) {
            let duration = self.sample_duration(|config| &config.partition_duration);
            self.partition_link(source, target);
            self.partition_link(target, source);
            self.schedule(
                self.now + duration,
                EventKind::HealPair {
                    a: source,
                    b: target,
                },
            );
        }
    }

    fn sample_duration(&mut self, pick: impl Fn(&NetworkConfig) -> &super::Latency) -> u64 {
        let rng = &mut self.rng;
        pick(&self.net.config).sample_nanos(|| rand_core::RngCore::next_u64(rng))
    }

    /// Reads into `out` at `end`; `None` (waker stored) when nothing has arrived.
    pub(crate) fn net_read(
        &mut self,
        conn: u32,
        end: usize,
        out: &mut tokio::io::ReadBuf<'_>,
        waker: &Waker,
    ) -> Option<io::Result<()>> {
        let partial_read = self.net.config.partial_read_probability;
        let entry = &mut self.net.conns[conn as usize];
        if entry.ends[end].reset {
            return Some(Err(reset_error()));
        }
        let dir = &mut entry.dirs[1 - end];
        let readable = (dir.arrived - dir.consumed) as usize;
        if readable == 0 {
            if dir.fin_arrived {
                return Some(Ok(()));
            }
            dir.reader = Some(waker.clone());
            return None;
        }
        let mut count = readable.min(out.remaining());
        if count > 1 && self.fault_fires(partial_read) {
            self.net.stats.partial_reads += 1;
            count = 1 + self.random_below(count as u64 - 1) as usize;
        }
        let dir = &mut self.net.conns[conn as usize].dirs[1 - end];
        let (front, back) = dir.buf.as_slices();
        let from_front = count.min(front.len());
        out.put_slice(&front[..from_front]);
        out.put_slice(&back[..count - from_front]);
        dir.buf.drain(..count);
        dir.consumed += count as u64;
        if let Some(writer) = dir.writer.take() {
            writer.wake();
        }
        Some(Ok(()))
    }

    /// Half-closes `end`'s sending side: the peer reads EOF after what was sent.
    pub(crate) fn net_shutdown(&mut self, conn: u32, end: usize) -> io::Result<()> {
        let entry = &mut self.net.conns[conn as usize];
        if entry.ends[end].reset {
            return Err(reset_error());
        }
        if entry.ends[end].dead || entry.dirs[end].fin_written {
            return Ok(());
        }
        entry.dirs[end].fin_written = true;
        self.send_marker(conn, end, true);
        Ok(())
    }

    /// The stream of `end` was dropped: a FIN goes out, and later data to it resets the peer.
    ///
    /// As on Linux, closing with received data still unread sends a reset
    /// instead of a FIN. Either way the peer's writer, which may wait on a full
    /// buffer that nobody will read now, is woken to find out.
    pub(crate) fn net_close(&mut self, conn: u32, end: usize) {
        let incoming = &self.net.conns[conn as usize].dirs[1 - end];
        if incoming.arrived > incoming.consumed {
            self.send_reset(conn, end);
        } else {
            let _ = self.net_shutdown(conn, end);
        }
        let entry = &mut self.net.conns[conn as usize];
        entry.ends[end].closed = true;
        let incoming = &mut entry.dirs[1 - end];
        incoming.buf = VecDeque::new();
        incoming.consumed = incoming.written;
        if let Some(writer) = incoming.writer.take() {
            writer.wake();
        }
    }

    /// Sends a reset from `end` to its peer, after the data already in flight.
    pub(crate) fn send_reset(&mut self, conn: u32, end: usize) {
        let entry = &self.net.conns[conn as usize];
        if entry.ends[end].reset_sent || entry.ends[1 - end].dead {
            return;
        }
        let (source, target) = (entry.hosts[end], entry.hosts[1 - end]);
        let last_time = entry.dirs[end].last_time;
        self.net.conns[conn as usize].ends[end].reset_sent = true;
        let latency = self.latency_nanos(source, target);
        let time = (self.now + latency).max(last_time);
        self.schedule(
            time,
            EventKind::Reset {
                conn,
                dir: (1 - end) as u8,
            },
        );
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
            EventKind::HealPair { a, b } => self.heal_pair(a, b),
            EventKind::Unclog => self.release_stalled(),
            EventKind::Timer { .. } => unreachable!("timers are fired by the world"),
        }
    }

    fn on_deliver(&mut self, conn: u32, end: usize) {
        let entry = &self.net.conns[conn as usize];
        let (source, target) = (entry.hosts[end], entry.hosts[1 - end]);
        if entry.ends[1 - end].dead || entry.ends[1 - end].reset {
            return;
        }
        if self.net.blocked(source, target, self.now) {
            let dir = &mut self.net.conns[conn as usize].dirs[end];
            if !dir.stalled {
                dir.stalled = true;
                self.net.stalled.push((conn, end as u8));
            }
            return;
        }
        let reset = self.net.config.reset_probability;
        if self.fault_fires(reset) {
            self.net.stats.resets += 1;
            self.record(TraceKind::Fault, source, fault_code::RESET);
            self.send_reset(conn, end);
            self.send_reset(conn, 1 - end);
            return;
        }
        let now = self.now;
        let entry = &mut self.net.conns[conn as usize];
        let dir = &mut entry.dirs[end];
        let before = dir.arrived;
        while let Some(marker) = dir.markers.front() {
            if marker.time > now {
                break;
            }
            dir.arrived = marker.upto;
            dir.fin_arrived |= marker.fin;
            dir.markers.pop_front();
        }
        let delivered = dir.arrived - before;
        if let Some(reader) = dir.reader.take() {
            reader.wake();
        }
        let receiver_closed = entry.ends[1 - end].closed;
        self.record(TraceKind::NetDeliver, conn, delivered);
        if receiver_closed && delivered > 0 {
            // Data reached a socket that was closed: TCP answers with a reset.
            let dir = &mut self.net.conns[conn as usize].dirs[end];
            dir.buf.clear();
            dir.consumed = dir.written;
            self.send_reset(conn, 1 - end);
        }
    }

    fn on_reset(&mut self, conn: u32, end: usize) {
        let entry = &mut self.net.conns[conn as usize];
        if entry.ends[end].dead {
            return;
        }
        entry.ends[end].reset = true;
        for waker in [
            entry.dirs[1 - end].reader.take(),
            entry.dirs[end].writer.take(),
            entry.connect_waker.take(),
        ]
        .into_iter()
        .flatten()
        {
            waker.wake();
        }
        self.record(TraceKind::NetReset, conn, end as u64);
    }

    /// Blocks traffic from `source` to `target` until healed.
    pub(crate) fn partition_link(&mut self, source: u32, target: u32) {
        self.net.stats.partitions += 1;
        self.record(TraceKind::Fault, source, fault_code::PARTITION);
        self.net.link_mut(source, target).partitioned = true;
    }

    /// Lifts the partitions between `a` and `b`, both ways.
    pub(crate) fn heal_pair(&mut self, a: u32, b: u32) {
        for (source, target) in [(a, b), (b, a)] {
            if let Some(link) = self.net.links.get_mut(&(source, target)) {
                if link.partitioned {
                    link.partitioned = false;
                    self.record(TraceKind::Fault, source, fault_code::HEAL);
                }
            }
        }
        self.release_stalled();
    }

    /// Lifts every partition and clog.
    pub(crate) fn heal_all(&mut self) {
        for link in self.net.links.values_mut() {
            link.partitioned = false;
            link.clogged_until = 0;
        }
        self.record(TraceKind::Fault, 0, fault_code::HEAL);
        self.release_stalled();
    }

    /// Stalls both directions between `a` and `b` for `duration_nanos`.
    pub(crate) fn clog_pair(&mut self, a: u32, b: u32, duration_nanos: u64) {
        self.net.stats.clogs += 1;
        self.record(TraceKind::Fault, a, fault_code::CLOG);
        let until = self.now + duration_nanos;
        for (source, target) in [(a, b), (b, a)] {
            let link = self.net.link_mut(source, target);
            link.clogged_until = link.clogged_until.max(until);
        }
        self.schedule(until, EventKind::Unclog);
    }

    /// Ends the clogs between `a` and `b` now.
    pub(crate) fn unclog_pair(&mut self, a: u32, b: u32) {
        for (source, target) in [(a, b), (b, a)] {
            if let Some(link) = self.net.links.get_mut(&(source, target)) {
                link.clogged_until = 0;
            }
        }
        self.release_stalled();
    }

    pub(crate) fn set_extra_latency(&mut self, a: u32, b: u32, extra_nanos: u64) {
        self.net.link_mut(a, b).extra_latency_nanos = extra_nanos;
        self.net.link_mut(b, a).extra_latency_nanos = extra_nanos;
    }

    /// Reschedules the stalled directions whose links are open again.
    fn release_stalled(&mut self) {
        let now = self.now;
        let stalled = std::mem::take(&mut self.net.stalled);
        for (conn, end) in stalled {
            let hosts = self.net.conns[conn as usize].hosts;
            let end = end as usize;
            if self.net.blocked(hosts[end], hosts[1 - end], now) {
                self.net.stalled.push((conn, end as u8));
                continue;
            }
            self.net.conns[conn as usize].dirs[end].stalled = false;
            self.schedule(
                now,
                EventKind::Deliver {
                    conn,
                    dir: end as u8,
                },
            );
        }
    }
}

fn reset_error() -> io::Error {
    io::Error::new(io::ErrorKind::ConnectionReset, "connection reset by peer")
}
