//! Links between hosts: partitions, clogs and extra latency, and the
//! deliveries they stall.

use super::config::NetworkConfig;
use super::model::fault_code;
use crate::sim::events::EventKind;
use crate::sim::trace::TraceKind;
use crate::sim::world::World;

impl World {
    /// Random clogs and partitions, drawn per message sent.
    #[inline]
    pub(super) fn maybe_link_faults(&mut self, source: u32, target: u32) {
        // One test inline on every send; the draws (none when neither fault
        // can fire, as before) out of line.
        let config = &self.net.config;
        if self.net.faults_active
            && (config.clog_probability > 0.0 || config.partition_probability > 0.0)
        {
            self.draw_link_faults(source, target);
        }
    }

    fn draw_link_faults(&mut self, source: u32, target: u32) {
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
            for (from, to) in [(source, target), (target, source)] {
                self.net.stats.partitions += 1;
                self.record(TraceKind::Fault, from, fault_code::PARTITION);
                self.net.link_mut(from, to).fault_partitioned = true;
            }
            self.schedule(
                self.now + duration,
                EventKind::HealPair {
                    a: source,
                    b: target,
                },
            );
        }
    }

    pub(super) fn sample_duration(
        &mut self,
        pick: impl Fn(&NetworkConfig) -> &super::Latency,
    ) -> u64 {
        let rng = &mut self.rng;
        pick(&self.net.config).sample_nanos(|| rand_core::RngCore::next_u64(rng))
    }

    /// Blocks traffic from `source` to `target` until healed.
    pub(crate) fn partition_link(&mut self, source: u32, target: u32) {
        self.net.stats.partitions += 1;
        self.record(TraceKind::Fault, source, fault_code::PARTITION);
        self.net.link_mut(source, target).partitioned = true;
    }

    /// Lifts every partition between `a` and `b`, both ways.
    pub(crate) fn heal_pair(&mut self, a: u32, b: u32) {
        for (source, target) in [(a, b), (b, a)] {
            if let Some(link) = self.net.links.get_mut(&(source, target)) {
                if link.is_partitioned() {
                    link.partitioned = false;
                    link.fault_partitioned = false;
                    self.record(TraceKind::Fault, source, fault_code::HEAL);
                }
            }
        }
        self.release_stalled();
    }

    /// Ends a random partition fault between `a` and `b`; partitions asked
    /// for explicitly stay until healed explicitly.
    pub(crate) fn heal_fault_pair(&mut self, a: u32, b: u32) {
        for (source, target) in [(a, b), (b, a)] {
            if let Some(link) = self.net.links.get_mut(&(source, target)) {
                if link.fault_partitioned {
                    link.fault_partitioned = false;
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
            link.fault_partitioned = false;
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

    /// Stalls every link between `host` and the other hosts, both ways, for
    /// `duration_nanos`: one fault, one event, whatever the number of hosts.
    pub(crate) fn clog_host(&mut self, host: u32, duration_nanos: u64) {
        self.net.stats.clogs += 1;
        self.record(TraceKind::Fault, host, fault_code::CLOG);
        let until = self.now.saturating_add(duration_nanos);
        for other in 0..self.hosts.list.len() as u32 {
            if other == host {
                continue;
            }
            for (source, target) in [(host, other), (other, host)] {
                let link = self.net.link_mut(source, target);
                link.clogged_until = link.clogged_until.max(until);
            }
        }
        self.schedule(until, EventKind::Unclog);
    }

    /// Ends the clogs of every link between `host` and the other hosts now.
    pub(crate) fn unclog_host(&mut self, host: u32) {
        for other in 0..self.hosts.list.len() as u32 {
            for (source, target) in [(host, other), (other, host)] {
                if let Some(link) = self.net.links.get_mut(&(source, target)) {
                    link.clogged_until = 0;
                }
            }
        }
        self.release_stalled();
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

    /// Reschedules the stalled directions and resets whose links are open again.
    pub(super) fn release_stalled(&mut self) {
        let now = self.now;
        for (conn, end) in std::mem::take(&mut self.net.stalled_resets) {
            let hosts = self.net.conns[conn as usize].hosts;
            let (source, target) = (hosts[1 - end as usize], hosts[end as usize]);
            if self.net.blocked(source, target, now) {
                self.net.stalled_resets.push((conn, end));
            } else {
                self.schedule(now, EventKind::Reset { conn, dir: end });
            }
        }
        for conn in std::mem::take(&mut self.net.stalled_connects) {
            let hosts = self.net.conns[conn as usize].hosts;
            if self.net.link(hosts[0], hosts[1]).clogged_until > now {
                self.net.stalled_connects.push(conn);
            } else {
                self.schedule(now, EventKind::ConnectArrive { conn });
            }
        }
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

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, SocketAddr};
    use std::time::Duration;

    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    use crate::sim::net::{bind, clog_host, connect, unclog_host};
    use crate::sim::{self, HostId, Sim, with_world};

    /// Hosts of the swizzle test, besides the root.
    const HOSTS: u8 = 12;

    /// The time a one-byte exchange over `stream` takes.
    async fn round_trip(stream: &mut crate::sim::TcpStream) -> Duration {
        let started = sim::now();
        stream.write_all(b"?").await.unwrap();
        let mut byte = [0u8; 1];
        stream.read_exact(&mut byte).await.unwrap();
        sim::now() - started
    }

    #[test]
    fn clogging_a_host_is_one_event_and_stalls_its_links_only() {
        // A swizzle's step clogs every link of one host: it must cost one
        // event and one fault whatever the number of hosts (it cost one per
        // pair), stall that host's traffic until lifted, and leave the others'.
        let run = Sim::new(3).record_events(true).run(async {
            let mut ips = Vec::new();
            for index in 0..HOSTS {
                let ip = IpAddr::from([10, 0, 1, index + 1]);
                let host = sim::add_host(format!("node-{index}"), ip);
                drop(sim::spawn_on(host, "echo", async move {
                    let listener = bind(SocketAddr::new(ip, 80)).await.unwrap();
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
                ips.push(ip);
            }
            sim::sleep(Duration::from_millis(10)).await;
            let mut to_victim = connect(SocketAddr::new(ips[0], 80)).await.unwrap();
            let mut to_other = connect(SocketAddr::new(ips[1], 80)).await.unwrap();
            let victim = HostId(1);
            let events_before = with_world("test", |world| world.events.len());
            clog_host(victim, Duration::from_secs(3600));
            let events_added = with_world("test", |world| world.events.len()) - events_before;
            let other = round_trip(&mut to_other).await;
            let lifter = sim::spawn("lifter", async move {
                sim::sleep(Duration::from_secs(2)).await;
                unclog_host(victim);
            });
            let clogged = round_trip(&mut to_victim).await;
            lifter.await.unwrap();
            (events_added, other, clogged)
        });
        let clogs = run
            .events
            .as_ref()
            .unwrap()
            .iter()
            .filter(|event| event.kind == sim::TraceKind::Fault && event.detail == 1)
            .count();
        let (events_added, other, clogged) = run.outcome.unwrap();
        assert_eq!(events_added, 1, "events scheduled by one host's clog");
        assert_eq!(clogs, 1, "faults recorded by one host's clog");
        assert!(
            other < Duration::from_secs(1),
            "an unclogged host took {other:?}"
        );
        assert!(
            clogged >= Duration::from_secs(2),
            "the clogged host took {clogged:?}"
        );
        assert!(
            clogged < Duration::from_secs(3),
            "the lifted clog held on: {clogged:?}"
        );
    }
}
