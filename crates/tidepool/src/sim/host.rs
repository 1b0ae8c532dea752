//! Hosts: the machines of a world, each with an IP address and a life.

use std::net::IpAddr;

/// A host of the simulated world: a machine with one IP address, on which tasks
/// run and sockets live.
///
/// Host ids are small `Copy + Send` handles; host 0 is the root host, which runs
/// the simulation's own driver tasks and is never killed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub(crate) u32);

impl HostId {
    /// The root host, which runs the simulation's driver (address 10.0.0.1).
    pub const ROOT: HostId = HostId(0);

    /// The host's index in its world, from 0.
    pub fn index(self) -> u32 {
        self.0
    }
}

pub(crate) struct Host {
    pub(crate) name: String,
    pub(crate) ip: IpAddr,
    /// False while the host's process is down: its tasks are gone and new
    /// connections to it fail.
    pub(crate) alive: bool,
    /// How many times the host has booted.
    pub(crate) incarnation: u32,
    /// The host's wall clock ([`super::clock_skew`]).
    pub(crate) clock: super::clock_skew::WallClock,
}

pub(crate) struct Hosts {
    pub(crate) list: Vec<Host>,
}

impl Hosts {
    pub(crate) fn new() -> Hosts {
        Hosts {
            list: vec![Host {
                name: "sim".to_string(),
                ip: IpAddr::from([10, 0, 0, 1]),
                alive: true,
                incarnation: 1,
                clock: Default::default(),
            }],
        }
    }

    pub(crate) fn name(&self, host: u32) -> &str {
        self.list.get(host as usize).map_or("?", |host| &host.name)
    }

    pub(crate) fn by_ip(&self, ip: IpAddr) -> Option<u32> {
        self.list
            .iter()
            .position(|host| host.ip == ip)
            .map(|index| index as u32)
    }

    pub(crate) fn get(&self, host: u32) -> &Host {
        &self.list[host as usize]
    }

    pub(crate) fn get_mut(&mut self, host: u32) -> &mut Host {
        &mut self.list[host as usize]
    }
}

use super::context::with_world;
use super::trace::TraceKind;

/// Adds a host named `name` with address `ip` to the running world.
///
/// # Panics
///
/// When another host has `ip`, or outside a running simulation.
pub fn add_host(name: impl Into<String>, ip: IpAddr) -> HostId {
    let name = name.into();
    with_world("add_host", |world| {
        assert!(
            world.hosts.by_ip(ip).is_none(),
            "tidepool: add_host: address {ip} is already taken by host '{}'",
            world.hosts.name(world.hosts.by_ip(ip).unwrap_or(0))
        );
        world.hosts.list.push(Host {
            name,
            ip,
            alive: true,
            incarnation: 1,
            clock: Default::default(),
        });
        let host = (world.hosts.list.len() - 1) as u32;
        world.record(TraceKind::Boot, host, 1);
        HostId(host)
    })
}

/// The host running the calling task.
pub fn current_host() -> HostId {
    with_world("current_host", |world| HostId(world.current_host()))
}

/// The address of `host`.
pub fn host_ip(host: HostId) -> IpAddr {
    with_world("host_ip", |world| world.hosts.get(host.0).ip)
}

/// The name of `host`.
pub fn host_name(host: HostId) -> String {
    with_world("host_name", |world| world.hosts.name(host.0).to_string())
}

/// Whether `host` is up.
pub fn is_alive(host: HostId) -> bool {
    with_world("is_alive", |world| world.hosts.get(host.0).alive)
}

/// How many times `host` has booted (1 for its first life).
pub fn incarnation(host: HostId) -> u32 {
    with_world("incarnation", |world| world.hosts.get(host.0).incarnation)
}

/// Kills `host` at once, as a power cut: every task on it is dropped, its
/// listeners vanish, and its connections reset at their peers after a network
/// delay. Nothing of it runs afterwards, until [`revive`].
///
/// # Panics
///
/// When `host` is the root host, or outside a running simulation.
pub fn kill(host: HostId) {
    assert!(
        host != HostId::ROOT,
        "tidepool: kill: the root host runs the simulation and cannot be killed"
    );
    let leftovers = with_world("kill", |world| {
        let entry = world.hosts.get_mut(host.0);
        if !entry.alive {
            return Vec::new();
        }
        entry.alive = false;
        world.record(TraceKind::Kill, host.0, 0);
        world.net_kill_host(host.0);
        world.abort_host_tasks(host.0)
    });
    // Dropped outside the world's borrow, as code of the dead host: their
    // destructors may call into the world, but may not spawn survivors.
    let caller = with_world("kill", |world| world.current.replace((u32::MAX, host.0)));
    for task in leftovers {
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || drop(task)));
    }
    with_world("kill", |world| world.current = caller);
}

/// Brings a killed host back up with a new incarnation; it runs nothing until
/// tasks are spawned on it. Returns the new incarnation.
pub fn revive(host: HostId) -> u32 {
    with_world("revive", |world| {
        let entry = world.hosts.get_mut(host.0);
        if !entry.alive {
            entry.alive = true;
            entry.incarnation += 1;
        }
        let incarnation = entry.incarnation;
        world.record(TraceKind::Boot, host.0, incarnation as u64);
        incarnation
    })
}

/// The simulated time and the calling task's host name, when a simulation runs
/// on this thread and its world is free (for log stamps).
pub(crate) fn log_stamp() -> Option<(crate::time::Instant, String)> {
    super::context::try_with_world(|world| {
        (
            world.now(),
            world.hosts.name(world.current_host()).to_string(),
        )
    })
}
