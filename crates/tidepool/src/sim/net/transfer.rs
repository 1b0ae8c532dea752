//! Moving bytes: writes, delivery after a latency, reads, FIN and reset.

use std::io;
use std::task::Waker;

use super::model::{Marker, fault_code, reset_error};
use crate::sim::events::EventKind;
use crate::sim::trace::TraceKind;
use crate::sim::world::World;

impl World {
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
        let space = capacity.saturating_sub(dir.buffered());
        if space == 0 {
            dir.writer = Some(waker.clone());
            return None;
        }
        let mut count = (data.len() as u64).min(space) as usize;
        if count > 1 && self.fault_fires(partial_write) {
            self.net.stats.partial_writes += 1;
            count = 1 + self.random_below(count as u64 - 1) as usize;
        }
        self.net.conns[conn as usize].dirs[end].write(&data[..count]);
        self.send_marker(conn, end, false);
        Some(Ok(count))
    }

    /// Puts what `end` wrote so far on the wire, to arrive after a latency.
    pub(super) fn send_marker(&mut self, conn: u32, end: usize, fin: bool) {
        let (source, target) = {
            let hosts = self.net.conns[conn as usize].hosts;
            (hosts[end], hosts[1 - end])
        };
        let latency = self.latency_nanos(source, target);
        let now = self.now;
        let dir = &mut self.net.conns[conn as usize].dirs[end];
        let time = (now + latency).max(dir.last_time);
        let (upto, digest) = (dir.written, dir.written_digest);
        let serial = self.net.conns[conn as usize].serial;
        crate::timeline::hook::sent(serial, end, (source, target), now, upto);
        let dir = &mut self.net.conns[conn as usize].dirs[end];
        match dir.markers.back_mut() {
            // Coalesce into a marker due at the same time: one event serves both.
            Some(last) if last.time == time && !last.fin => {
                last.upto = upto;
                last.digest = digest;
                last.fin = fin;
            }
            _ => {
                dir.markers.push_back(Marker {
                    time,
                    upto,
                    digest,
                    fin,
                });
                dir.last_time = time;
                self.schedule_conn(
                    conn,
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
        let readable = dir.readable() as usize;
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
        dir.consume_into(out, count);
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
        if self.net.conns[conn as usize].dirs[1 - end].readable() > 0 {
            self.send_reset(conn, end);
        } else {
            let _ = self.net_shutdown(conn, end);
        }
        let entry = &mut self.net.conns[conn as usize];
        entry.ends[end].closed = true;
        let incoming = &mut entry.dirs[1 - end];
        incoming.drop_unread();
        if let Some(writer) = incoming.writer.take() {
            writer.wake();
        }
        self.net.release_if_done(conn);
    }

    pub(super) fn on_deliver(&mut self, conn: u32, end: usize) {
        let entry = &self.net.conns[conn as usize];
        let (source, target) = (entry.hosts[end], entry.hosts[1 - end]);
        if entry.ends[1 - end].dead || entry.ends[1 - end].reset {
            return;
        }
        if self.net.blocked(source, target, self.now) {
            let dir = &mut self.net.conns[conn as usize].dirs[end];
            if !dir.stalled {
                dir.stalled = true;
                self.net.hold(conn);
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
            let (upto, digest, fin) = (marker.upto, marker.digest, marker.fin);
            dir.markers.pop_front();
            dir.arrive(upto, digest);
            dir.fin_arrived |= fin;
        }
        let delivered = dir.arrived - before;
        if let Some(reader) = dir.reader.take() {
            reader.wake();
        }
        let receiver_closed = entry.ends[1 - end].closed;
        let (serial, arrived_digest) = (entry.serial, dir.arrived_digest);
        crate::timeline::hook::delivered(serial, end, now, dir.arrived);
        self.record(TraceKind::NetDeliver, serial, arrived_digest);
        if receiver_closed && delivered > 0 {
            // Data reached a socket that was closed: TCP answers with a reset.
            self.net.conns[conn as usize].dirs[end].drop_unread();
            self.send_reset(conn, 1 - end);
        }
    }

    pub(super) fn on_reset(&mut self, conn: u32, end: usize) {
        let hosts = self.net.conns[conn as usize].hosts;
        if self.net.blocked(hosts[1 - end], hosts[end], self.now) {
            // A reset crosses a partition or a clog no more than data does.
            self.net.hold(conn);
            self.net.stalled_resets.push((conn, end as u8));
            return;
        }
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
        let serial = entry.serial;
        self.record(TraceKind::NetReset, serial, end as u64);
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
        self.schedule_conn(
            conn,
            time,
            EventKind::Reset {
                conn,
                dir: (1 - end) as u8,
            },
        );
    }
}
