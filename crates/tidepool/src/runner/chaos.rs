//! The chaos window: attrition, swizzles and custom fault injectors.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::attrition::{Attrition, FaultCounts};
use super::processes::{self, Death, Processes};
use crate::sim::{self, HostId};
use crate::time::Instant;

/// A custom fault injector: given a [`FaultHandle`], it runs during the chaos
/// window and is cancelled when the window ends.
pub(crate) type Injector =
    Arc<dyn Fn(FaultHandle) -> Pin<Box<dyn Future<Output = ()>>> + Send + Sync>;

/// What a fault injector may do to the world: partition and heal, clog, kill
/// and reboot processes, read the clock, draw from the RNG.
///
/// Processes are named as in the report: `server-1`, `server-2`, ...
#[derive(Clone)]
pub struct FaultHandle {
    processes: Processes,
}

impl std::fmt::Debug for FaultHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultHandle")
            .field("processes", &self.process_names())
            .finish()
    }
}

impl FaultHandle {
    pub(crate) fn new(processes: Processes) -> FaultHandle {
        FaultHandle { processes }
    }

    /// The names of every process, in boot order.
    pub fn process_names(&self) -> Vec<String> {
        self.processes
            .borrow()
            .entries
            .iter()
            .map(|entry| entry.name.clone())
            .collect()
    }

    /// The names of the processes of `group`.
    pub fn group(&self, group: &str) -> Vec<String> {
        let table = self.processes.borrow();
        table
            .entries
            .iter()
            .filter(|entry| entry.group == group)
            .map(|entry| entry.name.clone())
            .collect()
    }

    /// The address of process `name`.
    ///
    /// # Panics
    ///
    /// When no process has that name.
    pub fn address(&self, name: &str) -> SocketAddr {
        let index = self.index(name);
        self.processes.borrow().entries[index].address
    }

    fn index(&self, name: &str) -> usize {
        let found = self.processes.borrow().find(name);
        found.unwrap_or_else(|| {
            panic!(
                "no process named '{name}'; the processes are {:?}",
                self.process_names()
            )
        })
    }

    fn host(&self, name: &str) -> HostId {
        let index = self.index(name);
        self.processes.borrow().entries[index].host
    }

    /// Cuts traffic between processes `a` and `b`, both ways, until healed.
    pub fn partition(&self, a: &str, b: &str) {
        sim::net::partition(self.host(a), self.host(b));
    }

    /// Cuts traffic from `source` to `target` only.
    pub fn partition_one_way(&self, source: &str, target: &str) {
        sim::net::partition_one_way(self.host(source), self.host(target));
    }

    /// Cuts process `name` off from every other host.
    pub fn isolate(&self, name: &str) {
        sim::net::isolate(self.host(name));
    }

    /// Heals the partition between `a` and `b`.
    pub fn heal(&self, a: &str, b: &str) {
        sim::net::heal(self.host(a), self.host(b));
    }

    /// Heals every partition and clog.
    pub fn heal_all(&self) {
        sim::net::heal_all();
    }

    /// Stalls traffic between `a` and `b` for `duration`.
    pub fn clog(&self, a: &str, b: &str, duration: Duration) {
        sim::net::clog(self.host(a), self.host(b), duration);
    }

    /// Kills process `name` at once; it stays down until [`FaultHandle::restart`]
    /// or the end of the chaos window.
    pub fn kill(&self, name: &str) {
        let index = self.index(name);
        count(|faults| faults.kills += 1);
        let host = self.host(name);
        self.processes.borrow_mut().entries[index].up = false;
        sim::kill(host);
    }

    /// Cuts the power of process `name`'s machine: killed at once, its disk
    /// keeps what was synced (see [`crate::sim::disk::power_loss`]); it stays
    /// down until [`FaultHandle::restart`] or the end of the chaos window.
    pub fn power_loss(&self, name: &str) {
        let index = self.index(name);
        let host = self.host(name);
        self.processes.borrow_mut().entries[index].up = false;
        sim::disk::power_loss(host);
    }

    /// Replaces process `name`'s machine: killed at once, it will boot on an
    /// empty disk; it stays down until [`FaultHandle::restart`] or the end of
    /// the chaos window.
    pub fn wipe(&self, name: &str) {
        let index = self.index(name);
        let host = self.host(name);
        self.processes.borrow_mut().entries[index].up = false;
        sim::disk::wipe(host);
    }

    /// Boots a fresh instance of process `name` if it is down.
    pub fn restart(&self, name: &str) {
        let index = self.index(name);
        if processes::is_down(&self.processes, index) {
            let host = self.host(name);
            if sim::is_alive(host) {
                sim::kill(host);
            }
            processes::boot(&self.processes, index);
        }
    }

    /// Reboots process `name`: gracefully (shutdown signal, `grace` to return) or
    /// by a crash, then boots a fresh instance.
    pub async fn reboot(&self, name: &str, graceful: bool, grace: Duration) {
        let death = if graceful {
            Death::Graceful
        } else {
            Death::Crash
        };
        self.reboot_after(name, death, grace).await;
    }

    /// Stops process `name` by `death` (a graceful stop has `grace` to return),
    /// then boots a fresh instance.
    pub async fn reboot_after(&self, name: &str, death: Death, grace: Duration) {
        let index = self.index(name);
        processes::stop(&self.processes, index, death, grace).await;
        count_reboot(&self.processes, death);
        processes::boot(&self.processes, index);
    }

    /// Whether process `name` is up.
    pub fn is_up(&self, name: &str) -> bool {
        !processes::is_down(&self.processes, self.index(name))
    }

    /// The simulated time now.
    pub fn now(&self) -> Instant {
        sim::now()
    }

    /// Waits for `duration` of simulated time.
    pub async fn sleep(&self, duration: Duration) {
        sim::sleep(duration).await;
    }

    /// A uniform draw from `0..n` from the world's RNG.
    ///
    /// # Panics
    ///
    /// When `n` is 0.
    pub fn random_below(&self, n: u64) -> u64 {
        sim::random_below(n)
    }
}

/// Counts a reboot by `death` (power losses and wipes count on the disk).
fn count_reboot(processes: &Processes, death: Death) {
    let _ = processes;
    match death {
        Death::Graceful => count(|faults| faults.reboots_graceful += 1),
        Death::Crash => count(|faults| faults.reboots_crash += 1),
        Death::PowerLoss | Death::Wipe => {}
    }
}

/// Counts a fault of the runner's in the world, so that the counts of a run
/// that fails half-way are there too.
pub(crate) fn count(change: impl FnOnce(&mut FaultCounts)) {
    sim::with_world("count fault", |world| {
        change(world.extension::<FaultCounts>())
    });
}

/// Picks a death by attrition's weights.
fn pick_death(attrition: &Attrition) -> Death {
    let weights = [
        (Death::Graceful, attrition.graceful),
        (Death::Crash, attrition.crash),
        (Death::PowerLoss, attrition.power_loss),
        (Death::Wipe, attrition.wipe),
    ];
    let total: f64 = weights.iter().map(|(_, weight)| weight).sum();
    let unit = sim::random_below(1 << 53) as f64 / (1u64 << 53) as f64;
    let mut point = unit * total;
    for (death, weight) in weights {
        if point < weight {
            return death;
        }
        point -= weight;
    }
    weights
        .iter()
        .rev()
        .find(|(_, weight)| *weight > 0.0)
        .map_or(Death::Crash, |(death, _)| *death)
}

fn between(bounds: (Duration, Duration)) -> Duration {
    let (min, max) = bounds;
    let span = max.saturating_sub(min).as_nanos() as u64;
    min + Duration::from_nanos(if span == 0 {
        0
    } else {
        sim::random_below(span + 1)
    })
}

/// Reboots processes at random until cancelled.
pub(crate) async fn attrition(processes: Processes, attrition: Attrition) {
    let targets: Vec<usize> = {
        let table = processes.borrow();
        (0..table.entries.len())
            .filter(|&index| {
                attrition
                    .group
                    .as_ref()
                    .is_none_or(|group| &table.entries[index].group == group)
            })
            .collect()
    };
    if targets.is_empty() {
        return;
    }
    loop {
        sim::sleep(between(attrition.interval)).await;
        let dead = targets
            .iter()
            .filter(|&&index| processes::is_down(&processes, index))
            .count();
        if dead >= attrition.max_dead {
            continue;
        }
        let alive: Vec<usize> = targets
            .iter()
            .copied()
            .filter(|&index| !processes::is_down(&processes, index))
            .collect();
        let Some(&victim) = alive.get(sim::random_below(alive.len().max(1) as u64) as usize) else {
            continue;
        };
        let death = pick_death(&attrition);
        let delay = between(attrition.recovery_delay);
        let processes = processes.clone();
        let grace = attrition.grace_period;
        // Each reboot runs on its own so that the next can start while this one recovers.
        drop(sim::spawn("attrition-reboot", async move {
            processes::stop(&processes, victim, death, grace).await;
            count_reboot(&processes, death);
            sim::sleep(delay).await;
            if processes::is_down(&processes, victim) {
                processes::boot(&processes, victim);
            }
        }));
    }
}

/// FoundationDB's swizzle: clog a random subset of processes one by one, then
/// unclog them in another random order; again and again until cancelled.
pub(crate) async fn swizzle(processes: Processes, every: (Duration, Duration)) {
    loop {
        sim::sleep(between(every)).await;
        let hosts: Vec<HostId> = processes
            .borrow()
            .entries
            .iter()
            .map(|entry| entry.host)
            .collect();
        let all_hosts = sim_hosts();
        let mut chosen: Vec<HostId> = hosts
            .into_iter()
            .filter(|_| sim::random_bool(0.5))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        count(|faults| faults.swizzles += 1);
        for &host in &chosen {
            for &other in &all_hosts {
                if other != host {
                    sim::net::clog(host, other, Duration::from_secs(3600));
                }
            }
            sim::sleep(between((
                Duration::from_millis(10),
                Duration::from_millis(200),
            )))
            .await;
        }
        shuffle(&mut chosen);
        for &host in &chosen {
            for &other in &all_hosts {
                if other != host {
                    sim::net::unclog(host, other);
                }
            }
            sim::sleep(between((
                Duration::from_millis(10),
                Duration::from_millis(200),
            )))
            .await;
        }
    }
}

fn sim_hosts() -> Vec<HostId> {
    crate::sim::with_world("swizzle", |world| {
        (0..world.hosts.list.len() as u32).map(HostId).collect()
    })
}

fn shuffle<T>(items: &mut [T]) {
    for index in (1..items.len()).rev() {
        let other = sim::random_below(index as u64 + 1) as usize;
        items.swap(index, other);
    }
}
