//! The chaos window: attrition, swizzles and custom fault injectors.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use super::attrition::{Attrition, FaultCounts};
use super::processes::{self, Death, ProcessEntry, Processes};
use crate::sim::{self, HostId};
use crate::time::Instant;

/// A custom fault injector: given a [`FaultHandle`], it runs during the chaos
/// window and is cancelled when the window ends.
pub(crate) type Injector =
    Arc<dyn Fn(FaultHandle) -> Pin<Box<dyn Future<Output = ()>>> + Send + Sync>;

/// What a fault injector may do to the world: partition and heal, clog, kill,
/// cut power to, wipe and reboot processes, read the clock, draw from the RNG.
///
/// Processes are [`ProcessId`]s, from [`FaultHandle::group`] and friends.
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

/// A process of the iteration, as a fault injector names it: from
/// [`FaultHandle::processes`], [`FaultHandle::group`] or
/// [`FaultHandle::process`]. A small `Copy` handle; a name typed wrong is a
/// [`LookupError`] from `process` or `group`, never a fault aimed at nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProcessId(usize);

/// A name that no process or group of the iteration has, with the names it has.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    /// No process has this name.
    #[error("no process named '{name}'; the processes are: {}", known.join(", "))]
    Process {
        /// The name asked for.
        name: String,
        /// Every process's name, in boot order.
        known: Vec<String>,
    },
    /// No process belongs to this group.
    #[error("no group named '{group}'; the groups are: {}", known.join(", "))]
    Group {
        /// The group asked for.
        group: String,
        /// Every group, in boot order.
        known: Vec<String>,
    },
}

impl FaultHandle {
    pub(crate) fn new(processes: Processes) -> FaultHandle {
        FaultHandle { processes }
    }

    /// Every process, in boot order.
    pub fn processes(&self) -> Vec<ProcessId> {
        (0..self.processes.borrow().entries.len())
            .map(ProcessId)
            .collect()
    }

    /// The processes of `group`, in boot order.
    ///
    /// # Errors
    ///
    /// [`LookupError::Group`], naming every group, when no process belongs to `group`.
    pub fn group(&self, group: &str) -> Result<Vec<ProcessId>, LookupError> {
        let table = self.processes.borrow();
        let members: Vec<ProcessId> = (0..table.entries.len())
            .filter(|&index| table.entries[index].group == group)
            .map(ProcessId)
            .collect();
        if members.is_empty() {
            let mut known: Vec<String> = Vec::new();
            for entry in &table.entries {
                if !known.contains(&entry.group) {
                    known.push(entry.group.clone());
                }
            }
            return Err(LookupError::Group {
                group: group.to_string(),
                known,
            });
        }
        Ok(members)
    }

    /// The process named `name`, as in the report: `server-1`, ...
    ///
    /// # Errors
    ///
    /// [`LookupError::Process`], naming every process, when none has that name.
    pub fn process(&self, name: &str) -> Result<ProcessId, LookupError> {
        let found = self.processes.borrow().find(name).map(ProcessId);
        found.ok_or_else(|| LookupError::Process {
            name: name.to_string(),
            known: self.process_names(),
        })
    }

    /// The names of every process, in boot order.
    pub fn process_names(&self) -> Vec<String> {
        let table = self.processes.borrow();
        table
            .entries
            .iter()
            .map(|entry| entry.name.clone())
            .collect()
    }

    /// The name of `process`, e.g. `server-2`.
    pub fn name(&self, process: ProcessId) -> String {
        self.entry(process, |entry| entry.name.clone())
    }

    /// The address of `process`.
    pub fn address(&self, process: ProcessId) -> SocketAddr {
        self.entry(process, |entry| entry.address)
    }

    fn entry<R>(&self, process: ProcessId, read: impl FnOnce(&ProcessEntry) -> R) -> R {
        let table = self.processes.borrow();
        let entry = table.entries.get(process.0).unwrap_or_else(|| {
            panic!(
                "{process:?} is not a process of this iteration, which has {}",
                table.entries.len()
            )
        });
        read(entry)
    }

    fn host(&self, process: ProcessId) -> HostId {
        self.entry(process, |entry| entry.host)
    }

    /// Whether to apply a fault of `kind` on `processes`: not when a
    /// shrunk run's edits drop it ([`crate::runner::shrink`]).
    fn admit(&self, kind: &str, processes: &[ProcessId]) -> bool {
        super::shrink::admit(kind, || {
            let names: Vec<String> = processes.iter().map(|&p| self.name(p)).collect();
            names.join(", ")
        })
    }

    /// Cuts traffic between `a` and `b`, both ways, until healed.
    pub fn partition(&self, a: ProcessId, b: ProcessId) {
        if self.admit("partition", &[a, b]) {
            sim::net::partition(self.host(a), self.host(b));
        }
    }

    /// Cuts traffic from `source` to `target` only.
    pub fn partition_one_way(&self, source: ProcessId, target: ProcessId) {
        if self.admit("one-way partition", &[source, target]) {
            sim::net::partition_one_way(self.host(source), self.host(target));
        }
    }

    /// Cuts `process` off from every other host.
    pub fn isolate(&self, process: ProcessId) {
        if self.admit("isolation", &[process]) {
            sim::net::isolate(self.host(process));
        }
    }

    /// Heals the partition between `a` and `b`.
    pub fn heal(&self, a: ProcessId, b: ProcessId) {
        sim::net::heal(self.host(a), self.host(b));
    }

    /// Heals every partition and clog.
    pub fn heal_all(&self) {
        sim::net::heal_all();
    }

    /// Stalls traffic between `a` and `b` for `duration`.
    pub fn clog(&self, a: ProcessId, b: ProcessId, duration: Duration) {
        if self.admit("clog", &[a, b]) {
            sim::net::clog(self.host(a), self.host(b), duration);
        }
    }

    /// Kills `process` at once (a crash: its disk keeps every write); it stays
    /// down until [`FaultHandle::restart`] or the end of the chaos window.
    pub fn kill(&self, process: ProcessId) {
        if !self.admit("kill", &[process]) {
            return;
        }
        count(|faults| faults.kills += 1);
        self.mark_down(process);
        sim::kill(self.host(process));
    }

    /// Cuts the power of `process`'s machine: killed at once, its disk keeps
    /// what was synced (see [`crate::sim::disk::power_loss`]); it stays down
    /// until [`FaultHandle::restart`] or the end of the chaos window.
    pub fn power_loss(&self, process: ProcessId) {
        if !self.admit("power loss", &[process]) {
            return;
        }
        self.mark_down(process);
        sim::disk::power_loss(self.host(process));
    }

    /// Replaces `process`'s machine: killed at once, it will boot on an empty
    /// disk; it stays down until [`FaultHandle::restart`] or the end of the
    /// chaos window.
    pub fn wipe(&self, process: ProcessId) {
        if !self.admit("wipe", &[process]) {
            return;
        }
        self.mark_down(process);
        sim::disk::wipe(self.host(process));
    }

    fn mark_down(&self, process: ProcessId) {
        self.entry(process, |_| ());
        self.processes.borrow_mut().entries[process.0].up = false;
    }

    /// Boots a fresh instance of `process` if it is down.
    pub fn restart(&self, process: ProcessId) {
        let host = self.host(process);
        if processes::is_down(&self.processes, process.0) {
            if sim::is_alive(host) {
                sim::kill(host);
            }
            processes::boot(&self.processes, process.0);
        }
    }

    /// Reboots `process`: gracefully (shutdown signal, `grace` to return) or by
    /// a crash, then boots a fresh instance.
    pub async fn reboot(&self, process: ProcessId, graceful: bool, grace: Duration) {
        let death = if graceful {
            Death::Graceful
        } else {
            Death::Crash
        };
        self.reboot_after(process, death, grace).await;
    }

    /// Stops `process` by `death` (a graceful stop has `grace` to return), then
    /// boots a fresh instance.
    pub async fn reboot_after(&self, process: ProcessId, death: Death, grace: Duration) {
        self.entry(process, |_| ());
        if !self.admit(reboot_kind(death), &[process]) {
            return;
        }
        processes::stop(&self.processes, process.0, death, grace).await;
        count_reboot(death);
        processes::boot(&self.processes, process.0);
    }

    /// Whether `process` is up.
    pub fn is_up(&self, process: ProcessId) -> bool {
        self.entry(process, |_| ());
        !processes::is_down(&self.processes, process.0)
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

    /// One of `processes`, drawn from the world's RNG; `None` when it is empty.
    pub fn pick(&self, processes: &[ProcessId]) -> Option<ProcessId> {
        if processes.is_empty() {
            return None;
        }
        Some(processes[sim::random_below(processes.len() as u64) as usize])
    }
}

/// A reboot by `death`, as a shrunk run's faults name it.
fn reboot_kind(death: Death) -> &'static str {
    match death {
        Death::Graceful => "graceful reboot",
        Death::Crash => "crash reboot",
        Death::PowerLoss => "power loss reboot",
        Death::Wipe => "wipe reboot",
    }
}

/// Counts a reboot by `death` (power losses and wipes count on the disk).
fn count_reboot(death: Death) {
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

pub(crate) fn between(bounds: (Duration, Duration)) -> Duration {
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
        let name = || processes.borrow().entries[victim].name.clone();
        if !super::shrink::admit(reboot_kind(death), name) {
            continue;
        }
        let processes = processes.clone();
        let grace = attrition.grace_period;
        // Each reboot runs on its own so that the next can start while this one recovers.
        drop(sim::spawn("attrition-reboot", async move {
            processes::stop(&processes, victim, death, grace).await;
            count_reboot(death);
            sim::sleep(delay).await;
            if processes::is_down(&processes, victim) {
                processes::boot(&processes, victim);
            }
        }));
    }
}

/// The chance that a swizzle picks each process.
const SWIZZLE_PICK_PROBABILITY: f64 = 0.5;
/// The pause (min, max) between clogging one picked process and the next, and
/// between unclogging them.
const SWIZZLE_STEP: (Duration, Duration) = (Duration::from_millis(10), Duration::from_millis(200));
/// How long a swizzle's clog lasts unless lifted: longer than any chaos
/// window, so that the swizzle itself (or the window's end) lifts it.
const SWIZZLE_CLOG_MAX: Duration = Duration::from_secs(3600);

/// The hosts of every process, in boot order.
pub(crate) fn process_hosts(processes: &Processes) -> Vec<HostId> {
    processes
        .borrow()
        .entries
        .iter()
        .map(|entry| entry.host)
        .collect()
}

/// FoundationDB's swizzle: clog a random subset of processes one by one, then
/// unclog them in another random order; again and again until cancelled.
///
/// Each step clogs or unclogs every link of one host at once: one fault and
/// one event per picked process, not one per pair of hosts.
pub(crate) async fn swizzle(processes: Processes, every: (Duration, Duration)) {
    loop {
        sim::sleep(between(every)).await;
        let mut chosen: Vec<HostId> = process_hosts(&processes)
            .into_iter()
            .filter(|_| sim::random_bool(SWIZZLE_PICK_PROBABILITY))
            .collect();
        if chosen.is_empty() {
            continue;
        }
        let names = || {
            let names: Vec<String> = chosen.iter().map(|&host| sim::host_name(host)).collect();
            names.join(", ")
        };
        if !super::shrink::admit("swizzle", names) {
            continue;
        }
        count(|faults| faults.swizzles += 1);
        for &host in &chosen {
            sim::net::clog_host(host, SWIZZLE_CLOG_MAX);
            sim::sleep(between(SWIZZLE_STEP)).await;
        }
        shuffle(&mut chosen);
        for &host in &chosen {
            sim::net::unclog_host(host);
            sim::sleep(between(SWIZZLE_STEP)).await;
        }
    }
}

fn shuffle<T>(items: &mut [T]) {
    for index in (1..items.len()).rev() {
        let other = sim::random_below(index as u64 + 1) as usize;
        items.swap(index, other);
    }
}
