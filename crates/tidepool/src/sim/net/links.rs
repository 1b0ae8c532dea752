//! Partitions, clogs and link latency between simulated hosts.

use std::time::Duration;

use super::nanos;
use crate::sim::context::with_world;
use crate::sim::host::HostId;

/// Cuts traffic between `a` and `b`, both ways, until [`heal`] or [`heal_all`].
///
/// Data in flight is held, not lost: it arrives after the heal, as TCP's
/// retransmissions would deliver it. New connections across the cut time out.
///
/// # Panics
///
/// Outside a running simulation.
pub fn partition(a: HostId, b: HostId) {
    with_world("partition", |world| {
        world.partition_link(a.0, b.0);
        world.partition_link(b.0, a.0);
    });
}

/// Cuts traffic from `source` to `target` only; the other way still flows.
pub fn partition_one_way(source: HostId, target: HostId) {
    with_world("partition_one_way", |world| {
        world.partition_link(source.0, target.0)
    });
}

/// Cuts `host` off from every other host, both ways.
pub fn isolate(host: HostId) {
    with_world("isolate", |world| {
        for other in 0..world.hosts.list.len() as u32 {
            if other != host.0 {
                world.partition_link(host.0, other);
                world.partition_link(other, host.0);
            }
        }
    });
}

/// Lifts the partitions between `a` and `b`, both ways; held data flows again.
pub fn heal(a: HostId, b: HostId) {
    with_world("heal", |world| world.heal_pair(a.0, b.0));
}

/// Lifts every partition and clog of the world.
pub fn heal_all() {
    with_world("heal_all", |world| world.heal_all());
}

/// Stalls traffic between `a` and `b`, both ways, for `duration`; then it flows.
pub fn clog(a: HostId, b: HostId, duration: Duration) {
    with_world("clog", |world| world.clog_pair(a.0, b.0, nanos(duration)));
}

/// Stalls traffic between `host` and every other host, both ways, for
/// `duration`, as one fault (a swizzle's step).
pub(crate) fn clog_host(host: HostId, duration: Duration) {
    with_world("clog_host", |world| {
        world.clog_host(host.0, nanos(duration))
    });
}

/// Ends the clogs between `host` and every other host now.
pub(crate) fn unclog_host(host: HostId) {
    with_world("unclog_host", |world| world.unclog_host(host.0));
}

/// Ends the clog between `a` and `b` now.
pub fn unclog(a: HostId, b: HostId) {
    with_world("unclog", |world| world.unclog_pair(a.0, b.0));
}

/// Adds `extra` to every message's delay between `a` and `b`, both ways.
pub fn set_link_latency(a: HostId, b: HostId, extra: Duration) {
    with_world("set_link_latency", |world| {
        world.set_extra_latency(a.0, b.0, nanos(extra))
    });
}

/// Turns the network's random faults on or off (explicit partitions and clogs
/// are not affected). Default: on.
pub fn set_faults_active(active: bool) {
    with_world("set_faults_active", |world| {
        world.net.faults_active = active
    });
}

/// The network faults injected so far in this run.
pub fn stats() -> super::NetStats {
    with_world("net::stats", |world| world.net.stats)
}
